/*
 * serve.c - the daemon's life: load users, open listeners, run the loop,
 * and stop cleanly.
 *
 * SIGTERM/SIGINT: stop accepting; each session ends at its next pause
 * (after the reply it is sending) without committing, because RFC 1939 §6
 * lets only QUIT commit; then exit 0.  A session that will not finish
 * within STOP_GRACE_MS is cut off.  SIGHUP reloads the users file, the
 * --rpop-trust map and the TLS certificate and key.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "bboard_scan.h"
#include "log.h"
#include "polypopd.h"
#include "rpop.h"
#include "server.h"
#include "tls.h"

#define STOP_GRACE_MS	10000

static void
serve_warn_user(const char *file, unsigned lineno, const char *why, void *arg)
{
	(void)arg;
	log_warn("event=users-file-error at=%s:%u reason=\"%s\" "
	    "(line skipped)", file, lineno, why);
}

int
server_load_users(struct server *srv)
{
	struct auth_db *db;
	int rc;

	rc = auth_db_load(srv->opt->users_file, &db, serve_warn_user, NULL);
	if (rc < 0) {
		log_error("event=users-file-unreadable file=%s reason=\"%s\"",
		    srv->opt->users_file, strerror(-rc));
		return -1;
	}
	/* Requests in flight hold copies of the records they need, so the
	 * old table can go at once. */
	if (srv->authdb != NULL)
		auth_db_free(srv->authdb);
	srv->authdb = db;
	log_info("event=users-loaded file=%s users=%zu", srv->opt->users_file,
	    auth_db_count(db));
	return 0;
}

/* Read PATH whole, at most RPOP_FILE_MAX octets.  0 and a malloc'd *BUF,
 * or -1 with *WHY. */
static int
serve_read_rpop(const char *path, char **buf, size_t *len, const char **why)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*buf = NULL;
	*len = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*why = strerror(errno);
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto fail;
	}
	if ((*buf = malloc(RPOP_FILE_MAX + 1)) == NULL) {
		*why = "out of memory";
		goto fail;
	}
	/* One octet past the limit tells "too big" from "exactly". */
	while (*len <= RPOP_FILE_MAX &&
	    (n = read(fd, *buf + *len, RPOP_FILE_MAX + 1 - *len)) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			*why = strerror(errno);
			goto fail;
		}
		*len += (size_t)n;
	}
	close(fd);
	if (*len > RPOP_FILE_MAX) {
		*why = "larger than 1048576 octets";
		free(*buf);
		*buf = NULL;
		return -1;
	}
	return 0;
fail:
	close(fd);
	free(*buf);
	*buf = NULL;
	return -1;
}

/*
 * Load --rpop-trust, if set, into srv->opt->rpop_map.  On any error the
 * map in use (none at start-up) stays: a reload never leaves RPOP with a
 * half-read map, and never silently turns it off or on.
 */
static int
server_load_rpop(struct server *srv)
{
	struct rpop_error	 e;
	struct rpop_map		*map;
	const char		*path = srv->opt->rpop_trust, *why;
	char			*buf;
	size_t			 len;
	int			 rc;

	if (path == NULL)
		return 0;
	if (serve_read_rpop(path, &buf, &len, &why) != 0) {
		log_error("event=rpop-trust-error at=%s reason=\"%s\"%s", path,
		    why, srv->opt->rpop_map != NULL ?
		    " (keeping the previous map)" : "");
		return -1;
	}
	rc = rpop_parse(buf, len, &map, &e);
	free(buf);
	if (rc != 0) {
		if (e.line > 0)
			log_error("event=rpop-trust-error at=%s:%u "
			    "reason=\"%s\"%s", path, e.line, e.why,
			    srv->opt->rpop_map != NULL ?
			    " (keeping the previous map)" : "");
		else
			log_error("event=rpop-trust-error at=%s "
			    "reason=\"%s\"%s", path, e.why,
			    srv->opt->rpop_map != NULL ?
			    " (keeping the previous map)" : "");
		return -1;
	}
	/* Lookups happen on the loop thread only, so the old map can go. */
	rpop_free(srv->opt->rpop_map);
	srv->opt->rpop_map = map;
	log_warn("event=rpop-trust-loaded file=%s rules=%zu (RPOP is enabled: "
	    "it trusts source ports and client hosts, see docs/auth.md)",
	    path, rpop_count(map));
	return 0;
}

/*
 * Load --tls-cert and --tls-key into srv->tls.  On a reload error the
 * certificate in use stays, as with the users file: a renewal typo must
 * not take TLS down.  Sessions already encrypted keep their own
 * reference to the old context.
 */
