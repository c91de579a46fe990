/*
 * test_passwd.c - auth_passwd_parse_line() over a table of lines.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

struct passwd_case {
	const char	*line;
	size_t		 len;		/* 0 = strlen(line) */
	int		 rc;
	const char	*name, *scheme, *secret, *home;
	const char	*why;		/* expected reason when rc == -1 */
};

/* 256 octets: one over the limit. */
static const char long_name[] =
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

static const struct passwd_case cases[] = {
	/* Skipped lines. */
	{ "", 0, 0, NULL, NULL, NULL, NULL, NULL },
	{ "   \t ", 0, 0, NULL, NULL, NULL, NULL, NULL },
	{ "# alice:{PLAIN}x", 0, 0, NULL, NULL, NULL, NULL, NULL },
	{ "  # indented comment", 0, 0, NULL, NULL, NULL, NULL, NULL },

	/* Good lines. */
	{ "alice:{PLAIN}secret", 0, 1, "alice", "PLAIN", "secret", "", NULL },
	{ "alice:{plain}secret", 0, 1, "alice", "PLAIN", "secret", "", NULL },
	{ "bob:{CLEARTEXT}pw", 0, 1, "bob", "PLAIN", "pw", "", NULL },
	{ "bob:{PLAIN}", 0, 1, "bob", "PLAIN", "", "", NULL },
	{ "c:{PLAIN}p w{x}", 0, 1, "c", "PLAIN", "p w{x}", "", NULL },
	{ "d:{SHA512-CRYPT}$6$salt$hash:1000:1000:Dee:/home/d:/bin/sh:x=y",
	    0, 1, "d", "SHA512-CRYPT", "$6$salt$hash", "/home/d", NULL },
	{ "e:{sha256-crypt}$5$s$h::::/var/mail/e", 0, 1, "e",
	    "SHA256-CRYPT", "$5$s$h", "/var/mail/e", NULL },
	{ "f:{BLF-CRYPT}$2y$05$abc", 0, 1, "f", "BLF-CRYPT", "$2y$05$abc",
	    "", NULL },
	{ "f:{Blf-Crypt}$2b$05$abc", 0, 1, "f", "BLF-CRYPT", "$2b$05$abc",
	    "", NULL },
	{ "g:abJnggxhB/yWI", 0, 1, "g", "CRYPT", "abJnggxhB/yWI", "", NULL },
	{ "g:{CRYPT}$6$x$y:1:2", 0, 1, "g", "CRYPT", "$6$x$y", "", NULL },
	{ "h:{PLAIN}pw:1:2:gecos:", 0, 1, "h", "PLAIN", "pw", "", NULL },
	{ "h:{PLAIN}pw:1:2:gecos:/h:/sh:a:b:c", 0, 1, "h", "PLAIN", "pw",
	    "/h", NULL },
	{ "ünï:{PLAIN}pw", 0, 1, "ünï", "PLAIN", "pw", "", NULL },
	{ long_name + 1, 0, -1, NULL, NULL, NULL, NULL,
	    "no password field" },

	/* Malformed lines. */
	{ ":{PLAIN}x", 0, -1, NULL, NULL, NULL, NULL, "empty user name" },
	{ "alice", 0, -1, NULL, NULL, NULL, NULL, "no password field" },
	{ "alice:", 0, -1, NULL, NULL, NULL, NULL,
	    "empty secret for a crypt scheme" },
	{ "alice:{SHA512-CRYPT}", 0, -1, NULL, NULL, NULL, NULL,
	    "empty secret for a crypt scheme" },
	{ "alice:{MD4}abc", 0, -1, NULL, NULL, NULL, NULL,
	    "unknown password scheme" },
	{ "alice:{PLAIN", 0, -1, NULL, NULL, NULL, NULL,
	    "unterminated {SCHEME}" },
	{ "alice:{}x", 0, -1, NULL, NULL, NULL, NULL,
	    "empty or overlong {SCHEME}" },
	{ "alice:{SHA512-CRYPT}$5$s$h", 0, -1, NULL, NULL, NULL, NULL,
	    "hash does not match its {SCHEME}" },
	{ "alice:{BLF-CRYPT}$2x$05$abc", 0, -1, NULL, NULL, NULL, NULL,
	    "hash does not match its {SCHEME}" },
	{ "al ice:{PLAIN}x", 0, -1, NULL, NULL, NULL, NULL,
	    "space in user name" },
	{ "alice:{PLAIN}a\tb", 0, -1, NULL, NULL, NULL, NULL,
	    "control character in line" },
	{ "alice:{PLAIN}a\rb", 0, -1, NULL, NULL, NULL, NULL,
	    "control character in line" },
	{ "alice:{PLAIN}a\x7f", 0, -1, NULL, NULL, NULL, NULL,
	    "control character in line" },
	{ "alice:{PLAIN}a\0b", 15, -1, NULL, NULL, NULL, NULL,
	    "NUL octet in line" },
	{ long_name, 0, -1, NULL, NULL, NULL, NULL,
	    "user name longer than 255 octets" },
};

