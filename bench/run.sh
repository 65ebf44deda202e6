#!/usr/bin/env bash
# bench/run.sh — throughput and memory of the edigw process on large X12 and
# UN/EDIFACT interchanges (~100 MB each), with and without newlines after the
# segment terminators:
#   850     purchase orders: 120,000 POs of 2..9 lines (bench/gen850)
#   856     ship notices: 36,000 notices, HL S/O/T/P/I hierarchy (bench/gen856)
#   orders  EDIFACT D96A ORDERS (UNOC): 80,000 messages of 2..9 lines (bench/genorders)
#
#   bench/run.sh [BUILD_DIR] [RUNS] [POS] [DOC] [NOTICES] [ORDERS]
#
#   BUILD_DIR  configured build directory (default: build)
#   RUNS       runs per measurement, medians are printed (default 5)
#   POS        purchase orders in the 850 file (default 120000)
#   DOC        850, 856, orders or all (default: $DOC, else all)
#   NOTICES    ship notices in the 856 file (default: $NOTICES, else 36000)
#   ORDERS     messages in the EDIFACT ORDERS file (default: $ORDERS, else 80000)
#
# Measures three things per file, RUNS times each, and prints medians:
#   scan      edigw inspect --envelope-only FILE   tokenize + envelope validation only
#   validate  edigw inspect FILE                   the same plus every transaction set
#                                                  (message) against its definition
#                                                  (maps/schemas, maps/schemas/edifact)
#   flow      edigw run --once                     the full flow: spool, envelopes,
#                                                  definitions, map to the canonical record,
#                                                  RELAX NG validation, ERP file, 997 (CONTRL),
#                                                  ledger rows — on a fresh spool
# Every run must accept every transaction set (message); any rejection stops the bench.
# The 856 flow writes an ERP file only when maps/erp/ has a profile whose
# "source" is ship-notice (or ERP_856=PATH names one; ERP_856=none: no
# profile); without one the gateway maps, validates and acknowledges the
# notices but writes no ERP file, and the table says "no-erp".
# Wall time comes from bash's EPOCHREALTIME around each command (microseconds;
# GNU time's %e has only centiseconds, too coarse for a 0.15 s scan); MB/s and
# docs/s (transaction sets or EDIFACT messages per second) are from the wall time. CPU time (user + system) and peak RSS come
# from /usr/bin/time (GNU time, Debian package "time"); on a busy machine the
# CPU column moves less than the wall column.
set -euo pipefail
export LC_ALL=C
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
RUNS=${2:-5}
POS=${3:-120000}
DOC=${4:-${DOC:-all}}
NOTICES=${5:-${NOTICES:-36000}}
ORDERS=${6:-${ORDERS:-80000}}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 69; }
case $DOC in
850) docs="850" ;;
856) docs="856" ;;
orders) docs="orders" ;;
all) docs="850 856 orders" ;;
*)
	echo "bench: DOC must be 850, 856, orders or all, not '$DOC'" >&2
	exit 64
	;;
esac

