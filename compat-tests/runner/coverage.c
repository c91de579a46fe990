/*
 * Clauses and what covers them (compat-tests/README.md, "Coverage and
 * reports"): the section inventory compat-tests/clauses.txt (written by
 * clauses.py from the RFC texts), untestable.txt, the clauses a case
 * covers, COVERAGE.md, and the --report matrix.  Pure functions over bytes
 * and FILE streams, so the Check suite drives them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform.h"

static void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) {
		perror("realloc");
		exit(2);
	}
	return p;
}

static char *
xstrdup_n(const char *s, size_t n)
{
	char *p = xrealloc(NULL, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int
read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 0, n;

	*buf = NULL;
	*len = 0;
	if (f == NULL)
		return -1;
	for (;;) {
		if (cap - *len < 4096) {
			cap = cap ? cap * 2 : 8192;
			*buf = xrealloc(*buf, cap + 1);
		}
		n = fread(*buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	(*buf)[*len] = '\0';
	fclose(f);
	return 0;
}

/* Calls fn for each line (without its newline); stops on a negative. */
static int
each_line(const char *buf, size_t len, int (*fn)(void *, int, char *),
    void *arg)
{
	const char *p = buf, *end = buf + len, *nl;
	int lineno = 0, rc = 0;

	while (p < end && rc >= 0) {
		char *line;
		size_t n;

		nl = memchr(p, '\n', end - p);
		if (nl == NULL)
			nl = end;
		n = nl - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		line = xstrdup_n(p, n);
		rc = fn(arg, ++lineno, line);
		free(line);
		p = nl + 1;
	}
	return rc;
}

struct parse_arg {
	struct inventory *inv;
	char		*err;
	size_t		 errlen;
};

/*
 * "RFC 1939 §5 The TRANSACTION State 6" (a section), then its units:
 * "RFC 1939 §5 #2 SHOULD: Minimal implementations should ..." and
 * "RFC 1939 §5 STAT: STAT".
 */
static int
inventory_line(void *a, int lineno, char *line)
{
	struct parse_arg *pa = a;
	struct inventory *inv = pa->inv;
	struct clause *c;
	char *sp, *sec, *rest, *colon, *last = NULL, id[128], why[256];
	const char *head;
	enum clause_kind kind = CLAUSE_SECTION;

	if (line[0] == '#' || line[0] == '\0')
		return 0;
	sp = strchr(line, ' ');
	sec = sp ? strchr(sp + 1, ' ') : NULL;
	if (sec != NULL)
		sec = strchr(sec + 1, ' ');	/* after "RFC N §S" */
	if (sec == NULL)
		goto bad;
	rest = sec + 1;
	colon = strstr(rest, ": ");
	if (rest[0] == '#' && strchr(rest, ' ') != NULL) {
		/* "#2 SHOULD: …": the id takes "#2". */
		kind = CLAUSE_REQ;
		sec = strchr(rest, ' ');
		rest = sec + 1;
	} else if (colon != NULL && colon > rest && isupper((unsigned char)
	    rest[0]) && strcspn(rest, " ") == (size_t)(colon - rest) + 1) {
		/* "STAT: STAT": the id takes "STAT". */
		kind = CLAUSE_FORM;
		sec = colon;
		rest = colon + 2;
	}
	*sec = '\0';
	if (clause_canon(line, id, sizeof(id), why, sizeof(why)) < 0) {
		snprintf(pa->err, pa->errlen, "clauses line %d: %s", lineno,
		    why);
		return -1;
	}
	if (kind == CLAUSE_SECTION) {
		last = strrchr(rest, ' ');
		if (last == NULL || !isdigit((unsigned char)last[1]))
			goto bad;
		*last = '\0';
	} else {
		/* A unit follows its section: "RFC 1939 §5" then "… §5 #1". */
		head = inv->n > 0 ? inv->v[inv->v[inv->n - 1].section].id : "";
		if (inv->n == 0 || strncmp(head, id, strlen(head)) != 0 ||
		    id[strlen(head)] != ' ') {
			snprintf(pa->err, pa->errlen, "clauses line %d: %s "
			    "does not follow its section", lineno, id);
			return -1;
		}
	}
	if (inventory_find(inv, id) >= 0) {
		snprintf(pa->err, pa->errlen, "clauses line %d: %s twice",
		    lineno, id);
		return -1;
	}
	inv->v = xrealloc(inv->v, (inv->n + 1) * sizeof(*inv->v));
	c = &inv->v[inv->n];
	memset(c, 0, sizeof(*c));
	c->id = xstrdup_n(id, strlen(id));
	c->title = xstrdup_n(rest, strlen(rest));
	c->rfc = atoi(id + 4);
	c->kind = kind;
	if (kind == CLAUSE_SECTION) {
		c->section = (int)inv->n;
		c->count = atoi(last + 1);
	} else {
		c->section = inv->v[inv->n - 1].section;
		inv->v[c->section].nunits++;
	}
	inv->n++;
	return 0;
bad:
	snprintf(pa->err, pa->errlen, "clauses line %d: want 'RFC N §SECTION "
	    "TITLE COUNT', 'RFC N §SECTION #K KEYWORD: SENTENCE' or 'RFC N "
	    "§SECTION COMMAND: SYNTAX'", lineno);
	return -1;
}

