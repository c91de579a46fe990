/*
 * test_auth.c - password and APOP checks against real hashes, and the
 * passwd-file loader against real files in a temporary directory.
 */
#define _GNU_SOURCE		/* asprintf, nftw */
#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"

/* Parse "{SCHEME}secret" as a passwd-file line for user "u". */
static struct auth_user *
user_from(const char *scheme_secret)
{
	struct auth_user	 u, *d;
	const char		*why;
	char			 line[512];
	int			 n;

	n = snprintf(line, sizeof(line), "u:%s", scheme_secret);
	ck_assert_int_lt(n, (int)sizeof(line));
	ck_assert_msg(auth_passwd_parse_line(line, (size_t)n, &u, &why) == 1,
	    "cannot parse %s: %s", line, why);
	d = auth_user_dup(&u);
	ck_assert_ptr_nonnull(d);
	auth_user_clear(&u);
	return d;
}

/* "{SCHEME}" followed by crypt(PASSWORD) under a fresh salt for PREFIX. */
static char *
crypt_line(const char *scheme, const char *prefix, unsigned long count,
    const char *password)
{
	struct crypt_data	*cd = calloc(1, sizeof(*cd));
	char			 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char		*out;
	char			*s;

	ck_assert_ptr_nonnull(cd);
	if (strcmp(prefix, "") == 0)
		strcpy(salt, "ab");	/* traditional DES: two salt chars */
	else
		ck_assert_ptr_nonnull(crypt_gensalt_rn(prefix, count, NULL, 0,
		    salt, (int)sizeof(salt)));
	out = crypt_rn(password, salt, cd, (int)sizeof(*cd));
	ck_assert_ptr_nonnull(out);
	ck_assert_int_ne(asprintf(&s, "{%s}%s", scheme, out), -1);
	free(cd);
	return s;
}

struct pw_case {
	const char	*what;
	const char	*scheme;
	const char	*prefix;	/* NULL: use auth_hash_password */
	unsigned long	 count;
};

static const struct pw_case pw_cases[] = {
	{ "PLAIN via auth_hash_password", "PLAIN", NULL, 0 },
	{ "SHA512-CRYPT via auth_hash_password", "SHA512-CRYPT", NULL, 0 },
	{ "SHA256-CRYPT via crypt", "SHA256-CRYPT", "$5$", 0 },
	{ "SHA512-CRYPT via crypt", "SHA512-CRYPT", "$6$", 0 },
	{ "BLF-CRYPT $2b$ via crypt", "BLF-CRYPT", "$2b$", 4 },
	{ "BLF-CRYPT $2y$ via crypt", "BLF-CRYPT", "$2y$", 4 },
	{ "CRYPT DES via crypt", "CRYPT", "", 0 },
	{ "CRYPT holding $6$ via crypt", "CRYPT", "$6$", 0 },
};

START_TEST(test_password)
{
	const struct pw_case	*c = &pw_cases[_i];
	struct auth_user	*u;
	char			*line;
	/* DES looks at 8 characters only, so the wrong one differs early. */
	const char		*right = "s3cret!";

	if (c->prefix == NULL)
		line = auth_hash_password(c->scheme, right);
	else
		line = crypt_line(c->scheme, c->prefix, c->count, right);
	ck_assert_ptr_nonnull(line);
	u = user_from(line);
	ck_assert_str_eq(u->scheme, c->scheme);

	ck_assert_int_eq(auth_check_password(u, right), AUTH_OK);
	ck_assert_int_eq(auth_check_password(u, "s3cret?"), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(u, "S3cret!"), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(u, ""), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(u, NULL), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(u, "s3cre"), AUTH_FAIL);
	auth_user_free(u);
	free(line);
}
END_TEST

