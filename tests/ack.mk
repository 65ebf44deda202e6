## ack: TA1 / 997 / 999 writer
check_PROGRAMS += tests/check_ack
tests_check_ack_SOURCES = tests/check_ack.c
tests_check_ack_CFLAGS = $(TEST_CFLAGS)
tests_check_ack_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/ack
