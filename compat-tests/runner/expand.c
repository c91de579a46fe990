/*
 * ${...} expansion in transcript text: credentials, fixture facts, uids
 * captured by "S> uidl", values captured by "S~{NAME}", the APOP digest of the current greeting, SASL
 * responses (PLAIN, LOGIN, CRAM-MD5) built from the credentials.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "conform.h"

struct out {
	char	*p;
	size_t	 len, cap;
};

static void
out_add(struct out *o, const char *p, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->p = realloc(o->p, o->cap);
		if (o->p == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(o->p + o->len, p, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* Appends a variable's value, escaped for the context it lands in. */
static void
out_value(struct out *o, const char *v, size_t n, int mode)
{
	const char *special = NULL;

	if (mode & EXPAND_GLOB)
		special = "*\\";
	else if (mode & EXPAND_REGEX)
		special = ".[]()*+?{}|^$\\";
	for (size_t i = 0; i < n; i++) {
		if (special != NULL && v[i] != '\0' && strchr(special, v[i]))
			out_add(o, "\\", 1);
		out_add(o, v + i, 1);
	}
}

static int
verr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* A hex digit's value, or -1 (OpenSSL's, as the rest of the crypto). */
static int
hexval(char c)
{
	return OPENSSL_hexchar2int((unsigned char)c);
}

static int
msgnum(struct run_ctx *ctx, const char *s, char **end, char *err,
    size_t errlen)
{
	long n;

	errno = 0;
	n = strtol(s, end, 10);
	if (*end == s || errno != 0 || ctx->fx == NULL || n < 1 ||
	    (size_t)n > ctx->fx->nmsgs)
		return verr(err, errlen, "no fixture message '%s'", s);
	return (int)n;
}

static int expand_one(const char *name, int mode, struct run_ctx *ctx,
    struct out *o, char *err, size_t errlen);

/*
 * SASL values (RFC 4616 PLAIN, LOGIN, RFC 2195 CRAM-MD5) built from the
 * credentials, so a transcript needs no base64 of its own.  A FIELD is
 * one or more items joined by '+': a variable name as inside ${...}
 * ("user", "pass2", "repeat:255:x") or a literal in single quotes with
 * \xHH escapes ('\xc2\xad').  Base64 and HMAC-MD5 are OpenSSL's.
 */
static int
sasl_field(const char *spec, size_t len, struct run_ctx *ctx, struct out *o,
    char *err, size_t errlen)
{
	char item[256];

	while (len > 0) {
		size_t n = 0;

		if (spec[0] == '\'') {
			size_t i = 1;

			for (; i < len && spec[i] != '\''; i++) {
				char c = spec[i];

				if (c == '\\' && i + 3 < len && spec[i + 1] ==
				    'x' && hexval(spec[i + 2]) >= 0 &&
				    hexval(spec[i + 3]) >= 0) {
					c = (char)(hexval(spec[i + 2]) << 4 |
					    hexval(spec[i + 3]));
					i += 3;
				} else if (c == '\\')
					return verr(err, errlen, "bad escape "
					    "in '%.*s'", (int)len, spec);
				out_add(o, &c, 1);
			}
			if (i >= len)
				return verr(err, errlen, "unterminated "
				    "quote in '%.*s'", (int)len, spec);
			n = i + 1;
		} else {
			n = strcspn(spec, "+");
			if (n > len)
				n = len;
			if (n == 0 || n >= sizeof(item))
				return verr(err, errlen, "bad SASL field "
				    "'%.*s'", (int)len, spec);
			memcpy(item, spec, n);
			item[n] = '\0';
			if (expand_one(item, EXPAND_RAW, ctx, o, err, errlen)
			    < 0)
				return -1;
		}
		if (n < len && spec[n] != '+')
			return verr(err, errlen, "bad SASL field '%.*s': "
			    "items are joined by '+'", (int)len, spec);
		if (n < len)
			n++;
		spec += n;
		len -= n;
	}
	return 0;
}

/* Splits "A,B,C" into exactly NF fields, each expanded into out[i]. */
static int
sasl_fields(const char *arg, int nf, struct run_ctx *ctx, struct out *out,
    char *err, size_t errlen)
{
	const char *p = arg;

	for (int i = 0; i < nf; i++) {
		size_t n = strcspn(p, ",");

		out_add(&out[i], "", 0);
		if ((p[n] == ',') != (i < nf - 1))
			return verr(err, errlen, "'%s': wants %d fields "
			    "separated by ','", arg, nf);
		if (sasl_field(p, n, ctx, &out[i], err, errlen) < 0)
			return -1;
		p += n + (p[n] == ',');
	}
	return 0;
}

