/*
 * mbox.c - the mbox backend of the store (struct store_backend store__mbox).
 *
 * A session's snapshot is the result of one parse of the file under the
 * dotlock + fcntl locks (mbox_lock.c); the locks are dropped right after,
 * so delivery never waits for a POP session.  Messages are then read
 * unlocked by offset: delivery only appends, and anything else (a MUA
 * rewriting the file) is detected by the file identity, its size and each
 * message's fingerprint, and reported as STORE_ECHANGED.
 *
 * Commit never rewrites the file in place: it writes the surviving
 * messages plus whatever was delivered since the snapshot into a new file
 * and renames it over the old one, so a crash leaves one or the other.
 *
 * A shared reader (store_open_shared) takes the snapshot under an fcntl
 * read lock only, creates nothing and never commits.
 *
 * Unique ids and our seen marks live in a side file (mbox_uidl.c,
 * mbox_seen.c); a commit with only seen marks rewrites that file alone.
 * Delivery is in mbox_deliver.c.  The file format rules are in
 * mbox_parse.c and docs/storage.md (mbox).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "store_impl.h"
#include "mbox.h"
#include "mbox_lock.h"
#include "mbox_parse.h"


struct mbox_priv {
	int fd;			/* the snapshot's file, read unlocked */
	dev_t dev;
	ino_t ino;
	off_t size;		/* octets the snapshot covers */
	off_t lead;		/* octets before the first message */
	struct mbox_ent *ent;	/* parallel to st->msgs */
	size_t cap;
	struct mbox_uidl uidl;
};

int
mbox__errno(int e)
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

/* MD5 of the From_ line and the first octets of the message (RFC 1321;
 * OpenSSL's implementation, never a local copy). */
int
mbox__fingerprint(const char *fromline, size_t fromlen, const char *head,
    size_t headlen, unsigned char md[MBOX_FP_LEN])
{
	EVP_MD_CTX *ctx;
	unsigned int n;
	int ok;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return STORE_ENOMEM;
	ok = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) &&
	    EVP_DigestUpdate(ctx, fromline, fromlen) &&
	    EVP_DigestUpdate(ctx, "\n", 1) &&
	    EVP_DigestUpdate(ctx, head, headlen) &&
	    EVP_DigestFinal_ex(ctx, md, &n);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : STORE_ETEMP;
}

