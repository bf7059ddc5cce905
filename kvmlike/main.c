/* The vt_ layer (Linux arch/x86/kvm/vmx/main.c): each kvm_x86_ops callback that
 * differs for a Trust Domain calls the tdx_ op for a TD and the vmx_ op otherwise;
 * the ops that are no-ops or constants for a TD are so here. Nothing else. */
#include "kvmlike/x86_ops.h"

#include <string.h>

bool enable_tdx;

/* The TDX part follows kvm_intel.tdx, before the module is known to come up (as
 * in Linux, tdx_bringup may turn TDX off after). */
int vt_hardware_setup(void)
{
	int r = vmx_hardware_setup();
	if (r)
		return r;
	if (enable_tdx)
		tdx_hardware_setup();
	return 0;
}

/* Once every LP is in VMX operation (Linux's vt_init runs tdx_bringup): TDs are
 * offered only if the module comes up. */
void vt_tdx_bringup(void)
{
	enable_tdx = enable_tdx && tdx_bringup() == 0;
}

/* An LP leaving VMX operation: a TD vCPU associated with it must be flushed
 * (TDH.VP.FLUSH) while SEAMCALLs still work there, then VMX's part. */
static void vt_disable_virtualization_cpu(void)
{
	if (enable_tdx)
		tdx_disable_virtualization_cpu();
	vmx_disable_virtualization_cpu();
}

static int vt_vm_init(struct kvm *kvm)
{
	if (is_td(kvm))
		return tdx_vm_init(kvm);
	return vmx_vm_init(kvm);
}

static void vt_vm_destroy(struct kvm *kvm)
{
	if (is_td(kvm))
		return tdx_vm_destroy(kvm);
	vmx_vm_destroy(kvm);
}

static int vt_vcpu_create(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_create(vcpu);
	return vmx_vcpu_create(vcpu);
}

static void vt_vcpu_free(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_free(vcpu);
	vmx_vcpu_free(vcpu);
}

static void vt_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_reset(vcpu, init_event);
	vmx_vcpu_reset(vcpu, init_event);
}

static void vt_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_load(vcpu, cpu);
	vmx_vcpu_load(vcpu, cpu);
}

static void vt_vcpu_put(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_put(vcpu);
	vmx_vcpu_put(vcpu);
}

static int vt_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_pre_run(vcpu);
	return vmx_vcpu_pre_run(vcpu);
}

static enum exit_fastpath_completion vt_vcpu_run(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_vcpu_run(vcpu);
	return vmx_vcpu_run(vcpu);
}

static int vt_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath)
{
	if (is_td_vcpu(vcpu))
		return tdx_handle_exit(vcpu, fastpath);
	return vmx_handle_exit(vcpu, fastpath);
}

/* A TD's registers are the module's: KVM never caches them on demand. */
static void vt_cache_reg(struct kvm_vcpu *vcpu, enum kvm_reg reg)
{
	if (WARN_ON_ONCE(is_td_vcpu(vcpu)))
		return;
	vmx_cache_reg(vcpu, reg);
}

static void vt_get_exit_info(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
			     uint32_t *intr_info, uint32_t *error_code)
{
	if (is_td_vcpu(vcpu)) {
		tdx_get_exit_info(vcpu, reason, info1, info2, intr_info, error_code);
		return;
	}
	vmx_get_exit_info(vcpu, reason, info1, info2, intr_info, error_code);
}

static void vt_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	if (is_td_vcpu(vcpu)) {
		memset(var, 0, sizeof(*var));
		return;
	}
	vmx_get_segment(vcpu, var, seg);
}

static void vt_set_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_segment(vcpu, var, seg);
}

static int vt_get_cpl(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return 0;
	return vmx_get_cpl(vcpu);
}

static uint64_t vt_get_rflags(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return 0;
	return vmx_get_rflags(vcpu);
}

static void vt_set_rflags(struct kvm_vcpu *vcpu, uint64_t rflags)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_rflags(vcpu, rflags);
}

