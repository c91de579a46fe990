/*
 * test_rpop.c - the RPOP trust map: the parser on good and bad texts,
 * its limits, and rpop_allowed() on IPv4, IPv6, '=' and mapped addresses.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rpop.h"

static struct rpop_map *
parse_ok(const char *text)
{
	struct rpop_map		*m = (struct rpop_map *)1;
	struct rpop_error	 e;
	char			 msg[256];

	if (rpop_parse(text, strlen(text), &m, &e) != 0) {
		rpop_error_format(&e, "t", msg, sizeof(msg));
		ck_abort_msg("cannot parse '%s': %s", text, msg);
	}
	ck_assert_ptr_nonnull(m);
	return m;
}

/* --- good texts --- */

struct good_case {
	const char	*text;
	size_t		 rules;
};

static const struct good_case good_cases[] = {
	{ "", 0 },
	{ "\n\n", 0 },
	{ "# only a comment\n   # indented comment\n\t\n", 0 },
	{ "192.0.2.1 bob alice\n", 1 },
	{ "192.0.2.1 bob alice", 1 },		/* no final newline */
	{ "192.0.2.1\tbob \t alice  \r\n", 1 },
	{ "  192.0.2.1 = alice\n2001:db8::7 carol alice\n", 2 },
	{ "# trust\n\n192.0.2.1 bob alice\n# more\n::ffff:192.0.2.9 = dave\n",
	    2 },
	{ "192.0.2.1 bob alice\n192.0.2.1 bob alice\n", 2 },	/* harmless */
	{ "192.0.2.1 b\xc3\xb6" "b alice\n", 1 },		/* UTF-8 names */
	{ "# \xc3\xa9t\xc3\xa9" "\n", 0 },
	{ "::1 = alice\n127.0.0.1 = alice\n", 2 },
};

START_TEST(test_good)
{
	const struct good_case	*c = &good_cases[_i];
	struct rpop_map		*m = parse_ok(c->text);

	ck_assert_uint_eq(rpop_count(m), c->rules);
	rpop_free(m);
}
END_TEST

/* --- bad texts: the exact "FILE:LINE: reason" --- */

struct bad_case {
	const char	*text;
	const char	*err;
};

static const struct bad_case bad_cases[] = {
	{ "192.0.2.1\n", "t:1: expected HOST REMOTE-USER LOCAL-USER" },
	{ "192.0.2.1 bob\n", "t:1: expected HOST REMOTE-USER LOCAL-USER" },
	{ "# ok\n\n192.0.2.1 bob alice extra\n",
	    "t:3: too many fields, expected HOST REMOTE-USER LOCAL-USER "
	    "(comments go on their own line)" },
	{ "192.0.2.1 bob alice # trailing comment\n",
	    "t:1: too many fields, expected HOST REMOTE-USER LOCAL-USER "
	    "(comments go on their own line)" },
	{ "192.0.2.1 bob alice\nmail.example.org bob alice\n",
	    "t:2: host names are not accepted (no DNS), write a numeric "
	    "address" },
	{ "localhost = alice\n",
	    "t:1: host names are not accepted (no DNS), write a numeric "
	    "address" },
	{ "192.0.2.256 bob alice\n", "t:1: bad IPv4 address" },
	{ "192.0.2 bob alice\n", "t:1: bad IPv4 address" },
	{ "127.1 bob alice\n", "t:1: bad IPv4 address" },
	{ "010.0.0.1 bob alice\n", "t:1: bad IPv4 address" },
	{ "2001:db8::g bob alice\n", "t:1: bad IPv6 address" },
	{ "2001:db8:::1 bob alice\n", "t:1: bad IPv6 address" },
	{ "[2001:db8::1] bob alice\n",
	    "t:1: write an IPv6 address without brackets" },
	{ "fe80::1%eth0 bob alice\n", "t:1: zone index ('%') not supported" },
	{ "fe80::1 bob alice\n", "t:1: link-local addresses are not supported" },
	{ "febf::1 bob alice\n", "t:1: link-local addresses are not supported" },
	{ "192.0.2.0/24 bob alice\n",
	    "t:1: address ranges are not supported, one address per rule" },
	{ "0.0.0.0 bob alice\n",
	    "t:1: 0.0.0.0 and :: are not wildcards, name each client address" },
	{ ":: bob alice\n",
	    "t:1: 0.0.0.0 and :: are not wildcards, name each client address" },
	{ "::ffff:0.0.0.0 bob alice\n",
	    "t:1: 0.0.0.0 and :: are not wildcards, name each client address" },
	{ "* bob alice\n", "t:1: wildcards are not allowed" },
	{ "+ bob alice\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 bob *\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 * alice\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 + alice\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 +bob alice\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 bob +\n", "t:1: wildcards are not allowed" },
	{ "192.0.2.1 -bob alice\n",
	    "t:1: '-' entries (as in .rhosts) are not supported" },
	{ "192.0.2.1 bob =\n", "t:1: '=' is only allowed as REMOTE-USER" },
	{ "192.0.2.1 = =\n", "t:1: '=' is only allowed as REMOTE-USER" },
	{ "192.0.2.1 bob al\x01ice\n", "t:1: control character in line" },
	{ "\n\n\n# x\x7f\n", "t:4: control character in line" },
	{ "192.0.2.1 bob\ralice\n", "t:1: control character in line" },
	{ "192.0.2.1 bob alice\r\r\n", "t:1: control character in line" },
};

