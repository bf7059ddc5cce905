/* MOV to CR0/CR3/CR4/CR8: the checks the software CPU does not make (reserved bits,
 * the CPU model's CR4 features, mode rules). When they pass, the hook returns and
 * the engine executes the move itself, with its own paging-mode and TLB work. */
#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"

#define CR0_PE (1ull << 0)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define CR4_PCIDE (1ull << 17)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* CR4 bits the CPU model supports, from what its CPUID says. */
static uint64_t cr4_supported(struct lp *lp)
{
	struct cpuid_topology topo = { lp->m->nr_lps, lp->apic_id };
	struct cpuid_regs l1, l7;
	cpuid_query(lp->m->model, &topo, false, 1, 0, &l1);
	cpuid_query(lp->m->model, &topo, false, 7, 0, &l7);
	static const struct { uint8_t leaf; uint8_t reg; uint8_t bit; uint8_t cr4_bit; } map[] = {
		{ 1, 'd', 1, 0 },   /* VME -> VME */
		{ 1, 'd', 1, 1 },   /* VME -> PVI */
		{ 1, 'd', 4, 2 },   /* TSC -> TSD */
		{ 1, 'd', 2, 3 },   /* DE */
		{ 1, 'd', 3, 4 },   /* PSE */
		{ 1, 'd', 6, 5 },   /* PAE */
		{ 1, 'd', 7, 6 },   /* MCE */
		{ 1, 'd', 13, 7 },  /* PGE */
		{ 1, 'd', 4, 8 },   /* PCE (with RDPMC, always present with TSC) */
		{ 1, 'd', 24, 9 },  /* FXSR -> OSFXSR */
		{ 1, 'd', 25, 10 }, /* SSE -> OSXMMEXCPT */
		{ 1, 'c', 5, 13 },  /* VMX -> VMXE */
		{ 7, 'b', 0, 16 },  /* FSGSBASE */
		{ 1, 'c', 17, 17 }, /* PCID -> PCIDE */
		{ 1, 'c', 26, 18 }, /* XSAVE -> OSXSAVE */
		{ 7, 'b', 7, 20 },  /* SMEP */
		{ 7, 'b', 20, 21 }, /* SMAP */
	};
	uint64_t mask = 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		const struct cpuid_regs *r = map[i].leaf == 1 ? &l1 : &l7;
		uint32_t v = map[i].reg == 'b' ? r->ebx : map[i].reg == 'c' ? r->ecx : r->edx;
		if (v & (1u << map[i].bit))
			mask |= 1ull << map[i].cr4_bit;
	}
	return mask;
}

static bool code64(struct lp *lp)
{
	struct seg cs;
	cpustate_get_seg(&lp->cs, SEG_CS, &cs);
	return (cpu_msr(lp->uc, MSR_IA32_EFER) & EFER_LMA) && (cs.attr & (1u << 13));
}

/* 0 if the move may proceed, -1 if it raises #GP(0). */
static int check_cr0(struct lp *lp, uint64_t v)
{
	uint64_t efer = cpu_msr(lp->uc, MSR_IA32_EFER);
	uint64_t cr4 = cpu_reg(lp->uc, UC_X86_REG_CR4);
	if (v >> 32)
		return -1;
	if ((v & CR0_PG) && !(v & CR0_PE))
		return -1;
	if ((v & CR0_NW) && !(v & CR0_CD))
		return -1;
	if ((v & CR0_PG) && (efer & EFER_LME) && !(cr4 & CR4_PAE))
		return -1;
	if (!(v & CR0_PG) && code64(lp))
		return -1;           /* leaving IA-32e mode only from compatibility mode */
	return 0;
}

static int check_cr3(struct lp *lp, uint64_t v)
{
	if (!(cpu_msr(lp->uc, MSR_IA32_EFER) & EFER_LMA))
		return 0;
	/* Bit 63 is the no-flush hint when CR4.PCIDE = 1, and reserved otherwise. */
	uint64_t rsvd = ~((1ull << lp->m->pm.maxphyaddr) - 1);
	if (cpu_reg(lp->uc, UC_X86_REG_CR4) & CR4_PCIDE)
		rsvd &= ~(1ull << 63);
	return (v & rsvd) ? -1 : 0;
}

static int check_cr4(struct lp *lp, uint64_t v)
{
	if (v & ~cr4_supported(lp))
		return -1;
	bool lma = cpu_msr(lp->uc, MSR_IA32_EFER) & EFER_LMA;
	if (lma && !(v & CR4_PAE))
		return -1;
	uint64_t cur = cpu_reg(lp->uc, UC_X86_REG_CR4);
	if ((v & CR4_PCIDE) && !(cur & CR4_PCIDE) &&
	    (!lma || (cpu_reg(lp->uc, UC_X86_REG_CR3) & 0xfff)))
		return -1;
	return 0;
}


void site_mov_to_cr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	/* Prefixes, optional REX, 0F 22, ModRM (the register form whatever mod says). */
	unsigned i = 0, rex = 0;
	while (i < in->len && (in->bytes[i] == 0x66 || in->bytes[i] == 0x67 || in->bytes[i] == 0xf2 ||
			       in->bytes[i] == 0xf3 || in->bytes[i] == 0xf0 || in->bytes[i] == 0x2e ||
			       in->bytes[i] == 0x36 || in->bytes[i] == 0x3e || in->bytes[i] == 0x26 ||
			       in->bytes[i] == 0x64 || in->bytes[i] == 0x65))
		i++;
	bool lm = cpu_view_long64(cv);
	if (lm && (in->bytes[i] & 0xf0) == 0x40)
		rex = in->bytes[i++];
	uint8_t modrm = in->bytes[i + 2];
	unsigned cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	unsigned reg = (modrm & 7) | ((rex & 1) ? 8 : 0);
	/* CPL and invalid CR numbers are the engine's to fault on. */
	if (cv->cpl != 0)
		return;
	uint64_t v = cv->gpr[reg];
	if (!lm)
		v = (uint32_t)v;
	int r = 0;
	switch (cr) {
	case 0: r = check_cr0(lp, v) || vmx_check_cr0(lp, v); break;
	case 3: r = check_cr3(lp, v); break;
	case 4: r = check_cr4(lp, v) || vmx_check_cr4(lp, v); break;
	case 8: r = (v >> 4) ? -1 : 0; break;
	default: return;
	}
	if (r)
		exc_fault(lp, VEC_GP, 0);
}
