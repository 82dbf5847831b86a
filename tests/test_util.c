/* SPDX-License-Identifier: BSD-3-Clause */
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ztdp_hex.h"

const char *ztdp_test_shared_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("ZTDP_SHARED_DIR");

	if (dir == NULL || *dir == '\0')
		dir = "../shared";
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return path;
}

bool ztdp_test_have_shared(const char *rel)
{
	struct stat st;
	const char *path = ztdp_test_shared_path(rel);

	if (stat(path, &st) == 0)
		return true;
	print_message("SKIP: %s is absent (set ZTDP_SHARED_DIR to the shared/ folder)\n",
		      path);
	return false;
}

json_t *ztdp_test_load_json(const char *rel)
{
	json_error_t err;
	json_t *root = json_load_file(ztdp_test_shared_path(rel), 0, &err);

	if (root == NULL)
		fail_msg("%s: line %d: %s", rel, err.line, err.text);
	return root;
}

uint8_t *ztdp_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n = 0;

	if (f == NULL)
		fail_msg("cannot open %s", path);
	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		fail_msg("cannot size %s", path);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("short read on %s", path);
	buf[n] = 0;
	fclose(f);
	*len = (size_t)n;
	return buf;
}

uint8_t *ztdp_test_unhex(const char *hex, size_t *len)
{
	size_t hlen = strlen(hex);
	uint8_t *out;

	if (hlen % 2 != 0)
		fail_msg("odd-length hex string");
	out = malloc(hlen / 2 + 1);
	assert_non_null(out);
	if (ztdp_hex_decode(hex, hlen, out, hlen / 2) < 0)
		fail_msg("bad hex: %.40s", hex);
	*len = hlen / 2;
	return out;
}

void ztdp_test_unhex_exact(const char *hex, uint8_t *out, size_t n)
{
	if (strlen(hex) != 2 * n)
		fail_msg("hex of %zu chars, wanted %zu bytes", strlen(hex), n);
	if (ztdp_hex_decode(hex, 2 * n, out, n) < 0)
		fail_msg("bad hex: %.40s", hex);
}

const char *ztdp_test_json_str(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	if (s == NULL)
		fail_msg("JSON key '%s' missing or not a string", key);
	return s;
}
