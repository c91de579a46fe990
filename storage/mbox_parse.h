/*
 * mbox_parse.h - pure mbox byte transformations (no I/O, no allocation).
 *
 * Four pieces, each fed in chunks of any size (a file is streamed with a
 * bounded buffer, never read whole):
 *
 *   mbox_parser   splits an mbox file into messages and measures each one;
 *   mbox_status   finds a Status: header saying the message was read;
 *   mbox_unquote  undoes mboxrd quoting when a message is read;
 *   mbox_encode   LF-normalises and mboxrd-quotes a message being delivered.
 *
 * The separator rule (RFC 4155 Appendix A, as conventional readers apply
 * it): a line beginning with the five octets "From " is a separator when it
 * is the first line of the file or the line before it is empty ("\n" or
 * "\r\n").  The message is every octet after the separator's line end up
 * to, not including, the empty line before the next separator; that empty
 * line, like a final empty line at end of file, belongs to the separator.
 * Content-Length headers are ignored: they are unreliable and mboxrd
 * quoting makes them unnecessary.  docs/storage.md (mbox) has the details.
 */
#ifndef POLYPOP_MBOX_PARSE_H
#define POLYPOP_MBOX_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "store_impl.h"

/* Octets of the From_ line and of the message start that identify a
 * message in the uid side file (see mbox__fingerprint() in mbox.h). */
#define MBOX_FROMLINE_MAX	1024
#define MBOX_HEAD_MAX		512

/*
 * The Status: header (mutt, Pine, UW and Dovecot write it): a message whose
 * header holds "Status:" with an 'R' in its value has been read.  Fed the
 * raw octets of a message in chunks; looks no further than the empty line
 * that ends the header.  Implemented in mbox_seen.c.
 */
struct mbox_status {
	int state;		/* SS_* in mbox_seen.c */
	unsigned int match;	/* octets of "status:" matched */
	int in_status;		/* the current field is Status: */
	int seen;		/* found R */
};
void mbox_status_init(struct mbox_status *s);
void mbox_status_feed(struct mbox_status *s, const char *in, size_t len);

/* What the parser reports for each message. */
struct mbox_msginfo {
	off_t from_off;		/* first octet of the From_ line */
	off_t offset;		/* first octet after the From_ line */
	off_t length;		/* raw octets of the message */
	off_t keylen;		/* LENGTH less a final LF or CRLF */
	uint64_t wire;		/* size unquoted and CRLF-normalised */
	size_t fromlen;		/* From_ line less line end, truncated */
	size_t headlen;		/* min(KEYLEN, MBOX_HEAD_MAX) */
	int status_seen;	/* Status: holds R (mbox_status) */
	char fromline[MBOX_FROMLINE_MAX + 1];
	char head[MBOX_HEAD_MAX];
};

/*
 * mboxrd unquoting: a line matching ^>+From  loses one '>'.  The state is
 * carried across chunks; OUT must have room for LEN + MBOX_UNQUOTE_SLACK
 * octets (octets held back from an earlier chunk may be released).
 */
#define MBOX_UNQUOTE_SLACK	5
struct mbox_unquote {
	int state;		/* UQ_* in mbox_parse.c */
	int held;		/* one '>' is held back */
	unsigned int from;	/* octets of "From " matched */
};
void mbox_unquote_init(struct mbox_unquote *u);
size_t mbox_unquote(struct mbox_unquote *u, const char *in, size_t len,
    char *out);
/* At end of input: release what is held (at most SLACK octets). */
size_t mbox_unquote_finish(struct mbox_unquote *u, char *out);

/*
 * Delivery encoding: CRLF becomes LF (unless the CR follows another CR, so
 * that a lone CR keeps its meaning), lines matching ^>*From  get one more
 * '>', and finish supplies a missing final line end.  OUT must have room
 * for 2 * LEN + MBOX_ENCODE_SLACK octets.  For every input X,
 * crlf(unquote(encode(X))) equals crlf(X): what POP clients get is what
 * the sender sent, with CRLF line ends.
 */
#define MBOX_ENCODE_SLACK	8
struct mbox_encode {
	int state;		/* EN_* in mbox_parse.c */
	unsigned int from;	/* octets of "From " held back */
	int cr;			/* a CR is held back */
	int cr_after_cr;	/* ... and the octet before it was a CR */
	int last;		/* last octet emitted, or -1 */
};
void mbox_encode_init(struct mbox_encode *e);
size_t mbox_encode(struct mbox_encode *e, const char *in, size_t len,
    char *out);
size_t mbox_encode_finish(struct mbox_encode *e, char *out);

/*
 * The splitter.  Feed the file from offset 0 in chunks; CB is called once
 * per message, in order, as soon as its end is known (the last one from
 * mbox_parse_finish).  A non-zero return from CB stops the parse and is
 * returned.  Octets before the first separator (not an mbox, or junk) are
 * not a message: LEAD says how many there were.
 */
typedef int (*mbox_msg_cb)(const struct mbox_msginfo *m, void *arg);

/* Counting state at the start of a line, kept so that the empty line
 * before a separator can be taken back out of the message. */
struct mbox_linemark {
	off_t off;
	struct store_crlf crlf;
	uint64_t wire;
	int eol;		/* octets of the line end before OFF: 0, 1, 2 */
};

struct mbox_parser {
	off_t off;		/* file offset of the next octet */
	off_t lead;		/* octets before the first separator */
	int seen_sep;
	int in_from;		/* inside a From_ line */
	int in_msg;
	int prev_empty;		/* last full line was empty, or BOF */
	size_t linelen;		/* octets of this line, without LF */
	int first;		/* first octet of the current line */
	int last;		/* last octet of the current line */
	unsigned int match;	/* octets of "From " matched at line start */
	int matching;		/* this line may still be a separator */
	struct mbox_unquote uq;
	struct mbox_status status;
	struct store_crlf crlf;
	uint64_t wire;
	struct mbox_linemark cur, prev;
	struct mbox_msginfo msg;
	mbox_msg_cb cb;
	void *arg;
};

void mbox_parse_init(struct mbox_parser *p, mbox_msg_cb cb, void *arg);
int mbox_parse(struct mbox_parser *p, const char *buf, size_t len);
int mbox_parse_finish(struct mbox_parser *p);

/*
 * The arrival time in a From_ line (LINE, LEN octets, starting "From "),
 * for store_arrival(): the ctime-like date after the address, read as UTC
 * unless a numeric zone follows it.  0 when there is none or it is not a
 * valid date.  Implemented in mbox_date.c.
 */
time_t mbox_from_date(const char *line, size_t len);

/*
 * Does a file that ends with TAIL (its last TAILLEN <= 3 octets; FILESIZE
 * in all) need octets before a new "From " line can start a message?
 * Writes them (at most 3) to OUT and returns how many.  A file ending in a
 * lone CR gets "\r\n\n", which keeps that message's wire form unchanged.
 */
size_t mbox_sep_fixup(const char *tail, size_t taillen, off_t filesize,
    char *out);

#endif /* POLYPOP_MBOX_PARSE_H */
