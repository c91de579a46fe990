/*
 * mbox_uidl.c - unique ids for mbox messages (RFC 1939 §7 UIDL).
 *
 * An mbox has no place of its own for an id, and writing one into the
 * message (X-UID, as UW imapd does) would change the octets other programs
 * see.  So the ids live in a side file next to the mailbox,
 * DIR/.NAME.polypop-uidl (a dot-file, so no folder listing shows it):
 *
 *	polypop-mbox-uidl 1 VALIDITY NEXT
 *	FROM_OFF KEYLEN MD5HEX N
 *	...
 *
 * Version 2 adds an optional fifth field of flag letters, "S" for a
 * message a POP session marked seen (mbox_seen.c).  Version 1 files are
 * read as they are, and a file is written as version 1 while no entry has
 * a flag, so older versions of polypop keep reading it.  Unknown letters
 * are ignored: a later flag must not cost every uid.
 *
 * A message is "the same" as an entry when its From_ line is at the same
 * offset, its length (less a final line end) is the same and the MD5 of
 * its From_ line and first 512 octets is the same; it then keeps uid
 * "VALIDITY.N".  Any other message gets N = NEXT++, so a number is never
 * handed out twice, whatever other programs do to the mailbox.  If the
 * side file is lost, VALIDITY restarts from the clock (later than the old
 * one), so old and new ids still cannot collide.
 */

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mbox.h"

#define UIDL_MAGIC	"polypop-mbox-uidl"
#define UIDL_LINE_MAX	256

/* Tells apart the temporary files of threads of this process that write
 * the side file at once (shared readers hold only a read lock). */
static atomic_uint uidl_tmp_counter;

struct uidl_rec {
	long long from_off;
	long long keylen;
	unsigned char fp[MBOX_FP_LEN];
	unsigned long long n;
	int seen;
};

struct uidl_file {
	struct uidl_rec *rec;
	size_t count, cap;
	int ok;			/* read and well-formed */
};

int
mbox__uidl_path(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL)
		n = snprintf(buf, len, ".%s.polypop-uidl", path);
	else
		n = snprintf(buf, len, "%.*s/.%s.polypop-uidl",
		    (int)(slash - path), path, slash + 1);
	return n < 0 || (size_t)n >= len ? STORE_EINVAL : 0;
}

