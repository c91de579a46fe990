/*
 * pop3_session.c - the life of one POP3 session (RFC 1939 §3): its state,
 * the one function that changes it, and the callbacks the core calls
 * through pop3_ops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_int.h"
#include "session.h"
#include "store.h"

const char *
pop3_state_name(enum pop3_state st)
{
	switch (st) {
	case POP3_AUTHORIZATION:
		return "AUTHORIZATION";
	case POP3_TRANSACTION:
		return "TRANSACTION";
	case POP3_UPDATE:
		return "UPDATE";
	}
	return "?";
}

/* The only writer of p->state, so every transition is traced. */
void
pop3_enter_state(struct pop3 *p, enum pop3_state st)
{
	if (p->state == st)
		return;
	session_log(p->s, "event=state from=%s to=%s",
	    pop3_state_name(p->state), pop3_state_name(st));
	p->state = st;
	session_trace_state(p->s, pop3_state_name(st));
}

void
pop3_bad_command(struct pop3 *p)
{
	if (++p->bad_commands < POP3_MAX_BAD_COMMANDS)
		return;
	session_log(p->s, "event=disconnect reason=too-many-bad-commands");
	pop3_err(p, NULL, "Too many bad commands, closing connection.");
	session_close(p->s);
}

static int
pop3_start(struct session *s)
{
	struct pop3 *p;
	int pr;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return -1;
	p->s = s;
	p->state = POP3_AUTHORIZATION;
	/* The core checked the name against pop3_ops.profiles. */
	if ((pr = pop3_profile_find(session_profile(s))) < 0)
		pr = POP3_CURRENT;
	p->profile = (enum pop3_profile)pr;
	p->flags = pop3_profiles[pr].flags;
	session_set_data(s, p);
	/* RFC 6856 §2.2: CAPA announces "UTF8 USER" in the current
	 * profile, so USER, PASS and APOP are SASLprep'd there; the
	 * historic profiles compare octets as their RFCs do. */
	session_set_saslprep(s, (p->flags & POP3_PF_EXTENSIONS) != 0);
	session_set_apop_exclusive(s,
	    (p->flags & POP3_PF_APOP_EXCLUSIVE) != 0);
	session_trace_state(s, pop3_state_name(p->state));
	/*
	 * RFC 1081 "The AUTHORIZATION State": "any string terminated by
	 * CRLF", "should always give a positive response".  RFC 1460 §7 and
	 * later: a server offering APOP puts a fresh msg-id style timestamp
	 * in it, so only the revisions with APOP have one.  RFC 1957: always
	 * a space after the status indicator.  Host name (<= 255) and
	 * timestamp stay well below RFC 1939 §3's 512 octets.
	 */
	if (pop3_profile_has(p->profile, "APOP"))
		session_reply(s, "+OK POP3 %s polypop ready %s",
		    session_hostname(s), session_apop_timestamp(s));
	else
		session_reply(s, "+OK POP3 %s polypop ready",
		    session_hostname(s));
	return 0;
}

static void
pop3_line(struct session *s, const char *line, size_t len)
{
	struct pop3 *p = session_data(s);

	if (p != NULL)
		pop3_dispatch(p, line, len);
}

static void
pop3_overflow(struct session *s)
{
	struct pop3 *p = session_data(s);

	if (p == NULL)
		return;
	if (p->sasl != POP3_SASL_NONE) {
		pop3_sasl_overflow(p);
		return;
	}
	/* A discarded line still sits between USER and PASS (RFC 1939 §7). */
	if (p->flags & POP3_PF_PASS_NEXT)
		p->user_ok = 0;
	/* RFC 2449 §4: commands are at most 255 octets with CRLF. */
	pop3_err(p, NULL, "Line too long.");
	pop3_bad_command(p);
}

/* RFC 3206 §4's code, where the listener's profile has codes. */
static const char *
pop3_temp_code(struct session *s)
{
	int pr = pop3_profile_find(session_profile(s));

	if (pr >= 0 && (pop3_profiles[pr].flags & POP3_PF_RESP_CODES))
		return "[SYS/TEMP] ";
	return "";
}

static void
pop3_refuse(struct session *s, const char *why)
{
	/* Before start(): no greeting, one -ERR, then the core closes.
	 * RFC 3206 §4: the client should simply try again later. */
	session_reply(s, "-ERR %s%s", pop3_temp_code(s), why);
}

