// SPDX-License-Identifier: GPL-2.0
/*
 * Target exports: the named storage ranges a target serves, their backing
 * storage, and the pool header kept at the start of non-NOHDRS exports.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/libnvdimm.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>
#include <linux/wait.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"
#include "rpmem_pool_hdr.h"

static LIST_HEAD(kpmem_exports);
static DEFINE_MUTEX(kpmem_exports_lock);	/* the list, and each export's @conn */
static DECLARE_WAIT_QUEUE_HEAD(kpmem_export_detached);	/* an export's @conn let go */

/* Undo kpmem_export_pin_devdax() (nothing for file exports). */
static void kpmem_export_unpin(struct kpmem_export *exp)
{
	if (exp->vaddr)
		vunmap(exp->vaddr);
	if (exp->pages) {
		unpin_user_pages(exp->pages, exp->npages);
		kpmem_live_add(KPMEM_LIVE_EXPORT_PINNED_PAGES, -(long)exp->npages);
		kvfree(exp->pages);
	}
	if (exp->pgmap)
		put_dev_pagemap(exp->pgmap);
	if (exp->deep.dev)
		kpmem_region_flush_put(&exp->deep);
}

static void kpmem_export_release(struct kref *ref)
{
	struct kpmem_export *exp = container_of(ref, struct kpmem_export, ref);

	kpmem_export_unpin(exp);
	kpmem_export_state_close(exp);
	fput(exp->file);
	mutex_destroy(&exp->lock);
	kfree_sensitive(exp);
	kpmem_live_dec(KPMEM_LIVE_EXPORTS);
	kpmem_target_listen_put();
}

void kpmem_export_put(struct kpmem_export *exp)
{
	kref_put(&exp->ref, kpmem_export_release);
}

/*
 * Device DAX gives the kernel no mapping of its own: map the device into
 * the (admin) caller's address space for a moment, pin its pages for as
 * long as the export lives, and map them contiguously into the kernel.
 */
