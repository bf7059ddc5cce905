/* The scenarios of scenarios.h. User space here is what tools/vmm.c is to the
 * vtsim command, reduced to what a test needs and free of the C library, so
 * that the same file builds into the bare-metal image. */
#include "tests/scenarios/scenarios.h"

#include <string.h>

#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"
#include "kvmlike/trace.h"
#include "kvmlike/vmx.h"
#include "sim/tdx_module_stub/status.h"

extern const unsigned char vtsim_guest_vm_hello[], vtsim_guest_vm_exits[], vtsim_guest_td_hello[],
	vtsim_guest_td_quote[], vtsim_guest_td_large[], vtsim_guest_td_map_gpa[], vtsim_guest_vm_fpu[],
	vtsim_guest_td_fatal[], vtsim_guest_td_posted[], vtsim_guest_vm_msi[], vtsim_guest_vm_mmio_stack[],
	vtsim_guest_vm_task[], vtsim_guest_vm_emul_fail[], vtsim_guest_vm_debug[];
extern const unsigned int vtsim_guest_vm_hello_len, vtsim_guest_vm_exits_len, vtsim_guest_td_hello_len,
	vtsim_guest_td_quote_len, vtsim_guest_td_large_len, vtsim_guest_td_map_gpa_len, vtsim_guest_vm_fpu_len,
	vtsim_guest_td_fatal_len, vtsim_guest_td_posted_len, vtsim_guest_vm_msi_len,
	vtsim_guest_vm_mmio_stack_len, vtsim_guest_vm_task_len, vtsim_guest_vm_emul_fail_len,
	vtsim_guest_vm_debug_len;

#define GUEST_MEM      (8ull << 20)
#define GUEST_LOAD     0x100000ull
#define GUEST_STACK    0x80000ull
#define GUEST_GDT      0x500ull
#define GUEST_PML4     0x1000ull      /* then the PDPT and four PDs: 0-4 GiB */
#define VM_DEVICE      0xd0000000ull  /* vm_hello's device */
#define TD_DEVICE      0x30000000ull  /* td_hello's, at a shared GPA */
#define DEVICE_ID      0x4b564d31u
#define TD_LOW_MEM     (2ull << 20)
#define TD_FW_TOP      0x100000000ull
#define MAX_EXITS      100000
#define TD_LARGE_GPA   0x200000ull    /* td_large's memslot: 4 MiB, 2 MiB pages allowed */
#define TD_LARGE_SIZE  (4ull << 20)

/* ---- the trace: an event per line, a run of equal events printed once with its count */

enum event_kind { EV_NONE, EV_VM_EXIT, EV_TD_EXIT, EV_SEAMCALL };

struct event {
	enum event_kind kind;
	uint64_t a, b;
};

static struct {
	struct event last;
	unsigned repeat;
} tr;

static void trace_flush(void)
{
	static const char *const fmt[] = {
		[EV_VM_EXIT] = "vm exit reason %llu qual 0x%llx",
		[EV_TD_EXIT] = "td exit status 0x%016llx qual 0x%llx",
		[EV_SEAMCALL] = "seamcall leaf %llu status 0x%016llx",
	};
	if (!tr.repeat)
		return;
	printk(fmt[tr.last.kind], (unsigned long long)tr.last.a, (unsigned long long)tr.last.b);
	if (tr.repeat > 1)
		printk(" x%u", tr.repeat);
	printk("\n");
	tr.repeat = 0;
}

static void trace_event(enum event_kind kind, uint64_t a, uint64_t b)
{
	if (tr.repeat && tr.last.kind == kind && tr.last.a == a && tr.last.b == b) {
		tr.repeat++;
		return;
	}
	trace_flush();
	tr.last = (struct event){ kind, a, b };
	tr.repeat = 1;
}

static void on_exit(const struct kvm_vcpu *vcpu, uint64_t reason, uint64_t qual)
{
	trace_event(is_td_vcpu(vcpu) ? EV_TD_EXIT : EV_VM_EXIT, reason, qual);
}

static void on_seamcall(uint64_t fn, uint64_t status)
{
	trace_event(EV_SEAMCALL, fn & 0xffff, status);
}

static const struct kvm_trace_sink sink = { on_exit, on_seamcall };

/* A line of the scenario's own, after the events before it. */
#define say(...) do { trace_flush(); printk(__VA_ARGS__); } while (0)

/* ---- a guest: its VM, vCPU, memory and console ------------------------------------ */

struct guest {
	const char *name;          /* "vm" or "td": the console's and the messages' prefix */
	unsigned long type;
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem, *firmware, *source;
	uint64_t mem_size, fw_size;
	uint8_t *large;            /* td_large's memslot's shared memory */
	struct td_gmem { uint64_t gpa, size; int fd; } gmem[3];   /* a TD's slots, their guest_memfds */
	unsigned nr_gmem;
	char line[128];
	unsigned linelen;
	bool halted;
	unsigned exits;
	unsigned map_gpa_exits, map_gpa_again;  /* the MapGPA piece user space answers EAGAIN */
};

static int fail(struct guest *g, const char *what, int e)
{
	say("%s: %s: error %d\n", g->name, what, e);
	return -1;
}

static void console_putc(struct guest *g, char c)
{
	if (c != '\n' && g->linelen < sizeof(g->line) - 1) {
		g->line[g->linelen++] = c;
		return;
	}
	g->line[g->linelen] = 0;
	say("[%s] %s\n", g->name, g->line);
	g->linelen = 0;
}

static void handle_io(struct guest *g)
{
	struct kvm_run *run = g->vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (run->io.port == 0x3f8)
			console_putc(g, (char)data[0]);
		return;
	}
	memset(data, run->io.port == 0x3fd ? 0x60 : 0xff, run->io.size);   /* COM1's LSR */
}

/* KVM_SET_MEMORY_ATTRIBUTES, and for memory made shared a hole punched in the
 * guest_memfds behind it (user space discards private pages, as QEMU does). */
static int set_attributes(struct guest *g, const struct kvm_memory_attributes *a)
{
	int e = kvm_vm_set_memory_attributes(g->kvm, a);
	for (unsigned i = 0; !e && !a->attributes && i < g->nr_gmem; i++) {
		uint64_t base = g->gmem[i].gpa, end = base + g->gmem[i].size;
		uint64_t from = a->address > base ? a->address : base;
		uint64_t to = a->address + a->size < end ? a->address + a->size : end;
		if (from < to)
			e = kvm_gmem_fallocate(g->kvm, g->gmem[i].fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					       from - base, to - from);
	}
	return e;
}

/* A TD's memslot: shared memory at `hva`, private memory in a guest_memfd of its
 * own (KVM_SET_USER_MEMORY_REGION2), all of it private, as a VMM makes the RAM it
 * backs with guest_memfd (a TD's memory starts shared). */
static int td_slot(struct guest *g, unsigned slot, uint64_t gpa, uint64_t size, void *hva)
{
	struct kvm_create_guest_memfd gm = { .size = size };
	int fd = kvm_create_guest_memfd(g->kvm, &gm);
	if (fd < 0)
		return fail(g, "KVM_CREATE_GUEST_MEMFD", fd);
	struct kvm_userspace_memory_region2 m = { .slot = slot, .flags = KVM_MEM_GUEST_MEMFD,
						  .guest_phys_addr = gpa, .memory_size = size,
						  .userspace_addr = (uint64_t)(uintptr_t)hva,
						  .guest_memfd = (uint32_t)fd };
	int e = kvm_set_user_memory_region2(g->kvm, &m);
	if (e)
		return fail(g, "KVM_SET_USER_MEMORY_REGION2", e);
	g->gmem[g->nr_gmem++] = (struct td_gmem){ gpa, size, fd };
	struct kvm_memory_attributes p = { .address = gpa, .size = size,
					   .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };
	if ((e = kvm_vm_set_memory_attributes(g->kvm, &p)))
		return fail(g, "KVM_SET_MEMORY_ATTRIBUTES", e);
	return 0;
}

/* KVM_HC_MAP_GPA_RANGE: a TD's range becomes private or shared
 * (KVM_SET_MEMORY_ATTRIBUTES); a VM has nothing to convert. 0 or -errno. */
