/*
 * maildir_index.h - the per-folder size cache of the Maildir backend.
 *
 * Computing a wire size means reading the whole message, so sizes that
 * cannot come from a ",W=" field in the file name are cached in the file
 * polypop-index inside the folder.  Only maildir.c includes this.
 */
#ifndef POLYPOP_MAILDIR_INDEX_H
#define POLYPOP_MAILDIR_INDEX_H

#include <stddef.h>
#include <stdint.h>

/* One cached size, keyed by base name. */
struct maildir_ent {
	char *name;
	uint64_t wire;
	uint64_t phys;
	long long mtime;
	int used;		/* matched a message in this snapshot */
};

/* st->priv: the index as it will next be written. */
struct maildir {
	struct maildir_ent *ents;	/* sorted by name */
	size_t n;
	struct maildir_ent *added;	/* computed during this open */
	size_t nadded;
	int dirty;			/* differs from the file on disk */
};

/* Read DIR/polypop-index into MD; a missing or odd file is an empty one. */
int maildir_index_load(const char *dir, struct maildir *md);
/* The entry for base name BASE (BLEN octets, not terminated), or NULL. */
struct maildir_ent *maildir_index_find(struct maildir *md, const char *base,
    size_t blen);
/* Remember a newly computed entry (takes E->name); found by find() only
 * after settle(). */
int maildir_index_add(struct maildir *md, struct maildir_ent *e);
/* Merge added entries and drop those not marked used. */
void maildir_index_settle(struct maildir *md);
/* Write DIR/polypop-index if MD changed.  Failure is ignored: a cache. */
void maildir_index_save(const char *dir, struct maildir *md);
/* Free the tables of MD (not MD itself). */
void maildir_index_free(struct maildir *md);

#endif /* POLYPOP_MAILDIR_INDEX_H */
