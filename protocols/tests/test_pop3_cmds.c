/*
 * test_pop3_cmds.c - Check tests for protocols/pop3/pop3_cmds.c: the
 * command table's integrity, then RFC 1939 dialogues run through the
 * dispatcher, each a table of {client line, exact server output} steps.
 *
 * The mail is real: every dialogue gets a fresh Maildir and a fresh mbox
 * in a mkdtemp() directory (testenv.c) and runs once on each; logins
 * are checked by the real auth layer against a real users file.  Only the
 * libuv core is replaced, by the synchronous testcore.c.  Error
 * replies come from real conditions: a second open of the folder for
 * IN-USE, a symlink loop for SYS/PERM, a rewritten mbox for a failed
 * commit.
 */

#include <sys/stat.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3.h"
#include "pop3_int.h"
#include "testcore.h"
#include "testenv.h"

/* --- the table -------------------------------------------------------- */

START_TEST(test_table_rows)
{
	size_t i, j, k;

	ck_assert_uint_gt(pop3_ncommands, 0);
	for (i = 0; i < pop3_ncommands; i++) {
		const struct pop3_command *c = &pop3_commands[i];
		size_t n = strlen(c->name);

		ck_assert_ptr_nonnull(c->handler);
		/* RFC 1939 §3: keywords of three or four letters. */
		ck_assert_uint_ge(n, POP3_KEYWORD_MIN);
		ck_assert_uint_le(n, POP3_KEYWORD_MAX);
		/* Letters; RFC 6856's UTF8 ends in a digit. */
		for (j = 0; j < n; j++)
			ck_assert((c->name[j] >= 'A' && c->name[j] <= 'Z') ||
			    (j > 0 && c->name[j] >= '0' && c->name[j] <= '9'));
		/* Every row exists in some revision, and each revision
		 * that has it cites an RFC (by section from 1460 on). */
		for (j = 0, k = 0; j < POP3_NPROFILES; j++) {
			const char *sec = c->in[j].section;

			if (sec == NULL)
				continue;
			k++;
			ck_assert(strncmp(sec, "RFC ", 4) == 0);
			if (j >= POP3_RFC1460)
				ck_assert_ptr_nonnull(strstr(sec, "§"));
		}
		ck_assert_uint_gt(k, 0);
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
		for (j = i + 1; j < pop3_ncommands; j++)
			ck_assert_str_ne(c->name, pop3_commands[j].name);
	}
}
END_TEST

/* RFC 1939 §9: every command of the summary is in the table, and the
 * rfc1939 profile has exactly those (test_pop3_profile.c checks the
 * other revisions). */
