/* Random guest code under random (valid) VMX controls and EPT, driven the way a VMM
 * drives the hosted interface (include/vtsim/hosted.h): no crash, no hang beyond the
 * instruction budget, and every VM exit well formed.
 *
 * One machine per process, created lazily with an instruction limit (INSN_LIMIT);
 * the VMM enters VMX operation once, and a snapshot of that machine is restored
 * before each input (RAM, registers, virtual time and the instruction count, VMX
 * state), so that an input's run does not depend on the inputs before it and the
 * limit counts the input's instructions alone. Each input gets a fresh guest (its
 * memory, EPT and VMCS are rebuilt: VMCLEAR, VMPTRLD, VMWRITE of every field from
 * the capability MSRs) and then runs VMLAUNCH/VMRESUME for at most MAX_ENTRIES
 * entries. On a model without the preemption timer a machine that reached the
 * limit (VTSIM_VMX_STOPPED) is replaced at the next input.
 *
 * Input: a 32-byte header, then up to 256 bytes of guest code placed at the guest's
 * first instruction (GPA 0x10000). The guest has 2 MiB of memory: page tables, GDT,
 * TSS, an IDT (or real-mode IVT) whose handlers are HLT (IRET for the NMI), a stack
 * page, and HLT everywhere else, so that runs end. RAX is 0, RDX the port 0x80, RCX
 * from the header, the other registers point at distinct data pages (0x30000 on).
 *   h[0]  bits 1:0 guest mode: 0/1 64-bit long mode with identity page tables, 2 32-bit
 *         protected mode without paging, 3 real mode (2 and 3 need unrestricted guest,
 *         so EPT; without them the guest is 64-bit); bit 2 RFLAGS.IF, bit 3 RFLAGS.TF,
 *         bit 4 no IDT (limit 0), bit 5 4 KiB guest pages for the first 2 MiB (else one
 *         2 MiB page), bit 6 EFER.NXE/SCE, bit 7 CR4.OSXSAVE
 *   h[1]  exiting: 0 INVLPG, 1 RDTSC, 2 MOV-DR, 3 CR3 load/store, 4 unconditional I/O,
 *         5 I/O bitmaps, 6 MSR bitmaps, 7 monitor trap flag
 *   h[2]  0 interrupt window, 1 NMI window (with NMI exiting and virtual NMIs),
 *         2 preemption timer with the small value h[8] (else the budget's value),
 *         3 EPT, 4 VPID, 5 EPT A/D flags, 6 unrestricted guest, 7 TSC offsetting
 *   h[3]  0 descriptor-table exiting, 1 WBINVD, 2 PAUSE, 3 MWAIT and MONITOR, 4 RDPMC
 *         exiting, 5 enable RDTSCP, 6 CR0 guest/host mask all ones (else the fixed
 *         bits), 7 CR4 mask all ones (else VMXE)
 *   h[4..7]   exception bitmap          h[8]  small preemption-timer value
 *   h[9]  MSR-bitmap fill byte          h[10] I/O-bitmap fill byte
 *   h[11] bits 2:0 event injected at VMLAUNCH (0 none, 1 NMI, 2 external interrupt,
 *         3 hardware exception, 4 software interrupt, 5 software exception, 6 pending
 *         MTF), bits 6:3 its instruction length, bit 7 re-inject events whose
 *         delivery a VM exit interrupted (as KVM does); bits 2:0 = 7: no event, but
 *         posted-interrupt processing (with external-interrupt exiting, acknowledge
 *         interrupt on exit, the TPR shadow and virtual-interrupt delivery): the
 *         descriptor posts vector h[12] (bit 4: and h[13]) with ON set; bit 3: the
 *         notification vector is pending in the LP's APIC at VMLAUNCH, bit 5:
 *         another vector is too (an external-interrupt exit), bit 6: VTPR h[8]
 *   h[12] injected (or posted) vector   h[13] error code; bit 0 also INVEPT global (else single
 *         context), bit 1 page-modification logging (with EPT; the log's index starts
 *         at h[8] % 16), bit 2 PAUSE-loop exiting (PLE_Gap 128, PLE_Window h[8] * 16),
 *         bit 3 VM functions with EPTP switching (with EPT; the EPTP list's entries 0
 *         and 1 are the EPTP, the others 0), bit 4 the VPID
 *   h[14..15] RCX (h[15] bit 7: 0xC00000xx)
 *   h[16..31] 8 EPT edits (page number in the first MiB, kind): kind & 7: 0 none,
 *         1 not present, 2 R, 3 RX, 4 X only, 5 RW, 6 misconfigured (kind bits 4:3: W
 *         only, WX, memory type 2, address bit MAXPHYADDR: reserved; at MAXPHYADDR 52
 *         bit 51 instead, a valid address past RAM: the open bus), 7 RWX with UC,
 *         ignore-PAT and the ignored bits set
 *
 * Oracles, after every VMLAUNCH/VMRESUME:
 *  - the outcome is VTSIM_VMEXIT, or VTSIM_ENTRY_FAILED; never VMfail (the VMCS is
 *    valid by construction), and VTSIM_VMX_STOPPED only at the machine's instruction
 *    limit; a failed entry is reported (the first entry's state is built valid, and
 *    later ones carry the state the model saved itself);
 *  - the instructions retired by one entry stay within the preemption timer's count
 *    (the timer is always on: it is the budget) plus a block's worth, and an input
 *    never reaches INSN_LIMIT (a hang: the timer did not end an entry). The bound
 *    counts instructions, not wall-clock time, so a loaded machine reports no hang
 *    and a replay reproduces one; a hang that retires nothing (a loop in the
 *    simulator) is libFuzzer's -timeout's;
 *  - the exit reason has no bits above 15, is a known basic reason the controls in
 *    force allow (HLT with HLT exiting, MTF with MTF, EPT exits with EPT, MSR exits
 *    that the MSR bitmap asks for, I/O exits the bitmaps ask for, CR exits the masks,
 *    shadows and CR3 controls ask for, exceptions in the exception bitmap ...);
 *  - instruction exits have a length of 1 to 15, and where the guest's code can be
 *    followed (4-level paging or none, through the EPT as built) the instruction at
 *    RIP is the one the exit names, with that length (prefixes included); the VMX
 *    instructions other than VMCALL exit only in protected mode outside compatibility
 *    mode (elsewhere they are #UD);
 *  - CR, DR, I/O and EPT qualifications have no reserved bits; exception and
 *    IDT-vectoring information are consistent (type, vector, error code only for the
 *    vectors that push one in protected mode); a #DB exit's qualification says why
 *    (B0-B3, BD, BS), other exceptions but #PF have none;
 *  - an EPT violation reports the permissions (bits 5:3) of the EPT entries as built,
 *    for an access (bits 2:0) they do not allow, and an EPT misconfiguration a GPA
 *    whose entry is misconfigured;
 *  - a pending MTF VM exit injected at VMLAUNCH is the first exit, at the first RIP;
 *  - PAUSE exits only with PAUSE exiting, or PAUSE-loop exiting at CPL 0; a PML-full
 *    exit only with PML, its index then out of 0-511, and every logged entry is a
 *    4 KiB-aligned GPA; a VMFUNC exit only with VM functions on, never for EPTP
 *    switching (EAX 0) to a valid entry of the list (ECX 0 or 1).
 * The VMM then advances: instruction exits skip the instruction, EPT violations and
 * misconfigurations make the entry RWX (then INVEPT), window and MTF exits clear
 * their control, a full page-modification log is emptied (index 511), exceptions skip the guest to a HLT; HLT exits, triple faults and
 * EPT exits beyond the guest's memory end the input.
 *
 * vtsim's software CPU does not see the VMM's writes to guest memory, so the harness
 * drops the translations of the pages it rewrites (commit_guest_memory, which reaches
 * into the machine's internals to do so).
 *
 * VG_DEBUG=1 in the environment prints every exit to stderr; VG_TRACE=<mask> turns on
 * vtsim's trace classes (VTSIM_TRACE_*, e.g. 0x7f) on stderr.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/cpu/machine.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"
#include "sim/vmcs/fields.h"
#include "vtsim/hosted.h"
#include "vtsim/snapshot.h"
#include "vtsim/vtsim.h"

#define HDR            32
#define CODE_MAX       256
#define MAX_ENTRIES    64
#define BUDGET         100000ull     /* guest instructions per input */
#define SLACK          4096ull       /* a block's worth beyond the timer */
#define INSN_LIMIT     (1ull << 22)  /* instructions an input may retire: a hang */

/* Guest-physical layout (identity-mapped by the EPT, 4 KiB pages). */
#define G_SIZE     0x200000ull
#define G_PML4     0x1000ull
#define G_PDPT     0x2000ull
#define G_PD       0x3000ull
#define G_PT       0x4000ull
#define G_IDT      0x5000ull
#define G_GDT      0x8000ull
#define G_TSS      0x9000ull
#define G_CODE     0x10000ull
#define G_HANDLER  0x12000ull     /* HLT everywhere but the NMI handler */
#define G_NMI      0x12100ull     /* IRET */
#define G_STACK    0x20000ull
#define G_DATA     0x30000ull

/* The VMM's structures, outside the guest's memory. */
#define H_VMXON    0x800000ull
#define H_VMCS     0x801000ull
#define H_MSRBM    0x802000ull
#define H_IOA      0x803000ull
#define H_IOB      0x804000ull
#define H_EPML4    0x805000ull
#define H_EPDPT    0x806000ull
#define H_EPD      0x807000ull
#define H_EPT      0x808000ull
#define H_PML      0x809000ull    /* the page-modification log */
#define H_EPTPL    0x80a000ull    /* the EPTP list */
#define H_VAPIC    0x80b000ull    /* the virtual-APIC page */
#define H_PID      0x80c000ull    /* the posted-interrupt descriptor */

#define PI_NV      0xf2u          /* the notification vector (Linux's) */
#define PI_OTHER   0xf1u          /* a vector that is not: it exits */
#define PID_ON     32u            /* the byte of ON, bit 256 */

#define SEL_CODE64 0x08
#define SEL_DATA   0x10
#define SEL_TSS    0x18
#define SEL_CODE32 0x28

#define MSR_TSC           0x10u
#define MSR_PAT           0x277u
#define MSR_EFER          0xc0000080u
#define MSR_VMX_BASIC     0x480u
#define MSR_VMX_PIN       0x481u
#define MSR_VMX_PROC      0x482u
#define MSR_VMX_EXIT      0x483u
#define MSR_VMX_ENTRY     0x484u
#define MSR_VMX_MISC      0x485u
#define MSR_VMX_CR0_FIX0  0x486u
#define MSR_VMX_CR0_FIX1  0x487u
#define MSR_VMX_CR4_FIX0  0x488u
#define MSR_VMX_CR4_FIX1  0x489u
#define MSR_VMX_PROC2     0x48bu
#define MSR_VMX_EPT_CAP   0x48cu
#define MSR_VMX_TRUE_PIN  0x48du
#define MSR_VMX_TRUE_PROC 0x48eu
#define MSR_VMX_TRUE_EXIT 0x48fu
#define MSR_VMX_TRUE_ENTRY 0x490u
#define MSR_VMX_VMFUNC    0x491u

