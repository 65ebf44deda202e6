## map_edifact tests (see the module header): the shipped EDIFACT maps and EDIFACT paths.
check_PROGRAMS += tests/check_map_edifact
tests_check_map_edifact_SOURCES = tests/check_map_edifact.c
tests_check_map_edifact_CFLAGS = $(TEST_CFLAGS)
tests_check_map_edifact_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/map_edifact maps/edifact
