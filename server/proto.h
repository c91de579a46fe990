/*
 * proto.h - what a protocol module gives the core.
 *
 * Each module (protocols/pop3, later pop2 and pop1) exports exactly one
 * const struct proto_ops; server/ knows nothing else about it.  The core
 * owns the socket, the bounded line reader, the output queue, timers and
 * the threadpool; the module owns its state machine and reply wording.
 *
 * Rules the core guarantees to a module:
 *  - start() is called once, before any other callback.
 *  - line() gets one complete line at a time, without its CRLF or LF,
 *    never longer than max_line - 1 octets (a bare-LF line) and never
 *    containing LF.  No
 *    other line() call is made while an asynchronous session_*() request of
 *    this session is pending (so handlers never see pipelined commands out
 *    of order), nor while session_wait_drain() waits.
 *  - close() is called exactly once, last; after it the module must not
 *    touch the session.  A dropped connection reaches close() too: the
 *    module releases its store there *without* committing (RFC 1939 §6).
 */
#ifndef POLYPOP_PROTO_H
#define POLYPOP_PROTO_H

#include <stddef.h>

struct session;

/* One row of a module's command table, for help text and generated docs. */
struct proto_command_doc {
	const char *name;	/* "TOP" */
	const char *usage;	/* "TOP msg n" */
	const char *states;	/* "TRANSACTION" */
	const char *section;	/* "RFC 1939 §7" */
	const char *reply;	/* positive reply form, "+OK nn mm"; or NULL */
	const char *summary;	/* what it does, one line; or NULL */
	int optional;		/* the RFC lists it as optional */
};

/* One edge of a module's state diagram: FROM --LABEL--> TO.  State names
 * are the RFC's ("AUTHORIZATION"); "start" and "end" stand for before the
 * greeting and after the connection closes. */
struct proto_edge_doc {
	const char *from;
	const char *to;
	const char *label;	/* "PASS +OK" */
};

struct proto_ops {
	const char *name;		/* "pop3", as in --listen pop3@... */
	unsigned default_port;		/* 110, 109, ... (for docs, demo) */
	size_t max_line;		/* longest line accepted, CRLF included */

	/* Allocate state (session_set_data) and send the greeting.
	 * Return 0, or -1 to have the core close the connection. */
	int (*start)(struct session *s);
	/* Like start(), but a greeting was already sent by another module
	 * that handed the session over (session_handoff(): the shared port
	 * 109 listener, which serves POP1 and POP2).  May be NULL for
	 * modules that cannot be reached that way. */
	int (*takeover)(struct session *s);
	/* One command line. */
	void (*line)(struct session *s, const char *line, size_t len);
	/* A line longer than max_line was discarded up to its LF. */
	void (*overflow)(struct session *s);
	/* The connection is refused before start() (connection limits):
	 * write one reply saying WHY; the core closes after it is sent. */
	void (*refuse)(struct session *s, const char *why);
	/* The server is stopping and the session is between commands: may
	 * write a farewell line; the core closes after it.  May be NULL. */
	void (*shutdown)(struct session *s);
	/* Idle timeout: may write a line (POP3 writes none, RFC 1939 §3);
	 * the core closes after it.  May be NULL. */
	void (*timeout)(struct session *s);
	/* Release everything, commit nothing. */
	void (*close)(struct session *s);
	/* For traces and logs: how many leading octets of LINE may be shown;
	 * the rest is masked (e.g. keep "PASS " of "PASS secret").  NULL
	 * shows every line whole. */
	size_t (*trace_keep)(struct session *s, const char *line, size_t len);
	/* Profiles a listener may name (`--listen pop3/rfc1081@...`),
	 * NULL-terminated; NULL when the module has none.  "" (no profile)
	 * is always accepted and means the module's default. */
	const char *const *profiles;
	/* The I-th (0-based) command that PROFILE ("" = default) has, into
	 * OUT; returns 0 past the last.  Drives `polypopd commands` and
	 * docs/. */
	int (*describe)(const char *profile, size_t i,
	    struct proto_command_doc *out);
	/* The I-th edge of PROFILE's state diagram; 0 past the last.  May
	 * be NULL. */
	int (*edge)(const char *profile, size_t i, struct proto_edge_doc *out);
	/* PROFILE's ("" = default) title for the generated pages, one line
	 * naming the RFC, its date and its status, e.g. "RFC 1081, November
	 * 1988: a proposed protocol"; NULL for an unknown profile.  The
	 * returned text is static.  May be NULL: pages fall back to
	 * "pop3/rfc1081". */
	const char *(*profile_title)(const char *profile);
	/* For --trace: which RFC text governs the client line LINE in the
	 * session's present state, into BUF ("LAST: RFC 1081, The
	 * TRANSACTION State"); LINE NULL asks for the greeting's.  Must not
	 * change anything.  May be NULL. */
	void (*trace_cite)(struct session *s, const char *line, size_t len,
	    char *buf, size_t size);
};

/* The registry of modules (server/protocols.c). */
const struct proto_ops *proto_find(const char *name);
/* NULL-terminated list, for --help and docs. */
extern const struct proto_ops *const proto_all[];

#endif /* POLYPOP_PROTO_H */
