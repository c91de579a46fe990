/*
 * test_mbox.c - the mbox backend through store.h, on real files in a
 * mkdtemp directory: delivery and reading round trips, uid stability,
 * commit with concurrent delivery and foreign rewrites, locking.
 * The pure parser has its own suite (test_mbox_parse.c).
 */

#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "mbox_lock.h"

static char tdir[PATH_MAX];
static char inbox[PATH_MAX + 16];
static struct store_location loc;
static const struct store_user user = { "alice", NULL };

/*
 * Helpers.
 */

static void
setup(void)
{
	char spec[PATH_MAX + 32], err[256];

	snprintf(tdir, sizeof(tdir), "/tmp/polypop-mbox.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tdir));
	snprintf(inbox, sizeof(inbox), "%s/inbox", tdir);
	snprintf(spec, sizeof(spec), "mbox:%s", tdir);
	ck_assert_int_eq(store_location_parse(spec, &loc, err, sizeof(err)),
	    0);
	mbox_lock_set_timeouts(0, 0);
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	store_location_free(&loc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Independent CRLF normalisation: what a POP client must receive. */
static char *
wire_of(const char *in, size_t len, size_t *outlen)
{
	char *out = malloc(2 * len + 2);
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
	*outlen = o;
	return out;
}

static int
deliver(const char *folder, const char *msg, size_t len, const char *from)
{
	char path[PATH_MAX + 16], err[256];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/.msg.XXXXXX", tdir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	unlink(path);
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	rc = store_deliver(&loc, &user, folder, fd, from, err, sizeof(err));
	close(fd);
	return rc;
}

static struct store *
xopen(const char *folder)
{
	struct store *st;
	char err[256];
	int rc;

	rc = store_open(&loc, &user, folder, &st, err, sizeof(err));
	ck_assert_msg(rc == 0, "store_open: %d %s", rc, err);
	return st;
}

/* Read message I whole; returns a malloc'd buffer. */
static char *
read_msg(struct store *st, size_t i, size_t *len, int *rcp)
{
	struct store_reader *r;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	ssize_t got;
	int rc;

	*rcp = 0;
	if ((rc = store_reader_open(st, i, &r)) != 0) {
		*rcp = rc;
		free(buf);
		return NULL;
	}
	for (;;) {
		if (n == cap)
			buf = realloc(buf, cap *= 2);
		got = store_reader_read(r, buf + n, cap - n);
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	store_reader_close(r);
	if (got < 0) {
		*rcp = (int)got;
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static void
assert_msg(struct store *st, size_t i, const char *sent, size_t sentlen)
{
	size_t wlen, rlen;
	char *want = wire_of(sent, sentlen, &wlen);
	char *got;
	int rc;

	got = read_msg(st, i, &rlen, &rc);
	ck_assert_msg(rc == 0, "read %zu: %d", i, rc);
	ck_assert_msg(rlen == wlen, "message %zu: read %zu, want %zu", i,
	    rlen, wlen);
	ck_assert_mem_eq(got, want, wlen);
	ck_assert_uint_eq(store_size(st, i), wlen);
	free(want);
	free(got);
}

#define AM(st, i, s)	assert_msg((st), (i), (s), sizeof(s) - 1)

static char *
slurp(const char *path, size_t *len)
{
	struct stat sb;
	char *buf;
	int fd;

	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(fstat(fd, &sb), 0);
	buf = malloc((size_t)sb.st_size + 1);
	ck_assert_int_eq(read(fd, buf, (size_t)sb.st_size), sb.st_size);
	close(fd);
	*len = (size_t)sb.st_size;
	return buf;
}

static void
spit(const char *path, const char *data, size_t len)
{
	int fd;

	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600),
	    0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int
uid_ok(const char *uid)
{
	size_t i, n = strlen(uid);

	if (n < 1 || n > 70)
		return 0;
	for (i = 0; i < n; i++)
		if (uid[i] < 0x21 || uid[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The hard-case corpus.
 */

struct corpus {
	const char *name;
	const char *data;	/* NULL: built by the test */
	size_t len;
};

#define C(n, s)	{ n, s, sizeof(s) - 1 }
static struct corpus corpus[] = {
	C("simple LF", "Subject: hi\n\nhello\n"),
	C("CRLF", "Subject: hi\r\n\r\nhello\r\nworld\r\n"),
	C("dot lines", ".\n..\n.x\n.\r\n"),
	C("only a dot", "."),
	C("From in body", "S: x\n\nFrom me\nFrom you\n\nFrom him\n"),
	C("quoted From", ">From a\n>>From b\n>Fromage\n"),
	C("8-bit", "S: \xe9t\xe9\n\n\xff\xfe\x80\x01\n"),
	C("no final newline", "S: x\n\nlast line"),
	C("empty body", "S: x\n\n"),
	C("empty message", ""),
	C("lone CR", "a\rb\r\rc\r\r\nd\r"),
	C("blank lines at end", "x\n\n\n"),
	C("starts with From", "From x\n"),
	{ "1 MiB", NULL, 0 },
};

static char *
big_message(size_t *len)
{
	size_t n = 1 << 20, i = 0, k = 0;
	char *m = malloc(n);

	while (i < n) {
		const char *line = (k % 7 == 3) ? "From line in body\n" :
		    (k % 7 == 5) ? ".\r\n" : "0123456789abcdef ";
		size_t l = strlen(line);

		if (l > n - i)
			l = n - i;
		memcpy(m + i, line, l);
		i += l;
		k++;
	}
	*len = n;
	return m;
}

START_TEST(test_roundtrip_corpus)
{
	size_t nc = sizeof(corpus) / sizeof(corpus[0]), i;
	char *big;
	size_t biglen;
	struct store *st;

	big = big_message(&biglen);
	corpus[nc - 1].data = big;
	corpus[nc - 1].len = biglen;
	for (i = 0; i < nc; i++)
		ck_assert_msg(deliver(NULL, corpus[i].data, corpus[i].len,
		    "sender@example.org") == 0, "deliver %s", corpus[i].name);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), nc);
	for (i = 0; i < nc; i++) {
		assert_msg(st, i, corpus[i].data, corpus[i].len);
		ck_assert(uid_ok(store_uid(st, i)));
	}
	store_close(st);
	/* And the same after a reopen (parse of a file with all of them). */
	st = xopen("INBOX");
	for (i = 0; i < nc; i++)
		assert_msg(st, i, corpus[i].data, corpus[i].len);
	store_close(st);
	free(big);
	corpus[nc - 1].data = NULL;
}
END_TEST

START_TEST(test_missing_inbox_created)
{
	struct store *st;
	struct stat sb;

	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 0);
	ck_assert_int_eq(stat(inbox, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	store_close(st);
}
END_TEST

START_TEST(test_from_line)
{
	size_t len;
	char *f;

	ck_assert_int_eq(deliver(NULL, "x\n", 2, "<a b@c>"), 0);
	ck_assert_int_eq(deliver(NULL, "y\n", 2, ""), 0);
	f = slurp(inbox, &len);
	/* "From a_b@c Www Mmm dd hh:mm:ss yyyy\n" (RFC 4155). */
	ck_assert_int_eq(strncmp(f, "From a_b@c ", 11), 0);
	ck_assert_int_eq(f[11 + 24], '\n');
	ck_assert_mem_eq(f + 36, "x\n\nFrom MAILER-DAEMON ", 22);
	ck_assert_int_eq(len, 36 + 3 + 44 + 3);
	free(f);
}
END_TEST

static char **
save_uids(struct store *st)
{
	size_t i, n = store_count(st);
	char **u = calloc(n + 1, sizeof(*u));

	for (i = 0; i < n; i++)
		u[i] = strdup(store_uid(st, i));
	return u;
}

static void
free_uids(char **u)
{
	size_t i;

	for (i = 0; u[i] != NULL; i++)
		free(u[i]);
	free(u);
}

START_TEST(test_uid_stability)
{
	struct store *st;
	char **u0, **u1, err[256];
	char side[PATH_MAX + 32];
	struct stat s1, s2;
	size_t i;

	for (i = 0; i < 3; i++)
		ck_assert_int_eq(deliver(NULL, "m\n", 2, "a@b"), 0);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	u0 = save_uids(st);
	/* Identical messages still get distinct uids. */
	ck_assert_str_ne(u0[0], u0[1]);
	ck_assert_str_ne(u0[1], u0[2]);
	store_close(st);

	/* Reopen: same uids, and the side file is not rewritten. */
	snprintf(side, sizeof(side), "%s/.inbox.polypop-uidl", tdir);
	ck_assert_int_eq(stat(side, &s1), 0);
	st = xopen(NULL);
	for (i = 0; i < 3; i++)
		ck_assert_str_eq(store_uid(st, i), u0[i]);
	ck_assert_int_eq(stat(side, &s2), 0);
	ck_assert_int_eq(s1.st_ino, s2.st_ino);

	/* Delete the middle one. */
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_str_eq(store_uid(st, 0), u0[0]);
	ck_assert_str_eq(store_uid(st, 1), u0[2]);
	store_close(st);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_str_eq(store_uid(st, 0), u0[0]);
	ck_assert_str_eq(store_uid(st, 1), u0[2]);
	store_close(st);

	/* A new arrival: old uids kept, the new one never used before. */
	ck_assert_int_eq(deliver(NULL, "m\n", 2, "a@b"), 0);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	u1 = save_uids(st);
	ck_assert_str_eq(u1[0], u0[0]);
	ck_assert_str_eq(u1[1], u0[2]);
	for (i = 0; i < 3; i++)
		ck_assert_str_ne(u1[2], u0[i]);
	store_close(st);

	/* Side file lost: new uids, but none of the old ones again. */
	ck_assert_int_eq(unlink(side), 0);
	sleep(1);
	st = xopen(NULL);
	for (i = 0; i < 3; i++) {
		ck_assert_str_ne(store_uid(st, i), u1[0]);
		ck_assert_str_ne(store_uid(st, i), u1[1]);
		ck_assert_str_ne(store_uid(st, i), u1[2]);
	}
	store_close(st);
	free_uids(u0);
	free_uids(u1);
}
END_TEST

/* A foreign file whose last message lacks its final newline: our
 * delivery must not change that message (content nor uid). */
START_TEST(test_append_to_unterminated)
{
	static const char *const tails[] = { "abc", "abc\r", "abc\n", "" };
	struct store *st;
	char *uid, data[64];
	size_t i, n;

	for (i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		n = (size_t)snprintf(data, sizeof(data), "From x\n%s",
		    tails[i]);
		spit(inbox, data, n);
		st = xopen(NULL);
		ck_assert_uint_eq(store_count(st), 1);
		assert_msg(st, 0, tails[i], strlen(tails[i]));
		uid = strdup(store_uid(st, 0));
		store_close(st);
		ck_assert_int_eq(deliver(NULL, "new\n", 4, "a@b"), 0);
		st = xopen(NULL);
		ck_assert_uint_eq(store_count(st), 2);
		assert_msg(st, 0, tails[i], strlen(tails[i]));
		AM(st, 1, "new\n");
		ck_assert_str_eq(store_uid(st, 0), uid);
		store_close(st);
		free(uid);
	}
}
END_TEST

/* Hand-written file: commit must remove exactly the deleted message's
 * octets and keep the rest as they were, foreign quirks included. */
START_TEST(test_commit_bytes)
{
	static const char before[] =
	    "From a Mon Jan  1 00:00:00 2024\r\nA: 1\r\n\r\nbody a\r\n\r\n"
	    "From b Mon Jan  1 00:00:01 2024\nB: 2\n\n>From quoted\n\n"
	    "From c Mon Jan  1 00:00:02 2024\nC: 3\n\nno final newline";
	static const char after[] =
	    "From a Mon Jan  1 00:00:00 2024\r\nA: 1\r\n\r\nbody a\r\n\r\n"
	    "From c Mon Jan  1 00:00:02 2024\nC: 3\n\nno final newline";
	struct store *st;
	struct stat sb;
	char err[256], *got;
	size_t len;

	spit(inbox, before, sizeof(before) - 1);
	ck_assert_int_eq(chmod(inbox, 0640), 0);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	AM(st, 1, "B: 2\n\nFrom quoted\n");
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
	got = slurp(inbox, &len);
	ck_assert_uint_eq(len, sizeof(after) - 1);
	ck_assert_mem_eq(got, after, len);
	free(got);
	ck_assert_int_eq(stat(inbox, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0640);
	/* The snapshot stays usable after commit. */
	ck_assert_uint_eq(store_count(st), 2);
	AM(st, 0, "A: 1\r\n\r\nbody a\r\n");
	AM(st, 1, "C: 3\n\nno final newline");
	/* Delete the last one too, then the first. */
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
	ck_assert_uint_eq(store_count(st), 0);
	store_close(st);
	ck_assert_int_eq(stat(inbox, &sb), 0);
	ck_assert_int_eq(sb.st_size, 0);
}
END_TEST

/* RFC 1939 §8 and store.h: mail arriving during a session survives its
 * commit, whichever snapshot messages are deleted. */
START_TEST(test_delivery_during_session)
{
	struct store *st;
	char err[256];
	int del;

	for (del = 0; del < 3; del++) {
		spit(inbox, "", 0);
		ck_assert_int_eq(deliver(NULL, "one\n", 4, "a@b"), 0);
		ck_assert_int_eq(deliver(NULL, "two", 3, "a@b"), 0);
		st = xopen(NULL);
		ck_assert_uint_eq(store_count(st), 2);
		ck_assert_int_eq(deliver(NULL, "three\r\n", 7, "a@b"), 0);
		ck_assert_int_eq(deliver(NULL, "From four\n", 10, NULL), 0);
		if (del != 1)
			store_set_deleted(st, 0, 1);
		if (del != 0)
			store_set_deleted(st, 1, 1);
		ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
		ck_assert_uint_eq(store_count(st), del == 2 ? 0 : 1);
		store_close(st);

		st = xopen(NULL);
		ck_assert_uint_eq(store_count(st), del == 2 ? 2 : 3);
		/* DEL 0: the first went, 1: the second, 2: both. */
		if (del == 0)
			AM(st, 0, "two");
		if (del == 1)
			AM(st, 0, "one\n");
		AM(st, del == 2 ? 0 : 1, "three\r\n");
		AM(st, del == 2 ? 1 : 2, "From four\n");
		store_close(st);
	}
}
END_TEST

/* Fault injection: the temporary file cannot be created (a directory is
 * in its place).  Commit fails, nothing changes on disk, and the
 * snapshot and its deletion marks are intact. */
START_TEST(test_commit_failure)
{
	char tmp[sizeof(inbox) + 64], err[256], *before, *after;
	struct store *st;
	size_t l1, l2;

	ck_assert_int_eq(deliver(NULL, "one\n", 4, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "two\n", 4, "a@b"), 0);
	before = slurp(inbox, &l1);
	st = xopen(NULL);
	snprintf(tmp, sizeof(tmp), "%s.polypop-tmp.%ld", inbox,
	    (long)getpid());
	ck_assert_int_eq(mkdir(tmp, 0700), 0);
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_lt(store_commit(st, err, sizeof(err)), 0);
	after = slurp(inbox, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(before, after, l1);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert(store_is_deleted(st, 0));
	AM(st, 0, "one\n");
	/* Once the obstacle is gone the same commit goes through. */
	ck_assert_int_eq(rmdir(tmp), 0);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), 0);
	ck_assert_uint_eq(store_count(st), 1);
	AM(st, 0, "two\n");
	store_close(st);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_foreign_rewrite)
{
	static const char other[] = "From z\nrewritten\n";
	struct store *st;
	char err[256], tmp[PATH_MAX + 16], *got;
	size_t len;
	int rc;

	/* Replaced by rename. */
	ck_assert_int_eq(deliver(NULL, "one\n", 4, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "two\n", 4, "a@b"), 0);
	st = xopen(NULL);
	snprintf(tmp, sizeof(tmp), "%s/mutt-tmp", tdir);
	spit(tmp, other, sizeof(other) - 1);
	ck_assert_int_eq(rename(tmp, inbox), 0);
	store_set_deleted(st, 0, 1);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), STORE_ECHANGED);
	got = read_msg(st, 1, &len, &rc);
	ck_assert_ptr_null(got);
	ck_assert_int_eq(rc, STORE_ECHANGED);
	got = slurp(inbox, &len);
	ck_assert_uint_eq(len, sizeof(other) - 1);
	ck_assert_mem_eq(got, other, len);
	free(got);
	store_close(st);

	/* Truncated in place. */
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 1);
	ck_assert_int_eq(truncate(inbox, 7), 0);
	store_set_deleted(st, 0, 1);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), STORE_ECHANGED);
	got = slurp(inbox, &len);
	ck_assert_uint_eq(len, 7);
	free(got);
	store_close(st);

	/* Rewritten in place, same size: caught by the fingerprints. */
	spit(inbox, "From z\nAAAA\n\nFrom y\nBBBB\n", 25);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 2);
	{
		int fd = open(inbox, O_WRONLY);

		ck_assert_int_eq(pwrite(fd, "CCCC", 4, 20), 4);
		close(fd);
	}
	store_set_deleted(st, 0, 1);
	ck_assert_int_eq(store_commit(st, err, sizeof(err)), STORE_ECHANGED);
	got = read_msg(st, 1, &len, &rc);
	ck_assert_int_eq(rc, STORE_ECHANGED);
	got = slurp(inbox, &len);
	ck_assert_mem_eq(got, "From z\nAAAA\n\nFrom y\nCCCC\n", 25);
	free(got);
	store_close(st);
}
END_TEST

START_TEST(test_stale_dotlock)
{
	char lock[sizeof(inbox) + 8];
	struct timeval tv[2];
	struct store *st;

	snprintf(lock, sizeof(lock), "%s.lock", inbox);
	spit(lock, "99999\n", 6);
	/* Fresh: delivery gives up with a temporary error. */
	mbox_lock_set_timeouts(300, 0);
	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), STORE_ETEMP);
	ck_assert_int_eq(access(lock, F_OK), 0);
	/* Ten minutes old: broken. */
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 600;
	tv[1] = tv[0];
	ck_assert_int_eq(utimes(lock, tv), 0);
	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), 0);
	ck_assert_int_eq(access(lock, F_OK), -1);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 1);
	store_close(st);
}
END_TEST

