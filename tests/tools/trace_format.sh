#!/usr/bin/env bash
# docs/trace.md is the trace's contract: every example line in its table must have
# the shape of lines real runs write. A line's shape is its class (first word) and
# the keys of its key=value fields, in order; a documented line matches a real one
# of the same class whose keys start with the same key and contain the documented
# keys in the same order (an exit line's decoded fields come between rip= and
# insn=). Lines without keys match on their first three words with numbers masked.
# Usage: trace_format.sh VTSIM IMAGES_DIR DOC
set -u
vtsim=$1 dir=$2 doc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run() { # CLASSES ARGS...: appends the run's trace to $tmp/all
	${VTSIM_EMULATOR:-} "$vtsim" run --trace="$1" --trace-file "$tmp/one" "${@:2}" >/dev/null 2>&1 </dev/null
	cat "$tmp/one" >>"$tmp/all"
}
: >"$tmp/all"
run run,exc,io,msr,cpuid,vmx --max-insns 20000000 "$dir/vmexit_cpuid.img"
run vmx --max-insns 20000000 "$dir/vmentry_fail_ctl.img"
run vmx --tdx --mem 128M --max-insns 50000000 "$dir/td_lifecycle.img"
run exc,msr --max-insns 20000000 "$dir/msr_basic.img"
run exc --max-insns 20000000 "$dir/exc_misc.img"
run run,exc --cpus 4 --max-insns 20000000 "$dir/smp_start.img"
for img in vmx_smm_default vmx_smm_vmcall vmx_smm_exits; do
	run vmx --max-insns 20000000 "$dir/$img.img"
done
${VTSIM_EMULATOR:-} "$vtsim" run --trace=insn --trace-file "$tmp/one" --max-insns 50 "$dir/vmexit_cpuid.img" \
	>/dev/null 2>&1 </dev/null
cat "$tmp/one" >>"$tmp/all"

python3 - "$doc" "$tmp/all" <<'PY'
import re, sys
doc, trace = sys.argv[1], sys.argv[2]
rows = [l for l in open(doc) if l.startswith('| ') and not l.startswith('| class') and not l.startswith('|---')]
examples = []
for r in rows:
    cell = r.split('|')[2]
    examples += [e for e in re.findall(r'`([^`]+)`', cell)]
if len(examples) < 20:
    sys.exit(f"FAIL: only {len(examples)} example lines found in {doc}'s table")
def keys(line):
    return [t.split('=', 1)[0] for t in line.split() if re.match(r'^[a-z_]+=', t)]
def words(line):
    return [re.sub(r'[0-9a-f]+', 'N', w) for w in line.split()[:3]]
real = {}
for l in open(trace, errors='replace'):
    l = l.rstrip('\n')
    if l:
        real.setdefault(l.split()[0], []).append(l)
def subseq(small, big):
    it = iter(big)
    return all(k in it for k in small)
fail = 0
for e in examples:
    cls = e.split()[0]
    k = keys(e)
    cands = real.get(cls, [])
    if k:
        ok = any(keys(c)[:1] == k[:1] and subseq(k, keys(c)) and c.split()[1].startswith('lp') for c in cands)
    else:
        ok = any(words(c) == words(e) for c in cands)
    if not ok:
        print(f"FAIL: docs/trace.md documents `{e}`, but no traced {cls!r} line has its shape (keys {k})")
        fail = 1
if not fail:
    print(f"ok: {len(examples)} documented trace lines, each with the shape of a real one")
sys.exit(fail)
PY
