/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Library start-up and the choice of AES-GMAC-SIV backend.
 *
 * The current backend only decides which backend builds key contexts from
 * now on: every ztdp_peer_key remembers the backend that built it, so
 * switching never strands a live key.
 */
#include <sodium.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aes_backend.h"
#include "ztdp_crypto.h"

/* Preference order for "auto": the fastest first. */
static const struct ztdp_aes_backend *const backends[] = {
	&ztdp_aes_backend_ipsec_mb,
	&ztdp_aes_backend_openssl,
};
#define N_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/* Must list the same names as backends[], in the same order (a backend's
 * name field is not a constant expression, so it cannot be taken from
 * there); test_aes_backends checks that they agree. */
static const char *const backend_names[N_BACKENDS + 1] = {
	"ipsec-mb",
	"openssl",
	NULL,
};

/* NULL until chosen: ztdp_aes_backend_current() then says openssl. */
static _Atomic(const struct ztdp_aes_backend *) current_backend;

static const struct ztdp_aes_backend *find_backend(const char *name)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < N_BACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

static const struct ztdp_aes_backend *auto_backend(void)
{
	size_t i;

	for (i = 0; i < N_BACKENDS; i++)
		if (backends[i]->usable())
			return backends[i];
	/* openssl is always usable; this is only a backstop. */
	return &ztdp_aes_backend_openssl;
}

const struct ztdp_aes_backend *ztdp_aes_backend_current(void)
{
	const struct ztdp_aes_backend *b =
		atomic_load_explicit(&current_backend, memory_order_acquire);

	return b != NULL ? b : &ztdp_aes_backend_openssl;
}

int ztdp_crypto_select_aes_backend(const char *name)
{
	const struct ztdp_aes_backend *b;

	if (name != NULL && strcmp(name, "auto") == 0)
		b = auto_backend();
	else
		b = find_backend(name);
	if (b == NULL || !b->usable())
		return -1;
	atomic_store_explicit(&current_backend, b, memory_order_release);
	return 0;
}

int ztdp_crypto_init(const char *backend)
{
	const char *env = getenv("ZTDP_AES_BACKEND");
	const char *name = backend;

	if (sodium_init() < 0)
		return -1;
	/* The environment wins so a deployed binary can be switched (or a
	 * suspect backend ruled out) without a rebuild. */
	if (env != NULL && *env != '\0')
		name = env;
	if (name == NULL || *name == '\0')
		name = "auto";
	return ztdp_crypto_select_aes_backend(name);
}

const char *ztdp_crypto_aes_backend_name(void)
{
	return ztdp_aes_backend_current()->name;
}

const char *const *ztdp_crypto_aes_backend_names(void)
{
	return backend_names;
}

int ztdp_crypto_aes_backend_usable(const char *name)
{
	const struct ztdp_aes_backend *b = find_backend(name);

	return b != NULL && b->usable();
}
