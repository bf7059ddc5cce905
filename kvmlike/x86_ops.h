/* The operations the x86 core calls on the vendor module (Linux struct
 * kvm_x86_ops), and the vmx_ and tdx_ functions behind main.c's vt_ wrappers
 * (Linux arch/x86/kvm/vmx/x86_ops.h). */
#ifndef KVMLIKE_X86_OPS_H
#define KVMLIKE_X86_OPS_H

#include "kvmlike/kvm_host.h"

/* handle_exit's fast-path hint from vcpu_run. */
enum exit_fastpath_completion { EXIT_FASTPATH_NONE, EXIT_FASTPATH_REENTER_GUEST };

#define KVM_X86_OPS(X)                                                            \
	X(enable_virtualization_cpu) X(disable_virtualization_cpu)                \
	X(vm_init) X(vm_destroy)                                                  \
	X(vcpu_create) X(vcpu_free) X(vcpu_reset) X(vcpu_load) X(vcpu_put)        \
	X(vcpu_pre_run) X(vcpu_run) X(handle_exit) X(skip_emulated_instruction) X(cache_reg)      \
	X(get_exit_info)                                                          \
	X(get_segment) X(set_segment) X(get_cpl) X(get_rflags) X(set_rflags)      \
	X(set_cr0) X(set_cr4) X(set_efer) X(get_idt) X(set_idt) X(get_gdt)        \
	X(set_gdt) X(load_mmu_pgd) X(flush_tlb_all) X(flush_tlb_current)        \
	X(inject_exception) X(set_interrupt_shadow) X(get_interrupt_shadow)     \
	X(inject_irq) X(deliver_interrupt) X(inject_nmi) X(cancel_injection)     \
	X(interrupt_allowed)                                                      \
	X(nmi_allowed) X(get_nmi_mask) X(set_nmi_mask) X(enable_irq_window)       \
	X(enable_nmi_window) X(protected_apic_has_interrupt)                      \
	X(has_emulated_msr) X(get_msr) X(set_msr)                                 \
	X(vm_pre_destroy) X(mem_enc_ioctl) X(vcpu_mem_enc_ioctl)                 \
	X(link_external_spt) X(set_external_spte) X(split_external_spt)          \
	X(remove_external_spte) X(free_external_spt)

