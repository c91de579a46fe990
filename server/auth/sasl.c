/*
 * sasl.c - the SASL engine: GNU SASL runs every mechanism, and asks this
 * file for secrets through one callback (sasl.h).
 *
 * gsasl's server asks for properties as it needs them: PLAIN and LOGIN
 * raise GSASL_VALIDATE_SIMPLE (answered by auth_check_password(), so any
 * scheme the auth layer checks works), SCRAM asks GSASL_SCRAM_ITER and
 * _SALT, then _SERVERKEY and _STOREDKEY (hex), else GSASL_PASSWORD, and
 * CRAM-MD5 asks GSASL_PASSWORD only.  gsasl cannot verify CRAM-MD5
 * without the password, so a {CRAM-MD5} user's response is checked here,
 * with the stored HMAC-MD5 states (secret.c), against the challenge gsasl
 * sent.
 *
 * Unknown users and users whose secret cannot serve the mechanism get
 * made-up values (a salt derived from the name and a per-process key, so
 * it is stable across attempts as a real one would be; random keys; a
 * random password) and fail where a wrong password fails, after the same
 * work.
 */
#define _GNU_SOURCE		/* memrchr */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "auth.h"
#include "auth_int.h"
#include "sasl.h"

struct sasl_mech_info {
	const char	*name;
	int		 cleartext;
	int		 kind;		/* the stored kind it needs, besides
					 * PLAIN; -1: any (verifier) */
	int		 sha256;
};

static const struct sasl_mech_info sasl_mechs[SASL_NMECH] = {
	[SASL_SCRAM_SHA_256] = { "SCRAM-SHA-256", 0, AUTH__SCRAM_SHA256, 1 },
	[SASL_SCRAM_SHA_1] = { "SCRAM-SHA-1", 0, AUTH__SCRAM_SHA1, 0 },
	[SASL_CRAM_MD5] = { "CRAM-MD5", 0, AUTH__CRAM_MD5, 0 },
	[SASL_PLAIN] = { "PLAIN", 1, -1, 0 },
	[SASL_LOGIN] = { "LOGIN", 1, -1, 0 },
};

struct sasl_exchange {
	int		 mech;
	Gsasl_session	*gs;
	unsigned	 nstep;		/* sasl_step() calls so far */
	char		*in;		/* decoded input, NUL-terminated */
	size_t		 inlen;
	int		 have_in;
	int		 initial;	/* the input is an initial response */
	int		 spoke;		/* gsasl has had client data */
	char		*wanted;	/* name to look up, from this input,
					 * SASLprep'd ("" if it cannot be) */
	char		*wanted_raw;	/* the same as sent */
	int		 user_set;
	struct auth_user *u;		/* NULL: unknown */
	char		*uname;		/* the name asked for (U's or not) */
	char		*uname_raw;	/* as sent */
	int		 kind;		/* U's auth__kind, -1 none */
	int		 escheme;	/* U exists, secret cannot serve */
	struct auth__scram scram;	/* U's, when kind is a SCRAM */
	int		 have_scram;
	int		 check;		/* auth result from VALIDATE_SIMPLE */
	char		*challenge;	/* CRAM-MD5: what gsasl sent */
	size_t		 challenge_len;
	char		*authid;
};

static Gsasl		*sasl_ctx;
static int		 sasl_init_rc = -1;
static pthread_once_t	 sasl_once = PTHREAD_ONCE_INIT;
/* Keys the made-up values for unknown users; never leaves the process. */
static unsigned char	 sasl_dummy_key[32];

static int sasl_callback(Gsasl *ctx, Gsasl_session *gs, Gsasl_property p);

static void
sasl_init_once(void)
{
	if (RAND_bytes(sasl_dummy_key, sizeof(sasl_dummy_key)) != 1)
		return;
	if (gsasl_init(&sasl_ctx) != GSASL_OK)
		return;
	gsasl_callback_set(sasl_ctx, sasl_callback);
	sasl_init_rc = 0;
}

int
sasl_init(void)
{
	pthread_once(&sasl_once, sasl_init_once);
	return sasl_init_rc;
}

