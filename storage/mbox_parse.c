/*
 * mbox_parse.c - pure mbox byte transformations: the message splitter,
 * mboxrd unquoting (read) and quoting (deliver).  No I/O, no allocation;
 * every function takes its input in chunks of any size, so a mailbox of
 * any size is handled with a bounded buffer and the test suite can feed
 * each case one octet at a time.
 *
 * mboxrd (the quoting used here): a writer adds one '>' to every line
 * matching ^>*From  and a reader removes one '>' from every line matching
 * ^>+From .  Unlike plain ">From " quoting this is reversible: a body line
 * that already read ">From " survives as ">From ".
 */

#include <string.h>

#include "mbox_parse.h"

static const char from_[] = "From ";
#define FROM_LEN	5

/*
 * Unquoting.  At the start of a line one '>' is held back; the rest of
 * a '>' run passes through (all '>' look alike, so releasing the held one
 * later keeps the order right).  "From " after the run drops the held '>';
 * anything else releases it together with the partial "From".
 */
enum {
	UQ_BOL,			/* at the start of a line */
	UQ_GT,			/* in the leading '>' run */
	UQ_FROM,		/* matching "From " after the run */
	UQ_MID,			/* rest of the line passes through */
};

void
mbox_unquote_init(struct mbox_unquote *u)
{
	u->state = UQ_BOL;
	u->held = 0;
	u->from = 0;
}

static size_t
uq_release(struct mbox_unquote *u, char *out)
{
	size_t o = 0;

	if (u->held) {
		out[o++] = '>';
		memcpy(out + o, from_, u->from);
		o += u->from;
	}
	u->held = 0;
	u->from = 0;
	return o;
}

size_t
mbox_unquote(struct mbox_unquote *u, const char *in, size_t len, char *out)
{
	const char *lf;
	size_t i, n, o = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		switch (u->state) {
		case UQ_MID:
			/* Most octets: copy up to and including the next LF. */
			lf = memchr(in + i, '\n', len - i);
			n = lf != NULL ? (size_t)(lf - (in + i)) + 1 : len - i;
			memcpy(out + o, in + i, n);
			o += n;
			i += n - 1;
			if (lf != NULL)
				u->state = UQ_BOL;
			continue;
		case UQ_BOL:
			if (c == '>') {
				u->held = 1;
				u->state = UQ_GT;
				continue;
			}
			break;
		case UQ_GT:
			if (c == '>') {
				out[o++] = '>';
				continue;
			}
			if (c == 'F') {
				u->from = 1;
				u->state = UQ_FROM;
				continue;
			}
			o += uq_release(u, out + o);
			break;
		case UQ_FROM:
			if (c == from_[u->from]) {
				if (++u->from < FROM_LEN)
					continue;
				/* ^>+From : the held '>' is the one removed. */
				memcpy(out + o, from_, FROM_LEN);
				o += FROM_LEN;
				u->held = 0;
				u->from = 0;
				u->state = UQ_MID;
				continue;
			}
			o += uq_release(u, out + o);
			break;
		}
		out[o++] = c;
		u->state = c == '\n' ? UQ_BOL : UQ_MID;
	}
	return o;
}

size_t
mbox_unquote_finish(struct mbox_unquote *u, char *out)
{
	size_t o = uq_release(u, out);

	u->state = UQ_BOL;
	return o;
}

/*
 * Delivery encoding, in two stages: CRLF -> LF on the input, then quoting
 * on the result.  The quoting stage never holds a '>' (it only adds one),
 * so it holds at most the four octets of a partial "From".
 */
enum {
	EN_BOL,
	EN_GT,
	EN_FROM,
	EN_MID,
};

void
mbox_encode_init(struct mbox_encode *e)
{
	memset(e, 0, sizeof(*e));
	e->state = EN_BOL;
	e->last = -1;
}

/* The quoting stage: take one LF-normalised octet. */
static size_t
en_quote(struct mbox_encode *e, char c, char *out)
{
	size_t o = 0;

	switch (e->state) {
	case EN_BOL:
	case EN_GT:
		if (c == '>') {
			out[0] = '>';
			e->last = '>';
			e->state = EN_GT;
			return 1;
		}
		if (c == 'F') {
			e->from = 1;
			e->state = EN_FROM;
			return 0;
		}
		break;
	case EN_FROM:
		if (c == from_[e->from]) {
			if (++e->from < FROM_LEN)
				return 0;
			out[0] = '>';
			memcpy(out + 1, from_, FROM_LEN);
			e->from = 0;
			e->last = ' ';
			e->state = EN_MID;
			return 1 + FROM_LEN;
		}
		memcpy(out, from_, e->from);
		o = e->from;
		e->from = 0;
		break;
	case EN_MID:
		break;
	}
	out[o++] = c;
	e->last = (unsigned char)c;
	e->state = c == '\n' ? EN_BOL : EN_MID;
	return o;
}

