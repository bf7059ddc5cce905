#!/usr/bin/env bash
# Lab 3's check: does VM entry accept the EPT pointer, and does the VMM's EPT-
# violation handler make the guest's write land in host-physical 0x600000?
. "$(dirname "$0")/../common/check-lib.sh"
lab_run
if [ "$status" = 1 ] && has_line "guest: wrote and read back 0x1234abcd" &&
   has_line "vmm: the guest halted; host-physical 0x600000 holds 0x1234abcd"; then
	pass "VM entry took your EPT pointer; the guest's first write to 0x400000 was an EPT violation your VMM answered by mapping it to host-physical 0x600000, and the value landed there."
fi
if why=$(explain_entry_failure); then
	not_yet "$why"
fi
if n=$(sed -n 's/^vmm: unhandled exit reason \([0-9]*\)$/\1/p' "$OUT/stdout.txt") && [ -n "$n" ]; then
	gpa=$(grep "^exit .* reason=$n " "$OUT/trace.txt" | tail -n1 | sed -n 's/.* gpa=\(0x[0-9a-f]*\).*/ at guest-physical \1/p')
	not_yet "your VMM has no handler for exit reason $n$gpa: $(explain_last_exit "$n")"
fi
if has_line "vmm: the guest halted; host-physical 0x600000 holds 0x00000000"; then
	not_yet "the guest's value did not land in host-physical 0x600000: map guest-physical 0x400000 there."
fi
not_yet "$(why_run_ended)"
