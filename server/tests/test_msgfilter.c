/*
 * test_msgfilter.c - Check tests for server/msgfilter.c.
 *
 * Table of {input, expected wire octets} cases, Dovecot test-istream-dot.c
 * style.  Each case is fed whole, one octet at a time and in random chunks
 * (fixed seeds), and each of those into an output buffer that is roomy,
 * the smallest allowed (2 octets) or of random size.  Output buffers are
 * allocated at their exact size, so AddressSanitizer catches any write
 * past OUTCAP.
 */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgfilter.h"

#define NSEEDS	6
#define ALL	-1L

struct mf_case {
	const char	*name;
	int		 dot_stuff;
	long		 body_lines;
	const char	*in;
	size_t		 inlen;
	const char	*out;		/* including the ".\r\n" of finish */
	size_t		 outlen;
	int		 done;		/* msgfilter_done() after all input */
};

#define S(s)	(s), sizeof(s) - 1

static const struct mf_case cases[] = {
	{ "plain", 1, ALL, S("a\r\nb\r\n"), S("a\r\nb\r\n.\r\n"), 0 },
	{ "dot line", 1, ALL, S("x\r\n.hidden\r\n"),
	    S("x\r\n..hidden\r\n.\r\n"), 0 },
	{ "line only dot", 1, ALL, S("a\r\n.\r\nb\r\n"),
	    S("a\r\n..\r\nb\r\n.\r\n"), 0 },
	{ "first line only dot", 1, ALL, S(".\r\n"), S("..\r\n.\r\n"), 0 },
	{ "dot dot lines", 1, ALL, S("..\r\n...x\r\n"),
	    S("...\r\n....x\r\n.\r\n"), 0 },
	{ "dot inside line", 1, ALL, S("a.b\r\n a\r\n. \r\n"),
	    S("a.b\r\n a\r\n.. \r\n.\r\n"), 0 },
	/* A lone CR does not end a line, so the '.' is not at line start. */
	{ "dot after lone cr", 1, ALL, S("a\r.b\r\n"), S("a\r.b\r\n.\r\n"),
	    0 },
	{ "dot after cr cr lf", 1, ALL, S("a\r\r\n.b\r\n"),
	    S("a\r\r\n..b\r\n.\r\n"), 0 },
	/* Defensive: a bare LF still ends a line for stuffing. */
	{ "dot after bare lf", 1, ALL, S("a\n.\r\n"), S("a\n..\r\n.\r\n"), 0 },
	{ "pop2 untouched", 0, ALL, S(".\r\n..\r\nx\r\n"),
	    S(".\r\n..\r\nx\r\n"), 0 },
	{ "empty message", 1, ALL, S(""), S(".\r\n"), 0 },
	{ "empty message pop2", 0, ALL, S(""), S(""), 0 },
	{ "8-bit octets", 1, ALL, S("\xff\xfe.\r\n.\x80\r\n"),
	    S("\xff\xfe.\r\n..\x80\r\n.\r\n"), 0 },
	{ "nul octets", 1, ALL, S("\0.\r\n.\0\r\n"),
	    S("\0.\r\n..\0\r\n.\r\n"), 0 },
	/* The store promises a final CRLF; if not, finish adds one. */
	{ "no final crlf", 1, ALL, S("abc"), S("abc\r\n.\r\n"), 0 },

	/* RFC 1939 §7: header, blank line, then N body lines. */
	{ "top 0", 1, 0, S("H: 1\r\nI: 2\r\n\r\nbody1\r\nbody2\r\n"),
	    S("H: 1\r\nI: 2\r\n\r\n.\r\n"), 1 },
	{ "top 1", 1, 1, S("H: 1\r\nI: 2\r\n\r\nbody1\r\nbody2\r\n"),
	    S("H: 1\r\nI: 2\r\n\r\nbody1\r\n.\r\n"), 1 },
	{ "top n = body", 1, 2, S("H: 1\r\n\r\nbody1\r\nbody2\r\n"),
	    S("H: 1\r\n\r\nbody1\r\nbody2\r\n.\r\n"), 1 },
	{ "top n > body", 1, 5, S("H: 1\r\n\r\nbody1\r\nbody2\r\n"),
	    S("H: 1\r\n\r\nbody1\r\nbody2\r\n.\r\n"), 0 },
	{ "top huge n", 1, 1000000L, S("H\r\n\r\nb\r\n"),
	    S("H\r\n\r\nb\r\n.\r\n"), 0 },
	{ "top dot lines in body", 1, 2, S("H\r\n\r\n.a\r\n.\r\nc\r\n"),
	    S("H\r\n\r\n..a\r\n..\r\n.\r\n"), 1 },
	{ "top dot line in header", 1, 0, S(".H\r\n\r\nb\r\n"),
	    S("..H\r\n\r\n.\r\n"), 1 },
	{ "top no blank line", 1, 0, S("H: 1\r\nH: 2\r\n"),
	    S("H: 1\r\nH: 2\r\n.\r\n"), 0 },
	{ "top 0 blank first", 1, 0, S("\r\nbody\r\n"), S("\r\n.\r\n"), 1 },
	{ "top 1 blank first", 1, 1, S("\r\nbody\r\nmore\r\n"),
	    S("\r\nbody\r\n.\r\n"), 1 },
	{ "top cr line is not blank", 1, 0, S("H\r\n\r\r\nx\r\n\r\nb\r\n"),
	    S("H\r\n\r\r\nx\r\n\r\n.\r\n"), 1 },
	{ "top blank body lines count", 1, 2, S("H\r\n\r\n\r\n\r\nb\r\n"),
	    S("H\r\n\r\n\r\n\r\n.\r\n"), 1 },
	{ "top only blank", 1, 0, S("\r\n"), S("\r\n.\r\n"), 1 },
	{ "top empty message", 1, 3, S(""), S(".\r\n"), 0 },
	{ "top without stuffing", 0, 1, S("H\r\n\r\n.b\r\nc\r\n"),
	    S("H\r\n\r\n.b\r\n"), 1 },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

enum feed_mode {
	FEED_WHOLE,
	FEED_BYTE,
	FEED_RANDOM,
};

static uint32_t
xorshift32(uint32_t *s)
{
	uint32_t x = *s;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *s = x;
}

/*
 * Filter C's input split as INMODE says into output buffers sized as
 * OUTMODE says, then finish.  Returns the octets written to OUT (which has
 * room for OUTSZ) and the done flag in *DONE.
 */
static size_t
filter(const struct mf_case *c, enum feed_mode inmode, enum feed_mode outmode,
    uint32_t seed, char *out, size_t outsz, int *done)
{
	struct msgfilter f;
	size_t pos, chunk, cpos, cap, n, used, o;
	char *tmp;

	msgfilter_init(&f, c->dot_stuff, c->body_lines);
	o = 0;
	for (pos = 0; pos < c->inlen; pos += chunk) {
		if (inmode == FEED_WHOLE)
			chunk = c->inlen;
		else if (inmode == FEED_BYTE)
			chunk = 1;
		else
			chunk = 1 + xorshift32(&seed) % 11;
		if (chunk > c->inlen - pos)
			chunk = c->inlen - pos;
		for (cpos = 0; cpos < chunk; cpos += used) {
			if (outmode == FEED_WHOLE)
				cap = 4096;
			else if (outmode == FEED_BYTE)
				cap = 2;
			else
				cap = 2 + xorshift32(&seed) % 8;
			tmp = malloc(cap);
			ck_assert_ptr_nonnull(tmp);
			n = msgfilter_run(&f, c->in + pos + cpos, chunk - cpos,
			    &used, tmp, cap);
			ck_assert_uint_le(n, cap);
			ck_assert_uint_le(used, chunk - cpos);
			/* Each call must move: OUTCAP 2 fits any octet. */
			ck_assert(n > 0 || used > 0);
			ck_assert_uint_le(o + n, outsz);
			memcpy(out + o, tmp, n);
			o += n;
			free(tmp);
		}
	}
	*done = msgfilter_done(&f);
	tmp = malloc(5);
	ck_assert_ptr_nonnull(tmp);
	n = msgfilter_finish(&f, tmp);
	ck_assert_uint_le(n, 5);
	ck_assert_uint_le(o + n, outsz);
	memcpy(out + o, tmp, n);
	o += n;
	free(tmp);
	return o;
}

static void
check_one(const struct mf_case *c, enum feed_mode inmode,
    enum feed_mode outmode, uint32_t seed)
{
	char out[256];
	size_t n;
	int done;

	n = filter(c, inmode, outmode, seed, out, sizeof(out), &done);
	ck_assert_msg(n == c->outlen && memcmp(out, c->out, n) == 0,
	    "%s (in %d, out %d, seed %u): got %zu octets, want %zu", c->name,
	    inmode, outmode, seed, n, c->outlen);
	ck_assert_msg(done == c->done, "%s (in %d, out %d): done %d, want %d",
	    c->name, inmode, outmode, done, c->done);
}

START_TEST(test_table)
{
	const struct mf_case *c = &cases[_i];
	int in, out;
	uint32_t s;

	for (in = FEED_WHOLE; in <= FEED_RANDOM; in++)
		for (out = FEED_WHOLE; out <= FEED_RANDOM; out++)
			for (s = 1; s <= NSEEDS; s++)
				check_one(c, in, out, 0x9e3779b9u * s);
}
END_TEST

/* Once TOP's last line is out, input is swallowed without output. */
START_TEST(test_done_swallows)
{
	struct msgfilter f;
	char out[16];
	size_t n, used;

	msgfilter_init(&f, 1, 0);
	n = msgfilter_run(&f, "H\r\n\r\nbody\r\n", 11, &used, out,
	    sizeof(out));
	ck_assert_uint_eq(n, 5);
	ck_assert_uint_eq(used, 11);
	ck_assert(msgfilter_done(&f));
	n = msgfilter_run(&f, ".more\r\n", 7, &used, out, sizeof(out));
	ck_assert_uint_eq(n, 0);
	ck_assert_uint_eq(used, 7);
	ck_assert_uint_eq(msgfilter_finish(&f, out), 3);
	ck_assert_mem_eq(out, ".\r\n", 3);
}
END_TEST

/* A stuffed '.' never goes out half: with one octet left, wait. */
START_TEST(test_stuffing_needs_two)
{
	struct msgfilter f;
	char out[2];
	size_t n, used;

	msgfilter_init(&f, 1, ALL);
	n = msgfilter_run(&f, "a\n.b", 4, &used, out, sizeof(out));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(used, 2);
	ck_assert_mem_eq(out, "a\n", 2);
	n = msgfilter_run(&f, ".b", 2, &used, out, sizeof(out));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(used, 1);
	ck_assert_mem_eq(out, "..", 2);
	n = msgfilter_run(&f, "x\r\n.", 4, &used, out, sizeof(out));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(used, 2);
	n = msgfilter_run(&f, "\n.", 2, &used, out, sizeof(out));
	/* "\n" fits, ".." does not fit in the one octet left. */
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(used, 1);
}
END_TEST

/* A long body through small buffers: every line counted, none lost. */
START_TEST(test_long_body)
{
	enum { NL = 300 };
	static char in[NL * 8 + 16], want[NL * 16 + 16], got[NL * 16 + 16];
	struct mf_case c;
	size_t n = 0, w = 0, i, k;
	int done;

	memcpy(in, "S: x\r\n\r\n", 8);
	memcpy(want, in, 8);
	n = w = 8;
	for (i = 0; i < NL; i++) {
		/* Every third line starts with a dot. */
		k = (size_t)snprintf(in + n, 8, "%s%zu\r\n", i % 3 ? "" : ".",
		    i % 100);
		if (i < 250) {
			if (i % 3 == 0)
				want[w++] = '.';
			memcpy(want + w, in + n, k);
			w += k;
		}
		n += k;
	}
	memcpy(want + w, ".\r\n", 3);
	w += 3;
	c = (struct mf_case){ "long body", 1, 250, in, n, want, w, 1 };
	k = filter(&c, FEED_RANDOM, FEED_RANDOM, 42, got, sizeof(got), &done);
	ck_assert_uint_eq(k, w);
	ck_assert_mem_eq(got, want, w);
	ck_assert(done);
	k = filter(&c, FEED_BYTE, FEED_BYTE, 0, got, sizeof(got), &done);
	ck_assert_uint_eq(k, w);
	ck_assert_mem_eq(got, want, w);
}
END_TEST

static Suite *
msgfilter_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("msgfilter");
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_table, 0, NCASES);
	tcase_add_test(tc, test_done_swallows);
	tcase_add_test(tc, test_stuffing_needs_two);
	tcase_add_test(tc, test_long_body);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(msgfilter_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
