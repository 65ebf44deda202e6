/*
 * sftp.c — the SFTP client of the transports (see sftp.h), on libssh2 in
 * blocking mode.
 *
 * Functions: sftp_connect/close/peer, sftp_list/entries_free, sftp_stat,
 * sftp_download, sftp_put, sftp_rename, sftp_remove, sftp_upload and the
 * helpers sftp_name_is_plain, sftp_path, sftp_check_secret_file.
 *
 * Time: the TCP connect is non-blocking with poll(2) and the timeout; from
 * then on libssh2_session_set_timeout bounds every blocking libssh2 call
 * (handshake, authentication, each SFTP request). A timeout or a socket
 * error marks the connection dead; sftp_close then shuts the socket down
 * first so that nothing waits again. Writes use MSG_NOSIGNAL (our send
 * callback), so a peer that goes away is an error, not a SIGPIPE.
 *
 * Host keys: known_hosts is read line by line (a line libssh2 cannot parse,
 * such as an unsupported key type or an @cert-authority line, is skipped);
 * the host key algorithms offered in the handshake are limited to the types
 * pinned for this host, so a server with several keys shows us one we can
 * check; the key is then checked with libssh2_knownhost_checkp ("[host]:port"
 * for a port other than 22, hashed names too) and refused when it is
 * unknown, different or listed @revoked. The message carries the server's
 * SHA256 fingerprint so an operator can compare it with the partner's.
 *
 * Secrets: a key, key passphrase or password file must be a regular file
 * (not a symlink) with no permission bits for group or others; a password or
 * passphrase is one line of at most SFTP_SECRET_MAX bytes, wiped from memory
 * after use and never logged.
 *
 * Partner bytes: remote names (at most SFTP_NAME_MAX bytes, SFTP_LIST_MAX per
 * listing) are kept as bytes with their length; messages show them escaped
 * and cut (escape_bytes). A download stops at the caller's size limit.
 *
 * Ownership: struct sftp_conn owns the socket, the libssh2 session and SFTP
 * handle; entries from sftp_list belong to the caller. One connection
 * belongs to one thread.
 */
#include "transport/sftp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libssh2.h>
#include <libssh2_sftp.h>

#define CHUNK 32768
#define DEFAULT_TIMEOUT_MS 30000
#define KNOWN_HOSTS_MAX (1024 * 1024)
#define SHOW 160 /* bytes of a remote path shown in a message */

struct sftp_conn {
	int sock;
	LIBSSH2_SESSION *s;
	LIBSSH2_SFTP *sftp;
	char *peer;
	unsigned timeout_ms;
	int dead;
};

/* ------------------------------------------------------------ helpers */

/* libssh2_init once per process (libssh2_exit at exit). */
static int ssh_init(void)
{
	static int done;
	if (done)
		return 0;
	if (libssh2_init(0) != 0)
		return -EIO;
	atexit(libssh2_exit);
	done = 1;
	return 0;
}

/* Reset err and write "sftp PEER: <message>" into it. */
static void say(struct buf *err, const char *peer, const char *fmt, ...) EDIGW_PRINTF(3, 4);
static void say(struct buf *err, const char *peer, const char *fmt, ...)
{
	if (!err)
		return;
	va_list ap;
	buf_reset(err);
	buf_printf(err, "sftp %s: ", peer);
	va_start(ap, fmt);
	buf_vprintf(err, fmt, ap);
	va_end(ap);
}

/* A remote path for a message: escaped and cut. Allocated. */
static char *show(const char *s)
{
	return escape_bytes(s, strlen(s), SHOW);
}

/* Whether bytes can be a file name. */
int sftp_name_is_plain(const char *name, size_t len)
{
	if (!name || len == 0 || memchr(name, '\0', len) || memchr(name, '/', len))
		return 0;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return 0;
	return 1;
}

/* dir/name with one '/'. */
char *sftp_path(const char *dir, const char *name)
{
	size_t n = strlen(dir);
	if (n == 0)
		return xstrdup(name);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

/* A key or password file: regular, not a symlink, nothing for group or others. */
int sftp_check_secret_file(const char *path, const char *what, struct buf *err)
{
	struct stat st;
	if (lstat(path, &st) < 0) {
		int e = errno;
		if (err) {
			buf_reset(err);
			buf_printf(err, "%s %s: %s", what, path, strerror(e));
		}
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		if (err) {
			buf_reset(err);
			buf_printf(err, "%s %s: not a regular file%s", what, path,
				   S_ISLNK(st.st_mode) ? " (a symbolic link)" : "");
		}
		return -EPERM;
	}
	if (st.st_mode & 077) {
		if (err) {
			buf_reset(err);
			buf_printf(err, "%s %s is readable or writable by group or others (mode %04o); "
				   "refusing to use it: chmod 600 it", what, path, (unsigned)(st.st_mode & 07777));
		}
		return -EPERM;
	}
	return 0;
}

/* send(2) for libssh2 without SIGPIPE; libssh2 wants -errno on failure. */
static ssize_t send_nosig(libssh2_socket_t fd, const void *p, size_t n, int flags, void **abstract)
{
	(void)abstract;
	ssize_t r = send(fd, p, n, flags | MSG_NOSIGNAL);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return r;
}

/* Standard base64 without padding (as OpenSSH prints fingerprints). Allocated. */
static char *b64(const unsigned char *p, size_t n, int pad)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		buf_putc(&b, t[v >> 18 & 63]);
		buf_putc(&b, t[v >> 12 & 63]);
		if (i + 1 < n)
			buf_putc(&b, t[v >> 6 & 63]);
		else if (pad)
			buf_putc(&b, '=');
		if (i + 2 < n)
			buf_putc(&b, t[v & 63]);
		else if (pad)
			buf_putc(&b, '=');
	}
	return buf_steal(&b);
}

