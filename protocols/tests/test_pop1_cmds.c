/*
 * test_pop1_cmds.c - Check tests for protocols/pop1/: the command table's
 * integrity, then RFC 918 dialogues run through the dispatcher, each a
 * table of {client line, exact server output} steps, and the mailbox
 * transfer checked octet for octet against its "#xxx".
 *
 * The mail is real: every dialogue gets a fresh Maildir and a fresh mbox
 * in a mkdtemp() directory (testenv.c, shared with the other modules' tests)
 * and runs once on each; logins are checked by the real auth layer
 * against a real users file.  Only the libuv core is replaced, by the
 * synchronous testcore.c.  Error replies come from real conditions:
 * a second open of the folder for a locked mailbox, a rewritten mbox for
 * a failed deletion, removed files for a read that fails.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop1.h"
#include "pop1_int.h"
#include "testcore.h"
#include "testenv.h"

/* The test messages as stored and as POP1 sends them: untouched, no
 * byte-stuffing, nothing between them. */
#define MSG1	TESTENV_MSG1_HEAD TESTENV_MSG1_BODY
#define MSG2	TESTENV_MSG2_HEAD TESTENV_MSG2_BODY
#define MSG3	TESTENV_MSG3

/* --- the table -------------------------------------------------------- */

START_TEST(test_table_rows)
{
	size_t i, j;

	ck_assert_uint_gt(pop1_ncommands, 0);
	for (i = 0; i < pop1_ncommands; i++) {
		const struct pop1_command *c = &pop1_commands[i];
		size_t n = strlen(c->name);

		ck_assert_ptr_nonnull(c->handler);
		ck_assert_uint_eq(n, POP1_KEYWORD_LEN);
		for (j = 0; j < n; j++)
			ck_assert(c->name[j] >= 'A' && c->name[j] <= 'Z');
		/* Every row cites RFC 918 by heading (it has no numbers). */
		ck_assert_ptr_nonnull(c->section);
		ck_assert(strncmp(c->section, "RFC 918 ", 8) == 0);
		ck_assert_ptr_nonnull(c->usage);
		ck_assert(strncmp(c->usage, c->name, n) == 0);
		ck_assert(c->usage[n] == '\0' || c->usage[n] == ' ');
		ck_assert_uint_le(c->min_args, c->max_args);
		ck_assert_uint_le(c->max_args, POP1_ARGS_MAX);
		ck_assert(c->mode == POP1_ARGS_SPLIT ||
		    (c->mode == POP1_ARGS_REST && c->max_args == 1));
		/* Only states in which lines are read. */
		ck_assert_uint_ne(c->states, 0);
		ck_assert_uint_eq(c->states & ~POP1_S_LINES, 0);
		for (j = i + 1; j < pop1_ncommands; j++)
			ck_assert_str_ne(c->name, pop1_commands[j].name);
	}
}
END_TEST

/* RFC 918 Summary of Commands and Replies: all nine, nothing more. */
START_TEST(test_table_complete)
{
	static const char *const rfc918[] = { "USER", "PASS", "RETR",
	    "RDEL", "RCEV", "RCVD", "QUIT", "NOOP", "RSET" };
	size_t i;

	ck_assert_uint_eq(pop1_ncommands, sizeof(rfc918) / sizeof(rfc918[0]));
	for (i = 0; i < pop1_ncommands; i++) {
		ck_assert_ptr_eq(pop1_command_find(rfc918[i], 4),
		    &pop1_commands[i]);
		ck_assert_str_eq(pop1_commands[i].name, rfc918[i]);
	}
	/* The Diagram's "RECV" is a misprint of RCEV (CHANGES.md). */
	ck_assert_ptr_null(pop1_command_find("RECV", 4));
	ck_assert_ptr_null(pop1_command_find("rcev", 3));
	ck_assert_ptr_nonnull(pop1_command_find("rcev", 4));
	ck_assert_ptr_null(pop1_command_find("HELO", 4));
	ck_assert_ptr_null(pop1_command_find("R\0EV", 4));
	ck_assert_ptr_null(pop1_command_find("\xd2" "CEV", 4));
}
END_TEST

