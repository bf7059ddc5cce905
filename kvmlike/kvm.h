/* kvmlike's user API: what /dev/kvm's ioctls do, as functions with KVM's names
 * (KVM_CREATE_VM, KVM_SET_USER_MEMORY_REGION, KVM_CREATE_VCPU, KVM_GET/SET_REGS,
 * KVM_GET/SET_SREGS, KVM_RUN). Errors are negative errno values. */
#ifndef KVMLIKE_KVM_H
#define KVMLIKE_KVM_H

#include "kvmlike/kvm_host.h"

/* Loads the module: hardware setup, VMXON on every logical processor, and TDX
 * bring-up when kvm_intel_tdx is set. */
int kvm_init(void);

/* Linux's kvm_intel.tdx module parameter: whether kvm_init brings TDX up (true by
 * default here). With it clear, kvmlike issues no SEAMCALL at all, as a VMX-only
 * host does (`vtsim vm` without --tdx). */
extern bool kvm_intel_tdx;
void kvm_exit(void);
/* The VM types this machine supports, as KVM_CAP_VM_TYPES reports them. */
unsigned kvm_vm_types(void);

int kvm_create_vm(unsigned long type, struct kvm **out);
void kvm_destroy_vm(struct kvm *kvm);
/* KVM_ENABLE_CAP on a VM: KVM_CAP_EXIT_HYPERCALL (-EINVAL for a hypercall not
 * in KVM_EXIT_HYPERCALL_VALID_MASK) and KVM_CAP_SPLIT_IRQCHIP (-EINVAL for
 * args[0] above KVM_MAX_IRQ_ROUTES, -EEXIST when the VM has its irqchip or a
 * vCPU already); -EINVAL for flags or another cap. A TD needs the split
 * irqchip before its vCPUs, as in Linux (tdx_vcpu_create: -EINVAL). */
int kvm_vm_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap);
/* KVM_CREATE_IRQCHIP (PIC, I/O APIC and local APICs in the kernel): -ENOTTY,
 * as from a Linux built without CONFIG_KVM_IOAPIC, and from any Linux for a TD
 * (its EOIs are the TDX module's, so level-triggered interrupts cannot be
 * emulated). User space uses KVM_CAP_SPLIT_IRQCHIP. */
int kvm_vm_create_irqchip(struct kvm *kvm);
int kvm_set_user_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem);
/* KVM_SET_MEMORY_ATTRIBUTES: [address, address + size) becomes private
 * (KVM_MEMORY_ATTRIBUTE_PRIVATE, a TD only) or shared (0); a TD's memory starts
 * shared, as in Linux. The view the range leaves is unmapped, as Linux's
 * kvm_mmu_unmap_gfn_range does: private pages of a range made shared are removed
 * (the guest accepts them again after making them private), shared-EPT entries of
 * a range made private are zapped and the vCPUs' TLBs flushed before they run.
 * 0, -EINVAL (flags, unsupported attributes, empty, unaligned or wrapping range),
 * -EFAULT (no attributes given) or -ENOMEM (too many separate private ranges). */
int kvm_vm_set_memory_attributes(struct kvm *kvm, const struct kvm_memory_attributes *attrs);
/* KVM_SET_USER_MEMORY_REGION2: as KVM_SET_USER_MEMORY_REGION, and with
 * KVM_MEM_GUEST_MEMFD (a TD only, else -EINVAL) the slot's private memory comes
 * from guest_memfd at guest_memfd_offset: -EINVAL for an offset not page-aligned,
 * a file too small or not a guest_memfd, -EBADF for no such fd, -EEXIST when
 * another slot is bound to that part of the file. */
int kvm_set_user_memory_region2(struct kvm *kvm, const struct kvm_userspace_memory_region2 *mem);
/* KVM_CREATE_GUEST_MEMFD: the new file's fd, or -EINVAL (size 0 or not
 * page-aligned, flags), -EMFILE (too many open), -ENOMEM. */
