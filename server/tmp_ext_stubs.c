/*
 * tmp_ext_stubs.c - TEMPORARY (branch h-pop3 only; the integrator deletes
 * this file and its line in server/meson.build).  Minimal stand-ins for
 * the session.h functions of issue 6 that other branches implement
 * (SASL, TLS, site policy) and for store_arrival(), so that polypopd
 * links and the existing suite runs while the POP3 module calls them.
 * Nothing here is real: no TLS, no SASL, policy NEVER / 0.
 */
#include <stddef.h>
#include <time.h>

#include "session.h"
#include "store.h"

const char *
session_sasl_mechanisms(const struct session *s)
{
	(void)s;
	return "";
}

void
session_sasl_start(struct session *s, const char *mech, const char *initial,
    session_sasl_cb *cb)
{
	(void)mech;
	(void)initial;
	/* session.h wants the callback later, from the loop; the stub
	 * answers at once (acceptable for a stand-in). */
	cb(s, SESSION_LOGIN_BADMECH, NULL);
}

void
session_sasl_step(struct session *s, const char *response,
    session_sasl_cb *cb)
{
	(void)response;
	cb(s, SESSION_LOGIN_FAIL, NULL);
}

void
session_sasl_abort(struct session *s)
{
	(void)s;
}

int
session_tls_active(const struct session *s)
{
	(void)s;
	return 0;
}

int
session_tls_available(const struct session *s)
{
	(void)s;
	return 0;
}

int
session_plaintext_refused(const struct session *s)
{
	(void)s;
	return 0;
}

void
session_starttls(struct session *s, session_tls_cb *cb)
{
	(void)s;
	(void)cb;
}

void
session_policy(const struct session *s, struct session_policy *out)
{
	(void)s;
	out->expire_days = SESSION_EXPIRE_NEVER;
	out->login_delay = 0;
}

time_t
store_arrival(const struct store *st, size_t i)
{
	(void)st;
	(void)i;
	return 0;
}