/* A child holds a classic fcntl lock, as Postfix or procmail would,
 * writing a message of its own while it does.  HOLD_MS later it exits. */
static pid_t
hold_fcntl(const char *path, int hold_ms, int *readyfd)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		static const char msg[] = "From child\nchild\n\n";
		int fd = open(path, O_RDWR | O_CREAT, 0600);
		struct stat sb;

		if (fd == -1 || fcntl(fd, F_SETLKW, &fl) == -1)
			_exit(1);
		if (write(p[1], "!", 1) != 1)
			_exit(1);
		usleep((useconds_t)hold_ms * 500);
		fstat(fd, &sb);
		if (pwrite(fd, msg, sizeof(msg) - 1, sb.st_size) !=
		    (ssize_t)(sizeof(msg) - 1))
			_exit(1);
		usleep((useconds_t)hold_ms * 500);
		_exit(0);
	}
	close(p[1]);
	*readyfd = p[0];
	return pid;
}

START_TEST(test_fcntl_wait)
{
	struct store *st;
	struct timespec t0, t1;
	char c;
	int rfd, status;
	pid_t pid;
	long ms;

	ck_assert_int_eq(deliver(NULL, "first\n", 6, "a@b"), 0);
	pid = hold_fcntl(inbox, 600, &rfd);
	ck_assert_int_eq(read(rfd, &c, 1), 1);
	close(rfd);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(deliver(NULL, "mine\n", 5, "a@b"), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	    (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 400);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	AM(st, 0, "first\n");
	AM(st, 1, "child\n");
	AM(st, 2, "mine\n");
	store_close(st);
}
END_TEST

START_TEST(test_fcntl_timeout)
{
	char *before, *after;
	size_t l1, l2;
	char c;
	int rfd, status;
	pid_t pid;

	ck_assert_int_eq(deliver(NULL, "first\n", 6, "a@b"), 0);
	before = slurp(inbox, &l1);
	mbox_lock_set_timeouts(200, 0);
	pid = hold_fcntl(inbox, 3000, &rfd);
	ck_assert_int_eq(read(rfd, &c, 1), 1);
	close(rfd);
	ck_assert_int_eq(deliver(NULL, "mine\n", 5, "a@b"), STORE_ETEMP);
	after = slurp(inbox, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(before, after, l1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	free(before);
	free(after);
}
END_TEST

/*
 * polypopd is threaded: its fcntl lock must not vanish when some other
 * descriptor of the file is closed (a reader's), as a classic POSIX lock
 * would.  A child process checks that the lock is still there.
 */
START_TEST(test_fcntl_same_process)
{
	struct mbox_lock lk;
	int other, status;
	pid_t pid;

	ck_assert_int_eq(deliver(NULL, "first\n", 6, "a@b"), 0);
	ck_assert_int_eq(mbox_lock_open(&lk, inbox, 0, NULL, 0), 0);
	ck_assert_int_ge(other = open(inbox, O_RDONLY), 0);
	close(other);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		int fd = open(inbox, O_RDWR);

		_exit(fd != -1 && fcntl(fd, F_SETLK, &fl) == -1 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "fcntl lock lost when another descriptor was closed");
	/* And it holds off a delivery from this very process. */
	mbox_lock_set_timeouts(200, 0);
	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), STORE_ETEMP);
	ck_assert_int_eq(mbox_lock_release(&lk, 0), -1);
	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), 0);
}
END_TEST

