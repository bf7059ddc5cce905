/* kvmlike's TD half through its user API only (kvmlike/kvm.h), as a VMM drives KVM
 * for a TDX guest: KVM_CREATE_VM(KVM_X86_TDX_VM), memslots, the KVM_TDX_* commands
 * of KVM_MEMORY_ENCRYPT_OP (INIT_VM, INIT_VCPU, INIT_MEM_REGION, FINALIZE_VM) and
 * KVM_RUN, with the TD guest guests/td_hello.asm. Besides kvm_run and the vCPU's
 * statistics, the tests look at the TDX module's page ownership
 * (TDH.PHYMEM.PAGE.RDMD, the PAMT type of a page), at the SEAMCALLs kvmlike issued
 * (tdx_seamcall_stats) and at the vt_ layer's counters (kvm_x86_op_calls).
 *  1. the lifecycle of a TD, run to its HLT;
 *  2. the errors of each command;
 *  3. teardown gives every page back, whenever the TD is destroyed;
 *  4. a VM and a TD side by side on 2 LPs, the TD's vCPU migrating between them;
 *  5. the vt_ dispatch: a VM's calls reach the vmx_ side, a TD's the tdx_ side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"
#include "kvmlike/runtime_hosted.h"
#include "kvmlike/tdx_host.h"
#include "kvmlike/x86_ops.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"

extern const unsigned char vtsim_guest_td_hello[];
extern const unsigned int vtsim_guest_td_hello_len;
extern const unsigned char vtsim_guest_td_convert[];
extern const unsigned int vtsim_guest_td_convert_len;
extern const unsigned char vtsim_guest_td_quote[];
extern const unsigned int vtsim_guest_td_quote_len;
extern const unsigned char vtsim_guest_td_map_gpa[];
extern const unsigned int vtsim_guest_td_map_gpa_len;
extern const unsigned char vtsim_guest_td_accept_race[];
extern const unsigned int vtsim_guest_td_accept_race_len;

/* What td_hello prints, from its first TDVMCALL<Instruction.IO> to its HLT, with
 * the MRTD of its TDREPORT (td_expect computes it: the image measured, or not). */
static const char td_hello_format[] =
	"Hello from a TD (TDG.VP.VMCALL<Instruction.IO>)\n"
	"TDG.VP.INFO: GPAW 48\n"
	"TDG.VM.RD/WR, TDG.SYS.RD: NO_RBP_MOD set, TD_CTLS written, module 1.x\n"
	"CPUID 0x21 (from the TDX module): IntelTDX    \n"
	"OUT instructions, each a #VE turned into a TDVMCALL\n"
	"CPUID 0x40000000 (#VE, answered by the VMM): KVMKVMKVM\n"
	"TDG.MEM.PAGE.ACCEPT: the page at 1 MiB is ours\n"
	"TDG.MR.RTMR.EXTEND: RTMR[2] extended\n"
	"TDG.MR.REPORT: MRTD %s\n"
	"TDVMCALL<MapGPA>: the page at 0x1ff000 is shared; a message for the host is there\n"
	"MMIO through a #VE (TDVMCALL<#VE.RequestMMIO>): the device id reads 0x4b564d31\n"
	"TD done, halting\n";
static char td_hello_text[1024];              /* the measured image's */
static char td_hello_text_unmeasured[1024];

/* The TD's guest-physical layout (tools/vmm.c's): 2 MiB of private memory at 0
 * (the guest accepts the page at 1 MiB), the firmware ending at 4 GiB. */
#define TD_LOW_MEM    (2ull << 20)
#define TD_FW_TOP     0x100000000ull
#define TD_ACCEPTED   0x100000ull
#define TD_SHARED     0x1ff000ull      /* the page it makes shared (MapGPA) */
static const char td_shared_msg[] = "written by the TD in shared memory";
/* td_hello's TD exits besides a TDVMCALL<Instruction.IO> per byte it prints: the
 * TDVMCALLs CPUID (of the hypervisor leaf), MapGPA, #VE.RequestMMIO and HLT; EPT
 * violations on the page it accepts (kvmlike adds it: TDH.MEM.PAGE.AUG), on the
 * page it shares (kvmlike maps it in the shared EPT) and on its device (kvmlike
 * makes the entry one that raises #VE). */
#define TD_OTHER_TDVMCALLS   4
#define TD_EPT_VIOLATIONS    3

/* SEAMCALL leaves the tests count or issue. */
#define LEAF_VP_ENTER   0
#define LEAF_PAGE_AUG   6
#define LEAF_VP_RD      26
#define LEAF_VP_WR      43
#define LEAF_VP_FLUSH   18
#define LEAF_RDMD       24
#define LEAF_RECLAIM    28

/* PAMT page types (the module's). */
enum { PT_NDA = 0, PT_RSVD = 1, PT_REG = 3, PT_TDR = 4, PT_TDCX = 5, PT_TDVPR = 6, PT_EPT = 8 };

#define EXIT_REASON_TRIPLE_FAULT  2
#define EXIT_REASON_INTERRUPT_WINDOW 7
#define EXIT_REASON_EPT_VIOLATION 48
#define EXIT_REASON_TDCALL        77

/* A VM's guest (nasm, bits 64, org 0x100000): it greets on COM1, then reads port
 * 0x60 until it reads 0 (user space keeps it busy so), and halts.
 *	lea rsi, [rel msg]
 *	mov dx, 0x3f8
 * .l:	lodsb
 *	test al, al
 *	jz .wait
 *	out dx, al
 *	jmp .l
 * .wait: in al, 0x60
 *	test al, al
 *	jnz .wait
 * .done: hlt
 *	jmp .done
 * msg: db "VM says hi", 10, 0 */
static const uint8_t vm_guest[] = {
	0x48, 0x8d, 0x35, 0x15, 0x00, 0x00, 0x00, 0x66, 0xba, 0xf8, 0x03, 0xac,
	0x84, 0xc0, 0x74, 0x03, 0xee, 0xeb, 0xf8, 0xe4, 0x60, 0x84, 0xc0, 0x75,
	0xfa, 0xf4, 0xeb, 0xfd, 0x56, 0x4d, 0x20, 0x73, 0x61, 0x79, 0x73, 0x20,
	0x68, 0x69, 0x0a, 0x00,
};
static const char vm_text[] = "VM says hi\n";
#define VM_MEM     (8ull << 20)
#define VM_GDT     0x500ull
#define VM_PML4    0x1000ull        /* PDPT at 0x2000, PDs at 0x3000-0x6000 */
#define VM_STACK   0x80000ull
#define VM_CODE    0x100000ull

struct fx {
	struct vtsim_machine *m;
	FILE *log;
	bool attached, loaded;
};

/* A guest of either type, as the tests' VMM keeps it. */
struct guest {
	unsigned mmio_exits;
	struct kvm *kvm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem, *fw, *src;
	uint64_t mem_size, fw_size;
	int gmem_fd;                   /* the guest_memfd: low memory, then the firmware */
	char out[2048];                /* the console: bytes OUT to COM1 */
	size_t n;
	uint8_t in_value;              /* what an IN reads */
	unsigned io_exits, hlt_exits, other_exits, map_gpa_exits;
	/* KVM_EXIT_TDX: the VMM's answer (a test's quoting service). */
	void (*on_tdx_exit)(struct guest *g, struct kvm_run *run);
	/* KVM_EXIT_HYPERCALL: the VMM's answer, when not the plain conversion. */
	void (*on_map_gpa)(struct guest *g, struct kvm_run *run);
	unsigned tdx_exits;
	uint64_t notify_vector;
	/* KVM_EXIT_MEMORY_FAULTs, as KVM_RUN gave them. */
	__typeof__(((struct kvm_run *)0)->memory_fault) faults[4];
	unsigned nr_faults;
};

/* ---- what the TD prints -------------------------------------------------------------- */

static void sha384_block(EVP_MD_CTX *c, const char *what, uint64_t gpa)
{
	uint8_t b[128] = { 0 };
	memcpy(b, what, strlen(what));
	memcpy(b + 16, &gpa, 8);
	EVP_DigestUpdate(c, b, sizeof(b));
}

/* MRTD as the TDX module builds it from INIT_MEM_REGION of the image at its GPA:
 * per page a TDH.MEM.PAGE.ADD block, and if measured 16 TDH.MR.EXTEND blocks each
 * followed by its 256 bytes. */
static void expected_mrtd(const uint8_t *img, uint64_t size, uint64_t gpa, bool measured,
			  uint8_t mrtd[48])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	assert_non_null(c);
	assert_int_equal(EVP_DigestInit_ex(c, EVP_sha384(), NULL), 1);
	for (uint64_t off = 0; off < size; off += 4096) {
		sha384_block(c, "MEM.PAGE.ADD", gpa + off);
		for (uint64_t k = 0; measured && k < 4096; k += 256) {
			sha384_block(c, "MR.EXTEND", gpa + off + k);
			EVP_DigestUpdate(c, img + off + k, 256);
		}
	}
	unsigned n = 0;
	assert_int_equal(EVP_DigestFinal_ex(c, mrtd, &n), 1);
	assert_int_equal(n, 48);
	EVP_MD_CTX_free(c);
}

static void td_expect(void)
{
	uint64_t size = (vtsim_guest_td_hello_len + 4095) & ~4095ull;
	uint8_t *img = calloc(1, size), mrtd[48];
	char hex[97];
	assert_non_null(img);
	memcpy(img + size - vtsim_guest_td_hello_len, vtsim_guest_td_hello, vtsim_guest_td_hello_len);
	for (int measured = 0; measured < 2; measured++) {
		expected_mrtd(img, size, 0x100000000ull - size, measured, mrtd);
		for (int i = 0; i < 48; i++)
			snprintf(hex + 2 * i, 3, "%02x", mrtd[i]);
		snprintf(measured ? td_hello_text : td_hello_text_unmeasured, sizeof(td_hello_text),
			 td_hello_format, hex);
	}
	free(img);
}

/* ---- the machine and kvmlike --------------------------------------------------------- */

static unsigned fx_cpus = 1;

static int fx_teardown(void **state);

static int fx_up(struct fx *f)
{
	char err[256];
	td_expect();
	struct vtsim_config cfg;
	if (!(f->log = tmpfile()))
		return -1;
	vtsim_config_defaults(&cfg);
	cfg.console = cfg.diag = cfg.trace = f->log;
	cfg.tdx = true;
	cfg.nr_cpus = fx_cpus;
	f->m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!f->m || vtsim_hosted_start(f->m, err, sizeof(err))) {
		fprintf(stderr, "machine: %s\n", err);
		return -1;
	}
	if (kvm_hosted_attach(f->m, f->log))
		return -1;
	f->attached = true;
	if (kvm_init())
		return -1;
	f->loaded = true;
	if (!(kvm_vm_types() & (1u << KVM_X86_TDX_VM))) {
		fprintf(stderr, "kvmlike offers no TD VM type on a TDX machine\n");
		return -1;
	}
	return 0;
}

/* cmocka runs no teardown after a failed setup: undo it here. */
static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	*state = f;
	if (f && !fx_up(f))
		return 0;
	fx_teardown(state);
	*state = NULL;
	return -1;
}

static int fx2_setup(void **state)
{
	fx_cpus = 2;
	int r = fx_setup(state);
	fx_cpus = 1;
	return r;
}

/* kvmlike must have logged no warning, no failed SEAMCALL of its own (the
 * KVM_TDX_INIT_VM failures tests provoke are not those), no leaked page. */
static bool log_line_bad(const char *line)
{
	return strstr(line, "WARNING") || strstr(line, "leaked") || strstr(line, "HKID live") ||
	       (strstr(line, "TDX: TDH.") && strstr(line, "failed")) || strstr(line, "VMX instruction");
}

static bool log_clean(struct fx *f)
{
	char line[512];
	bool ok = true;
	fflush(f->log);
	rewind(f->log);
	while (fgets(line, sizeof(line), f->log))
		if (log_line_bad(line)) {
			fprintf(stderr, "kvmlike log: %s", line);
			ok = false;
		}
	fseek(f->log, 0, SEEK_END);
	return ok;
}

/* The log's complaints are all `text` (one at least): the log is emptied. */
static void log_take(struct fx *f, const char *text)
{
	char line[512];
	unsigned n = 0;
	fflush(f->log);
	rewind(f->log);
	while (fgets(line, sizeof(line), f->log)) {
		if (!log_line_bad(line))
			continue;
		if (!strstr(line, text))
			fail_msg("kvmlike log: %s", line);
		n++;
	}
	assert_true(n > 0);
	assert_int_equal(ftruncate(fileno(f->log), 0), 0);
	rewind(f->log);
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	int rc = 0;
	if (!f)
		return 0;
	if (f->loaded)
		kvm_exit();
	if (f->attached)
		kvm_hosted_detach();
	if (f->m)
		vtsim_machine_destroy(f->m);
	if (f->log) {
		if (!log_clean(f))
			rc = -1;
		fclose(f->log);
	}
	free(f);
	kvm_set_current_cpu(0);
	return rc;
}

/* ---- page ownership: TDH.PHYMEM.PAGE.RDMD -------------------------------------------- */

/* The PAMT type of the 4 KiB page at `pa`, or -1 if the module refuses to say. */
static int rdmd(struct fx *f, uint64_t pa)
{
	struct vtsim_seamcall_args a = { .rax = LEAF_RDMD, .rcx = pa };
	if (vtsim_seamcall(f->m, 0, &a) != VTSIM_SEAMCALL_DONE || a.rax)
		return -1;
	return (int)a.rcx;
}

/* Every page of the RAM kvmlike owns (the TDMR less what lies above it): its PAMT
 * type. */
struct ownership {
	uint64_t npages;
	uint8_t *type;
	uint64_t by_type[16];
};

static void ownership_take(struct fx *f, struct ownership *o)
{
	o->npages = kvm_memory_top() >> 12;
	o->type = calloc(o->npages, 1);
	assert_non_null(o->type);
	memset(o->by_type, 0, sizeof(o->by_type));
	for (uint64_t i = 0; i < o->npages; i++) {
		int t = rdmd(f, i << 12);
		assert_true(t >= 0 && t < 16);
		o->type[i] = (uint8_t)t;
		o->by_type[t]++;
	}
}

static void ownership_free(struct ownership *o)
{
	free(o->type);
	o->type = NULL;
}

/* Pages of kvmlike's pool not in use: they are allocated one by one until none is
 * left, then given back. */
static uint64_t pool_free_pages(void)
{
	uint64_t n = 0, cap = kvm_memory_top() >> 12;
	uint64_t *got = malloc(cap * sizeof(*got));
	assert_non_null(got);
	for (uint64_t pa; n < cap && (pa = kvm_alloc_pages(1)); n++)
		got[n] = pa;
	for (uint64_t i = 0; i < n; i++)
		kvm_free_pages(got[i], 1);
	free(got);
	return n;
}

/* After a TD is gone: every page is what it was before it came (free, or the
 * PAMT's reserved pages), and none is a TD's. */
