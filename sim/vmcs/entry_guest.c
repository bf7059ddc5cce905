/* VM-entry checks, class guest: see entry.h. Rows in SDM order. */
#include "sim/vmcs/entry.h"

const struct entry_check entry_checks_guest[] = {
	{ NULL, NULL, NULL, NULL },
};
const size_t entry_checks_guest_count = 0;
