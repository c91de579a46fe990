/*
 * proto_text.c - words for replies (see proto_text.h).
 */
#include "proto_text.h"

const char *
proto_plural(uint64_t n)
{
	return n == 1 ? "" : "s";
}

const char *
proto_sanitise(const char *p, size_t len, char *buf, size_t size)
{
	size_t i;

	if (len > PROTO_QUOTE_MAX)
		len = PROTO_QUOTE_MAX;
	if (len > size - 1)
		len = size - 1;
	/* Printable ASCII only, so an error reply stays one clean line. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)p[i];

		buf[i] = (c > 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[i] = '\0';
	return buf;
}