static void
collect(const char *name, void *arg)
{
	char *buf = arg;

	strcat(buf, name);
	strcat(buf, ";");
}

START_TEST(test_list_folders)
{
	char path[PATH_MAX + 32], names[512] = "";
	struct store *st;

	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), 0);
	ck_assert_int_eq(deliver("work", "w\n", 2, "a@b"), 0);
	snprintf(path, sizeof(path), "%s/other.lock", tdir);
	spit(path, "", 0);
	snprintf(path, sizeof(path), "%s/work.polypop-tmp.123", tdir);
	spit(path, "", 0);
	snprintf(path, sizeof(path), "%s/sub", tdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	st = xopen("work");
	store_close(st);
	ck_assert_int_eq(store_list_folders(&loc, &user, collect, names), 0);
	ck_assert_str_eq(names, "work;");
	/* A folder that does not exist is not created by open. */
	ck_assert_int_eq(store_open(&loc, &user, "nope", &st, NULL, 0),
	    STORE_ENOFOLDER);
}
END_TEST

/*
 * Seen marks (RFC 1081 LAST).  The mailbox is never rewritten for them:
 * they go to the uid side file, and a Status: header with R counts too.
 */

static char side[PATH_MAX + 32];

static void
side_path(void)
{
	snprintf(side, sizeof(side), "%s/.inbox.polypop-uidl", tdir);
}

