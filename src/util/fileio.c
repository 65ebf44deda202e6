/*
 * fileio.c — durable writes (temp file with O_EXCL|O_NOFOLLOW, fsync, close,
 * rename or link into place, fsync of the directory), bounded reads of
 * regular files only, path helpers, and file-name sanitising so that no
 * partner string ever becomes a path.
 */
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Create every missing directory along path. */
int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				rc = -errno;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	if (rc == 0) {
		struct stat st;
		if (stat(path, &st) < 0)
			rc = -errno;
		else if (!S_ISDIR(st.st_mode))
			rc = -ENOTDIR;
	}
	free(p);
	return rc;
}

/* fsync a directory. */
int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) < 0 ? -errno : 0;
	close(fd);
	return rc;
}

/* Write everything, retrying short writes and EINTR. */
int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Unique temp file in tmpdir; returns fd and the path through *out_path. */
static int tmp_create(const char *tmpdir, char **out_path)
{
	static unsigned long seq;
	for (int tries = 0; tries < 16; tries++) {
		char rnd[17];
		if (random_hex(rnd, 8) < 0)
			return -EIO;
		char *p = xasprintf("%s/.w-%ld-%lu-%s", tmpdir, (long)getpid(), seq++, rnd);
		int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
		if (fd >= 0) {
			*out_path = p;
			return fd;
		}
		int e = errno;
		free(p);
		if (e != EEXIST)
			return -e;
	}
	return -EEXIST;
}

/* Move a finished temp file into dir/name and make it durable. */
int file_commit(const char *tmppath, const char *dir, const char *name, int replace)
{
	int rc = 0;
	char *dst = path_join(dir, name);
	int fd = open(tmppath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	if (rc < 0)
		goto out;
	if (replace) {
		if (rename(tmppath, dst) < 0)
			rc = -errno;
	} else {
		/* link(2) never replaces: a second writer of the same name loses. */
		if (link(tmppath, dst) < 0)
			rc = -errno;
		unlink(tmppath);
	}
	if (rc == 0)
		rc = fsync_dir(dir);
out:
	free(dst);
	return rc;
}

/* Temp file, write, fsync, close, then commit into place. */
int file_write_durable(const char *tmpdir, const char *dir, const char *name,
		       const void *data, size_t len, int replace)
{
	char *tmp = NULL;
	int fd = tmp_create(tmpdir, &tmp);
	if (fd < 0)
		return fd;
	int rc = write_all(fd, data, len);
	if (rc == 0 && fsync(fd) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0)
		rc = -errno;
	if (rc == 0)
		rc = file_commit(tmp, dir, name, replace);
	else
		unlink(tmp);
	free(tmp);
	return rc;
}

/* Read a regular file, refusing symlinks and files over max. */
int file_read_all(const char *path, size_t max, struct buf *b)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = 0;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = -EINVAL;
		goto out;
	}
	if ((uint64_t)st.st_size > max) {
		rc = -EFBIG;
		goto out;
	}
	rc = fd_read_all(fd, max, b);
out:
	close(fd);
	return rc;
}

/* Append the rest of fd to b, at most max bytes in b; -EFBIG beyond. */
int fd_read_all(int fd, size_t max, struct buf *b)
{
	char tmp[65536];
	for (;;) {
		ssize_t r = read(fd, tmp, sizeof tmp);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		if (b->len + (size_t)r > max)
			return -EFBIG;
		int rc = buf_append(b, tmp, (size_t)r);
		if (rc < 0)
			return rc;
	}
}

/* lstat existence. */
int path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

/* dir + "/" + name. */
char *path_join(const char *dir, const char *name)
{
	size_t dl = strlen(dir);
	if (dl && dir[dl - 1] == '/')
		return xasprintf("%s%s", dir, name);
	return xasprintf("%s/%s", dir, name);
}

/* Directory part of a path. */
char *path_dirname(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return xstrdup(".");
	if (s == path)
		return xstrdup("/");
	return span_dup((struct span){ path, (size_t)(s - path) });
}

/* rel relative to the directory holding base_file. */
char *path_relative_to(const char *base_file, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	char *d = path_dirname(base_file);
	char *r = strcmp(d, ".") == 0 ? xstrdup(rel) : path_join(d, rel);
	free(d);
	return r;
}

static int safe_char(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-';
}

/* Whether a single path component is safe to create. */
int name_is_safe(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 128 || name[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!safe_char((unsigned char)name[i]))
			return 0;
	return 1;
}

/* Safe file-name component from untrusted bytes. */
char *name_sanitize(const char *s, size_t n)
{
	size_t lim = n < 64 ? n : 64;
	char *r = xmalloc(lim + 2);
	size_t j = 0;
	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];
		r[j++] = safe_char(c) ? (char)c : '_';
	}
	if (j == 0)
		r[j++] = '_';
	if (r[0] == '.')
		r[0] = '_';
	r[j] = '\0';
	return r;
}

/* An anonymous file in $TMPDIR (or /tmp) that disappears when closed. */
int file_tmp_anon(int *out, const char *tag)
{
	const char *dir = getenv("TMPDIR");
	if (!dir || !*dir)
		dir = "/tmp";
	int fd = -1;
#ifdef O_TMPFILE
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0) {
		*out = fd;
		return 0;
	}
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
#endif
	char *name = xasprintf("edigw-%s-XXXXXX", tag ? tag : "tmp");
	char *path = path_join(dir, name);
	free(name);
	int rc = 0;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	unlink(path);
	*out = fd;
out:
	free(path);
	return rc;
}

/* qsort order of names: bytewise. */
static int names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a directory through a filter, sorted. */
int dir_names(const char *dir, int (*keep)(const char *dir, const char *name, void *ctx), void *ctx, size_t max,
	      char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct dirent *e;
	while ((!max || *n < max) && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (keep && !keep(dir, e->d_name, ctx))
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(*out, *n, sizeof **out, names_cmp);
	return 0;
}

void dir_names_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
