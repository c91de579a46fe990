/*
 * test_tls.c - the TLS engine (tls.c) and the core's use of it (conn.c).
 *
 * "engine": a real OpenSSL client over memory BIOs, in-process, against
 * tls_conn: handshakes whole and one octet at a time, lines and megabytes
 * both ways, close_notify, garbage instead of a hello, and every
 * start-up error of tls_ctx_new().  The certificate is a throwaway one
 * made by tls_make_selfsigned(), and the client verifies it as a client
 * would (name localhost, the certificate as its only trust anchor).
 *
 * "core": the real loop and real loopback TCP, with a tiny module that
 * calls session_starttls() on "stls", and a blocking OpenSSL client in a
 * second thread: STLS, the RFC 2595 §4 injection rule, implicit TLS,
 * plaintext-auth=tls, pipelining and back-pressure through TLS, and
 * failed handshakes (close() once, the callback never).
 */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "auth.h"
#include "server.h"
#include "store.h"
#include "tls.h"

static char dir[] = "/tmp/polypop-test-tls-XXXXXX";
static char certp[300], keyp[300];

static void
pki_up(void)
{
	char err[512];

	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(certp, sizeof(certp), "%s/cert.pem", dir);
	snprintf(keyp, sizeof(keyp), "%s/key.pem", dir);
	ck_assert_msg(tls_make_selfsigned(certp, keyp, "localhost", 1, err,
	    sizeof(err)) == 0, "%s", err);
}

static void
pki_down(void)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* --- engine: an in-process client over memory BIOs ------------------- */

struct mclient {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *rbio, *wbio;
};

static void
mclient_new(struct mclient *c, int max_version)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	ck_assert_ptr_nonnull(c->ctx);
	ck_assert_int_eq(SSL_CTX_load_verify_locations(c->ctx, certp, NULL),
	    1);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	if (max_version != 0) {
		SSL_CTX_set_security_level(c->ctx, 0);
		SSL_CTX_set_cipher_list(c->ctx, "ALL:@SECLEVEL=0");
		SSL_CTX_set_min_proto_version(c->ctx, 0);
		SSL_CTX_set_max_proto_version(c->ctx, max_version);
	}
	c->ssl = SSL_new(c->ctx);
	c->rbio = BIO_new(BIO_s_mem());
	c->wbio = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->rbio, -1);
	SSL_set_bio(c->ssl, c->rbio, c->wbio);
	SSL_set1_host(c->ssl, "localhost");
	SSL_set_connect_state(c->ssl);
}

static void
mclient_free(struct mclient *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
}

/* Move ciphertext both ways until neither side has anything to say.
 * STEP > 0 feeds the server that many octets at a time.  Returns the
 * server's last handshake status. */
static int
shuttle(struct mclient *c, struct tls_conn *t, size_t step)
{
	char buf[65536];
	int rc = TLS_AGAIN, i, moved;
	size_t n, k;

	for (i = 0; i < 10000; i++) {
		moved = 0;
		if (!SSL_is_init_finished(c->ssl))
			(void)SSL_do_handshake(c->ssl);
		while ((n = BIO_ctrl_pending(c->wbio)) > 0) {
			n = BIO_read(c->wbio, buf, n < sizeof(buf) ? (int)n :
			    (int)sizeof(buf));
			for (k = 0; k < n; k += step ? step : n) {
				size_t m = step && step < n - k ? step : n - k;

				ck_assert_int_eq(tls_conn_feed(t, buf + k, m),
				    TLS_OK);
				if (tls_conn_state(t) == TLS_HANDSHAKE)
					rc = tls_conn_handshake(t);
			}
			moved = 1;
		}
		if (tls_conn_state(t) == TLS_HANDSHAKE)
			rc = tls_conn_handshake(t);
		while ((n = tls_conn_out_pending(t)) > 0) {
			n = tls_conn_out_take(t, buf, sizeof(buf));
			ck_assert_int_eq(BIO_write(c->rbio, buf, (int)n),
			    (int)n);
			moved = 1;
		}
		if (!moved)
			break;
	}
	return rc;
}

