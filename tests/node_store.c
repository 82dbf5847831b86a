/* SPDX-License-Identifier: BSD-3-Clause */
/* In-memory state store for node tests (node_store.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "node_store.h"

struct ztdp_test_store_ent *ztdp_test_store_find(struct ztdp_test_store *s, int kind,
						 uint64_t id)
{
	for (unsigned int i = 0; i < s->n; i++)
		if (s->ent[i].kind == kind && s->ent[i].id == id)
			return &s->ent[i];
	return NULL;
}

int ztdp_test_store_put(struct ztdp_test_store *s, int kind, uint64_t id, const void *data,
			size_t len)
{
	struct ztdp_test_store_ent *e = ztdp_test_store_find(s, kind, id);

	if (data == NULL) {
		if (e != NULL) {
			free(e->data);
			*e = s->ent[--s->n];
		}
		return 0;
	}
	if (e == NULL) {
		assert_true(s->n < ZTDP_TEST_STORE_MAX);
		e = &s->ent[s->n++];
		e->kind = kind;
		e->id = id;
		e->data = NULL;
	}
	free(e->data);
	e->data = malloc(len + 1);
	assert_non_null(e->data);
	memcpy(e->data, data, len);
	e->len = len;
	return 0;
}

ssize_t ztdp_test_store_get(struct ztdp_test_store *s, int kind, uint64_t id, void *buf,
			    size_t cap)
{
	struct ztdp_test_store_ent *e = ztdp_test_store_find(s, kind, id);

	if (e == NULL || e->len > cap)
		return -1;
	memcpy(buf, e->data, e->len);
	return (ssize_t)e->len;
}

void ztdp_test_store_free(struct ztdp_test_store *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		free(s->ent[i].data);
	memset(s, 0, sizeof(*s));
}
