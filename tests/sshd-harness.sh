#!/bin/sh
# sshd-harness.sh — a throw-away OpenSSH server on loopback for the SFTP tests.
#
#   sshd-harness.sh start DIR [PORT]   generate host and client keys in DIR, write
#                                      sshd_config, start /usr/sbin/sshd on 127.0.0.1
#                                      (a free port when PORT is not given) and print
#                                      the port; DIR/sshd.pid holds the server's pid
#   sshd-harness.sh stop DIR           stop the server started in DIR
#   sshd-harness.sh check              exit 0 when sshd and ssh-keygen are there, 77 if not
#
# What DIR holds afterwards (the tests read these):
#   host_ed25519(.pub) host_rsa(.pub)  the server's host keys
#   id_ed25519(.pub) id_rsa(.pub)      client keys, both in authorized_keys
#   id_ed25519_pass id_rsa_pass        client keys encrypted with the passphrase in
#                                      key_passphrase (OpenSSH and PEM format), authorized
#   other_ed25519.pub                  a key the server does NOT have (a "changed" host key)
#   known_hosts                        [127.0.0.1]:PORT with the ed25519 host key
#   known_hosts_rsa                    [127.0.0.1]:PORT with the RSA host key only
#   known_hosts_wrong                  [127.0.0.1]:PORT with other_ed25519 (changed key)
#   known_hosts_other                  another host only (our host is unknown)
#   sshd_config sshd.log port
#
# The server runs as the current user. CI runs as root, hence PermitRootLogin
# prohibit-password, StrictModes no (the keys live in a world-readable /tmp
# tree) and UsePAM no. libssh2 1.10 signs and verifies RSA with ssh-rsa
# (SHA-1), which OpenSSH 8.8+ no longer offers by default: the server enables
# it so that RSA keys can be tested; ed25519 needs nothing special.
set -eu

SSHD=${SSHD:-/usr/sbin/sshd}

die() {
	echo "sshd-harness: $*" >&2
	exit 1
}

cmd=${1:-}
case $cmd in
check)
	if [ -x "$SSHD" ] && command -v ssh-keygen >/dev/null 2>&1; then
		exit 0
	fi
	exit 77
	;;
start)
	dir=${2:?usage: sshd-harness.sh start DIR [PORT]}
	want_port=${3:-}
	;;
stop)
	dir=${2:?usage: sshd-harness.sh stop DIR}
	if [ -f "$dir/sshd.pid" ]; then
		pid=$(cat "$dir/sshd.pid")
		case $pid in
		'' | *[!0-9]*) die "bad pid file $dir/sshd.pid" ;;
		esac
		kill "$pid" 2>/dev/null || true
		# wait until the listener is gone so a restart on the same port can bind
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		rm -f "$dir/sshd.pid"
	fi
	exit 0
	;;
*)
	echo "usage: sshd-harness.sh start DIR [PORT] | stop DIR | check" >&2
	exit 2
	;;
esac

[ -x "$SSHD" ] || {
	echo "sshd-harness: $SSHD not found" >&2
	exit 77
}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# privilege separation directory (root only; a non-root sshd does not use it)
if [ "$(id -u)" = 0 ] && [ ! -d /run/sshd ]; then
	mkdir -p /run/sshd
	chmod 0755 /run/sshd
fi

key() { # type file
	[ -f "$2" ] || ssh-keygen -q -t "$1" -N '' -C "edigw-test-$1" -f "$2" >/dev/null
}
key ed25519 "$dir/host_ed25519"
key rsa "$dir/host_rsa"
key ed25519 "$dir/id_ed25519"
key rsa "$dir/id_rsa"
key ed25519 "$dir/other_ed25519"
# encrypted client keys: OpenSSH format (bcrypt KDF) and PEM (OpenSSL's encryption)
printf 'edigw test passphrase\n' >"$dir/key_passphrase"
[ -f "$dir/id_ed25519_pass" ] ||
	ssh-keygen -q -t ed25519 -N 'edigw test passphrase' -C edigw-test-pass -f "$dir/id_ed25519_pass" >/dev/null
[ -f "$dir/id_rsa_pass" ] ||
	ssh-keygen -q -t rsa -b 2048 -m PEM -N 'edigw test passphrase' -C edigw-test-pass-pem -f "$dir/id_rsa_pass" >/dev/null
chmod 600 "$dir/host_ed25519" "$dir/host_rsa" "$dir/id_ed25519" "$dir/id_rsa" "$dir/other_ed25519" \
	"$dir/id_ed25519_pass" "$dir/id_rsa_pass" "$dir/key_passphrase"
cat "$dir/id_ed25519.pub" "$dir/id_rsa.pub" "$dir/id_ed25519_pass.pub" "$dir/id_rsa_pass.pub" >"$dir/authorized_keys"

pick_port() {
	# 20000..59999 at random; a port in use makes sshd fail and we try another
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
}

tries=0
while :; do
	if [ -n "$want_port" ]; then
		port=$want_port
	else
		port=$(pick_port)
	fi
	cat >"$dir/sshd_config" <<EOF
Port $port
ListenAddress 127.0.0.1
HostKey $dir/host_ed25519
HostKey $dir/host_rsa
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PasswordAuthentication yes
KbdInteractiveAuthentication no
PubkeyAuthentication yes
HostKeyAlgorithms +ssh-rsa
PubkeyAcceptedAlgorithms +ssh-rsa
Subsystem sftp internal-sftp
LogLevel VERBOSE
MaxStartups 100
MaxSessions 100
EOF
	: >"$dir/sshd.log"
	rm -f "$dir/sshd.pid"
	"$SSHD" -f "$dir/sshd_config" -E "$dir/sshd.log"
	# sshd forks into the background once it listens; the pid file says so
	i=0
	while [ ! -s "$dir/sshd.pid" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ -s "$dir/sshd.pid" ] && grep -q "Server listening" "$dir/sshd.log"; then
		break
	fi
	tries=$((tries + 1))
	if [ -n "$want_port" ] || [ $tries -ge 20 ]; then
		cat "$dir/sshd.log" >&2
		die "sshd did not start on port $port"
	fi
done

pub() { cut -d' ' -f1,2 "$1"; }
echo "[127.0.0.1]:$port $(pub "$dir/host_ed25519.pub")" >"$dir/known_hosts"
echo "[127.0.0.1]:$port $(pub "$dir/host_rsa.pub")" >"$dir/known_hosts_rsa"
echo "[127.0.0.1]:$port $(pub "$dir/other_ed25519.pub")" >"$dir/known_hosts_wrong"
echo "[192.0.2.1]:$port $(pub "$dir/host_ed25519.pub")" >"$dir/known_hosts_other"
echo "$port" >"$dir/port"
echo "$port"
