/* The EPT walk (SDM Vol. 3C, "VMX Support for Address Translation": "EPT Translation
 * Mechanism", "EPT Misconfigurations", "EPT Violations", "Accessed and Dirty Flags
 * for EPT", "Exit Qualification for EPT Violations") and the two-dimensional page
 * walk through it in mmu.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/cpu/ept.h"
#include "sim/cpu/mmu.h"

#define RAM_SIZE (4u << 20)
#define MAXPHY   46

/* IA32_VMX_EPT_VPID_CAP: execute-only (0), 2 MiB (16), 1 GiB (17), plus bits that
 * say nothing about the walk: page-walk length 4 (6), WB (14), A/D (21). */
#define CAP_XO    (1ull << 0)
#define CAP_2M    (1ull << 16)
#define CAP_1G    (1ull << 17)
#define CAP_OTHER ((1ull << 6) | (1ull << 14) | (1ull << 21))
#define CAP_ALL   (CAP_XO | CAP_2M | CAP_1G | CAP_OTHER)

/* EPT entries. */
#define RWX      7ull
#define MT(t)    ((uint64_t)(t) << 3)
#define WB       MT(6)
#define PS       (1ull << 7)
#define ACC      (1ull << 8)
#define DIRTY    (1ull << 9)

/* EPT tables (host-physical). EPTP: WB, walk length 4. */
#define EPT_PML4 0x10000ull
#define EPT_PDPT 0x11000ull
#define EPT_PD   0x12000ull
#define EPT_PT   0x13000ull
#define EPT_PML5 0x14000ull
#define EPTP_WB  6ull            /* EPTP bits 2:0: paging-structure memory type */
#define EPTP     (EPT_PML4 | EPTP_WB | (3u << 3))
#define EPTP_AD  (1ull << 6)

/* Three guest-physical addresses and their translations: a 4 KiB page (EPT PT[5]),
 * a 2 MiB page (EPT PD[1]) and a 1 GiB page (EPT PDPT[1]). */
#define GPA_4K   0x5abcull
#define HPA_4K   0x345abcull
#define GPA_2M   0x21abcdull
#define HPA_2M   0x61abcdull
#define GPA_1G   0x52345678ull
#define HPA_1G   0xd2345678ull

/* The entries the walk of GPA_4K uses, PML4E first. */
static const uint64_t path4k[4] = { EPT_PML4, EPT_PDPT, EPT_PD, EPT_PT + 5 * 8 };

/* The guest's 4-level tables, at guest-physical 0x1000 (PML4), 0x2000 (PDPT),
 * 0x3000 (PD), 0x4000 (PT), which the EPT maps to scattered host-physical pages;
 * the identity pages (host 0..0xffff) hold all ones, so a walk that skips the EPT
 * fails. LA uses index 1, 2, 3, 4 at the four levels and maps to guest-physical
 * page 0x8000, host-physical 0x1c8000. */
#define LA       0x8080604567ull
#define G_PML4E  0x1008ull     /* guest-physical addresses of the guest entries */
#define G_PDPTE  0x2010ull
#define G_PDE    0x3018ull
#define G_PTE    0x4020ull
#define G_DATA   0x8567ull
#define H_PML4   0x151000ull   /* host-physical pages of the guest tables */
#define H_PDPT   0x132000ull
#define H_PD     0x173000ull
#define H_PT     0x124000ull
#define H_DATA   0x1c8000ull
#define H_PML4E  (H_PML4 + 1 * 8)
#define H_PDPTE  (H_PDPT + 2 * 8)
#define H_PDE    (H_PD + 3 * 8)
#define H_PTE    (H_PT + 4 * 8)

/* Guest paging-entry bits. */
#define G_P      (1ull << 0)
#define G_RW     (1ull << 1)
#define G_US     (1ull << 2)
#define G_A      (1ull << 5)
#define G_D      (1ull << 6)
#define G_PRWU   (G_P | G_RW | G_US)

/* Exit-qualification bits. */
#define Q_READ   (1ull << 0)
#define Q_WRITE  (1ull << 1)
#define Q_FETCH  (1ull << 2)
#define Q_RWX(r) ((uint64_t)(r) << 3)
#define Q_LAVALID (1ull << 7)
#define Q_FINAL  (1ull << 8)

#define ALLOW(a) (1u << (a))

struct fixture {
	struct phys pm;
	struct ept e;
	struct mmu_ctx c;
};

