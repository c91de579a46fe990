/*
 * authdb.c - the passwd-file loaded into memory, looked up by name.
 *
 * The file is read once at start-up through a bounded line buffer; users
 * live in one array and an open-addressing hash table of indexes into it,
 * so a lookup costs one hash and a probe or two even with 100,000 users.
 * The table is read-only after auth_db_load(), so lookups from several
 * threads need no lock.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

/* Longest passwd-file line accepted, terminator excluded.  A user line is
 * a name (<= 255), a hash (< 200) and a few short fields; 4096 leaves room
 * for a long gecos or home and still refuses a binary file read by mistake. */
#define AUTHDB_LINE_MAX		4096
#define AUTHDB_EMPTY		SIZE_MAX

struct auth_db {
	struct auth_user	*users;
	size_t			 nusers;
	size_t			 cap;		/* of users */
	size_t			*slots;		/* indexes into users */
	size_t			 nslots;	/* power of two */
};

/* FNV-1a: short, good enough spread for user names.  The file is the
 * administrator's, so hash flooding is not a concern here. */
static uint64_t
authdb_hash(const char *s)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Slot holding NAME, or the empty slot where it would go. */
static size_t *
authdb_slot(const struct auth_db *db, const char *name)
{
	size_t	 mask = db->nslots - 1;
	size_t	 i = (size_t)authdb_hash(name) & mask;

	while (db->slots[i] != AUTHDB_EMPTY &&
	    strcmp(db->users[db->slots[i]].name, name) != 0)
		i = (i + 1) & mask;
	return &db->slots[i];
}

/* Keep the table at most half full so probe runs stay short. */
static int
authdb_grow(struct auth_db *db)
{
	size_t	*old = db->slots, oldn = db->nslots, i;
	size_t	 n = oldn ? oldn * 2 : 64;

	if ((db->slots = malloc(n * sizeof(*db->slots))) == NULL) {
		db->slots = old;
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		db->slots[i] = AUTHDB_EMPTY;
	db->nslots = n;
	for (i = 0; i < oldn; i++)
		if (old[i] != AUTHDB_EMPTY)
			*authdb_slot(db, db->users[old[i]].name) = old[i];
	free(old);
	return 0;
}

/* Take ownership of U's strings.  1 = added, 0 = duplicate (U untouched),
 * negative errno on failure. */
static int
authdb_add(struct auth_db *db, struct auth_user *u)
{
	struct auth_user	*nu;
	size_t			*slot;

	if ((db->nusers + 1) * 2 > db->nslots && authdb_grow(db) != 0)
		return -ENOMEM;
	slot = authdb_slot(db, u->name);
	if (*slot != AUTHDB_EMPTY)
		return 0;
	if (db->nusers == db->cap) {
		size_t n = db->cap ? db->cap * 2 : 64;

		if ((nu = realloc(db->users, n * sizeof(*nu))) == NULL)
			return -ENOMEM;
		db->users = nu;
		db->cap = n;
	}
	db->users[db->nusers] = *u;
	*slot = db->nusers++;
	return 1;
}

struct authdb_reader {
	struct auth_db	*db;
	const char	*path;
	auth_warn_cb	*warn;
	void		*arg;
	char		 line[AUTHDB_LINE_MAX + 1];
	size_t		 len;
	unsigned	 lineno;
	int		 toolong;
};

static void
authdb_warn(struct authdb_reader *r, const char *why)
{
	if (r->warn != NULL)
		r->warn(r->path, r->lineno, why, r->arg);
}

static int
authdb_line(struct authdb_reader *r)
{
	struct auth_user	 u;
	const char		*why;
	char			 msg[320];
	size_t			 len = r->len;
	int			 rc;

	r->lineno++;
	r->len = 0;
	if (r->toolong) {
		r->toolong = 0;
		auth_wipe(r->line, len);
		authdb_warn(r, "line longer than 4096 octets");
		return 0;
	}
	/* Lenient: a file edited on Windows still loads. */
	if (len > 0 && r->line[len - 1] == '\r')
		len--;
	rc = auth_passwd_parse_line(r->line, len, &u, &why);
	auth_wipe(r->line, len);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		authdb_warn(r, why);
		return 0;
	}
	if ((rc = authdb_add(r->db, &u)) < 0) {
		auth_user_clear(&u);
		return rc;
	}
	if (rc == 0) {
		/* A user name is not a secret; it helps to find the line. */
		snprintf(msg, sizeof(msg),
		    "duplicate user '%s' ignored, the first entry wins",
		    u.name);
		auth_user_clear(&u);
		authdb_warn(r, msg);
	}
	return 0;
}

static int
authdb_read(struct authdb_reader *r, FILE *fp)
{
	char	 buf[16384];
	size_t	 n, i;
	int	 rc;

	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		for (i = 0; i < n; i++) {
			if (buf[i] == '\n') {
				if ((rc = authdb_line(r)) < 0)
					goto out;
			} else if (r->len < AUTHDB_LINE_MAX)
				r->line[r->len++] = buf[i];
			else
				r->toolong = 1;
		}
	}
	if (ferror(fp)) {
		rc = -EIO;
		goto out;
	}
	/* A last line without '\n' still counts. */
	rc = (r->len > 0 || r->toolong) ? authdb_line(r) : 0;
out:
	auth_wipe(buf, sizeof(buf));
	return rc;
}

int
auth_db_load(const char *path, struct auth_db **out, auth_warn_cb *warn,
    void *arg)
{
	struct authdb_reader	*r;
	struct auth_db		*db;
	FILE			*fp;
	int			 rc;

	*out = NULL;
	if ((fp = fopen(path, "re")) == NULL)
		return -errno;
	db = calloc(1, sizeof(*db));
	r = calloc(1, sizeof(*r));
	if (db == NULL || r == NULL || authdb_grow(db) != 0) {
		free(r);
		auth_db_free(db);
		fclose(fp);
		return -ENOMEM;
	}
	r->db = db;
	r->path = path;
	r->warn = warn;
	r->arg = arg;
	rc = authdb_read(r, fp);
	fclose(fp);
	auth_wipe(r, sizeof(*r));
	free(r);
	if (rc < 0) {
		auth_db_free(db);
		return rc;
	}
	*out = db;
	return 0;
}

void
auth_db_free(struct auth_db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < db->nusers; i++)
		auth_user_clear(&db->users[i]);
	free(db->users);
	free(db->slots);
	free(db);
}

size_t
auth_db_count(const struct auth_db *db)
{
	return db == NULL ? 0 : db->nusers;
}

const struct auth_user *
auth_db_lookup(const struct auth_db *db, const char *name)
{
	size_t	 i;

	if (db == NULL || name == NULL)
		return NULL;
	i = *authdb_slot(db, name);
	return i == AUTHDB_EMPTY ? NULL : &db->users[i];
}
