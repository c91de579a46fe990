/*
 * sasl.h - the server side of SASL (RFC 4422) over GNU SASL, for POP3
 * AUTH: PLAIN, LOGIN, CRAM-MD5, SCRAM-SHA-1 and SCRAM-SHA-256.
 *
 * No libuv here, so Check tests drive it with gsasl's client side.  One
 * exchange is used by one thread at a time; different exchanges run on
 * different threads at once (the Gsasl context is created once, by
 * sasl_init(), and its callback keeps no state outside the exchange).
 *
 * A step is split so that the user is looked up by the caller (the
 * server's user table may be replaced on SIGHUP, so only the loop thread
 * reads it):
 *
 *     sasl_input(x, text, initial)      decode the client's base64
 *     name = sasl_user_wanted(x)        non-NULL once: the authid sent
 *     sasl_set_user(x, copy or NULL)    NULL = unknown user
 *     sasl_step(x, &out)                blocking (crypt, PBKDF2)
 *
 * Which stored secret serves which mechanism (docs/auth.md):
 *     {PLAIN}                 every mechanism
 *     {SCRAM-SHA-256}         SCRAM-SHA-256, PLAIN, LOGIN
 *     {SCRAM-SHA-1}           SCRAM-SHA-1, PLAIN, LOGIN
 *     {CRAM-MD5}              CRAM-MD5, PLAIN, LOGIN
 *     crypt(3) schemes        PLAIN, LOGIN
 * Any other pair ends in SASL_ESCHEME, but only where a wrong password
 * would have failed, so the exchange looks the same until then.
 */
#ifndef POLYPOP_SASL_H
#define POLYPOP_SASL_H

#include <stddef.h>

struct auth_user;
struct sasl_exchange;

/* Strongest first: the order of the CAPA SASL line. */
enum sasl_mech {
	SASL_SCRAM_SHA_256,
	SASL_SCRAM_SHA_1,
	SASL_CRAM_MD5,
	SASL_PLAIN,
	SASL_LOGIN,
	SASL_NMECH
};

enum sasl_result {
	SASL_CONTINUE = 0,	/* send the challenge, await a response */
	SASL_OK = 1,		/* authenticated (maybe with final data) */
	SASL_FAIL = 2,		/* wrong secret, unknown user, bad syntax,
				 * authzid != authid */
	SASL_ESCHEME = 3,	/* the user's stored secret cannot serve
				 * this mechanism */
	SASL_BADB64 = 4,	/* the client's text is not base64 */
	SASL_EINTERNAL = 5,
};

/* Create the Gsasl context once; thread-safe, idempotent.  0 or -1. */
int sasl_init(void);

/* The mechanism named NAME (any case), or -1 if not one of ours. */
int sasl_mech_find(const char *name);
const char *sasl_mech_name(int mech);
/* Nonzero for PLAIN and LOGIN (the password travels as it is). */
int sasl_mech_cleartext(int mech);
/* Nonzero if a secret stored under SCHEME can serve MECH. */
int sasl_mech_allowed(int mech, const char *scheme);

/* A new server exchange; NULL on error (unknown MECH, no memory). */
struct sasl_exchange *sasl_new(int mech);
/* Wipes and frees everything, the user copy included.  NULL is fine. */
void sasl_free(struct sasl_exchange *x);
int sasl_mech(const struct sasl_exchange *x);

/*
 * The client's next message as sent: base64, or NULL for none (no
 * initial response).  INITIAL: TEXT is an RFC 5034 initial response,
 * where "=" is an empty one.  SASL_CONTINUE (0) or SASL_BADB64.
 */
int sasl_input(struct sasl_exchange *x, const char *text, int initial);
/* The name to look up before sasl_step(), or NULL (not named yet, or
 * already looked up).  It is the authentication identity in its
 * SASLprep form (RFC 4013), or "" when it cannot be prepared. */
const char *sasl_user_wanted(const struct sasl_exchange *x);
/* Takes U (a copy, see auth_user_dup; NULL = no such user). */
void sasl_set_user(struct sasl_exchange *x, struct auth_user *u);

/*
 * Run the server over the input.  *OUT is a malloc'd base64 string or
 * NULL: the challenge with SASL_CONTINUE (maybe ""), the additional data
 * with SASL_OK (SCRAM's server-final message), NULL otherwise.  After
 * anything but SASL_CONTINUE the exchange is over.
 */
int sasl_step(struct sasl_exchange *x, char **out);

/* After SASL_OK: the authenticated name (SASLprep'd, the user's own),
 * and the user (ownership passes to the caller). */
const char *sasl_authid(const struct sasl_exchange *x);
struct auth_user *sasl_take_user(struct sasl_exchange *x);

#endif /* POLYPOP_SASL_H */
