/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Capabilities (section 9.4): byte-exact round trips and signature checks
 * against capabilities and rule lists serialized and signed by ZeroTierOne
 * 1.14.1 itself (tests/data/rules/zt1141-vectors.txt, see its header), our
 * own signing compared with 1.14.1's (Ed25519 is deterministic), chain of
 * custody rules, and malformed input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_util.h"
#include "ztdp_buf.h"
#include "ztdp_capability.h"
#include "ztdp_crypto.h"
#include "ztdp_identity.h"
#include "ztdp_rules.h"
#include "ztdp_wire.h"

#define VECTORS_REL	"tests/data/rules/zt1141-vectors.txt"
#define IDENTITY_DIR	"interop/data-bridge/identities/"
#define NWID		0x7a4d39540c063f74ULL
#define NODE_ROOT	0x7a4d39540cULL
#define NODE_A		0x0265755a25ULL
#define NODE_B		0x9c1c357ba4ULL

/* ---- Vectors ---------------------------------------------------------------- */

struct vectors {
	struct ztdp_identity root, a, b;	/* public keys */
	unsigned int rule_count;
	uint8_t *rules, *cap1, *cap1_msg, *cap2;
	size_t rules_len, cap1_len, cap1_msg_len, cap2_len;
};

static struct vectors vec;

static const char *source_path(const char *rel)
{
	static char path[4096];
	const char *dir = getenv("ZTDP_SOURCE_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "..", rel);
	return path;
}

static void parse_identity(struct ztdp_identity *id, const char *text)
{
	const char *why = NULL;

	if (ztdp_identity_from_string(id, text, &why) != 0)
		fail_msg("identity: %s", why);
}

static int setup(void **state)
{
	size_t len;
	char *text, *line, *save = NULL;

	(void)state;
	if (ztdp_crypto_init(NULL) != 0)
		return -1;
	memset(&vec, 0, sizeof(vec));
	text = (char *)ztdp_test_read_file(source_path(VECTORS_REL), &len);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');

		if (line[0] == '#' || val == NULL)
			continue;
		*val++ = '\0';
		if (strcmp(line, "root_public") == 0)
			parse_identity(&vec.root, val);
		else if (strcmp(line, "a_public") == 0)
			parse_identity(&vec.a, val);
		else if (strcmp(line, "b_public") == 0)
			parse_identity(&vec.b, val);
		else if (strcmp(line, "rule_count") == 0)
			vec.rule_count = (unsigned int)strtoul(val, NULL, 10);
		else if (strcmp(line, "rules") == 0)
			vec.rules = ztdp_test_unhex(val, &vec.rules_len);
		else if (strcmp(line, "cap1") == 0)
			vec.cap1 = ztdp_test_unhex(val, &vec.cap1_len);
		else if (strcmp(line, "cap1_signed_message") == 0)
			vec.cap1_msg = ztdp_test_unhex(val, &vec.cap1_msg_len);
		else if (strcmp(line, "cap2") == 0)
			vec.cap2 = ztdp_test_unhex(val, &vec.cap2_len);
	}
	free(text);
	if (vec.rules == NULL || vec.cap1 == NULL || vec.cap1_msg == NULL ||
	    vec.cap2 == NULL || vec.root.address != NODE_ROOT)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(vec.rules);
	free(vec.cap1);
	free(vec.cap1_msg);
	free(vec.cap2);
	return 0;
}

static void decode_ok(const uint8_t *p, size_t len, struct ztdp_capability *cap)
{
	struct ztdp_rd r;

	ztdp_rd_init(&r, p, len);
	assert_int_equal(ztdp_capability_decode(&r, cap), ZTDP_CAP_OK);
	assert_int_equal(ztdp_rd_left(&r), 0);
}

static void assert_encodes_to(const struct ztdp_capability *cap,
			      const uint8_t *want, size_t len)
{
	static uint8_t out[8192];
	struct ztdp_wr w;

	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_capability_encode(&w, cap), ZTDP_CAP_OK);
	assert_int_equal(w.off, len);
	assert_memory_equal(out, want, len);
}

static const struct ztdp_identity *lookup_a(void *ctx, uint64_t address)
{
	(void)ctx;
	return address == NODE_A ? &vec.a : NULL;
}

/* ---- Tests -------------------------------------------------------------------- */

/* 1.14.1's serializeRules output for every rule type (and an unknown one,
 * which it writes with length 0) decodes and re-encodes byte for byte. */
