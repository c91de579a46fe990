/*
 * pop2_parse.c - POP2 command lines and numbers (see pop2_parse.h).
 *
 * Every octet a client sends is hostile: nothing here trusts a length, a
 * terminator or a character class it has not checked itself, nothing
 * reads outside [line, line + len) and nothing writes outside cmd->buf.
 */
#include <string.h>

#include "pop2_parse.h"

/*
 * RFC 937, Formal Syntax: arguments are <print> and <SP>.  Control
 * octets never are, and a NUL would cut the C string the auth layer and
 * the store get.  Deliberate leniency: 8-bit octets pass (a UTF-8
 * password is common today); the store refuses them in names it cannot
 * use, and a password that does not match simply fails.
 */
static int
pop2_is_argchar(unsigned char c)
{
	return c >= 0x20 && c != 0x7f;
}

int
pop2_parse_keyword(const char *line, size_t len, struct pop2_cmd *cmd)
{
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	cmd->kw = line;
	/* RFC 937, Formal Syntax: four letters; case is a deliberate
	 * leniency of proto_parse_keyword(). */
	rc = proto_parse_keyword(line, len, POP2_KEYWORD_LEN,
	    POP2_KEYWORD_LEN, cmd->keyword, &cmd->kw_len, &cmd->rest,
	    &cmd->rest_len);
	/* RFC 937, Sizes: 512 with the CRLF the core has taken off.  This
	 * outranks anything wrong with the keyword. */
	if (len > POP2_MAX_LINE - 2) {
		memset(cmd->keyword, 0, sizeof(cmd->keyword));
		return POP2_PARSE_LONG;
	}
	return rc;
}

/*
 * Copy P[*I..LEN) into the buffer up to an unquoted SPACE (or to the end
 * when REST), undoing RFC 937 Quoting.  "\ " is a space and "\\" a
 * back-slash.  Deliberate leniency: a back-slash before anything else,
 * or at the very end, stands for itself, so the unquoted passwords that
 * real clients send (fetchmail and popclient quote nothing) still work
 * unless they contain one of the two quoted pairs.  OUT is NULL when the
 * argument is only counted, not stored.
 */
static void
pop2_unquote(const char *p, size_t len, size_t *i, int rest, char *out,
    size_t *outlen)
{
	size_t n = 0;

	while (*i < len) {
		char c = p[*i];

		if (c == ' ' && !rest)
			break;
		if (c == '\\' && *i + 1 < len &&
		    (p[*i + 1] == ' ' || p[*i + 1] == '\\')) {
			c = p[*i + 1];
			(*i)++;
		}
		(*i)++;
		if (out != NULL)
			out[n] = c;
		n++;
	}
	if (out != NULL)
		out[n] = '\0';
	*outlen = n;
}

static int
pop2_only_spaces(const char *p, size_t from, size_t len)
{
	for (; from < len; from++)
		if (p[from] != ' ')
			return 0;
	return 1;
}

int
pop2_parse_args(struct pop2_cmd *cmd, size_t limit)
{
	const char *p = cmd->rest;
	size_t len = cmd->rest_len, i = 0, used = 0, n;
	char *out;
	int rest;

	cmd->nargs = 0;
	memset(cmd->arg, 0, sizeof(cmd->arg));
	if (p == NULL)
		return POP2_PARSE_OK;
	/* The unquoted arguments and their NULs are never longer than the
	 * line plus one NUL per stored argument; check it anyway. */
	if (len + POP2_ARGS_MAX > sizeof(cmd->buf))
		return POP2_PARSE_CHAR;
	for (n = 0; n < len; n++)
		if (!pop2_is_argchar((unsigned char)p[n]))
			return POP2_PARSE_CHAR;
	while (i < len) {
		rest = limit != 0 && cmd->nargs + 1 >= limit;
		if (p[i] == ' ' && !rest) {
			/* Deliberate leniency: trailing spaces ("READ 1 ")
			 * are dropped; an empty argument inside the line is
			 * a doubled or leading space. */
			if (pop2_only_spaces(p, i, len))
				break;
			goto space;
		}
		out = cmd->nargs < POP2_ARGS_MAX ? cmd->buf + used : NULL;
		pop2_unquote(p, len, &i, rest, out, &n);
		if (out != NULL) {
			cmd->arg[cmd->nargs].ptr = out;
			cmd->arg[cmd->nargs].len = n;
			used += n + 1;
		}
		cmd->nargs++;
		if (i < len)
			i++;	/* the separating SPACE */
	}
	return POP2_PARSE_OK;
space:
	cmd->nargs = 0;
	memset(cmd->arg, 0, sizeof(cmd->arg));
	return POP2_PARSE_SPACE;
}

int
pop2_parse_line(const char *line, size_t len, size_t limit,
    struct pop2_cmd *cmd)
{
	int rc;

	if ((rc = pop2_parse_keyword(line, len, cmd)) != POP2_PARSE_OK)
		return rc;
	return pop2_parse_args(cmd, limit);
}

int
pop2_parse_number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	return proto_parse_number(p, len, max, out);
}

size_t
pop2_trace_keep_len(const char *line, size_t len)
{
	struct pop2_cmd cmd;
	size_t i = 0;

	if (pop2_parse_keyword(line, len, &cmd) != POP2_PARSE_OK &&
	    cmd.kw_len < len)
		return cmd.kw_len;
	if (strcmp(cmd.keyword, "HELO") != 0 || cmd.rest == NULL)
		return len;
	/* The user name ends at its first unquoted SPACE. */
	while (i < cmd.rest_len && cmd.rest[i] != ' ')
		i += (cmd.rest[i] == '\\' && i + 1 < cmd.rest_len) ? 2 : 1;
	if (i > cmd.rest_len)
		i = cmd.rest_len;
	if (i < cmd.rest_len)
		i++;
	return cmd.kw_len + 1 + i;
}
