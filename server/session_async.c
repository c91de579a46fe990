/*
 * session_async.c - the blocking work a module asks for, on the libuv
 * threadpool: password checks (crypt is slow on purpose), opening and
 * committing a mailbox, and streaming a message in bounded chunks.
 *
 * RFC 1082 discussion groups (bboard_scan.h) are listed and opened the
 * same way, read-only and without a maildrop lock.
 *
 * Every request bumps s->pending (no lines reach the module meanwhile) and
 * s->work (the session is not freed and the module's close() is not run
 * while a worker may touch its store).  The after-work callback runs on
 * the loop; if the session died meanwhile it only cleans up.
 *
 * RPOP (RFC 1081) needs no worker: its check is a map lookup on the loop.
 * It still answers through the same delay timer as a failed password, so
 * its result arrives the same way and as late.
 *
 * Every way of logging in (password, APOP, RPOP, SASL from
 * session_sasl.c) ends in one struct login_req and one path: success
 * goes through login_accept() (store name check, RFC 2449 LOGIN-DELAY,
 * the session becomes the user's), failure through login_fail_later()
 * (the failure delay, the same for every method and reason).  A method
 * the user may not use (login_method_refused(): apop=only / apop=no)
 * is a failure too, decided after the check so that it costs the same.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "bboard_scan.h"
#include "log.h"
#include "login_delay.h"
#include "msgfilter.h"
#include "rpop.h"
#include "server.h"
#include "session_login.h"
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

enum login_kind { LOGIN_PASSWORD, LOGIN_APOP, LOGIN_RPOP, LOGIN_SASL };

struct login_req {
	uv_work_t work;
	struct session *s;
	enum login_kind kind;
	struct auth_user *u;	/* NULL: unknown user */
	char *name;
	char *secret;		/* password or APOP digest; wiped; NULL
				 * for RPOP and SASL */
	char *timestamp;
	const char *mech;	/* SASL: the mechanism's name (static) */
	int badname;
	unsigned check_flags;	/* AUTH_CHECK_* */
	int result;		/* enum auth_result */
	int fixed;		/* >= 0: report this SESSION_LOGIN_* as is */
	session_login_cb *cb;
	session_sasl_cb *sasl_cb;	/* SASL: instead of CB */
};

/*
 * RFC 2449 LOGIN-DELAY: the last successful login of each user.  One
 * table for the process (the loop is the only thread that touches it),
 * made on first use; a restart forgets it (login_delay.h).
 */
static struct login_delay *login_delays;

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
		    auth_check_apop_ex(u, r->timestamp, r->secret,
		    r->check_flags);
	else
		r->result = auth_check_password_ex(u, r->secret,
		    r->check_flags);
}

static void
login_report(struct session *s, struct login_req *r, int result)
{
	session_login_cb *cb = r->cb;
	session_sasl_cb *scb = r->sasl_cb;

	login_req_free(r);
	s->pending--;
	if (scb != NULL)
		scb(s, result, NULL);
	else
		cb(s, result);
	conn_after_async(s);
}

static void login_accept(struct session *s, struct login_req *r);

/* The delay is over: report R's outcome (or accept it: RPOP and SASL
 * successes come here after a zero delay, so that their callback never
 * runs inside the module's call). */
