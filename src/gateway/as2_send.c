/*
 * as2_send.c — sending outbound documents to AS2 partners (gateway_as2_deliver),
 * settling MDNs (sync in the response, async through the receiving endpoint:
 * gw_as2_mdn_in) and the libcurl POST both directions use (gw_as2_post).
 * doc/as2.md describes the flow.
 *
 * For a partner with as2.id and as2.url, each pass:
 *
 *   adopt   every file of spool/outbound/<partner>/ becomes a delivery job in
 *           deferred/ (ledger deliveries row, transport "as2", state queued),
 *           like the SFTP transport's adoption: row, commit, unlink; a crash
 *           between commit and unlink only unlinks on the next pass.
 *   send    every due job: build the message (sign, compress, encrypt per the
 *           partner), its Message-ID derived from the job id (so every retry
 *           carries the same one), POST it; with a sync MDN check it at once,
 *           with an async MDN wait (state awaiting-mdn) until it arrives at our
 *           endpoint or as2.mdn-wait passes (then the same message is sent
 *           again), without an MDN a 2xx is delivery.
 *   settle  an MDN is accepted only when it names our Message-ID, is signed
 *           and verifies against the partner's pinned certificate when we
 *           asked for a signed one, and returns the MIC we computed (with the
 *           algorithm the MDN names: the message is rebuilt, its MIC part is
 *           deterministic). processed (or processed/warning) → sent/;
 *           processed/error or failed → failed/ with the partner's words; an
 *           MDN we cannot trust → retried.
 *   retry   a failed attempt counts in the row and the job header; the next
 *           one waits retry.min * 2^(n-1), at most retry.max; past
 *           retry.max-age the job goes to failed/.
 *
 * One process delivers for a partner at a time (transport_lock, shared with
 * SFTP); a busy partner is left for the next pass.
 *
 * Limits: the partner's limit.max-file-size for the document, MDN responses
 * at most AS2_RESPONSE_MAX bytes.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "as2/as2_msg.h"
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"
#include "transport/transport.h"

#define AS2_RESPONSE_MAX (4u << 20)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

/* curl_global_init exactly once per process. */
static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct resp {
	struct buf *body;
	char *ct, *cte;
	size_t max;
	int too_big;
};

/* libcurl body callback: capped. */
static size_t on_body(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = sz * n;
	if (r->body->len + len > r->max || buf_append(r->body, p, len) < 0) {
		r->too_big = 1;
		return 0;
	}
	return len;
}

/* libcurl header callback: Content-Type and Content-Transfer-Encoding of the last response. */
static size_t on_header(char *p, size_t sz, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = sz * n;
	struct span line = { p, len };
	while (line.n && (line.p[line.n - 1] == '\r' || line.p[line.n - 1] == '\n'))
		line.n--;
	if (line.n >= 5 && strncmp(line.p, "HTTP/", 5) == 0) { /* a new response (after 100) */
		free(r->ct);
		free(r->cte);
		r->ct = r->cte = NULL;
		return len;
	}
	const char *colon = memchr(line.p, ':', line.n);
	if (!colon)
		return len;
	struct span name = { line.p, (size_t)(colon - line.p) };
	struct span val = span_trim((struct span){ colon + 1, line.n - name.n - 1 });
	if (name.n == 12 && strncasecmp(name.p, "content-type", 12) == 0) {
		free(r->ct);
		r->ct = span_dup(val);
	} else if (name.n == 25 && strncasecmp(name.p, "content-transfer-encoding", 25) == 0) {
		free(r->cte);
		r->cte = span_dup(val);
	}
	return len;
}

/* A certificate that has expired, or expires within AS2_CERT_WARN_DAYS, as a warning: into d
 * (config check) when given, else the log (the endpoint's start). Partners reject messages
 * signed with, or encrypted for, an expired certificate, so the renewal is due before. */
#define AS2_CERT_WARN_DAYS 30
void gw_as2_cert_expiry(X509 *x, const char *what, const char *path, struct diag_list *d, const char *file,
			size_t line)
{
	int days = 0, secs = 0;
	const ASN1_TIME *na = X509_get0_notAfter(x);
	if (!na || !ASN1_TIME_diff(&days, &secs, NULL, na))
		return;
	char when[32] = "";
	struct tm tm;
	if (ASN1_TIME_to_tm(na, &tm) == 1)
		strftime(when, sizeof when, "%Y-%m-%d", &tm);
	char *msg = NULL;
	if (days < 0 || (days == 0 && secs <= 0))
		msg = xasprintf("%s %s expired on %s: renew it and send partners the new certificate", what, path,
				when);
	else if (days == 0)
		msg = xasprintf("%s %s expires on %s, within a day", what, path, when);
	else if (days < AS2_CERT_WARN_DAYS)
		msg = xasprintf("%s %s expires on %s, in %d day%s", what, path, when, days, days == 1 ? "" : "s");
	if (msg && d)
		diag_warn(d, file, line, "%s", msg);
	else if (msg)
		log_warn("as2: %s", msg);
	free(msg);
}

