#!/usr/bin/env bash
# vtsim-qemu, the QEMU-compatible front end: the probes a harness makes, every row of
# its option table (mapped, accepted, refused: exact message and status), and our own
# multiboot images run with QEMU-style command lines, with QEMU's exit statuses.
# An accepted option is shown by the run going on to the kernel, which here does not
# exist: the "could not load kernel" line and status 1, as QEMU says it.
# Usage: qemu_front.sh VTSIM SOURCE_IMAGES_DIR BUILT_IMAGES_DIR
set -u
vtsim=$1 src=$2 dir=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
q() { ${VTSIM_EMULATOR:-} "$vtsim" qemu "$@" </dev/null; }
nokernel="vtsim-qemu: could not load kernel '/nonexistent': No such file or directory"

# expect STATUS STDERR ARGS...: the exact status and the exact, whole stderr.
expect() {
	local want_st=$1 want_err=$2 st
	shift 2
	q "$@" >"$tmp/out" 2>"$tmp/err"; st=$?
	[ "$st" = "$want_st" ] || { echo "FAIL: $*: status $st, expected $want_st"; fail=1; }
	[ "$(cat "$tmp/err")" = "$want_err" ] ||
		{ echo "FAIL: $*: stderr:"; cat "$tmp/err"; echo "expected: $want_err"; fail=1; }
}
# accepted ARGS...: parsed, then the (missing) kernel is what stops the run.
accepted() { expect 1 "$nokernel" "$@" -kernel /nonexistent; }
refused() { local msg=$1; shift; expect 1 "vtsim-qemu: $msg" "$@" -kernel /nonexistent; }
stdout_has() { grep -qxF -- "$1" "$tmp/out" || { echo "FAIL: no line '$1' in:"; cat "$tmp/out"; fail=1; }; }

# --- the probes kvm-unit-tests' scripts make ---------------------------------------
for h in --help -help -h; do
	expect 0 "" $h
	[ "$(head -n1 "$tmp/out")" = "QEMU emulator version 7.2.0 (vtsim's QEMU-compatible front end, not QEMU)" ] ||
		{ echo "FAIL: $h: first line $(head -n1 "$tmp/out")"; fail=1; }
done
expect 0 "" -version
stdout_has "QEMU emulator version 7.2.0 (vtsim's QEMU-compatible front end, not QEMU)"
for d in '?' help; do
	expect 0 "" -device "$d"
	grep -qF 'name "pc-testdev", bus ISA' "$tmp/out" || { echo "FAIL: -device $d: no pc-testdev"; fail=1; }
	grep -qF 'name "isa-debug-exit", bus ISA' "$tmp/out" || { echo "FAIL: -device $d: no isa-debug-exit"; fail=1; }
	! grep -qF '"pci-testdev"' "$tmp/out" || { echo "FAIL: -device $d lists pci-testdev"; fail=1; }
done
expect 0 "" -accel help
[ "$(cat "$tmp/out")" = $'Accelerators supported in QEMU binary:\ntcg' ] || { echo "FAIL: -accel help"; fail=1; }
expect 0 "" -machine help
grep -q '^pc .*(default)$' "$tmp/out" || { echo "FAIL: -machine help"; fail=1; }
expect 0 "" -cpu help
stdout_has "x86 max              (vtsim model xeon)"
stdout_has "x86 IvyBridge        (vtsim model minimal)"
expect 0 "" -vtsim-options
[ "$(wc -l <"$tmp/out")" = 31 ] || { echo "FAIL: -vtsim-options: $(wc -l <"$tmp/out") rows, expected 31"; fail=1; }
# kvm-unit-tests' qemu_probe_maxsmp takes the last word of the 'SMP CPUs' line.
expect 1 "vtsim-qemu: Invalid SMP CPUs 65. The max CPUs supported by machine 'pc' is 64" -smp 65

# --- accepted (mapped or already so on vtsim) -------------------------------------
accepted --no-reboot -no-reboot -nodefaults -display none -serial stdio -name kut
accepted -global kvm-pit.lost_tick_policy=discard
accepted -device pc-testdev -device isa-debug-exit,iobase=0xf4,iosize=0x4 -device isa-debug-exit,iobase=244
accepted -machine accel=tcg -machine pc,accel=tcg,pit=off -M type=pc -accel tcg
accepted -smp 2 -smp cpus=4,sockets=1,cores=4,threads=1,maxcpus=4 -smp 64
accepted -m 2560 -m 4g -m size=64M -m 8
accepted -append "a b c" -append "" -initrd /nonexistent-too
accepted -cpu max,+vmx -cpu max,host-phys-bits,+vmx,-vmx-mbec -cpu max,+vmx,-pku -cpu host,migratable=no
accepted -cpu max,vendor=GenuineIntel,vmx=on,pcid=off,+vmx-ept,+vmx-vpid,+vmx-unrestricted-guest
accepted -cpu IvyBridge,phys-bits=36,host-phys-bits=off,+vmx -cpu xeon -cpu minimal
expect 1 "vtsim-qemu: warning: -cpu Skylake-Server runs as vtsim's model xeon
$nokernel" -cpu Skylake-Server,host-phys-bits,+vmx -kernel /nonexistent
expect 1 "vtsim-qemu: warning: -cpu qemu64 runs as vtsim's model xeon
$nokernel" -cpu qemu64 -kernel /nonexistent

