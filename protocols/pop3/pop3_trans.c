/*
 * pop3_trans.c - the POP3 commands of the TRANSACTION state (RFC 1081
 * "The TRANSACTION State" and "Optional POP3 Commands"; RFC 1939 §5, §7),
 * including LAST (RFC 1081 to 1460) and its "highest number accessed".
 * After RFC 1082's "XTND BBOARDS name" the current maildrop may be a
 * discussion group's (POP3_IN_BBOARD): LIST then shows each message's
 * maxima and DELE is a no-op (pop3_xtnd.c).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

/* --- helpers ---------------------------------------------------------- */

/* RFC 1939 §5: STAT and friends count only messages not marked deleted. */
void
pop3_drop_totals(const struct pop3 *p, size_t *count, uint64_t *octets)
{
	size_t i, n = store_count(p->st);

	*count = 0;
	*octets = 0;
	for (i = 0; i < n; i++) {
		if (store_is_deleted(p->st, i))
			continue;
		(*count)++;
		*octets += store_size(p->st, i);
	}
}

/* The one place a store failure becomes a response code (RFC 3206 §4):
 * SYS/PERM for what needs an administrator, SYS/TEMP for the rest. */
static const char *
pop3_store_code(int err)
{
	return err == STORE_EPERM ? "SYS/PERM" : "SYS/TEMP";
}

void
pop3_store_error(struct pop3 *p, const char *op, const char *what, int err,
    const char *msg)
{
	session_warn(p->s, "event=store-error op=%s error=\"%s\" reason=\"%s\"",
	    op, store_strerror(err), msg != NULL ? msg : "");
	/* The reason may name paths; the client gets the generic text. */
	pop3_err(p, pop3_store_code(err), "%s: %s.", pop3_tr(p, what),
	    pop3_tr(p, store_strerror(err)));
}

/*
 * A message-number argument (RFC 1939 §4: 1-based, decimal) that must name
 * a message not marked deleted (RFC 1939 §5 LIST, RETR, DELE; §7 TOP,
 * UIDL).  Replies -ERR and returns -1 on failure; *IDX is 0-based.
 */
int
pop3_msg_arg(struct pop3 *p, const struct proto_arg *a, size_t *idx)
{
	uint64_t n;

	switch (pop3_parse_number(a->ptr, a->len, SIZE_MAX, &n)) {
	case POP3_NUM_OK:
		break;
	case POP3_NUM_NOISE:
		pop3_err(p, NULL, "Noise after message number.");
		return -1;
	case POP3_NUM_RANGE:
		pop3_err(p, NULL, "Message number is too large.");
		return -1;
	default:
		pop3_err(p, NULL, "Invalid message number.");
		return -1;
	}
	if (n == 0 || n > store_count(p->st)) {
		pop3_err(p, NULL, "There's no message %llu.",
		    (unsigned long long)n);
		return -1;
	}
	if (store_is_deleted(p->st, (size_t)(n - 1))) {
		pop3_err(p, NULL, "Message %llu is deleted.",
		    (unsigned long long)n);
		return -1;
	}
	*idx = (size_t)(n - 1);
	return 0;
}

/* --- TRANSACTION (RFC 1939 §5, §7) -------------------------------------- */

int
pop3_cmd_stat(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	/* RFC 1939 §5: exactly "+OK nn mm", nothing after (STRONGLY
	 * discouraged), so clients can parse it. */
	pop3_drop_totals(p, &count, &octets);
	session_reply(p->s, "+OK %zu %llu", count,
	    (unsigned long long)octets);
	return POP3_DONE;
}

/* --- the "highest number accessed" (RFC 1081 to RFC 1460) ------------ */

/*
 * RFC 1081 "The AUTHORIZATION State": at login the server "determines the
 * last message (if any) present in the maildrop that was referenced by
 * the RETR command".  Earlier sessions' RETRs are the store's seen marks,
 * written when those sessions committed.
 */
void
pop3_access_start(struct pop3 *p)
{
	size_t i;

	p->highest = p->highest_start = 0;
	if (!(p->flags & POP3_PF_ACCESS))
		return;
	for (i = store_count(p->st); i > 0; i--)
		if (store_is_seen(p->st, i - 1)) {
			p->highest_start = i;
			break;
		}
	p->highest = p->highest_start;
}

/* RFC 1081 RETR and DELE: "If the number associated with this message is
 * higher than the 'highest number accessed' ... the POP3 server updates
 * [it]".  Only RETR counts for the next session. */
