/* A TD runs: the VMM builds it as KVM does (S-EPT, TDH.MEM.PAGE.ADD and
 * TDH.MR.EXTEND of the guest image, TDH.MR.FINALIZE) and runs it with
 * TDH.VP.ENTER, answering its TDVMCALLs. The guest (guests/td_hello.asm) starts at
 * the reset vector in 32-bit protected mode, enters long mode, prints through
 * TDVMCALL<Instruction.IO>, takes #VEs for native port I/O, CPUID and HLT, accepts
 * a page the VMM adds on its EPT violation (TDH.MEM.PAGE.AUG), and extends an
 * RTMR. Each TD exit is checked: status, exit reason, the TDVMCALL registers, the
 * GPA and extended qualification. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "tests/unit/kvm_fixture.h"
#include "kvmlike/kvm.h"
#include "log_lines.h"
#include "sim/cpu/machine.h"
#include "kvmlike/runtime_hosted.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/tdx_module_stub/td.h"
#include "vtsim/hosted.h"
#include "tests/unit/tdx_pages.h"

extern const unsigned char vtsim_guest_td_hello[];
extern const unsigned int vtsim_guest_td_hello_len;

enum { VP_ENTER = 0, ADDCX = 1, PAGE_ADD = 2, SEPT_ADD = 3, VP_ADDCX = 4, PAGE_AUG = 6,
       KEY_CONFIG = 8, CREATE = 9, VP_CREATE = 10, MR_EXTEND = 16, MR_FINALIZE = 17,
       VP_FLUSH = 18, MNG_INIT = 21, VP_INIT = 22 };
#define IMAGE_GPA 0xffff8000ull

static struct vtsim_machine *m;
static FILE *devnull;
static FILE *diag;                /* the machine's diagnostics stream */

static int setup_lps(unsigned nr_cpus)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.nr_cpus = nr_cpus;
	cfg.diag = diag = tmpfile();
	assert_non_null(diag);
	if (getenv("TD_TRACE"))
		cfg.trace_mask = ~0u;
	devnull = fopen("/dev/null", "w");
	m = kvm_fixture_up(&cfg, devnull);
	return 0;
}

static int setup(void **state)
{
	return setup_lps(1);
}

/* Two LPs, kvmlike (VMXON, TDH.SYS.LP.INIT) on both. */
static int setup_2lp(void **state)
{
	return setup_lps(2);
}

static int teardown(void **state)
{
	kvm_fixture_down(m);
	fclose(devnull);
	fclose(diag);
	return 0;
}

static uint64_t sc_args(struct vtsim_seamcall_args *a)
{
	assert_int_equal(vtsim_seamcall(m, 0, a), VTSIM_SEAMCALL_DONE);
	return a->rax;
}

static uint64_t sc(uint64_t leaf, uint64_t rcx, uint64_t rdx, uint64_t r8, uint64_t r9)
{
	struct vtsim_seamcall_args a = { .rax = leaf, .rcx = rcx, .rdx = rdx, .r8 = r8, .r9 = r9 };
	return sc_args(&a);
}

static uint8_t *ram(uint64_t pa)
{
	return (uint8_t *)vtsim_machine_ram(m, NULL) + pa;
}

/* A module page through `keyid`, as the module reaches it. */
static uint8_t *keyed_ram(uint64_t pa, unsigned keyid)
{
	return phys_byte(&m->pm, td_keyed(m->seam.module, pa, keyid));
}

struct td {
	uint64_t tdr, tdcs0, tdvpr, tdvmcs;   /* tdvmcs: the first TDCX page, the TD VMCS */
	uint64_t image_page[8];      /* host-physical pages of the image */
};

/* S-EPT pages down to the 4 KiB table for `gpa` (an existing level is skipped
 * with version 1's allow_existing). */
static void map_tables(struct td *td, uint64_t gpa)
{
	for (unsigned level = 3; level >= 1; level--) {
		uint64_t info = (gpa & ~((1ull << (12 + 9 * level)) - 1)) | level;
		assert_int_equal(sc(SEPT_ADD | 1 << 16, info, td->tdr | 1, kvm_alloc_pages(1), 0), TDX_SUCCESS);
	}
}

static uint64_t td_attributes;       /* TD_PARAMS.ATTRIBUTES of the next build_td */
static unsigned td_hkid = 17;        /* the HKID of the next build_td */
static uint64_t td_cpuid_values[8][2];  /* TD_PARAMS.CPUID_VALUES of the next build_td */

static void build_td(struct td *td, uint8_t mrtd_blocks_out[][128], unsigned *nblocks)
{
	td->tdr = kvm_alloc_pages(1);
	assert_int_equal(sc(CREATE, td->tdr, td_hkid, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(KEY_CONFIG, td->tdr, 0, 0, 0), TDX_SUCCESS);
	for (int i = 0; i < 6; i++) {
		uint64_t p = kvm_alloc_pages(1);
		if (!i)
			td->tdcs0 = p;
		assert_int_equal(sc(ADDCX, p, td->tdr, 0, 0), TDX_SUCCESS);
	}
	uint64_t params = kvm_alloc_pages(1);
	uint8_t *p = ram(params);
	memset(p, 0, 1024);
	uint64_t xfam = 3, eptp = 6 | 3 << 3, flags = 1 << 2;      /* NO_RBP_MOD */
	uint16_t vcpus = 1, tsc = 100;
	memcpy(p + 0, &td_attributes, 8);
	memcpy(p + 8, &xfam, 8);
	memcpy(p + 16, &vcpus, 2);
	memcpy(p + 24, &eptp, 8);
	memcpy(p + 32, &flags, 8);
	memcpy(p + 40, &tsc, 2);
	memcpy(p + 256, td_cpuid_values, sizeof(td_cpuid_values));
	assert_int_equal(sc(MNG_INIT, td->tdr, params, 0, 0), TDX_SUCCESS);

	td->tdvpr = kvm_alloc_pages(1);
	assert_int_equal(sc(VP_CREATE, td->tdvpr, td->tdr, 0, 0), TDX_SUCCESS);
	for (int i = 0; i < 5; i++) {
		uint64_t p = kvm_alloc_pages(1);
		if (!i)
			td->tdvmcs = p;
		assert_int_equal(sc(VP_ADDCX, p, td->tdvpr, 0, 0), TDX_SUCCESS);
	}
	assert_int_equal(sc(VP_INIT | 1 << 16, td->tdvpr, 0x1234, 3, 0), TDX_SUCCESS);   /* x2APIC ID 3 */

	/* The image, page by page, measured as KVM's INIT_MEM_REGION does. */
	assert_int_equal(vtsim_guest_td_hello_len, 0x8000);
	map_tables(td, IMAGE_GPA);
	uint64_t src = kvm_alloc_pages(1);
	*nblocks = 0;
	for (uint64_t off = 0; off < 0x8000; off += 4096) {
		uint64_t gpa = IMAGE_GPA + off;
		memcpy(ram(src), vtsim_guest_td_hello + off, 4096);
		uint64_t page = td->image_page[off / 4096] = kvm_alloc_pages(1);
		assert_int_equal(sc(PAGE_ADD, gpa, td->tdr, page, src), TDX_SUCCESS);
		uint8_t *b = mrtd_blocks_out[(*nblocks)++];
		memset(b, 0, 128);
		memcpy(b, "MEM.PAGE.ADD", 12);
		memcpy(b + 16, &gpa, 8);
		for (unsigned c = 0; c < 4096; c += 256) {
			assert_int_equal(sc(MR_EXTEND, gpa + c, td->tdr, 0, 0), TDX_SUCCESS);
			b = mrtd_blocks_out[(*nblocks)++];
			memset(b, 0, 128);
			memcpy(b, "MR.EXTEND", 9);
			uint64_t g = gpa + c;
			memcpy(b + 16, &g, 8);
			memcpy(mrtd_blocks_out[(*nblocks)++], vtsim_guest_td_hello + off + c, 128);
			memcpy(mrtd_blocks_out[(*nblocks)++], vtsim_guest_td_hello + off + c + 128, 128);
		}
	}
	assert_int_equal(sc(MR_FINALIZE, td->tdr, 0, 0, 0), TDX_SUCCESS);
}

struct run_log {
	char out[1024];
	size_t n;
	unsigned tdvmcall_io, tdvmcall_cpuid, accept_exits;
	bool halted;
};

/* One TDVMCALL exit answered the way a VMM does (GHCI). */
static void answer_tdvmcall(struct vtsim_seamcall_args *a, struct run_log *log)
{
	assert_int_equal(a->rcx, 0xfc00);                 /* R10-R15 exposed */
	assert_int_equal(a->r10, 0);                      /* a standard TDVMCALL */
	switch (a->r11) {
	case 30:                                          /* Instruction.IO */
		assert_int_equal(a->r12, 1);
		assert_int_equal(a->r13, 1);
		assert_int_equal(a->r14, 0x3f8);
		if (log->n < sizeof(log->out) - 1)
			log->out[log->n++] = (char)a->r15;
		log->tdvmcall_io++;
		break;
	case 10:                                          /* Instruction.CPUID */
		assert_int_equal(a->r12, 0x40000000);
		a->r12 = 0x40000001;
		memcpy(&a->r13, "KVMK", 4);
		a->r13 &= 0xffffffff;
		a->r14 = 0;
		memcpy(&a->r14, "VMKV", 4);
		a->r15 = 0;
		memcpy(&a->r15, "M\0\0\0", 4);
		log->tdvmcall_cpuid++;
		break;
	case 12:                                          /* Instruction.HLT */
		log->halted = true;
		break;
	case 0x10001:                                     /* MapGPA: this VMM has no shared memory */
		assert_int_equal(a->r12, 0x8000001ff000ull);
		a->r10 = 0x8000000000000003ull;           /* TDG.VP.VMCALL_SUBFUNC_UNSUPPORTED */
		return;
	default:
		fail_msg("unexpected TDVMCALL sub-function 0x%llx after \"%.*s\"", (unsigned long long)a->r11,
			 (int)log->n, log->out);
	}
	a->r10 = 0;
}

static void run_td(struct td *td, struct run_log *log)
{
	memset(log, 0, sizeof(*log));
	struct vtsim_seamcall_args a = { 0 };
	for (int exits = 0; exits < 1000 && !log->halted; exits++) {
		a.rax = VP_ENTER;
		a.rcx = td->tdvpr;
		uint64_t st = sc_args(&a);
		assert_int_equal(st >> 32, 0);                   /* TDX_SUCCESS class */
		switch (st & 0xffff) {
		case 77:                                         /* TDCALL: TDG.VP.VMCALL */
			answer_tdvmcall(&a, log);
			break;
		case 48:                                         /* EPT violation */
			assert_int_equal(a.r8, 0x100000);        /* the page the guest accepts */
			assert_int_equal(a.rdx & 0xf, 1);        /* extended qualification: ACCEPT */
			map_tables(td, a.r8);
			assert_int_equal(sc(PAGE_AUG, a.r8, td->tdr, kvm_alloc_pages(1), 0), TDX_SUCCESS);
			log->accept_exits++;
			break;
		default:
			fail_msg("unexpected TD exit 0x%llx: %s", (unsigned long long)st, log->out);
		}
	}
	log->out[log->n] = 0;
}

static void test_td_runs_the_guest(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);

	/* MRTD, computed here from the same blocks. */
	uint8_t mrtd[48];
	SHA384(&blocks[0][0], (size_t)nblocks * 128, mrtd);
	assert_memory_equal(keyed_ram(td.tdcs0, 17) + offsetof(struct tdcs, mrtd), mrtd, 48);

	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);
	/* The guest prints the MRTD of its TDREPORT: the one computed here. */
	char want[1024], hex[97];
	for (int i = 0; i < 48; i++)
		snprintf(hex + 2 * i, 3, "%02x", mrtd[i]);
	snprintf(want, sizeof(want),
		 "Hello from a TD (TDG.VP.VMCALL<Instruction.IO>)\n"
		 "TDG.VP.INFO: GPAW 48\n"
		 "TDG.VM.RD/WR, TDG.SYS.RD: NO_RBP_MOD set, TD_CTLS written, module 1.x\n"
		 "CPUID 0x21 (from the TDX module): IntelTDX    \n"
		 "OUT instructions, each a #VE turned into a TDVMCALL\n"
		 "CPUID 0x40000000 (#VE, answered by the VMM): KVMKVMKVM\n"
		 "TDG.MEM.PAGE.ACCEPT: the page at 1 MiB is ours\n"
		 "TDG.MR.RTMR.EXTEND: RTMR[2] extended\n"
		 "TDG.MR.REPORT: MRTD %s\n"
		 "TDVMCALL<MapGPA>: refused, no shared memory\n"
		 "TD done, halting\n", hex);
	assert_string_equal(log.out, want);
	assert_int_equal(log.tdvmcall_cpuid, 1);
	assert_int_equal(log.accept_exits, 1);

	/* RTMR[2] = SHA-384(0^48 || the guest's 48 bytes). */
	uint8_t buf[96] = { 0 }, rtmr[48];
	memcpy(buf + 48, "vtsim TD runtime measurement, 48 bytes of it...", 48);
	SHA384(buf, sizeof(buf), rtmr);
	assert_memory_equal(keyed_ram(td.tdcs0, 17) + offsetof(struct tdcs, rtmr) + 2 * 48, rtmr, 48);
}