START_TEST(test_ops)
{
	ck_assert_str_eq(pop1_ops.name, "pop1");
	/* RFC 923: "109 POP Post Office Protocol [110]", i.e. RFC 918. */
	ck_assert_uint_eq(pop1_ops.default_port, 109);
	ck_assert_uint_eq(pop1_ops.max_line, 512);
	ck_assert_ptr_nonnull(pop1_ops.start);
	ck_assert_ptr_nonnull(pop1_ops.takeover);
	ck_assert_ptr_nonnull(pop1_ops.line);
	ck_assert_ptr_nonnull(pop1_ops.overflow);
	ck_assert_ptr_nonnull(pop1_ops.refuse);
	ck_assert_ptr_nonnull(pop1_ops.shutdown);
	ck_assert_ptr_nonnull(pop1_ops.close);
	ck_assert_ptr_nonnull(pop1_ops.trace_keep);
	ck_assert_ptr_nonnull(pop1_ops.describe);
}
END_TEST

START_TEST(test_describe)
{
	struct proto_command_doc d;
	size_t i;

	for (i = 0; pop1_ops.describe("", i, &d); i++) {
		ck_assert_str_eq(d.name, pop1_commands[i].name);
		ck_assert_str_eq(d.usage, pop1_commands[i].usage);
		ck_assert_str_eq(d.section, pop1_commands[i].section);
	}
	ck_assert_uint_eq(i, pop1_ncommands);
	ck_assert(pop1_ops.describe("", 0, &d));
	ck_assert_str_eq(d.states, "WAIT-USER");
	ck_assert(pop1_ops.describe("", 4, &d));
	ck_assert_str_eq(d.name, "RCEV");
	ck_assert_str_eq(d.states, "WAIT-RCEV");
	ck_assert(pop1_ops.describe("", 8, &d));
	ck_assert_str_eq(d.states, "any");
	ck_assert(!pop1_ops.describe("", 9, &d));
}
END_TEST

