/* The VMX half of kvmlike (Linux arch/x86/kvm/vmx/vmx.c, reduced): the VMCS
 * configuration from the capability MSRs, per-LP VMXON, one VMCS per vCPU, EPT
 * (built on EPT violations, tdp_mmu.c), the run loop, and the exit handlers in a
 * table indexed by exit reason. kvmlike needs EPT and VPID; it has no shadow
 * paging, no nested VMX and no in-kernel APIC. */
#include <string.h>

#include "kvmlike/kvm_x86.h"
#include "kvmlike/trace.h"
#include "kvmlike/vmx.h"
#include "kvmlike/vmx_insn.h"
#include "kvmlike/x86_ops.h"

struct vmcs_config {
	uint32_t revision_id;
	uint32_t pin, cpu, cpu2, vmexit, vmentry;
	uint64_t ept_vpid_cap;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
};

/* Module state, as in Linux: the configuration and the per-LP VMX areas. */
static struct vmcs_config vmcs_config;
#define MAX_CPUS 64
static uint64_t vmxarea[MAX_CPUS];
static uint64_t current_vmcs[MAX_CPUS];
static uint8_t vpid_used[65536 / 8];

struct kvm_vmx {
	uint64_t eptp;
	struct tdp_mmu mmu;
};

struct vcpu_vmx {
	uint64_t vmcs;             /* host-physical */
	uint64_t msr_bitmap;
	bool launched;
	uint16_t vpid;
	bool fail;                 /* VMLAUNCH/VMRESUME failed: fail_error says why */
	bool dead;                 /* the processor underneath stopped (shut down) */
	uint32_t fail_error;
	uint32_t exit_reason;
	uint32_t idt_vectoring_info;   /* of the last exit: an event it interrupted */
	uint64_t dr[8];
	uint32_t ple_window;       /* PAUSE-loop window, grown at each PAUSE exit */
	bool ple_window_dirty;     /* not yet written to the VMCS */
	/* The guest's share of what VM entry and exit leave in the LP (Linux: its guest
	 * FPU, vcpu->arch.xcr0, KERNEL_GS_BASE and the user-return MSRs): in the LP while
	 * the vCPU is loaded, here while it is not. */
	uint8_t fx_area[512 + 15];      /* FXSAVE64's image, at the first 16-byte boundary */
	uint64_t syscall_msrs[5];       /* as in guest_syscall_msrs[] */
	int regs_cpu;                   /* the LP whose register file holds them, or -1 */
	struct kvm_vcpu *vcpu;
	struct vcpu_vmx *next_loaded;   /* in loaded_vmcss_on_cpu[vcpu->cpu] */
};

static struct vcpu_vmx *to_vmx(struct kvm_vcpu *vcpu) { return vcpu->priv; }
static void vmx_vcpu_load_vmcs(struct kvm_vcpu *vcpu, int cpu);

static uint8_t *guest_fx(struct vcpu_vmx *vmx)
{
	return (uint8_t *)(((uintptr_t)vmx->fx_area + 15) & ~(uintptr_t)15);
}
static struct kvm_vmx *to_kvm_vmx(struct kvm *kvm) { return kvm->priv; }

/* The vCPUs whose VMCS is active on each LP (launched or not, current or not). */
static struct vcpu_vmx *loaded_vmcss_on_cpu[MAX_CPUS];
/* The vCPU whose share of the register file each LP holds (Linux's per-CPU
 * fpregs owner, with TIF_NEED_FPU_LOAD's lazy restore): vcpu_put leaves it there,
 * and it is saved only when something else needs the LP's register file. */
static struct vcpu_vmx *regfile_owner[MAX_CPUS];

static void loaded_vmcs_unlink(struct vcpu_vmx *vmx, int cpu)
{
	if (cpu < 0)
		return;
	for (struct vcpu_vmx **p = &loaded_vmcss_on_cpu[cpu]; *p; p = &(*p)->next_loaded)
		if (*p == vmx) {
			*p = vmx->next_loaded;
			return;
		}
}

/* ---- configuration ------------------------------------------------------------- */

/* Linux's adjust_vmx_controls: the bits the MSR forces on, plus the wanted ones it
 * allows; -EIO if a required one is not allowed. */
static int adjust_vmx_controls(uint32_t min, uint32_t opt, uint32_t msr, uint32_t *result)
{
	uint64_t v;
	if (rdmsrl_safe(msr, &v))
		return -EIO;
	uint32_t ctl = ((min | opt) & (uint32_t)(v >> 32)) | (uint32_t)v;
	if (min & ~ctl)
		return -EIO;
	*result = ctl;
	return 0;
}

static int setup_vmcs_config(struct vmcs_config *c)
{
	uint64_t basic;
	memset(c, 0, sizeof(*c));
	if (rdmsrl_safe(MSR_IA32_VMX_BASIC, &basic))
		return -EIO;
	bool true_ctls = basic & BIT64(55);
	c->revision_id = (uint32_t)basic & 0x7fffffff;
	if (adjust_vmx_controls(PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING, PIN_BASED_VIRTUAL_NMIS,
				true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS, &c->pin) ||
	    adjust_vmx_controls(CPU_BASED_HLT_EXITING | CPU_BASED_UNCOND_IO_EXITING | CPU_BASED_MOV_DR_EXITING |
				CPU_BASED_USE_TSC_OFFSETTING | CPU_BASED_MWAIT_EXITING |
				CPU_BASED_MONITOR_EXITING | CPU_BASED_USE_MSR_BITMAPS |
				CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, CPU_BASED_RDPMC_EXITING,
				true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS, &c->cpu) ||
	    adjust_vmx_controls(SECONDARY_EXEC_ENABLE_EPT | SECONDARY_EXEC_ENABLE_VPID,
				SECONDARY_EXEC_UNRESTRICTED_GUEST | SECONDARY_EXEC_ENABLE_RDTSCP |
				SECONDARY_EXEC_WBINVD_EXITING | SECONDARY_EXEC_PAUSE_LOOP_EXITING,
				MSR_IA32_VMX_PROCBASED_CTLS2, &c->cpu2) ||
	    adjust_vmx_controls(VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_ACK_INTR_ON_EXIT |
				VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER,
				VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT,
				true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS, &c->vmexit) ||
	    adjust_vmx_controls(VM_ENTRY_LOAD_IA32_EFER, VM_ENTRY_LOAD_IA32_PAT,
				true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS, &c->vmentry))
		return -EIO;
	/* With EPT the CR3 exits are not needed (the TRUE MSR says whether they may go). */
	c->cpu &= ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING);
	if (adjust_vmx_controls(c->cpu & ~(CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING), 0,
				true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS, &c->cpu))
		return -EIO;
	if (rdmsrl_safe(MSR_IA32_VMX_EPT_VPID_CAP, &c->ept_vpid_cap) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED0, &c->cr0_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR0_FIXED1, &c->cr0_fixed1) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED0, &c->cr4_fixed0) ||
	    rdmsrl_safe(MSR_IA32_VMX_CR4_FIXED1, &c->cr4_fixed1))
		return -EIO;
	/* 4-level walks, write-back paging structures, INVEPT single-context. */
	uint64_t need = BIT64(6) | BIT64(14) | BIT64(20) | BIT64(25);
	if ((c->ept_vpid_cap & need) != need)
		return -EIO;
	return 0;
}

int vmx_hardware_setup(void)
{
	int r = setup_vmcs_config(&vmcs_config);
	if (r)
		printk("kvmlike: this CPU lacks what kvmlike needs (VMX with EPT, VPID, INVEPT)\n");
	return r;
}

static bool cpu_has_unrestricted_guest(void)
{
	return vmcs_config.cpu2 & SECONDARY_EXEC_UNRESTRICTED_GUEST;
}

static bool cpu_has_vmx_ple(void)
{
	return vmcs_config.cpu2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING;
}

