/*
 * pop3.h - the POP3 module as the core sees it: one struct proto_ops.
 * Everything else about POP3 stays inside protocols/pop3/.
 */
#ifndef POLYPOP_POP3_H
#define POLYPOP_POP3_H

#include "proto.h"

/* RFC 1939, on TCP port 110. */
extern const struct proto_ops pop3_ops;

/*
 * `polypopd explain` (pop3_explain.c, docs/explain.md): annotate a
 * transcript captured elsewhere as --trace would, against one profile,
 * and flag what that revision's server would not have sent or accepted.
 * Pure: the caller feeds lines one at a time and prints the rows; no I/O,
 * and nothing allocated beyond the one fixed-size state.
 */
#define POP3_EXPLAIN_NOTE	256	/* the annotation after " | " */
#define POP3_EXPLAIN_FLAGS	6	/* flags kept per row */
#define POP3_EXPLAIN_FLAG	320	/* one flag's text */

struct pop3_explain_row {
	/* 'C' or 'S'; 0 for the end of the transcript (flags only). */
	char dir;
	/* The line as fed, LEN octets: the caller's buffer, or for a client
	 * line held until its reply the state's copy (at most 1024 octets),
	 * valid until the next call. */
	const char *text;
	size_t len;
	int command;		/* a client line that counts as a command */
	/* "AUTHORIZATION -> TRANSACTION | PASS: RFC 1081, ..." for a client
	 * line, "TRANSACTION | PASS: ..." for the first line of a reply,
	 * "TRANSACTION" for the lines after it. */
	char note[POP3_EXPLAIN_NOTE];
	size_t nflags;		/* how many flags were raised (may exceed
				 * POP3_EXPLAIN_FLAGS; the rest are lost) */
	char flag[POP3_EXPLAIN_FLAGS][POP3_EXPLAIN_FLAG];
};

/* What one call produced, in transcript order: a client line is held
 * until its reply shows the state after it, so a server line may
 * release two rows and a client line none. */
struct pop3_explain_out {
	size_t nrows;
	struct pop3_explain_row row[2];
};

struct pop3_explain;

/* A fresh transcript for PROFILE ("rfc1081", "" or NULL: current);
 * STRICT also flags what the profile merely discourages.  NULL for an
 * unknown profile or no memory. */
struct pop3_explain *pop3_explain_new(const char *profile, int strict);
/* One line: DIR 'C' (client) or 'S' (server), without its CRLF; or '#'
 * for a --trace note that a message body was sent but not traced (the
 * reply in progress ends there). */
void pop3_explain_line(struct pop3_explain *x, char dir, const char *line,
    size_t len, struct pop3_explain_out *out);
/* The transcript ended: the held client line, and a row with dir 0 for
 * flags about the end (a multi-line reply without its "."). */
void pop3_explain_end(struct pop3_explain *x, struct pop3_explain_out *out);
void pop3_explain_free(struct pop3_explain *x);

#endif /* POLYPOP_POP3_H */
