/*
 * test_pop3_explain.c - Check tests for protocols/pop3/pop3_explain.c,
 * the analysis behind `polypopd explain`: transcripts in, rows (the
 * annotation and the flags of each line) out.
 *
 * Where the command table has the data, the expectations are derived from
 * it (every command, every profile), so a table change cannot leave the
 * explainer behind unnoticed; the rest are transcripts written from the
 * RFCs, starting with RFC 1081's own "Example POP3 Session".
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_explain.h"
#include "pop3_int.h"

#define MAXROWS		128

struct row {
	char dir;
	char text[600];
	char note[POP3_EXPLAIN_NOTE];
	size_t nflags;
	char flags[POP3_EXPLAIN_FLAGS * POP3_EXPLAIN_FLAG];	/* \n-joined */
	int command;
};

struct result {
	size_t nrows;
	struct row row[MAXROWS];
	size_t flagged;		/* rows with flags */
};

static void
collect(struct result *res, const struct pop3_explain_out *out)
{
	const struct pop3_explain_row *r;
	struct row *w;
	size_t i, j;

	for (i = 0; i < out->nrows; i++) {
		r = &out->row[i];
		ck_assert_uint_lt(res->nrows, MAXROWS);
		w = &res->row[res->nrows++];
		memset(w, 0, sizeof(*w));
		w->dir = r->dir;
		ck_assert_uint_lt(r->len, sizeof(w->text));
		if (r->len > 0)
			memcpy(w->text, r->text, r->len);
		snprintf(w->note, sizeof(w->note), "%s", r->note);
		w->nflags = r->nflags;
		w->command = r->command;
		for (j = 0; j < r->nflags && j < POP3_EXPLAIN_FLAGS; j++) {
			strcat(w->flags, r->flag[j]);
			strcat(w->flags, "\n");
		}
		if (r->nflags > 0)
			res->flagged++;
	}
}

/*
 * Explain TRANSCRIPT: lines "C: text" and "S: text" (or "#" for a trace
 * note), separated by \n.  Each line is fed from a heap buffer of exactly
 * its length, so an overread shows under AddressSanitizer.
 */
static void
explain(const char *profile, int strict, const char *transcript,
    struct result *res)
{
	struct pop3_explain *x;
	struct pop3_explain_out out;
	const char *p = transcript, *nl;
	char *buf;
	size_t len;

	memset(res, 0, sizeof(*res));
	x = pop3_explain_new(profile, strict);
	ck_assert_ptr_nonnull(x);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl != NULL ? (size_t)(nl - p) : strlen(p);
		ck_assert(len >= 1);
		if (p[0] == '#') {
			pop3_explain_line(x, '#', "", 0, &out);
		} else {
			ck_assert(len >= 2 && p[1] == ':');
			len -= len >= 3 ? 3 : 2;
			buf = malloc(len + 1);
			memcpy(buf, p + (p[2] == ' ' ? 3 : 2), len);
			pop3_explain_line(x, p[0], buf, len, &out);
			collect(res, &out);
			free(buf);
		}
		p += (nl != NULL ? (size_t)(nl - p) + 1 : strlen(p));
	}
	pop3_explain_end(x, &out);
	collect(res, &out);
	pop3_explain_free(x);
}

/* The row whose text is TEXT (the Nth such, from 0). */
static const struct row *
find_row(const struct result *res, char dir, const char *text, int nth)
{
	size_t i;

	for (i = 0; i < res->nrows; i++)
		if (res->row[i].dir == dir &&
		    strcmp(res->row[i].text, text) == 0 && nth-- == 0)
			return &res->row[i];
	ck_abort_msg("no row %c: %s", dir, text);
	return NULL;
}

static int
has_flag(const struct row *r, const char *part)
{
	return strstr(r->flags, part) != NULL;
}

/* RFC 1081, "Example POP3 Session", as printed (placeholders too). */
static const char rfc1081_example[] =
	"S: <wait for connection on TCP port 110>\n"
	"C: <open connection>\n"
	"S: +OK dewey POP3 server ready (Comments to: PostMaster@UDEL.EDU)\n"
	"C: USER mrose\n"
	"S: +OK mrose is a real hoopy frood\n"
	"C: PASS secret\n"
	"S: +OK mrose's maildrop has 2 messages (320 octets)\n"
	"C: STAT\n"
	"S: +OK 2 320\n"
	"C: LIST\n"
	"S: +OK 2 messages (320 octets)\n"
	"S: 1 120\n"
	"S: 2 200\n"
	"S: .\n"
	"C: RETR 1\n"
	"S: +OK 120 octets\n"
	"S: <the POP3 server sends message 1>\n"
	"S: .\n"
	"C: DELE 1\n"
	"S: +OK message 1 deleted\n"
	"C: RETR 2\n"
	"S: +OK 200 octets\n"
	"S: <the POP3 server sends message 2>\n"
	"S: .\n"
	"C: DELE 2\n"
	"S: +OK message 2 deleted\n"
	"C: QUIT\n"
	"S: +OK dewey POP3 server signing off (maildrop empty)\n"
	"C: <close connection>\n"
	"S: <wait for next connection>\n";