/* Pause-loop exiting as Linux configures it (its module parameters' defaults): PAUSEs
 * at most ple_gap TSC cycles apart form a loop, which exits after ple_window cycles;
 * each exit multiplies the vCPU's window by ple_window_grow, up to ple_window_max,
 * so a vCPU that spins for long exits less and less often. */
static const uint32_t ple_gap = 128, ple_window = 4096, ple_window_grow = 2;
static const uint32_t ple_window_max = UINT32_MAX;

/* Linux's __grow_ple_window: a small modifier multiplies, a large one adds. */
static uint32_t grow_ple_window(uint32_t val)
{
	uint64_t grown = ple_window_grow < ple_window ? (uint64_t)val * ple_window_grow
						      : (uint64_t)val + ple_window_grow;
	return grown < ple_window_max ? (uint32_t)grown : ple_window_max;
}

/* ---- VMX operation on this LP ---------------------------------------------------- */

int vmx_enable_virtualization_cpu(void)
{
	unsigned cpu = smp_processor_id();
	uint64_t feat;
	if (cpu >= MAX_CPUS || rdmsrl_safe(MSR_IA32_FEAT_CTL, &feat) ||
	    (feat & (FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) !=
		    (FEAT_CTL_LOCKED | FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX)) {
		printk("kvmlike: VMX is disabled by IA32_FEATURE_CONTROL\n");
		return -EIO;
	}
	if (!vmxarea[cpu]) {
		vmxarea[cpu] = kvm_alloc_pages(1);
		if (!vmxarea[cpu])
			return -ENOMEM;
		*(uint32_t *)__va(vmxarea[cpu]) = vmcs_config.revision_id;
	}
	/* OSXSAVE too: kvmlike sets each guest's XCR0 with XSETBV. */
	if (native_write_cr(4, native_read_cr(4) | X86_CR4_VMXE | X86_CR4_OSXSAVE))
		return -EIO;
	int r = kvm_cpu_vmxon(vmxarea[cpu]);
	if (r)
		native_write_cr(4, native_read_cr(4) & ~X86_CR4_VMXE);
	return r;
}

/* Every VMCS active on this LP is cleared before VMXOFF (Linux
 * vmclear_local_loaded_vmcss): VMCLEAR writes its state to memory, which VMXOFF
 * would not; its vCPU is entered with VMLAUNCH after its next load. */
static void vmclear_local_loaded_vmcss(unsigned cpu)
{
	for (struct vcpu_vmx *v = loaded_vmcss_on_cpu[cpu]; v; v = v->next_loaded) {
		vmcs_clear(v->vmcs);
		v->launched = false;
		v->vcpu->cpu = -1;
	}
	loaded_vmcss_on_cpu[cpu] = NULL;
}

void vmx_disable_virtualization_cpu(void)
{
	unsigned cpu = smp_processor_id();
	vmx_flush_guest_regs();
	vmclear_local_loaded_vmcss(cpu);
	kvm_cpu_vmxoff();
	native_write_cr(4, native_read_cr(4) & ~X86_CR4_VMXE);
	kvm_free_pages(vmxarea[cpu], 1);
	vmxarea[cpu] = 0;
	current_vmcs[cpu] = 0;
}

/* ---- VMs and vCPUs ----------------------------------------------------------------- */

int vmx_vm_init(struct kvm *kvm)
{
	struct kvm_vmx *kv = kzalloc(sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	if (tdp_mmu_init(&kv->mmu)) {
		kfree(kv);
		return -ENOMEM;
	}
	/* Write-back paging structures, 4-level walk, A/D flags when the CPU has them. */
	kv->eptp = kv->mmu.root | 6 | (3 << 3) |
		   ((vmcs_config.ept_vpid_cap & BIT64(21)) ? BIT64(6) : 0);
	kvm->priv = kv;
	kvm->direct_root = &kv->mmu;
	return 0;
}

void vmx_vm_destroy(struct kvm *kvm)
{
	struct kvm_vmx *kv = to_kvm_vmx(kvm);
	if (!kv)
		return;
	tdp_mmu_destroy(&kv->mmu);
	kvm->direct_root = NULL;
	ept_sync_context(kv->eptp);
	kfree(kv);
	kvm->priv = NULL;
}

static uint16_t allocate_vpid(void)
{
	for (unsigned v = 1; v < 65536; v++)
		if (!(vpid_used[v / 8] & (1u << (v % 8)))) {
			vpid_used[v / 8] |= 1u << (v % 8);
			return (uint16_t)v;
		}
	return 0;
}

static void free_vpid(uint16_t v)
{
	vpid_used[v / 8] &= ~(1u << (v % 8));
}

/* The SYSCALL MSRs, which live in the LP's register file: the guest owns them
 * (its WRMSR and RDMSR go to the LP) and vcpu_load/put swap them. */
static const uint32_t guest_syscall_msrs[5] = { 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
						MSR_KERNEL_GS_BASE };

/* The MSR bitmap: every MSR exits but the segment bases and the SYSCALL MSRs,
 * which the guest owns. */
static void setup_msr_bitmap(uint8_t *bm)
{
	memset(bm, 0xff, PAGE_SIZE);
	static const uint32_t passthrough[] = { MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE,
						0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084 };
	for (unsigned i = 0; i < sizeof(passthrough) / sizeof(passthrough[0]); i++) {
		uint32_t idx = passthrough[i] & 0x1fff;
		bm[0x400 + idx / 8] &= ~(1u << (idx % 8));      /* read, high MSRs */
		bm[0xc00 + idx / 8] &= ~(1u << (idx % 8));      /* write, high MSRs */
	}
}

/* Guest-owned CR bits (Linux KVM_POSSIBLE_CR0/CR4_GUEST_BITS): the rest exit. */
#define CR0_GUEST_OWNED (X86_CR0_TS)
#define CR4_GUEST_OWNED (0x3 | (1ull << 2) | (1ull << 7) | (1ull << 8) | (1ull << 9) | (1ull << 10) | (1ull << 16))

static void init_vmcs_host_state(void)
{
	struct host_tables t;
	uint64_t v;
	native_host_tables(&t);
	vmcs_writel(HOST_CR0, native_read_cr(0));
	vmcs_writel(HOST_CR3, native_read_cr(3));
	vmcs_writel(HOST_CR4, native_read_cr(4));
	vmcs_write16(HOST_CS_SELECTOR, t.cs);
	vmcs_write16(HOST_SS_SELECTOR, t.ss);
	vmcs_write16(HOST_DS_SELECTOR, t.ds);
	vmcs_write16(HOST_ES_SELECTOR, t.es);
	vmcs_write16(HOST_FS_SELECTOR, t.fs);
	vmcs_write16(HOST_GS_SELECTOR, t.gs);
	vmcs_write16(HOST_TR_SELECTOR, t.tr);
	vmcs_writel(HOST_FS_BASE, t.fs_base);
	vmcs_writel(HOST_GS_BASE, t.gs_base);
	vmcs_writel(HOST_TR_BASE, t.tr_base);
	vmcs_writel(HOST_GDTR_BASE, t.gdt_base);
	vmcs_writel(HOST_IDTR_BASE, t.idt_base);
	if (!rdmsrl_safe(MSR_EFER, &v))
		vmcs_write64(HOST_IA32_EFER, v);
	if (!rdmsrl_safe(MSR_IA32_CR_PAT, &v))
		vmcs_write64(HOST_IA32_PAT, v);
	/* The hosted build returns from the VMLAUNCH call itself: RIP and RSP only
	 * need to pass the host-state checks. */
	vmcs_writel(HOST_RIP, 0);
	vmcs_writel(HOST_RSP, 0);
}

static void init_vmcs(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	vmcs_write64(VMCS_LINK_POINTER, ~0ull);
	vmcs_write32(PIN_BASED_VM_EXEC_CONTROL, vmcs_config.pin);
	vmcs_write32(CPU_BASED_VM_EXEC_CONTROL, vmcs_config.cpu);
	vmcs_write32(SECONDARY_VM_EXEC_CONTROL, vmcs_config.cpu2);
	if (cpu_has_vmx_ple()) {
		vmcs_write32(PLE_GAP, ple_gap);
		vmx->ple_window = ple_window;
		vmx->ple_window_dirty = true;
	}
	vmcs_write32(VM_EXIT_CONTROLS, vmcs_config.vmexit);
	vmcs_write32(VM_ENTRY_CONTROLS, vmcs_config.vmentry);
	vmcs_write16(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write64(EPT_POINTER, to_kvm_vmx(vcpu->kvm)->eptp);
	vmcs_write64(MSR_BITMAP, vmx->msr_bitmap);
	/* As Linux with EPT: #UD, which it may emulate, #MC, which is the host's, #DB,
	 * whose DR6 it keeps (MOV DR exits here), and #AC, which it reflects. */
	vmcs_write32(EXCEPTION_BITMAP, (1u << UD_VECTOR) | (1u << MC_VECTOR) | (1u << DB_VECTOR) |
				       (1u << AC_VECTOR));
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write32(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write32(CR3_TARGET_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write64(TSC_OFFSET, 0);
	vmcs_writel(CR0_GUEST_HOST_MASK, ~CR0_GUEST_OWNED);
	vmcs_writel(CR4_GUEST_HOST_MASK, ~CR4_GUEST_OWNED);
	vmcs_write64(GUEST_IA32_PAT, 0x0007040600070406ull);
	init_vmcs_host_state();
}

int vmx_vcpu_create(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = kzalloc(sizeof(*vmx));
	if (!vmx)
		return -ENOMEM;
	vmx->vmcs = kvm_alloc_pages(1);
	vmx->msr_bitmap = kvm_alloc_pages(1);
	vmx->vpid = allocate_vpid();
	if (!vmx->vmcs || !vmx->msr_bitmap || !vmx->vpid) {
		kvm_free_pages(vmx->vmcs, 1);
		kvm_free_pages(vmx->msr_bitmap, 1);
		kfree(vmx);
		return -ENOMEM;
	}
	*(uint32_t *)__va(vmx->vmcs) = vmcs_config.revision_id;
	setup_msr_bitmap(__va(vmx->msr_bitmap));
	/* The register file at INIT (SDM "Initialization"): FCW 37FH, MXCSR 1F80H,
	 * every x87 register empty, XCR0 1, the SYSCALL MSRs 0. */
	uint8_t *fx = guest_fx(vmx);
	fx[0] = 0x7f;
	fx[1] = 0x03;
	fx[24] = 0x80;
	fx[25] = 0x1f;
	vcpu->xcr0 = 1;
	vmx->regs_cpu = -1;
	vmx->vcpu = vcpu;
	vcpu->priv = vmx;
	vmcs_clear(vmx->vmcs);
	vmx_vcpu_load_vmcs(vcpu, (int)smp_processor_id());
	init_vmcs(vcpu);
	return 0;
}

void vmx_vcpu_free(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (!vmx)
		return;
	vmcs_clear(vmx->vmcs);
	loaded_vmcs_unlink(vmx, vcpu->cpu);
	if (vmx->regs_cpu >= 0)
		regfile_owner[vmx->regs_cpu] = NULL;     /* its registers go with it */
	for (unsigned c = 0; c < MAX_CPUS; c++)
		if (current_vmcs[c] == vmx->vmcs)
			current_vmcs[c] = 0;
	vpid_sync_context(vmx->vpid);
	free_vpid(vmx->vpid);
	kvm_free_pages(vmx->vmcs, 1);
	kvm_free_pages(vmx->msr_bitmap, 1);
	kfree(vmx);
	vcpu->priv = NULL;
}

/* The host state that differs between LPs (Linux vmx_vcpu_load_vmcs): the TSS
 * and GDT of the LP the vCPU now runs on. */
static void vmx_set_host_tables_of_this_cpu(void)
{
	struct host_tables t;
	native_host_tables(&t);
	vmcs_writel(HOST_TR_BASE, t.tr_base);
	vmcs_writel(HOST_GDTR_BASE, t.gdt_base);
}

/* The vCPU's share of the register file into the LP (Linux: kvm_load_guest_fpu,
 * the guest's XCR0, vmx_prepare_switch_to_guest's MSRs); once per vcpu_load, not
 * per VM entry: nothing else runs on the LP while the vCPU is loaded. */
static void vmx_load_guest_regs(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (regfile_owner[cpu] == vmx)
		return;                /* still there: nothing ran on the LP since */
	vmx_flush_guest_regs();
	native_fxrstor(guest_fx(vmx));
	native_xsetbv(vcpu->xcr0);
	for (unsigned i = 0; i < 5; i++)
		wrmsrl_safe(guest_syscall_msrs[i], vmx->syscall_msrs[i]);
	regfile_owner[cpu] = vmx;
	vmx->regs_cpu = cpu;
}

/* And back, for the next vCPU (or TD) that takes this LP's register file: on the
 * LP itself. XCR0 needs no read: the guest changes it only through XSETBV's exit. */
void vmx_flush_guest_regs(void)
{
	unsigned cpu = smp_processor_id();
	struct vcpu_vmx *vmx = cpu < MAX_CPUS ? regfile_owner[cpu] : NULL;
	if (!vmx)
		return;
	native_fxsave(guest_fx(vmx));
	for (unsigned i = 0; i < 5; i++)
		rdmsrl_safe(guest_syscall_msrs[i], &vmx->syscall_msrs[i]);
	regfile_owner[cpu] = NULL;
	vmx->regs_cpu = -1;
}

/* The same for a vCPU about to run elsewhere: its share leaves the LP that holds it. */
static void vmx_fetch_guest_regs(struct vcpu_vmx *vmx)
{
	if (vmx->regs_cpu < 0)
		return;
	unsigned here = smp_processor_id();
	kvm_set_current_cpu((unsigned)vmx->regs_cpu);
	vmx_flush_guest_regs();
	kvm_set_current_cpu(here);
}

/* The VMCS half of vcpu_load (Linux vmx_vcpu_load_vmcs). */
static void vmx_vcpu_load_vmcs(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	bool moved = vcpu->cpu != cpu;
	if (vcpu->cpu >= 0 && vcpu->cpu != cpu) {
		/* Migrating: the VMCS is cleared on the LP it was active on (Linux does it
		 * by IPI, loaded_vmcs_clear), which writes it back and makes its launch
		 * state clear: the next entry is a VMLAUNCH. */
		unsigned here = smp_processor_id();
		kvm_set_current_cpu((unsigned)vcpu->cpu);
		vmcs_clear(vmx->vmcs);
		kvm_set_current_cpu(here);
		current_vmcs[vcpu->cpu] = 0;
		vmx->launched = false;
		loaded_vmcs_unlink(vmx, vcpu->cpu);
	}
	if (current_vmcs[cpu] != vmx->vmcs) {
		vmcs_load(vmx->vmcs);
		current_vmcs[cpu] = vmx->vmcs;
	}
	if (moved) {                   /* a first load too: setup may have run elsewhere */
		vmx->next_loaded = loaded_vmcss_on_cpu[cpu];
		loaded_vmcss_on_cpu[cpu] = vmx;
		vmx_set_host_tables_of_this_cpu();
		/* This LP may still hold translations tagged with the vCPU's VPID and EPTP
		 * from an earlier stay, made stale by what changed meanwhile (Linux
		 * vmx_vcpu_load_vmcs requests the same flush). */
		kvm_make_request(KVM_REQ_TLB_FLUSH, vcpu);
	}
	vcpu->cpu = cpu;
}

void vmx_vcpu_load(struct kvm_vcpu *vcpu, int cpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (vmx->regs_cpu >= 0 && vmx->regs_cpu != cpu)
		vmx_fetch_guest_regs(vmx);
	vmx_vcpu_load_vmcs(vcpu, cpu);
	vmx_load_guest_regs(vcpu, cpu);
}

/* The VMCS stays current on the LP until another vCPU's is loaded, and the vCPU's
 * registers stay in the LP until something else needs them (vmx_flush_guest_regs). */
void vmx_vcpu_put(struct kvm_vcpu *vcpu)
{
}

/* A VM's vCPU may always run: kvmlike does not emulate guest state VM entry
 * refuses (Linux's emulation_required), an entry failure goes to user space. */
int vmx_vcpu_pre_run(struct kvm_vcpu *vcpu)
{
	return 1;
}

/* ---- guest state ----------------------------------------------------------------- */

struct seg_fields { unsigned long sel, base, limit, ar; };
static const struct seg_fields seg_fields[] = {
	[VCPU_SREG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[VCPU_SREG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[VCPU_SREG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[VCPU_SREG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[VCPU_SREG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[VCPU_SREG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[VCPU_SREG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[VCPU_SREG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
};

static uint32_t vmx_segment_access_rights(const struct kvm_segment *v)
{
	if (v->unusable || !v->present)
		return 1u << 16;
	return (v->type & 15) | (v->s & 1) << 4 | (v->dpl & 3) << 5 | (v->present & 1) << 7 |
	       (v->avl & 1) << 12 | (v->l & 1) << 13 | (v->db & 1) << 14 | (v->g & 1) << 15;
}

void vmx_set_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	const struct seg_fields *f = &seg_fields[seg];
	vmcs_write16(f->sel, var->selector);
	vmcs_writel(f->base, var->base);
	vmcs_write32(f->limit, var->limit);
	vmcs_write32(f->ar, vmx_segment_access_rights(var));
}

void vmx_get_segment(struct kvm_vcpu *vcpu, struct kvm_segment *var, int seg)
{
	const struct seg_fields *f = &seg_fields[seg];
	uint32_t ar = vmcs_read32(f->ar);
	memset(var, 0, sizeof(*var));
	var->selector = vmcs_read16(f->sel);
	var->base = vmcs_readl(f->base);
	var->limit = vmcs_read32(f->limit);
	var->unusable = (ar >> 16) & 1;
	var->type = ar & 15;
	var->s = (ar >> 4) & 1;
	var->dpl = (ar >> 5) & 3;
	var->present = !var->unusable && ((ar >> 7) & 1);
	var->avl = (ar >> 12) & 1;
	var->l = (ar >> 13) & 1;
	var->db = (ar >> 14) & 1;
	var->g = (ar >> 15) & 1;
}

/* Linux's vmx_get_exit_info: after a failed VM entry only the reason and the
 * qualification mean anything. */
void vmx_get_exit_info(struct kvm_vcpu *vcpu, uint32_t *reason, uint64_t *info1, uint64_t *info2,
		       uint32_t *intr_info, uint32_t *error_code)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	*reason = vmx->exit_reason;
	*info1 = vmcs_readl(EXIT_QUALIFICATION);
	*info2 = *intr_info = *error_code = 0;
	if (vmx->exit_reason & EXIT_REASON_FAILED_VMENTRY)
		return;
	*info2 = vmx->idt_vectoring_info;
	*intr_info = vmcs_read32(VM_EXIT_INTR_INFO);
	if ((*intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_DELIVER_CODE_MASK)) ==
	    (INTR_INFO_VALID_MASK | INTR_INFO_DELIVER_CODE_MASK))
		*error_code = vmcs_read32(VM_EXIT_INTR_ERROR_CODE);
}

int vmx_get_cpl(struct kvm_vcpu *vcpu)
{
	return (vmcs_read32(GUEST_SS_AR_BYTES) >> 5) & 3;
}

uint64_t vmx_get_rflags(struct kvm_vcpu *vcpu)
{
	return vmcs_readl(GUEST_RFLAGS);
}

void vmx_set_rflags(struct kvm_vcpu *vcpu, uint64_t rflags)
{
	vmcs_writel(GUEST_RFLAGS, rflags | 2);
}

/* IA-32e mode follows EFER.LME and CR0.PG (Linux enter_lmode/exit_lmode). */
static void update_lma(struct kvm_vcpu *vcpu)
{
	bool lma = (vcpu->efer & EFER_LME) && (vcpu->cr0 & X86_CR0_PG);
	vcpu->efer = lma ? vcpu->efer | EFER_LMA : vcpu->efer & ~EFER_LMA;
	vmcs_write64(GUEST_IA32_EFER, vcpu->efer);
	if (lma)
		vmcs_set_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
	else
		vmcs_clear_bits(VM_ENTRY_CONTROLS, VM_ENTRY_IA32E_MODE);
}

void vmx_set_cr0(struct kvm_vcpu *vcpu, uint64_t cr0)
{
	uint64_t fixed0 = vmcs_config.cr0_fixed0;
	if (cpu_has_unrestricted_guest())
		fixed0 &= ~(X86_CR0_PE | X86_CR0_PG);
	vcpu->cr0 = cr0;
	vmcs_writel(CR0_READ_SHADOW, cr0);
	vmcs_writel(GUEST_CR0, (cr0 | fixed0) & vmcs_config.cr0_fixed1);
	update_lma(vcpu);
}

void vmx_set_cr4(struct kvm_vcpu *vcpu, uint64_t cr4)
{
	vcpu->cr4 = cr4;
	vmcs_writel(CR4_READ_SHADOW, cr4);
	vmcs_writel(GUEST_CR4, (cr4 | vmcs_config.cr4_fixed0) & vmcs_config.cr4_fixed1);
}

int vmx_set_efer(struct kvm_vcpu *vcpu, uint64_t efer)
{
	vcpu->efer = efer;
	update_lma(vcpu);
	return 0;
}

void vmx_get_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	dt->limit = (uint16_t)vmcs_read32(GUEST_IDTR_LIMIT);
	dt->base = vmcs_readl(GUEST_IDTR_BASE);
}

void vmx_set_idt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	vmcs_write32(GUEST_IDTR_LIMIT, dt->limit);
	vmcs_writel(GUEST_IDTR_BASE, dt->base);
}

void vmx_get_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	dt->limit = (uint16_t)vmcs_read32(GUEST_GDTR_LIMIT);
	dt->base = vmcs_readl(GUEST_GDTR_BASE);
}

void vmx_set_gdt(struct kvm_vcpu *vcpu, struct kvm_dtable *dt)
{
	vmcs_write32(GUEST_GDTR_LIMIT, dt->limit);
	vmcs_writel(GUEST_GDTR_BASE, dt->base);
}

void vmx_load_mmu_pgd(struct kvm_vcpu *vcpu, uint64_t root_hpa, uint64_t guest_cr3)
{
	vmcs_write64(EPT_POINTER, to_kvm_vmx(vcpu->kvm)->eptp);
	vmcs_writel(GUEST_CR3, guest_cr3);
	vcpu->regs[VCPU_EXREG_CR3] = guest_cr3;
	vcpu->regs_avail |= 1u << VCPU_EXREG_CR3;
}

void vmx_flush_tlb_all(struct kvm_vcpu *vcpu)
{
	ept_sync_global();
}

/* The VM's EPT: its EPTP tags what the TLB holds (VPID-tagged entries too). */
void vmx_flush_tlb_current(struct kvm_vcpu *vcpu)
{
	ept_sync_context(to_kvm_vmx(vcpu->kvm)->eptp);
}

void vmx_cache_reg(struct kvm_vcpu *vcpu, enum kvm_reg reg)
{
	if (reg == VCPU_REGS_RSP)
		vcpu->regs[reg] = vmcs_readl(GUEST_RSP);
	else if (reg == VCPU_REGS_RIP)
		vcpu->regs[reg] = vmcs_readl(GUEST_RIP);
	else if (reg == VCPU_EXREG_CR3)
		vcpu->regs[reg] = vmcs_readl(GUEST_CR3);
	vcpu->regs_avail |= 1u << reg;
}

void vmx_inject_exception(struct kvm_vcpu *vcpu, unsigned vector, bool has_error,
			  uint32_t error_code)
{
	uint32_t info = vector | INTR_TYPE_HARD_EXCEPTION | INTR_INFO_VALID_MASK;
	/* Real mode pushes no error code, and VM entry refuses one into a guest
	 * without CR0.PE (VMfailValid 7): Linux drops it there (kvm_inject_exception). */
	if (!(vcpu->cr0 & X86_CR0_PE))
		has_error = false;
	if (has_error) {
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
		info |= INTR_INFO_DELIVER_CODE_MASK;
	}
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, info);
}

/* ---- events ------------------------------------------------------------------------- */

void vmx_set_interrupt_shadow(struct kvm_vcpu *vcpu, int mask)
{
	uint32_t old = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	uint32_t v = old & ~(GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS);
	if (mask & KVM_X86_SHADOW_INT_MOV_SS)
		v |= GUEST_INTR_STATE_MOV_SS;
	else if (mask & KVM_X86_SHADOW_INT_STI)
		v |= GUEST_INTR_STATE_STI;
	if (v != old)
		vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, v);
}

uint32_t vmx_get_interrupt_shadow(struct kvm_vcpu *vcpu)
{
	uint32_t v = vmcs_read32(GUEST_INTERRUPTIBILITY_INFO);
	return (v & GUEST_INTR_STATE_STI ? KVM_X86_SHADOW_INT_STI : 0) |
	       (v & GUEST_INTR_STATE_MOV_SS ? KVM_X86_SHADOW_INT_MOV_SS : 0);
}

/* No APICv for a VM here (Linux's vmx_deliver_interrupt without it): the
 * vector goes into the vCPU's IRR, beside any already there, and the next entry
 * injects the highest when the guest can take it (kvm_inject_pending_events). */
void vmx_deliver_interrupt(struct kvm_vcpu *vcpu, int delivery_mode, int trig_mode, int vector)
{
	kvm_lapic_set_irr((unsigned)vector, vcpu);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
}

void vmx_inject_irq(struct kvm_vcpu *vcpu, unsigned vector, bool reinjected)
{
	vcpu->stat.irq_injections++;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, (vector & 0xff) | INTR_TYPE_EXT_INTR | INTR_INFO_VALID_MASK);
}

void vmx_inject_nmi(struct kvm_vcpu *vcpu)
{
	vcpu->stat.nmi_injections++;
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, NMI_VECTOR | INTR_TYPE_NMI_INTR | INTR_INFO_VALID_MASK);
}

/* The event set up for this entry is not delivered after all. */
void vmx_cancel_injection(struct kvm_vcpu *vcpu)
{
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, 0);
}

/* An event already set up for this entry (an interrupted delivery, an
 * exception) goes first: nothing else is injected with it. */
static bool vmx_event_queued(void)
{
	return vmcs_read32(VM_ENTRY_INTR_INFO_FIELD) & INTR_INFO_VALID_MASK;
}

int vmx_interrupt_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	if (for_injection && vmx_event_queued())
		return false;
	return (vmcs_readl(GUEST_RFLAGS) & X86_EFLAGS_IF) &&
	       !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
}

int vmx_nmi_allowed(struct kvm_vcpu *vcpu, bool for_injection)
{
	if (for_injection && vmx_event_queued())
		return false;
	return !(vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) &
		 (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS | GUEST_INTR_STATE_NMI));
}

