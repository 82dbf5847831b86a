/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ztdp-idtool genplanet / showplanet: make, update and inspect planets
 * (protocol notes section 7), so that a private ZeroTier network can run
 * on its own roots -- ztdp appliances or ZeroTierOne nodes alike.
 *
 * A planet is signed by one C25519 key pair and names the key pair that
 * must sign its successor. ZeroTier keeps those as two .c25519 files
 * (mkworld's previous.c25519 and current.c25519); the spec names them
 * signing_key and updates_key. Signatures are deterministic (Ed25519), so
 * the same spec and keys always give the same bytes.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "ztdp-idtool.h"
#include "ztdp_hex.h"
#include "ztdp_inetaddr.h"
#include "ztdp_world.h"

#define KEY_FILE_LEN	(ZTDP_C25519_PUBLIC_LEN + ZTDP_C25519_PRIVATE_LEN)
#define PATH_CAP	4096

struct keypair {
	uint8_t pub[ZTDP_C25519_PUBLIC_LEN];
	uint8_t priv[ZTDP_C25519_PRIVATE_LEN];
	char path[PATH_CAP];
	bool created;
};

struct genplanet_opts {
	const char *update;	/* current planet, or NULL */
	bool c_array, hex;
	const char *spec;
	const char *out;
};

/* ---- Small helpers ------------------------------------------------------ */

/* A path from the spec, relative to the spec's folder unless absolute. */
static int spec_path(const char *spec, const char *rel, char *out, size_t cap)
{
	const char *slash = strrchr(spec, '/');
	int n;

	if (rel[0] == '/' || slash == NULL)
		n = snprintf(out, cap, "%s", rel);
	else
		n = snprintf(out, cap, "%.*s/%s", (int)(slash - spec), spec, rel);
	return n >= 0 && (size_t)n < cap ? 0 : -1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void print_key_hex(const char *label, const uint8_t *key, size_t len)
{
	char hex[2 * ZTDP_C25519_PUBLIC_LEN + 1];

	ztdp_hex_encode(key, len, hex);
	printf("%s%s\n", label, hex);
}

/* A binary world file that must be a planet. */
static int load_planet(const char *path, struct ztdp_world *w)
{
	size_t len;
	char *buf = ztdp_idtool_read_file(path, ZTDP_WORLD_MAX_LEN, &len);
	int rc;

	if (buf == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", path,
			errno == EFBIG ? "too large for a planet" : strerror(errno));
		return -1;
	}
	rc = ztdp_world_parse(buf, len, w);
	free(buf);
	if (rc != ZTDP_WORLD_OK) {
		fprintf(stderr, PROG ": %s: not a planet: %s\n", path, ztdp_world_strerror(rc));
		return -1;
	}
	if (w->type != ZTDP_WORLD_TYPE_PLANET) {
		fprintf(stderr, PROG ": %s: a world of type %u, not a planet\n", path, w->type);
		return -1;
	}
	return 0;
}

/* ---- Key files ---------------------------------------------------------- */

/* Load a .c25519 key pair; if it does not exist and may_create, make one
 * (written later, with the planet, by save_key). */
static int load_key(struct keypair *k, bool may_create)
{
	size_t len;
	char *buf = ztdp_idtool_read_file(k->path, SMALL_FILE_MAX, &len);
	int rc = -1;

	if (buf == NULL && errno == ENOENT && may_create) {
		if (ztdp_c25519_generate(k->pub, k->priv) != 0) {
			fprintf(stderr, PROG ": key generation failed\n");
			return -1;
		}
		k->created = true;
		return 0;
	}
	if (buf == NULL) {
		if (errno == ENOENT)
			fprintf(stderr, PROG ": %s does not exist (an update is signed with the key the current planet names)\n",
				k->path);
		else
			fprintf(stderr, PROG ": cannot read %s: %s\n", k->path, strerror(errno));
		return -1;
	}
	if (len != KEY_FILE_LEN) {
		fprintf(stderr, PROG ": %s: a key pair file is %d bytes (public then private), not %zu\n",
			k->path, KEY_FILE_LEN, len);
		goto out;
	}
	memcpy(k->pub, buf, ZTDP_C25519_PUBLIC_LEN);
	memcpy(k->priv, buf + ZTDP_C25519_PUBLIC_LEN, ZTDP_C25519_PRIVATE_LEN);
	if (!ztdp_c25519_pair_ok(k->pub, k->priv)) {
		fprintf(stderr, PROG ": %s: the public key does not belong to the private key\n",
			k->path);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(buf, len);
	free(buf);
	return rc;
}

static int save_key(const struct keypair *k)
{
	uint8_t buf[KEY_FILE_LEN];
	int rc;

	if (!k->created)
		return 0;
	memcpy(buf, k->pub, ZTDP_C25519_PUBLIC_LEN);
	memcpy(buf + ZTDP_C25519_PUBLIC_LEN, k->priv, ZTDP_C25519_PRIVATE_LEN);
	rc = ztdp_idtool_write_atomic(k->path, buf, sizeof(buf), 0600);
	sodium_memzero(buf, sizeof(buf));
	if (rc != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", k->path, strerror(errno));
		return -1;
	}
	printf("%s written (new key pair)\n", k->path);
	return 0;
}

/* ---- The spec ------------------------------------------------------------ */

static const char *const spec_keys[] = {
	"id", "timestamp", "signing_key", "updates_key", "roots",
};

static int spec_check_keys(const char *spec, json_t *root)
{
	const char *key;
	json_t *v;

	json_object_foreach(root, key, v) {
		bool known = false;

		for (size_t i = 0; i < sizeof(spec_keys) / sizeof(spec_keys[0]); i++)
			known |= strcmp(key, spec_keys[i]) == 0;
		if (!known) {
			fprintf(stderr, PROG ": %s: unknown key \"%s\" (known: id, timestamp, signing_key, updates_key, roots)\n",
				spec, key);
			return -1;
		}
	}
	return 0;
}

/* A u64 given as a JSON integer or as a decimal / 0x-hex string. */
static int spec_u64(const char *spec, json_t *root, const char *key, bool *present,
		    uint64_t *out)
{
	json_t *v = json_object_get(root, key);

	*present = v != NULL;
	if (v == NULL)
		return 0;
	if (json_is_integer(v) && json_integer_value(v) > 0) {
		*out = (uint64_t)json_integer_value(v);
		return 0;
	}
	if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end;

		errno = 0;
		*out = strtoull(s, &end, 0);
		if (errno == 0 && end != s && *end == '\0' && s[0] != '-' && *out != 0)
			return 0;
	}
	fprintf(stderr, PROG ": %s: \"%s\" must be a positive integer (or a string like \"0x...\")\n",
		spec, key);
	return -1;
}

static int spec_root(const char *spec, json_t *jr, unsigned int i, struct ztdp_world_root *r)
{
	json_t *jid = json_object_get(jr, "identity");
	json_t *jeps = json_object_get(jr, "endpoints");
	const char *idarg, *why = NULL;
	char path[PATH_CAP];
	size_t k;
	json_t *je;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(jr) || !json_is_string(jid) ||
	    (jeps != NULL && !json_is_array(jeps))) {
		fprintf(stderr, PROG ": %s: roots[%u] must be {\"identity\": \"...\", \"endpoints\": [\"ip/port\", ...]}\n",
			spec, i);
		return -1;
	}
	idarg = json_string_value(jid);
	/* A literal identity, else a file beside the spec. */
	if (strlen(idarg) > 32 && idarg[10] == ':') {
		if (ztdp_identity_from_string(&r->identity, idarg, &why) != 0) {
			fprintf(stderr, PROG ": %s: roots[%u]: invalid identity: %s\n", spec, i, why);
			return -1;
		}
	} else if (spec_path(spec, idarg, path, sizeof(path)) != 0) {
		fprintf(stderr, PROG ": %s: roots[%u]: identity path too long\n", spec, i);
		return -1;
	} else if (ztdp_idtool_load_identity(path, &r->identity) != 0) {
		return -1;
	}
	if (!ztdp_identity_check(&r->identity, &why)) {
		fprintf(stderr, PROG ": %s: roots[%u]: invalid identity: %s\n", spec, i, why);
		ztdp_identity_clear(&r->identity);
		return -1;
	}
	/* Only the public key goes into a planet. */
	ztdp_identity_clear(&r->identity);
	if (jeps != NULL && json_array_size(jeps) > ZTDP_WORLD_MAX_ENDPOINTS) {
		fprintf(stderr, PROG ": %s: roots[%u]: more than %d endpoints\n", spec, i,
			ZTDP_WORLD_MAX_ENDPOINTS);
		return -1;
	}
	json_array_foreach(jeps, k, je) {
		struct ztdp_inetaddr *a = &r->endpoints[r->endpoint_count];

		if (!json_is_string(je) || ztdp_inetaddr_parse(a, json_string_value(je)) != 0 ||
		    (a->family != 4 && a->family != 6) || a->port == 0) {
			fprintf(stderr, PROG ": %s: roots[%u].endpoints[%zu]: want \"ip/port\" with a port\n",
				spec, i, k);
			return -1;
		}
		r->endpoint_count++;
	}
	if (r->endpoint_count == 0)
		fprintf(stderr, PROG ": warning: root %010llx has no endpoints: nodes can only reach it through another root\n",
			(unsigned long long)r->identity.address);
	return 0;
}

