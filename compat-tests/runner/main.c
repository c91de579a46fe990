/*
 * polypop-conform: runs transcript cases against a POP server, or writes
 * the fixture corpus the cases expect.  See compat-tests/README.md.
 */
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conform.h"

#include <errno.h>

/*
 * Where the cases and the clause lists live: the installed data directory
 * (share/polypop), or, for a runner used from its build directory before
 * `meson install`, the source tree's compat-tests/, which has the same
 * layout (clauses.txt, untestable.txt, cases/pop3, ...).
 */
#ifndef CONFORM_DATA_DIR
#define CONFORM_DATA_DIR "."
#endif
#ifndef CONFORM_SOURCE_DIR
#define CONFORM_SOURCE_DIR "."
#endif

struct opts {
	const char	*proto, *profile, *only, *level;
	const char	*fixture, *format, *out;
	char		**cases;
	size_t		 ncases;
	int		 check, list;
	/* Clauses, coverage and --report (coverage.c). */
	const char	*clauses, *untestable, *report, *label;
	char		**merge;
	size_t		 nmerge;
	int		 coverage;
};

static int has_suffix(const char *s, const char *suf);

/* The data directory holding clauses.txt: installed first; when that has
 * none, the source tree's; else the installed one, for the error. */
static const char *
data_dir(void)
{
	static const char *dir;
	char path[4096];

	if (dir != NULL)
		return dir;
	snprintf(path, sizeof(path), "%s/clauses.txt", CONFORM_DATA_DIR);
	dir = CONFORM_DATA_DIR;
	if (access(path, R_OK) != 0) {
		snprintf(path, sizeof(path), "%s/clauses.txt",
		    CONFORM_SOURCE_DIR);
		if (access(path, R_OK) == 0)
			dir = CONFORM_SOURCE_DIR;
	}
	return dir;
}

/* DATA/NAME into BUF. */
static const char *
data_path(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", data_dir(), name);
	return buf;
}

/* "pop3/retr" from ".../cases/pop3/retr.txt": unique across case dirs. */
static void
case_label(const char *path, char *out, size_t outlen)
{
	const char *base = strrchr(path, '/'), *dir = base;
	size_t n;

	base = base ? base + 1 : path;
	while (dir != NULL && dir > path && dir[-1] != '/')
		dir--;
	if (dir == NULL)
		dir = base;
	n = strlen(dir);
	if (has_suffix(dir, ".txt"))
		n -= 4;
	snprintf(out, outlen, "%.*s", (int)n, dir);
}

static void
load_inventory(const struct opts *o, struct inventory *inv, int untestable)
{
	char *buf, err[512];
	size_t len;

	if (read_file(o->clauses, &buf, &len) < 0) {
		fprintf(stderr, "polypop-conform: %s: %s (--clauses FILE)\n",
		    o->clauses, strerror(errno));
		exit(2);
	}
	if (inventory_parse(inv, buf, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "polypop-conform: %s: %s\n", o->clauses, err);
		exit(2);
	}
	free(buf);
	if (!untestable)
		return;
	if (read_file(o->untestable, &buf, &len) < 0) {
		fprintf(stderr, "polypop-conform: %s: %s (--untestable "
		    "FILE)\n", o->untestable, strerror(errno));
		exit(2);
	}
	if (untestable_parse(inv, buf, len, err, sizeof(err)) < 0) {
		fprintf(stderr, "polypop-conform: %s: %s\n", o->untestable,
		    err);
		exit(2);
	}
	free(buf);
}

/* Records one case's result in the run's report column. */
static void
record(struct report *run, const struct inventory *inv,
    const struct tcase *tc, enum cell c)
{
	int idx[256];
	size_t n = tcase_clauses(tc, inv, idx, 256);

	for (size_t k = 0; k < n; k++)
		report_set(run, inv->v[idx[k]].id, 0, c);
}

/* The synopsis: on stdout for --help, on stderr (status 2) for a wrong
 * command line. */
