/*
 * test_conn.c - the core's connection lifecycle, on a real libuv loop with
 * real loopback TCP, a real users file and a real Maildir.
 *
 * A tiny protocol module ("echo") records every callback the core makes;
 * a client handle on the same loop drives it.  Like libuv's
 * test-tcp-close.c, each test counts callbacks and checks that each fired
 * exactly as often as proto.h promises, and ends with a loop that closes
 * cleanly (ASan proves no session memory is touched after free).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "server.h"
#include "store.h"

/* --- the test module ---------------------------------------------------- */

static struct counts {
	int start, line, overflow, close, login_cb, open_cb, drain_cb;
	int line_during_pending;	/* a line arrived while async work ran */
	int pending;
	size_t generated;		/* octets produced by "big" */
	size_t big_target;
	struct store *st;		/* opened by "open" */
	char last[64];
} cnt;

static void echo_generate(struct session *s);

static int
echo_start(struct session *s)
{
	cnt.start++;
	session_reply(s, "hello");
	return 0;
}

static void
echo_opened(struct session *s, int err, struct store *st, const char *msg)
{
	cnt.open_cb++;
	cnt.pending = 0;
	ck_assert_int_eq(err, 0);
	cnt.st = st;
	session_reply(s, "opened");
}

static void
echo_logged_in(struct session *s, int result)
{
	cnt.login_cb++;
	if (result != SESSION_LOGIN_OK) {
		cnt.pending = 0;
		session_reply(s, "login failed");
		return;
	}
	session_store_open(s, NULL, echo_opened);
}

static void
echo_generate(struct session *s)
{
	static const char block[1024] = { 'x' };

	cnt.drain_cb++;
	while (cnt.generated < cnt.big_target) {
		if (session_output_full(s)) {
			session_wait_drain(s, echo_generate);
			return;
		}
		session_write(s, block, sizeof(block));
		cnt.generated += sizeof(block);
	}
	session_reply(s, "done");
}

static void
echo_line(struct session *s, const char *line, size_t len)
{
	cnt.line++;
	if (cnt.pending)
		cnt.line_during_pending++;
	snprintf(cnt.last, sizeof(cnt.last), "%.*s", (int)len, line);
	if (strcmp(cnt.last, "quit") == 0) {
		session_reply(s, "bye");
		session_close(s);
	} else if (strcmp(cnt.last, "login") == 0) {
		cnt.pending = 1;
		session_login_password(s, "alice", "secret", echo_logged_in);
	} else if (strcmp(cnt.last, "badlogin") == 0) {
		cnt.pending = 1;
		session_login_password(s, "alice", "wrong", echo_logged_in);
	} else if (strcmp(cnt.last, "big") == 0) {
		cnt.drain_cb--;		/* the first call is not a drain */
		echo_generate(s);
	} else
		session_reply(s, "echo %s", cnt.last);
}

static void
echo_overflow(struct session *s)
{
	cnt.overflow++;
	session_reply(s, "too long");
}

static void
echo_refuse(struct session *s, const char *why)
{
	session_reply(s, "refused %s", why);
}

static void
echo_close(struct session *s)
{
	cnt.close++;
	if (cnt.st != NULL) {
		store_close(cnt.st);
		cnt.st = NULL;
	}
}

static const struct proto_ops echo_ops = {
	.name = "echo",
	.max_line = 64,
	.start = echo_start,
	.line = echo_line,
	.overflow = echo_overflow,
	.refuse = echo_refuse,
	.close = echo_close,
};

/* The core's registry is the daemon's (server/protocols.c); the test links
 * its own with just the echo module. */
const struct proto_ops *const proto_all[] = { &echo_ops, NULL };

const struct proto_ops *
proto_find(const char *name)
{
	return strcmp(name, "echo") == 0 ? &echo_ops : NULL;
}

/* --- a server on the test's loop ---------------------------------------- */

static struct server srv;
static struct options opt;
static char tmpdir[] = "/tmp/polypop-test-conn-XXXXXX";