static int convert_memory(struct guest *g, const struct kvm_run *run)
{
	if (g->type != KVM_X86_TDX_VM)
		return 0;
	struct kvm_memory_attributes a = {
		.address = run->hypercall.args[0], .size = run->hypercall.args[1] << PAGE_SHIFT,
		.attributes = (run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED) ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	return set_attributes(g, &a);
}

/* KVM_EXIT_MEMORY_FAULT (KVM_RUN's -EFAULT): a TD accessed a page against its
 * attribute; the page becomes what the access wants, as QEMU converts it. */
static int convert_on_fault(struct guest *g, const struct kvm_run *run)
{
	bool private = run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE;
	say("%s: KVM_EXIT_MEMORY_FAULT flags 0x%llx gpa 0x%llx size 0x%llx\n", g->name,
	    (unsigned long long)run->memory_fault.flags, (unsigned long long)run->memory_fault.gpa,
	    (unsigned long long)run->memory_fault.size);
	struct kvm_memory_attributes a = { .address = run->memory_fault.gpa, .size = run->memory_fault.size,
					   .attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0 };
	int e = set_attributes(g, &a);
	return e ? fail(g, "KVM_SET_MEMORY_ATTRIBUTES", e) : 0;
}

static void handle_mmio(struct guest *g, uint64_t device)
{
	struct kvm_run *run = g->vcpu->run;
	uint64_t off = run->mmio.phys_addr - device;
	uint32_t v = off == 0 ? DEVICE_ID : 0xffffffffu;
	if (run->mmio.is_write) {
		uint32_t w = 0;
		memcpy(&w, run->mmio.data, run->mmio.len < 4 ? run->mmio.len : 4);
		say("%s: device register 0x%llx written: 0x%x\n", g->name, (unsigned long long)off, w);
		return;
	}
	memcpy(run->mmio.data, &v, run->mmio.len < 4 ? run->mmio.len : 4);
}

/* KVM_EXIT_TDX: GetTdVmCallInfo leaf 1 learns that GetQuote is served; GetQuote
 * finds no quoting service behind it (GHCI: the buffer's status says
 * SERVICE_UNAVAILABLE, the TDVMCALL itself succeeds). Anything else keeps the
 * SUBFUNC_UNSUPPORTED kvmlike preset. */
#define GHCI_GET_QUOTE_SERVICE_UNAVAILABLE 0x8000000000000001ull
static void handle_tdx_exit(struct guest *g)
{
	struct kvm_run *run = g->vcpu->run;
	say("%s: KVM_EXIT_TDX sub-function 0x%llx\n", g->name, (unsigned long long)run->tdx.nr);
	if (run->tdx.nr == 0x10000) {
		run->tdx.get_tdvmcall_info.r11 = 1u << 2;
	} else if (run->tdx.nr == 0x10002) {
		uint64_t gpa = run->tdx.get_quote.gpa, size = run->tdx.get_quote.size;
		if (gpa >= g->mem_size || size < 24 || size > g->mem_size - gpa) {
			run->tdx.get_quote.ret = 0x8000000000000000ull;   /* INVALID_OPERAND */
			return;
		}
		uint64_t status = GHCI_GET_QUOTE_SERVICE_UNAVAILABLE;
		uint32_t in_len, out_len = 0;
		memcpy(&in_len, g->mem + gpa + 16, 4);
		say("%s: GetQuote, %u bytes of TDREPORT at 0x%llx: no quoting service\n", g->name, in_len,
		    (unsigned long long)gpa);
		memcpy(g->mem + gpa + 8, &status, 8);
		memcpy(g->mem + gpa + 20, &out_len, 4);
		run->tdx.get_quote.ret = 0;
	}
}

/* One KVM_RUN and user space's part of its exit: 0 to go on, 1 halted, -1 failed. */
static int guest_step(struct guest *g)
{
	int e = kvm_vcpu_run(g->vcpu);
	struct kvm_run *run = g->vcpu->run;
	if (e == -EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		return convert_on_fault(g, run);
	if (e)
		return fail(g, "KVM_RUN", e);
	g->exits++;
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(g);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(g, g->type == KVM_X86_TDX_VM ? TD_DEVICE : VM_DEVICE);
		return 0;
	case KVM_EXIT_TDX:
		handle_tdx_exit(g);
		return 0;
	case KVM_EXIT_HYPERCALL:       /* KVM_HC_MAP_GPA_RANGE */
		say("%s: KVM_EXIT_HYPERCALL nr %llu args 0x%llx %llu 0x%llx flags 0x%llx\n", g->name,
		    (unsigned long long)run->hypercall.nr, (unsigned long long)run->hypercall.args[0],
		    (unsigned long long)run->hypercall.args[1], (unsigned long long)run->hypercall.args[2],
		    (unsigned long long)run->hypercall.flags);
		if (++g->map_gpa_exits == g->map_gpa_again) {
			say("%s: EAGAIN\n", g->name);
			run->hypercall.ret = EAGAIN;
			return 0;
		}
		run->hypercall.ret = (uint64_t)-(int64_t)convert_memory(g, run);   /* a positive errno */
		return 0;
	case KVM_EXIT_HLT:
		say("%s: KVM_EXIT_HLT after %u exits to user space\n", g->name, g->exits);
		g->halted = true;
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		say("%s: KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x%llx\n", g->name,
		    (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	case KVM_EXIT_SHUTDOWN:
		say("%s: KVM_EXIT_SHUTDOWN\n", g->name);
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		say("%s: KVM_EXIT_SYSTEM_EVENT: type %u, ndata %u\n", g->name, run->system_event.type,
		    run->system_event.ndata);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		say("%s: KVM_EXIT_INTERNAL_ERROR: suberror %u, data", g->name, run->internal.suberror);
		for (uint32_t i = 0; i < run->internal.ndata && i < 16; i++)
			printk(" 0x%llx", (unsigned long long)run->internal.data[i]);
		printk("\n");
		return -1;
	default:
		say("%s: unexpected KVM_RUN exit %u\n", g->name, run->exit_reason);
		return -1;
	}
}

/* Identity-mapped 0-4 GiB in 2 MiB pages, and a GDT with a 64-bit code segment. */
static void build_boot_tables(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + GUEST_PML4), *pdpt = (uint64_t *)(mem + GUEST_PML4 + 0x1000);
	pml4[0] = (GUEST_PML4 + 0x1000) | 3;
	for (uint64_t gb = 0; gb < 4; gb++) {
		uint64_t pd_gpa = GUEST_PML4 + 0x2000 + gb * 0x1000;
		uint64_t *pd = (uint64_t *)(mem + pd_gpa);
		pdpt[gb] = pd_gpa | 3;
		for (uint64_t i = 0; i < 512; i++)
			pd[i] = ((gb << 30) + (i << 21)) | 0x83;
	}
	uint64_t *gdt = (uint64_t *)(mem + GUEST_GDT);
	gdt[1] = 0x00af9b000000ffffull;   /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;   /* 0x10: data */
}

static void long_mode_sregs(struct kvm_sregs *s)
{
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1,
				    .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	s->cs = code;
	s->ds = s->es = s->ss = s->fs = s->gs = data;
	s->tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };
	s->ldt = (struct kvm_segment){ .unusable = 1 };
	s->gdt = (struct kvm_dtable){ .base = GUEST_GDT, .limit = 23 };
	s->idt = (struct kvm_dtable){ 0 };
	s->cr0 = 0x80050033;
	s->cr3 = GUEST_PML4;
	s->cr4 = 0x620;
	s->efer = 0x500;
}

/* The split irqchip, as QEMU's kernel-irqchip=split asks for it right after
 * KVM_CREATE_VM (24 routes for its I/O APIC): a TD's vCPUs need it, and any
 * guest's KVM_SIGNAL_MSI. */
static int split_irqchip(struct guest *g)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	int e = kvm_vm_enable_cap(g->kvm, &cap);
	return e ? fail(g, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)", e) : 0;
}

/* `img` at 1 MiB in 8 MiB of memory, entered in long mode. */
static int vm_setup_image(struct guest *g, const uint8_t *img, uint64_t len)
{
	int e = kvm_create_vm(KVM_X86_DEFAULT_VM, &g->kvm);
	if (e)
		return fail(g, "KVM_CREATE_VM", e);
	if (split_irqchip(g))
		return -1;
	g->mem_size = GUEST_MEM;
	if (!(g->mem = kvm_userspace_alloc(GUEST_MEM)))
		return fail(g, "guest memory", -ENOMEM);
	memcpy(g->mem + GUEST_LOAD, img, len);
	build_boot_tables(g->mem);
	struct kvm_userspace_memory_region region = { .slot = 0, .memory_size = GUEST_MEM,
						       .userspace_addr = (uint64_t)(uintptr_t)g->mem };
	if ((e = kvm_set_user_memory_region(g->kvm, &region)))
		return fail(g, "KVM_SET_USER_MEMORY_REGION", e);
	if ((e = kvm_create_vcpu(g->kvm, 0, &g->vcpu)))
		return fail(g, "KVM_CREATE_VCPU", e);
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = GUEST_LOAD, .rsp = GUEST_STACK, .rflags = 2 };
	kvm_vcpu_get_sregs(g->vcpu, &sregs);
	long_mode_sregs(&sregs);
	if ((e = kvm_vcpu_set_sregs(g->vcpu, &sregs)) || (e = kvm_vcpu_set_regs(g->vcpu, &regs)))
		return fail(g, "KVM_SET_SREGS/KVM_SET_REGS", e);
	return 0;
}

/* The demo's VMX guest, vm_hello. */
static int vm_setup(struct guest *g)
{
	return vm_setup_image(g, vtsim_guest_vm_hello, vtsim_guest_vm_hello_len);
}

static int tdx_cmd(struct guest *g, const char *what, int e, const struct kvm_tdx_cmd *c)
{
	if (e)
		say("%s: %s: error %d, hw_error 0x%016llx\n", g->name, what, e, (unsigned long long)c->hw_error);
	return e ? -1 : 0;
}

/* KVM_TDX_INIT_VM's TD CPUID as QEMU builds it: each configurable leaf
 * (KVM_TDX_CAPABILITIES) within what KVM supports (KVM_GET_SUPPORTED_CPUID). */
