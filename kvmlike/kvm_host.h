/* kvmlike's core objects: the VM, its memory slots and vCPUs (Linux
 * include/linux/kvm_host.h and arch/x86/include/asm/kvm_host.h, reduced). */
#ifndef KVMLIKE_KVM_HOST_H
#define KVMLIKE_KVM_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "kvmlike/runtime.h"
#include "kvmlike/uapi.h"

#define KVM_MAX_VCPUS     8
#define KVM_MAX_MEMSLOTS  8
#define KVM_MAX_GMEM_FILES 8       /* guest_memfds open per VM */

/* The register cache (VCPU_REGS_*: the order of the ModRM register numbers). */
enum kvm_reg {
	VCPU_REGS_RAX, VCPU_REGS_RCX, VCPU_REGS_RDX, VCPU_REGS_RBX,
	VCPU_REGS_RSP, VCPU_REGS_RBP, VCPU_REGS_RSI, VCPU_REGS_RDI,
	VCPU_REGS_R8, VCPU_REGS_R9, VCPU_REGS_R10, VCPU_REGS_R11,
	VCPU_REGS_R12, VCPU_REGS_R13, VCPU_REGS_R14, VCPU_REGS_R15,
	VCPU_REGS_RIP,
	VCPU_EXREG_CR3,            /* the guest writes CR3 without exits under EPT */
	NR_VCPU_REGS,
};

struct kvm_memory_slot {
	bool used;
	uint64_t base_gfn;
	uint64_t npages;
	uint64_t hpa;              /* host-physical address of the first page */
	uint32_t flags;
	struct kvm_gmem *gmem;     /* KVM_MEM_GUEST_MEMFD: the private half, or NULL */
	uint64_t gmem_pgoff;       /* the file's page backing base_gfn */
};

/* What kvmlike counts, for `vtsim demo` and the tests. */
#define KVM_NR_EXIT_REASONS 96
struct kvm_vcpu_stat {
	uint64_t exits;
	uint64_t exits_by_reason[KVM_NR_EXIT_REASONS];
	uint64_t io_exits, mmio_exits, halt_exits, hypercalls, ept_maps;
	uint64_t irq_exits;        /* the host's external interrupts (exit reason 1) */
	uint64_t ept_maps_2m;      /* of ept_maps, the TD's private pages mapped at 2 MiB */
	uint64_t pf_spurious;      /* faults on what was mapped already: entered again */
	uint64_t nmi_injections, irq_injections;
};

/* What kvmlike counts per VM (Linux's VM-wide MMU statistics). */
struct kvm_vm_stat {
	uint64_t ept_splits;       /* 2 MiB private pages split (4 KiB ACCEPT, conversion) */
};

struct kvm;
struct tdp_mmu;
struct kvm_mirror;

/* Requests serviced before the next VM entry (Linux kvm_make_request). */
enum {
	KVM_REQ_TLB_FLUSH,         /* flush_tlb_all: a mapping the vCPU may cache went */
	KVM_REQ_LOAD_MMU_PGD,      /* load_mmu_pgd of mmu_root_hpa, then flush_tlb_current */
	KVM_REQ_EVENT,             /* a queued NMI or interrupt: inject it or open its window */
};

/* The interrupt shadow (get/set_interrupt_shadow), as KVM names its bits. */
#define KVM_X86_SHADOW_INT_MOV_SS 1
#define KVM_X86_SHADOW_INT_STI    2

/* Where the VM's interrupt controllers are (Linux kvm->arch.irqchip_mode): all in
 * user space, or the local APICs in the kernel and the I/O APIC and PIC in user
 * space (KVM_CAP_SPLIT_IRQCHIP). Linux's third mode, everything in the kernel
 * (KVM_CREATE_IRQCHIP), does not exist here. */
enum kvm_irqchip_mode {
	KVM_IRQCHIP_NONE,
	KVM_IRQCHIP_SPLIT,
};
#define KVM_MAX_IRQ_ROUTES 4096    /* KVM_CAP_SPLIT_IRQCHIP's args[0] limit (x86) */

/* The private memory attribute as sorted, disjoint, non-adjacent GFN ranges
 * [start, end) (Linux keeps an xarray of attributes per GFN). */