START_TEST(test_bad)
{
	const struct bad_case	*c = &bad_cases[_i];
	struct rpop_map		*m = (struct rpop_map *)1;
	struct rpop_error	 e;
	char			 msg[256];

	ck_assert_int_eq(rpop_parse(c->text, strlen(c->text), &m, &e), -1);
	ck_assert_ptr_null(m);
	rpop_error_format(&e, "t", msg, sizeof(msg));
	ck_assert_str_eq(msg, c->err);
}
END_TEST

START_TEST(test_nul)
{
	const char		 text[] = "# one\n192.0.2.1 bob al\0ice\n";
	struct rpop_map		*m;
	struct rpop_error	 e;

	ck_assert_int_eq(rpop_parse(text, sizeof(text) - 1, &m, &e), -1);
	ck_assert_uint_eq(e.line, 2);
	ck_assert_str_eq(e.why, "NUL octet in line");
}
END_TEST

/* --- limits --- */

static char *
repeat(const char *unit, size_t n, size_t *len)
{
	size_t	 ul = strlen(unit), i;
	char	*s = malloc(ul * n + 1);

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++)
		memcpy(s + i * ul, unit, ul);
	s[ul * n] = '\0';
	*len = ul * n;
	return s;
}

START_TEST(test_line_limit)
{
	char			 line[RPOP_LINE_MAX + 8];
	struct rpop_map		*m;
	struct rpop_error	 e;
	size_t			 n;

	/* A comment of exactly 1024 octets, then with CRLF: both fine. */
	memset(line, '#', RPOP_LINE_MAX);
	line[RPOP_LINE_MAX] = '\n';
	ck_assert_int_eq(rpop_parse(line, RPOP_LINE_MAX + 1, &m, &e), 0);
	rpop_free(m);
	line[RPOP_LINE_MAX] = '\r';
	line[RPOP_LINE_MAX + 1] = '\n';
	ck_assert_int_eq(rpop_parse(line, RPOP_LINE_MAX + 2, &m, &e), 0);
	rpop_free(m);
	/* 1025 octets: refused, on its line. */
	n = (size_t)snprintf(line, sizeof(line), "\n\n");
	memset(line + n, '#', RPOP_LINE_MAX + 1);
	ck_assert_int_eq(rpop_parse(line, n + RPOP_LINE_MAX + 1, &m, &e), -1);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(e.line, 3);
	ck_assert_str_eq(e.why, "line longer than 1024 octets");
}
END_TEST

