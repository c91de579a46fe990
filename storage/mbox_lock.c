/*
 * mbox_lock.c - dotlock + fcntl locking of an mbox file (see mbox_lock.h).
 */

#define _GNU_SOURCE		/* F_OFD_SETLK */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store_impl.h"
#include "mbox_lock.h"

/* Poll interval while a lock is busy: short enough that delivery barely
 * notices a POP commit, long enough not to spin. */
#define MBOX_LOCK_POLL_MS	50

static unsigned int mbox_lock_wait_ms = MBOX_LOCK_WAIT;
static unsigned int mbox_lock_stale_s = MBOX_LOCK_STALE;

void
mbox_lock_set_timeouts(unsigned int wait_ms, unsigned int stale_s)
{
	mbox_lock_wait_ms = wait_ms != 0 ? wait_ms : MBOX_LOCK_WAIT;
	mbox_lock_stale_s = stale_s != 0 ? stale_s : MBOX_LOCK_STALE;
}

static long long
mbox_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
mbox_sleep_ms(unsigned int ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * Remove DOTPATH if it is older than the stale limit: its owner crashed.
 * The lock is re-examined just before unlink so that a lock another
 * process has meanwhile broken and re-created is left alone (a window
 * remains between that check and unlink(); every dotlock user shares it).
 */
static void
mbox_dotlock_break_stale(const char *dotpath)
{
	struct stat a, b;

	if (lstat(dotpath, &a) == -1)
		return;
	if (time(NULL) - a.st_mtime < (time_t)mbox_lock_stale_s)
		return;
	if (lstat(dotpath, &b) == -1 || a.st_ino != b.st_ino ||
	    a.st_dev != b.st_dev || a.st_mtime != b.st_mtime)
		return;
	(void)unlink(dotpath);
}

/* One attempt at the dotlock: 0, 1 when busy, or a STORE_E* code. */
static int
mbox_dotlock_try(const char *dotpath, char *err, size_t errlen)
{
	char pid[32];
	int fd, n;

	fd = open(dotpath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd == -1) {
		if (errno == EEXIST) {
			mbox_dotlock_break_stale(dotpath);
			return 1;
		}
		return store__fail(err, errlen,
		    errno == EACCES || errno == EPERM || errno == EROFS ?
		    STORE_EPERM : STORE_ETEMP,
		    "cannot create %s: %s", dotpath, strerror(errno));
	}
	/* The owner's pid, as other dotlock users write it; only a hint. */
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (write(fd, pid, (size_t)n) != n) {
		/* Not fatal: the lock is the file's existence. */
	}
	close(fd);
	return 0;
}

/* One attempt at the fcntl lock of TYPE (F_WRLCK, or F_RDLCK for a
 * shared reader): 0, 1 when busy, or an error. */
static int
mbox_fcntl_try(int fd, short type, char *err, size_t errlen)
{
	struct flock fl;
	int cmd;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
	/*
	 * Open-file-description locks conflict with classic fcntl locks of
	 * other programs, but unlike those they also conflict between threads
	 * of this process and are not dropped when some other descriptor of
	 * the same file is closed (a reader's, or deliver's).
	 */
	cmd = F_OFD_SETLK;
#else
	cmd = F_SETLK;
#endif
	if (fcntl(fd, cmd, &fl) == 0)
		return 0;
	if (errno == EAGAIN || errno == EACCES || errno == EINTR)
		return 1;
	return store__fail(err, errlen, STORE_ETEMP, "fcntl lock: %s",
	    strerror(errno));
}

static void
mbox_fcntl_unlock(int fd)
{
	struct flock fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
#ifdef F_OFD_SETLK
	(void)fcntl(fd, F_OFD_SETLK, &fl);
#else
	(void)fcntl(fd, F_SETLK, &fl);
#endif
}

/* Open PATH for the lock: a regular file, never through a symlink (a user
 * could otherwise point their mailbox at a file they may not read).
 * CREATE < 0 opens it read-only, for a shared reader. */
static int
mbox_lock_openfile(const char *path, int create, char *err, size_t errlen)
{
	struct stat sb;
	int fd, flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC;

	if (create > 0)
		flags |= O_CREAT;
	if (create < 0)
		flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC;
	if ((fd = open(path, flags, 0600)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return store__fail(err, errlen, STORE_ENOFOLDER,
			    "%s: no such mailbox", path);
		return store__fail(err, errlen,
		    errno == EACCES || errno == EPERM || errno == ELOOP ?
		    STORE_EPERM : STORE_ETEMP, "%s: %s", path,
		    strerror(errno));
	}
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return store__fail(err, errlen, STORE_EPERM,
		    "%s: not a regular file", path);
	}
	return fd;
}

/* Does FD still name PATH?  A program that replaced the file by rename
 * while we waited leaves us holding a lock on an orphan. */
static int
mbox_lock_same(int fd, const char *path)
{
	struct stat a, b;

	if (fstat(fd, &a) == -1 || lstat(path, &b) == -1)
		return 0;
	return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int
mbox_lock_open(struct mbox_lock *lk, const char *path, int create,
    char *err, size_t errlen)
{
	long long deadline = mbox_now_ms() + mbox_lock_wait_ms;
	size_t n = strlen(path) + sizeof(".lock");
	int fd, rc;

	lk->fd = -1;
	if ((lk->dotpath = malloc(n)) == NULL)
		return STORE_ENOMEM;
	snprintf(lk->dotpath, n, "%s.lock", path);
	for (;;) {
		if ((rc = mbox_dotlock_try(lk->dotpath, err, errlen)) < 0)
			break;
		if (rc == 0) {
			if ((fd = mbox_lock_openfile(path, create, err,
			    errlen)) < 0) {
				rc = fd;
				(void)unlink(lk->dotpath);
				break;
			}
			if ((rc = mbox_fcntl_try(fd, F_WRLCK, err, errlen)) == 0 &&
			    mbox_lock_same(fd, path)) {
				lk->fd = fd;
				return 0;
			}
			/* Busy or replaced: let go of everything. */
			close(fd);
			(void)unlink(lk->dotpath);
			if (rc < 0)
				break;
		}
		if (mbox_now_ms() >= deadline) {
			rc = store__fail(err, errlen, STORE_ETEMP,
			    "%s: mailbox locked by another program", path);
			break;
		}
		mbox_sleep_ms(MBOX_LOCK_POLL_MS);
	}
	free(lk->dotpath);
	lk->dotpath = NULL;
	return rc;
}

int
mbox_lock_release(struct mbox_lock *lk, int keep)
{
	int fd = lk->fd;

	if (fd != -1) {
		mbox_fcntl_unlock(fd);
		if (!keep) {
			close(fd);
			fd = -1;
		}
		lk->fd = -1;
	}
	if (lk->dotpath != NULL) {
		(void)unlink(lk->dotpath);
		free(lk->dotpath);
		lk->dotpath = NULL;
	}
	return fd;
}

/* Is a dotlock on PATH held (a lock file that is not stale)?  A reader
 * may not create one, but it can wait for a writer's to go away. */
static int
mbox_dotlock_held(const char *path)
{
	char dotpath[PATH_MAX];
	struct stat sb;

	if ((size_t)snprintf(dotpath, sizeof(dotpath), "%s.lock", path) >=
	    sizeof(dotpath) || lstat(dotpath, &sb) == -1)
		return 0;
	return time(NULL) - sb.st_mtime < (time_t)mbox_lock_stale_s;
}

int
mbox_lock_open_shared(struct mbox_lock *lk, const char *path, char *err,
    size_t errlen)
{
	long long deadline = mbox_now_ms() + mbox_lock_wait_ms;
	int fd, rc;

	lk->fd = -1;
	lk->dotpath = NULL;	/* never ours: release must not unlink it */
	for (;;) {
		if (!mbox_dotlock_held(path)) {
			if ((fd = mbox_lock_openfile(path, -1, err,
			    errlen)) < 0)
				return fd;
			if ((rc = mbox_fcntl_try(fd, F_RDLCK, err,
			    errlen)) == 0 && mbox_lock_same(fd, path)) {
				lk->fd = fd;
				return 0;
			}
			close(fd);
			if (rc < 0)
				return rc;
		}
		if (mbox_now_ms() >= deadline)
			return store__fail(err, errlen, STORE_ETEMP,
			    "%s: mailbox locked by another program", path);
		mbox_sleep_ms(MBOX_LOCK_POLL_MS);
	}
}

int
mbox_lock_quiet(const struct mbox_lock *lk, const char *path, off_t size)
{
	struct stat sb;

	if (fstat(lk->fd, &sb) == -1 || sb.st_size != size)
		return 0;
	return !mbox_dotlock_held(path);
}
