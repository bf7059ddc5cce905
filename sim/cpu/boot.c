/* Boot state: see boot.h and MACHINE.md. */
#include "sim/cpu/boot.h"
#include "sim/seam/seam.h"

#include <string.h>

#include "sim/cpu/machine.h"
#include "sim/cpu/msr.h"

/* Offsets in the reserved area. */
#define R_PML4     0x00000
#define R_PDPT     0x01000
#define R_PD       0x02000   /* one page per GiB of RAM, up to 4 */
#define R_GDT      0x10000
#define R_TSS      0x11000
#define R_BOOTINFO 0x12000
#define R_STACK    0x20000
#define STACK_SIZE 0x10000

static void put64(struct vtsim_machine *m, uint64_t pa, uint64_t v) { phys_write64(&m->pm, pa, v); }

static uint64_t tss_desc_lo(uint64_t base, uint32_t limit, unsigned type)
{
	return (limit & 0xffff) | ((base & 0xffffff) << 16) | ((uint64_t)(0x80 | type) << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
}

void boot_build_reserved(struct vtsim_machine *m)
{
	uint64_t rb = m->reserved_base;
	memset(m->pm.ram + rb, 0, BOOT_RESERVED_SIZE);

	/* Identity map of all RAM with 2 MiB pages, RWX, supervisor. */
	put64(m, rb + R_PML4, (rb + R_PDPT) | 0x3);
	uint64_t gib = (m->pm.size + (1ull << 30) - 1) >> 30;
	for (uint64_t g = 0; g < gib; g++) {
		put64(m, rb + R_PDPT + g * 8, (rb + R_PD + g * 0x1000) | 0x3);
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t pa = (g << 30) | (i << 21);
			if (pa >= m->pm.size)
				break;
			put64(m, rb + R_PD + g * 0x1000 + i * 8, pa | 0x83);
		}
	}

	/* GDT: null, 64-bit code, data, busy 64-bit TSS (16 bytes), 32-bit code. */
	uint64_t gdt = rb + R_GDT, tss = rb + R_TSS;
	put64(m, gdt + 0x08, 0x00af9b000000ffffull);
	put64(m, gdt + 0x10, 0x00cf93000000ffffull);
	put64(m, gdt + 0x18, tss_desc_lo(tss, 0x67, 0xb));
	put64(m, gdt + 0x20, tss >> 32);
	put64(m, gdt + 0x28, 0x00cf9b000000ffffull);

	/* TSS: RSP0 is the boot stack, so a privilege change has somewhere to go; no
	 * I/O bitmap. */
	uint64_t stack_top = rb + R_STACK + STACK_SIZE;
	put64(m, tss + 4, stack_top);
	phys_write32(&m->pm, tss + 0x64, 0x68u << 16);

	/* Boot-info block. */
	uint64_t bi = rb + R_BOOTINFO;
	phys_write(&m->pm, bi, "VTSIMBI1", 8);
	put64(m, bi + 8, m->pm.size);
	put64(m, bi + 16, rb);
	phys_write32(&m->pm, bi + 24, m->nr_lps);
	phys_write32(&m->pm, bi + 28, m->cfg.tdx ? 1 : 0);
	/* The KeyID split MSR 0x87 reports: TDX KeyIDs follow the MKTME ones. */
	put64(m, bi + 32, m->cfg.tdx ? SEAM_NR_TDX_KEYIDS : 0);
	put64(m, bi + 40, m->cfg.tdx ? SEAM_NR_MKTME_KEYIDS + 1 : 0);
	m->boot_info = bi;
}

