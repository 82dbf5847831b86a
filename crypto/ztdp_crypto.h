/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Library start-up: libsodium, and the choice of AES backend.
 *
 * Two backends implement AES-GMAC-SIV behind one interface: "openssl" (the
 * portable default) and "ipsec-mb" (Intel's multi-buffer library, chosen
 * when the CPU has AES-NI and PCLMULQDQ). ZTDP_AES_BACKEND in the
 * environment overrides the choice.
 */
#ifndef ZTDP_CRYPTO_H
#define ZTDP_CRYPTO_H

/* Call once before any other crypto function; safe to call again.
 * backend: NULL or "auto" to choose from CPU features, or a backend name.
 * Returns 0, or -1 if libsodium fails or the named backend is unusable. */
int ztdp_crypto_init(const char *backend);

/* Make a backend current for key contexts built from now on. Returns -1 if
 * it does not exist or cannot run on this CPU. */
int ztdp_crypto_select_aes_backend(const char *name);
const char *ztdp_crypto_aes_backend_name(void);

/* Backend names in preference order, NULL-terminated; includes ones this
 * CPU cannot run (ztdp_crypto_aes_backend_usable tells). */
const char *const *ztdp_crypto_aes_backend_names(void);
int ztdp_crypto_aes_backend_usable(const char *name);

#endif /* ZTDP_CRYPTO_H */
