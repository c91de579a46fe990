/*
 * test_maildir.c - the Maildir backend through the public store API.
 *
 * Every test works on a real Maildir in a mkdtemp() directory.  Messages
 * arrive either through store_deliver() (names carry ,S= and ,W=) or as
 * files written straight into new/ and cur/, the way another delivery
 * agent would leave them (sizes must then be computed and cached).  Wire
 * sizes are checked against a naive conversion written here, independent
 * of storage/crlf.c.
 */

#include <sys/stat.h>

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"

static char tmpdir[64];
static struct store_location loc;
static const struct store_user user = { "u", NULL };

static void
setup(void)
{
	char spec[128];

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_maildir.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(spec, sizeof(spec), "maildir:%s/%%u", tmpdir);
	ck_assert_int_eq(store_location_parse(spec, &loc, NULL, 0), 0);
}

static void
teardown(void)
{
	char cmd[128];

	store_location_free(&loc);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* The wire form of BUF, computed the obvious way. */
static char *
wire_of(const char *buf, size_t len, size_t *outlen)
{
	char *out = malloc(2 * len + 3);
	size_t i, o = 0;

	ck_assert_ptr_nonnull(out);
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = buf[i];
	}
	if (len > 0 && buf[len - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	*outlen = o;
	return out;
}

static void
deliver_buf(const char *folder, const char *buf, size_t len)
{
	char path[128], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/in.XXXXXX", tmpdir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, buf, len), (ssize_t)len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(store_deliver(&loc, &user, folder, fd, "a@b", err,
	    sizeof(err)) == 0, "%s", err);
	close(fd);
	unlink(path);
}

static void
deliver_str(const char *s)
{
	deliver_buf(NULL, s, strlen(s));
}

/* TMPDIR/u/REL as a path. */
static void
mpath(char *out, size_t cap, const char *rel)
{
	ck_assert_int_lt(snprintf(out, cap, "%s/u/%s", tmpdir, rel), (int)cap);
}

/* TMPDIR/u, the user's Maildir, as a path. */
static char *
tmpdir_u(char *out, size_t cap)
{
	ck_assert_int_lt(snprintf(out, cap, "%s/u", tmpdir), (int)cap);
	return out;
}

/* Write a message file the way a foreign delivery agent would. */
static void
put_file(const char *rel, const char *s)
{
	char path[PATH_MAX];
	FILE *fp;

	mpath(path, sizeof(path), rel);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(s, 1, strlen(s), fp), strlen(s));
	ck_assert_int_eq(fclose(fp), 0);
}

static struct store *
open_u(void)
{
	struct store *st;
	char err[256];

	ck_assert_msg(store_open(&loc, &user, NULL, &st, err,
	    sizeof(err)) == 0, "%s", err);
	return st;
}

/* Read message I through the store reader, CHUNK octets per call. */
static int
read_msg(struct store *st, size_t i, size_t chunk, char **out, size_t *len)
{
	struct store_reader *r;
	char *buf, *p;
	size_t cap = 4096;
	ssize_t n;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = store_reader_open(st, i, &r)) != 0)
		return rc;
	buf = malloc(cap);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		if (*len + chunk > cap) {
			cap = 2 * (*len + chunk);
			ck_assert_ptr_nonnull(p = realloc(buf, cap));
			buf = p;
		}
		if ((n = store_reader_read(r, buf + *len, chunk)) <= 0)
			break;
		ck_assert_uint_le((size_t)n, chunk);
		*len += (size_t)n;
	}
	store_reader_close(r);
	*out = buf;
	return (int)n;
}

/* Names of the files in TMPDIR/u/SUB, sorted, in one ';' string. */
static void
list_dir(const char *sub, char *out, size_t cap)
{
	char path[PATH_MAX];
	struct dirent **ents;
	int n, i;

	mpath(path, sizeof(path), sub);
	out[0] = '\0';
	ck_assert_int_ge(n = scandir(path, &ents, NULL, alphasort), 0);
	for (i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			strncat(out, ents[i]->d_name, cap - strlen(out) - 2);
			strcat(out, ";");
		}
		free(ents[i]);
	}
	free(ents);
}

