/*
 * pop1_states.c - the POP1 server's state diagram for the docs
 * (proto_ops.edge), derived from the command table: each row's states and
 * the state its success leads to (RFC 918 Diagram, The Protocol, and each
 * command's text under Commands).  RFC 918 names no states; they are
 * named as pop1_state_name() names them, after what the server waits for.
 */
#include <string.h>

#include "pop1_int.h"
#include "proto.h"

/* Where row C, given in state ST, leads when it succeeds. */
static enum pop1_state
pop1_after(const struct pop1_command *c, enum pop1_state st)
{
	switch (c->next) {
	case POP1_NEXT_STAY:
		return st;
	case POP1_NEXT_ABORT:
		/* RFC 918 RSET: "abort the current transaction and return
		 * to waiting for a command"; between USER and PASS the
		 * login is what is aborted (pop1_cmd_rset). */
		if (st == POP1_WAIT_RCEV || st == POP1_WAIT_RCVD)
			return POP1_WAIT_COMMAND;
		if (st == POP1_WAIT_PASS)
			return POP1_WAIT_USER;
		return st;
	}
	return (enum pop1_state)c->next;
}

/* The edges that are not a command's success, after the commands'. */
static const struct {
	enum pop1_state from;
	int to;			/* an enum pop1_state, or -1 for "end" */
	const char *label;
} pop1_other_edges[] = {
	/* RFC 918 Diagram: a -ERR to USER or PASS leads back to USER ("It
	 * must be followed by the PASS command"; pop1_dispatch()). */
	{ POP1_WAIT_PASS, POP1_WAIT_USER, "-ERR" },
	/* RFC 918 RCEV: "The server responds by sending the mail data";
	 * its other possible response is "(connection aborted)". */
	{ POP1_SEND_DATA, POP1_WAIT_RCVD, "mail data sent" },
	{ POP1_SEND_DATA, POP1_CLOSE, "connection aborted" },
	/* RFC 918 QUIT: "The server sends an OK response and then closes
	 * the connection." */
	{ POP1_CLOSE, -1, "Close" },
};

/*
 * Edges, in this order: Open (the +OK greeting, RFC 918 The Normal
 * Scenario); for each row, one edge from each state it is valid in to
 * where its success leads (a loop when it stays); then the others above.
 * A -ERR that leaves the state unchanged is not drawn.
 */
int
pop1_edge(const char *profile, size_t i, struct proto_edge_doc *out)
{
	size_t r, k;
	int st;

	memset(out, 0, sizeof(*out));
	if (profile != NULL && profile[0] != '\0')
		return 0;
	if (i-- == 0) {
		out->from = "start";
		out->to = pop1_state_name(POP1_WAIT_USER);
		out->label = "Open, +OK greeting";
		return 1;
	}
	for (r = 0; r < pop1_ncommands; r++) {
		for (st = 0; st < POP1_NSTATES; st++) {
			if (!(pop1_commands[r].states & POP1_S(st)) ||
			    i-- != 0)
				continue;
			out->from = pop1_state_name((enum pop1_state)st);
			out->to = pop1_state_name(pop1_after(&pop1_commands[r],
			    (enum pop1_state)st));
			out->label = pop1_commands[r].name;
			return 1;
		}
	}
	k = sizeof(pop1_other_edges) / sizeof(pop1_other_edges[0]);
	if (i >= k)
		return 0;
	out->from = pop1_state_name(pop1_other_edges[i].from);
	out->to = pop1_other_edges[i].to < 0 ? "end" :
	    pop1_state_name((enum pop1_state)pop1_other_edges[i].to);
	out->label = pop1_other_edges[i].label;
	return 1;
}

/* RFC 918's own header and Status of this Memo. */
const char *
pop1_profile_title(const char *profile)
{
	if (profile != NULL && profile[0] != '\0')
		return NULL;
	return "RFC 918, October 1984: POP1, \"a proposed protocol\", "
	    "experimental";
}
