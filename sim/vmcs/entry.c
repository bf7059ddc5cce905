/* The VM-entry check loop and registry: see entry.h. */
#include "sim/vmcs/entry.h"
#include "sim/vmcs/entry_steps.h"
#include "vtsim/vtsim.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const struct entry_check *rows;
	const size_t *count;
	const char *name;
} classes[ENTRY_NR_CLASSES] = {
	[ENTRY_CTL] = { entry_checks_ctl, &entry_checks_ctl_count, "control" },
	[ENTRY_HOST] = { entry_checks_host, &entry_checks_host_count, "host" },
	[ENTRY_GUEST] = { entry_checks_guest, &entry_checks_guest_count, "guest" },
	[ENTRY_MSRLD] = { entry_checks_msrld, &entry_checks_msrld_count, "msr-load" },
};

const char *entry_class_name(enum entry_class cls)
{
	return cls < ENTRY_NR_CLASSES ? classes[cls].name : "?";
}

bool entry_fail(struct entry_ctx *c, uint32_t field, uint64_t value, const char *fmt, ...)
{
	c->diag->field = field;
	c->diag->value = value;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->diag->rule, sizeof(c->diag->rule), fmt, ap);
	va_end(ap);
	return false;
}

const struct entry_check *entry_run(struct entry_ctx *c, enum entry_class cls)
{
	const struct entry_check *rows = classes[cls].rows;
	size_t n = *classes[cls].count;
	/* The record is written only by a failing row (entry_fail), so it is cleared
	 * once here rather than before every row: entries run this on every VMRESUME. */
	c->diag->qualification = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].pred(c))
			continue;
		c->diag->id = rows[i].id;
		c->diag->cls = cls;
		c->diag->section = rows[i].section;
		return &rows[i];
	}
	c->diag->id = NULL;
	return NULL;
}

#define CACHE_WORDS (ENTRY_CACHE_ROWS / 64)
#define FIELD_WORDS (VMCS_MAX_FIELDS / 64)

/* The rows that must run again: those that read memory, and every reader of a
 * field that changed. */
static void rows_to_run(const struct entry_cache *cache, const uint64_t *changed, uint64_t *run)
{
	memcpy(run, cache->memory_rows, sizeof(cache->memory_rows));
	for (size_t w = 0; w < FIELD_WORDS; w++)
		for (uint64_t bits = changed[w]; bits; bits &= bits - 1) {
			const uint64_t *r = cache->readers[w * 64 + (size_t)__builtin_ctzll(bits)];
			for (size_t k = 0; k < CACHE_WORDS; k++)
				run[k] |= r[k];
		}
}

/* The bits of run word k that stand for one of the class's n rows. */
static uint64_t rows_in_word(size_t n, size_t k)
{
	if (n >= (k + 1) * 64)
		return ~0ull;
	return n <= k * 64 ? 0 : (1ull << (n - k * 64)) - 1;
}

/* Row i now reads `fields` (and memory or not): both views of the cache follow. */
static void set_row_deps(struct entry_cache *cache, size_t i, const uint64_t *fields, bool memory)
{
	struct entry_row_deps *d = &cache->rows[i];
	/* A row that read what it read last time (nearly always) changes nothing. */
	if (d->memory == memory && !memcmp(d->fields, fields, sizeof(d->fields)))
		return;
	uint64_t bit = 1ull << (i % 64);
	size_t k = i / 64;
	for (size_t w = 0; w < FIELD_WORDS; w++) {
		for (uint64_t bits = d->fields[w]; bits; bits &= bits - 1)
			cache->readers[w * 64 + (size_t)__builtin_ctzll(bits)][k] &= ~bit;
		for (uint64_t bits = fields[w]; bits; bits &= bits - 1)
			cache->readers[w * 64 + (size_t)__builtin_ctzll(bits)][k] |= bit;
		d->fields[w] = fields[w];
	}
	d->memory = memory;
	cache->memory_rows[k] = memory ? cache->memory_rows[k] | bit : cache->memory_rows[k] & ~bit;
}

