/* Invariants of the module's state, for tests and the fuzzer (module.h): the key
 * ownership table against the TDs that hold the HKIDs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim/tdx_module_stub/td.h"

static const char *const kot_name[] = {
	[KOT_FREE] = "FREE", [KOT_ASSIGNED] = "ASSIGNED", [KOT_FLUSHED] = "FLUSHED",
	[KOT_RESERVED] = "RESERVED",
};

/* The KOT state a TD in `lifecycle` gives its HKID: assigned until
 * TDH.MNG.VPFLUSHDONE, flushed until TDH.MNG.KEY.FREEID, then free again. */
static unsigned kot_of_lifecycle(uint32_t lifecycle)
{
	switch (lifecycle) {
	case TD_HKID_ASSIGNED:
	case TD_KEYS_CONFIGURED:
		return KOT_ASSIGNED;
	case TD_BLOCKED:
		return KOT_FLUSHED;
	default:
		return KOT_FREE;
	}
}

static bool say(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return false;
}

unsigned tdx_module_kot_state(const struct tdx_module *mod, unsigned hkid)
{
	return hkid < TDX_MAX_HKIDS ? mod->g->kot[hkid] : KOT_FREE;
}

bool tdx_module_kot_check(const struct tdx_module *mod, const uint64_t *tdrs, unsigned n,
			  char *why, size_t len)
{
	/* What the TDs say each HKID should be, and who says so. */
	uint8_t want[TDX_MAX_HKIDS];
	uint64_t holder[TDX_MAX_HKIDS];
	memset(want, KOT_FREE, sizeof(want));
	memset(holder, 0, sizeof(holder));
	unsigned first = mod->info.first_tdx_keyid, end = first + mod->info.nr_tdx_keyids;
	/* The global HKID is reserved once TDH.SYS.CONFIG has taken it (the only leaf that
	 * sets the TDMRs). sys_state alone does not say so: TDH.SYS.LP.SHUTDOWN may move
	 * it to SHUTDOWN before any SYS.CONFIG. */
	if (mod->g->ntdmrs)
		want[mod->g->global_hkid] = KOT_RESERVED;
	for (unsigned i = 0; i < n; i++) {
		struct tdr t;
		phys_read(mod->pm, td_keyed(mod, tdrs[i], mod->g->global_hkid), &t, sizeof(t));
		unsigned k = kot_of_lifecycle(t.lifecycle);
		if (t.hkid < first || t.hkid >= end || t.hkid == mod->g->global_hkid)
			return say(why, len, "TDR %#llx holds HKID %u, no TD KeyID",
				   (unsigned long long)tdrs[i], t.hkid);
		if (k == KOT_FREE)
			continue;
		if (holder[t.hkid])
			return say(why, len, "TDRs %#llx and %#llx both hold HKID %u",
				   (unsigned long long)holder[t.hkid], (unsigned long long)tdrs[i], t.hkid);
		want[t.hkid] = (uint8_t)k;
		holder[t.hkid] = tdrs[i];
	}
	for (unsigned h = 0; h < TDX_MAX_HKIDS; h++) {
		unsigned have = mod->g->kot[h];
		if (have == want[h])
			continue;
		if (have >= sizeof(kot_name) / sizeof(kot_name[0]))
			return say(why, len, "HKID %u: KOT state %u is none of the table's", h, have);
		if (holder[h])
			return say(why, len, "HKID %u: KOT %s, but TDR %#llx holding it wants %s", h,
				   kot_name[have], (unsigned long long)holder[h], kot_name[want[h]]);
		return say(why, len, "HKID %u: KOT %s, but %s", h, kot_name[have],
			   want[h] == KOT_RESERVED ? "it is the global HKID (RESERVED)"
						   : "no TD holds it (FREE)");
	}
	return true;
}