static void assert_ownership_unchanged(struct fx *f, const struct ownership *before)
{
	struct ownership after;
	ownership_take(f, &after);
	assert_int_equal(after.npages, before->npages);
	for (uint64_t i = 0; i < after.npages; i++) {
		if (after.type[i] != before->type[i])
			fail_msg("page 0x%llx: PAMT type %u after the TD, %u before",
				 (unsigned long long)(i << 12), after.type[i], before->type[i]);
		if (after.type[i] != PT_NDA && after.type[i] != PT_RSVD)
			fail_msg("page 0x%llx is still owned (PAMT type %u)",
				 (unsigned long long)(i << 12), after.type[i]);
	}
	/* The reserved pages are the PAMT, no more. */
	assert_int_equal(after.by_type[PT_RSVD] << 12, tdx_sys_info()->pamt_bytes);
	ownership_free(&after);
}

/* ---- a TD through the user API ------------------------------------------------------- */

static uint8_t *ualloc(uint64_t size)
{
	uint8_t *p = kvm_userspace_alloc(size);
	assert_non_null(p);
	return p;
}

/* KVM_CREATE_VM(KVM_X86_TDX_VM) and the memslots: low private memory and the
 * firmware ending at 4 GiB; its initial contents are in `src`. */
static int set_private(struct guest *g, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = { .address = gpa, .size = size,
					   .attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0 };
	return kvm_vm_set_memory_attributes(g->kvm, &a);
}

static void td_create_with(struct guest *g, const unsigned char *img, unsigned len)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &g->kvm), 0);
	assert_non_null(g->kvm);
	struct kvm_enable_cap cap = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 1ull << KVM_HC_MAP_GPA_RANGE } };
	assert_int_equal(kvm_vm_enable_cap(g->kvm, &cap), 0);
	cap = (struct kvm_enable_cap){ .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };   /* as QEMU */
	assert_int_equal(kvm_vm_enable_cap(g->kvm, &cap), 0);
	g->mem_size = TD_LOW_MEM;
	g->fw_size = (len + 4095) & ~4095ull;
	g->mem = ualloc(g->mem_size);
	g->fw = ualloc(g->fw_size);
	g->src = ualloc(g->fw_size);
	memcpy(g->src + g->fw_size - len, img, len);
	struct kvm_create_guest_memfd gm = { .size = g->mem_size + g->fw_size };
	g->gmem_fd = kvm_create_guest_memfd(g->kvm, &gm);
	assert_true(g->gmem_fd >= 0);
	struct kvm_userspace_memory_region2 low = { .slot = 0, .flags = KVM_MEM_GUEST_MEMFD,
						    .guest_phys_addr = 0, .memory_size = g->mem_size,
						    .userspace_addr = (uint64_t)(uintptr_t)g->mem,
						    .guest_memfd = (uint32_t)g->gmem_fd };
	struct kvm_userspace_memory_region2 fw = { .slot = 1, .flags = KVM_MEM_GUEST_MEMFD,
						   .guest_phys_addr = TD_FW_TOP - g->fw_size,
						   .memory_size = g->fw_size,
						   .userspace_addr = (uint64_t)(uintptr_t)g->fw,
						   .guest_memfd = (uint32_t)g->gmem_fd,
						   .guest_memfd_offset = g->mem_size };
	assert_int_equal(kvm_set_user_memory_region2(g->kvm, &low), 0);
	assert_int_equal(kvm_set_user_memory_region2(g->kvm, &fw), 0);
	/* A TD's memory starts shared: all of it becomes private, as tools/vmm.c does. */
	assert_int_equal(set_private(g, 0, g->mem_size, true), 0);
	assert_int_equal(set_private(g, fw.guest_phys_addr, g->fw_size, true), 0);
}

/* n bytes of zeros (each byte equals the one after it, and the first is 0). */
static bool all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	return !n || (!b[0] && !memcmp(b, b + 1, n - 1));
}

/* The guest_memfd page behind a TD's private `gpa` (host-physical), or 0 where the
 * file has none. */
static uint64_t gmem_pa(struct guest *g, uint64_t gpa)
{
	uint64_t off = gpa < g->mem_size ? gpa : g->mem_size + gpa - (TD_FW_TOP - g->fw_size);
	const void *p = kvm_gmem_host_view(g->kvm, g->gmem_fd, off & ~(PAGE_SIZE - 1));
	return p ? __pa(p) : 0;
}

static void td_create(struct guest *g)
{
	td_create_with(g, vtsim_guest_td_hello, vtsim_guest_td_hello_len);
}

static int vm_cmd(struct guest *g, uint32_t id, uint32_t flags, const void *data, uint64_t *hw_error)
{
	struct kvm_tdx_cmd c = { .id = id, .flags = flags, .data = (uint64_t)(uintptr_t)data,
				 .hw_error = 0 };
	int e = kvm_memory_encrypt_op(g->kvm, &c);
	if (hw_error)
		*hw_error = c.hw_error;
	return e;
}

static int vcpu_cmd(struct kvm_vcpu *v, uint32_t id, uint32_t flags, uint64_t data, uint64_t *hw_error)
{
	struct kvm_tdx_cmd c = { .id = id, .flags = flags, .data = data, .hw_error = 0 };
	int e = kvm_vcpu_memory_encrypt_op(v, &c);
	if (hw_error)
		*hw_error = c.hw_error;
	return e;
}

static int td_init_vm(struct guest *g, uint64_t attributes, uint64_t xfam, uint64_t *hw_error)
{
	struct kvm_tdx_init_vm init = { .attributes = attributes, .xfam = xfam };
	return vm_cmd(g, KVM_TDX_INIT_VM, 0, &init, hw_error);
}

static void td_init_vcpu(struct guest *g)
{
	uint64_t hw;
	assert_int_equal(kvm_create_vcpu(g->kvm, 0, &g->vcpu), 0);
	assert_int_equal(vcpu_cmd(g->vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), 0);
	assert_int_equal(hw, 0);
}

/* INIT_MEM_REGION of the whole firmware. */
static int td_add_firmware(struct guest *g, uint32_t flags, uint64_t *hw_error)
{
	struct kvm_tdx_init_mem_region r = { .source_addr = (uint64_t)(uintptr_t)g->src,
					     .gpa = TD_FW_TOP - g->fw_size,
					     .nr_pages = g->fw_size >> 12 };
	int e = vcpu_cmd(g->vcpu, KVM_TDX_INIT_MEM_REGION, flags, (uint64_t)(uintptr_t)&r, hw_error);
	if (!e)
		assert_int_equal(r.nr_pages, 0);   /* all of it was added */
	return e;
}

/* The whole setup of a TD with `attributes` running `img`, measured, as
 * tools/vmm.c does it. */
static void td_setup_image(struct guest *g, const unsigned char *img, unsigned len, uint64_t attributes)
{
	uint64_t hw;
	td_create_with(g, img, len);
	assert_int_equal(td_init_vm(g, attributes, 3, &hw), 0);
	assert_int_equal(hw, 0);
	td_init_vcpu(g);
	assert_int_equal(td_add_firmware(g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(hw, 0);
	assert_int_equal(vm_cmd(g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	assert_int_equal(hw, 0);
}

static void td_setup(struct guest *g)
{
	td_setup_image(g, vtsim_guest_td_hello, vtsim_guest_td_hello_len, 0);
}

static void guest_destroy(struct guest *g)
{
	kvm_destroy_vm(g->kvm);
	kvm_userspace_free(g->mem, g->mem_size);
	kvm_userspace_free(g->fw, g->fw_size);
	kvm_userspace_free(g->src, g->fw_size);
	memset(g, 0, sizeof(*g));
}

/* One KVM_RUN and what the VMM does about it: the exit reason. */
static uint32_t step(struct fx *f, struct guest *g)
{
	int e = kvm_vcpu_run(g->vcpu);
	struct kvm_run *run = g->vcpu->run;
	if (e == -EFAULT && run->exit_reason == KVM_EXIT_MEMORY_FAULT && g->nr_faults < 4) {
		/* The VMM converts the page the way the access wants, as QEMU does. */
		g->faults[g->nr_faults++] = run->memory_fault;
		assert_int_equal(set_private(g, run->memory_fault.gpa, run->memory_fault.size,
					     run->memory_fault.flags & KVM_MEMORY_EXIT_FLAG_PRIVATE), 0);
		return run->exit_reason;
	}
	if (e)
		fail_msg("KVM_RUN: %d (%s) after \"%.*s\"", e, vtsim_machine_stop_message(f->m), (int)g->n,
			 g->out);
	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *data = (uint8_t *)run + run->io.data_offset;
		g->io_exits++;
		assert_int_equal(run->io.count, 1);
		if (run->io.direction == KVM_EXIT_IO_OUT) {
			assert_int_equal(run->io.port, 0x3f8);
			assert_int_equal(run->io.size, 1);
			if (g->n < sizeof(g->out) - 1)
				g->out[g->n++] = (char)data[0];
		} else {
			memset(data, g->in_value, run->io.size);
		}
		break;
	}
	case KVM_EXIT_HLT:
		g->hlt_exits++;
		break;
	case KVM_EXIT_MMIO: {
		/* td_hello reads its device's id register (shared GPA 0x30000000) through
		 * a #VE and TDVMCALL<#VE.RequestMMIO>: the shared bit is gone here. */
		uint32_t id = 0x4b564d31;
		assert_int_equal(run->mmio.phys_addr, 0x30000000);
		assert_int_equal(run->mmio.len, 4);
		assert_int_equal(run->mmio.is_write, 0);
		memcpy(run->mmio.data, &id, 4);
		g->mmio_exits++;
		break;
	}
	case KVM_EXIT_TDX:
		assert_non_null(g->on_tdx_exit);
		g->on_tdx_exit(g, run);
		break;
	case KVM_EXIT_HYPERCALL: {
		/* TDVMCALL<MapGPA>: user space converts the range. */
		struct kvm_memory_attributes a = {
			.address = run->hypercall.args[0], .size = run->hypercall.args[1] << 12,
			.attributes = (run->hypercall.args[2] & KVM_MAP_GPA_RANGE_ENCRYPTED)
					      ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
		};
		assert_int_equal(run->hypercall.nr, KVM_HC_MAP_GPA_RANGE);
		g->map_gpa_exits++;
		if (g->on_map_gpa) {
			g->on_map_gpa(g, run);
			break;
		}
		run->hypercall.ret = (uint64_t)-(int64_t)kvm_vm_set_memory_attributes(g->kvm, &a);
		break;
	}
	default:
		g->other_exits++;
		fail_msg("unexpected exit %u (data 0x%llx 0x%llx) after \"%.*s\"", run->exit_reason,
			 (unsigned long long)run->internal.data[0], (unsigned long long)run->internal.data[1],
			 (int)g->n, g->out);
	}
	return run->exit_reason;
}

static void run_to_hlt(struct fx *f, struct guest *g)
{
	for (unsigned i = 0; i < 10000; i++)
		if (step(f, g) == KVM_EXIT_HLT) {
			g->out[g->n] = 0;
			return;
		}
	fail_msg("no HLT after 10000 exits: \"%.*s\"", (int)g->n, g->out);
}

/* ---- a VM, for company and for comparison ----------------------------------------------- */

static void vm_setup(struct guest *g)
{
	memset(g, 0, sizeof(*g));
	assert_int_equal(kvm_create_vm(KVM_X86_DEFAULT_VM, &g->kvm), 0);
	g->mem_size = VM_MEM;
	g->mem = ualloc(VM_MEM);
	uint64_t *pml4 = (uint64_t *)(g->mem + VM_PML4), *pdpt = (uint64_t *)(g->mem + VM_PML4 + 0x1000);
	pml4[0] = (VM_PML4 + 0x1000) | 3;
	for (uint64_t i = 0; i < 4; i++) {
		uint64_t pd = VM_PML4 + 0x2000 + i * 0x1000;
		pdpt[i] = pd | 3;
		for (uint64_t j = 0; j < 512; j++)
			((uint64_t *)(g->mem + pd))[j] = ((i << 30) + (j << 21)) | 0x83;
	}
	uint64_t *gdt = (uint64_t *)(g->mem + VM_GDT);
	gdt[1] = 0x00af9b000000ffffull;   /* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffull;   /* 0x10: data */
	memcpy(g->mem + VM_CODE, vm_guest, sizeof(vm_guest));
	struct kvm_userspace_memory_region r = { .slot = 0, .guest_phys_addr = 0, .memory_size = VM_MEM,
						 .userspace_addr = (uint64_t)(uintptr_t)g->mem };
	assert_int_equal(kvm_set_user_memory_region(g->kvm, &r), 0);
	assert_int_equal(kvm_create_vcpu(g->kvm, 0, &g->vcpu), 0);
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(g->vcpu, &s), 0);
	s.cs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x08, .type = 0xb, .present = 1,
				     .s = 1, .l = 1, .g = 1 };
	s.ds = s.es = s.ss = s.fs = s.gs = (struct kvm_segment){ .limit = 0xffffffff, .selector = 0x10,
								 .type = 3, .present = 1, .s = 1,
								 .db = 1, .g = 1 };
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .unusable = 1 };
	s.gdt = (struct kvm_dtable){ .base = VM_GDT, .limit = 23 };
	s.idt = (struct kvm_dtable){ 0 };
	s.cr0 = 0x80050033;
	s.cr3 = VM_PML4;
	s.cr4 = 0x620;
	s.efer = 0x500;
	assert_int_equal(kvm_vcpu_set_sregs(g->vcpu, &s), 0);
	struct kvm_regs regs = { .rip = VM_CODE, .rsp = VM_STACK, .rflags = 2 };
	assert_int_equal(kvm_vcpu_set_regs(g->vcpu, &regs), 0);
}

/* The same private page faulted by two vCPUs before either fault is handled (on
 * two LPs at once, in Linux): the first fault AUGs it, the second finds it
 * mapped and is spurious, the vCPU entered again (a second TDH.MEM.PAGE.AUG
 * would fail: the S-EPT entry is no longer free). Each vCPU of td_accept_race
 * prints its index, then both ACCEPT the page at 1 MiB: here each is run by hand
 * up to that TD exit (vcpu_run), then both exits are handled. The first to run on
 * accepts the page ('+'), the other finds it accepted ('='). */
static uint32_t one_io(struct kvm_vcpu *v, char *c)
{
	assert_int_equal(kvm_vcpu_run(v), 0);
	if (v->run->exit_reason == KVM_EXIT_IO)
		*c = ((char *)v->run)[v->run->io.data_offset];
	return v->run->exit_reason;
}

static void run_to_exit_unhandled(struct kvm_vcpu *v)
{
	vt_x86_ops.vcpu_load(v, 0);
	assert_int_equal(kvm_complete_userspace_io(v), 1);
	assert_int_equal(v->requests, 0);
	vt_x86_ops.vcpu_run(v);
}