static struct tls_conn *
engine_pair(struct tls_ctx **ctx, struct mclient *c, size_t step)
{
	char err[512];
	struct tls_conn *t;

	ck_assert_msg(tls_ctx_new(certp, keyp, ctx, err, sizeof(err)) == 0,
	    "%s", err);
	t = tls_conn_new(*ctx);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(tls_conn_state(t), TLS_HANDSHAKE);
	mclient_new(c, 0);
	ck_assert_int_eq(shuttle(c, t, step), TLS_OK);
	ck_assert_int_eq(tls_conn_state(t), TLS_OPEN);
	ck_assert_int_eq(SSL_is_init_finished(c->ssl), 1);
	/* The client accepted our certificate for "localhost". */
	ck_assert_int_eq(SSL_get_verify_result(c->ssl), X509_V_OK);
	return t;
}

/* Read from the server engine until LEN octets or nothing more. */
static size_t
server_read_all(struct tls_conn *t, char *buf, size_t len, size_t bite)
{
	size_t got = 0, n;
	int rc;

	while (got < len) {
		rc = tls_conn_read(t, buf + got, bite < len - got ? bite :
		    len - got, &n);
		if (rc != TLS_OK)
			break;
		ck_assert_uint_gt(n, 0);
		got += n;
	}
	return got;
}

START_TEST(test_engine_lines)
{
	struct tls_ctx *ctx;
	struct mclient c;
	struct tls_conn *t;
	char buf[256];
	size_t n;
	const char cmds[] = "USER alice\r\nPASS secret\r\n";

	pki_up();
	t = engine_pair(&ctx, &c, 0);
	ck_assert_str_eq(tls_conn_version(t), "TLSv1.3");
	ck_assert_str_ne(tls_conn_cipher(t), "");
	/* Nothing to read yet: AGAIN, not an error. */
	ck_assert_int_eq(tls_conn_read(t, buf, sizeof(buf), &n), TLS_AGAIN);
	ck_assert_uint_eq(n, 0);

	ck_assert_int_eq(SSL_write(c.ssl, cmds, sizeof(cmds) - 1),
	    (int)sizeof(cmds) - 1);
	shuttle(&c, t, 0);
	n = server_read_all(t, buf, sizeof(buf), sizeof(buf));
	ck_assert_uint_eq(n, sizeof(cmds) - 1);
	ck_assert_int_eq(memcmp(buf, cmds, n), 0);

	ck_assert_int_eq(tls_conn_write(t, "+OK hi\r\n", 8), TLS_OK);
	shuttle(&c, t, 0);
	ck_assert_int_eq(SSL_read(c.ssl, buf, sizeof(buf)), 8);
	ck_assert_int_eq(memcmp(buf, "+OK hi\r\n", 8), 0);

	/* close_notify reaches the client; nothing may follow it. */
	tls_conn_shutdown(t);
	ck_assert_int_eq(tls_conn_state(t), TLS_CLOSED);
	ck_assert_int_eq(tls_conn_write(t, "x", 1), TLS_ERROR);
	shuttle(&c, t, 0);
	ck_assert_int_eq(SSL_read(c.ssl, buf, sizeof(buf)), 0);
	ck_assert_int_eq(SSL_get_error(c.ssl, 0), SSL_ERROR_ZERO_RETURN);

	tls_conn_free(t);
	mclient_free(&c);
	tls_ctx_free(ctx);
	pki_down();
}
END_TEST

/* The client's flights arrive one octet per read: every step but the
 * last says AGAIN. */
START_TEST(test_engine_octet_at_a_time)
{
	struct tls_ctx *ctx;
	struct mclient c;
	struct tls_conn *t;
	char buf[64];
	size_t n;

	pki_up();
	t = engine_pair(&ctx, &c, 1);
	ck_assert_int_eq(SSL_write(c.ssl, "NOOP\r\n", 6), 6);
	shuttle(&c, t, 1);
	n = server_read_all(t, buf, sizeof(buf), 1);
	ck_assert_uint_eq(n, 6);
	ck_assert_int_eq(memcmp(buf, "NOOP\r\n", 6), 0);
	tls_conn_free(t);
	mclient_free(&c);
	tls_ctx_free(ctx);
	pki_down();
}
END_TEST

