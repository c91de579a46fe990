/*
 * pop1_cmds.c - the POP1 command table, its dispatcher and the handlers
 * (RFC 918, Commands).
 *
 * RFC 918 moves a whole mailbox at a time: RETR or RDEL opens and locks
 * it and answers "#xxx", its size; RCEV sends exactly xxx octets, which is
 * how the client knows where the data ends; RCVD closes and unlocks it,
 * after removing every message if the transaction began with RDEL.  The
 * dispatcher checks keyword, state and arity against the table and
 * answers -ERR itself, naming what the RFC wants next, so a handler runs
 * only in a state the RFC allows.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "pop1_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

/* --- helpers ---------------------------------------------------------- */

/* Copy an argument into a NUL-terminated buffer of SIZE octets. */
static int
pop1_arg_copy(const struct proto_arg *a, char *buf, size_t size)
{
	if (a->len >= size)
		return -1;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	return 0;
}

/*
 * RFC 918, The Protocol: "#xxx" is "the number of characters in the
 * mailbox".  It is the sum of the wire sizes (store.h: CRLF line ends, as
 * RFC 937 Message Length counts them, "CRLF counts as two characters") of
 * exactly the messages RCEV will send: all of them, in order.
 */
static uint64_t
pop1_mailbox_octets(const struct store *st)
{
	size_t i, n = store_count(st);
	uint64_t sum = 0;

	for (i = 0; i < n; i++)
		sum += store_size(st, i);
	return sum;
}

/* --- USER and PASS (RFC 918 Commands) --------------------------------- */

static int
pop1_cmd_user(struct pop1 *p, const struct pop1_cmd *cmd)
{
	if (pop1_arg_copy(&cmd->arg[0], p->user, sizeof(p->user)) < 0) {
		session_reply(p->s, "-ERR User name is too long.");
		return POP1_BAD;
	}
	/* "+OK" whether or not the name exists: PASS answers for both, so
	 * nobody learns which names are real. */
	pop1_enter_state(p, POP1_WAIT_PASS);
	session_reply(p->s, "+OK Send PASS.");
	return POP1_DONE;
}

static void
pop1_login_failed(struct pop1 *p, const char *reply)
{
	/* RFC 918 Diagram: a -ERR of PASS leads back to USER. */
	pop1_enter_state(p, POP1_WAIT_USER);
	session_reply(p->s, "%s", reply);
	if (++p->failed_logins < POP1_MAX_FAILED_LOGINS)
		return;
	session_log(p->s, "event=disconnect reason=too-many-failed-logins");
	session_reply(p->s, "-ERR Too many failed logins, closing connection.");
	pop1_enter_state(p, POP1_CLOSE);
	session_close(p->s);
}

static void
pop1_login_done(struct session *s, int result)
{
	struct pop1 *p = session_data(s);

	explicit_bzero(p->user, sizeof(p->user));
	switch (result) {
	case SESSION_LOGIN_OK:
		/* RFC 918 opens no mailbox at login: RETR or RDEL does. */
		pop1_enter_state(p, POP1_WAIT_COMMAND);
		session_reply(s, "+OK Logged in. Send RETR or RDEL mailbox.");
		break;
	case SESSION_LOGIN_FAIL:
	case SESSION_LOGIN_BADNAME:
	case SESSION_LOGIN_ESCHEME:
		/* One text for unknown user and wrong password. */
		pop1_login_failed(p, "-ERR Authentication failed.");
		break;
	default:
		pop1_enter_state(p, POP1_WAIT_USER);
		session_reply(s, "-ERR Authentication is temporarily "
		    "unavailable, try again later.");
		break;
	}
}

static int
pop1_cmd_pass(struct pop1 *p, const struct pop1_cmd *cmd)
{
	char pw[POP1_MAX_LINE];

	if (pop1_arg_copy(&cmd->arg[0], pw, sizeof(pw)) < 0) {
		pop1_login_failed(p, "-ERR Authentication failed.");
		return POP1_DONE;
	}
	session_login_password(p->s, p->user, pw, pop1_login_done);
	/* The core keeps its own copy; ours must not outlive the call. */
	explicit_bzero(pw, sizeof(pw));
	return POP1_DONE;
}

/* --- RETR and RDEL: open and lock, answer #xxx ------------------------- */

