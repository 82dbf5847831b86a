/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "test_util.h"
#include "ztdp_hex.h"

static void test_hex_round_trip(void **state)
{
	uint8_t in[256], out[256];
	char text[513];

	(void)state;
	for (int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	ztdp_hex_encode(in, sizeof(in), text);
	assert_int_equal(strlen(text), 512);
	assert_memory_equal(text, "000102", 6);
	assert_memory_equal(text + 506, "fdfeff", 6);
	assert_int_equal(ztdp_hex_decode(text, 512, out, sizeof(out)), 256);
	assert_memory_equal(in, out, sizeof(in));
}

static void test_hex_rejects_bad_input(void **state)
{
	uint8_t out[4];

	(void)state;
	assert_int_equal(ztdp_hex_decode("0g", 2, out, 1), -1);
	assert_int_equal(ztdp_hex_decode("abc", 3, out, 2), -1);
	assert_int_equal(ztdp_hex_decode(" 1", 2, out, 1), -1);
	assert_int_equal(ztdp_hex_decode("AbCd", 4, out, 2), 2);
	assert_int_equal(out[0], 0xab);
	assert_int_equal(out[1], 0xcd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_round_trip),
		cmocka_unit_test(test_hex_rejects_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
