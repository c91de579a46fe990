/*
 * testcore.h - a synchronous stand-in for server/ so a module's state
 * machine can be driven line by line; the store and auth layer are real.
 *
 * It is protocol-neutral: the module's struct proto_ops is a parameter of
 * testcore_new(), and session_handoff() switches it as server/conn.c does
 * (the shared port-109 listener hands a session to POP1 or POP2).
 *
 * It implements the session.h functions the module calls, and nothing of
 * store.h or auth.h: mailboxes are real Maildirs and mbox files opened
 * with store_open(), INBOX or a named folder (POP2 FOLD, POP1 RETR/RDEL
 * mailbox), RFC 1082 discussion groups are folders of a real location
 * opened with store_open_shared() (server/bboard_scan.h, the core's own
 * rules), and logins are checked by the real auth layer against a real
 * users file.  What it replaces is only the libuv loop: output goes to a
 * buffer; asynchronous requests (login, store open and commit, message
 * streaming, drain waits, discussion group listing and opening) are queued and completed by testcore_run(), the
 * way the loop would complete them later, by calling auth_check_*(),
 * store_open(), store_commit() and store_reader_*() directly.  No line is
 * handed to the module while one is pending (proto.h's rule).  Message
 * bodies go through server/msgfilter.c, the same filter the core uses, so
 * RETR and TOP output real octets.
 *
 * Back-pressure is simulated: with full_after set, the output counts as
 * full after that many replies since the last drain.
 *
 * It defines the session.h functions, so a test program links it instead
 * of server_lib, never with it.
 */
#ifndef POLYPOP_TESTCORE_H
#define POLYPOP_TESTCORE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "proto.h"
#include "session.h"
#include "store.h"

struct auth_db;

enum testcore_req {
	TESTCORE_NONE,
	TESTCORE_LOGIN,
	TESTCORE_OPEN,
	TESTCORE_COMMIT,
	TESTCORE_SEND,
	TESTCORE_DRAIN,
	TESTCORE_BBOARD_LIST,
	TESTCORE_BBOARD_OPEN,
	TESTCORE_SASL,
	TESTCORE_TLS,
};

/* Where the stand-in's SASL exchange stands (see session_sasl_*()). */
enum testcore_sasl {
	TESTCORE_SASL_IDLE,
	TESTCORE_SASL_PLAIN,		/* awaiting PLAIN's message */
	TESTCORE_SASL_LOGIN_USER,	/* LOGIN: awaiting the user name */
	TESTCORE_SASL_LOGIN_PASS,	/* ... and the password */
	TESTCORE_SASL_FINAL,		/* final data sent, awaiting "" */
};

/* The core's struct session is opaque to modules, so the stand-in can
 * define its own. */
struct session {
	void *data;
	char *out;
	size_t outlen, outcap;
	int closed;			/* session_close() was called */
	int destroyed;			/* the core dropped us */
	char state[32];			/* last session_trace_state() */

	/* The module that gets the lines; session_handoff() changes it. */
	const struct proto_ops *ops;

	/* Where mail lives and who may log in: both real. */
	const struct store_location *loc;
	const struct auth_db *db;
	char *user;			/* after a successful login */
	char *home;			/* the user's home, for %h */

	/* Simulated back-pressure: output is "full" after this many
	 * replies since the last drain (0: never full). */
	size_t full_after;
	size_t since_drain;
	size_t drains;

	/* The one pending request. */
	enum testcore_req req;
	session_login_cb *login_cb;
	session_store_cb *open_cb;
	session_done_cb *done_cb;
	void (*drain_cb)(struct session *);
	struct store *req_store;
	size_t send_index;
	struct session_msg_opts opts;
	char *preamble;			/* the core's own copy */
	char *folder;			/* of the pending open, NULL = INBOX */
	char last_folder[256];		/* last open's folder, "" = INBOX */

	/* What the module passed to session_login_*(); the secret is kept
	 * only so tests can check the module handed over the right one. */
	char login_user[256];
	char login_secret[256];
	int login_apop;
	int login_rpop;			/* session_login_rpop() */
	int saslprep;			/* session_set_saslprep() */
	int apop_exclusive;		/* session_set_apop_exclusive() */

	/* The listener's profile (session_profile()), "" by default; set
	 * before testcore_start(). */
	char profile[32];
	/* RPOP's trust map and reserved port, reduced to what a module
	 * can observe: NULL means RPOP is not configured; otherwise
	 * "REMOTE-USER LOCAL-USER" is the one rule that lets the login
	 * through (the real map is tested in server/auth/tests). */
	const char *rpop_rule;

