/*
 * pop3_parse.c - POP3 command lines and numbers (see pop3_parse.h).
 *
 * The work is protocols/common/proto_parse.c's, shared with POP1 and
 * POP2; what is POP3's own is stated here: RFC 1939 §3 keywords of three
 * or four letters and at most POP3_ARGS_MAX stored arguments.
 */
#include <string.h>

#include "pop3_parse.h"

int
pop3_parse_keyword(const char *line, size_t len, struct pop3_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->kw = line;
	return proto_parse_keyword(line, len, POP3_KEYWORD_MIN,
	    POP3_KEYWORD_MAX, cmd->keyword, &cmd->kw_len, &cmd->rest,
	    &cmd->rest_len);
}

int
pop3_parse_args(struct pop3_cmd *cmd, enum pop3_parse_mode mode)
{
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