static void
pop3_access(struct pop3 *p, size_t i, int retr)
{
	if (!(p->flags & POP3_PF_ACCESS))
		return;
	if (i + 1 > p->highest)
		p->highest = i + 1;
	if (retr)
		(void)store_set_seen(p->st, i);
}

int
pop3_cmd_last(struct pop3 *p, const struct pop3_cmd *cmd)
{
	(void)cmd;
	/* RFC 1081 LAST: "+OK nn", zero when nothing was accessed. */
	session_reply(p->s, "+OK %zu", p->highest);
	return POP3_DONE;
}

static void pop3_listing_resume(struct pop3 *);

static void
pop3_listing_drained(struct session *s)
{
	pop3_listing_resume(session_data(s));
}

/*
 * Send the lines of a LIST or UIDL listing from p->cursor on.  A mailbox
 * of 100,000 messages must not sit in memory as one reply: when the core
 * says its output queue is full, remember where we are and carry on from
 * session_wait_drain() (no command is read meanwhile).
 */
static void
pop3_listing_resume(struct pop3 *p)
{
	size_t n = store_count(p->st), i;

	while (p->cursor < n) {
		if (session_output_full(p->s)) {
			session_wait_drain(p->s, pop3_listing_drained);
			return;
		}
		i = p->cursor++;
		/* RFC 1939 §5, §7: deleted messages are not listed. */
		if (store_is_deleted(p->st, i))
			continue;
		if (p->listing == POP3_LISTING_LIST && POP3_IN_BBOARD(p))
			/* RFC 1082 "XTND BBOARDS": "MSGNO SIZE MAXIMA"; a
			 * message's maxima is its position in the group. */
			session_reply(p->s, "%zu %llu %zu", i + 1,
			    (unsigned long long)store_size(p->st, i), i + 1);
		else if (p->listing == POP3_LISTING_LIST)
			session_reply(p->s, "%zu %llu", i + 1,
			    (unsigned long long)store_size(p->st, i));
		else
			session_reply(p->s, "%zu %s", i + 1,
			    store_uid(p->st, i));
	}
	/* RFC 1939 §3: the termination octet ends a multi-line reply. */
	session_reply(p->s, ".");
	p->listing = POP3_LISTING_NONE;
}

static void
pop3_listing_start(struct pop3 *p, enum pop3_listing what)
{
	p->listing = what;
	p->cursor = 0;
	pop3_listing_resume(p);
}

int
pop3_cmd_list(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->nargs == 1) {
		if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
			return POP3_BAD;
		/* RFC 1939 §5: a scan listing is "n size", nothing else;
		 * RFC 1082 adds the maxima inside a discussion group. */
		if (POP3_IN_BBOARD(p))
			session_reply(p->s, "+OK %zu %llu %zu", i + 1,
			    (unsigned long long)store_size(p->st, i), i + 1);
		else
			session_reply(p->s, "+OK %zu %llu", i + 1,
			    (unsigned long long)store_size(p->st, i));
		return POP3_DONE;
	}
	/* RFC 1939 App. A: LIST on an empty maildrop succeeds. */
	pop3_ok(p, "scan listing follows");
	pop3_listing_start(p, POP3_LISTING_LIST);
	return POP3_DONE;
}

int
pop3_cmd_uidl(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->nargs == 1) {
		if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
			return POP3_BAD;
		session_reply(p->s, "+OK %zu %s", i + 1, store_uid(p->st, i));
		return POP3_DONE;
	}
	pop3_ok(p, "unique-id listing follows");
	pop3_listing_start(p, POP3_LISTING_UIDL);
	return POP3_DONE;
}

static void
pop3_sent(struct session *s, int err, const char *msg)
{
	struct pop3 *p = session_data(s);
	size_t retr = p->retr_pending;

	p->retr_pending = 0;
	if (err == SESSION_E8BITHDR) {
		/* RFC 6856 §2.1: "fail the request with a -ERR response",
		 * with §5's UTF8 response code; nothing was sent. */
		session_log(p->s, "event=utf8-refused");
		pop3_err(p, "UTF8", "Message header holds UTF-8: send UTF8 "
		    "first to read it.");
		return;
	}
	/* RFC 2449 §6.7 EXPIRE 0: "each message which was downloaded with
	 * RETR" - only once it was sent. */
	if (err == 0 && retr > 0)
		pop3_expire_note_retr(p, retr - 1);
	/* Nothing was sent when the message could not be opened, so one
	 * -ERR keeps the dialogue in step. */
	if (err != 0)
		pop3_store_error(p, "read", "Can't read message", err, msg);
}

