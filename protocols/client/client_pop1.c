/*
 * client_pop1.c - the POP1 dialogue (RFC 918): greeting "+OK", USER,
 * PASS, RETR mailbox (or RDEL mailbox with --delete) -> "#xxx", RCEV ->
 * the mail data (xxx characters: the whole mailbox, POP1 has no message
 * numbers), RCVD (the server deletes now after RDEL), QUIT.
 *
 * Two points RFC 918 leaves open; we do what protocols/pop1 decided
 * (docs/pop1.md, "What the mailbox is on our store"):
 *   - RCEV's reply.  The command list says "+OK" or connection aborted;
 *     The Protocol, The Normal Scenario and the Diagram show the mail data
 *     as the reply.  We expect the data alone: a "+OK" line would be
 *     indistinguishable from mail that begins "+OK".  --pop1-rcev-ok is
 *     for servers that send a status line first.
 *   - The mailbox argument.  RFC 918 defines no names; we send --folder,
 *     or else the user name (the Unix spool file was named after its
 *     user: RFC 937 Default Mailboxes, /usr/spool/mail/user).
 */
#include <stdio.h>
#include <string.h>

#include "client.h"

static int
pop1_ok(const char *line, size_t len)
{
	return len >= 3 && memcmp(line, "+OK", 3) == 0 &&
	    (len == 3 || line[3] == ' ');
}

static int
pop1_cmd(struct client *c, const char *line, const char *shown, int code)
{
	const char *r;
	size_t n;

	if (client_send(c, line, shown) < 0 ||
	    client_reply(c, shown != NULL ? shown : line, &r, &n) < 0)
		return -1;
	if (!pop1_ok(r, n))
		return client_fail(c, code, "%s: the server answered '%.*s'",
		    shown != NULL ? shown : line, (int)(n > 200 ? 200 : n), r);
	return 0;
}

int
client_pop1_run(struct client *c)
{
	const struct client_opts *o = c->opt;
	const char *verb = o->delete ? "RDEL" : "RETR", *box, *r;
	char line[CLIENT_REPLY_MAX];
	unsigned long long xxx;
	size_t n;

	if (client_reply(c, "the greeting", &r, &n) < 0)
		return -1;
	/* RFC 918 The Normal Scenario: "+OK".  A port-109 server that also
	 * speaks POP2 may say more after it. */
	if (n < 1 || r[0] != '+')
		return client_fail(c, CLIENT_EX_PROTOCOL, "not a POP1 "
		    "greeting: '%.*s'", (int)(n > 200 ? 200 : n), r);

	if (snprintf(line, sizeof(line), "USER %s", o->user) >=
	    (int)sizeof(line) - 2)
		return client_fail(c, CLIENT_EX_USAGE, "user name too long");
	if (pop1_cmd(c, line, NULL, CLIENT_EX_NOPERM) < 0)
		return -1;
	if (snprintf(line, sizeof(line), "PASS %s", o->password) >=
	    (int)sizeof(line) - 2)
		return client_fail(c, CLIENT_EX_USAGE, "password too long");
	if (pop1_cmd(c, line, "PASS ****", CLIENT_EX_NOPERM) < 0)
		return -1;

	box = o->folder != NULL ? o->folder : o->user;
	if (snprintf(line, sizeof(line), "%s %s", verb, box) >=
	    (int)sizeof(line) - 2)
		return client_fail(c, CLIENT_EX_USAGE, "mailbox name too "
		    "long");
	if (client_send(c, line, NULL) < 0 ||
	    client_reply(c, verb, &r, &n) < 0)
		return -1;
	/* "#xxx": the number of characters in the mailbox. */
	if (n < 2 || r[0] != '#' ||
	    client_parse_count(r + 1, n - 1, CLIENT_MAX_OCTETS, &xxx) < 0) {
		if (n >= 1 && r[0] == '-')
			return client_fail(c, CLIENT_EX_PROTOCOL, "%s: the "
			    "server answered '%.*s'", line,
			    (int)(n > 200 ? 200 : n), r);
		return client_fail(c, CLIENT_EX_PROTOCOL, "%s: want '#count' "
		    "(at most %lu), got '%.*s'", verb, CLIENT_MAX_OCTETS,
		    (int)(n > 200 ? 200 : n), r);
	}

	if (client_out_open(c, "mailbox") < 0 ||
	    client_send(c, "RCEV", NULL) < 0)
		return -1;
	if (o->pop1_rcev_ok) {
		if (client_reply(c, "RCEV", &r, &n) < 0)
			return -1;
		if (!pop1_ok(r, n))
			return client_fail(c, CLIENT_EX_PROTOCOL, "RCEV: the "
			    "server answered '%.*s'", (int)(n > 200 ? 200 : n),
			    r);
	}
	/* An empty mailbox ("#0") sends nothing; RCVD follows at once. */
	c->waiting = "the mail data";
	if (client_data_raw(c, xxx) < 0)
		return -1;
	client_trace_octets(c, xxx);
	/* On disk (fsync()ed with --delete) before RCVD lets RDEL delete. */
	if (client_out_close(c) < 0)
		return -1;
	if (client_send(c, "RCVD", NULL) < 0 ||
	    client_reply(c, "RCVD", &r, &n) < 0)
		return -1;
	if (!pop1_ok(r, n)) {
		/* RFC 918 RCVD: "-ERR" after RDEL means the mail may not
		 * have been deleted.  We have it; say so and still QUIT. */
		client_fail(c, CLIENT_EX_PROTOCOL, "RCVD: the server answered "
		    "'%.*s'%s", (int)(n > 200 ? 200 : n), r, o->delete ?
		    " (the mail was saved but may not be deleted)" : "");
		(void)client_send(c, "QUIT", NULL);
		return -1;
	}
	return pop1_cmd(c, "QUIT", NULL, CLIENT_EX_PROTOCOL);
}