static int spec_roots(const char *spec, json_t *jroots, struct ztdp_world *w)
{
	size_t n = json_array_size(jroots);

	if (!json_is_array(jroots) || n == 0 || n > ZTDP_WORLD_MAX_ROOTS) {
		fprintf(stderr, PROG ": %s: \"roots\" must be an array of 1 to %d roots\n", spec,
			ZTDP_WORLD_MAX_ROOTS);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (spec_root(spec, json_array_get(jroots, i), (unsigned int)i, &w->roots[i]) != 0)
			return -1;
		for (size_t j = 0; j < i; j++) {
			if (w->roots[j].identity.address == w->roots[i].identity.address) {
				fprintf(stderr, PROG ": %s: root %010llx is listed twice\n", spec,
					(unsigned long long)w->roots[i].identity.address);
				return -1;
			}
		}
	}
	w->root_count = (unsigned int)n;
	return 0;
}

/* The key named by spec[key] (or fallback's path when absent). */
static int spec_key(const char *spec, json_t *root, const char *key, struct keypair *k,
		    const struct keypair *fallback)
{
	json_t *v = json_object_get(root, key);

	if (v == NULL && fallback != NULL) {
		snprintf(k->path, sizeof(k->path), "%s", fallback->path);
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0) {
		fprintf(stderr, PROG ": %s: \"%s\" must name a key pair file (.c25519)\n", spec, key);
		return -1;
	}
	if (spec_path(spec, json_string_value(v), k->path, sizeof(k->path)) != 0) {
		fprintf(stderr, PROG ": %s: \"%s\": path too long\n", spec, key);
		return -1;
	}
	return 0;
}

