/*
 * Executes one parsed transcript against one server connection.  Every
 * wait is a poll(2) bounded by the step's deadline, so a server that hangs
 * or closes early is reported as a FAIL, never waited for forever.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conform.h"

#define MAX_LINE	(4 * 1024 * 1024)

struct sess {
	struct run_ctx		*ctx;
	const struct tcase	*tc;
	const struct step	*st;
	size_t			 stepno;
	struct result		*res;
	int			 fd;
	SSL			*ssl;		/* NULL: in the clear */
	char			 tlserr[256];	/* why a TLS read failed */
	unsigned char		*buf;
	size_t			 off, len, cap;
	int			 eof;		/* the server closed */
	long			 lines;		/* read on this connection */
	int			 timeout_ms;
	long long		 deadline;	/* ms, monotonic */
	int			 which;		/* 0: main, 1: second */
	struct {			/* the connection not in use */
		int		 fd;
		SSL		*ssl;
		unsigned char	*buf;
		size_t		 off, len, cap;
		int		 eof;
		long		 lines;
	}			 other;
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
set_result(struct result *res, enum result_kind kind, const char *fmt,
    va_list ap)
{
	res->kind = kind;
	vsnprintf(res->msg, sizeof(res->msg), fmt, ap);
}

/* Records a failure of the current step; returns -1 for convenience. */
static int
fail(struct sess *s, const char *fmt, ...)
{
	char detail[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	s->res->kind = RESULT_FAIL;
	snprintf(s->res->msg, sizeof(s->res->msg), "step %zu %s [line %d%s%s]",
	    s->stepno, detail, s->st->lineno, s->st->ref ? ", " : "",
	    s->st->ref ? s->st->ref : "");
	return -1;
}

static int
skip(struct sess *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_result(s->res, RESULT_SKIP, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * TLS (--tls, --stls): OpenSSL over the same non-blocking descriptor.
 * Every wait is still a poll(2) against the step's deadline; a read tries
 * SSL_read first, so octets OpenSSL already holds (SSL_pending) are taken
 * without waiting for the socket.
 */

/* OpenSSL's first queued error, or errno, or "connection closed". */
static const char *
tls_errstr(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (e != 0)
		ERR_error_string_n(e, buf, len);
	else if (errno != 0)
		snprintf(buf, len, "%s", strerror(errno));
	else
		snprintf(buf, len, "connection closed by server");
	ERR_clear_error();
	return buf;
}

/* Waits until OpenSSL can go on (SSL_ERROR_WANT_*); -1 at the deadline. */
static int
tls_wait(struct sess *s, int want)
{
	struct pollfd pfd;
	long long left;
	int rc;

	for (;;) {
		left = s->deadline - now_ms();
		if (left <= 0)
			return -1;
		pfd.fd = s->fd;
		pfd.events = want == SSL_ERROR_WANT_WRITE ? POLLOUT : POLLIN;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc != 0)
			return 0;	/* ready, or an error the next call sees */
	}
}

static int tls_handshake(struct sess *);

static int
fill_tls(struct sess *s, const char **why)
{
	size_t n;
	int e;

	for (;;) {
		n = 0;
		errno = 0;
		ERR_clear_error();
		if (SSL_read_ex(s->ssl, s->buf + s->len, s->cap - s->len,
		    &n) == 1) {
			s->len += n;
			return 0;
		}
		e = SSL_get_error(s->ssl, 0);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (tls_wait(s, e) < 0) {
				*why = "timeout";
				return -1;
			}
			continue;
		}
		/* close_notify, a reset, or (ignored) EOF without one. */
		if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL &&
		    (errno == 0 || errno == ECONNRESET || errno == EPIPE))) {
			ERR_clear_error();
			s->eof = 1;
			return 0;
		}
		*why = tls_errstr(s->tlserr, sizeof(s->tlserr));
		return -1;
	}
}

/*
 * Receives more octets into the buffer (compacting and growing it first).
 * Returns 0 when something happened (data or EOF: see s->eof), -1 on
 * timeout or error with *why set.
 */
static int fill_tls(struct sess *, const char **);

static int
fill(struct sess *s, const char **why)
{
	struct pollfd pfd;
	long long left;
	ssize_t n;
	int rc;

	if (s->off > 0) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->cap - s->len < 65536) {
		s->cap = s->cap ? s->cap * 2 : 131072;
		s->buf = realloc(s->buf, s->cap);
		if (s->buf == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	if (s->ssl != NULL)
		return fill_tls(s, why);
	for (;;) {
		left = s->deadline - now_ms();
		if (left <= 0) {
			*why = "timeout";
			return -1;
		}
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (rc == 0)
			continue;	/* the deadline check reports it */
		n = recv(s->fd, s->buf + s->len, s->cap - s->len, 0);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0 && errno == ECONNRESET) {
			s->eof = 1;
			return 0;
		}
		if (n < 0) {
			*why = strerror(errno);
			return -1;
		}
		if (n == 0)
			s->eof = 1;
		s->len += (size_t)n;
		return 0;
	}
}

/*
 * Reads one line (up to and including LF) into *line.  Returns 1 on a
 * line, 0 when the server closed first (a partial line is then returned
 * with *len > 0), -1 on timeout or error with *why set.
 */