/* The only file in new/ (after one delivery), as "new/NAME". */
static void
only_new(char *out, size_t cap)
{
	char names[1024];

	list_dir("new", names, sizeof(names));
	ck_assert_ptr_nonnull(strchr(names, ';'));
	ck_assert_ptr_null(strchr(strchr(names, ';') + 1, ';'));
	*strchr(names, ';') = '\0';
	snprintf(out, cap, "new/%s", names);
}

static char **
uids_of(struct store *st)
{
	char **v = calloc(store_count(st) + 1, sizeof(*v));
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < store_count(st); i++)
		ck_assert_ptr_nonnull(v[i] = strdup(store_uid(st, i)));
	return v;
}

static void
uids_free(char **v)
{
	size_t i;

	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static int
uid_legal(const char *uid)
{
	size_t i, n = strlen(uid);

	if (n < 1 || n > 70)		/* RFC 1939 §7 */
		return 0;
	for (i = 0; i < n; i++)
		if (uid[i] < 0x21 || uid[i] > 0x7e)
			return 0;
	return 1;
}

/*
 * The hard cases for a POP server: dot lines (stuffing is the protocol's
 * job, the store must not touch them), LF and CRLF files, 8-bit and NUL
 * octets, empty bodies, a last line without newline, lone CRs.
 */
struct mcase {
	const char *text;
	size_t len;
};
#define M(x)	{ x, sizeof(x) - 1 }

static const struct mcase hard[] = {
	M("Subject: dots\n\n.\n..\n.leading dot\nlast\n"),
	M("Subject: crlf\r\n\r\n.\r\nline\r\n"),
	M("Subject: 8bit\n\n\xe9t\xe9 \xff\x80\x00 bytes\n"),
	M("Subject: empty body\n\n"),
	M("Subject: no newline\n\nlast line"),
	M(""),
	M("Subject: cr\n\na\rb\r\rc\n"),
	M("Subject: mixed\r\n\nline\r\nline\n"),
};
#define NHARD	(sizeof(hard) / sizeof(hard[0]))

/* A 1 MiB message with bare-LF lines, CRLF lines and a CR at many
 * 8192-octet boundaries. */
static char *
big_message(size_t *len)
{
	size_t n = 1 << 20, i;
	char *b = malloc(n);

	ck_assert_ptr_nonnull(b);
	for (i = 0; i < n; i++)
		b[i] = 'a' + (char)(i % 26);
	for (i = 70; i < n; i += 71)
		b[i] = '\n';
	for (i = 8191; i + 1 < n; i += 8192) {
		b[i] = '\r';
		b[i + 1] = '\n';
	}
	b[n - 1] = '\n';
	*len = n;
	return b;
}

static void
check_content(struct store *st, size_t i, const char *raw, size_t rawlen,
    size_t chunk)
{
	char *want, *got;
	size_t wlen, glen;

	want = wire_of(raw, rawlen, &wlen);
	ck_assert_uint_eq(store_size(st, i), wlen);
	ck_assert_int_eq(read_msg(st, i, chunk, &got, &glen), 0);
	ck_assert_msg(glen == wlen && memcmp(got, want, wlen) == 0,
	    "message %zu chunk %zu: %zu octets, want %zu", i, chunk, glen,
	    wlen);
	free(want);
	free(got);
}

START_TEST(test_deliver_and_read)
{
	static const size_t chunks[] = { 1, 2, 7, 8192, 100000 };
	struct store *st;
	char *big;
	size_t biglen, i, c;
	uint64_t total = 0;

	for (i = 0; i < NHARD; i++)
		deliver_buf(NULL, hard[i].text, hard[i].len);
	big = big_message(&biglen);
	deliver_buf(NULL, big, biglen);

	st = open_u();
	ck_assert_uint_eq(store_count(st), NHARD + 1);
	for (i = 0; i < NHARD; i++) {
		for (c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++)
			check_content(st, i, hard[i].text, hard[i].len,
			    chunks[c]);
		total += store_size(st, i);
		ck_assert(uid_legal(store_uid(st, i)));
	}
	ck_assert_uint_eq(store_size(st, 5), 0);	/* empty stays empty */
	check_content(st, NHARD, big, biglen, 7);
	check_content(st, NHARD, big, biglen, 65536);
	total += store_size(st, NHARD);
	ck_assert_uint_eq(store_total_size(st), total);
	store_close(st);
	free(big);
}
END_TEST

/* Our own deliveries: Maildir name, sizes in it, nothing left in tmp/. */
START_TEST(test_delivered_name)
{
	char name[PATH_MAX], names[1024];
	unsigned long long sec, s, w;
	long usec, pid;
	unsigned q;
	int used = 0;
	struct store *st;

	deliver_str("Subject: x\n\nbody\n");
	only_new(name, sizeof(name));
	ck_assert_int_eq(sscanf(name, "new/%llu.M%6ldP%ldQ%u.%*[^,],S=%llu,W="
	    "%llu%n", &sec, &usec, &pid, &q, &s, &w, &used), 6);
	ck_assert_uint_eq(name[used], '\0');
	ck_assert_int_eq(pid, getpid());
	ck_assert_uint_eq(s, 17);
	ck_assert_uint_eq(w, 20);
	list_dir("tmp", names, sizeof(names));
	ck_assert_str_eq(names, "");
	/* A printable base name of up to 70 octets is the uid itself (a
	 * long host name makes it longer: then it is a digest). */
	st = open_u();
	if (strlen(name + 4) <= 70)
		ck_assert_str_eq(store_uid(st, 0), name + 4);
	else
		ck_assert_uint_eq(strlen(store_uid(st, 0)), 64);
	store_close(st);
}
END_TEST

START_TEST(test_uid_stability)
{
	struct store *st;
	char **a, **b;
	size_t i, j;

	for (i = 0; i < 5; i++)
		deliver_str("Subject: n\n\nbody\n");
	st = open_u();
	a = uids_of(st);
	for (i = 0; i < 5; i++)
		for (j = 0; j < i; j++)
			ck_assert_str_ne(a[i], a[j]);
	store_close(st);

	st = open_u();			/* reopen: same order, same uids */
	b = uids_of(st);
	for (i = 0; i < 5; i++)
		ck_assert_str_eq(a[i], b[i]);
	uids_free(b);
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);

	st = open_u();			/* another message deleted */
	ck_assert_uint_eq(store_count(st), 4);
	ck_assert_str_eq(store_uid(st, 0), a[0]);
	for (i = 1; i < 4; i++)
		ck_assert_str_eq(store_uid(st, i), a[i + 1]);
	store_close(st);

	deliver_str("Subject: later\n\n");
	st = open_u();			/* a new arrival goes last */
	ck_assert_uint_eq(store_count(st), 5);
	ck_assert_str_eq(store_uid(st, 0), a[0]);
	for (i = 1; i < 4; i++)
		ck_assert_str_eq(store_uid(st, i), a[i + 1]);
	for (j = 0; j < 5; j++)		/* never a reused uid */
		ck_assert_str_ne(store_uid(st, 4), a[j]);
	store_close(st);
	uids_free(a);
}
END_TEST

