/*
 * bboard_scan.h - RFC 1082 discussion groups on a mail location: which
 * folders are groups, and how one is opened.  The blocking work behind
 * session_bboard_list() and session_bboard_open() (session.h), shared by
 * the core (server/session_async.c, on the threadpool) and its test
 * stand-in (protocols/tests/testcore.c), so both run the same rules on
 * the real store.  Only store.h is used: no path is ever built here.
 *
 * The --bboards LOCATION belongs to no user (options.c refuses %u and %h);
 * store.h's user is the fixed pseudo-user BBOARD_USER.  Every folder of
 * the location whose name is an RFC 1082 NAME, ALPHA *(ALPHA / DIGIT /
 * "-"), of at most BBOARD_NAME_MAX characters, is a group; its archive
 * maildrop is the folder NAME.archive (which is not a NAME, so never a
 * group itself).  Names are recognised case-insensitively ("Definition of
 * Terms"); of two folders differing only in case, the first in byte order
 * is the group.  A group whose maildrop cannot be opened read-only is not
 * listed (RFC 1082 "Policy Notes": unreadable maildrops "should not be
 * listed").  At most BBOARD_MAX groups, the first in byte order.
 *
 * Everything is static inline so that a file which includes this header
 * and uses none of it costs nothing and warns of nothing.
 */
#ifndef POLYPOP_BBOARD_SCAN_H
#define POLYPOP_BBOARD_SCAN_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session.h"
#include "store.h"

#define BBOARD_USER		"bboards"
#define BBOARD_MAX		SESSION_BBOARD_MAX
#define BBOARD_NAME_MAX		SESSION_BBOARD_NAME_MAX
#define BBOARD_ARCHIVE_SUFFIX	".archive"
/* Folder names collected per scan at most, whatever the directory holds. */
#define BBOARD_SCAN_MAX		65536

struct bboard_info {
	char name[BBOARD_NAME_MAX + 1];		/* the folder's spelling */
	/* The archive folder, "" when there is none or it cannot be read
	 * (filled only when asked for). */
	char archive[BBOARD_NAME_MAX + sizeof(BBOARD_ARCHIVE_SUFFIX)];
	uint64_t maxima;			/* messages in the maildrop */
};

/* RFC 1082 NAME: ALPHA *(ALPHA / DIGIT / "-"), 1..BBOARD_NAME_MAX. */
static inline int
bboard_name_ok(const char *name, size_t len)
{
	size_t i;

	if (len == 0 || len > BBOARD_NAME_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		int alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');

		if (alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '-')))
			continue;
		return 0;
	}
	/* store.h: "INBOX" in any case names the pseudo-user's INBOX. */
	return !(len == 5 && strncasecmp(name, "INBOX", 5) == 0);
}

struct bboard_names {
	char **v;
	size_t n, cap;
	int err;
};

static inline void
bboard_names_add(const char *name, void *arg)
{
	struct bboard_names *b = arg;
	size_t len = strlen(name), slen = strlen(BBOARD_ARCHIVE_SUFFIX);
	char **nv;

	if (b->err != 0 || b->n >= BBOARD_SCAN_MAX)
		return;
	/* Groups and their archives; nothing else is worth keeping. */
	if (!bboard_name_ok(name, len) && !(len > slen &&
	    strcasecmp(name + len - slen, BBOARD_ARCHIVE_SUFFIX) == 0 &&
	    bboard_name_ok(name, len - slen)))
		return;
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;

		if ((nv = realloc(b->v, cap * sizeof(*nv))) == NULL) {
			b->err = STORE_ENOMEM;
			return;
		}
		b->v = nv;
		b->cap = cap;
	}
	if ((b->v[b->n] = strdup(name)) == NULL) {
		b->err = STORE_ENOMEM;
		return;
	}
	b->n++;
}

static inline int
bboard_names_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void
bboard_names_free(struct bboard_names *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	memset(b, 0, sizeof(*b));
}

/* Every folder that is a group or an archive, sorted by byte order. */
static inline int
bboard_names_scan(const struct store_location *loc, struct bboard_names *b)
{
	struct store_user u = { BBOARD_USER, "" };
	int rc;

	memset(b, 0, sizeof(*b));
	rc = store_list_folders(loc, &u, bboard_names_add, b);
	if (rc == 0)
		rc = b->err;
	if (rc != 0) {
		bboard_names_free(b);
		return rc;
	}
	if (b->n > 1)
		qsort(b->v, b->n, sizeof(*b->v), bboard_names_cmp);
	return 0;
}

/* The first folder (byte order) whose name is WANT, any case, or NULL. */
static inline const char *
bboard_names_find(const struct bboard_names *b, const char *want)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcasecmp(b->v[i], want) == 0)
			return b->v[i];
	return NULL;
}

