/* The vtsim command. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vtsim/vtsim.h"
#include "bench/bench.h"
#include "kvmlike/kvm_x86.h"
#include "kvmlike/tdx_host.h"
#include "sim/tdx_module_stub/module.h"
#include "sim/tdx_module_stub/status.h"
#include "sim/vmcs/exit_reasons.h"
#include "tools/demo_json.h"
#include "tools/explain.h"
#include "tools/record.h"
#include "tools/fuzz_replay.h"
#include "tools/qemu_front.h"
#include "tools/vmm.h"

/* The bundled demo guest (guests/hello.asm), embedded by the build. */
extern const unsigned char vtsim_guest_hello[];
extern const unsigned int vtsim_guest_hello_len;

#define EXIT_USAGE 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: vtsim COMMAND [ARGS]\n"
		"\n"
		"commands:\n"
		"  run [OPTIONS] IMAGE   boot a bare-metal image (ELF64 or multiboot) on the simulated machine\n"
		"  demo [--trace|--json] the main job: a VM and a TD under kvmlike (the KVM-shaped hypervisor) side\n"
		"                        by side, and what happened (--json: as one JSON object)\n"
		"  vm [--tdx] [--cpu MODEL] [--max-insns N] [--trace[=C]] [--msi VECTOR[@EXITS]]... GUEST\n"
		"                        run a guest under kvmlike: a VM (an ELF64, or a flat image entered at\n"
		"                        1 MiB, in long mode) or with --tdx a TD (flat firmware ending at 4 GiB,\n"
		"                        or an ELF in the 1 MiB below it); its console output on stdout; status\n"
		"                        0 when it halts, 1 if not (or if an --msi was never sent), 2 for a\n"
		"                        refused image. --msi sends the guest an MSI of\n"
		"                        VECTOR (16-255; fixed, to APIC ID 0: KVM_SIGNAL_MSI) before the\n"
		"                        KVM_RUN after its EXITS-th exit to user space (default 0: before\n"
		"                        the first); up to 16, any number at the same exit\n"
		"  cpus                  list the CPU models (--cpu)\n"
		"  checks                list the VM-entry checks implemented: ID class section summary\n"
		"  checks --coverage [--target T] CORPUS_DIR...\n"
		"                        a fuzz corpus through its target (tests/fuzz/): entry checks passed\n"
		"                        and failed, exit reasons, SEAMCALL leaf/status pairs\n"
		"  explain error N | exit REASON [QUAL] | intr INFO [ERROR_CODE] | abort N | leaf N |\n"
		"          control FIELD VALUE [MODEL] | status VALUE | check ID\n"
		"                        what a VM-instruction error, exit reason and qualification,\n"
		"                        interruption information, VMX-abort indicator, SEAMCALL leaf,\n"
		"                        control value (against a CPU model), TDX status or check means\n"
		"  bench [NAME] [--json] run the benchmarks (bench/), or those whose names start with NAME\n"
		"  bench --list          the benchmarks' names, goals and what each measures\n"
		"  qemu QEMU-OPTIONS     QEMU's command line (-kernel, -append, -initrd, -smp, -m, -cpu, ...)\n"
		"                        on vtsim, as a harness's QEMU (also: the vtsim-qemu symlink)\n"
		"  fuzz-replay TARGET FILE... [--trace]\n"
		"                        run inputs through a fuzz target (tests/fuzz/), as the fuzzer did\n"
		"  help                  this text\n"
		"\n"
		"run options:\n"
		"  --mem SIZE            RAM size (default 128M; a multiple of 2M, 8M..4G)\n"
		"  --cpus N              logical processors (default 1)\n"
		"  --smp-events MODE     with several: when an LP looks at an event it raised itself\n"
		"                        (self-IPI, EOI, TPR): block (default: at the next translated\n"
		"                        block) or instruction (before the next one: exact, but a\n"
		"                        hook on every instruction, ten times slower)\n"
		"  --cpu MODEL           CPU model: CPUID and VMX capabilities (default xeon; vtsim cpus)\n"
		"  --json                failed VM entries reported as JSON objects on stderr\n"
		"  --vmcs-dump           a failed VM entry also prints the VMCS by field name\n"
		"  --vmcs-diff           ... and the fields changed since the last entry that succeeded on that LP\n"
		"  --inject-entry-mce N  fault injection: the Nth VM entry on LP 0 that passes its\n"
		"                        checks meets a machine check and fails (exit reason 41)\n"
		"  --inject-guest-mce N  fault injection: after the Nth VM entry on LP 0 that\n"
		"                        completes, the guest's first instruction meets a machine check\n"
		"                        (up to 4 times, each N above the one before)\n"
		"  --max-insns N         stop with status 4 after N instructions\n"
		"  --timeout S           stop with status 4 after S seconds of wall-clock time\n"
		"  --trace[=CLASSES]     trace events on stderr; CLASSES: insn,exc,io,msr,cpuid,run,vmx,\n"
		"                        exits,seam,all\n"
		"                        (default: all but insn)\n"
		"  --trace-file FILE     write the trace to FILE\n"
		"  --append STRING       multiboot command line (after the image name, as QEMU passes it)\n"
		"  --initrd FILE         a multiboot module (repeatable)\n"
		"  --record FILE         write what the run depends on and its outcome to FILE\n"
		"  --replay FILE [IMAGE] run a record again and check that it reproduces (status 5 if not)\n"
		"  --gdb 127.0.0.1:PORT  wait for gdb (target remote) there before the first instruction;\n"
		"                        loopback only; port 0 picks a free one (printed on stderr)\n"
		"\n"
		"exit status of run: 0 halted, (v<<1)|1 after OUT v to port 0xf4, 3 triple fault,\n"
		"4 instruction or time limit, 2 bad image or option, 70 a vtsim limitation\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "vtsim: ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return EXIT_USAGE;
}

