/* vmx_insn.h for the hosted build: each instruction is a call into the simulated
 * logical processor kvmlike runs on (include/vtsim/hosted.h). */
#include "kvmlike/vmx_insn.h"

#include <string.h>

#include "kvmlike/runtime.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"

static const char *const insn_names[] = {
	[VTSIM_VMXON] = "vmxon", [VTSIM_VMXOFF] = "vmxoff", [VTSIM_VMCLEAR] = "vmclear",
	[VTSIM_VMPTRLD] = "vmptrld", [VTSIM_VMPTRST] = "vmptrst", [VTSIM_VMREAD] = "vmread",
	[VTSIM_VMWRITE] = "vmwrite", [VTSIM_VMLAUNCH] = "vmlaunch", [VTSIM_VMRESUME] = "vmresume",
	[VTSIM_VMCALL] = "vmcall", [VTSIM_INVEPT] = "invept", [VTSIM_INVVPID] = "invvpid",
};

/* The one place a VMX instruction that should not fail is reported. */
static void vmx_insn_failed(enum vtsim_vmx_insn insn, uint64_t operand,
			    const struct vtsim_vmx_result *r)
{
	static unsigned reported;
	/* A stopped machine fails everything; why it stopped is reported already. */
	if (vtsim_machine_stopped(kvm_machine()) || reported++ >= 16)
		return;
	if (r->outcome == VTSIM_VMFAIL_VALID)
		printk("kvmlike: %s (0x%llx) failed: VM-instruction error %u\n", insn_names[insn],
		       (unsigned long long)operand, r->error);
	else if (r->outcome == VTSIM_VMX_FAULT)
		printk("kvmlike: %s (0x%llx) faulted: vector %u, error code 0x%x\n", insn_names[insn],
		       (unsigned long long)operand, r->vector, r->error_code);
	else
		printk("kvmlike: %s (0x%llx) failed (VMfailInvalid or machine stopped)\n",
		       insn_names[insn], (unsigned long long)operand);
}

static void issue(enum vtsim_vmx_insn insn, struct vtsim_vmx_operands *ops, struct vtsim_vmx_result *r)
{
	vtsim_vmx(kvm_machine(), smp_processor_id(), insn, ops, r);
}

static int issue_ptr(enum vtsim_vmx_insn insn, uint64_t pa)
{
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result r;
	memcpy(ops.data, &pa, 8);
	issue(insn, &ops, &r);
	if (r.outcome != VTSIM_VMSUCCEED) {
		vmx_insn_failed(insn, pa, &r);
		return -EIO;
	}
	return 0;
}

int kvm_cpu_vmxon(uint64_t vmxon_pa)
{
	return issue_ptr(VTSIM_VMXON, vmxon_pa);
}

