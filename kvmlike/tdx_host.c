/* The host kernel's TDX core (tdx_host.h). */
#include "kvmlike/tdx_host.h"

#include <stddef.h>
#include <string.h>

#include "kvmlike/runtime.h"
#include "kvmlike/trace.h"
#include "kvmlike/vmx.h"
#include "sim/tdx_module_stub/md_fields.h"

#define MSR_IA32_MKTME_KEYID_PARTITIONING 0x87
#define MSR_IA32_TME_ACTIVATE             0x982
#define GIB (1ull << 30)

static struct tdx_sys_info sysinfo;
static bool keyid_used[TDX_MAX_GUEST_KEYIDS];
static struct tdx_seamcall_stat stats[TDX_NR_LEAVES];
static bool sys_init_done;
static uint64_t pamt_pa;
static unsigned pamt_pages;

uint64_t seamcall_ret(uint64_t fn, struct tdx_module_args *args)
{
	uint64_t r;
	do {
		r = __seamcall_ret(fn, args);
		trace_kvm_seamcall(fn, r);
		struct tdx_seamcall_stat *s = &stats[(fn & 0xffff) % TDX_NR_LEAVES];
		s->calls++;
		s->failures += (r >> 63) & 1;
		s->last_status = r;
	} while ((r & TDX_SEAMCALL_STATUS_MASK) == TDX_RND_NO_ENTROPY);
	return r;
}

const struct tdx_seamcall_stat *tdx_seamcall_stats(void)
{
	return stats;
}

const struct tdx_sys_info *tdx_sys_info(void)
{
	return &sysinfo;
}

static int seamcall_ok(uint64_t fn, struct tdx_module_args *a, const char *what)
{
	uint64_t r = seamcall_ret(fn, a);
	if (!r)
		return 0;
	if (r == TDX_SEAMCALL_VMFAILINVALID)
		printk("kvmlike: TDX: no TDX module (SEAMCALL VMfailInvalid)\n");
	else
		printk("kvmlike: TDX: %s failed: 0x%016llx\n", what, (unsigned long long)r);
	return -ENODEV;
}

/* Per LP, after VMXON: TDH.SYS.INIT once for the platform, then TDH.SYS.LP.INIT. */
static int tdx_cpu_enable(void)
{
	struct tdx_module_args a = { 0 };
	if (!sys_init_done) {
		if (seamcall_ok(TDH_SYS_INIT, &a, "TDH.SYS.INIT"))
			return -ENODEV;
		sys_init_done = true;
	}
	memset(&a, 0, sizeof(a));
	return seamcall_ok(TDH_SYS_LP_INIT, &a, "TDH.SYS.LP.INIT");
}

static int read_field(uint64_t id, uint64_t *v)
{
	struct tdx_module_args a = { .rdx = id };
	if (seamcall_ok(TDH_SYS_RD, &a, "TDH.SYS.RD"))
		return -ENODEV;
	*v = a.r8;
	return 0;
}

