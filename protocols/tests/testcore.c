/*
 * testcore.c - the synchronous stand-in for server/ described in
 * testcore.h.  Each request does what server/session_async.c does on the
 * threadpool, with the same real store and auth calls and the same
 * mapping of their results, only at once instead of on a worker.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "bboard_scan.h"
#include "msgfilter.h"
#include "testcore.h"

/* Octets read from the store per step.  Small and odd, so the filter is
 * fed lines in pieces as the core's 64 KiB chunks would split a large
 * message. */
#define TESTCORE_CHUNK	13

/* RFC 1939 §7's example greeting timestamp, so its example digest works
 * (only POP3 has APOP). */
#define TESTCORE_APOP_TS	"<1896.697170952@dbc.mtview.ca.us>"

static void
testcore_fail(const char *what)
{
	fprintf(stderr, "testcore: %s\n", what);
	abort();
}

static char *
testcore_strdup(const char *p)
{
	char *d = strdup(p != NULL ? p : "");

	if (d == NULL)
		testcore_fail("out of memory");
	return d;
}

static void
testcore_append(struct session *s, const void *buf, size_t len)
{
	if (s->outlen + len + 1 > s->outcap) {
		size_t cap = (s->outlen + len + 1) * 2;
		char *n = realloc(s->out, cap);

		if (n == NULL)
			testcore_fail("out of memory");
		s->out = n;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, buf, len);
	s->outlen += len;
	s->out[s->outlen] = '\0';
}

static void
testcore_begin(struct session *s, enum testcore_req r)
{
	/* proto.h: no second request while one is pending. */
	if (s->req != TESTCORE_NONE)
		testcore_fail("request while another is pending");
	if (s->closed)
		testcore_fail("request after session_close()");
	s->req = r;
}

struct session *
testcore_new(const struct store_location *loc, const struct auth_db *db,
    const struct proto_ops *ops)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		testcore_fail("out of memory");
	s->loc = loc;
	s->db = db;
	s->ops = ops;
	s->expire_days = SESSION_EXPIRE_NEVER;
	return s;
}

int
testcore_start(struct session *s)
{
	return s->ops->start(s);
}

void
testcore_free(struct session *s)
{
	if (s->req != TESTCORE_NONE)
		testcore_fail("freed with a request pending");
	free(s->preamble);
	free(s->folder);
	free(s->bb_group);
	free(s->sasl_in);
	free(s->user);
	free(s->home);
	free(s->out);
	free(s);
}

void
testcore_drop(struct session *s)
{
	/* A pending request dies with the connection: its callback is not
	 * called (session.h); a store it opened is the core's to close. */
	s->req = TESTCORE_NONE;
	s->ops->close(s);
	testcore_free(s);
}

/* --- the requests, as session_async.c runs them ------------------------ */

/* "REMOTE-USER LOCAL-USER" against what RPOP was given. */
static int
testcore_rpop_ok(const struct session *s)
{
	char rule[600];

	if (s->rpop_rule == NULL)
		return 0;
	snprintf(rule, sizeof(rule), "%s %s", s->login_secret, s->login_user);
	return strcmp(rule, s->rpop_rule) == 0;
}

static int
testcore_login(struct session *s)
{
	const struct auth_user *u = NULL;
	int badname, rc;

	badname = !store_user_name_ok(s->login_user, strlen(s->login_user));
	if (!badname)
		u = auth_db_lookup(s->db, s->login_user);
	if (s->login_apop)
		rc = u == NULL ? AUTH_FAIL : auth_check_apop(u,
		    TESTCORE_APOP_TS, s->login_secret);
	else if (s->login_rpop)
		rc = u != NULL && testcore_rpop_ok(s) ? AUTH_OK : AUTH_FAIL;
	else
		rc = auth_check_password(u, s->login_secret);
	if (s->auth_fault) {
		s->auth_fault = 0;
		rc = AUTH_EINTERNAL;
	}
	/* RFC 2449 §8.1.1: right credentials, too soon (the core checks
	 * the delay after the secret, and reports it without delay). */
	if (rc == AUTH_OK && !badname && s->delay_next) {
		s->delay_next = 0;
		return SESSION_LOGIN_DELAY;
	}
	if (rc == AUTH_OK && !badname) {
		free(s->user);
		free(s->home);
		s->user = testcore_strdup(s->login_user);
		s->home = testcore_strdup(u->home);
		return SESSION_LOGIN_OK;
	}
	/* login_delay_done() without the delay. */
	switch (rc) {
	case AUTH_ESCHEME:
		return SESSION_LOGIN_ESCHEME;
	case AUTH_EINTERNAL:
		return SESSION_LOGIN_ETEMP;
	default:
		return badname ? SESSION_LOGIN_BADNAME : SESSION_LOGIN_FAIL;
	}
}

