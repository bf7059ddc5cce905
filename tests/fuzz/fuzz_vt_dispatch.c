/* kvmlike's user API (kvmlike/kvm.h) under random call sequences: the vt_ dispatch
 * paths themselves. One --tdx machine of 2 LPs is brought up once per process
 * (kvm_init does Linux's bring-up); each input creates VMs of either type
 * (KVM_X86_DEFAULT_VM, KVM_X86_TDX_VM), memslots, vCPUs, issues KVM_TDX_* commands,
 * KVM_GET/SET_(S)REGS and KVM_RUN with tiny guests (real-mode snippets in memory
 * filled with HLT for a VM, guests/td_hello for a TD), moves vCPUs between LPs and
 * destroys VMs; at its end every VM still alive is destroyed and its user memory
 * given back (the oracles below check that nothing is left), and the next input
 * starts from a snapshot of the machine after bring-up (include/vtsim/snapshot.h),
 * so that what the teardown does not give back (the module's counters, virtual
 * time, the software CPUs' translations) does not depend on the inputs before:
 * kvmlike itself holds no VM or vCPU then, nor a VMCS current on an LP.
 * FUZZ_RESET_COST=1 prints what the restores cost at exit.
 *
 * Oracles (a failure prints the call history and aborts):
 *  - no crash, no sanitizer report;
 *  - every VM exit that reports an instruction found that instruction at the guest's
 *    RIP (cfg.check_exits): the simulator ran the guest's code, not a stale copy;
 *  - dispatch matches the VM type: a call on a VM or its vCPU moves only the
 *    kvm_x86_op_calls counters of that VM's side; KVM_RUN goes through vcpu_load and
 *    vcpu_run of that side, KVM_CREATE_VCPU through vcpu_create, destroying a VM
 *    through vm_destroy once and vcpu_free once per vCPU; calls on a VM issue no
 *    SEAMCALL; a VM refuses KVM_MEMORY_ENCRYPT_OP (-ENOTTY, -EINVAL on a vCPU) and
 *    a TD's vCPU KVM_GET/SET_(S)REGS (-EINVAL);
 *  - a VM's KVM_SET_REGS is read back by KVM_GET_REGS (the GPRs and RIP);
 *  - KVM_RUN returns 0 with an exit reason kvmlike's uapi defines, or an errno;
 *  - after the teardown: the module's PAMT is what it was after bring-up (every page
 *    back to the host: no TDR, TDCX, TDVPR, private or S-EPT page left), kvmlike's
 *    page pool holds as many pages as before the input, and kvmlike logged no
 *    warning, leaked page, live HKID or failed VMX instruction.
 *
 * Input: records of 8 bytes: r[0] operation (% NR_OPS), r[1] bit 0 VM slot, bits 3:1
 * vCPU slot, r[2..7] arguments (see each op). FUZZ_VT_TRACE=1 prints every call. */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmlike/kvm.h"
#include "kvmlike/kvm_x86.h"
#include "kvmlike/runtime_hosted.h"
#include "kvmlike/tdx_host.h"
#include "sim/cpu/machine.h"
#include "sim/tdx_module_stub/module.h"
#include "tests/fuzz/reset_cost.h"
#include "vtsim/hosted.h"
#include "vtsim/vtsim.h"

extern const unsigned char vtsim_guest_td_hello[];
extern const unsigned int vtsim_guest_td_hello_len;

#define NLP        2
#define NVM        2
#define REC        8
#define MAX_RECS   32
#define MAX_RUNS   1024         /* KVM_RUNs one record may issue (td_hello's output needs ~600) */
#define USER_CAP   (12ull << 20) /* user memory one input may take */
#define NUSER      24
#define HLT        0xf4
#define SNIP_BASE  0x1000u      /* where the snippets sit in a VM's memory */
#define SNIP_STEP  0x20u
#define TD_FW_TOP  0x100000000ull
#define TD_LOW_MEM (2ull << 20)

/* Real-mode guests for a VM, each ending in HLT (the memory around is HLT too, so
 * that code run in another mode or at another place soon halts or leaves memory). */
