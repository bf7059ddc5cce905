/* Port I/O: one table of devices, one dispatch loop. */
#include "sim/cpu/io.h"

#include "sim/cpu/fw_cfg.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/ioapic.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/pc_ports.h"
#include "sim/cpu/vmx_guest.h"
#include "sim/vmcs/caps.h"
#include "sim/vmcs/controls.h"
#include "sim/vmcs/exit_reasons.h"

/* Byte-wide devices see a wider access as one byte per port, as on an ISA bus;
 * the debug-exit, fw_cfg and PCI configuration ports take the whole access. */
struct io_dev {
	uint16_t first, last;
	const char *name;
	bool byte_wide;
	uint32_t (*read)(struct lp *lp, uint16_t port, unsigned size);
	void (*write)(struct lp *lp, uint16_t port, unsigned size, uint32_t v);
};

static void console_putc(struct vtsim_machine *m, uint8_t c)
{
	fputc(c, m->console);
	if (c == '\n')
		fflush(m->console);
}

/* COM1 (uart.c): its transmitted bytes are the console. */
static uint32_t com1_read(struct lp *lp, uint16_t port, unsigned size)
{
	return uart_read(&lp->m->com1, port - 0x3f8);
}

static void com1_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	if (uart_write(&lp->m->com1, port - 0x3f8, (uint8_t)v))
		console_putc(lp->m, (uint8_t)v);
}

static uint32_t e9_read(struct lp *lp, uint16_t port, unsigned size) { return 0xe9; }
static void e9_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	console_putc(lp->m, (uint8_t)v);
}

static uint32_t exit_read(struct lp *lp, uint16_t port, unsigned size) { return 0xffffffffu; }
static void exit_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	machine_stop(lp->m, lp, VTSIM_STOP_DEBUG_EXIT, (int)((v << 1) | 1),
		     "debug exit: value 0x%x, exit status %u", v, ((v << 1) | 1) & 0xff);
}

static const struct io_dev devices[] = {
	{ 0x3f8, 0x3ff, "COM1", true, com1_read, com1_write },
	{ 0xe9, 0xe9, "debugcon", true, e9_read, e9_write },
	{ 0xf4, 0xf4, "isa-debug-exit", false, exit_read, exit_write },
	{ 0x20, 0x21, "PIC master", true, pic_io_read, pic_io_write },
	{ 0xa0, 0xa1, "PIC slave", true, pic_io_read, pic_io_write },
	{ 0x510, 0x511, "fw_cfg", false, fw_cfg_io_read, fw_cfg_io_write },
	{ 0xcf8, 0xcff, "PCI configuration", false, pci_conf_io_read, pci_conf_io_write },
	{ TESTDEV_IRQ_PORT, TESTDEV_IRQ_PORT + IOAPIC_PINS - 1, "pc-testdev IRQ lines", true, testdev_irq_io_read, testdev_irq_io_write },
};

static const struct io_dev *find_dev(uint16_t port)
{
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
		if (port >= devices[i].first && port <= devices[i].last)
			return &devices[i];
	return NULL;
}

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

uint32_t io_read(struct lp *lp, uint16_t port, unsigned size)
{
	const struct io_dev *d = find_dev(port);
	if (d && !d->byte_wide)
		return d->read(lp, port, size) & size_mask(size);
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		const struct io_dev *b = find_dev(p);
		uint32_t byte = b && b->byte_wide ? b->read(lp, p, 1) & 0xff : 0xff;
		v |= byte << (8 * i);
	}
	return v;
}

void io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t value)
{
	const struct io_dev *d = find_dev(port);
	if (d && !d->byte_wide) {
		d->write(lp, port, size, value & size_mask(size));
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		const struct io_dev *b = find_dev(p);
		if (b && b->byte_wide)
			b->write(lp, p, 1, (value >> (8 * i)) & 0xff);
	}
}

/* In VMX non-root operation: does an access of `size` bytes at `port` exit?
 * "Unconditional I/O exiting" without I/O bitmaps: always; with bitmaps (A for
 * ports 0-7FFFh, B for 8000h-FFFFh): any accessed port's bit, or a wrap past FFFFh. */
static bool io_exits(struct lp *lp, uint16_t port, unsigned size)
{
	const struct vmcs_cache *v = &lp->vmx.vmcs;
	uint64_t proc = vmcs_read_enc(v, CPU_BASED_VM_EXEC_CONTROL);
	if (!(proc & CPU_BASED_USE_IO_BITMAPS))
		return proc & CPU_BASED_UNCOND_IO_EXITING;
	for (unsigned i = 0; i < size; i++) {
		uint32_t p = (uint32_t)port + i;
		if (p > 0xffff)
			return true;
		uint64_t bitmap = vmcs_read_enc(v, p < 0x8000 ? IO_BITMAP_A : IO_BITMAP_B);
		uint8_t byte;
		phys_read(&lp->m->pm, bitmap + (p & 0x7fff) / 8, &byte, 1);
		if ((byte >> (p % 8)) & 1)
			return true;
	}
	return false;
}

