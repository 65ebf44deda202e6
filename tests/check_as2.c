/* check_as2 — the AS2 message layer: names, MIC, MIME over raw bytes, CMS against the
 * `openssl cms` command (both ways), RFC 5402 compression, messages built and opened in
 * every combination, requests saved from the libas2 peer (tests/data/as2/libas2-*.req),
 * MDNs built, verified by `openssl smime` and parsed leniently. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "as2/as2_msg.h"
#include "config/config.h"
#include "gateway/gateway.h"
#include "testutil.h"
#include "util/util.h"

static char *tmp;
static X509 *gw_cert, *peer_cert, *other_cert;
static EVP_PKEY *gw_key, *peer_key, *other_key;

/* Run a command (no shell); stdout to out_path when not NULL; returns the exit status. */
static int run(const char *const argv[], const char *out_path)
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			close(fd);
		}
		int dn = open("/dev/null", O_WRONLY);
		if (dn >= 0) {
			dup2(dn, 2);
			close(dn);
		}
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int st = 0;
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static char *tpath(const char *name)
{
	return path_join(tmp, name);
}

static char *certpath(const char *name)
{
	char *rel = xasprintf("tests/data/as2/certs/%s", name);
	char *p = tu_srcpath(rel);
	free(rel);
	return p;
}

static void setup(void)
{
	tmp = tu_tmpdir();
	const char *names[3] = { "gateway", "peerjs", "other" };
	X509 **certs[3] = { &gw_cert, &peer_cert, &other_cert };
	EVP_PKEY **keys[3] = { &gw_key, &peer_key, &other_key };
	for (int i = 0; i < 3; i++) {
		char *c = xasprintf("%s.crt", names[i]), *k = xasprintf("%s.key", names[i]);
		char *cp = certpath(c), *kp = certpath(k);
		ck_assert_int_eq(as2_load_cert(certs[i], cp), 0);
		ck_assert_int_eq(as2_load_key(keys[i], kp), 0);
		free(c);
		free(k);
		free(cp);
		free(kp);
	}
}

static void teardown(void)
{
	X509_free(gw_cert);
	X509_free(peer_cert);
	X509_free(other_cert);
	EVP_PKEY_free(gw_key);
	EVP_PKEY_free(peer_key);
	EVP_PKEY_free(other_key);
	tu_rmtree(tmp);
	free(tmp);
}

START_TEST(test_names)
{
	enum as2_md md;
	const char *v256[] = { "sha256", "sha-256", "SHA256", "sha2_256", " Sha-256 ", "SHA_256" };
	for (size_t i = 0; i < sizeof v256 / sizeof v256[0]; i++) {
		md = AS2_MD_NONE;
		ck_assert_int_eq(as2_md_from_name(span_cstr(v256[i]), &md), 0);
		ck_assert_int_eq(md, AS2_MD_SHA256);
	}
	ck_assert_int_eq(as2_md_from_name(span_cstr("sha1"), &md), 0);
	ck_assert_int_eq(md, AS2_MD_SHA1);
	ck_assert_int_eq(as2_md_from_name(span_cstr("SHA-1"), &md), 0);
	ck_assert_int_eq(as2_md_from_name(span_cstr("sha-384"), &md), 0);
	ck_assert_int_eq(md, AS2_MD_SHA384);
	ck_assert_int_eq(as2_md_from_name(span_cstr("sha2_512"), &md), 0);
	ck_assert_int_eq(md, AS2_MD_SHA512);
	ck_assert_int_eq(as2_md_from_name(span_cstr("md5"), &md), -ENOTSUP);
	ck_assert_int_eq(as2_md_from_name(span_cstr("sha-2567"), &md), -ENOTSUP);
	ck_assert_int_eq(as2_md_from_name(span_cstr(""), &md), -ENOTSUP);
	ck_assert_str_eq(as2_md_name(AS2_MD_SHA512), "sha-512");
	enum as2_cipher c;
	ck_assert_int_eq(as2_cipher_from_name("aes256-CBC", &c), 0);
	ck_assert_int_eq(c, AS2_CIPHER_AES256_CBC);
	ck_assert_int_eq(as2_cipher_from_name("aes-128-cbc", &c), 0);
	ck_assert_int_eq(c, AS2_CIPHER_AES128_CBC);
	ck_assert_int_eq(as2_cipher_from_name("des-EDE3-CBC", &c), 0);
	ck_assert_int_eq(c, AS2_CIPHER_3DES_CBC);
	ck_assert_int_eq(as2_cipher_from_name("3des", &c), 0);
	ck_assert_int_eq(as2_cipher_from_name("none", &c), 0);
	ck_assert_int_eq(c, AS2_CIPHER_NONE);
	ck_assert_int_eq(as2_cipher_from_name("aes128-gcm", &c), -ENOTSUP);
	ck_assert_int_eq(as2_cipher_from_name("rc2-40", &c), -ENOTSUP);
}
END_TEST

START_TEST(test_mic_vectors)
{
	char mic[AS2_MIC_MAX];
	ck_assert_int_eq(as2_mic(AS2_MD_SHA256, "abc", 3, mic), 0);
	ck_assert_str_eq(mic, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
	ck_assert_int_eq(as2_mic(AS2_MD_SHA1, "abc", 3, mic), 0);
	ck_assert_str_eq(mic, "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=");
	ck_assert_int_eq(as2_mic(AS2_MD_SHA512, "abc", 3, mic), 0);
	ck_assert_uint_eq(strlen(mic), 88);
	ck_assert_int_eq(as2_mic(AS2_MD_NONE, "abc", 3, mic), -ENOTSUP);
}
END_TEST

START_TEST(test_entity_parse)
{
	struct as2_entity e;
	const char *a = "Content-Type: text/plain;\r\n charset=us-ascii\r\nX-A:  one \r\n\r\nbody\r\n";
	ck_assert_int_eq(as2_entity_parse(&e, a, strlen(a)), 0);
	ck_assert_uint_eq(e.nh, 2);
	ck_assert_str_eq(as2_entity_get(&e, "content-type"), "text/plain; charset=us-ascii");
	ck_assert_str_eq(as2_entity_get(&e, "X-A"), "one");
	ck_assert_uint_eq(e.body.n, 6);
	ck_assert(memcmp(e.body.p, "body\r\n", 6) == 0);
	ck_assert_ptr_eq(e.raw.p, a);
	as2_entity_clear(&e);
	/* LF-only lines */
	const char *b = "A: 1\nB: 2\n\nxyz";
	ck_assert_int_eq(as2_entity_parse(&e, b, strlen(b)), 0);
	ck_assert_str_eq(as2_entity_get(&e, "b"), "2");
	ck_assert_uint_eq(e.body.n, 3);
	as2_entity_clear(&e);
	/* no headers at all: the body starts after the first CRLF */
	ck_assert_int_eq(as2_entity_parse(&e, "\r\nonly body", 11), 0);
	ck_assert_uint_eq(e.nh, 0);
	ck_assert_uint_eq(e.body.n, 9);
	as2_entity_clear(&e);
	/* no blank line after headers, a line without a colon, a leading fold */
	ck_assert_int_eq(as2_entity_parse(&e, "A: 1\r\nB: 2", 10), -EBADMSG);
	ck_assert_int_eq(as2_entity_parse(&e, "no colon here\r\n\r\n", 17), -EBADMSG);
	ck_assert_int_eq(as2_entity_parse(&e, " folded: x\r\n\r\n", 14), -EBADMSG);
}
END_TEST

/* A header block of n fields. */
static char *headers_n(size_t n)
{
	struct buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "X-%zu: v\r\n", i);
	buf_puts(&b, "\r\nbody");
	return buf_steal(&b);
}

START_TEST(test_entity_limits)
{
	struct as2_entity e;
	size_t counts[3] = { AS2_MAX_HEADERS - 1, AS2_MAX_HEADERS, AS2_MAX_HEADERS + 1 };
	int want[3] = { 0, 0, -EBADMSG };
	for (int i = 0; i < 3; i++) {
		char *h = headers_n(counts[i]);
		ck_assert_int_eq(as2_entity_parse(&e, h, strlen(h)), want[i]);
		if (want[i] == 0)
			ck_assert_uint_eq(e.nh, counts[i]);
		as2_entity_clear(&e);
		free(h);
	}
	/* one header line that fills the header block: below, at and above the cap */
	size_t sizes[3] = { AS2_MAX_HEADER_BYTES - 10, AS2_MAX_HEADER_BYTES - 3, AS2_MAX_HEADER_BYTES + 10 };
	int want2[3] = { 0, 0, -EBADMSG };
	for (int i = 0; i < 3; i++) {
		/* "X: " + value + "\r\n" = sizes[i] bytes, then the blank line */
		size_t vn = sizes[i] - 5;
		char *h = xmalloc(sizes[i] + 8);
		memcpy(h, "X: ", 3);
		memset(h + 3, 'v', vn);
		memcpy(h + 3 + vn, "\r\n\r\nB", 5);
		ck_assert_int_eq(as2_entity_parse(&e, h, sizes[i] + 3), want2[i]);
		as2_entity_clear(&e);
		free(h);
	}
}
END_TEST

START_TEST(test_ct_param)
{
	const char *ct = "multipart/signed; protocol=\"application/pkcs7-signature\"; MICALG=sha-256;"
			 " boundary=\"a;b \\\"c\\\"\"";
	char *t = as2_ct_type(ct);
	ck_assert_str_eq(t, "multipart/signed");
	free(t);
	char *v = as2_ct_param(ct, "boundary");
	ck_assert_str_eq(v, "a;b \"c\"");
	free(v);
	v = as2_ct_param(ct, "micalg");
	ck_assert_str_eq(v, "sha-256");
	free(v);
	ck_assert_ptr_null(as2_ct_param(ct, "name"));
	ck_assert_ptr_null(as2_ct_param("text/plain", "boundary"));
	t = as2_ct_type(" Application/EDI-X12 ");
	ck_assert_str_eq(t, "application/edi-x12");
	free(t);
}
END_TEST

