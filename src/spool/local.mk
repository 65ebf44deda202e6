# spool module: queue directories, job ids, claim/move/recover
libedigw_a_SOURCES += src/spool/spool.c src/spool/spool.h
EXTRA_DIST += doc/spool.md
