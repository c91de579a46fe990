/*
 * passwd.c - one line of a Dovecot-compatible passwd-file.
 *
 *     user:{SCHEME}secret[:uid:gid:gecos:home:shell:extra]
 *
 * Pure: bytes in, a struct auth_user out, no I/O.  The reader in authdb.c
 * cuts the file into lines and calls auth_passwd_parse_line() for each.
 *
 * Fields are separated by ':' and there is no escape, so no field (the
 * secret included) can contain a colon: a {PLAIN} password with ':' in it
 * cannot be stored.  Crypt hashes never contain ':'.
 *
 * The extra field is Dovecot's: space-separated key=value words.  Only
 * apop= means something here; other words are left for Dovecot, so one
 * file can serve both servers.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "auth_int.h"

/*
 * The extra field's apop= word, if any: 0 and *OUT set (AUTH_APOP_DEFAULT
 * when there is none), or -1 with *WHY.  A later apop= word contradicting
 * an earlier one is an error rather than a silent choice.
 */
static int
passwd_extra_apop(const char *x, size_t len, enum auth_apop *out,
    const char **why)
{
	const char *end = x + len, *w, *we;
	enum auth_apop v;

	*out = AUTH_APOP_DEFAULT;
	for (w = x; w < end; w = we) {
		while (w < end && *w == ' ')
			w++;
		for (we = w; we < end && *we != ' '; we++)
			;
		if ((size_t)(we - w) < 5 || memcmp(w, "apop=", 5) != 0)
			continue;
		if (we - w == 9 && memcmp(w + 5, "only", 4) == 0)
			v = AUTH_APOP_ONLY;
		else if (we - w == 7 && memcmp(w + 5, "no", 2) == 0)
			v = AUTH_APOP_NO;
		else {
			*why = "apop= must be apop=only or apop=no";
			return -1;
		}
		if (*out != AUTH_APOP_DEFAULT && *out != v) {
			*why = "both apop=only and apop=no";
			return -1;
		}
		*out = v;
	}
	return 0;
}

/* Longer names are refused; RFC 1939 gives no limit, but a POP3 command
 * line is short and a name that long is a mistake, not a user. */
#define AUTH_NAME_MAX		255
#define AUTH_SCHEME_MAX		32

/* Field positions (Dovecot passwd-file, same as /etc/passwd after user). */
enum passwd_field {
	PASSWD_USER,
	PASSWD_SECRET,
	PASSWD_UID,
	PASSWD_GID,
	PASSWD_GECOS,
	PASSWD_HOME,
	PASSWD_SHELL,
	PASSWD_EXTRA,
	PASSWD_NFIELDS
};

struct passwd_scheme {
	const char	*name;		/* as accepted, case-insensitive */
	const char	*canon;		/* what auth_user.scheme holds */
	int		 crypt;		/* secret must be a crypt(3) hash */
	enum auth__kind	 kind;
	const char	*prefix[3];	/* accepted hash prefixes, NULL = any */
};

/* CLEARTEXT is Dovecot's older name for PLAIN; accepting it costs a row.
 * The SCRAM and CRAM-MD5 rows are Dovecot's formats (secret.c), checked
 * when the file is read so a typo shows at load, not at login. */
static const struct passwd_scheme passwd_schemes[] = {
	{ "PLAIN",	"PLAIN",	0, AUTH__PLAIN, { NULL } },
	{ "CLEARTEXT",	"PLAIN",	0, AUTH__PLAIN, { NULL } },
	{ "CRYPT",	"CRYPT",	1, AUTH__CRYPT, { NULL } },
	{ "SHA256-CRYPT", "SHA256-CRYPT", 1, AUTH__CRYPT, { "$5$" } },
	{ "SHA512-CRYPT", "SHA512-CRYPT", 1, AUTH__CRYPT, { "$6$" } },
	{ "BLF-CRYPT",	"BLF-CRYPT",	1, AUTH__CRYPT,
	    { "$2a$", "$2b$", "$2y$" } },
	{ "SCRAM-SHA-1", "SCRAM-SHA-1",	0, AUTH__SCRAM_SHA1, { NULL } },
	{ "SCRAM-SHA-256", "SCRAM-SHA-256", 0, AUTH__SCRAM_SHA256, { NULL } },
	{ "CRAM-MD5",	"CRAM-MD5",	0, AUTH__CRAM_MD5, { NULL } },
};

static const struct passwd_scheme *
passwd_scheme_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(passwd_schemes) / sizeof(passwd_schemes[0]);
	    i++) {
		if (strlen(passwd_schemes[i].name) == len &&
		    strncasecmp(passwd_schemes[i].name, name, len) == 0)
			return &passwd_schemes[i];
	}
	return NULL;
}

static int
passwd_prefix_ok(const struct passwd_scheme *s, const char *secret,
    size_t len)
{
	size_t	 i, plen;

	if (s->prefix[0] == NULL)
		return 1;
	for (i = 0; i < 3 && s->prefix[i] != NULL; i++) {
		plen = strlen(s->prefix[i]);
		if (len >= plen && memcmp(secret, s->prefix[i], plen) == 0)
			return 1;
	}
	return 0;
}

int
auth__scheme_is_crypt(const char *scheme)
{
	const struct passwd_scheme	*s;

	if ((s = passwd_scheme_find(scheme, strlen(scheme))) == NULL)
		return -1;
	return s->crypt;
}

int
auth__scheme_kind(const char *scheme)
{
	const struct passwd_scheme	*s;

	if ((s = passwd_scheme_find(scheme, strlen(scheme))) == NULL)
		return -1;
	return (int)s->kind;
}