/* The group GROUP's archive folder, if it exists, or NULL. */
static inline const char *
bboard_names_archive(const struct bboard_names *b, const char *group)
{
	char want[BBOARD_NAME_MAX + sizeof(BBOARD_ARCHIVE_SUFFIX)];

	snprintf(want, sizeof(want), "%s%s", group, BBOARD_ARCHIVE_SUFFIX);
	return bboard_names_find(b, want);
}

/* Open FOLDER read-only; its message count, or -1 if it cannot be read. */
static inline int64_t
bboard_count(const struct store_location *loc, const char *folder)
{
	struct store_user u = { BBOARD_USER, "" };
	struct store *st;
	char err[256];
	int64_t n;

	if (store_open_shared(loc, &u, folder, &st, err, sizeof(err)) != 0)
		return -1;
	n = (int64_t)store_count(st);
	store_close(st);
	return n;
}

/*
 * The groups of LOC (ONLY == NULL), or the one group named ONLY, any
 * case (at most one entry).  With ARCHIVES, each entry's archive is
 * looked for and opened too.  *OUT is malloc'd (NULL when *N is 0);
 * *SKIPPED counts groups left out by the BBOARD_MAX limit.  0 or a
 * STORE_E* code.
 */
static inline int
bboard_list(const struct store_location *loc, const char *only, int archives,
    struct bboard_info **out, size_t *n, size_t *skipped)
{
	struct bboard_names b;
	struct bboard_info *v = NULL;
	const char *prev = NULL, *arch;
	int64_t count;
	size_t i;
	int rc;

	*out = NULL;
	*n = 0;
	*skipped = 0;
	if (only != NULL && !bboard_name_ok(only, strlen(only)))
		return 0;
	if ((rc = bboard_names_scan(loc, &b)) != 0)
		return rc;
	for (i = 0; i < b.n; i++) {
		const char *name = b.v[i];

		if (!bboard_name_ok(name, strlen(name)))
			continue;		/* an archive */
		/* Case-insensitive names: the first spelling wins. */
		if (prev != NULL && strcasecmp(prev, name) == 0)
			continue;
		prev = name;
		if (only != NULL && strcasecmp(only, name) != 0)
			continue;
		if (*n == BBOARD_MAX) {
			(*skipped)++;
			continue;
		}
		if ((count = bboard_count(loc, name)) < 0)
			continue;		/* unreadable: not listed */
		if (v == NULL && (v = calloc(only != NULL ? 1 : BBOARD_MAX,
		    sizeof(*v))) == NULL) {
			bboard_names_free(&b);
			return STORE_ENOMEM;
		}
		snprintf(v[*n].name, sizeof(v[*n].name), "%s", name);
		v[*n].maxima = (uint64_t)count;
		if (archives && (arch = bboard_names_archive(&b, name)) !=
		    NULL && bboard_count(loc, arch) >= 0)
			snprintf(v[*n].archive, sizeof(v[*n].archive), "%s",
			    arch);
		(*n)++;
		if (only != NULL)
			break;
	}
	bboard_names_free(&b);
	*out = v;
	return 0;
}

/*
 * Open the group GROUP (any case), or with ARCHIVE its archive, read-only
 * (store_open_shared: no maildrop lock).  NAME receives the group's own
 * spelling.  STORE_ENOFOLDER when there is no such group or archive.
 */
static inline int
bboard_open(const struct store_location *loc, const char *group, int archive,
    struct store **st, char name[BBOARD_NAME_MAX + 1], char *err,
    size_t errlen)
{
	struct store_user u = { BBOARD_USER, "" };
	struct bboard_names b;
	const char *g, *folder;
	int rc;

	*st = NULL;
	name[0] = '\0';
	if (!bboard_name_ok(group, strlen(group))) {
		snprintf(err, errlen, "not a discussion group name");
		return STORE_ENOFOLDER;
	}
	if ((rc = bboard_names_scan(loc, &b)) != 0) {
		snprintf(err, errlen, "%s", store_strerror(rc));
		return rc;
	}
	folder = g = bboard_names_find(&b, group);
	if (g != NULL && archive)
		folder = bboard_names_archive(&b, g);
	if (folder == NULL) {
		snprintf(err, errlen, g == NULL ? "no such discussion group" :
		    "discussion group has no archive");
		rc = STORE_ENOFOLDER;
	} else {
		snprintf(name, BBOARD_NAME_MAX + 1, "%s", g);
		rc = store_open_shared(loc, &u, folder, st, err, errlen);
	}
	bboard_names_free(&b);
	return rc;
}

#endif /* POLYPOP_BBOARD_SCAN_H */
