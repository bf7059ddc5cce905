/* The guest-state checks with their dependency cache (entry_run_cached) give what
 * running every row gives (entry_run), over long random walks of VMCS changes from
 * a valid VMCS: single-field mutations, restorations to the valid value, flips of
 * the controls the rows branch on, and memory a row reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/vmcs/entry.h"
#include "sim/vmcs/fields.h"
#include "tests/unit/entry_fixture.h"

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* One random change: a field of the guest area or a control, set to its valid value
 * again, to a random value, or with one bit flipped. */
static void mutate(struct vmcs_cache *v, const struct vmcs_cache *valid, uint64_t *s)
{
	size_t n = vmcs_field_count();
	const struct vmcs_field_info *f = vmcs_field_at(rng(s) % n);
	if (f->type != VMCS_TYPE_GUEST && f->type != VMCS_TYPE_CONTROL)
		return;
	uint64_t old = vmcs_read_enc(v, f->encoding);
	switch (rng(s) % 4) {
	case 0: vmcs_write_enc(v, f->encoding, vmcs_read_enc(valid, f->encoding)); break;
	case 1: vmcs_write_enc(v, f->encoding, rng(s)); break;
	default: vmcs_write_enc(v, f->encoding, old ^ (1ull << (rng(s) % 64))); break;
	}
}

static void same_outcome(struct entry_ctx *c, struct entry_cache *cache)
{
	struct entry_diag full, cached;
	c->diag = &full;
	const struct entry_check *a = entry_run(c, ENTRY_GUEST);
	c->diag = &cached;
	const struct entry_check *b = entry_run_cached(c, ENTRY_GUEST, cache);
	assert_ptr_equal(a, b);
	if (a) {
		assert_string_equal(full.id, cached.id);
		assert_int_equal(full.field, cached.field);
		assert_int_equal(full.value, cached.value);
		assert_int_equal(full.qualification, cached.qualification);
		assert_string_equal(full.rule, cached.rule);
	}
}

static void walk(uint64_t seed, unsigned steps, unsigned restore_every)
{
	const struct vmcs_caps *caps = vmcs_caps_for_model("xeon");
	static struct vmcs_cache valid, v;
	static struct entry_cache cache;
	static uint8_t ram[1 << 20];
	struct phys pm = { ram, sizeof(ram), 46 };
	entry_fixture_valid(&valid, caps);
	v = valid;
	memset(&cache, 0, sizeof(cache));
	struct entry_ctx c;
	struct entry_diag d;
	entry_fixture_ctx(&c, &v, caps, &pm, &d);
	uint64_t s = seed;
	unsigned failures = 0;
	for (unsigned i = 0; i < steps; i++) {
		if (restore_every && i % restore_every == 0)
			v = valid;                  /* back to passing: the cache fills again */
		mutate(&v, &valid, &s);
		if (rng(&s) % 16 == 0)
			ram[rng(&s) % sizeof(ram)] ^= 0xff;   /* what a row may read */
		struct entry_diag probe;
		c.diag = &probe;
		failures += entry_run(&c, ENTRY_GUEST) != NULL;
		same_outcome(&c, &cache);
	}
	/* The walk must visit both outcomes, or it shows nothing. */
	assert_true(failures > 0 && failures < steps);
}

static void test_cached_guest_checks_match_full_run_drifting(void **state)
{
	walk(0x9e3779b97f4a7c15ull, 20000, 0);
}

static void test_cached_guest_checks_match_full_run_near_valid(void **state)
{
	walk(0x2545f4914f6cdd1dull, 20000, 3);
}

