/* Benchmarks through kvmlike (hosted): a VM's exits handled by the KVM-shaped
 * hypervisor and its user space, and the guest's own speed under EPT against
 * the bare engine. The guests are tiny loops assembled here as bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicorn/unicorn.h>

#include "bench/bench.h"
#include "bench/bench_clock.h"
#include "tools/vmm.h"


/* `setup`, then `body` n times (R8D counts), then HLT. */
static size_t loop_guest(uint8_t *out, const uint8_t *setup, size_t ns, const uint8_t *body,
			 size_t nb, uint32_t n)
{
	size_t k = 0;
	memcpy(out + k, setup, ns);
	k += ns;
	out[k++] = 0x41; out[k++] = 0xb8;                  /* mov r8d, n */
	memcpy(out + k, &n, 4);
	k += 4;
	out[k++] = 0x45; out[k++] = 0x85; out[k++] = 0xc0; /* test r8d, r8d */
	out[k++] = 0x74; out[k++] = (uint8_t)(nb + 5);     /* jz done */
	memcpy(out + k, body, nb);
	k += nb;
	out[k++] = 0x41; out[k++] = 0xff; out[k++] = 0xc8; /* dec r8d */
	out[k++] = 0x75; out[k++] = (uint8_t)-(int)(nb + 5); /* jnz body */
	out[k++] = 0xf4;                                   /* done: hlt */
	return k;
}

/* Seconds to run `code` under kvmlike to its HLT, as one VM or as two VMs by turns
 * (vmm_run_two_vms), or -1. */
static double time_vms(const uint8_t *code, size_t len, bool two)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	cfg.ram_size = 64u << 20;
	FILE *devnull = fopen("/dev/null", "w");
	if (!devnull)
		return -1;
	struct vmm_report ra, rb;
	double t0 = bench_cpu_seconds();
	int rc = two ? vmm_run_two_vms(&cfg, code, len, code, len, devnull, &ra, &rb)
		     : vmm_run_flat(&cfg, code, len, devnull, &ra);
	double t = bench_cpu_seconds() - t0;
	fclose(devnull);
	return rc ? -1 : t;
}

/* Seconds to run the loop guest under kvmlike, or -1. */
static double run_vm(const uint8_t *setup, size_t ns, const uint8_t *body, size_t nb, uint32_t n)
{
	uint8_t code[256];
	size_t len = loop_guest(code, setup, ns, body, nb, n);
	return time_vms(code, len, false);
}

struct loop { const uint8_t *setup; size_t ns; const uint8_t *body; size_t nb; };

static double run_loop_vm(const void *ctx, uint64_t iterations)
{
	const struct loop *l = ctx;
	return run_vm(l->setup, l->ns, l->body, l->nb, (uint32_t)iterations);
}

/* The median over `reps` runs of (time with n iterations - time with none) / n, in us. */
static double per_iteration(const uint8_t *setup, size_t ns, const uint8_t *body, size_t nb,
			    uint32_t n, int reps)
{
	const struct loop l = { setup, ns, body, nb };
	return bench_per_iteration_us(run_loop_vm, &l, 0, n, reps);
}

/* CPUID in the guest -> kvmlike's handler (register cache, CPUID, RIP) -> VMRESUME. */
double bench_exit_roundtrip_hosted(void)
{
	static const uint8_t body[] = { 0x31, 0xc0, 0x0f, 0xa2 };   /* xor eax, eax; cpuid */
	return per_iteration(NULL, 0, body, sizeof(body), 100000, 5);
}

/* OUT to port 0x80 -> KVM_EXIT_IO to user space -> KVM_RUN again. */
double bench_io_exit_roundtrip(void)
{
	static const uint8_t body[] = { 0x66, 0xba, 0x80, 0x00, 0xee };  /* mov dx, 0x80; out dx, al */
	return per_iteration(NULL, 0, body, sizeof(body), 100000, 5);
}

/* RDMSR IA32_MISC_ENABLE -> MSR-bitmap exit -> kvmlike's emulation. */
double bench_msr_exit_roundtrip(void)
{
	static const uint8_t body[] = { 0xb9, 0xa0, 0x01, 0x00, 0x00, 0x0f, 0x32 };
	return per_iteration(NULL, 0, body, sizeof(body), 100000, 5);
}

