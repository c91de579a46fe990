/*
 * store.c - the format-independent half of the mailbox store.
 *
 * Everything here is the same for Maildir and mbox: parsing the --mail
 * location, turning a user and folder into a path, the process-wide
 * maildrop lock, deletion marks, and the CRLF-normalised reader that
 * guarantees a protocol gets exactly the octets it announced.  The format
 * backends (maildir.c, mbox.c) are reached only through struct
 * store_backend.
 */

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "store_impl.h"

/* RFC 1939 §7 limits a UIDL to 70 octets; names longer than a path
 * component cannot be files anyway. */
#define STORE_NAME_MAX	255

/* Raw octets read per refill; the output buffer takes the worst case
 * (every octet a bare LF) so one refill always converts completely. */
#define STORE_RAWBUF	8192

const char *
store_strerror(int err)
{
	switch (err) {
	case STORE_OK:
		return "success";
	case STORE_EINUSE:
		return "maildrop already locked";
	case STORE_ENOFOLDER:
		return "no such folder";
	case STORE_ETEMP:
		return "temporary storage failure";
	case STORE_EPERM:
		return "permanent storage failure";
	case STORE_EINVAL:
		return "invalid argument";
	case STORE_ENOMEM:
		return "out of memory";
	case STORE_ECHANGED:
		return "mailbox changed by another program";
	}
	return "unknown storage error";
}

int
store__fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

void
store__free_msgs(struct store *st)
{
	size_t i;

	for (i = 0; i < st->count; i++) {
		free(st->msgs[i].uid);
		free(st->msgs[i].name);
	}
	free(st->msgs);
	st->msgs = NULL;
	st->count = 0;
}

/* Map errno from a path operation to a store code. */
static int
store_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return STORE_ENOFOLDER;
	case EACCES:
	case EPERM:
	case ELOOP:
	case ENAMETOOLONG:
		return STORE_EPERM;
	case ENOMEM:
		return STORE_ENOMEM;
	}
	return STORE_ETEMP;
}

/*
 * Locations.
 */

/* Check that every '%' in TMPL starts %u, %h or %%, so a typo in the
 * configuration is reported at startup, not at the first login. */
static int
store_template_ok(const char *tmpl, size_t len, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (tmpl[i] != '%')
			continue;
		if (i + 1 == len)
			return store__fail(err, errlen, STORE_EINVAL,
			    "'%%' at end of mail location");
		i++;
		if (tmpl[i] != 'u' && tmpl[i] != 'h' && tmpl[i] != '%')
			return store__fail(err, errlen, STORE_EINVAL,
			    "unknown variable '%%%c' in mail location",
			    tmpl[i]);
	}
	return 0;
}

static char *
store_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Parse the ":INBOX=FILE" tail of an mbox location (PARAM points at the
 * first character after the ':').  INBOX= is the only parameter we know;
 * anything else is refused rather than silently ignored. */
static int
store_parse_mbox_param(const char *param, struct store_location *loc,
    char *err, size_t errlen)
{
	const char *file;
	int rc;

	if (strncmp(param, "INBOX=", 6) != 0)
		return store__fail(err, errlen, STORE_EINVAL,
		    "unknown mail location parameter \"%s\"", param);
	file = param + 6;
	if (*file == '\0')
		return store__fail(err, errlen, STORE_EINVAL,
		    "empty INBOX= file in mail location");
	if (strchr(file, ':') != NULL)
		return store__fail(err, errlen, STORE_EINVAL,
		    "unexpected ':' after INBOX= in mail location");
	if ((rc = store_template_ok(file, strlen(file), err, errlen)) != 0)
		return rc;
	if ((loc->inbox = strdup(file)) == NULL)
		return STORE_ENOMEM;
	return 0;
}

int
store_location_parse(const char *spec, struct store_location *loc,
    char *err, size_t errlen)
{
	const char *path, *end;
	int rc;

	memset(loc, 0, sizeof(*loc));
	if (strncmp(spec, "maildir:", 8) == 0) {
		loc->kind = STORE_MAILDIR;
		path = spec + 8;
	} else if (strncmp(spec, "mbox:", 5) == 0) {
		loc->kind = STORE_MBOX;
		path = spec + 5;
	} else
		return store__fail(err, errlen, STORE_EINVAL,
		    "mail location must start with maildir: or mbox:");

	/* A ':' ends PATH; only mbox takes a parameter after it. */
	end = strchr(path, ':');
	if (end == NULL)
		end = path + strlen(path);
	if (end == path)
		return store__fail(err, errlen, STORE_EINVAL,
		    "empty path in mail location");
	if ((rc = store_template_ok(path, (size_t)(end - path), err,
	    errlen)) != 0)
		return rc;
	if (*end == ':') {
		if (loc->kind != STORE_MBOX)
			return store__fail(err, errlen, STORE_EINVAL,
			    "unknown maildir parameter \"%s\"", end + 1);
		if ((rc = store_parse_mbox_param(end + 1, loc, err,
		    errlen)) != 0)
			return rc;
	}
	if ((loc->path = store_strndup(path, (size_t)(end - path))) == NULL) {
		store_location_free(loc);
		return STORE_ENOMEM;
	}
	return 0;
}

