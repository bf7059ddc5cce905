/* APIC virtualization: the APIC-access page, the TPR shadow, APIC-register
 * virtualization and virtual-interrupt delivery (apicv.h). */
#include "sim/cpu/apicv.h"

#include <stddef.h>

#include "sim/cpu/exception.h"
#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

/* Offsets in the virtual-APIC page (the xAPIC register layout). */
#define VTPR    0x080
#define VPPR    0x0a0
#define VEOI    0x0b0
#define VISR    0x100
#define VIRR    0x200
#define VICR_LO 0x300
#define VICR_HI 0x310

#define REG(off) (1ull << ((off) >> 4))      /* a register's bit in the masks below */

/* SDM "Virtualizing Reads from the APIC-Access Page": the registers whose reads
 * APIC-register virtualization serves from the virtual-APIC page: ID, version,
 * TPR, EOI, LDR, DFR, SVR, ISR, TMR, IRR (100H-27FH), ESR, ICR, the LVT entries
 * but CMCI (320H-370H), initial count, divide configuration. */
#define ARV_READS (REG(0x020) | REG(0x030) | REG(0x080) | REG(0x0b0) | REG(0x0d0) | REG(0x0e0) |   \
		   REG(0x0f0) | (((1ull << 24) - 1) << 0x10) | REG(0x280) | REG(0x300) | REG(0x310) | \
		   (((1ull << 6) - 1) << 0x32) | REG(0x380) | REG(0x3e0))
/* "Virtualizing Writes to the APIC-Access Page": with APIC-register virtualization
 * (ID, TPR, EOI, LDR, DFR, SVR, ESR, ICR, LVT, initial count, divide configuration);
 * with virtual-interrupt delivery alone (TPR, EOI, ICR low); with neither (TPR). */
#define ARV_WRITES (REG(0x020) | REG(0x080) | REG(0x0b0) | REG(0x0d0) | REG(0x0e0) | REG(0x0f0) | \
		    REG(0x280) | REG(0x300) | REG(0x310) | (((1ull << 6) - 1) << 0x32) |          \
		    REG(0x380) | REG(0x3e0))
#define VID_WRITES (REG(0x080) | REG(0x0b0) | REG(0x300))

/* Access types of the APIC-access exit qualification, bits 15:12. */
static const unsigned access_type[] = { [MMU_READ] = 0, [MMU_WRITE] = 1, [MMU_FETCH] = 2 };

static uint64_t proc_ctls(const struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, CPU_BASED_VM_EXEC_CONTROL);
}

static uint64_t proc2_ctls(const struct lp *lp)
{
	return vmcs_secondary_controls(&lp->vmx.vmcs);
}

uint64_t apicv_access_page(const struct lp *lp)
{
	if (!(proc2_ctls(lp) & SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES))
		return APICV_NO_PAGE;
	return vmcs_read_enc(&lp->vmx.vmcs, APIC_ACCESS_ADDR) & ~0xfffull;
}

static bool tpr_shadow(const struct lp *lp)
{
	return (proc_ctls(lp) & CPU_BASED_TPR_SHADOW) != 0;
}

static bool vid(const struct lp *lp)
{
	return (proc2_ctls(lp) & SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) != 0;
}

/* ---- the virtual-APIC page and the guest interrupt status (RVI 7:0, SVI 15:8) ---- */

static uint32_t vapic_read(const struct lp *lp, unsigned off)
{
	return phys_read32(&lp->m->pm, (vmcs_read_enc(&lp->vmx.vmcs, VIRTUAL_APIC_PAGE_ADDR) & ~0xfffull) + off);
}

static void vapic_write(struct lp *lp, unsigned off, uint32_t v)
{
	phys_write32(&lp->m->pm, (vmcs_read_enc(&lp->vmx.vmcs, VIRTUAL_APIC_PAGE_ADDR) & ~0xfffull) + off, v);
}

static unsigned rvi(const struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, GUEST_INTR_STATUS) & 0xff;
}

static unsigned svi(const struct lp *lp)
{
	return (vmcs_read_enc(&lp->vmx.vmcs, GUEST_INTR_STATUS) >> 8) & 0xff;
}

static void set_intr_status(struct lp *lp, unsigned rvi_v, unsigned svi_v)
{
	vmcs_write_enc(&lp->vmx.vmcs, GUEST_INTR_STATUS, rvi_v | svi_v << 8);
}

