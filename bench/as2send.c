/*
 * as2send — the AS2 bench's client (bench/as2.sh): sends one payload file N
 * times, one message after another, to an AS2 endpoint, each signed (SHA-256)
 * and encrypted (AES-256-CBC, RSA PKCS#1 v1.5) to the receiver's certificate
 * with the as2 message layer (as2_build), POSTed with libcurl (gw_as2_post,
 * a new connection per message, as our sender does), asking for a signed sync
 * MDN; each MDN must be signed and verify against the receiver's pinned
 * certificate, name the Message-ID, say "processed" and return our MIC.
 *
 *   as2send --url URL --from AS2ID --to AS2ID --cert OURCRT --key OURKEY
 *           --peer-cert THEIRCRT --payload FILE [--count N] [--tag TAG]
 *
 * Prints one line:
 *   as2send: N sent, N processed, 0 failed, B bytes each, wall S s, cpu S s (build S s)
 * wall and cpu (user + system of this process) cover the N messages only, not
 * loading the keys; "build" is the part of the wall time spent signing and
 * encrypting. Exit 0 only when every MDN was a verified "processed".
 *
 * Ownership: everything is freed per message; the payload is read once (at
 * most 1 GiB). Not part of edigw: a benchmark tool.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "as2/as2_msg.h"
#include "gateway/gateway.h"
#include "util/util.h"

#define AS2SEND_MAX_PAYLOAD (1024UL * 1024 * 1024)
#define AS2SEND_RESPONSE_MAX (4u << 20)

/* Seconds on the monotonic clock. */
static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* User + system CPU seconds of this process so far. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       (double)ru.ru_stime.tv_usec / 1e6;
}

struct opts {
	const char *url, *from, *to, *cert, *key, *peer_cert, *payload, *tag;
	const char *ca; /* https: the CA file to trust, or NULL */
	unsigned long count;
};

