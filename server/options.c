/*
 * options.c - polypopd's settings from the command line and a config file.
 *
 * Everything except options_load_config() is pure: strings in, a struct
 * options out, errors as text in ERR.  The same key names serve the config
 * file and options_set(); command-line flags map onto them through one
 * table (opt_flags), so docs/configuration.md has one list to follow.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

/* A config file is a handful of lines; anything bigger is a mistake. */
#define OPT_CONFIG_MAX		(1024 * 1024)
#define OPT_KEY_MAX		64
#define OPT_VALUE_MAX		4096

const char options_usage[] =
"usage: polypopd --listen PROTO[/PROFILE]@HOST:PORT[,OPTION] [--listen ...]\n"
"                --users FILE --mail LOCATION [options]\n"
"       polypopd --demo [DIR] [options]\n"
"\n"
"  --listen SPEC           listen address, repeatable; e.g. pop3@0.0.0.0:110,\n"
"                          pop3/rfc1939@[::1]:1110 (port 0 = any free port),\n"
"                          pop3s@0.0.0.0:995 (implicit TLS, RFC 8314);\n"
"                          OPTION plaintext-auth=tls allows USER/PASS, AUTH\n"
"                          PLAIN and LOGIN only over TLS (default: any)\n"
"  --users FILE            passwd-file of users (docs/auth.md)\n"
"  --mail LOCATION         where mailboxes live, e.g. maildir:/var/mail/%u\n"
"  --config FILE           read settings from FILE first; flags override it\n"
"  --trace DIR             write a transcript of every session to DIR\n"
"  --trace-bodies          include message bodies in transcripts\n"
"  --demo [DIR]            run with generated users and mail in DIR\n"
"  --hostname NAME         host name used in greetings\n"
"  --idle-timeout SECONDS  autologout timer (default 600, RFC 1939 §3)\n"
"  --auth-failure-delay MS delay after a failed login (default 2000)\n"
"  --max-connections N     total connection limit (default 1024)\n"
"  --max-connections-per-ip N  limit per client address (default 64)\n"
"  --rpop-trust FILE       enable RFC 1081 RPOP for the hosts and users in\n"
"                          FILE (unsafe; off by default, docs/auth.md)\n"
"  --bboards LOCATION      RFC 1082 discussion groups (XTND), one folder each,\n"
"                          e.g. maildir:/srv/bboards (docs/bboards.md)\n"
"  --tls-cert FILE         PEM certificate chain for STLS and pop3s\n"
"  --tls-key FILE          its PEM private key (default: in the cert FILE)\n"
"  --expire DAYS|NEVER     RFC 2449 EXPIRE: days mail is kept on the server\n"
"                          (0 = deleted once retrieved; default NEVER)\n"
"  --login-delay SECONDS   RFC 2449 LOGIN-DELAY: least time between logins\n"
"                          of one user (default 0)\n"
"  --log-level LEVEL       error, warn, info (default) or debug\n"
"  --help                  show this text\n"
"  --version               show the version\n"
"\n"
"Every flag also takes the --flag=value form.\n";