static void
server_up(void)
{
	char path[256], mail[300], err[256];
	FILE *f;

	memset(&cnt, 0, sizeof(cnt));
	memset(&srv, 0, sizeof(srv));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(path, sizeof(path), "%s/users", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "alice:{PLAIN}secret\n");
	fclose(f);
	options_init(&opt);
	opt.auth_fail_delay_ms = 10;
	opt.users_file = strdup(path);
	srv.opt = &opt;
	srv.loop = uv_default_loop();
	snprintf(srv.hostname, sizeof(srv.hostname), "test");
	snprintf(mail, sizeof(mail), "maildir:%s/%%u", tmpdir);
	ck_assert_int_eq(store_location_parse(mail, &srv.loc, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(server_load_users(&srv), 0);
	srv.listeners = calloc(1, sizeof(*srv.listeners));
	srv.nlisteners = 1;
	srv.listeners[0].srv = &srv;
	srv.listeners[0].proto = &echo_ops;
	ck_assert_int_eq(options_parse_listen("echo@127.0.0.1:0",
	    &srv.listeners[0].spec, err, sizeof(err)), 0);
	ck_assert_int_eq(listener_open_all(&srv), 0);
}

static void
walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void
server_down(void)
{
	char cmd[300];

	listener_close_all(&srv);
	uv_walk(srv.loop, walk_close, NULL);
	uv_run(srv.loop, UV_RUN_DEFAULT);
	ck_assert_int_eq(uv_loop_close(srv.loop), 0);
	auth_db_free(srv.authdb);
	store_location_free(&srv.loc);
	free(srv.listeners);
	options_free(&opt);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	memcpy(tmpdir + strlen(tmpdir) - 6, "XXXXXX", 6);
}

/* --- the client ---------------------------------------------------------- */

static struct client {
	uv_tcp_t tcp;
	uv_connect_t conn;
	uv_write_t wr;
	uv_timer_t timer;
	const char *send;	/* sent once connected */
	int reset_after_send;	/* close at once, without reading */
	int pause_ms;		/* do not read for this long */
	char buf[1 << 16];
	size_t got;		/* octets received in total */
	char text[4096];	/* the first octets, for checks */
	int eof;
} cl;

static void
client_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h;
	(void)hint;
	*b = uv_buf_init(cl.buf, sizeof(cl.buf));
}

static void
client_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	if (n < 0) {
		cl.eof = 1;
		uv_close((uv_handle_t *)st, NULL);
		return;
	}
	if (cl.got < sizeof(cl.text) - 1) {
		size_t k = (size_t)n < sizeof(cl.text) - 1 - cl.got ?
		    (size_t)n : sizeof(cl.text) - 1 - cl.got;

		memcpy(cl.text + cl.got, b->base, k);
	}
	cl.got += n;
	/* Once "big" has finished, hang up. */
	if (cnt.big_target && cnt.generated >= cnt.big_target &&
	    cl.got >= cnt.big_target + strlen("hello\r\ndone\r\n"))
		uv_close((uv_handle_t *)st, NULL);
}

static void
client_resume(uv_timer_t *t)
{
	/* While we were not reading, the module must have been held back:
	 * the generator may be ahead of us by the core's high mark plus
	 * what the kernel's socket buffers hold, never by the whole
	 * transfer. */
	ck_assert_uint_lt(cnt.generated, cnt.big_target);
	ck_assert_int_eq(srv.sessions != NULL, 1);
	ck_assert_uint_le(srv.sessions->out_queued,
	    CONN_OUT_HIGH + CONN_OUT_CHUNK);
	uv_close((uv_handle_t *)t, NULL);
	uv_read_start((uv_stream_t *)&cl.tcp, client_alloc, client_read);
}

static void
client_written(uv_write_t *w, int status)
{
	ck_assert_int_eq(status, 0);
	if (cl.reset_after_send) {
		uv_tcp_close_reset(&cl.tcp, NULL);
		return;
	}
	if (cl.pause_ms > 0) {
		uv_timer_init(srv.loop, &cl.timer);
		uv_timer_start(&cl.timer, client_resume, cl.pause_ms, 0);
		return;
	}
	uv_read_start((uv_stream_t *)&cl.tcp, client_alloc, client_read);
}

static void
client_connected(uv_connect_t *c, int status)
{
	uv_buf_t b = uv_buf_init((char *)cl.send, strlen(cl.send));

	ck_assert_int_eq(status, 0);
	uv_write(&cl.wr, (uv_stream_t *)&cl.tcp, &b, 1, client_written);
}

/* Connect, send TEXT, run the loop until the server has no session left
 * and the client is closed. */
