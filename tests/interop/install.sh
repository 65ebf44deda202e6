#!/bin/sh
# install.sh — install the interop parsers that tests/check_interop.sh uses: Debian's
# nodejs and npm when node or npm is missing (apt-get, as root or through sudo -n), then
# the exact versions of package-lock.json into tests/interop/node_modules with `npm ci`.
# Idempotent: npm ci runs only when node_modules does not match package-lock.json (a stamp
# file records the lock it was installed from), so a second run needs no network.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
stamp=$here/node_modules/.edigw-lock-stamp

say() { printf '==> %s\n' "$*"; }

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	pkgs=""
	command -v node >/dev/null 2>&1 || pkgs="nodejs"
	command -v npm >/dev/null 2>&1 || pkgs="$pkgs npm"
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		echo "install.sh: node/npm missing and not root (no password-less sudo): apt-get install$pkgs" >&2
		exit 1
	fi
	say "installing$pkgs (apt-get)"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	# shellcheck disable=SC2086
	$sudo apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 18 ]; then
	echo "install.sh: node $(node --version) is older than 18 (x12-parser needs 18)" >&2
	exit 1
fi

want=$(cksum <"$here/package-lock.json")
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$here/node_modules/node-x12/package.json" ] &&
	[ -f "$here/node_modules/x12-parser/package.json" ] && [ -f "$here/node_modules/edifact/package.json" ]; then
	say "interop parsers present ($here/node_modules)"
	exit 0
fi
say "npm ci in $here"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
printf '%s\n' "$want" >"$stamp"
say "interop parsers installed: $(cd "$here" && node -p '["node-x12", "x12-parser", "edifact"].map(p => p + " " +
	JSON.parse(require("fs").readFileSync("node_modules/" + p + "/package.json")).version).join(", ")')"