START_TEST(test_commit)
{
	struct store *st;
	char **a, names[2048];
	size_t i;

	for (i = 0; i < 4; i++)
		deliver_str(i % 2 ? "odd\n" : "even\n");
	st = open_u();
	a = uids_of(st);
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_set_deleted(st, 2, 1), 0);
	/* Arrives while the session is open: not in its snapshot... */
	deliver_str("late\n");
	ck_assert_uint_eq(store_count(st), 4);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	/* ... the snapshot now holds only the unmarked ones, still open. */
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_str_eq(store_uid(st, 0), a[1]);
	ck_assert_str_eq(store_uid(st, 1), a[3]);
	ck_assert(!store_is_deleted(st, 0));
	check_content(st, 0, "odd\n", 4, 100);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);	/* nothing to do */
	store_close(st);

	st = open_u();			/* ... and survives the commit */
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_str_eq(store_uid(st, 0), a[1]);
	ck_assert_str_eq(store_uid(st, 1), a[3]);
	check_content(st, 2, "late\n", 5, 100);
	store_close(st);
	list_dir("new", names, sizeof(names));
	ck_assert_ptr_null(strstr(names, a[0]));
	ck_assert_ptr_null(strstr(names, a[2]));
	uids_free(a);
}
END_TEST

/* Another program deleted the file after our open. */
START_TEST(test_vanished)
{
	struct store_reader *r;
	struct store *st;
	char rel[PATH_MAX], path[PATH_MAX];

	deliver_str("gone\n");
	only_new(rel, sizeof(rel));
	deliver_str("stays\n");
	st = open_u();
	mpath(path, sizeof(path), rel);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(store_reader_open(st, 0, &r), STORE_ECHANGED);
	check_content(st, 1, "stays\n", 6, 3);
	/* Deleting what is already gone is not an error. */
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 1);
	store_close(st);
}
END_TEST