/* VIRR or VISR (base): bit `vec` set or cleared. */
static void vec_set(struct lp *lp, unsigned base, unsigned vec, bool on)
{
	unsigned off = base + 0x10 * (vec / 32);
	uint32_t w = vapic_read(lp, off), bit = 1u << (vec % 32);
	vapic_write(lp, off, on ? w | bit : w & ~bit);
}

/* The highest vector set in VIRR or VISR, 0 when none. */
static unsigned vec_highest(const struct lp *lp, unsigned base)
{
	for (int i = 7; i >= 0; i--) {
		uint32_t w = vapic_read(lp, base + 0x10 * (unsigned)i);
		if (w)
			return (unsigned)i * 32 + 31 - (unsigned)__builtin_clz(w);
	}
	return 0;
}

/* ---- SDM "Virtual-Interrupt Delivery" and "Virtualizing ... Updates" ---- */

/* Evaluation of pending virtual interrupts: one is recognized while RVI[7:4] >
 * VPPR[7:4] and "interrupt-window exiting" is 0 (a function of the state, so it is
 * computed where needed: apicv_virq). It is delivered at an instruction boundary
 * where interrupts are open (vmx_events.c calls apicv_deliver): the boundary hook
 * is asked for, and the caller stops a running engine to add it. */
bool apicv_virq(const struct lp *lp)
{
	return vid(lp) && !(proc_ctls(lp) & CPU_BASED_INTR_WINDOW_EXITING) &&
	       (rvi(lp) >> 4) > ((vapic_read(lp, VPPR) & 0xff) >> 4);
}

static void evaluate(struct lp *lp)
{
	if (apicv_virq(lp))
		lp->vmx.boundary_want = true;
}

/* PPR virtualization: VPPR := VTPR when VTPR[7:4] >= SVI[7:4], else SVI & F0H. */
static void ppr_virtualize(struct lp *lp)
{
	unsigned vtpr = vapic_read(lp, VTPR) & 0xff, s = svi(lp);
	vapic_write(lp, VPPR, (vtpr >> 4) >= (s >> 4) ? vtpr : s & 0xf0);
}

/* A trap-like exit after the instruction that ended at next_rip. */
static void trap_exit(struct lp *lp, uint32_t reason, uint64_t qual, uint64_t next_rip)
{
	struct vmx_exit_info xi = { .qualification = qual, .rip = next_rip };
	vmx_exit(lp, reason, &xi);
}

/* TPR virtualization: with virtual-interrupt delivery, PPR virtualization and
 * evaluation; without, a TPR-below-threshold exit when VTPR[7:4] < TPR
 * threshold[3:0]. True when it exited. */
static bool tpr_virtualize(struct lp *lp, uint64_t next_rip)
{
	if (vid(lp)) {
		ppr_virtualize(lp);
		evaluate(lp);
		return false;
	}
	unsigned vtpr = vapic_read(lp, VTPR) & 0xff;
	unsigned threshold = (unsigned)vmcs_read_enc(&lp->vmx.vmcs, TPR_THRESHOLD) & 0xf;
	if ((vtpr >> 4) >= threshold)
		return false;
	trap_exit(lp, EXIT_REASON_TPR_BELOW_THRESHOLD, 0, next_rip);
	return true;
}

/* EOI virtualization: the vector in service (SVI) leaves VISR, SVI becomes the next
 * highest, PPR virtualization; then a virtualized-EOI exit (qualification = the
 * vector) when its EOI-exit bitmap bit is set, else evaluation. */
static bool eoi_virtualize(struct lp *lp, uint64_t next_rip)
{
	unsigned vec = svi(lp);
	vapic_write(lp, VEOI, 0);
	vec_set(lp, VISR, vec, false);
	set_intr_status(lp, rvi(lp), vec_highest(lp, VISR));
	ppr_virtualize(lp);
	static const uint32_t bitmap[4] = { EOI_EXIT_BITMAP0, EOI_EXIT_BITMAP1, EOI_EXIT_BITMAP2,
					    EOI_EXIT_BITMAP3 };
	if ((vmcs_read_enc(&lp->vmx.vmcs, bitmap[vec / 64]) >> (vec % 64)) & 1) {
		trap_exit(lp, EXIT_REASON_EOI_INDUCED, vec, next_rip);
		return true;
	}
	evaluate(lp);
	return false;
}

