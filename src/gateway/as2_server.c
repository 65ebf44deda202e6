/*
 * as2_server.c — the AS2 receiving endpoint (gateway_as2_start/stop/port) on
 * libmicrohttpd: no HTTP parsing of our own; HTTPS with as2.tls-cert and
 * as2.tls-key (libmicrohttpd's GnuTLS, the PEM checked with OpenSSL first by
 * gw_as2_tls_load), else plain HTTP. One thread per connection; the
 * commit step (ledger and spool) runs under the server's mutex on the
 * server's own spool and ledger handles. doc/as2.md describes the flow.
 *
 * One POST:
 *   1. AS2-From names a partner (its as2.id), else 403 without an MDN (we
 *      never send anything to someone we do not know); a Message-ID is
 *      required (400).
 *   2. The body is unwrapped (as2_open: decrypt, verify against the
 *      partner's pinned as2.cert, decompress); AS2-To must be our as2.id;
 *      require-signature / require-encryption are applied. A failure is
 *      answered with processed/error: <modifier>; an unsupported required
 *      MIC algorithm with failed/Failure: unsupported MIC-algorithms.
 *   3. An MDN (multipart/report) is an async receipt for what we sent: it is
 *      settled (gw_as2_mdn_in) and answered 200.
 *   4. Commit, in the ledger's as2_messages row (in, partner, Message-ID):
 *        none       → "receiving" with a new job id, the job is written
 *                     durably into spool/incoming with that id, "received";
 *        receiving  → (a crash before the job was durable, or after) the job
 *                     is written unless it exists, "received";
 *        received   → the MDN never went out: answered as processed again;
 *        answered   → processed/warning: duplicate-document, not spooled.
 *   5. Only then the MDN (signed when asked) goes out, in the response or, with
 *      Receipt-Delivery-Option, POSTed after the response; once it is out
 *      (libmicrohttpd reports the response complete, or the POST got a 2xx)
 *      the row is "answered".
 *   So an MDN is never sent for a payload that is not durable, and a retry
 *   of a message whose MDN was lost finds its job instead of making another.
 *
 * Limits: a body of at most the partner's limit.max-file-size * 2 + 64 KiB
 * (base64 and CMS overhead; 413 beyond), every decoded layer at most
 * limit.max-file-size * 2, header values as libmicrohttpd allows (8 KiB per
 * connection buffer by default), 64 connections, 120 s per connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "as2/as2_msg.h"
#include "gateway/gateway.h"
#include "gateway/gateway_int.h"

#define AS2_CONN_LIMIT 64
#define AS2_CONN_TIMEOUT 120

struct gw_as2_server {
	struct MHD_Daemon *d;
	const struct config *cfg;
	struct spool *sp;
	struct ledger *l;
	pthread_mutex_t mu;
	X509 *cert;
	EVP_PKEY *key;
	X509 **pcerts; /* per cfg->partners[i], NULL without AS2 */
	unsigned port;
	struct buf tls_cert, tls_key; /* PEM for libmicrohttpd (https), kept while it runs */
};

/* One request being received. */
struct req {
	struct buf body;
	int too_big;
	int is_post;
	/* async MDN to POST once the response is out */
	char *async_url;
	char **async_headers;
	struct as2_out async_mdn;
	const struct cfg_partner *p;
	char *message_id;
	unsigned timeout_s;
	int mark_answered; /* a sync MDN: answered once it is out */
};

static void req_free(struct req *r)
{
	if (!r)
		return;
	buf_free(&r->body);
	free(r->async_url);
	for (size_t i = 0; r->async_headers && r->async_headers[i]; i++)
		free(r->async_headers[i]);
	free(r->async_headers);
	as2_out_clear(&r->async_mdn);
	free(r->message_id);
	free(r);
}

