/* The user-space VMM of tools/vmm.h. */
#include "tools/vmm.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "kvmlike/kvm.h"
#include "sim/cpu/loader.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "kvmlike/runtime_hosted.h"
#include "vtsim/hosted.h"

#define GUEST_MEM      (8ull << 20)
#define GUEST_LOAD     0x100000ull
#define GUEST_STACK    0x80000ull
#define GUEST_GDT      0x500ull
#define GUEST_PML4     0x1000ull      /* then the PDPT and four PDs: 0-4 GiB */
#define DEVICE_BASE    0xd0000000ull
#define DEVICE_ID      0x4b564d31u    /* "1MVK" */
/* Memory at 0 a TD may accept or share: 6 MiB, so that guests/td_large finds the
 * two 2 MiB pages it accepts at 2 and 4 MiB (the guest_memfd's offsets are the
 * GPAs there, so kvmlike may map them at 2 MiB). */
#define TD_LOW_MEM     (6ull << 20)
#define TD_FW_TOP    0x100000000ull         /* the image ends at 4 GiB */
#define TD_SHARED_PAGE 0x1ff000ull            /* the page td_hello shares with the host */
#define TD_DEVICE_BASE 0x30000000ull          /* the device for a TD: shared GPA 0x30000000 */

static int failf(struct vmm_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	return -1;
}

/* KVM_EXIT_INTERNAL_ERROR in Linux's layouts: an emulation failure with the
 * instruction's bytes gives them and the exit information after them (reason,
 * info1, info2, interruption information, error code: get_exit_info's order);
 * the other suberrors give their data words. */
