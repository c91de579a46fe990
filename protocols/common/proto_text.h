/*
 * proto_text.h - words for replies, shared by POP1, POP2 and POP3.
 *
 * A reply is one line (RFC 918, RFC 937 and RFC 1939 §3 all end it with
 * CRLF), so text a client sent must never carry a CR, LF or other control
 * octet back into one.
 */
#ifndef POLYPOP_PROTO_TEXT_H
#define POLYPOP_PROTO_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* How much of an unknown keyword an error reply quotes: enough to
 * recognise it, like RFC 1939 §3's 40-character arguments. */
#define PROTO_QUOTE_MAX		40

/* "" for one, "s" for any other count: "1 message", "0 messages". */
const char *proto_plural(uint64_t n);

/*
 * Copy at most PROTO_QUOTE_MAX octets of hostile text P[0..LEN) into BUF
 * (SIZE octets, SIZE >= 1), replacing SPACE and anything else that is
 * not printable ASCII with '?', and NUL-terminate it.  Returns BUF.
 */
const char *proto_sanitise(const char *p, size_t len, char *buf,
    size_t size);

#endif /* POLYPOP_PROTO_TEXT_H */
