/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * librpmem: PMDK's remote persistent memory API, version 1.3, provided by
 * kpmem.  Binary compatible with PMDK's librpmem.so.1 (symbol version
 * LIBRPMEM_1.0); the data path is kpmem.ko's in-kernel RDMA initiator
 * instead of libfabric, and the target is a kpmem export instead of a pool
 * set served by rpmemd over ssh.  See lib/rpmem/README.md for the
 * differences.
 */
#ifndef LIBRPMEM_H
#define LIBRPMEM_H 1

#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * PMDK 1.12 marked every function deprecated.  The warning is opt-in here
 * so that code building with -Werror keeps building unchanged.
 */
#ifdef RPMEM_DEPRECATION_WARNINGS
#define RPMEM_DEPR_STR "Librpmem is deprecated."
#define RPMEM_DEPR_ATTR __attribute__((deprecated(RPMEM_DEPR_STR)))
#else
#define RPMEM_DEPR_ATTR
#endif

typedef struct rpmem_pool RPMEMpool;

#define RPMEM_POOL_HDR_SIG_LEN    8
#define RPMEM_POOL_HDR_UUID_LEN   16
#define RPMEM_POOL_USER_FLAGS_LEN 16

/* The pool header attributes: 104 bytes, no padding. */
struct rpmem_pool_attr {
	char signature[RPMEM_POOL_HDR_SIG_LEN];
	uint32_t major;
	uint32_t compat_features;
	uint32_t incompat_features;
	uint32_t ro_compat_features;
	unsigned char poolset_uuid[RPMEM_POOL_HDR_UUID_LEN];
	unsigned char uuid[RPMEM_POOL_HDR_UUID_LEN];
	unsigned char next_uuid[RPMEM_POOL_HDR_UUID_LEN];
	unsigned char prev_uuid[RPMEM_POOL_HDR_UUID_LEN];
	unsigned char user_flags[RPMEM_POOL_USER_FLAGS_LEN];
};

RPMEM_DEPR_ATTR RPMEMpool *rpmem_create(const char *target, const char *pool_set_name,
	void *pool_addr, size_t pool_size, unsigned *nlanes,
	const struct rpmem_pool_attr *create_attr);

RPMEM_DEPR_ATTR RPMEMpool *rpmem_open(const char *target, const char *pool_set_name,
	void *pool_addr, size_t pool_size, unsigned *nlanes,
	struct rpmem_pool_attr *open_attr);

RPMEM_DEPR_ATTR int rpmem_set_attr(RPMEMpool *rpp, const struct rpmem_pool_attr *attr);

RPMEM_DEPR_ATTR int rpmem_close(RPMEMpool *rpp);

#define RPMEM_PERSIST_RELAXED (1U << 0)
#define RPMEM_FLUSH_RELAXED   (1U << 0)

RPMEM_DEPR_ATTR int rpmem_flush(RPMEMpool *rpp, size_t offset, size_t length,
	unsigned lane, unsigned flags);
RPMEM_DEPR_ATTR int rpmem_drain(RPMEMpool *rpp, unsigned lane, unsigned flags);

RPMEM_DEPR_ATTR int rpmem_persist(RPMEMpool *rpp, size_t offset, size_t length,
	unsigned lane, unsigned flags);
RPMEM_DEPR_ATTR int rpmem_read(RPMEMpool *rpp, void *buff, size_t offset,
	size_t length, unsigned lane);
RPMEM_DEPR_ATTR int rpmem_deep_persist(RPMEMpool *rpp, size_t offset,
	size_t length, unsigned lane);

#define RPMEM_REMOVE_FORCE    0x1
#define RPMEM_REMOVE_POOL_SET 0x2

RPMEM_DEPR_ATTR int rpmem_remove(const char *target, const char *pool_set, int flags);

#define RPMEM_MAJOR_VERSION 1
#define RPMEM_MINOR_VERSION 3

RPMEM_DEPR_ATTR const char *rpmem_check_version(unsigned major_required,
	unsigned minor_required);

RPMEM_DEPR_ATTR const char *rpmem_errormsg(void);

/* Minimum sizes of a pool and of one part of a pool set. */
#define RPMEM_MIN_POOL ((size_t)(1024 * 8))
#define RPMEM_MIN_PART ((size_t)(1024 * 1024 * 2))

#ifdef __cplusplus
}
#endif

#endif /* LIBRPMEM_H */
