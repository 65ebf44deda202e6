#!/usr/bin/env bash
# bench/export.sh — canonical records per second both ways through edigw:
#   850 -> ERP CSV    edigw run --once over an 850 file of N purchase orders
#                     (bench/gen850): read, validate, map to canonical order
#                     records, RELAX NG, ERP import file, 997, ledger
#   CSV -> 855        edigw export of one ERP order-response CSV file of N orders
#                     (2..9 lines each): CSV map to canonical records, RELAX NG,
#                     outbound map, envelope, our own validation, ledger, queue
#   CSV -> 810        the same for an invoice CSV of N invoices
#   CSV -> 856        edigw export of one ERP shipment CSV (maps/erp-export/
#                     ship-notice-csv.map) of N/4 shipments, each 2 orders of 2
#                     cartons of 2 items, rows of a carton not adjacent: nested
#                     groups, HL hierarchy, validation
#   XML -> 856        edigw run --once over an export-dir of N/10 canonical
#                     ship-notice files (one per shipment; 3 packs of 2 items):
#                     one interchange per file, so per-file costs show
#
#   bench/export.sh [BUILD_DIR] [RUNS] [N]
#
# Every run must send (or accept) everything; anything else stops the bench.
# Prints medians of RUNS runs: wall seconds, records/s, peak RSS (GNU time).
set -euo pipefail
export LC_ALL=C
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
RUNS=${2:-5}
N=${3:-20000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 69; }
make -C "$B" -s edigw bench/gen850 >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/edigw-xbench.XXXXXX")
trap 'rm -rf "$W"' EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# A configuration in $1: partner "retail" (850 in; 855/810/856 out).
setup() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d/partners" "$d/export"
	cat >"$d/edigw.conf" <<CONF
spool = spool
erp-dir = erp
partners-dir = partners
canonical-schema = $TOP/doc/canonical.rng
schema-dir = $TOP/maps/schemas
our.x12.qualifier = ZZ
our.x12.id = ACMESUPPLY
our.x12.gs-id = ACMESUPPLY
erp.order = $TOP/maps/erp/order-csv.map
log-level = warning
CONF
	cat >"$d/partners/retail.conf" <<CONF
id = retail
x12.qualifier = ZZ
x12.id = BENCHRETAIL
x12.gs-id = BENCHRETAIL
document.850 = $TOP/maps/x12/850.map
export-dir = ../export
export.order-response = $TOP/maps/erp-export/order-response-csv.map
outbound.order-response = $TOP/maps/x12-out/855.map
export.invoice = $TOP/maps/erp-export/invoice-csv.map
outbound.invoice = $TOP/maps/x12-out/810.map
export.ship-notice = canonical
outbound.ship-notice = $TOP/maps/x12-out/856.map
CONF
	cat >"$d/partners/asn.conf" <<CONF
id = asn
x12.qualifier = ZZ
x12.id = BENCHASN
x12.gs-id = BENCHASN
export-dir = ../export-asn
export.ship-notice = $TOP/maps/erp-export/ship-notice-csv.map
outbound.ship-notice = $TOP/maps/x12-out/856.map
CONF
}

