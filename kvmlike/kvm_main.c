/* kvmlike's VM and vCPU lifecycle and the user API (Linux virt/kvm/kvm_main.c and
 * the ioctl halves of arch/x86/kvm/x86.c, reduced). */
#include <string.h>

#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"

#define MSI_ADDR_DEST_MODE_LOGICAL (1u << 2)
#define APIC_DM_FIXED              0

static bool kvm_loaded;
bool kvm_intel_tdx = true;

int kvm_init(void)
{
	if (kvm_loaded)
		return -EBUSY;
	enable_tdx = kvm_intel_tdx;       /* the module parameter, until vt_tdx_bringup says */
	int r = vt_hardware_setup();
	if (r)
		return r;
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++)
		if ((r = kvm_online_cpu(cpu)))
			return r;
	kvm_set_current_cpu(0);
	vt_tdx_bringup();
	kvm_loaded = true;
	return 0;
}

/* Linux's CPU hotplug callbacks (and what suspend and resume do on the last
 * LP): VMX operation starts or ends on `cpu`; the current LP is `cpu` after. */
int kvm_online_cpu(unsigned cpu)
{
	kvm_set_current_cpu(cpu);
	kvm_x86_op_calls[KVM_OP_enable_virtualization_cpu][0]++;
	return vt_x86_ops.enable_virtualization_cpu();
}

void kvm_offline_cpu(unsigned cpu)
{
	kvm_set_current_cpu(cpu);
	kvm_x86_op_calls[KVM_OP_disable_virtualization_cpu][0]++;
	vt_x86_ops.disable_virtualization_cpu();
}

void kvm_exit(void)
{
	if (!kvm_loaded)
		return;
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++)
		kvm_offline_cpu(cpu);
	kvm_set_current_cpu(0);
	kvm_loaded = false;
}

unsigned kvm_vm_types(void)
{
	return (1u << KVM_X86_DEFAULT_VM) | (enable_tdx ? 1u << KVM_X86_TDX_VM : 0);
}

static int enable_exit_hypercall(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	if (cap->args[0] & ~KVM_EXIT_HYPERCALL_VALID_MASK)
		return -EINVAL;
	kvm->hypercall_exit_enabled = cap->args[0];
	return 0;
}

/* Linux's KVM_CAP_SPLIT_IRQCHIP: before any vCPU exists, once. */
static int enable_split_irqchip(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	if (cap->args[0] > KVM_MAX_IRQ_ROUTES)
		return -EINVAL;
	if (irqchip_in_kernel(kvm) || kvm->nr_vcpus)
		return -EEXIST;
	kvm->irqchip_mode = KVM_IRQCHIP_SPLIT;
	kvm->nr_reserved_ioapic_pins = (uint32_t)cap->args[0];
	return 0;
}

static const struct {
	uint32_t cap;
	int (*enable)(struct kvm *kvm, const struct kvm_enable_cap *cap);
} vm_caps[] = {
	{ KVM_CAP_EXIT_HYPERCALL, enable_exit_hypercall },
	{ KVM_CAP_SPLIT_IRQCHIP, enable_split_irqchip },
};

int kvm_vm_enable_cap(struct kvm *kvm, const struct kvm_enable_cap *cap)
{
	if (cap->flags)
		return -EINVAL;
	for (unsigned i = 0; i < sizeof(vm_caps) / sizeof(vm_caps[0]); i++)
		if (vm_caps[i].cap == cap->cap)
			return vm_caps[i].enable(kvm, cap);
	return -EINVAL;
}

int kvm_vm_create_irqchip(struct kvm *kvm)
{
	(void)kvm;
	return -ENOTTY;          /* a kernel without CONFIG_KVM_IOAPIC; a TD's in any kernel */
}

bool kvm_range_is_private(const struct kvm *kvm, uint64_t gfn, uint64_t n)
{
	for (unsigned i = 0; i < kvm->nr_private_ranges; i++) {
		const struct kvm_gfn_range *r = &kvm->private_ranges[i];
		if (gfn >= r->start && gfn < r->end)
			return n <= r->end - gfn;     /* ranges never touch: the next is apart */
	}
	return false;
}

/* The ranges with [start, end) made private or shared, into `out` (room for
 * KVM_MAX_PRIVATE_RANGES + 1); how many, kept sorted and merged. */
