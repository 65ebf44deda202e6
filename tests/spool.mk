# tests for spool
check_PROGRAMS += tests/check_spool
tests_check_spool_SOURCES = tests/check_spool.c
tests_check_spool_CFLAGS = $(TEST_CFLAGS)
tests_check_spool_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/spool
