/*
 * proto_parse.c - keyword, arguments and numbers of a POP command line
 * (see proto_parse.h).
 *
 * Every octet a client sends is hostile: nothing here trusts a length, a
 * terminator or a character class it has not checked itself, and nothing
 * reads outside [line, line + len) or writes outside what it was given.
 */
#include <string.h>

#include "proto_parse.h"

static int
proto_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* RFC 1939 §3: "Keywords and arguments consist of printable ASCII
 * characters"; SPACE separates them and so is not part of one. */
static int
proto_is_argchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int
proto_parse_keyword(const char *line, size_t len, size_t kw_min,
    size_t kw_max, char *keyword, size_t *kw_len, const char **rest,
    size_t *rest_len)
{
	size_t i;

	memset(keyword, 0, kw_max + 1);
	*kw_len = 0;
	*rest = NULL;
	*rest_len = 0;
	if (len == 0)
		return PROTO_PARSE_EMPTY;
	for (i = 0; i < len && line[i] != ' '; i++)
		;
	*kw_len = i;
	if (i < len) {
		*rest = line + i + 1;
		*rest_len = len - i - 1;
	}
	if (i == 0)
		return PROTO_PARSE_SPACE;
	if (i < kw_min || i > kw_max)
		return PROTO_PARSE_KEYWORD;
	/*
	 * RFC 1939 §3: "a case-insensitive keyword".  RFC 918 and RFC 937
	 * write theirs in upper case and say nothing of case; accepting any
	 * case costs nothing.  Every POP keyword ever defined is letters
	 * only, so anything else is unknown, and only ASCII letters fold.
	 */
	for (i = 0; i < *kw_len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (!proto_is_alpha(c))
			return PROTO_PARSE_KEYWORD;
		keyword[i] = (char)(c >= 'a' ? c - ('a' - 'A') : c);
	}
	keyword[i] = '\0';
	return PROTO_PARSE_OK;
}

/* PASS: the whole rest is the argument, kept exactly as sent. */
static int
proto_args_rest(const char *p, size_t len, struct proto_arg *arg,
    size_t max, size_t *nargs)
{
	size_t i;

	if (len == 0)
		return PROTO_PARSE_OK;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		/* Spaces and 8-bit octets may be part of a password (UTF-8
		 * passwords are common); control octets never are, and a
		 * NUL would cut the C string the auth layer gets. */
		if (c < 0x20 || c == 0x7f)
			return PROTO_PARSE_CHAR;
	}
	if (max > 0) {
		arg[0].ptr = p;
		arg[0].len = len;
	}
	*nargs = 1;
	return PROTO_PARSE_OK;
}

static int
proto_args_split(const char *p, size_t len, struct proto_arg *arg,
    size_t max, size_t *nargs)
{
	size_t i, start;

	/* Deliberate leniency: some clients send "LIST " or "RCEV " with a
	 * trailing SPACE.  Dropping it harms nobody; a leading or doubled
	 * SPACE inside the arguments is still an error. */
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len == 0)
		return PROTO_PARSE_OK;
	start = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ') {
			if (!proto_is_argchar((unsigned char)p[i]))
				return PROTO_PARSE_CHAR;
			continue;
		}
		if (i == start)
			return PROTO_PARSE_SPACE;
		if (*nargs < max) {
			arg[*nargs].ptr = p + start;
			arg[*nargs].len = i - start;
		}
		(*nargs)++;
		start = i + 1;
	}
	return PROTO_PARSE_OK;
}

int
proto_parse_args(const char *rest, size_t rest_len,
    enum proto_parse_mode mode, struct proto_arg *arg, size_t max,
    size_t *nargs)
{
	int rc;

	*nargs = 0;
	memset(arg, 0, max * sizeof(*arg));
	if (rest == NULL)
		return PROTO_PARSE_OK;
	if (mode == PROTO_ARGS_REST)
		rc = proto_args_rest(rest, rest_len, arg, max, nargs);
	else
		rc = proto_args_split(rest, rest_len, arg, max, nargs);
	if (rc != PROTO_PARSE_OK) {
		*nargs = 0;
		memset(arg, 0, max * sizeof(*arg));
	}
	return rc;
}

int
proto_parse_number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	*out = 0;
	/* No sign, no blanks: the RFCs' numbers are plain decimal. */
	if (len == 0 || p[0] < '0' || p[0] > '9')
		return PROTO_NUM_SYNTAX;
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		/* n * 10 + d > max, asked without computing it. */
		if (d > max || n > (max - d) / 10)
			goto range;
		n = n * 10 + d;
	}
	if (i < len)
		return PROTO_NUM_NOISE;
	*out = n;
	return PROTO_NUM_OK;
range:
	/* Still tell noise ("99999999999999999999x") from a big number. */
	for (; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return PROTO_NUM_NOISE;
	return PROTO_NUM_RANGE;
}

const char *
proto_args_problem(int rc, size_t nargs, size_t min, size_t max, int *usage)
{
	*usage = 0;
	/* RFC 1939 §3: arguments are printable ASCII. */
	if (rc == PROTO_PARSE_CHAR)
		return "Invalid character in arguments.";
	if (rc != PROTO_PARSE_OK)
		return "Arguments must be separated by a single space.";
	*usage = 1;
	if (nargs < min)
		return "Missing argument.";
	if (nargs > max)
		return "Too many arguments.";
	*usage = 0;
	return NULL;
}

int
proto_keyword_is(const char *kw, size_t len, const char *name)
{
	size_t j;

	for (j = 0; j < len && name[j] != '\0'; j++) {
		int c = (unsigned char)kw[j];

		if (c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (c != name[j])
			return 0;
	}
	return j == len && name[j] == '\0';
}