/* A TDREPORT the module made verifies; one bit changed anywhere does not. */
static void test_report_mac(void **state)
{
	struct tdcs c;
	memset(&c, 0, sizeof(c));
	c.attributes = 0;
	c.xfam = 3;
	memset(c.mrtd, 0xa5, sizeof(c.mrtd));
	uint8_t data[64] = "report data", report[1024];
	td_build_report(&c, data, report);
	assert_true(tdx_report_verify(report));
	assert_int_equal(report[0], 0x81);                   /* TDX report type */
	assert_memory_equal(report + 128, data, 64);          /* REPORTDATA */
	assert_memory_equal(report + 512 + 16, c.mrtd, 48);   /* TDINFO.MRTD */
	for (unsigned bit = 0; bit < 1024 * 8; bit += 61) {
		report[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		bool ok = tdx_report_verify(report);
		report[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		/* Bytes the MAC and the hashes do not cover: the MAC field's own slack
		 * and the reserved bytes after TEE_TCB_INFO. */
		bool covered = !(bit / 8 >= 256 + 239 && bit / 8 < 512);
		if (covered)
			assert_false(ok);
	}
}

/* The vCPU is bound to the LP it entered on until TDH.VP.FLUSH there. */
static void test_vcpu_association(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);        /* the first TDVMCALL */
	/* On the other LP the vCPU is associated with LP 0: no entry, no flush there. */
	assert_int_equal(vtsim_machine_nr_cpus(m), 2);
	struct vtsim_seamcall_args b = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(vtsim_seamcall(m, 1, &b), VTSIM_SEAMCALL_DONE);
	assert_int_equal(b.rax, TDX_VCPU_ASSOCIATED);
	/* Its metadata too: the VMCS is current on LP 0. TDH.VP.RD/WR of PEND_NMI. */
	struct vtsim_seamcall_args md = { .rax = 26, .rcx = td.tdvpr, .rdx = 0x200000000000000Bull };
	assert_int_equal(vtsim_seamcall(m, 1, &md), VTSIM_SEAMCALL_DONE);
	assert_int_equal(md.rax, TDX_VCPU_ASSOCIATED);                  /* TDH.VP.RD */
	md = (struct vtsim_seamcall_args){ .rax = 43, .rcx = td.tdvpr, .rdx = 0x200000000000000Bull,
					   .r8 = 1, .r9 = 1 };
	assert_int_equal(vtsim_seamcall(m, 1, &md), VTSIM_SEAMCALL_DONE);
	assert_int_equal(md.rax, TDX_VCPU_ASSOCIATED);                  /* TDH.VP.WR */
	struct vtsim_seamcall_args f = { .rax = VP_FLUSH, .rcx = td.tdvpr };
	assert_int_equal(vtsim_seamcall(m, 1, &f), VTSIM_SEAMCALL_DONE);
	assert_int_equal(f.rax, TDX_VCPU_NOT_ASSOCIATED);
	assert_int_equal(sc(VP_FLUSH, td.tdvpr, 0, 0, 0), TDX_SUCCESS);
	/* After the flush the vCPU goes on where it was (the VMCS was written back). */
	a.rax = VP_ENTER;
	a.rcx = td.tdvpr;
	a.r10 = 0;
	assert_int_equal(sc_args(&a) & 0xffff, 77);
	assert_int_equal(a.r11, 30);
	assert_int_equal(a.r15, 'e');                        /* "Hello": the second byte */
}

/* A TD's private pages, seen from the host (KeyID 0), read as zeros; a host write
 * to one poisons it, and the TD is fatal at its next entry. Teardown still gives
 * every page back. */
static void test_private_memory_isolation(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);        /* running: its first TDVMCALL */

	static const uint8_t zero[4096];
	for (int i = 0; i < 8; i++)                          /* the image is not all zeros */
		assert_memory_equal(ram(td.image_page[i]), zero, 4096);
	assert_memory_not_equal(vtsim_guest_td_hello + 0x4000, zero, 4096);

	/* The guest goes on while nothing touched its memory. */
	a.rax = VP_ENTER;
	a.rcx = td.tdvpr;
	a.r10 = 0;
	assert_int_equal(sc_args(&a) & 0xffff, 77);

	ram(td.image_page[4])[0x10] = 0x55;                   /* the host writes: poison */
	a.rax = VP_ENTER;
	a.rcx = td.tdvpr;
	a.r10 = 0;
	assert_int_equal(sc_args(&a), TDX_TD_FATAL);
	/* A hosted VMM is told why, as an image is (td_poison_why). */
	assert_true(file_has_line(diag, "vtsim: SEAMCALL TDH.VP.ENTER on lp0 returned TDX_TD_FATAL "
				  "(0xe000060400000000): the TD is fatal and will not run again"));
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);
	assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, kvm_alloc_pages(1), 0), TDX_TD_FATAL);

	/* Teardown: the vCPU flushed, the key freed, every page reclaimed. */
	enum { VPFLUSHDONE = 19, CACHE_WB = 40, FREEID = 20, RECLAIM = 28, RDMD = 24 };
	/* The vCPU still has state on LP 0: VPFLUSHDONE waits for its TDH.VP.FLUSH. */
	assert_int_equal(sc(VPFLUSHDONE, td.tdr, 0, 0, 0), TDX_FLUSHVP_NOT_DONE);
	assert_int_equal(sc(FREEID, td.tdr, 0, 0, 0), TDX_LIFECYCLE_STATE_INCORRECT);
	assert_int_equal(sc(VP_FLUSH, td.tdvpr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(VPFLUSHDONE, td.tdr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(CACHE_WB, 0, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(FREEID, td.tdr, 0, 0, 0), TDX_SUCCESS);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(sc(RECLAIM, td.image_page[i], 0, 0, 0), TDX_SUCCESS);
		struct vtsim_seamcall_args r = { .rax = RDMD, .rcx = td.image_page[i] };
		assert_int_equal(sc_args(&r), TDX_SUCCESS);
		assert_int_equal(r.rcx, 0);                    /* PT_NDA */
	}
	ram(td.image_page[4])[0x20] = 0x66;                   /* ordinary memory again */
	assert_int_equal(ram(td.image_page[4])[0x20], 0x66);
}

enum { VP_RD = 26, VP_WR = 43, MNG_WR = 13, MEM_RD = 12, MEM_WR = 14 };
#define FIELD_GUEST_RIP          0x681eull
#define FIELD_SHARED_EPTP        0x203cull
#define FIELD_PIN_BASED          0x4000ull
#define FIELD_PEND_NMI           0x200000000000000Bull
#define FIELD_STATE_DETAILS      0x9100000000000100ull
#define FIELD_TSC_OFFSET         0x110000000000000Aull

static uint64_t vp_rd(uint64_t tdvpr, uint64_t field, uint64_t *value)
{
	struct vtsim_seamcall_args a = { .rax = VP_RD, .rcx = tdvpr, .rdx = field };
	uint64_t st = sc_args(&a);
	*value = a.r8;
	return st;
}

static uint64_t vp_wr(uint64_t tdvpr, uint64_t field, uint64_t value, uint64_t mask, uint64_t *old)
{
	struct vtsim_seamcall_args a = { .rax = VP_WR, .rcx = tdvpr, .rdx = field, .r8 = value, .r9 = mask };
	uint64_t st = sc_args(&a);
	*old = a.r8;
	return st;
}

/* A TD without ATTRIBUTES.DEBUG, built and ready to enter. */
static void build_plain_td(struct td *td)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	td_attributes = 0;
	build_td(td, blocks, &nblocks);
}

