#!/usr/bin/env python3
"""Generate sim/vmcs/fields.def, the VMCS field list, from sim/vmcs/vmcs_fields.csv.

Regenerate after editing the CSV (the build does not run Python; the output is
committed next to it):

    python3 tools/gen_vmcs_fields.py            # rewrites sim/vmcs/fields.def
    python3 tools/gen_vmcs_fields.py --check    # exit 1 if fields.def is stale

The CSV holds the facts (one row per field, full encodings only: the HIGH half of a
64-bit field is implied by the encoding). This script adds what the CSV does not name:

  * the symbol of each field: Linux's `enum vmcs_field` name
    (arch/x86/include/asm/vmx.h) where Linux has one, so that vtsim, kvmlike and Linux
    grep alike; otherwise a name in the same style, marked "not in Linux" below;
  * the feature gate of each field: the CSV's `feature` text mapped to one FEAT_*
    (sim/vmcs/fields.h, VMCS_FEATURES). A field "exists only on processors that
    support the 1-setting of" its gating control (SDM Appendix B notes). Notes that
    say when a field is *used* rather than whether it *exists* map to FEAT_NONE.

Every row must have a symbol and a known feature text, and the width/type/access
columns must agree with the encoding bits; otherwise the script fails and writes
nothing. Python 3 standard library only.
"""

import argparse
import csv
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CSV_PATH = os.path.join(ROOT, "sim", "vmcs", "vmcs_fields.csv")
DEF_PATH = os.path.join(ROOT, "sim", "vmcs", "fields.def")

