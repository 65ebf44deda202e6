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
