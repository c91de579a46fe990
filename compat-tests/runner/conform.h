/*
 * polypop-conform: a black-box transcript runner for POP servers.
 *
 * A transcript (see compat-tests/README.md) is parsed into a struct tcase,
 * a flat list of steps.  The parser is a pure function over bytes; the
 * executor talks to one file descriptor at a time, so the Check suite can
 * drive it through a socketpair.
 */
#ifndef CONFORM_H
#define CONFORM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum step_kind {
	STEP_SEND,		/* "C: text": text, then CRLF */
	STEP_SEND_RAW,		/* "C| text": escapes decoded, nothing added */
	STEP_CLOSE,		/* "C! close": the client drops the connection */
	STEP_EXPECT,		/* "S: glob": one line, '*' matches anything */
	STEP_EXPECT_RE,		/* "S~ regex": one line, POSIX ERE search */
	STEP_EXPECT_RETR,	/* "S> retr N": message N, stuffed, then "." */
	STEP_EXPECT_TOP,	/* "S> top N L": header, blank, L body lines */
	STEP_EXPECT_LIST,	/* "S> list [N...]": scan listings, then "." */
	STEP_EXPECT_UIDL,	/* "S> uidl [N...]": unique-id listings */
	STEP_EXPECT_ANY,	/* "S> any": any lines up to "." */
	STEP_EXPECT_EOF,	/* "S! closed": the server closes */
	STEP_RECONNECT,		/* "@reconnect": new connection */
	STEP_REQUIRE,		/* "@require apop": skip unless supported */
	STEP_SLEEP,		/* "@sleep MS" */
	STEP_EXPECT_DATA,	/* "S> data EXPR": exactly the announced
				   =nnn / #nnn octets, compared raw */
	STEP_SWITCH,		/* "@switch main|second": active connection */
	STEP_EXPECT_OPT,	/* "S? PREFIX": a line starting with PREFIX,
				   consumed if it comes, else nothing */
	STEP_STLS,		/* "@stls [or skip]": STLS, "+OK", the TLS
				   handshake (RFC 2595 §4) */
	STEP_EXPECT_CMP,	/* "@expect A OP B": compare two expanded
				   values (captures, see ${cap:NAME}) */
};

/* "@expect" operators (struct step.nums[0]). */
#define CMP_EQ		0	/* == */
#define CMP_NE		1	/* != */
#define CMP_LT		2	/* <  */
#define CMP_LE		3	/* <= */
#define CMP_GT		4	/* >  */
#define CMP_GE		5	/* >= */
#define CMP_MATCH	6	/* ~  : B is a regex searched in A */
#define CMP_NOMATCH	7	/* !~ */

/* Reply dialects: how "S+", "S-", "@greeting", "@login", "@quit" read. */
#define DIALECT_POP3	0	/* +OK / -ERR (also POP1, RFC 918) */
#define DIALECT_POP2	1	/* RFC 937: + / - (then close) / # / = */
#define DIALECT_POP1	2	/* RFC 918: +OK / -ERR, USER/PASS */
#define DIALECT_POP109	3	/* the shared port before the first command */

/* "S> data" expressions (struct step.nums[0]). */
#define DATA_MSGS	0	/* messages nums[1..] of fixture text/default,
				   concatenated */
#define DATA_ALL	1	/* every message of the fixture, concatenated */
#define DATA_ANY	2	/* any octets: only the count is checked */

#define STEP_MAX_NUMS 16

struct step {
	enum step_kind	 kind;
	int		 lineno;	/* line in the transcript file */
	char		*text;		/* pattern, text to send, or NULL */
	char		*ref;		/* "RFC 1939 §5" annotation, or NULL */
	char		*names;		/* "S~{A,B}", "S> any ~{A,B}": capture
					   names, ','-separated; NULL: none */
	char		*arg2;		/* "@expect A OP B": B (text is A) */
	int		 nums[STEP_MAX_NUMS];
	int		 nnums;
};

