/*
 * log.c - one line per event on standard error.
 *
 * Each line starts with a UTC timestamp and the level, then the caller's
 * key=value text (OpenSMTPD style), so logs grep well and sort by time.
 */
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "log.h"

static enum log_level log_threshold = LOG_INFO;

static const char *const log_names[] = {
	[LOG_ERROR] = "error",
	[LOG_WARN] = "warn",
	[LOG_INFO] = "info",
	[LOG_DEBUG] = "debug",
};

void
log_set_level(enum log_level level)
{
	log_threshold = level;
}

void
log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char line[2048], stamp[32];
	struct timeval tv;
	struct tm tm;
	int n;

	if (level > log_threshold)
		return;
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(line, sizeof(line), "%s.%03ldZ polypopd %s: ", stamp,
	    (long)(tv.tv_usec / 1000), log_names[level]);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	/* One write per line so concurrent writers do not interleave. */
	fprintf(stderr, "%s\n", line);
}

void
log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}
