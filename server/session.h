/*
 * session.h - what the core offers a protocol module for one connection.
 *
 * Output: session_reply()/session_write() queue octets; the core sends them
 * in order and applies back-pressure (it stops reading the client while
 * too much is unsent).  Long replies (LIST of 100,000 messages) check
 * session_output_full() and resume from session_wait_drain().
 *
 * Asynchronous requests (login, store open/commit, message streaming) run
 * blocking work on the libuv threadpool.  While one is pending the core
 * hands the module no further lines; the callback is always called exactly
 * once, on the loop thread, unless the connection closes first, in which
 * case it is not called at all and the core cleans up the work's result
 * (a store opened for a dead session is closed without commit).
 */
#ifndef POLYPOP_SESSION_H
#define POLYPOP_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"

struct store;

/* --- identity and settings ------------------------------------------- */

uint64_t session_id(const struct session *s);
/* The listener's profile, "" when none (pop3/rfc1081@... gives "rfc1081"). */
const char *session_profile(const struct session *s);
/* This server's host name, for greetings. */
const char *session_hostname(const struct session *s);
/* "ADDR:PORT" of the client. */
const char *session_peer(const struct session *s);
/* A fresh RFC 822 msg-id style "<digits.digits@host>" for this
 * connection, for the APOP greeting (RFC 1939 §7). */
const char *session_apop_timestamp(const struct session *s);
/* The name session_login_*() authenticated, or NULL. */
const char *session_user(const struct session *s);

void *session_data(const struct session *s);
void session_set_data(struct session *s, void *data);

/* Log one line at info/warn level, prefixed with conn=ID proto=NAME and
 * user=NAME once logged in.  Never log a secret. */