static int
read_line(struct sess *s, const unsigned char **line, size_t *len,
    const char **why)
{
	unsigned char *nl;

	for (;;) {
		nl = memchr(s->buf + s->off, '\n', s->len - s->off);
		if (nl != NULL) {
			*line = s->buf + s->off;
			*len = (size_t)(nl - (s->buf + s->off)) + 1;
			s->off += *len;
			break;
		}
		if (s->eof) {
			*line = s->buf + s->off;
			*len = s->len - s->off;
			s->off = s->len;
			return 0;
		}
		if (s->len - s->off > MAX_LINE) {
			*why = "a line longer than 4 MiB";
			return -1;
		}
		if (fill(s, why) < 0)
			return -1;
	}
	if (s->lines++ == 0) {
		/* The greeting: remember its APOP timestamp, if any. */
		const char *lt = memchr(*line, '<', *len), *gt;

		s->ctx->timestamp[0] = '\0';
		gt = lt ? memchr(lt, '>', *len - (size_t)(lt - (const char *)
		    *line)) : NULL;
		if (gt != NULL && memchr(lt, '@', (size_t)(gt - lt)) != NULL &&
		    (size_t)(gt - lt) + 1 < sizeof(s->ctx->timestamp)) {
			memcpy(s->ctx->timestamp, lt, (size_t)(gt - lt) + 1);
			s->ctx->timestamp[gt - lt + 1] = '\0';
		}
	}
	/* SASL: a "+ " continuation (RFC 5034 §4) for ${cram-md5}. */
	if (*len >= 4 && (*line)[0] == '+' && (*line)[1] == ' ' &&
	    (*line)[*len - 2] == '\r' && *len - 4 < sizeof(s->ctx->challenge)) {
		memcpy(s->ctx->challenge, *line + 2, *len - 4);
		s->ctx->challenge[*len - 4] = '\0';
	}
	if (s->ctx->verbose)
		fprintf(stderr, "S: %.*s\n", (int)(*len > 2 ? *len - 2 : 0),
		    (const char *)*line);
	return 1;
}

/* A line-oriented step's read: fails unless a CRLF-terminated line came. */
static int
expect_line(struct sess *s, char *out, size_t outcap, const char *wanted)
{
	const unsigned char *line;
	const char *why = NULL;
	char esc[300];
	size_t len;
	int rc;

	rc = read_line(s, &line, &len, &why);
	if (rc < 0 && strcmp(why, "timeout") == 0)
		return fail(s, "expected '%s' got nothing: no complete line "
		    "within %d ms", wanted, s->timeout_ms);
	if (rc < 0)
		return fail(s, "expected '%s' got error: %s", wanted, why);
	if (rc == 0) {
		escape_bytes(line, len, esc, sizeof(esc));
		return fail(s, "expected '%s' got connection closed by "
		    "server%s%s", wanted, len ? " after partial line " : "",
		    len ? esc : "");
	}
	if (len < 2 || line[len - 2] != '\r') {
		escape_bytes(line, len, esc, sizeof(esc));
		return fail(s, "expected '%s' got '%s': line not terminated "
		    "by CRLF", wanted, esc);
	}
	if (memchr(line, '\0', len) != NULL || len - 2 >= outcap) {
		escape_bytes(line, len, esc, sizeof(esc));
		return fail(s, "expected '%s' got '%s': NUL or over-long "
		    "line", wanted, esc);
	}
	memcpy(out, line, len - 2);
	out[len - 2] = '\0';
	return 0;
}

static int
send_all(struct sess *s, const char *p, size_t len)
{
	struct pollfd pfd;
	long long left;
	ssize_t n;

	if (s->ctx->verbose) {
		char esc[1024];

		escape_bytes(p, len, esc, sizeof(esc));
		fprintf(stderr, "C: %s\n", esc);
	}
	while (len > 0) {
		if (s->ssl != NULL) {
			size_t w = 0;
			int e;

			ERR_clear_error();
			if (SSL_write_ex(s->ssl, p, len, &w) == 1) {
				p += w;
				len -= w;
				continue;
			}
			e = SSL_get_error(s->ssl, 0);
			if (e != SSL_ERROR_WANT_READ &&
			    e != SSL_ERROR_WANT_WRITE)
				return fail(s, "could not send over TLS: %s "
				    "(connection closed by server?)",
				    tls_errstr(s->tlserr, sizeof(s->tlserr)));
			if (tls_wait(s, e) < 0)
				return fail(s, "could not send within %d ms: "
				    "server does not read", s->timeout_ms);
			continue;
		}
		n = send(s->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno != EAGAIN)
			return fail(s, "could not send: %s (connection closed "
			    "by server?)", strerror(errno));
		left = s->deadline - now_ms();
		if (left <= 0)
			return fail(s, "could not send within %d ms: server "
			    "does not read", s->timeout_ms);
		pfd.fd = s->fd;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, (int)left);
	}
	return 0;
}

static const struct fmsg *
msg_of(struct sess *s, int n)
{
	if (s->ctx->fx == NULL || n < 1 || (size_t)n > s->ctx->fx->nmsgs) {
		fail(s, "fixture '%s' has no message %d",
		    s->tc->fixture ? s->tc->fixture : "basic", n);
		return NULL;
	}
	return &s->ctx->fx->msgs[n - 1];
}

/*
 * Compares a multi-line response, line by line, with expected stuffed
 * octets ending in ".CRLF".
 */
static int
expect_octets(struct sess *s, const unsigned char *exp, size_t explen,
    const char *what)
{
	const unsigned char *line;
	const char *why = NULL;
	char e1[200], e2[200];
	size_t len, off = 0, n, elen;
	long lineno = 0;
	int rc;

	while (off < explen) {
		lineno++;
		rc = read_line(s, &line, &len, &why);
		if (rc < 0)
			return fail(s, "expected %s: %s at octet %zu "
			    "(line %ld) after %d ms", what,
			    strcmp(why, "timeout") == 0 ? "no complete line" :
			    why, off, lineno, s->timeout_ms);
		if (rc == 0)
			return fail(s, "expected %s got connection closed by "
			    "server at octet %zu of %zu (line %ld)", what,
			    off, explen, lineno);
		{
			const unsigned char *enl;

			enl = memchr(exp + off, '\n', explen - off);
			elen = enl ? (size_t)(enl - (exp + off)) + 1 :
			    explen - off;
		}
		if (len != elen || memcmp(line, exp + off, len) != 0) {
			for (n = 0; n < len && n < elen && line[n] ==
			    exp[off + n]; n++)
				;
			escape_bytes(exp + off, elen, e1, sizeof(e1));
			escape_bytes(line, len, e2, sizeof(e2));
			return fail(s, "%s differs at octet %zu (line %ld, "
			    "column %zu): expected '%s' got '%s'", what,
			    off + n, lineno, n + 1, e1, e2);
		}
		off += len;
	}
	return 0;
}

