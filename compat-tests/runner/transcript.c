/*
 * Transcript parser: a pure function from bytes to a struct tcase.
 * The syntax is documented in compat-tests/README.md.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

static const char *const kind_names[] = {
	[STEP_SEND] = "C:", [STEP_SEND_RAW] = "C|", [STEP_CLOSE] = "C!",
	[STEP_EXPECT] = "S:", [STEP_EXPECT_RE] = "S~",
	[STEP_EXPECT_RETR] = "S> retr", [STEP_EXPECT_TOP] = "S> top",
	[STEP_EXPECT_LIST] = "S> list", [STEP_EXPECT_UIDL] = "S> uidl",
	[STEP_EXPECT_ANY] = "S> any", [STEP_EXPECT_EOF] = "S!",
	[STEP_RECONNECT] = "@reconnect", [STEP_REQUIRE] = "@require",
	[STEP_SLEEP] = "@sleep", [STEP_EXPECT_DATA] = "S> data",
	[STEP_SWITCH] = "@switch", [STEP_EXPECT_OPT] = "S?",
	[STEP_STLS] = "@stls", [STEP_EXPECT_CMP] = "@expect",
};

const char *
step_kind_name(enum step_kind k)
{
	if ((size_t)k < sizeof(kind_names) / sizeof(kind_names[0]) &&
	    kind_names[k] != NULL)
		return kind_names[k];
	return "?";
}

static void
seterr(char *err, size_t errlen, int lineno, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, errlen, "line %d: ", lineno);
	if (n < 0 || (size_t)n >= errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - n, fmt, ap);
	va_end(ap);
}

static char *
xstrndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static struct step *
add_step(struct tcase *tc, enum step_kind kind, int lineno, const char *text,
    const char *ref)
{
	struct step *st;

	st = realloc(tc->steps, (tc->nsteps + 1) * sizeof(*st));
	if (st == NULL) {
		perror("realloc");
		exit(2);
	}
	tc->steps = st;
	st = &tc->steps[tc->nsteps++];
	memset(st, 0, sizeof(*st));
	st->kind = kind;
	st->lineno = lineno;
	st->text = text != NULL ? xstrndup(text, strlen(text)) : NULL;
	st->ref = ref != NULL ? xstrndup(ref, strlen(ref)) : NULL;
	return st;
}

/*
 * A step may end with "  [RFC 1939 §5]": two spaces or more, then a
 * bracketed reference starting with RFC, STD or polypop.  Cut it off.
 */
static char *
cut_ref(char *line)
{
	size_t len = strlen(line);
	char *open;

	if (len == 0 || line[len - 1] != ']')
		return NULL;
	open = strrchr(line, '[');
	if (open == NULL || open - line < 2 || open[-1] != ' ' ||
	    open[-2] != ' ')
		return NULL;
	if (strncmp(open + 1, "RFC", 3) != 0 &&
	    strncmp(open + 1, "STD", 3) != 0 &&
	    strncmp(open + 1, "polypop", 7) != 0)
		return NULL;
	line[len - 1] = '\0';
	open[0] = '\0';
	for (char *p = open - 1; p >= line && *p == ' '; p--)
		*p = '\0';
	return open + 1;
}

static int
parse_nums(struct step *st, const char *s, int min, int max, char *err,
    size_t errlen)
{
	char *end;
	long v;

	st->nnums = 0;
	for (;;) {
		while (*s == ' ')
			s++;
		if (*s == '\0')
			break;
		if (st->nnums == STEP_MAX_NUMS) {
			seterr(err, errlen, st->lineno, "too many numbers");
			return -1;
		}
		errno = 0;
		v = strtol(s, &end, 10);
		if (end == s || (*end != ' ' && *end != '\0') || errno != 0 ||
		    v < 0 || v > 1000000) {
			seterr(err, errlen, st->lineno, "bad number '%s'", s);
			return -1;
		}
		st->nums[st->nnums++] = (int)v;
		s = end;
	}
	if (st->nnums < min || st->nnums > max) {
		seterr(err, errlen, st->lineno,
		    "%s takes %d to %d numbers, got %d",
		    step_kind_name(st->kind), min, max, st->nnums);
		return -1;
	}
	return 0;
}

#define OK_RE	"^\\+OK( |$)"
#define ERR_RE	"^-ERR( |$)"
/* RFC 937, Reply Strings: only the first character is fixed. */
#define OK2_RE	"^\\+"
#define ERR2_RE	"^-"
/* RFC 937, Formal Syntax: <greet> = + SP POP2 SP <host> [SP <string>] */
#define GREET2_RE "^\\+ POP2 [A-Za-z]([-A-Za-z0-9.]*[A-Za-z0-9])?( |$)"
#define COUNT2_RE "^#[0-9]+( |$)"