static int td_init_vm(struct guest *g)
{
	enum { ROOM = 64 };
	uint64_t esz = sizeof(struct kvm_cpuid_entry2);
	uint64_t caps_size = sizeof(struct kvm_tdx_capabilities) + ROOM * esz;
	uint64_t sup_size = sizeof(struct kvm_cpuid2) + KVM_MAX_CPUID_ENTRIES * esz;
	uint64_t init_size = sizeof(struct kvm_tdx_init_vm) + ROOM * esz;
	struct kvm_tdx_capabilities *caps = kvm_userspace_alloc(caps_size);
	struct kvm_cpuid2 *sup = kvm_userspace_alloc(sup_size);
	struct kvm_tdx_init_vm *init = kvm_userspace_alloc(init_size);
	int r = -1, e;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_CAPABILITIES, .data = (uint64_t)(uintptr_t)caps };
	if (!caps || !sup || !init) {
		fail(g, "memory for KVM_TDX_INIT_VM", -ENOMEM);
		goto out;
	}
	caps->cpuid.nent = ROOM;
	sup->nent = KVM_MAX_CPUID_ENTRIES;
	if (tdx_cmd(g, "KVM_TDX_CAPABILITIES", kvm_memory_encrypt_op(g->kvm, &c), &c))
		goto out;
	if ((e = kvm_get_supported_cpuid(sup))) {
		fail(g, "KVM_GET_SUPPORTED_CPUID", e);
		goto out;
	}
	init->xfam = 3;
	for (uint32_t i = 0; i < caps->cpuid.nent; i++) {
		const struct kvm_cpuid_entry2 *mask = &caps->cpuid.entries[i];
		for (uint32_t j = 0; j < sup->nent; j++) {
			const struct kvm_cpuid_entry2 *have = &sup->entries[j];
			if (have->function != mask->function ||
			    ((mask->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) && have->index != mask->index))
				continue;
			struct kvm_cpuid_entry2 *out = &init->cpuid.entries[init->cpuid.nent++];
			*out = *mask;
			out->eax &= have->eax;
			out->ebx &= have->ebx;
			out->ecx &= have->ecx;
			out->edx &= have->edx;
			break;
		}
	}
	say("td: %u configurable CPUID leaves, %u supported, %u configured\n", caps->cpuid.nent, sup->nent,
	    init->cpuid.nent);
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VM, .data = (uint64_t)(uintptr_t)init };
	r = tdx_cmd(g, "KVM_TDX_INIT_VM", kvm_memory_encrypt_op(g->kvm, &c), &c);
out:
	kvm_userspace_free(caps, caps_size);
	kvm_userspace_free(sup, sup_size);
	kvm_userspace_free(init, init_size);
	return r;
}

/* A TD VM and its memslots (2 MiB at 0, the firmware ending at 4 GiB), before
 * KVM_TDX_INIT_VM. */
static int td_vm(struct guest *g, const uint8_t *img, uint64_t len)
{
	int e = kvm_create_vm(KVM_X86_TDX_VM, &g->kvm);
	if (e)
		return fail(g, "KVM_CREATE_VM(KVM_X86_TDX_VM)", e);
	if (split_irqchip(g))
		return -1;
	/* TDVMCALL<MapGPA> comes to user space, which converts the memory. */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL,
				      .args = { 1ull << KVM_HC_MAP_GPA_RANGE } };
	if ((e = kvm_vm_enable_cap(g->kvm, &cap)))
		return fail(g, "KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL)", e);
	g->fw_size = (len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
	g->mem_size = TD_LOW_MEM;
	g->mem = kvm_userspace_alloc(TD_LOW_MEM);
	g->firmware = kvm_userspace_alloc(g->fw_size);
	g->source = kvm_userspace_alloc(g->fw_size);
	if (!g->mem || !g->firmware || !g->source)
		return fail(g, "memory for the TD", -ENOMEM);
	memcpy(g->source + g->fw_size - len, img, len);
	return td_slot(g, 0, 0, TD_LOW_MEM, g->mem) ||
	       td_slot(g, 1, TD_FW_TOP - g->fw_size, g->fw_size, g->firmware) ? -1 : 0;
}

/* The TD up to its INIT_VCPU: VM, memslots, INIT_VM, the vCPU. */
static int td_create(struct guest *g, const uint8_t *img, uint64_t len)
{
	int e;
	if (td_vm(g, img, len) || td_init_vm(g))
		return -1;
	if ((e = kvm_create_vcpu(g->kvm, 0, &g->vcpu)))
		return fail(g, "KVM_CREATE_VCPU", e);
	struct kvm_tdx_cmd c = { .id = KVM_TDX_INIT_VCPU };
	return tdx_cmd(g, "KVM_TDX_INIT_VCPU", kvm_vcpu_memory_encrypt_op(g->vcpu, &c), &c);
}

static int td_add_firmware(struct guest *g, uint64_t pages)
{
	struct kvm_tdx_init_mem_region region = { .source_addr = (uint64_t)(uintptr_t)g->source,
						  .gpa = TD_FW_TOP - g->fw_size, .nr_pages = pages };
	struct kvm_tdx_cmd c = { .id = KVM_TDX_INIT_MEM_REGION, .flags = KVM_TDX_MEASURE_MEMORY_REGION,
				 .data = (uint64_t)(uintptr_t)&region };
	return tdx_cmd(g, "KVM_TDX_INIT_MEM_REGION", kvm_vcpu_memory_encrypt_op(g->vcpu, &c), &c);
}

/* `img` as the TD's firmware, measured, and the TD finalized. */
static int td_setup_image(struct guest *g, const uint8_t *img, uint64_t len)
{
	if (td_create(g, img, len) || td_add_firmware(g, g->fw_size >> PAGE_SHIFT))
		return -1;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_FINALIZE_VM };
	return tdx_cmd(g, "KVM_TDX_FINALIZE_VM", kvm_memory_encrypt_op(g->kvm, &c), &c);
}

/* The demo's TD guest, td_hello. */
static int td_setup(struct guest *g)
{
	return td_setup_image(g, vtsim_guest_td_hello, vtsim_guest_td_hello_len);
}

static void guest_destroy(struct guest *g)
{
	if (g->linelen)
		console_putc(g, '\n');
	kvm_destroy_vm(g->kvm);
	kvm_userspace_free(g->mem, g->mem_size);
	kvm_userspace_free(g->firmware, g->fw_size);
	kvm_userspace_free(g->source, g->fw_size);
	kvm_userspace_free(g->large, TD_LARGE_SIZE);
	g->kvm = NULL;
	g->vcpu = NULL;
	trace_flush();
}

static void print_exit_counts(struct guest *g)
{
	const struct kvm_vcpu_stat *s = &g->vcpu->stat;
	say("%s: %llu exits:", g->name, (unsigned long long)s->exits);
	for (unsigned r = 0; r < KVM_NR_EXIT_REASONS; r++)
		if (s->exits_by_reason[r])
			printk(" %u:%llu", r, (unsigned long long)s->exits_by_reason[r]);
	printk("\n");
}

/* ---- the scenarios ----------------------------------------------------------------- */

/* Runs the guests by turns (an exit each, all on this LP) until each halted. */
static int run_guests(struct guest *g, unsigned n)
{
	int st[2] = { 0, 0 };
	for (unsigned k = 0; k < MAX_EXITS; k++) {
		bool running = false;
		for (unsigned i = 0; i < n; i++) {
			if (!st[i])
				st[i] = guest_step(&g[i]);
			running |= !st[i];
		}
		if (!running)
			break;
	}
	int r = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!st[i])
			say("%s: no HLT after %u exits\n", g[i].name, MAX_EXITS);
		if (st[i] != 1)
			r = -1;
		else
			print_exit_counts(&g[i]);
	}
	return r;
}

static int scenario_vm(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = vm_setup(&g) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

static int scenario_td(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup(&g) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

static int scenario_vm_and_td(void)
{
	struct guest g[2] = { { .name = "vm", .type = KVM_X86_DEFAULT_VM },
			      { .name = "td", .type = KVM_X86_TDX_VM } };
	int r = vm_setup(&g[0]) || td_setup(&g[1]) ? -1 : run_guests(g, 2);
	guest_destroy(&g[1]);
	guest_destroy(&g[0]);
	return r;
}

/* A VM whose code is `bytes` at 1 MiB, with the long-mode state of vm_setup
 * changed by `edit`: 0 when its first KVM_RUN ends with exit reason `want`. */
static int vm_exit_path(const char *what, const uint8_t *bytes, unsigned n,
			void (*edit)(struct kvm_sregs *), uint32_t want)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = -1;
	say("vm: %s\n", what);
	if (!vm_setup(&g)) {
		memcpy(g.mem + GUEST_LOAD, bytes, n);
		struct kvm_sregs sregs;
		kvm_vcpu_get_sregs(g.vcpu, &sregs);
		edit(&sregs);
		kvm_vcpu_set_sregs(g.vcpu, &sregs);
		r = guest_step(&g) == -1 && g.vcpu->run->exit_reason == want ? 0 : -1;
	}
	guest_destroy(&g);
	return r;
}

static void no_idt(struct kvm_sregs *s)
{
	s->idt = (struct kvm_dtable){ 0 };
}

/* A read-only data segment in CS (type 1; 3 would pass with unrestricted guest):
 * VM entry fails its guest-state checks (exit reason 33). */
static void data_cs(struct kvm_sregs *s)
{
	s->cs.type = 1;
}

/* The exits a VM ends with when it cannot go on: a triple fault (UD2 with no IDT:
 * #UD, #DF, shutdown) is KVM_EXIT_SHUTDOWN; a VM entry that fails on guest state
 * is KVM_EXIT_FAIL_ENTRY with the exit reason, bit 31 set. */
static int scenario_vm_exit_paths(void)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b }, hlt[] = { 0xf4 };
	return vm_exit_path("UD2 without an IDT", ud2, sizeof(ud2), no_idt, KVM_EXIT_SHUTDOWN) |
	       vm_exit_path("CS holding a data segment", hlt, sizeof(hlt), data_cs, KVM_EXIT_FAIL_ENTRY);
}

/* The TDVMCALLs that go to user space as KVM_EXIT_TDX (guests/td_quote): what
 * user space serves, SetupEventNotifyInterrupt, GetQuote. */