/* ------------------------------------------------------------ errors */

/* Turn a failed libssh2 call (rc) into a negative errno and a message naming op and
 * the remote path(s). A timeout or lost connection marks c dead. */
static int fail_op(struct sftp_conn *c, int rc, struct buf *err, const char *op, const char *path,
		   const char *path2)
{
	char *msg = NULL;
	int mlen = 0, e;
	char why[160];
	if (rc == LIBSSH2_ERROR_SFTP_PROTOCOL && c->sftp) {
		unsigned long fx = libssh2_sftp_last_error(c->sftp);
		switch (fx) {
		case LIBSSH2_FX_NO_SUCH_FILE:
		case LIBSSH2_FX_NO_SUCH_PATH:
			e = -ENOENT;
			snprintf(why, sizeof why, "no such file or directory");
			break;
		case LIBSSH2_FX_PERMISSION_DENIED:
		case LIBSSH2_FX_WRITE_PROTECT:
			e = -EACCES;
			snprintf(why, sizeof why, "permission denied");
			break;
		case LIBSSH2_FX_FILE_ALREADY_EXISTS:
			e = -EEXIST;
			snprintf(why, sizeof why, "the target exists");
			break;
		case LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM:
		case LIBSSH2_FX_QUOTA_EXCEEDED:
			e = -ENOSPC;
			snprintf(why, sizeof why, "no space left on the server");
			break;
		case LIBSSH2_FX_OP_UNSUPPORTED:
			e = -ENOTSUP;
			snprintf(why, sizeof why, "not supported by the server");
			break;
		case LIBSSH2_FX_NO_CONNECTION:
		case LIBSSH2_FX_CONNECTION_LOST:
			e = -ECONNRESET;
			c->dead = 1;
			snprintf(why, sizeof why, "connection lost");
			break;
		case LIBSSH2_FX_FAILURE:
			e = -EIO;
			snprintf(why, sizeof why, "the server reports a failure");
			break;
		default:
			e = -EPROTO;
			snprintf(why, sizeof why, "SFTP status %lu", fx);
			break;
		}
	} else if (rc == LIBSSH2_ERROR_TIMEOUT || rc == LIBSSH2_ERROR_SOCKET_TIMEOUT) {
		e = -ETIMEDOUT;
		c->dead = 1;
		snprintf(why, sizeof why, "no answer within %u ms (timed out)", c->timeout_ms);
	} else if (rc == LIBSSH2_ERROR_SOCKET_SEND || rc == LIBSSH2_ERROR_SOCKET_RECV ||
		   rc == LIBSSH2_ERROR_SOCKET_DISCONNECT || rc == LIBSSH2_ERROR_SOCKET_NONE ||
		   rc == LIBSSH2_ERROR_CHANNEL_CLOSED || rc == LIBSSH2_ERROR_CHANNEL_EOF_SENT) {
		e = -ECONNRESET;
		c->dead = 1;
		snprintf(why, sizeof why, "connection lost");
	} else {
		e = -EPROTO;
		if (c->s)
			libssh2_session_last_error(c->s, &msg, &mlen, 0);
		snprintf(why, sizeof why, "%.*s (libssh2 error %d)", msg ? mlen : 0, msg ? msg : "", rc);
	}
	char *a = path ? show(path) : NULL, *b = path2 ? show(path2) : NULL;
	if (a && b)
		say(err, c->peer, "%s %s -> %s: %s", op, a, b, why);
	else if (a)
		say(err, c->peer, "%s %s: %s", op, a, why);
	else
		say(err, c->peer, "%s: %s", op, why);
	free(a);
	free(b);
	return e;
}

/* The session's last error as text (for connect steps). */
static const char *last_msg(struct sftp_conn *c, char *out, size_t n)
{
	char *msg = NULL;
	int mlen = 0;
	libssh2_session_last_error(c->s, &msg, &mlen, 0);
	snprintf(out, n, "%.*s", msg ? mlen : 0, msg ? msg : "unknown error");
	return out;
}

/* ------------------------------------------------------------ connect */

/* Wait for fd to become writable within ms; 0, -ETIMEDOUT or -errno. */
static int wait_writable(int fd, unsigned ms)
{
	uint64_t end = now_ms() + ms;
	for (;;) {
		uint64_t t = now_ms();
		if (t >= end)
			return -ETIMEDOUT;
		struct pollfd p = { fd, POLLOUT, 0 };
		int r = poll(&p, 1, (int)(end - t));
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* TCP connect to host:port within ms (every address tried); *fd blocking on success. */
static int tcp_connect(struct sftp_conn *c, const char *host, unsigned port, unsigned ms, struct buf *err)
{
	struct addrinfo hints, *res = NULL;
	char ps[8];
	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	snprintf(ps, sizeof ps, "%u", port);
	int g = getaddrinfo(host, ps, &hints, &res);
	if (g != 0) {
		say(err, c->peer, "connect: cannot resolve the host name: %s", gai_strerror(g));
		return -EHOSTUNREACH;
	}
	int rc = -ECONNREFUSED;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			rc = -errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
			if (errno != EINPROGRESS) {
				rc = -errno;
				close(fd);
				continue;
			}
			if ((rc = wait_writable(fd, ms)) < 0) {
				close(fd);
				continue;
			}
			int soe = 0;
			socklen_t sl = sizeof soe;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soe, &sl) < 0)
				soe = errno;
			if (soe) {
				rc = -soe;
				close(fd);
				continue;
			}
		}
		int fl = fcntl(fd, F_GETFL);
		if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
			rc = -errno;
			close(fd);
			continue;
		}
		c->sock = fd;
		rc = 0;
		break;
	}
	freeaddrinfo(res);
	if (rc == -ETIMEDOUT)
		say(err, c->peer, "connect: no answer within %u ms (timed out)", ms);
	else if (rc < 0)
		say(err, c->peer, "connect: %s", strerror(-rc));
	return rc;
}