# The ERP profile for ship-notice records, if there is one.
erp856=${ERP_856:-}
if [ -z "$erp856" ]; then
	erp856=none
	for p in "$TOP"/maps/erp/*.map; do
		if [ -f "$p" ] && grep -Eq '^source[[:space:]]+ship-notice([[:space:]]|$)' "$p"; then
			erp856=$p
			break
		fi
	done
fi

make -C "$B" -s edigw bench/gen850 bench/gen856 bench/genorders >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/edigw-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# A configuration in $1 with three partners: bench sends 850s, benchwhse 856s,
# benchedi EDIFACT ORDERS (asking for a CONTRL: UNB 0031 = 1).
setup_conf() {
	local d=$1
	mkdir -p "$d/partners"
	cat >"$d/edigw.conf" <<CONF
spool = spool
erp-dir = erp
partners-dir = partners
canonical-schema = $TOP/doc/canonical.rng
schema-dir = $TOP/maps/schemas
our.x12.qualifier = ZZ
our.x12.id = ACMESUPPLY
our.x12.gs-id = ACMESUPPLY
our.edifact.id = 4012345000009
our.edifact.qualifier = 14
erp.order = $TOP/maps/erp/order-csv.map
log-level = warning
CONF
	if [ "$erp856" != none ]; then
		echo "erp.ship-notice = $erp856" >>"$d/edigw.conf"
	fi
	cat >"$d/partners/bench.conf" <<CONF
id = bench
x12.qualifier = ZZ
x12.id = BENCHRETAIL
x12.gs-id = BENCHRETAIL
document.850 = $TOP/maps/x12/850.map
ack = 997
CONF
	cat >"$d/partners/benchwhse.conf" <<CONF
id = benchwhse
x12.qualifier = ZZ
x12.id = BENCHWHSE
x12.gs-id = BENCHWHSE
document.856 = $TOP/maps/x12/856.map
ack = 997
CONF
	cat >"$d/partners/benchedi.conf" <<CONF
id = benchedi
edifact.id = 5412345000013
edifact.qualifier = 14
document.ORDERS = $TOP/maps/edifact/ORDERS.map
contrl = requested
CONF
}

setup_conf "$W/conf"
printf '%-6s %-5s %-9s %7s %8s %8s %9s %7s %12s  %s\n' doc nl stage MB wall_s MB/s docs/s cpu_s peakRSS_MiB note
for doc in $docs; do
	case $doc in
	850) sets=$POS partner=bench unit="transaction set(s)" ;;
	856) sets=$NOTICES partner=benchwhse unit="transaction set(s)" ;;
	orders) sets=$ORDERS partner=benchedi unit="message(s)" ;;
	esac
	for nl in 0 1; do
		f="$W/$doc-nl$nl.x12"
		case $doc in
		850) "$B/bench/gen850" --pos "$POS" --newlines "$nl" >"$f" ;;
		856) "$B/bench/gen856" --notices "$NOTICES" --newlines "$nl" >"$f" ;;
		orders)
			f="$W/$doc-nl$nl.edi"
			"$B/bench/genorders" --count "$ORDERS" --newlines "$nl" >"$f"
			;;
		esac
		bytes=$(stat -c %s "$f")
		mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')
		for stage in scan validate flow; do
			: >"$W/secs"
			: >"$W/rss"
			: >"$W/cpu"
			note=
			for i in $(seq 1 "$RUNS"); do
				if [ "$stage" = scan ] || [ "$stage" = validate ]; then
					opt=
					[ "$stage" = scan ] && opt=--envelope-only
					t0=$EPOCHREALTIME
					rc=0
					$TIME -f "%M %U %S" -o "$W/t" "$B/edigw" -c "$W/conf/edigw.conf" inspect $opt "$f" >"$W/out" 2>&1 || rc=$?
					t1=$EPOCHREALTIME
					[ "$rc" -eq 0 ] || {
						tail -5 "$W/out" >&2
						exit 1
					}
					grep -q "$sets $unit (0 rejected)" "$W/out" || {
						echo "bench: $doc $stage: not every $unit accepted" >&2
						tail -5 "$W/out" >&2
						exit 1
					}
				else
					d="$W/run$i"
					rm -rf "$d"
					setup_conf "$d"
					"$B/edigw" -q -c "$d/edigw.conf" ingest "$f" --partner "$partner" >"$W/out" 2>&1 || {
						cat "$W/out" >&2
						exit 1
					}
					t0=$EPOCHREALTIME
					rc=0
					$TIME -f "%M %U %S" -o "$W/t" "$B/edigw" -q -c "$d/edigw.conf" run --once >"$W/out" 2>&1 || rc=$?
					t1=$EPOCHREALTIME
					[ "$rc" -eq 0 ] || {
						cat "$W/out" >&2
						exit 1
					}
					grep -q "transaction sets $sets: $sets accepted, 0 rejected" "$W/out" || {
						echo "bench: $doc flow: not every transaction set accepted" >&2
						cat "$W/out" >&2
						exit 1
					}
					erpfiles=$(find "$d/erp" -type f 2>/dev/null | wc -l)
					if [ "$erpfiles" -eq 0 ]; then
						note=no-erp
					else
						note="erp:$erpfiles"
					fi
					if [ "$doc" = orders ]; then
						contrls=$(find "$d/spool/outbound/$partner" -name '*-CONTRL.edi' -type f 2>/dev/null | wc -l)
						[ "$contrls" -eq 1 ] || {
							echo "bench: orders flow: $contrls CONTRL(s) queued, not 1" >&2
							exit 1
						}
						note="$note contrl:1"
					fi
					rm -rf "$d"
				fi
				awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>"$W/secs"
				tail -1 "$W/t" | awk '{ print $1 >>"'"$W/rss"'"; printf "%.2f\n", $2 + $3 >>"'"$W/cpu"'" }'
			done
			s=$(median <"$W/secs")
			r=$(median <"$W/rss")
			c=$(median <"$W/cpu")
			awk -v doc="$doc" -v v="$nl" -v st="$stage" -v mb="$mb" -v s="$s" -v r="$r" -v c="$c" -v p="$sets" -v n="$note" 'BEGIN {
				if (s < 0.001) s = 0.001;
				printf "%-6s %-5s %-9s %7s %8.3f %8.1f %9.0f %7.2f %12.1f  %s\n", doc, v, st, mb, s, mb/s, p/s, c, r/1024, n }'
		done
	done
done
echo "(medians of $RUNS runs; 850: $POS POs, 856: $NOTICES notices, orders: $ORDERS messages; ERP profile for ship-notice: ${erp856#"$TOP"/}; build $B)"
