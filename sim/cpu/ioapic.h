/* The I/O APIC at 0xFEC00000 (82093AA, version 11H, 24 input pins; as KVM and QEMU
 * place it on a PC) and the interrupt lines that drive it.
 *
 * Registers, reached through IOREGSEL (offset 00H, bits 7:0 the index) and IOWIN
 * (offset 10H), 32 bits each: 00H IOAPICID (bits 27:24 writable), 01H IOAPICVER
 * (read-only: version 11H, maximum redirection entry 23 in bits 23:16), 02H IOAPICARB
 * (read-only, the ID's bits 27:24 as the arbitration ID), 10H + 2n / 11H + 2n the low
 * and high halves of redirection entry n. An entry: vector (7:0), delivery mode
 * (10:8: fixed, lowest priority, SMI, NMI, INIT, ExtINT), destination mode (11:
 * logical), delivery status (12, read-only), input polarity (13: active low),
 * remote IRR (14, read-only), trigger mode (15: level), mask (16), destination
 * (63:56). Any other index reads 0 and ignores writes. Reset: every entry masked.
 *
 * An edge-triggered pin sends its message when its input becomes active and the entry
 * is unmasked (an edge while masked is lost). A level-triggered pin sends it whenever
 * the input is active, the entry unmasked and its remote IRR clear, and sets remote
 * IRR; the local APIC's EOI of a level-triggered vector (lapic.h: its TMR bit set)
 * clears remote IRR in every entry with that vector, and a pin still active sends
 * again. Messages go to the local APICs as lapic_deliver_message says.
 *
 * The lines: QEMU's pc-testdev ports 2000H-2017H (a byte written to 2000H + n is the
 * level of ISA line n, wired to pin n), which kvm-unit-tests drives. */
#ifndef VTSIM_IOAPIC_H
#define VTSIM_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

#define IOAPIC_BASE 0xfec00000ull
#define IOAPIC_PINS 24
#define TESTDEV_IRQ_PORT 0x2000u   /* pc-testdev's line 0; line n at + n */

struct ioapic {
	uint32_t regsel;               /* IOREGSEL */
	uint32_t id;                   /* IOAPICID */
	uint64_t redir[IOAPIC_PINS];
	uint32_t level;                /* a bit per pin: its input is high */
};

/* Power-up state: ID 0, every entry masked, every line low. */
void ioapic_reset(struct ioapic *io);

/* Accesses to the I/O APIC's page, `offset` bytes into it (mmio.c's row); `lp` is
 * the processor making them. */
uint64_t ioapic_mmio_read(struct lp *lp, uint64_t offset, unsigned size);
void ioapic_mmio_write(struct lp *lp, uint64_t offset, unsigned size, uint64_t v);

/* Pin `pin`'s input goes to `level` (high or low as wired; the entry's polarity says
 * which is active), driven from `lp`'s instruction. */
void ioapic_set_line(struct lp *lp, unsigned pin, bool level);

/* An EOI of `vector` that the local APIC broadcasts (lapic.c). */
void ioapic_eoi(struct lp *lp, unsigned vector);

/* io.c's row: pc-testdev's interrupt lines. Reads give 0. */
uint32_t testdev_irq_io_read(struct lp *lp, uint16_t port, unsigned size);
void testdev_irq_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v);

#endif