#define FIELD_POSTED_INTR_NV     0x0002ull
#define FIELD_POSTED_INTR_DESC   0x2016ull

/* TDH.VP.WR writes the bits R9 selects that the field lets the host write (the
 * ABI's write masks: the vector's 16 bits, the descriptor's bits 63:6, the
 * pin-based control's bit 7). A request wider than that is no error as long as
 * the extra bits keep their value (Linux writes the vector with FFFFH and the
 * descriptor with ~0): else FIELD_VALUE_NOT_VALID; a request with no writable bit
 * is FIELD_NOT_WRITABLE. The vector and descriptor start at FFFFH and NULL_PA,
 * and posting cannot be turned on before both are written. */
static void test_vp_wr_posted_interrupt_masks(void **state)
{
	struct td td;
	uint64_t v, old;
	build_plain_td(&td);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_NV, &v), TDX_SUCCESS);
	assert_int_equal(v, 0xffff);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_DESC, &v), TDX_SUCCESS);
	assert_int_equal(v, ~0ull);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0x80, 0x80, &old),
			 TDX_TD_VMCS_FIELD_NOT_INITIALIZED | FIELD_POSTED_INTR_NV);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_NV, 0x100, 0xffff, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);            /* not a vector */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_NV, 0xf2, 0xffff, &old), TDX_SUCCESS);
	assert_int_equal(old, 0xffff);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_NV, &v), TDX_SUCCESS);
	assert_int_equal(v, 0xf2);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0x80, 0x80, &old),
			 TDX_TD_VMCS_FIELD_NOT_INITIALIZED | FIELD_POSTED_INTR_DESC);
	/* NULL_PA's bits 5:0 count as 0: a value with them set changes them. */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_DESC, 0x5020, ~0ull, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_DESC, 0x6000, 0x3f, &old),
			 TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_DESC, 0x5000, ~0ull, &old), TDX_SUCCESS);
	assert_int_equal(old, ~0ull);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_DESC, &v), TDX_SUCCESS);
	assert_int_equal(v, 0x5000);
	/* Bit 0 (external-interrupt exiting) is 1 and not the host's: a request that
	 * selects it may only keep it. */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0x80, 0x81, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0x81, 0x81, &old), TDX_SUCCESS);
	assert_int_equal(old & 0x81, 0x01);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PIN_BASED, &v), TDX_SUCCESS);
	assert_int_equal(v & 0x81, 0x81);
}

/* The descriptor is a shared HPA (the module's shared_hpa_check over its 64
 * bytes): below 2^52, outside SEAMRR once its HKID bits are taken off, and with
 * KeyID 0 or an MKTME KeyID, not a TDX one; any other is FIELD_VALUE_NOT_VALID
 * and the field keeps its value. The shared EPT pointer likewise, over 4 KiB. */
static void test_vp_wr_posted_interrupt_desc_is_shared_hpa(void **state)
{
	struct td td;
	uint64_t v, old;
	build_plain_td(&td);
	const uint64_t base = m->seam.seamrr_base, end = base + m->seam.seamrr_size;
	const unsigned shift = m->seam.keyid_shift;
	const uint64_t mktme = (uint64_t)SEAM_NR_MKTME_KEYIDS << shift;      /* the last MKTME KeyID */
	const uint64_t tdx = (uint64_t)(SEAM_NR_MKTME_KEYIDS + 1) << shift;  /* the first TDX KeyID */
	const uint64_t bad[] = { 1ull << 52, base, end - 64, 0x5000 | tdx, 0x5000 | 63ull << shift,
				 base | mktme };
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_DESC, bad[i], ~0ull, &old),
				 TDX_METADATA_FIELD_VALUE_NOT_VALID);
		assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_DESC, &v), TDX_SUCCESS);
		assert_int_equal(v, ~0ull);                          /* still NULL_PA */
	}
	const uint64_t good[] = { base - 64, end, 0x5000 | mktme, 0x5000 };
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_int_equal(vp_wr(td.tdvpr, FIELD_POSTED_INTR_DESC, good[i], ~0ull, &old), TDX_SUCCESS);
		assert_int_equal(vp_rd(td.tdvpr, FIELD_POSTED_INTR_DESC, &v), TDX_SUCCESS);
		assert_int_equal(v, good[i]);
	}
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, base + 0x1000, 0xfffffffffffff000ull, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, tdx | 0x123000, 0xfffffffffffff000ull, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, base - 0x1000, 0xfffffffffffff000ull, &old),
			 TDX_SUCCESS);
	/* The host writes the address alone (bits 51:12); the rest keep their value, so
	 * Linux's all-bits request of a bare root succeeds and one with an EPTP's
	 * memory type and walk length (1EH), or bit 52, does not. */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, (base - 0x2000) | 0x1e, ~0ull, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, (base - 0x2000) | 1ull << 52, ~0ull, &old),
			 TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, 0, 0xfff, &old), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, base - 0x2000, ~0ull, &old), TDX_SUCCESS);
	assert_int_equal(old, base - 0x1000);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_SHARED_EPTP, &v), TDX_SUCCESS);
	assert_int_equal(v, base - 0x2000);
}

/* What the host may see and set of a vCPU (TDH.VP.RD/WR) and of a TD (TDH.MNG.WR,
 * TDH.MEM.RD/WR) depends on the TD being a debug TD. */
static void test_td_metadata(void **state)
{
	struct td td;
	uint64_t v, old;
	build_plain_td(&td);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_GUEST_RIP, &v), TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(v, 0);
	assert_int_equal(vp_rd(td.tdvpr, 0x1234567ull, &v), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, 0x123000 | 0x1e, 0xfffffffffffff000ull, &old),
			 TDX_SUCCESS);
	assert_int_equal(old, 0);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_SHARED_EPTP, &v), TDX_SUCCESS);
	assert_int_equal(v, 0x123000);                        /* only the masked bits */
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PIN_BASED, &v), TDX_SUCCESS);
	assert_int_equal(v & 0x9, 0x9);                       /* external interrupts, NMIs exit */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PIN_BASED, 0, 1, &old), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_STATE_DETAILS, 1, 1, &old), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_STATE_DETAILS, &v), TDX_SUCCESS);
	assert_int_equal(v, 0);
	assert_int_equal(vp_rd(td.tdr, FIELD_STATE_DETAILS, &v), TDX_PAGE_METADATA_INCORRECT | 1);
	assert_int_equal(sc(MNG_WR, td.tdr, FIELD_TSC_OFFSET, 5, ~0ull), TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(sc(MNG_WR, td.tdr, 0x77, 5, ~0ull), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(sc(MEM_RD, IMAGE_GPA, td.tdr, 0, 0), TDX_TD_NON_DEBUG);
	/* TDH.MEM.WR of a TD without ATTRIBUTES.DEBUG: refused, R8 cleared, the page
	 * as it was. */
	uint8_t before[8];
	memcpy(before, keyed_ram(td.image_page[0], 17), 8);
	struct vtsim_seamcall_args w = { .rax = MEM_WR, .rcx = IMAGE_GPA, .rdx = td.tdr, .r8 = 0x1122334455667788ull };
	assert_int_equal(sc_args(&w), TDX_TD_NON_DEBUG);
	assert_int_equal(w.r8, 0);
	assert_memory_equal(keyed_ram(td.image_page[0], 17), before, 8);

	/* PEND_NMI: the next entry delivers an NMI. The vCPU is still at its reset
	 * state (IDT at GPA 0, which the TD has no page for): the delivery's read of
	 * gate 2 is an EPT violation for the VMM, at GPA 0x10. */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PEND_NMI, 1, 1, &old), TDX_SUCCESS);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_SUCCESS);
	assert_int_equal(v, 1);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a), 48);
	assert_int_equal(a.r8, 0x10);
	assert_int_equal(a.rcx & 7, 1);                       /* a read */
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_SUCCESS);
	assert_int_equal(v, 0);
}