static void
pop1_opened(struct session *s, int err, struct store *st, const char *msg)
{
	struct pop1 *p = session_data(s);

	if (err == 0 && st == NULL)
		err = STORE_ETEMP;
	switch (err) {
	case 0:
		break;
	case STORE_EINUSE:
		session_log(s, "event=mailbox-in-use");
		session_reply(s, "-ERR Mailbox is in use: another session "
		    "has it locked.");
		return;
	case STORE_ENOFOLDER:
		session_reply(s, "-ERR No such mailbox.");
		pop1_bad_command(p);
		return;
	case STORE_EINVAL:
		session_reply(s, "-ERR Invalid mailbox name.");
		pop1_bad_command(p);
		return;
	default:
		session_warn(s, "event=store-error op=open error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		/* The reason may name paths; the client gets the generic
		 * text. */
		session_reply(s, "-ERR Can't open mailbox: %s.",
		    store_strerror(err));
		return;
	}
	p->st = st;
	p->next = 0;
	p->nmsgs = store_count(st);
	p->octets = pop1_mailbox_octets(st);
	session_log(s, "event=transaction kind=%s messages=%zu octets=%llu",
	    p->rdel ? "RDEL" : "RETR", store_count(st),
	    (unsigned long long)p->octets);
	pop1_enter_state(p, POP1_WAIT_RCEV);
	/* RFC 918 Normal Scenario: the reply is "#xxx" and nothing else. */
	session_reply(s, "#%llu", (unsigned long long)p->octets);
}

/*
 * The mailbox argument names a folder of the logged-in user: RFC 937,
 * Conventions: "mailbox - A mailbox name (also called a mail folder)",
 * with "system specific definitions".  The user's own name (the spool
 * file /usr/spool/mail/user of RFC 937 Default Mailboxes), "INBOX" and -
 * deliberate leniency - no name at all mean the default mailbox, INBOX.
 */
static int
pop1_begin(struct pop1 *p, const struct pop1_cmd *cmd, int rdel)
{
	char name[POP1_MAX_LINE];
	const char *folder = NULL, *user = session_user(p->s);

	if (cmd->nargs == 1) {
		if (pop1_arg_copy(&cmd->arg[0], name, sizeof(name)) < 0) {
			session_reply(p->s, "-ERR Invalid mailbox name.");
			return POP1_BAD;
		}
		if ((user == NULL || strcmp(name, user) != 0) &&
		    strcasecmp(name, "INBOX") != 0) {
			/* store.h: folder names follow the user-name rules
			 * (no '/', no leading '.'); refuse without a trip to
			 * the disk. */
			if (!store_user_name_ok(name, strlen(name))) {
				session_reply(p->s,
				    "-ERR Invalid mailbox name.");
				return POP1_BAD;
			}
			folder = name;
		}
	}
	p->rdel = rdel;
	/* RFC 918, The Protocol: "The server opens and locks the mailbox,
	 * and responds with the number of characters in the mailbox."  The
	 * lock is the store's maildrop lock, shared with POP2 and POP3. */
	session_store_open(p->s, folder, pop1_opened);
	return POP1_DONE;
}

static int
pop1_cmd_retr(struct pop1 *p, const struct pop1_cmd *cmd)
{
	return pop1_begin(p, cmd, 0);
}

static int
pop1_cmd_rdel(struct pop1 *p, const struct pop1_cmd *cmd)
{
	return pop1_begin(p, cmd, 1);
}

/* --- RCEV: the mail data ------------------------------------------------ */

static void pop1_send_next(struct pop1 *);

static void
pop1_sent(struct session *s, int err, const char *msg)
{
	struct pop1 *p = session_data(s);

	if (err != 0) {
		/*
		 * "#xxx" promised octets we can no longer send, and any reply
		 * line would be read as mail.  RFC 918 RCEV's responses are
		 * "+OK" or "(connection aborted)": abort.  close() releases
		 * the mailbox and deletes nothing.
		 */
		session_warn(s, "event=read-failed msg=%zu error=\"%s\" "
		    "reason=\"%s\"", p->next + 1, store_strerror(err),
		    msg != NULL ? msg : "");
		pop1_enter_state(p, POP1_CLOSE);
		session_close(s);
		return;
	}
	p->next++;
	pop1_send_next(p);
}

/*
 * One message at a time, each started from the previous one's done
 * callback: the core streams it with back-pressure, so a mailbox is never
 * held in memory whole.  Messages are sent as their CRLF wire octets, one
 * after another, with nothing between or after them: RFC 918 defines no
 * separator and no terminator; the client stops after xxx characters.
 */
static void
pop1_send_next(struct pop1 *p)
{
	struct session_msg_opts o;

	if (p->next >= store_count(p->st)) {
		session_log(p->s, "event=sent messages=%zu octets=%llu",
		    p->next, (unsigned long long)p->octets);
		pop1_enter_state(p, POP1_WAIT_RCVD);
		return;
	}
	memset(&o, 0, sizeof(o));
	o.preamble = NULL;
	o.dot_stuff = 0;	/* the count, not a dot, ends the data */
	o.body_lines = -1;
	session_send_message(p->s, p->st, p->next, &o, pop1_sent);
}

static int
pop1_cmd_rcev(struct pop1 *p, const struct pop1_cmd *cmd)
{
	(void)cmd;
	/*
	 * RFC 918 The Protocol: "The server responds by sending the mail
	 * data"; the Normal Scenario and the Diagram show the data as the
	 * reply.  The "+OK" listed under Commands is read as "the data":
	 * a "+OK" line before it would be counted by the client as the first
	 * of its xxx characters (RFC 937's RETR, the revision, also answers
	 * with the data alone).
	 */
	pop1_enter_state(p, POP1_SEND_DATA);
	p->next = 0;
	pop1_send_next(p);
	return POP1_DONE;
}

/* --- RCVD: end the transaction ------------------------------------------ */

static void
pop1_committed(struct session *s, int err, const char *msg)
{
	struct pop1 *p = session_data(s);
	/* Not store_count(): a commit clears the removed messages from
	 * the snapshot. */
	size_t n = p->nmsgs;

	if (err == 0) {
		session_log(s, "event=rdel deleted=%zu", n);
		session_reply(s, "+OK %zu message%s deleted.", n,
		    proto_plural(n));
	} else {
		session_warn(s, "event=commit-failed error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		/* RFC 918 RCVD: "it is possible that the mail is not
		 * necessarily deleted.  This is indicated by an error
		 * reply."  store_commit() removed none of it. */
		session_reply(s, "-ERR Mail not deleted: %s.",
		    store_strerror(err));
	}
	/* RFC 918 The Protocol: "In any case, the server closes and
	 * unlocks the mailbox." */
	pop1_release(p);
}

static int
pop1_cmd_rcvd(struct pop1 *p, const struct pop1_cmd *cmd)
{
	size_t i, n = store_count(p->st);
	int err;

	(void)cmd;
	if (!p->rdel) {
		session_log(p->s, "event=retr kept=%zu", n);
		pop1_release(p);
		session_reply(p->s, "+OK Mailbox released, %zu message%s "
		    "kept.", n, proto_plural(n));
		return POP1_DONE;
	}
	if (n == 0) {
		pop1_release(p);
		session_reply(p->s, "+OK 0 messages deleted.");
		return POP1_DONE;
	}
	/* RFC 918 The Protocol: "If the transaction started with the RDEL
	 * command the server now deletes the mail data from the mailbox":
	 * every message of the snapshot, which is exactly what was sent
	 * (mail delivered since RDEL is not in it and stays). */
	for (i = 0; i < n; i++) {
		if ((err = store_set_deleted(p->st, i, 1)) < 0) {
			session_warn(p->s, "event=store-error op=delete "
			    "error=\"%s\"", store_strerror(err));
			pop1_release(p);
			session_reply(p->s, "-ERR Mail not deleted: %s.",
			    store_strerror(err));
			return POP1_DONE;
		}
	}
	session_store_commit(p->s, p->st, pop1_committed);
	return POP1_DONE;
}

/* --- QUIT, NOOP, RSET --------------------------------------------------- */

/*
 * RFC 918 lists a single response for each of these three, "+OK", so they
 * succeed in every state (the Diagram draws them from the command loop,
 * where a client uses them).
 */
static int
pop1_cmd_quit(struct pop1 *p, const struct pop1_cmd *cmd)
{
	(void)cmd;
	if (p->st != NULL) {
		/* A transaction not ended by RCVD deletes nothing; like
		 * RSET, "properly close and unlock the mailbox". */
		session_log(p->s, "event=transaction-aborted by=QUIT");
		pop1_release(p);
	}
	pop1_enter_state(p, POP1_CLOSE);
	session_reply(p->s, "+OK polypop POP1 server signing off.");
	session_close(p->s);
	return POP1_DONE;
}

static int
pop1_cmd_noop(struct pop1 *p, const struct pop1_cmd *cmd)
{
	(void)cmd;
	session_reply(p->s, "+OK");
	return POP1_DONE;
}

static int
pop1_cmd_rset(struct pop1 *p, const struct pop1_cmd *cmd)
{
	(void)cmd;
	if (p->st != NULL) {
		/* RFC 918 RSET: "abort the current transaction ... the
		 * server must take care to properly close and unlock the
		 * mailbox."  Nothing is deleted, even after RDEL. */
		session_log(p->s, "event=transaction-aborted by=RSET");
		pop1_release(p);
		session_reply(p->s, "+OK Transaction aborted, mailbox "
		    "released unchanged.");
		return POP1_DONE;
	}
	if (p->state == POP1_WAIT_PASS) {
		/* Between USER and PASS the "transaction" is the login:
		 * abort it, back to USER. */
		explicit_bzero(p->user, sizeof(p->user));
		pop1_enter_state(p, POP1_WAIT_USER);
	}
	session_reply(p->s, "+OK Nothing to abort.");
	return POP1_DONE;
}

/* --- the table -------------------------------------------------------- */

#define S_USER		POP1_S(POP1_WAIT_USER)
#define S_PASS		POP1_S(POP1_WAIT_PASS)
#define S_COMMAND	POP1_S(POP1_WAIT_COMMAND)
#define S_RCEV		POP1_S(POP1_WAIT_RCEV)
#define S_RCVD		POP1_S(POP1_WAIT_RCVD)

/*
 * RFC 918, Summary of Commands and Replies, one row per command, in its
 * order.  States follow The Protocol and the Diagram (whose "RECV" is
 * RCEV).  RETR and RDEL take the mailbox as optional: see pop1_begin().
 */
const struct pop1_command pop1_commands[] = {
	{ "USER", S_USER, 1, 1, POP1_ARGS_SPLIT, pop1_cmd_user,
	    "USER name", "RFC 918 Commands: USER", POP1_WAIT_PASS },
	{ "PASS", S_PASS, 1, 1, POP1_ARGS_REST, pop1_cmd_pass,
	    "PASS password", "RFC 918 Commands: PASS", POP1_WAIT_COMMAND },
	{ "RETR", S_COMMAND, 0, 1, POP1_ARGS_SPLIT, pop1_cmd_retr,
	    "RETR mailbox", "RFC 918 Commands: RETR", POP1_WAIT_RCEV },
	{ "RDEL", S_COMMAND, 0, 1, POP1_ARGS_SPLIT, pop1_cmd_rdel,
	    "RDEL mailbox", "RFC 918 Commands: RDEL", POP1_WAIT_RCEV },
	{ "RCEV", S_RCEV, 0, 0, POP1_ARGS_SPLIT, pop1_cmd_rcev,
	    "RCEV", "RFC 918 Commands: RCEV; The Normal Scenario",
	    POP1_SEND_DATA },
	{ "RCVD", S_RCVD, 0, 0, POP1_ARGS_SPLIT, pop1_cmd_rcvd,
	    "RCVD", "RFC 918 Commands: RCVD; The Protocol",
	    POP1_WAIT_COMMAND },
	{ "QUIT", POP1_S_LINES, 0, 0, POP1_ARGS_SPLIT, pop1_cmd_quit,
	    "QUIT", "RFC 918 Commands: QUIT", POP1_CLOSE },
	{ "NOOP", POP1_S_LINES, 0, 0, POP1_ARGS_SPLIT, pop1_cmd_noop,
	    "NOOP", "RFC 918 Commands: NOOP", POP1_NEXT_STAY },
	{ "RSET", POP1_S_LINES, 0, 0, POP1_ARGS_SPLIT, pop1_cmd_rset,
	    "RSET", "RFC 918 Commands: RSET", POP1_NEXT_ABORT },
};
const size_t pop1_ncommands = sizeof(pop1_commands) / sizeof(pop1_commands[0]);

#undef S_USER
#undef S_PASS
#undef S_COMMAND
#undef S_RCEV
#undef S_RCVD

const struct pop1_command *
pop1_command_find(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < pop1_ncommands; i++)
		if (proto_keyword_is(kw, len, pop1_commands[i].name))
			return &pop1_commands[i];
	return NULL;
}

const char *
pop1_states_text(unsigned states, char *buf, size_t len)
{
	size_t o = 0;
	int st;

	if ((states & POP1_S_LINES) == POP1_S_LINES)
		return "any";
	buf[0] = '\0';
	for (st = 0; st < POP1_NSTATES && o < len; st++) {
		int n;

		if ((states & POP1_S(st)) == 0)
			continue;
		n = snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " : "",
		    pop1_state_name((enum pop1_state)st));
		if (n < 0)
			break;
		o += (size_t)n;
	}
	return buf;
}