int
proto_dialect(const char *name)
{
	if (strcmp(name, "pop2") == 0)
		return DIALECT_POP2;
	if (strcmp(name, "pop1") == 0)
		return DIALECT_POP1;
	if (strcmp(name, "pop109") == 0)
		return DIALECT_POP109;
	if (strcmp(name, "pop3") == 0)
		return DIALECT_POP3;
	return -1;
}

/*
 * "{NAME[,NAME...]}" right after "S~" or "S> any ~": the names the
 * regex's parenthesised groups 1, 2, ... are stored under, as
 * ${cap:NAME}.  A NAME is 1-31 letters, digits, '-' or '_'.  On success
 * *p points past the '}' and the names are returned, ','-separated.
 */
static char *
parse_names(const char **p, int lineno, char *err, size_t errlen)
{
	const char *s = *p + 1, *close = strchr(s, '}');
	size_t n, count = 0;

	if (close == NULL) {
		seterr(err, errlen, lineno, "capture: '{' without '}'");
		return NULL;
	}
	for (const char *q = s; q <= close; q += n + 1) {
		n = strspn(q, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrst"
		    "uvwxyz0123456789-_");
		if (n == 0 || n > MAX_CAP_NAME || (q[n] != ',' && q[n] != '}')) {
			seterr(err, errlen, lineno, "capture: bad name list "
			    "'{%.*s}' (1 to %d names of 1 to %d letters, "
			    "digits, '-', '_', separated by ',')",
			    (int)(close - s), s, MAX_CAP_GROUPS, MAX_CAP_NAME);
			return NULL;
		}
		if (++count > MAX_CAP_GROUPS) {
			seterr(err, errlen, lineno, "capture: more than %d "
			    "names", MAX_CAP_GROUPS);
			return NULL;
		}
	}
	*p = close + 1;
	return xstrndup(s, (size_t)(close - s));
}

/*
 * "@expect A OP B": A is one word, OP one of == != < <= > >= ~ !~, B the
 * rest of the line (for ~ and !~ a regex).
 */
static int
parse_expect(struct tcase *tc, int lineno, const char *arg, const char *ref,
    char *err, size_t errlen)
{
	static const char *const ops[] = { [CMP_EQ] = "==", [CMP_NE] = "!=",
		[CMP_LT] = "<", [CMP_LE] = "<=", [CMP_GT] = ">",
		[CMP_GE] = ">=", [CMP_MATCH] = "~", [CMP_NOMATCH] = "!~" };
	size_t an = strcspn(arg, " "), on;
	const char *op = arg + an, *b;
	struct step *st;
	int k = -1;

	while (*op == ' ')
		op++;
	on = strcspn(op, " ");
	for (int i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++)
		if (strlen(ops[i]) == on && strncmp(op, ops[i], on) == 0)
			k = i;
	b = op + on;
	while (*b == ' ')
		b++;
	if (an == 0 || k < 0 || *b == '\0') {
		seterr(err, errlen, lineno, "@expect wants 'A OP B', OP one "
		    "of == != < <= > >= ~ !~");
		return -1;
	}
	st = add_step(tc, STEP_EXPECT_CMP, lineno, NULL, ref);
	st->text = xstrndup(arg, an);
	st->arg2 = xstrndup(b, strlen(b));
	st->nums[0] = k;
	st->nnums = 1;
	return 0;
}

/* "TAG [ARG...]" of "@require capa"/"@capa": single spaces, "!TAG" alone. */
static int
capa_arg_ok(const char *a, int bang)
{
	size_t n = strlen(a);

	if (bang && a[0] == '!')
		return a[1] != '\0' && strcspn(a, " \t") == n;
	return n > 0 && n < 128 && a[0] != ' ' && a[0] != '!' &&
	    a[n - 1] != ' ' && strstr(a, "  ") == NULL &&
	    strchr(a, '\t') == NULL;
}

