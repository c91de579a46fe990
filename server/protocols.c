/*
 * protocols.c - the registry of protocol modules.  Adding a protocol is
 * one row here and one module under protocols/; nothing else in server/
 * changes.
 */
#include <string.h>

#include "pop1.h"
#include "pop109.h"
#include "pop2.h"
#include "pop3.h"
#include "proto.h"

const struct proto_ops *const proto_all[] = {
	&pop3_ops,
	&pop2_ops,
	&pop1_ops,
	&pop109_ops,
	NULL,
};

const struct proto_ops *
proto_find(const char *name)
{
	size_t i;

	for (i = 0; proto_all[i] != NULL; i++)
		if (strcmp(proto_all[i]->name, name) == 0)
			return proto_all[i];
	return NULL;
}
