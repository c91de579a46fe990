/*
 * pop2_cmds.c - the POP2 command table, its dispatcher and the handlers
 * (RFC 937, Commands).
 *
 * The table is RFC 937's Server Decision Table made executable: a row
 * per command with the states where the table gives it a real action
 * (3 to 8).  Everything else, in every state, is action 1: "This is
 * garbage.  Send "- error", and Close the connection."  The dispatcher
 * does that itself, so a handler runs only in a state the RFC allows and
 * with an argument count it accepts.  RFC 937, System Model and
 * Philosophy: "if anything goes wrong close the connection".
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pop2_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

/* --- helpers ---------------------------------------------------------- */

static size_t
pop2_count(const struct pop2 *p)
{
	return p->st != NULL ? store_count(p->st) : 0;
}

/* RFC 937 ACKD: deletions are only marked until FOLD or QUIT. */
static int
pop2_any_deleted(const struct pop2 *p)
{
	size_t i, n = pop2_count(p);

	for (i = 0; i < n; i++)
		if (store_is_deleted(p->st, i))
			return 1;
	return 0;
}

/*
 * The size RFC 937 READ, ACKS, ACKD and NACK report for the current
 * message: its wire size (Message Length: "CRLF counts as two
 * characters"), or 0 when "there is no message to be read" or "the
 * message was previously deleted with the ACKD command".
 */
static uint64_t
pop2_cur_size(const struct pop2 *p)
{
	if (p->cur == 0 || p->cur > pop2_count(p) ||
	    store_is_deleted(p->st, p->cur - 1))
		return 0;
	return store_size(p->st, p->cur - 1);
}

/* The "=ccc" reply (RFC 937 Replies: "=", Formal Syntax <length>). */
static void
pop2_reply_length(struct pop2 *p)
{
	uint64_t size = pop2_cur_size(p);

	if (size > 0)
		session_reply(p->s, "=%llu characters in message %zu",
		    (unsigned long long)size, p->cur);
	else if (p->cur == 0)
		session_reply(p->s, "=0 messages are numbered from 1");
	else if (p->cur > pop2_count(p))
		session_reply(p->s, "=0 no more messages");
	else if (store_is_deleted(p->st, p->cur - 1))
		session_reply(p->s, "=0 message %zu is deleted", p->cur);
	else
		session_reply(p->s, "=0 message %zu is empty", p->cur);
}

/* The "#nnn" reply (RFC 937 Replies: "#", Formal Syntax <count>).  The
 * count is every message of the new snapshot: none is marked yet. */
static void
pop2_reply_count(struct pop2 *p)
{
	size_t n = pop2_count(p);

	session_reply(p->s, "#%zu message%s", n, proto_plural(n));
}

/* A store failure, logged in full; the client gets the generic text,
 * because the reason may name paths.  Then action 1: close. */
static void
pop2_store_fail(struct pop2 *p, const char *op, const char *what, int err,
    const char *msg)
{
	session_warn(p->s, "event=store-error op=%s error=\"%s\" reason=\"%s\"",
	    op, store_strerror(err), msg != NULL ? msg : "");
	pop2_fail(p, "%s: %s", what, store_strerror(err));
}

/* --- selecting a mailbox: HELO (RFC 937 Commands: HELO, FOLD) ---------- */

/* Both HELO and FOLD end here once the store has answered. */
static void
pop2_selected(struct pop2 *p, int err, struct store *st, const char *msg,
    int helo)
{
	if (err == STORE_EINUSE) {
		/* The maildrop lock is shared with POP3 and POP1 sessions
		 * (store.h); POP2 has no way to say "try later" but "-". */
		session_log(p->s, "event=mailbox-in-use");
		pop2_fail(p, "mailbox in use by another session");
		return;
	}
	if (!helo && (err == STORE_ENOFOLDER || err == STORE_EINVAL)) {
		/* RFC 937 FOLD: "If the mailbox is empty or does not exist,
		 * the number of messages reported is zero."  A name the
		 * store refuses ("../x", "/usr/spool/mail/smith") does not
		 * exist for this user either.  The selection stays empty:
		 * READ answers =0, FOLD may try another name. */
		session_log(p->s, "event=fold-missing reason=\"%s\"",
		    msg != NULL ? msg : store_strerror(err));
		err = 0;
		st = NULL;
	}
	if (err != 0) {
		pop2_store_fail(p, "open", "can't open mailbox", err, msg);
		return;
	}
	p->st = st;
	/* RFC 937, The Protocol: the current message indicator is "set to
	 * one when a new folder is selected". */
	p->cur = 1;
	pop2_enter_state(p, POP2_MBOX);
	pop2_reply_count(p);
}