const struct entry_check *entry_run_cached(struct entry_ctx *c, enum entry_class cls,
					   struct entry_cache *cache)
{
	const struct entry_check *rows = classes[cls].rows;
	size_t n = *classes[cls].count;
	struct vmcs_cache *v = (struct vmcs_cache *)c->vmcs;
	if (n > ENTRY_CACHE_ROWS)
		return entry_run(c, cls);
	bool usable = cache->valid && cache->vmcs_ptr == v->ptr && cache->launch == c->launch;
	/* A row runs unless the cache is usable, it reads no memory and none of its
	 * fields changed since all last passed: then it holds again. */
	uint64_t run[CACHE_WORDS];
	if (usable) {
		rows_to_run(cache, v->changed, run);    /* only bits of rows that exist */
	} else {
		for (size_t k = 0; k < CACHE_WORDS; k++)
			run[k] = rows_in_word(n, k);
	}
	c->diag->qualification = 0;
	for (size_t k = 0; k < CACHE_WORDS; k++) {
		/* Lowest first: the rows keep their SDM order. */
		for (uint64_t todo = run[k]; todo; todo &= todo - 1) {
			size_t i = k * 64 + (size_t)__builtin_ctzll(todo);
			uint64_t fields[FIELD_WORDS] = { 0 };
			c->reads = fields;
			c->read_memory = false;
			bool ok = rows[i].pred(c);
			c->reads = NULL;
			set_row_deps(cache, i, fields, c->read_memory);
			if (ok)
				continue;
			cache->valid = false;
			c->diag->id = rows[i].id;
			c->diag->cls = cls;
			c->diag->section = rows[i].section;
			return &rows[i];
		}
	}
	cache->valid = true;
	cache->vmcs_ptr = v->ptr;
	cache->launch = c->launch;
	memset(v->changed, 0, sizeof(v->changed));
	c->diag->id = NULL;
	return NULL;
}

size_t entry_check_total(void)
{
	size_t n = 0;
	for (int k = 0; k < ENTRY_NR_CLASSES; k++)
		n += *classes[k].count;
	return n;
}

const struct entry_check *entry_check_at(size_t i, enum entry_class *cls)
{
	for (int k = 0; k < ENTRY_NR_CLASSES; k++) {
		if (i < *classes[k].count) {
			if (cls)
				*cls = (enum entry_class)k;
			return &classes[k].rows[i];
		}
		i -= *classes[k].count;
	}
	return NULL;
}

static const char *step_at(const struct entry_step *s, const char *cls_name, const char **cls,
			   const char **section, const char **summary)
{
	if (cls)
		*cls = cls_name;
	if (section)
		*section = s->section;
	if (summary)
		*summary = s->summary;
	return s->id;
}

/* The whole checklist in the order an entry meets it: the instruction's basic
 * checks, the class tables, then what follows the checks. */
const char *vtsim_entry_check(unsigned i, const char **cls, const char **section,
			      const char **summary)
{
	if (i < ENTRY_PRE_COUNT)
		return step_at(&entry_pre_checks[i], "basic", cls, section, summary);
	i -= ENTRY_PRE_COUNT;
	enum entry_class k;
	const struct entry_check *e = entry_check_at(i, &k);
	if (e) {
		if (cls)
			*cls = entry_class_name(k);
		if (section)
			*section = e->section;
		if (summary)
			*summary = e->summary;
		return e->id;
	}
	i -= entry_check_total();
	if (i < entry_after_checks_count)
		return step_at(&entry_after_checks[i], "after", cls, section, summary);
	return NULL;
}

bool entry_pa_ok(const struct entry_ctx *c, uint64_t pa, uint64_t align)
{
	return !(pa & (align - 1)) && !(pa >> c->maxphyaddr);
}

bool entry_canonical(uint64_t v)
{
	return (uint64_t)((int64_t)(v << 16) >> 16) == v;
}