bool vmx_get_nmi_mask(struct kvm_vcpu *vcpu)
{
	return vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_NMI;
}

void vmx_set_nmi_mask(struct kvm_vcpu *vcpu, bool masked)
{
	if (masked)
		vmcs_set_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
	else
		vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO, GUEST_INTR_STATE_NMI);
}

void vmx_enable_irq_window(struct kvm_vcpu *vcpu)
{
	vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
}

/* NMI-window exiting needs virtual NMIs; without them the NMI waits for the
 * next exit (Linux's soft-NMI tracking is not modelled). */
void vmx_enable_nmi_window(struct kvm_vcpu *vcpu)
{
	if (vmcs_config.pin & PIN_BASED_VIRTUAL_NMIS)
		vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_NMI_WINDOW_EXITING);
}

/* ---- MSRs: everything kvmlike emulates, no VMX-only MSR ---------------------------- */

bool vmx_has_emulated_msr(struct kvm *kvm, uint32_t index)
{
	return kvm_msr_is_emulated(index);
}

int vmx_get_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t *data)
{
	return kvm_get_msr_common(vcpu, index, data);
}

int vmx_set_msr(struct kvm_vcpu *vcpu, uint32_t index, uint64_t data)
{
	return kvm_set_msr_common(vcpu, index, data);
}

