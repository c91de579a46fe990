/*
 * pop1_session.c - the life of one POP1 session (RFC 918): its state, the
 * one function that changes it, and the callbacks the core calls through
 * pop1_ops.
 */
#include <stdlib.h>
#include <string.h>

#include "pop1.h"
#include "pop1_int.h"
#include "session.h"
#include "store.h"

const char *
pop1_state_name(enum pop1_state st)
{
	switch (st) {
	case POP1_WAIT_USER:
		return "WAIT-USER";
	case POP1_WAIT_PASS:
		return "WAIT-PASS";
	case POP1_WAIT_COMMAND:
		return "WAIT-COMMAND";
	case POP1_WAIT_RCEV:
		return "WAIT-RCEV";
	case POP1_SEND_DATA:
		return "SEND-DATA";
	case POP1_WAIT_RCVD:
		return "WAIT-RCVD";
	case POP1_CLOSE:
		return "CLOSE";
	}
	return "?";
}

/* The only writer of p->state, so every transition is traced. */
void
pop1_enter_state(struct pop1 *p, enum pop1_state st)
{
	if (p->state == st)
		return;
	session_log(p->s, "event=state from=%s to=%s",
	    pop1_state_name(p->state), pop1_state_name(st));
	p->state = st;
	session_trace_state(p->s, pop1_state_name(st));
}

void
pop1_bad_command(struct pop1 *p)
{
	if (p->state == POP1_CLOSE)
		return;
	if (++p->bad_commands < POP1_MAX_BAD_COMMANDS)
		return;
	session_log(p->s, "event=disconnect reason=too-many-bad-commands");
	session_reply(p->s, "-ERR Too many bad commands, closing connection.");
	pop1_enter_state(p, POP1_CLOSE);
	session_close(p->s);
}

void
pop1_release(struct pop1 *p)
{
	if (p->st != NULL) {
		store_close(p->st);
		p->st = NULL;
	}
	p->rdel = 0;
	p->next = 0;
	p->nmsgs = 0;
	p->octets = 0;
	pop1_enter_state(p, POP1_WAIT_COMMAND);
}

static int
pop1_begin(struct session *s, int greet)
{
	struct pop1 *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->s = s;
	p->state = POP1_WAIT_USER;
	session_set_data(s, p);
	session_trace_state(s, pop1_state_name(p->state));
	/*
	 * RFC 918 The Normal Scenario: the greeting is "+OK".  A client can
	 * only rely on those three characters, so text after them is ours.
	 */
	if (greet)
		session_reply(s, "+OK %s polypop POP1 server ready",
		    session_hostname(s));
	return 0;
}

static int
pop1_start(struct session *s)
{
	return pop1_begin(s, 1);
}

/* The shared port-109 listener already greeted (with "+OK ..."), and
 * hands over the first line next. */
static int
pop1_takeover(struct session *s)
{
	return pop1_begin(s, 0);
}

static void
pop1_line(struct session *s, const char *line, size_t len)
{
	struct pop1 *p = session_data(s);

	if (p != NULL && p->state != POP1_CLOSE)
		pop1_dispatch(p, line, len);
}

static void
pop1_overflow(struct session *s)
{
	struct pop1 *p = session_data(s);

	if (p == NULL || p->state == POP1_CLOSE)
		return;
	session_reply(s, "-ERR Line too long.");
	/* The discarded line sits between USER and PASS: back to USER. */
	if (p->state == POP1_WAIT_PASS) {
		explicit_bzero(p->user, sizeof(p->user));
		pop1_enter_state(p, POP1_WAIT_USER);
	}
	pop1_bad_command(p);
}

static void
pop1_refuse(struct session *s, const char *why)
{
	/* Before start(): no greeting, one -ERR, then the core closes. */
	session_reply(s, "-ERR %s", why);
}

static void
pop1_shutdown(struct session *s)
{
	/* Between commands; close() follows and deletes nothing. */
	session_reply(s, "-ERR Server shutting down.");
}

static void
pop1_timeout(struct session *s)
{
	struct pop1 *p = session_data(s);

	/* RFC 918 defines no timer and no reply for one: log only. */
	if (p != NULL)
		session_log(s, "event=autologout state=%s",
		    pop1_state_name(p->state));
}

static void
pop1_close(struct session *s)
{
	struct pop1 *p = session_data(s);

	if (p == NULL)
		return;
	/*
	 * A lost connection ends any transaction without RCVD: RFC 918
	 * deletes only at RCVD after RDEL, so the mailbox is closed and
	 * unlocked with nothing removed.
	 */
	if (p->st != NULL)
		store_close(p->st);
	explicit_bzero(p->user, sizeof(p->user));
	session_set_data(s, NULL);
	free(p);
}

/*
 * How much of LINE --trace may show: PASS keeps "PASS ", the password is
 * masked.  A line whose keyword does not even parse keeps only its first
 * word, so a sloppy " PASS secret" cannot leak either.
 */
static size_t
pop1_trace_keep(struct session *s, const char *line, size_t len)
{
	struct pop1_cmd cmd;

	(void)s;
	if (pop1_parse_keyword(line, len, &cmd) != POP1_PARSE_OK)
		return cmd.kw_len;
	if (cmd.rest == NULL)
		return len;
	if (strcmp(cmd.keyword, "PASS") == 0)
		return cmd.kw_len + 1;
	return len;
}

const struct proto_ops pop1_ops = {
	.name = "pop1",
	/* RFC 918 names no port; RFC 923 assigns 109 to POP, citing it. */
	.default_port = 109,
	.max_line = POP1_MAX_LINE,
	.start = pop1_start,
	.takeover = pop1_takeover,
	.line = pop1_line,
	.overflow = pop1_overflow,
	.refuse = pop1_refuse,
	.shutdown = pop1_shutdown,
	.timeout = pop1_timeout,
	.close = pop1_close,
	.trace_keep = pop1_trace_keep,
	.describe = pop1_describe,
	.edge = pop1_edge,
	.profile_title = pop1_profile_title,
};
