/*
 * test_pop3_session.c - Check tests for protocols/pop3/pop3_session.c: the
 * greeting, the core's callbacks (refuse, shutdown, timeout, close), the
 * trace mask, the password hand-over, and resumable listings of a large
 * maildrop, all against the fake core of pop3_mock.c.
 */

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3.h"
#include "pop3_int.h"
#include "pop3_mock.h"

static struct session *
logged_in(size_t nmsgs)
{
	struct session *s = mock_session(nmsgs);

	ck_assert_int_eq(pop3_ops.start(s), 0);
	mock_line(s, "USER mrose");
	mock_line(s, "PASS tanstaaf");
	ck_assert_str_eq(s->state, "TRANSACTION");
	mock_clear(s);
	return s;
}

START_TEST(test_greeting)
{
	struct session *s = mock_session(0);

	ck_assert_int_eq(pop3_ops.start(s), 0);
	/* RFC 1939 §4 positive, §7 APOP timestamp, RFC 1957 space. */
	ck_assert_str_eq(mock_output(s), "+OK POP3 dbc.mtview.ca.us polypop "
	    "ready <1896.697170952@dbc.mtview.ca.us>\r\n");
	ck_assert_str_eq(s->state, "AUTHORIZATION");
	ck_assert(!s->closed);
	pop3_ops.close(s);
	mock_free(s);
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
	struct session *s = mock_session(0);

	/* Before start(): no module data at all. */
	pop3_ops.refuse(s, "Too many connections from your address.");
	ck_assert_str_eq(mock_output(s), "-ERR [SYS/TEMP] Too many "
	    "connections from your address.\r\n");
	mock_free(s);
}
END_TEST

START_TEST(test_shutdown_commits_nothing)
{
	struct session *s = logged_in(2);

	mock_line(s, "DELE 1");
	mock_clear(s);
	pop3_ops.shutdown(s);
	ck_assert_str_eq(mock_output(s),
	    "-ERR [SYS/TEMP] Server shutting down.\r\n");
	pop3_ops.close(s);
	ck_assert_int_eq(s->store->commits, 0);
	ck_assert_int_eq(s->store->closed, 1);
	mock_free(s);
}
END_TEST

/* RFC 1939 §3: autologout sends nothing and does not enter UPDATE. */
START_TEST(test_timeout_silent)
{
	struct session *s = logged_in(2);

	mock_line(s, "DELE 1");
	mock_clear(s);
	pop3_ops.timeout(s);
	ck_assert_str_eq(mock_output(s), "");
	pop3_ops.close(s);
	ck_assert_int_eq(s->store->commits, 0);
	ck_assert_int_eq(s->store->closed, 1);
	ck_assert_uint_eq(s->store->removed, 0);
	mock_free(s);
}
END_TEST

/* RFC 1939 §6: a dropped connection removes nothing. */
START_TEST(test_drop_commits_nothing)
{
	struct session *s = logged_in(3);

	mock_line(s, "DELE 1");
	mock_line(s, "DELE 3");
	pop3_ops.close(s);
	ck_assert_int_eq(s->store->commits, 0);
	ck_assert_int_eq(s->store->closed, 1);
	mock_free(s);
}
END_TEST

START_TEST(test_close_before_login)
{
	struct session *s = mock_session(1);

	ck_assert_int_eq(pop3_ops.start(s), 0);
	mock_line(s, "USER mrose");
	pop3_ops.close(s);
	ck_assert_int_eq(s->store->closed, 0);
	ck_assert_ptr_null(session_data(s));
	/* close() after a failed start() (no data) is harmless. */
	pop3_ops.close(s);
	mock_free(s);
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
		struct session *s = mock_session(1);

		ck_assert_int_eq(pop3_ops.start(s), 0);
		mock_line(s, "USER mrose");
		snprintf(line, sizeof(line), "PASS %s", pw[i]);
		mock_line(s, line);
		ck_assert_str_eq(s->login_user, "mrose");
		ck_assert_str_eq(s->login_secret, pw[i]);
		ck_assert_int_eq(s->login_apop, 0);
		pop3_ops.close(s);
		mock_free(s);
	}
}
END_TEST

START_TEST(test_apop_handover)
{
	struct session *s = mock_session(1);

	ck_assert_int_eq(pop3_ops.start(s), 0);
	mock_line(s, "apop mrose c4c9334bac560ecc979e58001b3e22fb");
	ck_assert_str_eq(s->login_user, "mrose");
	ck_assert_str_eq(s->login_secret, "c4c9334bac560ecc979e58001b3e22fb");
	ck_assert_int_eq(s->login_apop, 1);
	ck_assert_str_eq(s->state, "TRANSACTION");
	pop3_ops.close(s);
	mock_free(s);
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
	struct session *s = mock_session(0);

	ck_assert_int_eq(pop3_ops.start(s), 0);
	ck_assert_msg(pop3_ops.trace_keep(s, c->line, strlen(c->line)) ==
	    c->keep, "\"%s\": keep %zu", c->line, c->keep);
	pop3_ops.close(s);
	mock_free(s);
}
END_TEST

/*
 * A 100,000-message maildrop: LIST and UIDL stop whenever the output is
 * "full" and resume on drain, and the listing is still complete, in
 * order, and without the deleted messages.
 */
static void
check_listing(const char *cmd, const char *first, int uidl)
{
	const size_t n = 100000;
	struct session *s = logged_in(n);
	const char *p;
	char want[64];
	size_t i, len;

	mock_line(s, "DELE 500");
	mock_clear(s);
	s->full_after = 1000;
	s->since_drain = 0;
	mock_line(s, cmd);
	ck_assert_uint_ge(s->drains, n / 1000 - 1);
	p = mock_output(s);
	len = strlen(first);
	ck_assert(strncmp(p, first, len) == 0);
	p += len;
	for (i = 1; i <= n; i++) {
		if (i == 500)
			continue;
		if (uidl)
			len = (size_t)snprintf(want, sizeof(want),
			    "%zu uid-%zu\r\n", i, i);
		else
			len = (size_t)snprintf(want, sizeof(want),
			    "%zu %zu\r\n", i, i * 100);
		ck_assert_msg(strncmp(p, want, len) == 0, "line %zu", i);
		p += len;
	}
	ck_assert_str_eq(p, ".\r\n");
	/* The session reads commands again afterwards. */
	mock_clear(s);
	mock_line(s, "STAT");
	ck_assert(strncmp(mock_output(s), "+OK 99999 ", 10) == 0);
	pop3_ops.close(s);
	mock_free(s);
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
	mock_line(s, "LIST");
	ck_assert_str_eq(mock_output(s), "+OK scan listing follows\r\n"
	    "1 100\r\n2 200\r\n3 300\r\n.\r\n");
	ck_assert_uint_eq(s->drains, 3);
	pop3_ops.close(s);
	mock_free(s);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite *s = suite_create("pop3_session");
	TCase *tc = tcase_create("session");

	tcase_set_timeout(tc, 60);
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
	tcase_add_test(tc, test_big_list);
	tcase_add_test(tc, test_big_uidl);
	tcase_add_test(tc, test_listing_full_at_once);
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
