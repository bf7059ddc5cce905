/* The TDX half of kvmlike (Linux arch/x86/kvm/vmx/tdx.c, written anew): bring-up
 * through the host core (tdx_host.c), TDs and their vCPUs built by the KVM_TDX_*
 * commands, private memory through the S-EPT hooks (link: TDH.MEM.SEPT.ADD; set:
 * TDH.MEM.PAGE.ADD before finalization, TDH.MEM.PAGE.AUG after, at 2 MiB where
 * the guest accepts 2 MiB and the memslot allows it; split: BLOCK, TRACK,
 * PAGE.DEMOTE; remove: BLOCK, TRACK, PAGE.REMOVE, PHYMEM.PAGE.WBINVD), the
 * KVM_TDX_* commands' refusals with Linux's errnos, the TDH.VP.ENTER loop with TDVMCALLs
 * turned into the exits user space knows, and teardown that gives every page back
 * (VP.FLUSH, VPFLUSHDONE, CACHE.WB, KEY.FREEID, PHYMEM.PAGE.RECLAIM). */
#include <string.h>

#include "kvmlike/kvm_x86.h"
#include "kvmlike/tdx_host.h"
#include "kvmlike/trace.h"
#include "kvmlike/x86_ops.h"

/* The TD-side leaves (TDX module ABI numbers). */
enum {
	TDH_VP_ENTER = 0, TDH_MNG_ADDCX = 1, TDH_MEM_PAGE_ADD = 2, TDH_MEM_SEPT_ADD = 3,
	TDH_VP_ADDCX = 4, TDH_MEM_PAGE_AUG = 6, TDH_MEM_RANGE_BLOCK = 7, TDH_MNG_KEY_CONFIG = 8,
	TDH_MNG_CREATE = 9, TDH_VP_CREATE = 10, TDH_MNG_RD = 11, TDH_MR_EXTEND = 16,
	TDH_MR_FINALIZE = 17, TDH_VP_FLUSH = 18, TDH_MNG_VPFLUSHDONE = 19, TDH_MNG_KEY_FREEID = 20,
	TDH_MNG_INIT = 21, TDH_VP_INIT = 22, TDH_PHYMEM_PAGE_RECLAIM = 28, TDH_MEM_PAGE_REMOVE = 29,
	TDH_MEM_PAGE_DEMOTE = 15, TDH_MEM_TRACK = 38, TDH_PHYMEM_CACHE_WB = 40, TDH_PHYMEM_PAGE_WBINVD = 41,
	TDH_VP_RD = 26, TDH_VP_WR = 43,
};

/* GHCI: TDVMCALL sub-functions and statuses. */
enum {
	TDVMCALL_CPUID = 10, TDVMCALL_HLT = 12, TDVMCALL_IO = 30, TDVMCALL_RDMSR = 31,
	TDVMCALL_WRMSR = 32, TDVMCALL_MMIO = 48, TDVMCALL_GET_TD_VM_CALL_INFO = 0x10000,
	TDVMCALL_MAP_GPA = 0x10001, TDVMCALL_GET_QUOTE = 0x10002,
	TDVMCALL_REPORT_FATAL_ERROR = 0x10003, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT = 0x10004,
};
#define TDVMCALL_STATUS_SUCCESS             0ull
#define TDVMCALL_STATUS_RETRY               1ull
#define TDVMCALL_STATUS_INVALID_OPERAND     0x8000000000000000ull
#define TDVMCALL_STATUS_ALIGN_ERROR         0x8000000000000002ull
#define TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED 0x8000000000000003ull

#define TDX_SHARED_BIT (1ull << 47)
#define SHARED_EPT_POINTER 0x203cull  /* the TD VMCS fields, as TDH.VP.WR names them */
#define POSTED_INTR_NV            0x0002ull
#define POSTED_INTR_DESC_ADDR     0x2016ull
#define PIN_BASED_VM_EXEC_CONTROL 0x4000ull
#define PIN_BASED_POSTED_INTR     (1ull << 7)
/* TDVPS fields (TDX module ABI metadata IDs). */
#define TD_VCPU_PEND_NMI               0x202000000000000Bull
#define TD_VCPU_STATE_DETAILS_NON_ARCH 0x9120000300000100ull
#define TDX_VCPU_STATE_DETAILS_INTR_PENDING 1ull
#define EXIT_REASON_EXCEPTION_NMI 0
#define EXIT_REASON_EXTERNAL_INTERRUPT 1
#define EXIT_REASON_TRIPLE_FAULT  2
#define EXIT_REASON_MCE_DURING_VMENTRY 41
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_TDCALL        77
#define TDX_EXT_EXIT_QUAL_ACCEPT  1
#define TDX_EXT_EXIT_QUAL_PENDING 6
#define EPT_VIOLATION_PROT_MASK   (7ull << 3)
#define KVM_HC_ENOSYS 1000

enum kvm_tdx_state { TD_STATE_UNINITIALIZED, TD_STATE_INITIALIZED, TD_STATE_RUNNABLE };

/* An S-EPT table page kvmlike gave the module: its GPA and level, for the mirror
 * and for reclaim. */
struct tdx_sept_page { uint64_t gpa; unsigned level; uint64_t pa; };
#define TDX_MAX_SEPT_PAGES 64

struct kvm_tdx {
	enum kvm_tdx_state state;
	int hkid;                  /* -1 before INIT_VM and after the release */
	uint64_t tdr_pa;
	uint64_t tdcs_pa[16];
	unsigned nr_tdcs_pages;
	unsigned nr_vcpu_tdcx_pages;
	uint64_t attributes, xfam;
	struct tdx_sept_page sept[TDX_MAX_SEPT_PAGES];
	unsigned nr_sept;
	uint64_t tsc_offset, tsc_multiplier;
	struct tdp_mmu shared;     /* the shared EPT: GPAs with the shared bit */
};

struct vcpu_tdx {
	bool initialized;
	uint64_t tdvpr_pa;
	uint64_t tdcx_pa[16];
	unsigned nr_tdcx;
	int last_cpu;              /* the LP the module associated it with, or -1 */
	struct kvm_vcpu *vcpu;
	struct vcpu_tdx *next_associated;   /* in associated_tdvcpus[last_cpu] */
	struct tdx_module_args enter;  /* TDH.VP.ENTER's registers, in and out */
	uint64_t exit_status;
	uint64_t map_gpa_next, map_gpa_end;   /* a MapGPA in pieces: where it is */
	bool exit_hlt;             /* the last TD exit was TDVMCALL<Instruction.HLT> */
	uint64_t pi_desc_pa;       /* the posted-interrupt descriptor's page */
};

static struct kvm_tdx *to_kvm_tdx(struct kvm *kvm) { return kvm->priv; }
static struct vcpu_tdx *to_tdx(struct kvm_vcpu *vcpu) { return vcpu->priv; }

/* The TD vCPUs the module has associated with each LP (Linux's per-CPU
 * associated_tdvcpus): flushed there before the LP leaves VMX operation. */
#define TDX_MAX_CPUS 64                 /* vmx.c's MAX_CPUS */
static struct vcpu_tdx *associated_tdvcpus[TDX_MAX_CPUS];

static void tdx_disassociate(struct vcpu_tdx *t)
{
	if (t->last_cpu >= 0 && t->last_cpu < TDX_MAX_CPUS)
		for (struct vcpu_tdx **p = &associated_tdvcpus[t->last_cpu]; *p; p = &(*p)->next_associated)
			if (*p == t) {
				*p = t->next_associated;
				break;
			}
	t->last_cpu = -1;
}

static void tdx_associate(struct vcpu_tdx *t, int cpu)
{
	if (t->last_cpu == cpu)
		return;
	tdx_disassociate(t);
	t->last_cpu = cpu;
	if (cpu < 0 || cpu >= TDX_MAX_CPUS)
		return;
	t->next_associated = associated_tdvcpus[cpu];
	associated_tdvcpus[cpu] = t;
}

int tdx_bringup(void)
{
	if (tdx_enable()) {
		printk("kvmlike: TDX not available on this platform\n");
		return -ENODEV;
	}
	return 0;
}

/* Posted interrupts (Linux's POSTED_INTR_VECTOR and struct pi_desc): the PIR,
 * bits 255:0, and the outstanding-notification bit ON, bit 256. */
#define POSTED_INTR_VECTOR 0xf2
#define PI_ON_WORD         8
#define APIC_EOI           0xb0
#define APIC_ICR_LO        0x300
#define APIC_DEST_SELF     0x40000

static uint32_t *pi_desc(const struct vcpu_tdx *t)
{
	return __va(t->pi_desc_pa);
}

/* Sets bit `bit`; true when it was set already. */
static bool pi_test_and_set(const struct vcpu_tdx *t, unsigned bit)
{
	uint32_t m = 1u << (bit % 32);
	return __atomic_fetch_or(&pi_desc(t)[bit / 32], m, __ATOMIC_SEQ_CST) & m;
}

static bool pi_test_on(const struct vcpu_tdx *t)
{
	return t->pi_desc_pa && (__atomic_load_n(&pi_desc(t)[PI_ON_WORD], __ATOMIC_SEQ_CST) & 1);
}

/* A notification that made a TD exit (it came while the TD could not take it):
 * the descriptor keeps the vector for the next entry; the host only retires the
 * interrupt (Linux's kvm_posted_intr_ipi). */
static void tdx_posted_intr_ipi(unsigned vector)
{
	(void)vector;
	apic_write(APIC_EOI, 0);
}

void tdx_hardware_setup(void)
{
	kvm_set_host_irq_handler(POSTED_INTR_VECTOR, tdx_posted_intr_ipi);
	vt_x86_ops.link_external_spt = tdx_sept_link_private_spt;
	vt_x86_ops.set_external_spte = tdx_sept_set_private_spte;
	vt_x86_ops.split_external_spt = tdx_sept_split_private_spt;
	vt_x86_ops.remove_external_spte = tdx_sept_remove_private_spte;
	vt_x86_ops.free_external_spt = tdx_sept_free_private_spt;
}

static uint64_t tdh(uint64_t fn, struct tdx_module_args *a)
{
	return seamcall_ret(fn, a);
}

/* A SEAMCALL that must not fail once the state machines allow it: a failure is a
 * kvmlike bug, reported once (KVM_BUG_ON). */
