/*
 * pop3_explain.c - `polypopd explain`: a transcript captured elsewhere,
 * read against one profile's command table.
 *
 * Each line is annotated as --trace annotates polypopd's own sessions
 * (pop3_cite_line()), and a line is flagged when the profile's server
 * would not have sent it, or would not have answered +OK to it.  What a
 * command is in a revision (whether it exists, its states, its arity,
 * whether its reply is multi-line, where it takes the session, the form
 * of its "+OK nn mm" reply) comes from the table; what differs inside
 * replies between revisions comes from the profile flags.  Replies that
 * depend on the mailbox (how many messages, which sizes) are not
 * checked: nothing here knows the mailbox.
 *
 * Pure: lines in, rows out; no I/O, and no memory beyond struct
 * pop3_explain, whose buffers are fixed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_explain.h"

void
pop3_explain_init(struct pop3_explain *x, enum pop3_profile pr, int strict)
{
	memset(x, 0, sizeof(*x));
	x->pr = pr;
	x->pf = pop3_profiles[pr].flags;
	x->strict = strict;
	x->st = POP3_AUTHORIZATION;
}

struct pop3_explain *
pop3_explain_new(const char *profile, int strict)
{
	struct pop3_explain *x;
	int pr;

	if ((pr = pop3_profile_find(profile)) < 0)
		return NULL;
	if ((x = malloc(sizeof(*x))) == NULL)
		return NULL;
	pop3_explain_init(x, (enum pop3_profile)pr, strict);
	return x;
}

void
pop3_explain_free(struct pop3_explain *x)
{
	free(x);
}

/* ---- small helpers ---------------------------------------------------- */

static struct pop3_explain_row *
row_new(struct pop3_explain_out *out, char dir, const char *text,
    size_t len)
{
	struct pop3_explain_row *r = &out->row[out->nrows++];

	memset(r, 0, sizeof(*r));
	r->dir = dir;
	r->text = text;
	r->len = len;
	return r;
}

