/*
 * test_pop3_cmds.c - Check tests for protocols/pop3/pop3_cmds.c: the
 * command table's integrity, then RFC 1939 dialogues run through the
 * dispatcher against the fake core of pop3_mock.c, each a table of
 * {client line, exact server output} steps.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_int.h"
#include "pop3_mock.h"

/* --- the table -------------------------------------------------------- */

START_TEST(test_table_rows)
{
	size_t i, j;

	ck_assert_uint_gt(pop3_ncommands, 0);
	for (i = 0; i < pop3_ncommands; i++) {
		const struct pop3_command *c = &pop3_commands[i];
		size_t n = strlen(c->name);

		ck_assert_ptr_nonnull(c->handler);
		/* RFC 1939 §3: keywords of three or four letters. */
		ck_assert_uint_ge(n, POP3_KEYWORD_MIN);
		ck_assert_uint_le(n, POP3_KEYWORD_MAX);
		for (j = 0; j < n; j++)
			ck_assert(c->name[j] >= 'A' && c->name[j] <= 'Z');
		/* Every row cites its RFC section. */
		ck_assert_ptr_nonnull(c->section);
		ck_assert(strncmp(c->section, "RFC ", 4) == 0);
		ck_assert_ptr_nonnull(strstr(c->section, "§"));
		/* Usage starts with the keyword. */
		ck_assert_ptr_nonnull(c->usage);
		ck_assert(strncmp(c->usage, c->name, n) == 0);
		ck_assert(c->usage[n] == '\0' || c->usage[n] == ' ');
		/* Sane arity: within what the parser stores. */
		ck_assert_uint_le(c->min_args, c->max_args);
		ck_assert_uint_le(c->max_args, POP3_ARGS_MAX);
		ck_assert(c->mode == POP3_ARGS_SPLIT ||
		    (c->mode == POP3_ARGS_REST && c->max_args == 1));
		/* Valid in some state, never in UPDATE (no lines there). */
		ck_assert_uint_ne(c->states, 0);
		ck_assert_uint_eq(c->states & ~(POP3_S_AUTH | POP3_S_TRANS),
		    0);
		ck_assert_uint_ne(c->profiles & POP3_PROFILES_ALL, 0);
		ck_assert_uint_eq(c->profiles & ~POP3_PROFILES_ALL, 0);
		for (j = i + 1; j < pop3_ncommands; j++)
			ck_assert_str_ne(c->name, pop3_commands[j].name);
	}
}
END_TEST

/* RFC 1939 §9: every command of the summary is in the table. */
START_TEST(test_table_complete)
{
	static const char *const rfc1939[] = { "USER", "PASS", "QUIT",
	    "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "APOP", "TOP",
	    "UIDL" };
	size_t i;

	ck_assert_uint_eq(pop3_ncommands,
	    sizeof(rfc1939) / sizeof(rfc1939[0]));
	for (i = 0; i < sizeof(rfc1939) / sizeof(rfc1939[0]); i++)
		ck_assert_ptr_nonnull(pop3_command_find(rfc1939[i],
		    strlen(rfc1939[i])));
}
END_TEST

START_TEST(test_table_lookup)
{
	const struct pop3_command *c;
	size_t i;
	char lower[8];

	for (i = 0; i < pop3_ncommands; i++) {
		const char *name = pop3_commands[i].name;
		size_t j, n = strlen(name);

		ck_assert_ptr_eq(pop3_command_find(name, n), &pop3_commands[i]);
		for (j = 0; j <= n; j++)
			lower[j] = (char)(name[j] >= 'A' && name[j] <= 'Z' ?
			    name[j] + 32 : name[j]);
		/* RFC 1939 §3: keywords are case-insensitive. */
		ck_assert_ptr_eq(pop3_command_find(lower, n),
		    &pop3_commands[i]);
		lower[0] = name[0];
		ck_assert_ptr_eq(pop3_command_find(lower, n),
		    &pop3_commands[i]);
		/* Prefixes and extensions are not the command. */
		ck_assert_ptr_null(pop3_command_find(name, n - 1));
	}
	ck_assert_ptr_null(pop3_command_find("STATS", 5));
	ck_assert_ptr_null(pop3_command_find("", 0));
	ck_assert_ptr_null(pop3_command_find("CAPA", 4));
	ck_assert_ptr_null(pop3_command_find("LAST", 4));
	ck_assert_ptr_null(pop3_command_find("S\0AT", 4));
	/* Only ASCII letters fold: 's' + 0x80 must not match. */
	ck_assert_ptr_null(pop3_command_find("\xd3TAT", 4));
	c = pop3_command_find("top", 3);
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->name, "TOP");
}
END_TEST