/* The endpoint's TLS certificate chain and key (as2.tls-cert, as2.tls-key) as PEM text for
 * libmicrohttpd, checked first with OpenSSL: both parse and the key is the certificate's;
 * an expiry warning into d, or the log when d is NULL. */
int gw_as2_tls_load(const struct config *cfg, struct buf *cert_pem, struct buf *key_pem, struct diag_list *d,
		    char **why)
{
	const char *cp = cfg->as2.tls_cert, *kp = cfg->as2.tls_key;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	int rc = as2_load_cert(&cert, cp);
	if (rc < 0) {
		*why = xasprintf("as2.tls-cert %s: %s", cp, rc == -ENOENT ? "cannot read it" : "not a PEM certificate");
		goto out;
	}
	if ((rc = as2_load_key(&key, kp)) < 0) {
		*why = xasprintf("as2.tls-key %s: %s", kp,
				 rc == -ENOENT ? "cannot read it" : "not an unencrypted PEM private key");
		goto out;
	}
	if (!as2_key_matches(cert, key)) {
		*why = xasprintf("as2.tls-key %s is not the key of as2.tls-cert %s", kp, cp);
		rc = -EINVAL;
		goto out;
	}
	gw_as2_cert_expiry(cert, "as2.tls-cert", cp, d, cfg->file, cfg->as2.line);
	if ((rc = file_read_all(cp, 1024 * 1024, cert_pem)) < 0 || (rc = file_read_all(kp, 1024 * 1024, key_pem)) < 0) {
		*why = xasprintf("as2.tls-cert %s or as2.tls-key %s: %s", cp, kp,
				 rc == -EFBIG ? "larger than 1 MiB" : strerror(-rc));
		goto out;
	}
out:
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}

/* What edigw config check says about the AS2 files: ours, the endpoint's TLS pair, and
 * each AS2 partner's certificate and CA file (with expiry warnings). */
int gateway_as2_check(const struct config *cfg, struct diag_list *d)
{
	char *why = NULL;
	int rc = 0;
	if (cfg->as2.id && cfg->as2.key && cfg->as2.cert) {
		X509 *cert = NULL;
		EVP_PKEY *key = NULL;
		if (gw_as2_load_us(cfg, &cert, &key, &why) < 0) {
			diag_error(d, cfg->file, cfg->as2.line, "%s", why);
			rc = -EINVAL;
		} else {
			gw_as2_cert_expiry(cert, "as2.cert", cfg->as2.cert, d, cfg->file, cfg->as2.line);
		}
		free(why);
		why = NULL;
		X509_free(cert);
		EVP_PKEY_free(key);
	}
	if (cfg->as2.tls_cert && cfg->as2.tls_key) {
		struct buf c, k;
		buf_init(&c, 0);
		buf_init(&k, 0);
		if (gw_as2_tls_load(cfg, &c, &k, d, &why) < 0) {
			diag_error(d, cfg->file, cfg->as2.line, "%s", why);
			rc = -EINVAL;
		}
		free(why);
		why = NULL;
		if (k.data)
			explicit_bzero(k.data, k.cap);
		buf_free(&c);
		buf_free(&k);
	}
	for (size_t i = 0; i < cfg->npartners; i++) {
		const struct cfg_partner *p = &cfg->partners[i];
		const char *files[2] = { p->as2.cert, p->as2.tls_ca };
		const char *names[2] = { "as2.cert", "as2.tls-ca" };
		for (int f = 0; p->as2.id && f < 2; f++) {
			X509 *x = NULL;
			if (!files[f])
				continue;
			int r = as2_load_cert(&x, files[f]);
			if (r < 0) {
				diag_error(d, p->file, p->as2.line, "%s %s: %s", names[f], files[f],
					   r == -ENOENT ? "cannot read it" : "not a PEM certificate");
				rc = -EINVAL;
			} else {
				gw_as2_cert_expiry(x, names[f], files[f], d, p->file, p->as2.line);
			}
			X509_free(x);
		}
	}
	return rc;
}