static int internal_error(struct vmm_report *r, const struct kvm_run *run)
{
	const char *what[] = { [KVM_INTERNAL_ERROR_EMULATION] = "emulation failed",
			       [KVM_INTERNAL_ERROR_SIMUL_EX] = "an exception while delivering an event",
			       [KVM_INTERNAL_ERROR_DELIVERY_EV] = "an exit while delivering an event",
			       [KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "an exit reason kvmlike does not handle" };
	unsigned sub = run->internal.suberror, n = run->internal.ndata < 16 ? run->internal.ndata : 16;
	char words[400] = "";
	size_t len = 0;
	unsigned first = 0;
	if (sub == KVM_INTERNAL_ERROR_EMULATION && n >= 3 &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned size = run->emulation_failure.insn_size <= 15 ? run->emulation_failure.insn_size : 15;
		len += (size_t)snprintf(words + len, sizeof(words) - len, ", instruction");
		for (unsigned i = 0; i < size && len < sizeof(words); i++)
			len += (size_t)snprintf(words + len, sizeof(words) - len, " %02x",
						run->emulation_failure.insn_bytes[i]);
		if (len < sizeof(words))
			len += (size_t)snprintf(words + len, sizeof(words) - len, "; exit information");
		first = 3;
	} else if (len < sizeof(words)) {
		len += (size_t)snprintf(words + len, sizeof(words) - len, ", data");
	}
	for (unsigned i = first; i < n && len < sizeof(words); i++)
		len += (size_t)snprintf(words + len, sizeof(words) - len, " 0x%llx",
					(unsigned long long)run->internal.data[i]);
	return failf(r, "KVM_EXIT_INTERNAL_ERROR: suberror %u (%s)%s", sub,
		     sub < sizeof(what) / sizeof(what[0]) && what[sub] ? what[sub] : "unknown", words);
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

static void handle_mmio(struct kvm_vcpu *vcpu, uint64_t device_base, struct vmm_report *r)
{
	struct kvm_run *run = vcpu->run;
	uint64_t off = run->mmio.phys_addr - device_base;
	if (run->mmio.is_write) {
		if (off == 4)
			memcpy(&r->device_command, run->mmio.data, 4);
		return;
	}
	uint32_t v = off == 0 ? DEVICE_ID : 0xffffffffu;   /* unclaimed addresses float */
	memcpy(run->mmio.data, &v, run->mmio.len < 4 ? run->mmio.len : 4);
}

/* One guest under kvmlike: its VM, vCPU and memory, and its console, which is
 * printed a line at a time (with a prefix when guests share the terminal). */
struct vmm_guest {
	unsigned long type;
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem, *firmware, *source;
	uint64_t mem_size, firmware_size;
	int gmem_fd;               /* a TD's guest_memfd: low memory, then the image */
	FILE *console;
	const char *prefix;
	char line[256];
	size_t linelen;
	struct vmm_report *r;
};

static void console_putc(struct vmm_guest *g, char c)
{
	if (!g->prefix) {
		fputc(c, g->console);
		return;
	}
	if (c != '\n' && g->linelen < sizeof(g->line) - 1) {
		g->line[g->linelen++] = c;
		return;
	}
	fprintf(g->console, "%s%.*s\n", g->prefix, (int)g->linelen, g->line);
	g->linelen = 0;
}

static void handle_io(struct vmm_guest *g)
{
	struct kvm_run *run = g->vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	if (run->io.direction == KVM_EXIT_IO_OUT) {
		if (run->io.port == 0x3f8 || run->io.port == 0xe9)
			console_putc(g, (char)data[0]);
		return;
	}
	/* COM1's line status says "transmitter empty"; nothing else is there. */
	memset(data, run->io.port == 0x3fd ? 0x60 : 0xff, run->io.size);
}

/* ---- the quoting service a TD's GetQuote reaches (QEMU forwards it to the host's
 * quote generation service; here user space is that service) ---- */

#define QUOTE_MAGIC "VTSIMQ01"
#define QUOTE_HDR   24                /* GHCI quote buffer: version, status, in_len, out_len */

/* The simulated platform's attestation key (Ed25519, from a fixed seed: the same
 * quote for the same report, run after run). */
static const uint8_t attestation_seed[32] = "vtsim simulated attestation key";

/* The quote for a TDREPORT: the magic, the report, and an Ed25519 signature of
 * both; its length, or 0. */
static size_t make_quote(const uint8_t report[1024], uint8_t *out, size_t room)
{
	size_t body = sizeof(QUOTE_MAGIC) - 1 + 1024, sig = 64;
	if (room < body + sig)
		return 0;
	memcpy(out, QUOTE_MAGIC, sizeof(QUOTE_MAGIC) - 1);
	memcpy(out + sizeof(QUOTE_MAGIC) - 1, report, 1024);
	EVP_PKEY *key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, attestation_seed, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = key && ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		  EVP_DigestSign(ctx, out + body, &sig, out, body) == 1 && sig == 64;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok ? body + sig : 0;
}

/* GetQuote: the buffer (shared, in the guest's memory) holds a TDREPORT; a report
 * this platform made (its MAC checks, what the quoting enclave has the CPU verify)
 * gets a quote and status 0, anything else the GHCI's error status. */
#define QUOTE_STATUS_ERROR 0x8000000000000000ull
static void handle_get_quote(struct vmm_guest *g, struct kvm_run *run)
{
	uint64_t gpa = run->tdx.get_quote.gpa, size = run->tdx.get_quote.size;
	if (gpa > g->mem_size || size < QUOTE_HDR || size > g->mem_size - gpa) {
		run->tdx.get_quote.ret = 0x8000000000000000ull;      /* INVALID_OPERAND */
		return;
	}
	uint8_t *buf = g->mem + gpa;
	uint64_t version, status = QUOTE_STATUS_ERROR;
	uint32_t in_len, out_len = 0;
	memcpy(&version, buf, 8);
	memcpy(&in_len, buf + 16, 4);
	if (version == 1 && in_len == 1024 && size - QUOTE_HDR >= 1024 && tdx_report_verify(buf + QUOTE_HDR)) {
		uint8_t report[1024];
		memcpy(report, buf + QUOTE_HDR, sizeof(report));
		out_len = (uint32_t)make_quote(report, buf + QUOTE_HDR, size - QUOTE_HDR);
		if (out_len)
			status = 0;
	}
	memcpy(buf + 8, &status, 8);
	memcpy(buf + 20, &out_len, 4);
	g->r->quotes++;
	run->tdx.get_quote.ret = 0;
}

/* KVM_EXIT_TDX: the TDVMCALLs KVM leaves to user space. */
static void handle_tdx_exit(struct vmm_guest *g)
{
	struct kvm_run *run = g->vcpu->run;
	switch (run->tdx.nr) {
	case 0x10000:                          /* GetTdVmCallInfo(1): GetQuote served */
		run->tdx.get_tdvmcall_info.r11 = 1u << 2;
		break;
	case 0x10002:
		handle_get_quote(g, run);
		break;
	default:                               /* left SUBFUNC_UNSUPPORTED, as KVM preset it */
		break;
	}
}

/* Frees the guest_memfd's pages behind [gpa, end) of the slot that starts at GPA
 * `base` and at `offset` in the file, `size` bytes (fallocate PUNCH_HOLE). */
static int punch_slot(struct vmm_guest *g, uint64_t gpa, uint64_t end, uint64_t base, uint64_t size,
		      uint64_t offset)
{
	uint64_t from = gpa > base ? gpa : base, to = end < base + size ? end : base + size;
	if (from >= to)
		return 0;
	return kvm_gmem_fallocate(g->kvm, g->gmem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				  offset + from - base, to - from);
}

/* KVM_SET_MEMORY_ATTRIBUTES: [gpa, gpa + size) becomes private or shared. Memory
 * made shared loses its private pages, as QEMU discards them from guest_memfd. */
static int set_private(struct vmm_guest *g, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = { .address = gpa, .size = size,
					   .attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0 };
	int e = kvm_vm_set_memory_attributes(g->kvm, &a);
	if (e || private)
		return e;
	e = punch_slot(g, gpa, gpa + size, 0, TD_LOW_MEM, 0);
	return e ? e : punch_slot(g, gpa, gpa + size, TD_FW_TOP - g->firmware_size, g->firmware_size, TD_LOW_MEM);
}

/* KVM_HC_MAP_GPA_RANGE (a TD's TDVMCALL<MapGPA>): the range becomes private or
 * shared. 0 or -errno, user space's answer. */
static int convert_memory(struct vmm_guest *g, const struct kvm_run *run)
{
	if (g->type != KVM_X86_TDX_VM)
		return -EINVAL;            /* a VM's user space never asks for the exit */
	return set_private(g, run->hypercall.args[0], run->hypercall.args[1] << 12,
			   run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED);
}

/* KVM_EXIT_MEMORY_FAULT: the TD accessed a page as private or shared against its
 * attribute; this VMM converts the page the way the access wants (an implicit
 * conversion, as QEMU does) and runs the TD again. */
static int convert_on_fault(struct vmm_guest *g, const struct kvm_run *run)
{
	bool private = run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE;
	int e = set_private(g, run->memory_fault.gpa, run->memory_fault.size, private);
	g->r->memory_faults++;
	if (e)
		return failf(g->r, "KVM_EXIT_MEMORY_FAULT: converting 0x%llx to %s failed: error %d",
			     (unsigned long long)run->memory_fault.gpa, private ? "private" : "shared", e);
	return 0;
}

/* One KVM_RUN and what user space does about its exit: 1 when the guest halted,
 * 0 to run again, -1 on an error (report->error says). */
static int vmm_step(struct vmm_guest *g)
{
	struct vmm_report *r = g->r;
	int e = kvm_vcpu_run(g->vcpu);
	struct kvm_run *run = g->vcpu->run;
	if (e == -EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT)
		return convert_on_fault(g, run);
	if (e)
		return failf(r, "KVM_RUN: error %d (%s)", e, vtsim_machine_stop_message(kvm_machine()));
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(g);
		break;
	case KVM_EXIT_MMIO:
		handle_mmio(g->vcpu, g->type == KVM_X86_TDX_VM ? TD_DEVICE_BASE : DEVICE_BASE, r);
		break;
	case KVM_EXIT_TDX:
		handle_tdx_exit(g);
		break;
	case KVM_EXIT_HYPERCALL:
		run->hypercall.ret = (uint64_t)-(int64_t)convert_memory(g, run);   /* a positive errno */
		break;
	case KVM_EXIT_HLT:
		r->ok = true;
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		return failf(r, "KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x%llx",
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
	case KVM_EXIT_SHUTDOWN:
		return failf(r, "KVM_EXIT_SHUTDOWN: the guest triple-faulted");
	case KVM_EXIT_EXCEPTION:
		return failf(r, "KVM_EXIT_EXCEPTION: vector %u", run->ex.exception);
	case KVM_EXIT_SYSTEM_EVENT:       /* TDX_FATAL's data: the GPRs, R12 the GHCI error code */
		if (run->system_event.type == KVM_SYSTEM_EVENT_TDX_FATAL)
			return failf(r, "KVM_EXIT_SYSTEM_EVENT: the TD reported a fatal error "
				     "(TDVMCALL<ReportFatalError>), error code 0x%llx",
				     (unsigned long long)run->system_event.data[12]);
		return failf(r, "KVM_EXIT_SYSTEM_EVENT: type %u", run->system_event.type);
	case KVM_EXIT_INTERNAL_ERROR:
		return internal_error(r, run);
	default:
		return failf(r, "unexpected exit reason %u", run->exit_reason);
	}
	if (vtsim_machine_stopped(kvm_machine()))
		return failf(r, "the machine stopped: %s", vtsim_machine_stop_message(kvm_machine()));
	return 0;
}

/* MRTD as the TDX module builds it from TDH.MEM.PAGE.ADD and TDH.MR.EXTEND of the
 * image (what a remote verifier computes from the image it expects). */
static void expected_mrtd(const uint8_t *img, uint64_t size, uint64_t gpa, uint8_t mrtd[48])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha384(), NULL);
	for (uint64_t off = 0; off < size; off += 4096) {
		uint8_t b[128] = "MEM.PAGE.ADD";
		uint64_t g = gpa + off;
		memset(b + 12, 0, sizeof(b) - 12);
		memcpy(b + 16, &g, 8);
		EVP_DigestUpdate(ctx, b, sizeof(b));
		for (uint64_t c = 0; c < 4096; c += 256) {
			uint8_t e[128] = "MR.EXTEND";
			uint64_t ge = g + c;
			memcpy(e + 16, &ge, 8);
			EVP_DigestUpdate(ctx, e, sizeof(e));
			EVP_DigestUpdate(ctx, img + off + c, 256);
		}
	}
	EVP_DigestFinal_ex(ctx, mrtd, NULL);
	EVP_MD_CTX_free(ctx);
}