static void test_1141_rule_list(void **state)
{
	struct ztdp_rule rules[64];
	uint8_t out[1024];
	unsigned int n = 0;
	struct ztdp_rd r;
	struct ztdp_wr w;
	bool seen[64] = { false };

	(void)state;
	ztdp_rd_init(&r, vec.rules, vec.rules_len);
	assert_int_equal(ztdp_rules_decode_all(&r, rules, 64, &n), ZTDP_RULES_OK);
	assert_int_equal(n, vec.rule_count);
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_rules_encode(&w, rules, n), ZTDP_RULES_OK);
	assert_int_equal(w.off, vec.rules_len);
	assert_memory_equal(out, vec.rules, w.off);
	for (unsigned int i = 0; i < n; i++)
		seen[rules[i].t & ZTDP_RULE_TYPE_MASK] = true;
	for (unsigned int t = 0; t <= ZTDP_RULE_MATCH_INTEGER_RANGE; t++)
		if (strcmp(ztdp_rule_type_name(t), "UNKNOWN") != 0)
			assert_true(seen[t]);
	/* A few values, as the oracle set them. */
	assert_int_equal(rules[2].v.fwd.address, 0x1122334455ULL);
	assert_int_equal(rules[2].v.fwd.flags, 0xdeadbeef);
	assert_int_equal(rules[6].t, ZTDP_RULE_ACTION_PRIORITY);
	assert_int_equal(rules[8].t, ZTDP_RULE_FLAG_NOT | ZTDP_RULE_MATCH_DEST_ZEROTIER_ADDRESS);
	assert_int_equal(rules[8].v.zt, NODE_B);
	assert_int_equal(rules[34].v.int_range.start, 9);
	assert_int_equal(rules[34].v.int_range.end, 20);	/* start + 11 */
	assert_int_equal(rules[34].v.int_range.format, 0x8f);
	assert_int_equal(rules[35].t, 20);
	assert_int_equal(rules[35].raw_len, 0);
}

static void test_1141_capabilities(void **state)
{
	static struct ztdp_capability c1, c2;
	static uint8_t msg[4096];
	uint64_t need = 0;
	int len;

	(void)state;
	decode_ok(vec.cap1, vec.cap1_len, &c1);
	assert_int_equal(c1.nwid, NWID);
	assert_int_equal(c1.ts, 1795309500000ULL);
	assert_int_equal(c1.id, 7);
	assert_int_equal(c1.rule_count, 30);
	assert_int_equal(c1.max_custody, 1);
	assert_int_equal(c1.custody_count, 1);
	assert_int_equal(c1.custody[0].to, NODE_A);
	assert_int_equal(c1.custody[0].from, NODE_ROOT);
	assert_int_equal(c1.custody[0].sig_type, ZTDP_CRED_SIG_TYPE_C25519);
	assert_int_equal(ztdp_capability_issued_to(&c1), NODE_A);
	assert_encodes_to(&c1, vec.cap1, vec.cap1_len);

	len = ztdp_capability_signing_message(&c1, msg, sizeof(msg));
	assert_int_equal(len, (int)vec.cap1_msg_len);
	assert_memory_equal(msg, vec.cap1_msg, vec.cap1_msg_len);
	assert_int_equal(ztdp_capability_signing_message(&c1, msg, (size_t)len - 1),
			 ZTDP_CAP_E_NOSPACE);

	assert_int_equal(ztdp_capability_verify(&c1, &vec.root, NULL, NULL, NULL),
			 ZTDP_CAP_VERIFY_OK);
	/* Wrong controller key under the right address. */
	{
		struct ztdp_identity fake = vec.b;

		fake.address = NODE_ROOT;
		assert_int_equal(ztdp_capability_verify(&c1, &fake, NULL, NULL, NULL),
				 ZTDP_CAP_VERIFY_BAD);
	}
	/* Unknown controller identity: WHOIS it. */
	assert_int_equal(ztdp_capability_verify(&c1, NULL, NULL, NULL, &need),
			 ZTDP_CAP_VERIFY_WHOIS);
	assert_int_equal(need, NODE_ROOT);

	decode_ok(vec.cap2, vec.cap2_len, &c2);
	assert_int_equal(c2.id, 0x10203040);
	assert_int_equal(c2.max_custody, 3);
	assert_int_equal(c2.custody_count, 2);
	assert_int_equal(c2.custody[1].from, NODE_A);
	assert_int_equal(c2.custody[1].to, NODE_B);
	assert_int_equal(ztdp_capability_issued_to(&c2), NODE_B);
	assert_encodes_to(&c2, vec.cap2, vec.cap2_len);
	need = 0;
	assert_int_equal(ztdp_capability_verify(&c2, &vec.root, NULL, NULL, &need),
			 ZTDP_CAP_VERIFY_WHOIS);
	assert_int_equal(need, NODE_A);
	assert_int_equal(ztdp_capability_verify(&c2, &vec.root, lookup_a, NULL, NULL),
			 ZTDP_CAP_VERIFY_OK);
}

