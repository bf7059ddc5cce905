/* The user-space VMM of tools/vmm.h. */
#include "tools/vmm.h"

#include <stdarg.h>
#include <string.h>

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "vtsim/hosted.h"

#define GUEST_MEM      (8ull << 20)
#define GUEST_LOAD     0x100000ull
#define GUEST_STACK    0x80000ull
#define GUEST_GDT      0x500ull
#define GUEST_PML4     0x1000ull      /* then the PDPT and four PDs: 0-4 GiB */
#define DEVICE_BASE    0xd0000000ull
#define DEVICE_ID      0x4b564d31u    /* "1MVK" */
#define MAX_EXITS      1000000

static int failf(struct vmm_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* Identity-mapped 0-4 GiB in 2 MiB pages, and a GDT with a 64-bit code segment. */
static void build_boot_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4);
	uint64_t *pdpt = (uint64_t *)(mem + GUEST_PML4 + 0x1000);
	pml4[0] = (GUEST_PML4 + 0x1000) | 3;
	for (uint64_t g = 0; g < 4; g++) {
		uint64_t pd_gpa = GUEST_PML4 + 0x2000 + g * 0x1000;
		uint64_t *pd = (uint64_t *)(mem + pd_gpa);
		pdpt[g] = pd_gpa | 3;
		for (uint64_t i = 0; i < 512; i++)
			pd[i] = ((g << 30) + (i << 21)) | 0x83;
	}
	uint64_t *gdt = (uint64_t *)(mem + GUEST_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;   /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;   /* 0x10: data */
}

static void long_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment code = { .base = 0, .limit = 0xffffffff, .selector = 0x08, .type = 0xb,
				    .present = 1, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .base = 0, .limit = 0xffffffff, .selector = 0x10, .type = 3,
				    .present = 1, .s = 1, .db = 1, .g = 1 };
	s->cs = code;
	s->ds = s->es = s->ss = s->fs = s->gs = data;
	s->tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
	s->gdt = (struct kvm_dtable){ .base = GUEST_GDT, .limit = 23 };
	s->idt = (struct kvm_dtable){ 0 };
	s->cr0 = 0x80050033;              /* PG WP NE ET MP PE */
	s->cr3 = GUEST_PML4;
	s->cr4 = 0x620;                   /* OSXMMEXCPT OSFXSR PAE */
	s->efer = 0x500;                  /* LMA LME */
}

static void handle_io(struct kvm_vcpu *vcpu, FILE *console)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (run->io.port == 0x3f8 || run->io.port == 0xe9)
			fputc(data[0], console);
		return;
	}
	/* COM1's line status says "transmitter empty"; nothing else is there. */
	memset(data, run->io.port == 0x3fd ? 0x60 : 0xff, run->io.size);
}

static void handle_mmio(struct kvm_vcpu *vcpu, struct vmm_report *r)
{
	struct kvm_run *run = vcpu->run;
	uint64_t off = run->mmio.phys_addr - DEVICE_BASE;
	if (run->mmio.is_write) {
		if (off == 4)
			memcpy(&r->device_command, run->mmio.data, 4);
		return;
	}
	uint32_t v = off == 0 ? DEVICE_ID : 0xffffffffu;   /* unclaimed addresses float */
	memcpy(run->mmio.data, &v, run->mmio.len < 4 ? run->mmio.len : 4);
}

static int run_vcpu(struct kvm_vcpu *vcpu, FILE *console, struct vmm_report *r)
{
	for (unsigned n = 0; n < MAX_EXITS; n++) {
		int e = kvm_vcpu_run(vcpu);
		if (e)
			return failf(r, "KVM_RUN: error %d (%s)", e, vtsim_machine_stop_message(kvm_machine()));
		struct kvm_run *run = vcpu->run;
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			handle_io(vcpu, console);
			break;
		case KVM_EXIT_MMIO:
			handle_mmio(vcpu, r);
			break;
		case KVM_EXIT_HLT:
			r->ok = true;
			return 0;
		case KVM_EXIT_FAIL_ENTRY:
			return failf(r, "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x%llx",
				     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		case KVM_EXIT_SHUTDOWN:
			return failf(r, "KVM_EXIT_SHUTDOWN: the guest triple-faulted");
		case KVM_EXIT_EXCEPTION:
			return failf(r, "KVM_EXIT_EXCEPTION: vector %u", run->ex.exception);
		case KVM_EXIT_INTERNAL_ERROR:
			return failf(r, "KVM_EXIT_INTERNAL_ERROR: suberror %u, data 0x%llx", run->internal.suberror,
				     (unsigned long long)run->internal.data[0]);
		default:
			return failf(r, "unexpected exit reason %u", run->exit_reason);
		}
		if (vtsim_machine_stopped(kvm_machine()))
			return failf(r, "the machine stopped: %s", vtsim_machine_stop_message(kvm_machine()));
	}
	return failf(r, "no HLT after %u exits", MAX_EXITS);
}

