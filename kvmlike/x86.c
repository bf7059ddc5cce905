/* The x86 core (Linux arch/x86/kvm/x86.c, reduced): registers, memslots, the
 * run loop, and the emulation every vendor half shares (CPUID, HLT, hypercalls,
 * MSRs, control registers, port I/O and MMIO exits to user space). */
#include <string.h>

#include "kvmlike/kvm_x86.h"
#include "kvmlike/trace.h"
#include "kvmlike/vmx_insn.h"

uint64_t kvm_x86_op_calls[NR_KVM_X86_OPS][2];
const char *const kvm_x86_op_names[NR_KVM_X86_OPS] = {
#define KVM_OP_NAME(op) #op,
	KVM_X86_OPS(KVM_OP_NAME)
#undef KVM_OP_NAME
};

/* ---- the host's interrupt handlers ------------------------------------------------ */

/* What the host's IDT is to Linux's handle_external_interrupt_irqoff: a handler
 * per vector for the interrupts a VM exit acknowledged (a hosted build has no IDT
 * of its own, and the image's kvmlike runs with interrupts disabled). */
static kvm_host_irq_fn host_irq_handlers[256];

void kvm_set_host_irq_handler(uint8_t vector, kvm_host_irq_fn fn)
{
	host_irq_handlers[vector] = fn;
}

bool kvm_host_irq_dispatch(uint8_t vector)
{
	kvm_host_irq_fn fn = host_irq_handlers[vector];
	if (!fn)
		return false;
	fn(vector);
	return true;
}

/* A machine check in the guest (or during its entry) is the host's: Linux's
 * kvm_machine_check runs the host's #MC handler (do_machine_check) at once, as if
 * it had struck the host; here the handler is the host's IDT entry for vector 18,
 * if it has one (kvm_set_host_irq_handler). */
void kvm_machine_check(void)
{
	kvm_host_irq_dispatch(18);   /* #MC */
}

/* ---- tracepoints ---------------------------------------------------------------- */

static const struct kvm_trace_sink *trace_sink;

void kvm_set_trace_sink(const struct kvm_trace_sink *sink)
{
	trace_sink = sink;
}

bool kvm_trace_enabled(void)
{
	return trace_sink != NULL;
}

void trace_kvm_exit(const struct kvm_vcpu *vcpu, uint64_t reason, uint64_t qual)
{
	if (trace_sink && trace_sink->exit)
		trace_sink->exit(vcpu, reason, qual);
}

void trace_kvm_seamcall(uint64_t fn, uint64_t status)
{
	if (trace_sink && trace_sink->seamcall)
		trace_sink->seamcall(fn, status);
}

/* ---- registers and memory ------------------------------------------------------ */

uint64_t kvm_register_read(struct kvm_vcpu *vcpu, enum kvm_reg reg)
{
	if (!(vcpu->regs_avail & (1u << reg)))
		kvm_x86_call(vcpu->kvm, cache_reg)(vcpu, reg);
	return vcpu->regs[reg];
}

void kvm_register_write(struct kvm_vcpu *vcpu, enum kvm_reg reg, uint64_t val)
{
	vcpu->regs[reg] = val;
	vcpu->regs_avail |= 1u << reg;
	vcpu->regs_dirty |= 1u << reg;
}

const struct kvm_memory_slot *gfn_to_memslot(const struct kvm *kvm, uint64_t gfn)
{
	for (unsigned i = 0; i < KVM_MAX_MEMSLOTS; i++) {
		const struct kvm_memory_slot *s = &kvm->memslots[i];
		if (s->used && gfn >= s->base_gfn && gfn - s->base_gfn < s->npages)
			return s;
	}
	return NULL;
}

void *kvm_gpa_to_hva(const struct kvm *kvm, uint64_t gpa, uint64_t len)
{
	const struct kvm_memory_slot *s = gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
	if (!s || gpa + len > (s->base_gfn + s->npages) << PAGE_SHIFT)
		return NULL;
	return (uint8_t *)__va(s->hpa) + (gpa - (s->base_gfn << PAGE_SHIFT));
}

int kvm_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	return kvm_x86_call(vcpu->kvm, skip_emulated_instruction)(vcpu);
}

static void kvm_inject_gp(struct kvm_vcpu *vcpu)
{
	kvm_x86_call(vcpu->kvm, inject_exception)(vcpu, 13, true, 0);
}

