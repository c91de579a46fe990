/*
 * deliver.c - `polypopd deliver`: append one message from standard input
 * to a user's folder, the way the server's store reads it back (Maildir
 * tmp -> new; mbox under the server's locks).  Tests and --demo use it;
 * an old MTA can call it as its local delivery agent.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "polypopd.h"
#include "store.h"

static const char deliver_usage[] =
    "usage: polypopd deliver --mail LOCATION [--from ADDRESS] USER "
    "[FOLDER] < message\n";

int
deliver_main(int argc, char **argv)
{
	const char *mail = NULL, *from = NULL, *user = NULL, *folder = NULL;
	struct store_location loc;
	struct store_user u;
	char err[512];
	int i, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--mail") == 0 && i + 1 < argc)
			mail = argv[++i];
		else if (strncmp(argv[i], "--mail=", 7) == 0)
			mail = argv[i] + 7;
		else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			from = argv[++i];
		else if (strcmp(argv[i], "--help") == 0) {
			fputs(deliver_usage, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] == '-') {
			fprintf(stderr, "polypopd deliver: unknown option "
			    "'%s'\n%s", argv[i], deliver_usage);
			return 64;
		} else if (user == NULL)
			user = argv[i];
		else if (folder == NULL)
			folder = argv[i];
		else {
			fprintf(stderr, "polypopd deliver: too many "
			    "arguments\n%s", deliver_usage);
			return 64;
		}
	}
	if (mail == NULL || user == NULL) {
		fputs(deliver_usage, stderr);
		return 64;
	}
	if (store_location_parse(mail, &loc, err, sizeof(err)) < 0) {
		fprintf(stderr, "polypopd deliver: --mail %s: %s\n", mail,
		    err);
		return 64;
	}
	if (!store_user_name_ok(user, strlen(user))) {
		fprintf(stderr, "polypopd deliver: '%s' cannot be used as a "
		    "mailbox name\n", user);
		store_location_free(&loc);
		return 67;
	}
	u.name = user;
	u.home = NULL;
	err[0] = '\0';
	rc = store_deliver(&loc, &u, folder, STDIN_FILENO, from, err,
	    sizeof(err));
	store_location_free(&loc);
	if (rc < 0) {
		fprintf(stderr, "polypopd deliver: %s\n",
		    err[0] ? err : store_strerror(rc));
		/* sysexits: EX_TEMPFAIL lets an MTA retry later. */
		return rc == STORE_ETEMP ? 75 : 73;
	}
	return 0;
}
