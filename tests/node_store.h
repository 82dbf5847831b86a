/* SPDX-License-Identifier: BSD-3-Clause */
/* An in-memory state store behind a test node's state_put / state_get
 * callbacks (one per node identity, kept across restarts). */
#ifndef ZTDP_TEST_NODE_STORE_H
#define ZTDP_TEST_NODE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ZTDP_TEST_STORE_MAX	64

struct ztdp_test_store_ent {
	int kind;
	uint64_t id;
	size_t len;
	uint8_t *data;
};

struct ztdp_test_store {
	struct ztdp_test_store_ent ent[ZTDP_TEST_STORE_MAX];
	unsigned int n;
};

struct ztdp_test_store_ent *ztdp_test_store_find(struct ztdp_test_store *s, int kind,
						 uint64_t id);
/* state_put: store a copy (fails the test when full), or delete when data
 * is NULL. Returns 0. */
int ztdp_test_store_put(struct ztdp_test_store *s, int kind, uint64_t id, const void *data,
			size_t len);
/* state_get: the length, or -1 if absent or larger than cap. */
ssize_t ztdp_test_store_get(struct ztdp_test_store *s, int kind, uint64_t id, void *buf,
			    size_t cap);
/* Free everything and empty the store. */
void ztdp_test_store_free(struct ztdp_test_store *s);

#endif /* ZTDP_TEST_NODE_STORE_H */