static void
login_delay_done(uv_timer_t *t)
{
	struct session *s = t->data;
	struct login_req *r = s->login_pending;
	int result;

	s->login_pending = NULL;
	if (r->fixed >= 0) {
		login_report(s, r, r->fixed);
		return;
	}
	if (r->result == AUTH_OK && !r->badname) {
		login_accept(s, r);
		return;
	}
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

static const char *
login_method(const struct login_req *r)
{
	switch (r->kind) {
	case LOGIN_APOP:
		return "apop";
	case LOGIN_RPOP:
		return "rpop";
	case LOGIN_SASL:
		return "sasl";
	case LOGIN_PASSWORD:
		break;
	}
	return "password";
}

/* A client-supplied name made safe for one log field. */
static const char *rpop_log_name(char *buf, size_t size, const char *name);

/*
 * RFC 2449 §8.1.1: right credentials, but too soon after this user's
 * last login.  The session stays unauthenticated, no failure delay, and
 * the stamp does not move (login_delay_check()).  1 if refused.
 */
static int
login_too_soon(struct session *s, struct login_req *r)
{
	unsigned delay = s->srv->opt->login_delay;
	char lname[72];
	int rc;

	if (delay == 0)
		return 0;
	if (login_delays == NULL && (login_delays = login_delay_new()) ==
	    NULL) {
		login_report(s, r, SESSION_LOGIN_ETEMP);
		return 1;
	}
	rc = login_delay_check(login_delays, r->name, delay,
	    uv_now(s->srv->loop));
	if (rc == LOGIN_DELAY_ALLOW)
		return 0;
	if (rc == LOGIN_DELAY_REFUSE)
		session_log(s, "event=login-refused reason=login-delay "
		    "method=%s login_user=%s delay=%u", login_method(r),
		    rpop_log_name(lname, sizeof(lname), r->name), delay);
	login_report(s, r, rc == LOGIN_DELAY_REFUSE ? SESSION_LOGIN_DELAY :
	    SESSION_LOGIN_ETEMP);
	return 1;
}

/*
 * Why R's user may not log in by R's method although the check passed,
 * or NULL.  RFC 1460 §13, RFC 1725 §12 (MUST NOT), RFC 1939 §13 (SHOULD
 * NOT): a user logs in by PASS or by APOP, not both.  The users file's
 * apop= says which (auth.h); without it the listener decides
 * (session_set_apop_exclusive()).  An APOP-only user's password never
 * travels in the clear: USER/PASS, the POP1 and POP2 logins, and AUTH
 * PLAIN and LOGIN are refused, while CRAM-MD5 and SCRAM, which send no
 * password either, stay open.
 */
static const char *
login_method_refused(const struct session *s, const struct login_req *r)
{
	enum auth_apop a = r->u->apop;

	switch (r->kind) {
	case LOGIN_APOP:
		if (a == AUTH_APOP_NO ||
		    (a == AUTH_APOP_DEFAULT && s->apop_exclusive))
			return "no-apop";
		break;
	case LOGIN_PASSWORD:
		if (a == AUTH_APOP_ONLY)
			return "apop-only";
		break;
	case LOGIN_SASL:
		if (a == AUTH_APOP_ONLY && r->mech != NULL &&
		    (strcmp(r->mech, "PLAIN") == 0 ||
		    strcmp(r->mech, "LOGIN") == 0))
			return "apop-only";
		break;
	case LOGIN_RPOP:	/* no password on the wire */
		break;
	}
	return NULL;
}

static void login_fail_later(struct session *s, struct login_req *r);

/* R succeeded: the session is USER's from now on (every method). */
static void
login_accept(struct session *s, struct login_req *r)
{
	const char *why;

	if ((why = login_method_refused(s, r)) != NULL) {
		/* The reply is a wrong password's: telling the client
		 * that the password was right would help a guesser. */
		session_log(s, "event=login-refused reason=%s method=%s", why,
		    login_method(r));
		r->result = AUTH_FAIL;
		login_fail_later(s, r);
		return;
	}
	if (login_too_soon(s, r))
		return;
	free(s->user);
	free(s->home);
	s->user = strdup(r->name);
	s->home = strdup(r->u->home ? r->u->home : "");
	if (s->user == NULL || s->home == NULL) {
		login_report(s, r, SESSION_LOGIN_ETEMP);
		return;
	}
	if (r->kind == LOGIN_SASL)
		session_log(s, "event=login method=sasl mech=%s", r->mech);
	else
		session_log(s, "event=login method=%s", login_method(r));
	login_report(s, r, SESSION_LOGIN_OK);
}

/* R failed: the same delay and reply for every failure, so that neither
 * timing nor text tells an attacker which names exist. */
static void
login_fail_later(struct session *s, struct login_req *r)
{
	if (r->kind == LOGIN_SASL)
		log_info("conn=%llu proto=%s event=login-failed method=sasl "
		    "mech=%s", (unsigned long long)s->id, s->proto->name,
		    r->mech);
	else
		log_info("conn=%llu proto=%s event=login-failed method=%s",
		    (unsigned long long)s->id, s->proto->name,
		    login_method(r));
	s->login_pending = r;
	uv_timer_start(&s->delay, login_delay_done,
	    s->srv->opt->auth_fail_delay_ms, 0);
}

/* Report R's outcome on a later loop turn, without the failure delay. */
static void
login_later(struct session *s, struct login_req *r)
{
	s->login_pending = r;
	uv_timer_start(&s->delay, login_delay_done, 0, 0);
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
		login_accept(s, r);
		return;
	}
	if (status != 0)
		r->result = AUTH_EINTERNAL;
	login_fail_later(s, r);
}