static void flag(struct pop3_explain_row *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
flag(struct pop3_explain_row *r, const char *fmt, ...)
{
	va_list ap;

	if (r->nflags < POP3_EXPLAIN_FLAGS) {
		va_start(ap, fmt);
		vsnprintf(r->flag[r->nflags], POP3_EXPLAIN_FLAG, fmt, ap);
		va_end(ap);
	}
	r->nflags++;
}

/* A flag for the held client line, raised before its row exists. */
static void hold_flag(struct pop3_explain *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
hold_flag(struct pop3_explain *x, const char *fmt, ...)
{
	va_list ap;

	if (x->held_flags < 2) {
		va_start(ap, fmt);
		vsnprintf(x->held_flag[x->held_flags], POP3_EXPLAIN_FLAG, fmt,
		    ap);
		va_end(ap);
		x->held_flags++;
	}
}

/* At most 7 printable octets of a keyword as sent, for messages. */
static void
keyword_copy(char *dst, size_t size, const char *kw, size_t len)
{
	size_t i;

	for (i = 0; i < len && i + 1 < size; i++)
		dst[i] = (kw[i] > 0x20 && kw[i] < 0x7f) ? kw[i] : '?';
	dst[i] = '\0';
}

static size_t
digits(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && p[i] >= '0' && p[i] <= '9')
		i++;
	return i;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "AUTHORIZATION", "TRANSACTION" or both, for "only valid in ...". */
static const char *
states_text(unsigned states)
{
	if (states == (POP3_S_AUTH | POP3_S_TRANS))
		return "AUTHORIZATION or TRANSACTION";
	if (states == POP3_S_AUTH)
		return "AUTHORIZATION";
	if (states == POP3_S_TRANS)
		return "TRANSACTION";
	return "no";
}

/* How many numbers the table's positive reply has: "+OK nn mm" is 2,
 * "+OK nn" 1; 0 when it is not such a form ("+OK maildrop locked"). */
static size_t
ok_numbers(const char *ok)
{
	size_t n = 0;

	if (ok == NULL || strncmp(ok, "+OK", 3) != 0)
		return 0;
	ok += 3;
	while (*ok == ' ') {
		if (ok[1] < 'a' || ok[1] > 'z' || ok[2] != ok[1] ||
		    (ok[3] != ' ' && ok[3] != '\0'))
			return 0;
		n++;
		ok += 3;
	}
	return *ok == '\0' ? n : 0;
}

enum status { ST_OK, ST_ERR, ST_NONE };

/* RFC 1939 §3: "+OK" or "-ERR", then a space or the end.  *CASE is set
 * when they are there in the wrong case. */
static enum status
reply_status(const char *l, size_t n, int *wrong_case)
{
	*wrong_case = 0;
	if (n >= 3 && (n == 3 || l[3] == ' ')) {
		if (memcmp(l, "+OK", 3) == 0)
			return ST_OK;
		if (proto_keyword_is(l + 1, 2, "OK") && l[0] == '+') {
			*wrong_case = 1;
			return ST_OK;
		}
	}
	if (n >= 4 && (n == 4 || l[4] == ' ')) {
		if (memcmp(l, "-ERR", 4) == 0)
			return ST_ERR;
		if (l[0] == '-' && proto_keyword_is(l + 1, 3, "ERR")) {
			*wrong_case = 1;
			return ST_ERR;
		}
	}
	return ST_NONE;
}

/* ---- checks on server lines ------------------------------------------- */

/* RFC 1939 §3: at most 512 octets including the CRLF. */
static void
check_length(struct pop3_explain *x, struct pop3_explain_row *r, size_t len)
{
	if ((x->pf & POP3_PF_LIMITS_1939) && len + 2 > 512)
		flag(r, "line is %zu octets with its CRLF; responses may be up "
		    "to 512 (RFC 1939 §3)", len + 2);
}

/* The first line of a reply, or the greeting: a status indicator. */
static enum status
check_status(struct pop3_explain *x, struct pop3_explain_row *r,
    const char *l, size_t n)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	enum status s;
	int wrong_case;

	s = reply_status(l, n, &wrong_case);
	if (s == ST_NONE)
		flag(r, "reply is neither +OK nor -ERR (%s)", pi->syntax);
	else if (wrong_case && (x->pf & POP3_PF_LIMITS_1939))
		flag(r, "status indicator not in upper case: servers MUST "
		    "send \"+OK\" and \"-ERR\" in upper case (RFC 1939 §3)");
	else if (wrong_case)
		flag(r, "status indicator not in upper case: the indicators "
		    "are \"+OK\" and \"-ERR\" (%s)", pi->syntax);
	check_length(x, r, n);
	return s;
}

/* A positive reply of the table's form "+OK nn mm" (STAT) or "+OK nn"
 * (LAST), K numbers.  RFC 1081 only orders the numbers; RFC 1725 §5
 * fixes single spaces.  Text after the numbers is allowed but, for the
 * drop listing, "STRONGLY discouraged": flagged with --strict. */
static void
check_numbers(struct pop3_explain *x, struct pop3_explain_row *r,
    const char *l, size_t n, size_t k, const char *sec)
{
	const struct pop3_command *c = x->cmd;
	int exact = (x->pf & POP3_PF_EXACT_FORMS) != 0;
	size_t i = 3, j, d;

	for (j = 0; j < k; j++) {
		if (exact && i < n && l[i] == ' ')
			i++;
		else if (!exact && i < n && is_blank(l[i]))
			while (i < n && is_blank(l[i]))
				i++;
		else
			goto bad;
		if ((d = digits(l + i, n - i)) == 0)
			goto bad;
		i += d;
	}
	if (i == n)
		return;
	if (!(exact ? l[i] == ' ' : is_blank(l[i])))
		goto bad;
	if (x->strict && k > 1)
		flag(r, "%s reply has more after \"%s\"; %s STRONGLY "
		    "discourages extra information in the drop listing "
		    "(--strict)", c->name, c->ok, sec);
	else if (x->strict)
		flag(r, "%s reply has more after \"%s\" (%s; --strict)",
		    c->name, c->ok, sec);
	return;
bad:
	if (exact)
		flag(r, "%s reply is not \"%s\": \"+OK\", then each number "
		    "after a single space (%s)", c->name, c->ok, sec);
	else
		flag(r, "%s reply does not start \"%s\": the number%s "
		    "right after \"+OK\" (%s)", c->name, c->ok,
		    k > 1 ? "s come" : " comes", sec);
}

/* A scan listing, "n size" (RFC 1081: message number, then size; RFC 1725
 * §5: "followed by a single space").  More text is allowed but
 * "STRONGLY discouraged". */
static void
check_scan(struct pop3_explain *x, struct pop3_explain_row *r,
    const char *l, size_t n, const char *sec, int has_num, uint64_t want)
{
	int exact = (x->pf & POP3_PF_EXACT_FORMS) != 0;
	uint64_t num = 0;
	size_t i, d;

	if ((i = digits(l, n)) == 0)
		goto bad;
	(void)pop3_parse_number(l, i, UINT64_MAX, &num);
	if (exact && i < n && l[i] == ' ')
		i++;
	else if (!exact && i < n && is_blank(l[i]))
		while (i < n && is_blank(l[i]))
			i++;
	else
		goto bad;
	if ((d = digits(l + i, n - i)) == 0)
		goto bad;
	i += d;
	if (i < n && !(exact ? l[i] == ' ' : is_blank(l[i])))
		goto bad;
	if (i < n && x->strict)
		flag(r, "scan listing has more after the size; %s STRONGLY "
		    "discourages extra information (--strict)", sec);
	if (has_num && num != want)
		flag(r, "scan listing is for message %llu, but LIST asked for "
		    "%llu (%s)", (unsigned long long)num,
		    (unsigned long long)want, sec);
	return;
bad:
	flag(r, "not a scan listing \"n size\": the message number, %s "
	    "the size in octets (%s)", exact ? "a single space," : "then",
	    sec);
}

/* A unique-id listing, "n uid" (RFC 1725 §7: the uid of octets 0x21 to
 * 0x7E, nothing after it; RFC 1939 §7: one to 70 of them). */
static void
check_uidl(struct pop3_explain *x, struct pop3_explain_row *r,
    const char *l, size_t n, const char *sec, int has_num, uint64_t want)
{
	uint64_t num = 0;
	size_t i, k, start;

	if ((i = digits(l, n)) == 0 || i >= n || l[i] != ' ') {
		flag(r, "not a unique-id listing \"n uid\": the message "
		    "number, a single space, the unique-id (%s)", sec);
		return;
	}
	(void)pop3_parse_number(l, i, UINT64_MAX, &num);
	start = ++i;
	while (i < n && l[i] != ' ')
		i++;
	for (k = start; k < i; k++)
		if ((unsigned char)l[k] <= 0x20 || (unsigned char)l[k] >= 0x7f)
			break;
	if (i == start)
		flag(r, "unique-id listing without a unique-id (%s)", sec);
	else if (k < i)
		flag(r, "unique-id has an octet outside 0x21 to 0x7E (%s)",
		    sec);
	else if (i < n)
		flag(r, "text after the unique-id: no information follows it "
		    "in a unique-id listing (%s)", sec);
	else if ((x->pf & POP3_PF_LIMITS_1939) && i - start > 70)
		flag(r, "unique-id is %zu characters; it may have 1 to 70 "
		    "(%s)", i - start, sec);
	if (has_num && num != want)
		flag(r, "unique-id listing is for message %llu, but UIDL asked "
		    "for %llu (%s)", (unsigned long long)num,
		    (unsigned long long)want, sec);
}

/* The greeting: RFC 1081 "should always give a positive response"; the
 * APOP revisions put a <timestamp> in it. */
static void
greeting(struct pop3_explain *x, const char *l, size_t n,
    struct pop3_explain_out *out)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	struct pop3_explain_row *r = row_new(out, 'S', l, n);
	const char *lt, *at, *gt;

	x->greeted = 1;
	snprintf(r->note, sizeof(r->note), "%s | greeting: %s",
	    pop3_state_name(x->st), pi->greeting);
	if (check_status(x, r, l, n) == ST_ERR)
		flag(r, "negative greeting: the server should always give a "
		    "positive response as the greeting (%s)", pi->greeting);
	/* RFC 1939 §7: a timestamp in the syntax of a msg-id, <...@...>. */
	if ((lt = memchr(l, '<', n)) != NULL &&
	    (gt = memchr(lt, '>', n - (size_t)(lt - l))) != NULL &&
	    (at = memchr(lt, '@', (size_t)(gt - lt))) != NULL &&
	    at > lt + 1 && gt > at + 1)
		x->stamp = 1;
}