/* Lines of TEXT that end in STR + "\n". */
static int
count_lines_ending(const char *text, const char *str)
{
	const char *p = text, *nl;
	size_t n = strlen(str);
	int count = 0;

	while ((nl = strchr(p, '\n')) != NULL) {
		if ((size_t)(nl - p) >= n && memcmp(nl - n, str, n) == 0)
			count++;
		p = nl + 1;
	}
	return count;
}

static char *
slurp_str(const char *path)
{
	size_t len;
	char *buf = slurp(path, &len);

	buf[len] = '\0';
	return buf;
}

START_TEST(test_seen_side_file)
{
	char *before, *after, *uidl, **u0;
	uint64_t sizes[3];
	struct store *st;
	size_t l1, l2, i;

	side_path();
	ck_assert_int_eq(deliver(NULL, "Subject: a\n\none\n", 16, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "Subject: b\n\ntwo\n", 16, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "Subject: c\n\nsix\n", 16, "a@b"), 0);
	before = slurp(inbox, &l1);
	st = xopen(NULL);
	u0 = save_uids(st);
	for (i = 0; i < 3; i++)
		sizes[i] = store_size(st, i);
	uidl = slurp_str(side);
	ck_assert_int_eq(strncmp(uidl, "polypop-mbox-uidl 1 ", 20), 0);
	free(uidl);
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_set_seen(st, 2), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1) &&
	    store_is_seen(st, 2));
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(store_uid(st, i), u0[i]);
		ck_assert_uint_eq(store_size(st, i), sizes[i]);
	}
	AM(st, 2, "Subject: c\n\nsix\n");
	store_close(st);
	/* Not one octet of the mailbox changed. */
	after = slurp(inbox, &l2);
	ck_assert_uint_eq(l1, l2);
	ck_assert_mem_eq(before, after, l1);
	uidl = slurp_str(side);
	ck_assert_int_eq(strncmp(uidl, "polypop-mbox-uidl 2 ", 20), 0);
	ck_assert_int_eq(count_lines_ending(uidl, " S"), 2);
	free(uidl);

	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1) &&
	    store_is_seen(st, 2));
	for (i = 0; i < 3; i++) {
		ck_assert_str_eq(store_uid(st, i), u0[i]);
		ck_assert_uint_eq(store_size(st, i), sizes[i]);
	}
	store_close(st);
	free_uids(u0);
	free(before);
	free(after);
}
END_TEST

