/* vtsim-qemu: QEMU's command line translated to a vtsim run (contract: qemu_front.h).
 *
 * Options are parsed in order, as QEMU parses them, before anything is loaded: a refused
 * option ends the run before the kernel is opened, so a harness's "does the kernel
 * load?" probe (kvm-unit-tests runs every test once with a missing kernel first) reports
 * the refusal as its reason to skip the test.
 */
#include "tools/qemu_front.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "vtsim/vtsim.h"
#include "sim/cpu/cpuid.h"
#include "sim/vmcs/caps.h"

#define QEMU_VERSION "7.2.0"    /* the command-line interface followed: Debian 12's QEMU */
#define MAX_CPUS 64             /* vtsim run --cpus */
#define MAX_MODULES 16          /* vtsim run --initrd */

/* What the command line asks for. */
struct qemu_req {
	struct vtsim_config cfg;
	const char *kernel;
	const char *append;
	const char *initrd;       /* QEMU's list: FILE[ ARGS][,FILE[ ARGS]]... */
	const char *cpu_model;    /* a vtsim model name */
	bool answered;            /* a probe was answered: stop with status 0 */
};

/* ---- messages ------------------------------------------------------------------ */

static int refuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vtsim-qemu: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return 1;
}

static void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("vtsim-qemu: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "help") || !strcmp(arg, "?");
}

/* Calls fn on each comma-separated item of s (QEMU's ",," escape is not needed by any
 * value this front end accepts). Stops at the first nonzero return. */
static int for_each_item(const char *s, int (*fn)(struct qemu_req *, const char *item, bool first),
			 struct qemu_req *r)
{
	char *copy = strdup(s), *save = NULL;
	if (!copy)
		return refuse("out of memory");
	int rc = 0;
	bool first = true;
	for (char *it = strtok_r(copy, ",", &save); it && !rc; it = strtok_r(NULL, ",", &save)) {
		rc = fn(r, it, first);
		first = false;
	}
	free(copy);
	return rc;
}

/* Numbers compare as numbers (iobase=0xf4 is iobase=244), anything else as text. */
static bool value_is(const char *got, const char *want)
{
	char *e1, *e2;
	errno = 0;
	unsigned long long a = strtoull(got, &e1, 0), b = strtoull(want, &e2, 0);
	if (!errno && e1 != got && !*e1 && e2 != want && !*e2)
		return a == b;
	return !strcmp(got, want);
}

static bool parse_count(const char *s, unsigned long *out)
{
	char *end;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *s != '-';
}

/* ---- property tables (-machine, -accel, -global, -device) ------------------------- */

/* One key=value property: the values accepted (NULL-terminated; values == NULL: any),
 * and what vtsim does about it. */
struct qprop {
	const char *key;
	const char *const *values;
	const char *what;
};

static const char *const v_tcg[] = { "tcg", NULL };
static const char *const v_pc[] = { "pc", NULL };
static const char *const v_off[] = { "off", NULL };
static const char *const v_f4[] = { "0xf4", NULL };
static const char *const v_iosize[] = { "1", "2", "4", NULL };

static const struct qprop machine_props[] = {
	{ "type", v_pc, "vtsim's PC: RAM, COM1, the debug-exit port, fw_cfg, a local APIC per CPU, "
			"the PIC mask ports, an empty PCI bus (docs/machine.md)" },
	{ "accel", v_tcg, "vtsim is a software CPU, like TCG; it needs no KVM or HVF" },
	{ "pit", v_off, "vtsim has no PIT (8254)" },
};

static const struct qprop accel_props[] = {
	{ "accel", v_tcg, "vtsim is a software CPU, like TCG; it needs no KVM or HVF" },
};

static const struct qprop global_props[] = {
	{ "kvm-pit.lost_tick_policy", NULL, "vtsim has no PIT and no KVM: nothing to configure" },
};

static const struct qprop debug_exit_props[] = {
	{ "iobase", v_f4, "vtsim's debug-exit port is 0xf4" },
	{ "iosize", v_iosize, "port 0xf4 takes 1-, 2- and 4-byte writes" },
};

#define NPROPS(t) (sizeof(t) / sizeof((t)[0]))