/* A megabyte each way, read back in small bites. */
START_TEST(test_engine_bulk)
{
	struct tls_ctx *ctx;
	struct mclient c;
	struct tls_conn *t;
	size_t len = 1 << 20, off, n, got = 0;
	char *out, *in;
	int r;

	pki_up();
	t = engine_pair(&ctx, &c, 0);
	out = malloc(len);
	in = malloc(len);
	for (off = 0; off < len; off++)
		out[off] = (char)(off * 7 + off / 251);
	for (off = 0; off < len; off += n) {
		n = len - off < 10000 ? len - off : 10000;
		ck_assert_int_eq(tls_conn_write(t, out + off, n), TLS_OK);
	}
	shuttle(&c, t, 0);
	while (got < len && (r = SSL_read(c.ssl, in + got,
	    (int)(len - got))) > 0)
		got += (size_t)r;
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(memcmp(in, out, len), 0);

	memset(in, 0, len);
	for (off = 0; off < len; off += 30000)
		ck_assert_int_gt(SSL_write(c.ssl, out + off, len - off <
		    30000 ? (int)(len - off) : 30000), 0);
	shuttle(&c, t, 0);
	ck_assert_uint_gt(tls_conn_in_pending(t), 0);
	got = server_read_all(t, in, len, 100);
	ck_assert_uint_eq(got, len);
	ck_assert_int_eq(memcmp(in, out, len), 0);
	ck_assert_uint_eq(tls_conn_in_pending(t), 0);
	free(in);
	free(out);
	tls_conn_free(t);
	mclient_free(&c);
	tls_ctx_free(ctx);
	pki_down();
}
END_TEST

/* A POP3 command where the ClientHello should be (what an injected or
 * confused client sends after STLS) fails the handshake with a reason. */
START_TEST(test_engine_garbage)
{
	struct tls_ctx *ctx;
	struct tls_conn *t;
	char err[512], buf[16];
	size_t n;

	pki_up();
	ck_assert_int_eq(tls_ctx_new(certp, NULL, &ctx, err, sizeof(err)),
	    -1);
	ck_assert_msg(tls_ctx_new(certp, keyp, &ctx, err, sizeof(err)) == 0,
	    "%s", err);
	t = tls_conn_new(ctx);
	ck_assert_str_eq(tls_conn_version(t), "");
	ck_assert_int_eq(tls_conn_handshake(t), TLS_AGAIN);
	ck_assert_int_eq(tls_conn_read(t, buf, sizeof(buf), &n), TLS_AGAIN);
	ck_assert_int_eq(tls_conn_write(t, "x", 1), TLS_ERROR);
	ck_assert_int_eq(tls_conn_feed(t, "USER evil\r\n", 11), TLS_OK);
	ck_assert_int_eq(tls_conn_handshake(t), TLS_ERROR);
	ck_assert_int_eq(tls_conn_state(t), TLS_FAILED);
	ck_assert_str_ne(tls_conn_reason(t), "unknown");
	ck_assert_int_eq(tls_conn_read(t, buf, sizeof(buf), &n), TLS_ERROR);
	/* No close_notify after a failure. */
	tls_conn_shutdown(t);
	ck_assert_int_eq(tls_conn_state(t), TLS_FAILED);
	tls_conn_free(t);
	tls_ctx_free(ctx);
	pki_down();
}
END_TEST

/* RFC 8996: TLS 1.0 and 1.1 are refused. */
START_TEST(test_engine_old_version_refused)
{
	struct tls_ctx *ctx;
	struct mclient c;
	struct tls_conn *t;
	char err[512];

	pki_up();
	ck_assert_msg(tls_ctx_new(certp, keyp, &ctx, err, sizeof(err)) == 0,
	    "%s", err);
	t = tls_conn_new(ctx);
	mclient_new(&c, TLS1_1_VERSION);
	ck_assert_int_eq(shuttle(&c, t, 0), TLS_ERROR);
	ck_assert_int_eq(tls_conn_state(t), TLS_FAILED);
	ck_assert_int_eq(SSL_is_init_finished(c.ssl), 0);
	tls_conn_free(t);
	mclient_free(&c);
	tls_ctx_free(ctx);
	pki_down();
}
END_TEST

