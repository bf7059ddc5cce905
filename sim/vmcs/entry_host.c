/* VM-entry checks, class host: see entry.h. Rows in SDM order. */
#include "sim/vmcs/entry.h"

const struct entry_check entry_checks_host[] = {
	{ NULL, NULL, NULL, NULL },
};
const size_t entry_checks_host_count = 0;
