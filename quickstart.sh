#!/usr/bin/env bash
# quickstart.sh — set up edigw on a fresh Debian 12 machine and either run the
# bundled demo or the whole test suite.
#
#   ./quickstart.sh demo   install missing packages, build, run the gateway once
#                          over the demo partner's sample documents, show results
#   ./quickstart.sh test   install missing packages, build with -Werror and run
#                          every test; then again under ASan+UBSan
#
# Run as root (or with sudo available) when packages are missing.
set -euo pipefail

cd "$(dirname "$0")"
TOP=$(pwd)
JOBS=$(nproc 2>/dev/null || echo 2)

PKGS="build-essential autoconf automake libtool pkg-config libxml2-dev libssh2-1-dev
libssl-dev libsqlite3-dev zlib1g-dev check libsubunit-dev libmicrohttpd-dev libcurl4-openssl-dev
openssh-server openssh-client openssl"

say() { printf '\n==> %s\n' "$*"; }

install_deps() {
	local missing=""
	for p in $PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
	done
	if [ -z "$missing" ]; then
		say "build dependencies present"
		return
	fi
	say "installing:$missing"
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $missing
}

# build DIR [configure options...]
build() {
	local dir=$1
	shift
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		say "bootstrap (autoreconf -fi)"
		autoreconf -fi >/dev/null
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ "$dir/config.status" -ot configure ] ||
	   [ "$(cat "$dir/.edigw-configure-args" 2>/dev/null)" != "$*" ]; then
		say "configure $* (in $dir)"
		(cd "$dir" && "$TOP/configure" -q "$@")
		printf '%s' "$*" >"$dir/.edigw-configure-args"
	fi
	say "build (in $dir)"
	make -C "$dir" -j"$JOBS" >/dev/null
}

demo() {
	install_deps
	build build
	local E="$TOP/build/edigw -c $TOP/edigw.conf"
	say "resetting the demo state (spool/ queues and ledger, erp/)"
	rm -rf spool/tmp spool/incoming spool/active spool/deferred spool/hold spool/failed \
		spool/archive spool/outbound spool/sent spool/ledger.db spool/ledger.db-wal \
		spool/ledger.db-shm erp erp-export
	local p
	for p in demo-retailer demo-eu-customer demo-3pl; do
		mkdir -p "spool/drop/$p" "erp-export/$p"
		cp partners/$p/samples/* "spool/drop/$p/"
		cp partners/$p/from-erp/* "erp-export/$p/"
	done
	say "checking the configuration"
	$E config check
	say "three partners sent us documents (spool/drop/<partner>/):"
	for p in demo-retailer demo-eu-customer demo-3pl; do
		echo "  $p:"
		ls -1 "spool/drop/$p" | sed 's/^/    /'
	done
	say "our ERP exported files for them (erp-export/<partner>/):"
	for p in demo-retailer demo-eu-customer demo-3pl; do
		echo "  $p:"
		ls -1 "erp-export/$p" | sed 's/^/    /'
	done
	say "what the order response becomes (edigw export --dry-run: nothing is written)"
	$E export erp-export/demo-retailer/order-response-PO-4500012345.csv --partner demo-retailer --dry-run |
		sed -n '/^document/,$p'
	say "edigw run --once"
	$E run --once
	say "ERP import files (erp/):"
	for f in erp/*.csv; do
		[ -e "$f" ] || continue
		echo "--- $f"
		cat "$f"
	done
	say "for the retailer (spool/outbound/demo-retailer/): our 855, 856 and 810, and 997s for its 850s"
	for f in spool/outbound/demo-retailer/*; do
		[ -e "$f" ] || continue
		echo "--- $f"
		tr '~' '\n' <"$f" | grep -v '^$'
	done
	say "for the EU customer (spool/outbound/demo-eu-customer/): our DESADV and the CONTRL for its ORDERS"
	for f in spool/outbound/demo-eu-customer/*; do
		[ -e "$f" ] || continue
		echo "--- $f"
		tr "'" '\n' <"$f"
	done
	say "for the 3PL (spool/outbound/demo-3pl/): our 940 warehouse shipping order"
	for f in spool/outbound/demo-3pl/*; do
		[ -e "$f" ] || continue
		echo "--- $f"
		tr '~' '\n' <"$f" | grep -v '^$'
	done
	say "the ERP's exported files, sent on (erp-export/<partner>/sent/):"
	ls -1 erp-export/*/sent/ | sed 's/^/    /'
	say "edigw status"
	$E status
	say "edigw track PO-4500012345 (the order, its 997, our 855 and the retailer's 997 for it)"
	$E track PO-4500012345
	cat <<MSG

Where to look:
  erp/                              ERP import files (one per inbound functional group or CSV file)
  erp-export/<partner>/sent/        the ERP's exports that became partner documents (failed/: why not)
  spool/outbound/<partner>/         what we send: 855/856/810, DESADV, 940, and the 997/TA1/CONTRL acks
  spool/archive/  spool/failed/     processed originals / rejected documents (with a Reason: header)
  build/edigw -c edigw.conf track PO-4500012345    the history of one purchase order
  build/edigw -c edigw.conf status --json           the same status, for monitoring
MSG
}

