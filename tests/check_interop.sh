#!/bin/sh
# check_interop — outbound X12 and EDIFACT documents are read by independent parsers from
# npm (node-x12 strict, x12-parser, edifact; tests/interop/, installed by
# tests/interop/install.sh) and pass the envelope, count and HL checks of
# tests/interop/x12-check.js and edifact-check.js; the negative fixtures in
# tests/data/interop/bad-* are rejected, each for its own reason (the harness must be able
# to fail). See doc/interop.md.
#
# Skipped (77) without node >= 18 or without tests/interop/node_modules, unless
# EDIGW_REQUIRE_INTEROP=1, which makes that a failure.
#
# To check what edigw writes, run it and hand its output files to check_x12 / check_edifact
# (or check_dir for a whole directory), e.g. below "documents edigw writes":
#   edigw send "$data/855-004010.x12" --partner demo-retailer && check_dir "$spool/outbound/demo-retailer"
src=${EDIGW_SRCDIR:-.}
interop=${EDIGW_INTEROP_DIR:-$src/tests/interop}
data=$src/tests/data/interop
pass=0
fail=0

# skip REASON: exit 77, or 1 when EDIGW_REQUIRE_INTEROP=1
skip() {
	if [ "${EDIGW_REQUIRE_INTEROP:-0}" = 1 ]; then
		echo "check_interop: $1, and EDIGW_REQUIRE_INTEROP=1: failing"
		exit 1
	fi
	echo "check_interop: $1: skipped (tests/interop/install.sh installs the parsers)"
	exit 77
}

command -v node >/dev/null 2>&1 || skip "no node on PATH"
major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
case $major in
'' | *[!0-9]*) skip "node does not run" ;;
esac
[ "$major" -ge 18 ] || skip "node $(node --version) is older than 18 (x12-parser needs 18)"
for p in node-x12 x12-parser edifact; do
	[ -f "$interop/node_modules/$p/package.json" ] || skip "$interop/node_modules/$p is missing"
done

# ok NAME / bad NAME MESSAGE: count one result (NAME shown relative to the source tree)
ok() {
	pass=$((pass + 1))
	echo "PASS ${1#"$src"/}"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL ${1#"$src"/}: $2"
}

# run_check SCRIPT FILE: the checker's output (indented) to stdout, its exit code in $rc
run_check() {
	out=$(node "$interop/$1" "$2" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
}

# expect NAME CODE: the last run_check must have exited CODE
expect() {
	if [ "$rc" -eq "$2" ]; then
		ok "$1"
	else
		bad "$1" "exit $rc, expected $2"
	fi
}

# check_x12 FILE / check_edifact FILE: the file must be accepted (exit 0)
check_x12() {
	run_check x12-check.js "$1"
	expect "$1" 0
}
check_edifact() {
	run_check edifact-check.js "$1"
	expect "$1" 0
}

# check_file FILE: check_x12 or check_edifact by the file's first bytes
check_file() {
	case $(head -c 3 "$1") in
	ISA) check_x12 "$1" ;;
	UNA | UNB) check_edifact "$1" ;;
	*) bad "$1" "neither X12 (ISA) nor EDIFACT (UNA/UNB)" ;;
	esac
}

# check_dir DIR: check_file on every regular file of DIR; DIR without files is a failure
check_dir() {
	n=0
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		n=$((n + 1))
		check_file "$f"
	done
	[ "$n" -gt 0 ] || bad "$1" "no file to check"
}

# reject_x12 FILE TEXT / reject_edifact FILE TEXT: the checker must exit 1 and say TEXT
reject() {
	run_check "$1" "$2"
	if [ "$rc" -ne 1 ]; then
		bad "$2" "exit $rc, expected 1 (rejected)"
	elif ! printf '%s\n' "$out" | grep -F -q -- "$3"; then
		bad "$2" "rejected, but not with: $3"
	else
		ok "$2 (rejected: $3)"
	fi
}
reject_x12() { reject x12-check.js "$1" "$2"; }
reject_edifact() { reject edifact-check.js "$1" "$2"; }

echo "node $(node --version);" \
	"$(cd "$interop" && node -p '["node-x12", "x12-parser", "edifact"].map(p => p + " " +
		JSON.parse(require("fs").readFileSync("node_modules/" + p + "/package.json")).version).join(", ")')"

