/*
 * Check suite for polypop-conform: the transcript parser, the matchers,
 * ${...} expansion, the fixture arithmetic, and the executor driven
 * through a socketpair by a scripted (sometimes deliberately wrong) server.
 */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conform.h"

static int
parse(const char *text, struct tcase *tc, char *err, size_t errlen)
{
	return tcase_parse("t", text, strlen(text), tc, err, errlen);
}

START_TEST(test_parse_steps)
{
	struct tcase tc;
	char err[256];
	const char *t =
	    "# RFC 1939 §5 STAT: a title\n"
	    "proto: pop3\n"
	    "fixture: hard\n"
	    "level: polypop\n"
	    "timeout: 2.5\n"
	    "\n"
	    "S: +OK*\n"
	    "C: STAT    [RFC 1939 §5]\n"
	    "S~ ^\\+OK [0-9]+\n"
	    "C| A\\r\\nB\\n\n"
	    "S> retr 3\n"
	    "S> top 2 10\n"
	    "S> list 1 3\n"
	    "S> uidl\n"
	    "S> any\n"
	    "S+\n"
	    "S- [AUTH]*  [RFC 3206 §5]\n"
	    "C! close\n"
	    "S! closed\n"
	    "@sleep 5\n";

	ck_assert_int_eq(parse(t, &tc, err, sizeof(err)), 0);
	ck_assert_str_eq(tc.title, "RFC 1939 §5 STAT: a title");
	ck_assert_str_eq(tc.proto, "pop3");
	ck_assert_str_eq(tc.fixture, "hard");
	ck_assert_str_eq(tc.level, "polypop");
	ck_assert_int_eq(tc.timeout_ms, 2500);
	ck_assert_uint_eq(tc.nsteps, 14);
	ck_assert_int_eq(tc.steps[0].kind, STEP_EXPECT);
	ck_assert_str_eq(tc.steps[0].text, "+OK*");
	ck_assert_int_eq(tc.steps[1].kind, STEP_SEND);
	ck_assert_str_eq(tc.steps[1].text, "STAT");
	ck_assert_str_eq(tc.steps[1].ref, "RFC 1939 §5");
	ck_assert_int_eq(tc.steps[1].lineno, 8);
	ck_assert_int_eq(tc.steps[2].kind, STEP_EXPECT_RE);
	ck_assert_int_eq(tc.steps[3].kind, STEP_SEND_RAW);
	ck_assert_str_eq(tc.steps[3].text, "A\\r\\nB\\n");
	ck_assert_int_eq(tc.steps[4].kind, STEP_EXPECT_RETR);
	ck_assert_int_eq(tc.steps[4].nums[0], 3);
	ck_assert_int_eq(tc.steps[5].kind, STEP_EXPECT_TOP);
	ck_assert_int_eq(tc.steps[5].nums[1], 10);
	ck_assert_int_eq(tc.steps[6].nnums, 2);
	ck_assert_int_eq(tc.steps[7].kind, STEP_EXPECT_UIDL);
	ck_assert_int_eq(tc.steps[7].nnums, 0);
	ck_assert_int_eq(tc.steps[8].kind, STEP_EXPECT_ANY);
	ck_assert_int_eq(tc.steps[9].kind, STEP_EXPECT_RE);
	ck_assert_str_eq(tc.steps[9].text, "^\\+OK( |$)");
	ck_assert_int_eq(tc.steps[10].kind, STEP_EXPECT);
	ck_assert_str_eq(tc.steps[10].text, "-ERR [AUTH]*");
	ck_assert_str_eq(tc.steps[10].ref, "RFC 3206 §5");
	ck_assert_int_eq(tc.steps[11].kind, STEP_CLOSE);
	ck_assert_int_eq(tc.steps[12].kind, STEP_EXPECT_EOF);
	ck_assert_int_eq(tc.steps[13].kind, STEP_SLEEP);
	tcase_free(&tc);
}
END_TEST

/* "profile:" lists the profiles a case runs under; none: only without
 * --profile (the server's default POP3). */