static bool tdh_ok(uint64_t fn, struct tdx_module_args *a, const char *what)
{
	uint64_t r = tdh(fn, a);
	if (r)
		printk("kvmlike: TDX: %s failed: 0x%016llx\n", what, (unsigned long long)r);
	return r == 0;
}

/* ---- VM and vCPU objects ------------------------------------------------------------ */

int tdx_vm_init(struct kvm *kvm)
{
	struct kvm_tdx *t = kzalloc(sizeof(*t));
	if (!t || kvm_mmu_init_mirror(kvm)) {
		kfree(t);
		return -ENOMEM;
	}
	t->hkid = -1;
	kvm->priv = t;
	/* The direct root is the shared EPT (made at INIT_VM): Linux's gfn_direct_bits. */
	kvm->direct_root = &t->shared;
	kvm->gfn_direct_bits = TDX_SHARED_BIT;
	return 0;
}

int tdx_vcpu_create(struct kvm_vcpu *vcpu)
{
	if (to_kvm_tdx(vcpu->kvm)->state != TD_STATE_INITIALIZED)
		return -EIO;             /* KVM_TDX_INIT_VM comes first */
	/* The module requires APICv, hence a local APIC in the kernel; an I/O APIC
	 * there is refused (Linux: only the split irqchip). */
	if (!irqchip_split(vcpu->kvm))
		return -EINVAL;
	struct vcpu_tdx *t = kzalloc(sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->last_cpu = -1;
	t->vcpu = vcpu;
	vcpu->priv = t;
	/* What KVM records of a TD's vCPU; the real state is the module's. */
	vcpu->efer = (1ull << 0) | (1ull << 8) | (1ull << 10) | (1ull << 11);
	return 0;
}

void tdx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	WARN_ON_ONCE(init_event);    /* a TD's vCPU cannot be INITed */
}

/* TDH.VP.FLUSH on the LP the vCPU is associated with (KVM: an IPI to it). */
static void tdx_flush_vp(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (t->last_cpu < 0)
		return;
	unsigned here = smp_processor_id();
	kvm_set_current_cpu((unsigned)t->last_cpu);
	struct tdx_module_args a = { .rcx = t->tdvpr_pa };
	uint64_t r = tdh(TDH_VP_FLUSH, &a);
	/* VCPU_NOT_ASSOCIATED: the module already forgot it (KVM ignores it too). */
	if (r && (r & TDX_SEAMCALL_STATUS_MASK) != TDX_VCPU_NOT_ASSOCIATED)
		printk("kvmlike: TDX: TDH.VP.FLUSH failed: 0x%016llx\n", (unsigned long long)r);
	kvm_set_current_cpu(here);
	tdx_disassociate(t);
}

/* Before VMXOFF on this LP (Linux tdx_disable_virtualization_cpu): the TD vCPUs
 * associated with it are flushed here, so that the module writes their state
 * back and a later TDH.VP.ENTER on any LP associates them again. */
void tdx_disable_virtualization_cpu(void)
{
	unsigned cpu = smp_processor_id();
	while (cpu < TDX_MAX_CPUS && associated_tdvcpus[cpu])
		tdx_flush_vp(associated_tdvcpus[cpu]->vcpu);
}

void tdx_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (t->last_cpu >= 0 && t->last_cpu != cpu)
		tdx_flush_vp(vcpu);      /* migrating: the old LP lets go of it */
	/* A TD exit leaves the LP's register file at INIT: a VM's still there goes
	 * home first. */
	vmx_flush_guest_regs();
	vcpu->cpu = cpu;
}

void tdx_vcpu_put(struct kvm_vcpu *vcpu)
{
}

/* KVM_RUN before KVM_TDX_INIT_VCPU or KVM_TDX_FINALIZE_VM is the caller's error,
 * not a TDH.VP.ENTER the module would refuse. */
int tdx_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	if (!to_tdx(vcpu)->initialized || to_kvm_tdx(vcpu->kvm)->state != TD_STATE_RUNNABLE)
		return -EINVAL;
	return 1;
}

/* The shared EPT's root becomes the TD VMCS's SHARED_EPT_POINTER (TDH.VP.WR, all
 * bits requested, as Linux's td_vmcs_write64: the module lets the host write the
 * address alone and takes memory type and walk length from the TD's EPTP); the
 * S-EPT is the module's. */
void tdx_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3)
{
	struct tdx_module_args a = { .rcx = to_tdx(vcpu)->tdvpr_pa, .rdx = SHARED_EPT_POINTER,
				     .r8 = root_hpa, .r9 = ~0ull };
	tdh_ok(TDH_VP_WR, &a, "TDH.VP.WR");
}

/* The shared EPT's translations go (the module flushes the S-EPT's itself at
 * TDH.VP.ENTER after TDH.MEM.TRACK). All-context, as Linux does: the shared EPT
 * is tagged with the private EPTP, which KVM does not hold. */
void tdx_flush_tlb_all(struct kvm_vcpu *vcpu)
{
	ept_sync_global();
}

/* After load_mmu_pgd: the shared EPT's, all-context for the same reason. */
void tdx_flush_tlb_current(struct kvm_vcpu *vcpu)
{
	ept_sync_global();
}

static uint64_t reclaim_page(uint64_t pa)
{
	struct tdx_module_args a = { .rcx = pa };
	return tdh(TDH_PHYMEM_PAGE_RECLAIM, &a);
}

/* Reclaims a page the module owned and gives it back to the page allocator. */
static void tdx_reclaim_and_free(uint64_t pa)
{
	if (!pa)
		return;
	if (reclaim_page(pa))
		printk("kvmlike: TDX: page 0x%llx not reclaimed: leaked\n", (unsigned long long)pa);
	else
		kvm_free_pages(pa, 1);
}

void tdx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (!t)
		return;
	tdx_disassociate(t);
	struct kvm_tdx *kt = to_kvm_tdx(vcpu->kvm);
	if (kt->hkid < 0) {          /* released: the module lets go of the pages */
		for (unsigned i = 0; i < t->nr_tdcx; i++)
			tdx_reclaim_and_free(t->tdcx_pa[i]);
		tdx_reclaim_and_free(t->tdvpr_pa);
	}
	if (t->pi_desc_pa)
		kvm_free_pages(t->pi_desc_pa, 1);
	kfree(t);
	vcpu->priv = NULL;
}

/* The TD's control pages once its HKID is released: S-EPT pages (free_external_spt),
 * the TDCS pages, then the TDR (written back with the global KeyID it was keyed with). */
static void tdx_reclaim_td_control_pages(struct kvm *kvm)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	for (unsigned i = t->nr_sept; i-- > 0;)
		kvm_x86_call(kvm, free_external_spt)(kvm, t->sept[i].gpa >> PAGE_SHIFT, (int)t->sept[i].level,
						      t->sept[i].pa);
	t->nr_sept = 0;
	for (unsigned i = 0; i < t->nr_tdcs_pages; i++)
		tdx_reclaim_and_free(t->tdcs_pa[i]);
	memset(t->tdcs_pa, 0, sizeof(t->tdcs_pa));
	if (!t->tdr_pa)
		return;
	if (!reclaim_page(t->tdr_pa)) {
		struct tdx_module_args a = {
			.rcx = mk_keyed_paddr(tdx_sys_info()->global_keyid, t->tdr_pa) };
		tdh_ok(TDH_PHYMEM_PAGE_WBINVD, &a, "TDH.PHYMEM.PAGE.WBINVD");
		kvm_free_pages(t->tdr_pa, 1);
	} else {
		printk("kvmlike: TDX: the TDR was not reclaimed: leaked\n");
	}
	t->tdr_pa = 0;
}

/* ---- private memory: the S-EPT hooks ---------------------------------------------- */

static struct tdx_sept_page *find_sept(struct kvm_tdx *t, uint64_t gpa, unsigned level)
{
	uint64_t span = 1ull << (12 + 9 * level);
	for (unsigned i = 0; i < t->nr_sept; i++)
		if (t->sept[i].level == level && t->sept[i].gpa == (gpa & ~(span - 1)))
			return &t->sept[i];
	return NULL;
}

/* The host-physical page a memslot gives guest-physical `gpa` (no shared bit),
 * or 0 when no memslot holds it. */