static unsigned parse_trace(const char *s, int *bad)
{
	static const struct { const char *name; unsigned mask; } classes[] = {
		{ "insn", VTSIM_TRACE_INSN }, { "exc", VTSIM_TRACE_EXC }, { "io", VTSIM_TRACE_IO },
		{ "msr", VTSIM_TRACE_MSR }, { "cpuid", VTSIM_TRACE_CPUID }, { "run", VTSIM_TRACE_RUN },
		{ "vmx", VTSIM_TRACE_VMX }, { "exits", VTSIM_TRACE_EXITS }, { "seam", VTSIM_TRACE_SEAM },
		{ "all", VTSIM_TRACE_ALL },
	};
	if (!s)
		return VTSIM_TRACE_DEFAULT;
	unsigned mask = 0;
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", s);
	for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
			if (!strcmp(tok, classes[i].name))
				break;
		if (i == sizeof(classes) / sizeof(classes[0])) {
			*bad = 1;
			return 0;
		}
		mask |= classes[i].mask;
	}
	return mask;
}

/* Reads a whole file; NULL with errno on failure. */
static unsigned char *read_file(const char *path, size_t *size)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	unsigned char *buf = malloc(cap);
	while (buf) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap)
			break;
		if (cap >= (1u << 30)) {   /* a gigabyte of image is certainly wrong */
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		unsigned char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	if (buf && ferror(f)) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*size = n;
	return buf;
}

struct run_opts {
	struct vtsim_config cfg;
	const char *image;
	const char *append;
	const char *trace_file;
	const char *initrd[16];
	unsigned ninitrd;
	const char *record, *replay;
};

static int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-')
		return -1;
	*out = v;
	return 0;
}

/* One more --inject-guest-mce count: up to VTSIM_MAX_GUEST_MCE, each above the last. */
static int add_guest_mce(unsigned at[VTSIM_MAX_GUEST_MCE], unsigned n)
{
	unsigned i = 0;
	while (i < VTSIM_MAX_GUEST_MCE && at[i])
		i++;
	if (i == VTSIM_MAX_GUEST_MCE || (i && n <= at[i - 1])) {
		return fail("--inject-guest-mce %u: at most %u, each count above the one before", n,
			    VTSIM_MAX_GUEST_MCE);
	}
	at[i] = n;
	return 0;
}

