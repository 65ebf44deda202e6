#!/bin/sh
# install.sh — install the libas2 AS2 peer that tests/check_as2_interop uses: Debian's
# nodejs and npm when node or npm is missing (apt-get, as root or through sudo -n), and
# openssl and curl (openssl-send.sh), then the exact versions of
# tests/as2/peer/package-lock.json into tests/as2/peer/node_modules with `npm ci`.
# Idempotent: npm ci runs only when node_modules does not match package-lock.json (a stamp
# file records the lock it was installed from), so a second run needs no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
peer=$here/peer
stamp=$peer/node_modules/.edigw-lock-stamp

say() { printf '==> %s\n' "$*"; }

pkgs=""
command -v node >/dev/null 2>&1 || pkgs="nodejs"
command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
command -v openssl >/dev/null 2>&1 || pkgs="$pkgs openssl"
command -v curl >/dev/null 2>&1 || pkgs="$pkgs curl"
if [ -n "$pkgs" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "install.sh: missing and not root (no password-less sudo): apt-get install$pkgs" >&2
		exit 1
	fi
	say "installing$pkgs (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 16 ]; then
	echo "install.sh: node $(node --version) is older than 16 (libas2 needs WebCrypto)" >&2
	exit 1
fi

want=$(cksum <"$peer/package-lock.json")
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$peer/node_modules/libas2/package.json" ]; then
	say "libas2 peer present ($peer/node_modules)"
	exit 0
fi
say "npm ci in $peer"
(cd "$peer" && npm ci --no-audit --no-fund --loglevel=error)
printf '%s\n' "$want" >"$stamp"
say "libas2 peer installed: libas2 $(cd "$peer" && node -p 'JSON.parse(require("fs").readFileSync("node_modules/libas2/package.json")).version')"
