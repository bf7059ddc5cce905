/* VM-entry checks, class ctl: see entry.h. Rows in SDM order. */
#include "sim/vmcs/entry.h"

const struct entry_check entry_checks_ctl[] = {
	{ NULL, NULL, NULL, NULL },
};
const size_t entry_checks_ctl_count = 0;
