/* The guest side of the module: TDCALL leaves a TD's code issues (TDX module ABI,
 * GHCI), one table by leaf number. TDG.VP.VMCALL is the way out to the host VMM
 * (a TD exit carrying the registers the guest exposes); the others the module
 * answers itself, with the status in the guest's RAX. */
#include "sim/tdx_module_stub/td.h"

#include <string.h>

#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"

#define TD_CONFIG_NO_RBP_MOD (1ull << 2)
#define TD_EXT_QUAL_ACCEPT   1

/* TDG.VP.VMCALL (0): RCX selects the GPRs the VMM sees and may change (bits 15:0)
 * and the XMM registers (31:16). RAX, RCX and RSP are never exposed, RBP not with
 * NO_RBP_MOD. The exit is trap-like: the guest resumes after its TDCALL. */
static uint64_t tdg_vp_vmcall(struct td_run *r, enum td_exit_action *act)
{
	uint64_t mask = r->guest[R_RCX];
	uint64_t never = 1u << R_RAX | 1u << R_RCX | 1u << R_RSP;
	if (r->c.config_flags & TD_CONFIG_NO_RBP_MOD)
		never |= 1u << R_RBP;
	if ((mask >> 32) || (mask & never))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	r->v.tdvmcall_mask = (uint32_t)mask;
	*act = TD_EXIT_TO_VMM;
	return TDX_SUCCESS;
}

/* TDG.VP.INFO (1): the TD's shape. */
static uint64_t tdg_vp_info(struct td_run *r, enum td_exit_action *act)
{
	r->guest[R_RCX] = 48;                        /* GPAW */
	r->guest[R_RDX] = r->c.attributes;
	r->guest[R_R8] = r->c.num_vcpus | (uint64_t)r->c.max_vcpus << 32;
	r->guest[R_R9] = r->v.vcpu_index;
	r->guest[R_R10] = 0;
	r->guest[R_R11] = 0;
	return TDX_SUCCESS;
}