/* Checks "key=value" (or a bare value for `bare_key`) against a table. */
static int check_prop(const char *opt, const struct qprop *t, size_t n, const char *item,
		      const char *bare_key)
{
	char key[64];
	const char *eq = strchr(item, '='), *val = eq ? eq + 1 : item;
	if (!eq && !bare_key)
		return refuse("%s: property '%s' needs a value", opt, item);
	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - item) : 63, eq ? item : bare_key);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i].key, key))
			continue;
		for (const char *const *v = t[i].values; v && *v; v++)
			if (value_is(val, *v))
				return 0;
		if (!t[i].values)
			return 0;
		return refuse("%s %s=%s: not supported: %s (accepted: %s)", opt, key, val, t[i].what,
			      t[i].values[0]);
	}
	return refuse("%s: property '%s' is not supported by vtsim", opt, key);
}

static int machine_item(struct qemu_req *r, const char *item, bool first)
{
	return check_prop("-machine", machine_props, NPROPS(machine_props), item,
			  first ? "type" : NULL);
}

static int accel_item(struct qemu_req *r, const char *item, bool first)
{
	return check_prop("-accel", accel_props, NPROPS(accel_props), item, first ? "accel" : NULL);
}

static int debug_exit_item(struct qemu_req *r, const char *item, bool first)
{
	return check_prop("-device isa-debug-exit", debug_exit_props, NPROPS(debug_exit_props),
			  item, NULL);
}

/* ---- devices ------------------------------------------------------------------- */

struct qdevice {
	const char *name;
	int (*item)(struct qemu_req *, const char *, bool);  /* checks each property */
	bool needs_iobase;        /* QEMU's default base is not vtsim's port */
	const char *what;
};

static int no_props(struct qemu_req *r, const char *item, bool first)
{
	return refuse("-device: this device takes no property ('%s' given)", item);
}

static const struct qdevice devices[] = {
	{ "isa-debug-exit", debug_exit_item, true,
	  "the debug-exit port 0xf4: OUT v ends the run with status (v << 1) | 1; needs iobase=0xf4 "
	  "(QEMU's default base, 0x501, is not vtsim's)" },
	{ "pc-testdev", no_props, false,
	  "its IRQ lines (a byte to 0x2000+n) drive the I/O APIC's pins, as vtsim's machine always "
	  "has them; its other ports (0xe0-0xe8) are not modelled: writes there are dropped" },
};

static int device_opt(struct qemu_req *r, const char *arg)
{
	if (is_help(arg)) {
		printf("Misc devices:\n");
		for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
			printf("name \"%s\", bus ISA, desc \"%s\"\n", devices[i].name, devices[i].what);
		r->answered = true;
		return 0;
	}
	size_t len = strcspn(arg, ",");
	for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++) {
		if (strlen(devices[i].name) != len || strncmp(devices[i].name, arg, len))
			continue;
		if (devices[i].needs_iobase && !strstr(arg + len, ",iobase="))
			return refuse("-device %s: needs iobase=0xf4: %s", devices[i].name, devices[i].what);
		return arg[len] ? for_each_item(arg + len + 1, devices[i].item, r) : 0;
	}
	return refuse("-device %.*s: not supported: vtsim has no such device (vtsim-qemu -device help "
		      "lists the ones it has)", (int)len, arg);
}

/* ---- -cpu ---------------------------------------------------------------------- */

/* QEMU model names and the vtsim model that runs them. */
static const struct {
	const char *qemu, *vtsim;
	bool warn;                /* the vtsim model is not the same part: say so */
} cpu_aliases[] = {
	{ "max", "xeon", false },        /* everything the accelerator can run: vtsim's fullest model */
	{ "host", "xeon", false },       /* no host CPU is passed through: the default model */
	{ "xeon", "xeon", false },
	{ "minimal", "minimal", false },
	{ "IvyBridge", "minimal", false }, /* minimal is an Ivy Bridge (family 6 model 3AH) */
	{ "Skylake-Server", "xeon", true },
	{ "qemu64", "xeon", true },
};

/* QEMU feature names: where the model says whether it has the feature, in CPUID
 * (leaf, subleaf, register, bit) or in a VMX capability MSR (allowed-1 bit). */
