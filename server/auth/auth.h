/*
 * auth.h - the one door to credentials, for every protocol.
 *
 * Users come from a Dovecot-compatible passwd-file:
 *     user:{SCHEME}secret[:uid:gid:gecos:home:shell:extra]
 * Schemes: PLAIN, CRYPT, SHA256-CRYPT, SHA512-CRYPT, BLF-CRYPT (the crypt
 * ones through libcrypt), and Dovecot's SCRAM-SHA-1, SCRAM-SHA-256
 * ("ITER,SALT_B64,STOREDKEY_B64,SERVERKEY_B64") and CRAM-MD5 (64 hex
 * digits), which also check a password sent in the clear.  A secret with no {SCHEME} prefix is CRYPT, as in
 * Dovecot.  Blank lines and lines starting with '#' are ignored.
 *
 * The check functions are blocking (crypt(3) is slow on purpose) and
 * thread-safe: the server core runs them on the libuv threadpool and adds
 * the failure delay itself.  Protocol modules do not call them directly;
 * they go through session_login() in server/session.h.
 */
#ifndef POLYPOP_AUTH_H
#define POLYPOP_AUTH_H

#include <stddef.h>

/*
 * The extra field's "apop=only" or "apop=no": which of PASS and APOP the
 * user logs in with.  RFC 1460 §13 and RFC 1725 §12: a server with both
 * "must not allow both methods of access for a given user" (RFC 1939
 * §13: "should not"), because a password sent in the clear gives away
 * the secret APOP keeps off the wire.
 */
enum auth_apop {
	AUTH_APOP_DEFAULT = 0,	/* no apop= field: the listener decides */
	AUTH_APOP_ONLY,		/* APOP (and challenge-response SASL) only */
	AUTH_APOP_NO,		/* never APOP */
};

struct auth_user {
	char *name;
	char *scheme;		/* upper case, e.g. "SHA512-CRYPT" */
	char *secret;		/* the part after {SCHEME}; wiped on free */
	char *home;		/* "" when absent */
	enum auth_apop apop;	/* from the extra field */
	/* uid, gid, gecos and shell are parsed for compatibility but not
	 * used: polypopd does not change user ids.  Of the extra field's
	 * space-separated key=value words only apop= is read. */
};

/*
 * Parse one passwd-file line (no line terminator).  Pure.  Returns 1 and
 * fills U (malloc'd strings) for a user line, 0 for a blank or comment
 * line, -1 for a malformed line with *WHY set to a static reason.
 */
int auth_passwd_parse_line(const char *line, size_t len, struct auth_user *u,
    const char **why);

struct auth_db;

/* Called for each malformed line; the line is skipped. */
typedef void auth_warn_cb(const char *file, unsigned lineno, const char *why,
    void *arg);

/* Load PATH.  Returns 0 and *OUT, or a negative errno if the file cannot be
 * read at all.  Malformed lines are reported through WARN and skipped; a
 * later line for the same user replaces nothing (the first one wins, and a
 * warning is given). */
int auth_db_load(const char *path, struct auth_db **out, auth_warn_cb *warn,
    void *arg);
void auth_db_free(struct auth_db *db);
size_t auth_db_count(const struct auth_db *db);
/* NULL when unknown.  The pointer lives as long as DB. */
const struct auth_user *auth_db_lookup(const struct auth_db *db,
    const char *name);

/* Deep copy (for handing to a worker thread) and free (wipes secret). */
struct auth_user *auth_user_dup(const struct auth_user *u);
void auth_user_free(struct auth_user *u);
/* Free only the strings of a struct filled by auth_passwd_parse_line(). */
void auth_user_clear(struct auth_user *u);

enum auth_result {
	AUTH_FAIL = 0,		/* wrong password or unknown user */
	AUTH_OK = 1,
	AUTH_ESCHEME = -1,	/* scheme unknown or unusable for this check */
	AUTH_EINTERNAL = -2,
};

/*
 * Check PASSWORD against U (NULL = unknown user: does comparable work and
 * returns AUTH_FAIL so that timing does not reveal which names exist).
 * Comparison is constant-time.  Blocking.
 */
int auth_check_password(const struct auth_user *u, const char *password);

/*
 * APOP (RFC 1939 §7): DIGEST must be the 32 lower-case hex digits of
 * MD5(TIMESTAMP || secret); only a {PLAIN} secret allows it, otherwise
 * AUTH_ESCHEME.  Upper-case hex in DIGEST is accepted.  Blocking (cheap).
 */
int auth_check_apop(const struct auth_user *u, const char *timestamp,
    const char *digest);

/*
 * SASLprep (RFC 4013) through gsasl_saslprep(): AUTH_PREP_QUERY lets
 * unassigned code points through (what a client sends: a name, a
 * password), AUTH_PREP_STORED refuses them (a stored secret), RFC 3454
 * §7.  AUTH_OK and *OUT (malloc'd; wipe a password before free()),
 * AUTH_FAIL when IN is not UTF-8 or holds a prohibited character
 * (RFC 4013 §2.3) or fails the bidi rule (§2.4), AUTH_EINTERNAL.  An
 * ASCII string of printable characters and spaces prepares to itself.
 * Thread-safe.
 */
enum auth_prep {
	AUTH_PREP_QUERY,
	AUTH_PREP_STORED,
};
int auth_saslprep(const char *in, enum auth_prep how, char **out);

/*
 * Flags for auth_check_password_ex() and auth_check_apop_ex().
 * AUTH_CHECK_SASLPREP (RFC 6856 §2.2, for a listener that announces
 * "UTF8 USER"): the password and a {PLAIN} secret are prepared as query
 * strings before they are compared; for APOP the {PLAIN} secret is
 * prepared as a stored string before it is hashed.  A password or secret that cannot be
 * prepared fails like a wrong one, after the same work.
 */
#define AUTH_CHECK_SASLPREP	0x1
int auth_check_password_ex(const struct auth_user *u, const char *password,
    unsigned flags);
int auth_check_apop_ex(const struct auth_user *u, const char *timestamp,
    const char *digest, unsigned flags);

/* Overwrite N octets at P in a way the compiler cannot drop. */
void auth_wipe(void *p, size_t n);

/* Produce a {SCHEME}secret string for PASSWORD (used by --demo to write its
 * users file).  SCHEME is "PLAIN", "SHA512-CRYPT", "SHA256-CRYPT",
 * "BLF-CRYPT", "SCRAM-SHA-256", "SCRAM-SHA-1" (4096 iterations, 16-octet
 * random salt) or "CRAM-MD5".  malloc'd; NULL on error. */
char *auth_hash_password(const char *scheme, const char *password);

#endif /* POLYPOP_AUTH_H */
