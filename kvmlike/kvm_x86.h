/* The x86 core's services to the vendor halves (Linux arch/x86/kvm/x86.h, mmu.h):
 * instruction emulation shared by VMX and TDX exits, the TDP page tables, and the
 * exits to user space. Handlers return 1 to re-enter the guest, 0 to return to
 * user space with vcpu->run filled. */
#ifndef KVMLIKE_KVM_X86_H
#define KVMLIKE_KVM_X86_H

#include "kvmlike/kvm_host.h"
#include "kvmlike/x86_ops.h"

/* Every call into the vendor module goes through kvm_x86_call, which counts it by
 * op and by the side (VMX or TDX) the VM's type sends it to (Linux: static_call). */
enum kvm_x86_op_id {
#define KVM_OP_ID(op) KVM_OP_##op,
	KVM_X86_OPS(KVM_OP_ID)
#undef KVM_OP_ID
	NR_KVM_X86_OPS
};
extern uint64_t kvm_x86_op_calls[NR_KVM_X86_OPS][2];
extern const char *const kvm_x86_op_names[NR_KVM_X86_OPS];
#define kvm_x86_call(kvm, op) (kvm_x86_op_calls[KVM_OP_##op][is_td(kvm)]++, vt_x86_ops.op)

/* CPU hotplug (Linux kvm_online_cpu/kvm_offline_cpu): VMX operation on `cpu`
 * begins (0 or -errno) or ends, through enable_/disable_virtualization_cpu. */
int kvm_online_cpu(unsigned cpu);
void kvm_offline_cpu(unsigned cpu);

/* EPT-format page tables for guest-physical memory, built as the guest touches it. */
struct tdp_mmu {
	uint64_t root;             /* host-physical address of the PML4 */
	unsigned pages;            /* table pages in use, the root included */
	uint64_t nonpresent;       /* what an empty entry holds */
};
int tdp_mmu_init(struct tdp_mmu *mmu);
/* The same, with empty entries that suppress #VE (a TD's shared EPT: only the
 * entries made for MMIO turn an access into the guest's #VE). */
int tdp_mmu_init_suppress_ve(struct tdp_mmu *mmu);
/* Makes `gpa` an MMIO page: a non-present entry that does not suppress #VE. */
int tdp_mmu_map_mmio(struct tdp_mmu *mmu, uint64_t gpa);
/* Makes `gpa` a cached MMIO page of a VM (Linux's mark_mmio_spte): an entry that is
 * an EPT misconfiguration, tagged with memslot generation `gen`. Not cached by the
 * processor, so no INVEPT is needed after it. 0 or -ENOMEM. */
int tdp_mmu_mark_mmio(struct tdp_mmu *mmu, uint64_t gpa, unsigned gen);
/* Is `gpa`'s entry a cached MMIO page? Then *gen is its memslot generation (low
 * bits: compare with kvm_mmio_gen). */
bool tdp_mmu_mmio_gen(struct tdp_mmu *mmu, uint64_t gpa, unsigned *gen);
/* Makes `gpa`'s entry empty again. Only for entries the processor does not cache
 * (MMIO ones): a mapped page would need INVEPT. */
void tdp_mmu_zap(struct tdp_mmu *mmu, uint64_t gpa);
/* Empties every 4 KiB entry of [start, end) (a table that is missing holds none);
 * whether any mapped a page or MMIO, so that the caller flushes TLBs (INVEPT). */
bool tdp_mmu_zap_range(struct tdp_mmu *mmu, uint64_t start, uint64_t end);
/* Maps the 4 KiB page at gpa to hpa, read/write/execute, write-back. 0 or -ENOMEM. */
int tdp_mmu_map(struct tdp_mmu *mmu, uint64_t gpa, uint64_t hpa);
void tdp_mmu_destroy(struct tdp_mmu *mmu);

/* The mirror of a TD's private EPT (Linux's mirror root, mmu.c): each private page
 * the S-EPT maps, its first GFN, its level (0: 4 KiB, 1: 2 MiB) and the host page
 * backing it (its memslot's guest_memfd's). The generic MMU keeps it and reaches
 * the S-EPT only through the external hooks (link/set/split/remove_external_spt*). */
