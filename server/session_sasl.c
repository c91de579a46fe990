/*
 * session_sasl.c - POP3 AUTH's SASL exchanges (RFC 4422, RFC 5034) for a
 * session: the engine in auth/sasl.c, run on the libuv threadpool.
 *
 * One exchange per session (s->sasl).  Each client message is decoded and
 * its user looked up on the loop (the user table may be replaced by
 * SIGHUP, so workers never read it), then the step runs on a worker (a
 * PLAIN or LOGIN step costs a crypt(3) or PBKDF2).  While a step is in
 * flight s->pending holds the module's lines and s->work keeps the
 * session alive; a dead session's step only frees itself.  The exchange
 * ends in session_async.c's login path (login_sasl_finish), which every
 * other login shares: LOGIN-DELAY, the failure delay, the log line.
 *
 * SCRAM's server-final message is "additional data with success":
 * RFC 5034 §4 has POP3 send it as a challenge, so the exchange is kept
 * until the client's empty response, and only then is the user in.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "sasl.h"
#include "server.h"
#include "session_login.h"
#include "store.h"

enum sasl_req_state {
	SASL_REQ_IDLE,		/* waiting for the client */
	SASL_REQ_RUNNING,	/* a step on the threadpool */
	SASL_REQ_FINAL,		/* server-final sent, waiting for "" */
};

struct sasl_req {
	uv_work_t		 work;
	struct session		*s;
	struct sasl_exchange	*x;
	enum sasl_req_state	 state;
	int			 aborted;	/* abort while running */
	int			 result;	/* enum sasl_result */
	char			*out;
	session_sasl_cb		*cb;
};

static void
sasl_req_free(struct sasl_req *q)
{
	if (q == NULL)
		return;
	sasl_free(q->x);
	free(q->out);
	free(q);
}

const char *
session_sasl_mechanisms(const struct session *s)
{
	/* Strongest first (enum sasl_mech's order). */
	if (session_plaintext_refused(s))
		return "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5";
	return "SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN LOGIN";
}

static int
sasl_session_result(int r)
{
	switch (r) {
	case SASL_OK:
		return SESSION_LOGIN_OK;
	case SASL_ESCHEME:
		return SESSION_LOGIN_ESCHEME;
	case SASL_BADB64:
		return SESSION_LOGIN_BADB64;
	case SASL_EINTERNAL:
		return SESSION_LOGIN_ETEMP;
	default:
		return SESSION_LOGIN_FAIL;
	}
}

/* The exchange is over with RESULT (SESSION_LOGIN_*); the caller's
 * s->pending passes to login_sasl_finish(). */
static void
sasl_end(struct session *s, struct sasl_req *q, int result)
{
	struct auth_user	*u = NULL;
	const char		*mech = sasl_mech_name(sasl_mech(q->x));
	session_sasl_cb		*cb = q->cb;
	char			*name = NULL;

	if (result == SESSION_LOGIN_OK) {
		u = sasl_take_user(q->x);
		if (sasl_authid(q->x) != NULL &&
		    (name = strdup(sasl_authid(q->x))) == NULL) {
			auth_user_free(u);
			u = NULL;
			result = SESSION_LOGIN_ETEMP;
		}
	}
	if (s->sasl == q)
		s->sasl = NULL;
	sasl_req_free(q);
	login_sasl_finish(s, mech, name, u, result, cb);
	free(name);
}

static void
sasl_work(uv_work_t *w)
{
	struct sasl_req *q = w->data;

	q->result = sasl_step(q->x, &q->out);
}

static void
sasl_after(uv_work_t *w, int status)
{
	struct sasl_req	*q = w->data;
	struct session	*s = q->s;
	char		*out;

	s->work--;
	q->state = SASL_REQ_IDLE;
	if (s->dead || q->aborted) {
		if (s->sasl == q)
			s->sasl = NULL;
		sasl_req_free(q);
		s->pending--;
		if (s->dead)
			conn_maybe_free(s);
		else
			conn_after_async(s);
		return;
	}
	if (status < 0)
		q->result = SASL_EINTERNAL;
	if (q->result == SASL_CONTINUE ||
	    (q->result == SASL_OK && q->out != NULL)) {
		/* A challenge, or the success data RFC 5034 §4 sends as
		 * one.  The module may start, step or abort from inside
		 * the callback, so Q is not touched after it. */
		if (q->result == SASL_OK)
			q->state = SASL_REQ_FINAL;
		out = q->out;
		q->out = NULL;
		s->pending--;
		q->cb(s, SESSION_LOGIN_CONTINUE, out != NULL ? out : "");
		free(out);
		conn_after_async(s);
		return;
	}
	sasl_end(s, q, sasl_session_result(q->result));
}