static void test_td_second_fault_on_an_added_page_is_spurious(void **state)
{
	(void)state;
	struct guest g;
	struct kvm_vcpu *v1;
	uint64_t hw;
	char c = 0;
	td_create_with(&g, vtsim_guest_td_accept_race, vtsim_guest_td_accept_race_len);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	assert_int_equal(kvm_create_vcpu(g.kvm, 1, &v1), 0);
	assert_int_equal(vcpu_cmd(v1, KVM_TDX_INIT_VCPU, 0, 0, &hw), 0);
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	assert_int_equal(one_io(g.vcpu, &c), KVM_EXIT_IO);
	assert_int_equal(c, '0');
	assert_int_equal(one_io(v1, &c), KVM_EXIT_IO);
	assert_int_equal(c, '1');

	uint64_t augs = tdx_seamcall_stats()[LEAF_PAGE_AUG].calls;
	run_to_exit_unhandled(g.vcpu);
	run_to_exit_unhandled(v1);
	assert_int_equal(vt_x86_ops.handle_exit(g.vcpu, EXIT_FASTPATH_NONE), 1);
	int r = vt_x86_ops.handle_exit(v1, EXIT_FASTPATH_NONE);
	if (r != 1)
		fail_msg("the second fault: %d, exit %u (data 0x%llx)", r, v1->run->exit_reason,
			 (unsigned long long)v1->run->internal.data[0]);
	vt_x86_ops.vcpu_put(g.vcpu);
	vt_x86_ops.vcpu_put(v1);
	assert_int_equal(tdx_seamcall_stats()[LEAF_PAGE_AUG].calls, augs + 1);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], 1);
	assert_int_equal(v1->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], 1);
	assert_int_equal(g.vcpu->stat.ept_maps, 1);
	assert_int_equal(g.vcpu->stat.pf_spurious, 0);
	assert_int_equal(v1->stat.ept_maps, 0);
	assert_int_equal(v1->stat.pf_spurious, 1);

	assert_int_equal(one_io(g.vcpu, &c), KVM_EXIT_IO);
	assert_int_equal(c, '+');
	assert_int_equal(one_io(v1, &c), KVM_EXIT_IO);
	assert_int_equal(c, '=');
	assert_int_equal(one_io(g.vcpu, &c), KVM_EXIT_HLT);
	assert_int_equal(one_io(v1, &c), KVM_EXIT_HLT);
	assert_int_equal(tdx_seamcall_stats()[LEAF_PAGE_AUG].calls, augs + 1);
	guest_destroy(&g);
}

/* TDH.VP.ENTER contended (injected: the TDVPR's lock found held, as when another
 * LP holds it): TDX_OPERAND_BUSY is no TD exit, and kvmlike enters again within
 * the same KVM_RUN (Linux: EXIT_FASTPATH_REENTER_GUEST). td_hello runs to its HLT
 * as ever, with one TDH.VP.ENTER more than TD exits. */
static void test_td_busy_entry_is_entered_again(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_setup(&g);
	assert_int_equal(step(f, &g), KVM_EXIT_IO);        /* the shared EPT's root is loaded */
	uint64_t enters = tdx_seamcall_stats()[LEAF_VP_ENTER].calls, exits = g.vcpu->stat.exits;
	tdx_module_inject_busy(f->m->seam.module, 1);
	assert_int_equal(step(f, &g), KVM_EXIT_IO);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_ENTER].calls - enters,
			 g.vcpu->stat.exits - exits + 1);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	guest_destroy(&g);
}

/* ---- 3. TDVMCALLs user space answers: GetQuote and company ------------------------- */

#define QBUF_GPA 0x1f0000ull

/* The test's quoting service (the part of a real host that talks to the quoting
 * enclave): it takes the TDREPORT from the TD's shared buffer, checks its MAC
 * (what the quoting enclave has the CPU do) and returns a "quote": a magic,
 * then the report. */
static void quote_service(struct guest *g, struct kvm_run *run)
{
	g->tdx_exits++;
	assert_int_equal(run->tdx.flags, 0);
	switch (run->tdx.nr) {
	case 0x10000:                                     /* GetTdVmCallInfo(1) */
		assert_int_equal(run->tdx.get_tdvmcall_info.leaf, 1);
		assert_int_equal(run->tdx.get_tdvmcall_info.ret, 0);
		run->tdx.get_tdvmcall_info.r11 = 1u << 2 | 1u << 4;  /* GetQuote, SetupEventNotify */
		break;
	case 0x10004:                                     /* SetupEventNotifyInterrupt */
		assert_int_equal(run->tdx.setup_event_notify.ret, 0x8000000000000003ull);
		g->notify_vector = run->tdx.setup_event_notify.vector;
		run->tdx.setup_event_notify.ret = 0;
		break;
	case 0x10002: {                                   /* GetQuote */
		assert_int_equal(run->tdx.get_quote.ret, 0x8000000000000003ull);  /* preset */
		assert_int_equal(run->tdx.get_quote.gpa, QBUF_GPA);                /* shared bit gone */
		assert_int_equal(run->tdx.get_quote.size, 0x2000);
		uint8_t *buf = g->mem + QBUF_GPA;
		uint64_t version, status;
		uint32_t in_len;
		memcpy(&version, buf, 8);
		memcpy(&status, buf + 8, 8);
		memcpy(&in_len, buf + 16, 4);
		assert_int_equal(version, 1);
		assert_int_equal(status, ~0ull);                  /* in flight */
		assert_int_equal(in_len, 1024);
		assert_true(tdx_report_verify(buf + 24));         /* a report this platform made */
		assert_memory_equal(buf + 24 + 128, "vtsim: the quote binds", 22);  /* REPORTDATA */
		memmove(buf + 24 + 8, buf + 24, 1024);
		memcpy(buf + 24, "VTSIMQ01", 8);
		uint32_t out_len = 8 + 1024;
		memcpy(buf + 20, &out_len, 4);
		memset(buf + 8, 0, 8);                            /* status: done */
		run->tdx.get_quote.ret = 0;
		break;
	}
	default:
		fail_msg("KVM_EXIT_TDX for sub-function 0x%llx", (unsigned long long)run->tdx.nr);
	}
}

/* A TD asks for a quote: the TDVMCALLs that need user space reach it as
 * KVM_EXIT_TDX with KVM's presets, its answers reach the guest; what KVM refuses
 * itself (a private buffer, an exception vector) never leaves the kernel. */
static void test_td_get_quote(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_setup_image(&g, vtsim_guest_td_quote, vtsim_guest_td_quote_len, 0);
	g.on_tdx_exit = quote_service;
	run_to_hlt(f, &g);
	assert_string_equal(g.out,
		"A TD asks for a quote (GHCI GetQuote)\n"
		"GetTdVmCallInfo(1): 0000000000000000\n"
		"  R11: 0000000000000014\n"
		"SetupEventNotifyInterrupt(0xec): 0000000000000000\n"
		"SetupEventNotifyInterrupt(5): 8000000000000000\n"
		"GetQuote, private buffer: 8000000000000000\n"
		"GetQuote: 0000000000000000\n"
		"  buffer status: 0000000000000000\n"
		"  out_len: 0000000000000408\n"
		"  quote: VTSIMQ01\n"
		"TD done\n");
	assert_int_equal(g.tdx_exits, 3);
	assert_int_equal(g.notify_vector, 0xec);
	guest_destroy(&g);
}

/* ---- 1. the lifecycle ------------------------------------------------------------------- */

static void test_td_runs_td_hello_to_its_hlt(void **state)
{
	struct fx *f = *state;
	struct guest g;
	assert_int_equal(vtsim_guest_td_hello_len, 0x8000);
	td_setup(&g);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	size_t len = strlen(td_hello_text);

	/* One KVM_EXIT_IO per byte, one KVM_EXIT_MMIO, one KVM_EXIT_HYPERCALL (MapGPA of
	 * the page it shares), one KVM_EXIT_HLT, nothing else. */
	assert_int_equal(g.io_exits, len);
	assert_int_equal(g.map_gpa_exits, 1);
	assert_int_equal(g.hlt_exits, 1);
	assert_int_equal(g.other_exits, 0);
	const struct kvm_vcpu_stat *st = &g.vcpu->stat;
	assert_int_equal(st->io_exits, len);
	assert_int_equal(st->halt_exits, 1);
	assert_int_equal(st->mmio_exits, 1);                  /* the device read, via #VE */
	assert_int_equal(g.mmio_exits, 1);
	/* TD exits: a TDCALL (TDG.VP.VMCALL) per byte and the other TDVMCALLs; the
	 * EPT violations kvmlike handled (the private page the guest accepts, the
	 * page it shares); nothing else. */
	assert_int_equal(st->exits_by_reason[EXIT_REASON_TDCALL], len + TD_OTHER_TDVMCALLS);
	assert_int_equal(st->exits_by_reason[EXIT_REASON_EPT_VIOLATION], TD_EPT_VIOLATIONS);
	assert_int_equal(st->exits, len + TD_OTHER_TDVMCALLS + TD_EPT_VIOLATIONS);
	assert_int_equal(st->ept_maps, TD_EPT_VIOLATIONS - 1);   /* the MMIO one maps nothing */

	/* The guest halts in a loop: each KVM_RUN after the HLT is another HLT. */
	assert_int_equal(step(f, &g), KVM_EXIT_HLT);
	assert_int_equal(st->halt_exits, 2);
	assert_int_equal(st->exits_by_reason[EXIT_REASON_TDCALL], len + TD_OTHER_TDVMCALLS + 1);
	assert_int_equal(g.io_exits, len);

	/* The shared page is ordinary memory: the host reads the TD's message. */
	assert_string_equal((const char *)g.mem + TD_SHARED, td_shared_msg);
	assert_int_equal(rdmd(f, __pa(g.mem + TD_SHARED)), PT_NDA);

	/* The page the guest accepted and wrote is private: its guest_memfd page is
	 * the TD's (PT_REG) and reads as zeros from the host (KeyID 0); the memslot's
	 * page (user space's, the shared half) stays the host's and holds none of it. */
	uint64_t pa = gmem_pa(&g, TD_ACCEPTED), fw_pa = gmem_pa(&g, TD_FW_TOP - g.fw_size);
	assert_true(pa && fw_pa);
	assert_int_equal(rdmd(f, pa), PT_REG);
	assert_int_equal(rdmd(f, __pa(g.mem + TD_ACCEPTED)), PT_NDA);
	assert_true(all_zero(__va(pa), PAGE_SIZE));          /* the guest wrote "rites TD" */
	assert_true(all_zero(g.mem + TD_ACCEPTED, PAGE_SIZE));
	assert_int_equal(rdmd(f, fw_pa), PT_REG);            /* the image: added */
	assert_int_equal(rdmd(f, __pa(g.fw)), PT_NDA);
	assert_true(all_zero(g.fw, g.fw_size));              /* the image never went there */
	assert_int_equal(gmem_pa(&g, 0), 0);                 /* never added nor accepted */
	guest_destroy(&g);
	assert_int_equal(rdmd(f, pa), PT_NDA);
	assert_int_equal(rdmd(f, fw_pa), PT_NDA);
}

/* The same with the image added unmeasured: the guest runs the same, and its
 * TDREPORT's MRTD has only the TDH.MEM.PAGE.ADDs in it. */
static void test_td_runs_with_an_unmeasured_image(void **state)
{
	struct fx *f = *state;
	struct guest g;
	uint64_t hw;
	uint64_t extends = tdx_seamcall_stats()[16].calls;     /* TDH.MR.EXTEND */
	td_create(&g);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	assert_int_equal(td_add_firmware(&g, 0, &hw), 0);
	assert_int_equal(tdx_seamcall_stats()[16].calls, extends);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text_unmeasured);
	guest_destroy(&g);
	/* Measured: 16 TDH.MR.EXTEND per page (256 bytes each). */
	td_setup(&g);
	assert_int_equal(tdx_seamcall_stats()[16].calls - extends, 16 * (g.fw_size >> 12));
	guest_destroy(&g);
}

/* Without KVM_CAP_EXIT_HYPERCALL for KVM_HC_MAP_GPA_RANGE, MapGPA is a sub-function
 * the VMM does not support (as in Linux): td_hello says it got no shared memory, and
 * no KVM_EXIT_HYPERCALL reaches user space. */
static void test_td_map_gpa_without_the_exit_is_unsupported(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_setup(&g);
	struct kvm_enable_cap none = { .cap = KVM_CAP_EXIT_HYPERCALL, .args = { 0 } };
	assert_int_equal(kvm_vm_enable_cap(g.kvm, &none), 0);
	run_to_hlt(f, &g);
	assert_non_null(strstr(g.out, "TDVMCALL<MapGPA>: refused, no shared memory"));
	assert_int_equal(g.map_gpa_exits, 0);
	guest_destroy(&g);
}

/* KVM_SET_MEMORY_ATTRIBUTES takes page-aligned, non-empty ranges, no flags, and the
 * private attribute only on a TD. */
static void test_set_memory_attributes_errors(void **state)
{
	(void)state;
	struct guest td, vm;
	td_create(&td);
	static const struct kvm_memory_attributes bad[] = {
		{ .address = 0x1000, .size = 0x1000, .flags = 1 },
		{ .address = 0x1800, .size = 0x1000 },
		{ .address = 0x1000, .size = 0x800 },
		{ .address = 0x1000, .size = 0 },
		{ .address = ~0xfffull, .size = 0x2000 },
		{ .address = 0x1000, .size = 0x1000, .attributes = 1 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kvm_vm_set_memory_attributes(td.kvm, &bad[i]), -EINVAL);
	struct kvm_memory_attributes ok = { .address = 0x1000, .size = 0x1000,
					    .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };
	assert_int_equal(kvm_vm_set_memory_attributes(td.kvm, &ok), 0);
	ok.attributes = 0;
	assert_int_equal(kvm_vm_set_memory_attributes(td.kvm, &ok), 0);
	guest_destroy(&td);
	vm_setup(&vm);
	assert_int_equal(kvm_vm_set_memory_attributes(vm.kvm, &ok), 0);
	ok.attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE;
	assert_int_equal(kvm_vm_set_memory_attributes(vm.kvm, &ok), -EINVAL);
	guest_destroy(&vm);
}

/* KVM_CREATE_GUEST_MEMFD, KVM_SET_USER_MEMORY_REGION2 and fallocate on a
 * guest_memfd refuse what Linux refuses, with its errno: a size of 0, not
 * page-aligned or with flags (-EINVAL); a slot larger than the file from its
 * offset, an offset not page-aligned (-EINVAL); no such fd (-EBADF); a part of
 * the file another slot is bound to (-EEXIST); KVM_MEM_GUEST_MEMFD through the
 * first version or on a VM that has no private memory (-EINVAL); fallocate
 * without KEEP_SIZE or with other modes (-EOPNOTSUPP), unaligned (-EINVAL). */
static void test_guest_memfd_errors(void **state)
{
	(void)state;
	struct guest td, vm;
	td_create(&td);
	static const struct kvm_create_guest_memfd bad[] = { { .size = 0 }, { .size = 0x1800 },
							     { .size = 0x1000, .flags = 1 } };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(kvm_create_guest_memfd(td.kvm, &bad[i]), -EINVAL);
	struct kvm_create_guest_memfd gm = { .size = 0x4000 };
	int fd = kvm_create_guest_memfd(td.kvm, &gm);
	assert_true(fd >= 0 && fd != td.gmem_fd);
	uint8_t *mem = ualloc(0x8000);
	struct kvm_userspace_memory_region2 m = { .slot = 2, .flags = KVM_MEM_GUEST_MEMFD,
						  .guest_phys_addr = 0x10000000, .memory_size = 0x8000,
						  .userspace_addr = (uint64_t)(uintptr_t)mem,
						  .guest_memfd = (uint32_t)fd };
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EINVAL);   /* 32 KiB, the file 16 */
	m.memory_size = 0x4000;
	m.guest_memfd_offset = 0x800;
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EINVAL);
	m.guest_memfd_offset = 0x1000;                                         /* runs past the end */
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EINVAL);
	m.guest_memfd_offset = 0;
	m.guest_memfd = KVM_MAX_GMEM_FILES - 1;
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EBADF);
	m.guest_memfd = (uint32_t)td.gmem_fd;                                  /* slot 0's part */
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EEXIST);
	m.guest_memfd = (uint32_t)fd;
	m.flags |= 1;                                                          /* dirty logging */
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EINVAL);
	struct kvm_userspace_memory_region v1 = { .slot = 2, .flags = KVM_MEM_GUEST_MEMFD,
						  .guest_phys_addr = 0x10000000, .memory_size = 0x4000,
						  .userspace_addr = (uint64_t)(uintptr_t)mem };
	assert_int_equal(kvm_set_user_memory_region(td.kvm, &v1), -EINVAL);
	m.flags = KVM_MEM_GUEST_MEMFD;
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), 0);
	m.slot = 3;
	m.guest_phys_addr = 0x20000000;
	assert_int_equal(kvm_set_user_memory_region2(td.kvm, &m), -EEXIST);  /* slot 2's part */

	const int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, FALLOC_FL_PUNCH_HOLE, 0, 0x1000), -EOPNOTSUPP);
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, 0, 0, 0x1000), -EOPNOTSUPP);
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, punch | 0x10, 0, 0x1000), -EOPNOTSUPP);
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, punch, 0x800, 0x1000), -EINVAL);
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, FALLOC_FL_KEEP_SIZE, 0, 0x5000), -EINVAL);
	assert_int_equal(kvm_gmem_fallocate(td.kvm, KVM_MAX_GMEM_FILES - 1, punch, 0, 0x1000), -EBADF);
	assert_null(kvm_gmem_host_view(td.kvm, fd, 0x1000));
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, FALLOC_FL_KEEP_SIZE, 0x1000, 0x1000), 0);
	assert_non_null(kvm_gmem_host_view(td.kvm, fd, 0x1000));
	assert_int_equal(kvm_gmem_fallocate(td.kvm, fd, punch, 0, 0x4000), 0);
	assert_null(kvm_gmem_host_view(td.kvm, fd, 0x1000));
	guest_destroy(&td);
	kvm_userspace_free(mem, 0x8000);

	vm_setup(&vm);                     /* a VM makes a guest_memfd, but cannot bind it */
	fd = kvm_create_guest_memfd(vm.kvm, &gm);
	assert_true(fd >= 0);
	mem = ualloc(0x4000);
	m = (struct kvm_userspace_memory_region2){ .slot = 1, .flags = KVM_MEM_GUEST_MEMFD,
						   .guest_phys_addr = 0x10000000, .memory_size = 0x4000,
						   .userspace_addr = (uint64_t)(uintptr_t)mem,
						   .guest_memfd = (uint32_t)fd };
	assert_int_equal(kvm_set_user_memory_region2(vm.kvm, &m), -EINVAL);
	guest_destroy(&vm);
	kvm_userspace_free(mem, 0x4000);
}

