/* The legacy PC ports a test kernel touches before it relies on the local APIC:
 * - the two 8259A interrupt controllers (command 0x20/0xA0, data 0x21/0xA1): the
 *   initialization sequence (ICW1 on the command port, then ICW2, ICW3 unless single,
 *   ICW4 if ICW1 asked for it, on the data port) and the interrupt mask register
 *   (OCW1: a data-port write outside the sequence; reads of the data port return it).
 *   They request no interrupts: IRR and ISR read as 0.
 * - PCI configuration mechanism #1: CONFIG_ADDRESS at 0xCF8 (a doubleword register,
 *   bits 1:0 read as 0) and CONFIG_DATA at 0xCFC-0xCFF. No device answers, so data
 *   reads are all ones and writes are dropped, as on a bus with nothing behind it. */
#ifndef VTSIM_PC_PORTS_H
#define VTSIM_PC_PORTS_H

#include <stdbool.h>
#include <stdint.h>

struct lp;

struct pic8259 {
	uint8_t imr;          /* interrupt mask register (OCW1) */
	uint8_t icw_next;     /* 0: not initializing; 2, 3, 4: the ICW the data port takes next */
	bool single;          /* ICW1.SNGL: no ICW3 */
	bool need_icw4;       /* ICW1.IC4 */
	uint8_t vector_base;  /* ICW2 */
};

struct pc_ports {
	struct pic8259 pic[2];    /* master (0x20), slave (0xA0) */
	uint32_t pci_address;     /* CONFIG_ADDRESS */
};

/* io.c's device table rows. */
uint32_t pic_io_read(struct lp *lp, uint16_t port, unsigned size);
void pic_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v);
uint32_t pci_conf_io_read(struct lp *lp, uint16_t port, unsigned size);
void pci_conf_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v);

#endif
