/* Exception and interrupt delivery through the guest's IDT (real mode, protected
 * mode and IA-32e mode), with the #DF and triple-fault rules (SDM Vol. 3,
 * "Interrupt and Exception Handling", table "Conditions for Generating a Double
 * Fault"). Unicorn reports exceptions but never delivers them; this module does. */
#ifndef VTSIM_EXCEPTION_H
#define VTSIM_EXCEPTION_H

#include <stdbool.h>
#include <stdint.h>

struct lp;
struct mmu_fault;

enum exc_source {
	EXC_FAULT,        /* the frame holds the RIP of the faulting instruction */
	EXC_TRAP,         /* the frame holds the next RIP */
	EXC_SOFT,         /* INT n, INT3, INTO: next RIP, and the gate's DPL is checked */
	EXC_EXTERNAL,     /* an interrupt from outside: EXT bit in error codes */
	EXC_PRIV_SOFT,    /* INT1 (ICEBP): next RIP, no DPL check, a privileged software
			   * exception (type 5) in VM-exit and IDT-vectoring information */
};

/* DR6 bits: what caused a #DB (B0-B3, BD, BS). */
#define DR6_BD (1ull << 13)
#define DR6_BS (1ull << 14)

enum {
	VEC_DE = 0, VEC_DB = 1, VEC_NMI = 2, VEC_BP = 3, VEC_OF = 4, VEC_BR = 5, VEC_UD = 6,
	VEC_NM = 7, VEC_DF = 8, VEC_TS = 10, VEC_NP = 11, VEC_SS = 12, VEC_GP = 13,
	VEC_PF = 14, VEC_MF = 16, VEC_AC = 17, VEC_MC = 18, VEC_XM = 19, VEC_VE = 20, VEC_CP = 21,
};

/* Does the vector push an error code? */
bool exc_has_error_code(unsigned vector);
const char *exc_name(unsigned vector);

/* Delivers `vector`. `insn_rip` is the RIP of the instruction that caused it;
 * `next_rip` the RIP after it (used for traps and software interrupts). */
void exc_deliver(struct lp *lp, unsigned vector, uint32_t error_code,
		 enum exc_source src, uint64_t insn_rip, uint64_t next_rip);

/* An event injected by VM entry: `push_error` says whether an error code is
 * delivered (the injection field decides, not the vector). */
void exc_deliver_injected(struct lp *lp, unsigned vector, uint32_t error_code, bool push_error,
			  enum exc_source src, uint64_t insn_rip, uint64_t next_rip);

/* A debug exception the simulator raises (general detect as a fault at the MOV DR,
 * single step as a trap after the instruction, an instruction breakpoint as a fault
 * before it). `dr6` says why: it is the exit qualification when the exception bitmap
 * makes the #DB a VM exit, and is set in DR6 when it is delivered, its B0-B3 replacing
 * DR6's (BD also clears DR7.GD then). */
void exc_debug(struct lp *lp, uint64_t dr6, enum exc_source src, uint64_t insn_rip,
	       uint64_t next_rip);

/* An emulated instruction at the current RIP faults. */
void exc_fault(struct lp *lp, unsigned vector, uint32_t error_code);
void exc_page_fault(struct lp *lp, const struct mmu_fault *f);

/* The engine's interrupt hook. */
void exc_on_intr(void *uc, uint32_t intno, void *user);

#endif
