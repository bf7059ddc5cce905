/* For tests that read what the machine wrote to a stream (a tmpfile given as its
 * console, diagnostics or trace): whether a line starts with a prefix. */
#ifndef VTSIM_TEST_LOG_LINES_H
#define VTSIM_TEST_LOG_LINES_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Reads `f` from its start; leaves it at its end, where the machine goes on writing. */
static inline bool file_has_line(FILE *f, const char *prefix)
{
	char line[1024];
	bool found = false;
	fflush(f);
	rewind(f);
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, prefix, strlen(prefix));
	fseek(f, 0, SEEK_END);
	return found;
}

#endif
