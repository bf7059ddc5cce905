#!/usr/bin/env bash
# kvmlike's scenarios (scenarios.h).
#   check.sh hosted  SCENARIOS              the hosted build: every scenario as it should be
#   check.sh hosted2 SCENARIOS              the same on two LPs, the vCPUs moving between them
#   check.sh compare SCENARIOS VTSIM IMAGE  and the instruction-level image under
#                                           `vtsim run --tdx`: the same trace, byte for byte
#   check.sh compare2 SCENARIOS VTSIM IMAGE both builds on two LPs (`vtsim run --cpus 2`
#                                           starts the image's AP): the same trace
# In a cross build $VTSIM_EMULATOR runs the programs.
set -u
mode=$1 scenarios=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
# The run's fault injection (docs/machine.md), in both builds alike: the first VM
# entry, td_fail_entry's, meets a machine check, and so do the guests of the first
# and second entries that complete, td_machine_check's and vm_machine_check's.
inject="--inject-entry-mce 1 --inject-guest-mce 1 --inject-guest-mce 2"

# What each build's trace must say, whatever else it says.
expect() {
    local out=$1
    local lines=(
        "kvmlike: TDX module 1.5.0 initialized: 1 TDMR, 4108 KiB of PAMT, global KeyID 16, 48 TDX KeyIDs"
        "VM types: 0x21"
        "seamcall leaf 0 status 0x6000000580000029"
        "td: KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x80000029"
        "seamcall leaf 0 status 0xe000060400000000"
        "td: KVM_EXIT_INTERNAL_ERROR: suberror 4, data 0xe000060400000000 0x0"
        "td_fail_entry: ok; pages owned after teardown: 0"
        "seamcall leaf 0 status 0x6000000500000000"
        "td: KVM_EXIT_INTERNAL_ERROR: suberror 4, data 0x6000000500000000 0x0"
        "host: 1 machine check handled"
        "td_machine_check: ok; pages owned after teardown: 0"
        "vm exit reason 0 qual 0x0"
        "[vm] going on"
        "vm: 15 exits: 0:1 12:1 30:9 48:4"
        "host: 1 machine check handled, exception exits 1"
        "vm_machine_check: ok; pages owned after teardown: 0"
        "[vm] Hello from a VMX guest of kvmlike, on the simulated CPU"
        "[vm] halting"
        "vm: KVM_EXIT_HLT after 246 exits to user space"
        "vm: 271 exits: 10:2 12:1 18:1 30:243 48:23 49:1"
        "vm exit reason 48 qual 0x182 x16"
        "vm exit reason 49 qual 0x0"
        "vm_lifecycle: ok; pages owned after teardown: 0"
        "[td] Hello from a TD (TDG.VP.VMCALL<Instruction.IO>)"
        "[td] TD done, halting"
        "td: 679 exits: 48:3 77:676"
        "td_lifecycle: ok; pages owned after teardown: 0"
        "vm exit reason 2 qual 0x0"
        "vm: KVM_EXIT_SHUTDOWN"
        "vm: KVM_EXIT_FAIL_ENTRY: hardware entry failure reason 0x80000021"
        "vm_exit_paths: ok; pages owned after teardown: 0"
        "[vm] CR0 after MOV CR0 clearing MP: 0x80050031"
        "[vm] CR0 after MOV CR0 setting MP: 0x80050033"
        "[vm] CR0 after LMSW clearing MP: 0x80050031"
        "vm exit reason 28 qual 0x310030"
        "[vm] CR4 after setting OSXSAVE: 0x00040620"
        "[vm] XSETBV XCR0=3, fault vector: 0x000000ff"
        "vm: KVM_EXIT_INTERNAL_ERROR: suberror 3, data 0x80000420 0x30 0x182 0xd00007f8 0x0"
        "[vm] device ID register: 4b564d31"
        "vm: KVM_EXIT_INTERNAL_ERROR: suberror 3, data 0x80000420 0x31 0x0 0xd00007f8 0x0"
        "vm_delivery_ev: ok; pages owned after teardown: 0"
        "[vm] XSETBV XCR0=2, fault vector: 0x0000000d"
        "vm exit reason 29 qual 0x310"
        "[vm] DR0 read back: 0x12345678"
        "[vm] DR7: 0x00000400"
        "[vm] RDMSR IA32_PAT, low half: 0x00070406"
        "[vm] RDMSR 0x1234, fault vector: 0x0000000d"
        "[vm] WRMSR IA32_MTRRCAP, fault vector: 0x0000000d"
        "[vm] RDPMC, fault vector: 0x0000000d"
        "[vm] INVD and WBINVD, fault vector: 0x000000ff"
        "[vm] UD2, fault vector: 0x00000006"
        "vm exit reason 0 qual 0x0"
        "[vm] VMREAD, fault vector: 0x00000006"
        "[vm] VMPTRST, fault vector: 0x00000006"
        "[vm] INVEPT, fault vector: 0x00000006"
        "[vm] VMXON, fault vector: 0x00000006"
        "vm: KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, 0x800): error -22"
        "vm: KVM_ENABLE_CAP(KVM_CAP_EXIT_HYPERCALL, 0x1000): error 0"
        "vm: KVM_EXIT_HYPERCALL nr 12 args 0x200000 4 0x10 flags 0x1"
        "[vm] hypercall MAP_GPA_RANGE answered: 0x00000000"
        "[vm] hypercall MAP_GPA_RANGE of 0x200010 answered: -0x00000016"
        "[vm] PAUSE loop of 20000 rounds, rounds left: 0x00000000"
        "vm exit reason 40 qual 0x0 x3"
        "vm: 877 exits: 0:1 12:1 13:1 15:1 18:2 22:1 23:1 27:1 28:5 29:3 30:843 31:2 32:2 40:3 48:6 50:1 54:1 55:2"
        "vm_exit_handlers: ok; pages owned after teardown: 0"
        "vm: a loop of 1050000 instructions, the host's APIC timer every 200000 ticks"
        "vm exit reason 1 qual 0x0 x5"
        "vm: 10 exits: 1:5 12:1 48:4"
        "host: 5 timer interrupts handled, ISR 255:224 0x0, irq_exits 5"
        "vm_host_timer: ok; pages owned after teardown: 0"
        "td: KVM_EXIT_TDX sub-function 0x10000"
        "[td] GetTdVmCallInfo(1): 0000000000000000"
        "[td]   R11: 0000000000000004"
        "td: KVM_EXIT_TDX sub-function 0x10004"
        "[td] SetupEventNotifyInterrupt(0xec): 8000000000000003"
        "[td] SetupEventNotifyInterrupt(5): 8000000000000000"
        "td: KVM_EXIT_MEMORY_FAULT flags 0x0 gpa 0x1f0000 size 0x1000"
        "[td] GetQuote, private buffer: 8000000000000000"
        "td: KVM_EXIT_TDX sub-function 0x10002"
        "td: GetQuote, 1024 bytes of TDREPORT at 0x1f0000: no quoting service"
        "[td] GetQuote: 0000000000000000"
        "[td]   buffer status: 8000000000000001"
        "[td]   out_len: 0000000000000000"
        "td: 344 exits: 48:2 77:342"
        "td_user_exits: ok; pages owned after teardown: 0"
        "vm_and_td: ok; pages owned after teardown: 0"
        "vm: KVM_TDX_CAPABILITIES on a VMX VM: error -25, hw_error 0x0000000000000000"
        "vm: KVM_TDX_INIT_VCPU on a VMX vCPU: error -22, hw_error 0x0000000000000000"
        "td: a command with hw_error set: error -22, hw_error 0x0000000000000001"
        "td: an unknown command (99): error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_CAPABILITIES with flags: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_CAPABILITIES with no room for the CPUID leaves: error -7, hw_error 0x0000000000000000"
        "td: KVM_TDX_FINALIZE_VM before INIT_VM: error -22, hw_error 0x0000000000000000"
        "td: KVM_CREATE_VCPU before INIT_VM: error -5"
        "td: KVM_TDX_INIT_VM with flags: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with too many CPUID entries: error -7, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with a reserved field set: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with an unsupported attribute: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with an unsupported XFAM bit: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with a CPUID leaf the module does not configure: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VM with a CPUID bit that is not configurable: error -22, hw_error 0xc000010000000045"
        "td: KVM_TDX_INIT_VM again: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION before INIT_VCPU: error -22, hw_error 0x0000000000000000"
        "td: KVM_RUN before KVM_TDX_INIT_VCPU: error -22"
        "td: KVM_TDX_INIT_VCPU with flags: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VCPU: error 0, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_VCPU again: error -22, hw_error 0x0000000000000000"
        "td: KVM_RUN before KVM_TDX_FINALIZE_VM: error -22"
        "td: KVM_TDX_INIT_MEM_REGION with unknown flags: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION of no pages: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION at a GPA not page-aligned: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION at a shared GPA: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION running into the shared GPAs: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION from kernel memory: error -14, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION of the first page: error 0, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION of the same page again: error -5, hw_error 0x0000000000000000"
        "td: KVM_TDX_FINALIZE_VM: error 0, hw_error 0x0000000000000000"
        "td: KVM_TDX_FINALIZE_VM again: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_INIT_MEM_REGION after FINALIZE_VM: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_GET_CPUID after FINALIZE_VM: error -22, hw_error 0x0000000000000000"
        "td: KVM_TDX_FINALIZE_VM of a TD without a vCPU: error -5, hw_error 0xc000060900000000"
        "tdx_cmd_error: ok; pages owned after teardown: 0"
        "vm: KVM_SIGNAL_MSI without an irqchip: error -22"
        "vm: KVM_CREATE_IRQCHIP: error -25"
        "vm: KVM_CAP_SPLIT_IRQCHIP with flags: error -22"
        "vm: KVM_CAP_SPLIT_IRQCHIP of 4097 routes: error -22"
        "vm: KVM_CAP_SPLIT_IRQCHIP of 4096 routes: error 0"
        "vm: KVM_CAP_SPLIT_IRQCHIP again: error -17"
        "vm: KVM_SIGNAL_MSI with a flag past KVM_MSI_VALID_DEVID: error -22"
        "vm: KVM_SIGNAL_MSI to APIC ID 5, no such vCPU: error 0"
        "vm: KVM_INTERRUPT: error 0"
        "vm: KVM_INTERRUPT while one waits: error -17"
        "vm: KVM_CAP_SPLIT_IRQCHIP after KVM_CREATE_VCPU: error -17"
        "td: KVM_CREATE_IRQCHIP: error -25"
        "td: KVM_CREATE_VCPU without an irqchip: error -22"
        "td: KVM_CAP_SPLIT_IRQCHIP: error 0"
        "td: KVM_CREATE_VCPU: error 0"
        "irqchip: ok; pages owned after teardown: 0"
        "[td] TD with 2 MiB private pages"
        "[td] TDG.MEM.PAGE.ACCEPT: 2 MiB at 0x200000 is ours, zeroed; 4 KiB of it: already accepted at 2 MiB"
        "[td] MapGPA: 4 KiB at 0x201000 is shared, the rest still private; 2 MiB ACCEPT: size mismatch"
        "[td] MapGPA: 0x201000 private again, accepted at 4 KiB"
        "[td] ACCEPT 2 MiB at 0x400000, then all of it shared"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x1ff000 1 0x0 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x201000 1 0x0 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x201000 1 0x10 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x400000 512 0x0 flags 0x1"
        "td: 336 exits: 48:5 77:331"
        "td: private pages mapped: 5, 2 of them at 2 MiB; 2 MiB pages split: 1"
        "td: the host reads GPA 0x500000: \"shared 2 MiB page\""
        "seamcall leaf 15 status 0x0000000000000000"
        "td_large_pages: ok; pages owned after teardown: 0"
        "[td] A TD converts 5 MiB + 4 KiB with MapGPA"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10000000 512 0x0 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10200000 512 0x0 flags 0x1"
        "td: EAGAIN"
        "[td] MapGPA: RETRY, going on from R11"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10400000 257 0x0 flags 0x1"
        "[td] MapGPA to shared: done"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10000000 512 0x10 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10200000 512 0x10 flags 0x1"
        "td: KVM_EXIT_HYPERCALL nr 12 args 0x10400000 257 0x10 flags 0x1"
        "[td] MapGPA to private: done"
        "[td] MapGPA, GPA not page-aligned: ALIGN_ERROR"
        "[td] MapGPA, size not page-aligned: ALIGN_ERROR"
        "[td] MapGPA across the shared bit: INVALID_OPERAND"
        "[td] MapGPA of nothing: INVALID_OPERAND"
        "[td] MapGPA beyond the GPA width: INVALID_OPERAND"
        "td: 348 exits: 77:348"
        "td: user space writes its memslot's page at a private GPA"
        "td: the host kernel writes the private page"
        "seamcall leaf 0 status 0xe000060400000000"
        "td: KVM_EXIT_INTERNAL_ERROR: suberror 4, data 0xe000060400000000 0x0"
        "seamcall leaf 7 status 0xe000060400000000 x9"
        "td exit status 0x4000000100000002 qual 0x0"
        "td: KVM_EXIT_SHUTDOWN"
        "[td] A TD that reports a fatal error"
        "td exit status 0x000000000000004d qual 0xfc00"
        "td: KVM_EXIT_SYSTEM_EVENT: type 7, ndata 16"
        'td: ReportFatalError: RAX 0x4d RCX 0xfc00 R10 0x0 R11 0x10003 R12 0xa5f00d R13 0x0 message "TD gives up now"'
        "td_exits_beyond: ok; pages owned after teardown: 0"
        "[td] A TD that takes interrupts posted"
        "td: KVM_SIGNAL_MSI of vector 0x40 to APIC ID 0: 1"
        "td: KVM_SIGNAL_MSI of vector 0x60 to APIC ID 0: 1"
        "td: KVM_SIGNAL_MSI of vector 0x50 to APIC ID 0: 1"
        "[td] vectors taken in this order: 60 50 40"
        "[td] each in service in its handler, EOI through MSR 80BH, none left in service"
        "td_posted_interrupt: ok; pages owned after teardown: 0"
        "vm: KVM_SIGNAL_MSI of vector 0x40 to APIC ID 0: 1"
        "vm: KVM_SIGNAL_MSI of vector 0x60 to APIC ID 0: 1"
        "vm: KVM_SIGNAL_MSI of vector 0x50 to APIC ID 0: 1"
        "[vm] vectors taken in this order: 60 50 40"
        "vm_msi_priority: ok; pages owned after teardown: 0"
        "vm_and_td_2lp: skipped, 1 LP online"
        "[vm1] XMM0 ok"
        "[vm1] ST0 ok"
        "[vm1] IA32_STAR ok"
        "[vm1] XCR0 ok"
        "[vm2] XMM0 ok"
        "[vm2] ST0 ok"
        "[vm2] IA32_STAR ok"
        "[vm2] XCR0 ok"
        "vm_register_files: ok; pages owned after teardown: 0"
        "[vm] task A: TR 0020 NT 0000 link 0000 busy(0018)=0000 busy(0020)=0001 CR0.TS 0001"
        "vm exit reason 9 qual 0x80000020"
        "[vm] main: back from task A, busy(0020)=0000"
        "vm exit reason 9 qual 0x28"
        "[vm] task B: TR 0028 NT 0001 link 0018 busy(0018)=0001 busy(0028)=0001"
        "vm exit reason 9 qual 0x40000018"
        "[vm] main: after task B's IRET, NT 0000 busy(0028)=0000 busy(0018)=0001"
        "[vm] main: INT 30H, a task gate for task B"
        "vm exit reason 9 qual 0xc0000028"
        "[vm] main: after INT 30H, NT 0000 busy(0028)=0000"
        "[vm] main: MOV DS, 0FF0H"
        "vm exit reason 9 qual 0xc0000060"
        "[vm] task gate: vector 000d error 0ff0 link 0018 saved EIP 001000cd"
        "vm exit reason 9 qual 0xc0000050"
        "[vm] task gate: vector 000a error 0038 link 0018 saved EIP 001000e3"
        "vm exit reason 9 qual 0xc0000058"
        "[vm] task gate: vector 000b error 0040 link 0018 saved EIP 001000fe"
        "vm exit reason 9 qual 0x80000048"
        "[vm] task gate: vector 000a error 0010 link 0048 saved EIP 001001d0"
        "vm exit reason 9 qual 0x40000048"
        "[vm] task C, its CS mended: TR 0048 link 0000"
        "[vm] main: back from task C, TR 0018"
        "vm exit reason 9 qual 0x70"
        "[vm] task D: EAX 00001234 TR 0070 NT 0001 link 0018 busy(0070)=0001"
        "[vm] main: back from task D, EAX 12345678 NT 0000 busy(0070)=0000"
        "[vm] main: done"
        "vm: 1133 exits: 9:18 12:1 30:1104 48:10"
        "vm_task_switch: ok; pages owned after teardown: 0"
        "[vm] CPL 0: ADD [D0000000H], EAX"
        "vm: KVM_EXIT_INTERNAL_ERROR: suberror 1, data 0x1 0x9090909090030102 0x9090909090909090 0x30 0x181 0x0 0x0 0x0"
        "vm: emulation failure: flags 0x1, 2 instruction bytes: 01 03 90 90 90 90 90 90 90 90 90 90 90 90 90"
        "[vm] #UD at EIP 00100ffe CS 00000008"
        "[vm] CPL 3: ADD [D0000000H], EAX"
        "[vm] #UD at EIP 00101035 CS 0000001b"
        "[vm] done"
        "vm: 133 exits: 12:1 30:125 48:6 49:1"
        "vm_emulation_failure: ok; pages owned after teardown: 0"
        "vm exit reason 0 qual 0x4000"
        "[vm] DR6 in the #DB handler of a single step: 00000000ffff4ff0"
        "[vm] #AC at CPL 3: error code, offset: 0000000000000000 0000000000000007"
        "vm: 137 exits: 0:2 12:1 29:2 30:126 48:6"
        "vm_debug: ok; pages owned after teardown: 0"
        "  vcpu_pre_run 3017 3231"
        "  vcpu_run 3198 3254"
        "  get_exit_info 1 0"
        "  load_mmu_pgd 36 11"
        "  flush_tlb_all 15 1"
        "  flush_tlb_current 0 11"
        "  link_external_spt 0 89"
        "  set_external_spte 0 89"
        "  deliver_interrupt 3 3"
        "  split_external_spt 0 1"
        "  remove_external_spte 0 599"
        "  free_external_spt 0 44"
        "scenarios: all ok"
    )
    for l in "${lines[@]}"; do
        grep -qxF -- "$l" "$out" || fail "$out lacks the line: $l"
    done
    # The TD's MRTD as its TDREPORT carries it, the same in the three scenarios that run it.
    [ "$(grep '^\[td\] TDG.MR.REPORT: MRTD [0-9a-f]\{96\}$' "$out" | sort | uniq -c | awk '{print $1}')" = 3 ] ||
        fail "$out: the TD's MRTD is not reported three times, the same"
}