/* Where the end of a session is defined: QUIT's section. */
static const char *
quit_section(const struct pop3_explain *x)
{
	const struct pop3_command *c = pop3_command_find("QUIT", 4);
	const char *sec = c != NULL ? pop3_command_section(c, x->pr) : NULL;

	return sec != NULL ? sec : pop3_profiles[x->pr].syntax;
}

/* ---- the client line and its reply ------------------------------------ */

static int
narration(const char *l, size_t n)
{
	/* RFC examples: "C: <open connection>", "S: <wait for connection
	 * on TCP port 110>", "S: <the POP3 server sends message 1>". */
	return n > 2 && l[0] == '<' && l[n - 1] == '>' &&
	    memchr(l, ' ', n) != NULL;
}

/* Release the held client line as a row, with the state after it. */
static struct pop3_explain_row *
release(struct pop3_explain *x, struct pop3_explain_out *out)
{
	struct pop3_explain_row *r;
	size_t i;

	r = row_new(out, 'C', x->held_text, x->held_len);
	r->command = 1;
	snprintf(r->note, sizeof(r->note), "%s -> %s | %s",
	    pop3_state_name(x->before), pop3_state_name(x->st), x->cite);
	for (i = 0; i < x->held_flags; i++)
		flag(r, "%s", x->held_flag[i]);
	x->held = 0;
	x->held_flags = 0;
	return r;
}