static void
login_start(struct session *s, enum login_kind kind, const char *user,
    const char *secret, session_login_cb *cb)
{
	struct login_req *r;
	const struct auth_user *u;
	int rc;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto oom;
	r->s = s;
	r->fixed = -1;
	r->kind = kind;
	r->cb = cb;
	r->secret = strdup(secret);
	r->timestamp = strdup(s->apop_ts);
	if (r->secret == NULL || r->timestamp == NULL)
		goto oom;
	if (s->saslprep) {
		/* RFC 6856 §2.2: the name is a query string; one that
		 * cannot be prepared (a prohibited character) is refused
		 * like a name no mailbox could have.  The password is
		 * prepared by the check (AUTH_CHECK_SASLPREP). */
		r->check_flags = AUTH_CHECK_SASLPREP;
		rc = auth_saslprep(user, AUTH_PREP_QUERY, &r->name);
		if (rc == AUTH_EINTERNAL)
			goto oom;
		if (rc != AUTH_OK) {
			r->badname = 1;
			r->name = strdup(user);
		}
	} else
		r->name = strdup(user);
	if (r->name == NULL)
		goto oom;
	r->badname = r->badname ||
	    !store_user_name_ok(r->name, strlen(r->name));
	u = r->badname ? NULL : auth_db_lookup(s->srv->authdb, r->name);
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

/* --- RPOP (RFC 1081, RFC 1225) ------------------------------------------- */

/* A client-supplied name made safe for one log field: at most 64
 * octets, printable ASCII other than '"' and '\\', the rest as '?'. */
static const char *
rpop_log_name(char *buf, size_t size, const char *name)
{
	size_t	 i;

	for (i = 0; name[i] != '\0' && i + 1 < size && i < 64; i++)
		buf[i] = name[i] > 0x20 && name[i] < 0x7f && name[i] != '"' &&
		    name[i] != '\\' ? name[i] : '?';
	buf[i] = '\0';
	return buf;
}

static const char rpop_oom[] = "out of memory";

/* Why this RPOP attempt is refused, or NULL; fills R->u when not. */
static const char *
rpop_check(struct session *s, struct login_req *r, const char *remote_user)
{
	const struct rpop_map *map = s->srv->opt->rpop_map;
	const struct auth_user *u;
	struct sockaddr_storage ss;
	unsigned char addr[16];
	unsigned port;
	int sslen = sizeof(ss);

	if (map == NULL)
		return "disabled";
	r->badname = !store_user_name_ok(r->name, strlen(r->name));
	if (r->badname)
		return "bad user name";
	/* The kernel's view of the peer, not the text made of it. */
	if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&ss, &sslen) != 0 ||
	    rpop_addr_from_sockaddr((struct sockaddr *)&ss, addr, &port) != 0)
		return "no peer address";
	/* RFC 1081: "the POP3 client must use a reserved TCP port (port <
	 * 1024)".  Port 0 is never a real source port. */
	if (port == 0 || port >= 1024)
		return "port not reserved";
	if (!rpop_allowed_addr(map, addr, remote_user, r->name))
		return "no rule";
	if ((u = auth_db_lookup(s->srv->authdb, r->name)) == NULL)
		return "unknown user";
	if ((r->u = auth_user_dup(u)) == NULL)
		return rpop_oom;
	return NULL;
}

void
session_login_rpop(struct session *s, const char *user,
    const char *remote_user, session_login_cb *cb)
{
	struct login_req *r;
	const char *why;
	char lname[72], rname[72];

	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup(user)) == NULL) {
		if (r != NULL)
			login_req_free(r);
		cb(s, SESSION_LOGIN_ETEMP);
		return;
	}
	r->s = s;
	r->fixed = -1;
	r->kind = LOGIN_RPOP;
	r->cb = cb;
	r->result = AUTH_FAIL;
	why = rpop_check(s, r, remote_user != NULL ? remote_user : "");
	if (why == rpop_oom) {
		login_req_free(r);
		cb(s, SESSION_LOGIN_ETEMP);
		return;
	}
	if (why == NULL)
		r->result = AUTH_OK;
	/* The reason goes to the log only; the client learns nothing but
	 * the result, after the usual delay. */
	session_log(s, "event=rpop-login result=%s%s%s%s peer=%s local_user=%s "
	    "remote_user=%s%s", why == NULL ? "ok" : "refused",
	    why != NULL ? " reason=\"" : "", why != NULL ? why : "",
	    why != NULL ? "\"" : "", s->peer,
	    rpop_log_name(lname, sizeof(lname), user),
	    rpop_log_name(rname, sizeof(rname),
	    remote_user != NULL ? remote_user : ""),
	    s->srv->opt->rpop_map == NULL ?
	    " (RPOP is disabled: no --rpop-trust)" : "");
	s->pending++;
	s->login_pending = r;
	uv_timer_start(&s->delay, login_delay_done, why == NULL ? 0 :
	    s->srv->opt->auth_fail_delay_ms, 0);
}

