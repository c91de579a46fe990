/*
 * test_store.c - the format-independent store core (storage/store.c):
 * location parsing, user and folder names, %u/%h expansion, the
 * process-wide maildrop lock (RFC 1939 §8 / RFC 2449 §8.1.2 IN-USE),
 * seen marks (RFC 1081 LAST) and read-only opens (RFC 1082), the last two
 * on both formats.
 *
 * Expansion and folder resolution are observed the only way a protocol
 * can: by opening real Maildirs under a mkdtemp() directory and looking at
 * what appeared on disk.
 */

#include <sys/stat.h>

#include <check.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"

/* Short, so tmpdir-based paths provably fit PATH_MAX buffers. */
static char tmpdir[64];

static void
setup(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Is TMPDIR/REL a directory? */
static int
is_dir(const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/*
 * Location parsing.
 */

struct loc_case {
	const char *spec;
	int ok;
	enum store_kind kind;
	const char *path;
	const char *inbox;
};

static const struct loc_case loc_cases[] = {
	{ "maildir:/var/mail/%u", 1, STORE_MAILDIR, "/var/mail/%u", NULL },
	{ "maildir:%h/Maildir", 1, STORE_MAILDIR, "%h/Maildir", NULL },
	{ "maildir:/srv/100%%/%u", 1, STORE_MAILDIR, "/srv/100%%/%u", NULL },
	{ "mbox:/var/mail/%u", 1, STORE_MBOX, "/var/mail/%u", NULL },
	{ "mbox:%h/mail:INBOX=/var/spool/mail/%u", 1, STORE_MBOX, "%h/mail",
	    "/var/spool/mail/%u" },
	{ "", 0, 0, NULL, NULL },
	{ "maildir", 0, 0, NULL, NULL },
	{ "maildir:", 0, 0, NULL, NULL },
	{ "mbox:", 0, 0, NULL, NULL },
	{ "mbox::INBOX=/x", 0, 0, NULL, NULL },
	{ "imap:/var/mail", 0, 0, NULL, NULL },
	{ "Maildir:/var/mail", 0, 0, NULL, NULL },
	{ "/var/mail/%u", 0, 0, NULL, NULL },
	{ "maildir:/x:LAYOUT=fs", 0, 0, NULL, NULL },
	{ "maildir:/x:INBOX=/y", 0, 0, NULL, NULL },
	{ "mbox:/x:INBOX=", 0, 0, NULL, NULL },
	{ "mbox:/x:FOO=bar", 0, 0, NULL, NULL },
	{ "mbox:/x:INBOX=/y:z", 0, 0, NULL, NULL },
	{ "maildir:/x/%z", 0, 0, NULL, NULL },
	{ "maildir:/x/%", 0, 0, NULL, NULL },
	{ "mbox:/x:INBOX=/y/%d", 0, 0, NULL, NULL },
};

START_TEST(test_location_parse)
{
	const struct loc_case *c = &loc_cases[_i];
	struct store_location loc;
	char err[256] = "";
	int rc;

	rc = store_location_parse(c->spec, &loc, err, sizeof(err));
	if (!c->ok) {
		ck_assert_msg(rc == STORE_EINVAL, "\"%s\" accepted", c->spec);
		ck_assert_msg(err[0] != '\0', "\"%s\": no reason", c->spec);
		ck_assert_ptr_null(loc.path);
		return;
	}
	ck_assert_msg(rc == 0, "\"%s\": %s", c->spec, err);
	ck_assert_int_eq(loc.kind, c->kind);
	ck_assert_str_eq(loc.path, c->path);
	if (c->inbox == NULL)
		ck_assert_ptr_null(loc.inbox);
	else
		ck_assert_str_eq(loc.inbox, c->inbox);
	store_location_free(&loc);
	ck_assert_ptr_null(loc.path);
}
END_TEST

/*
 * User and folder names.
 */

struct name_case {
	const char *name;
	size_t len;
	int ok;
};

static char long_ok[256], long_bad[257];

static const struct name_case name_cases[] = {
	{ "alice", 5, 1 },
	{ "a.b", 3, 1 },
	{ "a..b", 4, 1 },		/* no '/' so cannot climb */
	{ "user@example.org", 16, 1 },
	{ "J\xc3\xbcrgen", 7, 1 },	/* UTF-8 is fine */
	{ "Sent Items", 10, 1 },
	{ long_ok, 255, 1 },
	{ "", 0, 0 },
	{ ".", 1, 0 },
	{ "..", 2, 0 },
	{ ".hidden", 7, 0 },
	{ "/", 1, 0 },
	{ "a/b", 3, 0 },
	{ "../etc", 6, 0 },
	{ "a\nb", 3, 0 },
	{ "a\rb", 3, 0 },
	{ "a\tb", 3, 0 },
	{ "a\x7f", 2, 0 },
	{ "a\0b", 3, 0 },		/* embedded NUL */
	{ long_bad, 256, 0 },
};

START_TEST(test_user_name)
{
	const struct name_case *c = &name_cases[_i];

	memset(long_ok, 'x', 255);
	memset(long_bad, 'y', 256);
	ck_assert_msg(store_user_name_ok(c->name, c->len) == c->ok,
	    "case %d", _i);
}
END_TEST

START_TEST(test_strerror)
{
	static const int codes[] = { STORE_OK, STORE_EINUSE,
	    STORE_ENOFOLDER, STORE_ETEMP, STORE_EPERM, STORE_EINVAL,
	    STORE_ENOMEM, STORE_ECHANGED };
	size_t i, j;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		ck_assert_ptr_nonnull(store_strerror(codes[i]));
		for (j = 0; j < i; j++)
			ck_assert_str_ne(store_strerror(codes[i]),
			    store_strerror(codes[j]));
	}
	ck_assert_ptr_nonnull(store_strerror(-99));
}
END_TEST

/* Parse "maildir:" + TMPDIR + SUFFIX. */
static void
tmp_location(struct store_location *loc, const char *kind,
    const char *suffix)
{
	char spec[PATH_MAX + 64], err[256];

	snprintf(spec, sizeof(spec), "%s:%s%s", kind, tmpdir, suffix);
	ck_assert_msg(store_location_parse(spec, loc, err, sizeof(err)) == 0,
	    "%s", err);
}

static int
try_open(const struct store_location *loc, const char *user,
    const char *home, const char *folder, struct store **st)
{
	struct store_user u = { user, home };
	char err[256];

	return store_open(loc, &u, folder, st, err, sizeof(err));
}

START_TEST(test_expand_user)
{
	struct store_location loc;
	struct store *st;

	tmp_location(&loc, "maildir", "/%u/Maildir");
	ck_assert_int_eq(try_open(&loc, "alice", NULL, NULL, &st), 0);
	ck_assert_uint_eq(store_count(st), 0);
	store_close(st);
	/* A missing INBOX is created, parents included. */
	ck_assert(is_dir("alice/Maildir/cur"));
	ck_assert(is_dir("alice/Maildir/new"));
	ck_assert(is_dir("alice/Maildir/tmp"));
	store_location_free(&loc);
}
END_TEST

START_TEST(test_expand_home_and_percent)
{
	struct store_location loc;
	struct store *st;
	char home[PATH_MAX];

	snprintf(home, sizeof(home), "%s/home/bob", tmpdir);
	loc.path = NULL;
	ck_assert_int_eq(store_location_parse("maildir:%h/Maildir", &loc,
	    NULL, 0), 0);
	ck_assert_int_eq(try_open(&loc, "bob", home, NULL, &st), 0);
	store_close(st);
	ck_assert(is_dir("home/bob/Maildir/cur"));
	/* %h with no home is refused, never expanded to "". */
	ck_assert_int_eq(try_open(&loc, "bob", "", NULL, &st), STORE_EINVAL);
	ck_assert_ptr_null(st);
	ck_assert_int_eq(try_open(&loc, "bob", NULL, NULL, &st),
	    STORE_EINVAL);
	store_location_free(&loc);

	tmp_location(&loc, "maildir", "/100%%/%u%%");
	ck_assert_int_eq(try_open(&loc, "carol", NULL, NULL, &st), 0);
	store_close(st);
	ck_assert(is_dir("100%/carol%/cur"));
	store_location_free(&loc);
}
END_TEST

START_TEST(test_expand_refuses)
{
	struct store_location loc;
	struct store *st;

	/* Relative paths would land in the daemon's working directory. */
	ck_assert_int_eq(store_location_parse("maildir:Maildir/%u", &loc,
	    NULL, 0), 0);
	ck_assert_int_eq(try_open(&loc, "dave", NULL, NULL, &st),
	    STORE_EINVAL);
	store_location_free(&loc);

	tmp_location(&loc, "maildir", "/%u");
	ck_assert_int_eq(try_open(&loc, "..", NULL, NULL, &st), STORE_EINVAL);
	ck_assert_int_eq(try_open(&loc, "a/../../x", NULL, NULL, &st),
	    STORE_EINVAL);
	ck_assert_int_eq(try_open(&loc, "", NULL, NULL, &st), STORE_EINVAL);
	ck_assert_int_eq(try_open(&loc, NULL, NULL, NULL, &st), STORE_EINVAL);
	store_location_free(&loc);
}
END_TEST

/* Write TEXT into a new message of FOLDER through store_deliver(). */
static void
deliver(const struct store_location *loc, const char *user,
    const char *folder, const char *text)
{
	struct store_user u = { user, NULL };
	char path[PATH_MAX], err[256];
	int fd;

	snprintf(path, sizeof(path), "%s/msg.XXXXXX", tmpdir);
	ck_assert_int_ge(fd = mkstemp(path), 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(lseek(fd, 0, SEEK_SET), 0);
	ck_assert_msg(store_deliver(loc, &u, folder, fd, NULL, err,
	    sizeof(err)) == 0, "%s", err);
	close(fd);
	unlink(path);
}

START_TEST(test_folders)
{
	static const char *const inbox[] = { NULL, "INBOX", "inbox", "InBoX" };
	struct store_location loc;
	struct store *st;
	size_t i;

	tmp_location(&loc, "maildir", "/%u");
	deliver(&loc, "erin", NULL, "Subject: in\n\nbody\n");
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(try_open(&loc, "erin", NULL, inbox[i], &st),
		    0);
		ck_assert_uint_eq(store_count(st), 1);
		store_close(st);
	}
	/* Only the INBOX is created on open. */
	ck_assert_int_eq(try_open(&loc, "erin", NULL, "Sent", &st),
	    STORE_ENOFOLDER);
	ck_assert(!is_dir("erin/.Sent"));
	ck_assert_int_eq(try_open(&loc, "erin", NULL, "..", &st),
	    STORE_EINVAL);
	ck_assert_int_eq(try_open(&loc, "erin", NULL, ".Sent", &st),
	    STORE_EINVAL);
	ck_assert_int_eq(try_open(&loc, "erin", NULL, "a/b", &st),
	    STORE_EINVAL);
	/* Delivery creates a Maildir++ folder ROOT/.F. */
	deliver(&loc, "erin", "Sent", "Subject: out\n\n");
	ck_assert(is_dir("erin/.Sent/new"));
	ck_assert_int_eq(try_open(&loc, "erin", NULL, "Sent", &st), 0);
	ck_assert_uint_eq(store_count(st), 1);
	store_close(st);
	store_location_free(&loc);
}
END_TEST

static int
is_file(const char *rel)
{
	char path[PATH_MAX];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* mbox: INBOX is PATH/inbox or the INBOX= file, folder F is PATH/F.  The
 * files are made by the mbox backend's delivery; where they land is
 * store.c's resolution. */
START_TEST(test_mbox_paths)
{
	struct store_location loc, spool;
	struct store *st, *b;
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s/mo", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	snprintf(dir, sizeof(dir), "%s/spool", tmpdir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);

	tmp_location(&loc, "mbox", "/%u");
	deliver(&loc, "mo", NULL, "Subject: in\n\nbody\n");
	ck_assert(is_file("mo/inbox"));
	deliver(&loc, "mo", "Sent", "Subject: out\n\nbody\n");
	ck_assert(is_file("mo/Sent"));
	ck_assert_int_eq(try_open(&loc, "mo", NULL, "INBOX", &st), 0);
	ck_assert_uint_eq(store_count(st), 1);
	ck_assert_int_eq(try_open(&loc, "mo", NULL, "inbox", &b),
	    STORE_EINUSE);
	store_close(st);
	ck_assert_int_eq(try_open(&loc, "mo", NULL, "Drafts", &st),
	    STORE_ENOFOLDER);
	store_location_free(&loc);

	snprintf(dir, sizeof(dir), "mbox:%s/%%u:INBOX=%s/spool/%%u", tmpdir,
	    tmpdir);
	ck_assert_int_eq(store_location_parse(dir, &spool, NULL, 0), 0);
	deliver(&spool, "mo", NULL, "Subject: spool\n\nbody\n");
	ck_assert(is_file("spool/mo"));
	store_location_free(&spool);
}
END_TEST

static void
collect(const char *name, void *arg)
{
	char *acc = arg;

	strcat(acc, name);
	strcat(acc, ";");
}

START_TEST(test_list_folders)
{
	struct store_location loc;
	struct store_user u = { "fay", NULL };
	char got[256] = "", path[PATH_MAX];

	tmp_location(&loc, "maildir", "/%u");
	/* No Maildir yet: no folders, no error. */
	ck_assert_int_eq(store_list_folders(&loc, &u, collect, got), 0);
	ck_assert_str_eq(got, "");
	deliver(&loc, "fay", NULL, "x\n");
	deliver(&loc, "fay", "Sent", "x\n");
	deliver(&loc, "fay", "Drafts", "x\n");
	deliver(&loc, "fay", "Lists.polypop", "x\n");
	/* A dot-directory that is not a Maildir is not a folder. */
	snprintf(path, sizeof(path), "%s/fay/.junk", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(store_list_folders(&loc, &u, collect, got), 0);
	ck_assert_str_eq(got, "Drafts;Lists.polypop;Sent;");
	store_location_free(&loc);
}
END_TEST

/*
 * The maildrop lock.
 */

START_TEST(test_lock)
{
	struct store_location loc, alias;
	struct store *a, *b, *c;
	char link[PATH_MAX], target[PATH_MAX];

	tmp_location(&loc, "maildir", "/%u");
	ck_assert_int_eq(try_open(&loc, "gus", NULL, NULL, &a), 0);
	ck_assert_int_eq(try_open(&loc, "gus", NULL, NULL, &b), STORE_EINUSE);
	ck_assert_ptr_null(b);
	ck_assert_int_eq(try_open(&loc, "gus", NULL, "inbox", &b),
	    STORE_EINUSE);
	/* Another spelling of the same directory is the same maildrop. */
	snprintf(target, sizeof(target), "%s/gus", tmpdir);
	snprintf(link, sizeof(link), "%s/alias", tmpdir);
	ck_assert_int_eq(symlink(target, link), 0);
	tmp_location(&alias, "maildir", "//./alias");
	ck_assert_int_eq(try_open(&alias, "gus", NULL, NULL, &b),
	    STORE_EINUSE);
	/* Other users and other folders are independent. */
	ck_assert_int_eq(try_open(&loc, "hal", NULL, NULL, &b), 0);
	deliver(&loc, "gus", "Trash", "x\n");
	ck_assert_int_eq(try_open(&loc, "gus", NULL, "Trash", &c), 0);
	store_close(c);
	store_close(b);
	/* Closing releases it. */
	store_close(a);
	ck_assert_int_eq(try_open(&alias, "gus", NULL, NULL, &a), 0);
	ck_assert_int_eq(try_open(&loc, "gus", NULL, NULL, &b), STORE_EINUSE);
	store_close(a);
	ck_assert_int_eq(try_open(&loc, "gus", NULL, NULL, &a), 0);
	store_close(a);
	store_location_free(&alias);
	store_location_free(&loc);
}
END_TEST

/* A failed open leaves no lock behind. */
START_TEST(test_lock_released_on_failure)
{
	struct store_location loc;
	struct store *st;
	char path[PATH_MAX];
	int fd;

	/* INBOX path exists as a file: the backend cannot open it. */
	tmp_location(&loc, "maildir", "/%u");
	snprintf(path, sizeof(path), "%s/ivy", tmpdir);
	ck_assert_int_ge(fd = open(path, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	ck_assert_int_lt(try_open(&loc, "ivy", NULL, NULL, &st), 0);
	ck_assert_int_ne(try_open(&loc, "ivy", NULL, NULL, &st),
	    STORE_EINUSE);
	unlink(path);
	ck_assert_int_eq(try_open(&loc, "ivy", NULL, NULL, &st), 0);
	store_close(st);
	store_location_free(&loc);
}
END_TEST

#define RACERS	8

struct racer {
	const struct store_location *loc;
	pthread_barrier_t *go;
	int rc;
	struct store *st;
};

static void *
race(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = try_open(r->loc, "jan", NULL, NULL, &r->st);
	return NULL;
}

/* Sessions on threadpool threads open at once: exactly one wins. */
START_TEST(test_lock_threads)
{
	struct store_location loc;
	struct racer r[RACERS];
	pthread_t t[RACERS];
	pthread_barrier_t go;
	int i, won = 0;

	tmp_location(&loc, "maildir", "/%u");
	deliver(&loc, "jan", NULL, "x\n");	/* the Maildir exists */
	pthread_barrier_init(&go, NULL, RACERS);
	for (i = 0; i < RACERS; i++) {
		r[i].loc = &loc;
		r[i].go = &go;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race, &r[i]), 0);
	}
	/* Join all before closing any: a close would let a late one in. */
	for (i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < RACERS; i++) {
		if (r[i].rc == 0) {
			won++;
			store_close(r[i].st);
		} else
			ck_assert_int_eq(r[i].rc, STORE_EINUSE);
	}
	ck_assert_int_eq(won, 1);
	pthread_barrier_destroy(&go);
	store_location_free(&loc);
}
END_TEST

/* Deletion marks are in-memory only until commit. */
START_TEST(test_marks)
{
	struct store_location loc;
	struct store *st;

	tmp_location(&loc, "maildir", "/%u");
	deliver(&loc, "kim", NULL, "one\n");
	deliver(&loc, "kim", NULL, "two\n");
	ck_assert_int_eq(try_open(&loc, "kim", NULL, NULL, &st), 0);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert_uint_eq(store_total_size(st), 10);
	ck_assert_int_eq(store_set_deleted(st, 1, 1), 0);
	ck_assert_int_eq(store_set_deleted(st, 2, 1), STORE_EINVAL);
	ck_assert(store_is_deleted(st, 1));
	ck_assert(!store_is_deleted(st, 0));
	ck_assert(!store_is_deleted(st, 5));
	ck_assert_uint_eq(store_size(st, 5), 0);
	ck_assert_ptr_null(store_uid(st, 5));
	store_undelete_all(st);
	ck_assert(!store_is_deleted(st, 1));
	ck_assert_int_eq(store_set_deleted(st, 0, 1), 0);
	store_close(st);	/* no commit: nothing removed */
	ck_assert_int_eq(try_open(&loc, "kim", NULL, NULL, &st), 0);
	ck_assert_uint_eq(store_count(st), 2);
	ck_assert(!store_is_deleted(st, 0));
	store_close(st);
	store_location_free(&loc);
}
END_TEST

/* Both formats, for the tests that must hold whatever the backend. */
static const char *const kinds[] = { "maildir", "mbox" };
static const char *const kind_suffix[] = { "/%u", "/%u" };

static int
try_shared(const struct store_location *loc, const char *user,
    const char *folder, struct store **st)
{
	struct store_user u = { user, NULL };
	char err[256];

	return store_open_shared(loc, &u, folder, st, err, sizeof(err));
}

/* Read message I whole into BUF (NUL-terminated); returns the length. */
static size_t
read_all(struct store *st, size_t i, char *buf, size_t cap)
{
	struct store_reader *r;
	size_t n = 0;
	ssize_t got;

	ck_assert_int_eq(store_reader_open(st, i, &r), 0);
	while ((got = store_reader_read(r, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	ck_assert_int_eq(got, 0);
	store_reader_close(r);
	buf[n] = '\0';
	return n;
}

/* Seen marks: in memory until commit, then there for every later open. */
START_TEST(test_seen_marks)
{
	struct store_location loc;
	struct store *st;

	tmp_location(&loc, kinds[_i], kind_suffix[_i]);
	deliver(&loc, "lee", NULL, "one\n");
	deliver(&loc, "lee", NULL, "two\n");
	deliver(&loc, "lee", NULL, "three\n");
	ck_assert_int_eq(try_open(&loc, "lee", NULL, NULL, &st), 0);
	ck_assert(!store_is_readonly(st));
	ck_assert(!store_is_seen(st, 0) && !store_is_seen(st, 1) &&
	    !store_is_seen(st, 2));
	ck_assert_int_eq(store_set_seen(st, 3), STORE_EINVAL);
	ck_assert(!store_is_seen(st, 3));
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert(store_is_seen(st, 0));
	store_reset_seen(st);
	ck_assert(!store_is_seen(st, 0));
	ck_assert_int_eq(store_set_seen(st, 2), 0);
	store_close(st);		/* no commit: nothing written */

	ck_assert_int_eq(try_open(&loc, "lee", NULL, NULL, &st), 0);
	ck_assert(!store_is_seen(st, 2));
	ck_assert_int_eq(store_set_seen(st, 0), 0);
	ck_assert_int_eq(store_set_seen(st, 2), 0);
	ck_assert_int_eq(store_commit(st, NULL, 0), 0);
	ck_assert_uint_eq(store_count(st), 3);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1) &&
	    store_is_seen(st, 2));
	store_reset_seen(st);		/* committed marks are not undone */
	ck_assert(store_is_seen(st, 0) && store_is_seen(st, 2));
	store_close(st);

	ck_assert_int_eq(try_open(&loc, "lee", NULL, NULL, &st), 0);
	ck_assert(store_is_seen(st, 0) && !store_is_seen(st, 1) &&
	    store_is_seen(st, 2));
	store_close(st);
	store_location_free(&loc);
}
END_TEST

/* RFC 1082 discussion groups: any number of read-only sessions at once,
 * next to a normal one, and none of them can change the maildrop. */
START_TEST(test_shared)
{
	struct store_location loc;
	struct store *a, *b, *e, *x;
	char buf[64];

	tmp_location(&loc, kinds[_i], kind_suffix[_i]);
	/* Nothing to read is an error, and nothing is created. */
	ck_assert_int_eq(try_shared(&loc, "max", NULL, &a), STORE_ENOFOLDER);
	ck_assert_ptr_null(a);
	ck_assert(!is_dir("max"));
	deliver(&loc, "max", NULL, "first\n");
	deliver(&loc, "max", NULL, "second\n");
	ck_assert_int_eq(try_shared(&loc, "max", "Sent", &a),
	    STORE_ENOFOLDER);
	ck_assert(!is_dir("max/.Sent") && !is_file("max/Sent"));

	ck_assert_int_eq(try_shared(&loc, "max", NULL, &a), 0);
	ck_assert_int_eq(try_shared(&loc, "max", "INBOX", &b), 0);
	ck_assert_int_eq(try_open(&loc, "max", NULL, NULL, &e), 0);
	/* The readers do not weaken the lock between normal sessions. */
	ck_assert_int_eq(try_open(&loc, "max", NULL, NULL, &x),
	    STORE_EINUSE);
	ck_assert(store_is_readonly(a) && store_is_readonly(b));
	ck_assert(!store_is_readonly(e));
	ck_assert_uint_eq(store_count(a), 2);
	ck_assert_uint_eq(store_count(b), 2);
	ck_assert_str_eq(store_uid(a, 0), store_uid(e, 0));
	ck_assert_str_eq(store_uid(b, 1), store_uid(e, 1));

	/* DELE is a no-op for a discussion group; so is a seen mark. */
	ck_assert_int_eq(store_set_deleted(a, 0, 1), STORE_EPERM);
	ck_assert(!store_is_deleted(a, 0));
	ck_assert_int_eq(store_set_seen(a, 0), STORE_EPERM);
	ck_assert(!store_is_seen(a, 0));
	ck_assert_int_eq(store_commit(a, NULL, 0), 0);
	ck_assert_uint_eq(store_count(a), 2);
	ck_assert_uint_eq(read_all(a, 1, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "second\r\n");

	/* Mail arriving meanwhile is not in the readers' snapshots. */
	deliver(&loc, "max", NULL, "third\n");
	ck_assert_uint_eq(store_count(a), 2);
	ck_assert_uint_eq(read_all(b, 0, buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "first\r\n");

	/* The normal session's seen mark is what the next reader sees. */
	ck_assert_int_eq(store_set_seen(e, 1), 0);
	ck_assert_int_eq(store_commit(e, NULL, 0), 0);
	store_close(e);
	store_close(a);
	store_close(b);
	ck_assert_int_eq(try_shared(&loc, "max", NULL, &a), 0);
	ck_assert_uint_eq(store_count(a), 3);
	ck_assert(!store_is_seen(a, 0) && store_is_seen(a, 1) &&
	    !store_is_seen(a, 2));
	store_close(a);
	store_location_free(&loc);
}
END_TEST

static Suite *
store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("pure");
	TCase *fs = tcase_create("files");

	tcase_add_loop_test(tc, test_location_parse, 0,
	    sizeof(loc_cases) / sizeof(loc_cases[0]));
	tcase_add_loop_test(tc, test_user_name, 0,
	    sizeof(name_cases) / sizeof(name_cases[0]));
	tcase_add_test(tc, test_strerror);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(fs, setup, teardown);
	tcase_add_test(fs, test_expand_user);
	tcase_add_test(fs, test_expand_home_and_percent);
	tcase_add_test(fs, test_expand_refuses);
	tcase_add_test(fs, test_folders);
	tcase_add_test(fs, test_list_folders);
	tcase_add_test(fs, test_mbox_paths);
	tcase_add_test(fs, test_lock);
	tcase_add_test(fs, test_lock_released_on_failure);
	tcase_add_test(fs, test_lock_threads);
	tcase_add_test(fs, test_marks);
	tcase_add_loop_test(fs, test_seen_marks, 0, 2);
	tcase_add_loop_test(fs, test_shared, 0, 2);
	suite_add_tcase(s, fs);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(store_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
