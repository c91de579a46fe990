/*
 * test_proto_parse.c - Check tests for protocols/common/: proto_parse.c
 * (keyword, arguments, numbers) and proto_text.c (plural, sanitise).
 *
 * Tables of input -> expected result, each run with the keyword rules of
 * the three modules as parameters.  Every input is copied into a heap
 * buffer of exactly its length, so under -fsanitize=address a function
 * that reads one octet too far (or expects a NUL) fails loudly.
 */

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto_parse.h"
#include "proto_text.h"

#define IN(s)	(s), sizeof(s) - 1
#define ARGS_MAX	2

static char *
dup_exact(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, len);
	return p;
}

/* --- keywords --------------------------------------------------------- */

struct kw_case {
	const char	*in;
	size_t		 inlen;
	size_t		 min, max;	/* POP1, POP2: 4-4; POP3: 3-4 */
	int		 status;
	const char	*keyword;	/* upper case, on PROTO_PARSE_OK */
	size_t		 kw_len;
	const char	*rest;		/* NULL: no SPACE at all */
};

static const struct kw_case kw_cases[] = {
	{ IN("STAT"), 3, 4, PROTO_PARSE_OK, "STAT", 4, NULL },
	{ IN("sTaT"), 3, 4, PROTO_PARSE_OK, "STAT", 4, NULL },
	{ IN("top 1 2"), 3, 4, PROTO_PARSE_OK, "TOP", 3, "1 2" },
	/* POP1 and POP2: exactly four letters, so TOP is unknown. */
	{ IN("TOP 1"), 4, 4, PROTO_PARSE_KEYWORD, NULL, 3, "1" },
	{ IN("rcev"), 4, 4, PROTO_PARSE_OK, "RCEV", 4, NULL },
	{ IN("RCEV "), 4, 4, PROTO_PARSE_OK, "RCEV", 4, "" },
	{ IN("ST"), 3, 4, PROTO_PARSE_KEYWORD, NULL, 2, NULL },
	{ IN("STATS"), 3, 4, PROTO_PARSE_KEYWORD, NULL, 5, NULL },
	{ IN("ST4T"), 3, 4, PROTO_PARSE_KEYWORD, NULL, 4, NULL },
	/* Only ASCII letters fold: 0xe9 is not a letter here. */
	{ IN("ST\xe9T"), 3, 4, PROTO_PARSE_KEYWORD, NULL, 4, NULL },
	{ IN("ST\0T"), 3, 4, PROTO_PARSE_KEYWORD, NULL, 4, NULL },
	{ IN(""), 3, 4, PROTO_PARSE_EMPTY, NULL, 0, NULL },
	{ IN(" STAT"), 3, 4, PROTO_PARSE_SPACE, NULL, 0, "STAT" },
	{ IN(" "), 4, 4, PROTO_PARSE_SPACE, NULL, 0, "" },
};

START_TEST(test_keyword)
{
	const struct kw_case *t = &kw_cases[_i];
	char *buf = dup_exact(t->in, t->inlen), keyword[5];
	const char *rest;
	size_t kw_len, rest_len;
	int rc;

	rc = proto_parse_keyword(buf, t->inlen, t->min, t->max, keyword,
	    &kw_len, &rest, &rest_len);
	ck_assert_int_eq(rc, t->status);
	ck_assert_uint_eq(kw_len, t->kw_len);
	if (t->keyword != NULL)
		ck_assert_str_eq(keyword, t->keyword);
	if (t->rest == NULL) {
		ck_assert_ptr_null(rest);
		ck_assert_uint_eq(rest_len, 0);
	} else {
		ck_assert_ptr_eq(rest, buf + kw_len + 1);
		ck_assert_uint_eq(rest_len, strlen(t->rest));
		ck_assert(memcmp(rest, t->rest, rest_len) == 0);
	}
	free(buf);
}
END_TEST

/* --- arguments -------------------------------------------------------- */