static int scenario_td_user_exits(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup_image(&g, vtsim_guest_td_quote, vtsim_guest_td_quote_len) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

/* TD exits beyond the ordinary. A MapGPA larger than one exit's piece (2 MiB),
 * whose second piece user space answers EAGAIN, so that the guest goes on from
 * R11 (guests/td_map_gpa). */
static int td_map_gpa_in_pieces(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM, .map_gpa_again = 2 };
	int r = td_setup_image(&g, vtsim_guest_td_map_gpa, vtsim_guest_td_map_gpa_len) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

/* td_hello, halted, and its private page at 100000H. User space's write to its
 * memslot there lands in the shared half (the TD halts again, unharmed); a write
 * by the host kernel to the page itself (the guest_memfd's, through the direct
 * map: a host bug) poisons it, and the TD is fatal at its next TDH.VP.ENTER
 * (TDX_TD_FATAL), which KVM_RUN reports as KVM_EXIT_INTERNAL_ERROR with the
 * status; the teardown still reclaims all. */
static int td_fatal_after_a_host_write(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup(&g) || run_guests(&g, 1) ? -1 : 0;
	if (!r) {
		g.mem[0x100010] ^= 0x55;
		say("td: user space writes its memslot's page at a private GPA\n");
		r = guest_step(&g) == 1 && g.vcpu->run->exit_reason == KVM_EXIT_HLT ? 0 : -1;
	}
	uint8_t *page = (uint8_t *)kvm_gmem_host_view(g.kvm, g.gmem[0].fd, 0x100000);
	if (!r && page) {
		page[0x10] ^= 0x55;
		say("td: the host kernel writes the private page\n");
		r = guest_step(&g) == -1 && g.vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR ? 0 : -1;
	} else {
		r = -1;
	}
	guest_destroy(&g);
	return r;
}

/* A TD that loads an empty IDT and executes UD2: #UD, #GP and #DF find no gate,
 * a triple fault; the module's TD exit (NON_RECOVERABLE_VCPU, reason 2) is
 * KVM_EXIT_SHUTDOWN. Its one page of firmware: LIDT [FFFFF020H] (limit 0), UD2,
 * and at the reset vector a JMP to FFFFF000H. */
static int td_triple_fault(void)
{
	static uint8_t fw[PAGE_SIZE];
	static const uint8_t code[] = { 0x0f, 0x01, 0x1d, 0x20, 0xf0, 0xff, 0xff, 0x0f, 0x0b };
	static const uint8_t reset[] = { 0xe9, 0x0b, 0xf0, 0xff, 0xff };
	memcpy(fw, code, sizeof(code));
	memcpy(fw + 0xff0, reset, sizeof(reset));
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup_image(&g, fw, sizeof(fw)) ? -1 : 0;
	if (!r)
		r = guest_step(&g) == -1 && g.vcpu->run->exit_reason == KVM_EXIT_SHUTDOWN ? 0 : -1;
	guest_destroy(&g);
	return r;
}

/* TDVMCALL<ReportFatalError> (guests/td_fatal): KVM_EXIT_SYSTEM_EVENT of type
 * KVM_SYSTEM_EVENT_TDX_FATAL with the 16 GPRs of the TD exit in encoding order:
 * RAX the exit status (TDCALL, 77), RCX the exposed mask, R11 the sub-function,
 * R12 the GHCI error code, R13 no information page, R14-R15 the message. */
#define TD_FATAL_ERROR_CODE 0xa5f00dull
static int td_fatal_error(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup_image(&g, vtsim_guest_td_fatal, vtsim_guest_td_fatal_len) ? -1 : 0;
	for (unsigned n = 0, st = 0; !r && !st && n < MAX_EXITS; n++)
		st = (unsigned)guest_step(&g);
	const struct kvm_run *run = g.vcpu ? g.vcpu->run : NULL;
	if (!r && run && run->exit_reason == KVM_EXIT_SYSTEM_EVENT) {
		const uint64_t *d = run->system_event.data;
		char msg[17];
		memcpy(msg, &d[14], 8);
		memcpy(msg + 8, &d[15], 8);
		msg[16] = 0;
		say("td: ReportFatalError: RAX 0x%llx RCX 0x%llx R10 0x%llx R11 0x%llx R12 0x%llx R13 0x%llx "
		    "message \"%s\"\n", (unsigned long long)d[0], (unsigned long long)d[1],
		    (unsigned long long)d[10], (unsigned long long)d[11], (unsigned long long)d[12],
		    (unsigned long long)d[13], msg);
		r = run->system_event.type == KVM_SYSTEM_EVENT_TDX_FATAL && run->system_event.ndata == 16 &&
		    d[0] == 77 && d[1] == 0xfc00 && d[4] == 0 && d[5] == 0 && d[10] == 0 && d[11] == 0x10003 &&
		    d[12] == TD_FATAL_ERROR_CODE && d[13] == 0 && !memcmp(msg, "TD gives up now", 16) ? 0 : -1;
	} else {
		r = -1;
	}
	guest_destroy(&g);
	return r;
}

/* A machine check during the run's first VM entry, a TD's (the run's fault
 * injection, --inject-entry-mce 1: docs/machine.md): the module's TD exit is
 * NON_RECOVERABLE_TD_NON_ACCESSIBLE with exit reason 80000029H, which KVM_RUN
 * reports as KVM_EXIT_FAIL_ENTRY with that reason (Linux's tdx_handle_exit); the
 * TD is fatal, and its next TDH.VP.ENTER's TDX_TD_FATAL is KVM_EXIT_INTERNAL_ERROR
 * (UNEXPECTED_EXIT_REASON, the status and the LP). Its teardown still gives every
 * page back. */
/* 0 when the TD's next KVM_RUN is KVM_EXIT_INTERNAL_ERROR, UNEXPECTED_EXIT_REASON
 * with the TDH.VP.ENTER status `st` and LP 0. */
static int td_unexpected_exit(struct guest *g, uint64_t st)
{
	const struct kvm_run *run = g->vcpu->run;
	return guest_step(g) == -1 && run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
	       run->internal.suberror == KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON && run->internal.ndata == 2 &&
	       run->internal.data[0] == st && run->internal.data[1] == 0 ? 0 : -1;
}

static int scenario_td_fail_entry(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup(&g) ? -1 : 0;
	const struct kvm_run *run = g.vcpu ? g.vcpu->run : NULL;
	if (!r)
		r = guest_step(&g) == -1 && run->exit_reason == KVM_EXIT_FAIL_ENTRY &&
		    run->fail_entry.hardware_entry_failure_reason == 0x80000029 && run->fail_entry.cpu == 0 ?
		    0 : -1;
	if (!r)
		r = td_unexpected_exit(&g, TDX_TD_FATAL);
	guest_destroy(&g);
	return r;
}

static unsigned host_machine_checks;

static void host_machine_check(unsigned vector)
{
	(void)vector;
	host_machine_checks++;
}

/* A machine check at a TD's first instruction (the run's fault injection,
 * --inject-guest-mce 1: after td_fail_entry's failed one, the run's first VM entry
 * that completes is this TD's). The TDX module intercepts #MC and makes the TD
 * fatal: its TD exit is NON_RECOVERABLE_TD_NON_ACCESSIBLE with exit reason 0 and
 * the interruption information (80000312H) in R9. kvmlike runs the host's #MC
 * handler at the exit (Linux's tdx_handle_exit_irqoff); the status being
 * non-recoverable, KVM_RUN reports KVM_EXIT_INTERNAL_ERROR (UNEXPECTED_EXIT_REASON:
 * the status, the LP), and the TD's next entry is TDX_TD_FATAL. */
static int scenario_td_machine_check(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = td_setup(&g) ? -1 : 0;
	host_machine_checks = 0;
	kvm_set_host_irq_handler(MC_VECTOR, host_machine_check);
	if (!r)
		r = td_unexpected_exit(&g, TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE | EXIT_REASON_EXCEPTION_NMI);
	kvm_set_host_irq_handler(MC_VECTOR, NULL);
	say("host: %u machine check handled\n", host_machine_checks);
	if (!r)
		r = host_machine_checks == 1 ? td_unexpected_exit(&g, TDX_TD_FATAL) : -1;
	guest_destroy(&g);
	return r;
}

/* A machine check at a VM's first instruction (the run's fault injection,
 * --inject-guest-mce 2: after td_machine_check's, the run's second VM entry that
 * completes is this scenario's). kvmlike intercepts #MC: the exception exit
 * (reason 0) is the host's machine check, whose handler runs at the exit (Linux's
 * handle_exception_nmi_irqoff calls kvm_machine_check); user space sees no
 * KVM_EXIT_EXCEPTION, and the guest goes on at the instruction the machine check
 * struck: it prints its line and halts. */
static int scenario_vm_machine_check(void)
{
	static const uint8_t puts_hlt[] = {
		0x48, 0x8d, 0x35, 0x0d, 0x00, 0x00, 0x00, /* lea rsi, [rip + msg] */
		0x66, 0xba, 0xf8, 0x03,                   /* mov dx, 3f8h */
		0xac,                                     /* 1: lodsb */
		0x84, 0xc0,                               /* test al, al */
		0x74, 0x03,                               /* jz 2f */
		0xee,                                     /* out dx, al */
		0xeb, 0xf8,                               /* jmp 1b */
		0xf4,                                     /* 2: hlt */
		'g', 'o', 'i', 'n', 'g', ' ', 'o', 'n', '\n', 0,   /* msg */
	};
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = -1;
	if (!vm_setup(&g)) {
		memcpy(g.mem + GUEST_LOAD, puts_hlt, sizeof(puts_hlt));
		host_machine_checks = 0;
		kvm_set_host_irq_handler(MC_VECTOR, host_machine_check);
		r = run_guests(&g, 1);
		kvm_set_host_irq_handler(MC_VECTOR, NULL);
		say("host: %u machine check handled, exception exits %llu\n", host_machine_checks,
		    (unsigned long long)g.vcpu->stat.exits_by_reason[EXIT_REASON_EXCEPTION_NMI]);
		if (host_machine_checks != 1 || g.vcpu->stat.exits_by_reason[EXIT_REASON_EXCEPTION_NMI] != 1)
			r = -1;
	}
	guest_destroy(&g);
	return r;
}

static int scenario_td_exits_beyond(void)
{
	int r = td_map_gpa_in_pieces();    /* one after the other: the trace's order */
	r |= td_fatal_after_a_host_write();
	r |= td_triple_fault();
	r |= td_fatal_error();
	return r;
}

/* KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL) for `mask`: 0 when kvmlike answers `want`. */
static int exit_hypercall_cap(struct guest *g, uint64_t mask, int want)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { mask } };
	int e = kvm_vm_enable_cap(g->kvm, &cap);
	say("%s: KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, 0x%llx): error %d\n", g->name,
	    (unsigned long long)mask, e);
	return e == want ? 0 : -1;
}