static uint64_t memslot_hpa(const struct kvm *kvm, uint64_t gpa)
{
	void *hva = kvm_gpa_to_hva(kvm, gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
	return hva ? __pa(hva) : 0;
}

static uint64_t level_size(unsigned level)
{
	return 1ull << (12 + 9 * level);
}

/* The largest level KVM may map private `gpa` at (KVM's max mapping level): 2 MiB
 * when its memslot's guest_memfd can give the whole 2 MiB around it as one page,
 * all of it is private, and no S-EPT table maps that range at 4 KiB already; else
 * 4 KiB. */
static unsigned tdx_max_mapping_level(struct kvm *kvm, uint64_t gpa)
{
	uint64_t big = gpa & ~(level_size(1) - 1);
	const struct kvm_memory_slot *slot = gfn_to_memslot(kvm, big >> PAGE_SHIFT);
	if (!slot || !kvm_gmem_max_level(slot, big >> PAGE_SHIFT) || find_sept(to_kvm_tdx(kvm), big, 1) ||
	    !kvm_range_is_private(kvm, big >> PAGE_SHIFT, 512))   /* mixed attributes: 4 KiB */
		return 0;
	return 1;
}

/* A new S-EPT table page for the entry at `gpa` | `level`, recorded for the
 * mirror and for reclaim: SEPT.ADD (link) or DEMOTE (split) with the page in R8. */
static int tdx_sept_add_table(struct kvm *kvm, uint64_t fn, uint64_t gpa, unsigned level)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	if (t->nr_sept >= TDX_MAX_SEPT_PAGES)
		return -ENOMEM;
	uint64_t page = kvm_alloc_pages(1), base = gpa & ~(level_size(level) - 1);
	if (!page)
		return -ENOMEM;
	struct tdx_module_args a = { .rcx = base | level, .rdx = t->tdr_pa, .r8 = page };
	uint64_t st = tdh(fn, &a);
	if (st) {
		kvm_free_pages(page, 1);
		if ((st & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY)
			return -EBUSY;   /* contended: the fault is taken again */
		printk("kvmlike: TDX: %s failed: 0x%016llx\n",
		       fn == TDH_MEM_SEPT_ADD ? "TDH.MEM.SEPT.ADD" : "TDH.MEM.PAGE.DEMOTE", (unsigned long long)st);
		return -EIO;
	}
	t->sept[t->nr_sept++] = (struct tdx_sept_page){ base, level, page };
	return 0;
}

/* link_external_spt: the S-EPT tables down to the one whose entries map `gfn`
 * at `level` (Linux links one level per call; the walk here adds each missing one). */
int tdx_sept_link_private_spt(struct kvm *kvm, uint64_t gfn, int level)
{
	uint64_t gpa = gfn << PAGE_SHIFT;
	for (unsigned l = 3; l > (unsigned)level; l--) {
		if (find_sept(to_kvm_tdx(kvm), gpa, l))
			continue;
		int r = tdx_sept_add_table(kvm, TDH_MEM_SEPT_ADD, gpa, l);
		if (r)
			return r;
	}
	return 0;
}

/* The memslot holding `gpa` if its private half is a guest_memfd, else NULL. */
static const struct kvm_memory_slot *gmem_slot(const struct kvm *kvm, uint64_t gpa)
{
	const struct kvm_memory_slot *slot = gfn_to_memslot(kvm, gpa >> PAGE_SHIFT);
	return slot && slot->gmem ? slot : NULL;
}

/* set_external_spte: a private page of `level`'s size for `gfn`, from its
 * memslot's guest_memfd: added with its initial contents before finalization
 * (4 KiB), augmented (for the guest to accept) after. The tables above it are
 * linked already. A page the module refuses stays in the file, as in Linux. */
int tdx_sept_set_private_spte(struct kvm *kvm, uint64_t gfn, int level, uint64_t source_pa)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	uint64_t gpa = gfn << PAGE_SHIFT;
	const struct kvm_memory_slot *slot = gmem_slot(kvm, gpa);
	if (!slot)
		return -EINVAL;
	uint64_t hpa = kvm_gmem_get_pfn(slot, gfn, (unsigned)level);
	if (!hpa)
		return -ENOMEM;
	struct tdx_module_args a = { .rcx = gpa | level, .rdx = t->tdr_pa, .r8 = hpa, .r9 = source_pa };
	uint64_t st = tdh(t->state == TD_STATE_RUNNABLE ? TDH_MEM_PAGE_AUG : TDH_MEM_PAGE_ADD, &a);
	if ((st & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY)
		return -EBUSY;           /* contended: the fault is taken again */
	return st ? -EIO : 0;
}

/* In a running TD an entry is blocked and the blocking tracked before it
 * changes (KVM then kicks every vCPU out of the TD: none runs while kvmlike does). */
static bool tdx_block_and_track(struct kvm_tdx *t, uint64_t gpa, unsigned level)
{
	if (t->state != TD_STATE_RUNNABLE)
		return true;
	struct tdx_module_args a = { .rcx = gpa | level, .rdx = t->tdr_pa };
	if (!tdh_ok(TDH_MEM_RANGE_BLOCK, &a, "TDH.MEM.RANGE.BLOCK"))
		return false;
	a = (struct tdx_module_args){ .rcx = t->tdr_pa };
	return tdh_ok(TDH_MEM_TRACK, &a, "TDH.MEM.TRACK");
}

/* remove_external_spte: block, track, remove, and write the page back with the
 * TD's KeyID (each 4 KiB of it), after which it is ordinary memory again, still
 * the guest_memfd's (a punched hole frees it); -EIO if the module refuses. */
int tdx_sept_remove_private_spte(struct kvm *kvm, uint64_t gfn, int level, uint64_t hpa)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	uint64_t gpa = gfn << PAGE_SHIFT;
	if (!tdx_block_and_track(t, gpa, (unsigned)level))
		return -EIO;
	struct tdx_module_args a = { .rcx = gpa | (unsigned)level, .rdx = t->tdr_pa };
	if (!tdh_ok(TDH_MEM_PAGE_REMOVE, &a, "TDH.MEM.PAGE.REMOVE") || !hpa)
		return -EIO;
	for (uint64_t off = 0; off < level_size((unsigned)level); off += PAGE_SIZE) {
		a = (struct tdx_module_args){ .rcx = mk_keyed_paddr((unsigned)t->hkid, hpa + off) };
		tdh_ok(TDH_PHYMEM_PAGE_WBINVD, &a, "TDH.PHYMEM.PAGE.WBINVD");
	}
	memset(__va(hpa), 0, level_size((unsigned)level));     /* MOVDIR64B in Linux */
	return 0;
}

/* free_external_spt: an S-EPT page goes back to the host once the HKID is gone. */
void tdx_sept_free_private_spt(struct kvm *kvm, uint64_t gfn, int level, uint64_t spt_pa)
{
	tdx_reclaim_and_free(spt_pa);
}

/* split_external_spt: the 2 MiB private page at `gfn` becomes 512 4 KiB ones in a
 * new S-EPT table (block, track, DEMOTE), each then on its own: for a 4 KiB
 * ACCEPT of it, or a conversion of part of it to shared. */
int tdx_sept_split_private_spt(struct kvm *kvm, uint64_t gfn)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	uint64_t gpa = gfn << PAGE_SHIFT;
	if (!tdx_block_and_track(t, gpa, 1))
		return -EIO;
	return tdx_sept_add_table(kvm, TDH_MEM_PAGE_DEMOTE, gpa, 1);
}

/* An access whose shared bit says private where the attribute says shared, or the
 * reverse: user space decides (it converts, as for MapGPA), and KVM_RUN fails with
 * -EFAULT (Linux kvm_mmu_prepare_memory_fault_exit). `gpa` has no shared bit. */
static int tdx_memory_fault_exit(struct kvm_vcpu *vcpu, uint64_t gpa, bool private)
{
	struct kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_MEMORY_FAULT;
	run->memory_fault.flags = private ? KVM_MEMORY_EXIT_FLAG_PRIVATE : 0;
	run->memory_fault.gpa = gpa;
	run->memory_fault.size = PAGE_SIZE;
	return -EFAULT;
}

/* A shared GPA: the same memslot page, mapped in the shared EPT the VMM owns (the
 * host sees what the TD writes there). */
static int tdx_map_shared(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct kvm_tdx *t = to_kvm_tdx(vcpu->kvm);
	uint64_t hpa = memslot_hpa(vcpu->kvm, gpa & ~TDX_SHARED_BIT);
	/* No memslot: MMIO. The entry becomes one that does not suppress #VE: the
	 * guest's next access is its #VE, and it asks with TDVMCALL<#VE.RequestMMIO>. */
	if (!hpa) {
		if (tdp_mmu_map_mmio(&t->shared, gpa))
			return kvm_emulation_failed(vcpu);
		return 1;
	}
	if (tdp_mmu_map(&t->shared, gpa, hpa))
		return kvm_emulation_failed(vcpu);
	vcpu->stat.ept_maps++;
	return 1;
}

/* The level an EPT violation on private `gpa` maps at: a guest's ACCEPT says
 * which size it accepts (the extended exit qualification's requested level),
 * within what the memslot allows; any other access maps 4 KiB. */
static unsigned tdx_fault_level(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t ext_qual)
{
	if ((ext_qual & 0xf) != TDX_EXT_EXIT_QUAL_ACCEPT || !((ext_qual >> 32) & 7))
		return 0;
	return tdx_max_mapping_level(vcpu->kvm, gpa);
}

/* A 4 KiB ACCEPT that found a 2 MiB PENDING page (the walk stopped at a leaf
 * above the requested level): that page is split, and the ACCEPT runs again. */
static bool tdx_accept_needs_split(uint64_t ext_qual)
{
	uint64_t info = ext_qual >> 32;
	return (ext_qual & 0xf) == TDX_EXT_EXIT_QUAL_ACCEPT && ((info >> 3) & 7) > (info & 7) &&
	       ((info >> 14) & 1);
}

static int tdx_ept_violation_failed(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	vcpu->run->internal.suberror = KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON;
	vcpu->run->internal.ndata = 2;
	vcpu->run->internal.data[0] = EXIT_REASON_EPT_VIOLATION;
	vcpu->run->internal.data[1] = gpa;
	return 0;
}

/* The guest touched a private page the VMM added but it never accepted, on a TD
 * whose pending pages are TD exits rather than #VEs (SEPT_VE_DISABLE): the
 * extended qualification says PENDING and the access found no permission. In
 * Linux a guest bug that ends the VM (kvm_vm_dead, KVM_RUN -EIO). */
static bool tdx_unexpected_pending(uint64_t exit_qual, uint64_t ext_qual)
{
	return (ext_qual & 0xf) == TDX_EXT_EXIT_QUAL_PENDING && !(exit_qual & EPT_VIOLATION_PROT_MASK);
}

/* An EPT violation: one the memory attributes do not allow goes to user space;
 * a shared GPA maps in the shared EPT; a private one's page comes from its memslot (AUG), at
 * 2 MiB when the guest accepts 2 MiB and the memslot allows it; the guest
 * accepts it. */