static int kpmem_export_pin_devdax(struct kpmem_export *exp)
{
	unsigned long addr, done = 0;
	long n;
	int ret = 0;

	exp->npages = exp->size >> PAGE_SHIFT;
	exp->pages = kpmem_alloc(kvmalloc_array(exp->npages, sizeof(*exp->pages), GFP_KERNEL));
	if (!exp->pages)
		return -ENOMEM;

	addr = vm_mmap(exp->file, 0, exp->size, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (IS_ERR_VALUE(addr)) {
		ret = (long)addr;
		goto out_free;
	}
	while (done < exp->npages) {
		n = pin_user_pages_fast(addr + (done << PAGE_SHIFT),
					min_t(unsigned long, exp->npages - done, 512),
					FOLL_WRITE | FOLL_LONGTERM, exp->pages + done);
		if (n <= 0) {
			ret = n ? n : -EFAULT;
			break;
		}
		done += n;
		kpmem_live_add(KPMEM_LIVE_EXPORT_PINNED_PAGES, n);
	}
	vm_munmap(addr, exp->size);
	if (ret)
		goto out_unpin;

	/*
	 * Pins alone do not keep device DAX from tearing its memmap down when
	 * the namespace is reconfigured; a reference on its pagemap makes that
	 * wait until the export is removed.
	 */
	ret = -ENODEV;
	exp->pgmap = get_dev_pagemap(page_to_pfn(exp->pages[0]), NULL);
	if (!exp->pgmap)
		goto out_unpin;
	exp->vaddr = vmap(exp->pages, exp->npages, VM_MAP, PAGE_KERNEL);
	if (exp->vaddr) {
		if (kpmem_region_flush_get(&exp->deep, exp->file))
			pr_info("export '%s': not on an nvdimm region; deep persists only write back caches\n",
				exp->name);
		return 0;
	}
	put_dev_pagemap(exp->pgmap);
	exp->pgmap = NULL;
	ret = -ENOMEM;
out_unpin:
	unpin_user_pages(exp->pages, done);
	kpmem_live_add(KPMEM_LIVE_EXPORT_PINNED_PAGES, -(long)done);
out_free:
	kvfree(exp->pages);
	exp->pages = NULL;
	return ret;
}

/**
 * kpmem_export_write() - store bytes of a persist request into the export
 * @exp: the export
 * @offset: where, already checked against the export's size
 * @src: the bytes
 * @len: how many
 *
 * Device DAX stores bypass the CPU caches (memcpy_flushcache): only a fence
 * is left for kpmem_export_persist().
 *
 * Return: 0 or a negative errno.
 */
int kpmem_export_write(struct kpmem_export *exp, u64 offset, const void *src, size_t len)
{
	loff_t pos = offset;
	ssize_t n;

	if (exp->vaddr) {
		memcpy_flushcache(exp->vaddr + offset, src, len);
		return 0;
	}
	n = kernel_write(exp->file, src, len, &pos);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

/**
 * kpmem_export_writeback() - write back CPU caches over RDMA-placed data
 * @exp: a device DAX export
 * @offset: start, already checked
 * @len: length
 *
 * The RDMA device placed the bytes through ordinary (cached) stores; only
 * after this and kpmem_export_persist() are they on the media.
 */
void kpmem_export_writeback(struct kpmem_export *exp, u64 offset, size_t len)
{
	arch_wb_cache_pmem(exp->vaddr + offset, len);
}

/**
 * kpmem_export_persist() - make [offset, offset + len) durable
 * @exp: the export
 * @offset: start
 * @len: length, non-zero
 * @deep: deep persist requested
 *
 * On device DAX the range is already out of the CPU caches (written with
 * non-temporal stores, or written back by kpmem_export_writeback()): what
 * is left is a fence, and for a deep persist the region's flush, both of
 * which cover everything before them, so the range itself is not needed.
 * A file is synced over the range.
 *
 * Return: 0 or a negative errno.
 */
int kpmem_export_persist(struct kpmem_export *exp, u64 offset, size_t len, bool deep)
{
	int ret;

	if (exp->vaddr) {
		/*
		 * The data was written with non-temporal stores or flushed;
		 * the fence orders it before the reply.  A deep persist also
		 * drains the memory controller's queues through the region.
		 */
		pmem_wmb();
		if (!deep || !exp->deep.dev)
			return 0;
		ret = kpmem_region_flush(&exp->deep);
		if (!ret)
			atomic64_inc(&exp->stats.deep_flushes);
		return ret;
	}
	/* On fsdax, fsync also flushes the pmem block device (its region). */
	return vfs_fsync_range(exp->file, offset, offset + len - 1, 1);
}

/**
 * kpmem_export_read() - copy bytes out of the export
 * @exp: the export
 * @offset: where, already checked
 * @dst: destination
 * @len: how many
 *
 * Return: 0, -EIO when the media is poisoned, or another negative errno.
 */
int kpmem_export_read(struct kpmem_export *exp, u64 offset, void *dst, size_t len)
{
	loff_t pos = offset;
	ssize_t n;

	if (exp->vaddr)
		return copy_mc_to_kernel(dst, exp->vaddr + offset, len) ? -EIO : 0;
	n = kernel_read(exp->file, dst, len, &pos);
	if (n < 0)
		return n;
	return n == len ? 0 : -EIO;
}

/*
 * The pool header (rpmem_pool_hdr.h): PMDK's, at offset 0 of an export
 * that keeps one.  It is all the export records about its pool: the pool
 * size rpmem_create() asked for is not kept (HELLO checks every pool size
 * against the export's, as rpmemd checks it against its pool set's).
 */

/* Read and classify the header; a buffer the caller frees, or an ERR_PTR. */
static struct kpmem_pmdk_hdr *kpmem_export_hdr_read(struct kpmem_export *exp,
						    enum kpmem_pool_hdr_kind *kind,
						    struct kpmem_pool_attr *attr)
{
	struct kpmem_pmdk_hdr *hdr = kpmem_alloc(kmalloc(sizeof(*hdr), GFP_KERNEL));
	int ret;

	if (!hdr)
		return ERR_PTR(-ENOMEM);
	ret = kpmem_export_read(exp, 0, hdr, sizeof(*hdr));
	if (ret) {
		kfree(hdr);
		return ERR_PTR(ret);
	}
	*kind = kpmem_pool_hdr_parse(hdr, attr);
	return hdr;
}

static int kpmem_export_hdr_write(struct kpmem_export *exp, const struct kpmem_pmdk_hdr *hdr)
{
	int ret = kpmem_export_write(exp, 0, hdr, sizeof(*hdr));

	return ret ?: kpmem_export_persist(exp, 0, sizeof(*hdr), true);
}

static void kpmem_export_old_hdr_refused(struct kpmem_export *exp)
{
	pr_warn_ratelimited("export '%s' holds a kpmem 0.1 pool header, not PMDK's: its pool is refused (EUCLEAN) until converted (kpmemctl export-remove, then export-add --convert-header)\n",
			    exp->name);
}

/**
 * kpmem_export_pool_get() - the export's pool, if it holds one
 * @exp: the export, its lock held
 * @exists: out: a pool was created and not removed
 * @attr: out: its attributes; zero without a pool or a header
 *
 * Only PMDK's header with a valid checksum is a pool; an export whose
 * first 4096 bytes hold anything else holds none (and rpmem_create() may
 * make one there), except kpmem 0.1's header, which nothing but
 * KPMEM_EXPORT_CONVERT_HDR may overwrite.
 *
 * Return: 0; -EUCLEAN for kpmem 0.1's header (logged); another negative
 * errno when the header cannot be read.
 */
int kpmem_export_pool_get(struct kpmem_export *exp, bool *exists, struct kpmem_pool_attr *attr)
{
	enum kpmem_pool_hdr_kind kind;
	struct kpmem_pmdk_hdr *hdr;

	memset(attr, 0, sizeof(*attr));
	if (exp->flags & KPMEM_EXPORT_NOHDRS) {
		*exists = exp->has_pool;
		return 0;
	}
	hdr = kpmem_export_hdr_read(exp, &kind, attr);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	kfree(hdr);
	if (kind == KPMEM_POOL_HDR_OLD) {
		memset(attr, 0, sizeof(*attr));
		kpmem_export_old_hdr_refused(exp);
		return -EUCLEAN;
	}
	*exists = kind == KPMEM_POOL_HDR_PMDK;
	return 0;
}

/**
 * kpmem_export_pool_set() - create, re-attribute or remove the export's pool
 * @exp: the export, its lock held
 * @pool_size: not recorded (see above)
 * @attr: the attributes; NULL: the pool is removed
 *
 * Over PMDK's header (rpmem_set_attr()) the attributes change and the
 * creation time and shutdown state stay, as rpmemd's set_attr does; over
 * anything else a new header is made, created now.  Removing zeroes the
 * header.  Persisted (deep) before returning.
 *
 * Return: 0 or a negative errno; -EUCLEAN over kpmem 0.1's header.
 */
int kpmem_export_pool_set(struct kpmem_export *exp, u64 pool_size,
			  const struct kpmem_pool_attr *attr)
{
	enum kpmem_pool_hdr_kind kind;
	struct kpmem_pool_attr cur;
	struct kpmem_pmdk_hdr *hdr;
	int ret;

	if (exp->flags & KPMEM_EXPORT_NOHDRS) {
		bool had_pool = exp->has_pool;

		/*
		 * Nothing on the media says a pool exists: the state file
		 * must, before the initiator is told so.
		 */
		exp->has_pool = !!attr;
		ret = kpmem_export_state_save(exp);
		if (ret) {
			exp->has_pool = had_pool;
			pr_err_ratelimited("export '%s': cannot record its pool in its state file: %d\n",
					   exp->name, ret);
		}
		return ret;
	}
	hdr = kpmem_export_hdr_read(exp, &kind, &cur);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	if (kind == KPMEM_POOL_HDR_OLD) {
		kpmem_export_old_hdr_refused(exp);
		ret = -EUCLEAN;
		goto out;
	}
	if (!attr) {
		memset(hdr, 0, sizeof(*hdr));
	} else if (kind == KPMEM_POOL_HDR_PMDK) {
		kpmem_pool_hdr_set_attr(hdr, attr);
	} else {
		if (kind == KPMEM_POOL_HDR_INVALID)
			pr_info_ratelimited("export '%s': creating a pool over a first page that held no pool header but was not zero\n",
					    exp->name);
		kpmem_pool_hdr_create(hdr, attr, ktime_get_real_seconds());
	}
	ret = kpmem_export_hdr_write(exp, hdr);
out:
	kfree(hdr);
	return ret;
}

/*
 * export-add, before the export is listed: kpmem 0.1's header is converted
 * into PMDK's with KPMEM_EXPORT_CONVERT_HDR, and otherwise only reported
 * (HELLO refuses its pool).  Anything else at offset 0 is left alone.
 */
static int kpmem_export_pool_prepare(struct kpmem_export *exp)
{
	bool convert = exp->flags & KPMEM_EXPORT_CONVERT_HDR;
	enum kpmem_pool_hdr_kind kind;
	struct kpmem_pool_attr attr;
	struct kpmem_pmdk_hdr *hdr;
	int ret = 0;

	exp->flags &= ~KPMEM_EXPORT_CONVERT_HDR;
	if (exp->flags & KPMEM_EXPORT_NOHDRS)
		return convert ? -EINVAL : 0;
	hdr = kpmem_export_hdr_read(exp, &kind, &attr);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);
	if (kind == KPMEM_POOL_HDR_OLD && !convert) {
		pr_warn("export '%s' holds a kpmem 0.1 pool header: initiators are refused until it is converted (export-add --convert-header)\n",
			exp->name);
	} else if (kind == KPMEM_POOL_HDR_OLD) {
		kpmem_pool_hdr_create(hdr, &attr, ktime_get_real_seconds());
		ret = kpmem_export_hdr_write(exp, hdr);
		if (!ret)
			pr_info("export '%s': converted its kpmem 0.1 pool header into PMDK's pool header (signature '%.8s')\n",
				exp->name, hdr->signature);
	}
	kfree(hdr);
	return ret;
}

static bool kpmem_export_name_ok(const char *name)
{
	size_t len = strnlen(name, KPMEM_NAME_MAX + 1);

	if (!len || len > KPMEM_NAME_MAX)
		return false;
	for (; *name; name++)
		if (!isalnum(*name) && !strchr("._-", *name))
			return false;
	return true;
}

static struct kpmem_export *kpmem_export_find_locked(const char *name)
{
	struct kpmem_export *exp;

	list_for_each_entry(exp, &kpmem_exports, node)
		if (!strcmp(exp->name, name))
			return exp;
	return NULL;
}

/**
 * kpmem_export_get() - a reference to the export named @name
 * @name: NUL-terminated, from a checked request
 *
 * Return: the export or NULL.
 */
struct kpmem_export *kpmem_export_get(const char *name)
{
	struct kpmem_export *exp;

	mutex_lock(&kpmem_exports_lock);
	exp = kpmem_export_find_locked(name);
	if (exp)
		kref_get(&exp->ref);
	mutex_unlock(&kpmem_exports_lock);
	return exp;
}

/**
 * kpmem_export_attach() - make @conn the export's one initiator
 * @exp: the export
 * @conn: the connection
 *
 * Return: 0, -EBUSY when another initiator holds it, -ENOENT when it was
 * removed meanwhile.
 */
int kpmem_export_attach(struct kpmem_export *exp, struct kpmem_tconn *conn)
{
	int ret = 0;

	mutex_lock(&kpmem_exports_lock);
	if (exp->removed)
		ret = -ENOENT;
	else if (exp->conn)
		ret = -EBUSY;
	else
		WRITE_ONCE(exp->conn, conn);
	mutex_unlock(&kpmem_exports_lock);
	return ret;
}

/**
 * kpmem_export_detach() - @conn no longer uses the export
 * @exp: the export
 * @conn: the connection, which can no longer write to it
 *
 * Another initiator may attach from now on, and a forced removal waiting
 * for @conn returns.
 */
void kpmem_export_detach(struct kpmem_export *exp, struct kpmem_tconn *conn)
{
	mutex_lock(&kpmem_exports_lock);
	if (exp->conn == conn)
		WRITE_ONCE(exp->conn, NULL);
	mutex_unlock(&kpmem_exports_lock);
	wake_up_all(&kpmem_export_detached);
}

/*
 * A wait_event() condition: it runs with the task no longer TASK_RUNNING,
 * where it must not sleep, so it reads @exp->conn without the list lock
 * (the waitqueue orders it against kpmem_export_detach()).
 */
static bool kpmem_export_let_go(struct kpmem_export *exp, struct kpmem_tconn *conn)
{
	return READ_ONCE(exp->conn) != conn;
}

/* Is @peer allowed by @allow (address and prefix of the same family)? */
static bool kpmem_addr_match(const struct kpmem_sockaddr *allow, const struct sockaddr *peer)
{
	const u8 *a, *p;
	unsigned int bits, len;

	if (allow->family == AF_INET && peer->sa_family == AF_INET) {
		a = (const u8 *)&((const struct sockaddr_in *)allow->addr)->sin_addr;
		p = (const u8 *)&((const struct sockaddr_in *)peer)->sin_addr;
		len = 32;
	} else if (allow->family == AF_INET6 && peer->sa_family == AF_INET6) {
		a = (const u8 *)&((const struct sockaddr_in6 *)allow->addr)->sin6_addr;
		p = (const u8 *)&((const struct sockaddr_in6 *)peer)->sin6_addr;
		len = 128;
	} else {
		return false;
	}
	bits = allow->prefix_len ? min(allow->prefix_len, len) : len;
	if (memcmp(a, p, bits / 8))
		return false;
	if (bits % 8) {
		u8 mask = 0xff << (8 - bits % 8);

		return (a[bits / 8] & mask) == (p[bits / 8] & mask);
	}
	return true;
}

bool kpmem_export_allows(struct kpmem_export *exp, const struct sockaddr *peer)
{
	u32 i;

	if (!exp->nallow)
		return true;
	for (i = 0; i < exp->nallow; i++)
		if (kpmem_addr_match(&exp->allow[i], peer))
			return true;
	return false;
}

static int kpmem_export_check_allow(const struct kpmem_export_add *req)
{
	u32 i;

	if (req->nallow > KPMEM_EXPORT_ALLOW_MAX)
		return -EINVAL;
	for (i = 0; i < req->nallow; i++) {
		const struct kpmem_sockaddr *a = &req->allow[i];

		if (a->reserved)
			return -EINVAL;
		if (a->family == AF_INET && a->len >= sizeof(struct sockaddr_in) &&
		    a->prefix_len <= 32)
			continue;
		if (a->family == AF_INET6 && a->len >= sizeof(struct sockaddr_in6) &&
		    a->prefix_len <= 128)
			continue;
		return -EINVAL;
	}
	return 0;
}

/*
 * Does a listed export have @file's backing?  Two exports of one file or
 * device would let two initiators write the same pool (PMDK refuses a part
 * file that is in two pool sets alike, EBUSY).  The mapping's host is the
 * file's inode, or the device DAX device's whatever node in /dev opened it.
 */
static bool kpmem_export_backing_used_locked(struct file *file)
{
	struct kpmem_export *exp;

	lockdep_assert_held(&kpmem_exports_lock);
	list_for_each_entry(exp, &kpmem_exports, node)
		if (exp->file->f_mapping->host == file->f_mapping->host)
			return true;
	return false;
}

static bool kpmem_export_backing_used(struct file *file)
{
	bool used;

	mutex_lock(&kpmem_exports_lock);
	used = kpmem_export_backing_used_locked(file);
	mutex_unlock(&kpmem_exports_lock);
	return used;
}

/**
 * kpmem_export_add() - KPMEM_IOC_EXPORT_ADD (the caller checked CAP_SYS_ADMIN)
 * @argp: struct kpmem_export_add in user memory
 *
 * Return: 0 or a negative errno.
 */
long kpmem_export_add(void __user *argp)
{
	struct kpmem_export_add *req;
	struct kpmem_export *exp = NULL;
	struct kpmem_source src;
	struct file *file;
	long ret;

	req = kpmem_memdup_user(argp, sizeof(*req));
	if (IS_ERR(req))
		return PTR_ERR(req);
	ret = -EINVAL;
	if (req->flags & ~KPMEM_EXPORT_FLAGS_ALL || !kpmem_auth_key_ok(req->key, req->key_len) ||
	    req->reserved0 || memchr_inv(req->reserved, 0, sizeof(req->reserved)) ||
	    (!(req->flags & KPMEM_EXPORT_STATE_FD) && req->state_fd) ||
	    /* An export with headers keeps its pool's existence on the media. */
	    ((req->flags & KPMEM_EXPORT_STATE_FD) && !(req->flags & KPMEM_EXPORT_NOHDRS)) ||
	    !memchr(req->name, '\0', sizeof(req->name)) || !kpmem_export_name_ok(req->name) ||
	    !IS_ALIGNED(req->size, PAGE_SIZE) || kpmem_export_check_allow(req))
		goto out_req;

	ret = -EBADF;
	file = fget(req->backing_fd);
	if (!file)
		goto out_req;
	ret = kpmem_source_probe(file, &src);
	if (ret)
		goto out_fput;
	/* Before the file grows or the device is pinned; checked again when listed. */
	ret = -EBUSY;
	if (kpmem_export_backing_used(file))
		goto out_fput;
	if (!req->size)
		req->size = src.size;
	ret = -EINVAL;
	if (!req->size || !IS_ALIGNED(req->size, src.alignment) ||
	    (!(req->flags & KPMEM_EXPORT_NOHDRS) && req->size <= KPMEM_POOL_HDR_SIZE))
		goto out_fput;
	if (req->size > src.size) {
		ret = -ERANGE;
		if (src.kind == KPMEM_SOURCE_DEVDAX)
			goto out_fput;
		ret = kpmem_source_grow(file, &src, req->size);
		if (ret)
			goto out_fput;
	}

	ret = -ENOMEM;
	exp = kpmem_alloc(kzalloc(sizeof(*exp), GFP_KERNEL));
	if (!exp)
		goto out_fput;
	kpmem_live_inc(KPMEM_LIVE_EXPORTS);
	kref_init(&exp->ref);
	mutex_init(&exp->lock);
	strscpy(exp->name, req->name, sizeof(exp->name));
	exp->flags = req->flags;
	exp->kind = src.kind;
	exp->size = req->size;
	exp->nallow = req->nallow;
	memcpy(exp->allow, req->allow, sizeof(exp->allow));
	exp->key_len = req->key_len;
	memcpy(exp->key, req->key, sizeof(exp->key));
	exp->file = file;
	if (req->flags & KPMEM_EXPORT_STATE_FD) {
		ret = kpmem_export_state_open(exp, req->state_fd);
		if (ret)
			goto out_exp;
	}
	if (src.kind == KPMEM_SOURCE_DEVDAX) {
		ret = kpmem_export_pin_devdax(exp);
		if (ret)
			goto out_state;
	}

	ret = kpmem_target_listen_get();
	if (ret)
		goto out_unpin;
	mutex_lock(&kpmem_exports_lock);
	if (kpmem_export_find_locked(exp->name)) {
		mutex_unlock(&kpmem_exports_lock);
		ret = -EEXIST;
		goto out_put_listen;
	}
	if (kpmem_export_backing_used_locked(file)) {
		mutex_unlock(&kpmem_exports_lock);
		ret = -EBUSY;
		goto out_put_listen;
	}
	ret = kpmem_export_pool_prepare(exp);
	if (ret) {
		mutex_unlock(&kpmem_exports_lock);
		goto out_put_listen;
	}
	list_add_tail(&exp->node, &kpmem_exports);
	mutex_unlock(&kpmem_exports_lock);
	pr_info("export '%s': %llu bytes of %s%s%s\n", exp->name, exp->size,
		src.kind == KPMEM_SOURCE_DEVDAX ? "device DAX" :
		src.kind == KPMEM_SOURCE_FSDAX ? "an fsdax file" : "a file",
		exp->flags & KPMEM_EXPORT_NOHDRS ? ", no header" : "",
		exp->key_len ? ", key required" : "");
	kfree_sensitive(req);
	return 0;

out_put_listen:
	kpmem_target_listen_put();
out_unpin:
	kpmem_export_unpin(exp);
out_state:
	kpmem_export_state_close(exp);
out_exp:
	mutex_destroy(&exp->lock);
	kfree_sensitive(exp);
	kpmem_live_dec(KPMEM_LIVE_EXPORTS);
out_fput:
	fput(file);
out_req:
	kfree_sensitive(req);
	return ret;
}

/**
 * kpmem_export_remove() - KPMEM_IOC_EXPORT_REMOVE (the caller checked CAP_SYS_ADMIN)
 * @argp: struct kpmem_export_remove in user memory
 *
 * Return: 0 or a negative errno.
 */
long kpmem_export_remove(void __user *argp)
{
	struct kpmem_export_remove req;
	struct kpmem_tconn *conn;
	struct kpmem_export *exp;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~KPMEM_EXPORT_REMOVE_FORCE || req.reserved0 ||
	    req.reserved[0] || req.reserved[1] || !memchr(req.name, '\0', sizeof(req.name)))
		return -EINVAL;

	mutex_lock(&kpmem_exports_lock);
	exp = kpmem_export_find_locked(req.name);
	if (!exp) {
		mutex_unlock(&kpmem_exports_lock);
		return -ENOENT;
	}
	if (exp->conn && !(req.flags & KPMEM_EXPORT_REMOVE_FORCE)) {
		mutex_unlock(&kpmem_exports_lock);
		return -EBUSY;
	}
	exp->removed = true;
	list_del(&exp->node);
	conn = exp->conn;
	if (conn)
		kpmem_target_conn_kill(conn);
	mutex_unlock(&kpmem_exports_lock);

	/*
	 * Return only once the old initiator can no longer write: its queue
	 * pair drained and its rkeys revoked, so that the device exported
	 * again at once receives nothing from it.
	 */
	if (conn && wait_event_killable(kpmem_export_detached, kpmem_export_let_go(exp, conn)))
		ret = -EINTR;
	pr_info("export '%s' removed%s\n", exp->name, conn ? ", initiator disconnected" : "");
	kpmem_export_put(exp);
	return ret;
}