static int
step_retr(struct sess *s, long top)
{
	const struct fmsg *m = msg_of(s, s->st->nums[0]);
	unsigned char *stuffed;
	char what[64];
	size_t n, len;
	int rc;

	if (m == NULL)
		return -1;
	len = top < 0 ? m->wirelen : wire_top(m->wire, m->wirelen, top);
	n = wire_stuff(m->wire, len, &stuffed);
	if (top < 0)
		snprintf(what, sizeof(what), "message %d (%s, %zu octets)",
		    s->st->nums[0], m->name, m->wirelen);
	else
		snprintf(what, sizeof(what), "TOP %d %ld of '%s'",
		    s->st->nums[0], top, m->name);
	rc = expect_octets(s, stuffed, n, what);
	free(stuffed);
	return rc;
}

static int
expect_dot(struct sess *s)
{
	char line[1024];

	if (expect_line(s, line, sizeof(line), ".") < 0)
		return -1;
	if (strcmp(line, ".") != 0)
		return fail(s, "expected '.' (end of multi-line response) "
		    "got '%s'", line);
	return 0;
}

/* RFC 1939 §5 LIST and §7 UIDL listings, then the terminating ".". */
static int
step_listing(struct sess *s, int uidl)
{
	int all = s->st->nnums == 0;
	int count = all ? (s->ctx->fx ? (int)s->ctx->fx->nmsgs : 0) :
	    s->st->nnums;
	char line[1024], want[64], *p;

	for (int i = 0; i < count; i++) {
		int n = all ? i + 1 : s->st->nums[i];
		const struct fmsg *m = msg_of(s, n);

		if (m == NULL)
			return -1;
		if (uidl)
			snprintf(want, sizeof(want), "%d <unique-id>", n);
		else
			snprintf(want, sizeof(want), "%d %zu", n, m->wirelen);
		if (expect_line(s, line, sizeof(line), want) < 0)
			return -1;
		if (!uidl) {
			size_t wl = strlen(want);

			/* §5: nothing is required after the size. */
			if (strncmp(line, want, wl) != 0 ||
			    (line[wl] != '\0' && line[wl] != ' '))
				return fail(s, "expected '%s' got '%s'", want,
				    line);
			continue;
		}
		p = line + strcspn(line, " ");
		if (strncmp(line, want, (size_t)(p - line)) != 0 ||
		    want[p - line] != ' ' || *p != ' ')
			return fail(s, "expected '%s' got '%s'", want, line);
		p++;
		if (strlen(p) < 1 || strlen(p) > 70 ||
		    strspn(p, "!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJ"
		    "KLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~")
		    != strlen(p))
			return fail(s, "expected '%s' got '%s': RFC 1939 §7 "
			    "unique-id is 1 to 70 octets 0x21-0x7e", want,
			    line);
		if (n <= MAX_UIDS) {
			if (s->ctx->uids[n] != NULL &&
			    strcmp(s->ctx->uids[n], p) != 0)
				return fail(s, "expected '%d %s' (the uid seen "
				    "before) got '%s'", n, s->ctx->uids[n],
				    line);
			for (int j = 1; j <= MAX_UIDS; j++)
				if (j != n && s->ctx->uids[j] != NULL &&
				    strcmp(s->ctx->uids[j], p) == 0)
					return fail(s, "expected a unique-id "
					    "got '%s', the uid of message %d",
					    line, j);
			if (s->ctx->uids[n] == NULL)
				s->ctx->uids[n] = strdup(p);
		}
	}
	return expect_dot(s);
}

/*
 * Captures (README, "S~{NAME}"): the text of group i + 1 of a match is
 * stored as ${cap:NAME_i}; a group that took no part is stored empty.
 * A name captured again is overwritten.
 */
static int
cap_set(struct run_ctx *ctx, const char *name, size_t nlen, const char *v,
    size_t vlen)
{
	int i;

	for (i = 0; i < ctx->ncaps; i++)
		if (strlen(ctx->caps[i].name) == nlen &&
		    strncmp(ctx->caps[i].name, name, nlen) == 0)
			break;
	if (i == ctx->ncaps) {
		if (ctx->ncaps == MAX_CAPS)
			return -1;
		snprintf(ctx->caps[i].name, sizeof(ctx->caps[i].name), "%.*s",
		    (int)nlen, name);
		ctx->ncaps++;
	}
	free(ctx->caps[i].value);
	if ((ctx->caps[i].value = malloc(vlen + 1)) == NULL) {
		perror("malloc");
		exit(2);
	}
	memcpy(ctx->caps[i].value, v, vlen);
	ctx->caps[i].value[vlen] = '\0';
	return 0;
}

/*
 * Searches the ERE RE in LINE; with NAMES, stores its groups.  Returns 1
 * on a match, 0 on none, -1 (with a FAIL) on a bad regex or one with
 * fewer groups than names.
 */
static int
regex_capture(struct sess *s, const char *re, const char *line,
    const char *names)
{
	regmatch_t m[MAX_CAP_GROUPS + 1];
	char err[256];
	size_t want = 0;
	regex_t rx;
	int rc;

	if (names == NULL) {
		rc = regex_search(re, line, err, sizeof(err));
		return rc < 0 ? fail(s, "bad regex '%s': %s", re, err) : rc;
	}
	for (const char *p = names; *p != '\0'; p += *p == ',')
		want++, p += strcspn(p, ",");
	rc = regcomp(&rx, re, REG_EXTENDED);
	if (rc != 0) {
		regerror(rc, &rx, err, sizeof(err));
		return fail(s, "bad regex '%s': %s", re, err);
	}
	if (rx.re_nsub < want) {
		size_t have = rx.re_nsub;

		regfree(&rx);
		return fail(s, "regex '%s' has %zu group(s) for %zu capture "
		    "name(s) {%s}", re, have, want, names);
	}
	rc = regexec(&rx, line, want + 1, m, 0) == 0;
	regfree(&rx);
	if (!rc)
		return 0;
	for (size_t i = 1; i <= want; i++, names += *names == ',') {
		size_t n = strcspn(names, ",");

		if (cap_set(s->ctx, names, n, m[i].rm_so < 0 ? "" : line +
		    m[i].rm_so, m[i].rm_so < 0 ? 0 : (size_t)(m[i].rm_eo -
		    m[i].rm_so)) < 0)
			return fail(s, "more than %d capture names in one "
			    "case", MAX_CAPS);
		names += n;
	}
	return 1;
}