int
inventory_parse(struct inventory *inv, const char *buf, size_t len,
    char *err, size_t errlen)
{
	struct parse_arg pa = { inv, err, errlen };

	memset(inv, 0, sizeof(*inv));
	if (each_line(buf, len, inventory_line, &pa) < 0) {
		inventory_free(inv);
		return -1;
	}
	return 0;
}

/* "RFC 2595 §2.4: reason" */
static int
untestable_line(void *a, int lineno, char *line)
{
	struct parse_arg *pa = a;
	char *colon, id[128], why[256];
	int i;

	if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
		return 0;
	colon = strstr(line, ": ");
	if (colon == NULL) {
		snprintf(pa->err, pa->errlen, "untestable line %d: want "
		    "'RFC N §SECTION: reason'", lineno);
		return -1;
	}
	*colon = '\0';
	if (clause_canon(line, id, sizeof(id), why, sizeof(why)) < 0) {
		snprintf(pa->err, pa->errlen, "untestable line %d: %s",
		    lineno, why);
		return -1;
	}
	if ((i = inventory_find(pa->inv, id)) < 0) {
		snprintf(pa->err, pa->errlen, "untestable line %d: %s is not "
		    "in clauses.txt", lineno, id);
		return -1;
	}
	free(pa->inv->v[i].why);
	pa->inv->v[i].why = xstrdup_n(colon + 2, strlen(colon + 2));
	/* A section's reason holds for its units (until a line of their
	   own says otherwise). */
	for (size_t k = i + 1; pa->inv->v[i].kind == CLAUSE_SECTION &&
	    k < pa->inv->n && pa->inv->v[k].section == i; k++)
		if (pa->inv->v[k].why == NULL)
			pa->inv->v[k].why = xstrdup_n(colon + 2,
			    strlen(colon + 2));
	return 0;
}

int
untestable_parse(struct inventory *inv, const char *buf, size_t len,
    char *err, size_t errlen)
{
	struct parse_arg pa = { inv, err, errlen };

	return each_line(buf, len, untestable_line, &pa) < 0 ? -1 : 0;
}

void
inventory_free(struct inventory *inv)
{
	for (size_t i = 0; i < inv->n; i++) {
		free(inv->v[i].id);
		free(inv->v[i].title);
		free(inv->v[i].why);
		free(inv->v[i].cases);
	}
	free(inv->v);
	free(inv->orphans);
	memset(inv, 0, sizeof(*inv));
}

int
inventory_find(const struct inventory *inv, const char *id)
{
	for (size_t i = 0; i < inv->n; i++)
		if (strcmp(inv->v[i].id, id) == 0)
			return (int)i;
	return -1;
}

static void
add_idx(int *idx, size_t *n, size_t max, int i)
{
	for (size_t k = 0; k < *n; k++)
		if (idx[k] == i)
			return;
	if (*n < max)
		idx[(*n)++] = i;
}

/*
 * A step reference "RFC 1939 §5 STAT: ..." names the unit "§5 STAT" (or
 * "§5 #2") when the inventory has it; else section §5 if listed, or the
 * nearest enclosing section it lists (§6.7.1 -> §6.7).  Without a '§',
 * for an RFC that numbers no sections: the heading the text starts with
 * ("RFC 937 The Protocol: ...", "RFC 1081, The UPDATE State").  Anything
 * else names no clause.
 */
