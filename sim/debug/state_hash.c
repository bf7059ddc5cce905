/* The machine's state as one digest (vtsim_machine_state_hash in vtsim.h), what
 * --replay compares to say a run reproduced its recording. */
#include <openssl/evp.h>

#include "sim/cpu/machine.h"

static const int hashed_regs[] = {
	UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
	UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
	UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
	UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_RFLAGS, UC_X86_REG_CR0, UC_X86_REG_CR3,
	UC_X86_REG_CR4,
};

void vtsim_machine_state_hash(struct vtsim_machine *m, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned len = 32;
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, m->pm.ram, m->pm.size);
	for (unsigned i = 0; i < m->nr_lps; i++) {
		struct lp *lp = &m->lps[i];
		uint64_t v[sizeof(hashed_regs) / sizeof(hashed_regs[0]) + 4];
		unsigned n = 0;
		for (; n < sizeof(hashed_regs) / sizeof(hashed_regs[0]); n++)
			v[n] = cpu_reg(lp->uc, hashed_regs[n]);
		v[n++] = cpu_msr(lp->uc, 0xc0000080);
		v[n++] = (uint64_t)lp->vmx.on | (uint64_t)lp->vmx.non_root << 1 | (uint64_t)lp->vmx.seam_root << 2;
		v[n++] = lp->vmx.current;
		v[n++] = lp->insns;
		EVP_DigestUpdate(ctx, v, n * sizeof(v[0]));
	}
	EVP_DigestFinal_ex(ctx, out, &len);
	EVP_MD_CTX_free(ctx);
}