/* --trace masks the password and nothing else. */
START_TEST(test_trace_keep)
{
	static const struct {
		const char *line;
		size_t keep;
	} c[] = {
		{ "PASS secret", 5 },
		{ "pass two words", 5 },
		{ "PASS", 4 },
		{ " PASS secret", 0 },
		{ "USER fred", 9 },
		{ "RDEL mailbox", 12 },
		{ "", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		ck_assert_uint_eq(pop1_ops.trace_keep(NULL, c[i].line,
		    strlen(c[i].line)), c[i].keep);
}
END_TEST

/* --- dialogues -------------------------------------------------------- */

#define MAXSTEPS	40

/*
 * A step's client line is sent as it is, except:
 *   @overflow   the core's report of an over-long line
 *   @authfault  the auth layer's next check fails internally
 *   @rewrite    another program rewrites the mbox (same octets, new file
 *               renamed over it), as a MUA compacting it would
 *   @vanish     another program removes every message behind the
 *               session's back (Maildir files unlinked, mbox truncated)
 */
struct step {
	const char	*c;
	const char	*s;	/* exact output, CRLFs and all */
};

/* What is done to the mail before the session starts. */
enum cond {
	COND_NONE,
	COND_LOCKED,	/* another session holds INBOX (the lock registry) */
	COND_FOLDER,	/* message 3 delivered to folder "work" */
};

#define ON_MAILDIR	(1u << STORE_MAILDIR)
#define ON_MBOX		(1u << STORE_MBOX)
#define ON_BOTH		(ON_MAILDIR | ON_MBOX)

struct dialogue {
	const char	*name;
	unsigned	 kinds;		/* ON_* backends it runs on */
	size_t		 nmsgs;		/* messages delivered to INBOX */
	enum cond	 cond;
	struct step	 step[MAXSTEPS];
	int		 closed;	/* module closed the session */
	unsigned	 opens;		/* stores handed to the module */
	unsigned	 commits;	/* store_commit() calls */
	size_t		 removed;	/* INBOX messages gone at the end */
	const char	*state;		/* last traced state */
};

#define SENDPASS	"+OK Send PASS.\r\n"
#define LOGGEDIN	"+OK Logged in. Send RETR or RDEL mailbox.\r\n"
#define LOGIN		{ "USER mrose", SENDPASS }, \
	{ "PASS tanstaaf", LOGGEDIN }
#define AUTHFAIL	"-ERR Authentication failed.\r\n"
#define BYE		"+OK polypop POP1 server signing off.\r\n"
#define KEPT(n)		"+OK Mailbox released, " n " kept.\r\n"
#define DELETED(n)	"+OK " n " deleted.\r\n"
#define ABORTED		"+OK Transaction aborted, mailbox released " \
	"unchanged.\r\n"
#define NOTHING		"+OK Nothing to abort.\r\n"
#define INUSE		"-ERR Mailbox is in use: another session has it " \
	"locked.\r\n"
#define NOTNOW(c, what)	"-ERR " c " not valid now: " what "\r\n"
#define W_USER		"send USER name, then PASS password."
#define W_PASS		"USER must be followed by PASS; send USER again."
#define W_COMMAND	"send RETR or RDEL mailbox to read mail, or QUIT."
#define W_RCEV		"send RCEV to receive the mail, or RSET to abort."
#define W_RCVD		"send RCVD to confirm the mail, or RSET to abort."

static const struct dialogue dialogues[] = {
	/* RFC 918 The Normal Scenario, word for word. */
	{ "The Normal Scenario (RDEL)", ON_BOTH, 2, COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "RCVD", DELETED("2 messages") },
		{ "QUIT", BYE },
	    }, 1, 1, 1, 2, "CLOSE" },
	{ "RETR keeps; the mailbox can be read again", ON_BOTH, 2,
	    COND_NONE, {
		LOGIN,
		{ "RETR mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "RCVD", KEPT("2 messages") },
		/* An empty name and INBOX are the default mailbox too. */
		{ "RETR", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "RCVD", KEPT("2 messages") },
		{ "retr inbox", "#300\r\n" },
		{ "rcev", MSG1 MSG2 },
		{ "rcvd", KEPT("2 messages") },
		{ "QUIT", BYE },
	    }, 1, 3, 0, 0, "CLOSE" },
	{ "RSET aborts: nothing deleted, lock released", ON_BOTH, 2,
	    COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "RSET", ABORTED },
		{ "RCEV", NOTNOW("RCEV", W_COMMAND) },
		{ "RDEL mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "RSET", ABORTED },
		{ "RCVD", NOTNOW("RCVD", W_COMMAND) },
		{ "RSET", NOTHING },
		{ "QUIT", BYE },
	    }, 1, 2, 0, 0, "CLOSE" },
	{ "every command in every state, before login", ON_BOTH, 2, COND_NONE, {
		/* WAIT-USER: USER; QUIT, NOOP, RSET always answer +OK. */
		{ "PASS tanstaaf", NOTNOW("PASS", W_USER) },
		{ "RETR mrose", NOTNOW("RETR", W_USER) },
		{ "RDEL mrose", NOTNOW("RDEL", W_USER) },
		{ "RCEV", NOTNOW("RCEV", W_USER) },
		{ "RCVD", NOTNOW("RCVD", W_USER) },
		{ "NOOP", "+OK\r\n" },
		{ "RSET", NOTHING },
		/* WAIT-PASS: PASS; any -ERR goes back to USER. */
		{ "USER mrose", SENDPASS },
		{ "NOOP", "+OK\r\n" },
		{ "RETR x", NOTNOW("RETR", W_PASS) },
		{ "PASS tanstaaf", NOTNOW("PASS", W_USER) },
		{ "USER mrose", SENDPASS },
		{ "USER mrose", NOTNOW("USER", W_PASS) },
		{ "USER mrose", SENDPASS },
		{ "RSET", NOTHING },
		{ "PASS tanstaaf", NOTNOW("PASS", W_USER) },
	    }, 0, 0, 0, 0, "WAIT-USER" },
	/* Split from the above: twenty -ERRs would end the session. */
	{ "every command in every state, logged in", ON_BOTH, 2, COND_NONE, {
		LOGIN,
		/* WAIT-COMMAND: RETR, RDEL. */
		{ "USER mrose", NOTNOW("USER", W_COMMAND) },
		{ "PASS x", NOTNOW("PASS", W_COMMAND) },
		{ "RCEV", NOTNOW("RCEV", W_COMMAND) },
		{ "RCVD", NOTNOW("RCVD", W_COMMAND) },
		{ "NOOP", "+OK\r\n" },
		{ "RSET", NOTHING },
		/* WAIT-RCEV: RCEV. */
		{ "RETR mrose", "#300\r\n" },
		{ "RETR mrose", NOTNOW("RETR", W_RCEV) },
		{ "RDEL mrose", NOTNOW("RDEL", W_RCEV) },
		{ "RCVD", NOTNOW("RCVD", W_RCEV) },
		{ "USER mrose", NOTNOW("USER", W_RCEV) },
		{ "NOOP", "+OK\r\n" },
		/* WAIT-RCVD: RCVD. */
		{ "RCEV", MSG1 MSG2 },
		{ "RCEV", NOTNOW("RCEV", W_RCVD) },
		{ "RDEL mrose", NOTNOW("RDEL", W_RCVD) },
		{ "PASS x", NOTNOW("PASS", W_RCVD) },
		{ "NOOP", "+OK\r\n" },
		{ "RCVD", KEPT("2 messages") },
		{ "QUIT", BYE },
	    }, 1, 1, 0, 0, "CLOSE" },
	{ "QUIT in each state ends without deleting", ON_BOTH, 2,
	    COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "QUIT", BYE },
	    }, 1, 1, 0, 0, "CLOSE" },
	{ "QUIT before login", ON_BOTH, 2, COND_NONE, {
		{ "QUIT", BYE },
	    }, 1, 0, 0, 0, "CLOSE" },
	{ "a lost connection deletes nothing", ON_BOTH, 2, COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
	    }, 0, 1, 0, 0, "WAIT-RCVD" },
	{ "failed logins", ON_BOTH, 2, COND_NONE, {
		{ "USER mrose", SENDPASS },
		{ "PASS wrong", AUTHFAIL },
		{ "RETR mrose", NOTNOW("RETR", W_USER) },
		{ "USER nobody", SENDPASS },
		{ "PASS tanstaaf", AUTHFAIL },
		/* A server fault is not the client's failure. */
		{ "@authfault", "" },
		{ "USER mrose", SENDPASS },
		{ "PASS tanstaaf", "-ERR Authentication is temporarily "
		    "unavailable, try again later.\r\n" },
		{ "USER hashed", SENDPASS },
		{ "PASS wrong", AUTHFAIL
		    "-ERR Too many failed logins, closing connection.\r\n" },
	    }, 1, 0, 0, 0, "CLOSE" },
	{ "a crypt secret; an empty mailbox of its own", ON_BOTH, 2,
	    COND_NONE, {
		{ "USER hashed", SENDPASS },
		{ "PASS " TESTENV_HASHED_PASS, LOGGEDIN },
		{ "RETR", "#0\r\n" },
		{ "RCEV", "" },
		{ "RCVD", KEPT("0 messages") },
	    }, 0, 1, 0, 0, "WAIT-COMMAND" },
	{ "mailbox in use by another session", ON_BOTH, 2, COND_LOCKED, {
		LOGIN,
		{ "RETR mrose", INUSE },
		{ "RDEL", INUSE },
		{ "RCEV", NOTNOW("RCEV", W_COMMAND) },
		{ "QUIT", BYE },
	    }, 1, 0, 0, 0, "CLOSE" },
	{ "empty mailbox: #0 and no data", ON_BOTH, 0, COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#0\r\n" },
		{ "RCEV", "" },
		{ "RCVD", DELETED("0 messages") },
	    }, 0, 1, 0, 0, "WAIT-COMMAND" },
	{ "one message, singular", ON_BOTH, 1, COND_NONE, {
		LOGIN,
		{ "RDEL", "#100\r\n" },
		{ "RCEV", MSG1 },
		{ "RCVD", DELETED("1 message") },
		{ "RETR", "#0\r\n" },
		{ "RCEV", "" },
		{ "RCVD", KEPT("0 messages") },
	    }, 0, 2, 1, 1, "WAIT-COMMAND" },
	{ "another mailbox by name", ON_BOTH, 1, COND_FOLDER, {
		LOGIN,
		{ "RDEL work", "#300\r\n" },
		{ "RCEV", MSG3 },
		{ "RCVD", DELETED("1 message") },
		{ "RETR work", "#0\r\n" },
		{ "RSET", ABORTED },
		{ "RETR mrose", "#100\r\n" },
		{ "RCEV", MSG1 },
		{ "RCVD", KEPT("1 message") },
		{ "RETR nosuch", "-ERR No such mailbox.\r\n" },
	    }, 0, 3, 1, 0, "WAIT-COMMAND" },
	{ "RCVD after RDEL when deletion fails", ON_MBOX, 2, COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "RCEV", MSG1 MSG2 },
		{ "@rewrite", "" },
		{ "RCVD", "-ERR Mail not deleted: mailbox changed by another "
		    "program.\r\n" },
		/* Closed and unlocked in any case. */
		{ "RETR mrose", "#300\r\n" },
	    }, 0, 2, 1, 0, "WAIT-RCEV" },
	{ "mail gone before RCEV: connection aborted", ON_BOTH, 2,
	    COND_NONE, {
		LOGIN,
		{ "RDEL mrose", "#300\r\n" },
		{ "@vanish", "" },
		{ "RCEV", "" },
	    }, 1, 1, 0, 2 /* by the other program */, "CLOSE" },
	{ "arguments", ON_BOTH, 2, COND_NONE, {
		{ "USER", "-ERR Missing argument. Usage: USER name\r\n" },
		{ "USER a b", "-ERR Too many arguments. Usage: USER name\r\n" },
		{ "USER mrose", SENDPASS },
		{ "PASS", "-ERR Missing argument. Usage: PASS password\r\n" },
		LOGIN,
		{ "RETR a b", "-ERR Too many arguments. Usage: RETR "
		    "mailbox\r\n" },
		{ "RETR  a", "-ERR Arguments must be separated by a single "
		    "space.\r\n" },
		{ "RETR \x01", "-ERR Invalid character in arguments.\r\n" },
		{ "RETR .hidden", "-ERR Invalid mailbox name.\r\n" },
		{ "RDEL ..", "-ERR Invalid mailbox name.\r\n" },
		{ "RDEL a/b", "-ERR Invalid mailbox name.\r\n" },
		{ "RETR nosuch", "-ERR No such mailbox.\r\n" },
		{ "NOOP x", "-ERR Too many arguments. Usage: NOOP\r\n" },
		{ "QUIT now", "-ERR Too many arguments. Usage: QUIT\r\n" },
		{ "RETR mrose ", "#300\r\n" },
		{ "RCEV x", "-ERR Too many arguments. Usage: RCEV\r\n" },
		{ "RCEV ", MSG1 MSG2 },
		{ "RCVD ", KEPT("2 messages") },
	    }, 0, 1, 0, 0, "WAIT-COMMAND" },
	{ "unknown and malformed commands", ON_BOTH, 2, COND_NONE, {
		{ "HELO mrose tanstaaf", "-ERR Unknown command: HELO\r\n" },
		{ "RECV", "-ERR Unknown command: RECV\r\n" },
		{ "STAT", "-ERR Unknown command: STAT\r\n" },
		{ "TOP 1 2", "-ERR Unknown command: TOP\r\n" },
		{ "", "-ERR Empty command line.\r\n" },
		{ " USER mrose", "-ERR Command line starts with a space.\r\n" },
		{ "\x01\x1b[2J\x7f\xff", "-ERR Unknown command: ??[2J??\r\n" },
		{ "US%s", "-ERR Unknown command: US%s\r\n" },
		{ "QUIT\r", "-ERR Unknown command: QUIT?\r\n" },
		{ "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ",
		    "-ERR Unknown command: "
		    "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ\r\n" },
		{ "USER mrose", SENDPASS },
		{ "XXXX", "-ERR Unknown command: XXXX\r\n" },
		{ "PASS tanstaaf", NOTNOW("PASS", W_USER) },
	    }, 0, 0, 0, 0, "WAIT-USER" },
	{ "over-long lines", ON_BOTH, 2, COND_NONE, {
		{ "USER mrose", SENDPASS },
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "PASS tanstaaf", NOTNOW("PASS", W_USER) },
		LOGIN,
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "RETR", "#300\r\n" },
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "RCEV", MSG1 MSG2 },
	    }, 0, 1, 0, 0, "WAIT-RCVD" },
};
#define NDIALOGUES	(sizeof(dialogues) / sizeof(dialogues[0]))