static void
testcore_open(struct session *s)
{
	struct store_user u = { s->user, s->home };
	struct store *st = NULL;
	char msg[256] = "";
	int err;

	snprintf(s->last_folder, sizeof(s->last_folder), "%s",
	    s->folder != NULL ? s->folder : "");
	if (s->user == NULL)
		err = STORE_EINVAL;
	else
		err = store_open(s->loc, &u, s->folder, &st, msg, sizeof(msg));
	free(s->folder);
	s->folder = NULL;
	s->last_open = err;
	if (err != 0) {
		s->open_cb(s, err, NULL, msg[0] ? msg : store_strerror(err));
		return;
	}
	s->opens++;
	s->open_cb(s, 0, st, NULL);
}

static void
testcore_commit(struct session *s)
{
	char msg[256] = "";
	int err;

	s->commits++;
	err = store_commit(s->req_store, msg, sizeof(msg));
	s->last_commit = err;
	s->done_cb(s, err, err == 0 ? NULL :
	    msg[0] ? msg : store_strerror(err));
}

/* session_async.c's bboard_work() and bboard_after(), at once. */
static void
testcore_bboard_list(struct session *s)
{
	struct bboard_info *info = NULL;
	struct session_bboard *g = NULL;
	size_t n = 0, skipped = 0, i;
	int err = 0;

	s->bb_lists++;
	if (s->bboards != NULL)
		err = bboard_list(s->bboards, s->bb_group, s->bb_group != NULL,
		    &info, &n, &skipped);
	if (err == 0 && n > 0 && (g = calloc(n, sizeof(*g))) == NULL)
		testcore_fail("out of memory");
	for (i = 0; err == 0 && i < n; i++) {
		g[i].name = info[i].name;
		g[i].maxima = info[i].maxima;
		g[i].archive = info[i].archive[0] ? info[i].archive : NULL;
	}
	free(s->bb_group);
	s->bb_group = NULL;
	s->bb_list_cb(s, err, g, err == 0 ? n : 0);
	free(g);
	free(info);
}

static void
testcore_bboard_open(struct session *s)
{
	char name[BBOARD_NAME_MAX + 1] = "", msg[256] = "";
	struct store *st = NULL;
	int err;

	if (s->bboards == NULL)
		err = STORE_ENOFOLDER;
	else
		err = bboard_open(s->bboards, s->bb_group, s->bb_archive, &st,
		    name, msg, sizeof(msg));
	free(s->bb_group);
	s->bb_group = NULL;
	if (err != 0) {
		s->bb_open_cb(s, err, NULL, NULL, msg[0] ? msg :
		    store_strerror(err));
		return;
	}
	if (!store_is_readonly(st))
		testcore_fail("a discussion group opened read-write");
	s->bb_opens++;
	s->bb_open_cb(s, 0, st, name, NULL);
}

/* Run one chunk through the filter into the output, as stream_emit(). */
static void
testcore_emit(struct session *s, struct msgfilter *f, const char *buf,
    size_t len)
{
	char out[2 * TESTCORE_CHUNK];
	size_t off = 0, used, n;

	while (off < len && !msgfilter_done(f)) {
		n = msgfilter_run(f, buf + off, len - off, &used, out,
		    sizeof(out));
		off += used;
		testcore_append(s, out, n);
	}
}

