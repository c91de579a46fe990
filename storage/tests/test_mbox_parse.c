/*
 * test_mbox_parse.c - the pure mbox transformations: splitting, mboxrd
 * unquoting and quoting, the separator fix-up.  Every table case is run
 * whole, one octet at a time, and in chunks of 7 octets (Dovecot's
 * test-istream-dot.c pattern).
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mbox_parse.h"

/* An independent CRLF normaliser (store.h's definition of wire form). */
static size_t
wire_of(const char *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	if (len > 0 && in[len - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	return o;
}

/*
 * Splitter.
 */

#define MAXMSG	4

struct pmsg {
	long from_off, offset, length, keylen;
	const char *wire;	/* unquoted, CRLF-normalised text */
};

struct pcase {
	const char *name;
	const char *in;
	long lead;
	int nmsg;
	struct pmsg m[MAXMSG];
};

static const struct pcase pcases[] = {
	{ "empty file", "", 0, 0, { { 0 } } },
	{ "no separator at all", "hello\nworld\n", 12, 0, { { 0 } } },
	{ "only a From_ line", "From a@b Mon Jan  1 00:00:00 2024\n", 0, 1,
	  { { 0, 34, 0, 0, "" } } },
	{ "From_ line without LF", "From a", 0, 1, { { 0, 6, 0, 0, "" } } },
	{ "two messages",
	  "From a\nSubject: x\n\nbody\n\nFrom b\nB\n", 0, 2,
	  { { 0, 7, 17, 16, "Subject: x\r\n\r\nbody\r\n" },
	    { 25, 32, 2, 1, "B\r\n" } } },
	{ "From in body without blank line is not a separator",
	  "From a\nx\nFrom me\n\nFrom b\ny\n", 0, 2,
	  { { 0, 7, 10, 9, "x\r\nFrom me\r\n" },
	    { 18, 25, 2, 1, "y\r\n" } } },
	{ "mboxrd unquoting",
	  "From a\n>From x\n>>From y\n>Fromage\n> From\nFrom z\n", 0, 1,
	  { { 0, 7, 40, 39,
	      "From x\r\n>From y\r\n>Fromage\r\n> From\r\nFrom z\r\n" } } },
	{ "quoted first line", "From a\n>From x\n", 0, 1,
	  { { 0, 7, 8, 7, "From x\r\n" } } },
	{ "partial quote at end of file", "From a\n>Fro", 0, 1,
	  { { 0, 7, 4, 4, ">Fro\r\n" } } },
	{ "CRLF file",
	  "From a\r\nH: 1\r\n\r\nbody\r\n\r\nFrom b\r\nx\r\n\r\n", 0, 2,
	  { { 0, 8, 14, 12, "H: 1\r\n\r\nbody\r\n" },
	    { 24, 32, 3, 1, "x\r\n" } } },
	{ "CRLF quoted", "From a\r\n>From x\r\n", 0, 1,
	  { { 0, 8, 9, 7, "From x\r\n" } } },
	{ "last message without final newline", "From a\nabc", 0, 1,
	  { { 0, 7, 3, 3, "abc\r\n" } } },
	{ "empty bodies", "From a\n\nFrom b\n\n", 0, 2,
	  { { 0, 7, 0, 0, "" }, { 8, 15, 0, 0, "" } } },
	{ "only the last empty line is the terminator", "From a\nx\n\n\n", 0,
	  1, { { 0, 7, 3, 2, "x\r\n\r\n" } } },
	{ "junk before the first separator", "junk\n\nFrom a\nx\n", 6, 1,
	  { { 6, 13, 2, 1, "x\r\n" } } },
	{ "Fromage after blank line is body", "From a\nx\n\nFromage\n", 0, 1,
	  { { 0, 7, 11, 10, "x\r\n\r\nFromage\r\n" } } },
	{ "lone CR kept", "From a\na\rb\n\n", 0, 1,
	  { { 0, 7, 4, 3, "a\rb\r\n" } } },
	{ "line of only a dot", "From a\n.\n..\n\nFrom b\n.", 0, 2,
	  { { 0, 7, 5, 4, ".\r\n..\r\n" }, { 13, 20, 1, 1, ".\r\n" } } },
};

struct collect {
	int n;
	struct mbox_msginfo m[MAXMSG];
};

static int
collect_cb(const struct mbox_msginfo *m, void *arg)
{
	struct collect *c = arg;

	ck_assert_int_lt(c->n, MAXMSG);
	c->m[c->n++] = *m;
	return 0;
}

static void
run_parse(const char *in, size_t len, size_t chunk, struct collect *c,
    long *lead)
{
	struct mbox_parser p;
	size_t off, n;

	memset(c, 0, sizeof(*c));
	mbox_parse_init(&p, collect_cb, c);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		ck_assert_int_eq(mbox_parse(&p, in + off, n), 0);
	}
	ck_assert_int_eq(mbox_parse_finish(&p), 0);
	*lead = (long)p.lead;
}

/* Unquote + normalise a raw message the way store_reader will. */
static size_t
reader_of(const char *raw, size_t len, char *out)
{
	struct mbox_unquote u;
	char *tmp = malloc(len + MBOX_UNQUOTE_SLACK);
	size_t n;

	mbox_unquote_init(&u);
	n = mbox_unquote(&u, raw, len, tmp);
	n += mbox_unquote_finish(&u, tmp + n);
	n = wire_of(tmp, n, out);
	free(tmp);
	return n;
}

START_TEST(test_split)
{
	const struct pcase *t = &pcases[_i];
	static const size_t chunks[] = { (size_t)-1, 1, 7 };
	struct collect c;
	char out[256];
	size_t len = strlen(t->in), k, n;
	long lead;
	int i;

	for (k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		run_parse(t->in, len, chunks[k], &c, &lead);
		ck_assert_msg(c.n == t->nmsg, "%s/%zu: %d messages", t->name,
		    chunks[k], c.n);
		ck_assert_msg(lead == t->lead, "%s: lead %ld", t->name, lead);
		for (i = 0; i < c.n; i++) {
			const struct pmsg *e = &t->m[i];
			const struct mbox_msginfo *m = &c.m[i];

			ck_assert_msg(m->from_off == e->from_off &&
			    m->offset == e->offset && m->length == e->length &&
			    m->keylen == e->keylen,
			    "%s msg %d: from %ld off %ld len %ld key %ld",
			    t->name, i, (long)m->from_off, (long)m->offset,
			    (long)m->length, (long)m->keylen);
			ck_assert_msg(m->wire == strlen(e->wire),
			    "%s msg %d: wire %llu", t->name, i,
			    (unsigned long long)m->wire);
			n = reader_of(t->in + m->offset, (size_t)m->length,
			    out);
			ck_assert_uint_eq(n, strlen(e->wire));
			ck_assert_mem_eq(out, e->wire, n);
			ck_assert_uint_eq(m->headlen, (size_t)m->keylen);
			ck_assert_mem_eq(m->head, t->in + m->offset,
			    m->headlen);
			ck_assert_uint_le(m->fromlen,
			    (size_t)(m->offset - m->from_off));
			ck_assert_mem_eq(m->fromline, "From ", 5);
		}
	}
}
END_TEST

START_TEST(test_split_long_lines)
{
	/* From_ line and head longer than the kept prefixes. */
	size_t len = 3 * MBOX_FROMLINE_MAX + 3 * MBOX_HEAD_MAX + 16;
	char *in = malloc(len);
	struct collect c;
	long lead;
	size_t fl = 2 * MBOX_FROMLINE_MAX, k;

	memcpy(in, "From ", 5);
	memset(in + 5, 'x', fl - 5);
	memcpy(in + fl, "\r\n", 2);
	memset(in + fl + 2, 'y', len - fl - 2);
	for (k = 1; k <= 4096; k *= 64) {
		run_parse(in, len, k, &c, &lead);
		ck_assert_int_eq(c.n, 1);
		ck_assert_uint_eq(c.m[0].fromlen, MBOX_FROMLINE_MAX);
		ck_assert_uint_eq(c.m[0].headlen, MBOX_HEAD_MAX);
		ck_assert_int_eq(c.m[0].offset, (off_t)fl + 2);
		ck_assert_int_eq(c.m[0].length, (off_t)(len - fl - 2));
		ck_assert_uint_eq(c.m[0].wire, len - fl - 2 + 2);
	}
	free(in);
}
END_TEST

/*
 * Unquoting alone.
 */

struct xcase {
	const char *in, *out;
};

static const struct xcase uqcases[] = {
	{ "", "" },
	{ "plain\n", "plain\n" },
	{ ">From a\n", "From a\n" },
	{ ">>From a\n", ">From a\n" },
	{ ">>>From a\n", ">>From a\n" },
	{ ">From", ">From" },
	{ ">Fro\n", ">Fro\n" },
	{ ">\n", ">\n" },
	{ ">>\n>x\n", ">>\n>x\n" },
	{ "From a\n", "From a\n" },
	{ "x >From a\n", "x >From a\n" },
	{ "a\n>From b\r\n>>From c", "a\nFrom b\r\n>From c" },
	{ ">F>From\n", ">F>From\n" },
	{ ">Fromage\n>From \n", ">Fromage\nFrom \n" },
};

static size_t
unquote_chunked(const char *in, size_t len, size_t chunk, char *out)
{
	struct mbox_unquote u;
	size_t off, n, o = 0;

	mbox_unquote_init(&u);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		o += mbox_unquote(&u, in + off, n, out + o);
	}
	return o + mbox_unquote_finish(&u, out + o);
}