# The ERP's exports: N orders of 2..9 lines.
awk -v n="$N" 'BEGIN {
	print "po_number,po_date,ack_type,ack_number,ack_date,ship_date,line,buyer_item,vendor_item,upc,quantity,unit,price,status,status_qty,status_date"
	for (i = 1; i <= n; i++) for (l = 1; l <= 2 + i % 8; l++)
		printf "PO-%07d,2026-11-22,accepted-with-detail,SO-%07d,2026-11-23,2026-12-01,%d,B-%05d,V-%05d,,%d,EA,%d.25,accepted,%d,2026-12-01\n", i, i, l, (i * 7 + l) % 100000, (i * 3 + l) % 100000, l * 3, l, l * 3
}' >"$W/order-response-bench.csv"
awk -v n="$N" 'BEGIN {
	print "invoice_number,invoice_date,po_number,po_date,currency,ship_date,bol,total,line,buyer_item,vendor_item,upc,quantity,unit,price,description"
	for (i = 1; i <= n; i++) for (l = 1; l <= 2 + i % 8; l++)
		printf "INV-%07d,2026-12-02,PO-%07d,2026-11-22,USD,2026-12-01,BOL-%d,%d.50,%d,B-%05d,V-%05d,,%d,EA,%d.25,Item %d\n", i, i, i, 100 + i % 900, l, (i * 7 + l) % 100000, (i * 3 + l) % 100000, l * 3, l, l
}' >"$W/invoice-bench.csv"
ASNS=$((N / 4))
# the shipment export's 32 columns (maps/erp-export/ship-notice-csv.map), those not set empty
awk -v n="$ASNS" 'BEGIN {
	print "shipment_id,ship_date,ship_time,delivery_date,carrier_scac,carrier_mode,routing,bol,pro_number,gross_weight,weight_unit,cartons,ship_to_qualifier,ship_to_id,ship_to_name,ship_to_street,ship_to_city,ship_to_state,ship_to_zip,ship_to_country,po_number,po_date,vendor_order,sscc,po_line,buyer_item,sku,upc,qty,uom,qty_ordered,description"
	for (it = 1; it <= 2; it++) for (i = 1; i <= n; i++) for (o = 1; o <= 2; o++) for (c = 1; c <= 2; c++)
		printf "ASN-%07d,2026-12-01,16:30,,UPSN,M,,BOL-%d,,,,4,92,0007,DC 7,,,,,,PO-%07d-%d,2026-11-22,,0001234%09d%d%d,%d,B-%d,V-%d,,%d,EA,,\n", i, i, i, o, i, o, c, it, it, it, it * 3
}' >"$W/ship-notice-bench.csv"
SHIPS=$((N / 10))
mkdir -p "$W/ships"
for ((i = 1; i <= SHIPS; i++)); do
	{
		printf '<ship-notice xmlns="urn:edigw:canonical:1"><shipment-id>ASN-%07d</shipment-id><purpose>original</purpose>' "$i"
		printf '<notice-date>2026-12-01</notice-date><shipment><carrier><scac>UPSN</scac></carrier><orders><order>'
		printf '<po-number>PO-%07d</po-number><packs>' "$i"
		for p in 1 2 3; do
			printf '<pack><sscc>0001234560%07d%d</sscc><items>' "$i" "$p"
			for it in 1 2; do
				printf '<item><number>%d</number><vendor-item>V-%d</vendor-item><quantity>%d</quantity><unit>EA</unit></item>' "$it" "$it" "$((p * it))"
			done
			printf '</items></pack>'
		done
		printf '</packs></order></orders></shipment></ship-notice>\n'
	} >"$W/ships/ship-notice-$i.xml"
done
"$B/bench/gen850" --pos "$N" --newlines 0 >"$W/850.x12"

printf '%-12s %8s %9s %10s %12s\n' flow records wall_s records/s peakRSS_MiB
# one measurement: label, records, command (run in $W/c after setup + prepare)
measure() {
	local label=$1 recs=$2 prep=$3
	shift 3
	local walls=() rss=()
	for ((r = 1; r <= RUNS; r++)); do
		setup "$W/c"
		(cd "$W/c" && eval "$prep")
		local t0 t1
		t0=$EPOCHREALTIME
		(cd "$W/c" && "$TIME" -f '%M' -o "$W/rss" "$@" >"$W/out" 2>&1) || {
			echo "bench: $label failed:" >&2
			tail -20 "$W/out" >&2
			exit 1
		}
		t1=$EPOCHREALTIME
		walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')")
		rss+=("$(awk '{printf "%.1f", $1 / 1024}' "$W/rss")")
	done
	local w m
	w=$(printf '%s\n' "${walls[@]}" | median)
	m=$(printf '%s\n' "${rss[@]}" | median)
	printf '%-12s %8d %9.3f %10.0f %12.1f\n' "$label" "$recs" "$w" "$(awk -v r="$recs" -v w="$w" 'BEGIN {print r / w}')" "$m"
}
E="$B/edigw -c edigw.conf"
measure "850->ERP" "$N" "mkdir -p spool/incoming && $E ingest $W/850.x12 --partner retail >/dev/null 2>&1" \
	$E run --once
grep -q "$N accepted, 0 rejected" "$W/out" || { echo "bench: 850 run did not accept every order" >&2; cat "$W/out" >&2; exit 1; }
measure "CSV->855" "$N" ":" $E export "$W/order-response-bench.csv" --partner retail
measure "CSV->810" "$N" ":" $E export "$W/invoice-bench.csv" --partner retail
measure "CSV->856" "$ASNS" ":" $E export "$W/ship-notice-bench.csv" --partner asn
measure "XML->856" "$SHIPS" "cp $W/ships/*.xml export/" $E run --once
grep -q "sent on: $SHIPS, failed: 0" "$W/out" || { echo "bench: not every ship notice was sent" >&2; cat "$W/out" >&2; exit 1; }