int
sasl_mech_find(const char *name)
{
	int	 i;

	if (name == NULL)
		return -1;
	for (i = 0; i < SASL_NMECH; i++)
		if (strcasecmp(name, sasl_mechs[i].name) == 0)
			return i;
	return -1;
}

const char *
sasl_mech_name(int mech)
{
	return mech >= 0 && mech < SASL_NMECH ? sasl_mechs[mech].name : "";
}

int
sasl_mech_cleartext(int mech)
{
	return mech >= 0 && mech < SASL_NMECH && sasl_mechs[mech].cleartext;
}

static int
sasl_kind_allowed(int mech, int kind)
{
	if (kind < 0)
		return 0;
	if (kind == AUTH__PLAIN || sasl_mechs[mech].kind < 0)
		return 1;
	return sasl_mechs[mech].kind == kind;
}

int
sasl_mech_allowed(int mech, const char *scheme)
{
	if (mech < 0 || mech >= SASL_NMECH || scheme == NULL)
		return 0;
	return sasl_kind_allowed(mech, auth__scheme_kind(scheme));
}

struct sasl_exchange *
sasl_new(int mech)
{
	struct sasl_exchange	*x;

	if (mech < 0 || mech >= SASL_NMECH || sasl_init() != 0)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return NULL;
	x->mech = mech;
	x->kind = -1;
	if (gsasl_server_start(sasl_ctx, sasl_mechs[mech].name, &x->gs) !=
	    GSASL_OK) {
		free(x);
		return NULL;
	}
	gsasl_session_hook_set(x->gs, x);
	gsasl_property_set(x->gs, GSASL_SERVICE, "pop");
	return x;
}

static void
sasl_free_str(char **p, size_t len)
{
	if (*p != NULL) {
		auth_wipe(*p, len);
		free(*p);
		*p = NULL;
	}
}

static void
sasl_drop_input(struct sasl_exchange *x)
{
	sasl_free_str(&x->in, x->inlen);
	x->inlen = 0;
	x->have_in = 0;
	x->initial = 0;
	free(x->wanted);
	x->wanted = NULL;
	free(x->wanted_raw);
	x->wanted_raw = NULL;
}

void
sasl_free(struct sasl_exchange *x)
{
	if (x == NULL)
		return;
	sasl_drop_input(x);
	if (x->gs != NULL)
		gsasl_finish(x->gs);
	auth_user_free(x->u);
	free(x->uname);
	free(x->uname_raw);
	free(x->challenge);
	free(x->authid);
	auth_wipe(&x->scram, sizeof(x->scram));
	free(x);
}

int
sasl_mech(const struct sasl_exchange *x)
{
	return x->mech;
}

/* RFC 5802 §5.1 saslname: "=2C" is ',' and "=3D" is '='. */
static char *
sasl_scram_name(const char *p, size_t len)
{
	char	*s;
	size_t	 i, j;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	for (i = j = 0; i < len; i++) {
		if (p[i] != '=') {
			s[j++] = p[i];
			continue;
		}
		if (i + 2 < len && p[i + 1] == '2' && p[i + 2] == 'C')
			s[j++] = ',';
		else if (i + 2 < len && p[i + 1] == '3' && p[i + 2] == 'D')
			s[j++] = '=';
		else {
			free(s);
			return NULL;
		}
		i += 2;
	}
	s[j] = '\0';
	return s;
}