static int
ref_clause(const char *ref, const struct inventory *inv)
{
	char id[128], *e;
	const char *p = ref;
	long rfc;
	int i;

	if (strncmp(p, "RFC", 3) != 0)
		return -1;
	p += 3;
	if (*p == ' ')
		p++;
	rfc = strtol(p, &e, 10);
	if (e == p || rfc <= 0 || rfc > 99999)
		return -1;
	p = e;
	if (strncmp(p, " §", strlen(" §")) == 0) {
		size_t n;

		p += strlen(" §");
		n = strcspn(p, " :,;)");
		while (n > 0 && p[n - 1] == '.')
			n--;
		if (n == 0 || n > 60)
			return -1;
		if (p[n] == ' ') {
			size_t un = strcspn(p + n + 1, " :,;)]");

			snprintf(id, sizeof(id), "RFC %ld §%.*s %.*s", rfc,
			    (int)n, p, (int)(un < 40 ? un : 40), p + n + 1);
			if ((i = inventory_find(inv, id)) >= 0)
				return i;
		}
		snprintf(id, sizeof(id), "RFC %ld §%.*s", rfc, (int)n, p);
		for (;;) {
			if ((i = inventory_find(inv, id)) >= 0)
				return i;
			if ((e = strrchr(id, '.')) == NULL)
				return -1;
			*e = '\0';
		}
	}
	if (*p == ',')		/* "RFC 1081, The UPDATE State: ..." */
		p++;
	if (*p != ' ')
		return -1;
	p++;
	for (size_t k = 0; k < inv->n; k++) {
		const struct clause *c = &inv->v[k];
		size_t tl = strlen(c->title);

		if (c->rfc == rfc && !isdigit((unsigned char)
		    c->id[strcspn(c->id, "§") + strlen("§")]) &&
		    strncasecmp(p, c->title, tl) == 0 &&
		    (p[tl] == '\0' || p[tl] == ' ' || p[tl] == ':' ||
		    p[tl] == ','))
			return (int)k;
	}
	return -1;
}

/*
 * The units a case covers: those its "covers:" headers and its step
 * references name.  A section that has units of its own is only their
 * heading, so naming it covers nothing (COVERAGE.md lists such cases).
 */
size_t
tcase_clauses(const struct tcase *tc, const struct inventory *inv, int *idx,
    size_t max)
{
	size_t n = 0;
	int i;

	for (size_t k = 0; k < tc->ncovers; k++)
		if ((i = inventory_find(inv, tc->covers[k])) >= 0 &&
		    CLAUSE_IS_UNIT(&inv->v[i]))
			add_idx(idx, &n, max, i);
	for (size_t k = 0; k < tc->nsteps; k++)
		if (tc->steps[k].ref != NULL &&
		    (i = ref_clause(tc->steps[k].ref, inv)) >= 0 &&
		    CLAUSE_IS_UNIT(&inv->v[i]))
			add_idx(idx, &n, max, i);
	return n;
}

void
coverage_add(struct inventory *inv, const char *casename, const int *idx,
    size_t n)
{
	char **list = &inv->orphans;

	for (size_t k = 0; k <= n; k++) {
		size_t old;

		if (k < n)
			list = &inv->v[idx[k]].cases;
		else if (n > 0)
			break;
		old = *list ? strlen(*list) : 0;
		*list = xrealloc(*list, old + strlen(casename) + 3);
		sprintf(*list + old, "%s%s", old ? ", " : "", casename);
	}
}

/* Markdown table cells: '|' would split one. */
static void
put_cell(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == '|')
			fputs("\\|", f);
		else
			fputc(*s, f);
}

struct tally {
	int	req, form, other, cov, unt, no;
};

static void
tally_add(struct tally *t, const struct clause *c)
{
	if (c->kind == CLAUSE_REQ)
		t->req++;
	else if (c->kind == CLAUSE_FORM)
		t->form++;
	else
		t->other++;
	if (c->cases)
		t->cov++;
	else if (c->why)
		t->unt++;
	else
		t->no++;
}