# Encoding -> symbol. "(not in Linux)" marks names Linux's enum lacks; they follow its
# style and the SDM's wording.
SYMBOLS = {
    # 16-bit control
    0x0000: "VIRTUAL_PROCESSOR_ID",
    0x0002: "POSTED_INTR_NV",
    0x0004: "EPTP_INDEX",                      # (not in Linux)
    0x0006: "HLAT_PREFIX_SIZE",                # (not in Linux)
    0x0008: "LAST_PID_POINTER_INDEX",
    0x000A: "VIRTUAL_TIMER_VECTOR",            # (not in Linux)
    # 16-bit guest
    0x0800: "GUEST_ES_SELECTOR",
    0x0802: "GUEST_CS_SELECTOR",
    0x0804: "GUEST_SS_SELECTOR",
    0x0806: "GUEST_DS_SELECTOR",
    0x0808: "GUEST_FS_SELECTOR",
    0x080A: "GUEST_GS_SELECTOR",
    0x080C: "GUEST_LDTR_SELECTOR",
    0x080E: "GUEST_TR_SELECTOR",
    0x0810: "GUEST_INTR_STATUS",
    0x0812: "GUEST_PML_INDEX",
    0x0814: "GUEST_UINV",                      # (not in Linux)
    # 16-bit host
    0x0C00: "HOST_ES_SELECTOR",
    0x0C02: "HOST_CS_SELECTOR",
    0x0C04: "HOST_SS_SELECTOR",
    0x0C06: "HOST_DS_SELECTOR",
    0x0C08: "HOST_FS_SELECTOR",
    0x0C0A: "HOST_GS_SELECTOR",
    0x0C0C: "HOST_TR_SELECTOR",
    # 64-bit control
    0x2000: "IO_BITMAP_A",
    0x2002: "IO_BITMAP_B",
    0x2004: "MSR_BITMAP",
    0x2006: "VM_EXIT_MSR_STORE_ADDR",
    0x2008: "VM_EXIT_MSR_LOAD_ADDR",
    0x200A: "VM_ENTRY_MSR_LOAD_ADDR",
    0x200C: "EXECUTIVE_VMCS_POINTER",          # (not in Linux)
    0x200E: "PML_ADDRESS",
    0x2010: "TSC_OFFSET",
    0x2012: "VIRTUAL_APIC_PAGE_ADDR",
    0x2014: "APIC_ACCESS_ADDR",
    0x2016: "POSTED_INTR_DESC_ADDR",
    0x2018: "VM_FUNCTION_CONTROL",
    0x201A: "EPT_POINTER",
    0x201C: "EOI_EXIT_BITMAP0",
    0x201E: "EOI_EXIT_BITMAP1",
    0x2020: "EOI_EXIT_BITMAP2",
    0x2022: "EOI_EXIT_BITMAP3",
    0x2024: "EPTP_LIST_ADDRESS",
    0x2026: "VMREAD_BITMAP",
    0x2028: "VMWRITE_BITMAP",
    0x202A: "VE_INFORMATION_ADDRESS",
    0x202C: "XSS_EXIT_BITMAP",
    0x202E: "ENCLS_EXITING_BITMAP",
    0x2030: "SPPT_POINTER",                    # (not in Linux)
    0x2032: "TSC_MULTIPLIER",
    0x2034: "TERTIARY_VM_EXEC_CONTROL",
    0x2036: "ENCLV_EXITING_BITMAP",            # (not in Linux)
    0x2038: "LOW_PASID_DIRECTORY_ADDR",        # (not in Linux)
    0x203A: "HIGH_PASID_DIRECTORY_ADDR",       # (not in Linux)
    0x203C: "SHARED_EPT_POINTER",
    0x203E: "PCONFIG_EXITING_BITMAP",          # (not in Linux)
    0x2040: "HLAT_POINTER",                    # (not in Linux)
    0x2042: "PID_POINTER_TABLE",
    0x2044: "SECONDARY_VM_EXIT_CONTROLS",
    0x204A: "IA32_SPEC_CTRL_MASK",             # (not in Linux)
    0x204C: "IA32_SPEC_CTRL_SHADOW",           # (not in Linux)
    0x204E: "GUEST_DEADLINE_SHADOW",           # (not in Linux)
    0x2052: "INJECTED_EVENT_DATA",
    # 64-bit read-only data
    0x2400: "GUEST_PHYSICAL_ADDRESS",
    0x2402: "MSR_DATA",                        # (not in Linux)
    0x2404: "ORIGINAL_EVENT_DATA",
    # 64-bit guest
    0x2800: "VMCS_LINK_POINTER",
    0x2802: "GUEST_IA32_DEBUGCTL",
    0x2804: "GUEST_IA32_PAT",
    0x2806: "GUEST_IA32_EFER",
    0x2808: "GUEST_IA32_PERF_GLOBAL_CTRL",
    0x280A: "GUEST_PDPTR0",
    0x280C: "GUEST_PDPTR1",
    0x280E: "GUEST_PDPTR2",
    0x2810: "GUEST_PDPTR3",
    0x2812: "GUEST_BNDCFGS",
    0x2814: "GUEST_IA32_RTIT_CTL",
    0x2816: "GUEST_IA32_LBR_CTL",
    0x2818: "GUEST_IA32_PKRS",
    0x281A: "GUEST_IA32_FRED_CONFIG",
    0x281C: "GUEST_IA32_FRED_RSP1",
    0x281E: "GUEST_IA32_FRED_RSP2",
    0x2820: "GUEST_IA32_FRED_RSP3",
    0x2822: "GUEST_IA32_FRED_STKLVLS",
    0x2824: "GUEST_IA32_FRED_SSP1",
    0x2826: "GUEST_IA32_FRED_SSP2",
    0x2828: "GUEST_IA32_FRED_SSP3",
    0x282E: "GUEST_IA32_SPEC_CTRL",            # (not in Linux)
    0x2830: "GUEST_DEADLINE",                  # (not in Linux)
    # 64-bit host
    0x2C00: "HOST_IA32_PAT",
    0x2C02: "HOST_IA32_EFER",
    0x2C04: "HOST_IA32_PERF_GLOBAL_CTRL",
    0x2C06: "HOST_IA32_PKRS",
    0x2C08: "HOST_IA32_FRED_CONFIG",
    0x2C0A: "HOST_IA32_FRED_RSP1",
    0x2C0C: "HOST_IA32_FRED_RSP2",
    0x2C0E: "HOST_IA32_FRED_RSP3",
    0x2C10: "HOST_IA32_FRED_STKLVLS",
    0x2C12: "HOST_IA32_FRED_SSP1",
    0x2C14: "HOST_IA32_FRED_SSP2",
    0x2C16: "HOST_IA32_FRED_SSP3",
    0x2C1A: "HOST_IA32_SPEC_CTRL",             # (not in Linux)
    # 32-bit control
    0x4000: "PIN_BASED_VM_EXEC_CONTROL",
    0x4002: "CPU_BASED_VM_EXEC_CONTROL",
    0x4004: "EXCEPTION_BITMAP",
    0x4006: "PAGE_FAULT_ERROR_CODE_MASK",
    0x4008: "PAGE_FAULT_ERROR_CODE_MATCH",
    0x400A: "CR3_TARGET_COUNT",
    0x400C: "VM_EXIT_CONTROLS",
    0x400E: "VM_EXIT_MSR_STORE_COUNT",
    0x4010: "VM_EXIT_MSR_LOAD_COUNT",
    0x4012: "VM_ENTRY_CONTROLS",
    0x4014: "VM_ENTRY_MSR_LOAD_COUNT",
    0x4016: "VM_ENTRY_INTR_INFO_FIELD",
    0x4018: "VM_ENTRY_EXCEPTION_ERROR_CODE",
    0x401A: "VM_ENTRY_INSTRUCTION_LEN",
    0x401C: "TPR_THRESHOLD",
    0x401E: "SECONDARY_VM_EXEC_CONTROL",
    0x4020: "PLE_GAP",
    0x4022: "PLE_WINDOW",
    0x4024: "NOTIFY_WINDOW",
    0x4026: "GUEST_KEYID",                     # (not in Linux)
    # 32-bit read-only data
    0x4400: "VM_INSTRUCTION_ERROR",
    0x4402: "VM_EXIT_REASON",
    0x4404: "VM_EXIT_INTR_INFO",
    0x4406: "VM_EXIT_INTR_ERROR_CODE",
    0x4408: "IDT_VECTORING_INFO_FIELD",
    0x440A: "IDT_VECTORING_ERROR_CODE",
    0x440C: "VM_EXIT_INSTRUCTION_LEN",
    0x440E: "VMX_INSTRUCTION_INFO",
    # 32-bit guest
    0x4800: "GUEST_ES_LIMIT",
    0x4802: "GUEST_CS_LIMIT",
    0x4804: "GUEST_SS_LIMIT",
    0x4806: "GUEST_DS_LIMIT",
    0x4808: "GUEST_FS_LIMIT",
    0x480A: "GUEST_GS_LIMIT",
    0x480C: "GUEST_LDTR_LIMIT",
    0x480E: "GUEST_TR_LIMIT",
    0x4810: "GUEST_GDTR_LIMIT",
    0x4812: "GUEST_IDTR_LIMIT",
    0x4814: "GUEST_ES_AR_BYTES",
    0x4816: "GUEST_CS_AR_BYTES",
    0x4818: "GUEST_SS_AR_BYTES",
    0x481A: "GUEST_DS_AR_BYTES",
    0x481C: "GUEST_FS_AR_BYTES",
    0x481E: "GUEST_GS_AR_BYTES",
    0x4820: "GUEST_LDTR_AR_BYTES",
    0x4822: "GUEST_TR_AR_BYTES",
    0x4824: "GUEST_INTERRUPTIBILITY_INFO",
    0x4826: "GUEST_ACTIVITY_STATE",
    0x4828: "GUEST_SMBASE",                    # (not in Linux)
    0x482A: "GUEST_SYSENTER_CS",
    0x482E: "VMX_PREEMPTION_TIMER_VALUE",
    # 32-bit host
    0x4C00: "HOST_IA32_SYSENTER_CS",
    # natural-width control
    0x6000: "CR0_GUEST_HOST_MASK",
    0x6002: "CR4_GUEST_HOST_MASK",
    0x6004: "CR0_READ_SHADOW",
    0x6006: "CR4_READ_SHADOW",
    0x6008: "CR3_TARGET_VALUE0",
    0x600A: "CR3_TARGET_VALUE1",
    0x600C: "CR3_TARGET_VALUE2",
    0x600E: "CR3_TARGET_VALUE3",
    # natural-width read-only data
    0x6400: "EXIT_QUALIFICATION",
    0x6402: "IO_RCX",                          # (not in Linux)
    0x6404: "IO_RSI",                          # (not in Linux)
    0x6406: "IO_RDI",                          # (not in Linux)
    0x6408: "IO_RIP",                          # (not in Linux)
    0x640A: "GUEST_LINEAR_ADDRESS",
    # natural-width guest
    0x6800: "GUEST_CR0",
    0x6802: "GUEST_CR3",
    0x6804: "GUEST_CR4",
    0x6806: "GUEST_ES_BASE",
    0x6808: "GUEST_CS_BASE",
    0x680A: "GUEST_SS_BASE",
    0x680C: "GUEST_DS_BASE",
    0x680E: "GUEST_FS_BASE",
    0x6810: "GUEST_GS_BASE",
    0x6812: "GUEST_LDTR_BASE",
    0x6814: "GUEST_TR_BASE",
    0x6816: "GUEST_GDTR_BASE",
    0x6818: "GUEST_IDTR_BASE",
    0x681A: "GUEST_DR7",
    0x681C: "GUEST_RSP",
    0x681E: "GUEST_RIP",
    0x6820: "GUEST_RFLAGS",
    0x6822: "GUEST_PENDING_DBG_EXCEPTIONS",
    0x6824: "GUEST_SYSENTER_ESP",
    0x6826: "GUEST_SYSENTER_EIP",
    0x6828: "GUEST_S_CET",
    0x682A: "GUEST_SSP",
    0x682C: "GUEST_INTR_SSP_TABLE",
    # natural-width host
    0x6C00: "HOST_CR0",
    0x6C02: "HOST_CR3",
    0x6C04: "HOST_CR4",
    0x6C06: "HOST_FS_BASE",
    0x6C08: "HOST_GS_BASE",
    0x6C0A: "HOST_TR_BASE",
    0x6C0C: "HOST_GDTR_BASE",
    0x6C0E: "HOST_IDTR_BASE",
    0x6C10: "HOST_IA32_SYSENTER_ESP",
    0x6C12: "HOST_IA32_SYSENTER_EIP",
    0x6C14: "HOST_RSP",
    0x6C16: "HOST_RIP",
    0x6C18: "HOST_S_CET",
    0x6C1A: "HOST_SSP",
    0x6C1C: "HOST_INTR_SSP_TABLE",
}

