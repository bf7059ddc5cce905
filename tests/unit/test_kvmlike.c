/* kvmlike through its user API (kvmlike/kvm.h), as a VMM sees KVM: a simulated
 * machine, kvmlike attached to it and loaded, one VM with 8 MiB of guest memory
 * (identity-mapped 0-4 GiB in 2 MiB pages, a GDT), one vCPU in 64-bit mode at
 * guest-physical 1 MiB, as tools/vmm.c sets it up. Each test asserts what KVM
 * shows user space: the kvm_run exit, its data, and the registers KVM_GET_REGS
 * gives. Guest code is hand-assembled (nasm, bits 64); the source is beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"
#include "log_lines.h"
#include "kvmlike/runtime_hosted.h"
#include "kvmlike/vmx.h"
#include "kvmlike/vmx_insn.h"
#include "kvmlike/x86_ops.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"

/* Guest-physical layout (tools/vmm.c's). */
#define GUEST_MEM    (8ull << 20)
#define GUEST_GDT    0x500ull         /* page 0 */
#define GUEST_PML4   0x1000ull        /* PDPT at 0x2000, PDs at 0x3000-0x6000 */
#define GUEST_IDT    0x7000ull
#define GUEST_DATA   0x9000ull        /* where guests leave markers */
#define GUEST_STACK  0x80000ull       /* RSP: the first push writes page 0x7f000 */
#define GUEST_CODE   0x100000ull
#define GUEST_GP     (GUEST_CODE + 0x100)   /* the #GP handler */
#define MMIO_BASE    0xd0000000ull    /* outside every memslot */

struct fx {
	struct vtsim_machine *m;
	FILE *log;                    /* kvmlike's log and the machine's output */
	bool attached, loaded;
	struct kvm *vm;
	uint8_t *mem;
	struct kvm_vcpu *vcpu;
};

/* ---- the machine, kvmlike, the VM ------------------------------------------------ */

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
			pd[i] = ((g << 30) + (i << 21)) | 0x83;   /* P RW PS */
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
	s->idt = (struct kvm_dtable){ 0 };  /* no IDT: any exception triple-faults */
	s->cr0 = 0x80050033;              /* PG WP NE ET MP PE */
	s->cr3 = GUEST_PML4;
	s->cr4 = 0x620;                   /* OSXMMEXCPT OSFXSR PAE */
	s->efer = 0x500;                  /* LMA LME */
}

/* Logical processors of the next fixture's machine. */
static unsigned fx_cpus = 1;

/* The machine started and kvmlike attached to it, not loaded. */
static int machine_up(struct fx *f)
{
	char err[256];
	struct vtsim_config cfg;
	if (!(f->log = tmpfile()))
		return -1;
	vtsim_config_defaults(&cfg);
	cfg.console = cfg.diag = cfg.trace = f->log;
	cfg.max_insns = 1000000;          /* a guest that runs away ends KVM_RUN with -EIO */
	cfg.nr_cpus = fx_cpus;
	f->m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!f->m || vtsim_hosted_start(f->m, err, sizeof(err))) {
		fprintf(stderr, "machine: %s\n", err);
		return -1;
	}
	if (kvm_hosted_attach(f->m, f->log))
		return -1;
	f->attached = true;
	return 0;
}

/* ... and kvmlike loaded (kvm_init). */
static int kvm_up(struct fx *f)
{
	if (machine_up(f) || kvm_init())
		return -1;
	f->loaded = true;
	return 0;
}

/* ... and a VM with its memory, tables and one vCPU in 64-bit mode at GUEST_CODE. */
static int vm_up(struct fx *f)
{
	if (kvm_up(f) || kvm_create_vm(KVM_X86_DEFAULT_VM, &f->vm) ||
	    !(f->mem = kvm_userspace_alloc(GUEST_MEM)))
		return -1;
	build_boot_tables(f->mem);
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0,
						       .memory_size = GUEST_MEM,
						       .userspace_addr = (uint64_t)(uintptr_t)f->mem };
	if (kvm_set_user_memory_region(f->vm, &region) || kvm_create_vcpu(f->vm, 0, &f->vcpu))
		return -1;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_CODE, .rsp = GUEST_STACK, .rflags = 2 };
	if (kvm_vcpu_get_sregs(f->vcpu, &sregs))
		return -1;
	long_mode_sregs(&sregs);
	if (kvm_vcpu_set_sregs(f->vcpu, &sregs) || kvm_vcpu_set_regs(f->vcpu, &regs))
		return -1;
	return 0;
}

static int fx_teardown(void **state);

/* cmocka runs no teardown after a failed setup: undo it here, for the next test. */
static int fx_setup(void **state, int (*up)(struct fx *))
{
	struct fx *f = calloc(1, sizeof(*f));
	*state = f;
	if (f && !up(f))
		return 0;
	fx_teardown(state);
	*state = NULL;
	return -1;
}

static int machine_setup(void **state) { return fx_setup(state, machine_up); }
static int kvm_setup(void **state) { return fx_setup(state, kvm_up); }
static int vm_setup(void **state) { return fx_setup(state, vm_up); }
static int vm2_setup(void **state)
{
	fx_cpus = 2;
	int r = fx_setup(state, vm_up);
	fx_cpus = 1;
	return r;
}

/* Tears down whatever the setup built. kvmlike must have logged no warning and no
 * failed VMX instruction. */
static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;
	if (!f)
		return 0;
	if (f->vm)
		kvm_destroy_vm(f->vm);
	if (f->mem)
		kvm_userspace_free(f->mem, GUEST_MEM);
	if (f->loaded)
		kvm_exit();
	if (f->attached)
		kvm_hosted_detach();
	if (f->m)
		vtsim_machine_destroy(f->m);
	if (f->log) {
		char line[512];
		rewind(f->log);
		while (fgets(line, sizeof(line), f->log))
			/* kvmlike's complaints; vtsim's own explanations ("vtsim: ...") are
			 * asserted by the tests that expect them. */
			if (strncmp(line, "vtsim: ", 7) &&
			    (strstr(line, "WARNING") || strstr(line, " failed") || strstr(line, "faulted"))) {
				fprintf(stderr, "kvmlike log: %s", line);
				rc = -1;
			}
		fclose(f->log);
	}
	free(f);
	return rc;
}

/* ---- helpers ----------------------------------------------------------------------- */

static void load(struct fx *f, uint64_t gpa, const uint8_t *code, size_t len)
{
	memcpy(f->mem + gpa, code, len);
}

/* KVM_RUN: returns the exit reason. */
static uint32_t run(struct fx *f)
{
	int e = kvm_vcpu_run(f->vcpu);
	if (e)
		print_error("KVM_RUN: %d (%s)\n", e, vtsim_machine_stop_message(f->m));
	assert_int_equal(e, 0);
	struct kvm_run *r = f->vcpu->run;
	if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		print_error("KVM_EXIT_INTERNAL_ERROR: suberror %u, data 0x%llx\n", r->internal.suberror,
			    (unsigned long long)r->internal.data[0]);
	return r->exit_reason;
}

static struct kvm_regs get_regs(struct fx *f)
{
	struct kvm_regs r;
	assert_int_equal(kvm_vcpu_get_regs(f->vcpu, &r), 0);
	return r;
}

static void set_regs(struct fx *f, const struct kvm_regs *r)
{
	assert_int_equal(kvm_vcpu_set_regs(f->vcpu, r), 0);
}

static uint8_t *pio_data(struct fx *f)
{
	return (uint8_t *)f->vcpu->run + f->vcpu->run->io.data_offset;
}

static void assert_io_exit(struct fx *f, uint8_t direction, uint8_t size, uint16_t port)
{
	struct kvm_run *r = f->vcpu->run;
	assert_int_equal(r->exit_reason, KVM_EXIT_IO);
	assert_int_equal(r->io.direction, direction);
	assert_int_equal(r->io.size, size);
	assert_int_equal(r->io.port, port);
	assert_int_equal(r->io.count, 1);
}

