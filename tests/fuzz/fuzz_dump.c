/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer harness for ztdp-dump's decode path (apps/dump): link layers,
 * classification, reassembly, key lookup, dearmor, LZ4, verb decoding,
 * frame rebuilding, and the text and JSON printers over every record.
 *
 * Byte 0 selects the entry, the rest is its input:
 *   sel & 3 == 0  one plaintext packet (header, verb, payload) through
 *                 ztdp_dump_decode_plain: the verb decoders and printers,
 *                 which a fuzzer could never reach through dearmor (it
 *                 cannot forge a MAC)
 *   sel & 3 == 1  a stream of datagrams: [u16 length][bytes]..., one
 *                 capture: reassembly, pending/incomplete tracking, relay
 *                 copies, dearmor refusals, HELLO identities
 *   sel & 3 == 2  one link-layer record: byte 1 picks the link type, then
 *                 ztdp_dump_link_to_udp and, if UDP, the datagram path
 *   sel & 3 == 3  like 1, each datagram preceded by a time step byte
 *                 (100 ms units) so entries time out
 * One secret identity is known (ZeroTierOne's selftest identity), so HELLOs
 * addressed to it get as far as the MAC check with the carried key.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "capture.h"
#include "decode.h"
#include "keys.h"
#include "print.h"
#include "ztdp_buf.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2	276
#endif

static const char known_identity[] =
	"8e4df28b72:0:ac3d46abe0c21f3cfe7a6c8d6a85cfcffcb82fbd55af6a4d6350657c"
	"68200843fa2e16f9418bbd9702cae365f2af5fb4c420908b803a681d4daef6114d78a2"
	"d7:bd8dd6e4ce7022d2f812797a80c6ee8ad180dc4ebf301dec8b06d1be08832bddd63"
	"a2f1cfa7b2c504474c75bdc8898ba476ef92e8e2d0509f8441985171ff16e";

static const int dlts[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_NULL, DLT_LOOP, DLT_RAW,
	DLT_IPV4, DLT_IPV6, 147,
};

static struct ztdp_dump_keys *keys;
static struct ztdp_dump_decoder *dec;
static FILE *sink;

static void on_pkt(void *arg, const struct ztdp_dump_pkt *p)
{
	(void)arg;
	ztdp_dump_print_text(sink, p);
	ztdp_dump_print_json(sink, p);
}

static void setup(void)
{
	struct ztdp_dump_config c;
	struct ztdp_identity id;
	const char *why = NULL;

	if (ztdp_crypto_init(NULL) != 0)
		abort();
	keys = ztdp_dump_keys_create();
	sink = fopen("/dev/null", "w");
	if (keys == NULL || sink == NULL ||
	    ztdp_identity_from_string(&id, known_identity, &why) != 0 ||
	    ztdp_dump_keys_add(keys, &id, ZTDP_DUMP_ID_GIVEN) != ZTDP_DUMP_ID_NEW)
		abort();
	ztdp_identity_clear(&id);
	ztdp_dump_config_default(&c);
	c.keys = keys;
	c.emit = on_pkt;
	/* Learning would grow the store run after run; HELLOs still get
	 * their one-off key from the identity they carry. */
	c.learn = false;
	c.reasm_entries = 8;
	dec = ztdp_dump_decoder_create(&c);
	if (dec == NULL)
		abort();
}

static void datagram(const uint8_t *p, size_t n, uint64_t t)
{
	struct ztdp_dump_dgram g;

	memset(&g, 0, sizeof(g));
	g.time_us = t;
	g.src.family = g.dst.family = 4;
	g.src.port = g.dst.port = 9993;
	g.src.ip[3] = 1;
	g.dst.ip[3] = 2;
	g.data = p;
	g.len = n;
	ztdp_dump_decode_datagram(dec, &g);
}

/* Each datagram in a buffer of its own, so ASan sees any overread. */
static void stream(const uint8_t *d, size_t size, bool timed)
{
	uint64_t t = 1700000000000000ULL;

	while (size >= (timed ? 3u : 2u)) {
		size_t n;
		uint8_t *copy;

		if (timed) {
			t += (uint64_t)d[0] * 100000;
			d++;
			size--;
		}
		n = ztdp_load_be16(d);
		d += 2;
		size -= 2;
		if (n > size)
			n = size;
		copy = malloc(n ? n : 1);
		if (copy == NULL)
			abort();
		memcpy(copy, d, n);
		datagram(copy, n, t);
		free(copy);
		d += n;
		size -= n;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_dump_dgram g;
	struct ztdp_dump_udp u;

	if (dec == NULL)
		setup();
	if (size < 1)
		return 0;
	ztdp_dump_decoder_reset(dec);
	switch (data[0] & 3) {
	case 0:
		memset(&g, 0, sizeof(g));
		g.data = data + 1;
		g.len = size - 1;
		ztdp_dump_decode_plain(dec, &g);
		break;
	case 1:
		stream(data + 1, size - 1, false);
		break;
	case 2:
		if (size < 2)
			return 0;
		if (ztdp_dump_link_to_udp(dlts[data[1] % (sizeof(dlts) / sizeof(dlts[0]))],
					  data + 2, size - 2, &u) == ZTDP_DUMP_LINK_UDP)
			datagram(u.data, u.len, 1700000000000000ULL);
		break;
	case 3:
		stream(data + 1, size - 1, true);
		break;
	}
	ztdp_dump_decoder_finish(dec);
	return 0;
}