# CSV `feature` text -> FEAT_* gate (sim/vmcs/fields.h). Texts that describe when a
# field is used, not whether it exists, map to FEAT_NONE (see the comments).
FEATURES = {
    "": "FEAT_NONE",
    # The SDM gives these fields no existence note: they exist on every VMX processor.
    "used if use I/O bitmaps (1st-ctl bit 25)": "FEAT_NONE",
    "used if use TSC offsetting (1st-ctl bit 3)": "FEAT_NONE",
    "always present; if not FFFFFFFF_FFFFFFFFh it is checked at VM entry (4 KB aligned, "
    "within MAXPHYADDR, revision id + shadow bit) - exit 33 qual 4; used by VMCS "
    "shadowing": "FEAT_NONE",
    # Used by the dual-monitor treatment of SMM, but present whether or not the
    # processor offers it (no existence note in SDM Appendix B).
    "dual-monitor SMM treatment (IA32_VMX_BASIC bit 49)": "FEAT_NONE",
    "SMM VM exits (dual-monitor) only": "FEAT_NONE",
    # Pin-based controls
    "activate VMX-preemption timer (pin bit 6)": "FEAT_PREEMPTION_TIMER",
    "process posted interrupts (pin bit 7)": "FEAT_POSTED_INTR",
    # Primary processor-based controls
    "use MSR bitmaps (1st-ctl bit 28)": "FEAT_MSR_BITMAPS",
    "use TPR shadow (1st-ctl bit 21)": "FEAT_TPR_SHADOW",
    "activate tertiary controls (1st-ctl bit 17)": "FEAT_TERTIARY",
    "activate secondary controls (1st-ctl bit 31)": "FEAT_SECONDARY",
    # Secondary processor-based controls
    "virtualize APIC accesses (2nd-ctl bit 0)": "FEAT_APIC_ACCESS",
    "enable EPT (2nd-ctl bit 1)": "FEAT_EPT",
    "enable VPID (2nd-ctl bit 5)": "FEAT_VPID",
    "virtual-interrupt delivery (2nd-ctl bit 9)": "FEAT_VID",
    "PAUSE-loop exiting (2nd-ctl bit 10)": "FEAT_PLE",
    "enable VM functions (2nd-ctl bit 13)": "FEAT_VMFUNC",
    "VMCS shadowing (2nd-ctl bit 14)": "FEAT_SHADOW_VMCS",
    "enable ENCLS exiting (2nd-ctl bit 15)": "FEAT_ENCLS_EXITING",
    "enable PML (2nd-ctl bit 17)": "FEAT_PML",
    "EPT-violation #VE (2nd-ctl bit 18)": "FEAT_EPT_VE",
    "enable XSAVES/XRSTORS (2nd-ctl bit 20)": "FEAT_XSAVES",
    "PASID translation (2nd-ctl bit 21)": "FEAT_PASID",
    "sub-page write permissions for EPT (2nd-ctl bit 23)": "FEAT_SPP",
    "use TSC scaling (2nd-ctl bit 25)": "FEAT_TSC_SCALING",
    "enable PCONFIG (2nd-ctl bit 27)": "FEAT_PCONFIG",
    "enable ENCLV exiting (2nd-ctl bit 28)": "FEAT_ENCLV_EXITING",
    "instruction timeout / notify VM exiting (2nd-ctl bit 31)": "FEAT_NOTIFY",
    # Tertiary processor-based controls
    "enable HLAT (3rd-ctl bit 1)": "FEAT_HLAT",
    "IPI virtualization (3rd-ctl bit 4)": "FEAT_IPI_VIRT",
    "enable MSR-list instructions (3rd-ctl bit 6)": "FEAT_MSRLIST",
    "virtualize IA32_SPEC_CTRL (3rd-ctl bit 7)": "FEAT_SPEC_CTRL_VIRT",
    "APIC-timer virtualization (3rd-ctl bit 8) [newest SDM; Bochs defines it; not "
    "implemented]": "FEAT_APIC_TIMER_VIRT",
    "APIC-timer virtualization (3rd-ctl bit 8) [newest SDM; Bochs: not implemented]":
        "FEAT_APIC_TIMER_VIRT",
    # VM-function controls
    "EPTP switching (VM-function bit 0)": "FEAT_EPTP_SWITCHING",
    # VM-exit and VM-entry controls
    "activate secondary VM-exit controls (exit-ctl bit 31)": "FEAT_EXIT_CTLS2",
    "load IA32_PAT (entry bit 14) / save IA32_PAT (exit bit 18)": "FEAT_GUEST_PAT",
    "load IA32_PAT (exit bit 19)": "FEAT_HOST_PAT",
    "load IA32_EFER (entry bit 15) / save IA32_EFER (exit bit 20)": "FEAT_GUEST_EFER",
    "load IA32_EFER (exit bit 21)": "FEAT_HOST_EFER",
    "load IA32_PERF_GLOBAL_CTRL (entry bit 13) / save (exit bit 30)":
        "FEAT_GUEST_PERF_GLOBAL_CTRL",
    "load IA32_PERF_GLOBAL_CTRL (exit bit 12)": "FEAT_HOST_PERF_GLOBAL_CTRL",
    "MPX: load IA32_BNDCFGS (entry bit 16) / clear (exit bit 23)": "FEAT_BNDCFGS",
    "Intel PT: load IA32_RTIT_CTL (entry bit 18) / clear (exit bit 25)": "FEAT_RTIT_CTL",
    "arch LBR: load guest IA32_LBR_CTL (entry bit 21) / clear (exit bit 26) [not in "
    "Bochs]": "FEAT_LBR_CTL",
    "UINTR: load UINV entry-ctl bit 19 / clear UINV exit-ctl bit 27": "FEAT_UINV",
    "CET: load CET state (entry bit 20); saved on every exit if CET supported":
        "FEAT_GUEST_CET",
    "CET: load host CET state (exit bit 28)": "FEAT_HOST_CET",
    "PKS: load PKRS (entry bit 22)": "FEAT_GUEST_PKRS",
    "PKS: load PKRS (exit bit 29)": "FEAT_HOST_PKRS",
    "FRED: load guest FRED (entry bit 23) / save guest FRED (exit2 bit 0)":
        "FEAT_GUEST_FRED",
    "FRED+CET: load guest FRED (entry bit 23) / save guest FRED (exit2 bit 0)":
        "FEAT_GUEST_FRED",
    "FRED: load host FRED (exit2 bit 1)": "FEAT_HOST_FRED",
    "FRED+CET: load host FRED (exit2 bit 1)": "FEAT_HOST_FRED",
    "load guest IA32_SPEC_CTRL (entry bit 24) [per Bochs]": "FEAT_GUEST_SPEC_CTRL",
    "load host IA32_SPEC_CTRL (exit2 bit 2)": "FEAT_HOST_SPEC_CTRL",
    # FRED event data: the pair of fields that come with nested-exception support.
    "FRED (IA32_VMX_BASIC bit 58 nested-exception support)": "FEAT_FRED_EVENT_DATA",
    "FRED": "FEAT_FRED_EVENT_DATA",
    # Fields of the TD VMCS, not in the base SDM.
    "TDX/SEAM only - not in base SDM (Linux SHARED_EPT_POINTER; Bochs "
    "SEAM_SHARED_EPT_POINTER)": "FEAT_SEAM",
    "TDX/SEAM only - not in base SDM (Bochs: not implemented)": "FEAT_SEAM",
}