static int
server_load_tls(struct server *srv)
{
	struct tls_ctx *ctx;
	char err[512];

	if (srv->opt->tls_cert == NULL)
		return 0;
	if (tls_ctx_new(srv->opt->tls_cert, srv->opt->tls_key, &ctx, err,
	    sizeof(err)) < 0) {
		log_error("event=tls-config-error reason=\"%s\"%s", err,
		    srv->tls != NULL ? " (keeping the previous certificate)" :
		    "");
		return -1;
	}
	tls_ctx_free(srv->tls);
	srv->tls = ctx;
	log_info("event=tls-loaded cert=%s key=%s", srv->opt->tls_cert,
	    srv->opt->tls_key != NULL ? srv->opt->tls_key :
	    srv->opt->tls_cert);
	return 0;
}

/*
 * TLS settings that cannot work: an implicit-TLS listener without a
 * certificate, or a TLS-only password rule where TLS never comes.
 */
static int
serve_check_tls(const struct server *srv)
{
	const struct options *opt = srv->opt;
	size_t i;

	if (opt->tls_key != NULL && opt->tls_cert == NULL) {
		log_error("event=config-error reason=\"--tls-key needs "
		    "--tls-cert\"");
		return -1;
	}
	for (i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = &srv->listeners[i];

		if (l->spec.tls && opt->tls_cert == NULL) {
			log_error("event=config-error reason=\"listener "
			    "pop3s@%s:%u needs a certificate\" (give "
			    "--tls-cert FILE and --tls-key FILE, or the "
			    "tls_cert and tls_key keys)", l->spec.host,
			    l->spec.port);
			return -1;
		}
		if (l->spec.plaintext_tls_only &&
		    strcmp(l->proto->name, "pop3") != 0) {
			log_error("event=config-error reason=\"%s has no "
			    "TLS, so plaintext-auth=tls would lock every "
			    "password out\" (it applies to pop3 and pop3s "
			    "listeners)", l->proto->name);
			return -1;
		}
		/* Legal (APOP, CRAM-MD5 and SCRAM still work), but
		 * probably not what was meant. */
		if (l->spec.plaintext_tls_only && !l->spec.tls &&
		    opt->tls_cert == NULL)
			log_warn("event=config-warning reason=\"listener "
			    "pop3@%s:%u has plaintext-auth=tls but no "
			    "certificate for STLS: USER/PASS, PLAIN and LOGIN "
			    "are refused there\"", l->spec.host,
			    l->spec.port);
	}
	return 0;
}

static void
serve_close_walk(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
serve_stop_timeout(uv_timer_t *t)
{
	struct server *srv = t->data;
	struct session *s, *next;

	log_warn("event=stop-timeout sessions=%zu (closing them now)",
	    srv->nsessions);
	for (s = srv->sessions; s != NULL; s = next) {
		next = s->next;
		conn_destroy(s);
	}
}

static void
serve_signal(uv_signal_t *sig, int signum)
{
	struct server *srv = sig->data;
	struct session *s, *next;

	if (signum == SIGHUP) {
		log_info("event=reload signal=HUP");
		(void)server_load_users(srv);
		(void)server_load_rpop(srv);
		(void)server_load_tls(srv);
		return;
	}
	if (srv->stopping)
		return;
	srv->stopping = 1;
	log_info("event=stopping signal=%s sessions=%zu",
	    signum == SIGTERM ? "TERM" : "INT", srv->nsessions);
	listener_close_all(srv);
	uv_signal_stop(&srv->sig_hup);
	for (s = srv->sessions; s != NULL; s = next) {
		next = s->next;
		conn_stop(s);
	}
	if (srv->nsessions == 0) {
		uv_stop(srv->loop);
		return;
	}
	uv_timer_start(&srv->stop_timer, serve_stop_timeout, STOP_GRACE_MS, 0);
	uv_unref((uv_handle_t *)&srv->stop_timer);
}

/* "pop3, pop2, ..." from the registry, for error messages. */
static const char *
serve_known_protocols(char *buf, size_t size)
{
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; proto_all[i] != NULL && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i ? ", " : "",
		    proto_all[i]->name);
	return buf;
}

/*
 * --bboards: parse the location, check that its directory exists (a
 * typo must not silently mean "no groups") and that it can be listed,
 * and say how many groups it holds.  The groups themselves are looked up
 * afresh by every XTND (session_async.c), so new ones need no restart.
 */
