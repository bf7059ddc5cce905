/* Port I/O: one table of devices, one dispatch loop. */
#include "sim/cpu/io.h"

#include "sim/cpu/machine.h"

/* Byte-wide devices see a wider access as one byte per port, as on an ISA bus;
 * the debug-exit port takes the whole value, whatever the access size. */
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

/* COM1, a 16550 whose transmitter is always empty. Registers other than THR and
 * LSR hold what was written (LCR, MCR, SCR) or read as an idle UART. */
#define UART_LSR_THRE_TEMT 0x60
static uint32_t com1_read(struct lp *lp, uint16_t port, unsigned size)
{
	switch (port - 0x3f8) {
	case 2: return 0x01;                 /* IIR: no interrupt pending */
	case 5: return UART_LSR_THRE_TEMT;   /* LSR */
	case 6: return 0xb0;                 /* MSR: CTS, DSR, DCD */
	default: return 0x00;
	}
}

static void com1_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	if (port == 0x3f8)
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

uint32_t io_on_in(void *uc, uint32_t port, int size, void *user)
{
	struct lp *lp = user;
	if (lp->m->stopped)
		return size_mask((unsigned)size);
	uint32_t v = io_read(lp, (uint16_t)port, (unsigned)size);
	if (trace_on(lp->m, VTSIM_TRACE_IO))
		trace_event(lp->m, VTSIM_TRACE_IO, "io lp%u in port=0x%x size=%d -> 0x%x", lp->id, port, size, v);
	return v;
}

void io_on_out(void *uc, uint32_t port, int size, uint32_t value, void *user)
{
	struct lp *lp = user;
	if (lp->m->stopped)
		return;
	if (trace_on(lp->m, VTSIM_TRACE_IO))
		trace_event(lp->m, VTSIM_TRACE_IO, "io lp%u out port=0x%x size=%d <- 0x%x", lp->id, port, size, value);
	io_write(lp, (uint16_t)port, (unsigned)size, value);
}
