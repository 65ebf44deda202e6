## as2: the AS2 message layer (check_as2: MIME over raw bytes, CMS against the openssl
## command both ways, RFC 5402 compression, requests saved from the libas2 peer, MDNs).
check_PROGRAMS += tests/check_as2
tests_check_as2_SOURCES = tests/check_as2.c
tests_check_as2_CFLAGS = $(TEST_CFLAGS)
tests_check_as2_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/as2
