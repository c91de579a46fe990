/*
 * pop3_xtnd.c - XTND, the extended service offerings of RFC 1082 (the
 * rfc1082 profile only): discussion groups ("bboards").
 *
 * The groups are the core's business (session_bboard_list() and
 * session_bboard_open(), the folders of --bboards; docs/bboards.md); this
 * file only speaks the protocol:
 *
 *   XTND BBOARDS           "+OK XTND", one "NAME SP MAXIMA" line per
 *                          group, ".".
 *   XTND BBOARDS name      the group's maildrop becomes the current one;
 *   XTND ARCHIVE name      ... or its archive maildrop.  "+OK XTND", the
 *                          group's listing line, ".".
 *   XTND X-BBOARDS name    the 14 lines of RFC 1082, ".".
 *
 * "The POP3 server closes the current maildrop" before opening a group.
 * Here the group is opened (validated) FIRST, so that an unknown or
 * unreadable group ("-ERR no such bboard") leaves the current maildrop as
 * it was.  Only then is the current maildrop closed: the default maildrop
 * as QUIT would (its deletions committed, its lock released: RFC 1082
 * "The XTND Command"), a group's by merely releasing it.  If the commit
 * fails, the group is dropped and the default maildrop stays current.
 * There is no way back to the default maildrop (RFC 1082 offers none).
 *
 * MAXIMA: a group's is the number of messages in its maildrop, a
 * message's its 1-based position there; both never decrease while the
 * group is only appended to (docs/bboards.md says what archiving would
 * break).  LAST's "highest number accessed" starts at 0 in each newly
 * opened group; seen marks are never written for a read-only group.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

enum pop3_xtnd_sub {
	XTND_BBOARDS,
	XTND_ARCHIVE,
	XTND_X_BBOARDS,
};

/* The sub-commands, with how many group names each takes. */
static const struct {
	const char *name;
	unsigned char min, max;
} pop3_xtnd_cmds[] = {
	[XTND_BBOARDS] = { "BBOARDS", 0, 1 },	/* list all, or open one */
	[XTND_ARCHIVE] = { "ARCHIVE", 1, 1 },	/* open a group's archive */
	[XTND_X_BBOARDS] = { "X-BBOARDS", 1, 1 }, /* its 14-line description */
};
#define XTND_NCMDS	(sizeof(pop3_xtnd_cmds) / sizeof(pop3_xtnd_cmds[0]))

/* The RFC's own wording for a name that is not a (readable) group. */
#define XTND_NO_SUCH	"-ERR no such bboard"

/*
 * RFC 1082 "Definition of Terms": NAME is ALPHA *[ ALPHA / DIGIT / "-" ],
 * recognised case-insensitively (the core does the matching).  Anything
 * else, a NUL octet included, can name no group.
 */