static uint64_t rd(struct fixture *f, uint64_t pa) { return phys_read64(&f->pm, pa); }
static void wr(struct fixture *f, uint64_t pa, uint64_t v) { phys_write64(&f->pm, pa, v); }

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->pm.ram = calloc(1, RAM_SIZE);
	f->pm.size = RAM_SIZE;
	f->pm.maxphyaddr = MAXPHY;
	memset(f->pm.ram, 0xff, 0x10000);

	wr(f, EPT_PML4, EPT_PDPT | RWX);
	wr(f, EPT_PDPT, EPT_PD | RWX);
	wr(f, EPT_PDPT + 1 * 8, 0xc0000000 | PS | WB | RWX);
	wr(f, EPT_PD, EPT_PT | RWX);
	wr(f, EPT_PD + 1 * 8, 0x600000 | PS | WB | RWX);
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | RWX);
	wr(f, EPT_PT + 1 * 8, H_PML4 | WB | RWX);
	wr(f, EPT_PT + 2 * 8, H_PDPT | WB | RWX);
	wr(f, EPT_PT + 3 * 8, H_PD | WB | RWX);
	wr(f, EPT_PT + 4 * 8, H_PT | WB | RWX);
	wr(f, EPT_PT + 8 * 8, H_DATA | WB | RWX);
	ept_init(&f->e, EPTP, CAP_ALL, MAXPHY);

	wr(f, H_PML4E, 0x2000 | G_PRWU);
	wr(f, H_PDPTE, 0x3000 | G_PRWU);
	wr(f, H_PDE, 0x4000 | G_PRWU);
	wr(f, H_PTE, 0x8000 | G_PRWU);
	f->c.cr0 = 0x80000001;            /* PG, PE */
	f->c.cr3 = 0x1000;
	f->c.cr4 = 0x20;                  /* PAE */
	f->c.efer = 0x500;                /* LME, LMA */
	f->c.ept = &f->e;
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

static enum ept_outcome xlate(struct fixture *f, uint64_t gpa, unsigned acc, struct ept_walk *w)
{
	return ept_translate(&f->pm, &f->e, gpa, acc, w);
}

static void set_ad(struct fixture *f, bool on)
{
	ept_init(&f->e, on ? EPTP | EPTP_AD : EPTP, CAP_ALL, MAXPHY);
}

/* ---- ept_init ---- */

static void test_init_root_is_eptp_bits_maxphy_to_12(void **state)
{
	(void)state;
	struct ept e;
	ept_init(&e, 0x123456789000ull | 0xfff, CAP_ALL, MAXPHY);
	assert_int_equal(e.root, 0x123456789000ull);
	assert_int_equal(e.eptp, 0x123456789fffull);
	assert_int_equal(e.maxphyaddr, MAXPHY);
	/* Bits 63:MAXPHYADDR are not part of the address. */
	ept_init(&e, (1ull << 50) | (1ull << MAXPHY) | 0x5000 | 0x1e, CAP_ALL, MAXPHY);
	assert_int_equal(e.root, 0x5000);
}

static void test_init_levels_are_eptp_bits_5_3_plus_one(void **state)
{
	(void)state;
	struct ept e;
	ept_init(&e, EPT_PML4 | EPTP_WB | (3u << 3), CAP_ALL, MAXPHY);
	assert_int_equal(e.levels, 4);
	ept_init(&e, EPT_PML4 | EPTP_WB | (4u << 3), CAP_ALL, MAXPHY);
	assert_int_equal(e.levels, 5);
}

static void test_init_ad_is_eptp_bit_6(void **state)
{
	(void)state;
	struct ept e;
	ept_init(&e, EPTP, CAP_ALL, MAXPHY);
	assert_false(e.ad);
	ept_init(&e, EPTP | EPTP_AD, CAP_ALL, MAXPHY);
	assert_true(e.ad);
}

static void test_init_capabilities_from_cap_bits_0_16_17(void **state)
{
	(void)state;
	struct ept e;
	ept_init(&e, EPTP, CAP_OTHER, MAXPHY);
	assert_false(e.exec_only);
	assert_false(e.pages_2m);
	assert_false(e.pages_1g);
	ept_init(&e, EPTP, CAP_XO, MAXPHY);
	assert_true(e.exec_only);
	assert_false(e.pages_2m);
	assert_false(e.pages_1g);
	ept_init(&e, EPTP, CAP_2M, MAXPHY);
	assert_false(e.exec_only);
	assert_true(e.pages_2m);
	assert_false(e.pages_1g);
	ept_init(&e, EPTP, CAP_1G, MAXPHY);
	assert_false(e.exec_only);
	assert_false(e.pages_2m);
	assert_true(e.pages_1g);
}

/* ---- translations ---- */

static void test_translates_4k_page_keeping_offset(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
	assert_int_equal(w.rwx, 7);
	assert_int_equal(xlate(f, 0x5fff, EPT_W, &w), EPT_OK);
	assert_int_equal(w.hpa, 0x345fff);
}

static void test_translates_2m_page_keeping_offset(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_2M);
	assert_int_equal(xlate(f, 0x3fffff, EPT_X, &w), EPT_OK);
	assert_int_equal(w.hpa, 0x7fffff);
}

static void test_translates_1g_page_keeping_offset(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_1G);
	assert_int_equal(xlate(f, 0x7fffffff, EPT_W, &w), EPT_OK);
	assert_int_equal(w.hpa, 0xffffffff);
}

static void test_translates_through_5_level_ept(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PML5, EPT_PML4 | RWX);
	ept_init(&f->e, EPT_PML5 | EPTP_WB | (4u << 3), CAP_ALL, MAXPHY);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
	/* Bit 48 of the guest-physical address selects PML5E 1, which is absent. */
	assert_int_equal(xlate(f, (1ull << 48) | GPA_4K, EPT_R, &w), EPT_VIOLATION);
}

