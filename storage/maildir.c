/*
 * maildir.c - the Maildir (Maildir++ folders) backend.
 *
 * Layout: a folder is a directory with cur/, new/ and tmp/.  A message is
 * one file in new/ or cur/; its name before ':' (the "base name") is unique
 * by Maildir rules and never changes, while the ":2,FLAGS" part after it is
 * rewritten by other mail programs.  So the base name is our UIDL (RFC 1939
 * §7), and anything we cache is keyed by it.
 *
 * A POP session only reads, deletes and marks seen: commit unlinks the
 * deleted messages, and gives a message marked seen the "S" info flag by
 * renaming it (new/NAME to cur/NAME:2,S, or cur/NAME:2,FL to
 * cur/NAME:2,FLS), which keeps its base name, so its uid, and its octets,
 * so its size.  Nothing else is ever moved.
 *
 * Wire sizes (store.h) come, cheapest first, from a ",W=" field in the
 * name (Dovecot's convention, written by our own deliver), from the index
 * file polypop-index in the folder (docs/storage.md), or by reading the
 * file once through store__crlf_count() and caching the result.  A second
 * open of a large folder therefore reads no message.
 */

#define _GNU_SOURCE		/* renameat2, RENAME_NOREPLACE */

#include <sys/stat.h>
#include <sys/time.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store_impl.h"
#include "maildir_index.h"

/* RFC 1939 §7: a unique-id is 1 to 70 characters in 0x21..0x7E. */
#define MAILDIR_UID_MAX		70
#define MAILDIR_IOBUF		65536

struct maildir_src {
	struct store_rawsrc src;	/* first: the reader casts */
	int fd;
};

/* Distinguishes deliveries made within one microsecond by different
 * threads of this process. */
static atomic_uint maildir_counter;

static int
maildir_errno(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case EROFS:
		return STORE_EPERM;
	case ENOMEM:
		return STORE_ENOMEM;
	}
	return STORE_ETEMP;
}

/* Length of the base name of FILE: everything before the ':' info. */
static size_t
maildir_baselen(const char *file)
{
	return strcspn(file, ":");
}

/* Does FILE carry the "S" (seen) flag in a ":2,FLAGS" info part? */
static int
maildir_info_seen(const char *file)
{
	const char *info = file + maildir_baselen(file);

	return strncmp(info, ":2,", 3) == 0 && strchr(info + 3, 'S') != NULL;
}

/* The file name part of a message name "new/FILE" or "cur/FILE". */
static const char *
maildir_file(const struct store_msg *m)
{
	return m->name + 4;
}

/* "SUB/FILE", malloc'd: the message name relative to the Maildir. */
static char *
maildir_msgname(const char *sub, const char *file)
{
	size_t n = strlen(sub) + strlen(file) + 2;
	char *p = malloc(n);

	if (p != NULL)
		snprintf(p, n, "%s/%s", sub, file);
	return p;
}

/* Parse ",X=digits" in the base name; returns 1 and sets *val if found. */
static int
maildir_field(const char *file, char x, uint64_t *val)
{
	size_t blen = maildir_baselen(file);
	const char *p = file;
	char key[4] = { ',', x, '=', '\0' };

	while ((p = strstr(p, key)) != NULL && (size_t)(p - file) < blen) {
		const char *d = p + 3;
		uint64_t v = 0;

		for (; *d >= '0' && *d <= '9'; d++)
			v = v * 10 + (uint64_t)(*d - '0');
		if (d > p + 3 && (*d == ',' || *d == ':' || *d == '\0')) {
			*val = v;
			return 1;
		}
		p += 3;
	}
	return 0;
}

/* mkdir that accepts an existing directory.  Some file systems report
 * EACCES or EROFS rather than EEXIST for one, so look before failing. */
static int
maildir_mkdir(const char *path)
{
	struct stat sb;
	int e;

	if (mkdir(path, 0700) == 0)
		return 0;
	e = errno;
	if (stat(path, &sb) == 0) {
		if (S_ISDIR(sb.st_mode))
			return 0;
		e = ENOTDIR;
	}
	errno = e;
	return -1;
}

static const char *const maildir_subdirs[] = { "cur", "new", "tmp" };

/* Are cur/, new/ and tmp/ all there?  The case on almost every open. */
static int
maildir_complete(const char *path)
{
	char buf[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", path, maildir_subdirs[i]);
		if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return 0;
	}
	return 1;
}