/*
 * "S> any": any lines up to ".".  "S> any ~ REGEX" (st->text): one of
 * them (its CRLF cut off) must match; the first that does gives the
 * captures of "S> any ~{A,B} REGEX".
 */
static int
step_any(struct sess *s)
{
	const unsigned char *line;
	const char *why = NULL;
	char *pat = NULL, text[4096], err[256];
	size_t len, plen;
	long seen = 0;
	int rc, found = 0;

	if (s->st->text != NULL && expand_vars(s->st->text, EXPAND_REGEX,
	    s->ctx, &pat, &plen, err, sizeof(err)) < 0)
		return fail(s, "%s", err);
	for (;;) {
		rc = read_line(s, &line, &len, &why);
		if (rc < 0) {
			free(pat);
			return fail(s, "expected lines up to '.' got %s "
			    "after %d ms", why, s->timeout_ms);
		}
		if (rc == 0) {
			free(pat);
			return fail(s, "expected lines up to '.' got "
			    "connection closed by server");
		}
		if (len == 3 && memcmp(line, ".\r\n", 3) == 0)
			break;
		seen++;
		if (pat == NULL || found)
			continue;
		len -= len >= 2 && line[len - 2] == '\r' ? 2 : 1;
		if (len >= sizeof(text) || memchr(line, '\0', len) != NULL)
			continue;
		memcpy(text, line, len);
		text[len] = '\0';
		if ((found = regex_capture(s, pat, text, s->st->names)) < 0) {
			free(pat);
			return -1;
		}
	}
	if (pat != NULL && !found) {
		rc = fail(s, "expected a line matching '%s' before '.' got "
		    "none of %ld line(s)", pat, seen);
		free(pat);
		return rc;
	}
	free(pat);
	return 0;
}

/*
 * "@expect A OP B".  == and != compare as numbers when both sides are
 * decimal integers, else as strings.  < <= > >= order decimal integers
 * by value and put any other non-empty word above every integer (RFC
 * 2449 §6.7 "EXPIRE NEVER" above any number of days); a word equals
 * itself, two different words are not ordered (a FAIL), an empty side
 * is a FAIL.  ~ and !~ search the regex B (variables escaped) in A.
 */
static int
is_int(const char *v)
{
	return v[0] != '\0' && strspn(v, "0123456789") == strlen(v);
}

/* <0, 0, >0 for decimal integers of any length. */
static int
int_cmp(const char *a, const char *b)
{
	size_t la, lb;

	while (a[0] == '0' && a[1] != '\0')
		a++;
	while (b[0] == '0' && b[1] != '\0')
		b++;
	la = strlen(a);
	lb = strlen(b);
	if (la != lb)
		return la < lb ? -1 : 1;
	return strcmp(a, b);
}

static int
step_expect_cmp(struct sess *s)
{
	static const char *const ops[] = { "==", "!=", "<", "<=", ">", ">=",
		"~", "!~" };
	int op = s->st->nums[0], c, ok;
	char *a = NULL, *b = NULL, err[256];
	size_t alen, blen;

	if (expand_vars(s->st->text, EXPAND_RAW, s->ctx, &a, &alen, err,
	    sizeof(err)) < 0 || expand_vars(s->st->arg2, op == CMP_MATCH ||
	    op == CMP_NOMATCH ? EXPAND_REGEX : EXPAND_RAW, s->ctx, &b, &blen,
	    err, sizeof(err)) < 0) {
		free(a);
		return fail(s, "%s", err);
	}
	if (op == CMP_MATCH || op == CMP_NOMATCH) {
		ok = regex_search(b, a, err, sizeof(err));
		if (ok < 0) {
			c = fail(s, "bad regex '%s': %s", b, err);
			goto out;
		}
		ok = op == CMP_MATCH ? ok : !ok;
	} else if (op == CMP_EQ || op == CMP_NE) {
		c = is_int(a) && is_int(b) ? int_cmp(a, b) : strcmp(a, b);
		ok = op == CMP_EQ ? c == 0 : c != 0;
	} else {
		if (a[0] == '\0' || b[0] == '\0') {
			c = fail(s, "expected '%s %s %s' got an empty value: "
			    "'%s' %s '%s'", s->st->text, ops[op], s->st->arg2,
			    a, ops[op], b);
			goto out;
		}
		if (is_int(a) && is_int(b))
			c = int_cmp(a, b);
		else if (strcmp(a, b) == 0)
			c = 0;
		else if (is_int(a) != is_int(b))
			c = is_int(a) ? -1 : 1;	/* a word is above */
		else {
			c = fail(s, "expected '%s %s %s' got '%s' %s '%s': "
			    "two different words are not ordered",
			    s->st->text, ops[op], s->st->arg2, a, ops[op], b);
			goto out;
		}
		ok = op == CMP_LT ? c < 0 : op == CMP_LE ? c <= 0 :
		    op == CMP_GT ? c > 0 : c >= 0;
	}
	c = ok ? 0 : fail(s, "expected '%s %s %s' got '%s' %s '%s', which "
	    "is false", s->st->text, ops[op], s->st->arg2, a, ops[op], b);
out:
	free(a);
	free(b);
	return c;
}