/* Another program (an IMAP server) moved it to cur/ and set flags. */
START_TEST(test_renamed)
{
	char rel[512], from[PATH_MAX], to[PATH_MAX], names[1024];
	struct store *st;

	deliver_str("moved\n");
	only_new(rel, sizeof(rel));
	deliver_str("other\n");
	st = open_u();
	mpath(from, sizeof(from), rel);
	snprintf(to, sizeof(to), "%s/u/cur/%s:2,S", tmpdir, rel + 4);
	ck_assert_int_eq(rename(from, to), 0);
	check_content(st, 0, "moved\n", 6, 4);
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	snprintf(from, sizeof(from), "%s/u/cur/%s:2,RS", tmpdir, rel + 4);
	ck_assert_int_eq(rename(to, from), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	list_dir("cur", names, sizeof(names));
	ck_assert_str_eq(names, "");
	st = open_u();
	ck_assert_uint_eq(store_count(st), 1);
	check_content(st, 0, "other\n", 6, 4);
	store_close(st);
}
END_TEST

/* The announced size is a promise: a rewritten file is reported. */
START_TEST(test_changed_file)
{
	char rel[PATH_MAX], path[PATH_MAX], *got;
	struct store *st;
	size_t len;
	FILE *fp;

	deliver_str("hello\nworld\n");
	only_new(rel, sizeof(rel));
	mpath(path, sizeof(path), rel);
	st = open_u();
	ck_assert_uint_eq(store_size(st, 0), 14);
	ck_assert_ptr_nonnull(fp = fopen(path, "a"));
	fputs("more\n", fp);
	fclose(fp);
	ck_assert_int_eq(read_msg(st, 0, 1, &got, &len), STORE_ECHANGED);
	ck_assert_uint_le(len, 14);	/* never one octet too many */
	free(got);
	ck_assert_int_eq(truncate(path, 3), 0);
	ck_assert_int_eq(read_msg(st, 0, 64, &got, &len), STORE_ECHANGED);
	free(got);
	store_close(st);
}
END_TEST

/* Read TMPDIR/u/polypop-index into OUT; returns its inode. */
static ino_t
read_index(char *out, size_t cap)
{
	char path[PATH_MAX];
	struct stat sb;
	FILE *fp;
	size_t n;

	mpath(path, sizeof(path), "polypop-index");
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_ptr_nonnull(fp = fopen(path, "r"));
	n = fread(out, 1, cap - 1, fp);
	out[n] = '\0';
	fclose(fp);
	return sb.st_ino;
}

static void
set_mtime(const char *rel, time_t t)
{
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };
	char path[PATH_MAX];

	mpath(path, sizeof(path), rel);
	ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/*
 * Files from another delivery agent: ordered by the seconds in the name,
 * sized by reading them once, the result cached in polypop-index, and the
 * cache (not the file) used by the next open.
 */
START_TEST(test_foreign_and_index)
{
	char idx[1024], want[1024];
	struct store *st;
	ino_t ino;

	st = open_u();			/* creates the Maildir */
	ck_assert_uint_eq(store_count(st), 0);
	store_close(st);
	put_file("new/1000000002.B.host", "b\nb\n");
	put_file("cur/1000000001.A.host:2,S", "a\r\na");
	put_file("new/999999999.C.host", "x");
	put_file("new/.hidden", "not mail\n");
	put_file("tmp/1000000003.D.host", "being delivered\n");
	set_mtime("new/1000000002.B.host", 1000000002);
	set_mtime("cur/1000000001.A.host:2,S", 1000000001);
	set_mtime("new/999999999.C.host", 999999999);

	st = open_u();
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_str_eq(store_uid(st, 0), "999999999.C.host");
	ck_assert_str_eq(store_uid(st, 1), "1000000001.A.host");
	ck_assert_str_eq(store_uid(st, 2), "1000000002.B.host");
	ck_assert_uint_eq(store_size(st, 0), 3);
	ck_assert_uint_eq(store_size(st, 1), 6);
	ck_assert_uint_eq(store_size(st, 2), 6);
	store_close(st);

	ino = read_index(idx, sizeof(idx));
	ck_assert_str_eq(idx, "polypop-index 1\n"
	    "6 4 1000000001 1000000001.A.host\n"
	    "6 4 1000000002 1000000002.B.host\n"
	    "3 1 999999999 999999999.C.host\n");

	/* Same length, same mtime, different content: a reader of the
	 * file would see wire size 5.  The cache says 6, so the open did
	 * not read it, and an unchanged index is not rewritten. */
	put_file("new/1000000002.B.host", "bbb\n");
	set_mtime("new/1000000002.B.host", 1000000002);
	st = open_u();
	ck_assert_uint_eq(store_size(st, 2), 6);
	store_close(st);
	ck_assert_uint_eq(read_index(idx, sizeof(idx)), ino);

	/* A new mtime invalidates the entry: recomputed and rewritten (a
	 * new file made while the old one exists: a different inode). */
	set_mtime("new/1000000002.B.host", 1000000012);
	st = open_u();
	ck_assert_uint_eq(store_size(st, 2), 5);
	check_content(st, 2, "bbb\n", 4, 2);
	store_close(st);
	ck_assert_uint_ne(read_index(idx, sizeof(idx)), ino);
	st = open_u();
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	read_index(idx, sizeof(idx));
	/* The committed deletion left the index too. */
	snprintf(want, sizeof(want), "polypop-index 1\n"
	    "5 4 1000000012 1000000002.B.host\n"
	    "3 1 999999999 999999999.C.host\n");
	ck_assert_str_eq(idx, want);
}
END_TEST

/* The index is only a cache: damage costs a recomputation, nothing more. */
START_TEST(test_index_damaged)
{
	static const char *const bad[] = {
		"",
		"not an index\n6 4 1000000001 1000000001.A.host\n",
		"polypop-index 1\n6 4 x 1000000001.A.host\n6 4\n"
		    "7 4 1000000001 1000000001.A.host",	/* no final LF */
	};
	char idx[1024];
	struct store *st;
	size_t i;

	st = open_u();
	store_close(st);
	put_file("new/1000000001.A.host", "a\na\n");
	set_mtime("new/1000000001.A.host", 1000000001);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put_file("polypop-index", bad[i]);
		st = open_u();
		ck_assert_uint_eq(store_size(st, 0), 6);
		store_close(st);
		read_index(idx, sizeof(idx));
		ck_assert_str_eq(idx, "polypop-index 1\n"
		    "6 4 1000000001 1000000001.A.host\n");
	}
}
END_TEST

