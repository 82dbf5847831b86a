/* SPDX-License-Identifier: BSD-3-Clause */
/* ztdp-dump: identity store and per-pair key cache. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "keys.h"

/* Identity files are about 270 bytes; refuse anything far bigger. */
#define ID_FILE_MAX		4096
/* Remembered invalid identities (a ring: old ones are forgotten). */
#define BAD_IDS			64
/* Initial hash table sizes (powers of two; grown at 1/2 load). */
#define ID_TABLE_INIT		64
#define PAIR_TABLE_INIT		64

struct id_entry {
	struct ztdp_identity id;
	enum ztdp_dump_id_origin origin;
};

struct pair_entry {
	uint64_t lo, hi;		/* the two addresses, lo < hi */
	struct ztdp_peer_key pk;
};

struct bad_id {
	uint64_t address;
	uint8_t pub[ZTDP_C25519_PUBLIC_LEN];
};

struct ztdp_dump_keys {
	struct id_entry *ids;		/* dense array */
	unsigned int nids, ids_cap;
	int32_t *id_slot;		/* hash of address -> index in ids, -1 empty */
	unsigned int id_slots;
	struct pair_entry **pair_slot;	/* hash of (lo, hi) -> entry, NULL empty */
	unsigned int pair_slots, npairs;
	struct bad_id bad[BAD_IDS];
	unsigned int nbad, bad_next;
	unsigned int secrets, learned;
};

/* splitmix64's finaliser: addresses are not random in their low bits. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static int32_t *id_slot_find(const struct ztdp_dump_keys *k, uint64_t address)
{
	unsigned int mask = k->id_slots - 1;
	unsigned int i = (unsigned int)mix64(address) & mask;

	for (;;) {
		int32_t *s = &k->id_slot[i];

		if (*s < 0 || k->ids[*s].id.address == address)
			return s;
		i = (i + 1) & mask;
	}
}

static int id_table_grow(struct ztdp_dump_keys *k)
{
	unsigned int n = k->id_slots ? k->id_slots * 2 : ID_TABLE_INIT;
	int32_t *old = k->id_slot;
	int32_t *t = malloc(n * sizeof(*t));

	if (t == NULL)
		return -1;
	for (unsigned int i = 0; i < n; i++)
		t[i] = -1;
	k->id_slot = t;
	k->id_slots = n;
	for (unsigned int i = 0; i < k->nids; i++)
		*id_slot_find(k, k->ids[i].id.address) = (int32_t)i;
	free(old);
	return 0;
}

static struct pair_entry **pair_slot_find(const struct ztdp_dump_keys *k,
					  uint64_t lo, uint64_t hi)
{
	unsigned int mask = k->pair_slots - 1;
	unsigned int i = (unsigned int)mix64(lo * 0x9e3779b97f4a7c15ULL ^ hi) & mask;

	for (;;) {
		struct pair_entry **s = &k->pair_slot[i];

		if (*s == NULL || ((*s)->lo == lo && (*s)->hi == hi))
			return s;
		i = (i + 1) & mask;
	}
}

static int pair_table_grow(struct ztdp_dump_keys *k)
{
	unsigned int n = k->pair_slots ? k->pair_slots * 2 : PAIR_TABLE_INIT;
	struct pair_entry **old = k->pair_slot;
	unsigned int oldn = k->pair_slots;

	k->pair_slot = calloc(n, sizeof(*k->pair_slot));
	if (k->pair_slot == NULL) {
		k->pair_slot = old;
		return -1;
	}
	k->pair_slots = n;
	for (unsigned int i = 0; i < oldn; i++)
		if (old[i] != NULL)
			*pair_slot_find(k, old[i]->lo, old[i]->hi) = old[i];
	free(old);
	return 0;
}

struct ztdp_dump_keys *ztdp_dump_keys_create(void)
{
	struct ztdp_dump_keys *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	if (id_table_grow(k) != 0 || pair_table_grow(k) != 0) {
		ztdp_dump_keys_destroy(k);
		return NULL;
	}
	return k;
}

void ztdp_dump_keys_destroy(struct ztdp_dump_keys *k)
{
	if (k == NULL)
		return;
	for (unsigned int i = 0; i < k->pair_slots; i++) {
		if (k->pair_slot[i] != NULL) {
			ztdp_peer_key_clear(&k->pair_slot[i]->pk);
			free(k->pair_slot[i]);
		}
	}
	for (unsigned int i = 0; i < k->nids; i++)
		ztdp_identity_clear(&k->ids[i].id);
	free(k->pair_slot);
	free(k->id_slot);
	free(k->ids);
	free(k);
}

const struct ztdp_identity *ztdp_dump_keys_find(const struct ztdp_dump_keys *k,
						uint64_t address)
{
	int32_t s = *id_slot_find(k, address);

	return s < 0 ? NULL : &k->ids[s].id;
}

enum ztdp_dump_id_origin ztdp_dump_keys_origin(const struct ztdp_dump_keys *k,
					       uint64_t address)
{
	int32_t s = *id_slot_find(k, address);

	return s < 0 ? ZTDP_DUMP_ID_GIVEN : k->ids[s].origin;
}

static bool is_bad(const struct ztdp_dump_keys *k, const struct ztdp_identity *id)
{
	for (unsigned int i = 0; i < k->nbad; i++)
		if (k->bad[i].address == id->address &&
		    memcmp(k->bad[i].pub, id->pub, sizeof(id->pub)) == 0)
			return true;
	return false;
}

static void remember_bad(struct ztdp_dump_keys *k, const struct ztdp_identity *id)
{
	struct bad_id *b = &k->bad[k->bad_next];

	b->address = id->address;
	memcpy(b->pub, id->pub, sizeof(b->pub));
	k->bad_next = (k->bad_next + 1) % BAD_IDS;
	if (k->nbad < BAD_IDS)
		k->nbad++;
}

/* Store id (already judged valid) unless its address is taken. */
static enum ztdp_dump_id_add store(struct ztdp_dump_keys *k,
				   const struct ztdp_identity *id,
				   enum ztdp_dump_id_origin origin)
{
	int32_t *s = id_slot_find(k, id->address);
	struct id_entry *e;

