/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Network membership verbs: NETWORK_CREDENTIALS (protocol notes section
 * 6.9) and NETWORK_CONFIG_REQUEST (6.10). Config chunks are in
 * netconf_chunk.c.
 */
#include <string.h>

#include "verbs_internal.h"
#include "ztdp_capability.h"
#include "ztdp_credentials.h"

/* ---- NETWORK_CREDENTIALS -------------------------------------------------- */

enum cred_kind { CRED_CAP, CRED_TAG, CRED_REV, CRED_COO, CRED_KINDS };

/* Scratch space for checking one credential of each kind; a capability
 * with its rules is a few KiB, so it is not worth a second copy. */
union cred_scratch {
	struct ztdp_com com;
	struct ztdp_capability cap;
	struct ztdp_tag tag;
	struct ztdp_revocation rev;
	struct ztdp_coo coo;
};

/* Decode one credential of the kind at r; 0 or ZTDP_VERBS_E*. */
static int take_cred(struct ztdp_rd *r, enum cred_kind kind,
		     union cred_scratch *s)
{
	int rc;

	switch (kind) {
	case CRED_CAP:
		rc = ztdp_capability_decode(r, &s->cap);
		if (rc == ZTDP_CAP_E_TRUNCATED)
			rc = ZTDP_CRED_ESHORT;
		break;
	case CRED_TAG:
		rc = ztdp_tag_decode(r, &s->tag);
		break;
	case CRED_REV:
		rc = ztdp_revocation_decode(r, &s->rev);
		break;
	case CRED_COO:
	default:
		rc = ztdp_coo_decode(r, &s->coo);
		break;
	}
	if (rc == 0)
		return ZTDP_VERBS_OK;
	r->err = true;
	return rc == ZTDP_CRED_ESHORT ? ZTDP_VERBS_ETRUNC : ZTDP_VERBS_ECRED;
}

/* u16 count then that many credentials; *sec and *len cover the credentials
 * (count excluded). */
static int take_cred_section(struct ztdp_rd *r, enum cred_kind kind,
			     union cred_scratch *s, uint16_t *count,
			     const uint8_t **sec, size_t *len)
{
	size_t start;
	int rc;

	*count = ztdp_rd_u16(r);
	if (!ztdp_rd_ok(r))
		return ZTDP_VERBS_ETRUNC;
	start = r->off;
	for (unsigned int i = 0; i < *count; i++) {
		rc = take_cred(r, kind, s);
		if (rc != ZTDP_VERBS_OK)
			return rc;
	}
	*sec = r->p + start;
	*len = r->off - start;
	return ZTDP_VERBS_OK;
}

int ztdp_network_credentials_decode(const uint8_t *p, size_t len,
				    struct ztdp_network_credentials *m)
{
	union cred_scratch s;
	struct ztdp_rd r;
	const uint8_t *com;
	size_t com_len;
	bool *has[CRED_KINDS] = { &m->has_caps, &m->has_tags,
				  &m->has_revocations, &m->has_coos };
	uint16_t *count[CRED_KINDS] = { &m->cap_count, &m->tag_count,
					&m->revocation_count, &m->coo_count };
	const uint8_t **sec[CRED_KINDS] = { &m->caps, &m->tags,
					    &m->revocations, &m->coos };
	size_t *sec_len[CRED_KINDS] = { &m->caps_len, &m->tags_len,
					&m->revocations_len, &m->coos_len };
	int rc;

	memset(m, 0, sizeof(*m));
	ztdp_rd_init(&r, p, len);
	m->coms = p;
	/* COMs until the 0x00 terminator. Like 1.14.1, the end of the
	 * payload also ends the list (the oldest senders stop there). */
	while (ztdp_rd_left(&r) > 0 && r.p[r.off] != 0) {
		rc = ztdp_verbs_take_com_(&r, &com, &com_len);
		if (rc != ZTDP_VERBS_OK)
			return rc;
		m->com_count++;
	}
	m->coms_len = r.off;
	ztdp_rd_skip(&r, ztdp_rd_left(&r) > 0 ? 1 : 0);

	/* Then up to four counted sections; older senders stop after any. */
	for (int k = 0; k < CRED_KINDS; k++) {
		if (ztdp_rd_left(&r) == 0)
			break;
		rc = take_cred_section(&r, (enum cred_kind)k, &s, count[k],
				       sec[k], sec_len[k]);
		if (rc != ZTDP_VERBS_OK)
			return rc;
		*has[k] = true;
	}
	return ZTDP_VERBS_OK;
}