/* The authentication identity this input names, if it names one. */
static char *
sasl_find_name(const struct sasl_exchange *x)
{
	const char	*p, *e, *end = x->in + x->inlen;

	if (x->inlen == 0)
		return NULL;
	switch (x->mech) {
	case SASL_PLAIN:
		/* authzid NUL authcid NUL passwd (RFC 4616 §2) */
		if ((p = memchr(x->in, '\0', x->inlen)) == NULL)
			return NULL;
		p++;
		if ((e = memchr(p, '\0', (size_t)(end - p))) == NULL)
			return NULL;
		return strndup(p, (size_t)(e - p));
	case SASL_LOGIN:
		/* The answer to "User Name", or an initial response (which
		 * clients send as the name; sasl_step() skips the prompt). */
		return x->nstep <= 1 ? strndup(x->in, x->inlen) : NULL;
	case SASL_CRAM_MD5:
		/* RFC 2195: name SP digest */
		if (x->nstep != 1)
			return NULL;
		for (e = end; e > x->in && e[-1] != ' '; e--)
			;
		return e > x->in ? strndup(x->in, (size_t)(e - 1 - x->in)) :
		    NULL;
	default:
		/* SCRAM client-first: gs2-header "n=" saslname ",r=" ... */
		p = memchr(x->in, ',', x->inlen);
		if (p == NULL || (p = memchr(p + 1, ',', (size_t)(end - p -
		    1))) == NULL)
			return NULL;
		p++;
		if (end - p < 2 || p[0] != 'n' || p[1] != '=')
			return NULL;
		p += 2;
		if ((e = memchr(p, ',', (size_t)(end - p))) == NULL)
			return NULL;
		return sasl_scram_name(p, (size_t)(e - p));
	}
}

int
sasl_input(struct sasl_exchange *x, const char *text, int initial)
{
	char	*dec = NULL;
	size_t	 len = 0;
	int	 rc;

	sasl_drop_input(x);
	if (text == NULL)
		return SASL_CONTINUE;
	/* RFC 5034 §4: "=" is an empty initial response. */
	if (initial && strcmp(text, "=") == 0)
		text = "";
	if (*text != '\0' && gsasl_base64_from(text, strlen(text), &dec,
	    &len) != GSASL_OK)
		return SASL_BADB64;
	/* Copy into our own buffer, NUL-terminated, so it can be wiped. */
	if ((x->in = malloc(len + 1)) == NULL) {
		if (dec != NULL)
			auth_wipe(dec, len);
		gsasl_free(dec);
		return SASL_EINTERNAL;
	}
	if (len > 0)
		memcpy(x->in, dec, len);
	x->in[len] = '\0';
	x->inlen = len;
	x->have_in = 1;
	x->initial = initial;
	if (dec != NULL)
		auth_wipe(dec, len);
	gsasl_free(dec);
	if (!x->user_set && (x->wanted_raw = sasl_find_name(x)) != NULL) {
		/* RFC 4616 §2, RFC 5802 §5.1: the name is matched in its
		 * SASLprep form.  One that cannot be prepared names no one:
		 * "" is no user's name. */
		rc = auth_saslprep(x->wanted_raw, AUTH_PREP_QUERY, &x->wanted);
		if (rc == AUTH_EINTERNAL)
			return SASL_EINTERNAL;
		if (rc != AUTH_OK && (x->wanted = strdup("")) == NULL)
			return SASL_EINTERNAL;
	}
	return SASL_CONTINUE;
}

const char *
sasl_user_wanted(const struct sasl_exchange *x)
{
	return x->user_set ? NULL : x->wanted;
}

void
sasl_set_user(struct sasl_exchange *x, struct auth_user *u)
{
	if (x->user_set || x->wanted == NULL) {
		auth_user_free(u);
		return;
	}
	x->user_set = 1;
	x->u = u;
	x->uname = x->wanted;
	x->wanted = NULL;
	x->uname_raw = x->wanted_raw;
	x->wanted_raw = NULL;
	if (u == NULL)
		return;
	x->kind = auth__scheme_kind(u->scheme);
	x->escheme = !sasl_kind_allowed(x->mech, x->kind);
	if (!x->escheme && x->kind == sasl_mechs[x->mech].kind &&
	    (x->kind == AUTH__SCRAM_SHA1 || x->kind == AUTH__SCRAM_SHA256))
		x->have_scram = auth__scram_parse(u->secret,
		    x->kind == AUTH__SCRAM_SHA256, &x->scram) == 0;
}

/* The user gsasl is asking about: ours only if the names agree.  gsasl
 * reports PLAIN's authcid SASLprep'd and the other mechanisms' as sent,
 * so either form of the name we parsed will do. */