	if (*s >= 0) {
		e = &k->ids[*s];
		if (memcmp(e->id.pub, id->pub, sizeof(id->pub)) != 0)
			return ZTDP_DUMP_ID_COLLISION;
		if (id->has_private && !e->id.has_private) {
			memcpy(e->id.priv, id->priv, sizeof(id->priv));
			e->id.has_private = true;
			k->secrets++;
			return ZTDP_DUMP_ID_UPGRADED;
		}
		return ZTDP_DUMP_ID_KNOWN;
	}
	if (k->nids == k->ids_cap) {
		unsigned int ncap = k->ids_cap ? k->ids_cap * 2 : 16;
		struct id_entry *n = realloc(k->ids, ncap * sizeof(*n));

		if (n == NULL)
			return ZTDP_DUMP_ID_ENOMEM;
		k->ids = n;
		k->ids_cap = ncap;
	}
	e = &k->ids[k->nids];
	e->id = *id;
	e->origin = origin;
	*s = (int32_t)k->nids++;
	if (id->has_private)
		k->secrets++;
	if (origin != ZTDP_DUMP_ID_GIVEN)
		k->learned++;
	/* Keep the table at most half full so probes stay short. */
	if (k->nids * 2 > k->id_slots && id_table_grow(k) != 0)
		return ZTDP_DUMP_ID_ENOMEM;
	return ZTDP_DUMP_ID_NEW;
}

enum ztdp_dump_id_add ztdp_dump_keys_add(struct ztdp_dump_keys *k,
					 const struct ztdp_identity *id,
					 enum ztdp_dump_id_origin origin)
{
	const struct ztdp_identity *have = ztdp_dump_keys_find(k, id->address);

	/* A repeat of what is stored needs no second 5 ms check. */
	if (have != NULL && memcmp(have->pub, id->pub, sizeof(id->pub)) == 0 &&
	    (have->has_private || !id->has_private))
		return ZTDP_DUMP_ID_KNOWN;
	if (!ztdp_identity_locally_validate(id))
		return ZTDP_DUMP_ID_INVALID;
	return store(k, id, origin);
}