static unsigned private_ranges_with(const struct kvm *kvm, uint64_t start, uint64_t end,
				    bool private, struct kvm_gfn_range *out)
{
	unsigned n = 0;
	bool placed = !private;
	for (unsigned i = 0; i < kvm->nr_private_ranges; i++) {
		struct kvm_gfn_range r = kvm->private_ranges[i];
		if (private && r.end >= start && r.start <= end) {     /* touches: absorb */
			start = r.start < start ? r.start : start;
			end = r.end > end ? r.end : end;
			continue;
		}
		if (!placed && r.start > end) {
			out[n++] = (struct kvm_gfn_range){ start, end };
			placed = true;
		}
		if (private || r.end <= start || r.start >= end) {
			out[n++] = r;
			continue;
		}
		if (r.start < start)                                    /* cut out [start, end) */
			out[n++] = (struct kvm_gfn_range){ r.start, start };
		if (r.end > end)     /* only one range can hold both ends: n <= nr + 1 */
			out[n++] = (struct kvm_gfn_range){ end, r.end };
	}
	if (!placed)
		out[n++] = (struct kvm_gfn_range){ start, end };
	return n;
}

/* The view a range leaves is unmapped first (Linux kvm_arch_pre_set_memory_attributes:
 * the roots of the other attribute, through the generic MMU). */
static void kvm_unmap_other_view(struct kvm *kvm, uint64_t start, uint64_t end, bool private)
{
	if (kvm_mmu_unmap_gfn_range(kvm, start, end, private ? KVM_FILTER_SHARED : KVM_FILTER_PRIVATE))
		kvm_make_all_cpus_request(kvm, KVM_REQ_TLB_FLUSH);
}

int kvm_vm_set_memory_attributes(struct kvm *kvm, const struct kvm_memory_attributes *a)
{
	if (!a)
		return -EFAULT;          /* copy_from_user of the argument failed */
	uint64_t supported = is_td(kvm) ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0;
	if (a->flags || (a->attributes & ~supported) || !a->size ||
	    ((a->address | a->size) & (PAGE_SIZE - 1)) || a->address + a->size < a->address)
		return -EINVAL;
	uint64_t start = a->address >> PAGE_SHIFT, end = start + (a->size >> PAGE_SHIFT);
	bool private = a->attributes & KVM_MEMORY_ATTRIBUTE_PRIVATE;
	bool has_private = false;
	for (unsigned i = 0; i < kvm->nr_private_ranges; i++)
		has_private |= kvm->private_ranges[i].start < end && start < kvm->private_ranges[i].end;
	if (private ? kvm_range_is_private(kvm, start, end - start) : !has_private)
		return 0;                /* nothing changes (Linux returns early too) */
	struct kvm_gfn_range next[KVM_MAX_PRIVATE_RANGES + 1];
	unsigned n = private_ranges_with(kvm, start, end, private, next);
	if (n > KVM_MAX_PRIVATE_RANGES)
		return -ENOMEM;
	kvm_unmap_other_view(kvm, start, end, private);
	memcpy(kvm->private_ranges, next, n * sizeof(next[0]));
	kvm->nr_private_ranges = n;
	return 0;
}

void kvm_make_all_cpus_request(struct kvm *kvm, unsigned req)
{
	for (unsigned i = 0; i < kvm->nr_vcpus; i++)
		kvm_make_request(req, kvm->vcpus[i]);
}

int kvm_create_vm(unsigned long type, struct kvm **out)
{
	*out = NULL;
	if (!kvm_loaded)
		return -ENODEV;
	if (type > 31 || !(kvm_vm_types() & (1u << type)))
		return -EINVAL;
	struct kvm *kvm = kzalloc(sizeof(*kvm));
	if (!kvm)
		return -ENOMEM;
	kvm->vm_type = type;
	int r = kvm_x86_call(kvm, vm_init)(kvm);
	if (r) {
		kfree(kvm);
		return r;
	}
	*out = kvm;
	return 0;
}

static void kvm_vcpu_destroy(struct kvm_vcpu *vcpu)
{
	kvm_x86_call(vcpu->kvm, vcpu_free)(vcpu);
	kvm_free_pages(__pa(vcpu->run), 2);
	kfree(vcpu);
}