/* POST body to url with headers; the response's status, type, encoding and body. */
int gw_as2_post(const char *url, const char *ca_file, const char *const *headers, const void *body, size_t len,
		unsigned timeout_s, long *status, char **resp_ct, char **resp_cte, struct buf *resp_body, char **why)
{
	pthread_once(&curl_once, curl_init);
	struct resp r = { .body = resp_body, .max = AS2_RESPONSE_MAX };
	struct curl_slist *hl = NULL;
	int rc = 0;
	*status = 0;
	if (resp_ct)
		*resp_ct = NULL;
	if (resp_cte)
		*resp_cte = NULL;
	CURL *c = curl_easy_init();
	if (!c)
		return -ENOMEM;
	for (size_t i = 0; headers && headers[i]; i++)
		hl = curl_slist_append(hl, headers[i]);
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file) { /* the partner's CAs only: not the system's too */
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
		curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
	}
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)(timeout_s ? timeout_s : 60));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)(timeout_s && timeout_s < 30 ? timeout_s : 30));
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &r);
	CURLcode cr = curl_easy_perform(c);
	if (cr != CURLE_OK) {
		if (why)
			*why = xasprintf("POST %s: %s", url,
					 r.too_big ? "response larger than 4 MiB" : curl_easy_strerror(cr));
		rc = cr == CURLE_OPERATION_TIMEDOUT ? -ETIMEDOUT : -EIO;
	} else {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	}
	if (resp_ct)
		*resp_ct = r.ct;
	else
		free(r.ct);
	if (resp_cte)
		*resp_cte = r.cte;
	else
		free(r.cte);
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return rc;
}

/* ------------------------------------------------------------ messages */

/* Our Message-ID for a delivery job: the same for every retry. */
char *gw_as2_message_id(const char *job_id, const char *our_as2_id)
{
	char *host = name_sanitize(our_as2_id, strlen(our_as2_id));
	char *mid = xasprintf("<%s@%s.edigw>", job_id, host);
	free(host);
	return mid;
}

/* An AS2 name for a header: atomic as it is, else quoted (RFC 4130 6.2). */
static char *as2_quote(const char *s)
{
	for (const char *p = s; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == '\\' || *p > '~') {
			struct buf b;
			buf_init(&b, 0);
			buf_putc(&b, '"');
			for (const char *q = s; *q; q++) {
				if (*q == '"' || *q == '\\')
					buf_putc(&b, '\\');
				buf_putc(&b, *q);
			}
			buf_putc(&b, '"');
			return buf_steal(&b);
		}
	return xstrdup(s);
}

/* The payload's Content-Type by its first bytes. */
static const char *payload_type(const char *p, size_t n)
{
	while (n && (*p == ' ' || *p == '\r' || *p == '\n' || *p == '\t')) {
		p++;
		n--;
	}
	if (n >= 3 && memcmp(p, "ISA", 3) == 0)
		return "application/edi-x12";
	if (n >= 3 && (memcmp(p, "UNA", 3) == 0 || memcmp(p, "UNB", 3) == 0))
		return "application/edifact";
	if (n >= 1 && *p == '<')
		return "application/xml";
	return "application/octet-stream";
}

/* Load our key and certificate from edigw.conf's as2.key/as2.cert. */
int gw_as2_load_us(const struct config *cfg, X509 **cert, EVP_PKEY **key, char **why)
{
	*cert = NULL;
	*key = NULL;
	if (!cfg->as2.id || !cfg->as2.cert || !cfg->as2.key) {
		*why = xstrdup("AS2 is not configured (as2.id, as2.key, as2.cert in edigw.conf)");
		return -EINVAL;
	}
	int rc = as2_load_cert(cert, cfg->as2.cert);
	if (rc < 0) {
		*why = xasprintf("as2.cert %s: %s", cfg->as2.cert, rc == -ENOENT ? "cannot read it" : "not a PEM certificate");
		return rc;
	}
	rc = as2_load_key(key, cfg->as2.key);
	if (rc < 0) {
		*why = xasprintf("as2.key %s: %s", cfg->as2.key, rc == -ENOENT ? "cannot read it" : "not a PEM private key");
		X509_free(*cert);
		*cert = NULL;
		return rc;
	}
	if (!as2_key_matches(*cert, *key)) {
		*why = xasprintf("as2.key %s is not the key of as2.cert %s", cfg->as2.key, cfg->as2.cert);
		X509_free(*cert);
		EVP_PKEY_free(*key);
		*cert = NULL;
		*key = NULL;
		return -EINVAL;
	}
	return 0;
}

/* The build options of partner p (our credentials, its certificate). */
static void build_opts(const struct cfg_partner *p, X509 *our_cert, EVP_PKEY *our_key, X509 *their_cert,
		       const char *payload, size_t len, const char *name, struct as2_build_opts *o)
{
	memset(o, 0, sizeof *o);
	o->our_cert = our_cert;
	o->our_key = our_key;
	o->partner_cert = their_cert;
	o->sign = (enum as2_md)p->as2.sign;
	o->encrypt = (enum as2_cipher)p->as2.encrypt;
	o->keyenc = p->as2.oaep ? AS2_KEYENC_OAEP : AS2_KEYENC_PKCS1;
	o->compress = p->as2.compress == CFG_AS2_COMPRESS_BEFORE   ? AS2_COMPRESS_BEFORE_SIGNING
		      : p->as2.compress == CFG_AS2_COMPRESS_AFTER ? AS2_COMPRESS_AFTER_SIGNING
								  : AS2_COMPRESS_NONE;
	o->content_type = payload_type(payload, len);
	o->filename = name;
}