struct tcase {
	char		*name;
	char		*title;		/* first comment line, or NULL */
	char		*proto;		/* "pop3" */
	char		*profile;	/* "rfc1081 rfc1225": space-separated
					   profiles; NULL: only without one */
	char		*fixture;	/* NULL: "basic" */
	char		*level;		/* "rfc" (default) or "polypop" */
	int		 timeout_ms;	/* per step; 0: runner default */
	char		*folders;	/* "NAME=FIXTURE,..." from "folder:" */
	char		*bboards;	/* "NAME=FIXTURE[=unreadable],..." from
					   "bboard:" (RFC 1082 groups) */
	char		*server_options;	/* "server-options:" values, space-
					   joined: a request to the harness */
	int		 second;	/* uses "@switch second" */
	char		*notls;		/* "tls: no [why]": the text after "no"
					   ("" if none); NULL: runs over TLS */
	int		 dialect;	/* parse state: DIALECT_*, see "@as" */
	char		**covers;	/* "covers:" clauses, canonical
					   "RFC 1939 §5"; none: derived from
					   the step references */
	size_t		 ncovers;
	struct step	*steps;
	size_t		 nsteps;
};

/* transcript.c */
int	 tcase_parse(const char *name, const char *buf, size_t len,
	    struct tcase *tc, char *err, size_t errlen);
int	 tcase_load(const char *path, struct tcase *tc, char *err,
	    size_t errlen);
void	 tcase_free(struct tcase *tc);
int	 tcase_runs_profile(const struct tcase *tc, const char *profile);
/* DIALECT_* of a protocol name (pop3, pop2, pop1, pop109), or -1. */
int	 proto_dialect(const char *name);
int	 tcase_wants_cert(const struct tcase *tc);
const char *step_kind_name(enum step_kind k);
int	 clause_canon(const char *s, char *out, size_t outlen, char *err,
	    size_t errlen);
int	 clause_rfc_known(int rfc);

/*
 * coverage.c: clauses (compat-tests/clauses.txt), coverage, --report.
 * A section groups units: its requirement sentences ("#3") and the
 * command and reply forms it defines ("STAT").  A section with neither is
 * a unit itself.  Cases cover units; COVERAGE.md and the matrix list them.
 */
enum clause_kind { CLAUSE_SECTION, CLAUSE_REQ, CLAUSE_FORM };

struct clause {
	char		*id;		/* "RFC 1939 §5", "… §5 #3", "… §5 STAT" */
	char		*title;		/* section title, "MUST: sentence",
					   or the command's syntax */
	int		 rfc;
	enum clause_kind kind;
	int		 section;	/* index of its section (self for one) */
	int		 nunits;	/* a section's requirements and forms */
	int		 count;		/* a section's requirement keywords */
	char		*why;		/* untestable.txt reason, or NULL */
	char		*cases;		/* "pop3/retr, ...", or NULL */
};

#define CLAUSE_IS_UNIT(c) ((c)->kind != CLAUSE_SECTION || (c)->nunits == 0)

struct inventory {
	struct clause	*v;
	size_t		 n;
	char		*orphans;	/* cases that cover no unit */
};

int	 inventory_parse(struct inventory *inv, const char *buf, size_t len,
	    char *err, size_t errlen);
int	 untestable_parse(struct inventory *inv, const char *buf, size_t len,
	    char *err, size_t errlen);
int	 read_file(const char *path, char **buf, size_t *len);
void	 inventory_free(struct inventory *inv);
int	 inventory_find(const struct inventory *inv, const char *id);
size_t	 tcase_clauses(const struct tcase *tc, const struct inventory *inv,
	    int *idx, size_t max);
void	 coverage_add(struct inventory *inv, const char *casename,
	    const int *idx, size_t n);
void	 coverage_write(FILE *f, const struct inventory *inv);
size_t	 coverage_missing(const struct inventory *inv);

enum cell { CELL_NONE, CELL_SKIP, CELL_OK, CELL_FAIL };	/* worst last */

struct report {
	char		**rows;		/* clause ids */
	char		**titles;
	size_t		 nrows;
	char		**cols;		/* run labels */
	size_t		 ncols;
	enum cell	*cells;		/* [row * ncols + col] */
};

#define REPORT_MARKER "<!-- polypop-conform report v1 -->"

void	 report_init(struct report *r, const struct inventory *inv);
int	 report_parse(struct report *r, const char *buf, size_t len,
	    char *err, size_t errlen);
size_t	 report_column(struct report *r, const char *label, int reset);
void	 report_set(struct report *r, const char *row, size_t col,
	    enum cell c);
void	 report_write(FILE *f, const struct report *r);
void	 report_free(struct report *r);
int	 report_merge_file(const char *path, const struct inventory *inv,
	    const struct report *run, char *err, size_t errlen);

