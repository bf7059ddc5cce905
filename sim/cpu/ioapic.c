/* The I/O APIC and pc-testdev's interrupt lines (ioapic.h). */
#include "sim/cpu/ioapic.h"

#include "sim/cpu/lapic.h"
#include "sim/cpu/machine.h"

#define REG_ID  0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_REDIR 0x10

#define IOAPIC_VERSION  (0x11u | ((IOAPIC_PINS - 1u) << 16))
#define ID_WRITABLE     0x0f000000u

/* Redirection entry bits. */
#define RTE_VECTOR      0xffull
#define RTE_MODE        (7ull << 8)
#define RTE_LOGICAL     (1ull << 11)
#define RTE_POLARITY    (1ull << 13)   /* active low */
#define RTE_REMOTE_IRR  (1ull << 14)
#define RTE_LEVEL       (1ull << 15)
#define RTE_MASK        (1ull << 16)
#define RTE_DEST_SHIFT  56
#define RTE_WRITABLE    (RTE_VECTOR | RTE_MODE | RTE_LOGICAL | RTE_POLARITY | RTE_LEVEL | RTE_MASK | \
			 (0xffull << RTE_DEST_SHIFT))

void ioapic_reset(struct ioapic *io)
{
	io->regsel = 0;
	io->id = 0;
	io->level = 0;
	for (unsigned i = 0; i < IOAPIC_PINS; i++)
		io->redir[i] = RTE_MASK;
}

static bool pin_active(const struct ioapic *io, unsigned pin)
{
	bool high = (io->level >> pin) & 1;
	return high != ((io->redir[pin] & RTE_POLARITY) != 0);
}

/* The entry's message, in the ICR's low-word layout (the bits the two share), to
 * its 8-bit destination. */
static void send(struct lp *lp, unsigned pin)
{
	uint64_t e = lp->m->ioapic.redir[pin];
	uint32_t lo = (uint32_t)(e & (RTE_VECTOR | RTE_MODE | RTE_LOGICAL | RTE_LEVEL));
	uint8_t dest = (uint8_t)(e >> RTE_DEST_SHIFT);
	if (trace_on(lp->m, VTSIM_TRACE_EXC))
		trace_event(lp->m, VTSIM_TRACE_EXC, "ioapic lp%u pin=%u entry=0x%016llx", lp->id, pin,
			    (unsigned long long)e);
	lapic_deliver_message(lp, lo, dest);
}

/* A level-triggered pin sends while active, unmasked and not waiting for an EOI. */
static void service_level(struct lp *lp, unsigned pin)
{
	struct ioapic *io = &lp->m->ioapic;
	uint64_t *e = &io->redir[pin];
	if (!(*e & RTE_LEVEL) || (*e & (RTE_MASK | RTE_REMOTE_IRR)) || !pin_active(io, pin))
		return;
	*e |= RTE_REMOTE_IRR;
	send(lp, pin);
}

void ioapic_set_line(struct lp *lp, unsigned pin, bool level)
{
	struct ioapic *io = &lp->m->ioapic;
	if (pin >= IOAPIC_PINS)
		return;
	bool was = pin_active(io, pin);
	io->level = (io->level & ~(1u << pin)) | ((uint32_t)level << pin);
	uint64_t e = io->redir[pin];
	if (e & RTE_LEVEL)
		service_level(lp, pin);
	else if (!was && pin_active(io, pin) && !(e & RTE_MASK))
		send(lp, pin);
}

void ioapic_eoi(struct lp *lp, unsigned vector)
{
	struct ioapic *io = &lp->m->ioapic;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t *e = &io->redir[pin];
		if ((*e & RTE_VECTOR) != vector || !(*e & RTE_LEVEL))
			continue;
		*e &= ~RTE_REMOTE_IRR;
		service_level(lp, pin);
	}
}

/* The redirection entry register `index` names half of (its low half at even
 * indexes), or -1. */
static int entry_of(unsigned index)
{
	unsigned n = (index - REG_REDIR) / 2;
	return index >= REG_REDIR && n < IOAPIC_PINS ? (int)n : -1;
}

static uint32_t reg_read(const struct ioapic *io, unsigned index)
{
	switch (index) {
	case REG_ID: return io->id;
	case REG_VER: return IOAPIC_VERSION;
	case REG_ARB: return io->id;
	}
	int n = entry_of(index);
	return n < 0 ? 0 : (uint32_t)(io->redir[n] >> (index & 1 ? 32 : 0));
}

/* A write of half an entry keeps the read-only bits; an entry that becomes
 * edge-triggered drops its remote IRR, and a level-triggered one may send at once
 * (unmasked with its input active). */
static void reg_write(struct lp *lp, unsigned index, uint32_t v)
{
	struct ioapic *io = &lp->m->ioapic;
	if (index == REG_ID) {
		io->id = v & ID_WRITABLE;
		return;
	}
	int n = entry_of(index);
	if (n < 0)
		return;
	unsigned shift = index & 1 ? 32 : 0;
	uint64_t half = 0xffffffffull << shift;
	uint64_t *e = &io->redir[n];
	uint64_t w = RTE_WRITABLE & half;
	*e = (*e & ~w) | (((uint64_t)v << shift) & w);
	if (!(*e & RTE_LEVEL))
		*e &= ~RTE_REMOTE_IRR;
	service_level(lp, (unsigned)n);
}

/* IOREGSEL and IOWIN are doublewords at 00H and 10H; a narrower access reads or
 * writes part of one. Other offsets read 0 and ignore writes. */
uint64_t ioapic_mmio_read(struct lp *lp, uint64_t offset, unsigned size)
{
	const struct ioapic *io = &lp->m->ioapic;
	uint32_t v;
	switch (offset & ~3ull) {
	case 0x00: v = io->regsel; break;
	case 0x10: v = reg_read(io, io->regsel); break;
	default: return 0;
	}
	v >>= 8 * (offset & 3);
	return size >= 4 ? v : v & ((1u << (8 * size)) - 1);
}

void ioapic_mmio_write(struct lp *lp, uint64_t offset, unsigned size, uint64_t v)
{
	struct ioapic *io = &lp->m->ioapic;
	unsigned shift = 8 * (offset & 3);
	uint32_t mask = size >= 4 ? 0xffffffffu : ((1u << (8 * size)) - 1);
	mask <<= shift;
	uint32_t val = (uint32_t)(v << shift);
	switch (offset & ~3ull) {
	case 0x00:
		io->regsel = ((io->regsel & ~mask) | (val & mask)) & 0xff;
		return;
	case 0x10:
		reg_write(lp, io->regsel, (reg_read(io, io->regsel) & ~mask) | (val & mask));
		return;
	}
}

uint32_t testdev_irq_io_read(struct lp *lp, uint16_t port, unsigned size)
{
	return 0;
}

void testdev_irq_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v)
{
	ioapic_set_line(lp, port - TESTDEV_IRQ_PORT, (v & 0xff) != 0);
}