void kvm_destroy_vm(struct kvm *kvm)
{
	if (!kvm)
		return;
	kvm_x86_call(kvm, vm_pre_destroy)(kvm);
	for (unsigned i = 0; i < kvm->nr_vcpus; i++)
		kvm_vcpu_destroy(kvm->vcpus[i]);
	kvm_x86_call(kvm, vm_destroy)(kvm);
	kvm_gmem_release_all(kvm);
	kfree(kvm);
}

int kvm_set_user_memory_region(struct kvm *kvm, const struct kvm_userspace_memory_region *mem)
{
	if (mem->flags)
		return -EINVAL;          /* the first version takes no guest_memfd */
	struct kvm_userspace_memory_region2 m = { .slot = mem->slot, .guest_phys_addr = mem->guest_phys_addr,
						  .memory_size = mem->memory_size,
						  .userspace_addr = mem->userspace_addr };
	return kvm_set_user_memory_region2(kvm, &m);
}

/* Linux check_memory_region_flags and the checks __kvm_set_memory_region makes. */
static bool memory_region_valid(const struct kvm *kvm, const struct kvm_userspace_memory_region2 *mem)
{
	uint32_t valid_flags = is_td(kvm) ? KVM_MEM_GUEST_MEMFD : 0;
	if (mem->slot >= KVM_MAX_MEMSLOTS || (mem->flags & ~valid_flags) ||
	    (mem->guest_phys_addr | mem->memory_size | mem->userspace_addr) & (PAGE_SIZE - 1))
		return false;
	return !(mem->flags & KVM_MEM_GUEST_MEMFD) ||
	       (!(mem->guest_memfd_offset & (PAGE_SIZE - 1)) &&
		mem->guest_memfd_offset + mem->memory_size >= mem->guest_memfd_offset);
}

int kvm_set_user_memory_region2(struct kvm *kvm, const struct kvm_userspace_memory_region2 *mem)
{
	if (!memory_region_valid(kvm, mem))
		return -EINVAL;
	struct kvm_memory_slot *s = &kvm->memslots[mem->slot];
	if (!mem->memory_size) {
		/* Deleting a slot would need its EPT entries zapped: not supported. */
		return s->used ? -EOPNOTSUPP : 0;
	}
	const void *hva = (const void *)(uintptr_t)mem->userspace_addr;
	/* Changing a slot in use (Linux __kvm_set_memory_region): a guest_memfd slot is
	 * immutable and another size or user address is refused (-EINVAL); a move or a
	 * flags change, which Linux does, is not supported here (-EEXIST). */
	if (s->used)
		return (mem->flags & KVM_MEM_GUEST_MEMFD) || mem->memory_size >> PAGE_SHIFT != s->npages ||
		       !kvm_is_guest_memory(hva, mem->memory_size) || __pa(hva) != s->hpa ? -EINVAL : -EEXIST;
	if (!kvm_is_guest_memory(hva, mem->memory_size))
		return -EINVAL;
	uint64_t gfn = mem->guest_phys_addr >> PAGE_SHIFT, n = mem->memory_size >> PAGE_SHIFT;
	for (unsigned i = 0; i < KVM_MAX_MEMSLOTS; i++) {
		const struct kvm_memory_slot *o = &kvm->memslots[i];
		if (o->used && gfn < o->base_gfn + o->npages && o->base_gfn < gfn + n)
			return -EEXIST;
	}
	struct kvm_memory_slot slot = { .used = true, .base_gfn = gfn, .npages = n, .hpa = __pa(hva) };
	if (mem->flags & KVM_MEM_GUEST_MEMFD) {
		int r = kvm_gmem_bind(kvm, &slot, mem->guest_memfd, mem->guest_memfd_offset);
		if (r)
			return r;
	}
	*s = slot;
	kvm->memslots_generation++;        /* cached MMIO entries may now be RAM */
	return 0;
}