static void assert_mmio_exit(struct fx *f, uint64_t gpa, uint32_t len, bool write)
{
	struct kvm_run *r = f->vcpu->run;
	assert_int_equal(r->exit_reason, KVM_EXIT_MMIO);
	assert_int_equal(r->mmio.phys_addr, gpa);
	assert_int_equal(r->mmio.len, len);
	assert_int_equal(r->mmio.is_write, write);
}

/* Answers an MMIO read with all 8 data bytes: only `len` of them may land. */
static void mmio_answer(struct fx *f, uint64_t v)
{
	memcpy(f->vcpu->run->mmio.data, &v, 8);
}

static uint64_t mmio_written(struct fx *f)
{
	uint64_t v;
	memcpy(&v, f->vcpu->run->mmio.data, 8);
	return v;
}

/* ---- 1. port I/O: OUT ---------------------------------------------------------------- */

static const uint8_t out_guest[] = {
	0xb0, 0x41,                   /* mov al, 'A' */
	0x66, 0xba, 0xf8, 0x03,       /* mov dx, 0x3f8 */
	0xee,                         /* out dx, al */
	0xf4,                         /* hlt */
};

static void test_out_exits_with_port_size_and_data(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_io_exit(f, KVM_EXIT_IO_OUT, 1, 0x3f8);
	assert_int_equal(f->vcpu->run->io.data_offset, KVM_PIO_PAGE_OFFSET * 4096);
	assert_int_equal(pio_data(f)[0], 'A');
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + sizeof(out_guest));   /* past the HLT */
	assert_int_equal(f->vcpu->stat.io_exits, 1);
	assert_int_equal(f->vcpu->stat.halt_exits, 1);
}

/* KVM completes an OUT when user space re-enters (complete_fast_pio_out): at the
 * KVM_EXIT_IO, KVM_GET_REGS still shows RIP at the OUT. */
static void test_out_exit_rip_stays_at_the_out_until_the_next_run(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + 6);   /* the OUT */
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + sizeof(out_guest));
}

/* A vCPU that runs on LP 0, then on LP 1: its VMCS is cleared on LP 0 and launched
 * again on LP 1, the guest goes on where it stopped, and the vCPU's translations are
 * flushed on the LP it arrives on (flush_tlb_all before the entry there), as Linux
 * does. */
static void test_vcpu_migrates_between_lps(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	kvm_set_current_cpu(0);
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_int_equal(f->vcpu->cpu, 0);
	uint64_t flushes = kvm_x86_op_calls[KVM_OP_flush_tlb_all][0];
	kvm_set_current_cpu(1);
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(f->vcpu->cpu, 1);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_flush_tlb_all][0] - flushes, 1);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + sizeof(out_guest));
	kvm_set_current_cpu(0);
}

/* ---- 2. port I/O: IN and its completion --------------------------------------------- */

static const uint8_t in_guest[] = {
	0x66, 0xba, 0x60, 0x00,       /* mov dx, 0x60 */
	0xec,                         /* in al, dx */
	0x48, 0x89, 0xc3,             /* mov rbx, rax */
	0x66, 0xed,                   /* in ax, dx */
	0x48, 0x89, 0xc1,             /* mov rcx, rax */
	0xed,                         /* in eax, dx */
	0xf4,                         /* hlt */
};

static void test_in_completion_merges_al_ax_and_zero_extends_eax(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, in_guest, sizeof(in_guest));
	struct kvm_regs r = get_regs(f);
	r.rax = 0x1122334455667788ull;
	set_regs(f, &r);

	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_io_exit(f, KVM_EXIT_IO_IN, 1, 0x60);
	memcpy(pio_data(f), "\x5a\xee\xee\xee", 4);     /* only the first byte is IN AL's */
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_io_exit(f, KVM_EXIT_IO_IN, 2, 0x60);
	memcpy(pio_data(f), "\x34\x12\xee\xee", 4);
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_io_exit(f, KVM_EXIT_IO_IN, 4, 0x60);
	memcpy(pio_data(f), "\xbe\xba\xfe\xca", 4);
	assert_int_equal(run(f), KVM_EXIT_HLT);

	r = get_regs(f);
	assert_int_equal(r.rbx, 0x112233445566775aull);   /* IN AL: bits 63:8 kept */
	assert_int_equal(r.rcx, 0x1122334455661234ull);   /* IN AX: bits 63:16 kept */
	assert_int_equal(r.rax, 0xcafebabeull);           /* IN EAX: zero-extended */
	assert_int_equal(r.rip, GUEST_CODE + sizeof(in_guest));
	assert_int_equal(f->vcpu->stat.io_exits, 3);
}

/* KVM writes RAX and moves RIP past the IN on the next KVM_RUN
 * (complete_fast_pio_in): at the exit RIP is at the IN. */
static void test_in_exit_rip_stays_at_the_in_until_completion(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, in_guest, sizeof(in_guest));
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + 4);   /* in al, dx */
}

/* ---- 3. MMIO ------------------------------------------------------------------------- */

static const uint8_t mmio_guest[] = {
	0xbb, 0x00, 0x00, 0x00, 0xd0,             /* mov ebx, 0xd0000000 */
	0x8b, 0x03,                               /* mov eax, [rbx] */
	0x66, 0xc7, 0x43, 0x08, 0xef, 0xbe,       /* mov word [rbx+8], 0xbeef */
	0x0f, 0xb6, 0x4b, 0x01,                   /* movzx ecx, byte [rbx+1] */
	0x48, 0x89, 0x53, 0x10,                   /* mov [rbx+0x10], rdx */
	0xf4,                                     /* hlt */
};

static void test_mmio_reads_and_writes_exit_with_address_length_and_data(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, mmio_guest, sizeof(mmio_guest));
	struct kvm_regs r = get_regs(f);
	r.rax = r.rcx = ~0ull;
	r.rdx = 0x0123456789abcdefull;
	set_regs(f, &r);

	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE, 4, false);
	mmio_answer(f, 0x44332211deadbeefull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 8, 2, true);
	assert_int_equal(mmio_written(f), 0xbeef);             /* data[2..7] zero */
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 1, 1, false);
	mmio_answer(f, 0x99887766554433abull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x10, 8, true);
	assert_int_equal(mmio_written(f), 0x0123456789abcdefull);
	assert_int_equal(run(f), KVM_EXIT_HLT);

	r = get_regs(f);
	assert_int_equal(r.rax, 0xdeadbeefull);    /* 32-bit load: zero-extended */
	assert_int_equal(r.rcx, 0xabull);          /* MOVZX r32, m8 */
	assert_int_equal(r.rdx, 0x0123456789abcdefull);
	assert_int_equal(r.rip, GUEST_CODE + sizeof(mmio_guest));
	assert_int_equal(f->vcpu->stat.mmio_exits, 4);
}

static const uint8_t mmio_width_guest[] = {
	0xbb, 0x00, 0x00, 0x00, 0xd0,             /* mov ebx, 0xd0000000 */
	0x8a, 0x43, 0x20,                         /* mov al, [rbx+0x20] */
	0x8a, 0x63, 0x21,                         /* mov ah, [rbx+0x21] */
	0x66, 0x8b, 0x73, 0x22,                   /* mov si, [rbx+0x22] */
	0x4c, 0x8b, 0x4b, 0x28,                   /* mov r9, [rbx+0x28] */
	0x88, 0x73, 0x30,                         /* mov [rbx+0x30], dh */
	0x44, 0x89, 0x53, 0x34,                   /* mov [rbx+0x34], r10d */
	0xf4,                                     /* hlt */
};

static void test_mmio_partial_registers_merge_as_the_instruction_does(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, mmio_width_guest, sizeof(mmio_width_guest));
	struct kvm_regs r = get_regs(f);
	r.rax = 0x1111111111111111ull;
	r.rsi = 0x2222222222222222ull;
	r.r9 = 0;
	r.rdx = 0x0123456789abcdefull;
	r.r10 = 0xfedcba9876543210ull;
	set_regs(f, &r);

	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x20, 1, false);
	mmio_answer(f, 0xeeeeeeeeeeeeee5aull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x21, 1, false);
	mmio_answer(f, 0xeeeeeeeeeeeeeea5ull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x22, 2, false);
	mmio_answer(f, 0xeeeeeeeeeeeebeefull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x28, 8, false);
	mmio_answer(f, 0x8877665544332211ull);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x30, 1, true);
	assert_int_equal(mmio_written(f), 0xcd);                /* DH */
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, MMIO_BASE + 0x34, 4, true);
	assert_int_equal(mmio_written(f), 0x76543210);          /* R10D */
	assert_int_equal(run(f), KVM_EXIT_HLT);

	r = get_regs(f);
	assert_int_equal(r.rax, 0x111111111111a55aull);   /* AL then AH: merged */
	assert_int_equal(r.rsi, 0x222222222222beefull);   /* SI: merged */
	assert_int_equal(r.r9, 0x8877665544332211ull);
}

