/*
 * tls.c - the TLS engine: one SSL_CTX for the server, one SSL per
 * connection between two memory BIOs (see tls.h for why no socket BIO).
 *
 * Settings follow RFC 9325 (recommendations for TLS): TLS 1.2 at least,
 * forward-secret AEAD cipher suites only for TLS 1.2 (TLS 1.3's are all
 * of that kind), no compression (CRIME), no renegotiation (a client
 * could otherwise make the server repeat handshakes at will).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls.h"

/* RFC 9325 §4.2: ECDHE or DHE with AES-GCM or ChaCha20-Poly1305. */
#define TLS12_CIPHERS \
	"ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:" \
	"ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:" \
	"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:" \
	"DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
};

struct tls_conn {
	SSL *ssl;
	BIO *rbio;		/* ciphertext from the peer, owned by ssl */
	BIO *wbio;		/* ciphertext for the peer, owned by ssl */
	enum tls_state state;
	session_tls_cb *ready;
	char reason[160];
	char raw[TLS_RAW_READ];
};

/* Describe the newest OpenSSL error, or FALLBACK, and clear the queue. */
static void
tls_ossl_reason(char *buf, size_t size, const char *fallback)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e != 0 ? ERR_reason_error_string(e) : NULL;

	if (r != NULL)
		snprintf(buf, size, "%s", r);
	else if (e != 0)
		snprintf(buf, size, "OpenSSL error %lx", e);
	else
		snprintf(buf, size, "%s", fallback);
	ERR_clear_error();
}

/* --- the server's context ---------------------------------------------- */

/*
 * OpenSSL would prompt on the terminal for an encrypted key.  A daemon
 * has no terminal: refuse, and remember that this was the reason.
 */
static int
tls_no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	int *asked = arg;

	(void)buf;
	(void)size;
	(void)rwflag;
	*asked = 1;
	return 0;
}

/* A clear message for an unreadable file before OpenSSL's terse one. */
static int
tls_check_readable(const char *what, const char *path, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, errlen, "%s %s: %s", what, path,
		    strerror(errno));
		return -1;
	}
	fclose(f);
	return 0;
}

int
tls_ctx_new(const char *cert, const char *key, struct tls_ctx **out,
    char *err, size_t errlen)
{
	struct tls_ctx *c;
	SSL_CTX *ctx;
	char why[160];
	int asked = 0;

	*out = NULL;
	if (key == NULL)
		key = cert;
	if (tls_check_readable("certificate", cert, err, errlen) < 0 ||
	    tls_check_readable("key", key, err, errlen) < 0)
		return -1;
	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		tls_ossl_reason(why, sizeof(why), "cannot create context");
		snprintf(err, errlen, "TLS: %s", why);
		return -1;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
	    SSL_OP_NO_RENEGOTIATION);
	/* Idle POP sessions are common: give back the read and write
	 * buffers (about 34 KiB each) between records. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_dh_auto(ctx, 1);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"polypop",
	    7);
	SSL_CTX_set_default_passwd_cb(ctx, tls_no_passphrase);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, &asked);
	if (SSL_CTX_set_cipher_list(ctx, TLS12_CIPHERS) != 1) {
		tls_ossl_reason(why, sizeof(why), "no usable cipher");
		snprintf(err, errlen, "TLS cipher list: %s", why);
		goto fail;
	}
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_ossl_reason(why, sizeof(why), "unreadable");
		snprintf(err, errlen, "certificate %s: %s (expected a PEM "
		    "certificate chain, leaf first)", cert, why);
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		unsigned long e = ERR_peek_last_error();

		tls_ossl_reason(why, sizeof(why), "unreadable");
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH)
			snprintf(err, errlen, "key %s does not match the "
			    "certificate in %s", key, cert);
		else if (asked)
			snprintf(err, errlen, "key %s is encrypted; polypopd "
			    "needs an unencrypted PEM key", key);
		else
			snprintf(err, errlen, "key %s: %s (expected a PEM "
			    "private key)", key, why);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "key %s does not match the certificate "
		    "in %s", key, cert);
		goto fail;
	}
	/* The callback's argument lives on this stack frame. */
	SSL_CTX_set_default_passwd_cb(ctx, NULL);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	c->ssl_ctx = ctx;
	*out = c;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -1;
}

void
tls_ctx_free(struct tls_ctx *c)
{
	if (c == NULL)
		return;
	SSL_CTX_free(c->ssl_ctx);
	free(c);
}

/* --- one connection ------------------------------------------------------ */