/*
 * "@require capa TAG [ARG...]": sends CAPA (RFC 2449 §5) and reads the
 * list; the case is skipped when CAPA is refused or no line has the tag
 * TAG and every ARG among its arguments (a server need not offer an
 * extension).  "@capa TAG [ARG...]" (MUST set): the same, but a FAIL
 * instead of a skip; "@capa !TAG": fails when a line has the tag.  Tags
 * and arguments compare without regard to case (RFC 2449 §5).
 */
static int
capa_has(const char *line, const char *want)
{
	const char *w = want, *l;
	size_t tl = strcspn(want, " ");

	if (strncasecmp(line, want, tl) != 0 || (line[tl] != '\0' &&
	    line[tl] != ' '))
		return 0;
	for (w += tl; *w == ' '; ) {
		size_t wl = strcspn(++w, " ");
		int found = 0;

		for (l = line + tl; *l == ' ' && !found; ) {
			size_t ll = strcspn(++l, " ");

			found = ll == wl && strncasecmp(l, w, wl) == 0;
			l += ll;
		}
		if (!found)
			return 0;
		w += wl;
	}
	return 1;
}

static int
step_require_capa(struct sess *s, const char *tag, int must)
{
	char line[1024];
	int found = 0, absent = must && tag[0] == '!';

	if (absent)
		tag++;
	if (send_all(s, "CAPA\r\n", 6) < 0)
		return -1;
	if (expect_line(s, line, sizeof(line), "+OK (CAPA)") < 0)
		return -1;
	if (strncmp(line, "+OK", 3) != 0 && must)
		return fail(s, "expected '+OK' to CAPA got '%s'", line);
	if (strncmp(line, "+OK", 3) != 0)
		return skip(s, "@require capa %s: CAPA refused ('%.80s')", tag,
		    line);
	for (;;) {
		if (expect_line(s, line, sizeof(line), "a capability or '.'")
		    < 0)
			return -1;
		if (strcmp(line, ".") == 0)
			break;
		if (capa_has(line, tag))
			found = 1;
	}
	if (absent && found)
		return fail(s, "expected CAPA without '%s' got it listed", tag);
	if (must && !absent && !found)
		return fail(s, "expected CAPA to list '%s' got no such line",
		    tag);
	return found || absent ? 0 : skip(s, "@require capa %s: the server "
	    "does not announce %s", tag, tag);
}

/*
 * RFC 2595 §4 on the active connection, for "--stls" and "@stls": sends
 * STLS, reads its reply and, on "+OK" with nothing after it, runs the TLS
 * handshake, verified as --cafile / --insecure say.  who prefixes the
 * failures ("--stls: " or "").  With or_skip a "-ERR" skips the case (the
 * server offers no TLS here).
 */
static int
stls_negotiate(struct sess *s, const char *who, int or_skip)
{
	const unsigned char *line;
	const char *why = NULL;
	char esc[300];
	size_t len;
	int rc, crlf;

	if (send_all(s, "STLS\r\n", 6) < 0)
		return -1;
	rc = read_line(s, &line, &len, &why);
	if (rc < 0)
		return fail(s, "%sexpected '+OK' to STLS got %s", who,
		    strcmp(why, "timeout") == 0 ? "nothing within the step "
		    "timeout" : why);
	escape_bytes(line, len, esc, sizeof(esc));
	if (rc == 0)
		return fail(s, "%sexpected '+OK' to STLS got connection closed "
		    "by server", who);
	crlf = len >= 2 && line[len - 2] == '\r';
	if (or_skip && crlf && len >= 6 && memcmp(line, "-ERR", 4) == 0 &&
	    (line[4] == ' ' || line[4] == '\r'))
		return skip(s, "@stls or skip: STLS refused ('%s')", esc);
	if (!crlf || len < 5 || memcmp(line, "+OK", 3) != 0 ||
	    (line[3] != ' ' && line[3] != '\r'))
		return fail(s, "%sSTLS refused: got '%s' [RFC 2595 §4]", who,
		    esc);
	if (s->off < s->len)
		return fail(s, "%s%zu octets came after STLS's '+OK' in the "
		    "clear, before the TLS handshake", who, s->len - s->off);
	s->off = s->len = 0;
	return tls_handshake(s);
}

/* "@stls" / "@stls or skip": STLS in the middle of a case. */
static int
step_stls(struct sess *s, int or_skip)
{
	if (s->ssl != NULL)
		return fail(s, "@stls: the connection is already under TLS");
	return stls_negotiate(s, "", or_skip);
}

static int
step_eof(struct sess *s)
{
	const unsigned char *line;
	const char *why = NULL;
	char esc[300];
	size_t len;
	int rc;

	rc = read_line(s, &line, &len, &why);
	if (rc == 0 && len == 0)
		return 0;
	if (rc < 0 && strcmp(why, "timeout") == 0)
		return fail(s, "expected connection closed by server got "
		    "still open after %d ms", s->timeout_ms);
	if (rc < 0)
		return fail(s, "expected connection closed by server got "
		    "error: %s", why);
	escape_bytes(line, len, esc, sizeof(esc));
	return fail(s, "expected connection closed by server got '%s'", esc);
}

/* Ends TLS on a connection: one try at close_notify, never a wait. */
static void
tls_end(SSL **sslp)
{
	if (*sslp == NULL)
		return;
	(void)SSL_shutdown(*sslp);
	SSL_free(*sslp);
	ERR_clear_error();
	*sslp = NULL;
}

static void
disconnect(struct sess *s)
{
	tls_end(&s->ssl);
	/* A descriptor the caller passed in is the caller's to close. */
	if (s->fd >= 0 && s->fd == s->ctx->fd)
		shutdown(s->fd, SHUT_RDWR);
	else if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	s->off = s->len = 0;
	s->eof = 0;
	s->lines = 0;
}

