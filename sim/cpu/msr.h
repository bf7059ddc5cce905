/* The model-specific registers of the CPU model, as one table (msr.c). RDMSR,
 * WRMSR, RDTSC and RDTSCP are executed here, inside the code hook at their site. */
#ifndef VTSIM_MSR_H
#define VTSIM_MSR_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

#define MSR_IA32_TIME_STAMP_COUNTER 0x10
#define MSR_IA32_APIC_BASE          0x1b
#define MSR_IA32_FEATURE_CONTROL    0x3a
#define MSR_IA32_PAT                0x277
#define MSR_IA32_EFER               0xc0000080

/* 0 with *val, or -1: the access raises #GP(0). */
int msr_read(struct lp *lp, uint32_t idx, uint64_t *val);
int msr_write(struct lp *lp, uint32_t idx, uint64_t val);
const char *msr_name(uint32_t idx);

/* Resets the LP's MSRs to their power-on values. */
void msr_reset(struct lp *lp, bool bsp);

/* The virtual TSC: advances with retired instructions and events (tsc_cost.h). */
uint64_t lp_tsc(struct lp *lp);

#endif
