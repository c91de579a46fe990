/*
 * client_pop2.c - the POP2 dialogue (RFC 937), as its Client State
 * Diagram runs it: CALL (greeting "+") -> HELO -> NMBR ("#nnn") [-> FOLD
 * -> NMBR] -> READ -> SIZE ("=ccc") -> RETR -> XFER (exactly ccc octets)
 * -> ACKS or ACKD -> SIZE ("=ccc" of the next message) ... -> QUIT.
 *
 * RFC 937 "One basic rule of this protocol is 'if anything goes wrong
 * close the connection'": any reply we do not expect ends the session
 * without QUIT, so ACKD marks are never committed by a session that went
 * wrong.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"

/* RFC 937 Quoting: a space or a backslash in an argument is sent after
 * a backslash.  0, or -1 when OUT is too small. */
static int
pop2_quote(const char *arg, char *out, size_t cap)
{
	size_t o = 0;

	for (; *arg != '\0'; arg++) {
		if (*arg == ' ' || *arg == '\\') {
			if (o + 1 >= cap)
				return -1;
			out[o++] = '\\';
		}
		if (o + 1 >= cap)
			return -1;
		out[o++] = *arg;
	}
	out[o] = '\0';
	return 0;
}

/* Read a reply that must start with WANT ('#' or '='), followed by a
 * count (RFC 937 Formal Syntax: <count>, <length>). */
static int
pop2_count_reply(struct client *c, const char *what, char want,
    unsigned long long max, unsigned long long *out)
{
	const char *r;
	size_t n;

	if (client_reply(c, what, &r, &n) < 0)
		return -1;
	if (n >= 1 && r[0] == '-')
		return client_fail(c, want == '#' && strncmp(what, "HELO", 4)
		    == 0 ? CLIENT_EX_NOPERM : CLIENT_EX_PROTOCOL,
		    "%s: the server answered '%.*s'", what,
		    (int)(n > 200 ? 200 : n), r);
	if (n < 2 || r[0] != want ||
	    client_parse_count(r + 1, n - 1, max, out) < 0)
		return client_fail(c, CLIENT_EX_PROTOCOL, "%s: want '%cnumber' "
		    "(at most %llu), got '%.*s'", what, want, max,
		    (int)(n > 200 ? 200 : n), r);
	return 0;
}

/* SIZE -> RETR -> XFER: message NUM of CCC octets into DIR/NUM. */
static int
pop2_retr(struct client *c, unsigned long long num, unsigned long long ccc)
{
	char name[32];

	snprintf(name, sizeof(name), "%llu", num);
	if (client_out_open(c, name) < 0 || client_send(c, "RETR", NULL) < 0)
		return -1;
	c->waiting = "the message data";
	if (client_data_raw(c, ccc) < 0)
		return -1;
	client_trace_octets(c, ccc);
	return client_out_close(c);
}

int
client_pop2_run(struct client *c)
{
	const struct client_opts *o = c->opt;
	char line[CLIENT_REPLY_MAX], shown[CLIENT_REPLY_MAX];
	char quser[600], qarg[600];
	const char *r;
	size_t n;
	unsigned long long nmsgs = 0, cur, ccc = 0;

	/* RFC 937 Reply Strings: only the first character is fixed. */
	if (client_reply(c, "the greeting", &r, &n) < 0)
		return -1;
	if (n < 1 || r[0] != '+')
		return client_fail(c, CLIENT_EX_PROTOCOL, "not a POP2 "
		    "greeting: '%.*s'", (int)(n > 200 ? 200 : n), r);

	if (pop2_quote(o->user, quser, sizeof(quser)) < 0 ||
	    pop2_quote(o->password, qarg, sizeof(qarg)) < 0 ||
	    snprintf(line, sizeof(line), "HELO %s %s", quser, qarg) >=
	    (int)sizeof(line) - 2)
		return client_fail(c, CLIENT_EX_USAGE, "user name or password "
		    "too long for a 512-octet POP2 command (RFC 937 Sizes)");
	snprintf(shown, sizeof(shown), "HELO %s ****", quser);
	if (client_send(c, line, shown) < 0 ||
	    pop2_count_reply(c, "HELO", '#', CLIENT_MAX_MSGS, &nmsgs) < 0)
		return -1;

	if (o->folder != NULL) {
		if (pop2_quote(o->folder, qarg, sizeof(qarg)) < 0 ||
		    snprintf(line, sizeof(line), "FOLD %s", qarg) >=
		    (int)sizeof(line) - 2)
			return client_fail(c, CLIENT_EX_USAGE, "folder name "
			    "too long");
		if (client_send(c, line, NULL) < 0 ||
		    pop2_count_reply(c, "FOLD", '#', CLIENT_MAX_MSGS,
		    &nmsgs) < 0)
			return -1;
	}

	/*
	 * Walk messages 1..nnn.  "=0" means "does not exist or is empty"
	 * (Message Length) and RETR of it makes the server close, so a zero
	 * inside the mailbox is skipped with READ of the next number.  An
	 * empty mailbox gets no READ at all: Example 3 shows a server
	 * closing on it.
	 */
	cur = 1;
	if (nmsgs > 0) {
		if (client_send(c, "READ 1", NULL) < 0 ||
		    pop2_count_reply(c, "READ 1", '=', CLIENT_MAX_OCTETS,
		    &ccc) < 0)
			return -1;
	}
	while (cur <= nmsgs) {
		if (ccc == 0) {
			client_note(c, "message %llu is empty or deleted: "
			    "nothing to retrieve", cur);
			if (++cur > nmsgs)
				break;
			snprintf(line, sizeof(line), "READ %llu", cur);
			if (client_send(c, line, NULL) < 0 ||
			    pop2_count_reply(c, line, '=', CLIENT_MAX_OCTETS,
			    &ccc) < 0)
				return -1;
			continue;
		}
		/*
		 * Any failure here, ours (disk) or the server's, ends the
		 * session without an acknowledgment: this message was not
		 * acknowledged, so it stays; earlier ACKD ones were on our
		 * disk before we sent ACKD.
		 */
		if (pop2_retr(c, cur, ccc) < 0)
			return -1;
		/* ACKD only marks; the server deletes when the mailbox is
		 * released (ACKD), so the copy is already fsync()ed. */
		if (client_send(c, o->delete ? "ACKD" : "ACKS", NULL) < 0 ||
		    pop2_count_reply(c, o->delete ? "ACKD" : "ACKS", '=',
		    CLIENT_MAX_OCTETS, &ccc) < 0)
			return -1;
		cur++;
	}
	if (nmsgs > 0 && ccc != 0)
		client_note(c, "the server offers a message %llu beyond the "
		    "%llu it counted: ignored", cur, nmsgs);

	if (client_send(c, "QUIT", NULL) < 0 ||
	    client_reply(c, "QUIT", &r, &n) < 0)
		return -1;
	if (n < 1 || r[0] != '+')
		return client_fail(c, CLIENT_EX_PROTOCOL, "QUIT: the server "
		    "answered '%.*s'%s", (int)(n > 200 ? 200 : n), r,
		    o->delete ? " (deletions may not have happened)" : "");
	return 0;
}