void
store_location_free(struct store_location *loc)
{
	free(loc->path);
	free(loc->inbox);
	loc->path = NULL;
	loc->inbox = NULL;
}

/*
 * Names.  A user or folder name becomes one path component, so it must
 * not be able to name anything else: no '/', no "." or "..", and no
 * leading '.' (which would also reach Maildir++ folders and dotfiles).
 * Control characters are refused so names are safe in logs.
 */
int
store_user_name_ok(const char *name, size_t len)
{
	size_t i;

	if (name == NULL || len == 0 || len > STORE_NAME_MAX)
		return 0;
	if (name[0] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c < 0x20 || c == 0x7f || c == '/')
			return 0;
	}
	return 1;
}

/* NULL and "INBOX" in any case name the inbox (RFC 3501 §5.1 does the same
 * for IMAP, and POP2 FOLD users type it in every case). */
static int
store_is_inbox(const char *folder)
{
	return folder == NULL || strcasecmp(folder, "INBOX") == 0;
}

/* A growing string for path building. */
struct store_buf {
	char *s;
	size_t len, cap;
};

static int
store_buf_add(struct store_buf *b, const char *s, size_t n)
{
	char *p;

	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL)
			return STORE_ENOMEM;
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

/* Append the expansion of one "%x" (X is the character after '%'). */
static int
store_expand_var(struct store_buf *b, char x, const struct store_user *u,
    char *err, size_t errlen)
{
	switch (x) {
	case '%':
		return store_buf_add(b, "%", 1);
	case 'u':
		return store_buf_add(b, u->name, strlen(u->name));
	case 'h':
		/* Falling back to "" would turn %h/Maildir into /Maildir,
		 * shared by every user without a home: refuse instead. */
		if (u->home == NULL || u->home[0] == '\0')
			return store__fail(err, errlen, STORE_EINVAL,
			    "user %s has no home directory for %%h", u->name);
		return store_buf_add(b, u->home, strlen(u->home));
	}
	return store__fail(err, errlen, STORE_EINVAL,
	    "unknown variable '%%%c' in mail location", x);
}

/* Expand %u, %h and %% in TMPL for U into a malloc'd absolute path. */
static int
store_expand(const char *tmpl, const struct store_user *u, char **out,
    char *err, size_t errlen)
{
	struct store_buf b = { NULL, 0, 0 };
	const char *p, *pct;
	int rc = 0;

	*out = NULL;
	for (p = tmpl; rc == 0 && *p != '\0'; p = pct + 2) {
		if ((pct = strchr(p, '%')) == NULL) {
			rc = store_buf_add(&b, p, strlen(p));
			break;
		}
		if ((rc = store_buf_add(&b, p, (size_t)(pct - p))) != 0)
			break;
		if (pct[1] == '\0')
			rc = store__fail(err, errlen, STORE_EINVAL,
			    "'%%' at end of mail location");
		else
			rc = store_expand_var(&b, pct[1], u, err, errlen);
	}
	if (rc == 0 && (b.s == NULL || b.s[0] != '/'))
		/* The daemon's working directory is no place for mail. */
		rc = store__fail(err, errlen, STORE_EINVAL,
		    "mail location \"%s\" is not an absolute path",
		    b.s ? b.s : "");
	if (rc == 0 && b.len >= PATH_MAX)
		rc = store__fail(err, errlen, STORE_EINVAL,
		    "mail path too long");
	if (rc != 0) {
		free(b.s);
		return rc;
	}
	*out = b.s;
	return 0;
}

static char *
store_join(const char *dir, const char *sep, const char *name)
{
	size_t n = strlen(dir) + strlen(sep) + strlen(name) + 1;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s%s%s", dir, sep, name);
	return p;
}