START_TEST(test_seen_uncommitted)
{
	struct stat s1, s2;
	struct store *st;
	char *u1, *u2;

	side_path();
	ck_assert_int_eq(deliver(NULL, "x\n", 2, "a@b"), 0);
	st = xopen(NULL);
	store_close(st);
	u1 = slurp_str(side);
	ck_assert_int_eq(stat(side, &s1), 0);
	st = xopen(NULL);
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	store_close(st);		/* no commit */
	st = xopen(NULL);
	ck_assert(!store_is_seen(st, 0));
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	store_reset_seen(st);
	ck_assert(!store_is_seen(st, 0));
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	/* Neither wrote the side file. */
	ck_assert_int_eq(stat(side, &s2), 0);
	ck_assert_int_eq(s1.st_ino, s2.st_ino);
	u2 = slurp_str(side);
	ck_assert_str_eq(u1, u2);
	st = xopen(NULL);
	ck_assert(!store_is_seen(st, 0));
	store_close(st);
	free(u1);
	free(u2);
}
END_TEST

/* Status: as mutt, Pine and Dovecot write it: R is "read".  Only in the
 * header, any case of the field name, folded or not. */
START_TEST(test_seen_status)
{
	static const char box[] =
	    "From a Thu Jan  1 00:00:00 1970\n"
	    "Subject: read\nStatus: RO\n\nbody\n\n"
	    "From b Thu Jan  1 00:00:00 1970\n"
	    "Status: O\nX-Status: R\n\nStatus: R in the body\n\n"
	    "From c Thu Jan  1 00:00:00 1970\r\n"
	    "STATUS:\r\n  R\r\nSubject: x\r\n\r\nbody\r\n\n"
	    "From d Thu Jan  1 00:00:00 1970\n"
	    "Subject: Status: R\nX-Status: RO\nstatus: O\n\n"
	    "From e Thu Jan  1 00:00:00 1970\n"
	    "Subject: none\n\n";
	static const int want[] = { 1, 0, 1, 0, 0 };
	struct store *st;
	char *uidl, **u0;
	size_t i;

	side_path();
	spit(inbox, box, sizeof(box) - 1);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 5);
	u0 = save_uids(st);
	for (i = 0; i < 5; i++)
		ck_assert_msg(store_is_seen(st, i) == want[i],
		    "message %zu", i + 1);
	/* Seen already: nothing to write. */
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	uidl = slurp_str(side);
	ck_assert_int_eq(strncmp(uidl, "polypop-mbox-uidl 1 ", 20), 0);
	free(uidl);
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	uidl = slurp_str(side);
	ck_assert_int_eq(count_lines_ending(uidl, " S"), 1);
	free(uidl);
	st = xopen(NULL);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(store_is_seen(st, i), want[i] || i == 1);
		ck_assert_str_eq(store_uid(st, i), u0[i]);
	}
	store_close(st);
	free_uids(u0);
}
END_TEST