START_TEST(test_unquote)
{
	const struct xcase *t = &uqcases[_i];
	char out[128];
	size_t n, k;

	for (k = 1; k <= 64; k *= 4) {
		n = unquote_chunked(t->in, strlen(t->in), k, out);
		ck_assert_msg(n == strlen(t->out) &&
		    memcmp(out, t->out, n) == 0, "unquote \"%s\" chunk %zu: "
		    "\"%.*s\"", t->in, k, (int)n, out);
	}
}
END_TEST

/*
 * Quoting (delivery encoding).
 */

static const struct xcase encases[] = {
	{ "", "" },
	{ "a", "a\n" },
	{ "a\n", "a\n" },
	{ "a\r\n", "a\n" },
	{ "a\r\nb\r\n", "a\nb\n" },
	{ "From x\n", ">From x\n" },
	{ ">From x\n", ">>From x\n" },
	{ ">>From x\r\n", ">>>From x\n" },
	{ "x\nFrom y", "x\n>From y\n" },
	{ "Fromage\n", "Fromage\n" },
	{ "From", "From\n" },
	{ " From x\n", " From x\n" },
	{ "a\r", "a\r\r\n" },
	{ "a\r\r\n", "a\r\r\n" },
	{ "a\rb", "a\rb\n" },
	{ "\r\n\r\n", "\n\n" },
	{ ".\r\n..\r\n", ".\n..\n" },
	{ "Fro\r\n", "Fro\n" },
};