static int tdx_handle_ept_violation(struct kvm_vcpu *vcpu, uint64_t gpa, uint64_t exit_qual,
				    uint64_t ext_qual)
{
	gpa &= ~(PAGE_SIZE - 1);
	bool private = !(gpa & TDX_SHARED_BIT);
	uint64_t gfn = (gpa & ~TDX_SHARED_BIT) >> PAGE_SHIFT;
	const struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, gfn);
	/* Private memory needs a guest_memfd (Linux: a slot that cannot be private
	 * is a memory fault too). */
	if (slot && (private != kvm_mem_is_private(vcpu->kvm, gfn) || (private && !slot->gmem)))
		return tdx_memory_fault_exit(vcpu, gfn << PAGE_SHIFT, private);
	if (!private)
		return tdx_map_shared(vcpu, gpa);
	if (tdx_unexpected_pending(exit_qual, ext_qual)) {
		printk("kvmlike: TDX: guest access before accepting 0x%llx on vCPU %u\n",
		       (unsigned long long)gpa, vcpu->vcpu_id);
		vcpu->kvm->vm_dead = true;
		return -EIO;
	}
	const struct kvm_mirror_spte *m = kvm_mmu_find_private(vcpu->kvm, gpa >> PAGE_SHIFT);
	if (m && tdx_accept_needs_split(ext_qual) && m->level) {
		if (kvm_mmu_split_private(vcpu->kvm, m->gfn))
			return tdx_ept_violation_failed(vcpu, gpa);
		vcpu->kvm->stat.ept_splits++;
		return 1;
	}
	/* Mapped already (another vCPU's fault on the page was handled first): a
	 * second AUG would fail (TDX_EPT_ENTRY_STATE_INCORRECT). As Linux's TDP MMU
	 * finding the mirror entry present, the fault is spurious: enter again. */
	if (m) {
		vcpu->stat.pf_spurious++;
		return 1;
	}
	unsigned level = tdx_fault_level(vcpu, gpa, ext_qual);
	gpa &= ~(level_size(level) - 1);
	int e = kvm_mmu_map_private(vcpu->kvm, gpa >> PAGE_SHIFT, level, 0);
	if (e == -EBUSY)
		return 1;                /* re-enter: the guest faults again, KVM retries */
	vcpu->stat.ept_maps++;
	if (level)
		vcpu->stat.ept_maps_2m++;
	return e ? tdx_ept_violation_failed(vcpu, gpa) : 1;
}

/* ---- the KVM_TDX_* commands ------------------------------------------------------ */

/* TD_PARAMS offsets (TDX module ABI). */
enum { TDP_ATTRIBUTES = 0, TDP_XFAM = 8, TDP_MAX_VCPUS = 16, TDP_EPTP_CONTROLS = 24,
       TDP_CONFIG_FLAGS = 32, TDP_TSC_FREQUENCY = 40, TDP_MRCONFIGID = 80,
       TDP_CPUID_VALUES = 256 };

/* The module's configurable CPUID leaf `i` as KVM's entry: the bits set where
 * the VMM may choose them. */
static void td_init_cpuid_entry2(struct kvm_cpuid_entry2 *e, unsigned i)
{
	const struct tdx_sys_info *si = tdx_sys_info();
	uint64_t leaf = si->cpuid_config_leaves[i];
	memset(e, 0, sizeof(*e));
	e->function = (uint32_t)leaf;
	e->index = (uint32_t)(leaf >> 32);
	if (e->index == ~0u)
		e->index = 0;
	else
		e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
	e->eax = (uint32_t)si->cpuid_config_values[i][0];
	e->ebx = (uint32_t)(si->cpuid_config_values[i][0] >> 32);
	e->ecx = (uint32_t)si->cpuid_config_values[i][1];
	e->edx = (uint32_t)(si->cpuid_config_values[i][1] >> 32);
}

/* What KVM_TDX_CAPABILITIES offers and KVM_TDX_INIT_VM accepts: the DEBUG and
 * SEPT_VE_DISABLE attributes; x87, SSE and AVX state. */
#define TDX_SUPPORTED_ATTRS ((1ull << 0) | (1ull << 28))
#define TDX_SUPPORTED_XFAM  0x7ull

static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static int tdx_get_capabilities(struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx_capabilities *caps = (void *)(uintptr_t)cmd->data;
	const struct tdx_sys_info *si = tdx_sys_info();
	if (cmd->flags || !caps)
		return -EINVAL;
	uint32_t room = caps->cpuid.nent;
	memset(caps, 0, sizeof(*caps));
	caps->cpuid.nent = si->num_cpuid_config;
	if (room < si->num_cpuid_config)
		return -E2BIG;
	caps->supported_attrs = TDX_SUPPORTED_ATTRS;
	caps->supported_xfam = TDX_SUPPORTED_XFAM;
	for (unsigned i = 0; i < si->num_cpuid_config; i++)
		td_init_cpuid_entry2(&caps->cpuid.entries[i], i);
	return 0;
}

static const struct kvm_cpuid_entry2 *find_cpuid_entry2(const struct kvm_cpuid2 *c,
							 uint32_t function, uint32_t index)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == function &&
		    (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
			return e;
	}
	return NULL;
}

/* TD_PARAMS CPUID_VALUES in the module's order, from the user's entries (as
 * Linux's setup_tdparams_cpuids): the module refuses bits that are not
 * configurable; an entry with no slot is refused here. */
static int setup_tdparams_cpuids(const struct kvm_cpuid2 *cpuid, uint8_t *params)
{
	const struct tdx_sys_info *si = tdx_sys_info();
	uint32_t copied = 0;
	if (si->num_cpuid_config > 8)
		return -EINVAL;                   /* TD_PARAMS holds eight */
	for (unsigned i = 0; i < si->num_cpuid_config; i++) {
		struct kvm_cpuid_entry2 slot;
		td_init_cpuid_entry2(&slot, i);
		const struct kvm_cpuid_entry2 *e = find_cpuid_entry2(cpuid, slot.function, slot.index);
		if (!e)
			continue;
		copied++;
		uint32_t v[4] = { e->eax, e->ebx, e->ecx, e->edx };
		memcpy(params + TDP_CPUID_VALUES + 16 * i, v, sizeof(v));
	}
	return copied == cpuid->nent ? 0 : -EINVAL;
}


/* TD_PARAMS from the user's request (Linux's setup_tdparams). */
static int setup_tdparams(const struct kvm_tdx_init_vm *init, uint8_t p[1024])
{
	if ((init->attributes & ~TDX_SUPPORTED_ATTRS) || (init->xfam & ~TDX_SUPPORTED_XFAM))
		return -EINVAL;
	uint64_t eptp = 6 | 3 << 3, flags = 1ull << 2;        /* WB, 4 levels; NO_RBP_MOD */
	uint16_t max_vcpus = KVM_MAX_VCPUS, tsc = 100;          /* 2.5 GHz */
	memset(p, 0, 1024);
	memcpy(p + TDP_ATTRIBUTES, &init->attributes, 8);
	memcpy(p + TDP_XFAM, &init->xfam, 8);
	memcpy(p + TDP_MAX_VCPUS, &max_vcpus, 2);
	memcpy(p + TDP_EPTP_CONTROLS, &eptp, 8);
	memcpy(p + TDP_CONFIG_FLAGS, &flags, 8);
	memcpy(p + TDP_TSC_FREQUENCY, &tsc, 2);
	memcpy(p + TDP_MRCONFIGID, init->mrconfigid, 3 * 48);
	return setup_tdparams_cpuids(&init->cpuid, p);
}

