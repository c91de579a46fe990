/*
 * mbox_date.c - the arrival date in an mbox "From " separator line.
 *
 * RFC 4155 says only that the line is "From ", an address, and "a
 * timestamp indicating the UTC date and time when the message was
 * originally received, conformant with the syntax of the traditional
 * UNIX 'ctime' output sans timezone".  Writers differ in the details,
 * so the reader is lenient:
 *
 *   From alice@example.org Tue Nov 23 10:00:00 2026
 *   From alice@example.org  Tue Nov  3 10:00 2026          (no seconds)
 *   From alice Tue Nov 23 10:00:00 2026 +0100              (numeric zone)
 *   From alice Tue Nov 23 10:00:00 PST 2026                (zone name)
 *   From "a b"@example.org Tue Nov 23 10:00:00 2026 remote from x
 *
 * The address may itself contain spaces, so the date is found by looking
 * for a weekday token followed by a month token rather than by counting
 * fields.  A numeric zone is applied; a zone name is ignored (names are
 * ambiguous) and the time taken as UTC, the mbox convention.  Pure: no
 * locale, no TZ environment, no allocation.
 */

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "mbox_parse.h"

#define DATE_MAXTOK	32

struct tok {
	const char *p;
	size_t len;
};

static const char *const date_wdays[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat",
};
static const char *const date_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* Index of T in NAMES (3-letter, any case), or -1. */
static int
date_name(const struct tok *t, const char *const *names, int n)
{
	int i;

	if (t->len != 3)
		return -1;
	for (i = 0; i < n; i++)
		if (strncasecmp(t->p, names[i], 3) == 0)
			return i;
	return -1;
}

/* T as a decimal number of 1..MAXDIG digits, or -1. */
static long
date_num(const char *p, size_t len, size_t maxdig)
{
	long v = 0;
	size_t i;

	if (len == 0 || len > maxdig)
		return -1;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/* "HH:MM" or "HH:MM:SS" into seconds since midnight, or -1. */
static long
date_clock(const struct tok *t)
{
	long h, m, s = 0;

	if (t->len != 5 && t->len != 8)
		return -1;
	if (t->p[2] != ':' || (t->len == 8 && t->p[5] != ':'))
		return -1;
	h = date_num(t->p, 2, 2);
	m = date_num(t->p + 3, 2, 2);
	if (t->len == 8)
		s = date_num(t->p + 6, 2, 2);
	/* 60 is a leap second; it folds into the next minute. */
	if (h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s > 60)
		return -1;
	return h * 3600 + m * 60 + s;
}

/* "+HHMM" / "-HHMM" into seconds east of UTC; 1 when T is one. */
static int
date_zone(const struct tok *t, long *off)
{
	long hh, mm;

	if (t->len != 5 || (t->p[0] != '+' && t->p[0] != '-'))
		return 0;
	hh = date_num(t->p + 1, 2, 2);
	mm = date_num(t->p + 3, 2, 2);
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return 0;
	*off = (hh * 3600 + mm * 60) * (t->p[0] == '-' ? -1 : 1);
	return 1;
}

/* A zone name such as "UTC", "PST" or "CEST": 1..5 letters. */
static int
date_zone_name(const struct tok *t)
{
	size_t i;

	if (t->len == 0 || t->len > 5)
		return 0;
	for (i = 0; i < t->len; i++)
		if (!((t->p[i] >= 'A' && t->p[i] <= 'Z') ||
		    (t->p[i] >= 'a' && t->p[i] <= 'z')))
			return 0;
	return 1;
}

static int
date_leap(long y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Days from 1970-01-01 to Y-M-D (M 1..12), proleptic Gregorian. */
static long
date_days(long y, long m, long d)
{
	static const int before[12] = {
		0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334,
	};
	long days = (y - 1970) * 365;

	/* Leap days in the years 1970 .. y-1. */
	days += ((y - 1) / 4 - 1969 / 4) - ((y - 1) / 100 - 1969 / 100) +
	    ((y - 1) / 400 - 1969 / 400);
	days += before[m - 1] + (m > 2 && date_leap(y)) + d - 1;
	return days;
}

/*
 * Try the date starting at token W (the weekday) of N tokens.  Returns
 * the time, or 0 when the tokens from W on are not a date.
 */
static time_t
date_at(const struct tok *t, size_t n, size_t w)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31,
	};
	long mon, day, clock, year = -1, off = 0, z;
	size_t i;
	int64_t secs;

	if (w + 3 >= n)
		return 0;
	if ((mon = date_name(&t[w + 1], date_months, 12)) < 0)
		return 0;
	if ((day = date_num(t[w + 2].p, t[w + 2].len, 2)) < 1 ||
	    day > mdays[mon])
		return 0;
	if ((clock = date_clock(&t[w + 3])) < 0)
		return 0;
	/* Then the year, with at most one zone before or after it. */
	for (i = w + 4; i < n && i < w + 7; i++) {
		if (year < 0 && (z = date_num(t[i].p, t[i].len, 4)) >= 0) {
			if (t[i].len != 4)
				return 0;
			year = z;
		} else if (date_zone(&t[i], &off))
			continue;
		else if (year < 0 && date_zone_name(&t[i]))
			continue;
		else
			break;
	}
	if (year < 1970)
		return 0;
	if (mon == 1 && day == 29 && !date_leap(year))
		return 0;
	secs = (int64_t)date_days(year, mon + 1, day) * 86400 + clock - off;
	if (secs <= 0)
		return 0;
	/* A 32-bit time_t cannot hold every 4-digit year. */
	if ((int64_t)(time_t)secs != secs)
		return 0;
	return (time_t)secs;
}

time_t
mbox_from_date(const char *line, size_t len)
{
	struct tok t[DATE_MAXTOK];
	size_t n = 0, i, w;
	time_t when;

	if (len < 5 || memcmp(line, "From ", 5) != 0)
		return 0;
	for (i = 5; i < len && n < DATE_MAXTOK; ) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		t[n].p = line + i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		t[n].len = (size_t)(line + i - t[n].p);
		n++;
	}
	/* Token 0 is normally the address, but a writer that left it out
	 * still gave a date. */
	for (w = 0; w < n; w++) {
		if (date_name(&t[w], date_wdays, 7) < 0)
			continue;
		if ((when = date_at(t, n, w)) != 0)
			return when;
	}
	return 0;
}
