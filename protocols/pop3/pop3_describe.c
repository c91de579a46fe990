/*
 * pop3_describe.c - the command table as text, for `polypopd commands`
 * and the generated docs/pop3-commands.md.  The table is the single source:
 * a command's usage, states and RFC section are written once, in
 * pop3_cmds.c.
 */
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

int
pop3_describe(size_t i, struct proto_command_doc *out)
{
	const struct pop3_command *c;

	if (i >= pop3_ncommands)
		return 0;
	c = &pop3_commands[i];
	out->name = c->name;
	out->usage = c->usage;
	out->states = pop3_states_text(c->states);
	out->section = c->section;
	return 1;
}
