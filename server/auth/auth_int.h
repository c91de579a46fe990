/*
 * auth_int.h - internals shared by the files of server/auth/ only.
 * Nothing outside this folder includes it (STYLE.md §7: auth__ prefix).
 */
#ifndef POLYPOP_AUTH_INT_H
#define POLYPOP_AUTH_INT_H

#include <stddef.h>

/* How a scheme's secret is stored, so checks know what it can serve. */
enum auth__kind {
	AUTH__PLAIN,		/* the password itself */
	AUTH__CRYPT,		/* a crypt(3) hash */
	AUTH__SCRAM_SHA1,	/* Dovecot ITER,SALT,STOREDKEY,SERVERKEY */
	AUTH__SCRAM_SHA256,
	AUTH__CRAM_MD5,		/* Dovecot HMAC-MD5 outer+inner states */
};
/* The kind of SCHEME (any case), or -1 if unknown. */
int auth__scheme_kind(const char *scheme);
int auth__hexval(char c);

/* secret.c: a parsed {SCRAM-SHA-*} secret.  Keys are raw octets. */
struct auth__scram {
	unsigned	 iter;
	char		 salt_b64[96];
	unsigned char	 salt[64];
	size_t		 saltlen;
	unsigned char	 stored[32], server[32];
	size_t		 keylen;	/* 20 (SHA-1) or 32 (SHA-256) */
};
int auth__scram_parse(const char *secret, int sha256,
    struct auth__scram *out);
int auth__scram_keys(int sha256, const char *password,
    const unsigned char *salt, size_t saltlen, unsigned iter,
    unsigned char *stored, unsigned char *server);
/* AUTH_OK, AUTH_FAIL, AUTH_ESCHEME (malformed), AUTH_EINTERNAL. */
int auth__scram_check(const char *secret, int sha256, const char *password);
/* "{SCRAM-SHA-256}4096,..." with a random salt; malloc'd or NULL. */
char *auth__scram_make(int sha256, const char *password);
/* CRAM-MD5: STATES is 32 octets (outer state, then inner). */
int auth__cram_states(const char *password, unsigned char states[32]);
int auth__cram_parse(const char *secret, unsigned char states[32]);
/* HMAC-MD5(key, MSG) resumed from the stored STATES. */
void auth__cram_digest(const unsigned char states[32], const char *msg,
    size_t len, unsigned char out[16]);
int auth__cram_check(const char *secret, const char *password);
char *auth__cram_make(const char *password);

/* 1 if SCHEME (any case) is a crypt(3) scheme, 0 if PLAIN, -1 if unknown. */
int auth__scheme_is_crypt(const char *scheme);
/* 1 if SECRET (LEN octets) starts with a hash prefix SCHEME allows. */
int auth__scheme_prefix_ok(const char *scheme, const char *secret,
    size_t len);

#endif /* POLYPOP_AUTH_INT_H */
