/*
 * pop3_cmds.c - the POP3 commands of the AUTHORIZATION state (USER, PASS,
 * APOP, RPOP) and QUIT, which ends the session from either state
 * (RFC 1081 "The AUTHORIZATION State", "The UPDATE State"; RFC 1939 §4,
 * §6, §7).  The TRANSACTION commands are in pop3_trans.c.
 *
 * Replies carry RFC 2449 §8 / RFC 3206 response codes, through pop3_err(),
 * where the profile has them: [AUTH] for bad credentials, [IN-USE] for a
 * locked maildrop, [SYS/TEMP] and [SYS/PERM] for our own failures.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "pop3_int.h"
#include "proto_text.h"
#include "session.h"
#include "store.h"

/* --- AUTHORIZATION (RFC 1939 §4, §7) ---------------------------------- */

static void
pop3_login_failed(struct pop3 *p)
{
	/* One text for unknown user and wrong secret (RFC 1939 §13: do
	 * not tell an attacker which names exist). */
	pop3_err(p, "AUTH", "Authentication failed.");
	/* Before RFC 1725 the client "may either issue a new USER command
	 * or may issue the QUIT command" (RFC 1081): no closing there; the
	 * core's failure delay still slows guessing. */
	if (!(p->flags & POP3_PF_CLOSE_AUTH) ||
	    ++p->failed_logins < POP3_MAX_FAILED_LOGINS)
		return;
	/* RFC 1939 §4: after a -ERR "the server may close the connection". */
	session_log(p->s, "event=disconnect reason=too-many-failed-logins");
	pop3_err(p, NULL, "Too many failed logins, closing connection.");
	session_close(p->s);
}

static void
pop3_store_opened(struct session *s, int err, struct store *st,
    const char *msg)
{
	struct pop3 *p = session_data(s);
	size_t count;
	uint64_t octets;

	if (err == STORE_EINUSE) {
		/* RFC 2449 §8.1.2: authenticated, but the maildrop is busy;
		 * RFC 1939 §4 keeps us in AUTHORIZATION. */
		session_log(s, "event=mailbox-in-use");
		pop3_err(p, "IN-USE", "Mailbox is locked by another session.");
		return;
	}
	if (err != 0 || st == NULL) {
		pop3_store_error(p, "open", "Can't open mailbox",
		    err != 0 ? err : STORE_ETEMP, msg);
		return;
	}
	p->st = st;
	pop3_access_start(p);
	pop3_drop_totals(p, &count, &octets);
	pop3_enter_state(p, POP3_TRANSACTION);
	if (count == 1)
		pop3_ok(p, "Logged in. %zu message (%llu octets).", count,
		    (unsigned long long)octets);
	else
		pop3_ok(p, "Logged in. %zu messages (%llu octets).", count,
		    (unsigned long long)octets);
}

/* RFC 2449 §8.1.1: the credentials were right, but too soon after the
 * last login.  Not a failed login: nothing is counted. */
static void
pop3_login_delayed(struct pop3 *p)
{
	struct session_policy pol;

	session_policy(p->s, &pol);
	session_log(p->s, "event=login-delay delay=%u", pol.login_delay);
	pop3_err(p, "LOGIN-DELAY", "Logged in too recently: wait %u seconds "
	    "between logins.", pol.login_delay);
}

void
pop3_login_done(struct session *s, int result)
{
	struct pop3 *p = session_data(s);

	switch (result) {
	case SESSION_LOGIN_OK:
		/* RFC 1939 §4: lock and open the maildrop before +OK. */
		session_store_open(s, NULL, pop3_store_opened);
		break;
	case SESSION_LOGIN_ESCHEME:
		/* APOP for a user whose secret is hashed.  Only the log says
		 * so: a distinct reply would tell an attacker that the name
		 * exists and how its secret is stored. */
		session_log(s, "event=apop-refused reason=\"secret is not "
		    "{PLAIN}, APOP cannot be checked\"");
		/* FALLTHROUGH */
	case SESSION_LOGIN_FAIL:
	case SESSION_LOGIN_BADNAME:
		pop3_login_failed(p);
		break;
	case SESSION_LOGIN_DELAY:
		pop3_login_delayed(p);
		break;
	default:
		pop3_err(p, "SYS/TEMP", "Authentication is temporarily "
		    "unavailable, try again later.");
		break;
	}
}

/* Copy an argument into a NUL-terminated buffer of SIZE octets. */
static int
pop3_arg_copy(const struct proto_arg *a, char *buf, size_t size)
{
	if (a->len >= size)
		return -1;
	memcpy(buf, a->ptr, a->len);
	buf[a->len] = '\0';
	return 0;
}

/* PASS or RPOP without the USER it needs, in the profile's words. */
static void
pop3_not_after_user(struct pop3 *p, const char *cmd)
{
	if (p->flags & POP3_PF_PASS_NEXT)
		pop3_err(p, NULL, "%s must come right after a successful USER.",
		    cmd);
	else
		pop3_err(p, NULL, "%s must come after a successful USER.", cmd);
}

int
pop3_cmd_user(struct pop3 *p, const struct pop3_cmd *cmd)
{
	p->user_ok = 0;
	if ((p->flags & POP3_PF_EXTENSIONS) &&
	    session_plaintext_refused(p->s)) {
		/* plaintext-auth=tls (RFC 2595 §2.3, RFC 8314 §4): no
		 * password in the clear.  The refusal says nothing about
		 * the name, so [AUTH] reveals nothing (RFC 3206 §5). */
		pop3_err(p, "AUTH", "Plaintext passwords are refused on this "
		    "connection: send STLS first, or use AUTH.");
		return POP3_BAD;
	}
	if (pop3_arg_copy(&cmd->arg[0], p->user, sizeof(p->user)) < 0) {
		pop3_err(p, NULL, "User name is too long.");
		return POP3_BAD;
	}
	/* RFC 6856 §2.2: "The server MUST reject UTF-8 usernames or
	 * passwords that fail to comply with the formal syntax in UTF-8". */
	if ((p->flags & POP3_PF_EXTENSIONS) &&
	    !pop3_utf8_valid(cmd->arg[0].ptr, cmd->arg[0].len)) {
		pop3_err(p, NULL, "User name is not valid UTF-8.");
		return POP3_BAD;
	}
	p->user_ok = 1;
	/* RFC 1939 §13: "+OK" whether or not the name exists. */
	pop3_ok(p, "Send your password.");
	return POP3_DONE;
}

