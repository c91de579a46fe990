/*
 * msgfilter.c - shapes a CRLF-normalised message for the wire.
 *
 * One octet at a time, so a chunk may end anywhere (inside a CRLF, right
 * after a '.' that still needs its stuffing) and the next call carries on.
 *
 * What ends a line.  The store hands us lines that end in CRLF, with a
 * lone CR possibly inside a line.  We treat every LF as the end of a line,
 * CR or not: should a bare LF ever slip through, a client that splits on
 * LF alone must still not see an unstuffed "." line and end the reply
 * early (RFC 1939 §3).  A lone CR never ends a line.
 *
 * What is the blank line.  For TOP (RFC 1939 §7) the header ends at the
 * first line with no octets but its terminator: "\r\n" (or a bare "\n").
 */

#include <assert.h>

#include "msgfilter.h"

void
msgfilter_init(struct msgfilter *f, int dot_stuff, long body_lines)
{
	f->dot_stuff = dot_stuff;
	f->body_lines = body_lines < 0 ? -1 : body_lines;
	f->at_line_start = 1;
	f->in_body = 0;
	f->prev_cr = 0;
	f->header_line_empty = 1;
	f->lines_sent = 0;
	f->done = 0;
}

/* One line, ending in LF, has gone out: advance the TOP bookkeeping. */
static void
msgfilter_eol(struct msgfilter *f)
{
	if (!f->in_body) {
		/* "\r\n" or "\n" alone: the header is over. */
		if (f->header_line_empty) {
			f->in_body = 1;
			if (f->body_lines == 0)
				f->done = 1;
		}
	} else {
		f->lines_sent++;
		if (f->body_lines >= 0 && f->lines_sent >= f->body_lines)
			f->done = 1;
	}
	f->at_line_start = 1;
	f->header_line_empty = 1;
	f->prev_cr = 0;
}

/*
 * Note what octet C (not an LF) does to the current line: the line stays
 * "empty" only while it holds at most one CR, which would be the CR of
 * its CRLF.
 */
static void
msgfilter_octet(struct msgfilter *f, unsigned char c)
{
	if (f->prev_cr || c != '\r')
		f->header_line_empty = 0;
	f->prev_cr = c == '\r';
	f->at_line_start = 0;
}

size_t
msgfilter_run(struct msgfilter *f, const char *in, size_t inlen,
    size_t *used, char *out, size_t outcap)
{
	size_t i, o;
	unsigned char c;

	/* A '.' may become "..", and it must go out whole. */
	assert(outcap >= 2);
	o = 0;
	for (i = 0; i < inlen && !f->done; i++) {
		c = (unsigned char)in[i];
		if (f->dot_stuff && f->at_line_start && c == '.') {
			/* RFC 1939 §3: byte-stuff the termination octet. */
			if (outcap - o < 2)
				break;
			out[o++] = '.';
		} else if (o == outcap)
			break;
		out[o++] = (char)c;
		if (c == '\n')
			msgfilter_eol(f);
		else
			msgfilter_octet(f, c);
	}
	/* RFC 1939 §7: past the last wanted line, swallow the rest. */
	if (f->done)
		i = inlen;
	*used = i;
	return o;
}

int
msgfilter_done(const struct msgfilter *f)
{
	return f->done;
}

size_t
msgfilter_finish(struct msgfilter *f, char *out)
{
	size_t o = 0;

	if (!f->dot_stuff)
		return 0;
	/*
	 * The store ends every message with CRLF, so this is normally just
	 * ".\r\n".  Should the last line lack its LF, close it first: the
	 * terminator must be a line of its own (RFC 1939 §3, "CRLF.CRLF").
	 */
	if (!f->at_line_start) {
		out[o++] = '\r';
		out[o++] = '\n';
		f->at_line_start = 1;
	}
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	return o;
}

/* --- header scan (RFC 6856 §2.1) ----------------------------------------- */

void
msghdr_scan_init(struct msghdr_scan *h)
{
	h->seen = 0;
	h->at_line_start = 1;
	h->prev_cr = 0;		/* here: the line so far is a lone CR */
	h->result = -1;
}

int
msghdr_scan_run(struct msghdr_scan *h, const char *in, size_t inlen)
{
	size_t k;
	unsigned char c;

	for (k = 0; k < inlen && h->result < 0; k++) {
		c = (unsigned char)in[k];
		if (h->seen++ >= MSGHDR_SCAN_MAX) {
			h->result = 1;
			break;
		}
		if (c >= 0x80) {
			h->result = 1;
			break;
		}
		/* The blank line, as msgfilter_run() sees it: "\r\n" or
		 * a bare "\n" with nothing before it on its line. */
		if (c == '\n') {
			if (h->at_line_start || h->prev_cr) {
				h->result = 0;
				break;
			}
			h->at_line_start = 1;
			h->prev_cr = 0;
			continue;
		}
		h->prev_cr = c == '\r' && h->at_line_start;
		h->at_line_start = 0;
	}
	return h->result;
}

int
msghdr_scan_finish(struct msghdr_scan *h)
{
	if (h->result < 0)
		h->result = 0;
	return h->result;
}