/* A TD's private pages are its guest_memfd's, never the memslot's: the page the
 * guest converts and accepts (td_convert, GPA 1FE000H) is allocated when the TD
 * first maps it privately; made shared, its S-EPT entry goes (the page is the
 * host's again) but it stays in the file until user space punches the hole; a
 * hole punched under a page the TD still maps privately (the image's first page)
 * removes the mapping first. The memslot's memory never shows private data, and
 * after teardown every page kvmlike took is free and none is owned. */
static void test_td_private_memory_is_guest_memfd(void **state)
{
	struct fx *f = *state;
	uint64_t in_use = kvm_hosted_pages_in_use(), hw;
	struct guest g;
	td_create_with(&g, vtsim_guest_td_convert, vtsim_guest_td_convert_len);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	const uint64_t gpa = 0x1fe000, fw_gpa = TD_FW_TOP - g.fw_size;
	assert_int_equal(gmem_pa(&g, gpa), 0);
	uint64_t fw_pa = gmem_pa(&g, fw_gpa);
	assert_int_equal(rdmd(f, fw_pa), PT_REG);
	run_to_hlt(f, &g);
	assert_non_null(strstr(g.out, "ACCEPT of a shared page: converted by the VMM, accepted, reads zero"));
	uint64_t pa = gmem_pa(&g, gpa);
	assert_true(pa != 0 && pa != __pa(g.mem + gpa));
	assert_int_equal(rdmd(f, pa), PT_REG);
	assert_int_equal(rdmd(f, __pa(g.mem + gpa)), PT_NDA);
	assert_true(all_zero(__va(pa), PAGE_SIZE));
	assert_true(all_zero(g.fw, g.fw_size));

	assert_int_equal(set_private(&g, gpa, PAGE_SIZE, false), 0);
	assert_int_equal(gmem_pa(&g, gpa), pa);
	assert_int_equal(rdmd(f, pa), PT_NDA);
	const int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	assert_int_equal(kvm_gmem_fallocate(g.kvm, g.gmem_fd, punch, gpa, PAGE_SIZE), 0);
	assert_int_equal(gmem_pa(&g, gpa), 0);
	assert_int_equal(set_private(&g, gpa, PAGE_SIZE, true), 0);
	assert_int_equal(gmem_pa(&g, gpa), 0);              /* until the TD maps it */

	assert_int_equal(kvm_gmem_fallocate(g.kvm, g.gmem_fd, punch, g.mem_size, PAGE_SIZE), 0);
	assert_int_equal(gmem_pa(&g, fw_gpa), 0);
	assert_int_equal(rdmd(f, fw_pa), PT_NDA);
	guest_destroy(&g);
	assert_int_equal(kvm_hosted_pages_in_use(), in_use);
	assert_int_equal(rdmd(f, pa), PT_NDA);
}

/* The attribute is state: ranges merge and split, a range that changes nothing is
 * accepted, a missing argument is -EFAULT, more separate private ranges than
 * kvmlike keeps -ENOMEM; INIT_MEM_REGION wants the private attribute (-EINVAL). */
static void test_memory_attributes_are_state(void **state)
{
	(void)state;
	struct guest g;
	uint64_t hw;
	td_create(&g);           /* low memory and firmware private, as a VMM makes them */
	assert_true(kvm_range_is_private(g.kvm, 0, g.mem_size >> 12));
	assert_int_equal(kvm_vm_set_memory_attributes(g.kvm, NULL), -EFAULT);
	assert_int_equal(set_private(&g, 0x10000, 0x3000, false), 0);
	assert_true(kvm_mem_is_private(g.kvm, 0xf) && kvm_mem_is_private(g.kvm, 0x13));
	assert_false(kvm_mem_is_private(g.kvm, 0x10) || kvm_mem_is_private(g.kvm, 0x12));
	assert_false(kvm_range_is_private(g.kvm, 0, 0x14));
	assert_int_equal(set_private(&g, 0x10000, 0x3000, false), 0);      /* no change */
	assert_int_equal(set_private(&g, 0x11000, 0x1000, true), 0);
	assert_true(kvm_mem_is_private(g.kvm, 0x11) && !kvm_mem_is_private(g.kvm, 0x12));
	assert_int_equal(set_private(&g, 0x10000, 0x3000, true), 0);       /* merged again */
	assert_true(kvm_range_is_private(g.kvm, 0, g.mem_size >> 12));
	assert_int_equal(set_private(&g, 0, g.mem_size, false), 0);
	unsigned ok = 0;
	int e = 0;
	for (uint64_t gpa = 0; gpa < g.mem_size && !e; gpa += 0x2000, ok++)
		e = set_private(&g, gpa, 0x1000, true);
	assert_int_equal(e, -ENOMEM);
	assert_int_equal(ok - 1, KVM_MAX_PRIVATE_RANGES - 1);   /* the firmware holds one */
	assert_int_equal(set_private(&g, TD_FW_TOP - g.fw_size, 0x1000, false), 0);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	assert_int_equal(td_add_firmware(&g, 0, &hw), -EINVAL);
	assert_int_equal(g.vcpu->stat.ept_maps, 0);
	guest_destroy(&g);
}

/* guests/td_convert: an access against the attribute ends KVM_RUN with -EFAULT and
 * KVM_EXIT_MEMORY_FAULT (Linux's fields), the VMM converts, the access completes:
 * a shared load of a page made private (its shared-EPT entry was zapped at the
 * conversion, the vCPU's TLB flushed through flush_tlb_all) and an ACCEPT of a
 * page made shared (not AUGed before the VMM converts it). */
static void test_td_access_against_the_attribute_is_a_memory_fault(void **state)
{
	struct fx *f = *state;
	struct guest g;
	uint64_t hw;
	td_create_with(&g, vtsim_guest_td_convert, vtsim_guest_td_convert_len);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	uint64_t pgd = kvm_x86_op_calls[KVM_OP_load_mmu_pgd][1], flush = kvm_x86_op_calls[KVM_OP_flush_tlb_all][1];
	uint64_t current = kvm_x86_op_calls[KVM_OP_flush_tlb_current][1];
	run_to_hlt(f, &g);
	assert_non_null(strstr(g.out, "shared access to a private page: converted by the VMM, shared data read"));
	assert_non_null(strstr(g.out, "ACCEPT of a shared page: converted by the VMM, accepted, reads zero"));
	assert_int_equal(g.nr_faults, 2);
	assert_int_equal(g.faults[0].flags, 0);
	assert_int_equal(g.faults[0].gpa, 0x1fe000);
	assert_int_equal(g.faults[0].size, 0x1000);
	assert_int_equal(g.faults[1].flags, KVM_MEMORY_EXIT_FLAG_PRIVATE);
	assert_int_equal(g.faults[1].gpa, 0x1fe000);
	assert_int_equal(g.faults[1].size, 0x1000);
	assert_int_equal(g.map_gpa_exits, 3);
	/* The first entry loaded the shared EPT's root and flushed its TLB; each zap of
	 * a mapped alias (MapGPA to private, the VMM's conversion before the ACCEPT)
	 * flushed all. */
	assert_int_equal(kvm_x86_op_calls[KVM_OP_load_mmu_pgd][1] - pgd, 1);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_flush_tlb_current][1] - current, 1);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_flush_tlb_all][1] - flush, 2);
	guest_destroy(&g);
}

/* A TD in 32-bit protected mode, from the reset vector: LIDT with the limit
 * and base at FFFFF020H (`idt_limit`, base 0), then UD2. */
static void td_ud2_firmware(struct guest *g, uint16_t idt_limit, uint64_t attributes)
{
	static unsigned char fw[4096];
	static const unsigned char code[] = {
		0x0f, 0x01, 0x1d, 0x20, 0xf0, 0xff, 0xff,   /* lidt [0xfffff020] (32-bit code) */
		0x0f, 0x0b,                                 /* ud2 */
	};
	static const unsigned char reset[] = { 0xe9, 0x0b, 0xf0, 0xff, 0xff };  /* jmp 0xfffff000 */
	memset(fw, 0, sizeof(fw));
	memcpy(fw, code, sizeof(code));
	memcpy(fw + 0x20, &idt_limit, 2);
	memcpy(fw + 0xff0, reset, sizeof(reset));
	td_setup_image(g, fw, sizeof(fw), attributes);
}

/* An empty IDT (limit 0): #UD, #GP and #DF find no gate, a triple fault, which
 * the TDX module reports as a TD exit (reason 2) and kvmlike as KVM_EXIT_SHUTDOWN
 * (Linux's tdx_handle_exit). */
static void test_td_triple_fault_is_kvm_exit_shutdown(void **state)
{
	(void)state;
	struct guest g;
	td_ud2_firmware(&g, 0, 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	if (g.vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
		fail_msg("exit %u, data 0x%llx 0x%llx", g.vcpu->run->exit_reason,
			 (unsigned long long)g.vcpu->run->internal.data[0],
			 (unsigned long long)g.vcpu->run->internal.data[1]);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_TRIPLE_FAULT], 1);
	assert_int_equal(g.vcpu->stat.exits, 1);
	guest_destroy(&g);
}

/* A TD with SEPT_VE_DISABLE whose #UD delivery reads its IDT at private GPA 0,
 * which it never accepted: the first read is an EPT violation on a GPA with no
 * page, which kvmlike AUGs; the #UD is delivered again and its read finds the
 * page PENDING, which for this TD is a TD exit (extended qualification type 6,
 * no permission) rather than a #VE. As in Linux, a guest bug: the VM is dead,
 * KVM_RUN -EIO now and after. */
static void test_td_access_before_accept_kills_the_vm(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_ud2_firmware(&g, 0xfff, 1ull << 28);            /* SEPT_VE_DISABLE */
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EIO);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], 2);
	assert_int_equal(g.vcpu->stat.ept_maps, 1);
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EIO);
	assert_int_equal(g.vcpu->stat.exits, 2);
	uint64_t pa = gmem_pa(&g, 0);
	assert_int_equal(rdmd(f, pa), PT_REG);                /* AUGed, never accepted */
	guest_destroy(&g);
	assert_int_equal(rdmd(f, pa), PT_NDA);
}

/* The same TD without SEPT_VE_DISABLE: the second read of the PENDING IDT page is
 * a #VE, whose own delivery reads the page again: a #VE while the last one is
 * unread, which the TDX module turns into a #DF; the #DF's delivery faults on the
 * page too, a third fault: the vCPU shuts down, a TD exit with reason 2
 * (TDX_NON_RECOVERABLE_VCPU), KVM_EXIT_SHUTDOWN. The VMM saw one EPT violation
 * (the AUG); before, each further one came to it as an EPT violation on a page
 * it had added. */
static void test_td_ve_delivery_on_an_unaccepted_idt_is_a_triple_fault(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_ud2_firmware(&g, 0xfff, 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	if (g.vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
		fail_msg("exit %u, data 0x%llx 0x%llx", g.vcpu->run->exit_reason,
			 (unsigned long long)g.vcpu->run->internal.data[0],
			 (unsigned long long)g.vcpu->run->internal.data[1]);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], 1);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_TRIPLE_FAULT], 1);
	assert_int_equal(g.vcpu->stat.exits, 2);
	assert_int_equal(g.vcpu->stat.ept_maps, 1);
	assert_int_equal(g.vcpu->stat.pf_spurious, 0);
	uint64_t pa = gmem_pa(&g, 0);
	assert_int_equal(rdmd(f, pa), PT_REG);                /* AUGed, never accepted */
	guest_destroy(&g);
}

/* TDH.VP.ENTER's failures as KVM reports them (Linux's tdx_handle_exit): a machine
 * check during the module's VM entry is a TD exit with exit reason 80000029H and
 * NON_RECOVERABLE_TD_NON_ACCESSIBLE, which KVM_RUN reports as KVM_EXIT_FAIL_ENTRY
 * with the 32-bit reason and the LP; the TD is fatal then, and the next
 * TDH.VP.ENTER's TDX_TD_FATAL, no TD exit, is KVM_EXIT_INTERNAL_ERROR
 * (UNEXPECTED_EXIT_REASON) with the whole status and the LP. Neither counts as a
 * TD exit, and the teardown of the fatal TD still gives every page back. */
