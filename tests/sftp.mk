## SFTP transport (src/transport/, src/gateway/sftp_poll.c, deliver.c) against OpenSSH's
## sshd, which tests/sshd-harness.sh starts on loopback for each test; without
## /usr/sbin/sshd only the offline tests run and the program is skipped (exit 77),
## unless EDIGW_REQUIRE_SFTP=1. doc/transports.md.
check_PROGRAMS += tests/check_sftp
tests_check_sftp_SOURCES = tests/check_sftp.c
tests_check_sftp_CFLAGS = $(TEST_CFLAGS)
tests_check_sftp_LDADD = $(TEST_LDADD_ALL)
EXTRA_DIST += tests/sshd-harness.sh