/* What the host reads of the TD's private image: the memslot's memory (user
 * space's, the shared half: the TD's data never goes there) and the guest_memfd's
 * pages through the kernel's own mapping (KeyID 0: the TD's pages read as zeros).
 * Nonzero bytes in either count. */
static void host_view(struct vmm_guest *g)
{
	struct vmm_report *r = g->r;
	r->private_bytes = g->firmware_size;
	r->image_nonzero = r->host_visible = 0;
	for (uint64_t off = 0; off < g->firmware_size; off += 4096) {
		const uint8_t *page = kvm_gmem_host_view(g->kvm, g->gmem_fd, TD_LOW_MEM + off);
		for (unsigned i = 0; i < 4096; i++) {
			r->image_nonzero += g->source[off + i] != 0;
			r->host_visible += (page && page[i]) || g->firmware[off + i];
		}
	}
	/* The page the TD made shared (TDVMCALL<MapGPA>) is ordinary memory. */
	memcpy(r->shared_msg, g->mem + TD_SHARED_PAGE, sizeof(r->shared_msg) - 1);
	r->shared_msg[sizeof(r->shared_msg) - 1] = 0;
}

static void vmm_guest_done(struct vmm_guest *g)
{
	if (g->type == KVM_X86_TDX_VM && g->firmware && g->source)
		host_view(g);
	if (g->vcpu) {
		g->r->stat = g->vcpu->stat;
		g->r->ept_pages_mapped = (unsigned)g->vcpu->stat.ept_maps;
	}
	if (g->prefix && g->linelen)
		console_putc(g, '\n');
	kvm_destroy_vm(g->kvm);
	kvm_userspace_free(g->mem, g->mem_size);
	kvm_userspace_free(g->firmware, g->firmware_size);
	kvm_userspace_free(g->source, g->firmware_size);
	g->kvm = NULL;
}