#define KVM_MAX_PRIVATE_RANGES 64
struct kvm_gfn_range { uint64_t start, end; };

struct kvm_vcpu {
	struct kvm *kvm;
	unsigned vcpu_id;
	int cpu;                   /* the logical processor it is loaded on, or -1 */
	int last_vmentry_cpu;      /* where it last entered the guest (-1: never) */
	struct kvm_run *run;       /* two pages: kvm_run, then the pio data */
	uint64_t regs[NR_VCPU_REGS];
	uint32_t regs_avail;       /* bit per kvm_reg: the cache holds the value */
	uint32_t regs_dirty;       /* bit per kvm_reg: the cache must be written back */
	uint64_t cr0, cr4, efer;   /* the guest's view (the VMCS may hold more bits) */
	uint64_t xcr0;             /* the guest's XCR0 (XSETBV always exits) */
	/* A user-space completion owed to the guest (Linux complete_userspace_io):
	 * the instruction finishes, RIP moves past it, at the next KVM_RUN. For an IN
	 * or an MMIO read, the register the data lands in, with its size. */
	bool pio_pending, pio_in, mmio_read_pending;
	unsigned complete_reg, complete_size;
	uint64_t complete_rip;
	/* Or a vendor's own completion (Linux vcpu->arch.complete_userspace_io): 1
	 * enters the guest, 0 goes back to user space with another exit, < 0 fails
	 * KVM_RUN. */
	int (*complete_userspace_io)(struct kvm_vcpu *vcpu);
	uint32_t requests;         /* bit per KVM_REQ_* */
	/* Events user space queued (KVM_NMI, KVM_INTERRUPT) and not yet injected. */
	bool nmi_pending, irq_pending;
	uint8_t irq_vector;
	/* A VM's interrupt request register: the vectors deliver_interrupt (an MSI)
	 * set and not yet injected, bit n for vector n (Linux's APIC IRR; kvmlike
	 * emulates the register alone, no ISR, PPR or EOI: the "local APIC" of
	 * KVM_CAP_SPLIT_IRQCHIP is this register, and a TD's posted-interrupt
	 * descriptor). */
	uint32_t irr[8];
	uint64_t mmu_root_hpa;     /* the root load_mmu_pgd gives the CPU (a TD: shared EPT) */
	struct kvm_vcpu_stat stat;
	void *priv;                /* struct vcpu_vmx or struct vcpu_tdx */
};

struct kvm {
	unsigned long vm_type;
	struct kvm_memory_slot memslots[KVM_MAX_MEMSLOTS];
	unsigned memslots_generation;      /* changes with every memslot update */
	struct kvm_vcpu *vcpus[KVM_MAX_VCPUS];
	unsigned nr_vcpus;
	uint64_t hypercall_exit_enabled;   /* KVM_CAP_EXIT_HYPERCALL's set */
	enum kvm_irqchip_mode irqchip_mode;
	uint32_t nr_reserved_ioapic_pins;  /* KVM_CAP_SPLIT_IRQCHIP's args[0] */
	bool vm_dead;              /* kvm_vm_dead: KVM_RUN fails with -EIO from now on */
	struct kvm_gfn_range private_ranges[KVM_MAX_PRIVATE_RANGES];
	unsigned nr_private_ranges;
	/* The VM's guest_memfds, by fd (per VM here; Linux's are process-wide files
	 * tied to the VM that made them). Closed with the VM. */
	struct kvm_gmem *gmem_files[KVM_MAX_GMEM_FILES];
	struct kvm_vm_stat stat;
	/* The TDP MMU's roots (Linux kvm->arch.mmu and kvm_has_mirrored_tdp): the direct
	 * one, the vendor's EPT, which for a TD maps the GPAs with gfn_direct_bits (a GPA
	 * bit here: the shared bit) set; and a TD's mirror of its private EPT (NULL for a VM). */
	struct tdp_mmu *direct_root;
	uint64_t gfn_direct_bits;
	struct kvm_mirror *mirror;
	void *priv;                /* struct kvm_vmx or struct kvm_tdx */
};

static inline bool is_td(const struct kvm *kvm)
{
	return kvm->vm_type == KVM_X86_TDX_VM;
}

