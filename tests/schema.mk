## schema: X12 transaction-set definitions (maps/schemas) and the validator.
check_PROGRAMS += tests/check_schema
tests_check_schema_SOURCES = tests/check_schema.c
tests_check_schema_CFLAGS = $(TEST_CFLAGS)
tests_check_schema_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += maps/schemas
