/*
 * pop109.h - port 109 as it was in 1985: POP1 and POP2 on one listener.
 */
#ifndef POLYPOP_POP109_H
#define POLYPOP_POP109_H

#include "proto.h"

/* --listen pop109@HOST:PORT */
extern const struct proto_ops pop109_ops;

#endif /* POLYPOP_POP109_H */
