/*
 * pop1_parse.c - POP1 command lines (see pop1_parse.h).
 *
 * Every octet a client sends is hostile: nothing here trusts a length, a
 * terminator or a character class it has not checked itself, and nothing
 * reads outside [line, line + len).
 */
#include <string.h>

#include "pop1_parse.h"

static int
pop1_is_alpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* A user or mailbox name: printable ASCII.  SPACE separates words and so
 * is not part of one. */
static int
pop1_is_argchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int
pop1_parse_keyword(const char *line, size_t len, struct pop1_cmd *cmd)
{
	size_t i;

	memset(cmd, 0, sizeof(*cmd));
	cmd->kw = line;
	if (len == 0)
		return POP1_PARSE_EMPTY;
	for (i = 0; i < len && line[i] != ' '; i++)
		;
	cmd->kw_len = i;
	if (i < len) {
		cmd->rest = line + i + 1;
		cmd->rest_len = len - i - 1;
	}
	if (i == 0)
		return POP1_PARSE_SPACE;
	if (i != POP1_KEYWORD_LEN)
		return POP1_PARSE_KEYWORD;
	/*
	 * RFC 918 writes its keywords in upper case and says nothing of
	 * case.  Deliberate leniency: accept any case, as RFC 1939 §3 later
	 * made explicit for POP3; only ASCII letters fold.
	 */
	for (i = 0; i < cmd->kw_len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (!pop1_is_alpha(c))
			return POP1_PARSE_KEYWORD;
		cmd->keyword[i] = (char)(c >= 'a' ? c - ('a' - 'A') : c);
	}
	cmd->keyword[i] = '\0';
	return POP1_PARSE_OK;
}

/* PASS: the whole rest is the argument, kept exactly as sent. */
static int
pop1_args_rest(struct pop1_cmd *cmd)
{
	size_t i;

	if (cmd->rest_len == 0)
		return POP1_PARSE_OK;
	for (i = 0; i < cmd->rest_len; i++) {
		unsigned char c = (unsigned char)cmd->rest[i];

		/* Spaces and 8-bit octets may be part of a password;
		 * control octets never are, and a NUL would cut the C
		 * string the auth layer gets. */
		if (c < 0x20 || c == 0x7f)
			return POP1_PARSE_CHAR;
	}
	cmd->nargs = 1;
	cmd->arg[0].ptr = cmd->rest;
	cmd->arg[0].len = cmd->rest_len;
	return POP1_PARSE_OK;
}

static int
pop1_args_split(struct pop1_cmd *cmd)
{
	const char *p = cmd->rest;
	size_t len = cmd->rest_len, i, start;

	/* Deliberate leniency: a trailing SPACE ("RCEV ") harms nobody; a
	 * leading or doubled SPACE is still an error. */
	while (len > 0 && p[len - 1] == ' ')
		len--;
	if (len == 0)
		return POP1_PARSE_OK;
	start = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != ' ') {
			if (!pop1_is_argchar((unsigned char)p[i]))
				return POP1_PARSE_CHAR;
			continue;
		}
		if (i == start)
			return POP1_PARSE_SPACE;
		if (cmd->nargs < POP1_ARGS_MAX) {
			cmd->arg[cmd->nargs].ptr = p + start;
			cmd->arg[cmd->nargs].len = i - start;
		}
		cmd->nargs++;
		start = i + 1;
	}
	return POP1_PARSE_OK;
}

int
pop1_parse_args(struct pop1_cmd *cmd, enum pop1_parse_mode mode)
{
	int rc;

	cmd->nargs = 0;
	memset(cmd->arg, 0, sizeof(cmd->arg));
	if (cmd->rest == NULL)
		return POP1_PARSE_OK;
	if (mode == POP1_ARGS_REST)
		rc = pop1_args_rest(cmd);
	else
		rc = pop1_args_split(cmd);
	if (rc != POP1_PARSE_OK) {
		cmd->nargs = 0;
		memset(cmd->arg, 0, sizeof(cmd->arg));
	}
	return rc;
}

int
pop1_parse_line(const char *line, size_t len, enum pop1_parse_mode mode,
    struct pop1_cmd *cmd)
{
	int rc;

	if ((rc = pop1_parse_keyword(line, len, cmd)) != POP1_PARSE_OK)
		return rc;
	return pop1_parse_args(cmd, mode);
}