static void
client(struct pop3_explain *x, const char *l, size_t n,
    struct pop3_explain_out *out)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	const struct pop3_command *c;
	struct pop3_explain_row *r;
	struct pop3_cmd cmd;
	if (x->held) {
		r = release(x, out);
		flag(r, "no reply to this command before the next one: every "
		    "command gets a response (%s)", pi->syntax);
	}
	if (narration(l, n)) {
		r = row_new(out, 'C', l, n);
		snprintf(r->note, sizeof(r->note), "%s | narration, not a "
		    "line on the wire", pop3_state_name(x->st));
		return;
	}
	if (!x->greeted) {
		x->greeted = 1;
		x->no_greeting = 1;
	}
	if (x->sasl) {
		/* The response to an AUTH challenge: held like a command
		 * of its own, judged as AUTH (x->cmd) when its reply
		 * comes: another challenge, -ERR, or +OK and TRANSACTION. */
		x->sasl = 0;
		x->held = 1;
		x->held_len = n < sizeof(x->held_text) ? n :
		    sizeof(x->held_text);
		memcpy(x->held_text, l, x->held_len);
		x->before = x->st;
		snprintf(x->cite, sizeof(x->cite), "AUTH: %s, the client's "
		    "response", x->cmd != NULL && x->cmd->in[x->pr].section ?
		    x->cmd->in[x->pr].section : "RFC 5034 §4");
		x->args_rc = POP3_PARSE_OK;
		x->nargs = 1;
		x->arg_long = 0;
		x->has_num = 0;
		return;
	}

	memset(&cmd, 0, sizeof(cmd));
	c = NULL;
	if (pop3_parse_keyword(l, n, &cmd) == POP3_PARSE_OK)
		c = pop3_command_find(cmd.keyword, cmd.kw_len);
	x->held = 1;
	x->held_len = n < sizeof(x->held_text) ? n : sizeof(x->held_text);
	memcpy(x->held_text, l, x->held_len);
	x->before = x->st;
	x->cmd = c;
	keyword_copy(x->name, sizeof(x->name), cmd.kw, cmd.kw_len);
	pop3_cite_line(x->pr, x->st, l, n, x->cite, sizeof(x->cite));
	x->args_rc = POP3_PARSE_OK;
	x->nargs = 0;
	x->arg_long = 0;
	x->has_num = 0;
	if (c != NULL) {
		x->args_rc = pop3_parse_args(&cmd, c->mode);
		x->nargs = cmd.nargs;
		x->arg_long = pop3_arg_too_long(&cmd);
		if (cmd.nargs >= 1 && pop3_parse_number(cmd.arg[0].ptr,
		    cmd.arg[0].len, UINT64_MAX, &x->num) == POP3_NUM_OK)
			x->has_num = 1;
	}

	/* A multi-line reply still open: its "." never came. */
	if (x->reply != POP3_EX_NONE && x->reply != POP3_EX_GUESS)
		hold_flag(x, "the multi-line reply to %s before this line has "
		    "no terminating \".\" line (%s)", x->reply_name,
		    pi->syntax);
	x->reply = POP3_EX_NONE;
	if (x->ended)
		hold_flag(x, "the session ended with the reply to QUIT; "
		    "nothing may follow it (%s)", quit_section(x));

	/* RFC 1939 §7: any line in between breaks USER and PASS. */
	x->after_user = x->user_ok;
	x->user_ok = 0;
}

