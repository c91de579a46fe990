/*
 * pop1_parse.h - POP1 command lines, parsed as pure functions over bytes:
 * no I/O, no allocation, no session.  Every pointer the parser fills
 * points into the caller's buffer, which need not be NUL-terminated.
 *
 * RFC 918 gives no syntax beyond its examples ("USER Fred", "RDEL
 * mailbox"): a keyword, a SPACE, at most one argument, CRLF.  Every
 * keyword it defines is four upper-case letters.
 */
#ifndef POLYPOP_POP1_PARSE_H
#define POLYPOP_POP1_PARSE_H

#include <stddef.h>

#include "proto_parse.h"

/* RFC 918, Summary of Commands and Replies: USER, PASS, RETR, RDEL, RCEV,
 * RCVD, QUIT, NOOP, RSET - four letters each, never three (unlike RFC
 * 1939 §3, which allows TOP). */
#define POP1_KEYWORD_LEN	4
/* No RFC 918 command takes more than one argument.  More are counted in
 * nargs, so the dispatcher can say "too many", but only one is stored. */
#define POP1_ARGS_MAX		1

/* The shared codes (proto_parse.h) under POP1 names. */
enum pop1_parse_status {
	POP1_PARSE_OK = PROTO_PARSE_OK,
	POP1_PARSE_EMPTY = PROTO_PARSE_EMPTY,	/* nothing on the line */
	POP1_PARSE_KEYWORD = PROTO_PARSE_KEYWORD, /* not four ASCII letters */
	POP1_PARSE_CHAR = PROTO_PARSE_CHAR,	/* control or 8-bit */
	POP1_PARSE_SPACE = PROTO_PARSE_SPACE,	/* leading or doubled */
};

/* How the text after the keyword becomes arguments. */
enum pop1_parse_mode {
	/* Words of printable ASCII, one SPACE apart (USER name, RETR
	 * mailbox). */
	POP1_ARGS_SPLIT = PROTO_ARGS_SPLIT,
	/* The rest of the line is one argument, spaces and all (PASS: a
	 * password may contain spaces; RFC 918 does not forbid it). */
	POP1_ARGS_REST = PROTO_ARGS_REST,
};

struct pop1_cmd {
	/* The keyword as sent (the octets before the first SPACE), set even
	 * when it is rejected, so an error reply can quote it. */
	const char *kw;
	size_t kw_len;
	/* Upper-cased and NUL-terminated; valid when the keyword parsed. */
	char keyword[POP1_KEYWORD_LEN + 1];
	/* Everything after the keyword's SPACE; NULL when there is none. */
	const char *rest;
	size_t rest_len;
	/* Arguments found (may exceed POP1_ARGS_MAX) and the first one. */
	size_t nargs;
	struct proto_arg arg[POP1_ARGS_MAX];
};

/*
 * Split LINE (LEN octets, no CR or LF terminator) into keyword and rest.
 * Returns POP1_PARSE_OK, or EMPTY / KEYWORD / SPACE (line starts with a
 * SPACE), with cmd->kw set to whatever was there.  Does not look at the
 * rest.
 */
int pop1_parse_keyword(const char *line, size_t len, struct pop1_cmd *cmd);

/* Fill cmd->nargs and cmd->arg from cmd->rest as MODE says.  Returns
 * POP1_PARSE_OK, POP1_PARSE_CHAR or POP1_PARSE_SPACE. */
int pop1_parse_args(struct pop1_cmd *cmd, enum pop1_parse_mode mode);

/* Both of the above: one line, one mode (for tests and fuzzing). */
int pop1_parse_line(const char *line, size_t len, enum pop1_parse_mode mode,
    struct pop1_cmd *cmd);

#endif /* POLYPOP_POP1_PARSE_H */