/* Host key types pinned in known_hosts, as bits. */
enum { KT_ED25519 = 1, KT_RSA = 2, KT_ECDSA256 = 4, KT_ECDSA384 = 8, KT_ECDSA521 = 16 };

struct pinned {
	unsigned types;    /* types pinned for this host (or in hashed lines, which may be it) */
	size_t lines, bad; /* lines read, lines libssh2 could not take */
	char **revoked;    /* base64 keys of @revoked lines */
	size_t nrevoked;
};

/* The KT_ bit for a key type name, 0 when unknown. */
static unsigned kt_bit(struct span t)
{
	if (span_eq(t, "ssh-ed25519"))
		return KT_ED25519;
	if (span_eq(t, "ssh-rsa"))
		return KT_RSA;
	if (span_eq(t, "ecdsa-sha2-nistp256"))
		return KT_ECDSA256;
	if (span_eq(t, "ecdsa-sha2-nistp384"))
		return KT_ECDSA384;
	if (span_eq(t, "ecdsa-sha2-nistp521"))
		return KT_ECDSA521;
	return 0;
}

/* Next blank-separated field of *s. */
static struct span next_field(struct span *s)
{
	size_t i = 0;
	while (i < s->n && (s->p[i] == ' ' || s->p[i] == '\t'))
		i++;
	size_t b = i;
	while (i < s->n && s->p[i] != ' ' && s->p[i] != '\t')
		i++;
	struct span f = { s->p + b, i - b };
	s->p += i;
	s->n -= i;
	return f;
}

/* Whether a known_hosts host list names host:port ("host" for 22, "[host]:port"),
 * or is hashed (then libssh2 decides; we cannot tell). */
static int hosts_match(struct span list, const char *host, unsigned port)
{
	char bracket[300];
	snprintf(bracket, sizeof bracket, "[%s]:%u", host, port);
	size_t i = 0;
	while (i < list.n) {
		size_t b = i;
		while (i < list.n && list.p[i] != ',')
			i++;
		struct span h = { list.p + b, i - b };
		i++;
		if (h.n >= 3 && memcmp(h.p, "|1|", 3) == 0)
			return 1;
		if ((port == 22 && h.n == strlen(host) && strncasecmp(h.p, host, h.n) == 0) ||
		    (h.n == strlen(bracket) && strncasecmp(h.p, bracket, h.n) == 0))
			return 1;
	}
	return 0;
}

/* Read known_hosts into kh line by line; note the key types pinned for host:port. */
static int read_known_hosts(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS *kh, const char *path, const char *host,
			    unsigned port, struct pinned *pin, struct buf *err)
{
	struct buf f;
	buf_init(&f, 0);
	int rc = file_read_all(path, KNOWN_HOSTS_MAX, &f);
	if (rc < 0) {
		say(err, c->peer, "cannot read sftp.known-hosts %s: %s; refusing to connect without a pinned "
			 "host key", path, rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		goto out;
	}
	const char *p = f.data, *end = f.data + f.len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		struct span line = { p, (size_t)((nl ? nl : end) - p) };
		p = nl ? nl + 1 : end;
		line = span_trim(line);
		if (line.n && line.p[line.n - 1] == '\r')
			line.n--;
		if (line.n == 0 || line.p[0] == '#')
			continue;
		pin->lines++;
		struct span rest = line;
		if (line.p[0] == '@') {
			struct span marker = next_field(&rest);
			struct span hosts = next_field(&rest);
			(void)hosts;
			next_field(&rest); /* type */
			struct span key = next_field(&rest);
			if (span_eq(marker, "@revoked") && key.n) {
				pin->revoked = xrealloc(pin->revoked, (pin->nrevoked + 1) * sizeof *pin->revoked);
				pin->revoked[pin->nrevoked++] = span_dup(key);
			}
			continue; /* @cert-authority: certificates are not used */
		}
		struct span hosts = next_field(&rest);
		struct span type = next_field(&rest);
		char *l = span_dup(line);
		int r = libssh2_knownhost_readline(kh, l, line.n, LIBSSH2_KNOWNHOST_FILE_OPENSSH);
		free(l);
		if (r < 0) {
			pin->bad++;
			continue;
		}
		if (hosts_match(hosts, host, port))
			pin->types |= kt_bit(type);
	}
out:
	buf_free(&f);
	return rc;
}

