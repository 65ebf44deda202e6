## outmap: outbound maps (canonical → X12/EDIFACT), in process, with round trips through the inbound maps.
check_PROGRAMS += tests/check_outmap
tests_check_outmap_SOURCES = tests/check_outmap.c
tests_check_outmap_CFLAGS = $(TEST_CFLAGS)
tests_check_outmap_LDADD = $(TEST_LDADD_ALL)