int
pop1_describe(const char *profile, size_t i,
    struct proto_command_doc *out)
{
	(void)profile;	/* no profiles: one revision */
	/* The states text must outlive the call: one buffer per row. */
	static char text[16][96];
	const struct pop1_command *c;

	memset(out, 0, sizeof(*out));
	if (i >= pop1_ncommands || i >= sizeof(text) / sizeof(text[0]))
		return 0;
	c = &pop1_commands[i];
	out->name = c->name;
	out->usage = c->usage;
	out->states = pop1_states_text(c->states, text[i], sizeof(text[i]));
	out->section = c->section;
	return 1;
}

/* --- the dispatcher ---------------------------------------------------- */

/* What RFC 918 wants from the client in each state, for -ERR replies. */
static const char *
pop1_expected(enum pop1_state st)
{
	switch (st) {
	case POP1_WAIT_USER:
		return "send USER name, then PASS password.";
	case POP1_WAIT_PASS:
		return "USER must be followed by PASS; send USER again.";
	case POP1_WAIT_COMMAND:
		return "send RETR or RDEL mailbox to read mail, or QUIT.";
	case POP1_WAIT_RCEV:
		return "send RCEV to receive the mail, or RSET to abort.";
	case POP1_WAIT_RCVD:
		return "send RCVD to confirm the mail, or RSET to abort.";
	case POP1_SEND_DATA:
	case POP1_CLOSE:
		break;
	}
	return "QUIT.";
}

