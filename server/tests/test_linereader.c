/*
 * test_linereader.c - Check tests for server/linereader.c.
 *
 * Table of {input, expected lines} cases in the manner of Dovecot's
 * test-istream-dot.c: each case is fed whole, then one octet at a time,
 * then in random-sized chunks (fixed seeds), through the same
 * space/commit/next cycle the core's libuv callbacks use.  Every feed
 * asserts the reader never offers zero room while it has no line to give.
 */

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linereader.h"

#define MAXEV	16
#define NSEEDS	8

struct ev {
	int		 status;
	const char	*line;
	size_t		 len;
};

/* A line (may hold NUL, hence sizeof) and a discarded over-long line. */
#define L(s)	{ LINEREADER_LINE, (s), sizeof(s) - 1 }
#define TL	{ LINEREADER_TOOLONG, NULL, 0 }
#define IN(s)	(s), sizeof(s) - 1

struct lr_case {
	const char	*name;
	size_t		 max;
	size_t		 cap;
	const char	*in;
	size_t		 inlen;
	struct ev	 ev[MAXEV];	/* ends at status LINEREADER_AGAIN */
	size_t		 pending;	/* octets left buffered at the end */
};

static const struct lr_case cases[] = {
	{ "crlf", 8, 8, IN("abc\r\ndef\r\n"), { L("abc"), L("def") }, 0 },
	{ "bare lf", 8, 8, IN("abc\ndef\n"), { L("abc"), L("def") }, 0 },
	{ "mixed terminators", 8, 8, IN("a\r\nb\nc\r\n"),
	    { L("a"), L("b"), L("c") }, 0 },
	{ "cr in middle", 8, 8, IN("a\rb\r\n\rx\nx\r\r\n"),
	    { L("a\rb"), L("\rx"), L("x\r") }, 0 },
	{ "cr then cr lf", 8, 8, IN("\r\r\n"), { L("\r") }, 0 },
	{ "empty lines", 8, 8, IN("\r\n\n\r\n"), { L(""), L(""), L("") }, 0 },
	/* Terminator included: 6 + CRLF and 7 + LF are exactly max. */
	{ "exactly max crlf", 8, 8, IN("123456\r\n"), { L("123456") }, 0 },
	{ "exactly max lf", 8, 8, IN("1234567\n"), { L("1234567") }, 0 },
	{ "max+1 crlf", 8, 8, IN("1234567\r\nok\r\n"), { TL, L("ok") }, 0 },
	{ "max+1 lf", 8, 8, IN("12345678\nok\n"), { TL, L("ok") }, 0 },
	{ "max+1 then exactly max", 8, 8, IN("1234567\r\n123456\r\n"),
	    { TL, L("123456") }, 0 },
	{ "two too long in a row", 8, 8,
	    IN("aaaaaaaaaaaaaaaaaaaa\r\nbbbbbbbbbbbbbb\nok\r\n"),
	    { TL, TL, L("ok") }, 0 },
	{ "too long, no lf yet", 8, 8, IN("123456789"), { TL }, 0 },
	{ "max octets, no lf yet", 8, 8, IN("12345678"), { TL }, 0 },
	{ "too long, lf later", 8, 8, IN("12345678abc\r\nx\r\n"),
	    { TL, L("x") }, 0 },
	{ "partial tail pending", 8, 8, IN("abc\r\nde"), { L("abc") }, 2 },
	{ "partial tail max-1", 8, 8, IN("abc\r\n1234567"), { L("abc") }, 7 },
	{ "partial tail ends in cr", 8, 8, IN("abc\r"), { { 0 } }, 4 },
	{ "nul in line", 8, 8, IN("a\0b\r\n\0\n"), { L("a\0b"), L("\0") },
	    0 },
	{ "8-bit octets", 8, 8, IN("\xff\xfe\x80\r\n"),
	    { L("\xff\xfe\x80") }, 0 },
	{ "max 1", 1, 1, IN("\n\nx\n\r\n\n"),
	    { L(""), L(""), TL, TL, L("") }, 0 },
	{ "roomy buffer", 8, 64,
	    IN("a\r\nbb\r\nccc\r\n0123456789\r\ndddd\r\n"),
	    { L("a"), L("bb"), L("ccc"), TL, L("dddd") }, 0 },
	{ "pop3 commands", 255, 512,
	    IN("USER alice\r\nPASS s3cret\r\nSTAT\r\nLIST\r\nRETR 1\r\n"
	    "QUIT\r\n"),
	    { L("USER alice"), L("PASS s3cret"), L("STAT"), L("LIST"),
	    L("RETR 1"), L("QUIT") }, 0 },
	{ "empty input", 8, 8, IN(""), { { 0 } }, 0 },
};