# --- refused: each with its reason, before the kernel is opened ---------------------
refused "-machine accel=kvm: not supported: vtsim is a software CPU, like TCG; it needs no KVM or HVF (accepted: tcg)" -machine accel=kvm
refused "-accel accel=hvf: not supported: vtsim is a software CPU, like TCG; it needs no KVM or HVF (accepted: tcg)" -accel hvf
refused "-machine type=q35: not supported: vtsim's PC: RAM, COM1, the debug-exit port, fw_cfg, a local APIC per CPU, the PIC mask ports, an empty PCI bus (docs/machine.md) (accepted: pc)" -machine q35
refused "-machine pit=on: not supported: vtsim has no PIT (8254) (accepted: off)" -machine pit=on
refused "-machine: property 'vmport' is not supported by vtsim" -machine vmport=on
refused "-global: property 'kvm-pit.foo' is not supported by vtsim" -global kvm-pit.foo=1
refused "-device pci-testdev: not supported: vtsim has no such device (vtsim-qemu -device help lists the ones it has)" -device pci-testdev
refused "-device hyperv-testdev: not supported: vtsim has no such device (vtsim-qemu -device help lists the ones it has)" -device hyperv-testdev
refused "-device isa-debug-exit: needs iobase=0xf4: the debug-exit port 0xf4: OUT v ends the run with status (v << 1) | 1; needs iobase=0xf4 (QEMU's default base, 0x501, is not vtsim's)" -device isa-debug-exit,iosize=4
refused "-device isa-debug-exit iobase=0x501: not supported: vtsim's debug-exit port is 0xf4 (accepted: 0xf4)" -device isa-debug-exit,iobase=0x501
refused "-device isa-debug-exit iosize=3: not supported: port 0xf4 takes 1-, 2- and 4-byte writes (accepted: 1)" -device isa-debug-exit,iobase=0xf4,iosize=3
refused "-device: this device takes no property ('x=1' given)" -device pc-testdev,x=1
refused "-serial file:/tmp/x: not supported: vtsim's COM1 (0x3f8) writes to stdout (-serial stdio)" -serial file:/tmp/x
refused "-display gtk: not supported: vtsim has no display" -display gtk
refused "-smp 0: not a number of CPUs" -smp 0
refused "-smp sockets=2: not supported: vtsim's CPUs are the cores of one package, one thread each, none hot-plugged" -smp 2,sockets=2
refused "-m 3: vtsim's RAM is a multiple of 2M from 8M to 4G" -m 3
refused "-m 5G: vtsim's RAM is a multiple of 2M from 8M to 4G" -m 5G
refused "-m lots: not a size" -m lots
refused "-m maxmem=8G: only the RAM size is supported (no hot-plug slots or maxmem)" -m 1G,maxmem=8G
refused "-cpu: cannot add 'vmx-mbec': vtsim's model xeon does not have it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu max,+vmx-mbec
refused "-cpu: cannot add 'pcid': vtsim's model xeon does not have it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu max,+pcid
refused "-cpu: cannot remove 'x2apic': vtsim's model xeon has it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu max,-x2apic
refused "-cpu: cannot remove 'vmx': vtsim's model xeon has it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu max,-vmx
refused "-cpu: cannot add 'svm': vtsim's model minimal does not have it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu IvyBridge,svm=on
refused "-cpu: cannot add 'npt': vtsim's model xeon does not have it (its CPUID and VMX capabilities are fixed; vtsim cpus lists the models)" -cpu max,+npt
refused "-cpu: feature 'avx512f' is not known to vtsim-qemu" -cpu max,+avx512f
refused "-cpu phys-bits=36: vtsim's model xeon has MAXPHYADDR 52" -cpu max,phys-bits=36
refused "-cpu vendor=AuthenticAMD: vtsim models Intel CPUs only" -cpu max,vendor=AuthenticAMD
refused "-cpu Opteron_G1: no such CPU model in vtsim (vtsim-qemu -cpu help)" -cpu Opteron_G1
refused "-cpu hv_passthrough=yes: not supported by vtsim" -cpu host,hv_passthrough=yes
refused "-enable-kvm: not supported: vtsim is a software CPU; it does not use KVM" -enable-kvm
refused "-chardev: not supported: vtsim has no character-device back ends; COM1 is stdout" -chardev file,id=testlog,path=msr.out
refused "-mon: not supported: vtsim has no QEMU monitor (QMP)" -mon chardev=mon,mode=control
refused "-monitor: not supported: vtsim has no QEMU monitor" -monitor none
refused "-S: not supported: starting stopped needs the monitor; use vtsim run --gdb to wait" -S
refused "-incoming: not supported: vtsim does not migrate (see vtsim run --record/--replay)" -incoming unix:/tmp/s
refused "-overcommit: not supported: vtsim has no host CPU power management to pass through" -overcommit cpu-pm=on
refused "-gdb: not supported: use vtsim run --gdb 127.0.0.1:PORT" -gdb tcp::1234
refused "-s: not supported: use vtsim run --gdb 127.0.0.1:PORT" -s
refused "-bios: not supported: vtsim has no firmware: it loads -kernel directly" -bios x.bin
refused "-drive: not supported: vtsim has no disks" -drive file=x
refused "-netdev: not supported: vtsim has no network" -netdev user,id=n
refused "-usb: invalid option" -usb
refused "disk.img: disk images are not supported; give the image with -kernel" disk.img
expect 1 "vtsim-qemu: -append: requires an argument" -append
expect 1 "vtsim-qemu: -cpu: the value is empty" -cpu "" -kernel /nonexistent
expect 1 "vtsim-qemu: no -kernel given: vtsim runs an image given with -kernel (it has no firmware or disks)" -nodefaults
expect 1 "vtsim-qemu: could not load initrd '/nonexistent': No such file or directory" -kernel "$dir/debug_exit_zero.img" -initrd /nonexistent
expect 1 "vtsim-qemu: error loading kernel '$dir/bad_magic.img': not an ELF64 x86-64 executable or multiboot image (bad magic; no multiboot header in the first 8 KiB)" -kernel "$dir/bad_magic.img"

