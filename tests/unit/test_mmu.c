/* The page walker: translations, #PF error codes, accessed/dirty updates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/mmu.h"

#define RAM_SIZE (4u << 20)

struct fixture {
	struct phys pm;
	struct mmu_ctx c;
};

static uint64_t rd(struct phys *pm, uint64_t pa) { return phys_read64(pm, pa); }

/* 4-level tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD), 0x4000 (PT).
 * PT maps linear 0x200000 + i*4K -> 0x100000 + i*4K for the entries set. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->pm.ram = calloc(1, RAM_SIZE);
	f->pm.size = RAM_SIZE;
	f->pm.maxphyaddr = 46;
	phys_write64(&f->pm, 0x1000, 0x2000 | 0x7);          /* P RW US */
	phys_write64(&f->pm, 0x2000, 0x3000 | 0x7);
	phys_write64(&f->pm, 0x3000 + 1 * 8, 0x4000 | 0x7);  /* 2 MiB..4 MiB via the PT */
	phys_write64(&f->pm, 0x3000 + 2 * 8, 0x400000 | 0x83); /* 4 MiB large page, supervisor */
	phys_write64(&f->pm, 0x4000 + 0 * 8, 0x100000 | 0x7);  /* user, writable */
	phys_write64(&f->pm, 0x4000 + 1 * 8, 0x101000 | 0x5);  /* user, read-only */
	phys_write64(&f->pm, 0x4000 + 2 * 8, 0x102000 | 0x3);  /* supervisor, writable */
	phys_write64(&f->pm, 0x4000 + 3 * 8, 0x103000 | 0x7 | (1ull << 63)); /* XD */
	phys_write64(&f->pm, 0x4000 + 4 * 8, 0x104000 | 0x7 | (1ull << 50)); /* reserved bit */
	f->c.cr0 = 0x80010033;            /* PG, WP, PE */
	f->c.cr3 = 0x1000;
	f->c.cr4 = 0x20;                  /* PAE */
	f->c.efer = 0xd00;                /* LME, LMA, NXE */
	f->c.cpl = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	free(f->pm.ram);
	free(f);
	return 0;
}

static void test_mmu_translates_4k_and_sets_accessed(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200123, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x100123);
	assert_true(rd(&f->pm, 0x4000) & (1u << 5));       /* A */
	assert_false(rd(&f->pm, 0x4000) & (1u << 6));      /* not D on a read */
	assert_true(rd(&f->pm, 0x1000) & (1u << 5));
}

static void test_mmu_write_sets_dirty_on_leaf_only(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_WRITE, 0, &pa, &fl), 0);
	assert_true(rd(&f->pm, 0x4000) & (1u << 6));
	assert_false(rd(&f->pm, 0x3000 + 8) & (1u << 6));
}

static void test_mmu_no_ad_leaves_entries_alone(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_WRITE, MMU_NO_AD, &pa, &fl), 0);
	assert_int_equal(rd(&f->pm, 0x4000), 0x100000 | 0x7);
}

static void test_mmu_large_page(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x4abcde, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x4abcde);
}

static void test_mmu_not_present_read_error_code_0(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x20a000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, 0);
	assert_int_equal(fl.la, 0x20a000);
}

static void test_mmu_not_present_user_write_error_code_6(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	f->c.cpl = 3;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x20a000, MMU_WRITE, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_W | PFEC_U);
}

static void test_mmu_write_to_read_only_faults_with_wp(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x201000, MMU_WRITE, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_W);
	f->c.cr0 &= ~(1ull << 16);  /* WP = 0: supervisor writes go through */
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x201000, MMU_WRITE, 0, &pa, &fl), 0);
}

static void test_mmu_user_access_to_supervisor_page(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	f->c.cpl = 3;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x202000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_U);
	/* An implicit supervisor access (e.g. a descriptor-table read) is allowed. */
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x202000, MMU_READ, MMU_SUPERVISOR, &pa, &fl), 0);
}

static void test_mmu_fetch_from_xd_page(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x203000, MMU_FETCH, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_I);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x203000, MMU_READ, 0, &pa, &fl), 0);
}

static void test_mmu_reserved_bit(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x204000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_RSVD);
	/* XD with EFER.NXE = 0 is a reserved bit too. */
	f->c.efer &= ~(1ull << 11);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x203000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_RSVD);
}

static void test_mmu_smep_and_smap(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	f->c.cr4 |= (1u << 20) | (1u << 21);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_FETCH, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P | PFEC_I);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, PFEC_P);
	f->c.rflags_ac = true;  /* AC=1 lets explicit supervisor accesses through */
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x200000, MMU_READ, MMU_SUPERVISOR, &pa, &fl), -1);
}