/* Everything but the keys: id, timestamp, roots (from current when an
 * update's spec has none). */
static int spec_world(const struct genplanet_opts *o, json_t *root,
		      const struct ztdp_world *current, struct ztdp_world *w)
{
	bool has_id, has_ts;
	json_t *jroots = json_object_get(root, "roots");

	memset(w, 0, sizeof(*w));
	w->type = ZTDP_WORLD_TYPE_PLANET;
	if (spec_u64(o->spec, root, "id", &has_id, &w->id) != 0 ||
	    spec_u64(o->spec, root, "timestamp", &has_ts, &w->timestamp) != 0)
		return -1;
	if (current != NULL) {
		if (has_id && w->id != current->id) {
			fprintf(stderr, PROG ": %s: id %llu is not the current planet's (%llu): an update keeps the id\n",
				o->spec, (unsigned long long)w->id,
				(unsigned long long)current->id);
			return -1;
		}
		w->id = current->id;
	} else if (!has_id) {
		fprintf(stderr, PROG ": %s: \"id\" is missing (the world id every member checks)\n",
			o->spec);
		return -1;
	}
	if (!has_ts)
		w->timestamp = now_ms();
	if (current != NULL && w->timestamp <= current->timestamp) {
		fprintf(stderr, PROG ": %s: timestamp %llu is not newer than the current planet's %llu\n",
			o->spec, (unsigned long long)w->timestamp,
			(unsigned long long)current->timestamp);
		return -1;
	}
	if (jroots == NULL && current != NULL) {
		w->root_count = current->root_count;
		memcpy(w->roots, current->roots, sizeof(w->roots));
		return 0;
	}
	return spec_roots(o->spec, jroots, w);
}