static const struct { const char *name; uint8_t len; uint8_t b[16]; } snippets[] = {
	{ "out com1", 6, { 0xba, 0xf8, 0x03, 0xb0, 0x76, 0xee } },
	{ "cpuid", 5, { 0x66, 0x31, 0xc0, 0x0f, 0xa2 } },
	{ "in loop", 6, { 0xe4, 0x60, 0x84, 0xc0, 0x75, 0xfa } },
	{ "mmio read", 7, { 0xb8, 0x00, 0xd0, 0x8e, 0xd8, 0x8a, 0x07 } },
	{ "vmcall", 3, { 0x0f, 0x01, 0xc1 } },
	{ "rdmsr", 8, { 0x66, 0xb9, 0x10, 0x00, 0x00, 0x00, 0x0f, 0x32 } },
	{ "wrmsr bad", 8, { 0x66, 0xb9, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x30 } },
	{ "ud2", 2, { 0x0f, 0x0b } },
	{ "cr0.pe", 8, { 0x0f, 0x20, 0xc0, 0x0c, 0x01, 0x0f, 0x22, 0xc0 } },
	{ "out e9 word", 5, { 0xb8, 0x41, 0x42, 0xe7, 0xe9 } },
	{ "int3", 1, { 0xcc } },
	{ "rep outsb", 11, { 0xb9, 0x03, 0x00, 0xbe, 0x00, 0x10, 0xba, 0xf8, 0x03, 0xf3, 0x6e } },
	{ "xsetbv", 13, { 0x31, 0xc9, 0x66, 0xb8, 0x07, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0x01, 0xd1 } },
	{ "invd", 2, { 0x0f, 0x08 } },
	{ "mov cr4", 9, { 0x66, 0xb8, 0x00, 0x00, 0x40, 0x00, 0x0f, 0x22, 0xe0 } },
	{ "hlt", 0, { 0 } },
};
#define NSNIP (sizeof(snippets) / sizeof(snippets[0]))

struct vm {
	struct kvm *kvm;
	bool td;
	bool irqchip;                  /* KVM_CAP_SPLIT_IRQCHIP given */
	struct kvm_vcpu *vcpu[KVM_MAX_VCPUS];
	unsigned nvcpu;
	uint8_t *src;                  /* a TD's initial image (td_hello) */
	uint64_t fw_size;
};

static struct {
	struct vtsim_machine *m;
	FILE *log;
	long log_pos;
	uint64_t census[256];          /* the PAMT after bring-up */
	uint64_t pool_in_use;
	struct vm vm[NVM];
	struct { uint8_t *p; uint64_t size; } user[NUSER];
	unsigned nuser;
	uint64_t user_bytes;
	uint8_t *last_user;
	uint64_t last_user_size;
	uint8_t *scratch;              /* command structures (user memory, one page) */
	bool trace;
	/* per call */
	uint64_t calls[NR_KVM_X86_OPS][2];
	uint64_t seamcalls;
	struct vtsim_snapshot *snap;   /* the machine after bring-up */
} H;

static struct reset_cost reset = { .target = "fuzz_vt_dispatch" };

static void print_reset_cost(void)
{
	reset_cost_print(&reset);
}

