/*
 * pop3_parse.c - POP3 command lines and numbers (see pop3_parse.h).
 *
 * Every octet a client sends is hostile: nothing here trusts a length, a
 * terminator or a character class it has not checked itself, and nothing
 * reads outside [line, line + len).
 */
#include <string.h>

#include "pop3_parse.h"

static int
pop3_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* RFC 1939 §3: "Keywords and arguments consist of printable ASCII
 * characters"; SPACE separates them and so is not part of one. */
static int
pop3_is_argchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

static void
pop3_cmd_clear(struct pop3_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
}

int
pop3_parse_keyword(const char *line, size_t len, struct pop3_cmd *cmd)
{
	size_t i;

	pop3_cmd_clear(cmd);
	cmd->kw = line;
	if (len == 0)
		return POP3_PARSE_EMPTY;
	for (i = 0; i < len && line[i] != ' '; i++)
		;
	cmd->kw_len = i;
	if (i < len) {
		cmd->rest = line + i + 1;
		cmd->rest_len = len - i - 1;
	}
	if (i == 0)
		return POP3_PARSE_SPACE;
	if (i < POP3_KEYWORD_MIN || i > POP3_KEYWORD_MAX)
		return POP3_PARSE_KEYWORD;
	/* RFC 1939 §3: "a case-insensitive keyword".  Every POP keyword
	 * ever defined is letters only, so anything else is unknown. */
	for (i = 0; i < cmd->kw_len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (!pop3_is_alpha(c))
			return POP3_PARSE_KEYWORD;
		cmd->keyword[i] = (char)(c >= 'a' ? c - ('a' - 'A') : c);
	}
	cmd->keyword[i] = '\0';
	return POP3_PARSE_OK;
}

/* PASS: the whole rest is the argument, kept exactly as sent. */
static int
pop3_args_rest(struct pop3_cmd *cmd)
{
	size_t i;

	if (cmd->rest_len == 0)
		return POP3_PARSE_OK;
	for (i = 0; i < cmd->rest_len; i++) {
		unsigned char c = (unsigned char)cmd->rest[i];

		/* Spaces and 8-bit octets may be part of a password (UTF-8
		 * passwords are common); control octets never are, and a
		 * NUL would cut the C string the auth layer gets. */
		if (c < 0x20 || c == 0x7f)
			return POP3_PARSE_CHAR;
	}
	cmd->nargs = 1;
	cmd->arg[0].ptr = cmd->rest;
	cmd->arg[0].len = cmd->rest_len;
	return POP3_PARSE_OK;
}

static int
pop3_args_split(struct pop3_cmd *cmd)
{
	const char *p = cmd->rest;
	size_t len = cmd->rest_len, i, start;

	/* Deliberate leniency: some clients send "LIST " or "UIDL 1 " with a
	 * trailing SPACE.  Dropping it harms nobody; a leading or doubled
	 * SPACE inside the arguments is still an error. */
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len == 0)
		return POP3_PARSE_OK;
	start = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ') {
			if (!pop3_is_argchar((unsigned char)p[i]))
				return POP3_PARSE_CHAR;
			continue;
		}
		if (i == start)
			return POP3_PARSE_SPACE;
		if (cmd->nargs < POP3_ARGS_MAX) {
			cmd->arg[cmd->nargs].ptr = p + start;
			cmd->arg[cmd->nargs].len = i - start;
		}
		cmd->nargs++;
		start = i + 1;
	}
	return POP3_PARSE_OK;
}

int
pop3_parse_args(struct pop3_cmd *cmd, enum pop3_parse_mode mode)
{
	int rc;

	cmd->nargs = 0;
	memset(cmd->arg, 0, sizeof(cmd->arg));
	if (cmd->rest == NULL)
		return POP3_PARSE_OK;
	if (mode == POP3_ARGS_REST)
		rc = pop3_args_rest(cmd);
	else
		rc = pop3_args_split(cmd);
	if (rc != POP3_PARSE_OK) {
		cmd->nargs = 0;
		memset(cmd->arg, 0, sizeof(cmd->arg));
	}
	return rc;
}

int
pop3_parse_line(const char *line, size_t len, enum pop3_parse_mode mode,
    struct pop3_cmd *cmd)
{
	int rc;

	if ((rc = pop3_parse_keyword(line, len, cmd)) != POP3_PARSE_OK)
		return rc;
	return pop3_parse_args(cmd, mode);
}

int
pop3_parse_number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;
	size_t i;

	*out = 0;
	/* No sign, no blanks: RFC 1939 §4 numbers are plain base-10. */
	if (len == 0 || p[0] < '0' || p[0] > '9')
		return POP3_NUM_SYNTAX;
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (d > max || n > (max - d) / 10)
			goto range;
		n = n * 10 + d;
	}
	if (i < len)
		return POP3_NUM_NOISE;
	*out = n;
	return POP3_NUM_OK;
range:
	/* Still tell noise ("99999999999999999999x") from a big number. */
	for (; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return POP3_NUM_NOISE;
	return POP3_NUM_RANGE;
}
