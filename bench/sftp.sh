#!/usr/bin/env bash
# bench/sftp.sh — SFTP files per second picked up by edigw from a partner's
# server: OpenSSH's sshd on loopback (tests/sshd-harness.sh: its own host and
# client keys, ed25519), N small X12 850 files (one purchase order each,
# ~630 bytes, their own control and PO numbers) in the partner's remote inbox,
# `sftp.ready-pattern = *.x12` so every file is taken at the first poll.
#
#   bench/sftp.sh [BUILD_DIR] [RUNS] [N]
#
#   BUILD_DIR  configured build directory (default: build)
#   RUNS       runs per measurement, medians are printed (default 5)
#   N          files in the remote inbox per run (default 1000)
#
# Stages (each run on a fresh spool and ledger, the inbox filled again):
#   pickup   edigw run --transports-once   the daemon's transport pass alone
#            (internal option of edigw run): one connection, list the inbox,
#            per file download into spool/tmp, ledger row, durable commit into
#            spool/incoming, remote removal — no processing
#   process  edigw run --once              right after pickup: processes the N
#            jobs now in spool/incoming (envelopes, 850 map, RELAX NG, ERP file,
#            997, ledger); no files are left on the server to take
#   e2e      edigw run --once              pickup + processing in one command on
#            a fresh spool: what cron's `edigw run --once` costs per file
# Every run must take all N files (inbox empty, N jobs) and, for process and
# e2e, accept N transaction sets; anything else stops the bench.
# Wall time from bash's EPOCHREALTIME; CPU (user + system) and peak RSS of the
# edigw process from GNU time (sshd's own CPU is not counted).
set -euo pipefail
export LC_ALL=C
TOP=$(cd "$(dirname "$0")/.." && pwd)
B=$(cd "${1:-$TOP/build}" && pwd)
RUNS=${2:-5}
N=${3:-1000}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 69; }
HARNESS=$TOP/tests/sshd-harness.sh
sh "$HARNESS" check || { echo "bench: needs sshd and ssh-keygen (openssh-server)" >&2; exit 69; }
make -C "$B" -s edigw bench/gen850 >/dev/null
W=$(mktemp -d "${TMPDIR:-/tmp}/edigw-sftpbench.XXXXXX")
cleanup() {
	sh "$HARNESS" stop "$W/sshd" >/dev/null 2>&1 || true
	rm -rf "$W"
}
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

PORT=$(sh "$HARNESS" start "$W/sshd")
USER_NAME=$(id -un)

# N one-PO 850 files, each with its own ISA13/GS06 and PO number.
mkdir -p "$W/files"
"$B/bench/gen850" --pos 1 >"$W/one.x12"
awk -v n="$N" -v dir="$W/files" '{ t = t $0 } END {
	for (i = 1; i <= n; i++) {
		s = t
		sub(/\*000000777\*/, sprintf("*%09d*", i), s)
		sub(/\*777\*X\*/, sprintf("*%d*X*", i), s)
		sub(/GE\*1\*777~/, sprintf("GE*1*%d~", i), s)
		sub(/IEA\*1\*000000777~/, sprintf("IEA*1*%09d~", i), s)
		sub(/PO-000000001/, sprintf("PO-%09d", i), s)
		f = sprintf("%s/po-%06d.x12", dir, i)
		printf "%s", s >f
		close(f)
	}
}' "$W/one.x12"
bytes=$(stat -c %s "$W/files/po-000001.x12")

# A fresh configuration, spool and remote inbox holding the N files.
setup() {
	local d=$W/c
	rm -rf "$d" "$W/remote"
	mkdir -p "$d/partners" "$W/remote/in"
	cp "$W/files/"*.x12 "$W/remote/in/"
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
poll-interval = 1h
log-level = warning
CONF
	cat >"$d/partners/bench.conf" <<CONF
id = bench
x12.qualifier = ZZ
x12.id = BENCHRETAIL
x12.gs-id = BENCHRETAIL
document.850 = $TOP/maps/x12/850.map
ack = 997
sftp.host = 127.0.0.1
sftp.port = $PORT
sftp.user = $USER_NAME
sftp.key = $W/sshd/id_ed25519
sftp.known-hosts = $W/sshd/known_hosts
sftp.inbox = $W/remote/in
sftp.ready-pattern = *.x12
sftp.timeout = 60s
CONF
}

# Run edigw ARGS... in $W/c, timed; appends to $W/<stage>.{wall,cpu,rss}.
timed() {
	local stage=$1
	shift
	local t0 t1 rc=0
	t0=$EPOCHREALTIME
	(cd "$W/c" && "$TIME" -f '%M %U %S' -o "$W/t" "$B/edigw" -c edigw.conf "$@" >"$W/out" 2>&1) || rc=$?
	t1=$EPOCHREALTIME
	[ "$rc" -eq 0 ] || {
		echo "bench: $stage: edigw $* exited with $rc" >&2
		tail -20 "$W/out" >&2
		exit 1
	}
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}' >>"$W/$stage.wall"
	tail -1 "$W/t" | awk '{ printf "%.1f\n", $1 / 1024 >>"'"$W/$stage.rss"'"; printf "%.2f\n", $2 + $3 >>"'"$W/$stage.cpu"'" }'
}

# The inbox must be empty and N jobs in the spool (in incoming/ or, processed, in archive/).
check_taken() {
	local left jobs
	left=$(find "$W/remote/in" -type f | wc -l)
	jobs=$(find "$W/c/spool/$1" -type f | wc -l)
	if [ "$left" -ne 0 ] || [ "$jobs" -ne "$N" ]; then
		echo "bench: $left file(s) left on the server, $jobs job(s) in spool/$1 (want 0 and $N)" >&2
		tail -20 "$W/out" >&2
		exit 1
	fi
}
check_accepted() {
	grep -q "transaction sets $N: $N accepted, 0 rejected" "$W/out" || {
		echo "bench: not every transaction set accepted" >&2
		cat "$W/out" >&2
		exit 1
	}
}

for st in pickup process e2e; do
	for x in wall cpu rss; do : >"$W/$st.$x"; done
done
for ((r = 1; r <= RUNS; r++)); do
	setup
	timed pickup run --transports-once
	check_taken incoming
	timed process run --once
	check_accepted
	check_taken archive
	setup
	timed e2e run --once
	check_accepted
	grep -q "$N file(s) picked up" "$W/out" || { cat "$W/out" >&2; exit 1; }
	check_taken archive
done

printf '%-8s %6s %6s %8s %8s %7s %12s\n' stage files bytes wall_s files/s cpu_s peakRSS_MiB
for st in pickup process e2e; do
	w=$(median <"$W/$st.wall")
	awk -v st="$st" -v n="$N" -v by="$bytes" -v w="$w" -v c="$(median <"$W/$st.cpu")" -v m="$(median <"$W/$st.rss")" 'BEGIN {
		printf "%-8s %6d %6d %8.3f %8.0f %7.2f %12.1f\n", st, n, by, w, n / w, c, m }'
done
echo "(medians of $RUNS runs; sshd on 127.0.0.1:$PORT, ed25519 key, one connection per pass; build $B)"