int ztdp_network_credentials_encode(struct ztdp_wr *w,
				    const struct ztdp_network_credentials *m)
{
	const bool has[CRED_KINDS] = { m->has_caps, m->has_tags,
				       m->has_revocations, m->has_coos };
	const uint16_t count[CRED_KINDS] = { m->cap_count, m->tag_count,
					     m->revocation_count, m->coo_count };
	const uint8_t *sec[CRED_KINDS] = { m->caps, m->tags, m->revocations,
					   m->coos };
	const size_t sec_len[CRED_KINDS] = { m->caps_len, m->tags_len,
					     m->revocations_len, m->coos_len };
	int last = -1;

	if (m->coms == NULL && m->coms_len > 0)
		return ZTDP_VERBS_EINVAL;
	for (int k = 0; k < CRED_KINDS; k++) {
		if (!has[k])
			continue;
		if (sec[k] == NULL && sec_len[k] > 0)
			return ZTDP_VERBS_EINVAL;
		last = k;
	}
	vb_wr_opt_bytes(w, m->coms, m->coms_len);
	ztdp_wr_u8(w, 0);
	for (int k = 0; k <= last; k++) {
		ztdp_wr_u16(w, has[k] ? count[k] : 0);
		if (has[k])
			vb_wr_opt_bytes(w, sec[k], sec_len[k]);
	}
	return vb_wr_result(w);
}

static int cred_result(int rc)
{
	if (rc == 0)
		return ZTDP_VERBS_OK;
	if (rc == ZTDP_CRED_ENOSPC || rc == ZTDP_CAP_E_NOSPACE)
		return ZTDP_VERBS_ENOSPC;
	return ZTDP_VERBS_ECRED;
}

int ztdp_network_credentials_build(struct ztdp_wr *w,
				   const struct ztdp_com *coms, unsigned int ncoms,
				   const struct ztdp_capability *caps, unsigned int ncaps,
				   const struct ztdp_tag *tags, unsigned int ntags,
				   const struct ztdp_revocation *revs, unsigned int nrevs,
				   const struct ztdp_coo *coos, unsigned int ncoos)
{
	int rc = 0;

	if (ncaps > UINT16_MAX || ntags > UINT16_MAX || nrevs > UINT16_MAX ||
	    ncoos > UINT16_MAX)
		return ZTDP_VERBS_EINVAL;
	if ((ncoms && !coms) || (ncaps && !caps) || (ntags && !tags) ||
	    (nrevs && !revs) || (ncoos && !coos))
		return ZTDP_VERBS_EINVAL;
	for (unsigned int i = 0; i < ncoms && rc == 0; i++) {
		/* An unsigned COM with no qualifiers would start with a 0x01
		 * too, so the terminator stays unambiguous. */
		rc = ztdp_com_encode(w, &coms[i]);
	}
	if (rc != 0)
		return cred_result(rc);
	ztdp_wr_u8(w, 0);
	ztdp_wr_u16(w, (uint16_t)ncaps);
	for (unsigned int i = 0; i < ncaps && rc == 0; i++)
		rc = ztdp_capability_encode(w, &caps[i]);
	if (rc != 0)
		return cred_result(rc);
	ztdp_wr_u16(w, (uint16_t)ntags);
	for (unsigned int i = 0; i < ntags && rc == 0; i++)
		rc = ztdp_tag_encode(w, &tags[i]);
	if (rc != 0)
		return cred_result(rc);
	ztdp_wr_u16(w, (uint16_t)nrevs);
	for (unsigned int i = 0; i < nrevs && rc == 0; i++)
		rc = ztdp_revocation_encode(w, &revs[i]);
	if (rc != 0)
		return cred_result(rc);
	ztdp_wr_u16(w, (uint16_t)ncoos);
	for (unsigned int i = 0; i < ncoos && rc == 0; i++)
		rc = ztdp_coo_encode(w, &coos[i]);
	if (rc != 0)
		return cred_result(rc);
	return vb_wr_result(w);
}

/* ---- NETWORK_CONFIG_REQUEST ------------------------------------------------- */

int ztdp_netconf_request_decode(const uint8_t *p, size_t len,
				struct ztdp_netconf_request *m)
{
	struct ztdp_rd r;

	memset(m, 0, sizeof(*m));
	ztdp_rd_init(&r, p, len);
	m->nwid = ztdp_rd_u64(&r);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	if (ztdp_rd_left(&r) == 0)
		return ZTDP_VERBS_OK;
	m->meta_len = ztdp_rd_u16(&r);
	m->meta = ztdp_rd_take(&r, m->meta_len);
	if (!ztdp_rd_ok(&r))
		return ZTDP_VERBS_ETRUNC;
	m->has_meta = true;
	if (ztdp_rd_left(&r) == 0)
		return ZTDP_VERBS_OK;
	m->revision = ztdp_rd_u64(&r);
	m->timestamp = ztdp_rd_u64(&r);
	m->has_revision = ztdp_rd_ok(&r);
	return vb_rd_result(&r);
}

int ztdp_netconf_request_encode(struct ztdp_wr *w,
				const struct ztdp_netconf_request *m)
{
	bool meta = m->has_meta || m->has_revision;

	if (m->has_meta && m->meta == NULL && m->meta_len > 0)
		return ZTDP_VERBS_EINVAL;
	ztdp_wr_u64(w, m->nwid);
	if (meta) {
		uint16_t n = m->has_meta ? m->meta_len : 0;

		ztdp_wr_u16(w, n);
		vb_wr_opt_bytes(w, m->meta, n);
	}
	if (m->has_revision) {
		ztdp_wr_u64(w, m->revision);
		ztdp_wr_u64(w, m->timestamp);
	}
	return vb_wr_result(w);
}