static void test_rwx_is_and_of_bits_2_0_along_walk(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PDPT, EPT_PD | EPT_R | EPT_X);
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_R | EPT_W);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.rwx, EPT_R);
}

/* ---- violations ---- */

static void test_not_present_at_each_level_is_violation_with_rwx_0(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	for (int i = 0; i < 4; i++) {
		uint64_t old = rd(f, path4k[i]);
		wr(f, path4k[i], old & ~7ull);
		w.rwx = 0xff;
		assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_VIOLATION);
		assert_int_equal(w.rwx, 0);
		wr(f, path4k[i], old);
	}
}

static void test_not_present_large_page_entries_are_violations(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PD + 1 * 8, rd(f, EPT_PD + 1 * 8) & ~7ull);
	assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 0);
	wr(f, EPT_PDPT + 1 * 8, rd(f, EPT_PDPT + 1 * 8) & ~7ull);
	assert_int_equal(xlate(f, GPA_1G, EPT_X, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 0);
}

/* Misconfigurations are defined for present entries only: a not-present entry
 * with reserved bits or a bad memory type is a violation. */
static void test_not_present_entry_with_reserved_bits_is_violation_not_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | (1ull << 51) | MT(7) | PS);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 0);
	wr(f, EPT_PD, EPT_PT | 0xf8);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_VIOLATION);
}

static void test_write_to_read_only_leaf_is_violation_with_rwx_1(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_R);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 1);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 1);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
}

static void test_fetch_from_rw_leaf_is_violation_with_rwx_3(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_R | EPT_W);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 3);
}

/* A right missing in a non-leaf entry is missing for the page. */
static void test_right_missing_in_non_leaf_is_violation(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PML4, EPT_PDPT | EPT_R | EPT_X);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 5);
	wr(f, EPT_PML4, EPT_PDPT | RWX);
	wr(f, EPT_PD, EPT_PT | EPT_R | EPT_W);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 3);
}

static void test_large_page_rights_violation_reports_and_of_rights(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PD + 1 * 8, 0x600000 | PS | WB | EPT_R | EPT_X);
	assert_int_equal(xlate(f, GPA_2M, EPT_W, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 5);
	wr(f, EPT_PDPT + 1 * 8, 0xc0000000 | PS | WB | EPT_R);
	assert_int_equal(xlate(f, GPA_1G, EPT_X, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, 1);
}

/* ---- misconfigurations ---- */

static void test_write_without_read_is_misconfig_at_each_level(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned bad[] = { 2, 6 };
	for (int i = 0; i < 4; i++) {
		uint64_t old = rd(f, path4k[i]);
		for (int b = 0; b < 2; b++) {
			wr(f, path4k[i], (old & ~7ull) | bad[b]);
			assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
			assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_MISCONFIG);
		}
		wr(f, path4k[i], old);
	}
}

static void test_execute_only_without_capability_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	ept_init(&f->e, EPTP, CAP_2M | CAP_1G | CAP_OTHER, MAXPHY);
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_X);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_MISCONFIG);
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | RWX);
	wr(f, EPT_PD, EPT_PT | EPT_X);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_MISCONFIG);
}

static void test_execute_only_with_capability_allows_fetch_only(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_X);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, EPT_X);
	/* Execute-only in a non-leaf entry: the same. */
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | RWX);
	wr(f, EPT_PD, EPT_PT | EPT_X);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_OK);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_VIOLATION);
	assert_int_equal(w.rwx, EPT_X);
}

static void test_reserved_bits_51_maxphyaddr_are_misconfig_at_each_level(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned bits[] = { MAXPHY, 47, 51 };
	for (int i = 0; i < 4; i++) {
		uint64_t old = rd(f, path4k[i]);
		for (int b = 0; b < 3; b++) {
			wr(f, path4k[i], old | (1ull << bits[b]));
			assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
		}
		wr(f, path4k[i], old);
	}
}

static void test_reserved_bits_follow_maxphyaddr(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	/* Bit 40 is an address bit at MAXPHYADDR 46 and reserved at 39. */
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | RWX | (1ull << 40));
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, (1ull << 40) | HPA_4K);
	ept_init(&f->e, EPTP, CAP_ALL, 39);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
}

static void test_bits_63_52_are_ignored(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	for (int i = 0; i < 4; i++)
		wr(f, path4k[i], rd(f, path4k[i]) | (0x7ffull << 52));
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
}

static void test_bits_7_3_of_non_leaf_entry_are_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	/* In a PDPTE or PDE bit 7 makes a page, so 6:3 there; 7:3 in the PML4E. */
	for (int i = 0; i < 3; i++) {
		uint64_t old = rd(f, path4k[i]);
		for (int bit = 3; bit <= (i == 0 ? 7 : 6); bit++) {
			wr(f, path4k[i], old | (1ull << bit));
			assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
		}
		wr(f, path4k[i], old);
	}
}

static void test_bits_11_8_of_non_leaf_entry_are_not_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	for (int i = 0; i < 3; i++)
		wr(f, path4k[i], rd(f, path4k[i]) | 0xf00);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
}

static void test_page_size_bit_in_pml4e_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PML4, EPT_PDPT | PS | RWX);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
	assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_MISCONFIG);
}

