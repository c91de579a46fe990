/*
 * demo.c - `polypopd --demo [DIR]`: a ready-to-try server on loopback.
 *
 * Creates (or reuses) DIR with a users file and Maildirs holding a few
 * period-flavoured messages, delivered through the same store_deliver()
 * that `polypopd deliver` uses, then listens on unprivileged loopback
 * ports and tells the user how to connect.  A self-signed certificate
 * for localhost (DIR/tls/) serves STLS and the pop3s listener.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "polypopd.h"
#include "server.h"
#include "tls.h"

struct demo_user {
	const char *name;
	const char *password;
	const char *scheme;
};

static const struct demo_user demo_users[] = {
	{ "alice", "wonderland", "PLAIN" },	/* PLAIN: APOP works too */
	{ "bob", "builder", "SHA512-CRYPT" },
};

struct demo_msg {
	const char *to;
	const char *from;
	const char *text;
};

static const struct demo_msg demo_msgs[] = {
	{ "alice", "jkr@isi.edu",
	"From: Joyce K. Reynolds <jkr@isi.edu>\n"
	"To: alice@polypop.example\n"
	"Date: Mon, 1 Oct 1984 09:00:00 -0700\n"
	"Subject: A post office for your mail\n"
	"\n"
	"Alice,\n"
	"\n"
	"Your workstation need not be up all day to receive mail any more.\n"
	"The mail server keeps it in a maildrop; fetch it with POP when you\n"
	"log in.  See RFC 918.\n"
	"\n"
	"-- Joyce\n" },
	{ "alice", "mrose@dbc.mtview.ca.us",
	"From: Marshall Rose <mrose@dbc.mtview.ca.us>\n"
	"To: alice@polypop.example\n"
	"Date: Tue, 1 Nov 1988 10:30:00 -0800\n"
	"Subject: POP3 is out\n"
	"\n"
	"Version 3 is much simpler than version 2: no folders, just a\n"
	"maildrop, STAT, LIST, RETR and DELE.  Try it:\n"
	"\n"
	"   C: STAT\n"
	"   S: +OK 2 320\n"
	"\n"
	"A line that starts with a period is byte-stuffed on the wire:\n"
	".like this one\n"
	"and the message ends with a line holding only a period.\n" },
	{ "alice", "owner-bboard@sri-nic.arpa",
	"From: BBoard Maintainer <owner-bboard@sri-nic.arpa>\n"
	"To: alice@polypop.example\n"
	"Date: Fri, 15 Feb 1985 16:45:00 -0800\n"
	"Subject: Re: mail from home\n"
	"\n"
	"From my terminal at home I can now read mail over the network.\n"
	">From the quoting you can tell this came through an mbox once.\n" },
	{ "alice", "postmaster@polypop.example",
	"From: Postmaster <postmaster@polypop.example>\n"
	"To: alice@polypop.example\n"
	"Date: Thu, 2 May 1996 08:00:00 +0000\n"
	"Subject: Welcome to polypop\n"
	"MIME-Version: 1.0\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"RFC 1939 is now STD 53.  Grüße aus dem Postamt.\n"
	"Delete this message (DELE 4), then QUIT to commit.\n" },
	{ "bob", "alice@polypop.example",
	"From: alice@polypop.example\n"
	"To: bob@polypop.example\n"
	"Date: Wed, 3 Jun 1987 12:00:00 +0000\n"
	"Subject: lunch?\n"
	"\n"
	"Lunch at noon?\n" },
};

/*
 * Unprivileged loopback stand-ins for the historic ports: POP3 110 ->
 * 1110, POP2 109 -> 1109; POP1 shared 109 with POP2, so it gets the port
 * below, and the shared port-109 listener (docs/port109.md) a port of its
 * own.  Each historic POP3 revision gets 1 followed by its RFC number, so
 * the port says which revision answers (docs/pop-history.md).
 */
static const char *const demo_listens[] = {
	"pop3@127.0.0.1:1110",
	"pop3s@127.0.0.1:1995",		/* RFC 8314 implicit TLS, for 995 */
	"pop2@127.0.0.1:1109",
	"pop1@127.0.0.1:1108",
	"pop109@127.0.0.1:10109",
	"pop3/rfc1081@127.0.0.1:11081",
	"pop3/rfc1082@127.0.0.1:11082",
	"pop3/rfc1225@127.0.0.1:11225",
	"pop3/rfc1460@127.0.0.1:11460",
	"pop3/rfc1725@127.0.0.1:11725",
	"pop3/rfc1939@127.0.0.1:11939",
};

/* What to try first on each historic revision. */
static const struct {
	const char *profile;
	const char *hint;
} demo_hints[] = {
	{ "rfc1081", "RFC 1081 (1988): LAST, RPOP, no UIDL" },
	{ "rfc1082", "RFC 1081 + RFC 1082 XTND (discussion groups)" },
	{ "rfc1225", "RFC 1225 (1991): 1081 republished" },
	{ "rfc1460", "RFC 1460 (1993): APOP arrives, RPOP goes" },
	{ "rfc1725", "RFC 1725 (1994): UIDL arrives, LAST goes" },
	{ "rfc1939", "RFC 1939 (1996): STD 53, nothing after it" },
};