/* A header value of the request (borrowed), NULL when absent. */
static const char *hdr(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

/* An AS2 name as sent: surrounding blanks and quotes removed (allocated). */
static char *as2_unquote(const char *s)
{
	struct span v = span_trim(span_cstr(s ? s : ""));
	if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
		struct buf b;
		buf_init(&b, 1024);
		for (size_t i = 1; i + 1 < v.n; i++) {
			if (v.p[i] == '\\' && i + 2 < v.n)
				i++;
			buf_putc(&b, v.p[i]);
		}
		char *r = b.data ? buf_steal(&b) : xstrdup("");
		buf_free(&b);
		return r;
	}
	return span_dup(v);
}

/* Queue a plain-text response. */
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), (void *)(uintptr_t)text, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "text/plain; charset=us-ascii");
	enum MHD_Result r = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* The partner limit for a request body. */
static size_t body_limit(const struct gw_as2_server *s, const struct cfg_partner *p)
{
	uint64_t m = p ? p->limits.max_file_size : s->cfg->limits.max_file_size;
	uint64_t lim = m * 2 + 65536;
	return lim > SIZE_MAX / 2 ? SIZE_MAX / 2 : (size_t)lim;
}

/* The partner's pinned certificate. */
static X509 *partner_cert(const struct gw_as2_server *s, const struct cfg_partner *p)
{
	size_t i = (size_t)(p - s->cfg->partners);
	return i < s->cfg->npartners ? s->pcerts[i] : NULL;
}

/* Build the MDN and headers for the response (or the async POST). */
static int make_mdn(struct gw_as2_server *s, const struct cfg_partner *p, const char *to_recv, const char *mid,
		    const char *disposition, const char *mic, enum as2_md mic_md, const char *text,
		    const struct as2_dno *dno, struct as2_out *out, char ***headers)
{
	struct as2_mdn_info mi = { .reporting_ua = "edigw AS2", .our_id = s->cfg->as2.id,
				   .original_recipient = to_recv, .original_message_id = mid,
				   .disposition = disposition, .mic = mic, .mic_md = mic_md, .text = text };
	if (dno->signed_receipt) {
		mi.sign_cert = s->cert;
		mi.sign_key = s->key;
		mi.sign_md = dno->micalg != AS2_MD_NONE ? dno->micalg : AS2_MD_SHA256;
	}
	int rc = as2_mdn_build(out, &mi);
	if (rc < 0)
		return rc;
	char **h = xcalloc(8, sizeof *h);
	size_t n = 0;
	char our_mid_job[SPOOL_ID_MAX];
	spool_new_id(our_mid_job);
	h[n++] = xasprintf("AS2-From: %s", s->cfg->as2.id);
	h[n++] = xasprintf("AS2-To: %s", p->as2.id);
	h[n++] = xstrdup("AS2-Version: 1.2");
	char *mdn_mid = gw_as2_message_id(our_mid_job, s->cfg->as2.id);
	h[n++] = xasprintf("Message-ID: %s", mdn_mid);
	free(mdn_mid);
	h[n++] = xstrdup("MIME-Version: 1.0");
	h[n++] = xasprintf("Content-Type: %s", out->content_type);
	h[n] = NULL;
	*headers = h;
	return 0;
}

/* Queue the MDN as the HTTP response. */
static enum MHD_Result reply_mdn(struct MHD_Connection *c, struct as2_out *mdn, char **headers)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(mdn->body.len, mdn->body.data ? mdn->body.data : "",
								    MHD_RESPMEM_MUST_COPY);
	for (size_t i = 0; headers[i]; i++) {
		char *colon = strchr(headers[i], ':');
		*colon = 0;
		MHD_add_response_header(resp, headers[i], colon + 2);
		*colon = ':';
	}
	enum MHD_Result r = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return r;
}

/* Set the inbound row's state; a refusal never overwrites a message that was stored (a bad
 * resend of a good message does not make its next resend new). */
