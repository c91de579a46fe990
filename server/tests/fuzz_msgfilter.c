/*
 * fuzz_msgfilter.c - libFuzzer harness for server/msgfilter.c.
 *
 * The first three octets choose dot-stuffing, the TOP line count and how
 * input and output are chopped; the rest is the message.  The resumable
 * filter must produce exactly what a whole-message reference, written
 * line by line, produces; it must never write past OUTCAP, must always
 * make progress, and a dot-stuffed reply must contain no "." line before
 * its terminator (RFC 1939 §3).
 *
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iserver server/msgfilter.c server/tests/fuzz_msgfilter.c \
 *       -o fuzz_msgfilter
 *
 * With -DPOLYPOP_FUZZ_MAIN (and no -fsanitize=fuzzer) it builds a plain
 * program that runs the files named on its command line, or, given none,
 * a fixed series of pseudo-random inputs.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msgfilter.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(e) do {							\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #e);	\
		abort();						\
	}								\
} while (0)

/*
 * Whole message at once: lines end at LF; the header ends at the first
 * line that is "\n" or "\r\n"; after BL body lines (BL >= 0) stop.
 */
static size_t
reference(const char *in, size_t n, int ds, long bl, char *out, int *done)
{
	size_t s, e, o = 0;
	long sent = 0;
	int in_body = 0, open_line = 0;
	const char *lf;

	*done = 0;
	for (s = 0; s < n && !*done; s = e) {
		lf = memchr(in + s, '\n', n - s);
		e = lf != NULL ? (size_t)(lf - in) + 1 : n;
		if (ds && in[s] == '.')
			out[o++] = '.';
		memcpy(out + o, in + s, e - s);
		o += e - s;
		if (lf == NULL) {
			open_line = 1;
			break;
		}
		if (!in_body) {
			if (e - s == 1 || (e - s == 2 && in[s] == '\r')) {
				in_body = 1;
				*done = bl == 0;
			}
		} else {
			sent++;
			*done = bl >= 0 && sent >= bl;
		}
	}
	if (ds) {
		if (open_line) {
			memcpy(out + o, "\r\n", 2);
			o += 2;
		}
		memcpy(out + o, ".\r\n", 3);
		o += 3;
	}
	return o;
}

static uint32_t
next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgfilter f;
	const char *in;
	char *want, *got, *tmp;
	size_t n, wlen, o, pos, chunk, cap, used, k, i;
	uint32_t seed;
	long bl;
	int ds, rdone;

	if (size < 3)
		return 0;
	ds = data[0] & 1;
	/* Mostly small counts, so the limit lands inside the input. */
	bl = data[1] == 0xff ? -1 : data[1] % 16;
	seed = 0x9e3779b9u ^ data[2];
	in = (const char *)data + 3;
	n = size - 3;

	want = malloc(2 * n + 5);
	got = malloc(2 * n + 5);
	CHECK(want != NULL && got != NULL);
	wlen = reference(in, n, ds, bl, want, &rdone);

	msgfilter_init(&f, ds, bl);
	o = 0;
	for (pos = 0; pos < n; pos += chunk) {
		chunk = 1 + next_rand(&seed) % (1 + (data[2] >> 4) * 8);
		if (chunk > n - pos)
			chunk = n - pos;
		for (k = 0; k < chunk; k += used) {
			cap = 2 + next_rand(&seed) % (1 + (data[2] & 15));
			/* Exact size: ASan sees any write past cap. */
			tmp = malloc(cap);
			CHECK(tmp != NULL);
			i = msgfilter_run(&f, in + pos + k, chunk - k, &used,
			    tmp, cap);
			CHECK(i <= cap && used <= chunk - k);
			CHECK(i > 0 || used > 0);
			CHECK(o + i <= 2 * n);
			memcpy(got + o, tmp, i);
			o += i;
			free(tmp);
		}
	}
	CHECK(!!msgfilter_done(&f) == rdone);
	tmp = malloc(5);
	CHECK(tmp != NULL);
	i = msgfilter_finish(&f, tmp);
	CHECK(i <= 5);
	memcpy(got + o, tmp, i);
	o += i;
	free(tmp);

	CHECK(o == wlen);
	CHECK(memcmp(got, want, o) == 0);
	/* A client must see the end only at the end. */
	if (ds)
		for (i = 0; i + 3 < o; i++)
			CHECK(!((i == 0 || got[i - 1] == '\n') &&
			    got[i] == '.' && got[i + 1] != '.'));
	free(want);
	free(got);
	return 0;
}

#ifdef POLYPOP_FUZZ_MAIN
static void
run_file(const char *path)
{
	static uint8_t data[1 << 20];
	FILE *fp;
	size_t n;

	fp = fopen(path, "rb");
	CHECK(fp != NULL);
	n = fread(data, 1, sizeof(data), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(data, n);
}

int
main(int argc, char *argv[])
{
	/* Octets that matter to the filter, and some that do not. */
	static const char alpha[] = "\r\n\r\n\r\n..\0H\xff";
	uint8_t data[400];
	uint32_t s = 1;
	size_t i, n;
	long iter;
	int a;

	for (a = 1; a < argc; a++)
		run_file(argv[a]);
	if (argc > 1)
		return 0;
	for (iter = 0; iter < 200000; iter++) {
		n = next_rand(&s) % sizeof(data);
		for (i = 0; i < n; i++) {
			next_rand(&s);
			data[i] = i < 3 ? (uint8_t)(s >> 8) :
			    (uint8_t)alpha[s % (sizeof(alpha) - 1)];
		}
		LLVMFuzzerTestOneInput(data, n);
	}
	return 0;
}
#endif
