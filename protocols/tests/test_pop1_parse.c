/*
 * test_pop1_parse.c - Check tests for protocols/pop1/pop1_parse.c: a table
 * of {line, mode, expected result} cases, each parsed from an exactly
 * sized heap copy (so ASan sees any read past the end), then every prefix
 * of every case and a sweep of all octet values, which must never crash
 * and never yield an argument outside the line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "pop1_parse.h"

struct pcase {
	const char *line;
	size_t len;		/* 0: strlen(line) */
	enum pop1_parse_mode mode;
	int rc;
	const char *keyword;	/* when rc is OK */
	size_t nargs;
	const char *arg0;	/* when nargs >= 1 */
};

#define SPLIT	POP1_ARGS_SPLIT
#define REST	POP1_ARGS_REST

static const struct pcase cases[] = {
	/* RFC 918 The Normal Scenario, line by line. */
	{ "USER Fred", 0, SPLIT, POP1_PARSE_OK, "USER", 1, "Fred" },
	{ "PASS password", 0, REST, POP1_PARSE_OK, "PASS", 1, "password" },
	{ "RDEL mailbox", 0, SPLIT, POP1_PARSE_OK, "RDEL", 1, "mailbox" },
	{ "RETR mailbox", 0, SPLIT, POP1_PARSE_OK, "RETR", 1, "mailbox" },
	{ "RCEV", 0, SPLIT, POP1_PARSE_OK, "RCEV", 0, NULL },
	{ "RCVD", 0, SPLIT, POP1_PARSE_OK, "RCVD", 0, NULL },
	{ "QUIT", 0, SPLIT, POP1_PARSE_OK, "QUIT", 0, NULL },
	{ "NOOP", 0, SPLIT, POP1_PARSE_OK, "NOOP", 0, NULL },
	{ "RSET", 0, SPLIT, POP1_PARSE_OK, "RSET", 0, NULL },
	/* Any case folds to upper (deliberate leniency). */
	{ "rcev", 0, SPLIT, POP1_PARSE_OK, "RCEV", 0, NULL },
	{ "rDeL x", 0, SPLIT, POP1_PARSE_OK, "RDEL", 1, "x" },
	/* Trailing spaces dropped; leading or doubled ones refused. */
	{ "RCEV ", 0, SPLIT, POP1_PARSE_OK, "RCEV", 0, NULL },
	{ "RETR box  ", 0, SPLIT, POP1_PARSE_OK, "RETR", 1, "box" },
	{ "RETR  box", 0, SPLIT, POP1_PARSE_SPACE, NULL, 0, NULL },
	{ " RETR", 0, SPLIT, POP1_PARSE_SPACE, NULL, 0, NULL },
	{ " ", 0, SPLIT, POP1_PARSE_SPACE, NULL, 0, NULL },
	/* More than one argument is counted, only the first stored. */
	{ "USER a b c", 0, SPLIT, POP1_PARSE_OK, "USER", 3, "a" },
	/* PASS keeps everything: spaces, 8-bit octets. */
	{ "PASS two words ", 0, REST, POP1_PARSE_OK, "PASS", 1,
	    "two words " },
	{ "PASS p\xc3\xa4ss", 0, REST, POP1_PARSE_OK, "PASS", 1,
	    "p\xc3\xa4ss" },
	{ "PASS ", 0, REST, POP1_PARSE_OK, "PASS", 0, NULL },
	{ "PASS a\tb", 0, REST, POP1_PARSE_CHAR, NULL, 0, NULL },
	{ "PASS a\x7f", 0, REST, POP1_PARSE_CHAR, NULL, 0, NULL },
	{ "PASS a\0b", 8, REST, POP1_PARSE_CHAR, NULL, 0, NULL },
	/* Names are printable ASCII only. */
	{ "RETR b\xc3\xa4x", 0, SPLIT, POP1_PARSE_CHAR, NULL, 0, NULL },
	{ "RETR a\rb", 0, SPLIT, POP1_PARSE_CHAR, NULL, 0, NULL },
	{ "USER a\0b", 8, SPLIT, POP1_PARSE_CHAR, NULL, 0, NULL },
	/* Keywords: exactly four ASCII letters. */
	{ "", 0, SPLIT, POP1_PARSE_EMPTY, NULL, 0, NULL },
	{ "TOP 1 2", 0, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	{ "RCEVX", 0, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	{ "RCV1", 0, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	{ "R\0EV", 4, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	{ "\xd2" "CEV", 0, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	{ "RCEV\r", 0, SPLIT, POP1_PARSE_KEYWORD, NULL, 0, NULL },
	/* The RFC's own misspellings are not commands of ours, but they
	 * parse: the dispatcher calls them unknown. */
	{ "RECV", 0, SPLIT, POP1_PARSE_OK, "RECV", 0, NULL },
};

static char *
heap_copy(const char *p, size_t len)
{
	char *d = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(d);
	memcpy(d, p, len);
	return d;
}

START_TEST(test_cases)
{
	const struct pcase *c = &cases[_i];
	size_t len = c->len != 0 ? c->len : strlen(c->line);
	char *line = heap_copy(c->line, len);
	struct pop1_cmd cmd;
	int rc;

	rc = pop1_parse_line(line, len, c->mode, &cmd);
	ck_assert_msg(rc == c->rc, "case %d \"%s\": rc %d, want %d", _i,
	    c->line, rc, c->rc);
	ck_assert_ptr_eq(cmd.kw, line);
	if (rc == POP1_PARSE_OK) {
		ck_assert_str_eq(cmd.keyword, c->keyword);
		ck_assert_uint_eq(cmd.nargs, c->nargs);
		if (c->nargs >= 1) {
			ck_assert_uint_eq(cmd.arg[0].len, strlen(c->arg0));
			ck_assert(memcmp(cmd.arg[0].ptr, c->arg0,
			    cmd.arg[0].len) == 0);
		}
	} else
		ck_assert_uint_eq(cmd.nargs, 0);
	free(line);
}
END_TEST

static void
check_within(const struct pop1_cmd *cmd, const char *line, size_t len)
{
	size_t i;

	ck_assert_uint_le(cmd->kw_len, len);
	if (cmd->rest != NULL) {
		ck_assert(cmd->rest >= line && cmd->rest <= line + len);
		ck_assert(cmd->rest + cmd->rest_len == line + len);
	}
	for (i = 0; i < cmd->nargs && i < POP1_ARGS_MAX; i++) {
		ck_assert(cmd->arg[i].ptr >= line);
		ck_assert(cmd->arg[i].ptr + cmd->arg[i].len <= line + len);
		ck_assert_uint_gt(cmd->arg[i].len, 0);
	}
}

/* Every prefix of every case, in both modes. */
START_TEST(test_prefixes)
{
	struct pop1_cmd cmd;
	size_t i, n, len;
	int mode;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = cases[i].len != 0 ? cases[i].len : strlen(cases[i].line);
		for (n = 0; n <= len; n++) {
			for (mode = SPLIT; mode <= REST; mode++) {
				char *line = heap_copy(cases[i].line, n);

				(void)pop1_parse_line(line, n,
				    (enum pop1_parse_mode)mode, &cmd);
				check_within(&cmd, line, n);
				free(line);
			}
		}
	}
}
END_TEST

/* Every octet in the keyword and in the argument. */
START_TEST(test_all_octets)
{
	struct pop1_cmd cmd;
	char line[16];
	int c, rc;

	for (c = 0; c < 256; c++) {
		memcpy(line, "RCEV", 4);
		line[1] = (char)c;
		rc = pop1_parse_line(line, 4, SPLIT, &cmd);
		/* A SPACE ends the keyword at one letter: also wrong. */
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))
			ck_assert_int_eq(rc, POP1_PARSE_OK);
		else
			ck_assert_int_eq(rc, POP1_PARSE_KEYWORD);
		memcpy(line, "RETR a", 6);
		line[5] = (char)c;
		rc = pop1_parse_line(line, 6, SPLIT, &cmd);
		if (c > 0x20 && c < 0x7f) {
			ck_assert_int_eq(rc, POP1_PARSE_OK);
			ck_assert_uint_eq(cmd.nargs, 1);
		} else if (c == ' ')
			ck_assert_int_eq(rc, POP1_PARSE_OK);	/* trailing */
		else
			ck_assert_int_eq(rc, POP1_PARSE_CHAR);
		check_within(&cmd, line, 6);
	}
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("pop1_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_prefixes);
	tcase_add_test(tc, test_all_octets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