static void
pop3_shutdown(struct session *s)
{
	struct pop3 *p = session_data(s);

	/* Between commands; close() follows and commits nothing, as for
	 * any session that did not end with QUIT (RFC 1939 §6). */
	if (p != NULL)
		pop3_err(p, "SYS/TEMP", "Server shutting down.");
	else
		session_reply(s, "-ERR %sServer shutting down.",
		    pop3_temp_code(s));
}

static void
pop3_timeout(struct session *s)
{
	struct pop3 *p = session_data(s);

	/* RFC 1939 §3: on autologout the server closes "without removing
	 * any messages or sending any response", so only a log line. */
	if (p != NULL)
		session_log(s, "event=autologout state=%s",
		    pop3_state_name(p->state));
}

static void
pop3_close(struct session *s)
{
	struct pop3 *p = session_data(s);

	if (p == NULL)
		return;
	/* RFC 1939 §6: a session that ends other than by QUIT "MUST not
	 * remove any messages": release the lock, commit nothing. */
	if (p->st != NULL)
		store_close(p->st);
	/* A discussion group opened while the default maildrop's commit
	 * was running (pop3_xtnd.c): read-only, nothing to commit. */
	if (p->bb_next != NULL)
		store_close(p->bb_next);
	pop3_expire_forget(p);
	session_set_data(s, NULL);
	free(p);
}

/*
 * How much of LINE --trace may show.  PASS keeps "PASS ", APOP keeps
 * "APOP name " and AUTH "AUTH mech ": the secret, the digest and the
 * initial response are masked.  A line whose
 * keyword does not even parse keeps only its first word, so a sloppy
 * " PASS secret" cannot leak either.
 */
static size_t
pop3_trace_keep(struct session *s, const char *line, size_t len)
{
	struct pop3 *p = session_data(s);
	struct pop3_cmd cmd;
	size_t i;

	/* RFC 5034 §4: during an AUTH exchange every line is SASL data
	 * (a response may carry a password, as PLAIN's and LOGIN's do);
	 * only the cancelling "*" is shown. */
	if (p != NULL && p->sasl != POP3_SASL_NONE)
		return len == 1 && line[0] == '*' ? 1 : 0;
	if (pop3_parse_keyword(line, len, &cmd) != POP3_PARSE_OK)
		return cmd.kw_len;
	if (cmd.rest == NULL)
		return len;
	/* RPOP's argument is a user name, not a secret: shown whole. */
	if (strcmp(cmd.keyword, "PASS") == 0)
		return cmd.kw_len + 1;
	/* AUTH keeps "AUTH mech ": the initial response is SASL data. */
	if (strcmp(cmd.keyword, "APOP") == 0 ||
	    strcmp(cmd.keyword, "AUTH") == 0) {
		for (i = 0; i < cmd.rest_len && cmd.rest[i] != ' '; i++)
			;
		if (i < cmd.rest_len)
			i++;
		return cmd.kw_len + 1 + i;
	}
	return len;
}

static void
pop3_trace_cite(struct session *s, const char *line, size_t len, char *buf,
    size_t size)
{
	struct pop3 *p = session_data(s);

	if (p == NULL) {
		if (size > 0)
			buf[0] = '\0';
	} else if (line == NULL)
		snprintf(buf, size, "greeting: %s",
		    pop3_profiles[p->profile].greeting);
	else if (p->sasl != POP3_SASL_NONE)
		/* As `polypopd explain` cites it (pop3_explain.c). */
		snprintf(buf, size, "AUTH: %s, the client's response",
		    pop3_command_section(pop3_command_find("AUTH", 4),
		    p->profile));
	else
		pop3_cite_line(p->profile, p->state, line, len, buf, size);
}

const struct proto_ops pop3_ops = {
	.name = "pop3",
	.default_port = 110,		/* RFC 1939 §3 */
	.max_line = POP3_MAX_LINE,
	.start = pop3_start,
	.line = pop3_line,
	.overflow = pop3_overflow,
	.refuse = pop3_refuse,
	.shutdown = pop3_shutdown,
	.timeout = pop3_timeout,
	.close = pop3_close,
	.trace_keep = pop3_trace_keep,
	.profiles = pop3_profile_names,
	.profile_title = pop3_profile_title,
	.describe = pop3_describe,
	.edge = pop3_edge,
	.trace_cite = pop3_trace_cite,
};
