/* Why a chain of faults ended in a triple fault, in sentences: each selector-format
 * error code decoded (the IDT, GDT or LDT entry that could not be used, and why when
 * the IDT limit says), #PF error codes decoded, and the shutdown rule. */
#ifndef VTSIM_EXC_EXPLAIN_H
#define VTSIM_EXC_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/cpu/machine.h"

/* Writes the explanation of chain[0..n) into buf. `idt_limit` and `gate_size` (16 in
 * IA-32e mode, 8 otherwise) are the IDTR the chain was delivered through. */
void exc_chain_explain(const struct exc_step *chain, int n, uint32_t idt_limit, unsigned gate_size,
		       char *buf, size_t size);

#endif