/* The architected state after RESET (SDM "Processor State After Reset"), as
 * Linux's vmx_vcpu_reset loads it: real mode at F000:FFF0. */
void vmx_vcpu_reset(struct kvm_vcpu *vcpu, bool init_event)
{
	struct kvm_segment cs = { .base = 0xffff0000, .limit = 0xffff, .selector = 0xf000,
				  .type = 0xb, .present = 1, .s = 1 };
	struct kvm_segment data = { .limit = 0xffff, .type = 3, .present = 1, .s = 1 };
	struct kvm_segment tr = { .limit = 0xffff, .type = 0xb, .present = 1 };
	struct kvm_segment ldt = { .limit = 0xffff, .type = 2, .present = 1 };
	struct kvm_dtable dt = { .limit = 0xffff };
	vmx_set_segment(vcpu, &cs, VCPU_SREG_CS);
	for (int s = VCPU_SREG_ES; s <= VCPU_SREG_GS; s++)
		if (s != VCPU_SREG_CS)
			vmx_set_segment(vcpu, &data, s);
	vmx_set_segment(vcpu, &tr, VCPU_SREG_TR);
	vmx_set_segment(vcpu, &ldt, VCPU_SREG_LDTR);
	vmx_set_gdt(vcpu, &dt);
	vmx_set_idt(vcpu, &dt);
	vmcs_writel(GUEST_RFLAGS, 2);
	vmcs_writel(GUEST_RIP, 0xfff0);
	vmcs_writel(GUEST_RSP, 0);
	vmcs_writel(GUEST_DR7, 0x400);
	memset(to_vmx(vcpu)->dr, 0, sizeof(to_vmx(vcpu)->dr));
	to_vmx(vcpu)->dr[6] = DR6_ACTIVE_LOW;
	vmcs_write32(GUEST_ACTIVITY_STATE, 0);
	vmcs_write32(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write32(GUEST_SYSENTER_CS, 0);
	vmcs_writel(GUEST_SYSENTER_ESP, 0);
	vmcs_writel(GUEST_SYSENTER_EIP, 0);
	vcpu->efer = 0;
	vmx_set_cr0(vcpu, X86_CR0_ET | X86_CR0_NW | X86_CR0_CD);
	vmx_set_cr4(vcpu, 0);
	vmx_load_mmu_pgd(vcpu, 0, 0);
	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs[VCPU_REGS_RDX] = 0x600;   /* the family/model/stepping signature */
	vcpu->regs_avail = 0xffff;
	vcpu->regs_dirty = 0;
}

/* ---- running ----------------------------------------------------------------------- */

/* An event whose delivery the exit interrupted is delivered again at the next
 * entry (Linux __vmx_complete_interrupts): the IDT-vectoring information becomes
 * the entry's interruption information. */
static void vmx_complete_interrupts(struct kvm_vcpu *vcpu)
{
	uint32_t idt = to_vmx(vcpu)->idt_vectoring_info;
	if (!(idt & INTR_INFO_VALID_MASK))
		return;
	unsigned type = (idt >> 8) & 7;
	if (idt & INTR_INFO_DELIVER_CODE_MASK)
		vmcs_write32(VM_ENTRY_EXCEPTION_ERROR_CODE, vmcs_read32(IDT_VECTORING_ERROR_CODE));
	if (type == 4 || type == 5 || type == 6)      /* software events: their length */
		vmcs_write32(VM_ENTRY_INSTRUCTION_LEN, vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	if (type == 2)                 /* the NMI's delivery left virtual-NMI blocking set */
		vmx_set_nmi_mask(vcpu, false);
	vmcs_write32(VM_ENTRY_INTR_INFO_FIELD, idt & ~(1u << 12));
}

/* The host's interrupt that made the guest exit, acknowledged by the exit ("acknowledge
 * interrupt on exit": in service at the host's APIC, its vector in the exit
 * interruption information): its handler runs before anything else of the host,
 * as Linux's handle_external_interrupt_irqoff calls the host IDT's. */
static void handle_external_interrupt_irqoff(struct kvm_vcpu *vcpu)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
	if (WARN_ON_ONCE((info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK)) !=
			 (INTR_INFO_VALID_MASK | INTR_TYPE_EXT_INTR)))
		return;
	WARN_ON_ONCE(!kvm_host_irq_dispatch((uint8_t)info));
}

