/* The demo as data: each guest's console lines, its exits by reason, the TD's
 * measurement (the MRTD the VMM expects and the one the TD's TDREPORT carries),
 * the host's view of the TD's memory, the vt_ calls by op and side and the
 * SEAMCALLs by leaf. */
#include "tools/demo_json.h"

#include <string.h>

#include "kvmlike/kvm_x86.h"
#include "kvmlike/tdx_host.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/exit_reasons.h"

static void json_str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

/* The console lines that start with `prefix` (without it); NULL: the others. */
static void console_lines(FILE *out, const char *console, const char *prefix)
{
	const char *const prefixes[] = { "[vm] ", "[td] " };
	bool first = true;
	fputc('[', out);
	for (const char *l = console; *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);
		bool tagged = false;
		for (size_t i = 0; i < 2; i++)
			tagged |= !strncmp(l, prefixes[i], 5);
		bool mine = prefix ? !strncmp(l, prefix, strlen(prefix)) : !tagged;
		if (mine) {
			size_t skip = prefix ? strlen(prefix) : 0;
			fputs(first ? "" : ", ", out);
			json_str(out, l + skip, n - skip);
			first = false;
		}
		l += n + (end ? 1 : 0);
	}
	fputc(']', out);
}

static void exits(FILE *out, const struct vmm_report *r)
{
	fprintf(out, "\"exits\": {");
	bool first = true;
	for (unsigned i = 0; i < KVM_NR_EXIT_REASONS; i++)
		if (r->stat.exits_by_reason[i]) {
			fprintf(out, "%s\"%s\": %llu", first ? "" : ", ", vmx_exit_reason_name(i),
				(unsigned long long)r->stat.exits_by_reason[i]);
			first = false;
		}
	fprintf(out, "}, \"io_exits\": %llu, \"mmio_exits\": %llu, \"hlt_exits\": %llu, \"hypercalls\": %llu",
		(unsigned long long)r->stat.io_exits, (unsigned long long)r->stat.mmio_exits,
		(unsigned long long)r->stat.halt_exits, (unsigned long long)r->stat.hypercalls);
}

static void hex(FILE *out, const uint8_t *b, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", b[i]);
	fputc('"', out);
}

/* The MRTD the TD printed from its TDREPORT ("TDG.MR.REPORT: MRTD <hex>"). */
static void reported_mrtd(FILE *out, const char *console)
{
	const char *tag = "[td] TDG.MR.REPORT: MRTD ";
	const char *at = strstr(console, tag);
	if (!at) {
		fputs("null", out);
		return;
	}
	at += strlen(tag);
	json_str(out, at, strcspn(at, "\n"));
}

void demo_print_json(FILE *out, const char *console, int rc, const struct vmm_report *vm,
		     const struct vmm_report *td)
{
	fprintf(out, "{\"ok\": %s, \"log\": ", rc ? "false" : "true");
	console_lines(out, console, NULL);
	fprintf(out, ",\n \"vm\": {\"ok\": %s, \"error\": ", vm->ok ? "true" : "false");
	json_str(out, vm->error, sizeof(vm->error));
	fprintf(out, ", \"console\": ");
	console_lines(out, console, "[vm] ");
	fprintf(out, ", ");
	exits(out, vm);
	fprintf(out, ", \"ept_pages_mapped\": %u, \"device_command\": %u},\n", vm->ept_pages_mapped,
		vm->device_command);
	fprintf(out, " \"td\": {\"ok\": %s, \"error\": ", td->ok ? "true" : "false");
	json_str(out, td->error, sizeof(td->error));
	fprintf(out, ", \"console\": ");
	console_lines(out, console, "[td] ");
	fprintf(out, ", ");
	exits(out, td);
	fprintf(out, ", \"mrtd_expected\": ");
	hex(out, td->mrtd, sizeof(td->mrtd));
	fprintf(out, ", \"mrtd_reported\": ");
	reported_mrtd(out, console);
	fprintf(out, ", \"private_bytes\": %llu, \"private_bytes_host_sees_nonzero\": %llu, "
		"\"image_nonzero\": %llu, \"shared_page\": ", (unsigned long long)td->private_bytes,
		(unsigned long long)td->host_visible, (unsigned long long)td->image_nonzero);
	json_str(out, td->shared_msg, sizeof(td->shared_msg));
	fprintf(out, "},\n \"vt_ops\": {");
	bool first = true;
	for (unsigned i = 0; i < NR_KVM_X86_OPS; i++)
		if (kvm_x86_op_calls[i][0] || kvm_x86_op_calls[i][1]) {
			fprintf(out, "%s\"%s\": {\"vmx\": %llu, \"tdx\": %llu}", first ? "" : ", ",
				kvm_x86_op_names[i], (unsigned long long)kvm_x86_op_calls[i][0],
				(unsigned long long)kvm_x86_op_calls[i][1]);
			first = false;
		}
	fprintf(out, "},\n \"seamcalls\": {");
	const struct tdx_seamcall_stat *st = tdx_seamcall_stats();
	first = true;
	for (unsigned i = 0; i < TDX_NR_LEAVES; i++) {
		if (!st[i].calls)
			continue;
		const char *name = tdx_leaf_name(i), *status = tdx_status_name(st[i].last_status);
		fprintf(out, "%s\"%s\": {\"calls\": %llu, \"failed\": %llu, \"last_status\": \"0x%016llx\", "
			"\"last_status_name\": ", first ? "" : ", ", name ? name : "?",
			(unsigned long long)st[i].calls, (unsigned long long)st[i].failures,
			(unsigned long long)st[i].last_status);
		json_str(out, status ? status : "", 64);
		fputc('}', out);
		first = false;
	}
	fprintf(out, "}}\n");
}
