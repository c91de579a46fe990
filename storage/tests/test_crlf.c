/*
 * test_crlf.c - CRLF normalisation (storage/crlf.c).
 *
 * Table-driven in the manner of Dovecot's test-istream-dot.c: every case
 * runs once with the whole input and then fed one octet at a time, so a CR
 * at the end of one chunk and its LF at the start of the next are covered
 * at every position.
 */

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "store_impl.h"

struct crlf_case {
	const char *in;
	size_t inlen;
	const char *out;
	size_t outlen;
};

#define S(x)	x, sizeof(x) - 1

static const struct crlf_case cases[] = {
	{ S(""), S("") },				/* empty stays empty */
	{ S("a"), S("a\r\n") },				/* final CRLF added */
	{ S("a\n"), S("a\r\n") },
	{ S("a\r\n"), S("a\r\n") },			/* CRLF untouched */
	{ S("\n"), S("\r\n") },
	{ S("\n\n"), S("\r\n\r\n") },
	{ S("\r"), S("\r\r\n") },			/* lone CR kept */
	{ S("a\rb\n"), S("a\rb\r\n") },
	{ S("\r\r\n"), S("\r\r\n") },
	{ S("a\r\n\n"), S("a\r\n\r\n") },
	{ S("a\n\r\n"), S("a\r\n\r\n") },
	{ S("x\n\nno newline"), S("x\r\n\r\nno newline\r\n") },
	{ S(".\n..\n.x\n"), S(".\r\n..\r\n.x\r\n") },	/* no stuffing here */
	{ S("\xe9\xff\x80\n"), S("\xe9\xff\x80\r\n") },	/* 8-bit passes */
	{ S("a\0b\n"), S("a\0b\r\n") },			/* NUL passes */
	{ S("l1\r\nl2\nl3\r\n"), S("l1\r\nl2\r\nl3\r\n") },	/* mixed */
	{ S("end\r"), S("end\r\r\n") },
	{ S("\n\r"), S("\r\n\r\r\n") },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* Run the converter over C, STEP input octets at a time, with an output
 * window of OUTCAP octets per call; returns the malloc'd output. */
static char *
run_conv(const struct crlf_case *c, size_t step, size_t outcap,
    size_t *outlen)
{
	struct store_crlf s;
	char *out = malloc(2 * c->inlen + 3);
	size_t pos = 0, o = 0, used, n, chunk;

	memset(&s, 0, sizeof(s));
	ck_assert_ptr_nonnull(out);
	while (pos < c->inlen) {
		chunk = c->inlen - pos < step ? c->inlen - pos : step;
		n = store__crlf_conv(&s, c->in + pos, chunk, &used, out + o,
		    outcap);
		ck_assert_uint_le(n, outcap);
		/* Progress is guaranteed whenever two octets fit. */
		ck_assert_uint_gt(used, 0);
		pos += used;
		o += n;
	}
	o += store__crlf_finish(&s, out + o);
	/* finish is idempotent */
	ck_assert_uint_eq(store__crlf_finish(&s, out + o), 0);
	*outlen = o;
	return out;
}

static void
check_conv(const struct crlf_case *c, size_t step, size_t outcap)
{
	size_t len;
	char *out = run_conv(c, step, outcap, &len);

	ck_assert_msg(len == c->outlen && memcmp(out, c->out, len) == 0,
	    "case \"%s\" step %zu cap %zu: got %zu octets, want %zu",
	    c->in, step, outcap, len, c->outlen);
	free(out);
}

START_TEST(test_conv_whole)
{
	const struct crlf_case *c = &cases[_i];

	check_conv(c, c->inlen + 1, 2 * c->inlen + 2);
}
END_TEST

START_TEST(test_conv_bytewise)
{
	check_conv(&cases[_i], 1, 2);
}
END_TEST

START_TEST(test_conv_small_window)
{
	/* Whole input offered, but only two output octets per call. */
	check_conv(&cases[_i], cases[_i].inlen + 1, 2);
}
END_TEST

static uint64_t
run_count(const struct crlf_case *c, size_t step)
{
	struct store_crlf s;
	uint64_t n = 0;
	size_t pos, chunk;

	memset(&s, 0, sizeof(s));
	for (pos = 0; pos < c->inlen; pos += chunk) {
		chunk = c->inlen - pos < step ? c->inlen - pos : step;
		n += store__crlf_count(&s, c->in + pos, chunk);
	}
	return n + store__crlf_count_finish(&s);
}

START_TEST(test_count)
{
	const struct crlf_case *c = &cases[_i];

	ck_assert_uint_eq(run_count(c, c->inlen + 1), c->outlen);
	ck_assert_uint_eq(run_count(c, 1), c->outlen);
	ck_assert_uint_eq(run_count(c, 2), c->outlen);
}
END_TEST

/* A window of one octet never holds half of an expanded LF. */
START_TEST(test_no_half_expansion)
{
	struct store_crlf s;
	char out[1];
	size_t used;

	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(store__crlf_conv(&s, "\n", 1, &used, out, 1), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(store__crlf_conv(&s, "ab", 2, &used, out, 1), 1);
	ck_assert_uint_eq(used, 1);
	ck_assert_int_eq(out[0], 'a');
	/* After a CR the LF needs just one octet. */
	memset(&s, 0, sizeof(s));
	ck_assert_uint_eq(store__crlf_conv(&s, "\r", 1, &used, out, 1), 1);
	ck_assert_uint_eq(store__crlf_conv(&s, "\n", 1, &used, out, 1), 1);
	ck_assert_int_eq(out[0], '\n');
}
END_TEST

/* A large buffer with a CR right at each chunk edge. */
START_TEST(test_count_large)
{
	size_t len = 1 << 20, i;
	char *buf = malloc(len);
	struct crlf_case c;
	uint64_t want = 0;

	ck_assert_ptr_nonnull(buf);
	for (i = 0; i < len; i++) {
		buf[i] = (i % 61 == 60) ? '\n' : (i % 61 == 59 && i % 2)
		    ? '\r' : 'x';
		want += (buf[i] == '\n' && buf[i - 1] != '\r') ? 2 : 1;
	}
	if (buf[len - 1] != '\n')
		want += 2;
	c.in = buf;
	c.inlen = len;
	ck_assert_uint_eq(run_count(&c, len), want);
	ck_assert_uint_eq(run_count(&c, 4096), want);
	ck_assert_uint_eq(run_count(&c, 60), want);
	free(buf);
}
END_TEST

static Suite *
crlf_suite(void)
{
	Suite *s = suite_create("crlf");
	TCase *tc = tcase_create("table");

	tcase_add_loop_test(tc, test_conv_whole, 0, NCASES);
	tcase_add_loop_test(tc, test_conv_bytewise, 0, NCASES);
	tcase_add_loop_test(tc, test_conv_small_window, 0, NCASES);
	tcase_add_loop_test(tc, test_count, 0, NCASES);
	tcase_add_test(tc, test_no_half_expansion);
	tcase_add_test(tc, test_count_large);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(crlf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