/* KVM_EXIT_INTERNAL_ERROR with KVM_INTERNAL_ERROR_EMULATION, laid out as Linux's
 * prepare_emulation_failure_exit does: flags; with the instruction's bytes,
 * insn_size and 15 bytes padded with 90H (two words); then get_exit_info's five
 * (the reason, info1, info2, the interruption information, its error code, each
 * zero-extended). ndata counts the words from flags on: 8, or 6 without bytes. */
_Static_assert(__builtin_offsetof(struct kvm_run, emulation_failure.flags) ==
	       __builtin_offsetof(struct kvm_run, internal.data[0]), "flags is data[0]");
_Static_assert(__builtin_offsetof(struct kvm_run, emulation_failure.insn_size) ==
	       __builtin_offsetof(struct kvm_run, internal.data[1]), "the bytes are data[1] and data[2]");
static void prepare_emulation_failure_exit(struct kvm_vcpu *vcpu, const uint8_t *insn, unsigned insn_size)
{
	struct kvm_run *run = vcpu->run;
	uint32_t reason, intr_info, error_code;
	uint64_t info[5] = { 0 };
	unsigned start = 1;
	kvm_x86_call(vcpu->kvm, get_exit_info)(vcpu, &reason, &info[1], &info[2], &intr_info, &error_code);
	info[0] = reason;
	info[3] = intr_info;
	info[4] = error_code;
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags = 0;
	if (insn_size) {
		if (insn_size > sizeof(run->emulation_failure.insn_bytes))
			insn_size = sizeof(run->emulation_failure.insn_bytes);
		start += 2;
		run->emulation_failure.flags |= KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
		run->emulation_failure.insn_size = (uint8_t)insn_size;
		memset(run->emulation_failure.insn_bytes, 0x90, sizeof(run->emulation_failure.insn_bytes));
		memcpy(run->emulation_failure.insn_bytes, insn, insn_size);
	}
	memcpy(&run->internal.data[start], info, sizeof(info));
	run->emulation_failure.ndata = start + 5;
}

int kvm_emulation_failed(struct kvm_vcpu *vcpu)
{
	prepare_emulation_failure_exit(vcpu, NULL, 0);
	return 0;
}

/* An instruction KVM cannot emulate (Linux's handle_emulation_failure, without
 * KVM_CAP_EXIT_ON_EMULATION_FAILURE): #UD is queued for the guest; at CPL 0 user
 * space gets the failure too (the #UD waits for the next KVM_RUN), above it the
 * guest's own #UD handler deals with it. */
int kvm_handle_emulation_failure(struct kvm_vcpu *vcpu, const uint8_t *insn, unsigned insn_size)
{
	kvm_x86_call(vcpu->kvm, inject_exception)(vcpu, 6, false, 0);   /* #UD */
	if (kvm_x86_call(vcpu->kvm, get_cpl)(vcpu) > 0)
		return 1;
	prepare_emulation_failure_exit(vcpu, insn, insn_size);
	return 0;
}

void kvm_prepare_internal_error_exit(struct kvm_vcpu *vcpu, uint32_t suberror,
				     const uint64_t *data, unsigned n)
{
	struct kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = n + 1;
	for (unsigned i = 0; i < n; i++)
		run->internal.data[i] = data[i];
	run->internal.data[n] = (uint64_t)(int64_t)vcpu->last_vmentry_cpu;
}

void kvm_prepare_unexpected_reason_exit(struct kvm_vcpu *vcpu, uint64_t exit_reason)
{
	kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, &exit_reason, 1);
}

/* Linux reads the vendor's exit information through get_exit_info; kvmlike's
 * callers pass it (only the VMX half reports this). */
void kvm_prepare_event_vectoring_exit(struct kvm_vcpu *vcpu, uint32_t vectoring_info,
				      uint32_t exit_reason, uint64_t qual, uint64_t gpa)
{
	const uint64_t data[] = { vectoring_info, exit_reason, qual, gpa };
	kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_DELIVERY_EV, data, 4);
}

/* ---- CPUID, HLT, hypercalls ------------------------------------------------------- */

#define KVM_CPUID_SIGNATURE 0x40000000u
#define KVM_HC_ENOSYS 1000
#define KVM_HC_EINVAL 22

/* The guest sees the host CPU's CPUID, minus VMX (no nested virtualization) and SMX
 * (KVM never offers it: CR4.SMXE stays reserved, so GETSEC is #UD in the guest, not
 * an exit KVM has no handler for), with the hypervisor bit and KVM's signature leaf
 * (Linux cpuid.c). */