static void opt_err(char *, size_t, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
opt_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
options_init(struct options *o)
{
	memset(o, 0, sizeof(*o));
	/* RFC 1939 §3: the autologout timer MUST be at least 10 minutes. */
	o->idle_timeout = 600;
	o->auth_fail_delay_ms = 2000;
	o->max_connections = 1024;
	o->max_per_ip = 64;
	o->log_level = LOG_INFO;
	o->expire_days = -1;	/* NEVER (RFC 2449 §6.7) */
}

void
options_free(struct options *o)
{
	free(o->listens);
	free(o->users_file);
	free(o->mail);
	free(o->config_file);
	free(o->trace_dir);
	free(o->demo_dir);
	free(o->hostname);
	free(o->rpop_trust);
	free(o->bboards);
	free(o->tls_cert);
	free(o->tls_key);
	memset(o, 0, sizeof(*o));
}

/* --- listen specs --- */

static int
opt_is_proto_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int
opt_is_profile_char(int c)
{
	return isascii(c) && (isalnum(c) || c == '-');
}

/* Host names and IPv4 literals; inside brackets also IPv6 and a zone. */
static int
opt_is_host_char(int c, int bracketed)
{
	if (isascii(c) && (isalnum(c) || c == '.' || c == '-' || c == '_'))
		return 1;
	return bracketed && (c == ':' || c == '%');
}

static int
opt_parse_port(const char *s, unsigned *port)
{
	unsigned long	 v = 0;
	size_t		 i;

	if (*s == '\0' || strlen(s) > 5)
		return -1;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (unsigned)v;
	return 0;
}

/*
 * The options after HOST:PORT, each ",NAME=VALUE".  One table, so the
 * error can list every valid one.
 */
static const struct {
	const char	*text;
	int		 plaintext_tls_only;
} opt_listen_opts[] = {
	{ "plaintext-auth=any", 0 },
	{ "plaintext-auth=tls", 1 },
};

static int
opt_parse_listen_opts(const char *spec, const char *opts,
    struct listen_spec *ls, char *err, size_t errlen)
{
	const char	*p = opts, *end;
	size_t		 len, k, n = sizeof(opt_listen_opts) /
			    sizeof(opt_listen_opts[0]);

	while (*p == ',') {
		p++;
		end = strchr(p, ',');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		for (k = 0; k < n; k++)
			if (strlen(opt_listen_opts[k].text) == len &&
			    memcmp(opt_listen_opts[k].text, p, len) == 0)
				break;
		if (k == n) {
			opt_err(err, errlen, "listen '%.100s': unknown "
			    "listener option '%.*s' (valid: "
			    "plaintext-auth=tls, plaintext-auth=any)", spec,
			    (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		ls->plaintext_tls_only = opt_listen_opts[k].plaintext_tls_only;
		p += len;
	}
	return 0;
}

int
options_parse_listen(const char *spec, struct listen_spec *out, char *err,
    size_t errlen)
{
	struct listen_spec	 ls;
	const char		*at, *slash, *host, *hend, *port, *opts;
	char			 hostport[sizeof(ls.host) + 16];
	size_t			 plen, i;
	int			 bracketed = 0;

	memset(&ls, 0, sizeof(ls));
	if ((at = strchr(spec, '@')) == NULL) {
		opt_err(err, errlen, "listen '%.100s': expected "
		    "PROTO[/PROFILE]@HOST:PORT", spec);
		return -1;
	}

	slash = memchr(spec, '/', (size_t)(at - spec));
	plen = (size_t)((slash != NULL ? slash : at) - spec);
	if (plen == 0 || plen >= sizeof(ls.proto)) {
		opt_err(err, errlen, "listen '%.100s': protocol name must be "
		    "1 to %zu characters", spec, sizeof(ls.proto) - 1);
		return -1;
	}
	for (i = 0; i < plen; i++) {
		if (!opt_is_proto_char((unsigned char)spec[i])) {
			opt_err(err, errlen, "listen '%.100s': protocol name "
			    "takes lower-case letters and digits only", spec);
			return -1;
		}
	}
	memcpy(ls.proto, spec, plen);

	if (slash != NULL) {
		plen = (size_t)(at - slash - 1);
		if (plen == 0 || plen >= sizeof(ls.profile)) {
			opt_err(err, errlen, "listen '%.100s': profile must be "
			    "1 to %zu characters", spec,
			    sizeof(ls.profile) - 1);
			return -1;
		}
		for (i = 0; i < plen; i++) {
			if (!opt_is_profile_char((unsigned char)slash[1 + i])) {
				opt_err(err, errlen, "listen '%.100s': profile "
				    "takes letters, digits and '-' only", spec);
				return -1;
			}
		}
		memcpy(ls.profile, slash + 1, plen);
	}

	/* RFC 8314 implicit TLS is POP3 on another port, not another
	 * protocol: the registry knows it as "pop3". */
	if (strcmp(ls.proto, "pop3s") == 0) {
		if (ls.profile[0] != '\0') {
			opt_err(err, errlen, "listen '%.100s': the historic "
			    "POP3 revisions had no TLS, so pop3s takes no "
			    "profile (use pop3/%s@HOST:PORT)", spec,
			    ls.profile);
			return -1;
		}
		memcpy(ls.proto, "pop3", 5);
		ls.tls = 1;
	}

	/* HOST:PORT ends at the first ',' (neither contains one). */
	host = at + 1;
	if ((opts = strchr(host, ',')) == NULL)
		opts = host + strlen(host);
	if ((size_t)(opts - host) >= sizeof(hostport)) {
		opt_err(err, errlen, "listen '%.100s': host too long", spec);
		return -1;
	}
	memcpy(hostport, host, (size_t)(opts - host));
	hostport[opts - host] = '\0';
	host = hostport;
	if (*host == '[') {
		bracketed = 1;
		host++;
		if ((hend = strchr(host, ']')) == NULL) {
			opt_err(err, errlen, "listen '%.100s': missing ']' "
			    "after IPv6 address", spec);
			return -1;
		}
		port = hend + 1;
		if (*port != ':') {
			opt_err(err, errlen, "listen '%.100s': expected "
			    "':PORT' after ']'", spec);
			return -1;
		}
		port++;
	} else {
		if ((hend = strrchr(host, ':')) == NULL) {
			opt_err(err, errlen, "listen '%.100s': missing ':PORT'",
			    spec);
			return -1;
		}
		if (memchr(host, ':', (size_t)(hend - host)) != NULL) {
			opt_err(err, errlen, "listen '%.100s': an IPv6 address "
			    "must be in brackets, e.g. [::1]:110", spec);
			return -1;
		}
		port = hend + 1;
	}
	plen = (size_t)(hend - host);
	if (plen == 0) {
		opt_err(err, errlen, "listen '%.100s': empty host", spec);
		return -1;
	}
	if (plen >= sizeof(ls.host)) {
		opt_err(err, errlen, "listen '%.100s': host too long", spec);
		return -1;
	}
	for (i = 0; i < plen; i++) {
		if (!opt_is_host_char((unsigned char)host[i], bracketed)) {
			opt_err(err, errlen, "listen '%.100s': bad character "
			    "in host", spec);
			return -1;
		}
	}
	memcpy(ls.host, host, plen);
	if (opt_parse_port(port, &ls.port) != 0) {
		opt_err(err, errlen, "listen '%.100s': port must be a number "
		    "from 0 to 65535", spec);
		return -1;
	}
	if (opt_parse_listen_opts(spec, opts, &ls, err, errlen) != 0)
		return -1;
	*out = ls;
	return 0;
}

/* --- keys --- */

enum opt_type {
	OPT_LISTEN,
	OPT_STRING,
	OPT_BOOL,
	OPT_UINT,
	OPT_LOGLEVEL,
	OPT_SHARED_LOCATION,	/* a mail location of no user: no %u, %h */
	OPT_EXPIRE,		/* DAYS or NEVER (RFC 2449 §6.7) */
};

struct opt_key {
	const char	*name;
	enum opt_type	 type;
	size_t		 off;		/* into struct options */
	unsigned	 min, max;	/* OPT_UINT range */
	const char	*unit;
};

#define OFF(f)	offsetof(struct options, f)

/* RFC 1939 §3 wants idle_timeout >= 600; lower values are accepted so
 * that tests need not wait ten minutes (docs/configuration.md). */
static const struct opt_key opt_keys[] = {
	{ "listen", OPT_LISTEN, 0, 0, 0, NULL },
	{ "users", OPT_STRING, OFF(users_file), 0, 0, NULL },
	{ "mail", OPT_STRING, OFF(mail), 0, 0, NULL },
	{ "trace", OPT_STRING, OFF(trace_dir), 0, 0, NULL },
	{ "trace_bodies", OPT_BOOL, OFF(trace_bodies), 0, 0, NULL },
	{ "hostname", OPT_STRING, OFF(hostname), 0, 0, NULL },
	{ "idle_timeout", OPT_UINT, OFF(idle_timeout), 1, 86400, "seconds" },
	{ "auth_failure_delay", OPT_UINT, OFF(auth_fail_delay_ms), 0, 60000,
	    "milliseconds" },
	{ "max_connections", OPT_UINT, OFF(max_connections), 1, 1000000,
	    "connections" },
	{ "max_connections_per_ip", OPT_UINT, OFF(max_per_ip), 1, 1000000,
	    "connections" },
	{ "log_level", OPT_LOGLEVEL, OFF(log_level), 0, 0, NULL },
	{ "rpop_trust", OPT_STRING, OFF(rpop_trust), 0, 0, NULL },
	{ "bboards", OPT_SHARED_LOCATION, OFF(bboards), 0, 0, NULL },
	{ "tls_cert", OPT_STRING, OFF(tls_cert), 0, 0, NULL },
	{ "tls_key", OPT_STRING, OFF(tls_key), 0, 0, NULL },
	/* A century of days is more than any mail is kept. */
	{ "expire", OPT_EXPIRE, OFF(expire_days), 0, 36500, "days" },
	{ "login_delay", OPT_UINT, OFF(login_delay), 0, 86400, "seconds" },
};

static const char *const opt_levels[] = { "error", "warn", "info", "debug" };

static const struct opt_key *
opt_key_find_n(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(opt_keys) / sizeof(opt_keys[0]); i++)
		if (strlen(opt_keys[i].name) == len &&
		    memcmp(opt_keys[i].name, name, len) == 0)
			return &opt_keys[i];
	return NULL;
}

static int
opt_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long	 v;
	char		*end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
opt_parse_bool(const char *s, int *out)
{
	if (strcasecmp(s, "yes") == 0 || strcasecmp(s, "true") == 0 ||
	    strcmp(s, "1") == 0)
		*out = 1;
	else if (strcasecmp(s, "no") == 0 || strcasecmp(s, "false") == 0 ||
	    strcmp(s, "0") == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

static int
opt_append_listen(struct options *o, const struct listen_spec *ls)
{
	struct listen_spec	*n;

	n = reallocarray(o->listens, o->nlistens + 1, sizeof(*n));
	if (n == NULL)
		return -1;
	o->listens = n;
	o->listens[o->nlistens++] = *ls;
	return 0;
}

/* Apply VALUE to K; the message in ERR does not name the key, so that
 * the caller can say "FILE:LINE: key" or "--flag" in front of it. */
static int
opt_apply(struct options *o, const struct opt_key *k, const char *value,
    char *err, size_t errlen)
{
	struct listen_spec	 ls;
	char			*s, **sp;
	size_t			 i;
	unsigned		 u;

	switch (k->type) {
	case OPT_LISTEN:
		if (options_parse_listen(value, &ls, err, errlen) != 0)
			return -1;
		if (opt_append_listen(o, &ls) != 0) {
			opt_err(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	case OPT_SHARED_LOCATION:
		/* RFC 1082 discussion groups belong to every user alike:
		 * there is no user to expand %u or %h for. */
		if (strstr(value, "%u") != NULL || strstr(value, "%h") !=
		    NULL) {
			opt_err(err, errlen, "'%.100s': discussion groups "
			    "belong to no user, so the location must not "
			    "contain %%u or %%h", value);
			return -1;
		}
		/* FALLTHROUGH */
	case OPT_STRING:
		if (*value == '\0') {
			opt_err(err, errlen, "empty value");
			return -1;
		}
		if ((s = strdup(value)) == NULL) {
			opt_err(err, errlen, "out of memory");
			return -1;
		}
		sp = (char **)(void *)((char *)o + k->off);
		free(*sp);
		*sp = s;
		return 0;
	case OPT_BOOL:
		if (opt_parse_bool(value, (int *)(void *)((char *)o +
		    k->off)) != 0) {
			opt_err(err, errlen, "expected yes or no, got "
			    "'%.64s'", value);
			return -1;
		}
		return 0;
	case OPT_UINT:
		if (opt_parse_uint(value, k->min, k->max,
		    (unsigned *)(void *)((char *)o + k->off)) != 0) {
			opt_err(err, errlen, "expected %s from %u to %u, got "
			    "'%.64s'", k->unit, k->min, k->max, value);
			return -1;
		}
		return 0;
	case OPT_EXPIRE:
		if (strcasecmp(value, "NEVER") == 0) {
			o->expire_days = -1;
			return 0;
		}
		if (opt_parse_uint(value, k->min, k->max, &u) != 0) {
			opt_err(err, errlen, "expected %s from %u to %u or "
			    "NEVER, got '%.64s'", k->unit, k->min, k->max,
			    value);
			return -1;
		}
		o->expire_days = (long)u;
		return 0;
	case OPT_LOGLEVEL:
		for (i = 0; i < sizeof(opt_levels) / sizeof(opt_levels[0]);
		    i++) {
			if (strcasecmp(value, opt_levels[i]) == 0) {
				o->log_level = (int)i;
				return 0;
			}
		}
		opt_err(err, errlen, "expected error, warn, info or debug, "
		    "got '%.64s'", value);
		return -1;
	}
	opt_err(err, errlen, "internal error");
	return -1;
}

int
options_set(struct options *o, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct opt_key	*k;
	char			 why[256];

	if ((k = opt_key_find_n(key, strlen(key))) == NULL) {
		opt_err(err, errlen, "unknown key '%.64s'", key);
		return -1;
	}
	if (opt_apply(o, k, value, why, sizeof(why)) != 0) {
		opt_err(err, errlen, "%s: %s", k->name, why);
		return -1;
	}
	return 0;
}

/* --- config file --- */

static int
opt_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Trim P..*END in place (as a span). */
static void
opt_trim(const char **p, const char **end)
{
	while (*p < *end && opt_is_space(**p))
		(*p)++;
	while (*end > *p && opt_is_space((*end)[-1]))
		(*end)--;
}

static int
opt_config_line(struct options *o, const char *p, const char *end,
    const char *name, unsigned lineno, char *err, size_t errlen)
{
	const char	*eq, *kend, *v;
	char		 key[OPT_KEY_MAX], value[OPT_VALUE_MAX], why[256];
	size_t		 klen, vlen;

	opt_trim(&p, &end);
	if (p == end || *p == '#' || *p == ';')
		return 0;
	if (*p == '[') {
		/* One section is known; it may be given for clarity. */
		if (end[-1] != ']' || (size_t)(end - p) != 10 ||
		    memcmp(p, "[polypopd]", 10) != 0) {
			opt_err(err, errlen, "%s:%u: unknown section '%.*s'",
			    name, lineno, (int)(end - p > 64 ? 64 : end - p),
			    p);
			return -1;
		}
		return 0;
	}
	if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL) {
		opt_err(err, errlen, "%s:%u: expected 'key = value'", name,
		    lineno);
		return -1;
	}
	kend = eq;
	v = eq + 1;
	opt_trim(&p, &kend);
	opt_trim(&v, &end);
	klen = (size_t)(kend - p);
	vlen = (size_t)(end - v);
	if (klen == 0) {
		opt_err(err, errlen, "%s:%u: missing key before '='", name,
		    lineno);
		return -1;
	}
	if (klen >= sizeof(key) || opt_key_find_n(p, klen) == NULL) {
		opt_err(err, errlen, "%s:%u: unknown key '%.*s'", name,
		    lineno, (int)(klen > 64 ? 64 : klen), p);
		return -1;
	}
	if (vlen >= sizeof(value)) {
		opt_err(err, errlen, "%s:%u: value too long", name, lineno);
		return -1;
	}
	memcpy(key, p, klen);
	key[klen] = '\0';
	memcpy(value, v, vlen);
	value[vlen] = '\0';
	if (options_set(o, key, value, why, sizeof(why)) != 0) {
		opt_err(err, errlen, "%s:%u: %s", name, lineno, why);
		return -1;
	}
	return 0;
}

int
options_parse_config(struct options *o, const char *text, size_t len,
    const char *name, char *err, size_t errlen)
{
	const char	*p = text, *end = text + len, *nl;
	unsigned	 lineno = 0;

	while (p < end) {
		lineno++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (memchr(p, '\0', (size_t)(nl - p)) != NULL) {
			opt_err(err, errlen, "%s:%u: NUL octet in line", name,
			    lineno);
			return -1;
		}
		if (opt_config_line(o, p, nl, name, lineno, err, errlen) != 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

int
options_load_config(struct options *o, const char *path, char *err,
    size_t errlen)
{
	struct stat	 st;
	char		*buf, *s;
	ssize_t		 n;
	size_t		 len = 0;
	int		 fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		opt_err(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		opt_err(err, errlen, "%s: not a regular file", path);
		close(fd);
		return -1;
	}
	if ((buf = malloc(OPT_CONFIG_MAX + 1)) == NULL) {
		opt_err(err, errlen, "%s: out of memory", path);
		close(fd);
		return -1;
	}
	/* Read one octet past the limit to tell "too big" from "exactly". */
	while (len <= OPT_CONFIG_MAX &&
	    (n = read(fd, buf + len, OPT_CONFIG_MAX + 1 - len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			opt_err(err, errlen, "%s: %s", path, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		len += (size_t)n;
	}
	close(fd);
	if (len > OPT_CONFIG_MAX) {
		opt_err(err, errlen, "%s: larger than %d octets", path,
		    OPT_CONFIG_MAX);
		free(buf);
		return -1;
	}
	rc = options_parse_config(o, buf, len, path, err, errlen);
	free(buf);
	if (rc == 0) {
		if ((s = strdup(path)) == NULL) {
			opt_err(err, errlen, "out of memory");
			return -1;
		}
		free(o->config_file);
		o->config_file = s;
	}
	return rc;
}

/* --- command line --- */

enum opt_arg {
	ARG_NONE,		/* --help; "--help=x" is an error */
	ARG_REQUIRED,		/* --users FILE or --users=FILE */
	ARG_NEXT_OPTIONAL,	/* --demo [DIR]: next word unless a flag */
	ARG_EQ_OPTIONAL,	/* --trace-bodies or --trace-bodies=no */
};

enum opt_action {
	ACT_KEY,		/* options_set(key, value) */
	ACT_CONFIG,
	ACT_DEMO,
	ACT_HELP,
	ACT_VERSION,
};

struct opt_flag {
	const char	*name;		/* without "--" */
	enum opt_arg	 arg;
	enum opt_action	 action;
	const char	*key;		/* for ACT_KEY */
	const char	*dflt;		/* value if an optional one is absent */
};

static const struct opt_flag opt_flags[] = {
	{ "listen", ARG_REQUIRED, ACT_KEY, "listen", NULL },
	{ "users", ARG_REQUIRED, ACT_KEY, "users", NULL },
	{ "mail", ARG_REQUIRED, ACT_KEY, "mail", NULL },
	{ "config", ARG_REQUIRED, ACT_CONFIG, NULL, NULL },
	{ "trace", ARG_REQUIRED, ACT_KEY, "trace", NULL },
	{ "trace-bodies", ARG_EQ_OPTIONAL, ACT_KEY, "trace_bodies", "yes" },
	{ "demo", ARG_NEXT_OPTIONAL, ACT_DEMO, NULL, NULL },
	{ "hostname", ARG_REQUIRED, ACT_KEY, "hostname", NULL },
	{ "idle-timeout", ARG_REQUIRED, ACT_KEY, "idle_timeout", NULL },
	{ "auth-failure-delay", ARG_REQUIRED, ACT_KEY, "auth_failure_delay",
	    NULL },
	{ "max-connections", ARG_REQUIRED, ACT_KEY, "max_connections", NULL },
	{ "max-connections-per-ip", ARG_REQUIRED, ACT_KEY,
	    "max_connections_per_ip", NULL },
	{ "log-level", ARG_REQUIRED, ACT_KEY, "log_level", NULL },
	{ "rpop-trust", ARG_REQUIRED, ACT_KEY, "rpop_trust", NULL },
	{ "bboards", ARG_REQUIRED, ACT_KEY, "bboards", NULL },
	{ "tls-cert", ARG_REQUIRED, ACT_KEY, "tls_cert", NULL },
	{ "tls-key", ARG_REQUIRED, ACT_KEY, "tls_key", NULL },
	{ "expire", ARG_REQUIRED, ACT_KEY, "expire", NULL },
	{ "login-delay", ARG_REQUIRED, ACT_KEY, "login_delay", NULL },
	{ "help", ARG_NONE, ACT_HELP, NULL, NULL },
	{ "version", ARG_NONE, ACT_VERSION, NULL, NULL },
};

static int
opt_is_flag(const char *s)
{
	return strncmp(s, "--", 2) == 0;
}

/* Split argv[*i] into a flag and its value, consuming the next element
 * when the flag takes it.  *VALUE is NULL when no value was given. */
static int
opt_next_flag(int argc, char **argv, int *i, const struct opt_flag **fp,
    const char **value, char *err, size_t errlen)
{
	const struct opt_flag	*f = NULL;
	const char		*a = argv[*i], *name, *eq;
	size_t			 nlen, k;

	*value = NULL;
	if (!opt_is_flag(a)) {
		opt_err(err, errlen, "unexpected argument '%.100s'", a);
		return -1;
	}
	name = a + 2;
	eq = strchr(name, '=');
	nlen = eq != NULL ? (size_t)(eq - name) : strlen(name);
	for (k = 0; k < sizeof(opt_flags) / sizeof(opt_flags[0]); k++)
		if (strlen(opt_flags[k].name) == nlen &&
		    memcmp(opt_flags[k].name, name, nlen) == 0)
			f = &opt_flags[k];
	if (f == NULL) {
		opt_err(err, errlen, "unknown option '--%.*s'",
		    (int)(nlen > 64 ? 64 : nlen), name);
		return -1;
	}
	*fp = f;

	if (eq != NULL) {
		if (f->arg == ARG_NONE) {
			opt_err(err, errlen, "option '--%s' takes no value",
			    f->name);
			return -1;
		}
		*value = eq + 1;
		return 0;
	}
	switch (f->arg) {
	case ARG_REQUIRED:
		/* "--users --mail x" is a forgotten value, not a file
		 * called "--mail"; --users=--mail says it on purpose. */
		if (*i + 1 >= argc || opt_is_flag(argv[*i + 1])) {
			opt_err(err, errlen, "option '--%s' needs a value",
			    f->name);
			return -1;
		}
		*value = argv[++*i];
		break;
	case ARG_NEXT_OPTIONAL:
		if (*i + 1 < argc && !opt_is_flag(argv[*i + 1]))
			*value = argv[++*i];
		break;
	case ARG_NONE:
	case ARG_EQ_OPTIONAL:
		break;
	}
	if (*value == NULL)
		*value = f->dflt;
	return 0;
}

/*
 * Two passes: the first checks every flag and finds --config, --help and
 * --version; the config file is loaded; the second applies the other
 * flags over it, so a flag wins over the file wherever --config appears.
 */
int
options_parse_argv(struct options *o, int argc, char **argv, char *err,
    size_t errlen)
{
	const struct opt_flag	*f;
	const char		*value, *config = NULL;
	char			 why[256], *s;
	int			 i, cli_listen = 0;

	for (i = 0; i < argc; i++) {
		if (opt_next_flag(argc, argv, &i, &f, &value, err,
		    errlen) != 0)
			return -1;
		if (f->action == ACT_CONFIG) {
			if (config != NULL) {
				opt_err(err, errlen,
				    "option '--config' given twice");
				return -1;
			}
			config = value;
		} else if (f->action == ACT_HELP)
			o->help = 1;
		else if (f->action == ACT_VERSION)
			o->version = 1;
	}
	/* Nothing else matters, and a broken config must not hide help. */
	if (o->help || o->version)
		return 0;
	if (config != NULL && options_load_config(o, config, err, errlen) != 0)
		return -1;

	for (i = 0; i < argc; i++) {
		(void)opt_next_flag(argc, argv, &i, &f, &value, NULL, 0);
		switch (f->action) {
		case ACT_KEY:
			/* Command-line listens replace the file's. */
			if (strcmp(f->key, "listen") == 0 && !cli_listen) {
				cli_listen = 1;
				free(o->listens);
				o->listens = NULL;
				o->nlistens = 0;
			}
			if (opt_apply(o, opt_key_find_n(f->key,
			    strlen(f->key)), value, why, sizeof(why)) != 0) {
				opt_err(err, errlen, "--%s: %s", f->name, why);
				return -1;
			}
			break;
		case ACT_DEMO:
			o->demo = 1;
			if (value == NULL)
				break;
			if (*value == '\0') {
				opt_err(err, errlen, "--demo: empty directory");
				return -1;
			}
			if ((s = strdup(value)) == NULL) {
				opt_err(err, errlen, "out of memory");
				return -1;
			}
			free(o->demo_dir);
			o->demo_dir = s;
			break;
		case ACT_CONFIG:
		case ACT_HELP:
		case ACT_VERSION:
			break;
		}
	}
	return 0;
}
