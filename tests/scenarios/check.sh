#!/usr/bin/env bash
# kvmlike's scenarios (scenarios.h).
#   check.sh hosted  SCENARIOS              the hosted build: every scenario as it should be
#   check.sh compare SCENARIOS VTSIM IMAGE  and the instruction-level image under
#                                           `vtsim run --tdx`: the same trace, byte for byte
# In a cross build $VTSIM_EMULATOR runs the programs.
set -u
mode=$1 scenarios=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# What each build's trace must say, whatever else it says.
expect() {
    local out=$1
    local lines=(
        "kvmlike: TDX module 1.5.0 initialized: 1 TDMR, 4108 KiB of PAMT, global KeyID 16, 48 TDX KeyIDs"
        "VM types: 0x21"
        "[vm] Hello from a VMX guest of kvmlike, on the simulated CPU"
        "[vm] halting"
        "vm: KVM_EXIT_HLT after 246 exits to user space"
        "vm: 271 exits: 10:2 12:1 18:1 30:243 48:24"
        "vm exit reason 48 qual 0x182 x16"
        "vm_lifecycle: ok; pages owned after teardown: 0"
        "[td] Hello from a TD (TDG.VP.VMCALL<Instruction.IO>)"
        "[td] TD done, halting"
        "td: 679 exits: 48:3 77:676"
        "td_lifecycle: ok; pages owned after teardown: 0"
        "vm_and_td: ok; pages owned after teardown: 0"
        "td: KVM_TDX_INIT_MEM_REGION of the same page again: error -5, hw_error 0xc0000b0d00000001"
        "tdx_cmd_error: ok; pages owned after teardown: 0"
        "  vcpu_run 542 1358"
        "scenarios: all ok"
    )
    for l in "${lines[@]}"; do
        grep -qxF -- "$l" "$out" || fail "$out lacks the line: $l"
    done
    # The TD's MRTD as its TDREPORT carries it, the same in both scenarios that run it.
    [ "$(grep -c '^\[td\] TDG.MR.REPORT: MRTD [0-9a-f]\{96\}$' "$out")" = 2 ] ||
        fail "$out: the TD's MRTD is not reported twice"
}

${VTSIM_EMULATOR:-} "$scenarios" >"$tmp/hosted" 2>"$tmp/hosted.err"
rc=$?
[ $rc = 0 ] || { cat "$tmp/hosted" "$tmp/hosted.err"; fail "hosted scenarios: exit status $rc"; }
expect "$tmp/hosted"
if [ "$mode" = hosted ]; then
    echo "PASS: hosted scenarios ($(wc -l <"$tmp/hosted") trace lines)"
    exit 0
fi

vtsim=$3 image=$4
${VTSIM_EMULATOR:-} "$vtsim" run --tdx --max-insns 2000000000 "$image" >"$tmp/native" 2>"$tmp/native.err"
rc=$?
[ $rc = 0 ] || { tail -20 "$tmp/native"; cat "$tmp/native.err"; fail "vtsim run --tdx $image: exit status $rc"; }
grep -q "^vtsim: halted at RIP=" "$tmp/native.err" || fail "the image did not end by its HLT"
expect "$tmp/native"
if ! cmp -s "$tmp/hosted" "$tmp/native"; then
    diff -u "$tmp/hosted" "$tmp/native" | head -40
    fail "the instruction-level trace differs from the hosted one"
fi
echo "PASS: hosted and instruction-level traces identical ($(wc -l <"$tmp/native") lines)"
