/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the embedded controller's JSON input
 * (control/controller.c, controller_json.c).
 *
 * Byte 0 picks what the rest of the input is (as JSON text):
 *   0  a network body for network_create (a new network)
 *   1  a network body for network_update of the base network
 *   2  a member body for member_update of the base network's member M
 *   3  a whole saved controller state, for load
 * Each input starts from the same base state (one network with a pool and
 * a route, M recorded and authorized). Whatever the controller accepts
 * must keep its promises: the network's GET posts back without a change,
 * the configs it then builds decode, and its state saves, loads and saves
 * again to the same text. Whatever it refuses must change nothing and come
 * with one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz_common.h"
#include "ztdp_controller.h"
#include "ztdp_crypto.h"
#include "ztdp_netconf.h"

#define MAX_INPUT	(64 * 1024)
#define T0		1800000000000ULL

/* Fixed identities (node c and b of shared/interop/data), so that a
 * crashing input reproduces: the controller, and member M. */
static const char controller_text[] =
	"a05f585b07:0:5e8165f3bb7f58025e96d6a4e928c58b859d4273dbd3630d26ad4ef2b667eb3a"
	"543092af90038415cc77ac46815358648fb2f024759138c82243c952557b95b2:c78b0dc9afaf7a88"
	"5eb666219bce6a2541f141e0ba150e2d5ad212dd52e6d6bb02959a8620e360b2525af65478738945"
	"f0b8ce8e3de677b9b0ad4557b6906842";
static const char member_text[] =
	"3285290482:0:4fb05f723db34f76a2b1375f4b13f51d62394b9a2def27a3f7e3c036c1cd195b"
	"c9998cb44289a64a5bc46cf4004daebf3f9ad02e61e75bdbed9c30fbe64c0a7c";
static const char base_network[] =
	"{\"name\": \"fuzz\", \"v4AssignMode\": {\"zt\": true}, \"ipAssignmentPools\":"
	" [{\"ipRangeStart\": \"10.147.17.100\", \"ipRangeEnd\": \"10.147.17.200\"}],"
	" \"routes\": [{\"target\": \"10.147.17.0/24\"}]}";
/* The rules engine 1.14.1 announces: the network's rules apply. */
static const char meta[] = "v=7\nrevr=1";

static struct {
	struct ztdp_identity ctl_id, member;
	struct ztdp_controller *c, *c2;
	struct ztdp_netconf *nc;
	uint64_t nwid;
	char *base;
	size_t base_len;
} G;

static void setup(void)
{
	struct ztdp_controller_reply rep;
	const char *why;
	char err[256];
	json_t *b;

	CHECK(ztdp_crypto_init(NULL) == 0);
	CHECK(ztdp_identity_from_string(&G.ctl_id, controller_text, &why) == 0);
	CHECK(ztdp_identity_from_string(&G.member, member_text, &why) == 0);
	G.c = ztdp_controller_create(&G.ctl_id);
	G.c2 = ztdp_controller_create(&G.ctl_id);
	G.nc = ztdp_netconf_alloc();
	CHECK(G.c != NULL && G.c2 != NULL && G.nc != NULL);
	G.nwid = G.ctl_id.address << 24 | 1;
	b = json_loads(base_network, 0, NULL);
	CHECK(ztdp_controller_network_create(G.c, G.nwid, b, T0, NULL, err, sizeof(err)) == 0);
	json_decref(b);
	ztdp_controller_request(G.c, T0, G.nwid, &G.member, meta, sizeof(meta) - 1, &rep);
	CHECK(rep.answer == ZTDP_CTL_ANSWER_ACCESS_DENIED);
	b = json_loads("{\"authorized\": true}", 0, NULL);
	CHECK(ztdp_controller_member_update(G.c, G.nwid, G.member.address, b, T0, NULL, err,
					    sizeof(err)) == 0);
	json_decref(b);
	G.base = ztdp_controller_save(G.c, &G.base_len);
	CHECK(G.base != NULL);
}

