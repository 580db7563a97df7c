/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Environment variables librpmem honours, read once when the library is
 * loaded (as PMDK does), so a running program cannot change them midway.
 */
#ifndef RPMEM_ENV_H
#define RPMEM_ENV_H

/**
 * rpmem_env_parse_uint() - parse a positive integer setting as PMDK does
 * @s: the variable's value (may be NULL)
 * @out: receives the value when it is valid
 *
 * Valid: what strtol() reads in base 10 (leading white space and a sign
 * allowed) with nothing after it, positive, at most LONG_MAX; values above
 * UINT_MAX give UINT_MAX.
 *
 * Return: 0 when valid, -1 otherwise (@out untouched, errno untouched).
 */
int rpmem_env_parse_uint(const char *s, unsigned *out);

/**
 * rpmem_env_max_nlanes() - the lane cap from RPMEM_MAX_NLANES
 *
 * Return: its value when it was valid at load time, else UINT_MAX (no cap).
 */
unsigned rpmem_env_max_nlanes(void);

#endif /* RPMEM_ENV_H */
