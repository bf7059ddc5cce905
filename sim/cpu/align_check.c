/* Alignment checking: see align_check.h. */
#include "sim/cpu/align_check.h"

#include "sim/cpu/exception.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"

#define RFLAGS_AC (1ull << 18)

bool align_check_fault(struct lp *lp, uint64_t rip)
{
	uc_engine *uc = lp->uc;
	uint64_t cr0 = cpu_reg(uc, UC_X86_REG_CR0);
	if (!align_check_armed(cr0) || !(cr0 & 1) ||
	    !(cpu_reg(uc, UC_X86_REG_RFLAGS) & RFLAGS_AC) || (cpu_reg(uc, UC_X86_REG_CS) & 3) != 3)
		return false;
	if (!insn_mem_misaligned(lp))
		return false;
	exc_deliver(lp, VEC_AC, 0, EXC_FAULT, rip, rip);
	return true;
}