START_TEST(test_multipart)
{
	const char *body = "preamble --B not at line start\r\n--B\r\nA: 1\r\n\r\npart one\r\n\r\n--B  \r\n\r\npart two"
			   "\r\n--B--\r\nepilogue";
	struct span parts[AS2_MAX_PARTS];
	size_t n = 0;
	ck_assert_int_eq(as2_multipart_split(span_cstr(body), "B", parts, AS2_MAX_PARTS, &n), 0);
	ck_assert_uint_eq(n, 2);
	/* the CRLF before a delimiter belongs to it; the one before that is the part's */
	ck_assert_uint_eq(parts[0].n, strlen("A: 1\r\n\r\npart one\r\n"));
	ck_assert(memcmp(parts[0].p, "A: 1\r\n\r\npart one\r\n", parts[0].n) == 0);
	ck_assert_uint_eq(parts[1].n, strlen("\r\npart two"));
	/* a content line that starts with the delimiter but goes on is content */
	const char *pre = "--B\r\n\r\n--Bogus line\r\nmore\r\n--B--\r\n";
	ck_assert_int_eq(as2_multipart_split(span_cstr(pre), "B", parts, AS2_MAX_PARTS, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(parts[0].n, strlen("\r\n--Bogus line\r\nmore"));
	/* not closed, no delimiter, boundary too long, too many parts */
	ck_assert_int_eq(as2_multipart_split(span_cstr("--B\r\nx\r\n--B\r\ny"), "B", parts, AS2_MAX_PARTS, &n),
			 -EBADMSG);
	ck_assert_int_eq(as2_multipart_split(span_cstr("nothing"), "B", parts, AS2_MAX_PARTS, &n), -EBADMSG);
	char longb[72];
	memset(longb, 'b', 71);
	longb[71] = 0;
	ck_assert_int_eq(as2_multipart_split(span_cstr("x"), longb, parts, AS2_MAX_PARTS, &n), -EBADMSG);
	longb[70] = 0; /* 70 is the longest RFC 2046 allows */
	char *m = xasprintf("--%s\r\n\r\nx\r\n--%s--\r\n", longb, longb);
	ck_assert_int_eq(as2_multipart_split(span_cstr(m), longb, parts, AS2_MAX_PARTS, &n), 0);
	ck_assert_uint_eq(n, 1);
	free(m);
	/* parts: at the limit and one above */
	const char *three = "--B\r\n\r\n1\r\n--B\r\n\r\n2\r\n--B\r\n\r\n3\r\n--B--";
	ck_assert_int_eq(as2_multipart_split(span_cstr(three), "B", parts, 3, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(as2_multipart_split(span_cstr(three), "B", parts, 2, &n), -E2BIG);
}
END_TEST

START_TEST(test_cte)
{
	struct buf b;
	buf_init(&b, 0);
	ck_assert_int_eq(as2_decode_cte("base64", span_cstr("aGVs\r\nbG8=\r\n"), &b), 0);
	ck_assert_str_eq(b.data, "hello");
	buf_reset(&b);
	ck_assert_int_eq(as2_decode_cte("Base64", span_cstr("aGV*bG8="), &b), -EBADMSG);
	buf_reset(&b);
	ck_assert_int_eq(as2_decode_cte("quoted-printable", span_cstr("a=3Db=\r\nc"), &b), 0);
	ck_assert_str_eq(b.data, "a=bc");
	buf_reset(&b);
	ck_assert_int_eq(as2_decode_cte(NULL, span_cstr("raw"), &b), 0);
	ck_assert_str_eq(b.data, "raw");
	buf_reset(&b);
	ck_assert_int_eq(as2_decode_cte("x-uuencode", span_cstr("raw"), &b), -ENOTSUP);
	buf_free(&b);
	/* base64 lines round trip through our decoder; 76 characters per line */
	unsigned char bin[200];
	for (int i = 0; i < 200; i++)
		bin[i] = (unsigned char)(i * 7);
	struct buf e, d;
	buf_init(&e, 0);
	buf_init(&d, 0);
	ck_assert_int_eq(as2_base64_lines(&e, bin, sizeof bin), 0);
	ck_assert_ptr_nonnull(strstr(e.data, "\r\n"));
	ck_assert_uint_eq((size_t)(strstr(e.data, "\r\n") - e.data), 76);
	ck_assert_int_eq(as2_decode_cte("base64", (struct span){ e.data, e.len }, &d), 0);
	ck_assert_uint_eq(d.len, sizeof bin);
	ck_assert(memcmp(d.data, bin, sizeof bin) == 0);
	buf_free(&e);
	buf_free(&d);
}
END_TEST

/* Write bytes to a file in tmp; returns the path (allocated). */
static char *wfile(const char *name, const void *p, size_t n)
{
	char *path = tpath(name);
	ck_assert_int_eq(tu_write(path, p, n), 0);
	return path;
}

START_TEST(test_sign_verified_by_openssl)
{
	const char *data = "Content-Type: application/edi-x12\r\n\r\nISA*00*~\r\n\x80\xff binary";
	enum as2_md mds[4] = { AS2_MD_SHA1, AS2_MD_SHA256, AS2_MD_SHA384, AS2_MD_SHA512 };
	const char *dgst[4] = { "sha1", "sha256", "sha384", "sha512" };
	for (int i = 0; i < 4; i++) {
		struct buf der;
		buf_init(&der, 0);
		ck_assert_int_eq(as2_cms_sign(&der, span_cstr(data), gw_cert, gw_key, mds[i]), 0);
		char *sig = wfile("sig.der", der.data, der.len), *dat = wfile("data", data, strlen(data));
		char *ca = certpath("gateway.crt");
		const char *verify[] = { "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content",
					 dat, "-CAfile", ca, "-purpose", "any", "-out", "/dev/null", NULL };
		ck_assert_int_eq(run(verify, NULL), 0);
		/* the signer is named by issuer and serial, and the digest is the one asked for */
		char *pr = tpath("print.txt");
		const char *print[] = { "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig, NULL };
		ck_assert_int_eq(run(print, pr), 0);
		char *txt = tu_read(pr, NULL);
		ck_assert_ptr_nonnull(strstr(txt, "issuerAndSerialNumber"));
		ck_assert_ptr_null(strstr(txt, "subjectKeyIdentifier"));
		ck_assert_ptr_nonnull(strstr(txt, dgst[i]));
		/* and we verify it ourselves */
		enum as2_md got;
		ck_assert_int_eq(as2_cms_verify(span_cstr(data), (struct span){ der.data, der.len }, gw_cert, &got, NULL), 0);
		ck_assert_int_eq(got, mds[i]);
		free(txt);
		free(pr);
		free(sig);
		free(dat);
		free(ca);
		buf_free(&der);
	}
}
END_TEST

START_TEST(test_openssl_signature_verified_here)
{
	const char *data = "Content-Type: text/plain\r\n\r\nhello\r\n";
	char *dat = wfile("data", data, strlen(data));
	char *sig = tpath("sig.der");
	char *crt = certpath("peerjs.crt"), *key = certpath("peerjs.key");
	const char *sign[] = { "openssl", "cms", "-sign", "-binary", "-md", "sha384", "-signer", crt, "-inkey", key,
			       "-in", dat, "-outform", "DER", "-out", sig, NULL };
	ck_assert_int_eq(run(sign, NULL), 0);
	size_t n;
	char *der = tu_read(sig, &n);
	enum as2_md md;
	char *why = NULL;
	ck_assert_int_eq(as2_cms_verify(span_cstr(data), (struct span){ der, n }, peer_cert, &md, &why), 0);
	ck_assert_int_eq(md, AS2_MD_SHA384);
	free(why);
	why = NULL;
	/* one byte changed, or the wrong pinned certificate */
	ck_assert_int_eq(as2_cms_verify(span_cstr("Content-Type: text/plain\r\n\r\nhellO\r\n"), (struct span){ der, n },
					peer_cert, &md, &why),
			 -EPERM);
	ck_assert_ptr_nonnull(why);
	free(why);
	why = NULL;
	ck_assert_int_eq(as2_cms_verify(span_cstr(data), (struct span){ der, n }, other_cert, &md, &why), -EPERM);
	free(why);
	ck_assert_int_eq(as2_cms_verify(span_cstr(data), (struct span){ der, n }, NULL, &md, NULL), -EPERM);
	ck_assert_int_eq(as2_cms_verify(span_cstr(data), span_cstr("not der"), peer_cert, &md, NULL), -EBADMSG);
	free(der);
	free(dat);
	free(sig);
	free(crt);
	free(key);
}
END_TEST

START_TEST(test_encrypt_decrypted_by_openssl)
{
	const char *data = "Content-Type: application/octet-stream\r\n\r\n\x01\x02\x03 payload \xfe";
	enum as2_cipher cs[4] = { AS2_CIPHER_AES128_CBC, AS2_CIPHER_AES192_CBC, AS2_CIPHER_AES256_CBC,
				  AS2_CIPHER_3DES_CBC };
	const char *names[4] = { "aes-128-cbc", "aes-192-cbc", "aes-256-cbc", "des-ede3-cbc" };
	for (int k = 0; k < 2; k++) {
		for (int i = 0; i < 4; i++) {
			struct buf der;
			buf_init(&der, 0);
			ck_assert_int_eq(as2_cms_encrypt(&der, span_cstr(data), peer_cert, cs[i],
							 k ? AS2_KEYENC_OAEP : AS2_KEYENC_PKCS1),
					 0);
			char *in = wfile("enc.der", der.data, der.len), *out = tpath("dec.out");
			char *crt = certpath("peerjs.crt"), *key = certpath("peerjs.key");
			const char *dec[] = { "openssl", "cms", "-decrypt", "-binary", "-inform", "DER", "-in", in, "-recip",
					      crt, "-inkey", key, "-out", out, NULL };
			ck_assert_int_eq(run(dec, NULL), 0);
			size_t n;
			char *got = tu_read(out, &n);
			ck_assert_uint_eq(n, strlen(data));
			ck_assert(memcmp(got, data, n) == 0);
			free(got);
			char *pr = tpath("print.txt");
			const char *print[] = { "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", in, NULL };
			ck_assert_int_eq(run(print, pr), 0);
			char *txt = tu_read(pr, NULL);
			ck_assert_ptr_nonnull(strstr(txt, names[i]));
			ck_assert_ptr_nonnull(strstr(txt, k ? "rsaesOaep" : "rsaEncryption"));
			free(txt);
			free(pr);
			/* and we decrypt our own */
			struct buf plain;
			buf_init(&plain, 0);
			enum as2_cipher c;
			ck_assert_int_eq(as2_cms_decrypt(&plain, (struct span){ der.data, der.len }, peer_cert, peer_key,
							 1 << 20, &c, NULL),
					 0);
			ck_assert_int_eq(c, cs[i]);
			ck_assert_uint_eq(plain.len, strlen(data));
			buf_free(&plain);
			free(in);
			free(out);
			free(crt);
			free(key);
			buf_free(&der);
		}
	}
}
END_TEST

START_TEST(test_openssl_encryption_decrypted_here)
{
	const char *data = "Content-Type: text/plain\r\n\r\nsecret\r\n";
	char *dat = wfile("plain", data, strlen(data));
	char *enc = tpath("enc.der");
	char *crt = certpath("gateway.crt");
	const char *ciphers[5] = { "-aes128", "-aes192", "-aes256", "-des3", "-aes256" };
	enum as2_cipher want[5] = { AS2_CIPHER_AES128_CBC, AS2_CIPHER_AES192_CBC, AS2_CIPHER_AES256_CBC,
				    AS2_CIPHER_3DES_CBC, AS2_CIPHER_AES256_CBC };
	for (int i = 0; i < 5; i++) {
		const char *e1[] = { "openssl", "cms", "-encrypt", "-binary", ciphers[i], "-in", dat, "-outform",
				     "DER", "-out", enc, crt, NULL };
		const char *e2[] = { "openssl", "cms", "-encrypt", "-binary", ciphers[i], "-in", dat, "-outform", "DER",
				     "-out", enc, "-recip", crt, "-keyopt", "rsa_padding_mode:oaep", NULL };
		ck_assert_int_eq(run(i == 4 ? e2 : e1, NULL), 0); /* the last one: OAEP key transport */
		size_t n;
		char *der = tu_read(enc, &n);
		struct buf plain;
		buf_init(&plain, 0);
		enum as2_cipher c;
		ck_assert_str_eq(as2_cms_type((struct span){ der, n }), "enveloped-data");
		ck_assert_int_eq(as2_cms_decrypt(&plain, (struct span){ der, n }, gw_cert, gw_key, 1 << 20, &c, NULL), 0);
		ck_assert_int_eq(c, want[i]);
		ck_assert_uint_eq(plain.len, strlen(data));
		ck_assert(memcmp(plain.data, data, plain.len) == 0);
		buf_reset(&plain);
		/* the plaintext limit: at the size and one below */
		ck_assert_int_eq(as2_cms_decrypt(&plain, (struct span){ der, n }, gw_cert, gw_key, strlen(data), &c, NULL),
				 0);
		buf_reset(&plain);
		ck_assert_int_eq(
			as2_cms_decrypt(&plain, (struct span){ der, n }, gw_cert, gw_key, strlen(data) - 1, &c, NULL),
			-EFBIG);
		buf_reset(&plain);
		/* not for this key */
		char *why = NULL;
		ck_assert_int_eq(as2_cms_decrypt(&plain, (struct span){ der, n }, other_cert, other_key, 1 << 20, &c, &why),
				 -EPERM);
		ck_assert_ptr_nonnull(why);
		free(why);
		buf_free(&plain);
		free(der);
	}
	free(dat);
	free(enc);
	free(crt);
}
END_TEST

START_TEST(test_compress)
{
	const char *data = "Content-Type: application/edi-x12\r\n\r\nISA*00*~ISA*00*~ISA*00*~ISA*00*~\r\n";
	struct buf der, out;
	buf_init(&der, 0);
	buf_init(&out, 0);
	ck_assert_int_eq(as2_cms_compress(&der, span_cstr(data)), 0);
	ck_assert_str_eq(as2_cms_type((struct span){ der.data, der.len }), "compressed-data");
	/* OpenSSL reads the structure (it only lacks zlib to inflate it) */
	char *f = wfile("c.der", der.data, der.len), *pr = tpath("print.txt");
	const char *print[] = { "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", f, NULL };
	ck_assert_int_eq(run(print, pr), 0);
	char *txt = tu_read(pr, NULL);
	ck_assert_ptr_nonnull(strstr(txt, "zlib"));
	free(txt);
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ der.data, der.len }, strlen(data), NULL), 0);
	ck_assert_uint_eq(out.len, strlen(data));
	ck_assert(memcmp(out.data, data, out.len) == 0);
	/* limit: one below the size */
	buf_reset(&out);
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ der.data, der.len }, strlen(data) - 1, NULL), -EFBIG);
	/* a bomb: 8 MiB of zeros against a 1 MiB limit */
	size_t big = 8u << 20;
	char *zeros = xcalloc(1, big);
	buf_reset(&der);
	ck_assert_int_eq(as2_cms_compress(&der, (struct span){ zeros, big }), 0);
	ck_assert_uint_lt(der.len, 64 * 1024);
	buf_reset(&out);
	char *why = NULL;
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ der.data, der.len }, 1u << 20, &why), -EFBIG);
	ck_assert_ptr_nonnull(why);
	free(why);
	free(zeros);
	/* damaged: not CompressedData, a truncated one */
	buf_reset(&out);
	ck_assert_int_eq(as2_cms_decompress(&out, span_cstr("\x30\x03\x06\x01\x00"), 100, NULL), -EBADMSG);
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ der.data, der.len / 2 }, 100, NULL), -EBADMSG);
	free(f);
	free(pr);
	buf_free(&der);
	buf_free(&out);
}
END_TEST