/* Any changed byte spoils the capability -- except the custody entry's
 * `to`: the custody signatures cover the capability without its chain, so
 * (in 1.14.1 too) the recipient address is not authenticated. */
static void test_tamper(void **state)
{
	static struct ztdp_capability c;
	static uint8_t buf[8192];
	/* cap1 ends: to 5, from 5, type 1, len 2, sig 96, zero to 5, ext 2. */
	const size_t to_at = vec.cap1_len - 2 - 5 - 96 - 2 - 1 - 5 - 5;
	unsigned int verified = 0;

	(void)state;
	for (size_t i = 0; i < vec.cap1_len; i++) {
		struct ztdp_rd r;
		int rc;

		memcpy(buf, vec.cap1, vec.cap1_len);
		buf[i] ^= 0x01;
		ztdp_rd_init(&r, buf, vec.cap1_len);
		if (ztdp_capability_decode(&r, &c) != ZTDP_CAP_OK)
			continue;	/* the flip broke the structure */
		rc = ztdp_capability_verify(&c, &vec.root, lookup_a, NULL, NULL);
		if (i >= to_at && i < to_at + 5) {
			assert_int_equal(rc, ZTDP_CAP_VERIFY_OK);
			assert_int_not_equal(ztdp_capability_issued_to(&c), NODE_A);
			verified++;
		} else if (rc == ZTDP_CAP_VERIFY_OK) {
			fail_msg("flip of byte %zu still verifies", i);
		}
	}
	assert_int_equal(verified, 5);
}

/* Our signatures are 1.14.1's signatures. */
static void test_sign_like_1141(void **state)
{
	static struct ztdp_capability c, mine;
	struct ztdp_identity root, a;
	size_t len;
	char *text;
	const char *why;

	(void)state;
	if (!ztdp_test_have_shared(IDENTITY_DIR "root.identity.secret"))
		skip();
	text = (char *)ztdp_test_read_file(
		ztdp_test_shared_path(IDENTITY_DIR "root.identity.secret"), &len);
	text[strcspn(text, "\r\n")] = '\0';
	assert_int_equal(ztdp_identity_from_string(&root, text, &why), 0);
	free(text);
	text = (char *)ztdp_test_read_file(
		ztdp_test_shared_path(IDENTITY_DIR "a.identity.secret"), &len);
	text[strcspn(text, "\r\n")] = '\0';
	assert_int_equal(ztdp_identity_from_string(&a, text, &why), 0);
	free(text);

	decode_ok(vec.cap1, vec.cap1_len, &c);
	mine = c;
	mine.custody_count = 0;
	memset(mine.custody, 0, sizeof(mine.custody));
	assert_int_equal(ztdp_capability_sign(&mine, &root, NODE_A), ZTDP_CAP_OK);
	assert_encodes_to(&mine, vec.cap1, vec.cap1_len);
	/* The chain is full at max 1. */
	assert_int_equal(ztdp_capability_sign(&mine, &a, NODE_B), ZTDP_CAP_E_INVAL);

	decode_ok(vec.cap2, vec.cap2_len, &c);
	mine = c;
	mine.custody_count = 0;
	memset(mine.custody, 0, sizeof(mine.custody));
	assert_int_equal(ztdp_capability_sign(&mine, &root, NODE_A), ZTDP_CAP_OK);
	assert_int_equal(ztdp_capability_sign(&mine, &a, NODE_B), ZTDP_CAP_OK);
	assert_encodes_to(&mine, vec.cap2, vec.cap2_len);
	assert_int_equal(ztdp_capability_verify(&mine, &root, lookup_a, NULL, NULL),
			 ZTDP_CAP_VERIFY_OK);

	/* A chain that skips a holder: a signs on behalf of b's copy. */
	mine.custody_count = 1;
	assert_int_equal(ztdp_capability_sign(&mine, &root, NODE_B), ZTDP_CAP_OK);
	assert_int_equal(ztdp_capability_verify(&mine, &root, lookup_a, NULL, NULL),
			 ZTDP_CAP_VERIFY_BAD);
	/* The first entry must come from the controller. */
	mine.custody_count = 0;
	assert_int_equal(ztdp_capability_sign(&mine, &a, NODE_B), ZTDP_CAP_OK);
	assert_int_equal(ztdp_capability_verify(&mine, &root, lookup_a, NULL, NULL),
			 ZTDP_CAP_VERIFY_BAD);
	/* No private key, no signature. */
	assert_int_equal(ztdp_capability_sign(&mine, &vec.b, NODE_A), ZTDP_CAP_E_INVAL);
	/* Unsigned: bad. */
	mine.custody_count = 0;
	assert_int_equal(ztdp_capability_verify(&mine, &root, NULL, NULL, NULL),
			 ZTDP_CAP_VERIFY_BAD);
	ztdp_identity_clear(&root);
	ztdp_identity_clear(&a);
}

