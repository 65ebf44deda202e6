## flat: readers for flat files partners send instead of EDI (CSV).
libedigw_a_SOURCES += src/flat/csv.h src/flat/csv.c