/* BER with indefinite lengths and a constructed OCTET STRING in two chunks, as streaming
 * encoders write it. */
START_TEST(test_decompress_ber)
{
	const char *plain = "Content-Type: text/plain\r\n\r\nindefinite\r\n";
	uLongf zn = compressBound(strlen(plain));
	unsigned char z[256];
	zn = sizeof z;
	ck_assert_int_eq(compress2(z, &zn, (const Bytef *)plain, strlen(plain), 9), Z_OK);
	ck_assert_uint_lt(zn, 120);
	size_t h = zn / 2;
	struct buf b;
	buf_init(&b, 0);
	static const unsigned char oid_cd[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x01, 0x09 };
	static const unsigned char oid_z[] = { 0x06, 0x0b, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x08 };
	static const unsigned char oid_d[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
	buf_append(&b, "\x30\x80", 2);
	buf_append(&b, oid_cd, sizeof oid_cd);
	buf_append(&b, "\xa0\x80\x30\x80\x02\x01\x00\x30\x0d", 9);
	buf_append(&b, oid_z, sizeof oid_z);
	buf_append(&b, "\x30\x80", 2);
	buf_append(&b, oid_d, sizeof oid_d);
	buf_append(&b, "\xa0\x80\x24\x80", 4);
	unsigned char l1[2] = { 0x04, (unsigned char)h }, l2[2] = { 0x04, (unsigned char)(zn - h) };
	buf_append(&b, l1, 2);
	buf_append(&b, z, h);
	buf_append(&b, l2, 2);
	buf_append(&b, z + h, zn - h);
	buf_append(&b, "\0\0\0\0\0\0\0\0\0\0\0\0", 12); /* octets, [0], encap, cd, [0], ci */
	struct buf out;
	buf_init(&out, 0);
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ b.data, b.len }, 1000, NULL), 0);
	ck_assert_str_eq(out.data, plain);
	/* one end-of-contents short */
	buf_reset(&out);
	ck_assert_int_eq(as2_cms_decompress(&out, (struct span){ b.data, b.len - 2 }, 1000, NULL), -EBADMSG);
	buf_free(&b);
	buf_free(&out);
}
END_TEST