static void kpmem_export_fill_info(struct kpmem_export *exp, struct kpmem_export_info *info)
{
	bool has_pool = false;
	struct kpmem_pool_attr attr;

	memset(info, 0, sizeof(*info));
	strscpy(info->name, exp->name, sizeof(info->name));
	mutex_lock(&exp->lock);
	if (!kpmem_export_pool_get(exp, &has_pool, &attr) && has_pool)
		info->flags |= KPMEM_EXPORT_HAS_POOL;
	if (exp->key_len)
		info->flags |= KPMEM_EXPORT_HAS_KEY;
	mutex_unlock(&exp->lock);
	info->flags |= exp->flags;
	info->backing_kind = exp->kind;
	info->nallow = exp->nallow;
	info->size = exp->size;
	info->connections = atomic64_read(&exp->stats.connections);
	info->rejected = atomic64_read(&exp->stats.rejected);
	info->persists = atomic64_read(&exp->stats.persists);
	info->bytes_persisted = atomic64_read(&exp->stats.bytes_persisted);
	info->reads = atomic64_read(&exp->stats.reads);
	info->errors = atomic64_read(&exp->stats.errors);
	info->deep_flushes = atomic64_read(&exp->stats.deep_flushes);
	if (exp->deep.dev)
		info->flags |= KPMEM_EXPORT_DEEP_FLUSH;
}

