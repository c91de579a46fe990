/*
 * pop3_explain.h - the state of `polypopd explain` over one transcript
 * (pop3_explain.c).  The core sees only the opaque struct and the
 * functions in pop3.h; the unit tests may put one on the stack.
 */
#ifndef POLYPOP_POP3_EXPLAIN_H
#define POLYPOP_POP3_EXPLAIN_H

#include <stddef.h>
#include <stdint.h>

#include "pop3.h"
#include "pop3_int.h"

/* A client line is copied (for its row) up to this many octets. */
#define POP3_EXPLAIN_HELD	1024

/* The reply being read. */
enum pop3_explain_reply {
	POP3_EX_NONE,		/* no multi-line reply open */
	POP3_EX_DATA,		/* RETR, TOP, XTND, CAPA: not checked */
	POP3_EX_SCAN,		/* LIST: "n size" lines */
	POP3_EX_UIDL,		/* UIDL: "n uid" lines */
	POP3_EX_GUESS,		/* +OK to a command the table does not know:
				 * lines before the next command are taken
				 * as a multi-line reply, unchecked */
};

struct pop3_explain {
	enum pop3_profile pr;
	unsigned pf;			/* the profile's POP3_PF_* */
	int strict;

	enum pop3_state st;
	int greeted;			/* the greeting (or a command) was seen */
	int stamp;			/* the greeting has a <timestamp> */
	int no_greeting;		/* the transcript started with a command */
	int ended;			/* QUIT was answered: nothing may follow */
	/* RFC 5034 §4: the server sent an AUTH challenge, so the next
	 * client line is a SASL response, not a command. */
	int sasl;
	/* RFC 1939 §7: PASS only right after a successful USER, tracked as
	 * the dispatcher does; RFC 1081 to 1725 (PASS, RPOP): after one,
	 * i.e. the last USER succeeded and no PASS or RPOP came since. */
	int user_ok, after_user;
	int user_last_ok;

	/* The client line waiting for its reply. */
	int held;
	char held_text[POP3_EXPLAIN_HELD];
	size_t held_len;
	enum pop3_state before;
	char cite[160];			/* its citation, also for the reply */
	const struct pop3_command *cmd;	/* NULL: no revision has it */
	char name[8];			/* keyword as sent, for messages */
	int args_rc;			/* pop3_parse_args() */
	size_t nargs;
	size_t arg_long;		/* 1-based argument over 40, or 0 */
	int has_num;			/* first argument is a number */
	uint64_t num;
	size_t held_flags;
	char held_flag[2][POP3_EXPLAIN_FLAG];

	/* The multi-line reply being read. */
	enum pop3_explain_reply reply;
	const char *reply_sec;		/* the section governing it */
	char reply_name[8];
	size_t listed;			/* lines in it so far */
};

void pop3_explain_init(struct pop3_explain *x, enum pop3_profile pr,
    int strict);

#endif /* POLYPOP_POP3_EXPLAIN_H */