/* Build, then open as the receiver; the MIC both sides compute must agree. */
static void roundtrip(enum as2_md sign, enum as2_cipher enc, enum as2_compress comp, enum as2_keyenc ke)
{
	const char payload[] = "ISA*00*          *00*~\r\n\x00\x01\xfe binary\r\n--not-a-boundary\r\n";
	size_t plen = sizeof payload - 1;
	struct as2_build_opts bo = { .our_cert = peer_cert, .our_key = peer_key, .partner_cert = gw_cert,
				     .sign = sign, .encrypt = enc, .keyenc = ke, .compress = comp,
				     .content_type = "application/edi-x12", .filename = "po-1.edi" };
	struct as2_out out;
	ck_assert_int_eq(as2_build(&out, payload, plen, &bo), 0);
	struct as2_open_opts oo = { .our_cert = gw_cert, .our_key = gw_key, .partner_cert = peer_cert,
				    .max_bytes = 1 << 20 };
	struct as2_opened o;
	int rc = as2_open(&o, out.content_type, out.cte, out.body.data, out.body.len, &oo);
	ck_assert_msg(rc == 0, "open sign=%d enc=%d comp=%d: %s (%s)", sign, enc, comp, o.why ? o.why : "",
		      o.failure ? o.failure : "");
	ck_assert_uint_eq(o.payload.n, plen);
	ck_assert(memcmp(o.payload.p, payload, plen) == 0);
	ck_assert_int_eq(o.is_signed, sign != AS2_MD_NONE);
	ck_assert_int_eq(o.is_encrypted, enc != AS2_CIPHER_NONE);
	ck_assert_int_eq(o.is_compressed, comp != AS2_COMPRESS_NONE);
	if (sign != AS2_MD_NONE)
		ck_assert_int_eq(o.sig_md, sign);
	if (enc != AS2_CIPHER_NONE)
		ck_assert_int_eq(o.cipher, enc);
	ck_assert_str_eq(o.content_type, "application/edi-x12");
	if (sign != AS2_MD_NONE || enc != AS2_CIPHER_NONE || comp != AS2_COMPRESS_NONE)
		ck_assert_str_eq(o.filename, "po-1.edi");
	else /* plain: the payload's headers are the HTTP headers */
		ck_assert_str_eq(out.content_disposition, "attachment; filename=\"po-1.edi\"");
	char mic[AS2_MIC_MAX];
	ck_assert_int_eq(as2_mic(out.mic_md, o.mic_data.p, o.mic_data.n, mic), 0);
	ck_assert_msg(strcmp(mic, out.mic) == 0, "MIC sign=%d enc=%d comp=%d: %s vs %s", sign, enc, comp, mic, out.mic);
	/* the receiver's view of "what is hashed" per RFC 4130 7.3.1 / RFC 5402 */
	if (sign == AS2_MD_NONE && enc == AS2_CIPHER_NONE && comp == AS2_COMPRESS_NONE) {
		ck_assert_uint_eq(o.mic_data.n, plen); /* plain: the content only */
	} else if (sign == AS2_MD_NONE || comp == AS2_COMPRESS_NONE || comp == AS2_COMPRESS_AFTER_SIGNING) {
		/* the payload entity with its headers */
		ck_assert(o.mic_data.n > plen);
		ck_assert(strncmp(o.mic_data.p, "Content-Type: application/edi-x12\r\n", 35) == 0);
	} else { /* compressed, then signed: the signed part is the compressed entity */
		ck_assert(strncmp(o.mic_data.p, "Content-Type: application/pkcs7-mime; smime-type=compressed-data", 64) == 0);
	}
	as2_opened_clear(&o);
	as2_out_clear(&out);
}

START_TEST(test_build_open_all)
{
	enum as2_md mds[5] = { AS2_MD_NONE, AS2_MD_SHA1, AS2_MD_SHA256, AS2_MD_SHA384, AS2_MD_SHA512 };
	enum as2_cipher cs[5] = { AS2_CIPHER_NONE, AS2_CIPHER_AES128_CBC, AS2_CIPHER_AES192_CBC, AS2_CIPHER_AES256_CBC,
				  AS2_CIPHER_3DES_CBC };
	for (int s = 0; s < 5; s++)
		for (int c = 0; c < 5; c++)
			for (int z = 0; z < 3; z++)
				roundtrip(mds[s], cs[c], (enum as2_compress)z, (s + c) % 2 ? AS2_KEYENC_OAEP : AS2_KEYENC_PKCS1);
}
END_TEST

START_TEST(test_open_failures)
{
	const char *payload = "Content of the order";
	struct as2_out out;
	struct as2_opened o;
	struct as2_build_opts bo = { .our_cert = other_cert, .our_key = other_key, .partner_cert = gw_cert,
				     .sign = AS2_MD_SHA256, .encrypt = AS2_CIPHER_AES128_CBC,
				     .content_type = "text/plain" };
	struct as2_open_opts oo = { .our_cert = gw_cert, .our_key = gw_key, .partner_cert = peer_cert,
				    .max_bytes = 1 << 20 };
	/* signed by someone else than the pinned certificate */
	ck_assert_int_eq(as2_build(&out, payload, strlen(payload), &bo), 0);
	ck_assert_int_lt(as2_open(&o, out.content_type, out.cte, out.body.data, out.body.len, &oo), 0);
	ck_assert_str_eq(o.failure, "integrity-check-failed");
	ck_assert_ptr_nonnull(o.why);
	as2_opened_clear(&o);
	as2_out_clear(&out);
	/* encrypted for someone else */
	bo.our_cert = peer_cert;
	bo.our_key = peer_key;
	bo.partner_cert = other_cert;
	ck_assert_int_eq(as2_build(&out, payload, strlen(payload), &bo), 0);
	ck_assert_int_lt(as2_open(&o, out.content_type, out.cte, out.body.data, out.body.len, &oo), 0);
	ck_assert_str_eq(o.failure, "decryption-failed");
	as2_opened_clear(&o);
	as2_out_clear(&out);
	/* a signature we cannot check: no certificate pinned */
	bo.partner_cert = gw_cert;
	oo.partner_cert = NULL;
	ck_assert_int_eq(as2_build(&out, payload, strlen(payload), &bo), 0);
	ck_assert_int_lt(as2_open(&o, out.content_type, out.cte, out.body.data, out.body.len, &oo), 0);
	ck_assert_str_eq(o.failure, "integrity-check-failed");
	as2_opened_clear(&o);
	/* the decrypted size above max_bytes */
	oo.partner_cert = peer_cert;
	oo.max_bytes = 50;
	ck_assert_int_lt(as2_open(&o, out.content_type, out.cte, out.body.data, out.body.len, &oo), 0);
	ck_assert_ptr_nonnull(o.failure);
	as2_opened_clear(&o);
	as2_out_clear(&out);
	/* damaged compressed data */
	oo.max_bytes = 1 << 20;
	ck_assert_int_lt(as2_open(&o, "application/pkcs7-mime; smime-type=compressed-data", "binary", "\x30\x03\x02\x01\x00",
				  5, &oo),
			 0);
	ck_assert_str_eq(o.failure, "decompression-failed");
	as2_opened_clear(&o);
	/* layers nested deeper than AS2_MAX_DEPTH: compressed inside compressed ... */
	struct buf cur;
	buf_init(&cur, 0);
	buf_puts(&cur, "Content-Type: text/plain\r\n\r\nx");
	for (int i = 0; i <= AS2_MAX_DEPTH + 1; i++) {
		struct buf der, ent;
		buf_init(&der, 0);
		buf_init(&ent, 0);
		ck_assert_int_eq(as2_cms_compress(&der, (struct span){ cur.data, cur.len }), 0);
		buf_puts(&ent, "Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n"
			       "Content-Transfer-Encoding: base64\r\n\r\n");
		as2_base64_lines(&ent, der.data, der.len);
		buf_free(&cur);
		cur = ent;
		buf_free(&der);
	}
	struct as2_entity e;
	ck_assert_int_eq(as2_entity_parse(&e, cur.data, cur.len), 0);
	ck_assert_int_lt(as2_open(&o, as2_entity_get(&e, "Content-Type"), "base64", e.body.p, e.body.n, &oo), 0);
	ck_assert_str_eq(o.failure, "unexpected-processing-error");
	as2_opened_clear(&o);
	as2_entity_clear(&e);
	buf_free(&cur);
}
END_TEST

/* A request saved by the libas2 peer (send.js --save-request): headers, blank line, body. */
START_TEST(test_libas2_requests)
{
	char *tsvp = tu_srcpath("tests/data/as2/libas2-fixtures.tsv");
	char *tsv = tu_read(tsvp, NULL);
	ck_assert_ptr_nonnull(tsv);
	char *pp = tu_srcpath("tests/data/as2/payload.edi");
	size_t plen;
	char *payload = tu_read(pp, &plen);
	int cases = 0;
	char *line = tsv;
	while (line && *line) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		char *next = nl ? nl + 1 : NULL;
		if (line[0] == '#') {
			line = next;
			continue;
		}
		char *f[6];
		int k = 0;
		for (char *t = line; t && k < 6;) {
			f[k++] = t;
			char *tab = strchr(t, '\t');
			if (tab)
				*tab = 0;
			t = tab ? tab + 1 : NULL;
		}
		ck_assert_int_eq(k, 6);
		char *rel = xasprintf("tests/data/as2/libas2-%s.req", f[0]);
		char *rp = tu_srcpath(rel);
		size_t n;
		char *req = tu_read(rp, &n);
		ck_assert_ptr_nonnull(req);
		struct as2_entity e;
		ck_assert_int_eq(as2_entity_parse(&e, req, n), 0);
		struct as2_open_opts oo = { .our_cert = gw_cert, .our_key = gw_key, .partner_cert = peer_cert,
					    .max_bytes = 1 << 20 };
		struct as2_opened o;
		int rc = as2_open(&o, as2_entity_get(&e, "Content-Type"), as2_entity_get(&e, "Content-Transfer-Encoding"),
				  e.body.p, e.body.n, &oo);
		ck_assert_msg(rc == 0, "%s: %s", f[0], o.why ? o.why : "");
		ck_assert_uint_eq(o.payload.n, plen);
		ck_assert(memcmp(o.payload.p, payload, plen) == 0);
		ck_assert_int_eq(o.is_signed, f[3][0] == '1');
		ck_assert_int_eq(o.is_encrypted, f[4][0] == '1');
		ck_assert_int_eq(o.is_compressed, f[5][0] == '1');
		enum as2_md md;
		ck_assert_int_eq(as2_md_from_name(span_cstr(f[2]), &md), 0);
		char mic[AS2_MIC_MAX];
		ck_assert_int_eq(as2_mic(md, o.mic_data.p, o.mic_data.n, mic), 0);
		ck_assert_msg(strcmp(mic, f[1]) == 0, "%s: MIC %s, libas2 expects %s", f[0], mic, f[1]);
		as2_opened_clear(&o);
		as2_entity_clear(&e);
		free(req);
		free(rp);
		free(rel);
		cases++;
		line = next;
	}
	ck_assert_int_ge(cases, 7);
	free(payload);
	free(pp);
	free(tsv);
	free(tsvp);
}
END_TEST

