/*
 * pop2_int.h - what the files of the POP2 module share: the session state,
 * the command table's row type and the dispatcher.  The core never
 * includes this file (it sees pop2.h only); the unit tests do.
 */
#ifndef POLYPOP_POP2_INT_H
#define POLYPOP_POP2_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pop2_parse.h"

struct session;
struct store;

/*
 * RFC 937, Server State Diagram: the states a session passes through,
 * named as the RFC names them.  LSTN is the core's listener, not a
 * session state.  Only pop2_enter_state() writes pop2->state.
 */
enum pop2_state {
	POP2_AUTH,	/* greeted, waiting for HELO */
	POP2_MBOX,	/* a mailbox is selected (HELO, FOLD) */
	POP2_ITEM,	/* a message is current (READ, or after an ack) */
	POP2_NEXT,	/* a message was sent (RETR), an ack must follow */
	POP2_DONE,	/* QUIT or an error: closing, no more commands */
};
#define POP2_S(st)		(1u << (st))
#define POP2_S_AUTH		POP2_S(POP2_AUTH)
#define POP2_S_MBOX		POP2_S(POP2_MBOX)
#define POP2_S_ITEM		POP2_S(POP2_ITEM)
#define POP2_S_NEXT		POP2_S(POP2_NEXT)

/* Longest HELO user name that fits in a command line, plus NUL. */
#define POP2_NAME_SIZE		POP2_MAX_LINE

struct pop2 {
	struct session *s;
	enum pop2_state state;
	/* The selected mailbox; NULL in AUTH, and in MBOX/ITEM after a FOLD
	 * to a folder that does not exist (RFC 937 FOLD: "the number of
	 * messages reported is zero"). */
	struct store *st;
	/* RFC 937, The Protocol: "the current message indicator", 1-based,
	 * "set to one when a new folder is selected".  Kept at most one
	 * past the last message: every larger number answers =0 too. */
	size_t cur;
	/* The folder FOLD asked for, while its commit and open run. */
	char folder[POP2_MAX_LINE];
};

struct pop2_command {
	const char *name;		/* upper case keyword */
	unsigned states;		/* POP2_S_* bits where it is valid */
	unsigned char min_args;
	unsigned char max_args;		/* the last one takes the rest */
	int rest;			/* max_args-th argument is the rest */
	void (*handler)(struct pop2 *p, const struct pop2_cmd *cmd);
	const char *usage;		/* "READ [n]", for errors and docs */
	const char *section;		/* "RFC 937 Commands: READ" */
	/* The state its action leads to (RFC 937, Server Decision Table,
	 * actions 3 to 8; Server State Diagram).  For the docs' diagram
	 * (pop2_states.c); the handlers enter it themselves. */
	enum pop2_state next;
};

extern const struct pop2_command pop2_commands[];
extern const size_t pop2_ncommands;

/* Case-insensitive lookup of the keyword KW (LEN octets); NULL if none. */
const struct pop2_command *pop2_command_find(const char *kw, size_t len);
/* Parse, check and run one command line. */
void pop2_dispatch(struct pop2 *p, const char *line, size_t len);
/* Row I of the table for docs (proto_ops.describe). */
struct proto_command_doc;
int pop2_describe(const char *profile, size_t i,
    struct proto_command_doc *out);
/* Edge I of the state diagram (proto_ops.edge), pop2_states.c. */
struct proto_edge_doc;
int pop2_edge(const char *profile, size_t i, struct proto_edge_doc *out);
const char *pop2_profile_title(const char *profile);
/* "MBOX, ITEM" for a POP2_S_* set. */
const char *pop2_states_text(unsigned states);

/* pop2_session.c */
const char *pop2_state_name(enum pop2_state st);
void pop2_enter_state(struct pop2 *p, enum pop2_state st);
/* RFC 937 server action 1: "- text", go to DONE and close. */
void pop2_fail(struct pop2 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* POLYPOP_POP2_INT_H */
