/*
 * transport.c — the per-partner transport lock and the SFTP options of a
 * partner (see transport.h).
 *
 * The lock is an flock(2) on a dot file in the partner's outbound directory
 * (dot files are neither outbound documents nor counted by status). It is
 * taken without waiting: a second process finds it busy and leaves the
 * partner to the first; the kernel drops it when a process dies, so a
 * SIGKILL never leaves a partner locked.
 */
#include "transport/transport.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* Take outbound/<partner>/.transport.lock without waiting. */
int transport_lock(struct spool *sp, const char *partner, int *fd)
{
	char *dir = NULL, *path = NULL;
	int rc = spool_outbound_dir(sp, partner, &dir);
	*fd = -1;
	if (rc < 0)
		return rc;
	path = path_join(dir, ".transport.lock");
	int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (f < 0) {
		rc = -errno;
		goto out;
	}
	if (flock(f, LOCK_EX | LOCK_NB) < 0) {
		rc = errno == EWOULDBLOCK ? -EBUSY : -errno;
		close(f);
		goto out;
	}
	*fd = f;
out:
	free(path);
	free(dir);
	return rc;
}

/* Release the lock (closing the descriptor drops the flock). */
void transport_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* sftp_opts from a partner's settings. */
void transport_sftp_opts(struct sftp_opts *o, const struct cfg_sftp *s)
{
	memset(o, 0, sizeof *o);
	o->host = s->host;
	o->port = s->port;
	o->user = s->user;
	o->key = s->key;
	o->password_file = s->password_file;
	o->key_passphrase_file = s->key_passphrase_file;
	o->known_hosts = s->known_hosts;
	o->timeout_ms = s->timeout_s > 3600 ? 3600000u : (unsigned)(s->timeout_s * 1000);
}

/* The files of a partner's SFTP settings, for edigw config check. */
int transport_sftp_check(const struct cfg_partner *p, struct diag_list *d)
{
	const struct cfg_sftp *f = &p->sftp;
	struct buf why, kh;
	int rc = 0;
	if (!f->host)
		return 0;
	buf_init(&why, 0);
	buf_init(&kh, 0);
	if (f->known_hosts) {
		int r = file_read_all(f->known_hosts, 1024 * 1024, &kh);
		if (r < 0) {
			diag_error(d, p->file, f->line, "sftp.known-hosts %s cannot be read: %s", f->known_hosts,
				   r == -EFBIG ? "larger than 1 MiB" : strerror(-r));
			rc = -EINVAL;
		}
	}
	const char *secret = f->key ? f->key : f->password_file;
	if (secret && sftp_check_secret_file(secret, f->key ? "sftp.key" : "sftp.password-file", &why) < 0) {
		diag_error(d, p->file, f->line, "%s", why.data);
		rc = -EINVAL;
	}
	if (f->key_passphrase_file &&
	    sftp_check_secret_file(f->key_passphrase_file, "sftp.key-passphrase-file", &why) < 0) {
		diag_error(d, p->file, f->line, "%s", why.data);
		rc = -EINVAL;
	}
	buf_free(&why);
	buf_free(&kh);
	return rc;
}
