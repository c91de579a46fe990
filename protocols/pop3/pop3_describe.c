/*
 * pop3_describe.c - the command table as text and as a state diagram, per
 * profile, for `polypopd commands` and the generated pages in docs/.  The
 * table is the single source: a command's usage, states, reply, RFC
 * section per revision and state changes are written once, in
 * pop3_table.c.
 */
#include <string.h>

#include "pop3.h"
#include "pop3_int.h"

/* The names of a POP3_S_* bit set, "AUTHORIZATION, TRANSACTION". */
static const char *
pop3_states_text(unsigned states)
{
	static const char *const text[] = {
		[0] = "none",
		[POP3_S_AUTH] = "AUTHORIZATION",
		[POP3_S_TRANS] = "TRANSACTION",
		[POP3_S_AUTH | POP3_S_TRANS] = "AUTHORIZATION, TRANSACTION",
	};

	states &= POP3_S_AUTH | POP3_S_TRANS;
	return text[states];
}

/* The I-th row that profile PR has, or NULL. */
static const struct pop3_command *
pop3_nth(enum pop3_profile pr, size_t i)
{
	size_t r;

	for (r = 0; r < pop3_ncommands; r++)
		if (pop3_command_section(&pop3_commands[r], pr) != NULL &&
		    i-- == 0)
			return &pop3_commands[r];
	return NULL;
}

int
pop3_describe(const char *profile, size_t i, struct proto_command_doc *out)
{
	const struct pop3_command *c;
	int pr;

	memset(out, 0, sizeof(*out));
	if ((pr = pop3_profile_find(profile)) < 0 ||
	    (c = pop3_nth((enum pop3_profile)pr, i)) == NULL)
		return 0;
	out->name = c->name;
	out->usage = c->usage;
	out->states = pop3_states_text(c->states);
	out->section = c->in[pr].section;
	out->optional = c->in[pr].optional;
	out->reply = c->ok;
	out->summary = c->summary;
	return 1;
}

static const char *
pop3_goto_name(unsigned g, const char *from)
{
	switch (g) {
	case POP3_GO_TRANSACTION:
		return "TRANSACTION";
	case POP3_GO_UPDATE:
		return "UPDATE";
	case POP3_GO_END:
		return "end";
	}
	return from;
}

/*
 * Edges, in this order: the greeting; for each command the profile has,
 * one edge per state it is valid in (a loop when it stays); then UPDATE's
 * way out.  A login command's failure stays in AUTHORIZATION, which the
 * USER loop already shows, so only success edges are drawn.
 */
int
pop3_edge(const char *profile, size_t i, struct proto_edge_doc *out)
{
	static const char *const from[] = { "AUTHORIZATION", "TRANSACTION" };
	const struct pop3_command *c;
	size_t r, k;
	int pr;

	memset(out, 0, sizeof(*out));
	if ((pr = pop3_profile_find(profile)) < 0)
		return 0;
	if (i-- == 0) {
		out->from = "start";
		out->to = "AUTHORIZATION";
		out->label = "connect, +OK greeting";
		return 1;
	}
	for (r = 0; (c = pop3_nth((enum pop3_profile)pr, r)) != NULL; r++) {
		for (k = 0; k < 2; k++) {
			if (!(c->states & POP3_S(k)))
				continue;
			if (i-- != 0)
				continue;
			out->from = from[k];
			out->to = pop3_goto_name(k == 0 ? c->go_auth :
			    c->go_trans, from[k]);
			out->label = c->name;
			return 1;
		}
	}
	if (i == 0) {
		out->from = "UPDATE";
		out->to = "end";
		out->label = "deleted messages removed, +OK, close";
		return 1;
	}
	return 0;
}
