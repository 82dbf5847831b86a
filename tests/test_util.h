/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the unit tests: finding ../shared, reading JSON vectors
 * and files, hex. */
#ifndef ZTDP_TEST_UTIL_H
#define ZTDP_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

/* Path of a file under the shared directory (ZTDP_SHARED_DIR). */
const char *ztdp_test_shared_path(const char *rel);
/* True if the shared file exists; otherwise prints why the caller skips. */
bool ztdp_test_have_shared(const char *rel);
/* Load a JSON file under the shared directory; fails the test if it does
 * not parse. Call ztdp_test_have_shared first to skip when absent. */
json_t *ztdp_test_load_json(const char *rel);
/* Read a whole file; fails the test if it cannot. Caller frees. */
uint8_t *ztdp_test_read_file(const char *path, size_t *len);
/* Decode hex into a fresh buffer (caller frees); fails on bad hex. */
uint8_t *ztdp_test_unhex(const char *hex, size_t *len);
/* Decode hex of exactly n bytes into out; fails otherwise. */
void ztdp_test_unhex_exact(const char *hex, uint8_t *out, size_t n);
/* String member of a JSON object; fails if missing. */
const char *ztdp_test_json_str(const json_t *obj, const char *key);

#endif /* ZTDP_TEST_UTIL_H */
