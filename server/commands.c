/*
 * commands.c - `polypopd commands` and `polypopd states`: a protocol
 * profile's command table as a Markdown page, and its state diagram as
 * Graphviz DOT.  Both are computed from what the module gives through
 * proto_ops (describe(), edge(), profile_title()); the build writes the
 * pages in docs/ and the .dot files in docs/states/ with them, and a test
 * fails when a committed copy no longer matches (docs/meson.build).
 *
 * Output depends on nothing but the tables: no dates, no paths, no
 * version, so it is byte-for-byte reproducible.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "polypopd.h"
#include "proto.h"

#define COMMANDS_USAGE \
	"usage: polypopd commands [PROTO[/PROFILE]]   (a Markdown page)\n" \
	"       polypopd commands --list              (every PROTO[/PROFILE])\n" \
	"       polypopd states PROTO[/PROFILE]       (Graphviz DOT)\n"

/* The most rows or edges a page handles; a module with more is a bug. */
#define MAX_ROWS	128

/* --- naming ----------------------------------------------------------- */

/* "pop3/rfc1081", or "pop3" for the default profile. */
static void
spec_text(const struct proto_ops *p, const char *profile, char *buf,
    size_t size)
{
	if (profile[0] != '\0')
		snprintf(buf, size, "%s/%s", p->name, profile);
	else
		snprintf(buf, size, "%s", p->name);
}

/* The committed page's file name in docs/: "pop3-rfc1081.md", or
 * "pop3-commands.md" for the default profile. */
static void
page_name(const struct proto_ops *p, const char *profile, char *buf,
    size_t size)
{
	if (profile[0] != '\0')
		snprintf(buf, size, "%s-%s.md", p->name, profile);
	else
		snprintf(buf, size, "%s-commands.md", p->name);
}

/* The DOT file's name in docs/states/: "pop3-rfc1081", or "pop3". */
static void
dot_name(const struct proto_ops *p, const char *profile, char *buf,
    size_t size)
{
	if (profile[0] != '\0')
		snprintf(buf, size, "%s-%s", p->name, profile);
	else
		snprintf(buf, size, "%s", p->name);
}

static int
profile_known(const struct proto_ops *p, const char *profile)
{
	size_t i;

	if (profile[0] == '\0')
		return 1;
	if (p->profiles == NULL)
		return 0;
	for (i = 0; p->profiles[i] != NULL; i++)
		if (strcmp(p->profiles[i], profile) == 0)
			return 1;
	return 0;
}

/*
 * The profile before PROFILE in the module's order: its list of profiles,
 * then "" (the current protocol, which comes last).  NULL when PROFILE is
 * the first, or the module has no profiles.
 */
static const char *
profile_previous(const struct proto_ops *p, const char *profile)
{
	size_t i;

	if (p->profiles == NULL || p->profiles[0] == NULL)
		return NULL;
	if (profile[0] == '\0') {
		for (i = 0; p->profiles[i + 1] != NULL; i++)
			;
		return p->profiles[i];
	}
	for (i = 1; p->profiles[i] != NULL; i++)
		if (strcmp(p->profiles[i], profile) == 0)
			return p->profiles[i - 1];
	return NULL;
}

/* Split "pop3/rfc1081" into the module and the profile ("" if none).
 * Complains and returns NULL when either is unknown. */
static const struct proto_ops *
spec_parse(const char *cmd, const char *spec, const char **profile)
{
	const struct proto_ops *p;
	const char *slash = strchr(spec, '/');
	char name[64];
	size_t n = slash != NULL ? (size_t)(slash - spec) : strlen(spec);

	*profile = slash != NULL ? slash + 1 : "";
	if (n >= sizeof(name)) {
		fprintf(stderr, "polypopd %s: unknown protocol '%s'\n", cmd,
		    spec);
		return NULL;
	}
	memcpy(name, spec, n);
	name[n] = '\0';
	p = proto_find(name);
	if (p == NULL || p->describe == NULL) {
		fprintf(stderr, "polypopd %s: unknown protocol '%s'\n", cmd,
		    name);
		return NULL;
	}
	if (!profile_known(p, *profile)) {
		fprintf(stderr, "polypopd %s: %s has no profile '%s'", cmd,
		    name, *profile);
		if (p->profiles != NULL) {
			size_t i;

			fprintf(stderr, " (it has:");
			for (i = 0; p->profiles[i] != NULL; i++)
				fprintf(stderr, " %s", p->profiles[i]);
			fprintf(stderr, ")");
		}
		fprintf(stderr, "\n");
		return NULL;
	}
	return p;
}