/* Was the held command one the profile accepts, here and like this?
 * Flags on R (its row) why not; returns nonzero if the server should
 * have said -ERR.  USER_WAS_OK: the last USER before it succeeded. */
static int
judge(struct pop3_explain *x, struct pop3_explain_row *r, int user_was_ok)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	const struct pop3_command *c = x->cmd;
	const char *sec, *near = NULL;
	int p, wrong = 0;

	if (c == NULL) {
		flag(r, "%s answered +OK, but it is not a command of %s (%s)",
		    x->name[0] ? x->name : "an empty line", pi->label,
		    pi->syntax);
		return 1;
	}
	if ((sec = c->in[x->pr].section) == NULL) {
		/* Where it is: the nearest revision that has it. */
		for (p = (int)x->pr - 1; p >= 0 && near == NULL; p--)
			near = c->in[p].section;
		for (p = (int)x->pr + 1; p < POP3_NPROFILES && near == NULL;
		    p++)
			near = c->in[p].section;
		flag(r, "%s answered +OK, but %s has no %s command (%s)%s%s",
		    c->name, pi->label, c->name, pi->syntax,
		    near ? "; it is in " : "", near ? near : "");
		return 1;
	}
	if ((c->states & POP3_S(x->before)) == 0) {
		if (x->before == POP3_AUTHORIZATION)
			flag(r, "%s answered +OK before login: %s allows it "
			    "only in the %s state", c->name, sec,
			    states_text(c->states));
		else
			flag(r, "%s answered +OK in the %s state: %s allows "
			    "it only in the %s state", c->name,
			    pop3_state_name(x->before), sec,
			    states_text(c->states));
		return 1;
	}
	if (x->args_rc != POP3_PARSE_OK) {
		flag(r, "%s answered +OK, but its arguments are malformed: "
		    "one SPACE apart, printable ASCII (%s)", c->name,
		    pi->syntax);
		wrong = 1;
	} else if (x->nargs < c->min_args || x->nargs > c->max_args) {
		if (c->min_args == c->max_args)
			flag(r, "%s answered +OK with %zu argument%s; it takes "
			    "%u (%s; usage: %s)", c->name, x->nargs,
			    x->nargs == 1 ? "" : "s", c->min_args, sec,
			    c->usage);
		else
			flag(r, "%s answered +OK with %zu argument%s; it takes "
			    "%u to %u (%s; usage: %s)", c->name, x->nargs,
			    x->nargs == 1 ? "" : "s", c->min_args,
			    c->max_args, sec, c->usage);
		wrong = 1;
	} else if ((x->pf & POP3_PF_ARG40) && x->arg_long) {
		flag(r, "%s answered +OK, but argument %zu is longer than 40 "
		    "characters (%s)", c->name, x->arg_long, pi->syntax);
		wrong = 1;
	}
	if ((strcmp(c->name, "PASS") == 0 || strcmp(c->name, "RPOP") == 0) &&
	    (x->pf & POP3_PF_PASS_NEXT) && !x->after_user) {
		flag(r, "%s answered +OK, but it may only come immediately "
		    "after a successful USER (%s)", c->name, sec);
		wrong = 1;
	} else if ((strcmp(c->name, "PASS") == 0 ||
	    strcmp(c->name, "RPOP") == 0) && !user_was_ok) {
		flag(r, "%s answered +OK, but it may only come after a "
		    "successful USER (%s)", c->name, sec);
		wrong = 1;
	}
	if (strcmp(c->name, "APOP") == 0 && !x->stamp && !x->no_greeting) {
		flag(r, "APOP answered +OK, but the greeting has no "
		    "<timestamp> for the digest (%s)", sec);
		wrong = 1;
	}
	return wrong;
}

