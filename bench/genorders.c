/*
 * genorders — write a large UN/EDIFACT D96A ORDERS interchange for benchmarks:
 * UNA, one UNB (UNOC, syntax 3, CONTRL requested), N messages UNH..UNT of 2..9
 * lines each (deterministic pseudo-random content), UNZ; with or without a
 * newline after each segment terminator.
 *
 *   genorders [--count N] [--newlines 0|1] [--sender ID] [--receiver ID] > file.edi
 *
 * Each message: BGM 220 with the order number, DTM 137/2 (CCYYMMDD, 102), FTX PUR
 * with release characters (?: ?+ ?' ??), RFF CT (SG1), NAD BY/DP/SU (SG2) with
 * GS1 ids (3055 9), names with Latin-1 letters (UNOC: one byte each, e.g. 0xFC
 * for u-umlaut) and release characters, RFF VA (SG3) and CTA/COM (SG5) under the
 * buyer, CUX (SG7), per line LIN with a GTIN (SRV), PIA 5 (SA, IN), IMD F, QTY 21
 * in PCE, DTM 2, PRI AAA (SG28), then UNS S, MOA 79 (the sum of quantity times
 * price), CNT 2 (lines) and CNT 1 (quantities), UNT with the right count. It
 * validates against maps/schemas/edifact/D96A/ORDERS.def and maps with
 * maps/edifact/ORDERS.map (bench/README.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long rng = 88172645463325252ULL;

/* xorshift64: reproducible content without libc rand state. */
static unsigned long long next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* The GS1 check digit of the first 12 (GLN: 12) or 13 (GTIN-14: 13) digits. */
static unsigned check_digit(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(d[n - 1 - i] - '0');
		sum += (i % 2 == 0) ? 3 * v : v;
	}
	return (10 - sum % 10) % 10;
}

/* A 13-digit GLN (GS1 prefix 54) into out (14 bytes). */
static void gln(char *out, unsigned long long n)
{
	snprintf(out, 14, "541234%06llu", n % 1000000);
	out[12] = (char)('0' + check_digit(out, 12));
	out[13] = '\0';
}

/* A 13-digit GTIN (EAN-13) into out (14 bytes). */
static void gtin(char *out, unsigned long long n)
{
	snprintf(out, 14, "40123%07llu", n % 10000000);
	out[12] = (char)('0' + check_digit(out, 12));
	out[13] = '\0';
}