/* A message made with the openssl command the way openssl-send.sh does (sign -binary
 * -crlfeol, encrypt -binary, DER): the MIC is the digest of the exact file signed. */
START_TEST(test_openssl_message)
{
	const char ent[] = "Content-Type: application/edifact\r\nContent-Transfer-Encoding: binary\r\n"
			   "Content-Disposition: attachment; filename=\"payload.edi\"\r\n\r\n"
			   "UNA:+.? '\r\nUNB+UNOC:3+GATEWAY+PEERJS+200101:1200+1'\r\nUNZ+0+1'\r\n\x80\xff";
	char *ef = wfile("entity", ent, sizeof ent - 1);
	char *sf = tpath("signed"), *df = tpath("body.der");
	char *crt = certpath("peerjs.crt"), *key = certpath("peerjs.key"), *gcrt = certpath("gateway.crt");
	const char *sign[] = { "openssl", "cms", "-sign", "-binary", "-crlfeol", "-md", "sha512", "-signer", crt,
			       "-inkey", key, "-in", ef, "-out", sf, NULL };
	ck_assert_int_eq(run(sign, NULL), 0);
	const char *enc[] = { "openssl", "cms", "-encrypt", "-binary", "-des3", "-in", sf, "-outform", "DER", "-out", df,
			      gcrt, NULL };
	ck_assert_int_eq(run(enc, NULL), 0);
	char want[AS2_MIC_MAX];
	ck_assert_int_eq(as2_mic(AS2_MD_SHA512, ent, sizeof ent - 1, want), 0);
	size_t n;
	char *der = tu_read(df, &n);
	struct as2_open_opts oo = { .our_cert = gw_cert, .our_key = gw_key, .partner_cert = peer_cert,
				    .max_bytes = 1 << 20 };
	struct as2_opened o;
	ck_assert_int_eq(as2_open(&o, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", "binary",
				  der, n, &oo),
			 0);
	ck_assert(o.is_signed && o.is_encrypted && !o.is_compressed);
	ck_assert_int_eq(o.sig_md, AS2_MD_SHA512);
	ck_assert_int_eq(o.cipher, AS2_CIPHER_3DES_CBC);
	ck_assert_str_eq(o.filename, "payload.edi");
	char mic[AS2_MIC_MAX];
	as2_mic(AS2_MD_SHA512, o.mic_data.p, o.mic_data.n, mic);
	ck_assert_str_eq(mic, want);
	ck_assert_uint_eq(o.payload.n, strlen("UNA:+.? '\r\nUNB+UNOC:3+GATEWAY+PEERJS+200101:1200+1'\r\nUNZ+0+1'\r\n") + 2);
	as2_opened_clear(&o);
	/* signed only: openssl's MIME headers become the HTTP headers */
	size_t sn;
	char *smime = tu_read(sf, &sn);
	struct as2_entity e;
	ck_assert_int_eq(as2_entity_parse(&e, smime, sn), 0);
	ck_assert_int_eq(as2_open(&o, as2_entity_get(&e, "Content-Type"), NULL, e.body.p, e.body.n, &oo), 0);
	ck_assert(o.is_signed && !o.is_encrypted);
	as2_mic(AS2_MD_SHA512, o.mic_data.p, o.mic_data.n, mic);
	ck_assert_str_eq(mic, want);
	as2_opened_clear(&o);
	as2_entity_clear(&e);
	free(smime);
	free(der);
	free(ef);
	free(sf);
	free(df);
	free(crt);
	free(key);
	free(gcrt);
}
END_TEST