/* The mbox INBOX: the INBOX= file if configured, else ROOT/inbox. */
static int
store_mbox_inbox(const struct store_location *loc, const struct store_user *u,
    const char *root, char **out, char *err, size_t errlen)
{
	if (loc->inbox != NULL)
		return store_expand(loc->inbox, u, out, err, errlen);
	if ((*out = store_join(root, "/", "inbox")) == NULL)
		return STORE_ENOMEM;
	return 0;
}

/*
 * Resolve FOLDER of U to the path the backend works on: for Maildir the
 * folder's directory (Maildir++: INBOX is the root, F is ROOT/.F), for
 * mbox the folder's file.
 */
static int
store_folder_path(const struct store_location *loc,
    const struct store_user *u, const char *folder, char **out,
    char *err, size_t errlen)
{
	char *root;
	int rc;

	*out = NULL;
	if (u == NULL || u->name == NULL ||
	    !store_user_name_ok(u->name, strlen(u->name)))
		return store__fail(err, errlen, STORE_EINVAL,
		    "unacceptable user name");
	if (!store_is_inbox(folder) &&
	    !store_user_name_ok(folder, strlen(folder)))
		return store__fail(err, errlen, STORE_EINVAL,
		    "unacceptable folder name");
	if ((rc = store_expand(loc->path, u, &root, err, errlen)) != 0)
		return rc;
	if (store_is_inbox(folder)) {
		if (loc->kind == STORE_MAILDIR) {
			*out = root;
			return 0;
		}
		rc = store_mbox_inbox(loc, u, root, out, err, errlen);
	} else {
		*out = store_join(root,
		    loc->kind == STORE_MAILDIR ? "/." : "/", folder);
		rc = *out == NULL ? STORE_ENOMEM : 0;
	}
	free(root);
	return rc;
}

static const struct store_backend *
store_backend_of(enum store_kind kind)
{
	return kind == STORE_MBOX ? &store__mbox : &store__maildir;
}

/*
 * The maildrop lock registry (RFC 1939 §8: "the POP3 server ... acquires
 * an exclusive-access lock on the maildrop").  Every protocol in the
 * process goes through store_open(), so one set of keys serves POP1, POP2
 * and POP3 alike.  The key is the canonical path of the folder, so two
 * spellings of one folder (symlinks, "//", a user's two aliases mapping to
 * one home) still conflict.  Locks against other processes are the
 * backend's business (mbox uses dotlock + fcntl).
 */
struct store_lockent {
	const char *key;		/* owned by the struct store */
	struct store_lockent *next;
};

static pthread_mutex_t store_lock_mtx = PTHREAD_MUTEX_INITIALIZER;
static struct store_lockent *store_locks;