/* ,S= validates a cache entry whatever the mtime; ,W= is trusted
 * outright. */
START_TEST(test_size_fields)
{
	struct store *st;
	char idx[1024], *got;
	size_t len;

	st = open_u();
	store_close(st);
	put_file("new/1000000005.s.host,S=4", "b\nb\n");
	st = open_u();
	ck_assert_uint_eq(store_size(st, 0), 6);
	store_close(st);
	/* Content and mtime change, physical size does not: with ,S= in
	 * the name the entry is trusted without looking at the file. */
	put_file("new/1000000005.s.host,S=4", "bbb\n");
	set_mtime("new/1000000005.s.host,S=4", 1234);
	st = open_u();
	ck_assert_uint_eq(store_size(st, 0), 6);
	store_close(st);

	put_file("cur/1000000006.w.host,S=3,W=999:2,", "abc");
	st = open_u();
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_uint_eq(store_size(st, 1), 999);
	ck_assert_str_eq(store_uid(st, 1), "1000000006.w.host,S=3,W=999");
	/* A lying ,W= is caught when the message is read. */
	ck_assert_int_eq(read_msg(st, 1, 100, &got, &len), STORE_ECHANGED);
	free(got);
	store_close(st);
	read_index(idx, sizeof(idx));
	ck_assert_ptr_null(strstr(idx, ".w.host"));
}
END_TEST

