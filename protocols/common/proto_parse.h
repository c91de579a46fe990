/*
 * proto_parse.h - the parts of a POP command line that POP1 (RFC 918),
 * POP2 (RFC 937) and POP3 (RFC 1939) share, as pure functions over
 * bytes: no I/O, no allocation, no session.  Every pointer filled points
 * into the caller's buffer, which need not be NUL-terminated.
 *
 * All three send a keyword of ASCII letters, then arguments each after
 * one SPACE.  What differs stays in the modules and comes in here as a
 * parameter: the keyword length (RFC 918 and RFC 937: four letters; RFC
 * 1939 §3: three or four), how many arguments are stored, and POP2's
 * back-slash quoting (RFC 937, Quoting), which only pop2_parse.c knows.
 */
#ifndef POLYPOP_PROTO_PARSE_H
#define POLYPOP_PROTO_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* The modules' own status enums take these values. */
enum proto_parse_status {
	PROTO_PARSE_OK = 0,
	PROTO_PARSE_EMPTY = -1,		/* nothing at all on the line */
	PROTO_PARSE_KEYWORD = -2,	/* keyword of a wrong length or not
					 * ASCII letters */
	PROTO_PARSE_CHAR = -3,		/* control or non-ASCII octet */
	PROTO_PARSE_SPACE = -4,		/* leading or doubled space */
};

/* How the text after the keyword becomes arguments. */
enum proto_parse_mode {
	/* Words of printable ASCII, one SPACE apart (RFC 1939 §3). */
	PROTO_ARGS_SPLIT = 0,
	/* The rest of the line is one argument, spaces and all: a password
	 * (RFC 1939 §7 PASS "may treat spaces in the argument as part of
	 * the password"; RFC 918 does not forbid them). */
	PROTO_ARGS_REST = 1,
};

struct proto_arg {
	const char *ptr;	/* into the line; not NUL-terminated */
	size_t len;
};

/*
 * Split LINE (LEN octets, no CR or LF) at its first SPACE.  *KW_LEN gets
 * the keyword's length as sent and *REST / *REST_LEN what follows the
 * SPACE (NULL and 0 when there is none), whatever the result, so an
 * error reply can quote the keyword.  The keyword must be KW_MIN to
 * KW_MAX ASCII letters; KEYWORD (KW_MAX + 1 octets) then gets it upper-
 * cased and NUL-terminated.  Returns PROTO_PARSE_OK, EMPTY, SPACE (line
 * starts with a SPACE) or KEYWORD.  Does not look at the rest.
 */
int proto_parse_keyword(const char *line, size_t len, size_t kw_min,
    size_t kw_max, char *keyword, size_t *kw_len, const char **rest,
    size_t *rest_len);

/*
 * Fill ARG[0..MAX) and *NARGS from REST (NULL: no arguments) as MODE
 * says.  More than MAX arguments are counted in *NARGS, so a dispatcher
 * can say "too many", but not stored.  On error ARG and *NARGS are
 * zeroed.  Returns PROTO_PARSE_OK, CHAR or SPACE.
 */
int proto_parse_args(const char *rest, size_t rest_len,
    enum proto_parse_mode mode, struct proto_arg *arg, size_t max,
    size_t *nargs);

enum proto_num_status {
	PROTO_NUM_OK = 0,
	PROTO_NUM_SYNTAX = -1,	/* empty, or not starting with a digit */
	PROTO_NUM_NOISE = -2,	/* digits followed by something else */
	PROTO_NUM_RANGE = -3,	/* more than MAX */
};

/*
 * A decimal number without sign or blanks (RFC 937, Numbers: "All
 * numbers in this memo and protocol are decimal"; RFC 1939 §4: "base-10"),
 * at most MAX, checked for overflow digit by digit.  Leading zeros are
 * accepted.  *OUT is 0 unless PROTO_NUM_OK.
 */
int proto_parse_number(const char *p, size_t len, uint64_t max,
    uint64_t *out);

/*
 * Nonzero when the LEN octets at KW spell NAME (upper case, as the command
 * tables write it) in any ASCII case: RFC 1939 §3 makes keywords
 * case-insensitive, and polypop accepts POP1 and POP2 keywords the same
 * way.  Only ASCII letters fold, whatever the locale.
 */
int proto_keyword_is(const char *kw, size_t len, const char *name);

/*
 * What is wrong with a command's arguments, as the text of an -ERR reply,
 * or NULL when they fit.  RC is proto_parse_args()'s result, NARGS what it
 * counted, MIN and MAX the command row's arity.  *USAGE is set when the
 * reply should end with the command's usage line (a wrong count), so the
 * dispatchers of every module word these replies alike.
 */
const char *proto_args_problem(int rc, size_t nargs, size_t min, size_t max,
    int *usage);

#endif /* POLYPOP_PROTO_PARSE_H */
