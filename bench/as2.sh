#!/usr/bin/env bash
# bench/as2.sh — AS2 messages per second received by the edigw daemon:
# signed (SHA-256), encrypted (AES-256-CBC, RSA PKCS#1 v1.5) and answered with
# a signed sync MDN, with a ~1 KB and a ~1 MB X12 850 payload.
#
#   bench/as2.sh [BUILD_DIR] [RUNS] [N] [NBIG]
#
#   BUILD_DIR  configured build directory (default: build)
#   RUNS       runs per measurement, medians are printed (default 5)
#   N          messages per run with the 1 KB payload (default 1000)
#   NBIG       messages per run with the 1 MB payload (default: $NBIG, else 100)
#
# AS2_TLS=1 runs the same over https: the daemon with as2.tls-cert/as2.tls-key
# (tests/data/as2/certs/tls-localhost.*), the client trusting only that
# certificate; every message is a new TLS handshake (RSA-2048), as with our
# sender.
#
# Each run starts `edigw run` (the daemon) on a fresh spool with
# `as2.listen = 127.0.0.1:PORT` (a free loopback port) and the test
# certificates of tests/data/as2/certs (we are GATEWAY; the partner "bench",
# AS2 name BENCHPART, has peerjs.crt and must sign and encrypt), then
# bench/as2send sends the payload N times, one message after another (a new
# HTTP connection each, as our own sender does), and checks that every MDN is
# signed, verifies against gateway.crt, names the Message-ID, says
# "processed" and returns the MIC it computed; anything else stops the bench.
# poll-interval is one day, so the daemon only receives while we measure
# (storing each message durably in spool/incoming before its MDN); the bench
# then checks that spool/incoming holds N jobs and stops the daemon (SIGTERM).
#
# Columns (medians of RUNS):
#   wall_s        the client's wall time for the N messages (build, POST,
#                 receive + store + sign the MDN on the server, verify the MDN)
#   msg/s, MB/s   N / wall_s, N x payload bytes / wall_s
#   cli_cpu_s     user + system CPU of bench/as2send for the N messages
#   cli_build_s   of the wall time, the client signing and encrypting
#   srv_cpu_s     user + system CPU of the daemon during the N messages
#                 (/proc/PID/stat, all threads; clock ticks of 10 ms)
#   srv_RSS_MiB   the daemon's peak RSS (VmHWM) at the end of the run,
#                 start-up (definitions, canonical.rng) included
set -euo pipefail
export LC_ALL=C
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
RUNS=${2:-5}
N=${3:-1000}
NBIG=${4:-${NBIG:-100}}
CERTS=$TOP/tests/data/as2/certs
make -C "$B" -s edigw bench/gen850 bench/as2send >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/edigw-as2bench.XXXXXX")
DPID=
cleanup() {
	if [ -n "$DPID" ]; then
		kill "$DPID" 2>/dev/null || true
		wait "$DPID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
TICK=$(getconf CLK_TCK)
SCHEME=http TLSCONF= CAARGS=()
if [ "${AS2_TLS:-0}" = 1 ]; then
	SCHEME=https
	TLSCONF="as2.tls-cert = $CERTS/tls-localhost.crt
as2.tls-key = $CERTS/tls-localhost.key"
	CAARGS=(--ca "$CERTS/tls-localhost.crt")
fi

# Payloads: 2 POs (1,262 bytes) and 1,330 POs (1,049,964 bytes, ~1 MiB).
"$B/bench/gen850" --pos 2 >"$W/1k.x12"
"$B/bench/gen850" --pos 1330 >"$W/1m.x12"

# Is something listening on 127.0.0.1:$1?
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# A port nobody listens on, below the ephemeral range (the client's connections
# in TIME_WAIT hold ephemeral ports: bind would fail there).
free_port() {
	local p
	while :; do
		p=$((20000 + RANDOM % 12000))
		listening "$p" || break
	done
	echo "$p"
}
# user + system clock ticks of process $1, all threads
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# A configuration in $1 listening on port $2.
setup() {
	local d=$1 port=$2
	rm -rf "$d"
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
as2.id = GATEWAY
as2.key = $CERTS/gateway.key
as2.cert = $CERTS/gateway.crt
as2.listen = 127.0.0.1:$port
$TLSCONF
poll-interval = 1d
log-level = warning
CONF
	cat >"$d/partners/bench.conf" <<CONF
id = bench
x12.qualifier = ZZ
x12.id = BENCHRETAIL
x12.gs-id = BENCHRETAIL
document.850 = $TOP/maps/x12/850.map
ack = 997
as2.id = BENCHPART
as2.cert = $CERTS/peerjs.crt
as2.require-signature = yes
as2.require-encryption = yes
CONF
}

printf '%-7s %9s %5s %8s %8s %7s %9s %11s %9s %11s  %s\n' payload bytes N wall_s msg/s MB/s cli_cpu_s cli_build_s srv_cpu_s srv_RSS_MiB wall_min-max
for size in 1k 1m; do
	f="$W/$size.x12"
	bytes=$(stat -c %s "$f")
	n=$N
	[ "$size" = 1m ] && n=$NBIG
	: >"$W/wall"
	: >"$W/ccpu"
	: >"$W/cbuild"
	: >"$W/scpu"
	: >"$W/rss"
	for ((r = 1; r <= RUNS; r++)); do
		# start the daemon; a port taken meanwhile: another one (5 tries)
		for ((try = 1; ; try++)); do
			port=$(free_port)
			d="$W/run"
			setup "$d" "$port"
			"$B/edigw" -c "$d/edigw.conf" run >"$W/daemon.log" 2>&1 &
			DPID=$!
			for ((i = 0; i < 300; i++)); do
				listening "$port" && break
				kill -0 "$DPID" 2>/dev/null || break
				sleep 0.05
			done
			listening "$port" && kill -0 "$DPID" 2>/dev/null && break
			kill "$DPID" 2>/dev/null || true
			wait "$DPID" 2>/dev/null || true
			DPID=
			[ "$try" -lt 5 ] || {
				echo "bench: the daemon does not listen on port $port" >&2
				cat "$W/daemon.log" >&2
				exit 1
			}
		done
		sleep 0.2 # let the first (empty) pass finish
		s0=$(ticks "$DPID")
		"$B/bench/as2send" --url "$SCHEME://127.0.0.1:$port/as2" "${CAARGS[@]}" --from BENCHPART --to GATEWAY \
			--cert "$CERTS/peerjs.crt" --key "$CERTS/peerjs.key" --peer-cert "$CERTS/gateway.crt" \
			--payload "$f" --count "$n" --tag "r$r-$size" >"$W/out" 2>&1 || {
			echo "bench: as2send failed:" >&2
			tail -20 "$W/out" >&2
			tail -20 "$W/daemon.log" >&2
			exit 1
		}
		s1=$(ticks "$DPID")
		awk '/^VmHWM:/ {printf "%.1f\n", $2 / 1024}' "/proc/$DPID/status" >>"$W/rss"
		kill -TERM "$DPID"
		rc=0
		wait "$DPID" || rc=$?
		DPID=
		[ "$rc" -eq 0 ] || {
			echo "bench: the daemon exited with $rc" >&2
			cat "$W/daemon.log" >&2
			exit 1
		}
		jobs=$(find "$d/spool/incoming" -type f | wc -l)
		[ "$jobs" -eq "$n" ] || {
			echo "bench: $jobs job(s) in spool/incoming, not $n" >&2
			exit 1
		}
		grep -q "^as2send: $n sent, $n processed, 0 failed" "$W/out" || {
			cat "$W/out" >&2
			exit 1
		}
		sed -E 's/.*wall ([0-9.]+) s.*/\1/' "$W/out" >>"$W/wall"
		sed -E 's/.*cpu ([0-9.]+) s.*/\1/' "$W/out" >>"$W/ccpu"
		sed -E 's/.*build ([0-9.]+) s.*/\1/' "$W/out" >>"$W/cbuild"
		awk -v a="$s0" -v b="$s1" -v t="$TICK" 'BEGIN {printf "%.2f\n", (b - a) / t}' >>"$W/scpu"
	done
	w=$(median <"$W/wall")
	awk -v p="$size" -v by="$bytes" -v n="$n" -v w="$w" -v cc="$(median <"$W/ccpu")" -v cb="$(median <"$W/cbuild")" \
		-v sc="$(median <"$W/scpu")" -v rss="$(median <"$W/rss")" -v lo="$(sort -g "$W/wall" | head -1)" \
		-v hi="$(sort -g "$W/wall" | tail -1)" 'BEGIN {
		printf "%-7s %9d %5d %8.3f %8.1f %7.2f %9.3f %11.3f %9.2f %11.1f  %.3f-%.3f\n", p, by, n, w, n / w, n * by / 1e6 / w, cc, cb, sc, rss, lo, hi }'
done
echo "(medians of $RUNS runs; $SCHEME; sha256 + aes256-cbc, signed sync MDN; one message at a time; build $B)"