static void vt_set_cr0(struct kvm_vcpu *vcpu, uint64_t cr0)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_cr0(vcpu, cr0);
}

static void vt_set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_cr4(vcpu, cr4);
}

static int vt_set_efer(struct kvm_vcpu *vcpu, uint64_t efer)
{
	if (is_td_vcpu(vcpu))
		return 0;
	return vmx_set_efer(vcpu, efer);
}

static void vt_get_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	if (is_td_vcpu(vcpu)) {
		memset(dt, 0, sizeof(*dt));
		return;
	}
	vmx_get_idt(vcpu, dt);
}

static void vt_set_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_idt(vcpu, dt);
}

static void vt_get_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	if (is_td_vcpu(vcpu)) {
		memset(dt, 0, sizeof(*dt));
		return;
	}
	vmx_get_gdt(vcpu, dt);
}

static void vt_set_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_gdt(vcpu, dt);
}

static void vt_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3)
{
	if (is_td_vcpu(vcpu))
		return tdx_load_mmu_pgd(vcpu, root_hpa, guest_cr3);
	vmx_load_mmu_pgd(vcpu, root_hpa, guest_cr3);
}

static void vt_flush_tlb_all(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_flush_tlb_all(vcpu);
	vmx_flush_tlb_all(vcpu);
}

static void vt_flush_tlb_current(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_flush_tlb_current(vcpu);
	vmx_flush_tlb_current(vcpu);
}

static void vt_inject_exception(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
				uint32_t error_code)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_inject_exception(vcpu, vector, has_error, error_code);
}

/* Events: the TDX module owns a TD's interruptibility, NMI blocking and event
 * windows; KVM can only ask it for an NMI (PEND_NMI) and post interrupts. */
static void vt_set_interrupt_shadow(struct kvm_vcpu *vcpu, int mask)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_interrupt_shadow(vcpu, mask);
}

static uint32_t vt_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return 0;
	return vmx_get_interrupt_shadow(vcpu);
}

static void vt_inject_irq(struct kvm_vcpu *vcpu, unsigned vector, bool reinjected)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_inject_irq(vcpu, vector, reinjected);
}

static void vt_deliver_interrupt(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector)
{
	if (is_td_vcpu(vcpu))
		return tdx_deliver_interrupt(vcpu, delivery_mode, trig_mode, vector);
	vmx_deliver_interrupt(vcpu, delivery_mode, trig_mode, vector);
}

static void vt_inject_nmi(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return tdx_inject_nmi(vcpu);
	vmx_inject_nmi(vcpu);
}

static void vt_cancel_injection(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_cancel_injection(vcpu);
}

static int vt_interrupt_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	if (is_td_vcpu(vcpu))
		return tdx_interrupt_allowed(vcpu);
	return vmx_interrupt_allowed(vcpu, for_injection);
}

/* The module keeps the NMI until the TD can take it: KVM always may ask. */
static int vt_nmi_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	if (is_td_vcpu(vcpu))
		return true;
	return vmx_nmi_allowed(vcpu, for_injection);
}

/* A TD's NMI blocking is hidden: KVM takes NMIs as unmasked. */
static bool vt_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return false;
	return vmx_get_nmi_mask(vcpu);
}

static void vt_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_set_nmi_mask(vcpu, masked);
}

static void vt_enable_irq_window(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_enable_irq_window(vcpu);
}

static void vt_enable_nmi_window(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return;
	vmx_enable_nmi_window(vcpu);
}

/* Only a TD's APIC is protected: a VM asking is a KVM bug. */
static bool vt_protected_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	if (WARN_ON_ONCE(!is_td_vcpu(vcpu)))
		return false;
	return tdx_protected_apic_has_interrupt(vcpu);
}

/* `kvm` may be NULL: what any VM could have (the VMX answer). */
static bool vt_has_emulated_msr(struct kvm *kvm, uint32_t index)
{
	if (kvm && is_td(kvm))
		return tdx_has_emulated_msr(index);
	return vmx_has_emulated_msr(kvm, index);
}