static void test_cache_skips_rows_when_nothing_changed(void **state)
{
	const struct vmcs_caps *caps = vmcs_caps_for_model("xeon");
	static struct vmcs_cache v;
	static struct entry_cache cache;
	entry_fixture_valid(&v, caps);
	struct entry_ctx c;
	struct entry_diag d;
	entry_fixture_ctx(&c, &v, caps, NULL, &d);
	memset(&cache, 0, sizeof(cache));
	assert_null(entry_run_cached(&c, ENTRY_GUEST, &cache));
	assert_true(cache.valid);
	for (size_t w = 0; w < VMCS_MAX_FIELDS / 64; w++)
		assert_int_equal(v.changed[w], 0);
	/* A change to a field some row reads marks it; the next run clears it. */
	vmcs_write_enc(&v, GUEST_RIP, vmcs_read_enc(&v, GUEST_RIP) + 1);
	int slot = vmcs_enc_slot(GUEST_RIP);
	assert_true(v.changed[slot / 64] & (1ull << (slot % 64)));
	assert_null(entry_run_cached(&c, ENTRY_GUEST, &cache));
	assert_false(v.changed[slot / 64] & (1ull << (slot % 64)));
}

/* One entry through the cache: its failing check's ID (NULL when all pass), which
 * the full run must give too. */
static const char *entry_id(struct entry_ctx *c, struct entry_cache *cache)
{
	same_outcome(c, cache);
	struct entry_diag d;
	c->diag = &d;                   /* same_outcome left it on its own frame */
	const struct entry_check *e = entry_run_cached(c, ENTRY_GUEST, cache);
	return e ? e->id : NULL;
}

/* The RIP rows look at the guest's mode only when RIP needs it (bits 63:32 set,
 * bits above the linear width not all equal): after many passing entries whose only
 * change was RIP, as a VMM's exit handler makes them, a write that alone breaks one
 * of them must be seen, whether it is to RIP or to what decides the mode. */
static void test_rip_rows_after_many_rip_only_entries(void **state)
{
	const struct vmcs_caps *caps = vmcs_caps_for_model("xeon");
	static struct vmcs_cache v;
	static struct entry_cache cache;
	static uint8_t ram[1 << 20];
	struct phys pm = { ram, sizeof(ram), 46 };
	entry_fixture_valid(&v, caps);
	struct entry_ctx c;
	struct entry_diag d;
	entry_fixture_ctx(&c, &v, caps, &pm, &d);
	memset(&cache, 0, sizeof(cache));
	const uint64_t high = 0x100000000ull, compat_cs = 0xa09b & ~(1u << 13);
	for (unsigned i = 0; i < 1000; i++) {
		vmcs_write_enc(&v, GUEST_RIP, FIX_GUEST_RIP + 2 * i);
		assert_null(entry_id(&c, &cache));
	}
	/* Below 4 GiB the mode does not matter: compatibility mode passes... */
	vmcs_write_enc(&v, GUEST_CS_AR_BYTES, compat_cs);
	assert_null(entry_id(&c, &cache));
	/* ...until RIP alone moves above 4 GiB. */
	vmcs_write_enc(&v, GUEST_RIP, high);
	assert_string_equal(entry_id(&c, &cache), "GUEST_RIP_HIGH0");
	/* 64-bit code above 4 GiB passes many times; then CS.L alone is cleared. */
	vmcs_write_enc(&v, GUEST_CS_AR_BYTES, 0xa09b);
	for (unsigned i = 0; i < 1000; i++) {
		vmcs_write_enc(&v, GUEST_RIP, high + 2 * i);
		assert_null(entry_id(&c, &cache));
	}
	vmcs_write_enc(&v, GUEST_CS_AR_BYTES, compat_cs);
	assert_string_equal(entry_id(&c, &cache), "GUEST_RIP_HIGH0");
	vmcs_write_enc(&v, GUEST_CS_AR_BYTES, 0xa09b);
	assert_null(entry_id(&c, &cache));
	/* Bits above the linear width not all equal: only 64-bit code fails. */
	vmcs_write_enc(&v, GUEST_RIP, 0x0400000000000000ull);   /* bit 58: above 48 and 57 */
	assert_string_equal(entry_id(&c, &cache), "GUEST_RIP_CANON");
	vmcs_write_enc(&v, GUEST_RIP, FIX_GUEST_RIP);
	assert_null(entry_id(&c, &cache));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cached_guest_checks_match_full_run_drifting),
		cmocka_unit_test(test_cached_guest_checks_match_full_run_near_valid),
		cmocka_unit_test(test_cache_skips_rows_when_nothing_changed),
		cmocka_unit_test(test_rip_rows_after_many_rip_only_entries),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