/**
 * kpmem_export_list() - KPMEM_IOC_EXPORT_LIST (the caller checked CAP_SYS_ADMIN)
 * @argp: struct kpmem_export_list in user memory
 *
 * Return: 0 or a negative errno.
 */
long kpmem_export_list(void __user *argp)
{
	struct kpmem_export_info *infos = NULL;
	struct kpmem_export_list req;
	struct kpmem_export *exp;
	u32 count = 0, i = 0;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || req.reserved[0] || req.reserved[1] ||
	    req.capacity > KPMEM_EXPORT_LIST_MAX)
		return -EINVAL;
	if (req.capacity) {
		infos = kvcalloc(req.capacity, sizeof(*infos), GFP_KERNEL);
		if (!infos)
			return -ENOMEM;
	}

	mutex_lock(&kpmem_exports_lock);
	list_for_each_entry(exp, &kpmem_exports, node) {
		if (i < req.capacity) {
			kpmem_export_fill_info(exp, &infos[i]);
			if (exp->conn) {
				infos[i].state = KPMEM_EXPORT_CONNECTED;
				kpmem_target_conn_peer(exp->conn, &infos[i].peer);
			}
			i++;
		}
		count++;
	}
	mutex_unlock(&kpmem_exports_lock);

	req.count = count;
	req.port = kpmem_target_port_listening();
	if (i && copy_to_user(u64_to_user_ptr(req.entries), infos, i * sizeof(*infos)))
		ret = -EFAULT;
	else if (copy_to_user(argp, &req, sizeof(req)))
		ret = -EFAULT;
	kvfree(infos);
	return ret;
}

/**
 * kpmem_exports_remove_all() - at module exit: drop every export
 *
 * Connected initiators are disconnected; their teardown completes before
 * the target's workqueue is destroyed.
 */
void kpmem_exports_remove_all(void)
{
	struct kpmem_export *exp, *tmp;
	LIST_HEAD(gone);

	mutex_lock(&kpmem_exports_lock);
	list_for_each_entry_safe(exp, tmp, &kpmem_exports, node) {
		exp->removed = true;
		list_move(&exp->node, &gone);
		if (exp->conn)
			kpmem_target_conn_kill(exp->conn);
	}
	mutex_unlock(&kpmem_exports_lock);
	list_for_each_entry_safe(exp, tmp, &gone, node)
		kpmem_export_put(exp);
}
