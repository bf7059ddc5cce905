/* The user-facing API of kvmlike: KVM's structures, names and numbers (Linux
 * include/uapi/linux/kvm.h, arch/x86/include/uapi/asm/kvm.h), reduced to what
 * kvmlike implements, so that whoever knows KVM knows this. */
#ifndef KVMLIKE_UAPI_H
#define KVMLIKE_UAPI_H

#include <stdint.h>

/* VM types (KVM_CREATE_VM's argument on x86). */
#define KVM_X86_DEFAULT_VM 0
#define KVM_X86_TDX_VM     5

/* kvm_run.exit_reason */
#define KVM_EXIT_UNKNOWN          0
#define KVM_EXIT_EXCEPTION        1
#define KVM_EXIT_IO               2
#define KVM_EXIT_HYPERCALL        3
#define KVM_EXIT_DEBUG            4
#define KVM_EXIT_HLT              5
#define KVM_EXIT_MMIO             6
#define KVM_EXIT_IRQ_WINDOW_OPEN  7
#define KVM_EXIT_SHUTDOWN         8
#define KVM_EXIT_FAIL_ENTRY       9
#define KVM_EXIT_INTR             10
#define KVM_EXIT_INTERNAL_ERROR   17
#define KVM_EXIT_SYSTEM_EVENT     24
#define KVM_EXIT_MEMORY_FAULT     39
#define KVM_EXIT_TDX              40

/* kvm_run.hypercall.flags: the guest was in 64-bit mode. */
#define KVM_EXIT_HYPERCALL_LONG_MODE (1ull << 0)

/* KVM_ENABLE_CAP on a VM: KVM_CAP_EXIT_HYPERCALL's args[0] is the set of hypercall
 * numbers (bit per KVM_HC_*) that exit to user space; only KVM_HC_MAP_GPA_RANGE
 * may be in it. */
#define KVM_CAP_EXIT_HYPERCALL 201
#define KVM_HC_MAP_GPA_RANGE   12
#define KVM_EXIT_HYPERCALL_VALID_MASK (1ull << KVM_HC_MAP_GPA_RANGE)
/* KVM_HC_MAP_GPA_RANGE's args[2]: the range becomes private (encrypted) or shared. */
#define KVM_MAP_GPA_RANGE_DECRYPTED (0ull << 4)
#define KVM_MAP_GPA_RANGE_ENCRYPTED (1ull << 4)

/* KVM_ENABLE_CAP on a VM: KVM_CAP_SPLIT_IRQCHIP gives the VM an in-kernel local
 * APIC per vCPU, the I/O APIC and PIC staying in user space; args[0] is the
 * number of GSI routes reserved for that I/O APIC (QEMU: 24). KVM_CAP_IRQCHIP
 * (KVM_CREATE_IRQCHIP's whole in-kernel irqchip) is not offered here. */
#define KVM_CAP_IRQCHIP       0
#define KVM_CAP_SPLIT_IRQCHIP 121

/* KVM_SET_MEMORY_ATTRIBUTES on a VM. */
#define KVM_MEMORY_ATTRIBUTE_PRIVATE (1ull << 3)
struct kvm_memory_attributes {
	uint64_t address;
	uint64_t size;
	uint64_t attributes;
	uint64_t flags;
};

struct kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};

/* kvm_run.system_event.type */
#define KVM_SYSTEM_EVENT_TDX_FATAL 7

#define KVM_EXIT_IO_IN  0
#define KVM_EXIT_IO_OUT 1

/* kvm_run.internal.suberror */
#define KVM_INTERNAL_ERROR_EMULATION              1
#define KVM_INTERNAL_ERROR_SIMUL_EX               2
#define KVM_INTERNAL_ERROR_DELIVERY_EV            3
#define KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON 4
/* kvm_run.emulation_failure.flags: insn_size and insn_bytes are valid */
#define KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES (1ull << 0)
#define KVM_INVALID_GPA (~0ull)   /* Linux INVALID_GPA: no address goes with it */

