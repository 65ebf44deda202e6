## The flat readers' fuzz target (CSV, fixed-width, XML), replayed over its corpus by
## `make check` (see tests/fuzz/fuzz_flat.c).
check_PROGRAMS += tests/replay_flat
tests_replay_flat_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_flat.c
tests_replay_flat_CFLAGS = $(TEST_CFLAGS) -I$(top_srcdir)/tests -DREPLAY_NAME='"flat"'
tests_replay_flat_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/fuzz/corpus/flat

## The real libFuzzer binary; not part of any default target:
##   make fuzz-flat && ./tests/fuzz/fuzz_flat -max_total_time=600 fuzz-work $(top_srcdir)/tests/fuzz/corpus/flat
FUZZ_FLAT_SRC = tests/fuzz/fuzz_flat.c src/flat/csv.c src/flat/fixed.c src/flat/xmldoc.c \
	src/util/util.c src/util/fileio.c
fuzz-flat:
	@mkdir -p tests/fuzz
	$(FUZZ_CC) $(FUZZ_FLAGS) -std=c11 -D_GNU_SOURCE -I$(top_srcdir)/src $(LIBXML2_CFLAGS) $(OPENSSL_CFLAGS) \
		$(addprefix $(top_srcdir)/,$(FUZZ_FLAT_SRC)) -o tests/fuzz/fuzz_flat $(LIBXML2_LIBS) $(OPENSSL_LIBS) $(LIBS)
.PHONY: fuzz-flat
CLEANFILES += tests/fuzz/fuzz_flat
