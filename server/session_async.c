/*
 * session_async.c - the blocking work a module asks for, on the libuv
 * threadpool: password checks (crypt is slow on purpose), opening and
 * committing a mailbox, and streaming a message in bounded chunks.
 *
 * Every request bumps s->pending (no lines reach the module meanwhile) and
 * s->work (the session is not freed and the module's close() is not run
 * while a worker may touch its store).  The after-work callback runs on
 * the loop; if the session died meanwhile it only cleans up.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "log.h"
#include "msgfilter.h"
#include "server.h"
#include "store.h"

/* Read this much of a message per threadpool round trip. */
#define STREAM_CHUNK	(64 * 1024)

static void
async_begin(struct session *s)
{
	s->pending++;
	s->work++;
}

/* The work is over; returns 1 if the module may be called back. */
static int
async_end(struct session *s)
{
	s->work--;
	s->pending--;
	if (s->dead) {
		conn_maybe_free(s);
		return 0;
	}
	return 1;
}

/* --- login ----------------------------------------------------------- */

enum login_kind { LOGIN_PASSWORD, LOGIN_APOP };

struct login_req {
	uv_work_t work;
	struct session *s;
	enum login_kind kind;
	struct auth_user *u;	/* NULL: unknown user */
	char *name;
	char *secret;		/* password or APOP digest; wiped */
	char *timestamp;
	int badname;
	int result;		/* enum auth_result */
	session_login_cb *cb;
};

static void
login_req_free(struct login_req *r)
{
	if (r->secret != NULL) {
		auth_wipe(r->secret, strlen(r->secret));
		free(r->secret);
	}
	if (r->u != NULL)
		auth_user_free(r->u);
	free(r->name);
	free(r->timestamp);
	free(r);
}

static void
login_work(uv_work_t *w)
{
	struct login_req *r = w->data;
	const struct auth_user *u = r->badname ? NULL : r->u;

	if (r->kind == LOGIN_APOP)
		r->result = u == NULL ? AUTH_FAIL :
		    auth_check_apop(u, r->timestamp, r->secret);
	else
		r->result = auth_check_password(u, r->secret);
}

static void
login_report(struct session *s, struct login_req *r, int result)
{
	session_login_cb *cb = r->cb;

	login_req_free(r);
	s->pending--;
	cb(s, result);
	conn_after_async(s);
}

static void
login_delay_done(uv_timer_t *t)
{
	struct session *s = t->data;
	struct login_req *r = s->login_pending;
	int result;

	s->login_pending = NULL;
	switch (r->result) {
	case AUTH_ESCHEME:
		result = SESSION_LOGIN_ESCHEME;
		break;
	case AUTH_EINTERNAL:
		result = SESSION_LOGIN_ETEMP;
		break;
	default:
		result = r->badname ? SESSION_LOGIN_BADNAME :
		    SESSION_LOGIN_FAIL;
	}
	login_report(s, r, result);
}

static void
login_after(uv_work_t *w, int status)
{
	struct login_req *r = w->data;
	struct session *s = r->s;

	s->work--;
	if (s->dead) {
		s->pending--;
		login_req_free(r);
		conn_maybe_free(s);
		return;
	}
	if (status == 0 && r->result == AUTH_OK && !r->badname) {
		free(s->user);
		free(s->home);
		s->user = strdup(r->name);
		s->home = strdup(r->u->home ? r->u->home : "");
		if (s->user == NULL || s->home == NULL) {
			login_report(s, r, SESSION_LOGIN_ETEMP);
			return;
		}
		session_log(s, "event=login method=%s",
		    r->kind == LOGIN_APOP ? "apop" : "password");
		login_report(s, r, SESSION_LOGIN_OK);
		return;
	}
	/* The same delay and reply for every failure, so that neither
	 * timing nor text tells an attacker which names exist. */
	log_info("conn=%llu proto=%s event=login-failed method=%s",
	    (unsigned long long)s->id, s->proto->name,
	    r->kind == LOGIN_APOP ? "apop" : "password");
	s->login_pending = r;
	uv_timer_start(&s->delay, login_delay_done,
	    s->srv->opt->auth_fail_delay_ms, 0);
}

static void
login_start(struct session *s, enum login_kind kind, const char *user,
    const char *secret, session_login_cb *cb)
{
	struct login_req *r;
	const struct auth_user *u;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto oom;
	r->s = s;
	r->kind = kind;
	r->cb = cb;
	r->name = strdup(user);
	r->secret = strdup(secret);
	r->timestamp = strdup(s->apop_ts);
	if (r->name == NULL || r->secret == NULL || r->timestamp == NULL)
		goto oom;
	r->badname = !store_user_name_ok(user, strlen(user));
	u = r->badname ? NULL : auth_db_lookup(s->srv->authdb, user);
	if (u != NULL && (r->u = auth_user_dup(u)) == NULL)
		goto oom;
	r->work.data = r;
	async_begin(s);
	if (uv_queue_work(s->srv->loop, &r->work, login_work,
	    login_after) != 0) {
		s->work--;
		s->pending--;
		goto oom;
	}
	return;
oom:
	if (r != NULL)
		login_req_free(r);
	cb(s, SESSION_LOGIN_ETEMP);
}

