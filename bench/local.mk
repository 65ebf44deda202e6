## Benchmarks (not built by default): make bench/gen850 bench/gen856 bench/genorders;
## bench/run.sh drives them.
EXTRA_PROGRAMS = bench/gen850 bench/gen856 bench/genorders
bench_gen850_SOURCES = bench/gen850.c
bench_gen856_SOURCES = bench/gen856.c
bench_genorders_SOURCES = bench/genorders.c
CLEANFILES += bench/gen850 bench/gen856 bench/genorders
EXTRA_DIST += bench/run.sh bench/export.sh bench/README.md