START_TEST(test_table_ops)
{
	ck_assert_str_eq(pop3_ops.name, "pop3");
	ck_assert_uint_eq(pop3_ops.default_port, 110);
	/* RFC 2449 §4: 255 octets including CRLF. */
	ck_assert_uint_eq(pop3_ops.max_line, 255);
	ck_assert_ptr_nonnull(pop3_ops.start);
	ck_assert_ptr_nonnull(pop3_ops.line);
	ck_assert_ptr_nonnull(pop3_ops.overflow);
	ck_assert_ptr_nonnull(pop3_ops.refuse);
	ck_assert_ptr_nonnull(pop3_ops.close);
	ck_assert_ptr_nonnull(pop3_ops.trace_keep);
}
END_TEST

/* --- dialogues -------------------------------------------------------- */

#define MAXSTEPS	40

struct step {
	const char	*c;	/* a line, or "@overflow" */
	const char	*s;	/* exact output, CRLFs and all */
};

struct dialogue {
	const char	*name;
	size_t		 nmsgs;
	int		 open_err;
	int		 commit_err;
	struct step	 step[MAXSTEPS];
	int		 closed;	/* module closed the session */
	int		 commits;
	size_t		 removed;
	const char	*state;		/* last traced state */
};

#define GREETED	"+OK Send your password.\r\n"
#define LOGIN2	{ "USER mrose", GREETED }, \
	{ "PASS tanstaaf", "+OK Logged in. 2 messages (300 octets).\r\n" }
#define MISSING(u)	"-ERR Missing argument. Usage: " u "\r\n"
#define TOOMANY(u)	"-ERR Too many arguments. Usage: " u "\r\n"
#define AUTHFAIL	"-ERR [AUTH] Authentication failed.\r\n"
#define NEEDLOGIN(c)	"-ERR Log in first: " c " is only valid in the " \
	"TRANSACTION state.\r\n"