/* The last inputs' records, printed when an oracle fails. */
static char hist[64][96];
static unsigned hist_n;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(hist[hist_n % 64], sizeof(hist[0]), fmt, ap);
	va_end(ap);
	if (H.trace)
		fprintf(stderr, "vt_dispatch: %s\n", hist[hist_n % 64]);
	hist_n++;
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	unsigned first = hist_n > 64 ? hist_n - 64 : 0;
	fprintf(stderr, "vt_dispatch: the calls of this input, last %u:\n", hist_n - first);
	for (unsigned i = first; i < hist_n; i++)
		fprintf(stderr, "  %s\n", hist[i % 64]);
	va_list ap;
	va_start(ap, fmt);
	fputs("vt_dispatch: ORACLE FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* ---- the dispatch oracle around each call ----------------------------------------- */

static uint64_t seamcalls_total(void)
{
	const struct tdx_seamcall_stat *s = tdx_seamcall_stats();
	uint64_t n = 0;
	for (unsigned i = 0; i < TDX_NR_LEAVES; i++)
		n += s[i].calls;
	return n;
}

static void call_begin(void)
{
	memcpy(H.calls, kvm_x86_op_calls, sizeof(H.calls));
	H.seamcalls = seamcalls_total();
}

static uint64_t delta(enum kvm_x86_op_id op, bool td)
{
	return kvm_x86_op_calls[op][td] - H.calls[op][td];
}

/* Nothing reached the other side; a VM issued no SEAMCALL. */
static void call_end(const struct vm *v, const char *what)
{
	for (unsigned op = 0; op < NR_KVM_X86_OPS; op++)
		if (delta(op, !v->td))
			fail("%s on a %s: %s reached the %s side %llu times", what, v->td ? "TD" : "VM",
			     kvm_x86_op_names[op], v->td ? "vmx_" : "tdx_",
			     (unsigned long long)delta(op, !v->td));
	if (!v->td && seamcalls_total() != H.seamcalls)
		fail("%s on a VM issued %llu SEAMCALLs", what,
		     (unsigned long long)(seamcalls_total() - H.seamcalls));
}

static void expect_calls(const struct vm *v, enum kvm_x86_op_id op, uint64_t min, uint64_t max,
			 const char *what)
{
	uint64_t d = delta(op, v->td);
	if (d < min || d > max)
		fail("%s: %s called %llu times on the %s side, expected %llu..%llu", what,
		     kvm_x86_op_names[op], (unsigned long long)d, v->td ? "tdx_" : "vmx_",
		     (unsigned long long)min, (unsigned long long)max);
}

/* ---- user memory ------------------------------------------------------------------ */

static uint8_t *user_alloc(uint64_t size, uint8_t fill)
{
	if (H.nuser == NUSER || H.user_bytes + size > USER_CAP)
		return NULL;
	uint8_t *p = kvm_userspace_alloc(size);
	if (!p)
		return NULL;
	memset(p, fill, size);
	H.user[H.nuser].p = p;
	H.user[H.nuser++].size = size;
	H.user_bytes += size;
	return p;
}

static void user_free_all(void)
{
	for (unsigned i = 0; i < H.nuser; i++)
		kvm_userspace_free(H.user[i].p, H.user[i].size);
	H.nuser = 0;
	H.user_bytes = 0;
	H.last_user = NULL;
	H.last_user_size = 0;
}

/* VM memory: HLT everywhere, the snippets at SNIP_BASE + SNIP_STEP * k. */
static void place_snippets(uint8_t *p, uint64_t size)
{
	for (unsigned k = 0; k < NSNIP; k++)
		if (SNIP_BASE + SNIP_STEP * (k + 1) <= size)
			memcpy(p + SNIP_BASE + SNIP_STEP * k, snippets[k].b, snippets[k].len);
}

/* ---- operations ------------------------------------------------------------------- */

static struct vm *vm_of(const uint8_t *r)
{
	return &H.vm[r[1] & 1];
}

static struct kvm_vcpu *vcpu_of(struct vm *v, const uint8_t *r)
{
	if (!v->nvcpu)
		return NULL;
	return v->vcpu[((r[1] >> 1) & 7) % v->nvcpu];
}

static uint64_t rd64(const uint8_t *p, unsigned n)
{
	uint64_t x = 0;
	memcpy(&x, p, n);
	return x;
}

/* r[2] bit 0: a TD; bit 6: no split irqchip (a TD then gets no vCPU); bit 7: the
 * type is r[2] & 63 as given, no irqchip. */
static int do_create_vm(struct vm *v, const uint8_t *r)
{
	if (v->kvm)
		return 1;
	unsigned long type = (r[2] & 0x80) ? r[2] & 63 : (r[2] & 1) ? KVM_X86_TDX_VM : KVM_X86_DEFAULT_VM;
	struct vm probe = { .td = type == KVM_X86_TDX_VM };
	call_begin();
	int e = kvm_create_vm(type, &v->kvm);
	note("KVM_CREATE_VM(%lu) = %d", type, e);
	bool valid = type == KVM_X86_DEFAULT_VM || type == KVM_X86_TDX_VM;
	if (!valid && (e != -EINVAL || v->kvm))
		fail("KVM_CREATE_VM of type %lu: %d, not -EINVAL", type, e);
	if (valid) {
		call_end(&probe, "KVM_CREATE_VM");
		expect_calls(&probe, KVM_OP_vm_init, 1, 1, "KVM_CREATE_VM");
		if (e || !v->kvm)
			fail("KVM_CREATE_VM of type %lu failed: %d", type, e);
		if (v->kvm->vm_type != type)
			fail("KVM_CREATE_VM: vm_type %lu, asked %lu", v->kvm->vm_type, type);
	}
	v->td = probe.td;
	v->nvcpu = 0;
	v->irqchip = false;
	if (valid && !(r[2] & 0xc0)) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
		int c = kvm_vm_enable_cap(v->kvm, &cap);
		note("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP) = %d", c);
		if (c)
			fail("KVM_CAP_SPLIT_IRQCHIP on a new VM: %d", c);
		v->irqchip = true;
	}
	return e;
}

static void do_destroy_vm(struct vm *v)
{
	if (!v->kvm)
		return;
	unsigned n = v->kvm->nr_vcpus;
	if (n != v->nvcpu)
		fail("the VM has %u vCPUs, user space created %u", n, v->nvcpu);
	call_begin();
	kvm_destroy_vm(v->kvm);
	note("destroy %s", v->td ? "TD" : "VM");
	call_end(v, "destroying the VM");
	expect_calls(v, KVM_OP_vm_destroy, 1, 1, "destroying the VM");
	expect_calls(v, KVM_OP_vcpu_free, n, n, "destroying the VM");
	memset(v, 0, sizeof(*v));
}

/* A guest_memfd for a slot of `size` bytes: as large, or (r6 bit 2) half as large
 * (too small unless the slot is a page), or none when the VM has too many. */
static int memslot_gmem(struct vm *v, uint64_t size, uint8_t r6)
{
	struct kvm_create_guest_memfd gm = { .size = (r6 & 4) && size > 0x1000 ? (size / 2 + 4095) & ~4095ull : size };
	int fd = gm.size ? kvm_create_guest_memfd(v->kvm, &gm) : -EINVAL;
	if (fd < 0 && fd != -EMFILE && fd != -EINVAL)
		fail("KVM_CREATE_GUEST_MEMFD(0x%llx): %d", (unsigned long long)gm.size, fd);
	return fd;
}

/* r[2] slot; r[3] GPA choice; r[4] size choice; r[5] memory choice; r[6] bit 0
 * flags, bit 1 a guest_memfd (bit 2 too small, bit 3 at a misaligned offset). */