void kvm_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	if (leaf == KVM_CPUID_SIGNATURE) {
		r[0] = KVM_CPUID_SIGNATURE + 1;
		memcpy(&r[1], "KVMK", 4);
		memcpy(&r[2], "VMKV", 4);
		memcpy(&r[3], "M\0\0\0", 4);
	} else if (leaf == KVM_CPUID_SIGNATURE + 1) {
		memset(r, 0, 4 * sizeof(r[0]));
	} else {
		native_cpuid(leaf, sub, r);
		if (leaf == 1) {
			r[2] &= ~((1u << 5) | (1u << 6));   /* VMX, SMX */
			r[2] |= 1u << 31;         /* running under a hypervisor */
		}
	}
}

/* Does subleaf `sub` of `leaf` exist, given subleaf 0 (`first`) and this one (`r`)? */
static bool cpuid_subleaf_exists(uint32_t leaf, uint32_t sub, const uint32_t first[4],
				 const uint32_t r[4])
{
	switch (leaf) {
	case 0x4:  return sub == 0 || (r[0] & 0x1f);            /* a cache type */
	case 0x7:  return sub <= first[0];                      /* EAX: the last subleaf */
	case 0xb:
	case 0x1f: return sub == 0 || (r[2] & 0xff00);          /* a level type */
	case 0xd:  return sub <= 1 || (sub < 32 && (first[0] >> sub) & 1);   /* XCR0 bits */
	}
	return sub == 0;
}

static bool cpuid_has_subleaves(uint32_t leaf)
{
	return leaf == 0x4 || leaf == 0x7 || leaf == 0xb || leaf == 0xd || leaf == 0x1f;
}

int kvm_get_supported_cpuid(struct kvm_cpuid2 *cpuid)
{
	static const uint32_t ranges[] = { 0, KVM_CPUID_SIGNATURE, 0x80000000u };
	uint32_t n = 0, room = cpuid->nent;
	for (unsigned i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		uint32_t max[4];
		kvm_cpuid(NULL, ranges[i], 0, max);
		for (uint32_t leaf = ranges[i]; leaf <= max[0] && leaf - ranges[i] < 0x100; leaf++) {
			uint32_t first[4], r[4];
			kvm_cpuid(NULL, leaf, 0, first);
			for (uint32_t sub = 0; sub < 64; sub++) {
				kvm_cpuid(NULL, leaf, sub, r);
				if (!cpuid_subleaf_exists(leaf, sub, first, r))
					break;
				if (n < room)
					cpuid->entries[n] = (struct kvm_cpuid_entry2){
						.function = leaf, .index = sub,
						.flags = cpuid_has_subleaves(leaf) ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
						.eax = r[0], .ebx = r[1], .ecx = r[2], .edx = r[3] };
				n++;
				if (!cpuid_has_subleaves(leaf))
					break;
			}
		}
	}
	cpuid->nent = n;
	return n > room ? -E2BIG : 0;
}

int kvm_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	uint32_t leaf = (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RAX);
	uint32_t sub = (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RCX);
	uint32_t r[4];
	kvm_cpuid(vcpu, leaf, sub, r);
	kvm_register_write(vcpu, VCPU_REGS_RAX, r[0]);
	kvm_register_write(vcpu, VCPU_REGS_RBX, r[1]);
	kvm_register_write(vcpu, VCPU_REGS_RCX, r[2]);
	kvm_register_write(vcpu, VCPU_REGS_RDX, r[3]);
	return kvm_skip_emulated_instruction(vcpu);
}

/* No in-kernel interrupt controller: a halted vCPU goes to user space. */
int kvm_emulate_halt(struct kvm_vcpu *vcpu)
{
	kvm_skip_emulated_instruction(vcpu);
	vcpu->stat.halt_exits++;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/* EFER.LMA and CS.L: the guest runs 64-bit code. */
static bool is_64_bit_mode(struct kvm_vcpu *vcpu)
{
	struct kvm_segment cs;
	if (!(vcpu->efer & (1ull << 10)))
		return false;
	kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &cs, VCPU_SREG_CS);
	return cs.l;
}

/* User space's answer to KVM_EXIT_HYPERCALL is the guest's RAX (32 bits of it
 * outside 64-bit mode), and the VMCALL is done. */
static int complete_hypercall_exit(struct kvm_vcpu *vcpu)
{
	uint64_t ret = vcpu->run->hypercall.ret;
	if (!(vcpu->run->hypercall.flags & KVM_EXIT_HYPERCALL_LONG_MODE))
		ret = (uint32_t)ret;
	kvm_register_write(vcpu, VCPU_REGS_RAX, ret);
	kvm_skip_emulated_instruction(vcpu);
	return 1;
}