void session_log(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void session_warn(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Trace the module's own state name ("AUTHORIZATION", ...) for --trace. */
void session_trace_state(struct session *s, const char *state);

/* --- output ---------------------------------------------------------- */

/* Queue LEN octets as they are. */
void session_write(struct session *s, const void *buf, size_t len);
/* Queue one formatted line and append CRLF.  Lines longer than 1,000
 * octets are truncated (no reply of ours is that long). */
void session_reply(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Nonzero when the module should stop producing output and wait. */
int session_output_full(const struct session *s);
/* Call CB once the output queue has drained below the low mark; no lines
 * are delivered meanwhile. */
void session_wait_drain(struct session *s, void (*cb)(struct session *s));
/* Close the connection once queued output has been sent.  No further
 * line() calls; close() follows. */
void session_close(struct session *s);

/*
 * Hand the session to module TO, from inside the current module's line()
 * handler, which must already have freed its own state (its close() is not
 * called).  The core calls TO->takeover(), then TO->line() with LINE, and
 * from then on the session belongs to TO (its max_line applies to the
 * following lines).  Returns -1, changing nothing, if TO has no takeover().
 */
int session_handoff(struct session *s, const struct proto_ops *to,
    const char *line, size_t len);

/* --- authentication -------------------------------------------------- */

enum session_login_result {
	SESSION_LOGIN_OK = 0,
	SESSION_LOGIN_FAIL = 1,		/* wrong user or secret (delayed) */
	SESSION_LOGIN_BADNAME = 2,	/* name unusable as a mailbox name */
	SESSION_LOGIN_ESCHEME = 3,	/* e.g. APOP with a hashed secret */
	SESSION_LOGIN_ETEMP = 4,	/* internal error */
};
typedef void session_login_cb(struct session *s, int result);

/* Check USER's PASSWORD through the auth layer.  A failure is reported
 * only after the configured delay (default 2 s), without blocking other
 * sessions.  The module should wipe its own copy of PASSWORD at once;
 * the core keeps its own until the check is done. */
void session_login_password(struct session *s, const char *user,
    const char *password, session_login_cb *cb);
/* APOP: DIGEST is checked against session_apop_timestamp(). */
void session_login_apop(struct session *s, const char *user,
    const char *digest, session_login_cb *cb);
/* RFC 1081 RPOP: USER's maildrop for REMOTE_USER on the client host.
 * Succeeds only if the connection comes from a reserved port (< 1024)
 * and the --rpop-trust map allows REMOTE_USER at the peer's address to
 * act as USER, and USER exists in the users file.  Same results and
 * failure delay as session_login_password(); with no trust map
 * configured the result is SESSION_LOGIN_FAIL (and a log line says
 * RPOP is disabled).  CB is called later from the loop, never from
 * inside this call. */
void session_login_rpop(struct session *s, const char *user,
    const char *remote_user, session_login_cb *cb);
/* Nonzero when --rpop-trust is configured. */
int session_rpop_enabled(const struct session *s);
/*
 * RFC 6856 §2.2: a module that announces "UTF8 USER" turns this on, and
 * from then on session_login_password() prepares the name and the
 * password with SASLprep (RFC 4013) as query strings, and
 * session_login_apop() the name as a query string and the stored secret
 * as a stored string; a name or password that cannot be prepared (a
 * prohibited character) fails like a wrong one.  Off by default: the
 * other protocols and profiles compare the octets as sent
 * (docs/auth.md).  SASL (session_sasl_*) always prepares.
 */
void session_set_saslprep(struct session *s, int on);
/*
 * RFC 1460 §13 and RFC 1725 §12: "must not allow both methods of access
 * for a given user".  A module speaking such a revision turns this on;
 * then a user whose users-file line has no apop= word logs in by PASS
 * only, and APOP is for the users marked apop=only.  Off (the default),
 * such a user may use either, as RFC 1939 §13's "should not" permits;
 * apop=only and apop=no are obeyed everywhere (docs/auth.md).  A refused
 * method fails like a wrong password, after the failure delay.
 */
void session_set_apop_exclusive(struct session *s, int on);

/*
 * Results only session_sasl_*() and the RFC 2449 LOGIN-DELAY check give.
 * SESSION_LOGIN_DELAY: the credentials were right but the user logged in
 * less than the login delay ago (RFC 2449 §8.1.1); the session stays
 * unauthenticated.  It is reported without the failure delay.
 */
enum {
	SESSION_LOGIN_DELAY = 5,
	SESSION_LOGIN_CONTINUE = 6,	/* send CHALLENGE, await a response */
	SESSION_LOGIN_BADMECH = 7,	/* mechanism unknown or not allowed
					 * here (immediate) */
	SESSION_LOGIN_BADB64 = 8,	/* the client's text is not base64
					 * (immediate; the exchange ends) */
};

/* --- SASL (RFC 4422; POP3 AUTH, RFC 1734 / RFC 5034) ------------------ */

/* The mechanisms this connection may use now, upper case, separated by
 * one space, strongest first ("SCRAM-SHA-256 SCRAM-SHA-1 CRAM-MD5 PLAIN
 * LOGIN").  PLAIN and LOGIN are left out while
 * session_plaintext_refused().  Static or session-owned text. */
const char *session_sasl_mechanisms(const struct session *s);

/*
 * RESULT is SESSION_LOGIN_*.  CHALLENGE is the base64 text to send after
 * "+ " (possibly ""), set only with SESSION_LOGIN_CONTINUE; valid during
 * the call.  A server's "additional data with success" (SCRAM's
 * server-final message) comes as a CONTINUE whose empty response then
 * yields OK: RFC 5034 §4 has POP3 send it as a challenge.  On OK the
 * session is the authenticated user's (session_user()), exactly as after
 * session_login_password().  FAIL, ESCHEME and ETEMP come after the
 * failure delay, like session_login_password()'s.
 */
typedef void session_sasl_cb(struct session *s, int result,
    const char *challenge);

/* Begin mechanism MECH (any case).  INITIAL is the client's initial
 * response as sent, base64 ("=" is an empty one, RFC 5034 §4), or NULL
 * when there is none.  CB is called later from the loop, never from
 * inside this call. */
void session_sasl_start(struct session *s, const char *mech,
    const char *initial, session_sasl_cb *cb);
/* The client's base64 RESPONSE line to the last challenge. */
void session_sasl_step(struct session *s, const char *response,
    session_sasl_cb *cb);
/* The longest line the core hands line() from the next one on, CRLF
 * included: MAX, capped at SESSION_LINE_MAX; 0 restores the module's
 * max_line.  For SASL responses, which RFC 5034 §4 lets exceed the
 * 255-octet command limit: "Clients and servers MUST be able to handle
 * the largest encoded challenges and responses generated by the
 * authentication mechanisms they support". */
#define SESSION_LINE_MAX	4000
void session_set_line_max(struct session *s, size_t max);
/* Forget the exchange in progress, if any (the client sent "*", or the
 * module leaves the state).  No callback follows. */
void session_sasl_abort(struct session *s);

/* --- TLS (RFC 2595 STLS, RFC 8314 implicit TLS) ----------------------- */

/* Nonzero once the connection is encrypted: an implicit-TLS (pop3s)
 * listener, or after session_starttls() succeeded. */
int session_tls_active(const struct session *s);
/* Nonzero when session_starttls() may be offered: the server has a
 * certificate and the connection is not encrypted yet. */
int session_tls_available(const struct session *s);
/* Nonzero while passwords sent in the clear must be refused: the
 * listener was given `plaintext-auth=tls` and TLS is not active.  USER/
 * PASS and the PLAIN and LOGIN mechanisms are then refused. */
int session_plaintext_refused(const struct session *s);

typedef void session_tls_cb(struct session *s);
/*
 * Begin the TLS handshake.  What the module queued before this call (the
 * "+OK Begin TLS negotiation" line) is sent in the clear first.  Every
 * octet the client sent after the line that asked for TLS is discarded
 * unread (RFC 2595 §4; the CVE-2011-0411 class of command injection).  No
 * lines are delivered during the handshake; CB is called once it has
 * succeeded, and from then on input and output are encrypted.  If it
 * fails the core logs why and closes the connection: close() follows and
 * CB is never called.
 */
void session_starttls(struct session *s, session_tls_cb *cb);

/* --- site policy (RFC 2449 §6.5 LOGIN-DELAY, §6.7 EXPIRE) ------------- */

#define SESSION_EXPIRE_NEVER	(-1L)
struct session_policy {
	/* Minimum retention in days: SESSION_EXPIRE_NEVER (the default), 0
	 * (messages retrieved with RETR are deleted when the session
	 * commits), or N > 0 (messages that arrived more than N days ago are
	 * deleted when the session commits). */
	long expire_days;
	/* Seconds after a successful login before the same user may log in
	 * again; 0 = no delay (the default). */
	unsigned login_delay;
};
/* The policy in force: the server's before login, the user's after. */
void session_policy(const struct session *s, struct session_policy *out);

/* --- mailbox --------------------------------------------------------- */

/* ERR is a STORE_E* code (0 on success); MSG is a human-readable reason
 * or NULL. */
typedef void session_store_cb(struct session *s, int err, struct store *st,
    const char *msg);
typedef void session_done_cb(struct session *s, int err, const char *msg);

/* Open FOLDER (NULL = INBOX) of the logged-in user.  On success the module
 * owns ST and releases it with store_close() (cheap, may be called on the
 * loop) in its close() or when it is done. */
void session_store_open(struct session *s, const char *folder,
    session_store_cb *cb);
/* store_commit() on the threadpool. */
void session_store_commit(struct session *s, struct store *st,
    session_done_cb *cb);

/*
 * RFC 1082 discussion groups ("bboards"): the folders of the --bboards
 * location (docs/bboards.md), shared by every user and read-only.  A
 * group NAME is ALPHA *(ALPHA / DIGIT / "-"), at most
 * SESSION_BBOARD_NAME_MAX characters, recognised in any case; its
 * archive maildrop is the folder NAME.archive.  With no --bboards there
 * are no groups.  Both requests follow the rules at the top of this file
 * (callback once, on the loop, never for a dead session).
 */
#define SESSION_BBOARD_NAME_MAX	64
/* At most this many groups are listed (the first in byte order). */
#define SESSION_BBOARD_MAX	1000

struct session_bboard {
	const char *name;	/* the group's own spelling */
	/* RFC 1082 MAXIMA: the number of messages in the group's maildrop
	 * (each message's maxima is its 1-based position). */
	uint64_t maxima;
	/* The archive maildrop's folder name, or NULL (none, unreadable, or
	 * not asked for). */
	const char *archive;
};

/* GROUPS (N entries, valid only during the call) or ERR, a STORE_E*
 * code, when the location could not be listed. */
typedef void session_bboard_list_cb(struct session *s, int err,
    const struct session_bboard *groups, size_t n);

/* NAME == NULL: every group whose maildrop can be read, in byte order,
 * archive always NULL.  NAME != NULL: only that group (any case), N = 0
 * when there is none, with its archive looked up. */
void session_bboard_list(struct session *s, const char *name,
    session_bboard_list_cb *cb);

/* ERR is a STORE_E* code (STORE_ENOFOLDER: no such group or archive);
 * on success NAME is the group's own spelling (valid during the call)
 * and the module owns ST as after session_store_open(). */
typedef void session_bboard_cb(struct session *s, int err, struct store *st,
    const char *name, const char *msg);

/* Open GROUP's maildrop (ARCHIVE: its archive maildrop) as a read-only
 * snapshot, store_open_shared(): no maildrop lock, so any number of
 * sessions read a group at once, and store_is_readonly(ST) is true. */
void session_bboard_open(struct session *s, const char *group, int archive,
    session_bboard_cb *cb);

struct session_msg_opts {
	/* Sent before the first octet of the message, only if the message
	 * can be opened: "+OK 1234 octets\r\n".  May be NULL. */
	const char *preamble;
	/* POP3: byte-stuff lines beginning with '.' and finish with the
	 * termination line ".\r\n" (RFC 1939 §3). */
	int dot_stuff;
	/* -1: the whole message.  N >= 0: the header, the blank line after
	 * it, and at most N lines of the body (RFC 1939 §7 TOP). */
	long body_lines;
	/* RFC 6856 §2.1: before the preamble, look at the header section
	 * (msghdr_scan in msgfilter.h, bounded by MSGHDR_SCAN_MAX); if it
	 * holds an octet >= 0x80, send nothing and call CB with
	 * SESSION_E8BITHDR. */
	int refuse_8bit_header;
};

/* The done callback's error for refuse_8bit_header; not a STORE_E*
 * code. */
#define SESSION_E8BITHDR	(-100)

/* Stream message I of ST.  CB(err=0) once everything is queued.  If the
 * message cannot be opened, CB gets the error and nothing was sent.  If
 * reading fails midway the reply cannot be repaired: the core logs it and
 * closes the connection (close() follows, CB is not called). */
void session_send_message(struct session *s, struct store *st, size_t i,
    const struct session_msg_opts *opts, session_done_cb *cb);

#endif /* POLYPOP_SESSION_H */