/* Create PATH (and its parents) as a Maildir; existing parts are kept. */
static int
maildir_create(const char *path, char *err, size_t errlen)
{
	const char *const *sub = maildir_subdirs;
	char buf[PATH_MAX];
	size_t i, len = strlen(path);

	if (len + 5 >= sizeof(buf))
		return store__fail(err, errlen, STORE_EINVAL, "path too long");
	if (maildir_complete(path))
		return 0;
	memcpy(buf, path, len + 1);
	/* mkdir -p: a location like /var/mail/%u/Maildir needs %u too. */
	for (i = 1; i <= len; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (maildir_mkdir(buf) != 0)
			return store__fail(err, errlen, maildir_errno(errno),
			    "mkdir %s: %s", buf, strerror(errno));
		buf[i] = path[i];
	}
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", path, sub[i]);
		if (maildir_mkdir(buf) != 0)
			return store__fail(err, errlen, maildir_errno(errno),
			    "mkdir %s: %s", buf, strerror(errno));
	}
	return 0;
}

/* For a read-only open: is PATH a Maildir at all (new/ and cur/)? */
static int
maildir_readable(const char *path, char *err, size_t errlen)
{
	char buf[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < 2; i++) {
		snprintf(buf, sizeof(buf), "%s/%s", path, maildir_subdirs[i]);
		if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
			return store__fail(err, errlen, STORE_ENOFOLDER,
			    "%s: not a Maildir", path);
	}
	return 0;
}

static int
maildir_fsync_dir(const char *dir)
{
	int fd, rc = 0;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return maildir_errno(errno);
	if (fsync(fd) != 0)
		rc = maildir_errno(errno);
	close(fd);
	return rc;
}

/*
 * Finding messages.
 */

/*
 * Another program (an IMAP server, a MUA) may have renamed a message
 * since the snapshot: new/ to cur/, or new flags after ':'.  Its base name
 * is unchanged, so look for it; on success M->name is updated.
 */
static int
maildir_locate(const char *dir, struct store_msg *m)
{
	static const char *const sub[] = { "new", "cur" };
	const char *file = maildir_file(m);
	size_t blen = maildir_baselen(file), i;
	char path[PATH_MAX], *name;
	struct dirent *de;
	DIR *d;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, sub[i]);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			if (maildir_baselen(de->d_name) != blen ||
			    memcmp(de->d_name, file, blen) != 0)
				continue;
			if ((name = maildir_msgname(sub[i],
			    de->d_name)) == NULL) {
				closedir(d);
				return STORE_ENOMEM;
			}
			closedir(d);
			free(m->name);
			m->name = name;
			return 0;
		}
		closedir(d);
	}
	return STORE_ECHANGED;
}

/* Open message M read-only, following a rename by another program. */
static int
maildir_open_msg(struct store *st, struct store_msg *m, int *fdp)
{
	char path[PATH_MAX];
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		snprintf(path, sizeof(path), "%s/%s", st->path, m->name);
		if ((*fdp = open(path, O_RDONLY | O_CLOEXEC)) >= 0)
			return 0;
		if (errno != ENOENT)
			return maildir_errno(errno);
		if ((rc = maildir_locate(st->path, m)) != 0)
			return rc;
	}
	return STORE_ECHANGED;
}

/* Read FD to the end, returning its wire size in *wire. */
static int
maildir_count_fd(int fd, uint64_t *wire)
{
	struct store_crlf s = { 0, 0, 0 };
	char *buf;
	ssize_t n;

	if ((buf = malloc(MAILDIR_IOBUF)) == NULL)
		return STORE_ENOMEM;
	*wire = 0;
	while ((n = read(fd, buf, MAILDIR_IOBUF)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return maildir_errno(errno);
		}
		*wire += store__crlf_count(&s, buf, (size_t)n);
	}
	*wire += store__crlf_count_finish(&s);
	free(buf);
	return 0;
}

/* Compute M's wire size by reading it, and remember it in the index. */
static int
maildir_compute(struct store *st, struct maildir *md, struct store_msg *m,
    struct maildir_ent *e)
{
	struct maildir_ent ne;
	const char *file;
	struct stat sb;
	int fd, rc;