void
session_login_password(struct session *s, const char *user,
    const char *password, session_login_cb *cb)
{
	login_start(s, LOGIN_PASSWORD, user, password, cb);
}

void
session_login_apop(struct session *s, const char *user, const char *digest,
    session_login_cb *cb)
{
	login_start(s, LOGIN_APOP, user, digest, cb);
}


/* --- store open and commit -------------------------------------------- */

struct store_req {
	uv_work_t work;
	struct session *s;
	struct store *st;
	char *folder;
	char *user, *home;
	int err;
	char msg[256];
	session_store_cb *open_cb;
	session_done_cb *done_cb;
};

static void
store_open_work(uv_work_t *w)
{
	struct store_req *r = w->data;
	struct store_user u = { r->user, r->home };

	r->err = store_open(&r->s->srv->loc, &u, r->folder, &r->st, r->msg,
	    sizeof(r->msg));
}

static void
store_req_free(struct store_req *r)
{
	free(r->folder);
	free(r->user);
	free(r->home);
	free(r);
}

static void
store_open_after(uv_work_t *w, int status)
{
	struct store_req *r = w->data;
	struct session *s = r->s;
	session_store_cb *cb = r->open_cb;
	struct store *st = r->err == 0 ? r->st : NULL;
	int err = status < 0 ? STORE_ETEMP : r->err;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", r->msg[0] ? r->msg :
	    store_strerror(err));
	store_req_free(r);
	if (!async_end(s)) {
		/* Nobody is left to own it: release the lock. */
		if (st != NULL)
			store_close(st);
		return;
	}
	if (err != 0)
		session_log(s, "event=store-open-failed reason=\"%s\"", msg);
	else
		session_log(s, "event=store-open messages=%zu",
		    store_count(st));
	cb(s, err, st, err ? msg : NULL);
	conn_after_async(s);
}

void
session_store_open(struct session *s, const char *folder,
    session_store_cb *cb)
{
	struct store_req *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL || s->user == NULL)
		goto fail;
	r->s = s;
	r->open_cb = cb;
	r->user = strdup(s->user);
	r->home = strdup(s->home ? s->home : "");
	if (r->user == NULL || r->home == NULL)
		goto fail;
	if (folder != NULL && (r->folder = strdup(folder)) == NULL)
		goto fail;
	r->work.data = r;
	async_begin(s);
	if (uv_queue_work(s->srv->loop, &r->work, store_open_work,
	    store_open_after) == 0)
		return;
	s->work--;
	s->pending--;
fail:
	if (r != NULL)
		store_req_free(r);
	cb(s, s->user == NULL ? STORE_EINVAL : STORE_ENOMEM, NULL,
	    "internal error");
}

static void
store_commit_work(uv_work_t *w)
{
	struct store_req *r = w->data;

	r->err = store_commit(r->st, r->msg, sizeof(r->msg));
}

static void
store_commit_after(uv_work_t *w, int status)
{
	struct store_req *r = w->data;
	struct session *s = r->s;
	session_done_cb *cb = r->done_cb;
	int err = status < 0 ? STORE_ETEMP : r->err;
	char msg[256];

	snprintf(msg, sizeof(msg), "%s", r->msg[0] ? r->msg :
	    store_strerror(err));
	store_req_free(r);
	if (err != 0)
		log_warn("conn=%llu event=commit-failed reason=\"%s\"",
		    (unsigned long long)s->id, msg);
	if (!async_end(s))
		return;
	cb(s, err, err ? msg : NULL);
	conn_after_async(s);
}

void
session_store_commit(struct session *s, struct store *st, session_done_cb *cb)
{
	struct store_req *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		cb(s, STORE_ENOMEM, "out of memory");
		return;
	}
	r->s = s;
	r->st = st;
	r->done_cb = cb;
	r->work.data = r;
	async_begin(s);
	if (uv_queue_work(s->srv->loop, &r->work, store_commit_work,
	    store_commit_after) != 0) {
		s->work--;
		s->pending--;
		free(r);
		cb(s, STORE_ETEMP, "cannot queue work");
	}
}

/* --- message streaming --------------------------------------------------- */

struct msgstream {
	uv_work_t work;
	struct session *s;
	struct store *st;
	size_t idx;
	struct store_reader *r;
	struct msgfilter f;
	char *preamble;
	session_done_cb *cb;
	uint64_t sent;		/* message octets read so far */
	int opened;
	int started;		/* octets of the reply were queued */
	int err;
	int eof;
	int waiting;		/* for the output queue to drain */
	size_t len;
	char buf[STREAM_CHUNK];
};

static void stream_next(struct msgstream *m);

static void
stream_free(struct msgstream *m)
{
	if (m->r != NULL)
		store_reader_close(m->r);
	free(m->preamble);
	free(m);
}