/* --- Markdown ----------------------------------------------------------- */

/* S in a table cell: '|' would end the cell, a newline the row. */
static void
md_cell(const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|')
			fputs("\\|", stdout);
		else if (*s == '\n' || *s == '\r')
			putchar(' ');
		else
			putchar(*s);
	}
}

/* S as inline code in a table cell, or an em dash when there is none. */
static void
md_code_cell(const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputs("—", stdout);
		return;
	}
	putchar('`');
	md_cell(s);
	putchar('`');
}

static int
str_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* "RFC 1081, The AUTHORIZATION State" -> "The AUTHORIZATION State",
 * "RFC 1939 §7" -> "§7": the place inside the document. */
static const char *
section_place(const char *s)
{
	const char *q;

	if (s == NULL || strncmp(s, "RFC ", 4) != 0)
		return s;
	q = s + 4;
	while (*q >= '0' && *q <= '9')
		q++;
	if (q == s + 4)
		return s;
	if (*q == ',')
		q++;
	while (*q == ' ')
		q++;
	return q;
}

/* "RFC 1939" of "RFC 1939 §7", into BUF; "" when S cites no RFC. */
static const char *
section_doc(const char *s, char *buf, size_t size)
{
	const char *q = section_place(s);
	size_t n;

	buf[0] = '\0';
	if (s == NULL || q == s)
		return buf;
	n = (size_t)(q - s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == ','))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return buf;
}

static size_t
rows_load(const struct proto_ops *p, const char *profile,
    struct proto_command_doc *rows)
{
	size_t n;

	for (n = 0; n < MAX_ROWS && p->describe(profile, n, &rows[n]); n++)
		;
	return n;
}

static const struct proto_command_doc *
rows_find(const struct proto_command_doc *rows, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(rows[i].name, name) == 0)
			return &rows[i];
	return NULL;
}

static const char *
req_text(int optional)
{
	return optional ? "optional" : "required";
}

/*
 * The differences between the rows of PREV and those of this profile
 * (CUR), computed: commands added and removed, a command whose
 * required/optional status, section, usage, states or reply changed.
 * A section that moved only because the new revision is a new document
 * (same heading or number, another RFC) is listed once for all commands.
 */
static void
print_differences(const struct proto_ops *p, const char *profile,
    const struct proto_command_doc *cur, size_t ncur)
{
	static struct proto_command_doc prev[MAX_ROWS];
	const struct proto_command_doc *o;
	const char *prof_prev = profile_previous(p, profile);
	char spec[128], page[128], doc_a[32], doc_b[32];
	size_t nprev, i, changes = 0, moved = 0;

	printf("## Differences from the previous revision\n\n");
	if (p->profiles == NULL) {
		printf("`%s` has a single revision in polypop: there is no "
		    "other profile to compare it with.\n\n", p->name);
		return;
	}
	if (prof_prev == NULL) {
		printf("This is the first revision polypop describes for "
		    "`%s`: there is no previous one.\n\n", p->name);
		return;
	}
	spec_text(p, prof_prev, spec, sizeof(spec));
	page_name(p, prof_prev, page, sizeof(page));
	nprev = rows_load(p, prof_prev, prev);
	printf("Computed from the two command tables: this page against "
	    "[`%s`](%s).\n\n", spec, page);

	for (i = 0; i < ncur; i++) {
		if (rows_find(prev, nprev, cur[i].name) != NULL)
			continue;
		printf("- **added** %s (%s, %s)\n", cur[i].name,
		    req_text(cur[i].optional), cur[i].section);
		changes++;
	}
	for (i = 0; i < nprev; i++) {
		if (rows_find(cur, ncur, prev[i].name) != NULL)
			continue;
		printf("- **removed** %s (was %s, %s)\n", prev[i].name,
		    req_text(prev[i].optional), prev[i].section);
		changes++;
	}
	for (i = 0; i < ncur; i++) {
		if ((o = rows_find(prev, nprev, cur[i].name)) == NULL)
			continue;
		if (o->optional != cur[i].optional) {
			printf("- %s is now **%s** (was %s)\n", cur[i].name,
			    req_text(cur[i].optional), req_text(o->optional));
			changes++;
		}
		if (!str_eq(section_place(o->section),
		    section_place(cur[i].section))) {
			printf("- %s: section %s → %s\n", cur[i].name,
			    o->section, cur[i].section);
			changes++;
		} else if (!str_eq(o->section, cur[i].section))
			moved++;
		if (!str_eq(o->usage, cur[i].usage)) {
			printf("- %s: usage `%s` → `%s`\n", cur[i].name,
			    o->usage, cur[i].usage);
			changes++;
		}
		if (!str_eq(o->states, cur[i].states)) {
			printf("- %s: valid in %s (was %s)\n", cur[i].name,
			    cur[i].states, o->states);
			changes++;
		}
		if (!str_eq(o->reply, cur[i].reply)) {
			printf("- %s: positive reply `%s` (was `%s`)\n",
			    cur[i].name, cur[i].reply != NULL ?
			    cur[i].reply : "", o->reply != NULL ? o->reply :
			    "");
			changes++;
		}
	}
	if (moved > 0) {
		size_t k = 0;

		printf("- same section, new document:");
		for (i = 0; i < ncur; i++) {
			if ((o = rows_find(prev, nprev, cur[i].name)) == NULL ||
			    str_eq(o->section, cur[i].section) ||
			    !str_eq(section_place(o->section),
			    section_place(cur[i].section)))
				continue;
			printf("%s %s (%s → %s)", k++ == 0 ? "" : ",",
			    cur[i].name,
			    section_doc(o->section, doc_a, sizeof(doc_a)),
			    section_doc(cur[i].section, doc_b,
			    sizeof(doc_b)));
		}
		printf("\n");
	}
	if (changes == 0)
		printf("%sNo command was added or removed, and none changed "
		    "status, section, usage, states or reply.\n",
		    moved > 0 ? "- " : "");
	printf("\n");
}

