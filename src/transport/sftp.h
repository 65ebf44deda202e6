/*
 * sftp — an SFTP client for the transports, on libssh2: connect with a
 * connect timeout and a session timeout on every later operation, check the
 * server's host key against a known_hosts file (an unknown or changed key is
 * refused, never accepted), authenticate with a private key or a password
 * read from a file only its owner may read, then list, stat, download,
 * upload, rename and remove.
 *
 * Errors are returned as a negative errno and described in a caller's
 * struct buf as one line naming host:port, the operation and the remote
 * path (escaped: remote names are partner bytes), e.g.
 *   "sftp 127.0.0.1:2222: rename /in/.x.part -> /in/x: the target exists".
 * After a timeout or a broken connection the connection is dead: every later
 * call fails with -ENOTCONN and the caller reconnects.
 *
 * Remote names are hostile: sftp_list hands them out as bytes with a length
 * (they may hold control characters), skips what no file name may be (NUL,
 * '/', "." and "..") and counts what it skipped; callers never build a local
 * path from them (sftp_name_is_plain is the filter).
 */
#ifndef EDIGW_SFTP_H
#define EDIGW_SFTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/util.h"

#define SFTP_SECRET_MAX 1024     /* bytes of a password file */
#define SFTP_LIST_MAX 100000     /* entries read from one directory listing */
#define SFTP_NAME_MAX 4095       /* bytes of one remote name in a listing */

/* Where and how to connect. Strings are borrowed for the call. */
struct sftp_opts {
	const char *host;
	unsigned port;              /* 1..65535 */
	const char *user;
	const char *key;            /* private key file (OpenSSH or PEM; ed25519, RSA), or NULL */
	const char *password_file;  /* file holding the password (one line), or NULL */
	const char *known_hosts;    /* OpenSSH known_hosts file; required */
	unsigned timeout_ms;        /* connect timeout and libssh2 session timeout; 0 = 30 s */
	const char *key_passphrase_file; /* the key's passphrase (one line), or NULL: unencrypted */
};

struct sftp_conn;

/* One directory entry: the name as the server sent it (bytes, NUL-terminated for
 * convenience, never containing NUL or '/'), and its attributes. */
struct sftp_entry {
	char *name;
	size_t name_len;
	uint64_t size;
	time_t mtime;
	int regular;    /* a regular file (symlinks, directories and others are not) */
	int has_size, has_mtime;
};

/* Connect, check the host key, authenticate and start SFTP. On failure err says why
 * (host:port, step, and for host keys the server's SHA256 fingerprint):
 * -ENOKEY unknown host key, -EKEYREJECTED changed host key, -EPERM a key or password
 * file readable by others, -EACCES authentication refused, -ETIMEDOUT, -ECONNREFUSED,
 * -EHOSTUNREACH, -EPROTO, other negative errno. */
int sftp_connect(struct sftp_conn **out, const struct sftp_opts *o, struct buf *err);
/* Close the session (bounded by the timeout) and free; NULL is a no-op. */
void sftp_close(struct sftp_conn *c);
/* "host:port" of the connection (borrowed). */
const char *sftp_peer(const struct sftp_conn *c);

/* The entries of a remote directory (every kind; caller filters on regular), at most max
 * (0: SFTP_LIST_MAX; more: -E2BIG). *skipped counts names that can be no file's name (NUL,
 * '/') and were left out ("." and ".." are not counted). The caller frees with
 * sftp_entries_free. */
int sftp_list(struct sftp_conn *c, const char *dir, size_t max, struct sftp_entry **out, size_t *n,
	      size_t *skipped, struct buf *err);
void sftp_entries_free(struct sftp_entry *v, size_t n);
/* Attributes of a remote path (following symlinks as the server does); -ENOENT when
 * it does not exist. e->name is left NULL. */
int sftp_stat(struct sftp_conn *c, const char *path, struct sftp_entry *e, struct buf *err);

/* Called during a download after each chunk with the bytes so far; a negative
 * return stops the download with that code. */
typedef int (*sftp_progress_fn)(void *ctx, uint64_t bytes);
/* Download a regular remote file into fd (fd < 0: read and hash only). Stops with -EFBIG
 * at the first byte beyond max. *len gets the bytes read, sha256 (65 bytes, may be NULL)
 * their hex SHA-256. The file must be regular once opened (-EINVAL otherwise). */
int sftp_download(struct sftp_conn *c, const char *path, int fd, uint64_t max, uint64_t *len,
		  char *sha256, sftp_progress_fn progress, void *ctx, struct buf *err);
/* Write len bytes from fd to path (created or truncated, mode 0640), fsync it where the
 * server supports fsync@openssh.com, close and check that the remote size is len. */
int sftp_put(struct sftp_conn *c, const char *path, int fd, uint64_t len, struct buf *err);
/* Rename from to to; never replaces: -EEXIST when to exists. */
int sftp_rename(struct sftp_conn *c, const char *from, const char *to, struct buf *err);
/* Remove a remote file; -ENOENT when it is not there. */
int sftp_remove(struct sftp_conn *c, const char *path, struct buf *err);
/* Upload into dir/name through dir/tmp_name: sftp_put, then sftp_rename. On failure the
 * temporary file is removed when possible. */
int sftp_upload(struct sftp_conn *c, int fd, uint64_t len, const char *dir, const char *name,
		const char *tmp_name, struct buf *err);

/* Whether bytes can be a file name: non-empty, no NUL, no '/', not "." or "..". */
int sftp_name_is_plain(const char *name, size_t len);
/* dir + "/" + name (name may hold any byte but NUL); allocated. */
char *sftp_path(const char *dir, const char *name);
/* Check a secret file (key or password) is a regular file only its owner can read or
 * write: -EPERM with err naming the mode otherwise. what names the setting. */
int sftp_check_secret_file(const char *path, const char *what, struct buf *err);

#endif
