/* The VMX control bits, one name each (Linux's spelling, so grep finds them there too),
 * with what setting them does. Used by the capability MSRs, the VM-entry checks and the
 * exit logic alike. The *_ALWAYSON_WITHOUT_TRUE_MSR values are the default1 classes. */
#ifndef VTSIM_VMCS_CONTROLS_H
#define VTSIM_VMCS_CONTROLS_H

#define VMX_CTL_BIT(n) (1u << (n))

/* ---- Pin-based VM-execution controls (481H / 48DH) ---- */
#define PIN_BASED_EXT_INTR_MASK        VMX_CTL_BIT(0)  /* external interrupts cause VM exits */
#define PIN_BASED_NMI_EXITING          VMX_CTL_BIT(3)  /* NMIs cause VM exits */
#define PIN_BASED_VIRTUAL_NMIS         VMX_CTL_BIT(5)  /* NMI blocking is virtualized */
#define PIN_BASED_VMX_PREEMPTION_TIMER VMX_CTL_BIT(6)  /* the preemption timer counts down in the guest */
#define PIN_BASED_POSTED_INTR          VMX_CTL_BIT(7)  /* posted-interrupt descriptors are processed */
/* Bits 1, 2, 4: reserved, default1. */
#define PIN_BASED_ALWAYSON_WITHOUT_TRUE_MSR 0x00000016u

/* ---- Primary processor-based VM-execution controls (482H / 48EH) ---- */
#define CPU_BASED_INTR_WINDOW_EXITING  VMX_CTL_BIT(2)  /* exit when the guest can take interrupts */
#define CPU_BASED_USE_TSC_OFFSETTING   VMX_CTL_BIT(3)  /* RDTSC/RDTSCP/IA32_TSC reads add TSC offset */
#define CPU_BASED_HLT_EXITING          VMX_CTL_BIT(7)
#define CPU_BASED_INVLPG_EXITING       VMX_CTL_BIT(9)
#define CPU_BASED_MWAIT_EXITING        VMX_CTL_BIT(10)
#define CPU_BASED_RDPMC_EXITING        VMX_CTL_BIT(11)
#define CPU_BASED_RDTSC_EXITING        VMX_CTL_BIT(12)
#define CPU_BASED_CR3_LOAD_EXITING     VMX_CTL_BIT(15) /* default1; clearable per the TRUE MSR */
#define CPU_BASED_CR3_STORE_EXITING    VMX_CTL_BIT(16) /* default1; clearable per the TRUE MSR */
#define CPU_BASED_ACTIVATE_TERTIARY_CONTROLS VMX_CTL_BIT(17)
#define CPU_BASED_CR8_LOAD_EXITING     VMX_CTL_BIT(19)
#define CPU_BASED_CR8_STORE_EXITING    VMX_CTL_BIT(20)
#define CPU_BASED_TPR_SHADOW           VMX_CTL_BIT(21) /* CR8/TPR accesses use the virtual-APIC page */
#define CPU_BASED_NMI_WINDOW_EXITING   VMX_CTL_BIT(22) /* exit when virtual NMIs are unblocked */
#define CPU_BASED_MOV_DR_EXITING       VMX_CTL_BIT(23)
#define CPU_BASED_UNCOND_IO_EXITING    VMX_CTL_BIT(24) /* every I/O instruction exits */
#define CPU_BASED_USE_IO_BITMAPS       VMX_CTL_BIT(25) /* I/O bitmaps decide which ports exit */
#define CPU_BASED_MONITOR_TRAP_FLAG    VMX_CTL_BIT(27) /* exit after each guest instruction */
#define CPU_BASED_USE_MSR_BITMAPS      VMX_CTL_BIT(28) /* MSR bitmaps decide which RDMSR/WRMSR exit */
#define CPU_BASED_MONITOR_EXITING      VMX_CTL_BIT(29)
#define CPU_BASED_PAUSE_EXITING        VMX_CTL_BIT(30)
#define CPU_BASED_ACTIVATE_SECONDARY_CONTROLS VMX_CTL_BIT(31)
/* Bits 1, 4-6, 8, 13-16, 26: default1 (15 and 16 are the CR3 exits above). */
#define CPU_BASED_ALWAYSON_WITHOUT_TRUE_MSR 0x0401E172u