/* TDG.MR.RTMR.EXTEND (2): RCX = GPA of 48 bytes (64-byte aligned), RDX = index. */
static uint64_t tdg_mr_rtmr_extend(struct td_run *r, enum td_exit_action *act)
{
	uint64_t gpa = r->guest[R_RCX], hpa;
	if ((gpa & 63) || !td_private_hpa(r, gpa, &hpa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if (r->guest[R_RDX] > 3)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	uint8_t data[48];
	phys_read(r->mod->pm, hpa, data, sizeof(data));
	td_rtmr_extend(&r->c, (unsigned)r->guest[R_RDX], data);
	tdcs_put(r->mod, &r->t, &r->c);
	return TDX_SUCCESS;
}

/* TDG.MR.REPORT (4): RCX = GPA for the 1 KiB TDREPORT (1 KiB aligned), RDX = GPA
 * of the 64-byte REPORTDATA (64-byte aligned), R8 = subtype 0. */
static uint64_t tdg_mr_report(struct td_run *r, enum td_exit_action *act)
{
	uint64_t out = r->guest[R_RCX], in = r->guest[R_RDX], out_hpa, in_hpa;
	if ((out & 1023) || !td_private_hpa(r, out, &out_hpa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	if ((in & 63) || !td_private_hpa(r, in, &in_hpa))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RDX);
	if (r->guest[R_R8])
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_R8);
	uint8_t data[64], report[1024];
	phys_read(r->mod->pm, in_hpa, data, sizeof(data));
	td_build_report(&r->c, data, report);
	phys_write(r->mod->pm, out_hpa, report, sizeof(report));
	return TDX_SUCCESS;
}

/* TDG.VP.VEINFO.GET (3): what caused the last #VE, once. */
static uint64_t tdg_vp_veinfo_get(struct td_run *r, enum td_exit_action *act)
{
	struct phys *pm = r->mod->pm;
	uint64_t area = td_vcpu_page(r, TDVPS_VE_INFO_PAGE);
	if (phys_read32(pm, area + VE_VALID) != VE_INFO_IN_USE)
		return TDX_NO_VALID_VE_INFO;
	r->guest[R_RCX] = phys_read32(pm, area + VE_EXIT_REASON);
	r->guest[R_RDX] = phys_read64(pm, area + VE_QUALIFICATION);
	r->guest[R_R8] = phys_read64(pm, area + VE_GLA);
	r->guest[R_R9] = phys_read64(pm, area + VE_GPA);
	r->guest[R_R10] = phys_read32(pm, area + VE_INSN_LEN) |
			  (uint64_t)phys_read32(pm, area + VE_INSN_INFO) << 32;
	phys_write32(pm, area + VE_VALID, 0);   /* the area is free for the next #VE */
	return TDX_SUCCESS;
}

/* TDG.VP.CPUIDVE.SET (5): RCX bit 0 makes CPUID at CPL 0 a #VE, bit 1 at CPL > 0. */
static uint64_t tdg_vp_cpuidve_set(struct td_run *r, enum td_exit_action *act)
{
	uint64_t ctl = r->guest[R_RCX];
	if (ctl & ~3ull)
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	r->v.cpuid_supervisor_ve = ctl & 1;
	r->v.cpuid_user_ve = (ctl >> 1) & 1;
	return TDX_SUCCESS;
}

/* TDG.MEM.PAGE.ACCEPT (6): RCX = GPA | level (4 KiB or 2 MiB). A PENDING page
 * (PAGE.AUG) of that size becomes MAPPED and zeroed; one the VMM never added (or
 * mapped larger and still pending, or blocked) is an EPT violation for the VMM,
 * after which the guest's TDCALL runs again. */
static uint64_t tdg_mem_page_accept(struct td_run *r, enum td_exit_action *act)
{
	uint64_t info = r->guest[R_RCX], gpa = info & ~0xfffull;
	unsigned level = info & 7;
	if ((info & 0xff8) || level > 1 || gpa >= TD_SHARED_BIT || (gpa & ((1ull << (12 + 9 * level)) - 1)))
		return tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RCX);
	uint32_t violation = 0;
	uint64_t st = sept_accept(r->mod, &r->t, gpa, level, &violation);
	if (st != ~0ull)
		return st;
	r->reason = EXIT_REASON_EPT_VIOLATION;
	r->qualification = 2;                        /* a write */
	r->gpa = gpa;
	r->ext_qualification = TD_EXT_QUAL_ACCEPT | (uint64_t)violation << 32;
	*act = TD_EXIT_TO_VMM;
	return ~0ull;                                /* the TDCALL is not complete */
}

/* TD-scope fields a guest may read (TDG.VM.RD) and the bits it may write
 * (TDG.VM.WR). */
#define TDCS_CONFIG_FLAGS 0x1110000300000016ull
#define TDCS_TD_CTLS      0x1110000300000017ull

static uint64_t *vm_field(struct td_run *r, uint64_t id, uint64_t *write_mask)
{
	switch (id) {
	case TDCS_CONFIG_FLAGS: *write_mask = 0; return &r->c.config_flags;
	case TDCS_TD_CTLS: *write_mask = TD_CTLS_WRITABLE; return &r->c.td_ctls;
	}
	return NULL;
}

/* TDG.VM.RD (7): RDX = field id; R8 = its value. */
static uint64_t tdg_vm_rd(struct td_run *r, enum td_exit_action *act)
{
	uint64_t wmask, *f = vm_field(r, r->guest[R_RDX], &wmask);
	r->guest[R_R8] = f ? *f : 0;
	return f ? TDX_SUCCESS : TDX_METADATA_FIELD_ID_INCORRECT;
}

/* TDG.VM.WR (8): RDX = field id, R8 = value, R9 = the bits to write; R8 = the old
 * value. */
static uint64_t tdg_vm_wr(struct td_run *r, enum td_exit_action *act)
{
	uint64_t wmask, *f = vm_field(r, r->guest[R_RDX], &wmask), mask = r->guest[R_R9];
	uint64_t value = r->guest[R_R8];
	r->guest[R_R8] = 0;
	if (!f)
		return TDX_METADATA_FIELD_ID_INCORRECT;
	uint64_t old = *f, st = td_md_masked_write(old, value, mask, wmask, f);
	if (st)
		return st;
	tdcs_put(r->mod, &r->t, &r->c);
	r->guest[R_R8] = old;
	return TDX_SUCCESS;
}

/* TDG.VP.RD (9) and TDG.VP.WR (10): the vCPU's own fields (vp_md.c). */
static uint64_t tdg_vp_rd(struct td_run *r, enum td_exit_action *act)
{
	return td_vp_md_guest(r, false);
}

static uint64_t tdg_vp_wr(struct td_run *r, enum td_exit_action *act)
{
	return td_vp_md_guest(r, true);
}

/* TDG.SYS.RD (11): the module's global metadata, as TDH.SYS.RD gives it: RDX =
 * field id (the null id: the first), R8 = value, RDX = the next id. */
static uint64_t tdg_sys_rd(struct td_run *r, enum td_exit_action *act)
{
	uint64_t id = r->guest[R_RDX], value, next;
	r->guest[R_R8] = 0;
	r->guest[R_RDX] = ~0ull;
	if (id == ~0ull) {
		tdx_metadata_first(&r->guest[R_RDX]);
		return TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT;
	}
	if (tdx_metadata_read(r->mod, id, &value, &next))
		return TDX_METADATA_FIELD_ID_INCORRECT;
	r->guest[R_R8] = value;
	r->guest[R_RDX] = next;
	return TDX_SUCCESS;
}

typedef uint64_t (*tdcall_fn)(struct td_run *r, enum td_exit_action *act);
static const tdcall_fn tdcall_leaves[] = {
	[0] = tdg_vp_vmcall, [1] = tdg_vp_info, [2] = tdg_mr_rtmr_extend, [3] = tdg_vp_veinfo_get,
	[4] = tdg_mr_report, [5] = tdg_vp_cpuidve_set, [6] = tdg_mem_page_accept, [7] = tdg_vm_rd, [8] = tdg_vm_wr,
	[9] = tdg_vp_rd, [10] = tdg_vp_wr, [11] = tdg_sys_rd,
};

enum td_exit_action td_tdcall(struct td_run *r)
{
	/* TDCALL is for CPL 0 in 64-bit mode: #GP(0) elsewhere. */
	bool long64 = (td_vmread(r, GUEST_CS_AR_BYTES) >> 13) & 1;
	unsigned cpl = (td_vmread(r, GUEST_SS_AR_BYTES) >> 5) & 3;
	if (!long64 || cpl) {
		td_inject(r, 13, true, 0);
		return TD_RESUME;
	}
	uint64_t leaf = r->guest[R_RAX];
	enum td_exit_action act = TD_RESUME;
	uint64_t st;
	if (leaf < sizeof(tdcall_leaves) / sizeof(tdcall_leaves[0]) && tdcall_leaves[leaf])
		st = tdcall_leaves[leaf](r, &act);
	else
		st = tdx_err(TDX_OPERAND_INVALID, TDX_OPERAND_ID_RAX);
	if (st == ~0ull)
		return act;
	if (act == TD_RESUME)
		r->guest[R_RAX] = st;
	td_skip_insn(r);
	return act;
}