static int
serve_setup_bboards(struct options *opt)
{
	struct store_location *loc;
	struct bboard_names b;
	struct stat sb;
	char err[256];
	size_t i, groups = 0;
	int rc;

	if (opt->bboards == NULL)
		return 0;
	if ((loc = calloc(1, sizeof(*loc))) == NULL)
		return -1;
	if (store_location_parse(opt->bboards, loc, err, sizeof(err)) < 0) {
		log_error("event=config-error reason=\"--bboards %s: %s\"",
		    opt->bboards, err);
		free(loc);
		return -1;
	}
	opt->bboards_loc = loc;
	if (strchr(loc->path, '%') != NULL ||
	    (loc->inbox != NULL && strchr(loc->inbox, '%') != NULL)) {
		log_error("event=config-error reason=\"--bboards %s: "
		    "discussion groups belong to no user, so the location "
		    "must not contain %%u or %%h\"", opt->bboards);
		return -1;
	}
	if (stat(loc->path, &sb) != 0) {
		log_error("event=config-error reason=\"--bboards %s: %s: %s\"",
		    opt->bboards, loc->path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		log_error("event=config-error reason=\"--bboards %s: %s: not "
		    "a directory\"", opt->bboards, loc->path);
		return -1;
	}
	if ((rc = bboard_names_scan(loc, &b)) != 0) {
		log_error("event=config-error reason=\"--bboards %s: cannot "
		    "list its folders: %s\"", opt->bboards,
		    store_strerror(rc));
		return -1;
	}
	for (i = 0; i < b.n; i++)
		if (bboard_name_ok(b.v[i], strlen(b.v[i])))
			groups++;
	bboard_names_free(&b);
	log_info("event=bboards location=%s groups=%zu%s", opt->bboards,
	    groups, groups > BBOARD_MAX ? " (only the first 1000 are "
	    "listed)" : "");
	return 0;
}

static void
serve_free_bboards(struct options *opt)
{
	if (opt->bboards_loc == NULL)
		return;
	store_location_free(opt->bboards_loc);
	free(opt->bboards_loc);
	opt->bboards_loc = NULL;
}

static int
serve_setup(struct server *srv, struct options *opt)
{
	char err[256];
	size_t i;

	srv->opt = opt;
	if (opt->nlistens == 0) {
		log_error("event=config-error reason=\"no --listen given\" "
		    "(try --listen pop3@127.0.0.1:1110, or --demo)");
		return -1;
	}
	if (opt->users_file == NULL || opt->mail == NULL) {
		log_error("event=config-error reason=\"--users FILE and "
		    "--mail LOCATION are required\" (see polypopd --help)");
		return -1;
	}
	if (store_location_parse(opt->mail, &srv->loc, err, sizeof(err)) < 0) {
		log_error("event=config-error reason=\"--mail %s: %s\"",
		    opt->mail, err);
		return -1;
	}
	if (serve_setup_bboards(opt) < 0)
		return -1;
	if (opt->hostname != NULL)
		snprintf(srv->hostname, sizeof(srv->hostname), "%s",
		    opt->hostname);
	else if (gethostname(srv->hostname, sizeof(srv->hostname)) != 0)
		snprintf(srv->hostname, sizeof(srv->hostname), "localhost");
	srv->hostname[sizeof(srv->hostname) - 1] = '\0';
	srv->listeners = calloc(opt->nlistens, sizeof(*srv->listeners));
	if (srv->listeners == NULL)
		return -1;
	for (i = 0; i < opt->nlistens; i++) {
		struct listener *l = &srv->listeners[i];

		l->srv = srv;
		l->spec = opt->listens[i];
		l->proto = proto_find(l->spec.proto);
		if (l->proto == NULL) {
			char known[256];

			log_error("event=config-error reason=\"unknown "
			    "protocol '%s' in --listen\" (known: %s)",
			    l->spec.proto, serve_known_protocols(known,
			    sizeof(known)));
			return -1;
		}
		srv->nlisteners++;
	}
	if (serve_check_tls(srv) < 0 || server_load_tls(srv) < 0)
		return -1;
	if (server_load_users(srv) < 0)
		return -1;
	return server_load_rpop(srv);
}

int
server_run(struct options *opt)
{
	struct server srv;
	int rc = 1;

	memset(&srv, 0, sizeof(srv));
	srv.loop = uv_default_loop();
	log_set_level(opt->log_level);
	if (serve_setup(&srv, opt) < 0)
		goto out;
	uv_signal_init(srv.loop, &srv.sig_term);
	uv_signal_init(srv.loop, &srv.sig_int);
	uv_signal_init(srv.loop, &srv.sig_hup);
	uv_timer_init(srv.loop, &srv.stop_timer);
	srv.sig_term.data = srv.sig_int.data = srv.sig_hup.data = &srv;
	srv.stop_timer.data = &srv;
	uv_signal_start(&srv.sig_term, serve_signal, SIGTERM);
	uv_signal_start(&srv.sig_int, serve_signal, SIGINT);
	uv_signal_start(&srv.sig_hup, serve_signal, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (listener_open_all(&srv) < 0)
		goto close;
	if (opt->demo)
		demo_announce(&srv);
	uv_run(srv.loop, UV_RUN_DEFAULT);
	rc = 0;
	log_info("event=stopped");
close:
	listener_close_all(&srv);
	uv_walk(srv.loop, serve_close_walk, NULL);
	uv_run(srv.loop, UV_RUN_DEFAULT);
	uv_loop_close(srv.loop);
out:
	if (srv.authdb != NULL)
		auth_db_free(srv.authdb);
	rpop_free(opt->rpop_map);
	opt->rpop_map = NULL;
	serve_free_bboards(opt);
	tls_ctx_free(srv.tls);
	free(srv.listeners);
	if (srv.loc.path != NULL)
		store_location_free(&srv.loc);
	return rc;
}