static void mark(struct gw_as2_server *s, const struct cfg_partner *p, const char *mid, const char *state,
		 const char *disposition, const char *detail)
{
	struct ledger_as2 row = { .direction = "in", .partner = p->id, .message_id = (char *)mid,
				  .state = (char *)state, .disposition = (char *)disposition, .detail = (char *)detail };
	struct ledger_as2 old;
	pthread_mutex_lock(&s->mu);
	int found = strcmp(state, "refused") == 0 ? ledger_as2_get(s->l, "in", p->id, mid, &old) : 0;
	if (found == 1) {
		if (!old.job_id)
			ledger_as2_put(s->l, &row);
		ledger_as2_clear(&old);
	} else {
		ledger_as2_put(s->l, &row);
	}
	pthread_mutex_unlock(&s->mu);
}

/* Step 4: make the payload durable (or find it), under the mutex. *dup: already answered. */
static int commit_payload(struct gw_as2_server *s, const struct cfg_partner *p, const char *mid,
			  const struct as2_opened *o, const char *mic, int *dup, char job[SPOOL_ID_MAX])
{
	struct ledger_as2 row = { 0 };
	struct spool_meta meta = { 0 };
	int rc;
	*dup = 0;
	pthread_mutex_lock(&s->mu);
	int found = ledger_as2_get(s->l, "in", p->id, mid, &row);
	if (found < 0) {
		rc = found;
		goto out;
	}
	if (found && row.state && strcmp(row.state, "answered") == 0) {
		*dup = 1;
		snprintf(job, SPOOL_ID_MAX, "%s", row.job_id ? row.job_id : "");
		rc = 0;
		goto out;
	}
	if (found && row.job_id && spool_id_is_valid(row.job_id)) {
		snprintf(job, SPOOL_ID_MAX, "%s", row.job_id);
	} else {
		if ((rc = spool_new_id(job)) < 0)
			goto out;
		struct ledger_as2 nr = { .direction = "in", .partner = p->id, .message_id = (char *)mid, .job_id = job,
					 .state = "receiving", .mic = (char *)mic };
		if ((rc = ledger_as2_put(s->l, &nr)) < 0)
			goto out;
	}
	if (!found || strcmp(row.state, "received") != 0) {
		if (spool_locate(s->sp, job, NULL) != 0) {
			snprintf(meta.id, sizeof meta.id, "%s", job);
			meta.partner = xstrdup(p->id);
			const char *fn = o->filename ? o->filename : "as2-message";
			meta.orig_name = name_sanitize(fn, strlen(fn));
			meta.source = xasprintf("as2:%s", p->id);
			meta.received = time(NULL);
			if ((rc = spool_enqueue(s->sp, &meta, o->payload.p, o->payload.n)) < 0) {
				log_error("as2: partner %s: cannot spool %s: %s", p->id, mid, strerror(-rc));
				goto out;
			}
			gw_fault_point("as2-after-spool");
			char *ev = xasprintf("AS2 %s from %s (%zu bytes, %s%s%s)", mid, p->id, o->payload.n,
					     o->is_signed ? "signed" : "unsigned", o->is_encrypted ? ", encrypted" : "",
					     o->is_compressed ? ", compressed" : "");
			ledger_event(s->l, job, NULL, "received", ev);
			free(ev);
			log_info("as2: received %s from partner %s as job %s", mid, p->id, job);
		}
		struct ledger_as2 rr = { .direction = "in", .partner = p->id, .message_id = (char *)mid, .job_id = job,
					 .state = "received", .mic = (char *)mic };
		if ((rc = ledger_as2_put(s->l, &rr)) < 0)
			goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&s->mu);
	spool_meta_clear(&meta);
	ledger_as2_clear(&row);
	return rc;
}