static bool is_machine_check(uint32_t intr_info)
{
	return (intr_info & (INTR_INFO_VALID_MASK | INTR_INFO_INTR_TYPE_MASK | 0xff)) ==
	       (INTR_INFO_VALID_MASK | INTR_TYPE_HARD_EXCEPTION | MC_VECTOR);
}

enum exit_fastpath_completion vmx_vcpu_run(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (vcpu->regs_dirty & (1u << VCPU_REGS_RSP))
		vmcs_writel(GUEST_RSP, vcpu->regs[VCPU_REGS_RSP]);
	if (vcpu->regs_dirty & (1u << VCPU_REGS_RIP))
		vmcs_writel(GUEST_RIP, vcpu->regs[VCPU_REGS_RIP]);
	vcpu->regs_dirty = 0;
	if (vmx->ple_window_dirty) {
		vmx->ple_window_dirty = false;
		vmcs_write32(PLE_WINDOW, vmx->ple_window);
	}
	int r = __vmx_vcpu_run(vcpu->regs, vmx->launched);
	/* RSP and RIP are in the VMCS now: read on demand. */
	vcpu->regs_avail = 0xffff & ~(1u << VCPU_REGS_RSP);
	vmx->fail = r > 0;
	vmx->dead = r < 0;
	if (r) {
		vmx->fail_error = r > 0 ? vmcs_read32(VM_INSTRUCTION_ERROR) : 0;
		return EXIT_FASTPATH_NONE;
	}
	vmx->exit_reason = vmcs_read32(VM_EXIT_REASON);
	vmx->idt_vectoring_info = 0;
	/* Linux vmx_vcpu_run and handle_exception_nmi_irqoff: the host's machine
	 * check is handled before anything else runs on the LP. */
	if ((vmx->exit_reason & 0xffff) == EXIT_REASON_MCE_DURING_VMENTRY ||
	    ((vmx->exit_reason & 0xffff) == EXIT_REASON_EXCEPTION_NMI &&
	     is_machine_check(vmcs_read32(VM_EXIT_INTR_INFO))))
		kvm_machine_check();
	if (!(vmx->exit_reason & EXIT_REASON_FAILED_VMENTRY)) {
		vmx->launched = true;
		vmx->idt_vectoring_info = vmcs_read32(IDT_VECTORING_INFO_FIELD);
		if ((vmx->exit_reason & 0xffff) == EXIT_REASON_EXTERNAL_INTERRUPT)
			handle_external_interrupt_irqoff(vcpu);
		vmx_complete_interrupts(vcpu);
	}
	return EXIT_FASTPATH_NONE;
}