#define EPT_R 1u
#define EPT_W 2u
#define EPT_X 4u
#define EPT_WB (6ull << 3)

enum mode { MODE_LONG, MODE_PM32, MODE_REAL };

/* The capability MSRs, read once per machine. */
struct caps {
	uint32_t rev;
	uint64_t pin, proc, proc2, exit, entry;   /* allowed-0 in 31:0, allowed-1 in 63:32 */
	uint64_t misc, ept, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t vmfunc;          /* allowed-1 VM functions */
	unsigned maxphyaddr;
};

static struct vtsim_machine *M;
static struct vtsim_snapshot *SNAP;   /* M in VMX root operation, before any input */
static uint8_t *RAM;
static uint8_t IMG[G_SIZE];   /* the guest's memory as an input starts (below) */
static struct caps C;
static FILE *devnull;
static int debug = -1;

/* The controls in force for the current input (window and MTF bits clear as exits
 * come). */
struct run {
	enum mode mode;
	uint32_t pin, proc, proc2, exit, entry;
	uint32_t exc_bitmap;
	uint64_t cr0_mask, cr0_shadow, cr4_mask, cr4_shadow;
	uint64_t eptp;
	bool ept, msr_bitmaps, io_bitmaps, reinject, invept_global;
	uint32_t timer_small;
	bool pending_mtf;          /* VMLAUNCH injects a pending MTF VM exit */
	uint64_t rip0;
	bool pi;                   /* posted-interrupt processing */
	uint8_t posted[2];         /* the vectors the descriptor posted (twice: one) */
	bool other_pending;        /* PI_OTHER was pending at VMLAUNCH: it has not exited yet */
};

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "fuzz_vmx_guest: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}

/* ---- the VMM's instructions ------------------------------------------------------ */

static void vmx(enum vtsim_vmx_insn insn, uint64_t reg, uint64_t rm, const void *mem, size_t n,
		struct vtsim_vmx_result *r)
{
	struct vtsim_vmx_operands o = { .reg = reg, .rm = rm, .mem = mem != NULL };
	if (mem)
		memcpy(o.data, mem, n);
	vtsim_vmx(M, 0, insn, &o, r);
}

static void vmptr_op(enum vtsim_vmx_insn insn, uint64_t pa)
{
	struct vtsim_vmx_result r;
	vmx(insn, 0, 0, &pa, 8, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		fail("VMX instruction %d on 0x%llx: outcome %d error %u", insn, (unsigned long long)pa,
		     r.outcome, r.error);
}

static void vmw(uint32_t field, uint64_t v)
{
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMWRITE, field, v, NULL, 0, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		fail("VMWRITE %s (0x%x) = 0x%llx: outcome %d error %u", vmcs_field_name(field), field,
		     (unsigned long long)v, r.outcome, r.error);
}

static uint64_t vmr(uint32_t field)
{
	struct vtsim_vmx_result r;
	vmx(VTSIM_VMREAD, field, 0, NULL, 0, &r);
	if (r.outcome != VTSIM_VMSUCCEED)
		fail("VMREAD %s (0x%x): outcome %d error %u", vmcs_field_name(field), field, r.outcome,
		     r.error);
	return r.value;
}

static uint64_t rdmsr(uint32_t msr)
{
	uint64_t v = 0;
	if (vtsim_hosted_rdmsr(M, 0, msr, &v))
		fail("RDMSR 0x%x faulted", msr);
	return v;
}

static uint64_t tsc(void)
{
	return rdmsr(MSR_TSC);
}

static bool allowed1(uint64_t msr, uint32_t bit)
{
	return (uint32_t)(msr >> 32) & bit;
}

/* Linux's adjust_vmx_controls without a minimum: the forced bits and the wanted ones
 * the MSR allows. */
static uint32_t adjust(uint64_t msr, uint32_t want)
{
	return ((uint32_t)msr | want) & (uint32_t)(msr >> 32);
}

static void put64(uint64_t pa, uint64_t v)
{
	memcpy(RAM + pa, &v, 8);
}

static void iput64(uint64_t pa, uint64_t v)
{
	memcpy(IMG + pa, &v, 8);
}

static uint64_t get64(uint64_t pa)
{
	uint64_t v;
	memcpy(&v, RAM + pa, 8);
	return v;
}

/* ---- the machine --------------------------------------------------------------------- */

static void machine_up(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	cfg.max_insns = INSN_LIMIT;
	if (!devnull && !(devnull = fopen("/dev/null", "w")))
		abort();
	cfg.console = cfg.diag = cfg.trace = devnull;
	if (getenv("VG_TRACE")) {       /* for triage: vtsim's trace on stderr */
		cfg.trace = stderr;
		cfg.trace_mask = (unsigned)strtoul(getenv("VG_TRACE"), NULL, 0);
	}
	M = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!M)
		fail("vtsim_machine_create: %s", err);
	if (vtsim_hosted_start(M, err, sizeof(err)))
		fail("vtsim_hosted_start: %s", err);
	RAM = vtsim_machine_ram(M, NULL);

	uint64_t basic = rdmsr(MSR_VMX_BASIC);
	bool true_ctls = (basic >> 55) & 1;
	memset(&C, 0, sizeof(C));
	C.rev = (uint32_t)basic & 0x7fffffff;
	C.pin = rdmsr(true_ctls ? MSR_VMX_TRUE_PIN : MSR_VMX_PIN);
	C.proc = rdmsr(true_ctls ? MSR_VMX_TRUE_PROC : MSR_VMX_PROC);
	C.exit = rdmsr(true_ctls ? MSR_VMX_TRUE_EXIT : MSR_VMX_EXIT);
	C.entry = rdmsr(true_ctls ? MSR_VMX_TRUE_ENTRY : MSR_VMX_ENTRY);
	C.misc = rdmsr(MSR_VMX_MISC);
	/* The budget's last entry may run its timer's count (up to 255 with a small
	 * value) and a block past BUDGET: all of it far below the limit. */
	if (2 * BUDGET + (256ull << (C.misc & 0x1f)) + 2 * SLACK > INSN_LIMIT / 2)
		fail("VMX-preemption timer rate %llu: the budget does not fit under INSN_LIMIT",
		     (unsigned long long)(C.misc & 0x1f));
	C.cr0_fixed0 = rdmsr(MSR_VMX_CR0_FIX0);
	C.cr0_fixed1 = rdmsr(MSR_VMX_CR0_FIX1);
	C.cr4_fixed0 = rdmsr(MSR_VMX_CR4_FIX0);
	C.cr4_fixed1 = rdmsr(MSR_VMX_CR4_FIX1);
	if (allowed1(C.proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)) {
		C.proc2 = rdmsr(MSR_VMX_PROC2);
		if (vtsim_hosted_rdmsr(M, 0, MSR_VMX_EPT_CAP, &C.ept))
			C.ept = 0;
		if (!allowed1(C.proc2, SECONDARY_EXEC_ENABLE_VMFUNC) ||
		    vtsim_hosted_rdmsr(M, 0, MSR_VMX_VMFUNC, &C.vmfunc))
			C.vmfunc = 0;
	}
	uint32_t id[4];
	vtsim_hosted_cpuid(M, 0, 0x80000008u, 0, id);
	C.maxphyaddr = id[0] & 0xff;

	uint64_t cr4;
	if (vtsim_hosted_read_cr(M, 0, 4, &cr4) || vtsim_hosted_write_cr(M, 0, 4, cr4 | (1u << 13)))
		fail("cannot set CR4.VMXE");
	memset(RAM + H_VMXON, 0, 4096);
	memcpy(RAM + H_VMXON, &C.rev, 4);
	vmptr_op(VTSIM_VMXON, H_VMXON);
}

static void machine_down(void)
{
	vtsim_snapshot_free(M, SNAP);
	SNAP = NULL;
	vtsim_machine_destroy(M);
	M = NULL;
	RAM = NULL;
}

/* vtsim does not see the VMM's own writes to guest memory: the guest's software
 * CPU keeps running the code it translated before, and its "sites" (the special
 * instructions it found, keyed by linear address and CR3) keep what they read then.
 * So each input's guest memory is built in IMG and copied in page by page, and the
 * pages that change have their translations dropped, the way the simulator does
 * itself (a range of the engine's code cache, by address: with the guest engine's
 * paging off, or through the root's identity map when the EPT callback fills its
 * TLB). Its run is ended first, as machine destruction does, so that it is not
 * inside translated code. VG_FLUSH=1 flushes all translations instead (slow). */
static int full_flush = -1;

static void commit_guest_memory(void)
{
	struct lp *lp = &M->lps[0];
	bool engine = lp->guest.uc != NULL;
	if (engine && lp->co_started) {
		lp->co_terminate = true;
		coro_switch(&lp->co_root, &lp->co_guest);
		lp->co_terminate = false;
	}
	if (engine && full_flush)
		uc_ctl_flush_tb(lp->guest.uc);
	else if (engine && !lp->gtlb.virtual_mode)
		cpu_set_reg(lp->guest.uc, UC_X86_REG_CR0, cpu_reg(lp->guest.uc, UC_X86_REG_CR0) & ~(1ull << 31));
	for (uint64_t p = 0; p < G_SIZE; p += 4096) {
		if (!memcmp(RAM + p, IMG + p, 4096))
			continue;
		memcpy(RAM + p, IMG + p, 4096);
		if (engine && !full_flush)
			uc_ctl_remove_cache(lp->guest.uc, p, p + 4096);
	}
	if (!engine)
		return;
	struct sites *s = &lp->guest.sites;
	for (size_t i = 0; i < s->cap; i++)
		s->tab[i].cr3 = ~0ull;
	memset(s->primed_ring, 0, sizeof(s->primed_ring));
	memset(s->recent, 0, sizeof(s->recent));
}

/* ---- the guest's memory and the EPT ----------------------------------------------------- */

static uint64_t gate64_lo(uint64_t off, uint16_t sel)
{
	return (off & 0xffff) | (uint64_t)sel << 16 | 0x8e00ull << 32 | ((off >> 16) & 0xffff) << 48;
}

