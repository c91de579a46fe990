/*
 * explain.c - `polypopd explain [--profile NAME] [--strict] TRANSCRIPT`:
 * annotate a POP3 transcript captured elsewhere as --trace annotates
 * polypopd's own, against one revision, and flag what that revision's
 * server would not have sent or accepted (docs/explain.md).
 *
 * This file reads the transcript, recognises its line formats and prints;
 * the analysis is the POP3 module's (pop3_explain_*() in pop3.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "polypopd.h"
#include "pop3.h"

/* As in --trace: annotations start at this column. */
#define EXPLAIN_COLUMN	52

static const char explain_usage[] =
"usage: polypopd explain [--profile NAME] [--strict] TRANSCRIPT\n"
"  TRANSCRIPT  a file of client/server lines, or - for standard input:\n"
"              \"C: text\" / \"S: text\", \"> text\" / \"< text\", or\n"
"              polypopd --trace lines\n"
"  --profile   rfc1081, rfc1082, rfc1225, rfc1460, rfc1725, rfc1939 or\n"
"              current (the default)\n"
"  --strict    also flag what the revision only discourages\n"
"Exit status: 0 nothing flagged, 1 something flagged, 2 usage or I/O "
"error.\n";

struct explain_counts {
	size_t lines, commands, flagged;
};

/* The text as --trace shows it: printable ASCII, the rest as \xHH.
 * Returns the columns written. */
static size_t
explain_text(const char *s, size_t n)
{
	size_t i, col = 0;

	for (i = 0; i < n; i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f) {
			putchar(c);
			col++;
		} else {
			printf("\\x%02x", c);
			col += 4;
		}
	}
	return col;
}

/*
 * Reports of skipped lines that came after a client line still held for
 * its reply: printed right after that line's row, which is always the
 * first row of the next output, so the report stays in input order.
 */
struct explain_skipped {
	char *text;
	size_t len, cap;
};

static void
skipped_add(struct explain_skipped *k, const char *s, size_t n)
{
	char *t;

	if (k->len + n + 1 > k->cap) {
		if ((t = realloc(k->text, (k->len + n + 1) * 2)) == NULL)
			return;		/* the report is lost, not the run */
		k->text = t;
		k->cap = (k->len + n + 1) * 2;
	}
	memcpy(k->text + k->len, s, n);
	k->len += n;
	k->text[k->len] = '\0';
}

static void
skipped_flush(struct explain_skipped *k)
{
	if (k->len > 0)
		fputs(k->text, stdout);
	k->len = 0;
}

/* The report of a line in none of the formats. */
static void
skipped_report(struct explain_skipped *k, int held, size_t lineno,
    const char *s, size_t n)
{
	char buf[512];
	size_t i, at;

	at = (size_t)snprintf(buf, sizeof(buf), "   ?? line %zu is not a "
	    "transcript line, skipped: ", lineno);
	for (i = 0; i < n && i < 60 && at + 5 < sizeof(buf); i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f)
			buf[at++] = (char)c;
		else
			at += (size_t)snprintf(buf + at, sizeof(buf) - at,
			    "\\x%02x", c);
	}
	at += (size_t)snprintf(buf + at, sizeof(buf) - at, "%s\n",
	    n > 60 ? "..." : "");
	if (at >= sizeof(buf))
		at = sizeof(buf) - 1;
	if (held)
		skipped_add(k, buf, at);
	else
		fputs(buf, stdout);
}

static void
explain_print(const struct pop3_explain_out *out, struct explain_counts *n,
    struct explain_skipped *k)
{
	const struct pop3_explain_row *r;
	size_t i, j, col;

