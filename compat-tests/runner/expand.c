/*
 * ${...} expansion in transcript text: credentials, fixture facts, uids
 * captured by "S> uidl", the APOP digest of the current greeting.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int
expand_one(const char *name, int mode, struct run_ctx *ctx, struct out *o,
    char *err, size_t errlen)
{
	char num[64], hex[33], *end;
	const char *arg = strchr(name, ':');
	size_t nlen = arg ? (size_t)(arg - name) : strlen(name);
	int n;

#define IS(s) (nlen == strlen(s) && strncmp(name, s, nlen) == 0)
	if (arg != NULL)
		arg++;
	if (IS("user") || IS("pass") || IS("user2") || IS("pass2")) {
		const char *v = IS("user") ? ctx->user : IS("pass") ?
		    ctx->pass : IS("user2") ? ctx->user2 : ctx->pass2;

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
	} else if (IS("timestamp")) {
		out_value(o, ctx->timestamp, strlen(ctx->timestamp), mode);
	} else if (IS("apop") || IS("apop2")) {
		const char *secret = arg ? arg : IS("apop") ? ctx->pass :
		    ctx->pass2;

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
	} else {
		return verr(err, errlen, "unknown variable ${%s}", name);
	}
#undef IS
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
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