static void test_page_size_bit_in_pml5e_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PML5, EPT_PML4 | PS | RWX);
	ept_init(&f->e, EPT_PML5 | EPTP_WB | (4u << 3), CAP_ALL, MAXPHY);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
}

/* Bit 7 of an EPT PTE is ignored. */
static void test_bit_7_of_pte_is_ignored(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | PS | WB | RWX);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(w.hpa, HPA_4K);
}

static void test_2m_page_with_bits_20_12_set_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned bits[] = { 12, 16, 20 };
	for (int b = 0; b < 3; b++) {
		wr(f, EPT_PD + 1 * 8, 0x600000 | (1ull << bits[b]) | PS | WB | RWX);
		assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_MISCONFIG);
	}
}

static void test_1g_page_with_bits_29_12_set_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned bits[] = { 12, 20, 21, 29 };
	for (int b = 0; b < 4; b++) {
		wr(f, EPT_PDPT + 1 * 8, 0xc0000000 | (1ull << bits[b]) | PS | WB | RWX);
		assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_MISCONFIG);
	}
}

static void test_2m_page_without_capability_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	ept_init(&f->e, EPTP, CAP_XO | CAP_1G | CAP_OTHER, MAXPHY);
	assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_MISCONFIG);
	assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_OK);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
}

static void test_1g_page_without_capability_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	ept_init(&f->e, EPTP, CAP_XO | CAP_2M | CAP_OTHER, MAXPHY);
	assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_MISCONFIG);
	assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_OK);
}

static void test_leaf_memory_types_2_3_7_are_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned bad[] = { 2, 3, 7 };
	for (int i = 0; i < 3; i++) {
		wr(f, EPT_PT + 5 * 8, 0x345000 | MT(bad[i]) | RWX);
		assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
		wr(f, EPT_PD + 1 * 8, 0x600000 | PS | MT(bad[i]) | RWX);
		assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_MISCONFIG);
		wr(f, EPT_PDPT + 1 * 8, 0xc0000000 | PS | MT(bad[i]) | RWX);
		assert_int_equal(xlate(f, GPA_1G, EPT_R, &w), EPT_MISCONFIG);
	}
}

static void test_leaf_memory_types_0_1_4_5_6_are_valid(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	static const unsigned good[] = { 0, 1, 4, 5, 6 };
	for (int i = 0; i < 5; i++) {
		/* With the ignore-PAT bit (6) too: it is not part of the type. */
		wr(f, EPT_PT + 5 * 8, 0x345000 | MT(good[i]) | (1ull << 6) | RWX);
		assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
		assert_int_equal(w.hpa, HPA_4K);
		wr(f, EPT_PD + 1 * 8, 0x600000 | PS | MT(good[i]) | RWX);
		assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_OK);
		assert_int_equal(w.hpa, HPA_2M);
	}
}

/* A misconfiguration anywhere in the walk wins over a missing right in the leaf. */
static void test_misconfig_wins_over_rights_violation(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PT + 5 * 8, 0x345000 | MT(7) | EPT_R);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_MISCONFIG);
}

/* The simulator's open bus: a table outside RAM reads as all ones. */
static void test_table_outside_ram_is_misconfig(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	wr(f, EPT_PD, (RAM_SIZE + 0x1000ull) | RWX);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_MISCONFIG);
}

/* ---- accessed and dirty flags ---- */

static void test_ad_off_leaves_entries_unchanged(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	uint64_t before[4];
	for (int i = 0; i < 4; i++)
		before[i] = rd(f, path4k[i]);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_OK);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_OK);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd(f, path4k[i]), before[i]);
}

static void test_ad_on_read_sets_accessed_in_every_entry_and_no_dirty(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	for (int i = 0; i < 4; i++) {
		assert_true(rd(f, path4k[i]) & ACC);
		assert_false(rd(f, path4k[i]) & DIRTY);
	}
	assert_false(w.dirty);
	/* Nothing else changed in the entries. */
	assert_int_equal(rd(f, EPT_PT + 5 * 8), 0x345000 | WB | RWX | ACC);
	assert_int_equal(rd(f, EPT_PML4), EPT_PDPT | RWX | ACC);
}

static void test_ad_on_fetch_sets_accessed_and_no_dirty(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	assert_int_equal(xlate(f, GPA_4K, EPT_X, &w), EPT_OK);
	for (int i = 0; i < 4; i++) {
		assert_true(rd(f, path4k[i]) & ACC);
		assert_false(rd(f, path4k[i]) & DIRTY);
	}
}

static void test_ad_on_write_sets_dirty_in_leaf_only(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_OK);
	for (int i = 0; i < 4; i++)
		assert_true(rd(f, path4k[i]) & ACC);
	for (int i = 0; i < 3; i++)
		assert_false(rd(f, path4k[i]) & DIRTY);
	assert_true(rd(f, EPT_PT + 5 * 8) & DIRTY);
	assert_true(w.dirty);
}