static void
write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Concatenate A and B into OUT. */
static void
cat_files(const char *a, const char *b, const char *out)
{
	char cmd[1200];

	snprintf(cmd, sizeof(cmd), "cat %s %s > %s", a, b, out);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_ctx_errors)
{
	struct tls_ctx *ctx = NULL;
	char err[512], want[1024], cert2[400], key2[400], both[400];
	char bad[400], enc[400];
	struct stat st;
	EVP_PKEY *pk;
	FILE *f, *g;

	pki_up();
	snprintf(cert2, sizeof(cert2), "%s/cert2.pem", dir);
	snprintf(key2, sizeof(key2), "%s/key2.pem", dir);
	snprintf(both, sizeof(both), "%s/both.pem", dir);
	snprintf(bad, sizeof(bad), "%s/bad.pem", dir);
	snprintf(enc, sizeof(enc), "%s/enc.pem", dir);

	/* The key is private from its first moment. */
	ck_assert_int_eq(stat(keyp, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	/* An existing key is never overwritten. */
	ck_assert_int_eq(tls_make_selfsigned(cert2, keyp, "localhost", 1,
	    err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: File exists", keyp);
	ck_assert_str_eq(err, want);

	ck_assert_int_eq(tls_ctx_new("/nonexistent/c.pem", NULL, &ctx, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "certificate /nonexistent/c.pem: No such file "
	    "or directory");
	ck_assert_ptr_null(ctx);
	ck_assert_int_eq(tls_ctx_new(certp, "/nonexistent/k.pem", &ctx, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "key /nonexistent/k.pem: No such file or "
	    "directory");

	write_text(bad, "not a certificate\n");
	ck_assert_int_eq(tls_ctx_new(bad, keyp, &ctx, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a PEM certificate "
	    "chain"));
	ck_assert_int_eq(tls_ctx_new(certp, bad, &ctx, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "expected a PEM private key"));

	/* Another pair's key. */
	ck_assert_int_eq(tls_make_selfsigned(cert2, key2, "localhost", 1, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(tls_ctx_new(certp, key2, &ctx, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "key %s does not match the certificate "
	    "in %s", key2, certp);
	ck_assert_str_eq(err, want);

	/* Certificate and key in one file: --tls-key may be left out. */
	cat_files(certp, keyp, both);
	ck_assert_msg(tls_ctx_new(both, NULL, &ctx, err, sizeof(err)) == 0,
	    "%s", err);
	tls_ctx_free(ctx);

	/* An encrypted key is refused, not prompted for. */
	ck_assert_ptr_nonnull(f = fopen(keyp, "r"));
	ck_assert_ptr_nonnull(pk = PEM_read_PrivateKey(f, NULL, NULL, NULL));
	fclose(f);
	ck_assert_ptr_nonnull(g = fopen(enc, "w"));
	ck_assert_int_eq(PEM_write_PrivateKey(g, pk, EVP_aes_128_cbc(),
	    NULL, 0, NULL, (void *)"pass"), 1);
	fclose(g);
	EVP_PKEY_free(pk);
	ck_assert_int_eq(tls_ctx_new(certp, enc, &ctx, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "key %s is encrypted; polypopd needs an "
	    "unencrypted PEM key", enc);
	ck_assert_str_eq(err, want);
	pki_down();
}
END_TEST

/* --- core: a module that asks for TLS ---------------------------------- */

static struct counts {
	int start, line, close, tls_cb, overflow;
	size_t big_target, generated;
	char lines[4096];	/* every line the module saw, '|' after each */
} cnt;

static void mod_generate(struct session *s);

static int
mod_start(struct session *s)
{
	cnt.start++;
	session_reply(s, "hello");
	return 0;
}

static void
mod_tls_on(struct session *s)
{
	cnt.tls_cb++;
	session_reply(s, "tls on active=%d", session_tls_active(s));
}

static void
mod_generate(struct session *s)
{
	static const char block[1000] = { 'x' };

	while (cnt.generated < cnt.big_target) {
		if (session_output_full(s)) {
			session_wait_drain(s, mod_generate);
			return;
		}
		session_write(s, block, sizeof(block));
		cnt.generated += sizeof(block);
	}
	session_reply(s, "done");
}

static void
mod_line(struct session *s, const char *line, size_t len)
{
	size_t o = strlen(cnt.lines);

	cnt.line++;
	snprintf(cnt.lines + o, sizeof(cnt.lines) - o, "%.*s|", (int)len,
	    line);
	if (len == 4 && memcmp(line, "stls", 4) == 0) {
		session_reply(s, "+OK Begin TLS negotiation");
		session_starttls(s, mod_tls_on);
	} else if (len == 4 && memcmp(line, "quit", 4) == 0) {
		session_reply(s, "bye");
		session_close(s);
	} else if (len == 5 && memcmp(line, "state", 5) == 0)
		session_reply(s, "active=%d available=%d refused=%d",
		    session_tls_active(s), session_tls_available(s),
		    session_plaintext_refused(s));
	else if (len == 3 && memcmp(line, "big", 3) == 0)
		mod_generate(s);
	else
		session_reply(s, "echo %.*s", (int)len, line);
}

static void
mod_overflow(struct session *s)
{
	cnt.overflow++;
	session_reply(s, "too long");
}

static void
mod_refuse(struct session *s, const char *why)
{
	session_reply(s, "refused %s", why);
}

static void
mod_close(struct session *s)
{
	(void)s;
	cnt.close++;
}

static const struct proto_ops mod_ops = {
	.name = "tmod",
	.max_line = 64,
	.start = mod_start,
	.line = mod_line,
	.overflow = mod_overflow,
	.refuse = mod_refuse,
	.close = mod_close,
};

const struct proto_ops *const proto_all[] = { &mod_ops, NULL };

const struct proto_ops *
proto_find(const char *name)
{
	return strcmp(name, "tmod") == 0 ? &mod_ops : NULL;
}

static struct server srv;
static struct options opt;

static void
done_wake(uv_async_t *a)
{
	(void)a;
}

static uv_async_t done_async;
static volatile int client_done;

enum { L_PLAIN, L_TLSONLY, L_IMPLICIT, L_COUNT };

static void
server_up(int with_cert)
{
	static const char *const specs[L_COUNT] = {
		"tmod@127.0.0.1:0",
		"tmod@127.0.0.1:0,plaintext-auth=tls",
		"pop3s@127.0.0.1:0",
	};
	char path[400], mail[400], err[512];
	size_t i;

	pki_up();
	memset(&cnt, 0, sizeof(cnt));
	memset(&srv, 0, sizeof(srv));
	snprintf(path, sizeof(path), "%s/users", dir);
	write_text(path, "alice:{PLAIN}secret\n");
	options_init(&opt);
	opt.users_file = strdup(path);
	srv.opt = &opt;
	srv.loop = uv_default_loop();
	snprintf(srv.hostname, sizeof(srv.hostname), "test");
	snprintf(mail, sizeof(mail), "maildir:%s/%%u", dir);
	ck_assert_int_eq(store_location_parse(mail, &srv.loc, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(server_load_users(&srv), 0);
	if (with_cert)
		ck_assert_msg(tls_ctx_new(certp, keyp, &srv.tls, err,
		    sizeof(err)) == 0, "%s", err);
	srv.listeners = calloc(L_COUNT, sizeof(*srv.listeners));
	srv.nlisteners = L_COUNT;
	for (i = 0; i < L_COUNT; i++) {
		srv.listeners[i].srv = &srv;
		srv.listeners[i].proto = &mod_ops;
		ck_assert_int_eq(options_parse_listen(specs[i],
		    &srv.listeners[i].spec, err, sizeof(err)), 0);
	}
	ck_assert_int_eq(listener_open_all(&srv), 0);
	client_done = 0;
	uv_async_init(srv.loop, &done_async, done_wake);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
server_down(void)
{
	listener_close_all(&srv);
	uv_walk(srv.loop, walk_close, NULL);
	uv_run(srv.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(srv.loop), 0);
	auth_db_free(srv.authdb);
	store_location_free(&srv.loc);
	tls_ctx_free(srv.tls);
	free(srv.listeners);
	options_free(&opt);
	pki_down();
}

/* --- core: the client thread ---------------------------------------------- */

struct tclient {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char in[1 << 16];
	size_t len;		/* octets in IN */
	size_t total;		/* octets received in all */
	int eof, close_notify;
};

static int
tc_connect(struct tclient *c, int listener)
{
	struct sockaddr_in sin;
	struct timeval tv = { 10, 0 };

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0)
		return -1;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	uv_ip4_addr("127.0.0.1", srv.listeners[listener].spec.port, &sin);
	return connect(c->fd, (struct sockaddr *)&sin, sizeof(sin));
}

static int
tc_send(struct tclient *c, const char *text)
{
	size_t n = strlen(text);

	if (c->ssl != NULL)
		return SSL_write(c->ssl, text, (int)n) == (int)n ? 0 : -1;
	return send(c->fd, text, n, 0) == (ssize_t)n ? 0 : -1;
}

/* Receive until IN holds WANT (then consume up to its end), or EOF.
 * Returns 0 when found. */
static int
tc_expect(struct tclient *c, const char *want)
{
	char *p;
	int n;

	for (;;) {
		c->in[c->len] = '\0';
		if ((p = memmem(c->in, c->len, want, strlen(want))) != NULL) {
			size_t used = (size_t)(p - c->in) + strlen(want);

			memmove(c->in, c->in + used, c->len - used);
			c->len -= used;
			return 0;
		}
		if (c->eof)
			return -1;
		/* Full: keep only what could be the start of WANT. */
		if (c->len >= sizeof(c->in) - 1) {
			size_t keep = strlen(want);

			memmove(c->in, c->in + c->len - keep, keep);
			c->len = keep;
		}
		if (c->ssl != NULL) {
			n = SSL_read(c->ssl, c->in + c->len,
			    (int)(sizeof(c->in) - 1 - c->len));
			if (n <= 0 && SSL_get_error(c->ssl, n) ==
			    SSL_ERROR_ZERO_RETURN)
				c->close_notify = 1;
		} else
			n = (int)recv(c->fd, c->in + c->len,
			    sizeof(c->in) - 1 - c->len, 0);
		if (n <= 0) {
			c->eof = 1;
			continue;
		}
		c->len += (size_t)n;
		c->total += (size_t)n;
	}
}

/* Read and count everything until EOF, keeping only the tail. */
static void
tc_drain(struct tclient *c)
{
	while (!c->eof) {
		size_t keep = c->len > 64 ? 64 : c->len;
		int n;

		memmove(c->in, c->in + c->len - keep, keep);
		c->len = keep;
		if (c->ssl != NULL) {
			n = SSL_read(c->ssl, c->in + c->len,
			    (int)(sizeof(c->in) - 1 - c->len));
			if (n <= 0 && SSL_get_error(c->ssl, n) ==
			    SSL_ERROR_ZERO_RETURN)
				c->close_notify = 1;
		} else
			n = (int)recv(c->fd, c->in + c->len,
			    sizeof(c->in) - 1 - c->len, 0);
		if (n <= 0)
			c->eof = 1;
		else {
			c->len += (size_t)n;
			c->total += (size_t)n;
		}
	}
	c->in[c->len] = '\0';
}

static int
tc_tls(struct tclient *c)
{
	c->ctx = SSL_CTX_new(TLS_client_method());
	SSL_CTX_load_verify_locations(c->ctx, certp, NULL);
	SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
	c->ssl = SSL_new(c->ctx);
	SSL_set1_host(c->ssl, "localhost");
	SSL_set_fd(c->ssl, c->fd);
	return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static void
tc_close(struct tclient *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	c->ssl = NULL;
	c->ctx = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* What a scenario found; checked on the main thread (Check's asserts
 * belong there). */
static struct result {
	int step;		/* how far the scenario got */
	size_t held;		/* generated while the client did not read */
	int close_notify;
	size_t total;
	char tail[256];
} res;

typedef void scenario_fn(struct tclient *c);

static void *
client_main(void *arg)
{
	scenario_fn *fn = (scenario_fn *)arg;
	struct tclient *c = calloc(1, sizeof(*c));
	size_t k;

	fn(c);
	res.close_notify = c->close_notify;
	res.total = c->total;
	k = c->len < sizeof(res.tail) - 1 ? c->len : sizeof(res.tail) - 1;
	memcpy(res.tail, c->in + c->len - k, k);
	res.tail[k] = '\0';
	tc_close(c);
	free(c);
	client_done = 1;
	uv_async_send(&done_async);
	return NULL;
}

static void
run_scenario(scenario_fn *fn)
{
	pthread_t th;
	int i;

	memset(&res, 0, sizeof(res));
	ck_assert_int_eq(pthread_create(&th, NULL, client_main,
	    (void *)fn), 0);
	/* Until the client is done and every session is freed. */
	for (i = 0; i < 100000; i++) {
		uv_run(srv.loop, UV_RUN_ONCE);
		if (client_done && srv.nsessions == 0)
			break;
	}
	pthread_join(th, NULL);
	ck_assert_uint_eq(srv.nsessions, 0);
}

/* STLS with an injected line in the same segment; the line is dropped,
 * the session goes on encrypted. */
static void
sc_stls_injection(struct tclient *c)
{
	int i;
	char req[1200];

	if (tc_connect(c, L_PLAIN) < 0 || tc_expect(c, "hello\r\n") < 0)
		return;
	res.step = 1;
	if (tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=0 available=1 refused=0\r\n") < 0)
		return;
	res.step = 2;
	if (tc_send(c, "stls\r\ninjected\r\n") < 0 ||
	    tc_expect(c, "+OK Begin TLS negotiation\r\n") < 0)
		return;
	res.step = 3;
	/* Nothing else came in the clear. */
	if (c->len != 0 || tc_tls(c) < 0)
		return;
	res.step = 4;
	if (tc_expect(c, "tls on active=1\r\n") < 0)
		return;
	res.step = 5;
	if (tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=1 available=0 refused=0\r\n") < 0)
		return;
	res.step = 6;
	/* PIPELINING through TLS: 100 commands in one write. */
	req[0] = '\0';
	for (i = 0; i < 100; i++)
		snprintf(req + strlen(req), sizeof(req) - strlen(req),
		    "p%d\r\n", i);
	if (tc_send(c, req) < 0)
		return;
	for (i = 0; i < 100; i++) {
		char want[32];

		snprintf(want, sizeof(want), "echo p%d\r\n", i);
		if (tc_expect(c, want) < 0)
			return;
	}
	res.step = 7;
	if (tc_send(c, "quit\r\n") < 0 || tc_expect(c, "bye\r\n") < 0)
		return;
	tc_drain(c);
	res.step = 8;
}

START_TEST(test_core_stls)
{
	server_up(1);
	run_scenario(sc_stls_injection);
	ck_assert_int_eq(res.step, 8);
	ck_assert_int_eq(res.close_notify, 1);
	ck_assert_int_eq(cnt.start, 1);
	ck_assert_int_eq(cnt.tls_cb, 1);
	ck_assert_int_eq(cnt.close, 1);
	/* "injected" was never a line. */
	ck_assert_ptr_null(strstr(cnt.lines, "injected"));
	ck_assert_int_eq(cnt.line, 3 + 100 + 1);
	server_down();
}
END_TEST

/* A man in the middle's plaintext after the +OK: read as TLS records,
 * the handshake fails, no line is delivered, the callback never runs. */
static void
sc_inject_after_ok(struct tclient *c)
{
	if (tc_connect(c, L_PLAIN) < 0 || tc_expect(c, "hello\r\n") < 0 ||
	    tc_send(c, "stls\r\n") < 0 ||
	    tc_expect(c, "+OK Begin TLS negotiation\r\n") < 0)
		return;
	res.step = 1;
	if (tc_send(c, "USER evil\r\nPASS evil\r\nquit\r\n") < 0)
		return;
	tc_drain(c);
	res.step = 2;
}

START_TEST(test_core_inject_after_ok)
{
	server_up(1);
	run_scenario(sc_inject_after_ok);
	ck_assert_int_eq(res.step, 2);
	ck_assert_int_eq(cnt.line, 1);
	ck_assert_str_eq(cnt.lines, "stls|");
	ck_assert_int_eq(cnt.tls_cb, 0);
	ck_assert_int_eq(cnt.close, 1);
	/* Whatever came back was not a POP reply. */
	ck_assert_ptr_null(strstr(res.tail, "echo"));
	ck_assert_ptr_null(strstr(res.tail, "bye"));
	server_down();
}
END_TEST

/* Implicit TLS: the greeting itself is encrypted; back-pressure holds
 * through TLS on a long reply. */
static void
sc_implicit(struct tclient *c)
{
	if (tc_connect(c, L_IMPLICIT) < 0 || tc_tls(c) < 0)
		return;
	res.step = 1;
	if (tc_expect(c, "hello\r\n") < 0 || tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=1 available=0 refused=0\r\n") < 0)
		return;
	res.step = 2;
	if (tc_send(c, "big\r\n") < 0)
		return;
	/* Do not read for a while: the module must be held back. */
	usleep(300 * 1000);
	res.held = cnt.generated;
	res.step = 3;
	if (tc_expect(c, "done\r\n") < 0)
		return;
	res.step = 4;
	if (tc_send(c, "quit\r\n") < 0 || tc_expect(c, "bye\r\n") < 0)
		return;
	tc_drain(c);
	res.step = 5;
}

START_TEST(test_core_implicit)
{
	server_up(1);
	cnt.big_target = 16000u * 1000;
	run_scenario(sc_implicit);
	ck_assert_int_eq(res.step, 5);
	ck_assert_int_eq(cnt.start, 1);
	ck_assert_int_eq(cnt.tls_cb, 0);
	ck_assert_int_eq(cnt.close, 1);
	ck_assert_int_eq(res.close_notify, 1);
	ck_assert_uint_eq(cnt.generated, cnt.big_target);
	/* While the client did not read, the module was held back: ahead
	 * by the core's high mark and the kernel's buffers at most. */
	ck_assert_uint_gt(res.held, 0);
	ck_assert_uint_lt(res.held, cnt.big_target);
	ck_assert_uint_ge(res.total, cnt.big_target);
	server_down();
}
END_TEST

/* plaintext-auth=tls: refused before STLS, not after. */
static void
sc_tls_only(struct tclient *c)
{
	if (tc_connect(c, L_TLSONLY) < 0 || tc_expect(c, "hello\r\n") < 0 ||
	    tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=0 available=1 refused=1\r\n") < 0)
		return;
	res.step = 1;
	if (tc_send(c, "stls\r\n") < 0 ||
	    tc_expect(c, "+OK Begin TLS negotiation\r\n") < 0 ||
	    tc_tls(c) < 0 || tc_expect(c, "tls on active=1\r\n") < 0)
		return;
	res.step = 2;
	if (tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=1 available=0 refused=0\r\n") < 0)
		return;
	res.step = 3;
	/* A second STLS: TLS is already on, so the session ends. */
	if (tc_send(c, "stls\r\n") < 0)
		return;
	tc_drain(c);
	res.step = 4;
}

START_TEST(test_core_tls_only)
{
	server_up(1);
	run_scenario(sc_tls_only);
	ck_assert_int_eq(res.step, 4);
	ck_assert_int_eq(cnt.tls_cb, 1);
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

/* Without a certificate STLS is not available, and asking anyway ends
 * the session without the callback. */
static void
sc_no_cert(struct tclient *c)
{
	if (tc_connect(c, L_PLAIN) < 0 || tc_expect(c, "hello\r\n") < 0 ||
	    tc_send(c, "state\r\n") < 0 ||
	    tc_expect(c, "active=0 available=0 refused=0\r\n") < 0)
		return;
	res.step = 1;
	if (tc_send(c, "stls\r\n") < 0)
		return;
	tc_drain(c);
	res.step = 2;
}

START_TEST(test_core_no_cert)
{
	server_up(0);
	run_scenario(sc_no_cert);
	ck_assert_int_eq(res.step, 2);
	ck_assert_int_eq(cnt.tls_cb, 0);
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

/* A client that starts a handshake and vanishes: close() once, and for
 * implicit TLS the module never started. */
static void
sc_half_handshake(struct tclient *c)
{
	static const char hello_start[] = { 0x16, 0x03, 0x01, 0x02, 0x00,
	    0x01, 0x00, 0x01, 0xfc, 0x03, 0x03 };

	if (tc_connect(c, L_IMPLICIT) < 0)
		return;
	if (send(c->fd, hello_start, sizeof(hello_start), 0) !=
	    (ssize_t)sizeof(hello_start))
		return;
	usleep(100 * 1000);
	res.step = 1;
}

START_TEST(test_core_half_handshake)
{
	server_up(1);
	run_scenario(sc_half_handshake);
	ck_assert_int_eq(res.step, 1);
	ck_assert_int_eq(cnt.start, 0);
	ck_assert_int_eq(cnt.close, 0);
	server_down();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("tls");
	TCase *tc = tcase_create("engine");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_engine_lines);
	tcase_add_test(tc, test_engine_octet_at_a_time);
	tcase_add_test(tc, test_engine_bulk);
	tcase_add_test(tc, test_engine_garbage);
	tcase_add_test(tc, test_engine_old_version_refused);
	tcase_add_test(tc, test_ctx_errors);
	suite_add_tcase(su, tc);
	tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_core_stls);
	tcase_add_test(tc, test_core_inject_after_ok);
	tcase_add_test(tc, test_core_implicit);
	tcase_add_test(tc, test_core_tls_only);
	tcase_add_test(tc, test_core_no_cert);
	tcase_add_test(tc, test_core_half_handshake);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