/* Read a job's body from a queue (at most max bytes). */
static int job_body(struct spool *sp, enum spool_queue q, const char *job, uint64_t max, struct spool_meta *meta,
		    struct buf *out)
{
	int fd = -1;
	uint64_t blen = 0;
	int rc = spool_open_job(sp, q, job, meta, &fd, &blen);
	if (rc < 0)
		return rc;
	rc = blen > max ? -EFBIG : fd_read_all(fd, max, out);
	close(fd);
	return rc;
}

/* Move a delivery job out of deferred/ and note its outcome (delivered: sent/, else failed/). */
static int finish_job(struct ledger *l, struct spool *sp, const char *job, const char *partner, int delivered,
		      const char *why, struct gw_stats *st)
{
	struct ledger_delivery d;
	int rc = ledger_delivery_get(l, job, &d);
	if (rc == 1) {
		free(d.state);
		d.state = xstrdup(delivered ? "delivered" : "failed");
		if (!delivered) {
			free(d.last_error);
			d.last_error = xstrdup(why ? why : "failed");
		}
		ledger_delivery_put(l, &d);
		ledger_delivery_clear(&d);
	}
	rc = spool_move(sp, job, SPOOL_DEFERRED, delivered ? SPOOL_SENT : SPOOL_FAILED, delivered ? NULL : why, -1);
	if (rc < 0 && rc != -ENOENT)
		log_error("as2: job %s: cannot move it out of deferred/: %s", job, strerror(-rc));
	ledger_event(l, job, NULL, delivered ? "sent" : "failed", why);
	ledger_transport_note(l, partner, "as2-send", delivered, delivered ? NULL : why, 0);
	if (st) {
		if (delivered)
			st->delivered++;
		else
			st->undeliverable++;
	}
	return rc == -ENOENT ? 0 : rc;
}

/* A failed attempt: count it and wait, or give up after retry.max-age. */
static int retry_later(struct ledger *l, struct spool *sp, const struct cfg_partner *p, const char *job,
		       const char *why, struct gw_stats *st)
{
	struct ledger_delivery d;
	time_t now = time(NULL);
	int rc = ledger_delivery_get(l, job, &d);
	if (rc <= 0)
		return rc;
	d.attempts++;
	free(d.last_error);
	d.last_error = xstrdup(why);
	uint64_t wait = gw_backoff(&p->retry, d.attempts);
	d.next_unix = now + (int64_t)wait;
	if (now - d.first_unix > (int64_t)p->retry.max_age_s) {
		char *msg = xasprintf("not delivered within retry.max-age (%llus, %u attempts): %s",
				      (unsigned long long)p->retry.max_age_s, d.attempts, why);
		ledger_delivery_clear(&d);
		rc = finish_job(l, sp, job, p->id, 0, msg, st);
		free(msg);
		return rc;
	}
	free(d.state);
	d.state = xstrdup("queued");
	rc = ledger_delivery_put(l, &d);
	spool_move_retry(sp, job, SPOOL_DEFERRED, SPOOL_DEFERRED, why);
	ledger_event(l, job, NULL, "deferred", why);
	ledger_transport_note(l, p->id, "as2-send", 0, why, d.next_unix);
	log_warn("as2: partner %s: job %s not delivered (attempt %u), next try in %llus: %s", p->id, job, d.attempts,
		 (unsigned long long)wait, why);
	if (st)
		st->deferred++;
	ledger_delivery_clear(&d);
	return rc;
}

/* Judge an MDN for our job: 1 delivered, 0 refused by the partner (why), -EAGAIN untrusted
 * (why), other negative errno. */
