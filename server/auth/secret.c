/*
 * secret.c - the stored forms of Dovecot's {SCRAM-SHA-1},
 * {SCRAM-SHA-256} and {CRAM-MD5} secrets: parsing, making and checking a
 * password against them.
 *
 *     {SCRAM-SHA-256}ITER,SALT_B64,STOREDKEY_B64,SERVERKEY_B64
 *     {CRAM-MD5}64 hex digits: HMAC-MD5 outer then inner MD5 state
 *
 * All crypto is OpenSSL's; base64 is GNU SASL's helpers.  Nothing here
 * keeps state, so every function is thread-safe.
 *
 * CRAM-MD5 needs the MD5 chaining values of HMAC-MD5's two keyed blocks,
 * which only OpenSSL's low-level MD5_CTX exposes (deprecated in 3.0 but
 * still shipped): EVP has no way to start a digest from a saved state.
 * docs/auth.md says why this is worth it.
 */
#define OPENSSL_SUPPRESS_DEPRECATED	/* MD5_CTX, see above */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/rand.h>

#include "auth.h"
#include "auth_int.h"

/* RFC 5802 §5.1 calls 4096 the minimum for SHA-1; Dovecot's default. */
#define SCRAM_ITER_DEFAULT	4096
/* Refuse absurd counts from a file: each check does ITER HMACs. */
#define SCRAM_ITER_MAX		1000000
#define SCRAM_SALT_LEN		16
#define SCRAM_SALT_MAX		64
#define HMAC_BLOCK		64	/* MD5, SHA-1 and SHA-256 */

static const EVP_MD *
scram_md(int sha256)
{
	return sha256 ? EVP_sha256() : EVP_sha1();
}

/* Decode base64 IN (LEN octets) into exactly WANT octets at OUT, or into
 * at most WANT octets when EXACT is 0; returns the length or -1. */
static int
secret_b64(const char *in, size_t len, unsigned char *out, size_t want,
    int exact)
{
	char	*dec = NULL;
	size_t	 n = 0;
	int	 rc = -1;

	if (len == 0 || gsasl_base64_from(in, len, &dec, &n) != GSASL_OK)
		return -1;
	if (n > 0 && (exact ? n == want : n <= want)) {
		memcpy(out, dec, n);
		rc = (int)n;
	}
	auth_wipe(dec, n);
	gsasl_free(dec);
	return rc;
}

int
auth__scram_parse(const char *secret, int sha256, struct auth__scram *out)
{
	const char	*f[4], *p;
	size_t		 flen[4], i;
	size_t		 klen = sha256 ? 32 : 20;
	char		*end;
	unsigned long	 iter;
	int		 n;

	memset(out, 0, sizeof(*out));
	f[0] = secret;
	for (i = 0, p = secret; i < 3; i++) {
		if ((p = strchr(p, ',')) == NULL)
			return -1;
		flen[i] = (size_t)(p - f[i]);
		f[i + 1] = ++p;
	}
	if (strchr(p, ',') != NULL)
		return -1;
	flen[3] = strlen(f[3]);
	if (flen[0] == 0 || flen[0] > 7 || f[0][0] < '1' || f[0][0] > '9')
		return -1;
	iter = strtoul(f[0], &end, 10);
	if (end != f[0] + flen[0] || iter < 1 || iter > SCRAM_ITER_MAX)
		return -1;
	out->iter = (unsigned)iter;
	out->keylen = klen;
	if (flen[1] >= sizeof(out->salt_b64))
		return -1;
	memcpy(out->salt_b64, f[1], flen[1]);
	out->salt_b64[flen[1]] = '\0';
	if ((n = secret_b64(f[1], flen[1], out->salt, SCRAM_SALT_MAX, 0)) < 0)
		return -1;
	out->saltlen = (size_t)n;
	if (secret_b64(f[2], flen[2], out->stored, klen, 1) < 0 ||
	    secret_b64(f[3], flen[3], out->server, klen, 1) < 0) {
		auth_wipe(out, sizeof(*out));
		return -1;
	}
	return 0;
}

