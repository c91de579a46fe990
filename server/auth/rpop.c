/*
 * rpop.c - the RPOP trust map: parser and lookup (rpop.h, docs/auth.md).
 *
 * Pure: bytes in, a struct out.  The daemon reads the file (serve.c) and
 * hands the octets here, so every rule and every error is testable
 * without a file system.
 *
 * Why HOST must be numeric: RPOP trusts a host, and a host name would make
 * that trust depend on the resolver.  Whoever controls the reverse or
 * forward zone of the client's address, or can spoof or poison a DNS
 * answer, could then make any address "be" a trusted host; and a lookup at
 * load time would freeze whatever the resolver said that day.  A numeric
 * address means exactly one thing, so the map is what the file says.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rpop.h"

struct rpop_rule {
	unsigned char	 addr[16];	/* IPv6; IPv4 as ::ffff:a.b.c.d */
	const char	*remote;	/* NULL: "=", the same as local */
	const char	*local;
};

struct rpop_map {
	char		*text;		/* the file, fields NUL-terminated */
	struct rpop_rule *rules;
	size_t		 nrules, cap;
};

static const unsigned char rpop_v4mapped[12] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
};

/* IPv4 becomes ::ffff:a.b.c.d so that both families compare as one. */
static void
rpop_map_v4(const void *in4, unsigned char out[16])
{
	memcpy(out, rpop_v4mapped, sizeof(rpop_v4mapped));
	memcpy(out + 12, in4, 4);
}

/* Parse numeric ADDR; 0 or -1.  No brackets, no zone, no name. */
static int
rpop_addr_parse(const char *addr, unsigned char out[16])
{
	struct in_addr	 a4;

	if (inet_pton(AF_INET, addr, &a4) == 1) {
		rpop_map_v4(&a4, out);
		return 0;
	}
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, out) == 1)
		return 0;
	return -1;
}

/* Why HOST is unusable in a rule, or NULL (and OUT filled). */
static const char *
rpop_host(const char *host, unsigned char out[16])
{
	static const unsigned char zero[16];
	size_t	 i;

	if (host[0] == '[')
		return "write an IPv6 address without brackets";
	if (strchr(host, '%') != NULL)
		return "zone index ('%') not supported";
	if (strchr(host, '/') != NULL)
		return "address ranges are not supported, one address per rule";
	if (strcmp(host, "*") == 0 || strcmp(host, "+") == 0)
		return "wildcards are not allowed";
	if (strlen(host) >= INET6_ADDRSTRLEN || rpop_addr_parse(host,
	    out) != 0) {
		if (strchr(host, ':') != NULL)
			return "bad IPv6 address";
		for (i = 0; host[i] != '\0'; i++)
			if ((host[i] < '0' || host[i] > '9') && host[i] != '.')
				return "host names are not accepted (no DNS), "
				    "write a numeric address";
		return "bad IPv4 address";
	}
	if (memcmp(out, zero, 16) == 0 || (memcmp(out, rpop_v4mapped, 12) ==
	    0 && memcmp(out + 12, zero, 4) == 0))
		return "0.0.0.0 and :: are not wildcards, name each client "
		    "address";
	/* fe80::/10 means one host per link; without a zone the rule would
	 * trust that address on every interface. */
	if (out[0] == 0xfe && (out[1] & 0xc0) == 0x80)
		return "link-local addresses are not supported";
	return NULL;
}

/* Why NAME is unusable as a user name, or NULL. */
static const char *
rpop_name(const char *name)
{
	size_t	 len = strlen(name);

	if (strcmp(name, "*") == 0 || name[0] == '+')
		return "wildcards are not allowed";
	if (name[0] == '-')
		return "'-' entries (as in .rhosts) are not supported";
	if (len > RPOP_NAME_MAX)
		return "user name longer than 255 octets";
	return NULL;
}

static int
rpop_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
rpop_add(struct rpop_map *m, const struct rpop_rule *r)
{
	struct rpop_rule	*n;
	size_t			 cap;

	if (m->nrules == m->cap) {
		cap = m->cap ? m->cap * 2 : 16;
		if (cap > RPOP_RULES_MAX)
			cap = RPOP_RULES_MAX;
		if ((n = realloc(m->rules, cap * sizeof(*n))) == NULL)
			return -1;
		m->rules = n;
		m->cap = cap;
	}
	m->rules[m->nrules++] = *r;
	return 0;
}

/*
 * One line at P (LEN octets, inside the map's own copy, so fields are
 * terminated in place).  0, or -1 with *WHY.
 */
