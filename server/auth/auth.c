/*
 * auth.c - checking a password or an APOP digest against a user.
 *
 * Everything here is blocking and thread-safe: no static mutable state,
 * crypt(3) through crypt_rn() with a struct crypt_data per call.  The core
 * runs these on the libuv threadpool and adds the failure delay itself
 * (docs/auth.md), so nothing here sleeps.
 *
 * Timing policy: secrets are compared in constant time, and an unknown
 * user costs the same crypt(3) work as a known one, so neither the reply
 * time nor the reply text tells which names exist.
 */
#include <crypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "auth.h"
#include "auth_int.h"

/* crypt("polypop-no-such-user", "$6$pOlYpOpDuMmYsAlT"): a SHA512-CRYPT hash
 * at the default 5000 rounds that no password is expected to match; it
 * is hashed against when the user does not exist. */
static const char auth_dummy_hash[] =
    "$6$pOlYpOpDuMmYsAlT$jn8LQWor/hxgPJTL4gZLF0/wO3srjIIGDRtgLxOON8UD9bT8m6"
    "/HQhmaLkZqiJ2vePjStYC1b484LzLPnqru/1";

/* RFC 1939 §7: the APOP digest is 16 octets, sent as 32 hex digits. */
#define AUTH_MD5_LEN		16
#define AUTH_APOP_HEXLEN	(2 * AUTH_MD5_LEN)

void
auth_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
}

/*
 * Compare A and B without leaking where they differ or how long either
 * is: hash both to SHA-256 and compare the fixed-size digests with
 * CRYPTO_memcmp.  1 equal, 0 different, -1 on a libcrypto failure.
 */
static int
auth_equal(const char *a, size_t alen, const char *b, size_t blen)
{
	unsigned char	 da[EVP_MAX_MD_SIZE], db[EVP_MAX_MD_SIZE];
	unsigned int	 la = 0, lb = 0;
	int		 rc = -1;

	if (EVP_Digest(a, alen, da, &la, EVP_sha256(), NULL) == 1 &&
	    EVP_Digest(b, blen, db, &lb, EVP_sha256(), NULL) == 1 &&
	    la == lb)
		rc = CRYPTO_memcmp(da, db, la) == 0;
	auth_wipe(da, sizeof(da));
	auth_wipe(db, sizeof(db));
	return rc;
}

/* crypt(3) PASSWORD with SETTING and compare with SETTING.  1 match, 0
 * no match, -1 internal error, -2 crypt refused the setting (a locked
 * "!" or "*" hash, an unsupported method, an overlong password). */