static int parse_run(int argc, char **argv, struct run_opts *o)
{
	enum { O_VMCS_DUMP = 100, O_VMCS_DIFF };   /* diagnostics (issue 10) */
	enum { O_INJECT_ENTRY_MCE = 200, O_INJECT_GUEST_MCE };   /* fault injection */
	enum { O_MEM = 1, O_JSON, O_CPU, O_CPUS, O_MAX, O_TIMEOUT, O_TRACE, O_TRACE_FILE, O_APPEND, O_INITRD, O_TDX, O_GDB, O_RECORD, O_REPLAY, O_HELP, O_SMP_EVENTS };
	static const struct option longopts[] = {
		{ "mem", required_argument, NULL, O_MEM },
		{ "cpus", required_argument, NULL, O_CPUS },
		{ "smp-events", required_argument, NULL, O_SMP_EVENTS },
		{ "cpu", required_argument, NULL, O_CPU },
		{ "json", no_argument, NULL, O_JSON },
		{ "max-insns", required_argument, NULL, O_MAX },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "trace", optional_argument, NULL, O_TRACE },
		{ "trace-file", required_argument, NULL, O_TRACE_FILE },
		{ "append", required_argument, NULL, O_APPEND },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "tdx", no_argument, NULL, O_TDX },
		{ "vmcs-dump", no_argument, NULL, O_VMCS_DUMP },
		{ "vmcs-diff", no_argument, NULL, O_VMCS_DIFF },
		{ "inject-entry-mce", required_argument, NULL, O_INJECT_ENTRY_MCE },
		{ "inject-guest-mce", required_argument, NULL, O_INJECT_GUEST_MCE },
		{ "gdb", required_argument, NULL, O_GDB },
		{ "record", required_argument, NULL, O_RECORD },
		{ "replay", required_argument, NULL, O_REPLAY },
		{ "help", no_argument, NULL, O_HELP },
		{ 0 },
	};
	vtsim_config_defaults(&o->cfg);
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		uint64_t v;
		int bad = 0;
		char *end;
		switch (c) {
		case O_MEM:
			if (vtsim_parse_size(optarg, &o->cfg.ram_size))
				return fail("--mem: '%s' is not a size (e.g. 128M, 1G)", optarg);
			break;
		case O_CPU:
			o->cfg.cpu_model = optarg;
			break;
		case O_JSON:
			o->cfg.json = true;
			break;
		case O_CPUS:
			if (parse_u64(optarg, &v) || v < 1 || v > 64)
				return fail("--cpus: '%s' is not a number from 1 to 64", optarg);
			o->cfg.nr_cpus = (unsigned)v;
			break;
		case O_SMP_EVENTS:
			if (strcmp(optarg, "instruction") && strcmp(optarg, "block"))
				return fail("--smp-events: '%s' is neither instruction nor block", optarg);
			o->cfg.smp_exact_events = !strcmp(optarg, "instruction");
			break;
		case O_MAX:
			if (parse_u64(optarg, &v) || v == 0)
				return fail("--max-insns: '%s' is not a positive number", optarg);
			o->cfg.max_insns = v;
			break;
		case O_TIMEOUT:
			errno = 0;
			o->cfg.timeout_s = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(o->cfg.timeout_s > 0) || o->cfg.timeout_s > 1e9)
				return fail("--timeout: '%s' is not a positive number of seconds", optarg);
			break;
		case O_TRACE:
			o->cfg.trace_mask = parse_trace(optarg, &bad);
			if (bad)
				return fail("--trace: unknown class in '%s' (insn,exc,io,msr,cpuid,run,vmx,exits,seam,all)", optarg);
			break;
		case O_TRACE_FILE:
			o->trace_file = optarg;
			break;
		case O_APPEND:
			o->append = optarg;
			break;
		case O_INITRD:
			if (o->ninitrd == 16)
				return fail("--initrd: at most 16 modules%s", "");
			o->initrd[o->ninitrd++] = optarg;
			break;
		case O_VMCS_DUMP:
			o->cfg.vmcs_dump = true;
			break;
		case O_INJECT_ENTRY_MCE:
		case O_INJECT_GUEST_MCE:
			if (parse_u64(optarg, &v) || v < 1 || v > UINT32_MAX)
				return fail("--inject-%s-mce: '%s' is not a positive number",
					    c == O_INJECT_ENTRY_MCE ? "entry" : "guest", optarg);
			if (c == O_INJECT_ENTRY_MCE)
				o->cfg.inject_entry_mce = (unsigned)v;
			else if (add_guest_mce(o->cfg.inject_guest_mce, (unsigned)v))
				return EXIT_USAGE;
			break;
		case O_VMCS_DIFF:
			o->cfg.vmcs_diff = true;
			break;
		case O_TDX:
			o->cfg.tdx = true;
			break;
		case O_GDB:
			o->cfg.gdb = optarg;
			break;
		case O_RECORD:
			o->record = optarg;
			break;
		case O_REPLAY:
			o->replay = optarg;
			break;
		case O_HELP:
			usage(stdout);
			exit(0);
		case ':':
			return fail("option %s needs a value", argv[optind - 1]);
		default:
			return fail("unknown option '%s' (see vtsim help)", argv[optind - 1]);
		}
	}
	if (o->record && o->replay)
		return fail("--record and --replay together%s", "");
	if (o->replay && optind == argc)
		return 0;                  /* the image is the recorded one */
	if (optind != argc - 1)
		return fail("run needs exactly one IMAGE%s", optind < argc ? " (extra arguments given)" : "");
	o->image = argv[optind];
	return 0;
}

