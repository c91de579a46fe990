/*
 * pop2.h - the POP2 module as the core sees it: one struct proto_ops.
 * Everything else about POP2 stays inside protocols/pop2/.
 */
#ifndef POLYPOP_POP2_H
#define POLYPOP_POP2_H

#include "proto.h"

/* RFC 937, on TCP port 109 (alone, or behind the shared pop109 listener,
 * which hands a session over with session_handoff() on HELO). */
extern const struct proto_ops pop2_ops;

#endif /* POLYPOP_POP2_H */
