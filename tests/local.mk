## Check suites: one per module (tests/check_<module>.c), sharing tests/testutil.{c,h}.
## Module owners add theirs in tests/<module>.mk.
noinst_LIBRARIES += tests/libtestutil.a
tests_libtestutil_a_SOURCES = tests/testutil.c tests/testutil.h
tests_libtestutil_a_CFLAGS = $(TEST_CFLAGS)
TEST_LDADD_ALL = tests/libtestutil.a $(TEST_LDADD)

check_PROGRAMS += tests/check_util
tests_check_util_SOURCES = tests/check_util.c
tests_check_util_CFLAGS = $(TEST_CFLAGS)
tests_check_util_LDADD = $(TEST_LDADD_ALL)

include tests/spool.mk
include tests/ledger.mk
include tests/config.mk
include tests/x12.mk
include tests/canon.mk
include tests/map.mk
include tests/ack.mk
include tests/schema.mk
include tests/gateway.mk
include tests/inspect.mk
include tests/erp.mk
include tests/edifact.mk
include tests/edi_schema.mk
include tests/contrl.mk
include tests/map_edifact.mk
include tests/csv.mk
include tests/outmap.mk
include tests/export.mk
include tests/interop.mk
include tests/demo.mk
include tests/daemon.mk
include tests/sftp.mk
include tests/as2.mk

TESTS += $(check_PROGRAMS)

## doc/conformance.md is up to date and every disagreement with the corpus is explained.
TESTS += tests/check_conformance.sh
EXTRA_DIST += tests/check_conformance.sh tests/conformance.sh tests/data/x12/conformance-notes.tsv \
	tests/edifact-validation.sh tests/data/edifact/corpus-validation.tsv tests/data/edifact/conformance-notes.tsv
