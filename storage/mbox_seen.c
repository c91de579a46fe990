/*
 * mbox_seen.c - seen marks of mbox messages (store_is_seen()).
 *
 * A message counts as seen when its header has a Status: field with an
 * 'R' in it, as mutt, Pine, UW imapd and Dovecot write it, or when the uid
 * side file records it as seen (mbox_uidl.c).  We only ever read Status:
 * and never write it: adding or changing a header would change the
 * message's octets, and with them its size, its fingerprint and so its
 * uid.  A seen mark of ours therefore lives in the side file alone.
 */

#include <ctype.h>
#include <string.h>

#include "mbox.h"
#include "mbox_parse.h"

static const char status_[] = "status:";
#define STATUS_LEN	7

enum {
	SS_BOL,			/* at the start of a header line */
	SS_CR,			/* a line that so far is one CR */
	SS_NAME,		/* matching "status:" */
	SS_VALUE,		/* in the value of Status: */
	SS_SKIP,		/* rest of another field's line */
	SS_DONE,		/* past the header */
};

void
mbox_status_init(struct mbox_status *s)
{
	memset(s, 0, sizeof(*s));
	s->state = SS_BOL;
}

/* One octet at the start of a header line. */
static void
status_bol(struct mbox_status *s, char c)
{
	if (c == '\n') {
		s->state = SS_DONE;	/* the empty line ends the header */
		return;
	}
	if (c == '\r') {
		s->state = SS_CR;
		return;
	}
	/* A folded line continues the field before it (RFC 5322 §2.2.3). */
	if (c == ' ' || c == '\t') {
		s->state = s->in_status ? SS_VALUE : SS_SKIP;
		return;
	}
	s->in_status = 0;
	s->match = 0;
	s->state = SS_NAME;
}

void
mbox_status_feed(struct mbox_status *s, const char *in, size_t len)
{
	const char *lf;
	size_t i;
	char c;

	for (i = 0; i < len && s->state != SS_DONE; i++) {
		c = in[i];
		switch (s->state) {
		case SS_CR:
			s->state = c == '\n' ? SS_DONE : SS_SKIP;
			break;
		case SS_BOL:
			status_bol(s, c);
			if (s->state != SS_NAME)
				break;
			/* FALLTHROUGH */
		case SS_NAME:
			/* Field names are case-insensitive (RFC 5322 §1.2.2). */
			if (c == '\n')
				s->state = SS_BOL;
			else if (tolower((unsigned char)c) != status_[s->match])
				s->state = SS_SKIP;
			else if (++s->match == STATUS_LEN) {
				s->in_status = 1;
				s->state = SS_VALUE;
			}
			break;
		case SS_VALUE:
			if (c == 'R')
				s->seen = 1;
			else if (c == '\n')
				s->state = SS_BOL;
			break;
		case SS_SKIP:
			/* Most octets: jump to the next line. */
			if ((lf = memchr(in + i, '\n', len - i)) == NULL)
				return;
			i = (size_t)(lf - in);
			s->state = SS_BOL;
			break;
		}
	}
}

/*
 * The side file records a seen mark only where the message itself does
 * not: Status: already says it, and a side file without seen records
 * keeps the old format that older versions read (mbox_uidl.c).
 */
int
mbox__seen_record(const struct store_msg *m, const struct mbox_ent *e)
{
	if (e->status_seen)
		return 0;
	return m->seen || (m->seen_mark && !m->deleted);
}