static void test_td_entry_failures_reach_user_space(void **state)
{
	struct fx *f = *state;
	struct guest g;
	struct ownership before;
	ownership_take(f, &before);
	td_setup(&g);
	run_to_hlt(f, &g);
	uint64_t exits = g.vcpu->stat.exits;
	assert_int_equal(vtsim_inject_entry_mce(f->m, 0), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	struct kvm_run *run = g.vcpu->run;
	assert_int_equal(run->exit_reason, KVM_EXIT_FAIL_ENTRY);
	assert_int_equal(run->fail_entry.hardware_entry_failure_reason, 0x80000029);
	assert_int_equal(run->fail_entry.cpu, 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	assert_int_equal(run->exit_reason, KVM_EXIT_INTERNAL_ERROR);
	assert_int_equal(run->internal.suberror, KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON);
	assert_int_equal(run->internal.ndata, 2);
	assert_int_equal(run->internal.data[0], TDX_TD_FATAL);
	assert_int_equal(run->internal.data[1], 0);
	assert_int_equal(g.vcpu->stat.exits, exits);
	guest_destroy(&g);
	/* Its private pages could not be removed while the HKID lived (as Linux, it
	 * says so); they were reclaimed after. */
	log_take(f, "kvmlike: TDX: TDH.MEM.RANGE.BLOCK failed: 0xe000060400000000");
	assert_ownership_unchanged(f, &before);
	ownership_free(&before);
}

/* TDVMCALL<MapGPA> of 5 MiB + 4 KiB reaches user space in 2 MiB pieces (Linux's
 * TDX_MAP_GPA_MAX_LEN), the shared bit dropped, ENCRYPTED or DECRYPTED by it.
 * When user space answers EAGAIN, the guest hears TDVMCALL_STATUS_RETRY with R11
 * = the piece's GPA and asks again from there (td_map_gpa checks R10 and R11 of
 * every answer, the refusals' too). */
static const struct { uint64_t gpa, pages, attr, ret; } map_gpa_pieces[] = {
	{ 0x10000000, 512, KVM_MAP_GPA_RANGE_DECRYPTED, 0 },
	{ 0x10200000, 512, KVM_MAP_GPA_RANGE_DECRYPTED, EAGAIN },
	{ 0x10200000, 512, KVM_MAP_GPA_RANGE_DECRYPTED, 0 },
	{ 0x10400000, 257, KVM_MAP_GPA_RANGE_DECRYPTED, 0 },
	{ 0x10000000, 512, KVM_MAP_GPA_RANGE_ENCRYPTED, 0 },
	{ 0x10200000, 512, KVM_MAP_GPA_RANGE_ENCRYPTED, 0 },
	{ 0x10400000, 257, KVM_MAP_GPA_RANGE_ENCRYPTED, 0 },
};

static void map_gpa_in_pieces(struct guest *g, struct kvm_run *run)
{
	unsigned i = g->map_gpa_exits - 1;
	assert_true(i < sizeof(map_gpa_pieces) / sizeof(map_gpa_pieces[0]));
	assert_int_equal(run->hypercall.args[0], map_gpa_pieces[i].gpa);
	assert_int_equal(run->hypercall.args[1], map_gpa_pieces[i].pages);
	assert_int_equal(run->hypercall.args[2], map_gpa_pieces[i].attr);
	assert_int_equal(run->hypercall.flags, KVM_EXIT_HYPERCALL_LONG_MODE);
	assert_int_equal(run->hypercall.ret, 0);
	struct kvm_memory_attributes a = {
		.address = run->hypercall.args[0], .size = run->hypercall.args[1] << 12,
		.attributes = map_gpa_pieces[i].attr == KVM_MAP_GPA_RANGE_ENCRYPTED ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0,
	};
	run->hypercall.ret = map_gpa_pieces[i].ret ? map_gpa_pieces[i].ret
						   : (uint64_t)-(int64_t)kvm_vm_set_memory_attributes(g->kvm, &a);
}

static void test_td_map_gpa_in_pieces(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_setup_image(&g, vtsim_guest_td_map_gpa, vtsim_guest_td_map_gpa_len, 0);
	g.on_map_gpa = map_gpa_in_pieces;
	run_to_hlt(f, &g);
	assert_string_equal(g.out,
		"A TD converts 5 MiB + 4 KiB with MapGPA\n"
		"MapGPA: RETRY, going on from R11\n"
		"MapGPA to shared: done\n"
		"MapGPA to private: done\n"
		"MapGPA, GPA not page-aligned: ALIGN_ERROR\n"
		"MapGPA, size not page-aligned: ALIGN_ERROR\n"
		"MapGPA across the shared bit: INVALID_OPERAND\n"
		"MapGPA of nothing: INVALID_OPERAND\n"
		"MapGPA beyond the GPA width: INVALID_OPERAND\n"
		"TD done\n");
	assert_int_equal(g.map_gpa_exits, sizeof(map_gpa_pieces) / sizeof(map_gpa_pieces[0]));
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_TDCALL], strlen(g.out) + 3 + 5 + 1);   /* MapGPAs, refusals, HLT */
	guest_destroy(&g);
}

/* An answer to MapGPA other than 0, EAGAIN or EINVAL is user space's error:
 * KVM_RUN fails with -EINVAL (Linux's tdx_complete_vmcall_map_gpa). */
static void test_td_map_gpa_bad_answer_fails_kvm_run(void **state)
{
	struct guest g;
	(void)state;
	td_setup(&g);
	int e;
	while (!(e = kvm_vcpu_run(g.vcpu)) && g.vcpu->run->exit_reason != KVM_EXIT_HYPERCALL)
		if (g.vcpu->run->exit_reason == KVM_EXIT_MMIO)
			memset(g.vcpu->run->mmio.data, 0, 8);
	assert_int_equal(e, 0);
	g.vcpu->run->hypercall.ret = 1;                       /* EPERM */
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EINVAL);
	guest_destroy(&g);
}

/* ---- 2. errors ---------------------------------------------------------------------------- */

static struct kvm_tdx_capabilities *caps_alloc(uint32_t room)
{
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + room * sizeof(struct kvm_cpuid_entry2));
	assert_non_null(caps);
	caps->cpuid.nent = room;
	return caps;
}

/* KVM_TDX_CAPABILITIES: attributes, XFAM, and the configurable CPUID bits, one
 * entry per leaf the module lists (TDH.SYS.RD's CPUID_CONFIG). */
static void test_capabilities(void **state)
{
	(void)state;
	struct guest g;
	td_create(&g);
	struct kvm_tdx_capabilities *caps = caps_alloc(2);
	uint64_t hw;
	assert_int_equal(vm_cmd(&g, KVM_TDX_CAPABILITIES, 0, caps, &hw), -E2BIG);
	assert_int_equal(caps->cpuid.nent, 3);                 /* the room it needs */
	free(caps);
	caps = caps_alloc(3);
	memset(caps->reserved, 0xa5, sizeof(caps->reserved));
	assert_int_equal(vm_cmd(&g, KVM_TDX_CAPABILITIES, 0, caps, &hw), 0);
	assert_int_equal(hw, 0);
	assert_int_equal(caps->supported_xfam & 3, 3);         /* x87 and SSE */
	assert_int_equal(caps->supported_attrs & 2, 0);        /* bit 1 is no attribute */
	assert_int_equal(caps->reserved[0], 0);
	assert_int_equal(caps->cpuid.nent, 3);
	const struct kvm_cpuid_entry2 *e = caps->cpuid.entries;
	assert_int_equal(e[0].function, 1);                    /* leaf 1, no subleaf */
	assert_int_equal(e[0].flags, 0);
	assert_int_equal(e[0].ebx, 0x00ff00ff);                /* not the APIC ID byte */
	assert_int_equal(e[1].function, 7);                    /* leaf 7, subleaf 0 */
	assert_int_equal(e[1].flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	assert_int_equal(e[1].eax, 0);
	assert_int_equal(e[1].ebx, 0xffffffff);
	assert_int_equal(e[2].function, 0x80000008);
	assert_int_equal(e[2].eax, 0xff);                      /* MAXPHYADDR */
	assert_int_equal(vm_cmd(&g, KVM_TDX_CAPABILITIES, 1, caps, &hw), -EINVAL);   /* flags */
	assert_int_equal(vm_cmd(&g, KVM_TDX_CAPABILITIES, 0, NULL, &hw), -EINVAL);
	free(caps);
	guest_destroy(&g);
}

/* INIT_VM's argument with CPUID entries. */
static struct kvm_tdx_init_vm *init_alloc(const struct kvm_cpuid_entry2 *e, uint32_t n)
{
	struct kvm_tdx_init_vm *init = calloc(1, sizeof(*init) + n * sizeof(*e));
	assert_non_null(init);
	init->xfam = 3;
	init->cpuid.nent = n;
	memcpy(init->cpuid.entries, e, n * sizeof(*e));
	return init;
}

static int get_cpuid(struct guest *g, struct kvm_cpuid2 *c, uint64_t *hw)
{
	return vcpu_cmd(g->vcpu, KVM_TDX_GET_CPUID, 0, (uint64_t)(uintptr_t)c, hw);
}

static const struct kvm_cpuid_entry2 *entry_of(const struct kvm_cpuid2 *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return &c->entries[i];
	return NULL;
}

/* KVM_GET_SUPPORTED_CPUID, from which a VMM builds the TD's CPUID: the host's
 * leaves with their subleaves, VMX hidden, KVM's signature leaf. */
static void test_supported_cpuid(void **state)
{
	(void)state;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KVM_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	assert_non_null(c);
	c->nent = 3;
	assert_int_equal(kvm_get_supported_cpuid(c), -E2BIG);
	assert_true(c->nent > 3);
	c->nent = KVM_MAX_CPUID_ENTRIES;
	assert_int_equal(kvm_get_supported_cpuid(c), 0);
	const struct kvm_cpuid_entry2 *e = entry_of(c, 1, 0);
	assert_non_null(e);
	assert_int_equal(e->ecx & (1u << 5 | 1u << 31), 1u << 31);
	assert_non_null(entry_of(c, 4, 3));                    /* the xeon model's L3 */
	assert_null(entry_of(c, 4, 4));                        /* its null cache type ends them */
	assert_int_equal(entry_of(c, 4, 0)->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	assert_non_null(e = entry_of(c, 0x40000000, 0));
	assert_int_equal(e->ebx, 0x4b4d564b);                  /* "KVMK" */
	assert_non_null(entry_of(c, 0x80000008, 0));
	free(c);
}

/* The TD's CPUID from INIT_VM to KVM_TDX_GET_CPUID: kvmlike refuses an entry
 * the module has no slot for, the module refuses bits that are not configurable
 * (OPERAND_INVALID, operand 69: CPUID_CONFIG); what is accepted is what the TD
 * sees, with the module's fixed values (no VMX, the hypervisor bit, leaf 0x21). */
static void test_td_cpuid_config_and_get_cpuid(void **state)
{
	struct fx *f = *state;
	struct guest g;
	uint64_t hw;
	td_create(&g);
	struct kvm_cpuid_entry2 bad_leaf = { .function = 6 };
	struct kvm_tdx_init_vm *init = init_alloc(&bad_leaf, 1);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VM, 0, init, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	free(init);
	struct kvm_cpuid_entry2 apic_id = { .function = 1, .ebx = 0x05000000 };
	init = init_alloc(&apic_id, 1);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VM, 0, init, &hw), -EINVAL);
	assert_int_equal(hw, TDX_OPERAND_INVALID | 69);
	free(init);
	struct kvm_cpuid_entry2 good[2] = {
		{ .function = 1, .eax = 0x000806f8, .ecx = 1u << 5 | 1u << 0, .edx = 1u << 0 },
		{ .function = 7, .index = 0, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
		  .ebx = 1u << 0 | 1u << 7 },
	};
	init = init_alloc(good, 2);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VM, 0, init, &hw), 0);
	free(init);
	assert_int_equal(kvm_create_vcpu(g.kvm, 0, &g.vcpu), 0);

	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + KVM_MAX_CPUID_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	assert_non_null(c);
	c->nent = 4;
	assert_int_equal(get_cpuid(&g, c, &hw), -E2BIG);
	uint32_t need = c->nent;
	assert_true(need > 4);
	c->nent = KVM_MAX_CPUID_ENTRIES;
	assert_int_equal(get_cpuid(&g, c, &hw), 0);
	assert_int_equal(c->nent, need);
	const struct kvm_cpuid_entry2 *e = entry_of(c, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->eax, 0x21);
	assert_non_null(e = entry_of(c, 1, 0));
	assert_int_equal(e->eax, 0x000806f8);
	assert_int_equal(e->ecx, 1u << 31 | 1u << 0);          /* VMX gone, hypervisor bit */
	assert_int_equal(e->edx, 1u << 0);
	assert_non_null(e = entry_of(c, 7, 0));
	assert_int_equal(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
	assert_int_equal(e->ebx, 1u << 0 | 1u << 7);
	assert_null(entry_of(c, 7, 2));                        /* the module has 2 subleaves */
	assert_non_null(entry_of(c, 4, 4));
	assert_null(entry_of(c, 3, 0));                        /* not virtualized: a #VE leaf */
	assert_non_null(e = entry_of(c, 0x21, 0));
	assert_int_equal(e->ebx, 0x65746e49);                  /* "Inte" */
	assert_non_null(e = entry_of(c, 0x80000000, 0));
	assert_int_equal(e->eax, 0x80000008);
	assert_non_null(entry_of(c, 0x80000008, 0));
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_GET_CPUID, 1, (uint64_t)(uintptr_t)c, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_GET_CPUID, 0, 0, &hw), -EINVAL);

	/* Built and finalized, the TD takes no more GET_CPUID (as KVM). */
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), 0);
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	assert_int_equal(get_cpuid(&g, c, &hw), -EINVAL);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	free(c);
	guest_destroy(&g);
}

static void test_init_vm_errors(void **state)
{
	struct fx *f = *state;
	struct guest g;
	uint64_t hw;
	struct ownership before;
	uint64_t free_before = pool_free_pages();
	ownership_take(f, &before);
	td_create(&g);
	/* The module refuses TD_PARAMS (TDH.MNG.INIT): -EINVAL (as Linux: the operands
	 * are the user's), and its status with the operand ID. */
	assert_int_equal(td_init_vm(&g, 0, 1, &hw), -EINVAL);       /* xfam without SSE */
	assert_int_equal(hw, TDX_OPERAND_INVALID | 65);
	/* kvmlike's own checks (setup_tdparams): no SEAMCALL, no hw_error. */
	assert_int_equal(td_init_vm(&g, 0, 0x3 | 1ull << 9, &hw), -EINVAL);   /* xfam: PKRU */
	assert_int_equal(hw, 0);
	assert_int_equal(td_init_vm(&g, 1ull << 1, 3, &hw), -EINVAL);  /* an unsupported attribute */
	assert_int_equal(hw, 0);
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VM, 1, &init, &hw), -EINVAL);     /* flags */
	assert_int_equal(hw, 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VM, 0, NULL, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	/* After the refusals, valid parameters make the TD (KVM: a failed INIT_VM
	 * leaves the VM as it was). */
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	assert_int_equal(hw, 0);
	/* Twice: -EINVAL. */
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	td_init_vcpu(&g);
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	guest_destroy(&g);
	/* Nothing of the refused attempts stays behind. */
	assert_ownership_unchanged(f, &before);
	ownership_free(&before);
	assert_int_equal(pool_free_pages(), free_before);
}

