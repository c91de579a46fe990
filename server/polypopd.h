/*
 * polypopd.h - the daemon's top-level entry points, shared by main.c.
 */
#ifndef POLYPOP_POLYPOPD_H
#define POLYPOP_POLYPOPD_H

#include "options.h"

#ifndef POLYPOP_VERSION
#define POLYPOP_VERSION "0.1.0"
#endif

/* serve.c: run the daemon until SIGTERM/SIGINT; returns the exit code. */
int server_run(struct options *opt);
/* deliver.c: `polypopd deliver ...` (argv after the word "deliver"). */
int deliver_main(int argc, char **argv);
/* commands.c: `polypopd commands [PROTO]` prints the command tables. */
int commands_main(int argc, char **argv);
/* demo.c: create or reuse the demo store, fill in users, mail and
 * listeners, and print how to connect once listening. */
int demo_prepare(struct options *opt);

#endif /* POLYPOP_POLYPOPD_H */