/* KVM completes an emulated MMIO read on the next KVM_RUN (complete_emulated_mmio,
 * no writeback at the exit): RIP is at the load until then; a write is done at
 * its exit, RIP past it. */
static void test_mmio_read_exit_rip_stays_at_the_load_until_completion(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, mmio_guest, sizeof(mmio_guest));
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + 5);   /* mov eax, [rbx] */
	mmio_answer(f, 0);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_int_equal(get_regs(f).rip, GUEST_CODE + 13);  /* past mov word [rbx+8] */
}

/* Linux caches an MMIO page as a misconfigured EPT entry (MMIO caching): the first
 * access to it is an EPT violation, the later ones EPT misconfigurations, each the
 * same KVM_EXIT_MMIO. */
static void test_mmio_page_is_cached_as_an_ept_misconfiguration(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, mmio_guest, sizeof(mmio_guest));
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(run(f), KVM_EXIT_MMIO);
		mmio_answer(f, 0);
	}
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(f->vcpu->stat.mmio_exits, 4);
	/* Every violation maps a RAM page but the device page's first one. */
	assert_int_equal(f->vcpu->stat.exits_by_reason[48], f->vcpu->stat.ept_maps + 1);
	assert_int_equal(f->vcpu->stat.exits_by_reason[49], 3);
}

#define LATE_SLOT_GPA 0x900000ull     /* past slot 0's 8 MiB */
static const uint8_t late_slot_guest[] = {
	0xbb, 0x00, 0x00, 0x90, 0x00,             /* mov ebx, 0x900000 */
	0x8b, 0x03,                               /* mov eax, [rbx] */
	0x8b, 0x03,                               /* mov eax, [rbx] */
	0xf4,                                     /* hlt */
	0x8b, 0x03,                               /* mov eax, [rbx] */
	0xf4,                                     /* hlt */
};

/* A cached MMIO entry made before a memslot covered its page is stale: the access
 * after KVM_SET_USER_MEMORY_REGION reads the new RAM, not user space's device. */
static void test_memslot_added_over_cached_mmio_page_is_ram(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, late_slot_guest, sizeof(late_slot_guest));
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, LATE_SLOT_GPA, 4, false);
	mmio_answer(f, 0x11111111);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, LATE_SLOT_GPA, 4, false);
	mmio_answer(f, 0x22222222);
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(get_regs(f).rax, 0x22222222);
	assert_int_equal(f->vcpu->stat.exits_by_reason[49], 1);

	uint8_t *ram = kvm_userspace_alloc(PAGE_SIZE);
	assert_non_null(ram);
	memcpy(ram, "\x5a\xa5\x5a\xa5", 4);
	struct kvm_userspace_memory_region region = { .slot = 1, .guest_phys_addr = LATE_SLOT_GPA,
						       .memory_size = PAGE_SIZE,
						       .userspace_addr = (uint64_t)(uintptr_t)ram };
	assert_int_equal(kvm_set_user_memory_region(f->vm, &region), 0);
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(get_regs(f).rax, 0xa55aa55aull);
	assert_int_equal(f->vcpu->stat.mmio_exits, 2);
	/* The stale entry's misconfiguration, then the violation that mapped the RAM. */
	assert_int_equal(f->vcpu->stat.exits_by_reason[49], 2);
}

/* A site first seen in the block a VM entry resumes at: the scan of that block asks
 * the engine to stop and translate it again with the site's hook, but the block's
 * load is an EPT misconfiguration (a cached MMIO page) whose exit restarts the
 * engine before that stop is served. The run after the exit must not reuse the
 * translation without the hook: the last HLT exits (vtsim used to let the engine
 * execute it, an emulation failure). The NOPs put that HLT more than 512 bytes past
 * every earlier run start, beyond the scan made before a run. */
static void test_site_found_in_a_resumed_block_is_hooked(void **state)
{
	struct fx *f = *state;
	static const uint8_t head[] = {
		0xbb, 0x00, 0x00, 0x90, 0x00,     /* mov ebx, 0x900000 */
		0x8b, 0x03,                       /* mov eax, [rbx] */
		0x8b, 0x03,                       /* mov eax, [rbx] */
	};
	static const uint8_t tail[] = {
		0xf4,                             /* hlt */
		0x8b, 0x03,                       /* mov eax, [rbx] */
		0xf4,                             /* hlt */
	};
	uint8_t code[640];
	memset(code, 0x90, sizeof(code));          /* nop */
	memcpy(code, head, sizeof(head));
	memcpy(code + sizeof(code) - sizeof(tail), tail, sizeof(tail));
	load(f, GUEST_CODE, code, sizeof(code));
	for (uint64_t v = 1; v <= 2; v++) {
		assert_int_equal(run(f), KVM_EXIT_MMIO);
		assert_mmio_exit(f, LATE_SLOT_GPA, 4, false);
		mmio_answer(f, v);
	}
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(run(f), KVM_EXIT_MMIO);
	assert_mmio_exit(f, LATE_SLOT_GPA, 4, false);
	mmio_answer(f, 3);
	assert_int_equal(run(f), KVM_EXIT_HLT);
	struct kvm_regs r = get_regs(f);
	assert_int_equal(r.rax, 3);
	assert_int_equal(r.rip, GUEST_CODE + sizeof(code));
	assert_int_equal(f->vcpu->stat.mmio_exits, 3);
}

/* ---- 4. CPUID ------------------------------------------------------------------------ */

static const uint8_t cpuid_guest[] = {
	0xb8, 0x00, 0x00, 0x00, 0x40,             /* mov eax, 0x40000000 */
	0x31, 0xc9,                               /* xor ecx, ecx */
	0x0f, 0xa2,                               /* cpuid */
	0x41, 0x89, 0xc0,                         /* mov r8d, eax */
	0x41, 0x89, 0xd9,                         /* mov r9d, ebx */
	0x41, 0x89, 0xca,                         /* mov r10d, ecx */
	0x41, 0x89, 0xd3,                         /* mov r11d, edx */
	0xb8, 0x01, 0x00, 0x00, 0x00,             /* mov eax, 1 */
	0x31, 0xc9,                               /* xor ecx, ecx */
	0x0f, 0xa2,                               /* cpuid */
	0xf4,                                     /* hlt */
};

static void test_cpuid_shows_kvm_signature_and_hides_vmx(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, cpuid_guest, sizeof(cpuid_guest));
	assert_int_equal(run(f), KVM_EXIT_HLT);
	struct kvm_regs r = get_regs(f);
	uint32_t sig[3] = { (uint32_t)r.r9, (uint32_t)r.r10, (uint32_t)r.r11 };
	assert_int_equal(r.r8, 0x40000001);
	assert_memory_equal(sig, "KVMKVMKVM\0\0\0", 12);
	assert_true(r.rcx & (1u << 31));          /* hypervisor present */
	assert_false(r.rcx & (1u << 5));          /* no VMX for the guest */
	/* ... though the CPU kvmlike runs on has it. */
	uint32_t host[4];
	vtsim_hosted_cpuid(f->m, 0, 1, 0, host);
	assert_true(host[2] & (1u << 5));
	assert_int_equal(f->vcpu->stat.exits_by_reason[10], 2);   /* CPUID exits */
}

/* ---- 5. VMCALL ----------------------------------------------------------------------- */

static const uint8_t vmcall_guest[] = {
	0xb8, 0x05, 0x00, 0x00, 0x00,             /* mov eax, 5 */
	0x0f, 0x01, 0xc1,                         /* vmcall */
	0xbb, 0x34, 0x12, 0x00, 0x00,             /* mov ebx, 0x1234 */
	0xf4,                                     /* hlt */
};