/* KVM_HC_MAP_GPA_RANGE (RBX = the first GPA, RCX = pages, RDX = attributes) goes
 * to user space as KVM_EXIT_HYPERCALL when KVM_CAP_EXIT_HYPERCALL asked for it;
 * a range that is not page-aligned, empty or wrapping is -KVM_EINVAL at once.
 * kvmlike offers no other KVM_HC_* service: those are -KVM_ENOSYS. */
static int map_gpa_range_exit(struct kvm_vcpu *vcpu)
{
	uint64_t gpa = kvm_register_read(vcpu, VCPU_REGS_RBX), npages = kvm_register_read(vcpu, VCPU_REGS_RCX);
	if ((gpa & (PAGE_SIZE - 1)) || !npages || (gpa >> PAGE_SHIFT) + npages <= (gpa >> PAGE_SHIFT))
		return -KVM_HC_EINVAL;
	struct kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	run->hypercall.args[0] = gpa;
	run->hypercall.args[1] = npages;
	run->hypercall.args[2] = kvm_register_read(vcpu, VCPU_REGS_RDX);
	for (int i = 3; i < 6; i++)
		run->hypercall.args[i] = 0;
	run->hypercall.ret = 0;
	run->hypercall.flags = is_64_bit_mode(vcpu) ? KVM_EXIT_HYPERCALL_LONG_MODE : 0;
	vcpu->complete_userspace_io = complete_hypercall_exit;
	return 0;
}

int kvm_emulate_hypercall(struct kvm_vcpu *vcpu)
{
	vcpu->stat.hypercalls++;
	uint64_t nr = kvm_register_read(vcpu, VCPU_REGS_RAX), ret = -KVM_HC_ENOSYS;
	if (nr == KVM_HC_MAP_GPA_RANGE && (vcpu->kvm->hypercall_exit_enabled & (1ull << KVM_HC_MAP_GPA_RANGE))) {
		long r = map_gpa_range_exit(vcpu);
		if (!r)
			return 0;
		ret = (uint64_t)r;
	}
	kvm_register_write(vcpu, VCPU_REGS_RAX, ret);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_emulate_xsetbv(struct kvm_vcpu *vcpu)
{
	uint32_t index = (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RCX);
	uint64_t xcr0 = (kvm_register_read(vcpu, VCPU_REGS_RDX) << 32) |
			(uint32_t)kvm_register_read(vcpu, VCPU_REGS_RAX);
	/* XCR0 with x87 state and at most SSE/AVX, the rest #GP. */
	if (index != 0 || !(xcr0 & 1) || (xcr0 & ~7ull) || ((xcr0 & 4) && !(xcr0 & 2))) {
		kvm_inject_gp(vcpu);
		return 1;
	}
	/* The vCPU is loaded: the LP takes it now (a component the CPU lacks is the
	 * guest's #GP, as Linux's check against the supported XCR0 makes it). */
	if (native_xsetbv(xcr0)) {
		kvm_inject_gp(vcpu);
		return 1;
	}
	vcpu->xcr0 = xcr0;
	return kvm_skip_emulated_instruction(vcpu);
}

/* ---- MSRs --------------------------------------------------------------------------- */

#define MSR_IA32_APIC_BASE   0x1b
#define MSR_IA32_MISC_ENABLE 0x1a0
#define MSR_MTRRcap          0xfe
#define MSR_MTRRdefType      0x2ff
#define MSR_IA32_CR_PAT      0x277

struct msr_slot {
	uint32_t index;
	uint64_t reset;
	bool writable;
};

/* The MSRs kvmlike emulates; any other RDMSR/WRMSR is #GP, as KVM without
 * ignore_msrs does. */
static const struct msr_slot emulated_msrs[] = {
	{ MSR_IA32_APIC_BASE, 0xfee00900, false },
	{ MSR_IA32_MISC_ENABLE, 1, true },
	{ MSR_MTRRcap, 0, false },
	{ MSR_MTRRdefType, 0xc06, true },
	{ MSR_IA32_CR_PAT, 0x0007040600070406ull, true },
	{ 0xc0000080, 0, true },                  /* EFER: the vCPU's, see below */
};

static const struct msr_slot *find_msr(uint32_t index)
{
	for (unsigned i = 0; i < sizeof(emulated_msrs) / sizeof(emulated_msrs[0]); i++)
		if (emulated_msrs[i].index == index)
			return &emulated_msrs[i];
	return NULL;
}

bool kvm_msr_is_emulated(uint32_t index)
{
	return find_msr(index) != NULL;
}

int kvm_get_msr_common(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *v)
{
	const struct msr_slot *s = find_msr(index);
	if (!s)
		return -1;
	*v = s->index == 0xc0000080 ? vcpu->efer : s->reset;
	return 0;
}

int kvm_set_msr_common(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v)
{
	if (index == 0xc0000080) {             /* EFER: SCE, LME, NXE may change */
		if (v & ~((1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11)))
			return -1;
		kvm_x86_call(vcpu->kvm, set_efer)(vcpu, (v & ~(1ull << 10)) | (vcpu->efer & (1ull << 10)));
		return 0;
	}
	const struct msr_slot *s = find_msr(index);
	return !s || (!s->writable && v != s->reset) ? -1 : 0;
}

/* The vendor's op decides (a TD's VMM may touch fewer MSRs), then the common code. */
int kvm_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *v)
{
	return kvm_x86_call(vcpu->kvm, get_msr)(vcpu, index, v);
}