static void
tally_row(FILE *f, const char *name, const struct tally *t)
{
	fprintf(f, "| %s | %d | %d | %d | %d | %d | %d |\n", name, t->req,
	    t->form, t->other, t->cov, t->unt, t->no);
}

size_t
coverage_missing(const struct inventory *inv)
{
	size_t n = 0;

	for (size_t i = 0; i < inv->n; i++)
		if (CLAUSE_IS_UNIT(&inv->v[i]) && inv->v[i].cases == NULL &&
		    inv->v[i].why == NULL)
			n++;
	return n;
}

void
coverage_write(FILE *f, const struct inventory *inv)
{
	struct tally t, all;
	char name[32];
	size_t i, j;

	fputs("<!-- Generated by polypop-conform --coverage from "
	    "compat-tests/clauses.txt,\n     untestable.txt and the cases; "
	    "do not edit (README.md, \"Coverage\"). -->\n"
	    "# POP conformance coverage\n\n"
	    "Every requirement sentence of the POP RFCs (MUST, MUST NOT, "
	    "SHALL, SHOULD,\nSHOULD NOT, REQUIRED; in any case in the RFCs "
	    "before RFC 2119), every command\nand reply form they define, "
	    "and every other section that defines a reply\nor a capability; "
	    "beside each, the transcript cases that check it, or why no\n"
	    "transcript over the wire can.\n\n"
	    "| RFC | requirements | forms | other sections | covered | "
	    "untestable | not yet covered |\n"
	    "|---|---:|---:|---:|---:|---:|---:|\n", f);
	memset(&all, 0, sizeof(all));
	for (i = 0; i < inv->n; i = j) {
		memset(&t, 0, sizeof(t));
		for (j = i; j < inv->n && inv->v[j].rfc == inv->v[i].rfc; j++)
			if (CLAUSE_IS_UNIT(&inv->v[j])) {
				tally_add(&t, &inv->v[j]);
				tally_add(&all, &inv->v[j]);
			}
		snprintf(name, sizeof(name), "RFC %d", inv->v[i].rfc);
		tally_row(f, name, &t);
	}
	tally_row(f, "all", &all);
	for (i = 0; i < inv->n; i++) {
		const struct clause *c = &inv->v[i];
		const char *sec = strstr(c->id, "§");

		if (i == 0 || inv->v[i - 1].rfc != c->rfc)
			fprintf(f, "\n## RFC %d\n", c->rfc);
		if (c->kind == CLAUSE_SECTION) {
			fprintf(f, "\n### %.*s ", (int)strcspn(sec, " "), sec);
			put_cell(f, c->title);
			fputs("\n\n| Clause | Text | Covered by |\n"
			    "|---|---|---|\n", f);
			if (c->nunits > 0)
				continue;
		}
		fprintf(f, "| %s | ", c->kind == CLAUSE_SECTION ? "(section)" :
		    sec + strcspn(sec, " ") + 1);
		put_cell(f, c->title);
		fputs(" | ", f);
		if (c->cases)
			put_cell(f, c->cases);
		else if (c->why) {
			fputs("untestable: ", f);
			put_cell(f, c->why);
		} else
			fputs("**not yet covered**", f);
		fputs(" |\n", f);
	}
	if (inv->orphans) {
		fputs("\n## Cases that name no clause\n\nTheir `covers:` "
		    "headers and step references name only sections that\n"
		    "have units of their own, or none at all.\n\n", f);
		put_cell(f, inv->orphans);
		fputc('\n', f);
	}
}

/* The --report matrix. */

static const char *const cell_names[] = {
	[CELL_NONE] = "—", [CELL_SKIP] = "skip", [CELL_OK] = "ok",
	[CELL_FAIL] = "FAIL",
};

static size_t
report_row(struct report *r, const char *id, const char *title)
{
	size_t i;

	for (i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i], id) == 0)
			return i;
	r->rows = xrealloc(r->rows, (r->nrows + 1) * sizeof(*r->rows));
	r->titles = xrealloc(r->titles, (r->nrows + 1) * sizeof(*r->titles));
	r->cells = xrealloc(r->cells, (r->nrows + 1) * (r->ncols ? r->ncols :
	    1) * sizeof(*r->cells));
	r->rows[r->nrows] = xstrdup_n(id, strlen(id));
	r->titles[r->nrows] = xstrdup_n(title, strlen(title));
	for (size_t c = 0; c < r->ncols; c++)
		r->cells[r->nrows * r->ncols + c] = CELL_NONE;
	return r->nrows++;
}