START_TEST(test_mdn_build_parse)
{
	struct as2_mdn_info mi = { .reporting_ua = "edigw test", .our_id = "GATEWAY", .original_recipient = "GATEWAY",
				   .original_message_id = "<abc@peerjs>", .disposition = "processed",
				   .mic = "X+lSTOHL79OrSfSGB0UoLwcG/4zBXFGRaRpA787vkkA=", .mic_md = AS2_MD_SHA256,
				   .text = "The message was received." };
	struct as2_out out;
	struct as2_mdn m;
	for (int signed_ = 0; signed_ < 2; signed_++) {
		if (signed_) {
			mi.sign_cert = gw_cert;
			mi.sign_key = gw_key;
			mi.sign_md = AS2_MD_SHA384;
		}
		ck_assert_int_eq(as2_mdn_build(&out, &mi), 0);
		ck_assert_int_eq(as2_mdn_parse(&m, out.content_type, out.cte, out.body.data, out.body.len, gw_cert, 1 << 20),
				 0);
		ck_assert_int_eq(m.is_signed, signed_);
		ck_assert_int_eq(m.sig_ok, signed_);
		ck_assert_str_eq(m.original_message_id, "<abc@peerjs>");
		ck_assert_int_eq(m.disp, AS2_DISP_PROCESSED);
		ck_assert_str_eq(m.mic, mi.mic);
		ck_assert_int_eq(m.mic_md, AS2_MD_SHA256);
		ck_assert_str_eq(m.text, "The message was received.");
		ck_assert_ptr_nonnull(strstr(m.final_recipient, "GATEWAY"));
		as2_mdn_clear(&m);
		if (signed_) {
			/* openssl smime verifies our signed MDN as a MIME message */
			struct buf mime;
			buf_init(&mime, 0);
			buf_printf(&mime, "MIME-Version: 1.0\r\nContent-Type: %s\r\n\r\n", out.content_type);
			buf_append(&mime, out.body.data, out.body.len);
			char *mf = wfile("mdn.mime", mime.data, mime.len), *ca = certpath("gateway.crt");
			const char *v[] = { "openssl", "smime", "-verify", "-in", mf, "-CAfile", ca, "-purpose", "any", NULL };
			ck_assert_int_eq(run(v, NULL), 0);
			/* tampered: a changed byte in the signed report fails */
			char *pos = strstr(mime.data, "processed");
			ck_assert_ptr_nonnull(pos);
			pos[0] = 'P';
			ck_assert_int_eq(tu_write(mf, mime.data, mime.len), 0);
			ck_assert_int_ne(run(v, NULL), 0);
			char *b = strstr(mime.data, "\r\n\r\n") + 4;
			ck_assert_int_eq(as2_mdn_parse(&m, out.content_type, NULL, b, mime.len - (size_t)(b - mime.data),
						       gw_cert, 1 << 20),
					 0);
			ck_assert(m.is_signed && !m.sig_ok);
			ck_assert_ptr_nonnull(m.why);
			as2_mdn_clear(&m);
			/* a signature by another certificate than the pinned one */
			ck_assert_int_eq(as2_mdn_parse(&m, out.content_type, NULL, out.body.data, out.body.len, peer_cert,
						       1 << 20),
					 0);
			ck_assert(m.is_signed && !m.sig_ok);
			as2_mdn_clear(&m);
			free(mf);
			free(ca);
			buf_free(&mime);
		}
		as2_out_clear(&out);
	}
	/* not an MDN */
	ck_assert_int_eq(as2_mdn_parse(&m, "text/plain", NULL, "hello", 5, NULL, 1000), -EBADMSG);
	as2_mdn_clear(&m);
	/* an error MDN without a MIC */
	struct as2_mdn_info e = { .our_id = "GATEWAY", .original_message_id = "<x@y>",
				  .disposition = "processed/error: decryption-failed", .text = "no" };
	ck_assert_int_eq(as2_mdn_build(&out, &e), 0);
	ck_assert_int_eq(as2_mdn_parse(&m, out.content_type, NULL, out.body.data, out.body.len, NULL, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_ERROR);
	ck_assert_str_eq(m.modifier, "decryption-failed");
	ck_assert_ptr_null(m.mic);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
}
END_TEST

START_TEST(test_disposition_lenient)
{
	struct {
		const char *s;
		enum as2_disp d;
		const char *mod;
	} v[] = {
		{ "automatic-action/MDN-sent-automatically; processed", AS2_DISP_PROCESSED, NULL },
		{ "Automatic-Action/MDN-Sent-Automatically;Processed", AS2_DISP_PROCESSED, NULL },
		{ "automatic-action/MDN-sent-automatically; processed/Error: authentication-failed", AS2_DISP_ERROR,
		  "authentication-failed" },
		{ "automatic-action/MDN-sent-automatically; processed / warning: duplicate-document", AS2_DISP_WARNING,
		  "duplicate-document" },
		{ "automatic-action/MDN-sent-automatically; failed/failure=unsupported MIC-algorithms", AS2_DISP_FAILED,
		  "unsupported MIC-algorithms" },
		{ "automatic-action/MDN-sent-automatically; Failed/Failure: sender-equals-receiver", AS2_DISP_FAILED,
		  "sender-equals-receiver" },
		{ "automatic-action/MDN-sent-automatically; proccessed", AS2_DISP_PROCESSED, NULL },
		{ "processed/warning", AS2_DISP_WARNING, NULL },
		{ "automatic-action/MDN-sent-automatically; displayed", AS2_DISP_UNKNOWN, NULL },
		{ "", AS2_DISP_UNKNOWN, NULL },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		char *mod = NULL;
		ck_assert_msg(as2_disposition_parse(v[i].s, &mod) == v[i].d, "%s", v[i].s);
		if (v[i].mod)
			ck_assert_str_eq(mod, v[i].mod);
		else
			ck_assert_ptr_null(mod);
		free(mod);
	}
	ck_assert_int_eq(as2_disposition_parse(NULL, NULL), AS2_DISP_UNKNOWN);
}
END_TEST

START_TEST(test_dno)
{
	struct as2_dno d;
	as2_dno_parse("signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1", &d);
	ck_assert(d.signed_receipt && !d.signed_required);
	ck_assert_int_eq(d.micalg, AS2_MD_SHA256);
	as2_dno_parse("signed-receipt-protocol=required,pkcs7-signature; signed-receipt-micalg=required,md5,SHA384", &d);
	ck_assert(d.signed_receipt && d.signed_required);
	ck_assert_int_eq(d.micalg, AS2_MD_SHA384);
	ck_assert(!d.micalg_unsupported);
	as2_dno_parse("signed-receipt-protocol=required,pkcs7-signature; signed-receipt-micalg=required,md5", &d);
	ck_assert(d.micalg_unsupported);
	as2_dno_parse("signed-receipt-micalg=optional,md5", &d);
	ck_assert(!d.signed_receipt && !d.micalg_unsupported);
	ck_assert_int_eq(d.micalg, AS2_MD_NONE);
	as2_dno_parse(NULL, &d);
	ck_assert(!d.signed_receipt);
}
END_TEST


/* ------------------------------------------------------------ settings and the endpoint */

/* A configuration tree in tmp: edigw.conf with main (after the required keys) and
 * partners/p.conf with partner; returns the path of edigw.conf. */
static char *conf_tree(const char *main, const char *partner)
{
	char *pd = tpath("partners"), *ed = tpath("erp");
	mkdir(pd, 0755);
	mkdir(ed, 0755);
	char *rng = tu_srcpath("doc/canonical.rng"), *sch = tu_srcpath("maps/schemas");
	char *gk = certpath("gateway.key"), *gc = certpath("gateway.crt"), *pc = certpath("peerjs.crt");
	char *m = xasprintf("spool = spool\nerp-dir = erp\npartners-dir = partners\nour.x12.qualifier = ZZ\n"
			    "our.x12.id = GATEWAY\nour.x12.gs-id = GATEWAY\ncanonical-schema = %s\nschema-dir = %s\n"
			    "as2.key = %s\nas2.cert = %s\n%s",
			    rng, sch, gk, gc, main);
	char *c = tpath("edigw.conf");
	ck_assert_int_eq(tu_write(c, m, strlen(m)), 0);
	char *pp = xasprintf("id = p\nas2.cert = %s\n%s", pc, partner);
	char *pf = tpath("partners/p.conf");
	ck_assert_int_eq(tu_write(pf, pp, strlen(pp)), 0);
	free(pd);
	free(ed);
	free(rng);
	free(sch);
	free(gk);
	free(gc);
	free(pc);
	free(m);
	free(pp);
	free(pf);
	return c;
}

/* Load and return the number of errors; the first error message in *first (allocated). */
static size_t conf_errors(const char *main, const char *partner, char **first)
{
	char *c = conf_tree(main, partner);
	struct diag_list d;
	struct config *cfg = NULL;
	diag_list_init(&d);
	config_load(&cfg, c, &d);
	size_t n = d.nerrors;
	if (first) {
		*first = NULL;
		for (size_t i = 0; i < d.n; i++)
			if (!d.v[i].warning) {
				*first = xasprintf("%zu: %s", d.v[i].line, d.v[i].msg);
				break;
			}
	}
	diag_list_free(&d);
	config_free(cfg);
	free(c);
	return n;
}

START_TEST(test_config_keys)
{
	char *c = conf_tree("as2.id = GATEWAY\nas2.listen = 127.0.0.1:4080\nas2.mdn-url = http://127.0.0.1:4080/as2\n",
			    "as2.id = \"PEER JS\"x\n");
	struct diag_list d;
	struct config *cfg = NULL;
	diag_list_init(&d);
	/* a quote and a blank in an AS2 name */
	ck_assert_int_lt(config_load(&cfg, c, &d), 0);
	diag_list_free(&d);
	free(c);
	c = conf_tree("as2.id = GATEWAY\nas2.listen = 127.0.0.1:4080\nas2.mdn-url = http://127.0.0.1:4080/as2\n",
		      "as2.id = PEERJS\nas2.url = https://peer.example/as2\nas2.sign = sha512\nas2.encrypt = 3des-cbc\n"
		      "as2.key-transport = oaep\nas2.compress = after-signing\nas2.mdn = async\nas2.mdn-signed = no\n"
		      "as2.require-signature = no\nas2.require-encryption = no\nas2.timeout = 1h\nas2.mdn-wait = 10s\n");
	diag_list_init(&d);
	int rc = config_load(&cfg, c, &d);
	if (rc < 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(cfg->as2.id, "GATEWAY");
	ck_assert_str_eq(cfg->as2.listen, "127.0.0.1:4080");
	const struct cfg_partner *p = config_partner_by_as2(cfg, "PEERJS");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(config_partner_by_as2(cfg, "peerjs")); /* exact */
	ck_assert_int_eq(p->as2.sign, AS2_MD_SHA512);
	ck_assert_int_eq(p->as2.encrypt, AS2_CIPHER_3DES_CBC);
	ck_assert(p->as2.oaep);
	ck_assert_int_eq(p->as2.compress, CFG_AS2_COMPRESS_AFTER);
	ck_assert_int_eq(p->as2.mdn, CFG_AS2_MDN_ASYNC);
	ck_assert(!p->as2.mdn_signed && !p->as2.require_signature && !p->as2.require_encryption);
	ck_assert_uint_eq(p->as2.timeout_s, 3600);
	ck_assert_uint_eq(p->as2.mdn_wait_s, 10);
	config_free(cfg);
	diag_list_free(&d);
	free(c);
	/* defaults */
	c = conf_tree("as2.id = GATEWAY\n", "as2.id = PEERJS\n");
	diag_list_init(&d);
	ck_assert_int_eq(config_load(&cfg, c, &d), 0);
	p = config_partner(cfg, "p");
	ck_assert_int_eq(p->as2.sign, AS2_MD_SHA256);
	ck_assert_int_eq(p->as2.encrypt, AS2_CIPHER_AES256_CBC);
	ck_assert(!p->as2.oaep && p->as2.mdn_signed && p->as2.require_signature && p->as2.require_encryption);
	ck_assert_int_eq(p->as2.mdn, CFG_AS2_MDN_SYNC);
	ck_assert_uint_eq(p->as2.timeout_s, 60);
	config_free(cfg);
	diag_list_free(&d);
	free(c);
}
END_TEST

START_TEST(test_config_errors)
{
	char *e = NULL;
	/* each mistake is one error naming its line */
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.sign = sha256\n", &e), 2); /* as2.cert, as2.sign */
	ck_assert_ptr_nonnull(strstr(e, "without as2.id"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.sign = md5\n", &e), 1);
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = GATEWAY\n", &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "our own"));
	free(e);
	ck_assert_uint_eq(conf_errors("", "as2.id = PEERJS\n", &e), 3); /* our as2.key, as2.cert without as2.id too */
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.listen = localhost\n", "as2.id = PEERJS\n", &e), 1);
	ck_assert_ptr_nonnull(strstr(e, "HOST:PORT"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.listen = 127.0.0.1:65536\n", "as2.id = PEERJS\n", NULL), 1);
	/* https: the TLS pair goes together and with as2.listen; a CA file needs an https URL */
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.listen = 127.0.0.1:1\nas2.tls-cert = c.pem\n",
				      "as2.id = PEERJS\n", &e),
			  1);
	ck_assert_ptr_nonnull(strstr(e, "as2.tls-cert and as2.tls-key go together"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.tls-cert = c.pem\nas2.tls-key = k.pem\n",
				      "as2.id = PEERJS\n", &e),
			  1);
	ck_assert_ptr_nonnull(strstr(e, "as2.tls-cert without as2.listen"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n",
				      "as2.id = PEERJS\nas2.url = http://127.0.0.1:1/as2\nas2.tls-ca = ca.pem\n", &e),
			  1);
	ck_assert_ptr_nonnull(strstr(e, "5: as2.tls-ca with an http:// as2.url"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.listen = 127.0.0.1:1\nas2.tls-cert = c.pem\n"
				      "as2.tls-key = k.pem\n",
				      "as2.id = PEERJS\nas2.url = https://127.0.0.1:1/as2\nas2.tls-ca = ca.pem\n", NULL),
			  0);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\nas2.listen = 127.0.0.1:65535\n", "as2.id = PEERJS\n", NULL), 0);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n",
				      "as2.id = PEERJS\nas2.url = http://127.0.0.1:1/as2\nas2.mdn = async\n", &e),
			  1);
	ck_assert_ptr_nonnull(strstr(e, "as2.mdn-url"));
	free(e);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.url = ftp://x/as2\n", NULL), 1);
	/* as2.timeout: 1s..1h (one below, at both ends, one above) */
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.timeout = 0s\n", NULL), 1);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.timeout = 1s\n", NULL), 0);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.timeout = 3600\n", NULL), 0);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", "as2.id = PEERJS\nas2.timeout = 3601\n", NULL), 1);
	/* AS2 names: 128 characters, not 129 */
	char name[140];
	memset(name, 'N', 129);
	name[128] = 0;
	char *pl = xasprintf("as2.id = %s\n", name);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", pl, NULL), 0);
	free(pl);
	name[128] = 'N';
	name[129] = 0;
	pl = xasprintf("as2.id = %s\n", name);
	ck_assert_uint_eq(conf_errors("as2.id = GATEWAY\n", pl, NULL), 1);
	free(pl);
}
END_TEST

/* The endpoint without any peer: a gateway from conf_tree and a server on a free port. */
struct srv {
	struct gateway *g;
	struct gw_as2_server *s;
	char *url;
	const char *ca; /* the CA file post() trusts for https, NULL: the system's */
};