static int
uidl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
uidl_unhex(const char *s, unsigned char *out)
{
	size_t i;
	int hi, lo;

	if (strlen(s) != 2 * MBOX_FP_LEN)
		return -1;
	for (i = 0; i < MBOX_FP_LEN; i++) {
		if ((hi = uidl_hexval(s[2 * i])) < 0 ||
		    (lo = uidl_hexval(s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

static int
uidl_add(struct uidl_file *f, const struct uidl_rec *r)
{
	struct uidl_rec *p;
	size_t cap;

	if (f->count == f->cap) {
		cap = f->cap ? f->cap * 2 : 64;
		if ((p = reallocarray(f->rec, cap, sizeof(*p))) == NULL)
			return STORE_ENOMEM;
		f->rec = p;
		f->cap = cap;
	}
	f->rec[f->count++] = *r;
	return 0;
}

/* Parse one entry line of a version VERSION file; -1 if malformed. */
static int
uidl_parse_rec(const char *line, int version, struct uidl_rec *r)
{
	char hex[2 * MBOX_FP_LEN + 2], flags[UIDL_LINE_MAX];
	char extra;
	size_t i;
	int n;

	n = sscanf(line, "%lld %lld %33s %llu %255s %c", &r->from_off,
	    &r->keylen, hex, &r->n, flags, &extra);
	if (n != 4 && (n != 5 || version < 2))
		return -1;
	if (r->from_off < 0 || r->keylen < 0 || r->n == 0)
		return -1;
	r->seen = 0;
	for (i = 0; n == 5 && flags[i] != '\0'; i++) {
		if (!isalpha((unsigned char)flags[i]))
			return -1;
		if (flags[i] == 'S')
			r->seen = 1;
	}
	return uidl_unhex(hex, r->fp);
}

/*
 * Read the side file into F and U.  A missing file is an empty one; a
 * malformed one is discarded with a new validity that is later than the
 * old (the old was taken from the clock no later than the file's mtime),
 * so no uid can come back.  Only an unreadable file is an error: guessing
 * there could reuse uids.
 */
static int
uidl_load(const char *spath, struct mbox_uidl *u, struct uidl_file *f)
{
	char line[UIDL_LINE_MAX];
	struct uidl_rec r;
	struct stat sb;
	FILE *fp;
	int fd, rc = 0, bad = 0, version = 0;

	u->validity = (unsigned long long)time(NULL);
	u->next = 1;
	if ((fd = open(spath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 :
		    errno == EACCES || errno == EPERM ? STORE_EPERM :
		    STORE_ETEMP;
	if (fstat(fd, &sb) == -1 || (fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		return STORE_ETEMP;
	}
	if (fgets(line, sizeof(line), fp) == NULL ||
	    sscanf(line, UIDL_MAGIC " %d %llu %llu", &version, &u->validity,
	    &u->next) != 3 || version < 1 || version > 2 || u->next == 0)
		bad = 1;
	while (!bad && rc == 0 && fgets(line, sizeof(line), fp) != NULL) {
		if (strchr(line, '\n') == NULL ||
		    uidl_parse_rec(line, version, &r))
			bad = 1;
		else {
			if (r.n >= u->next)
				u->next = r.n + 1;
			rc = uidl_add(f, &r);
		}
	}
	if (ferror(fp))
		rc = STORE_ETEMP;
	fclose(fp);
	if (bad) {
		f->count = 0;
		u->validity = (unsigned long long)time(NULL);
		if (u->validity <= (unsigned long long)sb.st_mtime)
			u->validity = (unsigned long long)sb.st_mtime + 1;
		u->next = 1;
		return rc;
	}
	f->ok = rc == 0;
	return rc;
}

static int
uidl_cmp_off(const void *a, const void *b)
{
	const struct uidl_rec *x = a, *y = b;

	return x->from_off < y->from_off ? -1 : x->from_off > y->from_off;
}

/* The record of E, or NULL. */
static const struct uidl_rec *
uidl_lookup(const struct uidl_file *f, const struct mbox_ent *e)
{
	size_t lo = 0, hi = f->count, mid;
	const struct uidl_rec *r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (f->rec[mid].from_off < (long long)e->from_off)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < f->count; lo++) {
		r = &f->rec[lo];
		if (r->from_off != (long long)e->from_off)
			break;
		if (r->keylen == (long long)e->keylen &&
		    memcmp(r->fp, e->fp, MBOX_FP_LEN) == 0)
			return r;
	}
	return NULL;
}

static int
uidl_cmp_ent(const void *a, const void *b)
{
	const struct mbox_ent *x = *(const struct mbox_ent * const *)a;
	const struct mbox_ent *y = *(const struct mbox_ent * const *)b;

	if (x->uidn != y->uidn)
		return x->uidn < y->uidn ? -1 : 1;
	return x < y ? -1 : x > y;
}

/*
 * Two messages that are octet for octet identical, From_ line included,
 * can both match an entry left from before a crashed commit.  The later
 * one gets a new number: a uid names one message.
 */
static int
uidl_dedup(struct mbox_ent *ent, size_t count)
{
	struct mbox_ent **v;
	size_t i, n = 0;

	if ((v = calloc(count ? count : 1, sizeof(*v))) == NULL)
		return STORE_ENOMEM;
	for (i = 0; i < count; i++)
		if (ent[i].uidn != 0)
			v[n++] = &ent[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), uidl_cmp_ent);
	for (i = 1; i < n; i++)
		if (v[i]->uidn == v[i - 1]->uidn)
			v[i]->uidn = 0;
	free(v);
	return 0;
}

int
mbox__uidl_assign(const char *path, struct mbox_uidl *u,
    struct store_msg *msgs, struct mbox_ent *ent, size_t count,
    int best_effort, char *err, size_t errlen)
{
	struct uidl_file f = { NULL, 0, 0, 0 };
	const struct uidl_rec *r;
	char spath[PATH_MAX], uid[64];
	size_t i;
	int rc, changed;

	if ((rc = mbox__uidl_path(path, spath, sizeof(spath))) != 0)
		return store__fail(err, errlen, rc, "%s: path too long", path);
	if ((rc = uidl_load(spath, u, &f)) != 0) {
		free(f.rec);
		return store__fail(err, errlen, rc, "%s: cannot read uid "
		    "file", spath);
	}
	if (f.count > 1)
		qsort(f.rec, f.count, sizeof(*f.rec), uidl_cmp_off);
	for (i = 0; i < count; i++) {
		r = uidl_lookup(&f, &ent[i]);
		ent[i].uidn = r != NULL ? r->n : 0;
		msgs[i].seen |= r != NULL && r->seen;
	}
	changed = !f.ok || f.count != count;
	free(f.rec);
	if ((rc = uidl_dedup(ent, count)) != 0)
		return rc;
	for (i = 0; i < count; i++) {
		if (ent[i].uidn == 0) {
			ent[i].uidn = u->next++;
			changed = 1;
		}
		/* RFC 1939 §7: 1 to 70 characters of 0x21..0x7E. */
		snprintf(uid, sizeof(uid), "%llu.%llu", u->validity,
		    ent[i].uidn);
		free(msgs[i].uid);
		if ((msgs[i].uid = strdup(uid)) == NULL)
			return STORE_ENOMEM;
	}
	if (changed && (rc = mbox__uidl_save(path, u, msgs, ent, NULL, count,
	    0, NULL)) != 0 && !best_effort)
		return store__fail(err, errlen, rc, "%s: cannot write uid "
		    "file", spath);
	return 0;
}

static void
uidl_put(FILE *fp, long long from_off, long long keylen,
    const unsigned char *md, unsigned long long n, int seen)
{
	size_t i;

	fprintf(fp, "%lld %lld ", from_off, keylen);
	for (i = 0; i < MBOX_FP_LEN; i++)
		fprintf(fp, "%02x", md[i]);
	fprintf(fp, " %llu%s\n", n, seen ? " S" : "");
}

/*
 * A commit rewrites the side file from its snapshot, but the file may by
 * now hold more: a shared reader (store_open_shared) numbers mail that
 * was delivered during our session, past the snapshot's end TAIL, and
 * writes that down.  Those entries are kept, and NEXT never goes back, so
 * no number is handed out twice.  Read once per commit: after the rename
 * the file holds them at both offsets.
 */
int
mbox__uidl_tail_load(const char *path, const struct mbox_uidl *u,
    off_t tail, struct mbox_uidl_tail *t)
{
	struct uidl_file f = { NULL, 0, 0, 0 };
	struct mbox_uidl du;
	char spath[PATH_MAX];
	size_t i, j;
	int rc;

	memset(t, 0, sizeof(*t));
	t->tail = tail;
	t->newtail = tail;
	t->next = u->next;
	if (mbox__uidl_path(path, spath, sizeof(spath)) != 0)
		return STORE_EINVAL;
	if ((rc = uidl_load(spath, &du, &f)) != 0 || !f.ok ||
	    du.validity != u->validity) {
		free(f.rec);
		return rc == STORE_ENOMEM ? rc : 0;
	}
	if (du.next > t->next)
		t->next = du.next;
	for (i = j = 0; i < f.count; i++)
		if (f.rec[i].from_off >= (long long)tail)
			f.rec[j++] = f.rec[i];
	t->rec = f.rec;
	t->count = j;
	return 0;
}

void
mbox__uidl_tail_free(struct mbox_uidl_tail *t)
{
	free(t->rec);
	t->rec = NULL;
	t->count = 0;
}

/* The entries: the snapshot's (see mbox__uidl_save), then those kept from
 * past it (T), moved as the commit moves that mail. */
static void
uidl_write(FILE *fp, const struct mbox_uidl *u, const struct store_msg *msgs,
    const struct mbox_ent *ent, const off_t *newfrom, size_t count, int both,
    const struct mbox_uidl_tail *t)
{
	const struct uidl_rec *r;
	unsigned long long next = u->next;
	size_t i;
	int seen, version = 1;

	for (i = 0; i < count; i++)
		if (mbox__seen_record(&msgs[i], &ent[i]))
			version = 2;
	for (i = 0; t != NULL && i < t->count; i++)
		if (t->rec[i].seen)
			version = 2;
	if (t != NULL && t->next > next)
		next = t->next;
	fprintf(fp, UIDL_MAGIC " %d %llu %llu\n", version, u->validity, next);
	for (i = 0; i < count; i++) {
		seen = mbox__seen_record(&msgs[i], &ent[i]);
		if (newfrom == NULL || both)
			uidl_put(fp, ent[i].from_off, ent[i].keylen,
			    ent[i].fp, ent[i].uidn, seen);
		if (newfrom != NULL && !msgs[i].deleted)
			uidl_put(fp, newfrom[i], ent[i].keylen, ent[i].fp,
			    ent[i].uidn, seen);
	}
	for (i = 0; t != NULL && i < t->count; i++) {
		r = &t->rec[i];
		if (newfrom == NULL || both)
			uidl_put(fp, r->from_off, r->keylen, r->fp, r->n,
			    r->seen);
		if (newfrom != NULL)
			uidl_put(fp, r->from_off - t->tail + t->newtail,
			    r->keylen, r->fp, r->n, r->seen);
	}
}

/* The rename itself must reach the disk before we rely on it. */
static void
uidl_sync_dir(char *spath)
{
	char *slash;
	int dfd;

	if ((slash = strrchr(spath, '/')) == NULL)
		return;
	*slash = '\0';
	dfd = open(slash == spath ? "/" : spath,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
}

int
mbox__uidl_save(const char *path, const struct mbox_uidl *u,
    const struct store_msg *msgs, const struct mbox_ent *ent,
    const off_t *newfrom, size_t count, int both,
    const struct mbox_uidl_tail *t)
{
	char spath[PATH_MAX], tmp[PATH_MAX + 48];
	FILE *fp;
	int fd, rc = 0;

	if (mbox__uidl_path(path, spath, sizeof(spath)) != 0)
		return STORE_EINVAL;
	snprintf(tmp, sizeof(tmp), "%s.%ld.%u.tmp", spath, (long)getpid(),
	    atomic_fetch_add(&uidl_tmp_counter, 1));
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1)
		return errno == EACCES || errno == EPERM ? STORE_EPERM :
		    STORE_ETEMP;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		(void)unlink(tmp);
		return STORE_ENOMEM;
	}
	uidl_write(fp, u, msgs, ent, newfrom, count, both, t);
	if (fflush(fp) == EOF || ferror(fp) || fsync(fd) == -1)
		rc = STORE_ETEMP;
	if (fclose(fp) == EOF)
		rc = STORE_ETEMP;
	if (rc == 0 && rename(tmp, spath) == -1)
		rc = STORE_ETEMP;
	if (rc != 0) {
		(void)unlink(tmp);
		return rc;
	}
	uidl_sync_dir(spath);
	return 0;
}