struct tls_conn *
tls_conn_new(struct tls_ctx *ctx)
{
	struct tls_conn *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	ERR_clear_error();
	t->ssl = SSL_new(ctx->ssl_ctx);
	t->rbio = BIO_new(BIO_s_mem());
	t->wbio = BIO_new(BIO_s_mem());
	if (t->ssl == NULL || t->rbio == NULL || t->wbio == NULL) {
		BIO_free(t->rbio);
		BIO_free(t->wbio);
		SSL_free(t->ssl);
		free(t);
		ERR_clear_error();
		return NULL;
	}
	/* An empty BIO means "no more yet", not end of file. */
	BIO_set_mem_eof_return(t->rbio, -1);
	BIO_set_mem_eof_return(t->wbio, -1);
	SSL_set_bio(t->ssl, t->rbio, t->wbio);
	SSL_set_accept_state(t->ssl);
	t->state = TLS_HANDSHAKE;
	return t;
}

void
tls_conn_free(struct tls_conn *t)
{
	if (t == NULL)
		return;
	SSL_free(t->ssl);	/* and both BIOs */
	free(t);
}

enum tls_state
tls_conn_state(const struct tls_conn *t)
{
	return t->state;
}

/* Record why the connection failed and enter TLS_FAILED. */
static int
tls_conn_fail(struct tls_conn *t, int sslerr)
{
	const char *fallback;

	switch (sslerr) {
	case SSL_ERROR_ZERO_RETURN:
		fallback = "peer closed the connection";
		break;
	case SSL_ERROR_SYSCALL:
		fallback = "unexpected end of data";
		break;
	default:
		fallback = "protocol error";
		break;
	}
	tls_ossl_reason(t->reason, sizeof(t->reason), fallback);
	t->state = TLS_FAILED;
	return TLS_ERROR;
}

int
tls_conn_feed(struct tls_conn *t, const void *buf, size_t n)
{
	while (n > 0) {
		int chunk = n > (1u << 30) ? 1 << 30 : (int)n;
		int w = BIO_write(t->rbio, buf, chunk);

		if (w <= 0) {
			snprintf(t->reason, sizeof(t->reason), "out of memory");
			t->state = TLS_FAILED;
			return TLS_ERROR;
		}
		buf = (const char *)buf + w;
		n -= (size_t)w;
	}
	return TLS_OK;
}

size_t
tls_conn_in_pending(const struct tls_conn *t)
{
	return BIO_ctrl_pending(t->rbio);
}

int
tls_conn_handshake(struct tls_conn *t)
{
	int rc, e;

	if (t->state == TLS_OPEN)
		return TLS_OK;
	if (t->state != TLS_HANDSHAKE)
		return TLS_ERROR;
	ERR_clear_error();
	rc = SSL_do_handshake(t->ssl);
	if (rc == 1) {
		t->state = TLS_OPEN;
		return TLS_OK;
	}
	e = SSL_get_error(t->ssl, rc);
	/* Memory BIOs never refuse a write, so only reads can wait. */
	if (e == SSL_ERROR_WANT_READ)
		return TLS_AGAIN;
	return tls_conn_fail(t, e);
}

int
tls_conn_read(struct tls_conn *t, void *buf, size_t len, size_t *got)
{
	int rc, e;

	*got = 0;
	if (t->state == TLS_CLOSED)
		return TLS_EOF;
	if (t->state == TLS_HANDSHAKE)
		return TLS_AGAIN;
	if (t->state != TLS_OPEN)
		return TLS_ERROR;
	ERR_clear_error();
	rc = SSL_read_ex(t->ssl, buf, len, got);
	if (rc == 1)
		return TLS_OK;
	*got = 0;
	e = SSL_get_error(t->ssl, rc);
	if (e == SSL_ERROR_WANT_READ)
		return TLS_AGAIN;
	if (e == SSL_ERROR_ZERO_RETURN) {
		t->state = TLS_CLOSED;
		return TLS_EOF;
	}
	return tls_conn_fail(t, e);
}

int
tls_conn_write(struct tls_conn *t, const void *buf, size_t len)
{
	size_t done;

	if (t->state != TLS_OPEN)
		return TLS_ERROR;
	while (len > 0) {
		ERR_clear_error();
		if (SSL_write_ex(t->ssl, buf, len, &done) != 1)
			return tls_conn_fail(t, SSL_get_error(t->ssl, 0));
		buf = (const char *)buf + done;
		len -= done;
	}
	return TLS_OK;
}

size_t
tls_conn_out_pending(const struct tls_conn *t)
{
	return BIO_ctrl_pending(t->wbio);
}