static void
testcore_send(struct session *s)
{
	struct store_reader *r;
	struct msgfilter f;
	char buf[TESTCORE_CHUNK], tail[8];
	ssize_t n;
	int err, started = 0;

	if (s->send_index >= store_count(s->req_store) ||
	    store_is_deleted(s->req_store, s->send_index))
		testcore_fail("send of a bad message");
	msgfilter_init(&f, s->opts.dot_stuff, s->opts.body_lines);
	if (s->opts.refuse_8bit_header) {
		/* As server/session_async.c: a reader of its own. */
		struct msghdr_scan h;
		int res = -1;

		err = store_reader_open(s->req_store, s->send_index, &r);
		if (err != 0) {
			s->done_cb(s, err, store_strerror(err));
			return;
		}
		msghdr_scan_init(&h);
		while (res < 0) {
			if ((n = store_reader_read(r, buf, sizeof(buf))) < 0) {
				store_reader_close(r);
				s->done_cb(s, (int)n, store_strerror((int)n));
				return;
			}
			res = n == 0 ? msghdr_scan_finish(&h) :
			    msghdr_scan_run(&h, buf, (size_t)n);
		}
		store_reader_close(r);
		if (res > 0) {
			s->done_cb(s, SESSION_E8BITHDR,
			    "header holds 8-bit octets");
			return;
		}
	}
	if ((err = store_reader_open(s->req_store, s->send_index, &r)) != 0) {
		s->done_cb(s, err, store_strerror(err));
		return;
	}
	for (;;) {
		if ((n = store_reader_read(r, buf, sizeof(buf))) < 0) {
			store_reader_close(r);
			if (!started) {
				/* Nothing sent: the module can answer -ERR. */
				s->done_cb(s, (int)n, store_strerror((int)n));
				return;
			}
			/* Half a message cannot be taken back: the core
			 * drops the connection; close() follows. */
			s->destroyed = 1;
			s->closed = 1;
			return;
		}
		if (!started && s->preamble != NULL)
			testcore_append(s, s->preamble, strlen(s->preamble));
		started = 1;
		if (n == 0 || msgfilter_done(&f))
			break;
		testcore_emit(s, &f, buf, (size_t)n);
	}
	store_reader_close(r);
	testcore_append(s, tail, msgfilter_finish(&f, tail));
	s->done_cb(s, 0, NULL);
}

/* --- the stand-in SASL exchange ---------------------------------------- */

static int
testcore_b64val(int c)
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

/* Strict base64 (RFC 5034 §4: "=" only at the end); "=" alone is the
 * empty initial response.  Returns the decoded length or -1. */