/* --- the end of a SASL exchange (session_sasl.c) --------------------------- */

void
login_sasl_finish(struct session *s, const char *mech, const char *name,
    struct auth_user *u, int result, session_sasl_cb *cb)
{
	struct login_req *r;

	r = calloc(1, sizeof(*r));
	if (r == NULL || (r->name = strdup(name != NULL ? name : "")) ==
	    NULL) {
		/* Nothing left to defer with: the one case where the
		 * callback comes at once. */
		free(r);
		auth_user_free(u);
		s->pending--;
		cb(s, SESSION_LOGIN_ETEMP, NULL);
		return;
	}
	r->s = s;
	r->kind = LOGIN_SASL;
	r->mech = mech;
	r->u = u;
	r->sasl_cb = cb;
	r->fixed = -1;
	r->result = AUTH_FAIL;
	switch (result) {
	case SESSION_LOGIN_OK:
		r->badname = !store_user_name_ok(r->name, strlen(r->name));
		if (u != NULL && !r->badname) {
			r->result = AUTH_OK;
			login_later(s, r);
			return;
		}
		break;
	case SESSION_LOGIN_BADMECH:
	case SESSION_LOGIN_BADB64:
		r->fixed = result;
		login_later(s, r);
		return;
	case SESSION_LOGIN_ESCHEME:
		r->result = AUTH_ESCHEME;
		break;
	case SESSION_LOGIN_ETEMP:
		r->result = AUTH_EINTERNAL;
		break;
	default:
		break;
	}
	login_fail_later(s, r);
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
	return s->srv->opt->rpop_map != NULL;
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

/* --- RFC 1082 discussion groups ----------------------------------------- */

/*
 * The work is bboard_scan.h's (shared with the test stand-in); here it
 * only runs on the threadpool with the usual guarantees.  The location
 * is srv->opt->bboards_loc, set by serve.c at start-up and never changed
 * while the loop runs; NULL means no groups.
 */
struct bboard_req {
	uv_work_t work;
	struct session *s;
	const struct store_location *loc;	/* NULL: --bboards unset */
	char *group;		/* NULL: list all */
	int archive;
	int open;		/* session_bboard_open(), else list */
	int err;
	struct store *st;
	char name[BBOARD_NAME_MAX + 1];
	struct bboard_info *info;
	size_t n, skipped;
	char msg[256];
	session_bboard_list_cb *list_cb;
	session_bboard_cb *open_cb;
};

static void
bboard_req_free(struct bboard_req *r)
{
	free(r->group);
	free(r->info);
	free(r);
}

static void
bboard_work(uv_work_t *w)
{
	struct bboard_req *r = w->data;

	if (r->open) {
		if (r->loc == NULL) {
			r->err = STORE_ENOFOLDER;
			snprintf(r->msg, sizeof(r->msg), "no --bboards");
			return;
		}
		r->err = bboard_open(r->loc, r->group, r->archive, &r->st,
		    r->name, r->msg, sizeof(r->msg));
	} else if (r->loc != NULL)
		r->err = bboard_list(r->loc, r->group, r->group != NULL,
		    &r->info, &r->n, &r->skipped);
}

static void
bboard_after(uv_work_t *w, int status)
{
	struct bboard_req *r = w->data;
	struct session *s = r->s;
	struct session_bboard *g = NULL;
	int err = status < 0 ? STORE_ETEMP : r->err;
	size_t i, n = 0;

	if (status < 0 && r->st != NULL) {
		store_close(r->st);
		r->st = NULL;
	}
	if (!async_end(s)) {
		/* Nobody is left to own it (no lock to release: shared). */
		if (r->st != NULL)
			store_close(r->st);
		bboard_req_free(r);
		return;
	}
	if (r->open) {
		if (err != 0)
			session_log(s, "event=bboard-open-failed group=\"%s\" "
			    "archive=%d reason=\"%s\"", r->group, r->archive,
			    r->msg[0] ? r->msg : store_strerror(err));
		else
			session_log(s, "event=bboard-open group=%s archive=%d "
			    "messages=%zu", r->name, r->archive,
			    store_count(r->st));
		r->open_cb(s, err, err == 0 ? r->st : NULL,
		    err == 0 ? r->name : NULL, err == 0 ? NULL :
		    r->msg[0] ? r->msg : store_strerror(err));
		bboard_req_free(r);
		conn_after_async(s);
		return;
	}
	if (err == 0 && r->n > 0 && (g = calloc(r->n, sizeof(*g))) == NULL)
		err = STORE_ENOMEM;
	if (err != 0)
		session_warn(s, "event=bboard-list-failed reason=\"%s\"",
		    store_strerror(err));
	else {
		n = r->n;
		for (i = 0; i < n; i++) {
			g[i].name = r->info[i].name;
			g[i].maxima = r->info[i].maxima;
			g[i].archive = r->info[i].archive[0] ?
			    r->info[i].archive : NULL;
		}
		if (r->skipped > 0)
			session_warn(s, "event=bboard-list-truncated listed=%zu "
			    "skipped=%zu (more than %d groups)", n, r->skipped,
			    BBOARD_MAX);
	}
	r->list_cb(s, err, g, n);
	free(g);
	bboard_req_free(r);
	conn_after_async(s);
}

static void
bboard_start(struct session *s, struct bboard_req *r, const char *group)
{
	r->s = s;
	r->loc = s->srv->opt->bboards_loc;
	if (group != NULL && (r->group = strdup(group)) == NULL)
		goto fail;
	r->work.data = r;
	async_begin(s);
	if (uv_queue_work(s->srv->loop, &r->work, bboard_work,
	    bboard_after) == 0)
		return;
	s->work--;
	s->pending--;
fail:
	if (r->open)
		r->open_cb(s, STORE_ENOMEM, NULL, NULL, "internal error");
	else
		r->list_cb(s, STORE_ENOMEM, NULL, 0);
	bboard_req_free(r);
}

void
session_bboard_list(struct session *s, const char *name,
    session_bboard_list_cb *cb)
{
	struct bboard_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		cb(s, STORE_ENOMEM, NULL, 0);
		return;
	}
	r->list_cb = cb;
	bboard_start(s, r, name);
}