/* INS and OUTS name memory: the exit reports its linear address (SDM "Guest Linear
 * Address": segment base plus RSI or RDI cut to the address size; in 64-bit mode
 * only FS and GS have a base) and, where IA32_VMX_BASIC[54] says so, the address
 * size (9:7) and segment register (17:15) in the instruction information (SDM
 * "VM-Exit Instruction Information", INS/OUTS: ES for INS, DS or the override for
 * OUTS). `a32` is set when a 67H prefix is present, `seg_override` the last
 * segment prefix's register (or -1). */
static void string_operand(struct lp *lp, const struct cpu_view *v, bool in, bool a67, int seg_override,
			   struct vmx_exit_info *xi)
{
	bool long64 = cpu_view_long64(v);
	unsigned asize = long64 ? 2 : ((v->segs[SEG_CS].attr >> 14) & 1);   /* 0 16, 1 32, 2 64 */
	if (a67)
		asize = long64 ? 1 : asize ^ 1;
	unsigned seg = in ? SEG_ES : seg_override >= 0 ? (unsigned)seg_override : SEG_DS;
	uint64_t off = v->gpr[in ? 7 : 6];
	off &= asize == 2 ? ~0ull : asize == 1 ? 0xffffffffull : 0xffffull;
	uint64_t base = long64 && seg != SEG_FS && seg != SEG_GS ? 0 : v->segs[seg].base;
	uint64_t la = base + off;
	xi->guest_linear = long64 ? la : (uint32_t)la;
	uint64_t basic = 0;
	vmcs_caps_rdmsr(lp->m->vmx_caps, MSR_IA32_VMX_BASIC, &basic);
	if (basic & (1ull << 54))
		xi->insn_info = asize << 7 | seg << 15;
}

/* The segment register a segment-override prefix names (-1: none). */
static int seg_prefix(uint8_t b)
{
	static const struct { uint8_t prefix; int seg; } segs[] = {
		{ 0x26, SEG_ES }, { 0x2e, SEG_CS }, { 0x36, SEG_SS },
		{ 0x3e, SEG_DS }, { 0x64, SEG_FS }, { 0x65, SEG_GS },
	};
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		if (segs[i].prefix == b)
			return segs[i].seg;
	return -1;
}

/* The I/O-instruction exit: qualification from the instruction's form (SDM table
 * "Exit Qualification for I/O Instructions"). */
static bool guest_io_exit(struct lp *lp, uint16_t port, unsigned size, bool in, bool restart)
{
	if (!lp->vmx.non_root || !io_exits(lp, port, size))
		return false;
	struct cpu_view v;
	struct mmu_ctx c;
	struct mmu_fault f;
	cpustate_view(&lp->cs, &v);
	mmu_ctx_from_view(&c, lp, &v);
	uint64_t la = v.rip + (cpu_view_long64(&v) ? 0 : v.segs[SEG_CS].base);
	/* The instruction's bytes as code is fetched (an execute-only page holds them),
	 * one at a time up to where fetching stops. */
	uint8_t b[15] = { 0 };
	for (unsigned k = 0; k < sizeof(b); k++)
		if (mmu_fetch(&lp->m->pm, &c, la + k, &b[k], 1, MMU_SUPERVISOR | MMU_NO_AD, &f))
			break;
	unsigned i = 0;
	bool rep = false, a67 = false;
	int seg_override = -1;
	while (i < 14 && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf3 || b[i] == 0xf2 ||
			  seg_prefix(b[i]) >= 0 || b[i] == 0xf0 || (b[i] & 0xf0) == 0x40)) {
		rep |= b[i] == 0xf3 || b[i] == 0xf2;
		a67 |= b[i] == 0x67;
		if (seg_prefix(b[i]) >= 0)
			seg_override = seg_prefix(b[i]);
		i++;
	}
	bool string = b[i] >= 0x6c && b[i] <= 0x6f;
	bool imm = b[i] >= 0xe4 && b[i] <= 0xe7;
	struct vmx_exit_info xi = {
		.qualification = (size - 1) | (in ? 1u << 3 : 0) | (string ? 1u << 4 : 0) |
				 (rep && string ? 1u << 5 : 0) | (imm ? 1u << 6 : 0) | ((uint64_t)port << 16),
		.insn_len = i + 1 + (imm ? 1 : 0),
		.rip = v.rip,
		.restart = restart,
	};
	if (string)
		string_operand(lp, &v, in, a67, seg_override, &xi);
	vmx_exit(lp, EXIT_REASON_IO_INSTRUCTION, &xi);
	return true;
}