START_TEST(test_hash_password)
{
	char	*a, *b;

	a = auth_hash_password("SHA512-CRYPT", "pw");
	b = auth_hash_password("sha512-crypt", "pw");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(strncmp(a, "{SHA512-CRYPT}$6$", 17), 0);
	/* A random salt each time. */
	ck_assert_str_ne(a, b);
	free(a);
	free(b);

	a = auth_hash_password("PLAIN", "tanstaaf");
	ck_assert_str_eq(a, "{PLAIN}tanstaaf");
	free(a);
	/* Could not be read back from a passwd-file. */
	ck_assert_ptr_null(auth_hash_password("PLAIN", "a:b"));
	ck_assert_ptr_null(auth_hash_password("PLAIN", "a\nb"));
	ck_assert_ptr_null(auth_hash_password("MD4", "pw"));
	ck_assert_ptr_null(auth_hash_password(NULL, "pw"));
}
END_TEST

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

START_TEST(test_unknown_user)
{
	static const char *const schemes[] = { "SHA512-CRYPT", "PLAIN" };
	struct auth_user	*u;
	char			*line;
	double			 t, known, unknown;
	size_t			 k;
	int			 i;

	ck_assert_int_eq(auth_check_password(NULL, "anything"), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(NULL, ""), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(NULL, NULL), AUTH_FAIL);
	/* Even the password of the built-in dummy hash fails. */
	ck_assert_int_eq(auth_check_password(NULL, "polypop-no-such-user"),
	    AUTH_FAIL);

	/* An unknown user costs a SHA512-CRYPT, and so does a known user
	 * of either kind.  Best of five against noise; the bound is loose
	 * on purpose: it catches "microseconds against milliseconds". */
	for (k = 0; k < sizeof(schemes) / sizeof(schemes[0]); k++) {
		line = auth_hash_password(schemes[k], "pw");
		u = user_from(line);
		known = unknown = 1e9;
		for (i = 0; i < 5; i++) {
			t = now();
			ck_assert_int_eq(auth_check_password(u, "nope"),
			    AUTH_FAIL);
			t = now() - t;
			known = t < known ? t : known;
			t = now();
			ck_assert_int_eq(auth_check_password(NULL, "nope"),
			    AUTH_FAIL);
			t = now() - t;
			unknown = t < unknown ? t : unknown;
		}
		ck_assert_msg(unknown > known / 4 && known > unknown / 4,
		    "%s: unknown %.6fs, known %.6fs", schemes[k], unknown,
		    known);
		auth_user_free(u);
		free(line);
	}
}
END_TEST

START_TEST(test_bad_scheme)
{
	struct auth_user	 u;

	memset(&u, 0, sizeof(u));
	u.name = "x";
	u.home = "";
	u.scheme = "MD4";
	u.secret = "abc";
	ck_assert_int_eq(auth_check_password(&u, "abc"), AUTH_ESCHEME);
	/* A $5$ hash labelled SHA512-CRYPT is refused, not downgraded. */
	u.scheme = "SHA512-CRYPT";
	u.secret = "$5$abc$def";
	ck_assert_int_eq(auth_check_password(&u, "abc"), AUTH_ESCHEME);
	/* Locked accounts: crypt refuses the setting, nothing matches. */
	u.scheme = "CRYPT";
	u.secret = "!";
	ck_assert_int_eq(auth_check_password(&u, "!"), AUTH_FAIL);
	u.secret = "*";
	ck_assert_int_eq(auth_check_password(&u, "*"), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password(&u, "*0"), AUTH_FAIL);
}
END_TEST

/* RFC 1939 §7 example. */
#define RFC_TS		"<1896.697170952@dbc.mtview.ca.us>"
#define RFC_DIGEST	"c4c9334bac560ecc979e58001b3e22fb"

struct apop_case {
	const char	*digest;
	int		 rc;
};

