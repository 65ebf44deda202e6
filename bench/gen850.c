/*
 * gen850 — write a large X12 004010 850 interchange for benchmarks:
 * one ISA, one GS, N purchase orders of 2..9 lines each (deterministic
 * pseudo-random content), with or without a newline after each terminator.
 *
 *   gen850 [--pos N] [--newlines 0|1] [--sender ID] [--receiver ID] > file.x12
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

int main(int argc, char **argv)
{
	unsigned long pos = 120000;
	int nl = 0;
	const char *sender = "BENCHRETAIL", *receiver = "ACMESUPPLY";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pos") == 0 && i + 1 < argc)
			pos = strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--newlines") == 0 && i + 1 < argc)
			nl = argv[++i][0] == '1';
		else if (strcmp(argv[i], "--sender") == 0 && i + 1 < argc)
			sender = argv[++i];
		else if (strcmp(argv[i], "--receiver") == 0 && i + 1 < argc)
			receiver = argv[++i];
		else {
			fprintf(stderr, "usage: gen850 [--pos N] [--newlines 0|1] [--sender ID] [--receiver ID]\n");
			return 64;
		}
	}
	const char *t = nl ? "~\n" : "~";
	static char obuf[1 << 20];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	printf("ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*261122*0930*U*00401*000000777*0*P*>%s",
	       sender, receiver, t);
	printf("GS*PO*%s*%s*20261122*0930*777*X*004010%s", sender, receiver, t);
	static const char *units[] = { "EA", "CA", "BX", "PK", "DZ" };
	static const char *stores[] = { "Columbus", "Dayton", "Reno", "Austin", "Tacoma", "Albany" };
	for (unsigned long p = 1; p <= pos; p++) {
		unsigned nlines = 2 + (unsigned)(next() % 8);
		unsigned seg = 0;
		printf("ST*850*%04lu%s", p, t), seg++;
		printf("BEG*00*SA*PO-%09lu**20261122%s", p, t), seg++;
		printf("CUR*BY*USD%s", t), seg++;
		printf("REF*DP*%03llu%s", next() % 1000, t), seg++;
		printf("PER*BD*Buyer %llu*TE*555%07llu%s", next() % 100, next() % 10000000, t), seg++;
		printf("DTM*010*20261201%s", t), seg++;
		printf("N1*BY*Bench Retail Inc.*92*0001%s", t), seg++;
		unsigned s = (unsigned)(next() % 6);
		printf("N1*ST*Bench Retail Store %u*92*%04u%s", s, s, t), seg++;
		printf("N3*%llu Main Street%s", 1 + next() % 9999, t), seg++;
		printf("N4*%s*OH*%05llu*US%s", stores[s], 10000 + next() % 89999, t), seg++;
		unsigned long long qty = 0;
		for (unsigned l = 1; l <= nlines; l++) {
			unsigned long long q = 1 + next() % 500;
			qty += q;
			printf("PO1*%u*%llu*%s*%llu.%02llu**BP*SKU-%06llu*VP*V%05llu*UP*0%011llu%s", l, q,
			       units[next() % 5], next() % 200, next() % 100, next() % 1000000,
			       next() % 100000, next() % 100000000000ULL, t), seg++;
			printf("PID*F****Item %llu, assorted colours%s", next() % 100000, t), seg++;
		}
		printf("CTT*%u*%llu%s", nlines, qty, t), seg++;
		seg++;
		printf("SE*%u*%04lu%s", seg, p, t);
	}
	printf("GE*%lu*777%s", pos, t);
	printf("IEA*1*000000777%s", t);
	return ferror(stdout) ? 1 : 0;
}
