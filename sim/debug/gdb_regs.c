/* The debugger's register table (gdb_regs.h). */
#include "sim/debug/gdb_regs.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/cpu/cpustate.h"

enum reg_access {
	ACC_REG,        /* uc_reg_read/write, `bytes` wide, writable */
	ACC_REG_RO,     /* uc_reg_read only */
	ACC_MSR_RO,     /* an MSR through cpu_msr */
	ACC_ZERO,       /* not kept by the engine: reads as zero */
};

struct gdb_reg {
	const char *name;
	unsigned bits;
	const char *type;       /* gdb's predefined type */
	const char *feature;    /* the target-description feature it belongs to */
	enum reg_access acc;
	int id;                 /* Unicorn register, or the MSR index */
};

#define CORE "org.gnu.gdb.i386.core"
#define SSE "org.gnu.gdb.i386.sse"
#define SYS "org.vtsim.x86.sys"

/* In gdb's amd64 order: the core feature (general registers, RIP, RFLAGS, the
 * segment selectors, the x87 stack and its control registers), SSE, then the
 * system registers vtsim adds so that `p $cr3` works. */
static const struct gdb_reg regs[] = {
	{ "rax", 64, "int64", CORE, ACC_REG, UC_X86_REG_RAX },
	{ "rbx", 64, "int64", CORE, ACC_REG, UC_X86_REG_RBX },
	{ "rcx", 64, "int64", CORE, ACC_REG, UC_X86_REG_RCX },
	{ "rdx", 64, "int64", CORE, ACC_REG, UC_X86_REG_RDX },
	{ "rsi", 64, "int64", CORE, ACC_REG, UC_X86_REG_RSI },
	{ "rdi", 64, "int64", CORE, ACC_REG, UC_X86_REG_RDI },
	{ "rbp", 64, "data_ptr", CORE, ACC_REG, UC_X86_REG_RBP },
	{ "rsp", 64, "data_ptr", CORE, ACC_REG, UC_X86_REG_RSP },
	{ "r8", 64, "int64", CORE, ACC_REG, UC_X86_REG_R8 },
	{ "r9", 64, "int64", CORE, ACC_REG, UC_X86_REG_R9 },
	{ "r10", 64, "int64", CORE, ACC_REG, UC_X86_REG_R10 },
	{ "r11", 64, "int64", CORE, ACC_REG, UC_X86_REG_R11 },
	{ "r12", 64, "int64", CORE, ACC_REG, UC_X86_REG_R12 },
	{ "r13", 64, "int64", CORE, ACC_REG, UC_X86_REG_R13 },
	{ "r14", 64, "int64", CORE, ACC_REG, UC_X86_REG_R14 },
	{ "r15", 64, "int64", CORE, ACC_REG, UC_X86_REG_R15 },
	{ "rip", 64, "code_ptr", CORE, ACC_REG, UC_X86_REG_RIP },
	{ "eflags", 32, "int32", CORE, ACC_REG, UC_X86_REG_EFLAGS },
	{ "cs", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_CS },
	{ "ss", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_SS },
	{ "ds", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_DS },
	{ "es", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_ES },
	{ "fs", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_FS },
	{ "gs", 32, "int32", CORE, ACC_REG_RO, UC_X86_REG_GS },
	{ "st0", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST0 },
	{ "st1", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST1 },
	{ "st2", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST2 },
	{ "st3", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST3 },
	{ "st4", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST4 },
	{ "st5", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST5 },
	{ "st6", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST6 },
	{ "st7", 80, "i387_ext", CORE, ACC_REG, UC_X86_REG_ST7 },
	{ "fctrl", 32, "int", CORE, ACC_REG, UC_X86_REG_FPCW },
	{ "fstat", 32, "int", CORE, ACC_REG, UC_X86_REG_FPSW },
	{ "ftag", 32, "int", CORE, ACC_REG, UC_X86_REG_FPTAG },
	{ "fiseg", 32, "int", CORE, ACC_ZERO, 0 },
	{ "fioff", 32, "int", CORE, ACC_ZERO, 0 },
	{ "foseg", 32, "int", CORE, ACC_ZERO, 0 },
	{ "fooff", 32, "int", CORE, ACC_ZERO, 0 },
	{ "fop", 32, "int", CORE, ACC_ZERO, 0 },
	{ "xmm0", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM0 },
	{ "xmm1", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM1 },
	{ "xmm2", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM2 },
	{ "xmm3", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM3 },
	{ "xmm4", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM4 },
	{ "xmm5", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM5 },
	{ "xmm6", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM6 },
	{ "xmm7", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM7 },
	{ "xmm8", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM8 },
	{ "xmm9", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM9 },
	{ "xmm10", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM10 },
	{ "xmm11", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM11 },
	{ "xmm12", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM12 },
	{ "xmm13", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM13 },
	{ "xmm14", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM14 },
	{ "xmm15", 128, "uint128", SSE, ACC_REG, UC_X86_REG_XMM15 },
	{ "mxcsr", 32, "int", SSE, ACC_REG, UC_X86_REG_MXCSR },
	{ "fs_base", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_FS_BASE },
	{ "gs_base", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_GS_BASE },
	{ "cr0", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_CR0 },
	{ "cr2", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_CR2 },
	{ "cr3", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_CR3 },
	{ "cr4", 64, "int64", SYS, ACC_REG_RO, UC_X86_REG_CR4 },
	{ "efer", 64, "int64", SYS, ACC_MSR_RO, 0xc0000080 },
};