START_TEST(test_odd_names)
{
	char longname[128], rel[160];
	struct store *st;
	size_t i;

	st = open_u();
	store_close(st);
	memset(longname, 'x', 90);
	memcpy(longname, "1000000001.", 11);
	longname[90] = '\0';
	snprintf(rel, sizeof(rel), "new/%s:2,", longname);
	put_file(rel, "long\n");
	put_file("new/1000000002.has space.host", "space\n");
	put_file("new/1000000003.\xe9t\xe9.host", "8bit\n");
	st = open_u();
	ck_assert_uint_eq(store_count(st), 3);
	for (i = 0; i < 3; i++) {
		/* A 64-digit SHA-256 of the base name. */
		ck_assert(uid_legal(store_uid(st, i)));
		ck_assert_uint_eq(strlen(store_uid(st, i)), 64);
		ck_assert_uint_eq(strspn(store_uid(st, i),
		    "0123456789abcdef"), 64);
	}
	ck_assert_str_ne(store_uid(st, 0), store_uid(st, 1));
	check_content(st, 1, "space\n", 6, 1);
	store_close(st);
	/* The digest is of the base name: flags do not change it. */
	st = open_u();
	ck_assert_uint_eq(store_count(st), 3);
	store_close(st);
}
END_TEST

START_TEST(test_folder_delivery)
{
	struct store_user u = { "u", NULL };
	struct store *st;
	char err[256];

	deliver_buf("Archive", "old\n", 4);
	ck_assert_int_eq(store_open(&loc, &u, "Archive", &st, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(store_count(st), 1);
	check_content(st, 0, "old\n", 4, 4);
	store_close(st);
	st = open_u();
	ck_assert_uint_eq(store_count(st), 0);
	store_close(st);
}
END_TEST

/*
 * Seen marks (RFC 1081 LAST): the "S" info flag, set by renaming new/NAME
 * to cur/NAME:2,S.  The base name, so the uid, and the size stay.
 */
START_TEST(test_seen_rename)
{
	char rel0[512], rel1[512], names[1024], want[1100];
	struct store *st;
	char **a;
	uint64_t size0;

	deliver_str("one\n");
	only_new(rel0, sizeof(rel0));
	deliver_str("two\r\n");
	list_dir("new", names, sizeof(names));
	snprintf(rel1, sizeof(rel1), "new/%s", strstr(names, ";") + 1);
	*strchr(rel1, ';') = '\0';
	st = open_u();
	a = uids_of(st);
	size0 = store_size(st, 0);
	ck_assert(!store_is_seen(st, 0));
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1));
	list_dir("new", names, sizeof(names));
	snprintf(want, sizeof(want), "%s;", rel1 + 4);
	ck_assert_str_eq(names, want);
	list_dir("cur", names, sizeof(names));
	snprintf(want, sizeof(want), "%s:2,S;", rel0 + 4);
	ck_assert_str_eq(names, want);
	/* Same message to this session: same uid, size and octets. */
	ck_assert_str_eq(store_uid(st, 0), a[0]);
	ck_assert_uint_eq(store_size(st, 0), size0);
	check_content(st, 0, "one\n", 4, 3);
	store_close(st);

	st = open_u();
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1));
	ck_assert_str_eq(store_uid(st, 0), a[0]);
	ck_assert_str_eq(store_uid(st, 1), a[1]);
	ck_assert_uint_eq(store_size(st, 0), size0);
	check_content(st, 1, "two\r\n", 5, 2);
	store_close(st);
	uids_free(a);
}
END_TEST

/* Other programs' flags are kept, in ASCII order; sizes from the index
 * still apply after the rename (it is keyed by base name). */
