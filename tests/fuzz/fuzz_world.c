/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: worlds (section 7).
 *
 * Parse the input as a planet/moon file. The decoder is strict so that
 * every world it accepts re-encodes to exactly the input; the signature
 * checks and the update rule (against the default planet and itself) must
 * give defined answers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ztdp_world earth, w;
	static uint8_t out[ZTDP_WORLD_MAX_LEN];
	static bool loaded;
	struct ztdp_wr wr;
	int rc;

	if (!loaded) {
		CHECK(ztdp_planet_default_load(&earth) == ZTDP_WORLD_OK);
		loaded = true;
	}
	if (size > ZTDP_WORLD_MAX_LEN)
		return 0;
	rc = ztdp_world_parse(data, size, &w);
	if (rc != ZTDP_WORLD_OK) {
		CHECK(w.root_count == 0);
		return 0;
	}
	CHECK(w.root_count <= ZTDP_WORLD_MAX_ROOTS);
	CHECK(ztdp_world_size(&w) == size);
	ztdp_wr_init(&wr, out, sizeof(out));
	CHECK(ztdp_world_encode(&wr, &w) == ZTDP_WORLD_OK);
	CHECK(wr.off == size && memcmp(out, data, size) == 0);
	(void)ztdp_world_verify_self(&w);
	(void)ztdp_world_should_replace(&earth, &w);
	(void)ztdp_world_should_replace(&w, &earth);
	(void)ztdp_world_find_root(&w, 0);
	return 0;
}
