/*
 * rpop.h - the RPOP trust map (RFC 1081 and RFC 1225, "RPOP user").
 *
 * RPOP authenticates by where a connection comes from, not by a secret:
 * the client connects from a reserved port (< 1024), which on a Berkeley
 * host only root can bind, and names a user on its own host; the server
 * decides whether that remote user may read the maildrop named in USER.
 * RFC 1081 uses ".rhosts" for that decision; polypopd uses this map,
 * given with --rpop-trust FILE.  Without the option RPOP is disabled.
 *
 * File format (docs/auth.md), one rule per line:
 *
 *     HOST REMOTE-USER LOCAL-USER
 *
 *   HOST         a numeric IPv4 or IPv6 address, never a host name
 *   REMOTE-USER  the user name the client sends in RPOP, or "=" for
 *                "the same name as LOCAL-USER"
 *   LOCAL-USER   a user of the --users file; no wildcard
 *
 * Fields are separated by spaces or tabs.  Lines whose first non-blank
 * character is '#' and blank lines are ignored.  There are no wildcards
 * at all ("*", "+" or a leading "-" are errors).
 *
 * Addresses are compared by value in IPv6 form, IPv4 as an IPv4-mapped
 * address, so a rule for 127.0.0.1 matches a client seen as 127.0.0.1
 * on an IPv4 listener and as ::ffff:127.0.0.1 on a dual-stack one, and a
 * rule written ::ffff:127.0.0.1 is the same rule as 127.0.0.1.
 *
 * Everything here is pure (no I/O, no DNS, no global state), and the map
 * is read-only once built, so lookups need no lock.
 */
#ifndef POLYPOP_RPOP_H
#define POLYPOP_RPOP_H

#include <stddef.h>

struct sockaddr;

/* The largest file, line and rule count accepted. */
#define RPOP_FILE_MAX		(1024 * 1024)
#define RPOP_LINE_MAX		1024	/* octets, line terminator excluded */
#define RPOP_RULES_MAX		10000
#define RPOP_NAME_MAX		255	/* octets of a user name */

struct rpop_map;

struct rpop_error {
	unsigned	 line;	/* 1-based; 0 when not about one line */
	const char	*why;	/* static text */
};

/*
 * Parse a whole trust map held in TEXT (LEN octets).  Returns 0 and *OUT
 * (free with rpop_free()), or -1 with *ERR filled and *OUT NULL.  One bad
 * line rejects the whole map: a trust map that loads half of itself would
 * grant or refuse access in ways its author did not write.  Memory used
 * is at most LEN + 1 octets plus one small record per rule.
 */
int rpop_parse(const char *text, size_t len, struct rpop_map **out,
    struct rpop_error *err);
void rpop_free(struct rpop_map *map);
size_t rpop_count(const struct rpop_map *map);

/* "NAME:LINE: why" (or "NAME: why" when the line is 0) into BUF. */
void rpop_error_format(const struct rpop_error *err, const char *name,
    char *buf, size_t size);

/*
 * 1 if MAP lets REMOTE_USER on the host at PEER_ADDR (numeric text, as
 * "192.0.2.1", "2001:db8::1" or "::ffff:192.0.2.1") read LOCAL_USER's
 * maildrop, else 0.  Unparsable addresses, empty names and a NULL map
 * give 0.  Names are compared exactly (case-sensitive).
 */
int rpop_allowed(const struct rpop_map *map, const char *peer_addr,
    const char *remote_user, const char *local_user);

/* The same with the address already in its 16-octet form. */
int rpop_allowed_addr(const struct rpop_map *map,
    const unsigned char addr[16], const char *remote_user,
    const char *local_user);

/*
 * Convert an AF_INET or AF_INET6 socket address into the 16-octet form
 * used for matching, and its port.  0, or -1 for another family.
 */
int rpop_addr_from_sockaddr(const struct sockaddr *sa, unsigned char out[16],
    unsigned *port);

#endif /* POLYPOP_RPOP_H */
