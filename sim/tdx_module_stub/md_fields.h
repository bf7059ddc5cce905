/* Global metadata field ids of the TDX module ABI (TDH.SYS.RD): class << 56 |
 * element size << 32 | field code. One list for the module, kvmlike and the tests. */
#ifndef VTSIM_TDX_MD_FIELDS_H
#define VTSIM_TDX_MD_FIELDS_H

#define MD_MINOR_VERSION          0x0800000100000003ull
#define MD_MAJOR_VERSION          0x0800000100000004ull
#define MD_UPDATE_VERSION         0x0800000100000005ull
#define MD_TDX_FEATURES0          0x0A00000300000008ull
#define MD_NUM_CMRS               0x9000000100000000ull
#define MD_CMR_BASE(i)            (0x9000000300000080ull + (i))
#define MD_CMR_SIZE(i)            (0x9000000300000100ull + (i))
#define MD_MAX_TDMRS              0x9100000100000008ull
#define MD_MAX_RESERVED_PER_TDMR  0x9100000100000009ull
#define MD_PAMT_4K_ENTRY_SIZE     0x9100000100000010ull
#define MD_PAMT_2M_ENTRY_SIZE     0x9100000100000011ull
#define MD_PAMT_1G_ENTRY_SIZE     0x9100000100000012ull
#define MD_TDR_BASE_SIZE          0x9800000100000000ull
#define MD_TDCS_BASE_SIZE         0x9800000100000100ull
#define MD_TDVPS_BASE_SIZE        0x9800000100000200ull
#define MD_ATTRIBUTES_FIXED0      0x1900000300000000ull
#define MD_ATTRIBUTES_FIXED1      0x1900000300000001ull
#define MD_XFAM_FIXED0            0x1900000300000002ull
#define MD_XFAM_FIXED1            0x1900000300000003ull
#define MD_NUM_CPUID_CONFIG       0x9900000100000004ull
#define MD_MAX_VCPUS_PER_TD       0x9900000100000008ull
#define MD_CPUID_CONFIG_LEAVES(i) (0x9900000300000400ull + (i))
/* Two per leaf: EAX|EBX << 32, then ECX|EDX << 32. */
#define MD_CPUID_CONFIG_VALUES(i, j) (0x9900000300000500ull + 2 * (i) + (j))
#define MD_FIELD_ID_NONE          (~0ull)

#endif
