/* See disasm.h. */
#include "sim/cpu/disasm.h"

#include <stdio.h>
#include <string.h>

/* 66 0F 01 /r forms of the TDX instructions (Intel TDX CPU architecture
 * specification and ISA extensions): Capstone 5 decodes none of them as such. */
static const struct {
	uint8_t modrm;
	const char *name;
} tdx_insns[] = {
	{ 0xcc, "tdcall" }, { 0xcd, "seamret" }, { 0xce, "seamops" }, { 0xcf, "seamcall" },
};

static const char *tdx_insn(const uint8_t *buf, size_t n)
{
	if (n < 4 || buf[0] != 0x66 || buf[1] != 0x0f || buf[2] != 0x01)
		return NULL;
	for (size_t i = 0; i < sizeof(tdx_insns) / sizeof(tdx_insns[0]); i++)
		if (buf[3] == tdx_insns[i].modrm)
			return tdx_insns[i].name;
	return NULL;
}

unsigned disasm_one(csh h, const uint8_t *buf, size_t n, uint64_t rip, char *out, size_t size)
{
	const char *tdx = tdx_insn(buf, n);
	if (tdx) {
		snprintf(out, size, "%s", tdx);
		return 4;
	}
	cs_insn *ci = NULL;
	size_t cnt = cs_disasm(h, buf, n, rip, 1, &ci);
	unsigned len = cnt ? ci[0].size : 0;
	if (cnt)
		snprintf(out, size, "%s%s%s", ci[0].mnemonic, ci[0].op_str[0] ? " " : "", ci[0].op_str);
	else
		snprintf(out, size, "(bad)");
	cs_free(ci, cnt);
	return len;
}
