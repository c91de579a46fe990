/*
 * test_pop2_cmds.c - Check tests for protocols/pop2/: the command table
 * against RFC 937's Server Decision Table, then dialogues run through the
 * module, each a table of {client line, exact server output} steps.
 *
 * The mail is real: every dialogue gets a fresh Maildir and a fresh mbox
 * in a mkdtemp() directory (testenv.c) and runs once on each; logins
 * are checked by the real auth layer against a real users file.  Only
 * the libuv core is replaced, by the synchronous testcore.c.  IN-USE
 * comes from a real second open of the folder.
 */
#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop2.h"
#include "pop2_int.h"
#include "testcore.h"
#include "testenv.h"

/* --- the table -------------------------------------------------------- */

START_TEST(test_table_rows)
{
	size_t i, j;

	ck_assert_uint_eq(pop2_ncommands, 8);
	for (i = 0; i < pop2_ncommands; i++) {
		const struct pop2_command *c = &pop2_commands[i];
		size_t n = strlen(c->name);

		ck_assert_ptr_nonnull(c->handler);
		ck_assert_uint_eq(n, POP2_KEYWORD_LEN);
		for (j = 0; j < n; j++)
			ck_assert(c->name[j] >= 'A' && c->name[j] <= 'Z');
		ck_assert(strncmp(c->section, "RFC 937 ", 8) == 0);
		ck_assert(strncmp(c->usage, c->name, n) == 0);
		ck_assert_uint_le(c->min_args, c->max_args);
		ck_assert_uint_le(c->max_args, POP2_ARGS_MAX);
		/* No command is valid in DONE: nothing is read there. */
		ck_assert_uint_ne(c->states, 0);
		ck_assert_uint_eq(c->states & POP2_S(POP2_DONE), 0);
		ck_assert_str_ne(pop2_states_text(c->states), "?");
		ck_assert_ptr_eq(pop2_command_find(c->name, n), c);
		for (j = i + 1; j < pop2_ncommands; j++)
			ck_assert_str_ne(c->name, pop2_commands[j].name);
	}
	ck_assert_ptr_eq(pop2_command_find("read", 4),
	    pop2_command_find("READ", 4));
	ck_assert_ptr_null(pop2_command_find("REA", 3));
	ck_assert_ptr_null(pop2_command_find("READS", 5));
	ck_assert_ptr_null(pop2_command_find("R\0AD", 4));
	ck_assert_ptr_null(pop2_command_find("\xd2" "EAD", 4));
}
END_TEST

/* RFC 937, Server Decision Table: the states where each input is not
 * action 1 ("garbage"), transcribed from the RFC. */
START_TEST(test_table_decision)
{
	static const struct {
		const char *name;
		unsigned states;
	} rfc[] = {
		{ "HELO", POP2_S_AUTH },
		{ "FOLD", POP2_S_MBOX | POP2_S_ITEM },
		{ "READ", POP2_S_MBOX | POP2_S_ITEM },
		{ "RETR", POP2_S_ITEM },
		{ "ACKS", POP2_S_NEXT },
		{ "ACKD", POP2_S_NEXT },
		{ "NACK", POP2_S_NEXT },
		{ "QUIT", POP2_S_AUTH | POP2_S_MBOX | POP2_S_ITEM },
	};
	struct proto_command_doc doc;
	size_t i;

	for (i = 0; i < sizeof(rfc) / sizeof(rfc[0]); i++) {
		const struct pop2_command *c = pop2_command_find(rfc[i].name,
		    4);

		ck_assert_ptr_nonnull(c);
		ck_assert_uint_eq(c->states, rfc[i].states);
	}
	for (i = 0; pop2_describe("", i, &doc); i++) {
		ck_assert_str_eq(doc.name, pop2_commands[i].name);
		ck_assert_str_eq(doc.usage, pop2_commands[i].usage);
		ck_assert_str_eq(doc.section, pop2_commands[i].section);
	}
	ck_assert_uint_eq(i, pop2_ncommands);
	ck_assert_int_eq(pop2_ops.describe("", 0, &doc), 1);
	ck_assert_str_eq(doc.usage, "HELO user password");
	ck_assert_str_eq(doc.states, "AUTH");
}
END_TEST