#define KVM_MAX_MIRROR_SPTES 4096
struct kvm_mirror_spte { uint64_t gfn; unsigned level; uint64_t pa; };
struct kvm_mirror {
	struct kvm_mirror_spte spte[KVM_MAX_MIRROR_SPTES];
	unsigned n;
};
/* A VM with a mirror root (a TD): 0 or -ENOMEM. Freed with the VM. */
int kvm_mmu_init_mirror(struct kvm *kvm);
void kvm_mmu_free_mirror(struct kvm *kvm);
/* The mirror entry mapping `gfn` (any level), or NULL. */
const struct kvm_mirror_spte *kvm_mmu_find_private(const struct kvm *kvm, uint64_t gfn);
/* A private fault or an initial page: the external tables are linked, then the
 * leaf set (source_pa: the initial contents, or 0), then the mirror records it. A
 * GFN no guest_memfd backs, or a full mirror, fails before any hook: -EINVAL. */
int kvm_mmu_map_private(struct kvm *kvm, uint64_t gfn, unsigned level, uint64_t source_pa);
/* The 2 MiB private page at `gfn` becomes 512 4 KiB ones (split_external_spt). */
int kvm_mmu_split_private(struct kvm *kvm, uint64_t gfn);
/* Every private page is removed (remove_external_spte); the ones refused stay. */
void kvm_mmu_zap_all_private(struct kvm *kvm);

/* Which roots a zap reaches (Linux's attr_filter). */
enum { KVM_FILTER_SHARED = 1, KVM_FILTER_PRIVATE = 2 };
/* Zaps [start, end) (GFNs without the direct bits) in the roots `attr_filter`
 * names (Linux kvm_unmap_gfn_range): the mirror's pages through the external
 * hooks, splitting first a 2 MiB page only partly inside; the direct root's
 * entries with gfn_direct_bits. Whether the direct root lost an entry, so that
 * the caller flushes TLBs. */
bool kvm_mmu_unmap_gfn_range(struct kvm *kvm, uint64_t start, uint64_t end, unsigned attr_filter);

/* The host's interrupt handlers by vector (the host IDT's part for kvmlike): a VM
 * exit that acknowledged an external interrupt runs its handler at once. */
typedef void (*kvm_host_irq_fn)(unsigned vector);
void kvm_set_host_irq_handler(uint8_t vector, kvm_host_irq_fn fn);
/* Runs the handler of `vector`: false when there is none. */
bool kvm_host_irq_dispatch(uint8_t vector);
/* The host's machine-check handler, run for a guest's #MC or one during VM entry. */
void kvm_machine_check(void);

int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu);
/* CPUID as the guest sees it (the host's, no VMX, KVM's signature leaves). */
void kvm_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t sub, uint32_t r[4]);
int kvm_emulate_cpuid(struct kvm_vcpu *vcpu);
/* The MSRs kvmlike emulates: 0, or -1 where RDMSR/WRMSR would #GP. */
int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *v);
int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v);
/* What vmx_/tdx_get_msr and set_msr fall back on: kvmlike's table of MSRs. */
bool kvm_msr_is_emulated(uint32_t index);
int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *v);
int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v);
int kvm_emulate_halt(struct kvm_vcpu *vcpu);
int kvm_emulate_hypercall(struct kvm_vcpu *vcpu);
int kvm_emulate_xsetbv(struct kvm_vcpu *vcpu);
int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu);
int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu);
/* MOV to CR0/CR3/CR4/CR8: 0, or 1 after injecting #GP. */
int kvm_set_cr(struct kvm_vcpu *vcpu, unsigned cr, uint64_t val);
int kvm_fast_pio(struct kvm_vcpu *vcpu, unsigned size, uint16_t port, int in);
/* An access to guest-physical `gpa` outside every memslot: decodes the instruction
 * at RIP (emulate.c) and exits with KVM_EXIT_MMIO. */
