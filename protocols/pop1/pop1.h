/*
 * pop1.h - the POP1 module as the core sees it: one struct proto_ops.
 * Everything else about POP1 stays inside protocols/pop1/.
 */
#ifndef POLYPOP_POP1_H
#define POLYPOP_POP1_H

#include "proto.h"

/*
 * RFC 918 (Oct 1984).  It names no port; RFC 923 (Assigned Numbers, Oct
 * 1984) lists "109 POP Post Office Protocol [110]", reference 110 being
 * RFC 918.  takeover() serves the shared port-109 listener (pop109).
 */
extern const struct proto_ops pop1_ops;

#endif /* POLYPOP_POP1_H */