void
report_init(struct report *r, const struct inventory *inv)
{
	memset(r, 0, sizeof(*r));
	for (size_t i = 0; inv != NULL && i < inv->n; i++)
		if (CLAUSE_IS_UNIT(&inv->v[i]))
			report_row(r, inv->v[i].id, inv->v[i].title);
}

size_t
report_column(struct report *r, const char *label, int reset)
{
	enum cell *cells;
	size_t c, i;

	for (c = 0; c < r->ncols; c++)
		if (strcmp(r->cols[c], label) == 0)
			break;
	if (c == r->ncols) {
		cells = xrealloc(NULL, r->nrows * (r->ncols + 1) *
		    sizeof(*cells));
		for (i = 0; i < r->nrows; i++) {
			memcpy(cells + i * (r->ncols + 1), r->cells +
			    i * r->ncols, r->ncols * sizeof(*cells));
			cells[i * (r->ncols + 1) + r->ncols] = CELL_NONE;
		}
		free(r->cells);
		r->cells = cells;
		r->cols = xrealloc(r->cols, (r->ncols + 1) * sizeof(*r->cols));
		r->cols[r->ncols++] = xstrdup_n(label, strlen(label));
	} else if (reset)
		for (i = 0; i < r->nrows; i++)
			r->cells[i * r->ncols + c] = CELL_NONE;
	return c;
}

/* Keeps the worst: FAIL over ok over skip over none. */
void
report_set(struct report *r, const char *row, size_t col, enum cell c)
{
	size_t i = report_row(r, row, "");
	enum cell *p = &r->cells[i * r->ncols + col];

	if (c > *p)
		*p = c;
}

/* Splits "| a | b |" into trimmed cells, in place; returns the count. */
static size_t
split_row(char *line, char **out, size_t max)
{
	size_t n = 0;
	char *p = line, *bar, *e;

	if (*p != '|')
		return 0;
	p++;
	while (n < max && (bar = strchr(p, '|')) != NULL) {
		while (bar > p && bar[-1] == '\\')	/* "\|" */
			bar = strchr(bar + 1, '|');
		if (bar == NULL)
			break;
		*bar = '\0';
		while (*p == ' ')
			p++;
		e = p + strlen(p);
		while (e > p && e[-1] == ' ')
			*--e = '\0';
		for (char *q = p, *w = p;; q++) {	/* "\|" -> "|" */
			if (q[0] == '\\' && q[1] == '|')
				q++;
			if ((*w++ = *q) == '\0')
				break;
		}
		out[n++] = p;
		p = bar + 1;
	}
	return n;
}

struct rparse {
	struct report	*r;
	int		 marker, header;
	size_t		 col[256];	/* file column -> report column */
	size_t		 ncol;
	char		*err;
	size_t		 errlen;
};

static int
report_line(void *a, int lineno, char *line)
{
	struct rparse *rp = a;
	char *cells[260];
	size_t n, row;

	if (strcmp(line, REPORT_MARKER) == 0) {
		rp->marker = 1;
		return 0;
	}
	if (!rp->marker || line[0] != '|')
		return 0;
	n = split_row(line, cells, 260);
	if (n < 2)
		goto bad;
	if (!rp->header) {
		if (strcmp(cells[0], "Clause") != 0 || n - 2 > 256)
			goto bad;
		rp->header = 1;
		rp->ncol = n - 2;
		for (size_t k = 2; k < n; k++)
			rp->col[k - 2] = report_column(rp->r, cells[k], 0);
		return 0;
	}
	if (strncmp(cells[0], "---", 3) == 0)
		return 0;
	if (n != rp->ncol + 2)
		goto bad;
	row = report_row(rp->r, cells[0], cells[1]);
	for (size_t k = 2; k < n; k++) {
		enum cell c = CELL_NONE;

		for (int v = 0; v <= CELL_FAIL; v++)
			if (strcmp(cells[k], cell_names[v]) == 0)
				c = (enum cell)v;
		if (c > rp->r->cells[row * rp->r->ncols + rp->col[k - 2]])
			rp->r->cells[row * rp->r->ncols + rp->col[k - 2]] = c;
	}
	return 0;
bad:
	snprintf(rp->err, rp->errlen, "report line %d: not a row of the "
	    "matrix", lineno);
	return -1;
}

