/*
 * session_login.h - between session_sasl.c and session_async.c, which
 * owns the one path every login ends in (accept with LOGIN-DELAY, or the
 * failure delay).  Core-internal; modules use session.h.
 */
#ifndef POLYPOP_SESSION_LOGIN_H
#define POLYPOP_SESSION_LOGIN_H

#include "server.h"

struct auth_user;

/*
 * End a SASL exchange with RESULT (SESSION_LOGIN_*).  The caller holds
 * one s->pending for it, released just before CB is called, always on a
 * later loop turn: OK (if NAME passes store_user_name_ok(), else
 * BADNAME), BADMECH and BADB64 at once, FAIL, ESCHEME and ETEMP after the
 * failure delay.  Takes U (the user, on OK).  MECH is a static name.
 */
void login_sasl_finish(struct session *s, const char *mech,
    const char *name, struct auth_user *u, int result, session_sasl_cb *cb);

/* session_sasl.c: free an exchange no callback will finish (called from
 * session_async_cleanup() when no work is in flight). */
void session_sasl_cleanup(struct session *s);

#endif /* POLYPOP_SESSION_LOGIN_H */