START_TEST(test_parse_profiles)
{
	struct tcase tc;
	char err[256];

	ck_assert_int_eq(parse("proto: pop3\nprofile: rfc1081\nS: x\n", &tc,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(tc.profile, "rfc1081");
	ck_assert(tcase_runs_profile(&tc, "rfc1081"));
	ck_assert(!tcase_runs_profile(&tc, "rfc1082"));
	ck_assert(!tcase_runs_profile(&tc, "rfc108"));
	ck_assert(!tcase_runs_profile(&tc, NULL));
	ck_assert(!tcase_runs_profile(&tc, ""));
	tcase_free(&tc);

	/* Several, with extra blanks: kept as one space-separated list. */
	ck_assert_int_eq(parse("proto: pop3\n"
	    "profile:  rfc1081 \trfc1082   rfc1225 \nS: x\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(tc.profile, "rfc1081 rfc1082 rfc1225");
	ck_assert(tcase_runs_profile(&tc, "rfc1081"));
	ck_assert(tcase_runs_profile(&tc, "rfc1082"));
	ck_assert(tcase_runs_profile(&tc, "rfc1225"));
	ck_assert(!tcase_runs_profile(&tc, "rfc1460"));
	ck_assert(!tcase_runs_profile(&tc, "rfc1081 rfc1082"));
	ck_assert(!tcase_runs_profile(&tc, "rfc10"));
	ck_assert(!tcase_runs_profile(&tc, NULL));
	tcase_free(&tc);

	/* No profile: runs only when the runner has none. */
	ck_assert_int_eq(parse("proto: pop3\nS: x\n", &tc, err, sizeof(err)),
	    0);
	ck_assert_ptr_null(tc.profile);
	ck_assert(tcase_runs_profile(&tc, NULL));
	ck_assert(tcase_runs_profile(&tc, ""));
	ck_assert(!tcase_runs_profile(&tc, "rfc1081"));
	tcase_free(&tc);
}
END_TEST

START_TEST(test_parse_macros)
{
	struct tcase tc;
	char err[256];

	ck_assert_int_eq(parse("proto: pop3\n@greeting\n@login\n@login2\n"
	    "@require apop\n@quit\n@reconnect\n", &tc, err, sizeof(err)), 0);
	/* 1 + 4 + 4 + 1 + 3 + 1 */
	ck_assert_uint_eq(tc.nsteps, 14);
	ck_assert_str_eq(tc.steps[1].text, "USER ${user}");
	ck_assert_str_eq(tc.steps[7].text, "PASS ${pass2}");
	ck_assert_int_eq(tc.steps[9].kind, STEP_REQUIRE);
	ck_assert_int_eq(tc.steps[12].kind, STEP_EXPECT_EOF);
	ck_assert_int_eq(tc.steps[13].kind, STEP_RECONNECT);
	tcase_free(&tc);
}
END_TEST

static const struct {
	const char	*text;
	const char	*err;	/* substring of the error */
} bad_transcripts[] = {
	{ "S: +OK\n", "missing 'proto:'" },
	{ "proto: pop3\n", "no steps" },
	{ "proto: pop3\nS: +OK\nfixture: x\n", "after the first step" },
	{ "proto: pop3\nbogus: 1\nS: x\n", "unknown header" },
	{ "proto: pop3\nlevel: extreme\nS: x\n", "level must be" },
	{ "proto: pop3\nS> retr\n", "takes 1 to 1 numbers" },
	{ "proto: pop3\nS> retr x\n", "bad number" },
	{ "proto: pop3\nS> top 1\n", "takes 2 to 2" },
	{ "proto: pop3\nS> frobnicate\n", "unknown 'S>'" },
	{ "proto: pop3\n@dance\n", "unknown directive" },
	{ "proto: pop3\nX: y\n", "cannot parse" },
	{ "proto: pop3\nC! open\n", "cannot parse" },
	{ "proto: pop3\ntimeout: -1\nS: x\n", "bad timeout" },
	{ "proto: pop3\nprofile:\nS: x\n", "one or more profile names" },
	{ "proto: pop3\nprofile: rfc1081 RFC1725\nS: x\n",
	    "bad profile name 'RFC1725'" },
	{ "proto: pop3\nprofile: rfc1081, rfc1225\nS: x\n",
	    "bad profile name 'rfc1081,'" },
	{ "proto: pop3\nprofile: rfc1081 rfc1225 rfc1081\nS: x\n",
	    "profile 'rfc1081' listed twice" },
	{ "proto: pop3\nprofile: rfc1081\nprofile: rfc1225\nS: x\n",
	    "given twice" },
};

START_TEST(test_parse_errors)
{
	struct tcase tc;
	char err[256] = "";

	ck_assert_int_eq(parse(bad_transcripts[_i].text, &tc, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, bad_transcripts[_i].err) != NULL,
	    "case %d: error '%s' lacks '%s'", _i, err,
	    bad_transcripts[_i].err);
}
END_TEST

static const struct {
	const char	*pat, *s;
	int		 match;
} globs[] = {
	{ "+OK", "+OK", 1 },
	{ "+OK", "+OK ", 0 },
	{ "+OK*", "+OK 3 messages", 1 },
	{ "+OK*", "+OK", 1 },
	{ "*", "", 1 },
	{ "-ERR [AUTH]*", "-ERR [AUTH] Authentication failed.", 1 },
	{ "-ERR [AUTH]*", "-ERR [IN-USE] locked", 0 },
	{ "a*b*c", "aXXbYYc", 1 },
	{ "a*b*c", "aXXbYY", 0 },
	{ "a*c", "abcbc", 1 },
	{ "\\*", "*", 1 },
	{ "\\*", "x", 0 },
	{ "a\\\\b", "a\\b", 1 },
	{ "a\\b", "a\\b", 1 },
	{ "?", "?", 1 },
	{ "?", "x", 0 },
};

START_TEST(test_glob)
{
	ck_assert_msg(glob_match(globs[_i].pat, globs[_i].s) == globs[_i].match,
	    "glob '%s' on '%s'", globs[_i].pat, globs[_i].s);
}
END_TEST

START_TEST(test_regex)
{
	char err[128];

	ck_assert_int_eq(regex_search("^\\+OK( |$)", "+OK", err,
	    sizeof(err)), 1);
	ck_assert_int_eq(regex_search("^\\+OK( |$)", "+OKAY", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(regex_search("(", "x", err, sizeof(err)), -1);
}
END_TEST

static struct run_ctx *
ctx_new(void)
{
	static struct run_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.fd = -1;
	ctx.user = "alice";
	ctx.pass = "s*cr\\t";
	ctx.timeout_ms = 2000;
	ctx.fx = fixture_get("basic");
	return &ctx;
}

START_TEST(test_expand)
{
	struct run_ctx *ctx = ctx_new();
	const struct fixture *fx = ctx->fx;
	char *out, err[256], want[128];
	size_t len;

	ck_assert_int_eq(expand_vars("USER ${user}", EXPAND_RAW, ctx, &out,
	    &len, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "USER alice");
	free(out);
	/* A value is escaped for the pattern it lands in. */
	ck_assert_int_eq(expand_vars("${pass}", EXPAND_GLOB, ctx, &out, &len,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out, "s\\*cr\\\\t");
	free(out);
	ck_assert_int_eq(expand_vars("${pass}", EXPAND_REGEX, ctx, &out, &len,
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out, "s\\*cr\\\\t");
	free(out);
	snprintf(want, sizeof(want), "+OK %zu %zu %zu", fx->nmsgs,
	    fx->msgs[0].wirelen + fx->msgs[1].wirelen + fx->msgs[2].wirelen,
	    fx->msgs[0].wirelen + fx->msgs[2].wirelen);
	ck_assert_int_eq(expand_vars("+OK ${count} ${total} ${sum:1,3}",
	    EXPAND_GLOB, ctx, &out, &len, err, sizeof(err)), 0);
	ck_assert_str_eq(out, want);
	free(out);
	ck_assert_int_eq(expand_vars("${repeat:3:ab}\\r\\n\\x41\\$",
	    EXPAND_RAW | EXPAND_ESCAPES, ctx, &out, &len, err, sizeof(err)),
	    0);
	ck_assert_str_eq(out, "ababab\r\nA$");
	free(out);
	ck_assert_int_eq(expand_vars("${size:4}", 0, ctx, &out, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(expand_vars("${nope}", 0, ctx, &out, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(expand_vars("${uid:1}", 0, ctx, &out, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(expand_vars("${apop}", 0, ctx, &out, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(expand_vars("${user", 0, ctx, &out, &len, err,
	    sizeof(err)), -1);
	ck_assert_int_eq(expand_vars("\\q", EXPAND_ESCAPES, ctx, &out, &len,
	    err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_apop_rfc_example)
{
	char hex[33];

	/* RFC 1939 §7 APOP example. */
	ck_assert_int_eq(apop_digest("<1896.697170952@dbc.mtview.ca.us>",
	    "tanstaaf", hex), 0);
	ck_assert_str_eq(hex, "c4c9334bac560ecc979e58001b3e22fb");
}
END_TEST

/* ${apop-user}, ${apop-pass} and ${apop} follow --apop-user when given
 * and --user otherwise; ${apop1} is always --user's digest. */
START_TEST(test_expand_apop_user)
{
	struct run_ctx *ctx = ctx_new();
	char *out, err[256], want[33];
	size_t len;

	ctx->pass = "tanstaaf";
	snprintf(ctx->timestamp, sizeof(ctx->timestamp), "%s",
	    "<1896.697170952@dbc.mtview.ca.us>");
	ck_assert_int_eq(expand_vars("APOP ${apop-user} ${apop}", 0, ctx,
	    &out, &len, err, sizeof(err)), 0);
	ck_assert_str_eq(out, "APOP alice c4c9334bac560ecc979e58001b3e22fb");
	free(out);
	ctx->apop_user = "carol";
	ctx->apop_pass = "other";
	ck_assert_int_eq(apop_digest(ctx->timestamp, "other", want), 0);
	ck_assert_int_eq(expand_vars("${apop-user}:${apop-pass}:${apop}", 0,
	    ctx, &out, &len, err, sizeof(err)), 0);
	ck_assert_int_eq(strncmp(out, "carol:other:", 12), 0);
	ck_assert_str_eq(out + 12, want);
	free(out);
	ck_assert_int_eq(expand_vars("${apop1}", 0, ctx, &out, &len, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "c4c9334bac560ecc979e58001b3e22fb");
	free(out);
}
END_TEST

static const struct {
	const char	*in, *wire;
} norm[] = {
	{ "a\nb\n", "a\r\nb\r\n" },
	{ "a\r\nb\r\n", "a\r\nb\r\n" },
	{ "a\nb", "a\r\nb\r\n" },
	{ "a\r\nb", "a\r\nb\r\n" },
	{ "\n", "\r\n" },
	{ "", "" },
	{ "a\rb\n", "a\rb\r\n" },
};

START_TEST(test_normalise)
{
	unsigned char *out;
	size_t n;

	n = wire_normalise((const unsigned char *)norm[_i].in,
	    strlen(norm[_i].in), &out);
	ck_assert_uint_eq(n, strlen(norm[_i].wire));
	ck_assert(memcmp(out, norm[_i].wire, n) == 0);
	free(out);
}
END_TEST

START_TEST(test_stuff_top_quote)
{
	const char *w = "H: 1\r\n\r\n.a\r\nb\r\n.\r\n";
	unsigned char *out;
	size_t n;

	n = wire_stuff((const unsigned char *)w, strlen(w), &out);
	ck_assert_uint_eq(n, strlen("H: 1\r\n\r\n..a\r\nb\r\n..\r\n.\r\n"));
	ck_assert(memcmp(out, "H: 1\r\n\r\n..a\r\nb\r\n..\r\n.\r\n", n) == 0);
	free(out);
	ck_assert_uint_eq(wire_top((const unsigned char *)w, strlen(w), 0), 8);
	ck_assert_uint_eq(wire_top((const unsigned char *)w, strlen(w), 1),
	    12);
	ck_assert_uint_eq(wire_top((const unsigned char *)w, strlen(w), 99),
	    strlen(w));
	/* No blank line: the whole message is header. */
	ck_assert_uint_eq(wire_top((const unsigned char *)"H: 1\r\n", 6, 0),
	    6);
	n = mboxrd_quote((const unsigned char *)"From a\n>From b\nxFrom c\n"
	    "From\n", 27, &out);
	ck_assert_uint_eq(n, 29);
	ck_assert(memcmp(out, ">From a\n>>From b\nxFrom c\nFrom\n", n) == 0);
	free(out);
}
END_TEST

START_TEST(test_hard_corpus)
{
	const struct fixture *fx = fixture_get("hard");
	const struct fmsg *last = NULL;
	int big = 0, nonl = 0;

	ck_assert_ptr_nonnull(fx);
	for (size_t i = 0; i < fx->nmsgs; i++) {
		const struct fmsg *m = &fx->msgs[i];

		ck_assert(m->wirelen >= 2);
		ck_assert(memcmp(m->wire + m->wirelen - 2, "\r\n", 2) == 0);
		if (strcmp(m->name, "big") == 0) {
			big = 1;
			ck_assert_uint_eq(m->rawlen, 1024 * 1024);
		}
		if (strcmp(m->name, "nonl") == 0) {
			nonl = 1;
			ck_assert(m->raw[m->rawlen - 1] != '\n');
			size_t lf = 0;

			for (size_t j = 0; j < m->rawlen; j++)
				lf += m->raw[j] == '\n';
			/* Each LF gains a CR; the last line gains CRLF. */
			ck_assert_uint_eq(m->wirelen, m->rawlen + lf + 2);
		}
		last = m;
	}
	ck_assert(big && nonl && last != NULL);
	ck_assert_ptr_null(fixture_get("no-such-fixture"));
}
END_TEST

/* RFC 6856 §2.1: message 1's header section holds raw UTF-8, message
 * 2 is ASCII throughout. */
static int
raw_has(const struct fmsg *m, size_t limit, const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0; i + n <= limit; i++)
		if (memcmp(m->raw + i, s, n) == 0)
			return 1;
	return 0;
}

START_TEST(test_utf8hdr_corpus)
{
	const struct fixture *fx = fixture_get("utf8hdr");
	const struct fmsg *m;
	size_t hdr;

	ck_assert_ptr_nonnull(fx);
	ck_assert_uint_eq(fx->nmsgs, 2);
	m = &fx->msgs[0];
	/* Both fields lie before the blank line: in the header section. */
	for (hdr = 0; hdr + 1 < m->rawlen; hdr++)
		if (m->raw[hdr] == '\n' && m->raw[hdr + 1] == '\n')
			break;
	ck_assert_uint_lt(hdr + 1, m->rawlen);
	ck_assert(raw_has(m, hdr + 1,
	    "From: J\xc3\xbcrgen <juergen@example.org>\n"));
	ck_assert(raw_has(m, hdr + 1, "Subject: Gr\xc3\xbc\xc3\x9f" "e\n"));
	m = &fx->msgs[1];
	for (size_t i = 0; i < m->rawlen; i++)
		ck_assert_uint_lt(m->raw[i], 0x80);
}
END_TEST

/* --- executor against a scripted server -------------------------------- */

static enum result_kind
run_script(const char *transcript, const char *server_says, int close_after,
    struct result *res)
{
	struct run_ctx *ctx = ctx_new();
	struct tcase tc;
	char err[256];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], server_says, strlen(server_says)),
	    (ssize_t)strlen(server_says));
	if (close_after)
		shutdown(sv[1], SHUT_WR);
	ck_assert_msg(parse(transcript, &tc, err, sizeof(err)) == 0, "%s",
	    err);
	ctx->fd = sv[0];
	ctx->timeout_ms = 300;
	run_case(&tc, ctx, res);
	tcase_free(&tc);
	close(sv[0]);
	close(sv[1]);
	return res->kind;
}

static const char *login =
    "proto: pop3\n@greeting\n@login\nC: STAT\nS: +OK ${count} ${total}\n";

static char *
basic_server(const char *stat_reply)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "+OK ready <1.2@h>\r\n+OK\r\n+OK in\r\n%s",
	    stat_reply);
	return buf;
}

START_TEST(test_exec_good)
{
	const struct fixture *fx = fixture_get("basic");
	struct result res;
	char stat[64];

	snprintf(stat, sizeof(stat), "+OK 3 %zu\r\n", fx->msgs[0].wirelen +
	    fx->msgs[1].wirelen + fx->msgs[2].wirelen);
	ck_assert_int_eq(run_script(login, basic_server(stat), 0, &res),
	    RESULT_OK);
}
END_TEST

/* "@require capa TAG": runs on when CAPA lists TAG, skips otherwise. */
START_TEST(test_exec_require_capa)
{
	struct result res;
	const char *t = "proto: pop3\n@greeting\n@require capa UTF8\n"
	    "C: UTF8\nS+\n";

	ck_assert_int_eq(run_script(t, "+OK hi\r\n+OK caps\r\nTOP\r\n"
	    "utf8 USER\r\n.\r\n+OK on\r\n", 0, &res), RESULT_OK);
	ck_assert_int_eq(run_script(t, "+OK hi\r\n+OK caps\r\nUTF8X\r\n"
	    ".\r\n", 0, &res), RESULT_SKIP);
	ck_assert_msg(strstr(res.msg, "does not announce UTF8") != NULL, "%s",
	    res.msg);
	ck_assert_int_eq(run_script(t, "+OK hi\r\n-ERR what\r\n", 0, &res),
	    RESULT_SKIP);
	ck_assert_msg(strstr(res.msg, "CAPA refused") != NULL, "%s", res.msg);
	/* A list that never ends is a failure, not a hang or a skip. */
	ck_assert_int_eq(run_script(t, "+OK hi\r\n+OK caps\r\nTOP\r\n", 0,
	    &res), RESULT_FAIL);
}
END_TEST

START_TEST(test_exec_wrong_reply)
{
	struct result res;

	ck_assert_int_eq(run_script(login, basic_server("+OK 3 1\r\n"), 0,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 7 expected '+OK 3 ") != NULL &&
	    strstr(res.msg, "got '+OK 3 1'") != NULL, "%s", res.msg);
	ck_assert_msg(strstr(res.msg, "[line 5]") != NULL, "%s", res.msg);
}
END_TEST

START_TEST(test_exec_early_close)
{
	struct result res;

	ck_assert_int_eq(run_script(login, "+OK hi\r\n+OK\r\n", 1, &res),
	    RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "connection closed by server") != NULL,
	    "%s", res.msg);
}
END_TEST

START_TEST(test_exec_hang)
{
	struct result res;

	ck_assert_int_eq(run_script(login, "+OK hi\r\n", 0, &res),
	    RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "got nothing") != NULL, "%s", res.msg);
}
END_TEST

START_TEST(test_exec_bare_lf_reply)
{
	struct result res;

	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n", "+OK hi\n", 0,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "not terminated by CRLF") != NULL, "%s",
	    res.msg);
}
END_TEST

START_TEST(test_exec_retr)
{
	const struct fmsg *m = &fixture_get("basic")->msgs[1];
	const char *t = "proto: pop3\nS+\nC: RETR 2\nS+\nS> retr 2\n";
	struct result res;
	char buf[2048];
	unsigned char *st;
	size_t n;

	n = wire_stuff(m->wire, m->wirelen, &st);
	snprintf(buf, sizeof(buf), "+OK\r\n+OK\r\n%.*s", (int)n, st);
	ck_assert_int_eq(run_script(t, buf, 0, &res), RESULT_OK);
	/* One wrong octet in the body. */
	buf[strlen(buf) - 10] ^= 1;
	ck_assert_int_eq(run_script(t, buf, 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "differs at octet") != NULL, "%s",
	    res.msg);
	/* Missing terminator. */
	snprintf(buf, sizeof(buf), "+OK\r\n+OK\r\n%.*s", (int)n - 3, st);
	ck_assert_int_eq(run_script(t, buf, 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "connection closed by server") != NULL,
	    "%s", res.msg);
	free(st);
}
END_TEST

START_TEST(test_exec_listings)
{
	const struct fixture *fx = fixture_get("basic");
	const char *t = "proto: pop3\nS+\nC: LIST\nS+\nS> list\nC: UIDL\nS+\n"
	    "S> uidl\nC: UIDL 2\nS: +OK 2 ${uid:2}\n";
	struct result res;
	char buf[512];

	snprintf(buf, sizeof(buf), "+OK\r\n+OK\r\n1 %zu\r\n2 %zu trailing\r\n"
	    "3 %zu\r\n.\r\n+OK\r\n1 a\r\n2 b*\r\n3 c\r\n.\r\n+OK 2 b*\r\n",
	    fx->msgs[0].wirelen, fx->msgs[1].wirelen, fx->msgs[2].wirelen);
	ck_assert_int_eq(run_script(t, buf, 0, &res), RESULT_OK);
	/* Duplicate unique-ids are reported. */
	snprintf(buf, sizeof(buf), "+OK\r\n+OK\r\n1 %zu\r\n2 %zu\r\n3 %zu\r\n"
	    ".\r\n+OK\r\n1 a\r\n2 a\r\n3 c\r\n.\r\n", fx->msgs[0].wirelen,
	    fx->msgs[1].wirelen, fx->msgs[2].wirelen);
	ck_assert_int_eq(run_script(t, buf, 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "uid of message 1") != NULL, "%s",
	    res.msg);
}
END_TEST

START_TEST(test_exec_eof_and_skip)
{
	struct result res;

	ck_assert_int_eq(run_script("proto: pop3\nS+\nS! closed\n",
	    "+OK\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "still open") != NULL, "%s", res.msg);
	ck_assert_int_eq(run_script("proto: pop3\nS+\nS! closed\n",
	    "+OK\r\n", 1, &res), RESULT_OK);
	ck_assert_int_eq(run_script("proto: pop3\nS+\n@require apop\n",
	    "+OK no timestamp\r\n", 0, &res), RESULT_SKIP);
	ck_assert_int_eq(run_script("proto: pop3\nS+\n@require apop\n"
	    "C: APOP ${user} ${apop}\nS+\n", "+OK <1.2@h>\r\n+OK\r\n", 0, &res),
	    RESULT_OK);
}
END_TEST


/* --- POP2 (RFC 937) and POP1 (RFC 918) ---------------------------------- */

START_TEST(test_parse_pop2)
{
	struct tcase tc;
	char err[256];
	const char *t =
	    "proto: pop2\n"
	    "folder: Work hard\n"
	    "folder: Other basic\n"
	    "@greeting\n"
	    "@login\n"
	    "S+\n"
	    "S-\n"
	    "S# ${count}\n"
	    "S= *\n"
	    "S> data 2\n"
	    "S> data hard:1,3\n"
	    "S> data all\n"
	    "S> data any\n"
	    "@as pop3\n"
	    "S+\n"
	    "@switch second\n"
	    "@quit\n";

	ck_assert_msg(parse(t, &tc, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(tc.folders, "Work=hard,Other=basic");
	ck_assert_int_eq(tc.second, 1);
	ck_assert_uint_eq(tc.nsteps, 17);
	ck_assert_str_eq(tc.steps[0].text,
	    "^\\+ POP2 [A-Za-z]([-A-Za-z0-9.]*[A-Za-z0-9])?( |$)");
	ck_assert_str_eq(tc.steps[1].text, "HELO ${user} ${pass}");
	ck_assert_str_eq(tc.steps[2].text, "^#[0-9]+( |$)");
	ck_assert_str_eq(tc.steps[3].text, "^\\+");
	ck_assert_str_eq(tc.steps[4].text, "^-");
	ck_assert_int_eq(tc.steps[5].kind, STEP_EXPECT_EOF);
	ck_assert_str_eq(tc.steps[6].text, "^#${count}( |$)");
	ck_assert_str_eq(tc.steps[7].text, "^=[0-9]+( |$)");
	ck_assert_int_eq(tc.steps[8].kind, STEP_EXPECT_DATA);
	ck_assert_int_eq(tc.steps[8].nums[0], DATA_MSGS);
	ck_assert_int_eq(tc.steps[8].nums[1], 2);
	ck_assert_ptr_null(tc.steps[8].text);
	ck_assert_str_eq(tc.steps[9].text, "hard");
	ck_assert_int_eq(tc.steps[9].nnums, 3);
	ck_assert_int_eq(tc.steps[9].nums[2], 3);
	ck_assert_int_eq(tc.steps[10].nums[0], DATA_ALL);
	ck_assert_int_eq(tc.steps[11].nums[0], DATA_ANY);
	ck_assert_str_eq(tc.steps[12].text, "^\\+OK( |$)");
	ck_assert_int_eq(tc.steps[13].kind, STEP_SWITCH);
	/* @quit in the POP3 dialect now. */
	ck_assert_str_eq(tc.steps[15].text, "^\\+OK( |$)");
	tcase_free(&tc);

	/* POP1 keeps +OK / -ERR and USER / PASS. */
	ck_assert_msg(parse("proto: pop1\n@greeting\n@login\nS-\nS# *\n", &tc,
	    err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(tc.nsteps, 7);
	ck_assert_str_eq(tc.steps[0].text, "^\\+OK( |$)");
	ck_assert_str_eq(tc.steps[1].text, "USER ${user}");
	ck_assert_str_eq(tc.steps[5].text, "^-ERR( |$)");
	ck_assert_str_eq(tc.steps[6].text, "^#[0-9]+( |$)");
	tcase_free(&tc);

	ck_assert_int_lt(parse("proto: pop2\nfolder: X nosuch\nS+\n", &tc,
	    err, sizeof(err)), 0);
	ck_assert_int_lt(parse("proto: pop2\nfolder: .X basic\nS+\n", &tc,
	    err, sizeof(err)), 0);
	ck_assert_int_eq(parse("proto: pop2\nfolder: My Work basic\nS+\n",
	    &tc, err, sizeof(err)), 0);
	ck_assert_str_eq(tc.folders, "My Work=basic");
	tcase_free(&tc);
	ck_assert_int_lt(parse("proto: pop2\nS> data 0\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_int_lt(parse("proto: pop2\nS> data nosuch:1\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_int_lt(parse("proto: pop2\n@switch third\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_int_lt(parse("proto: pop2\nS#\n", &tc, err,
	    sizeof(err)), 0);
}
END_TEST

/* A POP2 server: greeting, #3 for HELO, =size for READ 2, then RETR. */
static char *
pop2_server(const unsigned char *data, size_t len, size_t announced)
{
	static char buf[4096];
	int n;

	n = snprintf(buf, sizeof(buf), "+ POP2 h.example ready\r\n#3 msgs\r\n"
	    "=%zu chars\r\n", announced);
	memcpy(buf + n, data, len);
	buf[n + len] = '\0';
	strcat(buf, "=0 no more\r\n+ bye\r\n");
	return buf;
}

static const char *pop2_case =
    "proto: pop2\n@greeting\n@login\nC: READ 2\nS= ${size:2}\nC: RETR\n"
    "S> data 2\nC: ACKS\nS= 0\n@quit\n";

START_TEST(test_exec_pop2_data)
{
	const struct fmsg *m = &fixture_get("basic")->msgs[1];
	unsigned char copy[2048];
	struct result res;

	ck_assert_int_eq(run_script(pop2_case, pop2_server(m->wire,
	    m->wirelen, m->wirelen), 1, &res), RESULT_OK);
	/* One octet wrong. */
	memcpy(copy, m->wire, m->wirelen);
	copy[m->wirelen / 2] ^= 1;
	ck_assert_int_eq(run_script(pop2_case, pop2_server(copy, m->wirelen,
	    m->wirelen), 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "message data differs at octet") !=
	    NULL, "%s", res.msg);
	/* A POP3-style server: dot-stuffed and terminated (8 octets more),
	 * the data are then followed by ".\r\n" where "=0" belongs. */
	memcpy(copy, m->wire, m->wirelen);
	memcpy(copy + m->wirelen, ".\r\n", 3);
	ck_assert_int_eq(run_script(pop2_case, pop2_server(copy, m->wirelen
	    + 3, m->wirelen), 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 9 expected '^=0( |$)' got '.'")
	    != NULL, "%s", res.msg);
	/* A length that is not the wire size (LF counted as one). */
	ck_assert_int_eq(run_script(pop2_case, pop2_server(m->wire,
	    m->wirelen, m->wirelen - 3), 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 5 expected '^=") != NULL,
	    "%s", res.msg);
	/* Data cut short, then closed. */
	ck_assert_int_eq(run_script("proto: pop2\nS+\nS= *\nS> data any\n",
	    "+\r\n=10\r\n12345", 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "connection closed by server after 5")
	    != NULL, "%s", res.msg);
	/* No length announced. */
	ck_assert_int_eq(run_script("proto: pop2\nS+\nS> data any\n",
	    "+\r\n", 1, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "no '=nnn' or '#nnn'") != NULL, "%s",
	    res.msg);
	/* POP1: "#xxx" then the whole mailbox. */
	{
		const struct fixture *fx = fixture_get("basic");
		char buf[4096];
		size_t tot = 0, n;

		for (size_t i = 0; i < fx->nmsgs; i++)
			tot += fx->msgs[i].wirelen;
		n = (size_t)snprintf(buf, sizeof(buf), "+OK\r\n#%zu\r\n", tot);
		for (size_t i = 0; i < fx->nmsgs; i++) {
			memcpy(buf + n, fx->msgs[i].wire, fx->msgs[i].wirelen);
			n += fx->msgs[i].wirelen;
		}
		buf[n] = '\0';
		ck_assert_int_eq(run_script("proto: pop1\nS+\nS# ${total}\n"
		    "S> data all\n", buf, 1, &res), RESULT_OK);
		/* RCEV: an optional "+OK" before the data, either way. */
		ck_assert_int_eq(run_script("proto: pop1\nS+\nS# ${total}\n"
		    "S? +OK\nS> data all\n", buf, 1, &res), RESULT_OK);
	}
	{
		const struct fmsg *h5 = &fixture_get("hard")->msgs[4];
		char buf[4096];
		int n;

		n = snprintf(buf, sizeof(buf), "+OK\r\n#%zu\r\n+OK here\r\n",
		    h5->wirelen);
		memcpy(buf + n, h5->wire, h5->wirelen);
		buf[n + h5->wirelen] = '\0';
		ck_assert_int_eq(run_script("proto: pop1\nS+\n"
		    "S# ${size:hard:5}\nS? +OK\nS> data hard:5\n", buf, 1,
		    &res), RESULT_OK);
		/* After "#0" silence means no status line (no 10 s wait). */
		ck_assert_int_eq(run_script("proto: pop1\nS+\nS# 0\nS? +OK\n"
		    "S> data any\nC: RCVD\n", "+OK\r\n#0\r\n", 0, &res),
		    RESULT_OK);
		/* Without the S? step, "+OK here" is taken as data. */
		ck_assert_int_eq(run_script("proto: pop1\nS+\n"
		    "S# ${size:hard:5}\nS> data hard:5\n", buf, 1, &res),
		    RESULT_FAIL);
		ck_assert_msg(strstr(res.msg, "differs at octet 0") != NULL,
		    "%s", res.msg);
	}
}
END_TEST

START_TEST(test_exec_pop2_error_closes)
{
	struct result res;

	/* RFC 937 action 1: "- error" and close.  A server that stays open
	 * after '-' fails. */
	ck_assert_int_eq(run_script("proto: pop2\nS+\nC: RETR\nS-\n",
	    "+ POP2 h\r\n- no message\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "still open") != NULL, "%s", res.msg);
	ck_assert_int_eq(run_script("proto: pop2\nS+\nC: RETR\nS-\n",
	    "+ POP2 h\r\n- no message\r\n", 1, &res), RESULT_OK);
	/* "+OK" is a '+' reply; a "-ERR" is not a '#' count. */
	ck_assert_int_eq(run_script("proto: pop2\n@greeting\n@login\n",
	    "+ POP2 h.example\r\n-ERR no\r\n", 1, &res), RESULT_FAIL);
	ck_assert_int_eq(run_script("proto: pop2\n@greeting\n",
	    "+OK POP3 ready\r\n", 1, &res), RESULT_FAIL);
}
END_TEST

/* --- TLS: a toy POP3 server thread on a socketpair ------------------- */

/* A self-signed P-256 certificate for localhost and 127.0.0.1. */
static void
make_cert(X509 **certp, EVP_PKEY **keyp)
{
	static long serial = 1;
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	X509_EXTENSION *ext;
	X509V3_CTX v3;

	ck_assert(k != NULL && x != NULL);
	ck_assert(X509_set_version(x, 2) == 1);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	ck_assert(X509_set_pubkey(x, k) == 1);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	ck_assert(X509_set_issuer_name(x, n) == 1);
	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name,
	    "DNS:localhost,IP:127.0.0.1");
	ck_assert(ext != NULL && X509_add_ext(x, ext, -1) == 1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints,
	    "critical,CA:TRUE");
	ck_assert(ext != NULL && X509_add_ext(x, ext, -1) == 1);
	X509_EXTENSION_free(ext);
	ck_assert(X509_sign(x, k, EVP_sha256()) > 0);
	*certp = x;
	*keyp = k;
}

/* Writes a certificate as PEM to a temporary file (for --cafile). */
static char *
write_pem(X509 *x)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/conform-ca-XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert(PEM_write_X509(f, x) == 1);
	fclose(f);
	return path;
}

#define TOY_STLS	0	/* greeting, STLS, +OK, then TLS */
#define TOY_IMPLICIT	1	/* TLS at once, then the greeting */

struct toy {
	int		 fd;
	int		 mode;
	X509		*cert;
	EVP_PKEY	*key;
	int		 stls_seen;	/* STLS commands received */
	int		 handshakes;	/* completed */
};

static void
toy_write(SSL *ssl, int fd, const char *str)
{
	if (ssl != NULL)
		(void)SSL_write(ssl, str, (int)strlen(str));
	else
		(void)!write(fd, str, strlen(str));
}

/* One line, octet by octet (so nothing is read past it); -1 at EOF. */
static int
toy_line(SSL *ssl, int fd, char *buf, size_t cap)
{
	size_t n = 0;
	char c;

	while (n + 1 < cap) {
		if ((ssl != NULL ? SSL_read(ssl, &c, 1) : read(fd, &c, 1)) != 1)
			return -1;
		buf[n++] = c;
		if (c == '\n')
			break;
	}
	buf[n] = '\0';
	return (int)n;
}

static void *
toy_server(void *arg)
{
	struct toy *t = arg;
	SSL_CTX *c = SSL_CTX_new(TLS_server_method());
	SSL *ssl = NULL;
	char line[512];

	if (c == NULL || SSL_CTX_use_certificate(c, t->cert) != 1 ||
	    SSL_CTX_use_PrivateKey(c, t->key) != 1)
		goto out;
	if (t->mode == TOY_STLS) {
		toy_write(NULL, t->fd, "+OK toy <1.2@h>\r\n");
		if (toy_line(NULL, t->fd, line, sizeof(line)) < 0 ||
		    strcmp(line, "STLS\r\n") != 0)
			goto out;
		t->stls_seen++;
		toy_write(NULL, t->fd, "+OK Begin TLS negotiation\r\n");
	}
	ssl = SSL_new(c);
	if (ssl == NULL || SSL_set_fd(ssl, t->fd) != 1 || SSL_accept(ssl) != 1)
		goto out;
	t->handshakes++;
	if (t->mode == TOY_IMPLICIT)
		toy_write(ssl, t->fd, "+OK toy <1.2@h>\r\n");
	while (toy_line(ssl, t->fd, line, sizeof(line)) > 0) {
		if (strncmp(line, "QUIT", 4) == 0) {
			toy_write(ssl, t->fd, "+OK bye\r\n");
			break;
		}
		toy_write(ssl, t->fd, strncmp(line, "STAT", 4) == 0 ?
		    "+OK 0 0\r\n" : "+OK\r\n");
	}
out:
	if (ssl != NULL) {
		(void)SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	SSL_CTX_free(c);
	ERR_clear_error();
	shutdown(t->fd, SHUT_RDWR);
	return NULL;
}

static const char *toy_case =
    "proto: pop3\n"
    "S: +OK toy <1.2@h>\n"
    "@require apop\n"
    "@login\n"
    "C: STAT\n"
    "S: +OK 0 0\n"
    "@quit\n";

/*
 * Runs toy_case over TLS against a toy server with certificate SERVED
 * (the runner trusts TRUSTED; NULL: --insecure); NAME: the name checked.
 */
static enum result_kind
run_tls(int mode, X509 *served, EVP_PKEY *key, X509 *trusted,
    const char *name, struct toy *t, struct result *res)
{
	struct run_ctx *ctx = ctx_new();
	struct tcase tc;
	pthread_t th;
	char err[256], *ca = NULL;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	memset(t, 0, sizeof(*t));
	t->fd = sv[1];
	t->mode = mode;
	t->cert = served;
	t->key = key;
	ck_assert_int_eq(pthread_create(&th, NULL, toy_server, t), 0);
	ck_assert_msg(parse(toy_case, &tc, err, sizeof(err)) == 0, "%s", err);
	if (trusted != NULL)
		ca = write_pem(trusted);
	ctx->fd = sv[0];
	ctx->host = name;
	ctx->tls = mode == TOY_STLS ? TLS_STLS : TLS_IMPLICIT;
	ctx->cafile = ca;
	ctx->insecure = trusted == NULL;
	ctx->timeout_ms = 2000;
	run_case(&tc, ctx, res);
	shutdown(sv[0], SHUT_RDWR);
	pthread_join(th, NULL);
	run_ctx_free(ctx);
	tcase_free(&tc);
	close(sv[0]);
	close(sv[1]);
	if (ca != NULL)
		unlink(ca);
	return res->kind;
}

/* --stls: STLS once, the greeting replayed (glob and APOP timestamp). */
START_TEST(test_tls_stls_replays_greeting)
{
	struct result res;
	struct toy t;
	X509 *x;
	EVP_PKEY *k;

	make_cert(&x, &k);
	ck_assert_msg(run_tls(TOY_STLS, x, k, x, "localhost", &t, &res) ==
	    RESULT_OK, "%s", res.msg);
	ck_assert_int_eq(t.stls_seen, 1);
	ck_assert_int_eq(t.handshakes, 1);
	/* By address too: the certificate names IP 127.0.0.1. */
	ck_assert_msg(run_tls(TOY_STLS, x, k, x, "127.0.0.1", &t, &res) ==
	    RESULT_OK, "%s", res.msg);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

START_TEST(test_tls_implicit)
{
	struct result res;
	struct toy t;
	X509 *x;
	EVP_PKEY *k;

	make_cert(&x, &k);
	ck_assert_msg(run_tls(TOY_IMPLICIT, x, k, x, "localhost", &t, &res) ==
	    RESULT_OK, "%s", res.msg);
	ck_assert_int_eq(t.stls_seen, 0);
	ck_assert_int_eq(t.handshakes, 1);
	/* --insecure: any certificate, any name. */
	ck_assert_msg(run_tls(TOY_IMPLICIT, x, k, NULL, "elsewhere.example",
	    &t, &res) == RESULT_OK, "%s", res.msg);
	X509_free(x);
	EVP_PKEY_free(k);
}
END_TEST

/* A certificate --cafile does not vouch for, or for another name: FAIL. */
START_TEST(test_tls_wrong_certificate)
{
	struct result res;
	struct toy t;
	X509 *x, *other;
	EVP_PKEY *k, *otherk;

	make_cert(&x, &k);
	make_cert(&other, &otherk);
	ck_assert_int_eq(run_tls(TOY_IMPLICIT, x, k, other, "localhost", &t,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "TLS handshake failed: server "
	    "certificate not verified") != NULL && strstr(res.msg, "step 1")
	    != NULL, "%s", res.msg);
	ck_assert_int_eq(t.handshakes, 0);
	ck_assert_int_eq(run_tls(TOY_STLS, x, k, other, "localhost", &t,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "certificate not verified") != NULL,
	    "%s", res.msg);
	ck_assert_int_eq(run_tls(TOY_STLS, x, k, x, "mail.example", &t,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "hostname mismatch") != NULL &&
	    strstr(res.msg, "mail.example") != NULL, "%s", res.msg);
	X509_free(x);
	EVP_PKEY_free(k);
	X509_free(other);
	EVP_PKEY_free(otherk);
}
END_TEST

/* A server that never finishes the handshake, or refuses STLS: FAIL. */
START_TEST(test_tls_stalls_and_refusals)
{
	struct run_ctx *ctx;
	struct result res;
	struct tcase tc;
	char err[256];
	int sv[2];
	static const struct {
		int		 tls;
		const char	*says;
		const char	*want;
	} tries[] = {
		{ TLS_IMPLICIT, "", "TLS handshake failed: not finished "
		    "within 300 ms" },
		{ TLS_STLS, "+OK hi\r\n+OK go\r\n", "TLS handshake failed: "
		    "not finished within 300 ms" },
		{ TLS_STLS, "+OK hi\r\n-ERR no TLS here\r\n", "--stls: STLS "
		    "refused: got '-ERR no TLS here\\r\\n'" },
		{ TLS_STLS, "+OK hi\r\n", "--stls: expected '+OK' to STLS got "
		    "nothing" },
		{ TLS_STLS, "-ERR busy\r\n", "--stls: expected a '+OK' "
		    "greeting got '-ERR busy" },
		{ TLS_STLS, "+OK hi\r\n+OK go\r\nNOOP\r\n", "6 octets came "
		    "after STLS's '+OK'" },
		{ TLS_IMPLICIT, "+OK this is not TLS\r\n", "TLS handshake "
		    "failed: " },
	};

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		ctx = ctx_new();
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		ck_assert_int_eq(write(sv[1], tries[i].says,
		    strlen(tries[i].says)), (ssize_t)strlen(tries[i].says));
		ck_assert_int_eq(parse(toy_case, &tc, err, sizeof(err)), 0);
		ctx->fd = sv[0];
		ctx->host = "localhost";
		ctx->tls = tries[i].tls;
		ctx->insecure = 1;
		ctx->timeout_ms = 300;
		run_case(&tc, ctx, &res);
		ck_assert_int_eq(res.kind, RESULT_FAIL);
		ck_assert_msg(strstr(res.msg, tries[i].want) != NULL,
		    "try %zu: %s", i, res.msg);
		run_ctx_free(ctx);
		tcase_free(&tc);
		close(sv[0]);
		close(sv[1]);
	}
}
END_TEST

/* Harness requests: server-options: joined, and who needs a certificate. */
START_TEST(test_parse_harness_requests)
{
	struct tcase tc;
	char err[256];

	ck_assert_int_eq(parse("proto: pop3\nserver-options: --expire 0\n"
	    "server-options: --login-delay 60\n@greeting\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(tc.server_options, "--expire 0 --login-delay 60");
	ck_assert(!tcase_wants_cert(&tc));
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\nserver-options:\n@greeting\n",
	    &tc, err, sizeof(err)), -1);
	ck_assert_int_eq(parse("proto: pop3\n@greeting\n@stls or skip\n",
	    &tc, err, sizeof(err)), 0);
	ck_assert(tcase_wants_cert(&tc));
	ck_assert_ptr_null(tc.server_options);
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\n@greeting\n"
	    "@require capa STLS\n", &tc, err, sizeof(err)), 0);
	ck_assert(tcase_wants_cert(&tc));
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\n@greeting\n@capa STLSX\n"
	    "@capa !STLS\n", &tc, err, sizeof(err)), 0);
	ck_assert(!tcase_wants_cert(&tc));
	tcase_free(&tc);
}
END_TEST

START_TEST(test_parse_tls_header)
{
	struct tcase tc;
	char err[256];

	ck_assert_int_eq(parse("proto: pop3\n@greeting\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(tc.notls);
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\ntls: no\n@greeting\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(tc.notls, "");
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\ntls: no  (needs the clear)\n"
	    "@greeting\n", &tc, err, sizeof(err)), 0);
	ck_assert_str_eq(tc.notls, "(needs the clear)");
	tcase_free(&tc);
	ck_assert_int_lt(parse("proto: pop3\ntls: yes\n@greeting\n", &tc,
	    err, sizeof(err)), 0);
	ck_assert_msg(strstr(err, "tls: wants 'no'") != NULL, "%s", err);
	ck_assert_int_lt(parse("proto: pop3\ntls: nope\n@greeting\n", &tc,
	    err, sizeof(err)), 0);
}
END_TEST

/* --- clauses, coverage and the --report matrix ------------------------- */

static const char *inv_text =
    "# comment\n"
    "RFC 1939 §5 The TRANSACTION State 6\n"
    "RFC 1939 §5 #1 REQUIRED: all POP3 servers are required to use a "
    "certain format for drop listings.\n"
    "RFC 1939 §5 STAT: STAT\n"
    "RFC 1939 §5 RETR: RETR msg\n"
    "RFC 2449 §6 Initial Set of Capabilities 0\n"
    "RFC 2449 §6.7 EXPIRE capability 5\n"
    "RFC 2595 §2.4 Server Identity Check 5\n"
    "RFC 937 §The-Protocol The Protocol 1\n";

static void
inv_load(struct inventory *inv)
{
	char err[256];

	ck_assert_msg(inventory_parse(inv, inv_text, strlen(inv_text), err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(inv->n, 8);
	ck_assert_int_eq(inv->v[0].nunits, 3);
	ck_assert_int_eq(inv->v[1].kind, CLAUSE_REQ);
	ck_assert_str_eq(inv->v[1].id, "RFC 1939 §5 #1");
	ck_assert_int_eq(inv->v[2].kind, CLAUSE_FORM);
	ck_assert_str_eq(inv->v[2].title, "STAT");
	ck_assert_int_eq(inv->v[3].section, 0);
	ck_assert(!CLAUSE_IS_UNIT(&inv->v[0]) && CLAUSE_IS_UNIT(&inv->v[4]));
}

START_TEST(test_clause_canon)
{
	char out[128], err[256];

	ck_assert_int_eq(clause_canon("RFC1939 §5", out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out, "RFC 1939 §5");
	ck_assert_int_eq(clause_canon("RFC 2449 §6.7", out, sizeof(out), err,
	    sizeof(err)), 0);
	ck_assert_int_eq(clause_canon("RFC 937 §The-Protocol", out,
	    sizeof(out), err, sizeof(err)), 0);
	ck_assert_int_eq(clause_canon("RFC 821 §4", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "unknown RFC 821") != NULL, "%s", err);
	ck_assert_int_eq(clause_canon("RFC 1939 §5x", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(clause_canon("RFC 1939 §5.", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(clause_canon("RFC 1939 5", out, sizeof(out), err,
	    sizeof(err)), -1);
	ck_assert_int_eq(clause_canon("RFC 1939 §5 RETR", out, sizeof(out),
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out, "RFC 1939 §5 RETR");
	ck_assert_int_eq(clause_canon("RFC1939 §5 #12", out, sizeof(out),
	    err, sizeof(err)), 0);
	ck_assert_str_eq(out, "RFC 1939 §5 #12");
	ck_assert_int_eq(clause_canon("RFC 1082 §The-XTND-Command "
	    "XTND-BBOARDS", out, sizeof(out), err, sizeof(err)), 0);
	ck_assert_int_eq(clause_canon("RFC 1939 §5 retr", out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "malformed") != NULL, "%s", err);
	ck_assert_int_eq(clause_canon("RFC 1939 §5 #0", out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_int_eq(clause_canon("RFC 1939 §5 #2x", out, sizeof(out),
	    err, sizeof(err)), -1);
	ck_assert_int_eq(clause_canon("RFC 1939 §5 RETR now", out,
	    sizeof(out), err, sizeof(err)), -1);
}
END_TEST

START_TEST(test_covers_header)
{
	struct tcase tc;
	char err[256];

	ck_assert_int_eq(parse("proto: pop3\ncovers: RFC 1939 §5\n"
	    "covers: RFC2449 §6.7\nS+\n", &tc, err, sizeof(err)), 0);
	ck_assert_uint_eq(tc.ncovers, 2);
	ck_assert_str_eq(tc.covers[0], "RFC 1939 §5");
	ck_assert_str_eq(tc.covers[1], "RFC 2449 §6.7");
	tcase_free(&tc);
	ck_assert_int_eq(parse("proto: pop3\ncovers: RFC 1234 §5\nS+\n", &tc,
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "line 2: covers: unknown RFC") != NULL,
	    "%s", err);
	ck_assert_int_eq(parse("proto: pop3\ncovers: RFC 1939 §§\nS+\n", &tc,
	    err, sizeof(err)), -1);
	ck_assert_msg(strstr(err, "malformed") != NULL, "%s", err);
}
END_TEST

START_TEST(test_coverage)
{
	struct inventory inv;
	struct tcase tc;
	char err[256], *out = NULL, *bad;
	size_t outlen = 0, n;
	int idx[8];
	FILE *f;
	const char *untestable = "# why\n"
	    "RFC 2595 §2.4: a client obligation\n";

	inv_load(&inv);
	ck_assert_int_eq(untestable_parse(&inv, untestable,
	    strlen(untestable), err, sizeof(err)), 0);
	bad = "RFC 2595 §9: not in the inventory\n";
	ck_assert_int_eq(untestable_parse(&inv, bad, strlen(bad), err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not in clauses.txt") != NULL, "%s", err);

	/* Derived: "§5 RETR" names the form; §6.7.1 falls back to §6.7;
	   RFC 4647 and "polypop" name no clause; a heading names a section
	   of an unnumbered RFC; "§5" alone is a heading with units: none. */
	ck_assert_int_eq(parse("proto: pop3\n"
	    "C: X  [RFC 1939 §5 RETR]\n"
	    "C: Y  [RFC 2449 §6.7.1: EXPIRE]\n"
	    "C: Z  [RFC 4647 §3.4]\n"
	    "C: W  [polypop: extra]\n"
	    "C: V  [RFC 1939 §5: drop listing]\n"
	    "C: U  [RFC 937 The Protocol: folders]\n", &tc, err,
	    sizeof(err)), 0);
	n = tcase_clauses(&tc, &inv, idx, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(inv.v[idx[0]].id, "RFC 1939 §5 RETR");
	ck_assert_str_eq(inv.v[idx[1]].id, "RFC 2449 §6.7");
	ck_assert_str_eq(inv.v[idx[2]].id, "RFC 937 §The-Protocol");
	coverage_add(&inv, "pop3/a", idx, n);
	tcase_free(&tc);

	/* covers: and the references add up. */
	ck_assert_int_eq(parse("proto: pop3\ncovers: RFC 2449 §6\n"
	    "covers: RFC 1939 §5 #1\n"
	    "C: X  [RFC 1939 §5 RETR]\n", &tc, err, sizeof(err)), 0);
	n = tcase_clauses(&tc, &inv, idx, 8);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(inv.v[idx[0]].id, "RFC 2449 §6");
	ck_assert_str_eq(inv.v[idx[1]].id, "RFC 1939 §5 #1");
	coverage_add(&inv, "pop3/b", idx, n);
	tcase_free(&tc);
	ck_assert_str_eq(inv.v[3].cases, "pop3/a, pop3/b");

	/* A case naming only a heading is listed as naming no clause. */
	ck_assert_int_eq(parse("proto: pop3\ncovers: RFC 1939 §5\nS+\n",
	    &tc, err, sizeof(err)), 0);
	n = tcase_clauses(&tc, &inv, idx, 8);
	ck_assert_uint_eq(n, 0);
	coverage_add(&inv, "pop3/c", idx, n);
	tcase_free(&tc);
	ck_assert_uint_eq(coverage_missing(&inv), 1);	/* §5 STAT */

	f = open_memstream(&out, &outlen);
	coverage_write(f, &inv);
	fclose(f);
	ck_assert_msg(strstr(out, "| RFC 1939 | 1 | 2 | 0 | 2 | 0 | 1 |\n")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "| RFC 2449 | 0 | 0 | 2 | 2 | 0 | 0 |\n")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "| RFC 2595 | 0 | 0 | 1 | 0 | 1 | 0 |\n")
	    != NULL, "%s", out);
	ck_assert_msg(strstr(out, "| all | 1 | 2 | 4 | 5 | 1 | 1 |\n")
	    != NULL, "%s", out);
	ck_assert(strstr(out, "### §6.7 EXPIRE capability\n") != NULL);
	ck_assert(strstr(out, "| (section) | EXPIRE capability | pop3/a |\n")
	    != NULL);
	ck_assert(strstr(out, "| STAT | STAT | **not yet covered** |\n")
	    != NULL);
	ck_assert(strstr(out, "| #1 | REQUIRED: all POP3 servers") != NULL);
	ck_assert(strstr(out, "| (section) | Server Identity Check | "
	    "untestable: a client obligation |\n") != NULL);
	ck_assert(strstr(out, "## Cases that name no clause") != NULL &&
	    strstr(out, "\npop3/c\n") != NULL);

	/* A section's reason goes to its units; a unit's own line wins. */
	bad = "RFC 1939 §5: whole section\nRFC 1939 §5 #1: just this\n";
	ck_assert_int_eq(untestable_parse(&inv, bad, strlen(bad), err,
	    sizeof(err)), 0);
	ck_assert_str_eq(inv.v[2].why, "whole section");
	ck_assert_str_eq(inv.v[1].why, "just this");
	ck_assert_uint_eq(coverage_missing(&inv), 0);
	/* RFC order is the inventory's. */
	ck_assert(strstr(out, "## RFC 1939") < strstr(out, "## RFC 937"));
	free(out);
	inventory_free(&inv);
}
END_TEST

static char *
report_text(const struct report *r)
{
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);

	report_write(f, r);
	fclose(f);
	return out;
}

START_TEST(test_report_merge)
{
	struct inventory inv;
	struct report run, back;
	char dir[] = "/tmp/conform-report-XXXXXX", path[128], err[256];
	char *buf, *text;
	size_t len;
	FILE *f;

	inv_load(&inv);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/report.md", dir);

	/* Write: a new file with one column. */
	report_init(&run, &inv);
	report_column(&run, "a:110", 1);
	report_set(&run, "RFC 1939 §5 STAT", 0, CELL_OK);
	report_set(&run, "RFC 1939 §5 STAT", 0, CELL_SKIP);	/* ok stays */
	report_set(&run, "RFC 2449 §6.7", 0, CELL_OK);
	report_set(&run, "RFC 2449 §6.7", 0, CELL_FAIL);	/* FAIL wins */
	report_set(&run, "RFC 2595 §2.4", 0, CELL_SKIP);
	ck_assert_int_eq(report_merge_file(path, &inv, &run, err,
	    sizeof(err)), 0);
	report_free(&run);

	/* Re-read. */
	ck_assert_int_eq(read_file(path, &buf, &len), 0);
	report_init(&back, NULL);
	ck_assert_int_eq(report_parse(&back, buf, len, err, sizeof(err)), 0);
	free(buf);
	ck_assert_uint_eq(back.ncols, 1);
	ck_assert_str_eq(back.cols[0], "a:110");
	ck_assert_uint_eq(back.nrows, 7);	/* the units */
	ck_assert_str_eq(back.rows[4], "RFC 2449 §6.7");
	ck_assert_str_eq(back.titles[4], "EXPIRE capability");
	ck_assert_int_eq(back.cells[0], CELL_NONE);
	ck_assert_int_eq(back.cells[1], CELL_OK);
	ck_assert_int_eq(back.cells[4], CELL_FAIL);
	ck_assert_int_eq(back.cells[5], CELL_SKIP);
	report_free(&back);

	/* Add a column (a label with a '|'), then replace the first. */
	report_init(&run, &inv);
	report_column(&run, "dovecot|1", 1);
	report_set(&run, "RFC 1939 §5 STAT", 0, CELL_FAIL);
	ck_assert_int_eq(report_merge_file(path, &inv, &run, err,
	    sizeof(err)), 0);
	report_free(&run);
	report_init(&run, &inv);
	report_column(&run, "a:110", 1);
	report_set(&run, "RFC 2449 §6.7", 0, CELL_OK);
	ck_assert_int_eq(report_merge_file(path, &inv, &run, err,
	    sizeof(err)), 0);
	report_free(&run);

	ck_assert_int_eq(read_file(path, &buf, &len), 0);
	ck_assert_msg(strstr(buf, "| Clause | Title | a:110 | dovecot\\|1 |\n")
	    != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "| RFC 1939 §5 STAT | STAT | — | FAIL |\n")
	    != NULL, "%s", buf);
	ck_assert_msg(strstr(buf, "| RFC 2449 §6.7 | EXPIRE capability | ok "
	    "| — |\n") != NULL, "%s", buf);
	ck_assert(strstr(buf, "| RFC 2595 §2.4 | Server Identity Check | — "
	    "| — |\n") != NULL);
	/* Reading and writing it again changes nothing. */
	report_init(&back, &inv);
	ck_assert_int_eq(report_parse(&back, buf, len, err, sizeof(err)), 0);
	text = report_text(&back);
	ck_assert_str_eq(text, buf);
	free(text);
	report_free(&back);

	/* Prose before the marker (a document holding the matrix) stays;
	   a marker quoted inside a line is not the marker. */
	f = fopen(path, "w");
	fprintf(f, "# Conformance\n\nSee `%s` below.\n\n%s", REPORT_MARKER,
	    buf);
	fclose(f);
	report_init(&run, &inv);
	report_column(&run, "a:110", 1);
	report_set(&run, "RFC 1939 §5 #1", 0, CELL_OK);
	ck_assert_int_eq(report_merge_file(path, &inv, &run, err,
	    sizeof(err)), 0);
	report_free(&run);
	free(buf);
	ck_assert_int_eq(read_file(path, &buf, &len), 0);
	ck_assert_msg(strncmp(buf, "# Conformance\n\nSee `", 20) == 0 &&
	    strstr(buf, "` below.\n\n" REPORT_MARKER "\n## POP") != NULL,
	    "%s", buf);
	ck_assert_msg(strstr(buf, "| RFC 1939 §5 #1 | REQUIRED: all POP3 "
	    "servers are required to use a certain format for drop listings. "
	    "| ok | — |\n") != NULL, "%s", buf);
	ck_assert(strstr(strstr(buf, "## POP"), "# Conformance") == NULL);
	free(buf);

	/* A file polypop-conform did not write is left alone. */
	f = fopen(path, "w");
	fputs("# my notes\n", f);
	fclose(f);
	report_init(&run, &inv);
	report_column(&run, "x", 1);
	ck_assert_int_eq(report_merge_file(path, &inv, &run, err,
	    sizeof(err)), -1);
	ck_assert_msg(strstr(err, "not written by polypop-conform") != NULL,
	    "%s", err);
	report_free(&run);
	ck_assert_int_eq(read_file(path, &buf, &len), 0);
	ck_assert_str_eq(buf, "# my notes\n");
	free(buf);
	unlink(path);
	rmdir(dir);
	inventory_free(&inv);
}
END_TEST

/*
 * A deliberately broken server (a STAT reply that is not RFC 1939 §5's)
 * over a socketpair: the case fails, and its clause reads FAIL in the
 * report while the other clause it does not check stays "—".
 */
START_TEST(test_report_broken_server)
{
	struct inventory inv;
	struct report run;
	struct result res;
	struct tcase tc;
	char err[256], *text;
	const char *t = "proto: pop3\n@greeting\n@login\nC: STAT\n"
	    "S~ ^\\+OK [0-9]+ [0-9]+$  [RFC 1939 §5 STAT]\n";
	int idx[8];
	size_t n;

	inv_load(&inv);
	ck_assert_int_eq(run_script(t, basic_server("+OK three\r\n"), 0,
	    &res), RESULT_FAIL);
	ck_assert_int_eq(parse(t, &tc, err, sizeof(err)), 0);
	report_init(&run, &inv);
	report_column(&run, "broken:110", 1);
	n = tcase_clauses(&tc, &inv, idx, 8);
	ck_assert_uint_eq(n, 1);
	report_set(&run, inv.v[idx[0]].id, 0, res.kind == RESULT_OK ? CELL_OK :
	    CELL_FAIL);
	tcase_free(&tc);
	text = report_text(&run);
	ck_assert_msg(strstr(text, "| RFC 1939 §5 STAT | STAT | FAIL |\n") !=
	    NULL, "%s", text);
	/* A heading with units is not a row of its own. */
	ck_assert(strstr(text, "| RFC 1939 §5 |") == NULL);
	ck_assert(strstr(text, "| RFC 2449 §6.7 | EXPIRE capability | — |\n")
	    != NULL);
	ck_assert(strncmp(text, REPORT_MARKER "\n", strlen(REPORT_MARKER) + 1)
	    == 0);
	free(text);
	report_free(&run);
	inventory_free(&inv);
}
END_TEST

/* --- SASL variables, "@capa", "@stls" (issue 7, RFC 1734/2595/5034) ---- */

static void
expand_is(struct run_ctx *ctx, const char *in, int mode, const char *want)
{
	char *out, err[256];
	size_t len;

	ck_assert_msg(expand_vars(in, mode, ctx, &out, &len, err,
	    sizeof(err)) == 0, "%s: %s", in, err);
	ck_assert_str_eq(out, want);
	free(out);
}

static void
expand_fails(struct run_ctx *ctx, const char *in)
{
	char *out = NULL, err[256];
	size_t len;

	ck_assert_msg(expand_vars(in, EXPAND_RAW, ctx, &out, &len, err,
	    sizeof(err)) == -1, "%s expanded to '%s'", in, out ? out : "");
}

/* RFC 4616 §4's example message, and the LOGIN pieces. */
START_TEST(test_sasl_plain_vars)
{
	struct run_ctx *ctx = ctx_new();

	ctx->user = "tim";
	ctx->pass = "tanstaaftanstaaf";
	ctx->user2 = "bob";
	ctx->pass2 = "x";
	expand_is(ctx, "AUTH PLAIN ${sasl-plain}", EXPAND_RAW,
	    "AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	expand_is(ctx, "${sasl-plain:,user,pass}", EXPAND_RAW,
	    "AHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	expand_is(ctx, "${sasl-plain:user,user,pass}", EXPAND_RAW,
	    "dGltAHRpbQB0YW5zdGFhZnRhbnN0YWFm");
	expand_is(ctx, "${sasl-plain2}", EXPAND_RAW, "AGJvYgB4");
	/* Items joined by '+', quoted literals with \xHH. */
	expand_is(ctx, "${b64:user}", EXPAND_RAW, "dGlt");
	expand_is(ctx, "${b64:'Username:'}", EXPAND_RAW, "VXNlcm5hbWU6");
	expand_is(ctx, "${b64:'\\xc2\\xad'+user}", EXPAND_RAW, "wq10aW0=");
	expand_is(ctx, "${b64:repeat:3:ti}", EXPAND_RAW, "dGl0aXRp");
	expand_is(ctx, "${b64:''}", EXPAND_RAW, "");
	/* Escaped for the pattern it lands in: '+' in a regex. */
	ctx->user = "\xfb";
	expand_is(ctx, "${b64:user+user}", EXPAND_RAW, "+/s=");
	expand_is(ctx, "${b64:user+user}", EXPAND_REGEX, "\\+/s=");
	expand_is(ctx, "${b64:user+user}", EXPAND_GLOB, "+/s=");
	expand_fails(ctx, "${sasl-plain:user,pass}");
	expand_fails(ctx, "${sasl-plain:a,b,c,d}");
	expand_fails(ctx, "${sasl-plain2:,user,pass}");
	expand_fails(ctx, "${sasl-plain:,nope,pass}");
	expand_fails(ctx, "${b64:'x}");
	expand_fails(ctx, "${b64:'\\q'}");
	expand_fails(ctx, "${b64:user'x'}");
	expand_fails(ctx, "${b64:user++pass}");
	expand_fails(ctx, "${b64}");
}
END_TEST

/* RFC 2195 §2's example, from the last "+ " challenge. */
START_TEST(test_sasl_cram_md5)
{
	struct run_ctx *ctx = ctx_new();

	ctx->user = "tim";
	ctx->pass = "tanstaaftanstaaf";
	expand_fails(ctx, "${cram-md5}");	/* no challenge yet */
	snprintf(ctx->challenge, sizeof(ctx->challenge), "%s",
	    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+");
	expand_is(ctx, "${cram-md5}", EXPAND_RAW,
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	expand_is(ctx, "${cram-md5:user,pass}", EXPAND_RAW,
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw");
	/* Another secret, another digest; two fields wanted. */
	ctx->pass2 = "wrong";
	expand_is(ctx, "${cram-md5:user,pass2}", EXPAND_RAW,
	    "dGltIGRmNjE1NmE5ZjVmNmJhMWE5NzYyMzM3MzM0Mzg1YzJl");
	expand_fails(ctx, "${cram-md5:user}");
	snprintf(ctx->challenge, sizeof(ctx->challenge), "%s", "not base64!");
	expand_fails(ctx, "${cram-md5}");
	ctx->challenge[0] = '\0';
}
END_TEST

/* Strict base64 (RFC 5034 §4 / RFC 4648 §4): the runner's own reading. */
START_TEST(test_sasl_b64_decode)
{
	static const struct {
		const char *in;
		int len;
	} v[] = {
		{ "", 0 }, { "AA==", 1 }, { "AAA=", 2 }, { "AAAA", 3 },
		{ "dGltAHRpbQ==", 7 }, { "=AAA", -1 }, { "AAA=BBBB", -1 },
		{ "A===", -1 }, { "!!!!", -1 }, { "AAA", -1 }, { "AA=A", -1 },
		{ "AA AA", -1 },
	};
	unsigned char *out;

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ck_assert_msg(b64_decode(v[i].in, &out) == v[i].len,
		    "'%s'", v[i].in);
		if (v[i].len >= 0)
			free(out);
	}
	ck_assert_int_eq(b64_decode("dGltAHRpbQ==", &out), 7);
	ck_assert(memcmp(out, "tim\0tim", 7) == 0);
	free(out);
}
END_TEST

START_TEST(test_sasl_parse_steps)
{
	static const char *bad[] = {
		"proto: pop3\n@stls now\n",
		"proto: pop3\n@capa\n",
		"proto: pop3\n@capa !A B\n",
		"proto: pop3\n@capa !\n",
		"proto: pop3\n@require capa  SASL\n",
		"proto: pop3\n@require capa SASL  PLAIN\n",
		"proto: pop3\n@require capa !STLS\n",
		"proto: pop3\n@require capa SASL PLAIN \n",
	};
	struct tcase tc;
	char err[256];

	ck_assert_msg(parse("proto: pop3\n@stls\n@stls or skip\n"
	    "@capa SASL PLAIN\n@capa !STLS\n@require capa SASL PLAIN LOGIN\n"
	    "@require capa STLS\n", &tc, err, sizeof(err)) == 0, "%s", err);
	ck_assert_int_eq(tc.nsteps, 6);
	ck_assert_int_eq(tc.steps[0].kind, STEP_STLS);
	ck_assert_int_eq(tc.steps[0].nums[0], 0);
	ck_assert_str_eq(step_kind_name(STEP_STLS), "@stls");
	ck_assert_int_eq(tc.steps[1].nums[0], 1);
	ck_assert_int_eq(tc.steps[2].kind, STEP_REQUIRE);
	ck_assert_str_eq(tc.steps[2].text, "capa SASL PLAIN");
	ck_assert_int_eq(tc.steps[2].nums[0], 1);
	ck_assert_str_eq(tc.steps[3].text, "capa !STLS");
	ck_assert_str_eq(tc.steps[4].text, "capa SASL PLAIN LOGIN");
	ck_assert_int_eq(tc.steps[4].nums[0], 0);
	ck_assert_str_eq(tc.steps[5].text, "capa STLS");
	tcase_free(&tc);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i], &tc, err, sizeof(err)) == -1,
		    "parsed: %s", bad[i]);
	}
}
END_TEST

/* "@require capa TAG ARG", "@capa TAG ARG", "@capa !TAG". */
START_TEST(test_sasl_exec_capa)
{
	static const char *capa = "+OK hi\r\n+OK caps\r\nTOP\r\n"
	    "SASL plain LOGIN\r\nSTLSX\r\n.\r\n";
	static const struct {
		const char *step;
		enum result_kind want;
	} v[] = {
		{ "@require capa SASL", RESULT_OK },
		{ "@require capa sasl LOGIN PLAIN", RESULT_OK },
		{ "@require capa SASL CRAM-MD5", RESULT_SKIP },
		{ "@require capa SASL PLAI", RESULT_SKIP },
		{ "@require capa STLS", RESULT_SKIP },
		{ "@capa SASL PLAIN", RESULT_OK },
		{ "@capa SASL CRAM-MD5", RESULT_FAIL },
		{ "@capa STLS", RESULT_FAIL },
		{ "@capa !STLS", RESULT_OK },
		{ "@capa !sasl", RESULT_FAIL },
	};
	struct result res;
	char t[128];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(t, sizeof(t), "proto: pop3\n@greeting\n%s\n",
		    v[i].step);
		ck_assert_msg(run_script(t, capa, 0, &res) == v[i].want,
		    "%s: %d %s", v[i].step, res.kind, res.msg);
	}
	/* CAPA refused: "@require" skips, "@capa" fails. */
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n"
	    "@require capa SASL\n", "+OK hi\r\n-ERR no\r\n", 0, &res),
	    RESULT_SKIP);
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@capa SASL\n",
	    "+OK hi\r\n-ERR no\r\n", 0, &res), RESULT_FAIL);
}
END_TEST

/* The "+ " challenge is remembered: ${cram-md5} answers it. */
START_TEST(test_sasl_exec_challenge)
{
	struct run_ctx *ctx = ctx_new();
	const char *says = "+OK hi\r\n"
	    "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
	    "+OK in\r\n";
	const char *want = "AUTH CRAM-MD5\r\n"
	    "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n";
	struct result res;
	struct tcase tc;
	char err[256], got[256];
	ssize_t n;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], says, strlen(says)),
	    (ssize_t)strlen(says));
	ck_assert(parse("proto: pop3\n@greeting\nC: AUTH CRAM-MD5\n"
	    "S~ ^\\+ \nC: ${cram-md5}\nS+\n", &tc, err, sizeof(err)) == 0);
	ctx->user = "tim";
	ctx->pass = "tanstaaftanstaaf";
	ctx->fd = sv[0];
	run_case(&tc, ctx, &res);
	ck_assert_msg(res.kind == RESULT_OK, "%s", res.msg);
	n = read(sv[1], got, sizeof(got) - 1);
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	got[n] = '\0';
	ck_assert_str_eq(got, want);
	ck_assert_str_eq(ctx->challenge, "");	/* reset after the case */
	tcase_free(&tc);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* "@stls" without a server: refusals, and octets after "+OK". */
START_TEST(test_sasl_stls_refused)
{
	struct result res;

	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@stls or skip\n"
	    "C: NOOP\nS+\n", "+OK hi\r\n-ERR no TLS\r\n", 0, &res),
	    RESULT_SKIP);
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@stls\n",
	    "+OK hi\r\n-ERR no TLS\r\n", 0, &res), RESULT_FAIL);
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@stls or skip\n",
	    "+OK hi\r\n+ OK\r\n", 0, &res), RESULT_FAIL);
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@stls\n",
	    "+OK hi\r\n+OK go\r\n+OK early\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "in the clear") != NULL, "%s", res.msg);
	ck_assert_int_eq(run_script("proto: pop3\n@greeting\n@stls\n",
	    "+OK hi\r\n", 1, &res), RESULT_FAIL);
}
END_TEST

/* "@stls" against the toy server: STLS, +OK, handshake, then the case. */
START_TEST(test_sasl_stls_handshake)
{
	struct run_ctx *ctx = ctx_new();
	struct result res;
	struct tcase tc;
	struct toy t;
	pthread_t th;
	X509 *x, *other;
	EVP_PKEY *k, *ok;
	char err[256], *ca;
	int sv[2], pass;

	make_cert(&x, &k);
	make_cert(&other, &ok);
	ck_assert(parse("proto: pop3\nS: +OK toy <1.2@h>\n@stls\n@login\n"
	    "C: STAT\nS: +OK 0 0\n@quit\n", &tc, err, sizeof(err)) == 0);
	for (pass = 0; pass < 2; pass++) {
		/* Pass 1: a certificate --cafile does not vouch for. */
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		memset(&t, 0, sizeof(t));
		t.fd = sv[1];
		t.mode = TOY_STLS;
		t.cert = pass == 0 ? x : other;
		t.key = pass == 0 ? k : ok;
		ck_assert_int_eq(pthread_create(&th, NULL, toy_server, &t), 0);
		ca = write_pem(x);
		ctx->fd = sv[0];
		ctx->host = "127.0.0.1";
		ctx->tls = TLS_NONE;
		ctx->cafile = ca;
		ctx->timeout_ms = 2000;
		run_case(&tc, ctx, &res);
		shutdown(sv[0], SHUT_RDWR);
		pthread_join(th, NULL);
		run_ctx_free(ctx);
		close(sv[0]);
		close(sv[1]);
		unlink(ca);
		ck_assert_int_eq(t.stls_seen, 1);
		if (pass == 0) {
			ck_assert_msg(res.kind == RESULT_OK, "%s", res.msg);
			ck_assert_int_eq(t.handshakes, 1);
		} else {
			ck_assert_int_eq(res.kind, RESULT_FAIL);
			ck_assert_msg(strstr(res.msg, "step 2 TLS handshake "
			    "failed") != NULL, "%s", res.msg);
		}
	}
	tcase_free(&tc);
	X509_free(x);
	X509_free(other);
	EVP_PKEY_free(k);
	EVP_PKEY_free(ok);
}
END_TEST

/* --- RFC 1082 discussion groups: "bboard:" ------------------------------ */

START_TEST(test_parse_bboard)
{
	struct tcase tc;
	char err[256];
	static const char *const bad[] = {
		"bboard: system\n",			/* no fixture */
		"bboard: system nosuch\n",		/* unknown fixture */
		"bboard: system basic readable\n",	/* unknown flag */
		"bboard: system basic unreadable x\n",	/* too many words */
		"bboard: 9lives basic\n",		/* not ALPHA first */
		"bboard: a_b basic\n",			/* not a NAME */
		"bboard: a.b basic\n",
		"bboard: .archive basic\n",		/* the suffix alone */
		"bboard: -x basic\n",
		"bboard: x/y basic\n",
		"bboard: x,y basic\n",
		"bboard: x=y basic\n",
		"bboard: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    " basic\n",				/* 65 characters */
	};

	ck_assert_msg(parse("proto: pop3\nprofile: rfc1082\n"
	    "bboard: system basic\n"
	    "bboard: mh-users hard\n"
	    "bboard: system.archive hard\n"
	    "bboard: Secret2 empty unreadable\n"
	    "@greeting\n", &tc, err, sizeof(err)) == 0, "%s", err);
	ck_assert_str_eq(tc.bboards, "system=basic,mh-users=hard,"
	    "system.archive=hard,Secret2=empty=unreadable");
	ck_assert_ptr_null(tc.folders);
	tcase_free(&tc);

	/* None: NULL ("-" in --list). */
	ck_assert_int_eq(parse("proto: pop3\n@greeting\n", &tc, err,
	    sizeof(err)), 0);
	ck_assert_ptr_null(tc.bboards);
	tcase_free(&tc);

	/* 64 characters is the most, the archive suffix not counted. */
	ck_assert_msg(parse("proto: pop3\nbboard: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.archive basic\nS+\n", &tc, err,
	    sizeof(err)) == 0, "%s", err);
	tcase_free(&tc);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char t[256];

		snprintf(t, sizeof(t), "proto: pop3\n%sS+\n", bad[i]);
		ck_assert_msg(parse(t, &tc, err, sizeof(err)) < 0,
		    "accepted %s", bad[i]);
		ck_assert_msg(strstr(err, "bboard: wants") != NULL, "%s", err);
	}

	/* A header: not after the first step. */
	ck_assert_int_lt(parse("proto: pop3\nS+\nbboard: system basic\n",
	    &tc, err, sizeof(err)), 0);
}
END_TEST

/* --- captures: "S~{NAME}", "S> any ~{NAME}", ${cap:NAME}, "@expect" --- */

START_TEST(test_capture_parse)
{
	struct tcase tc;
	char err[256] = "";

	ck_assert_msg(parse("proto: pop3\nserver-options: --login-delay 60\n"
	    "S~{delay,user} ^LOGIN-DELAY ([0-9]+)( USER)?$  [RFC 2449 §6.5]\n"
	    "S> any ~{x} ^EXPIRE (.*)$\nS> any ~ ^TOP$\nS> any\n"
	    "@expect ${cap:x} >= ${cap:delay}\n"
	    "@expect ${cap:user}${cap:x} ~ ^( USER|${cap:delay}$)\n"
	    "S~ {x}\n", &tc, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(tc.nsteps, 7);
	ck_assert_int_eq(tc.steps[0].kind, STEP_EXPECT_RE);
	ck_assert_str_eq(tc.steps[0].names, "delay,user");
	ck_assert_str_eq(tc.steps[0].text, "^LOGIN-DELAY ([0-9]+)( USER)?$");
	ck_assert_str_eq(tc.steps[0].ref, "RFC 2449 §6.5");
	ck_assert_int_eq(tc.steps[1].kind, STEP_EXPECT_ANY);
	ck_assert_str_eq(tc.steps[1].names, "x");
	ck_assert_str_eq(tc.steps[1].text, "^EXPIRE (.*)$");
	ck_assert_ptr_null(tc.steps[2].names);
	ck_assert_str_eq(tc.steps[2].text, "^TOP$");
	ck_assert_ptr_null(tc.steps[3].text);
	ck_assert_int_eq(tc.steps[4].kind, STEP_EXPECT_CMP);
	ck_assert_str_eq(tc.steps[4].text, "${cap:x}");
	ck_assert_int_eq(tc.steps[4].nums[0], CMP_GE);
	ck_assert_str_eq(tc.steps[4].arg2, "${cap:delay}");
	ck_assert_int_eq(tc.steps[5].nums[0], CMP_MATCH);
	ck_assert_str_eq(tc.steps[5].arg2, "^( USER|${cap:delay}$)");
	/* "S~ {x}": with the space it is a plain regex, no capture. */
	ck_assert_ptr_null(tc.steps[6].names);
	ck_assert_str_eq(tc.steps[6].text, "{x}");
	tcase_free(&tc);
}
END_TEST

static const struct {
	const char	*text;
	const char	*err;
} bad_captures[] = {
	{ "proto: pop3\nS~{a ^x\n", "'{' without '}'" },
	{ "proto: pop3\nS~{} ^x\n", "bad name list" },
	{ "proto: pop3\nS~{a,,b} ^x\n", "bad name list" },
	{ "proto: pop3\nS~{a b} ^x\n", "bad name list" },
	{ "proto: pop3\nS~{a.b} ^x\n", "bad name list" },
	{ "proto: pop3\nS~{a,b,c,d,e,f,g,h,i,j} ^x\n", "more than 9" },
	{ "proto: pop3\nS~{a}^x\n", "wants a space and a regex" },
	{ "proto: pop3\nS~{a}\n", "wants a space and a regex" },
	{ "proto: pop3\nS> any ~\n", "wants a space and a regex" },
	{ "proto: pop3\nS> any ~{a}\n", "wants a space and a regex" },
	{ "proto: pop3\nS> any x\n", "unknown 'S>'" },
	{ "proto: pop3\n@expect 1\n", "@expect wants 'A OP B'" },
	{ "proto: pop3\n@expect 1 =< 2\n", "@expect wants 'A OP B'" },
	{ "proto: pop3\n@expect 1 <=\n", "@expect wants 'A OP B'" },
	{ "proto: pop3\nserver-options:\nS: x\n", "server-options: wants" },
};

START_TEST(test_capture_parse_errors)
{
	struct tcase tc;
	char err[256] = "";

	ck_assert_int_eq(parse(bad_captures[_i].text, &tc, err, sizeof(err)),
	    -1);
	ck_assert_msg(strstr(err, bad_captures[_i].err) != NULL,
	    "case %d: error '%s' lacks '%s'", _i, err, bad_captures[_i].err);
}
END_TEST

/* "@expect A OP B" on literal values: the comparison rules. */
static const struct {
	const char	*expr;
	enum result_kind want;
} expects[] = {
	{ "60 == 60", RESULT_OK }, { "060 == 60", RESULT_OK },
	{ "60 != 61", RESULT_OK }, { "60 == 61", RESULT_FAIL },
	{ "NEVER == NEVER", RESULT_OK }, { "NEVER == never", RESULT_FAIL },
	{ "5 < 30", RESULT_OK }, { "30 < 5", RESULT_FAIL },
	{ "30 <= 30", RESULT_OK }, { "31 <= 30", RESULT_FAIL },
	{ "100 > 99", RESULT_OK }, { "99 >= 100", RESULT_FAIL },
	{ "123456789012345678901234567890 > 99999999999999999999",
	    RESULT_OK },
	/* A word is above every number (EXPIRE NEVER), equal to itself. */
	{ "NEVER >= 30", RESULT_OK }, { "30 >= NEVER", RESULT_FAIL },
	{ "0 < NEVER", RESULT_OK }, { "NEVER >= NEVER", RESULT_OK },
	{ "NEVER > NEVER", RESULT_FAIL }, { "NEVER >= SOMETIME", RESULT_FAIL },
	{ "_USER30 ~ ^(_USER|60$)", RESULT_OK },
	{ "30 ~ ^( USER|60$)", RESULT_FAIL },
	{ "60 ~ ^( USER|60$)", RESULT_OK },
	{ "60 !~ ^7", RESULT_OK }, { "70 !~ ^7", RESULT_FAIL },
	{ "x ~ (", RESULT_FAIL },
	/* Variables expand on both sides. */
	{ "${user} == alice", RESULT_OK },
	{ "x ~ ^${pass}$", RESULT_FAIL },
};

START_TEST(test_capture_expect)
{
	struct result res;
	char t[256];

	snprintf(t, sizeof(t), "proto: pop3\n@greeting\n@expect %s\n",
	    expects[_i].expr);
	ck_assert_msg(run_script(t, "+OK hi\r\n", 0, &res) == expects[_i].want,
	    "@expect %s: %d %s", expects[_i].expr, res.kind, res.msg);
}
END_TEST

/* Captured values come back as ${cap:NAME}, escaped for where they land. */
START_TEST(test_capture_exec)
{
	struct result res;
	static const char *capa_auth = "+OK hi\r\n+OK caps\r\nTOP\r\n"
	    "LOGIN-DELAY 900 USER\r\nEXPIRE 5 USER\r\n.\r\n";
	char server[512];
	const char *t;

	/* One line: groups 1, 2; a group that took no part is empty. */
	t = "proto: pop3\nS~{word,rest} ^\\+OK ([a-z*]+)( .*)?$\n"
	    "S: +OK ${cap:word}\nS~ ^\\+OK ${cap:word}$\n"
	    "@expect x${cap:rest} == x\n";
	ck_assert_msg(run_script(t, "+OK a*b\r\n+OK a*b\r\n+OK a*b\r\n", 0,
	    &res) == RESULT_OK, "%s", res.msg);
	ck_assert_int_eq(run_script(t, "+OK a*b more\r\n+OK a*b\r\n"
	    "+OK a*b\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 4 expected 'x${cap:rest} == x' "
	    "got 'x more' == 'x', which is false") != NULL, "%s", res.msg);
	/* The glob and regex see the value literally: '*' is no wildcard. */
	ck_assert_int_eq(run_script(t, "+OK a*b\r\n+OK axxb\r\n+OK a*b\r\n",
	    0, &res), RESULT_FAIL);
	ck_assert_int_eq(run_script(t, "+OK a*b\r\n+OK a*b\r\n+OK aab\r\n",
	    0, &res), RESULT_FAIL);
	/* No match: a FAIL of that step. */
	ck_assert_int_eq(run_script(t, "-ERR no\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 1 expected") != NULL, "%s",
	    res.msg);
	/* A later capture under the same name replaces the value. */
	ck_assert_msg(run_script("proto: pop3\nS~{v} ^(.)\nS~{v} ^(.)\n"
	    "@expect ${cap:v} == b\n", "a\r\nb\r\n", 0, &res) == RESULT_OK,
	    "%s", res.msg);
	/* Fewer groups than names: a FAIL that says so. */
	ck_assert_int_eq(run_script("proto: pop3\nS~{a,b} ^(x)\n", "x\r\n", 0,
	    &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "1 group(s) for 2 capture") != NULL,
	    "%s", res.msg);
	/* A name never captured: the step using it fails. */
	ck_assert_int_eq(run_script("proto: pop3\nS: ${cap:nope}\n", "x\r\n",
	    0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "nothing captured as 'nope'") != NULL,
	    "%s", res.msg);

	/* Multi-line: the first matching line of a CAPA list, per state. */
	t = "proto: pop3\n@greeting\nC: CAPA\nS+\n"
	    "S> any ~{pre,user} ^LOGIN-DELAY ([0-9]+)( USER)?$\n"
	    "C: CAPA\nS+\nS> any ~{post} ^LOGIN-DELAY ([0-9]+)$  "
	    "[RFC 2449 §6.5 #5]\n"
	    "@expect ${cap:post} <= ${cap:pre}  [RFC 2449 §6.5 #3]\n"
	    "@expect ${cap:user}${cap:post} ~ ^( USER|${cap:pre}$)\n";
	snprintf(server, sizeof(server), "%s+OK\r\nLOGIN-DELAY 300\r\n.\r\n",
	    capa_auth);
	ck_assert_msg(run_script(t, server, 0, &res) == RESULT_OK, "%s",
	    res.msg);
	snprintf(server, sizeof(server), "%s+OK\r\nLOGIN-DELAY 901\r\n.\r\n",
	    capa_auth);
	ck_assert_int_eq(run_script(t, server, 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "'901' <= '900', which is false") !=
	    NULL && strstr(res.msg, "RFC 2449 §6.5 #3") != NULL, "%s",
	    res.msg);
	/* Without USER before login the value must not change. */
	ck_assert_int_eq(run_script(t, "+OK hi\r\n+OK\r\nLOGIN-DELAY 900\r\n"
	    ".\r\n+OK\r\nLOGIN-DELAY 300\r\n.\r\n", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "step 9") != NULL, "%s", res.msg);
	ck_assert_int_eq(run_script(t, "+OK hi\r\n+OK\r\nLOGIN-DELAY 900\r\n"
	    ".\r\n+OK\r\nLOGIN-DELAY 900\r\n.\r\n", 0, &res), RESULT_OK);
	/* Not listed after login: a FAIL naming the line. */
	snprintf(server, sizeof(server), "%s+OK\r\nTOP\r\nUIDL\r\n.\r\n",
	    capa_auth);
	ck_assert_int_eq(run_script(t, server, 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "before '.' got none of 2 line(s)") !=
	    NULL && strstr(res.msg, "§6.5 #5") != NULL, "%s", res.msg);
	/* "S> any ~" still needs the '.'; a bad regex is a FAIL. */
	ck_assert_int_eq(run_script("proto: pop3\nS> any ~ ^A\n", "A\r\n", 0,
	    &res), RESULT_FAIL);
	ck_assert_int_eq(run_script("proto: pop3\nS> any ~ (\n", "A\r\n.\r\n",
	    0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "bad regex") != NULL, "%s", res.msg);
	/* Captures are per case: a new case starts without them. */
	ck_assert_int_eq(run_script("proto: pop3\n@expect ${cap:pre} == 900\n",
	    "", 0, &res), RESULT_FAIL);
	ck_assert_msg(strstr(res.msg, "nothing captured as 'pre'") != NULL,
	    "%s", res.msg);
}
END_TEST

static Suite *
conform_suite(void)
{
	Suite *s = suite_create("conform");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, test_parse_steps);
	tcase_add_test(tc, test_parse_macros);
	tcase_add_test(tc, test_parse_profiles);
	tcase_add_loop_test(tc, test_parse_errors, 0,
	    sizeof(bad_transcripts) / sizeof(bad_transcripts[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("match");
	tcase_add_loop_test(tc, test_glob, 0, sizeof(globs) / sizeof(globs[0]));
	tcase_add_test(tc, test_regex);
	tcase_add_test(tc, test_expand);
	tcase_add_test(tc, test_apop_rfc_example);
	tcase_add_test(tc, test_expand_apop_user);
	suite_add_tcase(s, tc);

	tc = tcase_create("fixture");
	tcase_add_loop_test(tc, test_normalise, 0,
	    sizeof(norm) / sizeof(norm[0]));
	tcase_add_test(tc, test_stuff_top_quote);
	tcase_add_test(tc, test_hard_corpus);
	tcase_add_test(tc, test_utf8hdr_corpus);
	suite_add_tcase(s, tc);

	tc = tcase_create("exec");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_exec_good);
	tcase_add_test(tc, test_exec_require_capa);
	tcase_add_test(tc, test_exec_wrong_reply);
	tcase_add_test(tc, test_exec_early_close);
	tcase_add_test(tc, test_exec_hang);
	tcase_add_test(tc, test_exec_bare_lf_reply);
	tcase_add_test(tc, test_exec_retr);
	tcase_add_test(tc, test_exec_listings);
	tcase_add_test(tc, test_exec_eof_and_skip);
	tcase_add_test(tc, test_parse_pop2);
	tcase_add_test(tc, test_exec_pop2_data);
	tcase_add_test(tc, test_exec_pop2_error_closes);
	suite_add_tcase(s, tc);

	tc = tcase_create("tls");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_parse_tls_header);
	tcase_add_test(tc, test_parse_harness_requests);
	tcase_add_test(tc, test_tls_stls_replays_greeting);
	tcase_add_test(tc, test_tls_implicit);
	tcase_add_test(tc, test_tls_wrong_certificate);
	tcase_add_test(tc, test_tls_stalls_and_refusals);
	suite_add_tcase(s, tc);

	tc = tcase_create("coverage");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_clause_canon);
	tcase_add_test(tc, test_covers_header);
	tcase_add_test(tc, test_coverage);
	tcase_add_test(tc, test_report_merge);
	tcase_add_test(tc, test_report_broken_server);
	suite_add_tcase(s, tc);

	tc = tcase_create("sasl");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_sasl_plain_vars);
	tcase_add_test(tc, test_sasl_cram_md5);
	tcase_add_test(tc, test_sasl_b64_decode);
	tcase_add_test(tc, test_sasl_parse_steps);
	tcase_add_test(tc, test_sasl_exec_capa);
	tcase_add_test(tc, test_sasl_exec_challenge);
	tcase_add_test(tc, test_sasl_stls_refused);
	tcase_add_test(tc, test_sasl_stls_handshake);
	suite_add_tcase(s, tc);

	tc = tcase_create("bboard");
	tcase_add_test(tc, test_parse_bboard);
	suite_add_tcase(s, tc);

	tc = tcase_create("capture");
	tcase_add_test(tc, test_capture_parse);
	tcase_add_loop_test(tc, test_capture_parse_errors, 0,
	    sizeof(bad_captures) / sizeof(bad_captures[0]));
	tcase_add_loop_test(tc, test_capture_expect, 0,
	    sizeof(expects) / sizeof(expects[0]));
	tcase_add_test(tc, test_capture_exec);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(conform_suite());
	int failed;

	signal(SIGPIPE, SIG_IGN);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
