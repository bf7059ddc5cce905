/* vtsim-qemu: a QEMU-compatible front end, so that a harness written for
 * qemu-system-x86_64 (kvm-unit-tests' x86/run and run_tests.sh) runs its images on vtsim
 * unchanged.
 *
 * It is reached as `vtsim qemu ARGS...`, or as the program itself when vtsim is started
 * under the name `vtsim-qemu` or `qemu-system-x86_64` (the build makes a symlink
 * build/vtsim-qemu; a harness's QEMU variable names one path, not a command line).
 *
 * Every QEMU option it knows is one row of a table (qemu_front.c): its name, whether it
 * takes a value, and what vtsim does with it: map it to a run setting (-kernel, -append,
 * -initrd, -smp, -m, -cpu), accept it because vtsim already behaves so (-nodefaults,
 * -serial stdio, -display none, -no-reboot, -device isa-debug-exit,iobase=0xf4, ...), or
 * refuse it with a message saying why and exit status 1, as QEMU does for an option it
 * cannot honour. `vtsim-qemu -vtsim-options` prints the table.
 *
 * Probes answered on stdout with status 0, as QEMU answers them: -help/-h/--help (first
 * line "QEMU emulator version ..."), -version, -device help|?, -cpu help|?,
 * -machine help|?, -accel help|?.
 *
 * Exit status, as QEMU's for the same outcome:
 *   (v << 1) | 1  the image wrote v to the debug-exit port 0xF4 (isa-debug-exit)
 *   0             the guest shut down by a triple fault (QEMU with -no-reboot), or the run
 *                 stopped at a HLT nothing can wake (QEMU would idle until killed; vtsim
 *                 ends the run and says so on stderr)
 *   1             a refused or malformed option, a kernel that cannot be loaded
 *                 ("could not load kernel 'PATH': reason", the text harnesses look for)
 *   70            a vtsim limitation (explained on stderr)
 */
#ifndef VTSIM_TOOLS_QEMU_FRONT_H
#define VTSIM_TOOLS_QEMU_FRONT_H

#include <stdbool.h>

/* Whether argv[0] names the front end (its basename is vtsim-qemu or starts with
 * qemu-system-x86_64). */
bool vtsim_qemu_invoked_as(const char *argv0);

/* argv[0] is the program name (used in messages only); returns the exit status. */
int vtsim_qemu_main(int argc, char **argv);

#endif
