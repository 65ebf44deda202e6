## flat: readers for flat files partners send instead of EDI (CSV, fixed-width, XML).
libedigw_a_SOURCES += src/flat/flat_int.h src/flat/csv.h src/flat/csv.c src/flat/fixed.h src/flat/fixed.c \
	src/flat/xmldoc.h src/flat/xmldoc.c
