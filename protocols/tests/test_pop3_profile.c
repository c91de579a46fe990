/*
 * test_pop3_profile.c - the POP3 revisions as data: profile lookup, which
 * commands each revision has (against each RFC's command summary), the
 * citations --trace and `polypopd explain` print, the docs rows and state
 * diagram edges, and dialogues that show what differs inside commands
 * (greeting, LAST, RSET, response codes, the 40-character rule, failed
 * logins, RPOP), and RFC 1082 XTND on real discussion groups (folders of
 * a --bboards location, read-only), on real Maildirs and mboxes through
 * the stand-in core.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bboard_scan.h"
#include "pop3.h"
#include "pop3_int.h"
#include "testcore.h"
#include "testenv.h"

/* --- lookup ------------------------------------------------------------ */

START_TEST(test_profile_find)
{
	ck_assert_int_eq(pop3_profile_find(""), POP3_CURRENT);
	ck_assert_int_eq(pop3_profile_find(NULL), POP3_CURRENT);
	ck_assert_int_eq(pop3_profile_find("rfc1081"), POP3_RFC1081);
	ck_assert_int_eq(pop3_profile_find("rfc1082"), POP3_RFC1082);
	ck_assert_int_eq(pop3_profile_find("rfc1225"), POP3_RFC1225);
	ck_assert_int_eq(pop3_profile_find("rfc1460"), POP3_RFC1460);
	ck_assert_int_eq(pop3_profile_find("rfc1725"), POP3_RFC1725);
	ck_assert_int_eq(pop3_profile_find("rfc1939"), POP3_RFC1939);
	/* Names are exact: the listener spelling is the contract. */
	ck_assert_int_eq(pop3_profile_find("RFC1081"), -1);
	ck_assert_int_eq(pop3_profile_find("rfc1081x"), -1);
	ck_assert_int_eq(pop3_profile_find("rfc108"), -1);
	ck_assert_int_eq(pop3_profile_find("rfc2449"), -1);
	ck_assert_int_eq(pop3_profile_find("current"), -1);
}
END_TEST

/* The list the core checks --listen against is every historic profile,
 * in order, and nothing else. */
START_TEST(test_profile_names)
{
	size_t i;

	for (i = 0; pop3_profile_names[i] != NULL; i++) {
		ck_assert_int_eq(pop3_profile_find(pop3_profile_names[i]),
		    (int)i);
		ck_assert_str_eq(pop3_profile_name((enum pop3_profile)i),
		    pop3_profile_names[i]);
	}
	ck_assert_uint_eq(i, POP3_NPROFILES - 1);
	ck_assert_ptr_eq(pop3_ops.profiles, pop3_profile_names);
	ck_assert_str_eq(pop3_profile_name(POP3_CURRENT), "");
}
END_TEST

/* --- which commands each revision has ---------------------------------- */

/*
 * Each RFC's own command summary: RFC 1081 and 1225 "Minimal POP3
 * Commands" and "Optional POP3 Commands"; RFC 1082 adds XTND; RFC 1460
 * §8, RFC 1725 §8, RFC 1939 §9.  Optional ones are marked '*'.
 */
static const struct {
	enum pop3_profile pr;
	const char *commands;
} summaries[] = {
	{ POP3_RFC1081, "USER PASS QUIT STAT LIST RETR DELE NOOP LAST RSET "
	    "*RPOP *TOP" },
	{ POP3_RFC1082, "USER PASS QUIT STAT LIST RETR DELE NOOP LAST RSET "
	    "*RPOP *TOP *XTND" },
	{ POP3_RFC1225, "USER PASS QUIT STAT LIST RETR DELE NOOP LAST RSET "
	    "*RPOP *TOP" },
	{ POP3_RFC1460, "USER PASS QUIT STAT LIST RETR DELE NOOP LAST RSET "
	    "*APOP *TOP" },
	{ POP3_RFC1725, "USER PASS QUIT STAT LIST RETR DELE NOOP RSET "
	    "*APOP *TOP *UIDL" },
	/* RFC 1939 App. A: "makes the USER and PASS commands optional". */
	{ POP3_RFC1939, "QUIT STAT LIST RETR DELE NOOP RSET *USER *PASS "
	    "*APOP *TOP *UIDL" },
	/* And the extensions after it: RFC 2449 CAPA, RFC 5034 AUTH,
	 * RFC 2595 STLS, RFC 6856 UTF8 and LANG. */
	{ POP3_CURRENT, "QUIT STAT LIST RETR DELE NOOP RSET *USER *PASS "
	    "*APOP *TOP *UIDL *AUTH *STLS *UTF8 *CAPA *LANG" },
};

START_TEST(test_profile_commands)
{
	const char *list = summaries[_i].commands, *p = list;
	enum pop3_profile pr = summaries[_i].pr;
	size_t want = 0, have = 0, i;
	char name[8];

	while (*p != '\0') {
		const struct pop3_command *c;
		int optional = *p == '*';
		size_t n;

		p += optional;
		n = strcspn(p, " ");
		ck_assert_uint_lt(n, sizeof(name));
		memcpy(name, p, n);
		name[n] = '\0';
		p += n + (p[n] == ' ');
		c = pop3_command_find(name, n);
		ck_assert_msg(c != NULL, "%s: no row", name);
		ck_assert_msg(pop3_command_section(c, pr) != NULL,
		    "%s lacks %s", pop3_profiles[pr].label, name);
		ck_assert_msg(c->in[pr].optional == optional,
		    "%s %s: optional is %d", pop3_profiles[pr].label, name,
		    c->in[pr].optional);
		want++;
	}
	for (i = 0; i < pop3_ncommands; i++)
		if (pop3_command_section(&pop3_commands[i], pr) != NULL)
			have++;
	ck_assert_msg(have == want, "%s has %zu commands, its RFC %zu",
	    pop3_profiles[pr].label, have, want);
}
END_TEST

