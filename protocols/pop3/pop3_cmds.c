/*
 * pop3_cmds.c - the POP3 command table, its dispatcher and the handlers
 * (RFC 1939 §4-§7).
 *
 * The dispatcher checks keyword, state and arity against the table and
 * answers -ERR itself, so a handler runs only in a state the RFC allows
 * and with an argument count it accepts.  Replies carry RFC 2449 §8 /
 * RFC 3206 response codes where a client can act on them: [AUTH] for bad
 * credentials, [IN-USE] for a locked maildrop, [SYS/TEMP] and [SYS/PERM]
 * for our own failures.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

/* --- helpers ---------------------------------------------------------- */

/* RFC 1939 §5: STAT and friends count only messages not marked deleted. */
static void
pop3_drop_totals(const struct pop3 *p, size_t *count, uint64_t *octets)
{
	size_t i, n = store_count(p->st);

	*count = 0;
	*octets = 0;
	for (i = 0; i < n; i++) {
		if (store_is_deleted(p->st, i))
			continue;
		(*count)++;
		*octets += store_size(p->st, i);
	}
}

/* The one place a store failure becomes a response code (RFC 3206 §4):
 * SYS/PERM for what needs an administrator, SYS/TEMP for the rest. */
static const char *
pop3_store_code(int err)
{
	return err == STORE_EPERM ? "SYS/PERM" : "SYS/TEMP";
}

static void
pop3_store_error(struct pop3 *p, const char *op, const char *what, int err,
    const char *msg)
{
	session_warn(p->s, "event=store-error op=%s error=\"%s\" reason=\"%s\"",
	    op, store_strerror(err), msg != NULL ? msg : "");
	/* The reason may name paths; the client gets the generic text. */
	session_reply(p->s, "-ERR [%s] %s: %s.", pop3_store_code(err),
	    what, store_strerror(err));
}

/*
 * A message-number argument (RFC 1939 §4: 1-based, decimal) that must name
 * a message not marked deleted (RFC 1939 §5 LIST, RETR, DELE; §7 TOP,
 * UIDL).  Replies -ERR and returns -1 on failure; *IDX is 0-based.
 */
static int
pop3_msg_arg(struct pop3 *p, const struct proto_arg *a, size_t *idx)
{
	uint64_t n;

	switch (pop3_parse_number(a->ptr, a->len, SIZE_MAX, &n)) {
	case POP3_NUM_OK:
		break;
	case POP3_NUM_NOISE:
		session_reply(p->s, "-ERR Noise after message number.");
		return -1;
	case POP3_NUM_RANGE:
		session_reply(p->s, "-ERR Message number is too large.");
		return -1;
	default:
		session_reply(p->s, "-ERR Invalid message number.");
		return -1;
	}
	if (n == 0 || n > store_count(p->st)) {
		session_reply(p->s, "-ERR There's no message %llu.",
		    (unsigned long long)n);
		return -1;
	}
	if (store_is_deleted(p->st, (size_t)(n - 1))) {
		session_reply(p->s, "-ERR Message %llu is deleted.",
		    (unsigned long long)n);
		return -1;
	}
	*idx = (size_t)(n - 1);
	return 0;
}

/* --- AUTHORIZATION (RFC 1939 §4, §7) ---------------------------------- */

static void
pop3_login_failed(struct pop3 *p, const char *reply)
{
	session_reply(p->s, "%s", reply);
	if (++p->failed_logins < POP3_MAX_FAILED_LOGINS)
		return;
	/* RFC 1939 §4: after a -ERR "the server may close the connection". */
	session_log(p->s, "event=disconnect reason=too-many-failed-logins");
	session_reply(p->s, "-ERR Too many failed logins, closing connection.");
	session_close(p->s);
}