/* Replace the first FROM in the side file with TO (same length or not). */
static void
side_edit(const char *from, const char *to)
{
	char *text = slurp_str(side), *p, *out;
	size_t n = strlen(text) + strlen(to) + 1;

	ck_assert_ptr_nonnull(p = strstr(text, from));
	out = malloc(n);
	snprintf(out, n, "%.*s%s%s", (int)(p - text), text, to,
	    p + strlen(from));
	spit(side, out, strlen(out));
	free(out);
	free(text);
}

/* A version 1 side file, as older polypop wrote it, still gives the same
 * uids; version 2 flags are read, unknown letters ignored, and a bad flag
 * field is damage (new uids, never old ones). */
START_TEST(test_seen_old_side_file)
{
	char *v1, **u0;
	struct store *st;
	size_t len;

	side_path();
	ck_assert_int_eq(deliver(NULL, "one\n", 4, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "two\n", 4, "a@b"), 0);
	st = xopen(NULL);
	u0 = save_uids(st);
	store_close(st);
	v1 = slurp_str(side);
	len = strlen(v1);
	ck_assert_int_eq(count_lines_ending(v1, " 1"), 1);
	ck_assert_int_eq(count_lines_ending(v1, " 2"), 1);

	st = xopen(NULL);
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	side_edit(" 2 S\n", " 2 XSy\n");	/* letters of later versions */
	st = xopen(NULL);
	ck_assert(!store_is_seen(st, 0) && store_is_seen(st, 1));
	ck_assert_str_eq(store_uid(st, 1), u0[1]);
	store_close(st);

	spit(side, v1, len);			/* back to the old file */
	st = xopen(NULL);
	ck_assert_str_eq(store_uid(st, 0), u0[0]);
	ck_assert_str_eq(store_uid(st, 1), u0[1]);
	ck_assert(!store_is_seen(st, 0) && !store_is_seen(st, 1));
	store_close(st);

	/* A flag field in a version 1 file is damage. */
	side_edit(" 2\n", " 2 S\n");
	st = xopen(NULL);
	ck_assert_str_ne(store_uid(st, 0), u0[0]);
	ck_assert_str_ne(store_uid(st, 1), u0[1]);
	ck_assert_str_ne(store_uid(st, 0), u0[1]);
	ck_assert(!store_is_seen(st, 1));
	store_close(st);
	free_uids(u0);
	free(v1);
}
END_TEST