/* Sections cite the profile's own RFC (RFC 1082's base commands cite
 * RFC 1081, which it extends; the current profile cites RFC 1939). */
START_TEST(test_profile_sections)
{
	static const char *const own[POP3_NPROFILES] = {
		"RFC 1081", "RFC 1081", "RFC 1225", "RFC 1460", "RFC 1725",
		"RFC 1939", "RFC 1939",
	};
	size_t i, pr;

	for (i = 0; i < pop3_ncommands; i++) {
		const struct pop3_command *c = &pop3_commands[i];

		for (pr = 0; pr < POP3_NPROFILES; pr++) {
			const char *sec = c->in[pr].section;

			if (sec == NULL)
				continue;
			if (pr == POP3_RFC1082 && strcmp(c->name, "XTND") == 0)
				ck_assert_str_eq(sec,
				    "RFC 1082, The XTND Command");
			else if (pr == POP3_CURRENT &&
			    pop3_command_section(c, POP3_RFC1939) == NULL)
				/* An extension cites its own RFC. */
				ck_assert_msg(strncmp(sec, "RFC 2449 ", 9) == 0 ||
				    strncmp(sec, "RFC 2595 ", 9) == 0 ||
				    strncmp(sec, "RFC 5034 ", 9) == 0 ||
				    strncmp(sec, "RFC 6856 ", 9) == 0,
				    "%s cites %s", c->name, sec);
			else
				ck_assert_msg(strncmp(sec, own[pr], 8) == 0,
				    "%s in %s cites %s", c->name,
				    pop3_profiles[pr].label, sec);
		}
	}
	ck_assert(pop3_command_section(&pop3_commands[0], 99) == NULL);
}
END_TEST

/* --- citations (--trace, explain) -------------------------------------- */

static const struct {
	enum pop3_profile pr;
	enum pop3_state st;
	const char *line;
	const char *want;
} cites[] = {
	{ POP3_RFC1081, POP3_TRANSACTION, "LAST",
	    "LAST: RFC 1081, The TRANSACTION State" },
	{ POP3_RFC1460, POP3_TRANSACTION, "last", "LAST: RFC 1460 §5" },
	{ POP3_RFC1725, POP3_TRANSACTION, "LAST", "LAST: not in RFC 1725" },
	{ POP3_RFC1081, POP3_TRANSACTION, "UIDL", "UIDL: not in RFC 1081" },
	{ POP3_RFC1939, POP3_AUTHORIZATION, "USER mrose",
	    "USER: RFC 1939 §7" },
	{ POP3_RFC1939, POP3_AUTHORIZATION, "STAT",
	    "STAT: RFC 1939 §5, not valid in the AUTHORIZATION state" },
	{ POP3_RFC1225, POP3_AUTHORIZATION, "RPOP mrose",
	    "RPOP: RFC 1225, Optional POP3 Commands" },
	{ POP3_RFC1082, POP3_TRANSACTION, "XTND BBOARDS",
	    "XTND: RFC 1082, The XTND Command" },
	{ POP3_RFC1081, POP3_TRANSACTION, "XTND BBOARDS",
	    "XTND: not in RFC 1081" },
	{ POP3_CURRENT, POP3_TRANSACTION, "QUIT", "QUIT: RFC 1939 §4, §6" },
	{ POP3_RFC1939, POP3_AUTHORIZATION, "CAPA", "CAPA: not in RFC 1939" },
	{ POP3_CURRENT, POP3_TRANSACTION, "CAPA", "CAPA: RFC 2449 §5" },
	{ POP3_CURRENT, POP3_AUTHORIZATION, "utf8", "UTF8: RFC 6856 §2.1" },
	{ POP3_CURRENT, POP3_TRANSACTION, "STLS",
	    "STLS: RFC 2595 §4, not valid in the TRANSACTION state" },
	{ POP3_RFC1939, POP3_AUTHORIZATION, "XYZ1",
	    "not a command of RFC 1939 (RFC 1939 §3)" },
	{ POP3_RFC1081, POP3_AUTHORIZATION, " USER x",
	    "not a command of RFC 1081 (RFC 1081, A Short Digression)" },
};

START_TEST(test_cite_line)
{
	char buf[160];

	pop3_cite_line(cites[_i].pr, cites[_i].st, cites[_i].line,
	    strlen(cites[_i].line), buf, sizeof(buf));
	ck_assert_str_eq(buf, cites[_i].want);
}
END_TEST

/* A short buffer is cut, never overrun. */
START_TEST(test_cite_line_short)
{
	char buf[8];

	memset(buf, 'x', sizeof(buf));
	pop3_cite_line(POP3_RFC1081, POP3_TRANSACTION, "LAST", 4, buf, 6);
	ck_assert_str_eq(buf, "LAST:");
	ck_assert_int_eq(buf[6], 'x');
}
END_TEST

/* --- docs rows and state diagram edges ---------------------------------- */

START_TEST(test_describe_profiles)
{
	struct proto_command_doc d;
	size_t i;
	int seen_last = 0;

	for (i = 0; pop3_ops.describe("rfc1081", i, &d); i++) {
		ck_assert_ptr_nonnull(d.name);
		ck_assert_ptr_nonnull(d.section);
		ck_assert_ptr_nonnull(d.reply);
		ck_assert_ptr_nonnull(d.summary);
		if (strcmp(d.name, "LAST") == 0) {
			seen_last = 1;
			ck_assert_str_eq(d.reply, "+OK nn");
			ck_assert_int_eq(d.optional, 0);
		}
		ck_assert_str_ne(d.name, "UIDL");
	}
	ck_assert_uint_eq(i, 12);
	ck_assert(seen_last);
	for (i = 0; pop3_ops.describe("", i, &d); i++)
		ck_assert_str_ne(d.name, "LAST");
	/* RFC 1939's eleven and QUIT's, and the five extensions. */
	ck_assert_uint_eq(i, 17);
	for (i = 0; pop3_ops.describe("rfc1939", i, &d); i++)
		ck_assert_str_ne(d.name, "CAPA");
	ck_assert_uint_eq(i, 12);
	ck_assert(!pop3_ops.describe("rfc9999", 0, &d));
	ck_assert_ptr_null(d.name);
}
END_TEST

