## edifact tests (see the module header).
check_PROGRAMS += tests/check_edifact
tests_check_edifact_SOURCES = tests/check_edifact.c
tests_check_edifact_CFLAGS = $(TEST_CFLAGS)
tests_check_edifact_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/edifact

## The public corpus's EDIFACT files (skipped when $EDIGW_CORPUS is absent).
check_PROGRAMS += tests/check_edifact_corpus
tests_check_edifact_corpus_SOURCES = tests/check_edifact_corpus.c
tests_check_edifact_corpus_CFLAGS = $(TEST_CFLAGS)
tests_check_edifact_corpus_LDADD = $(TEST_LDADD_ALL)

## The fuzz target, replayed over its corpus by `make check` (see tests/fuzz/fuzz_edifact.c).
check_PROGRAMS += tests/replay_edifact
tests_replay_edifact_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_edifact.c
tests_replay_edifact_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests -DREPLAY_NAME='"edifact"'
tests_replay_edifact_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/fuzz/corpus/edifact tests/fuzz/edifact.dict

## The real libFuzzer binary; not part of any default target:
##   make fuzz-edifact && ./tests/fuzz/fuzz_edifact -max_total_time=600 \
##     -dict=$(top_srcdir)/tests/fuzz/edifact.dict fuzz-work $(top_srcdir)/tests/fuzz/corpus/edifact
FUZZ_EDIFACT_SRC = tests/fuzz/fuzz_edifact.c src/edifact/edi_reader.c src/edifact/edi_charset.c \
	src/edifact/edi_envelope.c src/edifact/edi_result.c src/edifact/edi_view.c \
	src/x12/x12_result.c src/x12/x12_reader.c src/x12/x12_envelope.c src/util/util.c src/util/fileio.c
fuzz-edifact:
	@mkdir -p tests/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -I$(top_srcdir)/src $(OPENSSL_CFLAGS) \
		$(addprefix $(top_srcdir)/,$(FUZZ_EDIFACT_SRC)) -o tests/fuzz/fuzz_edifact $(OPENSSL_LIBS) $(LIBS)
.PHONY: fuzz-edifact
CLEANFILES += tests/fuzz/fuzz_edifact