static void test_vmcall_answers_enosys_and_the_guest_continues(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, vmcall_guest, sizeof(vmcall_guest));
	assert_int_equal(run(f), KVM_EXIT_HLT);   /* no exit to user space for the VMCALL */
	struct kvm_regs r = get_regs(f);
	assert_int_equal(r.rax, (uint64_t)-1000); /* -KVM_ENOSYS */
	assert_int_equal(r.rbx, 0x1234);
	assert_int_equal(r.rip, GUEST_CODE + sizeof(vmcall_guest));
	assert_int_equal(f->vcpu->stat.hypercalls, 1);
}

/* ---- 6. RDMSR of an unknown MSR -------------------------------------------------------- */

/* The guest reads the IDT and GDT pages and pushes on its stack first, so that EPT
 * maps every page the #GP delivery touches before the RDMSR. */
static const uint8_t rdmsr_guest[] = {
	0x8b, 0x04, 0x25, 0x00, 0x70, 0x00, 0x00, /* mov eax, [0x7000] (the IDT) */
	0x8b, 0x04, 0x25, 0x00, 0x05, 0x00, 0x00, /* mov eax, [0x500] (the GDT) */
	0x50,                                     /* push rax */
	0x58,                                     /* pop rax */
	0xb9, 0x45, 0x23, 0x01, 0x00,             /* mov ecx, 0x12345 */
	0x0f, 0x32,                               /* rdmsr */
	0xc7, 0x04, 0x25, 0x18, 0x90, 0x00, 0x00,
	0xad, 0x0b, 0x00, 0x00,                   /* mov dword [0x9018], 0xbad */
	0xf4,                                     /* hlt */
};
#define RDMSR_AT (GUEST_CODE + 0x15)

/* The same without touching those pages first: the #GP's delivery meets EPT
 * violations (IDT, GDT, stack). */
static const uint8_t rdmsr_cold_guest[] = {
	0xb9, 0x45, 0x23, 0x01, 0x00,             /* mov ecx, 0x12345 */
	0x0f, 0x32,                               /* rdmsr */
	0xc7, 0x04, 0x25, 0x18, 0x90, 0x00, 0x00,
	0xad, 0x0b, 0x00, 0x00,                   /* mov dword [0x9018], 0xbad */
	0xf4,                                     /* hlt */
};
#define RDMSR_COLD_AT (GUEST_CODE + 5)

/* The #GP handler: records the error code and the faulting RIP, then a marker. */
static const uint8_t gp_handler[] = {
	0x48, 0x8b, 0x04, 0x24,                   /* mov rax, [rsp] */
	0x48, 0x89, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00,   /* mov [0x9000], rax */
	0x48, 0x8b, 0x44, 0x24, 0x08,             /* mov rax, [rsp+8] */
	0x48, 0x89, 0x04, 0x25, 0x08, 0x90, 0x00, 0x00,   /* mov [0x9008], rax */
	0xc7, 0x04, 0x25, 0x10, 0x90, 0x00, 0x00,
	0xde, 0xc0, 0x0d, 0x60,                   /* mov dword [0x9010], 0x600dc0de */
	0xf4,                                     /* hlt */
};

/* A 64-bit interrupt gate (type 14, present, DPL 0) to `handler` through CS 0x08. */
static void set_idt_gate(uint8_t *mem, unsigned vector, uint64_t handler)
{
	uint64_t lo = (handler & 0xffff) | (0x08ull << 16) | (0x8eull << 40) |
		      ((handler >> 16 & 0xffff) << 48);
	uint64_t hi = handler >> 32;
	memcpy(mem + GUEST_IDT + vector * 16, &lo, 8);
	memcpy(mem + GUEST_IDT + vector * 16 + 8, &hi, 8);
}

/* Loads HANDLER at GPA as VECTOR's gate and points the IDT at GUEST_IDT with room
 * for vectors 0 to VECTOR. */
static void load_handler(struct fx *f, unsigned vector, uint64_t gpa, const uint8_t *handler, size_t size)
{
	load(f, gpa, handler, size);
	set_idt_gate(f->mem, vector, gpa);
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.idt = (struct kvm_dtable){ .base = GUEST_IDT, .limit = (vector + 1) * 16 - 1 };
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &s), 0);
}

/* Loads `code`, the #GP handler and an IDT with vectors 0-13, runs to the HLT and
 * checks that the handler ran for a #GP(0) at `fault_rip`. */
static void run_to_gp_handler(struct fx *f, const uint8_t *code, size_t len, uint64_t fault_rip)
{
	load(f, GUEST_CODE, code, len);
	load_handler(f, 13, GUEST_GP, gp_handler, sizeof(gp_handler));

	assert_int_equal(run(f), KVM_EXIT_HLT);
	uint64_t err, rip;
	uint32_t marker, after;
	memcpy(&err, f->mem + GUEST_DATA, 8);
	memcpy(&rip, f->mem + GUEST_DATA + 8, 8);
	memcpy(&marker, f->mem + GUEST_DATA + 0x10, 4);
	memcpy(&after, f->mem + GUEST_DATA + 0x18, 4);
	assert_int_equal(marker, 0x600dc0de);      /* the #GP handler ran */
	assert_int_equal(err, 0);                  /* #GP(0) */
	assert_int_equal(rip, fault_rip);          /* a fault: RIP of the RDMSR */
	assert_int_equal(after, 0);                /* nothing after the RDMSR ran */
	assert_int_equal(get_regs(f).rip, GUEST_GP + sizeof(gp_handler));
	assert_int_equal(f->vcpu->stat.exits_by_reason[31], 1);   /* one RDMSR exit */
}

static void test_rdmsr_of_unknown_msr_delivers_gp_to_the_guest(void **state)
{
	run_to_gp_handler(*state, rdmsr_guest, sizeof(rdmsr_guest), RDMSR_AT);
}

/* An injected event whose delivery causes a VM exit (here EPT violations on the
 * IDT, GDT and stack pages) is in the IDT-vectoring information; KVM injects it
 * again on the next entry (vmx_complete_interrupts), so the guest sees one #GP
 * for one RDMSR. */
static void test_gp_whose_delivery_meets_ept_violations_is_reinjected(void **state)
{
	run_to_gp_handler(*state, rdmsr_cold_guest, sizeof(rdmsr_cold_guest), RDMSR_COLD_AT);
}

/* The same #GP for a guest in real mode (unrestricted guest): real mode pushes no
 * error code and VM entry refuses to deliver one there, so KVM drops it (Linux
 * kvm_inject_exception) and the guest's IVT handler runs with FLAGS, CS and IP of
 * the RDMSR on its stack; with the error code the VMRESUME failed (VMfailValid 7,
 * KVM_EXIT_FAIL_ENTRY), as fuzz_vt_dispatch's "wrmsr bad" snippet showed. */
#define RM_CODE    0xa000u
#define RM_GP      0xa100u
static const uint8_t rm_rdmsr_guest[] = {
	0x66, 0xb9, 0x45, 0x23, 0x01, 0x00,       /* mov ecx, 0x12345 */
	0x0f, 0x32,                               /* rdmsr */
	0xf4,                                     /* hlt */
};
static const uint8_t rm_gp_handler[] = {
	0x58, 0xa3, 0x00, 0x90,                   /* pop ax; mov [0x9000], ax (IP) */
	0x58, 0xa3, 0x02, 0x90,                   /* pop ax; mov [0x9002], ax (CS) */
	0x58, 0xa3, 0x04, 0x90,                   /* pop ax; mov [0x9004], ax (FLAGS) */
	0xf4,                                     /* hlt */
};

