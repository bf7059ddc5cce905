/* APIC virtualization: the APIC-access page and the TPR shadow (apicv.h). */
#include "sim/cpu/apicv.h"

#include "sim/cpu/insn_mem.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/sites.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define VTPR 0x80                      /* offset of VTPR in the virtual-APIC page */

/* Access types of the APIC-access exit qualification, bits 15:12. */
static const unsigned access_type[] = { [MMU_READ] = 0, [MMU_WRITE] = 1, [MMU_FETCH] = 2 };

static uint64_t proc_ctls(const struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, CPU_BASED_VM_EXEC_CONTROL);
}

static uint64_t proc2_ctls(const struct lp *lp)
{
	if (!(proc_ctls(lp) & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS))
		return 0;
	return vmcs_read_enc(&lp->vmx.vmcs, SECONDARY_VM_EXEC_CONTROL);
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

static uint64_t vapic_page(const struct lp *lp)
{
	return vmcs_read_enc(&lp->vmx.vmcs, VIRTUAL_APIC_PAGE_ADDR) & ~0xfffull;
}

/* TPR virtualization without virtual-interrupt delivery (SDM "TPR Virtualization"):
 * the instruction that wrote VTPR has retired to next_rip; a TPR-below-threshold
 * exit (trap-like: RIP is the next instruction's, no instruction length) when
 * VTPR[7:4] < TPR threshold[3:0]. True when it exited. */
static bool tpr_virtualize(struct lp *lp, uint64_t next_rip)
{
	unsigned vtpr = phys_read32(&lp->m->pm, vapic_page(lp) + VTPR) & 0xff;
	unsigned threshold = (unsigned)vmcs_read_enc(&lp->vmx.vmcs, TPR_THRESHOLD) & 0xf;
	if ((vtpr >> 4) >= threshold)
		return false;
	struct vmx_exit_info xi = { .rip = next_rip };
	vmx_exit(lp, EXIT_REASON_TPR_BELOW_THRESHOLD, &xi);
	return true;
}

/* SDM "Virtualizing Reads/Writes from/to the APIC-Access Page" with "use TPR shadow"
 * and neither APIC-register virtualization nor virtual-interrupt delivery: only an
 * access of at most 32 bits within VTPR is virtualized, never a fetch. */
static bool virtualized(const struct lp *lp, unsigned offset, unsigned size, enum mmu_access acc)
{
	return tpr_shadow(lp) && acc != MMU_FETCH && size && size <= 4 && offset >= VTPR &&
	       offset + size <= VTPR + 4;
}

static void access_exit(struct lp *lp, uint64_t rip, unsigned offset, enum mmu_access acc)
{
	struct vmx_exit_info xi = { .qualification = offset | access_type[acc] << 12, .rip = rip };
	vmx_exit(lp, EXIT_REASON_APIC_ACCESS, &xi);
}

/* The MOV `m` on the virtual-APIC page instead; then, for a write, APIC-write
 * emulation of VTPR (bytes 3:1 cleared) and TPR virtualization. */
static void virtual_mov(struct lp *lp, uint64_t rip, const struct insn_mov *m, unsigned offset)
{
	struct phys *pm = &lp->m->pm;
	uint64_t pa = vapic_page(lp) + offset;
	uint64_t next = rip + m->len;
	if (!m->store) {
		uint32_t v = phys_read32(pm, pa);
		cpu_set_reg(lp->uc, cpu_gpr_ids[m->gpr], v);   /* a 32-bit load zero-extends */
		cpu_set_reg(lp->uc, UC_X86_REG_RIP, next);
		return;
	}
	uint32_t v = (uint32_t)(m->gpr >= 0 ? cpu_reg(lp->uc, cpu_gpr_ids[m->gpr]) : m->imm);
	phys_write32(pm, pa, v);
	phys_write32(pm, vapic_page(lp) + VTPR, phys_read32(pm, vapic_page(lp) + VTPR) & 0xff);
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, next);
	tpr_virtualize(lp, next);
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
		access_exit(lp, rip, offset, acc);
}

bool apicv_enter(struct lp *lp)
{
	return tpr_shadow(lp) && tpr_virtualize(lp, vmcs_read_enc(&lp->vmx.vmcs, GUEST_RIP));
}

bool apicv_mov_to_cr8(struct lp *lp, uint64_t rip, unsigned len, uint64_t v)
{
	if (!tpr_shadow(lp))
		return false;
	/* SDM "Virtualizing MOV to CR8": VTPR[7:4] := source[3:0]; bits 3:0 and
	 * bytes 3:1 of VTPR := 0. */
	phys_write32(&lp->m->pm, vapic_page(lp) + VTPR, (uint32_t)(v & 0xf) << 4);
	if (!tpr_virtualize(lp, rip + len))
		site_retire(lp, rip + len);
	return true;
}

bool apicv_mov_from_cr8(struct lp *lp, uint64_t rip, unsigned len, unsigned reg)
{
	if (!tpr_shadow(lp))
		return false;
	/* SDM "Virtualizing MOV from CR8": bits 3:0 := VTPR[7:4], the rest 0. */
	uint32_t vtpr = phys_read32(&lp->m->pm, vapic_page(lp) + VTPR);
	cpu_set_reg(lp->uc, cpu_gpr_ids[reg], (vtpr >> 4) & 0xf);
	site_retire(lp, rip + len);
	return true;
}