/* The fields Linux reads at bring-up; each one is required. */
static int get_sys_info(struct tdx_sys_info *si)
{
	static const struct { uint64_t id; unsigned off, size; } fields[] = {
		{ MD_MAJOR_VERSION, offsetof(struct tdx_sys_info, major), 2 },
		{ MD_MINOR_VERSION, offsetof(struct tdx_sys_info, minor), 2 },
		{ MD_UPDATE_VERSION, offsetof(struct tdx_sys_info, update), 2 },
		{ MD_TDX_FEATURES0, offsetof(struct tdx_sys_info, features0), 8 },
		{ MD_MAX_TDMRS, offsetof(struct tdx_sys_info, max_tdmrs), 2 },
		{ MD_MAX_RESERVED_PER_TDMR, offsetof(struct tdx_sys_info, max_reserved_per_tdmr), 2 },
		{ MD_TDR_BASE_SIZE, offsetof(struct tdx_sys_info, tdr_base_size), 4 },
		{ MD_TDCS_BASE_SIZE, offsetof(struct tdx_sys_info, tdcs_base_size), 4 },
		{ MD_TDVPS_BASE_SIZE, offsetof(struct tdx_sys_info, tdvps_base_size), 4 },
		{ MD_MAX_VCPUS_PER_TD, offsetof(struct tdx_sys_info, max_vcpus_per_td), 2 },
	};
	for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		uint64_t v;
		if (read_field(fields[i].id, &v))
			return -ENODEV;
		memcpy((uint8_t *)si + fields[i].off, &v, fields[i].size);
	}
	uint64_t n;
	if (read_field(MD_NUM_CPUID_CONFIG, &n))
		return -ENODEV;
	if (n > TDX_MAX_CPUID_CONFIG) {
		printk("kvmlike: TDX: %llu CPUID configuration leaves, more than %d\n",
		       (unsigned long long)n, TDX_MAX_CPUID_CONFIG);
		return -ENODEV;
	}
	si->num_cpuid_config = (uint16_t)n;
	for (unsigned i = 0; i < n; i++)
		if (read_field(MD_CPUID_CONFIG_LEAVES(i), &si->cpuid_config_leaves[i]) ||
		    read_field(MD_CPUID_CONFIG_VALUES(i, 0), &si->cpuid_config_values[i][0]) ||
		    read_field(MD_CPUID_CONFIG_VALUES(i, 1), &si->cpuid_config_values[i][1]))
			return -ENODEV;
	/* KVM needs NO_RBP_MOD (bit 18): the module must leave RBP alone. */
	if (!(si->features0 & (1ull << 18))) {
		printk("kvmlike: TDX: the module lacks NO_RBP_MOD\n");
		return -ENODEV;
	}
	return 0;
}

/* One TDMR over kvmlike's memory, rounded to 1 GiB; its PAMT from that memory;
 * the PAMT and whatever lies beyond the memory reserved. */
static int config_tdmrs(uint64_t *tdmr_pa)
{
	uint64_t top = kvm_memory_top();
	uint64_t size = (top + GIB - 1) & ~(GIB - 1);
	uint64_t pamt[3] = { size / 4096 * 16, size / (2ull << 20) * 16, size / GIB * 16 };
	uint64_t total = 0;
	for (int i = 0; i < 3; i++) {
		pamt[i] = (pamt[i] + 4095) & ~4095ull;
		total += pamt[i];
	}
	pamt_pages = (unsigned)(total >> PAGE_SHIFT);
	pamt_pa = kvm_alloc_pages(pamt_pages);
	*tdmr_pa = kvm_alloc_pages(1);
	if (!pamt_pa || !*tdmr_pa)
		return -ENOMEM;
	uint64_t *info = __va(*tdmr_pa);
	info[0] = 0;
	info[1] = size;
	/* PAMT areas in TDMR_INFO order: 1G, 2M, 4K. */
	info[2] = pamt_pa + pamt[0] + pamt[1];
	info[3] = pamt[2];
	info[4] = pamt_pa + pamt[0];
	info[5] = pamt[1];
	info[6] = pamt_pa;
	info[7] = pamt[0];
	unsigned r = 0;
	info[8 + 2 * r] = pamt_pa;
	info[9 + 2 * r++] = total;
	if (top < size) {
		info[8 + 2 * r] = top;
		info[9 + 2 * r++] = size - top;
	}
	sysinfo.ntdmrs = 1;
	sysinfo.pamt_bytes = total;
	return 0;
}