/* The pio data lives in the page after kvm_run (KVM_PIO_PAGE_OFFSET). */
#define KVM_PIO_PAGE_OFFSET 1

struct kvm_run {
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct {
			uint64_t hardware_exit_reason;
		} hw;
		struct {
			uint64_t hardware_entry_failure_reason;
			uint32_t cpu;
		} fail_entry;
		struct {
			uint32_t exception;
			uint32_t error_code;
		} ex;
		struct {
			uint8_t direction;
			uint8_t size;
			uint16_t port;
			uint32_t count;
			uint64_t data_offset;   /* relative to kvm_run */
		} io;
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint64_t nr;
			uint64_t args[6];
			uint64_t ret;
			uint64_t flags;
		} hypercall;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal;
		/* KVM_EXIT_INTERNAL_ERROR with suberror KVM_INTERNAL_ERROR_EMULATION: the
		 * same words, ndata counting the 64-bit ones from flags on. */
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t flags;
			uint8_t insn_size;
			uint8_t insn_bytes[15];
			/* then the exit information and any data, as internal.data[] */
		} emulation_failure;
		struct {
			uint32_t type;
			uint32_t ndata;
			uint64_t data[16];
		} system_event;
		/* KVM_EXIT_MEMORY_FAULT (KVM_RUN returns -EFAULT with it): the access
		 * wants [gpa, gpa + size) private (flags has KVM_MEMORY_EXIT_FLAG_PRIVATE)
		 * or shared, and the memory attributes say otherwise. */
		struct {
#define KVM_MEMORY_EXIT_FLAG_PRIVATE (1ull << 3)
			uint64_t flags;
			uint64_t gpa;
			uint64_t size;
		} memory_fault;
		/* KVM_EXIT_TDX: a TDVMCALL user space answers; `ret` comes preset to
		 * SUBFUNC_UNSUPPORTED and is the guest's status at the next KVM_RUN. */
		struct {
			uint64_t flags;
			uint64_t nr;               /* the GHCI sub-function */
			union {
				struct {
					uint64_t ret;
					uint64_t data[5];
				} unknown;
				struct {
					uint64_t ret;
					uint64_t gpa;      /* shared bit cleared */
					uint64_t size;
				} get_quote;
				struct {
					uint64_t ret;
					uint64_t leaf;
					uint64_t r11, r12, r13, r14;
				} get_tdvmcall_info;
				struct {
					uint64_t ret;
					uint64_t vector;
				} setup_event_notify;
			};
		} tdx;
		char padding[256];
	};
};

/* KVM_INTERRUPT's argument. */
struct kvm_interrupt {
	uint32_t irq;
};

/* KVM_SIGNAL_MSI's argument; the one flag is KVM_MSI_VALID_DEVID (devid names
 * the requester, which x86 ignores). */
#define KVM_MSI_VALID_DEVID (1u << 0)
struct kvm_msi {
	uint32_t address_lo, address_hi, data, flags, devid;
	uint8_t pad[12];
};

struct kvm_regs {
	uint64_t rax, rbx, rcx, rdx;
	uint64_t rsi, rdi, rsp, rbp;
	uint64_t r8, r9, r10, r11;
	uint64_t r12, r13, r14, r15;
	uint64_t rip, rflags;
};

struct kvm_segment {
	uint64_t base;
	uint32_t limit;
	uint16_t selector;
	uint8_t type;
	uint8_t present, dpl, db, s, l, g, avl;
	uint8_t unusable;
	uint8_t padding;
};

struct kvm_dtable {
	uint64_t base;
	uint16_t limit;
	uint16_t padding[3];
};

struct kvm_sregs {
	struct kvm_segment cs, ds, es, fs, gs, ss;
	struct kvm_segment tr, ldt;
	struct kvm_dtable gdt, idt;
	uint64_t cr0, cr2, cr3, cr4, cr8;
	uint64_t efer;
	uint64_t apic_base;
	uint64_t interrupt_bitmap[4];
};