/* failf for an image the VMM refuses (vtsim vm: a usage error, status 2). */
static int bad_image(struct vmm_report *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->bad_image = true;
	return -1;
}

/* The guest into its memory: an ELF64 executable by its program headers (physical
 * addresses, identity mapped), anything else a flat image at 1 MiB. The VMM keeps
 * the guest's page tables, GDT and stack below 1 MiB, so an ELF may not load there.
 * 0 with the entry point in *entry, or -1 with report->error. */
static int vmm_load_guest(struct vmm_guest *g, const uint8_t *img, size_t len, uint64_t *entry)
{
	struct vmm_report *r = g->r;
	if (len >= 4 && !memcmp(img, "\x7f" "ELF", 4)) {
		struct loader_image li;
		char err[200];
		if (loader_load(img, len, g->mem, GUEST_MEM, &li, err, sizeof(err)))
			return bad_image(r, "the ELF guest: %s", err);
		if (li.kind != LOADER_ELF64)
			return bad_image(r, "the ELF guest is a multiboot image; a VM guest is 64-bit code "
				     "entered in long mode (an ELF64 executable or a flat image)");
		if (li.load_start < GUEST_LOAD)
			return bad_image(r, "the ELF guest loads at 0x%llx, below 1 MiB, where the VMM keeps "
				     "the guest's page tables, GDT and stack", (unsigned long long)li.load_start);
		if (li.entry < li.load_start || li.entry >= li.load_end)
			return bad_image(r, "the ELF guest's entry point 0x%llx is outside what it loads "
				     "(0x%llx-0x%llx)", (unsigned long long)li.entry,
				     (unsigned long long)li.load_start, (unsigned long long)li.load_end);
		*entry = li.entry;
		return 0;
	}
	if (len > GUEST_MEM - GUEST_LOAD)
		return bad_image(r, "the guest image (%zu bytes) does not fit in %llu MiB above 1 MiB", len,
			     (unsigned long long)(GUEST_MEM >> 20));
	memcpy(g->mem + GUEST_LOAD, img, len);
	*entry = GUEST_LOAD;
	return 0;
}

/* The split irqchip, as QEMU's kernel-irqchip=split asks for it right after
 * KVM_CREATE_VM (24 routes for its I/O APIC): a TD's vCPUs need it, and
 * KVM_SIGNAL_MSI to any guest. */
static int vmm_split_irqchip(struct vmm_guest *g)
{
	struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	int e = kvm_vm_enable_cap(g->kvm, &cap);
	return e ? failf(g->r, "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): error %d", e) : 0;
}