int vmx_skip_emulated_instruction(struct kvm_vcpu *vcpu)
{
	kvm_rip_write(vcpu, kvm_rip_read(vcpu) + vmcs_read32(VM_EXIT_INSTRUCTION_LEN));
	/* The instruction is done: STI/MOV SS blocking ends with it. */
	vmcs_clear_bits(GUEST_INTERRUPTIBILITY_INFO, 3);
	return 1;
}

/* ---- exit handlers ----------------------------------------------------------------- */

/* Linux's handle_ud emulates the few instructions it must (a hypercall of the other
 * vendor, its forced-emulation prefix when enabled); kvmlike emulates none of them,
 * so the #UD goes back to the guest. */
static int handle_ud(struct kvm_vcpu *vcpu)
{
	vmx_inject_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

/* Linux's #DB without guest debugging: the exit qualification is the payload of the
 * guest's DR6, which MOV DR reads from vmx->dr[6] here (kvm_deliver_exception_payload:
 * the condition bits cleared, the always-1 and active-low bits set, the payload's
 * bits set, its active-low ones cleared, bit 12 clear); then the #DB goes in. An
 * ICEBP (INT1) is skipped first, a trap; a single step in a MOV SS shadow stays
 * pending for after it. */
static int handle_db(struct kvm_vcpu *vcpu, uint32_t info)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint64_t payload = vmcs_readl(EXIT_QUALIFICATION);
	if ((info & INTR_INFO_INTR_TYPE_MASK) == INTR_TYPE_PRIV_SW_EXCEPTION)
		kvm_skip_emulated_instruction(vcpu);
	else if ((vmx_get_rflags(vcpu) & X86_EFLAGS_TF) &&
		 (vmcs_read32(GUEST_INTERRUPTIBILITY_INFO) & GUEST_INTR_STATE_MOV_SS))
		vmcs_writel(GUEST_PENDING_DBG_EXCEPTIONS, vmcs_readl(GUEST_PENDING_DBG_EXCEPTIONS) | DR6_BS);
	uint64_t dr6 = (vmx->dr[6] & ~DR_TRAP_BITS) | DR6_ACTIVE_LOW | payload;
	vmx->dr[6] = (dr6 ^ (payload & DR6_ACTIVE_LOW)) & ~(1ull << 12);
	vmx_inject_exception(vcpu, DB_VECTOR, false, 0);
	return 1;
}

