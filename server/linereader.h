/*
 * linereader.h - the only place bytes from a client become lines.
 *
 * A fixed buffer of CAP octets, filled straight from the socket (the core's
 * libuv alloc callback hands out linereader_space()), so input never grows
 * memory: a client that sends faster than we process simply stops being
 * read.  Lines end in CRLF or a bare LF (tolerated, as popa3d does; old
 * clients on Unix sent bare LF).  A line longer than MAX octets (terminator
 * included) is thrown away up to its LF and reported once as
 * LINEREADER_TOOLONG.  Pure: no I/O, no allocation after init.
 */
#ifndef POLYPOP_LINEREADER_H
#define POLYPOP_LINEREADER_H

#include <stddef.h>

enum linereader_status {
	LINEREADER_AGAIN = 0,	/* no complete line buffered */
	LINEREADER_LINE = 1,	/* a line is ready, without CR/LF */
	LINEREADER_TOOLONG = 2,	/* a line over MAX was discarded */
};

struct linereader {
	char *buf;
	size_t cap;		/* buffer size, >= max */
	size_t max;		/* longest line, terminator included */
	size_t start;		/* first unconsumed octet */
	size_t end;		/* one past the last buffered octet */
	size_t scanned;		/* octets after start already searched */
	int discarding;		/* inside an over-long line */
};

/* BUF is caller-owned storage of CAP octets; MAX <= CAP. */
void linereader_init(struct linereader *lr, char *buf, size_t cap,
    size_t max);
/* Free space to read into (compacts first); *len may be 0 when the buffer
 * holds only complete, unconsumed lines. */
char *linereader_space(struct linereader *lr, size_t *len);
/* N octets were written at the pointer linereader_space() returned. */
void linereader_commit(struct linereader *lr, size_t n);
/* Next line.  The returned pointer stays valid until the next call to
 * linereader_space(). */
int linereader_next(struct linereader *lr, const char **line, size_t *len);
/* Octets buffered and not yet returned as lines. */
size_t linereader_pending(const struct linereader *lr);

#endif /* POLYPOP_LINEREADER_H */
