/* MOV to CR0/CR3/CR4/CR8: the checks the software CPU does not make (reserved bits,
 * the CPU model's CR4 features, mode rules). When they pass, the hook returns and
 * the engine executes the move itself, with its own paging-mode and TLB work. */
#include <stdbool.h>
#include <stdint.h>

#include "sim/cpu/apicv.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/modrm.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/pdpte.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/fields.h"

#define APIC_TPR_OFFSET 0x80     /* SDM Vol. 3A "Local APIC Register Address Map" */
#define CR0_PE (1ull << 0)
#define CR0_TS (1ull << 3)
#define CR0_MSW_BITS 0xfull   /* PE MP EM TS: what LMSW writes */
#define CR4_UMIP (1ull << 11)
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
		{ 1, 'c', 6, 14 },  /* SMX -> SMXE */
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


/* Past the legacy prefixes and, in 64-bit mode, REX bytes (which may come among them:
 * only one right before the opcode counts). */
static void skip_prefixes(const struct site_insn *in, bool long64, unsigned *i, unsigned *rex,
			  bool *lock)
{
	for (; *i < in->len; (*i)++) {
		uint8_t b = in->bytes[*i];
		if (long64 && (b & 0xf0) == 0x40) {
			*rex = b;
			continue;
		}
		if (!(b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || b == 0xf0 || b == 0x2e ||
		      b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65))
			break;
		if (b == 0xf0 && lock)
			*lock = true;
		*rex = 0;
	}
}

/* The control-register number and GPR of MOV to/from CR (0F 22 / 0F 20 /r). */
static void decode_mov_cr(const struct cpu_view *cv, const struct site_insn *in, unsigned *cr,
			  unsigned *reg)
{
	unsigned i = 0, rex = 0;
	skip_prefixes(in, cpu_view_long64(cv), &i, &rex, NULL);
	uint8_t modrm = in->bytes[i + 2];
	*cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
	*reg = (modrm & 7) | ((rex & 1) ? 8 : 0);
}

/* A control-register-access exit (reason 28): CR number 3:0, access type 5:4 (0 MOV
 * to CR, 1 MOV from CR), GPR 11:8. */
static void cr_exit(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in,
		    unsigned cr, unsigned type, unsigned reg)
{
	struct vmx_exit_info xi = { .qualification = cr | type << 4 | reg << 8,
				    .insn_len = in->len, .rip = cv->rip };
	vmx_exit(lp, EXIT_REASON_CR_ACCESS, &xi);
}

static bool cr3_is_target(const struct vmcs_cache *c, uint64_t v)
{
	static const uint32_t targets[4] = { CR3_TARGET_VALUE0, CR3_TARGET_VALUE1,
					     CR3_TARGET_VALUE2, CR3_TARGET_VALUE3 };
	uint64_t n = vmcs_read_enc(c, CR3_TARGET_COUNT);
	for (uint64_t i = 0; i < n && i < 4; i++)
		if (vmcs_read_enc(c, targets[i]) == v)
			return true;
	return false;
}

/* CR8 is the APIC's task priority (SDM Vol. 3A "Interaction of Task Priorities between
 * CR8 and APIC"): a MOV to CR8 sets TPR[7:4] to its bits 3:0 and TPR[3:0] to 0, a MOV
 * from CR8 reads TPR[7:4]. The engine does not connect CR8 to the simulated APIC, so
 * both are done here, through the APIC's own TPR write (a lower TPR may let a
 * waiting vector through). */
static void mov_to_cr8(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in, uint64_t v)
{
	/* CR8 is TPR[7:4] in xAPIC and x2APIC mode alike, wherever the page is mapped. */
	if (lp->apic_base & LAPIC_BASE_ENABLE)
		lapic_reg_write(lp, APIC_TPR_OFFSET, (v & 0xf) << 4);
	site_retire(lp, cv->rip + in->len);
}

static void mov_from_cr8(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in, unsigned reg)
{
	site_retire_reg(lp, cv->rip + in->len, cpu_gpr_ids[reg], (lp->lapic.tpr >> 4) & 0xf);
}

/* MOV to CR in VMX non-root operation: an exit when the controls ask for one; for
 * CR0/CR4 the bits the guest/host mask gives the host keep their value. True when
 * the instruction was handled here. */