START_TEST(test_table_ops)
{
	ck_assert_str_eq(pop2_ops.name, "pop2");
	ck_assert_uint_eq(pop2_ops.default_port, 109);
	ck_assert_uint_eq(pop2_ops.max_line, 512);
	ck_assert_ptr_nonnull(pop2_ops.start);
	ck_assert_ptr_nonnull(pop2_ops.takeover);
	ck_assert_ptr_nonnull(pop2_ops.line);
	ck_assert_ptr_nonnull(pop2_ops.overflow);
	ck_assert_ptr_nonnull(pop2_ops.refuse);
	ck_assert_ptr_nonnull(pop2_ops.timeout);
	ck_assert_ptr_nonnull(pop2_ops.shutdown);
	ck_assert_ptr_nonnull(pop2_ops.close);
	ck_assert_ptr_nonnull(pop2_ops.trace_keep);
	ck_assert_ptr_nonnull(pop2_ops.describe);
}
END_TEST

/* --- dialogues -------------------------------------------------------- */

#define MAXSTEPS	24

/* A client line of "@overflow" is the core's report of an over-long
 * line, "@authfault" makes the next login fail inside the auth layer. */
struct step {
	const char	*c;
	const char	*s;	/* exact output, CRLFs and all */
};

enum cond {
	COND_NONE,
	COND_LOCKED,		/* another session holds INBOX */
	COND_WORK_LOCKED,	/* another session holds folder "work" */
	COND_EMPTY_MSG,		/* INBOX message 1 is zero octets */
};

#define ON_MAILDIR	(1u << STORE_MAILDIR)
#define ON_MBOX		(1u << STORE_MBOX)
#define ON_BOTH		(ON_MAILDIR | ON_MBOX)

/* Folder "work" gets test message 3; folder "my box" message 1. */
struct dialogue {
	const char	*name;
	size_t		 nmsgs;		/* delivered to INBOX */
	int		 folders;	/* deliver "work" and "my box" */
	enum cond	 cond;
	struct step	 step[MAXSTEPS];
	int		 closed;	/* the module closed the session */
	unsigned	 opens;		/* stores the core handed over */
	unsigned	 commits;	/* store_commit() calls */
	size_t		 removed;	/* INBOX messages gone at the end */
	size_t		 removed_work;	/* "work" messages gone */
	const char	*state;		/* last traced state */
};

#define HELO	"HELO " TESTENV_USER " " TESTENV_PASS
#define MSG1	TESTENV_MSG1_HEAD TESTENV_MSG1_BODY
#define MSG2	TESTENV_MSG2_HEAD TESTENV_MSG2_BODY
#define MSG3	TESTENV_MSG3
#define LEN(n, m)	"=" #n " characters in message " #m "\r\n"
#define NOMORE	"=0 no more messages\r\n"
#define BYE	"+ OK polypop POP2 server signing off, bye\r\n"
#define WRONG(c, st, exp) \
	"- " c " is not valid in state " st ", expected " exp "\r\n"
#define E_AUTH	"HELO or QUIT"
#define E_MBOX	"FOLD, READ or QUIT"
#define E_ITEM	"FOLD, READ, RETR or QUIT"
#define E_NEXT	"ACKS, ACKD or NACK"
/* RFC 937 action 7: RETR of nothing closes without a reply line. */
#define CLOSED	""