START_TEST(test_table_complete)
{
	static const char *const rfc1939[] = { "USER", "PASS", "QUIT",
	    "STAT", "LIST", "RETR", "DELE", "NOOP", "RSET", "APOP", "TOP",
	    "UIDL" };
	size_t i, n = 0;

	for (i = 0; i < pop3_ncommands; i++)
		if (pop3_commands[i].in[POP3_RFC1939].section != NULL)
			n++;
	ck_assert_uint_eq(n, sizeof(rfc1939) / sizeof(rfc1939[0]));
	for (i = 0; i < sizeof(rfc1939) / sizeof(rfc1939[0]); i++)
		ck_assert(pop3_profile_has(POP3_RFC1939, rfc1939[i]));
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
	ck_assert_ptr_null(pop3_command_find("CAPX", 4));
	/* The extensions are rows of the current profile only. */
	ck_assert(pop3_profile_has(POP3_CURRENT, "CAPA"));
	ck_assert(!pop3_profile_has(POP3_RFC1939, "CAPA"));
	/* LAST is in the table (RFC 1081) but not in RFC 1939's column. */
	ck_assert(!pop3_profile_has(POP3_RFC1939, "LAST"));
	ck_assert(!pop3_profile_has(POP3_CURRENT, "LAST"));
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

/*
 * A step's client line is sent as it is, except:
 *   @overflow   the core's report of an over-long line
 *   @authfault  the auth layer's next check fails internally (the one
 *               condition the stand-in core fakes: out of memory or a
 *               libcrypto failure cannot be caused from here)
 *   @rewrite    another program rewrites the mbox (same octets, new file
 *               renamed over it), as a MUA compacting it would
 *   @vanish     another program removes every message behind the
 *               session's back (Maildir files unlinked, mbox truncated)
 * In the expected output, {U1}..{U3} stand for the store's unique ids of
 * messages 1..3, read from the real store before the session starts.
 */
struct step {
	const char	*c;
	const char	*s;	/* exact output, CRLFs and all */
};

/* What is done to the maildrop before the session starts. */
enum cond {
	COND_NONE,
	COND_LOCKED,	/* another session holds it (the lock registry) */
	COND_LOOP,	/* its path is a symlink loop: a permanent failure */
};

#define ON_MAILDIR	(1u << STORE_MAILDIR)
#define ON_MBOX		(1u << STORE_MBOX)
#define ON_BOTH		(ON_MAILDIR | ON_MBOX)

struct dialogue {
	const char	*name;
	unsigned	 kinds;		/* ON_* backends it runs on */
	size_t		 nmsgs;		/* messages delivered */
	enum cond	 cond;
	struct step	 step[MAXSTEPS];
	int		 closed;	/* module closed the session */
	unsigned	 commits;	/* store_commit() calls */
	size_t		 removed;	/* messages gone after QUIT */
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
/* RFC 1939 §5 RETR, §7 TOP: the message byte-stuffed, then ".CRLF". */
#define RETR1	"+OK 100 octets\r\n" TESTENV_MSG1_HEAD \
	TESTENV_MSG1_STUFFED ".\r\n"
#define RETR2	"+OK 200 octets\r\n" TESTENV_MSG2_HEAD \
	TESTENV_MSG2_STUFFED ".\r\n"
#define TOPOK	"+OK Top of message follows.\r\n"

static const struct dialogue dialogues[] = {
	{ "RFC 1939 §10 example session", ON_BOTH, 2, COND_NONE, {
		{ "APOP mrose " TESTENV_APOP_DIGEST,
		    "+OK Logged in. 2 messages (300 octets).\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 100\r\n2 200\r\n"
		    ".\r\n" },
		{ "RETR 1", RETR1 },
		{ "DELE 1", "+OK Message 1 deleted.\r\n" },
		{ "RETR 2", RETR2 },
		{ "DELE 2", "+OK Message 2 deleted.\r\n" },
		{ "QUIT", "+OK polypop signing off (maildrop empty).\r\n" },
	    }, 1, 1, 2, "UPDATE" },
	{ "deleted messages are invisible; RSET restores", ON_BOTH, 2,
	    COND_NONE, {
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
		{ "UIDL", "+OK unique-id listing follows\r\n2 {U2}\r\n"
		    ".\r\n" },
		{ "UIDL 2", "+OK 2 {U2}\r\n" },
		{ "STAT", "+OK 1 200\r\n" },
		{ "RSET", "+OK Maildrop has 2 messages (300 octets).\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
		{ "UIDL", "+OK unique-id listing follows\r\n1 {U1}\r\n"
		    "2 {U2}\r\n.\r\n" },
		{ "QUIT", "+OK polypop signing off (2 messages left).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "arguments are checked before handlers run", ON_BOTH, 2,
	    COND_NONE, {
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
		/* RFC 1939 §7: the header, the blank line, N body lines. */
		{ "TOP 1 0", TOPOK TESTENV_MSG1_HEAD ".\r\n" },
		{ "TOP 2 3", TOPOK TESTENV_MSG2_HEAD TESTENV_MSG2_LINES12
		    "..\r\n.\r\n" },
		{ "top 2 10", TOPOK TESTENV_MSG2_HEAD TESTENV_MSG2_STUFFED
		    ".\r\n" },
		{ "TOP 2 99999999999999999999", TOPOK TESTENV_MSG2_HEAD
		    TESTENV_MSG2_STUFFED ".\r\n" },
		{ "LIST  1", "-ERR Arguments must be separated by a single "
		    "space.\r\n" },
		{ "LIST 1 ", "+OK 1 100\r\n" },
		{ "LIST \x01", "-ERR Invalid character in arguments.\r\n" },
		{ "NOOP", "+OK Nothing to do.\r\n" },
		{ "noop", "+OK Nothing to do.\r\n" },
		{ "RETR 02", RETR2 },
	    }, 0, 0, 0, "TRANSACTION" },
	{ "state checks and the USER/PASS pairing", ON_BOTH, 2, COND_NONE, {
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
	{ "three failed logins close the connection", ON_BOTH, 2, COND_NONE, {
		{ "USER mrose", GREETED },
		{ "PASS wrong", AUTHFAIL },
		{ "USER nobody", GREETED },
		{ "PASS tanstaaf", AUTHFAIL },
		{ "APOP mrose 00000000000000000000000000000000", AUTHFAIL
		    "-ERR Too many failed logins, closing connection.\r\n" },
	    }, 1, 0, 0, "AUTHORIZATION" },
	{ "login failures: scheme, bad name, temporary", ON_BOTH, 2,
	    COND_NONE, {
		/* RFC 1939 §7 APOP needs the plain secret; a user with a
		 * crypt one gets the text of any other failure (§13). */
		{ "APOP hashed 0123", AUTHFAIL },
		{ "USER bad/name", GREETED },
		{ "PASS x", AUTHFAIL },
		/* A server fault is not the client's failure. */
		{ "@authfault", "" },
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf", "-ERR [SYS/TEMP] Authentication is "
		    "temporarily unavailable, try again later.\r\n" },
		LOGIN2,
	    }, 0, 0, 0, "TRANSACTION" },
	{ "maildrop in use (RFC 2449 §8.1.2)", ON_BOTH, 2, COND_LOCKED, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf", "-ERR [IN-USE] Mailbox is locked by "
		    "another session.\r\n" },
		{ "STAT", NEEDLOGIN("STAT") },
		{ "QUIT", "+OK polypop signing off.\r\n" },
	    }, 1, 0, 0, "AUTHORIZATION" },
	{ "maildrop broken (RFC 3206 SYS/PERM)", ON_BOTH, 2, COND_LOOP, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf", "-ERR [SYS/PERM] Can't open mailbox: "
		    "permanent storage failure.\r\n" },
	    }, 0, 0, 0, "AUTHORIZATION" },
	{ "QUIT when removal fails (RFC 1939 §6)", ON_MBOX, 2, COND_NONE, {
		LOGIN2,
		{ "DELE 2", "+OK Message 2 deleted.\r\n" },
		{ "@rewrite", "" },
		{ "QUIT", "-ERR [SYS/TEMP] Some deleted messages not "
		    "removed.\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	/* RFC 1939 §4: the snapshot is fixed at open, so LIST still shows
	 * what is gone; RETR and TOP answer one -ERR, nothing partial. */
	{ "messages removed by another program", ON_BOTH, 2, COND_NONE, {
		LOGIN2,
		{ "@vanish", "" },
		{ "RETR 1", "-ERR [SYS/TEMP] Can't read message: mailbox "
		    "changed by another program.\r\n" },
		{ "TOP 2 0", "-ERR [SYS/TEMP] Can't read message: mailbox "
		    "changed by another program.\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 100\r\n2 200\r\n"
		    ".\r\n" },
		{ "QUIT", "+OK polypop signing off (2 messages left).\r\n" },
	    }, 1, 1, 2 /* by the other program */, "UPDATE" },
	{ "unknown and malformed commands", ON_BOTH, 2, COND_NONE, {
		{ "HELO x", "-ERR Unknown command: HELO\r\n" },
		{ "CAPX", "-ERR Unknown command: CAPX\r\n" },
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
	{ "empty maildrop (RFC 1939 App. A)", ON_BOTH, 0, COND_NONE, {
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
	{ "one message, singular", ON_BOTH, 1, COND_NONE, {
		{ "USER mrose", GREETED },
		{ "PASS tanstaaf",
		    "+OK Logged in. 1 message (100 octets).\r\n" },
		{ "UIDL 1", "+OK 1 {U1}\r\n" },
		{ "QUIT", "+OK polypop signing off (1 message left).\r\n" },
	    }, 1, 1, 0, "UPDATE" },
	{ "over-long lines (RFC 2449 §4)", ON_BOTH, 2, COND_NONE, {
		{ "USER mrose", GREETED },
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "PASS tanstaaf", "-ERR PASS must come right after a "
		    "successful USER.\r\n" },
		LOGIN2,
		{ "@overflow", "-ERR Line too long.\r\n" },
		{ "STAT", "+OK 2 300\r\n" },
	    }, 0, 0, 0, "TRANSACTION" },
};
#define NDIALOGUES	(sizeof(dialogues) / sizeof(dialogues[0]))

/* WANT with {U1}..{U3} replaced by UIDS[0..2]. */
static void
expand(const char *want, char uids[][71], size_t nuids, char *out,
    size_t len)
{
	size_t o = 0, n;
	const char *p;

	for (p = want; *p != '\0'; p++) {
		if (p[0] == '{' && p[1] == 'U' && p[2] >= '1' &&
		    p[2] <= '0' + (int)nuids && p[3] == '}') {
			n = strlen(uids[p[2] - '1']);
			ck_assert_uint_lt(o + n, len);
			memcpy(out + o, uids[p[2] - '1'], n);
			o += n;
			p += 3;
			continue;
		}
		ck_assert_uint_lt(o + 1, len);
		out[o++] = *p;
	}
	out[o] = '\0';
}

/* A POP3 session: POP3 has only INBOX, so a folder open aborts. */
static struct session *
pop3_session(const struct testenv *e)
{
	struct session *s = testcore_new(&e->loc, e->db, &pop3_ops);

	s->inbox_only = 1;
	return s;
}

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

/* Another program removes every message. */
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

/* Make the maildrop's path a symlink to itself: realpath() fails with
 * ELOOP, which the store reports as a permanent failure. */
static void
loop_maildrop(const struct testenv *e)
{
	char path[PATH_MAX], cmd[PATH_MAX + 16];

	testenv_inbox_path(e, TESTENV_USER, path, sizeof(path));
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(symlink(TESTENV_USER, path), 0);
}

/* Dialogue _i / 2 on a Maildir (even _i) or an mbox (odd _i). */
START_TEST(test_dialogue)
{
	const struct dialogue *d = &dialogues[_i / 2];
	enum store_kind kind = _i % 2 ? STORE_MBOX : STORE_MAILDIR;
	struct store *st, *held = NULL;
	struct session *s;
	struct testenv env;
	char uids[TESTENV_NMSGS][71], want[2048];
	size_t i;

	if ((d->kinds & (1u << kind)) == 0)
		return;
	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, d->nmsgs);
	/* The ids a listing must show are whatever the store says. */
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	for (i = 0; i < d->nmsgs; i++)
		snprintf(uids[i], sizeof(uids[i]), "%s", store_uid(st, i));
	store_close(st);
	if (d->cond == COND_LOCKED)
		ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &held), 0);
	if (d->cond == COND_LOOP)
		loop_maildrop(&env);

	s = pop3_session(&env);
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_clear(s);
	for (i = 0; i < MAXSTEPS && d->step[i].c != NULL; i++) {
		const struct step *sp = &d->step[i];

		ck_assert_msg(!s->closed, "%s: step %zu after close",
		    d->name, i);
		if (strcmp(sp->c, "@overflow") == 0)
			pop3_ops.overflow(s);
		else if (strcmp(sp->c, "@authfault") == 0)
			s->auth_fault = 1;
		else if (strcmp(sp->c, "@rewrite") == 0)
			rewrite_mbox(&env);
		else if (strcmp(sp->c, "@vanish") == 0)
			vanish(&env);
		else
			testcore_line(s, sp->c);
		expand(sp->s, uids, d->nmsgs, want, sizeof(want));
		ck_assert_msg(strcmp(testcore_output(s), want) == 0,
		    "%s (%s): step %zu \"%s\":\n got: \"%s\"\nwant: \"%s\"",
		    d->name, kind == STORE_MBOX ? "mbox" : "maildir", i,
		    sp->c, testcore_output(s), want);
		testcore_clear(s);
	}
	ck_assert_int_eq(s->closed, d->closed);
	ck_assert_uint_eq(s->commits, d->commits);
	ck_assert_str_eq(s->state, d->state);
	/* A store was handed over exactly when the login got that far. */
	ck_assert_uint_eq(s->opens,
	    strcmp(d->state, "AUTHORIZATION") != 0 ? 1 : 0);
	pop3_ops.close(s);
	ck_assert_ptr_null(session_data(s));
	testcore_free(s);
	if (held != NULL)
		store_close(held);
	if (d->cond != COND_LOOP) {
		/* The module released the lock (a second store_close() would
		 * be a use after free, which ASan builds catch), and the
		 * maildrop lost exactly the messages it should have. */
		ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
		ck_assert_uint_eq(d->nmsgs - store_count(st), d->removed);
		store_close(st);
	}
	testenv_fini(&env);
}
END_TEST

/* What the module asks the core to stream: RFC 1939 §3 stuffing always,
 * the whole message for RETR, N lines for TOP, clamped when N is too
 * large for a long (§7: more lines than the message has means all). */
START_TEST(test_send_options)
{
	static const struct {
		const char *line;
		long lines;
	} c[] = {
		{ "RETR 1", -1 },
		{ "TOP 1 0", 0 },
		{ "top 2 10", 10 },
		{ "TOP 2 9223372036854775807", 9223372036854775807L },
		{ "TOP 2 99999999999999999999", 9223372036854775807L },
	};
	struct testenv env;
	struct session *s;
	size_t i;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 2);
	s = pop3_session(&env);
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		testcore_clear(s);
		testcore_line(s, c[i].line);
		ck_assert(strncmp(testcore_output(s), "+OK ", 4) == 0);
		ck_assert_int_eq(s->opts.dot_stuff, 1);
		ck_assert_int_eq(s->opts.body_lines, c[i].lines);
	}
	pop3_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

/* Dovecot's limit: the 20th bad command ends the session. */
START_TEST(test_bad_command_limit)
{
	struct testenv env;
	struct session *s;
	int i;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = pop3_session(&env);
	ck_assert_int_eq(pop3_ops.start(s), 0);
	for (i = 1; i < POP3_MAX_BAD_COMMANDS; i++) {
		testcore_clear(s);
		testcore_line(s, i % 2 ? "FOO" : "STAT");
		ck_assert(strncmp(testcore_output(s), "-ERR ", 5) == 0);
		ck_assert(!s->closed);
	}
	/* Good commands do not reset the count but are not counted. */
	testcore_line(s, "USER x");
	ck_assert(!s->closed);
	testcore_clear(s);
	testcore_line(s, "FOO");
	ck_assert_str_eq(testcore_output(s), "-ERR Unknown command: FOO\r\n"
	    "-ERR Too many bad commands, closing connection.\r\n");
	ck_assert(s->closed);
	pop3_ops.close(s);
	testcore_free(s);
	testenv_fini(&env);
}
END_TEST

/* Client errors inside handlers count too; server errors do not. */
START_TEST(test_bad_command_handler_errors)
{
	struct testenv env;
	struct session *s;
	struct store *st;
	int i;

	testenv_init(&env, STORE_MAILDIR);
	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = pop3_session(&env);
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	for (i = 1; i < POP3_MAX_BAD_COMMANDS; i++)
		testcore_line(s, "RETR 9");
	ck_assert(!s->closed);
	testcore_line(s, "DELE 0");
	ck_assert(s->closed);
	pop3_ops.close(s);
	ck_assert_uint_eq(s->commits, 0);
	ck_assert_uint_eq(s->opens, 1);
	testcore_free(s);
	/* Released, and nothing removed. */
	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(store_count(st), 1);
	store_close(st);
	testenv_fini(&env);
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
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_dialogue, 0, (int)(2 * NDIALOGUES));
	tcase_add_test(tc, test_send_options);
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
