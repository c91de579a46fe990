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
};

/* Stream message I of ST.  CB(err=0) once everything is queued.  If the
 * message cannot be opened, CB gets the error and nothing was sent.  If
 * reading fails midway the reply cannot be repaired: the core logs it and
 * closes the connection (close() follows, CB is not called). */
void session_send_message(struct session *s, struct store *st, size_t i,
    const struct session_msg_opts *opts, session_done_cb *cb);

#endif /* POLYPOP_SESSION_H */
