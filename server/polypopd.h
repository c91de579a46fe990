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
/* commands.c: `polypopd commands [PROTO[/PROFILE]]` prints a profile's
 * command table as a Markdown page (`--list`: every PROTO[/PROFILE]);
 * `polypopd states PROTO[/PROFILE]` its state diagram as Graphviz DOT.
 * Both take argv after the subcommand's word. */
int commands_main(int argc, char **argv);
/* explain.c: `polypopd explain [--profile NAME] [--strict] TRANSCRIPT`
 * annotates a POP3 transcript (docs/explain.md); exit 0, 1 or 2. */
int explain_main(int argc, char **argv);
int states_main(int argc, char **argv);
/* demo.c: create or reuse the demo store, fill in users, mail and
 * listeners, and print how to connect once listening. */
int demo_prepare(struct options *opt);

#endif /* POLYPOP_POLYPOPD_H */