/* 0 if SEC (LEN octets) has the shape KIND requires. */
static int
passwd_secret_ok(enum auth__kind kind, const char *sec, size_t len)
{
	struct auth__scram	 sc;
	unsigned char		 st[32];
	char			 buf[512];
	int			 rc;

	if (kind != AUTH__SCRAM_SHA1 && kind != AUTH__SCRAM_SHA256 &&
	    kind != AUTH__CRAM_MD5)
		return 0;
	if (len >= sizeof(buf))
		return -1;
	memcpy(buf, sec, len);
	buf[len] = '\0';
	if (kind == AUTH__CRAM_MD5)
		rc = auth__cram_parse(buf, st);
	else
		rc = auth__scram_parse(buf, kind == AUTH__SCRAM_SHA256, &sc);
	auth_wipe(buf, sizeof(buf));
	auth_wipe(st, sizeof(st));
	auth_wipe(&sc, sizeof(sc));
	return rc;
}

int
auth__scheme_prefix_ok(const char *scheme, const char *secret, size_t len)
{
	const struct passwd_scheme	*s;

	if ((s = passwd_scheme_find(scheme, strlen(scheme))) == NULL)
		return 0;
	return passwd_prefix_ok(s, secret, len);
}

static char *
passwd_strndup(const char *p, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(s, p, len);
	s[len] = '\0';
	return s;
}

int
auth_passwd_parse_line(const char *line, size_t len, struct auth_user *u,
    const char **why)
{
	const struct passwd_scheme	*s;
	const char			*f[PASSWD_NFIELDS];
	size_t				 flen[PASSWD_NFIELDS];
	const char			*sec, *end;
	size_t				 i, nf, seclen;
	char				*scheme = NULL;

	memset(u, 0, sizeof(*u));
	*why = NULL;

	/* Blank lines and '#' comments, as Dovecot skips them.  A line of
	 * only spaces or tabs counts as blank, and so does an indented '#'. */
	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[i] == '#')
		return 0;

	/* Distrust the file: a NUL or control octet is a corrupt line, and
	 * would otherwise end up in a log line or a path. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0') {
			*why = "NUL octet in line";
			return -1;
		}
		if (c < 0x20 || c == 0x7f) {
			*why = "control character in line";
			return -1;
		}
	}

	/* Split on ':'; fields past extra are part of extra (Dovecot). */
	nf = 0;
	f[0] = line;
	end = line + len;
	for (i = 0; i < len && nf < PASSWD_EXTRA; i++) {
		if (line[i] == ':') {
			flen[nf] = (size_t)(line + i - f[nf]);
			f[++nf] = line + i + 1;
		}
	}
	flen[nf] = (size_t)(end - f[nf]);
	nf++;

	if (flen[PASSWD_USER] == 0) {
		*why = "empty user name";
		return -1;
	}
	if (flen[PASSWD_USER] > AUTH_NAME_MAX) {
		*why = "user name longer than 255 octets";
		return -1;
	}
	/* RFC 1939 §3: arguments are separated by a single space, so a name
	 * with a space could never be given to USER or APOP. */
	if (memchr(f[PASSWD_USER], ' ', flen[PASSWD_USER]) != NULL) {
		*why = "space in user name";
		return -1;
	}
	if (nf < 2) {
		*why = "no password field";
		return -1;
	}

	sec = f[PASSWD_SECRET];
	seclen = flen[PASSWD_SECRET];
	if (seclen > 0 && sec[0] == '{') {
		const char *close = memchr(sec, '}', seclen);
		size_t slen;

		if (close == NULL) {
			*why = "unterminated {SCHEME}";
			return -1;
		}
		slen = (size_t)(close - sec - 1);
		if (slen == 0 || slen > AUTH_SCHEME_MAX) {
			*why = "empty or overlong {SCHEME}";
			return -1;
		}
		if ((s = passwd_scheme_find(sec + 1, slen)) == NULL) {
			*why = "unknown password scheme";
			return -1;
		}
		seclen -= slen + 2;
		sec = close + 1;
	} else {
		/* Dovecot: no {SCHEME} means the default scheme, CRYPT. */
		s = passwd_scheme_find("CRYPT", 5);
	}

	if (s->crypt && seclen == 0) {
		*why = "empty secret for a crypt scheme";
		return -1;
	}
	if (!passwd_prefix_ok(s, sec, seclen)) {
		*why = "hash does not match its {SCHEME}";
		return -1;
	}
	if (passwd_secret_ok(s->kind, sec, seclen) != 0) {
		*why = "malformed secret for its {SCHEME}";
		return -1;
	}

	u->apop = AUTH_APOP_DEFAULT;
	if (nf > PASSWD_EXTRA && passwd_extra_apop(f[PASSWD_EXTRA],
	    flen[PASSWD_EXTRA], &u->apop, why) < 0)
		return -1;
	/* APOP needs the secret itself (RFC 1939 §7): such a user could
	 * never log in at all. */
	if (u->apop == AUTH_APOP_ONLY && s->kind != AUTH__PLAIN) {
		*why = "apop=only needs a {PLAIN} secret";
		return -1;
	}

	if ((scheme = strdup(s->canon)) == NULL)
		goto nomem;
	u->scheme = scheme;
	if ((u->name = passwd_strndup(f[PASSWD_USER],
	    flen[PASSWD_USER])) == NULL)
		goto nomem;
	if ((u->secret = passwd_strndup(sec, seclen)) == NULL)
		goto nomem;
	if (nf > PASSWD_HOME)
		u->home = passwd_strndup(f[PASSWD_HOME], flen[PASSWD_HOME]);
	else
		u->home = strdup("");
	if (u->home == NULL)
		goto nomem;
	return 1;

nomem:
	auth_user_clear(u);
	*why = "out of memory";
	return -1;
}