START_TEST(test_name_limit)
{
	char			 text[600];
	char			 name[300];
	struct rpop_map		*m;
	struct rpop_error	 e;

	memset(name, 'a', RPOP_NAME_MAX);
	name[RPOP_NAME_MAX] = '\0';
	snprintf(text, sizeof(text), "192.0.2.1 = %s\n", name);
	ck_assert_int_eq(rpop_parse(text, strlen(text), &m, &e), 0);
	ck_assert_int_eq(rpop_allowed(m, "192.0.2.1", name, name), 1);
	rpop_free(m);
	strcat(name, "a");
	snprintf(text, sizeof(text), "192.0.2.1 = %s\n", name);
	ck_assert_int_eq(rpop_parse(text, strlen(text), &m, &e), -1);
	ck_assert_str_eq(e.why, "user name longer than 255 octets");
	snprintf(text, sizeof(text), "192.0.2.1 %s alice\n", name);
	ck_assert_int_eq(rpop_parse(text, strlen(text), &m, &e), -1);
	ck_assert_str_eq(e.why, "user name longer than 255 octets");
}
END_TEST

START_TEST(test_rule_limit)
{
	struct rpop_map		*m;
	struct rpop_error	 e;
	char			*text, *more;
	size_t			 len;

	text = repeat("192.0.2.1 = alice\n", RPOP_RULES_MAX, &len);
	ck_assert_int_eq(rpop_parse(text, len, &m, &e), 0);
	ck_assert_uint_eq(rpop_count(m), RPOP_RULES_MAX);
	rpop_free(m);
	/* Comments do not count; one more rule does, on its own line. */
	more = malloc(len + 64);
	ck_assert_ptr_nonnull(more);
	memcpy(more, text, len);
	strcpy(more + len, "# c\n192.0.2.2 = bob\n");
	ck_assert_int_eq(rpop_parse(more, strlen(more), &m, &e), -1);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(e.line, RPOP_RULES_MAX + 2);
	ck_assert_str_eq(e.why, "more than 10000 rules");
	free(more);
	free(text);
}
END_TEST

START_TEST(test_file_limit)
{
	struct rpop_map		*m;
	struct rpop_error	 e;
	char			 msg[128];
	char			*text = malloc(RPOP_FILE_MAX + 1);

	ck_assert_ptr_nonnull(text);
	/* Exactly 1 MiB of blank lines is fine; one octet more is not. */
	memset(text, '\n', RPOP_FILE_MAX + 1);
	ck_assert_int_eq(rpop_parse(text, RPOP_FILE_MAX, &m, &e), 0);
	ck_assert_uint_eq(rpop_count(m), 0);
	rpop_free(m);
	ck_assert_int_eq(rpop_parse(text, RPOP_FILE_MAX + 1, &m, &e), -1);
	ck_assert_uint_eq(e.line, 0);
	rpop_error_format(&e, "/etc/rpop", msg, sizeof(msg));
	ck_assert_str_eq(msg, "/etc/rpop: larger than 1048576 octets");
	free(text);
}
END_TEST

/* --- rpop_allowed --- */

static const char allow_map[] =
    "# RFC 1081: remote user on the client host -> local maildrop\n"
    "192.0.2.1 bob alice\n"
    "192.0.2.1 = carol\n"
    "2001:db8::7 root dave\n"
    "2001:db8::8 = erin\n"
    "::ffff:198.51.100.5 = frank\n"
    "198.51.100.6 = gina\n"
    "::1 = hank\n"
    "127.0.0.1 = ivan\n";

struct allow_case {
	const char	*addr, *remote, *local;
	int		 want;
};

