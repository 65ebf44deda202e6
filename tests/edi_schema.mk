## edi_schema tests (see the module header).
check_PROGRAMS += tests/check_edi_schema
tests_check_edi_schema_SOURCES = tests/check_edi_schema.c
tests_check_edi_schema_CFLAGS = $(TEST_CFLAGS)
tests_check_edi_schema_LDADD = $(TEST_LDADD_ALL)