static void do_memslot(struct vm *v, const uint8_t *r)
{
	if (!v->kvm)
		return;
	uint64_t fw = (vtsim_guest_td_hello_len + 4095) & ~4095ull;
	const uint64_t gpas[8] = { 0, 0x100000, 0x200000, 0xf0000, TD_FW_TOP - fw, 0xffff0000,
				   0xfee00000, rd64(r + 5, 3) << 12 };
	const uint64_t sizes[8] = { 0x1000, 0x10000, 0x100000, TD_LOW_MEM, fw, 0, 0x1800, 0x20000 };
	struct kvm_userspace_memory_region2 mr = { .slot = r[2] % 10, .flags = r[6] & 1,
						   .guest_phys_addr = gpas[r[3] & 7],
						   .memory_size = sizes[r[4] & 7],
						   .guest_memfd_offset = (r[6] & 8) ? 0x800 : 0 };
	int fd = (r[6] & 2) ? memslot_gmem(v, mr.memory_size, r[6]) : -1;
	if (fd >= 0) {
		mr.flags |= KVM_MEM_GUEST_MEMFD;
		mr.guest_memfd = (uint32_t)fd;
	}
	uint64_t alloc = (mr.memory_size + 4095) & ~4095ull;
	uint8_t *p = NULL;
	switch (r[5] & 3) {
	case 0:               /* fresh memory */
		p = alloc ? user_alloc(alloc, HLT) : NULL;
		if (p) {
			place_snippets(p, alloc);
			H.last_user = p;
			H.last_user_size = alloc;
		}
		break;
	case 1:               /* the last memory again (two slots, or two VMs, share it) */
		p = H.last_user;
		break;
	case 2:               /* kvmlike's own memory: not user space's */
		p = __va(kvm_memory_top() - 0x100000);
		break;
	case 3:               /* past the end of the last memory */
		p = H.last_user ? H.last_user + H.last_user_size - 0x1000 : NULL;
		break;
	}
	if (!p)
		return;
	mr.userspace_addr = (uint64_t)(uintptr_t)p;
	call_begin();
	int e = kvm_set_user_memory_region2(v->kvm, &mr);
	note("KVM_SET_USER_MEMORY_REGION2(slot %u, gpa 0x%llx, size 0x%llx, mem %u, gmem %d at 0x%llx) = %d",
	     mr.slot, (unsigned long long)mr.guest_phys_addr, (unsigned long long)mr.memory_size, r[5] & 3,
	     fd, (unsigned long long)mr.guest_memfd_offset, e);
	call_end(v, "KVM_SET_USER_MEMORY_REGION2");
	if (e != 0 && e != -EINVAL && e != -EEXIST && e != -EOPNOTSUPP)
		fail("KVM_SET_USER_MEMORY_REGION2: %d", e);
	uint32_t valid = v->td ? KVM_MEM_GUEST_MEMFD : 0;
	bool bad_gmem = (mr.flags & KVM_MEM_GUEST_MEMFD) && ((r[6] & 8) || ((r[6] & 4) && mr.memory_size > 0x1000));
	if ((mr.slot >= KVM_MAX_MEMSLOTS || (mr.flags & ~valid) || (bad_gmem && mr.memory_size)) && e != -EINVAL)
		fail("KVM_SET_USER_MEMORY_REGION2 of slot %u flags %u: %d", mr.slot, mr.flags, e);
}

/* r[2] vCPU id. */
static void do_create_vcpu(struct vm *v, const uint8_t *r)
{
	if (!v->kvm)
		return;
	struct kvm_vcpu *vcpu = NULL;
	unsigned id = r[2] % 10;
	call_begin();
	int e = kvm_create_vcpu(v->kvm, id, &vcpu);
	note("KVM_CREATE_VCPU(%u) on LP %u = %d", id, smp_processor_id(), e);
	call_end(v, "KVM_CREATE_VCPU");
	if (e == 0) {
		if (!vcpu || v->nvcpu == KVM_MAX_VCPUS)
			fail("KVM_CREATE_VCPU succeeded without a vCPU, or past %u", KVM_MAX_VCPUS);
		expect_calls(v, KVM_OP_vcpu_create, 1, 1, "KVM_CREATE_VCPU");
		v->vcpu[v->nvcpu++] = vcpu;
	} else if (vcpu) {
		fail("KVM_CREATE_VCPU failed (%d) but returned a vCPU", e);
	}
	if (v->td && !v->irqchip && e != -EIO && e != -EINVAL)
		fail("KVM_CREATE_VCPU of a TD without the split irqchip: %d, not -EINVAL", e);
}

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

/* r[2] < 0x80: RIP at snippet r[2] % NSNIP, else RIP from r[3..4]; r[5..7] seed the GPRs
 * (0: all zero). The VM reads back what it was given; a TD refuses. */
