## xmldoc tests: the XML document reader (src/flat/xmldoc.c, XXE refused) and XML maps (source xml NAME).
check_PROGRAMS += tests/check_xmldoc
tests_check_xmldoc_SOURCES = tests/check_xmldoc.c
tests_check_xmldoc_CFLAGS = $(TEST_CFLAGS)
tests_check_xmldoc_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/xml
