/*
 * fuzz_linereader.c - libFuzzer harness for server/linereader.c.
 *
 * The first three octets choose max, the buffer size and how the input is
 * split into reads; the rest is client input.  The reader, fed through
 * the core's space/commit/next cycle, must produce exactly the events of
 * a whole-input reference written the simple way (split at each LF), must
 * never return a line that does not fit in max, and must always offer
 * room once its complete lines are taken.
 *
 *   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -Iserver server/linereader.c server/tests/fuzz_linereader.c \
 *       -o fuzz_linereader
 *
 * With -DPOLYPOP_FUZZ_MAIN (and no -fsanitize=fuzzer) it builds a plain
 * program that runs the files named on its command line, or, given none,
 * a fixed series of pseudo-random inputs.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linereader.h"

struct ref_ev {
	int	 status;
	size_t	 off;
	size_t	 len;
};

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define CHECK(e) do {							\
	if (!(e)) {							\
		fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #e);	\
		abort();						\
	}								\
} while (0)

/*
 * Every LF ends a segment.  A segment of max octets or more (not counting
 * the LF) cannot fit with its LF, so it is TOOLONG; that includes an
 * unterminated tail of max or more.  A shorter tail stays pending.
 */
static size_t
reference(const char *in, size_t n, size_t max, struct ref_ev *ev,
    size_t *pending)
{
	size_t s, j, nev = 0, len;

	s = 0;
	for (j = 0; j < n; j++) {
		if (in[j] != '\n')
			continue;
		len = j - s;
		if (len >= max) {
			ev[nev++] = (struct ref_ev){ LINEREADER_TOOLONG, 0, 0 };
		} else {
			if (len > 0 && in[j - 1] == '\r')
				len--;
			ev[nev++] = (struct ref_ev){ LINEREADER_LINE, s, len };
		}
		s = j + 1;
	}
	*pending = n - s;
	if (n - s >= max) {
		ev[nev++] = (struct ref_ev){ LINEREADER_TOOLONG, 0, 0 };
		*pending = 0;
	}
	return nev;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct linereader lr;
	struct ref_ev *ev;
	const char *in, *line;
	char *buf, *sp;
	size_t n, max, cap, nev, pending, k, pos, room, len, chunk;
	uint32_t seed, limit;
	int st;

	if (size < 3)
		return 0;
	max = 1 + data[0] % 64;
	cap = max + data[1] % 64;
	limit = 1 + data[2];
	seed = 0x2545f491u ^ data[2];
	in = (const char *)data + 3;
	n = size - 3;

	ev = malloc((n + 1) * sizeof(*ev));
	buf = malloc(cap);
	CHECK(ev != NULL && buf != NULL);
	nev = reference(in, n, max, ev, &pending);

	linereader_init(&lr, buf, cap, max);
	k = 0;
	for (pos = 0; pos < n; pos += chunk) {
		sp = linereader_space(&lr, &room);
		/* Drained, yet no room: the connection would stall. */
		CHECK(room > 0);
		seed ^= seed << 13;
		seed ^= seed >> 17;
		seed ^= seed << 5;
		chunk = 1 + seed % limit;
		if (chunk > n - pos)
			chunk = n - pos;
		if (chunk > room)
			chunk = room;
		memcpy(sp, in + pos, chunk);
		linereader_commit(&lr, chunk);
		while ((st = linereader_next(&lr, &line, &len)) !=
		    LINEREADER_AGAIN) {
			CHECK(k < nev);
			CHECK(st == ev[k].status);
			if (st == LINEREADER_LINE) {
				CHECK(len < max);
				CHECK(len == ev[k].len);
				CHECK(memcmp(line, in + ev[k].off, len) == 0);
			}
			k++;
		}
		CHECK(linereader_pending(&lr) < max);
	}
	CHECK(k == nev);
	CHECK(linereader_pending(&lr) == pending);
	free(buf);
	free(ev);
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
	/* Octets that matter to a line reader, and some that do not. */
	static const char alpha[] = "\r\n\r\n\0xA.\xff";
	uint8_t data[600];
	uint32_t s = 1;
	size_t i, n;
	long iter;
	int a;

	for (a = 1; a < argc; a++)
		run_file(argv[a]);
	if (argc > 1)
		return 0;
	for (iter = 0; iter < 200000; iter++) {
		s ^= s << 13;
		s ^= s >> 17;
		s ^= s << 5;
		n = s % sizeof(data);
		for (i = 0; i < n; i++) {
			s ^= s << 13;
			s ^= s >> 17;
			s ^= s << 5;
			/* The first three octets pick parameters: any value. */
			data[i] = i < 3 ? (uint8_t)(s >> 8) :
			    (uint8_t)alpha[s % (sizeof(alpha) - 1)];
		}
		LLVMFuzzerTestOneInput(data, n);
	}
	return 0;
}
#endif
