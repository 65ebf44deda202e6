## erp: the shipped ERP profiles (maps/erp) on real X12 samples, in process and through edigw.
check_PROGRAMS += tests/check_erp
tests_check_erp_SOURCES = tests/check_erp.c
tests_check_erp_CFLAGS = $(TEST_CFLAGS)
tests_check_erp_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/erp