/* A software interrupt delivered onto an MMIO page (guests/vm_mmio_stack): the
 * delivery's first push (SS, at D00007F8H) exits, an EPT violation (qualification
 * 182H: a write, through a linear address's translation) on the page's first touch
 * or, with `touch_first`, an EPT misconfiguration once an MMIO read has made it a
 * cached MMIO entry. KVM cannot emulate an access an event's delivery made (Linux's
 * X86EMUL_UNHANDLEABLE_VECTORING): KVM_RUN ends with KVM_EXIT_INTERNAL_ERROR,
 * DELIVERY_EV, ndata 5: the IDT-vectoring information (INT 20H, a software
 * interrupt: 80000420H), the exit reason, its qualification, the GPA and the LP.
 * Before that the same delivery meets EPT violations that kvmlike handles (the
 * GDT's page, the stack's paging structures), after each of which it injects the
 * INT 20H again with its instruction length (vmx_complete_interrupts). */
static int delivery_ev(uint64_t touch_first, uint64_t reason, uint64_t qual)
{
	const uint64_t want[] = { 0x80000420, reason, qual, VM_DEVICE + 0x7f8, 0 };
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	struct kvm_regs regs;
	int st = vm_setup_image(&g, vtsim_guest_vm_mmio_stack, vtsim_guest_vm_mmio_stack_len) ? -1 : 0;
	if (!st) {
		kvm_vcpu_get_regs(g.vcpu, &regs);
		regs.r15 = touch_first;
		st = kvm_vcpu_set_regs(g.vcpu, &regs) ? -1 : 0;
	}
	for (unsigned n = 0; !st && n < MAX_EXITS; n++)
		st = guest_step(&g);
	const struct kvm_run *run = g.vcpu ? g.vcpu->run : NULL;
	int r = run && st == -1 && run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		run->internal.suberror == KVM_INTERNAL_ERROR_DELIVERY_EV && run->internal.ndata == 5 &&
		!memcmp(run->internal.data, want, sizeof(want)) ? 0 : -1;
	guest_destroy(&g);
	return r;
}

static int scenario_vm_delivery_ev(void)
{
	return delivery_ev(0, EXIT_REASON_EPT_VIOLATION, 0x182) |
	       delivery_ev(1, EXIT_REASON_EPT_MISCONFIG, 0);
}

/* The exits kvmlike answers without user space (CR, DR and MSR accesses, XSETBV,
 * RDPMC, INVD, WBINVD, the VMX instructions), and the hypercall user space asked
 * for: vm_exits prints what each gave it. */