/* A VM: the guest loaded, entered in long mode. */
static int vmm_vm_setup(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	struct vmm_report *r = g->r;
	int e = kvm_create_vm(KVM_X86_DEFAULT_VM, &g->kvm);
	if (e)
		return failf(r, "KVM_CREATE_VM(KVM_X86_DEFAULT_VM): error %d", e);
	if (vmm_split_irqchip(g))
		return -1;
	g->mem_size = GUEST_MEM;
	if (!(g->mem = kvm_userspace_alloc(GUEST_MEM)))
		return failf(r, "no memory for the guest");
	uint64_t entry;
	if (vmm_load_guest(g, img, len, &entry))
		return -1;
	build_boot_tables(g->mem);
	struct kvm_userspace_memory_region region = { .slot = 0, .guest_phys_addr = 0,
						       .memory_size = GUEST_MEM,
						       .userspace_addr = (uint64_t)(uintptr_t)g->mem };
	if ((e = kvm_set_user_memory_region(g->kvm, &region)))
		return failf(r, "KVM_SET_USER_MEMORY_REGION: error %d", e);
	if ((e = kvm_create_vcpu(g->kvm, 0, &g->vcpu)))
		return failf(r, "KVM_CREATE_VCPU: error %d", e);
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = entry, .rsp = GUEST_STACK, .rflags = 2 };
	kvm_vcpu_get_sregs(g->vcpu, &sregs);
	long_mode_sregs(&sregs);
	if ((e = kvm_vcpu_set_sregs(g->vcpu, &sregs)) || (e = kvm_vcpu_set_regs(g->vcpu, &regs)))
		return failf(r, "KVM_SET_SREGS/KVM_SET_REGS: error %d", e);
	return 0;
}

#define TD_FW_MAX    (1ull << 20)

static int tdx_cmd(struct vmm_report *r, int e, const struct kvm_tdx_cmd *c, const char *what)
{
	if (!e)
		return 0;
	const char *st = tdx_status_name(c->hw_error);
	return failf(r, "%s: error %d, hw_error 0x%016llx%s%s", what, e, (unsigned long long)c->hw_error,
		     st ? " " : "", st ? st : "");
}

static const struct kvm_cpuid_entry2 *cpuid_find(const struct kvm_cpuid2 *c,
						  const struct kvm_cpuid_entry2 *want)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == want->function &&
		    (!(want->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || c->entries[i].index == want->index))
			return &c->entries[i];
	return NULL;
}

/* KVM_TDX_INIT_VM's argument with the TD's CPUID as QEMU builds it: for each leaf
 * the module lets the VMM configure (KVM_TDX_CAPABILITIES), what KVM supports
 * (KVM_GET_SUPPORTED_CPUID) within the configurable bits. NULL with r->error. */
static struct kvm_tdx_init_vm *td_init_vm_arg(struct kvm *kvm, struct vmm_report *r)
{
	enum { ROOM = 64 };
	size_t esz = sizeof(struct kvm_cpuid_entry2);
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + ROOM * esz);
	struct kvm_cpuid2 *sup = calloc(1, sizeof(*sup) + KVM_MAX_CPUID_ENTRIES * esz);
	struct kvm_tdx_init_vm *init = calloc(1, sizeof(*init) + ROOM * esz);
	int e = -ENOMEM;
	if (!caps || !sup || !init)
		goto fail;
	caps->cpuid.nent = ROOM;
	sup->nent = KVM_MAX_CPUID_ENTRIES;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_CAPABILITIES, .data = (uint64_t)(uintptr_t)caps };
	if ((e = kvm_memory_encrypt_op(kvm, &c)) || (e = kvm_get_supported_cpuid(sup)))
		goto fail;
	init->xfam = 3;                          /* x87, SSE */
	for (uint32_t i = 0; i < caps->cpuid.nent; i++) {
		const struct kvm_cpuid_entry2 *mask = &caps->cpuid.entries[i];
		const struct kvm_cpuid_entry2 *have = cpuid_find(sup, mask);
		if (!have)
			continue;
		struct kvm_cpuid_entry2 *out = &init->cpuid.entries[init->cpuid.nent++];
		*out = *mask;
		out->eax &= have->eax;
		out->ebx &= have->ebx;
		out->ecx &= have->ecx;
		out->edx &= have->edx;
	}
	free(caps);
	free(sup);
	return init;
fail:
	failf(r, "the TD's CPUID (KVM_TDX_CAPABILITIES, KVM_GET_SUPPORTED_CPUID): error %d", e);
	free(caps);
	free(sup);
	free(init);
	return NULL;
}

/* ---- the TD's image: what KVM_TDX_INIT_MEM_REGION adds (measured) below 4 GiB ---- */

#define TD_FW_BASE      (TD_FW_TOP - TD_FW_MAX)    /* where a TD's image may start */
#define TD_RESET_VECTOR 0xfffffff0ull             /* a TD vCPU's first RIP (32-bit, no paging) */
#define TD_RESET_PAGE   0xfffff000ull

/* g->source and g->firmware_size for `size` bytes that end at 4 GiB; the
 * guest_memfd's image is copied from g->source. */