/* The host key algorithms libssh2 should offer for the pinned types (supported ones only). */
static void hostkey_pref(struct sftp_conn *c, unsigned types, struct buf *pref)
{
	static const struct {
		unsigned bit;
		const char *alg;
	} order[] = {
		{ KT_ED25519, "ssh-ed25519" },
		{ KT_ECDSA256, "ecdsa-sha2-nistp256" },
		{ KT_ECDSA384, "ecdsa-sha2-nistp384" },
		{ KT_ECDSA521, "ecdsa-sha2-nistp521" },
		{ KT_RSA, "rsa-sha2-512" },
		{ KT_RSA, "rsa-sha2-256" },
		{ KT_RSA, "ssh-rsa" },
	};
	const char **algs = NULL;
	int n = libssh2_session_supported_algs(c->s, LIBSSH2_METHOD_HOSTKEY, &algs);
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		if (!(types & order[i].bit))
			continue;
		int ok = 0;
		for (int k = 0; k < n && !ok; k++)
			ok = strcmp(algs[k], order[i].alg) == 0;
		if (ok)
			buf_printf(pref, "%s%s", pref->len ? "," : "", order[i].alg);
	}
	if (n > 0)
		libssh2_free(c->s, algs);
}

/* The session's host key type as a knownhost type mask and as a name. */
static int kh_keytype(int type, const char **name)
{
	switch (type) {
	case LIBSSH2_HOSTKEY_TYPE_RSA: *name = "ssh-rsa"; return LIBSSH2_KNOWNHOST_KEY_SSHRSA;
	case LIBSSH2_HOSTKEY_TYPE_DSS: *name = "ssh-dss"; return LIBSSH2_KNOWNHOST_KEY_SSHDSS;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_256: *name = "ecdsa-sha2-nistp256"; return LIBSSH2_KNOWNHOST_KEY_ECDSA_256;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_384: *name = "ecdsa-sha2-nistp384"; return LIBSSH2_KNOWNHOST_KEY_ECDSA_384;
	case LIBSSH2_HOSTKEY_TYPE_ECDSA_521: *name = "ecdsa-sha2-nistp521"; return LIBSSH2_KNOWNHOST_KEY_ECDSA_521;
	case LIBSSH2_HOSTKEY_TYPE_ED25519: *name = "ssh-ed25519"; return LIBSSH2_KNOWNHOST_KEY_ED25519;
	default: *name = "unknown"; return LIBSSH2_KNOWNHOST_KEY_UNKNOWN;
	}
}

/* After the handshake: the server's key must be pinned for host:port in kh. */
static int check_host_key(struct sftp_conn *c, LIBSSH2_KNOWNHOSTS *kh, const struct sftp_opts *o,
			  const struct pinned *pin, struct buf *err)
{
	size_t klen = 0;
	int ktype = 0;
	const char *key = libssh2_session_hostkey(c->s, &klen, &ktype);
	if (!key) {
		say(err, c->peer, "host key: the server sent none");
		return -EPROTO;
	}
	const char *tname;
	int mask = kh_keytype(ktype, &tname);
	const unsigned char *h = (const unsigned char *)libssh2_hostkey_hash(c->s, LIBSSH2_HOSTKEY_HASH_SHA256);
	char *fp = h ? b64(h, 32, 0) : xstrdup("?");
	char *kb = b64((const unsigned char *)key, klen, 1);
	int rc = 0;
	for (size_t i = 0; i < pin->nrevoked; i++) {
		if (strcmp(pin->revoked[i], kb) == 0) {
			say(err, c->peer, "host key %s SHA256:%s is marked @revoked in %s; refusing to connect",
			    tname, fp, o->known_hosts);
			rc = -EKEYREJECTED;
			goto out;
		}
	}
	struct libssh2_knownhost *ext = NULL;
	int r = libssh2_knownhost_checkp(kh, o->host, (int)o->port, key, klen,
					 LIBSSH2_KNOWNHOST_TYPE_PLAIN | LIBSSH2_KNOWNHOST_KEYENC_RAW | mask, &ext);
	switch (r) {
	case LIBSSH2_KNOWNHOST_CHECK_MATCH:
		break;
	case LIBSSH2_KNOWNHOST_CHECK_MISMATCH:
		say(err, c->peer, "HOST KEY CHANGED: the server's %s key SHA256:%s is not the key pinned for it "
			 "in %s; refusing to connect (if the partner really changed its key, check the new "
			 "fingerprint with them and replace the line)", tname, fp, o->known_hosts);
		rc = -EKEYREJECTED;
		break;
	case LIBSSH2_KNOWNHOST_CHECK_NOTFOUND:
		say(err, c->peer, "unknown host key: the server's %s key SHA256:%s is not in %s; refusing to "
			 "connect (check the fingerprint with the partner, then add the line that "
			 "'ssh-keyscan -p %u %s' prints)", tname, fp, o->known_hosts, o->port, o->host);
		rc = -ENOKEY;
		break;
	default:
		say(err, c->peer, "host key %s SHA256:%s could not be checked against %s", tname, fp,
		    o->known_hosts);
		rc = -EKEYREJECTED;
		break;
	}
out:
	free(fp);
	free(kb);
	return rc;
}

/* Read a secret file (one line: a password or a key's passphrase; setting names it in
 * messages) into pw; the caller wipes it. */
