# tests for config: edigw.conf and partner files (fixtures in tests/data/config/)
check_PROGRAMS += tests/check_config
tests_check_config_SOURCES = tests/check_config.c
tests_check_config_CPPFLAGS = $(AM_CPPFLAGS) -DCONFIG_TEST_SRCDIR='"$(abs_top_srcdir)"'
tests_check_config_CFLAGS = $(TEST_CFLAGS)
tests_check_config_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/data/config