static int tdx_td_init(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	const struct kvm_tdx_init_vm *init = (const void *)(uintptr_t)cmd->data;
	const struct tdx_sys_info *si = tdx_sys_info();
	if (t->state != TD_STATE_UNINITIALIZED)
		return -EINVAL;
	if (cmd->flags || !init)
		return -EINVAL;
	if (init->cpuid.nent > KVM_MAX_CPUID_ENTRIES)
		return -E2BIG;
	if (!all_zero(init->reserved, sizeof(init->reserved)) || init->cpuid.padding)
		return -EINVAL;
	if (kvm->nr_vcpus)
		return -EBUSY;           /* setup_tdparams: vCPUs exist already */
	uint8_t p[1024];
	int e = setup_tdparams(init, p);
	if (e)
		return e;
	int hkid = tdx_guest_keyid_alloc();
	if (hkid < 0)
		return hkid;             /* -ENOSPC: every TDX KeyID is in use */
	unsigned nr_tdcs = si->tdcs_base_size / PAGE_SIZE, added = 0;
	int ret = -EIO;
	uint64_t st = 0;
	t->tdr_pa = kvm_alloc_pages(1);
	t->nr_tdcs_pages = 0;          /* those the module took */
	t->nr_vcpu_tdcx_pages = si->tdvps_base_size / PAGE_SIZE - 1;
	uint64_t params = kvm_alloc_pages(1);
	if (!t->tdr_pa || !params || nr_tdcs > 16 || t->nr_vcpu_tdcx_pages > 16)
		goto nomem;
	/* Only TDH.MNG.INIT's OPERAND_INVALID reaches user space (hw_error, -EINVAL):
	 * the operands are the user's. Any other failure is KVM's (-EIO, logged). */
	struct tdx_module_args a = { .rcx = t->tdr_pa, .rdx = (uint64_t)hkid };
	if ((st = tdh(TDH_MNG_CREATE, &a))) {
		ret = st == TDX_RND_NO_ENTROPY ? -EAGAIN : -EIO;
		goto fail;
	}
	t->hkid = hkid;
	/* One package: the key is programmed from this LP. */
	a = (struct tdx_module_args){ .rcx = t->tdr_pa };
	if ((st = tdh(TDH_MNG_KEY_CONFIG, &a)))
		goto fail;
	for (; added < nr_tdcs; added++) {
		if (!(t->tdcs_pa[added] = kvm_alloc_pages(1)))
			goto nomem;
		a = (struct tdx_module_args){ .rcx = t->tdcs_pa[added], .rdx = t->tdr_pa };
		if ((st = tdh(TDH_MNG_ADDCX, &a))) {
			ret = st == TDX_RND_NO_ENTROPY ? -EAGAIN : -EIO;
			goto fail;
		}
		t->nr_tdcs_pages = added + 1;
	}
	memcpy(__va(params), p, sizeof(p));
	a = (struct tdx_module_args){ .rcx = t->tdr_pa, .rdx = params };
	st = tdh(TDH_MNG_INIT, &a);
	kvm_free_pages(params, 1);
	params = 0;
	if ((st & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_INVALID) {
		cmd->hw_error = st;
		ret = -EINVAL;
		goto fail;
	}
	if (st)
		goto fail;
	static const uint64_t tsc_fields[2] = { 0x110000000000000Aull, 0x110000000000000Bull };
	uint64_t *out[2] = { &t->tsc_offset, &t->tsc_multiplier };
	for (int i = 0; i < 2; i++) {
		a = (struct tdx_module_args){ .rcx = t->tdr_pa, .rdx = tsc_fields[i] };
		if ((st = tdh(TDH_MNG_RD, &a)))
			goto fail;
		*out[i] = a.r8;
	}
	t->attributes = init->attributes;
	t->xfam = init->xfam;
	if (tdp_mmu_init_suppress_ve(&t->shared)) {
		ret = -ENOMEM;
		goto fail;
	}
	t->state = TD_STATE_INITIALIZED;
	return 0;
nomem:
	ret = -ENOMEM;
fail:
	/* As KVM does (__tdx_td_init's teardown): the TD goes, the VM stays as it was
	 * before the command, and INIT_VM may be issued again. What the module took is
	 * reclaimed after the HKID is released; the rest is freed now. */
	if (ret == -EIO)
		printk("kvmlike: TDX: KVM_TDX_INIT_VM failed: 0x%016llx\n", (unsigned long long)st);
	kvm_free_pages(params, 1);
	if (added < nr_tdcs && added < 16) {
		kvm_free_pages(t->tdcs_pa[added], 1);   /* allocated, refused by ADDCX */
		t->tdcs_pa[added] = 0;
	}
	if (t->hkid < 0) {             /* TDH.MNG.CREATE did not take the TDR */
		tdx_guest_keyid_free((unsigned)hkid);
		kvm_free_pages(t->tdr_pa, 1);
		t->tdr_pa = 0;
		return ret;
	}
	tdx_mmu_release_hkid(kvm);
	if (t->hkid < 0)
		tdx_reclaim_td_control_pages(kvm);
	return ret;
}

/* The TD VMCS's posted-interrupt fields, as Linux's tdx_vcpu_init writes them
 * (TDH.VP.WR with td_vmcs_write16/64's masks, the whole field, and
 * td_vmcs_setbit32's): the notification vector, the descriptor, the pin-based
 * control. */
static int tdx_init_posted_interrupts(struct vcpu_tdx *t)
{
	if (!(t->pi_desc_pa = kvm_alloc_pages(1)))
		return -ENOMEM;
	const struct { uint64_t field, value, mask; } w[] = {
		{ POSTED_INTR_NV, POSTED_INTR_VECTOR, 0xffff },
		{ POSTED_INTR_DESC_ADDR, t->pi_desc_pa, ~0ull },
		{ PIN_BASED_VM_EXEC_CONTROL, PIN_BASED_POSTED_INTR, PIN_BASED_POSTED_INTR },
	};
	for (unsigned i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		struct tdx_module_args a = { .rcx = t->tdvpr_pa, .rdx = w[i].field, .r8 = w[i].value,
					     .r9 = w[i].mask };
		if (!tdh_ok(TDH_VP_WR, &a, "TDH.VP.WR"))
			return -EIO;
	}
	return 0;
}

static int tdx_td_vcpu_init(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *kt = to_kvm_tdx(vcpu->kvm);
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (t->initialized || kt->state != TD_STATE_INITIALIZED || cmd->flags)
		return -EINVAL;
	if (!(t->tdvpr_pa = kvm_alloc_pages(1)))
		return -ENOMEM;
	struct tdx_module_args a = { .rcx = t->tdvpr_pa, .rdx = kt->tdr_pa };
	if (!tdh_ok(TDH_VP_CREATE, &a, "TDH.VP.CREATE")) {
		kvm_free_pages(t->tdvpr_pa, 1);
		t->tdvpr_pa = 0;
		return -EIO;
	}
	for (unsigned i = 0; i < kt->nr_vcpu_tdcx_pages; i++) {
		if (!(t->tdcx_pa[i] = kvm_alloc_pages(1)))
			return -ENOMEM;
		a = (struct tdx_module_args){ .rcx = t->tdcx_pa[i], .rdx = t->tdvpr_pa };
		if (!tdh_ok(TDH_VP_ADDCX, &a, "TDH.VP.ADDCX")) {
			kvm_free_pages(t->tdcx_pa[i], 1);
			t->tdcx_pa[i] = 0;
			return -EIO;
		}
		t->nr_tdcx = i + 1;
	}
	/* Version 1: the x2APIC ID is the vCPU's id. */
	a = (struct tdx_module_args){ .rcx = t->tdvpr_pa, .rdx = cmd->data, .r8 = vcpu->vcpu_id };
	if (!tdh_ok(TDH_VP_INIT | 1 << 16, &a, "TDH.VP.INIT"))
		return -EIO;
	tdx_associate(t, (int)smp_processor_id());   /* VP.INIT associates it here */
	int e = tdx_init_posted_interrupts(t);
	if (e)
		return e;
	/* The shared EPT's root reaches the TD VMCS before the first entry, through
	 * load_mmu_pgd, and flush_tlb_current follows (Linux kvm_mmu_load). */
	vcpu->mmu_root_hpa = kt->shared.root;
	kvm_make_request(KVM_REQ_LOAD_MMU_PGD, vcpu);
	t->initialized = true;
	return 0;
}

/* The initial contents of private memory, page by page, measured into MRTD when
 * the flag asks (16 TDH.MR.EXTEND per page). As in Linux: the vCPU initialized,
 * page-aligned operands, at least one page, the whole range private (below the
 * shared bit, with the private attribute); a refused PAGE.ADD is -EIO (-EBUSY when contended) and, a vCPU
 * command, reports no hw_error. */
static int tdx_init_mem_region(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *t = to_kvm_tdx(vcpu->kvm);
	struct kvm_tdx_init_mem_region *r = (void *)(uintptr_t)cmd->data;
	if (!to_tdx(vcpu)->initialized || (cmd->flags & ~KVM_TDX_MEASURE_MEMORY_REGION) || !r)
		return -EINVAL;
	uint64_t end = r->gpa + (r->nr_pages << PAGE_SHIFT);
	if (((r->gpa | r->source_addr) & (PAGE_SIZE - 1)) || !r->nr_pages || (r->nr_pages >> 52) ||
	    end <= r->gpa || end > TDX_SHARED_BIT)
		return -EINVAL;
	while (r->nr_pages) {
		const void *src = (const void *)(uintptr_t)r->source_addr;
		if (!kvm_is_guest_memory(src, PAGE_SIZE))
			return -EFAULT;
		if (!kvm_mem_is_private(vcpu->kvm, r->gpa >> PAGE_SHIFT))
			return -EINVAL;      /* user space made it private first (gmem populate) */
		int e = kvm_mmu_map_private(vcpu->kvm, r->gpa >> PAGE_SHIFT, 0, __pa(src));
		if (e)
			return e;
		if (cmd->flags & KVM_TDX_MEASURE_MEMORY_REGION) {
			for (uint64_t off = 0; off < PAGE_SIZE; off += 256) {
				struct tdx_module_args a = { .rcx = r->gpa + off, .rdx = t->tdr_pa };
				if (!tdh_ok(TDH_MR_EXTEND, &a, "TDH.MR.EXTEND"))
					return -EIO;
			}
		}
		r->gpa += PAGE_SIZE;
		r->source_addr += PAGE_SIZE;
		r->nr_pages--;
	}
	return 0;
}

static int tdx_td_finalize(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	if (t->hkid < 0 || t->state == TD_STATE_RUNNABLE)
		return -EINVAL;
	struct tdx_module_args a = { .rcx = t->tdr_pa };
	if ((cmd->hw_error = tdh(TDH_MR_FINALIZE, &a)))
		return (cmd->hw_error & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY ? -EBUSY : -EIO;
	t->state = TD_STATE_RUNNABLE;
	return 0;
}

/* KVM_MEMORY_ENCRYPT_OP on a TD. hw_error is the kernel's to fill: a command
 * that comes with one set is refused. */
int tdx_vm_ioctl(struct kvm *kvm, struct kvm_tdx_cmd *cmd)
{
	if (cmd->hw_error)
		return -EINVAL;
	switch (cmd->id) {
	case KVM_TDX_CAPABILITIES:
		return tdx_get_capabilities(cmd);
	case KVM_TDX_INIT_VM:
		return tdx_td_init(kvm, cmd);
	case KVM_TDX_FINALIZE_VM:
		return tdx_td_finalize(kvm, cmd);
	default:
		return -EINVAL;
	}
}

/* One CPUID value of the TD (TDH.MNG.RD of CPUID_VALUES, both halves) as KVM's
 * entry; -EIO when the module has no such leaf or subleaf. */
#define TD_MD_FIELD_ID_CPUID_VALUES 0x9410000300000000ull
static int tdx_read_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t sub, bool has_sub,
			  struct kvm_cpuid_entry2 *e)
{
	struct kvm_tdx *t = to_kvm_tdx(vcpu->kvm);
	uint64_t id = TD_MD_FIELD_ID_CPUID_VALUES | (uint64_t)(leaf >> 31) << 16 |
		      (uint64_t)(leaf & 0x7f) << 9 | (has_sub ? (sub & 0x7f) << 1 : 0x1fe);
	uint64_t half[2];
	if (sub > 0x7f || (leaf & 0x7fffff80))
		return -EINVAL;              /* the field id cannot name it */
	for (int i = 0; i < 2; i++) {
		struct tdx_module_args a = { .rcx = t->tdr_pa, .rdx = id + i };
		if (tdh(TDH_MNG_RD, &a))
			return -EIO;
		half[i] = a.r8;
	}
	*e = (struct kvm_cpuid_entry2){
		.function = leaf, .index = has_sub ? sub : 0,
		.flags = has_sub ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0,
		.eax = (uint32_t)half[0], .ebx = (uint32_t)(half[0] >> 32),
		.ecx = (uint32_t)half[1], .edx = (uint32_t)(half[1] >> 32),
	};
	return 0;
}

/* A leaf with no subleaves, or each of its subleaves until the module has no more. */
static void tdx_get_cpuid_leaf(struct kvm_vcpu *vcpu, uint32_t leaf, struct kvm_cpuid_entry2 *out,
			       uint32_t *n)
{
	if (*n >= KVM_MAX_CPUID_ENTRIES)
		return;
	if (!tdx_read_cpuid(vcpu, leaf, 0, false, &out[*n])) {
		++*n;
		return;
	}
	for (uint32_t sub = 0; *n < KVM_MAX_CPUID_ENTRIES; sub++, ++*n)
		if (tdx_read_cpuid(vcpu, leaf, sub, true, &out[*n]))
			return;
}

/* KVM_TDX_GET_CPUID: the CPUID the TD sees, leaf by leaf through the module's
 * metadata; -E2BIG (with nent the count) when the user's array is too small. */
static int tdx_vcpu_get_cpuid(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	struct kvm_cpuid2 *user = (void *)(uintptr_t)cmd->data;
	if (cmd->flags || !user || to_kvm_tdx(vcpu->kvm)->state != TD_STATE_INITIALIZED)
		return -EINVAL;
	struct kvm_cpuid_entry2 *e = kzalloc(KVM_MAX_CPUID_ENTRIES * sizeof(*e));
	if (!e)
		return -ENOMEM;
	static const uint32_t ranges[2] = { 0, 0x80000000u };
	uint32_t n = 0;
	int ret = 0;
	for (int r = 0; r < 2 && !ret; r++) {
		if (tdx_read_cpuid(vcpu, ranges[r], 0, false, &e[n])) {
			ret = -EIO;
			break;
		}
		uint32_t max = e[n++].eax;
		for (uint32_t leaf = ranges[r] + 1; leaf <= max && leaf - ranges[r] < 0x80; leaf++)
			tdx_get_cpuid_leaf(vcpu, leaf, e, &n);
	}
	if (!ret) {
		uint32_t room = user->nent;
		user->nent = n;
		if (room < n)
			ret = -E2BIG;
		else
			memcpy(user->entries, e, n * sizeof(e[0]));
	}
	kfree(e);
	return ret;
}

/* The vCPU commands, only between INIT_VM and FINALIZE_VM; as in Linux they
 * report no hw_error (the command is not copied back). */
int tdx_vcpu_ioctl(struct kvm_vcpu *vcpu, struct kvm_tdx_cmd *cmd)
{
	const struct kvm_tdx *kt = to_kvm_tdx(vcpu->kvm);
	if (kt->hkid < 0 || kt->state == TD_STATE_RUNNABLE || !to_tdx(vcpu) || cmd->hw_error)
		return -EINVAL;
	switch (cmd->id) {
	case KVM_TDX_INIT_VCPU:
		return tdx_td_vcpu_init(vcpu, cmd);
	case KVM_TDX_INIT_MEM_REGION:
		return tdx_init_mem_region(vcpu, cmd);
	case KVM_TDX_GET_CPUID:
		return tdx_vcpu_get_cpuid(vcpu, cmd);
	default:
		return -EINVAL;
	}
}

/* ---- running: TDH.VP.ENTER and the TD exits ----------------------------------- */

/* The GPRs a TDVMCALL exposes travel in vcpu->regs (KVM's register cache), as
 * Linux keeps them; tdx_vcpu_run hands them back at the next entry. */
static const enum kvm_reg exposed[] = { VCPU_REGS_R10, VCPU_REGS_R11, VCPU_REGS_R12,
					VCPU_REGS_R13, VCPU_REGS_R14, VCPU_REGS_R15 };

static uint64_t *enter_reg(struct tdx_module_args *a, enum kvm_reg r)
{
	return &a->r10 + (r - VCPU_REGS_R10);
}

static uint32_t tdx_exit_reason(uint64_t st);

enum exit_fastpath_completion tdx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	struct tdx_module_args *a = &t->enter;
	for (unsigned i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++)
		*enter_reg(a, exposed[i]) = vcpu->regs[exposed[i]];
	a->rcx = t->tdvpr_pa;
	t->exit_hlt = false;
	/* A vector posted while the vCPU was out: its notification, sent to this LP
	 * with interrupts off, is pending at the entry, which processes it (Linux's
	 * tdx_vcpu_run). */
	if (pi_test_on(t))
		apic_write(APIC_ICR_LO, APIC_DEST_SELF | POSTED_INTR_VECTOR);
	t->exit_status = tdh(TDH_VP_ENTER, a);
	tdx_associate(t, vcpu->cpu);
	/* An interrupt the exit acknowledged goes to the host's handler (Linux's
	 * tdx_handle_exit_irqoff; R9 is the exit interruption information). */
	unsigned basic = tdx_exit_reason(t->exit_status) & 0xffff;
	if (basic == EXIT_REASON_EXTERNAL_INTERRUPT && (a->r9 >> 31) & 1)
		kvm_host_irq_dispatch((uint8_t)a->r9);
	/* A machine check during the entry or in the TD (an exception exit whose R9
	 * says #MC, a hardware exception) is the host's, as Linux's tdx_vcpu_run and
	 * tdx_handle_exit_irqoff have it; the module made the TD fatal for either. */
	if (basic == EXIT_REASON_MCE_DURING_VMENTRY ||
	    (basic == EXIT_REASON_EXCEPTION_NMI && (a->r9 & 0x800007ffu) == 0x80000312u))
		kvm_machine_check();
	for (unsigned i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++)
		vcpu->regs[exposed[i]] = *enter_reg(a, exposed[i]);
	vcpu->regs_avail |= 0xfc00;
	return EXIT_FASTPATH_NONE;
}

