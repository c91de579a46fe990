/*
 * listener.c - bind every --listen address and hand connections to conn.c.
 *
 * As soon as a listener is bound, exactly one line "listening PROTO
 * HOST:PORT" goes to standard output with the real port (PORT 0 picks a
 * free one), flushed at once: tests and scripts wait for it.  PROTO is
 * "pop3/rfc1081" for a listener with a profile, and "pop3s" for implicit
 * TLS (RFC 8314), as --listen spells them.
 */
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "server.h"

static void
listener_on_connection(uv_stream_t *st, int status)
{
	struct listener *l = st->data;

	if (status < 0) {
		log_warn("event=accept-error proto=%s reason=%s",
		    l->proto->name, uv_strerror(status));
		return;
	}
	conn_accept(l);
}

/*
 * HOST as an address: a numeric IPv4 or IPv6 literal, else a name looked
 * up once at start-up (blocking is fine before the loop runs); the first
 * address wins.
 */
static int
listener_address(const struct listener *l, struct sockaddr_storage *ss)
{
	struct addrinfo hints, *res;
	int rc;

	memset(ss, 0, sizeof(*ss));
	if (uv_ip4_addr(l->spec.host, l->spec.port,
	    (struct sockaddr_in *)ss) == 0 ||
	    uv_ip6_addr(l->spec.host, l->spec.port,
	    (struct sockaddr_in6 *)ss) == 0)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(l->spec.host, NULL, &hints, &res);
	if (rc != 0) {
		log_error("event=listen-failed proto=%s host=%s reason=\"%s\"",
		    l->proto->name, l->spec.host, gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(l->spec.port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(l->spec.port);
	freeaddrinfo(res);
	return 0;
}

static int
listener_open(struct server *srv, struct listener *l)
{
	struct sockaddr_storage ss;
	int len = sizeof(ss), rc, v6;

	if (listener_address(l, &ss) < 0)
		return -1;
	v6 = ss.ss_family == AF_INET6;
	uv_tcp_init(srv->loop, &l->tcp);
	l->tcp.data = l;
	l->open = 1;
	if ((rc = uv_tcp_bind(&l->tcp, (struct sockaddr *)&ss,
	    v6 ? UV_TCP_IPV6ONLY : 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&l->tcp, 511,
	    listener_on_connection)) != 0) {
		log_error("event=listen-failed proto=%s addr=%s%s%s:%u "
		    "reason=\"%s\"", l->proto->name, v6 ? "[" : "",
		    l->spec.host, v6 ? "]" : "", l->spec.port,
		    uv_strerror(rc));
		return -1;
	}
	/* Report the address really bound: numeric, with the real port. */
	uv_tcp_getsockname(&l->tcp, (struct sockaddr *)&ss, &len);
	if (v6) {
		uv_ip6_name((struct sockaddr_in6 *)&ss, l->spec.host,
		    sizeof(l->spec.host));
		l->spec.port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else {
		uv_ip4_name((struct sockaddr_in *)&ss, l->spec.host,
		    sizeof(l->spec.host));
		l->spec.port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	}
	/* "pop3/rfc1081" when a profile is named, as --listen spells it, so
	 * two listeners of one protocol can be told apart. */
	printf("listening %s%s%s%s %s%s%s:%u\n", l->proto->name,
	    l->spec.tls ? "s" : "", l->spec.profile[0] ? "/" : "",
	    l->spec.profile, v6 ? "[" : "", l->spec.host, v6 ? "]" : "",
	    l->spec.port);
	fflush(stdout);
	log_info("event=listening proto=%s%s%s%s%s port=%u", l->proto->name,
	    l->spec.profile[0] ? " profile=" : "", l->spec.profile,
	    l->spec.tls ? " tls=implicit" : "",
	    l->spec.plaintext_tls_only ? " plaintext-auth=tls" : "",
	    l->spec.port);
	return 0;
}

/* A profile must be one the module names (proto_ops.profiles). */
static int
listener_profile_ok(const struct listener *l)
{
	const char *const *pr = l->proto->profiles;
	char known[256];
	size_t o = 0;

	if (l->spec.profile[0] == '\0')
		return 1;
	for (; pr != NULL && *pr != NULL; pr++)
		if (strcmp(*pr, l->spec.profile) == 0)
			return 1;
	known[0] = '\0';
	for (pr = l->proto->profiles; pr != NULL && *pr != NULL; pr++) {
		int n = snprintf(known + o, sizeof(known) - o, "%s%s",
		    o ? ", " : "", *pr);

		if (n < 0 || (size_t)n >= sizeof(known) - o)
			break;
		o += (size_t)n;
	}
	log_error("event=config-error reason=\"unknown profile '%s' for %s "
	    "in --listen\" known=\"%s\"", l->spec.profile, l->proto->name,
	    o ? known : "none: this protocol has no profiles");
	return 0;
}

int
listener_open_all(struct server *srv)
{
	size_t i;

	/* Every profile first, so a typo binds nothing. */
	for (i = 0; i < srv->nlisteners; i++)
		if (!listener_profile_ok(&srv->listeners[i]))
			return -1;
	for (i = 0; i < srv->nlisteners; i++)
		if (listener_open(srv, &srv->listeners[i]) < 0)
			return -1;
	return 0;
}

void
listener_close_all(struct server *srv)
{
	size_t i;

	for (i = 0; i < srv->nlisteners; i++) {
		struct listener *l = &srv->listeners[i];

		if (l->open && !uv_is_closing((uv_handle_t *)&l->tcp))
			uv_close((uv_handle_t *)&l->tcp, NULL);
	}
}
