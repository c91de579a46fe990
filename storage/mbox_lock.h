/*
 * mbox_lock.h - the locks other mail programs honour on an mbox file.
 *
 * Both kinds, because Debian Policy (§11.6) asks every mailbox program to
 * combine fcntl locking with dot locking (NFS and old MUAs honour only the
 * dotlock).  Order as Dovecot's default mbox_write_locks: first the
 * dotlock FILE.lock (O_CREAT|O_EXCL, broken when its mtime is older than
 * MBOX_LOCK_STALE seconds), then an fcntl write lock on the whole file.
 * Programs that take fcntl first (Postfix) cannot deadlock with us: we
 * never wait for one lock while holding the other; a busy fcntl lock makes
 * us drop the dotlock, sleep briefly and start over.  After MBOX_LOCK_WAIT
 * milliseconds we give up with STORE_ETEMP.  These locks are held only
 * while a file is read or written, never for a whole POP session; the
 * session's exclusivity is store.c's maildrop lock.
 */
#ifndef POLYPOP_MBOX_LOCK_H
#define POLYPOP_MBOX_LOCK_H

#include <stddef.h>
#include <sys/types.h>

#define MBOX_LOCK_WAIT		10000	/* ms */
#define MBOX_LOCK_STALE		300	/* s, as liblockfile */

struct mbox_lock {
	char *dotpath;		/* FILE.lock while held, malloc'd */
	int fd;			/* the locked file, O_RDWR; -1 if none */
};

/*
 * Take both locks on PATH and open it (O_RDWR, and with CREATE a missing
 * file is created mode 0600).  The fd is checked to still name PATH after
 * locking, so a file renamed over PATH meanwhile is never written to.
 * Returns 0, STORE_ENOFOLDER (missing and !CREATE), STORE_ETEMP (timeout),
 * STORE_EPERM or STORE_ENOMEM.
 */
int mbox_lock_open(struct mbox_lock *lk, const char *path, int create,
    char *err, size_t errlen);

/*
 * For a shared reader (store_open_shared), who may not be able to write
 * the directory: wait until no dotlock is held (without taking one), then
 * open PATH read-only under an fcntl read lock, which any number of
 * readers can hold at once and which keeps fcntl-honouring writers (our
 * own delivery among them) out until it is released.  No file is
 * created: a missing one is STORE_ENOFOLDER.
 */
int mbox_lock_open_shared(struct mbox_lock *lk, const char *path,
    char *err, size_t errlen);

/* After reading SIZE octets under a shared lock: did the file stay that
 * size with no dotlock appearing?  A writer that honours only the dotlock
 * may have been appending meanwhile if not. */
int mbox_lock_quiet(const struct mbox_lock *lk, const char *path,
    off_t size);

/* Drop both locks.  With KEEP the file stays open and its descriptor is
 * returned (a snapshot keeps reading it unlocked); otherwise it is closed
 * and -1 returned. */
int mbox_lock_release(struct mbox_lock *lk, int keep);

/* Tests shorten the waits; 0 restores the defaults above. */
void mbox_lock_set_timeouts(unsigned int wait_ms, unsigned int stale_s);

#endif /* POLYPOP_MBOX_LOCK_H */
