/*
 * fuzz_as2 — libFuzzer target for the AS2 message layer: what a partner's POST body, its
 * headers and its MDNs go through (as2_entity_parse, as2_multipart_split, as2_open with
 * every layer, as2_mdn_parse, as2_cms_decompress, as2_disposition_parse, as2_dno_parse).
 * The first input byte picks the Content-Type and transfer encoding; the rest is the body.
 * Contract checks abort: spans stay inside their buffers, a failure names a disposition
 * modifier, a success has a payload and MIC data, parsed parts lie inside the input.
 *
 * Built with AS2_REPLAY it is tests/replay_as2, which `make check` runs over the seed
 * corpus tests/as2/corpus (and any files or directories given as arguments).
 * The real fuzzer: make fuzz-as2 && ./tests/as2/fuzz_as2 fuzz-work $(srcdir)/tests/as2/corpus
 * (certificates from $EDIGW_SRCDIR/tests/data/as2/certs, so decryption and signature
 * verification are reached too).
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "as2/as2_msg.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static X509 *cert, *pcert;
static EVP_PKEY *key;

/* Load the test certificates once (missing ones leave NULL: parsing is still fuzzed). */
static void load_keys(void)
{
	static int done;
	if (done)
		return;
	done = 1;
	const char *src = getenv("EDIGW_SRCDIR");
	char *d = xasprintf("%s/tests/data/as2/certs", src ? src : ".");
	char *c = xasprintf("%s/gateway.crt", d), *k = xasprintf("%s/gateway.key", d), *p = xasprintf("%s/peerjs.crt", d);
	as2_load_cert(&cert, c);
	as2_load_key(&key, k);
	as2_load_cert(&pcert, p);
	free(c);
	free(k);
	free(p);
	free(d);
}

/* s lies inside [a, a + n) (or is empty). */
static void inside(struct span s, const void *a, size_t n)
{
	const char *b = a;
	if (s.n && (s.p < b || s.p + s.n > b + n))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		"multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"B\"",
		"application/pkcs7-mime; smime-type=enveloped-data",
		"application/pkcs7-mime; smime-type=compressed-data",
		"application/pkcs7-mime; smime-type=signed-data",
		"application/pkcs7-mime",
		"multipart/report; report-type=disposition-notification; boundary=\"B\"",
		"application/edi-x12",
		"multipart/signed; boundary=",
	};
	static const char *const ctes[] = { NULL, "binary", "base64", "quoted-printable" };
	if (size == 0)
		return 0;
	load_keys();
	uint8_t opt = data[0];
	const char *body = (const char *)data + 1;
	size_t n = size - 1;
	const char *ct = types[opt & 7];
	const char *cte = ctes[(opt >> 3) & 3];

	/* a MIME entity over the raw bytes */
	struct as2_entity e;
	if (as2_entity_parse(&e, body, n) == 0) {
		inside(e.body, body, n);
		if (e.nh > AS2_MAX_HEADERS)
			abort();
		as2_entity_clear(&e);
	}
	/* multipart parts */
	struct span parts[AS2_MAX_PARTS];
	size_t np = 0;
	if (as2_multipart_split((struct span){ body, n }, "B", parts, AS2_MAX_PARTS, &np) == 0) {
		if (np > AS2_MAX_PARTS)
			abort();
		for (size_t i = 0; i < np; i++)
			inside(parts[i], body, n);
	}
	/* a whole message */
	struct as2_open_opts oo = { .our_cert = cert, .our_key = key, .partner_cert = pcert, .max_bytes = 1 << 20 };
	struct as2_opened o;
	int rc = as2_open(&o, ct, cte, body, n, &oo);
	if (rc < 0 && !o.failure)
		abort();
	if (rc == 0 && (!o.content_type || (!o.is_mdn && !o.mic_data.p)))
		abort();
	if (rc == 0 && (o.payload.n > oo.max_bytes || o.mic_data.n > (size_t)(2u << 20)))
		abort();
	as2_opened_clear(&o);
	/* an MDN */
	struct as2_mdn m;
	if (as2_mdn_parse(&m, ct, cte, body, n, pcert, 1 << 20) == 0 && m.disp > AS2_DISP_FAILED)
		abort();
	as2_mdn_clear(&m);
	/* compressed data straight */
	struct buf out;
	buf_init(&out, 0);
	char *why = NULL;
	if (as2_cms_decompress(&out, (struct span){ body, n }, 1 << 20, &why) == 0 && out.len > (1u << 20))
		abort();
	free(why);
	buf_free(&out);
	/* header values */
	char *s = xmalloc(n + 1);
	memcpy(s, body, n);
	s[n] = 0;
	char *mod = NULL;
	enum as2_disp d = as2_disposition_parse(s, &mod);
	if (d > AS2_DISP_FAILED)
		abort();
	free(mod);
	struct as2_dno dno;
	as2_dno_parse(s, &dno);
	enum as2_md md;
	as2_md_from_name(span_cstr(s), &md);
	char *v = as2_ct_param(s, "boundary");
	free(v);
	free(as2_ct_type(s));
	free(s);
	return 0;
}

#ifdef AS2_REPLAY
/* Feed one file to the target. */
static int replay_file(const char *path)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = file_read_all(path, 64u << 20, &b);
	if (rc == 0)
		LLVMFuzzerTestOneInput((const uint8_t *)(b.data ? b.data : ""), b.len);
	else
		fprintf(stderr, "replay_as2: cannot read %s\n", path);
	buf_free(&b);
	return rc;
}

/* Every regular file of dir; the count, or -1. */
static int replay_dir(const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp) {
		fprintf(stderr, "replay_as2: no directory %s\n", dir);
		return -1;
	}
	int total = 0;
	struct dirent *de;
	while ((de = readdir(dp))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = path_join(dir, de->d_name);
		struct stat st;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			if (replay_file(p) < 0) {
				free(p);
				closedir(dp);
				return -1;
			}
			total++;
		}
		free(p);
	}
	closedir(dp);
	return total;
}

int main(int argc, char **argv)
{
	int total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		int k = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode) ? replay_dir(argv[i])
								       : (replay_file(argv[i]) == 0 ? 1 : -1);
		if (k < 0)
			return 1;
		total += k;
	}
	if (argc == 1) {
		const char *src = getenv("EDIGW_SRCDIR");
		char *dir = xasprintf("%s/tests/as2/corpus", src ? src : ".");
		total = replay_dir(dir);
		free(dir);
		if (total <= 0) {
			fprintf(stderr, "replay_as2: the seed corpus is missing or empty\n");
			return 1;
		}
	}
	X509_free(cert);
	X509_free(pcert);
	EVP_PKEY_free(key);
	printf("replay_as2: %d inputs replayed\n", total);
	return 0;
}
#endif