/* main: extra edigw.conf lines; scheme "http" or "https". */
static void srv_start_with(struct srv *v, const char *main, const char *partner, const char *scheme)
{
	char *mc = xasprintf("as2.id = GATEWAY\nas2.listen = 127.0.0.1:0\n%s", main);
	char *c = conf_tree(mc, partner);
	free(mc);
	struct diag_list d;
	diag_list_init(&d);
	int rc = gateway_open(&v->g, c, &d);
	if (rc < 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(rc, 0);
	diag_list_free(&d);
	ck_assert_int_eq(gateway_as2_start(v->g, NULL, &v->s), 0);
	ck_assert_uint_gt(gateway_as2_port(v->s), 0);
	v->url = xasprintf("%s://127.0.0.1:%u/as2", scheme, gateway_as2_port(v->s));
	v->ca = NULL;
	free(c);
}

static void srv_start(struct srv *v, const char *partner)
{
	srv_start_with(v, "", partner, "http");
}

static void srv_stop(struct srv *v)
{
	gateway_as2_stop(v->s);
	gateway_free(v->g);
	free(v->url);
}

/* POST with AS2 headers (from, message id, extra NULL-terminated). */
static long post(struct srv *v, const char *from, const char *mid, const char *ct, const char *const *extra,
		 const void *body, size_t len, char **rct, struct buf *resp)
{
	const char *h[16];
	size_t n = 0;
	char *hf = from ? xasprintf("AS2-From: %s", from) : NULL, *hm = mid ? xasprintf("Message-ID: %s", mid) : NULL;
	char *hc = xasprintf("Content-Type: %s", ct);
	if (hf)
		h[n++] = hf;
	h[n++] = "AS2-To: GATEWAY";
	if (hm)
		h[n++] = hm;
	h[n++] = hc;
	for (size_t i = 0; extra && extra[i]; i++)
		h[n++] = extra[i];
	h[n] = NULL;
	long status = 0;
	char *why = NULL;
	int rc = gw_as2_post(v->url, v->ca, h, body, len, 30, &status, rct, NULL, resp, &why);
	ck_assert_msg(rc == 0, "%s", why ? why : "");
	free(hf);
	free(hm);
	free(hc);
	return status;
}

static int incoming(const char *name)
{
	(void)name;
	char *p = tpath("spool/incoming");
	int n = tu_count_files(p);
	free(p);
	return n;
}

/* The server marks a message "answered" when libmicrohttpd reports the response complete,
 * which may be just after the client has read it; a resend before that is (correctly) answered
 * "processed" again, so a duplicate check first waits for the row, at most 10 s. */
static void wait_answered(const char *mid)
{
	char *db = tpath("spool/ledger.db");
	char *q = xasprintf("SELECT 1 FROM as2_messages WHERE direction = 'in' AND message_id = '%s' "
			    "AND state = 'answered'",
			    mid);
	ck_assert_msg(tu_sql_wait(db, q, 10000) == 0, "%s: not answered after 10 s", mid);
	free(q);
	free(db);
}

START_TEST(test_endpoint_http)
{
	struct srv v;
	srv_start(&v, "as2.id = PEERJS\nas2.require-signature = no\nas2.require-encryption = no\nlimit.max-file-size = 1k\n");
	struct buf r;
	buf_init(&r, 0);
	char *rct = NULL;
	/* unknown AS2-From: 403 and nothing stored; missing Message-ID: 400 */
	ck_assert_int_eq(post(&v, "STRANGER", "<a@b>", "application/edi-x12", NULL, "x", 1, NULL, &r), 403);
	ck_assert_int_eq(post(&v, "PEERJS", NULL, "application/edi-x12", NULL, "x", 1, NULL, &r), 400);
	ck_assert_int_eq(incoming(NULL), 0);
	/* the body limit for limit.max-file-size 1k: 2 * 1024 + 65536 bytes; at it, and one above */
	size_t lim = 2 * 1024 + 65536;
	char *big = xmalloc(lim + 1);
	memset(big, 'A', lim + 1);
	ck_assert_int_eq(post(&v, "PEERJS", "<big-1@p>", "application/octet-stream", NULL, big, lim + 1, NULL, &r), 413);
	ck_assert_int_eq(incoming(NULL), 0);
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<big-2@p>", "application/octet-stream", NULL, big, lim, NULL, &r), 200);
	ck_assert_int_eq(incoming(NULL), 1);
	free(big);
	/* plain, unsigned MDN asked: processed, with the MIC of the content; then a duplicate */
	const char *dnt[] = { "Disposition-Notification-To: x@y", NULL };
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<plain-1@p>", "application/edi-x12", dnt, "ISA*hello", 9, &rct, &r), 200);
	struct as2_mdn m;
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, NULL, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_PROCESSED);
	ck_assert(!m.is_signed);
	char mic[AS2_MIC_MAX];
	as2_mic(AS2_MD_SHA256, "ISA*hello", 9, mic);
	ck_assert_str_eq(m.mic, mic);
	ck_assert_str_eq(m.original_message_id, "<plain-1@p>");
	as2_mdn_clear(&m);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 2);
	wait_answered("<plain-1@p>");
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<plain-1@p>", "application/edi-x12", dnt, "ISA*hello", 9, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, NULL, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_WARNING);
	ck_assert_str_eq(m.modifier, "duplicate-document");
	as2_mdn_clear(&m);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 2);
	/* a signed MDN asked with only MIC algorithms we do not support, required */
	const char *md5[] = { "Disposition-Notification-To: x@y",
			      "Disposition-Notification-Options: signed-receipt-protocol=required, pkcs7-signature; "
			      "signed-receipt-micalg=required, md5",
			      NULL };
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<md5@p>", "application/edi-x12", md5, "ISA*x", 5, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, gw_cert, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_FAILED);
	ck_assert_str_eq(m.modifier, "unsupported MIC-algorithms");
	ck_assert(m.is_signed && m.sig_ok);
	as2_mdn_clear(&m);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 2);
	buf_free(&r);
	srv_stop(&v);
}
END_TEST

START_TEST(test_endpoint_policy)
{
	struct srv v;
	srv_start(&v, "as2.id = PEERJS\n"); /* signature and encryption required */
	struct buf r;
	buf_init(&r, 0);
	char *rct = NULL;
	const char *dnt[] = { "Disposition-Notification-To: x@y",
			      "Disposition-Notification-Options: signed-receipt-protocol=optional, pkcs7-signature; "
			      "signed-receipt-micalg=optional, sha-512",
			      NULL };
	struct as2_build_opts bo = { .our_cert = peer_cert, .our_key = peer_key, .partner_cert = gw_cert,
				     .sign = AS2_MD_NONE, .encrypt = AS2_CIPHER_AES128_CBC,
				     .content_type = "application/edi-x12" };
	struct as2_out out;
	struct as2_mdn m;
	/* encrypted but unsigned: refused, signed MDN with sha-512 as asked */
	ck_assert_int_eq(as2_build(&out, "ISA*1", 5, &bo), 0);
	ck_assert_int_eq(post(&v, "PEERJS", "<u@p>", out.content_type, dnt, out.body.data, out.body.len, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, gw_cert, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_ERROR);
	ck_assert_str_eq(m.modifier, "insufficient-message-security");
	ck_assert(m.sig_ok);
	ck_assert_int_eq(m.sig_md, AS2_MD_SHA512);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 0);
	/* signed and encrypted: processed with the MIC we expect */
	buf_reset(&r);
	bo.sign = AS2_MD_SHA256;
	bo.mic_md = AS2_MD_SHA512;
	ck_assert_int_eq(as2_build(&out, "ISA*2", 5, &bo), 0);
	ck_assert_int_eq(post(&v, "PEERJS", "<s@p>", out.content_type, dnt, out.body.data, out.body.len, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, gw_cert, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_PROCESSED);
	ck_assert_str_eq(m.mic, out.mic);
	ck_assert_int_eq(m.mic_md, AS2_MD_SHA512);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 1);
	wait_answered("<s@p>");
	/* the same Message-ID resent broken (unsigned), then intact: still a duplicate, still one job */
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<s@p>", "application/edi-x12", dnt, "ISA*2", 5, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, gw_cert, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_ERROR);
	as2_mdn_clear(&m);
	free(rct);
	buf_reset(&r);
	ck_assert_int_eq(as2_build(&out, "ISA*2", 5, &bo), 0);
	ck_assert_int_eq(post(&v, "PEERJS", "<s@p>", out.content_type, dnt, out.body.data, out.body.len, &rct, &r), 200);
	ck_assert_int_eq(as2_mdn_parse(&m, rct, NULL, r.data, r.len, gw_cert, 1 << 20), 0);
	ck_assert_int_eq(m.disp, AS2_DISP_WARNING);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 1);
	/* no MDN asked: a refusal is an HTTP error, nothing stored */
	buf_reset(&r);
	ck_assert_int_eq(post(&v, "PEERJS", "<n@p>", "application/edi-x12", NULL, "ISA*3", 5, NULL, &r), 400);
	ck_assert_ptr_nonnull(strstr(r.data, "insufficient-message-security"));
	ck_assert_int_eq(incoming(NULL), 1);
	buf_free(&r);
	srv_stop(&v);
}
END_TEST

/* The endpoint over https (as2.tls-cert, as2.tls-key): a client that trusts our certificate
 * gets its MDN; one that does not (the system's CAs, another certificate) sends nothing; plain
 * http to the https port is no AS2 exchange. Then config check's view of the TLS files. */