static void test_debug_td(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t v, old;
	td_attributes = 1;                                    /* DEBUG */
	build_td(&td, blocks, &nblocks);
	td_attributes = 0;
	/* The VMCS holds the initial state before the first entry. */
	assert_int_equal(vp_rd(td.tdvpr, FIELD_GUEST_RIP, &v), TDX_SUCCESS);
	assert_int_equal(v, 0xfffffff0);
	/* MEM.RD sees the image (its first qword: the PML4's entry for the PDPT). */
	struct vtsim_seamcall_args a = { .rax = MEM_RD, .rcx = IMAGE_GPA, .rdx = td.tdr };
	assert_int_equal(sc_args(&a), TDX_SUCCESS);
	uint64_t first;
	memcpy(&first, vtsim_guest_td_hello, 8);
	assert_int_equal(a.r8, first);
	a = (struct vtsim_seamcall_args){ .rax = MEM_RD, .rcx = IMAGE_GPA + 4, .rdx = td.tdr };
	assert_int_equal(sc_args(&a), TDX_OPERAND_INVALID | 1);
	a = (struct vtsim_seamcall_args){ .rax = MEM_RD, .rcx = 0x100000, .rdx = td.tdr };
	assert_int_equal(sc_args(&a) & ~0xffull, TDX_EPT_WALK_FAILED);
	/* MEM.WR changes what the TD reads: its message's first letter. */
	uint64_t msg_gpa = 0;
	for (uint64_t off = 0x4000; off < 0x7000; off++)
		if (!memcmp(vtsim_guest_td_hello + off, "Hello from a TD", 15)) {
			msg_gpa = IMAGE_GPA + off;
			break;
		}
	assert_true(msg_gpa != 0);
	uint64_t q = msg_gpa & ~7ull, shift = 8 * (msg_gpa & 7);
	a = (struct vtsim_seamcall_args){ .rax = MEM_RD, .rcx = q, .rdx = td.tdr };
	assert_int_equal(sc_args(&a), TDX_SUCCESS);
	uint64_t patched = (a.r8 & ~(0xffull << shift)) | ((uint64_t)'J' << shift);
	a = (struct vtsim_seamcall_args){ .rax = MEM_WR, .rcx = q, .rdx = td.tdr, .r8 = patched };
	assert_int_equal(sc_args(&a), TDX_SUCCESS);
	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);
	assert_memory_equal(log.out, "Jello from a TD", 15);
	/* A debug TD's guest state can be written too. */
	assert_int_equal(vp_wr(td.tdvpr, FIELD_GUEST_RIP, 0x1234, ~0ull, &old), TDX_SUCCESS);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_GUEST_RIP, &v), TDX_SUCCESS);
	assert_int_equal(v, 0x1234);
}

/* CPUID in a TD (the module's answers) and as TD metadata (TDH.MNG.RD of
 * CPUID_VALUES). The TD is configured (TD_PARAMS) with leaf 7's EBX = FSGSBASE |
 * SMEP, and leaf 1's ECX asking for VMX, which the module never gives a TD. Code
 * written into the TD's accepted page (a debug TD: TDH.MEM.WR, TDH.VP.WR of RIP)
 * runs CPUID and reports the registers through TDVMCALLs of sub-functions
 * 0x7777..; then it sets TDG.VP.CPUIDVE.SET and CPUID becomes a #VE its handler
 * forwards to the VMM (TDVMCALL<Instruction.CPUID>). Source: the comment below. */
/* A debug TD stopped at td_hello's HLT goes on with `code`, written by
 * TDH.MEM.WR into its accepted page at 0x100800 and entered there. */
static void place_probe(struct td *td, const uint8_t *code, size_t len)
{
	const uint64_t probe = 0x100800;
	uint64_t old;
	for (uint64_t off = 0; off < len; off += 8) {
		uint64_t q = 0;
		memcpy(&q, code + off, len - off < 8 ? len - off : 8);
		assert_int_equal(sc(MEM_WR, probe + off, td->tdr, q, 0), TDX_SUCCESS);
	}
	assert_int_equal(vp_wr(td->tdvpr, FIELD_GUEST_RIP, probe, ~0ull, &old), TDX_SUCCESS);
}

static const uint8_t cpuid_probe[] = {
	/* mov eax,7; xor ecx,ecx; cpuid; mov r11d,0x7777; call report;
	 * ... leaf 1 (0x7778), leaf 0x21 (0x7779), leaf 0x22 (0x777a);
	 * CPUIDVE.SET(4) -> r12, CPUIDVE.SET(1) -> r13, vmcall 0x777b;
	 * cpuid(7) -> #VE, 0x777c; hlt.
	 * report: r12..r15 = rax, rbx, rcx, rdx; vmcall: TDG.VP.VMCALL with R10-R15. */
	0xb8, 0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2, 0x41, 0xbb, 0x77,
	0x77, 0x00, 0x00, 0xe8, 0x84, 0x00, 0x00, 0x00, 0xb8, 0x01, 0x00, 0x00,
	0x00, 0x31, 0xc9, 0x0f, 0xa2, 0x41, 0xbb, 0x78, 0x77, 0x00, 0x00, 0xe8,
	0x70, 0x00, 0x00, 0x00, 0xb8, 0x21, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f,
	0xa2, 0x41, 0xbb, 0x79, 0x77, 0x00, 0x00, 0xe8, 0x5c, 0x00, 0x00, 0x00,
	0xb8, 0x22, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2, 0x41, 0xbb, 0x7a,
	0x77, 0x00, 0x00, 0xe8, 0x48, 0x00, 0x00, 0x00, 0xb9, 0x04, 0x00, 0x00,
	0x00, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89,
	0xc4, 0xb9, 0x01, 0x00, 0x00, 0x00, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x66,
	0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc5, 0x45, 0x31, 0xf6, 0x45, 0x31, 0xff,
	0x41, 0xbb, 0x7b, 0x77, 0x00, 0x00, 0xe8, 0x21, 0x00, 0x00, 0x00, 0xb8,
	0x07, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x0f, 0xa2, 0x41, 0xbb, 0x7c, 0x77,
	0x00, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x49, 0x89, 0xc4, 0x49,
	0x89, 0xdd, 0x49, 0x89, 0xce, 0x49, 0x89, 0xd7, 0x45, 0x31, 0xd2, 0xb9,
	0x00, 0xfc, 0x00, 0x00, 0x31, 0xc0, 0x66, 0x0f, 0x01, 0xcc, 0xc3,
};

#define CPUID_VALUES(leaf, sub) (0x9410000300000000ull | (uint64_t)((leaf) >> 31) << 16 | \
				 (uint64_t)((leaf) & 0x7f) << 9 | (sub))
#define NO_SUB 0x1fe

static uint64_t mng_rd(uint64_t tdr, uint64_t field, uint64_t *value)
{
	struct vtsim_seamcall_args a = { .rax = 11, .rcx = tdr, .rdx = field };
	uint64_t st = sc_args(&a);
	*value = a.r8;
	return st;
}

/* One TD exit: a TDVMCALL of `subfn`, its R12-R15. */
static void expect_vmcall(struct td *td, uint64_t subfn, uint64_t out[4])
{
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td->tdvpr };
	assert_int_equal(sc_args(&a), 77);
	assert_int_equal(a.r11, subfn);
	uint64_t r[4] = { a.r12, a.r13, a.r14, a.r15 };
	memcpy(out, r, sizeof(r));
}

static void test_td_cpuid(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t v, r[4];
	td_attributes = 1;                                    /* DEBUG */
	memset(td_cpuid_values, 0, sizeof(td_cpuid_values));
	td_cpuid_values[0][1] = 1u << 5 | 1u << 0;            /* leaf 1: ECX VMX | SSE3 */
	td_cpuid_values[1][0] = (uint64_t)(1u << 0 | 1u << 7) << 32;   /* leaf 7.0: EBX */
	build_td(&td, blocks, &nblocks);
	td_attributes = 0;
	memset(td_cpuid_values, 0, sizeof(td_cpuid_values));

	/* TD metadata: EBX:EAX, then EDX:ECX. */
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(7, 0 << 1), &v), TDX_SUCCESS);
	assert_int_equal(v >> 32, 1u << 0 | 1u << 7);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(0, NO_SUB), &v), TDX_SUCCESS);
	assert_int_equal((uint32_t)v, 0x21);                  /* the highest leaf: TDX's */
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(1, NO_SUB | 1), &v), TDX_SUCCESS);
	assert_int_equal((uint32_t)v, 1u << 31 | 1u << 0);    /* no VMX; the hypervisor bit */
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(0x21, 0), &v), TDX_SUCCESS);
	assert_memory_equal((char *)&v + 4, "Inte", 4);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(0x80000008, NO_SUB), &v), TDX_SUCCESS);
	assert_int_equal(v & 0xff, 0);                        /* configurable, and configured 0 */
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(4, 4 << 1), &v), TDX_SUCCESS);
	/* Refused: a leaf with subleaves read without one and the other way round,
	 * a subleaf past the module's, a leaf it does not virtualize, reserved bits. */
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(7, NO_SUB), &v), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(1, 0), &v), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(4, 5 << 1), &v), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(3, NO_SUB), &v), TDX_METADATA_FIELD_ID_INCORRECT);
	assert_int_equal(mng_rd(td.tdr, CPUID_VALUES(1, NO_SUB) | 1u << 17, &v),
			 TDX_METADATA_FIELD_ID_INCORRECT);

	/* The guest: td_hello to its HLT, then the probe in its accepted page. */
	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);
	place_probe(&td, cpuid_probe, sizeof(cpuid_probe));

	expect_vmcall(&td, 0x7777, r);                        /* leaf 7: as configured */
	assert_int_equal(r[1], 1u << 0 | 1u << 7);
	expect_vmcall(&td, 0x7778, r);                        /* leaf 1 */
	assert_int_equal(r[1] >> 24, 3);                      /* its x2APIC ID (TDH.VP.INIT) */
	assert_int_equal(r[2], 1u << 31 | 1u << 0);
	expect_vmcall(&td, 0x7779, r);                        /* leaf 0x21 */
	assert_int_equal(r[0], 0);
	assert_int_equal(r[1], 0x65746e49);                   /* "Inte" */
	assert_int_equal(r[3], 0x5844546c);                   /* "lTDX" */
	expect_vmcall(&td, 0x777a, r);                        /* 0x22 reads as 0x21 */
	assert_int_equal(r[1], 0x65746e49);
	expect_vmcall(&td, 0x777b, r);                        /* the two CPUIDVE.SETs */
	assert_int_equal(r[0], TDX_OPERAND_INVALID | 1);
	assert_int_equal(r[1], TDX_SUCCESS);
	expect_vmcall(&td, 10, r);                            /* #VE: the handler asks the VMM */
	assert_int_equal(r[0], 7);
	assert_int_equal(r[1], 0);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr, .r10 = 0,
					 .r12 = 0x11, .r13 = 0x22, .r14 = 0x33, .r15 = 0x44 };
	assert_int_equal(sc_args(&a), 77);
	assert_int_equal(a.r11, 0x777c);                      /* the VMM's answer reached CPUID */
	assert_int_equal(a.r12, 0x11);
	assert_int_equal(a.r13, 0x22);
}