static void test_gp_into_real_mode_has_no_error_code(void **state)
{
	struct fx *f = *state;
	load(f, RM_CODE, rm_rdmsr_guest, sizeof(rm_rdmsr_guest));
	load(f, RM_GP, rm_gp_handler, sizeof(rm_gp_handler));
	const uint8_t ivt13[4] = { RM_GP & 0xff, RM_GP >> 8, 0, 0 };   /* 0000:A100 */
	load(f, 13 * 4, ivt13, sizeof(ivt13));
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	struct kvm_segment rm = { .limit = 0xffff, .type = 3, .present = 1, .s = 1 };
	s.ds = s.es = s.ss = s.fs = s.gs = rm;
	s.cs = rm;
	s.cs.type = 0xb;
	s.idt = (struct kvm_dtable){ .base = 0, .limit = 0x3ff };
	s.cr0 = 0x10;                     /* ET: real mode */
	s.cr3 = s.cr4 = s.efer = 0;
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &s), 0);
	set_regs(f, &(struct kvm_regs){ .rip = RM_CODE, .rsp = 0x8000, .rflags = 2 });

	assert_int_equal(run(f), KVM_EXIT_HLT);
	uint16_t ip, cs, flags;
	memcpy(&ip, f->mem + GUEST_DATA, 2);
	memcpy(&cs, f->mem + GUEST_DATA + 2, 2);
	memcpy(&flags, f->mem + GUEST_DATA + 4, 2);
	assert_int_equal(ip, RM_CODE + 6);         /* a fault: IP of the RDMSR */
	assert_int_equal(cs, 0);
	assert_int_equal(flags, 2);
	assert_int_equal(get_regs(f).rip, RM_GP + sizeof(rm_gp_handler));
	assert_int_equal(get_regs(f).rsp, 0x8000);  /* three words popped, none more pushed */
	assert_int_equal(f->vcpu->stat.exits_by_reason[31], 1);   /* one RDMSR exit */
}

/* ---- 7. triple fault ------------------------------------------------------------------ */

static const uint8_t ud2_guest[] = {
	0x0f, 0x0b,                               /* ud2 */
	0xf4,                                     /* hlt */
};

static void test_exception_without_idt_is_shutdown(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, ud2_guest, sizeof(ud2_guest));   /* IDT limit 0 */
	assert_int_equal(run(f), KVM_EXIT_SHUTDOWN);
	assert_int_equal(f->vcpu->stat.exits_by_reason[2], 1);   /* triple fault */
	assert_int_equal(f->vcpu->stat.halt_exits, 0);
}

/* ---- 8. failed VM entry ---------------------------------------------------------------- */

#define ENTRY_FAIL_GUEST_STATE 0x80000021u   /* 33 | VMX_EXIT_REASONS_FAILED_VMENTRY */

/* The entry fails, and vtsim explains it on the diagnostics stream as it does for an
 * image's VMLAUNCH: the check's ID first, then the rule. */
static void set_sregs_and_expect_fail_entry(struct fx *f, const struct kvm_sregs *s, const char *check)
{
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, s), 0);   /* KVM_SET_SREGS takes it */
	assert_int_equal(run(f), KVM_EXIT_FAIL_ENTRY);
	assert_int_equal(f->vcpu->run->fail_entry.hardware_entry_failure_reason,
			 ENTRY_FAIL_GUEST_STATE);
	assert_int_equal(f->vcpu->run->fail_entry.cpu, 0);
	assert_int_equal(f->vcpu->stat.exits, 0);    /* the guest never ran */
	char told[128];
	snprintf(told, sizeof(told), "vtsim: VMLAUNCH: VM-entry failed: %s: ", check);
	assert_true(file_has_line(f->log, told));
}

static void test_unusable_tr_fails_entry_with_invalid_guest_state(void **state)
{
	struct fx *f = *state;
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.tr.unusable = 1;
	set_sregs_and_expect_fail_entry(f, &s, "GUEST_TR_TYPE");
}

static void test_data_segment_cs_fails_entry_with_invalid_guest_state(void **state)
{
	struct fx *f = *state;
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.cs.type = 1;                /* read-only data: not a CS type, unrestricted or not */
	set_sregs_and_expect_fail_entry(f, &s, "GUEST_CS_TYPE");
}

static void test_fail_entry_then_valid_sregs_runs(void **state)
{
	struct fx *f = *state;
	struct kvm_sregs good, bad;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &good), 0);
	bad = good;
	bad.tr.unusable = 1;
	set_sregs_and_expect_fail_entry(f, &bad, "GUEST_TR_TYPE");
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &good), 0);
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_int_equal(run(f), KVM_EXIT_HLT);
}

/* ---- 9. EPT built on violations -------------------------------------------------------- */

static const uint8_t ept_guest[] = {
	0x50,                                     /* push rax */
	0x58,                                     /* pop rax */
	0xf4,                                     /* hlt */
	0xbf, 0x00, 0x00, 0x40, 0x00,             /* mov edi, 0x400000 */
	0xb9, 0x40, 0x00, 0x00, 0x00,             /* mov ecx, 64 */
	0xc6, 0x07, 0x01,                         /* .l: mov byte [rdi], 1 */
	0x48, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00, /* add rdi, 0x1000 */
	0xff, 0xc9,                               /* dec ecx */
	0x75, 0xf2,                               /* jnz .l */
	0xf4,                                     /* hlt */
};

static void test_ept_maps_each_guest_page_on_first_touch(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, ept_guest, sizeof(ept_guest));
	/* First HLT: the code page, the stack page (0x7f000), and the guest's PML4,
	 * PDPT and PD for 0-1 GiB that the walks read. The GDT page is not touched. */
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(f->vcpu->stat.ept_maps, 5);
	/* Then 64 new data pages in the same 2 MiB-mapped range. */
	assert_int_equal(run(f), KVM_EXIT_HLT);
	assert_int_equal(f->vcpu->stat.ept_maps, 5 + 64);
	assert_int_equal(f->vcpu->stat.exits_by_reason[48], 5 + 64);   /* EPT violations */
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(f->mem[0x400000 + i * 0x1000], 1);
	assert_int_equal(f->mem[0x400000 + 64 * 0x1000], 0);
}

/* KVM_NMI while the guest is in its NMI handler (blocking by NMI until IRET, in
 * the interruptibility state its OUT exit saved): nmi_allowed says no, so
 * kvmlike asks for an NMI window (enable_nmi_window); the handler's IRETQ ends
 * the blocking, the NMI-window exit (reason 8) follows before the next
 * instruction and the second NMI goes in there. The handler counts its runs and
 * reports each with an OUT; the code it returns to is NOP, HLT. */
#define GUEST_NMI (GUEST_CODE + 0x100)
static const uint8_t nmi_handler[] = {
	0xff, 0x04, 0x25, 0x00, 0x90, 0x00, 0x00, /* inc dword [0x9000] */
	0xe6, 0x10,                               /* out 0x10, al */
	0x48, 0xcf,                               /* iretq */
};

/* The NMI-window case with CODE at GUEST_CODE: the handler's IRETQ returns there and
 * the window exit comes before CODE's first instruction; CODE then runs to the HLT
 * ending at HLT_END. */
static void nmi_window_case(struct fx *f, const uint8_t *code, size_t len, uint64_t hlt_end)
{
	load(f, GUEST_CODE, code, len);
	load_handler(f, 2, GUEST_NMI, nmi_handler, sizeof(nmi_handler));
	uint64_t windows = kvm_x86_op_calls[KVM_OP_enable_nmi_window][0];

	assert_int_equal(kvm_vcpu_nmi(f->vcpu), 0);
	assert_int_equal(run(f), KVM_EXIT_IO);                /* in the handler, NMI blocked */
	assert_int_equal(get_regs(f).rip, GUEST_NMI + 7);     /* at its OUT until the next run */
	assert_int_equal(kvm_vcpu_nmi(f->vcpu), 0);
	assert_int_equal(run(f), KVM_EXIT_IO);                /* the second NMI, after the IRETQ */
	assert_int_equal(get_regs(f).rip, GUEST_NMI + 7);
	assert_int_equal(f->vcpu->stat.exits_by_reason[EXIT_REASON_NMI_WINDOW], 1);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_enable_nmi_window][0] - windows, 1);
	assert_int_equal(run(f), KVM_EXIT_HLT);
	uint32_t runs;
	memcpy(&runs, f->mem + GUEST_DATA, 4);
	assert_int_equal(runs, 2);
	assert_int_equal(f->vcpu->stat.nmi_injections, 2);
	assert_int_equal(get_regs(f).rip, hlt_end);
}