#define NCASES	(sizeof(cases) / sizeof(cases[0]))

/* What a feed produced: events with copies of the lines. */
struct got {
	size_t	 n;
	size_t	 alloc;
	int	*status;
	char	**line;
	size_t	*len;
	size_t	 pending;
};

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

static void
got_add(struct got *g, int status, const char *line, size_t len)
{
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 16;
		g->status = realloc(g->status, g->alloc * sizeof(*g->status));
		g->line = realloc(g->line, g->alloc * sizeof(*g->line));
		g->len = realloc(g->len, g->alloc * sizeof(*g->len));
		ck_assert(g->status && g->line && g->len);
	}
	g->status[g->n] = status;
	g->len[g->n] = len;
	g->line[g->n] = malloc(len + 1);
	ck_assert_ptr_nonnull(g->line[g->n]);
	if (len > 0)
		memcpy(g->line[g->n], line, len);
	g->n++;
}

static void
got_free(struct got *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->line[i]);
	free(g->status);
	free(g->line);
	free(g->len);
	memset(g, 0, sizeof(*g));
}

/* Take every complete line, as the core's read callback does. */
static void
drain(struct linereader *lr, struct got *g)
{
	const char *line;
	size_t len;
	int st;

	while ((st = linereader_next(lr, &line, &len)) != LINEREADER_AGAIN) {
		ck_assert(st == LINEREADER_LINE || st == LINEREADER_TOOLONG);
		if (st == LINEREADER_LINE)
			/* Plus at least the LF, the line fits in max. */
			ck_assert_uint_lt(len, lr->max);
		else
			ck_assert(line == NULL && len == 0);
		got_add(g, st, line, len);
	}
}

static void
feed(const char *in, size_t inlen, size_t max, size_t cap,
    enum feed_mode mode, uint32_t seed, struct got *g)
{
	struct linereader lr;
	char *buf, *sp;
	size_t pos, room, n;

	memset(g, 0, sizeof(*g));
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	linereader_init(&lr, buf, cap, max);
	pos = 0;
	while (pos < inlen) {
		sp = linereader_space(&lr, &room);
		/* Drained and still no room would stall the connection. */
		ck_assert_uint_gt(room, 0);
		ck_assert(sp >= buf && sp + room <= buf + cap);
		switch (mode) {
		case FEED_WHOLE:
			n = inlen - pos;
			break;
		case FEED_BYTE:
			n = 1;
			break;
		default:
			n = 1 + xorshift32(&seed) % 17;
			break;
		}
		if (n > inlen - pos)
			n = inlen - pos;
		if (n > room)
			n = room;
		memcpy(sp, in + pos, n);
		linereader_commit(&lr, n);
		pos += n;
		drain(&lr, g);
	}
	g->pending = linereader_pending(&lr);
	free(buf);
}

static void
expect(const struct got *g, const struct ev *ev, size_t nev, size_t pending,
    const char *name, int mode)
{
	size_t i;

	ck_assert_msg(g->n == nev, "%s/mode %d: %zu events, want %zu",
	    name, mode, g->n, nev);
	for (i = 0; i < nev; i++) {
		ck_assert_msg(g->status[i] == ev[i].status,
		    "%s/mode %d: event %zu status %d, want %d", name, mode, i,
		    g->status[i], ev[i].status);
		if (ev[i].status != LINEREADER_LINE)
			continue;
		ck_assert_msg(g->len[i] == ev[i].len &&
		    memcmp(g->line[i], ev[i].line, ev[i].len) == 0,
		    "%s/mode %d: line %zu differs", name, mode, i);
	}
	ck_assert_msg(g->pending == pending,
	    "%s/mode %d: pending %zu, want %zu", name, mode, g->pending,
	    pending);
}