enum qreg { R_EAX, R_EBX, R_ECX, R_EDX, R_MSR };
static const struct qfeature {
	const char *name;
	uint32_t leaf_or_msr;
	enum qreg reg;
	unsigned bit;
} features[] = {
	{ "vmx", 1, R_ECX, 5 },
	{ "xsave", 1, R_ECX, 26 },
	{ "x2apic", 1, R_ECX, 21 },
	{ "tsc-deadline", 1, R_ECX, 24 },
	{ "pcid", 1, R_ECX, 17 },
	{ "invpcid", 7, R_EBX, 10 },
	{ "umip", 7, R_ECX, 2 },
	{ "pku", 7, R_ECX, 3 },
	{ "la57", 7, R_ECX, 16 },
	{ "rdtscp", 0x80000001u, R_EDX, 27 },
	{ "svm", 0x80000001u, R_ECX, 2 },
	{ "skinit", 0x80000001u, R_ECX, 12 },
	{ "npt", 0x8000000Au, R_EDX, 0 },
	{ "vmx-ept", MSR_IA32_VMX_PROCBASED_CTLS2, R_MSR, 32 + 1 },
	{ "vmx-vpid", MSR_IA32_VMX_PROCBASED_CTLS2, R_MSR, 32 + 5 },
	{ "vmx-unrestricted-guest", MSR_IA32_VMX_PROCBASED_CTLS2, R_MSR, 32 + 7 },
	{ "vmx-mbec", MSR_IA32_VMX_PROCBASED_CTLS2, R_MSR, 32 + 22 },
};

static bool model_has(const char *model, const struct qfeature *f)
{
	if (f->reg == R_MSR) {
		uint64_t v;
		const struct vmcs_caps *c = vmcs_caps_for_model(model);
		return c && !vmcs_caps_rdmsr(c, f->leaf_or_msr, &v) && (v >> f->bit & 1);
	}
	const struct cpu_model *m = cpuid_model_find(model);
	struct cpuid_regs max, regs;
	/* A leaf past the maximum answers another leaf's data: read it as absent. */
	cpuid_query(m, NULL, false, f->leaf_or_msr & 0x80000000u, 0, &max);
	if (f->leaf_or_msr > max.eax)
		return false;
	cpuid_query(m, NULL, false, f->leaf_or_msr, 0, &regs);
	uint32_t r[] = { regs.eax, regs.ebx, regs.ecx, regs.edx };
	return r[f->reg] >> f->bit & 1;
}

/* "+f", "-f", "f=on|off": the model must already have (or lack) the feature; vtsim's
 * models are fixed tables (QEMU under TCG would warn and run without it). */
static int cpu_feature(struct qemu_req *r, const char *name, bool want)
{
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		if (strcmp(features[i].name, name))
			continue;
		if (model_has(r->cpu_model, &features[i]) == want)
			return 0;
		return refuse("-cpu: cannot %s '%s': vtsim's model %s %s it (its CPUID and VMX "
			      "capabilities are fixed; vtsim cpus lists the models)", want ? "add" : "remove",
			      name, r->cpu_model, want ? "does not have" : "has");
	}
	return refuse("-cpu: feature '%s' is not known to vtsim-qemu", name);
}

