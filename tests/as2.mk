## as2: the AS2 message layer (check_as2: MIME over raw bytes, CMS against the openssl
## command both ways, RFC 5402 compression, requests saved from the libas2 peer, MDNs).
check_PROGRAMS += tests/check_as2
tests_check_as2_SOURCES = tests/check_as2.c
tests_check_as2_CFLAGS = $(TEST_CFLAGS)
tests_check_as2_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/as2

## as2 interop: the libas2 npm peer (tests/as2/peer, installed by tests/as2/install.sh) and
## the openssl command against edigw's AS2 endpoint and sender on loopback; writes the matrix
## into doc/interop.md. Skipped (77) without node_modules unless EDIGW_REQUIRE_INTEROP=1.
check_PROGRAMS += tests/check_as2_interop
tests_check_as2_interop_SOURCES = tests/check_as2_interop.c
tests_check_as2_interop_CFLAGS = $(TEST_CFLAGS)
tests_check_as2_interop_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/as2/install.sh tests/as2/peer/package.json tests/as2/peer/package-lock.json \
	tests/as2/peer/as2util.js tests/as2/peer/send.js tests/as2/peer/receive.js \
	tests/as2/peer/openssl-send.sh tests/as2/peer/openssl-check-request.sh tests/as2/peer/make-certs.sh \
	tests/as2/peer/selftest.sh tests/as2/peer/README.md
CLEANFILES += tests/as2-matrix.tsv tests/as2-matrix.md

## The AS2 message layer's fuzz target (tests/as2/fuzz_as2.c), replayed over its seed corpus
## tests/as2/corpus by `make check`; the real libFuzzer binary is not built by default:
##   make fuzz-as2 && ./tests/as2/fuzz_as2 -max_total_time=600 fuzz-work $(top_srcdir)/tests/as2/corpus
check_PROGRAMS += tests/replay_as2
tests_replay_as2_SOURCES = tests/as2/fuzz_as2.c
tests_replay_as2_CFLAGS = $(TEST_CFLAGS) -DAS2_REPLAY
tests_replay_as2_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/as2/corpus
FUZZ_AS2_SRC = tests/as2/fuzz_as2.c src/as2/as2_msg.c src/util/util.c src/util/fileio.c
fuzz-as2:
	@mkdir -p tests/as2
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -I$(top_srcdir)/src $(OPENSSL_CFLAGS) $(ZLIB_CFLAGS) \
		$(addprefix $(top_srcdir)/,$(FUZZ_AS2_SRC)) -o tests/as2/fuzz_as2 $(OPENSSL_LIBS) $(ZLIB_LIBS) $(LIBS)
.PHONY: fuzz-as2
CLEANFILES += tests/as2/fuzz_as2
