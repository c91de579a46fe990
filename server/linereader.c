/*
 * linereader.c - the only place bytes from a client become lines.
 *
 * The buffer holds [start, end) unconsumed octets; the first `scanned' of
 * them are known to hold no LF, so each octet is searched once however the
 * input is split (no O(n^2) rescans on a slow client).
 *
 * Over-long lines.  A line is too long when, terminator included, it is
 * longer than max octets.  Its terminator is at least the LF, so once max
 * octets of a line are buffered without an LF the verdict is known.  We
 * report LINEREADER_TOOLONG at that moment, not when the LF finally
 * arrives: a client that streams octets and never sends an LF still gets
 * told (and can be hung up on) instead of being read forever in silence.
 * The rest of the line, through its LF, is then dropped as it arrives and
 * never reported again.  A line whose LF is already buffered when it is
 * found too long is reported the same way, once.
 *
 * Because an incomplete line is never allowed to reach max octets, at most
 * max - 1 octets of it stay buffered; with max <= cap there is always room
 * to read once the complete lines have been taken, so the reader cannot
 * wedge itself with a full buffer and nothing to return.
 */

#include <assert.h>
#include <string.h>

#include "linereader.h"

void
linereader_init(struct linereader *lr, char *buf, size_t cap, size_t max)
{
	/* An empty line still needs its LF, so max 0 would refuse all. */
	assert(max > 0 && max <= cap);
	lr->buf = buf;
	lr->cap = cap;
	lr->max = max;
	lr->start = 0;
	lr->end = 0;
	lr->scanned = 0;
	lr->discarding = 0;
}

char *
linereader_space(struct linereader *lr, size_t *len)
{
	size_t pending = lr->end - lr->start;

	if (pending == 0) {
		/* Nothing to keep: rewind for free. */
		lr->start = lr->end = 0;
	} else if (lr->start > 0 && lr->start >= lr->cap - lr->end) {
		/*
		 * Compact only when the gap at the front is at least as big
		 * as the free tail: the copy then at least doubles the room,
		 * and a full buffer with consumed octets at the front is
		 * always compacted.  The tail is normally a partial line
		 * (< max octets), so the copy is short.
		 */
		memmove(lr->buf, lr->buf + lr->start, pending);
		lr->start = 0;
		lr->end = pending;
	}
	*len = lr->cap - lr->end;
	return lr->buf + lr->end;
}

void
linereader_commit(struct linereader *lr, size_t n)
{
	assert(n <= lr->cap - lr->end);
	lr->end += n;
}

/*
 * Drop octets of an over-long line up to and including its LF.  Returns
 * nonzero when the LF was found, that is, the next octet starts a line.
 */
static int
linereader_skip(struct linereader *lr)
{
	const char *lf;

	lf = memchr(lr->buf + lr->start, '\n', lr->end - lr->start);
	if (lf == NULL) {
		lr->start = lr->end;
		return 0;
	}
	lr->start = (size_t)(lf - lr->buf) + 1;
	lr->discarding = 0;
	return 1;
}

int
linereader_next(struct linereader *lr, const char **line, size_t *len)
{
	const char *p, *lf;
	size_t avail, lim, n;

	/* Defined on every return, so a caller's trace never reads junk. */
	*line = NULL;
	*len = 0;
	if (lr->discarding) {
		lr->scanned = 0;
		if (!linereader_skip(lr))
			return LINEREADER_AGAIN;
	}

	avail = lr->end - lr->start;
	/* An LF at offset max or later ends a line that is too long anyway. */
	lim = avail < lr->max ? avail : lr->max;
	p = lr->buf + lr->start;
	lf = NULL;
	if (lim > lr->scanned)
		lf = memchr(p + lr->scanned, '\n', lim - lr->scanned);
	if (lf != NULL) {
		n = (size_t)(lf - p);
		lr->start += n + 1;
		lr->scanned = 0;
		/*
		 * Only a CR directly before the LF is part of the terminator;
		 * a CR elsewhere is data and the protocol judges it.  A bare
		 * LF is accepted (lenient, as popa3d is).
		 */
		if (n > 0 && p[n - 1] == '\r')
			n--;
		*line = p;
		*len = n;
		return LINEREADER_LINE;
	}
	lr->scanned = lim;
	if (lim < lr->max)
		return LINEREADER_AGAIN;

	/* max octets and no LF: too long whatever follows. */
	lr->start += lr->max;
	lr->scanned = 0;
	lr->discarding = 1;
	linereader_skip(lr);
	return LINEREADER_TOOLONG;
}

size_t
linereader_pending(const struct linereader *lr)
{
	return lr->end - lr->start;
}