/* A TD vCPU's extended state, XCR0 and SYSCALL MSRs are its own (TDX module ABI:
 * saved in the TDVPS at the TD exit, which leaves the LP in the synthetic INIT
 * state). Two debug TDs on LP 0 run the probe below, by turns: each reports what
 * the LP holds for it before it set anything (0x7790: XMM1, IA32_STAR, MXCSR,
 * FSW:XCR0), takes a pattern from the VMM and puts it in XMM0, XMM1, ST0,
 * IA32_STAR, MXCSR = 7F80H and XCR0 (XSETBV of the VMM's value), exits with
 * TDVMCALL 0x7791 exposing XMM0 (RCX bit 16), and after the other TD ran reports
 * XMM0, XMM1, ST0, IA32_STAR (0x7792), MXCSR, XCR0, FSW (0x7793). After every TD
 * exit the VMM's LP holds the INIT values (XCR0 = XFAM = 3), XMM0 excepted at
 * 0x7791, which carries the TD's; the XMM0 the VMM holds when it enters again is
 * the TD's after. Source (nasm, bits 64), in order:
 *   mov rax,cr4; or eax,0x40600; mov cr4,rax; sub rsp,16;
 *   movq r12,xmm1; rdmsr(STAR) -> r13; stmxcsr -> r14d; fnstsw ax;
 *   r15 = fsw << 32 | xgetbv(0); r11d = 0x7790; call report;
 *   movq xmm0,r12; movq xmm1,r12; fild qword r12; ldmxcsr 0x7f80; wrmsr STAR = r12;
 *   xsetbv(0, r13); r11d = 0x7791; ecx = 0x1fc00; call report_rcx;
 *   movq r12,xmm0; movq r13,xmm1; fistp -> r14; rdmsr(STAR) -> r15;
 *   r11d = 0x7792; call report; stmxcsr -> r12d; xgetbv(0) -> r13d;
 *   fnstsw -> r14d; r15d = 0; r11d = 0x7793; call report; hlt;
 *   report: ecx = 0xfc00; report_rcx: r10d = 0; eax = 0; tdcall; ret. */
static const uint8_t xstate_probe[] = {
	0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x06, 0x04, 0x00, 0x0f, 0x22, 0xe0, 0x48,
	0x83, 0xec, 0x10, 0x66, 0x49, 0x0f, 0x7e, 0xcc, 0xb9, 0x81, 0x00, 0x00,
	0xc0, 0x0f, 0x32, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x49, 0x89,
	0xc5, 0x0f, 0xae, 0x1c, 0x24, 0x44, 0x8b, 0x34, 0x24, 0xdf, 0xe0, 0x44,
	0x0f, 0xb7, 0xf8, 0x49, 0xc1, 0xe7, 0x20, 0x31, 0xc9, 0x0f, 0x01, 0xd0,
	0x49, 0x09, 0xc7, 0x41, 0xbb, 0x90, 0x77, 0x00, 0x00, 0xe8, 0x99, 0x00,
	0x00, 0x00, 0x66, 0x49, 0x0f, 0x6e, 0xc4, 0x66, 0x49, 0x0f, 0x6e, 0xcc,
	0x4c, 0x89, 0x24, 0x24, 0xdf, 0x2c, 0x24, 0xc7, 0x04, 0x24, 0x80, 0x7f,
	0x00, 0x00, 0x0f, 0xae, 0x14, 0x24, 0x4c, 0x89, 0xe0, 0x4c, 0x89, 0xe2,
	0x48, 0xc1, 0xea, 0x20, 0xb9, 0x81, 0x00, 0x00, 0xc0, 0x0f, 0x30, 0x4c,
	0x89, 0xe8, 0x31, 0xd2, 0x31, 0xc9, 0x0f, 0x01, 0xd1, 0x41, 0xbb, 0x91,
	0x77, 0x00, 0x00, 0xb9, 0x00, 0xfc, 0x01, 0x00, 0xe8, 0x57, 0x00, 0x00,
	0x00, 0x66, 0x49, 0x0f, 0x7e, 0xc4, 0x66, 0x49, 0x0f, 0x7e, 0xcd, 0xdf,
	0x3c, 0x24, 0x4c, 0x8b, 0x34, 0x24, 0xb9, 0x81, 0x00, 0x00, 0xc0, 0x0f,
	0x32, 0x48, 0xc1, 0xe2, 0x20, 0x48, 0x09, 0xd0, 0x49, 0x89, 0xc7, 0x41,
	0xbb, 0x92, 0x77, 0x00, 0x00, 0xe8, 0x25, 0x00, 0x00, 0x00, 0x0f, 0xae,
	0x1c, 0x24, 0x44, 0x8b, 0x24, 0x24, 0x31, 0xc9, 0x0f, 0x01, 0xd0, 0x41,
	0x89, 0xc5, 0xdf, 0xe0, 0x44, 0x0f, 0xb7, 0xf0, 0x45, 0x31, 0xff, 0x41,
	0xbb, 0x93, 0x77, 0x00, 0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0xb9,
	0x00, 0xfc, 0x00, 0x00, 0x45, 0x31, 0xd2, 0x31, 0xc0, 0x66, 0x0f, 0x01,
	0xcc, 0xc3,
};

static uint64_t root_xmm(unsigned i)
{
	uint8_t x[16];
	uc_reg_read(m->lps[0].root.uc, UC_X86_REG_XMM0 + (int)i, x);
	uint64_t lo;
	memcpy(&lo, x, 8);
	return lo;
}

/* What the VMM's LP holds after a TD exit: the synthetic INIT state, with XMM0 as
 * `xmm0` (what the TDVMCALL passed, else 0). */
static void expect_vmm_after_td_exit(uint64_t xmm0)
{
	struct lp *lp = &m->lps[0];
	uc_engine *uc = lp->root.uc;
	uint64_t v[7] = { 0 };
	int ids[7] = { UC_X86_REG_FPCW, UC_X86_REG_FPSW, UC_X86_REG_FPTAG, UC_X86_REG_MXCSR,
		       UC_X86_REG_CR2, UC_X86_REG_DR0, UC_X86_REG_DR6 };
	for (int i = 0; i < 7; i++)
		uc_reg_read(uc, ids[i], &v[i]);
	assert_int_equal(v[0] & 0xffff, 0x37f);
	assert_int_equal(v[1] & 0xffff, 0);
	assert_int_equal(v[2] & 0xffff, 0xffff);
	assert_int_equal(v[3] & 0xffffffff, 0x1f80);
	assert_int_equal(v[4], 0);
	assert_int_equal(v[5], 0);
	assert_int_equal(v[6] & 0xffffffff, 0xffff0ff0);
	assert_int_equal(root_xmm(0), xmm0);
	assert_int_equal(root_xmm(1), 0);
	static const struct { uint32_t msr; uint64_t after; } msrs[] = {
		{ 0xc0000081, 0 }, { 0xc0000082, 0 }, { 0xc0000084, 0x20200 }, { 0xc0000102, 0 },
	};
	for (size_t i = 0; i < sizeof(msrs) / sizeof(msrs[0]); i++) {
		uc_x86_msr msr = { .rid = msrs[i].msr };
		uc_reg_read(uc, UC_X86_REG_MSR, &msr);
		assert_int_equal(msr.value, msrs[i].after);
	}
	if (lp->root.cs.lay->shared_ok) {
		uint64_t xcr0;
		uc_context_save(uc, lp->root.cs.ctx);
		memcpy(&xcr0, (const uint8_t *)lp->root.cs.ctx + lp->root.cs.lay->xcr0, 8);
		assert_int_equal(xcr0, 3);                    /* the TDs' XFAM */
	}
}

/* The VMM's own values, which a TD exit must not leave in place. */
static void dirty_vmm_state(uint64_t xmm0)
{
	uc_engine *uc = m->lps[0].root.uc;
	uint8_t x[16] = { 0 };
	memcpy(x, &xmm0, 8);
	uc_reg_write(uc, UC_X86_REG_XMM0, x);
	uc_reg_write(uc, UC_X86_REG_XMM1, x);
	uc_x86_msr msr = { .rid = 0xc0000081, .value = 0xabcdef0012345678ull };
	uc_reg_write(uc, UC_X86_REG_MSR, &msr);
}

static void td_exit_vmcall(struct td *td, uint64_t subfn, const uint64_t in[2], uint64_t out[4])
{
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td->tdvpr,
					 .r12 = in ? in[0] : 0, .r13 = in ? in[1] : 0 };
	assert_int_equal(sc_args(&a), 77);
	assert_int_equal(a.r11, subfn);
	uint64_t r[4] = { a.r12, a.r13, a.r14, a.r15 };
	memcpy(out, r, sizeof(r));
}