static int
parse_macro(struct tcase *tc, int lineno, char *line, const char *ref,
    char *err, size_t errlen)
{
	char *arg = line + strcspn(line, " ");
	struct step *st;

	if (*arg != '\0')
		*arg++ = '\0';
	if (strcmp(line, "@greeting") == 0 && *arg == '\0') {
		add_step(tc, STEP_EXPECT_RE, lineno,
		    tc->dialect == DIALECT_POP2 ? GREET2_RE : OK_RE, ref);
	} else if ((strcmp(line, "@login") == 0 ||
	    strcmp(line, "@login2") == 0) && *arg == '\0' &&
	    tc->dialect == DIALECT_POP2) {
		/* RFC 937 HELO: "#nnn", the count of the default mailbox. */
		add_step(tc, STEP_SEND, lineno, line[6] == '2' ?
		    "HELO ${user2} ${pass2}" : "HELO ${user} ${pass}", ref);
		add_step(tc, STEP_EXPECT_RE, lineno, COUNT2_RE, ref);
	} else if ((strcmp(line, "@login") == 0 ||
	    strcmp(line, "@login2") == 0) && *arg == '\0') {
		int two = line[6] == '2';

		add_step(tc, STEP_SEND, lineno,
		    two ? "USER ${user2}" : "USER ${user}", ref);
		add_step(tc, STEP_EXPECT_RE, lineno, OK_RE, ref);
		add_step(tc, STEP_SEND, lineno,
		    two ? "PASS ${pass2}" : "PASS ${pass}", ref);
		add_step(tc, STEP_EXPECT_RE, lineno, OK_RE, ref);
	} else if (strcmp(line, "@quit") == 0 && *arg == '\0') {
		add_step(tc, STEP_SEND, lineno, "QUIT", ref);
		add_step(tc, STEP_EXPECT_RE, lineno,
		    tc->dialect == DIALECT_POP2 ? OK2_RE : OK_RE, ref);
		add_step(tc, STEP_EXPECT_EOF, lineno, NULL, ref);
	} else if (strcmp(line, "@as") == 0 && proto_dialect(arg) >= 0) {
		tc->dialect = proto_dialect(arg);
	} else if (strcmp(line, "@switch") == 0 &&
	    (strcmp(arg, "main") == 0 || strcmp(arg, "second") == 0)) {
		st = add_step(tc, STEP_SWITCH, lineno, NULL, ref);
		st->nums[0] = strcmp(arg, "second") == 0;
		st->nnums = 1;
		if (st->nums[0])
			tc->second = 1;
	} else if (strcmp(line, "@reconnect") == 0 && *arg == '\0') {
		add_step(tc, STEP_RECONNECT, lineno, NULL, ref);
	} else if (strcmp(line, "@require") == 0 && strcmp(arg, "apop") == 0) {
		add_step(tc, STEP_REQUIRE, lineno, arg, ref);
	} else if ((strcmp(line, "@require") == 0 &&
	    strncmp(arg, "capa ", 5) == 0 && capa_arg_ok(arg + 5, 0)) ||
	    (strcmp(line, "@capa") == 0 && capa_arg_ok(arg, 1))) {
		/*
		 * "@require capa TAG [ARG...]": CAPA must list TAG (with the
		 * ARGs), else skip.  "@capa TAG [ARG...]" / "@capa !TAG":
		 * CAPA must (not) list it, else FAIL.
		 */
		char text[140];

		snprintf(text, sizeof(text), "capa %s", line[1] == 'c' ? arg :
		    arg + 5);
		st = add_step(tc, STEP_REQUIRE, lineno, text, ref);
		st->nums[0] = line[1] == 'c';
		st->nnums = 1;
	} else if (strcmp(line, "@stls") == 0 && (*arg == '\0' ||
	    strcmp(arg, "or skip") == 0)) {
		st = add_step(tc, STEP_STLS, lineno, NULL, ref);
		st->nums[0] = *arg != '\0';
		st->nnums = 1;
	} else if (strcmp(line, "@sleep") == 0) {
		st = add_step(tc, STEP_SLEEP, lineno, NULL, ref);
		return parse_nums(st, arg, 1, 1, err, errlen);
	} else if (strcmp(line, "@expect") == 0) {
		return parse_expect(tc, lineno, arg, ref, err, errlen);
	} else {
		seterr(err, errlen, lineno, "unknown directive '%s%s%s'", line,
		    *arg ? " " : "", arg);
		return -1;
	}
	return 0;
}

/*
 * "S> data [FIXTURE:]N[,N...]", "S> data [FIXTURE:]all", "S> data any":
 * exactly the octets announced by the last "=nnn" or "#nnn" reply, raw
 * (no byte-stuffing, no terminator).
 */
static int
parse_data(struct tcase *tc, int lineno, const char *arg, const char *ref,
    char *err, size_t errlen)
{
	const char *colon = strchr(arg, ':'), *p;
	struct step *st;
	char *copy, *q;

	st = add_step(tc, STEP_EXPECT_DATA, lineno, NULL, ref);
	if (strcmp(arg, "any") == 0) {
		st->nums[0] = DATA_ANY;
		st->nnums = 1;
		return 0;
	}
	p = arg;
	if (colon != NULL) {
		st->text = xstrndup(arg, (size_t)(colon - arg));
		if (fixture_get(st->text) == NULL) {
			seterr(err, errlen, lineno, "unknown fixture '%s'",
			    st->text);
			return -1;
		}
		p = colon + 1;
	}
	if (strcmp(p, "all") == 0) {
		st->nums[0] = DATA_ALL;
		st->nnums = 1;
		return 0;
	}
	copy = xstrndup(p, strlen(p));
	for (q = copy; *q; q++)
		if (*q == ',')
			*q = ' ';
	if (parse_nums(st, copy, 1, STEP_MAX_NUMS - 1, err, errlen) < 0) {
		free(copy);
		return -1;
	}
	free(copy);
	memmove(st->nums + 1, st->nums, st->nnums * sizeof(st->nums[0]));
	st->nums[0] = DATA_MSGS;
	st->nnums++;
	for (int i = 1; i < st->nnums; i++)
		if (st->nums[i] < 1) {
			seterr(err, errlen, lineno, "message numbers start "
			    "at 1");
			return -1;
		}
	return 0;
}