WIDTHS = {0: "16", 1: "64", 2: "32", 3: "natural"}
TYPES = {0: "control", 1: "exit-info", 2: "guest", 3: "host"}
DEF_WIDTH = {"16": "16", "64": "64", "32": "32", "natural": "NATURAL"}
DEF_TYPE = {"control": "CONTROL", "exit-info": "EXIT_INFO", "guest": "GUEST", "host": "HOST"}


def fail(msg):
    sys.exit("gen_vmcs_fields: " + msg)


def c_string(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = []
    seen_names = set()
    seen_encs = set()
    for n, row in enumerate(rows, start=2):
        where = "%s:%d" % (os.path.relpath(path, ROOT), n)
        enc = int(row["encoding"], 16)
        if enc & ~0x6FFF or enc & 1:
            fail("%s: 0x%x is not a full encoding (bits 31:15, 12 and 0 must be 0)" % (where, enc))
        if enc in seen_encs:
            fail("%s: encoding 0x%x listed twice" % (where, enc))
        seen_encs.add(enc)
        width = WIDTHS[(enc >> 13) & 3]
        ftype = TYPES[(enc >> 10) & 3]
        access = "ro" if ftype == "exit-info" else "rw"
        for col, want in (("width", width), ("type", ftype), ("access", access)):
            if row[col] != want:
                fail("%s: %s is %r but encoding 0x%x says %r" % (where, col, row[col], enc, want))
        name = SYMBOLS.get(enc)
        if name is None:
            fail("%s: no symbol for encoding 0x%x (add it to SYMBOLS)" % (where, enc))
        if name in seen_names:
            fail("%s: symbol %s used twice" % (where, name))
        seen_names.add(name)
        feature = FEATURES.get(row["feature"])
        if feature is None:
            fail("%s: unknown feature text %r (add it to FEATURES)" % (where, row["feature"]))
        out.append((enc, name, DEF_WIDTH[width], DEF_TYPE[ftype], access.upper(), feature,
                    row["name"]))
    unused = set(SYMBOLS) - seen_encs
    if unused:
        fail("SYMBOLS names encodings the CSV lacks: " +
             ", ".join("0x%x" % e for e in sorted(unused)))
    return sorted(out)


def render(rows):
    lines = [
        "/* VMCS fields: one line per field, full encodings only (the HIGH half of a",
        " * 64-bit field is E | 1, derived from the encoding).",
        " *",
        " * GENERATED by tools/gen_vmcs_fields.py from sim/vmcs/vmcs_fields.csv: do not",
        " * edit; change the CSV (or the generator's symbol and feature maps) and run",
        " *     python3 tools/gen_vmcs_fields.py",
        " *",
        " * VMCS_FIELD(symbol, encoding, width, type, access, feature, description)",
        " *   width:   16, 32, 64, NATURAL  (encoding bits 14:13)",
        " *   type:    CONTROL, EXIT_INFO, GUEST, HOST  (encoding bits 11:10)",
        " *   access:  RW, or RO for exit-information fields",
        " *   feature: FEAT_* gate of sim/vmcs/fields.h (FEAT_NONE: always present)",
        " * No include guard: the includer defines VMCS_FIELD.",
        " */",
    ]
    for enc, name, width, ftype, access, feature, desc in rows:
        lines.append("VMCS_FIELD(%s, 0x%04x, %s, %s, %s, %s, %s)"
                     % (name, enc, width, ftype, access, feature, c_string(desc)))
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if fields.def differs from what would be written")
    ap.add_argument("--csv", default=CSV_PATH)
    ap.add_argument("--out", default=DEF_PATH)
    args = ap.parse_args()

    text = render(read_rows(args.csv))
    if args.check:
        try:
            with open(args.out, encoding="utf-8") as f:
                current = f.read()
        except FileNotFoundError:
            current = None
        if current != text:
            sys.exit("gen_vmcs_fields: %s is stale; run python3 tools/gen_vmcs_fields.py"
                     % os.path.relpath(args.out, ROOT))
        return
    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


if __name__ == "__main__":
    main()