static bool guest_mov_to_cr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in,
			    unsigned cr, unsigned reg, uint64_t v)
{
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t proc = vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL);
	if (cr == 3) {
		if ((proc & CPU_BASED_CR3_LOAD_EXITING) && !cr3_is_target(c, v)) {
			cr_exit(lp, cv, in, cr, 0, reg);
			return true;
		}
		return false;
	}
	if (cr == 8) {
		if (proc & CPU_BASED_CR8_LOAD_EXITING) {
			cr_exit(lp, cv, in, cr, 0, reg);
			return true;
		}
		if (v >> 4)
			return false;              /* #GP, below */
		return apicv_mov_to_cr8(lp, cv->rip, in->len, v);
	}
	uint64_t mask = vmcs_read_enc(c, cr == 0 ? CR0_GUEST_HOST_MASK : CR4_GUEST_HOST_MASK);
	uint64_t shadow = vmcs_read_enc(c, cr == 0 ? CR0_READ_SHADOW : CR4_READ_SHADOW);
	if ((v ^ shadow) & mask) {
		cr_exit(lp, cv, in, cr, 0, reg);
		return true;
	}
	if (!mask)
		return false;
	uint64_t cur = cr == 0 ? cv->cr0 : cv->cr4;
	uint64_t nv = (cur & mask) | (v & ~mask);
	/* The VMX fixed bits hold for the bits the guest owns too. */
	if (cr == 0 ? check_cr0(lp, nv) || vmx_check_cr0(lp, nv) : check_cr4(lp, nv) || vmx_check_cr4(lp, nv)) {
		exc_fault(lp, VEC_GP, 0);
		return true;
	}
	if (pdpte_mov_to_cr(lp, cv, cr, nv))
		return true;
	site_retire_reg(lp, cv->rip + in->len, cr == 0 ? UC_X86_REG_CR0 : UC_X86_REG_CR4, nv);
	return true;
}

void site_mov_to_cr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	unsigned cr, reg;
	decode_mov_cr(cv, in, &cr, &reg);
	/* CPL and invalid CR numbers are the engine's to fault on. */
	if (cv->cpl != 0 || (cr != 0 && cr != 3 && cr != 4 && cr != 8))
		return;
	uint64_t v = cv->gpr[reg];
	if (!cpu_view_long64(cv))
		v = (uint32_t)v;
	if (lp->vmx.non_root && cr == 0)
		vmx_events_cr0(lp, v);
	/* What the write invalidates (SDM Vol. 3A "Invalidation of TLBs and Paging-
	 * Structure Caches"; more when it is refused or exits: never less). */
	if (lp->vmx.non_root && cr != 8)
		guest_tlb_invalidate_vpid(lp);
	if (lp->vmx.non_root && guest_mov_to_cr(lp, cv, in, cr, reg, v))
		return;
	int r = 0;
	switch (cr) {
	case 0: r = check_cr0(lp, v) || vmx_check_cr0(lp, v); break;
	case 3: r = check_cr3(lp, v); break;
	case 4: r = check_cr4(lp, v) || vmx_check_cr4(lp, v); break;
	default: r = (v >> 4) ? -1 : 0; break;
	}
	if (r)
		exc_fault(lp, VEC_GP, 0);
	else if (cr == 8)
		mov_to_cr8(lp, cv, in, v);
	else
		pdpte_mov_to_cr(lp, cv, cr, v);
}

/* MOV from CR in VMX non-root operation: CR3/CR8 store exiting, and CR0/CR4 reads
 * that see the read shadow in the bits the host owns. */
void site_mov_from_cr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	if (cv->cpl != 0)
		return;
	unsigned cr, reg;
	decode_mov_cr(cv, in, &cr, &reg);
	if (!lp->vmx.non_root) {
		if (cr == 8)
			mov_from_cr8(lp, cv, in, reg);
		return;
	}
	const struct vmcs_cache *c = &lp->vmx.vmcs;
	uint64_t proc = vmcs_read_enc(c, CPU_BASED_VM_EXEC_CONTROL);
	if ((cr == 3 && (proc & CPU_BASED_CR3_STORE_EXITING)) || (cr == 8 && (proc & CPU_BASED_CR8_STORE_EXITING))) {
		cr_exit(lp, cv, in, cr, 1, reg);
		return;
	}
	if (cr == 8) {
		if (!apicv_mov_from_cr8(lp, cv->rip, in->len, reg))
			mov_from_cr8(lp, cv, in, reg);
		return;
	}
	if (cr != 0 && cr != 4)
		return;
	uint64_t mask = vmcs_read_enc(c, cr == 0 ? CR0_GUEST_HOST_MASK : CR4_GUEST_HOST_MASK);
	if (!mask)
		return;
	uint64_t shadow = vmcs_read_enc(c, cr == 0 ? CR0_READ_SHADOW : CR4_READ_SHADOW);
	uint64_t val = ((cr == 0 ? cv->cr0 : cv->cr4) & ~mask) | (shadow & mask);
	if (!cpu_view_long64(cv))
		val = (uint32_t)val;
	site_retire_reg(lp, cv->rip + in->len, cpu_gpr_ids[reg], val);
}