static int
parse_multi(struct tcase *tc, int lineno, const char *arg, const char *ref,
    char *err, size_t errlen)
{
	struct step *st;
	size_t n = strcspn(arg, " ");
	const char *rest = arg + n;

	if (n == 4 && strncmp(arg, "retr", 4) == 0) {
		st = add_step(tc, STEP_EXPECT_RETR, lineno, NULL, ref);
		return parse_nums(st, rest, 1, 1, err, errlen);
	}
	if (n == 3 && strncmp(arg, "top", 3) == 0) {
		st = add_step(tc, STEP_EXPECT_TOP, lineno, NULL, ref);
		return parse_nums(st, rest, 2, 2, err, errlen);
	}
	if (n == 4 && strncmp(arg, "list", 4) == 0) {
		st = add_step(tc, STEP_EXPECT_LIST, lineno, NULL, ref);
		return parse_nums(st, rest, 0, STEP_MAX_NUMS, err, errlen);
	}
	if (n == 4 && strncmp(arg, "uidl", 4) == 0) {
		st = add_step(tc, STEP_EXPECT_UIDL, lineno, NULL, ref);
		return parse_nums(st, rest, 0, STEP_MAX_NUMS, err, errlen);
	}
	if (strcmp(arg, "any") == 0) {
		add_step(tc, STEP_EXPECT_ANY, lineno, NULL, ref);
		return 0;
	}
	if (n == 3 && strncmp(arg, "any", 3) == 0 && strncmp(rest, " ~", 2)
	    == 0) {
		/*
		 * "S> any ~ REGEX": one of the lines up to "." must match;
		 * "S> any ~{A,B} REGEX": its groups are captured too.
		 */
		const char *re = rest + 2;
		char *names = NULL;

		if (*re == '{' && (names = parse_names(&re, lineno, err,
		    errlen)) == NULL)
			return -1;
		if (*re != ' ' || re[1] == '\0') {
			free(names);
			seterr(err, errlen, lineno, "'S> any ~%s' wants a "
			    "space and a regex", names ? "{...}" : "");
			return -1;
		}
		st = add_step(tc, STEP_EXPECT_ANY, lineno, re + 1, ref);
		st->names = names;
		return 0;
	}
	if (n == 4 && strncmp(arg, "data", 4) == 0 && *rest == ' ')
		return parse_data(tc, lineno, rest + 1, ref, err, errlen);
	seterr(err, errlen, lineno, "unknown 'S>' form '%s'", arg);
	return -1;
}

/* Is the N-octet NAME one of the space-separated LIST? */
static int
profile_in_list(const char *list, const char *name, size_t n)
{
	const char *p = list;
	size_t len;

	while (*p != '\0') {
		len = strcspn(p, " ");
		if (len == n && strncmp(p, name, n) == 0)
			return 1;
		p += len;
		while (*p == ' ')
			p++;
	}
	return 0;
}

/*
 * A case that negotiates STLS itself ("@stls") or needs STLS announced
 * ("@require capa STLS", "@capa STLS") needs a server with a certificate:
 * the harness reads this from --list.
 */
int
tcase_wants_cert(const struct tcase *tc)
{
	for (size_t k = 0; k < tc->nsteps; k++) {
		const struct step *st = &tc->steps[k];

		if (st->kind == STEP_STLS || (st->kind == STEP_REQUIRE &&
		    (strcmp(st->text, "capa STLS") == 0 ||
		    strncmp(st->text, "capa STLS ", 10) == 0)))
			return 1;
	}
	return 0;
}

/*
 * Does the case run under the runner's --profile PROFILE (NULL: none)?
 * A case without "profile:" runs only without --profile (the server's
 * default POP3); one with "profile:" only under a profile it lists.
 */
int
tcase_runs_profile(const struct tcase *tc, const char *profile)
{
	if (tc->profile == NULL)
		return profile == NULL || profile[0] == '\0';
	if (profile == NULL || profile[0] == '\0')
		return 0;
	return profile_in_list(tc->profile, profile, strlen(profile));
}

/*
 * "profile: NAME [NAME...]": the case runs when the runner's --profile is
 * one of them.  Names are lower-case letters, digits, '-' and '.', each
 * given once; they are kept as one space-separated list.
 */
