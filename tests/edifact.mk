## edifact tests (see the module header).
check_PROGRAMS += tests/check_edifact
tests_check_edifact_SOURCES = tests/check_edifact.c
tests_check_edifact_CFLAGS = $(TEST_CFLAGS)
tests_check_edifact_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/edifact
