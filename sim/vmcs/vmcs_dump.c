/* VMCS dumps and diffs by field name, from the field table. */
#include "sim/vmcs/vmcs_dump.h"

static bool shown(const struct vmcs_field_info *f, const struct vmcs_caps *caps)
{
	return !caps || vmcs_caps_field_supported(caps, f);
}

void vmcs_dump(FILE *out, const struct vmcs_cache *c, const struct vmcs_caps *caps, bool json)
{
	const char *sep = "";
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		if (!shown(f, caps))
			continue;
		unsigned long long v = (unsigned long long)vmcs_get(c, f, false);
		if (json)
			fprintf(out, "%s{\"field\": \"%s\", \"encoding\": \"0x%x\", \"type\": \"%s\", \"value\": \"0x%llx\"}",
				sep, f->name, f->encoding, vmcs_type_name(f->type), v);
		else
			fprintf(out, "  %-9s %-40s (0x%04x) = 0x%llx\n", vmcs_type_name(f->type), f->name,
				f->encoding, v);
		sep = ", ";
	}
}

unsigned vmcs_diff(FILE *out, const struct vmcs_cache *then, const struct vmcs_cache *now,
		   const struct vmcs_caps *caps, bool json)
{
	unsigned n = 0;
	for (size_t i = 0; i < vmcs_field_count(); i++) {
		const struct vmcs_field_info *f = vmcs_field_at(i);
		if (f->type == VMCS_TYPE_EXIT_INFO || !shown(f, caps))
			continue;
		unsigned long long a = (unsigned long long)vmcs_get(then, f, false);
		unsigned long long b = (unsigned long long)vmcs_get(now, f, false);
		if (a == b)
			continue;
		if (json)
			fprintf(out, "%s{\"field\": \"%s\", \"encoding\": \"0x%x\", \"old\": \"0x%llx\", \"new\": \"0x%llx\"}",
				n ? ", " : "", f->name, f->encoding, a, b);
		else
			fprintf(out, "  %-40s (0x%04x): 0x%llx -> 0x%llx\n", f->name, f->encoding, a, b);
		n++;
	}
	return n;
}
