# tests for ledger
check_PROGRAMS += tests/check_ledger
tests_check_ledger_SOURCES = tests/check_ledger.c
tests_check_ledger_CFLAGS = $(TEST_CFLAGS)
tests_check_ledger_LDADD = $(TEST_LDADD_ALL)