static void test_nmi_while_nmi_blocked_waits_for_the_nmi_window(void **state)
{
	static const uint8_t nop_hlt[] = { 0x90, 0xf4 };
	nmi_window_case(*state, nop_hlt, sizeof(nop_hlt), GUEST_CODE + 2);
}

/* The window exit struck an instruction that exits itself (HLT, CPUID): the entry
 * that delivers the NMI puts the guest in its handler, and that instruction neither
 * runs nor exits there; it does once the handler has returned to it. */
static void test_nmi_window_at_hlt_delivers_before_the_hlt(void **state)
{
	static const uint8_t hlt[] = { 0xf4 };
	nmi_window_case(*state, hlt, sizeof(hlt), GUEST_CODE + 1);
}

static void test_nmi_window_at_cpuid_delivers_before_the_cpuid(void **state)
{
	struct fx *f = *state;
	static const uint8_t cpuid_hlt[] = { 0x31, 0xc0, 0x0f, 0xa2, 0xf4 };   /* xor eax, eax; cpuid; hlt */
	/* The IRETQ returns to the CPUID: the handler's frame is the first NMI's, taken
	 * at the XOR's entry, so start the guest at the CPUID. */
	load(f, GUEST_CODE, cpuid_hlt, sizeof(cpuid_hlt));
	struct kvm_regs r = get_regs(f);
	r.rip = GUEST_CODE + 2;
	set_regs(f, &r);
	uint64_t cpuid_exits = f->vcpu->stat.exits_by_reason[10];
	nmi_window_case(f, cpuid_hlt, sizeof(cpuid_hlt), GUEST_CODE + 5);
	assert_int_equal(f->vcpu->stat.exits_by_reason[10] - cpuid_exits, 1);   /* the CPUID's, once */
}

/* ---- 10. the vt_ layer for a TD, and no TD type ---------------------------------------- */

/* Without kvm_init (no VMXON): an op that reached VMX would issue a VMX
 * instruction, which faults and is logged (fx_teardown fails the test), or change
 * the vCPU's cached CR0/CR4/EFER. */
static void test_vt_ops_for_a_td_do_not_reach_vmx(void **state)
{
	(void)state;
	struct kvm td = { .vm_type = KVM_X86_TDX_VM };
	struct kvm_vcpu v = { .kvm = &td, .cpu = -1, .cr0 = 0x11, .cr4 = 0x22, .efer = 0x33 };
	struct kvm_segment seg;
	struct kvm_dtable dt;

	assert_int_equal(vt_x86_ops.get_cpl(&v), 0);
	assert_int_equal(vt_x86_ops.get_rflags(&v), 0);
	assert_int_equal(vt_x86_ops.set_efer(&v, 0x500), 0);

	memset(&dt, 0xa5, sizeof(dt));
	vt_x86_ops.get_idt(&v, &dt);
	assert_int_equal(dt.base, 0);
	assert_int_equal(dt.limit, 0);
	memset(&dt, 0xa5, sizeof(dt));
	vt_x86_ops.get_gdt(&v, &dt);
	assert_int_equal(dt.base, 0);
	assert_int_equal(dt.limit, 0);

	static const struct kvm_segment zero;
	for (int s = VCPU_SREG_ES; s <= VCPU_SREG_LDTR; s++) {
		memset(&seg, 0xa5, sizeof(seg));
		vt_x86_ops.get_segment(&v, &seg, s);
		assert_memory_equal(&seg, &zero, sizeof(seg));
	}

	struct kvm_segment cs = { .selector = 0x08, .type = 0xb, .present = 1, .s = 1, .l = 1 };
	struct kvm_dtable idt = { .base = 0x7000, .limit = 0xfff };
	vt_x86_ops.set_segment(&v, &cs, VCPU_SREG_CS);
	vt_x86_ops.set_cr0(&v, 0x80050033);
	vt_x86_ops.set_cr4(&v, 0x620);
	vt_x86_ops.set_rflags(&v, 0x202);
	vt_x86_ops.set_idt(&v, &idt);
	vt_x86_ops.set_gdt(&v, &idt);
	vt_x86_ops.inject_exception(&v, 13, true, 0);
	/* The event ops the module owns for a TD: no-ops and constants (Linux's
	 * vt_ wrappers), and RIP is the module's: nothing to skip. */
	vt_x86_ops.inject_irq(&v, 0x20, false);
	vt_x86_ops.enable_irq_window(&v);
	vt_x86_ops.enable_nmi_window(&v);
	vt_x86_ops.cancel_injection(&v);
	vt_x86_ops.set_interrupt_shadow(&v, KVM_X86_SHADOW_INT_MOV_SS);
	vt_x86_ops.set_nmi_mask(&v, true);
	assert_int_equal(vt_x86_ops.get_interrupt_shadow(&v), 0);
	assert_false(vt_x86_ops.get_nmi_mask(&v));
	assert_int_equal(vt_x86_ops.nmi_allowed(&v, true), 1);
	assert_int_equal(vt_x86_ops.skip_emulated_instruction(&v), 1);
	assert_int_equal(v.cr0, 0x11);
	assert_int_equal(v.cr4, 0x22);
	assert_int_equal(v.efer, 0x33);
	assert_null(v.priv);

	/* And the register ioctls refuse a TD's protected state. */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	assert_int_equal(kvm_vcpu_get_regs(&v, &regs), -EINVAL);
	assert_int_equal(kvm_vcpu_set_regs(&v, &regs), -EINVAL);
	assert_int_equal(kvm_vcpu_get_sregs(&v, &sregs), -EINVAL);
	assert_int_equal(kvm_vcpu_set_sregs(&v, &sregs), -EINVAL);
}

static void test_no_tdx_module_means_no_td_vm_type(void **state)
{
	(void)state;
	struct kvm *td = (struct kvm *)1;
	assert_int_equal(kvm_vm_types(), 1u << KVM_X86_DEFAULT_VM);
	assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &td), -EINVAL);
	assert_null(td);
}

/* ---- 11. errors ------------------------------------------------------------------------- */

static void test_module_must_be_loaded_once(void **state)
{
	(void)state;
	struct kvm *vm = (struct kvm *)1;
	assert_int_equal(kvm_create_vm(KVM_X86_DEFAULT_VM, &vm), -ENODEV);
	assert_null(vm);
	assert_int_equal(kvm_init(), 0);
	assert_int_equal(kvm_init(), -EBUSY);
	kvm_exit();
}

static void test_create_vm_with_unknown_type_is_einval(void **state)
{
	(void)state;
	struct kvm *vm;
	assert_int_equal(kvm_create_vm(3, &vm), -EINVAL);
	assert_int_equal(kvm_create_vm(32, &vm), -EINVAL);
	assert_int_equal(kvm_create_vm(~0ul, &vm), -EINVAL);
	assert_null(vm);
}

static void test_memory_region_errors(void **state)
{
	struct fx *f = *state;
	uint8_t *more = kvm_userspace_alloc(0x10000);
	assert_non_null(more);
	struct kvm_userspace_memory_region r = { .slot = 1, .guest_phys_addr = 0x10000800,
						  .memory_size = 0x10000,
						  .userspace_addr = (uint64_t)(uintptr_t)more };
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), -EINVAL);    /* unaligned GPA */
	r.guest_phys_addr = GUEST_MEM - 0x1000;                                /* overlaps slot 0 */
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), -EEXIST);
	r.slot = 0;
	r.guest_phys_addr = 0x10000000;                       /* slot 0 in use, other memory */
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), -EINVAL);
	r.slot = 1;

	void *heap = aligned_alloc(4096, 0x10000);                            /* not kvm_userspace_alloc's */
	assert_non_null(heap);
	r.userspace_addr = (uint64_t)(uintptr_t)heap;
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), -EINVAL);
	free(heap);

	/* The same slot with memory from kvm_userspace_alloc: accepted. */
	r.userspace_addr = (uint64_t)(uintptr_t)more;
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), 0);
	kvm_destroy_vm(f->vm);        /* before the memory it maps goes */
	f->vm = NULL;
	kvm_userspace_free(more, 0x10000);
}

/* A buffer the host mapped just above the machine's RAM is no more guest memory
 * than one below it. */