static void
pop2_helo_opened(struct session *s, int err, struct store *st,
    const char *msg)
{
	pop2_selected(session_data(s), err, st, msg, 1);
}

static void
pop2_login_done(struct session *s, int result)
{
	struct pop2 *p = session_data(s);

	switch (result) {
	case SESSION_LOGIN_OK:
		/* RFC 937 HELO: the reply is the count of the default
		 * mailbox, so open it (and take its lock) first. */
		session_store_open(s, NULL, pop2_helo_opened);
		break;
	case SESSION_LOGIN_FAIL:
	case SESSION_LOGIN_BADNAME:
	case SESSION_LOGIN_ESCHEME:
		/* RFC 937 server action 3b.  One text for unknown user and
		 * wrong password: do not tell which names exist. */
		pop2_fail(p, "authentication failed");
		break;
	default:
		pop2_fail(p, "authentication is temporarily unavailable, "
		    "try again later");
		break;
	}
}

static void
pop2_cmd_helo(struct pop2 *p, const struct pop2_cmd *cmd)
{
	/* The arguments are NUL-terminated copies in CMD, which the
	 * dispatcher wipes as soon as this returns; the core keeps its own
	 * copy of the password for the check (session.h). */
	session_login_password(p->s, cmd->arg[0].ptr, cmd->arg[1].ptr,
	    pop2_login_done);
}

/* --- FOLD (RFC 937 Commands: FOLD; ACKD: changes made at FOLD) ---------- */

static void
pop2_fold_opened(struct session *s, int err, struct store *st,
    const char *msg)
{
	struct pop2 *p = session_data(s);

	explicit_bzero(p->folder, sizeof(p->folder));
	pop2_selected(p, err, st, msg, 0);
}

static void
pop2_fold_open(struct pop2 *p)
{
	if (p->st != NULL)
		store_close(p->st);
	p->st = NULL;
	session_store_open(p->s, p->folder, pop2_fold_opened);
}

static void
pop2_fold_committed(struct session *s, int err, const char *msg)
{
	struct pop2 *p = session_data(s);

	if (err != 0) {
		/* Nothing was removed (store_commit() is all or nothing);
		 * the client cannot be told in a "#nnn", so action 1. */
		pop2_store_fail(p, "commit", "deleted messages not removed",
		    err, msg);
		return;
	}
	pop2_fold_open(p);
}

static void
pop2_cmd_fold(struct pop2 *p, const struct pop2_cmd *cmd)
{
	/* The argument fits: it came from a line of POP2_MAX_LINE. */
	memcpy(p->folder, cmd->arg[0].ptr, cmd->arg[0].len + 1);
	/*
	 * RFC 937 ACKD: "The actual change is made when the mailbox is
	 * released at the end of the session or when the client selects
	 * another mailbox with the FOLD command."  So commit first, then
	 * release the old folder's lock, then open the new one.
	 */
	if (pop2_any_deleted(p))
		session_store_commit(p->s, p->st, pop2_fold_committed);
	else
		pop2_fold_open(p);
}

/* --- READ, RETR and the acknowledgments (RFC 937 Commands) ------------- */