/* A store to a page the EPT does not map yet -> EPT violation -> kvmlike maps it
 * -> the store again: one per fresh page. */
double bench_ept_violation_roundtrip(void)
{
	static const uint8_t setup[] = { 0x48, 0xbf, 0, 0, 0x40, 0, 0, 0, 0, 0 };  /* mov rdi, 4 MiB */
	static const uint8_t body[] = { 0xc6, 0x07, 0x01,                          /* mov byte [rdi], 1 */
					0x48, 0x81, 0xc7, 0x00, 0x10, 0x00, 0x00 }; /* add rdi, 4096 */
	/* 1000 fresh pages is all the guest's 8 MiB leave above 4 MiB: a few ms, near
	 * the noise of making the machine, so the median of 15 rather than 5. */
	return per_iteration(setup, sizeof(setup), body, sizeof(body), 1000, 15);
}

/* Two VMs (each its own EPTP and VPID) entered by turns on one logical processor,
 * each reading TWO_VM_PAGES pages and then leaving to user space with an OUT: the
 * cost of an entry into the other VM, its translations included, in us per entry. */
#define TWO_VM_PAGES 64
static const uint8_t two_vm_body[] = {
	0xbe, 0x00, 0x00, 0x40, 0x00,               /* mov esi, 4 MiB */
	0xb9, TWO_VM_PAGES, 0x00, 0x00, 0x00,       /* mov ecx, pages */
	0x8a, 0x06,                                 /* l: mov al, [rsi] */
	0x48, 0x81, 0xc6, 0x00, 0x10, 0x00, 0x00,   /* add rsi, 4096 */
	0xff, 0xc9,                                 /* dec ecx */
	0x75, 0xf3,                                 /* jnz l */
	0x66, 0xba, 0x80, 0x00, 0xee,               /* mov dx, 0x80; out dx, al */
};

static double run_two_vms(const void *ctx, uint64_t iterations)
{
	(void)ctx;
	uint8_t code[256];
	size_t len = loop_guest(code, NULL, 0, two_vm_body, sizeof(two_vm_body), (uint32_t)iterations);
	return time_vms(code, len, true);
}

double bench_two_vm_switch(void)
{
	double per_iteration = bench_per_iteration_us(run_two_vms, NULL, 0, 10000, 5);
	return per_iteration < 0 ? -1 : per_iteration / 2;   /* an entry into each VM */
}

/* The same ALU loop in a VM under EPT and on a bare Unicorn engine: the guest's
 * speed as a fraction of the engine's. */
static const uint8_t alu_body[] = { 0x48, 0x01, 0xc8, 0x48, 0xff, 0xc1 };    /* add rax, rcx; inc rcx */
#define ALU_ITERS 50000000u

static double run_bare(uint32_t n)
{
	uint8_t code[256];
	size_t len = loop_guest(code, NULL, 0, alu_body, sizeof(alu_body), n);
	uc_engine *uc;
	if (uc_open(UC_ARCH_X86, UC_MODE_64, &uc) != UC_ERR_OK)
		return -1;
	double t = -1;
	if (uc_mem_map(uc, 0x100000, 0x10000, UC_PROT_ALL) == UC_ERR_OK &&
	    uc_mem_write(uc, 0x100000, code, len) == UC_ERR_OK) {
		double t0 = bench_cpu_seconds();
		if (uc_emu_start(uc, 0x100000, 0x100000 + len, 0, 0) == UC_ERR_OK)
			t = bench_cpu_seconds() - t0;
	}
	uc_close(uc);
	return t;
}

double bench_guest_mips_ratio(void)
{
	double v[3];
	for (int i = 0; i < 3; i++) {
		double vm = run_vm(NULL, 0, alu_body, sizeof(alu_body), ALU_ITERS) -
			    run_vm(NULL, 0, alu_body, sizeof(alu_body), 0);
		double bare = run_bare(ALU_ITERS) - run_bare(0);
		if (vm <= 0 || bare <= 0)
			return -1;
		v[i] = bare / vm;
	}
	return bench_median(v, 3);
}
