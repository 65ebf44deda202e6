## export: the ERP's outbound files through edigw (export-dir, edigw export) to X12 and EDIFACT.
check_PROGRAMS += tests/check_export
tests_check_export_SOURCES = tests/check_export.c
tests_check_export_CFLAGS = $(TEST_CFLAGS)
tests_check_export_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/export
