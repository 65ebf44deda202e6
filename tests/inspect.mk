## edigw inspect --ack through the real binary (tests/check_inspect.c), and the comparison
## of our acknowledgments with pyx12's on the public corpus (tests/pyx12-acks.sh, checked
## by tests/check_conformance.sh).
check_PROGRAMS += tests/check_inspect
tests_check_inspect_SOURCES = tests/check_inspect.c
tests_check_inspect_CFLAGS = $(TEST_CFLAGS)
tests_check_inspect_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/inspect tests/pyx12-acks.sh tests/data/x12/pyx12-acks.tsv \
	tests/data/x12/pyx12-ack-notes.tsv
