// SPDX-License-Identifier: GPL-2.0
/*
 * Target exports: the named storage ranges a target serves, their backing
 * storage, and the pool header kept at the start of non-NOHDRS exports.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
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
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "kpmem.h"
#include "rpmem.h"

static LIST_HEAD(kpmem_exports);
static DEFINE_MUTEX(kpmem_exports_lock);	/* the list, and each export's @conn */

/* On-media pool header, at offset 0 of an export that keeps one. */
#define KPMEM_POOL_HDR_MAGIC	0x014c504d454d504bULL	/* "KPMEMPL\1" */
struct kpmem_pool_hdr_media {
	__le64 magic;
	__le64 pool_size;
	struct kpmem_pool_attr attr;
};

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

/* Called with exp->lock held. */
int kpmem_export_pool_get(struct kpmem_export *exp, bool *exists, struct kpmem_pool_attr *attr)
{
	struct kpmem_pool_hdr_media hdr;
	int ret;

	if (exp->flags & KPMEM_EXPORT_NOHDRS) {
		*exists = exp->has_pool;
		memset(attr, 0, sizeof(*attr));
		return 0;
	}
	ret = kpmem_export_read(exp, 0, &hdr, sizeof(hdr));
	if (ret)
		return ret;
	*exists = le64_to_cpu(hdr.magic) == KPMEM_POOL_HDR_MAGIC;
	*attr = hdr.attr;
	return 0;
}

/* Called with exp->lock held.  @attr NULL: the pool is removed. */
int kpmem_export_pool_set(struct kpmem_export *exp, u64 pool_size,
			  const struct kpmem_pool_attr *attr)
{
	struct kpmem_pool_hdr_media hdr = { };
	int ret;

	if (exp->flags & KPMEM_EXPORT_NOHDRS) {
		exp->has_pool = !!attr;
		return 0;
	}
	if (attr) {
		hdr.magic = cpu_to_le64(KPMEM_POOL_HDR_MAGIC);
		hdr.pool_size = cpu_to_le64(pool_size);
		hdr.attr = *attr;
	}
	ret = kpmem_export_write(exp, 0, &hdr, sizeof(hdr));
	if (!ret)
		ret = kpmem_export_persist(exp, 0, sizeof(hdr), true);
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
int kpmem_export_attach(struct kpmem_export *exp, struct kpmem_target_conn *conn)
{
	int ret = 0;

	mutex_lock(&kpmem_exports_lock);
	if (exp->removed)
		ret = -ENOENT;
	else if (exp->conn)
		ret = -EBUSY;
	else
		exp->conn = conn;
	mutex_unlock(&kpmem_exports_lock);
	return ret;
}

void kpmem_export_detach(struct kpmem_export *exp, struct kpmem_target_conn *conn)
{
	mutex_lock(&kpmem_exports_lock);
	if (exp->conn == conn)
		exp->conn = NULL;
	mutex_unlock(&kpmem_exports_lock);
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

static long kpmem_export_add(void __user *argp)
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
	if (src.kind == KPMEM_SOURCE_DEVDAX) {
		ret = kpmem_export_pin_devdax(exp);
		if (ret)
			goto out_exp;
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

static long kpmem_export_remove(void __user *argp)
{
	struct kpmem_export_remove req;
	struct kpmem_target_conn *conn;
	struct kpmem_export *exp;

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

	pr_info("export '%s' removed%s\n", exp->name, conn ? ", initiator disconnected" : "");
	kpmem_export_put(exp);
	return 0;
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

static long kpmem_export_list(void __user *argp)
{
	struct kpmem_export_info *infos = NULL;
	struct kpmem_export_list req;
	struct kpmem_export *exp;
	u32 count = 0, i = 0;
	long ret = 0;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.reserved0 || req.reserved[0] || req.reserved[1] || req.capacity > 4096)
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
 * kpmem_export_ioctl() - the export administration ioctls of /dev/kpmem
 * @cmd: KPMEM_IOC_EXPORT_*
 * @argp: the argument
 *
 * Return: 0 or a negative errno; -ENOTTY for other commands.
 */
long kpmem_export_ioctl(unsigned int cmd, void __user *argp)
{
	switch (cmd) {
	case KPMEM_IOC_EXPORT_ADD:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return kpmem_export_add(argp);
	case KPMEM_IOC_EXPORT_REMOVE:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return kpmem_export_remove(argp);
	case KPMEM_IOC_EXPORT_LIST:
		if (!capable(CAP_SYS_ADMIN))
			return -EPERM;
		return kpmem_export_list(argp);
	default:
		return -ENOTTY;
	}
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