static void
pop3_store_opened(struct session *s, int err, struct store *st,
    const char *msg)
{
	struct pop3 *p = session_data(s);
	size_t count;
	uint64_t octets;

	if (err == STORE_EINUSE) {
		/* RFC 2449 §8.1.2: authenticated, but the maildrop is busy;
		 * RFC 1939 §4 keeps us in AUTHORIZATION. */
		session_log(s, "event=mailbox-in-use");
		session_reply(s,
		    "-ERR [IN-USE] Mailbox is locked by another session.");
		return;
	}
	if (err != 0 || st == NULL) {
		pop3_store_error(p, "open", "Can't open mailbox",
		    err != 0 ? err : STORE_ETEMP, msg);
		return;
	}
	p->st = st;
	pop3_drop_totals(p, &count, &octets);
	pop3_enter_state(p, POP3_TRANSACTION);
	session_reply(s, "+OK Logged in. %zu message%s (%llu octets).",
	    count, proto_plural(count), (unsigned long long)octets);
}

static void
pop3_login_done(struct session *s, int result)
{
	struct pop3 *p = session_data(s);

	switch (result) {
	case SESSION_LOGIN_OK:
		/* RFC 1939 §4: lock and open the maildrop before +OK. */
		session_store_open(s, NULL, pop3_store_opened);
		break;
	case SESSION_LOGIN_ESCHEME:
		/* APOP for a user whose secret is hashed.  Only the log says
		 * so: a distinct reply would tell an attacker that the name
		 * exists and how its secret is stored. */
		session_log(s, "event=apop-refused reason=\"secret is not "
		    "{PLAIN}, APOP cannot be checked\"");
		/* FALLTHROUGH */
	case SESSION_LOGIN_FAIL:
	case SESSION_LOGIN_BADNAME:
		/* One text for unknown user and wrong secret (RFC 1939 §13:
		 * do not tell an attacker which names exist). */
		pop3_login_failed(p, "-ERR [AUTH] Authentication failed.");
		break;
	default:
		session_reply(s, "-ERR [SYS/TEMP] Authentication is "
		    "temporarily unavailable, try again later.");
		break;
	}
}

/* Copy an argument into a NUL-terminated buffer of SIZE octets. */
static int
pop3_arg_copy(const struct proto_arg *a, char *buf, size_t size)
{
	if (a->len >= size)
		return -1;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	return 0;
}

static int
pop3_cmd_user(struct pop3 *p, const struct pop3_cmd *cmd)
{
	if (pop3_arg_copy(&cmd->arg[0], p->user, sizeof(p->user)) < 0) {
		session_reply(p->s, "-ERR User name is too long.");
		return POP3_BAD;
	}
	p->user_ok = 1;
	/* RFC 1939 §13: "+OK" whether or not the name exists. */
	session_reply(p->s, "+OK Send your password.");
	return POP3_DONE;
}

static int
pop3_cmd_pass(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char pw[POP3_MAX_LINE];

	if (!p->after_user) {
		session_reply(p->s,
		    "-ERR PASS must come right after a successful USER.");
		return POP3_BAD;
	}
	if (pop3_arg_copy(&cmd->arg[0], pw, sizeof(pw)) < 0) {
		session_reply(p->s, "-ERR [AUTH] Authentication failed.");
		return POP3_BAD;
	}
	session_login_password(p->s, p->user, pw, pop3_login_done);
	/* The core keeps its own copy; ours must not outlive the call.
	 * explicit_bzero, because a memset of a dead buffer may be
	 * optimised away. */
	explicit_bzero(pw, sizeof(pw));
	return POP3_DONE;
}

static int
pop3_cmd_apop(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char digest[POP3_MAX_LINE];

	if (pop3_arg_copy(&cmd->arg[0], p->user, sizeof(p->user)) < 0 ||
	    pop3_arg_copy(&cmd->arg[1], digest, sizeof(digest)) < 0) {
		session_reply(p->s, "-ERR [AUTH] Authentication failed.");
		return POP3_BAD;
	}
	/* RFC 1939 §7: the digest is checked against our greeting's
	 * timestamp, which the core keeps (session_apop_timestamp()). */
	session_login_apop(p->s, p->user, digest, pop3_login_done);
	explicit_bzero(digest, sizeof(digest));
	return POP3_DONE;
}

/* --- UPDATE (RFC 1939 §6) ---------------------------------------------- */

