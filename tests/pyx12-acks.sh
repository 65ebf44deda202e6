#!/bin/sh
# tests/pyx12-acks.sh — our 997/999 beside pyx12's, for every corpus file that has a
# pyx12 acknowledgment (reference/pyx12/<path>.997; some hold a 999: its ST01 says which).
# For each, `edigw inspect --ack 997|999` (the same type) builds ours with the shipped
# definitions (maps/schemas) and no partner; from both acks we keep only what is compared:
# AK5/IK5 status and codes in order, AK9 status, counts and codes in order, and the TA1 —
# ISA09/10/13, GS04/05/06, ST02/SE02 (dates and control numbers) are never read.
#
#   tests/pyx12-acks.sh EDIGW [CORPUS] > tests/data/x12/pyx12-acks.tsv
#
# One row per file: path, ST01 of the inbound file (MANIFEST), ack type, then pyx12's
# and ours: AK5 (S or S:codes, space separated), AK9 (S/declared/received/accepted[:codes]),
# TA1 (S/code); "-" when there is none. tests/check_conformance.sh compares this table
# with a fresh run; tests/conformance.sh turns it into a section of doc/conformance.md.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
EDIGW=${1:?usage: tests/pyx12-acks.sh EDIGW [CORPUS]}
CORPUS=${2:-${EDIGW_CORPUS:-$TOP/../shared/corpus}}
REF=$CORPUS/reference/pyx12
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A configuration of our own: the shipped definitions, no partner, defaults for the rest.
mkdir "$tmp/partners" "$tmp/erp"
cat >"$tmp/edigw.conf" <<EOF
erp-dir = $tmp/erp
partners-dir = $tmp/partners
schema-dir = $TOP/maps/schemas
our.x12.qualifier = ZZ
our.x12.id = EDIGW
our.x12.gs-id = EDIGW
EOF

# Summary of the acknowledgment in file $1: "AK5<TAB>AK9<TAB>TA1".
summary() {
	if [ ! -s "$1" ]; then
		printf -- '-\t-\t-\n'
		return
	fi
	# The ISA fixes the separators: element at offset 3, terminator at 105.
	X12_ELEM=$(head -c 4 "$1" | tail -c 1) X12_SEG=$(head -c 106 "$1" | tail -c 1) awk '
	BEGIN { RS = ENVIRON["X12_SEG"]; FS = ENVIRON["X12_ELEM"]; k5 = k9 = ta1 = "" }
	{
		sub(/^[ \t\r\n]+/, "")
		if ($1 == "AK5" || $1 == "IK5") {
			t = $2; c = ""
			for (i = 3; i <= NF; i++) if ($i != "") c = c (c == "" ? "" : ",") $i
			k5 = k5 (k5 == "" ? "" : " ") t (c == "" ? "" : ":" c)
		} else if ($1 == "AK9") {
			t = $2 "/" $3 "/" $4 "/" $5; c = ""
			for (i = 6; i <= NF; i++) if ($i != "") c = c (c == "" ? "" : ",") $i
			k9 = k9 (k9 == "" ? "" : " ") t (c == "" ? "" : ":" c)
		} else if ($1 == "TA1") {
			ta1 = ta1 (ta1 == "" ? "" : " ") $5 "/" $6
		}
	}
	END { printf "%s\t%s\t%s\n", (k5 == "" ? "-" : k5), (k9 == "" ? "-" : k9), (ta1 == "" ? "-" : ta1) }
	' "$1"
}

printf '# path\tset\tack\tpyx12 AK5\tpyx12 AK9\tpyx12 TA1\tour AK5\tour AK9\tour TA1\n'
(cd "$REF" && find . -type f -name '*.997' | sed 's|^\./||; s|\.997$||' | LC_ALL=C sort) |
while IFS= read -r p; do
	ref=$REF/$p.997
	st=$(grep -o 'ST\*99[79]' "$ref" | head -n 1 | cut -c 4-)
	[ -n "$st" ] || st=997
	set_id=$(awk -F'\t' -v p="$p" '$1 == p { print $7; exit }' "$CORPUS/MANIFEST.tsv")
	rm -f "$tmp/ours"
	rc=0
	SOURCE_DATE_EPOCH=0 "$EDIGW" -q -c "$tmp/edigw.conf" inspect --ack "$st" --ack-out "$tmp/ours" \
		"$CORPUS/$p" >"$tmp/report" 2>&1 || rc=$?
	# 0: all accepted, 65: something rejected; anything else is a failure of ours
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 65 ] || [ ! -f "$tmp/ours" ]; then
		echo "pyx12-acks: edigw inspect failed (exit $rc) on $p:" >&2
		cat "$tmp/report" >&2
		exit 1
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$p" "${set_id:--}" "$st" "$(summary "$ref")" "$(summary "$tmp/ours")"
done