size_t
mbox_encode(struct mbox_encode *e, const char *in, size_t len, char *out)
{
	size_t i, o = 0;
	char c;

	for (i = 0; i < len; i++) {
		c = in[i];
		if (e->cr) {
			e->cr = 0;
			/*
			 * CR LF becomes LF, the mbox convention.  A CR that
			 * follows another CR is kept, because the reader's
			 * CRLF normalisation would otherwise merge "\r\r\n"
			 * into "\r\n" and the client would get one octet
			 * less than was sent.
			 */
			if (c == '\n' && !e->cr_after_cr) {
				o += en_quote(e, '\n', out + o);
				continue;
			}
			o += en_quote(e, '\r', out + o);
			if (c == '\r') {
				e->cr = 1;
				e->cr_after_cr = 1;
				continue;
			}
		} else if (c == '\r') {
			e->cr = 1;
			e->cr_after_cr = 0;
			continue;
		}
		o += en_quote(e, c, out + o);
	}
	return o;
}

size_t
mbox_encode_finish(struct mbox_encode *e, char *out)
{
	size_t o = 0;

	if (e->cr) {
		e->cr = 0;
		o += en_quote(e, '\r', out + o);
	}
	if (e->state == EN_FROM) {
		memcpy(out + o, from_, e->from);
		o += e->from;
		e->last = (unsigned char)from_[e->from - 1];
		e->from = 0;
	}
	/*
	 * Supply the final line end the mbox format needs.  After a lone CR
	 * it must be CRLF: "\r" + "\n" would read back as one CRLF, while
	 * the message as sent has wire form "\r\r\n".
	 */
	if (e->last == '\r') {
		out[o++] = '\r';
		out[o++] = '\n';
	} else if (e->last != -1 && e->last != '\n')
		out[o++] = '\n';
	e->last = e->last == -1 ? -1 : '\n';
	e->state = EN_BOL;
	return o;
}

/*
 * The splitter.  Every octet after a From_ line goes through the message
 * pipeline (unquote, then CRLF count).  At each line start the count is
 * recorded; when a separator turns up, the message is closed at the start
 * of the empty line before it (mark PREV), which takes that line back out.
 */

static void
msg_feed(struct mbox_parser *p, const char *b, size_t n)
{
	char out[1024 + MBOX_UNQUOTE_SLACK];
	size_t k, o;

	mbox_status_feed(&p->status, b, n);
	if (p->msg.headlen < MBOX_HEAD_MAX) {
		k = MBOX_HEAD_MAX - p->msg.headlen;
		if (k > n)
			k = n;
		memcpy(p->msg.head + p->msg.headlen, b, k);
		p->msg.headlen += k;
	}
	while (n > 0) {
		k = n < 1024 ? n : 1024;
		o = mbox_unquote(&p->uq, b, k, out);
		p->wire += store__crlf_count(&p->crlf, out, o);
		b += k;
		n -= k;
	}
}

static void
mark_set(struct mbox_parser *p, struct mbox_linemark *m, off_t off, int eol)
{
	m->off = off;
	m->crlf = p->crlf;
	m->wire = p->wire;
	m->eol = eol;
}

static void
msg_start(struct mbox_parser *p, off_t off)
{
	p->msg.offset = off;
	p->msg.headlen = 0;
	p->in_msg = 1;
	mbox_unquote_init(&p->uq);
	mbox_status_init(&p->status);
	memset(&p->crlf, 0, sizeof(p->crlf));
	p->wire = 0;
	mark_set(p, &p->cur, off, 0);
	p->prev = p->cur;
}

static int
msg_emit(struct mbox_parser *p)
{
	p->in_msg = 0;
	p->msg.status_seen = p->status.seen;
	if ((off_t)p->msg.headlen > p->msg.keylen)
		p->msg.headlen = (size_t)p->msg.keylen;
	return p->cb != NULL ? p->cb(&p->msg, p->arg) : 0;
}

/* Close the message at line mark M (the start of a separator's empty line
 * or of a final empty line). */
static int
msg_end_at(struct mbox_parser *p, const struct mbox_linemark *m)
{
	struct store_crlf c = m->crlf;

	p->msg.length = m->off - p->msg.offset;
	p->msg.keylen = p->msg.length > 0 ? p->msg.length - m->eol : 0;
	p->msg.wire = m->wire + store__crlf_count_finish(&c);
	return msg_emit(p);
}

/* Close the message at end of input. */
static int
msg_end_eof(struct mbox_parser *p)
{
	char tail[MBOX_UNQUOTE_SLACK];
	size_t n;

	n = mbox_unquote_finish(&p->uq, tail);
	p->wire += store__crlf_count(&p->crlf, tail, n);
	p->wire += store__crlf_count_finish(&p->crlf);
	p->msg.length = p->off - p->msg.offset;
	p->msg.keylen = p->msg.length;
	if (p->linelen == 0 && p->msg.length > 0)
		p->msg.keylen -= p->cur.eol;
	p->msg.wire = p->wire;
	return msg_emit(p);
}

void
mbox_parse_init(struct mbox_parser *p, mbox_msg_cb cb, void *arg)
{
	memset(p, 0, sizeof(*p));
	/* RFC 4155: the first message is prefaced only by its separator. */
	p->prev_empty = 1;
	p->matching = 1;
	p->first = p->last = -1;
	p->cb = cb;
	p->arg = arg;
}