/* Handle a complete POST. */
static enum MHD_Result handle(struct gw_as2_server *s, struct MHD_Connection *c, struct req *r)
{
	char *from = as2_unquote(hdr(c, "AS2-From")), *to = as2_unquote(hdr(c, "AS2-To"));
	const char *mid = hdr(c, "Message-ID");
	const char *ct = hdr(c, "Content-Type"), *cte = hdr(c, "Content-Transfer-Encoding");
	const char *dnt = hdr(c, "Disposition-Notification-To");
	const char *rdo = hdr(c, "Receipt-Delivery-Option");
	struct as2_dno dno;
	struct as2_opened o;
	struct as2_mdn in_mdn = { 0 };
	struct as2_out mdn = { 0 };
	char **mh = NULL;
	char *disp = NULL, *text = NULL, *why = NULL;
	char mic[AS2_MIC_MAX] = "";
	enum as2_md mic_md = AS2_MD_NONE;
	enum MHD_Result ret;
	memset(&o, 0, sizeof o);
	as2_dno_parse(hdr(c, "Disposition-Notification-Options"), &dno);
	const struct cfg_partner *p = config_partner_by_as2(s->cfg, from);
	if (!p) {
		char *e = escape_bytes(from, strlen(from), 64);
		log_warn("as2: POST from unknown AS2-From '%s' refused", e);
		free(e);
		ret = reply_text(c, MHD_HTTP_FORBIDDEN, "unknown AS2-From\n");
		goto out;
	}
	if (r->too_big) {
		log_warn("as2: partner %s: message larger than %zu bytes refused", p->id, body_limit(s, p));
		ret = reply_text(c, MHD_HTTP_CONTENT_TOO_LARGE, "message too large\n");
		goto out;
	}
	if (!mid || !*mid || strlen(mid) > 998) {
		ret = reply_text(c, MHD_HTTP_BAD_REQUEST, "Message-ID missing\n");
		goto out;
	}
	struct as2_open_opts oo = { .our_cert = s->cert, .our_key = s->key, .partner_cert = partner_cert(s, p),
				    .max_bytes = body_limit(s, p) };
	int orc = as2_open(&o, ct, cte, r->body.data ? r->body.data : "", r->body.len, &oo);
	if (orc == 0 && o.is_mdn) {
		/* an async MDN for something we sent */
		char *mwhy = NULL;
		if (as2_mdn_parse(&in_mdn, ct, cte, r->body.data, r->body.len, partner_cert(s, p), body_limit(s, p)) < 0) {
			log_warn("as2: partner %s: unreadable MDN: %s", p->id, in_mdn.why ? in_mdn.why : "");
			ret = reply_text(c, MHD_HTTP_BAD_REQUEST, "unreadable MDN\n");
			goto out;
		}
		pthread_mutex_lock(&s->mu);
		int mr = gw_as2_mdn_in(s->cfg, s->l, s->sp, p, &in_mdn, &mwhy);
		pthread_mutex_unlock(&s->mu);
		if (mwhy)
			log_info("as2: partner %s: MDN for %s: %s", p->id, in_mdn.original_message_id ? in_mdn.original_message_id : "?",
				 mwhy);
		free(mwhy);
		ret = reply_text(c, mr < 0 ? MHD_HTTP_INTERNAL_SERVER_ERROR : MHD_HTTP_OK, mr < 0 ? "error\n" : "ok\n");
		goto out;
	}
	if (!dnt && orc < 0) {
		/* no MDN wanted (an MDN that does not open, or a message without one): just refuse */
		log_warn("as2: partner %s: %s refused: %s", p->id, mid, o.why ? o.why : "");
		mark(s, p, mid, "refused", o.failure, o.why);
		ret = reply_text(c, MHD_HTTP_BAD_REQUEST, "message refused\n");
		goto out;
	}
	/* the MIC algorithm: the first one asked for that we support, else the signature's */
	mic_md = dno.micalg != AS2_MD_NONE ? dno.micalg : o.sig_md != AS2_MD_NONE ? o.sig_md : AS2_MD_SHA256;
	if (orc < 0) {
		disp = xasprintf("processed/error: %s", o.failure);
		text = xasprintf("The AS2 message could not be processed: %s", o.why ? o.why : o.failure);
	} else if (strcmp(to, s->cfg->as2.id) != 0) {
		disp = xstrdup("processed/error: authentication-failed");
		text = xstrdup("The AS2-To of the message is not our AS2 name.");
	} else if (p->as2.require_signature && !o.is_signed) {
		disp = xstrdup("processed/error: insufficient-message-security");
		text = xstrdup("The message is not signed; this partnership requires a signature.");
	} else if (p->as2.require_encryption && !o.is_encrypted) {
		disp = xstrdup("processed/error: insufficient-message-security");
		text = xstrdup("The message is not encrypted; this partnership requires encryption.");
	} else if (dno.micalg_unsupported) {
		disp = xstrdup("failed/Failure: unsupported MIC-algorithms");
		text = xstrdup("None of the MIC algorithms required in Disposition-Notification-Options is supported.");
	}
	if (orc == 0)
		as2_mic(mic_md, o.mic_data.p, o.mic_data.n, mic);
	char job[SPOOL_ID_MAX] = "";
	if (!disp) {
		int dup = 0;
		char micv[AS2_MIC_MAX + 16];
		snprintf(micv, sizeof micv, "%s, %s", mic, as2_md_name(mic_md));
		int crc = commit_payload(s, p, mid, &o, micv, &dup, job);
		if (crc < 0) {
			/* not durable: no positive MDN; the sender retries */
			ret = reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "temporary failure, please retry\n");
			goto out;
		}
		pthread_mutex_lock(&s->mu);
		ledger_transport_note(s->l, p->id, "as2-receive", 1, NULL, 0);
		pthread_mutex_unlock(&s->mu);
		disp = xstrdup(dup ? "processed/warning: duplicate-document" : "processed");
		text = xstrdup(dup ? "The message was received before; it is not processed again."
				   : "The message was received and stored; it will be processed.");
	} else {
		log_warn("as2: partner %s: %s: %s (%s)", p->id, mid, disp, o.why ? o.why : text);
		mark(s, p, mid, "refused", disp, o.why ? o.why : text);
		char *note = xasprintf("%s refused: %s", mid, disp);
		pthread_mutex_lock(&s->mu);
		ledger_transport_note(s->l, p->id, "as2-receive", 0, note, 0);
		pthread_mutex_unlock(&s->mu);
		free(note);
	}
	if (!dnt) { /* no MDN wanted: the HTTP status says it */
		if (job[0]) {
			mark(s, p, mid, "answered", NULL, NULL);
			ret = reply_text(c, MHD_HTTP_OK, "ok\n");
		} else {
			char *t = xasprintf("refused: %s\n", disp);
			ret = reply_text(c, MHD_HTTP_BAD_REQUEST, t);
			free(t);
		}
		goto out;
	}
	if (make_mdn(s, p, to, mid, disp, orc == 0 ? mic : NULL, mic_md, text, &dno, &mdn, &mh) < 0) {
		ret = reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot build the MDN\n");
		goto out;
	}
	if (rdo && *rdo) {
		/* async: answer the POST now, send the MDN when the response is out */
		r->async_url = xstrdup(rdo);
		r->async_headers = mh;
		mh = NULL;
		r->async_mdn = mdn;
		memset(&mdn, 0, sizeof mdn);
		r->p = p;
		r->message_id = xstrdup(mid);
		r->timeout_s = (unsigned)p->as2.timeout_s;
		r->mark_answered = job[0] != 0; /* a refusal stays refused */
		ret = reply_text(c, MHD_HTTP_OK, "accepted; the MDN follows asynchronously\n");
		goto out;
	}
	if (job[0]) { /* "answered" once the response is out (on_completed) */
		r->p = p;
		r->message_id = xstrdup(mid);
		r->mark_answered = 1;
	}
	gw_fault_point("as2-before-mdn");
	ret = reply_mdn(c, &mdn, mh);