static const struct allow_case allow_cases[] = {
	/* IPv4 */
	{ "192.0.2.1", "bob", "alice", 1 },
	{ "192.0.2.1", "alice", "alice", 0 },	/* bob only */
	{ "192.0.2.1", "Bob", "alice", 0 },	/* exact case */
	{ "192.0.2.1", "bob", "Alice", 0 },
	{ "192.0.2.2", "bob", "alice", 0 },	/* other host */
	{ "192.0.2.1", "bob", "carol", 0 },	/* '=' means carol */
	{ "192.0.2.1", "carol", "carol", 1 },
	{ "192.0.2.1", "mallory", "mallory", 0 },	/* no rule */
	{ "192.0.2.1", "bo", "alice", 0 },	/* no prefix matching */
	{ "192.0.2.1", "bobb", "alice", 0 },
	/* IPv6, compared by value whatever the spelling */
	{ "2001:db8::7", "root", "dave", 1 },
	{ "2001:0db8:0000:0000:0000:0000:0000:0007", "root", "dave", 1 },
	{ "2001:DB8::7", "root", "dave", 1 },
	{ "2001:db8::7", "dave", "dave", 0 },
	{ "2001:db8::8", "erin", "erin", 1 },
	{ "2001:db8::8", "root", "erin", 0 },
	{ "2001:db8::9", "erin", "erin", 0 },
	/* IPv4-mapped: one address, whichever way either side writes it */
	{ "::ffff:192.0.2.1", "bob", "alice", 1 },
	{ "::ffff:c000:201", "bob", "alice", 1 },
	{ "198.51.100.5", "frank", "frank", 1 },
	{ "::ffff:198.51.100.5", "frank", "frank", 1 },
	{ "::ffff:198.51.100.6", "gina", "gina", 1 },
	{ "198.51.100.6", "gina", "gina", 1 },
	/* ...but only the ::ffff:0:0/96 form: not IPv4-compatible, NAT64 */
	{ "::192.0.2.1", "bob", "alice", 0 },
	{ "64:ff9b::192.0.2.1", "bob", "alice", 0 },
	/* Loopback is not one host: ::1 and 127.0.0.1 are kept apart */
	{ "::1", "hank", "hank", 1 },
	{ "127.0.0.1", "hank", "hank", 0 },
	{ "127.0.0.1", "ivan", "ivan", 1 },
	{ "::ffff:127.0.0.1", "ivan", "ivan", 1 },
	{ "::1", "ivan", "ivan", 0 },
	/* Malformed input never matches */
	{ "192.0.2.1 ", "bob", "alice", 0 },
	{ "[2001:db8::7]", "root", "dave", 0 },
	{ "192.000.002.001", "bob", "alice", 0 },
	{ "", "bob", "alice", 0 },
	{ "192.0.2.1", "", "alice", 0 },
	{ "192.0.2.1", "bob", "", 0 },
	{ "192.0.2.1", "=", "carol", 0 },	/* '=' is not a name */
	{ "192.0.2.1", "*", "alice", 0 },
};

START_TEST(test_allowed)
{
	const struct allow_case	*c = &allow_cases[_i];
	struct rpop_map		*m = parse_ok(allow_map);

	ck_assert_msg(rpop_allowed(m, c->addr, c->remote, c->local) ==
	    c->want, "case %d: %s %s -> %s: expected %d", _i, c->addr,
	    c->remote, c->local, c->want);
	rpop_free(m);
}
END_TEST

START_TEST(test_allowed_null)
{
	struct rpop_map		*m = parse_ok(allow_map);
	struct rpop_map		*empty = parse_ok("# nobody\n");

	ck_assert_int_eq(rpop_allowed(NULL, "192.0.2.1", "bob", "alice"), 0);
	ck_assert_int_eq(rpop_allowed(empty, "192.0.2.1", "bob", "alice"), 0);
	ck_assert_int_eq(rpop_allowed(m, NULL, "bob", "alice"), 0);
	ck_assert_int_eq(rpop_allowed(m, "192.0.2.1", NULL, "alice"), 0);
	ck_assert_int_eq(rpop_allowed(m, "192.0.2.1", "bob", NULL), 0);
	ck_assert_int_eq(rpop_allowed(m, "192.0.2.1", "bob", "alice"), 1);
	rpop_free(m);
	rpop_free(empty);
	rpop_free(NULL);
}
END_TEST