/* The client context, made once per run: verification as asked. */
static int
tls_ctx(struct sess *s)
{
	SSL_CTX *c;

	if (s->ctx->ssl_ctx != NULL)
		return 0;
	c = SSL_CTX_new(TLS_client_method());
	if (c == NULL)
		return fail(s, "TLS: %s", tls_errstr(s->tlserr,
		    sizeof(s->tlserr)));
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* A server that closes without close_notify: an ordinary EOF. */
	SSL_CTX_set_options(c, SSL_OP_IGNORE_UNEXPECTED_EOF);
	if (s->ctx->insecure)
		SSL_CTX_set_verify(c, SSL_VERIFY_NONE, NULL);
	else {
		if (s->ctx->cafile != NULL ? SSL_CTX_load_verify_locations(c,
		    s->ctx->cafile, NULL) != 1 :
		    SSL_CTX_set_default_verify_paths(c) != 1) {
			SSL_CTX_free(c);
			return fail(s, "TLS: cannot load %s: %s",
			    s->ctx->cafile ? s->ctx->cafile :
			    "the default trust store", tls_errstr(s->tlserr,
			    sizeof(s->tlserr)));
		}
		SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	}
	s->ctx->ssl_ctx = c;
	return 0;
}

/*
 * The TLS handshake on s->fd, within a fresh step timeout; the server
 * certificate is checked against the trust anchors and the name (--host,
 * an address or a DNS name) unless --insecure.
 */
static int
tls_handshake(struct sess *s)
{
	const char *name = s->ctx->tls_name ? s->ctx->tls_name : s->ctx->host;
	unsigned char addr[16];
	int fl, rc, e, isip;
	long v;

	if (tls_ctx(s) < 0)
		return -1;
	fl = fcntl(s->fd, F_GETFL);
	if (fl >= 0 && (fl & O_NONBLOCK) == 0)
		(void)fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
	s->ssl = SSL_new(s->ctx->ssl_ctx);
	if (s->ssl == NULL || SSL_set_fd(s->ssl, s->fd) != 1)
		return fail(s, "TLS: %s", tls_errstr(s->tlserr,
		    sizeof(s->tlserr)));
	isip = name != NULL && (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1);
	if (name != NULL && !isip)
		(void)SSL_set_tlsext_host_name(s->ssl, name);	/* SNI */
	if (name != NULL && !s->ctx->insecure &&
	    (isip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl),
	    name) : SSL_set1_host(s->ssl, name)) != 1)
		return fail(s, "TLS: cannot check the name '%s'", name);
	s->deadline = now_ms() + s->timeout_ms;
	for (;;) {
		errno = 0;
		ERR_clear_error();
		rc = SSL_connect(s->ssl);
		if (rc == 1)
			break;
		e = SSL_get_error(s->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			if (tls_wait(s, e) < 0)
				return fail(s, "TLS handshake failed: not "
				    "finished within %d ms", s->timeout_ms);
			continue;
		}
		v = SSL_get_verify_result(s->ssl);
		if (v != X509_V_OK)
			return fail(s, "TLS handshake failed: server "
			    "certificate not verified: %s (checked against "
			    "%s, name '%s')", X509_verify_cert_error_string(v),
			    s->ctx->cafile ? s->ctx->cafile :
			    "the default trust store", name ? name : "-");
		return fail(s, "TLS handshake failed: %s",
		    tls_errstr(s->tlserr, sizeof(s->tlserr)));
	}
	if (s->ctx->verbose)
		fprintf(stderr, "TLS: %s %s\n", SSL_get_version(s->ssl),
		    SSL_get_cipher_name(s->ssl));
	return 0;
}

/*
 * Secures a fresh connection as --tls / --stls ask.  --stls (RFC 2595
 * §4): read the greeting, send STLS, expect "+OK", handshake; then the
 * greeting is put back in the buffer, so the case's "@greeting" (and its
 * APOP timestamp) reads the server's original greeting.
 */
static int
tls_start(struct sess *s)
{
	const unsigned char *line;
	const char *why = NULL;
	char greet[1024], esc[300];
	size_t len, glen;
	int rc;

	if (s->ctx->tls == TLS_NONE)
		return 0;
	if (s->ctx->tls == TLS_IMPLICIT)
		return tls_handshake(s);
	rc = read_line(s, &line, &len, &why);
	if (rc < 0)
		return fail(s, "--stls: expected a greeting got %s",
		    strcmp(why, "timeout") == 0 ? "nothing within the step "
		    "timeout (a pop3s port?)" : why);
	escape_bytes(line, len, esc, sizeof(esc));
	if (rc == 0)
		return fail(s, "--stls: expected a greeting got connection "
		    "closed by server%s%s", len ? " after " : "",
		    len ? esc : "");
	if (len < 5 || memcmp(line, "+OK", 3) != 0 || len > sizeof(greet))
		return fail(s, "--stls: expected a '+OK' greeting got '%s'",
		    esc);
	memcpy(greet, line, len);
	glen = len;
	if (stls_negotiate(s, "--stls: ", 0) < 0)
		return -1;
	memcpy(s->buf, greet, glen);
	s->len = glen;
	s->lines = 0;
	return 0;
}

static int
do_connect(struct sess *s)
{
	char err[256];

	if (s->ctx->host == NULL)
		return fail(s, "cannot reconnect: no --host/--port");
	if (s->which == 1 && s->ctx->port2 == NULL)
		return fail(s, "@switch second: no --port2");
	s->fd = net_connect(s->ctx->host, s->which ? s->ctx->port2 :
	    s->ctx->port, s->timeout_ms, err, sizeof(err));
	if (s->fd < 0)
		return fail(s, "could not connect: %s", err);
	return tls_start(s);
}

