/*
 * pop3_capa.c - CAPA (RFC 2449 §5): what this session can use now.
 *
 * RFC 2449 §5: "Capabilities available in the AUTHORIZATION state MUST
 * be announced in both states", so the list differs between the states
 * only where an RFC says so: STLS is "present and permitted in the
 * current state" (RFC 2595 §4), i.e. AUTHORIZATION only.  What the
 * listener and the site allow (TLS, plaintext passwords, mechanisms,
 * EXPIRE, LOGIN-DELAY) comes from the core each time, so a CAPA after
 * STLS or login tells the truth then.
 */
#include <stdio.h>

#include "pop3_int.h"
#include "session.h"

#ifndef POLYPOP_VERSION
#define POLYPOP_VERSION "unknown"
#endif

const char *
pop3_version(void)
{
	return POLYPOP_VERSION;
}

int
pop3_cmd_capa(struct pop3 *p, const struct pop3_cmd *cmd)
{
	struct session *s = p->s;
	struct session_policy pol;
	const char *mechs;

	(void)cmd;
	session_policy(s, &pol);
	pop3_ok(p, "Capability list follows");
	/* RFC 2449 §6.1; RFC 1939 §7. */
	session_reply(s, "TOP");
	/* RFC 2449 §6.2: USER and PASS; not while passwords in the clear
	 * are refused (plaintext-auth=tls before STLS). */
	if (!session_plaintext_refused(s))
		session_reply(s, "USER");
	/* RFC 5034 §3: announced "even after a successful AUTH command";
	 * no line when no mechanism is usable. */
	mechs = session_sasl_mechanisms(s);
	if (mechs != NULL && mechs[0] != '\0')
		session_reply(s, "SASL %s", mechs);
	/* RFC 2449 §6.4 and RFC 3206 §6: every -ERR caused by credentials
	 * carries [AUTH]. */
	session_reply(s, "RESP-CODES");
	session_reply(s, "AUTH-RESP-CODE");
	/* RFC 2449 §6.6: the core reads pipelined commands in order. */
	session_reply(s, "PIPELINING");
	/* RFC 2449 §6.7.  One site-wide value, so no "USER" token. */
	if (pol.expire_days < 0)
		session_reply(s, "EXPIRE NEVER");
	else
		session_reply(s, "EXPIRE %ld", pol.expire_days);
	/* RFC 2449 §6.5: only when it is enforced. */
	if (pol.login_delay > 0)
		session_reply(s, "LOGIN-DELAY %u", pol.login_delay);
	session_reply(s, "UIDL");
	/* RFC 2449 §6.9: one token, as the RFC suggests. */
	session_reply(s, "IMPLEMENTATION polypop-%s", pop3_version());
	/* RFC 2595 §4: "present and permitted in the current state": not
	 * in TRANSACTION, not once TLS is on, and (RFC 6856 §2.1) not
	 * after UTF8. */
	if (p->state == POP3_AUTHORIZATION && !p->utf8 &&
	    session_tls_available(s))
		session_reply(s, "STLS");
	/* RFC 6856 §2.2: UTF-8 user names and passwords are accepted. */
	session_reply(s, "UTF8 USER");
	session_reply(s, "LANG");
	session_reply(s, ".");
	return POP3_DONE;
}