START_TEST(test_rfc1081_example_clean)
{
	static const char *const profiles[] = {
		"rfc1081", "rfc1082", "rfc1225", "rfc1460", "rfc1725",
		"rfc1939", "",
	};
	struct result res;
	const struct row *r;
	size_t i, commands;

	for (i = 0; i < sizeof(profiles) / sizeof(profiles[0]); i++) {
		explain(profiles[i], 1, rfc1081_example, &res);
		ck_assert_msg(res.flagged == 0, "%s: %zu flagged",
		    profiles[i], res.flagged);
		ck_assert_uint_eq(res.nrows, 30);
	}
	explain("rfc1081", 0, rfc1081_example, &res);
	for (i = 0, commands = 0; i < res.nrows; i++)
		commands += res.row[i].command;
	ck_assert_uint_eq(commands, 9);	/* the narration is not counted */
	/* Rows in transcript order, annotated as --trace annotates. */
	ck_assert_str_eq(res.row[0].text,
	    "<wait for connection on TCP port 110>");
	ck_assert_str_eq(res.row[0].note,
	    "AUTHORIZATION | narration, not a line on the wire");
	r = &res.row[2];
	ck_assert_str_eq(r->note,
	    "AUTHORIZATION | greeting: RFC 1081, The AUTHORIZATION State");
	ck_assert_str_eq(res.row[3].text, "USER mrose");
	ck_assert_str_eq(res.row[3].note, "AUTHORIZATION -> AUTHORIZATION | "
	    "USER: RFC 1081, The AUTHORIZATION State");
	r = find_row(&res, 'C', "PASS secret", 0);
	ck_assert_str_eq(r->note, "AUTHORIZATION -> TRANSACTION | "
	    "PASS: RFC 1081, The AUTHORIZATION State");
	r = find_row(&res, 'S',
	    "+OK mrose's maildrop has 2 messages (320 octets)", 0);
	ck_assert_str_eq(r->note,
	    "TRANSACTION | PASS: RFC 1081, The AUTHORIZATION State");
	r = find_row(&res, 'S', "1 120", 0);
	ck_assert_str_eq(r->note, "TRANSACTION");
	r = find_row(&res, 'S', ".", 2);
	ck_assert_str_eq(r->note, "TRANSACTION");
	r = find_row(&res, 'C', "QUIT", 0);
	ck_assert_str_eq(r->note, "TRANSACTION -> UPDATE | QUIT: RFC 1081, "
	    "The AUTHORIZATION State; The UPDATE State");
	r = find_row(&res, 'S',
	    "+OK dewey POP3 server signing off (maildrop empty)", 0);
	ck_assert_str_eq(r->note, "UPDATE | QUIT: RFC 1081, "
	    "The AUTHORIZATION State; The UPDATE State");
}
END_TEST

/* The citation of every client line is pop3_cite_line()'s, the text
 * --trace writes: every command of the table, in every profile. */
START_TEST(test_cites_match_trace)
{
	char line[64], cite[160], want[256], t[512];
	struct result res;
	const struct row *r;
	size_t i;
	int pr;

	for (pr = 0; pr < POP3_NPROFILES; pr++)
		for (i = 0; i < pop3_ncommands; i++) {
			snprintf(line, sizeof(line), "%s",
			    pop3_commands[i].name);
			snprintf(t, sizeof(t), "S: +OK hello\nC: %s\n"
			    "S: -ERR no\n", line);
			explain(pop3_profiles[pr].name, 0, t, &res);
			ck_assert_uint_eq(res.flagged, 0);
			pop3_cite_line((enum pop3_profile)pr,
			    POP3_AUTHORIZATION, line, strlen(line), cite,
			    sizeof(cite));
			r = find_row(&res, 'C', line, 0);
			snprintf(want, sizeof(want),
			    "AUTHORIZATION -> AUTHORIZATION | %s", cite);
			ck_assert_str_eq(r->note, want);
			r = find_row(&res, 'S', "-ERR no", 0);
			snprintf(want, sizeof(want), "AUTHORIZATION | %s",
			    cite);
			ck_assert_str_eq(r->note, want);
		}
}
END_TEST