static int judge_mdn(const struct cfg_partner *p, const struct as2_mdn *m, const char *message_id,
		     const char *payload, size_t len, const char *name, X509 *our_cert, EVP_PKEY *our_key,
		     X509 *their_cert, char **why)
{
	if (!m->original_message_id || strcmp(m->original_message_id, message_id) != 0) {
		*why = xasprintf("MDN for Message-ID %s, not ours (%s)", m->original_message_id ? m->original_message_id : "(none)",
				 message_id);
		return -EAGAIN;
	}
	if (p->as2.mdn_signed && !(m->is_signed && m->sig_ok)) {
		*why = xasprintf("the MDN is %s (as2.mdn-signed = yes)%s%s",
				 m->is_signed ? "signed but does not verify against as2.cert" : "not signed",
				 m->why ? ": " : "", m->why ? m->why : "");
		return -EAGAIN;
	}
	if (m->disp == AS2_DISP_ERROR || m->disp == AS2_DISP_FAILED || m->disp == AS2_DISP_UNKNOWN) {
		*why = xasprintf("partner's MDN: %s%s%s", m->disposition ? m->disposition : "(no disposition)",
				 m->text ? " — " : "", m->text ? m->text : "");
		return m->disp == AS2_DISP_UNKNOWN ? -EAGAIN : 0;
	}
	if (m->disp == AS2_DISP_PROCESSED && (p->as2.mdn_signed || m->mic)) {
		/* the MIC must be ours, computed with the algorithm the MDN names (an unsigned MDN
		 * need not carry one, but one it carries must match) */
		if (!m->mic || m->mic_md == AS2_MD_NONE) {
			*why = xasprintf("the MDN has no usable Received-Content-MIC (%s)", m->mic_alg ? m->mic_alg : "none");
			return -EAGAIN;
		}
		struct as2_build_opts bo;
		struct as2_out out;
		build_opts(p, our_cert, our_key, their_cert, payload, len, name, &bo);
		bo.mic_md = m->mic_md;
		int rc = as2_build(&out, payload, len, &bo);
		if (rc < 0)
			return rc;
		int same = strcmp(out.mic, m->mic) == 0;
		if (!same)
			*why = xasprintf("MIC mismatch: the partner computed %s, %s; we sent %s", m->mic,
					 as2_md_name(m->mic_md), out.mic);
		as2_out_clear(&out);
		if (!same)
			return 0;
	}
	return 1;
}

/* Apply a judged MDN to the job. */
static int apply_mdn(struct ledger *l, struct spool *sp, const struct cfg_partner *p, const char *job,
		     const char *message_id, const struct as2_mdn *m, int verdict, const char *why, struct gw_stats *st)
{
	struct ledger_as2 row = { .direction = "out", .partner = p->id, .message_id = (char *)message_id,
				  .job_id = (char *)job, .disposition = m ? m->disposition : NULL,
				  .detail = (char *)why };
	if (verdict == 1) {
		row.state = "delivered";
		ledger_as2_put(l, &row);
		char *ev = xasprintf("AS2 MDN %s for %s%s%s", m && m->disposition ? m->disposition : "(none)", message_id,
				     m && m->mic ? ", MIC " : "", m && m->mic ? m->mic : "");
		int rc = finish_job(l, sp, job, p->id, 1, ev, st);
		log_info("as2: partner %s: job %s delivered (%s)", p->id, job, ev);
		free(ev);
		return rc;
	}
	if (verdict == 0) {
		row.state = "failed";
		ledger_as2_put(l, &row);
		log_error("as2: partner %s: job %s refused: %s", p->id, job, why);
		return finish_job(l, sp, job, p->id, 0, why, st);
	}
	row.state = "sending";
	ledger_as2_put(l, &row);
	return retry_later(l, sp, p, job, why, st);
}

/* An MDN posted to our endpoint (as2_server.c): find our message and settle it. */
int gw_as2_mdn_in(const struct config *cfg, struct ledger *l, struct spool *sp, const struct cfg_partner *p,
		  const struct as2_mdn *m, char **why)
{
	struct ledger_as2 row = { 0 };
	struct spool_meta meta = { 0 };
	struct buf body;
	X509 *our_cert = NULL, *their_cert = NULL;
	EVP_PKEY *our_key = NULL;
	char *v = NULL;
	int rc;
	buf_init(&body, 0);
	if (!m->original_message_id) {
		*why = xstrdup("MDN without Original-Message-ID");
		return 0;
	}
	rc = ledger_as2_get(l, "out", p->id, m->original_message_id, &row);
	if (rc <= 0) {
		*why = xasprintf("MDN for %s, which we did not send to %s", m->original_message_id, p->id);
		return rc;
	}
	if (strcmp(row.state, "delivered") == 0 || strcmp(row.state, "failed") == 0 || !row.job_id) {
		*why = xasprintf("a second MDN for %s (already %s)", m->original_message_id, row.state);
		rc = 0;
		goto out;
	}
	if ((rc = job_body(sp, SPOOL_DEFERRED, row.job_id, p->limits.max_file_size, &meta, &body)) < 0) {
		*why = xasprintf("MDN for %s: job %s is not waiting in deferred/ (%s)", m->original_message_id,
				 row.job_id, strerror(-rc));
		rc = 0;
		goto out;
	}
	if ((rc = gw_as2_load_us(cfg, &our_cert, &our_key, why)) < 0)
		goto out;
	if (as2_load_cert(&their_cert, p->as2.cert) < 0) {
		*why = xasprintf("as2.cert %s of %s cannot be read", p->as2.cert, p->id);
		rc = -EINVAL;
		goto out;
	}
	int verdict = judge_mdn(p, m, m->original_message_id, body.data ? body.data : "", body.len, meta.orig_name,
				our_cert, our_key, their_cert, &v);
	if (verdict < 0 && verdict != -EAGAIN) {
		rc = verdict;
		goto out;
	}
	rc = apply_mdn(l, sp, p, row.job_id, m->original_message_id, m, verdict, v, NULL);
	if (v)
		*why = xstrdup(v);
out:
	free(v);
	X509_free(our_cert);
	X509_free(their_cert);
	EVP_PKEY_free(our_key);
	spool_meta_clear(&meta);
	buf_free(&body);
	ledger_as2_clear(&row);
	return rc;
}