size_t
tls_conn_out_take(struct tls_conn *t, void *buf, size_t len)
{
	size_t got = 0;

	if (len == 0 || BIO_read_ex(t->wbio, buf, len, &got) != 1)
		return 0;
	return got;
}

void
tls_conn_shutdown(struct tls_conn *t)
{
	if (t->state != TLS_OPEN && t->state != TLS_CLOSED)
		return;
	if (SSL_get_shutdown(t->ssl) & SSL_SENT_SHUTDOWN)
		return;
	ERR_clear_error();
	/* 0 means "sent, the peer's has not come": we do not wait for it
	 * (RFC 8446 §6.1 allows closing after our own). */
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	t->state = TLS_CLOSED;
}

const char *
tls_conn_version(const struct tls_conn *t)
{
	return t->state == TLS_HANDSHAKE ? "" : SSL_get_version(t->ssl);
}

const char *
tls_conn_cipher(const struct tls_conn *t)
{
	const char *c = SSL_get_cipher_name(t->ssl);

	return c != NULL && t->state != TLS_HANDSHAKE ? c : "";
}

const char *
tls_conn_reason(const struct tls_conn *t)
{
	return t->reason[0] != '\0' ? t->reason : "unknown";
}

char *
tls_conn_rawbuf(struct tls_conn *t, size_t *len)
{
	*len = sizeof(t->raw);
	return t->raw;
}

void
tls_conn_set_ready(struct tls_conn *t, session_tls_cb *cb)
{
	t->ready = cb;
}

session_tls_cb *
tls_conn_ready(const struct tls_conn *t)
{
	return t->ready;
}

/* --- a self-signed certificate ------------------------------------------- */

static int
tls_add_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx_nodb(&v3);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v3, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok == 1 ? 0 : -1;
}

/* A random positive 127-bit serial number (RFC 5280 §4.1.2.2: at most 20
 * octets, unique per issuer; a self-signed issuer has one). */
static int
tls_set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok;

	if (bn == NULL)
		return -1;
	ok = BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
	BN_free(bn);
	return ok ? 0 : -1;
}

static X509 *
tls_build_cert(EVP_PKEY *pk, const char *cn, int days)
{
	X509 *x;
	X509_NAME *name;
	char san[400];

	if ((x = X509_new()) == NULL)
		return NULL;
	snprintf(san, sizeof(san), "DNS:%s,IP:127.0.0.1,IP:::1", cn);
	name = X509_get_subject_name(x);
	if (X509_set_version(x, X509_VERSION_3) != 1 ||
	    tls_set_serial(x) < 0 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(x), days, 0, NULL) == NULL ||
	    X509_set_pubkey(x, pk) != 1 ||
	    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
	    (const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, name) != 1 ||
	    tls_add_ext(x, NID_basic_constraints, "critical,CA:FALSE") < 0 ||
	    tls_add_ext(x, NID_key_usage, "critical,digitalSignature") < 0 ||
	    tls_add_ext(x, NID_ext_key_usage, "serverAuth") < 0 ||
	    tls_add_ext(x, NID_subject_key_identifier, "hash") < 0 ||
	    tls_add_ext(x, NID_subject_alt_name, san) < 0 ||
	    X509_sign(x, pk, EVP_sha256()) == 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int
tls_make_selfsigned(const char *cert, const char *key, const char *cn,
    int days, char *err, size_t errlen)
{
	EVP_PKEY *pk = NULL;
	X509 *x = NULL;
	FILE *f = NULL;
	char why[160];
	int fd, ok, rc = -1;

	ERR_clear_error();
	if ((pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (x = tls_build_cert(pk, cn, days)) == NULL) {
		tls_ossl_reason(why, sizeof(why), "out of memory");
		snprintf(err, errlen, "cannot make a certificate: %s", why);
		goto out;
	}
	/* The key never exists with looser permissions, not even briefly. */
	fd = open(key, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", key, strerror(errno));
		if (fd >= 0)
			close(fd);
		goto out;
	}
	ok = PEM_write_PrivateKey(f, pk, NULL, NULL, 0, NULL, NULL) == 1;
	if (fclose(f) != 0 || !ok) {
		snprintf(err, errlen, "%s: cannot write the key", key);
		unlink(key);
		goto out;
	}
	if ((f = fopen(cert, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", cert, strerror(errno));
		unlink(key);
		goto out;
	}
	ok = PEM_write_X509(f, x) == 1;
	if (fclose(f) != 0 || !ok) {
		snprintf(err, errlen, "%s: cannot write the certificate",
		    cert);
		unlink(key);
		unlink(cert);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(pk);
	return rc;
}
