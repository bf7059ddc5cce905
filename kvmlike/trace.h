/* kvmlike's tracepoints (Linux trace_kvm_exit and the TDX SEAMCALL tracepoints):
 * each call site reports to the sink user space installed, if one is. The
 * scenario tests print their traces from them, identically in both builds. */
#ifndef KVMLIKE_TRACE_H
#define KVMLIKE_TRACE_H

#include <stdbool.h>
#include <stdint.h>

struct kvm_vcpu;

struct kvm_trace_sink {
	/* A VM exit (the basic reason and its qualification) or a TD exit (the
	 * TDH.VP.ENTER status, the exit qualification in RCX). */
	void (*exit)(const struct kvm_vcpu *vcpu, uint64_t reason, uint64_t qual);
	/* A SEAMCALL: the leaf (RAX in) and the status it returned. */
	void (*seamcall)(uint64_t fn, uint64_t status);
};

/* NULL removes the sink. */
void kvm_set_trace_sink(const struct kvm_trace_sink *sink);
bool kvm_trace_enabled(void);
void trace_kvm_exit(const struct kvm_vcpu *vcpu, uint64_t reason, uint64_t qual);
void trace_kvm_seamcall(uint64_t fn, uint64_t status);

#endif