/* The Message-ID of a job's next attempt: the one of its attempts so far (retries reuse it),
 * or, after it was settled (delivered or failed) and an operator replayed it, a new one, so
 * the partner does not take the replay for a duplicate. */
static char *job_message_id(struct ledger *l, const char *job, const char *our_id)
{
	struct ledger_as2 row;
	char *mid = NULL;
	if (ledger_as2_by_job(l, "out", job, &row) == 1) {
		if (strcmp(row.state, "delivered") != 0 && strcmp(row.state, "failed") != 0) {
			mid = row.message_id;
			row.message_id = NULL;
		} else {
			char *host = name_sanitize(our_id, strlen(our_id));
			char hex[9];
			if (random_hex(hex, 4) < 0)
				snprintf(hex, sizeof hex, "%08lx", (unsigned long)now_ms());
			mid = xasprintf("<%s.replay-%lld-%s@%s.edigw>", job, (long long)time(NULL), hex, host);
			free(host);
		}
		ledger_as2_clear(&row);
	}
	return mid ? mid : gw_as2_message_id(job, our_id);
}

/* Send one due delivery job. */
static int send_job(struct gateway *g, const struct cfg_partner *p, X509 *our_cert, EVP_PKEY *our_key,
		    X509 *their_cert, const char *job, struct gw_stats *st)
{
	const struct config *cfg = gateway_config(g);
	struct ledger *l = gateway_ledger(g);
	struct spool *sp = gateway_spool(g);
	struct spool_meta meta = { 0 };
	struct buf body, resp;
	struct as2_out out = { 0 };
	struct as2_mdn m = { 0 };
	char *mid = job_message_id(l, job, cfg->as2.id);
	char *why = NULL, *rct = NULL, *rcte = NULL;
	char *hv[16] = { 0 };
	size_t nh = 0;
	long status = 0;
	int rc;
	buf_init(&body, 0);
	buf_init(&resp, 0);
	if ((rc = job_body(sp, SPOOL_DEFERRED, job, p->limits.max_file_size, &meta, &body)) < 0) {
		if (rc == -ENOENT)
			rc = 0; /* settled meanwhile (an async MDN) */
		goto out;
	}
	struct as2_build_opts bo;
	build_opts(p, our_cert, our_key, their_cert, body.data ? body.data : "", body.len, meta.orig_name, &bo);
	if ((rc = as2_build(&out, body.data ? body.data : "", body.len, &bo)) < 0) {
		why = xasprintf("cannot build the AS2 message: %s", strerror(-rc));
		rc = retry_later(l, sp, p, job, why, st);
		goto out;
	}
	char mic[AS2_MIC_MAX + 16];
	snprintf(mic, sizeof mic, "%s, %s", out.mic, as2_md_name(out.mic_md));
	struct ledger_as2 row = { .direction = "out", .partner = p->id, .message_id = mid, .job_id = (char *)job,
				  .state = "sending", .mic = mic };
	if ((rc = ledger_as2_put(l, &row)) < 0)
		goto out;
	char *from = as2_quote(cfg->as2.id), *to = as2_quote(p->as2.id);
	hv[nh++] = xasprintf("AS2-From: %s", from);
	hv[nh++] = xasprintf("AS2-To: %s", to);
	free(from);
	free(to);
	hv[nh++] = xasprintf("AS2-Version: %s", p->as2.compress ? "1.1" : "1.2");
	hv[nh++] = xasprintf("Message-ID: %s", mid);
	hv[nh++] = xstrdup("MIME-Version: 1.0");
	hv[nh++] = xasprintf("Subject: %s", meta.orig_name ? meta.orig_name : "edigw");
	hv[nh++] = xasprintf("Content-Type: %s", out.content_type);
	if (out.cte)
		hv[nh++] = xasprintf("Content-Transfer-Encoding: %s", out.cte);
	if (out.content_disposition)
		hv[nh++] = xasprintf("Content-Disposition: %s", out.content_disposition);
	if (p->as2.mdn != CFG_AS2_MDN_NONE) {
		hv[nh++] = xasprintf("Disposition-Notification-To: %s", cfg->as2.mdn_url ? cfg->as2.mdn_url : cfg->as2.id);
		if (p->as2.mdn_signed)
			hv[nh++] = xasprintf("Disposition-Notification-Options: signed-receipt-protocol=optional, "
					     "pkcs7-signature; signed-receipt-micalg=optional, %s",
					     as2_md_name(out.mic_md));
		if (p->as2.mdn == CFG_AS2_MDN_ASYNC)
			hv[nh++] = xasprintf("Receipt-Delivery-Option: %s", cfg->as2.mdn_url);
	}
	hv[nh] = NULL;
	gw_fault_point("as2-before-post");
	rc = gw_as2_post(p->as2.url, p->as2.tls_ca, (const char *const *)hv, out.body.data, out.body.len,
			 (unsigned)p->as2.timeout_s, &status, &rct, &rcte, &resp, &why);
	if (rc < 0 || status < 200 || status > 299) {
		if (!why)
			why = xasprintf("POST %s: HTTP %ld", p->as2.url, status);
		rc = retry_later(l, sp, p, job, why, st);
		goto out;
	}
	ledger_event(l, job, NULL, "as2-posted", mid);
	if (p->as2.mdn == CFG_AS2_MDN_NONE) {
		rc = apply_mdn(l, sp, p, job, mid, NULL, 1, "no MDN requested (as2.mdn = none); HTTP 2xx", st);
		goto out;
	}
	if (p->as2.mdn == CFG_AS2_MDN_ASYNC) {
		struct ledger_delivery d;
		if (ledger_delivery_get(l, job, &d) == 1) {
			free(d.state);
			d.state = xstrdup("awaiting-mdn");
			d.next_unix = time(NULL) + (int64_t)p->as2.mdn_wait_s;
			ledger_delivery_put(l, &d);
			ledger_delivery_clear(&d);
		}
		row.state = "awaiting-mdn";
		row.mic = NULL;
		ledger_as2_put(l, &row);
		log_info("as2: partner %s: job %s posted as %s, waiting for the async MDN", p->id, job, mid);
		rc = 0;
		goto out;
	}
	/* sync: the response is the MDN */
	if (as2_mdn_parse(&m, rct, rcte, resp.data ? resp.data : "", resp.len, their_cert, AS2_RESPONSE_MAX) < 0) {
		why = xasprintf("the response to %s is not an MDN: %s", mid, m.why ? m.why : "(no reason)");
		rc = retry_later(l, sp, p, job, why, st);
		goto out;
	}
	int verdict = judge_mdn(p, &m, mid, body.data ? body.data : "", body.len, meta.orig_name, our_cert, our_key,
				their_cert, &why);
	if (verdict < 0 && verdict != -EAGAIN) {
		rc = verdict;
		goto out;
	}
	rc = apply_mdn(l, sp, p, job, mid, &m, verdict, why, st);
out:
	for (size_t i = 0; i < nh; i++)
		free(hv[i]);
	free(mid);
	free(why);
	free(rct);
	free(rcte);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
	spool_meta_clear(&meta);
	buf_free(&body);
	buf_free(&resp);
	return rc;
}

