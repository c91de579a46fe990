/*
 * mbox.h - what the files of the mbox backend share (mbox.c,
 * mbox_deliver.c, mbox_uidl.c, mbox_seen.c).  Only the backend and its
 * tests include this file.
 */
#ifndef POLYPOP_MBOX_H
#define POLYPOP_MBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "store_impl.h"

#define MBOX_FP_LEN	16	/* MD5 */
/* Bounded I/O buffer: files are streamed, never read whole. */
#define MBOX_IOBUF	65536

/* Per message, beside struct store_msg: how to recognise it again. */
struct mbox_ent {
	off_t from_off;		/* first octet of the From_ line */
	off_t offset;		/* first octet of the message */
	off_t keylen;		/* raw length less a final line end */
	unsigned char fp[MBOX_FP_LEN];
	unsigned long long uidn;	/* number part of the uid */
	int status_seen;	/* its Status: header holds R */
};

/* The uid side file's counters (see mbox_uidl.c). */
struct mbox_uidl {
	unsigned long long validity;
	unsigned long long next;
};

/* Map errno to a STORE_E* code. */
int mbox__errno(int e);
/* pread all of LEN unless end of file comes first. */
ssize_t mbox__pread(int fd, char *buf, size_t len, off_t off);
int mbox__pwrite(int fd, const char *buf, size_t len, off_t off);
/* Create the directories above the file PATH (mode 0700). */
int mbox__mkparents(const char *path);

/* store_deliver() for mbox (mbox_deliver.c). */
int mbox__deliver(const char *path, int fd, const char *envelope_from,
    char *err, size_t errlen);

/* Does the side file record message M (entry E) as seen?  Yes when it is
 * seen on disk or marked and kept by this commit, unless its Status:
 * header says so already (mbox_seen.c). */
int mbox__seen_record(const struct store_msg *m, const struct mbox_ent *e);

/* MD5 over the From_ line (less its line end), "\n", and the head. */
int mbox__fingerprint(const char *fromline, size_t fromlen,
    const char *head, size_t headlen, unsigned char md[MBOX_FP_LEN]);

/* Path of the uid side file of mbox PATH, into BUF; 0 or STORE_EINVAL. */
int mbox__uidl_path(const char *path, char *buf, size_t len);

/*
 * Give every message of a fresh snapshot its uid: the one recorded for the
 * same (From_ offset, key length, fingerprint), else a new one, and its
 * recorded seen mark.  Sets msgs[i].uid, msgs[i].seen (or'ed in) and
 * ent[i].uidn, and rewrites the side file if anything changed; with
 * BEST_EFFORT (a shared reader, who may not write the directory) a
 * failure to rewrite it is ignored.  Called with the mbox locked.
 */
int mbox__uidl_assign(const char *path, struct mbox_uidl *u,
    struct store_msg *msgs, struct mbox_ent *ent, size_t count,
    int best_effort, char *err, size_t errlen);

/* What a commit keeps of the side file: the entries for mail past its
 * snapshot (from TAIL on; at NEWTAIL in the new layout, which the caller
 * sets once it is known) and NEXT. */
struct uidl_rec;
struct mbox_uidl_tail {
	struct uidl_rec *rec;
	size_t count;
	off_t tail, newtail;
	unsigned long long next;
};
int mbox__uidl_tail_load(const char *path, const struct mbox_uidl *u,
    off_t tail, struct mbox_uidl_tail *t);
void mbox__uidl_tail_free(struct mbox_uidl_tail *t);

/*
 * Write the side file, with the seen marks mbox__seen_record() gives.
 * NEWFROM == NULL: the snapshot as it is.  With NEWFROM (a commit): the
 * kept messages at their new offsets and, with BOTH, every snapshot
 * message at its old offset too.  T (a commit; may be NULL) adds the
 * entries past the snapshot in the same layouts, and NEXT never drops.
 */
int mbox__uidl_save(const char *path, const struct mbox_uidl *u,
    const struct store_msg *msgs, const struct mbox_ent *ent,
    const off_t *newfrom, size_t count, int both,
    const struct mbox_uidl_tail *t);

#endif /* POLYPOP_MBOX_H */
