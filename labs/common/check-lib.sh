# check-lib.sh: what the labs' check.sh scripts share. Source it; then
#   lab_run [vtsim run options]   runs $IMG under $VTSIM with the vmx trace in
#                                 $OUT/trace.txt, stdout in $OUT/stdout.txt, stderr
#                                 (with --json entry failures) in $OUT/stderr.txt;
#                                 sets $status
#   has_line TEXT                 the run's stdout has this exact line
#   pass SENTENCE / not_yet SENTENCE   print the verdict and exit 0 / 1
#   explain_entry_failure         if VM entry failed a check: a sentence naming it
#   explain_last_exit REASON      a sentence about the last VM exit with that basic
#                                 reason in the trace (decoded qualification, RIP,
#                                 instruction)
#   explain_seamcall_failure      if a SEAMCALL returned an error: leaf and status
#   why_run_ended                 the last resort: how the run ended, in a sentence
set -u
: "${VTSIM:?VTSIM not set}" "${OUT:=build}"
IMG=$1
# A vtsim under test may run under an emulator (the arm64 suite sets VTSIM_EMULATOR).
vt() { ${VTSIM_EMULATOR:-} "$VTSIM" "$@"; }

lab_run() {
	mkdir -p "$OUT"
	vt run --json --trace=vmx --trace-file "$OUT/trace.txt" --max-insns 50000000 "$@" "$IMG" \
		>"$OUT/stdout.txt" 2>"$OUT/stderr.txt" </dev/null
	status=$?
}

has_line() { grep -qxF -- "$1" "$OUT/stdout.txt"; }

pass() { echo "PASS: $*"; exit 0; }

not_yet() {
	echo "NOT YET: $*"
	echo "(the run: $OUT/stdout.txt, $OUT/stderr.txt, trace $OUT/trace.txt; exit status $status)"
	exit 1
}

json_field() { # KEY LINE
	sed -n "s/.*\"$1\": \"\\([^\"]*\\)\".*/\\1/p" <<<"$2"
}

explain_entry_failure() {
	local line
	line=$(grep -m1 '"event": "vm-entry-failed"' "$OUT/stderr.txt") || return 1
	local insn id cls field value sdm result rule
	insn=$(json_field instruction "$line"); id=$(json_field check "$line")
	cls=$(json_field class "$line"); field=$(json_field field "$line")
	value=$(json_field value "$line"); sdm=$(json_field sdm "$line")
	result=$(json_field result "$line"); rule=$(sed -n 's/.*"rule": "\(.*\)"}$/\1/p' <<<"$line")
	echo "$insn failed VM-entry check $id ($cls check, SDM \"$sdm\"): $rule; $field = $value, result $result. \`vtsim explain check $id\` says more."
}

explain_last_exit() {
	local line reason qual rip insn sentence
	line=$(grep "^exit .* reason=$1 " "$OUT/trace.txt" | tail -n1) || return 1
	[ -n "$line" ] || return 1
	reason=$(sed -n 's/.* reason=\([0-9]*\) \([A-Z_]*\) .*/\1 (\2)/p' <<<"$line")
	qual=$(sed -n 's/.* qual=\(0x[0-9a-f]*\) .*/\1/p' <<<"$line")
	rip=$(sed -n 's/.* rip=\(0x[0-9a-f]*\).*/\1/p' <<<"$line")
	insn=$(sed -n 's/.* insn=\(.*\)$/\1/p' <<<"$line")
	sentence=$(vt explain exit "$1" "$qual" | sed -n '3p' | sed 's/^ *//')
	echo "the guest's \`$insn\` at RIP=$rip caused exit reason $reason, qualification $qual: $sentence"
}

# A TDX status (16 hex digits) as "NAME (0x...): what it means", from vtsim explain status.
status_name() {
	local text n m
	text=$(vt explain status "0x$1")
	n=$(sed -n '1s/^Status 0x[0-9a-f]*: \(.*\)\.$/\1/p' <<<"$text")
	m=$(sed -n 's/^  What it means: \(.*\)\.$/\1/p' <<<"$text")
	echo "${n:-status} (0x$1)${m:+: $m}"
}

explain_seamcall_failure() {
	local line leaf st name sname
	line=$(grep -m1 '^FAIL: SEAMCALL leaf ' "$OUT/stdout.txt") || return 1
	leaf=$(sed -n 's/^FAIL: SEAMCALL leaf \([0-9]*\) .*/\1/p' <<<"$line")
	name=$(vt explain leaf "$leaf" | sed -n '1s/^SEAMCALL leaf [0-9]*: \([A-Z_.]*[A-Z_]\).*/\1/p')
	if st=$(sed -n 's/.* status \([0-9a-f]\{16\}\)$/\1/p' <<<"$line") && [ -n "$st" ]; then
		echo "SEAMCALL $name (leaf $((leaf & 0xffff))) returned $(status_name "$st")"
	else
		echo "SEAMCALL $name (leaf $leaf) failed as an instruction: ${line#*leaf $leaf }"
	fi
}

why_run_ended() {
	local tf
	case $status in
	4) echo "the run did not end within 50 million instructions: a loop that never exits, or a guest that never comes back?" ;;
	70) echo "vtsim stopped on one of its own limitations: $(grep -m1 '^vtsim' "$OUT/stderr.txt")" ;;
	*)
		if tf=$(grep -m1 'triple fault (shutdown)' "$OUT/stderr.txt"); then
			echo "the processor shut down: ${tf#vtsim: }"
		elif tf=$(grep -m1 'VMX abort' "$OUT/stderr.txt"); then
			echo "${tf#vtsim: }"
		else
			echo "the run ended with exit status $status; the VMM's last line: $(tail -n1 "$OUT/stdout.txt")"
		fi ;;
	esac
}
