/*
 * serve.c - the daemon's life: load users, open listeners, run the loop,
 * and stop cleanly.
 *
 * SIGTERM/SIGINT: stop accepting; each session ends at its next pause
 * (after the reply it is sending) without committing, because RFC 1939 §6
 * lets only QUIT commit; then exit 0.  A session that will not finish
 * within STOP_GRACE_MS is cut off.  SIGHUP reloads the users file.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "log.h"
#include "polypopd.h"
#include "server.h"

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
	return server_load_users(srv);
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
	free(srv.listeners);
	if (srv.loc.path != NULL)
		store_location_free(&srv.loc);
	return rc;
}