/* Another program rewrites the mbox: same octets, a new file renamed
 * over the old one, so the snapshot's file identity is gone. */
static void
rewrite_mbox(const struct testenv *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8], cmd[2 * PATH_MAX + 32];

	testenv_inbox_path(e, TESTENV_USER, path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.mua", path);
	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", path, tmp);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(rename(tmp, path), 0);
}

/* Another program removes every message of the INBOX. */
static void
vanish(const struct testenv *e)
{
	char path[PATH_MAX], cmd[2 * PATH_MAX + 32];

	testenv_inbox_path(e, TESTENV_USER, path, sizeof(path));
	if (e->kind == STORE_MBOX) {
		ck_assert_int_eq(truncate(path, 0), 0);
		return;
	}
	snprintf(cmd, sizeof(cmd), "rm -f '%s'/new/* '%s'/cur/*", path,
	    path);
	ck_assert_int_eq(system(cmd), 0);
}

static void
deliver_folder(struct testenv *e, const char *folder, const char *msg)
{
	struct store_user u = { TESTENV_USER, NULL };
	char path[PATH_MAX], err[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/folder.msg", e->dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w+"));
	ck_assert_uint_eq(fwrite(msg, 1, strlen(msg), fp), strlen(msg));
	ck_assert_int_eq(fflush(fp), 0);
	rewind(fp);
	ck_assert_msg(store_deliver(&e->loc, &u, folder, fileno(fp),
	    "postmaster@dbc.mtview.ca.us", err, sizeof(err)) == 0, "%s", err);
	fclose(fp);
	unlink(path);
}