static const struct dialogue dialogues[] = {
	/* RFC 937 Example 1.  RETR sends the octets as stored on the wire:
	 * no dot-stuffing (message 1 has a line starting with '.'), no
	 * terminator. */
	{ "RFC 937 Example 1", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
		{ "RETR", MSG2 },
		{ "ACKD", NOMORE },
		{ "QUIT", BYE },
	    }, 1, 1, 1, 2, 0, "DONE" },
	/* fetchmail's pop2.c: HELO, then READ n / RETR / ACKS or ACKD for
	 * each n, then QUIT. */
	{ "fetchmail sequence", 3, 0, COND_NONE, {
		{ HELO, "#3 messages\r\n" },
		{ "READ 1", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
		{ "READ 2", LEN(200, 2) },
		{ "RETR", MSG2 },
		{ "ACKS", LEN(300, 3) },
		{ "READ 3", LEN(300, 3) },
		{ "RETR", MSG3 },
		{ "ACKD", NOMORE },
		{ "QUIT", BYE },
	    }, 1, 1, 1, 2, 0, "DONE" },
	/* popclient's pop2.c: one READ, then RETR right after each ack
	 * while the length is positive; NACK when a transfer was short. */
	{ "popclient sequence with NACK", 3, 0, COND_NONE, {
		{ HELO, "#3 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "NACK", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKS", LEN(200, 2) },
		{ "RETR", MSG2 },
		{ "ACKD", LEN(300, 3) },
		{ "RETR", MSG3 },
		{ "ACKD", NOMORE },
		{ "QUIT", BYE },
	    }, 1, 1, 1, 2, 0, "DONE" },
	{ "READ numbers and deleted messages", 3, 0, COND_NONE, {
		{ HELO, "#3 messages\r\n" },
		{ "READ 3", LEN(300, 3) },
		{ "READ 4", NOMORE },
		{ "READ 0", "=0 messages are numbered from 1\r\n" },
		{ "READ 99999999999999999999999", NOMORE },
		{ "READ 002", LEN(200, 2) },
		{ "RETR", MSG2 },
		{ "ACKD", LEN(300, 3) },
		{ "READ 2", "=0 message 2 is deleted\r\n" },
		{ "READ", "=0 message 2 is deleted\r\n" },
		{ "RETR", CLOSED },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "READ past the end, then RETR closes", 1, 0, COND_NONE, {
		{ HELO, "#1 message\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKS", NOMORE },
		{ "RETR", CLOSED },
	    }, 1, 1, 0, 0, 0, "DONE" },
	/* RFC 937 Example 3 (the server's side: READ answers =0). */
	{ "empty maildrop", 0, 0, COND_NONE, {
		{ "helo mrose tanstaaf", "#0 messages\r\n" },
		{ "read", NOMORE },
		{ "quit", BYE },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "zero-length message", 0, 0, COND_EMPTY_MSG, {
		{ HELO, "#1 message\r\n" },
		{ "READ", "=0 message 1 is empty\r\n" },
		{ "RETR", CLOSED },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "no QUIT: ACKD is not committed", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
	    }, 0, 1, 0, 0, 0, "ITEM" },
	{ "error in NEXT: ACKD is not committed", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
		{ "RETR", MSG2 },
		{ "QUIT", WRONG("QUIT", "NEXT", E_NEXT) },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "QUIT in AUTH", 1, 0, COND_NONE, {
		{ "QUIT", BYE },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "QUIT in MBOX without deletions", 1, 0, COND_NONE, {
		{ HELO, "#1 message\r\n" },
		{ "QUIT", BYE },
	    }, 1, 1, 0, 0, 0, "DONE" },
	/* FOLD commits the old folder's ACKDs, then numbers afresh. */
	{ "FOLD across folders with commit", 2, 1, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
		{ "FOLD work", "#1 message\r\n" },
		{ "READ", LEN(300, 1) },
		{ "RETR", MSG3 },
		{ "ACKD", NOMORE },
		{ "FOLD INBOX", "#1 message\r\n" },
		{ "READ", LEN(200, 1) },
		{ "FOLD inbox", "#1 message\r\n" },
		{ "QUIT", BYE },
	    }, 1, 4, 2, 1, 1, "DONE" },
	{ "FOLD to missing and refused names", 2, 1, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "FOLD nosuch", "#0 messages\r\n" },
		{ "READ", NOMORE },
		{ "READ 1", NOMORE },
		{ "FOLD /usr/spool/mail/smith", "#0 messages\r\n" },
		{ "FOLD ../" TESTENV_USER, "#0 messages\r\n" },
		{ "FOLD .work", "#0 messages\r\n" },
		{ "FOLD my\\ box", "#1 message\r\n" },
		{ "FOLD my box", "#1 message\r\n" },
		{ "READ", LEN(100, 1) },
		{ "FOLD nosuch", "#0 messages\r\n" },
		{ "QUIT", BYE },
	    }, 1, 3, 0, 0, 0, "DONE" },
	{ "FOLD to a missing folder, then RETR", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "FOLD nosuch", "#0 messages\r\n" },
		{ "READ", NOMORE },
		{ "RETR", CLOSED },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "FOLD to a locked folder", 2, 1, COND_WORK_LOCKED, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "ACKD", LEN(200, 2) },
		{ "FOLD work", "- mailbox in use by another session\r\n" },
	    }, 1, 1, 1, 1, 0, "DONE" },
	{ "HELO on a locked maildrop", 2, 0, COND_LOCKED, {
		{ HELO, "- mailbox in use by another session\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO with a wrong password", 2, 0, COND_NONE, {
		{ "HELO mrose wrong", "- authentication failed\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO for an unknown user", 2, 0, COND_NONE, {
		{ "HELO nobody " TESTENV_PASS, "- authentication failed\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO with an unusable name", 2, 0, COND_NONE, {
		{ "HELO ../mrose " TESTENV_PASS,
		    "- authentication failed\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO while auth is failing", 2, 0, COND_NONE, {
		{ "@authfault", "" },
		{ HELO, "- authentication is temporarily unavailable, try "
		    "again later\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO missing password", 2, 0, COND_NONE, {
		{ "HELO mrose", "- missing argument, usage: HELO user "
		    "password\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO missing password, trailing space", 2, 0, COND_NONE, {
		{ "HELO mrose ", "- missing argument, usage: HELO user "
		    "password\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "READ in AUTH", 2, 0, COND_NONE, {
		{ "READ", WRONG("READ", "AUTH", E_AUTH) },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "FOLD in AUTH", 2, 0, COND_NONE, {
		{ "FOLD work", WRONG("FOLD", "AUTH", E_AUTH) },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "HELO in MBOX", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ HELO, WRONG("HELO", "MBOX", E_MBOX) },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "RETR in MBOX", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "RETR", WRONG("RETR", "MBOX", E_MBOX) },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "ACKS in ITEM", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "ACKS", WRONG("ACKS", "ITEM", E_ITEM) },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "READ in NEXT", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ", LEN(100, 1) },
		{ "RETR", MSG1 },
		{ "READ", WRONG("READ", "NEXT", E_NEXT) },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "unknown command", 2, 0, COND_NONE, {
		{ "USER mrose", "- unknown command USER, expected "
		    E_AUTH "\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "unknown short keyword", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "TOP 1 1", "- unknown command TOP, expected " E_MBOX
		    "\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "empty line", 2, 0, COND_NONE, {
		{ "", "- empty command line, expected " E_AUTH "\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "leading space", 2, 0, COND_NONE, {
		{ " HELO mrose x", "- command line starts with a space\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "over-long line", 2, 0, COND_NONE, {
		{ "@overflow", "- command line longer than 512 "
		    "characters\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "READ with noise", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ 1x", "- invalid message number, usage: READ [n]\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "READ with two numbers", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ 1 2", "- too many arguments, usage: READ [n]\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "READ with a doubled space", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ  1", "- arguments must be separated by a single "
		    "space (quote spaces in arguments as \"\\ \")\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "RETR with an argument", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "READ 1", LEN(100, 1) },
		{ "RETR 1", "- too many arguments, usage: RETR\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
	{ "control character", 2, 0, COND_NONE, {
		{ "HELO mrose tan\tstaaf",
		    "- invalid character in arguments\r\n" },
	    }, 1, 0, 0, 0, 0, "DONE" },
	{ "FOLD missing argument", 2, 0, COND_NONE, {
		{ HELO, "#2 messages\r\n" },
		{ "FOLD", "- missing argument, usage: FOLD mailbox\r\n" },
	    }, 1, 1, 0, 0, 0, "DONE" },
};
#define NDIALOGUES	(sizeof(dialogues) / sizeof(dialogues[0]))

static void
deliver_to(struct testenv *e, const char *folder, const char *msg)
{
	struct store_user u = { TESTENV_USER, NULL };
	char path[PATH_MAX], err[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/in.XXXXXX", e->dir);
	fp = fdopen(mkstemp(path), "w+");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_uint_eq(fwrite(msg, 1, strlen(msg), fp), strlen(msg));
	ck_assert_int_eq(fflush(fp), 0);
	rewind(fp);
	ck_assert_msg(store_deliver(&e->loc, &u, folder, fileno(fp),
	    "postmaster@dbc.mtview.ca.us", err, sizeof(err)) == 0, "%s", err);
	fclose(fp);
}

static size_t
count_in(struct testenv *e, const char *folder)
{
	struct store_user u = { TESTENV_USER, NULL };
	struct store *st;
	size_t n;

	ck_assert_int_eq(store_open(&e->loc, &u, folder, &st, NULL, 0), 0);
	n = store_count(st);
	store_close(st);
	return n;
}

/* Dialogue _i / 2 on a Maildir (even _i) or an mbox (odd _i). */
START_TEST(test_dialogue)
{
	const struct dialogue *d = &dialogues[_i / 2];
	enum store_kind kind = _i % 2 ? STORE_MBOX : STORE_MAILDIR;
	struct store_user u = { TESTENV_USER, NULL };
	struct store *held = NULL;
	struct session *s;
	struct testenv env;
	size_t i, inbox = d->nmsgs;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, d->nmsgs);
	if (d->cond == COND_EMPTY_MSG) {
		deliver_to(&env, NULL, "");
		inbox++;
	}
	if (d->folders) {
		deliver_to(&env, "work", TESTENV_MSG3);
		deliver_to(&env, "my box", MSG1);
	}
	if (d->cond == COND_LOCKED)
		ck_assert_int_eq(store_open(&env.loc, &u, NULL, &held, NULL,
		    0), 0);
	if (d->cond == COND_WORK_LOCKED)
		ck_assert_int_eq(store_open(&env.loc, &u, "work", &held,
		    NULL, 0), 0);

	s = testcore_new(&env.loc, env.db, &pop2_ops);
	ck_assert_int_eq(testcore_start(s), 0);
	ck_assert_str_eq(testcore_output(s),
	    "+ POP2 dbc.mtview.ca.us polypop server ready\r\n");
	ck_assert_str_eq(s->state, "AUTH");
	testcore_clear(s);
	for (i = 0; i < MAXSTEPS && d->step[i].c != NULL; i++) {
		const struct step *sp = &d->step[i];

		ck_assert_msg(!s->closed, "%s: step %zu after close",
		    d->name, i);
		if (strcmp(sp->c, "@overflow") == 0)
			pop2_ops.overflow(s);
		else if (strcmp(sp->c, "@authfault") == 0)
			s->auth_fault = 1;
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
	ck_assert_str_eq(s->state, d->state);
	/* The core's close(): releases every lock, commits nothing. */
	testcore_drop(s);
	if (held != NULL)
		store_close(held);
	/* The module released its locks (a second store_close() would be
	 * a use after free, which ASan builds catch), and the folders
	 * lost exactly the messages they should have. */
	ck_assert_uint_eq(inbox - count_in(&env, NULL), d->removed);
	if (d->folders) {
		ck_assert_uint_eq(1 - count_in(&env, "work"),
		    d->removed_work);
		ck_assert_uint_eq(count_in(&env, "my box"), 1);
	}
	testenv_fini(&env);
}
END_TEST

/* What RETR asks the core to stream: the whole message as it is. */
START_TEST(test_send_options)
{
	struct session *s;
	struct testenv env;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = testcore_new(&env.loc, env.db, &pop2_ops);
	ck_assert_int_eq(testcore_start(s), 0);
	testcore_line(s, HELO);
	testcore_line(s, "READ");
	testcore_clear(s);
	testcore_line(s, "RETR");
	ck_assert_int_eq(s->opts.dot_stuff, 0);
	ck_assert_int_eq(s->opts.body_lines, -1);
	ck_assert_ptr_null(s->opts.preamble);
	ck_assert_uint_eq(s->send_index, 0);
	ck_assert_uint_eq(strlen(testcore_output(s)), TESTENV_MSG_SIZE(0));
	ck_assert_str_eq(s->state, "NEXT");
	testcore_drop(s);
	testenv_fini(&env);
}
END_TEST

/* The password reaches the auth layer unquoted (RFC 937 Quoting), and
 * raw spaces are kept (fetchmail quotes nothing). */
START_TEST(test_helo_quoting)
{
	static const struct {
		const char *line, *user, *secret;
	} t[] = {
		{ "HELO mrose tan\\ staaf", "mrose", "tan staaf" },
		{ "HELO mrose tan staaf", "mrose", "tan staaf" },
		{ "HELO mrose tan\\\\staaf", "mrose", "tan\\staaf" },
		{ "HELO mrose tan\\staaf", "mrose", "tan\\staaf" },
		{ "HELO mr\\ ose x", "mr ose", "x" },
	};
	struct session *s;
	struct testenv env;
	size_t i;

	testenv_init(&env, STORE_MAILDIR);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		s = testcore_new(&env.loc, env.db, &pop2_ops);
		ck_assert_int_eq(testcore_start(s), 0);
		testcore_clear(s);
		testcore_line(s, t[i].line);
		ck_assert_str_eq(s->login_user, t[i].user);
		ck_assert_str_eq(s->login_secret, t[i].secret);
		ck_assert_str_eq(testcore_output(s),
		    "- authentication failed\r\n");
		testcore_drop(s);
	}
	testenv_fini(&env);
}
END_TEST

/* The shared port-109 listener greets, then hands HELO over. */
START_TEST(test_takeover)
{
	struct session *s;
	struct testenv env;

	testenv_init(&env, STORE_MBOX);
	testenv_deliver_std(&env, TESTENV_USER, 2);
	s = testcore_new(&env.loc, env.db, &pop2_ops);
	ck_assert_int_eq(session_handoff(s, &pop2_ops, HELO, strlen(HELO)),
	    0);
	testcore_run(s);
	/* No greeting of its own: only the count. */
	ck_assert_str_eq(testcore_output(s), "#2 messages\r\n");
	ck_assert_str_eq(s->state, "MBOX");
	testcore_clear(s);
	testcore_line(s, "QUIT");
	ck_assert_str_eq(testcore_output(s), BYE);
	testcore_drop(s);
	testenv_fini(&env);
}
END_TEST

/* Timeout is action 1 in every state: "- error", and the core closes. */
START_TEST(test_core_events)
{
	struct session *s;
	struct testenv env;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = testcore_new(&env.loc, env.db, &pop2_ops);
	pop2_ops.refuse(s, "too many connections");
	ck_assert_str_eq(testcore_output(s), "- too many connections\r\n");
	testcore_clear(s);
	ck_assert_int_eq(testcore_start(s), 0);
	testcore_line(s, HELO);
	testcore_clear(s);
	pop2_ops.timeout(s);
	ck_assert_str_eq(testcore_output(s), "- timeout waiting for a "
	    "command, nothing was deleted\r\n");
	testcore_clear(s);
	pop2_ops.shutdown(s);
	ck_assert_str_eq(testcore_output(s), "- server shutting down, "
	    "nothing was deleted\r\n");
	testcore_drop(s);
	testenv_fini(&env);
}
END_TEST

static Suite *
pop2_cmds_suite(void)
{
	Suite *s = suite_create("pop2_cmds");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_table_rows);
	tcase_add_test(tc, test_table_decision);
	tcase_add_test(tc, test_table_ops);
	suite_add_tcase(s, tc);
	tc = tcase_create("dialogues");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_dialogue, 0, (int)(2 * NDIALOGUES));
	tcase_add_test(tc, test_send_options);
	tcase_add_test(tc, test_helo_quoting);
	tcase_add_test(tc, test_takeover);
	tcase_add_test(tc, test_core_events);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pop2_cmds_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