static int
parse_profiles(struct tcase *tc, int lineno, const char *val, char *err,
    size_t errlen)
{
	char *list = malloc(strlen(val) + 1), *out = list;
	const char *p = val, *q;
	size_t n;

	if (list == NULL) {
		perror("malloc");
		exit(2);
	}
	*out = '\0';
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (q = p; *q != '\0' && *q != ' ' && *q != '\t'; q++)
			if (!islower((unsigned char)*q) &&
			    !isdigit((unsigned char)*q) && *q != '-' &&
			    *q != '.') {
				seterr(err, errlen, lineno, "bad profile name "
				    "'%.*s' (lower-case letters, digits, '-', "
				    "'.')", (int)strcspn(p, " \t"), p);
				free(list);
				return -1;
			}
		n = (size_t)(q - p);
		*out = '\0';
		if (profile_in_list(list, p, n)) {
			seterr(err, errlen, lineno, "profile '%.*s' listed "
			    "twice", (int)n, p);
			free(list);
			return -1;
		}
		if (out != list)
			*out++ = ' ';
		memcpy(out, p, n);
		out += n;
		*out = '\0';
		p = q;
	}
	if (out == list) {
		seterr(err, errlen, lineno, "profile: wants one or more "
		    "profile names");
		free(list);
		return -1;
	}
	tc->profile = list;
	return 0;
}

/* The RFCs of issue 7: those a "covers:" header may name. */
static const int known_rfcs[] = { 918, 937, 1081, 1082, 1225, 1460, 1725,
	1939, 1734, 2449, 2595, 3206, 5034, 6856 };

int
clause_rfc_known(int rfc)
{
	for (size_t i = 0; i < sizeof(known_rfcs) / sizeof(known_rfcs[0]); i++)
		if (known_rfcs[i] == rfc)
			return 1;
	return 0;
}

/*
 * "RFC 1939 §5", "RFC1939 §6.7" or "RFC 937 §The-Protocol" (RFCs that number
 * no sections are named by heading, spaces as '-') into the canonical
 * "RFC 1939 §5".  A unit of the section may follow: "#3" (its third
 * requirement sentence in clauses.txt) or a command or reply form it
 * defines ("STAT", "XTND-BBOARDS").  Nothing else may.
 */