int kvm_create_vcpu(struct kvm *kvm, unsigned id, struct kvm_vcpu **out)
{
	*out = NULL;
	if (kvm->nr_vcpus >= KVM_MAX_VCPUS || id >= KVM_MAX_VCPUS)
		return -EINVAL;
	for (unsigned i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->vcpu_id == id)
			return -EEXIST;
	struct kvm_vcpu *vcpu = kzalloc(sizeof(*vcpu));
	uint64_t run = kvm_alloc_pages(2);
	if (!vcpu || !run) {
		kfree(vcpu);
		kvm_free_pages(run, 2);
		return -ENOMEM;
	}
	vcpu->kvm = kvm;
	vcpu->vcpu_id = id;
	vcpu->cpu = -1;
	vcpu->last_vmentry_cpu = -1;
	vcpu->run = __va(run);
	int r = kvm_x86_call(kvm, vcpu_create)(vcpu);
	if (r) {
		kvm_free_pages(run, 2);
		kfree(vcpu);
		return r;
	}
	vcpu->cpu = (int)smp_processor_id();
	kvm_x86_call(kvm, vcpu_reset)(vcpu, false);
	kvm->vcpus[kvm->nr_vcpus++] = vcpu;
	*out = vcpu;
	return 0;
}

/* Runs with the vCPU loaded on the current LP (vcpu_load/vcpu_put). */
static void vcpu_load(struct kvm_vcpu *vcpu)
{
	kvm_x86_call(vcpu->kvm, vcpu_load)(vcpu, (int)smp_processor_id());
}

static void vcpu_put(struct kvm_vcpu *vcpu)
{
	kvm_x86_call(vcpu->kvm, vcpu_put)(vcpu);
}

/* kvm_regs order: rax rbx rcx rdx rsi rdi rsp rbp r8..r15. */
static const enum kvm_reg regs_order[16] = {
	VCPU_REGS_RAX, VCPU_REGS_RBX, VCPU_REGS_RCX, VCPU_REGS_RDX, VCPU_REGS_RSI, VCPU_REGS_RDI,
	VCPU_REGS_RSP, VCPU_REGS_RBP, VCPU_REGS_R8, VCPU_REGS_R9, VCPU_REGS_R10, VCPU_REGS_R11,
	VCPU_REGS_R12, VCPU_REGS_R13, VCPU_REGS_R14, VCPU_REGS_R15,
};

int kvm_vcpu_get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	if (is_td_vcpu(vcpu))
		return -EINVAL;        /* a TD's registers are protected */
	vcpu_load(vcpu);
	uint64_t *out = &regs->rax;
	for (int i = 0; i < 16; i++)
		out[i] = kvm_register_read(vcpu, regs_order[i]);
	regs->rip = kvm_rip_read(vcpu);
	regs->rflags = kvm_x86_call(vcpu->kvm, get_rflags)(vcpu);
	vcpu_put(vcpu);
	return 0;
}

int kvm_vcpu_set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	if (is_td_vcpu(vcpu))
		return -EINVAL;
	vcpu_load(vcpu);
	const uint64_t *in = &regs->rax;
	for (int i = 0; i < 16; i++)
		kvm_register_write(vcpu, regs_order[i], in[i]);
	kvm_rip_write(vcpu, regs->rip);
	kvm_x86_call(vcpu->kvm, set_rflags)(vcpu, regs->rflags);
	vcpu_put(vcpu);
	return 0;
}

static struct kvm_segment *sregs_seg(struct kvm_sregs *s, int seg)
{
	struct kvm_segment *t[] = { [VCPU_SREG_ES] = &s->es, [VCPU_SREG_CS] = &s->cs,
				    [VCPU_SREG_SS] = &s->ss, [VCPU_SREG_DS] = &s->ds,
				    [VCPU_SREG_FS] = &s->fs, [VCPU_SREG_GS] = &s->gs,
				    [VCPU_SREG_TR] = &s->tr, [VCPU_SREG_LDTR] = &s->ldt };
	return t[seg];
}

int kvm_vcpu_get_sregs(struct kvm_vcpu *vcpu, struct kvm_sregs *s)
{
	if (is_td_vcpu(vcpu))
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	vcpu_load(vcpu);
	for (int seg = VCPU_SREG_ES; seg <= VCPU_SREG_LDTR; seg++)
		kvm_x86_call(vcpu->kvm, get_segment)(vcpu, sregs_seg(s, seg), seg);
	kvm_x86_call(vcpu->kvm, get_gdt)(vcpu, &s->gdt);
	kvm_x86_call(vcpu->kvm, get_idt)(vcpu, &s->idt);
	s->cr0 = vcpu->cr0;
	s->cr3 = kvm_register_read(vcpu, VCPU_EXREG_CR3);
	s->cr4 = vcpu->cr4;
	s->efer = vcpu->efer;
	s->apic_base = 0xfee00900;
	vcpu_put(vcpu);
	return 0;
}

