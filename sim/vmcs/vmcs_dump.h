/* The VMCS by field name, for people: a dump of every field the CPU model has, and
 * the difference between two VMCS contents (the one that failed VM entry against the
 * last one that entered on the same logical processor). Both walk the one field
 * table (fields.def); text, or one JSON object per call. */
#ifndef VTSIM_VMCS_DUMP_H
#define VTSIM_VMCS_DUMP_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/vmcs/caps.h"
#include "sim/vmcs/vmcs.h"

/* Every field the model supports, in encoding order: "  guest GUEST_RIP (0x681e) = 0x1000". */
void vmcs_dump(FILE *out, const struct vmcs_cache *c, const struct vmcs_caps *caps, bool json);

/* The fields whose values differ between `then` and `now`: "  GUEST_RFLAGS (0x6820):
 * 0x2 -> 0x0". VM-exit information fields are left out: they are the processor's
 * output, not the VMM's input. Returns how many differ. */
unsigned vmcs_diff(FILE *out, const struct vmcs_cache *then, const struct vmcs_cache *now,
		   const struct vmcs_caps *caps, bool json);

#endif