static void test_td_extended_state_is_per_vcpu(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td[2];
	static const uint64_t pattern[2] = { 0x1111222233334444ull, 0x5555666677778888ull };
	static const uint64_t vmm_xmm0[2] = { 0x0a0a0b0b0c0c0d0dull, 0x0e0e0f0f01010202ull };
	static const uint64_t xcr0[2] = { 3, 1 };
	uint64_t r[4];
	td_attributes = 1;                                    /* DEBUG: the probe goes in */
	for (int i = 0; i < 2; i++) {
		td_hkid = 17 + (unsigned)i;
		build_td(&td[i], blocks, &nblocks);
	}
	td_hkid = 17;
	td_attributes = 0;
	for (int i = 0; i < 2; i++) {
		struct run_log log;
		run_td(&td[i], &log);
		assert_true(log.halted);
		place_probe(&td[i], xstate_probe, sizeof(xstate_probe));
	}
	/* Each TD, after the other set its state: the INIT values, its XCR0 still the
	 * reset value. */
	for (int i = 0; i < 2; i++) {
		dirty_vmm_state(0x9999);
		uint64_t in[2] = { pattern[i], xcr0[i] };
		td_exit_vmcall(&td[i], 0x7790, NULL, r);
		assert_int_equal(r[0], 0);                    /* XMM1 */
		assert_int_equal(r[1], 0);                    /* IA32_STAR */
		assert_int_equal(r[2], 0x1f80);               /* MXCSR */
		assert_int_equal(r[3], 1);                    /* FSW 0, XCR0 1 */
		expect_vmm_after_td_exit(0);
		dirty_vmm_state(0x9999);
		td_exit_vmcall(&td[i], 0x7791, in, r);
		expect_vmm_after_td_exit(pattern[i]);         /* XMM0 passed by the TDVMCALL */
	}
	/* Each TD again: its own values, XMM0 the VMM's answer. */
	for (int i = 0; i < 2; i++) {
		dirty_vmm_state(vmm_xmm0[i]);                 /* XMM0 goes back to the TD */
		td_exit_vmcall(&td[i], 0x7792, NULL, r);
		assert_int_equal(r[0], vmm_xmm0[i]);
		assert_int_equal(r[1], pattern[i]);           /* XMM1 */
		assert_int_equal(r[2], pattern[i]);           /* ST0 */
		assert_int_equal(r[3], pattern[i]);           /* IA32_STAR */
		expect_vmm_after_td_exit(0);
		td_exit_vmcall(&td[i], 0x7793, NULL, r);
		assert_int_equal(r[0], 0x7f80);               /* MXCSR */
		assert_int_equal(r[1], xcr0[i]);
		assert_int_equal(r[2], 0);                    /* FSW: the FISTP popped ST0 */
		expect_vmm_after_td_exit(0);
	}
}

/* TDG.VP.RD/WR: the TD reads and writes its own vCPU's fields through the table
 * TDH.VP.RD/WR use. The probe (assembled with nasm from the steps below) reports
 * each outcome through TDVMCALLs 0x7781-0x7784 in R12-R15. */
static const uint8_t vp_md_probe[] = {
	/* 0x7781: RD VCPU_INDEX (status, value, next id), WR CPUID_SUPERVISOR_VE = 1;
	 * 0x7782: RD PEND_NMI, WR VCPU_INDEX, RD with RCX = 1, RD of field 0xFF;
	 * 0x7783: WR CPUID_USER_VE changing bit 8, RD of the null id (status, RDX),
	 *         RD CPUID_SUPERVISOR_VE's value; 0x7784: that RD's status and next id;
	 *         hlt. TDCALL is 66 0F 01 CC; the report is TDG.VP.VMCALL with R10-R15. */
	0x31, 0xc9, 0x48, 0xba, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x20, 0xa0,
	0xb8, 0x09, 0x00, 0x00, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc4,
	0x4d, 0x89, 0xc5, 0x49, 0x89, 0xd6, 0x31, 0xc9, 0x48, 0xba, 0x07, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x20, 0xa0, 0x41, 0xb8, 0x01, 0x00, 0x00, 0x00,
	0x41, 0xb9, 0xff, 0x00, 0x00, 0x00, 0xb8, 0x0a, 0x00, 0x00, 0x00, 0x66,
	0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc7, 0x41, 0xbb, 0x81, 0x77, 0x00, 0x00,
	0xe8, 0xf2, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x48, 0xba, 0x0b, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x20, 0x20, 0xb8, 0x09, 0x00, 0x00, 0x00, 0x66, 0x0f,
	0x01, 0xcc, 0x49, 0x89, 0xc4, 0x31, 0xc9, 0x48, 0xba, 0x02, 0x00, 0x00,
	0x00, 0x02, 0x00, 0x20, 0xa0, 0x41, 0xb8, 0x05, 0x00, 0x00, 0x00, 0x49,
	0xc7, 0xc1, 0xff, 0xff, 0xff, 0xff, 0xb8, 0x0a, 0x00, 0x00, 0x00, 0x66,
	0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc5, 0xb9, 0x01, 0x00, 0x00, 0x00, 0x48,
	0xba, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x20, 0xa0, 0xb8, 0x09, 0x00,
	0x00, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc6, 0x31, 0xc9, 0x48,
	0xba, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xa0, 0xb8, 0x09, 0x00,
	0x00, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc7, 0x41, 0xbb, 0x82,
	0x77, 0x00, 0x00, 0xe8, 0x77, 0x00, 0x00, 0x00, 0x31, 0xc9, 0x48, 0xba,
	0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xa0, 0x41, 0xb8, 0x01, 0x01,
	0x00, 0x00, 0x41, 0xb9, 0xff, 0x01, 0x00, 0x00, 0xb8, 0x0a, 0x00, 0x00,
	0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc4, 0x31, 0xc9, 0x48, 0xc7,
	0xc2, 0xff, 0xff, 0xff, 0xff, 0xb8, 0x09, 0x00, 0x00, 0x00, 0x66, 0x0f,
	0x01, 0xcc, 0x49, 0x89, 0xc5, 0x49, 0x89, 0xd6, 0x31, 0xc9, 0x48, 0xba,
	0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x20, 0xa0, 0xb8, 0x09, 0x00, 0x00,
	0x00, 0x66, 0x0f, 0x01, 0xcc, 0x4d, 0x89, 0xc7, 0x48, 0x89, 0xc3, 0x48,
	0x89, 0xd6, 0x41, 0xbb, 0x83, 0x77, 0x00, 0x00, 0xe8, 0x12, 0x00, 0x00,
	0x00, 0x49, 0x89, 0xdc, 0x49, 0x89, 0xf5, 0x41, 0xbb, 0x84, 0x77, 0x00,
	0x00, 0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x45, 0x31, 0xd2, 0xb9, 0x00,
	0xfc, 0x00, 0x00, 0x31, 0xc0, 0x66, 0x0f, 0x01, 0xcc, 0xc3
};

#define MD_VCPU_INDEX          0xA020000200000002ull
#define MD_CPUID_SUPERVISOR_VE 0xA020000000000007ull
#define MD_CPUID_USER_VE       0xA020000000000008ull

static void test_guest_vp_metadata(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t v, old, r[4];
	td_attributes = 1;                                    /* DEBUG: the probe goes in by MEM.WR */
	build_td(&td, blocks, &nblocks);
	td_attributes = 0;
	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);
	place_probe(&td, vp_md_probe, sizeof(vp_md_probe));
	/* The host sees the fields the guest does, read-only. */
	assert_int_equal(vp_rd(td.tdvpr, MD_VCPU_INDEX, &v), TDX_SUCCESS);
	assert_int_equal(v, 0);
	assert_int_equal(vp_rd(td.tdvpr, MD_CPUID_SUPERVISOR_VE, &v), TDX_SUCCESS);
	assert_int_equal(v, 0);
	assert_int_equal(vp_wr(td.tdvpr, MD_CPUID_SUPERVISOR_VE, 1, 0xff, &old), TDX_METADATA_FIELD_NOT_WRITABLE);

	expect_vmcall(&td, 0x7781, r);
	assert_int_equal(r[0], TDX_SUCCESS);
	assert_int_equal(r[1], 0);                            /* the first vCPU */
	assert_int_equal(r[2], MD_CPUID_SUPERVISOR_VE);       /* the next guest-readable field */
	assert_int_equal(r[3], TDX_SUCCESS);
	/* The guest's write is the vCPU's state: the host reads it. */
	assert_int_equal(vp_rd(td.tdvpr, MD_CPUID_SUPERVISOR_VE, &v), TDX_SUCCESS);
	assert_int_equal(v, 1);
	expect_vmcall(&td, 0x7782, r);
	assert_int_equal(r[0], TDX_METADATA_FIELD_NOT_READABLE);
	assert_int_equal(r[1], TDX_METADATA_FIELD_NOT_WRITABLE);
	assert_int_equal(r[2], TDX_OPERAND_INVALID | 1);
	assert_int_equal(r[3], TDX_METADATA_FIELD_ID_INCORRECT);
	expect_vmcall(&td, 0x7783, r);
	assert_int_equal(r[0], TDX_METADATA_FIELD_VALUE_NOT_VALID);
	assert_int_equal(r[1], TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT);
	assert_int_equal(r[2], MD_VCPU_INDEX);
	assert_int_equal(r[3], 1);
	expect_vmcall(&td, 0x7784, r);
	assert_int_equal(r[0], TDX_SUCCESS);
	assert_int_equal(r[1], MD_CPUID_USER_VE);
	assert_int_equal(vp_rd(td.tdvpr, MD_CPUID_USER_VE, &v), TDX_SUCCESS);
	assert_int_equal(v, 0);                               /* the refused write left it */
}

/* The module's control pages are private too: the TDR (global KeyID), the TDCS
 * the TDVPR and the TD VMCS (the TD's HKID) read as zeros from the host, its copy is
 * whole, and a host write to the TDCS makes the TD fatal at its next entry. */