/* Appends the base64 of P (RFC 4648 §4, padded, no line breaks). */
static void
out_b64(struct out *o, const void *p, size_t n)
{
	unsigned char *b = malloc(4 * ((n + 2) / 3) + 1);

	if (b == NULL) {
		perror("malloc");
		exit(2);
	}
	(void)EVP_EncodeBlock(b, p, (int)n);
	out_add(o, (const char *)b, strlen((const char *)b));
	free(b);
}

/*
 * Decodes strict base64 (RFC 4648 §4: length a multiple of 4, padding
 * only at the end); returns the octet count, or -1.
 */
int
b64_decode(const char *in, unsigned char **out)
{
	size_t len = strlen(in), pad = 0;
	int n;

	*out = NULL;
	if (len >= 1 && in[len - 1] == '=')
		pad = len >= 2 && in[len - 2] == '=' ? 2 : 1;
	if (len % 4 != 0 || strspn(in, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefgh"
	    "ijklmnopqrstuvwxyz0123456789+/") != len - pad)
		return -1;
	if ((*out = malloc(len / 4 * 3 + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	n = EVP_DecodeBlock(*out, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(*out);
		*out = NULL;
		return -1;
	}
	return n - (int)pad;
}

/*
 * ${sasl-plain}, ${sasl-plain2}, ${sasl-plain:AUTHZ,AUTHC,PASS}: the
 * base64 of the RFC 4616 message authzid NUL authcid NUL passwd.
 */
static int
sasl_plain(const char *name, const char *arg, struct run_ctx *ctx,
    struct out *o, char *err, size_t errlen)
{
	struct out f[3] = { { 0 } };
	struct out m = { 0 };
	int rc = -1;

	if (arg == NULL)
		arg = strcmp(name, "sasl-plain2") == 0 ? ",user2,pass2" :
		    ",user,pass";
	else if (strcmp(name, "sasl-plain") != 0)
		return verr(err, errlen, "bad ${%s}", name);
	if (arg[0] == ',')
		out_add(&f[0], "", 0);
	if (sasl_fields(arg[0] == ',' ? arg + 1 : arg, arg[0] == ',' ? 2 : 3,
	    ctx, arg[0] == ',' ? f + 1 : f, err, errlen) == 0) {
		out_add(&m, f[0].p, f[0].len);
		out_add(&m, "", 1);	/* NUL */
		out_add(&m, f[1].p, f[1].len);
		out_add(&m, "", 1);
		out_add(&m, f[2].p, f[2].len);
		out_b64(o, m.p, m.len);
		rc = 0;
	}
	for (int i = 0; i < 3; i++)
		free(f[i].p);
	free(m.p);
	return rc;
}

/*
 * ${cram-md5}, ${cram-md5:USER,SECRET}: RFC 2195's answer to the last
 * "+ " challenge the server sent: base64 of the user, a space and the
 * lower-case hex HMAC-MD5 of the decoded challenge keyed with the secret.
 */
static int
cram_md5(const char *arg, struct run_ctx *ctx, struct out *o, char *err,
    size_t errlen)
{
	struct out f[2] = { { 0 } };
	unsigned char md[EVP_MAX_MD_SIZE], *chal = NULL;
	unsigned int mdlen = 0;
	char hex[3];
	int n, rc = -1;

	if (ctx->challenge[0] == '\0')
		return verr(err, errlen, "${cram-md5}: no '+ ' challenge "
		    "came before it");
	if ((n = b64_decode(ctx->challenge, &chal)) < 0)
		return verr(err, errlen, "${cram-md5}: the challenge '%s' is "
		    "not base64", ctx->challenge);
	if (sasl_fields(arg ? arg : "user,pass", 2, ctx, f, err, errlen) == 0
	    && HMAC(EVP_md5(), f[1].p, (int)f[1].len, chal, (size_t)n, md,
	    &mdlen) != NULL && mdlen == 16) {
		out_add(&f[0], " ", 1);
		for (unsigned int i = 0; i < mdlen; i++) {
			snprintf(hex, sizeof(hex), "%02x", md[i]);
			out_add(&f[0], hex, 2);
		}
		out_b64(o, f[0].p, f[0].len);
		rc = 0;
	} else if (err[0] == '\0')
		verr(err, errlen, "${cram-md5}: no HMAC-MD5");
	free(chal);
	free(f[0].p);
	free(f[1].p);
	return rc;
}

static int
expand_one(const char *name, int mode, struct run_ctx *ctx, struct out *o,
    char *err, size_t errlen)
{
	char num[64], hex[33], *end;
	const char *arg = strchr(name, ':');
	size_t nlen = arg ? (size_t)(arg - name) : strlen(name);
	int n;

#define IS(s) (nlen == strlen(s) && strncmp(name, s, nlen) == 0)
/* --apop-user and --apop-pass, or else --user and --pass. */
#define APOP_USER(c) ((c)->apop_user != NULL ? (c)->apop_user : (c)->user)
#define APOP_PASS(c) ((c)->apop_user != NULL ? (c)->apop_pass : (c)->pass)
	if (arg != NULL)
		arg++;
	if (IS("user") || IS("pass") || IS("user2") || IS("pass2") ||
	    IS("apop-user") || IS("apop-pass")) {
		const char *v = IS("user") ? ctx->user : IS("pass") ?
		    ctx->pass : IS("user2") ? ctx->user2 : IS("pass2") ?
		    ctx->pass2 : IS("apop-user") ? APOP_USER(ctx) :
		    APOP_PASS(ctx);

		if (v == NULL)
			return verr(err, errlen, "${%s} not given", name);
		out_value(o, v, strlen(v), mode);
	} else if (IS("count") || IS("total")) {
		const struct fixture *fx = ctx->fx;
		size_t t = 0;

		/* ${count:FIXTURE}: another fixture (a "folder:"). */
		if (arg != NULL && (fx = fixture_get(arg)) == NULL)
			return verr(err, errlen, "${%s}: no fixture '%s'",
			    name, arg);
		for (size_t i = 0; fx && i < fx->nmsgs; i++)
			t += fx->msgs[i].wirelen;
		snprintf(num, sizeof(num), "%zu", IS("count") ?
		    (fx ? fx->nmsgs : 0) : t);
		out_add(o, num, strlen(num));
	} else if ((IS("size") || IS("sum")) && arg != NULL) {
		const struct fixture *saved = ctx->fx;
		size_t t = 0;

		/* ${size:FIXTURE:N}: message N of another fixture. */
		if ((*arg < '0' || *arg > '9') && strchr(arg, ':') != NULL) {
			char fname[64];
			size_t fl = (size_t)(strchr(arg, ':') - arg);

			snprintf(fname, sizeof(fname), "%.*s", (int)fl, arg);
			if ((ctx->fx = fixture_get(fname)) == NULL) {
				ctx->fx = saved;
				return verr(err, errlen, "${%s}: no fixture "
				    "'%s'", name, fname);
			}
			arg += fl + 1;
		}
		for (;;) {
			if ((n = msgnum(ctx, arg, &end, err, errlen)) < 0) {
				ctx->fx = saved;
				return -1;
			}
			t += ctx->fx->msgs[n - 1].wirelen;
			if (*end != ',' || IS("size"))
				break;
			arg = end + 1;
		}
		ctx->fx = saved;
		if (*end != '\0')
			return verr(err, errlen, "bad ${%s}", name);
		snprintf(num, sizeof(num), "%zu", t);
		out_add(o, num, strlen(num));
	} else if (IS("uid") && arg != NULL) {
		if ((n = msgnum(ctx, arg, &end, err, errlen)) < 0)
			return -1;
		if (*end != '\0' || n > MAX_UIDS || ctx->uids[n] == NULL)
			return verr(err, errlen, "${%s}: no uid captured by an "
			    "earlier 'S> uidl'", name);
		out_value(o, ctx->uids[n], strlen(ctx->uids[n]), mode);
	} else if (IS("cap") && arg != NULL) {
		/* ${cap:NAME}: stored by "S~{NAME}" / "S> any ~{NAME}". */
		int i;

		for (i = 0; i < ctx->ncaps; i++)
			if (strcmp(ctx->caps[i].name, arg) == 0)
				break;
		if (i == ctx->ncaps)
			return verr(err, errlen, "${%s}: nothing captured as "
			    "'%s' by an earlier 'S~{%s}' or 'S> any ~{%s}'",
			    name, arg, arg, arg);
		out_value(o, ctx->caps[i].value, strlen(ctx->caps[i].value),
		    mode);
	} else if (IS("timestamp")) {
		out_value(o, ctx->timestamp, strlen(ctx->timestamp), mode);
	} else if (IS("apop") || IS("apop1") || IS("apop2")) {
		/* ${apop}: the APOP user's (--apop-user, by default
		 * ${user}); ${apop1}: ${user}'s even when that differs. */
		const char *secret = arg ? arg : IS("apop") ?
		    APOP_PASS(ctx) : IS("apop1") ? ctx->pass : ctx->pass2;

		if (ctx->timestamp[0] == '\0')
			return verr(err, errlen, "${%s}: the greeting had no "
			    "APOP timestamp", name);
		if (secret == NULL || apop_digest(ctx->timestamp, secret, hex)
		    < 0)
			return verr(err, errlen, "${%s}: no secret or no MD5",
			    name);
		out_add(o, hex, 32);
	} else if (IS("repeat") && arg != NULL) {
		char *sub;
		size_t sublen;
		long cnt;

		errno = 0;
		cnt = strtol(arg, &end, 10);
		if (end == arg || *end != ':' || cnt < 0 || cnt > 10000000)
			return verr(err, errlen, "bad ${%s}", name);
		if (expand_vars(end + 1, mode, ctx, &sub, &sublen, err,
		    errlen) < 0)
			return -1;
		while (cnt-- > 0)
			out_add(o, sub, sublen);
		free(sub);
	} else if (IS("sasl-plain") || IS("sasl-plain2")) {
		struct out v = { 0 };

		out_add(&v, "", 0);
		if (sasl_plain(IS("sasl-plain") ? "sasl-plain" : "sasl-plain2",
		    arg, ctx, &v, err, errlen) < 0) {
			free(v.p);
			return -1;
		}
		out_value(o, v.p, v.len, mode);
		free(v.p);
	} else if (IS("b64") && arg != NULL) {
		struct out v = { 0 }, b = { 0 };

		/* ${b64:FIELD}: the base64 of a field (see sasl_field). */
		out_add(&v, "", 0);
		out_add(&b, "", 0);
		if (sasl_field(arg, strlen(arg), ctx, &v, err, errlen) < 0) {
			free(v.p);
			free(b.p);
			return -1;
		}
		out_b64(&b, v.p, v.len);
		out_value(o, b.p, b.len, mode);
		free(v.p);
		free(b.p);
	} else if (IS("cram-md5")) {
		struct out v = { 0 };

		out_add(&v, "", 0);
		err[0] = '\0';
		if (cram_md5(arg, ctx, &v, err, errlen) < 0) {
			free(v.p);
			return -1;
		}
		out_value(o, v.p, v.len, mode);
		free(v.p);
	} else {
		return verr(err, errlen, "unknown variable ${%s}", name);
	}
#undef IS
#undef APOP_USER
#undef APOP_PASS
	return 0;
}

/*
 * Expands ${name} and ${name:arg} (no nesting inside the braces).  With
 * EXPAND_ESCAPES, also decodes \r \n \t \\ \$ and \xHH in the literal
 * text.  The result is NUL-terminated; *outlen excludes the NUL.
 */
int
expand_vars(const char *in, int mode, struct run_ctx *ctx, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	struct out o = { 0 };
	const char *p = in, *close;
	char name[256], c;

	out_add(&o, "", 0);
	while (*p != '\0') {
		if ((mode & EXPAND_ESCAPES) && *p == '\\') {
			switch (p[1]) {
			case 'r': c = '\r'; break;
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case '\\': c = '\\'; break;
			case '$': c = '$'; break;
			case 'x':
				if (hexval(p[2]) < 0 || hexval(p[3]) < 0)
					goto bad_escape;
				c = (char)(hexval(p[2]) << 4 | hexval(p[3]));
				p += 2;
				break;
			default:
				goto bad_escape;
			}
			out_add(&o, &c, 1);
			p += 2;
			continue;
		}
		if (p[0] == '$' && p[1] == '{') {
			close = strchr(p, '}');
			if (close == NULL || (size_t)(close - p - 2) >=
			    sizeof(name)) {
				free(o.p);
				return verr(err, errlen, "unterminated ${ in "
				    "'%s'", in);
			}
			memcpy(name, p + 2, (size_t)(close - p - 2));
			name[close - p - 2] = '\0';
			if (expand_one(name, mode & ~EXPAND_ESCAPES, ctx, &o,
			    err, errlen) < 0) {
				free(o.p);
				return -1;
			}
			p = close + 1;
			continue;
		}
		out_add(&o, p++, 1);
	}
	*out = o.p;
	*outlen = o.len;
	return 0;
bad_escape:
	free(o.p);
	return verr(err, errlen, "bad escape '\\%c' in '%s'", p[1], in);
}
