/* For the audits that check a row's evidence in a test's source: where the source
 * of a ctest is (image/NAME, guest/NAME, unit/NAME), found from this file's own
 * path, and its text. Include after <cmocka.h>; failures are cmocka failures. */
#ifndef VTSIM_TESTS_UNIT_TEST_SOURCES_H
#define VTSIM_TESTS_UNIT_TEST_SOURCES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The path of `test`'s source (malloc'd). */
static inline char *test_source_path(const char *test)
{
	static const struct { const char *prefix, *dir, *ext; } kinds[] = {
		{ "image/", "tests/images/", ".asm" },
		{ "guest/", "guests/", ".asm" },
		{ "unit/", "tests/unit/", ".c" },
	};
	const char *top_end = strstr(__FILE__, "tests/unit/");
	assert_non_null(top_end);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t pl = strlen(kinds[i].prefix);
		if (strncmp(test, kinds[i].prefix, pl))
			continue;
		char *path = malloc(4096);
		snprintf(path, 4096, "%.*s%s%s%s", (int)(top_end - __FILE__), __FILE__,
			 kinds[i].dir, test + pl, kinds[i].ext);
		return path;
	}
	fail_msg("%s: not an image/, guest/ or unit/ test", test);
	return NULL;
}

/* The whole text of `path` (up to 1 MiB, malloc'd, NUL-terminated). */
static inline char *test_source_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s: cannot open", path);
	char *buf = malloc(1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

#endif
