/*
 * pop3_int.h - what the files of the POP3 module share: the session state,
 * the command table's row type and the dispatcher.  The core never
 * includes this file (it sees pop3.h only); the unit tests do.
 */
#ifndef POLYPOP_POP3_INT_H
#define POLYPOP_POP3_INT_H

#include <stddef.h>
#include <stdint.h>

#include "pop3_parse.h"
#include "pop3_profile.h"
#include "session.h"

struct session;
struct store;

/*
 * RFC 2449 §4: "The maximum length of a command is increased from 47
 * characters (4 character command, single space, 40 character argument,
 * CRLF) to 255 octets, including the terminating CRLF."  RFC 1939's 47
 * is too tight for real user names and passwords; 255 is what clients
 * that know CAPA expect, so it is the limit here too.
 */
#define POP3_MAX_LINE		255
/* Longest USER/APOP name that fits in such a line, plus NUL. */
#define POP3_NAME_SIZE		POP3_MAX_LINE
/* RFC 1939 §4: after a -ERR to an authentication command "the server may
 * close the connection".  Three tries is the usual client retry budget. */
#define POP3_MAX_FAILED_LOGINS	3
/* Dovecot's CLIENT_MAX_BAD_COMMANDS: a real client never gets near it. */
#define POP3_MAX_BAD_COMMANDS	20

/* RFC 1939 §3: the states a session passes through, named as the RFC
 * names them.  Only pop3_enter_state() writes pop3->state. */
enum pop3_state {
	POP3_AUTHORIZATION,
	POP3_TRANSACTION,
	POP3_UPDATE,
};
#define POP3_NSTATES		3
#define POP3_S(st)		(1u << (st))
#define POP3_S_AUTH		POP3_S(POP3_AUTHORIZATION)
#define POP3_S_TRANS		POP3_S(POP3_TRANSACTION)

/* RFC 5034 §4: where an AUTH exchange stands (pop3_auth.c). */
enum pop3_sasl {
	POP3_SASL_NONE,		/* no exchange: lines are commands */
	POP3_SASL_WAIT,		/* session_sasl_start/step() is running */
	POP3_SASL_RESPONSE,	/* a "+ " challenge was sent: the next line is
				 * the client's response, not a command */
};

/* RFC 6856 §3: the languages of reply texts (pop3_lang.c). */
enum pop3_lang {
	POP3_LANG_EN,		/* the default, and what `LANG *` picks */
	POP3_LANG_DE,
};
#define POP3_NLANGS		2

/* A multi-line listing in progress (resumable, see pop3_cmds.c). */
enum pop3_listing {
	POP3_LISTING_NONE,
	POP3_LISTING_LIST,
	POP3_LISTING_UIDL,
};

struct pop3 {
	struct session *s;
	enum pop3_state state;
	enum pop3_profile profile;	/* the listener's revision */
	unsigned flags;			/* its POP3_PF_* */
	struct store *st;		/* open in TRANSACTION and UPDATE */

	/* RFC 1939 §7: PASS "may only be given ... immediately after a
	 * successful USER command".  USER sets user_ok; the dispatcher moves
	 * it to after_user before each command and clears it. */
	char user[POP3_NAME_SIZE];
	int user_ok;
	int after_user;

	unsigned failed_logins;
	unsigned bad_commands;

	/* RFC 1081 LAST: the "highest number accessed" (1-based, 0 for
	 * none), and its value at login, which RSET restores (RFC 1081) or
	 * not (RFC 1460 §5 resets it to zero). */
	size_t highest;
	size_t highest_start;

	/* RFC 1082 XTND: the current maildrop is a discussion group's
	 * (read-only, st from session_bboard_open()) when bboard[0] is
	 * set; the default maildrop was committed and closed on the way.
	 * bb_next holds a group opened while the default maildrop's
	 * deletions are being committed; close() releases it too. */
	char bboard[SESSION_BBOARD_NAME_MAX + 1];
	struct store *bb_next;
	char bb_next_name[SESSION_BBOARD_NAME_MAX + 1];

	enum pop3_listing listing;
	size_t cursor;			/* next message index to list */
	size_t left;			/* messages kept, for QUIT's reply */

	/* RFC 6856: UTF8 was given (§2.1); the language of reply texts
	 * (§3), which only LANG changes. */
	int utf8;
	enum pop3_lang lang;