static int cpu_item(struct qemu_req *r, const char *item, bool first)
{
	if (first) {
		for (size_t i = 0; i < sizeof(cpu_aliases) / sizeof(cpu_aliases[0]); i++) {
			if (strcmp(cpu_aliases[i].qemu, item))
				continue;
			r->cpu_model = cpu_aliases[i].vtsim;
			if (cpu_aliases[i].warn)
				warn("-cpu %s runs as vtsim's model %s", item, r->cpu_model);
			return 0;
		}
		return refuse("-cpu %s: no such CPU model in vtsim (vtsim-qemu -cpu help)", item);
	}
	if (item[0] == '+' || item[0] == '-')
		return cpu_feature(r, item + 1, item[0] == '+');
	const char *eq = strchr(item, '=');
	char key[64];
	snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - item) : 63, item);
	const char *val = eq ? eq + 1 : "on";
	if (!strcmp(key, "host-phys-bits") || !strcmp(key, "migratable") || !strcmp(key, "check") ||
	    !strcmp(key, "enforce"))
		return 0;   /* the model's MAXPHYADDR is what the guest sees; nothing migrates */
	if (!strcmp(key, "vendor"))
		return value_is(val, "GenuineIntel") ? 0
		       : refuse("-cpu vendor=%s: vtsim models Intel CPUs only", val);
	if (!strcmp(key, "phys-bits")) {
		unsigned long bits;
		unsigned have = cpuid_maxphyaddr(cpuid_model_find(r->cpu_model));
		if (parse_count(val, &bits) && bits == have)
			return 0;
		return refuse("-cpu phys-bits=%s: vtsim's model %s has MAXPHYADDR %u", val, r->cpu_model, have);
	}
	if (!strcmp(val, "on") || !strcmp(val, "true"))
		return cpu_feature(r, key, true);
	if (!strcmp(val, "off") || !strcmp(val, "false"))
		return cpu_feature(r, key, false);
	return refuse("-cpu %s: not supported by vtsim", item);
}

static int cpu_opt(struct qemu_req *r, const char *arg)
{
	if (is_help(arg)) {
		printf("Available CPUs:\n");
		for (size_t i = 0; i < sizeof(cpu_aliases) / sizeof(cpu_aliases[0]); i++)
			printf("x86 %-16s (vtsim model %s)\n", cpu_aliases[i].qemu, cpu_aliases[i].vtsim);
		printf("\nRecognized CPUID and VMX flags (+flag, -flag: the model must have, or lack, it):\n");
		for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++)
			printf("  %s\n", features[i].name);
		r->answered = true;
		return 0;
	}
	return for_each_item(arg, cpu_item, r);
}

/* ---- the run settings ---------------------------------------------------------- */

static int smp_item(struct qemu_req *r, const char *item, bool first)
{
	const char *eq = strchr(item, '=');
	unsigned long n;
	if (first && !eq) {
		if (!parse_count(item, &n) || n < 1)
			return refuse("-smp %s: not a number of CPUs", item);
		if (n > MAX_CPUS)
			return refuse("Invalid SMP CPUs %lu. The max CPUs supported by machine 'pc' is %d",
				      n, MAX_CPUS);
		r->cfg.nr_cpus = (unsigned)n;
		return 0;
	}
	if (eq && !strncmp(item, "cpus=", 5))
		return smp_item(r, eq + 1, true);
	/* vtsim's topology: one package, one thread per core, nr_cpus cores. */
	bool ok = eq && parse_count(eq + 1, &n) &&
		  (((!strncmp(item, "sockets=", 8) || !strncmp(item, "threads=", 8) ||
		     !strncmp(item, "dies=", 5)) && n == 1) ||
		   ((!strncmp(item, "cores=", 6) || !strncmp(item, "maxcpus=", 8)) && n == r->cfg.nr_cpus));
	return ok ? 0 : refuse("-smp %s: not supported: vtsim's CPUs are the cores of one package, "
			       "one thread each, none hot-plugged", item);
}

static int smp_opt(struct qemu_req *r, const char *arg)
{
	return for_each_item(arg, smp_item, r);
}

/* -m [size=]SIZE: QEMU's unit is MiB when no suffix is given. */
static int mem_item(struct qemu_req *r, const char *item, bool first)
{
	const char *val = !strncmp(item, "size=", 5) ? item + 5 : item;
	if (!first || (val == item && strchr(item, '=')))
		return refuse("-m %s: only the RAM size is supported (no hot-plug slots or maxmem)", item);
	char buf[64];
	bool digits = val[0] && strspn(val, "0123456789") == strlen(val);
	snprintf(buf, sizeof(buf), "%s%s", val, digits ? "M" : "");
	uint64_t size;
	if (vtsim_parse_size(buf, &size))
		return refuse("-m %s: not a size", val);
	if (size < (8ull << 20) || size > (4ull << 30) || size % (2ull << 20))
		return refuse("-m %s: vtsim's RAM is a multiple of 2M from 8M to 4G", val);
	r->cfg.ram_size = size;
	return 0;
}

static int mem_opt(struct qemu_req *r, const char *arg)
{
	return for_each_item(arg, mem_item, r);
}