static int read_secret_line(const char *path, const char *setting, struct buf *pw, struct buf *why)
{
	int rc = file_read_all(path, SFTP_SECRET_MAX, pw);
	if (rc < 0) {
		buf_printf(why, "cannot read %s %s: %s", setting, path,
			   rc == -EFBIG ? "larger than 1024 bytes" : strerror(-rc));
		return rc;
	}
	if (pw->len && pw->data[pw->len - 1] == '\n')
		pw->data[--pw->len] = '\0';
	if (pw->len && pw->data[pw->len - 1] == '\r')
		pw->data[--pw->len] = '\0';
	if (pw->len == 0 || memchr(pw->data, '\n', pw->len) || memchr(pw->data, '\0', pw->len)) {
		buf_printf(why, "%s %s must hold the secret on one line", setting, path);
		return -EINVAL;
	}
	return 0;
}

/* Authenticate as o->user with the key (unlocked with its passphrase file when given) or
 * the password file. Secrets are wiped after use. */
static int authenticate(struct sftp_conn *c, const struct sftp_opts *o, struct buf *err)
{
	char msg[256];
	int r, rc = 0;
	unsigned ulen = (unsigned)strlen(o->user);
	const char *secret_file = o->key ? o->key_passphrase_file : o->password_file;
	const char *setting = o->key ? "sftp.key-passphrase-file" : "sftp.password-file";
	struct buf pw, why;
	buf_init(&pw, SFTP_SECRET_MAX + 1);
	buf_init(&why, 0);
	if (secret_file && (rc = read_secret_line(secret_file, setting, &pw, &why)) < 0) {
		say(err, c->peer, "%s", why.data);
		goto out;
	}
	if (o->key) {
		r = libssh2_userauth_publickey_fromfile_ex(c->s, o->user, ulen, NULL, o->key,
							   secret_file ? pw.data : NULL);
		if (r == 0) {
			rc = 0;
		} else if (r == LIBSSH2_ERROR_FILE) {
			say(err, c->peer, "cannot use private key %s: %s%s", o->key, last_msg(c, msg, sizeof msg),
			    secret_file ? " (is the passphrase in sftp.key-passphrase-file right?)"
					: " (an encrypted key needs sftp.key-passphrase-file)");
			rc = -EINVAL;
		} else if (r == LIBSSH2_ERROR_AUTHENTICATION_FAILED || r == LIBSSH2_ERROR_PUBLICKEY_UNVERIFIED) {
			say(err, c->peer, "authentication as %s with key %s refused by the server", o->user, o->key);
			rc = -EACCES;
		} else {
			rc = fail_op(c, r, err, "authentication", NULL, NULL);
		}
		goto out;
	}
	r = libssh2_userauth_password_ex(c->s, o->user, ulen, pw.data, (unsigned)pw.len, NULL);
	if (r == 0) {
		rc = 0;
	} else if (r == LIBSSH2_ERROR_AUTHENTICATION_FAILED || r == LIBSSH2_ERROR_PASSWORD_EXPIRED) {
		say(err, c->peer, "authentication as %s with the password from %s refused by the server", o->user,
		    o->password_file);
		rc = -EACCES;
	} else {
		rc = fail_op(c, r, err, "authentication", NULL, NULL);
	}
out:
	if (pw.data)
		explicit_bzero(pw.data, pw.cap);
	buf_free(&pw);
	buf_free(&why);
	return rc;
}