struct args_case {
	const char	*in;		/* the rest of the line */
	size_t		 inlen;
	enum proto_parse_mode mode;
	int		 status;
	size_t		 nargs;
	const char	*arg[ARGS_MAX];
};

#define SPLIT	PROTO_ARGS_SPLIT
#define REST	PROTO_ARGS_REST

static const struct args_case args_cases[] = {
	{ IN(""), SPLIT, PROTO_PARSE_OK, 0, { 0 } },
	{ IN("1"), SPLIT, PROTO_PARSE_OK, 1, { "1" } },
	{ IN("10 0"), SPLIT, PROTO_PARSE_OK, 2, { "10", "0" } },
	/* More than ARGS_MAX: counted, the first ones kept. */
	{ IN("1 2 3"), SPLIT, PROTO_PARSE_OK, 3, { "1", "2" } },
	/* Leniency: trailing SPACEs dropped; leading or doubled ones not. */
	{ IN("1  "), SPLIT, PROTO_PARSE_OK, 1, { "1" } },
	{ IN("   "), SPLIT, PROTO_PARSE_OK, 0, { 0 } },
	{ IN(" 1"), SPLIT, PROTO_PARSE_SPACE, 0, { 0 } },
	{ IN("1  2"), SPLIT, PROTO_PARSE_SPACE, 0, { 0 } },
	/* RFC 1939 §3: printable ASCII only in split mode. */
	{ IN("a\tb"), SPLIT, PROTO_PARSE_CHAR, 0, { 0 } },
	{ IN("caf\xc3\xa9"), SPLIT, PROTO_PARSE_CHAR, 0, { 0 } },
	{ IN("a\0"), SPLIT, PROTO_PARSE_CHAR, 0, { 0 } },
	{ IN("a\x7f"), SPLIT, PROTO_PARSE_CHAR, 0, { 0 } },
	/* PASS: the rest whole, spaces and 8-bit kept, controls refused. */
	{ IN(" two  words "), REST, PROTO_PARSE_OK, 1, { " two  words " } },
	{ IN("caf\xc3\xa9"), REST, PROTO_PARSE_OK, 1, { "caf\xc3\xa9" } },
	{ IN(""), REST, PROTO_PARSE_OK, 0, { 0 } },
	{ IN("pass\r"), REST, PROTO_PARSE_CHAR, 0, { 0 } },
	{ IN("pa\0ss"), REST, PROTO_PARSE_CHAR, 0, { 0 } },
	{ IN("pass\x7f"), REST, PROTO_PARSE_CHAR, 0, { 0 } },
};

START_TEST(test_args)
{
	const struct args_case *t = &args_cases[_i];
	char *buf = dup_exact(t->in, t->inlen);
	struct proto_arg arg[ARGS_MAX];
	size_t nargs = 99, i;

	memset(arg, 0xa5, sizeof(arg));
	ck_assert_int_eq(proto_parse_args(buf, t->inlen, t->mode, arg,
	    ARGS_MAX, &nargs), t->status);
	ck_assert_uint_eq(nargs, t->nargs);
	for (i = 0; i < ARGS_MAX; i++) {
		if (i < nargs && t->arg[i] != NULL) {
			ck_assert_uint_eq(arg[i].len, strlen(t->arg[i]));
			ck_assert(memcmp(arg[i].ptr, t->arg[i],
			    arg[i].len) == 0);
			/* Pointers into the caller's line, no copies. */
			ck_assert(arg[i].ptr >= buf &&
			    arg[i].ptr + arg[i].len <= buf + t->inlen);
		} else {
			ck_assert_ptr_null(arg[i].ptr);
			ck_assert_uint_eq(arg[i].len, 0);
		}
	}
	free(buf);
}
END_TEST

/* No SPACE after the keyword: no arguments, whatever the mode; a MAX
 * of one stores one (POP1_ARGS_MAX). */