static int kernel_opt(struct qemu_req *r, const char *arg) { r->kernel = arg; return 0; }
static int append_opt(struct qemu_req *r, const char *arg) { r->append = arg; return 0; }
static int initrd_opt(struct qemu_req *r, const char *arg) { r->initrd = arg; return 0; }

static int machine_opt(struct qemu_req *r, const char *arg)
{
	if (is_help(arg)) {
		printf("Supported machines are:\npc                   %s (default)\n", machine_props[0].what);
		r->answered = true;
		return 0;
	}
	return for_each_item(arg, machine_item, r);
}

static int accel_opt(struct qemu_req *r, const char *arg)
{
	if (is_help(arg)) {
		printf("Accelerators supported in QEMU binary:\ntcg\n");
		r->answered = true;
		return 0;
	}
	return for_each_item(arg, accel_item, r);
}

static int global_opt(struct qemu_req *r, const char *arg)
{
	return check_prop("-global", global_props, NPROPS(global_props), arg, NULL);
}

static int serial_opt(struct qemu_req *r, const char *arg)
{
	return !strcmp(arg, "stdio") ? 0
	       : refuse("-serial %s: not supported: vtsim's COM1 (0x3f8) writes to stdout (-serial stdio)", arg);
}

static int display_opt(struct qemu_req *r, const char *arg)
{
	return !strcmp(arg, "none") ? 0 : refuse("-display %s: not supported: vtsim has no display", arg);
}

static int accept_opt(struct qemu_req *r, const char *arg) { return 0; }

static int version_opt(struct qemu_req *r, const char *arg)
{
	printf("QEMU emulator version " QEMU_VERSION " (vtsim's QEMU-compatible front end, not QEMU)\n");
	r->answered = true;
	return 0;
}

/* ---- the option table ---------------------------------------------------------- */

enum qkind { Q_MAP, Q_ACCEPT, Q_PROBE, Q_REFUSE };

struct qopt {
	const char *name;         /* without the leading '-' ("--name" is the same option) */
	bool has_arg;
	enum qkind kind;
	int (*apply)(struct qemu_req *r, const char *arg);   /* NULL for Q_REFUSE */
	const char *what;         /* what vtsim does with it, or why it is refused */
};

static int help_opt(struct qemu_req *r, const char *arg);