int kvm_emulate_mmio(struct kvm_vcpu *vcpu, uint64_t gpa);
/* KVM cannot go on (a table page it cannot allocate, an MMIO entry it did not
 * make): KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION without the
 * instruction's bytes (kvm_prepare_emulation_failure_exit); 0. */
int kvm_emulation_failed(struct kvm_vcpu *vcpu);
/* An instruction KVM cannot emulate (Linux's handle_emulation_failure): #UD for
 * the guest, and at CPL 0 the failure exit with `insn_size` bytes of it too; 1 to
 * enter the guest, 0 to go to user space. kvm_emulation_failed_at_rip fetches
 * the bytes at RIP first. */
int kvm_handle_emulation_failure(struct kvm_vcpu *vcpu, const uint8_t *insn, unsigned insn_size);
int kvm_emulation_failed_at_rip(struct kvm_vcpu *vcpu);
/* KVM_EXIT_INTERNAL_ERROR as Linux reports it. An exit KVM has no handler for
 * (UNEXPECTED_EXIT_REASON): the reason and the LP of the last entry. An exit
 * during event delivery that KVM cannot handle (DELIVERY_EV): the IDT-vectoring
 * information, the reason, the qualification, the GPA (or KVM_INVALID_GPA) and
 * the LP. */
void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, uint64_t exit_reason);
/* Any suberror: `n` data words, then that LP (ndata n + 1). */
void kvm_prepare_internal_error_exit(struct kvm_vcpu *vcpu, uint32_t suberror,
				     const uint64_t *data, unsigned n);
void kvm_prepare_event_vectoring_exit(struct kvm_vcpu *vcpu, uint32_t vectoring_info,
				      uint32_t exit_reason, uint64_t qual, uint64_t gpa);

/* task_switch.c: the task switch of VM exit 9 (Linux kvm_task_switch). The
 * source, as bits 31:30 of the exit qualification. */
enum kvm_task_switch_reason {
	KVM_TASK_SWITCH_CALL = 0,
	KVM_TASK_SWITCH_IRET = 1,
	KVM_TASK_SWITCH_JMP = 2,
	KVM_TASK_SWITCH_GATE = 3,
};
/* Switches to the task of TSS `tss_selector` (idt_index: a software interrupt's
 * vector, else -1; the error code of an exception delivered through a task gate
 * goes on the new task's stack). A fault of the switch is injected; 1 to enter
 * the guest, or 0 with KVM_EXIT_INTERNAL_ERROR (EMULATION) when the TSS or a
 * descriptor is not in guest RAM or the new task is a virtual-8086 one. */
int kvm_task_switch(struct kvm_vcpu *vcpu, uint16_t tss_selector, int idt_index, int reason,
		    bool has_error_code, uint32_t error_code);
/* Guest memory by linear address (paging off or 4-level): 0, or -1 at a byte
 * that is not guest RAM. */
int kvm_read_guest_linear(struct kvm_vcpu *vcpu, uint64_t la, void *buf, unsigned len);
int kvm_write_guest_linear(struct kvm_vcpu *vcpu, uint64_t la, const void *buf, unsigned len);

/* Completes what user space answered (IN data, MMIO read data). */
int kvm_complete_userspace_io(struct kvm_vcpu *vcpu);

/* emulate.c: the MMIO instructions kvmlike understands (MOV, MOVZX between a
 * register or immediate and memory). */
struct mmio_insn {
	unsigned len;              /* instruction length */
	unsigned size;             /* access size in bytes */
	bool write;
	bool has_imm;
	uint64_t imm;
	unsigned reg;              /* register operand (VCPU_REGS_* order) */
	bool zero_extend;          /* MOVZX, or a 32-bit destination */
	bool high_byte;            /* AH, CH, DH, BH without REX */
};
/* 0, or -1 if the bytes are not an instruction kvmlike emulates. */
int decode_mmio_insn(const uint8_t *bytes, unsigned n, struct mmio_insn *out);
/* Guest-linear to guest-physical with the guest's paging (4-level or off). */
int guest_linear_to_gpa(struct kvm_vcpu *vcpu, uint64_t la, uint64_t *gpa);

#endif