static void do_set_regs(struct vm *v, const uint8_t *r)
{
	struct kvm_vcpu *vcpu = vcpu_of(v, r);
	if (!vcpu)
		return;
	struct kvm_regs regs = { 0 }, back;
	uint64_t seed = rd64(r + 5, 3), *g = &regs.rax;
	for (int i = 0; seed && i < 16; i++)
		g[i] = rng_next(&seed);
	regs.rip = r[2] < 0x80 ? SNIP_BASE + SNIP_STEP * (r[2] % NSNIP) : rd64(r + 3, 2);
	regs.rflags = 2;
	call_begin();
	int e = kvm_vcpu_set_regs(vcpu, &regs);
	note("KVM_SET_REGS(rip 0x%llx) = %d", (unsigned long long)regs.rip, e);
	call_end(v, "KVM_SET_REGS");
	if (v->td) {
		if (e != -EINVAL)
			fail("KVM_SET_REGS on a TD's vCPU: %d, not -EINVAL", e);
		return;
	}
	if (e)
		fail("KVM_SET_REGS on a VM's vCPU: %d", e);
	call_begin();
	e = kvm_vcpu_get_regs(vcpu, &back);
	call_end(v, "KVM_GET_REGS");
	if (e || memcmp(&back, &regs, offsetof(struct kvm_regs, rflags)))
		fail("KVM_GET_REGS (%d) does not return what KVM_SET_REGS set", e);
}

/* r[2] % 4: 0 real mode at CS base 0 (the snippets' mode); 1 one field of the
 * current state changed (r[3] which, r[4..7] the value); 2 every byte random (seed
 * r[3..7]); 3 KVM_GET_SREGS only. */
static void do_sregs(struct vm *v, const uint8_t *r)
{
	struct kvm_vcpu *vcpu = vcpu_of(v, r);
	if (!vcpu)
		return;
	struct kvm_sregs s;
	call_begin();
	int e = kvm_vcpu_get_sregs(vcpu, &s);
	call_end(v, "KVM_GET_SREGS");
	if (v->td) {
		if (e != -EINVAL)
			fail("KVM_GET_SREGS on a TD's vCPU: %d, not -EINVAL", e);
		memset(&s, 0, sizeof(s));
	} else if (e) {
		fail("KVM_GET_SREGS on a VM's vCPU: %d", e);
	}
	unsigned mode = r[2] % 4;
	if (mode == 3)
		return;
	if (mode == 0) {
		s.cs.base = 0;
		s.cs.selector = 0;
	} else if (mode == 1) {
		uint32_t val = (uint32_t)rd64(r + 4, 4);
		unsigned at = r[3] % (sizeof(s) / 4);
		memcpy((uint8_t *)&s + at * 4, &val, 4);
	} else {
		uint64_t seed = rd64(r + 3, 5) | 1;
		for (size_t i = 0; i < sizeof(s); i += 8) {
			uint64_t x = rng_next(&seed);
			memcpy((uint8_t *)&s + i, &x, sizeof(s) - i < 8 ? sizeof(s) - i : 8);
		}
	}
	call_begin();
	e = kvm_vcpu_set_sregs(vcpu, &s);
	note("KVM_SET_SREGS(mode %u) = %d", mode, e);
	call_end(v, "KVM_SET_SREGS");
	if (v->td && e != -EINVAL)
		fail("KVM_SET_SREGS on a TD's vCPU: %d, not -EINVAL", e);
	if (!v->td && e && e != -EINVAL)
		fail("KVM_SET_SREGS on a VM's vCPU: %d", e);
}

static bool exit_reason_known(uint32_t x)
{
	static const uint32_t known[] = {
		KVM_EXIT_UNKNOWN, KVM_EXIT_EXCEPTION, KVM_EXIT_IO, KVM_EXIT_HYPERCALL, KVM_EXIT_DEBUG,
		KVM_EXIT_HLT, KVM_EXIT_MMIO, KVM_EXIT_IRQ_WINDOW_OPEN, KVM_EXIT_SHUTDOWN,
		KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTR, KVM_EXIT_INTERNAL_ERROR, KVM_EXIT_SYSTEM_EVENT,
		KVM_EXIT_TDX,
	};
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == x)
			return true;
	return false;
}

/* (r[2] % 64 + 1) * 16 KVM_RUNs, stopping at an exit other than I/O, MMIO or a
 * hypercall; user space answers INs with r[3] and MMIO reads with r[4..7]. */