static void
line_reset(struct mbox_parser *p, int empty)
{
	p->prev_empty = empty;
	p->matching = empty;
	p->match = 0;
	p->linelen = 0;
	p->first = p->last = -1;
}

/* One octet of a From_ line. */
static void
from_octet(struct mbox_parser *p, char c)
{
	size_t n;

	if (c != '\n') {
		if (p->linelen <= MBOX_FROMLINE_MAX)
			p->msg.fromline[p->linelen] = c;
		p->last = (unsigned char)c;
		p->linelen++;
		return;
	}
	n = p->linelen;
	if (n > 0 && p->last == '\r')
		n--;
	p->msg.fromlen = n < MBOX_FROMLINE_MAX ? n : MBOX_FROMLINE_MAX;
	p->in_from = 0;
	msg_start(p, p->off + 1);
	line_reset(p, 0);
}

/* One octet at a line start that may be a separator.  Returns 1 when it
 * completed "From " (the octet is consumed), 0 otherwise. */
static int
sep_octet(struct mbox_parser *p, char c, int *rc)
{
	if (c != from_[p->match]) {
		p->matching = 0;
		return 0;
	}
	if (++p->match < FROM_LEN)
		return 0;
	/* A separator: its From_ line started four octets ago. */
	*rc = 0;
	if (p->in_msg)
		*rc = msg_end_at(p, &p->prev);
	if (!p->seen_sep) {
		p->seen_sep = 1;
		p->lead = p->off - (FROM_LEN - 1);
	}
	p->in_from = 1;
	p->msg.from_off = p->off - (FROM_LEN - 1);
	memcpy(p->msg.fromline, from_, FROM_LEN);
	p->linelen = FROM_LEN;
	p->last = ' ';
	p->matching = 0;
	return 1;
}

/* The LF ending a line inside a message (or in the lead). */
static void
line_end(struct mbox_parser *p)
{
	int empty, eol;

	empty = p->linelen == 0 || (p->linelen == 1 && p->first == '\r');
	eol = p->linelen > 0 && p->last == '\r' ? 2 : 1;
	if (p->in_msg) {
		p->prev = p->cur;
		mark_set(p, &p->cur, p->off + 1, eol);
	}
	line_reset(p, empty);
}

int
mbox_parse(struct mbox_parser *p, const char *buf, size_t len)
{
	const char *lf;
	size_t i = 0, n;
	int rc = 0;
	char c;

	while (i < len) {
		c = buf[i];
		if (p->in_from) {
			from_octet(p, c);
			p->off++;
			i++;
			continue;
		}
		if (p->matching && sep_octet(p, c, &rc)) {
			if (rc != 0)
				return rc;
			p->off++;
			i++;
			continue;
		}
		if (c != '\n' && !p->matching) {
			/* Mid-line: take the run up to the next LF at once. */
			lf = memchr(buf + i, '\n', len - i);
			n = lf != NULL ? (size_t)(lf - (buf + i)) : len - i;
		} else
			n = c == '\n' ? 0 : 1;
		if (n > 0) {
			if (p->in_msg)
				msg_feed(p, buf + i, n);
			if (p->linelen == 0)
				p->first = (unsigned char)buf[i];
			p->last = (unsigned char)buf[i + n - 1];
			p->linelen += n;
			p->off += (off_t)n;
			i += n;
			continue;
		}
		if (p->in_msg)
			msg_feed(p, "\n", 1);
		line_end(p);
		p->off++;
		i++;
	}
	return 0;
}

int
mbox_parse_finish(struct mbox_parser *p)
{
	size_t n;

	if (p->in_from) {
		/* A From_ line with no line end: an empty last message. */
		n = p->linelen;
		p->msg.fromlen = n < MBOX_FROMLINE_MAX ? n : MBOX_FROMLINE_MAX;
		p->in_from = 0;
		msg_start(p, p->off);
		line_reset(p, 0);
	}
	if (!p->seen_sep)
		p->lead = p->off;
	if (!p->in_msg)
		return 0;
	/* RFC 4155: "Each message ... MUST be terminated by an empty line";
	 * at end of file that line is the terminator, not content. */
	if (p->linelen == 0 && p->prev_empty)
		return msg_end_at(p, &p->prev);
	return msg_end_eof(p);
}

size_t
mbox_sep_fixup(const char *tail, size_t taillen, off_t filesize, char *out)
{
	const char *t = tail + taillen;

	if (filesize == 0 || taillen == 0)
		return 0;
	if (t[-1] == '\r') {
		memcpy(out, "\r\n\n", 3);
		return 3;
	}
	if (t[-1] != '\n') {
		memcpy(out, "\n\n", 2);
		return 2;
	}
	/* Ends in LF: fine if the last line is empty ("\n" or "\r\n"). */
	if (filesize == 1 || (taillen >= 2 && t[-2] == '\n'))
		return 0;
	if (taillen >= 2 && t[-2] == '\r' &&
	    (filesize == 2 || (taillen >= 3 && t[-3] == '\n')))
		return 0;
	out[0] = '\n';
	return 1;
}