static int scenario_vm_exit_handlers(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = vm_setup_image(&g, vtsim_guest_vm_exits, vtsim_guest_vm_exits_len) ||
		exit_hypercall_cap(&g, 1ull << 11, -EINVAL) ||
		exit_hypercall_cap(&g, KVM_EXIT_HYPERCALL_VALID_MASK, 0) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

/* The host's APIC timer ticks while a VM runs a loop, as Linux's periodic tick
 * would (LOCAL_TIMER_VECTOR ECH): each tick is an external-interrupt exit (reason
 * 1) that acknowledged the interrupt, whose vector kvmlike hands to the host's
 * handler at the exit (the handler retires it with an EOI); the guest then goes on
 * where it was. 1,050,000 instructions of loop and a period of 200,000 TSC ticks
 * make five exits in both builds: the host's own instructions, which only the
 * image's clock counts, come nowhere near the margin of a period. */
#define LOCAL_TIMER_VECTOR 0xec
#define APIC_SPIV          0xf0
#define APIC_EOI           0xb0
#define APIC_ISR_EC        0x170        /* ISR bits 255:224 */
#define APIC_LVTT          0x320
#define APIC_TMICT         0x380
#define APIC_TDCR          0x3e0
#define APIC_LVT_MASKED    (1u << 16)
#define APIC_LVT_PERIODIC  (1u << 17)
#define APIC_TDR_DIV_1     0xb
#define HOST_TICK          200000

static unsigned host_timer_ticks;

static void host_timer_interrupt(unsigned vector)
{
	(void)vector;
	host_timer_ticks++;
	apic_write(APIC_EOI, 0);
}

static int scenario_vm_host_timer(void)
{
	/* mov ecx, 525000; 1: dec ecx; jnz 1b; hlt */
	static const uint8_t loop[] = { 0xb9, 0xc8, 0x02, 0x08, 0x00, 0xff, 0xc9, 0x75, 0xfc, 0xf4 };
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = -1;
	say("vm: a loop of 1050000 instructions, the host's APIC timer every %u ticks\n", HOST_TICK);
	if (!vm_setup(&g)) {
		memcpy(g.mem + GUEST_LOAD, loop, sizeof(loop));
		host_timer_ticks = 0;
		kvm_set_host_irq_handler(LOCAL_TIMER_VECTOR, host_timer_interrupt);
		apic_write(APIC_SPIV, 0x1ff);
		apic_write(APIC_TDCR, APIC_TDR_DIV_1);
		apic_write(APIC_LVTT, APIC_LVT_PERIODIC | LOCAL_TIMER_VECTOR);
		apic_write(APIC_TMICT, HOST_TICK);
		r = run_guests(&g, 1);
		apic_write(APIC_TMICT, 0);
		apic_write(APIC_LVTT, APIC_LVT_MASKED | LOCAL_TIMER_VECTOR);
		kvm_set_host_irq_handler(LOCAL_TIMER_VECTOR, NULL);
		say("host: %u timer interrupts handled, ISR 255:224 0x%x, irq_exits %llu\n", host_timer_ticks,
		    apic_read(APIC_ISR_EC), (unsigned long long)g.vcpu->stat.irq_exits);
		if (host_timer_ticks != g.vcpu->stat.irq_exits || !host_timer_ticks)
			r = -1;
	}
	guest_destroy(&g);
	return r;
}

/* Interrupts an MSI delivers, several at once (guests/vm_msi, guests/td_posted):
 * at the guest's doorbell, an OUT of a count to port 510H, user space sends that
 * many MSIs to its APIC ID (KVM_SIGNAL_MSI), out of priority order, before its
 * next KVM_RUN. A VM's vCPU keeps them in its IRR and kvmlike injects the highest
 * first, the next at each interrupt window; a TD's are posted in the PIR
 * (tdx_deliver_interrupt), and the next TDH.VP.ENTER follows a self-IPI of the
 * notification vector, which the entry processes: the TD takes them by priority
 * through virtual-interrupt delivery, sees each in service and EOIs it through its
 * virtual APIC, with no TD exit for any of it. Either guest prints the vectors in
 * the order it took them (60H 50H 40H) and halts. */
#define DOORBELL 0x510
static const uint8_t doorbell_vectors[] = { 0x40, 0x60, 0x50 };

static int ring_doorbell(struct guest *g, unsigned count)
{
	if (count > sizeof(doorbell_vectors)) {
		say("%s: doorbell for %u MSIs; the scenario has %zu\n", g->name, count, sizeof(doorbell_vectors));
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		struct kvm_msi msi = { .address_lo = 0xfee00000u | (uint32_t)g->vcpu->vcpu_id << 12,
				       .data = doorbell_vectors[i] };
		int e = kvm_vm_signal_msi(g->kvm, &msi);
		say("%s: KVM_SIGNAL_MSI of vector 0x%x to APIC ID %u: %d\n", g->name, doorbell_vectors[i],
		    g->vcpu->vcpu_id, e);
		if (e != 1)
			return -1;
	}
	return 0;
}

/* The guest set up by `setup` from `img`, run to its HLT, its doorbell answered. */
static int run_with_doorbell(struct guest *g, int (*setup)(struct guest *, const uint8_t *, uint64_t),
			     const uint8_t *img, uint64_t len)
{
	unsigned n = 0;
	int r = setup(g, img, len) ? -1 : 0;
	for (int st = 0; !r && !st && n < MAX_EXITS; n++) {
		st = guest_step(g);
		const struct kvm_run *run = g->vcpu->run;
		if (!st && run->exit_reason == KVM_EXIT_IO && run->io.port == DOORBELL)
			r = ring_doorbell(g, *((const uint8_t *)run + run->io.data_offset));
	}
	if (!r && !g->halted)
		r = -1;
	guest_destroy(g);
	return r;
}

static int scenario_td_posted_interrupt(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	return run_with_doorbell(&g, td_setup_image, vtsim_guest_td_posted, vtsim_guest_td_posted_len);
}

static int scenario_vm_msi_priority(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	return run_with_doorbell(&g, vm_setup_image, vtsim_guest_vm_msi, vtsim_guest_vm_msi_len);
}

/* The VM and the TD on two LPs, each moved to the other LP halfway: the VM's
 * VMCS is cleared on the LP it leaves and launched again on the new one, the TD's
 * vCPU is flushed (TDH.VP.FLUSH) on the LP it leaves. Needs two LPs online (the
 * hosted build with --cpus 2, the image under `vtsim run --cpus 2`); with one it
 * says so. */
#define MIGRATE_AFTER 100
static int scenario_vm_and_td_2lp(void)
{
	if (num_online_cpus() < 2) {
		say("vm_and_td_2lp: skipped, %u LP online\n", num_online_cpus());
		return 0;
	}
	struct guest g[2] = { { .name = "vm", .type = KVM_X86_DEFAULT_VM },
			      { .name = "td", .type = KVM_X86_TDX_VM } };
	int st[2] = { 0, 0 }, r = 0;
	if (vm_setup(&g[0]) || td_setup(&g[1]))
		st[0] = st[1] = -1;
	for (unsigned k = 0; k < MAX_EXITS && (!st[0] || !st[1]); k++) {
		for (unsigned i = 0; i < 2; i++) {
			if (st[i])
				continue;
			unsigned lp = (i + (k >= MIGRATE_AFTER)) % 2;   /* the user thread's LP */
			if (k == MIGRATE_AFTER || k == 0)
				say("%s: runs on LP %u\n", g[i].name, lp);
			kvm_set_current_cpu(lp);
			st[i] = guest_step(&g[i]);
		}
	}
	kvm_set_current_cpu(0);
	for (unsigned i = 0; i < 2; i++) {
		if (st[i] != 1)
			r = -1;
		else
			print_exit_counts(&g[i]);
	}
	guest_destroy(&g[1]);
	guest_destroy(&g[0]);
	return r;
}

/* ---- each KVM_TDX_* command's refusals, with the errno and hw_error Linux's KVM
 * gives (arch/x86/kvm/vmx/tdx.c and main.c) ---------------------------------------- */

/* One command's outcome, said and checked: 0 when it is `want` with `want_hw`. */
static int expect_cmd(const struct guest *g, const char *what, int e, const struct kvm_tdx_cmd *c, int want,
		      uint64_t want_hw)
{
	say("%s: %s: error %d, hw_error 0x%016llx\n", g->name, what, e, (unsigned long long)c->hw_error);
	if (e == want && c->hw_error == want_hw)
		return 0;
	say("%s: %s: expected error %d, hw_error 0x%016llx\n", g->name, what, want, (unsigned long long)want_hw);
	return -1;
}

static int vm_op(struct guest *g, const char *what, uint32_t id, uint32_t flags, const void *data,
		 int want, uint64_t want_hw)
{
	struct kvm_tdx_cmd c = { .id = id, .flags = flags, .data = (uint64_t)(uintptr_t)data };
	return expect_cmd(g, what, kvm_memory_encrypt_op(g->kvm, &c), &c, want, want_hw);
}

static int vcpu_op(struct guest *g, const char *what, uint32_t id, uint32_t flags, const void *data, int want)
{
	struct kvm_tdx_cmd c = { .id = id, .flags = flags, .data = (uint64_t)(uintptr_t)data };
	return expect_cmd(g, what, kvm_vcpu_memory_encrypt_op(g->vcpu, &c), &c, want, 0);
}

/* The TD commands on an ordinary VM: the VM's is not a TD (-ENOTTY), nor its
 * vCPU's (-EINVAL). */
static int cmd_errors_on_a_vm(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = -1, e = kvm_create_vm(KVM_X86_DEFAULT_VM, &g.kvm);
	if (!e && !(e = kvm_create_vcpu(g.kvm, 0, &g.vcpu)))
		r = vm_op(&g, "KVM_TDX_CAPABILITIES on a VMX VM", KVM_TDX_CAPABILITIES, 0, NULL, -ENOTTY, 0) |
		    vcpu_op(&g, "KVM_TDX_INIT_VCPU on a VMX vCPU", KVM_TDX_INIT_VCPU, 0, NULL, -EINVAL);
	else
		fail(&g, "a VMX VM", e);
	guest_destroy(&g);
	return r;
}

/* INIT_VM's refusals, each request wrong in one way (room for one CPUID entry). */
static int init_vm_refusals(struct guest *g)
{
	const uint64_t size = sizeof(struct kvm_tdx_init_vm) + sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_init_vm *init = kvm_userspace_alloc(size);
	struct kvm_tdx_capabilities *caps = kvm_userspace_alloc(PAGE_SIZE);
	if (!init || !caps) {
		kvm_userspace_free(init, size);
		kvm_userspace_free(caps, PAGE_SIZE);
		return fail(g, "memory for INIT_VM", -ENOMEM);
	}
	int r = 0;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_CAPABILITIES, .data = (uint64_t)(uintptr_t)caps, .hw_error = 1 };
	r |= expect_cmd(g, "a command with hw_error set", kvm_memory_encrypt_op(g->kvm, &c), &c, -EINVAL, 1);
	r |= vm_op(g, "an unknown command (99)", 99, 0, NULL, -EINVAL, 0);
	r |= vm_op(g, "KVM_TDX_CAPABILITIES with flags", KVM_TDX_CAPABILITIES, 1, caps, -EINVAL, 0);
	caps->cpuid.nent = 0;
	r |= vm_op(g, "KVM_TDX_CAPABILITIES with no room for the CPUID leaves", KVM_TDX_CAPABILITIES, 0, caps,
		   -E2BIG, 0);
	r |= vm_op(g, "KVM_TDX_FINALIZE_VM before INIT_VM", KVM_TDX_FINALIZE_VM, 0, NULL, -EINVAL, 0);
	struct kvm_vcpu *vcpu;
	int e = kvm_create_vcpu(g->kvm, 0, &vcpu);
	say("td: KVM_CREATE_VCPU before INIT_VM: error %d\n", e);
	r |= e == -EIO ? 0 : -1;
	init->xfam = 3;
	r |= vm_op(g, "KVM_TDX_INIT_VM with flags", KVM_TDX_INIT_VM, 1, init, -EINVAL, 0);
	init->cpuid.nent = KVM_MAX_CPUID_ENTRIES + 1;
	r |= vm_op(g, "KVM_TDX_INIT_VM with too many CPUID entries", KVM_TDX_INIT_VM, 0, init, -E2BIG, 0);
	init->cpuid.nent = 0;
	init->reserved[3] = 1;
	r |= vm_op(g, "KVM_TDX_INIT_VM with a reserved field set", KVM_TDX_INIT_VM, 0, init, -EINVAL, 0);
	init->reserved[3] = 0;
	init->attributes = 1ull << 30;
	r |= vm_op(g, "KVM_TDX_INIT_VM with an unsupported attribute", KVM_TDX_INIT_VM, 0, init, -EINVAL, 0);
	init->attributes = 0;
	init->xfam = 3 | 1ull << 9;
	r |= vm_op(g, "KVM_TDX_INIT_VM with an unsupported XFAM bit", KVM_TDX_INIT_VM, 0, init, -EINVAL, 0);
	init->xfam = 3;
	init->cpuid.nent = 1;
	init->cpuid.entries[0] = (struct kvm_cpuid_entry2){ .function = 0x40000000 };
	r |= vm_op(g, "KVM_TDX_INIT_VM with a CPUID leaf the module does not configure", KVM_TDX_INIT_VM, 0, init,
		   -EINVAL, 0);
	/* A configurable leaf with a bit that is not: TDH.MNG.INIT refuses it,
	 * OPERAND_INVALID with the CPUID_CONFIG operand id, which user space gets. */
	init->cpuid.entries[0] = (struct kvm_cpuid_entry2){ .function = 1, .ebx = 0x05000000 };
	r |= vm_op(g, "KVM_TDX_INIT_VM with a CPUID bit that is not configurable", KVM_TDX_INIT_VM, 0, init,
		   -EINVAL, TDX_OPERAND_INVALID | 69);
	kvm_userspace_free(init, size);
	kvm_userspace_free(caps, PAGE_SIZE);
	return r;
}

/* INIT_MEM_REGION refused before anything is added: `gpa`, `pages`, `flags`. */
static int mem_region_op(struct guest *g, const char *what, uint64_t src, uint64_t gpa, uint64_t pages,
			 uint32_t flags, int want)
{
	struct kvm_tdx_init_mem_region region = { .source_addr = src, .gpa = gpa, .nr_pages = pages };
	return vcpu_op(g, what, KVM_TDX_INIT_MEM_REGION, flags, &region, want);
}

/* KVM_RUN of a vCPU that may not run yet (vcpu_pre_run): -EINVAL, no TDH.VP.ENTER. */
static int run_refused(struct guest *g, const char *what)
{
	int e = kvm_vcpu_run(g->vcpu);
	say("%s: KVM_RUN %s: error %d\n", g->name, what, e);
	return e == -EINVAL ? 0 : -1;
}

