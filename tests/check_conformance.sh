#!/bin/sh
# check_conformance — doc/conformance.md is what tests/conformance.sh makes of the corpus
# manifest and the golden verdict tables, and every disagreement with a source project's
# verdict is explained in tests/data/x12/conformance-notes.tsv. Skipped without the corpus.
src=${EDIGW_SRCDIR:-.}
corpus=${EDIGW_CORPUS:-$src/../shared/corpus}
if [ ! -f "$corpus/MANIFEST.tsv" ]; then
	echo "check_conformance: no corpus at $corpus: skipped"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$src/tests/conformance.sh" "$corpus" >"$out" || exit 1
if ! diff -u "$src/doc/conformance.md" "$out"; then
	echo "check_conformance: doc/conformance.md is out of date: run tests/conformance.sh > doc/conformance.md"
	exit 1
fi
if ! grep -q "(0 without a note)" "$out"; then
	echo "check_conformance: a disagreement has no note in tests/data/x12/conformance-notes.tsv:"
	grep '\*\*disagree\*\* |  |' "$out"
	exit 1
fi
tail -n 1 "$out"
