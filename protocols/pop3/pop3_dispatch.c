/*
 * pop3_dispatch.c - one command line, from bytes to handler.
 *
 * The dispatcher checks keyword, profile, state and arguments against the
 * table (pop3_table.c) and answers -ERR itself, so a handler runs only
 * when the listener's revision has the command, in a state that revision
 * allows, with an argument count it accepts.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"

/*
 * The reply writers of the module: the text is looked up in the
 * session's language (RFC 6856 §3; English unless LANG changed it) and
 * formatted with the caller's arguments, which the compiler checks
 * against the English key.
 */
void
pop3_err(struct pop3 *p, const char *code, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), pop3_tr(p, fmt), ap);
	va_end(ap);
	/* RFC 2449 §8: "[CODE]" right after "-ERR ".  The historic
	 * revisions had no codes, and their servers sent none. */
	if (code != NULL && (p->flags & POP3_PF_RESP_CODES))
		session_reply(p->s, "-ERR [%s] %s", code, text);
	else
		session_reply(p->s, "-ERR %s", text);
}

void
pop3_ok(struct pop3 *p, const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), pop3_tr(p, fmt), ap);
	va_end(ap);
	session_reply(p->s, "+OK %s", text);
}

static void
pop3_wrong_state(struct pop3 *p, const struct pop3_command *c)
{
	/* RFC 1939 §3: a command in the wrong state MUST get -ERR. */
	if (p->state == POP3_AUTHORIZATION && (c->states & POP3_S_TRANS))
		pop3_err(p, NULL, "Log in first: %s is only valid in the "
		    "TRANSACTION state.", c->name);
	else if (p->state == POP3_TRANSACTION && (c->states & POP3_S_AUTH))
		pop3_err(p, NULL, "Already logged in: %s is only valid in the "
		    "AUTHORIZATION state.", c->name);
	else
		pop3_err(p, NULL, "%s is not valid in the %s state.",
		    c->name, pop3_state_name(p->state));
}

size_t
pop3_arg_too_long(const struct pop3_cmd *cmd)
{
	size_t i;

	for (i = 0; i < cmd->nargs && i < POP3_ARGS_MAX; i++)
		if (cmd->arg[i].len > POP3_ARG40_MAX)
			return i + 1;
	return 0;
}

/*
 * RFC 6856 §2.2: with "UTF8 USER" announced, the client "MAY use UTF-8
 * characters with a USER, PASS, or APOP command".  PASS takes the whole
 * rest of the line anyway; USER and APOP names may then hold 8-bit
 * octets (checked as UTF-8 by their handlers).  Elsewhere, and in the
 * historic profiles, arguments stay printable ASCII (RFC 1939 §3).
 */
static enum pop3_parse_mode
pop3_args_mode(const struct pop3 *p, const struct pop3_command *c)
{
	if ((p->flags & POP3_PF_EXTENSIONS) && c->mode == POP3_ARGS_SPLIT &&
	    (strcmp(c->name, "USER") == 0 || strcmp(c->name, "APOP") == 0))
		return POP3_ARGS_SPLIT_8BIT;
	return c->mode;
}

/* Returns the row to run, or NULL after replying -ERR. */
static const struct pop3_command *
pop3_check(struct pop3 *p, const char *line, size_t len,
    struct pop3_cmd *cmd)
{
	const struct pop3_command *c = NULL;
	char quote[PROTO_QUOTE_MAX + 1];
	const char *msg;
	int rc, usage;

	rc = pop3_parse_keyword(line, len, cmd);
	if (rc == POP3_PARSE_EMPTY) {
		pop3_err(p, NULL, "Empty command line.");
		return NULL;
	}
	if (rc == POP3_PARSE_SPACE) {
		pop3_err(p, NULL, "Command line starts with a space.");
		return NULL;
	}
	if (rc == POP3_PARSE_OK)
		c = pop3_command_find(cmd->keyword, cmd->kw_len);
	/* A command of another revision (LAST in rfc1939, UIDL in rfc1081)
	 * is unknown here, exactly as to a server of that time. */
	if (c == NULL || pop3_command_section(c, p->profile) == NULL) {
		pop3_err(p, NULL, "Unknown command: %s",
		    proto_sanitise(cmd->kw, cmd->kw_len, quote, sizeof(quote)));
		return NULL;
	}
	if ((c->states & POP3_S(p->state)) == 0) {
		pop3_wrong_state(p, c);
		return NULL;
	}
	rc = pop3_parse_args(cmd, pop3_args_mode(p, c));
	msg = proto_args_problem(rc, cmd->nargs, c->min_args, c->max_args,
	    &usage);
	if (msg != NULL) {
		/* The shared wording (proto_parse.c) has its entries in
		 * the catalog too. */
		if (usage)
			pop3_err(p, NULL, "%s Usage: %s", pop3_tr(p, msg),
			    c->usage);
		else
			pop3_err(p, NULL, "%s", pop3_tr(p, msg));
		return NULL;
	}
	if ((p->flags & POP3_PF_ARG40) && (rc = (int)pop3_arg_too_long(cmd))) {
		pop3_err(p, NULL, "Argument %d is longer than 40 characters "
		    "(%s).", rc, pop3_profiles[p->profile].syntax);
		return NULL;
	}
	return c;
}

void
pop3_dispatch(struct pop3 *p, const char *line, size_t len)
{
	const struct pop3_command *c;
	struct pop3_cmd cmd;

	/* RFC 1939 §7: PASS only "immediately after a successful USER";
	 * any other line in between, even a bad one, breaks the pair.  RFC
	 * 1081 to 1725 say only "after a successful USER command" (PASS and
	 * RPOP alike): there the pair lasts until a login is tried or a
	 * USER fails. */
	/* RFC 5034 §4: during an AUTH exchange a line is a response. */
	if (p->sasl != POP3_SASL_NONE) {
		pop3_sasl_line(p, line, len);
		return;
	}
	p->after_user = p->user_ok;
	if (p->flags & POP3_PF_PASS_NEXT)
		p->user_ok = 0;

	if ((c = pop3_check(p, line, len, &cmd)) == NULL ||
	    c->handler(p, &cmd) < 0)
		pop3_bad_command(p);
}

/*
 * For --trace and `polypopd explain`: the section governing LINE in
 * profile PR and state ST, written into BUF.  Pure: looks only at the
 * table.
 */
void
pop3_cite_line(enum pop3_profile pr, enum pop3_state st, const char *line,
    size_t len, char *buf, size_t size)
{
	const struct pop3_command *c = NULL;
	const struct pop3_profile_info *pi = &pop3_profiles[pr];
	struct pop3_cmd cmd;
	const char *sec;

	if (pop3_parse_keyword(line, len, &cmd) == POP3_PARSE_OK)
		c = pop3_command_find(cmd.keyword, cmd.kw_len);
	if (c == NULL) {
		snprintf(buf, size, "not a command of %s (%s)", pi->label,
		    pi->syntax);
		return;
	}
	if ((sec = pop3_command_section(c, pr)) == NULL) {
		snprintf(buf, size, "%s: not in %s", c->name, pi->label);
		return;
	}
	if ((c->states & POP3_S(st)) == 0)
		snprintf(buf, size, "%s: %s, not valid in the %s state",
		    c->name, sec, pop3_state_name(st));
	else
		snprintf(buf, size, "%s: %s", c->name, sec);
}