/* Dialogue _i / 2 on a Maildir (even _i) or an mbox (odd _i). */
START_TEST(test_dialogue)
{
	const struct dialogue *d = &dialogues[_i / 2];
	enum store_kind kind = _i % 2 ? STORE_MBOX : STORE_MAILDIR;
	struct store *st, *held = NULL;
	struct session *s;
	struct testenv env;
	size_t i;

	if ((d->kinds & (1u << kind)) == 0)
		return;
	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, d->nmsgs);
	if (d->cond == COND_LOCKED)
		ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &held), 0);
	if (d->cond == COND_FOLDER)
		deliver_folder(&env, "work", MSG3);

	s = testcore_new(&env.loc, env.db, &pop1_ops);
	ck_assert_int_eq(pop1_ops.start(s), 0);
	/* RFC 918 The Normal Scenario: the greeting is "+OK". */
	ck_assert(strncmp(testcore_output(s), "+OK ", 4) == 0);
	testcore_clear(s);
	for (i = 0; i < MAXSTEPS && d->step[i].c != NULL; i++) {
		const struct step *sp = &d->step[i];

		ck_assert_msg(!s->closed, "%s: step %zu after close",
		    d->name, i);
		if (strcmp(sp->c, "@overflow") == 0)
			pop1_ops.overflow(s);
		else if (strcmp(sp->c, "@authfault") == 0)
			s->auth_fault = 1;
		else if (strcmp(sp->c, "@rewrite") == 0)
			rewrite_mbox(&env);
		else if (strcmp(sp->c, "@vanish") == 0)
			vanish(&env);
		else
			testcore_line(s, sp->c);
		ck_assert_msg(strcmp(testcore_output(s), sp->s) == 0,
		    "%s (%s): step %zu \"%s\":\n got: \"%s\"\nwant: \"%s\"",
		    d->name, kind == STORE_MBOX ? "mbox" : "maildir", i,
		    sp->c, testcore_output(s), sp->s);
		testcore_clear(s);
	}
	ck_assert_int_eq(s->closed, d->closed);
	ck_assert_uint_eq(s->opens, d->opens);
	ck_assert_uint_eq(s->commits, d->commits);
	ck_assert_msg(strcmp(s->state, d->state) == 0, "%s: state %s, want %s",
	    d->name, s->state, d->state);
	/* The lost connection: close() without commit. */
	pop1_ops.close(s);
	ck_assert_ptr_null(session_data(s));
	testcore_free(s);
	if (held != NULL)
		store_close(held);
	/* The module released the lock (a second store_close() would be a
	 * use after free, which ASan builds catch), and INBOX lost exactly
	 * the messages it should have. */
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(d->nmsgs - store_count(st), d->removed);
	store_close(st);
	testenv_fini(&env);
}
END_TEST