struct kvm_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;      /* bytes */
	uint64_t userspace_addr;   /* start of the userspace allocated memory */
};

/* KVM_SET_USER_MEMORY_REGION2: a slot whose private half comes from a guest_memfd
 * (KVM_MEM_GUEST_MEMFD): guest_memfd_offset is where the slot's first page lies in
 * the file; userspace_addr still backs the shared half. */
#define KVM_MEM_GUEST_MEMFD (1u << 2)
struct kvm_userspace_memory_region2 {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t guest_memfd_offset;
	uint32_t guest_memfd;
	uint32_t pad1;
	uint64_t pad2[14];
};

/* KVM_CREATE_GUEST_MEMFD: private memory user space cannot map or read. */
struct kvm_create_guest_memfd {
	uint64_t size;             /* bytes, page-aligned, not 0 */
	uint64_t flags;            /* none defined here: 0 */
	uint64_t reserved[6];
};

/* fallocate(2)'s modes a guest_memfd takes (linux/falloc.h). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE  0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif

/* KVM_MEMORY_ENCRYPT_OP for TDX (arch/x86/include/uapi/asm/kvm.h): the command,
 * its argument, and the SEAMCALL status of a failure in hw_error. */
enum kvm_tdx_cmd_id {
	KVM_TDX_CAPABILITIES = 0,
	KVM_TDX_INIT_VM,
	KVM_TDX_INIT_VCPU,
	KVM_TDX_INIT_MEM_REGION,
	KVM_TDX_FINALIZE_VM,
	KVM_TDX_GET_CPUID,
	KVM_TDX_CMD_NR_MAX,
};

struct kvm_tdx_cmd {
	uint32_t id;
	uint32_t flags;            /* per command; 0 unless it says */
	uint64_t data;             /* a pointer to the command's structure, or a value */
	uint64_t hw_error;         /* out: the TDX module's status when it refused */
};

/* KVM_GET_SUPPORTED_CPUID's format, which the TDX commands share. */
#define KVM_CPUID_FLAG_SIGNIFCANT_INDEX (1u << 0)
struct kvm_cpuid_entry2 {
	uint32_t function;
	uint32_t index;
	uint32_t flags;
	uint32_t eax, ebx, ecx, edx;
	uint32_t padding[3];
};

struct kvm_cpuid2 {
	uint32_t nent;             /* in: room in entries[]; out: entries filled */
	uint32_t padding;
	struct kvm_cpuid_entry2 entries[];
};
#define KVM_MAX_CPUID_ENTRIES 256

struct kvm_tdx_capabilities {
	uint64_t supported_attrs;
	uint64_t supported_xfam;
	uint64_t kernel_tdvmcallinfo_1_r11;
	uint64_t user_tdvmcallinfo_1_r11;
	uint64_t kernel_tdvmcallinfo_1_r12;
	uint64_t user_tdvmcallinfo_1_r12;
	uint64_t reserved[250];
	/* The CPUID bits the VMM may configure: one entry per configurable leaf,
	 * its bits set where they may be. */
	struct kvm_cpuid2 cpuid;
};

struct kvm_tdx_init_vm {
	uint64_t attributes;
	uint64_t xfam;
	uint64_t mrconfigid[6];
	uint64_t mrowner[6];
	uint64_t mrownerconfig[6];
	uint64_t reserved[12];
	/* The TD's CPUID configuration: only leaves the capabilities list, only
	 * their configurable bits; the TDX module virtualizes those leaves itself. */
	struct kvm_cpuid2 cpuid;
};

#define KVM_TDX_MEASURE_MEMORY_REGION (1u << 0)
struct kvm_tdx_init_mem_region {
	uint64_t source_addr;      /* user memory holding the initial contents */
	uint64_t gpa;
	uint64_t nr_pages;
};

#endif