/* Self-IPI virtualization: VIRR, RVI, evaluation. */
static void self_ipi_virtualize(struct lp *lp, unsigned vec)
{
	vec_set(lp, VIRR, vec, true);
	set_intr_status(lp, vec > rvi(lp) ? vec : rvi(lp), svi(lp));
	evaluate(lp);
}

/* A write to VICR_LO: a fixed, edge, physical self-IPI (reserved bits, trigger
 * mode, delivery status and mode 0; shorthand "self") with a vector of 16 or more
 * is self-IPI virtualization; anything else needs the VMM. */
static void icr_virtualize(struct lp *lp, uint64_t next_rip)
{
	uint32_t icr = vapic_read(lp, VICR_LO);
	unsigned vec = icr & 0xff;
	if (!vid(lp) || (icr & 0xfff3b700u) || ((icr >> 18) & 3) != 1 || vec < 16) {
		trap_exit(lp, EXIT_REASON_APIC_WRITE, VICR_LO, next_rip);
		return;
	}
	self_ipi_virtualize(lp, vec);
}

/* APIC-write emulation after a virtualized write of the register at `off`. */
static void write_emulate(struct lp *lp, unsigned off, uint64_t next_rip)
{
	switch (off) {
	case VTPR:
		vapic_write(lp, VTPR, vapic_read(lp, VTPR) & 0xff);   /* bytes 3:1 := 0 */
		tpr_virtualize(lp, next_rip);
		return;
	case VEOI:
		if (vid(lp))
			eoi_virtualize(lp, next_rip);
		else
			trap_exit(lp, EXIT_REASON_APIC_WRITE, off, next_rip);
		return;
	case VICR_LO:
		icr_virtualize(lp, next_rip);
		return;
	case VICR_HI:
		vapic_write(lp, VICR_HI, vapic_read(lp, VICR_HI) & 0xff000000u);
		return;
	default:
		trap_exit(lp, EXIT_REASON_APIC_WRITE, off, next_rip);
	}
}

/* ---- accesses to the APIC-access page ---- */

/* Is an access virtualized (not an APIC-access exit)? With "use TPR shadow", not a
 * fetch, at most 32 bits within the low 4 bytes of a register the controls list. */
static bool virtualized(const struct lp *lp, unsigned offset, unsigned size, enum mmu_access acc)
{
	if (!tpr_shadow(lp) || acc == MMU_FETCH || !size || size > 4 || (offset & 0xf) + size > 4 ||
	    offset >= 0x400)
		return false;
	uint64_t p2 = proc2_ctls(lp);
	bool arv = p2 & SECONDARY_EXEC_APIC_REGISTER_VIRT;
	uint64_t regs = acc == MMU_READ ? (arv ? ARV_READS : REG(VTPR))
				       : (arv ? ARV_WRITES : vid(lp) ? VID_WRITES : REG(VTPR));
	return (regs >> (offset >> 4)) & 1;
}

/* The exit saves the length of the instruction that made a data access (VMMs skip
 * it after emulating the access); none for a fetch. */
static void access_exit(struct lp *lp, uint64_t rip, unsigned offset, enum mmu_access acc, unsigned len)
{
	struct vmx_exit_info xi = { .qualification = offset | access_type[acc] << 12, .insn_len = len,
				    .rip = rip };
	vmx_exit(lp, EXIT_REASON_APIC_ACCESS, &xi);
}

/* The MOV `m` on the virtual-APIC page instead; a write is then emulated. */
static void virtual_mov(struct lp *lp, uint64_t rip, const struct insn_mov *m, unsigned offset)
{
	uint64_t next = rip + m->len;
	if (!m->store) {
		cpu_set_reg(lp->uc, cpu_gpr_ids[m->gpr], vapic_read(lp, offset));  /* zero-extends */
		cpu_set_reg(lp->uc, UC_X86_REG_RIP, next);
		return;
	}
	vapic_write(lp, offset, (uint32_t)(m->gpr >= 0 ? cpu_reg(lp->uc, cpu_gpr_ids[m->gpr]) : m->imm));
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, next);
	write_emulate(lp, offset, next);
}