	enum pop3_sasl sasl;		/* RFC 5034 AUTH exchange */

	/* RFC 2449 §6.7 EXPIRE 0: the messages this session retrieved with
	 * RETR (one octet per message of st, NULL until the first RETR),
	 * deleted at QUIT as if DELE'd. */
	unsigned char *retrieved;
	size_t retr_pending;		/* 1-based RETR being sent, or 0 */
};

/* What a handler tells the dispatcher. */
enum pop3_result {
	POP3_DONE = 0,		/* replied, or an async request is running */
	POP3_BAD = -1,		/* replied -ERR to a client mistake: count it */
};

struct pop3_cmd;

/* What one command is in one revision. */
struct pop3_cite {
	const char *section;	/* NULL: the revision has no such command */
	unsigned char optional;	/* listed under "Optional POP3 Commands" */
};

/* When the positive reply is multi-line (RFC 1939 §3). */
enum pop3_multiline {
	POP3_ML_NEVER,
	POP3_ML_ALWAYS,		/* RETR, TOP, XTND */
	POP3_ML_NOARG,		/* LIST, UIDL without an argument */
};

/* Where a successful command takes the session: the edges of the state
 * diagram in docs/, and what `polypopd explain` expects. */
enum pop3_goto {
	POP3_STAY,
	POP3_GO_TRANSACTION,	/* PASS, APOP, RPOP */
	POP3_GO_UPDATE,		/* QUIT in TRANSACTION */
	POP3_GO_END,		/* QUIT in AUTHORIZATION */
};

/*
 * One row per command: the command summaries of RFC 1081 to 1939 made
 * executable.  in[] is the profile data: for each revision, whether it has
 * the command, the section that governs it there and whether it is
 * optional.  The same rows drive dispatch, --trace annotations,
 * `polypopd explain` and the generated docs.
 */
struct pop3_command {
	const char *name;		/* upper case keyword */
	unsigned states;		/* POP3_S_* bits where it is valid */
	unsigned char min_args;
	unsigned char max_args;
	enum pop3_parse_mode mode;
	int (*handler)(struct pop3 *p, const struct pop3_cmd *cmd);
	const char *usage;		/* "TOP msg n", for -ERR and docs */
	const char *ok;			/* the positive reply: "+OK nn mm" */
	enum pop3_multiline multiline;
	unsigned char go_auth;		/* enum pop3_goto from AUTHORIZATION */
	unsigned char go_trans;		/* ... and from TRANSACTION */
	const char *summary;		/* what it does, one line, for docs */
	struct pop3_cite in[POP3_NPROFILES];
};

extern const struct pop3_command pop3_commands[];
extern const size_t pop3_ncommands;

/* Case-insensitive lookup of the keyword KW (LEN octets) in any profile;
 * NULL if no revision has it. */
const struct pop3_command *pop3_command_find(const char *kw, size_t len);
/* The section that governs C in profile PR, or NULL if PR lacks C. */
const char *pop3_command_section(const struct pop3_command *c,
    enum pop3_profile pr);
/* Whether profile PR has the command NAME ("APOP"). */
int pop3_profile_has(enum pop3_profile pr, const char *name);
/* RFC 1725 §3 and RFC 1939 §3: "Each argument may be up to 40
 * characters long" (POP3_PF_ARG40).  Returns the 1-based number of the
 * first longer argument of CMD, or 0.  Pure. */
#define POP3_ARG40_MAX		40
size_t pop3_arg_too_long(const struct pop3_cmd *cmd);
/* Parse, check and run one command line. */
void pop3_dispatch(struct pop3 *p, const char *line, size_t len);
/* The section that governs the client line LINE in profile PR and state
 * ST, as text ("LAST: RFC 1081, The TRANSACTION State"), for --trace and
 * `polypopd explain`.  Pure. */
void pop3_cite_line(enum pop3_profile pr, enum pop3_state st,
    const char *line, size_t len, char *buf, size_t size);

/* pop3_describe.c: row I of the table for docs (proto_ops.describe). */
struct proto_command_doc;
int pop3_describe(const char *profile, size_t i,
    struct proto_command_doc *out);
struct proto_edge_doc;
int pop3_edge(const char *profile, size_t i, struct proto_edge_doc *out);

/* pop3_dispatch.c: -ERR, with RFC 2449 §8 / RFC 3206 code CODE (may be
 * NULL) only where the profile has response codes. */
