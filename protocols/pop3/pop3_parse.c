/*
 * pop3_parse.c - POP3 command lines and numbers (see pop3_parse.h).
 *
 * The work is protocols/common/proto_parse.c's, shared with POP1 and
 * POP2; what is POP3's own is stated here: RFC 1939 §3 keywords of three
 * or four letters and at most POP3_ARGS_MAX stored arguments.
 */
#include <string.h>

#include "pop3_parse.h"

/* Longer than any line the core delivers (POP3_MAX_LINE, 255). */
#define POP3_LINE_COPY	1024

/*
 * RFC 6856 §2.1 named a command with a digit, UTF8 (RFC 2449 §3's
 * grammar allows any VCHAR in a keyword).  The shared parser takes
 * letters only, as every older POP keyword is; here a keyword may also
 * hold digits after its first letter.  It is still only a command if
 * the table has it for the profile.
 */
static int
pop3_keyword_alnum(const char *kw, size_t len, char *out)
{
	size_t i;

	if (len < POP3_KEYWORD_MIN || len > POP3_KEYWORD_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)kw[i];

		if (c >= 'a' && c <= 'z')
			c = (unsigned char)(c - ('a' - 'A'));
		if (!((c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' &&
		    c <= '9')))
			return 0;
		out[i] = (char)c;
	}
	out[len] = '\0';
	return 1;
}

int
pop3_parse_keyword(const char *line, size_t len, struct pop3_cmd *cmd)
{
	int rc;

	memset(cmd, 0, sizeof(*cmd));
	cmd->kw = line;
	rc = proto_parse_keyword(line, len, POP3_KEYWORD_MIN,
	    POP3_KEYWORD_MAX, cmd->keyword, &cmd->kw_len, &cmd->rest,
	    &cmd->rest_len);
	if (rc == POP3_PARSE_KEYWORD &&
	    pop3_keyword_alnum(line, cmd->kw_len, cmd->keyword))
		rc = POP3_PARSE_OK;
	return rc;
}

/*
 * POP3_ARGS_SPLIT_8BIT: the shared splitter (printable ASCII only) run on
 * a copy in which every 8-bit octet stands in as 'x'; the arguments it
 * finds are then pointed back into the caller's line.  So the rules on
 * spaces and control octets stay the shared ones, word for word.
 */
static int
pop3_parse_args_8bit(struct pop3_cmd *cmd)
{
	char copy[POP3_LINE_COPY];
	size_t i;
	int rc;

	cmd->nargs = 0;
	memset(cmd->arg, 0, sizeof(cmd->arg));
	if (cmd->rest == NULL)
		return POP3_PARSE_OK;
	if (cmd->rest_len > sizeof(copy))
		return POP3_PARSE_CHAR;
	for (i = 0; i < cmd->rest_len; i++)
		copy[i] = (unsigned char)cmd->rest[i] >= 0x80 ? 'x' :
		    cmd->rest[i];
	rc = proto_parse_args(copy, cmd->rest_len, PROTO_ARGS_SPLIT,
	    cmd->arg, POP3_ARGS_MAX, &cmd->nargs);
	for (i = 0; i < POP3_ARGS_MAX; i++)
		if (cmd->arg[i].ptr != NULL)
			cmd->arg[i].ptr = cmd->rest + (cmd->arg[i].ptr - copy);
	return rc;
}

int
pop3_parse_args(struct pop3_cmd *cmd, enum pop3_parse_mode mode)
{
	if (mode == POP3_ARGS_SPLIT_8BIT)
		return pop3_parse_args_8bit(cmd);
	return proto_parse_args(cmd->rest, cmd->rest_len,
	    (enum proto_parse_mode)mode, cmd->arg, POP3_ARGS_MAX, &cmd->nargs);
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
	return proto_parse_number(p, len, max, out);
}