/* ---- Output -------------------------------------------------------------- */

static void print_c_array(const uint8_t *b, size_t n)
{
	printf("static const uint8_t ztdp_planet[%zu] = {", n);
	for (size_t i = 0; i < n; i++)
		printf("%s0x%02x%s", i % 12 == 0 ? "\n\t" : "", b[i], i + 1 < n ? "," : "");
	printf("\n};\n");
}

static void print_world(const struct ztdp_world *w)
{
	printf("planet id %llu (0x%016llx) timestamp %llu, %u root(s)\n",
	       (unsigned long long)w->id, (unsigned long long)w->id,
	       (unsigned long long)w->timestamp, w->root_count);
	for (unsigned int i = 0; i < w->root_count; i++) {
		const struct ztdp_world_root *r = &w->roots[i];

		printf("  root %010llx", (unsigned long long)r->identity.address);
		for (unsigned int j = 0; j < r->endpoint_count; j++) {
			char a[ZTDP_INETADDR_STRLEN];

			if (ztdp_inetaddr_format(&r->endpoints[j], a, sizeof(a)) < 0)
				snprintf(a, sizeof(a), "?");
			printf(" %s", a);
		}
		printf("\n");
	}
	print_key_hex("  updates must be signed by ", w->updates_key, ZTDP_C25519_PUBLIC_LEN);
}

/* ---- genplanet ------------------------------------------------------------ */

static int parse_opts(int argc, char **argv, struct genplanet_opts *o)
{
	int pos = 0;

	memset(o, 0, sizeof(*o));
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--update")) {
			if (++i >= argc) {
				fprintf(stderr, PROG ": --update needs the current planet file\n");
				return -1;
			}
			o->update = argv[i];
		} else if (!strcmp(argv[i], "--c-array")) {
			o->c_array = true;
		} else if (!strcmp(argv[i], "--hex")) {
			o->hex = true;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			fprintf(stderr, PROG ": genplanet: unknown option %s\n", argv[i]);
			return -1;
		} else if (pos == 0) {
			o->spec = argv[i];
			pos++;
		} else if (pos == 1) {
			o->out = argv[i];
			pos++;
		} else {
			fprintf(stderr, PROG ": genplanet: unexpected argument %s\n", argv[i]);
			return -1;
		}
	}
	if (pos != 2) {
		fprintf(stderr, PROG ": genplanet needs <spec.json> <planet> (try --help)\n");
		return -1;
	}
	return 0;
}

/* Sign w and check the result the way a node will: an update must replace
 * the current planet; a first planet must verify with its signing key. */
static int sign_and_check(struct ztdp_world *w, const struct keypair *sk,
			  const struct keypair *uk, const struct ztdp_world *current)
{
	memcpy(w->updates_key, uk->pub, ZTDP_C25519_PUBLIC_LEN);
	if (ztdp_world_sign(w, sk->pub, sk->priv) != 0) {
		fprintf(stderr, PROG ": the planet does not serialize\n");
		return -1;
	}
	if (current != NULL ? !ztdp_world_should_replace(current, w)
			    : !ztdp_world_verify(w, sk->pub)) {
		fprintf(stderr, PROG ": internal error: the signed planet does not verify\n");
		return -1;
	}
	return 0;
}