static void test_create_vcpu_before_init_vm_fails(void **state)
{
	(void)state;
	struct guest g;
	td_create(&g);
	struct kvm_vcpu *v = (struct kvm_vcpu *)1;
	assert_int_equal(kvm_create_vcpu(g.kvm, 0, &v), -EIO);
	assert_null(v);
	assert_int_equal(g.kvm->nr_vcpus, 0);
	uint64_t hw;
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	assert_int_equal(kvm_create_vcpu(g.kvm, 0, &v), 0);
	assert_non_null(v);
	guest_destroy(&g);
}

static void test_vcpu_command_errors(void **state)
{
	(void)state;
	struct guest g;
	uint64_t hw;
	td_create(&g);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	td_init_vcpu(&g);
	/* INIT_VCPU twice. */
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	/* INIT_VCPU with flags, on a second vCPU. */
	struct kvm_vcpu *v1;
	assert_int_equal(kvm_create_vcpu(g.kvm, 1, &v1), 0);
	assert_int_equal(vcpu_cmd(v1, KVM_TDX_INIT_VCPU, 1, 0, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(v1, KVM_TDX_INIT_VCPU, 0, 0, &hw), 0);

	/* INIT_MEM_REGION: a GPA outside every memslot. */
	struct kvm_tdx_init_mem_region r = { .source_addr = (uint64_t)(uintptr_t)g.src,
					     .gpa = 0x40000000, .nr_pages = 1 };
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, KVM_TDX_MEASURE_MEMORY_REGION,
				  (uint64_t)(uintptr_t)&r, &hw), -EINVAL);
	assert_int_equal(r.nr_pages, 1);
	/* ... a shared GPA, a GPA not page-aligned, unknown flags, no argument. */
	r.gpa = (1ull << 47) | (TD_FW_TOP - g.fw_size);
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EINVAL);
	r.gpa = TD_FW_TOP - g.fw_size + 8;
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EINVAL);
	r.gpa = TD_FW_TOP - g.fw_size;
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 2, (uint64_t)(uintptr_t)&r, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, 0, &hw), -EINVAL);
	/* ... a source that is not user memory (a stack buffer). */
	static uint8_t not_user[8192];
	r.source_addr = ((uint64_t)(uintptr_t)not_user + 4095) & ~4095ull;
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EFAULT);
	/* ... a page added twice: the module refuses the second PAGE.ADD. */
	r = (struct kvm_tdx_init_mem_region){ .source_addr = (uint64_t)(uintptr_t)g.src,
					      .gpa = TD_FW_TOP - g.fw_size, .nr_pages = 1 };
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), 0);
	r = (struct kvm_tdx_init_mem_region){ .source_addr = (uint64_t)(uintptr_t)g.src,
					      .gpa = TD_FW_TOP - g.fw_size, .nr_pages = 1 };
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EIO);
	assert_int_equal(hw, 0);                  /* a vCPU command reports no hw_error (Linux) */
	/* The rest of the image, from its second page. */
	r = (struct kvm_tdx_init_mem_region){ .source_addr = (uint64_t)(uintptr_t)g.src + 4096,
					      .gpa = TD_FW_TOP - g.fw_size + 4096,
					      .nr_pages = (g.fw_size >> 12) - 1 };
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), 0);

	/* Unknown commands, on the vCPU and on the VM; a VM command on the vCPU and a
	 * vCPU command on the VM. */
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_CMD_NR_MAX, 0, 0, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(g.vcpu, 0x12345, 0, 0, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_FINALIZE_VM, 0, 0, &hw), -EINVAL);
	assert_int_equal(vm_cmd(&g, KVM_TDX_CMD_NR_MAX, 0, NULL, &hw), -EINVAL);
	assert_int_equal(vm_cmd(&g, 0xffffffffu, 0, NULL, &hw), -EINVAL);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_VCPU, 0, NULL, &hw), -EINVAL);
	assert_int_equal(vm_cmd(&g, KVM_TDX_INIT_MEM_REGION, 0, &r, &hw), -EINVAL);

	/* FINALIZE, then FINALIZE again, INIT_MEM_REGION and INIT_VM after it. */
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	r = (struct kvm_tdx_init_mem_region){ .source_addr = (uint64_t)(uintptr_t)g.src,
					      .gpa = 0, .nr_pages = 1 };
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EINVAL);
	assert_int_equal(hw, 0);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), -EINVAL);
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), -EINVAL);
	/* A vCPU created after FINALIZE cannot be initialized. */
	struct kvm_vcpu *v2;
	int e = kvm_create_vcpu(g.kvm, 2, &v2);
	if (!e)
		assert_int_equal(vcpu_cmd(v2, KVM_TDX_INIT_VCPU, 0, 0, &hw), -EINVAL);
	else
		assert_true(e < 0);
	guest_destroy(&g);
}

/* The register and segment ioctls of a VM do not exist for a TD's protected vCPU. */
static void test_register_ioctls_on_a_td_vcpu_are_einval(void **state)
{
	struct fx *f = *state;
	struct guest g;
	td_setup(&g);
	struct kvm_regs regs = { .rip = 0x1234 };
	struct kvm_sregs sregs = { .cr0 = 0x11 };
	assert_int_equal(kvm_vcpu_get_regs(g.vcpu, &regs), -EINVAL);
	assert_int_equal(kvm_vcpu_set_regs(g.vcpu, &regs), -EINVAL);
	assert_int_equal(kvm_vcpu_get_sregs(g.vcpu, &sregs), -EINVAL);
	assert_int_equal(kvm_vcpu_set_sregs(g.vcpu, &sregs), -EINVAL);
	/* ... and the TD runs as if nothing happened. */
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	assert_int_equal(kvm_vcpu_get_regs(g.vcpu, &regs), -EINVAL);
	guest_destroy(&g);
}

/* The TD commands are a TD's: on a VM, KVM_MEMORY_ENCRYPT_OP is -ENOTTY (and on
 * its vCPU -EINVAL); a VM's setup is refused to a TD. */
static void test_td_commands_on_a_vm_and_vm_ioctls_on_a_td(void **state)
{
	struct fx *f = *state;
	struct guest vm, td;
	uint64_t hw;
	vm_setup(&vm);
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	struct kvm_tdx_capabilities caps;
	assert_int_equal(vm_cmd(&vm, KVM_TDX_CAPABILITIES, 0, &caps, &hw), -ENOTTY);
	assert_int_equal(vm_cmd(&vm, KVM_TDX_INIT_VM, 0, &init, &hw), -ENOTTY);
	assert_int_equal(vm_cmd(&vm, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), -ENOTTY);
	assert_int_equal(vcpu_cmd(vm.vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), -EINVAL);
	struct kvm_tdx_init_mem_region r = { .source_addr = (uint64_t)(uintptr_t)vm.mem, .gpa = 0,
					     .nr_pages = 1 };
	assert_int_equal(vcpu_cmd(vm.vcpu, KVM_TDX_INIT_MEM_REGION, 0, (uint64_t)(uintptr_t)&r, &hw), -EINVAL);

	/* The VM is unharmed. */
	run_to_hlt(f, &vm);
	assert_string_equal(vm.out, vm_text);

	/* A TD: no registers to set, no KVM_RUN before it is finalized. */
	td_create(&td);
	assert_int_equal(td_init_vm(&td, 0, 3, &hw), 0);
	td_init_vcpu(&td);
	struct kvm_regs regs = { .rip = VM_CODE };
	assert_int_equal(kvm_vcpu_set_regs(td.vcpu, &regs), -EINVAL);
	guest_destroy(&td);
	guest_destroy(&vm);
}

/* ---- 3. teardown gives every page back --------------------------------------------------- */

enum td_stage { AFTER_CREATE, AFTER_INIT_VM, AFTER_FAILED_INIT_VM, AFTER_CREATE_VCPU,
		AFTER_INIT_VCPU, AFTER_INIT_MEM_REGION, AFTER_FINALIZE, AFTER_RUN };

/* Builds a TD up to `stage`, destroys it, and checks the pages: the module's
 * ownership (RDMD of every page) and kvmlike's pool are as before. */
static void td_to_stage_and_destroy(struct fx *f, enum td_stage stage)
{
	struct ownership before;
	uint64_t hw;
	uint64_t reclaims = tdx_seamcall_stats()[LEAF_RECLAIM].calls;
	uint64_t free_before = pool_free_pages();
	ownership_take(f, &before);
	assert_int_equal(before.by_type[PT_TDR] + before.by_type[PT_TDCX] + before.by_type[PT_TDVPR] +
			 before.by_type[PT_EPT] + before.by_type[PT_REG], 0);

	struct guest g;
	td_create(&g);
	if (stage == AFTER_FAILED_INIT_VM) {
		assert_int_equal(td_init_vm(&g, 0, 1, &hw), -EINVAL);
		assert_int_equal(hw, TDX_OPERAND_INVALID | 65);
	} else if (stage >= AFTER_INIT_VM) {
		assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	}
	if (stage == AFTER_CREATE_VCPU)
		assert_int_equal(kvm_create_vcpu(g.kvm, 0, &g.vcpu), 0);
	if (stage >= AFTER_INIT_VCPU)
		td_init_vcpu(&g);
	if (stage >= AFTER_INIT_MEM_REGION)
		assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	if (stage >= AFTER_FINALIZE)
		assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	if (stage >= AFTER_RUN) {
		run_to_hlt(f, &g);
		assert_string_equal(g.out, td_hello_text);
	}

	/* While the TD lives the module owns its pages. */
	struct ownership during;
	ownership_take(f, &during);
	uint64_t owned = during.by_type[PT_TDR] + during.by_type[PT_TDCX] + during.by_type[PT_TDVPR] +
			 during.by_type[PT_EPT] + during.by_type[PT_REG];
	const struct tdx_sys_info *si = tdx_sys_info();
	uint64_t control = 1 + si->tdcs_base_size / 4096;         /* TDR and TDCS */
	uint64_t vcpu = si->tdvps_base_size / 4096;                /* TDVPR and TDCX */
	switch (stage) {
	case AFTER_CREATE:
		assert_int_equal(owned, 0);
		break;
	case AFTER_INIT_VM:
	case AFTER_CREATE_VCPU:
		assert_int_equal(owned, control);
		assert_int_equal(during.by_type[PT_TDR], 1);
		break;
	case AFTER_FAILED_INIT_VM:
		assert_int_equal(owned, 0);   /* given back at once, as KVM does */
		break;
	case AFTER_INIT_VCPU:
		assert_int_equal(owned, control + vcpu);
		assert_int_equal(during.by_type[PT_TDVPR], 1);
		break;
	default:
		assert_int_equal(during.by_type[PT_TDVPR], 1);
		assert_true(during.by_type[PT_EPT] >= 3);              /* the firmware's tables */
		assert_true(during.by_type[PT_REG] >= (g.fw_size >> 12) + (stage == AFTER_RUN));
		break;
	}
	ownership_free(&during);

	guest_destroy(&g);
	assert_ownership_unchanged(f, &before);
	ownership_free(&before);
	assert_int_equal(pool_free_pages(), free_before);
	if (stage >= AFTER_INIT_VM && stage != AFTER_FAILED_INIT_VM)
		assert_true(tdx_seamcall_stats()[LEAF_RECLAIM].calls - reclaims >= control);
	assert_true(log_clean(f));
}

static void test_teardown_after_run_leaves_no_page_owned(void **state)
{
	td_to_stage_and_destroy(*state, AFTER_RUN);
}

static void test_teardown_after_init_vm_leaves_no_page_owned(void **state)
{
	td_to_stage_and_destroy(*state, AFTER_INIT_VM);
}

static void test_teardown_after_init_vcpu_leaves_no_page_owned(void **state)
{
	td_to_stage_and_destroy(*state, AFTER_INIT_VCPU);
}

static void test_teardown_at_each_other_stage_leaves_no_page_owned(void **state)
{
	td_to_stage_and_destroy(*state, AFTER_CREATE);
	td_to_stage_and_destroy(*state, AFTER_FAILED_INIT_VM);
	td_to_stage_and_destroy(*state, AFTER_CREATE_VCPU);
	td_to_stage_and_destroy(*state, AFTER_INIT_MEM_REGION);
	td_to_stage_and_destroy(*state, AFTER_FINALIZE);
}

/* KeyIDs go back too: more TDs one after the other than there are KeyIDs. */
static void test_tds_one_after_another_reuse_keyids(void **state)
{
	(void)state;
	unsigned n = tdx_sys_info()->nr_tdx_keyids + 2;
	for (unsigned i = 0; i < n; i++) {
		struct guest g;
		uint64_t hw;
		td_create(&g);
		assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
		td_init_vcpu(&g);
		guest_destroy(&g);
	}
}

/* HKIDs run out: INIT_VM is -ENOSPC (Linux's KeyID allocator; no SEAMCALL, no
 * hw_error) until a TD gives its HKID back; the refused VM is destroyed cleanly. */
static void test_init_vm_without_a_free_hkid_is_enospc(void **state)
{
	struct fx *f = *state;
	struct ownership before;
	ownership_take(f, &before);
	uint64_t free_before = pool_free_pages();
	unsigned max = tdx_sys_info()->nr_tdx_keyids - 1;     /* all but the global KeyID */
	if (max > TDX_MAX_GUEST_KEYIDS - 1)
		max = TDX_MAX_GUEST_KEYIDS - 1;
	struct guest *g = calloc(max + 2, sizeof(*g));
	assert_non_null(g);
	uint64_t hw;
	for (unsigned i = 0; i < max; i++) {
		assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &g[i].kvm), 0);
		assert_int_equal(td_init_vm(&g[i], 0, 3, &hw), 0);
	}
	assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &g[max].kvm), 0);
	assert_int_equal(td_init_vm(&g[max], 0, 3, &hw), -ENOSPC);
	assert_int_equal(hw, 0);
	struct kvm_vcpu *v = (struct kvm_vcpu *)1;
	assert_int_equal(kvm_create_vcpu(g[max].kvm, 0, &v), -EIO);   /* still no TD */
	kvm_destroy_vm(g[0].kvm);
	g[0].kvm = NULL;
	assert_int_equal(td_init_vm(&g[max], 0, 3, &hw), 0);
	assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &g[max + 1].kvm), 0);
	assert_int_equal(td_init_vm(&g[max + 1], 0, 3, &hw), -ENOSPC);
	for (unsigned i = 0; i < max + 2; i++)
		kvm_destroy_vm(g[i].kvm);
	free(g);
	assert_ownership_unchanged(f, &before);
	ownership_free(&before);
	assert_int_equal(pool_free_pages(), free_before);
}

/* ---- 4. a VM and a TD on 2 LPs, the TD's vCPU migrating ---------------------------------- */

/* The TD and the VM by turns, the TD's vCPU moving to the other LP every `per`
 * of its exits (`with_vm`: the VM takes an exit after each of the TD's, on the same
 * LP, until the TD halts). Returns the number of moves. */
