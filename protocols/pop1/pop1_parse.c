/*
 * pop1_parse.c - POP1 command lines (see pop1_parse.h).
 *
 * The work is protocols/common/proto_parse.c's, shared with POP2 and
 * POP3; what is POP1's own is stated here: RFC 918 keywords of exactly
 * four letters and at most one stored argument.  RFC 918 says nothing of
 * case; accepting any case (as RFC 1939 §3 later made explicit) is a
 * deliberate leniency.
 */
#include <string.h>

#include "pop1_parse.h"

int
pop1_parse_keyword(const char *line, size_t len, struct pop1_cmd *cmd)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->kw = line;
	return proto_parse_keyword(line, len, POP1_KEYWORD_LEN,
	    POP1_KEYWORD_LEN, cmd->keyword, &cmd->kw_len, &cmd->rest,
	    &cmd->rest_len);
}

int
pop1_parse_args(struct pop1_cmd *cmd, enum pop1_parse_mode mode)
{
	return proto_parse_args(cmd->rest, cmd->rest_len,
	    (enum proto_parse_mode)mode, cmd->arg, POP1_ARGS_MAX, &cmd->nargs);
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