static long
testcore_b64dec(const char *in, unsigned char *out, size_t size)
{
	size_t len = strlen(in), i, o = 0, pad = 0;
	unsigned long acc = 0;
	int v;

	if (strcmp(in, "=") == 0)
		return 0;
	if (len % 4 != 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (in[i] == '=') {
			if (i < len - 2 || (i == len - 2 && in[len - 1] != '='))
				return -1;
			pad++;
			v = 0;
		} else if ((v = testcore_b64val((unsigned char)in[i])) < 0)
			return -1;
		acc = (acc << 6) | (unsigned long)v;
		if (i % 4 == 3) {
			if (o + 3 > size)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	return (long)(o - pad);
}

/* A decoded SASL field into one of the login buffers, cut to fit. */
static void
testcore_copy(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *
testcore_mechs(const struct session *s)
{
	if (s->sasl_mechs != NULL)
		return s->sasl_mechs;
	return session_plaintext_refused(s) ? "" : "PLAIN LOGIN";
}

static int
testcore_mech_ok(const struct session *s, const char *mech)
{
	const char *l = testcore_mechs(s), *e;
	size_t n = strlen(mech);

	while (*l != '\0') {
		if ((e = strchr(l, ' ')) == NULL)
			e = l + strlen(l);
		if ((size_t)(e - l) == n && strncasecmp(l, mech, n) == 0)
			return 1;
		l = *e == ' ' ? e + 1 : e;
	}
	return 0;
}

/* The credentials are complete: the real auth layer decides. */
static void
testcore_sasl_check(struct session *s)
{
	int rc;

	s->login_apop = s->login_rpop = 0;
	rc = testcore_login(s);
	explicit_bzero(s->login_secret, sizeof(s->login_secret));
	if (rc == SESSION_LOGIN_OK && s->sasl_final != NULL) {
		s->sasl = TESTCORE_SASL_FINAL;
		s->sasl_cb(s, SESSION_LOGIN_CONTINUE, s->sasl_final);
		return;
	}
	s->sasl = TESTCORE_SASL_IDLE;
	s->sasl_cb(s, rc, NULL);
}

static void
testcore_sasl(struct session *s)
{
	unsigned char buf[512];
	const unsigned char *a, *b;
	long n;

	if (s->sasl_badmech) {
		s->sasl_badmech = 0;
		s->sasl_cb(s, SESSION_LOGIN_BADMECH, NULL);
		return;
	}
	if (!s->sasl_has_in) {
		/* No initial response: an empty challenge for PLAIN
		 * (RFC 5034 §4), "Username:" for LOGIN. */
		if (s->sasl == TESTCORE_SASL_PLAIN)
			s->sasl_cb(s, SESSION_LOGIN_CONTINUE, "");
		else
			s->sasl_cb(s, SESSION_LOGIN_CONTINUE, "VXNlcm5hbWU6");
		return;
	}
	s->sasl_has_in = 0;
	n = testcore_b64dec(s->sasl_in, buf, sizeof(buf) - 1);
	explicit_bzero(s->sasl_in, strlen(s->sasl_in));
	if (n < 0) {
		s->sasl = TESTCORE_SASL_IDLE;
		s->sasl_cb(s, SESSION_LOGIN_BADB64, NULL);
		return;
	}
	buf[n] = '\0';
	switch (s->sasl) {
	case TESTCORE_SASL_PLAIN:
		/* RFC 4616: [authzid] NUL authcid NUL passwd. */
		a = memchr(buf, '\0', (size_t)n);
		b = a != NULL ? memchr(a + 1, '\0',
		    (size_t)n - (size_t)(a + 1 - buf)) : NULL;
		if (b == NULL) {
			s->sasl = TESTCORE_SASL_IDLE;
			s->sasl_cb(s, SESSION_LOGIN_FAIL, NULL);
			break;
		}
		testcore_copy(s->login_user, sizeof(s->login_user),
		    (const char *)a + 1);
		testcore_copy(s->login_secret, sizeof(s->login_secret),
		    (const char *)b + 1);
		testcore_sasl_check(s);
		break;
	case TESTCORE_SASL_LOGIN_USER:
		testcore_copy(s->login_user, sizeof(s->login_user),
		    (const char *)buf);
		s->sasl = TESTCORE_SASL_LOGIN_PASS;
		s->sasl_cb(s, SESSION_LOGIN_CONTINUE, "UGFzc3dvcmQ6");
		break;
	case TESTCORE_SASL_LOGIN_PASS:
		testcore_copy(s->login_secret, sizeof(s->login_secret),
		    (const char *)buf);
		testcore_sasl_check(s);
		break;
	case TESTCORE_SASL_FINAL:
		s->sasl = TESTCORE_SASL_IDLE;
		s->sasl_cb(s, n == 0 ? SESSION_LOGIN_OK : SESSION_LOGIN_FAIL,
		    NULL);
		break;
	default:
		testcore_fail("SASL step without an exchange");
	}
	explicit_bzero(buf, sizeof(buf));
}

/* One pending request completes, as the loop would run its callback. */
static void
testcore_step(struct session *s)
{
	enum testcore_req r = s->req;

	s->req = TESTCORE_NONE;
	switch (r) {
	case TESTCORE_LOGIN:
		s->login_cb(s, testcore_login(s));
		break;
	case TESTCORE_OPEN:
		testcore_open(s);
		break;
	case TESTCORE_COMMIT:
		testcore_commit(s);
		break;
	case TESTCORE_SEND:
		testcore_send(s);
		break;
	case TESTCORE_BBOARD_LIST:
		testcore_bboard_list(s);
		break;
	case TESTCORE_BBOARD_OPEN:
		testcore_bboard_open(s);
		break;
	case TESTCORE_SASL:
		testcore_sasl(s);
		break;
	case TESTCORE_TLS:
		s->tls_active = 1;
		s->tls_cb(s);
		break;
	case TESTCORE_DRAIN:
		s->drains++;
		s->since_drain = 0;
		s->drain_cb(s);
		break;
	case TESTCORE_NONE:
		break;
	}
}

void
testcore_step_once(struct session *s)
{
	if (s->req != TESTCORE_NONE && !s->destroyed)
		testcore_step(s);
}

void
testcore_run(struct session *s)
{
	while (s->req != TESTCORE_NONE && !s->destroyed)
		testcore_step(s);
}

void
testcore_line_len(struct session *s, const char *line, size_t len)
{
	if (s->closed)
		testcore_fail("line after session_close()");
	if (s->req != TESTCORE_NONE)
		testcore_fail("line while a request is pending");
	/* proto.h: never longer than max_line - 1 octets, never an LF. */
	if (len >= (s->line_max ? s->line_max : s->ops->max_line) || memchr(line, '\n', len) != NULL)
		testcore_fail("line the core would not deliver");
	s->ops->line(s, line, len);
	testcore_run(s);
}

void
testcore_line(struct session *s, const char *line)
{
	testcore_line_len(s, line, strlen(line));
}

const char *
testcore_output(const struct session *s)
{
	return s->out != NULL ? s->out : "";
}

size_t
testcore_output_len(const struct session *s)
{
	return s->outlen;
}

void
testcore_clear(struct session *s)
{
	s->outlen = 0;
	if (s->out != NULL)
		s->out[0] = '\0';
}

/* --- session.h -------------------------------------------------------- */

uint64_t
session_id(const struct session *s)
{
	(void)s;
	return 1;
}

const char *
session_profile(const struct session *s)
{
	return s->profile;
}

const char *
session_hostname(const struct session *s)
{
	(void)s;
	return "dbc.mtview.ca.us";
}

const char *
session_peer(const struct session *s)
{
	(void)s;
	return "127.0.0.1:1234";
}

const char *
session_apop_timestamp(const struct session *s)
{
	(void)s;
	return TESTCORE_APOP_TS;
}

const char *
session_user(const struct session *s)
{
	return s->user;
}

void *
session_data(const struct session *s)
{
	return s->data;
}

void
session_set_data(struct session *s, void *data)
{
	s->data = data;
}

void
session_log(struct session *s, const char *fmt, ...)
{
	(void)s;
	(void)fmt;
}

void
session_warn(struct session *s, const char *fmt, ...)
{
	(void)s;
	(void)fmt;
}

void
session_trace_state(struct session *s, const char *state)
{
	snprintf(s->state, sizeof(s->state), "%s", state);
}

void
session_write(struct session *s, const void *buf, size_t len)
{
	testcore_append(s, buf, len);
}

void
session_reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (s->closed)
		testcore_fail("reply after session_close()");
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		testcore_fail("reply too long");
	/* RFC 1939 §3 and RFC 937 Sizes: a reply line is at most 512
	 * octets with CRLF (POP1's replies are held to the same). */
	if (n > 510)
		testcore_fail("reply over 512 octets");
	memcpy(line + n, "\r\n", 2);
	testcore_append(s, line, (size_t)n + 2);
	s->since_drain++;
}

int
session_output_full(const struct session *s)
{
	return s->full_after != 0 && s->since_drain >= s->full_after;
}

void
session_wait_drain(struct session *s, void (*cb)(struct session *s))
{
	testcore_begin(s, TESTCORE_DRAIN);
	s->drain_cb = cb;
}

void
session_close(struct session *s)
{
	s->closed = 1;
}

static void
testcore_login_begin(struct session *s, const char *user, const char *secret,
    int apop, session_login_cb *cb)
{
	s->login_rpop = 0;
	testcore_begin(s, TESTCORE_LOGIN);
	/* The core keeps its own copies (session.h). */
	snprintf(s->login_user, sizeof(s->login_user), "%s", user);
	snprintf(s->login_secret, sizeof(s->login_secret), "%s", secret);
	s->login_apop = apop;
	s->login_cb = cb;
}

void
session_login_password(struct session *s, const char *user,
    const char *password, session_login_cb *cb)
{
	testcore_login_begin(s, user, password, 0, cb);
}

void
session_login_apop(struct session *s, const char *user, const char *digest,
    session_login_cb *cb)
{
	testcore_login_begin(s, user, digest, 1, cb);
}

void
session_login_rpop(struct session *s, const char *user,
    const char *remote_user, session_login_cb *cb)
{
	testcore_login_begin(s, user, remote_user, 0, cb);
	s->login_rpop = 1;
}

void
session_set_saslprep(struct session *s, int on)
{
	s->saslprep = on != 0;
}

void
session_set_apop_exclusive(struct session *s, int on)
{
	s->apop_exclusive = on != 0;
}

int
session_rpop_enabled(const struct session *s)
{
	return s->rpop_rule != NULL;
}

void
session_store_open(struct session *s, const char *folder,
    session_store_cb *cb)
{
	if (folder != NULL && s->inbox_only)
		testcore_fail("this module opens INBOX only");
	testcore_begin(s, TESTCORE_OPEN);
	/* The core copies the folder name; so do we. */
	free(s->folder);
	s->folder = folder != NULL ? testcore_strdup(folder) : NULL;
	s->open_cb = cb;
}

void
session_store_commit(struct session *s, struct store *st,
    session_done_cb *cb)
{
	testcore_begin(s, TESTCORE_COMMIT);
	s->req_store = st;
	s->done_cb = cb;
}

void
session_bboard_list(struct session *s, const char *name,
    session_bboard_list_cb *cb)
{
	testcore_begin(s, TESTCORE_BBOARD_LIST);
	free(s->bb_group);
	s->bb_group = name != NULL ? testcore_strdup(name) : NULL;
	s->bb_list_cb = cb;
}

void
session_bboard_open(struct session *s, const char *group, int archive,
    session_bboard_cb *cb)
{
	testcore_begin(s, TESTCORE_BBOARD_OPEN);
	free(s->bb_group);
	s->bb_group = testcore_strdup(group);
	s->bb_archive = archive != 0;
	s->bb_open_cb = cb;
}

void
session_send_message(struct session *s, struct store *st, size_t i,
    const struct session_msg_opts *opts, session_done_cb *cb)
{
	testcore_begin(s, TESTCORE_SEND);
	s->sends++;
	s->req_store = st;
	s->send_index = i;
	s->opts = *opts;
	/* The core copies the preamble; so do we, to catch dangling use. */
	free(s->preamble);
	s->preamble = NULL;
	if (opts->preamble != NULL)
		s->preamble = testcore_strdup(opts->preamble);
	s->opts.preamble = s->preamble;
	s->done_cb = cb;
}

int
session_handoff(struct session *s, const struct proto_ops *to,
    const char *line, size_t len)
{
	/* As server/conn.c: the old module has freed its state. */
	if (to->takeover == NULL)
		return -1;
	s->ops = to;
	s->data = NULL;
	if (to->takeover(s) < 0) {
		session_close(s);
		return 0;
	}
	to->line(s, line, len);
	return 0;
}

/* --- issue 6: SASL, TLS, policy (session.h) ---------------------------- */

const char *
session_sasl_mechanisms(const struct session *s)
{
	return testcore_mechs(s);
}

static void
testcore_sasl_input(struct session *s, const char *in)
{
	free(s->sasl_in);
	s->sasl_in = NULL;
	s->sasl_has_in = in != NULL;
	snprintf(s->sasl_last_in, sizeof(s->sasl_last_in), "%s",
	    in != NULL ? in : "(none)");
	if (in != NULL)
		s->sasl_in = testcore_strdup(in);
}

void
session_sasl_start(struct session *s, const char *mech, const char *initial,
    session_sasl_cb *cb)
{
	if (s->user != NULL)
		testcore_fail("AUTH after login");
	testcore_begin(s, TESTCORE_SASL);
	s->sasl_starts++;
	s->sasl_cb = cb;
	snprintf(s->sasl_mech, sizeof(s->sasl_mech), "%s", mech);
	testcore_sasl_input(s, initial);
	/* The answer comes at the next run, never from inside this call. */
	if (!testcore_mech_ok(s, mech))
		s->sasl_badmech = 1;
	else if (strcasecmp(mech, "PLAIN") == 0)
		s->sasl = TESTCORE_SASL_PLAIN;
	else if (strcasecmp(mech, "LOGIN") == 0)
		/* An initial response, if any, is the user name. */
		s->sasl = TESTCORE_SASL_LOGIN_USER;
	else
		testcore_fail("stand-in SASL knows PLAIN and LOGIN only");
}

void
session_sasl_step(struct session *s, const char *response,
    session_sasl_cb *cb)
{
	if (s->sasl == TESTCORE_SASL_IDLE)
		testcore_fail("SASL step without an exchange");
	testcore_begin(s, TESTCORE_SASL);
	s->sasl_steps++;
	s->sasl_cb = cb;
	testcore_sasl_input(s, response);
}

void
session_set_line_max(struct session *s, size_t max)
{
	s->line_max = max > SESSION_LINE_MAX ? SESSION_LINE_MAX : max;
}

void
session_sasl_abort(struct session *s)
{
	s->sasl_aborts++;
	s->sasl = TESTCORE_SASL_IDLE;
}

int
session_tls_active(const struct session *s)
{
	return s->tls_active;
}

int
session_tls_available(const struct session *s)
{
	return s->tls_cert && !s->tls_active;
}

int
session_plaintext_refused(const struct session *s)
{
	return s->plaintext_tls_only && !s->tls_active;
}

void
session_starttls(struct session *s, session_tls_cb *cb)
{
	if (!session_tls_available(s))
		testcore_fail("STARTTLS while TLS is not available");
	testcore_begin(s, TESTCORE_TLS);
	s->starttls++;
	s->tls_cb = cb;
}

void
session_policy(const struct session *s, struct session_policy *out)
{
	out->expire_days = s->expire_days;
	out->login_delay = s->login_delay;
}

time_t testcore_arrival[TESTCORE_ARRIVALS];

__attribute__((weak)) time_t
store_arrival(const struct store *st, size_t i)
{
	(void)st;
	return i < TESTCORE_ARRIVALS ? testcore_arrival[i] : 0;
}
