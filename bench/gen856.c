/*
 * gen856 — write a large X12 004010 856 (ship notice) interchange for
 * benchmarks: one ISA, one GS SH, N ship notices (deterministic
 * pseudo-random content), with or without a newline after each terminator.
 *
 *   gen856 [--notices N] [--newlines 0|1] [--sender ID] [--receiver ID] > file.x12
 *
 * The default, 36,000 notices (89,780 orders, 33,340 pallets, 251,460 cartons,
 * 628,972 items), is 99.5 MB without newlines, 103.5 MB with them.
 *
 * Each ship notice is valid against maps/schemas/x12/004010/856.def and reads
 * with maps/x12/856.map:
 *
 *   ST BSN DTM
 *   HL S   TD1 (cartons, gross weight) TD5 REF*BM REF*CN DTM*017
 *          N1*SF N3 N4  N1*ST N3 N4
 *   HL O   PRF REF*VN                       1..4 orders per shipment
 *   HL T   MAN*GM (SSCC)                    a quarter of the orders: 1..2 pallets
 *   HL P   MAN*GM (SSCC)                    1..4 cartons per order or pallet
 *   HL I   LIN (BP VP UP) SN1 PID           1..4 items per carton
 *   CTT (HL count, sum of SN102) SE
 *
 * HL01 counts 1, 2, 3, ... in each set, HL02 names the parent's HL01. The
 * MAN02 is the application identifier 00 followed by an SSCC-18 (extension
 * digit 0, GS1 company prefix 0614141, a serial unique in the file, GS1 mod-10
 * check digit); the LIN UPC-A also carries its check digit. SE01, GE01 and
 * IEA01 are the real counts.
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

/* GS1 mod-10 check digit of the n digits in d (weight 3 on the rightmost). */
static int gs1_check(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (unsigned)(d[n - 1 - i] - '0') * (i % 2 == 0 ? 3 : 1);
	return (int)((10 - sum % 10) % 10);
}

/* The MAN02 of the serial-th carton or pallet: "00" + SSCC-18, in out[21]. */
static void sscc(unsigned long long serial, char out[21])
{
	/* AI 00, extension digit 0, company prefix 0614141, 9-digit serial. */
	snprintf(out, 21, "0000614141%09llu", serial % 1000000000ULL);
	out[19] = (char)('0' + gs1_check(out + 2, 17));
	out[20] = '\0';
}

/* A UPC-A with a correct check digit, from an 11-digit number, in out[13]. */
static void upc(unsigned long long n, char out[13])
{
	snprintf(out, 13, "%011llu", n % 100000000000ULL);
	out[11] = (char)('0' + gs1_check(out, 11));
	out[12] = '\0';
}