static int
demo_mkdirs(const char *path)
{
	char buf[4096], *p;

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -1;
	for (p = buf + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static char *
demo_default_dir(void)
{
	const char *base = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
	char buf[4096];

	if (base != NULL && base[0] == '/')
		snprintf(buf, sizeof(buf), "%s/polypop-demo", base);
	else if (home != NULL && home[0] == '/')
		snprintf(buf, sizeof(buf), "%s/.cache/polypop-demo", home);
	else
		snprintf(buf, sizeof(buf), "/tmp/polypop-demo-%ld",
		    (long)getuid());
	return strdup(buf);
}

/* Deliver one demo message through the real store. */
static int
demo_deliver(const struct store_location *loc, const struct demo_msg *m)
{
	char path[] = "/tmp/polypop-demo-msgXXXXXX", err[256];
	struct store_user u = { m->to, NULL };
	int fd, rc;

	fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	if (write(fd, m->text, strlen(m->text)) != (ssize_t)strlen(m->text) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	rc = store_deliver(loc, &u, NULL, fd, m->from, err, sizeof(err));
	close(fd);
	if (rc < 0)
		fprintf(stderr, "polypopd: demo delivery failed: %s\n", err);
	return rc;
}

static int
demo_create(const char *dir, const char *users, const char *mail)
{
	struct store_location loc;
	char err[256];
	FILE *f;
	size_t i;
	int rc = 0;

	f = fopen(users, "w");
	if (f == NULL)
		return -1;
	fchmod(fileno(f), 0600);
	fprintf(f, "# polypop demo users: name:{SCHEME}secret\n");
	for (i = 0; i < sizeof(demo_users) / sizeof(demo_users[0]); i++) {
		char *h = auth_hash_password(demo_users[i].scheme,
		    demo_users[i].password);

		if (h == NULL) {
			fclose(f);
			return -1;
		}
		fprintf(f, "%s:%s\n", demo_users[i].name, h);
		free(h);
	}
	if (fclose(f) != 0)
		return -1;
	if (store_location_parse(mail, &loc, err, sizeof(err)) < 0)
		return -1;
	for (i = 0; i < sizeof(demo_msgs) / sizeof(demo_msgs[0]); i++)
		if (demo_deliver(&loc, &demo_msgs[i]) < 0)
			rc = -1;
	store_location_free(&loc);
	fprintf(stderr, "polypopd: created demo store in %s\n", dir);
	return rc;
}

/*
 * DIR/tls/cert.pem and key.pem: made once, reused afterwards, so a
 * client told to trust the certificate keeps trusting it.  Unless the
 * user gave a certificate of their own.
 */
static int
demo_tls(struct options *opt, const char *dir)
{
	char tdir[4200], cert[4300], key[4300], err[512];
	const int days = 365;

	if (opt->tls_cert != NULL)
		return 0;
	snprintf(tdir, sizeof(tdir), "%s/tls", dir);
	snprintf(cert, sizeof(cert), "%s/cert.pem", tdir);
	snprintf(key, sizeof(key), "%s/key.pem", tdir);
	if (access(cert, R_OK) != 0 || access(key, R_OK) != 0) {
		if (demo_mkdirs(tdir) < 0) {
			fprintf(stderr, "polypopd: cannot create %s: %s\n",
			    tdir, strerror(errno));
			return -1;
		}
		/* Half a pair is useless: start over. */
		unlink(cert);
		unlink(key);
		if (tls_make_selfsigned(cert, key, "localhost", days, err,
		    sizeof(err)) < 0) {
			fprintf(stderr, "polypopd: demo certificate: %s\n",
			    err);
			return -1;
		}
		fprintf(stderr, "polypopd: created a self-signed certificate "
		    "for localhost in %s (valid %d days)\n", tdir, days);
	}
	if ((opt->tls_cert = strdup(cert)) == NULL ||
	    (opt->tls_key = strdup(key)) == NULL)
		return -1;
	return 0;
}

int
demo_prepare(struct options *opt)
{
	char users[4200], mail[4200];
	char *dir = opt->demo_dir ? strdup(opt->demo_dir) :
	    demo_default_dir();
	int rc = -1;

	if (dir == NULL || demo_mkdirs(dir) < 0) {
		fprintf(stderr, "polypopd: cannot create demo directory %s: "
		    "%s\n", dir ? dir : "?", strerror(errno));
		goto out;
	}
	snprintf(users, sizeof(users), "%s/users", dir);
	snprintf(mail, sizeof(mail), "maildir:%s/mail/%%u/Maildir", dir);
	if (access(users, F_OK) != 0 && demo_create(dir, users, mail) < 0) {
		fprintf(stderr, "polypopd: cannot set up the demo store in "
		    "%s\n", dir);
		goto out;
	}
	if (opt->users_file == NULL && (opt->users_file = strdup(users)) ==
	    NULL)
		goto out;
	if (opt->mail == NULL && (opt->mail = strdup(mail)) == NULL)
		goto out;
	if (demo_tls(opt, dir) < 0)
		goto out;
	if (opt->nlistens == 0) {
		size_t i, n = sizeof(demo_listens) / sizeof(demo_listens[0]);

		opt->listens = calloc(n, sizeof(*opt->listens));
		if (opt->listens == NULL)
			goto out;
		for (i = 0; i < n; i++)
			if (options_parse_listen(demo_listens[i],
			    &opt->listens[i], users, sizeof(users)) < 0)
				goto out;
		opt->nlistens = n;
	}
	rc = 0;
out:
	free(dir);
	return rc;
}

/*
 * Where polypop-client is: beside this polypopd in a build tree
 * (build/protocols/client/), beside it when installed, else on PATH.
 */
static void
demo_client_path(char *buf, size_t size)
{
	static const char *const rel[] = {
		"/protocols/client/polypop-client",
		"/polypop-client",
	};
	char self[4096], *slash;
	ssize_t n;
	size_t i;

	snprintf(buf, size, "polypop-client");
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return;
	self[n] = '\0';
	if ((slash = strrchr(self, '/')) == NULL)
		return;
	*slash = '\0';
	for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, size, "%s%s", self, rel[i]);
		if (access(buf, X_OK) == 0)
			return;
	}
	snprintf(buf, size, "polypop-client");
}

/* Called by serve.c once every listener is bound. */
void
demo_announce(const struct server *srv)
{
	char client[4200];
	size_t i;

	demo_client_path(client, sizeof(client));
	printf("\npolypop demo: users alice/wonderland (PLAIN, APOP works) "
	    "and bob/builder (SHA512-CRYPT)\n");
	for (i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = &srv->listeners[i];
		int v6 = strchr(l->spec.host, ':') != NULL;
		char hp[300];

		snprintf(hp, sizeof(hp), "%s%s%s:%u", v6 ? "[" : "",
		    l->spec.host, v6 ? "]" : "", l->spec.port);
		if (l->spec.profile[0] != '\0') {
			size_t k;

			for (k = 0; k < sizeof(demo_hints) /
			    sizeof(demo_hints[0]); k++)
				if (strcmp(demo_hints[k].profile,
				    l->spec.profile) == 0)
					break;
			printf("  %s/%s on %s   %s\n", l->proto->name,
			    l->spec.profile, hp, k < sizeof(demo_hints) /
			    sizeof(demo_hints[0]) ? demo_hints[k].hint : "");
			continue;
		}
		if (l->spec.tls) {
			printf("  pop3s on %s   implicit TLS (RFC 8314), "
			    "self-signed certificate %s\n", hp,
			    srv->opt->tls_cert);
			printf("    list:   curl -k pop3s://alice:wonderland@"
			    "%s/\n", hp);
			printf("    by hand: openssl s_client -quiet -crlf "
			    "-connect %s   then USER alice, PASS wonderland, "
			    "STAT, QUIT\n", hp);
			continue;
		}
		printf("  %s on %s\n", l->proto->name, hp);
		if (strcmp(l->proto->name, "pop3") != 0) {
			printf("    fetch:  POLYPOP_PASSWORD=wonderland "
			    "%s %s %s alice\n", client,
			    strcmp(l->proto->name, "pop109") == 0 ? "pop2" :
			    l->proto->name, hp);
			printf("    by hand: nc -C %s %u   then %s\n",
			    l->spec.host, l->spec.port,
			    strcmp(l->proto->name, "pop1") == 0 ?
			    "USER alice, PASS wonderland, RETR alice, RCEV, "
			    "RCVD, QUIT" :
			    strcmp(l->proto->name, "pop2") == 0 ?
			    "HELO alice wonderland, READ 1, RETR, ACKS, QUIT" :
			    "HELO alice wonderland (POP2) or USER alice "
			    "(POP1)");
			continue;
		}
		if (strcmp(l->proto->name, "pop3") == 0) {
			printf("    list:   curl pop3://alice:wonderland@%s/\n",
			    hp);
			printf("    fetch:  curl pop3://alice:wonderland@%s/1\n",
			    hp);
			printf("    by hand: nc -C %s %u   then USER alice, PASS "
			    "wonderland, STAT, LIST, RETR 1, QUIT\n",
			    l->spec.host, l->spec.port);
			if (srv->tls != NULL)
				printf("    STLS:   curl -k --ssl-reqd "
				    "pop3://alice:wonderland@%s/\n", hp);
		}
	}
	printf("Historic POP3 revisions answer as their RFC says: nc -C to "
	    "one, try the commands above, or see `polypopd commands "
	    "pop3/rfc1081`.\n");
	printf("Stop with Ctrl-C (deletions are committed only by QUIT).\n");
	fflush(stdout);
}