static void test_ad_on_write_to_large_pages_sets_dirty_in_leaf(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	assert_int_equal(xlate(f, GPA_2M, EPT_W, &w), EPT_OK);
	assert_int_equal(rd(f, EPT_PD + 1 * 8), 0x600000 | PS | WB | RWX | ACC | DIRTY);
	assert_int_equal(rd(f, EPT_PDPT), EPT_PD | RWX | ACC);
	assert_int_equal(rd(f, EPT_PML4), EPT_PDPT | RWX | ACC);
	assert_int_equal(xlate(f, GPA_1G, EPT_W, &w), EPT_OK);
	assert_int_equal(rd(f, EPT_PDPT + 1 * 8), 0xc0000000 | PS | WB | RWX | ACC | DIRTY);
}

static void test_walk_dirty_reports_leaf_dirty_flag(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_false(w.dirty);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_OK);
	assert_true(w.dirty);
	/* A later read sees the flag the write left. */
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_OK);
	assert_true(w.dirty);
	/* A dirty flag in a non-leaf entry does not count. */
	wr(f, EPT_PD + 1 * 8, 0x600000 | PS | WB | RWX);
	wr(f, EPT_PDPT, EPT_PD | RWX | DIRTY);
	assert_int_equal(xlate(f, GPA_2M, EPT_R, &w), EPT_OK);
	assert_false(w.dirty);
}

static void test_ad_on_violation_leaves_entries_unchanged(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	wr(f, EPT_PT + 5 * 8, 0x345000 | WB | EPT_R);
	uint64_t before[4];
	for (int i = 0; i < 4; i++)
		before[i] = rd(f, path4k[i]);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_VIOLATION);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd(f, path4k[i]), before[i]);
	wr(f, EPT_PT + 5 * 8, 0);
	assert_int_equal(xlate(f, GPA_4K, EPT_R, &w), EPT_VIOLATION);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rd(f, path4k[i]), before[i]);
}

static void test_ad_on_misconfig_leaves_entries_unchanged(void **state)
{
	struct fixture *f = *state;
	struct ept_walk w;
	set_ad(f, true);
	wr(f, EPT_PT + 5 * 8, 0x345000 | MT(2) | RWX);
	uint64_t before[4];
	for (int i = 0; i < 4; i++)
		before[i] = rd(f, path4k[i]);
	assert_int_equal(xlate(f, GPA_4K, EPT_W, &w), EPT_MISCONFIG);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rd(f, path4k[i]), before[i]);
}

/* ---- exit qualification ---- */

static void test_qualification_access_bits_2_0(void **state)
{
	(void)state;
	assert_int_equal(ept_violation_qualification(EPT_R, 0, false, false) & 7, Q_READ);
	assert_int_equal(ept_violation_qualification(EPT_W, 0, false, false) & 7, Q_WRITE);
	assert_int_equal(ept_violation_qualification(EPT_X, 0, false, false) & 7, Q_FETCH);
	assert_int_equal(ept_violation_qualification(EPT_R | EPT_W, 0, false, false) & 7,
			 Q_READ | Q_WRITE);
}

static void test_qualification_rights_bits_5_3(void **state)
{
	(void)state;
	for (unsigned r = 0; r < 8; r++)
		assert_int_equal(ept_violation_qualification(EPT_R, r, false, false), Q_READ | Q_RWX(r));
}

static void test_qualification_bit_7_linear_valid_bit_8_final(void **state)
{
	(void)state;
	assert_int_equal(ept_violation_qualification(EPT_W, 1, true, true),
			 Q_WRITE | Q_RWX(1) | Q_LAVALID | Q_FINAL);
	assert_int_equal(ept_violation_qualification(EPT_R, 0, true, false), Q_READ | Q_LAVALID);
}

/* Bit 8 has a meaning only when bit 7 is set (the PDPTE loads of MOV to CR). */
static void test_qualification_bit_8_clear_without_linear_address(void **state)
{
	(void)state;
	assert_int_equal(ept_violation_qualification(EPT_R, 5, false, true), Q_READ | Q_RWX(5));
	assert_int_equal(ept_violation_qualification(EPT_R, 5, false, false), Q_READ | Q_RWX(5));
}

/* ---- the two-dimensional walk in mmu.c ---- */

static int translate(struct fixture *f, enum mmu_access acc, uint64_t *pa, struct mmu_fault *fl)
{
	return mmu_translate(&f->pm, &f->c, LA, acc, 0, pa, fl);
}

static void test_mmu_ept_final_host_physical_address(void **state)
{
	struct fixture *f = *state;
	uint64_t pa = 0;
	struct mmu_fault fl;
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), 0);
	assert_int_equal(pa, H_DATA | 0x567);
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), 0);
	assert_int_equal(pa, H_DATA | 0x567);
	assert_int_equal(translate(f, MMU_FETCH, &pa, &fl), 0);
	assert_int_equal(pa, H_DATA | 0x567);
}