/* MOV to/from a debug register (0F 21 / 0F 23), executed here in full: the engine's
 * own MOV to DR7 arms its breakpoint machinery, which crashes in translated code.
 * SDM Vol. 2 "MOV—Move to/from Debug Registers", in this order:
 *  - #UD with LOCK, with REX.R (DR8-DR15), and for DR4/DR5 when CR4.DE = 1 (with
 *    CR4.DE = 0 they are DR6/DR7);
 *  - #GP(0) at CPL > 0 and in virtual-8086 mode;
 *  - in VMX non-root operation, "MOV-DR exiting": a VM exit (reason 29;
 *    qualification: DR number 2:0, direction 4 (1 = from DR), GPR 11:8), which has
 *    priority over the general-detect #DB;
 *  - #DB (a fault, DR6.BD) when DR7.GD = 1;
 *  - #GP(0) for a 1 in bits 63:32 of DR6 or DR7 (64-bit mode; elsewhere the operand is
 *    32 bits).
 * The ModRM's mod field is ignored: the operand is always a register, and the
 * instruction is the opcode, the ModRM and the prefixes before them. */
#define DR7_GD (1ull << 13)

void site_mov_dr(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	unsigned i = 0, rex = 0;
	bool lock = false;
	bool long64 = cpu_view_long64(cv);
	skip_prefixes(in, long64, &i, &rex, &lock);
	if (i + 3 > in->len)
		return;                        /* not decoded as MOV DR: the engine's */
	bool from_dr = in->bytes[i + 1] == 0x21;
	uint8_t modrm = in->bytes[i + 2];
	unsigned len = i + 3;
	unsigned dr = (modrm >> 3) & 7;
	unsigned reg = (modrm & 7) | ((rex & 1) ? 8 : 0);
	if (lock || (rex & 4) || ((dr == 4 || dr == 5) && (cv->cr4 & (1u << 3)))) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	if (cv->cpl != 0 || (cv->eflags & (1u << 17))) {
		exc_fault(lp, VEC_GP, 0);
		return;
	}
	if (lp->vmx.non_root &&
	    (vmcs_read_enc(&lp->vmx.vmcs, CPU_BASED_VM_EXEC_CONTROL) & CPU_BASED_MOV_DR_EXITING)) {
		struct vmx_exit_info xi = { .qualification = dr | (from_dr ? 1u << 4 : 0) | reg << 8,
					    .insn_len = len, .rip = cv->rip };
		vmx_exit(lp, EXIT_REASON_DR_ACCESS, &xi);
		return;
	}
	if (cpu_reg(lp->uc, UC_X86_REG_DR7) & DR7_GD) {
		exc_debug(lp, DR6_BD, EXC_FAULT, cv->rip, cv->rip);
		return;
	}
	if (dr == 4 || dr == 5)
		dr += 2;
	if (from_dr) {
		uint64_t v = cpu_reg(lp->uc, UC_X86_REG_DR0 + dr);
		cpu_set_reg(lp->uc, cpu_gpr_ids[reg], long64 ? v : (uint32_t)v);
	} else {
		uint64_t v = cv->gpr[reg];
		if (!long64)
			v = (uint32_t)v;
		if (dr >= 6 && (v >> 32)) {
			exc_fault(lp, VEC_GP, 0);
			return;
		}
		/* The fixed bits: DR6 bits 31:16 and 11:4 read 1, bit 12 reads 0; DR7
		 * bit 10 reads 1, bits 15:14, 12 and 11 (RTM, not modelled) read 0. */
		if (dr == 6)
			v = (v & 0xe00full) | 0xffff0ff0ull;
		else if (dr == 7)
			v = (v & ~0xd800ull) | 0x400;
		cpu_set_reg(lp->uc, UC_X86_REG_DR0 + dr, v);
		if (dr == 6)
			lp->dr6_known = v;
	}
	site_retire(lp, cv->rip + len);
	if (!from_dr && dr != 6)
		bp_dr_written(lp);
}

/* ---- CLTS, LMSW, SMSW ----------------------------------------------------------
 * They touch CR0 bits 3:0, so in VMX non-root operation the CR0 guest/host mask and
 * read shadow decide (SDM "Instructions That Cause VM Exits Conditionally"): an exit
 * with reason 28 (access type 2 CLTS, 3 LMSW), or the instruction leaves the bits the
 * host owns alone and SMSW reads the shadow there. CPL faults come first, from the
 * engine. Unmasked, the engine runs them. */

