/*
 * crlf.c - CRLF normalisation of stored messages (pure, no I/O).
 *
 * Stored mail uses the local convention (bare LF in Maildir and mbox) but
 * every POP revision sends lines ending in CRLF (RFC 1939 §3, RFC 937) and
 * counts octets as sent (RFC 1939 §11 "exact size").  So the size we report
 * and the octets we send both come from this one transformation:
 *
 *   - a bare LF becomes CRLF;
 *   - CRLF stays CRLF, even when the CR ends one chunk and the LF starts
 *     the next (the state remembers the CR);
 *   - a lone CR is kept as it is (leniency: we do not invent line breaks
 *     the sender did not write);
 *   - a non-empty message whose last octet is not LF gets a CRLF appended,
 *     so the POP terminating "." always starts a line of its own.
 */

#include <string.h>

#include "store_impl.h"

/* Account for octet C having been consumed. */
static void
crlf_note(struct store_crlf *s, char c)
{
	s->prev_cr = (c == '\r');
	s->last_lf = (c == '\n');
	s->any = 1;
}

size_t
store__crlf_conv(struct store_crlf *s, const char *in, size_t inlen,
    size_t *used, char *out, size_t outcap)
{
	size_t i, o = 0;

	for (i = 0; i < inlen; i++) {
		char c = in[i];

		if (c == '\n' && !s->prev_cr) {
			/* Expansion is all or nothing: never emit half. */
			if (outcap - o < 2)
				break;
			out[o++] = '\r';
			out[o++] = '\n';
		} else {
			if (outcap - o < 1)
				break;
			out[o++] = c;
		}
		crlf_note(s, c);
	}
	*used = i;
	return o;
}

size_t
store__crlf_finish(struct store_crlf *s, char out[2])
{
	if (!s->any || s->last_lf)
		return 0;
	out[0] = '\r';
	out[1] = '\n';
	/* Idempotent: a second call adds nothing more. */
	s->last_lf = 1;
	s->prev_cr = 0;
	return 2;
}

uint64_t
store__crlf_count(struct store_crlf *s, const char *in, size_t len)
{
	uint64_t n = len;
	const char *p = in, *end = in + len, *lf;

	if (len == 0)
		return 0;
	/* memchr keeps counting a 1 MiB message cheap: only LFs matter. */
	while ((lf = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		int cr_before = (lf > in) ? (lf[-1] == '\r') : s->prev_cr;

		if (!cr_before)
			n++;
		p = lf + 1;
	}
	crlf_note(s, in[len - 1]);
	return n;
}

uint64_t
store__crlf_count_finish(struct store_crlf *s)
{
	char tail[2];

	return store__crlf_finish(s, tail);
}