static const struct apop_case apop_cases[] = {
	{ RFC_DIGEST, AUTH_OK },
	{ "C4C9334BAC560ECC979E58001B3E22FB", AUTH_OK },
	{ "c4c9334bac560ecc979e58001B3E22FB", AUTH_OK },
	{ "c4c9334bac560ecc979e58001b3e22fc", AUTH_FAIL },
	{ "c4c9334bac560ecc979e58001b3e22f", AUTH_FAIL },
	{ "c4c9334bac560ecc979e58001b3e22fb0", AUTH_FAIL },
	{ "c4c9334bac560ecc979e58001b3e22fg", AUTH_FAIL },
	{ " c4c9334bac560ecc979e58001b3e22f", AUTH_FAIL },
	{ "", AUTH_FAIL },
};

START_TEST(test_apop)
{
	struct auth_user	*u = user_from("{PLAIN}tanstaaf");

	ck_assert_int_eq(auth_check_apop(u, RFC_TS, apop_cases[_i].digest),
	    apop_cases[_i].rc);
	auth_user_free(u);
}
END_TEST

START_TEST(test_apop_refused)
{
	struct auth_user	*u;
	char			*line;

	/* Wrong timestamp. */
	u = user_from("{PLAIN}tanstaaf");
	ck_assert_int_eq(auth_check_apop(u, "<1@x>", RFC_DIGEST), AUTH_FAIL);
	ck_assert_int_eq(auth_check_apop(u, NULL, RFC_DIGEST), AUTH_FAIL);
	ck_assert_int_eq(auth_check_apop(u, RFC_TS, NULL), AUTH_FAIL);
	auth_user_free(u);

	/* A hashed secret cannot serve APOP. */
	line = auth_hash_password("SHA512-CRYPT", "tanstaaf");
	u = user_from(line);
	ck_assert_int_eq(auth_check_apop(u, RFC_TS, RFC_DIGEST), AUTH_ESCHEME);
	auth_user_free(u);
	free(line);

	/* Unknown user. */
	ck_assert_int_eq(auth_check_apop(NULL, RFC_TS, RFC_DIGEST), AUTH_FAIL);
}
END_TEST