void kvm_cpu_vmxoff(void)
{
	struct vtsim_vmx_operands ops = { 0 };
	struct vtsim_vmx_result r;
	issue(VTSIM_VMXOFF, &ops, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		vmx_insn_failed(VTSIM_VMXOFF, 0, &r);
}

void vmcs_clear(uint64_t vmcs_pa)
{
	issue_ptr(VTSIM_VMCLEAR, vmcs_pa);
}

void vmcs_load(uint64_t vmcs_pa)
{
	issue_ptr(VTSIM_VMPTRLD, vmcs_pa);
}

uint64_t vmcs_read64(unsigned long field)
{
	struct vtsim_vmx_operands ops = { .reg = field };
	struct vtsim_vmx_result r;
	issue(VTSIM_VMREAD, &ops, &r);
	if (r.outcome != VTSIM_VMSUCCEED) {
		vmx_insn_failed(VTSIM_VMREAD, field, &r);
		return 0;
	}
	return r.value;
}

void vmcs_write64(unsigned long field, uint64_t value)
{
	struct vtsim_vmx_operands ops = { .reg = field, .rm = value };
	struct vtsim_vmx_result r;
	issue(VTSIM_VMWRITE, &ops, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		vmx_insn_failed(VTSIM_VMWRITE, field, &r);
}

int __vmx_vcpu_run(uint64_t regs[16], bool launched)
{
	struct vtsim_machine *m = kvm_machine();
	unsigned cpu = smp_processor_id();
	struct vtsim_vmx_operands ops = { 0 };
	struct vtsim_vmx_result r;
	vtsim_hosted_set_gprs(m, cpu, regs);
	issue(launched ? VTSIM_VMRESUME : VTSIM_VMLAUNCH, &ops, &r);
	switch (r.outcome) {
	case VTSIM_VMEXIT:
	case VTSIM_ENTRY_FAILED:
		vtsim_hosted_get_gprs(m, cpu, regs);
		return 0;
	case VTSIM_VMFAIL_VALID:
	case VTSIM_VMFAIL_INVALID:
		return 1;
	default:
		if (r.outcome == VTSIM_VMX_FAULT)
			vmx_insn_failed(launched ? VTSIM_VMRESUME : VTSIM_VMLAUNCH, 0, &r);
		return -1;
	}
}

static void invalidate(enum vtsim_vmx_insn insn, uint64_t type, uint64_t lo, uint64_t hi)
{
	struct vtsim_vmx_operands ops = { .reg = type, .mem = true };
	struct vtsim_vmx_result r;
	memcpy(ops.data, &lo, 8);
	memcpy(ops.data + 8, &hi, 8);
	issue(insn, &ops, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		vmx_insn_failed(insn, type, &r);
}

void ept_sync_context(uint64_t eptp)
{
	invalidate(VTSIM_INVEPT, 1, eptp, 0);
}

void ept_sync_global(void)
{
	invalidate(VTSIM_INVEPT, 2, 0, 0);
}

void vpid_sync_context(uint16_t vpid)
{
	invalidate(VTSIM_INVVPID, 1, vpid, 0);
}

void native_cpuid(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
	vtsim_hosted_cpuid(kvm_machine(), smp_processor_id(), leaf, sub, out);
}

uint64_t native_read_cr(unsigned cr)
{
	uint64_t v = 0;
	vtsim_hosted_read_cr(kvm_machine(), smp_processor_id(), cr, &v);
	return v;
}

int native_write_cr(unsigned cr, uint64_t val)
{
	return vtsim_hosted_write_cr(kvm_machine(), smp_processor_id(), cr, val);
}

void native_fxsave(uint8_t image[512])
{
	vtsim_hosted_fxsave(kvm_machine(), smp_processor_id(), image);
}

void native_fxrstor(const uint8_t image[512])
{
	vtsim_hosted_fxrstor(kvm_machine(), smp_processor_id(), image);
}

int native_xsetbv(uint64_t xcr0)
{
	return vtsim_hosted_xsetbv(kvm_machine(), smp_processor_id(), xcr0);
}

int rdmsrl_safe(uint32_t msr, uint64_t *val)
{
	return vtsim_hosted_rdmsr(kvm_machine(), smp_processor_id(), msr, val);
}

int wrmsrl_safe(uint32_t msr, uint64_t val)
{
	return vtsim_hosted_wrmsr(kvm_machine(), smp_processor_id(), msr, val);
}

void native_host_tables(struct host_tables *t)
{
	struct vtsim_host_tables h;
	vtsim_hosted_tables(kvm_machine(), smp_processor_id(), &h);
	*t = (struct host_tables){ h.gdt_base, h.idt_base, h.tr_base, h.fs_base, h.gs_base,
				   h.cs, h.ss, h.ds, h.es, h.fs, h.gs, h.tr };
}

uint64_t __seamcall_ret(uint64_t fn, struct tdx_module_args *args)
{
	struct vtsim_seamcall_args a = { fn, args->rcx, args->rdx, args->r8, args->r9, args->r10,
					 args->r11, args->r12, args->r13, args->r14, args->r15,
					 args->rbx, args->rdi, args->rsi };
	switch (vtsim_seamcall(kvm_machine(), smp_processor_id(), &a)) {
	case VTSIM_SEAMCALL_DONE:
		*args = (struct tdx_module_args){ a.rcx, a.rdx, a.r8, a.r9, a.r10, a.r11, a.r12,
						  a.r13, a.r14, a.r15, a.rbx, a.rdi, a.rsi };
		return a.rax;
	case VTSIM_SEAMCALL_VMFAIL_INVALID:
		return TDX_SEAMCALL_VMFAILINVALID;
	case VTSIM_SEAMCALL_UD:
		return TDX_SW_ERROR | 6;
	case VTSIM_SEAMCALL_GP:
		return TDX_SW_ERROR | 13;
	default:
		return TDX_SW_ERROR;
	}
}