static int td_image_alloc(struct vmm_guest *g, uint64_t size)
{
	g->firmware_size = size;
	g->mem_size = TD_LOW_MEM;
	g->mem = kvm_userspace_alloc(TD_LOW_MEM);
	g->firmware = kvm_userspace_alloc(size);
	g->source = kvm_userspace_alloc(size);
	if (!g->mem || !g->firmware || !g->source)
		return failf(g->r, "no memory for the TD");
	memset(g->source, 0, size);
	return 0;
}

/* A flat image: firmware whose last 16 bytes are the reset vector. */
static int td_image_flat(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	if (!len || len > TD_FW_MAX)
		return bad_image(g->r, "the TD image must be 1 byte to 1 MiB (it is %zu bytes)", len);
	if (td_image_alloc(g, (len + 4095) & ~4095ull))
		return -1;
	memcpy(g->source + g->firmware_size - len, img, len);
	return 0;
}

/* An ELF (ELF64 x86-64 or ELF32 i386, multiboot or not): its PT_LOAD segments where
 * they say, inside the 1 MiB below 4 GiB, BSS zeroed. A TD vCPU starts at the
 * reset vector, so unless e_entry is it, the page at FFFFF000H is added too, with
 * a `jmp rel32` to e_entry at FF0H (measured like the rest: MRTD covers it). */
/* The checks the reset vector adds to the loader's. */
static int td_elf_entry_ok(struct vmm_report *r, const struct loader_image *li)
{
	/* The loader keeps e_entry inside a segment, so below 4 GiB: checked anyway,
	 * as the jump's rel32 needs it. */
	if (li->entry >= TD_FW_TOP)
		return bad_image(r, "the TD's ELF image: entry point 0x%llx is at or above 4 GiB",
				 (unsigned long long)li->entry);
	if (li->entry != TD_RESET_VECTOR && li->load_end > TD_RESET_PAGE)
		return bad_image(r, "the TD's ELF image: a segment ends at 0x%llx, inside the reset-vector "
				 "page at 0xfffff000 the VMM adds to jump to e_entry 0x%llx (enter at "
				 "0xfffffff0 to supply that page)", (unsigned long long)li->load_end,
				 (unsigned long long)li->entry);
	return 0;
}

static int td_image_elf(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	struct vmm_report *r = g->r;
	struct loader_image li;
	char err[200];
	uint8_t *window = calloc(1, TD_FW_MAX);
	if (!window)
		return failf(r, "no memory for the TD");
	int rc = loader_load_window(img, len, window, TD_FW_BASE, TD_FW_TOP, &li, err, sizeof(err));
	if (rc)
		rc = bad_image(r, "the TD's ELF image (it must load in the 1 MiB below 4 GiB): %s", err);
	else
		rc = td_elf_entry_ok(r, &li);
	uint64_t start = li.load_start & ~4095ull;
	if (!rc)
		rc = td_image_alloc(g, TD_FW_TOP - start);
	if (!rc) {
		memcpy(g->source, window + (start - TD_FW_BASE), g->firmware_size);
		if (li.entry != TD_RESET_VECTOR) {
			uint8_t *jmp = g->source + (TD_RESET_VECTOR - start);
			uint32_t rel = (uint32_t)(li.entry - (TD_RESET_VECTOR + 5));
			jmp[0] = 0xe9;                  /* jmp rel32, in a page of zeros */
			memcpy(jmp + 1, &rel, 4);
		}
	}
	free(window);
	return rc;
}

static int td_image(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	if (len >= 4 && !memcmp(img, "\x7f" "ELF", 4))
		return td_image_elf(g, img, len);
	return td_image_flat(g, img, len);
}

/* A TD: the image (firmware) so that it ends at 4 GiB, where a TD vCPU's reset
 * vector is, added as private memory and measured; TD_LOW_MEM of private memory
 * at 0 for the guest to accept. */
