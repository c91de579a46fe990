/*
 * test_pop3_session.c - Check tests for protocols/pop3/pop3_session.c: the
 * greeting, the core's callbacks (refuse, shutdown, timeout, close), the
 * trace mask, the password hand-over, and resumable listings of a large
 * maildrop.
 *
 * Mailboxes are real Maildirs in a mkdtemp() directory and logins go
 * through the real auth layer (testenv.c); the core is the
 * synchronous stand-in of testcore.c.  "Committed nothing" is checked
 * by opening the maildrop again afterwards: the lock must be free and
 * every message still there.
 */

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pop3.h"
#include "pop3_int.h"
#include "testcore.h"
#include "testenv.h"

/* One fresh directory per test (a checked fixture: it runs in the test's
 * own process). */
static struct testenv env;

static void
setup(void)
{
	testenv_init(&env, STORE_MAILDIR);
}

static void
teardown(void)
{
	testenv_fini(&env);
}

/* A POP3 session: POP3 has only INBOX, so a folder open aborts. */
static struct session *
pop3_session(const struct testenv *e)
{
	struct session *s = testcore_new(&e->loc, e->db, &pop3_ops);

	s->inbox_only = 1;
	return s;
}

static struct session *
new_session(void)
{
	return pop3_session(&env);
}

/* A session logged in to a maildrop of NMSGS test messages. */
static struct session *
logged_in(size_t nmsgs)
{
	struct session *s;

	testenv_deliver_std(&env, TESTENV_USER, nmsgs);
	s = new_session();
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	ck_assert_str_eq(s->state, "TRANSACTION");
	testcore_clear(s);
	return s;
}

/* After close(): the lock is free and all NMSGS messages are still there
 * (RFC 1939 §6: only QUIT removes anything). */
static void
assert_untouched(size_t nmsgs)
{
	struct store *st;

	ck_assert_int_eq(testenv_open(&env, TESTENV_USER, &st), 0);
	ck_assert_uint_eq(store_count(st), nmsgs);
	store_close(st);
}

START_TEST(test_greeting)
{
	struct session *s = new_session();

	ck_assert_int_eq(pop3_ops.start(s), 0);
	/* RFC 1939 §4 positive, §7 APOP timestamp, RFC 1957 space. */
	ck_assert_str_eq(testcore_output(s),
	    "+OK POP3 dbc.mtview.ca.us polypop ready "
	    "<1896.697170952@dbc.mtview.ca.us>\r\n");
	ck_assert_str_eq(s->state, "AUTHORIZATION");
	ck_assert(!s->closed);
	pop3_ops.close(s);
	testcore_free(s);
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(pop3_state_name(POP3_AUTHORIZATION),
	    "AUTHORIZATION");
	ck_assert_str_eq(pop3_state_name(POP3_TRANSACTION), "TRANSACTION");
	ck_assert_str_eq(pop3_state_name(POP3_UPDATE), "UPDATE");
	ck_assert_str_eq(pop3_state_name((enum pop3_state)42), "?");
}
END_TEST

START_TEST(test_refuse)
{
	struct session *s = new_session();

	/* Before start(): no module data at all. */
	pop3_ops.refuse(s, "Too many connections from your address.");
	ck_assert_str_eq(testcore_output(s), "-ERR [SYS/TEMP] Too many "
	    "connections from your address.\r\n");
	testcore_free(s);
}
END_TEST

START_TEST(test_shutdown_commits_nothing)
{
	struct session *s = logged_in(2);

	testcore_line(s, "DELE 1");
	testcore_clear(s);
	pop3_ops.shutdown(s);
	ck_assert_str_eq(testcore_output(s),
	    "-ERR [SYS/TEMP] Server shutting down.\r\n");
	pop3_ops.close(s);
	ck_assert_uint_eq(s->commits, 0);
	ck_assert_uint_eq(s->opens, 1);
	testcore_free(s);
	assert_untouched(2);
}
END_TEST

/* RFC 1939 §3: autologout sends nothing and does not enter UPDATE. */
START_TEST(test_timeout_silent)
{
	struct session *s = logged_in(2);

	testcore_line(s, "DELE 1");
	testcore_clear(s);
	pop3_ops.timeout(s);
	ck_assert_str_eq(testcore_output(s), "");
	pop3_ops.close(s);
	ck_assert_uint_eq(s->commits, 0);
	ck_assert_uint_eq(s->opens, 1);
	testcore_free(s);
	assert_untouched(2);
}
END_TEST

/* RFC 1939 §6: a dropped connection removes nothing. */
START_TEST(test_drop_commits_nothing)
{
	struct session *s = logged_in(3);

	testcore_line(s, "DELE 1");
	testcore_line(s, "DELE 3");
	pop3_ops.close(s);
	ck_assert_uint_eq(s->commits, 0);
	ck_assert_uint_eq(s->opens, 1);
	testcore_free(s);
	assert_untouched(3);
}
END_TEST

