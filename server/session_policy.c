/*
 * session_policy.c - RFC 2449 §6.5 LOGIN-DELAY and §6.7 EXPIRE as the
 * module advertises and enforces them.
 *
 * Both come from the server's options (--expire, --login-delay); there
 * are no per-user values yet, so the policy is the same before and after
 * login.  The LOGIN-DELAY itself is enforced in session_async.c, where
 * every successful login passes.
 */
#include "server.h"

void
session_policy(const struct session *s, struct session_policy *out)
{
	const struct options *o = s->srv->opt;

	out->expire_days = o->expire_days < 0 ? SESSION_EXPIRE_NEVER :
	    o->expire_days;
	out->login_delay = o->login_delay;
}
