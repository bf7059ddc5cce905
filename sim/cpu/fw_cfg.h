/* QEMU's firmware configuration interface, as a PC test kernel probes it: a 16-bit
 * selector written to I/O port 0x510 picks an item, then byte reads from 0x511 return
 * the item's bytes, little-endian, one per read. The machine answers two items, the
 * number of processors (key 0x05, 2 bytes) and the RAM size (key 0x03, 8 bytes);
 * every other item reads as zeros. */
#ifndef VTSIM_FW_CFG_H
#define VTSIM_FW_CFG_H

#include <stdint.h>

struct lp;

#define FW_CFG_PORT_SEL  0x510
#define FW_CFG_PORT_DATA 0x511

#define FW_CFG_RAM_SIZE  0x03
#define FW_CFG_NB_CPUS   0x05

struct fw_cfg {
	uint16_t selector;
	uint32_t offset;     /* next byte of the selected item */
};

/* The I/O bus's read/write pair for ports 0x510-0x511 (io.c's device table). */
uint32_t fw_cfg_io_read(struct lp *lp, uint16_t port, unsigned size);
void fw_cfg_io_write(struct lp *lp, uint16_t port, unsigned size, uint32_t v);

#endif