START_TEST(test_close_before_login)
{
	struct session *s;

	testenv_deliver_std(&env, TESTENV_USER, 1);
	s = new_session();
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	pop3_ops.close(s);
	ck_assert_uint_eq(s->opens, 0);
	ck_assert_ptr_null(session_data(s));
	/* close() after a failed start() (no data) is harmless. */
	pop3_ops.close(s);
	testcore_free(s);
	assert_untouched(1);
}
END_TEST

/* RFC 1939 §7: PASS gets the rest of the line, spaces and all. */
START_TEST(test_password_handover)
{
	static const char *const pw[] = { "tanstaaf", "two words",
	    " leading", "trailing ", "p\xc3\xa4ss", "a  b" };
	char line[64];
	size_t i;

	for (i = 0; i < sizeof(pw) / sizeof(pw[0]); i++) {
		struct session *s = new_session();

		ck_assert_int_eq(pop3_ops.start(s), 0);
		testcore_line(s, "USER mrose");
		snprintf(line, sizeof(line), "PASS %s", pw[i]);
		testcore_line(s, line);
		ck_assert_str_eq(s->login_user, "mrose");
		ck_assert_str_eq(s->login_secret, pw[i]);
		ck_assert_int_eq(s->login_apop, 0);
		/* The real auth layer got it as sent: only the right one
		 * logs in. */
		ck_assert_str_eq(s->state, i == 0 ? "TRANSACTION" :
		    "AUTHORIZATION");
		pop3_ops.close(s);
		testcore_free(s);
	}
}
END_TEST

START_TEST(test_apop_handover)
{
	struct session *s = new_session();

	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "apop mrose c4c9334bac560ecc979e58001b3e22fb");
	ck_assert_str_eq(s->login_user, "mrose");
	ck_assert_str_eq(s->login_secret, "c4c9334bac560ecc979e58001b3e22fb");
	ck_assert_int_eq(s->login_apop, 1);
	ck_assert_str_eq(s->state, "TRANSACTION");
	pop3_ops.close(s);
	testcore_free(s);
}
END_TEST

struct keep_case {
	const char	*line;
	size_t		 keep;
};

static const struct keep_case keep_cases[] = {
	{ "PASS secret", 5 },
	{ "pass secret with spaces", 5 },
	{ "PASS  secret", 5 },
	{ "PASS", 4 },
	{ "PASS ", 5 },
	{ "APOP mrose c4c9334bac560ecc979e58001b3e22fb", 11 },
	{ "apop mrose", 10 },
	{ "APOP  digest", 6 },
	{ "USER mrose", 10 },
	{ "RETR 1", 6 },
	{ "STAT", 4 },
	{ "", 0 },
	/* Unparsable keyword: only the first word is shown. */
	{ " PASS secret", 0 },
	{ "PASSWORD secret", 8 },
	{ "X\x01Y secret", 3 },
};

START_TEST(test_trace_keep)
{
	const struct keep_case *c = &keep_cases[_i];
	struct session *s = new_session();

	ck_assert_int_eq(pop3_ops.start(s), 0);
	ck_assert_msg(pop3_ops.trace_keep(s, c->line, strlen(c->line)) ==
	    c->keep, "\"%s\": keep %zu", c->line, c->keep);
	pop3_ops.close(s);
	testcore_free(s);
}
END_TEST

/*
 * A 100,000-message maildrop: LIST and UIDL stop whenever the output is
 * "full" and resume on drain, and the listing is still complete, in
 * order, and without the deleted messages.
 *
 * The Maildir is real, its files written straight into new/ as another
 * delivery agent would, with the wire size in a ",W=" field that the
 * backend trusts without reading or even stat()ing the file (maildir.c).
 * Message i (1-based) is second 1000000000 + i, which is the order
 * maildir.c numbers them in, has wire size 100 * i, and its unique id is
 * its file name (a legal UIDL: printable, at most 70 octets, no ":2,"
 * info part).  Nothing reads them, so they are empty, and hard links:
 * 100,000 new inodes cost several seconds on ext4, 100,000 links of a few
 * files half a second (a new file every BIG_LINKS names, well below the
 * 65,000 links ext4 allows one inode).  Built once, in the parent
 * process, for both tests.
 */
#define BIG_N		100000
#define BIG_LINKS	10000

static struct testenv bigenv;

static int
big_name(size_t i, char *buf, size_t len)
{
	return snprintf(buf, len, "%zu.big%zu.polypop,W=%zu",
	    (size_t)1000000000 + i, i, 100 * i);
}