int ztdp_idtool_genplanet(int argc, char **argv)
{
	static struct ztdp_world current, w;
	static uint8_t bin[ZTDP_WORLD_MAX_LEN];
	struct keypair sk, uk;
	struct genplanet_opts o;
	json_error_t jerr;
	json_t *root = NULL;
	char *text = NULL;
	struct ztdp_wr wr;
	size_t len;
	int rc = 1;

	memset(&sk, 0, sizeof(sk));
	memset(&uk, 0, sizeof(uk));
	if (parse_opts(argc, argv, &o) != 0)
		return 1;
	if (o.update != NULL && load_planet(o.update, &current) != 0)
		return 1;
	text = ztdp_idtool_read_file(o.spec, SMALL_FILE_MAX, &len);
	if (text == NULL) {
		fprintf(stderr, PROG ": cannot read %s: %s\n", o.spec,
			errno == EFBIG ? "too large for a planet spec" : strerror(errno));
		return 1;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		fprintf(stderr, PROG ": %s:%d:%d: %s\n", o.spec, jerr.line, jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		fprintf(stderr, PROG ": %s: the spec must be a JSON object\n", o.spec);
		goto out;
	}
	if (spec_check_keys(o.spec, root) != 0 ||
	    spec_world(&o, root, o.update != NULL ? &current : NULL, &w) != 0 ||
	    spec_key(o.spec, root, "signing_key", &sk, NULL) != 0 ||
	    spec_key(o.spec, root, "updates_key", &uk, &sk) != 0)
		goto out;
	/* An update is signed by the key its predecessor names: that key
	 * must exist. A first planet may start from fresh keys. */
	if (load_key(&sk, o.update == NULL) != 0)
		goto out;
	if (o.update != NULL && memcmp(sk.pub, current.updates_key, ZTDP_C25519_PUBLIC_LEN) != 0) {
		fprintf(stderr, PROG ": %s is not the key %s names for its updates\n", sk.path,
			o.update);
		goto out;
	}
	if (strcmp(uk.path, sk.path) == 0)
		uk = sk;
	else if (load_key(&uk, true) != 0)
		goto out;
	if (sign_and_check(&w, &sk, &uk, o.update != NULL ? &current : NULL) != 0)
		goto out;
	ztdp_wr_init(&wr, bin, sizeof(bin));
	if (ztdp_world_encode(&wr, &w) != ZTDP_WORLD_OK) {
		fprintf(stderr, PROG ": the planet does not serialize\n");
		goto out;
	}
	/* Keys first: a planet whose key was lost could never be updated. */
	if (save_key(&sk) != 0 || (uk.created && strcmp(uk.path, sk.path) != 0 &&
				   save_key(&uk) != 0))
		goto out;
	if (ztdp_idtool_write_atomic(o.out, bin, wr.off, 0644) != 0) {
		fprintf(stderr, PROG ": cannot write %s: %s\n", o.out, strerror(errno));
		goto out;
	}
	print_world(&w);
	printf("%s written (%zu bytes%s)\n", o.out, wr.off,
	       o.update != NULL ? ", an update of the current planet" : "");
	if (o.c_array)
		print_c_array(bin, wr.off);
	if (o.hex) {
		char *hex = malloc(2 * wr.off + 1);

		if (hex != NULL) {
			ztdp_hex_encode(bin, wr.off, hex);
			printf("%s\n", hex);
			free(hex);
		}
	}
	rc = 0;
out:
	sodium_memzero(&sk, sizeof(sk));
	sodium_memzero(&uk, sizeof(uk));
	json_decref(root);
	free(text);
	return rc;
}

/* ---- showplanet ------------------------------------------------------------ */

int ztdp_idtool_showplanet(int argc, char **argv)
{
	static struct ztdp_world w, current;

	if (argc < 3 || argc > 4) {
		ztdp_idtool_usage(stderr);
		return 1;
	}
	if (load_planet(argv[2], &w) != 0 || (argc == 4 && load_planet(argv[3], &current) != 0))
		return 1;
	if (argc == 4 && !ztdp_world_should_replace(&current, &w)) {
		fprintf(stderr, "%s does not replace %s: %s\n", argv[2], argv[3],
			w.id != current.id ? "another world id" :
			w.timestamp <= current.timestamp ? "not newer" :
			"not signed with the key the current planet names");
		return 1;
	}
	print_world(&w);
	printf("  signed by its own updates key: %s\n", ztdp_world_verify_self(&w) ? "yes" : "no");
	if (argc == 4)
		printf("%s replaces %s\n", argv[2], argv[3]);
	return 0;
}
