/*
 * pop3.h - the POP3 module as the core sees it: one struct proto_ops.
 * Everything else about POP3 stays inside protocols/pop3/.
 */
#ifndef POLYPOP_POP3_H
#define POLYPOP_POP3_H

#include "proto.h"

/* RFC 1939, on TCP port 110. */
extern const struct proto_ops pop3_ops;

#endif /* POLYPOP_POP3_H */