/* Returns the row to run, or NULL after replying -ERR. */
static const struct pop1_command *
pop1_check(struct pop1 *p, const char *line, size_t len,
    struct pop1_cmd *cmd)
{
	const struct pop1_command *c = NULL;
	char quote[PROTO_QUOTE_MAX + 1];
	const char *msg;
	int rc, usage;

	rc = pop1_parse_keyword(line, len, cmd);
	if (rc == POP1_PARSE_EMPTY) {
		session_reply(p->s, "-ERR Empty command line.");
		return NULL;
	}
	if (rc == POP1_PARSE_SPACE) {
		session_reply(p->s, "-ERR Command line starts with a space.");
		return NULL;
	}
	if (rc == POP1_PARSE_OK)
		c = pop1_command_find(cmd->keyword, cmd->kw_len);
	if (c == NULL) {
		session_reply(p->s, "-ERR Unknown command: %s",
		    proto_sanitise(cmd->kw, cmd->kw_len, quote, sizeof(quote)));
		return NULL;
	}
	if ((c->states & POP1_S(p->state)) == 0) {
		session_reply(p->s, "-ERR %s not valid now: %s", c->name,
		    pop1_expected(p->state));
		return NULL;
	}
	rc = pop1_parse_args(cmd, c->mode);
	msg = proto_args_problem(rc, cmd->nargs, c->min_args, c->max_args,
	    &usage);
	if (msg != NULL) {
		if (usage)
			session_reply(p->s, "-ERR %s Usage: %s", msg, c->usage);
		else
			session_reply(p->s, "-ERR %s", msg);
		return NULL;
	}
	return c;
}

void
pop1_dispatch(struct pop1 *p, const char *line, size_t len)
{
	const struct pop1_command *c;
	struct pop1_cmd cmd;

	if ((c = pop1_check(p, line, len, &cmd)) != NULL &&
	    c->handler(p, &cmd) == POP1_DONE)
		return;
	/* RFC 918 Diagram: every -ERR between USER and PASS leads back to
	 * USER ("It must be followed by the PASS command"). */
	if (p->state == POP1_WAIT_PASS) {
		explicit_bzero(p->user, sizeof(p->user));
		pop1_enter_state(p, POP1_WAIT_USER);
	}
	pop1_bad_command(p);
}