static unsigned run_td_migrating(struct fx *f, struct guest *td, struct guest *vm, unsigned per)
{
	unsigned migrations = 0, lp = smp_processor_id(), exits = 0;
	bool td_done = false, vm_done = !vm;
	if (vm)
		vm->in_value = 1;            /* keep on reading port 0x60 */
	while (!td_done) {
		if (exits && exits % per == 0) {
			lp ^= 1;
			kvm_set_current_cpu(lp);
			migrations++;
		}
		td_done = step(f, td) == KVM_EXIT_HLT;
		assert_int_equal(td->vcpu->cpu, (int)lp);
		exits++;
		if (!vm_done)
			vm_done = step(f, vm) == KVM_EXIT_HLT;
		assert_true(exits < 5000);
	}
	td->out[td->n] = 0;
	if (vm) {
		assert_false(vm_done);       /* it was there all along */
		vm->in_value = 0;
		while (!vm_done)
			vm_done = step(f, vm) == KVM_EXIT_HLT;
		vm->out[vm->n] = 0;
	}
	return migrations;
}

static void test_vm_and_td_on_two_lps_with_td_migrating(void **state)
{
	struct fx *f = *state;
	assert_int_equal(num_online_cpus(), 2);
	struct guest vm, td;
	kvm_set_current_cpu(0);
	vm_setup(&vm);
	td_setup(&td);
	uint64_t flushes = tdx_seamcall_stats()[LEAF_VP_FLUSH].calls;
	unsigned migrations = run_td_migrating(f, &td, &vm, 25);
	assert_string_equal(td.out, td_hello_text);
	assert_string_equal(vm.out, vm_text);
	assert_true(migrations >= 10);
	/* A TDH.VP.FLUSH on the old LP for each move, and each succeeded. */
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, migrations);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].failures, 0);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].last_status, TDX_SUCCESS);
	assert_int_equal(td.vcpu->stat.exits_by_reason[EXIT_REASON_TDCALL],
			 strlen(td_hello_text) + TD_OTHER_TDVMCALLS);
	assert_int_equal(td.vcpu->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], TD_EPT_VIOLATIONS);
	assert_int_equal(td.vcpu->stat.halt_exits, 1);

	/* A move without a VM around: one more flush, one more HLT. */
	unsigned lp = smp_processor_id() ^ 1;
	kvm_set_current_cpu(lp);
	assert_int_equal(step(f, &td), KVM_EXIT_HLT);
	assert_int_equal(td.vcpu->cpu, (int)lp);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, migrations + 1);
	/* Teardown from the other LP: the vCPU is flushed where it is. */
	kvm_set_current_cpu(lp ^ 1);
	struct ownership before;
	guest_destroy(&vm);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].failures, 0);
	guest_destroy(&td);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, migrations + 2);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].failures, 0);
	kvm_set_current_cpu(0);
	ownership_take(f, &before);
	assert_int_equal(before.by_type[PT_TDR] + before.by_type[PT_TDCX] + before.by_type[PT_TDVPR] +
			 before.by_type[PT_EPT] + before.by_type[PT_REG], 0);
	ownership_free(&before);
}

/* An LP leaving VMX operation and coming back (Linux's CPU hotplug callbacks,
 * what suspend and resume do) with a VM and a TD half run on it, LP 1 untouched:
 * disable_virtualization_cpu flushes the TD vCPU associated there (TDH.VP.FLUSH,
 * Linux tdx_disable_virtualization_cpu) and VMCLEARs the VM's VMCS before VMXOFF
 * (vmclear_local_loaded_vmcss); after VMXON both run on to their HLTs, their
 * output whole, the VM relaunched, and nothing else is flushed. The hooks
 * tdx_hardware_setup gave vt_x86_ops are TDX's. */
static void test_offline_lp_flushes_and_clears_its_vcpus(void **state)
{
	struct fx *f = *state;
	struct guest vm, td;
	assert_ptr_equal(vt_x86_ops.link_external_spt, tdx_sept_link_private_spt);
	assert_ptr_equal(vt_x86_ops.remove_external_spte, tdx_sept_remove_private_spte);
	kvm_set_current_cpu(0);
	vm_setup(&vm);
	td_setup(&td);
	for (unsigned i = 0; i < 8; i++) {
		assert_int_not_equal(step(f, &vm), KVM_EXIT_HLT);
		assert_int_not_equal(step(f, &td), KVM_EXIT_HLT);
	}
	assert_int_equal(td.vcpu->cpu, 0);
	const uint64_t flushes = tdx_seamcall_stats()[LEAF_VP_FLUSH].calls;
	const uint64_t offs = kvm_x86_op_calls[KVM_OP_disable_virtualization_cpu][0];
	const uint64_t ons = kvm_x86_op_calls[KVM_OP_enable_virtualization_cpu][0];
	kvm_offline_cpu(1);                   /* nothing of theirs there */
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls, flushes);
	assert_int_equal(kvm_online_cpu(1), 0);
	kvm_offline_cpu(0);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, 1);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].last_status, TDX_SUCCESS);
	assert_int_equal(vm.vcpu->cpu, -1);   /* its VMCS cleared: loaded afresh */
	assert_int_equal(kvm_online_cpu(0), 0);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_disable_virtualization_cpu][0] - offs, 2);
	assert_int_equal(kvm_x86_op_calls[KVM_OP_enable_virtualization_cpu][0] - ons, 2);
	run_to_hlt(f, &vm);
	run_to_hlt(f, &td);
	assert_string_equal(vm.out, vm_text);
	assert_string_equal(td.out, td_hello_text);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, 1);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].failures, 0);
	guest_destroy(&vm);
	guest_destroy(&td);
	assert_true(log_clean(f));
}

/* The TD alone, moving between the LPs every 3 exits: nobody else's VMCS comes
 * and goes on the LPs in between (the VM's VMPTRLDs would evict a stale copy of
 * the TD's VMCS an LP kept after TDH.VP.FLUSH; without them the next TDH.VP.ENTER
 * there must still load it from memory, the TDX module's bug fixed in 6c0867d). */
static void test_td_alone_migrating_between_lps(void **state)
{
	struct fx *f = *state;
	struct guest td;
	kvm_set_current_cpu(0);
	td_setup(&td);
	uint64_t flushes = tdx_seamcall_stats()[LEAF_VP_FLUSH].calls;
	unsigned migrations = run_td_migrating(f, &td, NULL, 3);
	assert_string_equal(td.out, td_hello_text);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls - flushes, migrations);
	kvm_set_current_cpu(0);
	guest_destroy(&td);
}

/* Two TDs, one per LP, by turns, and a third vCPU-less VM: each TD's vCPU stays
 * where it is, so there is no flush until teardown. */
static void test_two_tds_on_two_lps(void **state)
{
	struct fx *f = *state;
	struct guest a, b;
	kvm_set_current_cpu(0);
	td_setup(&a);
	kvm_set_current_cpu(1);
	td_setup(&b);
	uint64_t flushes = tdx_seamcall_stats()[LEAF_VP_FLUSH].calls;
	bool da = false, db = false;
	for (unsigned i = 0; i < 5000 && !(da && db); i++) {
		if (!da) {
			kvm_set_current_cpu(0);
			da = step(f, &a) == KVM_EXIT_HLT;
		}
		if (!db) {
			kvm_set_current_cpu(1);
			db = step(f, &b) == KVM_EXIT_HLT;
		}
	}
	a.out[a.n] = 0;
	b.out[b.n] = 0;
	assert_string_equal(a.out, td_hello_text);
	assert_string_equal(b.out, td_hello_text);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_FLUSH].calls, flushes);
	kvm_set_current_cpu(0);
	guest_destroy(&a);
	guest_destroy(&b);
}

/* ---- 5. the vt_ dispatch ------------------------------------------------------------------- */

static uint64_t calls_before[NR_KVM_X86_OPS][2];

static void snap_calls(void)
{
	memcpy(calls_before, kvm_x86_op_calls, sizeof(calls_before));
}

static uint64_t delta(enum kvm_x86_op_id op, int td)
{
	return kvm_x86_op_calls[op][td] - calls_before[op][td];
}

/* No op was counted on side `side` since snap_calls. */
static void assert_side_untouched(int side)
{
	for (int op = 0; op < NR_KVM_X86_OPS; op++)
		if (delta(op, side))
			fail_msg("%s: %llu calls on the %s side", kvm_x86_op_names[op],
				 (unsigned long long)delta(op, side), side ? "tdx_" : "vmx_");
}

/* The same user-API calls for both: create, a memslot, a vCPU, KVM_GET_SREGS,
 * KVM_GET_REGS, both KVM_MEMORY_ENCRYPT_OPs, runs to HLT, destroy. */
static void same_calls(struct fx *f, struct guest *g, bool td, int *sregs_r, int *regs_r,
		       int *vm_op_r, int *vcpu_op_r)
{
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t hw;
	struct kvm_tdx_capabilities *caps = calloc(1, sizeof(*caps) + 8 * sizeof(struct kvm_cpuid_entry2));
	assert_non_null(caps);
	caps->cpuid.nent = 8;
	if (td)
		td_setup(g);
	else
		vm_setup(g);
	*sregs_r = kvm_vcpu_get_sregs(g->vcpu, &s);
	*regs_r = kvm_vcpu_get_regs(g->vcpu, &r);
	*vm_op_r = vm_cmd(g, KVM_TDX_CAPABILITIES, 0, caps, &hw);
	free(caps);
	*vcpu_op_r = vcpu_cmd(g->vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw);
	run_to_hlt(f, g);
	guest_destroy(g);
}

static void test_vt_dispatch_vm_calls_reach_vmx_and_td_calls_reach_tdx(void **state)
{
	struct fx *f = *state;
	struct guest g;
	int sregs_r, regs_r, vm_op_r, vcpu_op_r;

	/* A VM: everything on the vmx_ side. */
	snap_calls();
	same_calls(f, &g, false, &sregs_r, &regs_r, &vm_op_r, &vcpu_op_r);
	assert_int_equal(sregs_r, 0);
	assert_int_equal(regs_r, 0);
	assert_int_equal(vm_op_r, -ENOTTY);
	assert_int_equal(vcpu_op_r, -EINVAL);
	assert_side_untouched(1);
	assert_int_equal(delta(KVM_OP_vm_init, 0), 1);
	assert_int_equal(delta(KVM_OP_vcpu_create, 0), 1);
	assert_int_equal(delta(KVM_OP_vcpu_reset, 0), 1);
	assert_true(delta(KVM_OP_vcpu_run, 0) >= sizeof(vm_text));   /* an OUT per byte, the HLT */
	assert_int_equal(delta(KVM_OP_handle_exit, 0), delta(KVM_OP_vcpu_run, 0));
	assert_int_equal(delta(KVM_OP_get_segment, 0), 8 + 8);    /* get_sregs in vm_setup, here */
	assert_int_equal(delta(KVM_OP_set_segment, 0), 8);
	assert_true(delta(KVM_OP_get_rflags, 0) >= 1);
	assert_int_equal(delta(KVM_OP_mem_enc_ioctl, 0), 1);
	assert_int_equal(delta(KVM_OP_vcpu_mem_enc_ioctl, 0), 1);
	assert_int_equal(delta(KVM_OP_vm_pre_destroy, 0), 1);
	assert_int_equal(delta(KVM_OP_vcpu_free, 0), 1);
	assert_int_equal(delta(KVM_OP_vm_destroy, 0), 1);

	/* A TD: everything on the tdx_ side; what does not exist for a TD (segments,
	 * registers, control registers, exceptions) is not reached at all. */
	snap_calls();
	same_calls(f, &g, true, &sregs_r, &regs_r, &vm_op_r, &vcpu_op_r);
	assert_int_equal(sregs_r, -EINVAL);
	assert_int_equal(regs_r, -EINVAL);
	assert_int_equal(vm_op_r, 0);
	assert_int_equal(vcpu_op_r, -EINVAL);                  /* INIT_VCPU again */
	assert_side_untouched(0);
	assert_int_equal(delta(KVM_OP_vm_init, 1), 1);
	assert_int_equal(delta(KVM_OP_vcpu_create, 1), 1);
	assert_int_equal(delta(KVM_OP_vcpu_reset, 1), 1);
	assert_true(delta(KVM_OP_vcpu_run, 1) >=
		    strlen(td_hello_text) + TD_OTHER_TDVMCALLS + TD_EPT_VIOLATIONS);
	assert_int_equal(delta(KVM_OP_handle_exit, 1), delta(KVM_OP_vcpu_run, 1));
	/* INIT_VM, FINALIZE_VM, CAPABILITIES; INIT_VCPU twice, INIT_MEM_REGION. */
	assert_int_equal(delta(KVM_OP_mem_enc_ioctl, 1), 3);
	assert_int_equal(delta(KVM_OP_vcpu_mem_enc_ioctl, 1), 3);
	assert_int_equal(delta(KVM_OP_vm_pre_destroy, 1), 1);
	assert_int_equal(delta(KVM_OP_vcpu_free, 1), 1);
	assert_int_equal(delta(KVM_OP_vm_destroy, 1), 1);
	/* The shared EPT's root, loaded once before the first entry, its TLB flushed. */
	assert_int_equal(delta(KVM_OP_load_mmu_pgd, 1), 1);
	assert_int_equal(delta(KVM_OP_flush_tlb_current, 1), 1);
	static const enum kvm_x86_op_id never[] = {
		KVM_OP_get_segment, KVM_OP_set_segment, KVM_OP_get_cpl, KVM_OP_get_rflags,
		KVM_OP_set_rflags, KVM_OP_set_cr0, KVM_OP_set_cr4, KVM_OP_set_efer, KVM_OP_get_idt,
		KVM_OP_set_idt, KVM_OP_get_gdt, KVM_OP_set_gdt, KVM_OP_inject_exception,
		KVM_OP_cache_reg, KVM_OP_skip_emulated_instruction,
	};
	for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (delta(never[i], 1))
			fail_msg("%s reached for a TD (%llu calls)", kvm_x86_op_names[never[i]],
				 (unsigned long long)delta(never[i], 1));
}

/* Events through the user API (KVM_INTERRUPT, KVM_NMI) and the ops they reach.
 * A VM: the interrupt waits while RFLAGS.IF is clear (interrupt_allowed, then
 * enable_irq_window: the guest runs to its HLT untouched); once IF is set, the
 * next entry is an interrupt-window exit (7) and the interrupt goes in, and with
 * no IDT (limit 0) its delivery is #GP, #DF, a triple fault: KVM_EXIT_SHUTDOWN.
 * An NMI goes in at the first entry, with the same end. A TD: the interrupt is
 * allowed (KVM sees no blocking before a HLT) and dropped by vt_inject_irq, as
 * in Linux: td_hello runs as ever; the NMI becomes PEND_NMI (TDH.VP.WR), which
 * the module injects at TDH.VP.ENTER into td_hello's first instruction, whose IDT
 * is still the reset one at GPA 0, never accepted: the delivery's read is an EPT
 * violation (kvmlike AUGs the page), the NMI goes in again (its virtual-NMI
 * blocking cleared), its read finds the page PENDING: #VE, whose delivery faults
 * likewise: #DF, and again: a triple fault, KVM_EXIT_SHUTDOWN. */