/* Logged in, then COMMAND (with its minimum of arguments) answered +OK
 * in the form its row gives: flagged exactly when the profile lacks it
 * or does not allow it in TRANSACTION.  From the table, every row. */
START_TEST(test_table_positive_replies)
{
	char t[1024], args[64], ok[64];
	const struct pop3_command *c;
	struct result res;
	const struct row *r;
	size_t i, j;
	int pr, want;

	for (pr = 0; pr < POP3_NPROFILES; pr++)
		for (i = 0; i < pop3_ncommands; i++) {
			c = &pop3_commands[i];
			args[0] = '\0';
			for (j = 0; j < c->min_args; j++)
				strcat(args, strcmp(c->name, "XTND") == 0 ?
				    " BBOARDS" : " 1");
			snprintf(ok, sizeof(ok), "%s", strcmp(c->ok,
			    "+OK nn mm") == 0 ? "+OK 1 120" : strcmp(c->ok,
			    "+OK nn") == 0 ? "+OK 1" : "+OK fine");
			snprintf(t, sizeof(t), "S: +OK <1.2@host> hello\n"
			    "C: USER u\nS: +OK\nC: PASS p\nS: +OK in\n"
			    "C: %s%s\nS: %s\n%s", c->name, args, ok,
			    (c->multiline == POP3_ML_ALWAYS ||
			    (c->multiline == POP3_ML_NOARG &&
			    c->min_args == 0)) ? "S: .\n" : "");
			explain(pop3_profiles[pr].name, 0, t, &res);
			want = c->in[pr].section == NULL ||
			    !(c->states & POP3_S_TRANS);
			ck_assert_msg(res.flagged == (size_t)want,
			    "%s in profile %d: %zu flagged", c->name, pr,
			    res.flagged);
			snprintf(t, sizeof(t), "%s%s", c->name, args);
			r = find_row(&res, 'C', t, 0);
			ck_assert_uint_eq(r->nflags, (size_t)want);
			if (c->in[pr].section == NULL)
				ck_assert(has_flag(r, "has no"));
			else if (want)
				ck_assert(has_flag(r, "state"));
		}
}
END_TEST

/* The brief's example: LAST is flagged under rfc1725 only when the
 * server accepted it. */
