/*
 * fuzz_pop3_parse.c - libFuzzer harness for protocols/pop3/pop3_parse.c.
 *
 * The first octet chooses the argument mode and the bound for the number
 * parser; the rest is one client line, copied into a buffer of exactly
 * its length.  Checked: every pointer stays inside the line; a parsed
 * keyword is 3-4 letters equal to the input ignoring case; split
 * arguments are non-empty printable ASCII that rebuild the rest of the
 * line (less trailing SPACEs) when joined by single SPACEs; a REST
 * argument is the rest exactly; numbers agree with a simple reference.
 *
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iprotocols/pop3 protocols/pop3/pop3_parse.c \
 *       protocols/tests/fuzz_pop3_parse.c -o fuzz_pop3_parse
 *
 * With -DPOLYPOP_FUZZ_MAIN (and no -fsanitize=fuzzer) it builds a plain
 * program that runs the files named on its command line, or, given none,
 * a fixed series of pseudo-random inputs.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop3_parse.h"

#define CHECK(x) do {							\
	if (!(x)) {							\
		fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,	\
		    __LINE__, #x);					\
		abort();						\
	}								\
} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
inside(const char *p, size_t len, const char *buf, size_t buflen)
{
	return p >= buf && p + len <= buf + buflen;
}

static void
check_line(const char *buf, size_t len, enum pop3_parse_mode mode)
{
	struct pop3_cmd cmd;
	char join[512];
	size_t i, j, n, want;
	int rc;

	rc = pop3_parse_line(buf, len, mode, &cmd);
	CHECK(cmd.kw == buf);
	CHECK(inside(cmd.kw, cmd.kw_len, buf, len));
	CHECK(memchr(cmd.kw, ' ', cmd.kw_len) == NULL);
	if (cmd.rest != NULL) {
		CHECK(cmd.rest == buf + cmd.kw_len + 1);
		CHECK(inside(cmd.rest, cmd.rest_len, buf, len));
	}
	if (rc != POP3_PARSE_OK) {
		CHECK(cmd.nargs == 0);
		return;
	}
	CHECK(cmd.kw_len >= POP3_KEYWORD_MIN &&
	    cmd.kw_len <= POP3_KEYWORD_MAX);
	CHECK(strlen(cmd.keyword) == cmd.kw_len);
	for (i = 0; i < cmd.kw_len; i++) {
		CHECK((cmd.keyword[i] >= 'A' && cmd.keyword[i] <= 'Z') ||
		    (i > 0 && cmd.keyword[i] >= '0' && cmd.keyword[i] <= '9'));
		CHECK((cmd.kw[i] | 0x20) == (cmd.keyword[i] | 0x20));
	}
	if (mode == POP3_ARGS_REST) {
		CHECK(cmd.nargs <= 1);
		if (cmd.nargs == 1) {
			CHECK(cmd.arg[0].ptr == cmd.rest);
			CHECK(cmd.arg[0].len == cmd.rest_len);
		} else {
			CHECK(cmd.rest == NULL || cmd.rest_len == 0);
		}
		return;
	}
	/* Split: rebuild the rest from the arguments we can see. */
	want = cmd.rest != NULL ? cmd.rest_len : 0;
	while (want > 0 && cmd.rest[want - 1] == ' ')
		want--;
	n = 0;
	for (i = 0; i < cmd.nargs && i < POP3_ARGS_MAX; i++) {
		const struct proto_arg *a = &cmd.arg[i];

		CHECK(a->len > 0);
		CHECK(inside(a->ptr, a->len, buf, len));
		for (j = 0; j < a->len; j++)
			CHECK((unsigned char)a->ptr[j] > 0x20 &&
			    (unsigned char)a->ptr[j] < 0x7f);
		if (i > 0)
			join[n++] = ' ';
		memcpy(join + n, a->ptr, a->len);
		n += a->len;
	}
	if (cmd.nargs <= POP3_ARGS_MAX) {
		CHECK(n == want);
		CHECK(memcmp(join, cmd.rest != NULL ? cmd.rest : "", n) == 0);
	} else {
		CHECK(n < want);
	}
}

/* The obvious way, for comparison. */
static int
ref_number(const char *p, size_t len, uint64_t max, uint64_t *out)
{
	size_t i;
	unsigned __int128 v = 0;
	int big = 0;

	*out = 0;
	if (len == 0 || p[0] < '0' || p[0] > '9')
		return POP3_NUM_SYNTAX;
	for (i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return POP3_NUM_NOISE;
		v = v * 10 + (unsigned)(p[i] - '0');
		if (v > max)
			big = 1;
		if (v > UINT64_MAX)
			v = (unsigned __int128)UINT64_MAX + 1;
	}
	if (big)
		return POP3_NUM_RANGE;
	*out = (uint64_t)v;
	return POP3_NUM_OK;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t maxes[] = { 0, 1, 9, 10, 100, 65535,
	    UINT32_MAX, INT64_MAX, UINT64_MAX };
	uint64_t max, got, want;
	char *buf;
	size_t len;
	int rc, rrc;

	if (size < 1 || size > 400)
		return 0;
	len = size - 1;
	buf = malloc(len > 0 ? len : 1);
	CHECK(buf != NULL);
	memcpy(buf, data + 1, len);
	check_line(buf, len, (data[0] & 1) ? POP3_ARGS_REST :
	    POP3_ARGS_SPLIT);
	max = maxes[(data[0] >> 1) % (sizeof(maxes) / sizeof(maxes[0]))];
	rc = pop3_parse_number(buf, len, max, &got);
	rrc = ref_number(buf, len, max, &want);
	CHECK(rc == rrc);
	CHECK(got == want);
	free(buf);
	return 0;
}

#ifdef POLYPOP_FUZZ_MAIN
static void
run_file(const char *path)
{
	static uint8_t data[1 << 16];
	FILE *fp;
	size_t n;

	fp = fopen(path, "rb");
	CHECK(fp != NULL);
	n = fread(data, 1, sizeof(data), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(data, n);
}

static uint32_t
xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int
main(int argc, char *argv[])
{
	/* Octets that matter to a POP3 parser, and some that do not. */
	static const char alpha[] = "  0123456789 PASTLIRuser\t\r\0\x7f\xff-+";
	uint8_t data[300];
	uint32_t s = 1;
	size_t i, n;
	long iter;
	int a;

	for (a = 1; a < argc; a++)
		run_file(argv[a]);
	if (argc > 1)
		return 0;
	for (iter = 0; iter < 300000; iter++) {
		n = xorshift(&s) % sizeof(data);
		for (i = 0; i < n; i++)
			data[i] = i == 0 ? (uint8_t)(xorshift(&s) >> 8) :
			    (uint8_t)alpha[xorshift(&s) % (sizeof(alpha) - 1)];
		LLVMFuzzerTestOneInput(data, n);
	}
	return 0;
}
#endif