/* Connect, verify the host, authenticate, start SFTP. */
int sftp_connect(struct sftp_conn **out, const struct sftp_opts *o, struct buf *err)
{
	struct pinned pin;
	LIBSSH2_KNOWNHOSTS *kh = NULL;
	struct buf pref;
	char msg[256];
	int rc = 0;
	memset(&pin, 0, sizeof pin);
	buf_init(&pref, 0);
	*out = NULL;
	struct sftp_conn *c = xcalloc(1, sizeof *c);
	c->sock = -1;
	c->timeout_ms = o->timeout_ms ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->peer = xasprintf("%s:%u", o->host ? o->host : "?", o->port);
	if (!o->host || !o->host[0] || !o->user || !o->user[0] || o->port == 0 || o->port > 65535 ||
	    (!o->key == !o->password_file) || !o->known_hosts) {
		say(err, c->peer, "incomplete settings: host, port, user, known_hosts and either a key or a "
			 "password file are needed");
		rc = -EINVAL;
		goto out;
	}
	/* secrets first: a misconfiguration shows even while the server is down */
	struct buf why;
	buf_init(&why, 0);
	rc = sftp_check_secret_file(o->key ? o->key : o->password_file, o->key ? "sftp.key" : "sftp.password-file",
				    &why);
	if (rc == 0 && o->key && o->key_passphrase_file)
		rc = sftp_check_secret_file(o->key_passphrase_file, "sftp.key-passphrase-file", &why);
	if (rc < 0) {
		say(err, c->peer, "%s", why.data);
		buf_free(&why);
		goto out;
	}
	buf_free(&why);
	if ((rc = ssh_init()) < 0) {
		say(err, c->peer, "libssh2 cannot be initialised");
		goto out;
	}
	if ((rc = tcp_connect(c, o->host, o->port, c->timeout_ms, err)) < 0)
		goto out;
	c->s = libssh2_session_init();
	if (!c->s) {
		rc = -ENOMEM;
		say(err, c->peer, "cannot create an SSH session");
		goto out;
	}
	libssh2_session_set_blocking(c->s, 1);
	libssh2_session_set_timeout(c->s, (long)c->timeout_ms);
	libssh2_session_callback_set(c->s, LIBSSH2_CALLBACK_SEND, (void *)send_nosig);
	kh = libssh2_knownhost_init(c->s);
	if (!kh) {
		rc = -ENOMEM;
		say(err, c->peer, "cannot set up known hosts");
		goto out;
	}
	if ((rc = read_known_hosts(c, kh, o->known_hosts, o->host, o->port, &pin, err)) < 0)
		goto out;
	if (pin.bad)
		log_debug("sftp %s: %zu line(s) of %s skipped (key types libssh2 does not know)", c->peer, pin.bad,
			  o->known_hosts);
	hostkey_pref(c, pin.types, &pref);
	if (pref.len && libssh2_session_method_pref(c->s, LIBSSH2_METHOD_HOSTKEY, pref.data) != 0) {
		say(err, c->peer, "cannot limit host key algorithms to %s: %s", pref.data,
		    last_msg(c, msg, sizeof msg));
		rc = -EPROTO;
		goto out;
	}
	int r = libssh2_session_handshake(c->s, c->sock);
	if (r != 0) {
		if (r == LIBSSH2_ERROR_KEX_FAILURE && pref.len) {
			say(err, c->peer, "the server offers none of the host key types pinned for it in %s (%s); "
				 "refusing to connect", o->known_hosts, pref.data);
			rc = -EKEYREJECTED;
		} else if (r == LIBSSH2_ERROR_TIMEOUT || r == LIBSSH2_ERROR_SOCKET_TIMEOUT) {
			rc = fail_op(c, r, err, "SSH handshake", NULL, NULL);
		} else {
			say(err, c->peer, "SSH handshake failed: %s", last_msg(c, msg, sizeof msg));
			rc = r == LIBSSH2_ERROR_SOCKET_DISCONNECT || r == LIBSSH2_ERROR_SOCKET_RECV ? -ECONNRESET
												       : -EPROTO;
		}
		goto out;
	}
	if ((rc = check_host_key(c, kh, o, &pin, err)) < 0)
		goto out;
	if ((rc = authenticate(c, o, err)) < 0)
		goto out;
	c->sftp = libssh2_sftp_init(c->s);
	if (!c->sftp) {
		r = libssh2_session_last_errno(c->s);
		rc = fail_op(c, r, err, "starting the SFTP subsystem", NULL, NULL);
		if (rc == -EPROTO)
			say(err, c->peer, "starting the SFTP subsystem failed: %s", last_msg(c, msg, sizeof msg));
		goto out;
	}
	*out = c;
	c = NULL;
out:
	if (kh)
		libssh2_knownhost_free(kh);
	for (size_t i = 0; i < pin.nrevoked; i++)
		free(pin.revoked[i]);
	free(pin.revoked);
	buf_free(&pref);
	if (c) {
		c->dead = 1;
		sftp_close(c);
	}
	return rc;
}

/* Close politely when alive, at once when dead. */
void sftp_close(struct sftp_conn *c)
{
	if (!c)
		return;
	if (c->dead && c->sock >= 0)
		shutdown(c->sock, SHUT_RDWR); /* nothing below may wait for a dead peer */
	if (c->s)
		libssh2_session_set_timeout(c->s, (long)(c->timeout_ms < 5000 ? c->timeout_ms : 5000));
	if (c->sftp)
		libssh2_sftp_shutdown(c->sftp);
	if (c->s) {
		if (!c->dead)
			libssh2_session_disconnect_ex(c->s, SSH_DISCONNECT_BY_APPLICATION, "done", "");
		libssh2_session_free(c->s);
	}
	if (c->sock >= 0)
		close(c->sock);
	free(c->peer);
	free(c);
}

/* "host:port" for messages. */
const char *sftp_peer(const struct sftp_conn *c)
{
	return c->peer;
}

/* -ENOTCONN with a message when the connection is gone. */
static int check_alive(struct sftp_conn *c, struct buf *err, const char *op)
{
	if (!c->dead)
		return 0;
	say(err, c->peer, "%s: the connection was lost before", op);
	return -ENOTCONN;
}

/* ------------------------------------------------------------ operations */

/* Fill e from SFTP attributes. */
static void entry_attrs(struct sftp_entry *e, const LIBSSH2_SFTP_ATTRIBUTES *a)
{
	e->has_size = (a->flags & LIBSSH2_SFTP_ATTR_SIZE) != 0;
	e->size = e->has_size ? a->filesize : 0;
	e->has_mtime = (a->flags & LIBSSH2_SFTP_ATTR_ACMODTIME) != 0;
	e->mtime = e->has_mtime ? (time_t)a->mtime : 0;
	e->regular = (a->flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && LIBSSH2_SFTP_S_ISREG(a->permissions);
}

/* Free a listing. */
void sftp_entries_free(struct sftp_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].name);
	free(v);
}