static int vt_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	if (is_td_vcpu(vcpu))
		return tdx_get_msr(vcpu, index, data);
	return vmx_get_msr(vcpu, index, data);
}

static int vt_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	if (is_td_vcpu(vcpu))
		return tdx_set_msr(vcpu, index, data);
	return vmx_set_msr(vcpu, index, data);
}

/* RIP is the TDX module's: a TDVMCALL exit is already past its TDCALL. */
static int vt_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	if (is_td_vcpu(vcpu))
		return 1;
	return vmx_skip_emulated_instruction(vcpu);
}

/* A TD gives its HKID back (and its vCPUs leave their LPs) before anything of it
 * is freed. */
static void vt_vm_pre_destroy(struct kvm *kvm)
{
	if (is_td(kvm))
		return tdx_mmu_release_hkid(kvm);
}

static int vt_mem_enc_ioctl(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	if (!is_td(kvm))
		return -ENOTTY;
	return tdx_vm_ioctl(kvm, cmd);
}

static int vt_vcpu_mem_enc_ioctl(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	if (!is_td_vcpu(vcpu))
		return -EINVAL;
	return tdx_vcpu_ioctl(vcpu, cmd);
}

struct kvm_x86_ops vt_x86_ops = {
	.name = "kvm_intel",
	.enable_virtualization_cpu = vmx_enable_virtualization_cpu,
	.disable_virtualization_cpu = vt_disable_virtualization_cpu,
	.vm_init = vt_vm_init,
	.vm_destroy = vt_vm_destroy,
	.vcpu_create = vt_vcpu_create,
	.vcpu_free = vt_vcpu_free,
	.vcpu_reset = vt_vcpu_reset,
	.vcpu_load = vt_vcpu_load,
	.vcpu_put = vt_vcpu_put,
	.vcpu_pre_run = vt_vcpu_pre_run,
	.vcpu_run = vt_vcpu_run,
	.handle_exit = vt_handle_exit,
	.skip_emulated_instruction = vt_skip_emulated_instruction,
	.cache_reg = vt_cache_reg,
	.get_exit_info = vt_get_exit_info,
	.get_segment = vt_get_segment,
	.set_segment = vt_set_segment,
	.get_cpl = vt_get_cpl,
	.get_rflags = vt_get_rflags,
	.set_rflags = vt_set_rflags,
	.set_cr0 = vt_set_cr0,
	.set_cr4 = vt_set_cr4,
	.set_efer = vt_set_efer,
	.get_idt = vt_get_idt,
	.set_idt = vt_set_idt,
	.get_gdt = vt_get_gdt,
	.set_gdt = vt_set_gdt,
	.load_mmu_pgd = vt_load_mmu_pgd,
	.flush_tlb_all = vt_flush_tlb_all,
	.flush_tlb_current = vt_flush_tlb_current,
	.inject_exception = vt_inject_exception,
	.set_interrupt_shadow = vt_set_interrupt_shadow,
	.get_interrupt_shadow = vt_get_interrupt_shadow,
	.inject_irq = vt_inject_irq,
	.deliver_interrupt = vt_deliver_interrupt,
	.inject_nmi = vt_inject_nmi,
	.cancel_injection = vt_cancel_injection,
	.interrupt_allowed = vt_interrupt_allowed,
	.nmi_allowed = vt_nmi_allowed,
	.get_nmi_mask = vt_get_nmi_mask,
	.set_nmi_mask = vt_set_nmi_mask,
	.enable_irq_window = vt_enable_irq_window,
	.enable_nmi_window = vt_enable_nmi_window,
	.protected_apic_has_interrupt = vt_protected_apic_has_interrupt,
	.has_emulated_msr = vt_has_emulated_msr,
	.get_msr = vt_get_msr,
	.set_msr = vt_set_msr,
	.vm_pre_destroy = vt_vm_pre_destroy,
	.mem_enc_ioctl = vt_mem_enc_ioctl,
	.vcpu_mem_enc_ioctl = vt_vcpu_mem_enc_ioctl,
};