static void
help(FILE *f, int status)
{
	fprintf(f,
	    "usage: polypop-conform --host H --port P [--port2 P] "
	    "[--proto pop3|pop2|pop1|pop109] [--profile P]\n"
	    "           --user U --pass P [--user2 U --pass2 P] "
	    "[--cases DIR|FILE]...\n"
	    "           [--apop-user U --apop-pass P]\n"
	    "           [--only GLOB] [--level rfc|polypop] "
	    "[--timeout SEC] [-v]\n"
	    "           [--tls|--stls] [--cafile FILE|--insecure]\n"
	    "           [--report FILE [--label TEXT]]\n"
	    "       polypop-conform --check|--list|--coverage "
	    "[--cases DIR|FILE]...\n"
	    "       polypop-conform --report FILE --merge FILE [--merge FILE]...\n"
	    "       (--clauses FILE, --untestable FILE: the clause lists)\n"
	    "       polypop-conform --write-fixture NAME "
	    "--format maildir|mbox|raw|wire --out PATH\n"
	    "fixtures:");
	for (const char *const *n = fixture_names(); *n; n++)
		fprintf(f, " %s", *n);
	fprintf(f, "\n(polypop-conform(1); compat-tests/README.md)\n");
	exit(status);
}

static void
usage(void)
{
	help(stderr, 2);
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

/* Expands directories into their *.txt files, sorted by name. */
static void
collect(const char *path, char ***files, size_t *n)
{
	struct dirent **ents;
	struct stat sb;
	char buf[4096];
	int cnt;

	if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		cnt = scandir(path, &ents, NULL, alphasort);
		if (cnt < 0) {
			perror(path);
			exit(2);
		}
		for (int i = 0; i < cnt; i++) {
			if (has_suffix(ents[i]->d_name, ".txt") &&
			    ents[i]->d_name[0] != '.') {
				snprintf(buf, sizeof(buf), "%s/%s", path,
				    ents[i]->d_name);
				collect(buf, files, n);
			}
			free(ents[i]);
		}
		free(ents);
		return;
	}
	*files = realloc(*files, (*n + 1) * sizeof(**files));
	if (*files == NULL || ((*files)[*n] = strdup(path)) == NULL) {
		perror("malloc");
		exit(2);
	}
	(*n)++;
}

static int
write_fixture(const struct opts *o)
{
	const struct fixture *fx;
	char err[512];

	if (o->format == NULL || o->out == NULL)
		usage();
	fx = fixture_get(o->fixture);
	if (fx == NULL) {
		fprintf(stderr, "polypop-conform: unknown fixture '%s'\n",
		    o->fixture);
		return 2;
	}
	if (fixture_write(fx, o->format, o->out, err, sizeof(err)) < 0) {
		fprintf(stderr, "polypop-conform: %s\n", err);
		return 1;
	}
	return 0;
}