/* Run IN every way it can be split and compare with EV each time. */
static void
run_all_modes(const char *name, const char *in, size_t inlen, size_t max,
    size_t cap, const struct ev *ev, size_t nev, size_t pending)
{
	struct got g;
	uint32_t s;

	feed(in, inlen, max, cap, FEED_WHOLE, 0, &g);
	expect(&g, ev, nev, pending, name, FEED_WHOLE);
	got_free(&g);
	feed(in, inlen, max, cap, FEED_BYTE, 0, &g);
	expect(&g, ev, nev, pending, name, FEED_BYTE);
	got_free(&g);
	for (s = 1; s <= NSEEDS; s++) {
		feed(in, inlen, max, cap, FEED_RANDOM, 0x9e3779b9u * s, &g);
		expect(&g, ev, nev, pending, name, FEED_RANDOM);
		got_free(&g);
	}
}

START_TEST(test_table)
{
	const struct lr_case *c = &cases[_i];
	size_t nev;

	for (nev = 0; nev < MAXEV && c->ev[nev].status != LINEREADER_AGAIN;
	    nev++)
		;
	run_all_modes(c->name, c->in, c->inlen, c->max, c->cap, c->ev, nev,
	    c->pending);
}
END_TEST

/* An over-long line many times the buffer, then normal traffic. */
START_TEST(test_long_line_many_refills)
{
	static char in[10000 + 64];
	const struct ev ev[] = { L("before"), TL, L("after"), TL, L("end") };
	size_t n = 0;

	memcpy(in + n, "before\r\n", 8);
	n += 8;
	memset(in + n, 'x', 5000);
	n += 5000;
	memcpy(in + n, "\r\nafter\r\n", 9);
	n += 9;
	/* A CR every so often must not look like a terminator. */
	memset(in + n, 'y', 4000);
	in[n + 100] = '\r';
	in[n + 3999] = '\r';
	n += 4000;
	memcpy(in + n, "\nend\n", 5);
	n += 5;
	run_all_modes("long line", in, n, 16, 16, ev, 5, 0);
	run_all_modes("long line roomy", in, n, 16, 100, ev, 5, 0);
	run_all_modes("long line pop3", in, n, 255, 512, ev, 5, 0);
}
END_TEST

/* Hundreds of pipelined commands, first in one buffer-sized chunk. */
START_TEST(test_pipelined)
{
	enum { NLINES = 400 };
	static char in[NLINES * 16];
	static char text[NLINES][16];
	static struct ev ev[NLINES];
	size_t n = 0, i;
	int k;

	for (i = 0; i < NLINES; i++) {
		k = snprintf(text[i], sizeof(text[i]), "RETR %zu", i);
		ck_assert(k > 0 && (size_t)k < sizeof(text[i]));
		memcpy(in + n, text[i], (size_t)k);
		n += (size_t)k;
		/* Alternate terminators to mix the two forms. */
		if (i % 3 == 0)
			in[n++] = '\n';
		else {
			in[n++] = '\r';
			in[n++] = '\n';
		}
		ev[i].status = LINEREADER_LINE;
		ev[i].line = text[i];
		ev[i].len = (size_t)k;
	}
	run_all_modes("pipelined one chunk", in, n, 255, sizeof(in), ev,
	    NLINES, 0);
	run_all_modes("pipelined small buf", in, n, 12, 12, ev, NLINES, 0);
	run_all_modes("pipelined pop3", in, n, 255, 512, ev, NLINES, 0);
}
END_TEST