int
pop3_cmd_pass(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char pw[POP3_MAX_LINE];

	if (!p->after_user) {
		pop3_not_after_user(p, "PASS");
		return POP3_BAD;
	}
	/* A login attempt uses up the USER (RFC 1081: after a -ERR "the
	 * client may either issue a new USER command or ... QUIT"). */
	p->user_ok = 0;
	if (pop3_arg_copy(&cmd->arg[0], pw, sizeof(pw)) < 0) {
		pop3_err(p, "AUTH", "Authentication failed.");
		return POP3_BAD;
	}
	if ((p->flags & POP3_PF_EXTENSIONS) &&
	    !pop3_utf8_valid(pw, cmd->arg[0].len)) {
		explicit_bzero(pw, sizeof(pw));
		pop3_err(p, NULL, "Password is not valid UTF-8.");
		return POP3_BAD;
	}
	session_login_password(p->s, p->user, pw, pop3_login_done);
	/* The core keeps its own copy; ours must not outlive the call.
	 * explicit_bzero, because a memset of a dead buffer may be
	 * optimised away. */
	explicit_bzero(pw, sizeof(pw));
	return POP3_DONE;
}

int
pop3_cmd_apop(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char digest[POP3_MAX_LINE];

	p->user_ok = 0;
	if (pop3_arg_copy(&cmd->arg[0], p->user, sizeof(p->user)) < 0 ||
	    pop3_arg_copy(&cmd->arg[1], digest, sizeof(digest)) < 0) {
		pop3_err(p, "AUTH", "Authentication failed.");
		return POP3_BAD;
	}
	if ((p->flags & POP3_PF_EXTENSIONS) &&
	    !pop3_utf8_valid(cmd->arg[0].ptr, cmd->arg[0].len)) {
		pop3_err(p, NULL, "User name is not valid UTF-8.");
		return POP3_BAD;
	}
	/* RFC 1939 §7: the digest is checked against our greeting's
	 * timestamp, which the core keeps (session_apop_timestamp()). */
	session_login_apop(p->s, p->user, digest, pop3_login_done);
	explicit_bzero(digest, sizeof(digest));
	return POP3_DONE;
}

int
pop3_cmd_rpop(struct pop3 *p, const struct pop3_cmd *cmd)
{
	char ruser[POP3_NAME_SIZE];

	/* RFC 1081: "may only be given in the AUTHORIZATION state after a
	 * successful USER command". */
	if (!p->after_user) {
		pop3_not_after_user(p, "RPOP");
		return POP3_BAD;
	}
	p->user_ok = 0;
	if (pop3_arg_copy(&cmd->arg[0], ruser, sizeof(ruser)) < 0) {
		pop3_err(p, "AUTH", "Authentication failed.");
		return POP3_BAD;
	}
	/* The reserved port and the trust map are the core's business
	 * (--rpop-trust); unset, RPOP fails like a wrong password. */
	session_login_rpop(p->s, p->user, ruser, pop3_login_done);
	return POP3_DONE;
}

/* --- UPDATE (RFC 1939 §6) ---------------------------------------------- */

static void
pop3_committed(struct session *s, int err, const char *msg)
{
	struct pop3 *p = session_data(s);

	if (err == 0) {
		session_log(s, "event=quit left=%zu", p->left);
		if (p->left == 0)
			pop3_ok(p, "polypop signing off (maildrop empty).");
		else if (p->left == 1)
			pop3_ok(p, "polypop signing off (%zu message left).",
			    p->left);
		else
			pop3_ok(p, "polypop signing off (%zu messages left).",
			    p->left);
	} else {
		session_warn(s, "event=commit-failed error=\"%s\" "
		    "reason=\"%s\"", store_strerror(err),
		    msg != NULL ? msg : "");
		/* RFC 1939 §6 names this reply; RFC 3206 §4 adds the code. */
		pop3_err(p, "SYS/TEMP", "Some deleted messages not removed.");
	}
	/* RFC 1939 §6: "Whether the removal was successful or not, the
	 * server then releases any exclusive-access lock". */
	store_close(p->st);
	p->st = NULL;
	pop3_expire_forget(p);
	session_close(s);
}

int
pop3_cmd_quit(struct pop3 *p, const struct pop3_cmd *cmd)
{
	size_t count;
	uint64_t octets;

	(void)cmd;
	if (p->state == POP3_AUTHORIZATION) {
		/* RFC 1939 §4/§6: QUIT before login does NOT enter UPDATE. */
		pop3_ok(p, "polypop signing off.");
		session_close(p->s);
		return POP3_DONE;
	}
	/* RFC 2449 §6.7: the site's EXPIRE policy marks its messages now,
	 * so the count below is what will be left. */
	pop3_expire_apply(p);
	pop3_drop_totals(p, &count, &octets);
	p->left = count;
	/* RFC 1939 §6: only QUIT in TRANSACTION enters UPDATE. */
	pop3_enter_state(p, POP3_UPDATE);
	session_store_commit(p->s, p->st, pop3_committed);
	return POP3_DONE;
}