static void test_memory_region_above_the_machine_ram_is_einval(void **state)
{
	struct fx *f = *state;
	uint64_t size;
	uint8_t *ram = vtsim_machine_ram(f->m, &size);
	size_t len = 0x10000;
	void *p = NULL;
	for (uint64_t i = 1; i <= 64 && !p; i++) {
		uint8_t *want = ram + size + i * (1ull << 20);
		void *q = mmap(want, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (q == want)
			p = q;
		else if (q != MAP_FAILED)
			munmap(q, len);
	}
	if (!p)
		skip();
	struct kvm_userspace_memory_region r = { .slot = 1, .guest_phys_addr = 0x10000000,
						  .memory_size = len,
						  .userspace_addr = (uint64_t)(uintptr_t)p };
	int e = kvm_set_user_memory_region(f->vm, &r);
	munmap(p, len);
	assert_int_equal(e, -EINVAL);
}

/* kvmlike's own pages (here the vCPU's VMCS, as VMPTRST reports it) are not user
 * memory: a memslot over them would let the guest write its own VMCS. */
static void test_memory_region_over_kvmlike_pages_is_einval(void **state)
{
	struct fx *f = *state;
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result res;
	vtsim_vmx(f->m, 0, VTSIM_VMPTRST, &ops, &res);
	assert_int_equal(res.outcome, VTSIM_VMSUCCEED);
	uint64_t vmcs;
	memcpy(&vmcs, ops.data, 8);
	assert_int_not_equal(vmcs, ~0ull);
	uint64_t size;
	uint8_t *ram = vtsim_machine_ram(f->m, &size);
	struct kvm_userspace_memory_region r = { .slot = 1, .guest_phys_addr = 0x10000000,
						  .memory_size = 0x1000,
						  .userspace_addr = (uint64_t)(uintptr_t)(ram + vmcs) };
	assert_int_equal(kvm_set_user_memory_region(f->vm, &r), -EINVAL);
}

/* A VMfail of a hosted VMM is explained as an image's is, "from the hosted VMM"
 * where the image's names its RIP: here VMPTRLD of an unaligned pointer. */
static void test_hosted_vmfail_is_explained(void **state)
{
	struct fx *f = *state;
	struct vtsim_vmx_operands ops = { .mem = true };
	struct vtsim_vmx_result res;
	uint64_t ptr = 0x1001;
	memcpy(ops.data, &ptr, 8);
	vtsim_vmx(f->m, 0, VTSIM_VMPTRLD, &ops, &res);
	assert_int_equal(res.outcome, VTSIM_VMFAIL_VALID);
	assert_int_equal(res.error, 9);
	assert_true(file_has_line(f->log, "vtsim: VMPTRLD from the hosted VMM on lp0: VMfailValid(9), "));
}

/* A VMX abort under a hosted VMM is told as an image's (vmx_abort_msr_load): the
 * VM-exit MSR-load list names an MSR that does not exist, so the guest's first
 * exit cannot load host state, and the machine stops with the abort explained. */
static void test_hosted_vmx_abort_is_explained(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	uint64_t size, list = kvm_alloc_pages(1);
	uint8_t *ram = vtsim_machine_ram(f->m, &size);
	assert_true(list && list + 16 <= size);
	memset(ram + list, 0, 16);
	uint32_t bad_msr = 0x12345678;
	memcpy(ram + list, &bad_msr, 4);
	struct vtsim_vmx_operands ops = { .reg = 0x4010, .rm = 1 };        /* VM_EXIT_MSR_LOAD_COUNT */
	struct vtsim_vmx_result res;
	vtsim_vmx(f->m, 0, VTSIM_VMWRITE, &ops, &res);
	assert_int_equal(res.outcome, VTSIM_VMSUCCEED);
	ops = (struct vtsim_vmx_operands){ .reg = 0x2008, .rm = list };    /* VM_EXIT_MSR_LOAD_ADDR */
	vtsim_vmx(f->m, 0, VTSIM_VMWRITE, &ops, &res);
	assert_int_equal(res.outcome, VTSIM_VMSUCCEED);
	assert_int_not_equal(kvm_vcpu_run(f->vcpu), 0);
	assert_true(vtsim_machine_stopped(f->m));
	const char *why = vtsim_machine_stop_message(f->m);
	assert_non_null(strstr(why, "VMX abort 4 (loading host MSRs from the VM-exit MSR-load list failed): "
				    "entry 1 of the list at "));
	assert_non_null(strstr(why, "names MSR 0x12345678, which cannot be loaded there; "));
	assert_non_null(strstr(why, "To avoid it, a VM-exit MSR-load list may name only MSRs"));
}

static void test_create_vcpu_errors(void **state)
{
	struct fx *f = *state;
	struct kvm_vcpu *v = (struct kvm_vcpu *)1;
	assert_int_equal(kvm_create_vcpu(f->vm, 8, &v), -EINVAL);      /* id >= KVM_MAX_VCPUS */
	assert_null(v);
	assert_int_equal(kvm_create_vcpu(f->vm, 0, &v), -EEXIST);      /* id 0 exists */
	assert_null(v);
	assert_int_equal(kvm_create_vcpu(f->vm, 7, &v), 0);
	assert_non_null(v);
	assert_int_equal(f->vm->nr_vcpus, 2);
}


/* ---- 9. what KVM cannot handle: KVM_EXIT_INTERNAL_ERROR as Linux reports it ----------- */

static void assert_internal_error(struct fx *f, uint32_t suberror, const uint64_t *data, uint32_t ndata)
{
	struct kvm_run *r = f->vcpu->run;
	assert_int_equal(r->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(r->internal.suberror, suberror);
	assert_int_equal(r->internal.ndata, ndata);
	for (uint32_t i = 0; i < ndata; i++)
		assert_int_equal(r->internal.data[i], data[i]);
}

/* Points the IDT at GUEST_IDT with room for vectors 0-0x21. */
static void set_idt(struct fx *f)
{
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	s.idt = (struct kvm_dtable){ .base = GUEST_IDT, .limit = 0x22 * 16 - 1 };
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &s), 0);
}

static const uint8_t rdtsc_guest[] = {
	0x0f, 0x31,                               /* rdtsc */
	0xf4,                                     /* hlt */
};

/* An exit with no handler (Linux __vmx_handle_exit's unexpected_vmexit): the whole
 * exit reason and the LP of the last VM entry, ndata 2. kvmlike never asks for RDTSC
 * exiting; the test sets the control in the vCPU's VMCS (current on LP 0) to make one. */
static void test_exit_without_handler_is_unexpected_exit_reason(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, rdtsc_guest, sizeof(rdtsc_guest));
	vmcs_set_bits(CPU_BASED_VM_EXEC_CONTROL, CPU_BASED_RDTSC_EXITING);
	run(f);
	const uint64_t data[] = { 16, 0 };        /* RDTSC, LP 0 */
	assert_internal_error(f, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON, data, 2);
	assert_int_equal(get_regs(f).rip, GUEST_CODE);
}

static const uint8_t int20_on_mmio_stack_guest[] = {
	0xbb, 0x00, 0x00, 0x00, 0xd0,             /* mov ebx, 0xd0000000 */
	0x8b, 0x03,                               /* mov eax, [rbx] */
	0x48, 0x8d, 0xa3, 0x00, 0x08, 0x00, 0x00, /* lea rsp, [rbx+0x800] */
	0xcd, 0x20,                               /* int 0x20 */
	0xf4,                                     /* hlt */
};
#define INT20_FIRST_PUSH (MMIO_BASE + 0x7f8)      /* SS, at RSP - 8 */

/* A software interrupt whose delivery pushes onto an MMIO page: the cached MMIO
 * entry's EPT misconfiguration interrupts the delivery, which KVM cannot emulate
 * (Linux: X86EMUL_UNHANDLEABLE_VECTORING, kvm_prepare_event_vectoring_exit):
 * KVM_INTERNAL_ERROR_DELIVERY_EV, ndata 5: the IDT-vectoring information (INT 20H,
 * type 4), the exit reason, its qualification, the GPA and the LP. */
