/*
 * tmp_tls_stubs.c - TEMPORARY, for branch h-sasl only: the TLS helper's
 * tls.c defines these.  The integrator drops this file (and its line in
 * server/meson.build) when merging that work.
 */
#include "server.h"

int
session_tls_active(const struct session *s)
{
	return 0;
}

int
session_tls_available(const struct session *s)
{
	return 0;
}

int
session_plaintext_refused(const struct session *s)
{
	return 0;
}

void
session_starttls(struct session *s, session_tls_cb *cb)
{
	session_close(s);
}
