/* The I/O port bus and the devices on it (MACHINE.md "Devices"): COM1, the debug
 * console at 0xE9, the debug-exit port at 0xF4, the 8259 PICs and the PCI
 * configuration ports (pc_ports.h), fw_cfg (fw_cfg.h). Each device is a read/write pair on
 * the machine; unclaimed ports read all ones and ignore writes. */
#ifndef VTSIM_IO_H
#define VTSIM_IO_H

#include <stdint.h>

struct lp;

uint32_t io_read(struct lp *lp, uint16_t port, unsigned size);
void io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t value);

/* The engine's IN and OUT hooks. */
uint32_t io_on_in(void *uc, uint32_t port, int size, void *user);
void io_on_out(void *uc, uint32_t port, int size, uint32_t value, void *user);

#endif
