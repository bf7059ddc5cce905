/* Loading host state at a VM exit, or after a VM entry that failed while loading
 * guest state (SDM Vol. 3, "VM Exits", "Loading Host State"): control registers,
 * debug state, MSRs the exit controls name, segment registers with the hidden parts
 * the SDM fixes, descriptor tables, RSP, RIP, and RFLAGS = 2. */
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/vmcs/fields.h"

#define EXIT_HOST_ADDR_SPACE_SIZE (1u << 9)
#define EXIT_LOAD_PAT             (1u << 19)
#define EXIT_LOAD_EFER            (1u << 21)

static struct seg host_data_seg(uint16_t sel, uint64_t base)
{
	/* Type 3 (read/write, accessed), S, DPL 0, P, D/B, G; a null selector makes
	 * the register unusable. */
	struct seg s = { sel, base, 0xffffffff, 0xc093 };
	if (!(sel & 0xfffc))
		s.attr |= SEG_ATTR_UNUSABLE;
	return s;
}

void vmx_load_host_state(struct lp *lp)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t exit_ctls = vmcs_read_enc(v, VM_EXIT_CONTROLS);
	bool lm = exit_ctls & EXIT_HOST_ADDR_SPACE_SIZE;
	uc_engine *uc = lp->uc;

	/* EFER first, so that loading CR0 sets or clears IA-32e mode as the host's
	 * address-space size says. */
	uint64_t efer = cpu_msr(uc, MSR_IA32_EFER);
	if (exit_ctls & EXIT_LOAD_EFER)
		efer = vmcs_read_enc(v, HOST_IA32_EFER);
	else
		efer = lm ? (efer | 0x500) : (efer & ~0x500ull);
	cpu_set_msr(uc, MSR_IA32_EFER, efer & ~(1ull << 10));
	cpu_set_reg(uc, UC_X86_REG_CR4, vmcs_read_enc(v, HOST_CR4));
	cpu_set_reg(uc, UC_X86_REG_CR3, vmcs_read_enc(v, HOST_CR3));
	/* CR0: ET stays set; the rest comes from the field. */
	cpu_set_reg(uc, UC_X86_REG_CR0, vmcs_read_enc(v, HOST_CR0) | 0x10);
	cpu_set_reg(uc, UC_X86_REG_DR7, 0x400);

	cpu_set_msr(uc, 0x174, vmcs_read_enc(v, HOST_IA32_SYSENTER_CS));
	cpu_set_msr(uc, 0x175, vmcs_read_enc(v, HOST_IA32_SYSENTER_ESP));
	cpu_set_msr(uc, 0x176, vmcs_read_enc(v, HOST_IA32_SYSENTER_EIP));
	if (exit_ctls & EXIT_LOAD_PAT)
		lp->pat = vmcs_read_enc(v, HOST_IA32_PAT);

	struct seg s[SEG_COUNT];
	s[SEG_CS] = (struct seg){ (uint16_t)vmcs_read_enc(v, HOST_CS_SELECTOR), 0, 0xffffffff,
				  lm ? 0xa09bu : 0xc09bu };
	s[SEG_SS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_SS_SELECTOR), 0);
	s[SEG_SS].attr &= ~0x60u;   /* SS.DPL := 0 even when unusable */
	s[SEG_DS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_DS_SELECTOR), 0);
	s[SEG_ES] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_ES_SELECTOR), 0);
	s[SEG_FS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_FS_SELECTOR), vmcs_read_enc(v, HOST_FS_BASE));
	s[SEG_GS] = host_data_seg((uint16_t)vmcs_read_enc(v, HOST_GS_SELECTOR), vmcs_read_enc(v, HOST_GS_BASE));
	s[SEG_TR] = (struct seg){ (uint16_t)vmcs_read_enc(v, HOST_TR_SELECTOR), vmcs_read_enc(v, HOST_TR_BASE),
				  0x67, 0x8b };
	s[SEG_LDTR] = (struct seg){ 0, 0, 0, SEG_ATTR_UNUSABLE };
	cpustate_set_segs(&lp->cs, s, 0xff);
	/* The bases of FS and GS live in MSRs for the engine's 64-bit code as well. */
	cpu_set_msr(uc, 0xc0000100, s[SEG_FS].base);
	cpu_set_msr(uc, 0xc0000101, s[SEG_GS].base);

	uc_x86_mmr gdtr = { .base = vmcs_read_enc(v, HOST_GDTR_BASE), .limit = 0xffff };
	uc_x86_mmr idtr = { .base = vmcs_read_enc(v, HOST_IDTR_BASE), .limit = 0xffff };
	uc_reg_write(uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(uc, UC_X86_REG_IDTR, &idtr);

	cpu_set_reg(uc, UC_X86_REG_RSP, vmcs_read_enc(v, HOST_RSP));
	cpu_set_reg(uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(uc, UC_X86_REG_RIP, vmcs_read_enc(v, HOST_RIP));
}
