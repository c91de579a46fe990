/*
 * test_pop3_parse.c - Check tests for protocols/pop3/pop3_parse.c.
 *
 * Tables of {line, mode} -> {status, keyword, arguments} and of
 * {digits, max} -> {status, value}.  Every input is copied into a heap
 * buffer of exactly its length, so under -fsanitize=address a parser that
 * reads one octet too far (or expects a NUL) fails loudly.
 */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_parse.h"

#define IN(s)	(s), sizeof(s) - 1
#define SPLIT	POP3_ARGS_SPLIT
#define REST	POP3_ARGS_REST
#define SPLIT_8BIT	POP3_ARGS_SPLIT_8BIT

struct line_case {
	const char	*in;
	size_t		 inlen;
	enum pop3_parse_mode mode;
	int		 status;
	const char	*keyword;	/* upper case, on POP3_PARSE_OK */
	const char	*kw;		/* as sent (also on errors) */
	size_t		 nargs;
	const char	*arg[POP3_ARGS_MAX];
};

static const struct line_case line_cases[] = {
	/* RFC 1939 §3: a keyword alone, any case. */
	{ IN("STAT"), SPLIT, POP3_PARSE_OK, "STAT", "STAT", 0, { 0 } },
	{ IN("stat"), SPLIT, POP3_PARSE_OK, "STAT", "stat", 0, { 0 } },
	{ IN("sTaT"), SPLIT, POP3_PARSE_OK, "STAT", "sTaT", 0, { 0 } },
	{ IN("TOP"), SPLIT, POP3_PARSE_OK, "TOP", "TOP", 0, { 0 } },
	/* Arguments, one SPACE apart. */
	{ IN("LIST 1"), SPLIT, POP3_PARSE_OK, "LIST", "LIST", 1, { "1" } },
	{ IN("top 10 0"), SPLIT, POP3_PARSE_OK, "TOP", "top", 2,
	    { "10", "0" } },
	{ IN("APOP mrose c4c9334bac560ecc979e58001b3e22fb"), SPLIT,
	    POP3_PARSE_OK, "APOP", "APOP", 2,
	    { "mrose", "c4c9334bac560ecc979e58001b3e22fb" } },
	{ IN("USER a@b.example"), SPLIT, POP3_PARSE_OK, "USER", "USER", 1,
	    { "a@b.example" } },
	/* More than POP3_ARGS_MAX: counted, first two kept. */
	{ IN("TOP 1 2 3"), SPLIT, POP3_PARSE_OK, "TOP", "TOP", 3,
	    { "1", "2" } },
	{ IN("USER john smith"), SPLIT, POP3_PARSE_OK, "USER", "USER", 2,
	    { "john", "smith" } },
	/* Leniency: trailing SPACEs are dropped in split mode. */
	{ IN("LIST "), SPLIT, POP3_PARSE_OK, "LIST", "LIST", 0, { 0 } },
	{ IN("UIDL 1  "), SPLIT, POP3_PARSE_OK, "UIDL", "UIDL", 1, { "1" } },
	{ IN("NOOP   "), SPLIT, POP3_PARSE_OK, "NOOP", "NOOP", 0, { 0 } },
	/* ...but not leading or doubled ones. */
	{ IN("LIST  1"), SPLIT, POP3_PARSE_SPACE, NULL, "LIST", 0, { 0 } },
	{ IN("TOP 1  2"), SPLIT, POP3_PARSE_SPACE, NULL, "TOP", 0, { 0 } },
	{ IN(" STAT"), SPLIT, POP3_PARSE_SPACE, NULL, "", 0, { 0 } },
	{ IN(" "), SPLIT, POP3_PARSE_SPACE, NULL, "", 0, { 0 } },
	/* Empty line. */
	{ IN(""), SPLIT, POP3_PARSE_EMPTY, NULL, "", 0, { 0 } },
	/* RFC 1939 §3: keywords are 3-4 characters: a letter, then
	 * letters or (RFC 6856's UTF8) digits. */
	{ IN("ST"), SPLIT, POP3_PARSE_KEYWORD, NULL, "ST", 0, { 0 } },
	{ IN("STATS"), SPLIT, POP3_PARSE_KEYWORD, NULL, "STATS", 0, { 0 } },
	{ IN("GET / HTTP/1.1"), SPLIT, POP3_PARSE_OK, "GET", "GET", 2,
	    { "/", "HTTP/1.1" } },
	{ IN("EHLO x"), SPLIT, POP3_PARSE_OK, "EHLO", "EHLO", 1, { "x" } },
	{ IN("RET1"), SPLIT, POP3_PARSE_OK, "RET1", "RET1", 0, { 0 } },
	{ IN("utf8"), SPLIT, POP3_PARSE_OK, "UTF8", "utf8", 0, { 0 } },
	{ IN("1TOP"), SPLIT, POP3_PARSE_KEYWORD, NULL, "1TOP", 0, { 0 } },
	/* RFC 6856 §2.2: 8-bit octets in USER's argument, where asked. */
	{ IN("USER j\xc3\xb6rg x"), SPLIT_8BIT, POP3_PARSE_OK, "USER", "USER",
	    2, { "j\xc3\xb6rg", "x" } },
	{ IN("USER j\xc3\xb6rg"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0,
	    { 0 } },
	{ IN("USER a\tb"), SPLIT_8BIT, POP3_PARSE_CHAR, NULL, "USER", 0,
	    { 0 } },
	{ IN("USER a  b"), SPLIT_8BIT, POP3_PARSE_SPACE, NULL, "USER", 0,
	    { 0 } },
	{ IN("ST\tT"), SPLIT, POP3_PARSE_KEYWORD, NULL, "ST\tT", 0, { 0 } },
	{ IN("STAT\r"), SPLIT, POP3_PARSE_KEYWORD, NULL, "STAT\r", 0,
	    { 0 } },
	{ IN("ST\0T"), SPLIT, POP3_PARSE_KEYWORD, NULL, "ST\0T", 0, { 0 } },
	{ IN("\x16\x03\x01\x02"), SPLIT, POP3_PARSE_KEYWORD, NULL,
	    "\x16\x03\x01\x02", 0, { 0 } },
	{ IN("St\xc3\xa4"), SPLIT, POP3_PARSE_KEYWORD, NULL, "St\xc3\xa4", 0,
	    { 0 } },
	/* Arguments are printable ASCII (RFC 1939 §3). */
	{ IN("USER a\tb"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0, { 0 } },
	{ IN("USER a\0b"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0, { 0 } },
	{ IN("USER a\r"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0, { 0 } },
	{ IN("USER \x7f"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0, { 0 } },
	{ IN("USER j\xc3\xb6rg"), SPLIT, POP3_PARSE_CHAR, NULL, "USER", 0,
	    { 0 } },
	/* RFC 1939 §7 PASS: the rest of the line, spaces and all. */
	{ IN("PASS secret"), REST, POP3_PARSE_OK, "PASS", "PASS", 1,
	    { "secret" } },
	{ IN("pass two words "), REST, POP3_PARSE_OK, "PASS", "pass", 1,
	    { "two words " } },
	{ IN("PASS  lead"), REST, POP3_PARSE_OK, "PASS", "PASS", 1,
	    { " lead" } },
	{ IN("PASS p\xc3\xa4ss"), REST, POP3_PARSE_OK, "PASS", "PASS", 1,
	    { "p\xc3\xa4ss" } },
	{ IN("PASS"), REST, POP3_PARSE_OK, "PASS", "PASS", 0, { 0 } },
	{ IN("PASS "), REST, POP3_PARSE_OK, "PASS", "PASS", 0, { 0 } },
	{ IN("PASS a\tb"), REST, POP3_PARSE_CHAR, NULL, "PASS", 0, { 0 } },
	{ IN("PASS a\0b"), REST, POP3_PARSE_CHAR, NULL, "PASS", 0, { 0 } },
	{ IN("PASS a\x7f"), REST, POP3_PARSE_CHAR, NULL, "PASS", 0, { 0 } },
};

/* Copy into a buffer of exactly LEN octets so ASan sees overreads. */
static char *
exact_copy(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	if (len == 0)
		return p + 1;	/* one past a 1-octet block: never read */
	return p;
}

static void
exact_free(char *p, size_t len)
{
	free(len > 0 ? p : p - 1);
}

START_TEST(test_line)
{
	const struct line_case *c = &line_cases[_i];
	struct pop3_cmd cmd;
	char *buf = exact_copy(c->in, c->inlen);
	size_t i, kwlen;
	int rc;

	/* kw may hold a NUL: take its length from the input. */
	if (memchr(c->in, ' ', c->inlen) == NULL)
		kwlen = c->inlen;
	else
		kwlen = (size_t)((const char *)memchr(c->in, ' ', c->inlen) -
		    c->in);
	rc = pop3_parse_line(buf, c->inlen, c->mode, &cmd);
	ck_assert_msg(rc == c->status, "case %d \"%s\": status %d, want %d",
	    _i, c->in, rc, c->status);
	ck_assert_uint_eq(cmd.kw_len, kwlen);
	ck_assert(memcmp(cmd.kw, c->kw, kwlen) == 0);
	ck_assert(cmd.kw == buf);
	if (rc == POP3_PARSE_OK) {
		ck_assert_str_eq(cmd.keyword, c->keyword);
		ck_assert_uint_eq(cmd.nargs, c->nargs);
		for (i = 0; i < c->nargs && i < POP3_ARGS_MAX; i++) {
			ck_assert_uint_eq(cmd.arg[i].len, strlen(c->arg[i]));
			ck_assert(memcmp(cmd.arg[i].ptr, c->arg[i],
			    cmd.arg[i].len) == 0);
			/* Pointers into the caller's line, never copies. */
			ck_assert(cmd.arg[i].ptr >= buf &&
			    cmd.arg[i].ptr + cmd.arg[i].len <= buf + c->inlen);
		}
	} else {
		ck_assert_uint_eq(cmd.nargs, 0);
	}
	exact_free(buf, c->inlen);
}
END_TEST

/* The keyword step alone leaves the rest untouched for a later mode. */
START_TEST(test_keyword_then_args)
{
	static const char line[] = "PASS a  b";
	struct pop3_cmd cmd;

	ck_assert_int_eq(pop3_parse_keyword(line, sizeof(line) - 1, &cmd),
	    POP3_PARSE_OK);
	ck_assert_ptr_eq(cmd.rest, line + 5);
	ck_assert_uint_eq(cmd.rest_len, 4);
	ck_assert_uint_eq(cmd.nargs, 0);
	ck_assert_int_eq(pop3_parse_args(&cmd, SPLIT), POP3_PARSE_SPACE);
	ck_assert_uint_eq(cmd.nargs, 0);
	ck_assert_int_eq(pop3_parse_args(&cmd, REST), POP3_PARSE_OK);
	ck_assert_uint_eq(cmd.nargs, 1);
	ck_assert_uint_eq(cmd.arg[0].len, 4);
}
END_TEST

/* A keyword alone has no rest at all, which differs from "CMD ". */
START_TEST(test_rest_presence)
{
	struct pop3_cmd cmd;

	ck_assert_int_eq(pop3_parse_keyword("QUIT", 4, &cmd), POP3_PARSE_OK);
	ck_assert_ptr_null(cmd.rest);
	ck_assert_int_eq(pop3_parse_keyword("QUIT ", 5, &cmd), POP3_PARSE_OK);
	ck_assert_ptr_nonnull(cmd.rest);
	ck_assert_uint_eq(cmd.rest_len, 0);
}
END_TEST

/* Every possible octet as a one-octet argument, in both modes. */
START_TEST(test_all_octets)
{
	char line[6] = "USER x";
	struct pop3_cmd cmd;
	int c, rc;

	for (c = 0; c < 256; c++) {
		line[5] = (char)c;
		rc = pop3_parse_line(line, sizeof(line), SPLIT, &cmd);
		if (c > 0x20 && c < 0x7f)
			ck_assert_int_eq(rc, POP3_PARSE_OK);
		else if (c == ' ')
			ck_assert_int_eq(rc, POP3_PARSE_OK);	/* trailing */
		else
			ck_assert_int_eq(rc, POP3_PARSE_CHAR);
		rc = pop3_parse_line(line, sizeof(line), REST, &cmd);
		if (c < 0x20 || c == 0x7f)
			ck_assert_int_eq(rc, POP3_PARSE_CHAR);
		else
			ck_assert_int_eq(rc, POP3_PARSE_OK);
	}
}
END_TEST

struct num_case {
	const char	*in;
	uint64_t	 max;
	int		 status;
	uint64_t	 value;
};

static const struct num_case num_cases[] = {
	{ "1", 100, POP3_NUM_OK, 1 },
	{ "0", 100, POP3_NUM_OK, 0 },
	{ "007", 100, POP3_NUM_OK, 7 },
	{ "100", 100, POP3_NUM_OK, 100 },
	{ "101", 100, POP3_NUM_RANGE, 0 },
	{ "1000", 100, POP3_NUM_RANGE, 0 },
	{ "5", 4, POP3_NUM_RANGE, 0 },
	{ "0", 0, POP3_NUM_OK, 0 },
	{ "1", 0, POP3_NUM_RANGE, 0 },
	{ "", 100, POP3_NUM_SYNTAX, 0 },
	{ "-1", 100, POP3_NUM_SYNTAX, 0 },
	{ "+1", 100, POP3_NUM_SYNTAX, 0 },
	{ "x1", 100, POP3_NUM_SYNTAX, 0 },
	{ " 1", 100, POP3_NUM_SYNTAX, 0 },
	{ "1x", 100, POP3_NUM_NOISE, 0 },
	{ "1 ", 100, POP3_NUM_NOISE, 0 },
	{ "1.0", 100, POP3_NUM_NOISE, 0 },
	{ "0x10", 100, POP3_NUM_NOISE, 0 },
	{ "1e3", 10000, POP3_NUM_NOISE, 0 },
	{ "18446744073709551615", UINT64_MAX, POP3_NUM_OK, UINT64_MAX },
	{ "18446744073709551616", UINT64_MAX, POP3_NUM_RANGE, 0 },
	{ "18446744073709551620", UINT64_MAX, POP3_NUM_RANGE, 0 },
	{ "99999999999999999999999999999999", UINT64_MAX, POP3_NUM_RANGE,
	    0 },
	{ "99999999999999999999999999999999x", UINT64_MAX, POP3_NUM_NOISE,
	    0 },
	{ "4294967295", UINT32_MAX, POP3_NUM_OK, UINT32_MAX },
	{ "4294967296", UINT32_MAX, POP3_NUM_RANGE, 0 },
	{ "9223372036854775807", INT64_MAX, POP3_NUM_OK, INT64_MAX },
	{ "9223372036854775808", INT64_MAX, POP3_NUM_RANGE, 0 },
};

START_TEST(test_number)
{
	const struct num_case *c = &num_cases[_i];
	size_t len = strlen(c->in);
	char *buf = exact_copy(c->in, len);
	uint64_t v = 12345;
	int rc;

	rc = pop3_parse_number(buf, len, c->max, &v);
	ck_assert_msg(rc == c->status, "\"%s\" max %llu: status %d, want %d",
	    c->in, (unsigned long long)c->max, rc, c->status);
	ck_assert_uint_eq(v, c->value);
	exact_free(buf, len);
}
END_TEST

/* Exhaustive against a reference over every max and value up to 1000. */
START_TEST(test_number_small)
{
	char buf[8];
	uint64_t max, n, v;
	int len;

	for (max = 0; max <= 120; max++)
		for (n = 0; n <= 1000; n++) {
			len = snprintf(buf, sizeof(buf), "%llu",
			    (unsigned long long)n);
			if (n <= max) {
				ck_assert_int_eq(pop3_parse_number(buf,
				    (size_t)len, max, &v), POP3_NUM_OK);
				ck_assert_uint_eq(v, n);
			} else {
				ck_assert_int_eq(pop3_parse_number(buf,
				    (size_t)len, max, &v), POP3_NUM_RANGE);
			}
		}
}
END_TEST

static Suite *
parse_suite(void)
{
	Suite *s = suite_create("pop3_parse");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_line, 0,
	    (int)(sizeof(line_cases) / sizeof(line_cases[0])));
	tcase_add_test(tc, test_keyword_then_args);
	tcase_add_test(tc, test_rest_presence);
	tcase_add_test(tc, test_all_octets);
	tcase_add_loop_test(tc, test_number, 0,
	    (int)(sizeof(num_cases) / sizeof(num_cases[0])));
	tcase_add_test(tc, test_number_small);
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