static void do_run(struct vm *v, const uint8_t *r)
{
	struct kvm_vcpu *vcpu = vcpu_of(v, r);
	if (!vcpu)
		return;
	unsigned n = (r[2] % 64 + 1) * (MAX_RUNS / 64);
	for (unsigned i = 0; i < n; i++) {
		struct kvm_run *run = vcpu->run;
		call_begin();
		int e = kvm_vcpu_run(vcpu);
		call_end(v, "KVM_RUN");
		expect_calls(v, KVM_OP_vcpu_load, 1, 1, "KVM_RUN");
		note("KVM_RUN on LP %u = %d, exit %u", smp_processor_id(), e, run->exit_reason);
		if (vtsim_machine_stopped(H.m))
			fail("the machine stopped: %s", vtsim_machine_stop_message(H.m));
		char why[256];
		if (vtsim_exit_check_failures(H.m, why, sizeof(why)))
			fail("KVM_RUN: the simulator's exit does not match the guest's code: %s", why);
		if (e)
			return;
		expect_calls(v, KVM_OP_vcpu_run, 1, ~0ull, "KVM_RUN");
		if (!exit_reason_known(run->exit_reason))
			fail("KVM_RUN: exit reason %u", run->exit_reason);
		if (run->exit_reason == KVM_EXIT_IO) {
			if (run->io.data_offset + (uint64_t)run->io.size * run->io.count > 2 * PAGE_SIZE)
				fail("KVM_EXIT_IO: data past the kvm_run pages");
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset((uint8_t *)run + run->io.data_offset, r[3],
				       (size_t)run->io.size * run->io.count);
		} else if (run->exit_reason == KVM_EXIT_MMIO) {
			if (run->mmio.len > 8)
				fail("KVM_EXIT_MMIO of %u bytes", run->mmio.len);
			if (!run->mmio.is_write)
				memcpy(run->mmio.data, r + 4, 4);
		} else if (run->exit_reason != KVM_EXIT_HYPERCALL) {
			return;
		}
	}
}

/* Room for CPUID entries in a kvm_cpuid2 at `off` in the scratch page. */
static uint32_t cpuid_room(size_t off)
{
	return (uint32_t)((PAGE_SIZE - off - sizeof(struct kvm_cpuid2)) / sizeof(struct kvm_cpuid_entry2));
}

/* A VM-wide KVM_MEMORY_ENCRYPT_OP: r[2] % 8 the command (6, 7: none such), r[3]
 * flags if bit 7, r[4] attributes choice, r[5] xfam choice, r[6] bit 0: no data,
 * r[7] the room for CPUID entries KVM_TDX_CAPABILITIES is given (within the page). */
static void do_vm_cmd(struct vm *v, const uint8_t *r)
{
	if (!v->kvm || !H.scratch)
		return;
	static const uint64_t attrs[4] = { 0, 1ull << 0, 1ull << 28, 1ull << 1 };
	static const uint64_t xfams[4] = { 3, 0xe7, 1, 3 | 1ull << 9 };
	memset(H.scratch, 0, PAGE_SIZE);
	struct kvm_tdx_cmd c = { .id = r[2] % 8, .flags = (r[3] & 0x80) ? r[3] & 3 : 0,
				 .data = (r[6] & 1) ? 0 : (uint64_t)(uintptr_t)H.scratch };
	if (c.id == KVM_TDX_CAPABILITIES) {
		struct kvm_tdx_capabilities *caps = (void *)H.scratch;
		caps->cpuid.nent = r[7] % (cpuid_room(offsetof(struct kvm_tdx_capabilities, cpuid)) + 1);
	} else {
		struct kvm_tdx_init_vm *init = (void *)H.scratch;
		init->attributes = attrs[r[4] & 3];
		init->xfam = xfams[r[5] & 3];
	}
	call_begin();
	int e = kvm_memory_encrypt_op(v->kvm, &c);
	note("KVM_MEMORY_ENCRYPT_OP(VM, cmd %u, flags %u) = %d, hw_error 0x%llx", c.id, c.flags, e,
	     (unsigned long long)c.hw_error);
	call_end(v, "KVM_MEMORY_ENCRYPT_OP");
	if (!v->td && e != -ENOTTY)
		fail("KVM_MEMORY_ENCRYPT_OP on a VM: %d, not -ENOTTY", e);
	if (v->td && e == 0 && c.hw_error)
		fail("KVM_MEMORY_ENCRYPT_OP succeeded with hw_error 0x%llx", (unsigned long long)c.hw_error);
}

/* The vCPU's KVM_MEMORY_ENCRYPT_OP: r[2] % 4 the command (INIT_VCPU, INIT_MEM_REGION,
 * GET_CPUID, 3: none such); INIT_MEM_REGION of the td_hello image (r[3] & 1
 * measured) at its place below 4 GiB, or (r[3] & 2) r[4] pages at GPA r[5] << 12;
 * GET_CPUID with room for r[6] entries (within the page). */