static void test_control_pages_private(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);

	static const uint8_t zero[4096];
	unsigned global = m->seam.module->g->global_hkid;
	assert_memory_equal(ram(td.tdr), zero, 4096);
	assert_memory_equal(ram(td.tdcs0), zero, 4096);
	assert_memory_equal(ram(td.tdvpr), zero, 4096);
	const struct tdr *t = (const struct tdr *)keyed_ram(td.tdr, global);
	assert_int_equal(t->hkid, 17);
	assert_int_equal(t->lifecycle, TD_KEYS_CONFIGURED);
	const struct tdcs *c = (const struct tdcs *)keyed_ram(td.tdcs0, 17);
	assert_int_equal(c->op_state, OP_RUNNABLE);
	const struct tdvps *v = (const struct tdvps *)keyed_ram(td.tdvpr, 17);
	assert_int_equal(v->tdr, td.tdr);
	/* The TD VMCS too: the CPU keeps it through the TD's KeyID (its revision id). */
	assert_memory_equal(ram(td.tdvmcs), zero, 4096);
	uint32_t revision;
	memcpy(&revision, keyed_ram(td.tdvmcs, 17), 4);
	assert_int_not_equal(revision, 0);
	/* Another KeyID sees nothing of them either. */
	assert_memory_equal(keyed_ram(td.tdcs0, global), zero, 4096);

	/* The TD runs on while the host only looked. */
	a = (struct vtsim_seamcall_args){ .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);
	ram(td.tdcs0)[0x100] = 0x5a;                          /* the host writes the TDCS */
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);
	assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, kvm_alloc_pages(1), 0), TDX_TD_FATAL);
	assert_int_equal(c->op_state, OP_RUNNABLE);           /* the module's copy is intact */
}

/* A host write to the TDR: every leaf that needs the TD is TDX_TD_FATAL, while
 * the vCPU can still be flushed for the teardown. */
static void test_tdr_write_is_fatal(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);
	ram(td.tdr)[8] = 1;
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);
	assert_int_equal(sc(11, td.tdr, 0x110000000000000Aull, 0, 0), TDX_TD_FATAL);   /* MNG.RD */
	assert_int_equal(sc(VP_FLUSH, td.tdvpr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(19, td.tdr, 0, 0, 0), TDX_SUCCESS);         /* VPFLUSHDONE */
}

#define FIELD_GUEST_RFLAGS 0x6820ull

/* A debug TD whose RFLAGS the VMM made invalid (bit 1 clear): the module's VM
 * entry fails its guest-state checks, and the TD exit says so (TDX_SUCCESS, exit
 * reason 80000021H, qualification 0), as the module answers for a debug TD; the
 * TD is not harmed: with RFLAGS corrected it runs to its first TDVMCALL. */
static void test_failed_debug_td_entry_is_a_td_exit(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t old;
	td_attributes = 1;                                    /* DEBUG */
	build_td(&td, blocks, &nblocks);
	td_attributes = 0;
	assert_int_equal(vp_wr(td.tdvpr, FIELD_GUEST_RFLAGS, 0, ~0ull, &old), TDX_SUCCESS);
	assert_int_equal(old, 2);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a), TDX_SUCCESS | 0x80000021ull);
	assert_int_equal(a.rcx, 0);
	assert_int_equal(a.r9, 0);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_GUEST_RFLAGS, 2, ~0ull, &old), TDX_SUCCESS);
	assert_int_equal(old, 0);
	a = (struct vtsim_seamcall_args){ .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);           /* running: its first TDVMCALL */
}

/* TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE: a machine check during the module's VM
 * entry (exit reason 80000029H) leaves the TD fatal; only the teardown is left. */
static void test_mce_during_td_entry_is_non_accessible(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	assert_int_equal(vtsim_inject_entry_mce(m, 0), 0);
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE | 0x80000029ull);
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);
	assert_int_equal(sc(VP_FLUSH, td.tdvpr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(19, td.tdr, 0, 0, 0), TDX_SUCCESS);         /* VPFLUSHDONE */
}

/* A host write into the TD's private memory, then TDH.VP.RD (or WR) of a TD VMCS
 * field: the module's load of the TD VMCS, TD memory, takes the machine check. A
 * field outside the VMCS is still read before; every leaf is TDX_TD_FATAL after. */
static void test_vp_rd_after_poison_is_non_accessible(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t v;
	build_td(&td, blocks, &nblocks);
	ram(td.image_page[4])[0x10] = 0x55;                   /* the host writes: poison */
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_SUCCESS);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_SHARED_EPTP, &v), TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE);
	assert_int_equal(v, 0);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_TD_FATAL);
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_TD_FATAL);
}

static void test_vp_wr_after_poison_is_non_accessible(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t old;
	build_td(&td, blocks, &nblocks);
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a) & 0xffff, 77);           /* the TD VMCS in use */
	ram(td.image_page[4])[0x10] = 0x55;
	assert_int_equal(vp_wr(td.tdvpr, FIELD_SHARED_EPTP, 0x1000, 0x1000, &old), TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE);
	assert_int_equal(vp_wr(td.tdvpr, FIELD_PEND_NMI, 1, 1, &old), TDX_TD_FATAL);
}

/* Contention (injected: this machine runs one leaf at a time): a leaf that finds
 * its page operand held gives up with TDX_OPERAND_BUSY and the operand's id; the
 * same call succeeds once it is free. kvmlike takes a contended TDH.VP.ENTER again. */
/* The PAMT entry of the page at `pa` (4 KiB level), where its lock is. */
static uint64_t mod_pamt_entry(struct tdx_module *mod, uint64_t pa)
{
	const struct tdx_tdmr *t = tdx_tdmr_of(mod, pa);
	assert_non_null(t);
	return pamt_entry_addr(t, pa, PT_4KB);
}

static void test_operand_busy(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct tdx_module *mod = m->seam.module;
	map_tables(&td, 0x100000);
	uint64_t page = kvm_alloc_pages(1);
	tdx_module_inject_busy(mod, 1);
	assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, page, 0), TDX_OPERAND_BUSY | 2);   /* the TDR */
	assert_int_equal(sc(PAGE_AUG, 0x100000, td.tdr, page, 0), TDX_SUCCESS);
	tdx_module_inject_busy(mod, 1);
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_OPERAND_BUSY | 1);       /* the TDVPR */

	/* The lock in the page's PAMT entry: while another LP holds the TDVPR, every
	 * leaf on that vCPU gives up, and leaves on other pages do not; a leaf's own
	 * locks are gone when it returns (RDMD sees a free entry). */
	uint64_t v;
	assert_int_equal(tdx_module_hold_page(mod, td.tdvpr, true), 0);
	assert_int_equal(sc(VP_ENTER, td.tdvpr, 0, 0, 0), TDX_OPERAND_BUSY | 1);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_OPERAND_BUSY | 1);
	assert_int_equal(sc(MEM_RD, IMAGE_GPA, td.tdr, 0, 0), TDX_TD_NON_DEBUG);       /* the TDR is free */
	uint64_t entry = mod_pamt_entry(mod, td.tdvpr);
	assert_int_equal(*(uint16_t *)ram(entry), 0x8000);
	assert_int_equal(tdx_module_hold_page(mod, td.tdvpr, false), 0);
	assert_int_equal(*(uint16_t *)ram(entry), 0);
	assert_int_equal(vp_rd(td.tdvpr, FIELD_PEND_NMI, &v), TDX_SUCCESS);
	assert_int_equal(*(uint16_t *)ram(entry), 0);                                   /* released */
	assert_int_equal(tdx_module_hold_page(mod, td.tdvpr + 8, true), -1);            /* not a page */
	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);
}

static void test_kvmlike_retries_busy_entry(void **state)
{
	struct kvm *vm;
	struct kvm_vcpu *vcpu;
	assert_int_equal(kvm_create_vm(KVM_X86_TDX_VM, &vm), 0);
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };
	assert_int_equal(kvm_vm_enable_cap(vm, &split), 0);
	uint64_t fw_size = 0x8000;
	uint8_t *low = kvm_userspace_alloc(2 << 20), *fw = kvm_userspace_alloc(fw_size);
	uint8_t *src = kvm_userspace_alloc(fw_size);
	memcpy(src, vtsim_guest_td_hello, fw_size);
	struct kvm_create_guest_memfd gm = { .size = (2 << 20) + fw_size };
	int fd = kvm_create_guest_memfd(vm, &gm);
	assert_true(fd >= 0);
	struct kvm_userspace_memory_region2 r0 = { .slot = 0, .flags = KVM_MEM_GUEST_MEMFD, .memory_size = 2 << 20,
						   .userspace_addr = (uint64_t)(uintptr_t)low,
						   .guest_memfd = (uint32_t)fd };
	struct kvm_userspace_memory_region2 r1 = { .slot = 1, .flags = KVM_MEM_GUEST_MEMFD, .guest_phys_addr = IMAGE_GPA,
						   .memory_size = fw_size, .userspace_addr = (uint64_t)(uintptr_t)fw,
						   .guest_memfd = (uint32_t)fd, .guest_memfd_offset = 2 << 20 };
	assert_int_equal(kvm_set_user_memory_region2(vm, &r0), 0);
	assert_int_equal(kvm_set_user_memory_region2(vm, &r1), 0);
	struct kvm_memory_attributes p0 = { .size = 2 << 20, .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };
	struct kvm_memory_attributes p1 = { .address = IMAGE_GPA, .size = fw_size,
					    .attributes = KVM_MEMORY_ATTRIBUTE_PRIVATE };
	assert_int_equal(kvm_vm_set_memory_attributes(vm, &p0), 0);
	assert_int_equal(kvm_vm_set_memory_attributes(vm, &p1), 0);
	struct kvm_tdx_init_vm init = { .xfam = 3 };
	struct kvm_tdx_cmd c = { .id = KVM_TDX_INIT_VM, .data = (uint64_t)(uintptr_t)&init };
	assert_int_equal(kvm_memory_encrypt_op(vm, &c), 0);
	assert_int_equal(kvm_create_vcpu(vm, 0, &vcpu), 0);
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_VCPU };
	assert_int_equal(kvm_vcpu_memory_encrypt_op(vcpu, &c), 0);
	struct kvm_tdx_init_mem_region mr = { .source_addr = (uint64_t)(uintptr_t)src, .gpa = IMAGE_GPA,
					      .nr_pages = fw_size >> 12 };
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_INIT_MEM_REGION, .flags = KVM_TDX_MEASURE_MEMORY_REGION,
				  .data = (uint64_t)(uintptr_t)&mr };
	assert_int_equal(kvm_vcpu_memory_encrypt_op(vcpu, &c), 0);
	c = (struct kvm_tdx_cmd){ .id = KVM_TDX_FINALIZE_VM };
	assert_int_equal(kvm_memory_encrypt_op(vm, &c), 0);
	tdx_module_inject_busy(m->seam.module, 1);           /* the first TDH.VP.ENTER */
	char out[64];
	unsigned n = 0;
	for (int i = 0; i < 10 && n < 5; i++) {
		assert_int_equal(kvm_vcpu_run(vcpu), 0);
		assert_int_equal(vcpu->run->exit_reason, KVM_EXIT_IO);
		out[n++] = ((char *)vcpu->run)[vcpu->run->io.data_offset];
	}
	assert_memory_equal(out, "Hello", 5);
	kvm_destroy_vm(vm);
	kvm_userspace_free(low, 2 << 20);
	kvm_userspace_free(fw, fw_size);
	kvm_userspace_free(src, fw_size);
}