void apicv_access(struct lp *lp, uint64_t page, enum mmu_access acc)
{
	uint64_t rip = cpu_reg(lp->uc, UC_X86_REG_RIP);
	struct insn_mov m;
	bool is_mov = acc != MMU_FETCH && !insn_mem_mov(lp, &m) && (m.la & ~0xfffull) == page &&
		      m.store == (acc == MMU_WRITE);
	uint64_t la = page;
	if (acc == MMU_FETCH) {
		struct cpu_view v;
		cpustate_view(&lp->cs, &v);
		uint64_t rip_la = rip + (cpu_view_long64(&v) ? 0 : v.segs[SEG_CS].base);
		la = (rip_la & ~0xfffull) == page ? rip_la : page;
	} else if (is_mov) {
		la = m.la;
	} else if (insn_mem_access_in_page(lp, page, acc == MMU_WRITE, &la)) {
		la = page;
	}
	unsigned offset = la & 0xfff;
	if (is_mov && m.size == 4 && virtualized(lp, offset, m.size, acc))
		virtual_mov(lp, rip, &m, offset);
	else
		access_exit(lp, rip, offset, acc,
			    acc == MMU_FETCH ? 0 : is_mov ? m.len : insn_mem_length(lp));
}

/* ---- SDM "Posted-Interrupt Processing" ---- */

#define PID_ON_BYTE 32      /* the outstanding-notification bit: bit 256 of the descriptor */

static bool posted(const struct lp *lp)
{
	return (vmcs_read_enc(&lp->vmx.vmcs, PIN_BASED_VM_EXEC_CONTROL) & PIN_BASED_POSTED_INTR) != 0;
}

/* The notification has been acknowledged and dismissed: ON := 0, then the PIR
 * (bits 255:0) is ORed into VIRR and cleared, RVI := max(RVI, the highest vector
 * posted), and pending virtual interrupts are evaluated. */
static void pi_process(struct lp *lp)
{
	struct phys *pm = &lp->m->pm;
	uint64_t pid = vmcs_read_enc(&lp->vmx.vmcs, POSTED_INTR_DESC_ADDR);
	uint8_t on;
	phys_read(pm, pid + PID_ON_BYTE, &on, 1);
	on &= (uint8_t)~1u;
	phys_write(pm, pid + PID_ON_BYTE, &on, 1);
	unsigned top = 0;
	bool any = false;
	for (unsigned i = 0; i < 8; i++) {
		uint32_t pir = phys_read32(pm, pid + 4 * i);
		if (!pir)
			continue;
		phys_write32(pm, pid + 4 * i, 0);
		vapic_write(lp, VIRR + 0x10 * i, vapic_read(lp, VIRR + 0x10 * i) | pir);
		top = i * 32 + 31 - (unsigned)__builtin_clz(pir);
		any = true;
	}
	if (any && top > rvi(lp))
		set_intr_status(lp, top, svi(lp));
	evaluate(lp);
}

bool apicv_posted_notification(struct lp *lp, unsigned vector)
{
	if (!lp->vmx.non_root || !posted(lp) ||
	    vector != (vmcs_read_enc(&lp->vmx.vmcs, POSTED_INTR_NV) & 0xff))
		return false;
	lapic_dismiss(&lp->lapic, vector);
	pi_process(lp);
	return true;
}

/* ---- VM entry, CR8, delivery ---- */

bool apicv_enter(struct lp *lp, bool injected)
{
	if (!tpr_shadow(lp))
		return false;
	if (vid(lp)) {
		/* A notification pending at entry is recognized before the guest's
		 * first instruction (interrupt.h: it cannot be blocked by RFLAGS.IF, as
		 * "external-interrupt exiting" is set). */
		int pending = lapic_deliverable(&lp->lapic);
		if (pending >= 0 && !(vmcs_read_enc(&lp->vmx.vmcs, GUEST_INTERRUPTIBILITY_INFO) & 3))
			apicv_posted_notification(lp, (unsigned)pending);
		ppr_virtualize(lp);
		evaluate(lp);
		return false;
	}
	return !injected && tpr_virtualize(lp, vmcs_read_enc(&lp->vmx.vmcs, GUEST_RIP));
}

/* A virtual interrupt recognized while the engine runs (inside an instruction's
 * hook): it stops after the instruction and comes back with the boundary hook. */
static void stop_for_boundary(struct lp *lp)
{
	if (lp->vmx.boundary_want && !lp->vmx.boundary_hooked)
		lp_restart_run(lp);
}

bool apicv_mov_to_cr8(struct lp *lp, uint64_t rip, unsigned len, uint64_t v)
{
	if (!tpr_shadow(lp))
		return false;
	/* SDM "Virtualizing MOV to CR8": VTPR[7:4] := source[3:0]; bits 3:0 and
	 * bytes 3:1 of VTPR := 0. */
	vapic_write(lp, VTPR, (uint32_t)(v & 0xf) << 4);
	if (!tpr_virtualize(lp, rip + len)) {
		site_retire(lp, rip + len);
		stop_for_boundary(lp);
	}
	return true;
}

