## x12: tokenizer and envelope tests, the public corpus run, the fuzz corpus replay.
check_PROGRAMS += tests/check_x12
tests_check_x12_SOURCES = tests/check_x12.c
tests_check_x12_CFLAGS = $(TEST_CFLAGS)
tests_check_x12_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/x12

check_PROGRAMS += tests/check_corpus
tests_check_corpus_SOURCES = tests/check_corpus.c
tests_check_corpus_CFLAGS = $(TEST_CFLAGS)
tests_check_corpus_LDADD = $(TEST_LDADD_ALL)

## The fuzz target, replayed over its corpus by `make check` (see tests/fuzz/fuzz_x12.c).
check_PROGRAMS += tests/replay_x12
tests_replay_x12_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_x12.c
tests_replay_x12_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests -DREPLAY_NAME='"x12"'
tests_replay_x12_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/fuzz/corpus/x12

## The real libFuzzer binary; not part of any default target:
##   make fuzz-x12 && ./tests/fuzz/fuzz_x12 -max_total_time=600 fuzz-work $(top_srcdir)/tests/fuzz/corpus/x12
FUZZ_CC = clang
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer
FUZZ_X12_SRC = tests/fuzz/fuzz_x12.c src/x12/x12_reader.c src/x12/x12_envelope.c \
	src/x12/x12_result.c src/x12/x12_schema.c src/x12/x12_validate.c src/util/util.c src/util/fileio.c
fuzz-x12:
	@mkdir -p tests/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -I$(top_srcdir)/src $(OPENSSL_CFLAGS) \
		-DFUZZ_SCHEMA_DIR='"$(abs_top_srcdir)/maps/schemas"' \
		$(addprefix $(top_srcdir)/,$(FUZZ_X12_SRC)) -o tests/fuzz/fuzz_x12 $(OPENSSL_LIBS) $(LIBS)
.PHONY: fuzz-x12
CLEANFILES += tests/fuzz/fuzz_x12

## Partner overlays of the X12 definitions (schema-overlay).
check_PROGRAMS += tests/check_overlay
tests_check_overlay_SOURCES = tests/check_overlay.c
tests_check_overlay_CFLAGS = $(TEST_CFLAGS)
tests_check_overlay_LDADD = $(TEST_LDADD_ALL)