/* Find FROM --LABEL--> TO among PROFILE's edges. */
static int
has_edge(const char *profile, const char *from, const char *label,
    const char *to)
{
	struct proto_edge_doc e;
	size_t i;

	for (i = 0; pop3_ops.edge(profile, i, &e); i++)
		if (strcmp(e.from, from) == 0 && strcmp(e.to, to) == 0 &&
		    strcmp(e.label, label) == 0)
			return 1;
	return 0;
}

START_TEST(test_edges)
{
	struct proto_edge_doc e;

	ck_assert(pop3_ops.edge("rfc1081", 0, &e));
	ck_assert_str_eq(e.from, "start");
	ck_assert(has_edge("rfc1081", "AUTHORIZATION", "PASS", "TRANSACTION"));
	ck_assert(has_edge("rfc1081", "AUTHORIZATION", "RPOP", "TRANSACTION"));
	ck_assert(!has_edge("rfc1460", "AUTHORIZATION", "RPOP",
	    "TRANSACTION"));
	ck_assert(has_edge("rfc1460", "AUTHORIZATION", "APOP", "TRANSACTION"));
	ck_assert(has_edge("rfc1081", "TRANSACTION", "LAST", "TRANSACTION"));
	ck_assert(!has_edge("rfc1939", "TRANSACTION", "LAST", "TRANSACTION"));
	ck_assert(has_edge("rfc1939", "AUTHORIZATION", "QUIT", "end"));
	ck_assert(has_edge("rfc1939", "TRANSACTION", "QUIT", "UPDATE"));
	ck_assert(has_edge("", "UPDATE", "deleted messages removed, +OK, "
	    "close", "end"));
	ck_assert(has_edge("rfc1082", "TRANSACTION", "XTND", "TRANSACTION"));
	ck_assert(!has_edge("rfc1081", "TRANSACTION", "XTND", "TRANSACTION"));
	ck_assert(!pop3_ops.edge("nope", 0, &e));
}
END_TEST

/* --- dialogues ------------------------------------------------------------ */

#define MAXSTEPS	48

struct step {
	const char *c;		/* "@new": QUIT was sent; start a session */
	const char *s;
};

struct dialogue {
	const char *name;
	const char *profile;
	const char *rpop_rule;	/* testcore's one RPOP rule, or NULL */
	struct step step[MAXSTEPS];
	int closed;		/* the last session was closed */
	int bboards;		/* sessions get the discussion groups of
				 * bboards_setup() */
};

#define GREET_PLAIN	"+OK POP3 dbc.mtview.ca.us polypop ready\r\n"
#define SENDPW		"+OK Send your password.\r\n"
#define LOGIN3		{ "USER mrose", SENDPW }, { "PASS tanstaaf", \
	"+OK Logged in. 3 messages (600 octets).\r\n" }
#define UNKNOWN(c)	"-ERR Unknown command: " c "\r\n"
#define FAILED		"-ERR Authentication failed.\r\n"
#define RETR1		"+OK 100 octets\r\n" TESTENV_MSG1_HEAD \
	TESTENV_MSG1_STUFFED ".\r\n"
#define RSETOK		"+OK Maildrop has 3 messages (600 octets).\r\n"

#define NOSUCH		"-ERR no such bboard\r\n"
#define RETR2		"+OK 200 octets\r\n" TESTENV_MSG2_HEAD \
	TESTENV_MSG2_STUFFED ".\r\n"
/* RFC 1082's 14 lines for the group "system" of bboards_setup(). */
#define XBB_SYSTEM	"+OK XTND\r\n" \
	"system\r\n"			/* 1 NAME */ \
	"\r\n"				/* 2 ALIASES */ \
	"system\r\n"			/* 3 maildrop (folder) */ \
	"system.archive\r\n"		/* 4 archive maildrop */ \
	"\r\n\r\n\r\n\r\n"		/* 5-8 */ \
	"system@dbc.mtview.ca.us\r\n"	/* 9 ADDRESS */ \
	"system-request@dbc.mtview.ca.us\r\n" /* 10 REQUEST */ \
	"\r\n\r\n"			/* 11-12 feeds */ \
	"0 3\r\n"			/* 13 FLAGS MAXIMA */ \
	"\r\n"				/* 14 LASTDATE */ \
	".\r\n"