int
clause_canon(const char *s, char *out, size_t outlen, char *err,
    size_t errlen)
{
	const char *p = s, *sec, *unit;
	long rfc = 0;
	size_t n;

	if (strncmp(p, "RFC", 3) != 0)
		goto bad;
	p += 3;
	if (*p == ' ')
		p++;
	if (!isdigit((unsigned char)*p))
		goto bad;
	while (isdigit((unsigned char)*p) && rfc < 100000)
		rfc = rfc * 10 + (*p++ - '0');
	if (!clause_rfc_known((int)rfc)) {
		snprintf(err, errlen, "unknown RFC %ld in '%s' (not one of "
		    "issue 7's)", rfc, s);
		return -1;
	}
	if (strncmp(p, " §", strlen(" §")) != 0)
		goto bad;
	sec = p + strlen(" §");
	n = strcspn(sec, " ");
	if (n == 0 || n > 80)
		goto bad;
	if (isdigit((unsigned char)sec[0])) {
		/* 5, 6.7, 2.4.1: digits separated by single dots */
		for (size_t i = 0; i < n; i++)
			if (!isdigit((unsigned char)sec[i]) && !(sec[i] == '.' &&
			    i + 1 < n && isdigit((unsigned char)sec[i + 1])))
				goto bad;
	} else if (isalpha((unsigned char)sec[0]) || sec[0] == '"') {
		for (size_t i = 0; i < n; i++)
			if (!isalnum((unsigned char)sec[i]) &&
			    strchr("-\",/'", sec[i]) == NULL)
				goto bad;
	} else
		goto bad;
	unit = sec + n;
	if (*unit == ' ') {
		/*
		 * A unit of the section: "#3", its third requirement
		 * sentence, or "STAT", a command or reply form it defines.
		 */
		const char *u = unit + 1;
		size_t un = strlen(u);

		if (un == 0 || un > 32)
			goto bad;
		if (u[0] == '#') {
			if (un < 2 || u[1] == '0' ||
			    strspn(u + 1, "0123456789") != un - 1)
				goto bad;
		} else if (!isupper((unsigned char)u[0]) ||
		    strspn(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != un)
			goto bad;
	} else if (*unit != '\0')
		goto bad;
	if ((size_t)snprintf(out, outlen, "RFC %ld §%s", rfc, sec) >= outlen)
		goto bad;
	return 0;
bad:
	snprintf(err, errlen, "malformed clause '%s' (want 'RFC N §SECTION', "
	    "'RFC N §SECTION #K' or 'RFC N §SECTION COMMAND')",
	    s);
	return -1;
}

/*
 * "bboard: NAME FIXTURE [unreadable]": an RFC 1082 discussion group NAME
 * (ALPHA *(ALPHA / DIGIT / "-"), at most 64 characters; "NAME.archive" is
 * group NAME's archive maildrop) holding FIXTURE, which the harness puts
 * into the server's --bboards location; "unreadable": a maildrop the
 * server cannot read (RFC 1082 "Policy Notes").  Kept in tc->bboards as
 * "NAME=FIXTURE[=unreadable]", comma-separated.
 */
static int
parse_bboard(struct tcase *tc, int lineno, const char *val, char *err,
    size_t errlen)
{
	static const char suffix[] = ".archive";
	char name[80], fixture[64], flag[16], extra[2];
	size_t n, old = tc->bboards ? strlen(tc->bboards) : 0;
	int k = sscanf(val, "%79s %63s %15s %1s", name, fixture, flag, extra);

	n = strlen(name);
	if (k >= 1 && n > strlen(suffix) &&
	    strcmp(name + n - strlen(suffix), suffix) == 0)
		n -= strlen(suffix);	/* an archive maildrop */
	if (k < 2 || k > 3 || (k == 3 && strcmp(flag, "unreadable") != 0) ||
	    n == 0 || n > 64 || fixture_get(fixture) == NULL ||
	    !isalpha((unsigned char)name[0]) ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-") != n) {
		seterr(err, errlen, lineno, "bboard: wants 'NAME FIXTURE "
		    "[unreadable]' (NAME: a letter, then letters, digits and "
		    "'-', at most 64, optionally '.archive'; a known fixture)");
		return -1;
	}
	tc->bboards = realloc(tc->bboards, old + strlen(name) +
	    strlen(fixture) + sizeof("=,=unreadable"));
	if (tc->bboards == NULL) {
		perror("realloc");
		exit(2);
	}
	sprintf(tc->bboards + old, "%s%s=%s%s", old ? "," : "", name, fixture,
	    k == 3 ? "=unreadable" : "");
	return 0;
}

static int
parse_header(struct tcase *tc, int lineno, const char *key, const char *val,
    char *err, size_t errlen)
{
	char **slot = NULL;

	if (strcmp(key, "covers") == 0) {
		char id[128], why[256];
		char **v;

		if (clause_canon(val, id, sizeof(id), why, sizeof(why)) < 0) {
			seterr(err, errlen, lineno, "covers: %s", why);
			return -1;
		}
		v = realloc(tc->covers, (tc->ncovers + 1) * sizeof(*v));
		if (v == NULL) {
			perror("realloc");
			exit(2);
		}
		tc->covers = v;
		v[tc->ncovers++] = xstrndup(id, strlen(id));
		return 0;
	} else if (strcmp(key, "proto") == 0) {
		if (tc->proto == NULL && proto_dialect(val) >= 0)
			tc->dialect = proto_dialect(val);
		slot = &tc->proto;
	} else if (strcmp(key, "folder") == 0) {
		/*
		 * "folder: NAME FIXTURE": a second mailbox for ${user}.  NAME
		 * is everything before the last space (it may hold spaces).
		 */
		const char *sp = strrchr(val, ' ');
		size_t old = tc->folders ? strlen(tc->folders) : 0;

		if (sp == NULL || sp == val || fixture_get(sp + 1) == NULL ||
		    strpbrk(val, ",=/%") != NULL || val[0] == '.' ||
		    sp[-1] == ' ') {
			seterr(err, errlen, lineno, "folder: wants 'NAME "
			    "FIXTURE' (a known fixture; no ',' '=' '/' '%%' "
			    "or leading '.' in NAME)");
			return -1;
		}
		tc->folders = realloc(tc->folders, old + strlen(val) + 2);
		if (tc->folders == NULL) {
			perror("realloc");
			exit(2);
		}
		sprintf(tc->folders + old, "%s%.*s=%s", old ? "," : "",
		    (int)(sp - val), val, sp + 1);
		return 0;
	} else if (strcmp(key, "bboard") == 0) {
		return parse_bboard(tc, lineno, val, err, errlen);
	} else if (strcmp(key, "profile") == 0) {
		if (tc->profile != NULL) {
			seterr(err, errlen, lineno,
			    "header 'profile' given twice");
			return -1;
		}
		return parse_profiles(tc, lineno, val, err, errlen);
	} else if (strcmp(key, "tls") == 0) {
		/* "tls: no [why]": skipped under --tls / --stls. */
		if (strncmp(val, "no", 2) != 0 || (val[2] != '\0' &&
		    val[2] != ' ')) {
			seterr(err, errlen, lineno,
			    "tls: wants 'no' and an optional reason");
			return -1;
		}
		val += 2;
		while (*val == ' ')
			val++;
		slot = &tc->notls;
	} else if (strcmp(key, "server-options") == 0) {
		/*
		 * "server-options: --login-delay 60": a request to the
		 * harness (run.py appends it to polypopd's command line,
		 * from --list).  The runner itself does nothing with it.
		 */
		size_t old = tc->server_options ?
		    strlen(tc->server_options) : 0;

		if (*val == '\0') {
			seterr(err, errlen, lineno, "server-options: wants "
			    "options");
			return -1;
		}
		tc->server_options = realloc(tc->server_options, old +
		    strlen(val) + 2);
		if (tc->server_options == NULL) {
			perror("realloc");
			exit(2);
		}
		sprintf(tc->server_options + old, "%s%s", old ? " " : "", val);
		return 0;
	} else if (strcmp(key, "fixture") == 0)
		slot = &tc->fixture;
	else if (strcmp(key, "level") == 0) {
		if (strcmp(val, "rfc") != 0 && strcmp(val, "polypop") != 0) {
			seterr(err, errlen, lineno,
			    "level must be 'rfc' or 'polypop'");
			return -1;
		}
		slot = &tc->level;
	} else if (strcmp(key, "timeout") == 0) {
		char *end;
		double s = strtod(val, &end);

		if (end == val || *end != '\0' || s <= 0 || s > 600) {
			seterr(err, errlen, lineno, "bad timeout '%s'", val);
			return -1;
		}
		tc->timeout_ms = (int)(s * 1000);
		return 0;
	} else {
		seterr(err, errlen, lineno, "unknown header '%s'", key);
		return -1;
	}
	if (*slot != NULL) {
		seterr(err, errlen, lineno, "header '%s' given twice", key);
		return -1;
	}
	*slot = xstrndup(val, strlen(val));
	return 0;
}

/* Returns 1 if the line is a "key: value" header, splitting it. */
static int
split_header(char *line, char **key, char **val)
{
	char *p = line;

	/* "proto", "server-options": lower-case letters, inner '-'. */
	while (islower((unsigned char)*p) || (*p == '-' && p != line &&
	    islower((unsigned char)p[1])))
		p++;
	if (p == line || p - line < 2 || *p != ':')
		return 0;
	*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	*key = line;
	*val = p;
	return 1;
}

static int
parse_line(struct tcase *tc, int lineno, char *line, char *err, size_t errlen)
{
	char *key, *val, *ref, *arg;
	size_t len = strlen(line);

	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	if (line[0] == '#') {
		if (tc->title == NULL && tc->nsteps == 0) {
			char *t = line + 1;

			while (*t == ' ')
				t++;
			tc->title = xstrndup(t, strlen(t));
		}
		return 0;
	}
	if (line[strspn(line, " \t")] == '\0')
		return 0;
	if (split_header(line, &key, &val)) {
		if (tc->nsteps != 0) {
			seterr(err, errlen, lineno,
			    "header '%s' after the first step", key);
			return -1;
		}
		return parse_header(tc, lineno, key, val, err, errlen);
	}
	ref = cut_ref(line);
	if (line[0] == '@')
		return parse_macro(tc, lineno, line, ref, err, errlen);
	if (len < 2 || (line[0] != 'C' && line[0] != 'S')) {
		seterr(err, errlen, lineno, "cannot parse '%s'", line);
		return -1;
	}
	/* One optional space after the marker; the rest is the argument. */
	arg = line + 2;
	if (*arg == ' ')
		arg++;
	switch (line[0] << 8 | line[1]) {
	case 'C' << 8 | ':':
		add_step(tc, STEP_SEND, lineno, arg, ref);
		break;
	case 'C' << 8 | '|':
		add_step(tc, STEP_SEND_RAW, lineno, arg, ref);
		break;
	case 'C' << 8 | '!':
		if (strcmp(arg, "close") != 0)
			goto bad;
		add_step(tc, STEP_CLOSE, lineno, NULL, ref);
		break;
	case 'S' << 8 | ':':
		add_step(tc, STEP_EXPECT, lineno, arg, ref);
		break;
	case 'S' << 8 | '+':
	case 'S' << 8 | '-':
		/*
		 * "S+" / "S-": a positive / negative status indicator with
		 * free text; "S+ GLOB" / "S- GLOB": the indicator, one space,
		 * then text matching GLOB.
		 */
		if (tc->dialect == DIALECT_POP2) {
			/*
			 * RFC 937: "+" / "-" and free text; "S+ GLOB" is
			 * "+ GLOB".  Every "-" closes the connection
			 * (Server Decision Table, actions 1 and 3b).
			 */
			if (*arg == '\0') {
				add_step(tc, STEP_EXPECT_RE, lineno,
				    line[1] == '+' ? OK2_RE : ERR2_RE, ref);
			} else {
				char *pat = malloc(strlen(arg) + 3);

				if (pat == NULL) {
					perror("malloc");
					exit(2);
				}
				sprintf(pat, "%c %s", line[1], arg);
				add_step(tc, STEP_EXPECT, lineno, pat, ref);
				free(pat);
			}
			if (line[1] == '-')
				add_step(tc, STEP_EXPECT_EOF, lineno, NULL,
				    ref);
		} else if (*arg == '\0') {
			add_step(tc, STEP_EXPECT_RE, lineno, line[1] == '+' ?
			    OK_RE : ERR_RE, ref);
		} else {
			char *pat = malloc(strlen(arg) + 6);

			if (pat == NULL) {
				perror("malloc");
				exit(2);
			}
			sprintf(pat, "%s %s", line[1] == '+' ? "+OK" : "-ERR",
			    arg);
			add_step(tc, STEP_EXPECT, lineno, pat, ref);
			free(pat);
		}
		break;
	case 'S' << 8 | '~':
		if (line[2] == '{') {
			/* "S~{A,B} REGEX": groups 1, 2 into ${cap:A}, ... */
			const char *re = line + 2;
			char *names = parse_names(&re, lineno, err, errlen);
			struct step *st;

			if (names == NULL)
				return -1;
			if (*re != ' ' || re[1] == '\0') {
				free(names);
				seterr(err, errlen, lineno, "'S~{...}' wants "
				    "a space and a regex");
				return -1;
			}
			st = add_step(tc, STEP_EXPECT_RE, lineno, re + 1, ref);
			st->names = names;
			break;
		}
		add_step(tc, STEP_EXPECT_RE, lineno, arg, ref);
		break;
	case 'S' << 8 | '?':
		if (*arg == '\0')
			goto bad;
		add_step(tc, STEP_EXPECT_OPT, lineno, arg, ref);
		break;
	case 'S' << 8 | '#':
	case 'S' << 8 | '=':
	{
		/*
		 * "S# N" / "S= N": RFC 937 <count> / <length> (and RFC 918
		 * "#xxx"): the sign, the number N (a ${...} expression, or
		 * "*" for any), then nothing or a space and any text.
		 */
		char *pat;

		if (*arg == '\0')
			goto bad;
		pat = malloc(strlen(arg) + 16);
		if (pat == NULL) {
			perror("malloc");
			exit(2);
		}
		if (strcmp(arg, "*") == 0)
			sprintf(pat, "^%c[0-9]+( |$)", line[1]);
		else
			sprintf(pat, "^%c%s( |$)", line[1], arg);
		add_step(tc, STEP_EXPECT_RE, lineno, pat, ref);
		free(pat);
		break;
	}
	case 'S' << 8 | '>':
		return parse_multi(tc, lineno, arg, ref, err, errlen);
	case 'S' << 8 | '!':
		if (strcmp(arg, "closed") != 0)
			goto bad;
		add_step(tc, STEP_EXPECT_EOF, lineno, NULL, ref);
		break;
	default:
		goto bad;
	}
	return 0;
bad:
	seterr(err, errlen, lineno, "cannot parse '%s'", line);
	return -1;
}

int
tcase_parse(const char *name, const char *buf, size_t len, struct tcase *tc,
    char *err, size_t errlen)
{
	const char *p = buf, *end = buf + len, *nl;
	int lineno = 0;

	memset(tc, 0, sizeof(*tc));
	tc->name = xstrndup(name, strlen(name));
	if (memchr(buf, '\0', len) != NULL) {
		seterr(err, errlen, 0, "NUL byte in transcript");
		goto fail;
	}
	while (p < end) {
		char *line;
		int rc;

		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		lineno++;
		line = xstrndup(p, nl - p);
		rc = parse_line(tc, lineno, line, err, errlen);
		free(line);
		if (rc < 0)
			goto fail;
		p = nl + 1;
	}
	if (tc->proto == NULL) {
		seterr(err, errlen, lineno, "missing 'proto:' header");
		goto fail;
	}
	if (tc->nsteps == 0) {
		seterr(err, errlen, lineno, "no steps");
		goto fail;
	}
	return 0;
fail:
	tcase_free(tc);
	return -1;
}

int
tcase_load(const char *path, struct tcase *tc, char *err, size_t errlen)
{
	FILE *f;
	char *buf = NULL, name[256];
	size_t len = 0, cap = 0, n;
	const char *base, *dot;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			buf = realloc(buf, cap);
			if (buf == NULL) {
				perror("realloc");
				exit(2);
			}
		}
		n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	fclose(f);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	snprintf(name, sizeof(name), "%.*s", (int)n, base);
	rc = tcase_parse(name, buf, len, tc, err, errlen);
	free(buf);
	return rc;
}

void
tcase_free(struct tcase *tc)
{
	for (size_t i = 0; i < tc->nsteps; i++) {
		free(tc->steps[i].text);
		free(tc->steps[i].ref);
		free(tc->steps[i].names);
		free(tc->steps[i].arg2);
	}
	free(tc->steps);
	free(tc->name);
	free(tc->title);
	free(tc->proto);
	free(tc->profile);
	free(tc->fixture);
	free(tc->level);
	free(tc->notls);
	free(tc->folders);
	free(tc->bboards);
	free(tc->server_options);
	for (size_t i = 0; i < tc->ncovers; i++)
		free(tc->covers[i]);
	free(tc->covers);
	memset(tc, 0, sizeof(*tc));
}
