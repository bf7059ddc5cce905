/* TDX module completion status codes (TDX module ABI: api_error_code_t), one table:
 * name and 64-bit value. Bits 31:0 carry an operand id or detail, 39:32 a detail,
 * 47:40 the class, 61 fatal, 62 non-recoverable, 63 error; informational codes have
 * bit 63 clear. Where the module source and Linux disagree, Linux's value is here
 * (NON_RECOVERABLE_TD, NON_RECOVERABLE_TD_WRONG_APIC_MODE): KVM compares them. */
#ifndef VTSIM_TDX_STATUS_H
#define VTSIM_TDX_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#define TDX_STATUS_CODES(X)                                                       \
	X(TDX_SUCCESS,                          0x0000000000000000ull)            \
	X(TDX_NON_RECOVERABLE_VCPU,             0x4000000100000000ull)            \
	X(TDX_NON_RECOVERABLE_TD,               0x4000000200000000ull)            \
	X(TDX_INTERRUPTED_RESUMABLE,            0x8000000300000000ull)            \
	X(TDX_INTERRUPTED_RESTARTABLE,          0x8000000400000000ull)            \
	X(TDX_NON_RECOVERABLE_TD_NON_ACCESSIBLE, 0x6000000500000000ull)           \
	X(TDX_NON_RECOVERABLE_TD_WRONG_APIC_MODE, 0x6000000700000000ull)          \
	X(TDX_NON_RECOVERABLE_TD_CORRUPTED_MD,  0x6000000A00000000ull)            \
	X(TDX_OPERAND_INVALID,                  0xC000010000000000ull)            \
	X(TDX_OPERAND_ADDR_RANGE_ERROR,         0xC000010100000000ull)            \
	X(TDX_OPERAND_BUSY,                     0x8000020000000000ull)            \
	X(TDX_PREVIOUS_TLB_EPOCH_BUSY,          0x8000020100000000ull)            \
	X(TDX_SYS_BUSY,                         0x8000020200000000ull)            \
	X(TDX_RND_NO_ENTROPY,                   0x8000020300000000ull)            \
	X(TDX_OPERAND_BUSY_HOST_PRIORITY,       0x8000020400000000ull)            \
	X(TDX_PAGE_METADATA_INCORRECT,          0xC000030000000000ull)            \
	X(TDX_PAGE_ALREADY_FREE,                0x0000030100000000ull)            \
	X(TDX_PAGE_NOT_OWNED_BY_TD,             0xC000030200000000ull)            \
	X(TDX_TD_ASSOCIATED_PAGES_EXIST,        0xC000040000000000ull)            \
	X(TDX_SYS_INIT_NOT_PENDING,             0xC000050000000000ull)            \
	X(TDX_SYS_LP_INIT_NOT_DONE,             0xC000050200000000ull)            \
	X(TDX_SYS_LP_INIT_DONE,                 0xC000050300000000ull)            \
	X(TDX_SYS_NOT_READY,                    0xC000050500000000ull)            \
	X(TDX_SYS_SHUTDOWN,                     0xC000050600000000ull)            \
	X(TDX_SYS_KEY_CONFIG_NOT_PENDING,       0xC000050700000000ull)            \
	X(TDX_SYS_LP_INIT_NOT_PENDING,          0xC000050B00000000ull)            \
	X(TDX_SYS_CONFIG_NOT_PENDING,           0xC000050C00000000ull)            \
	X(TDX_TD_FATAL,                         0xE000060400000000ull)            \
	X(TDX_TD_NON_DEBUG,                     0xC000060500000000ull)            \
	X(TDX_TDCS_NOT_ALLOCATED,               0xC000060600000000ull)            \
	X(TDX_LIFECYCLE_STATE_INCORRECT,        0xC000060700000000ull)            \
	X(TDX_OP_STATE_INCORRECT,               0xC000060800000000ull)            \
	X(TDX_NO_VCPUS,                         0xC000060900000000ull)            \
	X(TDX_TDCX_NUM_INCORRECT,               0xC000061000000000ull)            \
	X(TDX_VCPU_STATE_INCORRECT,             0xC000070000000000ull)            \
	X(TDX_VCPU_ASSOCIATED,                  0x8000070100000000ull)            \
	X(TDX_VCPU_NOT_ASSOCIATED,              0x8000070200000000ull)            \
	X(TDX_NO_VALID_VE_INFO,                 0xC000070400000000ull)            \
	X(TDX_MAX_VCPUS_EXCEEDED,               0xC000070500000000ull)            \
	X(TDX_TSC_ROLLBACK,                     0xC000070600000000ull)            \
	X(TDX_TD_VMCS_FIELD_NOT_INITIALIZED,    0xC000073000000000ull)            \
	X(TDX_KEY_GENERATION_FAILED,            0x8000080000000000ull)            \
	X(TDX_TD_KEYS_NOT_CONFIGURED,           0x8000081000000000ull)            \
	X(TDX_KEY_STATE_INCORRECT,              0xC000081100000000ull)            \
	X(TDX_KEY_CONFIGURED,                   0x0000081500000000ull)            \
	X(TDX_WBCACHE_NOT_COMPLETE,             0x8000081700000000ull)            \
	X(TDX_HKID_NOT_FREE,                    0xC000082000000000ull)            \
	X(TDX_NO_HKID_READY_TO_WBCACHE,         0x0000082100000000ull)            \
	X(TDX_WBCACHE_RESUME_ERROR,             0xC000082300000000ull)            \
	X(TDX_FLUSHVP_NOT_DONE,                 0x8000082400000000ull)            \
	X(TDX_INCORRECT_CPUID_VALUE,            0xC000090000000000ull)            \
	X(TDX_INCONSISTENT_MSR,                 0xC000092000000000ull)            \
	X(TDX_INCORRECT_MSR_VALUE,              0xC000092100000000ull)            \
	X(TDX_INVALID_TDMR,                     0xC0000A0000000000ull)            \
	X(TDX_NON_ORDERED_TDMR,                 0xC0000A0100000000ull)            \
	X(TDX_TDMR_OUTSIDE_CMRS,                0xC0000A0200000000ull)            \
	X(TDX_TDMR_ALREADY_INITIALIZED,         0x00000A0300000000ull)            \
	X(TDX_INVALID_PAMT,                     0xC0000A1000000000ull)            \
	X(TDX_PAMT_OUTSIDE_CMRS,                0xC0000A1100000000ull)            \
	X(TDX_PAMT_OVERLAP,                     0xC0000A1200000000ull)            \
	X(TDX_INVALID_RESERVED_IN_TDMR,         0xC0000A2000000000ull)            \
	X(TDX_NON_ORDERED_RESERVED_IN_TDMR,     0xC0000A2100000000ull)            \
	X(TDX_EPT_WALK_FAILED,                  0xC0000B0000000000ull)            \
	X(TDX_EPT_ENTRY_FREE,                   0xC0000B0100000000ull)            \
	X(TDX_EPT_ENTRY_NOT_FREE,               0xC0000B0200000000ull)            \
	X(TDX_EPT_ENTRY_NOT_PRESENT,            0xC0000B0300000000ull)            \
	X(TDX_EPT_ENTRY_NOT_LEAF,               0xC0000B0400000000ull)            \
	X(TDX_EPT_ENTRY_LEAF,                   0xC0000B0500000000ull)            \
	X(TDX_GPA_RANGE_NOT_BLOCKED,            0xC0000B0600000000ull)            \
	X(TDX_GPA_RANGE_ALREADY_BLOCKED,        0x00000B0700000000ull)            \
	X(TDX_TLB_TRACKING_NOT_DONE,            0xC0000B0800000000ull)            \
	X(TDX_EPT_INVALID_PROMOTE_CONDITIONS,   0xC0000B0900000000ull)            \
	X(TDX_PAGE_ALREADY_ACCEPTED,            0x00000B0A00000000ull)            \
	X(TDX_PAGE_SIZE_MISMATCH,               0xC0000B0B00000000ull)            \
	X(TDX_EPT_ENTRY_STATE_INCORRECT,        0xC0000B0D00000000ull)            \
	X(TDX_EPT_PAGE_NOT_FREE,                0xC0000B0E00000000ull)            \
	X(TDX_METADATA_FIELD_ID_INCORRECT,      0xC0000C0000000000ull)            \
	X(TDX_METADATA_FIELD_NOT_WRITABLE,      0xC0000C0100000000ull)            \
	X(TDX_METADATA_FIELD_NOT_READABLE,      0xC0000C0200000000ull)            \
	X(TDX_METADATA_FIELD_VALUE_NOT_VALID,   0xC0000C0300000000ull)            \
	X(TDX_METADATA_FIRST_FIELD_ID_IN_CONTEXT, 0x00000C0B00000000ull)          \
	X(TDX_METADATA_FIELD_SKIP,              0x00000C0C00000000ull)

