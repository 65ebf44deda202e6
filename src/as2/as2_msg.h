/*
 * as2_msg — the AS2 message layer (RFC 4130, RFC 5402 compression), no I/O:
 * MIME entities parsed over the exact bytes received (a signed part is hashed
 * and verified as it arrived, never re-serialised), S/MIME with the OpenSSL
 * CMS API (sign, verify against one pinned certificate, encrypt, decrypt with
 * PKCS#1 v1.5 or OAEP key transport), CMS CompressedData built and read with
 * zlib (Debian's OpenSSL has no zlib in CMS), the MIC per RFC 4130 7.3.1,
 * and MDNs (message/disposition-notification inside multipart/report,
 * optionally signed), parsed leniently.
 *
 * Ownership: structs filled by as2_* own what they point to and are released
 * with their _clear function; spans point into the caller's bytes or into a
 * buffer of the struct. OpenSSL objects passed in stay the caller's.
 *
 * Limits for partner bytes: AS2_MAX_HEADERS header fields and
 * AS2_MAX_HEADER_BYTES bytes per header block, AS2_MAX_DEPTH nested S/MIME
 * layers, AS2_MAX_PARTS body parts in a multipart, BER nesting of
 * AS2_MAX_BER_DEPTH, and the caller's max_bytes for any decrypted or
 * decompressed entity (a zlib bomb stops there).
 */
#ifndef EDIGW_AS2_MSG_H
#define EDIGW_AS2_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/util.h"

#define AS2_MAX_HEADERS 128
#define AS2_MAX_HEADER_BYTES 65536
#define AS2_MAX_DEPTH 6
#define AS2_MAX_PARTS 16
#define AS2_MAX_BER_DEPTH 32
#define AS2_MIC_MAX 96 /* base64 of a SHA-512 digest (88) and a NUL, with room */

/* MIC and signature digest algorithms. */
enum as2_md { AS2_MD_NONE = 0, AS2_MD_SHA1, AS2_MD_SHA256, AS2_MD_SHA384, AS2_MD_SHA512 };
/* Content encryption algorithms. */
enum as2_cipher {
	AS2_CIPHER_NONE = 0,
	AS2_CIPHER_AES128_CBC,
	AS2_CIPHER_AES192_CBC,
	AS2_CIPHER_AES256_CBC,
	AS2_CIPHER_3DES_CBC
};
/* RFC 5402 compression: none, the payload compressed and then signed, or the signed
 * entity compressed. */
enum as2_compress { AS2_COMPRESS_NONE = 0, AS2_COMPRESS_BEFORE_SIGNING, AS2_COMPRESS_AFTER_SIGNING };
/* RSA key transport for the content encryption key. */
enum as2_keyenc { AS2_KEYENC_PKCS1 = 0, AS2_KEYENC_OAEP };

/* A digest name as partners write it: sha1, sha-1, SHA256, sha-256, sha2_256, sha_384 ...
 * (case and '-'/'_' ignored, surrounding blanks trimmed); -ENOTSUP for anything else. */
int as2_md_from_name(struct span s, enum as2_md *out);
/* The micalg name we write: "sha-1", "sha-256", "sha-384", "sha-512"; "" for none. */
const char *as2_md_name(enum as2_md md);
/* The OpenSSL digest of md (NULL for AS2_MD_NONE). */
const EVP_MD *as2_md_evp(enum as2_md md);
/* A cipher name: aes128-cbc, aes-128-cbc, aes192-cbc, aes256-cbc, 3des, des-ede3-cbc,
 * tripledes (case-insensitive), none; -ENOTSUP otherwise. */
int as2_cipher_from_name(const char *s, enum as2_cipher *out);
const char *as2_cipher_name(enum as2_cipher c);
/* base64 of the digest of data into out (at least AS2_MIC_MAX bytes). */
int as2_mic(enum as2_md md, const void *data, size_t len, char out[AS2_MIC_MAX]);

/* ---------------------------------------------------------------- MIME */

struct as2_header {
	char *name;  /* as written */
	char *value; /* folded lines joined with one space, blanks trimmed */
};

/* One MIME entity over borrowed bytes. */
struct as2_entity {
	struct span raw;  /* the whole entity as received */
	struct span body; /* after the blank line */
	struct as2_header *h;
	size_t nh;
};

/* Parse the header block of an entity (CRLF or LF lines, folding, a blank line before
 * the body, which may be missing only when the block is empty). -EBADMSG with a
 * malformed or oversized header block. e keeps pointers into p. */