/* ------------------------------------------------------------ adoption */

/* Turn outbound/<partner>/name into an AS2 delivery job in deferred/. */
static int adopt(struct gateway *g, const struct cfg_partner *p, const char *dir, const char *name)
{
	struct ledger *l = gateway_ledger(g);
	char *path = path_join(dir, name);
	struct ledger_delivery row = { 0 }, old = { 0 };
	struct spool_meta meta = { 0 };
	struct spool_writer *w = NULL;
	struct buf data;
	char sha[65];
	int rc;
	buf_init(&data, 0);
	if ((rc = file_read_all(path, p->limits.max_file_size, &data)) < 0) {
		if (rc == -ENOENT)
			rc = 0;
		else
			log_error("outbound/%s/%s: %s; left in place", p->id, name, strerror(-rc));
		goto out;
	}
	sha256_hex(data.data ? data.data : "", data.len, sha);
	int found = ledger_delivery_find(l, p->id, name, sha, &old);
	if (found < 0) {
		rc = found;
		goto out;
	}
	if (found && spool_locate(gateway_spool(g), old.job_id, NULL) == 0)
		goto leftover; /* adopted before a crash between the commit and the unlink */
	if (found && (rc = ledger_delivery_delete(l, old.job_id)) < 0)
		goto out;
	meta.partner = xstrdup(p->id);
	meta.orig_name = xstrdup(name);
	meta.source = xasprintf("outbound:%s", p->id);
	meta.received = time(NULL);
	if ((rc = spool_writer_open(gateway_spool(g), &meta, &w)) < 0)
		goto out;
	if ((rc = write_all(spool_writer_fd(w), data.data ? data.data : "", data.len)) < 0)
		goto out;
	row.job_id = xstrdup(meta.id);
	row.partner = xstrdup(p->id);
	row.name = xstrdup(name);
	row.sha256 = xstrdup(sha);
	row.transport = xstrdup("as2");
	row.state = xstrdup("queued");
	row.remote = xstrdup(p->as2.url);
	row.size = data.len;
	row.first_unix = meta.received;
	row.next_unix = meta.received;
	if ((rc = ledger_delivery_put(l, &row)) < 0)
		goto out;
	rc = spool_writer_commit(w, SPOOL_DEFERRED);
	w = NULL;
	if (rc < 0)
		goto out;
	gw_fault_point("as2-after-adopt");
	char *ev = xasprintf("outbound/%s/%s (%zu bytes) queued for AS2 delivery to %s", p->id, name, data.len,
			     p->as2.url);
	ledger_event(l, meta.id, NULL, "queued", ev);
	free(ev);
leftover:
	if (unlink(path) < 0 && errno != ENOENT) {
		rc = -errno;
		goto out;
	}
	rc = fsync_dir(dir);
out:
	spool_writer_abort(w);
	spool_meta_clear(&meta);
	ledger_delivery_clear(&row);
	ledger_delivery_clear(&old);
	buf_free(&data);
	free(path);
	return rc;
}