START_TEST(test_parse_line)
{
	const struct passwd_case	*c = &cases[_i];
	struct auth_user		 u;
	const char			*why = NULL;
	char				*p;
	size_t				 len;
	int				 rc;

	len = c->len ? c->len : strlen(c->line);
	/* Copy without a terminator so a read past LEN shows up in ASan. */
	p = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(p);
	memcpy(p, c->line, len);

	rc = auth_passwd_parse_line(p, len, &u, &why);
	ck_assert_msg(rc == c->rc, "case %d '%s': rc %d, want %d (%s)", _i,
	    c->line, rc, c->rc, why ? why : "-");
	if (rc == 1) {
		ck_assert_str_eq(u.name, c->name);
		ck_assert_str_eq(u.scheme, c->scheme);
		ck_assert_str_eq(u.secret, c->secret);
		ck_assert_str_eq(u.home, c->home);
		auth_user_clear(&u);
		ck_assert_ptr_null(u.name);
		ck_assert_ptr_null(u.secret);
	} else {
		ck_assert_ptr_null(u.name);
		ck_assert_ptr_null(u.secret);
	}
	if (rc == -1)
		ck_assert_str_eq(why, c->why);
	free(p);
}
END_TEST

/* The extra field's apop= word (RFC 1460 §13: PASS or APOP, not both);
 * the other words are Dovecot's and left alone. */
static const struct apop_case {
	const char	*line;
	int		 rc;
	enum auth_apop	 apop;
	const char	*why;
} apop_cases[] = {
	{ "a:{PLAIN}pw", 1, AUTH_APOP_DEFAULT, NULL },
	{ "a:{PLAIN}pw::::::", 1, AUTH_APOP_DEFAULT, NULL },
	{ "a:{PLAIN}pw::::::apop=only", 1, AUTH_APOP_ONLY, NULL },
	{ "a:{PLAIN}pw::::::apop=no", 1, AUTH_APOP_NO, NULL },
	{ "a:{SHA512-CRYPT}$6$s$h::::::apop=no", 1, AUTH_APOP_NO, NULL },
	{ "a:{PLAIN}pw::::/h::userdb_quota=1G  apop=only nopassword", 1,
	    AUTH_APOP_ONLY, NULL },
	{ "a:{PLAIN}pw::::::apop=only apop=only", 1, AUTH_APOP_ONLY, NULL },
	{ "a:{PLAIN}pw::::::xapop=only apop", 1, AUTH_APOP_DEFAULT, NULL },
	/* Colons after the seventh belong to the extra field's words. */
	{ "a:{PLAIN}pw::::::x:y apop=no", 1, AUTH_APOP_NO, NULL },
	{ "a:{PLAIN}pw::::::x:apop=no", 1, AUTH_APOP_DEFAULT, NULL },
	/* Before the extra field, apop= is somebody's shell. */
	{ "a:{PLAIN}pw:::::apop=only", 1, AUTH_APOP_DEFAULT, NULL },
	{ "a:{PLAIN}pw::::::apop=yes", -1, 0,
	    "apop= must be apop=only or apop=no" },
	{ "a:{PLAIN}pw::::::apop=", -1, 0,
	    "apop= must be apop=only or apop=no" },
	{ "a:{PLAIN}pw::::::apop=ONLY", -1, 0,
	    "apop= must be apop=only or apop=no" },
	{ "a:{PLAIN}pw::::::apop=only apop=no", -1, 0,
	    "both apop=only and apop=no" },
	{ "a:{SHA512-CRYPT}$6$s$h::::::apop=only", -1, 0,
	    "apop=only needs a {PLAIN} secret" },
	{ "a:{CRAM-MD5}cd3ba7deaad6e5ca23448ba42e379747a9e0f7f1fbc00c8a81bb"
	    "aac395731b56::::::apop=only", -1, 0,
	    "apop=only needs a {PLAIN} secret" },
};

