/*
 * trace.c - --trace DIR: one annotated transcript file per session.
 *
 * Each line: a timestamp, then "C:" (client), "S:" (server) or "#" (a
 * note such as a state change).  Client and server lines are annotated
 * after a " | ": a client line with the session state before and after
 * it and the RFC section that governs the command (the module's
 * trace_cite()); the first server line answering it with the state and
 * the same section; further lines of a multi-line reply with the state.
 * docs/trace.md describes the format.  Secrets are masked using the
 * module's trace_keep(); message bodies are summarised unless
 * --trace-bodies.
 *
 * A client line is written once its first reply (or anything else) is,
 * because only then is the state after it known: a PASS that logs in
 * changes the state before its +OK is queued.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "server.h"

void
trace_open(struct session *s)
{
	const char *dir = s->srv->opt->trace_dir;
	char path[4096];
	int fd;

	if (dir == NULL || dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/%llu-%s.trace", dir,
	    (unsigned long long)s->id, s->proto->name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (s->trace = fdopen(fd, "w")) == NULL) {
		log_warn("conn=%llu event=trace-failed path=%s",
		    (unsigned long long)s->id, path);
		if (fd >= 0)
			close(fd);
		return;
	}
	trace_note(s, "polypop trace: connection from %s to %s%s%s%s", s->peer,
	    s->proto->name, s->lst->spec.profile[0] ? "/" : "",
	    s->lst->spec.profile,
	    s->lst->spec.tls ? " with implicit TLS (RFC 8314)" : "");
}

/* Annotations start at this column, so the eye can run down them. */
#define TRACE_COLUMN	52

static void
trace_stamp_at(FILE *f, const struct timeval *tv)
{
	struct tm tm;
	char buf[32];

	gmtime_r(&tv->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03ld ", buf, (long)(tv->tv_usec / 1000));
}

/* LINE shown safely: printable ASCII as is, the rest as \xHH, the octets
 * from KEEP on masked.  Returns the columns written. */
static size_t
trace_text(FILE *f, const char *line, size_t len, size_t keep)
{
	size_t i, col = 0;

	for (i = 0; i < keep && i < len; i++) {
		unsigned char c = line[i];

		if (c >= 0x20 && c < 0x7f) {
			fputc(c, f);
			col++;
		} else {
			fprintf(f, "\\x%02x", c);
			col += 4;
		}
	}
	if (keep < len) {
		fputs("****", f);
		col += 4;
	}
	return col;
}

/* A module's citation: its own UTF-8 text ("RFC 1939 §7"), so only
 * control octets are escaped. */
static void
trace_cite_text(FILE *f, const char *cite)
{
	for (; *cite != '\0'; cite++) {
		unsigned char c = *cite;

		if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\x%02x", c);
		else
			fputc(c, f);
	}
}

static void
trace_pad(FILE *f, size_t col)
{
	/* "HH:MM:SS.mmm C: " is 16 columns. */
	for (col += 16; col < TRACE_COLUMN; col++)
		fputc(' ', f);
	fputs(" | ", f);
}

/* Write the held client line, now that the state after it is known. */
static void
trace_flush_client(struct session *s)
{
	FILE *f = s->trace;
	size_t col;

	if (!s->tr_held)
		return;
	s->tr_held = 0;
	trace_stamp_at(f, &s->tr_when);
	fputs("C: ", f);
	col = trace_text(f, s->tr_line, s->tr_len, s->tr_len);
	if (s->tr_masked) {
		fputs("****", f);
		col += 4;
	}
	trace_pad(f, col);
	fprintf(f, "%s -> %s", s->tr_before, s->tr_state);
	if (s->tr_cite[0] != '\0') {
		fputs(" | ", f);
		trace_cite_text(f, s->tr_cite);
	}
	fputc('\n', f);
	explicit_bzero(s->tr_line, sizeof(s->tr_line));
}

static void
trace_stamp(FILE *f)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	trace_stamp_at(f, &tv);
}