int main(int argc, char **argv)
{
	unsigned long count = 80000;
	int nl = 0;
	const char *sender = "5412345000013", *receiver = "4012345000009";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--count") == 0 && i + 1 < argc)
			count = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--newlines") == 0 && i + 1 < argc)
			nl = argv[++i][0] == '1';
		else if (strcmp(argv[i], "--sender") == 0 && i + 1 < argc)
			sender = argv[++i];
		else if (strcmp(argv[i], "--receiver") == 0 && i + 1 < argc)
			receiver = argv[++i];
		else {
			fprintf(stderr, "usage: genorders [--count N] [--newlines 0|1] [--sender ID] [--receiver ID]\n");
			return 64;
		}
	}
	const char *t = nl ? "'\n" : "'";
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	/* Latin-1 (UNOC) names: one byte per letter */
	static const char *buyers[] = { "M\xfcller ?+ S\xf6hne GmbH", "Caf\xe9 du Nord SARL", "Bench Retail Inc.",
					"\xc5hl\xe9n & Co AB", "Stra\xdf" "enbau Gro\xdfhandel" };
	static const char *cities[] = { "K\xf6ln", "Malm\xf6", "Reno", "Z\xfcrich", "Li\xe8ge", "Columbus" };
	static const char *streets[] = { "Hauptstra\xdf" "e", "Rue de l?'\xc9glise", "Main Street", "Storgatan",
					 "Avenue d?'Italie" };
	static const char *countries[] = { "DE", "SE", "US", "CH", "BE", "US" };
	static const char *items[] = { "Widget, blue", "Gadget \"Pro\"", "Schraube M8 ?: verzinkt",
				       "Tr\xe4ger 2?+2", "Caf\xe9 cr\xe8me 1 kg", "Bolt ?? 8 mm" };
	static const char *curr[] = { "EUR", "USD", "SEK", "CHF" };
	printf("UNA:+.? '");
	printf("UNB+UNOC:3+%s:14+%s:14+261122:0930+BENCH0001++ORDERS++1%s", sender, receiver, t);
	char id[16], id2[16], g[16];
	for (unsigned long m = 1; m <= count; m++) {
		unsigned nlines = 2 + (unsigned)(next() % 8);
		unsigned seg = 0;
		printf("UNH+%lu+ORDERS:D:96A:UN:EAN008%s", m, t), seg++;
		printf("BGM+220+PO-%09lu+9%s", m, t), seg++;
		printf("DTM+137:202611%02llu:102%s", 1 + next() % 28, t), seg++;
		printf("DTM+2:202612%02llu:102%s", 1 + next() % 28, t), seg++;
		printf("FTX+PUR+1++Deliver to dock %llu?: ring bell ?+ wait:Gate ?'B?' ??%llu%s", 1 + next() % 9,
		       next() % 100, t), seg++;
		printf("RFF+CT:CN-%06llu%s", next() % 1000000, t), seg++;
		unsigned b = (unsigned)(next() % 5);
		gln(id, next());
		printf("NAD+BY+%s::9++%s+%llu %s+%s++%05llu+%s%s", id, buyers[b], 1 + next() % 999, streets[b],
		       cities[b], next() % 100000, countries[b], t), seg++;
		printf("RFF+VA:%s%09llu%s", countries[b], next() % 1000000000, t), seg++;
		printf("CTA+OC+:J\xfcrgen K\xe4" "fer%s", t), seg++;
		printf("COM+?+49 221 555 %04llu:TE%s", next() % 10000, t), seg++;
		unsigned s = (unsigned)(next() % 6);
		gln(id2, next());
		printf("NAD+DP+%s::9++%s DC %u+Lagerweg %u+%s++%05llu+%s%s", id2, s % 2 ? "Bench" : "Gro\xdf", s,
		       s + 1, cities[s], next() % 100000, countries[s], t), seg++;
		printf("NAD+SU+4012345000009::9++Widget Works GmbH%s", t), seg++;
		printf("CUX+2:%s:9%s", curr[next() % 4], t), seg++;
		unsigned long long qsum = 0, cents = 0;
		for (unsigned l = 1; l <= nlines; l++) {
			unsigned long long q = 1 + next() % 500;
			unsigned long long p = 1 + next() % 20000; /* cents */
			qsum += q;
			cents += q * p;
			gtin(g, next());
			printf("LIN+%u++%s:SRV%s", l, g, t), seg++;
			printf("PIA+5+W-%06llu:SA+RTL-%06llu:IN%s", next() % 1000000, next() % 1000000, t), seg++;
			printf("IMD+F++:::%s %llu%s", items[next() % 6], next() % 1000, t), seg++;
			printf("QTY+21:%llu:PCE%s", q, t), seg++;
			printf("DTM+2:202612%02llu:102%s", 1 + next() % 28, t), seg++;
			printf("PRI+AAA:%llu.%02llu%s", p / 100, p % 100, t), seg++;
		}
		printf("UNS+S%s", t), seg++;
		printf("MOA+79:%llu.%02llu%s", cents / 100, cents % 100, t), seg++;
		printf("CNT+2:%u%s", nlines, t), seg++;
		printf("CNT+1:%llu%s", qsum, t), seg++;
		seg++;
		printf("UNT+%u+%lu%s", seg, m, t);
	}
	printf("UNZ+%lu+BENCH0001%s", count, t);
	return ferror(stdout) ? 1 : 0;
}