START_TEST(test_last)
{
	static const char ok[] = "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: LAST\nS: +OK 0\n";
	static const char err[] = "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: LAST\nS: -ERR Unknown command: LAST\n";
	struct result res;
	const struct row *r;

	explain("rfc1725", 0, ok, &res);
	ck_assert_uint_eq(res.flagged, 1);
	r = find_row(&res, 'C', "LAST", 0);
	ck_assert_str_eq(r->note,
	    "TRANSACTION -> TRANSACTION | LAST: not in RFC 1725");
	ck_assert_str_eq(r->flags, "LAST answered +OK, but RFC 1725 has no "
	    "LAST command (RFC 1725 §3); it is in RFC 1460 §5\n");
	explain("rfc1725", 0, err, &res);
	ck_assert_uint_eq(res.flagged, 0);
	explain("rfc1939", 0, ok, &res);
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1081", 0, ok, &res);
	ck_assert_uint_eq(res.flagged, 0);
	explain("rfc1460", 0, ok, &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* LAST's reply is "+OK nn" (RFC 1081). */
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: LAST\nS: +OK none\n", &res);
	r = find_row(&res, 'S', "+OK none", 0);
	ck_assert(has_flag(r, "LAST reply does not start \"+OK nn\""));
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: LAST\nS: +OK 2 is the highest\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	explain("rfc1081", 1, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: LAST\nS: +OK 2 is the highest\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
}
END_TEST

/* UIDL under RFC 1081, CAPA anywhere but the current profile. */
START_TEST(test_commands_of_other_revisions)
{
	static const char uidl[] = "S: +OK hi\nC: USER a\nS: +OK\n"
	    "C: PASS b\nS: +OK\nC: UIDL\nS: +OK\nS: 1 abc\nS: .\n"
	    "C: QUIT\nS: +OK\n";
	static const char capa[] = "S: +OK hi\nC: CAPA\n"
	    "S: +OK Capability list follows\nS: TOP\nS: UIDL\nS: .\n"
	    "C: USER a\nS: +OK\n";
	struct result res;
	const struct row *r;

	explain("rfc1081", 0, uidl, &res);
	ck_assert_uint_eq(res.flagged, 1);
	r = find_row(&res, 'C', "UIDL", 0);
	ck_assert(has_flag(r, "RFC 1081 has no UIDL command"));
	ck_assert(has_flag(r, "it is in RFC 1725 §7"));
	explain("rfc1725", 0, uidl, &res);
	ck_assert_uint_eq(res.flagged, 0);

	explain("", 0, capa, &res);
	ck_assert_uint_eq(res.flagged, 0);
	r = find_row(&res, 'C', "CAPA", 0);
	ck_assert_str_eq(r->note, "AUTHORIZATION -> AUTHORIZATION | CAPA: "
	    "RFC 2449 §5");
	r = find_row(&res, 'S', "TOP", 0);
	ck_assert_str_eq(r->note, "AUTHORIZATION");
	explain("rfc1939", 0, capa, &res);
	/* Only the +OK to CAPA: its listing is taken as its reply. */
	ck_assert_uint_eq(res.flagged, 1);
	r = find_row(&res, 'C', "CAPA", 0);
	ck_assert(has_flag(r, "RFC 1939 has no CAPA command"));
	explain("rfc1081", 0, capa, &res);
	ck_assert_uint_eq(res.flagged, 1);
	/* An unknown command answered -ERR is what every revision does. */
	explain("rfc1081", 0, "S: +OK hi\nC: CAPA\nS: -ERR what?\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
}
END_TEST

START_TEST(test_state_and_arity)
{
	struct result res;
	const struct row *r;

	/* A TRANSACTION command before login. */
	explain("rfc1939", 0, "S: +OK hi\nC: STAT\nS: +OK 0 0\n", &res);
	r = find_row(&res, 'C', "STAT", 0);
	ck_assert_str_eq(r->note, "AUTHORIZATION -> AUTHORIZATION | STAT: "
	    "RFC 1939 §5, not valid in the AUTHORIZATION state");
	ck_assert_str_eq(r->flags, "STAT answered +OK before login: RFC 1939 "
	    "§5 allows it only in the TRANSACTION state\n");
	/* ... and answered -ERR, as it should be. */
	explain("rfc1939", 0, "S: +OK hi\nC: STAT\nS: -ERR log in\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* USER after login. */
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: USER c\nS: +OK\n", &res);
	r = find_row(&res, 'C', "USER c", 0);
	ck_assert(has_flag(r, "USER answered +OK in the TRANSACTION state"));
	/* Argument counts. */
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: +OK\nC: RETR\nS: +OK\nS: .\nC: STAT 1\nS: +OK 1 1\n"
	    "C: TOP 1\nS: -ERR usage\nC: LIST 1 2\nS: +OK 1 2\n", &res);
	ck_assert_uint_eq(res.flagged, 3);
	r = find_row(&res, 'C', "RETR", 0);
	ck_assert_str_eq(r->flags, "RETR answered +OK with 0 arguments; it "
	    "takes 1 (RFC 1081, The TRANSACTION State; usage: RETR msg)\n");
	r = find_row(&res, 'C', "LIST 1 2", 0);
	ck_assert(has_flag(r, "it takes 0 to 1"));
	/* RFC 1725 §3: arguments up to 40 characters. */
	explain("rfc1725", 0, "S: +OK hi\nC: USER "
	    "a234567890123456789012345678901234567890x\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1081", 0, "S: +OK hi\nC: USER "
	    "a234567890123456789012345678901234567890x\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* Malformed arguments. */
	explain("rfc1939", 0, "S: +OK hi\nC: USER  a\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
}
END_TEST

START_TEST(test_login_rules)
{
	struct result res;
	const struct row *r;

	/* RFC 1939 §7: PASS only right after a successful USER. */
	explain("rfc1939", 0, "S: +OK hi\nC: PASS b\nS: +OK in\n", &res);
	r = find_row(&res, 'C', "PASS b", 0);
	ck_assert_str_eq(r->flags, "PASS answered +OK, but it may only come "
	    "immediately after a successful USER (RFC 1939 §7)\n");
	explain("rfc1939", 0, "S: +OK hi\nC: USER a\nS: -ERR no\nC: PASS b\n"
	    "S: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1939", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: HELO\n"
	    "S: -ERR what\nC: PASS b\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1939", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: -ERR bad\nC: USER a\nS: +OK\nC: PASS c\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* RFC 1081 to 1725 say only "after a successful USER". */
	explain("rfc1725", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: HELO\n"
	    "S: -ERR what\nC: PASS b\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\n"
	    "S: -ERR bad\nC: PASS c\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	ck_assert_str_eq(find_row(&res, 'C', "PASS c", 0)->flags, "PASS "
	    "answered +OK, but it may only come after a successful USER "
	    "(RFC 1081, The AUTHORIZATION State)\n");
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: -ERR who\n"
	    "C: PASS c\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	/* RFC 1081 RPOP: the same rule. */
	explain("rfc1081", 0, "S: +OK hi\nC: RPOP a\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1081", 0, "S: +OK hi\nC: USER a\nS: +OK\nC: RPOP a\n"
	    "S: +OK in\nC: STAT\nS: +OK 0 0\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* APOP needs the greeting's timestamp (RFC 1460 §7). */
	explain("rfc1460", 0, "S: +OK hi\nC: APOP a "
	    "c4c9334bac560ecc979e58001b3e22fb\nS: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	ck_assert(has_flag(&res.row[1], "no <timestamp>"));
	ck_assert(has_flag(&res.row[1], "RFC 1460 §7"));
	explain("rfc1939", 0, "S: +OK POP3 server ready "
	    "<1896.697170952@dbc.mtview.ca.us>\nC: APOP mrose "
	    "c4c9334bac560ecc979e58001b3e22fb\nS: +OK maildrop has 1 "
	    "message (369 octets)\nC: STAT\nS: +OK 1 369\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* A timestamp in an RFC 1081 greeting is fine; APOP is not. */
	explain("rfc1081", 0, "S: +OK ready <1.2@host>\nC: APOP a b\n"
	    "S: +OK in\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	ck_assert(has_flag(&res.row[1], "RFC 1081 has no APOP command"));
	ck_assert(res.row[0].nflags == 0);
}
END_TEST

START_TEST(test_sasl_exchange)
{
	struct result res;
	const struct row *r;

	/* RFC 5034 §4: challenges and responses are not replies and
	 * commands; the +OK after the last response enters TRANSACTION. */
	explain("", 0, "S: +OK hi\nC: AUTH PLAIN\nS: + \n"
	    "C: AGFsaWNlAHNlY3JldA==\nS: +OK in\nC: STAT\nS: +OK 1 10\n",
	    &res);
	ck_assert_uint_eq(res.flagged, 0);
	r = find_row(&res, 'C', "AGFsaWNlAHNlY3JldA==", 0);
	ck_assert_str_eq(r->note, "AUTHORIZATION -> TRANSACTION | AUTH: "
	    "RFC 5034 §4, the client's response");
	/* Two challenges (LOGIN), then a cancellation. */
	explain("", 0, "S: +OK hi\nC: AUTH LOGIN\nS: + VXNlcm5hbWU6\n"
	    "C: YWxpY2U=\nS: + UGFzc3dvcmQ6\nC: *\nS: -ERR cancelled\n"
	    "C: STAT\nS: -ERR log in first\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* An initial response and success in one round. */
	explain("", 0, "S: +OK hi\nC: AUTH PLAIN AGFsaWNlAHNlY3JldA==\n"
	    "S: +OK in\nC: STAT\nS: +OK 1 10\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* A historic revision has no AUTH, so no challenge either. */
	explain("rfc1939", 0, "S: +OK hi\nC: AUTH PLAIN\nS: + \n"
	    "C: AGFsaWNlAHNlY3JldA==\nS: +OK in\n", &res);
	ck_assert(has_flag(find_row(&res, 'C', "AUTH PLAIN", 0),
	    "has no AUTH command"));
}
END_TEST

START_TEST(test_greeting_and_status)
{
	struct result res;

	explain("rfc1081", 0, "S: -ERR go away\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	ck_assert_str_eq(res.row[0].flags, "negative greeting: the server "
	    "should always give a positive response as the greeting (RFC "
	    "1081, The AUTHORIZATION State)\n");
	explain("rfc1939", 0, "S: +ok hi\n", &res);
	ck_assert(has_flag(&res.row[0], "MUST send \"+OK\" and \"-ERR\" in "
	    "upper case (RFC 1939 §3)"));
	explain("rfc1081", 0, "S: +ok hi\n", &res);
	ck_assert(has_flag(&res.row[0], "(RFC 1081, A Short Digression)"));
	explain("rfc1939", 0, "S: +OKAY hi\n", &res);
	ck_assert_str_eq(res.row[0].flags,
	    "reply is neither +OK nor -ERR (RFC 1939 §3)\n");
	explain("rfc1939", 0, "S: +OK hi\nC: NOOP\nS: OK\n", &res);
	/* "OK" is no reply, so NOOP was not accepted: one flag. */
	ck_assert_uint_eq(res.flagged, 1);
	explain("rfc1939", 0, "S: +OK\nC: QUIT\nS: -ERR\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
}
END_TEST

/* RFC 1939 §3: 512 octets per response line, with the CRLF. */
START_TEST(test_line_length)
{
	char t[1200];
	struct result res;
	size_t pr;

	memset(t, 0, sizeof(t));
	strcpy(t, "S: +OK ");
	memset(t + 7, 'x', 506);	/* 510 octets: 512 with CRLF */
	strcat(t, "\n");
	for (pr = 0; pr < POP3_NPROFILES; pr++) {
		explain(pop3_profiles[pr].name, 0, t, &res);
		ck_assert_uint_eq(res.flagged, 0);
	}
	t[513] = 'x';
	t[514] = '\n';
	for (pr = 0; pr < POP3_NPROFILES; pr++) {
		explain(pop3_profiles[pr].name, 0, t, &res);
		ck_assert_uint_eq(res.flagged,
		    (pop3_profiles[pr].flags & POP3_PF_LIMITS_1939) ? 1 : 0);
	}
	explain("rfc1939", 0, t, &res);
	ck_assert_str_eq(res.row[0].flags, "line is 513 octets with its "
	    "CRLF; responses may be up to 512 (RFC 1939 §3)\n");
}
END_TEST

#define LOGIN	"S: +OK hi\nC: USER a\nS: +OK\nC: PASS b\nS: +OK\n"

START_TEST(test_stat_forms)
{
	static const struct {
		const char *reply;
		int r1081, r1081s, r1939, r1939s;
	} cases[] = {
		{ "+OK 2 320", 0, 0, 0, 0 },
		{ "+OK 2 320 more", 0, 1, 0, 1 },
		{ "+OK 2  320", 0, 0, 1, 1 },
		{ "+OK 2\t320", 0, 0, 1, 1 },
		{ "+OK\t2 320", 1, 1, 1, 1 },
		{ "+OK 2", 1, 1, 1, 1 },
		{ "+OK two 320", 1, 1, 1, 1 },
		{ "+OK", 1, 1, 1, 1 },
		{ "+OK 2 320x", 1, 1, 1, 1 },
		{ "+OK 2 messages (320 octets)", 1, 1, 1, 1 },
		{ "-ERR no", 0, 0, 0, 0 },
	};
	char t[256];
	struct result res;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(t, sizeof(t), LOGIN "C: STAT\nS: %s\n",
		    cases[i].reply);
		explain("rfc1081", 0, t, &res);
		ck_assert_msg(res.flagged == (size_t)cases[i].r1081, "%s",
		    cases[i].reply);
		explain("rfc1081", 1, t, &res);
		ck_assert_msg(res.flagged == (size_t)cases[i].r1081s, "%s",
		    cases[i].reply);
		explain("rfc1939", 0, t, &res);
		ck_assert_msg(res.flagged == (size_t)cases[i].r1939, "%s",
		    cases[i].reply);
		explain("rfc1725", 1, t, &res);
		ck_assert_msg(res.flagged == (size_t)cases[i].r1939s, "%s",
		    cases[i].reply);
	}
	explain("rfc1725", 0, LOGIN "C: STAT\nS: +OK 2  320\n", &res);
	ck_assert_str_eq(res.row[6].flags, "STAT reply is not \"+OK nn mm\": "
	    "\"+OK\", then each number after a single space (RFC 1725 §5)\n");
	explain("rfc1081", 1, LOGIN "C: STAT\nS: +OK 2 320 more\n", &res);
	ck_assert(has_flag(&res.row[6], "--strict"));
}
END_TEST

START_TEST(test_listings)
{
	struct result res;
	const struct row *r;

	explain("rfc1939", 0, LOGIN "C: LIST\nS: +OK\nS: 1 120\n"
	    "S: 2  200\nS: x 1\nS: 3 300 extra\nS: .\nC: LIST 2\n"
	    "S: +OK 3 200\nC: LIST 2\nS: +OK\nC: LIST 2\nS: +OK 2 200\n",
	    &res);
	ck_assert(!find_row(&res, 'S', "1 120", 0)->nflags);
	ck_assert(has_flag(find_row(&res, 'S', "2  200", 0),
	    "not a scan listing"));
	ck_assert(has_flag(find_row(&res, 'S', "x 1", 0),
	    "not a scan listing"));
	ck_assert(!find_row(&res, 'S', "3 300 extra", 0)->nflags);
	ck_assert(has_flag(find_row(&res, 'S', "+OK 3 200", 0),
	    "for message 3, but LIST asked for 2"));
	ck_assert(has_flag(find_row(&res, 'S', "+OK", 3), "without its "
	    "listing"));
	ck_assert(!find_row(&res, 'S', "+OK 2 200", 0)->nflags);
	ck_assert_uint_eq(res.flagged, 4);
	explain("rfc1939", 1, LOGIN "C: LIST\nS: +OK\nS: 3 300 extra\n"
	    "S: .\n", &res);
	ck_assert(has_flag(find_row(&res, 'S', "3 300 extra", 0),
	    "STRONGLY discourages"));
	/* RFC 1081: the number, then the size; blanks are not fixed. */
	explain("rfc1081", 0, LOGIN "C: LIST\nS: +OK\nS: 2  200\nS: .\n",
	    &res);
	ck_assert_uint_eq(res.flagged, 0);

	/* Unique-ids: 0x21 to 0x7E, nothing after; 1 to 70 in 1939. */
	explain("rfc1939", 0, LOGIN "C: UIDL\nS: +OK\nS: 1 whqtswO00WBw418f9t5"
	    "JxYwZ\nS: 2 a b\nS: 3\nS: 4 \x7f\nS: 5 "
	    "12345678901234567890123456789012345678901234567890123456789012"
	    "345678901\nS: .\nC: UIDL 2\nS: +OK 2 QhdPYR:00WBw1Ph7x7\n",
	    &res);
	ck_assert(!find_row(&res, 'S', "1 whqtswO00WBw418f9t5JxYwZ",
	    0)->nflags);
	ck_assert(has_flag(find_row(&res, 'S', "2 a b", 0),
	    "no information follows it"));
	ck_assert(has_flag(find_row(&res, 'S', "3", 0),
	    "not a unique-id listing"));
	ck_assert(has_flag(find_row(&res, 'S', "4 \x7f", 0),
	    "outside 0x21 to 0x7E"));
	r = &res.row[res.nrows - 4];
	ck_assert(has_flag(r, "71 characters; it may have 1 to 70 "
	    "(RFC 1939 §7)"));
	ck_assert_uint_eq(res.flagged, 4);
	explain("rfc1725", 0, LOGIN "C: UIDL\nS: +OK\nS: 5 "
	    "12345678901234567890123456789012345678901234567890123456789012"
	    "345678901\nS: .\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
}
END_TEST

START_TEST(test_multiline_ends)
{
	struct result res;
	const struct row *r;

	/* The transcript ends before the ".". */
	explain("rfc1081", 0, LOGIN "C: RETR 1\nS: +OK 3 octets\nS: abc\n",
	    &res);
	ck_assert_uint_eq(res.flagged, 1);
	r = &res.row[res.nrows - 1];
	ck_assert_int_eq(r->dir, 0);
	ck_assert_str_eq(r->flags, "the transcript ends inside the "
	    "multi-line reply to RETR: no terminating \".\" line (RFC 1081, "
	    "A Short Digression)\n");
	/* A command comes before the ".". */
	explain("rfc1939", 0, LOGIN "C: TOP 1 0\nS: +OK\nS: Subject: x\n"
	    "C: NOOP\nS: +OK\n", &res);
	ck_assert(has_flag(find_row(&res, 'C', "NOOP", 0),
	    "reply to TOP before this line has no terminating"));
	/* A byte-stuffed line is data; the first "." ends the reply. */
	explain("rfc1939", 0, LOGIN "C: RETR 1\nS: +OK\nS: ..dot\nS: .\n"
	    "C: NOOP\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* --trace leaves bodies out: its note ends the reply. */
	explain("rfc1081", 0, LOGIN "C: RETR 1\nS: +OK 120 octets\n#\n"
	    "C: QUIT\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* -ERR to a multi-line command is one line. */
	explain("rfc1081", 0, LOGIN "C: RETR 9\nS: -ERR no such message\n"
	    "C: QUIT\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	/* LIST with an argument is one line. */
	explain("rfc1081", 0, LOGIN "C: LIST 1\nS: +OK 1 120\nC: QUIT\n"
	    "S: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
}
END_TEST

START_TEST(test_session_end)
{
	struct result res;
	const struct row *r;

	explain("rfc1939", 0, LOGIN "C: QUIT\nS: +OK bye\nC: NOOP\n"
	    "S: +OK\nS: +OK more\n", &res);
	ck_assert_uint_eq(res.flagged, 3);
	r = find_row(&res, 'C', "NOOP", 0);
	ck_assert_str_eq(r->flags, "the session ended with the reply to QUIT; "
	    "nothing may follow it (RFC 1939 §4, §6)\n");
	ck_assert_str_eq(r->note, "UPDATE -> UPDATE | NOOP: RFC 1939 §5, not "
	    "valid in the UPDATE state");
	/* QUIT in AUTHORIZATION: no UPDATE, but the end all the same. */
	explain("rfc1081", 0, "S: +OK hi\nC: QUIT\nS: +OK bye\nC: USER a\n"
	    "S: +OK\n", &res);
	ck_assert_str_eq(res.row[1].note, "AUTHORIZATION -> AUTHORIZATION | "
	    "QUIT: RFC 1081, The AUTHORIZATION State; The UPDATE State");
	ck_assert_uint_eq(res.flagged, 2);
	/* RFC 1939 §6: -ERR to QUIT, still UPDATE and the end. */
	explain("rfc1939", 0, LOGIN "C: QUIT\nS: -ERR some deleted messages "
	    "not removed\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	ck_assert_str_eq(find_row(&res, 'C', "QUIT", 0)->note,
	    "TRANSACTION -> UPDATE | QUIT: RFC 1939 §4, §6");
	/* A reply missing: the command before the next one has none. */
	explain("rfc1939", 0, LOGIN "C: NOOP\nC: NOOP\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	ck_assert(has_flag(find_row(&res, 'C', "NOOP", 0), "no reply"));
	/* A server line answering nothing. */
	explain("rfc1939", 0, LOGIN "S: +OK extra\n", &res);
	ck_assert_uint_eq(res.flagged, 1);
	/* A command with no reply at the end: released, not flagged. */
	explain("rfc1939", 0, LOGIN "C: QUIT\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
	ck_assert_str_eq(res.row[res.nrows - 1].text, "QUIT");
	/* No greeting: the transcript starts at a command. */
	explain("rfc1939", 0, "C: USER a\nS: +OK\nC: PASS b\nS: +OK\n", &res);
	ck_assert_uint_eq(res.flagged, 0);
}
END_TEST

/* Every octet value, in both directions and at every point of a session,
 * and lines far over any limit: rows stay bounded and terminated. */
START_TEST(test_any_bytes)
{
	struct pop3_explain x;
	struct pop3_explain_out out;
	static char big[5000];
	char b[3];
	size_t i, j;
	int c, pr;

	memset(big, 'A', sizeof(big));
	for (pr = 0; pr < POP3_NPROFILES; pr++) {
		pop3_explain_init(&x, (enum pop3_profile)pr, 1);
		for (c = 0; c < 256; c++)
			for (i = 0; i < 3; i++) {
				b[0] = (char)c;
				b[1] = "+-C"[i];
				b[2] = (char)(255 - c);
				pop3_explain_line(&x, "CS"[c & 1], b, 1 + i % 3,
				    &out);
				for (j = 0; j < out.nrows; j++) {
					ck_assert(strlen(out.row[j].note) <
					    POP3_EXPLAIN_NOTE);
					ck_assert(out.row[j].len <=
					    POP3_EXPLAIN_HELD || out.row[j].text
					    != x.held_text);
				}
			}
		pop3_explain_line(&x, 'C', big, sizeof(big), &out);
		pop3_explain_line(&x, 'S', big, sizeof(big), &out);
		pop3_explain_line(&x, 'C', big, sizeof(big), &out);
		pop3_explain_end(&x, &out);
		for (j = 0; j < out.nrows; j++)
			ck_assert_uint_le(out.row[j].len, POP3_EXPLAIN_HELD);
	}
	ck_assert_ptr_null(pop3_explain_new("rfc2449", 0));
	ck_assert_ptr_null(pop3_explain_new("current", 0));
}
END_TEST

static Suite *
explain_suite(void)
{
	Suite *s = suite_create("pop3_explain");
	TCase *tc = tcase_create("explain");

	tcase_add_test(tc, test_rfc1081_example_clean);
	tcase_add_test(tc, test_cites_match_trace);
	tcase_add_test(tc, test_table_positive_replies);
	tcase_add_test(tc, test_last);
	tcase_add_test(tc, test_commands_of_other_revisions);
	tcase_add_test(tc, test_state_and_arity);
	tcase_add_test(tc, test_login_rules);
	tcase_add_test(tc, test_greeting_and_status);
	tcase_add_test(tc, test_line_length);
	tcase_add_test(tc, test_stat_forms);
	tcase_add_test(tc, test_listings);
	tcase_add_test(tc, test_multiline_ends);
	tcase_add_test(tc, test_session_end);
	tcase_add_test(tc, test_any_bytes);
	tcase_add_test(tc, test_sasl_exchange);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(explain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
