/*
 * test_pop2_parse.c - Check tests for protocols/pop2/pop2_parse.c: tables
 * of {line, expected result}, each line also parsed from an exact-size
 * heap copy, so ASan catches any read past its end.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pop2_parse.h"

/* Parse from a heap buffer of exactly LEN octets. */
static int
parse_exact(const char *line, size_t len, size_t limit, struct pop2_cmd *cmd)
{
	char *copy = malloc(len > 0 ? len : 1);
	int rc;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, line, len);
	rc = pop2_parse_line(copy, len, limit, cmd);
	/* The arguments live in CMD, not in the line. */
	free(copy);
	return rc;
}

static const struct {
	const char *line;
	size_t limit;
	int rc;
	const char *kw;		/* upper-cased keyword when rc is OK */
	size_t nargs;
	const char *a0, *a1;
} cases[] = {
	{ "READ", 0, POP2_PARSE_OK, "READ", 0, NULL, NULL },
	{ "read 12", 0, POP2_PARSE_OK, "READ", 1, "12", NULL },
	{ "READ 1 ", 0, POP2_PARSE_OK, "READ", 1, "1", NULL },
	{ "READ ", 0, POP2_PARSE_OK, "READ", 0, NULL, NULL },
	{ "READ 1 2 3", 0, POP2_PARSE_OK, "READ", 3, "1", "2" },
	{ "READ  1", 0, POP2_PARSE_SPACE, NULL, 0, NULL, NULL },
	{ "READ 1  2", 0, POP2_PARSE_SPACE, NULL, 0, NULL, NULL },
	{ "HELO fred secret", 2, POP2_PARSE_OK, "HELO", 2, "fred",
	    "secret" },
	/* RFC 937 Quoting: "\ " is a space, "\\" a back-slash. */
	{ "HELO fred sec\\ ret", 2, POP2_PARSE_OK, "HELO", 2, "fred",
	    "sec ret" },
	{ "HELO fr\\ ed sec\\\\ret", 2, POP2_PARSE_OK, "HELO", 2, "fr ed",
	    "sec\\ret" },
	{ "HELO fred a\\b\\", 2, POP2_PARSE_OK, "HELO", 2, "fred",
	    "a\\b\\" },
	/* The last argument is the rest, raw spaces and all. */
	{ "HELO fred two words ", 2, POP2_PARSE_OK, "HELO", 2, "fred",
	    "two words " },
	{ "HELO fred", 2, POP2_PARSE_OK, "HELO", 1, "fred", NULL },
	{ "HELO fred ", 2, POP2_PARSE_OK, "HELO", 1, "fred", NULL },
	{ "HELO  fred x", 2, POP2_PARSE_SPACE, NULL, 0, NULL, NULL },
	{ "FOLD my box", 1, POP2_PARSE_OK, "FOLD", 1, "my box", NULL },
	{ "FOLD my\\ box", 1, POP2_PARSE_OK, "FOLD", 1, "my box", NULL },
	{ "FOLD /usr/spool/mail/smith", 1, POP2_PARSE_OK, "FOLD", 1,
	    "/usr/spool/mail/smith", NULL },
	{ "FOLD caf\xc3\xa9", 1, POP2_PARSE_OK, "FOLD", 1, "caf\xc3\xa9",
	    NULL },
	{ "FOLD a\tb", 1, POP2_PARSE_CHAR, NULL, 0, NULL, NULL },
	{ "FOLD a\rb", 1, POP2_PARSE_CHAR, NULL, 0, NULL, NULL },
	{ "FOLD a\x7f", 1, POP2_PARSE_CHAR, NULL, 0, NULL, NULL },
	{ "", 0, POP2_PARSE_EMPTY, NULL, 0, NULL, NULL },
	{ " READ", 0, POP2_PARSE_SPACE, NULL, 0, NULL, NULL },
	{ "REA", 0, POP2_PARSE_KEYWORD, NULL, 0, NULL, NULL },
	{ "READS", 0, POP2_PARSE_KEYWORD, NULL, 0, NULL, NULL },
	{ "RE4D", 0, POP2_PARSE_KEYWORD, NULL, 0, NULL, NULL },
	{ "R\xc5" "AD", 0, POP2_PARSE_KEYWORD, NULL, 0, NULL, NULL },
};

START_TEST(test_parse_cases)
{
	struct pop2_cmd cmd;
	int rc;

	rc = parse_exact(cases[_i].line, strlen(cases[_i].line),
	    cases[_i].limit, &cmd);
	ck_assert_msg(rc == cases[_i].rc, "\"%s\": rc %d, want %d",
	    cases[_i].line, rc, cases[_i].rc);
	if (rc != POP2_PARSE_OK)
		return;
	ck_assert_str_eq(cmd.keyword, cases[_i].kw);
	ck_assert_uint_eq(cmd.nargs, cases[_i].nargs);
	if (cases[_i].a0 != NULL) {
		ck_assert_str_eq(cmd.arg[0].ptr, cases[_i].a0);
		ck_assert_uint_eq(cmd.arg[0].len, strlen(cases[_i].a0));
	}
	if (cases[_i].a1 != NULL) {
		ck_assert_str_eq(cmd.arg[1].ptr, cases[_i].a1);
		ck_assert_uint_eq(cmd.arg[1].len, strlen(cases[_i].a1));
	}
}
END_TEST

