/* `vtsim demo --json`: what the demo shows, as one JSON object. */
#ifndef VTSIM_DEMO_JSON_H
#define VTSIM_DEMO_JSON_H

#include <stdio.h>

#include "tools/vmm.h"

/* `console` holds everything the run printed: kvmlike's log lines and the guests'
 * console lines, prefixed "[vm] " and "[td] ". */
void demo_print_json(FILE *out, const char *console, int rc, const struct vmm_report *vm,
		     const struct vmm_report *td);

#endif
