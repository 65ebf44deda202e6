## canon: canonical records and ERP profiles.
check_PROGRAMS += tests/check_canon
tests_check_canon_SOURCES = tests/check_canon.c
tests_check_canon_CFLAGS = $(TEST_CFLAGS)
tests_check_canon_LDADD = $(TEST_LDADD_ALL)