static int vmm_td_setup(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	struct vmm_report *r = g->r;
	int e = kvm_create_vm(KVM_X86_TDX_VM, &g->kvm);
	if (e)
		return failf(r, "KVM_CREATE_VM(KVM_X86_TDX_VM): error %d%s", e,
			     e == -EINVAL ? " (this platform has no TDX module: use a machine with --tdx)" : "");
	if (vmm_split_irqchip(g))
		return -1;
	/* TDVMCALL<MapGPA> comes to user space, which converts the memory. */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ull << KVM_HC_MAP_GPA_RANGE } };
	if ((e = kvm_vm_enable_cap(g->kvm, &cap)))
		return failf(r, "KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL): error %d", e);
	if (td_image(g, img, len))
		return -1;
	/* One guest_memfd holds both slots' private memory, as QEMU gives each RAM
	 * block one: low memory at offset 0, the image after it. */
	struct kvm_create_guest_memfd gm = { .size = TD_LOW_MEM + g->firmware_size };
	if ((g->gmem_fd = kvm_create_guest_memfd(g->kvm, &gm)) < 0)
		return failf(r, "KVM_CREATE_GUEST_MEMFD: error %d", g->gmem_fd);
	struct kvm_userspace_memory_region2 low = { .slot = 0, .flags = KVM_MEM_GUEST_MEMFD,
						    .guest_phys_addr = 0, .memory_size = TD_LOW_MEM,
						    .userspace_addr = (uint64_t)(uintptr_t)g->mem,
						    .guest_memfd = (uint32_t)g->gmem_fd };
	struct kvm_userspace_memory_region2 fw = { .slot = 1, .flags = KVM_MEM_GUEST_MEMFD,
						   .guest_phys_addr = TD_FW_TOP - g->firmware_size,
						   .memory_size = g->firmware_size,
						   .userspace_addr = (uint64_t)(uintptr_t)g->firmware,
						   .guest_memfd = (uint32_t)g->gmem_fd,
						   .guest_memfd_offset = TD_LOW_MEM };
	if ((e = kvm_set_user_memory_region2(g->kvm, &low)) || (e = kvm_set_user_memory_region2(g->kvm, &fw)))
		return failf(r, "KVM_SET_USER_MEMORY_REGION2: error %d", e);
	/* A TD's memory starts shared; all of it becomes private, as QEMU makes the
	 * RAM it backs with guest_memfd. */
	if ((e = set_private(g, 0, TD_LOW_MEM, true)) ||
	    (e = set_private(g, fw.guest_phys_addr, g->firmware_size, true)))
		return failf(r, "KVM_SET_MEMORY_ATTRIBUTES: error %d", e);
	struct kvm_tdx_init_vm *init = td_init_vm_arg(g->kvm, r);
	if (!init)
		return -1;
	struct kvm_tdx_cmd c = { .id = KVM_TDX_INIT_VM, .data = (uint64_t)(uintptr_t)init };
	e = kvm_memory_encrypt_op(g->kvm, &c);
	free(init);
	if (tdx_cmd(r, e, &c, "KVM_TDX_INIT_VM"))
		return -1;
	if ((e = kvm_create_vcpu(g->kvm, 0, &g->vcpu)))
		return failf(r, "KVM_CREATE_VCPU: error %d", e);
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VCPU, .data = 0 };
	if (tdx_cmd(r, kvm_vcpu_memory_encrypt_op(g->vcpu, &c), &c, "KVM_TDX_INIT_VCPU"))
		return -1;
	struct kvm_tdx_init_mem_region region = { .source_addr = (uint64_t)(uintptr_t)g->source,
						  .gpa = fw.guest_phys_addr,
						  .nr_pages = g->firmware_size >> 12 };
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_MEM_REGION, .flags = KVM_TDX_MEASURE_MEMORY_REGION,
				  .data = (uint64_t)(uintptr_t)&region };
	if (tdx_cmd(r, kvm_vcpu_memory_encrypt_op(g->vcpu, &c), &c, "KVM_TDX_INIT_MEM_REGION"))
		return -1;
	expected_mrtd(g->source, g->firmware_size, fw.guest_phys_addr, r->mrtd);
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_FINALIZE_VM };
	if (tdx_cmd(r, kvm_memory_encrypt_op(g->kvm, &c), &c, "KVM_TDX_FINALIZE_VM"))
		return -1;
	return 0;
}

static int vmm_guest_setup(struct vmm_guest *g, const uint8_t *img, size_t len)
{
	return g->type == KVM_X86_TDX_VM ? vmm_td_setup(g, img, len) : vmm_vm_setup(g, img, len);
}

/* A machine from `cfg` with kvmlike loaded on it; NULL with report->error. */
static struct vtsim_machine *vmm_boot(const struct vtsim_config *cfg, FILE *console,
				      struct vmm_report *r)
{
	char err[256];
	struct vtsim_machine *m = vtsim_machine_create(cfg, err, sizeof(err));
	if (!m) {
		failf(r, "%s", err);
		return NULL;
	}
	int e;
	if (vtsim_hosted_start(m, err, sizeof(err))) {
		failf(r, "%s", err);
	} else if (kvm_hosted_attach(m, console)) {
		failf(r, "cannot attach kvmlike to the machine");
	} else if ((kvm_intel_tdx = cfg->tdx, e = kvm_init())) {
		failf(r, "kvmlike failed to load: error %d", e);
		kvm_hosted_detach();
	} else {
		return m;
	}
	vtsim_machine_destroy(m);
	return NULL;
}

static void vmm_shutdown(struct vtsim_machine *m)
{
	kvm_exit();
	kvm_hosted_detach();
	vtsim_machine_destroy(m);
}

/* The MSIs due after the guest's `exits`-th exit to user space (KVM_SIGNAL_MSI to
 * the vCPU's APIC ID). 0, or -1 with report->error. */