	for (i = 0; i < out->nrows; i++) {
		r = &out->row[i];
		if (r->dir != 0) {
			printf("%c: ", r->dir);
			col = 3 + explain_text(r->text, r->len);
			for (; col < EXPLAIN_COLUMN; col++)
				putchar(' ');
			printf(" | %s\n", r->note);
			n->lines++;
		}
		if (r->command)
			n->commands++;
		for (j = 0; j < r->nflags && j < POP3_EXPLAIN_FLAGS; j++)
			printf("   !! %s\n", r->flag[j]);
		if (r->nflags > POP3_EXPLAIN_FLAGS)
			printf("   !! (%zu more)\n",
			    r->nflags - POP3_EXPLAIN_FLAGS);
		if (r->nflags > 0)
			n->flagged++;
		if (i == 0)
			skipped_flush(k);
	}
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether the N octets at S contain WHAT. */
static int
contains(const char *s, size_t n, const char *what)
{
	size_t i, k = strlen(what);

	for (i = 0; i + k <= n; i++)
		if (memcmp(s + i, what, k) == 0)
			return 1;
	return 0;
}

/* "HH:MM:SS.mmm " */
static int
trace_stamp(const char *s, size_t n)
{
	return n >= 13 && is_digit(s[0]) && is_digit(s[1]) && s[2] == ':' &&
	    is_digit(s[3]) && is_digit(s[4]) && s[5] == ':' &&
	    is_digit(s[6]) && is_digit(s[7]) && s[8] == '.' &&
	    is_digit(s[9]) && is_digit(s[10]) && is_digit(s[11]) &&
	    s[12] == ' ';
}

/* Where a --trace line's annotations start (" | STATE"), or N. */
static size_t
trace_cut(const char *s, size_t n)
{
	static const char *const states[] = {
		"AUTHORIZATION", "TRANSACTION", "UPDATE", NULL,
	};
	size_t i, k, len;

	for (i = EXPLAIN_COLUMN; i + 3 <= n; i++) {
		if (memcmp(s + i, " | ", 3) != 0)
			continue;
		for (k = 0; states[k] != NULL; k++) {
			len = strlen(states[k]);
			if (n - i - 3 >= len &&
			    memcmp(s + i + 3, states[k], len) == 0)
				return i;
		}
	}
	return n;
}

/*
 * One input line: its direction ('C', 'S', '#' for a trace note that a
 * body was not traced), and its text.  Returns 1 for a transcript line,
 * 0 for one to skip silently (blank, other trace notes), -1 for one that
 * is none of the formats.
 */
static int
explain_parse(const char *s, size_t n, char *dir, const char **text,
    size_t *len)
{
	size_t i = 0, cut;

	if (trace_stamp(s, n)) {
		if (n >= 14 && s[13] == '#') {
			if (!contains(s, n, "body not traced"))
				return 0;
			*dir = '#';
			*text = s;
			*len = 0;
			return 1;
		}
		if (n >= 16 && (s[13] == 'C' || s[13] == 'S') &&
		    s[14] == ':' && (n == 15 || s[15] == ' ')) {
			*dir = s[13];
			cut = trace_cut(s, n);
			/* Up to column 52 the spaces are padding. */
			if (cut == EXPLAIN_COLUMN)
				while (cut > 16 && s[cut - 1] == ' ')
					cut--;
			*text = s + 16;
			*len = cut > 16 ? cut - 16 : 0;
			return 1;
		}
		return -1;
	}
	while (i < n && is_space(s[i]))
		i++;
	if (i == n)
		return 0;
	if (i + 1 < n && s[i + 1] == ':' &&
	    (s[i] == 'C' || s[i] == 'c' || s[i] == 'S' || s[i] == 's')) {
		*dir = (s[i] == 'C' || s[i] == 'c') ? 'C' : 'S';
		i += 2;
	} else if ((s[i] == '>' || s[i] == '<') &&
	    (i + 1 == n || is_space(s[i + 1]))) {
		*dir = s[i] == '>' ? 'C' : 'S';
		i++;
	} else
		return -1;
	while (i < n && is_space(s[i]))
		i++;
	*text = s + i;
	*len = n - i;
	return 1;
}

int
explain_main(int argc, char **argv)
{
	const char *profile = "", *path = NULL;
	struct pop3_explain_out *out;
	struct pop3_explain *x;
	struct explain_counts counts = { 0, 0, 0 };
	struct explain_skipped skipped = { NULL, 0, 0 };
	int held = 0;
	char *line = NULL;
	const char *text;
	size_t cap = 0, len, lineno = 0;
	ssize_t got;
	FILE *f;
	char dir;
	int i, strict = 0, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--strict") == 0)
			strict = 1;
		else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile = argv[++i];
		else if (strncmp(argv[i], "--profile=", 10) == 0)
			profile = argv[i] + 10;
		else if (strcmp(argv[i], "--help") == 0 ||
		    strcmp(argv[i], "-h") == 0) {
			fputs(explain_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, "polypopd explain: unknown option "
			    "'%s'\n%s", argv[i], explain_usage);
			return 2;
		} else if (path == NULL)
			path = argv[i];
		else {
			fprintf(stderr, "polypopd explain: one transcript "
			    "only\n%s", explain_usage);
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "polypopd explain: no transcript given\n%s",
		    explain_usage);
		return 2;
	}
	if (strcmp(profile, "current") == 0)
		profile = "";
	if ((x = pop3_explain_new(profile, strict)) == NULL) {
		fprintf(stderr, "polypopd explain: unknown profile '%s' "
		    "(rfc1081, rfc1082, rfc1225, rfc1460, rfc1725, rfc1939, "
		    "current)\n", profile);
		return 2;
	}
	if (strcmp(path, "-") == 0)
		f = stdin;
	else if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "polypopd explain: %s: %s\n", path,
		    strerror(errno));
		pop3_explain_free(x);
		return 2;
	}
	if ((out = malloc(sizeof(*out))) == NULL) {
		fprintf(stderr, "polypopd explain: out of memory\n");
		if (f != stdin)
			fclose(f);
		pop3_explain_free(x);
		return 2;
	}

	while ((got = getline(&line, &cap, f)) >= 0) {
		len = (size_t)got;
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		if (len > 0 && line[len - 1] == '\r')
			len--;
		rc = explain_parse(line, len, &dir, &text, &len);
		if (rc == 0)
			continue;
		if (rc < 0) {
			skipped_report(&skipped, held, lineno, line, len);
			continue;
		}
		pop3_explain_line(x, dir, text, len, out);
		explain_print(out, &counts, &skipped);
		/* A client line not in the rows waits for its reply. */
		if (dir == 'C')
			held = out->nrows == 0 ||
			    out->row[out->nrows - 1].text != text;
		else if (out->nrows > 0)
			held = 0;
	}
	rc = ferror(f) ? 2 : 0;
	if (rc != 0)
		fprintf(stderr, "polypopd explain: %s: read error\n", path);
	else {
		pop3_explain_end(x, out);
		explain_print(out, &counts, &skipped);
		skipped_flush(&skipped);
		printf("%zu lines, %zu commands, %zu flagged (profile %s)\n",
		    counts.lines, counts.commands, counts.flagged,
		    profile[0] ? profile : "current");
		rc = counts.flagged > 0 ? 1 : 0;
	}
	free(line);
	free(skipped.text);
	free(out);
	if (f != stdin)
		fclose(f);
	pop3_explain_free(x);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "polypopd explain: write error\n");
		return 2;
	}
	return rc;
}