/* A config the controller answers with must decode as a config. */
static void check_reply(const struct ztdp_controller_reply *rep)
{
	const char *bad;

	if (rep->answer != ZTDP_CTL_ANSWER_CONFIG)
		return;
	CHECK(ztdp_netconf_decode(rep->dict, rep->dict_len, G.nc, &bad) == ZTDP_NETCONF_OK);
	CHECK(G.nc->issued_to == rep->member && G.nc->nwid == rep->nwid);
	CHECK(G.nc->has_com);
}

/* Every network's GET posts back without changing it. */
static void check_round_trips(void)
{
	json_t *list = ztdp_controller_network_list_json(G.c), *v;
	size_t i;

	CHECK(list != NULL);
	json_array_foreach(list, i, v) {
		uint64_t nwid = strtoull(json_string_value(v), NULL, 16);
		json_t *before, *after;
		char err[256];

		CHECK(ztdp_controller_network_get(G.c, nwid, &before, err, sizeof(err)) == 0);
		if (ztdp_controller_network_update(G.c, nwid, before, T0 + 2, &after, err,
						   sizeof(err)) != 0) {
			fprintf(stderr, "GET does not post back: %s\n", err);
			abort();
		}
		CHECK(json_equal(before, after));
		json_decref(before);
		json_decref(after);
	}
	json_decref(list);
}

/* Save, load elsewhere, save: the same text. */
static void check_persistence(void)
{
	char err[256], *a, *b;
	size_t la, lb;

	a = ztdp_controller_save(G.c, &la);
	CHECK(a != NULL);
	if (ztdp_controller_load(G.c2, a, la, err, sizeof(err)) != 0) {
		fprintf(stderr, "saved state does not load: %s\n", err);
		abort();
	}
	b = ztdp_controller_save(G.c2, &lb);
	CHECK(b != NULL && la == lb && memcmp(a, b, la) == 0);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ztdp_controller_reply rep;
	char err[256];
	json_t *body;
	int rc = 0;

	if (size < 1 || size > MAX_INPUT)
		return 0;
	if (G.c == NULL)
		setup();
	CHECK(ztdp_controller_load(G.c, G.base, G.base_len, err, sizeof(err)) == 0);
	if (data[0] % 4 == 3) {
		err[0] = '\0';
		if (ztdp_controller_load(G.c, data + 1, size - 1, err, sizeof(err)) != 0) {
			CHECK(err[0] != '\0' && strchr(err, '\n') == NULL);
			CHECK(ztdp_controller_network_count(G.c) == 0);
			return 0;
		}
	} else {
		body = json_loadb((const char *)data + 1, size - 1, 0, NULL);
		if (body == NULL)
			return 0;
		err[0] = '\0';
		switch (data[0] % 4) {
		case 0:
			rc = ztdp_controller_network_create(G.c, 0, body, T0 + 1, NULL, err,
							    sizeof(err));
			break;
		case 1:
			rc = ztdp_controller_network_update(G.c, G.nwid, body, T0 + 1, NULL, err,
							    sizeof(err));
			break;
		default:
			rc = ztdp_controller_member_update(G.c, G.nwid, G.member.address, body,
							   T0 + 1, NULL, err, sizeof(err));
			break;
		}
		json_decref(body);
		if (rc != 0) {
			size_t len;
			char *now;

			CHECK(rc == ZTDP_CTL_EINVAL && err[0] != '\0' && strchr(err, '\n') == NULL);
			/* Refused: nothing changed. */
			now = ztdp_controller_save(G.c, &len);
			CHECK(now != NULL && len == G.base_len && memcmp(now, G.base, len) == 0);
			free(now);
			return 0;
		}
	}
	check_round_trips();
	/* The member asks (past the rate limit), then a push is built. */
	ztdp_controller_request(G.c, T0 + 5000, G.nwid, &G.member, meta, sizeof(meta) - 1, &rep);
	check_reply(&rep);
	ztdp_controller_config(G.c, T0 + 6000, G.nwid, G.member.address, &rep);
	check_reply(&rep);
	check_persistence();
	return 0;
}
