/* The registers a debugger sees, as data: one table gives the order and size of
 * the g/G packet, each register's engine access, and the target description
 * (target.xml) that tells gdb what they are. x86-64 only: gdb is told
 * i386:x86-64 whatever mode the processor is in, as gdb's own x86-64 targets do. */
#ifndef VTSIM_GDB_REGS_H
#define VTSIM_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unicorn/unicorn.h>

/* Number of registers, and the largest one in bytes. */
unsigned gdb_reg_count(void);
#define GDB_REG_MAX_BYTES 16

/* Size in bytes of register n (0 past the last). */
unsigned gdb_reg_size(unsigned n);

/* Reads register n of the engine into buf (gdb_reg_size(n) bytes, target order). */
void gdb_reg_read(uc_engine *uc, unsigned n, uint8_t *buf);

/* Writes register n from buf; false if the debugger may not change it (control
 * registers, segments: they would need the simulator's mode-change rules). */
bool gdb_reg_write(uc_engine *uc, unsigned n, const uint8_t *buf);

/* Writes the target description, built from the table, into buf; its length
 * (less than cap), or 0 if cap is too small. */
size_t gdb_target_xml(char *buf, size_t cap);
#define GDB_TARGET_XML_MAX 8192

#endif