static int handle_exception_nmi(struct kvm_vcpu *vcpu)
{
	uint32_t info = vmcs_read32(VM_EXIT_INTR_INFO);
	/* The host's NMI or machine check, handled at the exit: nothing for the guest,
	 * which goes on at the instruction the machine check interrupted. */
	if ((info & (7u << 8)) == INTR_TYPE_NMI_INTR || is_machine_check(info))
		return 1;
	if ((info & 0xff) == UD_VECTOR)
		return handle_ud(vcpu);
	uint32_t error_code = (info & INTR_INFO_DELIVER_CODE_MASK) ? vmcs_read32(VM_EXIT_INTR_ERROR_CODE) : 0;
	uint32_t vect = to_vmx(vcpu)->idt_vectoring_info;
	/* An intercepted exception that arose delivering another event: KVM would
	 * have to simulate the two together, which Linux leaves to user space. Only
	 * a #PF that is not a reserved-bit one (not MMIO) may go on; kvmlike does not
	 * intercept #PF (EPT), so any exception here does. */
	if ((vect & INTR_INFO_VALID_MASK) &&
	    !((info & 0xff) == PF_VECTOR && !(error_code & PFERR_RSVD_MASK))) {
		const uint64_t data[] = { vect, info, error_code };
		kvm_prepare_internal_error_exit(vcpu, KVM_INTERNAL_ERROR_SIMUL_EX, data, 3);
		return 0;
	}
	if ((info & 0xff) == DB_VECTOR)
		return handle_db(vcpu, info);
	/* Without split-lock detection every #AC is the guest's alignment check, which
	 * Linux gives back (vmx_guest_inject_ac). */
	if ((info & 0xff) == AC_VECTOR) {
		vmx_inject_exception(vcpu, AC_VECTOR, true, error_code);
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_EXCEPTION;
	vcpu->run->ex.exception = info & 0xff;
	vcpu->run->ex.error_code = error_code;
	return 0;
}

/* The host's interrupt was handled at the exit (handle_external_interrupt_irqoff). */
static int handle_external_interrupt(struct kvm_vcpu *vcpu)
{
	vcpu->stat.irq_exits++;
	return 1;
}

static int handle_triple_fault(struct kvm_vcpu *vcpu)
{
	vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
	return 0;
}

static int handle_cpuid(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_cpuid(vcpu);
}

static int handle_halt(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_halt(vcpu);
}

static int handle_vmcall(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_hypercall(vcpu);
}

/* No nested VMX: the VMX instructions are #UD in the guest. */
static int handle_vmx_instruction(struct kvm_vcpu *vcpu)
{
	vmx_inject_exception(vcpu, UD_VECTOR, false, 0);
	return 1;
}

static int handle_nop(struct kvm_vcpu *vcpu)
{
	return kvm_skip_emulated_instruction(vcpu);
}

static int handle_rdpmc(struct kvm_vcpu *vcpu)
{
	vmx_inject_exception(vcpu, GP_VECTOR, true, 0);   /* no PMU is exposed */
	return 1;
}

static int handle_cr(struct kvm_vcpu *vcpu)
{
	uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
	unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	switch (type) {
	case 0: /* MOV to CR */
		return kvm_set_cr(vcpu, cr, kvm_register_read(vcpu, reg)) ? 1 : kvm_skip_emulated_instruction(vcpu);
	case 1: /* MOV from CR: only CR8 reaches here (CR3 exits are off) */
		kvm_register_write(vcpu, reg, 0);
		return kvm_skip_emulated_instruction(vcpu);
	case 2: /* CLTS */
		vmx_set_cr0(vcpu, vcpu->cr0 & ~X86_CR0_TS);
		return kvm_skip_emulated_instruction(vcpu);
	default: /* LMSW: bits 3:0 of the source; PE cannot be cleared */
		vmx_set_cr0(vcpu, (vcpu->cr0 & ~0xeull) | ((q >> 16) & 0xf) | (vcpu->cr0 & X86_CR0_PE));
		return kvm_skip_emulated_instruction(vcpu);
	}
}

/* Linux's kvm_get_dr/kvm_set_dr: DR4 and DR5 are DR6 and DR7 (the processor has
 * made its #UD check with CR4.DE already); a write to DR6 keeps its writable bits
 * (DR6_VOLATILE) and sets the ones that read as 1. */
static int handle_dr(struct kvm_vcpu *vcpu)
{
	uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
	unsigned dr = q & 7, reg = (q >> 8) & 15;
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (dr == 4 || dr == 5)
		dr += 2;
	if ((q >> 4) & 1)
		kvm_register_write(vcpu, reg, dr == 7 ? vmcs_readl(GUEST_DR7) : vmx->dr[dr]);
	else if (dr == 7)
		vmcs_writel(GUEST_DR7, kvm_register_read(vcpu, reg));
	else if (dr == 6)
		vmx->dr[6] = (kvm_register_read(vcpu, reg) & DR6_VOLATILE) | DR6_ACTIVE_LOW;
	else
		vmx->dr[dr] = kvm_register_read(vcpu, reg);
	return kvm_skip_emulated_instruction(vcpu);
}

static int handle_io(struct kvm_vcpu *vcpu)
{
	uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
	unsigned size = (q & 7) + 1, in = (q >> 3) & 1, string = (q >> 4) & 1;
	if (string)
		return kvm_emulation_failed_at_rip(vcpu);
	return kvm_fast_pio(vcpu, size, (uint16_t)(q >> 16), in);
}

static int handle_rdmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_rdmsr(vcpu);
}

static int handle_wrmsr(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_wrmsr(vcpu);
}

/* A PAUSE loop outlasted the window (PAUSE exiting is never asked for): the vCPU
 * spins on a lock whose holder does not run. Linux yields to another vCPU
 * (kvm_vcpu_on_spin); kvmlike has no other to run. Either way the window grows and
 * the PAUSE is done. */
static int handle_pause(struct kvm_vcpu *vcpu)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	uint32_t old = vmx->ple_window;
	vmx->ple_window = grow_ple_window(old);
	if (vmx->ple_window != old)
		vmx->ple_window_dirty = true;
	return kvm_skip_emulated_instruction(vcpu);
}

/* An MMIO access is emulated at the instruction at RIP, unless it was an event's
 * delivery that made it: Linux's emulator refuses that (check_emulate_instruction,
 * X86EMUL_UNHANDLEABLE_VECTORING) and user space gets KVM_INTERNAL_ERROR_DELIVERY_EV
 * with the address. */
static int vmx_emulate_mmio(struct kvm_vcpu *vcpu, uint64_t gpa)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	if (vmx->idt_vectoring_info & INTR_INFO_VALID_MASK) {
		kvm_prepare_event_vectoring_exit(vcpu, vmx->idt_vectoring_info, vmx->exit_reason,
						 vmcs_readl(EXIT_QUALIFICATION), gpa);
		return 0;
	}
	return kvm_emulate_mmio(vcpu, gpa);
}

/* A guest-physical address in a memslot is mapped (kvm_tdp_map_page) and the guest
 * retries; anything else is MMIO for user space, and its page becomes a cached MMIO
 * entry so that later accesses come back as EPT misconfigurations (Linux's
 * kvm_handle_noslot_fault with MMIO caching). */
static int handle_ept_violation(struct kvm_vcpu *vcpu)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	const struct kvm_memory_slot *slot = gfn_to_memslot(vcpu->kvm, gpa >> PAGE_SHIFT);
	struct kvm_vmx *kv = to_kvm_vmx(vcpu->kvm);
	if (slot) {
		uint64_t hpa = slot->hpa + ((gpa >> PAGE_SHIFT) - slot->base_gfn) * PAGE_SIZE;
		int r = tdp_mmu_map(&kv->mmu, gpa & ~(PAGE_SIZE - 1), hpa);
		if (r)
			return kvm_emulation_failed(vcpu);
		/* Not-present entries are not cached: no INVEPT is needed after mapping. */
		vcpu->stat.ept_maps++;
		return 1;
	}
	if (tdp_mmu_mark_mmio(&kv->mmu, gpa & ~(PAGE_SIZE - 1), kvm_mmio_gen(vcpu->kvm)))
		return kvm_emulation_failed(vcpu);
	return vmx_emulate_mmio(vcpu, gpa);
}

/* Only cached MMIO entries are misconfigured on purpose (Linux's handle_ept_misconfig
 * and handle_mmio_page_fault). One made before the last memslot update may now be
 * RAM: it is dropped and the guest retries, meeting the EPT-violation path. */
static int handle_ept_misconfig(struct kvm_vcpu *vcpu)
{
	uint64_t gpa = vmcs_read64(GUEST_PHYSICAL_ADDRESS);
	struct kvm_vmx *kv = to_kvm_vmx(vcpu->kvm);
	unsigned gen;
	if (!tdp_mmu_mmio_gen(&kv->mmu, gpa, &gen)) {
		WARN_ON_ONCE(1);
		return kvm_emulation_failed(vcpu);
	}
	if (gen != kvm_mmio_gen(vcpu->kvm)) {
		tdp_mmu_zap(&kv->mmu, gpa);
		return 1;
	}
	return vmx_emulate_mmio(vcpu, gpa);
}

/* The guest can take the interrupt (or NMI) waiting for it: the window closes
 * and the event goes in at this entry. */