/* The first line of the reply to the held command. */
static void
reply(struct pop3_explain *x, const char *l, size_t n,
    struct pop3_explain_out *out)
{
	const struct pop3_command *c = x->cmd;
	struct pop3_explain_row *cr, *r;
	const char *sec = c != NULL ? c->in[x->pr].section : NULL;
	enum status s;
	int wrong_case, bad = 0, go = POP3_STAY, was_ok = 0;
	size_t k;

	s = reply_status(l, n, &wrong_case);
	if (x->ended)
		s = ST_NONE;	/* no more state changes */
	if (s == ST_OK && c != NULL && (c->states & POP3_S(x->before)))
		go = x->before == POP3_AUTHORIZATION ? c->go_auth :
		    c->go_trans;
	/* RFC 1939 §6: QUIT from TRANSACTION enters UPDATE whatever the
	 * reply ("-ERR some deleted messages not removed"). */
	if (s == ST_ERR && c != NULL && x->before == POP3_TRANSACTION &&
	    (c->states & POP3_S_TRANS) && c->go_trans == POP3_GO_UPDATE)
		go = POP3_GO_UPDATE;
	if (go == POP3_GO_TRANSACTION)
		x->st = POP3_TRANSACTION;
	else if (go == POP3_GO_UPDATE)
		x->st = POP3_UPDATE;

	/* RFC 5034 §4: "+" SP base64 is a challenge, not a reply: the
	 * exchange goes on with the client's response. */
	if (c != NULL && strcmp(c->name, "AUTH") == 0 && !x->ended &&
	    n >= 1 && l[0] == '+' && (n == 1 || l[1] == ' ')) {
		cr = release(x, out);
		r = row_new(out, 'S', l, n);
		snprintf(r->note, sizeof(r->note), "%s | %s, a challenge",
		    pop3_state_name(x->st), x->cite);
		(void)judge(x, cr, 0);
		/* "+" alone is not flagged: transcripts and traces drop
		 * the trailing space of an empty challenge "+ ". */
		x->sasl = 1;
		return;
	}

	cr = release(x, out);
	r = row_new(out, 'S', l, n);
	/* RFC 1081: after a failed PASS "the client may either issue a new
	 * USER command or may issue the QUIT command". */
	if (c != NULL && (strcmp(c->name, "USER") == 0 ||
	    strcmp(c->name, "PASS") == 0 || strcmp(c->name, "RPOP") == 0)) {
		was_ok = x->user_last_ok;
		x->user_last_ok = strcmp(c->name, "USER") == 0 && s == ST_OK;
	}
	snprintf(r->note, sizeof(r->note), "%s | %s",
	    pop3_state_name(x->st), x->cite);
	(void)check_status(x, r, l, n);
	if (x->ended) {
		flag(r, "a reply after the session ended with QUIT (%s)",
		    quit_section(x));
		return;
	}
	if (go == POP3_GO_UPDATE || go == POP3_GO_END)
		x->ended = 1;
	if (s != ST_OK)
		return;