static void test_vt_event_ops_through_kvm_interrupt_and_kvm_nmi(void **state)
{
	struct fx *f = *state;
	struct guest g;
	struct kvm_interrupt irq = { .irq = 0x20 }, other = { .irq = 0x21 }, bad = { .irq = 256 };

	vm_setup(&g);
	snap_calls();
	assert_int_equal(kvm_vcpu_interrupt(g.vcpu, &bad), -EINVAL);
	assert_int_equal(kvm_vcpu_interrupt(g.vcpu, &other), 0);
	assert_int_equal(kvm_vcpu_interrupt(g.vcpu, &irq), 0);   /* replaces 21H */
	assert_int_equal(g.vcpu->irq_vector, 0x20);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, vm_text);
	assert_int_equal(delta(KVM_OP_interrupt_allowed, 0), 1);
	assert_int_equal(delta(KVM_OP_enable_irq_window, 0), 1);
	assert_int_equal(delta(KVM_OP_inject_irq, 0), 0);
	struct kvm_regs regs;
	assert_int_equal(kvm_vcpu_get_regs(g.vcpu, &regs), 0);
	regs.rflags |= 1u << 9;
	assert_int_equal(kvm_vcpu_set_regs(g.vcpu, &regs), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	assert_int_equal(g.vcpu->run->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_INTERRUPT_WINDOW], 1);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_TRIPLE_FAULT], 1);
	assert_int_equal(g.vcpu->stat.irq_injections, 1);
	assert_int_equal(delta(KVM_OP_interrupt_allowed, 0), 2);
	assert_int_equal(delta(KVM_OP_inject_irq, 0), 1);
	assert_side_untouched(1);
	guest_destroy(&g);

	vm_setup(&g);
	snap_calls();
	assert_int_equal(kvm_vcpu_nmi(g.vcpu), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	assert_int_equal(g.vcpu->run->exit_reason, KVM_EXIT_SHUTDOWN);
	assert_int_equal(g.n, 0);
	assert_int_equal(g.vcpu->stat.nmi_injections, 1);
	assert_int_equal(delta(KVM_OP_nmi_allowed, 0), 1);
	assert_int_equal(delta(KVM_OP_inject_nmi, 0), 1);
	assert_side_untouched(1);
	guest_destroy(&g);

	td_setup(&g);
	snap_calls();
	assert_int_equal(kvm_vcpu_interrupt(g.vcpu, &irq), 0);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	assert_int_equal(delta(KVM_OP_interrupt_allowed, 1), 1);
	assert_int_equal(delta(KVM_OP_inject_irq, 1), 1);
	assert_int_equal(delta(KVM_OP_enable_irq_window, 1), 0);
	assert_int_equal(g.vcpu->stat.irq_injections, 0);
	assert_side_untouched(0);
	guest_destroy(&g);

	td_setup(&g);
	snap_calls();
	uint64_t writes = tdx_seamcall_stats()[LEAF_VP_WR].calls;
	assert_int_equal(kvm_vcpu_nmi(g.vcpu), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), 0);
	if (g.vcpu->run->exit_reason != KVM_EXIT_SHUTDOWN)
		fail_msg("exit %u (0x%llx) %s", g.vcpu->run->exit_reason,
			 (unsigned long long)g.vcpu->run->fail_entry.hardware_entry_failure_reason,
			 vtsim_machine_stop_message(f->m));
	assert_int_equal(g.n, 0);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_EPT_VIOLATION], 1);
	assert_int_equal(g.vcpu->stat.exits_by_reason[EXIT_REASON_TRIPLE_FAULT], 1);
	assert_int_equal(g.vcpu->stat.nmi_injections, 1);
	assert_int_equal(delta(KVM_OP_nmi_allowed, 1), 1);
	assert_int_equal(delta(KVM_OP_inject_nmi, 1), 1);
	/* load_mmu_pgd's SHARED_EPT_POINTER, then PEND_NMI. */
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_WR].calls - writes, 2);
	assert_side_untouched(0);
	guest_destroy(&g);
}

/* The event state ops KVM's core calls only around emulation and migration,
 * called directly: a VM's go to its VMCS (the interrupt shadow, NMI blocking, an
 * event set up for the entry), a TD's are no-ops and constants, since the
 * module hides that state. */
static void test_vt_event_state_ops(void **state)
{
	struct fx *f = *state;
	struct guest g;
	vm_setup(&g);
	struct kvm_vcpu *v = g.vcpu;
	vt_x86_ops.vcpu_load(v, 0);
	assert_int_equal(vt_x86_ops.get_interrupt_shadow(v), 0);
	vt_x86_ops.set_interrupt_shadow(v, KVM_X86_SHADOW_INT_STI);
	assert_int_equal(vt_x86_ops.get_interrupt_shadow(v), KVM_X86_SHADOW_INT_STI);
	assert_int_equal(vt_x86_ops.nmi_allowed(v, false), 0);     /* blocked by STI */
	vt_x86_ops.set_interrupt_shadow(v, KVM_X86_SHADOW_INT_MOV_SS | KVM_X86_SHADOW_INT_STI);
	assert_int_equal(vt_x86_ops.get_interrupt_shadow(v), KVM_X86_SHADOW_INT_MOV_SS);
	vt_x86_ops.set_interrupt_shadow(v, 0);
	assert_int_equal(vt_x86_ops.nmi_allowed(v, true), 1);
	assert_false(vt_x86_ops.get_nmi_mask(v));
	vt_x86_ops.set_nmi_mask(v, true);
	assert_true(vt_x86_ops.get_nmi_mask(v));
	assert_int_equal(vt_x86_ops.nmi_allowed(v, false), 0);
	vt_x86_ops.set_nmi_mask(v, false);
	vt_x86_ops.inject_nmi(v);
	assert_int_equal(vt_x86_ops.nmi_allowed(v, true), 0);      /* one event per entry */
	assert_int_equal(vt_x86_ops.nmi_allowed(v, false), 1);
	vt_x86_ops.cancel_injection(v);
	assert_int_equal(vt_x86_ops.nmi_allowed(v, true), 1);
	assert_false(vt_x86_ops.protected_apic_has_interrupt(v));   /* a KVM bug: WARN */
	vt_x86_ops.vcpu_put(v);
	log_take(f, "WARNING");
	run_to_hlt(f, &g);                       /* nothing was left to inject */
	assert_string_equal(g.out, vm_text);
	guest_destroy(&g);

	td_setup(&g);
	v = g.vcpu;
	uint64_t reads = tdx_seamcall_stats()[LEAF_VP_RD].calls;
	vt_x86_ops.set_interrupt_shadow(v, KVM_X86_SHADOW_INT_STI);
	assert_int_equal(vt_x86_ops.get_interrupt_shadow(v), 0);
	vt_x86_ops.set_nmi_mask(v, true);
	assert_false(vt_x86_ops.get_nmi_mask(v));
	assert_int_equal(vt_x86_ops.nmi_allowed(v, true), 1);
	vt_x86_ops.cancel_injection(v);
	assert_int_equal(vt_x86_ops.interrupt_allowed(v, true), 1);
	assert_false(vt_x86_ops.protected_apic_has_interrupt(v));   /* not halted: no SEAMCALL */
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_RD].calls, reads);
	/* KVM bugs for a TD, WARNed as Linux does: a register read on demand (the
	 * module owns them) and an INIT (a TD's vCPU cannot be reset). */
	vt_x86_ops.cache_reg(v, VCPU_REGS_RAX);
	log_take(f, "WARNING");
	vt_x86_ops.vcpu_reset(v, true);
	log_take(f, "WARNING");
	run_to_hlt(f, &g);
	/* Halted with interrupts enabled (R12 0): the module's vCPU state details say
	 * whether an interrupt waits in the virtual APIC; none does. */
	assert_int_equal(vt_x86_ops.interrupt_allowed(v, true), 1);
	assert_false(vt_x86_ops.protected_apic_has_interrupt(v));
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_RD].calls, reads + 1);
	guest_destroy(&g);
}

/* MSRs through kvm_get_msr/kvm_set_msr (what RDMSR/WRMSR exits and
 * TDVMCALL<Instruction.RDMSR/WRMSR> use): the vendor op first. A TD's VMM may not
 * write APIC_BASE, EFER or FEATURE_CONTROL, reads FEATURE_CONTROL locked, and has
 * no x2APIC register the CPU virtualizes; a VM's are kvmlike's table. */
static void test_vt_msr_ops(void **state)
{
	(void)state;
	struct guest vm, td;
	uint64_t v;
	vm_setup(&vm);
	td_setup(&td);
	snap_calls();
	assert_int_equal(kvm_get_msr(vm.vcpu, 0x1b, &v), 0);
	assert_int_equal(v, 0xfee00900);
	assert_int_equal(kvm_get_msr(td.vcpu, 0x1b, &v), 0);
	assert_int_equal(v, 0xfee00900);
	assert_int_equal(kvm_set_msr(vm.vcpu, 0x1b, 0xfee00900), 0);
	assert_int_equal(kvm_set_msr(td.vcpu, 0x1b, 0xfee00900), -1);   /* read-only */
	assert_int_equal(kvm_set_msr(td.vcpu, 0xc0000080, 0xd01), -1);
	assert_int_equal(kvm_get_msr(vm.vcpu, 0x3a, &v), -1);
	assert_int_equal(kvm_get_msr(td.vcpu, 0x3a, &v), 0);
	assert_int_equal(v, 1);                                          /* locked */
	assert_int_equal(kvm_set_msr(td.vcpu, 0x277, 0x0007040600070406ull), 0);
	assert_int_equal(kvm_get_msr(td.vcpu, 0x4d0, &v), -1);          /* MCG_EXT_CTL: no LMCE */
	assert_int_equal(delta(KVM_OP_get_msr, 0), 2);
	assert_int_equal(delta(KVM_OP_set_msr, 0), 1);
	assert_int_equal(delta(KVM_OP_get_msr, 1), 3);
	assert_int_equal(delta(KVM_OP_set_msr, 1), 3);
	assert_int_equal(delta(KVM_OP_set_efer, 1), 0);
	assert_false(vt_x86_ops.has_emulated_msr(td.kvm, 0x808));       /* TPR */
	assert_false(vt_x86_ops.has_emulated_msr(td.kvm, 0x827));       /* IRR */
	assert_true(vt_x86_ops.has_emulated_msr(td.kvm, 0x830));        /* ICR */
	assert_true(vt_x86_ops.has_emulated_msr(td.kvm, 0x6e0));        /* TSC_DEADLINE */
	assert_false(vt_x86_ops.has_emulated_msr(td.kvm, 0xc0000081));  /* STAR: the module's */
	assert_false(vt_x86_ops.has_emulated_msr(vm.kvm, 0x830));
	assert_true(vt_x86_ops.has_emulated_msr(vm.kvm, 0x277));
	assert_true(vt_x86_ops.has_emulated_msr(NULL, 0x277));
	guest_destroy(&vm);
	guest_destroy(&td);
}

/* KVM_RUN asks vcpu_pre_run first (Linux's kvm_arch_vcpu_ioctl_run): a TD's
 * vCPU runs only once KVM_TDX_INIT_VCPU and KVM_TDX_FINALIZE_VM are done, else
 * KVM_RUN is -EINVAL with no TDH.VP.ENTER (tdx_vcpu_pre_run); a VM's always may. */
static void test_kvm_run_waits_for_init_vcpu_and_finalize_vm(void **state)
{
	struct fx *f = *state;
	struct guest g;
	uint64_t hw, enters = tdx_seamcall_stats()[LEAF_VP_ENTER].calls;
	td_create(&g);
	assert_int_equal(td_init_vm(&g, 0, 3, &hw), 0);
	assert_int_equal(kvm_create_vcpu(g.kvm, 0, &g.vcpu), 0);
	snap_calls();
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EINVAL);           /* before INIT_VCPU */
	assert_int_equal(vcpu_cmd(g.vcpu, KVM_TDX_INIT_VCPU, 0, 0, &hw), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EINVAL);           /* before FINALIZE_VM */
	assert_int_equal(td_add_firmware(&g, KVM_TDX_MEASURE_MEMORY_REGION, &hw), 0);
	assert_int_equal(kvm_vcpu_run(g.vcpu), -EINVAL);
	assert_int_equal(delta(KVM_OP_vcpu_pre_run, 1), 3);
	assert_int_equal(delta(KVM_OP_vcpu_run, 1), 0);
	assert_int_equal(tdx_seamcall_stats()[LEAF_VP_ENTER].calls, enters);
	assert_int_equal(vm_cmd(&g, KVM_TDX_FINALIZE_VM, 0, NULL, &hw), 0);
	run_to_hlt(f, &g);
	assert_string_equal(g.out, td_hello_text);
	assert_side_untouched(0);
	guest_destroy(&g);

	vm_setup(&g);
	snap_calls();
	run_to_hlt(f, &g);
	assert_string_equal(g.out, vm_text);
	assert_true(delta(KVM_OP_vcpu_pre_run, 0) >= 1);
	assert_side_untouched(1);
	guest_destroy(&g);
}

#define T(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)
#define T2(t) cmocka_unit_test_setup_teardown(t, fx2_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_td_runs_td_hello_to_its_hlt),
		T(test_td_runs_with_an_unmeasured_image),
		T(test_td_triple_fault_is_kvm_exit_shutdown),
		T(test_td_access_before_accept_kills_the_vm),
		T(test_td_ve_delivery_on_an_unaccepted_idt_is_a_triple_fault),
		T(test_td_entry_failures_reach_user_space),
		T(test_td_map_gpa_in_pieces),
		T(test_td_map_gpa_bad_answer_fails_kvm_run),
		T(test_td_map_gpa_without_the_exit_is_unsupported),
		T(test_set_memory_attributes_errors),
		T(test_memory_attributes_are_state),
		T(test_td_access_against_the_attribute_is_a_memory_fault),
		T(test_guest_memfd_errors),
		T(test_td_private_memory_is_guest_memfd),
		T(test_capabilities),
		T(test_td_cpuid_config_and_get_cpuid),
		T(test_supported_cpuid),
		T(test_td_get_quote),
		T(test_init_vm_errors),
		T(test_create_vcpu_before_init_vm_fails),
		T(test_vcpu_command_errors),
		T(test_register_ioctls_on_a_td_vcpu_are_einval),
		T(test_td_commands_on_a_vm_and_vm_ioctls_on_a_td),
		T(test_teardown_after_run_leaves_no_page_owned),
		T(test_teardown_after_init_vm_leaves_no_page_owned),
		T(test_teardown_after_init_vcpu_leaves_no_page_owned),
		T(test_teardown_at_each_other_stage_leaves_no_page_owned),
		T(test_tds_one_after_another_reuse_keyids),
		T(test_init_vm_without_a_free_hkid_is_enospc),
		T2(test_vm_and_td_on_two_lps_with_td_migrating),
		T2(test_td_alone_migrating_between_lps),
		T2(test_offline_lp_flushes_and_clears_its_vcpus),
		T2(test_two_tds_on_two_lps),
		T(test_vt_dispatch_vm_calls_reach_vmx_and_td_calls_reach_tdx),
		T(test_vt_event_ops_through_kvm_interrupt_and_kvm_nmi),
		T(test_vt_event_state_ops),
		T(test_vt_msr_ops),
		T(test_kvm_run_waits_for_init_vcpu_and_finalize_vm),
		T(test_td_second_fault_on_an_added_page_is_spurious),
		T(test_td_busy_entry_is_entered_again),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