static int
rpop_line(struct rpop_map *m, char *p, size_t len, const char **why)
{
	struct rpop_rule	 r;
	char			*field[3];
	size_t			 i, nf = 0;

	if (len > 0 && p[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		if (p[i] == '\0') {
			*why = "NUL octet in line";
			return -1;
		}
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    p[i] == 0x7f) {
			*why = "control character in line";
			return -1;
		}
	}
	i = 0;
	while (i < len && rpop_is_blank(p[i]))
		i++;
	if (i == len || p[i] == '#')
		return 0;
	while (i < len) {
		if (nf == 3) {
			*why = "too many fields, expected HOST REMOTE-USER "
			    "LOCAL-USER (comments go on their own line)";
			return -1;
		}
		field[nf++] = p + i;
		while (i < len && !rpop_is_blank(p[i]))
			i++;
		if (i < len)
			p[i++] = '\0';
		while (i < len && rpop_is_blank(p[i]))
			i++;
	}
	p[len] = '\0';
	if (nf != 3) {
		*why = "expected HOST REMOTE-USER LOCAL-USER";
		return -1;
	}
	memset(&r, 0, sizeof(r));
	if ((*why = rpop_host(field[0], r.addr)) != NULL)
		return -1;
	if (strcmp(field[1], "=") != 0) {
		if ((*why = rpop_name(field[1])) != NULL)
			return -1;
		r.remote = field[1];
	}
	if (strcmp(field[2], "=") == 0) {
		*why = "'=' is only allowed as REMOTE-USER";
		return -1;
	}
	if ((*why = rpop_name(field[2])) != NULL)
		return -1;
	r.local = field[2];
	if (m->nrules == RPOP_RULES_MAX) {
		*why = "more than 10000 rules";
		return -1;
	}
	if (rpop_add(m, &r) != 0) {
		*why = "out of memory";
		return -1;
	}
	return 0;
}

int
rpop_parse(const char *text, size_t len, struct rpop_map **out,
    struct rpop_error *err)
{
	struct rpop_map	*m;
	char		*p, *end, *nl;
	size_t		 llen;
	unsigned	 lineno = 0;

	*out = NULL;
	err->line = 0;
	err->why = NULL;
	if (len > RPOP_FILE_MAX) {
		err->why = "larger than 1048576 octets";
		return -1;
	}
	if ((m = calloc(1, sizeof(*m))) == NULL ||
	    (m->text = malloc(len + 1)) == NULL) {
		free(m);
		err->why = "out of memory";
		return -1;
	}
	if (len > 0)
		memcpy(m->text, text, len);
	m->text[len] = '\0';
	p = m->text;
	end = m->text + len;
	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		llen = (size_t)(nl - p);
		err->line = lineno;
		/* A CRLF line end does not count against the limit. */
		if (llen > RPOP_LINE_MAX +
		    (size_t)(llen > 0 && p[llen - 1] == '\r')) {
			err->why = "line longer than 1024 octets";
			goto fail;
		}
		if (rpop_line(m, p, llen, &err->why) != 0)
			goto fail;
		p = nl + 1;
	}
	err->line = 0;
	*out = m;
	return 0;
fail:
	rpop_free(m);
	return -1;
}

void
rpop_free(struct rpop_map *map)
{
	if (map == NULL)
		return;
	free(map->rules);
	free(map->text);
	free(map);
}

size_t
rpop_count(const struct rpop_map *map)
{
	return map == NULL ? 0 : map->nrules;
}

void
rpop_error_format(const struct rpop_error *err, const char *name, char *buf,
    size_t size)
{
	const char	*why = err->why != NULL ? err->why : "error";

	if (size == 0)
		return;
	if (err->line > 0)
		snprintf(buf, size, "%s:%u: %s", name, err->line, why);
	else
		snprintf(buf, size, "%s: %s", name, why);
}

int
rpop_allowed_addr(const struct rpop_map *map, const unsigned char addr[16],
    const char *remote_user, const char *local_user)
{
	const struct rpop_rule	*r;
	size_t			 i;

	if (map == NULL || remote_user == NULL || local_user == NULL ||
	    remote_user[0] == '\0' || local_user[0] == '\0')
		return 0;
	for (i = 0; i < map->nrules; i++) {
		r = &map->rules[i];
		if (memcmp(r->addr, addr, 16) != 0 ||
		    strcmp(r->local, local_user) != 0)
			continue;
		if (strcmp(r->remote != NULL ? r->remote : r->local,
		    remote_user) == 0)
			return 1;
	}
	return 0;
}

int
rpop_allowed(const struct rpop_map *map, const char *peer_addr,
    const char *remote_user, const char *local_user)
{
	unsigned char	 addr[16];

	if (peer_addr == NULL || strlen(peer_addr) >= INET6_ADDRSTRLEN ||
	    rpop_addr_parse(peer_addr, addr) != 0)
		return 0;
	return rpop_allowed_addr(map, addr, remote_user, local_user);
}

int
rpop_addr_from_sockaddr(const struct sockaddr *sa, unsigned char out[16],
    unsigned *port)
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		rpop_map_v4(&sin->sin_addr, out);
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		memcpy(out, &sin6->sin6_addr, 16);
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}
