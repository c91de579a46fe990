/*
 * testenv.c - the temporary directory of testenv.h.
 */
#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "testenv.h"

static void
testenv_warn(const char *file, unsigned lineno, const char *why, void *arg)
{
	(void)arg;
	ck_abort_msg("%s:%u: %s", file, lineno, why);
}

static void
testenv_write_users(struct testenv *e)
{
	char path[PATH_MAX];
	char *hashed;
	FILE *fp;

	hashed = auth_hash_password("SHA512-CRYPT", TESTENV_HASHED_PASS);
	ck_assert_ptr_nonnull(hashed);
	snprintf(path, sizeof(path), "%s/users", e->dir);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fprintf(fp, "# user:{SCHEME}secret:uid:gid:gecos:home:shell\n"
	    "%s:{PLAIN}%s::::%s/home/%s::\n"
	    "%s:%s::::%s/home/%s::\n",
	    TESTENV_USER, TESTENV_PASS, e->dir, TESTENV_USER,
	    TESTENV_HASHED_USER, hashed, e->dir, TESTENV_HASHED_USER);
	ck_assert_int_eq(fclose(fp), 0);
	free(hashed);
	ck_assert_int_eq(auth_db_load(path, &e->db, testenv_warn, NULL), 0);
	ck_assert_uint_eq(auth_db_count(e->db), 2);
}

void
testenv_init(struct testenv *e, enum store_kind kind)
{
	char spec[256], path[PATH_MAX], err[256];

	memset(e, 0, sizeof(*e));
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_proto.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	e->kind = kind;
	snprintf(path, sizeof(path), "%s/mail", e->dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	if (kind == STORE_MAILDIR)
		snprintf(spec, sizeof(spec), "maildir:%s/mail/%%u", e->dir);
	else {
		snprintf(path, sizeof(path), "%s/spool", e->dir);
		ck_assert_int_eq(mkdir(path, 0700), 0);
		snprintf(spec, sizeof(spec), "mbox:%s/mail/%%u:INBOX=%s/spool/"
		    "%%u", e->dir, e->dir);
	}
	ck_assert_msg(store_location_parse(spec, &e->loc, err,
	    sizeof(err)) == 0, "%s: %s", spec, err);
	testenv_write_users(e);
}

void
testenv_fini(struct testenv *e)
{
	char cmd[128];

	auth_db_free(e->db);
	e->db = NULL;
	store_location_free(&e->loc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	ck_assert_int_eq(system(cmd), 0);
}

void
testenv_deliver(struct testenv *e, const char *user, const char *msg,
    size_t len)
{
	struct store_user u = { user, NULL };
	char path[PATH_MAX], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/in.XXXXXX", e->dir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(store_deliver(&e->loc, &u, NULL, fd,
	    "postmaster@dbc.mtview.ca.us", err, sizeof(err)) == 0, "%s", err);
	close(fd);
}

void
testenv_deliver_std(struct testenv *e, const char *user, size_t n)
{
	static const char *const msg[TESTENV_NMSGS] = {
		TESTENV_MSG1_HEAD TESTENV_MSG1_BODY,
		TESTENV_MSG2_HEAD TESTENV_MSG2_BODY,
		TESTENV_MSG3,
	};
	struct store *st;
	size_t i;

	ck_assert_uint_le(n, TESTENV_NMSGS);
	for (i = 0; i < n; i++) {
		ck_assert_uint_eq(strlen(msg[i]), TESTENV_MSG_SIZE(i));
		testenv_deliver(e, user, msg[i], strlen(msg[i]));
	}
	ck_assert_int_eq(testenv_open(e, user, &st), 0);
	ck_assert_uint_eq(store_count(st), n);
	for (i = 0; i < n; i++)
		ck_assert_uint_eq(store_size(st, i), TESTENV_MSG_SIZE(i));
	store_close(st);
}

int
testenv_open(struct testenv *e, const char *user, struct store **out)
{
	struct store_user u = { user, NULL };

	return store_open(&e->loc, &u, NULL, out, NULL, 0);
}

void
testenv_inbox_path(const struct testenv *e, const char *user, char *buf,
    size_t len)
{
	snprintf(buf, len, "%s/%s/%s", e->dir,
	    e->kind == STORE_MAILDIR ? "mail" : "spool", user);
}
