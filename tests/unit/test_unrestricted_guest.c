/* Unrestricted guest through kvmlike: a vCPU left in real mode after reset, and
 * one in 32-bit protected mode without paging, run under EPT (which maps their
 * guest-physical memory as they touch it) to port I/O, EPT-violation and HLT
 * exits, with the architected register results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kvmlike/kvm.h"
#include "kvmlike/runtime_hosted.h"
#include "vtsim/hosted.h"

struct fixture {
	struct vtsim_machine *m;
	struct kvm *vm;
	struct kvm_vcpu *vcpu;
	uint8_t *mem;
};

static int setup(void **state)
{
	static struct fixture f;
	struct vtsim_config cfg;
	char err[256];
	memset(&f, 0, sizeof(f));
	vtsim_config_defaults(&cfg);
	f.m = vtsim_machine_create(&cfg, err, sizeof(err));
	assert_non_null(f.m);
	assert_int_equal(vtsim_hosted_start(f.m, err, sizeof(err)), 0);
	FILE *log = fopen("/dev/null", "w");
	assert_int_equal(kvm_hosted_attach(f.m, log), 0);
	assert_int_equal(kvm_init(), 0);
	assert_int_equal(kvm_create_vm(KVM_X86_DEFAULT_VM, &f.vm), 0);
	f.mem = kvm_userspace_alloc(1 << 20);
	assert_non_null(f.mem);
	struct kvm_userspace_memory_region r = { 0, 0, 0, 1 << 20, (uint64_t)(uintptr_t)f.mem };
	assert_int_equal(kvm_set_user_memory_region(f.vm, &r), 0);
	assert_int_equal(kvm_create_vcpu(f.vm, 0, &f.vcpu), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	kvm_destroy_vm(f->vm);
	kvm_exit();
	kvm_hosted_detach();
	vtsim_machine_destroy(f->m);
	return 0;
}

/* Runs to the next exit that is not port 0xE9 output; the bytes written to 0xE9
 * are collected in out. */
static uint32_t run(struct fixture *f, char *out, size_t n)
{
	size_t k = 0;
	for (int i = 0; i < 64; i++) {
		assert_int_equal(kvm_vcpu_run(f->vcpu), 0);
		struct kvm_run *run = f->vcpu->run;
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != 0xe9)
			return run->exit_reason;
		if (k + 1 < n)
			out[k++] = (char)((uint8_t *)run)[run->io.data_offset];
		out[k] = 0;
	}
	fail_msg("no exit but port 0xE9 output");
	return 0;
}

/* 16-bit code at 0000:7C00: mov ax, 0x1234; add ax, ax; mov dx, 0xe9; out dx, al;
 * mov bx, [0x500]; hlt */
static const uint8_t real_mode_code[] = {
	0xb8, 0x34, 0x12, 0x01, 0xc0, 0xba, 0xe9, 0x00, 0xee, 0x8b, 0x1e, 0x00, 0x05, 0xf4,
};

static void test_real_mode_guest_runs_to_hlt(void **state)
{
	struct fixture *f = *state;
	memcpy(f->mem + 0x7c00, real_mode_code, sizeof(real_mode_code));
	f->mem[0x500] = 0x78;
	f->mem[0x501] = 0x56;
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	assert_int_equal(s.cr0 & 1, 0);            /* RESET leaves real mode */
	s.cs.base = 0;
	s.cs.selector = 0;
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &s), 0);
	struct kvm_regs r = { .rip = 0x7c00, .rflags = 2 };
	assert_int_equal(kvm_vcpu_set_regs(f->vcpu, &r), 0);
	char out[8];
	assert_int_equal(run(f, out, sizeof(out)), KVM_EXIT_HLT);
	assert_string_equal(out, "\x68");          /* AL of 0x2468 */
	assert_int_equal(kvm_vcpu_get_regs(f->vcpu, &r), 0);
	assert_int_equal(r.rax & 0xffff, 0x2468);
	assert_int_equal(r.rbx & 0xffff, 0x5678);
	assert_int_equal(r.rip, 0x7c0e);           /* past the HLT */
}

/* 32-bit code: mov eax, 0x1234; add eax, eax; mov dx, 0xe9; out dx, al;
 * mov ebx, [0x500]; hlt */
static const uint8_t protected_code[] = {
	0xb8, 0x34, 0x12, 0x00, 0x00, 0x01, 0xc0, 0x66, 0xba, 0xe9, 0x00, 0xee,
	0x8b, 0x1d, 0x00, 0x05, 0x00, 0x00, 0xf4,
};

static void test_protected_mode_without_paging_runs_to_hlt(void **state)
{
	struct fixture *f = *state;
	memcpy(f->mem + 0x7c00, protected_code, sizeof(protected_code));
	memcpy(f->mem + 0x500, "\x78\x56\x34\x12", 4);
	struct kvm_sregs s;
	assert_int_equal(kvm_vcpu_get_sregs(f->vcpu, &s), 0);
	struct kvm_segment code = { .limit = 0xffffffff, .selector = 8, .type = 0xb, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xffffffff, .selector = 0x10, .type = 3, .present = 1,
				    .s = 1, .db = 1, .g = 1 };
	s.cs = code;
	s.ds = s.es = s.ss = s.fs = s.gs = data;
	s.cr0 = 0x31;                               /* PE, ET, NE: no paging */
	s.efer = 0;
	assert_int_equal(kvm_vcpu_set_sregs(f->vcpu, &s), 0);
	struct kvm_regs r = { .rip = 0x7c00, .rflags = 2 };
	assert_int_equal(kvm_vcpu_set_regs(f->vcpu, &r), 0);
	char out[8];
	assert_int_equal(run(f, out, sizeof(out)), KVM_EXIT_HLT);
	assert_string_equal(out, "\x68");
	assert_int_equal(kvm_vcpu_get_regs(f->vcpu, &r), 0);
	assert_int_equal(r.rax, 0x2468);
	assert_int_equal(r.rbx, 0x12345678);
	assert_int_equal(r.rip, 0x7c13);
	/* The guest touched two pages (code, data): each an EPT violation kvmlike mapped. */
	assert_int_equal(f->vcpu->stat.ept_maps, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_real_mode_guest_runs_to_hlt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protected_mode_without_paging_runs_to_hlt, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