static void do_vcpu_cmd(struct vm *v, const uint8_t *r)
{
	struct kvm_vcpu *vcpu = vcpu_of(v, r);
	if (!vcpu || !H.scratch)
		return;
	static const uint32_t ids[4] = { KVM_TDX_INIT_VCPU, KVM_TDX_INIT_MEM_REGION, KVM_TDX_GET_CPUID, 9 };
	struct kvm_tdx_cmd c = { .id = ids[r[2] & 3], .flags = r[3] & 1 };
	struct kvm_tdx_init_mem_region *mr = (void *)H.scratch;
	uint64_t fw = (vtsim_guest_td_hello_len + 4095) & ~4095ull;
	if (c.id == KVM_TDX_INIT_MEM_REGION) {
		if (!v->src && v->td) {
			v->src = user_alloc(fw, 0);
			if (v->src)
				memcpy(v->src + fw - vtsim_guest_td_hello_len, vtsim_guest_td_hello,
				       vtsim_guest_td_hello_len);
		}
		if (!v->src && v->td)
			return;
		*mr = (struct kvm_tdx_init_mem_region){ .source_addr = (uint64_t)(uintptr_t)v->src,
							.gpa = TD_FW_TOP - fw, .nr_pages = fw >> 12 };
		if (r[3] & 2) {
			mr->gpa = (uint64_t)r[5] << 12;
			mr->nr_pages = r[4] % 8;
		}
		c.data = (uint64_t)(uintptr_t)mr;
	} else if (c.id == KVM_TDX_GET_CPUID) {
		struct kvm_cpuid2 *cpuid = (void *)H.scratch;
		memset(H.scratch, 0, PAGE_SIZE);
		cpuid->nent = r[6] % (cpuid_room(0) + 1);
		c.flags = 0;
		c.data = (uint64_t)(uintptr_t)cpuid;
	}
	call_begin();
	int e = kvm_vcpu_memory_encrypt_op(vcpu, &c);
	note("KVM_MEMORY_ENCRYPT_OP(vCPU, cmd %u, flags %u) = %d, hw_error 0x%llx", c.id, c.flags, e,
	     (unsigned long long)c.hw_error);
	call_end(v, "KVM_MEMORY_ENCRYPT_OP (vCPU)");
	if (!v->td && e != -EINVAL)
		fail("KVM_MEMORY_ENCRYPT_OP on a VM's vCPU: %d, not -EINVAL", e);
}

/* KVM_SET_MEMORY_ATTRIBUTES of [gpa, gpa + size): private or shared. */
static void do_attributes(struct vm *v, uint64_t gpa, uint64_t size, bool private)
{
	struct kvm_memory_attributes a = { .address = gpa, .size = size,
					   .attributes = private ? KVM_MEMORY_ATTRIBUTE_PRIVATE : 0 };
	call_begin();
	int e = kvm_vm_set_memory_attributes(v->kvm, &a);
	note("KVM_SET_MEMORY_ATTRIBUTES(0x%llx, 0x%llx, %s) = %d", (unsigned long long)gpa,
	     (unsigned long long)size, private ? "private" : "shared", e);
	call_end(v, "KVM_SET_MEMORY_ATTRIBUTES");
	if (e && !(e == -EINVAL && private && !v->td))
		fail("KVM_SET_MEMORY_ATTRIBUTES: %d", e);
}

/* A TD as a VMM builds it (td_hello as firmware, 2 MiB at 0), ready to run:
 * r[2] bit 0 measured, bit 1 a debug TD. */
static void do_build_td(struct vm *v, const uint8_t *r)
{
	if (v->kvm)
		return;
	uint8_t c[8] = { 0, r[1], 1 };
	if (do_create_vm(v, c) || !v->td)
		return;
	uint64_t fw = (vtsim_guest_td_hello_len + 4095) & ~4095ull;
	uint8_t *low = user_alloc(TD_LOW_MEM, 0), *fwm = user_alloc(fw, 0);
	if (!low || !fwm)
		return;
	uint8_t s0[8] = { 0, r[1], 0, 0, 3, 1 }, s1[8] = { 0, r[1], 1, 4, 4, 1 };
	H.last_user = low;
	H.last_user_size = TD_LOW_MEM;
	do_memslot(v, s0);
	H.last_user = fwm;
	H.last_user_size = fw;
	do_memslot(v, s1);
	do_attributes(v, 0, TD_LOW_MEM, true);          /* a TD's memory starts shared */
	do_attributes(v, TD_FW_TOP - fw, fw, true);
	uint8_t init[8] = { 0, r[1], KVM_TDX_INIT_VM, 0, (r[2] & 2) ? 1 : 0, 0, 0 };
	do_vm_cmd(v, init);
	uint8_t vc[8] = { 0, r[1], 0 };
	do_create_vcpu(v, vc);
	uint8_t iv[8] = { 0, r[1] & 1, 0 }, im[8] = { 0, r[1] & 1, 1, r[2] & 1 };
	do_vcpu_cmd(v, iv);
	do_vcpu_cmd(v, im);
	uint8_t fin[8] = { 0, r[1], KVM_TDX_FINALIZE_VM };
	do_vm_cmd(v, fin);
}

/* A VM with 64 KiB at 0 (the snippets), one vCPU in real mode at snippet r[2]. */
static void do_build_vm(struct vm *v, const uint8_t *r)
{
	if (v->kvm)
		return;
	uint8_t c[8] = { 0, r[1], 0 }, s[8] = { 0, r[1], 0, 0, 1, 0 };
	if (do_create_vm(v, c) || v->td)
		return;
	do_memslot(v, s);
	uint8_t vc[8] = { 0, r[1], 0 }, sr[8] = { 0, r[1] & 1, 0 };
	do_create_vcpu(v, vc);
	do_sregs(v, sr);
	uint8_t rg[8] = { 0, r[1] & 1, (uint8_t)(r[2] & 0x7f) };
	do_set_regs(v, rg);
}

