## Benchmarks (not built by default): make bench/gen850 bench/gen856 bench/genorders
## bench/as2send; bench/run.sh, bench/export.sh, bench/as2.sh and bench/sftp.sh drive them.
EXTRA_PROGRAMS = bench/gen850 bench/gen856 bench/genorders bench/as2send
bench_gen850_SOURCES = bench/gen850.c
bench_gen856_SOURCES = bench/gen856.c
bench_genorders_SOURCES = bench/genorders.c
bench_as2send_SOURCES = bench/as2send.c
bench_as2send_LDADD = libedigw.a $(EDIGW_LIBS)
CLEANFILES += bench/gen850 bench/gen856 bench/genorders bench/as2send
EXTRA_DIST += bench/run.sh bench/export.sh bench/as2.sh bench/sftp.sh bench/README.md
