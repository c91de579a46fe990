/*
 * trace.c - --trace DIR: one transcript file per session.
 *
 * Each line: a timestamp, then "C:" (client), "S:" (server) or "#" (a
 * note such as a state change).  Secrets are masked using the module's
 * trace_keep(); message bodies are summarised, never copied.
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
	trace_note(s, "connection from %s to %s%s%s", s->peer,
	    s->proto->name, s->lst->spec.profile[0] ? "/" : "",
	    s->lst->spec.profile);
}

static void
trace_stamp(FILE *f)
{
	struct timeval tv;
	struct tm tm;
	char buf[32];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%03ld ", buf, (long)(tv.tv_usec / 1000));
}

void
trace_line(struct session *s, const char *dir, const char *line, size_t len)
{
	size_t keep = len, i;

	if (s->trace == NULL)
		return;
	if (dir[0] == 'C' && s->proto->trace_keep != NULL)
		keep = s->proto->trace_keep(s, line, len);
	trace_stamp(s->trace);
	fprintf(s->trace, "%s: ", dir);
	for (i = 0; i < keep && i < len; i++) {
		unsigned char c = line[i];

		if (c >= 0x20 && c < 0x7f)
			fputc(c, s->trace);
		else
			fprintf(s->trace, "\\x%02x", c);
	}
	if (keep < len)
		fputs("****", s->trace);
	fputc('\n', s->trace);
	fflush(s->trace);
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

	if (s->trace == NULL || !s->srv->opt->trace_bodies)
		return;
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
	trace_note(s, "connection closed");
	fclose(s->trace);
	s->trace = NULL;
}
