/*
 * pop3_profile.c - the POP3 revisions and what differs between them
 * inside commands.  Which commands each has lives in the command table.
 */
#include <string.h>

#include "pop3_profile.h"

/*
 * Status texts are each RFC's own "Status of this Memo"; RFC 1081, 1082
 * and 1225 have no numbered sections, so they are cited by heading.
 */
const struct pop3_profile_info pop3_profiles[POP3_NPROFILES] = {
	[POP3_RFC1081] = { "rfc1081", "RFC 1081",
	    POP3_PF_ACCESS,
	    "RFC 1081, A Short Digression",
	    "RFC 1081, The AUTHORIZATION State",
	    "RFC 1081, November 1988: a proposed protocol" },
	[POP3_RFC1082] = { "rfc1082", "RFC 1082",
	    POP3_PF_ACCESS,
	    "RFC 1081, A Short Digression",
	    "RFC 1081, The AUTHORIZATION State",
	    "RFC 1082, November 1988: RFC 1081 with the optional XTND "
	    "extensions" },
	[POP3_RFC1225] = { "rfc1225", "RFC 1225",
	    POP3_PF_ACCESS,
	    "RFC 1225, A Short Digression",
	    "RFC 1225, The AUTHORIZATION State",
	    "RFC 1225, May 1991: an IAB standards track protocol" },
	[POP3_RFC1460] = { "rfc1460", "RFC 1460",
	    POP3_PF_ACCESS | POP3_PF_RSET_ZERO | POP3_PF_APOP_EXCLUSIVE,
	    "RFC 1460 §3", "RFC 1460 §4",
	    "RFC 1460, June 1993: an IAB standards track protocol" },
	[POP3_RFC1725] = { "rfc1725", "RFC 1725",
	    POP3_PF_ARG40 | POP3_PF_CLOSE_AUTH | POP3_PF_EXACT_FORMS |
	    POP3_PF_APOP_EXCLUSIVE,
	    "RFC 1725 §3", "RFC 1725 §4",
	    "RFC 1725, November 1994: an Internet standards track "
	    "protocol" },
	[POP3_RFC1939] = { "rfc1939", "RFC 1939",
	    POP3_PF_ARG40 | POP3_PF_CLOSE_AUTH | POP3_PF_EXACT_FORMS |
	    POP3_PF_LIMITS_1939 | POP3_PF_PASS_NEXT,
	    "RFC 1939 §3", "RFC 1939 §4",
	    "RFC 1939, May 1996: STD 53, an Internet standard" },
	[POP3_CURRENT] = { "", "POP3 (current)",
	    POP3_PF_RESP_CODES | POP3_PF_CLOSE_AUTH | POP3_PF_EXACT_FORMS |
	    POP3_PF_LIMITS_1939 | POP3_PF_PASS_NEXT | POP3_PF_EXTENSIONS,
	    "RFC 1939 §3, RFC 2449 §4", "RFC 1939 §4",
	    "POP3 today: RFC 1939 (STD 53) and the extensions after it" },
};

const char *const pop3_profile_names[] = {
	"rfc1081", "rfc1082", "rfc1225", "rfc1460", "rfc1725", "rfc1939",
	NULL,
};

int
pop3_profile_find(const char *name)
{
	int i;

	if (name == NULL || name[0] == '\0')
		return POP3_CURRENT;
	for (i = 0; i < POP3_NPROFILES; i++)
		if (pop3_profiles[i].name[0] != '\0' &&
		    strcmp(pop3_profiles[i].name, name) == 0)
			return i;
	return -1;
}

const char *
pop3_profile_title(const char *name)
{
	int pr = pop3_profile_find(name);

	return pr < 0 ? NULL : pop3_profiles[pr].title;
}

const char *
pop3_profile_name(enum pop3_profile pr)
{
	return pop3_profiles[pr].name;
}