/*
 * Reads a report written by report_write into r (which may already hold
 * the inventory's rows); a cell r already has keeps the worse of the two,
 * so several reports of one label combine.  Returns 1 if buf is not one (no marker), 0 when
 * merged, -1 on a damaged table.
 */
int
report_parse(struct report *r, const char *buf, size_t len, char *err,
    size_t errlen)
{
	struct rparse rp;

	memset(&rp, 0, sizeof(rp));
	rp.r = r;
	rp.err = err;
	rp.errlen = errlen;
	if (each_line(buf, len, report_line, &rp) < 0)
		return -1;
	return rp.marker ? 0 : 1;
}

void
report_write(FILE *f, const struct report *r)
{
	size_t i, c;

	fputs(REPORT_MARKER "\n## POP conformance matrix\n\n"
	    "Written by polypop-conform --report; each run adds or replaces "
	    "its column.\nFAIL: a case checking the clause failed; ok: one "
	    "passed and none failed;\nskip: every such case was skipped; —: "
	    "none ran.\n\n"
	    "| Clause | Title |", f);
	for (c = 0; c < r->ncols; c++) {
		fputc(' ', f);
		put_cell(f, r->cols[c]);
		fputs(" |", f);
	}
	fputs("\n|---|---|", f);
	for (c = 0; c < r->ncols; c++)
		fputs("---|", f);
	fputc('\n', f);
	for (i = 0; i < r->nrows; i++) {
		fprintf(f, "| %s | ", r->rows[i]);
		put_cell(f, r->titles[i]);
		fputs(" |", f);
		for (c = 0; c < r->ncols; c++)
			fprintf(f, " %s |", cell_names[r->cells[i * r->ncols +
			    c]]);
		fputc('\n', f);
	}
}

void
report_free(struct report *r)
{
	for (size_t i = 0; i < r->nrows; i++) {
		free(r->rows[i]);
		free(r->titles[i]);
	}
	for (size_t c = 0; c < r->ncols; c++)
		free(r->cols[c]);
	free(r->rows);
	free(r->titles);
	free(r->cols);
	free(r->cells);
	memset(r, 0, sizeof(*r));
}

/*
 * Puts run's columns into the report at path: each replaces the column of
 * its label, or is added after the others.  A file at path that
 * polypop-conform did not write is an error (it is not overwritten); text
 * before the marker (a document's prose, as in docs/conformance.md) is
 * kept as it is.  The new text goes to a temporary file renamed over
 * path, so a reader never sees half a matrix; writers must take turns
 * (harness/run.py merges once, at the end).
 */
int
report_merge_file(const char *path, const struct inventory *inv,
    const struct report *run, char *err, size_t errlen)
{
	struct report base;
	char *buf = NULL, *mark, tmp[4096];
	size_t len, prefix = 0;
	FILE *f;
	int rc;

	report_init(&base, inv);
	if (read_file(path, &buf, &len) == 0) {
		rc = report_parse(&base, buf, len, err, errlen);
		if (rc != 0) {
			if (rc > 0)
				snprintf(err, errlen, "%s: exists and was not "
				    "written by polypop-conform --report",
				    path);
			free(buf);
			report_free(&base);
			return -1;
		}
		/* The marker line (report_parse found it). */
		mark = buf;
		while (strncmp(mark, REPORT_MARKER "\n", strlen(REPORT_MARKER)
		    + 1) != 0 && (mark = strchr(mark, '\n')) != NULL)
			mark++;
		prefix = mark != NULL ? (size_t)(mark - buf) : 0;
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		report_free(&base);
		return -1;
	}
	for (size_t c = 0; c < run->ncols; c++) {
		size_t bc = report_column(&base, run->cols[c], 1);

		for (size_t i = 0; i < run->nrows; i++)
			report_set(&base, run->rows[i], bc,
			    run->cells[i * run->ncols + c]);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		free(buf);
		report_free(&base);
		return -1;
	}
	if (prefix > 0)
		fwrite(buf, 1, prefix, f);
	free(buf);
	report_write(f, &base);
	report_free(&base);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}