int as2_entity_parse(struct as2_entity *e, const void *p, size_t n);
void as2_entity_clear(struct as2_entity *e);
/* The first value of a header field (case-insensitive name), borrowed; NULL when absent. */
const char *as2_entity_get(const struct as2_entity *e, const char *name);
/* "type/sub; a=b" → "type/sub" lower-cased (allocated; "" for NULL). */
char *as2_ct_type(const char *ct);
/* A parameter of a structured header value, unquoted (allocated), NULL when absent. */
char *as2_ct_param(const char *ct, const char *name);
/* Split a multipart body at "--boundary" delimiter lines (RFC 2046 5.1.1: the line break
 * before a delimiter belongs to it). parts get the exact bytes of each body part (headers
 * and body). -EBADMSG without a first delimiter or a close delimiter, -E2BIG over max. */
int as2_multipart_split(struct span body, const char *boundary, struct span *parts, size_t max, size_t *n);
/* Undo a Content-Transfer-Encoding (base64, quoted-printable; 7bit, 8bit, binary and
 * NULL copy) into out. -EBADMSG for bad base64; -ENOTSUP for an unknown encoding. */
int as2_decode_cte(const char *cte, struct span in, struct buf *out);
/* base64 in lines of 76 characters with CRLF (MIME). */
int as2_base64_lines(struct buf *out, const void *p, size_t n);

/* ---------------------------------------------------------------- keys */

/* Load a PEM certificate / private key (PKCS#8 or traditional); -ENOENT, -EBADMSG. */
int as2_load_cert(X509 **out, const char *path);
int as2_load_key(EVP_PKEY **out, const char *path);
/* 1 when key is the private key of cert. */
int as2_key_matches(X509 *cert, EVP_PKEY *key);

/* ---------------------------------------------------------------- CMS */

/* Detached CMS signature (DER) over data: issuer-and-serial signer identifier, the
 * signing certificate included, binary (no canonicalisation). */
int as2_cms_sign(struct buf *der, struct span data, X509 *cert, EVP_PKEY *key, enum as2_md md);
/* Verify a detached signature over data against exactly the pinned certificate (no
 * certificate in the message is trusted). *md gets the signer's digest. 0, -EBADMSG
 * (unparsable), -EPERM (wrong signer or bad signature), -ENOTSUP (digest we don't accept). */
int as2_cms_verify(struct span data, struct span der, X509 *pinned, enum as2_md *md, char **why);
/* An opaque signed-data (smime-type=signed-data): verify and give back the content. */
int as2_cms_verify_opaque(struct buf *content, struct span der, X509 *pinned, enum as2_md *md, size_t max,
			  char **why);
/* EnvelopedData (DER) for one recipient. */
int as2_cms_encrypt(struct buf *der, struct span data, X509 *recip, enum as2_cipher c, enum as2_keyenc k);
/* Decrypt an EnvelopedData with our certificate and key (either key transport). The
 * plaintext is at most max bytes (-EFBIG). -EBADMSG unparsable, -EPERM not for us or
 * not decryptable. *cipher (may be NULL) gets the content cipher when we know it. */
int as2_cms_decrypt(struct buf *out, struct span der, X509 *cert, EVP_PKEY *key, size_t max,
		    enum as2_cipher *cipher, char **why);
/* RFC 3274 CompressedData (ZLIB) around data, DER. */
int as2_cms_compress(struct buf *der, struct span data);
/* Read a CompressedData (BER: indefinite lengths and constructed OCTET STRINGs too) and
 * inflate it: at most max bytes (-EFBIG). -EBADMSG for anything else. */
int as2_cms_decompress(struct buf *out, struct span der, size_t max, char **why);
/* The content type of a CMS ContentInfo: "enveloped-data", "signed-data",
 * "compressed-data", or NULL. */
const char *as2_cms_type(struct span der);

/* ---------------------------------------------------------------- messages */

/* What the sender asks in Disposition-Notification-Options (RFC 4130 7.3). */
struct as2_dno {
	int signed_receipt;          /* pkcs7-signature listed */
	int signed_required;         /* ... with importance required */
	enum as2_md micalg;          /* the first listed algorithm we support */
	int micalg_unsupported;      /* algorithms listed, required, none supported */
};
void as2_dno_parse(const char *value, struct as2_dno *out);

/* A built message or MDN: the outermost entity's Content-Type (and transfer encoding)
 * go into HTTP headers, body is the HTTP body. */
struct as2_out {
	char *content_type;
	char *cte;         /* "binary", or NULL */
	char *content_disposition; /* the payload's, when it is the outermost entity (plain) */
	struct buf body;
	char mic[AS2_MIC_MAX]; /* messages: the MIC the receiver must return */
	enum as2_md mic_md;
};
void as2_out_clear(struct as2_out *o);