static const struct dialogue dialogues[] = {
	{ "RFC 1939 §10 example session", 2, 0, 0, {
		{ "APOP mrose c4c9334bac560ecc979e58001b3e22fb",
		    "+OK Logged in. 2 messages (300 octets).\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 100\r\n2 200\r\n"
		    ".\r\n" },
		{ "RETR 1", "+OK 100 octets\r\n<msg 1 lines=-1 stuff=1>\r\n"
		    ".\r\n" },
		{ "DELE 1", "+OK Message 1 deleted.\r\n" },
		{ "RETR 2", "+OK 200 octets\r\n<msg 2 lines=-1 stuff=1>\r\n"
		    ".\r\n" },
		{ "DELE 2", "+OK Message 2 deleted.\r\n" },
		{ "QUIT", "+OK polypop signing off (maildrop empty).\r\n" },
	    }, 1, 1, 2, "UPDATE" },
	{ "deleted messages are invisible; RSET restores", 2, 0, 0, {
		LOGIN2,
		{ "LIST 2", "+OK 2 200\r\n" },
		{ "LIST 3", "-ERR There's no message 3.\r\n" },
		{ "LIST 0", "-ERR There's no message 0.\r\n" },
		{ "DELE 1", "+OK Message 1 deleted.\r\n" },
		{ "DELE 1", "-ERR Message 1 is deleted.\r\n" },
		{ "LIST", "+OK scan listing follows\r\n2 200\r\n.\r\n" },
		{ "LIST 1", "-ERR Message 1 is deleted.\r\n" },
		{ "RETR 1", "-ERR Message 1 is deleted.\r\n" },
		{ "TOP 1 0", "-ERR Message 1 is deleted.\r\n" },
		{ "UIDL 1", "-ERR Message 1 is deleted.\r\n" },
		{ "UIDL", "+OK unique-id listing follows\r\n2 uid-2\r\n"
		    ".\r\n" },
		{ "UIDL 2", "+OK 2 uid-2\r\n" },
		{ "STAT", "+OK 1 200\r\n" },
		{ "RSET", "+OK Maildrop has 2 messages (300 octets).\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
		{ "UIDL", "+OK unique-id listing follows\r\n1 uid-1\r\n"
		    "2 uid-2\r\n.\r\n" },
		{ "QUIT", "+OK polypop signing off (2 messages left).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "arguments are checked before handlers run", 2, 0, 0, {
		LOGIN2,
		{ "RETR", MISSING("RETR msg") },
		{ "RETR 1 2", TOOMANY("RETR msg") },
		{ "RETR 1x", "-ERR Noise after message number.\r\n" },
		{ "RETR -1", "-ERR Invalid message number.\r\n" },
		{ "RETR +1", "-ERR Invalid message number.\r\n" },
		{ "RETR 99999999999999999999999",
		    "-ERR Message number is too large.\r\n" },
		{ "DELE", MISSING("DELE msg") },
		{ "STAT x", TOOMANY("STAT") },
		{ "NOOP 1", TOOMANY("NOOP") },
		{ "LIST 1 2", TOOMANY("LIST [msg]") },
		{ "TOP 1", MISSING("TOP msg n") },
		{ "TOP 1 2 3", TOOMANY("TOP msg n") },
		{ "TOP 1 -1", "-ERR Invalid number of lines.\r\n" },
		{ "TOP 1 5x", "-ERR Noise after number of lines.\r\n" },
		{ "TOP x 5", "-ERR Invalid message number.\r\n" },
		{ "TOP 1 0", "+OK Top of message follows.\r\n"
		    "<msg 1 lines=0 stuff=1>\r\n.\r\n" },
		{ "top 2 10", "+OK Top of message follows.\r\n"
		    "<msg 2 lines=10 stuff=1>\r\n.\r\n" },
		{ "TOP 2 99999999999999999999", "+OK Top of message follows."
		    "\r\n<msg 2 lines=9223372036854775807 stuff=1>\r\n.\r\n" },
		{ "LIST  1", "-ERR Arguments must be separated by a single "
		    "space.\r\n" },
		{ "LIST 1 ", "+OK 1 100\r\n" },
		{ "LIST \x01", "-ERR Invalid character in arguments.\r\n" },
		{ "NOOP", "+OK Nothing to do.\r\n" },
		{ "noop", "+OK Nothing to do.\r\n" },
		{ "RETR 02", "+OK 200 octets\r\n<msg 2 lines=-1 stuff=1>\r\n"
		    ".\r\n" },
	    }, 0, 0, 0, "TRANSACTION" },
	{ "state checks and the USER/PASS pairing", 2, 0, 0, {
		{ "STAT", NEEDLOGIN("STAT") },
		{ "LIST", NEEDLOGIN("LIST") },
		{ "NOOP", NEEDLOGIN("NOOP") },
		{ "PASS tanstaaf", "-ERR PASS must come right after a "
		    "successful USER.\r\n" },
		{ "USER mrose", GREETED },
		{ "NOOP", NEEDLOGIN("NOOP") },
		{ "PASS tanstaaf", "-ERR PASS must come right after a "
		    "successful USER.\r\n" },
		{ "USER", MISSING("USER name") },
		{ "USER ", MISSING("USER name") },
		{ "USER mrose", GREETED },
		{ "PASS", MISSING("PASS string") },
		{ "USER mrose", GREETED },
		{ "USER mrose", GREETED },
		{ "pass tanstaaf",
		    "+OK Logged in. 2 messages (300 octets).\r\n" },
		{ "USER x", "-ERR Already logged in: USER is only valid in "
		    "the AUTHORIZATION state.\r\n" },
		{ "PASS x", "-ERR Already logged in: PASS is only valid in "
		    "the AUTHORIZATION state.\r\n" },
		{ "APOP a b", "-ERR Already logged in: APOP is only valid in "
		    "the AUTHORIZATION state.\r\n" },
		{ "QUIT", "+OK polypop signing off (2 messages left).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "three failed logins close the connection", 2, 0, 0, {
		{ "USER mrose", GREETED },
		{ "PASS wrong", AUTHFAIL },
		{ "USER nobody", GREETED },
		{ "PASS tanstaaf", AUTHFAIL },
		{ "APOP mrose 00000000000000000000000000000000", AUTHFAIL
		    "-ERR Too many failed logins, closing connection.\r\n" },
	    }, 1, 0, 0, "AUTHORIZATION" },
	{ "login failures: scheme, bad name, temporary", 2, 0, 0, {
		{ "APOP hashed 0123", "-ERR [AUTH] APOP is not available for "
		    "this user.\r\n" },
		{ "USER bad/name", GREETED },
		{ "PASS x", AUTHFAIL },
		/* A server fault is not the client's failure. */
		{ "USER tempfail", GREETED },
		{ "PASS x", "-ERR [SYS/TEMP] Authentication is temporarily "
		    "unavailable, try again later.\r\n" },
		LOGIN2,
	    }, 0, 0, 0, "TRANSACTION" },
	{ "maildrop in use (RFC 2449 §8.1.2)", 2, STORE_EINUSE, 0, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf", "-ERR [IN-USE] Mailbox is locked by "
		    "another session.\r\n" },
		{ "STAT", NEEDLOGIN("STAT") },
		{ "QUIT", "+OK polypop signing off.\r\n" },
	    }, 1, 0, 0, "AUTHORIZATION" },
	{ "maildrop broken (RFC 3206 SYS/PERM)", 2, STORE_EPERM, 0, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf", "-ERR [SYS/PERM] Can't open mailbox: "
		    "permission denied.\r\n" },
	    }, 0, 0, 0, "AUTHORIZATION" },
	{ "QUIT when removal fails (RFC 1939 §6)", 2, 0, STORE_ETEMP, {
		LOGIN2,
		{ "DELE 2", "+OK Message 2 deleted.\r\n" },
		{ "QUIT", "-ERR [SYS/TEMP] Some deleted messages not "
		    "removed.\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "unknown and malformed commands", 2, 0, 0, {
		{ "HELO x", "-ERR Unknown command: HELO\r\n" },
		{ "CAPA", "-ERR Unknown command: CAPA\r\n" },
		{ "LAST", "-ERR Unknown command: LAST\r\n" },
		{ "", "-ERR Empty command line.\r\n" },
		{ " STAT", "-ERR Command line starts with a space.\r\n" },
		{ "XYZZYXYZZY foo", "-ERR Unknown command: XYZZYXYZZY\r\n" },
		{ "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ",
		    "-ERR Unknown command: "
		    "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ\r\n" },
		{ "\x01\x1b[2J\x7f\xff", "-ERR Unknown command: ??[2J??\r\n" },
		{ "ST%s", "-ERR Unknown command: ST%s\r\n" },
		{ "STAT\r", "-ERR Unknown command: STAT?\r\n" },
		{ "QUIT", "+OK polypop signing off.\r\n" },
	    }, 1, 0, 0, "AUTHORIZATION" },
	{ "empty maildrop (RFC 1939 App. A)", 0, 0, 0, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf",
		    "+OK Logged in. 0 messages (0 octets).\r\n" },
		{ "STAT", "+OK 0 0\r\n" },
		{ "LIST", "+OK scan listing follows\r\n.\r\n" },
		{ "UIDL", "+OK unique-id listing follows\r\n.\r\n" },
		{ "RETR 1", "-ERR There's no message 1.\r\n" },
		{ "RSET", "+OK Maildrop has 0 messages (0 octets).\r\n" },
		{ "QUIT", "+OK polypop signing off (maildrop empty).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "one message, singular", 1, 0, 0, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf",
		    "+OK Logged in. 1 message (100 octets).\r\n" },
		{ "QUIT", "+OK polypop signing off (1 message left).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "over-long lines (RFC 2449 §4)", 2, 0, 0, {
		{ "USER mrose", GREETED },
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "PASS tanstaaf", "-ERR PASS must come right after a "
		    "successful USER.\r\n" },
		LOGIN2,
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
	    }, 0, 0, 0, "TRANSACTION" },
};