static int
step_match(struct sess *s, int regex)
{
	char *pat, line[4096], err[256];
	size_t plen;
	int rc;

	if (expand_vars(s->st->text, regex ? EXPAND_REGEX : EXPAND_GLOB,
	    s->ctx, &pat, &plen, err, sizeof(err)) < 0)
		return fail(s, "%s", err);
	rc = expect_line(s, line, sizeof(line), pat);
	if (rc == 0) {
		rc = regex ? regex_capture(s, pat, line, s->st->names) :
		    glob_match(pat, line);
		if (rc == 0)
			rc = fail(s, "expected '%s' got '%s'", pat, line);
		else if (rc > 0)
			rc = 0;		/* < 0: a bad regex, already a FAIL */
	}
	/* RFC 937 "=ccc" / "#nnn", RFC 918 "#xxx": what "S> data" reads. */
	if (rc == 0 && (line[0] == '=' || line[0] == '#') &&
	    line[1] >= '0' && line[1] <= '9')
		s->ctx->announced = strtol(line + 1, NULL, 10);
	free(pat);
	return rc;
}

/*
 * "S> data": exactly the octets announced by the last "=nnn" / "#nnn"
 * reply, raw: RFC 937 RETR sends the message data with no terminator and
 * no byte-stuffing, its length given beforehand (Message Length).
 */
static int
step_data(struct sess *s)
{
	const struct step *st = s->st;
	const struct fixture *fx = s->ctx->fx;
	unsigned char *exp = NULL;
	size_t explen = 0, want, n;
	const char *why = NULL;
	char e1[200], e2[200];
	int rc = 0;

	if (s->ctx->announced < 0)
		return fail(s, "S> data: no '=nnn' or '#nnn' reply before it "
		    "announced a length");
	want = (size_t)s->ctx->announced;
	if (st->text != NULL)
		fx = fixture_get(st->text);
	if (st->nums[0] != DATA_ANY) {
		size_t count = fx ? fx->nmsgs : 0;

		for (int i = st->nums[0] == DATA_ALL ? 0 : 1;
		    i < (st->nums[0] == DATA_ALL ? (int)count : st->nnums);
		    i++) {
			int m = st->nums[0] == DATA_ALL ? i + 1 : st->nums[i];
			const struct fmsg *f;

			if (fx == NULL || m < 1 || (size_t)m > fx->nmsgs) {
				free(exp);
				return fail(s, "fixture '%s' has no message "
				    "%d", st->text ? st->text : fx ? fx->name :
				    "?", m);
			}
			f = &fx->msgs[m - 1];
			exp = realloc(exp, explen + f->wirelen + 1);
			if (exp == NULL) {
				perror("realloc");
				exit(2);
			}
			memcpy(exp + explen, f->wire, f->wirelen);
			explen += f->wirelen;
		}
		if (explen != want) {
			free(exp);
			return fail(s, "expected a length of %zu octets (the "
			    "fixture's wire size) got '=%zu' / '#%zu' "
			    "announced", explen, want, want);
		}
	}
	while (s->len - s->off < want && !s->eof) {
		if (fill(s, &why) < 0) {
			free(exp);
			return fail(s, "expected %zu raw octets got %zu: %s "
			    "after %d ms", want, s->len - s->off,
			    strcmp(why, "timeout") == 0 ? "nothing more" : why,
			    s->timeout_ms);
		}
	}
	if (s->len - s->off < want) {
		free(exp);
		return fail(s, "expected %zu raw octets got connection closed "
		    "by server after %zu", want, s->len - s->off);
	}
	if (exp != NULL && memcmp(s->buf + s->off, exp, want) != 0) {
		for (n = 0; n < want && s->buf[s->off + n] == exp[n]; n++)
			;
		escape_bytes(exp + n, want - n < 40 ? want - n : 40, e1,
		    sizeof(e1));
		escape_bytes(s->buf + s->off + n, want - n < 40 ? want - n :
		    40, e2, sizeof(e2));
		rc = fail(s, "message data differs at octet %zu of %zu: "
		    "expected '%s' got '%s'", n, want, e1, e2);
	}
	if (s->ctx->verbose)
		fprintf(stderr, "S: <%zu raw octets>\n", want);
	s->off += want;
	free(exp);
	return rc;
}

/*
 * "S? PREFIX": RFC 918 RCEV may answer "+OK" before the mail data, or send
 * the data at once.  Waits until the pending octets can tell (as many as
 * PREFIX, or a LF, or EOF); a line starting with PREFIX is consumed (and
 * must end in CRLF), anything else is left for the next step.
 */
static int
step_optional(struct sess *s)
{
	size_t plen = strlen(s->st->text), have;
	long long deadline = s->deadline;
	const char *why = NULL;
	char out[1024];

	/*
	 * After "#0" no data follows, so silence is the answer "no status
	 * line" too: wait half a second for one, not the step's timeout.
	 */
	if (s->ctx->announced == 0 && s->deadline > now_ms() + 500)
		s->deadline = now_ms() + 500;
	for (;;) {
		have = s->len - s->off;
		if (have >= plen || s->eof || memchr(s->buf + s->off, '\n',
		    have) != NULL)
			break;
		if (have > 0 && memcmp(s->buf + s->off, s->st->text, have)
		    != 0)
			return 0;
		if (fill(s, &why) < 0) {
			int quiet = strcmp(why, "timeout") == 0;

			s->deadline = deadline;
			if (quiet && (have > 0 || s->ctx->announced == 0))
				return 0;
			return fail(s, "expected '%s' or data got %s after "
			    "%d ms", s->st->text, quiet ? "nothing" : why,
			    s->timeout_ms);
		}
	}
	s->deadline = deadline;
	if (have < plen || memcmp(s->buf + s->off, s->st->text, plen) != 0)
		return 0;
	return expect_line(s, out, sizeof(out), s->st->text);
}

/* "@switch main|second": park this connection, take up the other. */
static void
swap_conn(struct sess *s)
{
#define SWAP(a, b) do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)
	SWAP(s->fd, s->other.fd);
	SWAP(s->ssl, s->other.ssl);
	SWAP(s->buf, s->other.buf);
	SWAP(s->off, s->other.off);
	SWAP(s->len, s->other.len);
	SWAP(s->cap, s->other.cap);
	SWAP(s->eof, s->other.eof);
	SWAP(s->lines, s->other.lines);
#undef SWAP
	s->which = !s->which;
}