static void test_truncated(void **state)
{
	static struct ztdp_capability c;

	(void)state;
	for (size_t k = 0; k < vec.cap1_len; k++) {
		struct ztdp_rd r;
		int rc;

		ztdp_rd_init(&r, vec.cap1, k);
		rc = ztdp_capability_decode(&r, &c);
		assert_true(rc < 0);
		assert_false(ztdp_rd_ok(&r));
	}
	for (size_t k = 0; k < vec.cap2_len; k++) {
		struct ztdp_rd r;

		ztdp_rd_init(&r, vec.cap2, k);
		assert_true(ztdp_capability_decode(&r, &c) < 0);
	}
}

/* Offsets in a hand-made capability with two rules. */
#define T_RC		20	/* rule count */
#define T_MCCL		(22 + 5)	/* after "24 01 11" "01 00" */
#define T_CUSTODY	(T_MCCL + 1)

static size_t build_small(uint8_t *b, unsigned int mccl, unsigned int entries,
			  unsigned int sig_type, unsigned int sig_len,
			  unsigned int ext_len)
{
	struct ztdp_wr w;

	ztdp_wr_init(&w, b, 4096);
	ztdp_wr_u64(&w, NWID);
	ztdp_wr_u64(&w, 1);
	ztdp_wr_u32(&w, 9);
	ztdp_wr_u16(&w, 2);
	ztdp_wr_bytes(&w, "\x24\x01\x11\x01\x00", 5);
	ztdp_wr_u8(&w, (uint8_t)mccl);
	for (unsigned int i = 0; i < entries; i++) {
		ztdp_wr_u40(&w, i == 0 ? NODE_A : NODE_B);
		ztdp_wr_u40(&w, i == 0 ? NODE_ROOT : NODE_A);
		ztdp_wr_u8(&w, (uint8_t)sig_type);
		ztdp_wr_u16(&w, (uint16_t)sig_len);
		for (unsigned int k = 0; k < sig_len; k++)
			ztdp_wr_u8(&w, (uint8_t)k);
	}
	ztdp_wr_u40(&w, 0);
	ztdp_wr_u16(&w, (uint16_t)ext_len);
	for (unsigned int k = 0; k < ext_len; k++)
		ztdp_wr_u8(&w, 0xee);
	assert_true(ztdp_wr_ok(&w));
	return w.off;
}

static int decode_buf(const uint8_t *b, size_t n, struct ztdp_capability *c)
{
	struct ztdp_rd r;

	ztdp_rd_init(&r, b, n);
	return ztdp_capability_decode(&r, c);
}