static int
store_lock_take(const char *key)
{
	struct store_lockent *e;
	int rc = 0;

	pthread_mutex_lock(&store_lock_mtx);
	for (e = store_locks; e != NULL; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (e != NULL)
		rc = STORE_EINUSE;
	else if ((e = malloc(sizeof(*e))) == NULL)
		rc = STORE_ENOMEM;
	else {
		e->key = key;
		e->next = store_locks;
		store_locks = e;
	}
	pthread_mutex_unlock(&store_lock_mtx);
	return rc;
}

static void
store_lock_release(const char *key)
{
	struct store_lockent **pp, *e;

	pthread_mutex_lock(&store_lock_mtx);
	for (pp = &store_locks; (e = *pp) != NULL; pp = &e->next) {
		if (e->key == key) {
			*pp = e->next;
			free(e);
			break;
		}
	}
	pthread_mutex_unlock(&store_lock_mtx);
}

/*
 * Canonical form of PATH for the lock key.  The folder may not exist yet
 * (a new user's INBOX is created by the backend after the lock is taken),
 * so canonicalise the longest existing prefix and append the rest.
 */
static char *
store_canon(const char *path)
{
	char *real, *parent, *key;
	const char *slash;

	if ((real = realpath(path, NULL)) != NULL || errno != ENOENT)
		return real;
	slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return strdup(path);
	if ((parent = store_strndup(path, (size_t)(slash - path))) == NULL)
		return NULL;
	real = store_canon(parent);
	free(parent);
	if (real == NULL || slash[1] == '\0')	/* "dir/" is "dir" */
		return real;
	key = store_join(strcmp(real, "/") == 0 ? "" : real, "/", slash + 1);
	free(real);
	return key;
}

/* For a folder other than INBOX, missing means STORE_ENOFOLDER (store.h);
 * only the INBOX is created on demand. */
static int
store_check_exists(const char *path, char *err, size_t errlen)
{
	struct stat sb;

	if (stat(path, &sb) == 0)
		return 0;
	if (errno == ENOENT || errno == ENOTDIR)
		return store__fail(err, errlen, STORE_ENOFOLDER,
		    "no such folder");
	return store__fail(err, errlen, store_errno(errno), "%s: %s", path,
	    strerror(errno));
}

static void
store_free(struct store *st)
{
	free(st->path);
	free(st->lock_key);
	free(st);
}

int
store_open(const struct store_location *loc, const struct store_user *u,
    const char *folder, struct store **out, char *err, size_t errlen)
{
	struct store *st;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return STORE_ENOMEM;
	st->be = store_backend_of(loc->kind);
	if ((rc = store_folder_path(loc, u, folder, &st->path, err,
	    errlen)) != 0)
		goto fail;
	if (!store_is_inbox(folder) &&
	    (rc = store_check_exists(st->path, err, errlen)) != 0)
		goto fail;
	if ((st->lock_key = store_canon(st->path)) == NULL) {
		rc = store__fail(err, errlen, store_errno(errno),
		    "%s: %s", st->path, strerror(errno));
		goto fail;
	}
	if ((rc = store_lock_take(st->lock_key)) != 0) {
		store__fail(err, errlen, rc, "%s", store_strerror(rc));
		goto fail;
	}
	if ((rc = st->be->open(st, err, errlen)) != 0) {
		store__free_msgs(st);
		store_lock_release(st->lock_key);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_free(st);
	return rc;
}

/*
 * The read-only open of RFC 1082 discussion groups: "a maildrop associated
 * with a discussion group is considered to be read-only to the POP3
 * client".  No maildrop lock, since readers cannot disturb each other and
 * a group may have any number of them; and nothing is created, not even
 * an INBOX, since a reader has no business making one.
 */
int
store_open_shared(const struct store_location *loc,
    const struct store_user *u, const char *folder, struct store **out,
    char *err, size_t errlen)
{
	struct store *st;
	int rc;

	*out = NULL;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return STORE_ENOMEM;
	st->be = store_backend_of(loc->kind);
	st->readonly = 1;
	if ((rc = store_folder_path(loc, u, folder, &st->path, err,
	    errlen)) != 0 ||
	    (rc = store_check_exists(st->path, err, errlen)) != 0)
		goto fail;
	if ((rc = st->be->open(st, err, errlen)) != 0) {
		store__free_msgs(st);
		goto fail;
	}
	*out = st;
	return 0;
fail:
	store_free(st);
	return rc;
}

int
store_is_readonly(const struct store *st)
{
	return st->readonly;
}

size_t
store_count(const struct store *st)
{
	return st->count;
}

uint64_t
store_size(const struct store *st, size_t i)
{
	return i < st->count ? st->msgs[i].size : 0;
}

const char *
store_uid(const struct store *st, size_t i)
{
	return i < st->count ? st->msgs[i].uid : NULL;
}

time_t
store_arrival(const struct store *st, size_t i)
{
	return i < st->count ? st->msgs[i].arrival : 0;
}

uint64_t
store_total_size(const struct store *st)
{
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < st->count; i++)
		total += st->msgs[i].size;
	return total;
}

int
store_set_deleted(struct store *st, size_t i, int deleted)
{
	if (st->readonly)
		return STORE_EPERM;
	if (i >= st->count)
		return STORE_EINVAL;
	st->msgs[i].deleted = deleted != 0;
	return 0;
}

int
store_is_deleted(const struct store *st, size_t i)
{
	return i < st->count && st->msgs[i].deleted;
}

void
store_undelete_all(struct store *st)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		st->msgs[i].deleted = 0;
}

int
store_is_seen(const struct store *st, size_t i)
{
	return i < st->count && (st->msgs[i].seen || st->msgs[i].seen_mark);
}

int
store_set_seen(struct store *st, size_t i)
{
	if (st->readonly)
		return STORE_EPERM;
	if (i >= st->count)
		return STORE_EINVAL;
	/* Already seen on disk: nothing for commit to write. */
	if (!st->msgs[i].seen)
		st->msgs[i].seen_mark = 1;
	return 0;
}

void
store_reset_seen(struct store *st)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		st->msgs[i].seen_mark = 0;
}

/* Is there anything for the backend to write? */
static int
store_dirty(const struct store *st)
{
	size_t i;

	for (i = 0; i < st->count; i++)
		if (st->msgs[i].deleted || st->msgs[i].seen_mark)
			return 1;
	return 0;
}