static void
big_setup(void)
{
	char path[PATH_MAX], name[64];
	size_t i;
	int fd, dfd;

	testenv_init(&bigenv, STORE_MAILDIR);
	/* An empty INBOX, created by the store itself. */
	testenv_deliver_std(&bigenv, TESTENV_USER, 0);
	testenv_inbox_path(&bigenv, TESTENV_USER, path, sizeof(path));
	ck_assert_int_ge(dfd = open(path, O_RDONLY | O_DIRECTORY), 0);
	for (i = 1; i <= BIG_N; i++) {
		/* The source lives in tmp/, which no reader scans. */
		if (i % BIG_LINKS == 1) {
			if (i > 1 && unlinkat(dfd, "tmp/big", 0) != 0)
				ck_abort_msg("unlink tmp/big");
			if ((fd = openat(dfd, "tmp/big",
			    O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0)
				ck_abort_msg("create tmp/big");
			close(fd);
		}
		memcpy(name, "new/", 4);
		big_name(i, name + 4, sizeof(name) - 4);
		if (linkat(dfd, "tmp/big", dfd, name, 0) != 0)
			ck_abort_msg("link %s", name);
	}
	ck_assert_int_eq(unlinkat(dfd, "tmp/big", 0), 0);
	close(dfd);
}

static void
big_teardown(void)
{
	testenv_fini(&bigenv);
}

static void
check_listing(const char *cmd, const char *first, int uidl)
{
	const size_t n = BIG_N;
	struct session *s;
	const char *p;
	char want[128], name[64];
	size_t i, len;

	s = pop3_session(&bigenv);
	ck_assert_int_eq(pop3_ops.start(s), 0);
	testcore_line(s, "USER mrose");
	testcore_line(s, "PASS tanstaaf");
	ck_assert_str_eq(s->state, "TRANSACTION");
	testcore_line(s, "DELE 500");
	testcore_clear(s);
	s->full_after = 1000;
	s->since_drain = 0;
	testcore_line(s, cmd);
	ck_assert_uint_ge(s->drains, n / 1000 - 1);
	p = testcore_output(s);
	len = strlen(first);
	ck_assert(strncmp(p, first, len) == 0);
	p += len;
	for (i = 1; i <= n; i++) {
		if (i == 500)
			continue;
		if (uidl) {
			big_name(i, name, sizeof(name));
			len = (size_t)snprintf(want, sizeof(want),
			    "%zu %s\r\n", i, name);
		} else
			len = (size_t)snprintf(want, sizeof(want),
			    "%zu %zu\r\n", i, i * 100);
		/* ck_assert() costs a pipe write in fork mode: only on
		 * failure here. */
		if (strncmp(p, want, len) != 0)
			ck_abort_msg("line %zu: got \"%.*s\", want \"%s\"",
			    i, (int)len, p, want);
		p += len;
	}
	ck_assert_str_eq(p, ".\r\n");
	/* The session reads commands again afterwards. */
	testcore_clear(s);
	testcore_line(s, "STAT");
	/* 100 * (1 + ... + n) less message 500. */
	snprintf(want, sizeof(want), "+OK %zu %llu\r\n", n - 1,
	    100ULL * n * (n + 1) / 2 - 100ULL * 500);
	ck_assert_str_eq(testcore_output(s), want);
	pop3_ops.close(s);
	testcore_free(s);
}

START_TEST(test_big_list)
{
	check_listing("LIST", "+OK scan listing follows\r\n", 0);
}
END_TEST

START_TEST(test_big_uidl)
{
	check_listing("UIDL", "+OK unique-id listing follows\r\n", 1);
}
END_TEST

/* The first line of a listing may already find the output full. */
START_TEST(test_listing_full_at_once)
{
	struct session *s = logged_in(3);

	s->full_after = 1;
	s->since_drain = 0;
	testcore_line(s, "LIST");
	ck_assert_str_eq(testcore_output(s), "+OK scan listing follows\r\n"
	    "1 100\r\n2 200\r\n3 300\r\n.\r\n");
	ck_assert_uint_eq(s->drains, 3);
	pop3_ops.close(s);
	testcore_free(s);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("pop3_session");
	TCase *tc = tcase_create("session");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_greeting);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_refuse);
	tcase_add_test(tc, test_shutdown_commits_nothing);
	tcase_add_test(tc, test_timeout_silent);
	tcase_add_test(tc, test_drop_commits_nothing);
	tcase_add_test(tc, test_close_before_login);
	tcase_add_test(tc, test_password_handover);
	tcase_add_test(tc, test_apop_handover);
	tcase_add_loop_test(tc, test_trace_keep, 0,
	    (int)(sizeof(keep_cases) / sizeof(keep_cases[0])));
	tcase_add_test(tc, test_listing_full_at_once);
	suite_add_tcase(s, tc);
	tc = tcase_create("big");
	tcase_set_timeout(tc, 60);
	tcase_add_unchecked_fixture(tc, big_setup, big_teardown);
	tcase_add_test(tc, test_big_list);
	tcase_add_test(tc, test_big_uidl);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(session_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
