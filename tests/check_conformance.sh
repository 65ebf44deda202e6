#!/bin/sh
# check_conformance — doc/conformance.md is what tests/conformance.sh makes of the corpus
# manifest and the golden verdict tables, and every disagreement with a source project's
# verdict is explained in tests/data/x12/conformance-notes.tsv; our 997/999 for the files
# pyx12 acknowledged are still what tests/data/x12/pyx12-acks.tsv records (rerun through
# the edigw binary: a verdict that moves fails here), and every disagreement with pyx12 is
# explained in tests/data/x12/pyx12-ack-notes.tsv; our EDIFACT verdicts with the shipped
# definitions are still tests/data/edifact/corpus-validation.tsv (rerun through the binary).
# Skipped without the corpus.
src=${EDIGW_SRCDIR:-.}
corpus=${EDIGW_CORPUS:-$src/../shared/corpus}
bin=${EDIGW_BIN:-./edigw}
if [ ! -f "$corpus/MANIFEST.tsv" ]; then
	echo "check_conformance: no corpus at $corpus: skipped"
	exit 77
fi
if [ ! -x "$bin" ]; then
	echo "check_conformance: no edigw binary at $bin (EDIGW_BIN): cannot rebuild our acknowledgments"
	exit 1
fi
out=$(mktemp)
acks=$(mktemp)
trap 'rm -f "$out" "$acks"' EXIT
"$src/tests/pyx12-acks.sh" "$bin" "$corpus" >"$acks" || exit 1
if ! diff -u "$src/tests/data/x12/pyx12-acks.tsv" "$acks"; then
	echo "check_conformance: our 997/999 (or pyx12's reference) changed for the files above."
	echo "  If the change is intended: tests/pyx12-acks.sh EDIGW > tests/data/x12/pyx12-acks.tsv,"
	echo "  explain new disagreements in tests/data/x12/pyx12-ack-notes.tsv, and regenerate"
	echo "  doc/conformance.md with tests/conformance.sh."
	exit 1
fi
edi=$(mktemp)
trap 'rm -f "$out" "$acks" "$edi"' EXIT
"$src/tests/edifact-validation.sh" "$bin" "$corpus" >"$edi" || exit 1
if ! diff -u "$src/tests/data/edifact/corpus-validation.tsv" "$edi"; then
	echo "check_conformance: our EDIFACT verdicts with the definitions changed for the files above."
	echo "  If intended: tests/edifact-validation.sh EDIGW > tests/data/edifact/corpus-validation.tsv,"
	echo "  explain new disagreements in tests/data/edifact/conformance-notes.tsv and regenerate"
	echo "  doc/conformance.md with tests/conformance.sh."
	exit 1
fi
"$src/tests/conformance.sh" "$corpus" >"$out" || exit 1
if ! diff -u "$src/doc/conformance.md" "$out"; then
	echo "check_conformance: doc/conformance.md is out of date: run tests/conformance.sh > doc/conformance.md"
	exit 1
fi
if [ "$(grep -c "(0 without a note)" "$out")" -ne 3 ]; then
	echo "check_conformance: a disagreement has no note in tests/data/x12/conformance-notes.tsv"
	echo "  or tests/data/x12/pyx12-ack-notes.tsv, or an EDIFACT one in tests/data/edifact/corpus-notes.tsv"
	echo "  or conformance-notes.tsv:"
	grep '\*\*disagree\*\*.* |  |$' "$out"
	exit 1
fi
grep -E '^[0-9]+ (EDIFACT )?files' "$out"