	if ((rc = maildir_open_msg(st, m, &fd)) != 0)
		return rc;
	if (fstat(fd, &sb) != 0)
		rc = maildir_errno(errno);
	else if (!S_ISREG(sb.st_mode))
		rc = STORE_ECHANGED;	/* not a message: the caller skips it */
	else
		rc = maildir_count_fd(fd, &m->size);
	close(fd);
	if (rc != 0)
		return rc;
	if (e != NULL) {
		md->dirty = 1;
		e->wire = m->size;
		e->phys = (uint64_t)sb.st_size;
		e->mtime = (long long)sb.st_mtime;
		e->used = 1;
		return 0;
	}
	file = maildir_file(m);
	/* A name with a newline cannot be an index line: just recompute. */
	if (memchr(file, '\n', maildir_baselen(file)) != NULL)
		return 0;
	ne.name = strndup(file, maildir_baselen(file));
	ne.wire = m->size;
	ne.phys = (uint64_t)sb.st_size;
	ne.mtime = (long long)sb.st_mtime;
	ne.used = 1;
	if (ne.name == NULL || maildir_index_add(md, &ne) != 0) {
		free(ne.name);
		return STORE_ENOMEM;
	}
	return 0;
}

/* stat message M, following a rename by another program.  Anything but
 * a regular file is not a message: STORE_ECHANGED, which drops it. */
static int
maildir_stat_msg(struct store *st, struct store_msg *m, struct stat *sb)
{
	char path[PATH_MAX];
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		snprintf(path, sizeof(path), "%s/%s", st->path, m->name);
		if (stat(path, sb) == 0)
			return S_ISREG(sb->st_mode) ? 0 : STORE_ECHANGED;
		if (errno != ENOENT)
			return maildir_errno(errno);
		if ((rc = maildir_locate(st->path, m)) != 0)
			return rc;
	}
	return STORE_ECHANGED;
}

/*
 * Find M's arrival time and wire size.  The arrival time is the file's
 * mtime (store_arrival(), for EXPIRE), which readdir() does not give, so
 * every message is stat'ed once; the same stat checks a cached size.  The
 * size is ",W=" in the name, else a valid index entry, else read from the
 * file.  An entry is valid when the physical size matches ",S=" in the
 * name, or the size and mtime from stat.
 */
static int
maildir_size(struct store *st, struct maildir *md, struct store_msg *m)
{
	const char *file;
	struct maildir_ent *e;
	struct stat sb;
	uint64_t phys;
	int rc;

	if ((rc = maildir_stat_msg(st, m, &sb)) != 0)
		return rc;
	m->arrival = sb.st_mtime;
	file = maildir_file(m);		/* after a rename, the new name */
	if (maildir_field(file, 'W', &m->size))
		return 0;
	e = maildir_index_find(md, file, maildir_baselen(file));
	if (e != NULL && maildir_field(file, 'S', &phys) && e->phys == phys)
		goto hit;
	if (e != NULL && (uint64_t)sb.st_size == e->phys &&
	    (long long)sb.st_mtime == e->mtime)
		goto hit;
	return maildir_compute(st, md, m, e);
hit:
	m->size = e->wire;
	e->used = 1;
	return 0;
}

/* UIDL: the base name when it is a legal unique-id, else its digest. */
static char *
maildir_uid(const char *file)
{
	static const char hex[] = "0123456789abcdef";
	size_t blen = maildir_baselen(file), i;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	char *uid;

	for (i = 0; i < blen; i++)
		if (file[i] < 0x21 || file[i] > 0x7e)
			break;
	if (i == blen && blen <= MAILDIR_UID_MAX)
		return strndup(file, blen);
	/* SHA-256 rather than MD5 so FIPS builds work; 64 hex digits
	 * still fit in 70. */
	if (!EVP_Digest(file, blen, md, &mdlen, EVP_sha256(), NULL))
		return NULL;
	if ((uid = malloc(2 * mdlen + 1)) == NULL)
		return NULL;
	for (i = 0; i < mdlen; i++) {
		uid[2 * i] = hex[md[i] >> 4];
		uid[2 * i + 1] = hex[md[i] & 15];
	}
	uid[2 * mdlen] = '\0';
	return uid;
}

/* Delivery order: seconds since the epoch (the digits the name starts
 * with, by Maildir convention), then the base name, then new/ vs cur/. */
