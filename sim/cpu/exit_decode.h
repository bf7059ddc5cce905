/* VM-exit information decoded (SDM Vol. 3, "VM Exits", "Exit Qualification" tables
 * and "Information for VM Exits Due to Vectored Events"): one decoder per basic exit
 * reason in one table, and the interruption-information format that VM-exit
 * interruption information, IDT-vectoring information and VM-entry interruption
 * information share. The trace's exit lines and `vtsim explain` both print these. */
#ifndef VTSIM_EXIT_DECODE_H
#define VTSIM_EXIT_DECODE_H

#include <stdbool.h>
#include <stdint.h>

/* One decoding, twice: key=value words without spaces for the trace
 * ("dir=in size=1 port=0xe9 string=0 rep=0 imm=0"), and a sentence for people. */
struct exit_decoded {
	char kv[256];
	char text[400];
};

/* The exit qualification of `reason`. The VM-exit interruption information (0 if
 * unknown) tells an exception exit's #PF address from #DB bits. False, with both
 * strings empty, when the reason defines no qualification. */
bool exit_qual_decode(uint32_t reason, uint64_t qual, uint32_t intr_info, struct exit_decoded *d);

/* Interruption information: keys are prefixed with `prefix` ("" or "idt_"). An
 * invalid value (bit 31 clear) gives "<prefix>valid=0". */
void intr_info_decode(uint32_t info, uint32_t error_code, const char *prefix, struct exit_decoded *d);

#endif