void
trace_line(struct session *s, const char *dir, const char *line, size_t len)
{
	size_t keep = len, col;

	if (s->trace == NULL)
		return;
	if (dir[0] == 'C') {
		trace_flush_client(s);
		if (s->proto->trace_keep != NULL)
			keep = s->proto->trace_keep(s, line, len);
		/* Only what may be shown is held: a secret never reaches
		 * the buffer. */
		if (keep > len)
			keep = len;
		s->tr_len = keep < sizeof(s->tr_line) ? keep :
		    sizeof(s->tr_line);
		memcpy(s->tr_line, line, s->tr_len);
		s->tr_masked = keep < len;
		s->tr_cite[0] = '\0';
		if (s->proto->trace_cite != NULL)
			s->proto->trace_cite(s, line, len, s->tr_cite,
			    sizeof(s->tr_cite));
		s->tr_before = s->tr_state;
		gettimeofday(&s->tr_when, NULL);
		s->tr_held = 1;
		s->tr_answered = 0;
		return;
	}
	trace_flush_client(s);
	trace_stamp(s->trace);
	fprintf(s->trace, "%s: ", dir);
	col = trace_text(s->trace, line, len, len);
	trace_pad(s->trace, col);
	fputs(s->tr_state, s->trace);
	/* The first line of a reply carries the section of the command it
	 * answers; the greeting, the module's greeting section. */
	if (!s->tr_answered && s->tr_cite[0] != '\0') {
		fputs(" | ", s->trace);
		trace_cite_text(s->trace, s->tr_cite);
	}
	s->tr_answered = 1;
	fputc('\n', s->trace);
	fflush(s->trace);
}

/* The module's state changed (session_trace_state): kept for the
 * annotations, and noted. */
void
trace_state(struct session *s, const char *state)
{
	const char *was = s->tr_state;

	s->tr_state = state;
	if (s->trace == NULL)
		return;
	if (was[0] == '\0') {
		/* The first state: the greeting comes next; let the module
		 * say which section governs it. */
		s->tr_cite[0] = '\0';
		if (s->proto->trace_cite != NULL)
			s->proto->trace_cite(s, NULL, 0, s->tr_cite,
			    sizeof(s->tr_cite));
		s->tr_answered = 0;
		trace_note(s, "state %s", state);
	} else
		trace_note(s, "state %s -> %s", was, state);
}

/* Without --trace-bodies: keep the message's first line (up to 60 octets)
 * for the summary that trace_message() writes. */
static void
trace_first_line(struct session *s, const char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len && !s->tr_first_done; i++) {
		if (buf[i] == '\n' || s->tr_first_len == sizeof(s->tr_first))
			s->tr_first_done = 1;
		else if (buf[i] != '\r')
			s->tr_first[s->tr_first_len++] = buf[i];
	}
}

void
trace_message(struct session *s, size_t number, unsigned long long octets)
{
	if (s->trace == NULL)
		return;
	if (s->srv->opt->trace_bodies)
		trace_note(s, "message %zu sent (%llu octets)", number, octets);
	else {
		trace_flush_client(s);
		trace_stamp(s->trace);
		fprintf(s->trace, "# message %zu sent (%llu octets), "
		    "body not traced; first line: ", number, octets);
		trace_text(s->trace, s->tr_first, s->tr_first_len,
		    s->tr_first_len);
		fputc('\n', s->trace);
		fflush(s->trace);
	}
	s->tr_first_len = 0;
	s->tr_first_done = 0;
}

/*
 * --trace-bodies: the message octets as sent (stuffed), as "S: " lines.
 * Without it only a summary line is written (trace_note in the caller):
 * mail content stays out of transcripts unless asked for.  CRs are left
 * out so lines read naturally; other control octets are escaped.
 */
void
trace_body(struct session *s, const char *buf, size_t len)
{
	size_t i;

	if (s->trace == NULL)
		return;
	if (!s->srv->opt->trace_bodies) {
		trace_first_line(s, buf, len);
		return;
	}
	for (i = 0; i < len; i++) {
		unsigned char c = buf[i];

		if (!s->trace_midline) {
			trace_stamp(s->trace);
			fputs("S: ", s->trace);
			s->trace_midline = 1;
		}
		if (c == '\n') {
			fputc('\n', s->trace);
			s->trace_midline = 0;
		} else if (c == '\r')
			continue;
		else if (c >= 0x20 && c < 0x7f)
			fputc(c, s->trace);
		else
			fprintf(s->trace, "\\x%02x", c);
	}
	fflush(s->trace);
}

void
trace_note(struct session *s, const char *fmt, ...)
{
	va_list ap;

	if (s->trace == NULL)
		return;
	trace_flush_client(s);
	trace_stamp(s->trace);
	fputs("# ", s->trace);
	va_start(ap, fmt);
	vfprintf(s->trace, fmt, ap);
	va_end(ap);
	fputc('\n', s->trace);
	fflush(s->trace);
}

void
trace_close(struct session *s)
{
	if (s->trace == NULL)
		return;
	trace_flush_client(s);
	trace_note(s, "connection closed");
	fclose(s->trace);
	s->trace = NULL;
}
