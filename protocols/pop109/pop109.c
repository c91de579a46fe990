/*
 * pop109.c - one listener for POP1 and POP2, as TCP port 109 was shared.
 *
 * RFC 923 (Assigned Numbers, Oct 1984) lists "109 POP Post Office
 * Protocol [110]", its reference 110 being RFC 918 (POP1); RFC 937 (POP2,
 * Feb 1985) then takes the same port.  A 1985 site could not know which
 * kind of client would call, and neither can we, so this module greets in
 * a way both accept and lets the client's first command decide:
 *
 *   - The greeting starts with "+OK".  POP1 expects "+OK" (RFC 918, The
 *     Normal Scenario); POP2 fixes only the first character, '+'
 *     (RFC 937, Reply Strings), and real POP2 clients such as fetchmail
 *     test nothing else.  The text still says "POP2 <host>" as RFC 937's
 *     greeting does.
 *   - The first command names the protocol: HELO exists only in POP2,
 *     USER (and NOOP, RSET) only in POP1.  The session is then handed to
 *     that module (session_handoff), which answers the command itself.
 *   - QUIT before anything else is valid in both: "+OK", then close.
 *   - Anything else gets "-ERR" (a '-' reply to POP2, an -ERR to POP1)
 *     naming what we expected; after three the connection is closed.
 */
#include <stdint.h>

#include "pop1.h"
#include "pop109.h"
#include "pop2.h"
#include "proto_parse.h"
#include "session.h"

/* RFC 937, Sizes: a POP2 command line is at most 512 octets; POP1 names
 * no limit and its commands are shorter. */
#define POP109_MAX_LINE		512
#define POP109_MAX_BAD		3

static int
pop109_start(struct session *s)
{
	session_trace_state(s, "CHOOSING");
	session_reply(s, "+OK POP2 %s polypop server ready (POP1 and POP2: "
	    "send HELO or USER)", session_hostname(s));
	return 0;
}

/* The keyword of LINE: its first word, up to a space. */
static size_t
pop109_keyword(const char *line, size_t len)
{
	size_t n = 0;

	while (n < len && line[n] != ' ')
		n++;
	return n;
}

static int
pop109_is(const char *kw, size_t n, const char *name)
{
	return proto_keyword_is(kw, n, name);
}

static void
pop109_line(struct session *s, const char *line, size_t len)
{
	size_t n = pop109_keyword(line, len);
	const struct proto_ops *to = NULL;
	uintptr_t bad;

	if (pop109_is(line, n, "HELO"))
		to = &pop2_ops;
	else if (pop109_is(line, n, "USER") || pop109_is(line, n, "NOOP") ||
	    pop109_is(line, n, "RSET"))
		to = &pop1_ops;
	if (to != NULL) {
		session_log(s, "event=protocol-chosen proto=%s", to->name);
		if (session_handoff(s, to, line, len) < 0) {
			session_reply(s, "-ERR Internal error.");
			session_close(s);
		}
		return;
	}
	if (pop109_is(line, n, "QUIT")) {
		session_reply(s, "+OK Bye.");
		session_close(s);
		return;
	}
	/* No state of our own beyond a small counter: keep it in the
	 * session's data pointer rather than allocate. */
	bad = (uintptr_t)session_data(s) + 1;
	session_set_data(s, (void *)bad);
	session_reply(s, "-ERR Expected HELO (POP2) or USER (POP1).");
	if (bad >= POP109_MAX_BAD)
		session_close(s);
}

static void
pop109_overflow(struct session *s)
{
	session_reply(s, "-ERR Line too long.");
	session_close(s);
}

static void
pop109_refuse(struct session *s, const char *why)
{
	session_reply(s, "-ERR %s", why);
}

static void
pop109_shutdown(struct session *s)
{
	session_reply(s, "-ERR Server shutting down.");
}

static void
pop109_close(struct session *s)
{
	(void)s;	/* nothing allocated */
}

/* Only HELO carries a secret before the hand-over: "HELO user pass". */
static size_t
pop109_trace_keep(struct session *s, const char *line, size_t len)
{
	size_t n = pop109_keyword(line, len), i;

	(void)s;
	if (!pop109_is(line, n, "HELO"))
		return len;
	for (i = n + 1; i < len && line[i] != ' '; i++)
		;
	return i < len ? i + 1 : len;
}

const struct proto_ops pop109_ops = {
	.name = "pop109",
	.default_port = 109,
	.max_line = POP109_MAX_LINE,
	.start = pop109_start,
	.line = pop109_line,
	.overflow = pop109_overflow,
	.refuse = pop109_refuse,
	.shutdown = pop109_shutdown,
	.close = pop109_close,
	.trace_keep = pop109_trace_keep,
};