out:
	for (size_t i = 0; mh && mh[i]; i++)
		free(mh[i]);
	free(mh);
	as2_out_clear(&mdn);
	as2_mdn_clear(&in_mdn);
	as2_opened_clear(&o);
	free(from);
	free(to);
	free(disp);
	free(text);
	free(why);
	return ret;
}

/* libmicrohttpd's access handler: collect the body, then handle. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **con_cls)
{
	struct gw_as2_server *s = cls;
	struct req *r = *con_cls;
	(void)url;
	(void)version;
	if (!r) {
		r = xcalloc(1, sizeof *r);
		r->is_post = strcmp(method, "POST") == 0;
		char *from = as2_unquote(hdr(c, "AS2-From"));
		buf_init(&r->body, body_limit(s, config_partner_by_as2(s->cfg, from)));
		free(from);
		*con_cls = r;
		return MHD_YES;
	}
	if (!r->is_post) {
		if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
			return reply_text(c, MHD_HTTP_OK, "edigw AS2 endpoint: POST AS2 messages here\n");
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "POST only\n");
	}
	if (*size) {
		if (!r->too_big && buf_append(&r->body, data, *size) < 0) {
			r->too_big = 1;
			buf_free(&r->body);
		}
		*size = 0;
		return MHD_YES;
	}
	return handle(s, c, r);
}

/* After the response went out: POST the async MDN, then mark the message answered. */
static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct gw_as2_server *s = cls;
	struct req *r = *con_cls;
	(void)c;
	*con_cls = NULL;
	if (!r)
		return;
	if (r->mark_answered && !r->async_url && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		mark(s, r->p, r->message_id, "answered", NULL, NULL);
	if (r->async_url && toe == MHD_REQUEST_TERMINATED_COMPLETED_OK) {
		long status = 0;
		char *why = NULL;
		struct buf rb;
		buf_init(&rb, 0);
		int rc = gw_as2_post(r->async_url, r->p->as2.tls_ca, (const char *const *)r->async_headers,
				     r->async_mdn.body.data, r->async_mdn.body.len, r->timeout_s, &status, NULL, NULL, &rb,
				     &why);
		if (rc == 0 && status >= 200 && status <= 299) {
			if (r->mark_answered)
				mark(s, r->p, r->message_id, "answered", NULL, NULL);
			log_info("as2: partner %s: async MDN for %s sent to %s", r->p->id, r->message_id, r->async_url);
		} else {
			log_warn("as2: partner %s: async MDN for %s to %s failed: %s (HTTP %ld); the partner will resend",
				 r->p->id, r->message_id, r->async_url, why ? why : "", status);
		}
		free(why);
		buf_free(&rb);
	}
	req_free(r);
}