/*
 * A dead session may still own requests that no callback will finish: a
 * failed login waiting out its delay, or a message stream parked until
 * the output drains (which never happens once the socket is closed).
 * conn.c calls this once no threadpool work is in flight and before the
 * module's close(), so the message reader is closed before its store.
 */
void
session_async_cleanup(struct session *s)
{
	if (s->login_pending != NULL) {
		login_req_free(s->login_pending);
		s->login_pending = NULL;
	}
	if (s->stream != NULL) {
		stream_free(s->stream);
		s->stream = NULL;
		s->pending--;
	}
}

static void
stream_work(uv_work_t *w)
{
	struct msgstream *m = w->data;
	ssize_t n;

	if (!m->opened) {
		m->err = store_reader_open(m->st, m->idx, &m->r);
		if (m->err != 0)
			return;
		m->opened = 1;
	}
	n = store_reader_read(m->r, m->buf, sizeof(m->buf));
	if (n < 0) {
		m->err = (int)n;
		return;
	}
	m->len = n;
	m->eof = n == 0;
}

/* Run the chunk through the filter straight into the output queue. */
static void
stream_emit(struct msgstream *m)
{
	char out[2 * 4096];
	size_t off = 0, used, n;

	while (off < m->len && !msgfilter_done(&m->f)) {
		n = msgfilter_run(&m->f, m->buf + off, m->len - off, &used,
		    out, sizeof(out));
		off += used;
		trace_body(m->s, out, n);
		session_write(m->s, out, n);
	}
}

static void
stream_finish(struct msgstream *m, int err)
{
	struct session *s = m->s;
	session_done_cb *cb = m->cb;
	char tail[8];
	size_t n;

	if (err == 0) {
		n = msgfilter_finish(&m->f, tail);
		trace_body(s, tail, n);
		session_write(s, tail, n);
		trace_note(s, "message %zu sent (%llu octets)", m->idx + 1,
		    (unsigned long long)m->sent);
	}
	s->stream = NULL;
	stream_free(m);
	s->pending--;
	cb(s, err, err ? store_strerror(err) : NULL);
	conn_after_async(s);
}

static void
stream_after(uv_work_t *w, int status)
{
	struct msgstream *m = w->data;
	struct session *s = m->s;
	int err = status < 0 ? STORE_ETEMP : m->err;

	s->work--;
	if (s->dead) {
		s->stream = NULL;
		s->pending--;
		stream_free(m);
		conn_maybe_free(s);
		return;
	}
	if (err != 0 && !m->started) {
		/* Nothing sent yet: the module can still answer -ERR. */
		stream_finish(m, err);
		return;
	}
	if (err != 0) {
		/* Half a message cannot be taken back: end the session
		 * rather than let the client store a truncated message. */
		session_warn(s, "event=read-failed msg=%zu reason=\"%s\"",
		    m->idx + 1, store_strerror(err));
		s->stream = NULL;
		s->pending--;
		stream_free(m);
		conn_destroy(s);
		return;
	}
	m->started = 1;
	if (m->preamble != NULL) {
		trace_line(s, "S", m->preamble, strcspn(m->preamble, "\r\n"));
		session_write(s, m->preamble, strlen(m->preamble));
		free(m->preamble);
		m->preamble = NULL;
	}
	if (m->eof || msgfilter_done(&m->f)) {
		stream_finish(m, 0);
		return;
	}
	m->sent += m->len;
	stream_emit(m);
	if (m->eof || msgfilter_done(&m->f)) {
		stream_finish(m, 0);
		return;
	}
	if (session_output_full(s)) {
		/* Back-pressure: a slow reader of a large RETR never makes
		 * us buffer the message; conn.c calls msgstream_drain(). */
		m->waiting = 1;
		conn_flush(s);
		return;
	}
	conn_flush(s);
	stream_next(m);
}

static void
stream_next(struct msgstream *m)
{
	struct session *s = m->s;

	m->len = 0;
	s->work++;
	if (uv_queue_work(s->srv->loop, &m->work, stream_work,
	    stream_after) != 0) {
		s->work--;
		s->stream = NULL;
		s->pending--;
		stream_free(m);
		conn_destroy(s);
	}
}

void
msgstream_drain(struct session *s)
{
	struct msgstream *m = s->stream;

	if (m != NULL && m->waiting) {
		m->waiting = 0;
		stream_next(m);
	}
}

void
session_send_message(struct session *s, struct store *st, size_t i,
    const struct session_msg_opts *o, session_done_cb *cb)
{
	struct msgstream *m;

	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		cb(s, STORE_ENOMEM, "out of memory");
		return;
	}
	m->s = s;
	m->st = st;
	m->idx = i;
	m->cb = cb;
	msgfilter_init(&m->f, o->dot_stuff, o->body_lines);
	if (o->preamble != NULL && (m->preamble = strdup(o->preamble)) ==
	    NULL) {
		free(m);
		cb(s, STORE_ENOMEM, "out of memory");
		return;
	}
	s->stream = m;
	s->pending++;
	m->work.data = m;
	stream_next(m);
}