static int send_msis(struct vmm_guest *g, const struct vmm_msis *msis, unsigned exits)
{
	for (unsigned i = 0; msis && i < msis->n; i++) {
		if (msis->msi[i].after != exits)
			continue;
		struct kvm_msi m = { .address_lo = 0xfee00000u | (uint32_t)g->vcpu->vcpu_id << 12,
				     .data = msis->msi[i].vector };
		int e = kvm_vm_signal_msi(g->kvm, &m);
		if (e != 1)
			return failf(g->r, "KVM_SIGNAL_MSI of vector 0x%x: %d", msis->msi[i].vector, e);
	}
	return 0;
}

int vmm_run_guest(unsigned long type, const struct vtsim_config *cfg, const uint8_t *img, size_t len,
		  const struct vmm_msis *msis, FILE *console, struct vmm_report *r)
{
	memset(r, 0, sizeof(*r));
	struct vtsim_machine *m = vmm_boot(cfg, console, r);
	if (!m)
		return -1;
	struct vmm_guest g = { .type = type, .console = console, .r = r };
	int rc = vmm_guest_setup(&g, img, len);
	for (; !rc; r->exits++) {
		if (r->exits == VMM_MAX_EXITS) {
			rc = failf(r, "no HLT after %u exits", VMM_MAX_EXITS);
			break;
		}
		rc = send_msis(&g, msis, r->exits);
		if (!rc)
			rc = vmm_step(&g);
	}
	vmm_guest_done(&g);
	vmm_shutdown(m);
	return rc < 0 ? -1 : 0;
}

int vmm_run_flat(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		 struct vmm_report *r)
{
	return vmm_run_guest(KVM_X86_DEFAULT_VM, cfg, img, len, NULL, console, r);
}

int vmm_run_flat_td(const struct vtsim_config *cfg, const uint8_t *img, size_t len, FILE *console,
		    struct vmm_report *r)
{
	return vmm_run_guest(KVM_X86_TDX_VM, cfg, img, len, NULL, console, r);
}

/* Two guests of the given types on one machine, run by turns (an exit each) on
 * the same logical processor to their HLTs. */
static int run_pair(const struct vtsim_config *cfg, const unsigned long type[2],
		    const uint8_t *const img[2], const size_t len[2], FILE *console,
		    const char *const prefix[2], struct vmm_report *r[2])
{
	memset(r[0], 0, sizeof(*r[0]));
	memset(r[1], 0, sizeof(*r[1]));
	struct vtsim_machine *m = vmm_boot(cfg, console, r[0]);
	if (!m)
		return -1;
	struct vmm_guest g[2];
	int st[2];
	for (int i = 0; i < 2; i++) {
		g[i] = (struct vmm_guest){ .type = type[i], .console = console, .prefix = prefix[i], .r = r[i] };
		st[i] = vmm_guest_setup(&g[i], img[i], len[i]);
	}
	/* An exit of one after an exit of the other: their VMCSs come and go on it. */
	for (unsigned n = 0; n < VMM_MAX_EXITS && (!st[0] || !st[1]); n++)
		for (int i = 0; i < 2; i++)
			if (!st[i])
				st[i] = vmm_step(&g[i]);
	for (int i = 0; i < 2; i++) {
		if (!st[i])
			st[i] = failf(g[i].r, "no HLT after %u exits", VMM_MAX_EXITS);
		vmm_guest_done(&g[i]);
	}
	vmm_shutdown(m);
	return st[0] < 0 || st[1] < 0 ? -1 : 0;
}

int vmm_run_side_by_side(const struct vtsim_config *cfg, const uint8_t *vm_img, size_t vm_len,
			 const uint8_t *td_img, size_t td_len, FILE *console,
			 struct vmm_report *vm_r, struct vmm_report *td_r)
{
	const unsigned long type[2] = { KVM_X86_DEFAULT_VM, KVM_X86_TDX_VM };
	const uint8_t *const img[2] = { vm_img, td_img };
	const size_t len[2] = { vm_len, td_len };
	const char *const prefix[2] = { "[vm] ", "[td] " };
	struct vmm_report *r[2] = { vm_r, td_r };
	return run_pair(cfg, type, img, len, console, prefix, r);
}

int vmm_run_two_vms(const struct vtsim_config *cfg, const uint8_t *img_a, size_t len_a,
		    const uint8_t *img_b, size_t len_b, FILE *console, struct vmm_report *ra,
		    struct vmm_report *rb)
{
	const unsigned long type[2] = { KVM_X86_DEFAULT_VM, KVM_X86_DEFAULT_VM };
	const uint8_t *const img[2] = { img_a, img_b };
	const size_t len[2] = { len_a, len_b };
	const char *const prefix[2] = { "[a] ", "[b] " };
	struct vmm_report *r[2] = { ra, rb };
	return run_pair(cfg, type, img, len, console, prefix, r);
}