enum ztdp_dump_id_add ztdp_dump_keys_learn(struct ztdp_dump_keys *k,
					   const struct ztdp_identity *id,
					   enum ztdp_dump_id_origin origin,
					   bool validate)
{
	struct ztdp_identity pub = *id;
	const struct ztdp_identity *have;

	/* Only public keys travel; never keep anything else. */
	memset(pub.priv, 0, sizeof(pub.priv));
	pub.has_private = false;
	have = ztdp_dump_keys_find(k, pub.address);
	if (have != NULL)
		return memcmp(have->pub, pub.pub, sizeof(pub.pub)) == 0 ?
		       ZTDP_DUMP_ID_KNOWN : ZTDP_DUMP_ID_COLLISION;
	if (is_bad(k, &pub))
		return ZTDP_DUMP_ID_INVALID;
	if (validate && !ztdp_identity_locally_validate(&pub)) {
		remember_bad(k, &pub);
		return ZTDP_DUMP_ID_INVALID;
	}
	return store(k, &pub, origin);
}

/* ---- Files ------------------------------------------------------------- */

static int load_file(struct ztdp_dump_keys *k, const char *path, char *why,
		     size_t whylen)
{
	char buf[ID_FILE_MAX + 1];
	struct ztdp_identity id;
	const char *perr = NULL;
	enum ztdp_dump_id_add rc;
	uint64_t address;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (f == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f)) {
		snprintf(why, whylen, "%s: read error", path);
		fclose(f);
		return -1;
	}
	fclose(f);
	if (n > ID_FILE_MAX) {
		snprintf(why, whylen, "%s: too big for an identity file", path);
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' ||
			 buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		buf[--n] = '\0';
	memset(&id, 0, sizeof(id));
	if (ztdp_identity_from_string(&id, buf, &perr) != 0) {
		snprintf(why, whylen, "%s: not an identity (%s)", path,
			 perr ? perr : "does not parse");
		ztdp_identity_clear(&id);
		return -1;
	}
	address = id.address;
	rc = ztdp_dump_keys_add(k, &id, ZTDP_DUMP_ID_GIVEN);
	ztdp_identity_clear(&id);
	switch (rc) {
	case ZTDP_DUMP_ID_NEW:
	case ZTDP_DUMP_ID_KNOWN:
	case ZTDP_DUMP_ID_UPGRADED:
		return 1;
	case ZTDP_DUMP_ID_COLLISION:
		snprintf(why, whylen, "%s: another identity with address %010llx was given",
			 path, (unsigned long long)address);
		return -1;
	case ZTDP_DUMP_ID_INVALID:
		snprintf(why, whylen, "%s: identity does not validate "
			 "(address derivation or private key)", path);
		return -1;
	default:
		snprintf(why, whylen, "out of memory");
		return -1;
	}
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every *.secret and *.public file of a directory, in name order so the
 * outcome (which identity wins a collision) does not depend on readdir. */
static int load_dir(struct ztdp_dump_keys *k, const char *path, char *why,
		    size_t whylen)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int total = 0, rc = -1;

	if (d == NULL) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *full;

		if (!ends_with(de->d_name, ".secret") && !ends_with(de->d_name, ".public"))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));

			if (nn == NULL)
				goto out;
			names = nn;
			cap = ncap;
		}
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
			goto out;
		names[n++] = full;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		int r;

		if (stat(names[i], &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		r = load_file(k, names[i], why, whylen);
		if (r < 0)
			goto out;
		total += r;
	}
	if (total == 0) {
		snprintf(why, whylen, "%s: no identity files (*.secret, *.public)", path);
		goto out;
	}
	rc = total;
out:
	if (rc < 0 && why[0] == '\0')
		snprintf(why, whylen, "out of memory");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int ztdp_dump_keys_load(struct ztdp_dump_keys *k, const char *path, char *why,
			size_t whylen)
{
	struct stat st;

	why[0] = '\0';
	if (stat(path, &st) != 0) {
		snprintf(why, whylen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(k, path, why, whylen);
	return load_file(k, path, why, whylen);
}

/* ---- Peer keys --------------------------------------------------------- */

static int agree(const struct ztdp_identity *x, const struct ztdp_identity *y,
		 struct ztdp_peer_key *pk, enum ztdp_dump_nokey *why)
{
	uint8_t key[ZTDP_PEER_KEY_LEN];
	int rc;

	if (x->has_private)
		rc = ztdp_identity_agree(x, y, key);
	else if (y->has_private)
		rc = ztdp_identity_agree(y, x, key);
	else {
		*why = ZTDP_DUMP_NOKEY_NO_SECRET;
		return -1;
	}
	if (rc != 0) {
		*why = ZTDP_DUMP_NOKEY_AGREE;
		return -1;
	}
	rc = ztdp_peer_key_init(pk, key);
	memset(key, 0, sizeof(key));
	if (rc != 0) {
		*why = ZTDP_DUMP_NOKEY_ENOMEM;
		return -1;
	}
	return 0;
}

const struct ztdp_peer_key *ztdp_dump_keys_peer(struct ztdp_dump_keys *k,
						uint64_t a, uint64_t b,
						enum ztdp_dump_nokey *why)
{
	uint64_t lo = a < b ? a : b, hi = a < b ? b : a;
	struct pair_entry **s = pair_slot_find(k, lo, hi);
	const struct ztdp_identity *ia, *ib;
	struct pair_entry *e;

	*why = ZTDP_DUMP_NOKEY_NONE;
	if (*s != NULL)
		return &(*s)->pk;
	ia = ztdp_dump_keys_find(k, a);
	ib = ztdp_dump_keys_find(k, b);
	if (ia == NULL) {
		*why = ZTDP_DUMP_NOKEY_SRC_UNKNOWN;
		return NULL;
	}
	if (ib == NULL) {
		*why = ZTDP_DUMP_NOKEY_DST_UNKNOWN;
		return NULL;
	}
	if (!ia->has_private && !ib->has_private) {
		/* Cheap to find again: not cached, so a secret or identity
		 * learned later takes effect. */
		*why = ZTDP_DUMP_NOKEY_NO_SECRET;
		return NULL;
	}
	e = calloc(1, sizeof(*e));
	if (e == NULL) {
		*why = ZTDP_DUMP_NOKEY_ENOMEM;
		return NULL;
	}
	if (agree(ia, ib, &e->pk, why) != 0) {
		free(e);
		return NULL;
	}
	e->lo = lo;
	e->hi = hi;
	*s = e;
	k->npairs++;
	if (k->npairs * 2 > k->pair_slots)
		(void)pair_table_grow(k);	/* on failure: fuller table, still correct */
	return &e->pk;
}

int ztdp_dump_keys_peer_with(struct ztdp_dump_keys *k, uint64_t known,
			     const struct ztdp_identity *other,
			     struct ztdp_peer_key *pk, enum ztdp_dump_nokey *why)
{
	const struct ztdp_identity *id = ztdp_dump_keys_find(k, known);

	*why = ZTDP_DUMP_NOKEY_NONE;
	if (id == NULL) {
		*why = ZTDP_DUMP_NOKEY_DST_UNKNOWN;
		return -1;
	}
	if (!id->has_private) {
		/* The other identity is not ours to trust with a secret. */
		*why = ZTDP_DUMP_NOKEY_NO_SECRET;
		return -1;
	}
	return agree(id, other, pk, why);
}

unsigned int ztdp_dump_keys_count(const struct ztdp_dump_keys *k)
{
	return k->nids;
}

unsigned int ztdp_dump_keys_secrets(const struct ztdp_dump_keys *k)
{
	return k->secrets;
}

unsigned int ztdp_dump_keys_learned(const struct ztdp_dump_keys *k)
{
	return k->learned;
}

const char *ztdp_dump_nokey_str(enum ztdp_dump_nokey why)
{
	switch (why) {
	case ZTDP_DUMP_NOKEY_NONE:
		return "none";
	case ZTDP_DUMP_NOKEY_SRC_UNKNOWN:
		return "sender identity unknown";
	case ZTDP_DUMP_NOKEY_DST_UNKNOWN:
		return "receiver identity unknown";
	case ZTDP_DUMP_NOKEY_NO_SECRET:
		return "neither side's secret known";
	case ZTDP_DUMP_NOKEY_AGREE:
		return "key agreement failed";
	case ZTDP_DUMP_NOKEY_ENOMEM:
		return "out of memory";
	}
	return "?";
}

const char *ztdp_dump_id_origin_str(enum ztdp_dump_id_origin o)
{
	switch (o) {
	case ZTDP_DUMP_ID_GIVEN:
		return "given";
	case ZTDP_DUMP_ID_HELLO:
		return "HELLO";
	case ZTDP_DUMP_ID_WHOIS:
		return "OK(WHOIS)";
	}
	return "?";
}
