/*
 * login_delay.c - user name -> time of the last successful login, a
 * chained hash table that sweeps out stamps older than the delay before
 * it grows (login_delay.h).
 */
#include <stdlib.h>
#include <string.h>

#include "login_delay.h"

#define LD_MIN_BUCKETS	64

struct ld_entry {
	struct ld_entry	*next;
	uint64_t	 stamp_ms;
	char		 name[];
};

struct login_delay {
	struct ld_entry	**b;
	size_t		  nb;
	size_t		  count;
};

/* FNV-1a: names are the client's text, but only names that just logged
 * in successfully get here, so no one can fill a chain at will. */
static size_t
ld_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

struct login_delay *
login_delay_new(void)
{
	struct login_delay *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->b = calloc(LD_MIN_BUCKETS, sizeof(*t->b))) == NULL) {
		free(t);
		return NULL;
	}
	t->nb = LD_MIN_BUCKETS;
	return t;
}

void
login_delay_free(struct login_delay *t)
{
	struct ld_entry *e, *n;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = n) {
			n = e->next;
			free(e);
		}
	free(t->b);
	free(t);
}

size_t
login_delay_count(const struct login_delay *t)
{
	return t->count;
}

/* Drop every stamp that can no longer refuse a login. */
static void
ld_sweep(struct login_delay *t, uint64_t delay_ms, uint64_t now_ms)
{
	struct ld_entry **pp, *e;
	size_t i;

	for (i = 0; i < t->nb; i++)
		for (pp = &t->b[i]; (e = *pp) != NULL; ) {
			if (now_ms - e->stamp_ms >= delay_ms) {
				*pp = e->next;
				free(e);
				t->count--;
			} else
				pp = &e->next;
		}
}

static void
ld_grow(struct login_delay *t)
{
	struct ld_entry **nb, *e, *n;
	size_t i, h, nnb = t->nb * 2;

	if ((nb = calloc(nnb, sizeof(*nb))) == NULL)
		return;		/* longer chains, still correct */
	for (i = 0; i < t->nb; i++)
		for (e = t->b[i]; e != NULL; e = n) {
			n = e->next;
			h = ld_hash(e->name) % nnb;
			e->next = nb[h];
			nb[h] = e;
		}
	free(t->b);
	t->b = nb;
	t->nb = nnb;
}

int
login_delay_check(struct login_delay *t, const char *name, unsigned delay_s,
    uint64_t now_ms)
{
	uint64_t delay_ms = (uint64_t)delay_s * 1000;
	struct ld_entry *e;
	size_t len, h;

	if (delay_s == 0)
		return LOGIN_DELAY_ALLOW;
	h = ld_hash(name) % t->nb;
	for (e = t->b[h]; e != NULL; e = e->next)
		if (strcmp(e->name, name) == 0)
			break;
	if (e != NULL) {
		/* A clock that went backwards (it should not: monotonic)
		 * counts as "just now". */
		if (now_ms < e->stamp_ms || now_ms - e->stamp_ms < delay_ms)
			return LOGIN_DELAY_REFUSE;
		e->stamp_ms = now_ms;
		return LOGIN_DELAY_ALLOW;
	}
	if (t->count >= t->nb) {
		ld_sweep(t, delay_ms, now_ms);
		if (t->count >= t->nb / 2)
			ld_grow(t);
		h = ld_hash(name) % t->nb;
	}
	len = strlen(name);
	if ((e = malloc(sizeof(*e) + len + 1)) == NULL)
		return LOGIN_DELAY_ENOMEM;
	memcpy(e->name, name, len + 1);
	e->stamp_ms = now_ms;
	e->next = t->b[h];
	t->b[h] = e;
	t->count++;
	return LOGIN_DELAY_ALLOW;
}