static void test_mmu_ept_paging_off_translates_linear_as_guest_physical(void **state)
{
	struct fixture *f = *state;
	uint64_t pa = 0;
	struct mmu_fault fl;
	f->c.cr0 = 0x11;
	f->c.cr4 = 0;
	f->c.efer = 0;
	assert_int_equal(mmu_translate(&f->pm, &f->c, GPA_4K, MMU_READ, 0, &pa, &fl), 0);
	assert_int_equal(pa, HPA_4K);
	assert_int_equal(mmu_translate(&f->pm, &f->c, 0x7000, MMU_READ, 0, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_int_equal(fl.gpa, 0x7000);
	assert_true(fl.final);
}

/* Each guest paging-structure page whose EPT entry is absent: the walk's read of
 * the guest entry is the violation, at that entry's guest-physical address. */
static void test_mmu_ept_not_present_guest_table_is_violation_at_entry_gpa(void **state)
{
	struct fixture *f = *state;
	static const uint64_t gpa[4] = { G_PML4E, G_PDPTE, G_PDE, G_PTE };
	for (int i = 0; i < 4; i++) {
		uint64_t slot = EPT_PT + (uint64_t)(i + 1) * 8, old = rd(f, slot);
		uint64_t pa;
		struct mmu_fault fl;
		memset(&fl, 0xa5, sizeof(fl));
		wr(f, slot, 0);
		assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
		assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
		assert_false(fl.final);
		assert_int_equal(fl.gpa, gpa[i]);
		assert_int_equal(fl.la, LA);
		assert_int_equal(fl.qualification, Q_READ | Q_RWX(0) | Q_LAVALID);
		wr(f, slot, old);
	}
}

/* The walk reads guest entries whatever the access: a read in the qualification
 * even for a write (EPT A/D off). */
static void test_mmu_ept_walk_access_is_read_for_a_write_with_ad_off(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, EPT_PT + 3 * 8, 0);
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_int_equal(fl.gpa, G_PDE);
	assert_int_equal(fl.qualification, Q_READ | Q_LAVALID);
}

/* SDM "Exit Qualification for EPT Violations", footnote to bits 0 and 1: with EPT
 * A/D flags on, accesses to guest paging-structure entries are treated as writes,
 * and if such an access causes an EPT violation the processor sets both bit 0 and
 * bit 1. */
static void test_mmu_ept_ad_walk_access_violation_sets_read_and_write_bits(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	set_ad(f, true);
	wr(f, EPT_PT + 2 * 8, 0);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_false(fl.final);
	assert_int_equal(fl.gpa, G_PDPTE);
	assert_int_equal(fl.qualification, Q_READ | Q_WRITE | Q_RWX(0) | Q_LAVALID);
}

/* With EPT A/D on, a guest table page that EPT maps read-only faults even for a
 * guest read whose guest A bits are all set already: the walk access is a write. */
static void test_mmu_ept_ad_walk_access_counts_as_write(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, H_PML4E, rd(f, H_PML4E) | G_A);
	wr(f, H_PDPTE, rd(f, H_PDPTE) | G_A);
	wr(f, H_PDE, rd(f, H_PDE) | G_A);
	wr(f, H_PTE, rd(f, H_PTE) | G_A);
	wr(f, EPT_PT + 3 * 8, H_PD | WB | EPT_R);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), 0);   /* A/D off: a read */
	set_ad(f, true);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_false(fl.final);
	assert_int_equal(fl.gpa, G_PDE);
	assert_true(fl.qualification & Q_WRITE);
	assert_int_equal(fl.qualification & ~(Q_READ | Q_WRITE), Q_RWX(1) | Q_LAVALID);
}

/* ... and so sets the EPT dirty flag of the guest table pages. */
static void test_mmu_ept_ad_walk_sets_ept_dirty_on_guest_table_pages(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	set_ad(f, true);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), 0);
	for (int i = 1; i <= 4; i++)
		assert_int_equal(rd(f, EPT_PT + (uint64_t)i * 8) & (ACC | DIRTY), ACC | DIRTY);
	/* The data page was read: accessed, not dirty. */
	assert_int_equal(rd(f, EPT_PT + 8 * 8) & (ACC | DIRTY), ACC);
}

static void test_mmu_ept_final_violation_has_data_gpa_and_bits_7_8(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, EPT_PT + 8 * 8, H_DATA | WB | EPT_R);
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_true(fl.final);
	assert_int_equal(fl.gpa, G_DATA);
	assert_int_equal(fl.la, LA);
	assert_int_equal(fl.qualification, Q_WRITE | Q_RWX(1) | Q_LAVALID | Q_FINAL);
	assert_int_equal(translate(f, MMU_FETCH, &pa, &fl), -1);
	assert_int_equal(fl.qualification, Q_FETCH | Q_RWX(1) | Q_LAVALID | Q_FINAL);
	wr(f, EPT_PT + 8 * 8, 0);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_true(fl.final);
	assert_int_equal(fl.gpa, G_DATA);
	assert_int_equal(fl.qualification, Q_READ | Q_RWX(0) | Q_LAVALID | Q_FINAL);
}

/* The final access with EPT A/D on is the guest's own access: a read stays a read. */
static void test_mmu_ept_ad_final_read_violation_is_read(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	set_ad(f, true);
	wr(f, EPT_PT + 8 * 8, H_DATA | WB | EPT_X);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_true(fl.final);
	assert_int_equal(fl.qualification, Q_READ | Q_RWX(4) | Q_LAVALID | Q_FINAL);
}

