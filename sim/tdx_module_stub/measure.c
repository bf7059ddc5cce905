/* TD measurement: MRTD is one SHA-384 over 128-byte blocks that TDH.MEM.PAGE.ADD
 * and TDH.MR.EXTEND add while the TD is built, finalized by TDH.MR.FINALIZE; an
 * RTMR is extended as RTMR = SHA-384(RTMR || data). The running hash state lives in
 * the TDCS, as the module keeps it. */
#define OPENSSL_SUPPRESS_DEPRECATED   /* the SHA512_CTX state is what the TDCS stores */
#include <openssl/sha.h>
#include <string.h>

#include "sim/tdx_module_stub/td.h"

_Static_assert(sizeof(SHA512_CTX) <= sizeof(((struct tdcs *)0)->mrtd_state),
	       "the TDCS has room for the SHA-384 state");

void td_mrtd_init(struct tdcs *c)
{
	SHA512_CTX ctx;
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