# What a run on two LPs must say (the hosted build with --cpus 2, or the image with
# `vtsim run --cpus 2`).
expect_2lp() {
    local out=$1
    # TDH.SYS.LP.INIT and VMXON on both LPs.
    grep -qxF "seamcall leaf 35 status 0x0000000000000000 x2" "$out" || fail "TDH.SYS.LP.INIT is not run on both LPs"
    grep -qxF "  enable_virtualization_cpu 2 0" "$out" || fail "VMXON is not run on both LPs"
    # The migrating scenario: each guest starts on its LP, moves to the other, halts.
    sed -n '/^scenario vm_and_td_2lp$/,/^vm_and_td_2lp: /p' "$out" >"$tmp/2lp"
    want=("vm: runs on LP 0" "td: runs on LP 1" "vm: runs on LP 1" "td: runs on LP 0")
    got=$(grep -E '^(vm|td): runs on LP' "$tmp/2lp")
    [ "$got" = "$(printf '%s\n' "${want[@]}")" ] || fail "the guests did not move between the LPs: $got"
    # Three flushes: from LP 0 at its first run on LP 1 (TDH.VP.INIT associated it with
    # LP 0), from LP 1 when it moves back, and at teardown.
    [ "$(grep -c '^seamcall leaf 18 status 0x0000000000000000$' "$tmp/2lp")" = 3 ] ||
        fail "the TD's vCPU is not flushed from each LP it leaves"
    for l in "[vm] halting" "[td] TD done, halting" "vm: 271 exits: 10:2 12:1 18:1 30:243 48:23 49:1" \
             "td: 679 exits: 48:3 77:676" "vm_and_td_2lp: ok; pages owned after teardown: 0" \
             "scenarios: all ok"; do
        grep -qxF -- "$l" "$tmp/2lp" "$out" >/dev/null || fail "the 2-LP run lacks the line: $l"
    done
    grep -qxF "vm_and_td_2lp: ok; pages owned after teardown: 0" "$tmp/2lp" || fail "vm_and_td_2lp did not end ok"
}