int main(int argc, char **argv)
{
	unsigned long notices = 36000;
	int nl = 0;
	const char *sender = "BENCHWHSE", *receiver = "ACMESUPPLY";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--notices") == 0 && i + 1 < argc)
			notices = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--newlines") == 0 && i + 1 < argc)
			nl = argv[++i][0] == '1';
		else if (strcmp(argv[i], "--sender") == 0 && i + 1 < argc)
			sender = argv[++i];
		else if (strcmp(argv[i], "--receiver") == 0 && i + 1 < argc)
			receiver = argv[++i];
		else {
			fprintf(stderr, "usage: gen856 [--notices N] [--newlines 0|1] [--sender ID] [--receiver ID]\n");
			return 64;
		}
	}
	if (notices < 1 || notices > 999999999UL) {
		fprintf(stderr, "gen856: --notices must be 1 to 999999999\n");
		return 64;
	}
	const char *t = nl ? "~\n" : "~";
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	printf("ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*261122*0930*U*00401*000000856*0*P*>%s",
	       sender, receiver, t);
	printf("GS*SH*%s*%s*20261122*0930*856*X*004010%s", sender, receiver, t);
	static const char *units[] = { "EA", "CA", "BX", "PK", "DZ" };
	static const char *stores[] = { "Columbus", "Dayton", "Reno", "Austin", "Tacoma", "Albany" };
	static const char *states[] = { "OH", "OH", "NV", "TX", "WA", "NY" };
	static const char *scacs[] = { "UPSN", "FDEG", "RDWY", "ODFL" };
	unsigned long long serial = 0, po = 0;
	char man[21], up[13];
	for (unsigned long n = 1; n <= notices; n++) {
		unsigned seg = 0, hl = 0;
		unsigned long long qty = 0;
		printf("ST*856*%04lu%s", n, t), seg++;
		printf("BSN*00*SHP-%09lu*20261122*0930*0001%s", n, t), seg++;
		printf("DTM*011*20261122*0930%s", t), seg++;

		/* Shipment. TD102 (cartons) is known only after the orders are
		 * drawn, so draw the whole shape first. */
		unsigned norders = 1 + (unsigned)(next() % 4);
		unsigned ntares[4], npacks[4][8], nitems[4][8][4], cartons = 0;
		for (unsigned o = 0; o < norders; o++) {
			ntares[o] = next() % 4 == 0 ? 1 + (unsigned)(next() % 2) : 0;
			unsigned groups = ntares[o] ? ntares[o] : 1;
			for (unsigned g = 0; g < groups; g++) {
				npacks[o][g] = 1 + (unsigned)(next() % 4);
				cartons += npacks[o][g];
				for (unsigned p = 0; p < npacks[o][g]; p++)
					nitems[o][g][p] = 1 + (unsigned)(next() % 4);
			}
		}
		unsigned s = (unsigned)(next() % 6);
		unsigned ship = ++hl;
		printf("HL*%u**S%s", ship, t), seg++;
		printf("TD1*CTN25*%u****G*%llu.%llu*LB%s", cartons, cartons * (5 + next() % 36), next() % 10, t), seg++;
		printf("TD5*B*2*%s*M*%s Ground%s", scacs[s % 4], scacs[s % 4], t), seg++;
		printf("REF*BM*BOL%09lu%s", n, t), seg++;
		printf("REF*CN*PRO%010llu%s", next() % 10000000000ULL, t), seg++;
		printf("DTM*017*202611%02llu%s", 23 + next() % 7, t), seg++;
		printf("N1*SF*Acme Supply Co.*92*0001%s", t), seg++;
		printf("N3*1 Warehouse Way%s", t), seg++;
		printf("N4*Dayton*OH*45402*US%s", t), seg++;
		printf("N1*ST*Bench Retail Store %u*92*%04u%s", s, s, t), seg++;
		printf("N3*%llu Main Street%s", 1 + next() % 9999, t), seg++;
		printf("N4*%s*%s*%05llu*US%s", stores[s], states[s], 10000 + next() % 89999, t), seg++;

		for (unsigned o = 0; o < norders; o++) {
			unsigned order = ++hl, line = 0;
			printf("HL*%u*%u*O%s", order, ship, t), seg++;
			printf("PRF*PO-%09llu***20261115%s", ++po, t), seg++;
			printf("REF*VN*SO-%07llu%s", next() % 10000000, t), seg++;
			unsigned groups = ntares[o] ? ntares[o] : 1;
			for (unsigned g = 0; g < groups; g++) {
				unsigned parent = order;
				if (ntares[o]) {
					parent = ++hl;
					sscc(++serial, man);
					printf("HL*%u*%u*T%s", parent, order, t), seg++;
					printf("MAN*GM*%s%s", man, t), seg++;
				}
				for (unsigned p = 0; p < npacks[o][g]; p++) {
					unsigned pack = ++hl;
					sscc(++serial, man);
					printf("HL*%u*%u*P%s", pack, parent, t), seg++;
					printf("MAN*GM*%s%s", man, t), seg++;
					for (unsigned i = 0; i < nitems[o][g][p]; i++) {
						unsigned long long q = 1 + next() % 48;
						qty += q;
						upc(next(), up);
						printf("HL*%u*%u*I%s", ++hl, pack, t), seg++;
						printf("LIN*%u*BP*SKU-%06llu*VP*V%05llu*UP*%s%s", ++line, next() % 1000000,
						       next() % 100000, up, t), seg++;
						printf("SN1**%llu*%s**%llu*%s%s", q, units[q % 5], q + next() % 3, units[q % 5],
						       t), seg++;
						printf("PID*F****Item %llu, assorted colours%s", next() % 100000, t), seg++;
					}
				}
			}
		}
		printf("CTT*%u*%llu%s", hl, qty, t), seg++;
		seg++;
		printf("SE*%u*%04lu%s", seg, n, t);
	}
	printf("GE*%lu*856%s", notices, t);
	printf("IEA*1*000000856%s", t);
	return fflush(stdout) != 0 || ferror(stdout) ? 1 : 0;
}