/* --- the mailbox transfer, octet for octet ----------------------------- */

/*
 * RFC 918 The Protocol: RETR/RDEL answer "the number of characters in the
 * mailbox" and RCEV sends the mail data; the client knows where it ends
 * only by that count.  So the data must be exactly #xxx octets: every
 * message's wire octets in order, nothing else.
 */
START_TEST(test_count_is_exact)
{
	static const char all[] = MSG1 MSG2 MSG3;
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	struct testenv env;
	struct session *s;
	unsigned long long n;
	const char *o;
	char *end;

	testenv_init(&env, kind);
	/* A message with bare LFs and no final line end: its wire form is
	 * CRLF throughout and the count says so (RFC 937 Message Length:
	 * "CRLF counts as two characters"). */
	testenv_deliver_std(&env, TESTENV_USER, 3);
	testenv_deliver(&env, TESTENV_USER, "Subject: lf\n\nbare\nlf", 20);
	s = testcore_new(&env.loc, env.db, &pop1_ops);
	ck_assert_int_eq(pop1_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	testcore_clear(s);
	testcore_line(s, "RETR mrose");
	/* "#xxx" and nothing else on the line. */
	o = testcore_output(s);
	ck_assert(o[0] == '#' && o[1] >= '0' && o[1] <= '9');
	n = strtoull(o + 1, &end, 10);
	ck_assert_str_eq(end, "\r\n");
	testcore_clear(s);
	testcore_line(s, "RCEV");
	ck_assert_uint_eq(testcore_output_len(s), n);
	ck_assert_uint_eq(n, 600 + 25);
	ck_assert(memcmp(testcore_output(s), all, 600) == 0);
	ck_assert_str_eq(testcore_output(s) + 600,
	    "Subject: lf\r\n\r\nbare\r\nlf\r\n");
	/* One stream per message, chained; untouched octets. */
	ck_assert_uint_eq(s->sends, 4);
	ck_assert_int_eq(s->opts.dot_stuff, 0);
	ck_assert_int_eq(s->opts.body_lines, -1);
	ck_assert_ptr_null(s->opts.preamble);
	ck_assert_str_eq(s->state, "WAIT-RCVD");
	testcore_clear(s);
	testcore_line(s, "RCVD");
	ck_assert_str_eq(testcore_output(s), KEPT("4 messages"));
	pop1_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

/* --- hand-over from the port-109 listener ------------------------------ */

START_TEST(test_takeover)
{
	struct testenv env;
	struct session *s;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = testcore_new(&env.loc, env.db, &pop1_ops);
	/* No second greeting: the listener sent one. */
	ck_assert_int_eq(pop1_ops.takeover(s), 0);
	ck_assert_str_eq(testcore_output(s), "");
	ck_assert_str_eq(s->state, "WAIT-USER");
	/* The first line is the one the listener chose us by. */
	testcore_line(s, "USER mrose");
	ck_assert_str_eq(testcore_output(s), SENDPASS);
	testcore_clear(s);
	testcore_line(s, "PASS tanstaaf");
	testcore_line(s, "RDEL mrose");
	testcore_line(s, "RCEV");
	testcore_line(s, "RCVD");
	ck_assert_str_eq(testcore_output(s), LOGGEDIN "#100\r\n" MSG1
	    DELETED("1 message"));
	pop1_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

/* Dovecot's limit: the 20th bad command ends the session; a bad line
 * between USER and PASS counts too. */
START_TEST(test_bad_command_limit)
{
	struct testenv env;
	struct session *s;
	int i;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = testcore_new(&env.loc, env.db, &pop1_ops);
	ck_assert_int_eq(pop1_ops.start(s), 0);
	for (i = 1; i < POP1_MAX_BAD_COMMANDS; i++) {
		testcore_clear(s);
		testcore_line(s, i % 2 ? "FOO" : "RCEV");
		ck_assert(strncmp(testcore_output(s), "-ERR ", 5) == 0);
		ck_assert(!s->closed);
	}
	/* Good commands are not counted. */
	testcore_line(s, "NOOP");
	testcore_line(s, "USER mrose");
	ck_assert(!s->closed);
	testcore_clear(s);
	testcore_line(s, "FOO");
	ck_assert_str_eq(testcore_output(s), "-ERR Unknown command: FOO\r\n"
	    "-ERR Too many bad commands, closing connection.\r\n");
	ck_assert(s->closed);
	ck_assert_str_eq(s->state, "CLOSE");
	pop1_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

/* The shutdown and refusal lines are single -ERR lines. */
START_TEST(test_shutdown_refuse)
{
	struct testenv env;
	struct session *s;

	testenv_init(&env, STORE_MAILDIR);
	s = testcore_new(&env.loc, env.db, &pop1_ops);
	pop1_ops.refuse(s, "Too many connections.");
	ck_assert_str_eq(testcore_output(s), "-ERR Too many connections.\r\n");
	testcore_clear(s);
	ck_assert_int_eq(pop1_ops.start(s), 0);
	testcore_clear(s);
	pop1_ops.timeout(s);
	ck_assert_str_eq(testcore_output(s), "");
	pop1_ops.shutdown(s);
	ck_assert_str_eq(testcore_output(s), "-ERR Server shutting down.\r\n");
	pop1_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

static Suite *
cmds_suite(void)
{
	Suite *s = suite_create("pop1_cmds");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_table_rows);
	tcase_add_test(tc, test_table_complete);
	tcase_add_test(tc, test_ops);
	tcase_add_test(tc, test_describe);
	tcase_add_test(tc, test_trace_keep);
	suite_add_tcase(s, tc);
	tc = tcase_create("dialogue");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_dialogue, 0, (int)(2 * NDIALOGUES));
	tcase_add_loop_test(tc, test_count_is_exact, 0, 2);
	tcase_add_test(tc, test_takeover);
	tcase_add_test(tc, test_bad_command_limit);
	tcase_add_test(tc, test_shutdown_refuse);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(cmds_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