static int
maildir_msg_cmp(const void *a, const void *b)
{
	const char *fa = maildir_file(a), *fb = maildir_file(b);
	unsigned long long sa = strtoull(fa, NULL, 10);
	unsigned long long sb = strtoull(fb, NULL, 10);
	size_t la = maildir_baselen(fa), lb = maildir_baselen(fb);
	int c;

	if (sa != sb)
		return sa < sb ? -1 : 1;
	if ((c = memcmp(fa, fb, la < lb ? la : lb)) != 0)
		return c;
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(((const struct store_msg *)a)->name,
	    ((const struct store_msg *)b)->name);
}

static int
maildir_add_msg(struct store *st, size_t *cap, const char *sub,
    const char *file)
{
	struct store_msg *p;

	if (st->count == *cap) {
		*cap = *cap ? *cap * 2 : 64;
		if ((p = realloc(st->msgs, *cap * sizeof(*p))) == NULL)
			return STORE_ENOMEM;
		st->msgs = p;
	}
	p = &st->msgs[st->count];
	memset(p, 0, sizeof(*p));
	if ((p->name = maildir_msgname(sub, file)) == NULL)
		return STORE_ENOMEM;
	st->count++;
	return 0;
}

/* List SUB (new or cur) into st->msgs.  Dotfiles are not messages. */
static int
maildir_scan(struct store *st, const char *sub, size_t *cap, char *err,
    size_t errlen)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", st->path, sub);
	if ((d = opendir(path)) == NULL)
		return store__fail(err, errlen, maildir_errno(errno),
		    "%s: %s", path, strerror(errno));
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || de->d_type == DT_DIR)
			continue;
		rc = maildir_add_msg(st, cap, sub, de->d_name);
	}
	closedir(d);
	return rc;
}

/*
 * Sort, then drop the second sighting of a base name: a file renamed
 * from new/ to cur/ between our two readdir()s is seen in both.
 */
static void
maildir_sort_dedup(struct store *st)
{
	size_t i, j;

	if (st->count > 1)
		qsort(st->msgs, st->count, sizeof(*st->msgs),
		    maildir_msg_cmp);
	for (i = j = 0; i < st->count; i++) {
		const char *f = maildir_file(&st->msgs[i]);

		if (j > 0) {
			const char *g = maildir_file(&st->msgs[j - 1]);
			size_t bl = maildir_baselen(f);

			if (bl == maildir_baselen(g) &&
			    memcmp(f, g, bl) == 0) {
				free(st->msgs[i].name);
				continue;
			}
		}
		st->msgs[j++] = st->msgs[i];
	}
	st->count = j;
}

/* Give every message its size and uid; drop ones that vanished. */
static int
maildir_fill(struct store *st, struct maildir *md, char *err, size_t errlen)
{
	size_t i, j;
	int rc;

	for (i = j = 0; i < st->count; i++) {
		struct store_msg *m = &st->msgs[i];

		rc = maildir_size(st, md, m);
		/* Gone since readdir (deleted by another program), or not a
		 * regular file: not part of the snapshot. */
		if (rc == STORE_ECHANGED) {
			free(m->name);
			continue;
		}
		if (rc == 0 && (m->uid = maildir_uid(maildir_file(m))) == NULL)
			rc = STORE_ENOMEM;
		m->seen = maildir_info_seen(maildir_file(m));
		st->msgs[j++] = *m;
		if (rc != 0) {
			st->count = j;
			return store__fail(err, errlen, rc, "%s/%s: %s",
			    st->path, m->name, store_strerror(rc));
		}
	}
	st->count = j;
	return 0;
}

static void
maildir_free_priv(struct maildir *md)
{
	if (md == NULL)
		return;
	maildir_index_free(md);
	free(md);
}

static int
maildir_open(struct store *st, char *err, size_t errlen)
{
	struct maildir *md;
	size_t cap = 0;
	int rc;

	/* store.c created nothing: a missing INBOX is made here (a new
	 * user has no mail yet); a missing folder never gets this far.  A
	 * reader (store_open_shared) creates nothing and needs no tmp/. */
	if (st->readonly)
		rc = maildir_readable(st->path, err, errlen);
	else
		rc = maildir_create(st->path, err, errlen);
	if (rc != 0)
		return rc;
	if ((md = calloc(1, sizeof(*md))) == NULL)
		return STORE_ENOMEM;
	if ((rc = maildir_index_load(st->path, md)) != 0 ||
	    (rc = maildir_scan(st, "new", &cap, err, errlen)) != 0 ||
	    (rc = maildir_scan(st, "cur", &cap, err, errlen)) != 0)
		goto fail;
	maildir_sort_dedup(st);
	if ((rc = maildir_fill(st, md, err, errlen)) != 0)
		goto fail;
	maildir_index_settle(md);
	maildir_index_save(st->path, md);
	st->priv = md;
	return 0;
fail:
	maildir_free_priv(md);
	store__free_msgs(st);
	return rc;
}

