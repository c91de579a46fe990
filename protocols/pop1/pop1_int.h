/*
 * pop1_int.h - what the files of the POP1 module share: the session state,
 * the command table's row type and the dispatcher.  The core never
 * includes this file (it sees pop1.h only); the unit tests do.
 */
#ifndef POLYPOP_POP1_INT_H
#define POLYPOP_POP1_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pop1_parse.h"

struct session;
struct store;

/*
 * RFC 918 sets no line limit.  RFC 937 (its revision, on the same port)
 * sets 512 octets including CRLF (Sizes), and the shared port-109
 * listener reads its first line with that limit, so POP1 uses it too.
 */
#define POP1_MAX_LINE		512
#define POP1_NAME_SIZE		POP1_MAX_LINE
/* RFC 918's Diagram sends the client back to USER after a -ERR, without
 * limit; unbounded guessing on one connection is not something we owe
 * anyone, so the third failure closes it (POP3 does the same). */
#define POP1_MAX_FAILED_LOGINS	3
/* Dovecot's CLIENT_MAX_BAD_COMMANDS: a real client never gets near it. */
#define POP1_MAX_BAD_COMMANDS	20

/*
 * The server's side of RFC 918's Normal Scenario and Diagram.  The RFC
 * names no states; each is named after what the server waits for, in the
 * RFC's words.  Only pop1_enter_state() writes pop1->state.
 */
enum pop1_state {
	/* The Protocol: the client "waits for the greeting, then sends the
	 * USER"; the Diagram returns here after every -ERR of USER/PASS. */
	POP1_WAIT_USER,
	/* USER: "It must be followed by the PASS command." */
	POP1_WAIT_PASS,
	/* RSET: "waiting for a command (one of RDEL, RETR, QUIT, NOOP, or
	 * RSET)".  Logged in; no mailbox open. */
	POP1_WAIT_COMMAND,
	/* RETR/RDEL answered "#xxx": the mailbox is open and locked; "It
	 * must be followed by the RCEV command." */
	POP1_WAIT_RCEV,
	/* RCEV: "The server responds by sending the mail data."  No line
	 * is read meanwhile. */
	POP1_SEND_DATA,
	/* RCEV: "It must be followed by the RCVD command." */
	POP1_WAIT_RCVD,
	/* QUIT: "The server sends an OK response and then closes". */
	POP1_CLOSE,
};
#define POP1_NSTATES		7
#define POP1_S(st)		(1u << (st))
/* The states in which lines are read. */
#define POP1_S_LINES		(POP1_S(POP1_WAIT_USER) | \
	POP1_S(POP1_WAIT_PASS) | POP1_S(POP1_WAIT_COMMAND) | \
	POP1_S(POP1_WAIT_RCEV) | POP1_S(POP1_WAIT_RCVD))

struct pop1 {
	struct session *s;
	enum pop1_state state;
	/* USER's name, kept for PASS. */
	char user[POP1_NAME_SIZE];

	/* The mail reading transaction (RETR or RDEL .. RCVD or RSET). */
	struct store *st;		/* open and locked in WAIT_RCEV..RCVD */
	int rdel;			/* it began with RDEL */
	size_t nmsgs;			/* messages in it, at open */
	uint64_t octets;		/* "#xxx": what RCEV sends */
	size_t next;			/* next message RCEV sends */

	unsigned failed_logins;
	unsigned bad_commands;
};

/* What a handler tells the dispatcher. */
enum pop1_result {
	POP1_DONE = 0,		/* replied, or an async request is running */
	POP1_BAD = -1,		/* replied -ERR to a client mistake: count it */
};

/* One row per command: RFC 918's summary, made executable. */
struct pop1_command {
	const char *name;		/* upper case keyword */
	unsigned states;		/* POP1_S() bits where it is valid */
	unsigned char min_args;
	unsigned char max_args;
	enum pop1_parse_mode mode;
	int (*handler)(struct pop1 *p, const struct pop1_cmd *cmd);
	const char *usage;		/* "RETR mailbox", for -ERR and docs */
	const char *section;		/* "RFC 918 Commands: RETR" */
	/* Where its success leads: an enum pop1_state or a POP1_NEXT_*
	 * (RFC 918 Diagram).  For the docs' diagram (pop1_states.c); the
	 * handlers enter their states themselves. */
	int next;
};

/* pop1_command.next besides a state. */
#define POP1_NEXT_STAY		(-1)	/* stays where it was given */
/* RSET: aborts what is in progress: a mail reading transaction (back to
 * WAIT-COMMAND) or a login after USER (back to WAIT-USER); else stays. */
#define POP1_NEXT_ABORT		(-2)

extern const struct pop1_command pop1_commands[];
extern const size_t pop1_ncommands;

/* Case-insensitive lookup of the keyword KW (LEN octets); NULL if none. */
const struct pop1_command *pop1_command_find(const char *kw, size_t len);
/* Parse, check and run one command line. */
void pop1_dispatch(struct pop1 *p, const char *line, size_t len);
/* Row I of the table for docs (proto_ops.describe). */
struct proto_command_doc;
int pop1_describe(const char *profile, size_t i,
    struct proto_command_doc *out);
/* Edge I of the state diagram (proto_ops.edge), pop1_states.c. */
struct proto_edge_doc;
int pop1_edge(const char *profile, size_t i, struct proto_edge_doc *out);
const char *pop1_profile_title(const char *profile);
/* The text of a POP1_S() bit set, "WAIT-USER, WAIT-PASS" or "any". */
const char *pop1_states_text(unsigned states, char *buf, size_t len);

/* pop1_session.c */
const char *pop1_state_name(enum pop1_state st);
void pop1_enter_state(struct pop1 *p, enum pop1_state st);
/* Count a bad command; at the limit, say so and close. */
void pop1_bad_command(struct pop1 *p);
/* End the mail reading transaction: close and unlock the mailbox,
 * committing nothing (RSET, QUIT, a lost connection). */
void pop1_release(struct pop1 *p);

#endif /* POLYPOP_POP1_INT_H */