START_TEST(test_dialogue)
{
	const struct dialogue *d = &dialogues[_i];
	struct session *s = mock_session(d->nmsgs);
	size_t i;

	s->open_err = d->open_err;
	s->store->commit_err = d->commit_err;
	ck_assert_int_eq(pop3_ops.start(s), 0);
	mock_clear(s);
	for (i = 0; i < MAXSTEPS && d->step[i].c != NULL; i++) {
		const struct step *st = &d->step[i];

		ck_assert_msg(!s->closed, "%s: step %zu after close",
		    d->name, i);
		if (strcmp(st->c, "@overflow") == 0)
			pop3_ops.overflow(s);
		else
			mock_line(s, st->c);
		ck_assert_msg(strcmp(mock_output(s), st->s) == 0,
		    "%s: step %zu \"%s\":\n got: \"%s\"\nwant: \"%s\"",
		    d->name, i, st->c, mock_output(s), st->s);
		mock_clear(s);
	}
	ck_assert_int_eq(s->closed, d->closed);
	ck_assert_int_eq(s->store->commits, d->commits);
	ck_assert_uint_eq(s->store->removed, d->removed);
	ck_assert_str_eq(s->state, d->state);
	pop3_ops.close(s);
	ck_assert_ptr_null(session_data(s));
	/* Opened stores are released exactly once (mock aborts on twice). */
	if (strcmp(d->state, "AUTHORIZATION") != 0)
		ck_assert_int_eq(s->store->closed, 1);
	else
		ck_assert_int_eq(s->store->closed, 0);
	mock_free(s);
}
END_TEST

