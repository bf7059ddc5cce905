/* The VMX instruction unit under random instruction sequences and operands, from a
 * processor in 64-bit mode at CPL 0 (the way a VMM meets it). Each input is a list
 * of 12-byte records: instruction, register operand, memory operand choice. The
 * oracle: every outcome is architected (an exception vector the instruction may
 * raise, or a VM-instruction error number the SDM assigns to it), and nothing
 * crashes. Memory operands point mostly at a few prepared regions. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/cpu/boot.h"
#include "sim/cpu/exception.h"
#include "sim/cpu/machine.h"
#include "sim/cpu/vmx.h"
#include "vtsim/snapshot.h"

struct mem { uint8_t bytes[16]; };

static int mem_read(void *ctx, void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(buf, ((struct mem *)ctx)->bytes, n);
	return 0;
}

static int mem_write(void *ctx, const void *buf, unsigned n, struct vmx_fault *f)
{
	memcpy(((struct mem *)ctx)->bytes, buf, n);
	return 0;
}

static const uint64_t regions[] = { 0x10000, 0x11000, 0x12000, 0x13000, 0x14000 };

static bool error_allowed(enum vmx_insn_id id, uint32_t e)
{
	switch (id) {
	case VMX_VMXON: return e == 15;
	case VMX_VMCLEAR: return e == 2 || e == 3;
	case VMX_VMPTRLD: return e == 9 || e == 10 || e == 11;
	case VMX_VMREAD: return e == 12;
	case VMX_VMWRITE: return e == 12 || e == 13;
	case VMX_VMLAUNCH: case VMX_VMRESUME: return e == 4 || e == 5 || e == 7 || e == 8 || e == 26;
	case VMX_VMCALL: return e == 1;
	case VMX_INVEPT: case VMX_INVVPID: return e == 28;
	default: return false;
	}
}

static struct vtsim_machine *m;
static struct vtsim_snapshot *snap;

/* The machine every input starts from: the LP in 64-bit mode at CPL 0 with
 * CR4.VMXE, outside VMX operation, the regions holding the revision identifier
 * (the last one with the shadow-VMCS bit). Its snapshot brings RAM back too, so an
 * input's outcome never depends on what the one before wrote (VMCLEAR and
 * VMPTRLD's pointers may be anywhere in RAM). */
static void setup(void)
{
	struct vtsim_config cfg;
	char err[256];
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 16u << 20;
	m = vtsim_machine_create(&cfg, err, sizeof(err));
	if (!m)
		abort();
	boot_build_reserved(m);
	struct lp *lp = &m->lps[0];
	vmx_lp_reset(&lp->vmx);
	boot_enter_elf64(lp, 0x100000);
	cpu_set_reg(lp->uc, UC_X86_REG_CR4, 0x2620);
	uint32_t rev = vmcs_caps_revision_id(m->vmx_caps);
	for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
		memset(m->pm.ram + regions[i], 0, 4096);
		phys_write32(&m->pm, regions[i], i == 4 ? rev | 0x80000000u : rev);
	}
	if (!(snap = vtsim_snapshot_take(m, err, sizeof(err)))) {
		fprintf(stderr, "vmx: %s\n", err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	if (!m)
		setup();
	if (vtsim_snapshot_restore(m, snap, err, sizeof(err))) {
		fprintf(stderr, "vmx: %s\n", err);
		abort();
	}
	struct lp *lp = &m->lps[0];
	/* FUZZ_VMX_TRACE: each instruction's outcome on stderr (fuzz-replay --trace). */
	bool trace = getenv("FUZZ_VMX_TRACE") != NULL;

	for (size_t off = 0; off + 12 <= size; off += 12) {
		const uint8_t *r = data + off;
		enum vmx_insn_id id = (enum vmx_insn_id)(r[0] % VMX_NR_INSNS);
		uint64_t reg;
		memcpy(&reg, r + 4, 8);
		struct mem mm;
		uint64_t ptr = (r[1] & 0x80) ? reg : regions[r[1] % 5] + (r[2] & 3 ? 0 : r[3]);
		memcpy(mm.bytes, &ptr, 8);
		memcpy(mm.bytes + 8, &reg, 8);
		if (r[2] & 0x80)   /* a field encoding from the table, biased toward valid */
			reg = vmcs_field_at(reg % vmcs_field_count())->encoding | (r[3] & 1);
		struct vmx_operands ops = { .reg_form = r[2] & 0x40, .reg_value = reg, .rm_value = ptr,
					    .opsize = 8, .read = mem_read, .write = mem_write, .ctx = &mm };
		struct cpu_view v;
		struct vmx_result res;
		cpustate_view(&lp->cs, &v);
		vmx_execute(lp, &v, id, &ops, &res);
		if (trace)
			fprintf(stderr, "vmx: insn %d reg 0x%llx ptr 0x%llx: status %d error %u vector %u\n",
				(int)id, (unsigned long long)reg, (unsigned long long)ptr, (int)res.status,
				res.error, res.status == VMX_FAULT ? res.fault.vector : 0u);
		switch (res.status) {
		case VMX_SUCCEED:
		case VMX_FAIL_INVALID:
		case VMX_NOT_MODELLED:
			break;
		case VMX_ENTRY_FAILED:
			if ((id != VMX_VMLAUNCH && id != VMX_VMRESUME) || !res.entry_diag)
				abort();
			break;
		case VMX_FAIL_VALID:
			if (!error_allowed(id, res.error) || lp->vmx.current == VMCS_PTR_NONE)
				abort();
			break;
		case VMX_FAULT:
			if (res.fault.vector != VEC_UD && res.fault.vector != VEC_GP)
				abort();
			break;
		default:
			abort();
		}
		/* The current VMCS, when there is one, is the one cached. */
		if (lp->vmx.current != VMCS_PTR_NONE && lp->vmx.vmcs.ptr != lp->vmx.current)
			abort();
	}
	return 0;
}