/* SASLprep (RFC 4013) through gsasl_saslprep(). */
static const struct {
	const char	*in;
	int		 how;
	int		 rc;
	const char	*out;
} prep_cases[] = {
	{ "alice", AUTH_PREP_QUERY, AUTH_OK, "alice" },
	{ "Alice Liddell", AUTH_PREP_STORED, AUTH_OK, "Alice Liddell" },
	{ "", AUTH_PREP_QUERY, AUTH_OK, "" },
	/* B.1: SOFT HYPHEN is mapped to nothing. */
	{ "al\xc2\xadice", AUTH_PREP_QUERY, AUTH_OK, "alice" },
	{ "\xc2\xad", AUTH_PREP_QUERY, AUTH_OK, "" },
	/* C.1.2: NO-BREAK SPACE is mapped to SPACE. */
	{ "a\xc2\xa0" "b", AUTH_PREP_QUERY, AUTH_OK, "a b" },
	/* NFKC: ANGSTROM SIGN is LATIN CAPITAL A WITH RING ABOVE. */
	{ "\xe2\x84\xab", AUTH_PREP_STORED, AUTH_OK, "\xc3\x85" },
	/* C.2.1, C.2.2, C.3: prohibited. */
	{ "a\x07", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
	{ "a\tb", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
	{ "a\xc2\x85", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
	{ "a\xee\x80\x80", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
	/* Not UTF-8. */
	{ "a\xff", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
	/* U+0221, unassigned in Unicode 3.2: a query keeps it, a stored
	 * string may not hold it (RFC 3454 §7). */
	{ "a\xc8\xa1", AUTH_PREP_QUERY, AUTH_OK, "a\xc8\xa1" },
	{ "a\xc8\xa1", AUTH_PREP_STORED, AUTH_FAIL, NULL },
	/* §2.4: RandALCat and LCat together. */
	{ "\xd8\xa7" "a", AUTH_PREP_QUERY, AUTH_FAIL, NULL },
};

START_TEST(test_saslprep)
{
	char	*out = (char *)"x";
	int	 rc;

	rc = auth_saslprep(prep_cases[_i].in, prep_cases[_i].how, &out);
	ck_assert_msg(rc == prep_cases[_i].rc, "case %d: %d", _i, rc);
	if (prep_cases[_i].out == NULL)
		ck_assert_ptr_null(out);
	else
		ck_assert_str_eq(out, prep_cases[_i].out);
	free(out);
}
END_TEST

START_TEST(test_check_saslprep)
{
	struct auth_user	*u;
	char			*line;

	/* {PLAIN}: both sides prepared as query strings. */
	u = user_from("{PLAIN}secret");
	ck_assert_int_eq(auth_check_password_ex(u, "sec\xc2\xadret",
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	ck_assert_int_eq(auth_check_password_ex(u, "sec\xc2\xadret", 0),
	    AUTH_FAIL);
	ck_assert_int_eq(auth_check_password_ex(u, "secret",
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	ck_assert_int_eq(auth_check_password_ex(u, "secret\x07",
	    AUTH_CHECK_SASLPREP), AUTH_FAIL);
	ck_assert_int_eq(auth_check_password_ex(u, "wrong",
	    AUTH_CHECK_SASLPREP), AUTH_FAIL);
	auth_user_free(u);
	u = user_from("{PLAIN}sec\xc2\xadret");
	ck_assert_int_eq(auth_check_password_ex(u, "secret",
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	auth_user_free(u);
	u = user_from("{PLAIN}a\xc8\xa1");
	ck_assert_int_eq(auth_check_password_ex(u, "a\xc8\xa1",
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	auth_user_free(u);
	u = user_from("{PLAIN}");
	ck_assert_int_eq(auth_check_password_ex(u, "", AUTH_CHECK_SASLPREP),
	    AUTH_OK);
	auth_user_free(u);
	/* A hash: the password is prepared before crypt(3). */
	line = auth_hash_password("SHA512-CRYPT", "secret");
	u = user_from(line);
	ck_assert_int_eq(auth_check_password_ex(u, "\xc2\xadsecret",
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	ck_assert_int_eq(auth_check_password_ex(u, "\xc2\xadsecret", 0),
	    AUTH_FAIL);
	auth_user_free(u);
	free(line);
	/* Unknown user: still AUTH_FAIL. */
	ck_assert_int_eq(auth_check_password_ex(NULL, "secret",
	    AUTH_CHECK_SASLPREP), AUTH_FAIL);

	/* APOP: the {PLAIN} secret prepared as a stored string. */
	u = user_from("{PLAIN}tans\xc2\xadtaaf");
	ck_assert_int_eq(auth_check_apop_ex(u, RFC_TS, RFC_DIGEST,
	    AUTH_CHECK_SASLPREP), AUTH_OK);
	ck_assert_int_eq(auth_check_apop_ex(u, RFC_TS, RFC_DIGEST, 0),
	    AUTH_FAIL);
	auth_user_free(u);
	/* A stored string may not hold an unassigned code point: no
	 * digest matches, not even the one over the raw secret. */
	u = user_from("{PLAIN}tanstaaf\xc8\xa1");
	ck_assert_int_eq(auth_check_apop_ex(u, RFC_TS,
	    "1f4c4f41b80b64c3e2915eb6c4877a81", 0), AUTH_OK);
	ck_assert_int_eq(auth_check_apop_ex(u, RFC_TS,
	    "1f4c4f41b80b64c3e2915eb6c4877a81", AUTH_CHECK_SASLPREP),
	    AUTH_FAIL);
	auth_user_free(u);
	line = auth_hash_password("SHA512-CRYPT", "tanstaaf");
	u = user_from(line);
	ck_assert_int_eq(auth_check_apop_ex(u, RFC_TS, RFC_DIGEST,
	    AUTH_CHECK_SASLPREP), AUTH_ESCHEME);
	auth_user_free(u);
	free(line);
	ck_assert_int_eq(auth_check_apop_ex(NULL, RFC_TS, RFC_DIGEST,
	    AUTH_CHECK_SASLPREP), AUTH_FAIL);
}
END_TEST

START_TEST(test_wipe)
{
	unsigned char	 buf[64];
	size_t		 i;

	memset(buf, 0xa5, sizeof(buf));
	auth_wipe(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(buf[i], 0);
	auth_wipe(NULL, 0);
}
END_TEST

/* --- auth_db_load against real files. --- */

static char tmpdir[64];

static void
tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/polypop-auth-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int
rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static void
tmp_teardown(void)
{
	ck_assert_int_eq(nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static char *
write_file(const char *name, const char *text, size_t len)
{
	char	*path;
	FILE	*fp;

	ck_assert_int_ne(asprintf(&path, "%s/%s", tmpdir, name), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

struct warning {
	unsigned	 lineno;
	char		 why[128];
};

struct warnings {
	const char	*path;
	struct warning	 w[16];
	int		 n;
};

static void
record_warn(const char *file, unsigned lineno, const char *why, void *arg)
{
	struct warnings	*ws = arg;

	ck_assert_str_eq(file, ws->path);
	ck_assert_int_lt(ws->n, 16);
	ws->w[ws->n].lineno = lineno;
	snprintf(ws->w[ws->n].why, sizeof(ws->w[0].why), "%s", why);
	ws->n++;
}

START_TEST(test_db_load)
{
	static const char head[] =
	    "# polypop users\n"				/* 1 */
	    "\n"					/* 2 */
	    "alice:{PLAIN}wonderland::::/home/alice\n"	/* 3 */
	    "bob:{SHA512-CRYPT}\n"			/* 4 malformed */
	    "carol:{PLAIN}one\r\n"			/* 5 CRLF */
	    "alice:{PLAIN}second\n"			/* 6 duplicate */
	    "dave:{NOPE}x\n";				/* 7 malformed */
	struct warnings		 ws;
	struct auth_db		*db;
	const struct auth_user	*u;
	char			*text, *path;
	size_t			 len;

	/* Line 8 is longer than 4096 octets; line 9 has no final LF. */
	len = strlen(head) + 5000 + 1 + strlen("erin:{PLAIN}last");
	text = malloc(len + 1);
	strcpy(text, head);
	memset(text + strlen(head), 'x', 5000);
	text[strlen(head) + 5000] = '\n';
	strcpy(text + strlen(head) + 5001, "erin:{PLAIN}last");

	path = write_file("users", text, len);
	memset(&ws, 0, sizeof(ws));
	ws.path = path;
	ck_assert_int_eq(auth_db_load(path, &db, record_warn, &ws), 0);

	ck_assert_int_eq(ws.n, 4);
	ck_assert_uint_eq(ws.w[0].lineno, 4);
	ck_assert_str_eq(ws.w[0].why, "empty secret for a crypt scheme");
	ck_assert_uint_eq(ws.w[1].lineno, 6);
	ck_assert_str_eq(ws.w[1].why,
	    "duplicate user 'alice' ignored, the first entry wins");
	ck_assert_uint_eq(ws.w[2].lineno, 7);
	ck_assert_str_eq(ws.w[2].why, "unknown password scheme");
	ck_assert_uint_eq(ws.w[3].lineno, 8);
	ck_assert_str_eq(ws.w[3].why, "line longer than 4096 octets");

	ck_assert_uint_eq(auth_db_count(db), 3);
	u = auth_db_lookup(db, "alice");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->secret, "wonderland");
	ck_assert_str_eq(u->home, "/home/alice");
	ck_assert_int_eq(auth_check_password(u, "wonderland"), AUTH_OK);
	ck_assert_int_eq(auth_check_password(u, "second"), AUTH_FAIL);
	u = auth_db_lookup(db, "carol");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->secret, "one");
	u = auth_db_lookup(db, "erin");
	ck_assert_ptr_nonnull(u);
	ck_assert_str_eq(u->secret, "last");
	ck_assert_ptr_null(auth_db_lookup(db, "bob"));
	ck_assert_ptr_null(auth_db_lookup(db, "dave"));
	ck_assert_ptr_null(auth_db_lookup(db, "Alice"));
	ck_assert_ptr_null(auth_db_lookup(db, ""));
	ck_assert_ptr_null(auth_db_lookup(db, NULL));

	auth_db_free(db);
	free(text);
	free(path);
}
END_TEST

START_TEST(test_db_errors)
{
	struct auth_db	*db = (struct auth_db *)&db;
	char		*path;

	ck_assert_int_ne(asprintf(&path, "%s/missing", tmpdir), -1);
	ck_assert_int_eq(auth_db_load(path, &db, NULL, NULL), -ENOENT);
	ck_assert_ptr_null(db);
	free(path);

	/* An empty file is a valid, empty database; no callback needed. */
	path = write_file("empty", "", 0);
	ck_assert_int_eq(auth_db_load(path, &db, NULL, NULL), 0);
	ck_assert_uint_eq(auth_db_count(db), 0);
	ck_assert_ptr_null(auth_db_lookup(db, "x"));
	auth_db_free(db);
	free(path);

	/* Malformed lines without a callback are skipped silently. */
	path = write_file("bad", "a\n:x\nb:{PLAIN}y\n", 16);
	ck_assert_int_eq(auth_db_load(path, &db, NULL, NULL), 0);
	ck_assert_uint_eq(auth_db_count(db), 1);
	auth_db_free(db);
	free(path);
}
END_TEST

#define NUSERS	100000

START_TEST(test_db_many)
{
	struct auth_db		*db;
	const struct auth_user	*u;
	char			*path, name[32], want[32];
	FILE			*fp;
	double			 t;
	int			 i;

	ck_assert_int_ne(asprintf(&path, "%s/many", tmpdir), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	for (i = 0; i < NUSERS; i++)
		fprintf(fp, "user%d:{PLAIN}pw%d::::/home/user%d\n", i, i, i);
	ck_assert_int_eq(fclose(fp), 0);

	ck_assert_int_eq(auth_db_load(path, &db, NULL, NULL), 0);
	ck_assert_uint_eq(auth_db_count(db), NUSERS);

	/* A linear scan would need ~5e9 string compares here; the hash
	 * table needs ~2e5.  The bound is generous for sanitizer builds. */
	t = now();
	for (i = NUSERS - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "user%d", i);
		snprintf(want, sizeof(want), "pw%d", i);
		u = auth_db_lookup(db, name);
		ck_assert_ptr_nonnull(u);
		ck_assert_str_eq(u->secret, want);
		snprintf(name, sizeof(name), "nouser%d", i);
		ck_assert_ptr_null(auth_db_lookup(db, name));
	}
	t = now() - t;
	ck_assert_msg(t < 5.0, "200000 lookups took %.2fs", t);
	u = auth_db_lookup(db, "user99999");
	ck_assert_str_eq(u->home, "/home/user99999");

	auth_db_free(db);
	free(path);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite	*s = suite_create("auth");
	TCase	*tc;

	tc = tcase_create("check");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_password, 0,
	    (int)(sizeof(pw_cases) / sizeof(pw_cases[0])));
	tcase_add_test(tc, test_hash_password);
	tcase_add_test(tc, test_unknown_user);
	tcase_add_test(tc, test_bad_scheme);
	tcase_add_loop_test(tc, test_apop, 0,
	    (int)(sizeof(apop_cases) / sizeof(apop_cases[0])));
	tcase_add_test(tc, test_apop_refused);
	tcase_add_test(tc, test_wipe);
	tcase_add_loop_test(tc, test_saslprep, 0,
	    (int)(sizeof(prep_cases) / sizeof(prep_cases[0])));
	tcase_add_test(tc, test_check_saslprep);
	suite_add_tcase(s, tc);

	tc = tcase_create("db");
	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_db_load);
	tcase_add_test(tc, test_db_errors);
	tcase_add_test(tc, test_db_many);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(auth_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