/* --- DOT ---------------------------------------------------------------- */

struct merged_edge {
	const char *from;
	const char *to;
	const char *labels[MAX_ROWS];
	size_t nlabels;
};

static void
dot_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if (*s == '\n')
			fputs("\\n", stdout);
		else
			putchar(*s);
	}
	putchar('"');
}

static int
state_seen(const char *const *states, size_t n, const char *st)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(states[i], st) == 0)
			return 1;
	return 0;
}

/*
 * The diagram of P's PROFILE: nodes in order of first appearance, one edge
 * per (from, to) pair with the labels of every edge between them joined by
 * ", " in the module's order (a label given twice is written once).
 */
static int
states_print(const struct proto_ops *p, const char *profile)
{
	static struct merged_edge edges[MAX_ROWS];
	static const char *states[2 * MAX_ROWS];
	struct proto_edge_doc e;
	char spec[128];
	size_t i, k, nedges = 0, nstates = 0;

	spec_text(p, profile, spec, sizeof(spec));
	if (p->edge == NULL) {
		fprintf(stderr, "polypopd states: %s has no state diagram\n",
		    p->name);
		return 64;
	}
	for (i = 0; i < MAX_ROWS && p->edge(profile, i, &e); i++) {
		const char *ends[2] = { e.from, e.to };
		struct merged_edge *m = NULL;

		for (k = 0; k < 2; k++)
			if (!state_seen(states, nstates, ends[k]))
				states[nstates++] = ends[k];
		for (k = 0; k < nedges; k++)
			if (strcmp(edges[k].from, e.from) == 0 &&
			    strcmp(edges[k].to, e.to) == 0)
				m = &edges[k];
		if (m == NULL) {
			m = &edges[nedges++];
			m->from = e.from;
			m->to = e.to;
			m->nlabels = 0;
		}
		if (e.label == NULL || e.label[0] == '\0' ||
		    state_seen(m->labels, m->nlabels, e.label))
			continue;
		m->labels[m->nlabels++] = e.label;
	}

	printf("// Generated by `polypopd states %s` from the module's "
	    "tables; do not edit by hand.\n", spec);
	printf("digraph ");
	dot_string(spec);
	printf(" {\n");
	printf("\tgraph [fontname=\"Helvetica\", rankdir=TB, "
	    "nodesep=0.5];\n");
	printf("\tnode [fontname=\"Helvetica\", shape=box, "
	    "style=rounded];\n");
	printf("\tedge [fontname=\"Helvetica\", fontsize=10];\n");
	for (i = 0; i < nstates; i++) {
		printf("\t");
		dot_string(states[i]);
		if (strcmp(states[i], "start") == 0)
			printf(" [shape=point, width=0.15]");
		else if (strcmp(states[i], "end") == 0)
			printf(" [shape=doublecircle, label=\"\", "
			    "width=0.15]");
		printf(";\n");
	}
	for (i = 0; i < nedges; i++) {
		printf("\t");
		dot_string(edges[i].from);
		printf(" -> ");
		dot_string(edges[i].to);
		if (edges[i].nlabels > 0) {
			printf(" [label=\"");
			for (k = 0; k < edges[i].nlabels; k++) {
				const char *s;

				if (k > 0)
					printf(", ");
				for (s = edges[i].labels[k]; *s != '\0'; s++) {
					if (*s == '"' || *s == '\\')
						putchar('\\');
					putchar(*s);
				}
			}
			printf("\"]");
		}
		printf(";\n");
	}
	printf("}\n");
	return 0;
}