/* RFC 5802 §3: SaltedPassword, then StoredKey = H(HMAC(SP, "Client
 * Key")) and ServerKey = HMAC(SP, "Server Key"). */
int
auth__scram_keys(int sha256, const char *password, const unsigned char *salt,
    size_t saltlen, unsigned iter, unsigned char *stored,
    unsigned char *server)
{
	const EVP_MD	*md = scram_md(sha256);
	unsigned char	 sp[EVP_MAX_MD_SIZE], ck[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	int		 klen = EVP_MD_get_size(md), ok;

	ok = PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt,
	    (int)saltlen, (int)iter, md, klen, sp) == 1 &&
	    HMAC(md, sp, klen, (const unsigned char *)"Client Key", 10, ck,
	    &len) != NULL &&
	    EVP_Digest(ck, (size_t)klen, stored, &len, md, NULL) == 1 &&
	    HMAC(md, sp, klen, (const unsigned char *)"Server Key", 10,
	    server, &len) != NULL;
	auth_wipe(sp, sizeof(sp));
	auth_wipe(ck, sizeof(ck));
	return ok ? 0 : -1;
}

int
auth__scram_check(const char *secret, int sha256, const char *password)
{
	struct auth__scram	 sc;
	unsigned char		 stored[EVP_MAX_MD_SIZE];
	unsigned char		 server[EVP_MAX_MD_SIZE];
	int			 rc;

	if (auth__scram_parse(secret, sha256, &sc) != 0)
		return AUTH_ESCHEME;
	if (auth__scram_keys(sha256, password, sc.salt, sc.saltlen, sc.iter,
	    stored, server) != 0)
		rc = AUTH_EINTERNAL;
	else
		rc = CRYPTO_memcmp(stored, sc.stored, sc.keylen) == 0 ?
		    AUTH_OK : AUTH_FAIL;
	auth_wipe(&sc, sizeof(sc));
	auth_wipe(stored, sizeof(stored));
	auth_wipe(server, sizeof(server));
	return rc;
}

char *
auth__scram_make(int sha256, const char *password)
{
	unsigned char	 salt[SCRAM_SALT_LEN];
	unsigned char	 stored[EVP_MAX_MD_SIZE], server[EVP_MAX_MD_SIZE];
	char		*b_salt = NULL, *b_st = NULL, *b_sv = NULL, *res = NULL;
	size_t		 klen = sha256 ? 32 : 20, n, blen = 0;

	if (RAND_bytes(salt, sizeof(salt)) != 1 ||
	    auth__scram_keys(sha256, password, salt, sizeof(salt),
	    SCRAM_ITER_DEFAULT, stored, server) != 0)
		goto out;
	if (gsasl_base64_to((char *)salt, sizeof(salt), &b_salt, &blen) !=
	    GSASL_OK ||
	    gsasl_base64_to((char *)stored, klen, &b_st, &blen) != GSASL_OK ||
	    gsasl_base64_to((char *)server, klen, &b_sv, &blen) != GSASL_OK)
		goto out;
	n = strlen(b_salt) + strlen(b_st) + strlen(b_sv) + 40;
	if ((res = malloc(n)) != NULL)
		snprintf(res, n, "{%s}%d,%s,%s,%s", sha256 ? "SCRAM-SHA-256" :
		    "SCRAM-SHA-1", SCRAM_ITER_DEFAULT, b_salt, b_st, b_sv);
out:
	auth_wipe(stored, sizeof(stored));
	auth_wipe(server, sizeof(server));
	gsasl_free(b_salt);
	if (b_st != NULL)
		auth_wipe(b_st, strlen(b_st));
	if (b_sv != NULL)
		auth_wipe(b_sv, strlen(b_sv));
	gsasl_free(b_st);
	gsasl_free(b_sv);
	return res;
}

/* --- CRAM-MD5 (RFC 2195) ------------------------------------------------ */