/* Send message number i and check its MDN: 0 when it was a verified "processed". */
static int send_one(const struct opts *op, unsigned long i, const struct buf *payload, X509 *our_cert,
		    EVP_PKEY *our_key, X509 *peer_cert, double *build_s)
{
	struct as2_out out = { 0 };
	struct as2_mdn m = { 0 };
	struct buf resp;
	char *mid = xasprintf("<%s-%lu@as2send.bench>", op->tag, i);
	char *fname = xasprintf("%s-%lu.x12", op->tag, i);
	char *hv[16] = { 0 };
	size_t nh = 0;
	char *why = NULL, *rct = NULL, *rcte = NULL;
	long status = 0;
	int rc;
	buf_init(&resp, 0);
	struct as2_build_opts bo = { .our_cert = our_cert,
				     .our_key = our_key,
				     .partner_cert = peer_cert,
				     .sign = AS2_MD_SHA256,
				     .encrypt = AS2_CIPHER_AES256_CBC,
				     .keyenc = AS2_KEYENC_PKCS1,
				     .compress = AS2_COMPRESS_NONE,
				     .mic_md = AS2_MD_SHA256,
				     .content_type = "application/edi-x12",
				     .filename = fname };
	double t0 = now_s();
	rc = as2_build(&out, payload->data ? payload->data : "", payload->len, &bo);
	*build_s += now_s() - t0;
	if (rc < 0) {
		fprintf(stderr, "as2send: %s: cannot build: %s\n", mid, strerror(-rc));
		goto out;
	}
	hv[nh++] = xasprintf("AS2-From: %s", op->from);
	hv[nh++] = xasprintf("AS2-To: %s", op->to);
	hv[nh++] = xstrdup("AS2-Version: 1.2");
	hv[nh++] = xasprintf("Message-ID: %s", mid);
	hv[nh++] = xstrdup("MIME-Version: 1.0");
	hv[nh++] = xasprintf("Subject: %s", fname);
	hv[nh++] = xasprintf("Content-Type: %s", out.content_type);
	if (out.cte)
		hv[nh++] = xasprintf("Content-Transfer-Encoding: %s", out.cte);
	hv[nh++] = xstrdup("Disposition-Notification-To: as2send@bench.invalid");
	hv[nh++] = xstrdup("Disposition-Notification-Options: signed-receipt-protocol=optional, pkcs7-signature; "
			   "signed-receipt-micalg=optional, sha-256");
	hv[nh] = NULL;
	rc = gw_as2_post(op->url, op->ca, (const char *const *)hv, out.body.data, out.body.len, 120, &status, &rct, &rcte,
			 &resp, &why);
	if (rc < 0 || status != 200) {
		fprintf(stderr, "as2send: %s: %s (HTTP %ld)\n", mid, why ? why : "POST failed", status);
		rc = rc < 0 ? rc : -EIO;
		goto out;
	}
	rc = as2_mdn_parse(&m, rct, rcte, resp.data ? resp.data : "", resp.len, peer_cert, AS2SEND_RESPONSE_MAX);
	if (rc < 0) {
		fprintf(stderr, "as2send: %s: the response is not an MDN: %s\n", mid, m.why ? m.why : "?");
		goto out;
	}
	if (!m.is_signed || !m.sig_ok) {
		fprintf(stderr, "as2send: %s: MDN %s\n", mid, m.is_signed ? "signature does not verify" : "not signed");
		rc = -EPERM;
	} else if (!m.original_message_id || strcmp(m.original_message_id, mid) != 0) {
		fprintf(stderr, "as2send: %s: MDN for %s\n", mid, m.original_message_id ? m.original_message_id : "(none)");
		rc = -EPERM;
	} else if (m.disp != AS2_DISP_PROCESSED) {
		fprintf(stderr, "as2send: %s: disposition %s\n", mid, m.disposition ? m.disposition : "(none)");
		rc = -EPERM;
	} else if (!m.mic || m.mic_md != out.mic_md || strcmp(m.mic, out.mic) != 0) {
		fprintf(stderr, "as2send: %s: MIC %s, we sent %s\n", mid, m.mic ? m.mic : "(none)", out.mic);
		rc = -EPERM;
	}
out:
	for (size_t k = 0; k < nh; k++)
		free(hv[k]);
	free(mid);
	free(fname);
	free(why);
	free(rct);
	free(rcte);
	as2_mdn_clear(&m);
	as2_out_clear(&out);
	buf_free(&resp);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts op = { .count = 1, .tag = "bench" };
	X509 *our_cert = NULL, *peer_cert = NULL;
	EVP_PKEY *our_key = NULL;
	struct buf payload;
	int ex = 1;
	buf_init(&payload, AS2SEND_MAX_PAYLOAD);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			goto usage;
		i++;
		if (strcmp(a, "--url") == 0)
			op.url = v;
		else if (strcmp(a, "--from") == 0)
			op.from = v;
		else if (strcmp(a, "--to") == 0)
			op.to = v;
		else if (strcmp(a, "--cert") == 0)
			op.cert = v;
		else if (strcmp(a, "--key") == 0)
			op.key = v;
		else if (strcmp(a, "--peer-cert") == 0)
			op.peer_cert = v;
		else if (strcmp(a, "--payload") == 0)
			op.payload = v;
		else if (strcmp(a, "--tag") == 0)
			op.tag = v;
		else if (strcmp(a, "--ca") == 0)
			op.ca = v;
		else if (strcmp(a, "--count") == 0) {
			char *end = NULL;
			errno = 0;
			op.count = strtoul(v, &end, 10);
			if (errno || !end || *end || op.count == 0)
				goto usage;
		} else
			goto usage;
	}
	if (!op.url || !op.from || !op.to || !op.cert || !op.key || !op.peer_cert || !op.payload)
		goto usage;
	if (as2_load_cert(&our_cert, op.cert) < 0 || as2_load_key(&our_key, op.key) < 0 ||
	    as2_load_cert(&peer_cert, op.peer_cert) < 0) {
		fprintf(stderr, "as2send: cannot load %s, %s or %s\n", op.cert, op.key, op.peer_cert);
		goto out;
	}
	int rc = file_read_all(op.payload, AS2SEND_MAX_PAYLOAD, &payload);
	if (rc < 0) {
		fprintf(stderr, "as2send: %s: %s\n", op.payload, strerror(-rc));
		goto out;
	}
	unsigned long ok = 0, failed = 0;
	double build = 0, w0 = now_s(), c0 = cpu_s();
	for (unsigned long i = 1; i <= op.count; i++) {
		if (send_one(&op, i, &payload, our_cert, our_key, peer_cert, &build) == 0)
			ok++;
		else
			failed++;
	}
	double wall = now_s() - w0, cpu = cpu_s() - c0;
	printf("as2send: %lu sent, %lu processed, %lu failed, %zu bytes each, wall %.6f s, cpu %.6f s (build %.6f s)\n",
	       op.count, ok, failed, payload.len, wall, cpu, build);
	ex = failed ? 1 : 0;
	goto out;
usage:
	fprintf(stderr, "usage: as2send --url URL --from AS2ID --to AS2ID --cert OURCRT --key OURKEY "
			"--peer-cert THEIRCRT --payload FILE [--count N] [--tag TAG] [--ca CAFILE]\n");
	ex = 64;
out:
	X509_free(our_cert);
	X509_free(peer_cert);
	EVP_PKEY_free(our_key);
	buf_free(&payload);
	return ex;
}