int kvm_create_guest_memfd(struct kvm *kvm, const struct kvm_create_guest_memfd *args);
/* fallocate(2) on a guest_memfd: FALLOC_FL_KEEP_SIZE allocates [offset, offset +
 * len), with FALLOC_FL_PUNCH_HOLE frees it (unmapping whatever private pages the
 * VM mapped from it first), as user space does when memory becomes shared.
 * -EBADF, -EOPNOTSUPP (other modes), -EINVAL (unaligned, or allocating past the end). */
int kvm_gmem_fallocate(struct kvm *kvm, int fd, int mode, uint64_t offset, uint64_t len);
/* Not KVM's: the host kernel's view (the direct map, KeyID 0) of the page at
 * `offset` of a guest_memfd, or NULL where the file has none; user space has no
 * way to read it, this is for showing what the host would see. */
const void *kvm_gmem_host_view(struct kvm *kvm, int fd, uint64_t offset);
int kvm_create_vcpu(struct kvm *kvm, unsigned id, struct kvm_vcpu **out);

int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs);
int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs);
int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *sregs);
int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *sregs);
/* KVM_RUN: runs until an exit user space must handle (vcpu->run says which); -EFAULT
 * with KVM_EXIT_MEMORY_FAULT when a TD's access does not match the attributes. */
int kvm_vcpu_run(struct kvm_vcpu *vcpu);
/* KVM_NMI: an NMI, injected at the next KVM_RUN when the guest can take it (an
 * NMI-window exit first if it cannot). A TD's is the TDX module's to inject:
 * kvmlike sets the vCPU's PEND_NMI (TDH.VP.WR). */
int kvm_vcpu_nmi(struct kvm_vcpu *vcpu);
/* KVM_INTERRUPT: external interrupt `irq->irq`, injected
 * at the next KVM_RUN once RFLAGS.IF and the interrupt shadow allow it (an
 * interrupt-window exit first if they do not); -EINVAL for a vector past 255.
 * Without an irqchip a vector sent while another waits replaces it (Linux's
 * kvm_queue_interrupt; 0, not an error); with the split irqchip it is the
 * PIC's ExtINT, taken before the IRR's vectors, and -EEXIST while one waits
 * (Linux's pending_external_vector; kvmlike has no LVT0, which Linux asks
 * whether the APIC accepts ExtINT). A TD takes interrupts only posted
 * (KVM_SIGNAL_MSI): its vt_inject_irq drops the vector, as Linux's does. */
int kvm_vcpu_interrupt(struct kvm_vcpu *vcpu, const struct kvm_interrupt *irq);
/* KVM_SIGNAL_MSI: an MSI to the local APIC its address names (Linux
 * kvm_send_userspace_msi). kvmlike emulates no local APIC: only fixed delivery in
 * physical destination mode to a vCPU's APIC ID (its vcpu_id), which reaches the
 * vCPU through deliver_interrupt: a TD's is posted in the PIR
 * (tdx_deliver_interrupt), a VM's set in the vCPU's IRR, where any number wait
 * and the highest is injected first (after KVM_INTERRUPT's). 1 when delivered, 0 when no vCPU has the
 * APIC ID; -EINVAL without the split irqchip or for a flag but KVM_MSI_VALID_DEVID
 * (Linux's errors), and for what kvmlike does not model: address_hi, an address
 * outside FEExxxxxH, logical destination mode, another delivery mode or a vector
 * below 16. */
int kvm_vm_signal_msi(struct kvm *kvm, const struct kvm_msi *msi);

/* KVM_GET_SUPPORTED_CPUID: what a guest may be shown; -E2BIG (nent = the count)
 * when cpuid->nent is too small. */
int kvm_get_supported_cpuid(struct kvm_cpuid2 *cpuid);

/* KVM_MEMORY_ENCRYPT_OP on the VM and on a vCPU (the KVM_TDX_* commands). */
int kvm_memory_encrypt_op(struct kvm *kvm, struct kvm_tdx_cmd *cmd);
int kvm_vcpu_memory_encrypt_op(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd);

/* User space's memory for guests ("mmap"): it must be memory the hardware sees. */
void *kvm_userspace_alloc(uint64_t size);
void kvm_userspace_free(void *p, uint64_t size);

#endif
