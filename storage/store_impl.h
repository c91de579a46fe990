/*
 * store_impl.h - what store.c shares with its backends (maildir.c, mbox.c).
 * Protocol modules never include this file.
 *
 * store.c owns everything that does not depend on the format: location
 * parsing and %u/%h expansion, the process-wide maildrop lock registry,
 * deletion marks, and turning a backend's raw byte source into the
 * CRLF-normalised stream of store_reader_read().  A backend fills in the
 * message table at open, produces raw message bytes (already unquoted, in
 * the mbox case), and knows how to commit and deliver.
 */
#ifndef POLYPOP_STORE_IMPL_H
#define POLYPOP_STORE_IMPL_H

#include "store.h"

#include <stdio.h>
#include <time.h>

struct store_msg {
	uint64_t size;		/* wire size, see store.h */
	char *uid;		/* malloc'd */
	int deleted;
	int seen;		/* seen on disk: at open, or by our commit */
	int seen_mark;		/* marked by this session, not committed */
	time_t arrival;		/* store_arrival(); 0 when unknown */
	/* Backend-private location of the message. */
	char *name;		/* maildir: path relative to the Maildir */
	off_t offset;		/* mbox: first octet after the From_ line */
	off_t length;		/* mbox: raw octets up to the separator */
};

/* A raw source of one message's octets (before CRLF normalisation). */
struct store_rawsrc {
	/* Returns octets read, 0 at end, or a negative STORE_E* code. */
	ssize_t (*read)(struct store_rawsrc *src, char *buf, size_t len);
	void (*close)(struct store_rawsrc *src);
};

struct store_backend {
	const char *name;
	/* Fill st->msgs/st->count (and each msg's seen) from st->path.
	 * With st->readonly: create nothing, a missing folder is
	 * STORE_ENOFOLDER, and take no lock that excludes other readers. */
	int (*open)(struct store *st, char *err, size_t errlen);
	int (*rawsrc_open)(struct store *st, size_t i,
	    struct store_rawsrc **out);
	/* Remove messages with deleted set and write the seen_mark of the
	 * others; on success drop the deleted from st->msgs (store.c then
	 * folds seen_mark into seen).  On failure, marks already written
	 * are folded by the backend. */
	int (*commit)(struct store *st, char *err, size_t errlen);
	void (*close)(struct store *st);	/* free st->priv */
	/* PATH is the expanded folder path; create the folder if missing. */
	int (*deliver)(const char *path, int fd, const char *envelope_from,
	    char *err, size_t errlen);
	/* PATH is the expanded location root. */
	int (*list_folders)(const char *root, const char *inbox,
	    void (*cb)(const char *name, void *arg), void *arg);
};

struct store {
	const struct store_backend *be;
	char *path;		/* expanded: Maildir dir, or mbox file */
	char *lock_key;		/* identity in the maildrop lock registry,
				 * NULL when read-only (no lock taken) */
	int readonly;		/* store_open_shared(): commits nothing */
	struct store_msg *msgs;
	size_t count;
	void *priv;		/* backend state */
};

extern const struct store_backend store__maildir;
extern const struct store_backend store__mbox;

/* Formatted error helper: writes into ERR (if non-NULL) and returns CODE. */
int store__fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Free the message table (uids and names too). */
void store__free_msgs(struct store *st);

/*
 * CRLF normalisation, shared by the reader and by size computation.  Pure.
 * Bare LF becomes CRLF, CRLF stays, a lone CR is kept; at end of input a
 * message that is non-empty and does not end in LF gets CRLF appended.
 */
struct store_crlf {
	int prev_cr;		/* last input octet was CR */
	int last_lf;		/* last input octet was LF */
	int any;		/* at least one octet seen */
};
/* Convert from IN into OUT; returns octets written, sets *used to octets
 * consumed (stops when OUT cannot take the next expansion). */
size_t store__crlf_conv(struct store_crlf *s, const char *in, size_t inlen,
    size_t *used, char *out, size_t outcap);
/* Octets still to emit at end of input (0 or 2), written to OUT[0..1]. */
size_t store__crlf_finish(struct store_crlf *s, char out[2]);
/* Wire size of a buffer fed in pieces: add each piece, then finish. */
uint64_t store__crlf_count(struct store_crlf *s, const char *in, size_t len);
uint64_t store__crlf_count_finish(struct store_crlf *s);

#endif /* POLYPOP_STORE_IMPL_H */