#define NREGS (sizeof(regs) / sizeof(regs[0]))

unsigned gdb_reg_count(void)
{
	return NREGS;
}

unsigned gdb_reg_size(unsigned n)
{
	return n < NREGS ? regs[n].bits / 8 : 0;
}

void gdb_reg_read(uc_engine *uc, unsigned n, uint8_t *buf)
{
	uint8_t raw[32] = { 0 };     /* Unicorn writes up to a whole vector register */
	const struct gdb_reg *r = &regs[n];
	switch (r->acc) {
	case ACC_REG:
	case ACC_REG_RO:
		uc_reg_read(uc, r->id, raw);
		break;
	case ACC_MSR_RO: {
		uint64_t v = cpu_msr(uc, (uint32_t)r->id);
		memcpy(raw, &v, 8);
		break;
	}
	case ACC_ZERO:
		break;
	}
	memcpy(buf, raw, r->bits / 8);   /* little-endian host and target */
}

bool gdb_reg_write(uc_engine *uc, unsigned n, const uint8_t *buf)
{
	if (n >= NREGS || regs[n].acc != ACC_REG)
		return false;
	uint8_t raw[32] = { 0 };
	if (regs[n].bits < 64)      /* 32-bit registers: Unicorn reads a 64-bit word for some */
		uc_reg_read(uc, regs[n].id, raw);
	memcpy(raw, buf, regs[n].bits / 8);
	return uc_reg_write(uc, regs[n].id, raw) == UC_ERR_OK;
}

static size_t append(char *buf, size_t cap, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static size_t append(char *buf, size_t cap, size_t n, const char *fmt, ...)
{
	if (n >= cap)
		return cap;
	va_list ap;
	va_start(ap, fmt);
	int w = vsnprintf(buf + n, cap - n, fmt, ap);
	va_end(ap);
	return w < 0 || (size_t)w >= cap - n ? cap : n + (size_t)w;
}

size_t gdb_target_xml(char *buf, size_t cap)
{
	const char *feature = NULL;
	size_t n = append(buf, cap, 0, "<?xml version=\"1.0\"?>\n"
			  "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
			  "<target><architecture>i386:x86-64</architecture>\n");
	for (unsigned i = 0; i < NREGS; i++) {
		if (feature != regs[i].feature) {
			n = append(buf, cap, n, "%s<feature name=\"%s\">\n", feature ? "</feature>\n" : "",
				   regs[i].feature);
			feature = regs[i].feature;
		}
		n = append(buf, cap, n, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"/>\n",
			   regs[i].name, regs[i].bits, regs[i].type, i);
	}
	n = append(buf, cap, n, "</feature>\n</target>\n");
	return n < cap ? n : 0;
}