static const struct auth_user *
sasl_user_for(const struct sasl_exchange *x, const char *authid)
{
	if (x->u == NULL || authid == NULL || x->uname == NULL ||
	    x->uname_raw == NULL || (strcmp(authid, x->uname) != 0 &&
	    strcmp(authid, x->uname_raw) != 0) ||
	    strcmp(x->uname, x->u->name) != 0)
		return NULL;
	return x->u;
}

/* HMAC(dummy key, WHAT NUL NAME) as LEN octets of hex at OUT (2*LEN+1). */
static int
sasl_dummy_hex(const char *what, const char *name, size_t len, char *out)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		 msg[600];
	size_t		 i;
	int		 n;

	n = snprintf(msg, sizeof(msg), "%s%c%s", what, '\0',
	    name != NULL ? name : "");
	if (n < 0)
		return -1;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (HMAC(EVP_sha256(), sasl_dummy_key, sizeof(sasl_dummy_key),
	    (const unsigned char *)msg, (size_t)n, md, &mdlen) == NULL ||
	    mdlen < len)
		return -1;
	for (i = 0; i < len; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* A stable made-up salt for NAME, base64 into OUT. */
static int
sasl_dummy_salt(struct sasl_exchange *x, const char *name)
{
	char	 hex[33], *b64 = NULL;
	size_t	 b64len = 0;
	int	 rc;

	if (sasl_dummy_hex("salt", name, 16, hex) != 0)
		return GSASL_CRYPTO_ERROR;
	/* The hex digits' first 16 octets as the raw salt is fine: it
	 * only has to look like a salt and stay stable. */
	if (gsasl_base64_to(hex, 16, &b64, &b64len) != GSASL_OK)
		return GSASL_MALLOC_ERROR;
	rc = gsasl_property_set(x->gs, GSASL_SCRAM_SALT, b64);
	gsasl_free(b64);
	return rc;
}

/* gsasl 2.2 takes SCRAM's ServerKey and StoredKey base64-encoded (its
 * manual's word "hex" notwithstanding: hex keys fail every proof). */
static int
sasl_set_key(Gsasl_session *gs, Gsasl_property p, const unsigned char *v,
    size_t len)
{
	char	*b64 = NULL;
	size_t	 b64len = 0;
	int	 rc;

	if (gsasl_base64_to((const char *)v, len, &b64, &b64len) != GSASL_OK)
		return GSASL_MALLOC_ERROR;
	rc = gsasl_property_set(gs, p, b64);
	auth_wipe(b64, b64len);
	gsasl_free(b64);
	return rc;
}

static int
sasl_callback(Gsasl *ctx, Gsasl_session *gs, Gsasl_property p)
{
	struct sasl_exchange	*x = gsasl_session_hook_get(gs);
	const struct auth_user	*u;
	const char		*authid;
	char			 buf[2 * EVP_MAX_MD_SIZE + 1];
	unsigned char		 rnd[16];
	size_t			 i;
	int			 serves, rc;

	(void)ctx;
	if (x == NULL)
		return GSASL_NO_CALLBACK;
	authid = gsasl_property_fast(gs, GSASL_AUTHID);
	u = sasl_user_for(x, authid);
	serves = u != NULL && !x->escheme;

	switch (p) {
	case GSASL_VALIDATE_SIMPLE:
		/* RFC 4616 §2: the password is SASLprep'd as well. */
		x->check = auth_check_password_ex(u,
		    gsasl_property_fast(gs, GSASL_PASSWORD),
		    AUTH_CHECK_SASLPREP);
		return x->check == AUTH_OK ? GSASL_OK :
		    GSASL_AUTHENTICATION_ERROR;
	case GSASL_SCRAM_ITER:
		if (serves && x->have_scram) {
			snprintf(buf, sizeof(buf), "%u", x->scram.iter);
			return gsasl_property_set(gs, p, buf);
		}
		return gsasl_property_set(gs, p, "4096");
	case GSASL_SCRAM_SALT:
		if (serves && x->have_scram)
			return gsasl_property_set(gs, p, x->scram.salt_b64);
		return sasl_dummy_salt(x, authid);
	case GSASL_SCRAM_SERVERKEY:
	case GSASL_SCRAM_STOREDKEY:
		if (serves && x->have_scram)
			return sasl_set_key(gs, p, p == GSASL_SCRAM_STOREDKEY ?
			    x->scram.stored : x->scram.server,
			    x->scram.keylen);
		if (serves && x->kind == AUTH__PLAIN)
			return GSASL_NO_CALLBACK;	/* asks PASSWORD */
		/* Random keys: the proof cannot match. */
		if (RAND_bytes((unsigned char *)buf, 32) != 1)
			return GSASL_CRYPTO_ERROR;
		return sasl_set_key(gs, p, (unsigned char *)buf,
		    sasl_mechs[x->mech].sha256 ? 32 : 20);
	case GSASL_PASSWORD:
		if (serves && x->kind == AUTH__PLAIN)
			return gsasl_property_set(gs, p, u->secret);
		/* Unknown user or unusable secret: a password no one can
		 * know (random per call), and the same HMAC work. */
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			return GSASL_CRYPTO_ERROR;
		for (i = 0; i < sizeof(rnd); i++)
			snprintf(buf + 2 * i, 3, "%02x", rnd[i]);
		rc = gsasl_property_set(gs, p, buf);
		auth_wipe(buf, sizeof(buf));
		return rc;
	default:
		return GSASL_NO_CALLBACK;
	}
}

/* A {CRAM-MD5} user's response "name SP digest" to our challenge. */
static int
sasl_cram_stored(struct sasl_exchange *x)
{
	unsigned char	 states[32], want[16], got[16];
	const char	*d;
	size_t		 i;
	int		 ok, hi, lo;

	d = memrchr(x->in, ' ', x->inlen);
	if (d == NULL || x->challenge == NULL ||
	    auth__cram_parse(x->u->secret, states) != 0)
		return SASL_FAIL;
	d++;
	ok = x->in + x->inlen - d == 32;
	for (i = 0; ok && i < 16; i++) {
		hi = auth__hexval(d[2 * i]);
		lo = auth__hexval(d[2 * i + 1]);
		if (hi < 0 || lo < 0)
			ok = 0;
		else
			got[i] = (unsigned char)(hi << 4 | lo);
	}
	auth__cram_digest(states, x->challenge, x->challenge_len, want);
	ok = ok && CRYPTO_memcmp(want, got, sizeof(want)) == 0;
	auth_wipe(states, sizeof(states));
	auth_wipe(want, sizeof(want));
	return ok ? SASL_OK : SASL_FAIL;
}

static int
sasl_encode(const char *data, size_t len, char **out)
{
	char	*b64 = NULL;
	size_t	 b64len = 0;

	if (len == 0) {
		*out = strdup("");
		return *out != NULL ? 0 : -1;
	}
	if (gsasl_base64_to(data, len, &b64, &b64len) != GSASL_OK)
		return -1;
	*out = strdup(b64);
	gsasl_free(b64);
	return *out != NULL ? 0 : -1;
}

/* gsasl said OK: is it really this user, acting as itself? */
static int
sasl_accept(struct sasl_exchange *x, const char *authid)
{
	const char	*authzid = gsasl_property_fast(x->gs, GSASL_AUTHZID);
	char		*prep = NULL;
	int		 rc, same;

	if (x->escheme)
		return SASL_ESCHEME;
	if (authid == NULL || sasl_user_for(x, authid) == NULL)
		return SASL_FAIL;
	/*
	 * RFC 4422 §3.4.1: we let no one act for another user.  RFC 5034
	 * §4: the authorization identity is prepared with SASLprep for
	 * matching, and if that "fails or results in an empty string
	 * (unless it was transmitted as the empty string), the server MUST
	 * fail the authentication".
	 */
	if (authzid != NULL && *authzid != '\0') {
		rc = auth_saslprep(authzid, AUTH_PREP_QUERY, &prep);
		if (rc == AUTH_EINTERNAL)
			return SASL_EINTERNAL;
		same = rc == AUTH_OK && *prep != '\0' &&
		    strcmp(prep, x->uname) == 0;
		free(prep);
		if (!same)
			return SASL_FAIL;
	}
	if ((x->authid = strdup(x->uname)) == NULL)
		return SASL_EINTERNAL;
	return SASL_OK;
}

int
sasl_step(struct sasl_exchange *x, char **out)
{
	char	*o = NULL;
	size_t	 olen = 0;
	int	 rc, res;

	*out = NULL;
	x->check = AUTH_FAIL;
	/*
	 * RFC 5034 §4: "=" is a response that "is present, but contains no
	 * data", and an empty line answers a challenge with no data.  gsasl
	 * cannot tell an empty message from none (it answers a missing
	 * PLAIN or SCRAM first message with an empty challenge), so a
	 * present, empty first message is settled here: PLAIN's and SCRAM's
	 * cannot be empty (RFC 4616 §2, RFC 5802 §7), and LOGIN's is the
	 * user name, which cannot be either.  CRAM-MD5 is server-first: any
	 * initial response, even "=", fails it (RFC 5034 §4, RFC 4422 §3.3).
	 * Only a missing response (no input) gets the empty challenge.
	 */
	if ((x->have_in && x->inlen == 0 && !x->spoke) ||
	    (x->mech == SASL_CRAM_MD5 && x->initial)) {
		sasl_drop_input(x);
		return SASL_FAIL;
	}
	if (x->mech == SASL_CRAM_MD5 && x->nstep == 1 && x->u != NULL &&
	    x->kind == AUTH__CRAM_MD5 && x->uname != NULL &&
	    strcmp(x->uname, x->u->name) == 0) {
		x->nstep++;
		res = sasl_cram_stored(x);
		if (res == SASL_OK)
			res = (x->authid = strdup(x->uname)) != NULL ?
			    SASL_OK : SASL_EINTERNAL;
		sasl_drop_input(x);
		return res;
	}
	if (x->mech == SASL_LOGIN && x->nstep == 0 && x->inlen > 0) {
		/* gsasl's LOGIN ignores an initial response and asks for
		 * the name; take the response as that answer instead. */
		rc = gsasl_step(x->gs, NULL, 0, &o, &olen);
		gsasl_free(o);
		o = NULL;
		if (rc != GSASL_NEEDS_MORE)
			return SASL_EINTERNAL;
		x->nstep++;
	}
	rc = gsasl_step(x->gs, x->have_in ? x->in : NULL, x->inlen, &o,
	    &olen);
	x->nstep++;
	if (x->inlen > 0)
		x->spoke = 1;
	sasl_drop_input(x);
	switch (rc) {
	case GSASL_NEEDS_MORE:
		if (x->mech == SASL_CRAM_MD5 && x->nstep == 1 && olen > 0) {
			free(x->challenge);
			if ((x->challenge = strndup(o, olen)) == NULL) {
				res = SASL_EINTERNAL;
				break;
			}
			x->challenge_len = olen;
		}
		res = sasl_encode(o, olen, out) == 0 ? SASL_CONTINUE :
		    SASL_EINTERNAL;
		break;
	case GSASL_OK:
		res = sasl_accept(x, gsasl_property_fast(x->gs, GSASL_AUTHID));
		if (res == SASL_OK && olen > 0 && sasl_encode(o, olen, out) != 0)
			res = SASL_EINTERNAL;
		break;
	case GSASL_MALLOC_ERROR:
	case GSASL_CRYPTO_ERROR:
		res = SASL_EINTERNAL;
		break;
	default:
		res = x->escheme || x->check == AUTH_ESCHEME ? SASL_ESCHEME :
		    x->check == AUTH_EINTERNAL ? SASL_EINTERNAL : SASL_FAIL;
	}
	if (o != NULL) {
		auth_wipe(o, olen);
		gsasl_free(o);
	}
	return res;
}

const char *
sasl_authid(const struct sasl_exchange *x)
{
	return x->authid;
}

struct auth_user *
sasl_take_user(struct sasl_exchange *x)
{
	struct auth_user	*u = x->u;

	x->u = NULL;
	return u;
}
