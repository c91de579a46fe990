/*
 * pop2_states.c - the POP2 server's state diagram for the docs
 * (proto_ops.edge): RFC 937's Server State Diagram, derived from the
 * command table, whose rows are the Server Decision Table's (the states
 * where a command's action is not 1, and the state the action goes to).
 */
#include <string.h>

#include "pop2_int.h"
#include "proto.h"

/*
 * Edges, in this order: Open (action 2, the greeting: LSTN becomes AUTH;
 * the listener is the core's, so it is drawn as "start"); for each row,
 * one edge from each state it is valid in to the state its action goes
 * to; then Close (action 9: DONE closes the connection).  Action 1 ("This
 * is garbage.  Send "- error", and Close the connection"), possible in
 * every state, is not drawn: the RFC's diagram does not draw it either.
 */
int
pop2_edge(const char *profile, size_t i, struct proto_edge_doc *out)
{
	size_t r;
	int st;

	memset(out, 0, sizeof(*out));
	if (profile != NULL && profile[0] != '\0')
		return 0;
	if (i-- == 0) {
		out->from = "start";
		out->to = pop2_state_name(POP2_AUTH);
		out->label = "Open, + greeting";
		return 1;
	}
	for (r = 0; r < pop2_ncommands; r++) {
		for (st = POP2_AUTH; st <= POP2_DONE; st++) {
			if (!(pop2_commands[r].states & POP2_S(st)) ||
			    i-- != 0)
				continue;
			out->from = pop2_state_name((enum pop2_state)st);
			out->to = pop2_state_name(pop2_commands[r].next);
			out->label = pop2_commands[r].name;
			return 1;
		}
	}
	if (i == 0) {
		out->from = pop2_state_name(POP2_DONE);
		out->to = "end";
		out->label = "Close";
		return 1;
	}
	return 0;
}

/* RFC 937's own header and Status of this Memo. */
const char *
pop2_profile_title(const char *profile)
{
	if (profile != NULL && profile[0] != '\0')
		return NULL;
	return "RFC 937, February 1985: POP2, \"a proposed protocol\" "
	    "(obsoletes RFC 918)";
}