static int
auth_crypt_equal(const char *password, const char *setting)
{
	struct crypt_data	*cd;
	const char		*out;
	int			 rc = -2;

	/* About 32 KiB: on the heap, threadpool stacks may be small. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return -1;
	out = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	if (out != NULL)
		rc = auth_equal(out, strlen(out), setting, strlen(setting));
	auth_wipe(cd, sizeof(*cd));
	free(cd);
	return rc;
}

static void
auth_free_secret(char *p)
{
	if (p != NULL) {
		auth_wipe(p, strlen(p));
		free(p);
	}
}

/*
 * RFC 6856 §2.2 / RFC 4013: U's {PLAIN} secret prepared as HOW, in a
 * copy of U at COPY.  *OUT is U, COPY, or NULL when the
 * secret cannot be prepared; *SECRET is what to free.  AUTH_OK or
 * AUTH_EINTERNAL.
 */
static int
auth_prep_user(const struct auth_user *u, enum auth_prep how,
    struct auth_user *copy, const struct auth_user **out, char **secret)
{
	int	 rc;

	*out = u;
	*secret = NULL;
	if (u == NULL || u->scheme == NULL || u->secret == NULL ||
	    auth__scheme_kind(u->scheme) != AUTH__PLAIN)
		return AUTH_OK;
	rc = auth_saslprep(u->secret, how, secret);
	if (rc == AUTH_EINTERNAL)
		return rc;
	if (rc != AUTH_OK) {
		*out = NULL;		/* no password can match it */
		return AUTH_OK;
	}
	*copy = *u;
	copy->secret = *secret;
	*out = copy;
	return AUTH_OK;
}

int
auth_check_password(const struct auth_user *u, const char *password)
{
	return auth_check_password_ex(u, password, 0);
}

int
auth_check_password_ex(const struct auth_user *u, const char *password,
    unsigned flags)
{
	const struct auth_user	*pu;
	struct auth_user	 copy;
	char			*pw = NULL, *secret = NULL;
	int			 crypted, kind, rc;

	if (flags & AUTH_CHECK_SASLPREP) {
		rc = auth_saslprep(password != NULL ? password : "",
		    AUTH_PREP_QUERY, &pw);
		if (rc == AUTH_EINTERNAL)
			return rc;
		if (rc != AUTH_OK) {
			/* RFC 6856 §2.2: "MUST reject" a prohibited
			 * character; the same work as an unknown user. */
			(void)auth_check_password_ex(NULL, password, 0);
			return AUTH_FAIL;
		}
		/* The {PLAIN} secret as a query string too: both sides
		 * are prepared alike, and a password with code points
		 * newer than Unicode 3.2 (an emoji) still matches. */
		if (auth_prep_user(u, AUTH_PREP_QUERY, &copy, &pu,
		    &secret) != AUTH_OK) {
			auth_free_secret(pw);
			return AUTH_EINTERNAL;
		}
		rc = auth_check_password_ex(pu, pw, 0);
		auth_free_secret(pw);
		auth_free_secret(secret);
		return rc;
	}

	if (password == NULL)
		password = "";
	if (u == NULL || u->scheme == NULL || u->secret == NULL) {
		/* Same work as a real SHA512-CRYPT user, result ignored. */
		(void)auth_crypt_equal(password, auth_dummy_hash);
		return AUTH_FAIL;
	}
	if ((kind = auth__scheme_kind(u->scheme)) < 0)
		return AUTH_ESCHEME;
	if (kind == AUTH__SCRAM_SHA1 || kind == AUTH__SCRAM_SHA256 ||
	    kind == AUTH__CRAM_MD5) {
		/* A stored SCRAM or CRAM-MD5 key checks a password sent in
		 * the clear (USER/PASS, AUTH PLAIN) as Dovecot does.  SCRAM
		 * costs ITER HMACs; CRAM-MD5 is cheap, so it pays the dummy
		 * crypt like PLAIN below. */
		if (kind == AUTH__CRAM_MD5) {
			(void)auth_crypt_equal(password, auth_dummy_hash);
			return auth__cram_check(u->secret, password);
		}
		return auth__scram_check(u->secret, kind == AUTH__SCRAM_SHA256,
		    password);
	}
	crypted = kind == AUTH__CRYPT;
	if (!crypted) {
		/* Without this a PLAIN user would answer in microseconds
		 * and an unknown one after a crypt(3): a timing oracle for
		 * which names exist. */
		(void)auth_crypt_equal(password, auth_dummy_hash);
		rc = auth_equal(password, strlen(password), u->secret,
		    strlen(u->secret));
		return rc < 0 ? AUTH_EINTERNAL : rc ? AUTH_OK : AUTH_FAIL;
	}
	/* A $1$ hash under {SHA512-CRYPT} is a misconfiguration: refuse it
	 * rather than silently accept a weaker method. */
	if (!auth__scheme_prefix_ok(u->scheme, u->secret, strlen(u->secret)))
		return AUTH_ESCHEME;
	rc = auth_crypt_equal(password, u->secret);
	if (rc == -2) {
		/* Refused at once: spend the time an unknown user costs. */
		(void)auth_crypt_equal(password, auth_dummy_hash);
		return AUTH_FAIL;
	}
	return rc < 0 ? AUTH_EINTERNAL : rc ? AUTH_OK : AUTH_FAIL;
}

int
auth__hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int auth_apop_check(const struct auth_user *u, const char *timestamp,
    const char *digest);

int
auth_check_apop(const struct auth_user *u, const char *timestamp,
    const char *digest)
{
	return auth_check_apop_ex(u, timestamp, digest, 0);
}

int
auth_check_apop_ex(const struct auth_user *u, const char *timestamp,
    const char *digest, unsigned flags)
{
	const struct auth_user	*pu;
	struct auth_user	 copy;
	char			*secret;
	int			 rc;

	if (flags & AUTH_CHECK_SASLPREP) {
		/* RFC 6856 §2.2: the APOP password is prepared as a stored
		 * string.  Other schemes fall through to AUTH_ESCHEME. */
		if (auth_prep_user(u, AUTH_PREP_STORED, &copy, &pu,
		    &secret) != AUTH_OK)
			return AUTH_EINTERNAL;
		if (pu == NULL && u != NULL) {
			/* A secret SASLprep refuses: no digest matches. */
			(void)auth_check_apop_ex(NULL, timestamp, digest, 0);
			return AUTH_FAIL;
		}
		rc = auth_check_apop_ex(pu, timestamp, digest, 0);
		auth_free_secret(secret);
		return rc;
	}
	return auth_apop_check(u, timestamp, digest);
}

static int
auth_apop_check(const struct auth_user *u, const char *timestamp,
    const char *digest)
{
	unsigned char	 want[EVP_MAX_MD_SIZE], got[AUTH_MD5_LEN];
	unsigned int	 wlen = 0;
	const char	*secret = "";
	EVP_MD_CTX	*ctx;
	size_t		 i;
	int		 ok, rc;

	if (u != NULL && u->scheme != NULL && u->secret != NULL) {
		/* RFC 1939 §7: the server needs the shared secret itself. */
		if (auth__scheme_kind(u->scheme) != AUTH__PLAIN)
			return AUTH_ESCHEME;
		secret = u->secret;
	}
	if (timestamp == NULL || digest == NULL)
		return AUTH_FAIL;

	/* Decode the client's digest.  Its shape is the client's business
	 * and not secret, so these checks may branch. */
	ok = strlen(digest) == AUTH_APOP_HEXLEN;
	for (i = 0; ok && i < AUTH_MD5_LEN; i++) {
		int hi = auth__hexval(digest[2 * i]);
		int lo = auth__hexval(digest[2 * i + 1]);

		if (hi < 0 || lo < 0)
			ok = 0;
		else
			got[i] = (unsigned char)(hi << 4 | lo);
	}

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return AUTH_EINTERNAL;
	rc = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestUpdate(ctx, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(ctx, want, &wlen) == 1 && wlen == AUTH_MD5_LEN;
	EVP_MD_CTX_free(ctx);
	if (!rc) {
		auth_wipe(want, sizeof(want));
		return AUTH_EINTERNAL;
	}
	/* Comparing decoded octets makes the comparison case-insensitive
	 * for free. */
	if (ok)
		ok = CRYPTO_memcmp(want, got, AUTH_MD5_LEN) == 0;
	auth_wipe(want, sizeof(want));
	auth_wipe(got, sizeof(got));
	if (u == NULL || u->secret == NULL)
		return AUTH_FAIL;
	return ok ? AUTH_OK : AUTH_FAIL;
}

static char *
auth_strdup_or_empty(const char *s)
{
	return strdup(s != NULL ? s : "");
}

struct auth_user *
auth_user_dup(const struct auth_user *u)
{
	struct auth_user	*d;

	if (u == NULL || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->name = auth_strdup_or_empty(u->name)) == NULL ||
	    (d->scheme = auth_strdup_or_empty(u->scheme)) == NULL ||
	    (d->secret = auth_strdup_or_empty(u->secret)) == NULL ||
	    (d->home = auth_strdup_or_empty(u->home)) == NULL) {
		auth_user_free(d);
		return NULL;
	}
	d->apop = u->apop;
	return d;
}

void
auth_user_clear(struct auth_user *u)
{
	if (u == NULL)
		return;
	if (u->secret != NULL)
		auth_wipe(u->secret, strlen(u->secret));
	free(u->name);
	free(u->scheme);
	free(u->secret);
	free(u->home);
	u->name = u->scheme = u->secret = u->home = NULL;
}

void
auth_user_free(struct auth_user *u)
{
	if (u == NULL)
		return;
	auth_user_clear(u);
	free(u);
}

struct auth_hash_scheme {
	const char	*name;
	const char	*prefix;	/* crypt_gensalt prefix, NULL = PLAIN */
};

/* SHA256-CRYPT and BLF-CRYPT cost a row each, so they are offered too. */
static const struct auth_hash_scheme auth_hash_schemes[] = {
	{ "PLAIN",		NULL },
	{ "SHA512-CRYPT",	"$6$" },
	{ "SHA256-CRYPT",	"$5$" },
	{ "BLF-CRYPT",		"$2b$" },
};

static char *
auth_join(const char *scheme, const char *secret)
{
	size_t	 n = strlen(scheme) + strlen(secret) + 3;
	char	*s;

	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "{%s}%s", scheme, secret);
	return s;
}