START_TEST(test_args_edges)
{
	struct proto_arg arg[1];
	size_t nargs = 7;

	ck_assert_int_eq(proto_parse_args(NULL, 0, PROTO_ARGS_REST, arg, 1,
	    &nargs), PROTO_PARSE_OK);
	ck_assert_uint_eq(nargs, 0);
	ck_assert_int_eq(proto_parse_args("a b", 3, PROTO_ARGS_SPLIT, arg, 1,
	    &nargs), PROTO_PARSE_OK);
	ck_assert_uint_eq(nargs, 2);
	ck_assert_uint_eq(arg[0].len, 1);
	ck_assert(arg[0].ptr[0] == 'a');
}
END_TEST

/* --- numbers ---------------------------------------------------------- */

struct num_case {
	const char	*in;
	size_t		 inlen;
	uint64_t	 max;
	int		 status;
	uint64_t	 value;
};

static const struct num_case num_cases[] = {
	{ IN("0"), UINT64_MAX, PROTO_NUM_OK, 0 },
	{ IN("007"), UINT64_MAX, PROTO_NUM_OK, 7 },
	{ IN("42"), 42, PROTO_NUM_OK, 42 },
	{ IN("43"), 42, PROTO_NUM_RANGE, 0 },
	{ IN("1"), 0, PROTO_NUM_RANGE, 0 },
	{ IN("0"), 0, PROTO_NUM_OK, 0 },
	/* The overflow boundary: 2^64 - 1 fits, one more does not. */
	{ IN("18446744073709551615"), UINT64_MAX, PROTO_NUM_OK, UINT64_MAX },
	{ IN("18446744073709551616"), UINT64_MAX, PROTO_NUM_RANGE, 0 },
	{ IN("18446744073709551620"), UINT64_MAX, PROTO_NUM_RANGE, 0 },
	{ IN("99999999999999999999"), UINT64_MAX, PROTO_NUM_RANGE, 0 },
	{ IN("000000000000000000000000018446744073709551615"), UINT64_MAX,
	    PROTO_NUM_OK, UINT64_MAX },
	{ IN("4294967295"), UINT32_MAX, PROTO_NUM_OK, UINT32_MAX },
	{ IN("4294967296"), UINT32_MAX, PROTO_NUM_RANGE, 0 },
	/* Noise wins over range: "too big" is for real numbers. */
	{ IN("99999999999999999999x"), UINT64_MAX, PROTO_NUM_NOISE, 0 },
	{ IN("12x"), UINT64_MAX, PROTO_NUM_NOISE, 0 },
	{ IN("1 "), UINT64_MAX, PROTO_NUM_NOISE, 0 },
	{ IN("1\0"), UINT64_MAX, PROTO_NUM_NOISE, 0 },
	{ IN(""), UINT64_MAX, PROTO_NUM_SYNTAX, 0 },
	{ IN("+1"), UINT64_MAX, PROTO_NUM_SYNTAX, 0 },
	{ IN("-1"), UINT64_MAX, PROTO_NUM_SYNTAX, 0 },
	{ IN(" 1"), UINT64_MAX, PROTO_NUM_SYNTAX, 0 },
};

START_TEST(test_number)
{
	const struct num_case *t = &num_cases[_i];
	char *buf = dup_exact(t->in, t->inlen);
	uint64_t v = 12345;

	ck_assert_int_eq(proto_parse_number(buf, t->inlen, t->max, &v),
	    t->status);
	ck_assert_uint_eq(v, t->value);
	free(buf);
}
END_TEST

/* --- text ------------------------------------------------------------- */

struct san_case {
	const char	*in;
	size_t		 inlen;
	size_t		 size;		/* of the output buffer */
	const char	*out;
};