static const struct dialogue dialogues[] = {
	{ "RFC 1081 LAST: RETR and DELE raise it, RSET restores the login "
	    "value, it persists only through QUIT", "rfc1081", NULL, {
		{ "@greeting", GREET_PLAIN },
		LOGIN3,
		{ "LAST", "+OK 0\r\n" },
		{ "TOP 3 0", "+OK Top of message follows.\r\nSubject: three"
		    "\r\n\r\n.\r\n" },
		{ "LAST", "+OK 0\r\n" },
		{ "RETR 1", RETR1 },
		{ "LAST", "+OK 1\r\n" },
		{ "DELE 2", "+OK Message 2 deleted.\r\n" },
		{ "LAST", "+OK 2\r\n" },
		{ "RSET", RSETOK },
		{ "LAST", "+OK 0\r\n" },
		{ "RETR 1", RETR1 },
		{ "QUIT", "+OK polypop signing off (3 messages left).\r\n" },
		{ "@new", GREET_PLAIN },
		LOGIN3,
		/* The start value is now 1; RSET goes back to it. */
		{ "LAST", "+OK 1\r\n" },
		{ "DELE 3", "+OK Message 3 deleted.\r\n" },
		{ "LAST", "+OK 3\r\n" },
		{ "RSET", RSETOK },
		{ "LAST", "+OK 1\r\n" },
		{ "LIST 3", "+OK 3 300\r\n" },
	    }, 0, 0 },
	{ "RFC 1460 §5 RSET: LAST back to zero", "rfc1460", NULL, {
		LOGIN3,
		{ "RETR 1", RETR1 },
		{ "QUIT", "+OK polypop signing off (3 messages left).\r\n" },
		{ "@new", NULL },
		LOGIN3,
		{ "LAST", "+OK 1\r\n" },
		{ "RSET", RSETOK },
		{ "LAST", "+OK 0\r\n" },
	    }, 0, 0 },
	{ "RFC 1081 has no APOP, UIDL, XTND; no codes; no closing after "
	    "failed logins", "rfc1081", NULL, {
		{ "APOP mrose " TESTENV_APOP_DIGEST, UNKNOWN("APOP") },
		{ "CAPA", UNKNOWN("CAPA") },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		LOGIN3,
		{ "UIDL", UNKNOWN("UIDL") },
		{ "XTND BBOARDS", UNKNOWN("XTND") },
		/* No 40-character rule before RFC 1725. */
		{ "LIST 00000000000000000000000000000000000000000001",
		    "+OK 1 100\r\n" },
	    }, 0, 0 },
	{ "RFC 1725: no LAST, no RPOP; closes after failed logins",
	    "rfc1725", NULL, {
		{ "RPOP mrose", UNKNOWN("RPOP") },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED },
		{ "USER mrose", SENDPW },
		{ "PASS wrong", FAILED "-ERR Too many failed logins, closing "
		    "connection.\r\n" },
	    }, 1, 0 },
	{ "RFC 1939 §3: arguments of at most 40 characters", "rfc1939",
	    NULL, {
		{ "USER 12345678901234567890123456789012345678901",
		    "-ERR Argument 1 is longer than 40 characters "
		    "(RFC 1939 §3).\r\n" },
		{ "USER 1234567890123456789012345678901234567890", SENDPW },
		LOGIN3,
		{ "LAST", UNKNOWN("LAST") },
		{ "LIST 00000000000000000000000000000000000000000001",
		    "-ERR Argument 1 is longer than 40 characters "
		    "(RFC 1939 §3).\r\n" },
	    }, 0, 0 },
	{ "the current profile keeps RFC 2449 codes and long arguments", "",
	    NULL, {
		{ "USER mrose", SENDPW },
		{ "PASS wrong", "-ERR [AUTH] Authentication failed.\r\n" },
		LOGIN3,
		{ "LIST 00000000000000000000000000000000000000000001",
		    "+OK 1 100\r\n" },
		{ "LAST", UNKNOWN("LAST") },
	    }, 0, 0 },
	{ "RFC 1082 XTND on a server without discussion groups", "rfc1082",
	    NULL, {
		{ "XTND BBOARDS", "-ERR Log in first: XTND is only valid in "
		    "the TRANSACTION state.\r\n" },
		LOGIN3,
		{ "XTND BBOARDS", "+OK XTND\r\n.\r\n" },
		{ "xtnd bboards system", "-ERR no such bboard\r\n" },
		{ "XTND ARCHIVE system", "-ERR no such bboard\r\n" },
		{ "XTND X-BBOARDS system", "-ERR no such bboard\r\n" },
		{ "XTND ARCHIVE", "-ERR Usage: XTND BBOARDS [name], XTND "
		    "ARCHIVE name, XTND X-BBOARDS name\r\n" },
		{ "XTND FOO", "-ERR Unknown XTND command: FOO\r\n" },
		{ "XTND", "-ERR Missing argument. Usage: XTND BBOARDS [name] "
		    "| ARCHIVE name | X-BBOARDS name\r\n" },
		{ "LAST", "+OK 0\r\n" },
	    }, 0, 0 },
	{ "RFC 1082 XTND with --bboards: list, describe, validate first, "
	    "commit the default maildrop, read a group read-only",
	    "rfc1082", NULL, {
		LOGIN3,
		{ "XTND BBOARDS", "+OK XTND\r\nEmpty 0\r\nmh-users 1\r\n"
		    "system 3\r\n.\r\n" },
		{ "XTND X-BBOARDS SYSTEM", XBB_SYSTEM },
		{ "XTND X-BBOARDS mh-users", "+OK XTND\r\nmh-users\r\n\r\n"
		    "mh-users\r\n\r\n\r\n\r\n\r\n\r\n"
		    "mh-users@dbc.mtview.ca.us\r\n"
		    "mh-users-request@dbc.mtview.ca.us\r\n\r\n\r\n"
		    "0 1\r\n\r\n.\r\n" },
		{ "XTND X-BBOARDS nosuch", NOSUCH },
		/* The default maildrop: a deletion and a RETR pending. */
		{ "DELE 1", "+OK Message 1 deleted.\r\n" },
		{ "RETR 2", RETR2 },
		/* Not groups: the current maildrop stays, marks and all. */
		{ "XTND BBOARDS nosuch", NOSUCH },
		{ "XTND BBOARDS bad_name", NOSUCH },
		{ "XTND BBOARDS 9lives", NOSUCH },
		{ "XTND BBOARDS inbox", NOSUCH },
		{ "XTND BBOARDS system.archive", NOSUCH },
		{ "XTND ARCHIVE mh-users", NOSUCH },
		{ "STAT", "+OK 2 500\r\n" },
		{ "LIST", "+OK scan listing follows\r\n2 200\r\n3 300\r\n"
		    ".\r\n" },
		{ "LAST", "+OK 2\r\n" },
		/* Any case; the group's own spelling comes back. */
		{ "XTND BBOARDS SyStEm", "+OK XTND\r\nsystem 3\r\n.\r\n" },
		{ "STAT", "+OK 3 600\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 100 1\r\n"
		    "2 200 2\r\n3 300 3\r\n.\r\n" },
		{ "LIST 2", "+OK 2 200 2\r\n" },
		{ "LAST", "+OK 0\r\n" },
		{ "RETR 1", RETR1 },
		{ "TOP 3 0", "+OK Top of message follows.\r\nSubject: three"
		    "\r\n\r\n.\r\n" },
		{ "LAST", "+OK 1\r\n" },
		{ "DELE 1", "+OK Message 1 not deleted: discussion group "
		    "system is read-only.\r\n" },
		{ "LIST 1", "+OK 1 100 1\r\n" },
		{ "LAST", "+OK 1\r\n" },
		{ "RSET", RSETOK },
		{ "LAST", "+OK 0\r\n" },
		/* An unknown group keeps the current group. */
		{ "XTND BBOARDS nosuch", NOSUCH },
		{ "STAT", "+OK 3 600\r\n" },
		{ "XTND ARCHIVE system", "+OK XTND\r\nsystem 2\r\n.\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 100 1\r\n"
		    "2 200 2\r\n.\r\n" },
		{ "RETR 2", RETR2 },
		{ "XTND BBOARDS empty", "+OK XTND\r\nEmpty 0\r\n.\r\n" },
		{ "STAT", "+OK 0 0\r\n" },
		{ "LIST", "+OK scan listing follows\r\n.\r\n" },
		{ "LAST", "+OK 0\r\n" },
		{ "XTND BBOARDS", "+OK XTND\r\nEmpty 0\r\nmh-users 1\r\n"
		    "system 3\r\n.\r\n" },
		{ "QUIT", "+OK polypop signing off (maildrop empty).\r\n" },
		/* The switch committed the default maildrop: message 1 is
		 * gone, and message 2's RETR (now message 1) is kept for
		 * LAST. */
		{ "@new", NULL },
		{ "USER mrose", SENDPW },
		{ "PASS tanstaaf", "+OK Logged in. 2 messages (500 octets)."
		    "\r\n" },
		{ "LAST", "+OK 1\r\n" },
		{ "LIST", "+OK scan listing follows\r\n1 200\r\n2 300\r\n"
		    ".\r\n" },
		/* Groups are never changed by their readers. */
		{ "XTND BBOARDS system", "+OK XTND\r\nsystem 3\r\n.\r\n" },
	    }, 0, 1 },
	{ "RFC 1082 XTND BBOARDS with nothing to commit", "rfc1082", NULL, {
		LOGIN3,
		{ "XTND BBOARDS mh-users", "+OK XTND\r\nmh-users 1\r\n.\r\n" },
		{ "RETR 1", "+OK 300 octets\r\n" TESTENV_MSG3 ".\r\n" },
		{ "QUIT", "+OK polypop signing off (1 message left).\r\n" },
		{ "@new", NULL },
		LOGIN3,
		{ "LAST", "+OK 0\r\n" },
	    }, 0, 1 },
	{ "RFC 1081 RPOP: after USER, by the core's trust rule", "rfc1225",
	    "mr mrose", {
		{ "RPOP mr", "-ERR RPOP must come after a successful "
		    "USER.\r\n" },
		{ "USER mrose", SENDPW },
		{ "RPOP someone", FAILED },
		{ "USER mrose", SENDPW },
		{ "RPOP mr", "+OK Logged in. 3 messages (600 octets).\r\n" },
		{ "STAT", "+OK 3 600\r\n" },
	    }, 0, 0 },
	{ "RPOP without a trust map fails like a wrong password", "rfc1081",
	    NULL, {
		{ "USER mrose", SENDPW },
		{ "RPOP mrose", FAILED },
	    }, 0, 0 },
};
#define NDIALOGUES	(sizeof(dialogues) / sizeof(dialogues[0]))