struct kvm_x86_ops {
	const char *name;
	/* VMXON / VMXOFF on the current LP (CPU hotplug, suspend, unload). */
	int (*enable_virtualization_cpu)(void);
	void (*disable_virtualization_cpu)(void);
	int (*vm_init)(struct kvm *kvm);
	void (*vm_destroy)(struct kvm *kvm);
	int (*vcpu_create)(struct kvm_vcpu *vcpu);
	void (*vcpu_free)(struct kvm_vcpu *vcpu);
	void (*vcpu_reset)(struct kvm_vcpu *vcpu, bool init_event);
	void (*vcpu_load)(struct kvm_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct kvm_vcpu *vcpu);
	/* Once per KVM_RUN, before the first entry: 1 to run, else KVM_RUN's result. */
	int (*vcpu_pre_run)(struct kvm_vcpu *vcpu);
	enum exit_fastpath_completion (*vcpu_run)(struct kvm_vcpu *vcpu);
	int (*handle_exit)(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath);
	int (*skip_emulated_instruction)(struct kvm_vcpu *vcpu);
	void (*cache_reg)(struct kvm_vcpu *vcpu, enum kvm_reg reg);
	/* The last exit as user space's emulation-failure report gives it: the exit
	 * reason, the qualification, the IDT-vectoring information (a TD's extended
	 * qualification), the exit interruption information and its error code. */
	void (*get_exit_info)(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
			      uint32_t *intr_info, uint32_t *error_code);
	void (*get_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
	void (*set_segment)(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
	int (*get_cpl)(struct kvm_vcpu *vcpu);
	uint64_t (*get_rflags)(struct kvm_vcpu *vcpu);
	void (*set_rflags)(struct kvm_vcpu *vcpu, uint64_t rflags);
	void (*set_cr0)(struct kvm_vcpu *vcpu, uint64_t cr0);
	void (*set_cr4)(struct kvm_vcpu *vcpu, uint64_t cr4);
	int (*set_efer)(struct kvm_vcpu *vcpu, uint64_t efer);
	void (*get_idt)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
	void (*set_idt)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
	void (*get_gdt)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
	void (*set_gdt)(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
	void (*load_mmu_pgd)(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3);
	void (*flush_tlb_all)(struct kvm_vcpu *vcpu);
	void (*flush_tlb_current)(struct kvm_vcpu *vcpu);   /* the root load_mmu_pgd loaded */
	void (*inject_exception)(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
				 uint32_t error_code);
	/* Events (KVM_X86_SHADOW_INT_* masks; for_injection: an event would be
	 * injected now, not merely asked about). */
	void (*set_interrupt_shadow)(struct kvm_vcpu *vcpu, int mask);
	uint32_t (*get_interrupt_shadow)(struct kvm_vcpu *vcpu);
	void (*inject_irq)(struct kvm_vcpu *vcpu, unsigned vector, bool reinjected);
	/* An interrupt for the vCPU's local APIC (an MSI, KVM_SIGNAL_MSI): Linux's
	 * deliver_interrupt, here with the vCPU for the APIC kvmlike does not have. */
	void (*deliver_interrupt)(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector);
	void (*inject_nmi)(struct kvm_vcpu *vcpu);
	void (*cancel_injection)(struct kvm_vcpu *vcpu);
	int (*interrupt_allowed)(struct kvm_vcpu *vcpu, bool for_injection);
	int (*nmi_allowed)(struct kvm_vcpu *vcpu, bool for_injection);
	bool (*get_nmi_mask)(struct kvm_vcpu *vcpu);
	void (*set_nmi_mask)(struct kvm_vcpu *vcpu, bool masked);
	void (*enable_irq_window)(struct kvm_vcpu *vcpu);
	void (*enable_nmi_window)(struct kvm_vcpu *vcpu);
	/* A TD's virtual APIC is the module's: has it an interrupt the halted vCPU can
	 * take? (A TD only.) */
	bool (*protected_apic_has_interrupt)(struct kvm_vcpu *vcpu);
	/* MSRs: whether the VM type emulates `index` at all; a guest's (or
	 * TDVMCALL's) read and write, 0 or -1 (#GP, TDVMCALL_STATUS_INVALID_OPERAND). */
	bool (*has_emulated_msr)(struct kvm *kvm, uint32_t index);
	int (*get_msr)(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data);
	int (*set_msr)(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);
	void (*vm_pre_destroy)(struct kvm *kvm);
	int (*mem_enc_ioctl)(struct kvm *kvm, struct kvm_tdx_cmd *cmd);
	int (*vcpu_mem_enc_ioctl)(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd);
	/* The external (S-EPT) page-table hooks for a TD's private memory, at GFN
	 * `gfn` and `level` (0 = 4 KiB, 1 = 2 MiB): NULL in vt_x86_ops, filled in by
	 * the TDX bring-up as Linux's tdx_hardware_setup does. */
	int (*link_external_spt)(struct kvm *kvm, uint64_t gfn, int level);
	int (*set_external_spte)(struct kvm *kvm, uint64_t gfn, int level, uint64_t source_pa);
	int (*split_external_spt)(struct kvm *kvm, uint64_t gfn);
	/* pa: the page the mirror says backs `gfn` (Linux's pfn_for_gfn). */
	int (*remove_external_spte)(struct kvm *kvm, uint64_t gfn, int level, uint64_t pa);
	void (*free_external_spt)(struct kvm *kvm, uint64_t gfn, int level, uint64_t spt_pa);
};

/* Segment indices (VCPU_SREG_*). */
enum { VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS, VCPU_SREG_FS, VCPU_SREG_GS,
       VCPU_SREG_TR, VCPU_SREG_LDTR };

/* ---- VMX (vmx.c) ---- */
int vmx_hardware_setup(void);
int vmx_enable_virtualization_cpu(void);
void vmx_disable_virtualization_cpu(void);
int vmx_vm_init(struct kvm *kvm);
void vmx_vm_destroy(struct kvm *kvm);
int vmx_vcpu_create(struct kvm_vcpu *vcpu);
void vmx_vcpu_free(struct kvm_vcpu *vcpu);
void vmx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event);
void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void vmx_vcpu_put(struct kvm_vcpu *vcpu);
int vmx_vcpu_pre_run(struct kvm_vcpu *vcpu);
/* The VMX vCPU whose registers (x87/SSE, XCR0, SYSCALL MSRs) this LP's register
 * file still holds saves them: a TD's entry resets that register file. */
void vmx_flush_guest_regs(void);
enum exit_fastpath_completion vmx_vcpu_run(struct kvm_vcpu *vcpu);
int vmx_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath);
int vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu);
void vmx_cache_reg(struct kvm_vcpu *vcpu, enum kvm_reg reg);
void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
void vmx_set_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg);
int vmx_get_cpl(struct kvm_vcpu *vcpu);
void vmx_get_exit_info(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
		       uint32_t *intr_info, uint32_t *error_code);
