/*
 * options.h - polypopd's settings, from the command line and --config.
 *
 *   polypopd --listen PROTO[/PROFILE]@HOST:PORT [--listen ...]
 *            --users FILE --mail LOCATION [--config FILE] [--trace DIR]
 *            [--demo [DIR]] [--rpop-trust FILE] [--bboards LOCATION]
 *
 * The config file is INI-style (docs/configuration.md documents every key);
 * a command-line flag overrides the same key from the file, and --listen
 * flags on the command line replace the file's listen keys.  Parsing is
 * pure (options_parse_config works on a buffer) so it is unit-tested.
 */
#ifndef POLYPOP_OPTIONS_H
#define POLYPOP_OPTIONS_H

#include <stddef.h>

struct rpop_map;
struct store_location;

struct listen_spec {
	char proto[16];		/* "pop3" */
	char profile[32];	/* "" or "rfc1081" */
	char host[256];		/* "127.0.0.1", "::1" (brackets removed) */
	unsigned port;		/* 0 = pick a free port */
	/* "pop3s@..." (RFC 8314 implicit TLS): proto is "pop3", tls is 1. */
	int tls;
	/* ",plaintext-auth=tls" after the port: USER/PASS, AUTH PLAIN and
	 * AUTH LOGIN only once TLS is active on the connection. */
	int plaintext_tls_only;
};

/* Parse "pop3/rfc1939@[::1]:110".  Pure.  0 or -1 with ERR set.  The
 * protocol name is not checked here (the registry does that). */
int options_parse_listen(const char *spec, struct listen_spec *out,
    char *err, size_t errlen);

struct options {
	struct listen_spec *listens;
	size_t nlistens;
	char *users_file;
	char *mail;		/* --mail LOCATION, unparsed */
	char *config_file;
	char *trace_dir;
	int trace_bodies;
	int demo;		/* --demo given */
	char *demo_dir;		/* its optional DIR, or NULL */
	char *hostname;		/* for greetings; default gethostname() */
	char *rpop_trust;	/* --rpop-trust FILE; NULL = RPOP disabled */
	char *bboards;		/* --bboards LOCATION, unparsed; NULL = no
				 * RFC 1082 discussion groups */
	unsigned idle_timeout;	/* seconds; default 600 (RFC 1939 §3) */
	unsigned auth_fail_delay_ms;	/* default 2000 */
	unsigned max_connections;	/* default 1024 */
	unsigned max_per_ip;	/* default 64 */
	int log_level;		/* enum log_level; default LOG_INFO */
	char *tls_cert;		/* --tls-cert FILE (PEM chain); NULL = no TLS */
	char *tls_key;		/* --tls-key FILE (PEM); NULL = tls_cert */
	long expire_days;	/* --expire DAYS|NEVER; -1 (NEVER) default */
	unsigned login_delay;	/* --login-delay SECONDS; default 0 */
	int help, version;

	/* Not a setting: the map loaded from rpop_trust (server/auth/rpop.h)
	 * by serve.c at start and on SIGHUP, NULL when RPOP is disabled.
	 * serve.c owns and frees it; options_free() leaves it alone. */
	struct rpop_map *rpop_map;
	/* Not a setting either: bboards parsed by serve.c at start
	 * (store_location_parse), NULL when unset; serve.c owns it. */
	struct store_location *bboards_loc;
};

void options_init(struct options *o);	/* defaults */
void options_free(struct options *o);

/* Apply KEY = VALUE (a config key, same names as docs/configuration.md).
 * Pure.  0 or -1 with ERR set. */
int options_set(struct options *o, const char *key, const char *value,
    char *err, size_t errlen);
/* Parse a whole config file held in TEXT; NAME is used in messages
 * ("FILE:LINE: ..."). */
int options_parse_config(struct options *o, const char *text, size_t len,
    const char *name, char *err, size_t errlen);
int options_load_config(struct options *o, const char *path, char *err,
    size_t errlen);
/* Parse argv (after the program name and any subcommand).  Loads --config
 * first, then applies the other flags over it. */
int options_parse_argv(struct options *o, int argc, char **argv, char *err,
    size_t errlen);
/* The usage text for --help. */
extern const char options_usage[];

#endif /* POLYPOP_OPTIONS_H */