int kvm_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t v)
{
	return kvm_x86_call(vcpu->kvm, set_msr)(vcpu, index, v);
}

int kvm_emulate_rdmsr(struct kvm_vcpu *vcpu)
{
	uint64_t v;
	if (kvm_get_msr(vcpu, (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RCX), &v)) {
		kvm_inject_gp(vcpu);
		return 1;
	}
	kvm_register_write(vcpu, VCPU_REGS_RAX, (uint32_t)v);
	kvm_register_write(vcpu, VCPU_REGS_RDX, v >> 32);
	return kvm_skip_emulated_instruction(vcpu);
}

int kvm_emulate_wrmsr(struct kvm_vcpu *vcpu)
{
	uint32_t index = (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RCX);
	uint64_t v = (kvm_register_read(vcpu, VCPU_REGS_RDX) << 32) |
		     (uint32_t)kvm_register_read(vcpu, VCPU_REGS_RAX);
	if (kvm_set_msr(vcpu, index, v)) {
		kvm_inject_gp(vcpu);
		return 1;
	}
	return kvm_skip_emulated_instruction(vcpu);
}

/* ---- control registers -------------------------------------------------------------- */

int kvm_set_cr(struct kvm_vcpu *vcpu, unsigned cr, uint64_t val)
{
	switch (cr) {
	case 0:
		/* PG without PE, or NW without CD, or bits 63:32: #GP. */
		if ((val >> 32) || ((val & (1ull << 31)) && !(val & 1)) ||
		    ((val & (1ull << 29)) && !(val & (1ull << 30))))
			break;
		kvm_x86_call(vcpu->kvm, set_cr0)(vcpu, val);
		return 0;
	case 3:
		kvm_x86_call(vcpu->kvm, load_mmu_pgd)(vcpu, 0, val);
		return 0;
	case 4:
		if (val & (1ull << 13))           /* VMXE: no nested VMX */
			break;
		kvm_x86_call(vcpu->kvm, set_cr4)(vcpu, val);
		return 0;
	case 8:
		return 0;                         /* no APIC: the TPR is not modelled */
	}
	kvm_inject_gp(vcpu);
	return 1;
}

/* ---- port I/O and MMIO -------------------------------------------------------------- */

static void *pio_data(struct kvm_vcpu *vcpu)
{
	return (uint8_t *)vcpu->run + vcpu->run->io.data_offset;
}

int kvm_fast_pio(struct kvm_vcpu *vcpu, unsigned size, uint16_t port, int in)
{
	struct kvm_run *run = vcpu->run;
	vcpu->stat.io_exits++;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = (uint8_t)size;
	run->io.port = port;
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	vcpu->pio_pending = true;
	vcpu->pio_in = in;
	vcpu->complete_reg = VCPU_REGS_RAX;
	vcpu->complete_size = size;
	if (!in) {
		uint64_t rax = kvm_register_read(vcpu, VCPU_REGS_RAX);
		memcpy(pio_data(vcpu), &rax, size);
	}
	/* RIP stays at the instruction until user space is done (KVM_GET_REGS shows
	 * it there), as in KVM. */
	return 0;
}

/* The bytes at CS:RIP, up to 15, byte by byte (the instruction may cross into
 * another page); how many were fetched. *first_len: how many lie in RIP's page,
 * what Linux's emulator fetches first and reports when decoding fails there. */
