/*
 * pop3_profile.h - the revisions of POP3 a listener can speak.
 *
 * A profile is one RFC's POP3, chosen per listener
 * (`--listen pop3/rfc1081@...`).  Which commands a profile has, and the
 * section of its RFC that governs each, is data in the command table
 * (pop3_table.c: one column per profile).  What varies *inside* a command
 * between revisions is a flag here, so handlers test a property ("does
 * RSET zero LAST?"), never a revision number.
 */
#ifndef POLYPOP_POP3_PROFILE_H
#define POLYPOP_POP3_PROFILE_H

#include <stddef.h>

/* In order of publication; the index of a column in the command table. */
enum pop3_profile {
	POP3_RFC1081,		/* Nov 1988, the first POP3 */
	POP3_RFC1082,		/* RFC 1081 plus XTND (Nov 1988) */
	POP3_RFC1225,		/* May 1991, 1081 republished */
	POP3_RFC1460,		/* Jun 1993: RPOP out, APOP in */
	POP3_RFC1725,		/* Nov 1994: LAST out, UIDL in */
	POP3_RFC1939,		/* May 1996, STD 53 */
	POP3_CURRENT,		/* `pop3` without a profile: 1939 and later */
};
#define POP3_NPROFILES		7

/* Properties that differ inside commands (see each flag's RFC). */
enum {
	/* RFC 2449 §8 and RFC 3206: "[CODE]" after -ERR.  No historic
	 * revision had them, so only the current profile sends them. */
	POP3_PF_RESP_CODES	= 1u << 0,
	/* RFC 1725 §3 / RFC 1939 §3: "Each argument may be up to 40
	 * characters long".  RFC 2449 §4 lifted it to a 255-octet line. */
	POP3_PF_ARG40		= 1u << 1,
	/* RFC 1725 §4: after a failed authentication "the server may close
	 * the connection".  Before it the client "may either issue a new
	 * USER command or may issue the QUIT command" (RFC 1081). */
	POP3_PF_CLOSE_AUTH	= 1u << 2,
	/* RFC 1081 to 1460: RETR and DELE raise the "highest number
	 * accessed" that LAST reports, and it persists across sessions. */
	POP3_PF_ACCESS		= 1u << 3,
	/* RFC 1460 §5 RSET: the highest number accessed "is also reset to
	 * zero"; RFC 1081 and 1225 reset it "to the value determined at the
	 * beginning of the POP3 session". */
	POP3_PF_RSET_ZERO	= 1u << 4,
	/* RFC 1725 §5: the drop listing is "+OK" SP count SP size and a
	 * scan listing is number SP size, single spaces.  RFC 1081 only
	 * says the count comes first, then the size. */
	POP3_PF_EXACT_FORMS	= 1u << 5,
	/* RFC 1939 §3: a response line is at most 512 octets with its
	 * CRLF; §7: a unique-id is one to 70 characters. */
	POP3_PF_LIMITS_1939	= 1u << 6,
	/* RFC 1939 §7: PASS "may only be given ... immediately after a
	 * successful USER command"; RFC 1081 to 1725 say only "after a
	 * successful USER command": any line in between breaks the pair
	 * only where this is set. */
	POP3_PF_PASS_NEXT	= 1u << 7,
	/* What came after RFC 1939 and changes commands every revision
	 * has: RFC 2449 §6.5 LOGIN-DELAY and §6.7 EXPIRE, RFC 2595 /
	 * RFC 8314 plaintext-auth=tls, RFC 6856 §2.2 UTF-8 user names and
	 * passwords.  (The commands it adds, CAPA, AUTH, STLS, UTF8 and
	 * LANG, are rows of the command table in the current column.) */
	POP3_PF_EXTENSIONS	= 1u << 8,
	/* RFC 1460 §13, RFC 1725 §12: a server with PASS and APOP "must
	 * not allow both methods of access for a given user"; RFC 1939 §13
	 * softened it to "should not".  Where set, a user not marked
	 * apop=only in the users file may not use APOP (the core decides:
	 * session_set_apop_exclusive()). */
	POP3_PF_APOP_EXCLUSIVE	= 1u << 9,
};

struct pop3_profile_info {
	const char *name;	/* "rfc1081"; "" for the current profile */
	const char *label;	/* "RFC 1081" or "POP3 (current)" */
	unsigned flags;		/* POP3_PF_* */
	/* Where the revision defines command syntax, the greeting, and the
	 * "highest number accessed": cited in traces and -ERR texts. */
	const char *syntax;	/* "RFC 1939 §3" */
	const char *greeting;	/* "RFC 1939 §4" */
	/* For docs: the RFC, its date and its status as its own "Status of
	 * this Memo" gives it: "RFC 1081, November 1988: ...". */
	const char *title;
};

extern const struct pop3_profile_info pop3_profiles[POP3_NPROFILES];

/* The profile called NAME ("" or NULL: current); -1 if there is none. */
int pop3_profile_find(const char *name);
/* The profile's name as `--listen` spells it: "rfc1081", "" for current. */
const char *pop3_profile_name(enum pop3_profile pr);
/* The title line of profile NAME's docs page (proto_ops.profile_title);
 * NULL for an unknown name. */
const char *pop3_profile_title(const char *name);
/* NULL-terminated list of the names of the historic profiles. */
extern const char *const pop3_profile_names[];

#endif /* POLYPOP_POP3_PROFILE_H */