static size_t
encode_chunked(const char *in, size_t len, size_t chunk, char *out)
{
	struct mbox_encode e;
	size_t off, n, o = 0;

	mbox_encode_init(&e);
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		o += mbox_encode(&e, in + off, n, out + o);
	}
	return o + mbox_encode_finish(&e, out + o);
}

START_TEST(test_encode)
{
	const struct xcase *t = &encases[_i];
	char out[128];
	size_t n, k;

	for (k = 1; k <= 64; k *= 4) {
		n = encode_chunked(t->in, strlen(t->in), k, out);
		ck_assert_msg(n == strlen(t->out) &&
		    memcmp(out, t->out, n) == 0, "encode case %d chunk %zu: "
		    "\"%.*s\"", _i, k, (int)n, out);
	}
}
END_TEST

/*
 * Property: for random messages over an alphabet rich in the octets that
 * matter, the client sees what was sent, and an mbox built from the
 * encoded messages splits back into them.
 */
START_TEST(test_roundtrip_random)
{
	static const char alpha[] = ">From \r\n.x";
	char msg[64], enc[2 * 64 + MBOX_ENCODE_SLACK], w1[256], w2[256];
	char *file = malloc(1 << 16);
	struct collect c;
	unsigned int seed = 1939;
	size_t len, n, n1, n2, flen;
	int iter, j, k;
	long lead;

	for (iter = 0; iter < 20000; iter++) {
		len = (size_t)(rand_r(&seed) % 40);
		for (n = 0; n < len; n++)
			msg[n] = alpha[rand_r(&seed) % (sizeof(alpha) - 1)];
		n = encode_chunked(msg, len, 1 + (size_t)(iter % 5), enc);
		n1 = wire_of(msg, len, w1);
		n2 = reader_of(enc, n, w2);
		ck_assert_msg(n1 == n2 && memcmp(w1, w2, n1) == 0,
		    "iter %d: \"%.*s\"", iter, (int)len, msg);

		/* Three copies in one mbox, separated as deliver does. */
		flen = 0;
		for (k = 0; k < 3; k++) {
			memcpy(file + flen, "From x\n", 7);
			flen += 7;
			memcpy(file + flen, enc, n);
			flen += n;
			file[flen++] = '\n';
		}
		run_parse(file, flen, 1 + (size_t)(iter % 13), &c, &lead);
		ck_assert_int_eq(c.n, 3);
		for (j = 0; j < 3; j++) {
			ck_assert_int_eq(c.m[j].length, (off_t)n);
			ck_assert_uint_eq(c.m[j].wire, n1);
		}
	}
	free(file);
}
END_TEST

