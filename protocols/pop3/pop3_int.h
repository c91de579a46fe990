/*
 * pop3_int.h - what the files of the POP3 module share: the session state,
 * the command table's row type and the dispatcher.  The core never
 * includes this file (it sees pop3.h only); the unit tests do.
 */
#ifndef POLYPOP_POP3_INT_H
#define POLYPOP_POP3_INT_H

#include <stddef.h>

#include "pop3_parse.h"

struct session;
struct store;

/*
 * RFC 2449 §4: "The maximum length of a command is increased from 47
 * characters (4 character command, single space, 40 character argument,
 * CRLF) to 255 octets, including the terminating CRLF."  RFC 1939's 47
 * is too tight for real user names and passwords; 255 is what clients
 * that know CAPA expect, so it is the limit here too.
 */
#define POP3_MAX_LINE		255
/* Longest USER/APOP name that fits in such a line, plus NUL. */
#define POP3_NAME_SIZE		POP3_MAX_LINE
/* RFC 1939 §4: after a -ERR to an authentication command "the server may
 * close the connection".  Three tries is the usual client retry budget. */
#define POP3_MAX_FAILED_LOGINS	3
/* Dovecot's CLIENT_MAX_BAD_COMMANDS: a real client never gets near it. */
#define POP3_MAX_BAD_COMMANDS	20

/* RFC 1939 §3: the states a session passes through, named as the RFC
 * names them.  Only pop3_enter_state() writes pop3->state. */
enum pop3_state {
	POP3_AUTHORIZATION,
	POP3_TRANSACTION,
	POP3_UPDATE,
};
#define POP3_NSTATES		3
#define POP3_S(st)		(1u << (st))
#define POP3_S_AUTH		POP3_S(POP3_AUTHORIZATION)
#define POP3_S_TRANS		POP3_S(POP3_TRANSACTION)

/* Revisions a command row exists in.  Only RFC 1939 now; RFC 1081, 1225,
 * 1460 and 1725 become further bits (LAST, RPOP, ...) on the same table. */
#define POP3_PROFILE_RFC1939	(1u << 0)
#define POP3_PROFILES_ALL	POP3_PROFILE_RFC1939

/* A multi-line listing in progress (resumable, see pop3_cmds.c). */
enum pop3_listing {
	POP3_LISTING_NONE,
	POP3_LISTING_LIST,
	POP3_LISTING_UIDL,
};

struct pop3 {
	struct session *s;
	enum pop3_state state;
	unsigned profile;		/* one POP3_PROFILE_* bit */
	struct store *st;		/* open in TRANSACTION and UPDATE */

	/* RFC 1939 §7: PASS "may only be given ... immediately after a
	 * successful USER command".  USER sets user_ok; the dispatcher moves
	 * it to after_user before each command and clears it. */
	char user[POP3_NAME_SIZE];
	int user_ok;
	int after_user;

	unsigned failed_logins;
	unsigned bad_commands;

	enum pop3_listing listing;
	size_t cursor;			/* next message index to list */
	size_t left;			/* messages kept, for QUIT's reply */
};

/* What a handler tells the dispatcher. */
enum pop3_result {
	POP3_DONE = 0,		/* replied, or an async request is running */
	POP3_BAD = -1,		/* replied -ERR to a client mistake: count it */
};

struct pop3_cmd;

/* One row per command: RFC 1939 §9's summary, made executable. */
struct pop3_command {
	const char *name;		/* upper case keyword */
	unsigned states;		/* POP3_S_* bits where it is valid */
	unsigned profiles;		/* POP3_PROFILE_* bits */
	unsigned char min_args;
	unsigned char max_args;
	enum pop3_parse_mode mode;
	int (*handler)(struct pop3 *p, const struct pop3_cmd *cmd);
	const char *usage;		/* "TOP msg n", for -ERR and docs */
	const char *section;		/* "RFC 1939 §7" */
};

extern const struct pop3_command pop3_commands[];
extern const size_t pop3_ncommands;

/* Case-insensitive lookup of the keyword KW (LEN octets); NULL if none. */
const struct pop3_command *pop3_command_find(const char *kw, size_t len);
/* Parse, check and run one command line. */
void pop3_dispatch(struct pop3 *p, const char *line, size_t len);

/* pop3_describe.c: row I of the table for docs (proto_ops.describe). */
struct proto_command_doc;
int pop3_describe(size_t i, struct proto_command_doc *out);

/* pop3_session.c */
const char *pop3_state_name(enum pop3_state st);
void pop3_enter_state(struct pop3 *p, enum pop3_state st);
/* Count a bad command; at the limit, say so and close. */
void pop3_bad_command(struct pop3 *p);

#endif /* POLYPOP_POP3_INT_H */
