/*
 * The fixture corpus.  Each message is kept as the bytes a delivery agent
 * would hand over ("raw") and as the bytes RFC 1939 makes a server send
 * ("wire"): §11 counts end-of-line as CRLF, and polypop appends CRLF when
 * the last line has no newline, so every wire message ends with CRLF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) {
		perror("malloc");
		exit(2);
	}
	return p;
}

size_t
wire_normalise(const unsigned char *in, size_t len, unsigned char **out)
{
	unsigned char *o = xmalloc(2 * len + 2);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			o[n++] = '\r';
		o[n++] = in[i];
	}
	if (len > 0 && in[len - 1] != '\n') {
		o[n++] = '\r';
		o[n++] = '\n';
	}
	*out = o;
	return n;
}

/* RFC 1939 §3: byte-stuff lines starting with '.', end with ".CRLF". */
size_t
wire_stuff(const unsigned char *in, size_t len, unsigned char **out)
{
	unsigned char *o = xmalloc(2 * len + 3);
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		if (in[i] == '.' && (i == 0 || in[i - 1] == '\n'))
			o[n++] = '.';
		o[n++] = in[i];
	}
	memcpy(o + n, ".\r\n", 3);
	*out = o;
	return n + 3;
}

/*
 * RFC 1939 §7 TOP: the headers, the blank line, then `lines' body lines.
 * Returns how many leading wire octets that is.
 */
size_t
wire_top(const unsigned char *w, size_t len, long lines)
{
	size_t i = 0;

	/* Find the empty line ending the header. */
	for (;;) {
		if (i + 2 <= len && w[i] == '\r' && w[i + 1] == '\n') {
			i += 2;
			break;
		}
		while (i < len && w[i] != '\n')
			i++;
		if (i >= len)
			return len;
		i++;
	}
	while (lines-- > 0 && i < len) {
		while (i < len && w[i] != '\n')
			i++;
		if (i < len)
			i++;
	}
	return i;
}

/* RFC 4155 mboxrd: every line matching ^>*From  gains one '>'. */
size_t
mboxrd_quote(const unsigned char *in, size_t len, unsigned char **out)
{
	unsigned char *o = xmalloc(2 * len + 1);
	size_t n = 0, j;

	for (size_t i = 0; i < len; i++) {
		if (i == 0 || in[i - 1] == '\n') {
			for (j = i; j < len && in[j] == '>'; j++)
				;
			if (len - j >= 5 && memcmp(in + j, "From ", 5) == 0)
				o[n++] = '>';
		}
		o[n++] = in[i];
	}
	*out = o;
	return n;
}

/* Growable byte buffer for building messages. */
struct buf {
	unsigned char	*p;
	size_t		 len, cap;
};