/* RFC 937 Sizes: 512 with CRLF, so 510 octets of line. */
START_TEST(test_parse_long)
{
	char line[POP2_MAX_LINE + 8];
	struct pop2_cmd cmd;

	memset(line, 'x', sizeof(line));
	memcpy(line, "FOLD ", 5);
	ck_assert_int_eq(parse_exact(line, POP2_MAX_LINE - 2, 1, &cmd),
	    POP2_PARSE_OK);
	ck_assert_uint_eq(cmd.arg[0].len, POP2_MAX_LINE - 7);
	ck_assert_int_eq(parse_exact(line, POP2_MAX_LINE - 1, 1, &cmd),
	    POP2_PARSE_LONG);
	ck_assert_int_eq(parse_exact(line, sizeof(line), 1, &cmd),
	    POP2_PARSE_LONG);
	/* Many short arguments: only two are stored, all are counted. */
	memset(line, ' ', sizeof(line));
	memcpy(line, "READ", 4);
	for (size_t i = 5; i + 1 < POP2_MAX_LINE - 2; i += 2)
		line[i] = '1';
	ck_assert_int_eq(parse_exact(line, POP2_MAX_LINE - 2, 0, &cmd),
	    POP2_PARSE_OK);
	/* "1" at offsets 5, 7, ... 507. */
	ck_assert_uint_eq(cmd.nargs, 252);
	ck_assert_str_eq(cmd.arg[1].ptr, "1");
}
END_TEST

START_TEST(test_parse_number)
{
	uint64_t n;

	ck_assert_int_eq(pop2_parse_number("13", 2, SIZE_MAX, &n),
	    POP2_NUM_OK);
	ck_assert_uint_eq(n, 13);
	ck_assert_int_eq(pop2_parse_number("007", 3, SIZE_MAX, &n),
	    POP2_NUM_OK);
	ck_assert_uint_eq(n, 7);
	ck_assert_int_eq(pop2_parse_number("", 0, SIZE_MAX, &n),
	    POP2_NUM_SYNTAX);
	ck_assert_int_eq(pop2_parse_number("-1", 2, SIZE_MAX, &n),
	    POP2_NUM_SYNTAX);
	ck_assert_int_eq(pop2_parse_number("+1", 2, SIZE_MAX, &n),
	    POP2_NUM_SYNTAX);
	ck_assert_int_eq(pop2_parse_number("1x", 2, SIZE_MAX, &n),
	    POP2_NUM_NOISE);
	ck_assert_int_eq(pop2_parse_number("18446744073709551615", 20,
	    UINT64_MAX, &n), POP2_NUM_OK);
	ck_assert_uint_eq(n, UINT64_MAX);
	ck_assert_int_eq(pop2_parse_number("18446744073709551616", 20,
	    UINT64_MAX, &n), POP2_NUM_RANGE);
	ck_assert_int_eq(pop2_parse_number("99999999999999999999x", 21,
	    UINT64_MAX, &n), POP2_NUM_NOISE);
	ck_assert_int_eq(pop2_parse_number("100", 3, 99, &n),
	    POP2_NUM_RANGE);
}
END_TEST

/* --trace masks HELO's password and nothing else. */
START_TEST(test_trace_keep)
{
	static const struct {
		const char *line;
		size_t keep;
	} t[] = {
		{ "HELO fred secret", 10 },
		{ "helo fred secret words", 10 },
		{ "HELO fr\\ ed secret", 12 },
		{ "HELO fr\\\\ ed", 10 },
		{ "HELO fred", 9 },
		{ "HELO", 4 },
		{ "READ 1", 6 },
		{ "FOLD my box", 11 },
		{ " HELO fred secret", 0 },
		{ "HELOX fred secret", 5 },
	};
	char big[POP2_MAX_LINE + 1];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_msg(pop2_trace_keep_len(t[i].line,
		    strlen(t[i].line)) == t[i].keep, "%s", t[i].line);
	/* An over-long HELO keeps only its keyword. */
	memset(big, 'x', sizeof(big));
	memcpy(big, "HELO fred ", 10);
	ck_assert_uint_eq(pop2_trace_keep_len(big, sizeof(big)), 4);
}
END_TEST

static Suite *
pop2_parse_suite(void)
{
	Suite *s = suite_create("pop2_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_parse_long);
	tcase_add_test(tc, test_parse_number);
	tcase_add_test(tc, test_trace_keep);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(pop2_parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