START_TEST(test_parse_apop)
{
	const struct apop_case	*c = &apop_cases[_i];
	struct auth_user	 u, *d;
	const char		*why = NULL;
	int			 rc;

	rc = auth_passwd_parse_line(c->line, strlen(c->line), &u, &why);
	ck_assert_msg(rc == c->rc, "'%s': rc %d, want %d (%s)", c->line, rc,
	    c->rc, why ? why : "-");
	if (rc != 1) {
		ck_assert_str_eq(why, c->why);
		ck_assert_ptr_null(u.name);
		return;
	}
	ck_assert_int_eq(u.apop, c->apop);
	d = auth_user_dup(&u);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(d->apop, c->apop);
	auth_user_free(d);
	auth_user_clear(&u);
}
END_TEST

/* 255 octets is the limit, inclusive. */
START_TEST(test_name_limit)
{
	struct auth_user	 u;
	const char		*why;
	char			 line[300];

	memset(line, 'n', 255);
	memcpy(line + 255, ":{PLAIN}x", 9);
	ck_assert_int_eq(auth_passwd_parse_line(line, 264, &u, &why), 1);
	ck_assert_uint_eq(strlen(u.name), 255);
	auth_user_clear(&u);

	memset(line, 'n', 256);
	memcpy(line + 256, ":{PLAIN}x", 9);
	ck_assert_int_eq(auth_passwd_parse_line(line, 265, &u, &why), -1);
	ck_assert_str_eq(why, "user name longer than 255 octets");
}
END_TEST

/* auth_user_dup() copies deeply and auth_user_free() frees (ASan checks
 * both the copy and the absence of leaks). */
START_TEST(test_dup)
{
	struct auth_user	 u, *d;
	const char		*why;
	const char		*line = "x:{PLAIN}pw::::/home/x";

	ck_assert_int_eq(auth_passwd_parse_line(line, strlen(line), &u, &why),
	    1);
	d = auth_user_dup(&u);
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_ne(d->secret, u.secret);
	auth_user_clear(&u);
	ck_assert_str_eq(d->name, "x");
	ck_assert_str_eq(d->scheme, "PLAIN");
	ck_assert_str_eq(d->secret, "pw");
	ck_assert_str_eq(d->home, "/home/x");
	auth_user_free(d);
	auth_user_free(NULL);
	ck_assert_ptr_null(auth_user_dup(NULL));
}
END_TEST

static Suite *
passwd_suite(void)
{
	Suite	*s = suite_create("passwd");
	TCase	*tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_line, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_loop_test(tc, test_parse_apop, 0,
	    (int)(sizeof(apop_cases) / sizeof(apop_cases[0])));
	tcase_add_test(tc, test_name_limit);
	tcase_add_test(tc, test_dup);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(passwd_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