static const char *
why_skip(const struct opts *o, const struct run_ctx *ctx,
    const struct tcase *tc)
{
	static char why[256];

	if (strcmp(tc->proto, o->proto) != 0) {
		snprintf(why, sizeof(why), "proto %s (running %s)", tc->proto,
		    o->proto);
		return why;
	}
	if (!tcase_runs_profile(tc, o->profile)) {
		snprintf(why, sizeof(why), "profile %s (running %s)",
		    tc->profile ? tc->profile : "none",
		    o->profile ? o->profile : "none");
		return why;
	}
	if (strcmp(o->level, "rfc") == 0 && tc->level != NULL &&
	    strcmp(tc->level, "polypop") == 0)
		return "polypop-specific behaviour (--level rfc)";
	if (ctx->tls != TLS_NONE && tc->notls != NULL) {
		snprintf(why, sizeof(why), "tls: no%s%s",
		    tc->notls[0] ? " " : "", tc->notls);
		return why;
	}
	/* A server reached on one port cannot play both sides. */
	if (tc->second && ctx->port2 == NULL)
		return "needs a second connection (@switch second): "
		    "give its POP3 port with --port2 P";
	return NULL;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "host", required_argument, NULL, 'H' },
		{ "port", required_argument, NULL, 'P' },
		{ "port2", required_argument, NULL, '2' },
		{ "proto", required_argument, NULL, 'r' },
		{ "profile", required_argument, NULL, 'f' },
		{ "user", required_argument, NULL, 'u' },
		{ "pass", required_argument, NULL, 'p' },
		{ "user2", required_argument, NULL, 'U' },
		{ "pass2", required_argument, NULL, 'Q' },
		{ "apop-user", required_argument, NULL, 1006 },
		{ "apop-pass", required_argument, NULL, 1007 },
		{ "cases", required_argument, NULL, 'c' },
		{ "only", required_argument, NULL, 'o' },
		{ "level", required_argument, NULL, 'l' },
		{ "timeout", required_argument, NULL, 't' },
		{ "check", no_argument, NULL, 'k' },
		{ "list", no_argument, NULL, 'L' },
		{ "write-fixture", required_argument, NULL, 'w' },
		{ "format", required_argument, NULL, 'F' },
		{ "out", required_argument, NULL, 'O' },
		{ "dir", required_argument, NULL, 'O' },
		{ "tls", no_argument, NULL, 'T' },
		{ "stls", no_argument, NULL, 'S' },
		{ "cafile", required_argument, NULL, 'A' },
		{ "insecure", no_argument, NULL, 'I' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "coverage", no_argument, NULL, 1000 },
		{ "report", required_argument, NULL, 1001 },
		{ "label", required_argument, NULL, 1002 },
		{ "merge", required_argument, NULL, 1003 },
		{ "clauses", required_argument, NULL, 1004 },
		{ "untestable", required_argument, NULL, 1005 },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .proto = "pop3", .only = "*", .level = "polypop" };
	struct inventory inv = { NULL, 0, NULL };
	struct report run;
	char label[512];
	struct run_ctx ctx = { .fd = -1, .timeout_ms = 10000 };
	char **files = NULL, err[512];
	char clauses_path[4096], untestable_path[4096];
	size_t nfiles = 0;
	int ch, passed = 0, failed = 0, skipped = 0;

	while ((ch = getopt_long(argc, argv, "v", longopts, NULL)) != -1) {
		switch (ch) {
		case 'H': ctx.host = optarg; break;
		case 'P': ctx.port = optarg; break;
		case '2': ctx.port2 = optarg; break;
		case 'r': o.proto = optarg; break;
		case 'f': o.profile = optarg; break;
		case 'u': ctx.user = optarg; break;
		case 'p': ctx.pass = optarg; break;
		case 'U': ctx.user2 = optarg; break;
		case 'Q': ctx.pass2 = optarg; break;
		case 1006: ctx.apop_user = optarg; break;
		case 1007: ctx.apop_pass = optarg; break;
		case 'c': collect(optarg, &files, &nfiles); break;
		case 'o': o.only = optarg; break;
		case 'l':
			if (strcmp(optarg, "rfc") != 0 &&
			    strcmp(optarg, "polypop") != 0)
				usage();
			o.level = optarg;
			break;
		case 't': ctx.timeout_ms = (int)(atof(optarg) * 1000); break;
		case 'k': o.check = 1; break;
		case 'L': o.list = 1; break;
		case 'w': o.fixture = optarg; break;
		case 'F': o.format = optarg; break;
		case 'O': o.out = optarg; break;
		case 'T':
		case 'S':
			if (ctx.tls != TLS_NONE)
				usage();
			ctx.tls = ch == 'T' ? TLS_IMPLICIT : TLS_STLS;
			break;
		case 'A': ctx.cafile = optarg; break;
		case 'I': ctx.insecure = 1; break;
		case 'v': ctx.verbose = 1; break;
		case 'h': help(stdout, 0); break;
		case 1000: o.coverage = 1; break;
		case 1001: o.report = optarg; break;
		case 1002: o.label = optarg; break;
		case 1003:
			o.merge = realloc(o.merge, (o.nmerge + 1) *
			    sizeof(*o.merge));
			if (o.merge == NULL)
				exit(2);
			o.merge[o.nmerge++] = optarg;
			break;
		case 1004: o.clauses = optarg; break;
		case 1005: o.untestable = optarg; break;
		default: usage();
		}
	}
	if (optind != argc)
		usage();
	if (proto_dialect(o.proto) < 0) {
		fprintf(stderr, "polypop-conform: --proto %s: not one of pop3, "
		    "pop2, pop1, pop109\n", o.proto);
		return 2;
	}
	if (o.profile != NULL && strcmp(o.proto, "pop3") != 0) {
		fprintf(stderr, "polypop-conform: --profile names a POP3 "
		    "revision; --proto %s has none\n", o.proto);
		return 2;
	}
	if (o.clauses == NULL)
		o.clauses = data_path("clauses.txt", clauses_path,
		    sizeof(clauses_path));
	if (o.untestable == NULL)
		o.untestable = data_path("untestable.txt", untestable_path,
		    sizeof(untestable_path));
	/* One of the pair without the other would pair a name with the
	 * wrong secret. */
	if ((ctx.apop_user == NULL) != (ctx.apop_pass == NULL))
		usage();
	if (o.fixture != NULL)
		return write_fixture(&o);
	if (o.nmerge > 0) {
		/* --report FILE --merge IN...: no cases, only the matrix. */
		if (o.report == NULL)
			usage();
		load_inventory(&o, &inv, 0);
		report_init(&run, NULL);
		for (size_t i = 0; i < o.nmerge; i++) {
			char *buf;
			size_t len;

			if (read_file(o.merge[i], &buf, &len) < 0 ||
			    report_parse(&run, buf, len, err, sizeof(err)) != 0) {
				fprintf(stderr, "polypop-conform: %s: not a "
				    "report\n", o.merge[i]);
				exit(2);
			}
			free(buf);
		}
		if (report_merge_file(o.report, &inv, &run, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "polypop-conform: %s\n", err);
			return 2;
		}
		report_free(&run);
		inventory_free(&inv);
		free(o.merge);
		return 0;
	}
	if (nfiles == 0) {
		char name[64], buf[4096];
		const char *dir;
		struct stat sb;

		/* The protocol's own cases, cases/PROTO; with --profile (POP3
		 * only) the historic revisions', cases/pop3-profiles. */
		snprintf(name, sizeof(name), "cases/%s%s", o.proto,
		    o.profile != NULL ? "-profiles" : "");
		dir = data_path(name, buf, sizeof(buf));

		if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
			fprintf(stderr, "polypop-conform: %s: no such directory "
			    "of cases; name one with --cases DIR\n", dir);
			return 2;
		}
		collect(dir, &files, &nfiles);
	}
	if (o.check && !o.coverage && o.report == NULL &&
	    access(o.clauses, R_OK) != 0)
		fprintf(stderr, "polypop-conform: %s: %s; covers: headers "
		    "checked for syntax only (--clauses FILE)\n", o.clauses,
		    strerror(errno));
	else if (o.coverage || o.check || o.report)
		load_inventory(&o, &inv, o.coverage);
	if (o.coverage)
		o.check = 1;	/* no server: parse the cases only */
	if (o.report != NULL) {
		if (o.label == NULL) {
			snprintf(label, sizeof(label), "%s:%s%s%s",
			    ctx.host ? ctx.host : "?", ctx.port ? ctx.port : "?",
			    o.profile ? "/" : "", o.profile ? o.profile : "");
			o.label = label;
		}
		report_init(&run, &inv);
		report_column(&run, o.label, 1);
	}
	if (!o.check && !o.list && (ctx.host == NULL || ctx.port == NULL ||
	    ctx.user == NULL || ctx.pass == NULL))
		usage();
	if (ctx.timeout_ms <= 0 || (ctx.cafile != NULL && ctx.insecure))
		usage();
	if (ctx.insecure && ctx.tls != TLS_NONE && !o.check && !o.list)
		fprintf(stderr, "polypop-conform: --insecure: the server's "
		    "certificate is not verified\n");
	signal(SIGPIPE, SIG_IGN);

	for (size_t i = 0; i < nfiles; i++) {
		struct tcase tc;
		struct result res;
		const char *why;

		if (tcase_load(files[i], &tc, err, sizeof(err)) < 0) {
			printf("FAIL %s: transcript: %s\n", files[i], err);
			failed++;
			free(files[i]);
			continue;
		}
		if (fnmatch(o.only, tc.name, 0) != 0) {
			tcase_free(&tc);
			free(files[i]);
			continue;
		}
		if (o.list) {
			/* Folder names may hold spaces: "%20" here. */
			printf("%s %s %s %s ", tc.name, tc.proto,
			    tc.fixture ? tc.fixture : "basic",
			    tc.level ? tc.level : "rfc");
			for (const char *f = tc.folders ? tc.folders : "-";
			    *f; f++)
				if (*f == ' ')
					fputs("%20", stdout);
				else
					putchar(*f);
			printf(" %s ", tc.second ? "second" : "-");
			/* The profiles, comma-separated; "-": none. */
			for (const char *f = tc.profile ? tc.profile : "-";
			    *f; f++)
				putchar(*f == ' ' ? ',' : *f);
			/* RFC 1082 groups: "NAME=FIXTURE[=unreadable],..." */
			printf(" %s ", tc.bboards ? tc.bboards : "-");
			/* server-options: ' ' as "%20", '%' as "%25". */
			for (const char *f = tc.server_options ?
			    tc.server_options : "-"; *f; f++)
				if (*f == ' ' || *f == '%')
					printf("%%%02X", (unsigned char)*f);
				else
					putchar(*f);
			printf(" %s\n", tcase_wants_cert(&tc) ? "cert" : "-");
		} else if (o.check) {
			size_t bad = tc.ncovers;

			for (size_t k = 0; inv.n > 0 && k < tc.ncovers; k++)
				if (inventory_find(&inv, tc.covers[k]) < 0) {
					bad = k;
					break;
				}
			if (fixture_get(tc.fixture ? tc.fixture : "basic") ==
			    NULL) {
				printf("FAIL %s: unknown fixture '%s'\n",
				    tc.name, tc.fixture);
				failed++;
			} else if (bad < tc.ncovers) {
				printf("FAIL %s: covers: %s is not a clause of "
				    "%s\n", tc.name, tc.covers[bad], o.clauses);
				failed++;
			} else if (o.coverage) {
				int idx[256];
				char name[512];
				size_t n = tcase_clauses(&tc, &inv, idx, 256);

				case_label(files[i], name, sizeof(name));
				coverage_add(&inv, name, idx, n);
				passed++;
			} else {
				printf("ok %s\n", tc.name);
				passed++;
			}
		} else if ((why = why_skip(&o, &ctx, &tc)) != NULL) {
			printf("skip %s: %s\n", tc.name, why);
			skipped++;
			if (o.report)
				record(&run, &inv, &tc, CELL_SKIP);
		} else {
			run_case(&tc, &ctx, &res);
			if (o.report)
				record(&run, &inv, &tc, res.kind == RESULT_OK ?
				    CELL_OK : res.kind == RESULT_SKIP ?
				    CELL_SKIP : CELL_FAIL);
			if (res.kind == RESULT_OK) {
				printf("ok %s\n", tc.name);
				passed++;
			} else if (res.kind == RESULT_SKIP) {
				printf("skip %s: %s\n", tc.name, res.msg);
				skipped++;
			} else {
				printf("FAIL %s: %s\n", tc.name, res.msg);
				failed++;
			}
		}
		fflush(stdout);
		tcase_free(&tc);
		free(files[i]);
	}
	free(files);
	run_ctx_free(&ctx);
	if (passed + failed + skipped == 0 && !o.list) {
		/* A mistyped --only must not look like a clean run. */
		fprintf(stderr, "polypop-conform: no case matches --only '%s'"
		    "; --list shows their names\n", o.only);
		return 2;
	}
	if (o.coverage) {
		if (failed)
			return 1;
		coverage_write(stdout, &inv);
		inventory_free(&inv);
		return 0;
	}
	if (o.report != NULL) {
		if (report_merge_file(o.report, &inv, &run, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "polypop-conform: %s\n", err);
			failed++;
		}
		report_free(&run);
	}
	inventory_free(&inv);
	if (!o.list)
		printf("%d passed, %d failed, %d skipped\n", passed, failed,
		    skipped);
	return failed ? 1 : 0;
}