static int
step_switch(struct sess *s)
{
	if (s->st->nums[0] == s->which)
		return 0;
	swap_conn(s);
	if (s->buf == NULL) {
		s->cap = 131072;
		if ((s->buf = malloc(s->cap)) == NULL) {
			perror("malloc");
			exit(2);
		}
	}
	if (s->fd < 0 && s->which == 1)
		return do_connect(s);
	return 0;
}

static int
step_send(struct sess *s, int raw)
{
	char *text, err[256];
	size_t len;
	int rc;

	if (s->fd < 0)
		return fail(s, "cannot send: the client closed the "
		    "connection");
	if (expand_vars(s->st->text, raw ? EXPAND_RAW | EXPAND_ESCAPES :
	    EXPAND_RAW, s->ctx, &text, &len, err, sizeof(err)) < 0)
		return fail(s, "%s", err);
	if (!raw) {
		text = realloc(text, len + 3);
		if (text == NULL) {
			perror("realloc");
			exit(2);
		}
		memcpy(text + len, "\r\n", 3);
		len += 2;
	}
	rc = send_all(s, text, len);
	free(text);
	return rc;
}

static int
run_step(struct sess *s)
{
	switch (s->st->kind) {
	case STEP_SEND:
		return step_send(s, 0);
	case STEP_SEND_RAW:
		return step_send(s, 1);
	case STEP_CLOSE:
		disconnect(s);
		return 0;
	case STEP_EXPECT:
		return step_match(s, 0);
	case STEP_EXPECT_RE:
		return step_match(s, 1);
	case STEP_EXPECT_RETR:
		return step_retr(s, -1);
	case STEP_EXPECT_TOP:
		return step_retr(s, s->st->nums[1]);
	case STEP_EXPECT_LIST:
		return step_listing(s, 0);
	case STEP_EXPECT_UIDL:
		return step_listing(s, 1);
	case STEP_EXPECT_ANY:
		return step_any(s);
	case STEP_EXPECT_EOF:
		return step_eof(s);
	case STEP_RECONNECT:
		disconnect(s);
		return do_connect(s);
	case STEP_REQUIRE:
		if (strncmp(s->st->text, "capa ", 5) == 0)
			return step_require_capa(s, s->st->text + 5,
			    s->st->nums[0]);
		if (s->ctx->timestamp[0] == '\0')
			return skip(s, "greeting has no APOP timestamp");
		return 0;
	case STEP_SLEEP:
		poll(NULL, 0, s->st->nums[0]);
		return 0;
	case STEP_EXPECT_DATA:
		return step_data(s);
	case STEP_SWITCH:
		return step_switch(s);
	case STEP_EXPECT_OPT:
		return step_optional(s);
	case STEP_STLS:
		return step_stls(s, s->st->nums[0]);
	case STEP_EXPECT_CMP:
		return step_expect_cmp(s);
	}
	return fail(s, "internal error: step kind %d", s->st->kind);
}

void
run_ctx_reset(struct run_ctx *ctx)
{
	for (int i = 0; i <= MAX_UIDS; i++) {
		free(ctx->uids[i]);
		ctx->uids[i] = NULL;
	}
	for (int i = 0; i < ctx->ncaps; i++) {
		free(ctx->caps[i].value);
		ctx->caps[i].value = NULL;
	}
	ctx->ncaps = 0;
	ctx->timestamp[0] = '\0';
	ctx->challenge[0] = '\0';
	ctx->announced = -1;
}

void
run_ctx_free(struct run_ctx *ctx)
{
	run_ctx_reset(ctx);
	SSL_CTX_free(ctx->ssl_ctx);
	ctx->ssl_ctx = NULL;
}

void
run_case(const struct tcase *tc, struct run_ctx *ctx, struct result *res)
{
	struct sess s;

	memset(&s, 0, sizeof(s));
	memset(res, 0, sizeof(*res));
	s.ctx = ctx;
	s.tc = tc;
	s.res = res;
	s.fd = ctx->fd;
	s.other.fd = -1;
	s.timeout_ms = tc->timeout_ms ? tc->timeout_ms : ctx->timeout_ms;
	if (s.timeout_ms <= 0)
		s.timeout_ms = 10000;
	s.cap = 131072;
	if ((s.buf = malloc(s.cap)) == NULL) {
		perror("malloc");
		exit(2);
	}
	run_ctx_reset(ctx);
	ctx->fx = fixture_get(tc->fixture ? tc->fixture : "basic");
	res->kind = RESULT_OK;
	if (ctx->fx == NULL) {
		res->kind = RESULT_FAIL;
		snprintf(res->msg, sizeof(res->msg), "unknown fixture '%s'",
		    tc->fixture);
		free(s.buf);
		return;
	}
	for (s.stepno = 1; s.stepno <= tc->nsteps; s.stepno++) {
		s.st = &tc->steps[s.stepno - 1];
		s.deadline = now_ms() + s.timeout_ms;
		if (s.stepno == 1 && s.st->kind != STEP_RECONNECT &&
		    (s.fd < 0 ? do_connect(&s) : tls_start(&s)) < 0)
			break;
		if (run_step(&s) < 0)
			break;
	}
	/* The caller owns a descriptor it passed in; we own the rest. */
	if (s.which == 1)
		swap_conn(&s);
	tls_end(&s.other.ssl);
	tls_end(&s.ssl);
	if (s.other.fd >= 0)
		close(s.other.fd);
	free(s.other.buf);
	if (s.fd >= 0 && s.fd != ctx->fd)
		close(s.fd);
	free(s.buf);
	run_ctx_reset(ctx);
}

int
apop_digest(const char *timestamp, const char *secret, char hex[33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	ok = c != NULL && EVP_DigestInit_ex(c, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(c, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestUpdate(c, secret, strlen(secret)) == 1 &&
	    EVP_DigestFinal_ex(c, md, &mdlen) == 1 && mdlen == 16;
	EVP_MD_CTX_free(c);
	if (!ok)
		return -1;
	for (unsigned int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return 0;
}
