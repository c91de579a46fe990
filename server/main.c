/*
 * main.c - polypopd's entry point: the daemon, `deliver`, and --demo.
 */
#include <stdio.h>
#include <string.h>

#include "options.h"
#include "polypopd.h"

int
main(int argc, char **argv)
{
	struct options opt;
	char err[512];
	int rc;

	if (argc > 1 && strcmp(argv[1], "deliver") == 0)
		return deliver_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "commands") == 0)
		return commands_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "explain") == 0)
		return explain_main(argc - 2, argv + 2);
	if (argc > 1 && strcmp(argv[1], "states") == 0)
		return states_main(argc - 2, argv + 2);

	options_init(&opt);
	if (options_parse_argv(&opt, argc - 1, argv + 1, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "polypopd: %s\n(try polypopd --help)\n", err);
		options_free(&opt);
		return 64;
	}
	if (opt.help) {
		fputs(options_usage, stdout);
		options_free(&opt);
		return 0;
	}
	if (opt.version) {
		printf("polypopd %s\n", POLYPOP_VERSION);
		options_free(&opt);
		return 0;
	}
	if (opt.demo && demo_prepare(&opt) < 0) {
		options_free(&opt);
		return 1;
	}
	rc = server_run(&opt);
	options_free(&opt);
	return rc;
}