/* Builds the multiboot command line the way QEMU does: image name, then --append. */
static char *multiboot_cmdline(const char *image, const char *append)
{
	size_t n = strlen(image) + (append ? strlen(append) + 1 : 0) + 1;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s%s%s", image, append ? " " : "", append ? append : "");
	return s;
}

static int run_machine(const struct vtsim_config *cfg, const unsigned char *img, size_t size,
		       const char *what, const char *cmdline, const struct vtsim_module *mods,
		       unsigned nmods, struct vtsim_result *res, uint8_t state[32])
{
	char err[512];
	struct vtsim_machine *m = vtsim_machine_create(cfg, err, sizeof(err));
	if (!m)
		return fail("%s", err);
	if (vtsim_machine_load(m, img, size, cmdline, mods, nmods, err, sizeof(err))) {
		fprintf(stderr, "vtsim: %s: %s\n", what, err);
		vtsim_machine_destroy(m);
		return EXIT_USAGE;
	}
	vtsim_machine_run(m, res);
	if (state)   /* a digest of all of RAM: only a recording or a replay needs it */
		vtsim_machine_state_hash(m, state);
	vtsim_machine_destroy(m);
	return res->exit_status;
}

/* Runs the machine as `o` says; `rec` gets the image and module digests and the
 * outcome. A replay (`want` not NULL) refuses bytes other than the recorded ones. */