static void test_mmio_access_during_event_delivery_is_delivery_ev(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, int20_on_mmio_stack_guest, sizeof(int20_on_mmio_stack_guest));
	set_idt_gate(f->mem, 0x20, GUEST_GP);
	set_idt(f);
	assert_int_equal(run(f), KVM_EXIT_MMIO);          /* caches the MMIO page */
	assert_mmio_exit(f, MMIO_BASE, 4, false);
	mmio_answer(f, 0);
	run(f);
	const uint64_t data[] = { 0x80000420, 49, 0, INT20_FIRST_PUSH, 0 };
	assert_internal_error(f, KVM_INTERNAL_ERROR_DELIVERY_EV, data, 5);
	assert_int_equal(f->vcpu->stat.mmio_exits, 1);    /* no MMIO exit for the push */
}

/* The same push meeting the MMIO page first: an EPT violation (a write of the
 * linear address's translation, GLA valid: qualification 182H) during delivery. */
static void test_first_mmio_access_during_event_delivery_is_delivery_ev(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, int20_on_mmio_stack_guest, sizeof(int20_on_mmio_stack_guest));
	f->mem[GUEST_CODE + 5] = 0x90;                    /* no load from the page first */
	f->mem[GUEST_CODE + 6] = 0x90;
	set_idt_gate(f->mem, 0x20, GUEST_GP);
	set_idt(f);
	run(f);
	const uint64_t data[] = { 0x80000420, 48, 0x182, INT20_FIRST_PUSH, 0 };
	assert_internal_error(f, KVM_INTERNAL_ERROR_DELIVERY_EV, data, 5);
	assert_int_equal(f->vcpu->stat.mmio_exits, 0);
}

static const uint8_t int21_not_present_guest[] = {
	0xcd, 0x21,                               /* int 0x21: its gate is not present */
	0xf4,                                     /* hlt */
};

/* An intercepted exception that arose delivering another event (Linux
 * handle_exception_nmi): KVM_INTERNAL_ERROR_SIMUL_EX, ndata 4: the IDT-vectoring
 * information, the exit's interruption information, its error code and the LP.
 * kvmlike intercepts only #UD and #MC, which cannot arise so; the test adds #NP
 * to the vCPU's exception bitmap, as Linux's VMware backdoor adds #GP. */
static void test_exception_during_event_delivery_is_simul_ex(void **state)
{
	struct fx *f = *state;
	load(f, GUEST_CODE, int21_not_present_guest, sizeof(int21_not_present_guest));
	set_idt_gate(f->mem, 0x21, GUEST_GP);
	f->mem[GUEST_IDT + 0x21 * 16 + 5] &= 0x7f;       /* P = 0 */
	set_idt(f);
	vmcs_set_bits(EXCEPTION_BITMAP, 1u << 11);
	run(f);
	/* INT 21H (type 4); #NP (type 3, error code) with IDT selector 21H. */
	const uint64_t data[] = { 0x80000421, 0x80000b0b, 0x21 * 8 + 2, 0 };
	assert_internal_error(f, KVM_INTERNAL_ERROR_SIMUL_EX, data, 4);
}

static unsigned host_machine_checks;
static void host_machine_check(unsigned vector)
{
	assert_int_equal(vector, MC_VECTOR);
	host_machine_checks++;
}

/* A machine check in the guest is the host's (Linux handle_exception_nmi_irqoff
 * and vmx_vcpu_run call kvm_machine_check, the host's #MC handler): user space sees
 * no KVM_EXIT_EXCEPTION, the guest goes on at the instruction it struck. One during
 * VM entry (exit reason 41) is handled the same way, then is KVM_EXIT_FAIL_ENTRY. */
static void test_machine_check_is_handled_by_the_host(void **state)
{
	struct fx *f = *state;
	host_machine_checks = 0;
	kvm_set_host_irq_handler(MC_VECTOR, host_machine_check);
	load(f, GUEST_CODE, out_guest, sizeof(out_guest));
	assert_int_equal(vtsim_inject_guest_mce(f->m, 0), 0);
	assert_int_equal(run(f), KVM_EXIT_IO);
	assert_io_exit(f, KVM_EXIT_IO_OUT, 1, 0x3f8);
	assert_int_equal(pio_data(f)[0], 'A');
	assert_int_equal(host_machine_checks, 1);
	assert_int_equal(f->vcpu->stat.exits_by_reason[0], 1);   /* the #MC's exit */
	assert_int_equal(vtsim_inject_entry_mce(f->m, 0), 0);
	assert_int_equal(run(f), KVM_EXIT_FAIL_ENTRY);
	assert_int_equal(f->vcpu->run->fail_entry.hardware_entry_failure_reason, 0x80000029u);
	assert_int_equal(host_machine_checks, 2);
	kvm_set_host_irq_handler(MC_VECTOR, NULL);
}

#define VM_TEST(t) cmocka_unit_test_setup_teardown(t, vm_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: the witness of a VMX instruction is kvmlike's log, which says so
		 * only for the first 16 failed ones of the program. */
		cmocka_unit_test_setup_teardown(test_vt_ops_for_a_td_do_not_reach_vmx, machine_setup,
						fx_teardown),
		VM_TEST(test_out_exits_with_port_size_and_data),
		VM_TEST(test_out_exit_rip_stays_at_the_out_until_the_next_run),
		cmocka_unit_test_setup_teardown(test_vcpu_migrates_between_lps, vm2_setup, fx_teardown),
		VM_TEST(test_in_completion_merges_al_ax_and_zero_extends_eax),
		VM_TEST(test_in_exit_rip_stays_at_the_in_until_completion),
		VM_TEST(test_mmio_reads_and_writes_exit_with_address_length_and_data),
		VM_TEST(test_mmio_partial_registers_merge_as_the_instruction_does),
		VM_TEST(test_mmio_read_exit_rip_stays_at_the_load_until_completion),
		VM_TEST(test_mmio_page_is_cached_as_an_ept_misconfiguration),
		VM_TEST(test_memslot_added_over_cached_mmio_page_is_ram),
		VM_TEST(test_site_found_in_a_resumed_block_is_hooked),
		VM_TEST(test_cpuid_shows_kvm_signature_and_hides_vmx),
		VM_TEST(test_vmcall_answers_enosys_and_the_guest_continues),
		VM_TEST(test_nmi_while_nmi_blocked_waits_for_the_nmi_window),
		VM_TEST(test_nmi_window_at_hlt_delivers_before_the_hlt),
		VM_TEST(test_nmi_window_at_cpuid_delivers_before_the_cpuid),
		VM_TEST(test_rdmsr_of_unknown_msr_delivers_gp_to_the_guest),
		VM_TEST(test_exception_without_idt_is_shutdown),
		VM_TEST(test_unusable_tr_fails_entry_with_invalid_guest_state),
		VM_TEST(test_data_segment_cs_fails_entry_with_invalid_guest_state),
		VM_TEST(test_fail_entry_then_valid_sregs_runs),
		VM_TEST(test_gp_into_real_mode_has_no_error_code),
		VM_TEST(test_ept_maps_each_guest_page_on_first_touch),
		cmocka_unit_test_setup_teardown(test_no_tdx_module_means_no_td_vm_type, kvm_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_module_must_be_loaded_once, machine_setup,
						fx_teardown),
		cmocka_unit_test_setup_teardown(test_create_vm_with_unknown_type_is_einval, kvm_setup,
						fx_teardown),
		VM_TEST(test_memory_region_errors),
		VM_TEST(test_memory_region_above_the_machine_ram_is_einval),
		VM_TEST(test_memory_region_over_kvmlike_pages_is_einval),
		VM_TEST(test_hosted_vmfail_is_explained),
		VM_TEST(test_hosted_vmx_abort_is_explained),
		VM_TEST(test_create_vcpu_errors),
		VM_TEST(test_exit_without_handler_is_unexpected_exit_reason),
		VM_TEST(test_mmio_access_during_event_delivery_is_delivery_ev),
		VM_TEST(test_first_mmio_access_during_event_delivery_is_delivery_ev),
		VM_TEST(test_exception_during_event_delivery_is_simul_ex),
		VM_TEST(test_machine_check_is_handled_by_the_host),
		VM_TEST(test_gp_whose_delivery_meets_ept_violations_is_reinjected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