static void load_tables(struct lp *lp, uint64_t gdt)
{
	uc_x86_mmr gdtr = { .base = gdt, .limit = 0x2f };
	uc_x86_mmr idtr = { .base = 0, .limit = 0 };
	uc_reg_write(lp->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(lp->uc, UC_X86_REG_IDTR, &idtr);
}

static void clear_gprs(struct lp *lp)
{
	static const int regs[] = {
		UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
		UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
		UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
		UC_X86_REG_R15,
	};
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		cpu_set_reg(lp->uc, regs[i], 0);
	for (int i = 0; i < 8; i++)
		cpu_set_reg(lp->uc, UC_X86_REG_DR0 + i, i == 6 ? 0xffff0ff0ull : i == 7 ? 0x400 : 0);
}

void boot_enter_elf64(struct lp *lp, uint64_t entry)
{
	struct vtsim_machine *m = lp->m;
	uint64_t rb = m->reserved_base;
	clear_gprs(lp);
	/* Long mode the way software enters it: EFER.LME, CR4.PAE, CR3, then CR0.PG. */
	cpu_set_msr(lp->uc, MSR_IA32_EFER, 0xd01);
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0x620);
	cpu_set_reg(lp->uc, UC_X86_REG_CR3, rb + R_PML4);
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x80010033);
	load_tables(lp, rb + R_GDT);

	struct seg s[SEG_COUNT];
	struct seg data = { BOOT_SEL_DATA, 0, 0xffffffff, 0xc093 };
	struct seg null = { 0, 0, 0, SEG_ATTR_UNUSABLE };
	s[SEG_CS] = (struct seg){ BOOT_SEL_CODE64, 0, 0xffffffff, 0xa09b };
	s[SEG_DS] = s[SEG_ES] = s[SEG_SS] = data;
	s[SEG_FS] = s[SEG_GS] = null;
	s[SEG_LDTR] = null;
	s[SEG_TR] = (struct seg){ BOOT_SEL_TSS, rb + R_TSS, 0x67, 0x8b };
	cpustate_set_segs(&lp->cs, s, 0xff);

	cpu_set_reg(lp->uc, UC_X86_REG_RSP, rb + R_STACK + STACK_SIZE);
	cpu_set_reg(lp->uc, UC_X86_REG_RDI, m->boot_info);
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, entry);
	lp->feature_control = 0x5;
}

void boot_enter_multiboot(struct lp *lp, uint32_t entry, uint32_t mbi)
{
	struct vtsim_machine *m = lp->m;
	clear_gprs(lp);
	/* The engine starts in long mode; leave it the architected way (clear CR0.PG
	 * with EFER.LMA set), then clear EFER. */
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x80000011);
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x11);
	cpu_set_msr(lp->uc, MSR_IA32_EFER, 0);
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0);
	cpu_set_reg(lp->uc, UC_X86_REG_CR3, 0);
	load_tables(lp, m->reserved_base + R_GDT);

	struct seg s[SEG_COUNT];
	struct seg data = { BOOT_SEL_DATA, 0, 0xffffffff, 0xc093 };
	s[SEG_CS] = (struct seg){ BOOT_SEL_CODE32, 0, 0xffffffff, 0xc09b };
	s[SEG_DS] = s[SEG_ES] = s[SEG_SS] = s[SEG_FS] = s[SEG_GS] = data;
	s[SEG_LDTR] = (struct seg){ 0, 0, 0xffff, SEG_ATTR_UNUSABLE };
	s[SEG_TR] = (struct seg){ 0, 0, 0xffff, 0x8b };
	cpustate_set_segs(&lp->cs, s, 0xff);

	cpu_set_reg(lp->uc, UC_X86_REG_RAX, 0x2badb002);
	cpu_set_reg(lp->uc, UC_X86_REG_RBX, mbi);
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, entry);
	lp->feature_control = 0x5;
}

void boot_enter_sipi(struct lp *lp, uint8_t vector)
{
	clear_gprs(lp);
	/* Out of long mode the architected way (clearing CR0.PG is what clears
	 * EFER.LMA; a new engine starts in long mode), then out of protected mode. */
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x80000011);
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x11);
	cpu_set_msr(lp->uc, MSR_IA32_EFER, 0);
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0);
	cpu_set_reg(lp->uc, UC_X86_REG_CR3, 0);
	cpu_set_reg(lp->uc, UC_X86_REG_CR0, 0x10);
	uc_x86_mmr gdtr = { .base = 0, .limit = 0xffff };
	uc_x86_mmr idtr = { .base = 0, .limit = 0x3ff };
	uc_reg_write(lp->uc, UC_X86_REG_GDTR, &gdtr);
	uc_reg_write(lp->uc, UC_X86_REG_IDTR, &idtr);

	struct seg s[SEG_COUNT];
	struct seg data = { 0, 0, 0xffff, 0x93 };
	s[SEG_CS] = (struct seg){ (uint16_t)(vector << 8), (uint64_t)vector << 12, 0xffff, 0x9b };
	s[SEG_DS] = s[SEG_ES] = s[SEG_SS] = s[SEG_FS] = s[SEG_GS] = data;
	s[SEG_LDTR] = (struct seg){ 0, 0, 0xffff, 0x82 };
	s[SEG_TR] = (struct seg){ 0, 0, 0xffff, 0x8b };
	cpustate_set_segs(&lp->cs, s, 0xff);
	cpu_set_reg(lp->uc, UC_X86_REG_RFLAGS, 0x2);
	cpu_set_reg(lp->uc, UC_X86_REG_RIP, 0);
	cpustate_set_interrupt_shadow(&lp->cs, false);
}
