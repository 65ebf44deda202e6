## csv tests: the CSV reader (src/flat) and CSV maps (source csv NAME).
check_PROGRAMS += tests/check_csv
tests_check_csv_SOURCES = tests/check_csv.c
tests_check_csv_CFLAGS = $(TEST_CFLAGS)
tests_check_csv_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/csv
## The other flat-file readers' suites (tests/local.mk includes this file only).
include tests/fixed.mk
include tests/xmldoc.mk
include tests/flat_fuzz.mk
