## map: map files, the shipped maps and applying them to X12 850s.
check_PROGRAMS += tests/check_map
tests_check_map_SOURCES = tests/check_map.c
tests_check_map_CFLAGS = $(TEST_CFLAGS)
tests_check_map_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/map
