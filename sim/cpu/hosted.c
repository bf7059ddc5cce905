/* The hosted-VMM interface (include/vtsim/hosted.h): the instructions of a
 * hypervisor that runs on the host, executed by the same units as an image's. */
#include "vtsim/hosted.h"

#include <string.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/diag_once.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"
#include "sim/cpu/vmx_diag.h"
#include "sim/cpu/vmx_exit.h"
#include "sim/seam/seam_diag.h"

int vtsim_hosted_start(struct vtsim_machine *m, char *err, size_t errlen)
{
	if (m->loaded) {
		snprintf(err, errlen, "an image is loaded: the hosted VMM needs an empty machine");
		return -1;
	}
	boot_build_reserved(m);
	for (unsigned i = 0; i < m->nr_lps; i++) {
		boot_enter_elf64(&m->lps[i], 0);
		m->lps[i].activity = LP_ACTIVE;
	}
	m->loaded = true;
	clock_gettime(CLOCK_MONOTONIC, &m->start);
	return 0;
}

static struct lp *lp_of(struct vtsim_machine *m, unsigned lp)
{
	return lp < m->nr_lps ? &m->lps[lp] : NULL;
}

/* A memory operand is the caller's buffer. */
static int op_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(buf, ((struct vtsim_vmx_operands *)ctx)->data, n <= 16 ? n : 16);
	return 0;
}

static int op_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(((struct vtsim_vmx_operands *)ctx)->data, buf, n <= 16 ? n : 16);
	return 0;
}

static const enum vmx_insn_id insn_ids[] = {
	[VTSIM_VMXON] = VMX_VMXON, [VTSIM_VMXOFF] = VMX_VMXOFF, [VTSIM_VMCLEAR] = VMX_VMCLEAR,
	[VTSIM_VMPTRLD] = VMX_VMPTRLD, [VTSIM_VMPTRST] = VMX_VMPTRST, [VTSIM_VMREAD] = VMX_VMREAD,
	[VTSIM_VMWRITE] = VMX_VMWRITE, [VTSIM_VMLAUNCH] = VMX_VMLAUNCH,
	[VTSIM_VMRESUME] = VMX_VMRESUME, [VTSIM_VMCALL] = VMX_VMCALL, [VTSIM_INVEPT] = VMX_INVEPT,
	[VTSIM_INVVPID] = VMX_INVVPID,
};

/* VMREAD and VMWRITE with register operands, the instructions a VMM issues most,
 * from the registers alone (vmx_reg_access_fast: vmx_execute's checks in its order):
 * true when the instruction succeeded. Anything else (a fault, a VMfail) returns
 * false with nothing changed, and vtsim_vmx takes the whole way, which tells it. */
static bool vmx_hosted_fast(struct lp *lp, enum vtsim_vmx_insn insn, const struct vtsim_vmx_operands *o,
			    struct vtsim_vmx_result *out)
{
	bool write = insn == VTSIM_VMWRITE;
	if ((insn != VTSIM_VMREAD && !write) || o->mem)
		return false;
	struct cpu_regs r;
	cpustate_regs(&lp->cs, &r);
	uint64_t val = o->rm;                 /* VMWRITE's source */
	if (!vmx_reg_access_fast(lp, &r, write, o->reg, &val, 8))
		return false;
	out->outcome = VTSIM_VMSUCCEED;
	if (!write)
		out->value = val;
	return true;
}

