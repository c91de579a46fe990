/*
 * pop3_auth.c - the two commands of the current profile that hand the
 * connection to the core's security layers: AUTH (RFC 5034, which
 * obsoletes RFC 1734) runs a SASL exchange through session_sasl_*(), and
 * STLS (RFC 2595 §4) starts TLS through session_starttls().  The module
 * never sees a mechanism's internals or a key: it carries base64 lines.
 */
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"

/* --- AUTH (RFC 5034 §4) ------------------------------------------------ */

static void
pop3_sasl_done(struct session *s, int result, const char *challenge)
{
	struct pop3 *p = session_data(s);

	p->sasl = POP3_SASL_NONE;
	switch (result) {
	case SESSION_LOGIN_CONTINUE:
		/* RFC 5034 §4: "+" SP base64; an empty challenge is "+ "
		 * with nothing after the space.  The next line is the
		 * client's response. */
		p->sasl = POP3_SASL_RESPONSE;
		session_reply(s, "+ %s", challenge != NULL ? challenge : "");
		break;
	case SESSION_LOGIN_BADMECH:
		/* RFC 5034 §4: an unsupported mechanism gets -ERR. */
		pop3_err(p, NULL, "Unsupported authentication mechanism. Send "
		    "AUTH for the list.");
		break;
	case SESSION_LOGIN_BADB64:
		/* RFC 5034 §4: "If the server cannot Base64 decode a client
		 * response, it MUST reject the AUTH command". */
		pop3_err(p, NULL, "Invalid base64 data, authentication "
		    "cancelled.");
		break;
	case SESSION_LOGIN_ESCHEME:
		/* The stored secret's scheme cannot serve this mechanism
		 * (a {CRAM-MD5} secret and SCRAM).  As with APOP, only the
		 * log says so. */
		session_log(s, "event=auth-refused reason=\"stored secret "
		    "does not allow this mechanism\"");
		pop3_login_done(s, SESSION_LOGIN_FAIL);
		break;
	default:
		/* OK opens the maildrop exactly as PASS does; FAIL, DELAY,
		 * ETEMP get PASS's replies and counts. */
		pop3_login_done(s, result);
		break;
	}
}

int
pop3_cmd_auth(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char mech[POP3_MAX_LINE], ir[POP3_MAX_LINE];
	const char *list, *q, *e;

	/*
	 * "AUTH" alone: the mechanisms, one per line.  RFC 5034 has no
	 * such form; RFC 1734 servers commonly answered it, and clients
	 * (fetchmail) still probe with it, so polypop answers it too.
	 */
	if (cmd->nargs == 0) {
		pop3_ok(p, "Supported authentication mechanisms follow.");
		list = session_sasl_mechanisms(p->s);
		for (q = list; q != NULL && *q != '\0'; q = e) {
			while (*q == ' ')
				q++;
			if ((e = strchr(q, ' ')) == NULL)
				e = q + strlen(q);
			if (e > q)
				session_reply(p->s, "%.*s", (int)(e - q), q);
		}
		session_reply(p->s, ".");
		return POP3_DONE;
	}
	/* A login of any kind uses up a USER given before. */
	p->user_ok = 0;
	memcpy(mech, cmd->arg[0].ptr, cmd->arg[0].len);
	mech[cmd->arg[0].len] = '\0';
	if (cmd->nargs == 2) {
		memcpy(ir, cmd->arg[1].ptr, cmd->arg[1].len);
		ir[cmd->arg[1].len] = '\0';
	}
	p->sasl = POP3_SASL_WAIT;
	session_sasl_start(p->s, mech, cmd->nargs == 2 ? ir : NULL,
	    pop3_sasl_done);
	explicit_bzero(ir, sizeof(ir));
	return POP3_DONE;
}

void
pop3_sasl_line(struct pop3 *p, const char *line, size_t len)
{
	char resp[POP3_MAX_LINE];

	if (p->sasl != POP3_SASL_RESPONSE)
		return;		/* the core sends no line while one runs */
	/* RFC 5034 §4: "*" cancels; the server "MUST reject the AUTH
	 * command by sending an -ERR reply". */
	if (len == 1 && line[0] == '*') {
		session_sasl_abort(p->s);
		p->sasl = POP3_SASL_NONE;
		pop3_err(p, NULL, "Authentication cancelled.");
		return;
	}
	/* The core's line limit keeps LEN below POP3_MAX_LINE. */
	if (len >= sizeof(resp))
		len = sizeof(resp) - 1;
	memcpy(resp, line, len);
	resp[len] = '\0';
	p->sasl = POP3_SASL_WAIT;
	session_sasl_step(p->s, resp, pop3_sasl_done);
	explicit_bzero(resp, sizeof(resp));
}

void
pop3_sasl_overflow(struct pop3 *p)
{
	/* RFC 5034 §4 lets responses be long, but every mechanism offered
	 * here fits a 255-octet line (RFC 2449 §4); a longer one cannot be
	 * taken back whole, so the exchange ends. */
	session_sasl_abort(p->s);
	p->sasl = POP3_SASL_NONE;
	pop3_err(p, NULL, "Response line too long, authentication "
	    "cancelled.");
	pop3_bad_command(p);
}

/* --- STLS (RFC 2595 §4) ------------------------------------------------ */

static void
pop3_tls_started(struct session *s)
{
	struct pop3 *p = session_data(s);

	/*
	 * RFC 2595 §4: the session stays in AUTHORIZATION.  Whatever the
	 * client said in the clear may have come from an attacker in the
	 * middle, so it is forgotten (the core already dropped the octets
	 * that followed STLS): a USER, UTF8 and LANG.
	 */
	explicit_bzero(p->user, sizeof(p->user));
	p->user_ok = 0;
	p->after_user = 0;
	p->utf8 = 0;
	p->lang = POP3_LANG_EN;
	session_log(s, "event=starttls");
}

int
pop3_cmd_stls(struct pop3 *p, const struct pop3_cmd *cmd)
{
	(void)cmd;
	if (session_tls_active(p->s)) {
		/* RFC 2595 §4's own example text. */
		pop3_err(p, NULL, "Command not permitted when TLS active");
		return POP3_BAD;
	}
	if (p->utf8) {
		/* RFC 6856 §2.1: "Clients MUST NOT issue the STLS command
		 * after issuing UTF8"; no response code (a protocol
		 * error). */
		pop3_err(p, NULL, "STLS is not permitted after UTF8.");
		return POP3_BAD;
	}
	if (!session_tls_available(p->s)) {
		pop3_err(p, NULL, "TLS is not available: the server has no "
		    "certificate.");
		return POP3_BAD;
	}
	/* The core sends this line in the clear, then the handshake
	 * begins right after its CRLF (RFC 2595 §4). */
	pop3_ok(p, "Begin TLS negotiation");
	session_starttls(p->s, pop3_tls_started);
	return POP3_DONE;
}