static int run_opts_run(struct run_opts o, struct record *rec, const struct record *want)
{
	FILE *tf = NULL;
	if (o.trace_file) {
		tf = fopen(o.trace_file, "w");
		if (!tf)
			return fail("--trace-file: cannot write '%s'", o.trace_file);
		o.cfg.trace = tf;
		if (!o.cfg.trace_mask)
			o.cfg.trace_mask = VTSIM_TRACE_DEFAULT;
	}
	size_t size;
	unsigned char *img = read_file(o.image, &size);
	if (!img) {
		fprintf(stderr, "vtsim: %s: %s\n", o.image, strerror(errno));
		if (tf)
			fclose(tf);
		return EXIT_USAGE;
	}
	snprintf(rec->image.path, sizeof(rec->image.path), "%s", o.image);
	record_sha256(img, size, rec->image.sha256);
	struct vtsim_module mods[16];
	unsigned char *mod_data[16] = { 0 };
	int status = 0;
	for (unsigned i = 0; i < o.ninitrd; i++) {
		mod_data[i] = read_file(o.initrd[i], &mods[i].size);
		if (!mod_data[i]) {
			fprintf(stderr, "vtsim: --initrd %s: %s\n", o.initrd[i], strerror(errno));
			status = EXIT_USAGE;
			goto out;
		}
		mods[i].data = mod_data[i];
		mods[i].string = o.initrd[i];
		snprintf(rec->initrd[i].path, sizeof(rec->initrd[i].path), "%s", o.initrd[i]);
		record_sha256(mod_data[i], mods[i].size, rec->initrd[i].sha256);
	}
	rec->ninitrd = o.ninitrd;
	if (want && memcmp(want->image.sha256, rec->image.sha256, 32)) {
		fprintf(stderr, "vtsim: replay: %s is not the recorded image (its SHA-256 differs)\n", o.image);
		status = EXIT_USAGE;
		goto out;
	}
	for (unsigned i = 0; want && i < o.ninitrd; i++) {
		if (i >= want->ninitrd || memcmp(want->initrd[i].sha256, rec->initrd[i].sha256, 32)) {
			fprintf(stderr, "vtsim: replay: module %s is not the recorded one (its SHA-256 differs)\n",
				o.initrd[i]);
			status = EXIT_USAGE;
			goto out;
		}
	}
	char *cmdline = multiboot_cmdline(o.image, o.append);
	struct vtsim_result res = { 0 };
	status = run_machine(&o.cfg, img, size, o.image, cmdline, mods, o.ninitrd, &res,
			     o.record || want ? rec->state : NULL);
	rec->ran = res.reason != 0;
	rec->status = status;
	rec->rip = res.rip;
	rec->insns = res.insns;
	free(cmdline);
out:
	for (unsigned i = 0; i < o.ninitrd; i++)
		free(mod_data[i]);
	free(img);
	if (tf)
		fclose(tf);
	return status;
}

#define EXIT_NOT_REPRODUCED 5

/* --replay FILE [IMAGE]: the recorded options on the recorded bytes; the trace options
 * given now apply. */
static int cmd_replay(const struct run_opts *now)
{
	struct record want, got = { 0 };
	char err[512];
	if (record_read(now->replay, &want, err, sizeof(err)))
		return fail("%s", err);
	char *argv[RECORD_MAX_ARGS + 2];
	int argc = 0;
	argv[argc++] = "run";
	for (int i = 0; i < want.nargs; i++)
		argv[argc++] = want.args[i];
	argv[argc++] = (char *)(now->image ? now->image : want.image.path);
	struct run_opts o = { 0 };
	int status = parse_run(argc, argv, &o);
	if (status) {
		record_free(&want);
		return status;
	}
	o.cfg.trace_mask = now->cfg.trace_mask;
	o.trace_file = now->trace_file;
	o.cfg.json = now->cfg.json;
	status = run_opts_run(o, &got, &want);
	if (got.ran) {
		char why[256];
		if (record_compare(&want, &got, why, sizeof(why))) {
			fprintf(stderr, "vtsim: replay of %s did not reproduce it: %s\n", now->replay, why);
			status = EXIT_NOT_REPRODUCED;
		} else {
			fprintf(stderr, "vtsim: replay of %s reproduced it: status %d, %llu instructions, "
				"the same final state\n", now->replay, status, (unsigned long long)got.insns);
		}
	}
	record_free(&want);
	return status;
}

static int cmd_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	int r = parse_run(argc, argv, &o);
	if (r)
		return r;
	if (o.replay)
		return cmd_replay(&o);
	struct record rec = { 0 };
	int status = run_opts_run(o, &rec, NULL);
	if (o.record && rec.ran) {
		char err[512];
		record_set_args(&rec, argc, argv);
		if (record_write(o.record, &rec, err, sizeof(err))) {
			fprintf(stderr, "vtsim: %s\n", err);
			status = EXIT_USAGE;
		}
		record_free(&rec);
	}
	return status;
}

