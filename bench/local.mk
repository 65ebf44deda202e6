## Benchmarks (not built by default): make bench/gen850 bench/gen856; bench/run.sh drives them.
EXTRA_PROGRAMS = bench/gen850 bench/gen856
bench_gen850_SOURCES = bench/gen850.c
bench_gen856_SOURCES = bench/gen856.c
CLEANFILES += bench/gen850 bench/gen856
EXTRA_DIST += bench/run.sh bench/README.md