bool apicv_mov_from_cr8(struct lp *lp, uint64_t rip, unsigned len, unsigned reg)
{
	if (!tpr_shadow(lp))
		return false;
	/* SDM "Virtualizing MOV from CR8": bits 3:0 := VTPR[7:4], the rest 0. */
	site_retire_reg(lp, rip + len, cpu_gpr_ids[reg], (vapic_read(lp, VTPR) >> 4) & 0xf);
	return true;
}

void apicv_deliver(struct lp *lp, uint64_t rip)
{
	unsigned vec = rvi(lp);
	vec_set(lp, VISR, vec, true);
	vapic_write(lp, VPPR, vec & 0xf0);
	vec_set(lp, VIRR, vec, false);
	set_intr_status(lp, vec_highest(lp, VIRR), vec);
	exc_deliver(lp, vec, 0, EXC_EXTERNAL, rip, rip);
}

/* ---- SDM "Virtualizing MSR-Based APIC Accesses" ---- */

#define VSELF_IPI 0x3f0     /* x2APIC SELF IPI (83FH): its slot in the virtual-APIC page */

static bool x2apic_virtualized(const struct lp *lp)
{
	return (proc2_ctls(lp) & SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE) != 0;
}

/* MSR 800H + n is the register at page offset n << 4; RDMSR and WRMSR move the 8
 * bytes there (EAX the low 4, EDX the high 4). */
static unsigned msr_offset(uint32_t idx)
{
	return (idx & 0xff) << 4;
}

bool apicv_rdmsr(struct lp *lp, uint32_t idx, uint64_t *val)
{
	if (!x2apic_virtualized(lp))
		return false;
	/* Without APIC-register virtualization only TPR is read virtually. */
	if (!(proc2_ctls(lp) & SECONDARY_EXEC_APIC_REGISTER_VIRT) && idx != 0x808)
		return false;
	unsigned off = msr_offset(idx);
	*val = vapic_read(lp, off) | (uint64_t)vapic_read(lp, off + 4) << 32;
	return true;
}

/* After the 8-byte write of SELF IPI: self-IPI virtualization of a vector of 16 or
 * more, an APIC-write exit for a lower one. True when it exited. */
static bool x2_self_ipi(struct lp *lp, uint64_t next_rip)
{
	unsigned vec = vapic_read(lp, VSELF_IPI) & 0xff;
	if (vec < 16) {
		trap_exit(lp, EXIT_REASON_APIC_WRITE, VSELF_IPI, next_rip);
		return true;
	}
	self_ipi_virtualize(lp, vec);
	return false;
}

/* The WRMSRs the processor virtualizes: any other goes to the local APIC. */
static const struct x2_write {
	uint32_t msr;
	bool needs_vid;              /* only with virtual-interrupt delivery */
	uint64_t valid;              /* bits EDX:EAX may set; any other is #GP(0) */
	bool (*emulate)(struct lp *lp, uint64_t next_rip);   /* true when it exited */
} x2_writes[] = {
	{ 0x808, false, 0xff, tpr_virtualize },
	{ 0x80b, true, 0, eoi_virtualize },
	{ 0x83f, true, 0xff, x2_self_ipi },
};

enum apicv_msr apicv_wrmsr(struct lp *lp, uint32_t idx, uint64_t val, uint64_t next_rip)
{
	if (!x2apic_virtualized(lp))
		return APICV_MSR_APIC;
	const struct x2_write *w = NULL;
	for (size_t i = 0; i < sizeof(x2_writes) / sizeof(x2_writes[0]); i++)
		if (x2_writes[i].msr == idx && (!x2_writes[i].needs_vid || vid(lp)))
			w = &x2_writes[i];
	if (!w)
		return APICV_MSR_APIC;
	if (val & ~w->valid)
		return APICV_MSR_GP;
	unsigned off = msr_offset(idx);
	vapic_write(lp, off, (uint32_t)val);
	vapic_write(lp, off + 4, 0);
	if (!w->emulate(lp, next_rip)) {
		site_retire(lp, next_rip);
		stop_for_boundary(lp);
	}
	return APICV_MSR_DONE;
}