## Valid documents: standard-conformant, our demo identities.
check_x12 "$data/856-004010.x12"
check_x12 "$data/855-004010.x12"
check_x12 "$data/810-004010.x12"
check_x12 "$data/940-004010.x12"
check_x12 "$data/997-ta1-005010.x12"
check_x12 "$data/ta1-only-005010.x12"
check_edifact "$data/desadv-d96a.edi"
check_edifact "$data/ordrsp-d96a.edi"
check_edifact "$data/invoic-d96a.edi"

## Documents edigw writes: run edigw, then check_x12 / check_edifact / check_dir its output.
## check_export (built by make check beside this script) exports the ERP's files through the
## real binary to 855, 856, 810, 940, ORDRSP, DESADV and INVOIC and keeps what it queued.
build=${EDIGW_BUILDDIR:-.}
if [ -x "$build/tests/check_export" ]; then
	keep=$(mktemp -d)
	if EDIGW_EXPORT_KEEP=$keep "$build/tests/check_export" >"$keep.log" 2>&1; then
		check_dir "$keep"
	else
		bad "tests/check_export" "failed: $(tail -3 "$keep.log")"
	fi
	rm -rf "$keep" "$keep.log"
else
	bad "tests/check_export" "not built in $build (run through make check)"
fi

## Negative fixtures: each must be rejected, for the reason given.
reject_x12 "$data/bad-856-se01.x12" "SE01 (20) does not match the number of segments in the transaction (21)"
reject_x12 "$data/bad-856-se01.x12" 'SE01 is "20", the set has 21 segments'
reject_x12 "$data/bad-856-hl-parent.x12" "HL 4 points at parent 7, which is not an earlier HL"
reject_x12 "$data/bad-856-hl04.x12" "HL 4 HL04 is 1 but it has no children"
reject_x12 "$data/bad-856-truncated.x12" "unterminated data at the end of the file"
reject_x12 "$data/bad-856-truncated.x12" "transaction set 856 0001 has no SE"
reject_x12 "$data/bad-856-no-trailers.x12" "interchange 000000801 has no IEA"
reject_x12 "$data/bad-856-ge01.x12" "GE01 (2) does not match the number of ST segments"
reject_x12 "$data/bad-856-iea02.x12" 'IEA02 "000000899" is not ISA13 000000801'
reject_x12 "$data/bad-856-gs01.x12" "is in a group with GS01 PO, not SH"
reject_x12 "$data/bad-856-isa-width.x12" "ISA06 is 14 characters wide, not 15"
reject_x12 "$data/bad-856-trailing-data.x12" "unterminated data at the end of the file (offset 642)"
reject_x12 "$data/bad-856-non-ascii.x12" "X12 data is printable ASCII"
reject_x12 "$data/bad-810-no-tds.x12" "mandatory TDS segment missing"
reject_x12 "$data/bad-997-ta1-after-gs.x12" "segment 3 (TA1): TA1 not between ISA and the first GS"
reject_edifact "$data/bad-desadv-unt.edi" 'UNT count is "22", the message has 23 segments'
reject_edifact "$data/bad-desadv-unt-ref.edi" 'UNT reference "DES0002" differs'
reject_edifact "$data/bad-desadv-truncated.edi" "edifact rejected the file: Cannot close an incomplete message"
reject_edifact "$data/bad-desadv-no-trailers.edi" "message DES0001 has no UNT"
reject_edifact "$data/bad-desadv-unz-count.edi" 'UNZ: count is "2", the interchange has 1 message(s)'
reject_edifact "$data/bad-desadv-unz-ref.edi" 'UNZ: control reference "ACME00000999" is not'
reject_edifact "$data/bad-desadv-order.edi" "the Tracker rejects the segment order with D96A/DESADV.def"
reject_edifact "$data/bad-desadv-unoa-charset.edi" "edifact rejected the file: Invalid character u"
reject_edifact "$data/bad-desadv-unoc-utf8.edi" "UNOC declares a single-byte character set but the data is UTF-8"
reject_edifact "$data/bad-desadv-wrapped.edi" "is not right after a segment terminator"
reject_edifact "$data/bad-desadv-qty.edi" 'QTY 6060 "2X" is not numeric n..15'

## The checkers refuse what is neither: a missing file and a wrong usage are errors (2).
run_check x12-check.js "$data/no-such-file.x12"
expect "x12-check of a missing file" 2
run_check edifact-check.js "$data/no-such-file.edi"
expect "edifact-check of a missing file" 2
run_check x12-check.js ""
expect "x12-check without a file" 2

echo "check_interop: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
