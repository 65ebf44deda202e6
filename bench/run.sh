#!/usr/bin/env bash
# bench/run.sh — throughput and memory of the edigw process on a large X12 850
# interchange (~100 MB, 120,000 POs), with and without newlines after the
# segment terminators.
#
#   bench/run.sh [BUILD_DIR] [RUNS] [POS]
#
# Measures three things, RUNS times each, and prints medians:
#   scan      edigw inspect --envelope-only FILE   tokenize + envelope validation only
#   validate  edigw inspect FILE                   the same plus every transaction set
#                                                  against its definition (maps/schemas)
#   flow      edigw run --once                     the full flow: spool, envelopes,
#                                                  definitions, map to the canonical order,
#                                                  RELAX NG validation, ERP file, 997,
#                                                  ledger rows — on a fresh spool
# Peak RSS comes from /usr/bin/time (GNU time, Debian package "time").
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
RUNS=${2:-5}
POS=${3:-120000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 69; }

make -C "$B" -s edigw bench/gen850 >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/edigw-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

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
erp.order = $TOP/maps/erp/order-csv.map
log-level = warning
CONF
	cat >"$d/partners/bench.conf" <<CONF
id = bench
x12.qualifier = ZZ
x12.id = BENCHRETAIL
x12.gs-id = BENCHRETAIL
document.850 = $TOP/maps/x12/850.map
ack = 997
CONF
}

printf '%-8s %-8s %10s %10s %12s %12s\n' variant stage "MB" "MB/s" "POs/s" "peakRSS_MiB"
for nl in 0 1; do
	f="$W/po-nl$nl.x12"
	"$B/bench/gen850" --pos "$POS" --newlines "$nl" >"$f"
	bytes=$(stat -c %s "$f")
	mb=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1e6}')
	for stage in scan validate flow; do
		: >"$W/secs"
		: >"$W/rss"
		for i in $(seq 1 "$RUNS"); do
			if [ "$stage" = scan ]; then
				$TIME -f "%e %M" -o "$W/t" "$B/edigw" -c "$TOP/edigw.conf" inspect --envelope-only "$f" >/dev/null || true
			elif [ "$stage" = validate ]; then
				$TIME -f "%e %M" -o "$W/t" "$B/edigw" -c "$TOP/edigw.conf" inspect "$f" >"$W/out" || {
					tail -5 "$W/out" >&2
					exit 1
				}
			else
				d="$W/run$i"
				rm -rf "$d"
				setup_conf "$d"
				"$B/edigw" -q -c "$d/edigw.conf" ingest "$f" --partner bench >/dev/null
				$TIME -f "%e %M" -o "$W/t" "$B/edigw" -q -c "$d/edigw.conf" run --once >"$W/out" 2>&1 || {
					cat "$W/out" >&2
					exit 1
				}
				rm -rf "$d"
			fi
			read -r secs rss <"$W/t"
			echo "$secs" >>"$W/secs"
			echo "$rss" >>"$W/rss"
		done
		s=$(median <"$W/secs")
		r=$(median <"$W/rss")
		awk -v v="nl=$nl" -v st="$stage" -v mb="$mb" -v s="$s" -v r="$r" -v p="$POS" 'BEGIN {
			if (s < 0.001) s = 0.001;
			printf "%-8s %-8s %10s %10.1f %12.0f %12.1f\n", v, st, mb, mb/s, p/s, r/1024 }'
	done
done
echo "(medians of $RUNS runs; $POS POs; build $B)"
