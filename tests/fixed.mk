## fixed tests: the fixed-width reader (src/flat/fixed.c) and fixed-width maps (source fixed NAME).
check_PROGRAMS += tests/check_fixed
tests_check_fixed_SOURCES = tests/check_fixed.c
tests_check_fixed_CFLAGS = $(TEST_CFLAGS)
tests_check_fixed_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/fixed