static void cr0_owned(const struct lp *lp, uint64_t *mask, uint64_t *shadow)
{
	*mask = vmcs_read_enc(&lp->vmx.vmcs, CR0_GUEST_HOST_MASK);
	*shadow = vmcs_read_enc(&lp->vmx.vmcs, CR0_READ_SHADOW);
}

static void skip_insn(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	site_retire(lp, cv->rip + in->len);
}

void site_clts(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	if (!lp->vmx.non_root || cv->cpl != 0)
		return;
	uint64_t mask, shadow;
	cr0_owned(lp, &mask, &shadow);
	if (!(mask & CR0_TS))
		return;
	if (shadow & CR0_TS) {
		cr_exit(lp, cv, in, 0, 2, 0);
		return;
	}
	skip_insn(lp, cv, in);     /* the guest already sees TS clear; the host's TS stays */
}

void site_lmsw(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	if (!lp->vmx.non_root || cv->cpl != 0)
		return;
	uint64_t mask, shadow;
	cr0_owned(lp, &mask, &shadow);
	if (!(mask & CR0_MSW_BITS))
		return;
	struct modrm o;
	bool long64 = cpu_view_long64(cv);
	if (modrm_decode(in, long64, cv->segs[SEG_CS].attr & (1u << 14), &o))
		return;
	uint16_t src;
	uint64_t la = 0;
	if (o.reg_form) {
		src = (uint16_t)cv->gpr[o.rm];
	} else {
		struct mmu_ctx mc;
		struct mmu_fault f;
		mmu_ctx_from_view(&mc, lp, cv);
		la = modrm_linear(&o, cv, in->len);
		if (mmu_read(&lp->m->pm, &mc, la, &src, 2, 0, &f))
			return;                /* the engine takes the fault */
	}
	/* PE can be set but not cleared by LMSW, so only setting an owned PE the shadow
	 * shows clear exits; MP, EM, TS exit on any difference from the shadow. */
	bool exits = (mask & src & CR0_PE & ~shadow) || (mask & (src ^ shadow) & 0xe);
	if (exits) {
		struct vmx_exit_info xi = { .qualification = 3u << 4 | (o.reg_form ? 0 : 1u << 6) |
							     (uint64_t)src << 16,
					    .insn_len = in->len, .rip = cv->rip, .guest_linear = la };
		vmx_exit(lp, EXIT_REASON_CR_ACCESS, &xi);
		return;
	}
	uint64_t guest_bits = ~mask & CR0_MSW_BITS;
	uint64_t nv = (cv->cr0 & ~guest_bits) | (src & guest_bits & ~CR0_PE) |
		      (guest_bits & CR0_PE & (cv->cr0 | src));
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, nv);
	skip_insn(lp, cv, in);
}

void site_smsw(struct lp *lp, const struct cpu_view *cv, const struct site_insn *in)
{
	if (!lp->vmx.non_root || (cv->cpl != 0 && (cv->cr4 & CR4_UMIP)))
		return;
	uint64_t mask, shadow;
	cr0_owned(lp, &mask, &shadow);
	if (!mask)
		return;
	struct modrm o;
	bool long64 = cpu_view_long64(cv);
	if (modrm_decode(in, long64, cv->segs[SEG_CS].attr & (1u << 14), &o))
		return;
	uint64_t seen = (cv->cr0 & ~mask) | (shadow & mask);
	if (o.reg_form) {
		/* 16-bit operand: the low word; 32-bit: zero-extended; REX.W: all of CR0. */
		uint64_t old = cv->gpr[o.rm];
		bool op16 = long64 || (cv->segs[SEG_CS].attr & (1u << 14)) ? o.opsize_prefix : !o.opsize_prefix;
		uint64_t v = (o.rex & 8) ? seen : op16 ? (old & ~0xffffull) | (uint16_t)seen : (uint32_t)seen;
		cpu_set_reg(lp->uc, cpu_gpr_ids[o.rm], v);
	} else {
		struct mmu_ctx mc;
		struct mmu_fault f;
		mmu_ctx_from_view(&mc, lp, cv);
		uint16_t w = (uint16_t)seen;
		if (mmu_write(&lp->m->pm, &mc, modrm_linear(&o, cv, in->len), &w, 2, 0, &f))
			return;                /* the engine takes the fault */
	}
	skip_insn(lp, cv, in);
}
