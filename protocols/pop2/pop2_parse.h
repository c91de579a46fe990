/*
 * pop2_parse.h - POP2 command lines and numbers, parsed as pure functions
 * over bytes: no I/O, no allocation, no session.
 *
 * RFC 937, Formal Syntax: a command is a four-letter keyword, then
 * arguments each after one <SP>, then CRLF (the core has removed it).
 * RFC 937, Quoting: "back-slash, space" stands for a space and
 * "back-slash, back-slash" for a back-slash inside an argument.  The
 * parser undoes the quoting and copies the arguments, NUL-terminated,
 * into the struct pop2_cmd itself, so it still allocates nothing.
 */
#ifndef POLYPOP_POP2_PARSE_H
#define POLYPOP_POP2_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "proto_parse.h"

/* RFC 937, Sizes: "The maximum length of a command line is 512
 * characters (including the command word and the CRLF)." */
#define POP2_MAX_LINE		512
/* RFC 937, Formal Syntax: every keyword is four letters. */
#define POP2_KEYWORD_LEN	4
/* HELO has two arguments, the most of any command.  More are counted
 * in nargs so the dispatcher can say "too many", but not stored. */
#define POP2_ARGS_MAX		2

enum pop2_parse_status {
	/* The shared codes (proto_parse.h), then POP2's own. */
	POP2_PARSE_OK = PROTO_PARSE_OK,
	POP2_PARSE_EMPTY = PROTO_PARSE_EMPTY,	/* nothing on the line */
	POP2_PARSE_KEYWORD = PROTO_PARSE_KEYWORD, /* not four ASCII letters */
	POP2_PARSE_CHAR = PROTO_PARSE_CHAR,	/* NUL, CR, DEL... */
	POP2_PARSE_SPACE = PROTO_PARSE_SPACE,	/* leading or doubled */
	POP2_PARSE_LONG = -5,		/* longer than POP2_MAX_LINE - 2 */
};

/*
 * How the text after the keyword becomes arguments.  LIMIT is the most
 * arguments a command takes: the last of them is the rest of the line,
 * unquoted spaces included (RFC 937, Formal Syntax: <mailbox> = <string>,
 * which may hold <SP>).  0 means no limit: split at every unquoted space.
 */
struct pop2_arg {
	const char *ptr;	/* into cmd->buf, NUL-terminated */
	size_t len;
};

struct pop2_cmd {
	/* The keyword as sent (the octets before the first SPACE), set even
	 * when it is rejected, so an error reply can quote it. */
	const char *kw;
	size_t kw_len;
	/* Upper-cased and NUL-terminated; valid when the keyword parsed. */
	char keyword[POP2_KEYWORD_LEN + 1];
	/* Everything after the keyword's SPACE; NULL when there is none. */
	const char *rest;
	size_t rest_len;
	/* Arguments found (may exceed POP2_ARGS_MAX) and the first ones,
	 * unquoted. */
	size_t nargs;
	struct pop2_arg arg[POP2_ARGS_MAX];
	/* Unquoted copies of the stored arguments (may hold a password:
	 * the dispatcher wipes the whole struct after each command). */
	char buf[POP2_MAX_LINE + POP2_ARGS_MAX];
};

/*
 * Split LINE (LEN octets, no CRLF) into keyword and rest.  Returns
 * POP2_PARSE_OK, EMPTY, LONG, SPACE (line starts with a SPACE) or
 * KEYWORD, with cmd->kw set to whatever was there.
 */
int pop2_parse_keyword(const char *line, size_t len, struct pop2_cmd *cmd);

/* Fill cmd->nargs, cmd->arg and cmd->buf from cmd->rest, at most LIMIT
 * arguments (0: no limit).  Returns POP2_PARSE_OK, CHAR or SPACE. */
int pop2_parse_args(struct pop2_cmd *cmd, size_t limit);

/* Both of the above (for tests and fuzzing). */
int pop2_parse_line(const char *line, size_t len, size_t limit,
    struct pop2_cmd *cmd);

enum pop2_num_status {
	/* The shared codes under POP2 names. */
	POP2_NUM_OK = PROTO_NUM_OK,
	POP2_NUM_SYNTAX = PROTO_NUM_SYNTAX,	/* empty, or not a digit */
	POP2_NUM_NOISE = PROTO_NUM_NOISE,	/* digits, then something */
	POP2_NUM_RANGE = PROTO_NUM_RANGE,	/* more than MAX */
};

/* RFC 937, Numbers: "All numbers in this memo and protocol are decimal."
 * No sign, no blanks, leading zeros accepted, at most MAX: the work is
 * proto_parse_number()'s. */
int pop2_parse_number(const char *p, size_t len, uint64_t max,
    uint64_t *out);

/*
 * For traces: how many leading octets of a HELO line may be shown, i.e.
 * "HELO user " (the user name ends at its first unquoted SPACE); the
 * password after it is masked.  Any other line is shown whole, except
 * that a line whose keyword does not parse keeps only its first word.
 */
size_t pop2_trace_keep_len(const char *line, size_t len);

#endif /* POLYPOP_POP2_PARSE_H */