/* List a remote directory. */
int sftp_list(struct sftp_conn *c, const char *dir, size_t max, struct sftp_entry **out, size_t *n,
	      size_t *skipped, struct buf *err)
{
	struct sftp_entry *v = NULL;
	size_t cnt = 0, cap = 0, skip = 0;
	char *name = NULL;
	int rc;
	*out = NULL;
	*n = 0;
	if (skipped)
		*skipped = 0;
	if ((rc = check_alive(c, err, "list")) < 0)
		return rc;
	if (max == 0 || max > SFTP_LIST_MAX)
		max = SFTP_LIST_MAX;
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open_ex(c->sftp, dir, (unsigned)strlen(dir), 0, 0,
						      LIBSSH2_SFTP_OPENDIR);
	if (!h)
		return fail_op(c, libssh2_session_last_errno(c->s), err, "list", dir, NULL);
	name = xmalloc(SFTP_NAME_MAX + 1);
	for (;;) {
		LIBSSH2_SFTP_ATTRIBUTES a;
		memset(&a, 0, sizeof a);
		int r = libssh2_sftp_readdir_ex(h, name, SFTP_NAME_MAX + 1, NULL, 0, &a);
		if (r == 0)
			break;
		if (r == LIBSSH2_ERROR_BUFFER_TOO_SMALL) {
			char *d = show(dir);
			say(err, c->peer, "list %s: a name longer than %d bytes", d, SFTP_NAME_MAX);
			free(d);
			rc = -ENAMETOOLONG;
			goto out;
		}
		if (r < 0) {
			rc = fail_op(c, r, err, "list", dir, NULL);
			goto out;
		}
		size_t len = (size_t)r;
		if (!sftp_name_is_plain(name, len)) {
			if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.'))
				skip++;
			continue;
		}
		if (cnt == max) {
			char *d = show(dir);
			say(err, c->peer, "list %s: more than %zu entries", d, max);
			free(d);
			rc = -E2BIG;
			goto out;
		}
		if (cnt == cap) {
			cap = cap ? 2 * cap : 64;
			v = xrealloc(v, cap * sizeof *v);
		}
		struct sftp_entry *e = &v[cnt++];
		memset(e, 0, sizeof *e);
		e->name = xmalloc(len + 1);
		memcpy(e->name, name, len);
		e->name[len] = '\0';
		e->name_len = len;
		entry_attrs(e, &a);
	}
	*out = v;
	*n = cnt;
	v = NULL;
	cnt = 0;
	if (skipped)
		*skipped = skip;
	rc = 0;
out:
	libssh2_sftp_close_handle(h);
	sftp_entries_free(v, cnt);
	free(name);
	return rc;
}

/* stat(2) of a remote path. */
int sftp_stat(struct sftp_conn *c, const char *path, struct sftp_entry *e, struct buf *err)
{
	memset(e, 0, sizeof *e);
	int rc = check_alive(c, err, "stat");
	if (rc < 0)
		return rc;
	LIBSSH2_SFTP_ATTRIBUTES a;
	memset(&a, 0, sizeof a);
	int r = libssh2_sftp_stat_ex(c->sftp, path, (unsigned)strlen(path), LIBSSH2_SFTP_STAT, &a);
	if (r != 0)
		return fail_op(c, r, err, "stat", path, NULL);
	entry_attrs(e, &a);
	return 0;
}

/* Download into fd (or only hash). */
int sftp_download(struct sftp_conn *c, const char *path, int fd, uint64_t max, uint64_t *len,
		  char *sha256, sftp_progress_fn progress, void *ctx, struct buf *err)
{
	uint64_t total = 0;
	char *b = NULL;
	struct sha256_ctx *hc = NULL;
	int rc = check_alive(c, err, "download");
	if (len)
		*len = 0;
	if (rc < 0)
		return rc;
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open_ex(c->sftp, path, (unsigned)strlen(path), LIBSSH2_FXF_READ, 0,
						      LIBSSH2_SFTP_OPENFILE);
	if (!h)
		return fail_op(c, libssh2_session_last_errno(c->s), err, "download", path, NULL);
	LIBSSH2_SFTP_ATTRIBUTES a;
	memset(&a, 0, sizeof a);
	int r = libssh2_sftp_fstat_ex(h, &a, 0);
	if (r != 0) {
		rc = fail_op(c, r, err, "download (fstat)", path, NULL);
		goto out;
	}
	if ((a.flags & LIBSSH2_SFTP_ATTR_PERMISSIONS) && !LIBSSH2_SFTP_S_ISREG(a.permissions)) {
		char *s = show(path);
		say(err, c->peer, "download %s: not a regular file", s);
		free(s);
		rc = -EINVAL;
		goto out;
	}
	b = xmalloc(CHUNK);
	hc = sha256_new();
	for (;;) {
		ssize_t got = libssh2_sftp_read(h, b, CHUNK);
		if (got == 0)
			break;
		if (got < 0) {
			rc = fail_op(c, (int)got, err, "download", path, NULL);
			goto out;
		}
		if ((uint64_t)got > max - total) {
			char *s = show(path);
			say(err, c->peer, "download %s: larger than the limit of %llu bytes", s,
			    (unsigned long long)max);
			free(s);
			rc = -EFBIG;
			goto out;
		}
		total += (uint64_t)got;
		sha256_update(hc, b, (size_t)got);
		if (fd >= 0 && (rc = write_all(fd, b, (size_t)got)) < 0) {
			char *s = show(path);
			say(err, c->peer, "download %s: writing the local copy: %s", s, strerror(-rc));
			free(s);
			goto out;
		}
		if (progress && (rc = progress(ctx, total)) < 0) {
			char *s = show(path);
			say(err, c->peer, "download %s: stopped after %llu bytes", s, (unsigned long long)total);
			free(s);
			goto out;
		}
	}
	if (len)
		*len = total;
	char hex[65];
	sha256_finish(hc, hex);
	hc = NULL;
	if (sha256)
		memcpy(sha256, hex, 65);
	rc = 0;
out:
	if (hc) {
		char junk[65];
		sha256_finish(hc, junk);
	}
	free(b);
	libssh2_sftp_close_handle(h);
	return rc;
}