static void tdvmcall_set_return_code(struct kvm_vcpu *vcpu, uint64_t code)
{
	vcpu->regs[VCPU_REGS_R10] = code;
}

static void tdvmcall_set_return_val(struct kvm_vcpu *vcpu, uint64_t val)
{
	vcpu->regs[VCPU_REGS_R11] = val;
}

static int tdx_emulate_cpuid(struct kvm_vcpu *vcpu)
{
	uint32_t r[4];
	kvm_cpuid(vcpu, (uint32_t)vcpu->regs[VCPU_REGS_R12], (uint32_t)vcpu->regs[VCPU_REGS_R13], r);
	vcpu->regs[VCPU_REGS_R12] = r[0];
	vcpu->regs[VCPU_REGS_R13] = r[1];
	vcpu->regs[VCPU_REGS_R14] = r[2];
	vcpu->regs[VCPU_REGS_R15] = r[3];
	tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
	return 1;
}

static int tdx_emulate_hlt(struct kvm_vcpu *vcpu)
{
	to_tdx(vcpu)->exit_hlt = true;    /* R12 bit 0: the TD halted with interrupts blocked */
	tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
	vcpu->stat.halt_exits++;
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/* Completes an IN user space answered: the value goes to the guest in R11. */
static int tdx_complete_pio_in(struct kvm_vcpu *vcpu)
{
	uint64_t v = 0;
	memcpy(&v, (uint8_t *)vcpu->run + vcpu->run->io.data_offset, vcpu->run->io.size);
	tdvmcall_set_return_val(vcpu, v);
	return 1;
}

/* Instruction.IO: R12 size, R13 direction (1 = out), R14 port, R15 the value. */
static int tdx_emulate_io(struct kvm_vcpu *vcpu)
{
	uint64_t size = vcpu->regs[VCPU_REGS_R12], write = vcpu->regs[VCPU_REGS_R13];
	if ((size != 1 && size != 2 && size != 4) || write > 1) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	struct kvm_run *run = vcpu->run;
	vcpu->stat.io_exits++;
	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = write ? KVM_EXIT_IO_OUT : KVM_EXIT_IO_IN;
	run->io.size = (uint8_t)size;
	run->io.port = (uint16_t)vcpu->regs[VCPU_REGS_R14];
	run->io.count = 1;
	run->io.data_offset = KVM_PIO_PAGE_OFFSET * PAGE_SIZE;
	if (write)
		memcpy((uint8_t *)run + run->io.data_offset, &vcpu->regs[VCPU_REGS_R15], size);
	if (!write)
		vcpu->complete_userspace_io = tdx_complete_pio_in;
	tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
	return 0;
}

static int tdx_emulate_msr(struct kvm_vcpu *vcpu, bool write)
{
	uint32_t index = (uint32_t)vcpu->regs[VCPU_REGS_R12];
	uint64_t v = 0;
	int e = write ? kvm_set_msr(vcpu, index, vcpu->regs[VCPU_REGS_R13]) : kvm_get_msr(vcpu, index, &v);
	if (e) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	if (!write)
		tdvmcall_set_return_val(vcpu, v);
	tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
	return 1;
}

/* #VE.RequestMMIO: R12 size, R13 write, R14 the shared GPA, R15 the value. */
static int tdx_emulate_mmio(struct kvm_vcpu *vcpu)
{
	uint64_t size = vcpu->regs[VCPU_REGS_R12], write = vcpu->regs[VCPU_REGS_R13];
	uint64_t gpa = vcpu->regs[VCPU_REGS_R14];
	if ((size != 1 && size != 2 && size != 4 && size != 8) || write > 1 || !(gpa & TDX_SHARED_BIT)) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	struct kvm_run *run = vcpu->run;
	vcpu->stat.mmio_exits++;
	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa & ~TDX_SHARED_BIT;
	run->mmio.len = (uint32_t)size;
	run->mmio.is_write = (uint8_t)write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &vcpu->regs[VCPU_REGS_R15], size);
	vcpu->mmio_read_pending = !write;
	vcpu->complete_reg = VCPU_REGS_R11;
	vcpu->complete_size = (unsigned)size;
	vcpu->complete_rip = 0;
	tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
	return 0;
}

/* TDVMCALL<ReportFatalError>: the TD is dying, so KVM checks nothing and hands
 * user space the 16 GPRs as the TD exit left them, indexed as in the instruction
 * encoding (RAX the TD exit status, RCX the exposed-register mask, RSP and RBP 0),
 * as Linux does; the GHCI error code is R12, the optional page R13, the message in
 * the other exposed registers. */
static int tdx_report_fatal_error(struct kvm_vcpu *vcpu)
{
	const struct vcpu_tdx *t = to_tdx(vcpu);
	const struct tdx_module_args *a = &t->enter;
	struct kvm_run *run = vcpu->run;
	uint64_t *d = run->system_event.data;
	run->exit_reason = KVM_EXIT_SYSTEM_EVENT;
	run->system_event.type = KVM_SYSTEM_EVENT_TDX_FATAL;
	run->system_event.ndata = 16;
	d[VCPU_REGS_RAX] = t->exit_status;
	d[VCPU_REGS_RCX] = a->rcx;
	d[VCPU_REGS_RDX] = a->rdx;
	d[VCPU_REGS_RBX] = a->rbx;
	d[VCPU_REGS_RSP] = d[VCPU_REGS_RBP] = 0;
	d[VCPU_REGS_RSI] = a->rsi;
	d[VCPU_REGS_RDI] = a->rdi;
	d[VCPU_REGS_R8] = a->r8;
	d[VCPU_REGS_R9] = a->r9;
	for (unsigned i = 0; i < sizeof(exposed) / sizeof(exposed[0]); i++)
		d[exposed[i]] = vcpu->regs[exposed[i]];
	return 0;
}