static int run_vm(unsigned long type, const uint8_t *img, size_t len, FILE *console,
		  struct vmm_report *r)
{
	struct kvm *vm;
	int e = kvm_create_vm(type, &vm);
	if (e)
		return failf(r, "KVM_CREATE_VM(%s): error %d%s",
			     type == KVM_X86_TDX_VM ? "KVM_X86_TDX_VM" : "KVM_X86_DEFAULT_VM", e,
			     type == KVM_X86_TDX_VM && e == -EINVAL ? " (this platform has no TDX module)" : "");
	int rc = -1;
	uint8_t *mem = kvm_userspace_alloc(GUEST_MEM);
	struct kvm_vcpu *vcpu;
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0,
						       .memory_size = GUEST_MEM,
						       .userspace_addr = (uint64_t)(uintptr_t)mem };
	if (!mem) {
		failf(r, "no memory for the guest");
		goto out;
	}
	if (len > GUEST_MEM - GUEST_LOAD) {
		failf(r, "the guest image (%zu bytes) does not fit in %llu MiB above 1 MiB", len,
		      (unsigned long long)(GUEST_MEM >> 20));
		goto out;
	}
	memcpy(mem + GUEST_LOAD, img, len);
	build_boot_tables(mem);
	if ((e = kvm_set_user_memory_region(vm, &region))) {
		failf(r, "KVM_SET_USER_MEMORY_REGION: error %d", e);
		goto out;
	}
	if ((e = kvm_create_vcpu(vm, 0, &vcpu))) {
		failf(r, "KVM_CREATE_VCPU: error %d", e);
		goto out;
	}
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_LOAD, .rsp = GUEST_STACK, .rflags = 2 };
	kvm_vcpu_get_sregs(vcpu, &sregs);
	long_mode_sregs(&sregs);
	if ((e = kvm_vcpu_set_sregs(vcpu, &sregs)) || (e = kvm_vcpu_set_regs(vcpu, &regs))) {
		failf(r, "KVM_SET_SREGS/KVM_SET_REGS: error %d", e);
		goto out;
	}
	rc = run_vcpu(vcpu, console, r);
	r->stat = vcpu->stat;
	r->ept_pages_mapped = (unsigned)vcpu->stat.ept_maps;
out:
	kvm_destroy_vm(vm);
	kvm_userspace_free(mem, GUEST_MEM);
	return rc;
}

static int run_flat(unsigned long type, const struct vtsim_config *cfg, const uint8_t *img,
		    size_t len, FILE *console, struct vmm_report *r)
{
	memset(r, 0, sizeof(*r));
	char err[256];
	struct vtsim_machine *m = vtsim_machine_create(cfg, err, sizeof(err));
	if (!m)
		return failf(r, "%s", err);
	int rc = -1;
	if (vtsim_hosted_start(m, err, sizeof(err))) {
		failf(r, "%s", err);
		goto out;
	}
	if (kvm_hosted_attach(m, console)) {
		failf(r, "cannot attach kvmlike to the machine");
		goto out;
	}
	int e = kvm_init();
	if (e) {
		failf(r, "kvmlike failed to load: error %d", e);
		goto detach;
	}
	rc = run_vm(type, img, len, console, r);
	struct kvm *td;
	r->td_create = kvm_create_vm(KVM_X86_TDX_VM, &td);
	if (!r->td_create)
		kvm_destroy_vm(td);
	kvm_exit();
detach:
	kvm_hosted_detach();
out:
	vtsim_machine_destroy(m);
	return rc;
}

int vmm_run_flat(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		 struct vmm_report *r)
{
	return run_flat(KVM_X86_DEFAULT_VM, cfg, img, len, console, r);
}

int vmm_run_flat_td(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		    struct vmm_report *r)
{
	return run_flat(KVM_X86_TDX_VM, cfg, img, len, console, r);
}
