/*
 * testenv.h - the real world the protocol modules' tests run in: a
 * mkdtemp() directory holding a users file (loaded with auth_db_load())
 * and the users' mail, Maildir or mbox, filled by store_deliver().
 */
#ifndef POLYPOP_TESTENV_H
#define POLYPOP_TESTENV_H

#include <limits.h>
#include <stddef.h>

#include "store.h"

struct auth_db;

/*
 * The users file.  mrose's secret is RFC 1939 §7's "tanstaaf" in {PLAIN},
 * so the RFC's APOP example digest is right for the stand-in core's
 * (testcore.c) greeting timestamp; "hashed" has a crypt secret, which rules out APOP.
 */
#define TESTENV_USER		"mrose"
#define TESTENV_PASS		"tanstaaf"
#define TESTENV_APOP_DIGEST	"c4c9334bac560ecc979e58001b3e22fb"
#define TESTENV_HASHED_USER	"hashed"
#define TESTENV_HASHED_PASS	"no-apop-for-me"

/*
 * The test messages, CRLF already, with wire sizes of exactly 100, 200 and
 * 300 octets (asserted against store_size() when delivered).  Message 1
 * has a line that begins with '.', message 2 a line that is only '.', so
 * RETR and TOP show RFC 1939 §3 byte-stuffing.
 */
#define TESTENV_MSG1_HEAD \
	"From: Marshall Rose <mrose@dbc.mtview.ca.us>\r\n" \
	"Subject: one\r\n" \
	"\r\n"
#define TESTENV_MSG1_BODY	".A line that begins with a dot.\r\n" \
	"Bye\r\n"
#define TESTENV_MSG1_STUFFED	"..A line that begins with a dot.\r\n" \
	"Bye\r\n"
#define TESTENV_MSG2_HEAD \
	"From: Postmaster <postmaster@dbc.mtview.ca.us>\r\n" \
	"Subject: two\r\n" \
	"Comments: exactly two hundred octets on the wire\r\n" \
	"\r\n"
#define TESTENV_MSG2_LINES12	"Body line 1.\r\n" \
	"Body line 2.\r\n"
#define TESTENV_MSG2_LINES45	"Body line 4.\r\n" \
	"Body line 5 is the last of the message.\r\n"
#define TESTENV_MSG2_BODY	TESTENV_MSG2_LINES12 ".\r\n" \
	TESTENV_MSG2_LINES45
#define TESTENV_MSG2_STUFFED	TESTENV_MSG2_LINES12 "..\r\n" \
	TESTENV_MSG2_LINES45
#define TESTENV_MSG3	"Subject: three\r\n" \
	"\r\n" \
	"01234567890123456789012345678901234567890123456789\r\n" \
	"01234567890123456789012345678901234567890123456789\r\n" \
	"01234567890123456789012345678901234567890123456789\r\n" \
	"01234567890123456789012345678901234567890123456789\r\n" \
	"01234567890123456789012345678901234567890123456789\r\n" \
	"xxxxxxxxxxxxxxxxxxxx\r\n"
#define TESTENV_NMSGS		3
/* Wire size of test message I (0-based). */
#define TESTENV_MSG_SIZE(i)	(100 * ((i) + 1))

struct testenv {
	char dir[64];
	enum store_kind kind;
	struct store_location loc;
	struct auth_db *db;
};

/* A fresh directory with the users file and an empty mail location of
 * KIND.  Aborts the test on failure. */
void testenv_init(struct testenv *e, enum store_kind kind);
/* Remove everything (rm -rf of e->dir). */
void testenv_fini(struct testenv *e);
/* store_deliver() LEN octets of MSG to USER's INBOX. */
void testenv_deliver(struct testenv *e, const char *user, const char *msg,
    size_t len);
/* Deliver the first N test messages to USER and check, through a real
 * store_open(), that the INBOX holds them in order with their sizes. */
void testenv_deliver_std(struct testenv *e, const char *user, size_t n);
/* store_open() USER's INBOX; returns the STORE_E* code. */
int testenv_open(struct testenv *e, const char *user, struct store **out);
/* The path store_open() uses for USER's INBOX (a directory for Maildir,
 * a file for mbox). */
void testenv_inbox_path(const struct testenv *e, const char *user,
    char *buf, size_t len);

#endif /* POLYPOP_TESTENV_H */