static int
pop3_xtnd_name_ok(const struct proto_arg *a)
{
	size_t i;

	if (a->len == 0 || a->len > SESSION_BBOARD_NAME_MAX)
		return 0;
	for (i = 0; i < a->len; i++) {
		unsigned char c = (unsigned char)a->ptr[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			continue;
		if (i > 0 && ((c >= '0' && c <= '9') || c == '-'))
			continue;
		return 0;
	}
	return 1;
}

/* One line of a multi-line reply, byte-stuffed (RFC 1939 §3) if it
 * begins with the termination octet. */
static void pop3_xtnd_line(struct pop3 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pop3_xtnd_line(struct pop3 *p, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (line[0] == '.')
		session_reply(p->s, ".%s", line);
	else
		session_reply(p->s, "%s", line);
}

/* --- XTND BBOARDS: the listing ------------------------------------------ */

static void
pop3_xtnd_listed(struct session *s, int err,
    const struct session_bboard *g, size_t n)
{
	struct pop3 *p = session_data(s);
	size_t i;

	if (err != 0) {
		pop3_store_error(p, "bboards", "Can't list discussion groups",
		    err, NULL);
		return;
	}
	/* "After the initial +OK, for each discussion group known, ... a
	 * line containing the listing": NAME SP MAXIMA.  At most
	 * SESSION_BBOARD_MAX short lines, so no drain wait is needed. */
	session_reply(s, "+OK XTND");
	for (i = 0; i < n; i++)
		pop3_xtnd_line(p, "%s %llu", g[i].name,
		    (unsigned long long)g[i].maxima);
	session_reply(s, ".");
}

/* --- XTND BBOARDS name, XTND ARCHIVE name ------------------------------ */

/* ST, the group NAME's maildrop, becomes the current one. */
static void
pop3_xtnd_enter(struct pop3 *p, struct store *st, const char *name)
{
	p->st = st;
	snprintf(p->bboard, sizeof(p->bboard), "%s", name);
	/* A new maildrop: nothing in it has been accessed (RFC 1081 LAST),
	 * and RSET goes back to that. */
	p->highest = p->highest_start = 0;
	session_log(p->s, "event=bboard-current group=%s messages=%zu",
	    name, store_count(st));
	session_reply(p->s, "+OK XTND");
	pop3_xtnd_line(p, "%s %zu", name, store_count(st));
	session_reply(p->s, ".");
}

static void
pop3_xtnd_committed(struct session *s, int err, const char *msg)
{
	struct pop3 *p = session_data(s);
	struct store *st = p->bb_next;

	p->bb_next = NULL;
	if (err != 0) {
		/* The default maildrop cannot be closed as RFC 1082 says
		 * (its deletions removed): it stays current, marks and all,
		 * and the group is let go. */
		store_close(st);
		session_warn(s, "event=commit-failed error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		pop3_err(p, "SYS/TEMP", "Some deleted messages not removed.");
		return;
	}
	/* "The exclusive-access lock on the maildrop is then released". */
	store_close(p->st);
	p->st = NULL;
	pop3_xtnd_enter(p, st, p->bb_next_name);
}

static void
pop3_xtnd_opened(struct session *s, int err, struct store *st,
    const char *name, const char *msg)
{
	struct pop3 *p = session_data(s);

	(void)msg;
	if (err != 0 || st == NULL) {
		/* Unknown, or "not readable by the user": the current
		 * maildrop was not touched. */
		session_reply(s, XTND_NO_SUCH);
		return;
	}
	if (POP3_IN_BBOARD(p)) {
		/* A group's maildrop is read-only: closing it "merely
		 * means that any implementation-specific resources are
		 * released". */
		store_close(p->st);
		p->st = NULL;
		pop3_xtnd_enter(p, st, name);
		return;
	}
	/* The default maildrop: "any messages marked as deleted are
	 * removed", as QUIT does, before its lock goes. */
	p->bb_next = st;
	snprintf(p->bb_next_name, sizeof(p->bb_next_name), "%s", name);
	session_store_commit(s, p->st, pop3_xtnd_committed);
}

/* --- XTND X-BBOARDS name ---------------------------------------------- */

static void
pop3_xtnd_described(struct session *s, int err,
    const struct session_bboard *g, size_t n)
{
	struct pop3 *p = session_data(s);
	const char *host = session_hostname(s);

	if (err != 0) {
		pop3_store_error(p, "bboards", "Can't list discussion groups",
		    err, NULL);
		return;
	}
	if (n == 0) {
		session_reply(s, XTND_NO_SUCH);
		return;
	}
	/* RFC 1082's 14 lines; what this server does not have is "a bare
	 * CRLF pair" ("Minimal implementations ... may omit certain
	 * information").  Lines 3 and 4 are folder names of the --bboards
	 * location, never file system paths. */
	session_reply(s, "+OK XTND");
	pop3_xtnd_line(p, "%s", g->name);			/* 1 NAME */
	pop3_xtnd_line(p, "%s", "");				/* 2 ALIASES */
	pop3_xtnd_line(p, "%s", g->name);			/* 3 maildrop */
	pop3_xtnd_line(p, "%s", g->archive != NULL ? g->archive : "");
	pop3_xtnd_line(p, "%s", "");				/* 5 information */
	pop3_xtnd_line(p, "%s", "");				/* 6 map */
	pop3_xtnd_line(p, "%s", "");				/* 7 password */
	pop3_xtnd_line(p, "%s", "");				/* 8 leaders */
	pop3_xtnd_line(p, "%s@%s", g->name, host);		/* 9 ADDRESS */
	pop3_xtnd_line(p, "%s-request@%s", g->name, host);	/* 10 REQUEST */
	pop3_xtnd_line(p, "%s", "");				/* 11 feed in */
	pop3_xtnd_line(p, "%s", "");				/* 12 feeds out */
	pop3_xtnd_line(p, "0 %llu",				/* 13 FLAGS */
	    (unsigned long long)g->maxima);
	pop3_xtnd_line(p, "%s", "");				/* 14 LASTDATE */
	session_reply(s, ".");
}

/* --- the command --------------------------------------------------------- */

int
pop3_cmd_xtnd(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char quote[PROTO_QUOTE_MAX + 1], name[SESSION_BBOARD_NAME_MAX + 1];
	const struct proto_arg *sub = &cmd->arg[0];
	size_t i, names = cmd->nargs - 1;

	for (i = 0; i < XTND_NCMDS; i++)
		if (proto_keyword_is(sub->ptr, sub->len, pop3_xtnd_cmds[i].name))
			break;
	if (i == XTND_NCMDS) {
		session_reply(p->s, "-ERR Unknown XTND command: %s",
		    proto_sanitise(sub->ptr, sub->len, quote, sizeof(quote)));
		return POP3_BAD;
	}
	if (names < pop3_xtnd_cmds[i].min || names > pop3_xtnd_cmds[i].max) {
		session_reply(p->s, "-ERR Usage: XTND BBOARDS [name], "
		    "XTND ARCHIVE name, XTND X-BBOARDS name");
		return POP3_BAD;
	}
	if (names == 0) {
		session_bboard_list(p->s, NULL, pop3_xtnd_listed);
		return POP3_DONE;
	}
	/* "validates the argument as the name of a discussion group". */
	if (!pop3_xtnd_name_ok(&cmd->arg[1])) {
		session_reply(p->s, XTND_NO_SUCH);
		return POP3_DONE;
	}
	memcpy(name, cmd->arg[1].ptr, cmd->arg[1].len);
	name[cmd->arg[1].len] = '\0';
	if (i == XTND_X_BBOARDS)
		session_bboard_list(p->s, name, pop3_xtnd_described);
	else
		session_bboard_open(p->s, name, i == XTND_ARCHIVE,
		    pop3_xtnd_opened);
	return POP3_DONE;
}