static void
pop2_cmd_read(struct pop2 *p, const struct pop2_cmd *cmd)
{
	size_t count = pop2_count(p);
	uint64_t n;

	if (cmd->nargs == 1) {
		switch (pop2_parse_number(cmd->arg[0].ptr, cmd->arg[0].len,
		    SIZE_MAX, &n)) {
		case POP2_NUM_OK:
			break;
		case POP2_NUM_RANGE:
			n = SIZE_MAX;
			break;
		default:
			pop2_fail(p, "invalid message number, usage: READ [n]");
			return;
		}
		/* RFC 937 READ: "this command sets the current message
		 * indicator to that value"; any number past the last one
		 * answers =0 alike, so it is kept at count + 1. */
		p->cur = n > count ? count + 1 : (size_t)n;
	}
	pop2_enter_state(p, POP2_ITEM);
	pop2_reply_length(p);
}

/*
 * RFC 937 server action 7: "If message exists then send the data and got
 * to NEXT state, Else Close the connection."  Unlike action 1 there is no
 * "- error": the client is waiting for message octets (zero of them, or
 * the announced count), so any line would be taken for data.  The reason
 * goes to the log only.
 */
static void pop2_retr_close(struct pop2 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
pop2_retr_close(struct pop2 *p, const char *fmt, ...)
{
	char text[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	session_log(p->s, "event=disconnect state=%s reason=\"%s\"",
	    pop2_state_name(p->state), text);
	pop2_enter_state(p, POP2_DONE);
	session_close(p->s);
}

static void
pop2_sent(struct session *s, int err, const char *msg)
{
	struct pop2 *p = session_data(s);

	if (err != 0) {
		/* Nothing was sent (session.h). */
		session_warn(s, "event=store-error op=read error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		pop2_retr_close(p, "can't read message %zu", p->cur);
		return;
	}
	pop2_enter_state(p, POP2_NEXT);
}

static void
pop2_cmd_retr(struct pop2 *p, const struct pop2_cmd *cmd)
{
	struct session_msg_opts o;

	(void)cmd;
	/* RFC 937 RETR: "The server will close the connection if asked
	 * to transmit a message of zero characters (i.e., transmit a
	 * non-existent message)". */
	if (p->cur == 0 || p->cur > pop2_count(p)) {
		pop2_retr_close(p, "RETR with no current message (the "
		    "folder has %zu)", pop2_count(p));
		return;
	}
	if (pop2_cur_size(p) == 0) {
		pop2_retr_close(p, "RETR of message %zu, which is %s", p->cur,
		    store_is_deleted(p->st, p->cur - 1) ? "deleted" :
		    "empty");
		return;
	}
	/* RFC 937 Message Length: exactly the "=ccc" octets, no
	 * stuffing, no terminator: the client counts. */
	memset(&o, 0, sizeof(o));
	o.preamble = NULL;
	o.dot_stuff = 0;
	o.body_lines = -1;
	session_send_message(p->s, p->st, p->cur - 1, &o, pop2_sent);
}

/* RFC 937 ACKS/ACKD: "The current message indicator is incremented". */
static void
pop2_advance(struct pop2 *p)
{
	if (p->cur <= pop2_count(p))
		p->cur++;
}

static void
pop2_cmd_acks(struct pop2 *p, const struct pop2_cmd *cmd)
{
	(void)cmd;
	pop2_advance(p);
	pop2_enter_state(p, POP2_ITEM);
	pop2_reply_length(p);
}

static void
pop2_cmd_ackd(struct pop2 *p, const struct pop2_cmd *cmd)
{
	int err;

	(void)cmd;
	/* NEXT is entered only after the current message was sent, so it
	 * exists and is not deleted.  RFC 937 ACKD: "only marked for
	 * deletion"; committed at FOLD or QUIT. */
	if ((err = store_set_deleted(p->st, p->cur - 1, 1)) < 0) {
		pop2_store_fail(p, "delete", "can't delete message", err,
		    NULL);
		return;
	}
	pop2_advance(p);
	pop2_enter_state(p, POP2_ITEM);
	pop2_reply_length(p);
}

static void
pop2_cmd_nack(struct pop2 *p, const struct pop2_cmd *cmd)
{
	(void)cmd;
	/* RFC 937 NACK: "The current message indicator remains the same";
	 * the count is that of the message just sent, so positive. */
	pop2_enter_state(p, POP2_ITEM);
	pop2_reply_length(p);
}

/* --- QUIT (RFC 937 Commands: QUIT; server action 4) -------------------- */

static void
pop2_bye(struct pop2 *p)
{
	/* RFC 937 QUIT: '"+ OK" and Close the connection'.  The diagrams
	 * say "+ BYE" and Example 1 "+ OK, bye, bye"; only the "+" is
	 * fixed (Reply Strings), so both are honoured. */
	session_reply(p->s, "+ OK polypop POP2 server signing off, bye");
	session_close(p->s);
}

static void
pop2_quit_committed(struct session *s, int err, const char *msg)
{
	struct pop2 *p = session_data(s);

	if (err != 0) {
		session_warn(s, "event=commit-failed error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		session_reply(s, "- deleted messages not removed: %s",
		    store_strerror(err));
		session_close(s);
	} else
		pop2_bye(p);
	/* Release the lock at once, whatever the outcome. */
	store_close(p->st);
	p->st = NULL;
}

static void
pop2_cmd_quit(struct pop2 *p, const struct pop2_cmd *cmd)
{
	(void)cmd;
	pop2_enter_state(p, POP2_DONE);
	session_log(p->s, "event=quit");
	/* RFC 937 ACKD: the marked messages go "when the mailbox is
	 * released at the end of the session". */
	if (pop2_any_deleted(p))
		session_store_commit(p->s, p->st, pop2_quit_committed);
	else
		pop2_bye(p);
}

/* --- the table -------------------------------------------------------- */

/*
 * RFC 937, Server Decision Table.  Columns LSTN and DONE take no
 * command; the states below are where the row's action is not 1, and
 * the last field is the state that action goes to.
 */
const struct pop2_command pop2_commands[] = {
	{ "HELO", POP2_S_AUTH, 2, 2, 1, pop2_cmd_helo,
	    "HELO user password", "RFC 937 Commands: HELO; action 3", POP2_MBOX },
	{ "FOLD", POP2_S_MBOX | POP2_S_ITEM, 1, 1, 1, pop2_cmd_fold,
	    "FOLD mailbox", "RFC 937 Commands: FOLD; action 5", POP2_MBOX },
	{ "READ", POP2_S_MBOX | POP2_S_ITEM, 0, 1, 0, pop2_cmd_read,
	    "READ [n]", "RFC 937 Commands: READ; action 6", POP2_ITEM },
	{ "RETR", POP2_S_ITEM, 0, 0, 0, pop2_cmd_retr,
	    "RETR", "RFC 937 Commands: RETR; action 7", POP2_NEXT },
	{ "ACKS", POP2_S_NEXT, 0, 0, 0, pop2_cmd_acks,
	    "ACKS", "RFC 937 Commands: ACKS; action 8", POP2_ITEM },
	{ "ACKD", POP2_S_NEXT, 0, 0, 0, pop2_cmd_ackd,
	    "ACKD", "RFC 937 Commands: ACKD; action 8", POP2_ITEM },
	{ "NACK", POP2_S_NEXT, 0, 0, 0, pop2_cmd_nack,
	    "NACK", "RFC 937 Commands: NACK; action 8", POP2_ITEM },
	{ "QUIT", POP2_S_AUTH | POP2_S_MBOX | POP2_S_ITEM, 0, 0, 0,
	    pop2_cmd_quit, "QUIT", "RFC 937 Commands: QUIT; action 4",
	    POP2_DONE },
};
const size_t pop2_ncommands = sizeof(pop2_commands) / sizeof(pop2_commands[0]);

const struct pop2_command *
pop2_command_find(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < pop2_ncommands; i++)
		if (proto_keyword_is(kw, len, pop2_commands[i].name))
			return &pop2_commands[i];
	return NULL;
}

/* --- the dispatcher ---------------------------------------------------- */

/* "FOLD, READ or QUIT": what the client could have sent in P's state. */
static const char *
pop2_expected(const struct pop2 *p, char *buf, size_t size)
{
	size_t i, n = 0, k = 0, len = 0;

	for (i = 0; i < pop2_ncommands; i++)
		if (pop2_commands[i].states & POP2_S(p->state))
			n++;
	buf[0] = '\0';
	for (i = 0; i < pop2_ncommands && len < size; i++) {
		if ((pop2_commands[i].states & POP2_S(p->state)) == 0)
			continue;
		k++;
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		    k == 1 ? "" : k == n ? " or " : ", ",
		    pop2_commands[i].name);
	}
	return buf;
}

/* Returns the row to run, or NULL after action 1. */
static const struct pop2_command *
pop2_check(struct pop2 *p, const char *line, size_t len,
    struct pop2_cmd *cmd)
{
	const struct pop2_command *c = NULL;
	char quote[PROTO_QUOTE_MAX + 1], exp[64];
	int rc;

	rc = pop2_parse_keyword(line, len, cmd);
	pop2_expected(p, exp, sizeof(exp));
	switch (rc) {
	case POP2_PARSE_OK:
		c = pop2_command_find(cmd->keyword, cmd->kw_len);
		break;
	case POP2_PARSE_EMPTY:
		pop2_fail(p, "empty command line, expected %s", exp);
		return NULL;
	case POP2_PARSE_SPACE:
		pop2_fail(p, "command line starts with a space");
		return NULL;
	case POP2_PARSE_LONG:
		pop2_fail(p, "command line longer than 512 characters");
		return NULL;
	default:
		break;
	}
	if (c == NULL) {
		pop2_fail(p, "unknown command %s, expected %s",
		    proto_sanitise(cmd->kw, cmd->kw_len, quote, sizeof(quote)),
		    exp);
		return NULL;
	}
	if ((c->states & POP2_S(p->state)) == 0) {
		pop2_fail(p, "%s is not valid in state %s, expected %s",
		    c->name, pop2_state_name(p->state), exp);
		return NULL;
	}
	rc = pop2_parse_args(cmd, c->rest ? c->max_args : 0);
	if (rc == POP2_PARSE_CHAR) {
		pop2_fail(p, "invalid character in arguments");
		return NULL;
	}
	if (rc != POP2_PARSE_OK) {
		pop2_fail(p, "arguments must be separated by a single space "
		    "(quote spaces in arguments as \"\\ \")");
		return NULL;
	}
	if (cmd->nargs < c->min_args) {
		pop2_fail(p, "missing argument, usage: %s", c->usage);
		return NULL;
	}
	if (cmd->nargs > c->max_args) {
		pop2_fail(p, "too many arguments, usage: %s", c->usage);
		return NULL;
	}
	return c;
}

void
pop2_dispatch(struct pop2 *p, const char *line, size_t len)
{
	const struct pop2_command *c;
	struct pop2_cmd cmd;

	/* DONE reads nothing: the connection is closing (action 9). */
	if (p->state == POP2_DONE)
		return;
	if ((c = pop2_check(p, line, len, &cmd)) != NULL)
		c->handler(p, &cmd);
	/* CMD may hold HELO's password: explicit_bzero, because a memset
	 * of a dead buffer may be optimised away. */
	explicit_bzero(&cmd, sizeof(cmd));
}

/* --- docs ------------------------------------------------------------- */

const char *
pop2_states_text(unsigned states)
{
	switch (states) {
	case POP2_S_AUTH:
		return "AUTH";
	case POP2_S_MBOX | POP2_S_ITEM:
		return "MBOX, ITEM";
	case POP2_S_ITEM:
		return "ITEM";
	case POP2_S_NEXT:
		return "NEXT";
	case POP2_S_AUTH | POP2_S_MBOX | POP2_S_ITEM:
		return "AUTH, MBOX, ITEM";
	}
	return "?";
}

int
pop2_describe(const char *profile, size_t i,
    struct proto_command_doc *out)
{
	(void)profile;	/* no profiles: one revision */
	const struct pop2_command *c;

	memset(out, 0, sizeof(*out));
	if (i >= pop2_ncommands)
		return 0;
	c = &pop2_commands[i];
	out->name = c->name;
	out->usage = c->usage;
	out->states = pop2_states_text(c->states);
	out->section = c->section;
	return 1;
}
