libedigw_a_SOURCES += src/util/util.h src/util/util.c src/util/fileio.c
