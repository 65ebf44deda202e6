## daemon: edigw run as a daemon (SIGHUP reload, SIGTERM) and replay of archived jobs.
check_PROGRAMS += tests/check_daemon
tests_check_daemon_SOURCES = tests/check_daemon.c
tests_check_daemon_CFLAGS = $(TEST_CFLAGS)
tests_check_daemon_LDADD = $(TEST_LDADD_ALL)