static void test_mmu_ept_misconfig_reports_gpa(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, EPT_PT + 4 * 8, H_PT | MT(3) | RWX);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_MISCONFIG);
	assert_int_equal(fl.gpa, G_PTE);
	assert_false(fl.final);
	wr(f, EPT_PT + 4 * 8, H_PT | WB | RWX);
	wr(f, EPT_PT + 8 * 8, H_DATA | WB | EPT_W);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_MISCONFIG);
	assert_int_equal(fl.gpa, G_DATA);
	assert_true(fl.final);
}

static void test_mmu_ept_guest_ad_bits_land_in_host_pages(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), 0);
	assert_int_equal(rd(f, H_PML4E), 0x2000 | G_PRWU | G_A);
	assert_int_equal(rd(f, H_PDPTE), 0x3000 | G_PRWU | G_A);
	assert_int_equal(rd(f, H_PDE), 0x4000 | G_PRWU | G_A);
	assert_int_equal(rd(f, H_PTE), 0x8000 | G_PRWU | G_A | G_D);
	/* The identity-mapped pages are untouched. */
	assert_int_equal(rd(f, G_PML4E), ~0ull);
	assert_int_equal(rd(f, G_PTE), ~0ull);
}

/* The guest's accessed-flag update is a locked read-modify-write of the guest
 * table page (EPT A/D off): read-only in EPT, it is a violation, not final, at the
 * entry's address, reporting both a data read and a data write (bits 0 and 1),
 * with rights R (bits 5:3 = 1) and a valid linear address (bit 7): 0x8b. */
static void test_mmu_ept_read_only_guest_table_faults_on_accessed_update(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, EPT_PT + 4 * 8, H_PT | WB | EPT_R);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_false(fl.final);
	assert_int_equal(fl.gpa, G_PTE);
	assert_int_equal(fl.la, LA);
	assert_int_equal(fl.qualification, Q_READ | Q_WRITE | Q_RWX(1) | Q_LAVALID);
	assert_int_equal(fl.qualification, 0x8b);
	assert_int_equal(rd(f, H_PTE), 0x8000 | G_PRWU);
}

/* No flag to set, no write: a read-only guest table with A already set is fine. */
static void test_mmu_ept_read_only_guest_table_with_accessed_set_is_fine(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, EPT_PT + 4 * 8, H_PT | WB | EPT_R);
	wr(f, H_PTE, rd(f, H_PTE) | G_A);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), 0);
	assert_int_equal(pa, H_DATA | 0x567);
	/* A write needs the dirty flag: a violation again, on the same locked update. */
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_EPT_VIOLATION);
	assert_int_equal(fl.gpa, G_PTE);
	assert_false(fl.final);
	assert_int_equal(fl.qualification, Q_READ | Q_WRITE | Q_RWX(1) | Q_LAVALID);
}

static void test_mmu_ept_guest_not_present_is_page_fault(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	struct mmu_fault fl;
	wr(f, H_PTE, 0x8000 | G_RW | G_US);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_PF);
	assert_int_equal(fl.error_code, 0);
	assert_int_equal(fl.la, LA);
	assert_int_equal(translate(f, MMU_WRITE, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_PF);
	assert_int_equal(fl.error_code, PFEC_W);
	wr(f, H_PTE, 0x8000 | G_PRWU);
	wr(f, H_PDPTE, 0);
	assert_int_equal(translate(f, MMU_READ, &pa, &fl), -1);
	assert_int_equal(fl.kind, MMU_FAULT_PF);
	assert_int_equal(fl.error_code, 0);
}

static void test_mmu_ept_rights_rw_leaf_allows_no_fetch(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	unsigned allowed = 0;
	struct mmu_fault fl;
	wr(f, EPT_PT + 8 * 8, H_DATA | WB | EPT_R | EPT_W);
	wr(f, H_PTE, rd(f, H_PTE) | G_A | G_D);
	assert_int_equal(mmu_translate_rights(&f->pm, &f->c, LA, MMU_READ, 0, &pa, &allowed, &fl), 0);
	assert_int_equal(pa, H_DATA | 0x567);
	assert_int_equal(allowed, ALLOW(MMU_READ) | ALLOW(MMU_WRITE));
}

static void test_mmu_ept_rights_guest_dirty_clear_after_read_allows_no_write(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	unsigned allowed = 0;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate_rights(&f->pm, &f->c, LA, MMU_READ, 0, &pa, &allowed, &fl), 0);
	assert_false(rd(f, H_PTE) & G_D);
	assert_int_equal(allowed, ALLOW(MMU_READ) | ALLOW(MMU_FETCH));
}

static void test_mmu_ept_rights_after_write_allow_write(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	unsigned allowed = 0;
	struct mmu_fault fl;
	assert_int_equal(mmu_translate_rights(&f->pm, &f->c, LA, MMU_WRITE, 0, &pa, &allowed, &fl), 0);
	assert_true(rd(f, H_PTE) & G_D);
	assert_int_equal(allowed, ALLOW(MMU_READ) | ALLOW(MMU_WRITE) | ALLOW(MMU_FETCH));
}

