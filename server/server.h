/*
 * server.h - the core's internals: the server, its listeners and the
 * concrete struct session behind session.h.  Protocol modules never
 * include this file.
 */
#ifndef POLYPOP_SERVER_H
#define POLYPOP_SERVER_H

#include <stdint.h>
#include <stdio.h>
#include <sys/time.h>

#include <uv.h>

#include "linereader.h"
#include "options.h"
#include "proto.h"
#include "session.h"
#include "store.h"

struct auth_db;
struct msgstream;
struct login_req;
struct sasl_req;
struct tls_conn;
struct tls_ctx;

/* Input buffer per connection.  The largest line any protocol accepts is
 * far below this (RFC 937: 512 octets), and pipelined commands beyond it
 * simply wait in the kernel until we catch up. */
#define CONN_INBUF	4096
/* Output back-pressure marks: stop reading the client (and stop producing
 * long replies) above HIGH; resume below LOW. */
#define CONN_OUT_HIGH	(256 * 1024)
#define CONN_OUT_LOW	(64 * 1024)
/* Output is coalesced into chunks of this size before uv_write(). */
#define CONN_OUT_CHUNK	(16 * 1024)
/* The longest client line a trace shows (longer ones are cut). */
#define CONN_TRACE_LINE	512

struct listener {
	uv_tcp_t tcp;
	struct server *srv;
	const struct proto_ops *proto;
	struct listen_spec spec;	/* port is the bound port once open;
					 * spec.tls: implicit TLS (pop3s) */
	int open;
};

struct server {
	uv_loop_t *loop;
	struct options *opt;
	struct store_location loc;
	struct auth_db *authdb;
	char hostname[256];
	struct listener *listeners;
	size_t nlisteners;
	struct session *sessions;	/* doubly linked */
	size_t nsessions;
	uint64_t next_id;
	int stopping;
	uv_signal_t sig_term, sig_int, sig_hup;
	uv_timer_t stop_timer;
	struct tls_ctx *tls;	/* tls.c: --tls-cert loaded, or NULL */
};

struct out_chunk {
	uv_write_t req;
	struct out_chunk *next;
	struct session *s;
	size_t len;
	char data[CONN_OUT_CHUNK];
};

struct session {
	uv_tcp_t tcp;
	uv_timer_t idle;
	uv_timer_t delay;	/* failed-login delay */
	struct server *srv;
	struct listener *lst;
	const struct proto_ops *proto;
	void *proto_data;
	struct session *prev, *next;

	uint64_t id;
	char peer[80];		/* "ADDR:PORT" */
	char peer_ip[64];
	char apop_ts[320];
	char *user;
	char *home;
	/* RFC 6856 §2.2: SASLprep names and passwords at login
	 * (session_set_saslprep()). */
	int saslprep;
	/* RFC 1460 §13 / RFC 1725 §12: users without apop= may not use
	 * APOP (session_set_apop_exclusive()). */
	int apop_exclusive;

	/* Lifecycle.  A session dies in three steps: closing (no more input,
	 * flush output), dead (handles closing), freed (handles closed and
	 * no threadpool work left).  proto->close() runs once no work that
	 * might touch the module's store is in flight. */
	int started;		/* proto->start() was called */
	int closing;
	int dead;
	int proto_closed;
	int handles;		/* open handles awaiting their close cb */
	int work;		/* threadpool requests in flight */
	int writes;		/* uv_write requests in flight */
	int pending;		/* async requests holding input */
	int stop_after;		/* server stopping: end at next pause */
	int reading;
	void (*drain_cb)(struct session *s);
	struct msgstream *stream;
	struct login_req *login_pending;	/* in the failure delay */
	/* SASL exchange in progress (session_sasl.c), or NULL. */
	struct sasl_req *sasl;
	/* TLS state (tls.c), NULL while the connection is in the clear. */
	struct tls_conn *tls;

	struct linereader lr;
	char inbuf[CONN_INBUF];

	struct out_chunk *cur;	/* chunk being filled */
	size_t out_queued;	/* octets written but not yet sent */

	FILE *trace;
	int trace_midline;	/* trace_body() ended inside a line */
	/* trace.c's annotations: the module's state (session_trace_state,
	 * "" before the first), and the client line held until its reply. */
	const char *tr_state;
	const char *tr_before;
	char tr_cite[160];
	char tr_line[CONN_TRACE_LINE];
	size_t tr_len;
	int tr_masked;
	int tr_held;
	int tr_answered;
	struct timeval tr_when;
	char tr_first[60];	/* a message's first line, for the summary */
	size_t tr_first_len;
	int tr_first_done;
};

/* conn.c */
void conn_accept(struct listener *l);
void conn_process(struct session *s);
void conn_after_async(struct session *s);
void conn_destroy(struct session *s);
void conn_maybe_free(struct session *s);
void conn_flush(struct session *s);
void conn_stop(struct session *s);

/* listener.c */
int listener_open_all(struct server *srv);
void listener_close_all(struct server *srv);

/* session_async.c */
void msgstream_drain(struct session *s);
void session_async_cleanup(struct session *s);

/* trace.c */
void trace_open(struct session *s);
void trace_line(struct session *s, const char *dir, const char *line,
    size_t len);
void trace_body(struct session *s, const char *buf, size_t len);
void trace_message(struct session *s, size_t number,
    unsigned long long octets);
void trace_state(struct session *s, const char *state);
void trace_note(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void trace_close(struct session *s);

/* demo.c */
void demo_announce(const struct server *srv);

/* auth reload, shared by main and SIGHUP. */
int server_load_users(struct server *srv);

#endif /* POLYPOP_SERVER_H */