int
store_commit(struct store *st, char *err, size_t errlen)
{
	size_t i;
	int rc;

	/* Nothing marked, or a read-only store: leave the disk alone
	 * (RFC 1939 §6 QUIT with no DELE must not touch the maildrop;
	 * RFC 1082 discussion groups are read-only). */
	if (st->readonly || !store_dirty(st))
		return 0;
	if ((rc = st->be->commit(st, err, errlen)) != 0)
		return rc;
	for (i = 0; i < st->count; i++) {
		st->msgs[i].seen |= st->msgs[i].seen_mark;
		st->msgs[i].seen_mark = 0;
	}
	return 0;
}

void
store_close(struct store *st)
{
	if (st == NULL)
		return;
	st->be->close(st);
	store__free_msgs(st);
	if (st->lock_key != NULL)
		store_lock_release(st->lock_key);
	store_free(st);
}

/*
 * The reader: raw backend octets -> CRLF normalisation -> caller.  The
 * announced size (POP3 LIST, POP2 "=nnn") is a promise, so the reader
 * counts what it produces and reports STORE_ECHANGED instead of producing
 * one octet too many, or when the source ends one octet short.
 */
struct store_reader {
	struct store_rawsrc *src;
	struct store_crlf crlf;
	uint64_t want;		/* store_size() of the message */
	uint64_t made;		/* octets produced by conversion so far */
	size_t outpos, outlen;
	int eof;		/* raw source ended and finish was applied */
	int err;		/* sticky error */
	char raw[STORE_RAWBUF];
	char out[2 * STORE_RAWBUF];
};

int
store_reader_open(struct store *st, size_t i, struct store_reader **out)
{
	struct store_reader *r;
	int rc;

	*out = NULL;
	if (i >= st->count)
		return STORE_EINVAL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return STORE_ENOMEM;
	if ((rc = st->be->rawsrc_open(st, i, &r->src)) != 0) {
		free(r);
		return rc;
	}
	r->want = st->msgs[i].size;
	*out = r;
	return 0;
}

/* Refill r->out from the raw source; sets r->eof at the end. */
static int
store_reader_fill(struct store_reader *r)
{
	ssize_t n;
	size_t used;

	r->outpos = r->outlen = 0;
	n = r->src->read(r->src, r->raw, sizeof(r->raw));
	if (n < 0)
		return (int)n;
	if (n == 0) {
		r->outlen = store__crlf_finish(&r->crlf, r->out);
		r->eof = 1;
	} else
		r->outlen = store__crlf_conv(&r->crlf, r->raw, (size_t)n,
		    &used, r->out, sizeof(r->out));
	r->made += r->outlen;
	if (r->made > r->want || (r->eof && r->made != r->want))
		return STORE_ECHANGED;
	return 0;
}

ssize_t
store_reader_read(struct store_reader *r, char *buf, size_t len)
{
	size_t n;

	if (r->err != 0)
		return r->err;
	while (r->outpos == r->outlen) {
		if (r->eof)
			return 0;
		if ((r->err = store_reader_fill(r)) != 0)
			return r->err;
	}
	n = r->outlen - r->outpos;
	if (n > len)
		n = len;
	memcpy(buf, r->out + r->outpos, n);
	r->outpos += n;
	return (ssize_t)n;
}

void
store_reader_close(struct store_reader *r)
{
	if (r == NULL)
		return;
	r->src->close(r->src);
	free(r);
}

int
store_deliver(const struct store_location *loc, const struct store_user *u,
    const char *folder, int fd, const char *envelope_from,
    char *err, size_t errlen)
{
	char *path;
	int rc;

	if ((rc = store_folder_path(loc, u, folder, &path, err, errlen)) != 0)
		return rc;
	rc = store_backend_of(loc->kind)->deliver(path, fd, envelope_from,
	    err, errlen);
	free(path);
	return rc;
}

int
store_list_folders(const struct store_location *loc,
    const struct store_user *u,
    void (*cb)(const char *name, void *arg), void *arg)
{
	char *root, *inbox = NULL;
	int rc;

	if (u == NULL || u->name == NULL ||
	    !store_user_name_ok(u->name, strlen(u->name)))
		return STORE_EINVAL;
	if ((rc = store_expand(loc->path, u, &root, NULL, 0)) != 0)
		return rc;
	if (loc->kind == STORE_MBOX)
		rc = store_mbox_inbox(loc, u, root, &inbox, NULL, 0);
	if (rc == 0)
		rc = store_backend_of(loc->kind)->list_folders(root, inbox,
		    cb, arg);
	free(inbox);
	free(root);
	return rc;
}
