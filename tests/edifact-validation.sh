#!/bin/sh
# tests/edifact-validation.sh — every UN/EDIFACT file of the public corpus through
# `edigw inspect` with the shipped definitions (maps/schemas/edifact) and no partner:
# one row per file with the number of messages checked against a definition, our final
# verdict and the first finding (code, segment, position). tests/check_conformance.sh
# compares a fresh run with tests/data/edifact/corpus-validation.tsv; tests/conformance.sh
# puts it beside the reader's verdicts and the corpus' expected column in doc/conformance.md.
#
#   tests/edifact-validation.sh EDIGW [CORPUS] > tests/data/edifact/corpus-validation.tsv
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
EDIGW=${1:?usage: tests/edifact-validation.sh EDIGW [CORPUS]}
CORPUS=${2:-${EDIGW_CORPUS:-$TOP/../shared/corpus}}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/partners" "$tmp/erp"
cat >"$tmp/edigw.conf" <<CONF
erp-dir = $tmp/erp
partners-dir = $tmp/partners
schema-dir = $TOP/maps/schemas
our.x12.qualifier = ZZ
our.x12.id = EDIGW
our.x12.gs-id = EDIGW
CONF
printf '# path\tmessages checked against a definition\tverdict\tfirst finding (EDIFACT code, segment, position)\n'
awk -F'\t' 'NR > 1 && $6 == "edifact" { print $1 }' "$CORPUS/MANIFEST.tsv" | sort | while IFS= read -r p; do
	out=$("$EDIGW" -c "$tmp/edigw.conf" -q inspect "$CORPUS/$p" 2>/dev/null) && rc=0 || rc=$?
	defs=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9][0-9]*\) message(s) checked against their definitions.*/\1/p' | tail -n 1)
	[ -n "$defs" ] || defs=0
	case $rc in
	0) verdict=accepted ;;
	65) verdict=rejected ;;
	*) verdict="error $rc" ;;
	esac
	first=$(printf '%s\n' "$out" | grep -m 1 -E 'error: |not a valid' | awk '{
		code = "?"; seg = ""; pos = ""; el = ""
		if (match($0, /\[EDIFACT code [0-9]+\]/)) { code = substr($0, RSTART + 14, RLENGTH - 15) }
		else if (match($0, /\[X12 code [0-9A-Z]+\]/)) { code = "X12 " substr($0, RSTART + 10, RLENGTH - 11) }
		if (match($0, /segment [A-Z0-9]+/)) { seg = substr($0, RSTART + 8, RLENGTH - 8) }
		if (match($0, /position [0-9]+ in the message/)) { pos = substr($0, RSTART + 9, RLENGTH - 24) }
		if (match($0, /element [0-9]+(-[0-9]+)?/)) { el = substr($0, RSTART + 8, RLENGTH - 8) }
		if ($0 ~ /not a valid/) {
			line = ""
			if (match($0, /line [0-9]+/)) { line = substr($0, RSTART, RLENGTH) }
			printf "fatal %s %s (not %s)", code, line, ($0 ~ /valid X12/ ? "EDIFACT or X12" : "readable EDIFACT")
			exit
		}
		printf "%s %s%s%s%s", code, seg, (pos != "" ? "@" pos : ""), (el != "" ? " " : ""), el
	}')
	[ -n "$first" ] || first=-
	printf '%s\t%s\t%s\t%s\n' "$p" "$defs" "$verdict" "$first"
done
