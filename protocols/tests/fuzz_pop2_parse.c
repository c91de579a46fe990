/*
 * fuzz_pop2_parse.c - libFuzzer harness for protocols/pop2/pop2_parse.c.
 *
 * The first octet chooses the argument limit (0, 1 or 2) and the bound
 * for the number parser; the rest is one client line, copied into a
 * buffer of exactly its length.  Checked: every pointer stays inside the
 * line or the command's own buffer; a parsed keyword is four letters
 * equal to the input ignoring case; stored arguments are NUL-terminated
 * at their length, hold no control octet, and re-quoted ("\ " for a
 * space, "\\" for a back-slash) are never longer than the line; the
 * trace mask never exceeds the line; numbers agree with a reference.
 *
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iprotocols/pop2 protocols/pop2/pop2_parse.c \
 *       protocols/tests/fuzz_pop2_parse.c -o fuzz_pop2_parse
 *
 * With -DPOLYPOP_FUZZ_MAIN (and no -fsanitize=fuzzer) it builds a plain
 * program that runs the files named on its command line, or, given none,
 * a fixed series of pseudo-random inputs.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pop2_parse.h"

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
	return p >= buf && len <= buflen && (size_t)(p - buf) <= buflen - len;
}

static void
check_number(const char *p, size_t len, uint64_t max)
{
	uint64_t n, ref = 0;
	size_t i;
	int rc, big = 0;

	rc = pop2_parse_number(p, len, max, &n);
	if (len == 0 || p[0] < '0' || p[0] > '9') {
		CHECK(rc == POP2_NUM_SYNTAX);
		return;
	}
	for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++) {
		unsigned d = (unsigned)(p[i] - '0');

		if (big || ref > (max - d) / 10 || d > max)
			big = 1;
		else
			ref = ref * 10 + d;
	}
	if (i < len)
		CHECK(rc == POP2_NUM_NOISE);
	else if (big)
		CHECK(rc == POP2_NUM_RANGE);
	else
		CHECK(rc == POP2_NUM_OK && n == ref);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pop2_cmd cmd;
	size_t len, limit, i, j, quoted;
	uint64_t max;
	char *buf;
	int rc;

	if (size == 0)
		return 0;
	limit = data[0] % 3;
	max = (data[0] & 0x80) ? UINT64_MAX : 1000;
	len = size - 1;
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		return 0;
	memcpy(buf, data + 1, len);

	CHECK(pop2_trace_keep_len(buf, len) <= len);
	rc = pop2_parse_line(buf, len, limit, &cmd);
	CHECK(cmd.kw == buf);
	CHECK(inside(cmd.kw, cmd.kw_len, buf, len));
	if (cmd.rest != NULL)
		CHECK(inside(cmd.rest, cmd.rest_len, buf, len));
	if (rc == POP2_PARSE_OK) {
		CHECK(cmd.kw_len == POP2_KEYWORD_LEN);
		CHECK(strlen(cmd.keyword) == POP2_KEYWORD_LEN);
		for (i = 0; i < POP2_KEYWORD_LEN; i++)
			CHECK((cmd.keyword[i] | 0x20) == (buf[i] | 0x20));
		if (limit != 0)
			CHECK(cmd.nargs <= limit);
		quoted = 0;
		for (i = 0; i < cmd.nargs && i < POP2_ARGS_MAX; i++) {
			const struct pop2_arg *a = &cmd.arg[i];

			CHECK(inside(a->ptr, a->len + 1, cmd.buf,
			    sizeof(cmd.buf)));
			CHECK(a->ptr[a->len] == '\0');
			for (j = 0; j < a->len; j++) {
				unsigned char c = (unsigned char)a->ptr[j];

				CHECK(c >= 0x20 && c != 0x7f);
				quoted += (c == ' ' || c == '\\') ? 2 : 1;
			}
			/* Only the rest argument may hold a raw space, so
			 * this bound is loose but never wrong. */
			CHECK(a->len <= cmd.rest_len);
		}
		CHECK(quoted <= 2 * cmd.rest_len);
	}
	check_number(buf, len, max);
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
	/* Octets that matter to a POP2 parser, and some that do not. */
	static const char alpha[] = "    \\\\0123456789 HELOFDRAtcksq\t\r"
	    "\0\x7f\xff-+";
	uint8_t data[600];
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
		data[0] = (uint8_t)xorshift(&s);
		for (i = 1; i < n; i++)
			data[i] = (uint8_t)alpha[xorshift(&s) %
			    (sizeof(alpha) - 1)];
		/* Often start with a real keyword. */
		if (n > 5 && (data[0] & 1)) {
			static const char *const kw[] = { "HELO ", "FOLD ",
			    "READ ", "helo " };

			memcpy(data + 1, kw[xorshift(&s) % 4], 5);
		}
		LLVMFuzzerTestOneInput(data, n);
	}
	return 0;
}
#endif