enum tdx_status_code {
#define TDX_STATUS_ENUM(name, value) name##_ID,
	TDX_STATUS_CODES(TDX_STATUS_ENUM)
#undef TDX_STATUS_ENUM
	TDX_NR_STATUS_CODES
};

#define TDX_STATUS_DEFINE(name, value) static const uint64_t name = value;
TDX_STATUS_CODES(TDX_STATUS_DEFINE)
#undef TDX_STATUS_DEFINE

/* Operand ids, ORed (added) into bits 31:0: the registers, then structures. */
enum tdx_operand_id {
	TDX_OPERAND_ID_RAX = 0, TDX_OPERAND_ID_RCX = 1, TDX_OPERAND_ID_RDX = 2,
	TDX_OPERAND_ID_RBX = 3, TDX_OPERAND_ID_RBP = 5, TDX_OPERAND_ID_RSI = 6,
	TDX_OPERAND_ID_RDI = 7, TDX_OPERAND_ID_R8 = 8, TDX_OPERAND_ID_R9 = 9,
	TDX_OPERAND_ID_R10 = 10, TDX_OPERAND_ID_R11 = 11,
	TDX_OPERAND_ID_TDMR_INFO_PA = 96,
	TDX_OPERAND_ID_TDR = 0x80, TDX_OPERAND_ID_SEPT = 0x92, TDX_OPERAND_ID_TD_EPOCH = 0xA9,
	TDX_OPERAND_ID_SYS = 0xB8, TDX_OPERAND_ID_TDMR = 0xB9, TDX_OPERAND_ID_KOT = 0xBA,
};

/* Status codes Linux makes of a SEAMCALL that did not reach the module. */
#define TDX_SW_ERROR               0x8000FF0000000000ull
#define TDX_SEAMCALL_VMFAILINVALID 0x8000FF00FFFF0000ull

/* The name of a status (its bits 63:32), or NULL if the table has none. */
const char *tdx_status_name(uint64_t status);
bool tdx_status_known(uint64_t status);

#endif