/* --- discussion groups: a real --bboards location ---------------------- */

static struct store_location bbloc;
static int bbloc_set;

static const char *const std_msgs[TESTENV_NMSGS] = {
	TESTENV_MSG1_HEAD TESTENV_MSG1_BODY,
	TESTENV_MSG2_HEAD TESTENV_MSG2_BODY,
	TESTENV_MSG3,
};

/* store_deliver() test message I (0-based) into FOLDER of the groups. */
static void
bb_deliver(const struct testenv *e, const char *folder, size_t i)
{
	struct store_user u = { BBOARD_USER, NULL };
	char path[PATH_MAX], err[256];
	size_t len = strlen(std_msgs[i]);
	int fd;

	snprintf(path, sizeof(path), "%s/bb.XXXXXX", e->dir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, std_msgs[i], len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(store_deliver(&bbloc, &u, folder, fd,
	    "owner-bboard@dbc.mtview.ca.us", err, sizeof(err)) == 0, "%s",
	    err);
	close(fd);
}

/*
 * E's --bboards, of E's kind, in E->dir/bboards:
 *   system          test messages 1, 2, 3 (maxima 3)
 *   system.archive  test messages 1, 2    (its archive)
 *   mh-users        test message 3        (no archive)
 *   Empty           no message
 *   bad_name, 9lives  folders that are not RFC 1082 NAMEs: no groups
 */
static void
bboards_setup(const struct testenv *e)
{
	char spec[PATH_MAX + 16], path[PATH_MAX], err[256];
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/bboards", e->dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(spec, sizeof(spec), "%s:%s", e->kind == STORE_MBOX ?
	    "mbox" : "maildir", path);
	ck_assert_msg(store_location_parse(spec, &bbloc, err,
	    sizeof(err)) == 0, "%s", err);
	bbloc_set = 1;
	for (i = 0; i < TESTENV_NMSGS; i++)
		bb_deliver(e, "system", i);
	bb_deliver(e, "system.archive", 0);
	bb_deliver(e, "system.archive", 1);
	bb_deliver(e, "mh-users", 2);
	bb_deliver(e, "bad_name", 0);
	bb_deliver(e, "9lives", 0);
	if (e->kind == STORE_MBOX) {
		snprintf(path, sizeof(path), "%s/bboards/Empty", e->dir);
		ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT, 0644), 0);
		close(fd);
	} else {
		static const char *const sub[] = { "", "/cur", "/new", "/tmp" };

		for (i = 0; i < 4; i++) {
			snprintf(path, sizeof(path), "%s/bboards/.Empty%s",
			    e->dir, sub[i]);
			ck_assert_int_eq(mkdir(path, 0755), 0);
		}
	}
}