/* Decode TEXT, look its user up, and run the step on a worker.  The
 * caller holds one s->pending for it. */
static void
sasl_run(struct session *s, struct sasl_req *q, const char *text,
    int initial)
{
	const struct auth_user	*au;
	struct auth_user	*u = NULL;
	const char		*name;
	int			 rc;

	rc = sasl_input(q->x, text, initial);
	if (rc != SASL_CONTINUE) {
		sasl_end(s, q, sasl_session_result(rc));
		return;
	}
	if ((name = sasl_user_wanted(q->x)) != NULL) {
		/* A name no mailbox could have is looked up as no one: the
		 * exchange then fails like any unknown user's. */
		au = store_user_name_ok(name, strlen(name)) ?
		    auth_db_lookup(s->srv->authdb, name) : NULL;
		if (au != NULL && (u = auth_user_dup(au)) == NULL) {
			sasl_end(s, q, SESSION_LOGIN_ETEMP);
			return;
		}
		sasl_set_user(q->x, u);
	}
	q->state = SASL_REQ_RUNNING;
	q->work.data = q;
	s->work++;
	if (uv_queue_work(s->srv->loop, &q->work, sasl_work,
	    sasl_after) != 0) {
		s->work--;
		q->state = SASL_REQ_IDLE;
		sasl_end(s, q, SESSION_LOGIN_ETEMP);
	}
}

void
session_sasl_start(struct session *s, const char *mech, const char *initial,
    session_sasl_cb *cb)
{
	struct sasl_req	*q;
	int		 m;

	session_sasl_abort(s);
	s->pending++;
	m = sasl_mech_find(mech);
	if (m < 0 || (sasl_mech_cleartext(m) && session_plaintext_refused(s))) {
		login_sasl_finish(s, "none", NULL, NULL, SESSION_LOGIN_BADMECH,
		    cb);
		return;
	}
	if ((q = calloc(1, sizeof(*q))) == NULL ||
	    (q->x = sasl_new(m)) == NULL) {
		free(q);
		login_sasl_finish(s, sasl_mech_name(m), NULL, NULL,
		    SESSION_LOGIN_ETEMP, cb);
		return;
	}
	q->s = s;
	q->cb = cb;
	s->sasl = q;
	sasl_run(s, q, initial, 1);
}

void
session_sasl_step(struct session *s, const char *response,
    session_sasl_cb *cb)
{
	struct sasl_req	*q = s->sasl;

	s->pending++;
	if (q == NULL || q->state == SASL_REQ_RUNNING || response == NULL) {
		/* No exchange to continue: a module bug, not the client's. */
		login_sasl_finish(s, "none", NULL, NULL, SESSION_LOGIN_ETEMP,
		    cb);
		return;
	}
	q->cb = cb;
	if (q->state == SASL_REQ_FINAL) {
		/* RFC 5034 §4: the client answers the success data with an
		 * empty response; anything else ends the exchange. */
		sasl_end(s, q, response[0] == '\0' ||
		    strcmp(response, "=") == 0 ? SESSION_LOGIN_OK :
		    SESSION_LOGIN_FAIL);
		return;
	}
	sasl_run(s, q, response, 0);
}

void
session_sasl_abort(struct session *s)
{
	struct sasl_req	*q = s->sasl;

	if (q == NULL)
		return;
	s->sasl = NULL;
	if (q->state == SASL_REQ_RUNNING)
		q->aborted = 1;		/* sasl_after() frees it */
	else
		sasl_req_free(q);
}

void
session_sasl_cleanup(struct session *s)
{
	/* No work in flight: nothing else refers to it. */
	sasl_req_free(s->sasl);
	s->sasl = NULL;
}