void
session_bboard_open(struct session *s, const char *group, int archive,
    session_bboard_cb *cb)
{
	struct bboard_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL) {
		cb(s, STORE_ENOMEM, NULL, NULL, "out of memory");
		return;
	}
	r->open = 1;
	r->archive = archive != 0;
	r->open_cb = cb;
	bboard_start(s, r, group != NULL ? group : "");
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
	int check_hdr8;		/* refuse_8bit_header, not yet checked */
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
	session_sasl_cleanup(s);
	if (s->stream != NULL) {
		stream_free(s->stream);
		s->stream = NULL;
		s->pending--;
	}
}

/*
 * RFC 6856 §2.1: read the header section with a reader of its own (into
 * the chunk buffer, at most MSGHDR_SCAN_MAX octets plus one chunk) and
 * close it; the message is then streamed from its start as usual.
 */
static int
stream_hdr8(struct msgstream *m)
{
	struct store_reader *r;
	struct msghdr_scan h;
	ssize_t n;
	int err, res = -1;

	if ((err = store_reader_open(m->st, m->idx, &r)) != 0)
		return err;
	msghdr_scan_init(&h);
	while (res < 0) {
		n = store_reader_read(r, m->buf, sizeof(m->buf));
		if (n < 0) {
			store_reader_close(r);
			return (int)n;
		}
		res = n == 0 ? msghdr_scan_finish(&h) :
		    msghdr_scan_run(&h, m->buf, (size_t)n);
	}
	store_reader_close(r);
	return res > 0 ? SESSION_E8BITHDR : 0;
}

static void
stream_work(uv_work_t *w)
{
	struct msgstream *m = w->data;
	ssize_t n;

	if (!m->opened && m->check_hdr8) {
		m->check_hdr8 = 0;
		if ((m->err = stream_hdr8(m)) != 0)
			return;
	}
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
		trace_message(s, m->idx + 1, (unsigned long long)m->sent);
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
	m->check_hdr8 = o->refuse_8bit_header != 0;
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