static int init_tdx_module(void)
{
	if (get_sys_info(&sysinfo))
		return -ENODEV;
	uint64_t part;
	if (rdmsrl_safe(MSR_IA32_MKTME_KEYID_PARTITIONING, &part) || (part >> 32) < 2) {
		printk("kvmlike: TDX: fewer than 2 TDX KeyIDs\n");
		return -ENODEV;
	}
	sysinfo.global_keyid = (uint32_t)part + 1;   /* the first TDX KeyID */
	sysinfo.nr_tdx_keyids = (uint32_t)(part >> 32);
	/* KeyIDs sit just above the physical-address bits left to addresses: CPUID's
	 * MAXPHYADDR less the KeyID bits IA32_TME_ACTIVATE[35:32] takes. */
	uint64_t tme = 0;
	uint32_t id[4];
	rdmsrl_safe(MSR_IA32_TME_ACTIVATE, &tme);
	native_cpuid(0x80000008, 0, id);
	sysinfo.keyid_shift = (id[0] & 0xff) - (unsigned)((tme >> 32) & 0xf);
	memset(keyid_used, 0, sizeof(keyid_used));
	uint64_t tdmr;
	int e = config_tdmrs(&tdmr);
	if (e)
		return e;
	uint64_t list = kvm_alloc_pages(1);
	if (!list)
		return -ENOMEM;
	*(uint64_t *)__va(list) = tdmr;
	struct tdx_module_args a = { .rcx = list, .rdx = 1, .r8 = sysinfo.global_keyid };
	e = seamcall_ok(TDH_SYS_CONFIG, &a, "TDH.SYS.CONFIG");
	kvm_free_pages(list, 1);
	if (e)
		return e;
	/* One package: the key is configured on this LP. */
	memset(&a, 0, sizeof(a));
	if (seamcall_ok(TDH_SYS_KEY_CONFIG, &a, "TDH.SYS.KEY.CONFIG"))
		return -ENODEV;
	uint64_t *info = __va(tdmr);
	uint64_t next = 0;
	do {
		a = (struct tdx_module_args){ .rcx = info[0] };
		if (seamcall_ok(TDH_SYS_TDMR_INIT, &a, "TDH.SYS.TDMR.INIT"))
			return -ENODEV;
		next = a.rdx;
	} while (next < info[0] + info[1]);
	return 0;
}

int tdx_enable(void)
{
	/* Once per boot of the machine kvmlike runs on (a new machine: a new boot). */
	sys_init_done = false;
	memset(stats, 0, sizeof(stats));
	memset(&sysinfo, 0, sizeof(sysinfo));
	for (unsigned cpu = 0; cpu < num_online_cpus(); cpu++) {
		kvm_set_current_cpu(cpu);
		if (tdx_cpu_enable())
			return -ENODEV;
	}
	kvm_set_current_cpu(0);
	int r = init_tdx_module();
	if (!r)
		printk("kvmlike: TDX module %u.%u.%u initialized: %u TDMR, %llu KiB of PAMT, "
		       "global KeyID %u, %u TDX KeyIDs\n", sysinfo.major, sysinfo.minor, sysinfo.update,
		       sysinfo.ntdmrs, (unsigned long long)(sysinfo.pamt_bytes >> 10),
		       sysinfo.global_keyid, sysinfo.nr_tdx_keyids);
	return r;
}

int tdx_guest_keyid_alloc(void)
{
	/* The guest KeyIDs follow the global one. */
	for (unsigned i = 1; i < sysinfo.nr_tdx_keyids && i < TDX_MAX_GUEST_KEYIDS; i++)
		if (!keyid_used[i]) {
			keyid_used[i] = true;
			return (int)(sysinfo.global_keyid + i);
		}
	return -ENOSPC;
}

void tdx_guest_keyid_free(unsigned keyid)
{
	unsigned i = keyid - sysinfo.global_keyid;
	if (keyid > sysinfo.global_keyid && i < TDX_MAX_GUEST_KEYIDS)
		keyid_used[i] = false;
}

uint64_t mk_keyed_paddr(unsigned keyid, uint64_t pa)
{
	return pa | (uint64_t)keyid << sysinfo.keyid_shift;
}
