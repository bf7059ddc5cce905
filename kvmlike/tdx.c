/* The TDX half of kvmlike (Linux arch/x86/kvm/vmx/tdx.c). Its bring-up runs the
 * host core's tdx_enable (tdx_host.c): on a TDX platform the module comes up. The
 * TD half of kvmlike (TD and vCPU creation through TDH.MNG/TDH.VP, private memory,
 * the TDH.VP.ENTER loop) is not written yet, so enable_tdx stays false and
 * KVM_X86_TDX_VM is not offered: main.c never dispatches to the ops below. They
 * exist so the vt_ layer is whole, and each says so if it is ever reached. */
#include "kvmlike/tdx_host.h"
#include "kvmlike/x86_ops.h"

int tdx_bringup(void)
{
	if (tdx_enable()) {
		printk("kvmlike: TDX not available on this platform\n");
		return -ENODEV;
	}
	printk("kvmlike: TDX platform ready; kvmlike's TD support is not written yet: "
	       "KVM_X86_TDX_VM is not offered\n");
	return -EOPNOTSUPP;
}

#define TDX_UNREACHABLE() WARN_ON_ONCE(!enable_tdx)

int tdx_vm_init(struct kvm *kvm) { TDX_UNREACHABLE(); return -EINVAL; }
void tdx_vm_destroy(struct kvm *kvm) { TDX_UNREACHABLE(); }
int tdx_vcpu_create(struct kvm_vcpu *vcpu) { TDX_UNREACHABLE(); return -EINVAL; }
void tdx_vcpu_free(struct kvm_vcpu *vcpu) { TDX_UNREACHABLE(); }
void tdx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event) { TDX_UNREACHABLE(); }
void tdx_vcpu_load(struct kvm_vcpu *vcpu, int cpu) { TDX_UNREACHABLE(); }
void tdx_vcpu_put(struct kvm_vcpu *vcpu) { TDX_UNREACHABLE(); }
void tdx_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3) { TDX_UNREACHABLE(); }
void tdx_flush_tlb_all(struct kvm_vcpu *vcpu) { TDX_UNREACHABLE(); }

enum exit_fastpath_completion tdx_vcpu_run(struct kvm_vcpu *vcpu)
{
	TDX_UNREACHABLE();
	return EXIT_FASTPATH_NONE;
}

int tdx_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath)
{
	TDX_UNREACHABLE();
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	return -EIO;
}