/* ---- Secondary processor-based VM-execution controls (48BH) ---- */
#define SECONDARY_EXEC_VIRTUALIZE_APIC_ACCESSES VMX_CTL_BIT(0) /* APIC-access page accesses are virtualized */
#define SECONDARY_EXEC_ENABLE_EPT      VMX_CTL_BIT(1)
#define SECONDARY_EXEC_DESC            VMX_CTL_BIT(2)  /* LGDT/LIDT/LLDT/LTR/SxDT/STR exit */
#define SECONDARY_EXEC_ENABLE_RDTSCP   VMX_CTL_BIT(3)  /* else RDTSCP is #UD in the guest */
#define SECONDARY_EXEC_VIRTUALIZE_X2APIC_MODE VMX_CTL_BIT(4) /* x2APIC MSR accesses use the virtual APIC */
#define SECONDARY_EXEC_ENABLE_VPID     VMX_CTL_BIT(5)  /* guest TLB entries are tagged with a VPID */
#define SECONDARY_EXEC_WBINVD_EXITING  VMX_CTL_BIT(6)
#define SECONDARY_EXEC_UNRESTRICTED_GUEST VMX_CTL_BIT(7) /* guest may run unpaged or in real mode */
#define SECONDARY_EXEC_APIC_REGISTER_VIRT VMX_CTL_BIT(8) /* APIC register reads come from the virtual APIC */
#define SECONDARY_EXEC_VIRTUAL_INTR_DELIVERY VMX_CTL_BIT(9) /* virtual interrupts are evaluated and delivered */
#define SECONDARY_EXEC_PAUSE_LOOP_EXITING VMX_CTL_BIT(10) /* a long PAUSE loop exits (PLE_Gap/Window) */
#define SECONDARY_EXEC_RDRAND_EXITING  VMX_CTL_BIT(11) /* RDRAND exits (reason 57) */
#define SECONDARY_EXEC_ENABLE_INVPCID  VMX_CTL_BIT(12) /* else INVPCID is #UD in the guest */
#define SECONDARY_EXEC_ENABLE_VMFUNC   VMX_CTL_BIT(13) /* VMFUNC executes in the guest */
#define SECONDARY_EXEC_SHADOW_VMCS     VMX_CTL_BIT(14) /* guest VMREAD/VMWRITE use a shadow VMCS */
#define SECONDARY_EXEC_RDSEED_EXITING  VMX_CTL_BIT(16) /* RDSEED exits (reason 61) */
#define SECONDARY_EXEC_ENABLE_PML      VMX_CTL_BIT(17) /* guest-physical writes are logged */
#define SECONDARY_EXEC_EPT_VIOLATION_VE VMX_CTL_BIT(18) /* some EPT violations become #VE in the guest */
#define SECONDARY_EXEC_TSC_SCALING     VMX_CTL_BIT(25) /* guest TSC reads are multiplied */

/* ---- Tertiary processor-based VM-execution controls (492H, allowed-1 only) ---- */
#define TERTIARY_EXEC_IPI_VIRT         BIT64(4) /* guest x2APIC ICR writes post IPIs directly */

/* ---- Primary VM-exit controls (483H / 48FH) ---- */
#define VM_EXIT_SAVE_DEBUG_CONTROLS    VMX_CTL_BIT(2)  /* default1; clearable per the TRUE MSR */
#define VM_EXIT_HOST_ADDR_SPACE_SIZE   VMX_CTL_BIT(9)  /* return to a 64-bit host */
#define VM_EXIT_ACK_INTR_ON_EXIT       VMX_CTL_BIT(15) /* acknowledge the interrupt, save its vector */
#define VM_EXIT_SAVE_IA32_PAT          VMX_CTL_BIT(18)
#define VM_EXIT_LOAD_IA32_PAT          VMX_CTL_BIT(19)
#define VM_EXIT_SAVE_IA32_EFER         VMX_CTL_BIT(20)
#define VM_EXIT_LOAD_IA32_EFER         VMX_CTL_BIT(21)
#define VM_EXIT_SAVE_VMX_PREEMPTION_TIMER VMX_CTL_BIT(22)
#define VM_EXIT_ACTIVATE_SECONDARY_CONTROLS VMX_CTL_BIT(31)
/* Bits 0-8, 10, 11, 13, 14, 16, 17: default1 (2 is "save debug controls"). */
#define VM_EXIT_ALWAYSON_WITHOUT_TRUE_MSR 0x00036DFFu

/* ---- VM-entry controls (484H / 490H) ---- */
#define VM_ENTRY_LOAD_DEBUG_CONTROLS   VMX_CTL_BIT(2)  /* default1; clearable per the TRUE MSR */
#define VM_ENTRY_IA32E_MODE            VMX_CTL_BIT(9)  /* the guest runs in IA-32e mode */
#define VM_ENTRY_TO_SMM                VMX_CTL_BIT(10) /* the entry stays in SMM */
#define VM_ENTRY_DEACTIVATE_DUAL_MONITOR VMX_CTL_BIT(11) /* ends the dual-monitor treatment */
#define VM_ENTRY_LOAD_IA32_PAT         VMX_CTL_BIT(14)
#define VM_ENTRY_LOAD_IA32_EFER        VMX_CTL_BIT(15)
/* Bits 0-8, 12: default1 (2 is "load debug controls"). */
#define VM_ENTRY_ALWAYSON_WITHOUT_TRUE_MSR 0x000011FFu

#endif