static void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (b->p == NULL) {
			perror("realloc");
			exit(2);
		}
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void
buf_str(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

static void
msg_set(struct fmsg *m, const char *name, struct buf *b)
{
	m->name = name;
	m->raw = b->p;
	m->rawlen = b->len;
	m->wirelen = wire_normalise(m->raw, m->rawlen, &m->wire);
	memset(b, 0, sizeof(*b));
}

static void
headers(struct buf *b, const char *id, const char *subject, const char *eol)
{
	char line[256];

	snprintf(line, sizeof(line),
	    "From: Carol Example <carol@example.org>%s"
	    "To: alice@example.org%s"
	    "Subject: %s%s"
	    "Date: Mon, 01 Jan 2024 12:00:00 +0000%s"
	    "Message-ID: <%s@fixture.polypop.test>%s", eol, eol, subject, eol,
	    eol, id, eol);
	buf_str(b, line);
}

static void
build_basic(struct fixture *fx)
{
	struct buf b = { 0 };
	char line[64];

	fx->nmsgs = 3;
	fx->msgs = xmalloc(fx->nmsgs * sizeof(*fx->msgs));
	headers(&b, "basic-1", "first", "\n");
	buf_str(&b, "\nHello Alice.\nThis is the first message.\n");
	msg_set(&fx->msgs[0], "first", &b);

	headers(&b, "basic-2", "second", "\n");
	buf_str(&b, "\nThe second message has\nthree lines\nof body.\n");
	msg_set(&fx->msgs[1], "second", &b);

	headers(&b, "basic-3", "third, ten numbered lines", "\n");
	buf_str(&b, "\n");
	for (int i = 1; i <= 10; i++) {
		snprintf(line, sizeof(line), "body line %d\n", i);
		buf_str(&b, line);
	}
	msg_set(&fx->msgs[2], "third", &b);
}

#define BIG_SIZE (1024 * 1024)

static void
build_hard(struct fixture *fx)
{
	struct buf b = { 0 };
	char line[128];
	unsigned char c;
	unsigned long seed = 1939;
	int n = 0;

	fx->nmsgs = 8;
	fx->msgs = xmalloc(fx->nmsgs * sizeof(*fx->msgs));

	/* Lines starting with '.', and lines that are only '.' or '..'. */
	headers(&b, "hard-dots", "dots", "\n");
	buf_str(&b, "\n.leading dot\n..two leading dots\n.\nafter a lone dot\n"
	    "..\n. dot space\n...\n.\n");
	msg_set(&fx->msgs[n++], "dots", &b);

	/* "From " in the body: mboxrd quotes it on disk, POP3 must not. */
	headers(&b, "hard-from", "From lines", "\n");
	buf_str(&b, "\nFrom the start of a line.\n>From once quoted\n"
	    ">>From twice quoted\nFrom: looks like a header\n\n"
	    "From sender@example.org Mon Jan  1 00:00:00 2024\n"
	    " From indented\nFromage\n");
	msg_set(&fx->msgs[n++], "from", &b);

	/* Stored with CRLF already: must not become CRCRLF. */
	headers(&b, "hard-crlf", "CRLF file", "\r\n");
	buf_str(&b, "\r\nThis message is stored with CRLF.\r\n.\r\n"
	    ".dot line\r\nlast line\r\n");
	msg_set(&fx->msgs[n++], "crlf", &b);

	/* 8-bit bodies: every octet 0x80-0xff, UTF-8 and Latin-1 text. */
	headers(&b, "hard-8bit", "8-bit body", "\n");
	buf_str(&b, "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, \xe2\x82\xac 5\n"
	    "Latin-1: caf\xe9 na\xefve\n");
	for (int i = 0x80; i <= 0xff; i++) {
		c = (unsigned char)i;
		buf_add(&b, &c, 1);
		if ((i & 0x1f) == 0x1f)
			buf_str(&b, "\n");
	}
	buf_str(&b, "tab\there, DEL \x7f end\n");
	msg_set(&fx->msgs[n++], "8bit", &b);

	/* Headers and the separating blank line, no body at all. */
	headers(&b, "hard-empty", "empty body", "\n");
	buf_str(&b, "\n");
	msg_set(&fx->msgs[n++], "emptybody", &b);

	/* The last line has no newline: the server appends CRLF. */
	headers(&b, "hard-nonl", "no final newline", "\n");
	buf_str(&b, "\nfirst body line\nlast line without newline");
	msg_set(&fx->msgs[n++], "nonl", &b);

	/* A 2000-octet body line: only commands are length-limited. */
	headers(&b, "hard-long", "long line", "\n");
	buf_str(&b, "\n");
	for (int i = 0; i < 2000; i++)
		buf_add(&b, &"0123456789abcdefghijklmnopqrstuvwxyz"[i % 36], 1);
	buf_str(&b, "\nshort line\n");
	msg_set(&fx->msgs[n++], "longline", &b);

	/* 1 MiB of deterministic text, a dot line every 997 lines. */
	headers(&b, "hard-big", "one mebibyte", "\n");
	buf_str(&b, "\n");
	for (int i = 0; b.len < BIG_SIZE - 100; i++) {
		int k;

		k = snprintf(line, sizeof(line), "%s%06d ",
		    i % 997 == 0 ? "." : "", i);
		for (; k < 72; k++) {
			seed = seed * 1103515245 + 12345;
			line[k] = "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJ"
			    [(seed >> 16) % 37];
		}
		line[k++] = '\n';
		buf_add(&b, line, k);
	}
	while (b.len < BIG_SIZE - 1)
		buf_str(&b, "x");
	buf_str(&b, "\n");
	msg_set(&fx->msgs[n++], "big", &b);
}

/*
 * RFC 6532 header fields: raw UTF-8 in message 1's From display name and
 * Subject (addresses stay ASCII), for RFC 6856 §2.1; message 2 is ASCII.
 */
static void
build_utf8hdr(struct fixture *fx)
{
	struct buf b = { 0 };

	fx->nmsgs = 2;
	fx->msgs = xmalloc(fx->nmsgs * sizeof(*fx->msgs));
	buf_str(&b, "From: J\xc3\xbcrgen <juergen@example.org>\n"
	    "To: alice@example.org\n"
	    "Subject: Gr\xc3\xbc\xc3\x9f" "e\n"
	    "Date: Mon, 01 Jan 2024 12:00:00 +0000\n"
	    "Message-ID: <utf8hdr-1@fixture.polypop.test>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=utf-8\n"
	    "Content-Transfer-Encoding: 8bit\n\n"
	    "Viele Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln.\n");
	msg_set(&fx->msgs[0], "utf8", &b);

	headers(&b, "utf8hdr-2", "plain ASCII", "\n");
	buf_str(&b, "\nThis message is ASCII only.\n");
	msg_set(&fx->msgs[1], "ascii", &b);
}

static struct fixture fixtures[] = {
	{ "empty", NULL, 0 },
	{ "basic", NULL, 0 },
	{ "hard", NULL, 0 },
	{ "utf8hdr", NULL, 0 },
};

static const char *const names[] = { "empty", "basic", "hard", "utf8hdr",
    NULL };

const char *const *
fixture_names(void)
{
	return names;
}

const struct fixture *
fixture_get(const char *name)
{
	static int built;

	if (!built) {
		build_basic(&fixtures[1]);
		build_hard(&fixtures[2]);
		build_utf8hdr(&fixtures[3]);
		built = 1;
	}
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		if (strcmp(fixtures[i].name, name) == 0)
			return &fixtures[i];
	return NULL;
}

static int
write_file(const char *path, const void *p, size_t len, char *err,
    size_t errlen)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return -1;
	}
	return 0;
}

