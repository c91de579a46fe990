/*
 * test_options.c - listen specs, config texts and argv precedence.
 */
#define _GNU_SOURCE		/* asprintf */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "options.h"

/* --- listen specs --- */

struct listen_case {
	const char	*spec;
	int		 rc;
	const char	*proto, *profile, *host;
	unsigned	 port;
	const char	*err;		/* exact message when rc == -1 */
};

static const struct listen_case listen_cases[] = {
	{ "pop3@127.0.0.1:110", 0, "pop3", "", "127.0.0.1", 110, NULL },
	{ "pop3/rfc1939@[::1]:110", 0, "pop3", "rfc1939", "::1", 110, NULL },
	{ "pop3@[::1]:0", 0, "pop3", "", "::1", 0, NULL },
	{ "pop2@localhost:65535", 0, "pop2", "", "localhost", 65535, NULL },
	{ "pop3/rfc1081-strict@mail.example.org:1110", 0, "pop3",
	    "rfc1081-strict", "mail.example.org", 1110, NULL },
	{ "pop3@[fe80::1%eth0]:110", 0, "pop3", "", "fe80::1%eth0", 110,
	    NULL },
	{ "pop3@0.0.0.0:00110", 0, "pop3", "", "0.0.0.0", 110, NULL },
	{ "pop345678901234@h:1", 0, "pop345678901234", "", "h", 1, NULL },

	{ "pop3:110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3:110': expected PROTO[/PROFILE]@HOST:PORT" },
	{ "@h:1", -1, NULL, NULL, NULL, 0,
	    "listen '@h:1': protocol name must be 1 to 15 characters" },
	{ "pop34567890123456@h:1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop34567890123456@h:1': protocol name must be 1 to 15 "
	    "characters" },
	{ "POP3@h:1", -1, NULL, NULL, NULL, 0,
	    "listen 'POP3@h:1': protocol name takes lower-case letters and "
	    "digits only" },
	{ "pop3/@h:1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3/@h:1': profile must be 1 to 31 characters" },
	{ "pop3/a_b@h:1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3/a_b@h:1': profile takes letters, digits and '-' "
	    "only" },
	{ "pop3@:110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@:110': empty host" },
	{ "pop3@[]:110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@[]:110': empty host" },
	{ "pop3@host", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@host': missing ':PORT'" },
	{ "pop3@host:", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@host:': port must be a number from 0 to 65535" },
	{ "pop3@host:65536", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@host:65536': port must be a number from 0 to "
	    "65535" },
	{ "pop3@host:-1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@host:-1': port must be a number from 0 to 65535" },
	{ "pop3@host:11a", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@host:11a': port must be a number from 0 to 65535" },
	{ "pop3@::1:110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@::1:110': an IPv6 address must be in brackets, "
	    "e.g. [::1]:110" },
	{ "pop3@[::1:110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@[::1:110': missing ']' after IPv6 address" },
	{ "pop3@[::1]110", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@[::1]110': expected ':PORT' after ']'" },
	{ "pop3@ho st:1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@ho st:1': bad character in host" },
	{ "pop3@h/x:1", -1, NULL, NULL, NULL, 0,
	    "listen 'pop3@h/x:1': bad character in host" },
	{ "", -1, NULL, NULL, NULL, 0,
	    "listen '': expected PROTO[/PROFILE]@HOST:PORT" },
};

START_TEST(test_listen)
{
	const struct listen_case	*c = &listen_cases[_i];
	struct listen_spec		 ls;
	char				 err[256] = "";
	int				 rc;

	memset(&ls, 0x55, sizeof(ls));
	rc = options_parse_listen(c->spec, &ls, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "'%s': rc %d (%s)", c->spec, rc, err);
	if (rc == 0) {
		ck_assert_str_eq(ls.proto, c->proto);
		ck_assert_str_eq(ls.profile, c->profile);
		ck_assert_str_eq(ls.host, c->host);
		ck_assert_uint_eq(ls.port, c->port);
	} else
		ck_assert_str_eq(err, c->err);
}
END_TEST

/* --- listen specs: implicit TLS and listener options --- */

struct tls_listen_case {
	const char	*spec;
	int		 rc;
	const char	*proto, *host;
	unsigned	 port;
	int		 tls, plaintext_tls_only;
	const char	*err;		/* exact message when rc == -1 */
};

static const struct tls_listen_case tls_listen_cases[] = {
	/* RFC 8314: the registry knows pop3s as pop3. */
	{ "pop3s@127.0.0.1:995", 0, "pop3", "127.0.0.1", 995, 1, 0, NULL },
	{ "pop3s@[::1]:0", 0, "pop3", "::1", 0, 1, 0, NULL },
	{ "pop3@127.0.0.1:110", 0, "pop3", "127.0.0.1", 110, 0, 0, NULL },
	{ "pop3@127.0.0.1:0,plaintext-auth=tls", 0, "pop3", "127.0.0.1", 0,
	    0, 1, NULL },
	{ "pop3@[::1]:110,plaintext-auth=tls", 0, "pop3", "::1", 110, 0, 1,
	    NULL },
	{ "pop3@[fe80::1%eth0]:110,plaintext-auth=any", 0, "pop3",
	    "fe80::1%eth0", 110, 0, 0, NULL },
	{ "pop3s@h:995,plaintext-auth=tls", 0, "pop3", "h", 995, 1, 1, NULL },
	/* The last of repeated options wins. */
	{ "pop3@h:1,plaintext-auth=tls,plaintext-auth=any", 0, "pop3", "h",
	    1, 0, 0, NULL },
	/* pop3sx is just an unknown name for the registry to refuse. */
	{ "pop3sx@h:1", 0, "pop3sx", "h", 1, 0, 0, NULL },

	{ "pop3s/rfc1081@127.0.0.1:995", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3s/rfc1081@127.0.0.1:995': the historic POP3 "
	    "revisions had no TLS, so pop3s takes no profile (use "
	    "pop3/rfc1081@HOST:PORT)" },
	{ "pop3@h:1,plaintext-auth=never", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h:1,plaintext-auth=never': unknown listener option "
	    "'plaintext-auth=never' (valid: plaintext-auth=tls, "
	    "plaintext-auth=any)" },
	{ "pop3@h:1,tls", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h:1,tls': unknown listener option 'tls' (valid: "
	    "plaintext-auth=tls, plaintext-auth=any)" },
	{ "pop3@h:1,", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h:1,': unknown listener option '' (valid: "
	    "plaintext-auth=tls, plaintext-auth=any)" },
	{ "pop3@h:1,plaintext-auth=TLS", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h:1,plaintext-auth=TLS': unknown listener option "
	    "'plaintext-auth=TLS' (valid: plaintext-auth=tls, "
	    "plaintext-auth=any)" },
	{ "pop3@h,plaintext-auth=tls", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h,plaintext-auth=tls': missing ':PORT'" },
	{ "pop3@h:,plaintext-auth=tls", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@h:,plaintext-auth=tls': port must be a number from "
	    "0 to 65535" },
	{ "pop3@[::1],plaintext-auth=tls", -1, NULL, NULL, 0, 0, 0,
	    "listen 'pop3@[::1],plaintext-auth=tls': expected ':PORT' after "
	    "']'" },
};

START_TEST(test_tls_listen)
{
	const struct tls_listen_case	*c = &tls_listen_cases[_i];
	struct listen_spec		 ls;
	char				 err[512] = "";
	int				 rc;

	memset(&ls, 0x55, sizeof(ls));
	rc = options_parse_listen(c->spec, &ls, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "'%s': rc %d (%s)", c->spec, rc, err);
	if (rc == 0) {
		ck_assert_str_eq(ls.proto, c->proto);
		ck_assert_str_eq(ls.profile, "");
		ck_assert_str_eq(ls.host, c->host);
		ck_assert_uint_eq(ls.port, c->port);
		ck_assert_int_eq(ls.tls, c->tls);
		ck_assert_int_eq(ls.plaintext_tls_only,
		    c->plaintext_tls_only);
	} else
		ck_assert_str_eq(err, c->err);
}
END_TEST

/* --- options_set --- */

struct set_case {
	const char	*key, *value;
	int		 rc;
	const char	*err;
};

static const struct set_case set_cases[] = {
	{ "users", "/etc/polypop/users", 0, NULL },
	{ "users", "", -1, "users: empty value" },
	{ "trace_bodies", "YES", 0, NULL },
	{ "trace_bodies", "0", 0, NULL },
	{ "trace_bodies", "maybe", -1,
	    "trace_bodies: expected yes or no, got 'maybe'" },
	{ "idle_timeout", "1", 0, NULL },
	{ "idle_timeout", "0", -1,
	    "idle_timeout: expected seconds from 1 to 86400, got '0'" },
	{ "idle_timeout", "10m", -1,
	    "idle_timeout: expected seconds from 1 to 86400, got '10m'" },
	{ "idle_timeout", "-5", -1,
	    "idle_timeout: expected seconds from 1 to 86400, got '-5'" },
	{ "idle_timeout", " 5", -1,
	    "idle_timeout: expected seconds from 1 to 86400, got ' 5'" },
	{ "idle_timeout", "99999999999999999999999", -1,
	    "idle_timeout: expected seconds from 1 to 86400, got "
	    "'99999999999999999999999'" },
	{ "auth_failure_delay", "0", 0, NULL },
	{ "auth_failure_delay", "60001", -1,
	    "auth_failure_delay: expected milliseconds from 0 to 60000, got "
	    "'60001'" },
	{ "max_connections", "0", -1,
	    "max_connections: expected connections from 1 to 1000000, got "
	    "'0'" },
	{ "max_connections_per_ip", "8", 0, NULL },
	{ "log_level", "debug", 0, NULL },
	{ "log_level", "Warn", 0, NULL },
	{ "log_level", "verbose", -1,
	    "log_level: expected error, warn, info or debug, got 'verbose'" },
	{ "listen", "pop3@h:1", 0, NULL },
	{ "listen", "pop3@h", -1,
	    "listen: listen 'pop3@h': missing ':PORT'" },
	{ "rpop_trust", "/etc/polypop/rpop", 0, NULL },
	{ "rpop_trust", "", -1, "rpop_trust: empty value" },
	{ "rpop-trust", "/x", -1, "unknown key 'rpop-trust'" },
	{ "bboards", "maildir:/srv/bboards", 0, NULL },
	{ "bboards", "mbox:/srv/bboards", 0, NULL },
	{ "bboards", "", -1, "bboards: empty value" },
	{ "bboards", "maildir:/srv/%u/bboards", -1,
	    "bboards: 'maildir:/srv/%u/bboards': discussion groups belong to "
	    "no user, so the location must not contain %u or %h" },
	{ "bboards", "mbox:%h/bb", -1,
	    "bboards: 'mbox:%h/bb': discussion groups belong to no user, so "
	    "the location must not contain %u or %h" },
	{ "tls_cert", "/etc/polypop/cert.pem", 0, NULL },
	{ "tls_cert", "", -1, "tls_cert: empty value" },
	{ "tls_key", "/etc/polypop/key.pem", 0, NULL },
	{ "tls_key", "", -1, "tls_key: empty value" },
	{ "expire", "NEVER", 0, NULL },
	{ "expire", "never", 0, NULL },
	{ "expire", "0", 0, NULL },
	{ "expire", "36500", 0, NULL },
	{ "expire", "36501", -1,
	    "expire: expected days from 0 to 36500 or NEVER, got '36501'" },
	{ "expire", "-1", -1,
	    "expire: expected days from 0 to 36500 or NEVER, got '-1'" },
	{ "expire", "", -1,
	    "expire: expected days from 0 to 36500 or NEVER, got ''" },
	{ "expire", "30d", -1,
	    "expire: expected days from 0 to 36500 or NEVER, got '30d'" },
	{ "login_delay", "0", 0, NULL },
	{ "login_delay", "86400", 0, NULL },
	{ "login_delay", "86401", -1,
	    "login_delay: expected seconds from 0 to 86400, got '86401'" },
	{ "login_delay", "NEVER", -1,
	    "login_delay: expected seconds from 0 to 86400, got 'NEVER'" },
	{ "listen", "pop3s@h:995,plaintext-auth=tls", 0, NULL },
	{ "listen", "pop3s/rfc1939@h:995", -1,
	    "listen: listen 'pop3s/rfc1939@h:995': the historic POP3 "
	    "revisions had no TLS, so pop3s takes no profile (use "
	    "pop3/rfc1939@HOST:PORT)" },
	{ "tls-cert", "/x", -1, "unknown key 'tls-cert'" },
	{ "Users", "x", -1, "unknown key 'Users'" },
	{ "config", "x", -1, "unknown key 'config'" },
	{ "", "x", -1, "unknown key ''" },
};

START_TEST(test_set)
{
	const struct set_case	*c = &set_cases[_i];
	struct options		 o;
	char			 err[256] = "";
	int			 rc;

	options_init(&o);
	rc = options_set(&o, c->key, c->value, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "%s=%s: rc %d (%s)", c->key, c->value, rc,
	    err);
	if (rc != 0)
		ck_assert_str_eq(err, c->err);
	options_free(&o);
}
END_TEST

START_TEST(test_defaults)
{
	struct options	 o;

	options_init(&o);
	ck_assert_uint_eq(o.idle_timeout, 600);
	ck_assert_uint_eq(o.auth_fail_delay_ms, 2000);
	ck_assert_uint_eq(o.max_connections, 1024);
	ck_assert_uint_eq(o.max_per_ip, 64);
	ck_assert_int_eq(o.log_level, LOG_INFO);
	ck_assert_uint_eq(o.nlistens, 0);
	ck_assert_ptr_null(o.users_file);
	ck_assert_ptr_null(o.hostname);
	/* RPOP is off unless configured. */
	ck_assert_ptr_null(o.rpop_trust);
	ck_assert_ptr_null(o.rpop_map);
	/* No RFC 1082 discussion groups unless configured. */
	ck_assert_ptr_null(o.bboards);
	ck_assert_ptr_null(o.bboards_loc);
	ck_assert_int_eq(o.trace_bodies, 0);
	ck_assert_int_eq(o.demo, 0);
	ck_assert_int_eq(o.help, 0);
	/* No TLS unless configured; RFC 2449 policy: EXPIRE NEVER, no
	 * LOGIN-DELAY. */
	ck_assert_ptr_null(o.tls_cert);
	ck_assert_ptr_null(o.tls_key);
	ck_assert_int_eq(o.expire_days, -1);
	ck_assert_uint_eq(o.login_delay, 0);
	options_free(&o);
	ck_assert_ptr_null(o.listens);
	ck_assert_ptr_null(o.users_file);
	ck_assert_str_ne(options_usage, "");
	ck_assert_ptr_nonnull(strstr(options_usage, "--rpop-trust FILE"));
	ck_assert_ptr_nonnull(strstr(options_usage, "--bboards LOCATION"));
	ck_assert_ptr_nonnull(strstr(options_usage, "--tls-cert FILE"));
	ck_assert_ptr_nonnull(strstr(options_usage, "--tls-key FILE"));
	ck_assert_ptr_nonnull(strstr(options_usage, "--expire DAYS|NEVER"));
	ck_assert_ptr_nonnull(strstr(options_usage,
	    "--login-delay SECONDS"));
	ck_assert_ptr_nonnull(strstr(options_usage, "plaintext-auth=tls"));
	ck_assert_ptr_nonnull(strstr(options_usage, "pop3s@"));
}
END_TEST

/* The values the keys set, not only that they are accepted. */
START_TEST(test_policy_values)
{
	struct options	 o;
	char		 err[256];

	options_init(&o);
	ck_assert_int_eq(options_set(&o, "expire", "0", err, sizeof(err)),
	    0);
	ck_assert_int_eq(o.expire_days, 0);
	ck_assert_int_eq(options_set(&o, "expire", "31", err, sizeof(err)),
	    0);
	ck_assert_int_eq(o.expire_days, 31);
	ck_assert_int_eq(options_set(&o, "expire", "Never", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(o.expire_days, -1);
	/* A refused value leaves the previous one. */
	ck_assert_int_eq(options_set(&o, "expire", "x", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(o.expire_days, -1);
	ck_assert_int_eq(options_set(&o, "login_delay", "900", err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(o.login_delay, 900);
	ck_assert_int_eq(options_set(&o, "tls_cert", "/c.pem", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(options_set(&o, "tls_cert", "/d.pem", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(o.tls_cert, "/d.pem");
	ck_assert_ptr_null(o.tls_key);
	ck_assert_int_eq(options_set(&o, "tls_key", "/k.pem", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(o.tls_key, "/k.pem");
	options_free(&o);
	ck_assert_ptr_null(o.tls_cert);
}
END_TEST

/* --- config texts --- */

struct config_case {
	const char	*text;
	int		 rc;
	const char	*err;
	/* Checked when rc == 0. */
	size_t		 nlistens;
	const char	*users;
	unsigned	 idle_timeout;
	int		 log_level;
	int		 trace_bodies;
};

static const struct config_case config_cases[] = {
	{ "", 0, NULL, 0, NULL, 600, LOG_INFO, 0 },
	{ "# only a comment\n; and another\n\n   \n", 0, NULL, 0, NULL, 600,
	    LOG_INFO, 0 },
	{ "[polypopd]\nusers = /etc/u\n", 0, NULL, 0, "/etc/u", 600,
	    LOG_INFO, 0 },
	{ "  [polypopd]  \n\tusers\t=\t/etc/u  \t\r\n", 0, NULL, 0, "/etc/u",
	    600, LOG_INFO, 0 },
	{ "users=/a\nusers=/b", 0, NULL, 0, "/b", 600, LOG_INFO, 0 },
	{ "listen = pop3@[::1]:110\nlisten = pop3@127.0.0.1:110\n"
	    "idle_timeout = 30\nlog_level = debug\ntrace_bodies = yes\n",
	    0, NULL, 2, NULL, 30, LOG_DEBUG, 1 },
	{ "mail = maildir:/var/mail/%u=x\n", 0, NULL, 0, NULL, 600,
	    LOG_INFO, 0 },

	{ "users = /a\nbogus = 1\n", -1,
	    .err = "test.conf:2: unknown key 'bogus'" },
	{ "\n\n[server]\n", -1,
	    .err = "test.conf:3: unknown section '[server]'" },
	{ "[polypopd\n", -1,
	    .err = "test.conf:1: unknown section '[polypopd'" },
	{ "users /a\n", -1, .err = "test.conf:1: expected 'key = value'" },
	{ " = x\n", -1, .err = "test.conf:1: missing key before '='" },
	{ "# c\nusers =\n", -1, .err = "test.conf:2: users: empty value" },
	{ "idle_timeout = 600 # ten minutes\n", -1,

	    .err = "test.conf:1: idle_timeout: expected seconds from 1 to "
	    "86400, "
	    "got '600 # ten minutes'" },
	{ "\n\n\n\nlisten = pop3@::1:110\n", -1,

	    .err = "test.conf:5: listen: listen 'pop3@::1:110': an IPv6 "
	    "address "
	    "must be in brackets, e.g. [::1]:110" },
	{ "log_level = loud", -1,

	    .err = "test.conf:1: log_level: expected error, warn, info or "
	    "debug, "
	    "got 'loud'" },
};

START_TEST(test_config)
{
	const struct config_case	*c = &config_cases[_i];
	struct options			 o;
	char				 err[256] = "";
	int				 rc;

	options_init(&o);
	rc = options_parse_config(&o, c->text, strlen(c->text), "test.conf",
	    err, sizeof(err));
	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == 0) {
		ck_assert_uint_eq(o.nlistens, c->nlistens);
		if (c->users != NULL)
			ck_assert_str_eq(o.users_file, c->users);
		else
			ck_assert_ptr_null(o.users_file);
		ck_assert_uint_eq(o.idle_timeout, c->idle_timeout);
		ck_assert_int_eq(o.log_level, c->log_level);
		ck_assert_int_eq(o.trace_bodies, c->trace_bodies);
	} else
		ck_assert_str_eq(err, c->err);
	options_free(&o);
}
END_TEST

START_TEST(test_config_nul)
{
	struct options	 o;
	char		 err[256];
	const char	 text[] = "users = /a\nmail = b\0c\n";

	options_init(&o);
	ck_assert_int_eq(options_parse_config(&o, text, sizeof(text) - 1,
	    "x.conf", err, sizeof(err)), -1);
	ck_assert_str_eq(err, "x.conf:2: NUL octet in line");
	options_free(&o);
}
END_TEST

/* --- files and argv --- */

static char tmpdir[64];

static void
tmp_setup(void)
{
	strcpy(tmpdir, "/tmp/polypop-opt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
tmp_teardown(void)
{
	char	 path[128];

	snprintf(path, sizeof(path), "%s/polypopd.conf", tmpdir);
	(void)unlink(path);
	snprintf(path, sizeof(path), "%s/big.conf", tmpdir);
	(void)unlink(path);
	ck_assert_int_eq(rmdir(tmpdir), 0);
}

static char *
write_config(const char *name, const char *text, size_t len)
{
	char	*path;
	FILE	*fp;

	ck_assert_int_ne(asprintf(&path, "%s/%s", tmpdir, name), -1);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(text, 1, len, fp), len);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

START_TEST(test_load_config)
{
	struct options	 o;
	char		 err[512], *path, *big, *want;
	size_t		 n = 1024 * 1024 + 1;

	options_init(&o);
	ck_assert_int_eq(asprintf(&path, "%s/missing.conf", tmpdir) > 0, 1);
	ck_assert_int_eq(options_load_config(&o, path, err, sizeof(err)), -1);
	ck_assert_int_eq(asprintf(&want, "%s: No such file or directory",
	    path) > 0, 1);
	ck_assert_str_eq(err, want);
	free(want);
	free(path);

	ck_assert_int_eq(options_load_config(&o, tmpdir, err, sizeof(err)),
	    -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));

	/* One octet over 1 MiB of comment is refused. */
	big = malloc(n);
	memset(big, '#', n);
	path = write_config("big.conf", big, n);
	ck_assert_int_eq(options_load_config(&o, path, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "larger than 1048576 octets"));
	free(path);
	/* Exactly 1 MiB is fine. */
	path = write_config("big.conf", big, n - 1);
	ck_assert_int_eq(options_load_config(&o, path, err, sizeof(err)), 0);
	ck_assert_str_eq(o.config_file, path);
	free(path);
	free(big);
	options_free(&o);
}
END_TEST

#define CFG	"@CFG@"		/* replaced by the config file's path */

struct argv_case {
	const char	*config;	/* file text, NULL = no file */
	const char	*argv[12];
	int		 rc;
	const char	*err;		/* exact; CFG replaced by the path */
	/* Checked when rc == 0. */
	const char	*listens;	/* "host:port,host:port" */
	const char	*users, *mail, *demo_dir;
	int		 demo, help, trace_bodies;
	unsigned	 idle_timeout;
};

static const struct argv_case argv_cases[] = {
	{ NULL, { "--listen", "pop3@127.0.0.1:0", "--users", "u", "--mail",
	    "maildir:/m" }, 0, NULL, "127.0.0.1:0", "u", "maildir:/m", NULL,
	    0, 0, 0, 600 },
	{ NULL, { "--listen=pop3@[::1]:110", "--listen", "pop3@h:2",
	    "--users=u=v" }, 0, NULL, "::1:110,h:2", "u=v", NULL, NULL,
	    0, 0, 0, 600 },
	/* --config anywhere loads first; flags override the file. */
	{ "users = file-users\nmail = file-mail\nidle_timeout = 30\n"
	    "listen = pop3@filehost:1\n",
	  { "--users", "cli-users", "--config", CFG }, 0, NULL,
	  "filehost:1", "cli-users", "file-mail", NULL, 0, 0, 0, 30 },
	{ "users = file-users\nidle_timeout = 30\n",
	  { "--config=" CFG, "--idle-timeout", "5" }, 0, NULL,
	  "", "file-users", NULL, NULL, 0, 0, 0, 5 },
	/* Command-line listens replace the file's, all of them. */
	{ "listen = pop3@a:1\nlisten = pop3@b:2\n",
	  { "--listen", "pop3@c:3", "--config", CFG, "--listen", "pop3@d:4" },
	  0, NULL, "c:3,d:4", NULL, NULL, NULL, 0, 0, 0, 600 },
	/* --demo with and without DIR. */
	{ NULL, { "--demo" }, 0, NULL, "", NULL, NULL, NULL, 1, 0, 0, 600 },
	{ NULL, { "--demo", "/tmp/d" }, 0, NULL, "", NULL, NULL, "/tmp/d",
	    1, 0, 0, 600 },
	{ NULL, { "--demo", "--trace-bodies" }, 0, NULL, "", NULL, NULL,
	    NULL, 1, 0, 1, 600 },
	{ NULL, { "--demo=d2", "--trace-bodies=no" }, 0, NULL, "", NULL,
	    NULL, "d2", 1, 0, 0, 600 },
	{ "trace_bodies = yes\n", { "--config", CFG, "--trace-bodies=0" }, 0,
	    NULL, "", NULL, NULL, NULL, 0, 0, 0, 600 },
	/* --help wins over a config file that cannot be read. */
	{ NULL, { "--help", "--config", "/nonexistent/x" }, 0, NULL, "",
	    NULL, NULL, NULL, 0, 1, 0, 600 },
	{ NULL, { }, 0, NULL, "", NULL, NULL, NULL, 0, 0, 0, 600 },

	{ NULL, { "--bogus" }, -1, .err = "unknown option '--bogus'" },
	{ NULL, { "--bogus=1" }, -1, .err = "unknown option '--bogus'" },
	{ NULL, { "-h" }, -1, .err = "unexpected argument '-h'" },
	{ NULL, { "--users", "u", "stray" }, -1,
	    .err = "unexpected argument 'stray'" },
	{ NULL, { "--users" }, -1, .err = "option '--users' needs a value" },
	{ NULL, { "--users", "--mail", "m" }, -1,
	    .err = "option '--users' needs a value" },
	{ NULL, { "--help=yes" }, -1, .err = "option '--help' takes no value" },
	{ NULL, { "--listen", "pop3@h" }, -1,
	    .err = "--listen: listen 'pop3@h': missing ':PORT'" },
	{ NULL, { "--log-level", "loud" }, -1,

	    .err = "--log-level: expected error, warn, info or debug, "
	    "got 'loud'" },
	{ NULL, { "--demo=" }, -1, .err = "--demo: empty directory" },
	{ NULL, { "--config", "a", "--config", "b" }, -1,
	    .err = "option '--config' given twice" },
	{ "users = u\n\nfoo = bar\n", { "--config", CFG }, -1,
	    .err = CFG ":3: unknown key 'foo'" },
	/* A bad flag is reported even when the config file is broken. */
	{ "foo = bar\n", { "--config", CFG, "--nope" }, -1,
	    .err = "unknown option '--nope'" },
};

static char *
subst_cfg(const char *s, const char *path)
{
	const char	*p;
	char		*out;

	if ((p = strstr(s, CFG)) == NULL)
		return strdup(s);
	ck_assert_int_ne(asprintf(&out, "%.*s%s%s", (int)(p - s), s, path,
	    p + strlen(CFG)), -1);
	return out;
}

START_TEST(test_argv)
{
	const struct argv_case	*c = &argv_cases[_i];
	struct options		 o;
	char			*argv[12], *path = NULL, *want;
	char			 err[512] = "", got[512] = "";
	size_t			 i;
	int			 argc = 0, rc;

	if (c->config != NULL)
		path = write_config("polypopd.conf", c->config,
		    strlen(c->config));
	for (; argc < 12 && c->argv[argc] != NULL; argc++)
		argv[argc] = subst_cfg(c->argv[argc], path ? path : "");

	options_init(&o);
	rc = options_parse_argv(&o, argc, argv, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == 0) {
		for (i = 0; i < o.nlistens; i++) {
			size_t n = strlen(got);

			snprintf(got + n, sizeof(got) - n, "%s%s:%u",
			    i ? "," : "", o.listens[i].host,
			    o.listens[i].port);
		}
		ck_assert_str_eq(got, c->listens);
		if (c->users)
			ck_assert_str_eq(o.users_file, c->users);
		else
			ck_assert_ptr_null(o.users_file);
		if (c->mail)
			ck_assert_str_eq(o.mail, c->mail);
		else
			ck_assert_ptr_null(o.mail);
		if (c->demo_dir)
			ck_assert_str_eq(o.demo_dir, c->demo_dir);
		else
			ck_assert_ptr_null(o.demo_dir);
		ck_assert_int_eq(o.demo, c->demo);
		ck_assert_int_eq(o.help, c->help);
		ck_assert_int_eq(o.trace_bodies, c->trace_bodies);
		ck_assert_uint_eq(o.idle_timeout, c->idle_timeout);
		if (path != NULL)
			ck_assert_str_eq(o.config_file, path);
	} else {
		want = subst_cfg(c->err, path ? path : "");
		ck_assert_str_eq(err, want);
		free(want);
	}
	options_free(&o);
	for (i = 0; i < (size_t)argc; i++)
		free(argv[i]);
	free(path);
}
END_TEST

/* --- rpop_trust: the key, the flag, and which one wins --- */

struct rpop_case {
	const char	*config;	/* file text, NULL = no file */
	const char	*argv[6];
	int		 rc;
	const char	*want;		/* rpop_trust, or the error (CFG) */
};

static const struct rpop_case rpop_cases[] = {
	{ NULL, { "--users", "u" }, 0, NULL },
	{ NULL, { "--rpop-trust", "/etc/polypop/rpop" }, 0,
	    "/etc/polypop/rpop" },
	{ NULL, { "--rpop-trust=/etc/r" }, 0, "/etc/r" },
	{ NULL, { "--rpop-trust", "/a", "--rpop-trust", "/b" }, 0, "/b" },
	{ "rpop_trust = /from/file\n", { "--config", CFG }, 0, "/from/file" },
	{ "[polypopd]\n  rpop_trust\t=\t/f  \r\n", { "--config", CFG }, 0,
	    "/f" },
	{ "rpop_trust = /from/file\n",
	    { "--rpop-trust", "/from/cli", "--config", CFG }, 0, "/from/cli" },
	{ NULL, { "--rpop-trust" }, -1,
	    "option '--rpop-trust' needs a value" },
	{ NULL, { "--rpop-trust", "--users", "u" }, -1,
	    "option '--rpop-trust' needs a value" },
	{ NULL, { "--rpop-trust=" }, -1, "--rpop-trust: empty value" },
	{ "\nrpop_trust =\n", { "--config", CFG }, -1,
	    CFG ":2: rpop_trust: empty value" },
	{ "rpop-trust = /x\n", { "--config", CFG }, -1,
	    CFG ":1: unknown key 'rpop-trust'" },
};

START_TEST(test_rpop_trust)
{
	const struct rpop_case	*c = &rpop_cases[_i];
	struct options		 o;
	char			*argv[6], *path = NULL, *want;
	char			 err[512] = "";
	int			 argc = 0, rc, i;

	if (c->config != NULL)
		path = write_config("polypopd.conf", c->config,
		    strlen(c->config));
	for (; argc < 6 && c->argv[argc] != NULL; argc++)
		argv[argc] = subst_cfg(c->argv[argc], path ? path : "");
	options_init(&o);
	rc = options_parse_argv(&o, argc, argv, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == 0 && c->want == NULL)
		ck_assert_ptr_null(o.rpop_trust);
	else if (rc == 0)
		ck_assert_str_eq(o.rpop_trust, c->want);
	else {
		want = subst_cfg(c->want, path ? path : "");
		ck_assert_str_eq(err, want);
		free(want);
	}
	/* The option only names the file; nothing is loaded here. */
	ck_assert_ptr_null(o.rpop_map);
	options_free(&o);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(path);
}
END_TEST

/* --- bboards: the key, the flag, and which one wins --- */

static const struct rpop_case bboards_cases[] = {
	{ NULL, { "--users", "u" }, 0, NULL },
	{ NULL, { "--bboards", "maildir:/srv/bboards" }, 0,
	    "maildir:/srv/bboards" },
	{ NULL, { "--bboards=mbox:/srv/bb" }, 0, "mbox:/srv/bb" },
	{ "bboards = maildir:/from/file\n", { "--config", CFG }, 0,
	    "maildir:/from/file" },
	{ "bboards = maildir:/from/file\n",
	    { "--bboards", "mbox:/cli", "--config", CFG }, 0, "mbox:/cli" },
	{ NULL, { "--bboards" }, -1, "option '--bboards' needs a value" },
	{ NULL, { "--bboards", "maildir:/var/mail/%u" }, -1,
	    "--bboards: 'maildir:/var/mail/%u': discussion groups belong to "
	    "no user, so the location must not contain %u or %h" },
	{ "\nbboards = mbox:%h/bb\n", { "--config", CFG }, -1,
	    CFG ":2: bboards: 'mbox:%h/bb': discussion groups belong to no "
	    "user, so the location must not contain %u or %h" },
};

START_TEST(test_bboards)
{
	const struct rpop_case	*c = &bboards_cases[_i];
	struct options		 o;
	char			*argv[6], *path = NULL, *want;
	char			 err[512] = "";
	int			 argc = 0, rc, i;

	if (c->config != NULL)
		path = write_config("polypopd.conf", c->config,
		    strlen(c->config));
	for (; argc < 6 && c->argv[argc] != NULL; argc++)
		argv[argc] = subst_cfg(c->argv[argc], path ? path : "");
	options_init(&o);
	rc = options_parse_argv(&o, argc, argv, err, sizeof(err));
	ck_assert_msg(rc == c->rc, "case %d: rc %d (%s)", _i, rc, err);
	if (rc == 0 && c->want == NULL)
		ck_assert_ptr_null(o.bboards);
	else if (rc == 0)
		ck_assert_str_eq(o.bboards, c->want);
	else {
		want = subst_cfg(c->want, path ? path : "");
		ck_assert_str_eq(err, want);
		free(want);
	}
	/* The location is parsed and checked by serve.c at start-up. */
	ck_assert_ptr_null(o.bboards_loc);
	options_free(&o);
	for (i = 0; i < argc; i++)
		free(argv[i]);
	free(path);
}
END_TEST

/* --- TLS and policy flags over a config file --- */

START_TEST(test_tls_argv)
{
	struct options	 o;
	char		*path, *argv[8];
	char		 err[512] = "";
	int		 i;
	const char	*const args[] = { "--config", NULL, "--tls-cert",
	    "/cli/cert.pem", "--login-delay=5", "--listen",
	    "pop3s@[::1]:0,plaintext-auth=tls" };
	const char	*text = "tls_cert = /file/cert.pem\n"
	    "tls_key = /file/key.pem\nexpire = 3\nlogin_delay = 60\n"
	    "listen = pop3@h:110,plaintext-auth=tls\n";

	path = write_config("polypopd.conf", text, strlen(text));
	for (i = 0; i < 7; i++)
		argv[i] = (char *)(args[i] != NULL ? args[i] : path);
	options_init(&o);
	ck_assert_int_eq(options_parse_argv(&o, 7, argv, err, sizeof(err)),
	    0);
	ck_assert_str_eq(o.tls_cert, "/cli/cert.pem");
	ck_assert_str_eq(o.tls_key, "/file/key.pem");
	ck_assert_int_eq(o.expire_days, 3);
	ck_assert_uint_eq(o.login_delay, 5);
	/* The command line's --listen replaces the file's. */
	ck_assert_uint_eq(o.nlistens, 1);
	ck_assert_str_eq(o.listens[0].proto, "pop3");
	ck_assert_str_eq(o.listens[0].host, "::1");
	ck_assert_int_eq(o.listens[0].tls, 1);
	ck_assert_int_eq(o.listens[0].plaintext_tls_only, 1);
	options_free(&o);

	argv[0] = (char *)"--expire=never";
	argv[1] = (char *)"--tls-key";
	argv[2] = (char *)"/k";
	options_init(&o);
	ck_assert_int_eq(options_parse_argv(&o, 3, argv, err, sizeof(err)),
	    0);
	ck_assert_int_eq(o.expire_days, -1);
	ck_assert_str_eq(o.tls_key, "/k");
	ck_assert_ptr_null(o.tls_cert);
	options_free(&o);

	argv[0] = (char *)"--expire";
	argv[1] = (char *)"--login-delay";
	argv[2] = (char *)"1";
	options_init(&o);
	ck_assert_int_eq(options_parse_argv(&o, 3, argv, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "option '--expire' needs a value");
	options_free(&o);

	argv[0] = (char *)"--login-delay=-1";
	options_init(&o);
	ck_assert_int_eq(options_parse_argv(&o, 1, argv, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "--login-delay: expected seconds from 0 to "
	    "86400, got '-1'");
	options_free(&o);

	argv[0] = (char *)"--listen";
	argv[1] = (char *)"pop3s/rfc1725@127.0.0.1:0";
	options_init(&o);
	ck_assert_int_eq(options_parse_argv(&o, 2, argv, err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "--listen: listen 'pop3s/rfc1725@127.0.0.1:0': "
	    "the historic POP3 revisions had no TLS, so pop3s takes no "
	    "profile (use pop3/rfc1725@HOST:PORT)");
	options_free(&o);
	free(path);
}
END_TEST

static Suite *
options_suite(void)
{
	Suite	*s = suite_create("options");
	TCase	*tc;

	tc = tcase_create("pure");
	tcase_add_loop_test(tc, test_listen, 0,
	    (int)(sizeof(listen_cases) / sizeof(listen_cases[0])));
	tcase_add_loop_test(tc, test_tls_listen, 0,
	    (int)(sizeof(tls_listen_cases) / sizeof(tls_listen_cases[0])));
	tcase_add_loop_test(tc, test_set, 0,
	    (int)(sizeof(set_cases) / sizeof(set_cases[0])));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_policy_values);
	tcase_add_loop_test(tc, test_config, 0,
	    (int)(sizeof(config_cases) / sizeof(config_cases[0])));
	tcase_add_test(tc, test_config_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("files");
	tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
	tcase_add_test(tc, test_load_config);
	tcase_add_loop_test(tc, test_argv, 0,
	    (int)(sizeof(argv_cases) / sizeof(argv_cases[0])));
	tcase_add_loop_test(tc, test_rpop_trust, 0,
	    (int)(sizeof(rpop_cases) / sizeof(rpop_cases[0])));
	tcase_add_loop_test(tc, test_bboards, 0,
	    (int)(sizeof(bboards_cases) / sizeof(bboards_cases[0])));
	tcase_add_test(tc, test_tls_argv);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(options_suite());
	int	 nfail;

	srunner_run_all(sr, CK_NORMAL);
	nfail = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfail == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
