## Benchmarks (not built by default): make bench/gen850; bench/run.sh drives them.
EXTRA_PROGRAMS = bench/gen850
bench_gen850_SOURCES = bench/gen850.c
CLEANFILES += bench/gen850
EXTRA_DIST += bench/run.sh bench/README.md