/* The header allows zero room only while complete lines wait. */
START_TEST(test_space_zero_only_with_lines)
{
	struct linereader lr;
	char buf[8];
	const char *line;
	size_t room;
	char *sp;

	linereader_init(&lr, buf, sizeof(buf), sizeof(buf));
	sp = linereader_space(&lr, &room);
	ck_assert_uint_eq(room, 8);
	memcpy(sp, "abc\ndef\n", 8);
	linereader_commit(&lr, 8);
	sp = linereader_space(&lr, &room);
	ck_assert_uint_eq(room, 0);
	ck_assert_uint_eq(linereader_pending(&lr), 8);
	ck_assert_int_eq(linereader_next(&lr, &line, &room), LINEREADER_LINE);
	ck_assert_mem_eq(line, "abc", 3);
	ck_assert_uint_eq(linereader_pending(&lr), 4);
	/* Compacting now moves "def\n" under the line just returned. */
	sp = linereader_space(&lr, &room);
	ck_assert_uint_eq(room, 4);
	ck_assert_ptr_eq(sp, buf + 4);
	ck_assert_int_eq(linereader_next(&lr, &line, &room), LINEREADER_LINE);
	ck_assert_uint_eq(room, 3);
	ck_assert_mem_eq(line, "def", 3);
	ck_assert_int_eq(linereader_next(&lr, &line, &room), LINEREADER_AGAIN);
	sp = linereader_space(&lr, &room);
	ck_assert_ptr_eq(sp, buf);
	ck_assert_uint_eq(room, 8);
}
END_TEST

/* Lines stay valid across commit; only space() may move them. */
START_TEST(test_line_valid_until_space)
{
	struct linereader lr;
	char buf[32];
	const char *l1, *l2;
	size_t n1, n2, room;
	char *sp;

	linereader_init(&lr, buf, sizeof(buf), 16);
	sp = linereader_space(&lr, &room);
	memcpy(sp, "one\r\ntw", 7);
	linereader_commit(&lr, 7);
	ck_assert_int_eq(linereader_next(&lr, &l1, &n1), LINEREADER_LINE);
	ck_assert_int_eq(linereader_next(&lr, &l2, &n2), LINEREADER_AGAIN);
	/* The core may commit more (a second read) before using L1. */
	sp = buf + 7;
	memcpy(sp, "o\n", 2);
	linereader_commit(&lr, 2);
	ck_assert_int_eq(linereader_next(&lr, &l2, &n2), LINEREADER_LINE);
	ck_assert_uint_eq(n1, 3);
	ck_assert_mem_eq(l1, "one", 3);
	ck_assert_uint_eq(n2, 3);
	ck_assert_mem_eq(l2, "two", 3);
}
END_TEST

/* A client that never sends LF is told once and never buffered. */
START_TEST(test_endless_line_reported_once)
{
	struct linereader lr;
	char buf[16];
	const char *line;
	size_t room, len, i;
	char *sp;
	int toolong = 0, st;

	linereader_init(&lr, buf, sizeof(buf), 8);
	for (i = 0; i < 1000; i++) {
		sp = linereader_space(&lr, &room);
		ck_assert_uint_gt(room, 0);
		memset(sp, 'z', room);
		linereader_commit(&lr, room);
		while ((st = linereader_next(&lr, &line, &len)) !=
		    LINEREADER_AGAIN) {
			ck_assert_int_eq(st, LINEREADER_TOOLONG);
			toolong++;
		}
		ck_assert_uint_lt(linereader_pending(&lr), 8);
	}
	ck_assert_int_eq(toolong, 1);
}
END_TEST

static Suite *
linereader_suite(void)
{
	Suite *s;
	TCase *tc;

	s = suite_create("linereader");
	tc = tcase_create("core");
	tcase_add_loop_test(tc, test_table, 0, NCASES);
	tcase_add_test(tc, test_long_line_many_refills);
	tcase_add_test(tc, test_pipelined);
	tcase_add_test(tc, test_space_zero_only_with_lines);
	tcase_add_test(tc, test_line_valid_until_space);
	tcase_add_test(tc, test_endless_line_reported_once);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(linereader_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
