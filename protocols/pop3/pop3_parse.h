/*
 * pop3_parse.h - POP3 command lines and numbers, parsed as pure functions
 * over bytes: no I/O, no allocation, no session.  Every pointer a parser
 * fills points into the caller's buffer, which need not be NUL-terminated.
 *
 * RFC 1939 §3: "Commands in the POP3 consist of a case-insensitive keyword,
 * possibly followed by one or more arguments. ... Keywords and arguments
 * consist of printable ASCII characters.  Keywords and arguments are each
 * separated by a single SPACE character.  Keywords are three or four
 * characters long."
 */
#ifndef POLYPOP_POP3_PARSE_H
#define POLYPOP_POP3_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "proto_parse.h"

/* RFC 1939 §3: keywords are three or four characters long. */
#define POP3_KEYWORD_MIN	3
#define POP3_KEYWORD_MAX	4
/* No RFC 1939 command takes more than two arguments (APOP, TOP).  More
 * are counted in nargs, so the dispatcher can say "too many", but only
 * this many are stored. */
#define POP3_ARGS_MAX		2

/* The shared codes (proto_parse.h) under POP3 names. */
enum pop3_parse_status {
	POP3_PARSE_OK = PROTO_PARSE_OK,
	POP3_PARSE_EMPTY = PROTO_PARSE_EMPTY,	/* nothing on the line */
	POP3_PARSE_KEYWORD = PROTO_PARSE_KEYWORD, /* not 3-4 ASCII letters */
	POP3_PARSE_CHAR = PROTO_PARSE_CHAR,	/* control or 8-bit */
	POP3_PARSE_SPACE = PROTO_PARSE_SPACE,	/* leading or doubled */
};

/* How the text after the keyword becomes arguments. */
enum pop3_parse_mode {
	/* RFC 1939 §3: arguments of printable ASCII, one SPACE apart. */
	POP3_ARGS_SPLIT = PROTO_ARGS_SPLIT,
	/* The rest of the line is one argument, spaces and all: RFC 1939 §7
	 * PASS "may treat spaces in the argument as part of the password". */
	POP3_ARGS_REST = PROTO_ARGS_REST,
	/* As SPLIT, but octets 0x80-0xFF are argument characters too: RFC
	 * 6856 §2.2 UTF-8 user names (the caller checks the UTF-8). */
	POP3_ARGS_SPLIT_8BIT = 2,
};

struct pop3_cmd {
	/* The keyword as sent (the octets before the first SPACE), set even
	 * when it is rejected, so an error reply can quote it. */
	const char *kw;
	size_t kw_len;
	/* Upper-cased and NUL-terminated; valid when the keyword parsed. */
	char keyword[POP3_KEYWORD_MAX + 1];
	/* Everything after the keyword's SPACE; NULL when there is none. */
	const char *rest;
	size_t rest_len;
	/* Arguments found (may exceed POP3_ARGS_MAX) and the first ones. */
	size_t nargs;
	struct proto_arg arg[POP3_ARGS_MAX];
};

/*
 * Split LINE (LEN octets, no CR or LF terminator) into keyword and rest.
 * Returns POP3_PARSE_OK, or EMPTY / KEYWORD / SPACE (line starts with a
 * SPACE), with cmd->kw set to whatever was there.  Does not look at the
 * rest.
 */
int pop3_parse_keyword(const char *line, size_t len, struct pop3_cmd *cmd);

/*
 * Fill cmd->nargs and cmd->arg from cmd->rest as MODE says.  Returns
 * POP3_PARSE_OK, POP3_PARSE_CHAR or POP3_PARSE_SPACE.
 */
int pop3_parse_args(struct pop3_cmd *cmd, enum pop3_parse_mode mode);

/* Both of the above: one line, one mode (for tests and fuzzing). */
int pop3_parse_line(const char *line, size_t len, enum pop3_parse_mode mode,
    struct pop3_cmd *cmd);

/* The shared codes under POP3 names. */
enum pop3_num_status {
	POP3_NUM_OK = PROTO_NUM_OK,
	POP3_NUM_SYNTAX = PROTO_NUM_SYNTAX,	/* empty, or not a digit */
	POP3_NUM_NOISE = PROTO_NUM_NOISE,	/* digits, then something */
	POP3_NUM_RANGE = PROTO_NUM_RANGE,	/* more than MAX */
};

/*
 * A decimal number without sign (RFC 1939 §4: "all message-numbers and
 * message sizes are expressed in base-10"), at most MAX, checked for
 * overflow digit by digit.  Leading zeros are accepted.  The work is
 * proto_parse_number()'s.
 */
int pop3_parse_number(const char *p, size_t len, uint64_t max,
    uint64_t *out);

#endif /* POLYPOP_POP3_PARSE_H */