/* The chaining values A..D of CTX, little-endian, as Dovecot stores them. */
static void
cram_put(const MD5_CTX *ctx, unsigned char *p)
{
	const MD5_LONG	 v[4] = { ctx->A, ctx->B, ctx->C, ctx->D };
	size_t		 i;

	for (i = 0; i < 4; i++) {
		p[4 * i] = v[i] & 0xff;
		p[4 * i + 1] = v[i] >> 8 & 0xff;
		p[4 * i + 2] = v[i] >> 16 & 0xff;
		p[4 * i + 3] = v[i] >> 24 & 0xff;
	}
}

/* Resume CTX after one 64-octet block whose chaining values are at P. */
static void
cram_get(MD5_CTX *ctx, const unsigned char *p)
{
	MD5_LONG	*v[4] = { &ctx->A, &ctx->B, &ctx->C, &ctx->D };
	size_t		 i;

	MD5_Init(ctx);
	for (i = 0; i < 4; i++)
		*v[i] = (MD5_LONG)p[4 * i] | (MD5_LONG)p[4 * i + 1] << 8 |
		    (MD5_LONG)p[4 * i + 2] << 16 | (MD5_LONG)p[4 * i + 3] << 24;
	ctx->Nl = HMAC_BLOCK * 8;	/* bits hashed so far */
	ctx->Nh = 0;
	ctx->num = 0;
}

int
auth__cram_states(const char *password, unsigned char states[32])
{
	unsigned char	 key[HMAC_BLOCK], pad[HMAC_BLOCK];
	size_t		 len = strlen(password), i;
	MD5_CTX		 in, outer;

	memset(key, 0, sizeof(key));
	if (len > HMAC_BLOCK)
		MD5((const unsigned char *)password, len, key);
	else
		memcpy(key, password, len);
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = key[i] ^ 0x36;
	MD5_Init(&in);
	MD5_Update(&in, pad, sizeof(pad));
	for (i = 0; i < HMAC_BLOCK; i++)
		pad[i] = key[i] ^ 0x5c;
	MD5_Init(&outer);
	MD5_Update(&outer, pad, sizeof(pad));
	cram_put(&outer, states);
	cram_put(&in, states + 16);
	auth_wipe(key, sizeof(key));
	auth_wipe(pad, sizeof(pad));
	auth_wipe(&in, sizeof(in));
	auth_wipe(&outer, sizeof(outer));
	return 0;
}

int
auth__cram_parse(const char *secret, unsigned char states[32])
{
	size_t	 i;
	int	 hi, lo;

	if (strlen(secret) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		hi = auth__hexval(secret[2 * i]);
		lo = auth__hexval(secret[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		states[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void
auth__cram_digest(const unsigned char states[32], const char *msg,
    size_t len, unsigned char out[16])
{
	unsigned char	 inner[MD5_DIGEST_LENGTH];
	MD5_CTX		 ctx;

	cram_get(&ctx, states + 16);
	MD5_Update(&ctx, msg, len);
	MD5_Final(inner, &ctx);
	cram_get(&ctx, states);
	MD5_Update(&ctx, inner, sizeof(inner));
	MD5_Final(out, &ctx);
	auth_wipe(inner, sizeof(inner));
	auth_wipe(&ctx, sizeof(ctx));
}

int
auth__cram_check(const char *secret, const char *password)
{
	unsigned char	 want[32], got[32];
	int		 rc;

	if (auth__cram_parse(secret, want) != 0)
		return AUTH_ESCHEME;
	auth__cram_states(password, got);
	rc = CRYPTO_memcmp(want, got, sizeof(want)) == 0 ? AUTH_OK : AUTH_FAIL;
	auth_wipe(want, sizeof(want));
	auth_wipe(got, sizeof(got));
	return rc;
}

char *
auth__cram_make(const char *password)
{
	unsigned char	 st[32];
	char		*res;
	size_t		 i;

	if ((res = malloc(sizeof("{CRAM-MD5}") + 64)) == NULL)
		return NULL;
	auth__cram_states(password, st);
	strcpy(res, "{CRAM-MD5}");
	for (i = 0; i < 32; i++)
		snprintf(res + 10 + 2 * i, 3, "%02x", st[i]);
	auth_wipe(st, sizeof(st));
	return res;
}
