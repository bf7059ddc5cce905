/* The machine at the entry point (MACHINE.md): the reserved area at the top of RAM
 * (page tables, GDT, TSS, boot-info block, stack) and the boot LP's registers. */
#ifndef VTSIM_BOOT_H
#define VTSIM_BOOT_H

#include <stdint.h>

struct vtsim_machine;
struct lp;

/* The reserved area: 2 MiB at the top of RAM. */
#define BOOT_RESERVED_SIZE (2ull << 20)

#define BOOT_SEL_CODE64 0x08
#define BOOT_SEL_DATA   0x10
#define BOOT_SEL_TSS    0x18
#define BOOT_SEL_CODE32 0x28

void boot_build_reserved(struct vtsim_machine *m);

/* Puts `lp` in MACHINE.md's ELF64 entry state at `entry`. */
void boot_enter_elf64(struct lp *lp, uint64_t entry);

/* Puts `lp` in the Multiboot v1 entry state (32-bit protected mode, paging off). */
void boot_enter_multiboot(struct lp *lp, uint32_t entry, uint32_t mbi);

/* Puts an application processor in the state a start-up IPI gives it (SDM
 * "MP Initialization Protocol"): real mode, CS = vector << 8 with base vector << 12,
 * IP 0, the rest as after INIT: GPRs 0, RFLAGS 0x2, CR0 = ET (CD and NW left clear:
 * caching is not modelled), GDTR and IDTR base 0 (limits 0xFFFF and 0x3FF), data
 * segments 0 with limit 0xFFFF. MSRs keep their values. */
void boot_enter_sipi(struct lp *lp, uint8_t vector);

#endif
