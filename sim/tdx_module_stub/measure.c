/* TD measurement and attestation: MRTD is one SHA-384 over 128-byte blocks that TDH.MEM.PAGE.ADD
 * and TDH.MR.EXTEND add while the TD is built, finalized by TDH.MR.FINALIZE; an
 * RTMR is extended as RTMR = SHA-384(RTMR || data). The running hash state lives in
 * the TDCS, as the module keeps it. TDG.MR.REPORT's TDREPORT carries them (TDINFO),
 * the module's identity (TEE_TCB_INFO) and the caller's REPORTDATA, with a MAC
 * that only the platform can make and check (REPORTMACSTRUCT). */
#define OPENSSL_SUPPRESS_DEPRECATED   /* the SHA512_CTX state is what the TDCS stores */
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <string.h>

#include "sim/tdx_module_stub/td.h"

_Static_assert(sizeof(SHA512_CTX) <= sizeof(((struct tdcs *)0)->mrtd_state),
	       "the TDCS has room for the SHA-384 state");

void td_mrtd_init(struct tdcs *c)
{
	/* Zeroed first: SHA384_Init leaves the block buffer as it was, and the state
	 * goes into the TDCS page, whose bytes must not depend on the host's stack. */
	SHA512_CTX ctx = { 0 };
	SHA384_Init(&ctx);
	memcpy(c->mrtd_state, &ctx, sizeof(ctx));
	memset(c->mrtd, 0, sizeof(c->mrtd));
}

void td_mrtd_extend(struct tdcs *c, const void *block, size_t len)
{
	SHA512_CTX ctx;
	memcpy(&ctx, c->mrtd_state, sizeof(ctx));
	SHA384_Update(&ctx, block, len);
	memcpy(c->mrtd_state, &ctx, sizeof(ctx));
}

void td_mrtd_finalize(struct tdcs *c)
{
	SHA512_CTX ctx;
	memcpy(&ctx, c->mrtd_state, sizeof(ctx));
	SHA384_Final(c->mrtd, &ctx);
}

void td_rtmr_extend(struct tdcs *c, unsigned index, const uint8_t data[48])
{
	uint8_t buf[96];
	memcpy(buf, c->rtmr[index], 48);
	memcpy(buf + 48, data, 48);
	SHA384(buf, sizeof(buf), c->rtmr[index]);
}

/* TDREPORT layout (TDX module ABI): REPORTMACSTRUCT at 0 (256 bytes), TEE_TCB_INFO
 * at 256 (239 bytes, then 17 reserved), TDINFO at 512 (512 bytes). */
enum {
	RM_TYPE = 0, RM_CPUSVN = 16, RM_TEE_TCB_INFO_HASH = 32, RM_TEE_INFO_HASH = 80,
	RM_REPORTDATA = 128, RM_MAC = 224, RM_MACED_BYTES = 224,
	TCB = 256, TCB_VALID = TCB + 0, TCB_SVN = TCB + 8, TCB_MRSEAM = TCB + 24, TCB_SIZE = 239,
	TDI = 512, TDI_ATTRIBUTES = TDI, TDI_XFAM = TDI + 8, TDI_MRTD = TDI + 16,
	TDI_MRCONFIGID = TDI + 64, TDI_MROWNER = TDI + 112, TDI_MROWNERCONFIG = TDI + 160,
	TDI_RTMR = TDI + 208, TDI_SIZE = 512,
};

/* The platform's report key: fixed, so that runs are reproducible; nothing
 * outside SEAM can read it. */
static void report_key(uint8_t key[32])
{
	SHA256((const uint8_t *)"vtsim simulated TDX platform report key", 39, key);
}

static void report_mac(const uint8_t report[1024], uint8_t mac[32])
{
	uint8_t key[32];
	unsigned len = 32;
	report_key(key);
	HMAC(EVP_sha256(), key, sizeof(key), report, RM_MACED_BYTES, mac, &len);
}

void td_build_report(const struct tdcs *c, const uint8_t reportdata[64], uint8_t r[1024])
{
	memset(r, 0, 1024);
	r[RM_TYPE] = 0x81;                        /* TDX; subtype 0, version 0 */
	memcpy(r + TCB_VALID, "\xff\xff\x01\x00\x00\x00\x00\x00", 8);
	r[TCB_SVN] = 5;                           /* module 1.5 */
	r[TCB_SVN + 1] = 1;
	SHA384((const uint8_t *)"vtsim TDX module", 16, r + TCB_MRSEAM);
	memcpy(r + TDI_ATTRIBUTES, &c->attributes, 8);
	memcpy(r + TDI_XFAM, &c->xfam, 8);
	memcpy(r + TDI_MRTD, c->mrtd, 48);
	memcpy(r + TDI_MRCONFIGID, c->mrconfigid, 48);
	memcpy(r + TDI_MROWNER, c->mrowner, 48);
	memcpy(r + TDI_MROWNERCONFIG, c->mrownerconfig, 48);
	memcpy(r + TDI_RTMR, c->rtmr, sizeof(c->rtmr));
	SHA384(r + TCB, TCB_SIZE, r + RM_TEE_TCB_INFO_HASH);
	SHA384(r + TDI, TDI_SIZE, r + RM_TEE_INFO_HASH);
	memcpy(r + RM_REPORTDATA, reportdata, 64);
	report_mac(r, r + RM_MAC);
}

bool tdx_report_verify(const uint8_t report[1024])
{
	uint8_t mac[32], h[48];
	report_mac(report, mac);
	if (CRYPTO_memcmp(mac, report + RM_MAC, 32))
		return false;
	/* The MAC covers the hashes: they must be those of what the report says. */
	SHA384(report + TCB, TCB_SIZE, h);
	if (memcmp(h, report + RM_TEE_TCB_INFO_HASH, 48))
		return false;
	SHA384(report + TDI, TDI_SIZE, h);
	return !memcmp(h, report + RM_TEE_INFO_HASH, 48);
}
