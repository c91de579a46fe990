/*
 * pop3_mock.c - the fake core and store of pop3_mock.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_mock.h"

static void
mock_fail(const char *what)
{
	fprintf(stderr, "pop3_mock: %s\n", what);
	abort();
}

static void
mock_append(struct session *s, const void *buf, size_t len)
{
	if (s->outlen + len + 1 > s->outcap) {
		size_t cap = (s->outlen + len + 1) * 2;
		char *n = realloc(s->out, cap);

		if (n == NULL)
			mock_fail("out of memory");
		s->out = n;
		s->outcap = cap;
	}
	memcpy(s->out + s->outlen, buf, len);
	s->outlen += len;
	s->out[s->outlen] = '\0';
}

static void
mock_begin(struct session *s, enum mock_req r)
{
	/* proto.h: no second request while one is pending. */
	if (s->req != MOCK_NONE)
		mock_fail("request while another is pending");
	if (s->closed)
		mock_fail("request after session_close()");
	s->req = r;
}

struct session *
mock_session(size_t nmsgs)
{
	struct session *s = calloc(1, sizeof(*s));
	struct store *st = calloc(1, sizeof(*st));
	size_t i;

	if (s == NULL || st == NULL)
		mock_fail("out of memory");
	st->n = nmsgs;
	st->size = calloc(nmsgs + 1, sizeof(*st->size));
	st->uid = calloc(nmsgs + 1, sizeof(*st->uid));
	st->deleted = calloc(nmsgs + 1, sizeof(*st->deleted));
	if (st->size == NULL || st->uid == NULL || st->deleted == NULL)
		mock_fail("out of memory");
	for (i = 0; i < nmsgs; i++) {
		st->size[i] = 100 * (i + 1);
		snprintf(st->uid[i], sizeof(st->uid[i]), "uid-%zu", i + 1);
	}
	s->store = st;
	return s;
}

void
mock_free(struct session *s)
{
	free(s->store->size);
	free(s->store->uid);
	free(s->store->deleted);
	free(s->store);
	free(s->out);
	free(s);
}

static int
mock_check_login(struct session *s)
{
	if (strcmp(s->login_user, "tempfail") == 0)
		return SESSION_LOGIN_ETEMP;
	if (strchr(s->login_user, '/') != NULL)
		return SESSION_LOGIN_BADNAME;
	if (s->login_apop) {
		if (strcmp(s->login_user, "hashed") == 0)
			return SESSION_LOGIN_ESCHEME;
		/* RFC 1939 §7's example digest for "tanstaaf". */
		return strcmp(s->login_user, "mrose") == 0 &&
		    strcmp(s->login_secret,
		    "c4c9334bac560ecc979e58001b3e22fb") == 0 ?
		    SESSION_LOGIN_OK : SESSION_LOGIN_FAIL;
	}
	return strcmp(s->login_user, "mrose") == 0 &&
	    strcmp(s->login_secret, "tanstaaf") == 0 ?
	    SESSION_LOGIN_OK : SESSION_LOGIN_FAIL;
}

/* One pending request completes, as the loop would run its callback. */
static void
mock_step(struct session *s)
{
	enum mock_req r = s->req;
	struct store *st = s->store;
	char body[64];
	int err;

	s->req = MOCK_NONE;
	switch (r) {
	case MOCK_LOGIN:
		s->login_cb(s, mock_check_login(s));
		break;
	case MOCK_OPEN:
		if (s->open_err != 0) {
			s->open_cb(s, s->open_err, NULL, "lock held by pid 1");
			break;
		}
		if (st->closed)
			mock_fail("store opened twice");
		s->open_cb(s, 0, st, NULL);
		break;
	case MOCK_COMMIT:
		st->commits++;
		err = st->commit_err;
		if (err == 0) {
			size_t i;

			for (i = 0; i < st->n; i++)
				if (st->deleted[i]) {
					st->removed++;
					st->deleted[i] = 0;
				}
		}
		s->done_cb(s, err, err != 0 ? "/var/mail/x: EIO" : NULL);
		break;
	case MOCK_SEND:
		if (s->send_index >= st->n || st->deleted[s->send_index])
			mock_fail("send of a bad message");
		if (s->opts.preamble != NULL)
			mock_append(s, s->opts.preamble,
			    strlen(s->opts.preamble));
		snprintf(body, sizeof(body), "<msg %zu lines=%ld stuff=%d>\r\n"
		    ".\r\n", s->send_index + 1, s->opts.body_lines,
		    s->opts.dot_stuff);
		mock_append(s, body, strlen(body));
		s->done_cb(s, 0, NULL);
		break;
	case MOCK_DRAIN:
		s->drains++;
		s->since_drain = 0;
		s->drain_cb(s);
		break;
	case MOCK_NONE:
		break;
	}
}

