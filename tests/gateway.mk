## End-to-end and crash tests through the real edigw binary.
check_PROGRAMS += tests/check_gateway
tests_check_gateway_SOURCES = tests/check_gateway.c
tests_check_gateway_CFLAGS = $(TEST_CFLAGS)
tests_check_gateway_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/gateway
