#!/usr/bin/env bash
# kvmlike's core is vendor-agnostic, as Linux's arch/x86/kvm is: only the vendor
# halves (vmx*, tdx*) and the vt_ layer (main.c, x86_ops.h) call a vmx_, tdx_ or
# tdh_ function; everything else goes through kvm_x86_ops (kvm_x86_call) or the
# vt_ functions. Fails naming each call found elsewhere.
#   kvmlike_vendor_calls.sh KVMLIKE_DIR
set -u
dir=$1
found=0
for f in "$dir"/*.c "$dir"/*.h; do
    case $(basename "$f") in
        main.c | x86_ops.h | vmx*.[ch] | tdx*.[ch] | *_hosted*) continue ;;
    esac
    if grep -nE '\b(vmx|tdx|tdh)_[a-z0-9_]+[[:space:]]*\(' "$f"; then
        echo "FAIL: $(basename "$f") calls the vendor module directly (above)"
        found=1
    fi
done
[ "$found" = 0 ] && echo "kvmlike's core: no direct vmx_/tdx_/tdh_ call"
exit "$found"