static void
pop3_send(struct pop3 *p, size_t i, const char *preamble, long lines)
{
	struct session_msg_opts o;

	memset(&o, 0, sizeof(o));
	o.preamble = preamble;
	o.dot_stuff = 1;	/* RFC 1939 §3 byte-stuffing and ".CRLF" */
	o.body_lines = lines;
	/* RFC 6856 §2.1: without UTF-8 mode, "character strings outside
	 * the ASCII repertoire MUST NOT be sent to the client as is".
	 * Only where UTF8 is offered (the current profile); an 8-bit body
	 * (8BITMIME) is sent as before, only the header section counts. */
	o.refuse_8bit_header = (p->flags & POP3_PF_EXTENSIONS) && !p->utf8;
	session_send_message(p->s, p->st, i, &o, pop3_sent);
}

int
pop3_cmd_retr(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char pre[64];
	size_t i;

	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	pop3_access(p, i, 1);
	/* RFC 1939 §10's form; the size is the exact wire size (§11). */
	snprintf(pre, sizeof(pre), pop3_tr(p, "+OK %llu octets\r\n"),
	    (unsigned long long)store_size(p->st, i));
	p->retr_pending = i + 1;
	pop3_send(p, i, pre, -1);
	return POP3_DONE;
}

int
pop3_cmd_top(struct pop3 *p, const struct pop3_cmd *cmd)
{
	uint64_t lines;
	size_t i;

	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	/* RFC 1939 §7: "a non-negative number of lines". */
	switch (pop3_parse_number(cmd->arg[1].ptr, cmd->arg[1].len,
	    LONG_MAX, &lines)) {
	case POP3_NUM_OK:
		break;
	case POP3_NUM_RANGE:
		/* Deliberate leniency: more lines than any message has
		 * means the whole message (RFC 1939 §7), so clamp. */
		lines = LONG_MAX;
		break;
	case POP3_NUM_NOISE:
		pop3_err(p, NULL, "Noise after number of lines.");
		return POP3_BAD;
	default:
		pop3_err(p, NULL, "Invalid number of lines.");
		return POP3_BAD;
	}
	pop3_send(p, i, pop3_tr(p, "+OK Top of message follows.\r\n"),
	    (long)lines);
	return POP3_DONE;
}

int
pop3_cmd_dele(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t i;
	int err;

	/* A second DELE of one message fails in pop3_msg_arg(): RFC 1939
	 * §5 "may NOT refer to a message marked as deleted". */
	if (pop3_msg_arg(p, &cmd->arg[0], &i) < 0)
		return POP3_BAD;
	if (POP3_IN_BBOARD(p)) {
		/* RFC 1082 "The XTND Command": a group's maildrop "is
		 * considered to be read-only to the POP3 client ... (Hence,
		 * the POP3 command DELE is a no-op.)"  Nothing is marked,
		 * and LAST's "highest number accessed" does not move. */
		session_reply(p->s, "+OK Message %zu not deleted: discussion "
		    "group %s is read-only.", i + 1, p->bboard);
		return POP3_DONE;
	}
	if ((err = store_set_deleted(p->st, i, 1)) < 0) {
		pop3_store_error(p, "delete", "Can't delete message", err,
		    NULL);
		return POP3_DONE;
	}
	pop3_access(p, i, 0);
	/* RFC 1939 §5: only marked; removed in UPDATE. */
	pop3_ok(p, "Message %zu deleted.", i + 1);
	return POP3_DONE;
}

int
pop3_cmd_noop(struct pop3 *p, const struct pop3_cmd *cmd)
{
	(void)cmd;
	pop3_ok(p, "Nothing to do.");
	return POP3_DONE;
}

int
pop3_cmd_rset(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	store_undelete_all(p->st);
	if (p->flags & POP3_PF_ACCESS) {
		/* RFC 1081: back "to the value determined at the beginning
		 * of the POP3 session"; RFC 1460 §5: "reset to zero".  This
		 * session's RETRs no longer count for the next one. */
		store_reset_seen(p->st);
		p->highest = (p->flags & POP3_PF_RSET_ZERO) ? 0 :
		    p->highest_start;
	}
	pop3_drop_totals(p, &count, &octets);
	if (count == 1)
		pop3_ok(p, "Maildrop has %zu message (%llu octets).", count,
		    (unsigned long long)octets);
	else
		pop3_ok(p, "Maildrop has %zu messages (%llu octets).", count,
		    (unsigned long long)octets);
	return POP3_DONE;
}