static void
client_run(const char *text)
{
	struct sockaddr_in sin;

	cl.send = text;
	uv_tcp_init(srv.loop, &cl.tcp);
	uv_ip4_addr("127.0.0.1", srv.listeners[0].spec.port, &sin);
	uv_tcp_connect(&cl.conn, &cl.tcp, (struct sockaddr *)&sin,
	    client_connected);
	/* The listener keeps the loop alive: stop when the session is
	 * gone (conn.c frees it last) and the client has closed. */
	while (uv_run(srv.loop, UV_RUN_ONCE))
		if (cnt.start > 0 && srv.nsessions == 0 &&
		    uv_is_closing((uv_handle_t *)&cl.tcp))
			break;
}

/* --- tests ---------------------------------------------------------------- */

START_TEST(test_lines_and_close_once)
{
	server_up();
	memset(&cl, 0, sizeof(cl));
	client_run("ping\r\npong\nquit\r\n");
	ck_assert_int_eq(cnt.start, 1);
	ck_assert_int_eq(cnt.line, 3);
	ck_assert_int_eq(cnt.close, 1);
	ck_assert_str_eq(cl.text,
	    "hello\r\necho ping\r\necho pong\r\nbye\r\n");
	ck_assert_uint_eq(srv.nsessions, 0);
	server_down();
}
END_TEST

START_TEST(test_overflow_reported_once)
{
	char text[400];

	server_up();
	memset(&cl, 0, sizeof(cl));
	memset(text, 'a', 200);
	strcpy(text + 200, "\r\nafter\r\nquit\r\n");
	client_run(text);
	ck_assert_int_eq(cnt.overflow, 1);
	ck_assert_int_eq(cnt.line, 2);
	ck_assert_str_eq(cl.text, "hello\r\ntoo long\r\necho after\r\nbye\r\n");
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

/* Pipelined lines wait while a login and a store open run on the pool. */
START_TEST(test_pipelined_lines_wait_for_async)
{
	server_up();
	memset(&cl, 0, sizeof(cl));
	client_run("login\r\nafter\r\nquit\r\n");
	ck_assert_int_eq(cnt.login_cb, 1);
	ck_assert_int_eq(cnt.open_cb, 1);
	ck_assert_int_eq(cnt.line_during_pending, 0);
	ck_assert_str_eq(cl.text, "hello\r\nopened\r\necho after\r\nbye\r\n");
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

/*
 * The client vanishes during the failed-login delay (a timer on the
 * session): the module's callback must never run for the dead session,
 * close() runs once, and the pending request is freed (ASan's leak check).
 */
START_TEST(test_drop_during_login_delay)
{
	server_up();
	opt.auth_fail_delay_ms = 5000;
	memset(&cl, 0, sizeof(cl));
	cl.reset_after_send = 1;
	client_run("badlogin\r\n");
	ck_assert_uint_eq(srv.nsessions, 0);
	ck_assert_int_eq(cnt.login_cb, 0);
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

/*
 * The client vanishes while its login and store open may still be in
 * flight: whichever step the reset lands in, close() runs exactly once
 * and the maildrop lock is free afterwards.
 */
START_TEST(test_drop_during_async)
{
	struct store_user u = { "alice", NULL };
	struct store *st;
	char err[256];

	server_up();
	memset(&cl, 0, sizeof(cl));
	cl.reset_after_send = 1;
	client_run("login\r\n");
	ck_assert_uint_eq(srv.nsessions, 0);
	ck_assert_int_eq(cnt.close, 1);
	ck_assert_ptr_null(cnt.st);
	ck_assert_int_eq(store_open(&srv.loc, &u, NULL, &st, err,
	    sizeof(err)), 0);
	store_close(st);
	server_down();
}
END_TEST

/* A client that does not read holds the module back (back-pressure). */
START_TEST(test_backpressure)
{
	server_up();
	memset(&cl, 0, sizeof(cl));
	cnt.big_target = 32u << 20;
	cl.pause_ms = 300;
	client_run("big\r\n");
	ck_assert_uint_eq(cnt.generated, cnt.big_target);
	ck_assert_uint_eq(cl.got, cnt.big_target + strlen("hello\r\ndone\r\n"));
	ck_assert_int_gt(cnt.drain_cb, 0);
	ck_assert_int_eq(cnt.close, 1);
	server_down();
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("conn");
	TCase *tc = tcase_create("lifecycle");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lines_and_close_once);
	tcase_add_test(tc, test_overflow_reported_once);
	tcase_add_test(tc, test_pipelined_lines_wait_for_async);
	tcase_add_test(tc, test_drop_during_login_delay);
	tcase_add_test(tc, test_drop_during_async);
	tcase_add_test(tc, test_backpressure);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
