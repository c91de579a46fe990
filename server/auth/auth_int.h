/*
 * auth_int.h - internals shared by the files of server/auth/ only.
 * Nothing outside this folder includes it (STYLE.md §7: auth__ prefix).
 */
#ifndef POLYPOP_AUTH_INT_H
#define POLYPOP_AUTH_INT_H

#include <stddef.h>

/* 1 if SCHEME (any case) is a crypt(3) scheme, 0 if PLAIN, -1 if unknown. */
int auth__scheme_is_crypt(const char *scheme);
/* 1 if SECRET (LEN octets) starts with a hash prefix SCHEME allows. */
int auth__scheme_prefix_ok(const char *scheme, const char *secret,
    size_t len);

#endif /* POLYPOP_AUTH_INT_H */