# Both builds explain the same failures on stderr (the triple fault and the entry
# failure of vm_exit_paths, the SEAMCALL errors of tdx_cmd_error), the hosted one "from the
# hosted VMM" where the image's names the RIP; the image's run ends with its halt.
expect_diag() {
    local err=$1
    for l in "vtsim: lp0: the guest shut down, a VM exit with reason 2 (TRIPLE_FAULT) to its VMM: #UD (vector 6, RIP=0x100000) -> " \
             "vtsim: VMLAUNCH: VM-entry failed: GUEST_CS_TYPE: " \
             "vtsim: SEAMCALL TDH.MNG.INIT(21) from the hosted VMM on lp0 returned TDX_OPERAND_INVALID (0xc000010000000045), operand TD_PARAMS.CPUID_CONFIG (operand id 69): " \
             "vtsim: SEAMCALL TDH.MEM.PAGE.ADD(2) from the hosted VMM on lp0 returned TDX_EPT_ENTRY_STATE_INCORRECT (0xc0000b0d00000001), operand RCX (operand id 1): " \
             "vtsim: SEAMCALL TDH.MR.FINALIZE(17) from the hosted VMM on lp0 returned TDX_NO_VCPUS (0xc000060900000000): "; do
        grep -qF -- "$l" "$err" || fail "$err lacks the explanation: $l"
    done
}
compare_diag() {
    grep -v '^vtsim: halted at RIP=' "$tmp/native.err" |
        sed -E 's/ at RIP=0x[0-9a-f]+ on lp/ from the hosted VMM on lp/' >"$tmp/native.diag"
    if ! cmp -s "$tmp/hosted.err" "$tmp/native.diag"; then
        diff -u "$tmp/hosted.err" "$tmp/native.diag" | head -20
        fail "the instruction-level build explains other failures than the hosted one"
    fi
}