static void
pop3_committed(struct session *s, int err, const char *msg)
{
	struct pop3 *p = session_data(s);

	if (err == 0) {
		session_log(s, "event=quit left=%zu", p->left);
		if (p->left == 0)
			session_reply(s,
			    "+OK polypop signing off (maildrop empty).");
		else
			session_reply(s,
			    "+OK polypop signing off (%zu message%s left).",
			    p->left, proto_plural(p->left));
	} else {
		session_warn(s, "event=commit-failed error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		/* RFC 1939 §6 names this reply; RFC 3206 §4 adds the code. */
		session_reply(s,
		    "-ERR [SYS/TEMP] Some deleted messages not removed.");
	}
	/* RFC 1939 §6: "Whether the removal was successful or not, the
	 * server then releases any exclusive-access lock". */
	store_close(p->st);
	p->st = NULL;
	session_close(s);
}

static int
pop3_cmd_quit(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	if (p->state == POP3_AUTHORIZATION) {
		/* RFC 1939 §4/§6: QUIT before login does NOT enter UPDATE. */
		session_reply(p->s, "+OK polypop signing off.");
		session_close(p->s);
		return POP3_DONE;
	}
	pop3_drop_totals(p, &count, &octets);
	p->left = count;
	/* RFC 1939 §6: only QUIT in TRANSACTION enters UPDATE. */
	pop3_enter_state(p, POP3_UPDATE);
	session_store_commit(p->s, p->st, pop3_committed);
	return POP3_DONE;
}

/* --- TRANSACTION (RFC 1939 §5, §7) -------------------------------------- */

static int
pop3_cmd_stat(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	/* RFC 1939 §5: exactly "+OK nn mm", nothing after (STRONGLY
	 * discouraged), so clients can parse it. */
	pop3_drop_totals(p, &count, &octets);
	session_reply(p->s, "+OK %zu %llu", count,
	    (unsigned long long)octets);
	return POP3_DONE;
}

static void pop3_listing_resume(struct pop3 *);

static void
pop3_listing_drained(struct session *s)
{
	pop3_listing_resume(session_data(s));
}

/*
 * Send the lines of a LIST or UIDL listing from p->cursor on.  A mailbox
 * of 100,000 messages must not sit in memory as one reply: when the core
 * says its output queue is full, remember where we are and carry on from
 * session_wait_drain() (no command is read meanwhile).
 */
static void
pop3_listing_resume(struct pop3 *p)
{
	size_t n = store_count(p->st), i;

	while (p->cursor < n) {
		if (session_output_full(p->s)) {
			session_wait_drain(p->s, pop3_listing_drained);
			return;
		}
		i = p->cursor++;
		/* RFC 1939 §5, §7: deleted messages are not listed. */
		if (store_is_deleted(p->st, i))
			continue;
		if (p->listing == POP3_LISTING_LIST)
			session_reply(p->s, "%zu %llu", i + 1,
			    (unsigned long long)store_size(p->st, i));
		else
			session_reply(p->s, "%zu %s", i + 1,
			    store_uid(p->st, i));
	}
	/* RFC 1939 §3: the termination octet ends a multi-line reply. */
	session_reply(p->s, ".");
	p->listing = POP3_LISTING_NONE;
}

static void
pop3_listing_start(struct pop3 *p, enum pop3_listing what)
{
	p->listing = what;
	p->cursor = 0;
	pop3_listing_resume(p);
}

static int
pop3_cmd_list(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->nargs == 1) {
		if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
			return POP3_BAD;
		/* RFC 1939 §5: a scan listing is "n size", nothing else. */
		session_reply(p->s, "+OK %zu %llu", i + 1,
		    (unsigned long long)store_size(p->st, i));
		return POP3_DONE;
	}
	/* RFC 1939 App. A: LIST on an empty maildrop succeeds. */
	session_reply(p->s, "+OK scan listing follows");
	pop3_listing_start(p, POP3_LISTING_LIST);
	return POP3_DONE;
}

static int
pop3_cmd_uidl(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->nargs == 1) {
		if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
			return POP3_BAD;
		session_reply(p->s, "+OK %zu %s", i + 1, store_uid(p->st, i));
		return POP3_DONE;
	}
	session_reply(p->s, "+OK unique-id listing follows");
	pop3_listing_start(p, POP3_LISTING_UIDL);
	return POP3_DONE;
}