START_TEST(test_endpoint_tls)
{
	char *tc = certpath("tls-localhost.crt"), *tk = certpath("tls-localhost.key"), *oc = certpath("tls-other.crt");
	char *m = xasprintf("as2.tls-cert = %s\nas2.tls-key = %s\n", tc, tk);
	struct srv v;
	srv_start_with(&v, m, "as2.id = PEERJS\nas2.require-signature = no\nas2.require-encryption = no\n", "https");
	struct buf r;
	buf_init(&r, 0);
	char *rct = NULL;
	const char *dnt[] = { "Disposition-Notification-To: x@y", NULL };
	v.ca = tc;
	ck_assert_int_eq(post(&v, "PEERJS", "<tls-1@p>", "application/edi-x12", dnt, "ISA*tls", 7, &rct, &r), 200);
	struct as2_mdn mdn;
	ck_assert_int_eq(as2_mdn_parse(&mdn, rct, NULL, r.data, r.len, NULL, 1 << 20), 0);
	ck_assert_int_eq(mdn.disp, AS2_DISP_PROCESSED);
	ck_assert_str_eq(mdn.original_message_id, "<tls-1@p>");
	as2_mdn_clear(&mdn);
	free(rct);
	ck_assert_int_eq(incoming(NULL), 1);
	const char *h[] = { "AS2-From: PEERJS", "AS2-To: GATEWAY", "Message-ID: <tls-2@p>",
			    "Content-Type: application/edi-x12", NULL };
	const char *untrusted[] = { NULL, oc };
	for (int i = 0; i < 2; i++) {
		long status = 0;
		char *why = NULL;
		buf_reset(&r);
		int rc = gw_as2_post(v.url, untrusted[i], h, "ISA*x", 5, 10, &status, NULL, NULL, &r, &why);
		ck_assert_msg(rc < 0 && why && strstr(why, "certificate"), "untrusted %d: rc %d, %s", i, rc,
			      why ? why : "");
		free(why);
	}
	char *plain = tu_replace(v.url, "https://", "http://");
	long status = 0;
	char *why = NULL;
	int rc = gw_as2_post(plain, NULL, h, "ISA*x", 5, 10, &status, NULL, NULL, &r, &why);
	ck_assert_msg(rc < 0 || status >= 400, "plain http to the https port: rc %d, HTTP %ld", rc, status);
	free(why);
	free(plain);
	ck_assert_int_eq(incoming(NULL), 1);
	buf_free(&r);
	srv_stop(&v);
	/* config check: a key that is not the certificate's, and a partner CA file that is no PEM */
	char *ok = certpath("tls-other.key");
	char *bad = xasprintf("as2.id = GATEWAY\nas2.listen = 127.0.0.1:0\nas2.tls-cert = %s\nas2.tls-key = %s\n", tc, ok);
	free(ok);
	char *conf = conf_tree(bad, "as2.id = PEERJS\nas2.url = https://127.0.0.1:1/as2\nas2.tls-ca = p.conf\n");
	struct config *cfg = NULL;
	struct diag_list d;
	diag_list_init(&d);
	int lrc = config_load(&cfg, conf, &d);
	if (lrc < 0)
		diag_print(&d, stderr);
	ck_assert_int_eq(lrc, 0);
	ck_assert_int_eq(gateway_as2_check(cfg, &d), -EINVAL);
	ck_assert_uint_eq(d.nerrors, 2);
	ck_assert_msg(strstr(d.v[0].msg, "is not the key of as2.tls-cert"), "%s", d.v[0].msg);
	ck_assert_msg(strstr(d.v[1].msg, "as2.tls-ca") && strstr(d.v[1].msg, "not a PEM certificate"), "%s",
		      d.v[1].msg);
	diag_list_free(&d);
	config_free(cfg);
	free(conf);
	free(bad);
	free(m);
	free(tc);
	free(tk);
	free(oc);
}
END_TEST

/* A self-signed certificate for key valid from now + from_s to now + to_s, written to tmp/name. */
static char *make_cert(EVP_PKEY *key, long from_s, long to_s, const char *name)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), from_s);
	X509_gmtime_adj(X509_getm_notAfter(x), to_s);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, n);
	ck_assert_int_gt(X509_sign(x, key, EVP_sha256()), 0);
	char *path = tpath(name);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	return path;
}

/* config check warns about an expired certificate and one that expires within 30 days,
 * and says nothing of one valid for longer. */
START_TEST(test_cert_expiry)
{
	char *soon = make_cert(gw_key, -86400, 10 * 86400 + 3600, "soon.crt");
	char *gone = make_cert(peer_key, -10 * 86400, -86400, "gone.crt");
	char *fine = make_cert(peer_key, -86400, 31 * 86400 + 3600, "fine.crt");
	char *conf = conf_tree("as2.id = GATEWAY\n", "as2.id = PEERJS\n");
	struct config *cfg = NULL;
	struct diag_list d;
	diag_list_init(&d);
	ck_assert_int_eq(config_load(&cfg, conf, &d), 0);
	ck_assert_int_eq(gateway_as2_check(cfg, &d), 0);
	ck_assert_uint_eq(d.n, 0); /* the shipped test certificates are good for years */
	free(cfg->as2.cert);
	cfg->as2.cert = xstrdup(soon);
	free(cfg->partners[0].as2.cert);
	cfg->partners[0].as2.cert = xstrdup(gone);
	ck_assert_int_eq(gateway_as2_check(cfg, &d), 0); /* warnings, not errors */
	ck_assert_uint_eq(d.n, 2);
	ck_assert_uint_eq(d.nerrors, 0);
	ck_assert_msg(strstr(d.v[0].msg, "as2.cert") && strstr(d.v[0].msg, "soon.crt expires on") &&
			      strstr(d.v[0].msg, "in 10 days"),
		      "%s", d.v[0].msg);
	ck_assert_msg(strstr(d.v[1].msg, "gone.crt expired on") && strstr(d.v[1].msg, "renew"), "%s", d.v[1].msg);
	ck_assert_uint_eq(d.v[1].line, 3); /* the partner's as2.id */
	diag_list_free(&d);
	diag_list_init(&d);
	free(cfg->partners[0].as2.cert);
	cfg->partners[0].as2.cert = xstrdup(fine);
	free(cfg->as2.cert);
	cfg->as2.cert = certpath("gateway.crt");
	ck_assert_int_eq(gateway_as2_check(cfg, &d), 0);
	ck_assert_uint_eq(d.n, 0);
	diag_list_free(&d);
	config_free(cfg);
	free(conf);
	/* the binary's config check: the expired partner certificate is a warning, exit 0; a TLS
	 * key that is not the certificate's is an error, exit 78 (EX_CONFIG) */
	char *pl = xasprintf("as2.id = PEERJS\nas2.cert = %s\n", gone);
	conf = conf_tree("as2.id = GATEWAY\n", pl);
	char *cp = tpath("partners/p.conf"), *body = xasprintf("id = p\n%s", pl);
	ck_assert_int_eq(tu_write(cp, body, strlen(body)), 0); /* only this as2.cert */
	char *out = NULL;
	const char *args[] = { "-c", conf, "config", "check", NULL };
	int rc = tu_run(&out, args);
	ck_assert_msg(rc == 0 && strstr(out, "p.conf:2: warning: as2.cert") && strstr(out, "gone.crt expired on") &&
			      strstr(out, "(with warnings)"),
		      "exit %d:\n%s", rc, out);
	free(out);
	/* and edigw status shows it to the operator, in text and JSON */
	const char *st[] = { "-c", conf, "status", NULL };
	rc = tu_run(&out, st);
	ck_assert_msg(rc == 0 && strstr(out, "certificates (AS2)\n  warning: as2.cert") && strstr(out, "gone.crt expired on"),
		      "exit %d:\n%s", rc, out);
	free(out);
	const char *sj[] = { "-c", conf, "status", "--json", NULL };
	rc = tu_run(&out, sj);
	ck_assert_msg(rc == 0 && strstr(out, "\"certificates\":[{\"level\":\"warning\",\"file\":") &&
			      strstr(out, "gone.crt expired on"),
		      "exit %d:\n%s", rc, out);
	free(out);
	char *tc = certpath("tls-localhost.crt"), *ok = certpath("tls-other.key");
	char *ml = xasprintf("as2.id = GATEWAY\nas2.listen = 127.0.0.1:0\nas2.tls-cert = %s\nas2.tls-key = %s\n", tc, ok);
	free(conf);
	conf = conf_tree(ml, "as2.id = PEERJS\n");
	args[1] = conf;
	rc = tu_run(&out, args);
	ck_assert_msg(rc == 78 && strstr(out, "is not the key of as2.tls-cert"), "exit %d:\n%s", rc, out);
	free(out);
	free(ml);
	free(tc);
	free(ok);
	free(cp);
	free(body);
	free(pl);
	free(conf);
	free(soon);
	free(gone);
	free(fine);
}
END_TEST

static Suite *as2_suite(void)
{
	Suite *s = suite_create("as2");
	TCase *tc = tcase_create("msg");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_names);
	tcase_add_test(tc, test_mic_vectors);
	tcase_add_test(tc, test_entity_parse);
	tcase_add_test(tc, test_entity_limits);
	tcase_add_test(tc, test_ct_param);
	tcase_add_test(tc, test_multipart);
	tcase_add_test(tc, test_cte);
	tcase_add_test(tc, test_sign_verified_by_openssl);
	tcase_add_test(tc, test_openssl_signature_verified_here);
	tcase_add_test(tc, test_encrypt_decrypted_by_openssl);
	tcase_add_test(tc, test_openssl_encryption_decrypted_here);
	tcase_add_test(tc, test_compress);
	tcase_add_test(tc, test_decompress_ber);
	tcase_add_test(tc, test_build_open_all);
	tcase_add_test(tc, test_open_failures);
	tcase_add_test(tc, test_libas2_requests);
	tcase_add_test(tc, test_openssl_message);
	tcase_add_test(tc, test_mdn_build_parse);
	tcase_add_test(tc, test_disposition_lenient);
	tcase_add_test(tc, test_dno);
	suite_add_tcase(s, tc);
	TCase *tg = tcase_create("gateway");
	tcase_add_checked_fixture(tg, setup, teardown);
	tcase_set_timeout(tg, 120);
	tcase_add_test(tg, test_config_keys);
	tcase_add_test(tg, test_config_errors);
	tcase_add_test(tg, test_endpoint_http);
	tcase_add_test(tg, test_endpoint_policy);
	tcase_add_test(tg, test_endpoint_tls);
	tcase_add_test(tg, test_cert_expiry);
	suite_add_tcase(s, tg);
	return s;
}

int main(void)
{
	return tu_run_suite(as2_suite());
}