static int handle_interrupt_window(struct kvm_vcpu *vcpu)
{
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_INTR_WINDOW_EXITING);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 1;
}

static int handle_nmi_window(struct kvm_vcpu *vcpu)
{
	vmcs_clear_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_NMI_WINDOW_EXITING);
	kvm_make_request(KVM_REQ_EVENT, vcpu);
	return 1;
}

static int handle_xsetbv(struct kvm_vcpu *vcpu)
{
	return kvm_emulate_xsetbv(vcpu);
}

/* A task switch (Linux handle_task_switch): the qualification names the new TSS
 * and the source. An event whose delivery met an IDT task gate is delivered by
 * the switch, so it is not injected again (vmx_complete_interrupts queued it; an
 * NMI's leaves NMIs blocked), and an exception's error code goes to the new
 * task's stack. The instruction that switched (CALL, JMP, IRET, INT n) is done:
 * the old task's saved EIP is the next one. */
static int handle_task_switch(struct kvm_vcpu *vcpu)
{
	uint32_t idt = to_vmx(vcpu)->idt_vectoring_info;
	bool idt_v = idt & INTR_INFO_VALID_MASK;
	uint32_t type = idt & INTR_INFO_INTR_TYPE_MASK, error_code = 0;
	uint64_t q = vmcs_readl(EXIT_QUALIFICATION);
	int reason = (int)((uint32_t)q >> 30);
	bool has_error_code = false;
	if (reason == KVM_TASK_SWITCH_GATE && idt_v) {
		vmx_cancel_injection(vcpu);
		if (type == INTR_TYPE_NMI_INTR)
			vmx_set_nmi_mask(vcpu, true);
		has_error_code = type == INTR_TYPE_HARD_EXCEPTION && (idt & INTR_INFO_DELIVER_CODE_MASK);
		if (has_error_code)
			error_code = vmcs_read32(IDT_VECTORING_ERROR_CODE);
	}
	if (!idt_v || (type != INTR_TYPE_HARD_EXCEPTION && type != INTR_TYPE_EXT_INTR &&
		       type != INTR_TYPE_NMI_INTR))
		vmx_skip_emulated_instruction(vcpu);
	return kvm_task_switch(vcpu, (uint16_t)q, type == INTR_TYPE_SOFT_INTR && idt_v ? (int)(idt & 0xff) : -1,
			       reason, has_error_code, error_code);
}

typedef int (*exit_handler_t)(struct kvm_vcpu *vcpu);

static const exit_handler_t kvm_vmx_exit_handlers[] = {
	[EXIT_REASON_EXCEPTION_NMI] = handle_exception_nmi,
	[EXIT_REASON_EXTERNAL_INTERRUPT] = handle_external_interrupt,
	[EXIT_REASON_TRIPLE_FAULT] = handle_triple_fault,
	[EXIT_REASON_INTERRUPT_WINDOW] = handle_interrupt_window,
	[EXIT_REASON_NMI_WINDOW] = handle_nmi_window,
	[EXIT_REASON_TASK_SWITCH] = handle_task_switch,
	[EXIT_REASON_CPUID] = handle_cpuid,
	[EXIT_REASON_HLT] = handle_halt,
	[EXIT_REASON_INVD] = handle_nop,
	[EXIT_REASON_RDPMC] = handle_rdpmc,
	[EXIT_REASON_VMCALL] = handle_vmcall,
	[EXIT_REASON_VMCLEAR] = handle_vmx_instruction,
	[EXIT_REASON_VMLAUNCH] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRLD] = handle_vmx_instruction,
	[EXIT_REASON_VMPTRST] = handle_vmx_instruction,
	[EXIT_REASON_VMREAD] = handle_vmx_instruction,
	[EXIT_REASON_VMRESUME] = handle_vmx_instruction,
	[EXIT_REASON_VMWRITE] = handle_vmx_instruction,
	[EXIT_REASON_VMOFF] = handle_vmx_instruction,
	[EXIT_REASON_VMON] = handle_vmx_instruction,
	[EXIT_REASON_CR_ACCESS] = handle_cr,
	[EXIT_REASON_DR_ACCESS] = handle_dr,
	[EXIT_REASON_IO_INSTRUCTION] = handle_io,
	[EXIT_REASON_MSR_READ] = handle_rdmsr,
	[EXIT_REASON_MSR_WRITE] = handle_wrmsr,
	[EXIT_REASON_MWAIT_INSTRUCTION] = handle_nop,
	[EXIT_REASON_MONITOR_INSTRUCTION] = handle_nop,
	[EXIT_REASON_PAUSE_INSTRUCTION] = handle_pause,
	[EXIT_REASON_EPT_VIOLATION] = handle_ept_violation,
	[EXIT_REASON_EPT_MISCONFIG] = handle_ept_misconfig,
	[EXIT_REASON_INVEPT] = handle_vmx_instruction,
	[EXIT_REASON_INVVPID] = handle_vmx_instruction,
	[EXIT_REASON_WBINVD] = handle_nop,
	[EXIT_REASON_XSETBV] = handle_xsetbv,
};

#define NR_HANDLERS (sizeof(kvm_vmx_exit_handlers) / sizeof(kvm_vmx_exit_handlers[0]))

/* The exits Linux handles while an event was being delivered (the rest are
 * KVM_INTERNAL_ERROR_DELIVERY_EV): the event goes in again at the next entry. */
static bool exit_may_interrupt_delivery(unsigned basic)
{
	static const uint8_t ok[] = { EXIT_REASON_EXCEPTION_NMI, EXIT_REASON_EPT_VIOLATION,
				      EXIT_REASON_EPT_MISCONFIG, EXIT_REASON_TASK_SWITCH,
				      EXIT_REASON_APIC_ACCESS, EXIT_REASON_PML_FULL,
				      EXIT_REASON_NOTIFY };
	for (unsigned i = 0; i < sizeof(ok); i++)
		if (ok[i] == basic)
			return true;
	return false;
}

int vmx_handle_exit(struct kvm_vcpu *vcpu, enum exit_fastpath_completion fastpath)
{
	struct vcpu_vmx *vmx = to_vmx(vcpu);
	struct kvm_run *run = vcpu->run;
	if (vmx->dead)
		return -EIO;
	if (vmx->fail) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = vmx->fail_error;
		run->fail_entry.cpu = (uint32_t)vcpu->cpu;
		return 0;
	}
	uint32_t reason = vmx->exit_reason;
	if (reason & EXIT_REASON_FAILED_VMENTRY) {
		run->exit_reason = KVM_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_entry_failure_reason = reason;
		run->fail_entry.cpu = (uint32_t)vcpu->cpu;
		return 0;
	}
	unsigned basic = reason & 0xffff;
	if (kvm_trace_enabled())
		trace_kvm_exit(vcpu, basic, vmcs_readl(EXIT_QUALIFICATION));
	vcpu->stat.exits++;
	if (basic < KVM_NR_EXIT_REASONS)
		vcpu->stat.exits_by_reason[basic]++;
	/* An exit during event delivery that the handlers cannot finish (Linux
	 * __vmx_handle_exit): only these may go on; an EPT misconfiguration there
	 * is an MMIO access, which handle_ept_misconfig refuses with its GPA. */
	if ((vmx->idt_vectoring_info & INTR_INFO_VALID_MASK) && !exit_may_interrupt_delivery(basic)) {
		kvm_prepare_event_vectoring_exit(vcpu, vmx->idt_vectoring_info, reason,
						 vmcs_readl(EXIT_QUALIFICATION), KVM_INVALID_GPA);
		return 0;
	}
	if (basic >= NR_HANDLERS || !kvm_vmx_exit_handlers[basic]) {
		kvm_prepare_unexpected_reason_exit(vcpu, reason);
		return 0;
	}
	return kvm_vmx_exit_handlers[basic](vcpu);
}