/*
 * Separator fix-up before appending.
 */

struct fcase {
	const char *file;
	const char *fix;
};

static const struct fcase fixcases[] = {
	{ "", "" },
	{ "\n", "" },
	{ "\r\n", "" },
	{ "x", "\n\n" },
	{ "x\n", "\n" },
	{ "x\n\n", "" },
	{ "x\r\n\r\n", "" },
	{ "x\n\r\n", "" },
	{ "x\r", "\r\n\n" },
	{ "x\r\r\n", "\n" },
	{ "From a\n", "\n" },
};

START_TEST(test_fixup)
{
	const struct fcase *t = &fixcases[_i];
	size_t len = strlen(t->file), tl = len < 3 ? len : 3, n;
	char out[4];

	n = mbox_sep_fixup(t->file + len - tl, tl, (off_t)len, out);
	ck_assert_msg(n == strlen(t->fix) && memcmp(out, t->fix, n) == 0,
	    "fixup case %d", _i);
}
END_TEST

/* The Status: scanner: R in the value of Status: in the header only. */
struct scase {
	const char *msg;
	int seen;
};

static const struct scase scases[] = {
	{ "Status: RO\n\nbody\n", 1 },
	{ "Status: R\r\n\r\n", 1 },
	{ "Subject: x\nstatus:OR\n\n", 1 },
	{ "STATUS:\n\tR\n\n", 1 },		/* folded */
	{ "Status: O\n\n", 0 },
	{ "Status: O\nX-Status: R\n\n", 0 },
	{ "X-Status: R\nStatus:\n\n", 0 },
	{ "Subject: Status: R\n\n", 0 },
	{ "Subject: x\n\nStatus: R\n", 0 },	/* body */
	{ "Subject: x\r\n\r\nStatus: R\r\n", 0 },
	{ "Status : R\n\n", 0 },		/* not the field name */
	{ "Statux: R\n\n", 0 },
	{ "Status: r\n\n", 0 },			/* flags are upper case */
	{ "Subject: x\n Status: R\n\n", 0 },	/* folded Subject */
	{ "Status: O\n R\n\n", 1 },
	{ "Status: RO", 1 },			/* header never ends */
	{ "", 0 },
};

START_TEST(test_status)
{
	const struct scase *t = &scases[_i];
	struct mbox_status st;
	size_t len = strlen(t->msg), chunk, off, n;

	for (chunk = 1; chunk <= len + 1; chunk++) {
		mbox_status_init(&st);
		for (off = 0; off < len; off += n) {
			n = len - off < chunk ? len - off : chunk;
			mbox_status_feed(&st, t->msg + off, n);
		}
		ck_assert_msg(st.seen == t->seen, "status case %d chunk %zu",
		    _i, chunk);
	}
}
END_TEST

/* The From_ line date (store_arrival() of an mbox message).  Expected
 * values are from Python's calendar.timegm(), not from this code. */
struct dcase {
	const char *line;
	long long when;
};

