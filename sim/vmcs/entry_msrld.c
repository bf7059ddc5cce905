/* VM-entry checks, class msrld: see entry.h. Rows in SDM order. */
#include "sim/vmcs/entry.h"

const struct entry_check entry_checks_msrld[] = {
	{ NULL, NULL, NULL, NULL },
};
const size_t entry_checks_msrld_count = 0;