/* pread all of LEN unless end of file comes first. */
ssize_t
mbox__pread(int fd, char *buf, size_t len, off_t off)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int
mbox__pwrite(int fd, const char *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return mbox__errno(errno);
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Recompute the fingerprint of the message whose From_ line starts at
 * FROM_OFF (see mbox_msginfo), reading the file again.  Returns 0 when it
 * equals FP, STORE_ECHANGED when not.
 */
static int
mbox_check_fp(int fd, const struct mbox_ent *e)
{
	char line[MBOX_FROMLINE_MAX + 2], head[MBOX_HEAD_MAX];
	unsigned char md[MBOX_FP_LEN];
	size_t want, n, hlen;
	ssize_t got;

	want = (size_t)(e->offset - e->from_off);
	if (want > sizeof(line))
		want = sizeof(line);
	if ((got = mbox__pread(fd, line, want, e->from_off)) != (ssize_t)want)
		return got < 0 ? STORE_ETEMP : STORE_ECHANGED;
	n = want;
	if (n > 0 && (off_t)want == e->offset - e->from_off &&
	    line[n - 1] == '\n') {
		n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
	}
	if (n > MBOX_FROMLINE_MAX)
		n = MBOX_FROMLINE_MAX;
	hlen = e->keylen < MBOX_HEAD_MAX ? (size_t)e->keylen : MBOX_HEAD_MAX;
	if ((got = mbox__pread(fd, head, hlen, e->offset)) != (ssize_t)hlen)
		return got < 0 ? STORE_ETEMP : STORE_ECHANGED;
	if (mbox__fingerprint(line, n, head, hlen, md) != 0)
		return STORE_ETEMP;
	return memcmp(md, e->fp, MBOX_FP_LEN) == 0 ? 0 : STORE_ECHANGED;
}

/* Create the directories above the file PATH (mode 0700, as for a new
 * user's mail directory). */
int
mbox__mkparents(const char *path)
{
	char buf[PATH_MAX];
	char *p;

	if (strlen(path) >= sizeof(buf))
		return STORE_EINVAL;
	strcpy(buf, path);
	for (p = strchr(buf + 1, '/'); p != NULL; p = strchr(p + 1, '/')) {
		*p = '\0';
		if (mkdir(buf, 0700) == -1 && errno != EEXIST)
			return mbox__errno(errno);
		*p = '/';
	}
	return 0;
}

static int
mbox_fsync_dir(const char *path)
{
	char buf[PATH_MAX];
	char *slash;
	int fd, rc = 0;

	if (strlen(path) >= sizeof(buf))
		return STORE_EINVAL;
	strcpy(buf, path);
	if ((slash = strrchr(buf, '/')) == NULL)
		return 0;
	if (slash == buf)
		slash[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(buf, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return mbox__errno(errno);
	if (fsync(fd) == -1)
		rc = STORE_ETEMP;
	close(fd);
	return rc;
}

/*
 * Open: parse under the lock.
 */

struct mbox_scan {
	struct store *st;
	struct mbox_priv *pv;
	int rc;
};

static int
mbox_scan_msg(const struct mbox_msginfo *m, void *arg)
{
	struct mbox_scan *sc = arg;
	struct store *st = sc->st;
	struct mbox_priv *pv = sc->pv;
	struct store_msg *msgs;
	struct mbox_ent *ent, *e;
	size_t cap;

	if (st->count == pv->cap) {
		cap = pv->cap ? pv->cap * 2 : 64;
		if ((msgs = reallocarray(st->msgs, cap, sizeof(*msgs))) == NULL)
			return STORE_ENOMEM;
		st->msgs = msgs;
		if ((ent = reallocarray(pv->ent, cap, sizeof(*ent))) == NULL)
			return STORE_ENOMEM;
		pv->ent = ent;
		pv->cap = cap;
	}
	memset(&st->msgs[st->count], 0, sizeof(st->msgs[0]));
	st->msgs[st->count].size = m->wire;
	st->msgs[st->count].offset = m->offset;
	st->msgs[st->count].length = m->length;
	e = &pv->ent[st->count];
	memset(e, 0, sizeof(*e));
	e->from_off = m->from_off;
	e->offset = m->offset;
	e->keylen = m->keylen;
	e->status_seen = m->status_seen;
	st->msgs[st->count].seen = m->status_seen;
	st->msgs[st->count].arrival = mbox_from_date(m->fromline, m->fromlen);
	if (mbox__fingerprint(m->fromline, m->fromlen, m->head, m->headlen,
	    e->fp) != 0)
		return STORE_ETEMP;
	st->count++;
	return 0;
}

static int
mbox_parse_fd(struct store *st, struct mbox_priv *pv, int fd, off_t size)
{
	struct mbox_parser *p;
	struct mbox_scan sc = { st, pv, 0 };
	char *buf;
	off_t off = 0;
	ssize_t n;
	int rc = 0;

	p = malloc(sizeof(*p));
	buf = malloc(MBOX_IOBUF);
	if (p == NULL || buf == NULL) {
		free(p);
		free(buf);
		return STORE_ENOMEM;
	}
	mbox_parse_init(p, mbox_scan_msg, &sc);
	while (rc == 0 && off < size) {
		size_t want = size - off < MBOX_IOBUF ?
		    (size_t)(size - off) : MBOX_IOBUF;

		if ((n = mbox__pread(fd, buf, want, off)) < 0)
			rc = mbox__errno(errno);
		else if (n == 0)
			break;	/* shrunk by a program ignoring locks */
		else {
			rc = mbox_parse(p, buf, (size_t)n);
			off += n;
		}
	}
	if (rc == 0)
		rc = mbox_parse_finish(p);
	pv->size = off;
	pv->lead = p->lead;
	free(p);
	free(buf);
	return rc;
}

static void
mbox_priv_free(struct mbox_priv *pv)
{
	if (pv == NULL)
		return;
	if (pv->fd != -1)
		close(pv->fd);
	free(pv->ent);
	free(pv);
}

/* The locks a snapshot is taken under: a session's open creates a missing
 * INBOX (a new user has no mail yet; store.c has refused other missing
 * folders) and takes the writers' locks; a shared reader creates nothing
 * and takes only a read lock. */
static int
mbox_snapshot_lock(struct store *st, struct mbox_lock *lk, char *err,
    size_t errlen)
{
	int rc;

	if (st->readonly)
		return mbox_lock_open_shared(lk, st->path, err, errlen);
	if ((rc = mbox__mkparents(st->path)) != 0)
		return store__fail(err, errlen, rc, "%s: cannot create "
		    "directory: %s", st->path, strerror(errno));
	return mbox_lock_open(lk, st->path, 1, err, errlen);
}

static int
mbox_open(struct store *st, char *err, size_t errlen)
{
	struct mbox_priv *pv;
	struct mbox_lock lk;
	struct stat sb;
	int rc;

	if ((pv = calloc(1, sizeof(*pv))) == NULL)
		return STORE_ENOMEM;
	pv->fd = -1;
	if ((rc = mbox_snapshot_lock(st, &lk, err, errlen)) != 0) {
		free(pv);
		return rc;
	}
	if (fstat(lk.fd, &sb) == -1) {
		rc = store__fail(err, errlen, STORE_ETEMP, "%s: %s", st->path,
		    strerror(errno));
		goto fail;
	}
	pv->dev = sb.st_dev;
	pv->ino = sb.st_ino;
	if ((rc = mbox_parse_fd(st, pv, lk.fd, sb.st_size)) != 0) {
		store__fail(err, errlen, rc, "%s: cannot parse: %s", st->path,
		    store_strerror(rc));
		goto fail;
	}
	/* A writer that honours only the dotlock may have been appending
	 * under our read lock: then the last message may be partial. */
	if (st->readonly && !mbox_lock_quiet(&lk, st->path, sb.st_size)) {
		rc = store__fail(err, errlen, STORE_ETEMP, "%s: mailbox "
		    "being written by another program", st->path);
		goto fail;
	}
	if ((rc = mbox__uidl_assign(st->path, &pv->uidl, st->msgs, pv->ent,
	    st->count, st->readonly, err, errlen)) != 0)
		goto fail;
	pv->fd = mbox_lock_release(&lk, 1);
	st->priv = pv;
	return 0;
fail:
	mbox_lock_release(&lk, 0);
	mbox_priv_free(pv);
	return rc;
}

static void
mbox_close(struct store *st)
{
	mbox_priv_free(st->priv);
	st->priv = NULL;
}

/*
 * Raw source: pread in bounded chunks, mboxrd unquoting on the way.
 */

struct mbox_src {
	struct store_rawsrc base;
	int fd;
	off_t pos, end;
	int done;
	struct mbox_unquote uq;
	size_t opos, olen;
	char in[MBOX_IOBUF / 4];
	char out[MBOX_IOBUF / 4 + MBOX_UNQUOTE_SLACK];
};

static ssize_t
mbox_src_read(struct store_rawsrc *base, char *buf, size_t len)
{
	struct mbox_src *s = (struct mbox_src *)base;
	size_t want, n;
	ssize_t got;

	while (s->opos == s->olen) {
		s->opos = 0;
		if (s->pos < s->end) {
			want = sizeof(s->in);
			if ((off_t)want > s->end - s->pos)
				want = (size_t)(s->end - s->pos);
			if ((got = mbox__pread(s->fd, s->in, want, s->pos)) < 0)
				return STORE_ETEMP;
			if (got == 0)
				return STORE_ECHANGED;	/* truncated */
			s->pos += got;
			s->olen = mbox_unquote(&s->uq, s->in, (size_t)got,
			    s->out);
		} else if (!s->done) {
			s->olen = mbox_unquote_finish(&s->uq, s->out);
			s->done = 1;
		} else
			return 0;
	}
	n = s->olen - s->opos;
	if (n > len)
		n = len;
	memcpy(buf, s->out + s->opos, n);
	s->opos += n;
	return (ssize_t)n;
}

static void
mbox_src_close(struct store_rawsrc *base)
{
	struct mbox_src *s = (struct mbox_src *)base;

	close(s->fd);
	free(s);
}

/* Is the file at PATH still the snapshot's, at least as long? */
static int
mbox_same_file(const struct store *st, const struct mbox_priv *pv)
{
	struct stat sb;

	if (lstat(st->path, &sb) == -1)
		return errno == ENOENT ? STORE_ECHANGED : mbox__errno(errno);
	if (sb.st_dev != pv->dev || sb.st_ino != pv->ino ||
	    sb.st_size < pv->size)
		return STORE_ECHANGED;
	return 0;
}

static int
mbox_rawsrc_open(struct store *st, size_t i, struct store_rawsrc **out)
{
	struct mbox_priv *pv = st->priv;
	struct mbox_src *s;
	int rc;

	*out = NULL;
	if (i >= st->count)
		return STORE_EINVAL;
	if ((rc = mbox_same_file(st, pv)) != 0 ||
	    (rc = mbox_check_fp(pv->fd, &pv->ent[i])) != 0)
		return rc;
	if ((s = malloc(sizeof(*s))) == NULL)
		return STORE_ENOMEM;
	/* Its own descriptor: a commit may swap pv->fd under an open reader. */
	if ((s->fd = fcntl(pv->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
		free(s);
		return mbox__errno(errno);
	}
	s->base.read = mbox_src_read;
	s->base.close = mbox_src_close;
	s->pos = st->msgs[i].offset;
	s->end = st->msgs[i].offset + st->msgs[i].length;
	s->done = 0;
	s->opos = s->olen = 0;
	mbox_unquote_init(&s->uq);
	*out = &s->base;
	return 0;
}

/*
 * Commit.
 */

struct mbox_copy {
	int from, to;
	off_t wpos;		/* next write offset in TO */
	char last[3];		/* last octets written, for the fix-up */
	size_t nlast;
	char *buf;
};

static int
mbox_copy_put(struct mbox_copy *c, const char *b, size_t n)
{
	size_t k;
	int rc;

	if (n == 0)
		return 0;
	if ((rc = mbox__pwrite(c->to, b, n, c->wpos)) != 0)
		return rc;
	c->wpos += (off_t)n;
	for (k = n > 3 ? n - 3 : 0; k < n; k++) {
		if (c->nlast == 3) {
			memmove(c->last, c->last + 1, 2);
			c->nlast = 2;
		}
		c->last[c->nlast++] = b[k];
	}
	return 0;
}

/* Copy [START, END) of the old file; SKIP_NL drops leading CR/LF. */
static int
mbox_copy_range(struct mbox_copy *c, off_t start, off_t end, int skip_nl)
{
	ssize_t n;
	size_t want, k;
	int rc;

	while (start < end) {
		want = end - start < MBOX_IOBUF ? (size_t)(end - start) :
		    MBOX_IOBUF;
		if ((n = mbox__pread(c->from, c->buf, want, start)) < 0)
			return mbox__errno(errno);
		if (n == 0)
			return STORE_ECHANGED;
		start += n;
		k = 0;
		while (skip_nl && k < (size_t)n &&
		    (c->buf[k] == '\r' || c->buf[k] == '\n'))
			k++;
		if (k < (size_t)n)
			skip_nl = 0;
		if ((rc = mbox_copy_put(c, c->buf + k, (size_t)n - k)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Write the new file: the part before the first message, every message
 * not marked deleted (From_ line, body and separator line, octets as they
 * are), then what was delivered after the snapshot.  NEWFROM receives
 * each kept message's new From_ offset; *SNAPEND where the delivered
 * part starts.
 */
static int
mbox_write_new(struct store *st, struct mbox_copy *c, off_t cursize,
    off_t *newfrom, off_t *snapend)
{
	struct mbox_priv *pv = st->priv;
	char fix[3];
	off_t end;
	size_t i, n;
	int rc, last_deleted;

	if ((rc = mbox_copy_range(c, 0, pv->lead, 0)) != 0)
		return rc;
	for (i = 0; i < st->count; i++) {
		end = i + 1 < st->count ? pv->ent[i + 1].from_off : pv->size;
		newfrom[i] = c->wpos;
		if (st->msgs[i].deleted)
			continue;
		if ((rc = mbox_copy_range(c, pv->ent[i].from_off, end,
		    0)) != 0)
			return rc;
	}
	*snapend = c->wpos;
	if (cursize == pv->size)
		return 0;
	/*
	 * Delivery may have put line ends after the last snapshot message to
	 * make its own From_ line a separator (mbox_sep_fixup).  If that
	 * message is gone, they went with it; the new file gets whatever it
	 * needs for the delivered message to stay a separate message.
	 */
	last_deleted = st->count > 0 && st->msgs[st->count - 1].deleted;
	if (last_deleted) {
		n = mbox_sep_fixup(c->last, c->nlast, c->wpos, fix);
		if ((rc = mbox_copy_put(c, fix, n)) != 0)
			return rc;
	}
	return mbox_copy_range(c, pv->size, cursize, last_deleted);
}

/* Open a fresh temporary file next to PATH. */
static int
mbox_tmp_open(const char *path, char *tmp, size_t tmplen)
{
	int fd, tries;

	snprintf(tmp, tmplen, "%s.polypop-tmp.%ld", path, (long)getpid());
	for (tries = 0; tries < 2; tries++) {
		fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		if (fd != -1 || errno != EEXIST)
			return fd;
		/* Left by a crash of an earlier process with our pid. */
		(void)unlink(tmp);
	}
	return -1;
}

/* Give the new file the old one's mode and owner (/var/mail/USER is
 * typically USER:mail 0660). */
static int
mbox_match_owner(int fd, const struct stat *old)
{
	if (fchmod(fd, old->st_mode & 07777) == -1)
		return mbox__errno(errno);
	if ((old->st_uid != geteuid() || old->st_gid != getegid()) &&
	    fchown(fd, old->st_uid, old->st_gid) == -1)
		return STORE_EPERM;
	return 0;
}

/* Take the deleted messages out of the snapshot, which now describes the
 * new file FD. */
static void
mbox_snapshot_update(struct store *st, const off_t *newfrom, off_t snapend,
    int fd, const struct stat *sb)
{
	struct mbox_priv *pv = st->priv;
	size_t i, j = 0;

	for (i = 0; i < st->count; i++) {
		if (st->msgs[i].deleted) {
			free(st->msgs[i].uid);
			free(st->msgs[i].name);
			continue;
		}
		st->msgs[j] = st->msgs[i];
		pv->ent[j] = pv->ent[i];
		st->msgs[j].offset += newfrom[i] - pv->ent[i].from_off;
		pv->ent[j].offset = st->msgs[j].offset;
		pv->ent[j].from_off = newfrom[i];
		j++;
	}
	st->count = j;
	if (pv->fd != -1)
		close(pv->fd);
	pv->fd = fd;
	pv->dev = sb->st_dev;
	pv->ino = sb->st_ino;
	pv->size = snapend;
}

static int
mbox_commit_locked(struct store *st, struct mbox_lock *lk, char *err,
    size_t errlen)
{
	struct mbox_priv *pv = st->priv;
	struct mbox_uidl_tail tail;
	struct mbox_copy c;
	struct stat old, sb;
	char tmp[PATH_MAX];
	off_t *newfrom = NULL, snapend = 0;
	size_t i;
	int rc, fd = -1;

	if (fstat(lk->fd, &old) == -1)
		return store__fail(err, errlen, STORE_ETEMP, "%s: %s",
		    st->path, strerror(errno));
	/* Only appends are expected since the snapshot; anything else means
	 * another program rewrote the mailbox and our offsets are void. */
	if (old.st_dev != pv->dev || old.st_ino != pv->ino ||
	    old.st_size < pv->size)
		return store__fail(err, errlen, STORE_ECHANGED,
		    "%s: mailbox changed by another program", st->path);
	for (i = 0; i < st->count; i++)
		if ((rc = mbox_check_fp(lk->fd, &pv->ent[i])) != 0)
			return store__fail(err, errlen, rc, "%s: message %zu "
			    "changed by another program", st->path, i + 1);
	memset(&c, 0, sizeof(c));
	if ((rc = mbox__uidl_tail_load(st->path, &pv->uidl, pv->size,
	    &tail)) != 0)
		return rc;
	/* Only seen marks to write: they live in the side file, and the
	 * mailbox itself stays as it is (mbox_seen.c). */
	for (i = 0; i < st->count && !st->msgs[i].deleted; i++)
		;
	if (i == st->count) {
		if ((rc = mbox__uidl_save(st->path, &pv->uidl, st->msgs,
		    pv->ent, NULL, st->count, 0, &tail)) != 0)
			store__fail(err, errlen, rc, "%s: cannot write uid "
			    "file", st->path);
		goto out;
	}
	newfrom = calloc(st->count ? st->count : 1, sizeof(*newfrom));
	c.buf = malloc(MBOX_IOBUF);
	if (newfrom == NULL || c.buf == NULL) {
		rc = STORE_ENOMEM;
		goto out;
	}
	if ((fd = mbox_tmp_open(st->path, tmp, sizeof(tmp))) == -1) {
		rc = store__fail(err, errlen, mbox__errno(errno),
		    "%s: cannot create temporary file: %s", st->path,
		    strerror(errno));
		goto out;
	}
	c.from = lk->fd;
	c.to = fd;
	if ((rc = mbox_write_new(st, &c, old.st_size, newfrom,
	    &snapend)) != 0 ||
	    (rc = mbox_match_owner(fd, &old)) != 0 ||
	    (fsync(fd) == -1 && (rc = STORE_ETEMP) != 0) ||
	    (fstat(fd, &sb) == -1 && (rc = STORE_ETEMP) != 0)) {
		store__fail(err, errlen, rc, "%s: cannot write new mailbox: "
		    "%s", st->path, store_strerror(rc));
		goto out_unlink;
	}
	/* Uids for both layouts first, so a crash on either side of the
	 * rename keeps every uid (mbox_uidl.c). */
	tail.newtail = snapend;
	if ((rc = mbox__uidl_save(st->path, &pv->uidl, st->msgs, pv->ent,
	    newfrom, st->count, 1, &tail)) != 0) {
		store__fail(err, errlen, rc, "%s: cannot write uid file",
		    st->path);
		goto out_unlink;
	}
	if (rename(tmp, st->path) == -1) {
		rc = store__fail(err, errlen, mbox__errno(errno),
		    "%s: rename: %s", st->path, strerror(errno));
		goto out_unlink;
	}
	/*
	 * The deletion has happened.  What follows only makes it durable
	 * sooner or tidies the uid file; failures there cannot be undone,
	 * and the next open repairs the uid file.
	 */
	(void)mbox_fsync_dir(st->path);
	(void)mbox__uidl_save(st->path, &pv->uidl, st->msgs, pv->ent,
	    newfrom, st->count, 0, &tail);
	mbox_snapshot_update(st, newfrom, snapend, fd, &sb);
	fd = -1;
	rc = 0;
	goto out;
out_unlink:
	(void)unlink(tmp);
out:
	if (fd != -1)
		close(fd);
	free(newfrom);
	free(c.buf);
	mbox__uidl_tail_free(&tail);
	return rc;
}

static int
mbox_commit(struct store *st, char *err, size_t errlen)
{
	struct mbox_lock lk;
	int rc;

	rc = mbox_lock_open(&lk, st->path, 0, err, errlen);
	if (rc == STORE_ENOFOLDER)
		return store__fail(err, errlen, STORE_ECHANGED,
		    "%s: mailbox removed by another program", st->path);
	if (rc != 0)
		return rc;
	rc = mbox_commit_locked(st, &lk, err, errlen);
	mbox_lock_release(&lk, 0);
	return rc;
}

/*
 * Folders: the regular files of the root directory, except the INBOX,
 * dot-files (our uid files among them), lock and temporary files, and
 * names store_open() would refuse anyway.
 */
static int
mbox_list_folders(const char *root, const char *inbox,
    void (*cb)(const char *name, void *arg), void *arg)
{
	struct stat in, sb;
	struct dirent *de;
	DIR *d;
	size_t len;
	int have_in;

	if ((d = opendir(root)) == NULL)
		return errno == ENOENT ? 0 : mbox__errno(errno);
	have_in = inbox != NULL && stat(inbox, &in) == 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (!store_user_name_ok(de->d_name, len) ||
		    strcasecmp(de->d_name, "INBOX") == 0 ||
		    (len > 5 && strcmp(de->d_name + len - 5, ".lock") == 0) ||
		    strstr(de->d_name, ".polypop-tmp.") != NULL)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb,
		    AT_SYMLINK_NOFOLLOW) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if (have_in && sb.st_dev == in.st_dev &&
		    sb.st_ino == in.st_ino)
			continue;
		cb(de->d_name, arg);
	}
	closedir(d);
	return 0;
}

const struct store_backend store__mbox = {
	.name = "mbox",
	.open = mbox_open,
	.rawsrc_open = mbox_rawsrc_open,
	.commit = mbox_commit,
	.close = mbox_close,
	.deliver = mbox__deliver,
	.list_folders = mbox_list_folders,
};