if [ "$mode" = hosted2 ] || [ "$mode" = compare2 ]; then
    ${VTSIM_EMULATOR:-} "$scenarios" --cpus 2 $inject >"$tmp/hosted" 2>"$tmp/hosted.err"
    rc=$?
    [ $rc = 0 ] || { cat "$tmp/hosted" "$tmp/hosted.err"; fail "hosted scenarios on 2 LPs: exit status $rc"; }
    expect_2lp "$tmp/hosted"
    if [ "$mode" = hosted2 ]; then
        echo "PASS: hosted scenarios on 2 LPs ($(wc -l <"$tmp/hosted") trace lines)"
        exit 0
    fi
    vtsim=$3 image=$4
    ${VTSIM_EMULATOR:-} "$vtsim" run --tdx --cpus 2 $inject --max-insns 2000000000 "$image" >"$tmp/native" 2>"$tmp/native.err"
    rc=$?
    [ $rc = 0 ] || { tail -20 "$tmp/native"; cat "$tmp/native.err"; fail "vtsim run --tdx --cpus 2 $image: exit status $rc"; }
    grep -q "^vtsim: halted at RIP=.* 2 of 2 processors halted" "$tmp/native.err" ||
        fail "the image on 2 LPs did not end with both halted: $(tail -1 "$tmp/native.err")"
    expect_2lp "$tmp/native"
    if ! cmp -s "$tmp/hosted" "$tmp/native"; then
        diff -u "$tmp/hosted" "$tmp/native" | head -40
        fail "the instruction-level trace on 2 LPs differs from the hosted one"
    fi
    compare_diag
    echo "PASS: hosted and instruction-level traces on 2 LPs identical ($(wc -l <"$tmp/native") lines)"
    exit 0