static unsigned fetch_insn(struct kvm_vcpu *vcpu, uint8_t bytes[15], unsigned *first_len)
{
	struct kvm_segment cs;
	uint64_t code_gpa;
	unsigned n = 0;
	kvm_x86_call(vcpu->kvm, get_segment)(vcpu, &cs, VCPU_SREG_CS);
	uint64_t la = kvm_rip_read(vcpu) + (cs.l ? 0 : cs.base);
	for (; n < 15; n++) {
		uint8_t *p;
		if (guest_linear_to_gpa(vcpu, la + n, &code_gpa) ||
		    !(p = kvm_gpa_to_hva(vcpu->kvm, code_gpa, 1)))
			break;
		bytes[n] = *p;
	}
	unsigned to_page_end = (unsigned)(PAGE_SIZE - (la & (PAGE_SIZE - 1)));
	*first_len = n < to_page_end ? n : to_page_end;
	return n;
}

/* An instruction kvmlike's decoder does not know (a string I/O instruction, an
 * MMIO access other than a move). */
int kvm_emulation_failed_at_rip(struct kvm_vcpu *vcpu)
{
	uint8_t bytes[15];
	unsigned first;
	fetch_insn(vcpu, bytes, &first);
	return kvm_handle_emulation_failure(vcpu, bytes, first);
}

int kvm_emulate_mmio(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	uint8_t bytes[15];
	unsigned first;
	uint64_t rip = kvm_rip_read(vcpu);
	unsigned n = fetch_insn(vcpu, bytes, &first);
	struct mmio_insn in;
	if (decode_mmio_insn(bytes, n, &in))
		return kvm_handle_emulation_failure(vcpu, bytes, first);
	struct kvm_run *run = vcpu->run;
	vcpu->stat.mmio_exits++;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = in.size;
	run->mmio.is_write = in.write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (in.write) {
		uint64_t v = in.has_imm ? in.imm : kvm_register_read(vcpu, in.reg);
		if (in.high_byte)
			v >>= 8;
		memcpy(run->mmio.data, &v, in.size);
		kvm_rip_write(vcpu, rip + in.len);   /* a write is done when it leaves */
	} else {
		vcpu->mmio_read_pending = true;
		vcpu->complete_reg = in.reg | (in.high_byte ? 0x100 : 0) | (in.zero_extend ? 0x200 : 0);
		vcpu->complete_size = in.size;
		vcpu->complete_rip = rip + in.len;
	}
	return 0;
}

/* Writes `size` bytes of `v` into a register as the instruction would: 8- and
 * 16-bit destinations merge, 32-bit ones and MOVZX zero-extend. */
static void write_partial(struct kvm_vcpu *vcpu, unsigned how, unsigned size, uint64_t v)
{
	unsigned reg = how & 0xff;
	bool high = how & 0x100, zext = how & 0x200;
	uint64_t old = kvm_register_read(vcpu, reg);
	uint64_t mask = size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
	v &= mask;
	if (zext || size == 8)
		kvm_register_write(vcpu, reg, v);
	else if (high)
		kvm_register_write(vcpu, reg, (old & ~0xff00ull) | (v << 8));
	else
		kvm_register_write(vcpu, reg, (old & ~mask) | v);
}

int kvm_complete_userspace_io(struct kvm_vcpu *vcpu)
{
	uint64_t v = 0;
	if (vcpu->complete_userspace_io) {
		int (*cui)(struct kvm_vcpu *) = vcpu->complete_userspace_io;
		vcpu->complete_userspace_io = NULL;
		return cui(vcpu);
	}
	if (vcpu->pio_pending) {
		if (vcpu->pio_in) {
			memcpy(&v, pio_data(vcpu), vcpu->complete_size);
			/* IN to EAX zero-extends; to AL and AX it merges. */
			write_partial(vcpu, vcpu->complete_reg | (vcpu->complete_size == 4 ? 0x200 : 0),
				      vcpu->complete_size, v);
		}
		/* No VM exit since the I/O one: its instruction length still holds. */
		kvm_skip_emulated_instruction(vcpu);
	} else if (vcpu->mmio_read_pending) {
		memcpy(&v, vcpu->run->mmio.data, vcpu->complete_size);
		write_partial(vcpu, vcpu->complete_reg, vcpu->complete_size, v);
		kvm_rip_write(vcpu, vcpu->complete_rip);
	}
	vcpu->pio_pending = vcpu->mmio_read_pending = false;
	return 1;
}