/* The socket-address path the core uses agrees with the text path. */
START_TEST(test_sockaddr)
{
	struct rpop_map		*m = parse_ok(allow_map);
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	struct sockaddr		 other;
	unsigned char		 addr[16];
	unsigned		 port = 0;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(1023);
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr), 1);
	ck_assert_int_eq(rpop_addr_from_sockaddr((struct sockaddr *)&sin,
	    addr, &port), 0);
	ck_assert_uint_eq(port, 1023);
	ck_assert_int_eq(rpop_allowed_addr(m, addr, "bob", "alice"), 1);
	ck_assert_int_eq(rpop_allowed_addr(m, addr, "bob", "carol"), 0);

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(40000);
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:192.0.2.1",
	    &sin6.sin6_addr), 1);
	ck_assert_int_eq(rpop_addr_from_sockaddr((struct sockaddr *)&sin6,
	    addr, &port), 0);
	ck_assert_uint_eq(port, 40000);
	ck_assert_int_eq(rpop_allowed_addr(m, addr, "bob", "alice"), 1);

	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::7", &sin6.sin6_addr),
	    1);
	ck_assert_int_eq(rpop_addr_from_sockaddr((struct sockaddr *)&sin6,
	    addr, &port), 0);
	ck_assert_int_eq(rpop_allowed_addr(m, addr, "root", "dave"), 1);
	ck_assert_int_eq(rpop_allowed_addr(m, addr, "bob", "alice"), 0);

	memset(&other, 0, sizeof(other));
	other.sa_family = AF_UNIX;
	ck_assert_int_eq(rpop_addr_from_sockaddr(&other, addr, &port), -1);
	rpop_free(m);
}
END_TEST

/* A failed parse never hands out a map, however far it got. */
START_TEST(test_all_or_nothing)
{
	struct rpop_map		*m = (struct rpop_map *)1;
	struct rpop_error	 e;
	const char		 text[] = "192.0.2.1 bob alice\n192.0.2.1 bob\n";

	ck_assert_int_eq(rpop_parse(text, sizeof(text) - 1, &m, &e), -1);
	ck_assert_ptr_null(m);
	ck_assert_uint_eq(e.line, 2);
}
END_TEST

START_TEST(test_format)
{
	struct rpop_error	 e = { 7, "bad IPv4 address" };
	char			 small[8];
	char			 msg[64];

	rpop_error_format(&e, "/etc/polypop/rpop", msg, sizeof(msg));
	ck_assert_str_eq(msg, "/etc/polypop/rpop:7: bad IPv4 address");
	rpop_error_format(&e, "/etc/polypop/rpop", small, sizeof(small));
	ck_assert_str_eq(small, "/etc/po");
}
END_TEST

static Suite *
rpop_suite(void)
{
	Suite	*s = suite_create("rpop");
	TCase	*tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_good, 0,
	    sizeof(good_cases) / sizeof(good_cases[0]));
	tcase_add_loop_test(tc, test_bad, 0,
	    sizeof(bad_cases) / sizeof(bad_cases[0]));
	tcase_add_test(tc, test_nul);
	tcase_add_test(tc, test_all_or_nothing);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_add_test(tc, test_line_limit);
	tcase_add_test(tc, test_name_limit);
	tcase_add_test(tc, test_rule_limit);
	tcase_add_test(tc, test_file_limit);
	suite_add_tcase(s, tc);

	tc = tcase_create("allowed");
	tcase_add_loop_test(tc, test_allowed, 0,
	    sizeof(allow_cases) / sizeof(allow_cases[0]));
	tcase_add_test(tc, test_allowed_null);
	tcase_add_test(tc, test_sockaddr);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(rpop_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