/* The main job: a VM and a TD under kvmlike, the KVM-shaped hypervisor, side by
 * side on one simulated TDX machine; every kvm_x86_ops call goes through the vt_
 * layer to the VMX side or the TDX side by the VM's type. */
extern const unsigned char vtsim_guest_vm_hello[];
extern const unsigned int vtsim_guest_vm_hello_len;
extern const unsigned char vtsim_guest_td_hello[];
extern const unsigned int vtsim_guest_td_hello_len;

static void print_vt_table(void)
{
	printf("\nvt_ dispatch (kvm_x86_ops calls by op, to the vmx_ side and to the tdx_ side):\n");
	printf("  %-28s %8s %8s\n", "op", "vmx_", "tdx_");
	for (unsigned i = 0; i < NR_KVM_X86_OPS; i++)
		if (kvm_x86_op_calls[i][0] || kvm_x86_op_calls[i][1])
			printf("  %-28s %8llu %8llu\n", kvm_x86_op_names[i],
			       (unsigned long long)kvm_x86_op_calls[i][0],
			       (unsigned long long)kvm_x86_op_calls[i][1]);
}

static void print_seamcalls(void)
{
	const struct tdx_seamcall_stat *st = tdx_seamcall_stats();
	printf("\nSEAMCALLs by leaf (kvmlike on the simulated TDX module):\n");
	printf("  %-24s %6s %8s  %s\n", "leaf", "calls", "failed", "last status");
	for (unsigned i = 0; i < TDX_NR_LEAVES; i++) {
		if (!st[i].calls)
			continue;
		const char *name = tdx_leaf_name(i), *status = tdx_status_name(st[i].last_status);
		printf("  %-24s %6llu %8llu  0x%016llx %s\n", name ? name : "?",
		       (unsigned long long)st[i].calls, (unsigned long long)st[i].failures,
		       (unsigned long long)st[i].last_status, status ? status : "");
	}
}

static void print_exits(const char *what, const struct vmm_report *r)
{
	printf("\n%s handled by kvmlike (%llu), by reason:\n", what, (unsigned long long)r->stat.exits);
	for (unsigned i = 0; i < KVM_NR_EXIT_REASONS; i++)
		if (r->stat.exits_by_reason[i])
			printf("  %-22s %6llu\n", vmx_exit_reason_name(i),
			       (unsigned long long)r->stat.exits_by_reason[i]);
	printf("exits to user space: %llu port I/O, %llu MMIO, %llu HLT; %llu hypercalls answered in kvmlike;\n"
	       "%u guest pages mapped on EPT violations\n",
	       (unsigned long long)r->stat.io_exits, (unsigned long long)r->stat.mmio_exits,
	       (unsigned long long)r->stat.halt_exits, (unsigned long long)r->stat.hypercalls,
	       r->ept_pages_mapped);
}

/* The same run as data: the consoles are captured, then one JSON object. */
static int demo_json(const struct vtsim_config *cfg)
{
	char *console = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&console, &len);
	if (!mem)
		return fail("demo: %s", strerror(errno));
	struct vmm_report vm, td;
	int rc = vmm_run_side_by_side(cfg, vtsim_guest_vm_hello, vtsim_guest_vm_hello_len,
				      vtsim_guest_td_hello, vtsim_guest_td_hello_len, mem, &vm, &td);
	fclose(mem);
	demo_print_json(stdout, console ? console : "", rc, &vm, &td);
	free(console);
	return rc ? 1 : 0;
}