/* Dovecot's limit: the 20th bad command ends the session. */
START_TEST(test_bad_command_limit)
{
	struct session *s = mock_session(1);
	int i;

	ck_assert_int_eq(pop3_ops.start(s), 0);
	for (i = 1; i < POP3_MAX_BAD_COMMANDS; i++) {
		mock_clear(s);
		mock_line(s, i % 2 ? "FOO" : "STAT");
		ck_assert(strncmp(mock_output(s), "-ERR ", 5) == 0);
		ck_assert(!s->closed);
	}
	/* Good commands do not reset the count but are not counted. */
	mock_line(s, "USER x");
	ck_assert(!s->closed);
	mock_clear(s);
	mock_line(s, "FOO");
	ck_assert_str_eq(mock_output(s), "-ERR Unknown command: FOO\r\n"
	    "-ERR Too many bad commands, closing connection.\r\n");
	ck_assert(s->closed);
	pop3_ops.close(s);
	mock_free(s);
}
END_TEST

/* Client errors inside handlers count too; server errors do not. */
START_TEST(test_bad_command_handler_errors)
{
	struct session *s = mock_session(1);
	int i;

	ck_assert_int_eq(pop3_ops.start(s), 0);
	mock_line(s, "USER mrose");
	mock_line(s, "PASS tanstaaf");
	for (i = 1; i < POP3_MAX_BAD_COMMANDS; i++)
		mock_line(s, "RETR 9");
	ck_assert(!s->closed);
	mock_line(s, "DELE 0");
	ck_assert(s->closed);
	pop3_ops.close(s);
	ck_assert_int_eq(s->store->commits, 0);
	ck_assert_int_eq(s->store->closed, 1);
	mock_free(s);
}
END_TEST

static Suite *
cmds_suite(void)
{
	Suite *s = suite_create("pop3_cmds");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_table_rows);
	tcase_add_test(tc, test_table_complete);
	tcase_add_test(tc, test_table_lookup);
	tcase_add_test(tc, test_table_ops);
	suite_add_tcase(s, tc);
	tc = tcase_create("dialogue");
	tcase_add_loop_test(tc, test_dialogue, 0,
	    (int)(sizeof(dialogues) / sizeof(dialogues[0])));
	tcase_add_test(tc, test_bad_command_limit);
	tcase_add_test(tc, test_bad_command_handler_errors);
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