void vtsim_vmx(struct vtsim_machine *m, unsigned lpn, enum vtsim_vmx_insn insn,
	       struct vtsim_vmx_operands *o, struct vtsim_vmx_result *out)
{
	memset(out, 0, sizeof(*out));
	struct lp *lp = lp_of(m, lpn);
	if (!lp || m->stopped || (unsigned)insn >= sizeof(insn_ids) / sizeof(insn_ids[0])) {
		out->outcome = VTSIM_VMX_STOPPED;
		return;
	}
	if (vmx_hosted_fast(lp, insn, o, out))
		return;
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	struct vmx_operands ops = {
		.reg_form = !o->mem, .rm_value = o->rm, .reg_value = o->reg, .opsize = 8,
		.read = op_read, .write = op_write, .ctx = o,
	};
	struct vmx_result r;
	vmx_execute(lp, &v, insn_ids[insn], &ops, &r);
	vmx_tell_outcome(lp, DIAG_HOSTED, insn_ids[insn], &r);
	switch (r.status) {
	case VMX_SUCCEED:
		out->outcome = VTSIM_VMSUCCEED;
		out->value = r.out;
		break;
	case VMX_FAIL_INVALID:
		out->outcome = VTSIM_VMFAIL_INVALID;
		break;
	case VMX_FAIL_VALID:
		out->outcome = VTSIM_VMFAIL_VALID;
		out->error = r.error;
		break;
	case VMX_FAULT:
		out->outcome = VTSIM_VMX_FAULT;
		out->vector = r.fault.vector;
		out->error_code = r.fault.error_code;
		break;
	case VMX_ENTRY_FAILED:
		vmx_load_host_state(lp);
		vmx_exit_msr_load(lp);
		out->outcome = VTSIM_ENTRY_FAILED;
		break;
	case VMX_ENTERED:
		out->outcome = m->stopped ? VTSIM_VMX_STOPPED : VTSIM_VMEXIT;
		break;
	case VMX_STATE_LOADED:
		/* An SMM VM exit or a return from SMM: a host program is neither an SMM
		 * handler nor an STM, so it cannot have enabled the dual-monitor treatment. */
		r.why = "the dual-monitor treatment of SMIs and SMM is not available to a hosted VMM";
		/* fall through */
	case VMX_NOT_MODELLED:
		machine_stop(m, lp, VTSIM_STOP_INTERNAL, 70, "%s: %s", vmx_insn_name(insn_ids[insn]), r.why);
		out->outcome = VTSIM_VMX_STOPPED;
		break;
	case VMX_VMEXIT:   /* only in VMX non-root operation, where a host VMM never is */
		out->outcome = VTSIM_VMX_STOPPED;
		break;
	}
}

void vtsim_hosted_get_gprs(struct vtsim_machine *m, unsigned lpn, uint64_t gpr[16])
{
	struct lp *lp = lp_of(m, lpn);
	if (lp)
		cpustate_get_gprs(&lp->cs, gpr);
	else
		memset(gpr, 0, 16 * sizeof(gpr[0]));
}

void vtsim_hosted_set_gprs(struct vtsim_machine *m, unsigned lpn, const uint64_t gpr[16])
{
	struct lp *lp = lp_of(m, lpn);
	if (lp)
		cpustate_set_gprs(&lp->cs, gpr, true);
}

static const int cr_ids[] = { [0] = UC_X86_REG_CR0, [3] = UC_X86_REG_CR3, [4] = UC_X86_REG_CR4 };

int vtsim_hosted_read_cr(struct vtsim_machine *m, unsigned lpn, unsigned cr, uint64_t *val)
{
	struct lp *lp = lp_of(m, lpn);
	if (!lp || (cr != 0 && cr != 3 && cr != 4))
		return -1;
	*val = cpu_reg(lp->uc, cr_ids[cr]);
	return 0;
}

int vtsim_hosted_write_cr(struct vtsim_machine *m, unsigned lpn, unsigned cr, uint64_t val)
{
	struct lp *lp = lp_of(m, lpn);
	if (!lp || lp->vmx.non_root || (cr != 0 && cr != 3 && cr != 4))
		return -1;
	if (cr == 0 && ((val >> 32) || vmx_check_cr0(lp, val)))
		return -1;
	if (cr == 4 && ((val & ~vmcs_caps_cr4_fixed1_from_cpuid(m->vmx_caps)) || vmx_check_cr4(lp, val)))
		return -1;
	if (cr == 4 && lp->vmx.on && !(val & (1u << 13)))
		return -1;                   /* CR4.VMXE cannot be cleared in VMX operation */
	cpu_set_reg(lp->uc, cr_ids[cr], val);
	return 0;
}

int vtsim_hosted_rdmsr(struct vtsim_machine *m, unsigned lpn, uint32_t msr, uint64_t *val)
{
	struct lp *lp = lp_of(m, lpn);
	return lp ? msr_read(lp, msr, val) : -1;
}

int vtsim_hosted_wrmsr(struct vtsim_machine *m, unsigned lpn, uint32_t msr, uint64_t val)
{
	struct lp *lp = lp_of(m, lpn);
	return lp ? msr_write(lp, msr, val) : -1;
}