uint32_t io_on_in(void *uc, uint32_t port, int size, void *user)
{
	struct lp *lp = user;
	if (lp->m->stopped)
		return size_mask((unsigned)size);
	if (guest_io_exit(lp, (uint16_t)port, (unsigned)size, true, true))
		/* Back after the VMM resumed the guest: the instruction still completes,
		 * so give it what the guest's register holds now. */
		return (uint32_t)cpu_reg(lp->uc, UC_X86_REG_RAX) & size_mask((unsigned)size);
	uint32_t v = io_read(lp, (uint16_t)port, (unsigned)size);
	if (trace_on(lp->m, VTSIM_TRACE_IO))
		trace_event(lp->m, VTSIM_TRACE_IO, "io lp%u in port=0x%x size=%d -> 0x%x", lp->id, port, size, v);
	return v;
}

static void out_write(struct lp *lp, uint16_t port, unsigned size, uint32_t value)
{
	if (trace_on(lp->m, VTSIM_TRACE_IO))
		trace_event(lp->m, VTSIM_TRACE_IO, "io lp%u out port=0x%x size=%u <- 0x%x", lp->id, port, size, value);
	io_write(lp, port, size, value);
}

void io_on_out(void *uc, uint32_t port, int size, uint32_t value, void *user)
{
	struct lp *lp = user;
	if (lp->m->stopped)
		return;
	if (guest_io_exit(lp, (uint16_t)port, (unsigned)size, false, true))
		return;
	out_write(lp, (uint16_t)port, (unsigned)size, value);
}

/* OUT (not OUTS) executed by its site's handler: the write, then RIP past it. An
 * interrupt the write raised for this processor (a pc-testdev line through the I/O
 * APIC) is then looked at before the next instruction, as on hardware: the engine
 * stops here with RIP exact. Left to the engine, the OUT's hook runs inside the
 * block, which goes on to its end, and a stop asked there comes back with a stale
 * RIP, the OUT's own, when the next block was entered by a chained jump (so the OUT
 * would run again). */
static void out_in_site(struct lp *lp, const struct cpu_view *v, const struct site_insn *in,
			uint16_t port, unsigned size)
{
	out_write(lp, port, size, (uint32_t)v->gpr[0] & size_mask(size));
	site_retire(lp, v->rip + in->len);
	if (lp->stop_due && !lp->m->stopped)
		uc_emu_stop(lp->uc);
}

/* I/O instructions met in a guest: the exit is decided before the instruction runs
 * (a code-hook site), so nothing of it happens in the guest. Outside non-root
 * operation the engine executes it and the IN/OUT hooks above do the I/O. In
 * every mode a LOCK prefix makes it #UD, before any VM exit (the engine would run
 * it). */
void site_io(struct lp *lp, const struct cpu_view *v, const struct site_insn *in)
{
	unsigned i = 0;
	bool opsize16 = false, lock = false;
	while (i < in->len && (in->bytes[i] == 0x66 || in->bytes[i] == 0x67 || in->bytes[i] == 0xf3 ||
			       in->bytes[i] == 0xf2 || in->bytes[i] == 0x2e || in->bytes[i] == 0x36 ||
			       in->bytes[i] == 0x3e || in->bytes[i] == 0x26 || in->bytes[i] == 0x64 ||
			       in->bytes[i] == 0x65 || in->bytes[i] == 0xf0 || (in->bytes[i] & 0xf0) == 0x40)) {
		opsize16 |= in->bytes[i] == 0x66;
		lock |= in->bytes[i] == 0xf0;
		i++;
	}
	if (lock) {
		exc_fault(lp, VEC_UD, 0);
		return;
	}
	uint8_t op = in->bytes[i];
	bool imm = op >= 0xe4 && op <= 0xe7;
	bool is_in = op == 0xe4 || op == 0xe5 || op == 0xec || op == 0xed || op == 0x6c || op == 0x6d;
	unsigned size = (op & 1) ? (opsize16 ? 2 : 4) : 1;
	uint16_t port = imm ? in->bytes[i + 1] : (uint16_t)v->gpr[2];
	if (guest_io_exit(lp, port, size, is_in, false))
		return;
	/* OUT to the APM control port raises an SMI once it retires in VMX root
	 * operation (the write itself changes nothing else); other OUTs (not OUTS) are
	 * done here, INs and the string forms by the engine. */
	bool out_port = op == 0xe6 || op == 0xe7 || op == 0xee || op == 0xef;
	if (!lp->vmx.non_root && out_port && port == SMM_APM_CNT_PORT && v->cpl <= ((v->eflags >> 12) & 3)) {
		smm_raise_io_smi(lp, v->rip, in->len,
				 (size - 1) | (imm ? 1u << 6 : 0) | ((uint64_t)port << 16));
		return;
	}
	if (out_port)
		out_in_site(lp, v, in, port, size);
}
