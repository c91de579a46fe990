/*
 * test_trace.c - the --trace file format (docs/trace.md): a client line
 * held until its reply so it shows the state before and after, the
 * governing section on the command and on the first line of its reply,
 * masking, the message summary with its first line, and escaping.  The
 * session is a bare struct with a stand-in module; the file is real.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

static size_t
keep_pass(struct session *s, const char *line, size_t len)
{
	(void)s;
	return len >= 5 && memcmp(line, "PASS ", 5) == 0 ? 5 : len;
}

static void
cite(struct session *s, const char *line, size_t len, char *buf,
    size_t size)
{
	(void)s;
	if (line == NULL)
		snprintf(buf, size, "greeting: RFC 1081, The AUTHORIZATION "
		    "State");
	else
		snprintf(buf, size, "%.4s: RFC 1081", line);
	(void)len;
}

static const struct proto_ops ops = {
	.name = "pop3",
	.trace_keep = keep_pass,
	.trace_cite = cite,
};

/* The file's lines without their "HH:MM:SS.mmm " stamps. */
static char *
read_trace(const char *path)
{
	char line[1024], *out = calloc(1, 65536);
	FILE *f = fopen(path, "r");
	size_t o = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		ck_assert_uint_gt(strlen(line), 13);
		ck_assert(line[2] == ':' && line[5] == ':' && line[8] == '.' &&
		    line[12] == ' ');
		o += (size_t)snprintf(out + o, 65536 - o, "%s", line + 13);
	}
	fclose(f);
	return out;
}

START_TEST(test_trace_format)
{
	char dir[] = "/tmp/polypop-trace-XXXXXX", path[256], *text;
	struct options opt;
	struct server srv;
	struct listener l;
	struct session *s;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	options_init(&opt);
	opt.trace_dir = dir;
	memset(&srv, 0, sizeof(srv));
	srv.opt = &opt;
	memset(&l, 0, sizeof(l));
	snprintf(l.spec.profile, sizeof(l.spec.profile), "rfc1081");
	s = calloc(1, sizeof(*s));
	s->srv = &srv;
	s->lst = &l;
	s->proto = &ops;
	s->id = 7;
	snprintf(s->peer, sizeof(s->peer), "127.0.0.1:4242");
	s->tr_state = s->tr_before = "";

	trace_open(s);
	trace_state(s, "AUTHORIZATION");
	trace_line(s, "S", "+OK ready", 9);
	trace_line(s, "C", "PASS secret", 11);
	trace_state(s, "TRANSACTION");
	trace_line(s, "S", "+OK in", 6);
	trace_line(s, "C", "LIST", 4);
	trace_line(s, "S", "+OK", 3);
	trace_line(s, "S", "1 100", 5);
	trace_line(s, "C", "RETR 1", 6);
	trace_line(s, "S", "+OK 20 octets", 13);
	trace_body(s, "Subject: x\r\nbody\r\n", 18);
	trace_message(s, 1, 20);
	trace_line(s, "C", "X\x01\xff", 3);
	trace_close(s);

	snprintf(path, sizeof(path), "%s/7-pop3.trace", dir);
	text = read_trace(path);
	ck_assert_msg(strcmp(text,
	    "# polypop trace: connection from 127.0.0.1:4242 to pop3/rfc1081\n"
	    "# state AUTHORIZATION\n"
	    "S: +OK ready                            | AUTHORIZATION | "
	    "greeting: RFC 1081, The AUTHORIZATION State\n"
	    "C: PASS ****                            | AUTHORIZATION -> "
	    "TRANSACTION | PASS: RFC 1081\n"
	    "# state AUTHORIZATION -> TRANSACTION\n"
	    "S: +OK in                               | TRANSACTION | "
	    "PASS: RFC 1081\n"
	    "C: LIST                                 | TRANSACTION -> "
	    "TRANSACTION | LIST: RFC 1081\n"
	    "S: +OK                                  | TRANSACTION | "
	    "LIST: RFC 1081\n"
	    "S: 1 100                                | TRANSACTION\n"
	    "C: RETR 1                               | TRANSACTION -> "
	    "TRANSACTION | RETR: RFC 1081\n"
	    "S: +OK 20 octets                        | TRANSACTION | "
	    "RETR: RFC 1081\n"
	    "# message 1 sent (20 octets), body not traced; first line: "
	    "Subject: x\n"
	    "C: X\\x01\\xff                            | TRANSACTION -> "
	    "TRANSACTION | X\\x01\xff: RFC 1081\n"
	    "# connection closed\n") == 0, "trace:\n%s", text);
	ck_assert_ptr_null(strstr(text, "secret"));
	free(text);
	unlink(path);
	rmdir(dir);
	free(s);
}
END_TEST

int
main(void)
{
	Suite *su = suite_create("trace");
	TCase *tc = tcase_create("format");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_trace_format);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
