#!/usr/bin/env bash
# `vtsim demo` and `vtsim vm`: what the main job and the kvmlike front end print
# and return. Usage: demo_vm.sh VTSIM GUESTS_DIR
set -u
vtsim=$1 guests=$2
run() { ${VTSIM_EMULATOR:-} "$vtsim" "$@"; }
fail=0
expect() { # NAME STATUS WANT-STATUS OUTPUT PATTERN...
	local name=$1 st=$2 want=$3 out=$4
	shift 4
	if [ "$st" != "$want" ]; then echo "FAIL $name: status $st, want $want"; fail=1; fi
	for pat in "$@"; do
		grep -qE -- "$pat" <<<"$out" || { echo "FAIL $name: no line matching '$pat'"; fail=1; }
	done
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

out=$(run demo 2>&1); st=$?
expect demo "$st" 0 "$out" \
	'^\[vm\] Hello from a VMX guest of kvmlike' \
	'^\[vm\] hypervisor signature \(CPUID 0x40000000\): KVMKVMKVM$' \
	'^\[vm\] device id register: 0x4b564d31$' \
	'^\[vm\] sum over 16 fresh pages: 0x02001000$' \
	'^\[vm\] hypercall 12 answered -0x000003e8$' \
	'^\[td\] Hello from a TD \(TDG\.VP\.VMCALL<Instruction\.IO>\)$' \
	'^\[td\] CPUID 0x21 \(from the TDX module\): IntelTDX    $' \
	'^\[td\] CPUID 0x40000000 \(#VE, answered by the VMM\): KVMKVMKVM$' \
	'^\[td\] TDG\.MEM\.PAGE\.ACCEPT: the page at 1 MiB is ours$' \
	'^\[td\] TD done, halting$' \
	'^device: the VM wrote 0x1234 to the command register$' \
	'^  EPT_VIOLATION +[0-9]+$' \
	'^  TDCALL +[0-9]+$' \
	'^  vcpu_run +[0-9]+ +[1-9][0-9]*$' \
	'^  mem_enc_ioctl +0 +3$' \
	'^  TDH\.SYS\.CONFIG +1 +0  0x0000000000000000 TDX_SUCCESS$' \
	'^  TDH\.SYS\.TDMR\.INIT +1 +0 ' \
	'^  TDH\.MR\.EXTEND +128 +0 ' \
	'^  TDH\.MNG\.KEY\.FREEID +1 +0 ' \
	'^  TDH\.PHYMEM\.PAGE\.RECLAIM +18 +0 ' \
	'^TD private memory seen from the host \(KeyID 0\) while the TD lived: 0 of 32768 bytes nonzero' \
	'^\[td\] TDVMCALL<MapGPA>: the page at 0x1ff000 is shared' \
	'^\[td\] MMIO through a #VE \(TDVMCALL<#VE.RequestMMIO>\): the device id reads 0x4b564d31$' \
	'^TD shared memory seen from the host: the page at GPA 0x1ff000 holds "written by the TD in shared memory"$' \
	'^demo: the VM and the TD ran to their HLTs$'
# The MRTD the TD reads from its TDREPORT is the one the VMM expects.
guest_mrtd=$(sed -n 's/^\[td\] TDG\.MR\.REPORT: MRTD \([0-9a-f]*\)$/\1/p' <<<"$out")
vmm_mrtd=$(grep -A1 '^TD measurement' <<<"$out" | tail -1 | tr -d ' ')
if [ -z "$guest_mrtd" ] || [ "$guest_mrtd" != "$vmm_mrtd" ]; then
	echo "FAIL demo: the TD's MRTD '$guest_mrtd' is not the expected '$vmm_mrtd'"; fail=1
fi

# `vtsim demo --trace`: the same show on stdout, and the trace on stderr: both
# guests' entries and exits (the TD's TDCALL by name), and the SEAMCALLs.
run demo >"$tmp/plain" 2>/dev/null
out=$(run demo --trace 2>"$tmp/trace" >"$tmp/traced"); st=$?
expect demo-trace "$st" 0 "$(cat "$tmp/trace")" \
	'^entry lp0 VMLAUNCH vmcs=0x[0-9a-f]+ rip=0x100000$' \
	'^exit lp0 vmcs=0x[0-9a-f]+ reason=10 CPUID qual=0x0 len=2 rip=0x[0-9a-f]+ insn=cpuid$' \
	'^entry lp0 VMLAUNCH vmcs=0x[0-9a-f]+ rip=0xfffffff0$' \
	'^exit lp0 vmcs=0x[0-9a-f]+ reason=77 TDCALL qual=0x0 len=4 rip=0x[0-9a-f]+ insn=tdcall$' \
	'^seamcall lp0 TDH\.VP\.ENTER\(0\) -> 0x000000000000004d TDX_SUCCESS$' \
	'^seamcall lp0 TDH\.MR\.FINALIZE\(17\) -> 0x0000000000000000 TDX_SUCCESS$'
cmp -s "$tmp/plain" "$tmp/traced" || { echo "FAIL demo-trace: stdout differs from the plain demo's"; fail=1; }

out=$(run vm "$guests/vm_hello.img" 2>"$tmp/err"); st=$?
expect vm-hello "$st" 0 "$out" '^halting$'
# A VMX-only host (no --tdx: kvm_intel.tdx off) issues no SEAMCALL, so nothing is
# explained: a clean run says nothing on stderr.
[ -s "$tmp/err" ] && { echo "FAIL vm-hello: stderr is not empty:"; cat "$tmp/err"; fail=1; }

# kvmlike needs EPT and VPID (secondary controls): on the minimal model (no secondary
# controls) it refuses to load and says why; the default model is xeon; an unknown
# model is refused before any machine exists.
out=$(run vm --cpu minimal "$guests/vm_hello.img" 2>&1); st=$?
expect vm-minimal "$st" 1 "$out" \
	'^kvmlike: this CPU lacks what kvmlike needs \(VMX with EPT, VPID, INVEPT\)$' \
	'^vtsim: vm: kvmlike failed to load: error -5$'
out=$(run vm --cpu xeon "$guests/vm_hello.img" 2>&1); st=$?
expect vm-xeon "$st" 0 "$out" '^halting$'
out=$(run vm --cpu nosuch "$guests/vm_hello.img" 2>&1); st=$?
expect vm-bad-cpu "$st" 2 "$out" "^vtsim: vm: unknown CPU model 'nosuch' \(see vtsim cpus\)$"

# The same guest as an ELF64 executable (one PT_LOAD at 1 MiB, entry 1 MiB + 0):
# loaded by its program header, it runs alike. ELFs it cannot take are refused.
elf() { # FLAT OUT PADDR ENTRY-OFFSET [MACHINE]
	python3 - "$@" <<'PY'
import struct, sys
flat = open(sys.argv[1], 'rb').read()
paddr, off = int(sys.argv[3], 0), int(sys.argv[4], 0)
machine = int(sys.argv[5], 0) if len(sys.argv) > 5 else 62
eh = struct.pack('<4sBBBB8xHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 2, machine, 1, paddr + off,
                 64, 0, 0, 64, 56, 1, 64, 0, 0)
ph = struct.pack('<IIQQQQQQ', 1, 7, 0x1000, paddr, paddr, len(flat), len(flat) + 0x1000, 0x1000)
open(sys.argv[2], 'wb').write(eh + ph + b'\0' * (0x1000 - len(eh) - len(ph)) + flat)
PY
}
elf "$guests/vm_hello.img" "$tmp/vm_hello.elf" 0x100000 0
out=$(run vm "$tmp/vm_hello.elf" 2>&1); st=$?
expect vm-hello-elf "$st" 0 "$out" '^Hello from a VMX guest of kvmlike' '^halting$'
elf "$guests/vm_hello.img" "$tmp/low.elf" 0x8000 0
out=$(run vm "$tmp/low.elf" 2>&1); st=$?
expect vm-elf-low "$st" 2 "$out" '^vtsim: vm: the ELF guest loads at 0x8000, below 1 MiB, where the VMM keeps'
elf "$guests/vm_hello.img" "$tmp/arm.elf" 0x100000 0 183
out=$(run vm "$tmp/arm.elf" 2>&1); st=$?
expect vm-elf-machine "$st" 2 "$out" '^vtsim: vm: the ELF guest: '
head -c 100 "$tmp/vm_hello.elf" >"$tmp/short.elf"
out=$(run vm "$tmp/short.elf" 2>&1); st=$?
expect vm-elf-truncated "$st" 2 "$out" '^vtsim: vm: the ELF guest: '

printf '\x0f\x0b' >"$tmp/ud2.bin"     # #UD with no IDT: shutdown
out=$(run vm "$tmp/ud2.bin" 2>&1); st=$?
expect vm-shutdown "$st" 1 "$out" 'KVM_EXIT_SHUTDOWN' \
	'^vtsim: lp0: the guest shut down, a VM exit with reason 2 \(TRIPLE_FAULT\) to its VMM: #UD \(vector 6, RIP=0x100000\) -> .*Why: '

# ADD [D0000000H], EBX: an MMIO access kvmlike cannot emulate at CPL 0. The exit in
# Linux's layout, named: the 15 bytes fetched, then reason 48 (EPT violation), the
# qualification (a read through a linear address), no event being delivered.
printf '\xb8\x00\x00\x00\xd0\x01\x18\xf4' >"$tmp/emul_fail.bin"
out=$(run vm "$tmp/emul_fail.bin" 2>&1); st=$?
expect vm-emulation-failure "$st" 1 "$out" \
	'^vtsim: vm: KVM_EXIT_INTERNAL_ERROR: suberror 1 \(emulation failed\), instruction 01 18 f4 00 00 00 00 00 00 00 00 00 00 00 00; exit information 0x30 0x181 0x0 0x0 0x0$'

# #DB and #AC exit to kvmlike, which gives them back as Linux does: a single step's
# DR6 as the guest's #DB handler reads it (MOV DR exits) has BS set, and the #AC of a
# misaligned load at CPL 3 arrives with error code 0 at the load (offset 7).
out=$(run vm --trace=exits "$guests/vm_debug.img" 2>&1); st=$?
expect vm-debug "$st" 0 "$out" \
	'^DR6 in the #DB handler of a single step: 00000000ffff4ff0$' \
	'^#AC at CPL 3: error code, offset: 0000000000000000 0000000000000007$' \
	'reason=0 EXCEPTION_NMI qual=0x4000 .* vector=1 name=#DB type=hw-exception' \
	'reason=0 EXCEPTION_NMI .* vector=17 name=#AC type=hw-exception err=0x0'

out=$(run vm --tdx "$guests/td_hello.img" 2>&1); st=$?
expect vm-tdx "$st" 0 "$out" '^Hello from a TD' '^TD done, halting$'

# The same run as one JSON object (`vtsim demo --json`).
out=$(run demo --json 2>&1); st=$?
expect demo-json "$st" 0 "$out"
python3 - "$out" <<'PY' || { echo "FAIL demo-json: the object is not what the demo shows"; fail=1; }
import json, sys
d = json.loads(sys.argv[1])
assert d["ok"] is True and d["vm"]["ok"] and d["td"]["ok"]
assert d["vm"]["console"][0].startswith("Hello from a VMX guest of kvmlike"), d["vm"]["console"][:1]
assert "TD done, halting" in d["td"]["console"]
assert d["td"]["mrtd_expected"] == d["td"]["mrtd_reported"] and len(d["td"]["mrtd_expected"]) == 96
assert d["td"]["private_bytes_host_sees_nonzero"] == 0 and d["td"]["private_bytes"] > 0
assert d["vm"]["exits"]["CPUID"] >= 1 and d["td"]["exits"]["TDCALL"] >= 1
assert d["vt_ops"]["vcpu_run"]["vmx"] > 0 and d["vt_ops"]["vcpu_run"]["tdx"] > 0
assert d["seamcalls"]["TDH.VP.ENTER"]["calls"] > 0
assert d["seamcalls"]["TDH.SYS.INIT"]["last_status_name"] == "TDX_SUCCESS"
PY

# An attestation agent's GetQuote: vtsim's quoting service checks the TDREPORT
# and answers with a signed quote (8-byte magic, the report, a 64-byte Ed25519
# signature: 0x448 bytes); what it does not serve stays SUBFUNC_UNSUPPORTED.
out=$(run vm --tdx "$guests/td_quote.img" 2>&1); st=$?
expect vm-td-quote "$st" 0 "$out" \
	'^GetTdVmCallInfo\(1\): 0000000000000000$' \
	'^  R11: 0000000000000004$' \
	'^SetupEventNotifyInterrupt\(0xec\): 8000000000000003$' \
	'^SetupEventNotifyInterrupt\(5\): 8000000000000000$' \
	'^GetQuote, private buffer: 8000000000000000$' \
	'^GetQuote: 0000000000000000$' \
	'^  buffer status: 0000000000000000$' \
	'^  out_len: 0000000000000448$' \
	'^  quote: VTSIMQ01$' \
	'^TD done$'
# Every TD guest the scenarios run goes under `vtsim vm --tdx` too: MapGPA in
# 2 MiB pieces to user space, which converts each (KVM_SET_MEMORY_ATTRIBUTES,
# punching what turns shared) and never says RETRY; 2 MiB private pages, split
# and removed whole, in the 6 MiB the VMM gives a TD at 0.
out=$(run vm --tdx "$guests/td_map_gpa.img" 2>&1); st=$?
expect vm-td-map-gpa "$st" 0 "$out" '^MapGPA to shared: done$' '^MapGPA to private: done$' \
	'^MapGPA beyond the GPA width: INVALID_OPERAND$' '^TD done$'
grep -q 'RETRY' <<<"$out" && { echo "FAIL vm-td-map-gpa: RETRY from a VMM that never asks for one"; fail=1; }
out=$(run vm --tdx "$guests/td_large.img" 2>&1); st=$?
expect vm-td-large "$st" 0 "$out" '^TDG\.MEM\.PAGE\.ACCEPT: 2 MiB at 0x200000 is ours' \
	'^MapGPA: 4 KiB at 0x201000 is shared, the rest still private; 2 MiB ACCEPT: size mismatch$' \
	'^MapGPA: 0x201000 private again, accepted at 4 KiB$' \
	'^ACCEPT 2 MiB at 0x400000, then all of it shared$' '^TD done, halting$'
# TDVMCALL<ReportFatalError>: KVM_EXIT_SYSTEM_EVENT (TDX_FATAL), R12 the error code.
out=$(run vm --tdx "$guests/td_fatal.img" 2>&1); st=$?
expect vm-td-fatal "$st" 1 "$out" '^A TD that reports a fatal error$' \
	'^vtsim: vm: KVM_EXIT_SYSTEM_EVENT: the TD reported a fatal error \(TDVMCALL<ReportFatalError>\), error code 0xa5f00d$'
# Not TD firmware: no reset vector. The vCPU faults on pages nobody accepted, and
# the module's #VE, #DF, triple fault rule ends it (TDX_NON_RECOVERABLE_VCPU).
out=$(run vm --tdx "$guests/vm_hello.img" 2>&1); st=$?
expect vm-tdx-not-firmware "$st" 1 "$out" \
	'^vtsim: SEAMCALL TDH\.VP\.ENTER on lp0 returned TDX_NON_RECOVERABLE_VCPU \(0x4000000100000002\)' \
	'^vtsim: vm: KVM_EXIT_SHUTDOWN: the guest triple-faulted$'

# A TD guest as an ELF64: td_hello's first 24 KiB (page tables, code, data) at
# 0xFFFF8000, 4 KiB of BSS for its stack, entered at start32 (0xFFFFD000, after the
# five pages of tables). The VMM adds a page at 0xFFFFF000 whose reset vector jumps
# there; it is measured, so the MRTD the TD reports is not the flat image's, and
# it is the same run to run. The whole image as an ELF entered at 0xFFFFFFF0 needs
# no such page: the flat image's MRTD.
td_elf() { # OUT [FIELD=VALUE]...: fields of one PT_LOAD of td_hello.img and the header
	python3 - "$guests/td_hello.img" "$@" <<'PY'
import struct, sys
flat = open(sys.argv[1], 'rb').read()
f = dict(cls=2, paddr=0xffff8000, filesz=0x6000, memsz=0x7000, entry=0xffffd000, offset=0x1000,
         phnum=1, truncate=0)
for a in sys.argv[3:]:
    k, v = a.split('=')
    f[k] = int(v, 0)
if f['cls'] == 2:
    eh = struct.pack('<4sBBBB8xHHIQQQIHHHHHH', b'\x7fELF', 2, 1, 1, 0, 2, 62, 1, f['entry'],
                     64, 0, 0, 64, 56, f['phnum'], 64, 0, 0)
    ph = struct.pack('<IIQQQQQQ', 1, 7, f['offset'], f['paddr'], f['paddr'], f['filesz'], f['memsz'], 0x1000)
else:
    eh = struct.pack('<4sBBBB8xHHIIIIIHHHHHH', b'\x7fELF', 1, 1, 1, 0, 2, 3, 1, f['entry'],
                     52, 0, 0, 52, 32, f['phnum'], 40, 0, 0)
    ph = struct.pack('<IIIIIIII', 1, f['offset'], f['paddr'], f['paddr'], f['filesz'], f['memsz'], 7, 0x1000)
out = eh + ph + b'\0' * (0x1000 - len(eh) - len(ph)) + flat[:min(f['filesz'], len(flat))]
open(sys.argv[2], 'wb').write(out[:f['truncate']] if f['truncate'] else out)
PY
}
mrtd() { sed -n 's/^TDG\.MR\.REPORT: MRTD \([0-9a-f]*\)$/\1/p' <<<"$1"; }
flat_mrtd=$(mrtd "$(run vm --tdx "$guests/td_hello.img" 2>&1)")
td_elf "$tmp/td.elf"
out=$(run vm --tdx "$tmp/td.elf" 2>&1); st=$?
expect vm-tdx-elf "$st" 0 "$out" '^Hello from a TD' '^TDG\.MEM\.PAGE\.ACCEPT: the page at 1 MiB is ours$' \
	'^TD done, halting$'
elf_mrtd=$(mrtd "$out")
again=$(mrtd "$(run vm --tdx "$tmp/td.elf" 2>&1)")
if [ -z "$flat_mrtd" ] || [ -z "$elf_mrtd" ] || [ "$elf_mrtd" = "$flat_mrtd" ] || [ "$again" != "$elf_mrtd" ]; then
	echo "FAIL vm-tdx-elf: MRTD flat '$flat_mrtd', ELF '$elf_mrtd', again '$again'"; fail=1
fi
# The same as an ELF32 i386 executable (32-bit firmware): the same pages, the same MRTD.
td_elf "$tmp/td32.elf" cls=1
out=$(run vm --tdx "$tmp/td32.elf" 2>&1); st=$?
expect vm-tdx-elf32 "$st" 0 "$out" '^TD done, halting$'
[ "$(mrtd "$out")" = "$elf_mrtd" ] || { echo "FAIL vm-tdx-elf32: MRTD is not the ELF64's"; fail=1; }
td_elf "$tmp/td_rv.elf" filesz=0x8000 memsz=0x8000 entry=0xfffffff0
out=$(run vm --tdx "$tmp/td_rv.elf" 2>&1); st=$?
expect vm-tdx-elf-reset-vector "$st" 0 "$out" '^TD done, halting$'
[ "$(mrtd "$out")" = "$flat_mrtd" ] || { echo "FAIL vm-tdx-elf-reset-vector: MRTD is not the flat image's"; fail=1; }
# ELFs a TD cannot take: status 2 and why, never a crash.
td_bad() { # NAME PATTERN FIELD=VALUE...
	local name=$1 pat=$2
	shift 2
	td_elf "$tmp/bad.elf" "$@"
	out=$(run vm --tdx "$tmp/bad.elf" 2>&1); st=$?
	expect "vm-tdx-elf-$name" "$st" 2 "$out" "^vtsim: vm: the TD's ELF image.*$pat"
}
td_bad entry-above-4g 'entry point 0x100000000 is not inside any loaded segment' entry=0x100000000
td_bad reset-page 'a segment ends at 0x100000000, inside the reset-vector page at 0xfffff000' \
	filesz=0x8000 memsz=0x8000
td_bad below-window 'segment 0 \[0x100000, 0x107000\) starts below 0xfff00000' paddr=0x100000 entry=0x100000
td_bad above-4g 'segment 0 \[0xffffc000, 0x100003000\) does not fit below' paddr=0xffffc000 entry=0xffffc000
td_bad truncated-header 'truncated ELF: file size 0x32 is smaller than the ELF64 header' truncate=50
td_bad truncated-phdr 'truncated ELF: program header 0 lies outside the file' truncate=100
td_bad filesz 'segment 0: p_filesz 0x6000 is larger than p_memsz 0x1000' memsz=0x1000
td_bad offset 'segment 0 file bytes lie outside the file' offset=0x100000
td_bad too-many-segments 'program header 510 lies outside the file' phnum=1000
td_bad extended-numbering 'extended program header numbering' phnum=0xffff

out=$(run vm "$tmp/missing.bin" 2>&1); st=$?
expect vm-missing "$st" 2 "$out" 'missing.bin'

out=$(run vm --max-insns 1000 "$guests/vm_hello.img" 2>&1); st=$?
expect vm-limit "$st" 1 "$out" 'instruction limit'

# MSIs from the command line (--msi VECTOR[@EXITS]). guests/vm_msi rings a doorbell
# (an OUT: its first exit to user space) and prints the vectors it took: three
# MSIs after that exit go in highest first; one before the first run is taken once
# the guest enables interrupts; with none it takes none.
out=$(run vm --msi 0x40@1 --msi 0x60@1 --msi 80@1 "$guests/vm_msi.img" 2>&1); st=$?
expect vm-msi "$st" 0 "$out" '^vectors taken in this order: 60 50 40$'
out=$(run vm --msi 0x40 "$guests/vm_msi.img" 2>&1); st=$?
expect vm-msi-at-0 "$st" 0 "$out" '^vectors taken in this order: 40$'
out=$(run vm "$guests/vm_msi.img" 2>&1); st=$?
expect vm-msi-none "$st" 0 "$out" '^vectors taken in this order:$'
# A TD's are posted and its virtual APIC delivers them by priority, each EOIed
# through MSR 80BH: at its doorbell (exit 35, after 34 of greeting), or before its
# first entry, taken when it enables interrupts; without them it reports a fatal error.
for at in @35 ""; do
	out=$(run vm --tdx --msi 0x50$at --msi 0x40$at --msi 0x60$at "$guests/td_posted.img" 2>&1); st=$?
	expect "vm-td-msi$at" "$st" 0 "$out" '^vectors taken in this order: 60 50 40$' \
		'^each in service in its handler, EOI through MSR 80BH, none left in service$'
done
out=$(run vm --tdx "$guests/td_posted.img" 2>&1); st=$?
expect vm-td-no-msi "$st" 1 "$out" '^not every posted interrupt arrived$'
# Bad values: status 2 and why. An MSI whose exit never came: named, status 1.
for bad in 15 256 -1 x 0x40@ 0x40@x 0x40@-1 0x40@1000000; do
	out=$(run vm --msi "$bad" "$guests/vm_msi.img" 2>&1); st=$?
	expect "vm-msi-bad $bad" "$st" 2 "$out" "^vtsim: vm: bad --msi '$bad': want VECTOR\[@EXITS\]"
done
out=$(run vm $(printf -- '--msi 0x40 %.0s' $(seq 17)) "$guests/vm_msi.img" 2>&1); st=$?
expect vm-msi-too-many "$st" 2 "$out" "^vtsim: vm: more than 16 --msi \('0x40'\)$"
out=$(run vm --msi 0x40@5000 "$guests/vm_msi.img" 2>&1); st=$?
expect vm-msi-unsent "$st" 1 "$out" '^vectors taken in this order:$' \
	'^vtsim: vm: --msi 0x40@5000 not sent: the run ended after 31 exits to user space$'

[ $fail = 0 ] && echo "ok demo and vm"
exit $fail