START_TEST(test_seen_flags)
{
	char names[1024], idx[1024], idx2[1024];
	struct store *st;
	char **a;
	ino_t ino;
	size_t i;

	st = open_u();
	store_close(st);
	put_file("cur/1000000001.A.host:2,FRT", "a\n");
	put_file("cur/1000000002.B.host:2,a", "b\n");
	put_file("cur/1000000003.C.host:2,S", "c\n");
	put_file("new/1000000004.D.host", "dd\n");
	put_file("cur/1000000005.E.host:1,x", "e\n");
	st = open_u();
	ck_assert_uint_eq(store_count(st), 5);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(store_is_seen(st, i), i == 2);
	a = uids_of(st);
	store_close(st);
	ino = read_index(idx, sizeof(idx));
	ck_assert_ptr_nonnull(strstr(idx, " 1000000004.D.host\n"));

	st = open_u();
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(store_set_seen(st, i), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	list_dir("new", names, sizeof(names));
	ck_assert_str_eq(names, "");
	list_dir("cur", names, sizeof(names));
	/* An info other than "2," has no flags we could add to. */
	ck_assert_str_eq(names, "1000000001.A.host:2,FRST;"
	    "1000000002.B.host:2,Sa;1000000003.C.host:2,S;"
	    "1000000004.D.host:2,S;1000000005.E.host:1,x;");

	st = open_u();
	ck_assert_uint_eq(store_count(st), 5);
	for (i = 0; i < 5; i++) {
		ck_assert_str_eq(store_uid(st, i), a[i]);
		ck_assert_int_eq(store_is_seen(st, i), i != 4);
	}
	ck_assert_uint_eq(store_size(st, 3), 4);
	check_content(st, 3, "dd\n", 3, 1);
	store_close(st);
	/* The cached size was found under the new name: no rewrite. */
	ck_assert(read_index(idx2, sizeof(idx2)) == ino);
	ck_assert_str_eq(idx2, idx);
	uids_free(a);
}
END_TEST

/* Marks are nothing until commit; reset drops them; and a commit with
 * nothing to do renames nothing. */
START_TEST(test_seen_uncommitted)
{
	char before[1024], names[1024];
	struct store *st;

	deliver_str("x\n");
	put_file("cur/1000000001.A.host:2,S", "a\n");
	list_dir("new", before, sizeof(before));
	st = open_u();
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	ck_assert(store_is_seen(st, 1));
	store_close(st);
	list_dir("new", names, sizeof(names));
	ck_assert_str_eq(names, before);

	st = open_u();
	ck_assert(!store_is_seen(st, 1));
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	store_reset_seen(st);
	ck_assert(!store_is_seen(st, 1));
	/* Seen already on disk: marking it again is nothing to write. */
	ck_assert(store_is_seen(st, 0));
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	list_dir("new", names, sizeof(names));
	ck_assert_str_eq(names, before);
	list_dir("cur", names, sizeof(names));
	ck_assert_str_eq(names, "1000000001.A.host:2,S;");
}
END_TEST

/* One commit with deletions and seen marks, while mail arrives. */
START_TEST(test_seen_and_delete)
{
	struct store *st;
	char **a, names[1024];

	deliver_str("x\n");
	deliver_str("y\n");
	deliver_str("z\n");
	st = open_u();
	a = uids_of(st);
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_set_seen(st, 1), 0);
	deliver_str("late\n");
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1));
	store_close(st);
	list_dir("cur", names, sizeof(names));
	ck_assert_ptr_nonnull(strstr(names, a[1]));
	ck_assert_ptr_nonnull(strstr(names, ":2,S;"));
	ck_assert_ptr_null(strstr(names, a[0]));

	st = open_u();
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_str_eq(store_uid(st, 0), a[1]);
	ck_assert_str_eq(store_uid(st, 1), a[2]);
	ck_assert(store_is_seen(st, 0));
	ck_assert(!store_is_seen(st, 1) && !store_is_seen(st, 2));
	check_content(st, 2, "late\n", 5, 5);
	store_close(st);
	uids_free(a);
}
END_TEST

/* A reader's snapshot follows a message another session renamed; a
 * directory that is not a Maildir is no folder, and is left as it is. */