	bad = judge(x, cr, was_ok);
	if (c == NULL) {
		/* Unknown to every revision: lines up to the next command
		 * may be its multi-line reply (CAPA, for instance). */
		x->reply = POP3_EX_GUESS;
		return;
	}
	if (strcmp(c->name, "USER") == 0)
		x->user_ok = 1;
	if (c->multiline == POP3_ML_ALWAYS ||
	    (c->multiline == POP3_ML_NOARG && x->nargs == 0)) {
		x->reply = POP3_EX_DATA;
		if (sec != NULL && !bad && strcmp(c->name, "LIST") == 0)
			x->reply = POP3_EX_SCAN;
		if (sec != NULL && !bad && strcmp(c->name, "UIDL") == 0)
			x->reply = POP3_EX_UIDL;
		x->reply_sec = sec;
		snprintf(x->reply_name, sizeof(x->reply_name), "%s", c->name);
		x->listed = 0;
		return;
	}
	if (sec == NULL || bad)
		return;
	/* Single-line replies whose form the table or the RFC fixes. */
	if ((k = ok_numbers(c->ok)) > 0)
		check_numbers(x, r, l, n, k, sec);
	else if (c->multiline == POP3_ML_NOARG && n > 4 && l[3] == ' ' &&
	    strcmp(c->name, "LIST") == 0)
		check_scan(x, r, l + 4, n - 4, sec, x->has_num, x->num);
	else if (c->multiline == POP3_ML_NOARG && n > 4 && l[3] == ' ' &&
	    strcmp(c->name, "UIDL") == 0)
		check_uidl(x, r, l + 4, n - 4, sec, x->has_num, x->num);
	else if (c->multiline == POP3_ML_NOARG &&
	    (strcmp(c->name, "LIST") == 0 || strcmp(c->name, "UIDL") == 0))
		flag(r, "%s with an argument answered \"+OK\" without its "
		    "listing (%s)", c->name, sec);
}

/* A line of a multi-line reply, or its terminating ".". */
static void
data(struct pop3_explain *x, const char *l, size_t n,
    struct pop3_explain_out *out)
{
	struct pop3_explain_row *r = row_new(out, 'S', l, n);

	snprintf(r->note, sizeof(r->note), "%s", pop3_state_name(x->st));
	/* A "." alone ends the reply; a data line starting with "." is
	 * byte-stuffed, and one that was not stuffed cannot be told from
	 * the end: the reply ends at the first ".". */
	if (n == 1 && l[0] == '.') {
		x->reply = POP3_EX_NONE;
		return;
	}
	x->listed++;
	if (x->reply == POP3_EX_SCAN) {
		check_length(x, r, n);
		check_scan(x, r, l, n, x->reply_sec, 0, 0);
	} else if (x->reply == POP3_EX_UIDL) {
		check_length(x, r, n);
		check_uidl(x, r, l, n, x->reply_sec, 0, 0);
	}
}

static void
server(struct pop3_explain *x, const char *l, size_t n,
    struct pop3_explain_out *out)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	struct pop3_explain_row *r;

	if (x->reply != POP3_EX_NONE) {
		data(x, l, n, out);
		return;
	}
	if (!x->held && narration(l, n)) {
		r = row_new(out, 'S', l, n);
		snprintf(r->note, sizeof(r->note), "%s | narration, not a "
		    "line on the wire", pop3_state_name(x->st));
		return;
	}
	if (x->held) {
		reply(x, l, n, out);
		return;
	}
	if (!x->greeted) {
		greeting(x, l, n, out);
		return;
	}
	r = row_new(out, 'S', l, n);
	snprintf(r->note, sizeof(r->note), "%s", pop3_state_name(x->st));
	if (x->ended)
		flag(r, "a server line after the session ended with QUIT "
		    "(%s)", quit_section(x));
	else
		flag(r, "a server line that answers no command: one reply "
		    "per command (%s)", pi->syntax);
}

void
pop3_explain_line(struct pop3_explain *x, char dir, const char *line,
    size_t len, struct pop3_explain_out *out)
{
	out->nrows = 0;
	if (dir == 'C')
		client(x, line, len, out);
	else if (dir == 'S')
		server(x, line, len, out);
	else if (dir == '#' && x->reply != POP3_EX_NONE)
		x->reply = POP3_EX_NONE;
}

void
pop3_explain_end(struct pop3_explain *x, struct pop3_explain_out *out)
{
	const struct pop3_profile_info *pi = &pop3_profiles[x->pr];
	struct pop3_explain_row *r;

	out->nrows = 0;
	if (x->held)
		(void)release(x, out);
	if (x->reply != POP3_EX_NONE && x->reply != POP3_EX_GUESS) {
		r = row_new(out, 0, NULL, 0);
		flag(r, "the transcript ends inside the multi-line reply to "
		    "%s: no terminating \".\" line (%s)", x->reply_name,
		    pi->syntax);
	}
	x->reply = POP3_EX_NONE;
}