/* Write len bytes of fd to path, fsync where supported, close, check the size. */
int sftp_put(struct sftp_conn *c, const char *path, int fd, uint64_t len, struct buf *err)
{
	char *b = NULL;
	int rc = check_alive(c, err, "upload");
	if (rc < 0)
		return rc;
	LIBSSH2_SFTP_HANDLE *h = libssh2_sftp_open_ex(
		c->sftp, path, (unsigned)strlen(path), LIBSSH2_FXF_WRITE | LIBSSH2_FXF_CREAT | LIBSSH2_FXF_TRUNC,
		LIBSSH2_SFTP_S_IRUSR | LIBSSH2_SFTP_S_IWUSR | LIBSSH2_SFTP_S_IRGRP, LIBSSH2_SFTP_OPENFILE);
	if (!h)
		return fail_op(c, libssh2_session_last_errno(c->s), err, "upload", path, NULL);
	b = xmalloc(CHUNK);
	uint64_t done = 0;
	while (done < len) {
		size_t want = len - done < CHUNK ? (size_t)(len - done) : CHUNK;
		ssize_t got = read(fd, b, want);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			char *s = show(path);
			say(err, c->peer, "upload %s: the local copy is shorter than %llu bytes%s%s", s,
			    (unsigned long long)len, got < 0 ? ": " : "", got < 0 ? strerror(errno) : "");
			free(s);
			rc = -EIO;
			goto out;
		}
		size_t off = 0;
		while (off < (size_t)got) {
			ssize_t w = libssh2_sftp_write(h, b + off, (size_t)got - off);
			if (w < 0) {
				rc = fail_op(c, (int)w, err, "upload", path, NULL);
				goto out;
			}
			off += (size_t)w;
		}
		done += (uint64_t)got;
	}
	int r = libssh2_sftp_fsync(h);
	if (r != 0 && !(r == LIBSSH2_ERROR_SFTP_PROTOCOL &&
			libssh2_sftp_last_error(c->sftp) == LIBSSH2_FX_OP_UNSUPPORTED)) {
		rc = fail_op(c, r, err, "upload (fsync)", path, NULL);
		goto out;
	}
	r = libssh2_sftp_close_handle(h);
	h = NULL;
	if (r != 0) {
		rc = fail_op(c, r, err, "upload (close)", path, NULL);
		goto out;
	}
	struct sftp_entry st;
	if ((rc = sftp_stat(c, path, &st, err)) < 0)
		goto out;
	if (!st.has_size || st.size != len) {
		char *s = show(path);
		say(err, c->peer, "upload %s: the server has %llu bytes, we sent %llu", s,
		    (unsigned long long)st.size, (unsigned long long)len);
		free(s);
		rc = -EIO;
		goto out;
	}
	rc = 0;
out:
	if (h)
		libssh2_sftp_close_handle(h);
	free(b);
	return rc;
}

/* Rename without replacing: a server whose rename would overwrite (SFTP v3 leaves
 * that to the server) is asked first whether the target exists. */
int sftp_rename(struct sftp_conn *c, const char *from, const char *to, struct buf *err)
{
	struct sftp_entry st;
	int rc = sftp_stat(c, to, &st, err);
	if (rc == 0) {
		char *a = show(from), *b = show(to);
		say(err, c->peer, "rename %s -> %s: the target exists", a, b);
		free(a);
		free(b);
		return -EEXIST;
	}
	if (rc != -ENOENT)
		return rc;
	int r = libssh2_sftp_rename_ex(c->sftp, from, (unsigned)strlen(from), to, (unsigned)strlen(to),
				       LIBSSH2_SFTP_RENAME_ATOMIC | LIBSSH2_SFTP_RENAME_NATIVE);
	if (r == 0)
		return 0;
	rc = fail_op(c, r, err, "rename", from, to);
	if (!c->dead && rc != -ENOENT) {
		struct buf tmp;
		buf_init(&tmp, 0);
		if (sftp_stat(c, to, &st, &tmp) == 0) {
			char *a = show(from), *b = show(to);
			say(err, c->peer, "rename %s -> %s: the target exists", a, b);
			free(a);
			free(b);
			rc = -EEXIST;
		}
		buf_free(&tmp);
	}
	return rc;
}

/* Remove a remote file. */
int sftp_remove(struct sftp_conn *c, const char *path, struct buf *err)
{
	int rc = check_alive(c, err, "remove");
	if (rc < 0)
		return rc;
	int r = libssh2_sftp_unlink_ex(c->sftp, path, (unsigned)strlen(path));
	if (r != 0)
		return fail_op(c, r, err, "remove", path, NULL);
	return 0;
}

/* put to dir/tmp_name, then rename to dir/name. */
int sftp_upload(struct sftp_conn *c, int fd, uint64_t len, const char *dir, const char *name,
		const char *tmp_name, struct buf *err)
{
	char *tmp = sftp_path(dir, tmp_name), *dst = sftp_path(dir, name);
	int rc = sftp_put(c, tmp, fd, len, err);
	if (rc == 0)
		rc = sftp_rename(c, tmp, dst, err);
	if (rc < 0 && !c->dead) {
		struct buf junk;
		buf_init(&junk, 0);
		sftp_remove(c, tmp, &junk);
		buf_free(&junk);
	}
	free(tmp);
	free(dst);
	return rc;
}