static void test_malformed(void **state)
{
	static struct ztdp_capability c;
	static uint8_t b[4096], out[4096];
	struct ztdp_wr w;
	size_t n;

	(void)state;
	n = build_small(b, 1, 1, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	assert_encodes_to(&c, b, n);
	assert_int_equal(c.rule_count, 2);

	/* Chain length limits. */
	n = build_small(b, 0, 0, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_CUSTODY);
	n = build_small(b, 8, 0, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_CUSTODY);
	n = build_small(b, 1, 2, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_CUSTODY);
	n = build_small(b, 7, 0, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	assert_int_equal(ztdp_capability_verify(&c, &vec.root, NULL, NULL, NULL),
			 ZTDP_CAP_VERIFY_BAD);

	/* Type-1 signature of the wrong size. */
	n = build_small(b, 1, 1, 1, 95, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_SIGNATURE);
	/* Another signature type is skipped by its length, kept, never
	 * verifies. */
	n = build_small(b, 2, 1, 2, 10, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	assert_int_equal(c.custody[0].sig_type, 2);
	assert_encodes_to(&c, b, n);
	assert_int_equal(ztdp_capability_verify(&c, &vec.root, NULL, NULL, NULL),
			 ZTDP_CAP_VERIFY_BAD);
	/* ... and if it does not fit, it decodes but cannot be re-encoded. */
	n = build_small(b, 2, 1, 2, 200, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_capability_encode(&w, &c), ZTDP_CAP_E_SIGNATURE);

	/* Extension bytes are skipped and not re-encoded (1.14.1 writes 0). */
	n = build_small(b, 1, 1, 1, 96, 3);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	n = build_small(out, 1, 1, 1, 96, 0);
	assert_encodes_to(&c, out, n);
	n = build_small(b, 1, 1, 1, 96, 3);
	assert_int_equal(decode_buf(b, n - 1, &c), ZTDP_CAP_E_TRUNCATED);

	/* Rule count over 64, or rules that do not parse. */
	n = build_small(b, 1, 1, 1, 96, 0);
	b[T_RC] = 0;
	b[T_RC + 1] = 65;
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_RULES);
	n = build_small(b, 1, 1, 1, 96, 0);
	b[22 + 1] = 0;	/* IP_PROTOCOL with length 0 */
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_E_RULES);
	/* Rule count larger than the rules there: the chain length byte and
	 * what follows are read as rules until something fails. */
	n = build_small(b, 1, 0, 1, 96, 0);
	b[T_RC + 1] = 3;
	assert_true(decode_buf(b, n, &c) < 0);

	/* Encoder out of room. */
	n = build_small(b, 1, 1, 1, 96, 0);
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	ztdp_wr_init(&w, out, n - 1);
	assert_int_equal(ztdp_capability_encode(&w, &c), ZTDP_CAP_E_NOSPACE);
	c.rule_count = ZTDP_NETCONF_MAX_CAPABILITY_RULES + 1;
	ztdp_wr_init(&w, out, sizeof(out));
	assert_int_equal(ztdp_capability_encode(&w, &c), ZTDP_CAP_E_RULES);
}

/* A capability's rules take part in the verdict once the network rules
 * fall through (section 10.2 step 4). */
static void test_capability_in_filter(void **state)
{
	static const uint8_t udp4[] = {
		0x45, 0, 0, 32, 0, 0, 0x40, 0, 64, 17, 0, 0, 10, 147, 33, 11,
		10, 147, 33, 12, 0x9c, 0x40, 0, 10, 0, 12, 0, 0, 1, 2, 3, 4,
	};
	static struct ztdp_capability c;
	static uint8_t b[4096];
	const struct ztdp_rule net[] = {
		{ .t = ZTDP_RULE_MATCH_IP_PROTOCOL, .v.ip_protocol = 6 },
		{ .t = ZTDP_RULE_ACTION_ACCEPT },
	};
	struct ztdp_rules_frame f = {
		.inbound = true, .zt_source = NODE_B, .zt_dest = NODE_A,
		.mac_source = 0x76a31a392f9dULL, .mac_dest = 0x763d63790e1cULL,
		.ethertype = 0x0800, .data = udp4, .len = sizeof(udp4),
	};
	struct ztdp_rules_env env = { .self = NODE_A };
	struct ztdp_rules_verdict v;
	struct ztdp_rules_set set;
	size_t n;

	(void)state;
	n = build_small(b, 1, 1, 1, 96, 0);	/* [IP_PROTOCOL 17, ACCEPT] */
	assert_int_equal(decode_buf(b, n, &c), ZTDP_CAP_OK);
	set = ztdp_capability_rules(&c);
	assert_int_equal(set.count, 2);
	assert_false(ztdp_rules_filter(net, 2, NULL, 0, &f, &env, false, &v));
	assert_true(ztdp_rules_filter(net, 2, &set, 1, &f, &env, false, &v));
	assert_int_equal(v.capability, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1141_rule_list),
		cmocka_unit_test(test_1141_capabilities),
		cmocka_unit_test(test_tamper),
		cmocka_unit_test(test_sign_like_1141),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_capability_in_filter),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
