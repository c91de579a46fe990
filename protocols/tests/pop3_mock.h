/*
 * pop3_mock.h - a fake core and a fake store for testing protocols/pop3
 * without sockets, threads or disks.
 *
 * It implements the session.h and store.h functions the module calls.
 * Output goes to a buffer; asynchronous requests (login, store open and
 * commit, message streaming, drain waits) are queued and completed by
 * mock_run(), the way the libuv loop would complete them later, and no
 * line is handed to the module while one is pending (proto.h's rule).
 * Test programs link this before pop3_lib, so the real core is never
 * pulled in.
 */
#ifndef POLYPOP_POP3_MOCK_H
#define POLYPOP_POP3_MOCK_H

#include <stddef.h>
#include <stdint.h>

#include "session.h"
#include "store.h"

struct store {
	size_t n;
	uint64_t *size;
	char (*uid)[71];
	int *deleted;
	int closed;
	int commits;
	size_t removed;		/* messages removed by commits */
	int commit_err;		/* what the next commit returns */
};

enum mock_req {
	MOCK_NONE,
	MOCK_LOGIN,
	MOCK_OPEN,
	MOCK_COMMIT,
	MOCK_SEND,
	MOCK_DRAIN,
};

struct session {
	void *data;
	char *out;
	size_t outlen, outcap;
	int closed;			/* session_close() was called */
	char state[32];			/* last session_trace_state() */

	/* Simulated back-pressure: output is "full" after this many
	 * replies since the last drain (0: never full). */
	size_t full_after;
	size_t since_drain;
	size_t drains;

	/* The one pending request. */
	enum mock_req req;
	session_login_cb *login_cb;
	session_store_cb *open_cb;
	session_done_cb *done_cb;
	void (*drain_cb)(struct session *);
	int login_result;
	size_t send_index;
	struct session_msg_opts opts;
	char preamble[128];

	/* What the module passed in; the password is kept only to check
	 * that the module sent the right one. */
	char login_user[256];
	char login_secret[256];
	int login_apop;
	int open_err;			/* STORE_E* for the next open */
	struct store *store;		/* the mailbox the next open gives */
};

/* A session with greeting data set and an empty mailbox of N messages,
 * message i of size 100 * (i + 1) and uid "uid-<i+1>". */
struct session *mock_session(size_t nmsgs);
void mock_free(struct session *s);
/* Complete pending requests (and drain waits) until none is left. */
void mock_run(struct session *s);
/* Hand one line to the module, as conn_process() would, then run. */
void mock_line(struct session *s, const char *line);
/* Take and clear the output so far (NUL-terminated, owned by S). */
const char *mock_output(struct session *s);
void mock_clear(struct session *s);

#endif /* POLYPOP_POP3_MOCK_H */