/* TDVMCALL<MapGPA> (R12 = the first GPA, its shared bit saying which way; R13 =
 * the size) goes to user space as KVM_EXIT_HYPERCALL(KVM_HC_MAP_GPA_RANGE), as in
 * Linux: user space converts the range (KVM_SET_MEMORY_ATTRIBUTES, which removes
 * private pages from a range made shared) and answers, one piece of at most
 * TDX_MAP_GPA_MAX_LEN per exit, so that an event can be taken between pieces.
 * Without KVM_CAP_EXIT_HYPERCALL for it the guest hears the sub-function is not
 * supported. Refusals put the GPA in R11. */
#define TDX_MAP_GPA_MAX_LEN (2ull << 20)

static bool tdx_gpa_is_private(uint64_t gpa)
{
	return !(gpa & TDX_SHARED_BIT);
}

/* kvm_vcpu_is_legal_gpa for a TD: below its GPA width (48 bits, the shared bit
 * the top one). */
static bool tdx_legal_gpa(uint64_t gpa)
{
	return gpa < 2 * TDX_SHARED_BIT;
}

static int tdx_map_gpa_refuse(struct kvm_vcpu *vcpu, uint64_t status, uint64_t gpa)
{
	tdvmcall_set_return_code(vcpu, status);
	tdvmcall_set_return_val(vcpu, gpa);
	return 1;
}

static int tdx_complete_map_gpa(struct kvm_vcpu *vcpu);

/* The next piece of the range goes to user space. */
static void tdx_map_gpa_piece(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	uint64_t gpa = t->map_gpa_next, size = t->map_gpa_end - gpa;
	if (size > TDX_MAP_GPA_MAX_LEN)
		size = TDX_MAP_GPA_MAX_LEN;
	struct kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_HYPERCALL;
	run->hypercall.nr = KVM_HC_MAP_GPA_RANGE;
	run->hypercall.args[0] = gpa & ~TDX_SHARED_BIT;
	run->hypercall.args[1] = size >> PAGE_SHIFT;
	run->hypercall.args[2] = tdx_gpa_is_private(gpa) ? KVM_MAP_GPA_RANGE_ENCRYPTED : KVM_MAP_GPA_RANGE_DECRYPTED;
	for (int i = 3; i < 6; i++)
		run->hypercall.args[i] = 0;
	run->hypercall.ret = 0;
	run->hypercall.flags = KVM_EXIT_HYPERCALL_LONG_MODE;
	vcpu->complete_userspace_io = tdx_complete_map_gpa;
}

/* User space's answer for a piece: 0, the next piece (or success after the last);
 * EAGAIN, TDVMCALL_STATUS_RETRY and EINVAL, INVALID_OPERAND, each with the GPA the
 * guest resumes at in R11; anything else fails KVM_RUN. */
static int tdx_complete_map_gpa(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	switch (vcpu->run->hypercall.ret) {
	case 0:
		break;
	case EAGAIN:
		return tdx_map_gpa_refuse(vcpu, TDVMCALL_STATUS_RETRY, t->map_gpa_next);
	case EINVAL:
		return tdx_map_gpa_refuse(vcpu, TDVMCALL_STATUS_INVALID_OPERAND, t->map_gpa_next);
	default:
		return -EINVAL;
	}
	t->map_gpa_next += TDX_MAP_GPA_MAX_LEN;
	if (t->map_gpa_next >= t->map_gpa_end) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
		return 1;
	}
	tdx_map_gpa_piece(vcpu);
	return 0;
}

static int tdx_map_gpa(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	uint64_t gpa = vcpu->regs[VCPU_REGS_R12], size = vcpu->regs[VCPU_REGS_R13];
	if (!(vcpu->kvm->hypercall_exit_enabled & (1ull << KVM_HC_MAP_GPA_RANGE)))
		return tdx_map_gpa_refuse(vcpu, TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED, gpa);
	if (gpa + size <= gpa || !tdx_legal_gpa(gpa) || !tdx_legal_gpa(gpa + size - 1) ||
	    tdx_gpa_is_private(gpa) != tdx_gpa_is_private(gpa + size - 1))
		return tdx_map_gpa_refuse(vcpu, TDVMCALL_STATUS_INVALID_OPERAND, gpa);
	if ((gpa | size) & (PAGE_SIZE - 1))
		return tdx_map_gpa_refuse(vcpu, TDVMCALL_STATUS_ALIGN_ERROR, gpa);
	t->map_gpa_next = gpa;
	t->map_gpa_end = gpa + size;
	tdx_map_gpa_piece(vcpu);
	return 0;
}

/* ---- TDVMCALLs user space answers (KVM_EXIT_TDX) ---- */

static int tdx_complete_simple(struct kvm_vcpu *vcpu)
{
	tdvmcall_set_return_code(vcpu, vcpu->run->tdx.unknown.ret);
	return 1;
}

static int tdx_complete_get_td_vm_call_info(struct kvm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	tdvmcall_set_return_code(vcpu, run->tdx.get_tdvmcall_info.ret);
	vcpu->regs[VCPU_REGS_R11] = run->tdx.get_tdvmcall_info.r11;
	vcpu->regs[VCPU_REGS_R12] = run->tdx.get_tdvmcall_info.r12;
	vcpu->regs[VCPU_REGS_R13] = run->tdx.get_tdvmcall_info.r13;
	vcpu->regs[VCPU_REGS_R14] = run->tdx.get_tdvmcall_info.r14;
	return 1;
}

/* An exit to user space for sub-function `nr`, answered unsupported unless user
 * space says otherwise. */
static struct kvm_run *tdx_user_exit(struct kvm_vcpu *vcpu, uint64_t nr,
				     int (*complete)(struct kvm_vcpu *))
{
	struct kvm_run *run = vcpu->run;
	run->exit_reason = KVM_EXIT_TDX;
	run->tdx.flags = 0;
	run->tdx.nr = nr;
	memset(&run->tdx.unknown, 0, sizeof(run->tdx.unknown));
	run->tdx.unknown.ret = TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED;
	vcpu->complete_userspace_io = complete;
	return run;
}

/* GetTdVmCallInfo: leaf 0 is KVM's own answer (no optional sub-functions in
 * R11-R14 beyond the base set); leaf 1 asks user space which ones it serves. */
static int tdx_get_td_vm_call_info(struct kvm_vcpu *vcpu)
{
	switch (vcpu->regs[VCPU_REGS_R12]) {
	case 0:
		for (enum kvm_reg r = VCPU_REGS_R11; r <= VCPU_REGS_R14; r++)
			vcpu->regs[r] = 0;
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUCCESS);
		return 1;
	case 1: {
		struct kvm_run *run = tdx_user_exit(vcpu, TDVMCALL_GET_TD_VM_CALL_INFO,
						    tdx_complete_get_td_vm_call_info);
		run->tdx.get_tdvmcall_info.ret = TDVMCALL_STATUS_SUCCESS;
		run->tdx.get_tdvmcall_info.leaf = 1;
		return 0;
	}
	default:
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
}

/* GetQuote: R12 = a shared buffer holding the TDREPORT, R13 its size; user space
 * (the quoting service) writes the quote there and sets `ret`. */
static int tdx_get_quote(struct kvm_vcpu *vcpu)
{
	uint64_t gpa = vcpu->regs[VCPU_REGS_R12], size = vcpu->regs[VCPU_REGS_R13];
	if (!(gpa & TDX_SHARED_BIT)) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	struct kvm_run *run = tdx_user_exit(vcpu, TDVMCALL_GET_QUOTE, tdx_complete_simple);
	run->tdx.get_quote.gpa = gpa & ~TDX_SHARED_BIT;
	run->tdx.get_quote.size = size;
	return 0;
}

/* SetupEventNotifyInterrupt: R12 = the vector (32-255) user space raises when a
 * quote is ready. */
static int tdx_setup_event_notify_interrupt(struct kvm_vcpu *vcpu)
{
	uint64_t vector = vcpu->regs[VCPU_REGS_R12];
	if (vector < 32 || vector > 255) {
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_INVALID_OPERAND);
		return 1;
	}
	struct kvm_run *run = tdx_user_exit(vcpu, TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT,
					    tdx_complete_simple);
	run->tdx.setup_event_notify.vector = vector;
	return 0;
}

/* TDG.VP.VMCALL: R10 = 0 is the GHCI (sub-function in R11); anything else is a KVM
 * hypercall numbered by R10. */
static int handle_tdvmcall(struct kvm_vcpu *vcpu)
{
	if (vcpu->regs[VCPU_REGS_R10]) {
		vcpu->stat.hypercalls++;
		tdvmcall_set_return_code(vcpu, (uint64_t)-KVM_HC_ENOSYS);
		return 1;
	}
	switch (vcpu->regs[VCPU_REGS_R11]) {
	case TDVMCALL_CPUID: return tdx_emulate_cpuid(vcpu);
	case TDVMCALL_HLT: return tdx_emulate_hlt(vcpu);
	case TDVMCALL_IO: return tdx_emulate_io(vcpu);
	case TDVMCALL_RDMSR: return tdx_emulate_msr(vcpu, false);
	case TDVMCALL_WRMSR: return tdx_emulate_msr(vcpu, true);
	case TDVMCALL_MMIO: return tdx_emulate_mmio(vcpu);
	case TDVMCALL_GET_TD_VM_CALL_INFO:
		return tdx_get_td_vm_call_info(vcpu);
	case TDVMCALL_MAP_GPA:
		return tdx_map_gpa(vcpu);
	case TDVMCALL_GET_QUOTE:
		return tdx_get_quote(vcpu);
	case TDVMCALL_REPORT_FATAL_ERROR:
		return tdx_report_fatal_error(vcpu);
	case TDVMCALL_SETUP_EVENT_NOTIFY_INTERRUPT:
		return tdx_setup_event_notify_interrupt(vcpu);
	default:
		tdvmcall_set_return_code(vcpu, TDVMCALL_STATUS_SUBFUNC_UNSUPPORTED);
		return 1;
	}
}

