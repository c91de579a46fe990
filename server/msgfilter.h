/*
 * msgfilter.h - shapes a CRLF-normalised message for the wire.
 *
 * POP3 byte-stuffs every line that begins with '.' and ends a multi-line
 * reply with ".\r\n" (RFC 1939 §3); TOP sends the header, the blank line
 * and N body lines (RFC 1939 §7).  POP2 sends the octets untouched
 * (RFC 937).  The input is what store_reader_read() produces: every line
 * ends in CRLF.  Pure and resumable: feed chunks of any size.
 */
#ifndef POLYPOP_MSGFILTER_H
#define POLYPOP_MSGFILTER_H

#include <stddef.h>

struct msgfilter {
	int dot_stuff;
	long body_lines;	/* -1: all */
	/* Internal state. */
	int at_line_start;
	int in_body;
	int prev_cr;
	int header_line_empty;	/* current header line has no octets yet */
	long lines_sent;	/* body lines completed */
	int done;		/* TOP limit reached: ignore further input */
};

void msgfilter_init(struct msgfilter *f, int dot_stuff, long body_lines);
/*
 * Filter IN into OUT.  Returns octets written to OUT and sets *used to the
 * octets of IN consumed.  OUTCAP must be at least 2; each input octet
 * expands to at most 2.  Once the TOP limit is reached, all remaining
 * input is consumed and nothing is written.
 */
size_t msgfilter_run(struct msgfilter *f, const char *in, size_t inlen,
    size_t *used, char *out, size_t outcap);
/* Nonzero once no more input is wanted (TOP limit reached). */
int msgfilter_done(const struct msgfilter *f);
/* The terminating line for a dot-stuffed reply: ".\r\n".  Returns its
 * length written into OUT (5 octets of space suffice); 0 when not
 * dot-stuffing. */
size_t msgfilter_finish(struct msgfilter *f, char *out);

/*
 * Header scan for RFC 6856 §2.1: does the header section (up to and
 * including the first empty line, or the whole message when there is
 * none) hold an octet >= 0x80?  Fed the same CRLF-normalised chunks as
 * msgfilter_run().  Bounded: after MSGHDR_SCAN_MAX octets of header
 * without its end the answer is "yes" (a header section that long is
 * refused rather than read further; see docs/pop3.md "UTF8").  Pure
 * and resumable.
 */
#define MSGHDR_SCAN_MAX	(256 * 1024)

struct msghdr_scan {
	size_t seen;		/* header octets looked at */
	int at_line_start;
	int prev_cr;
	int result;		/* -1 undecided, 0 no 8-bit octet, 1 8-bit */
};

void msghdr_scan_init(struct msghdr_scan *h);
/* Look at IN; returns the result so far (-1: feed more). */
int msghdr_scan_run(struct msghdr_scan *h, const char *in, size_t inlen);
/* End of message reached: the whole message was header. */
int msghdr_scan_finish(struct msghdr_scan *h);

#endif /* POLYPOP_MSGFILTER_H */