static void do_migrate(const uint8_t *r)
{
	kvm_set_current_cpu(r[2] % NLP);
	note("now on LP %u", r[2] % NLP);
}

enum { OP_CREATE_VM, OP_DESTROY_VM, OP_MEMSLOT, OP_CREATE_VCPU, OP_SET_REGS, OP_SREGS,
       OP_RUN, OP_VM_CMD, OP_VCPU_CMD, OP_BUILD_TD, OP_BUILD_VM, OP_MIGRATE, NR_OPS };

static void record(const uint8_t *r)
{
	struct vm *v = vm_of(r);
	switch (r[0] % NR_OPS) {
	case OP_CREATE_VM: do_create_vm(v, r); break;
	case OP_DESTROY_VM: do_destroy_vm(v); break;
	case OP_MEMSLOT: do_memslot(v, r); break;
	case OP_CREATE_VCPU: do_create_vcpu(v, r); break;
	case OP_SET_REGS: do_set_regs(v, r); break;
	case OP_SREGS: do_sregs(v, r); break;
	case OP_RUN: do_run(v, r); break;
	case OP_VM_CMD: do_vm_cmd(v, r); break;
	case OP_VCPU_CMD: do_vcpu_cmd(v, r); break;
	case OP_BUILD_TD: do_build_td(v, r); break;
	case OP_BUILD_VM: do_build_vm(v, r); break;
	case OP_MIGRATE: do_migrate(r); break;
	}
}

/* ---- end of an input: teardown and the ownership oracles ----------------------------- */

static void log_oracle(void)
{
	static const char *const bad[] = { "WARNING", "leaked", "HKID live", "VMX instruction" };
	char line[512];
	fflush(H.log);
	fseek(H.log, H.log_pos, SEEK_SET);
	while (fgets(line, sizeof(line), H.log))
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(line, bad[i]))
				fail("kvmlike logged: %s", line);
	H.log_pos = ftell(H.log);
}

static void ownership_oracle(void)
{
	uint64_t census[256];
	tdx_module_pamt_census(H.m->seam.module, census);
	for (unsigned t = 0; t < 256; t++)
		if (census[t] != H.census[t])
			fail("after the teardown the PAMT has %llu pages of type %u, %llu after bring-up",
			     (unsigned long long)census[t], t, (unsigned long long)H.census[t]);
	uint64_t used = kvm_hosted_pages_in_use();
	if (used != H.pool_in_use)
		fail("after the teardown kvmlike's pool has %llu pages in use, %llu before",
		     (unsigned long long)used, (unsigned long long)H.pool_in_use);
}

static void teardown(void)
{
	kvm_set_current_cpu(0);
	for (unsigned i = 0; i < NVM; i++)
		do_destroy_vm(&H.vm[i]);
	user_free_all();
	kvm_userspace_free(H.scratch, PAGE_SIZE);
	H.scratch = NULL;
	log_oracle();
	ownership_oracle();
}

static void setup(void)
{
	struct vtsim_config cfg;
	char err[256] = "";
	vtsim_config_defaults(&cfg);
	cfg.tdx = true;
	cfg.nr_cpus = NLP;
	cfg.ram_size = 96u << 20;
	cfg.check_exits = true;
	H.m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!H.m || vtsim_hosted_start(H.m, err, sizeof(err)))
		fail("setup: machine: %s", err);
	H.log = tmpfile();
	if (!H.log || kvm_hosted_attach(H.m, H.log) || kvm_init())
		fail("setup: kvmlike's bring-up failed");
	if (!(kvm_vm_types() & (1u << KVM_X86_TDX_VM)))
		fail("setup: no TD VM type on a TDX machine");
	tdx_module_pamt_census(H.m->seam.module, H.census);
	uint64_t other = 0;
	for (unsigned t = 2; t < 256; t++)
		other += H.census[t];
	if (other || !H.census[0])
		fail("setup: the PAMT after bring-up: %llu free pages, %llu neither free nor reserved",
		     (unsigned long long)H.census[0], (unsigned long long)other);
	H.pool_in_use = kvm_hosted_pages_in_use();
	log_oracle();
	if (!(H.snap = vtsim_snapshot_take(H.m, err, sizeof(err))))
		fail("setup: snapshot: %s", err);
	atexit(print_reset_cost);
}

#ifndef VTSIM_FUZZ_EMBEDDED   /* the sanitizers' settings, for the fuzzer build */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libunicorn.so\n";
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	if (!ready) {
		H.trace = getenv("FUZZ_VT_TRACE") != NULL;
		setup();
		ready = true;
	}
	char err[256];
	if (restore_timed(&reset, H.m, H.snap, err, sizeof(err)))
		fail("restore: %s", err);
	hist_n = 0;
	H.scratch = kvm_userspace_alloc(PAGE_SIZE);
	kvm_set_current_cpu(0);
	for (size_t off = 0, n = 0; off + REC <= size && n < MAX_RECS; off += REC, n++)
		record(data + off);
	teardown();
	return 0;
}