/* The status classes of TDH.VP.ENTER that are TD exits, the exit reason in the
 * low 32 bits (bit 31 for a failed VM entry); any other status is the SEAMCALL's
 * own failure and carries no exit reason (Linux's tdx_to_vmx_exit_reason). */
static const uint64_t td_exit_classes[] = {
	TDX_SUCCESS, TDX_NON_RECOVERABLE_VCPU, TDX_NON_RECOVERABLE_TD,
	TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE, TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE,
};
#define TDX_NO_EXIT_REASON 0xffffffffu
#define TDX_STATUS_ERROR           (1ull << 63)
#define TDX_STATUS_NON_RECOVERABLE (1ull << 62)

static uint32_t tdx_exit_reason(uint64_t st)
{
	for (unsigned i = 0; i < sizeof(td_exit_classes) / sizeof(td_exit_classes[0]); i++)
		if ((st & TDX_SEAMCALL_STATUS_MASK) == td_exit_classes[i])
			return (uint32_t)st;
	return TDX_NO_EXIT_REASON;
}

/* Linux's tdx_get_exit_info: TDH.VP.ENTER's exit qualification (RCX), extended
 * qualification (RDX) and interruption information (R9), none without an exit
 * reason; never an error code. */
void tdx_get_exit_info(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
		       uint32_t *intr_info, uint32_t *error_code)
{
	const struct vcpu_tdx *t = to_tdx(vcpu);
	*reason = tdx_exit_reason(t->exit_status);
	bool has = *reason != TDX_NO_EXIT_REASON;
	*info1 = has ? t->enter.rcx : 0;
	*info2 = has ? t->enter.rdx : 0;
	*intr_info = has ? (uint32_t)t->enter.r9 : 0;
	*error_code = 0;
}

/* What KVM cannot handle goes to user space whole: the status and the LP
 * (kvm_prepare_unexpected_reason_exit). */
static int tdx_unhandled_exit(struct kvm_vcpu *vcpu, uint64_t st)
{
	kvm_prepare_unexpected_reason_exit(vcpu, st);
	return 0;
}

/* A TD exit by its status class, as Linux's tdx_handle_exit: OPERAND_BUSY (0-step
 * mitigation, a TRACK race) is entered again; a software error of the SEAMCALL
 * is unhandled; a failed VM entry (a debug TD's invalid state, a machine check)
 * is KVM_EXIT_FAIL_ENTRY with the 32-bit exit reason; any other error or
 * non-recoverable status is unhandled, except a triple fault (the module's
 * NON_RECOVERABLE_VCPU), which is KVM_EXIT_SHUTDOWN. */
int tdx_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	uint64_t st = t->exit_status;
	uint32_t reason = tdx_exit_reason(st), basic = reason & 0xffff;
	struct kvm_run *run = vcpu->run;
	if ((st & TDX_SEAMCALL_STATUS_MASK) == TDX_OPERAND_BUSY)
		return 1;
	if ((st & TDX_SW_ERROR) == TDX_SW_ERROR)
		return tdx_unhandled_exit(vcpu, st);
	if (reason != TDX_NO_EXIT_REASON && (reason & (1u << 31))) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = reason;
		run->fail_entry.cpu = (uint32_t)vcpu->cpu;
		return 0;
	}
	if ((st & (TDX_STATUS_ERROR | TDX_STATUS_NON_RECOVERABLE)) && basic != EXIT_REASON_TRIPLE_FAULT)
		return tdx_unhandled_exit(vcpu, st);
	trace_kvm_exit(vcpu, st, t->enter.rcx);
	vcpu->stat.exits++;
	if (basic < KVM_NR_EXIT_REASONS)
		vcpu->stat.exits_by_reason[basic]++;
	switch (basic) {
	case EXIT_REASON_TRIPLE_FAULT:
		run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	case EXIT_REASON_TDCALL:
		return handle_tdvmcall(vcpu);
	case EXIT_REASON_EPT_VIOLATION:
		return tdx_handle_ept_violation(vcpu, t->enter.r8, t->enter.rcx, t->enter.rdx);
	case 1:                      /* external interrupt: nothing to do here */
		return 1;
	default:
		return tdx_unhandled_exit(vcpu, st);
	}
}

/* ---- events -------------------------------------------------------------------------- */

/* TDX takes interrupts only posted (Linux's __vmx_deliver_posted_interrupt): the
 * vector goes into the PIR and, unless a notification is outstanding already, ON
 * is set. The vCPU is never in the TD while kvmlike runs this (KVM_RUN returns
 * before), so the notification waits for its next entry (tdx_vcpu_run). */
void tdx_deliver_interrupt(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (!t->pi_desc_pa || pi_test_and_set(t, (unsigned)vector))
		return;
	pi_test_and_set(t, PI_ON_WORD * 32);
}

/* KVM cannot inject into a TD: it asks the module for an NMI (PEND_NMI), which
 * injects it at an entry when the TD's NMI blocking allows. */
void tdx_inject_nmi(struct kvm_vcpu *vcpu)
{
	vcpu->stat.nmi_injections++;
	struct tdx_module_args a = { .rcx = to_tdx(vcpu)->tdvpr_pa, .rdx = TD_VCPU_PEND_NMI,
				     .r8 = 1, .r9 = 1 };
	tdh_ok(TDH_VP_WR, &a, "TDH.VP.WR");
}

/* KVM sees a TD's interrupt blocking only when it halts (TDVMCALL<HLT>'s R12):
 * otherwise interrupts count as allowed. */
static bool tdx_halted_with_irq_blocked(struct kvm_vcpu *vcpu)
{
	return to_tdx(vcpu)->exit_hlt && (vcpu->regs[VCPU_REGS_R12] & 1);
}

int tdx_interrupt_allowed(struct kvm_vcpu *vcpu)
{
	return !tdx_halted_with_irq_blocked(vcpu);
}

/* A halted TD wakes for a vector posted and not yet notified, or, with interrupts
 * enabled, for one pending in its virtual APIC, which only the module sees (the
 * non-architectural vCPU state details). */
bool tdx_protected_apic_has_interrupt(struct kvm_vcpu *vcpu)
{
	struct vcpu_tdx *t = to_tdx(vcpu);
	if (pi_test_on(t))
		return true;
	if (!t->exit_hlt || tdx_halted_with_irq_blocked(vcpu))
		return false;
	struct tdx_module_args a = { .rcx = t->tdvpr_pa, .rdx = TD_VCPU_STATE_DETAILS_NON_ARCH };
	return tdh_ok(TDH_VP_RD, &a, "TDH.VP.RD") && (a.r8 & TDX_VCPU_STATE_DETAILS_INTR_PENDING);
}

/* ---- teardown ------------------------------------------------------------------------ */

/* vm_pre_destroy (Linux tdx_mmu_release_hkid): private pages go back while the
 * HKID is live; the vCPUs leave their LPs; the caches holding the HKID's lines
 * are written back; the HKID is freed. */
void tdx_mmu_release_hkid(struct kvm *kvm)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	if (t->hkid < 0)
		return;
	/* A page the module refuses to remove (a fatal TD's) is reclaimed once the
	 * HKID is gone (vm_destroy). */
	kvm_mmu_zap_all_private(kvm);
	for (unsigned i = 0; i < kvm->nr_vcpus; i++)
		if (kvm->vcpus[i]->priv)
			tdx_flush_vp(kvm->vcpus[i]);
	struct tdx_module_args a = { .rcx = t->tdr_pa };
	if (!tdh_ok(TDH_MNG_VPFLUSHDONE, &a, "TDH.MNG.VPFLUSHDONE"))
		return;
	/* One package: this LP writes its caches back (resumable). */
	uint64_t r;
	uint64_t resume = 0;
	do {
		a = (struct tdx_module_args){ .rcx = resume };
		r = tdh(TDH_PHYMEM_CACHE_WB, &a) & TDX_SEAMCALL_STATUS_MASK;
		resume = 1;
	} while (r == TDX_INTERRUPTED_RESUMABLE);
	if (r && r != TDX_NO_HKID_READY_TO_WBCACHE)
		printk("kvmlike: TDX: TDH.PHYMEM.CACHE.WB failed: 0x%016llx\n", (unsigned long long)r);
	a = (struct tdx_module_args){ .rcx = t->tdr_pa };
	if (!tdh_ok(TDH_MNG_KEY_FREEID, &a, "TDH.MNG.KEY.FREEID"))
		return;
	tdx_guest_keyid_free((unsigned)t->hkid);
	t->hkid = -1;
}

/* A private page the module still owns: its guest_memfd must not free it. */
static void tdx_leak_private_page(struct kvm *kvm, const struct kvm_mirror_spte *p)
{
	printk("kvmlike: TDX: private page 0x%llx not reclaimed: leaked\n", (unsigned long long)p->pa);
	const struct kvm_memory_slot *slot = gfn_to_memslot(kvm, p->gfn);
	if (slot)
		kvm_gmem_leak(slot, p->gfn, p->level);
}

/* vm_destroy: S-EPT pages, the TDCS, then the TDR. */
void tdx_vm_destroy(struct kvm *kvm)
{
	struct kvm_tdx *t = to_kvm_tdx(kvm);
	if (!t)
		return;
	if (t->hkid < 0 && t->tdr_pa) {
		/* Private pages the module refused to remove while the HKID lived (a
		 * fatal TD's) go now. */
		for (unsigned i = 0; kvm->mirror && i < kvm->mirror->n; i++) {
			const struct kvm_mirror_spte *p = &kvm->mirror->spte[i];
			if (!reclaim_page(p->pa))
				memset(__va(p->pa), 0, level_size(p->level));
			else
				tdx_leak_private_page(kvm, p);
		}
		if (kvm->mirror)
			kvm->mirror->n = 0;
		tdx_reclaim_td_control_pages(kvm);
	} else if (t->tdr_pa) {
		printk("kvmlike: TDX: TD torn down with its HKID live: its pages are leaked\n");
		for (unsigned i = 0; kvm->mirror && i < kvm->mirror->n; i++)
			tdx_leak_private_page(kvm, &kvm->mirror->spte[i]);
	}
	tdp_mmu_destroy(&t->shared);
	kvm->direct_root = NULL;
	kvm_mmu_free_mirror(kvm);
	kfree(t);
	kvm->priv = NULL;
}