static void
pop3_sent(struct session *s, int err, const char *msg)
{
	struct pop3 *p = session_data(s);

	/* Nothing was sent when the message could not be opened, so one
	 * -ERR keeps the dialogue in step. */
	if (err != 0)
		pop3_store_error(p, "read", "Can't read message", err, msg);
}

static void
pop3_send(struct pop3 *p, size_t i, const char *preamble, long lines)
{
	struct session_msg_opts o;

	memset(&o, 0, sizeof(o));
	o.preamble = preamble;
	o.dot_stuff = 1;	/* RFC 1939 §3 byte-stuffing and ".CRLF" */
	o.body_lines = lines;
	session_send_message(p->s, p->st, i, &o, pop3_sent);
}

static int
pop3_cmd_retr(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char pre[64];
	size_t i;

	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	/* RFC 1939 §10's form; the size is the exact wire size (§11). */
	snprintf(pre, sizeof(pre), "+OK %llu octets\r\n",
	    (unsigned long long)store_size(p->st, i));
	pop3_send(p, i, pre, -1);
	return POP3_DONE;
}

static int
pop3_cmd_top(struct pop3 *p, const struct pop3_cmd *cmd)
{
	uint64_t lines;
	size_t i;

	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	/* RFC 1939 §7: "a non-negative number of lines". */
	switch (pop3_parse_number(cmd->arg[1].ptr, cmd->arg[1].len,
	    LONG_MAX, &lines)) {
	case POP3_NUM_OK:
		break;
	case POP3_NUM_RANGE:
		/* Deliberate leniency: more lines than any message has
		 * means the whole message (RFC 1939 §7), so clamp. */
		lines = LONG_MAX;
		break;
	case POP3_NUM_NOISE:
		session_reply(p->s, "-ERR Noise after number of lines.");
		return POP3_BAD;
	default:
		session_reply(p->s, "-ERR Invalid number of lines.");
		return POP3_BAD;
	}
	pop3_send(p, i, "+OK Top of message follows.\r\n", (long)lines);
	return POP3_DONE;
}

static int
pop3_cmd_dele(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;
	int err;

	/* A second DELE of one message fails in pop3_msg_arg(): RFC 1939
	 * §5 "may NOT refer to a message marked as deleted". */
	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	if ((err = store_set_deleted(p->st, i, 1)) < 0) {
		pop3_store_error(p, "delete", "Can't delete message", err,
		    NULL);
		return POP3_DONE;
	}
	/* RFC 1939 §5: only marked; removed in UPDATE. */
	session_reply(p->s, "+OK Message %zu deleted.", i + 1);
	return POP3_DONE;
}

static int
pop3_cmd_noop(struct pop3 *p, const struct pop3_cmd *cmd)
{
	(void)cmd;
	session_reply(p->s, "+OK Nothing to do.");
	return POP3_DONE;
}

static int
pop3_cmd_rset(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	store_undelete_all(p->st);
	pop3_drop_totals(p, &count, &octets);
	session_reply(p->s, "+OK Maildrop has %zu message%s (%llu octets).",
	    count, proto_plural(count), (unsigned long long)octets);
	return POP3_DONE;
}

/* --- the table -------------------------------------------------------- */

/*
 * RFC 1939 §9, one row per command.  QUIT is one row valid in two states;
 * its handler tells them apart (§4 ends the session, §6 enters UPDATE).
 * No row allows UPDATE: the session reads no command there.
 */
