/*
 * pop3_expire.c - the site's retention policy at QUIT (RFC 2449 §6.7),
 * as announced by CAPA's EXPIRE:
 *  - NEVER: nothing is deleted that the client did not DELE;
 *  - 0: "the server MAY assume an implicit DELE for each message which
 *    was downloaded with RETR" - this session's RETRs;
 *  - N: messages that arrived more than N days ago are deleted too
 *    (store_arrival(); an unknown arrival, 0, never expires).
 * Only the current profile: the historic revisions had no EXPIRE, and
 * their servers deleted only what the client asked.
 */
#include <stdlib.h>
#include <time.h>

#include "pop3_int.h"
#include "session.h"
#include "store.h"

void
pop3_expire_note_retr(struct pop3 *p, size_t i)
{
	size_t n = store_count(p->st);

	if (!(p->flags & POP3_PF_EXTENSIONS) || i >= n)
		return;
	/* Allocated at the first RETR: most sessions need none.  Out of
	 * memory, the message is merely kept (the safe side). */
	if (p->retrieved == NULL && (p->retrieved = calloc(n, 1)) == NULL)
		return;
	p->retrieved[i] = 1;
}

void
pop3_expire_apply(struct pop3 *p)
{
	struct session_policy pol;
	size_t i, n;
	time_t now, when;
	unsigned marked = 0;

	if (!(p->flags & POP3_PF_EXTENSIONS) || p->st == NULL ||
	    store_is_readonly(p->st))
		return;
	session_policy(p->s, &pol);
	if (pol.expire_days < 0)
		return;
	n = store_count(p->st);
	now = time(NULL);
	for (i = 0; i < n; i++) {
		if (store_is_deleted(p->st, i))
			continue;
		if (pol.expire_days == 0) {
			if (p->retrieved == NULL || !p->retrieved[i])
				continue;
		} else {
			when = store_arrival(p->st, i);
			if (when == 0 || now - when <= pol.expire_days * 86400L)
				continue;
		}
		if (store_set_deleted(p->st, i, 1) == 0)
			marked++;
	}
	if (marked > 0)
		session_log(p->s, "event=expire days=%ld deleted=%u",
		    pol.expire_days, marked);
}

void
pop3_expire_forget(struct pop3 *p)
{
	free(p->retrieved);
	p->retrieved = NULL;
}