static inline bool is_td_vcpu(const struct kvm_vcpu *vcpu)
{
	return is_td(vcpu->kvm);
}

/* Linux's irqchip_in_kernel and irqchip_split: with one mode besides none,
 * the same question. */
static inline bool irqchip_in_kernel(const struct kvm *kvm)
{
	return kvm->irqchip_mode != KVM_IRQCHIP_NONE;
}

static inline bool irqchip_split(const struct kvm *kvm)
{
	return kvm->irqchip_mode == KVM_IRQCHIP_SPLIT;
}

/* Cached MMIO entries carry the generation in 6 bits. Slots are only ever added,
 * so it counts at most KVM_MAX_MEMSLOTS updates and never wraps (Linux zaps every
 * MMIO entry when its wider counter does). */
_Static_assert(KVM_MAX_MEMSLOTS < 64, "memslot generation must fit an MMIO entry");
static inline unsigned kvm_mmio_gen(const struct kvm *kvm)
{
	return kvm->memslots_generation & 0x3f;
}

static inline void kvm_make_request(unsigned req, struct kvm_vcpu *vcpu)
{
	vcpu->requests |= 1u << req;
}

void kvm_make_all_cpus_request(struct kvm *kvm, unsigned req);

/* A VM's IRR (Linux's kvm_lapic_set_irr and apic_find_highest_irr): a vector
 * sets its bit, however many others wait; the highest is injected first. */
static inline void kvm_lapic_set_irr(unsigned vector, struct kvm_vcpu *vcpu)
{
	vcpu->irr[(vector & 0xff) / 32] |= 1u << (vector % 32);
}

static inline int kvm_lapic_find_highest_irr(const struct kvm_vcpu *vcpu)
{
	for (int i = 7; i >= 0; i--)
		if (vcpu->irr[i])
			return i * 32 + 31 - __builtin_clz(vcpu->irr[i]);
	return -1;
}

/* Has every GFN of [gfn, gfn + n) the private attribute? */
bool kvm_range_is_private(const struct kvm *kvm, uint64_t gfn, uint64_t n);
static inline bool kvm_mem_is_private(const struct kvm *kvm, uint64_t gfn)
{
	return kvm_range_is_private(kvm, gfn, 1);
}

/* The slot holding guest frame `gfn`, or NULL (MMIO). */
const struct kvm_memory_slot *gfn_to_memslot(const struct kvm *kvm, uint64_t gfn);
/* guest_memfd (guest_memfd.c). The host page backing private `gfn` of `slot` at
 * `level` (0: 4 KiB, 1: 2 MiB, allocated zeroed on first use), or 0. */
uint64_t kvm_gmem_get_pfn(const struct kvm_memory_slot *slot, uint64_t gfn, unsigned level);
/* The largest level the file lets `gfn` be mapped at: 1 when the 2 MiB around it
 * lies in the slot and the file at the same alignment and is one 2 MiB page or
 * not allocated yet; else 0. */
unsigned kvm_gmem_max_level(const struct kvm_memory_slot *slot, uint64_t gfn);
/* A page the TDX module kept (not reclaimed): the file forgets it, never frees it. */
void kvm_gmem_leak(const struct kvm_memory_slot *slot, uint64_t gfn, unsigned level);
int kvm_gmem_bind(struct kvm *kvm, struct kvm_memory_slot *slot, unsigned fd, uint64_t offset);
void kvm_gmem_release_all(struct kvm *kvm);

/* Host pointer for guest-physical `gpa`, with `len` bytes inside one slot; NULL if
 * it is not guest RAM. */
void *kvm_gpa_to_hva(const struct kvm *kvm, uint64_t gpa, uint64_t len);

uint64_t kvm_register_read(struct kvm_vcpu *vcpu, enum kvm_reg reg);
void kvm_register_write(struct kvm_vcpu *vcpu, enum kvm_reg reg, uint64_t val);
static inline uint64_t kvm_rip_read(struct kvm_vcpu *v) { return kvm_register_read(v, VCPU_REGS_RIP); }
static inline void kvm_rip_write(struct kvm_vcpu *v, uint64_t rip) { kvm_register_write(v, VCPU_REGS_RIP, rip); }

#endif