int kvm_vcpu_set_sregs(struct kvm_vcpu *vcpu, const struct kvm_sregs *in)
{
	if (is_td_vcpu(vcpu))
		return -EINVAL;
	struct kvm_sregs s = *in;
	/* As KVM_SET_SREGS checks: long mode needs PAE and paging. */
	if ((s.efer & (1ull << 10)) && (!(s.cr4 & (1ull << 5)) || !(s.cr0 & (1ull << 31))))
		return -EINVAL;
	vcpu_load(vcpu);
	for (int seg = VCPU_SREG_ES; seg <= VCPU_SREG_LDTR; seg++)
		kvm_x86_call(vcpu->kvm, set_segment)(vcpu, sregs_seg(&s, seg), seg);
	kvm_x86_call(vcpu->kvm, set_gdt)(vcpu, &s.gdt);
	kvm_x86_call(vcpu->kvm, set_idt)(vcpu, &s.idt);
	kvm_x86_call(vcpu->kvm, set_efer)(vcpu, s.efer);
	kvm_x86_call(vcpu->kvm, set_cr4)(vcpu, s.cr4);
	kvm_x86_call(vcpu->kvm, set_cr0)(vcpu, s.cr0);
	kvm_x86_call(vcpu->kvm, load_mmu_pgd)(vcpu, 0, s.cr3);
	vcpu_put(vcpu);
	return 0;
}

/* Linux's kvm_cpu_has_injectable_intr: KVM_INTERRUPT's vector or one in the IRR. */
static bool kvm_cpu_has_injectable_intr(const struct kvm_vcpu *vcpu)
{
	return vcpu->irq_pending || kvm_lapic_find_highest_irr(vcpu) >= 0;
}

/* Linux's kvm_cpu_get_interrupt: the vector to inject now, taken out of where it
 * waited; KVM_INTERRUPT's first (Linux has one or the other: user space's
 * interrupt controller or its own APIC), else the IRR's highest. */
static unsigned kvm_cpu_get_interrupt(struct kvm_vcpu *vcpu)
{
	if (vcpu->irq_pending) {
		vcpu->irq_pending = false;
		return vcpu->irq_vector;
	}
	unsigned v = (unsigned)kvm_lapic_find_highest_irr(vcpu);
	vcpu->irr[v / 32] &= ~(1u << (v % 32));
	return v;
}

/* Linux's kvm_check_and_inject_events for what user space queued: an NMI
 * before an interrupt, each injected when the guest can take it, or else its
 * window opened (the exit at the window asks again: KVM_REQ_EVENT). An
 * interrupt waits while an NMI goes in at this entry; one still waiting after
 * this entry's injection opens the window too, as Linux's does. */
static void kvm_inject_pending_events(struct kvm_vcpu *vcpu)
{
	struct kvm *kvm = vcpu->kvm;
	bool nmi_now = false;
	if (vcpu->nmi_pending) {
		nmi_now = kvm_x86_call(kvm, nmi_allowed)(vcpu, true) > 0;
		if (nmi_now) {
			kvm_x86_call(kvm, inject_nmi)(vcpu);
			vcpu->nmi_pending = false;
		} else {
			kvm_x86_call(kvm, enable_nmi_window)(vcpu);
		}
	}
	if (!kvm_cpu_has_injectable_intr(vcpu))
		return;
	if (!nmi_now && kvm_x86_call(kvm, interrupt_allowed)(vcpu, true) > 0)
		kvm_x86_call(kvm, inject_irq)(vcpu, kvm_cpu_get_interrupt(vcpu), false);
	if (kvm_cpu_has_injectable_intr(vcpu))
		kvm_x86_call(kvm, enable_irq_window)(vcpu);
}