/* Resolve "host:port" into a socket address. */
static int resolve(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(listen, ':');
	if (!colon)
		return -EINVAL;
	char *host = span_dup((struct span){ listen, (size_t)(colon - listen) });
	if (host[0] == '[') { /* [::1]:port */
		size_t n = strlen(host);
		memmove(host, host + 1, n);
		if (n >= 2 && host[n - 2] == ']')
			host[n - 2] = 0;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE };
	struct addrinfo *ai = NULL;
	int rc = getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai);
	free(host);
	if (rc != 0 || !ai)
		return -EADDRNOTAVAIL;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

/* Start the endpoint. */
int gateway_as2_start(struct gateway *g, const char *listen, struct gw_as2_server **out)
{
	const struct config *cfg = gateway_config(g);
	struct gw_as2_server *s = xcalloc(1, sizeof *s);
	char *why = NULL;
	int rc;
	*out = NULL;
	s->cfg = cfg;
	buf_init(&s->tls_cert, 0);
	buf_init(&s->tls_key, 0);
	pthread_mutex_init(&s->mu, NULL);
	if (!listen)
		listen = cfg->as2.listen;
	if (!listen) {
		log_error("as2: no as2.listen in %s", cfg->file);
		rc = -EINVAL;
		goto fail;
	}
	if ((rc = gw_as2_load_us(cfg, &s->cert, &s->key, &why)) < 0) {
		log_error("as2: %s", why);
		goto fail;
	}
	gw_as2_cert_expiry(s->cert, "as2.cert", cfg->as2.cert, NULL, NULL, 0);
	s->pcerts = xcalloc(cfg->npartners ? cfg->npartners : 1, sizeof *s->pcerts);
	for (size_t i = 0; i < cfg->npartners; i++) {
		const struct cfg_partner *p = &cfg->partners[i];
		if (!p->as2.id)
			continue;
		if (as2_load_cert(&s->pcerts[i], p->as2.cert) < 0) {
			log_error("as2: partner %s: as2.cert %s is not a readable PEM certificate", p->id, p->as2.cert);
			rc = -EINVAL;
			goto fail;
		}
		char *what = xasprintf("partner %s: as2.cert", p->id);
		gw_as2_cert_expiry(s->pcerts[i], what, p->as2.cert, NULL, NULL, 0);
		free(what);
	}
	if ((rc = spool_open(&s->sp, cfg->spool_root)) < 0 || (rc = ledger_open(&s->l, cfg->ledger_path)) < 0) {
		log_error("as2: cannot open the spool or the ledger: %s", strerror(-rc));
		goto fail;
	}
	struct sockaddr_storage ss;
	socklen_t sl = 0;
	if ((rc = resolve(listen, &ss, &sl)) < 0) {
		log_error("as2: as2.listen %s: cannot resolve it", listen);
		goto fail;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	int tls = cfg->as2.tls_cert && cfg->as2.tls_key;
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			log_error("as2: as2.tls-cert is set but this libmicrohttpd has no TLS support; "
				  "use a reverse proxy for https (doc/as2.md)");
			rc = -ENOTSUP;
			goto fail;
		}
		if ((rc = gw_as2_tls_load(cfg, &s->tls_cert, &s->tls_key, NULL, &why)) < 0) {
			log_error("as2: %s", why);
			goto fail;
		}
		flags |= MHD_USE_TLS;
	}
	/* (the TLS options come last: without TLS the first MHD_OPTION_END ends the list) */
	s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)AS2_CONN_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)AS2_CONN_TIMEOUT,
				tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, s->tls_cert.data,
				MHD_OPTION_HTTPS_MEM_KEY, s->tls_key.data, MHD_OPTION_END);
	if (!s->d) {
		log_error("as2: cannot listen on %s: %s", listen, strerror(errno));
		rc = -EADDRINUSE;
		goto fail;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : 0;
	log_info("as2: listening on %s (port %u, %s) as %s", listen, s->port, tls ? "https" : "http", cfg->as2.id);
	*out = s;
	return 0;
fail:
	free(why);
	gateway_as2_stop(s);
	return rc < 0 ? rc : -EINVAL;
}

unsigned gateway_as2_port(const struct gw_as2_server *s)
{
	return s ? s->port : 0;
}

/* Stop: no new connections, running ones finished, then free. */
void gateway_as2_stop(struct gw_as2_server *s)
{
	if (!s)
		return;
	if (s->d)
		MHD_stop_daemon(s->d);
	for (size_t i = 0; s->pcerts && i < s->cfg->npartners; i++)
		X509_free(s->pcerts[i]);
	free(s->pcerts);
	X509_free(s->cert);
	EVP_PKEY_free(s->key);
	if (s->tls_key.data)
		explicit_bzero(s->tls_key.data, s->tls_key.cap);
	buf_free(&s->tls_cert);
	buf_free(&s->tls_key);
	ledger_free(s->l);
	spool_free(s->sp);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