char *
auth_hash_password(const char *scheme, const char *password)
{
	const struct auth_hash_scheme	*hs = NULL;
	struct crypt_data		*cd;
	char				 salt[CRYPT_GENSALT_OUTPUT_SIZE];
	const char			*out;
	char				*res = NULL;
	size_t				 i;

	if (scheme == NULL || password == NULL)
		return NULL;
	for (i = 0; i < sizeof(auth_hash_schemes) /
	    sizeof(auth_hash_schemes[0]); i++)
		if (strcasecmp(scheme, auth_hash_schemes[i].name) == 0)
			hs = &auth_hash_schemes[i];
	if (hs == NULL) {
		/* Dovecot's stored-key formats (secret.c). */
		if (strcasecmp(scheme, "SCRAM-SHA-256") == 0)
			return auth__scram_make(1, password);
		if (strcasecmp(scheme, "SCRAM-SHA-1") == 0)
			return auth__scram_make(0, password);
		if (strcasecmp(scheme, "CRAM-MD5") == 0)
			return auth__cram_make(password);
		return NULL;
	}

	if (hs->prefix == NULL) {
		/* The passwd-file has no escapes (passwd.c): a PLAIN secret
		 * with ':' or a control character could not be read back. */
		for (i = 0; password[i] != '\0'; i++) {
			unsigned char c = (unsigned char)password[i];

			if (c == ':' || c < 0x20 || c == 0x7f)
				return NULL;
		}
		return auth_join(hs->name, password);
	}

	/* Count 0 and no random bytes: libxcrypt picks the default cost and
	 * draws the salt from the OS's random source. */
	if (crypt_gensalt_rn(hs->prefix, 0, NULL, 0, salt,
	    (int)sizeof(salt)) == NULL)
		return NULL;
	if ((cd = calloc(1, sizeof(*cd))) == NULL)
		return NULL;
	if ((out = crypt_rn(password, salt, cd, (int)sizeof(*cd))) != NULL)
		res = auth_join(hs->name, out);
	auth_wipe(cd, sizeof(*cd));
	free(cd);
	return res;
}