const struct pop3_command pop3_commands[] = {
	{ "USER", POP3_S_AUTH, POP3_PROFILES_ALL, 1, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_user, "USER name", "RFC 1939 §7" },
	{ "PASS", POP3_S_AUTH, POP3_PROFILES_ALL, 1, 1, POP3_ARGS_REST,
	    pop3_cmd_pass, "PASS string", "RFC 1939 §7" },
	{ "APOP", POP3_S_AUTH, POP3_PROFILES_ALL, 2, 2, POP3_ARGS_SPLIT,
	    pop3_cmd_apop, "APOP name digest", "RFC 1939 §7" },
	{ "QUIT", POP3_S_AUTH | POP3_S_TRANS, POP3_PROFILES_ALL, 0, 0,
	    POP3_ARGS_SPLIT, pop3_cmd_quit, "QUIT", "RFC 1939 §4, §6" },
	{ "STAT", POP3_S_TRANS, POP3_PROFILES_ALL, 0, 0, POP3_ARGS_SPLIT,
	    pop3_cmd_stat, "STAT", "RFC 1939 §5" },
	{ "LIST", POP3_S_TRANS, POP3_PROFILES_ALL, 0, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_list, "LIST [msg]", "RFC 1939 §5" },
	{ "RETR", POP3_S_TRANS, POP3_PROFILES_ALL, 1, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_retr, "RETR msg", "RFC 1939 §5" },
	{ "DELE", POP3_S_TRANS, POP3_PROFILES_ALL, 1, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_dele, "DELE msg", "RFC 1939 §5" },
	{ "NOOP", POP3_S_TRANS, POP3_PROFILES_ALL, 0, 0, POP3_ARGS_SPLIT,
	    pop3_cmd_noop, "NOOP", "RFC 1939 §5" },
	{ "RSET", POP3_S_TRANS, POP3_PROFILES_ALL, 0, 0, POP3_ARGS_SPLIT,
	    pop3_cmd_rset, "RSET", "RFC 1939 §5" },
	{ "TOP", POP3_S_TRANS, POP3_PROFILES_ALL, 2, 2, POP3_ARGS_SPLIT,
	    pop3_cmd_top, "TOP msg n", "RFC 1939 §7" },
	{ "UIDL", POP3_S_TRANS, POP3_PROFILES_ALL, 0, 1, POP3_ARGS_SPLIT,
	    pop3_cmd_uidl, "UIDL [msg]", "RFC 1939 §7" },
};
const size_t pop3_ncommands = sizeof(pop3_commands) / sizeof(pop3_commands[0]);

const struct pop3_command *
pop3_command_find(const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < pop3_ncommands; i++)
		if (proto_keyword_is(kw, len, pop3_commands[i].name))
			return &pop3_commands[i];
	return NULL;
}

/* --- the dispatcher ---------------------------------------------------- */

static void
pop3_wrong_state(struct pop3 *p, const struct pop3_command *c)
{
	/* RFC 1939 §3: a command in the wrong state MUST get -ERR. */
	if (p->state == POP3_AUTHORIZATION && (c->states & POP3_S_TRANS))
		session_reply(p->s, "-ERR Log in first: %s is only valid in "
		    "the TRANSACTION state.", c->name);
	else if (p->state == POP3_TRANSACTION && (c->states & POP3_S_AUTH))
		session_reply(p->s, "-ERR Already logged in: %s is only valid "
		    "in the AUTHORIZATION state.", c->name);
	else
		session_reply(p->s, "-ERR %s is not valid in the %s state.",
		    c->name, pop3_state_name(p->state));
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
		session_reply(p->s, "-ERR Empty command line.");
		return NULL;
	}
	if (rc == POP3_PARSE_SPACE) {
		session_reply(p->s, "-ERR Command line starts with a space.");
		return NULL;
	}
	if (rc == POP3_PARSE_OK)
		c = pop3_command_find(cmd->keyword, cmd->kw_len);
	if (c == NULL || (c->profiles & p->profile) == 0) {
		session_reply(p->s, "-ERR Unknown command: %s",
		    proto_sanitise(cmd->kw, cmd->kw_len, quote, sizeof(quote)));
		return NULL;
	}
	if ((c->states & POP3_S(p->state)) == 0) {
		pop3_wrong_state(p, c);
		return NULL;
	}
	rc = pop3_parse_args(cmd, c->mode);
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
pop3_dispatch(struct pop3 *p, const char *line, size_t len)
{
	const struct pop3_command *c;
	struct pop3_cmd cmd;

	/* RFC 1939 §7: PASS only "immediately after a successful USER";
	 * any other line in between, even a bad one, breaks the pair. */
	p->after_user = p->user_ok;
	p->user_ok = 0;

	if ((c = pop3_check(p, line, len, &cmd)) == NULL ||
	    c->handler(p, &cmd) < 0)
		pop3_bad_command(p);
}