void pop3_err(struct pop3 *p, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* pop3_dispatch.c: "+OK " and the text FMT in the session's language. */
void pop3_ok(struct pop3 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * pop3_lang.c: the message catalog (RFC 6856 §3).  Every human-readable
 * reply text goes through pop3_tr(), keyed by its English text, which
 * stays the format the compiler checks; a German text has the same
 * conversions in the same order (test_pop3_lang.c checks both that and
 * that every key the sources use has a translation).
 */
struct pop3_text {
	const char *en;
	const char *de;
};
extern const struct pop3_text pop3_texts[];
extern const size_t pop3_ntexts;
struct pop3_lang_info {
	const char *tag;		/* RFC 5646 language tag */
	const char *name;		/* in the language itself, UTF-8 */
};
extern const struct pop3_lang_info pop3_langs[POP3_NLANGS];
/* EN in the session's language; EN itself when there is no text. */
const char *pop3_tr(const struct pop3 *p, const char *en)
    __attribute__((format_arg(2)));
/* The same for language LANG. */
const char *pop3_text_in(enum pop3_lang lang, const char *en)
    __attribute__((format_arg(2)));
/* How often pop3_text_in() found no translation (for the tests). */
extern unsigned long pop3_tr_misses;
/* RFC 4647 §3.4 lookup of the basic language range RANGE (LEN octets):
 * the language, or -1 for none.  "*" is the server's preferred one. */
int pop3_lang_find(const char *range, size_t len);
/* RFC 3629: whether LEN octets at P are well-formed UTF-8. */
int pop3_utf8_valid(const char *p, size_t len);

/* pop3_capa.c */
int pop3_cmd_capa(struct pop3 *, const struct pop3_cmd *);
/* The version IMPLEMENTATION announces. */
const char *pop3_version(void);

/* pop3_auth.c: AUTH (RFC 5034), STLS (RFC 2595 §4). */
int pop3_cmd_auth(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_stls(struct pop3 *, const struct pop3_cmd *);
/* A line during an AUTH exchange (p->sasl == POP3_SASL_RESPONSE). */
void pop3_sasl_line(struct pop3 *p, const char *line, size_t len);
/* A line too long during an exchange: cancel it. */
void pop3_sasl_overflow(struct pop3 *p);

/* pop3_lang.c: UTF8 and LANG (RFC 6856 §2.1, §3). */
int pop3_cmd_utf8(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_lang(struct pop3 *, const struct pop3_cmd *);

/* pop3_expire.c: RFC 2449 §6.7 at QUIT, and RETR's record of it. */
void pop3_expire_note_retr(struct pop3 *p, size_t i);
void pop3_expire_apply(struct pop3 *p);
void pop3_expire_forget(struct pop3 *p);

/* pop3_cmds.c: after a successful login of any kind, open the maildrop
 * (RFC 1939 §4) and answer; and the answers to failed ones. */
void pop3_login_done(struct session *s, int result);

/* The handlers, one per row (pop3_cmds.c, pop3_trans.c, pop3_xtnd.c). */
int pop3_cmd_user(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_pass(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_apop(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_rpop(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_quit(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_stat(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_list(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_retr(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_dele(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_noop(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_rset(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_last(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_top(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_uidl(struct pop3 *, const struct pop3_cmd *);
int pop3_cmd_xtnd(struct pop3 *, const struct pop3_cmd *);

/* pop3_trans.c: shared by the handlers. */
void pop3_drop_totals(const struct pop3 *p, size_t *count, uint64_t *octets);
void pop3_store_error(struct pop3 *p, const char *op, const char *what,
    int err, const char *msg);
int pop3_msg_arg(struct pop3 *p, const struct proto_arg *a, size_t *idx);
/* At login: LAST's starting value from the store's seen marks. */
void pop3_access_start(struct pop3 *p);
/* RFC 1082: whether the current maildrop is a discussion group's. */
#define POP3_IN_BBOARD(p)	((p)->bboard[0] != '\0')

/* pop3_session.c */
const char *pop3_state_name(enum pop3_state st);
void pop3_enter_state(struct pop3 *p, enum pop3_state st);
/* Count a bad command; at the limit, say so and close. */
void pop3_bad_command(struct pop3 *p);

#endif /* POLYPOP_POP3_INT_H */