int kvm_vcpu_nmi(struct kvm_vcpu *vcpu)
{
	vcpu->nmi_pending = true;
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

int kvm_vcpu_interrupt(struct kvm_vcpu *vcpu, const struct kvm_interrupt *irq)
{
	if (irq->irq >= 256)
		return -EINVAL;
	/* Without an in-kernel irqchip Linux queues the vector over any that waits
	 * (kvm_queue_interrupt): the last one wins. With the split irqchip it is
	 * the PIC's ExtINT (pending_external_vector), one at a time. */
	if (irqchip_in_kernel(vcpu->kvm) && vcpu->irq_pending)
		return -EEXIST;
	vcpu->irq_pending = true;
	vcpu->irq_vector = (uint8_t)irq->irq;
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 0;
}

int kvm_vm_signal_msi(struct kvm *kvm, const struct kvm_msi *msi)
{
	if (!irqchip_in_kernel(kvm) || (msi->flags & ~KVM_MSI_VALID_DEVID))
		return -EINVAL;      /* Linux's kvm_send_userspace_msi: no local APIC to send to */
	unsigned vector = msi->data & 0xff, mode = (msi->data >> 8) & 7, trig = (msi->data >> 15) & 1;
	if (msi->address_hi || (msi->address_lo >> 20) != 0xfee ||
	    (msi->address_lo & MSI_ADDR_DEST_MODE_LOGICAL) || mode != APIC_DM_FIXED || vector < 16)
		return -EINVAL;
	unsigned dest = (msi->address_lo >> 12) & 0xff;
	for (unsigned i = 0; i < kvm->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = kvm->vcpus[i];
		if (vcpu && vcpu->vcpu_id == dest) {
			kvm_x86_call(kvm, deliver_interrupt)(vcpu, APIC_DM_FIXED, (int)trig, (int)vector);
			return 1;
		}
	}
	return 0;
}

/* What vcpu_enter_guest does first: the requests made since the last entry. */
static void kvm_service_requests(struct kvm_vcpu *vcpu)
{
	if (vcpu->requests & (1u << KVM_REQ_LOAD_MMU_PGD)) {
		kvm_x86_call(vcpu->kvm, load_mmu_pgd)(vcpu, vcpu->mmu_root_hpa, 0);
		kvm_x86_call(vcpu->kvm, flush_tlb_current)(vcpu);
	}
	if (vcpu->requests & (1u << KVM_REQ_TLB_FLUSH))
		kvm_x86_call(vcpu->kvm, flush_tlb_all)(vcpu);
	bool event = vcpu->requests & (1u << KVM_REQ_EVENT);
	vcpu->requests = 0;
	if (event)
		kvm_inject_pending_events(vcpu);
}

int kvm_vcpu_run(struct kvm_vcpu *vcpu)
{
	if (vcpu->kvm->vm_dead)
		return -EIO;
	vcpu_load(vcpu);
	int r = kvm_complete_userspace_io(vcpu);
	if (r > 0)
		r = kvm_x86_call(vcpu->kvm, vcpu_pre_run)(vcpu);
	while (r > 0) {
		if (vcpu->requests)
			kvm_service_requests(vcpu);
		enum exit_fastpath_completion fp = kvm_x86_call(vcpu->kvm, vcpu_run)(vcpu);
		vcpu->last_vmentry_cpu = vcpu->cpu;
		r = kvm_x86_call(vcpu->kvm, handle_exit)(vcpu, fp);
	}
	vcpu_put(vcpu);
	return r < 0 ? r : 0;
}

int kvm_memory_encrypt_op(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	return kvm_x86_call(kvm, mem_enc_ioctl)(kvm, cmd);
}

int kvm_vcpu_memory_encrypt_op(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	vcpu_load(vcpu);
	int r = kvm_x86_call(vcpu->kvm, vcpu_mem_enc_ioctl)(vcpu, cmd);
	vcpu_put(vcpu);
	return r;
}

void *kvm_userspace_alloc(uint64_t size)
{
	uint64_t pa = kvm_alloc_user_pages((unsigned)((size + PAGE_SIZE - 1) >> PAGE_SHIFT));
	return pa ? __va(pa) : NULL;
}

void kvm_userspace_free(void *p, uint64_t size)
{
	if (p)
		kvm_free_pages(__pa(p), (unsigned)((size + PAGE_SIZE - 1) >> PAGE_SHIFT));
}
