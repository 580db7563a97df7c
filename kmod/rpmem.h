/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rpmem internals shared by the export registry, the target and the
 * initiator.
 */
#ifndef KPMEM_RPMEM_H
#define KPMEM_RPMEM_H

#include <linux/atomic.h>
#include <linux/kpmem.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/socket.h>

struct kpmem_tconn;

struct kpmem_export_stats {
	atomic64_t connections;
	atomic64_t rejected;
	atomic64_t persists;
	atomic64_t bytes_persisted;
	atomic64_t reads;
	atomic64_t errors;
	atomic64_t deep_flushes;
};

/* region_flush.c: the nvdimm region under a device DAX export */
struct nd_region;
struct kpmem_region_flush {
	struct device *dev;		/* the region's device, referenced */
	struct nd_region *region;
	int (*flush)(struct nd_region *region, struct bio *bio);
};

int kpmem_region_flush_get(struct kpmem_region_flush *rf, struct file *devdax);
int kpmem_region_flush(struct kpmem_region_flush *rf);
void kpmem_region_flush_put(struct kpmem_region_flush *rf);

/*
 * An export: named storage a target serves to one initiator at a time.
 * Lives while listed or used by a connection (@ref).
 */
struct kpmem_export {
	struct list_head node;		/* on the export list, unless @removed */
	struct kref ref;
	char name[KPMEM_NAME_MAX + 1];
	u32 flags;			/* KPMEM_EXPORT_* */
	u32 kind;			/* enum kpmem_source_kind of the backing */
	u64 size;
	struct file *file;		/* the backing */
	struct page **pages;		/* device DAX: pinned for the export's life */
	unsigned long npages;
	void *vaddr;			/* device DAX: @pages mapped contiguously */
	struct dev_pagemap *pgmap;	/* device DAX: held while @pages are used */
	struct kpmem_region_flush deep;	/* device DAX on an nvdimm: for deep persists */
	u32 nallow;
	struct kpmem_sockaddr allow[KPMEM_EXPORT_ALLOW_MAX];
	u32 key_len;			/* 0: no key required */
	u8 key[KPMEM_KEY_MAX];
	struct mutex lock;		/* the pool header / @has_pool */
	bool has_pool;			/* NOHDRS exports: a pool was created */
	struct file *state_file;	/* KPMEM_EXPORT_STATE_FD: keeps @has_pool */
	u64 state_seq;			/* the newest record in @state_file */
	bool removed;			/* under the export list lock */
	struct kpmem_tconn *conn;	/* under the export list lock */
	struct kpmem_export_stats stats;
};

/* rpmem_export_state.c */
int kpmem_export_state_open(struct kpmem_export *exp, int fd);
int kpmem_export_state_save(struct kpmem_export *exp);
void kpmem_export_state_close(struct kpmem_export *exp);

/* rpmem_export.c */
long kpmem_export_add(void __user *argp);
long kpmem_export_remove(void __user *argp);
long kpmem_export_list(void __user *argp);
struct kpmem_export *kpmem_export_get(const char *name);
void kpmem_export_put(struct kpmem_export *exp);
int kpmem_export_attach(struct kpmem_export *exp, struct kpmem_tconn *conn);
void kpmem_export_detach(struct kpmem_export *exp, struct kpmem_tconn *conn);
bool kpmem_export_allows(struct kpmem_export *exp, const struct sockaddr *peer);
int kpmem_export_write(struct kpmem_export *exp, u64 offset, const void *src, size_t len);
void kpmem_export_writeback(struct kpmem_export *exp, u64 offset, size_t len);
int kpmem_export_persist(struct kpmem_export *exp, u64 offset, size_t len, bool deep);
int kpmem_export_read(struct kpmem_export *exp, u64 offset, void *dst, size_t len);
int kpmem_export_pool_get(struct kpmem_export *exp, bool *exists, struct kpmem_pool_attr *attr);
int kpmem_export_pool_set(struct kpmem_export *exp, u64 pool_size,
			  const struct kpmem_pool_attr *attr);
void kpmem_exports_remove_all(void);

/* rpmem_target.c */
int kpmem_target_init(void);
void kpmem_target_stop(void);
void kpmem_target_exit(void);
int kpmem_target_listen_get(void);
void kpmem_target_listen_put(void);
u32 kpmem_target_port_listening(void);
void kpmem_target_conn_kill(struct kpmem_tconn *conn);
void kpmem_target_conn_peer(struct kpmem_tconn *conn, struct kpmem_sockaddr *peer);

/* rpmem_pool.c */
long kpmem_pool_connect(void __user *argp);
void kpmem_initiator_init(void);
void kpmem_initiator_exit(void);

/* rpmem_auth.c */
struct kpmem_wire_hello;
struct kpmem_wire_hello_reply;
struct kpmem_wire_seg;
bool kpmem_auth_key_ok(const u8 *key, u32 key_len);
int kpmem_auth_conn_key(const u8 *psk, u32 psk_len, const u8 *nonce_i, const u8 *nonce_t,
			u8 *key);
int kpmem_auth_hello_mac(const u8 *key, const struct sockaddr *initiator,
			 const struct sockaddr *target, const struct kpmem_wire_hello *hello,
			 u8 *mac);
int kpmem_auth_reply_mac(const u8 *key, const u8 *hello_mac,
			 const struct kpmem_wire_hello_reply *reply,
			 const struct kpmem_wire_seg *segs, u32 nsegs, u8 *mac);
bool kpmem_auth_mac_equal(const u8 *a, const u8 *b);

/* rpmem_uring.c */
int kpmem_uring_init(void);
void kpmem_uring_exit(void);

#endif /* KPMEM_RPMEM_H */