static const struct qopt options[] = {
	{ "kernel", true, Q_MAP, kernel_opt, "the image (Multiboot v1 or ELF64), as vtsim run IMAGE" },
	{ "append", true, Q_MAP, append_opt, "the multiboot command line after the image name, as --append" },
	{ "initrd", true, Q_MAP, initrd_opt, "multiboot modules FILE[,FILE...] (up to 16), as --initrd" },
	{ "smp", true, Q_MAP, smp_opt, "N or cpus=N (1 to 64): --cpus N" },
	{ "m", true, Q_MAP, mem_opt, "[size=]SIZE (MiB without a suffix): --mem, a multiple of 2M from 8M to 4G" },
	{ "cpu", true, Q_MAP, cpu_opt, "MODEL[,+flag,-flag,...]: --cpu (max and host are xeon, IvyBridge is "
				       "minimal); a flag must match what the model has" },
	{ "machine", true, Q_ACCEPT, machine_opt, "[type=]pc, accel=tcg, pit=off: vtsim's PC, a software CPU" },
	{ "M", true, Q_ACCEPT, machine_opt, "as -machine" },
	{ "accel", true, Q_ACCEPT, accel_opt, "tcg: vtsim is a software CPU" },
	{ "device", true, Q_ACCEPT, device_opt, "isa-debug-exit,iobase=0xf4[,iosize=N] (vtsim's exit port); "
						"pc-testdev (its IRQ lines only)" },
	{ "global", true, Q_ACCEPT, global_opt, "kvm-pit.lost_tick_policy=...: vtsim has no PIT and no KVM" },
	{ "serial", true, Q_ACCEPT, serial_opt, "stdio: COM1 goes to stdout" },
	{ "display", true, Q_ACCEPT, display_opt, "none: vtsim has no display" },
	{ "nodefaults", false, Q_ACCEPT, accept_opt, "vtsim's machine has no optional default devices" },
	{ "no-reboot", false, Q_ACCEPT, accept_opt, "vtsim never resets: a triple fault ends the run (status 0)" },
	{ "name", true, Q_ACCEPT, accept_opt, "the guest's name: vtsim does not show it" },
	{ "help", false, Q_PROBE, help_opt, "the version line and this option list" },
	{ "h", false, Q_PROBE, help_opt, "as -help" },
	{ "version", false, Q_PROBE, version_opt, "QEMU emulator version " QEMU_VERSION " (vtsim's front end)" },
	{ "enable-kvm", false, Q_REFUSE, NULL, "vtsim is a software CPU; it does not use KVM" },
	{ "chardev", true, Q_REFUSE, NULL, "vtsim has no character-device back ends; COM1 is stdout" },
	{ "mon", true, Q_REFUSE, NULL, "vtsim has no QEMU monitor (QMP)" },
	{ "monitor", true, Q_REFUSE, NULL, "vtsim has no QEMU monitor" },
	{ "S", false, Q_REFUSE, NULL, "starting stopped needs the monitor; use vtsim run --gdb to wait" },
	{ "incoming", true, Q_REFUSE, NULL, "vtsim does not migrate (see vtsim run --record/--replay)" },
	{ "overcommit", true, Q_REFUSE, NULL, "vtsim has no host CPU power management to pass through" },
	{ "gdb", true, Q_REFUSE, NULL, "use vtsim run --gdb 127.0.0.1:PORT" },
	{ "s", false, Q_REFUSE, NULL, "use vtsim run --gdb 127.0.0.1:PORT" },
	{ "bios", true, Q_REFUSE, NULL, "vtsim has no firmware: it loads -kernel directly" },
	{ "drive", true, Q_REFUSE, NULL, "vtsim has no disks" },
	{ "netdev", true, Q_REFUSE, NULL, "vtsim has no network" },
};

static const char *const kind_names[] = {
	[Q_MAP] = "maps", [Q_ACCEPT] = "accepts", [Q_PROBE] = "answers", [Q_REFUSE] = "refuses",
};

static void print_options(FILE *f)
{
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		fprintf(f, "  -%-11s %-5s %-8s %s\n", options[i].name, options[i].has_arg ? "ARG" : "",
			kind_names[options[i].kind], options[i].what);
}

static int help_opt(struct qemu_req *r, const char *arg)
{
	version_opt(r, arg);
	printf("usage: vtsim-qemu [options] -kernel IMAGE\n"
	       "vtsim's QEMU-compatible front end: runs IMAGE on vtsim with QEMU's options.\n"
	       "Options (maps: becomes a vtsim run setting; accepts: vtsim already behaves so;\n"
	       "refuses: exit status 1 with the reason):\n");
	print_options(stdout);
	return 0;
}

static const struct qopt *find_option(const char *arg)
{
	const char *name = arg + (arg[1] == '-' ? 2 : 1);
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		if (!strcmp(options[i].name, name))
			return &options[i];
	return NULL;
}

