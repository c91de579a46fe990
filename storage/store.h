/*
 * store.h - the one mailbox interface every protocol and `deliver` use.
 *
 * A protocol module sees mail only through this header: it never opens a
 * file, never sees a path.  A folder is opened as a *snapshot*: the list of
 * messages (count, wire size, unique id) is fixed at open time, as RFC 1939
 * §4 wants ("the POP3 server ... acquires an exclusive-access lock on the
 * maildrop").  Mail that arrives while a snapshot is open is not shown to
 * that session and is never lost by its commit.
 *
 * Sizes are "wire sizes": the number of octets the message occupies once
 * every bare LF is turned into CRLF and a missing final line ending is
 * supplied, before any POP3 byte-stuffing.  That is what POP3 LIST/STAT
 * report (RFC 1939 §11) and exactly what POP2 `=nnn` announces and RETR
 * sends (RFC 937).
 *
 * Functions return 0 or a negative STORE_E* code; they may block on disk
 * and are meant to run on a worker thread (the server core puts them on the
 * libuv threadpool).  One struct store is used by one thread at a time.
 */
#ifndef POLYPOP_STORE_H
#define POLYPOP_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum store_err {
	STORE_OK = 0,
	STORE_EINUSE = -1,	/* another session holds the maildrop lock */
	STORE_ENOFOLDER = -2,	/* no such folder */
	STORE_ETEMP = -3,	/* transient failure: lock timeout, I/O error */
	STORE_EPERM = -4,	/* permanent failure: permission, corruption */
	STORE_EINVAL = -5,	/* bad argument: message number, user name */
	STORE_ENOMEM = -6,
	STORE_ECHANGED = -7,	/* mailbox was rewritten by another program */
};

/* A short English description of a STORE_E* code, for logs and -ERR text. */
const char *store_strerror(int err);

enum store_kind {
	STORE_MAILDIR,
	STORE_MBOX,
};

/*
 * A parsed --mail LOCATION (subset of Dovecot's mail_location):
 *   maildir:PATH                  INBOX is PATH, folder F is PATH/.F
 *   mbox:PATH[:INBOX=FILE]        folder F is PATH/F, INBOX is FILE or
 *                                 PATH/inbox
 * PATH and FILE may contain %u (user name) and %h (home directory); they are
 * kept unexpanded here and expanded per user by store_open().
 */
struct store_location {
	enum store_kind kind;
	char *path;		/* template, malloc'd */
	char *inbox;		/* template or NULL (mbox only), malloc'd */
};

/* Parse SPEC into LOC.  Pure.  On error returns STORE_EINVAL and writes a
 * reason into ERR. */
int store_location_parse(const char *spec, struct store_location *loc,
    char *err, size_t errlen);
void store_location_free(struct store_location *loc);

/* Who the mailbox belongs to, for %u / %h expansion. */
struct store_user {
	const char *name;	/* already checked by store_user_name_ok() */
	const char *home;	/* may be NULL or "" */
};

/*
 * A user name is refused if it could escape the mail path: empty, "/",
 * "..", a leading '.', NUL or control characters, or longer than 255
 * octets.  Pure; returns 1 when the name is acceptable.
 */
int store_user_name_ok(const char *name, size_t len);

/* A folder name for store_open(): NULL or "INBOX" (any case) is the inbox.
 * Other names follow the same rules as user names. */

struct store;

/*
 * Open FOLDER of USER as a snapshot and take the maildrop lock.  The lock
 * is shared by every protocol in this process (RFC 1939 §8, and the POP2
 * and POP1 modules use the same one): a second open of the same folder
 * fails with STORE_EINUSE until the first is closed.  A missing INBOX is
 * created empty (new users have no mail yet); a missing other folder is
 * STORE_ENOFOLDER.
 */
int store_open(const struct store_location *loc, const struct store_user *u,
    const char *folder, struct store **out, char *err, size_t errlen);

/* Open FOLDER of USER as a read-only snapshot without taking the
 * maildrop lock, so any number of sessions can read it at once (RFC 1082
 * discussion groups).  A missing folder (INBOX included) is
 * STORE_ENOFOLDER; nothing is created.  On such a store
 * store_set_deleted() and store_set_seen() return STORE_EPERM and
 * store_commit() commits nothing and returns 0. */