static void build_guest(const uint8_t *h, const uint8_t *code, size_t len, const struct run *r)
{
	/* HLT wherever nothing else is, so that runaway code ends soon; zeros for the
	 * tables and the stack page. */
	memset(IMG, 0xf4, G_SIZE);
	memset(IMG, 0, G_IDT + 0x1000);
	memset(IMG + G_GDT, 0, 0x2000);
	memset(IMG + G_STACK - 0x1000, 0, 0x1000);
	/* Page tables: 4-level identity map of the first 2 MiB (one 2 MiB page or 512
	 * 4 KiB pages) and, when the EPT is on, of 2-4 MiB, which the EPT does not map. */
	iput64(G_PML4, G_PDPT | 3);
	iput64(G_PDPT, G_PD | 3);
	if (h[0] & 0x20) {
		iput64(G_PD, G_PT | 3);
		for (uint64_t i = 0; i < 512; i++)
			iput64(G_PT + i * 8, (i << 12) | 3);
	} else {
		iput64(G_PD, 0x83);
	}
	if (r->ept)
		iput64(G_PD + 8, 0x200000 | 0x83);
	/* GDT: null, 64-bit code, data, 64-bit TSS (two slots), 32-bit code. */
	iput64(G_GDT + 0x08, 0x00af9b000000ffffull);
	iput64(G_GDT + 0x10, 0x00cf93000000ffffull);
	iput64(G_GDT + 0x18, 0x67 | (G_TSS & 0xffffff) << 16 | 0x8bull << 40);
	iput64(G_GDT + 0x28, 0x00cf9b000000ffffull);
	iput64(G_TSS + 4, G_STACK);                      /* RSP0 */
	memcpy(IMG + G_TSS + 0x66, &(uint16_t){ 0x68 }, 2);
	/* Interrupt handlers: HLT, and IRET for the NMI. */
	memset(IMG + G_HANDLER, 0xf4, 4096);
	if (r->mode == MODE_LONG) {
		IMG[G_NMI] = 0x48;
		IMG[G_NMI + 1] = 0xcf;
	} else {
		IMG[G_NMI] = 0xcf;
	}
	for (unsigned v = 0; v < 256; v++) {
		uint64_t off = v == 2 ? G_NMI : G_HANDLER;
		if (r->mode == MODE_LONG) {
			iput64(G_IDT + v * 16, gate64_lo(off, SEL_CODE64));
			iput64(G_IDT + v * 16 + 8, off >> 32);
		} else if (r->mode == MODE_PM32) {
			iput64(G_IDT + v * 8, gate64_lo(off, SEL_CODE32));
		} else {
			uint32_t ivt = (uint32_t)(off >> 4) << 16;   /* segment:0 */
			memcpy(IMG + v * 4, &ivt, 4);
		}
	}
	memcpy(IMG + G_CODE, code, len);
}

/* The snapshot every input starts from: the machine in VMX root operation with a
 * 64-bit guest's memory as build_guest makes it without code, so that an input
 * rewrites (and a restore copies back) only the pages where its guest differs. */
static void machine_snapshot(void)
{
	static const uint8_t h0[HDR], hlt = 0xf4;
	const struct run r0 = { .mode = MODE_LONG };
	char err[256];
	build_guest(h0, &hlt, 1, &r0);
	memcpy(RAM, IMG, G_SIZE);
	if (!(SNAP = vtsim_snapshot_take(M, err, sizeof(err))))
		fail("vtsim_snapshot_take: %s", err);
}

/* The expected outcome of the EPT walk for a GPA, from the tables as built: the
 * AND of the permissions on the way, and whether the leaf is misconfigured. */
static bool leaf_misconfigured(uint64_t e)
{
	unsigned rwx = e & 7, mt = (e >> 3) & 7;
	uint64_t rsvd = ((1ull << 52) - 1) & ~((1ull << C.maxphyaddr) - 1);
	return ((rwx & EPT_W) && !(rwx & EPT_R)) || (rwx == EPT_X && !(C.ept & 1)) ||
	       (e & rsvd) || mt == 2 || mt == 3 || mt == 7;
}

static unsigned ept_expect(uint64_t gpa, bool *misconfig)
{
	static const uint64_t tables[3] = { H_EPML4, H_EPDPT, H_EPD };
	unsigned rwx = 7;
	*misconfig = false;
	for (int level = 4; level >= 2; level--) {
		unsigned idx = (gpa >> (12 + 9 * (level - 1))) & 0x1ff;
		if (idx != 0 || (gpa >> 48))
			return 0;                       /* only entry 0 exists: not present */
		rwx &= get64(tables[4 - level]) & 7;
	}
	uint64_t leaf = get64(H_EPT + ((gpa >> 12) & 0x1ff) * 8);
	if (!(leaf & 7))
		return 0;
	*misconfig = leaf_misconfigured(leaf);
	return rwx & leaf & 7;
}

static void ept_set(unsigned page, uint64_t v)
{
	put64(H_EPT + page * 8, v);
}

static void build_ept(const uint8_t *edits)
{
	memset(RAM + H_EPML4, 0, 4 * 4096);
	put64(H_EPML4, H_EPDPT | 7);
	put64(H_EPDPT, H_EPD | 7);
	put64(H_EPD, H_EPT | 7);
	for (unsigned i = 0; i < 512; i++)
		ept_set(i, ((uint64_t)i << 12) | EPT_WB | 7);
	for (unsigned i = 0; i < 8; i++) {
		unsigned page = edits[2 * i], kind = edits[2 * i + 1];
		uint64_t pa = (uint64_t)page << 12, v;
		switch (kind & 7) {
		case 1: v = 0; break;
		case 2: v = pa | EPT_WB | EPT_R; break;
		case 3: v = pa | EPT_WB | EPT_R | EPT_X; break;
		case 4: v = pa | EPT_WB | EPT_X; break;
		case 5: v = pa | EPT_WB | EPT_R | EPT_W; break;
		case 6:
			switch ((kind >> 3) & 3) {
			case 0: v = pa | EPT_WB | EPT_W; break;
			case 1: v = pa | EPT_WB | EPT_W | EPT_X; break;
			case 2: v = pa | (2ull << 3) | 7; break;
			default: v = pa | EPT_WB | 7 | (1ull << (C.maxphyaddr < 52 ? C.maxphyaddr : 51)); break;
			}
			break;
		case 7: v = pa | 7 | (1ull << 6) | (3ull << 10); break;
		default: continue;
		}
		ept_set(page, v);
	}
}

/* ---- the VMCS ------------------------------------------------------------------------ */

struct gseg { uint16_t sel; uint64_t base; uint32_t limit, ar; };

