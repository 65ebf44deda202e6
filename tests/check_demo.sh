#!/bin/sh
# check_demo — the README's demo, as `./quickstart.sh demo` runs it, through the real binary
# in a scratch copy of edigw.conf, partners/, maps/ and doc/: every partner file dropped,
# every ERP export placed, one `edigw run --once`, then what a user sees is checked: ERP
# import files for the three inbound flows, the retailer's 855/856/810 (the 855 settled by
# the retailer's 997), the EU customer's DESADV and CONTRL, the 3PL's 940, no export failed.
src=${EDIGW_SRCDIR:-.}
bin=${EDIGW_BIN:-./edigw}
[ -x "$bin" ] || { echo "check_demo: no edigw binary at $bin (EDIGW_BIN)"; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
cp -R "$src/edigw.conf" "$src/partners" "$src/maps" "$src/doc" "$w/"
mkdir -p "$w/spool"
for p in demo-retailer demo-eu-customer demo-3pl; do
	mkdir -p "$w/spool/drop/$p" "$w/erp-export/$p"
	cp "$src/partners/$p/samples/"* "$w/spool/drop/$p/"
	cp "$src/partners/$p/from-erp/"* "$w/erp-export/$p/"
done
fail=0
check() { # check DESCRIPTION COMMAND...: the command must succeed
	d=$1
	shift
	if "$@" >/dev/null 2>&1; then
		echo "PASS $d"
	else
		echo "FAIL $d"
		fail=1
	fi
}
E="$bin -c $w/edigw.conf"
check "config check" $E config check
out=$($E run --once 2>&1)
echo "$out" | sed 's/^/    /'
check "run --once: 5 ERP exports sent, none failed" sh -c 'echo "$1" | grep -q "ERP export files sent on: 5, failed: 0"' - "$out"
check "run --once: 6 accepted, 1 rejected" sh -c 'echo "$1" | grep -q "7: 6 accepted, 1 rejected"' - "$out"
o=$w/spool/outbound
for f in "demo-retailer/*-855.x12" "demo-retailer/*-856.x12" "demo-retailer/*-810.x12" \
	"demo-eu-customer/*-DESADV.edi" "demo-eu-customer/*-CONTRL.edi" "demo-3pl/*-940.x12"; do
	# shellcheck disable=SC2086
	check "queued $f" sh -c 'ls $1 >/dev/null' - "$o/$f"
done
check "856 has the pack and item levels" grep -q 'HL\*4\*3\*I\*0' "$o"/demo-retailer/*-856.x12
check "DESADV carries the released + of the PO number" grep -q "RFF+ON:BE-2026?+0471" "$o"/demo-eu-customer/*-DESADV.edi
check "ERP order file for the EU customer" sh -c 'ls "$1"/erp/order-demo-eu-customer-*.csv' - "$w"
check "ERP warehouse shipping advice from the 3PL's CSV" grep -q "^H,WO-2026-501,final,2026-12-01" "$w"/erp/warehouse-shipping-advice-demo-3pl-*.csv
check "the 3PL's item codes became our SKUs (items.csv)" grep -q "^L,WO-2026-501,1,,WID-9," "$w"/erp/warehouse-shipping-advice-demo-3pl-*.csv
st=$($E status 2>&1)
check "the retailer's 997 settled our 855" sh -c 'echo "$1" | grep -q "accepted 1, accepted with errors 0"' - "$st"
check "no unmatched acknowledgment" sh -c 'echo "$1" | grep -q "unmatched inbound acks 0"' - "$st"
check "exports moved to sent/" sh -c '[ "$(find "$1"/erp-export/*/sent -type f | wc -l)" -eq 5 ]' - "$w"
[ $fail -eq 0 ] && echo "check_demo: all passed"
exit $fail
