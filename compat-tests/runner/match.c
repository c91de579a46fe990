/*
 * Line matchers: "S:" lines are globs where only '*' is special ("\*" and
 * "\\" are literal), "S~" lines are POSIX extended regular expressions.
 */
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "conform.h"

/* Whole-string match; '*' matches any run of characters. */
int
glob_match(const char *pat, const char *s)
{
	const char *star_p = NULL, *star_s = NULL;

	for (;;) {
		if (*pat == '*') {
			star_p = ++pat;
			star_s = s;
			continue;
		}
		if (*pat == '\\' && (pat[1] == '*' || pat[1] == '\\')) {
			if (*s == pat[1]) {
				pat += 2;
				s++;
				continue;
			}
		} else if (*pat != '\0' && *pat == *s) {
			pat++;
			s++;
			continue;
		} else if (*pat == '\0' && *s == '\0') {
			return 1;
		}
		/* Mismatch: let the last star swallow one more character. */
		if (star_p == NULL || *star_s == '\0')
			return 0;
		pat = star_p;
		s = ++star_s;
	}
}

/* Returns 1 on a match, 0 on none, -1 if the expression is invalid. */
int
regex_search(const char *re, const char *s, char *err, size_t errlen)
{
	regex_t rx;
	int rc;

	rc = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
	if (rc != 0) {
		regerror(rc, &rx, err, errlen);
		return -1;
	}
	rc = regexec(&rx, s, 0, NULL, 0);
	regfree(&rx);
	return rc == 0;
}

/* Printable rendering of bytes for FAIL lines, cut to outlen. */
void
escape_bytes(const void *p, size_t len, char *out, size_t outlen)
{
	const unsigned char *b = p;
	size_t n = 0;
	char tmp[8];

	if (outlen == 0)
		return;
	for (size_t i = 0; i < len; i++) {
		const char *e = tmp;

		if (b[i] == '\r')
			e = "\\r";
		else if (b[i] == '\n')
			e = "\\n";
		else if (b[i] == '\t')
			e = "\\t";
		else if (b[i] == '\\')
			e = "\\\\";
		else if (b[i] == '\'')
			e = "\\'";
		else if (b[i] < 0x20 || b[i] >= 0x7f)
			snprintf(tmp, sizeof(tmp), "\\x%02x", b[i]);
		else {
			tmp[0] = (char)b[i];
			tmp[1] = '\0';
		}
		if (n + strlen(e) + 4 > outlen) {
			if (outlen >= 4) {
				memcpy(out + n, "...", 3);
				n += 3;
			}
			break;
		}
		memcpy(out + n, e, strlen(e));
		n += strlen(e);
	}
	out[n] = '\0';
}