uint32_t vtsim_hosted_apic_read(struct vtsim_machine *m, unsigned lpn, uint32_t offset)
{
	struct lp *lp = lp_of(m, lpn);
	return lp && offset <= 0xffc ? (uint32_t)lapic_mmio_read(lp, offset, 4) : ~0u;
}

void vtsim_hosted_apic_write(struct vtsim_machine *m, unsigned lpn, uint32_t offset, uint32_t val)
{
	struct lp *lp = lp_of(m, lpn);
	if (lp && offset <= 0xffc)
		lapic_mmio_write(lp, offset, 4, val);
}

void vtsim_hosted_cpuid(struct vtsim_machine *m, unsigned lpn, uint32_t leaf, uint32_t sub,
			uint32_t out[4])
{
	struct lp *lp = lp_of(m, lpn);
	struct cpuid_topology topo = { m->nr_lps, lp ? lp->apic_id : 0 };
	struct cpuid_regs r;
	cpuid_query(m->model, &topo, false, leaf, sub, &r);
	out[0] = r.eax;
	out[1] = r.ebx;
	out[2] = r.ecx;
	out[3] = r.edx;
}

void vtsim_hosted_tables(struct vtsim_machine *m, unsigned lpn, struct vtsim_host_tables *t)
{
	struct lp *lp = lp_of(m, lpn);
	memset(t, 0, sizeof(*t));
	if (!lp)
		return;
	uc_x86_mmr gdtr = { 0 }, idtr = { 0 };
	uc_reg_read(lp->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_read(lp->uc, UC_X86_REG_IDTR, &idtr);
	struct seg s[SEG_COUNT];
	cpustate_get_segs(&lp->cs, s);
	t->gdt_base = gdtr.base;
	t->idt_base = idtr.base;
	t->tr_base = s[SEG_TR].base;
	t->fs_base = s[SEG_FS].base;
	t->gs_base = s[SEG_GS].base;
	t->cs = s[SEG_CS].sel;
	t->ss = s[SEG_SS].sel;
	t->ds = s[SEG_DS].sel;
	t->es = s[SEG_ES].sel;
	t->fs = s[SEG_FS].sel;
	t->gs = s[SEG_GS].sel;
	t->tr = s[SEG_TR].sel;
}

/* struct vtsim_seamcall_args field order -> ModRM register numbers. */
static const uint8_t seam_arg_reg[14] = { 0, 1, 2, 8, 9, 10, 11, 12, 13, 14, 15, 3, 7, 6 };

enum vtsim_seamcall_outcome vtsim_seamcall(struct vtsim_machine *m, unsigned lpn,
					   struct vtsim_seamcall_args *a)
{
	struct lp *lp = lp_of(m, lpn);
	if (!lp || m->stopped)
		return VTSIM_SEAMCALL_STOPPED;
	struct cpu_view v;
	cpustate_view(&lp->cs, &v);
	uint64_t gpr[16] = { 0 }, *in = &a->rax;
	for (int i = 0; i < 14; i++)
		gpr[seam_arg_reg[i]] = in[i];
	enum seamcall_outcome outcome = seam_seamcall(lp, &v, gpr);
	seam_tell_outcome(lp, &v, DIAG_HOSTED, a->rax, outcome, gpr[0]);
	switch (outcome) {
	case SEAMCALL_DONE:
		for (int i = 0; i < 14; i++)
			in[i] = gpr[seam_arg_reg[i]];
		return VTSIM_SEAMCALL_DONE;
	case SEAMCALL_VMFAIL_INVALID:
		return VTSIM_SEAMCALL_VMFAIL_INVALID;
	case SEAMCALL_UD:
		return VTSIM_SEAMCALL_UD;
	case SEAMCALL_GP:
		return VTSIM_SEAMCALL_GP;
	default:
		return VTSIM_SEAMCALL_STOPPED;   /* a host VMM is never in VMX non-root */
	}
}

unsigned vtsim_machine_nr_cpus(const struct vtsim_machine *m)
{
	return m->nr_lps;
}

const char *vtsim_machine_stop_message(const struct vtsim_machine *m)
{
	return m->stopped ? m->stop_msg : "";
}

bool vtsim_machine_stopped(const struct vtsim_machine *m)
{
	return m->stopped;
}