/* With EPT A/D on, a write needs the EPT dirty flag too. */
static void test_mmu_ept_rights_ept_dirty_clear_allows_no_write(void **state)
{
	struct fixture *f = *state;
	uint64_t pa;
	unsigned allowed = 0;
	struct mmu_fault fl;
	set_ad(f, true);
	wr(f, H_PTE, rd(f, H_PTE) | G_A | G_D);
	assert_int_equal(mmu_translate_rights(&f->pm, &f->c, LA, MMU_READ, 0, &pa, &allowed, &fl), 0);
	assert_int_equal(allowed, ALLOW(MMU_READ) | ALLOW(MMU_FETCH));
	assert_int_equal(mmu_translate_rights(&f->pm, &f->c, LA, MMU_WRITE, 0, &pa, &allowed, &fl), 0);
	assert_int_equal(allowed, ALLOW(MMU_READ) | ALLOW(MMU_WRITE) | ALLOW(MMU_FETCH));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_init_root_is_eptp_bits_maxphy_to_12),
		T(test_init_levels_are_eptp_bits_5_3_plus_one),
		T(test_init_ad_is_eptp_bit_6),
		T(test_init_capabilities_from_cap_bits_0_16_17),
		T(test_translates_4k_page_keeping_offset),
		T(test_translates_2m_page_keeping_offset),
		T(test_translates_1g_page_keeping_offset),
		T(test_translates_through_5_level_ept),
		T(test_rwx_is_and_of_bits_2_0_along_walk),
		T(test_not_present_at_each_level_is_violation_with_rwx_0),
		T(test_not_present_large_page_entries_are_violations),
		T(test_not_present_entry_with_reserved_bits_is_violation_not_misconfig),
		T(test_write_to_read_only_leaf_is_violation_with_rwx_1),
		T(test_fetch_from_rw_leaf_is_violation_with_rwx_3),
		T(test_right_missing_in_non_leaf_is_violation),
		T(test_large_page_rights_violation_reports_and_of_rights),
		T(test_write_without_read_is_misconfig_at_each_level),
		T(test_execute_only_without_capability_is_misconfig),
		T(test_execute_only_with_capability_allows_fetch_only),
		T(test_reserved_bits_51_maxphyaddr_are_misconfig_at_each_level),
		T(test_reserved_bits_follow_maxphyaddr),
		T(test_bits_63_52_are_ignored),
		T(test_bits_7_3_of_non_leaf_entry_are_misconfig),
		T(test_bits_11_8_of_non_leaf_entry_are_not_misconfig),
		T(test_page_size_bit_in_pml4e_is_misconfig),
		T(test_page_size_bit_in_pml5e_is_misconfig),
		T(test_bit_7_of_pte_is_ignored),
		T(test_2m_page_with_bits_20_12_set_is_misconfig),
		T(test_1g_page_with_bits_29_12_set_is_misconfig),
		T(test_2m_page_without_capability_is_misconfig),
		T(test_1g_page_without_capability_is_misconfig),
		T(test_leaf_memory_types_2_3_7_are_misconfig),
		T(test_leaf_memory_types_0_1_4_5_6_are_valid),
		T(test_misconfig_wins_over_rights_violation),
		T(test_table_outside_ram_is_misconfig),
		T(test_ad_off_leaves_entries_unchanged),
		T(test_ad_on_read_sets_accessed_in_every_entry_and_no_dirty),
		T(test_ad_on_fetch_sets_accessed_and_no_dirty),
		T(test_ad_on_write_sets_dirty_in_leaf_only),
		T(test_ad_on_write_to_large_pages_sets_dirty_in_leaf),
		T(test_walk_dirty_reports_leaf_dirty_flag),
		T(test_ad_on_violation_leaves_entries_unchanged),
		T(test_ad_on_misconfig_leaves_entries_unchanged),
		T(test_qualification_access_bits_2_0),
		T(test_qualification_rights_bits_5_3),
		T(test_qualification_bit_7_linear_valid_bit_8_final),
		T(test_qualification_bit_8_clear_without_linear_address),
		T(test_mmu_ept_final_host_physical_address),
		T(test_mmu_ept_paging_off_translates_linear_as_guest_physical),
		T(test_mmu_ept_not_present_guest_table_is_violation_at_entry_gpa),
		T(test_mmu_ept_walk_access_is_read_for_a_write_with_ad_off),
		T(test_mmu_ept_ad_walk_access_violation_sets_read_and_write_bits),
		T(test_mmu_ept_ad_walk_access_counts_as_write),
		T(test_mmu_ept_ad_walk_sets_ept_dirty_on_guest_table_pages),
		T(test_mmu_ept_final_violation_has_data_gpa_and_bits_7_8),
		T(test_mmu_ept_ad_final_read_violation_is_read),
		T(test_mmu_ept_misconfig_reports_gpa),
		T(test_mmu_ept_guest_ad_bits_land_in_host_pages),
		T(test_mmu_ept_read_only_guest_table_faults_on_accessed_update),
		T(test_mmu_ept_read_only_guest_table_with_accessed_set_is_fine),
		T(test_mmu_ept_guest_not_present_is_page_fault),
		T(test_mmu_ept_rights_rw_leaf_allows_no_fetch),
		T(test_mmu_ept_rights_guest_dirty_clear_after_read_allows_no_write),
		T(test_mmu_ept_rights_after_write_allow_write),
		T(test_mmu_ept_rights_ept_dirty_clear_allows_no_write),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