static int vcpu_cmd_refusals(struct guest *g)
{
	uint64_t src = (uint64_t)(uintptr_t)g->source, fw = TD_FW_TOP - g->fw_size;
	int r = mem_region_op(g, "KVM_TDX_INIT_MEM_REGION before INIT_VCPU", src, fw, 1, 0, -EINVAL);
	r |= run_refused(g, "before KVM_TDX_INIT_VCPU");
	r |= vcpu_op(g, "KVM_TDX_INIT_VCPU with flags", KVM_TDX_INIT_VCPU, 1, NULL, -EINVAL);
	r |= vcpu_op(g, "KVM_TDX_INIT_VCPU", KVM_TDX_INIT_VCPU, 0, NULL, 0);
	r |= run_refused(g, "before KVM_TDX_FINALIZE_VM");
	r |= vcpu_op(g, "KVM_TDX_INIT_VCPU again", KVM_TDX_INIT_VCPU, 0, NULL, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION with unknown flags", src, fw, 1, 2, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION of no pages", src, fw, 0, 0, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION at a GPA not page-aligned", src, fw + 8, 1, 0, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION at a shared GPA", src, fw | 1ull << 47, 1, 0, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION running into the shared GPAs", src, (1ull << 47) - PAGE_SIZE,
			   2, 0, -EINVAL);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION from kernel memory", (uint64_t)(uintptr_t)g->vcpu->run, fw,
			   1, 0, -EFAULT);
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION of the first page", src, fw, 1, KVM_TDX_MEASURE_MEMORY_REGION,
			   0);
	/* TDH.MEM.PAGE.ADD refuses the page (its entry is MAPPED): -EIO. */
	r |= mem_region_op(g, "KVM_TDX_INIT_MEM_REGION of the same page again", src, fw, 1, 0, -EIO);
	return r;
}

/* Each KVM_TDX_* command's refusals, in the order a VMM meets them, then the
 * commands a finalized TD refuses; a TD finalized without a vCPU (the module's
 * NO_VCPUS, -EIO with hw_error). The TDs are torn down without running. */
static int scenario_tdx_cmd_error(void)
{
	int r = cmd_errors_on_a_vm();
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	struct kvm_tdx_init_vm *init = NULL;
	if (td_vm(&g, vtsim_guest_td_hello, vtsim_guest_td_hello_len) || init_vm_refusals(&g) || td_init_vm(&g)) {
		r = -1;
		goto out;
	}
	init = kvm_userspace_alloc(sizeof(*init));
	r |= init ? vm_op(&g, "KVM_TDX_INIT_VM again", KVM_TDX_INIT_VM, 0, init, -EINVAL, 0) : -1;
	int e = kvm_create_vcpu(g.kvm, 0, &g.vcpu);
	if (e) {
		r = fail(&g, "KVM_CREATE_VCPU", e);
		goto out;
	}
	r |= vcpu_cmd_refusals(&g);
	r |= vm_op(&g, "KVM_TDX_FINALIZE_VM", KVM_TDX_FINALIZE_VM, 0, NULL, 0, 0);
	r |= vm_op(&g, "KVM_TDX_FINALIZE_VM again", KVM_TDX_FINALIZE_VM, 0, NULL, -EINVAL, 0);
	r |= mem_region_op(&g, "KVM_TDX_INIT_MEM_REGION after FINALIZE_VM", (uint64_t)(uintptr_t)g.source,
			   TD_FW_TOP - PAGE_SIZE, 1, 0, -EINVAL);
	r |= vcpu_op(&g, "KVM_TDX_GET_CPUID after FINALIZE_VM", KVM_TDX_GET_CPUID, 0, NULL, -EINVAL);
	guest_destroy(&g);
	g = (struct guest){ .name = "td", .type = KVM_X86_TDX_VM };
	if (td_vm(&g, vtsim_guest_td_hello, vtsim_guest_td_hello_len) || td_init_vm(&g))
		r = -1;
	else
		r |= vm_op(&g, "KVM_TDX_FINALIZE_VM of a TD without a vCPU", KVM_TDX_FINALIZE_VM, 0, NULL, -EIO,
			   TDX_NO_VCPUS);
out:
	kvm_userspace_free(init, sizeof(*init));
	guest_destroy(&g);
	return r;
}

/* ---- the irqchip: KVM_CAP_SPLIT_IRQCHIP, KVM_CREATE_IRQCHIP and what needs one,
 * with Linux's errors (arch/x86/kvm/x86.c, virt/kvm/irqchip.c, vmx/tdx.c) ---- */

static int expect_err(const struct guest *g, const char *what, int e, int want)
{
	say("%s: %s: error %d\n", g->name, what, e);
	if (e == want)
		return 0;
	say("%s: %s: expected error %d\n", g->name, what, want);
	return -1;
}

static int split_cap(struct guest *g, uint32_t flags, uint64_t routes)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .flags = flags, .args = { routes } };
	return kvm_vm_enable_cap(g->kvm, &cap);
}

static int msi_to(struct guest *g, unsigned apic_id, uint32_t flags)
{
	struct kvm_msi msi = { .address_lo = 0xfee00000u | apic_id << 12, .data = 0x40, .flags = flags };
	return kvm_vm_signal_msi(g->kvm, &msi);
}

/* A VM: KVM_SIGNAL_MSI needs the irqchip, which only the cap gives, once and
 * before the vCPUs; with it KVM_INTERRUPT holds one ExtINT at a time. */
static int irqchip_vm(struct guest *g)
{
	struct kvm_interrupt irq = { .irq = 0x20 };
	int r = expect_err(g, "KVM_SIGNAL_MSI without an irqchip", msi_to(g, 0, 0), -EINVAL);
	r |= expect_err(g, "KVM_CREATE_IRQCHIP", kvm_vm_create_irqchip(g->kvm), -ENOTTY);
	r |= expect_err(g, "KVM_CAP_SPLIT_IRQCHIP with flags", split_cap(g, 1, 24), -EINVAL);
	r |= expect_err(g, "KVM_CAP_SPLIT_IRQCHIP of 4097 routes", split_cap(g, 0, KVM_MAX_IRQ_ROUTES + 1), -EINVAL);
	r |= expect_err(g, "KVM_CAP_SPLIT_IRQCHIP of 4096 routes", split_cap(g, 0, KVM_MAX_IRQ_ROUTES), 0);
	r |= expect_err(g, "KVM_CAP_SPLIT_IRQCHIP again", split_cap(g, 0, 24), -EEXIST);
	r |= expect_err(g, "KVM_SIGNAL_MSI with a flag past KVM_MSI_VALID_DEVID", msi_to(g, 0, 2), -EINVAL);
	r |= expect_err(g, "KVM_SIGNAL_MSI to APIC ID 5, no such vCPU", msi_to(g, 5, KVM_MSI_VALID_DEVID), 0);
	int e = kvm_create_vcpu(g->kvm, 0, &g->vcpu);
	if (e)
		return fail(g, "KVM_CREATE_VCPU", e);
	r |= expect_err(g, "KVM_INTERRUPT", kvm_vcpu_interrupt(g->vcpu, &irq), 0);
	r |= expect_err(g, "KVM_INTERRUPT while one waits", kvm_vcpu_interrupt(g->vcpu, &irq), -EEXIST);
	return r;
}

/* A VM given its vCPU first: too late for the irqchip. */
static int irqchip_after_vcpu(struct guest *g)
{
	int e = kvm_create_vcpu(g->kvm, 0, &g->vcpu);
	if (e)
		return fail(g, "KVM_CREATE_VCPU", e);
	return expect_err(g, "KVM_CAP_SPLIT_IRQCHIP after KVM_CREATE_VCPU", split_cap(g, 0, 24), -EEXIST);
}

/* A TD: no in-kernel I/O APIC ever, and no vCPU without the split irqchip. */
static int irqchip_td(struct guest *g)
{
	int r = expect_err(g, "KVM_CREATE_IRQCHIP", kvm_vm_create_irqchip(g->kvm), -ENOTTY);
	if (td_init_vm(g))
		return -1;
	struct kvm_vcpu *vcpu;
	r |= expect_err(g, "KVM_CREATE_VCPU without an irqchip", kvm_create_vcpu(g->kvm, 0, &vcpu), -EINVAL);
	r |= expect_err(g, "KVM_CAP_SPLIT_IRQCHIP", split_cap(g, 0, 24), 0);
	r |= expect_err(g, "KVM_CREATE_VCPU", kvm_create_vcpu(g->kvm, 0, &g->vcpu), 0);
	return r;
}

static int scenario_irqchip(void)
{
	static int (*const steps[])(struct guest *) = { irqchip_vm, irqchip_after_vcpu, irqchip_td };
	static const unsigned long types[] = { KVM_X86_DEFAULT_VM, KVM_X86_DEFAULT_VM, KVM_X86_TDX_VM };
	int r = 0;
	for (unsigned i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct guest g = { .name = types[i] == KVM_X86_TDX_VM ? "td" : "vm", .type = types[i] };
		int e = kvm_create_vm(types[i], &g.kvm);
		r |= e ? fail(&g, "KVM_CREATE_VM", e) : steps[i](&g);
		guest_destroy(&g);
	}
	return r;
}

/* A TD whose private memory comes in 2 MiB pages (guests/td_large.asm): a
 * memslot of 4 MiB at 2 MiB whose guest_memfd starts there (2 MiB pages of the
 * file line up with the GPAs'), so kvmlike maps
 * the guest's 2 MiB ACCEPTs with one TDH.MEM.PAGE.AUG at level 1, splits a 2 MiB
 * page (DEMOTE) when 4 KiB of it turns shared, and removes a 2 MiB page whole
 * when all of it does. */
