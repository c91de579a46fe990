/*
 * saslprep.c - SASLprep (RFC 4013) of user names and passwords, through
 * GNU SASL's gsasl_saslprep() (libidn's stringprep underneath).  Nothing
 * here implements stringprep itself.
 *
 * RFC 3454 §7 has two kinds of string: a "query" string may hold
 * unassigned code points (they pass through), a "stored" string may not.
 * gsasl_saslprep() takes GSASL_ALLOW_UNASSIGNED for a query, but
 * libgsasl up to at least 2.2.0 hands libidn the opposite flag
 * ("flags & GSASL_ALLOW_UNASSIGNED ? STRINGPREP_NO_UNASSIGNED : 0"), so
 * the documented flag refuses exactly what it should allow.  Rather than
 * trust either reading, auth_saslprep() asks the library once, with
 * U+0221 (unassigned in Unicode 3.2, RFC 3454 A.1), which flag value
 * lets an unassigned code point through, and uses that for queries and
 * the other one for stored strings.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <gsasl.h>

#include "auth.h"

static pthread_once_t	auth_prep_once = PTHREAD_ONCE_INIT;
static int		auth_prep_query_flags = GSASL_ALLOW_UNASSIGNED;
static int		auth_prep_stored_flags = 0;

static void
auth_prep_probe(void)
{
	char	*out = NULL;

	/* "a" U+0221: unassigned in Unicode 3.2. */
	if (gsasl_saslprep("a\xc8\xa1", GSASL_ALLOW_UNASSIGNED, &out, NULL) ==
	    GSASL_OK) {
		gsasl_free(out);
		return;		/* the flag means what it says */
	}
	out = NULL;
	if (gsasl_saslprep("a\xc8\xa1", 0, &out, NULL) == GSASL_OK) {
		gsasl_free(out);
		auth_prep_query_flags = 0;
		auth_prep_stored_flags = GSASL_ALLOW_UNASSIGNED;
	}
}

int
auth_saslprep(const char *in, enum auth_prep how, char **out)
{
	char	*prep = NULL;
	int	 flags, rc;

	*out = NULL;
	if (in == NULL)
		return AUTH_FAIL;
	pthread_once(&auth_prep_once, auth_prep_probe);
	flags = how == AUTH_PREP_STORED ? auth_prep_stored_flags :
	    auth_prep_query_flags;
	rc = gsasl_saslprep(in, (Gsasl_saslprep_flags)flags, &prep, NULL);
	if (rc == GSASL_MALLOC_ERROR)
		return AUTH_EINTERNAL;
	if (rc != GSASL_OK || prep == NULL) {
		/* Not UTF-8, a prohibited character (RFC 4013 §2.3), a
		 * bidi error (§2.4), or, when stored, an unassigned code
		 * point (§2.5). */
		gsasl_free(prep);
		return AUTH_FAIL;
	}
	/* Our own copy, so that the caller can wipe and free() it. */
	*out = strdup(prep);
	auth_wipe(prep, strlen(prep));
	gsasl_free(prep);
	return *out != NULL ? AUTH_OK : AUTH_EINTERNAL;
}