static const struct dcase dcases[] = {
	{ "From alice@example.org Mon Nov 23 10:00:00 2026", 1795428000 },
	{ "From MAILER-DAEMON Tue Nov  3 10:00:00 2026", 1793700000 },
	{ "From a  Tue   Nov 23   10:00:00   2026", 1795428000 },
	{ "From a\tTue Nov 23 10:00:00 2026", 1795428000 },
	{ "From a Tue Nov 23 10:00 2026", 1795428000 },	/* no seconds */
	{ "From a tue nov 23 10:00:00 2026", 1795428000 },
	{ "From a Mon Nov 23 10:00:00 2026 +0100", 1795424400 },
	{ "From a Mon Nov 23 10:00:00 2026 -0800", 1795456800 },
	{ "From a Mon Nov 23 10:00:00 PST 2026", 1795428000 },
	{ "From a Mon Nov 23 10:00:00 UTC 2026", 1795428000 },
	{ "From a Mon Nov 23 10:00:00 2026 remote from b", 1795428000 },
	{ "From \"a b\"@example.org Mon Nov 23 10:00:00 2026", 1795428000 },
	{ "From Mon@x Nov Mon Nov 23 10:00:00 2026", 1795428000 },
	{ "From Mon Nov 23 10:00:00 2026", 1795428000 },	/* no sender */
	{ "From a Thu Feb 29 23:59:59 2024", 1709251199 },
	{ "From a Sat Jan  1 00:00:00 2000", 946684800 },
	{ "From a Thu Jan  1 00:00:01 1970", 1 },
	{ "From a Mon Mar  1 00:00:00 2100", 4107542400LL },
	{ "From a Mon Nov 23 10:00:60 2026", 1795428060 },	/* leap s */
	{ "From a Tue Jan 19 03:14:08 2038", 2147483648LL },
	/* Not a date: unknown, never a guess. */
	{ "From a", 0 },
	{ "From ", 0 },
	{ "", 0 },
	{ "Fro", 0 },
	{ "Xrom a Mon Nov 23 10:00:00 2026", 0 },
	{ "From a Mon Nov 23 10:00:00", 0 },		/* no year */
	{ "From a Mon Nov 23 2026", 0 },		/* no time */
	{ "From a Mon Nov 23 10:00:00 26", 0 },		/* 2-digit year */
	{ "From a Mon Nov 23 10:00:00 20266", 0 },
	{ "From a Mon Foo 23 10:00:00 2026", 0 },
	{ "From a Mon Nov 31 10:00:00 2026", 0 },
	{ "From a Mon Nov 0 10:00:00 2026", 0 },
	{ "From a Sun Feb 29 10:00:00 2026", 0 },	/* not a leap year */
	{ "From a Mon Nov 23 24:00:00 2026", 0 },
	{ "From a Mon Nov 23 10:60:00 2026", 0 },
	{ "From a Mon Nov 23 10:00:61 2026", 0 },
	{ "From a Mon Nov 23 1:00:00 2026", 0 },
	{ "From a Mon Nov 23 10:0x:00 2026", 0 },
	{ "From a Wed Dec 31 23:59:59 1969", 0 },	/* before 1970 */
	{ "From a Mon Nov 23 10:00:00 garbage 2026", 0 },
	{ "From a 2026-11-23T10:00:00Z", 0 },
};

START_TEST(test_from_date)
{
	const struct dcase *t = &dcases[_i];
	long long when;

	if (sizeof(time_t) < 8 && t->when > 2147483647LL)
		return;
	when = (long long)mbox_from_date(t->line, strlen(t->line));
	ck_assert_msg(when == t->when, "\"%s\": got %lld, want %lld",
	    t->line, when, t->when);
}
END_TEST

/* The line is not NUL-terminated: LEN is the only bound. */
START_TEST(test_from_date_len)
{
	static const char line[] = "From a Mon Nov 23 10:00:00 2026 +0100";

	ck_assert_int_eq(mbox_from_date(line, strlen(line)), 1795424400);
	ck_assert_int_eq(mbox_from_date(line, strlen(line) - 6), 1795428000);
	ck_assert_int_eq(mbox_from_date(line, strlen(line) - 8), 0);
}
END_TEST

static Suite *
mbox_parse_suite(void)
{
	Suite *s = suite_create("mbox_parse");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_split, 0,
	    sizeof(pcases) / sizeof(pcases[0]));
	tcase_add_test(tc, test_split_long_lines);
	tcase_add_loop_test(tc, test_unquote, 0,
	    sizeof(uqcases) / sizeof(uqcases[0]));
	tcase_add_loop_test(tc, test_encode, 0,
	    sizeof(encases) / sizeof(encases[0]));
	tcase_add_test(tc, test_roundtrip_random);
	tcase_add_loop_test(tc, test_fixup, 0,
	    sizeof(fixcases) / sizeof(fixcases[0]));
	tcase_add_loop_test(tc, test_status, 0,
	    sizeof(scases) / sizeof(scases[0]));
	tcase_add_loop_test(tc, test_from_date, 0,
	    sizeof(dcases) / sizeof(dcases[0]));
	tcase_add_test(tc, test_from_date_len);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mbox_parse_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