# Print each Check suite's summary line and a total.
summarize() {
	local dir=$1 label=$2
	local checks=0 failed=0
	echo
	echo "Check summaries ($label):"
	for log in "$dir"/tests/*.log; do
		[ -e "$log" ] || continue
		local line
		line=$(grep -h -E '^[0-9]+%: Checks: ' "$log" | tail -n 1 || true)
		[ -n "$line" ] || continue
		printf '  %-28s %s\n' "$(basename "$log" .log)" "$line"
		local c f e
		c=$(sed -E 's/.*Checks: ([0-9]+).*/\1/' <<<"$line")
		f=$(sed -E 's/.*Failures: ([0-9]+).*/\1/' <<<"$line")
		e=$(sed -E 's/.*Errors: ([0-9]+).*/\1/' <<<"$line")
		checks=$((checks + c))
		failed=$((failed + f + e))
	done
	TOTAL_PASSED=$((TOTAL_PASSED + checks - failed))
	TOTAL_FAILED=$((TOTAL_FAILED + failed))
}

run_checks() {
	local dir=$1 label=$2
	say "make check ($label)"
	local rc=0
	make -C "$dir" -j"$JOBS" check || rc=$?
	summarize "$dir" "$label"
	if [ $rc -ne 0 ]; then
		echo "make check failed ($label); failing logs:"
		for log in "$dir"/tests/*.log; do
			grep -q -E '^(FAIL|ERROR)' "${log%.log}.trs" 2>/dev/null && { echo "--- $log"; tail -n 60 "$log"; }
		done
		FAILED_RUNS=$((FAILED_RUNS + 1))
	fi
}

test_all() {
	install_deps
	# the independent parsers that read our outbound documents (doc/interop.md)
	say "interop parsers (npm: node-x12, x12-parser, edifact)"
	"$TOP/tests/interop/install.sh"
	# the AS2 peer (libas2 on npm) the AS2 tests talk to on loopback (doc/as2.md)
	"$TOP/tests/as2/install.sh"
	export EDIGW_REQUIRE_INTEROP=1
	# sshd (openssh-server, installed above) for the SFTP tests: missing is a failure here
	export EDIGW_REQUIRE_SFTP=1
	TOTAL_PASSED=0 TOTAL_FAILED=0 FAILED_RUNS=0
	build build --enable-werror
	run_checks build "gcc -Werror"
	build build-san --enable-sanitizers --enable-werror
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		run_checks build-san "AddressSanitizer + UndefinedBehaviorSanitizer"
	echo
	echo "tests: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
	[ "$FAILED_RUNS" -eq 0 ] && [ "$TOTAL_FAILED" -eq 0 ]
}

case "${1:-}" in
demo) demo ;;
test) test_all ;;
*)
	echo "usage: $0 demo|test" >&2
	exit 64
	;;
esac