uint64_t vmx_get_rflags(struct kvm_vcpu *vcpu);
void vmx_set_rflags(struct kvm_vcpu *vcpu, uint64_t rflags);
void vmx_set_cr0(struct kvm_vcpu *vcpu, uint64_t cr0);
void vmx_set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4);
int vmx_set_efer(struct kvm_vcpu *vcpu, uint64_t efer);
void vmx_get_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
void vmx_set_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
void vmx_get_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
void vmx_set_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt);
void vmx_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3);
void vmx_flush_tlb_all(struct kvm_vcpu *vcpu);
void vmx_flush_tlb_current(struct kvm_vcpu *vcpu);
void vmx_inject_exception(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
			  uint32_t error_code);
void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, int mask);
uint32_t vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu);
void vmx_inject_irq(struct kvm_vcpu *vcpu, unsigned vector, bool reinjected);
void vmx_deliver_interrupt(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector);
void vmx_inject_nmi(struct kvm_vcpu *vcpu);
void vmx_cancel_injection(struct kvm_vcpu *vcpu);
int vmx_interrupt_allowed(struct kvm_vcpu *vcpu, bool for_injection);
int vmx_nmi_allowed(struct kvm_vcpu *vcpu, bool for_injection);
bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu);
void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked);
void vmx_enable_irq_window(struct kvm_vcpu *vcpu);
void vmx_enable_nmi_window(struct kvm_vcpu *vcpu);
bool vmx_has_emulated_msr(struct kvm *kvm, uint32_t index);
int vmx_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data);
int vmx_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);

/* ---- TDX (tdx.c) ---- */
/* After VMXON on every LP: brings the TDX module up; 0 when TDs can be offered. */
int tdx_bringup(void);
/* hardware_setup's TDX part: the external (S-EPT) hooks into vt_x86_ops. */
void tdx_hardware_setup(void);
/* Before VMXOFF on this LP: the TD vCPUs associated with it are flushed. */
void tdx_disable_virtualization_cpu(void);
int tdx_vm_init(struct kvm *kvm);
void tdx_vm_destroy(struct kvm *kvm);
int tdx_vcpu_create(struct kvm_vcpu *vcpu);
void tdx_vcpu_free(struct kvm_vcpu *vcpu);
void tdx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event);
void tdx_vcpu_load(struct kvm_vcpu *vcpu, int cpu);
void tdx_vcpu_put(struct kvm_vcpu *vcpu);
int tdx_vcpu_pre_run(struct kvm_vcpu *vcpu);
void tdx_get_exit_info(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
		       uint32_t *intr_info, uint32_t *error_code);
enum exit_fastpath_completion tdx_vcpu_run(struct kvm_vcpu *vcpu);
int tdx_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath);
void tdx_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3);
void tdx_flush_tlb_all(struct kvm_vcpu *vcpu);
void tdx_flush_tlb_current(struct kvm_vcpu *vcpu);
void tdx_mmu_release_hkid(struct kvm *kvm);
void tdx_inject_nmi(struct kvm_vcpu *vcpu);
int tdx_interrupt_allowed(struct kvm_vcpu *vcpu);
bool tdx_protected_apic_has_interrupt(struct kvm_vcpu *vcpu);
void tdx_deliver_interrupt(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector);
bool tdx_has_emulated_msr(uint32_t index);
int tdx_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data);
int tdx_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data);
int tdx_vm_ioctl(struct kvm *kvm, struct kvm_tdx_cmd *cmd);
int tdx_sept_link_private_spt(struct kvm *kvm, uint64_t gfn, int level);
int tdx_sept_set_private_spte(struct kvm *kvm, uint64_t gfn, int level, uint64_t source_pa);
int tdx_sept_split_private_spt(struct kvm *kvm, uint64_t gfn);
int tdx_sept_remove_private_spte(struct kvm *kvm, uint64_t gfn, int level, uint64_t pa);
void tdx_sept_free_private_spt(struct kvm *kvm, uint64_t gfn, int level, uint64_t spt_pa);
int tdx_vcpu_ioctl(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd);

extern bool enable_tdx;
extern struct kvm_x86_ops vt_x86_ops;
int vt_hardware_setup(void);
void vt_tdx_bringup(void);

#endif