START_TEST(test_seen_and_delete)
{
	struct store *st;
	char **u0, *uidl;
	size_t i;

	side_path();
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(deliver(NULL, i % 2 ? "odd\n" : "even\n",
		    i % 2 ? 4 : 5, "a@b"), 0);
	st = xopen(NULL);
	u0 = save_uids(st);
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	ck_assert_int_eq(store_set_seen(st, 2), 0);
	ck_assert_int_eq(deliver(NULL, "late\n", 5, "a@b"), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert(store_is_seen(st, 0) && store_is_seen(st, 1) &&
	    !store_is_seen(st, 2));
	store_close(st);
	uidl = slurp_str(side);
	ck_assert_int_eq(count_lines_ending(uidl, " S"), 2);
	free(uidl);

	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 4);
	ck_assert_str_eq(store_uid(st, 0), u0[0]);
	ck_assert_str_eq(store_uid(st, 1), u0[2]);
	ck_assert_str_eq(store_uid(st, 2), u0[3]);
	ck_assert(store_is_seen(st, 0) && store_is_seen(st, 1));
	ck_assert(!store_is_seen(st, 2) && !store_is_seen(st, 3));
	AM(st, 1, "even\n");
	AM(st, 3, "late\n");
	store_close(st);
	free_uids(u0);
}
END_TEST

/*
 * Shared (read-only) opens: no file is created, no dotlock taken or
 * broken, and a writer holding the fcntl lock is waited for, so a half
 * written message is never in the snapshot.
 */
static pid_t
write_slowly(const char *path, int *readyfd)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
		static const char a[] = "From child\nSubject: half";
		static const char b[] = " and half\n\nbody\n\n";
		int fd = open(path, O_RDWR | O_APPEND);

		if (fd == -1 || fcntl(fd, F_SETLKW, &fl) == -1 ||
		    write(fd, a, sizeof(a) - 1) != sizeof(a) - 1 ||
		    write(p[1], "!", 1) != 1)
			_exit(1);
		usleep(300000);
		if (write(fd, b, sizeof(b) - 1) != sizeof(b) - 1)
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	*readyfd = p[0];
	return pid;
}

static int
open_shared(const char *folder, struct store **st)
{
	char err[256];

	return store_open_shared(&loc, &user, folder, st, err, sizeof(err));
}

