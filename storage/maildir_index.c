/*
 * maildir_index.c - the per-folder size cache of the Maildir backend.
 *
 * File format (docs/storage.md): a first line MAILDIR_INDEX_MAGIC, then one
 * line per message whose size had to be computed by reading it:
 *	WIRE PHYS MTIME BASENAME
 * The name comes last so it may contain spaces.  The file is a cache, never
 * the truth: a bad line is dropped, not an error, and an entry is used only
 * while the file's physical size (and mtime, when we stat) still match.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "maildir_index.h"

#define MAILDIR_INDEX		"polypop-index"
#define MAILDIR_INDEX_MAGIC	"polypop-index 1"

/* Makes temp file names unique among threads of this process. */
static atomic_uint maildir_index_counter;


static int
maildir_ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct maildir_ent *)a)->name,
	    ((const struct maildir_ent *)b)->name);
}

static int
maildir_index_parse(char *line, struct maildir_ent *e)
{
	char *p = line, *end;

	e->wire = strtoull(p, &end, 10);
	if (end == p || *end != ' ')
		return -1;
	e->phys = strtoull(p = end + 1, &end, 10);
	if (end == p || *end != ' ')
		return -1;
	e->mtime = strtoll(p = end + 1, &end, 10);
	if (end == p || *end != ' ' || end[1] == '\0')
		return -1;
	e->used = 0;
	return (e->name = strdup(end + 1)) == NULL ? -1 : 0;
}

static int
maildir_index_push(struct maildir_ent **v, size_t *n, struct maildir_ent *e)
{
	struct maildir_ent *p;

	/* Capacity is max(16, next power of two): 100,000 lines cost ~13
	 * reallocs, and no capacity is stored. */
	if (*n == 0 || (*n >= 16 && (*n & (*n - 1)) == 0)) {
		if ((p = realloc(*v, (*n ? *n * 2 : 16) * sizeof(*p))) == NULL)
			return STORE_ENOMEM;
		*v = p;
	}
	(*v)[(*n)++] = *e;
	return 0;
}

static void
maildir_index_free_v(struct maildir_ent *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int
maildir_index_load(const char *dir, struct maildir *md)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0, i, j;
	ssize_t len;
	struct maildir_ent e;
	FILE *fp;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, MAILDIR_INDEX);
	if ((fp = fopen(path, "re")) == NULL)
		return 0;
	len = getline(&line, &cap, fp);
	if (len <= 0 || strcmp(line, MAILDIR_INDEX_MAGIC "\n") != 0)
		md->dirty = 1;
	else
		while (rc == 0 && (len = getline(&line, &cap, fp)) > 0) {
			if (line[len - 1] != '\n' ||
			    (line[len - 1] = '\0', maildir_index_parse(line,
			    &e)) != 0) {
				md->dirty = 1;
				continue;
			}
			if ((rc = maildir_index_push(&md->ents, &md->n,
			    &e)) != 0)
				free(e.name);
		}
	free(line);
	fclose(fp);
	/* qsort and bsearch want a non-NULL base even for no elements. */
	if (md->n > 1)
		qsort(md->ents, md->n, sizeof(*md->ents), maildir_ent_cmp);
	/* Drop duplicate names (a hand-edited file); first one wins. */
	for (i = j = 0; i < md->n; i++) {
		if (j > 0 && strcmp(md->ents[j - 1].name,
		    md->ents[i].name) == 0) {
			free(md->ents[i].name);
			md->dirty = 1;
		} else
			md->ents[j++] = md->ents[i];
	}
	md->n = j;
	return rc;
}

static int
maildir_index_write_fp(FILE *fp, const struct maildir *md)
{
	size_t i;

	fprintf(fp, "%s\n", MAILDIR_INDEX_MAGIC);
	for (i = 0; i < md->n; i++)
		fprintf(fp, "%llu %llu %lld %s\n",
		    (unsigned long long)md->ents[i].wire,
		    (unsigned long long)md->ents[i].phys,
		    md->ents[i].mtime, md->ents[i].name);
	if (fflush(fp) != 0 || ferror(fp) || fsync(fileno(fp)) != 0)
		return -1;
	return 0;
}

/*
 * Replace the index atomically (temp file + rename) so a crash or a
 * concurrent reader never sees half a file.  Failure is not an error for
 * the caller: the index is only a cache, the next open recomputes.
 */
void
maildir_index_save(const char *dir, struct maildir *md)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	FILE *fp;
	int fd, ok;

	if (!md->dirty)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, MAILDIR_INDEX);
	snprintf(tmp, sizeof(tmp), "%s/tmp/%s.%ld.%u", dir, MAILDIR_INDEX,
	    (long)getpid(), atomic_fetch_add(&maildir_index_counter, 1));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	if ((fp = fdopen(fd, "w")) == NULL) {
		close(fd);
		unlink(tmp);
		return;
	}
	ok = maildir_index_write_fp(fp, md) == 0;
	if (fclose(fp) != 0)
		ok = 0;
	if (!ok || rename(tmp, path) != 0)
		unlink(tmp);
	else
		md->dirty = 0;
}

struct maildir_ent *
maildir_index_find(struct maildir *md, const char *base, size_t blen)
{
	char key[NAME_MAX + 1];
	struct maildir_ent k = { .name = key };

	if (blen > NAME_MAX || md->n == 0)
		return NULL;
	memcpy(key, base, blen);
	key[blen] = '\0';
	return bsearch(&k, md->ents, md->n, sizeof(*md->ents),
	    maildir_ent_cmp);
}

/* Merge the entries computed during open into the sorted table and drop
 * those that matched no message (deleted by us or by another program). */
void
maildir_index_settle(struct maildir *md)
{
	size_t i, j;

	for (i = 0; i < md->nadded; i++)
		if (maildir_index_push(&md->ents, &md->n,
		    &md->added[i]) != 0)
			free(md->added[i].name);
	free(md->added);
	md->added = NULL;
	md->nadded = 0;
	for (i = j = 0; i < md->n; i++) {
		if (md->ents[i].used)
			md->ents[j++] = md->ents[i];
		else {
			free(md->ents[i].name);
			md->dirty = 1;
		}
	}
	md->n = j;
	if (md->n > 1)
		qsort(md->ents, md->n, sizeof(*md->ents), maildir_ent_cmp);
}

int
maildir_index_add(struct maildir *md, struct maildir_ent *e)
{
	/* Kept apart from ents so pointers from find() stay valid while a
	 * snapshot is being filled. */
	md->dirty = 1;
	return maildir_index_push(&md->added, &md->nadded, e);
}

void
maildir_index_free(struct maildir *md)
{
	maildir_index_free_v(md->ents, md->n);
	maildir_index_free_v(md->added, md->nadded);
	md->ents = md->added = NULL;
	md->n = md->nadded = 0;
}