/* Parses argv[1..] into *r; 0 or the exit status. */
static int parse_args(int argc, char **argv, struct qemu_req *r)
{
	for (int i = 1; i < argc && !r->answered; i++) {
		const char *arg = argv[i];
		if (!strcmp(arg, "-vtsim-options")) {
			print_options(stdout);
			r->answered = true;
			return 0;
		}
		if (arg[0] != '-')
			return refuse("%s: disk images are not supported; give the image with -kernel", arg);
		const struct qopt *o = find_option(arg);
		if (!o)
			return refuse("%s: invalid option", arg);
		if (o->kind == Q_REFUSE)
			return refuse("%s: not supported: %s", arg, o->what);
		if (o->has_arg && i + 1 == argc)
			return refuse("%s: requires an argument", arg);
		if (o->has_arg && !argv[i + 1][0] && o->apply != append_opt)   /* -append "" is a command line */
			return refuse("%s: the value is empty", arg);
		int rc = o->apply(r, o->has_arg ? argv[++i] : NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- running --------------------------------------------------------------------- */

static unsigned char *slurp(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;
	for (;;) {
		if (n == cap) {
			unsigned char *nb = realloc(buf, cap = cap ? cap * 2 : 1 << 16);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (!got)
			break;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		free(buf);
		errno = EIO;
		return NULL;
	}
	*size = n;
	return buf;
}

/* The modules of -initrd: each entry is "FILE[ ARGS]", its string the whole entry. */
struct modules {
	struct vtsim_module mod[MAX_MODULES];
	unsigned char *data[MAX_MODULES];
	char *text;
	unsigned n;
};

static void modules_free(struct modules *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->data[i]);
	free(m->text);
}

static int modules_load(const char *list, struct modules *m)
{
	if (!list)
		return 0;
	m->text = strdup(list);
	char *save = NULL;
	for (char *e = strtok_r(m->text, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		if (m->n == MAX_MODULES)
			return refuse("-initrd: at most %d modules", MAX_MODULES);
		char path[4096];
		snprintf(path, sizeof(path), "%.*s", (int)strcspn(e, " "), e);
		m->data[m->n] = slurp(path, &m->mod[m->n].size);
		if (!m->data[m->n])
			return refuse("could not load initrd '%s': %s", path, strerror(errno));
		m->mod[m->n].data = m->data[m->n];
		m->mod[m->n].string = e;
		m->n++;
	}
	return 0;
}

/* QEMU's exit status for the way the run ended. */
static int qemu_status(const struct vtsim_result *res)
{
	switch (res->reason) {
	case VTSIM_STOP_DEBUG_EXIT:
		return res->exit_status;
	case VTSIM_STOP_TRIPLE_FAULT:
		fprintf(stderr, "vtsim-qemu: the guest shut down (triple fault): status 0, as QEMU "
			"with -no-reboot\n");
		return 0;
	case VTSIM_STOP_HALT:
		fprintf(stderr, "vtsim-qemu: the run stopped at a HLT that nothing can wake; QEMU "
			"would wait until killed, vtsim ends the run with status 0\n");
		return 0;
	default:
		return res->exit_status;
	}
}

static int run(const struct qemu_req *r)
{
	size_t size;
	unsigned char *img = slurp(r->kernel, &size);
	if (!img)
		return refuse("could not load kernel '%s': %s", r->kernel, strerror(errno));
	struct modules mods = { 0 };
	int status = modules_load(r->initrd, &mods);
	char err[512];
	struct vtsim_machine *m = NULL;
	char *cmdline = NULL;
	if (status)
		goto out;
	m = vtsim_machine_create(&r->cfg, err, sizeof(err));
	if (!m) {
		status = refuse("%s", err);
		goto out;
	}
	/* The multiboot command line, as QEMU builds it: the kernel's path, then -append. */
	if (asprintf(&cmdline, "%s%s%s", r->kernel, r->append ? " " : "", r->append ? r->append : "") < 0) {
		cmdline = NULL;
		status = refuse("out of memory");
		goto out;
	}
	if (vtsim_machine_load(m, img, size, cmdline, mods.mod, mods.n, err, sizeof(err))) {
		status = refuse("error loading kernel '%s': %s", r->kernel, err);
		goto out;
	}
	struct vtsim_result res = { 0 };
	fflush(stdout);
	vtsim_machine_run(m, &res);
	fflush(stdout);
	status = qemu_status(&res);
out:
	free(cmdline);
	if (m)
		vtsim_machine_destroy(m);
	modules_free(&mods);
	free(img);
	return status;
}

bool vtsim_qemu_invoked_as(const char *argv0)
{
	const char *base = strrchr(argv0, '/');
	base = base ? base + 1 : argv0;
	return !strcmp(base, "vtsim-qemu") || !strncmp(base, "qemu-system-x86_64", 18);
}

int vtsim_qemu_main(int argc, char **argv)
{
	struct qemu_req r = { 0 };
	vtsim_config_defaults(&r.cfg);
	r.cpu_model = "xeon";
	int status = parse_args(argc, argv, &r);
	if (status || r.answered)
		return status;
	if (!r.kernel)
		return refuse("no -kernel given: vtsim runs an image given with -kernel (it has no "
			      "firmware or disks)");
	r.cfg.cpu_model = r.cpu_model;
	return run(&r);
}