static int
mkdir_p(const char *path, char *err, size_t errlen)
{
	char tmp[4096];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp)) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "mkdir %s: %s", tmp, strerror(errno));
	return -1;
}

static int
write_maildir(const struct fixture *fx, const char *out, char *err,
    size_t errlen)
{
	static const char *const sub[] = { "new", "cur", "tmp" };
	char path[4096];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, sub[i]);
		if (mkdir_p(path, err, errlen) < 0)
			return -1;
	}
	/* Names sort in delivery order: time stamp, then sequence. */
	for (size_t i = 0; i < fx->nmsgs; i++) {
		snprintf(path, sizeof(path),
		    "%s/new/%ld.M%06zuP1.fixture.polypop.test", out,
		    1700000000L + (long)i, i + 1);
		if (write_file(path, fx->msgs[i].raw, fx->msgs[i].rawlen, err,
		    errlen) < 0)
			return -1;
	}
	return 0;
}

static int
write_mbox(const struct fixture *fx, const char *out, char *err,
    size_t errlen)
{
	static const char sep[] =
	    "From fixture@polypop.test Mon Jan  1 12:00:00 2024\n";
	struct buf b = { 0 };
	unsigned char *q;
	size_t qlen;
	int rc;

	for (size_t i = 0; i < fx->nmsgs; i++) {
		buf_str(&b, sep);
		qlen = mboxrd_quote(fx->msgs[i].raw, fx->msgs[i].rawlen, &q);
		buf_add(&b, q, qlen);
		free(q);
		if (qlen == 0 || fx->msgs[i].raw[fx->msgs[i].rawlen - 1] !=
		    '\n')
			buf_str(&b, "\n");
		buf_str(&b, "\n");
	}
	rc = write_file(out, b.p ? (void *)b.p : (void *)"", b.len, err,
	    errlen);
	free(b.p);
	return rc;
}

static int
write_each(const struct fixture *fx, const char *out, int wire, char *err,
    size_t errlen)
{
	char path[4096];
	FILE *idx;

	if (mkdir_p(out, err, errlen) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/index", out);
	if ((idx = fopen(path, "w")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < fx->nmsgs; i++) {
		const struct fmsg *m = &fx->msgs[i];

		fprintf(idx, "%zu %zu %s\n", i + 1, m->wirelen, m->name);
		snprintf(path, sizeof(path), "%s/%03zu.%s", out, i + 1,
		    wire ? "wire" : "eml");
		if (write_file(path, wire ? m->wire : m->raw,
		    wire ? m->wirelen : m->rawlen, err, errlen) < 0) {
			fclose(idx);
			return -1;
		}
	}
	if (fclose(idx) != 0) {
		snprintf(err, errlen, "index: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * format: "maildir" (out is the Maildir), "mbox" (out is the mbox file),
 * "raw" (out/NNN.eml, one per message, for piping into a delivery agent)
 * or "wire" (out/NNN.wire, what RETR must return, un-stuffed).  Both of
 * the last two also write out/index: "N wire-size name" per line.
 */
int
fixture_write(const struct fixture *fx, const char *format, const char *out,
    char *err, size_t errlen)
{
	if (strcmp(format, "maildir") == 0)
		return write_maildir(fx, out, err, errlen);
	if (strcmp(format, "mbox") == 0)
		return write_mbox(fx, out, err, errlen);
	if (strcmp(format, "raw") == 0)
		return write_each(fx, out, 0, err, errlen);
	if (strcmp(format, "wire") == 0)
		return write_each(fx, out, 1, err, errlen);
	snprintf(err, errlen, "unknown format '%s'", format);
	return -1;
}