static void
bboards_teardown(void)
{
	if (bbloc_set)
		store_location_free(&bbloc);
	bbloc_set = 0;
}

static struct session *
start_session(const struct testenv *e, const struct dialogue *d)
{
	struct session *s = testcore_new(&e->loc, e->db, &pop3_ops);

	if (d->bboards)
		s->bboards = &bbloc;

	s->inbox_only = 1;
	snprintf(s->profile, sizeof(s->profile), "%s", d->profile);
	s->rpop_rule = d->rpop_rule;
	ck_assert_int_eq(pop3_ops.start(s), 0);
	return s;
}

static void
end_session(struct session *s)
{
	pop3_ops.close(s);
	testcore_free(s);
}

START_TEST(test_dialogue)
{
	const struct dialogue *d = &dialogues[_i / 2];
	enum store_kind kind = _i % 2 ? STORE_MBOX : STORE_MAILDIR;
	struct testenv env;
	struct session *s;
	const char *greeting = NULL;
	size_t i;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	if (d->bboards)
		bboards_setup(&env);
	s = start_session(&env, d);
	greeting = testcore_output(s);
	for (i = 0; i < MAXSTEPS && d->step[i].c != NULL; i++) {
		const struct step *sp = &d->step[i];

		if (strcmp(sp->c, "@greeting") == 0) {
			ck_assert_str_eq(greeting, sp->s);
			testcore_clear(s);
			continue;
		}
		if (i == 0)
			testcore_clear(s);
		if (strcmp(sp->c, "@new") == 0) {
			ck_assert(s->closed);
			end_session(s);
			s = start_session(&env, d);
			if (sp->s != NULL)
				ck_assert_str_eq(testcore_output(s), sp->s);
			testcore_clear(s);
			continue;
		}
		ck_assert_msg(!s->closed, "%s: step %zu after close", d->name,
		    i);
		testcore_line(s, sp->c);
		ck_assert_msg(strcmp(testcore_output(s), sp->s) == 0,
		    "%s (%s): step %zu \"%s\":\n got: \"%s\"\nwant: \"%s\"",
		    d->name, kind == STORE_MBOX ? "mbox" : "maildir", i,
		    sp->c, testcore_output(s), sp->s);
		testcore_clear(s);
	}
	ck_assert_int_eq(s->closed, d->closed);
	end_session(s);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/* A session dropped without QUIT leaves nothing accessed behind
 * (RFC 1725 §6 for deletions; the same for the marks LAST reads). */
START_TEST(test_last_not_kept_without_quit)
{
	static const struct dialogue d = { "drop", "rfc1081", NULL, { { 0 } },
	    0, 0 };
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	struct testenv env;
	struct session *s;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	s = start_session(&env, &d);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	testcore_line(s, "RETR 3");
	testcore_clear(s);
	testcore_line(s, "LAST");
	ck_assert_str_eq(testcore_output(s), "+OK 3\r\n");
	testcore_drop(s);
	s = start_session(&env, &d);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	testcore_clear(s);
	testcore_line(s, "LAST");
	ck_assert_str_eq(testcore_output(s), "+OK 0\r\n");
	end_session(s);
	testenv_fini(&env);
}
END_TEST

/* --- discussion groups beyond one dialogue ------------------------------ */

static const struct dialogue bbd = { "bboards", "rfc1082", NULL, { { 0 } },
	0, 1 };

/* Send LINE to S and check the whole reply. */
static void
say(struct session *s, const char *line, const char *want)
{
	testcore_clear(s);
	testcore_line(s, line);
	ck_assert_msg(strcmp(testcore_output(s), want) == 0,
	    "\"%s\":\n got: \"%s\"\nwant: \"%s\"", line,
	    testcore_output(s), want);
}

static struct session *
login(const struct testenv *e, const char *user, const char *pass,
    const char *want)
{
	struct session *s = start_session(e, &bbd);
	char line[128];

	snprintf(line, sizeof(line), "USER %s", user);
	say(s, line, SENDPW);
	snprintf(line, sizeof(line), "PASS %s", pass);
	say(s, line, want);
	return s;
}

#define LOGGED3	"+OK Logged in. 3 messages (600 octets).\r\n"
#define LOGGED0	"+OK Logged in. 0 messages (0 octets).\r\n"

/*
 * Two sessions read one group at once (store_open_shared(): no maildrop
 * lock), and a session that moved to a group has released its default
 * maildrop's lock, so its user can log in again meanwhile.
 */
START_TEST(test_bboards_shared)
{
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	struct session *a, *b, *c;
	struct testenv env;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	bboards_setup(&env);
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	/* While A holds mrose's maildrop, a second login is refused. */
	c = login(&env, TESTENV_USER, TESTENV_PASS,
	    "-ERR Mailbox is locked by another session.\r\n");
	end_session(c);
	say(a, "XTND BBOARDS system", "+OK XTND\r\nsystem 3\r\n.\r\n");
	b = login(&env, TESTENV_HASHED_USER, TESTENV_HASHED_PASS, LOGGED0);
	say(b, "XTND BBOARDS system", "+OK XTND\r\nsystem 3\r\n.\r\n");
	/* The lock went with the default maildrop. */
	c = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "RETR 2", RETR2);
	say(b, "RETR 2", RETR2);
	say(a, "RETR 1", RETR1);
	say(b, "LIST", "+OK scan listing follows\r\n1 100 1\r\n2 200 2\r\n"
	    "3 300 3\r\n.\r\n");
	say(b, "XTND ARCHIVE SYSTEM", "+OK XTND\r\nsystem 2\r\n.\r\n");
	say(a, "STAT", "+OK 3 600\r\n");
	say(b, "STAT", "+OK 2 300\r\n");
	say(c, "XTND BBOARDS system", "+OK XTND\r\nsystem 3\r\n.\r\n");
	say(a, "QUIT", "+OK polypop signing off (3 messages left).\r\n");
	say(b, "QUIT", "+OK polypop signing off (2 messages left).\r\n");
	testcore_drop(c);
	end_session(a);
	end_session(b);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/* Readers never write to a group: no seen marks (store_set_seen() is
 * STORE_EPERM there), nothing deleted, whatever they send. */
START_TEST(test_bboards_untouched)
{
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	struct store_user u = { BBOARD_USER, NULL };
	struct session *a;
	struct testenv env;
	struct store *st;
	char err[256];
	size_t i;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	bboards_setup(&env);
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "XTND BBOARDS system", "+OK XTND\r\nsystem 3\r\n.\r\n");
	say(a, "RETR 3", "+OK 300 octets\r\n" TESTENV_MSG3 ".\r\n");
	say(a, "DELE 3", "+OK Message 3 not deleted: discussion group "
	    "system is read-only.\r\n");
	say(a, "LAST", "+OK 3\r\n");
	say(a, "QUIT", "+OK polypop signing off (3 messages left).\r\n");
	end_session(a);
	ck_assert_int_eq(store_open_shared(&bbloc, &u, "system", &st, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(store_count(st), 3);
	for (i = 0; i < 3; i++)
		ck_assert(!store_is_seen(st, i));
	ck_assert_int_eq(store_set_deleted(st, 0, 1), STORE_EPERM);
	store_close(st);
	/* And the default maildrop kept all three (nothing was marked). */
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "LAST", "+OK 0\r\n");
	end_session(a);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/*
 * The connection dies while the default maildrop's deletions are being
 * committed on the way to a group: the group already opened is released
 * by close() (ASan checks nothing leaks), the commit never happened (it
 * had not started, so RFC 1939 §6: nothing removed), and the lock is
 * free again.
 */
START_TEST(test_bboards_drop_during_commit)
{
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	static const char line[] = "XTND BBOARDS system";
	struct session *a;
	struct testenv env;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	bboards_setup(&env);
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "DELE 1", "+OK Message 1 deleted.\r\n");
	testcore_clear(a);
	pop3_ops.line(a, line, sizeof(line) - 1);
	ck_assert_int_eq(a->req, TESTCORE_BBOARD_OPEN);
	testcore_step_once(a);
	/* Opened first; now the commit is pending and nothing is said. */
	ck_assert_int_eq(a->req, TESTCORE_COMMIT);
	ck_assert_uint_eq(a->bb_opens, 1);
	ck_assert_str_eq(testcore_output(a), "");
	testcore_drop(a);
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	end_session(a);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/* Folders differing only in case are one group (the first in byte order
 * wins); NAME.archive folders and non-NAMEs are never groups; without
 * --bboards nothing is a group even if the session asks. */
START_TEST(test_bboards_names)
{
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	struct bboard_info *info;
	size_t n, skipped;
	struct session *a;
	struct testenv env;

	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	bboards_setup(&env);
	bb_deliver(&env, "MH-Users", 0);
	bb_deliver(&env, "a.b", 0);
	ck_assert_int_eq(bboard_list(&bbloc, NULL, 0, &info, &n, &skipped), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(skipped, 0);
	ck_assert_str_eq(info[0].name, "Empty");
	ck_assert_str_eq(info[1].name, "MH-Users");
	ck_assert_uint_eq(info[1].maxima, 1);
	ck_assert_str_eq(info[2].name, "system");
	ck_assert_str_eq(info[2].archive, "");	/* not asked for */
	free(info);
	ck_assert_int_eq(bboard_list(&bbloc, "SYSTEM", 1, &info, &n,
	    &skipped), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(info[0].archive, "system.archive");
	free(info);
	ck_assert(!bboard_name_ok("INBOX", 5));
	ck_assert(bboard_name_ok("a-", 2));
	ck_assert(!bboard_name_ok("a_b", 3));
	ck_assert(!bboard_name_ok("9lives", 6));
	ck_assert(!bboard_name_ok("-a", 2));
	ck_assert(!bboard_name_ok("", 0));
	ck_assert(bboard_name_ok("x0-", 3));

	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "XTND BBOARDS", "+OK XTND\r\nEmpty 0\r\nMH-Users 1\r\n"
	    "system 3\r\n.\r\n");
	say(a, "XTND BBOARDS mh-users", "+OK XTND\r\nMH-Users 1\r\n"
	    ".\r\n");
	say(a, "LIST", "+OK scan listing follows\r\n1 100 1\r\n.\r\n");
	say(a, "XTND BBOARDS a", NOSUCH);
	/* A name too long to be a group's is refused before any lookup. */
	say(a, "XTND BBOARDS a12345678901234567890123456789012345678901234567"
	    "89012345678901234567890", NOSUCH);
	end_session(a);

	/* No --bboards: today's behaviour, whatever folders exist. */
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	a->bboards = NULL;
	say(a, "XTND BBOARDS", "+OK XTND\r\n.\r\n");
	say(a, "XTND BBOARDS system", NOSUCH);
	say(a, "XTND X-BBOARDS system", NOSUCH);
	say(a, "STAT", "+OK 3 600\r\n");
	end_session(a);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/* RFC 1082 "Policy Notes": a group whose maildrop the server cannot read
 * is not listed and cannot be opened.  (Permissions do not stop root,
 * so this runs only as another user.) */
START_TEST(test_bboards_unreadable)
{
	enum store_kind kind = _i ? STORE_MBOX : STORE_MAILDIR;
	char path[PATH_MAX];
	struct session *a;
	struct testenv env;

	if (geteuid() == 0)
		return;
	testenv_init(&env, kind);
	testenv_deliver_std(&env, TESTENV_USER, 3);
	bboards_setup(&env);
	snprintf(path, sizeof(path), "%s/bboards/%s", env.dir,
	    kind == STORE_MBOX ? "mh-users" : ".mh-users/cur");
	ck_assert_int_eq(chmod(path, 0), 0);
	a = login(&env, TESTENV_USER, TESTENV_PASS, LOGGED3);
	say(a, "XTND BBOARDS", "+OK XTND\r\nEmpty 0\r\nsystem 3\r\n"
	    ".\r\n");
	say(a, "XTND BBOARDS mh-users", NOSUCH);
	say(a, "XTND X-BBOARDS mh-users", NOSUCH);
	say(a, "STAT", "+OK 3 600\r\n");
	end_session(a);
	ck_assert_int_eq(chmod(path, 0700), 0);
	bboards_teardown();
	testenv_fini(&env);
}
END_TEST

/* The greeting carries an APOP timestamp exactly where APOP exists. */
START_TEST(test_greeting_timestamp)
{
	struct dialogue d = { "greeting", NULL, NULL, { { 0 } }, 0, 0 };
	struct testenv env;
	struct session *s;
	size_t pr;

	testenv_init(&env, STORE_MAILDIR);
	for (pr = 0; pr < POP3_NPROFILES; pr++) {
		int apop = pop3_profile_has((enum pop3_profile)pr, "APOP");

		d.profile = pop3_profiles[pr].name;
		s = start_session(&env, &d);
		ck_assert_msg((strchr(testcore_output(s), '<') != NULL) ==
		    apop, "%s: %s", pop3_profiles[pr].label,
		    testcore_output(s));
		ck_assert(strncmp(testcore_output(s), "+OK ", 4) == 0);
		end_session(s);
	}
	/* RFC 1460 is the first with APOP, RFC 1939 keeps it. */
	ck_assert(!pop3_profile_has(POP3_RFC1225, "APOP"));
	ck_assert(pop3_profile_has(POP3_RFC1460, "APOP"));
	ck_assert(pop3_profile_has(POP3_CURRENT, "APOP"));
	testenv_fini(&env);
}
END_TEST

/*
 * What each profile asks of the core's logins.  RFC 6856 §2.2: only the
 * current profile announces "UTF8 USER", so only it has USER, PASS and
 * APOP SASLprep'd; the historic profiles' logins stay byte-exact.  RFC
 * 1460 §13, RFC 1725 §12: "must not allow both methods of access for a
 * given user", a MUST NOT only in those two revisions (RFC 1939 §13:
 * "should not"), so only they keep unmarked users off APOP.
 */
START_TEST(test_login_rules_profiles)
{
	struct dialogue d = { "greeting", NULL, NULL, { { 0 } }, 0, 0 };
	struct testenv env;
	struct session *s;
	size_t pr;

	testenv_init(&env, STORE_MAILDIR);
	for (pr = 0; pr < POP3_NPROFILES; pr++) {
		d.profile = pop3_profiles[pr].name;
		s = start_session(&env, &d);
		ck_assert_msg(s->saslprep == (pr == POP3_CURRENT), "%s",
		    pop3_profiles[pr].label);
		ck_assert_msg(s->apop_exclusive == (pr == POP3_RFC1460 ||
		    pr == POP3_RFC1725), "%s", pop3_profiles[pr].label);
		end_session(s);
	}
	testenv_fini(&env);
}
END_TEST

static Suite *
profile_suite(void)
{
	Suite *s = suite_create("pop3_profile");
	TCase *tc = tcase_create("data");

	tcase_add_test(tc, test_profile_find);
	tcase_add_test(tc, test_profile_names);
	tcase_add_loop_test(tc, test_profile_commands, 0,
	    (int)(sizeof(summaries) / sizeof(summaries[0])));
	tcase_add_test(tc, test_profile_sections);
	tcase_add_loop_test(tc, test_cite_line, 0,
	    (int)(sizeof(cites) / sizeof(cites[0])));
	tcase_add_test(tc, test_cite_line_short);
	tcase_add_test(tc, test_describe_profiles);
	tcase_add_test(tc, test_edges);
	suite_add_tcase(s, tc);
	tc = tcase_create("dialogue");
	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, test_dialogue, 0, (int)(2 * NDIALOGUES));
	tcase_add_loop_test(tc, test_last_not_kept_without_quit, 0, 2);
	tcase_add_test(tc, test_greeting_timestamp);
	tcase_add_test(tc, test_login_rules_profiles);
	tcase_add_loop_test(tc, test_bboards_shared, 0, 2);
	tcase_add_loop_test(tc, test_bboards_untouched, 0, 2);
	tcase_add_loop_test(tc, test_bboards_drop_during_commit, 0, 2);
	tcase_add_loop_test(tc, test_bboards_names, 0, 2);
	tcase_add_loop_test(tc, test_bboards_unreadable, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(profile_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