int store_open_shared(const struct store_location *loc,
    const struct store_user *u, const char *folder, struct store **out,
    char *err, size_t errlen);
int store_is_readonly(const struct store *st);

size_t store_count(const struct store *st);
/* I is 0-based.  The unique id is 1..70 characters of 0x21..0x7E, stable
 * across sessions, restarts and other messages' arrival or deletion, and
 * never reused for another message (RFC 1939 §7 UIDL). */
uint64_t store_size(const struct store *st, size_t i);
const char *store_uid(const struct store *st, size_t i);
/* Sum of wire sizes of all messages in the snapshot (deleted or not). */
uint64_t store_total_size(const struct store *st);
/* When message I arrived, for RFC 2449 EXPIRE: a Maildir file's mtime
 * (what delivery sets, and what Dovecot calls the received date), an mbox
 * message's "From " line date; 0 when unknown.  Read at open time. */
time_t store_arrival(const struct store *st, size_t i);

/* Deletion marks live in the store so that any protocol can use them.
 * Marking changes nothing on disk until store_commit().  On a read-only
 * store (store_open_shared) store_set_deleted() is STORE_EPERM. */
int store_set_deleted(struct store *st, size_t i, int deleted);
int store_is_deleted(const struct store *st, size_t i);
void store_undelete_all(struct store *st);

/* Seen marks: a message counts as seen if an earlier session marked it
 * and committed, or another program did (Maildir "S" info flag; mbox
 * "Status:" header containing R).  Marking changes nothing on disk
 * until store_commit(); store_reset_seen() drops this session's marks.
 * They exist for POP3's historic LAST (RFC 1081 "The TRANSACTION State":
 * at login the server "determines the last message (if any) present in
 * the maildrop that was referenced by the RETR command"), which needs
 * earlier sessions' RETRs to survive the session. */
int store_is_seen(const struct store *st, size_t i);
int store_set_seen(struct store *st, size_t i);   /* 0 or STORE_EINVAL */
void store_reset_seen(struct store *st);

/*
 * Remove every message marked deleted, atomically with respect to crashes:
 * afterwards either all marked messages are gone or (on error) none is, and
 * messages delivered since store_open() are kept in every case.  Seen
 * marks of the messages kept are written under the same rules (a message
 * is never lost or duplicated by it; a Maildir has no multi-file
 * transaction, see docs/storage.md).  With nothing marked deleted and no
 * new seen mark, nothing on disk is touched.  The snapshot stays open and
 * locked; deleted messages are cleared from it, and seen marks now count
 * as committed.
 */
int store_commit(struct store *st, char *err, size_t errlen);

/* Release the lock (if any) and free the snapshot.  Commits nothing. */
void store_close(struct store *st);

/*
 * Reading a message: a stream of CRLF-normalised chunks, never the whole
 * message in memory.  Exactly store_size() octets are produced in total.
 */
struct store_reader;
int store_reader_open(struct store *st, size_t i, struct store_reader **out);
/* Fill BUF with up to LEN octets.  Returns the count (0 at end) or a
 * negative STORE_E* code. */
ssize_t store_reader_read(struct store_reader *r, char *buf, size_t len);
void store_reader_close(struct store_reader *r);

/*
 * Append one message, read from file descriptor FD until end of file, to
 * FOLDER (NULL = INBOX) of USER, creating the folder if needed.  Maildir:
 * written into tmp/, fsync'd, renamed into new/.  mbox: under the same
 * dotlock + fcntl locks the server uses, with a "From " separator line
 * (ENVELOPE_FROM or MAILER-DAEMON) and mboxrd quoting of body lines.
 * Safe while a session has the folder open: that session's snapshot does
 * not change.  Does not take the maildrop lock (delivery never waits for a
 * POP session to end).
 */
int store_deliver(const struct store_location *loc, const struct store_user *u,
    const char *folder, int fd, const char *envelope_from,
    char *err, size_t errlen);

/*
 * List the folders of USER other than INBOX (for POP2 FOLD and docs).
 * Calls CB once per folder name.  Returns 0 or a STORE_E* code.
 */
int store_list_folders(const struct store_location *loc,
    const struct store_user *u,
    void (*cb)(const char *name, void *arg), void *arg);

#endif /* POLYPOP_STORE_H */