static void write_seg(unsigned i, const struct gseg *s)
{
	static const uint32_t f[8][4] = {
		{ GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
		{ GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
		{ GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
		{ GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
		{ GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
		{ GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
		{ GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
		{ GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	};
	vmw(f[i][0], s->sel);
	vmw(f[i][1], s->base);
	vmw(f[i][2], s->limit);
	vmw(f[i][3], s->ar);
}

static void host_state(void)
{
	struct vtsim_host_tables t;
	uint64_t cr0, cr3, cr4;
	vtsim_hosted_tables(M, 0, &t);
	vtsim_hosted_read_cr(M, 0, 0, &cr0);
	vtsim_hosted_read_cr(M, 0, 3, &cr3);
	vtsim_hosted_read_cr(M, 0, 4, &cr4);
	vmw(HOST_CR0, cr0);
	vmw(HOST_CR3, cr3);
	vmw(HOST_CR4, cr4);
	vmw(HOST_CS_SELECTOR, t.cs);
	vmw(HOST_SS_SELECTOR, t.ss);
	vmw(HOST_DS_SELECTOR, t.ds);
	vmw(HOST_ES_SELECTOR, t.es);
	vmw(HOST_FS_SELECTOR, t.fs);
	vmw(HOST_GS_SELECTOR, t.gs);
	vmw(HOST_TR_SELECTOR, t.tr);
	vmw(HOST_FS_BASE, t.fs_base);
	vmw(HOST_GS_BASE, t.gs_base);
	vmw(HOST_TR_BASE, t.tr_base);
	vmw(HOST_GDTR_BASE, t.gdt_base);
	vmw(HOST_IDTR_BASE, t.idt_base);
	vmw(HOST_IA32_SYSENTER_CS, 0);
	vmw(HOST_IA32_SYSENTER_ESP, 0);
	vmw(HOST_IA32_SYSENTER_EIP, 0);
	vmw(HOST_RSP, 0);
	vmw(HOST_RIP, 0);
}

/* The structures of the controls h[13] turns on: the page-modification log (its
 * index small, so that it fills), PAUSE-loop exiting's gap and window, the EPTP
 * list (two valid entries, the same EPT) for EPTP switching. */
static void newer_controls(const uint8_t *h, const struct run *r)
{
	if (r->proc2 & SECONDARY_EXEC_ENABLE_PML) {
		memset(RAM + H_PML, 0, 4096);
		vmw(PML_ADDRESS, H_PML);
		vmw(GUEST_PML_INDEX, h[8] % 16);
	}
	if (r->proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING) {
		vmw(PLE_GAP, 128);
		vmw(PLE_WINDOW, (uint32_t)h[8] * 16);
	}
	if (r->proc2 & SECONDARY_EXEC_ENABLE_VMFUNC) {
		memset(RAM + H_EPTPL, 0, 4096);
		put64(H_EPTPL, r->eptp);
		put64(H_EPTPL + 8, r->eptp);
		vmw(VM_FUNCTION_CONTROL, 1);
		vmw(EPTP_LIST_ADDRESS, H_EPTPL);
	}
}

/* Posted-interrupt processing: the virtual-APIC page (VTPR from the input), the
 * descriptor with the input's vectors posted and ON set, and what the LP's APIC has
 * pending at VMLAUNCH: the notification vector (processed, never an exit) and
 * another vector (an external-interrupt exit, acknowledged). */
static void posted_interrupts(const uint8_t *h, struct run *r)
{
	struct lapic *apic = &M->lps[0].lapic;
	memset(RAM + H_VAPIC, 0, 4096);
	if (h[11] & 0x40)
		RAM[H_VAPIC + 0x80] = h[8] & 0xf0;
	vmw(VIRTUAL_APIC_PAGE_ADDR, H_VAPIC);
	vmw(TPR_THRESHOLD, 0);
	vmw(GUEST_INTR_STATUS, 0);
	static const uint32_t eoi_exit[4] = { EOI_EXIT_BITMAP0, EOI_EXIT_BITMAP1, EOI_EXIT_BITMAP2,
					      EOI_EXIT_BITMAP3 };
	for (int i = 0; i < 4; i++)
		vmw(eoi_exit[i], 0);
	r->posted[0] = h[12];
	r->posted[1] = (h[11] & 0x10) ? h[13] : h[12];
	memset(RAM + H_PID, 0, 64);
	for (int i = 0; i < 2; i++)
		RAM[H_PID + r->posted[i] / 8] |= (uint8_t)(1u << (r->posted[i] % 8));
	RAM[H_PID + PID_ON] = 1;
	vmw(POSTED_INTR_NV, PI_NV);
	vmw(POSTED_INTR_DESC_ADDR, H_PID);
	if (h[11] & 0x08)
		lapic_request(apic, PI_NV);
	r->other_pending = h[11] & 0x20;
	if (r->other_pending)
		lapic_request(apic, PI_OTHER);
}

/* The descriptor after the run: posted-interrupt processing is all or nothing.
 * With ON set nothing was taken (the posted vectors still in the PIR); with ON
 * clear the PIR is empty and each posted vector of 16 or more has reached the
 * virtual APIC (requested in VIRR or in service in VISR: nothing here can EOI). */
static void check_posted(const struct run *r)
{
	bool on = RAM[H_PID + PID_ON] & 1;
	for (int i = 0; i < 2; i++) {
		unsigned v = r->posted[i];
		bool in_pir = (RAM[H_PID + v / 8] >> (v % 8)) & 1;
		bool virr = (RAM[H_VAPIC + 0x200 + (v / 32) * 0x10 + (v % 32) / 8] >> (v % 8)) & 1;
		bool visr = (RAM[H_VAPIC + 0x100 + (v / 32) * 0x10 + (v % 32) / 8] >> (v % 8)) & 1;
		if (on && !in_pir)
			fail("posted vector %u left the PIR while ON stayed set", v);
		if (!on && in_pir)
			fail("ON is clear but posted vector %u is still in the PIR", v);
		if (!on && v >= 16 && !virr && !visr)
			fail("posted vector %u left the PIR but is neither in VIRR nor in VISR", v);
	}
}

/* Chooses the controls from the input and the capability MSRs, and writes the VMCS. */
static void build_vmcs(const uint8_t *h, struct run *r)
{
	bool has2 = allowed1(C.proc, CPU_BASED_ACTIVATE_SECONDARY_CONTROLS);
	bool ept = has2 && (h[2] & 0x08) && allowed1(C.proc2, SECONDARY_EXEC_ENABLE_EPT) &&
		   (C.ept & (1u << 6)) && (C.ept & (1u << 14));
	bool ug = ept && allowed1(C.proc2, SECONDARY_EXEC_UNRESTRICTED_GUEST) &&
		  ((h[2] & 0x40) || (h[0] & 3) >= 2);
	memset(r, 0, sizeof(*r));
	r->mode = !ug || (h[0] & 3) < 2 ? MODE_LONG : (h[0] & 3) == 2 ? MODE_PM32 : MODE_REAL;
	r->ept = ept;

	/* Pin-based: virtual NMIs (with NMI exiting) for the NMI window and NMI
	 * injection; the preemption timer always, when there is one (the budget). */
	uint32_t pin = PIN_BASED_VMX_PREEMPTION_TIMER;
	bool vnmi = allowed1(C.pin, PIN_BASED_VIRTUAL_NMIS) && allowed1(C.pin, PIN_BASED_NMI_EXITING);
	if (vnmi && ((h[2] & 0x02) || (h[11] & 7) == 1))
		pin |= PIN_BASED_NMI_EXITING | PIN_BASED_VIRTUAL_NMIS;
	r->pi = (h[11] & 7) == 7 && has2 && allowed1(C.pin, PIN_BASED_POSTED_INTR) &&
		allowed1(C.pin, PIN_BASED_EXT_INTR_MASK) && allowed1(C.proc, CPU_BASED_TPR_SHADOW) &&
		allowed1(C.proc2, SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY) &&
		allowed1(C.exit, VM_EXIT_ACK_INTR_ON_EXIT);
	if (r->pi)
		pin |= PIN_BASED_EXT_INTR_MASK | PIN_BASED_POSTED_INTR;
	r->pin = adjust(C.pin, pin);

	/* HLT exiting always: without it the guest's HLT stops the machine. */
	uint32_t proc = CPU_BASED_HLT_EXITING;
	static const uint32_t p1[8] = {
		CPU_BASED_INVLPG_EXITING, CPU_BASED_RDTSC_EXITING, CPU_BASED_MOV_DR_EXITING,
		CPU_BASED_CR3_LOAD_EXITING | CPU_BASED_CR3_STORE_EXITING, CPU_BASED_UNCOND_IO_EXITING,
		CPU_BASED_USE_IO_BITMAPS, CPU_BASED_USE_MSR_BITMAPS, CPU_BASED_MONITOR_TRAP_FLAG,
	};
	for (int i = 0; i < 8; i++)
		if (h[1] & (1u << i))
			proc |= p1[i];
	if (h[2] & 0x01)
		proc |= CPU_BASED_INTR_WINDOW_EXITING;
	if ((h[2] & 0x02) && (r->pin & PIN_BASED_VIRTUAL_NMIS))
		proc |= CPU_BASED_NMI_WINDOW_EXITING;
	if (h[2] & 0x80)
		proc |= CPU_BASED_USE_TSC_OFFSETTING;
	if (h[3] & 0x04)
		proc |= CPU_BASED_PAUSE_EXITING;
	if (h[3] & 0x08)
		proc |= CPU_BASED_MWAIT_EXITING | CPU_BASED_MONITOR_EXITING;
	if (h[3] & 0x10)
		proc |= CPU_BASED_RDPMC_EXITING;
	if (r->pi)
		proc |= CPU_BASED_TPR_SHADOW;
	/* Port 0xF4 is the debug-exit device, which would end the machine: I/O always
	 * exits somehow (bitmaps with its bit set, if nothing else). */
	if (!(proc & CPU_BASED_UNCOND_IO_EXITING))
		proc |= CPU_BASED_USE_IO_BITMAPS;
	uint32_t proc2 = 0;
	if (ept)
		proc2 |= SECONDARY_EXEC_ENABLE_EPT;
	if (ug)
		proc2 |= SECONDARY_EXEC_UNRESTRICTED_GUEST;
	if (ept && (h[2] & 0x10))
		proc2 |= SECONDARY_EXEC_ENABLE_VPID;
	if (h[3] & 0x01)
		proc2 |= SECONDARY_EXEC_DESC;
	if (h[3] & 0x02)
		proc2 |= SECONDARY_EXEC_WBINVD_EXITING;
	if (h[3] & 0x20)
		proc2 |= SECONDARY_EXEC_ENABLE_RDTSCP;
	if (ept && (h[13] & 0x02))
		proc2 |= SECONDARY_EXEC_ENABLE_PML;
	if (h[13] & 0x04)
		proc2 |= SECONDARY_EXEC_PAUSE_LOOP_EXITING;
	if (ept && (h[13] & 0x08) && (C.vmfunc & 1))
		proc2 |= SECONDARY_EXEC_ENABLE_VMFUNC;
	if (r->pi)
		proc2 |= SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY;
	if (has2 && (proc2 = adjust(C.proc2, proc2)))
		proc |= CPU_BASED_ACTIVATE_SECONDARY_CONTROLS;
	r->proc = adjust(C.proc, proc);
	r->proc2 = (r->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS) ? proc2 : 0;
	r->io_bitmaps = r->proc & CPU_BASED_USE_IO_BITMAPS;
	r->msr_bitmaps = r->proc & CPU_BASED_USE_MSR_BITMAPS;
	if (!(r->proc & (CPU_BASED_USE_IO_BITMAPS | CPU_BASED_UNCOND_IO_EXITING)))
		fail("no way to make I/O exit on this model");

	uint32_t exit = VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_EFER | VM_EXIT_LOAD_IA32_EFER |
			VM_EXIT_SAVE_IA32_PAT | VM_EXIT_LOAD_IA32_PAT;
	if (r->pin & PIN_BASED_VMX_PREEMPTION_TIMER)
		exit |= VM_EXIT_SAVE_VMX_PREEMPTION_TIMER;
	if (r->pi)
		exit |= VM_EXIT_ACK_INTR_ON_EXIT;
	r->exit = adjust(C.exit, exit);
	uint32_t entry = VM_ENTRY_LOAD_IA32_EFER | VM_ENTRY_LOAD_IA32_PAT;
	if (r->mode == MODE_LONG)
		entry |= VM_ENTRY_IA32E_MODE;
	r->entry = adjust(C.entry, entry);
	if (r->mode == MODE_LONG && !(r->entry & VM_ENTRY_IA32E_MODE))
		fail("the model cannot run a 64-bit guest");

	vmw(PIN_BASED_VM_EXEC_CONTROL, r->pin);
	vmw(CPU_BASED_VM_EXEC_CONTROL, r->proc);
	if (r->proc & CPU_BASED_ACTIVATE_SECONDARY_CONTROLS)
		vmw(SECONDARY_VM_EXEC_CONTROL, r->proc2);
	vmw(VM_EXIT_CONTROLS, r->exit);
	vmw(VM_ENTRY_CONTROLS, r->entry);
	memcpy(&r->exc_bitmap, h + 4, 4);
	vmw(EXCEPTION_BITMAP, r->exc_bitmap);
	vmw(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmw(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmw(CR3_TARGET_COUNT, 0);
	vmw(VM_EXIT_MSR_STORE_COUNT, 0);
	vmw(VM_EXIT_MSR_LOAD_COUNT, 0);
	vmw(VM_ENTRY_MSR_LOAD_COUNT, 0);
	vmw(VMCS_LINK_POINTER, ~0ull);
	if (r->proc & CPU_BASED_USE_TSC_OFFSETTING)
		vmw(TSC_OFFSET, (uint64_t)h[15] << 40);

	/* MSR bitmap: the fill byte, but writes always exit for the MSRs whose value
	 * outlives the input: those the root shares with the guest (the TSC the budget
	 * is read from, TSC_ADJUST, APIC base, feature control, MISC_ENABLE, PAT,
	 * TSC_AUX) and the guest's SYSCALL and SWAPGS MSRs, which no VM entry loads. */
	if (r->msr_bitmaps) {
		static const uint32_t shared[] = { 0x10, 0x1b, 0x3a, 0x3b, 0x1a0, 0x277, 0xc0000081u,
						   0xc0000082u, 0xc0000083u, 0xc0000084u, 0xc0000102u,
						   0xc0000103u };
		memset(RAM + H_MSRBM, h[9], 4096);
		for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
			uint32_t idx = shared[i] & 0x1fff;
			uint64_t base = H_MSRBM + 0x800 + (shared[i] >= 0xc0000000u ? 0x400 : 0);
			RAM[base + idx / 8] |= (uint8_t)(1u << (idx % 8));
		}
		vmw(MSR_BITMAP, H_MSRBM);
	}
	if (r->io_bitmaps) {
		memset(RAM + H_IOA, h[10], 4096);
		memset(RAM + H_IOB, h[10], 4096);
		RAM[H_IOA + 0xf4 / 8] |= 1u << (0xf4 % 8);
		vmw(IO_BITMAP_A, H_IOA);
		vmw(IO_BITMAP_B, H_IOB);
	}
	if (ept) {
		bool ad = (h[2] & 0x20) && (C.ept & (1u << 21));
		r->eptp = H_EPML4 | 6 | (3 << 3) | (ad ? 1u << 6 : 0);
		vmw(EPT_POINTER, r->eptp);
		r->invept_global = (h[13] & 1) && (C.ept & (1u << 26));
		if (!(C.ept & (1u << 25)))
			r->invept_global = true;
	}
	if (r->proc2 & SECONDARY_EXEC_ENABLE_VPID)
		vmw(VIRTUAL_PROCESSOR_ID, 1 + ((h[13] >> 4) & 1));
	newer_controls(h, r);
	if (r->pi)
		posted_interrupts(h, r);

	/* Control registers. */
	uint64_t cr0, cr4 = 0x600, efer = 0;
	uint64_t fixed0 = C.cr0_fixed0;
	if (ug)
		fixed0 &= ~0x80000001ull;             /* PE and PG are the guest's */
	switch (r->mode) {
	case MODE_LONG: cr0 = 0x80000031; cr4 |= 0x20; efer = 0x500; break;
	case MODE_PM32: cr0 = 0x31; break;
	default:        cr0 = 0x30; cr4 = 0; break;
	}
	if ((h[0] & 0x40) && r->mode == MODE_LONG)
		efer |= 0x801;
	if (h[0] & 0x80)
		cr4 |= 1u << 18;
	cr0 = (cr0 | fixed0) & C.cr0_fixed1;
	cr4 &= C.cr4_fixed1;
	r->cr0_shadow = cr0;
	r->cr4_shadow = cr4;
	r->cr0_mask = (h[3] & 0x40) ? ~0ull : fixed0;
	r->cr4_mask = (h[3] & 0x80) ? ~0ull : C.cr4_fixed0;
	cr4 |= C.cr4_fixed0;
	vmw(CR0_GUEST_HOST_MASK, r->cr0_mask);
	vmw(CR0_READ_SHADOW, r->cr0_shadow);
	vmw(CR4_GUEST_HOST_MASK, r->cr4_mask);
	vmw(CR4_READ_SHADOW, r->cr4_shadow);
	vmw(GUEST_CR0, cr0);
	vmw(GUEST_CR3, G_PML4);
	vmw(GUEST_CR4, cr4);
	if (r->entry & VM_ENTRY_LOAD_IA32_EFER)
		vmw(GUEST_IA32_EFER, efer);
	if (r->entry & VM_ENTRY_LOAD_IA32_PAT)
		vmw(GUEST_IA32_PAT, 0x0007040600070406ull);
	vmw(GUEST_IA32_DEBUGCTL, 0);
	vmw(GUEST_DR7, 0x400);

	/* Segments, as the mode has them. */
	struct gseg cs, data, tr = { SEL_TSS, G_TSS, 0x67, 0x8b }, ldtr = { 0, 0, 0, 1u << 16 };
	uint64_t rip = G_CODE, rsp = G_STACK;
	switch (r->mode) {
	case MODE_LONG:
		cs = (struct gseg){ SEL_CODE64, 0, 0xffffffff, 0xa09b };
		data = (struct gseg){ SEL_DATA, 0, 0xffffffff, 0xc093 };
		break;
	case MODE_PM32:
		cs = (struct gseg){ SEL_CODE32, 0, 0xffffffff, 0xc09b };
		data = (struct gseg){ SEL_DATA, 0, 0xffffffff, 0xc093 };
		break;
	default:
		cs = (struct gseg){ G_CODE >> 4, G_CODE, 0xffff, 0x9b };
		data = (struct gseg){ G_CODE >> 4, G_CODE, 0xffff, 0x93 };
		rip = 0;
		rsp = G_STACK - G_CODE - 0x10;
		break;
	}
	for (unsigned i = 0; i < 6; i++)
		write_seg(i, i == 1 ? &cs : &data);
	write_seg(6, &ldtr);
	write_seg(7, &tr);
	vmw(GUEST_GDTR_BASE, G_GDT);
	vmw(GUEST_GDTR_LIMIT, 0x2f);
	vmw(GUEST_IDTR_BASE, r->mode == MODE_REAL ? 0 : G_IDT);
	vmw(GUEST_IDTR_LIMIT, (h[0] & 0x10) ? 0 : r->mode == MODE_LONG ? 0xfff :
				 r->mode == MODE_PM32 ? 0x7ff : 0x3ff);
	vmw(GUEST_RIP, rip);
	vmw(GUEST_RSP, rsp);
	uint64_t rflags = 2 | ((h[0] & 0x04) ? 0x200 : 0) | ((h[0] & 0x08) ? 0x100 : 0);

	vmw(GUEST_ACTIVITY_STATE, 0);
	vmw(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmw(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmw(GUEST_SYSENTER_CS, 0);
	vmw(GUEST_SYSENTER_ESP, 0);
	vmw(GUEST_SYSENTER_EIP, 0);
	host_state();
	vmw(HOST_IA32_EFER, rdmsr(MSR_EFER));
	if (r->exit & VM_EXIT_LOAD_IA32_PAT)
		vmw(HOST_IA32_PAT, rdmsr(MSR_PAT));

	/* The event injected at VMLAUNCH, valid by construction. */
	uint32_t info = 0, ec = h[13];
	unsigned vec = h[12], len = (h[11] >> 3) & 15;
	bool pe = r->mode != MODE_REAL;
	switch (h[11] & 7) {
	case 1:
		if (r->pin & PIN_BASED_VIRTUAL_NMIS)
			info = 2 | 2u << 8;
		break;
	case 2:
		info = (vec < 32 ? vec + 32 : vec) | 0u << 8;
		rflags |= 0x200;
		break;
	case 3:
		vec &= 31;
		if (vec == 2)
			vec = 0;
		info = vec | 3u << 8;
		if (pe && (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17))
			info |= 1u << 11;
		break;
	case 4:
		info = vec | 4u << 8;
		break;
	case 5:
		info = (3 + (vec & 1)) | 6u << 8;
		break;
	case 6:
		if (allowed1(C.proc, CPU_BASED_MONITOR_TRAP_FLAG))
			info = 7u << 8;
		break;
	}
	if (info) {
		if (((info >> 8) & 7) >= 4 && ((info >> 8) & 7) <= 6 && !len)
			len = (C.misc & (1u << 30)) ? 0 : 1;
		vmw(VM_ENTRY_INTR_INFO_FIELD, info | 0x80000000u);
		vmw(VM_ENTRY_EXCEPTION_ERROR_CODE, ec);
		vmw(VM_ENTRY_INSTRUCTION_LEN, len);
	} else {
		vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
	}
	vmw(GUEST_RFLAGS, rflags);
	r->reinject = h[11] & 0x80;
	r->timer_small = h[8];
	r->pending_mtf = info == 7u << 8;
	r->rip0 = rip;
}

static void set_gprs(const uint8_t *h)
{
	uint64_t g[16];
	for (int i = 0; i < 16; i++)
		g[i] = G_DATA + (uint64_t)i * 0x1000;
	g[0] = 0;                                        /* RAX */
	g[1] = (h[15] & 0x80) ? 0xc0000000u | h[14] : (uint64_t)h[14] | (uint64_t)(h[15] & 0x7f) << 8;
	g[2] = 0x80;                                     /* RDX: a port */
	vtsim_hosted_set_gprs(M, 0, g);
}

/* ---- exits ---------------------------------------------------------------------------- */

struct exit {
	uint32_t reason, len, intr, intr_err, idt, idt_err;
	uint64_t qual, gpa, rip, cr0;
};

static bool insn_exit(unsigned b)
{
	switch (b) {
	case 10: case 11: case 12: case 13: case 14: case 15: case 16:
	case 18: case 19: case 20: case 21: case 22: case 23: case 24: case 25: case 26: case 27:
	case 28: case 29: case 30: case 31: case 32: case 36: case 39: case 40: case 46: case 47:
	case 50: case 51: case 53: case 54: case 55: case 57: case 58: case 59: case 61: case 63:
	case 64: case 65: case 67: case 68: case 69: case 76: case 77: case 78: case 79: case 80:
	case 81: case 84: case 85:
		return true;
	default:
		return false;
	}
}

static bool pushes_error(unsigned vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21;
}

static void check_event(const char *what, uint32_t info, bool pe, bool exception_exit)
{
	unsigned vec = info & 0xff, type = (info >> 8) & 7;
	if ((info >> 13) & 0x3ffff)
		fail("%s 0x%x: reserved bits 30:13 set", what, info);
	if (type == 1 || type == 7)
		fail("%s 0x%x: type %u is reserved", what, info, type);
	if (type == 2 && vec != 2)
		fail("%s 0x%x: an NMI with vector %u", what, info, vec);
	if (type == 3 && vec > 31)
		fail("%s 0x%x: a hardware exception with vector %u", what, info, vec);
	if (type == 6 && vec != 3 && vec != 4)
		fail("%s 0x%x: a software exception with vector %u", what, info, vec);
	if (type == 5 && vec != 1)
		fail("%s 0x%x: a privileged software exception (INT1) with vector %u", what, info, vec);
	if ((info & (1u << 11)) && (type != 3 || !pushes_error(vec) || !pe))
		fail("%s 0x%x: an error code for type %u vector %u%s", what, info, type, vec,
		     pe ? "" : " with CR0.PE = 0");
	if (exception_exit && type != 3 && type != 5 && type != 6)
		fail("%s 0x%x: exception exit of type %u", what, info, type);
}

static bool msr_should_exit(const struct run *r, uint32_t idx, bool write)
{
	if (!r->msr_bitmaps)
		return true;
	uint64_t base = H_MSRBM + (write ? 0x800 : 0);
	if (idx >= 0xc0000000u && idx <= 0xc0001fffu) {
		base += 0x400;
		idx -= 0xc0000000u;
	} else if (idx > 0x1fff) {
		return true;
	}
	return (RAM[base + idx / 8] >> (idx % 8)) & 1;
}

static bool io_should_exit(const struct run *r, unsigned port, unsigned size)
{
	if (!r->io_bitmaps)
		return r->proc & CPU_BASED_UNCOND_IO_EXITING;
	for (unsigned i = 0; i < size; i++) {
		unsigned p = port + i;
		if (p > 0xffff)
			return true;
		uint64_t bm = p < 0x8000 ? H_IOA : H_IOB;
		if ((RAM[bm + (p & 0x7fff) / 8] >> (p % 8)) & 1)
			return true;
	}
	return false;
}

/* Every field of the exit, checked against the controls in force. */
/* The entries logged so far (above the index, or all 512 once it left 0-511) are
 * guest-physical addresses of 4 KiB pages. */
static void check_pml(void)
{
	uint16_t idx = (uint16_t)vmr(GUEST_PML_INDEX);
	for (unsigned i = idx < 512 ? idx + 1u : 0; i < 512; i++)
		if (get64(H_PML + i * 8) & 0xfff)
			fail("PML entry %u is 0x%llx, not a 4 KiB-aligned GPA", i,
			     (unsigned long long)get64(H_PML + i * 8));
}

static void check_exit(const struct run *r, const struct exit *x)
{
	unsigned b = x->reason & 0xffff;
	bool pe = x->cr0 & 1;
	uint64_t q = x->qual;
	uint64_t g[16];
	if (x->reason >> 16)
		fail("exit reason 0x%x: bits 31:16 set", x->reason);
	if (b >= 86 || !strcmp(vmx_exit_reason_name(b), "RESERVED"))
		fail("exit reason %u is not an architected basic exit reason", b);
	if (insn_exit(b) && (x->len < 1 || x->len > 15))
		fail("exit %u (%s): instruction length %u", b, vmx_exit_reason_name(b), x->len);
	if (x->idt & 0x80000000u)
		check_event("IDT-vectoring information", x->idt, pe, false);
	/* A 64-bit guest's RIP is canonical at every exit: a branch to a
	 * non-canonical address faults at the branch (SDM Vol. 2 JMP, "64-Bit Mode
	 * Exceptions"), and entry checks the RIP it loads. Entry failures save none. */
	if (!(x->reason & 0x80000000u) && (vmr(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE) &&
	    (vmr(GUEST_CS_AR_BYTES) & (1u << 13)) &&
	    (uint64_t)((int64_t)(x->rip << 16) >> 16) != x->rip)
		fail("exit %u (%s) saved the non-canonical RIP 0x%llx of a 64-bit guest", b,
		     vmx_exit_reason_name(b), (unsigned long long)x->rip);
	vtsim_hosted_get_gprs(M, 0, g);
	/* An open interrupt or NMI window exits at the boundary before an instruction,
	 * so an instruction's own exit cannot come there first. */
	if (insn_exit(b) && (r->proc & (CPU_BASED_INTR_WINDOW_EXITING | CPU_BASED_NMI_WINDOW_EXITING))) {
		uint64_t intr = vmr(GUEST_INTERRUPTIBILITY_INFO);
		if ((r->proc & CPU_BASED_INTR_WINDOW_EXITING) && (vmr(GUEST_RFLAGS) & 0x200) && !(intr & 3))
			fail("exit %u (%s) at RIP 0x%llx with RFLAGS.IF = 1, no STI/MOV-SS blocking and "
			     "interrupt-window exiting: the window exit comes first", b,
			     vmx_exit_reason_name(b), (unsigned long long)x->rip);
		if ((r->proc & CPU_BASED_NMI_WINDOW_EXITING) && !(intr & 0xb))
			fail("exit %u (%s) at RIP 0x%llx without NMI or STI/MOV-SS blocking and with "
			     "NMI-window exiting: the window exit comes first", b, vmx_exit_reason_name(b),
			     (unsigned long long)x->rip);
	}
	if (r->proc2 & SECONDARY_EXEC_ENABLE_PML)
		check_pml();
	switch (b) {
	case EXIT_REASON_EXCEPTION_NMI: {
		if (!(x->intr & 0x80000000u))
			fail("exception exit without valid interruption information (0x%x)", x->intr);
		check_event("exit interruption information", x->intr, pe, true);
		unsigned vec = x->intr & 0xff;
		if (!((r->exc_bitmap >> vec) & 1))
			fail("exception exit for vector %u, clear in the exception bitmap 0x%x", vec,
			     r->exc_bitmap);
		if ((((x->intr >> 8) & 7) == 6 || ((x->intr >> 8) & 7) == 5) && (x->len < 1 || x->len > 15))
			fail("software exception exit with instruction length %u", x->len);
		/* The qualification: DR6-like bits for #DB (B3-B0, BD, BS, RTM: at least
		 * one says why), the linear address for #PF, else 0. */
		if (vec == 1 && ((x->intr >> 8) & 7) == 3 && (!q || (q & ~0x1600full)))
			fail("#DB exit with qualification 0x%llx (wants B0-B3, BD, BS or RTM)",
			     (unsigned long long)q);
		if (vec != 1 && vec != 14 && q)
			fail("exception exit for vector %u with qualification 0x%llx", vec,
			     (unsigned long long)q);
		break;
	}
	case EXIT_REASON_EXTERNAL_INTERRUPT:
		/* Only PI_OTHER is pending (the notification vector is processed), and
		 * acknowledge on exit saves it. */
		if (!(r->pin & PIN_BASED_EXT_INTR_MASK))
			fail("external-interrupt exit without external-interrupt exiting");
		if (x->intr != (0x80000000u | PI_OTHER))
			fail("external-interrupt exit with interruption information 0x%x, not vector %u "
			     "acknowledged (0x%x)", x->intr, PI_OTHER, 0x80000000u | PI_OTHER);
		if (!r->other_pending)
			fail("a second external-interrupt exit for vector %u, which was acknowledged", PI_OTHER);
		break;
	case EXIT_REASON_TRIPLE_FAULT:
	case EXIT_REASON_TASK_SWITCH:
	case EXIT_REASON_CPUID:
	case EXIT_REASON_GETSEC:
	case EXIT_REASON_INVD:
	case EXIT_REASON_VMCALL:
	case EXIT_REASON_XSETBV:
		break;
	case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMLAUNCH: case EXIT_REASON_VMPTRLD:
	case EXIT_REASON_VMPTRST: case EXIT_REASON_VMREAD: case EXIT_REASON_VMRESUME:
	case EXIT_REASON_VMWRITE: case EXIT_REASON_VMOFF: case EXIT_REASON_VMON:
	case EXIT_REASON_INVEPT: case EXIT_REASON_INVVPID: {
		/* These are #UD, not exits, outside protected mode, in virtual-8086 mode
		 * and in compatibility mode (VMCALL is the exception). */
		bool lma = vmr(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE;
		bool l = vmr(GUEST_CS_AR_BYTES) & (1u << 13);
		if (!pe || (vmr(GUEST_RFLAGS) & (1u << 17)) || (lma && !l))
			fail("%s exit with CR0.PE %d, RFLAGS.VM %d, IA-32e %d, CS.L %d: the instruction is #UD there",
			     vmx_exit_reason_name(b), pe, (int)((vmr(GUEST_RFLAGS) >> 17) & 1), lma, l);
		break;
	}
	case EXIT_REASON_INTERRUPT_WINDOW:
		if (!(r->proc & CPU_BASED_INTR_WINDOW_EXITING))
			fail("interrupt-window exit without interrupt-window exiting");
		break;
	case EXIT_REASON_NMI_WINDOW:
		if (!(r->proc & CPU_BASED_NMI_WINDOW_EXITING))
			fail("NMI-window exit without NMI-window exiting");
		break;
	case EXIT_REASON_HLT:
		if (!(r->proc & CPU_BASED_HLT_EXITING))
			fail("HLT exit without HLT exiting");
		break;
	case EXIT_REASON_INVLPG:
		if (!(r->proc & CPU_BASED_INVLPG_EXITING))
			fail("INVLPG exit without INVLPG exiting");
		break;
	case EXIT_REASON_RDPMC:
		if (!(r->proc & CPU_BASED_RDPMC_EXITING))
			fail("RDPMC exit without RDPMC exiting");
		break;
	case EXIT_REASON_RDTSC:
		if (!(r->proc & CPU_BASED_RDTSC_EXITING))
			fail("RDTSC exit without RDTSC exiting");
		break;
	case EXIT_REASON_RDTSCP:
		if (!(r->proc & CPU_BASED_RDTSC_EXITING) || !(r->proc2 & SECONDARY_EXEC_ENABLE_RDTSCP))
			fail("RDTSCP exit without RDTSC exiting and enable RDTSCP");
		break;
	case EXIT_REASON_CR_ACCESS: {
		unsigned cr = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
		if (q >> 32 || (type <= 1 && (q & 0xf0c0)) || (type == 2 && (q & ~0x30ull)) ||
		    (type == 3 && (q & 0xff8f)))
			fail("CR-access qualification 0x%llx: reserved bits set", (unsigned long long)q);
		if (type == 0 && cr == 3) {
			if (!(r->proc & CPU_BASED_CR3_LOAD_EXITING))
				fail("MOV to CR3 exit without CR3-load exiting");
		} else if (type == 1 && cr == 3) {
			if (!(r->proc & CPU_BASED_CR3_STORE_EXITING))
				fail("MOV from CR3 exit without CR3-store exiting");
		} else if (type == 0 && (cr == 0 || cr == 4)) {
			uint64_t v = reg == 4 ? vmr(GUEST_RSP) : g[reg];   /* RSP is in the VMCS */
			uint64_t mask = cr ? r->cr4_mask : r->cr0_mask, sh = cr ? r->cr4_shadow : r->cr0_shadow;
			if (!(vmr(GUEST_CS_AR_BYTES) & (1u << 13)))
				v = (uint32_t)v;                     /* outside 64-bit mode */
			if (!((v ^ sh) & mask))
				fail("MOV to CR%u exit for 0x%llx, which the mask 0x%llx and shadow 0x%llx "
				     "let through", cr, (unsigned long long)v, (unsigned long long)mask,
				     (unsigned long long)sh);
		} else if (type == 2 && cr == 0) {
			if (!(r->cr0_mask & 8) || !(r->cr0_shadow & 8))
				fail("CLTS exit with CR0 mask 0x%llx shadow 0x%llx",
				     (unsigned long long)r->cr0_mask, (unsigned long long)r->cr0_shadow);
		} else if (type == 3 && cr == 0) {
			if (!(r->cr0_mask & 0xf))
				fail("LMSW exit with CR0 mask 0x%llx", (unsigned long long)r->cr0_mask);
		} else {
			fail("CR-access exit for CR%u type %u, which no control asks for", cr, type);
		}
		break;
	}
	case EXIT_REASON_DR_ACCESS:
		if (!(r->proc & CPU_BASED_MOV_DR_EXITING))
			fail("MOV-DR exit without MOV-DR exiting");
		if (q & ~0xf17ull)
			fail("DR-access qualification 0x%llx: reserved bits set", (unsigned long long)q);
		break;
	case EXIT_REASON_IO_INSTRUCTION: {
		unsigned size = (q & 7) + 1, port = (q >> 16) & 0xffff;
		if (q >> 32 || (q & 0xff80) || (size != 1 && size != 2 && size != 4))
			fail("I/O qualification 0x%llx: reserved bits or a bad size", (unsigned long long)q);
		if (!io_should_exit(r, port, size))
			fail("I/O exit for port 0x%x size %u, which the controls let through", port, size);
		break;
	}
	case EXIT_REASON_MSR_READ:
	case EXIT_REASON_MSR_WRITE:
		if (!msr_should_exit(r, (uint32_t)g[1], b == EXIT_REASON_MSR_WRITE))
			fail("%s exit for MSR 0x%x, clear in the MSR bitmap", vmx_exit_reason_name(b),
			     (uint32_t)g[1]);
		break;
	case EXIT_REASON_MWAIT_INSTRUCTION:
		if (!(r->proc & CPU_BASED_MWAIT_EXITING))
			fail("MWAIT exit without MWAIT exiting");
		break;
	case EXIT_REASON_MONITOR_TRAP_FLAG:
		if (!(r->proc & CPU_BASED_MONITOR_TRAP_FLAG) && !r->pending_mtf)
			fail("MTF exit without the monitor trap flag or a pending MTF VM exit");
		break;
	case EXIT_REASON_MONITOR_INSTRUCTION:
		if (!(r->proc & CPU_BASED_MONITOR_EXITING))
			fail("MONITOR exit without MONITOR exiting");
		break;
	case EXIT_REASON_PAUSE_INSTRUCTION:
		if (!(r->proc & CPU_BASED_PAUSE_EXITING) &&
		    (!(r->proc2 & SECONDARY_EXEC_PAUSE_LOOP_EXITING) || ((vmr(GUEST_SS_AR_BYTES) >> 5) & 3)))
			fail("PAUSE exit without PAUSE exiting, nor PAUSE-loop exiting at CPL 0");
		break;
	case EXIT_REASON_PML_FULL:
		if (!(r->proc2 & SECONDARY_EXEC_ENABLE_PML))
			fail("PML-full exit without page-modification logging");
		if ((uint16_t)vmr(GUEST_PML_INDEX) < 512)
			fail("PML-full exit with the PML index at %llu, in range",
			     (unsigned long long)(uint16_t)vmr(GUEST_PML_INDEX));
		if (q & ~(1ull << 12))
			fail("PML-full qualification 0x%llx: reserved bits set", (unsigned long long)q);
		break;
	case EXIT_REASON_VMFUNC:
		if (!(r->proc2 & SECONDARY_EXEC_ENABLE_VMFUNC))
			fail("VMFUNC exit without VM functions");
		if ((uint32_t)g[0] == 0 && (uint32_t)g[1] < 2)
			fail("VMFUNC exit for EPTP switching to entry %u, a valid EPTP", (uint32_t)g[1]);
		if (q)
			fail("VMFUNC exit with qualification 0x%llx", (unsigned long long)q);
		break;
	case EXIT_REASON_GDTR_IDTR:
	case EXIT_REASON_LDTR_TR:
		if (!(r->proc2 & SECONDARY_EXEC_DESC))
			fail("%s exit without descriptor-table exiting", vmx_exit_reason_name(b));
		break;
	case EXIT_REASON_WBINVD:
		if (!(r->proc2 & SECONDARY_EXEC_WBINVD_EXITING))
			fail("WBINVD exit without WBINVD exiting");
		break;
	case EXIT_REASON_PREEMPTION_TIMER:
		if (!(r->pin & PIN_BASED_VMX_PREEMPTION_TIMER))
			fail("preemption-timer exit without the timer");
		break;
	case EXIT_REASON_EPT_VIOLATION: {
		if (!r->ept)
			fail("EPT violation without EPT");
		uint64_t allowed = 0x1ff | (1u << 12) | (1u << 16) | ((C.ept >> 22) & 1 ? 0xe00 : 0);
		if (q & ~allowed)
			fail("EPT-violation qualification 0x%llx: reserved bits set", (unsigned long long)q);
		if (!(q & 7))
			fail("EPT-violation qualification 0x%llx: no access", (unsigned long long)q);
		if ((q & (1u << 8)) && !(q & (1u << 7)))
			fail("EPT-violation qualification 0x%llx: bit 8 without bit 7", (unsigned long long)q);
		bool mis;
		unsigned rwx = ept_expect(x->gpa, &mis);
		if (mis)
			fail("EPT violation at GPA 0x%llx, whose entry is misconfigured",
			     (unsigned long long)x->gpa);
		if (((q >> 3) & 7) != rwx)
			fail("EPT violation at GPA 0x%llx reports permissions %u, the entries give %u",
			     (unsigned long long)x->gpa, (unsigned)(q >> 3) & 7, rwx);
		if (!(q & 7 & ~rwx))
			fail("EPT violation at GPA 0x%llx for access %u, which permissions %u allow",
			     (unsigned long long)x->gpa, (unsigned)q & 7, rwx);
		break;
	}
	case EXIT_REASON_EPT_MISCONFIG: {
		if (!r->ept)
			fail("EPT misconfiguration without EPT");
		bool mis;
		ept_expect(x->gpa, &mis);
		if (!mis)
			fail("EPT misconfiguration at GPA 0x%llx, whose entries are well formed (PTE 0x%llx)",
			     (unsigned long long)x->gpa,
			     (unsigned long long)(x->gpa < G_SIZE ? get64(H_EPT + (x->gpa >> 12) * 8) : 0));
		if (q)
			fail("EPT misconfiguration with qualification 0x%llx", (unsigned long long)q);
		break;
	}
	default:
		fail("exit %u (%s), which no control of this guest asks for", b, vmx_exit_reason_name(b));
	}
}

/* ---- the instruction at the exit's RIP ------------------------------------------------ */

/* Guest-linear to guest-physical through 4-level paging (or none), then through the
 * EPT as built (an identity map); false when that cannot be followed here. */
static bool guest_phys(const struct run *r, uint64_t la, uint64_t cr0, uint64_t cr3, bool lma,
		       uint64_t *pa)
{
	uint64_t a = la;
	bool mis;
	if (cr0 & (1ull << 31)) {
		if (!lma)
			return false;                   /* 32-bit or PAE paging: not followed */
		uint64_t t = cr3 & 0xffffffffff000ull;
		for (int level = 4;; level--) {
			uint64_t ea = t + ((la >> (3 + 9 * level)) & 511) * 8;
			if (ea + 8 > G_SIZE || (r->ept && !(ept_expect(ea, &mis) & EPT_R)))
				return false;
			uint64_t e = get64(ea);
			if (!(e & 1))
				return false;
			if (level == 1 || (level <= 3 && (e & 0x80))) {
				uint64_t off = (1ull << (3 + 9 * level)) - 1;
				a = (e & 0xffffffffff000ull & ~off) | (la & off);
				break;
			}
			t = e & 0xffffffffff000ull;
		}
	}
	if (a >= G_SIZE || (r->ept && !ept_expect(a, &mis)))
		return false;
	*pa = a;
	return true;
}

/* Up to 15 bytes of the instruction at the guest's RIP; how many were found. */
static unsigned fetch_insn(const struct run *r, uint8_t *b, bool *long64, unsigned *asize)
{
	uint64_t rip = vmr(GUEST_RIP), cr0 = vmr(GUEST_CR0), cr3 = vmr(GUEST_CR3);
	uint32_t ar = (uint32_t)vmr(GUEST_CS_AR_BYTES);
	bool lma = vmr(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE;
	*long64 = lma && (ar & (1u << 13));
	*asize = *long64 ? 64 : (ar & (1u << 14)) ? 32 : 16;
	uint64_t la = *long64 ? rip : (vmr(GUEST_CS_BASE) + rip) & 0xffffffffull;
	unsigned n = 0;
	while (n < 15) {
		uint64_t pa;
		if (!guest_phys(r, la + n, cr0, cr3, lma, &pa))
			break;
		unsigned chunk = 4096 - (unsigned)(pa & 0xfff);
		if (chunk > 15 - n)
			chunk = 15 - n;
		memcpy(b + n, RAM + pa, chunk);
		n += chunk;
	}
	return n;
}

/* Bytes a ModRM byte (and SIB and displacement) take, for the address size. */
static unsigned modrm_len(const uint8_t *m, unsigned left, unsigned asize)
{
	if (!left)
		return 99;
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	if (mod == 3)
		return 1;
	if (asize == 16)
		return 1 + (mod == 1 ? 1 : mod == 2 || (mod == 0 && rm == 6) ? 2 : 0);
	unsigned n = 1;
	if (rm == 4) {
		if (left < 2)
			return 99;
		n++;
		if (mod == 0 && (m[1] & 7) == 5)
			n += 4;
	}
	if (mod == 0 && rm == 5)
		n += 4;
	return n + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/* For the instruction exits whose instruction has a fixed form: does the code at
 * RIP hold that instruction, and is the reported length its length? */
static void check_insn(const struct run *r, unsigned reason, const struct exit *x)
{
	uint8_t b[16] = { 0 };
	bool long64;
	unsigned asize, n = fetch_insn(r, b, &long64, &asize);
	if (n < 15)
		return;
	unsigned i = 0;
	bool f3 = false;
	for (;; i++) {
		uint8_t c = b[i];
		if (c == 0x66 || c == 0xf2 || c == 0xf0 || c == 0x2e || c == 0x36 || c == 0x3e ||
		    c == 0x26 || c == 0x64 || c == 0x65 || (long64 && (c & 0xf0) == 0x40)) {
			f3 = false;
			continue;
		}
		if (c == 0x67) {
			asize = asize == 64 ? 32 : asize == 32 ? 16 : 32;
			continue;
		}
		if (c == 0xf3) {
			f3 = true;
			continue;
		}
		break;
	}
	if (i >= 14)
		return;
	const uint8_t *o = b + i;
	unsigned left = 15 - i, want = 0, reg = (o[2] >> 3) & 7;
	bool ok;
	/* 0F xx with no operands, 0F 01 xx, and the ModRM forms. */
#define OP2(x) (o[0] == 0x0f && o[1] == (x))
#define OP3(x) (o[0] == 0x0f && o[1] == 0x01 && o[2] == (x))
	switch (reason) {
	case EXIT_REASON_CPUID:   ok = OP2(0xa2); want = 2; break;
	case EXIT_REASON_GETSEC:  ok = OP2(0x37); want = 2; break;
	case EXIT_REASON_INVD:    ok = OP2(0x08); want = 2; break;
	case EXIT_REASON_RDPMC:   ok = OP2(0x33); want = 2; break;
	case EXIT_REASON_RDTSC:   ok = OP2(0x31); want = 2; break;
	case EXIT_REASON_MSR_READ:  ok = OP2(0x32); want = 2; break;
	case EXIT_REASON_MSR_WRITE: ok = OP2(0x30); want = 2; break;
	case EXIT_REASON_WBINVD:  ok = OP2(0x09); want = 2; break;
	case EXIT_REASON_HLT:     ok = o[0] == 0xf4; want = 1; break;
	case EXIT_REASON_PAUSE_INSTRUCTION: ok = o[0] == 0x90 && f3; want = 1; break;
	case EXIT_REASON_VMCALL:  ok = OP3(0xc1); want = 3; break;
	case EXIT_REASON_VMLAUNCH: ok = OP3(0xc2); want = 3; break;
	case EXIT_REASON_VMRESUME: ok = OP3(0xc3); want = 3; break;
	case EXIT_REASON_VMOFF:   ok = OP3(0xc4); want = 3; break;
	case EXIT_REASON_MONITOR_INSTRUCTION: ok = OP3(0xc8); want = 3; break;
	case EXIT_REASON_MWAIT_INSTRUCTION: ok = OP3(0xc9); want = 3; break;
	case EXIT_REASON_XSETBV:  ok = OP3(0xd1); want = 3; break;
	case EXIT_REASON_RDTSCP:  ok = OP3(0xf9); want = 3; break;
	case EXIT_REASON_VMFUNC:  ok = OP3(0xd4); want = 3; break;
	case EXIT_REASON_IO_INSTRUCTION:
		ok = (o[0] >= 0xe4 && o[0] <= 0xe7) || (o[0] >= 0xec && o[0] <= 0xef) ||
		     (o[0] >= 0x6c && o[0] <= 0x6f);
		want = o[0] <= 0xe7 && o[0] >= 0xe4 ? 2 : 1;
		break;
	case EXIT_REASON_DR_ACCESS:
		ok = OP2(0x21) || OP2(0x23);
		want = 3;                               /* the ModRM is always a register form */
		break;
	case EXIT_REASON_CR_ACCESS:
		if (OP2(0x20) || OP2(0x22)) {
			ok = true;
			want = 3;
		} else if (OP2(0x06)) {
			ok = true;
			want = 2;
		} else {
			ok = OP2(0x01) && reg == 6;     /* LMSW */
			want = 2 + modrm_len(o + 2, left - 2, asize);
		}
		break;
	case EXIT_REASON_INVLPG:
		ok = OP2(0x01) && reg == 7 && (o[2] >> 6) != 3;
		want = 2 + modrm_len(o + 2, left - 2, asize);
		break;
	case EXIT_REASON_GDTR_IDTR:
		ok = OP2(0x01) && reg <= 3 && (o[2] >> 6) != 3;
		want = 2 + modrm_len(o + 2, left - 2, asize);
		break;
	case EXIT_REASON_LDTR_TR:
		ok = OP2(0x00) && reg <= 3;
		want = 2 + modrm_len(o + 2, left - 2, asize);
		break;
	case EXIT_REASON_VMCLEAR: case EXIT_REASON_VMPTRLD: case EXIT_REASON_VMPTRST:
	case EXIT_REASON_VMON:
		ok = OP2(0xc7) && (reg == 6 || reg == 7);
		want = 2 + modrm_len(o + 2, left - 2, asize);
		break;
	case EXIT_REASON_VMREAD:
	case EXIT_REASON_VMWRITE:
		ok = OP2(reason == EXIT_REASON_VMREAD ? 0x78 : 0x79);
		want = 2 + modrm_len(o + 2, left - 2, asize);
		break;
	case EXIT_REASON_INVEPT:
	case EXIT_REASON_INVVPID:
		ok = OP2(0x38) && o[2] == (reason == EXIT_REASON_INVEPT ? 0x80 : 0x81);
		want = 3 + modrm_len(o + 3, left - 3, asize);
		break;
	case EXIT_REASON_EXCEPTION_NMI:
		if (((x->intr >> 8) & 7) == 5) {        /* INT1 */
			ok = o[0] == 0xf1;
			want = 1;
			break;
		}
		if (((x->intr >> 8) & 7) != 6)
			return;
		ok = o[0] == ((x->intr & 0xff) == 3 ? 0xcc : 0xce);
		want = 1;
		break;
	default:
		return;
	}
#undef OP2
#undef OP3
	if (!ok)
		fail("exit %u (%s) at RIP 0x%llx, where the code is %02x %02x %02x %02x %02x %02x", reason,
		     vmx_exit_reason_name(reason), (unsigned long long)x->rip, b[0], b[1], b[2], b[3], b[4],
		     b[5]);
	if (want < 16 && i + want != x->len)
		fail("exit %u (%s) at RIP 0x%llx: instruction length %u, the instruction (%02x %02x %02x "
		     "%02x %02x %02x ...) is %u bytes", reason, vmx_exit_reason_name(reason),
		     (unsigned long long)x->rip, x->len, b[0], b[1], b[2], b[3], b[4], b[5], i + want);
}

static void invept(const struct run *r)
{
	struct vtsim_vmx_result res;
	uint64_t desc[2] = { r->eptp, 0 };
	vmx(VTSIM_INVEPT, r->invept_global ? 2 : 1, 0, desc, 16, &res);
	if (res.outcome != VTSIM_VMSUCCEED)
		fail("INVEPT: outcome %d error %u", res.outcome, res.error);
}

/* To the HLT at G_HANDLER, unless the guest wrote over it. */
static bool skip_to_hlt(void)
{
	if (RAM[G_HANDLER] != 0xf4)
		return false;
	vmw(GUEST_RIP, G_HANDLER - vmr(GUEST_CS_BASE));
	vmw(GUEST_INTERRUPTIBILITY_INFO, vmr(GUEST_INTERRUPTIBILITY_INFO) & ~3ull);
	return true;
}

static const char *outcome_name(enum vtsim_vmx_outcome o)
{
	static const char *const n[] = { "VMsucceed", "VMfailInvalid", "VMfailValid", "fault",
					 "VM exit", "entry failed", "stopped" };
	return (unsigned)o < 7 ? n[o] : "?";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR || size > HDR + CODE_MAX)
		return 0;
	if (debug < 0)
		debug = getenv("VG_DEBUG") != NULL;
	if (!M) {
		machine_up();
		machine_snapshot();
	}
	/* Every input starts from the machine as VMXON left it: RAM, registers, the
	 * TSC (which the preemption timer and the guest's RDTSC read) and the VMX
	 * state, whatever the inputs before did. */
	char err[256];
	if (vtsim_snapshot_restore(M, SNAP, err, sizeof(err)))
		fail("vtsim_snapshot_restore: %s", err);
	const uint8_t *h = data;

	/* A fresh VMCS (launch state clear) and a fresh guest. */
	struct run r;
	vmptr_op(VTSIM_VMCLEAR, H_VMCS);
	memset(RAM + H_VMCS, 0, 4096);
	memcpy(RAM + H_VMCS, &C.rev, 4);
	vmptr_op(VTSIM_VMPTRLD, H_VMCS);
	if (full_flush < 0)
		full_flush = getenv("VG_FLUSH") != NULL;
	build_vmcs(h, &r);
	build_guest(h, data + HDR, size - HDR, &r);
	commit_guest_memory();
	set_gprs(h);
	if (r.ept) {
		build_ept(h + 16);
		invept(&r);
	}

	uint64_t rate = C.misc & 0x1f, used = 0;
	for (unsigned n = 0; n < MAX_ENTRIES && used < BUDGET; n++) {
		uint64_t timer = 0;
		if (r.pin & PIN_BASED_VMX_PREEMPTION_TIMER) {
			timer = (h[2] & 0x04) ? r.timer_small : ((BUDGET - used) >> rate) + 1;
			vmw(VMX_PREEMPTION_TIMER_VALUE, timer);
		}
		struct vtsim_vmx_result res;
		uint64_t t0 = tsc();
		vmx(n ? VTSIM_VMRESUME : VTSIM_VMLAUNCH, 0, 0, NULL, 0, &res);
		if (res.outcome == VTSIM_VMX_STOPPED) {
			const char *why = vtsim_machine_stop_message(M);
			if (!strncmp(why, "instruction limit", 17) && timer)
				fail("entry %u: the input ran past %llu instructions, a hang (the preemption timer "
				     "at %llu, rate %llu, did not end the entry)", n, (unsigned long long)INSN_LIMIT,
				     (unsigned long long)timer, (unsigned long long)rate);
			if (!strncmp(why, "instruction limit", 17)) {
				machine_down();
				return 0;
			}
			fail("the machine stopped during VM%s (entry %u): %s", n ? "RESUME" : "LAUNCH", n, why);
		}
		uint64_t ran = tsc() - t0;
		used += ran;
		if (timer && ran > (timer << rate) + SLACK)
			fail("entry %u ran %llu instructions with the preemption timer at %llu (rate %llu)", n,
			     (unsigned long long)ran, (unsigned long long)timer, (unsigned long long)rate);
		if (res.outcome == VTSIM_ENTRY_FAILED) {
			struct vtsim_entry_failure f;
			vtsim_last_entry_failure(M, 0, &f);
			fail("VM entry %u failed (exit reason 0x%llx): %s %s = 0x%llx: %s", n,
			     (unsigned long long)vmr(VM_EXIT_REASON), f.check ? f.check : "?",
			     f.field ? f.field : "", (unsigned long long)f.value, f.rule ? f.rule : "");
		}
		if (res.outcome != VTSIM_VMEXIT)
			fail("VM%s (entry %u): %s, error %u", n ? "RESUME" : "LAUNCH", n,
			     outcome_name(res.outcome), res.error);

		struct exit x = {
			.reason = (uint32_t)vmr(VM_EXIT_REASON), .qual = vmr(EXIT_QUALIFICATION),
			.len = (uint32_t)vmr(VM_EXIT_INSTRUCTION_LEN), .intr = (uint32_t)vmr(VM_EXIT_INTR_INFO),
			.intr_err = (uint32_t)vmr(VM_EXIT_INTR_ERROR_CODE),
			.idt = (uint32_t)vmr(IDT_VECTORING_INFO_FIELD),
			.idt_err = (uint32_t)vmr(IDT_VECTORING_ERROR_CODE), .rip = vmr(GUEST_RIP),
			.cr0 = vmr(GUEST_CR0),
		};
		if (r.ept)
			x.gpa = vmr(GUEST_PHYSICAL_ADDRESS);
		unsigned b = x.reason & 0xffff;
		if (debug)
			fprintf(stderr, "entry %u: exit %u %s qual=0x%llx len=%u rip=0x%llx intr=0x%x idt=0x%x "
				"gpa=0x%llx rflags=0x%llx intr_state=0x%llx insns=%llu\n", n, b,
				vmx_exit_reason_name(b), (unsigned long long)x.qual, x.len,
				(unsigned long long)x.rip, x.intr, x.idt, (unsigned long long)x.gpa,
				(unsigned long long)vmr(GUEST_RFLAGS),
				(unsigned long long)vmr(GUEST_INTERRUPTIBILITY_INFO), (unsigned long long)ran);
		/* A pending MTF VM exit injected by VM entry comes before any instruction. */
		if (n == 0 && r.pending_mtf && (b != EXIT_REASON_MONITOR_TRAP_FLAG || x.rip != r.rip0))
			fail("VMLAUNCH injected a pending MTF VM exit; the first exit is %u (%s) at RIP "
			     "0x%llx, not MTF at 0x%llx", b, vmx_exit_reason_name(b),
			     (unsigned long long)x.rip, (unsigned long long)r.rip0);
		check_exit(&r, &x);
		check_insn(&r, b, &x);
		if (r.pi)
			check_posted(&r);
		r.pending_mtf = false;              /* it was the first exit */
		if (b == EXIT_REASON_EXTERNAL_INTERRUPT)
			r.other_pending = false;

		/* Re-inject an event whose delivery the exit interrupted (KVM's
		 * __vmx_complete_interrupts); blocking that would refuse it goes. */
		vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
		if (r.reinject && (x.idt & 0x80000000u)) {
			unsigned type = (x.idt >> 8) & 7;
			uint64_t intr = vmr(GUEST_INTERRUPTIBILITY_INFO) & ~3ull;
			if (type == 2)
				intr &= ~8ull;
			vmw(GUEST_INTERRUPTIBILITY_INFO, intr);
			if (type == 0)
				vmw(GUEST_RFLAGS, vmr(GUEST_RFLAGS) | 0x200);
			vmw(VM_ENTRY_EXCEPTION_ERROR_CODE, x.idt_err);
			vmw(VM_ENTRY_INSTRUCTION_LEN, type >= 4 && type <= 6 ? x.len : 0);
			vmw(VM_ENTRY_INTR_INFO_FIELD, x.idt & ~(1u << 12));
		}

		switch (b) {
		case EXIT_REASON_HLT:
		case EXIT_REASON_TRIPLE_FAULT:
		case EXIT_REASON_TASK_SWITCH:
			return 0;
		case EXIT_REASON_EXCEPTION_NMI:
			vmw(VM_ENTRY_INTR_INFO_FIELD, 0);
			if (!skip_to_hlt())
				return 0;
			break;
		case EXIT_REASON_EPT_VIOLATION:
		case EXIT_REASON_EPT_MISCONFIG:
			if (x.gpa >= G_SIZE)
				return 0;
			ept_set((unsigned)(x.gpa >> 12), (x.gpa & ~0xfffull) | EPT_WB | 7);
			invept(&r);
			break;
		case EXIT_REASON_MONITOR_TRAP_FLAG:
			r.proc &= ~CPU_BASED_MONITOR_TRAP_FLAG;
			vmw(CPU_BASED_VM_EXEC_CONTROL, r.proc);
			break;
		case EXIT_REASON_INTERRUPT_WINDOW:
			r.proc &= ~CPU_BASED_INTR_WINDOW_EXITING;
			vmw(CPU_BASED_VM_EXEC_CONTROL, r.proc);
			break;
		case EXIT_REASON_NMI_WINDOW:
			r.proc &= ~CPU_BASED_NMI_WINDOW_EXITING;
			vmw(CPU_BASED_VM_EXEC_CONTROL, r.proc);
			break;
		case EXIT_REASON_PREEMPTION_TIMER:
			break;
		case EXIT_REASON_PML_FULL:
			vmw(GUEST_PML_INDEX, 511);
			break;
		default:
			if (insn_exit(b)) {
				vmw(GUEST_RIP, x.rip + x.len);
				vmw(GUEST_INTERRUPTIBILITY_INFO, vmr(GUEST_INTERRUPTIBILITY_INFO) & ~3ull);
			}
			break;
		}
	}
	return 0;
}
