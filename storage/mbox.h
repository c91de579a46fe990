/*
 * mbox.h - what the files of the mbox backend share (mbox.c, mbox_uidl.c).
 * Only the backend and its tests include this file.
 */
#ifndef POLYPOP_MBOX_H
#define POLYPOP_MBOX_H

#include <stddef.h>
#include <sys/types.h>

#include "store_impl.h"

#define MBOX_FP_LEN	16	/* MD5 */

/* Per message, beside struct store_msg: how to recognise it again. */
struct mbox_ent {
	off_t from_off;		/* first octet of the From_ line */
	off_t offset;		/* first octet of the message */
	off_t keylen;		/* raw length less a final line end */
	unsigned char fp[MBOX_FP_LEN];
	unsigned long long uidn;	/* number part of the uid */
};

/* The uid side file's counters (see mbox_uidl.c). */
struct mbox_uidl {
	unsigned long long validity;
	unsigned long long next;
};

/* MD5 over the From_ line (less its line end), "\n", and the head. */
int mbox__fingerprint(const char *fromline, size_t fromlen,
    const char *head, size_t headlen, unsigned char md[MBOX_FP_LEN]);

/* Path of the uid side file of mbox PATH, into BUF; 0 or STORE_EINVAL. */
int mbox__uidl_path(const char *path, char *buf, size_t len);

/*
 * Give every message of a fresh snapshot its uid: the one recorded for the
 * same (From_ offset, key length, fingerprint), else a new one.  Sets
 * msgs[i].uid and ent[i].uidn, and rewrites the side file if anything
 * changed.  Called with the mbox locked.
 */
int mbox__uidl_assign(const char *path, struct mbox_uidl *u,
    struct store_msg *msgs, struct mbox_ent *ent, size_t count,
    char *err, size_t errlen);

/*
 * Write the side file.  NEWFROM == NULL: the snapshot as it is.  With
 * NEWFROM (a commit): the kept messages at their new offsets and, with
 * BOTH, every snapshot message at its old offset too.
 */
int mbox__uidl_save(const char *path, const struct mbox_uidl *u,
    const struct store_msg *msgs, const struct mbox_ent *ent,
    const off_t *newfrom, size_t count, int both);

#endif /* POLYPOP_MBOX_H */
