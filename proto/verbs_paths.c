/* SPDX-License-Identifier: BSD-3-Clause */
/* PUSH_DIRECT_PATHS (protocol notes section 6.14). */
#include <string.h>

#include "verbs_internal.h"

int ztdp_push_direct_paths_next(struct ztdp_rd *it, struct ztdp_push_path *rec)
{
	size_t need = 0;

	if (!ztdp_rd_ok(it))
		return ZTDP_VERBS_ETRUNC;
	if (ztdp_rd_left(it) == 0)
		return 0;
	memset(rec, 0, sizeof(*rec));
	rec->flags = ztdp_rd_u8(it);
	rec->ext_len = ztdp_rd_u16(it);
	rec->ext = ztdp_rd_take(it, rec->ext_len);
	rec->addr_type = ztdp_rd_u8(it);
	rec->addr_len = ztdp_rd_u8(it);
	rec->addr_raw = ztdp_rd_take(it, rec->addr_len);
	if (!ztdp_rd_ok(it))
		return ZTDP_VERBS_ETRUNC;
	if (rec->ext_len == 0)
		rec->ext = NULL;

	if (rec->addr_type == ZTDP_PUSH_PATH_ADDR_IPV4)
		need = ZTDP_PUSH_PATH_ADDR_IPV4_LEN;
	else if (rec->addr_type == ZTDP_PUSH_PATH_ADDR_IPV6)
		need = ZTDP_PUSH_PATH_ADDR_IPV6_LEN;
	else
		return 1;	/* unknown type: skipped by receivers */
	/* 1.14.1 reads the IP and port from the record whatever the length
	 * says and then skips `length` bytes; a shorter length would have it
	 * read the next record as an address, so refuse that. Longer ones
	 * keep their extra bytes in addr_raw. */
	if (rec->addr_len < need) {
		it->err = true;
		return ZTDP_VERBS_EINVAL;
	}
	rec->addr.family = rec->addr_type;
	memcpy(rec->addr.ip, rec->addr_raw, need - 2);
	rec->addr.port = ztdp_load_be16(rec->addr_raw + need - 2);
	return 1;
}

int ztdp_push_direct_paths_decode(const uint8_t *p, size_t len,
				  struct ztdp_push_direct_paths *m)
{
	struct ztdp_push_path rec;
	struct ztdp_rd r, it;
	int rc;

	memset(m, 0, sizeof(*m));
	ztdp_rd_init(&r, p, len);
	m->count = ztdp_rd_u16(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	/* Walk exactly count records; what follows is ignored (1.14.1 does
	 * not look past them either). */
	ztdp_rd_init(&it, r.p + r.off, ztdp_rd_left(&r));
	for (unsigned int i = 0; i < m->count; i++) {
		rc = ztdp_push_direct_paths_next(&it, &rec);
		if (rc == 0)
			return ZTDP_VERBS_ETRUNC;
		if (rc < 0)
			return rc;
	}
	m->raw = it.p;
	m->raw_len = it.off;
	return ZTDP_VERBS_OK;
}

int ztdp_push_path_encode(struct ztdp_wr *w, const struct ztdp_push_path *rec)
{
	size_t need = 0;

	if (rec->ext == NULL && rec->ext_len > 0)
		return ZTDP_VERBS_EINVAL;
	if (rec->addr_raw == NULL) {
		if (rec->addr.family == 4)
			need = ZTDP_PUSH_PATH_ADDR_IPV4_LEN;
		else if (rec->addr.family == 6)
			need = ZTDP_PUSH_PATH_ADDR_IPV6_LEN;
		else
			return ZTDP_VERBS_EINVAL;
	}
	ztdp_wr_u8(w, rec->flags);
	ztdp_wr_u16(w, rec->ext_len);
	vb_wr_opt_bytes(w, rec->ext, rec->ext_len);
	if (rec->addr_raw != NULL) {
		/* As decoded: type, length and bytes verbatim. */
		ztdp_wr_u8(w, rec->addr_type);
		ztdp_wr_u8(w, rec->addr_len);
		vb_wr_opt_bytes(w, rec->addr_raw, rec->addr_len);
	} else {
		ztdp_wr_u8(w, rec->addr.family);
		ztdp_wr_u8(w, (uint8_t)need);
		ztdp_wr_bytes(w, rec->addr.ip, need - 2);
		ztdp_wr_u16(w, rec->addr.port);
	}
	return vb_wr_result(w);
}

int ztdp_push_direct_paths_encode(struct ztdp_wr *w,
				  const struct ztdp_push_direct_paths *m)
{
	int rc;

	ztdp_wr_u16(w, m->count);
	if (m->paths == NULL) {
		if (m->raw_len > 0 && m->raw == NULL)
			return ZTDP_VERBS_EINVAL;
		vb_wr_opt_bytes(w, m->raw, m->raw_len);
		return vb_wr_result(w);
	}
	for (unsigned int i = 0; i < m->count; i++) {
		rc = ztdp_push_path_encode(w, &m->paths[i]);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	return vb_wr_result(w);
}
