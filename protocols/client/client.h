/*
 * client.h - polypop-client: fetch a whole mailbox over POP1 (RFC 918),
 * POP2 (RFC 937) or POP3 (RFC 1939).
 *
 * polypop_client.c owns the connection, the trace and the output files;
 * client_popN.c each hold one protocol's dialogue and nothing else.  Reply
 * lines go through server/linereader.c, the project's one bounded line
 * reader.  For POP1 and POP2 the socket is only ever read up to the end
 * of the current line (MSG_PEEK, then a read through the first LF), so
 * after a POP2 "=ccc" or a POP1 "#xxx" the counted message data is still
 * in the socket and is read raw, octet-exact, with no bytes stranded in
 * the line buffer.  POP3, all lines, reads in bulk.
 */
#ifndef POLYPOP_CLIENT_H
#define POLYPOP_CLIENT_H

#include <stddef.h>
#include <stdio.h>

#include "linereader.h"

/*
 * RFC 1939 §3 and RFC 937 Sizes: a reply line is at most 512 octets with
 * its CRLF.  We allow twice that (old servers' greetings ran long) and
 * refuse more: a status line is never bulk data.
 */
#define CLIENT_REPLY_MAX	1024
/*
 * POP3 message data arrives as lines.  RFC 5322 §2.1.1 caps a line at
 * 998 octets + CRLF, but real mail breaks that; 64 KiB keeps us bounded
 * while losing no mail a real server would store.  A longer line is a
 * hard error, never a silent truncation.
 */
#define CLIENT_LINE_MAX		65536
/* Refuse any message or mailbox size (and any total received) above
 * this: no 1985 or 2025 mailbox is bigger, a hostile count may be. */
#define CLIENT_MAX_OCTETS	(1024UL * 1024 * 1024)
/* Refuse a message count above this (POP2 #nnn, POP3 STAT/LIST). */
#define CLIENT_MAX_MSGS		10000000UL

/* Exit codes, as sysexits(3) names them. */
#define CLIENT_EX_OK		0
#define CLIENT_EX_USAGE		64	/* EX_USAGE */
#define CLIENT_EX_UNAVAIL	69	/* EX_UNAVAILABLE: cannot connect */
#define CLIENT_EX_CANTCREAT	73	/* EX_CANTCREAT: output file */
#define CLIENT_EX_TEMPFAIL	75	/* EX_TEMPFAIL: timeout */
#define CLIENT_EX_PROTOCOL	76	/* EX_PROTOCOL: bad or -ERR reply */
#define CLIENT_EX_NOPERM	77	/* EX_NOPERM: login refused */

struct client_opts {
	const char *proto;	/* "pop1", "pop2", "pop3" */
	const char *host;	/* brackets removed */
	const char *port;
	const char *user;
	const char *password;
	const char *outdir;	/* NULL: stdout */
	const char *folder;	/* POP2 FOLD / POP1 mailbox name, or NULL */
	int delete;
	int apop;
	int pop1_rcev_ok;	/* a "+OK" line precedes RCEV's data */
	int quiet;
	int timeout;		/* seconds, per step */
};

struct client {
	const struct client_opts *opt;
	int fd;
	struct linereader lr;
	char lrbuf[CLIENT_LINE_MAX];
	int bulk;		/* no counted reads will follow: POP3 */
	int exit_code;		/* first failure's code, 0 while fine */
	char err[512];		/* first failure's message */
	const char *waiting;	/* what we wait for, for error messages */
	FILE *out;		/* current message's output, or NULL */
	char outpath[4096];
	unsigned long nmsgs;	/* messages written */
	unsigned long long noctets;	/* octets written in total */
};

/* Record the first failure (later ones only add to the trace) and
 * return -1, so handlers can `return client_fail(...)'. */
int client_fail(struct client *c, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A "C: ..." or "S: ..." trace line; the text is escaped. */
void client_trace(struct client *c, char dir, const char *s, size_t len);
/* "S: <N octets>": message data is summarised, never shown. */
void client_trace_octets(struct client *c, unsigned long long n);
/* A "# ..." comment line in the trace. */
void client_note(struct client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Send one command line; CRLF is added.  SHOWN (or LINE when NULL) goes
 * to the trace, so secrets are masked there. */
int client_send(struct client *c, const char *line, const char *shown);
/* Read one status reply line into *LINE and *LEN (valid until the next read),
 * traced as "S: ...".  WHAT names the command for error messages. */
int client_reply(struct client *c, const char *what, const char **line,
    size_t *len);
/* Read one line of multi-line data (not traced). */
int client_data_line(struct client *c, const char **line, size_t *len);
/* Read exactly N octets of message data into the current output. */
int client_data_raw(struct client *c, unsigned long long n);
/* Peek at the first octets the server sends next, without consuming
 * them: up to CAP octets, stopping at the first LF.  Returns how many
 * (>= 1), or -1 on close, timeout or error. */
long client_peek(struct client *c, char *buf, size_t cap);

/* Output: DIR/NAME, or stdout without --out. */
int client_out_open(struct client *c, const char *name);
int client_out_write(struct client *c, const void *p, size_t n);
/* Flush (and fsync with --delete: the copy must be safe before the
 * server is told to delete).  Counts the message. */
int client_out_close(struct client *c);
/* Drop a partly written output (error path). */
void client_out_abort(struct client *c);

/* Parse a decimal count after the reply's first character(s), as in
 * "#13 messages" or "=537 characters": digits, then end or a space.
 * Returns 0, or -1 when malformed or above MAX. */
int client_parse_count(const char *p, size_t len, unsigned long long max,
    unsigned long long *out);

/* The protocol dialogues.  Each returns 0 or -1 (with client_fail). */
int client_pop1_run(struct client *c);
int client_pop2_run(struct client *c);
int client_pop3_run(struct client *c);

#endif /* POLYPOP_CLIENT_H */