static ssize_t
maildir_src_read(struct store_rawsrc *src, char *buf, size_t len)
{
	struct maildir_src *s = (struct maildir_src *)src;
	ssize_t n;

	while ((n = read(s->fd, buf, len)) < 0 && errno == EINTR)
		;
	return n < 0 ? maildir_errno(errno) : n;
}

static void
maildir_src_close(struct store_rawsrc *src)
{
	struct maildir_src *s = (struct maildir_src *)src;

	close(s->fd);
	free(s);
}

static int
maildir_rawsrc_open(struct store *st, size_t i, struct store_rawsrc **out)
{
	struct maildir_src *s;
	int rc;

	if ((s = malloc(sizeof(*s))) == NULL)
		return STORE_ENOMEM;
	if ((rc = maildir_open_msg(st, &st->msgs[i], &s->fd)) != 0) {
		free(s);
		return rc;
	}
	s->src.read = maildir_src_read;
	s->src.close = maildir_src_close;
	*out = &s->src;
	return 0;
}

/* Unlink M (following a rename); already gone is success. */
static int
maildir_unlink_msg(struct store *st, struct store_msg *m)
{
	char path[PATH_MAX];
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		snprintf(path, sizeof(path), "%s/%s", st->path, m->name);
		if (unlink(path) == 0)
			return 0;
		if (errno != ENOENT)
			return maildir_errno(errno);
		if ((rc = maildir_locate(st->path, m)) == STORE_ECHANGED)
			return 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Forget the index entries of messages we removed. */
static void
maildir_index_forget(struct maildir *md, const struct store_msg *m)
{
	const char *file = maildir_file(m);
	struct maildir_ent *e;

	e = maildir_index_find(md, file, maildir_baselen(file));
	if (e != NULL) {
		e->used = 0;
		md->dirty = 1;
	}
}

/*
 * The name FILE gets when marked seen: "cur/BASE:2,FLAGS" with 'S' put
 * among the flags in ASCII order, as the Maildir spec keeps them.  *OUT
 * is NULL when there is nothing to rename: the flag is there already, or
 * the info is not "2," (experimental semantics we cannot extend).
 */
static int
maildir_seen_name(const char *file, char **out)
{
	size_t blen = maildir_baselen(file), n;
	const char *flags = "";
	char *p, *q;

	*out = NULL;
	if (file[blen] == ':') {
		if (strncmp(file + blen, ":2,", 3) != 0)
			return 0;
		flags = file + blen + 3;
		if (strchr(flags, 'S') != NULL)
			return 0;
	}
	n = 4 + blen + 3 + strlen(flags) + 2;
	if ((p = malloc(n)) == NULL)
		return STORE_ENOMEM;
	q = p + snprintf(p, n, "cur/%.*s:2,", (int)blen, file);
	for (; *flags != '\0' && (unsigned char)*flags < 'S'; flags++)
		*q++ = *flags;
	*q++ = 'S';
	strcpy(q, flags);
	*out = p;
	return 0;
}

/* rename(2) that never replaces a file: two names with one base name are
 * not ours to merge, and replacing one could lose a message. */
static int
maildir_rename_noreplace(const char *from, const char *to)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -1;
#endif
	/* The file system cannot say; the unique base name makes the
	 * window between the check and the rename harmless. */
	if (access(to, F_OK) == 0) {
		errno = EEXIST;
		return -1;
	}
	return rename(from, to);
}

/* Give M the "S" flag by renaming it (following a rename by another
 * program).  One rename: the message is under one name or the other. */
