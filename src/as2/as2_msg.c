/*
 * as2_msg.c — AS2 messages without I/O (see as2_msg.h): algorithm names and
 * the MIC, MIME entities over raw bytes, multipart splitting, transfer
 * encodings, CMS sign/verify/encrypt/decrypt (OpenSSL), RFC 3274/5402
 * CompressedData (zlib and a small BER reader), building and opening
 * messages, building and parsing MDNs.
 *
 * Partner bytes are read with explicit limits (as2_msg.h): header blocks,
 * parts, nesting, BER depth, and max_bytes for every decoded entity. Nothing
 * partner-supplied is copied into a fixed-size array.
 */
#include "as2/as2_msg.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <zlib.h>

/* ---------------------------------------------------------------- names */

/* Compare a name with '-', '_' and case ignored. */
static int name_is(struct span s, const char *want)
{
	size_t i = 0;
	for (size_t k = 0; k < s.n; k++) {
		unsigned char c = (unsigned char)s.p[k];
		if (c == '-' || c == '_')
			continue;
		if (!want[i] || tolower(c) != want[i])
			return 0;
		i++;
	}
	return want[i] == 0;
}

/* Digest name variants → enum. */
int as2_md_from_name(struct span s, enum as2_md *out)
{
	s = span_trim(s);
	static const struct {
		const char *n;
		enum as2_md md;
	} names[] = {
		{ "sha1", AS2_MD_SHA1 },     { "sha256", AS2_MD_SHA256 },  { "sha2256", AS2_MD_SHA256 },
		{ "sha384", AS2_MD_SHA384 }, { "sha2384", AS2_MD_SHA384 }, { "sha512", AS2_MD_SHA512 },
		{ "sha2512", AS2_MD_SHA512 },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (name_is(s, names[i].n)) {
			*out = names[i].md;
			return 0;
		}
	return -ENOTSUP;
}

/* What we know of each digest: the micalg name we write, OpenSSL's digest and its NID. */
static const struct md_info {
	enum as2_md md;
	const char *micalg;
	const EVP_MD *(*evp)(void);
	int nid;
} md_infos[] = {
	{ AS2_MD_SHA1, "sha-1", EVP_sha1, NID_sha1 },
	{ AS2_MD_SHA256, "sha-256", EVP_sha256, NID_sha256 },
	{ AS2_MD_SHA384, "sha-384", EVP_sha384, NID_sha384 },
	{ AS2_MD_SHA512, "sha-512", EVP_sha512, NID_sha512 },
};

static const struct md_info *md_info(enum as2_md md)
{
	for (size_t i = 0; i < sizeof md_infos / sizeof md_infos[0]; i++)
		if (md_infos[i].md == md)
			return &md_infos[i];
	return NULL;
}

/* The micalg name we write. */
const char *as2_md_name(enum as2_md md)
{
	const struct md_info *m = md_info(md);
	return m ? m->micalg : "";
}

/* OpenSSL digest for md. */
const EVP_MD *as2_md_evp(enum as2_md md)
{
	const struct md_info *m = md_info(md);
	return m ? m->evp() : NULL;
}

/* enum from an OpenSSL digest NID. */
static enum as2_md md_from_nid(int nid)
{
	for (size_t i = 0; i < sizeof md_infos / sizeof md_infos[0]; i++)
		if (md_infos[i].nid == nid)
			return md_infos[i].md;
	return AS2_MD_NONE;
}

/* Cipher names → enum. */
int as2_cipher_from_name(const char *s, enum as2_cipher *out)
{
	struct span sp = span_cstr(s ? s : "");
	static const struct {
		const char *n;
		enum as2_cipher c;
	} names[] = {
		{ "none", AS2_CIPHER_NONE },          { "aes128cbc", AS2_CIPHER_AES128_CBC },
		{ "aes192cbc", AS2_CIPHER_AES192_CBC }, { "aes256cbc", AS2_CIPHER_AES256_CBC },
		{ "3des", AS2_CIPHER_3DES_CBC },      { "3descbc", AS2_CIPHER_3DES_CBC },
		{ "desede3cbc", AS2_CIPHER_3DES_CBC }, { "desede3", AS2_CIPHER_3DES_CBC },
		{ "tripledes", AS2_CIPHER_3DES_CBC },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (name_is(sp, names[i].n)) {
			*out = names[i].c;
			return 0;
		}
	return -ENOTSUP;
}

/* What we know of each cipher: the name we write and OpenSSL's cipher. */
static const struct cipher_info {
	enum as2_cipher c;
	const char *name;
	const EVP_CIPHER *(*evp)(void);
} cipher_infos[] = {
	{ AS2_CIPHER_AES128_CBC, "aes128-cbc", EVP_aes_128_cbc },
	{ AS2_CIPHER_AES192_CBC, "aes192-cbc", EVP_aes_192_cbc },
	{ AS2_CIPHER_AES256_CBC, "aes256-cbc", EVP_aes_256_cbc },
	{ AS2_CIPHER_3DES_CBC, "3des-cbc", EVP_des_ede3_cbc },
};

static const struct cipher_info *cipher_info(enum as2_cipher c)
{
	for (size_t i = 0; i < sizeof cipher_infos / sizeof cipher_infos[0]; i++)
		if (cipher_infos[i].c == c)
			return &cipher_infos[i];
	return NULL;
}

const char *as2_cipher_name(enum as2_cipher c)
{
	const struct cipher_info *ci = cipher_info(c);
	return ci ? ci->name : "none";
}

/* OpenSSL cipher for c. */
static const EVP_CIPHER *cipher_evp(enum as2_cipher c)
{
	const struct cipher_info *ci = cipher_info(c);
	return ci ? ci->evp() : NULL;
}

/* base64 of a digest. */
int as2_mic(enum as2_md md, const void *data, size_t len, char out[AS2_MIC_MAX])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;
	const EVP_MD *e = as2_md_evp(md);
	out[0] = 0;
	if (!e)
		return -ENOTSUP;
	if (!EVP_Digest(data, len, d, &dn, e, NULL))
		return -EIO;
	EVP_EncodeBlock((unsigned char *)out, d, (int)dn);
	return 0;
}

/* ---------------------------------------------------------------- MIME */

/* Append one header field. */
static int header_add(struct as2_entity *e, const char *name, size_t nn, struct buf *val)
{
	if (e->nh == AS2_MAX_HEADERS)
		return -EBADMSG;
	e->h = xrealloc(e->h, (e->nh + 1) * sizeof *e->h);
	struct span v = span_trim((struct span){ val->data ? val->data : "", val->len });
	e->h[e->nh].name = span_dup((struct span){ name, nn });
	e->h[e->nh].value = span_dup(v);
	e->nh++;
	return 0;
}

/* Parse an entity's header block. */
int as2_entity_parse(struct as2_entity *e, const void *pv, size_t n)
{
	const char *p = pv;
	size_t i = 0;
	int rc = 0;
	const char *name = NULL;
	size_t nn = 0;
	struct buf val;
	memset(e, 0, sizeof *e);
	buf_init(&val, AS2_MAX_HEADER_BYTES);
	e->raw = (struct span){ p, n };
	for (;;) {
		if (i > AS2_MAX_HEADER_BYTES) {
			rc = -EBADMSG;
			goto out;
		}
		if (i >= n) {
			/* no blank line: acceptable only for an empty header block */
			if (e->nh || name) {
				rc = -EBADMSG;
				goto out;
			}
			e->body = (struct span){ p + n, 0 };
			goto out;
		}
		const char *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t next = nl ? end + 1 : n;
		size_t le = end;
		if (le > i && p[le - 1] == '\r')
			le--;
		if (le == i) { /* the blank line */
			if (name && (rc = header_add(e, name, nn, &val)) < 0)
				goto out;
			name = NULL;
			e->body = (struct span){ p + next, n - next };
			goto out;
		}
		if (p[i] == ' ' || p[i] == '\t') { /* folded */
			if (!name) {
				rc = -EBADMSG;
				goto out;
			}
			size_t ws = i;
			while (ws < le && (p[ws] == ' ' || p[ws] == '\t'))
				ws++;
			if ((rc = buf_putc(&val, ' ')) < 0 || (rc = buf_append(&val, p + ws, le - ws)) < 0) {
				rc = -EBADMSG;
				goto out;
			}
		} else {
			if (name && (rc = header_add(e, name, nn, &val)) < 0)
				goto out;
			const char *colon = memchr(p + i, ':', le - i);
			if (!colon || colon == p + i) {
				rc = -EBADMSG;
				goto out;
			}
			name = p + i;
			nn = (size_t)(colon - name);
			while (nn && (name[nn - 1] == ' ' || name[nn - 1] == '\t'))
				nn--;
			buf_reset(&val);
			if (buf_append(&val, colon + 1, (size_t)(p + le - colon - 1)) < 0) {
				rc = -EBADMSG;
				goto out;
			}
		}
		if (!nl) {
			i = n;
			continue;
		}
		i = next;
	}
out:
	buf_free(&val);
	if (rc < 0) {
		as2_entity_clear(e);
		e->raw = (struct span){ p, n };
	}
	return rc;
}

void as2_entity_clear(struct as2_entity *e)
{
	for (size_t i = 0; i < e->nh; i++) {
		free(e->h[i].name);
		free(e->h[i].value);
	}
	free(e->h);
	memset(e, 0, sizeof *e);
}

/* First value of a header field. */
const char *as2_entity_get(const struct as2_entity *e, const char *name)
{
	for (size_t i = 0; i < e->nh; i++)
		if (strcasecmp(e->h[i].name, name) == 0)
			return e->h[i].value;
	return NULL;
}

/* The type/subtype of a Content-Type value. */
char *as2_ct_type(const char *ct)
{
	if (!ct)
		return xstrdup("");
	size_t n = strcspn(ct, ";");
	struct span s = span_trim((struct span){ ct, n });
	char *r = span_dup(s);
	for (char *q = r; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	return r;
}

/* A parameter of a structured header value. */
char *as2_ct_param(const char *ct, const char *name)
{
	if (!ct)
		return NULL;
	size_t nlen = strlen(name);
	const char *p = ct;
	int q = 0;
	/* walk the ';'-separated list outside quotes */
	while (*p) {
		if (*p == '"')
			q = !q;
		else if (*p == '\\' && q && p[1])
			p++;
		else if (*p == ';' && !q) {
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
			if (strncasecmp(p, name, nlen) == 0) {
				const char *r = p + nlen;
				while (*r == ' ' || *r == '\t')
					r++;
				if (*r == '=') {
					r++;
					while (*r == ' ' || *r == '\t')
						r++;
					struct buf v;
					buf_init(&v, 4096);
					if (*r == '"') {
						r++;
						while (*r && *r != '"') {
							if (*r == '\\' && r[1])
								r++;
							buf_putc(&v, *r++);
						}
					} else {
						while (*r && *r != ';' && *r != ' ' && *r != '\t')
							buf_putc(&v, *r++);
					}
					char *s = v.data ? buf_steal(&v) : xstrdup("");
					buf_free(&v);
					return s;
				}
			}
			continue;
		}
		p++;
	}
	return NULL;
}

/* Split a multipart body into its parts. */
int as2_multipart_split(struct span body, const char *boundary, struct span *parts, size_t max, size_t *n)
{
	size_t blen = boundary ? strlen(boundary) : 0;
	*n = 0;
	if (blen == 0 || blen > 70)
		return -EBADMSG;
	char delim[80];
	delim[0] = '-';
	delim[1] = '-';
	memcpy(delim + 2, boundary, blen);
	size_t dl = blen + 2;
	const char *p = body.p;
	size_t len = body.n;
	size_t pos = 0;
	const char *start = NULL; /* current part's first byte */
	for (;;) {
		const char *hit = pos < len ? memmem(p + pos, len - pos, delim, dl) : NULL;
		if (!hit)
			return -EBADMSG; /* no close delimiter */
		size_t at = (size_t)(hit - p);
		pos = at + dl;
		if (at != 0 && p[at - 1] != '\n')
			continue; /* not at the start of a line */
		/* "--boundary" is a delimiter only when followed by "--", or by blanks and the end of
		 * the line ("--boundaryX" is content) */
		if (!(len - pos >= 2 && p[pos] == '-' && p[pos + 1] == '-')) {
			size_t q = pos;
			while (q < len && (p[q] == ' ' || p[q] == '\t'))
				q++;
			if (q < len && p[q] != '\r' && p[q] != '\n')
				continue;
		}
		if (start) {
			size_t end = at;
			if (end > 0 && p[end - 1] == '\n')
				end--;
			if (end > 0 && p[end - 1] == '\r')
				end--;
			if (end < (size_t)(start - p))
				end = (size_t)(start - p);
			if (*n == max)
				return -E2BIG;
			parts[(*n)++] = (struct span){ start, end - (size_t)(start - p) };
		}
		if (len - pos >= 2 && p[pos] == '-' && p[pos + 1] == '-')
			return 0; /* close delimiter */
		const char *nl = memchr(p + pos, '\n', len - pos);
		if (!nl)
			return -EBADMSG;
		start = nl + 1;
		pos = (size_t)(start - p);
	}
}

/* Value of one base64 character, -1 for others. */
static int b64v(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64, skipping line breaks and blanks; anything else is an error. */
static int base64_decode(struct span in, struct buf *out)
{
	uint32_t acc = 0;
	int nbits = 0, pad = 0;
	for (size_t i = 0; i < in.n; i++) {
		unsigned char c = (unsigned char)in.p[i];
		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int v = b64v(c);
		if (v < 0 || pad)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		nbits += 6;
		if (nbits >= 8) {
			nbits -= 8;
			char b = (char)((acc >> nbits) & 0xff);
			if (buf_putc(out, b) < 0)
				return -EFBIG;
		}
	}
	if (pad > 2)
		return -EBADMSG;
	return 0;
}

/* Decode quoted-printable (soft line breaks, =XX). */
static int qp_decode(struct span in, struct buf *out)
{
	for (size_t i = 0; i < in.n; i++) {
		char c = in.p[i];
		if (c == '=') {
			if (i + 1 < in.n && in.p[i + 1] == '\n') {
				i++;
				continue;
			}
			if (i + 2 < in.n && in.p[i + 1] == '\r' && in.p[i + 2] == '\n') {
				i += 2;
				continue;
			}
			if (i + 2 < in.n && isxdigit((unsigned char)in.p[i + 1]) &&
			    isxdigit((unsigned char)in.p[i + 2])) {
				char hx[3] = { in.p[i + 1], in.p[i + 2], 0 };
				c = (char)strtol(hx, NULL, 16);
				i += 2;
			}
		}
		if (buf_putc(out, c) < 0)
			return -EFBIG;
	}
	return 0;
}

/* Undo a transfer encoding. */
int as2_decode_cte(const char *cte, struct span in, struct buf *out)
{
	struct span c = span_trim(span_cstr(cte ? cte : ""));
	if (c.n == 0 || name_is(c, "binary") || name_is(c, "7bit") || name_is(c, "8bit"))
		return buf_append(out, in.p, in.n) < 0 ? -EFBIG : 0;
	if (name_is(c, "base64"))
		return base64_decode(in, out);
	if (name_is(c, "quotedprintable"))
		return qp_decode(in, out);
	return -ENOTSUP;
}

/* base64 in 76-character lines. */
int as2_base64_lines(struct buf *out, const void *pv, size_t n)
{
	const unsigned char *p = pv;
	unsigned char line[80];
	for (size_t i = 0; i < n; i += 57) {
		size_t k = n - i < 57 ? n - i : 57;
		int w = EVP_EncodeBlock(line, p + i, (int)k);
		if (buf_append(out, line, (size_t)w) < 0 || buf_append(out, "\r\n", 2) < 0)
			return -ENOSPC;
	}
	return 0;
}

/* ---------------------------------------------------------------- keys */

/* The last OpenSSL error as text (allocated), queue cleared. */
static char *ssl_why(const char *what)
{
	unsigned long e = ERR_peek_last_error();
	char msg[256] = "";
	if (e)
		ERR_error_string_n(e, msg, sizeof msg);
	ERR_clear_error();
	return msg[0] ? xasprintf("%s: %s", what, msg) : xstrdup(what);
}

/* Store a reason when the caller wants one. */
static void set_why(char **why, char *msg)
{
	if (why && !*why)
		*why = msg;
	else
		free(msg);
}

int as2_load_cert(X509 **out, const char *path)
{
	*out = NULL;
	BIO *b = BIO_new_file(path, "r");
	if (!b) {
		ERR_clear_error();
		return -ENOENT;
	}
	*out = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return *out ? 0 : -EBADMSG;
}

int as2_load_key(EVP_PKEY **out, const char *path)
{
	*out = NULL;
	BIO *b = BIO_new_file(path, "r");
	if (!b) {
		ERR_clear_error();
		return -ENOENT;
	}
	*out = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return *out ? 0 : -EBADMSG;
}

int as2_key_matches(X509 *cert, EVP_PKEY *key)
{
	int r = X509_check_private_key(cert, key) == 1;
	ERR_clear_error();
	return r;
}

/* ---------------------------------------------------------------- CMS */

/* DER of a CMS structure into a buf. */
static int cms_to_der(CMS_ContentInfo *cms, struct buf *der)
{
	unsigned char *d = NULL;
	int n = i2d_CMS_ContentInfo(cms, &d);
	if (n <= 0)
		return -EIO;
	int rc = buf_append(der, d, (size_t)n) < 0 ? -ENOSPC : 0;
	OPENSSL_free(d);
	return rc;
}

/* Parse DER/BER into a CMS structure. */
static CMS_ContentInfo *cms_from(struct span der)
{
	if (der.n == 0 || der.n > INT32_MAX)
		return NULL;
	BIO *b = BIO_new_mem_buf(der.p, (int)der.n);
	CMS_ContentInfo *cms = b ? d2i_CMS_bio(b, NULL) : NULL;
	BIO_free(b);
	return cms;
}

int as2_cms_sign(struct buf *der, struct span data, X509 *cert, EVP_PKEY *key, enum as2_md md)
{
	int rc = -EIO;
	const EVP_MD *e = as2_md_evp(md);
	if (!e || data.n > INT32_MAX)
		return -EINVAL;
	BIO *in = BIO_new_mem_buf(data.p, (int)data.n);
	unsigned flags = CMS_DETACHED | CMS_BINARY | CMS_PARTIAL;
	CMS_ContentInfo *cms = CMS_sign(NULL, NULL, NULL, NULL, flags);
	if (!in || !cms)
		goto out;
	if (!CMS_add1_signer(cms, cert, key, e, CMS_BINARY))
		goto out;
	if (!CMS_final(cms, in, NULL, flags))
		goto out;
	rc = cms_to_der(cms, der);
out:
	if (rc < 0)
		free(ssl_why("sign"));
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

/* The digest of the (first) signer. */
static enum as2_md signer_md(CMS_ContentInfo *cms, int *nid_out)
{
	STACK_OF(CMS_SignerInfo) *sis = CMS_get0_SignerInfos(cms);
	*nid_out = NID_undef;
	if (!sis || sk_CMS_SignerInfo_num(sis) < 1)
		return AS2_MD_NONE;
	X509_ALGOR *dig = NULL;
	CMS_SignerInfo_get0_algs(sk_CMS_SignerInfo_value(sis, 0), NULL, NULL, &dig, NULL);
	if (!dig)
		return AS2_MD_NONE;
	const ASN1_OBJECT *obj = NULL;
	X509_ALGOR_get0(&obj, NULL, NULL, dig);
	*nid_out = OBJ_obj2nid(obj);
	return md_from_nid(*nid_out);
}

/* Common verification: detached (data) or opaque (content). */
static int cms_verify(struct span data, int detached, struct buf *content, struct span der, X509 *pinned,
		      enum as2_md *md, size_t max, char **why)
{
	int rc = -EBADMSG;
	CMS_ContentInfo *cms = cms_from(der);
	STACK_OF(X509) *certs = sk_X509_new_null();
	X509_STORE *store = X509_STORE_new();
	BIO *in = NULL, *out = NULL;
	if (md)
		*md = AS2_MD_NONE;
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_signed) {
		set_why(why, ssl_why("signature is not a CMS SignedData"));
		goto out;
	}
	int nid;
	enum as2_md m = signer_md(cms, &nid);
	if (md)
		*md = m;
	if (m == AS2_MD_NONE) {
		set_why(why, xasprintf("signature digest %s is not one we accept (sha-1, sha-256, sha-384, sha-512)",
				       nid == NID_undef ? "(none)" : OBJ_nid2sn(nid)));
		rc = -ENOTSUP;
		goto out;
	}
	if (!pinned) {
		set_why(why, xstrdup("no certificate configured for the sender (as2.cert)"));
		rc = -EPERM;
		goto out;
	}
	sk_X509_push(certs, pinned);
	if (detached) {
		if (data.n > INT32_MAX)
			goto out;
		in = BIO_new_mem_buf(data.p, (int)data.n);
	} else {
		out = BIO_new(BIO_s_mem());
	}
	/* Only the pinned certificate may be the signer; it is trusted as configured, so no
	 * chain is built (partners use self-signed certificates). */
	unsigned flags = CMS_BINARY | CMS_NOINTERN | CMS_NO_SIGNER_CERT_VERIFY;
	if (CMS_verify(cms, certs, store, in, out, flags) != 1) {
		set_why(why, ssl_why("signature does not verify against the partner's certificate"));
		rc = -EPERM;
		goto out;
	}
	if (!detached) {
		BUF_MEM *bm = NULL;
		BIO_get_mem_ptr(out, &bm);
		if (bm->length > max) {
			rc = -EFBIG;
			goto out;
		}
		if (buf_append(content, bm->data, bm->length) < 0) {
			rc = -EFBIG;
			goto out;
		}
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(in);
	BIO_free(out);
	sk_X509_free(certs);
	X509_STORE_free(store);
	CMS_ContentInfo_free(cms);
	return rc;
}

int as2_cms_verify(struct span data, struct span der, X509 *pinned, enum as2_md *md, char **why)
{
	return cms_verify(data, 1, NULL, der, pinned, md, 0, why);
}

int as2_cms_verify_opaque(struct buf *content, struct span der, X509 *pinned, enum as2_md *md, size_t max,
			  char **why)
{
	return cms_verify(SPAN_NULL, 0, content, der, pinned, md, max, why);
}

int as2_cms_encrypt(struct buf *der, struct span data, X509 *recip, enum as2_cipher c, enum as2_keyenc k)
{
	int rc = -EIO;
	const EVP_CIPHER *ec = cipher_evp(c);
	if (!ec || data.n > INT32_MAX || !recip)
		return -EINVAL;
	unsigned flags = CMS_BINARY | CMS_PARTIAL;
	BIO *in = BIO_new_mem_buf(data.p, (int)data.n);
	CMS_ContentInfo *cms = CMS_encrypt(NULL, NULL, ec, flags);
	if (!in || !cms)
		goto out;
	CMS_RecipientInfo *ri = CMS_add1_recipient_cert(cms, recip, k == AS2_KEYENC_OAEP ? CMS_KEY_PARAM : 0);
	if (!ri)
		goto out;
	if (k == AS2_KEYENC_OAEP) {
		EVP_PKEY_CTX *pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
		if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0)
			goto out;
	}
	if (!CMS_final(cms, in, NULL, flags))
		goto out;
	rc = cms_to_der(cms, der);
out:
	if (rc < 0)
		free(ssl_why("encrypt"));
	CMS_ContentInfo_free(cms);
	BIO_free(in);
	return rc;
}

/* ------------------------------------------------ a small BER reader */

struct tlv {
	unsigned char tag;   /* identifier octet (low-tag-number form only) */
	const unsigned char *c; /* content */
	size_t cn;           /* content length (indefinite: up to the end-of-contents) */
	size_t total;        /* identifier, length, content and end-of-contents */
	int indefinite;
};

/* Read one TLV at p (n bytes available). */
static int ber_read(const unsigned char *p, size_t n, struct tlv *t, int depth)
{
	if (depth > AS2_MAX_BER_DEPTH || n < 2)
		return -EBADMSG;
	memset(t, 0, sizeof *t);
	t->tag = p[0];
	if ((p[0] & 0x1f) == 0x1f)
		return -EBADMSG;
	size_t i = 1;
	unsigned char l = p[i++];
	if (l == 0x80) {
		if (!(t->tag & 0x20))
			return -EBADMSG; /* indefinite needs constructed */
		t->indefinite = 1;
		size_t q = i;
		for (;;) {
			if (n - q < 2)
				return -EBADMSG;
			if (p[q] == 0 && p[q + 1] == 0)
				break;
			struct tlv k;
			int rc = ber_read(p + q, n - q, &k, depth + 1);
			if (rc < 0)
				return rc;
			q += k.total;
		}
		t->c = p + i;
		t->cn = q - i;
		t->total = q + 2;
		return 0;
	}
	size_t len = l;
	if (l & 0x80) {
		size_t k = l & 0x7f;
		if (k == 0 || k > 4 || n - i < k)
			return -EBADMSG;
		len = 0;
		for (size_t j = 0; j < k; j++)
			len = (len << 8) | p[i++];
	}
	if (len > n - i)
		return -EBADMSG;
	t->c = p + i;
	t->cn = len;
	t->total = i + len;
	return 0;
}

/* The children of a constructed TLV, one at a time: *off advances. 1 = got one, 0 = end. */
static int ber_next(const struct tlv *parent, size_t *off, struct tlv *child, int depth)
{
	if (*off >= parent->cn)
		return 0;
	int rc = ber_read(parent->c + *off, parent->cn - *off, child, depth);
	if (rc < 0)
		return rc;
	*off += child->total;
	return 1;
}

/* An OCTET STRING's bytes, primitive or constructed (chunks concatenated). */
static int ber_octets(const struct tlv *t, struct buf *out, int depth)
{
	if ((t->tag & 0x1f) != 0x04)
		return -EBADMSG;
	if (!(t->tag & 0x20))
		return buf_append(out, t->c, t->cn) < 0 ? -EFBIG : 0;
	size_t off = 0;
	struct tlv k;
	int rc;
	while ((rc = ber_next(t, &off, &k, depth + 1)) == 1)
		if ((rc = ber_octets(&k, out, depth + 1)) < 0)
			return rc;
	return rc;
}

/* OID content bytes equal to a DER encoding (content only). */
static int oid_is(const struct tlv *t, const unsigned char *want, size_t n)
{
	return t->tag == 0x06 && t->cn == n && memcmp(t->c, want, n) == 0;
}

static const unsigned char OID_DATA[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const unsigned char OID_SIGNED[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const unsigned char OID_ENVELOPED[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
static const unsigned char OID_COMPRESSED[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
						0x01, 0x09, 0x10, 0x01, 0x09 };
static const unsigned char OID_ZLIB[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10, 0x03, 0x08 };

/* The outer content type of a ContentInfo. */
const char *as2_cms_type(struct span der)
{
	struct tlv ci, oid;
	size_t off = 0;
	if (ber_read((const unsigned char *)der.p, der.n, &ci, 0) < 0 || ci.tag != 0x30)
		return NULL;
	if (ber_next(&ci, &off, &oid, 1) != 1)
		return NULL;
	if (oid_is(&oid, OID_ENVELOPED, sizeof OID_ENVELOPED))
		return "enveloped-data";
	if (oid_is(&oid, OID_SIGNED, sizeof OID_SIGNED))
		return "signed-data";
	if (oid_is(&oid, OID_COMPRESSED, sizeof OID_COMPRESSED))
		return "compressed-data";
	return NULL;
}

/* Append a DER length. */
static int der_len(struct buf *b, size_t n)
{
	unsigned char l[6];
	size_t k = 0;
	if (n < 0x80) {
		l[k++] = (unsigned char)n;
	} else {
		unsigned char tmp[4];
		size_t m = 0;
		while (n) {
			tmp[m++] = (unsigned char)(n & 0xff);
			n >>= 8;
		}
		l[k++] = (unsigned char)(0x80 | m);
		while (m)
			l[k++] = tmp[--m];
	}
	return buf_append(b, l, k);
}

/* Append tag, length and content. */
static int der_tlv(struct buf *b, unsigned char tag, const void *c, size_t n)
{
	if (buf_putc(b, (char)tag) < 0 || der_len(b, n) < 0 || buf_append(b, c, n) < 0)
		return -ENOSPC;
	return 0;
}

int as2_cms_compress(struct buf *der, struct span data)
{
	int rc = -ENOMEM;
	uLongf zn = compressBound((uLong)data.n);
	unsigned char *z = xmalloc(zn);
	struct buf oct, encap, cd, alg, ex;
	buf_init(&oct, 0);
	buf_init(&encap, 0);
	buf_init(&cd, 0);
	buf_init(&alg, 0);
	buf_init(&ex, 0);
	if (compress2(z, &zn, (const Bytef *)data.p, (uLong)data.n, Z_DEFAULT_COMPRESSION) != Z_OK)
		goto out;
	rc = -ENOSPC;
	/* EncapsulatedContentInfo { id-data, [0] EXPLICIT OCTET STRING } */
	if (der_tlv(&oct, 0x04, z, zn) < 0 || der_tlv(&ex, 0xa0, oct.data, oct.len) < 0)
		goto out;
	if (der_tlv(&encap, 0x06, OID_DATA, sizeof OID_DATA) < 0 || buf_append(&encap, ex.data, ex.len) < 0)
		goto out;
	/* CompressedData { version 0, AlgorithmIdentifier { id-alg-zlibCompress }, encap } */
	if (der_tlv(&alg, 0x06, OID_ZLIB, sizeof OID_ZLIB) < 0)
		goto out;
	if (der_tlv(&cd, 0x02, "\0", 1) < 0 || der_tlv(&cd, 0x30, alg.data, alg.len) < 0 ||
	    der_tlv(&cd, 0x30, encap.data, encap.len) < 0)
		goto out;
	buf_reset(&ex);
	buf_reset(&alg);
	if (der_tlv(&ex, 0x30, cd.data, cd.len) < 0)
		goto out;
	/* ContentInfo { id-ct-compressedData, [0] EXPLICIT CompressedData } */
	if (der_tlv(&alg, 0x06, OID_COMPRESSED, sizeof OID_COMPRESSED) < 0 || der_tlv(&alg, 0xa0, ex.data, ex.len) < 0)
		goto out;
	if (der_tlv(der, 0x30, alg.data, alg.len) < 0)
		goto out;
	rc = 0;
out:
	free(z);
	buf_free(&oct);
	buf_free(&encap);
	buf_free(&cd);
	buf_free(&alg);
	buf_free(&ex);
	return rc;
}

/* Inflate a zlib (or raw deflate) stream into out, at most max bytes. */
static int inflate_into(const unsigned char *z, size_t zn, struct buf *out, size_t max, int raw)
{
	z_stream s;
	memset(&s, 0, sizeof s);
	if (inflateInit2(&s, raw ? -15 : 15) != Z_OK)
		return -ENOMEM;
	unsigned char chunk[16384];
	int rc = 0;
	s.next_in = (Bytef *)(uintptr_t)z;
	s.avail_in = (uInt)zn;
	for (;;) {
		s.next_out = chunk;
		s.avail_out = sizeof chunk;
		int zr = inflate(&s, Z_NO_FLUSH);
		size_t got = sizeof chunk - s.avail_out;
		if (got) {
			if (out->len + got > max) {
				rc = -EFBIG;
				break;
			}
			if (buf_append(out, chunk, got) < 0) {
				rc = -EFBIG;
				break;
			}
		}
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK || (got == 0 && s.avail_in == 0)) {
			rc = -EBADMSG;
			break;
		}
	}
	inflateEnd(&s);
	return rc;
}

int as2_cms_decompress(struct buf *out, struct span der, size_t max, char **why)
{
	struct tlv ci, oid, ex, cd, ver, alg, algoid, encap, eoid, econ, oct;
	size_t o1 = 0, o2 = 0, o3 = 0, o4 = 0, o5 = 0, o6 = 0;
	struct buf z;
	int rc = -EBADMSG;
	buf_init(&z, 0);
	if (der.n > 0xffffffffu)
		goto bad;
	if (ber_read((const unsigned char *)der.p, der.n, &ci, 0) < 0 || ci.tag != 0x30)
		goto bad;
	if (ber_next(&ci, &o1, &oid, 1) != 1 || !oid_is(&oid, OID_COMPRESSED, sizeof OID_COMPRESSED)) {
		set_why(why, xstrdup("not a CMS CompressedData"));
		goto out;
	}
	if (ber_next(&ci, &o1, &ex, 1) != 1 || ex.tag != 0xa0)
		goto bad;
	if (ber_next(&ex, &o2, &cd, 2) != 1 || cd.tag != 0x30)
		goto bad;
	if (ber_next(&cd, &o3, &ver, 3) != 1 || ver.tag != 0x02)
		goto bad;
	if (ber_next(&cd, &o3, &alg, 3) != 1 || alg.tag != 0x30)
		goto bad;
	if (ber_next(&alg, &o4, &algoid, 4) != 1 || !oid_is(&algoid, OID_ZLIB, sizeof OID_ZLIB)) {
		set_why(why, xstrdup("compression algorithm is not ZLIB (RFC 3274)"));
		goto out;
	}
	if (ber_next(&cd, &o3, &encap, 3) != 1 || encap.tag != 0x30)
		goto bad;
	if (ber_next(&encap, &o5, &eoid, 4) != 1 || eoid.tag != 0x06)
		goto bad;
	if (ber_next(&encap, &o5, &econ, 4) != 1 || econ.tag != 0xa0) {
		set_why(why, xstrdup("CompressedData without content (detached)"));
		goto out;
	}
	if (ber_next(&econ, &o6, &oct, 5) != 1)
		goto bad;
	if ((rc = ber_octets(&oct, &z, 5)) < 0)
		goto bad;
	size_t before = out->len;
	rc = inflate_into((const unsigned char *)z.data, z.len, out, max, 0);
	if (rc == -EBADMSG) {
		out->len = before;
		rc = inflate_into((const unsigned char *)z.data, z.len, out, max, 1);
	}
	if (rc == -EFBIG)
		set_why(why, xasprintf("decompressed content is larger than %zu bytes", max));
	else if (rc < 0)
		set_why(why, xstrdup("compressed content is not a valid zlib stream"));
	goto out;
bad:
	rc = -EBADMSG;
	set_why(why, xstrdup("malformed CMS CompressedData"));
out:
	buf_free(&z);
	return rc;
}

/* The content cipher of an EnvelopedData, read from its BER. */
static enum as2_cipher enveloped_cipher(struct span der)
{
	struct tlv ci, oid, ex, ed, k, alg, aoid;
	size_t o1 = 0, o2 = 0, o3 = 0, o4 = 0, o5 = 0;
	static const unsigned char AES[] = { 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x01 };
	static const unsigned char DES3[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x03, 0x07 };
	if (ber_read((const unsigned char *)der.p, der.n, &ci, 0) < 0 || ber_next(&ci, &o1, &oid, 1) != 1 ||
	    ber_next(&ci, &o1, &ex, 1) != 1 || ber_next(&ex, &o2, &ed, 2) != 1)
		return AS2_CIPHER_NONE;
	/* EnvelopedData: version, [0] originatorInfo?, recipientInfos SET, encryptedContentInfo */
	while (ber_next(&ed, &o3, &k, 3) == 1) {
		if (k.tag != 0x30)
			continue;
		o4 = 0;
		if (ber_next(&k, &o4, &oid, 4) != 1 || oid.tag != 0x06 || ber_next(&k, &o4, &alg, 4) != 1 ||
		    alg.tag != 0x30 || ber_next(&alg, &o5, &aoid, 5) != 1)
			return AS2_CIPHER_NONE;
		if (aoid.tag == 0x06 && aoid.cn == sizeof AES + 1 && memcmp(aoid.c, AES, sizeof AES) == 0) {
			switch (aoid.c[sizeof AES]) {
			case 2:
				return AS2_CIPHER_AES128_CBC;
			case 22:
				return AS2_CIPHER_AES192_CBC;
			case 42:
				return AS2_CIPHER_AES256_CBC;
			}
		}
		if (oid_is(&aoid, DES3, sizeof DES3))
			return AS2_CIPHER_3DES_CBC;
		return AS2_CIPHER_NONE;
	}
	return AS2_CIPHER_NONE;
}

int as2_cms_decrypt(struct buf *out, struct span der, X509 *cert, EVP_PKEY *key, size_t max,
		    enum as2_cipher *cipher, char **why)
{
	int rc = -EBADMSG;
	CMS_ContentInfo *cms = cms_from(der);
	BIO *o = BIO_new(BIO_s_mem());
	if (cipher)
		*cipher = AS2_CIPHER_NONE;
	if (!cms || OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
		set_why(why, ssl_why("not a CMS EnvelopedData"));
		goto out;
	}
	if (cipher)
		*cipher = enveloped_cipher(der);
	if (!cert || !key) {
		set_why(why, xstrdup("no key to decrypt with (as2.key, as2.cert)"));
		rc = -EPERM;
		goto out;
	}
	if (CMS_decrypt(cms, key, cert, NULL, o, CMS_BINARY) != 1) {
		set_why(why, ssl_why("cannot decrypt (not encrypted for our certificate, or damaged)"));
		rc = -EPERM;
		goto out;
	}
	BUF_MEM *bm = NULL;
	BIO_get_mem_ptr(o, &bm);
	if (bm->length > max) {
		set_why(why, xasprintf("decrypted content is larger than %zu bytes", max));
		rc = -EFBIG;
		goto out;
	}
	if (buf_append(out, bm->data, bm->length) < 0) {
		rc = -EFBIG;
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(o);
	CMS_ContentInfo_free(cms);
	return rc;
}

/* ---------------------------------------------------------------- build */

void as2_out_clear(struct as2_out *o)
{
	free(o->content_type);
	free(o->cte);
	free(o->content_disposition);
	buf_free(&o->body);
	memset(o, 0, sizeof *o);
}

/* A fresh multipart boundary. */
static char *new_boundary(const char *fixed, const char *suffix)
{
	if (fixed)
		return xasprintf("%s%s", fixed, suffix);
	char hex[33];
	if (random_hex(hex, 16) < 0)
		return xasprintf("edigw-%lu%s", (unsigned long)now_ms(), suffix);
	return xasprintf("----=_edigw_%s%s", hex, suffix);
}

/* A MIME entity: Content-Type, optional transfer encoding and disposition, body. */
static int entity_make(struct buf *b, const char *ct, const char *cte, const char *filename, const void *body,
		       size_t n)
{
	int rc = buf_printf(b, "Content-Type: %s\r\n", ct);
	if (rc == 0 && cte)
		rc = buf_printf(b, "Content-Transfer-Encoding: %s\r\n", cte);
	if (rc == 0 && filename)
		rc = buf_printf(b, "Content-Disposition: attachment; filename=\"%s\"\r\n", filename);
	if (rc == 0)
		rc = buf_append(b, "\r\n", 2);
	if (rc == 0 && n)
		rc = buf_append(b, body, n);
	return rc < 0 ? -ENOSPC : 0;
}

/* A filename safe to put in a quoted parameter. */
static int filename_ok(const char *f)
{
	if (!f || !*f || strlen(f) > 128)
		return 0;
	for (const char *p = f; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._-+", *p))
			return 0;
	return 1;
}

/* multipart/signed around an entity: the body (after the headers) and its Content-Type. */
static int make_signed(struct buf *body, char **ct, struct span entity, X509 *cert, EVP_PKEY *key, enum as2_md md,
		       const char *fixed_boundary)
{
	struct buf der;
	buf_init(&der, 0);
	char *bd = new_boundary(fixed_boundary, "");
	int rc = as2_cms_sign(&der, entity, cert, key, md);
	if (rc < 0)
		goto out;
	rc = -ENOSPC;
	if (buf_printf(body, "--%s\r\n", bd) < 0 || buf_append(body, entity.p, entity.n) < 0 ||
	    buf_printf(body, "\r\n--%s\r\n", bd) < 0)
		goto out;
	if (buf_puts(body, "Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"
			   "Content-Transfer-Encoding: base64\r\n"
			   "Content-Disposition: attachment; filename=\"smime.p7s\"\r\n\r\n") < 0)
		goto out;
	if (as2_base64_lines(body, der.data, der.len) < 0 || buf_printf(body, "--%s--\r\n", bd) < 0)
		goto out;
	*ct = xasprintf("multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=%s; boundary=\"%s\"",
			as2_md_name(md), bd);
	rc = 0;
out:
	buf_free(&der);
	free(bd);
	return rc;
}

static const char CT_COMPRESSED[] = "application/pkcs7-mime; smime-type=compressed-data; name=\"smime.p7z\"";
static const char CT_ENVELOPED[] = "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"";

/* Replace cur (a whole entity) with its compressed-data entity (base64 inside). */
static int wrap_compressed(struct buf *cur)
{
	struct buf der, b64, next;
	buf_init(&der, 0);
	buf_init(&b64, 0);
	buf_init(&next, 0);
	int rc = as2_cms_compress(&der, (struct span){ cur->data, cur->len });
	if (rc == 0)
		rc = as2_base64_lines(&b64, der.data, der.len);
	if (rc == 0)
		rc = entity_make(&next, CT_COMPRESSED, "base64", "smime.p7z", b64.data, b64.len);
	if (rc == 0) {
		buf_free(cur);
		*cur = next;
		buf_init(&next, 0);
	}
	buf_free(&der);
	buf_free(&b64);
	buf_free(&next);
	return rc;
}

int as2_build(struct as2_out *out, const void *payload, size_t len, const struct as2_build_opts *o)
{
	struct buf cur, mic_copy;
	int rc;
	memset(out, 0, sizeof *out);
	buf_init(&out->body, 0);
	buf_init(&cur, 0);
	buf_init(&mic_copy, 0);
	const char *fname = filename_ok(o->filename) ? o->filename : NULL;
	int sign = o->sign != AS2_MD_NONE;
	out->mic_md = o->mic_md != AS2_MD_NONE ? o->mic_md : sign ? o->sign : AS2_MD_SHA256;
	if (sign && (!o->our_cert || !o->our_key))
		return -EINVAL;
	if (o->encrypt != AS2_CIPHER_NONE && !o->partner_cert)
		return -EINVAL;
	if ((rc = entity_make(&cur, o->content_type ? o->content_type : "application/octet-stream", "binary", fname,
			      payload, len)) < 0)
		goto out;
	int mic_set = 0;
	if (o->compress == AS2_COMPRESS_BEFORE_SIGNING) {
		if (!sign) /* RFC 5402: unsigned → the MIC is over the uncompressed entity */
			mic_set = as2_mic(out->mic_md, cur.data, cur.len, out->mic) == 0;
		if ((rc = wrap_compressed(&cur)) < 0)
			goto out;
	}
	/* the outermost layer so far, as (content type, body) when it is multipart/signed */
	char *sct = NULL;
	struct buf sbody;
	buf_init(&sbody, 0);
	if (sign) {
		if (!mic_set)
			mic_set = as2_mic(out->mic_md, cur.data, cur.len, out->mic) == 0;
		rc = make_signed(&sbody, &sct, (struct span){ cur.data, cur.len }, o->our_cert, o->our_key, o->sign,
				 o->boundary);
		if (rc < 0) {
			buf_free(&sbody);
			goto out;
		}
		buf_reset(&cur);
		if ((rc = entity_make(&cur, sct, NULL, NULL, sbody.data, sbody.len)) < 0) {
			free(sct);
			buf_free(&sbody);
			goto out;
		}
	}
	if (o->compress == AS2_COMPRESS_AFTER_SIGNING) {
		if (!mic_set)
			mic_set = as2_mic(out->mic_md, cur.data, cur.len, out->mic) == 0;
		if ((rc = wrap_compressed(&cur)) < 0) {
			free(sct);
			buf_free(&sbody);
			goto out;
		}
		free(sct);
		sct = NULL;
	}
	if (o->encrypt != AS2_CIPHER_NONE) {
		if (!mic_set) /* encrypted only: the entity with its headers */
			mic_set = as2_mic(out->mic_md, cur.data, cur.len, out->mic) == 0;
		rc = as2_cms_encrypt(&out->body, (struct span){ cur.data, cur.len }, o->partner_cert, o->encrypt,
				     o->keyenc);
		free(sct);
		buf_free(&sbody);
		if (rc < 0)
			goto out;
		out->content_type = xstrdup(CT_ENVELOPED);
		out->cte = xstrdup("binary");
	} else if (sct) {
		/* signed is outermost: its headers become HTTP headers */
		out->content_type = sct;
		buf_free(&out->body);
		out->body = sbody;
	} else {
		buf_free(&sbody);
		/* compressed or plain outermost: the entity's own headers go to HTTP */
		struct as2_entity e;
		if ((rc = as2_entity_parse(&e, cur.data, cur.len)) < 0)
			goto out;
		const char *ct = as2_entity_get(&e, "Content-Type");
		const char *cte = as2_entity_get(&e, "Content-Transfer-Encoding");
		struct buf dec;
		buf_init(&dec, 0);
		rc = as2_decode_cte(cte, e.body, &dec);
		if (rc == 0 && !mic_set) /* plain: the content only */
			mic_set = as2_mic(out->mic_md, dec.data ? dec.data : "", dec.len, out->mic) == 0;
		out->content_type = xstrdup(ct ? ct : "application/octet-stream");
		out->cte = xstrdup("binary");
		const char *cd = as2_entity_get(&e, "Content-Disposition");
		out->content_disposition = cd ? xstrdup(cd) : NULL;
		if (rc == 0 && buf_append(&out->body, dec.data ? dec.data : "", dec.len) < 0)
			rc = -ENOSPC;
		buf_free(&dec);
		as2_entity_clear(&e);
		if (rc < 0)
			goto out;
	}
	rc = mic_set ? 0 : -EIO;
out:
	buf_free(&cur);
	buf_free(&mic_copy);
	if (rc < 0)
		as2_out_clear(out);
	return rc;
}

/* ---------------------------------------------------------------- open */

void as2_opened_clear(struct as2_opened *o)
{
	for (size_t i = 0; i < o->nlayers; i++)
		buf_free(&o->layers[i]);
	for (size_t i = 0; i < o->nents; i++)
		as2_entity_clear(&o->ents[i]);
	free(o->content_type);
	free(o->filename);
	free(o->why);
	memset(o, 0, sizeof *o);
}

/* A new owned buffer for a decoded layer. */
static struct buf *new_layer(struct as2_opened *o, size_t max)
{
	if (o->nlayers == sizeof o->layers / sizeof o->layers[0])
		return NULL;
	struct buf *b = &o->layers[o->nlayers++];
	buf_init(b, max ? max : 1);
	return b;
}

/* Fail with a disposition modifier and reason (taken over). */
static int open_fail(struct as2_opened *o, const char *failure, char *why, int rc)
{
	o->failure = failure;
	if (!o->why)
		o->why = why;
	else
		free(why);
	return rc < 0 ? rc : -EBADMSG;
}

int as2_open(struct as2_opened *o, const char *content_type, const char *cte, const void *body, size_t len,
	     const struct as2_open_opts *opts)
{
	int rc = 0;
	memset(o, 0, sizeof *o);
	size_t max = opts->max_bytes ? opts->max_bytes : (size_t)64 << 20;
	/* the current entity: headers in ct/cte, raw body in cur */
	char *ct = xstrdup(content_type ? content_type : "application/octet-stream");
	char *ce = cte ? xstrdup(cte) : NULL;
	struct span cur = { body, len };
	char *type = NULL;
	int have_mic = 0, mic_from_signature = 0;
	/* plain message: the MIC is over the content without headers */
	for (int depth = 0;; depth++) {
		free(type);
		type = as2_ct_type(ct);
		if (depth > AS2_MAX_DEPTH) {
			rc = open_fail(o, "unexpected-processing-error", xstrdup("too many nested S/MIME layers"), -EBADMSG);
			goto out;
		}
		if (strcmp(type, "application/pkcs7-mime") == 0 || strcmp(type, "application/x-pkcs7-mime") == 0) {
			struct buf *der = new_layer(o, max);
			if (!der || (rc = as2_decode_cte(ce, cur, der)) < 0) {
				rc = open_fail(o, "unexpected-processing-error",
					       xstrdup("cannot undo the transfer encoding of an S/MIME part"), rc);
				goto out;
			}
			struct span d = { der->data ? der->data : "", der->len };
			char *st = as2_ct_param(ct, "smime-type");
			const char *kind = st ? st : as2_cms_type(d);
			if (!kind)
				kind = "";
			struct buf *plain = new_layer(o, max);
			if (!plain) {
				free(st);
				rc = open_fail(o, "unexpected-processing-error", xstrdup("too many layers"), -E2BIG);
				goto out;
			}
			char *why = NULL;
			if (strcasecmp(kind, "enveloped-data") == 0) {
				rc = as2_cms_decrypt(plain, d, opts->our_cert, opts->our_key, max, &o->cipher, &why);
				free(st);
				if (rc < 0) {
					rc = open_fail(o, "decryption-failed", why, rc);
					goto out;
				}
				free(why);
				o->is_encrypted = 1;
				if (!have_mic && !o->is_signed) { /* encrypted, unsigned: the decrypted entity */
					o->mic_data = (struct span){ plain->data ? plain->data : "", plain->len };
					have_mic = 1;
				}
			} else if (strcasecmp(kind, "compressed-data") == 0) {
				rc = as2_cms_decompress(plain, d, max, &why);
				free(st);
				if (rc < 0) {
					rc = open_fail(o, "decompression-failed", why, rc);
					goto out;
				}
				free(why);
				o->is_compressed = 1;
				if (!mic_from_signature) { /* RFC 5402: the uncompressed entity */
					o->mic_data = (struct span){ plain->data ? plain->data : "", plain->len };
					have_mic = 1;
				}
			} else if (strcasecmp(kind, "signed-data") == 0) {
				enum as2_md md;
				rc = as2_cms_verify_opaque(plain, d, opts->partner_cert, &md, max, &why);
				free(st);
				if (rc < 0) {
					rc = open_fail(o, "integrity-check-failed", why, rc);
					goto out;
				}
				free(why);
				o->is_signed = 1;
				o->sig_md = md;
				if (!mic_from_signature) {
					o->mic_data = (struct span){ plain->data ? plain->data : "", plain->len };
					have_mic = mic_from_signature = 1;
				}
			} else {
				rc = open_fail(o, "unexpected-processing-error",
					       xasprintf("unsupported smime-type %s", kind[0] ? kind : "(unknown)"), -ENOTSUP);
				free(st);
				goto out;
			}
			/* the inner entity */
			if (o->nents == sizeof o->ents / sizeof o->ents[0]) {
				rc = open_fail(o, "unexpected-processing-error", xstrdup("too many layers"), -E2BIG);
				goto out;
			}
			struct as2_entity *e = &o->ents[o->nents];
			if ((rc = as2_entity_parse(e, plain->data ? plain->data : "", plain->len)) < 0) {
				rc = open_fail(o, "unexpected-processing-error",
					       xstrdup("the decoded S/MIME content is not a MIME entity"), rc);
				goto out;
			}
			o->nents++;
			free(ct);
			free(ce);
			const char *h = as2_entity_get(e, "Content-Type");
			ct = xstrdup(h ? h : "text/plain");
			h = as2_entity_get(e, "Content-Transfer-Encoding");
			ce = h ? xstrdup(h) : NULL;
			cur = e->body;
			if (!o->filename) {
				const char *cd = as2_entity_get(e, "Content-Disposition");
				char *fn = as2_ct_param(cd, "filename");
				if (fn && strcmp(fn, "smime.p7m") && strcmp(fn, "smime.p7z") && strcmp(fn, "smime.p7s"))
					o->filename = fn;
				else
					free(fn);
			}
			continue;
		}
		if (strcmp(type, "multipart/signed") == 0) {
			char *bd = as2_ct_param(ct, "boundary");
			struct span parts[AS2_MAX_PARTS];
			size_t np = 0;
			struct buf *dec = new_layer(o, max);
			if (!dec || (rc = as2_decode_cte(ce, cur, dec)) < 0) {
				free(bd);
				rc = open_fail(o, "integrity-check-failed", xstrdup("cannot decode multipart/signed"), rc);
				goto out;
			}
			rc = as2_multipart_split((struct span){ dec->data ? dec->data : "", dec->len }, bd, parts,
						 AS2_MAX_PARTS, &np);
			free(bd);
			if (rc < 0 || np != 2) {
				rc = open_fail(o, "integrity-check-failed",
					       xasprintf("multipart/signed is malformed (%zu parts, boundary %s)", np,
							 rc < 0 ? "not found or not closed" : "ok"),
					       -EBADMSG);
				goto out;
			}
			if (o->nents + 2 > sizeof o->ents / sizeof o->ents[0]) {
				rc = open_fail(o, "unexpected-processing-error", xstrdup("too many layers"), -E2BIG);
				goto out;
			}
			struct as2_entity *se = &o->ents[o->nents];
			if ((rc = as2_entity_parse(se, parts[1].p, parts[1].n)) < 0) {
				rc = open_fail(o, "integrity-check-failed", xstrdup("the signature part is malformed"), rc);
				goto out;
			}
			o->nents++;
			struct buf *sig = new_layer(o, max);
			if (!sig || (rc = as2_decode_cte(as2_entity_get(se, "Content-Transfer-Encoding"), se->body, sig)) < 0) {
				rc = open_fail(o, "integrity-check-failed", xstrdup("cannot decode the signature"), rc);
				goto out;
			}
			enum as2_md md;
			char *why = NULL;
			rc = as2_cms_verify(parts[0], (struct span){ sig->data ? sig->data : "", sig->len },
					    opts->partner_cert, &md, &why);
			if (rc < 0) {
				rc = open_fail(o, "integrity-check-failed", why, rc);
				goto out;
			}
			free(why);
			o->is_signed = 1;
			o->sig_md = md;
			if (!mic_from_signature) { /* signed: the signed part, headers and all, as received */
				o->mic_data = parts[0];
				have_mic = mic_from_signature = 1;
			}
			struct as2_entity *e = &o->ents[o->nents];
			if ((rc = as2_entity_parse(e, parts[0].p, parts[0].n)) < 0) {
				rc = open_fail(o, "unexpected-processing-error", xstrdup("the signed part is malformed"), rc);
				goto out;
			}
			o->nents++;
			free(ct);
			free(ce);
			const char *h = as2_entity_get(e, "Content-Type");
			ct = xstrdup(h ? h : "text/plain");
			h = as2_entity_get(e, "Content-Transfer-Encoding");
			ce = h ? xstrdup(h) : NULL;
			cur = e->body;
			if (!o->filename) {
				char *fn = as2_ct_param(as2_entity_get(e, "Content-Disposition"), "filename");
				if (fn && strcmp(fn, "smime.p7z") && strcmp(fn, "smime.p7m"))
					o->filename = fn;
				else
					free(fn);
			}
			continue;
		}
		/* the leaf: a payload or a report */
		o->content_type = xstrdup(ct);
		if (strcmp(type, "multipart/report") == 0) {
			o->is_mdn = 1;
			o->payload = cur;
		} else {
			struct buf *dec = new_layer(o, max);
			if (!dec || (rc = as2_decode_cte(ce, cur, dec)) < 0) {
				rc = open_fail(o, "unexpected-processing-error",
					       xasprintf("cannot undo Content-Transfer-Encoding %s", ce ? ce : ""), rc);
				goto out;
			}
			o->payload = (struct span){ dec->data ? dec->data : "", dec->len };
			if (!have_mic) { /* plain: the content */
				o->mic_data = o->payload;
				have_mic = 1;
			}
		}
		rc = 0;
		break;
	}
out:
	free(type);
	free(ct);
	free(ce);
	return rc;
}

/* ---------------------------------------------------------------- MDNs */

/* Dispositions as partners write them. */
enum as2_disp as2_disposition_parse(const char *field, char **modifier)
{
	if (modifier)
		*modifier = NULL;
	if (!field)
		return AS2_DISP_UNKNOWN;
	/* the disposition type follows the action-mode part (up to ';'), if present */
	const char *t = strchr(field, ';');
	t = t ? t + 1 : field;
	while (*t == ' ' || *t == '\t')
		t++;
	/* lower-cased copy without blanks around '/' */
	struct buf low;
	buf_init(&low, 0);
	for (const char *p = t; *p; p++)
		if (*p != ' ' && *p != '\t')
			buf_putc(&low, (char)tolower((unsigned char)*p));
	const char *s = low.data ? low.data : "";
	enum as2_disp d = AS2_DISP_UNKNOWN;
	if (strncmp(s, "processed", 9) == 0 || strncmp(s, "proccessed", 10) == 0 || strncmp(s, "procesed", 8) == 0) {
		const char *sl = strchr(s, '/');
		if (!sl)
			d = AS2_DISP_PROCESSED;
		else if (strncmp(sl + 1, "warn", 4) == 0)
			d = AS2_DISP_WARNING;
		else if (strncmp(sl + 1, "err", 3) == 0 || strncmp(sl + 1, "fail", 4) == 0)
			d = AS2_DISP_ERROR;
		else
			d = AS2_DISP_ERROR; /* an unknown modifier is not a clean success */
	} else if (strncmp(s, "fail", 4) == 0) {
		d = AS2_DISP_FAILED;
	} else if (strncmp(s, "error", 5) == 0) {
		d = AS2_DISP_ERROR;
	}
	if (modifier) {
		const char *m = strpbrk(t, ":=");
		if (m) {
			m++;
			*modifier = span_dup(span_trim(span_cstr(m)));
		}
	}
	buf_free(&low);
	return d;
}

const char *as2_disp_name(enum as2_disp d)
{
	switch (d) {
	case AS2_DISP_PROCESSED:
		return "processed";
	case AS2_DISP_WARNING:
		return "processed/warning";
	case AS2_DISP_ERROR:
		return "processed/error";
	case AS2_DISP_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

void as2_dno_parse(const char *value, struct as2_dno *out)
{
	memset(out, 0, sizeof *out);
	if (!value)
		return;
	/* "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256, sha1" */
	const char *p = value;
	while (*p) {
		size_t n = strcspn(p, ";");
		const char *eq = memchr(p, '=', n);
		if (eq) {
			struct span name = span_trim((struct span){ p, (size_t)(eq - p) });
			struct span rest = { eq + 1, n - (size_t)(eq + 1 - p) };
			/* importance, then values */
			int required = 0, first = 1, any = 0;
			while (rest.n) {
				const char *c = memchr(rest.p, ',', rest.n);
				size_t k = c ? (size_t)(c - rest.p) : rest.n;
				struct span v = span_trim((struct span){ rest.p, k });
				if (first) {
					required = name_is(v, "required");
					first = 0;
				} else if (name.n == 23 && strncasecmp(name.p, "signed-receipt-protocol", 23) == 0) {
					if (name_is(v, "pkcs7signature")) {
						out->signed_receipt = 1;
						out->signed_required = required;
					}
				} else if (name.n == 21 && strncasecmp(name.p, "signed-receipt-micalg", 21) == 0) {
					enum as2_md md;
					any = 1;
					if (out->micalg == AS2_MD_NONE && as2_md_from_name(v, &md) == 0)
						out->micalg = md;
				}
				if (!c)
					break;
				rest.p += k + 1;
				rest.n -= k + 1;
			}
			if (any && required && out->micalg == AS2_MD_NONE && name.n == 21)
				out->micalg_unsupported = 1;
		}
		p += n;
		if (*p == ';')
			p++;
	}
}

int as2_mdn_build(struct as2_out *out, const struct as2_mdn_info *m)
{
	struct buf report, notif, ent;
	int rc = -ENOSPC;
	memset(out, 0, sizeof *out);
	buf_init(&out->body, 0);
	buf_init(&report, 0);
	buf_init(&notif, 0);
	buf_init(&ent, 0);
	char *rb = new_boundary(m->boundary, m->boundary ? "-r" : "");
	if (buf_printf(&notif, "Reporting-UA: %s\r\n", m->reporting_ua ? m->reporting_ua : "edigw") < 0)
		goto out;
	if (m->original_recipient && buf_printf(&notif, "Original-Recipient: rfc822; %s\r\n", m->original_recipient) < 0)
		goto out;
	if (buf_printf(&notif, "Final-Recipient: rfc822; %s\r\n", m->our_id) < 0 ||
	    buf_printf(&notif, "Original-Message-ID: %s\r\n", m->original_message_id) < 0 ||
	    buf_printf(&notif, "Disposition: automatic-action/MDN-sent-automatically; %s\r\n", m->disposition) < 0)
		goto out;
	if (m->mic && buf_printf(&notif, "Received-Content-MIC: %s, %s\r\n", m->mic, as2_md_name(m->mic_md)) < 0)
		goto out;
	if (buf_printf(&report, "--%s\r\n", rb) < 0 ||
	    entity_make(&report, "text/plain; charset=us-ascii", "7bit", NULL, NULL, 0) < 0 ||
	    buf_printf(&report, "%s\r\n", m->text ? m->text : "") < 0 || buf_printf(&report, "\r\n--%s\r\n", rb) < 0 ||
	    entity_make(&report, "message/disposition-notification", "7bit", NULL, notif.data, notif.len) < 0 ||
	    buf_printf(&report, "\r\n--%s--\r\n", rb) < 0)
		goto out;
	char *rct = xasprintf("multipart/report; report-type=disposition-notification; boundary=\"%s\"", rb);
	if (m->sign_cert && m->sign_key && m->sign_md != AS2_MD_NONE) {
		if ((rc = entity_make(&ent, rct, NULL, NULL, report.data, report.len)) < 0) {
			free(rct);
			goto out;
		}
		free(rct);
		char *sb = m->boundary ? xasprintf("%s-s", m->boundary) : NULL;
		rc = make_signed(&out->body, &out->content_type, (struct span){ ent.data, ent.len }, m->sign_cert,
				 m->sign_key, m->sign_md, sb);
		free(sb);
		if (rc < 0)
			goto out;
	} else {
		out->content_type = rct;
		if (buf_append(&out->body, report.data, report.len) < 0)
			goto out;
	}
	rc = 0;
out:
	free(rb);
	buf_free(&report);
	buf_free(&notif);
	buf_free(&ent);
	if (rc < 0)
		as2_out_clear(out);
	return rc;
}

void as2_mdn_clear(struct as2_mdn *m)
{
	free(m->original_message_id);
	free(m->disposition);
	free(m->modifier);
	free(m->mic);
	free(m->mic_alg);
	free(m->final_recipient);
	free(m->text);
	free(m->why);
	memset(m, 0, sizeof *m);
}

/* Read the fields of a message/disposition-notification body. */
static int notification_fields(struct as2_mdn *m, struct span body)
{
	/* the fields are header lines; a body without the final blank line is fine */
	struct buf withnl;
	struct as2_entity f;
	buf_init(&withnl, 0);
	if (buf_append(&withnl, body.p, body.n) < 0 || buf_append(&withnl, "\r\n\r\n", 4) < 0) {
		buf_free(&withnl);
		return -EFBIG;
	}
	int rc = as2_entity_parse(&f, withnl.data, withnl.len);
	if (rc < 0) {
		buf_free(&withnl);
		return rc;
	}
	const char *v;
	if ((v = as2_entity_get(&f, "Original-Message-ID")))
		m->original_message_id = xstrdup(v);
	if ((v = as2_entity_get(&f, "Final-Recipient")))
		m->final_recipient = xstrdup(v);
	if ((v = as2_entity_get(&f, "Disposition"))) {
		m->disposition = xstrdup(v);
		m->disp = as2_disposition_parse(v, &m->modifier);
	}
	if ((v = as2_entity_get(&f, "Received-Content-MIC"))) {
		const char *c = strchr(v, ',');
		m->mic = span_dup(span_trim((struct span){ v, c ? (size_t)(c - v) : strlen(v) }));
		if (c) {
			m->mic_alg = span_dup(span_trim(span_cstr(c + 1)));
			enum as2_md md;
			if (as2_md_from_name(span_cstr(m->mic_alg), &md) == 0)
				m->mic_md = md;
		}
	}
	as2_entity_clear(&f);
	buf_free(&withnl);
	return 0;
}

int as2_mdn_parse(struct as2_mdn *m, const char *content_type, const char *cte, const void *body, size_t len,
		  X509 *pinned, size_t max)
{
	int rc = -EBADMSG;
	memset(m, 0, sizeof *m);
	struct buf dec, sig, inner;
	struct as2_entity top = { 0 }, se = { 0 };
	buf_init(&dec, max ? max : 0);
	buf_init(&sig, 0);
	buf_init(&inner, 0);
	char *type = as2_ct_type(content_type);
	char *bd = NULL;
	const char *ct = content_type;
	struct span cur;
	if ((rc = as2_decode_cte(cte, (struct span){ body, len }, &dec)) < 0)
		goto out;
	cur = (struct span){ dec.data ? dec.data : "", dec.len };
	if (strcmp(type, "multipart/signed") == 0) {
		struct span parts[AS2_MAX_PARTS];
		size_t np = 0;
		bd = as2_ct_param(content_type, "boundary");
		rc = as2_multipart_split(cur, bd, parts, AS2_MAX_PARTS, &np);
		if (rc < 0 || np != 2) {
			m->why = xstrdup("signed MDN is not a two-part multipart/signed");
			rc = -EBADMSG;
			goto out;
		}
		m->is_signed = 1;
		if ((rc = as2_entity_parse(&se, parts[1].p, parts[1].n)) < 0 ||
		    (rc = as2_decode_cte(as2_entity_get(&se, "Content-Transfer-Encoding"), se.body, &sig)) < 0) {
			m->why = xstrdup("the MDN's signature part is malformed");
			rc = -EBADMSG;
			goto out;
		}
		if (pinned) {
			char *why = NULL;
			int vr = as2_cms_verify(parts[0], (struct span){ sig.data ? sig.data : "", sig.len }, pinned,
						&m->sig_md, &why);
			m->sig_ok = vr == 0;
			if (vr < 0)
				m->why = why;
			else
				free(why);
		}
		if ((rc = as2_entity_parse(&top, parts[0].p, parts[0].n)) < 0)
			goto out;
		ct = as2_entity_get(&top, "Content-Type");
		free(type);
		type = as2_ct_type(ct);
		if ((rc = as2_decode_cte(as2_entity_get(&top, "Content-Transfer-Encoding"), top.body, &inner)) < 0)
			goto out;
		cur = (struct span){ inner.data ? inner.data : "", inner.len };
	}
	if (strcmp(type, "multipart/report") != 0) {
		free(m->why);
		m->why = xasprintf("not an MDN: %s", type[0] ? type : "(no Content-Type)");
		rc = -EBADMSG;
		goto out;
	}
	free(bd);
	bd = as2_ct_param(ct, "boundary");
	struct span parts[AS2_MAX_PARTS];
	size_t np = 0;
	if ((rc = as2_multipart_split(cur, bd, parts, AS2_MAX_PARTS, &np)) < 0) {
		free(m->why);
		m->why = xstrdup("multipart/report is malformed");
		goto out;
	}
	int found = 0;
	for (size_t i = 0; i < np; i++) {
		struct as2_entity pe;
		if (as2_entity_parse(&pe, parts[i].p, parts[i].n) < 0)
			continue;
		char *pt = as2_ct_type(as2_entity_get(&pe, "Content-Type"));
		struct buf pd;
		buf_init(&pd, max ? max : 0);
		if (as2_decode_cte(as2_entity_get(&pe, "Content-Transfer-Encoding"), pe.body, &pd) == 0) {
			struct span ps = { pd.data ? pd.data : "", pd.len };
			if (strcmp(pt, "message/disposition-notification") == 0 && !found) {
				found = notification_fields(m, ps) == 0;
			} else if (strcmp(pt, "text/plain") == 0 && !m->text) {
				while (ps.n && isspace((unsigned char)ps.p[ps.n - 1]))
					ps.n--;
				m->text = span_dup(span_trim(ps));
			}
		}
		buf_free(&pd);
		free(pt);
		as2_entity_clear(&pe);
	}
	if (!found) {
		free(m->why);
		m->why = xstrdup("MDN without a message/disposition-notification part");
		rc = -EBADMSG;
		goto out;
	}
	rc = 0;
out:
	free(type);
	free(bd);
	buf_free(&dec);
	buf_free(&sig);
	buf_free(&inner);
	as2_entity_clear(&top);
	as2_entity_clear(&se);
	return rc;
}
