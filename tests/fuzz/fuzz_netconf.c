/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: network config decode / encode (section 8.2).
 *
 * Decode the input as a config Dictionary. If accepted, the helpers must
 * answer, and encoding must succeed (unless a capability or rule holds
 * something that cannot be re-encoded); the encoding must decode again and
 * re-encode to the very same bytes (the encoder is canonical).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ztdp_netconf.h"

#define MAX_INPUT	(256 * 1024)
#define ENC_CAP		(ZTDP_DICT_MAX_LEN + 1)

static struct ztdp_netconf *nc, *nc2;
static uint8_t *enc1, *enc2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *bad;
	size_t l1, l2;
	uint64_t bridges[4];
	int rc;

	if (size > MAX_INPUT)
		return 0;
	if (nc == NULL) {
		nc = ztdp_netconf_alloc();
		nc2 = ztdp_netconf_alloc();
		enc1 = malloc(ENC_CAP);
		enc2 = malloc(ENC_CAP);
		CHECK(nc && nc2 && enc1 && enc2);
	}
	rc = ztdp_netconf_decode(data, size, nc, &bad);
	if (rc != ZTDP_NETCONF_OK) {
		CHECK(nc->nwid == 0 && nc->rule_count == 0);
		return 0;
	}
	CHECK(nc->nwid != 0 && nc->issued_to != 0);
	CHECK(nc->version >= ZTDP_NETCONF_VERSION_MIN);
	CHECK(nc->mtu >= ZTDP_VIRTUAL_MTU_MIN && nc->mtu <= ZTDP_VIRTUAL_MTU_MAX);
	CHECK(memchr(nc->name, '\0', sizeof(nc->name)) != NULL);
	(void)ztdp_netconf_active_bridges(nc, bridges, 4);
	(void)ztdp_netconf_specialist_has(nc, nc->issued_to,
					  ZTDP_NETCONF_SPECIALIST_ACTIVE_BRIDGE);
	(void)ztdp_netconf_credential_time_ok(nc, nc->timestamp);

	rc = ztdp_netconf_encode(nc, enc1, ENC_CAP, &l1);
	if (rc == ZTDP_NETCONF_ERULES || rc == ZTDP_NETCONF_ECRED)
		return 0;	/* e.g. an unknown rule too long to keep */
	CHECK(rc == ZTDP_NETCONF_OK);
	rc = ztdp_netconf_decode(enc1, l1, nc2, &bad);
	if (rc != ZTDP_NETCONF_OK) {
		fprintf(stderr, "re-decode failed: %s (%s)\n", ztdp_netconf_strerror(rc),
			bad ? bad : "-");
		abort();
	}
	CHECK(ztdp_netconf_encode(nc2, enc2, ENC_CAP, &l2) == ZTDP_NETCONF_OK);
	CHECK(l1 == l2 && memcmp(enc1, enc2, l1) == 0);
	return 0;
}