void
mock_run(struct session *s)
{
	while (s->req != MOCK_NONE)
		mock_step(s);
}

void
mock_line(struct session *s, const char *line)
{
	if (s->closed)
		mock_fail("line after session_close()");
	if (s->req != MOCK_NONE)
		mock_fail("line while a request is pending");
	pop3_ops.line(s, line, strlen(line));
	mock_run(s);
}

const char *
mock_output(struct session *s)
{
	return s->out != NULL ? s->out : "";
}

void
mock_clear(struct session *s)
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
	(void)s;
	return "";
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
	return "<1896.697170952@dbc.mtview.ca.us>";
}

const char *
session_user(const struct session *s)
{
	(void)s;
	return NULL;
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
	mock_append(s, buf, len);
}

void
session_reply(struct session *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	if (s->closed)
		mock_fail("reply after session_close()");
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line) - 2)
		mock_fail("reply too long");
	/* RFC 1939 §3: a response line is at most 512 octets with CRLF. */
	if (n > 510)
		mock_fail("reply over 512 octets");
	memcpy(line + n, "\r\n", 2);
	mock_append(s, line, (size_t)n + 2);
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
	mock_begin(s, MOCK_DRAIN);
	s->drain_cb = cb;
}

void
session_close(struct session *s)
{
	s->closed = 1;
}

static void
mock_login(struct session *s, const char *user, const char *secret,
    int apop, session_login_cb *cb)
{
	mock_begin(s, MOCK_LOGIN);
	snprintf(s->login_user, sizeof(s->login_user), "%s", user);
	snprintf(s->login_secret, sizeof(s->login_secret), "%s", secret);
	s->login_apop = apop;
	s->login_cb = cb;
}

void
session_login_password(struct session *s, const char *user,
    const char *password, session_login_cb *cb)
{
	mock_login(s, user, password, 0, cb);
}

void
session_login_apop(struct session *s, const char *user, const char *digest,
    session_login_cb *cb)
{
	mock_login(s, user, digest, 1, cb);
}

void
session_store_open(struct session *s, const char *folder,
    session_store_cb *cb)
{
	if (folder != NULL)
		mock_fail("POP3 opens INBOX only");
	mock_begin(s, MOCK_OPEN);
	s->open_cb = cb;
}

void
session_store_commit(struct session *s, struct store *st,
    session_done_cb *cb)
{
	if (st != s->store)
		mock_fail("commit of a foreign store");
	mock_begin(s, MOCK_COMMIT);
	s->done_cb = cb;
}

void
session_send_message(struct session *s, struct store *st, size_t i,
    const struct session_msg_opts *opts, session_done_cb *cb)
{
	if (st != s->store)
		mock_fail("send from a foreign store");
	mock_begin(s, MOCK_SEND);
	s->send_index = i;
	s->opts = *opts;
	/* The core copies the preamble; so do we, to catch dangling use. */
	if (opts->preamble != NULL) {
		snprintf(s->preamble, sizeof(s->preamble), "%s",
		    opts->preamble);
		s->opts.preamble = s->preamble;
	}
	s->done_cb = cb;
}

/* --- store.h ---------------------------------------------------------- */

const char *
store_strerror(int err)
{
	switch (err) {
	case STORE_EINUSE:
		return "mailbox in use";
	case STORE_EPERM:
		return "permission denied";
	default:
		return "temporary failure";
	}
}

size_t
store_count(const struct store *st)
{
	return st->n;
}

uint64_t
store_size(const struct store *st, size_t i)
{
	if (i >= st->n)
		mock_fail("store_size out of range");
	return st->size[i];
}

const char *
store_uid(const struct store *st, size_t i)
{
	if (i >= st->n)
		mock_fail("store_uid out of range");
	return st->uid[i];
}

uint64_t
store_total_size(const struct store *st)
{
	uint64_t t = 0;
	size_t i;

	for (i = 0; i < st->n; i++)
		t += st->size[i];
	return t;
}

int
store_set_deleted(struct store *st, size_t i, int deleted)
{
	if (i >= st->n)
		return STORE_EINVAL;
	st->deleted[i] = deleted != 0;
	return 0;
}

int
store_is_deleted(const struct store *st, size_t i)
{
	if (i >= st->n)
		mock_fail("store_is_deleted out of range");
	return st->deleted[i];
}

void
store_undelete_all(struct store *st)
{
	memset(st->deleted, 0, st->n * sizeof(*st->deleted));
}

void
store_close(struct store *st)
{
	if (st->closed)
		mock_fail("store closed twice");
	st->closed = 1;
}