# --- our images, with the command line kvm-unit-tests' x86/run builds ---------------
kut=(--no-reboot -nodefaults -global kvm-pit.lost_tick_policy=discard -device pc-testdev
     -device isa-debug-exit,iobase=0xf4,iosize=0x4 -display none -serial stdio -machine accel=tcg)
# image_ok STATUS IMAGE SOURCE ARGS...: the status, and stdout exactly the ";! stdout:" lines.
image_ok() {
	local want_st=$1 img=$2 asm=$3 st
	shift 3
	q "${kut[@]}" -kernel "$dir/$img" "$@" >"$tmp/out" 2>"$tmp/err"; st=$?
	[ "$st" = "$want_st" ] || { echo "FAIL: $img $*: status $st, expected $want_st"; cat "$tmp/err"; fail=1; }
	[ "$(cat "$tmp/out")" = "$(sed -n 's/^;! stdout: \?//p' "$src/$asm")" ] ||
		{ echo "FAIL: $img $*: stdout:"; cat "$tmp/out"; fail=1; }
}
# -smp 2 and -m 64 reach the image through fw_cfg (CPU count, RAM size).
image_ok 1 fw_cfg.img fw_cfg.asm -smp 2 -m 64 -cpu max,+vmx
[ ! -s "$tmp/err" ] || { echo "FAIL: fw_cfg: stderr not empty (a harness reads it as a failure)"; fail=1; }
# -append after the kernel's path in the command line, -m in mem_upper.
image_ok 1 multiboot_elf32.img multiboot_elf32.asm -m 32 -append test.arg=42
# -initrd as one multiboot module with the file's bytes.
image_ok 1 multiboot_module.img multiboot_module.asm -m 32 -initrd "$src/mb_module.inc"
# Several processors started by INIT-SIPI-SIPI.
image_ok 1 smp_start.img smp_start.asm -smp 4
# The debug-exit status (v << 1) | 1 unchanged: v = 18 here.
image_ok 37 debug_exit_dx16.img debug_exit_dx16.asm
# A triple fault is QEMU's -no-reboot shutdown: status 0, and the reason on stderr.
image_ok 0 triple_fault.img triple_fault.asm
grep -qx "vtsim-qemu: the guest shut down (triple fault): status 0, as QEMU with -no-reboot" "$tmp/err" ||
	{ echo "FAIL: triple fault: stderr:"; cat "$tmp/err"; fail=1; }
image_ok 0 hlt_if0.img hlt_if0.asm
grep -qx "vtsim-qemu: the run stopped at a HLT that nothing can wake; QEMU would wait until killed, vtsim ends the run with status 0" "$tmp/err" ||
	{ echo "FAIL: halt: stderr:"; cat "$tmp/err"; fail=1; }
# Started under the name vtsim-qemu (the build's symlink), as a harness's QEMU.
link=$(dirname "$vtsim")/vtsim-qemu
${VTSIM_EMULATOR:-} "$link" "${kut[@]}" -kernel "$dir/debug_exit_dx16.img" </dev/null >/dev/null 2>&1; st=$?
[ "$st" = 37 ] || { echo "FAIL: $link: status $st, expected 37"; fail=1; }

[ $fail = 0 ] && echo "ok: vtsim-qemu"
exit $fail
