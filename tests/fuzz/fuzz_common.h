/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What every libFuzzer target here shares: the entry points' prototypes
 * and CHECK, an assertion that stays on in every build (a failed one is a
 * finding, so it aborts for libFuzzer to save the input).
 */
#ifndef ZTDP_FUZZ_COMMON_H
#define ZTDP_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif /* ZTDP_FUZZ_COMMON_H */