	/* The auth layer's internal error (AUTH_EINTERNAL: out of memory,
	 * a libcrypto failure) cannot be caused from outside; this makes
	 * the next login report it, as the core would. */
	int auth_fault;

	/* Set by a test of a module that has only INBOX (POP3): a
	 * session_store_open() of a named folder then aborts the test. */
	int inbox_only;

	/* RFC 1082 discussion groups: the --bboards location (NULL: none),
	 * real folders listed and opened read-only by the same code the
	 * core runs (server/bboard_scan.h).  The pending request's group
	 * (NULL: list all) and archive flag. */
	const struct store_location *bboards;
	session_bboard_list_cb *bb_list_cb;
	session_bboard_cb *bb_open_cb;
	char *bb_group;
	int bb_archive;

	/*
	 * Issue 6's core services, simulated as the contract in session.h
	 * describes them.  SASL: the mechanisms are sasl_mechs (NULL:
	 * "PLAIN LOGIN", both left out while plaintext is refused); PLAIN
	 * (RFC 4616) and LOGIN really decode the client's base64 (strictly,
	 * RFC 5034 §4) and check the credentials with the real auth layer,
	 * as the core's GNU SASL callbacks would.  With sasl_final set, a
	 * success first sends it as a CONTINUE (SCRAM's server-final
	 * message) and the empty response then yields OK.  TLS: available
	 * with tls_cert until active; session_starttls() completes at the
	 * next run.  Policy: expire_days and login_delay (testcore_new()
	 * sets NEVER and 0); delay_next makes the next correct login
	 * answer SESSION_LOGIN_DELAY.
	 */
	const char *sasl_mechs;
	const char *sasl_final;
	enum testcore_sasl sasl;
	char sasl_mech[32];
	char *sasl_in;			/* pending initial response / step */
	int sasl_has_in;
	int sasl_badmech;		/* answer BADMECH at the next run */
	session_sasl_cb *sasl_cb;
	unsigned sasl_starts, sasl_steps, sasl_aborts;
	/* session_set_line_max(): 0 = the module's max_line. */
	size_t line_max;
	char sasl_last_in[SESSION_LINE_MAX];		/* what the module passed last */
	int tls_cert, tls_active, plaintext_tls_only;
	session_tls_cb *tls_cb;
	unsigned starttls;
	long expire_days;
	unsigned login_delay;
	int delay_next;

	/* What really happened, for assertions. */
	unsigned opens;			/* stores handed to the module */
	unsigned commits;		/* store_commit() calls */
	unsigned sends;			/* session_send_message() calls */
	int last_commit;		/* its result */
	int last_open;			/* last store_open() result */
	unsigned bb_lists;		/* session_bboard_list() requests */
	unsigned bb_opens;		/* groups handed to the module */
};

/*
 * store_arrival() until storage implements it (a weak definition, so the
 * real one wins once it is linked): message I's arrival is
 * testcore_arrival[I] (0 = unknown).  Tests that use it also set the
 * real files' times, which the real store_arrival() reads.
 */
#define TESTCORE_ARRIVALS	16
extern time_t testcore_arrival[TESTCORE_ARRIVALS];

/* A session of module OPS whose logins are checked against DB and whose
 * mailboxes are at LOC (all must outlive it).  Nothing is called yet:
 * the test calls testcore_start(), OPS->takeover() or OPS->refuse(). */
struct session *testcore_new(const struct store_location *loc,
    const struct auth_db *db, const struct proto_ops *ops);
/* The module's start(), as the core calls it on accept. */
int testcore_start(struct session *s);
/* Free S without calling the module (after the test called close()). */
void testcore_free(struct session *s);
/* The core dropping the connection: a pending request dies with it (its
 * callback is not called, session.h), the module's close(), then free. */
void testcore_drop(struct session *s);
/* Complete pending requests (and drain waits) until none is left. */
void testcore_run(struct session *s);
/* Complete only the one pending request (its callback may queue the
 * next), to look at a session between two of its requests. */
void testcore_step_once(struct session *s);
/* Hand one line to the module, as conn_process() would, then run. */
void testcore_line(struct session *s, const char *line);
/* The same with an explicit length (lines with NUL octets). */
void testcore_line_len(struct session *s, const char *line, size_t len);
/* The output so far (NUL-terminated, owned by S) and its length. */
const char *testcore_output(const struct session *s);
size_t testcore_output_len(const struct session *s);
void testcore_clear(struct session *s);

#endif /* POLYPOP_TESTCORE_H */