static const struct san_case san_cases[] = {
	{ IN("XYZZY"), 64, "XYZZY" },
	/* CR, LF, NUL, TAB, DEL, SPACE and 8-bit never reach a reply. */
	{ IN("A\r\nB"), 64, "A??B" },
	{ IN("\0\t\x7f "), 64, "????" },
	{ IN("caf\xc3\xa9"), 64, "caf??" },
	{ IN(""), 64, "" },
	/* Cut to the buffer... */
	{ IN("ABCDEF"), 4, "ABC" },
	{ IN("ABCDEF"), 1, "" },
	/* ...and to PROTO_QUOTE_MAX. */
	{ IN("0123456789012345678901234567890123456789TOO-LONG"), 64,
	    "0123456789012345678901234567890123456789" },
};

/* Keyword against a table name: any ASCII case, exact length. */
START_TEST(test_keyword_is)
{
	static const struct {
		const char *kw;
		const char *name;
		int match;
	} t[] = {
		{ "RETR", "RETR", 1 },
		{ "retr", "RETR", 1 },
		{ "ReTr", "RETR", 1 },
		{ "RET", "RETR", 0 },
		{ "RETRX", "RETR", 0 },
		{ "TOP", "TOP", 1 },
		{ "TOPS", "TOP", 0 },
		{ "", "TOP", 0 },
		{ "r\xc5tr", "RETR", 0 },	/* no fold beyond ASCII */
		{ "RE@R", "RETR", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_int_eq(!!proto_keyword_is(t[i].kw, strlen(t[i].kw),
		    t[i].name), t[i].match);
}
END_TEST

/* The dispatchers' argument replies, one row per outcome. */
START_TEST(test_args_problem)
{
	static const struct {
		int rc;
		size_t nargs, min, max;
		const char *msg;	/* NULL: the arguments fit */
		int usage;
	} t[] = {
		{ PROTO_PARSE_OK, 1, 1, 1, NULL, 0 },
		{ PROTO_PARSE_OK, 0, 0, 1, NULL, 0 },
		{ PROTO_PARSE_OK, 0, 1, 1, "Missing argument.", 1 },
		{ PROTO_PARSE_OK, 3, 0, 2, "Too many arguments.", 1 },
		{ PROTO_PARSE_CHAR, 1, 1, 1,
		    "Invalid character in arguments.", 0 },
		{ PROTO_PARSE_SPACE, 1, 1, 1,
		    "Arguments must be separated by a single space.", 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int usage = -1;
		const char *msg = proto_args_problem(t[i].rc, t[i].nargs,
		    t[i].min, t[i].max, &usage);

		if (t[i].msg == NULL)
			ck_assert_ptr_null(msg);
		else
			ck_assert_str_eq(msg, t[i].msg);
		ck_assert_int_eq(usage, t[i].usage);
	}
}
END_TEST

START_TEST(test_sanitise)
{
	const struct san_case *t = &san_cases[_i];
	char *in = dup_exact(t->in, t->inlen), out[64];

	memset(out, 'X', sizeof(out));
	ck_assert_ptr_eq(proto_sanitise(in, t->inlen, out, t->size), out);
	ck_assert_str_eq(out, t->out);
	free(in);
}
END_TEST

START_TEST(test_plural)
{
	ck_assert_str_eq(proto_plural(0), "s");
	ck_assert_str_eq(proto_plural(1), "");
	ck_assert_str_eq(proto_plural(2), "s");
	ck_assert_str_eq(proto_plural(UINT64_MAX), "s");
}
END_TEST

#define NCASES(a)	((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto_parse");
	TCase *tc = tcase_create("common");

	tcase_add_loop_test(tc, test_keyword, 0, NCASES(kw_cases));
	tcase_add_loop_test(tc, test_args, 0, NCASES(args_cases));
	tcase_add_test(tc, test_args_edges);
	tcase_add_loop_test(tc, test_number, 0, NCASES(num_cases));
	tcase_add_loop_test(tc, test_sanitise, 0, NCASES(san_cases));
	tcase_add_test(tc, test_plural);
	tcase_add_test(tc, test_args_problem);
	tcase_add_test(tc, test_keyword_is);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
