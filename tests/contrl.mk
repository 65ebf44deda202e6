## contrl tests (see the module header).
## contrl: the EDIFACT segment writer and the CONTRL writer
check_PROGRAMS += tests/check_contrl
tests_check_contrl_SOURCES = tests/check_contrl.c
tests_check_contrl_CFLAGS = $(TEST_CFLAGS)
tests_check_contrl_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/contrl