static void test_mmu_paging_off_and_32bit_paging(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	struct mmu_ctx c = { .cr0 = 0x11, .cr3 = 0, .cr4 = 0, .efer = 0 };
	assert_int_equal(mmu_translate(&f->pm, &c, 0x12345678, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x12345678);
	/* 32-bit paging: PD at 0x5000, a 4 MiB page with PSE, and a 4 KiB page. */
	phys_write32(&f->pm, 0x5000 + 1 * 4, 0x00400000 | 0x83);
	phys_write32(&f->pm, 0x5000 + 2 * 4, 0x6000 | 0x3);
	phys_write32(&f->pm, 0x6000 + 5 * 4, 0x300000 | 0x3);
	c.cr0 = 0x80000011;
	c.cr3 = 0x5000;
	c.cr4 = 0x10;  /* PSE */
	assert_int_equal(mmu_translate(&f->pm, &c, 0x00412345, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x00412345);
	assert_int_equal(mmu_translate(&f->pm, &c, 0x00805abc, MMU_WRITE, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x300abc);
	assert_true(phys_read32(&f->pm, 0x6000 + 5 * 4) & (1u << 6));
	assert_int_equal(mmu_translate(&f->pm, &c, 0x00c00000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.error_code, 0);
}

static void test_mmu_write_crossing_into_fault_writes_nothing(void **state)
{
	struct fixture *f = *state;
	struct mmu_fault fl;
	uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	/* 0x202ffc..0x203003: the second page is XD but writable, so make it absent. */
	phys_write64(&f->pm, 0x4000 + 3 * 8, 0);
	assert_int_equal(mmu_write(&f->pm, &f->c, 0x202ffc, buf, 8, 0, &fl), -1);
	assert_int_equal(fl.la, 0x203000);
	assert_int_equal(phys_read32(&f->pm, 0x102ffc), 0);
}

static void test_mmu_open_bus_reads_all_ones(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(phys_read64(&f->pm, RAM_SIZE + 0x1000), ~0ull);
	phys_write64(&f->pm, RAM_SIZE - 4, 0x1122334455667788ull); /* half lands in RAM */
	assert_int_equal(phys_read32(&f->pm, RAM_SIZE - 4), 0x55667788);
}

/* PAE paging's PDPTE registers (SDM Vol. 3, "PDPTE Registers"): a load takes the
 * four entries at CR3[31:5] and refuses a present one with bits 2:1, 8:5 or
 * 63:MAXPHYADDR set (not-present entries and the ignored bits 11:9 pass); a walk
 * with registers uses them, not the table at CR3. */
static void test_mmu_pae_pdpte_registers(void **state)
{
	struct fixture *f = *state;
	uint64_t pa, e[4];
	struct mmu_fault fl;
	/* PDPT at 0x7020 (32-byte aligned), PD at 0x8000, PT at 0x9000: linear
	 * 0x40001000 (PDPTE 1, PDE 0, PTE 1) -> 0x123000. */
	phys_write64(&f->pm, 0x7020 + 0 * 8, 0xdead0000ull | 0x6);   /* not present: ignored */
	phys_write64(&f->pm, 0x7020 + 1 * 8, 0x8000 | 0x1 | 0xe00);  /* P, ignored 11:9 */
	phys_write64(&f->pm, 0x8000, 0x9000 | 0x3);
	phys_write64(&f->pm, 0x9000 + 1 * 8, 0x123000 | 0x3);
	struct mmu_ctx c = { .cr0 = 0x80000011, .cr3 = 0x7020, .cr4 = 0x20, .efer = 0 };
	assert_int_equal(mmu_load_pdptes(&f->pm, &c, 0x7020 | 0x1f, e, &fl), 0);
	assert_int_equal(e[0], 0xdead0006ull);
	assert_int_equal(e[1], 0x8e01ull);
	assert_int_equal(e[2], 0);
	static const uint64_t rsvd[] = { 1ull << 1, 1ull << 2, 1ull << 5, 1ull << 8, 1ull << 46, 1ull << 52,
					 1ull << 63 };
	for (size_t i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		phys_write64(&f->pm, 0x7020 + 3 * 8, 0x8000 | 0x1 | rsvd[i]);
		assert_int_equal(mmu_load_pdptes(&f->pm, &c, 0x7020, e, &fl), 1);
	}
	phys_write64(&f->pm, 0x7020 + 3 * 8, 0);
	/* Without registers the walk reads the table at CR3; it sets the accessed flags
	 * of the PDE and the PTE, never bit 5 of the PDPTE, which is reserved there. */
	assert_int_equal(mmu_translate(&f->pm, &c, 0x40001abc, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x123abc);
	assert_int_equal(phys_read64(&f->pm, 0x7020 + 1 * 8), 0x8000 | 0x1 | 0xe00);
	assert_int_equal(phys_read64(&f->pm, 0x8000) & 0x20, 0x20);
	assert_int_equal(phys_read64(&f->pm, 0x9000 + 1 * 8) & 0x20, 0x20);
	assert_int_equal(mmu_load_pdptes(&f->pm, &c, 0x7020, e, &fl), 0);
	/* With them, CR3 no longer matters: the registers say where the PD is. */
	uint64_t regs[4] = { 0, 0x8001, 0, 0 };
	c.cr3 = 0x3fe0;                   /* a table of zeros */
	c.pdpte = regs;
	assert_int_equal(mmu_translate(&f->pm, &c, 0x40001abc, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, 0x123abc);
	/* A register that is not present: #PF with P = 0, whatever memory holds. */
	phys_write64(&f->pm, 0x7020 + 2 * 8, 0x8000 | 0x1);
	c.cr3 = 0x7020;
	assert_int_equal(mmu_translate(&f->pm, &c, 0x80001000, MMU_WRITE, 0, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_PF);
	assert_int_equal(fl.error_code, PFEC_W);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mmu_translates_4k_and_sets_accessed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_write_sets_dirty_on_leaf_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_no_ad_leaves_entries_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_large_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_not_present_read_error_code_0, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_not_present_user_write_error_code_6, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_write_to_read_only_faults_with_wp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_user_access_to_supervisor_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_fetch_from_xd_page, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_reserved_bit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_smep_and_smap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_paging_off_and_32bit_paging, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_write_crossing_into_fault_writes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_open_bus_reads_all_ones, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mmu_pae_pdpte_registers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