fi

${VTSIM_EMULATOR:-} "$scenarios" $inject >"$tmp/hosted" 2>"$tmp/hosted.err"
rc=$?
[ $rc = 0 ] || { cat "$tmp/hosted" "$tmp/hosted.err"; fail "hosted scenarios: exit status $rc"; }
expect "$tmp/hosted"
expect_diag "$tmp/hosted.err"
if [ "$mode" = hosted ]; then
    echo "PASS: hosted scenarios ($(wc -l <"$tmp/hosted") trace lines)"
    exit 0
fi

vtsim=$3 image=$4
# A fault injection's count is a positive number, or the run does not start.
for bad in 0 -1 x 4294967296; do
    for opt in --inject-entry-mce --inject-guest-mce; do
        ${VTSIM_EMULATOR:-} "$vtsim" run --tdx $opt $bad "$image" >/dev/null 2>"$tmp/bad.err"
        rc=$?
        [ $rc = 2 ] && grep -qxF -- "vtsim: $opt: '$bad' is not a positive number" "$tmp/bad.err" ||
            fail "$opt $bad: exit status $rc, $(cat "$tmp/bad.err")"
    done
done
for bad in "2 --inject-guest-mce 2" "1 --inject-guest-mce 2 --inject-guest-mce 3 --inject-guest-mce 4 --inject-guest-mce 5"; do
    ${VTSIM_EMULATOR:-} "$vtsim" run --tdx --inject-guest-mce $bad "$image" >/dev/null 2>"$tmp/bad.err"
    rc=$?
    [ $rc = 2 ] && grep -qF -- "at most 4, each count above the one before" "$tmp/bad.err" ||
        fail "--inject-guest-mce $bad: exit status $rc, $(cat "$tmp/bad.err")"
done
${VTSIM_EMULATOR:-} "$vtsim" run --tdx $inject --max-insns 2000000000 "$image" >"$tmp/native" 2>"$tmp/native.err"
rc=$?
[ $rc = 0 ] || { tail -20 "$tmp/native"; cat "$tmp/native.err"; fail "vtsim run --tdx $image: exit status $rc"; }
grep -q "^vtsim: halted at RIP=" "$tmp/native.err" || fail "the image did not end by its HLT"
expect "$tmp/native"
if ! cmp -s "$tmp/hosted" "$tmp/native"; then
    diff -u "$tmp/hosted" "$tmp/native" | head -40
    fail "the instruction-level trace differs from the hosted one"
fi
compare_diag
echo "PASS: hosted and instruction-level traces identical ($(wc -l <"$tmp/native") lines)"
