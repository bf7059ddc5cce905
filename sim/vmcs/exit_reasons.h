/* Basic VM-exit reasons (SDM Vol. 3, appendix "VMX Basic Exit Reasons"), one list
 * with Linux's names, giving the name wherever one is printed. */
#ifndef VTSIM_EXIT_REASONS_H
#define VTSIM_EXIT_REASONS_H

#define VMX_EXIT_REASONS(X)                                                   \
	X(0, EXCEPTION_NMI) X(1, EXTERNAL_INTERRUPT) X(2, TRIPLE_FAULT)        \
	X(3, INIT_SIGNAL) X(4, SIPI_SIGNAL) X(5, IO_SMI) X(6, OTHER_SMI)        \
	X(7, INTERRUPT_WINDOW) X(8, NMI_WINDOW) X(9, TASK_SWITCH) X(10, CPUID)  \
	X(11, GETSEC) X(12, HLT) X(13, INVD) X(14, INVLPG) X(15, RDPMC)         \
	X(16, RDTSC) X(17, RSM) X(18, VMCALL) X(19, VMCLEAR) X(20, VMLAUNCH)    \
	X(21, VMPTRLD) X(22, VMPTRST) X(23, VMREAD) X(24, VMRESUME)             \
	X(25, VMWRITE) X(26, VMOFF) X(27, VMON) X(28, CR_ACCESS)               \
	X(29, DR_ACCESS) X(30, IO_INSTRUCTION) X(31, MSR_READ) X(32, MSR_WRITE) \
	X(33, INVALID_STATE) X(34, MSR_LOAD_FAIL) X(36, MWAIT_INSTRUCTION)      \
	X(37, MONITOR_TRAP_FLAG) X(39, MONITOR_INSTRUCTION)                     \
	X(40, PAUSE_INSTRUCTION) X(41, MCE_DURING_VMENTRY)                      \
	X(43, TPR_BELOW_THRESHOLD) X(44, APIC_ACCESS) X(45, EOI_INDUCED)        \
	X(46, GDTR_IDTR) X(47, LDTR_TR) X(48, EPT_VIOLATION)                    \
	X(49, EPT_MISCONFIG) X(50, INVEPT) X(51, RDTSCP)                        \
	X(52, PREEMPTION_TIMER) X(53, INVVPID) X(54, WBINVD) X(55, XSETBV)      \
	X(56, APIC_WRITE) X(57, RDRAND) X(58, INVPCID) X(59, VMFUNC)            \
	X(60, ENCLS) X(61, RDSEED) X(62, PML_FULL) X(63, XSAVES) X(64, XRSTORS) \
	X(65, PCONFIG) X(66, SPP) X(67, UMWAIT) X(68, TPAUSE) X(69, LOADIWKEY)  \
	X(70, ENCLV) X(71, SGX_CONFLICT) X(72, ENQCMD_PASID_FAIL)               \
	X(73, ENQCMDS_PASID_FAIL) X(74, BUS_LOCK) X(75, NOTIFY) X(76, SEAMCALL) \
	X(77, TDCALL) X(78, RDMSRLIST) X(79, WRMSRLIST) X(80, URDMSR) X(81, UWRMSR) \
	X(84, RDMSR_IMM) X(85, WRMSRNS_IMM)

enum vmx_exit_reason {
#define VMX_EXIT_ENUM(n, name) EXIT_REASON_##name = n,
	VMX_EXIT_REASONS(VMX_EXIT_ENUM)
#undef VMX_EXIT_ENUM
};

#define EXIT_REASON_FAILED_VMENTRY 0x80000000u

static inline const char *vmx_exit_reason_name(unsigned n)
{
	switch (n) {
#define VMX_EXIT_CASE(num, name) case num: return #name;
	VMX_EXIT_REASONS(VMX_EXIT_CASE)
#undef VMX_EXIT_CASE
	default: return "RESERVED";
	}
}

#endif
