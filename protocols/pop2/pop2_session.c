/*
 * pop2_session.c - the life of one POP2 session (RFC 937, Server State
 * Diagram): its state, the one function that changes it, and the
 * callbacks the core calls through pop2_ops.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop2.h"
#include "pop2_int.h"
#include "session.h"
#include "store.h"

const char *
pop2_state_name(enum pop2_state st)
{
	switch (st) {
	case POP2_AUTH:
		return "AUTH";
	case POP2_MBOX:
		return "MBOX";
	case POP2_ITEM:
		return "ITEM";
	case POP2_NEXT:
		return "NEXT";
	case POP2_DONE:
		return "DONE";
	}
	return "?";
}

/* The only writer of p->state, so every transition is traced. */
void
pop2_enter_state(struct pop2 *p, enum pop2_state st)
{
	if (p->state == st)
		return;
	session_log(p->s, "event=state from=%s to=%s",
	    pop2_state_name(p->state), pop2_state_name(st));
	p->state = st;
	session_trace_state(p->s, pop2_state_name(st));
}

void
pop2_fail(struct pop2 *p, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	session_log(p->s, "event=disconnect state=%s reason=\"%s\"",
	    pop2_state_name(p->state), text);
	pop2_enter_state(p, POP2_DONE);
	/* RFC 937 server action 1: 'Send "- error", and Close the
	 * connection.'  Formal Syntax <err>: "-" SP text. */
	session_reply(p->s, "- %s", text);
	session_close(p->s);
}

static struct pop2 *
pop2_new(struct session *s)
{
	struct pop2 *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->s = s;
	p->state = POP2_AUTH;
	session_set_data(s, p);
	session_trace_state(s, pop2_state_name(p->state));
	return p;
}

static int
pop2_start(struct session *s)
{
	if (pop2_new(s) == NULL)
		return -1;
	/* RFC 937 Replies: Greeting, Formal Syntax <greet>:
	 * "+" SP "POP2" SP host [SP text]; server action 2. */
	session_reply(s, "+ POP2 %s polypop server ready",
	    session_hostname(s));
	return 0;
}

/* The shared port-109 listener already greeted: go straight to AUTH. */
static int
pop2_takeover(struct session *s)
{
	return pop2_new(s) == NULL ? -1 : 0;
}

static void
pop2_line(struct session *s, const char *line, size_t len)
{
	struct pop2 *p = session_data(s);

	if (p != NULL)
		pop2_dispatch(p, line, len);
}

static void
pop2_overflow(struct session *s)
{
	struct pop2 *p = session_data(s);

	/* RFC 937 Sizes: at most 512 characters with the CRLF. */
	if (p != NULL && p->state != POP2_DONE)
		pop2_fail(p, "command line longer than 512 characters");
}

static void
pop2_refuse(struct session *s, const char *why)
{
	/* Before start(): no greeting, one "-" line, then the core closes. */
	session_reply(s, "- %s", why);
}

static void
pop2_shutdown(struct session *s)
{
	/* Between commands; close() follows and commits nothing, as for
	 * any session that did not end with QUIT (RFC 937 ACKD). */
	session_reply(s, "- server shutting down, nothing was deleted");
}

static void
pop2_timeout(struct session *s)
{
	struct pop2 *p = session_data(s);

	/* RFC 937 Server Decision Table: Timeout is action 1 in every
	 * session state, "- error" and close (T2, Timeouts). */
	if (p != NULL)
		session_log(s, "event=autologout state=%s",
		    pop2_state_name(p->state));
	session_reply(s, "- timeout waiting for a command, nothing was "
	    "deleted");
}

static void
pop2_close(struct session *s)
{
	struct pop2 *p = session_data(s);

	if (p == NULL)
		return;
	/* A session that did not end with QUIT removes nothing: the
	 * ACKD marks die with the snapshot, the lock is released. */
	if (p->st != NULL)
		store_close(p->st);
	explicit_bzero(p->folder, sizeof(p->folder));
	session_set_data(s, NULL);
	free(p);
}

static size_t
pop2_trace_keep(struct session *s, const char *line, size_t len)
{
	(void)s;
	return pop2_trace_keep_len(line, len);
}

const struct proto_ops pop2_ops = {
	.name = "pop2",
	.default_port = 109,		/* RFC 937, Introduction */
	.max_line = POP2_MAX_LINE,	/* RFC 937, Sizes */
	.start = pop2_start,
	.takeover = pop2_takeover,
	.line = pop2_line,
	.overflow = pop2_overflow,
	.refuse = pop2_refuse,
	.shutdown = pop2_shutdown,
	.timeout = pop2_timeout,
	.close = pop2_close,
	.trace_keep = pop2_trace_keep,
	.describe = pop2_describe,
	.edge = pop2_edge,
	.profile_title = pop2_profile_title,
};