/* --- the page ------------------------------------------------------------- */

static void
commands_print(const struct proto_ops *p, const char *profile)
{
	static struct proto_command_doc rows[MAX_ROWS];
	const char *title = p->profile_title != NULL ?
	    p->profile_title(profile) : NULL;
	char spec[128], dot[128];
	size_t n, i;
	int summaries = 0;

	spec_text(p, profile, spec, sizeof(spec));
	n = rows_load(p, profile, rows);
	for (i = 0; i < n; i++)
		if (rows[i].summary != NULL)
			summaries = 1;

	if (title != NULL)
		printf("# `%s`: %s\n\n", spec, title);
	else
		printf("# `%s` commands\n\n", spec);
	printf("Generated by `polypopd commands %s` from the module's command "
	    "table; do not edit by hand (`sh docs/regenerate.sh` rewrites "
	    "every generated page).\n\n", spec);
	printf("A listener speaks this with `--listen %s@HOST:PORT`.\n\n",
	    spec);

	printf("## Commands\n\n");
	printf("| command | usage | valid in state | positive reply | "
	    "required/optional | section |%s\n",
	    summaries ? " what it does |" : "");
	printf("|---|---|---|---|---|---|%s\n", summaries ? "---|" : "");
	for (i = 0; i < n; i++) {
		const struct proto_command_doc *d = &rows[i];

		printf("| ");
		md_cell(d->name);
		printf(" | ");
		md_code_cell(d->usage);
		printf(" | ");
		md_cell(d->states != NULL ? d->states : "");
		printf(" | ");
		md_code_cell(d->reply);
		printf(" | %s | ", req_text(d->optional));
		md_cell(d->section != NULL ? d->section : "");
		printf(" |");
		if (summaries) {
			printf(" ");
			md_cell(d->summary != NULL ? d->summary : "");
			printf(" |");
		}
		printf("\n");
	}
	printf("\n");

	print_differences(p, profile, rows, n);

	printf("## State diagram\n\n");
	if (p->edge == NULL) {
		printf("The module gives no state diagram.\n");
		return;
	}
	dot_name(p, profile, dot, sizeof(dot));
	printf("Generated by `polypopd states %s`, committed as "
	    "[states/%s.dot](states/%s.dot).  Where Graphviz is installed "
	    "the build renders it to `docs/states/%s.svg` in the build "
	    "directory (not committed: the SVG differs between Graphviz "
	    "versions).  `start` is before the greeting, `end` after the "
	    "connection closes.\n\n", spec, dot, dot, dot);
	printf("```dot\n");
	states_print(p, profile);
	printf("```\n");
}

/* `polypopd commands --list`: every page the docs have, one a line. */
static void
commands_list(void)
{
	const struct proto_ops *p;
	size_t i, k;

	for (i = 0; (p = proto_all[i]) != NULL; i++) {
		if (p->describe == NULL)
			continue;
		for (k = 0; p->profiles != NULL && p->profiles[k] != NULL; k++)
			printf("%s/%s\n", p->name, p->profiles[k]);
		printf("%s\n", p->name);
	}
}

int
commands_main(int argc, char **argv)
{
	const struct proto_ops *p;
	const char *profile;
	size_t i;

	if (argc == 0) {
		for (i = 0; proto_all[i] != NULL; i++) {
			if (proto_all[i]->describe == NULL)
				continue;
			commands_print(proto_all[i], "");
			printf("\n");
		}
		return 0;
	}
	if (argc > 1 || argv[0][0] == '-') {
		if (argc == 1 && strcmp(argv[0], "--list") == 0) {
			commands_list();
			return 0;
		}
		fputs(COMMANDS_USAGE, stderr);
		return 64;
	}
	if ((p = spec_parse("commands", argv[0], &profile)) == NULL)
		return 64;
	commands_print(p, profile);
	return 0;
}

int
states_main(int argc, char **argv)
{
	const struct proto_ops *p;
	const char *profile;

	if (argc != 1 || argv[0][0] == '-') {
		fputs(COMMANDS_USAGE, stderr);
		return 64;
	}
	if ((p = spec_parse("states", argv[0], &profile)) == NULL)
		return 64;
	return states_print(p, profile);
}