/* TDG.MEM.PAGE.ACCEPT at 2 MiB. The probe (assembled with nasm from the steps
 * below) reports each status through TDVMCALLs 0x7791-0x7793 in R12-R15:
 * 0x7791: ACCEPT 0x600000 at 2 MiB, the qword at 0x7FF008, the same ACCEPT again,
 *         ACCEPT 0x601000 at 4 KiB;
 * 0x7792: ACCEPT 0xA00000 at 2 MiB (a table maps it), 0x801000 at 2 MiB, 1 GiB at
 *         0x40000000, ACCEPT 0x803000 at 4 KiB (of a PENDING 2 MiB page: an EPT
 *         violation; the VMM splits the page and the TDCALL runs again);
 * 0x7793: ACCEPT 0x800000 at 2 MiB, the qword at 0x803008; hlt.
 * The report is TDG.VP.VMCALL with R10-R15 exposed. */
static const uint8_t accept_probe[] = {
	0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9, 0x01, 0x00, 0x60, 0x00, 0x66, 0x0f,
	0x01, 0xcc, 0x49, 0x89, 0xc4, 0x4c, 0x8b, 0x2c, 0x25, 0x08, 0xf0, 0x7f,
	0x00, 0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9, 0x01, 0x00, 0x60, 0x00, 0x66,
	0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc6, 0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9,
	0x00, 0x10, 0x60, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc7, 0x41,
	0xbb, 0x91, 0x77, 0x00, 0x00, 0xe8, 0x74, 0x00, 0x00, 0x00, 0xb8, 0x06,
	0x00, 0x00, 0x00, 0xb9, 0x01, 0x00, 0xa0, 0x00, 0x66, 0x0f, 0x01, 0xcc,
	0x49, 0x89, 0xc4, 0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9, 0x01, 0x10, 0x80,
	0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc5, 0xb8, 0x06, 0x00, 0x00,
	0x00, 0xb9, 0x02, 0x00, 0x00, 0x40, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89,
	0xc6, 0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9, 0x00, 0x30, 0x80, 0x00, 0x66,
	0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc7, 0x41, 0xbb, 0x92, 0x77, 0x00, 0x00,
	0xe8, 0x25, 0x00, 0x00, 0x00, 0xb8, 0x06, 0x00, 0x00, 0x00, 0xb9, 0x01,
	0x00, 0x80, 0x00, 0x66, 0x0f, 0x01, 0xcc, 0x49, 0x89, 0xc4, 0x4c, 0x8b,
	0x2c, 0x25, 0x08, 0x30, 0x80, 0x00, 0x41, 0xbb, 0x93, 0x77, 0x00, 0x00,
	0xe8, 0x01, 0x00, 0x00, 0x00, 0xf4, 0x45, 0x31, 0xd2, 0xb9, 0x00, 0xfc,
	0x00, 0x00, 0x31, 0xc0, 0x66, 0x0f, 0x01, 0xcc, 0xc3,
};

static void test_accept_2m(void **state)
{
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	uint64_t r[4];
	td_attributes = 1;                                    /* DEBUG: the probe goes in by MEM.WR */
	build_td(&td, blocks, &nblocks);
	td_attributes = 0;
	struct run_log log;
	run_td(&td, &log);
	assert_true(log.halted);

	/* A running TD: two PENDING 2 MiB pages, whose old contents (written through
	 * KeyID 0) ACCEPT clears, and 4 KiB pages at 0xA00000. */
	uint64_t big = alloc_2m(), big2 = alloc_2m();
	assert_true(big && big2);
	memset(ram(big + 0x1ff008), 0xa5, 8);
	memset(ram(big2 + 0x3008), 0xa5, 8);
	assert_int_equal(sc(PAGE_AUG, 0x600000 | 1, td.tdr, big, 0), TDX_SUCCESS);
	assert_int_equal(sc(PAGE_AUG, 0x800000 | 1, td.tdr, big2, 0), TDX_SUCCESS);
	map_tables(&td, 0xa00000);
	assert_int_equal(sc(PAGE_AUG, 0xa00000, td.tdr, kvm_alloc_pages(1), 0), TDX_SUCCESS);
	place_probe(&td, accept_probe, sizeof(accept_probe));

	expect_vmcall(&td, 0x7791, r);
	assert_int_equal(r[0], TDX_SUCCESS);
	assert_int_equal(r[1], 0);                            /* zeroed, the whole 2 MiB */
	assert_int_equal(r[2], TDX_PAGE_ALREADY_ACCEPTED | 1);
	assert_int_equal(r[3], TDX_PAGE_ALREADY_ACCEPTED | 1);   /* the level of the leaf found */

	/* 4 KiB of the PENDING 2 MiB page: the VMM is told (write, the GPA, ext
	 * qualification ACCEPT with the requested level 0 and the 2 MiB PENDING leaf
	 * where the walk stopped) and splits the page: BLOCK, TRACK, DEMOTE. */
	struct vtsim_seamcall_args a = { .rax = VP_ENTER, .rcx = td.tdvpr };
	assert_int_equal(sc_args(&a), 48);
	assert_int_equal(a.rcx, 2);
	assert_int_equal(a.r8, 0x803000);
	assert_int_equal(a.rdx, 1 | (uint64_t)(0 | 1 << 3 | SEPT_PENDING << 6 | 1 << 14) << 32);
	assert_int_equal(sc(TDH_MEM_RANGE_BLOCK, 0x800000 | 1, td.tdr, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_TRACK, td.tdr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(sc(TDH_MEM_PAGE_DEMOTE, 0x800000 | 1, td.tdr, kvm_alloc_pages(1), 0), TDX_SUCCESS);
	expect_vmcall(&td, 0x7792, r);
	assert_int_equal(r[0], TDX_PAGE_SIZE_MISMATCH | 1);
	assert_int_equal(r[1], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(r[2], TDX_OPERAND_INVALID | TDX_OPERAND_ID_RCX);
	assert_int_equal(r[3], TDX_SUCCESS);                  /* the TDCALL again, after the split */
	expect_vmcall(&td, 0x7793, r);
	assert_int_equal(r[0], TDX_PAGE_SIZE_MISMATCH | 1);
	assert_int_equal(r[1], 0);
	expect_vmcall(&td, 12, r);                            /* hlt: #VE, Instruction.HLT */
}

/* TDH.MEM.TRACK moves the TD to a new TLB epoch only when no vCPU still runs in
 * the previous one. A vCPU entered on another LP and not yet out is modelled by
 * its count in the TDCS (this machine runs one SEAMCALL at a time, so it never
 * has one there by itself). */
static void test_track_waits_for_previous_epoch(void **state)
{
	enum { TRACK = 38 };
	static uint8_t blocks[8 * 49][128];
	unsigned nblocks;
	struct td td;
	build_td(&td, blocks, &nblocks);
	struct tdcs *c = (struct tdcs *)keyed_ram(td.tdcs0, 17);
	uint64_t epoch = c->td_epoch;
	assert_int_equal(sc(TRACK, td.tdr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(c->td_epoch, epoch + 1);
	c->refcount[(epoch + 1) & 1] = 1;                    /* a vCPU running in epoch + 1 */
	assert_int_equal(sc(TRACK, td.tdr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(c->td_epoch, epoch + 2);
	assert_int_equal(sc(TRACK, td.tdr, 0, 0, 0), TDX_PREVIOUS_TLB_EPOCH_BUSY);
	assert_int_equal(c->td_epoch, epoch + 2);            /* unchanged */
	c->refcount[(epoch + 1) & 1] = 0;                    /* it exited */
	assert_int_equal(sc(TRACK, td.tdr, 0, 0, 0), TDX_SUCCESS);
	assert_int_equal(c->td_epoch, epoch + 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_td_runs_the_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vcpu_association, setup_2lp, teardown),
		cmocka_unit_test_setup_teardown(test_private_memory_isolation, setup, teardown),
		cmocka_unit_test(test_report_mac),
		cmocka_unit_test_setup_teardown(test_td_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vp_wr_posted_interrupt_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vp_wr_posted_interrupt_desc_is_shared_hpa, setup, teardown),
		cmocka_unit_test_setup_teardown(test_debug_td, setup, teardown),
		cmocka_unit_test_setup_teardown(test_td_cpuid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_vp_metadata, setup, teardown),
		cmocka_unit_test_setup_teardown(test_td_extended_state_is_per_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_control_pages_private, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tdr_write_is_fatal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_debug_td_entry_is_a_td_exit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mce_during_td_entry_is_non_accessible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vp_rd_after_poison_is_non_accessible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vp_wr_after_poison_is_non_accessible, setup, teardown),
		cmocka_unit_test_setup_teardown(test_operand_busy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvmlike_retries_busy_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_2m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_track_waits_for_previous_epoch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