static int cmd_demo(int argc, char **argv)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	bool json = false;
	if (argc > 1 && !strcmp(argv[1], "--trace"))
		cfg.trace_mask = VTSIM_TRACE_DEFAULT;
	else if (argc > 1 && !strcmp(argv[1], "--json"))
		json = true;
	else if (argc > 1)
		return fail("demo: unknown argument '%s'", argv[1]);
	cfg.tdx = true;      /* a TDX platform: kvmlike brings the TDX module up */
	if (json)
		return demo_json(&cfg);
	printf("vtsim demo: kvmlike, a KVM-shaped hypervisor, runs a VM and a TD side by side on one\n"
	       "simulated TDX machine (VMX and the TDX module in software; no VT-x or TDX on this host)\n");
	printf("\n--- kvmlike log and the guests' consoles (COM1) ---\n");
	fflush(stdout);
	struct vmm_report vm, td;
	int rc = vmm_run_side_by_side(&cfg, vtsim_guest_vm_hello, vtsim_guest_vm_hello_len,
				      vtsim_guest_td_hello, vtsim_guest_td_hello_len, stdout, &vm, &td);
	printf("--- end of consoles ---\n");
	if (rc) {
		if (!vm.ok)
			printf("\ndemo: the VM did not finish: %s\n", vm.error);
		if (!td.ok)
			printf("\ndemo: the TD did not finish: %s\n", td.error);
		return 1;
	}
	printf("device: the VM wrote 0x%x to the command register\n", vm.device_command);
	print_exits("VM exits", &vm);
	print_exits("TD exits (TDH.VP.ENTER returns)", &td);
	printf("\nTD measurement: MRTD expected from the %llu bytes kvmlike added and measured:\n  ",
	       (unsigned long long)td.private_bytes);
	for (int i = 0; i < 48; i++)
		printf("%02x", td.mrtd[i]);
	printf("\nTD private memory seen from the host (KeyID 0) while the TD lived: %llu of %llu bytes "
	       "nonzero (the image has %llu nonzero bytes)\n", (unsigned long long)td.host_visible,
	       (unsigned long long)td.private_bytes, (unsigned long long)td.image_nonzero);
	printf("TD shared memory seen from the host: the page at GPA 0x1ff000 holds \"%s\"\n", td.shared_msg);
	print_vt_table();
	print_seamcalls();
	printf("\ndemo: the VM and the TD ran to their HLTs\n");
	return 0;
}

static bool cpu_model_known(const char *name)
{
	const char *n, *desc;
	for (unsigned i = 0; (n = vtsim_cpu_model_name(i, &desc)); i++)
		if (!strcmp(n, name))
			return true;
	return false;
}

/* `vtsim vm [--tdx] [OPTIONS] GUEST`: one guest under kvmlike (an ELF executable or a
 * flat image: 64-bit code for a VM, firmware with a reset vector for a TD). */
#define STR_(x) #x
#define STR(x)  STR_(x)

/* `--msi VECTOR[@EXITS]` into the next of msis->msi: a vector 16-255 (an
 * interrupt's; KVM_SIGNAL_MSI refuses the exception vectors below), and how many
 * exits to user space come before it (0 when none is given). */
static int parse_msi(const char *s, struct vmm_msis *msis)
{
	if (msis->n == VMM_MAX_MSIS)
		return fail("vm: more than " STR(VMM_MAX_MSIS) " --msi ('%s')", s);
	char *end;
	errno = 0;
	unsigned long vector = strtoul(s, &end, 0), after = 0;
	if (errno || end == s || (*end && *end != '@') || vector < 16 || vector > 255)
		return fail("vm: bad --msi '%s': want VECTOR[@EXITS], a vector of 16-255 (0x10-0xff)", s);
	if (*end == '@') {
		const char *n = end + 1;
		errno = 0;
		after = strtoul(n, &end, 0);
		if (errno || end == n || *end || *n == '-' || after >= VMM_MAX_EXITS)
			return fail("vm: bad --msi '%s': want VECTOR[@EXITS], EXITS a count below " STR(VMM_MAX_EXITS), s);
	}
	msis->msi[msis->n++] = (struct vmm_msi){ .vector = (uint8_t)vector, .after = (unsigned)after };
	return 0;
}

/* Each MSI the run ended before sending; true if there was one. */
static bool report_unsent_msis(const struct vmm_msis *msis, const struct vmm_report *r)
{
	bool any = false;
	for (unsigned i = 0; i < msis->n; i++) {
		if (msis->msi[i].after < r->exits)
			continue;
		fprintf(stderr, "vtsim: vm: --msi 0x%x@%u not sent: the run ended after %u exits to user space\n",
			msis->msi[i].vector, msis->msi[i].after, r->exits);
		any = true;
	}
	return any;
}