START_TEST(test_shared_locks)
{
	char lock[sizeof(inbox) + 8];
	struct timeval tv[2];
	struct store *st;
	struct stat sb;
	int rfd, status;
	pid_t pid;
	char c;

	side_path();
	snprintf(lock, sizeof(lock), "%s.lock", inbox);
	ck_assert_int_eq(open_shared(NULL, &st), STORE_ENOFOLDER);
	ck_assert_int_ne(stat(inbox, &sb), 0);
	ck_assert_int_ne(stat(lock, &sb), 0);

	ck_assert_int_eq(deliver(NULL, "first\n", 6, "a@b"), 0);
	pid = write_slowly(inbox, &rfd);
	ck_assert_int_eq(read(rfd, &c, 1), 1);
	close(rfd);
	ck_assert_int_eq(open_shared(NULL, &st), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_uint_eq(store_count(st), 2);
	AM(st, 0, "first\n");
	AM(st, 1, "Subject: half and half\n\nbody\n");
	store_close(st);

	/* A writer's dotlock is waited for, and left alone. */
	spit(lock, "99999\n", 6);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		usleep(300000);
		_exit(unlink(lock) == 0 ? 0 : 1);
	}
	mbox_lock_set_timeouts(5000, 0);
	ck_assert_int_eq(open_shared(NULL, &st), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	store_close(st);
	spit(lock, "99999\n", 6);
	mbox_lock_set_timeouts(300, 0);
	ck_assert_int_eq(open_shared(NULL, &st), STORE_ETEMP);
	ck_assert_int_eq(access(lock, F_OK), 0);
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 600;
	tv[1] = tv[0];
	ck_assert_int_eq(utimes(lock, tv), 0);
	ck_assert_int_eq(open_shared(NULL, &st), 0);
	ck_assert_int_eq(access(lock, F_OK), 0);	/* stale, not ours */
	ck_assert_uint_eq(store_count(st), 2);
	store_close(st);
}
END_TEST

/*
 * A reader numbers mail delivered during a normal session and writes it
 * down; that session's commit keeps those uids, and never hands their
 * numbers out again, even when another program then changes a message.
 */
START_TEST(test_shared_uids_kept)
{
	char **u0, **ur, *box, *p;
	struct store *st, *r;
	size_t len, i;

	side_path();
	ck_assert_int_eq(deliver(NULL, "Subject: zero\n\n0\n", 17, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "Subject: one\n\n1\n", 16, "a@b"), 0);
	st = xopen(NULL);
	u0 = save_uids(st);
	ck_assert_int_eq(deliver(NULL, "Subject: two\n\n2\n", 16, "a@b"), 0);
	ck_assert_int_eq(deliver(NULL, "Subject: six\n\n6\n", 16, "a@b"), 0);
	ck_assert_int_eq(open_shared(NULL, &r), 0);
	ck_assert_uint_eq(store_count(r), 4);
	ur = save_uids(r);
	store_close(r);
	ck_assert_str_eq(ur[0], u0[0]);
	ck_assert_str_eq(ur[1], u0[1]);

	/* Deleting the first message moves the later ones. */
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);

	/* Another program changes message "one" (same length). */
	box = slurp(inbox, &len);
	box = realloc(box, len + 1);
	box[len] = '\0';
	ck_assert_ptr_nonnull(p = strstr(box, "Subject: one"));
	p[9] = 'O';
	spit(inbox, box, len);
	free(box);

	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_str_eq(store_uid(st, 1), ur[2]);
	ck_assert_str_eq(store_uid(st, 2), ur[3]);
	for (i = 0; i < 4; i++)
		ck_assert_str_ne(store_uid(st, 0), ur[i]);
	store_close(st);
	free_uids(u0);
	free_uids(ur);
}
END_TEST

/*
 * store_arrival(): the date of each message's From_ line (UTC), 0 for
 * one that is not a date; a delivered message gets the time of delivery.
 */
START_TEST(test_arrival)
{
	static const char mbox[] =
	    "From alice@example.org Mon Nov 23 10:00:00 2026\n"
	    "Subject: one\n\nbody\n\n"
	    "From bob Tue Nov  3 10:00 2026 +0100\n"
	    "Subject: two\n\nbody\n\n"
	    "From carol yesterday\n"
	    "Subject: three\n\nbody\n";
	struct store *st;
	time_t before, after;

	spit(inbox, mbox, sizeof(mbox) - 1);
	before = time(NULL);
	ck_assert_int_eq(deliver(NULL, "Subject: four\n\nx\n", 17, "d@e"),
	    0);
	after = time(NULL);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 4);
	ck_assert_int_eq(store_arrival(st, 0), 1795428000);
	ck_assert_int_eq(store_arrival(st, 1), 1793696400);
	ck_assert_int_eq(store_arrival(st, 2), 0);
	ck_assert_int_ge(store_arrival(st, 3), before);
	ck_assert_int_le(store_arrival(st, 3), after);
	ck_assert_int_eq(store_arrival(st, 4), 0);	/* no such message */

	/* Times follow their message through a commit that moves it. */
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_int_eq(store_arrival(st, 0), 1793696400);
	ck_assert_int_eq(store_arrival(st, 1), 0);
	store_close(st);
	st = xopen(NULL);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_int_eq(store_arrival(st, 0), 1793696400);
	ck_assert_int_eq(store_arrival(st, 1), 0);
	ck_assert_int_ge(store_arrival(st, 2), before);
	store_close(st);
}
END_TEST

static Suite *
mbox_suite(void)
{
	Suite *s = suite_create("mbox");
	TCase *tc = tcase_create("backend");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_roundtrip_corpus);
	tcase_add_test(tc, test_missing_inbox_created);
	tcase_add_test(tc, test_from_line);
	tcase_add_test(tc, test_uid_stability);
	tcase_add_test(tc, test_append_to_unterminated);
	tcase_add_test(tc, test_commit_bytes);
	tcase_add_test(tc, test_delivery_during_session);
	tcase_add_test(tc, test_commit_failure);
	tcase_add_test(tc, test_foreign_rewrite);
	tcase_add_test(tc, test_stale_dotlock);
	tcase_add_test(tc, test_fcntl_wait);
	tcase_add_test(tc, test_fcntl_timeout);
	tcase_add_test(tc, test_fcntl_same_process);
	tcase_add_test(tc, test_list_folders);
	tcase_add_test(tc, test_seen_side_file);
	tcase_add_test(tc, test_seen_uncommitted);
	tcase_add_test(tc, test_seen_status);
	tcase_add_test(tc, test_seen_old_side_file);
	tcase_add_test(tc, test_seen_and_delete);
	tcase_add_test(tc, test_shared_locks);
	tcase_add_test(tc, test_shared_uids_kept);
	tcase_add_test(tc, test_arrival);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(mbox_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