static int
maildir_seen_msg(struct store *st, struct store_msg *m)
{
	char from[PATH_MAX], to[PATH_MAX], *name;
	int rc, tries;

	for (tries = 0; tries < 2; tries++) {
		if ((rc = maildir_seen_name(maildir_file(m), &name)) != 0 ||
		    name == NULL)
			return rc;
		snprintf(from, sizeof(from), "%s/%s", st->path, m->name);
		snprintf(to, sizeof(to), "%s/%s", st->path, name);
		if (maildir_rename_noreplace(from, to) == 0) {
			free(m->name);
			m->name = name;
			return 0;
		}
		free(name);
		/* That name is there already, or cannot be: the mark lasts
		 * for this session only. */
		if (errno == EEXIST || errno == ENAMETOOLONG)
			return 0;
		if (errno != ENOENT)
			return maildir_errno(errno);
		/* Gone (deleted by another program): nothing to mark. */
		if ((rc = maildir_locate(st->path, m)) == STORE_ECHANGED)
			return 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * Unlinking is the only way to delete from a Maildir and there is no
 * multi-file transaction: on an error part way, the messages already
 * unlinked stay gone (and leave the snapshot), the rest stay marked.
 * Seen marks are written after the deletions, each by one rename, and
 * only when every deletion succeeded: a failed commit leaves them pending
 * as it leaves the deletions.  Messages delivered since open are not in
 * st->msgs, so they are safe.
 */
static int
maildir_commit(struct store *st, char *err, size_t errlen)
{
	struct maildir *md = st->priv;
	struct store_msg *m;
	char dir[PATH_MAX];
	size_t i, j;
	int rc = 0, rc2;

	for (i = 0; rc == 0 && i < st->count; i++) {
		if (!st->msgs[i].deleted)
			continue;
		if ((rc = maildir_unlink_msg(st, &st->msgs[i])) == 0)
			st->msgs[i].deleted = 2;	/* really gone */
	}
	for (i = 0; rc == 0 && i < st->count; i++) {
		m = &st->msgs[i];
		if (m->deleted || !m->seen_mark)
			continue;
		if ((rc = maildir_seen_msg(st, m)) == 0) {
			m->seen = 1;
			m->seen_mark = 0;
		}
	}
	/* Make the unlinks and renames durable before we report success. */
	snprintf(dir, sizeof(dir), "%s/new", st->path);
	rc2 = maildir_fsync_dir(dir);
	snprintf(dir, sizeof(dir), "%s/cur", st->path);
	if (rc2 == 0)
		rc2 = maildir_fsync_dir(dir);
	for (i = j = 0; i < st->count; i++) {
		if (st->msgs[i].deleted == 2) {
			maildir_index_forget(md, &st->msgs[i]);
			free(st->msgs[i].uid);
			free(st->msgs[i].name);
		} else
			st->msgs[j++] = st->msgs[i];
	}
	st->count = j;
	maildir_index_settle(md);
	maildir_index_save(st->path, md);
	if (rc == 0)
		rc = rc2;
	if (rc != 0)
		return store__fail(err, errlen, rc, "%s: commit failed: %s",
		    st->path, store_strerror(rc));
	return 0;
}

static void
maildir_close(struct store *st)
{
	maildir_free_priv(st->priv);
	st->priv = NULL;
}

/* Our host name as Maildir wants it: '/' and ':' would break the name. */
static void
maildir_hostname(char *out, size_t cap)
{
	char host[256];
	size_t i, o = 0;

	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	for (i = 0; host[i] != '\0' && o + 5 < cap; i++) {
		if (host[i] == '/' || host[i] == ':')
			o += (size_t)snprintf(out + o, cap - o, "\\%03o",
			    (unsigned char)host[i]);
		else
			out[o++] = host[i];
	}
	out[o] = '\0';
}

/* Copy FD into TFD, measuring the physical and the wire size. */
static int
maildir_copy(int fd, int tfd, uint64_t *phys, uint64_t *wire)
{
	struct store_crlf s = { 0, 0, 0 };
	char *buf;
	ssize_t n, w;
	size_t off;
	int rc = 0;

	if ((buf = malloc(MAILDIR_IOBUF)) == NULL)
		return STORE_ENOMEM;
	*phys = *wire = 0;
	while (rc == 0 && (n = read(fd, buf, MAILDIR_IOBUF)) != 0) {
		if (n < 0) {
			if (errno != EINTR)
				rc = maildir_errno(errno);
			continue;
		}
		*phys += (uint64_t)n;
		*wire += store__crlf_count(&s, buf, (size_t)n);
		for (off = 0; rc == 0 && off < (size_t)n; off += (size_t)w)
			if ((w = write(tfd, buf + off, (size_t)n - off)) < 0) {
				w = 0;
				if (errno != EINTR)
					rc = maildir_errno(errno);
			}
	}
	*wire += store__crlf_count_finish(&s);
	free(buf);
	return rc;
}

/*
 * Deliver the classic Maildir way: write to tmp/ under a unique name,
 * fsync, rename into new/ (readers see a complete file or nothing), fsync
 * new/ so the rename survives a crash.  ",S=" and ",W=" go into the final
 * name so no reader ever has to compute the sizes again.  The envelope
 * sender has no place in a Maildir file and is not recorded.
 */
static int
maildir_deliver(const char *path, int fd, const char *envelope_from,
    char *err, size_t errlen)
{
	/* A 63-octet host part keeps the name well under NAME_MAX. */
	char host[64], base[NAME_MAX], tpath[PATH_MAX], npath[PATH_MAX];
	uint64_t phys = 0, wire = 0;
	struct timeval tv;
	int tfd, rc;

	(void)envelope_from;
	if ((rc = maildir_create(path, err, errlen)) != 0)
		return rc;
	maildir_hostname(host, sizeof(host));
	gettimeofday(&tv, NULL);
	/* Six-digit microseconds: names of one second sort in time order,
	 * which is the order maildir_msg_cmp() numbers them in. */
	snprintf(base, sizeof(base), "%lld.M%06ldP%ldQ%u.%s",
	    (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(),
	    atomic_fetch_add(&maildir_counter, 1), host);
	snprintf(tpath, sizeof(tpath), "%s/tmp/%s", path, base);
	tfd = open(tpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (tfd < 0)
		return store__fail(err, errlen, maildir_errno(errno),
		    "%s: %s", tpath, strerror(errno));
	rc = maildir_copy(fd, tfd, &phys, &wire);
	if (rc == 0 && fsync(tfd) != 0)
		rc = maildir_errno(errno);
	if (close(tfd) != 0 && rc == 0)
		rc = maildir_errno(errno);
	snprintf(npath, sizeof(npath), "%s/new/%s,S=%llu,W=%llu", path, base,
	    (unsigned long long)phys, (unsigned long long)wire);
	if (rc == 0 && rename(tpath, npath) != 0)
		rc = maildir_errno(errno);
	if (rc != 0) {
		unlink(tpath);
		return store__fail(err, errlen, rc, "deliver to %s: %s",
		    path, store_strerror(rc));
	}
	snprintf(npath, sizeof(npath), "%s/new", path);
	if ((rc = maildir_fsync_dir(npath)) != 0)
		return store__fail(err, errlen, rc, "fsync %s: %s", npath,
		    store_strerror(rc));
	return 0;
}

static int
maildir_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is ROOT/.NAME a Maildir++ folder we could open? */
static int
maildir_is_folder(const char *root, const char *name)
{
	char path[PATH_MAX];
	struct stat sb;

	if (!store_user_name_ok(name, strlen(name)))
		return 0;
	snprintf(path, sizeof(path), "%s/.%s/cur", root, name);
	return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Folders are ROOT/.NAME directories (Maildir++), reported sorted. */
static int
maildir_list_folders(const char *root, const char *inbox,
    void (*cb)(const char *name, void *arg), void *arg)
{
	char **names = NULL, **p;
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	(void)inbox;		/* a Maildir INBOX is ROOT itself */
	if ((d = opendir(root)) == NULL)
		return errno == ENOENT ? 0 : maildir_errno(errno);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' ||
		    !maildir_is_folder(root, de->d_name + 1))
			continue;
		if ((p = realloc(names, (n + 1) * sizeof(*p))) == NULL) {
			rc = STORE_ENOMEM;
			break;
		}
		names = p;
		if ((names[n] = strdup(de->d_name + 1)) == NULL)
			rc = STORE_ENOMEM;
		else
			n++;
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof(*names), maildir_strcmp);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			cb(names[i], arg);
		free(names[i]);
	}
	free(names);
	return rc;
}

const struct store_backend store__maildir = {
	.name = "maildir",
	.open = maildir_open,
	.rawsrc_open = maildir_rawsrc_open,
	.commit = maildir_commit,
	.close = maildir_close,
	.deliver = maildir_deliver,
	.list_folders = maildir_list_folders,
};