static int scenario_td_large_pages(void)
{
	struct guest g = { .name = "td", .type = KVM_X86_TDX_VM };
	int r = -1;
	if (td_create(&g, vtsim_guest_td_large, vtsim_guest_td_large_len) ||
	    td_add_firmware(&g, g.fw_size >> PAGE_SHIFT))
		goto out;
	g.large = kvm_userspace_alloc(TD_LARGE_SIZE);
	if (!g.large) {
		fail(&g, "memory for the 2 MiB memslot", -ENOMEM);
		goto out;
	}
	if (td_slot(&g, 2, TD_LARGE_GPA, TD_LARGE_SIZE, g.large))
		goto out;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_FINALIZE_VM };
	if (tdx_cmd(&g, "KVM_TDX_FINALIZE_VM", kvm_memory_encrypt_op(g.kvm, &c), &c) || run_guests(&g, 1))
		goto out;
	const struct kvm_vcpu_stat *st = &g.vcpu->stat;
	say("td: private pages mapped: %llu, %llu of them at 2 MiB; 2 MiB pages split: %llu\n",
	    (unsigned long long)st->ept_maps, (unsigned long long)st->ept_maps_2m,
	    (unsigned long long)g.kvm->stat.ept_splits);
	const char *shared = (const char *)g.large + 0x300000;       /* GPA 0x500000 */
	say("td: the host reads GPA 0x500000: \"%s\"\n", shared);
	r = st->ept_maps_2m == 2 && g.kvm->stat.ept_splits == 1 && !memcmp(shared, "shared 2 MiB page", 18) ? 0 : -1;
out:
	guest_destroy(&g);
	return r;
}

/* Two VMs by turns on one LP (on two, moving between them, in the 2-LP runs): each
 * (guests/vm_fpu.asm) puts its pattern in XMM0, ST0, IA32_STAR and XCR0 and finds
 * them again after the other's turns, which kvmlike's vcpu_load/put swap. */
static int scenario_vm_register_files(void)
{
	static const uint64_t seed[2] = { 0x1122334455667702ull, 0x0877665544332211ull };
	struct guest g[2] = { { .name = "vm1", .type = KVM_X86_DEFAULT_VM },
			      { .name = "vm2", .type = KVM_X86_DEFAULT_VM } };
	int r = 0;
	for (int i = 0; i < 2 && !r; i++) {
		r = vm_setup_image(&g[i], vtsim_guest_vm_fpu, vtsim_guest_vm_fpu_len);
		if (!r)
			memcpy(g[i].mem + GUEST_LOAD + 8, &seed[i], 8);   /* the image's `seed` */
	}
	if (!r)
		r = run_guests(g, 2);
	guest_destroy(&g[1]);
	guest_destroy(&g[0]);
	return r;
}

/* 32-bit protected mode without paging: flat code and data at 08H and 10H of
 * the boot GDT (the guest loads its own, which has them too), and TR naming the
 * guest's TSS, busy, at VM_GUEST_TSS (selector `tr` of the guest's GDT). */
#define VM_GUEST_TSS 0x102000ull
static void protected_mode_sregs(struct kvm_sregs *s, uint16_t tr)
{
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	s->cs = code;
	s->ds = s->es = s->ss = s->fs = s->gs = data;
	s->tr = (struct kvm_segment){ .base = VM_GUEST_TSS, .limit = 0x67, .selector = tr, .type = 0xb,
				      .present = 1 };
	s->cr0 = 0x11;             /* PE, ET */
	s->cr3 = 0;
	s->cr4 = 0;
	s->efer = 0;
}

/* Task switches in a VM (guests/vm_task.asm): each is VM exit 9, which kvmlike
 * performs for the guest (JMP, CALL through a task gate, IRET with NT, #GP, #TS
 * and #NP through IDT task gates, #TS in the new task); the guest prints what
 * each task sees. */
/* A 32-bit guest image, entered as protected_mode_sregs says. */
static int vm_setup_protected(struct guest *g, const uint8_t *img, uint64_t len, uint16_t tr)
{
	if (vm_setup_image(g, img, len))
		return -1;
	struct kvm_sregs sregs;
	kvm_vcpu_get_sregs(g->vcpu, &sregs);
	protected_mode_sregs(&sregs, tr);
	int e = kvm_vcpu_set_sregs(g->vcpu, &sregs);
	return e ? fail(g, "KVM_SET_SREGS", e) : 0;
}

static int scenario_vm_task_switch(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = vm_setup_protected(&g, vtsim_guest_vm_task, vtsim_guest_vm_task_len, 0x18) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

/* An MMIO instruction kvmlike cannot emulate (guests/vm_emul_fail.asm): at CPL 0
 * KVM_RUN ends with KVM_EXIT_INTERNAL_ERROR, KVM_INTERNAL_ERROR_EMULATION (its words
 * printed: flags, the instruction's bytes, the exit information), and the #UD
 * kvmlike queued with it reaches the guest at the next KVM_RUN; at CPL 3 the
 * guest gets the #UD alone. */
static int scenario_vm_emulation_failure(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = -1;
	if (!vm_setup_protected(&g, vtsim_guest_vm_emul_fail, vtsim_guest_vm_emul_fail_len, 0x28)) {
		int st;
		while (!(st = guest_step(&g)))
			;
		const struct kvm_run *run = g.vcpu->run;
		if (st == -1 && run->exit_reason == KVM_EXIT_INTERNAL_ERROR &&
		    run->emulation_failure.suberror == KVM_INTERNAL_ERROR_EMULATION) {
			say("vm: emulation failure: flags 0x%llx, %u instruction bytes:", (unsigned long long)run->emulation_failure.flags,
			    run->emulation_failure.insn_size);
			for (unsigned i = 0; i < sizeof(run->emulation_failure.insn_bytes); i++)
				printk(" %02x", run->emulation_failure.insn_bytes[i]);
			printk("\n");
			r = run_guests(&g, 1);
		}
	}
	guest_destroy(&g);
	return r;
}

/* #DB and #AC, which kvmlike intercepts as Linux does (guests/vm_debug.asm): a single
 * step's #DB handler reads DR6 with BS set (the exit's payload put into the DR6
 * kvmlike keeps for the guest), and a misaligned load at CPL 3 with CR0.AM and
 * RFLAGS.AC gets #AC(0) at the load. */
static int scenario_vm_debug(void)
{
	struct guest g = { .name = "vm", .type = KVM_X86_DEFAULT_VM };
	int r = vm_setup_image(&g, vtsim_guest_vm_debug, vtsim_guest_vm_debug_len) ? -1 : run_guests(&g, 1);
	guest_destroy(&g);
	return r;
}

static const struct {
	const char *name;
	int (*run)(void);
} scenarios[] = {
	{ "td_fail_entry", scenario_td_fail_entry },   /* first: it owns the run's first VM entry */
	{ "td_machine_check", scenario_td_machine_check },   /* the first entry that completes */
	{ "vm_machine_check", scenario_vm_machine_check },   /* the second */
	{ "vm_lifecycle", scenario_vm },
	{ "td_lifecycle", scenario_td },
	{ "vm_exit_paths", scenario_vm_exit_paths },
	{ "vm_exit_handlers", scenario_vm_exit_handlers },
	{ "vm_delivery_ev", scenario_vm_delivery_ev },
	{ "vm_host_timer", scenario_vm_host_timer },
	{ "td_user_exits", scenario_td_user_exits },
	{ "vm_and_td", scenario_vm_and_td },
	{ "vm_and_td_2lp", scenario_vm_and_td_2lp },
	{ "tdx_cmd_error", scenario_tdx_cmd_error },
	{ "irqchip", scenario_irqchip },
	{ "td_large_pages", scenario_td_large_pages },
	{ "td_exits_beyond", scenario_td_exits_beyond },
	{ "td_posted_interrupt", scenario_td_posted_interrupt },
	{ "vm_msi_priority", scenario_vm_msi_priority },
	{ "vm_register_files", scenario_vm_register_files },
	{ "vm_task_switch", scenario_vm_task_switch },
	{ "vm_emulation_failure", scenario_vm_emulation_failure },
	{ "vm_debug", scenario_vm_debug },
};

static void print_vt_calls(void)
{
	say("vt_ ops called (to vmx_, to tdx_):\n");
	for (unsigned op = 0; op < NR_KVM_X86_OPS; op++)
		if (kvm_x86_op_calls[op][0] || kvm_x86_op_calls[op][1])
			printk("  %s %llu %llu\n", kvm_x86_op_names[op], (unsigned long long)kvm_x86_op_calls[op][0],
			       (unsigned long long)kvm_x86_op_calls[op][1]);
}

int kvm_scenarios_main(void)
{
	kvm_set_trace_sink(&sink);
	say("scenario kvm_init\n");
	int e = kvm_init();
	trace_flush();
	if (e) {
		say("kvm_init: error %d\n", e);
		return 1;
	}
	say("VM types: 0x%x\n", kvm_vm_types());
	int failed = 0;
	for (unsigned i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		uint64_t before = kvm_pages_in_use();
		say("scenario %s\n", scenarios[i].name);
		int r = scenarios[i].run();
		uint64_t after = kvm_pages_in_use();
		say("%s: %s; pages owned after teardown: %lld\n", scenarios[i].name, r ? "FAILED" : "ok",
		    (long long)(after - before));
		failed |= r || after != before;
	}
	print_vt_calls();
	kvm_exit();
	kvm_set_trace_sink(NULL);
	say("scenarios: %s\n", failed ? "FAILED" : "all ok");
	return failed;
}