/* A dir_names filter for outbound/<partner>/: names edigw writes (no temporary files, no
 * lock). */
static int outbound_name(const char *dir, const char *name, void *ctx)
{
	(void)dir;
	(void)ctx;
	return name[0] != '.' && name_is_safe(name);
}

struct due {
	char **jobs;
	size_t n;
	time_t now;
};

/* Collect the AS2 jobs that are due. */
static int due_cb(void *ctx, const struct ledger_delivery *d)
{
	struct due *u = ctx;
	if (strcmp(d->transport, "as2") != 0)
		return 0;
	if (strcmp(d->state, "queued") != 0 && strcmp(d->state, "awaiting-mdn") != 0)
		return 0;
	if (d->next_unix > u->now)
		return 0;
	u->jobs = xrealloc(u->jobs, (u->n + 1) * sizeof *u->jobs);
	u->jobs[u->n++] = xstrdup(d->job_id);
	return 0;
}

/* One partner: adopt its outbound files, then send what is due. */
static int deliver_partner(struct gateway *g, const struct cfg_partner *p, X509 *our_cert, EVP_PKEY *our_key,
			   struct gw_stats *st)
{
	char *dir = NULL;
	char **names = NULL;
	size_t n = 0;
	X509 *their = NULL;
	struct due u = { .now = time(NULL) };
	int rc = spool_outbound_dir(gateway_spool(g), p->id, &dir);
	if (rc < 0)
		return rc;
	dir_names(dir, outbound_name, NULL, 0, &names, &n); /* no directory yet: nothing to adopt */
	for (size_t i = 0; i < n; i++) {
		int r = adopt(g, p, dir, names[i]);
		if (r < 0 && rc == 0)
			rc = r;
	}
	dir_names_free(names, n);
	if (rc < 0)
		goto out;
	if (as2_load_cert(&their, p->as2.cert) < 0) {
		char *why = xasprintf("as2.cert %s cannot be read", p->as2.cert);
		log_error("as2: partner %s: %s", p->id, why);
		ledger_transport_note(gateway_ledger(g), p->id, "as2-send", 0, why, 0);
		free(why);
		goto out;
	}
	if ((rc = ledger_deliveries(gateway_ledger(g), p->id, NULL, due_cb, &u)) < 0)
		goto out;
	for (size_t i = 0; i < u.n; i++) {
		int r = send_job(g, p, our_cert, our_key, their, u.jobs[i], st);
		if (r < 0 && rc == 0)
			rc = r;
	}
out:
	for (size_t i = 0; i < u.n; i++)
		free(u.jobs[i]);
	free(u.jobs);
	X509_free(their);
	free(dir);
	return rc;
}

/* Every AS2 partner with as2.url: adopt and send (see the top). */
int gateway_as2_deliver(struct gateway *g, struct gw_stats *st)
{
	const struct config *cfg = gateway_config(g);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	char *why = NULL;
	int rc = 0, any = 0;
	for (size_t i = 0; i < cfg->npartners; i++)
		any |= cfg->partners[i].as2.id && cfg->partners[i].as2.url;
	if (!any)
		return 0;
	if ((rc = gw_as2_load_us(cfg, &cert, &key, &why)) < 0) {
		log_error("as2: %s", why);
		free(why);
		return rc;
	}
	for (size_t i = 0; i < cfg->npartners; i++) {
		const struct cfg_partner *p = &cfg->partners[i];
		if (!p->as2.id || !p->as2.url)
			continue;
		/* one process delivers for a partner at a time (the SFTP transport's lock) */
		int lock = -1;
		int lr = transport_lock(gateway_spool(g), p->id, &lock);
		if (lr == -EBUSY)
			continue;
		if (lr < 0) {
			log_error("as2: partner %s: cannot take the transport lock: %s", p->id, strerror(-lr));
			if (rc == 0)
				rc = lr;
			continue;
		}
		int r = deliver_partner(g, p, cert, key, st);
		transport_unlock(lock);
		if (r < 0 && rc == 0)
			rc = r;
	}
	X509_free(cert);
	EVP_PKEY_free(key);
	return rc;
}