/* fixture.c: the corpus and what a POP3 server must send for it. */
struct fmsg {
	const char	*name;		/* short label, for messages */
	unsigned char	*raw;		/* bytes as delivered / stored */
	size_t		 rawlen;
	unsigned char	*wire;		/* RFC 1939 §11: CRLF-normalised */
	size_t		 wirelen;
};

struct fixture {
	const char	*name;
	struct fmsg	*msgs;
	size_t		 nmsgs;
};

const struct fixture *fixture_get(const char *name);
const char *const *fixture_names(void);
int	 fixture_write(const struct fixture *fx, const char *format,
	    const char *out, char *err, size_t errlen);
size_t	 wire_normalise(const unsigned char *in, size_t len,
	    unsigned char **out);
size_t	 wire_stuff(const unsigned char *in, size_t len, unsigned char **out);
size_t	 wire_top(const unsigned char *wire, size_t len, long lines);
size_t	 mboxrd_quote(const unsigned char *in, size_t len,
	    unsigned char **out);

/* match.c */
int	 glob_match(const char *pat, const char *s);
int	 regex_search(const char *re, const char *s, char *err, size_t errlen);
void	 escape_bytes(const void *p, size_t len, char *out, size_t outlen);

/* exec.c */
#define MAX_UIDS 64
#define MAX_CAPS 32		/* distinct ${cap:NAME} per case */
#define MAX_CAP_GROUPS 9	/* names per capture step: groups 1-9 */
#define MAX_CAP_NAME 31

/* How a connection is secured (struct run_ctx.tls). */
#define TLS_NONE	0	/* in the clear */
#define TLS_IMPLICIT	1	/* --tls: handshake at once (RFC 8314) */
#define TLS_STLS	2	/* --stls: greeting, STLS, +OK, handshake
				   (RFC 2595 §4); the greeting is replayed */

struct ssl_ctx_st;

struct run_ctx {
	const char	*host;
	const char	*port;
	const char	*user, *pass;
	const char	*user2, *pass2;
	/* The user who logs in by APOP (RFC 1460 §13: a server may let
	 * each user use PASS or APOP, not both); --user's by default. */
	const char	*apop_user, *apop_pass;
	const char	*port2;		/* "@switch second" (a POP3 listener) */
	int		 timeout_ms;
	int		 verbose;
	int		 fd;		/* -1: connect to host/port first */
	char		 timestamp[256];	/* from the last greeting */
	char		*uids[MAX_UIDS + 1];	/* captured by "S> uidl" */
	struct {
		char	 name[MAX_CAP_NAME + 1];
		char	*value;
	}		 caps[MAX_CAPS];	/* "S~{NAME}": ${cap:NAME} */
	int		 ncaps;
	const struct fixture *fx;
	long		 announced;	/* last "=nnn" / "#nnn" reply; -1: none */
	int		 tls;		/* TLS_* */
	const char	*cafile;	/* verify against it; NULL: the
					   system's trust store */
	int		 insecure;	/* no certificate verification */
	const char	*tls_name;	/* name to check; NULL: host */
	struct ssl_ctx_st *ssl_ctx;	/* made on first use */
	char		 challenge[4096];	/* SASL: the text of the last
					   "+ " line (RFC 5034 §4), for
					   ${cram-md5} */
};

enum result_kind { RESULT_OK, RESULT_FAIL, RESULT_SKIP };

struct result {
	enum result_kind kind;
	char		 msg[1024];
};

void	 run_case(const struct tcase *tc, struct run_ctx *ctx,
	    struct result *res);
void	 run_ctx_reset(struct run_ctx *ctx);
void	 run_ctx_free(struct run_ctx *ctx);
int	 expand_vars(const char *in, int mode, struct run_ctx *ctx,
	    char **out, size_t *outlen, char *err, size_t errlen);
int	 b64_decode(const char *in, unsigned char **out);
int	 apop_digest(const char *timestamp, const char *secret,
	    char hex[33]);
int	 net_connect(const char *host, const char *port, int timeout_ms,
	    char *err, size_t errlen);

/* Expansion modes: how a variable's value is escaped into the text. */
#define EXPAND_RAW	0	/* sent to the server as it is */
#define EXPAND_GLOB	1	/* '*' and '\' escaped */
#define EXPAND_REGEX	2	/* ERE metacharacters escaped */
#define EXPAND_ESCAPES	4	/* also decode \r \n \t \\ \xHH (C|) */

#endif
