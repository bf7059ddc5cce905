#!/usr/bin/env bash
# The gdb stub (vtsim run --gdb) driven by Debian's gdb: connect, registers, memory
# (mapped and not), a breakpoint in root mode, continue, step, a breakpoint in the
# guest (VMX non-root), stepping into and out of the guest, `monitor vmexitbp` and
# `monitor entryfailbp` stops with their messages, the end of the run; write and read
# watchpoints; two processors as two threads; a TD's exits; Ctrl-C at gdb; then Ctrl-C
# (0x03) from a raw client, and the loopback-only rule. Everything runs under
# `timeout`, so a hang fails instead of blocking the suite.
# Usage: gdb.sh VTSIM IMAGES_DIR
set -u
vtsim=$1 dir=$2
gdb=$(command -v gdb-multiarch || command -v gdb) || { echo "FAIL: no gdb (scripts/install-deps.sh installs it)"; exit 1; }
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT
fail=0

# Starts vtsim with a stub on a free port; sets $pid and $port.
start() {
	: >"$tmp/err"
	timeout 60 ${VTSIM_EMULATOR:-} "$vtsim" run --gdb 127.0.0.1:0 "$@" >"$tmp/out" 2>>"$tmp/err" </dev/null &
	pid=$!
	port=
	for _ in $(seq 200); do
		port=$(sed -n 's/^vtsim: waiting for gdb on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/err")
		[ -n "$port" ] && return 0
		sleep 0.05
	done
	echo "FAIL: vtsim did not say where it waits for gdb"; cat "$tmp/err"; exit 1
}
# Runs gdb in batch mode with one -ex per line of stdin.
run_gdb() {
	local args=(-nx -batch -ex "set pagination off" -ex "target remote 127.0.0.1:$port")
	while IFS= read -r l; do args+=(-ex "$l"); done
	timeout 60 "$gdb" "${args[@]}" >"$tmp/gdb" 2>&1
}
expect() { # PATTERN (grep -E on gdb's output, in order of appearance not checked)
	grep -qE -- "$1" "$tmp/gdb" || { echo "FAIL: gdb output lacks /$1/"; fail=1; }
}
# Lines of the output that match PATTERN must come in this order.
in_order() {
	local prev=0 n
	for p in "$@"; do
		n=$(grep -nE -- "$p" "$tmp/gdb" | awk -F: -v a=$prev '$1 > a {print $1; exit}')
		[ -n "$n" ] || { echo "FAIL: /$p/ not found after line $prev"; fail=1; return; }
		prev=$n
	done
}

# ---- root mode, the guest, VM exits and a failed entry (tests/images/gdb_target.asm)
start "$dir/gdb_target.img"
run_gdb <<'G'
p/x $rip
info registers eflags cs cr0 cr4 efer
break *0x102000
continue
p/x $rip
x/gx 0x103000
continue
x/2gx 0x103000
stepi
p/x $rip
x/2gx 0x103000
set $rax = 0x5a5a
p/x $rax
set {long}0x103010 = 0x42
x/gx 0x103010
x/gx 0xffff800000000000
delete
break *0x102100
continue
p/x $rip
x/i $pc
monitor status
stepi
p/x $rip
stepi
p/x $rip
monitor status
monitor vmexitbp on
continue
p/x $rip
monitor vmexitbp off
monitor entryfailbp on
continue
p/x $rip
monitor entryfailbp off
monitor bogus
continue
G
wait $pid; status=$?; pid=
expect '^\$1 = 0x10[0-9a-f]{4}$'                       # the entry point
expect '^cr0 +0x80010033 '
expect '^cr4 +0x620 '
expect '^efer +0xd01 '
expect '^cs +0x8 '
in_order '^Breakpoint 1, 0x0000000000102000' '^\$2 = 0x102000$' '^0x103000:\s+0x0000000000000000$' \
	'^Breakpoint 1, 0x0000000000102000' '^0x103000:\s+0x0000000000000001\s+0x1122334455667788$' \
	'^\$3 = 0x102008$' '^0x103000:\s+0x0000000000000002\s+0x1122334455667788$' '^\$4 = 0x5a5a$' \
	'^0x103010:\s+0x0000000000000042$' \
	'Cannot access memory at address 0xffff800000000000' \
	'^Breakpoint 2, 0x0000000000102100' '^\$5 = 0x102100$' \
	'^=> 0x102100:\s+mov\s+\$0x0,%eax$' \
	'^lp0: VMX non-root operation \(the guest\); current VMCS 0x[0-9a-f]+;' \
	'^\$6 = 0x102105$' \
	'^vtsim: VM exit: reason 10 CPUID, qualification 0x0, guest RIP 0x102105$' \
	'^lp0: VMX root operation;' \
	'^vmexitbp on: every VM exit stops' \
	'^vtsim: VM exit: reason 18 VMCALL, qualification 0x0, guest RIP 0x102107$' \
	'^Program received signal SIGTRAP' \
	'^vtsim: VMRESUME: VM-entry failed: CTL_PIN_RESERVED: .*PIN_BASED_VM_EXEC_CONTROL=0x0.* -> VMfailValid\(7\)$' \
	'^\$9 = 0x102203$' \
	"^unknown monitor command 'bogus' \(monitor help\)$" \
	'^vtsim: debug exit: value 0x0, exit status 1$' \
	'^\[Inferior 1 \(Remote target\) exited with code 01\]$'
# The step out of the guest at its CPUID ends in the VMM at HOST_RIP, where
# vmexitbp stops at the next exit (VMCALL) too: the same RIP both times.
h1=$(sed -n 's/^\$7 = \(0x[0-9a-f]*\)$/\1/p' "$tmp/gdb")
h2=$(sed -n 's/^\$8 = \(0x[0-9a-f]*\)$/\1/p' "$tmp/gdb")
[ -n "$h1" ] && [ "$h1" = "$h2" ] || { echo "FAIL: HOST_RIP after the step ($h1) and at vmexitbp ($h2)"; fail=1; }
[ $status = 1 ] || { echo "FAIL: vtsim exit status $status under gdb, expected 1"; fail=1; }
grep -qx 'ok entry-fail-error' "$tmp/out" || { echo "FAIL: the image's own checks under gdb"; fail=1; }
if [ $fail != 0 ]; then echo "--- gdb"; cat "$tmp/gdb"; echo "--- vtsim stderr"; cat "$tmp/err"; fi

# ---- watchpoints (Z2, Z3): the stop comes after the instruction that wrote or read
# the watched bytes, at the next one, as with a data breakpoint; gdb sees the values
start "$dir/gdb_target.img"
run_gdb <<'G'
watch *(long *)0x103000
continue
p/x $rip
continue
p/x $rip
delete
rwatch *(long *)0x103000
continue
p/x $rip
delete
continue
G
wait $pid; status=$?; pid=
in_order '^Hardware watchpoint 1: \*\(long \*\)0x103000$' '^Old value = 0$' '^New value = 1$' \
	'^\$1 = 0x102008$' '^Old value = 1$' '^New value = 2$' '^\$2 = 0x102008$' \
	'^Hardware read watchpoint 2: \*\(long \*\)0x103000$'
# Read watchpoints stop only where Unicorn calls its read hooks: on x86-64 hosts. In
# the arm64 build (under $VTSIM_EMULATOR) the read hooks are not called, so the
# read watchpoint never stops (open, docs/design.md).
if [ -z "${VTSIM_EMULATOR:-}" ]; then
	in_order '^Hardware read watchpoint 2: \*\(long \*\)0x103000$' '^Value = 3$' '^\$3 = 0x102008$'
else
	echo "note: read watchpoints are not checked in this build (no read hooks on this host)"
fi
in_order '^\[Inferior 1 \(Remote target\) exited with code 01\]$'
[ $status = 1 ] || { echo "FAIL: vtsim exit status $status after the watchpoints, expected 1"; fail=1; }
if [ $fail != 0 ]; then echo "--- gdb"; cat "$tmp/gdb"; echo "--- vtsim stderr"; cat "$tmp/err"; fi

# ---- two processors as gdb's threads (tests/images/gdb_smp.asm): a breakpoint on the
# AP's code stops the machine in thread 2; thread 1 (the BSP) is seen in its wait
# loop; a step is the AP's
start --cpus 2 "$dir/gdb_smp.img"
run_gdb <<'G'
break *0x101000
continue
info threads
p/x $rip
thread 1
p/x $rip
thread 2
stepi
p/x $rip
delete
continue
G
wait $pid; status=$?; pid=
in_order '^Thread 2 hit Breakpoint 1, 0x0000000000101000' \
	'^  1 +Thread 1 \(lp0, outside VMX operation\) 0x00000000001011' \
	'^\* 2 +Thread 2 \(lp1, outside VMX operation\) 0x0000000000101000' \
	'^\$1 = 0x101000$' '^\[Switching to thread 1 \(Thread 1\)\]' '^\$2 = 0x1011[01][0-9a-f]$' \
	'^\[Switching to thread 2 \(Thread 2\)\]' '^\$3 = 0x101004$' \
	'^\[Inferior 1 \(Remote target\) exited with code 01\]$'
[ $status = 1 ] || { echo "FAIL: vtsim exit status $status with two processors, expected 1"; fail=1; }
if [ $fail != 0 ]; then echo "--- gdb"; cat "$tmp/gdb"; echo "--- vtsim stderr"; cat "$tmp/err"; fi

# ---- a TD's exits (tests/images/td_lifecycle.asm): vmexitbp names each as a TD exit
# and stops the VMM after its SEAMCALL, where TDH.VP.ENTER returned
start --tdx --mem 128M "$dir/td_lifecycle.img"
run_gdb <<'G'
monitor vmexitbp on
continue
p/x $rip
x/3i $rip - 4
monitor vmexitbp off
continue
G
wait $pid; status=$?; pid=
in_order '^vtsim: TD exit: reason 77 TDCALL, qualification 0x0, TD RIP 0x[0-9a-f]+; to the TDX module, which returns to the VMM after its SEAMCALL$' \
	'^Program received signal SIGTRAP' '^\$1 = 0x1[0-9a-f]{5}$' ':\s+seamcall\s*$' \
	'^\[Inferior 1 \(Remote target\) exited with code 01\]$'
[ $status = 1 ] || { echo "FAIL: vtsim exit status $status with the TD, expected 1"; fail=1; }
if [ $fail != 0 ]; then echo "--- gdb"; cat "$tmp/gdb"; echo "--- vtsim stderr"; cat "$tmp/err"; fi

# ---- Ctrl-C at gdb (SIGINT to the gdb process, batch mode): gdb interrupts the
# running machine, which stops with SIGINT where it is; gdb reads RIP and kills it
start --max-insns 100000000000 "$dir/timeout.img"
# (--foreground: timeout passes the SIGINT on to gdb alone; without it, it sends it
# to its process group too, gdb gets two and gives up on the target)
timeout --foreground 60 "$gdb" -nx -batch -ex "set pagination off" -ex "target remote 127.0.0.1:$port" \
	-ex continue -ex 'p/x $rip' -ex kill >"$tmp/gdb" 2>&1 &
gdb_pid=$!
for _ in $(seq 400); do grep -q ' in ?? ()$' "$tmp/gdb" && break; sleep 0.05; done
sleep 1                                 # gdb has sent the continue
kill -INT $gdb_pid
wait $gdb_pid
wait $pid; status=$?; pid=
in_order '^Program received signal SIGINT, Interrupt\.$' '^\$1 = 0x10[0-9a-f]{4}$' \
	'^\[Inferior 1 \(Remote target\) killed\]$'
[ $status = 4 ] || { echo "FAIL: vtsim status $status after gdb's Ctrl-C and kill, expected 4"; fail=1; }
if [ $fail != 0 ]; then echo "--- gdb"; cat "$tmp/gdb"; echo "--- vtsim stderr"; cat "$tmp/err"; fi

# ---- Ctrl-C: the interrupt byte stops a running machine (SIGINT), k ends the run
start --max-insns 100000000000 "$dir/timeout.img"
exec 3<>"/dev/tcp/127.0.0.1/$port"
send() {
	local d=$1 sum=0 i c
	for ((i = 0; i < ${#d}; i++)); do printf -v c '%d' "'${d:i:1}"; sum=$(((sum + c) & 255)); done
	printf '$%s#%02x' "$d" "$sum" >&3
}
reply() { # the next packet's data
	local r
	IFS= read -r -t 10 -d '#' -u 3 r || { echo "FAIL: no reply from the stub"; fail=1; return; }
	read -r -t 5 -n 2 -u 3 _
	printf '+' >&3
	echo "${r#*\$}"
}
send '?'; r=$(reply)
[ "$r" = 'T05thread:1;' ] || { echo "FAIL: first stop reply '$r'"; fail=1; }
send 'c'; sleep 0.5; printf '\003' >&3
r=$(reply)
[ "$r" = 'T02thread:1;' ] || { echo "FAIL: after Ctrl-C the stop reply is '$r', not SIGINT"; fail=1; }
send 'k'
wait $pid; status=$?; pid=
exec 3>&-
[ $status = 4 ] || { echo "FAIL: vtsim status $status after k, expected 4"; fail=1; }
grep -q '^vtsim: the debugger ended the run at RIP=0x' "$tmp/err" || { echo "FAIL: no end message after k"; fail=1; }

# ---- loopback only, and a clear refusal of a bad address
for a in 0.0.0.0:1234 192.168.1.1:1234 example.com:1; do
	out=$(timeout 10 ${VTSIM_EMULATOR:-} "$vtsim" run --gdb "$a" "$dir/gdb_target.img" 2>&1); st=$?
	[ $st = 2 ] || { echo "FAIL: --gdb $a: status $st, expected 2"; fail=1; }
	grep -q "is not a loopback address" <<<"$out" || { echo "FAIL: --gdb $a: $out"; fail=1; }
done
out=$(timeout 10 ${VTSIM_EMULATOR:-} "$vtsim" run --gdb 127.0.0.1 "$dir/gdb_target.img" 2>&1); st=$?
[ $st = 2 ] && grep -q "is not HOST:PORT" <<<"$out" || { echo "FAIL: --gdb without a port: $st $out"; fail=1; }
[ $fail = 0 ] && echo "ok: gdb stub"
exit $fail