START_TEST(test_shared_reader)
{
	struct store *r, *st;
	char path[PATH_MAX], err[256];
	struct stat sb;

	ck_assert_int_eq(mkdir(tmpdir_u(path, sizeof(path)), 0700), 0);
	ck_assert_int_eq(store_open_shared(&loc, &user, NULL, &r, err,
	    sizeof(err)), STORE_ENOFOLDER);
	mpath(path, sizeof(path), "new");
	ck_assert_int_ne(stat(path, &sb), 0);

	deliver_str("read me\n");
	ck_assert_int_eq(store_open_shared(&loc, &user, NULL, &r, err,
	    sizeof(err)), 0);
	st = open_u();
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	ck_assert(!store_is_seen(r, 0));	/* a snapshot */
	check_content(r, 0, "read me\n", 8, 3);
	store_close(r);
}
END_TEST

/*
 * store_arrival() is the file's mtime, read at open, whichever way the
 * size was found: ,W= in the name, a cache entry validated by ,S=, a cache
 * entry validated by size and mtime, or by reading the file.
 */
START_TEST(test_arrival)
{
	char rel[1024];
	struct store *st;
	time_t before, after;

	before = time(NULL);
	deliver_str("delivered\n");		/* ,S= and ,W= in the name */
	after = time(NULL);
	only_new(rel, sizeof(rel));
	put_file("new/1000000001.A.host", "a\n");		/* read */
	put_file("new/1000000002.B.host,S=2", "b\n");	/* ,S= */
	set_mtime("new/1000000001.A.host", 1000000001);
	set_mtime("new/1000000002.B.host,S=2", 1000000002);

	st = open_u();
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert_int_eq(store_arrival(st, 0), 1000000001);
	ck_assert_int_eq(store_arrival(st, 1), 1000000002);
	ck_assert_int_ge(store_arrival(st, 2), before);
	ck_assert_int_le(store_arrival(st, 2), after);
	ck_assert_int_eq(store_arrival(st, 3), 0);	/* no such message */
	store_close(st);

	/* The cached sizes are used now, the mtimes still read: a Maildir
	 * file's age changes with nothing else (touch, a restore). */
	set_mtime(rel, 1500000000);
	set_mtime("new/1000000001.A.host", 1600000001);
	set_mtime("new/1000000002.B.host,S=2", 1600000002);
	st = open_u();
	ck_assert_int_eq(store_arrival(st, 0), 1600000001);
	ck_assert_int_eq(store_arrival(st, 1), 1600000002);
	ck_assert_int_eq(store_arrival(st, 2), 1500000000);
	ck_assert_uint_eq(store_size(st, 0), 3);
	ck_assert_uint_eq(store_size(st, 1), 3);

	/* Times follow their message through a commit. */
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_int_eq(store_arrival(st, 0), 1600000002);
	ck_assert_int_eq(store_arrival(st, 1), 1500000000);
	store_close(st);

	/* Unchanged by the seen flag's rename to cur/. */
	st = open_u();
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	store_close(st);
	st = open_u();
	ck_assert(store_is_seen(st, 0));
	ck_assert_int_eq(store_arrival(st, 0), 1600000002);
	store_close(st);
}
END_TEST

static Suite *
maildir_suite(void)
{
	Suite *s = suite_create("maildir");
	TCase *tc = tcase_create("maildir");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_deliver_and_read);
	tcase_add_test(tc, test_delivered_name);
	tcase_add_test(tc, test_uid_stability);
	tcase_add_test(tc, test_commit);
	tcase_add_test(tc, test_vanished);
	tcase_add_test(tc, test_renamed);
	tcase_add_test(tc, test_changed_file);
	tcase_add_test(tc, test_foreign_and_index);
	tcase_add_test(tc, test_index_damaged);
	tcase_add_test(tc, test_size_fields);
	tcase_add_test(tc, test_odd_names);
	tcase_add_test(tc, test_folder_delivery);
	tcase_add_test(tc, test_seen_rename);
	tcase_add_test(tc, test_seen_flags);
	tcase_add_test(tc, test_seen_uncommitted);
	tcase_add_test(tc, test_seen_and_delete);
	tcase_add_test(tc, test_shared_reader);
	tcase_add_test(tc, test_arrival);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(maildir_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