static int cmd_vm(int argc, char **argv)
{
	struct vtsim_config cfg;
	vtsim_config_defaults(&cfg);
	bool tdx = false;
	const char *image = NULL;
	struct vmm_msis msis = { 0 };
	for (int i = 1; i < argc; i++) {
		char *end;
		if (!strcmp(argv[i], "--msi") && i + 1 < argc) {
			if (parse_msi(argv[++i], &msis))
				return EXIT_USAGE;
		} else if (!strcmp(argv[i], "--tdx")) {
			tdx = true;
			cfg.tdx = true;
		} else if (!strcmp(argv[i], "--max-insns") && i + 1 < argc) {
			errno = 0;
			cfg.max_insns = strtoull(argv[++i], &end, 0);
			if (errno || *end || !cfg.max_insns)
				return fail("vm: bad --max-insns '%s'", argv[i]);
		} else if (!strcmp(argv[i], "--cpu") && i + 1 < argc) {
			cfg.cpu_model = argv[++i];
			if (!cpu_model_known(cfg.cpu_model))
				return fail("vm: unknown CPU model '%s' (see vtsim cpus)", cfg.cpu_model);
		} else if (!strncmp(argv[i], "--trace", 7) && (!argv[i][7] || argv[i][7] == '=')) {
			int bad = 0;
			cfg.trace_mask = parse_trace(argv[i][7] ? argv[i] + 8 : NULL, &bad);
			if (bad)
				return fail("vm: bad trace classes '%s'", argv[i] + 8);
		} else if (argv[i][0] == '-' || image) {
			return fail("vm: unexpected argument '%s'", argv[i]);
		} else {
			image = argv[i];
		}
	}
	if (!image)
		return fail("vm: no guest image given%s", "");
	size_t size;
	unsigned char *img = read_file(image, &size);
	if (!img) {
		fprintf(stderr, "vtsim: %s: %s\n", image, strerror(errno));
		return EXIT_USAGE;
	}
	struct vmm_report r;
	int rc = vmm_run_guest(tdx ? KVM_X86_TDX_VM : KVM_X86_DEFAULT_VM, &cfg, img, size, &msis, stdout, &r);
	free(img);
	fflush(stdout);
	if (rc)
		fprintf(stderr, "vtsim: vm: %s\n", r.error);
	bool unsent = report_unsent_msis(&msis, &r);
	if (rc && r.bad_image)
		return EXIT_USAGE;
	return rc || unsent ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (vtsim_qemu_invoked_as(argv[0]))
		return vtsim_qemu_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "bench"))
		return vtsim_bench_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "checks") && argc > 2 && !strcmp(argv[2], "--coverage"))
		return vtsim_checks_coverage_main(argc - 2, argv + 2);
	if (!strcmp(cmd, "checks")) {
		const char *cls, *sec, *sum, *id;
		for (unsigned i = 0; (id = vtsim_entry_check(i, &cls, &sec, &sum)); i++)
			printf("%s %s %s %s\n", id, cls, sec, sum);
		return 0;
	}
	if (!strcmp(cmd, "cpus")) {
		const char *desc;
		for (unsigned i = 0; vtsim_cpu_model_name(i, &desc); i++)
			printf("%-10s %s%s\n", vtsim_cpu_model_name(i, NULL), desc, i == 0 ? " (default)" : "");
		return 0;
	}
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "vm"))
		return cmd_vm(argc - 1, argv + 1);
	if (!strcmp(cmd, "explain"))
		return vtsim_explain_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "qemu"))
		return vtsim_qemu_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "fuzz-replay"))
		return vtsim_fuzz_replay_main(argc - 1, argv + 1);
	if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
		usage(stdout);
		return 0;
	}
	return fail("unknown command '%s' (see vtsim help)", cmd);
}