struct as2_build_opts {
	X509 *our_cert;
	EVP_PKEY *our_key;
	X509 *partner_cert;      /* encryption */
	enum as2_md sign;        /* AS2_MD_NONE: unsigned */
	enum as2_cipher encrypt;
	enum as2_keyenc keyenc;
	enum as2_compress compress;
	enum as2_md mic_md;      /* the MIC algorithm we ask for (AS2_MD_NONE: sign, else sha-256) */
	const char *content_type; /* payload type, e.g. application/edi-x12 */
	const char *filename;    /* Content-Disposition filename, or NULL; safe characters only */
	const char *boundary;    /* tests: a fixed multipart boundary, NULL = random */
};
/* Build a message: payload entity → [compress] → [sign] → [compress] → [encrypt]. */
int as2_build(struct as2_out *out, const void *payload, size_t len, const struct as2_build_opts *o);

/* What a received message turned out to be. */
struct as2_opened {
	int is_signed, is_encrypted, is_compressed;
	enum as2_md sig_md;
	enum as2_cipher cipher;     /* when known */
	int is_mdn;                 /* the leaf is multipart/report */
	struct span payload;        /* decoded leaf content (or the report entity when is_mdn) */
	char *content_type;         /* of the leaf */
	char *filename;             /* Content-Disposition filename as sent (untrusted), or NULL */
	struct span mic_data;       /* what RFC 4130 7.3.1 hashes */
	const char *failure;        /* disposition modifier when as2_open failed */
	char *why;                  /* human reason when as2_open failed */
	struct buf layers[AS2_MAX_DEPTH + 2]; /* decoded and decrypted bytes the spans point into */
	size_t nlayers;
	struct as2_entity ents[AS2_MAX_DEPTH + 2];
	size_t nents;
};
struct as2_open_opts {
	X509 *our_cert;
	EVP_PKEY *our_key;
	X509 *partner_cert;   /* NULL: a signature cannot be verified (integrity-check-failed) */
	size_t max_bytes;     /* bound for every decoded, decrypted or decompressed entity */
};
/* Unwrap a received message (the HTTP Content-Type, Content-Transfer-Encoding and body).
 * On failure returns a negative code with o->failure set to the disposition modifier
 * (decryption-failed, integrity-check-failed, decompression-failed,
 * unexpected-processing-error) and o->why. */
int as2_open(struct as2_opened *o, const char *content_type, const char *cte, const void *body, size_t len,
	     const struct as2_open_opts *opts);
void as2_opened_clear(struct as2_opened *o);

/* ---------------------------------------------------------------- MDNs */

enum as2_disp {
	AS2_DISP_UNKNOWN = 0,
	AS2_DISP_PROCESSED,  /* processed */
	AS2_DISP_WARNING,    /* processed/warning */
	AS2_DISP_ERROR,      /* processed/error */
	AS2_DISP_FAILED      /* failed/failure */
};
/* The disposition-type part of a Disposition field ("automatic-action/MDN-sent-
 * automatically; processed/Error: decryption-failed"), case-insensitive, blanks and
 * common misspellings tolerated. *modifier (may be NULL) gets the text after ':' or '='. */
enum as2_disp as2_disposition_parse(const char *field, char **modifier);
const char *as2_disp_name(enum as2_disp d);

struct as2_mdn_info {
	const char *reporting_ua;        /* "edigw" */
	const char *our_id;              /* Final-Recipient */
	const char *original_recipient;  /* Original-Recipient (the AS2-To received), or NULL */
	const char *original_message_id; /* echoed exactly */
	const char *disposition;         /* "processed", "processed/warning: duplicate-document",
	                                  * "processed/error: decryption-failed", "failed/Failure: ..." */
	const char *mic;                 /* NULL: no Received-Content-MIC */
	enum as2_md mic_md;
	const char *text;                /* the human-readable part */
	X509 *sign_cert;                 /* both set: a signed MDN */
	EVP_PKEY *sign_key;
	enum as2_md sign_md;
	const char *boundary;            /* tests: fixed boundaries ("X" → "X-r" and "X-s") */
};
int as2_mdn_build(struct as2_out *out, const struct as2_mdn_info *m);

struct as2_mdn {
	int is_signed;
	int sig_ok;               /* signature verified against the pinned certificate */
	enum as2_md sig_md;
	char *original_message_id;
	char *disposition;        /* the field as written */
	enum as2_disp disp;
	char *modifier;
	char *mic;                /* Received-Content-MIC value, NULL when absent */
	char *mic_alg;            /* its algorithm as written */
	enum as2_md mic_md;       /* AS2_MD_NONE when not one we know */
	char *final_recipient;
	char *text;               /* first text/plain part, trimmed */
	char *why;                /* when parsing or verification failed */
};
/* Parse an MDN (HTTP Content-Type, transfer encoding, body). pinned may be NULL (a
 * signature is then reported unverified). -EBADMSG when it is not an MDN. */
int as2_mdn_parse(struct as2_mdn *m, const char *content_type, const char *cte, const void *body, size_t len,
		  X509 *pinned, size_t max);
void as2_mdn_clear(struct as2_mdn *m);

#endif
