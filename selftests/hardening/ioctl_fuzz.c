// SPDX-License-Identifier: GPL-2.0
/*
 * A bounded ioctl fuzzer for /dev/kpmem and the file descriptors it hands
 * out (sets, pools).  Every call gets a random or mutated argument: bad
 * pointers (NULL, kernel addresses, unmapped pages, buffers straddling an
 * unmapped page, read-only buffers the kernel must write back to), huge,
 * overflowing and unaligned values, reserved fields set, and every kind of
 * file as a source (pipe, socket, directory, /dev/null, sysfs, sealed
 * memfd, closed fds, the kpmem fds themselves).  Threads race adds,
 * removes and lookups on one set while another closes it under them.
 * Afterwards the module's state must be consistent: the part-map index
 * walks cleanly, no export or kpmem file is left, and the module's use
 * count is back where it started.  The guest harness fails the run on any
 * kernel splat and on a module that will not unload.
 *
 * Reproducible: KPMEM_FUZZ_SEED (printed) picks the random stream,
 * KPMEM_FUZZ_CALLS the number of calls of the main loop (100000).  Racing
 * threads are seeded the same way but their interleaving is the
 * scheduler's.
 *
 * Run through selftests/part_maps/with_sources to fuzz fsdax and device
 * DAX sources too (KPMEM_TEST_FSDAX_DIR, KPMEM_TEST_DEVDAX); without them,
 * files on a size-limited tmpfs are the only mappable sources.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>

#include "kselftest_harness.h"
#include "kpmem_device.h"

#define DEFAULT_SEED	0x6b706d656d2d667aULL
#define DEFAULT_CALLS	100000UL
#define MiB		(1UL << 20)
#define FUZZ_FS_SIZE	(64 * MiB)	/* the tmpfs every grown file lives on */
#define RESV_SIZE	(64 * MiB)	/* PROT_NONE reservation for RESERVED parts */
#define NET_BUDGET	60		/* pool connects that reach the network */
#define EXPORT_PREFIX	"fuzz-"

/* ---- reproducible randomness (splitmix64) ---- */

struct rng {
	uint64_t s;
};

static uint64_t rnd(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? rnd(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

static uint64_t fuzz_seed(void)
{
	const char *s = getenv("KPMEM_FUZZ_SEED");

	return s && *s ? strtoull(s, NULL, 0) : DEFAULT_SEED;
}

static unsigned long fuzz_calls(void)
{
	const char *s = getenv("KPMEM_FUZZ_CALLS");

	return s && *s ? strtoul(s, NULL, 0) : DEFAULT_CALLS;
}

/* ---- what was called and what came back ---- */

enum op {
	OP_GET_VERSION, OP_SET_CREATE, OP_PART_ADD, OP_PART_REMOVE, OP_PMAP_LOOKUP,
	OP_EXPORT_ADD, OP_EXPORT_REMOVE, OP_EXPORT_LIST, OP_POOL_CONNECT,
	OP_POOL_PERSIST, OP_POOL_FLUSH, OP_POOL_DRAIN, OP_POOL_READ, OP_POOL_SET_ATTR,
	OP_UNKNOWN_CMD, OP_WRONG_FD, OP_URING_CMD, NOPS
};

static const char *const op_name[NOPS] = {
	"GET_VERSION", "SET_CREATE", "PART_ADD", "PART_REMOVE", "PMAP_LOOKUP",
	"EXPORT_ADD", "EXPORT_REMOVE", "EXPORT_LIST", "POOL_CONNECT",
	"POOL_PERSIST", "POOL_FLUSH", "POOL_DRAIN", "POOL_READ", "POOL_SET_ATTR",
	"unknown cmd", "wrong fd type", "URING_CMD",
};

#define NERRNO 134
static atomic_ulong stat_calls[NOPS];
static atomic_ulong stat_errno[NOPS][NERRNO + 1];	/* [0]: success */

/* Errnos the ABI documents (or mmap, fallocate and rdma_cm can return). */
static const int expected_errnos[] = {
	0, EPERM, ENOENT, EBADF, ENOMEM, EACCES, EFAULT, EBUSY, EEXIST, ENODEV, EINVAL,
	EMFILE, ENFILE, EFBIG, ENOSPC, ERANGE, ENOTTY, EOVERFLOW, EPROTO, ECONNREFUSED,
	ECONNRESET, ETIMEDOUT, EHOSTUNREACH, ENETUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT,
	EINTR, ECANCELED, EOPNOTSUPP,
};

static bool errno_expected(int e)
{
	for (size_t i = 0; i < sizeof(expected_errnos) / sizeof(expected_errnos[0]); i++)
		if (expected_errnos[i] == e)
			return true;
	return false;
}

static void stats_reset(void)
{
	for (int i = 0; i < NOPS; i++) {
		atomic_store(&stat_calls[i], 0);
		for (int e = 0; e <= NERRNO; e++)
			atomic_store(&stat_errno[i][e], 0);
	}
}

/* The ioctl, counted: returns its result or -errno. */
static long fz_ioctl(enum op op, int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);
	int e = ret < 0 ? errno : 0;

	atomic_fetch_add(&stat_calls[op], 1);
	atomic_fetch_add(&stat_errno[op][e < NERRNO ? e : NERRNO], 1);
	return ret < 0 ? -e : ret;
}

/* TAP comments: calls per ioctl, errno histogram; returns the total. */
static unsigned long stats_print(const char *what, int *unexpected)
{
	unsigned long total = 0;
	char line[1024];

	for (int i = 0; i < NOPS; i++)
		total += atomic_load(&stat_calls[i]);
	printf("# %s: %lu calls\n", what, total);
	for (int i = 0; i < NOPS; i++) {
		unsigned long n = atomic_load(&stat_calls[i]);
		size_t len;

		if (!n)
			continue;
		len = snprintf(line, sizeof(line), "#   %-14s %7lu:", op_name[i], n);
		for (int e = 0; e <= NERRNO && len < sizeof(line) - 40; e++) {
			unsigned long c = atomic_load(&stat_errno[i][e]);

			if (!c)
				continue;
			len += snprintf(line + len, sizeof(line) - len, " %s=%lu",
					e == 0 ? "ok" : e == NERRNO ? "other" : strerrorname_np(e) ?: "?",
					c);
			if (!errno_expected(e)) {
				(*unexpected)++;
				len += snprintf(line + len, sizeof(line) - len, "(unexpected)");
			}
		}
		printf("%s\n", line);
	}
	fflush(stdout);
	return total;
}

/* ---- the files the fuzzer hands to the module ---- */

struct fuzz_files {
	char dir[64];
	bool mounted;
	int dev;		/* /dev/kpmem */
	int fds[24];		/* candidate source / backing fds */
	int nfds;
	int closed_fd;		/* a number that was an fd a moment ago */
	int rw_file;		/* a plain read-write tmpfs file */
};

static int add_fd(struct fuzz_files *f, int fd)
{
	if (fd >= 0 && f->nfds < (int)(sizeof(f->fds) / sizeof(f->fds[0])))
		f->fds[f->nfds++] = fd;
	return fd;
}

static int open_in(struct fuzz_files *f, const char *name, int flags, off_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fd = open(path, flags | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0 && size && ftruncate(fd, size))
		fd = -1;
	return fd;
}

static int files_setup(struct fuzz_files *f)
{
	int sv[2], pfd[2], fd;
	const char *fsdax = getenv("KPMEM_TEST_FSDAX_DIR");
	const char *devdax = getenv("KPMEM_TEST_DEVDAX");
	char opts[64];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/kpmem-fuzz.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	/* Grown files must hit ENOSPC quickly, not eat the guest's memory. */
	snprintf(opts, sizeof(opts), "size=%lu", FUZZ_FS_SIZE);
	f->mounted = !mount("kpmem-fuzz", f->dir, "tmpfs", 0, opts);
	f->dev = open(KPMEM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (f->dev < 0)
		return -1;

	f->rw_file = add_fd(f, open_in(f, "rw", O_RDWR, 4 * MiB));
	add_fd(f, open_in(f, "rw2", O_RDWR, 0));
	close(open_in(f, "ro", O_RDWR, 2 * MiB));
	add_fd(f, open_in(f, "ro", O_RDONLY, 0));
	add_fd(f, open_in(f, "wo", O_WRONLY, 0));
	add_fd(f, open_in(f, "append", O_RDWR | O_APPEND, 2 * MiB));
	add_fd(f, open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	add_fd(f, open(f->dir, O_PATH | O_CLOEXEC));
	add_fd(f, open("/dev/null", O_RDWR | O_CLOEXEC));
	add_fd(f, open("/dev/zero", O_RDWR | O_CLOEXEC));
	add_fd(f, open("/sys/module/kpmem/parameters/max_parts_per_set", O_RDWR | O_CLOEXEC));
	if (!pipe2(pfd, O_CLOEXEC)) {
		add_fd(f, pfd[0]);
		add_fd(f, pfd[1]);
	}
	if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		add_fd(f, sv[0]);
		add_fd(f, sv[1]);
	}
	add_fd(f, eventfd(0, EFD_CLOEXEC));
	/* memfds live outside the size-limited tmpfs: they must not grow. */
	fd = memfd_create("kpmem-fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && !ftruncate(fd, 2 * MiB) && !fcntl(fd, F_ADD_SEALS, F_SEAL_GROW))
		add_fd(f, fd);
	fd = memfd_create("kpmem-fuzz-sealed", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd >= 0 && !ftruncate(fd, 2 * MiB) &&
	    !fcntl(fd, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_WRITE))
		add_fd(f, fd);
	add_fd(f, dup(f->dev));
	if (fsdax && *fsdax) {
		char path[256];

		snprintf(path, sizeof(path), "%s/kpmem-fuzz", fsdax);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0 && !ftruncate(fd, 4 * MiB))
			add_fd(f, fd);
	}
	if (devdax && *devdax)
		add_fd(f, open(devdax, O_RDWR | O_CLOEXEC));
	f->closed_fd = dup(f->dev);
	close(f->closed_fd);
	return f->rw_file < 0 ? -1 : 0;
}

static void files_teardown(struct fuzz_files *f)
{
	const char *fsdax = getenv("KPMEM_TEST_FSDAX_DIR");
	char path[256];

	for (int i = 0; i < f->nfds; i++)
		close(f->fds[i]);
	if (f->dev >= 0)
		close(f->dev);
	if (fsdax && *fsdax) {
		snprintf(path, sizeof(path), "%s/kpmem-fuzz", fsdax);
		unlink(path);
	}
	if (f->mounted)
		umount2(f->dir, MNT_DETACH);
	snprintf(path, sizeof(path), "rm -rf %s", f->dir);
	if (system(path))
		fprintf(stderr, "# cannot remove %s\n", f->dir);
}

/* ---- argument buffers: where the kernel reads (and writes) them ---- */

struct arena {
	uint8_t *scratch;	/* 2 read-write pages */
	uint8_t *rw_view;	/* a page, and ... */
	uint8_t *ro_view;	/* ... the same page mapped read-only */
	uint8_t *edge;		/* a read-write page followed by an unmapped one */
	uint8_t *none;		/* a PROT_NONE page */
	uint8_t *out;		/* OUT_PAGES the kernel may fill, between guard pages */
};

/* Room for what the kernel writes through pointers inside arguments. */
#define OUT_PAGES	4

static int arena_setup(struct arena *a)
{
	long ps = sysconf(_SC_PAGESIZE);
	int fd = memfd_create("kpmem-fuzz-arg", MFD_CLOEXEC);
	uint8_t *p;

	if (fd < 0 || ftruncate(fd, ps))
		return -1;
	a->rw_view = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	a->ro_view = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	a->scratch = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	p = mmap(NULL, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (a->rw_view == MAP_FAILED || a->ro_view == MAP_FAILED || a->scratch == MAP_FAILED ||
	    p == MAP_FAILED)
		return -1;
	munmap(p + ps, ps);
	a->edge = p;
	a->none = p + 2 * ps;
	mprotect(a->none, ps, PROT_NONE);
	p = mmap(NULL, (OUT_PAGES + 2) * ps, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	a->out = p + ps;
	return mprotect(a->out, OUT_PAGES * ps, PROT_READ | PROT_WRITE);
}

static void arena_teardown(struct arena *a)
{
	long ps = sysconf(_SC_PAGESIZE);

	munmap(a->rw_view, ps);
	munmap(a->ro_view, ps);
	munmap(a->scratch, 2 * ps);
	munmap(a->edge, ps);
	munmap(a->none, ps);
	munmap(a->out - ps, (OUT_PAGES + 2) * ps);
}

/*
 * The kernel writes through some pointers inside arguments (export list
 * entries, read buffers).  Mutated, such a pointer can name the fuzzer's own
 * stack, heap, GOT or libc, and the kernel rightly writes there: the fuzzer
 * would corrupt itself.  Keep a written-through pointer where losing memory
 * is fine: @own (@own_len bytes, clamping *@len to its end when given), the
 * guarded out pages, the low 256 MiB and the top of the address space (only
 * part maps and kernel addresses live there); anything else becomes the
 * PROT_NONE page, which still exercises the fault path.
 */
static uint64_t expendable_ptr(const struct arena *a, uint64_t ptr, const void *own,
			       uint64_t own_len, __u64 *len)
{
	uint64_t lo = (uintptr_t)own, out = (uintptr_t)a->out;
	long ps = sysconf(_SC_PAGESIZE);

	if (own && ptr >= lo && ptr - lo < own_len) {
		if (len && *len > own_len - (ptr - lo))
			*len = own_len - (ptr - lo);
		return ptr;
	}
	if (ptr >= out && ptr - out < (uint64_t)OUT_PAGES * ps)
		return ptr;	/* what runs past the end meets the guard page */
	if (ptr < (1ULL << 28) || ptr >= (1ULL << 47))
		return ptr;
	return (uintptr_t)a->none;
}

enum arg_kind { ARG_GOOD, ARG_NULL, ARG_KERNEL, ARG_UNMAPPED, ARG_NONE, ARG_STRADDLE,
		ARG_READONLY, ARG_MISALIGNED };

/*
 * Place @len bytes of @tmpl where the kernel will look for them.  Return
 * the pointer to pass; *kind says which sort it is.
 */
static void *place_arg(struct rng *r, struct arena *a, const void *tmpl, size_t len,
		       enum arg_kind *kind)
{
	static const uintptr_t kaddr[] = {
		0xffff888000000000UL, 0xffffffff81000000UL, 0xffffffffff600000UL,
		0xfffffffffffff000UL, 0x0000800000000000UL, 0x7ffffffff000UL,
	};
	long ps = sysconf(_SC_PAGESIZE);
	uint64_t pick = below(r, 100);
	size_t part;

	if (pick < 4) {
		*kind = ARG_NULL;
		return NULL;
	}
	if (pick < 7) {
		*kind = ARG_KERNEL;
		return (void *)kaddr[below(r, sizeof(kaddr) / sizeof(kaddr[0]))];
	}
	if (pick < 9) {
		*kind = ARG_UNMAPPED;
		return a->edge + ps + below(r, ps);
	}
	if (pick < 10) {
		*kind = ARG_NONE;
		return a->none;
	}
	if (pick < 14 && len > 1) {
		/* Starts mapped, ends in the unmapped page. */
		part = 1 + below(r, len - 1);
		memcpy(a->edge + ps - part, tmpl, part);
		*kind = ARG_STRADDLE;
		return a->edge + ps - part;
	}
	if (pick < 19) {
		memcpy(a->rw_view, tmpl, len);
		*kind = ARG_READONLY;
		return a->ro_view;
	}
	if (pick < 22) {
		memcpy(a->scratch + 1, tmpl, len);
		*kind = ARG_MISALIGNED;
		return a->scratch + 1;
	}
	memcpy(a->scratch, tmpl, len);
	*kind = ARG_GOOD;
	return a->scratch;
}

/* Read back what the kernel wrote into a good argument buffer. */
static void fetch_arg(void *dst, const void *arg, enum arg_kind kind, size_t len)
{
	if (kind == ARG_GOOD || kind == ARG_MISALIGNED)
		memcpy(dst, arg, len);
}

static uint64_t interesting(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 7, 4095, 4096, 4097, 8192, 65536, 2 * MiB, 2 * MiB - 4096, 4 * MiB,
		0x7fffffffULL, 0x80000000ULL, 0xffffffffULL, 0x100000000ULL,
		0x7ffffffff000ULL, 0x800000000000ULL, 0x7fffffffffffffffULL,
		0x8000000000000000ULL, 0xfffffffffffff000ULL, 0xffffffffffffffffULL,
		0xffff888000000000ULL,
	};
	uint64_t x;

	switch (below(r, 4)) {
	case 0:
		return rnd(r);
	case 1:
		return below(r, 1 << 16) << 12;	/* page multiples */
	default:
		x = v[below(r, sizeof(v) / sizeof(v[0]))];
		return chance(r, 20) ? x + (below(r, 3) - 1) : x;
	}
}

/* Overwrite some fields with interesting values and flip some bits. */
static void mutate(struct rng *r, void *buf, size_t len)
{
	uint8_t *b = buf;
	unsigned int n = 1 + below(r, 3);

	while (n--) {
		size_t w = (size_t)1 << below(r, 4);	/* 1, 2, 4, 8 bytes */
		size_t at;
		uint64_t v;

		if (w > len)
			w = len;
		at = below(r, len / w) * w;
		switch (below(r, 3)) {
		case 0:
			b[below(r, len)] ^= 1 << below(r, 8);
			break;
		default:
			v = interesting(r);
			memcpy(b + at, &v, w);
			break;
		}
	}
}

/* ---- the fuzzing state of one thread ---- */

struct fuzzer {
	struct rng r;
	struct arena a;
	struct fuzz_files *files;
	int set;		/* current set fd, or -1 */
	uint8_t *resv;		/* PROT_NONE reservation for RESERVED placements */
	unsigned long resv_len;
	unsigned long last_addr[8];	/* addresses of recent parts */
	uint64_t last_pmap[8];
	unsigned int nlast;
	int tid;
	int pool;		/* a pool fd (loopback), or -1 */
	uint64_t pool_size;
	uint8_t *pool_mem;
	atomic_int *net_budget;
};

static int pick_fd(struct fuzzer *z)
{
	struct fuzz_files *f = z->files;
	uint64_t pick = below(&z->r, 100);

	if (pick < 45)
		return f->rw_file;
	if (pick < 85 && f->nfds)
		return f->fds[below(&z->r, f->nfds)];
	switch (below(&z->r, 6)) {
	case 0:
		return -1;
	case 1:
		return f->closed_fd;
	case 2:
		return 0x7fffffff;
	case 3:
		return z->set;
	case 4:
		return f->dev;
	default:
		return (int)interesting(&z->r);
	}
}

/*
 * Where to place or look for a part: near recent parts, in our own
 * reservation, or at values no mapping can have (kernel, non-canonical,
 * the zero page).  Never an arbitrary user address: a RESERVED part may
 * replace any PROT_NONE mapping there, such as a malloc arena's reserve
 * or a thread's stack guard, and the fuzzer would pull its own rug.
 */
static unsigned long pick_addr(struct fuzzer *z)
{
	static const unsigned long wild[] = {
		0, 4096, 0x800000000000UL, 0xffff800000000000UL, 0xffffffffff600000UL,
		0xfffffffffffff000UL, 0x7ffffffff000UL + 4096,
	};

	switch (below(&z->r, 5)) {
	case 0:
	case 1:
		if (z->nlast)
			return z->last_addr[below(&z->r, z->nlast)] +
			       (chance(&z->r, 30) ? below(&z->r, 4) * 4096 : 0);
		/* fall through */
	case 2:
		return (unsigned long)z->resv + below(&z->r, z->resv_len / 4096) * 4096;
	default:
		return wild[below(&z->r, sizeof(wild) / sizeof(wild[0]))] +
		       (chance(&z->r, 20) ? below(&z->r, 4096) : 0);
	}
}

static void remember_part(struct fuzzer *z, unsigned long addr, uint64_t pmap)
{
	unsigned int i = z->nlast < 8 ? z->nlast++ : below(&z->r, 8);

	z->last_addr[i] = addr;
	z->last_pmap[i] = pmap;
}

static int new_set(int dev)
{
	struct kpmem_set_create c = { 0 };

	return (int)fz_ioctl(OP_SET_CREATE, dev, KPMEM_IOC_SET_CREATE, &c);
}

static void fuzz_set_create(struct fuzzer *z)
{
	struct kpmem_set_create c = { 0 };
	enum arg_kind kind;
	void *arg;
	long fd;

	if (chance(&z->r, 70))
		mutate(&z->r, &c, sizeof(c));
	arg = place_arg(&z->r, &z->a, &c, sizeof(c), &kind);
	fd = fz_ioctl(OP_SET_CREATE, z->files->dev, KPMEM_IOC_SET_CREATE, arg);
	if (fd < 0)
		return;
	/* Keep it as the current set now and then, else drop it at once. */
	if (chance(&z->r, 30)) {
		if (z->set >= 0)
			close(z->set);
		z->set = fd;
	} else {
		close(fd);
	}
}

static void fuzz_part_add(struct fuzzer *z, int setfd)
{
	static const uint64_t lens[] = { 4096, 8192, 65536, 2 * MiB, 4 * MiB, 0 };
	struct kpmem_part_add p = { 0 }, out;
	enum arg_kind kind;
	void *arg;
	long ret;

	p.source_fd = pick_fd(z);
	p.placement = below(&z->r, 4);
	p.flags = chance(&z->r, 30) ? KPMEM_PART_DO_NOT_GROW : 0;
	p.offset = chance(&z->r, 60) ? 0 : below(&z->r, 1024) * 4096;
	p.length = lens[below(&z->r, sizeof(lens) / sizeof(lens[0]))];
	if (p.placement != KPMEM_PLACE_ANYWHERE)
		p.addr = pick_addr(z);
	if (p.placement == KPMEM_PLACE_RESERVED && chance(&z->r, 70))
		p.addr = (unsigned long)z->resv + below(&z->r, z->resv_len / (2 * MiB)) * 2 * MiB;
	if ((p.placement == KPMEM_PLACE_FIXED || p.placement == KPMEM_PLACE_RESERVED) &&
	    z->nlast && chance(&z->r, 30)) {
		/* Extend a part map right after its end. */
		unsigned int i = below(&z->r, z->nlast);
		struct kpmem_pmap_info info = { .addr = z->last_addr[i] };

		if (!ioctl(setfd, KPMEM_SET_IOC_PMAP_LOOKUP, &info)) {
			p.pmap_id = info.pmap_id;
			p.addr = info.addr + info.length;
		}
	}
	if (chance(&z->r, 50))
		mutate(&z->r, &p, sizeof(p));
	/*
	 * RESERVED replaces PROT_NONE mappings, and the process has others
	 * (thread stack guards, gaps between a library's segments): the whole
	 * range must be inside our own reservation (see pick_addr()), or the
	 * fuzzer maps over its own loader.
	 */
	if (p.placement == KPMEM_PLACE_RESERVED && !p.length)
		p.length = 4096;	/* 0 is "the whole source": its size is not ours */
	if (p.placement == KPMEM_PLACE_RESERVED && p.addr >= 0x10000 &&
	    (p.addr < (uintptr_t)z->resv || p.length > z->resv_len ||
	     p.addr - (uintptr_t)z->resv > z->resv_len - p.length)) {
		if (p.length > z->resv_len)
			p.length = 4096;
		p.addr = (uintptr_t)z->resv +
			 below(&z->r, (z->resv_len - p.length) / 4096 + 1) * 4096;
	}
	arg = place_arg(&z->r, &z->a, &p, sizeof(p), &kind);
	ret = fz_ioctl(OP_PART_ADD, setfd, KPMEM_SET_IOC_PART_ADD, arg);
	if (ret == 0) {
		fetch_arg(&out, arg, kind, sizeof(out));
		if (kind == ARG_GOOD || kind == ARG_MISALIGNED)
			remember_part(z, out.addr, out.pmap_id);
	}
}

static void fuzz_part_remove(struct fuzzer *z, int setfd)
{
	struct kpmem_part_remove p = { 0 };
	enum arg_kind kind;
	void *arg;

	p.addr = pick_addr(z);
	p.length = chance(&z->r, 50) ? 4096 * (1 + below(&z->r, 1024)) : interesting(&z->r);
	if (chance(&z->r, 40))
		mutate(&z->r, &p, sizeof(p));
	arg = place_arg(&z->r, &z->a, &p, sizeof(p), &kind);
	fz_ioctl(OP_PART_REMOVE, setfd, KPMEM_SET_IOC_PART_REMOVE, arg);
}

static void fuzz_pmap_lookup(struct fuzzer *z, int setfd)
{
	struct kpmem_pmap_info p = { 0 };
	enum arg_kind kind;
	void *arg;

	p.addr = pick_addr(z);
	p.flags = chance(&z->r, 40) ? KPMEM_LOOKUP_NEXT : 0;
	if (chance(&z->r, 40))
		mutate(&z->r, &p, sizeof(p));
	arg = place_arg(&z->r, &z->a, &p, sizeof(p), &kind);
	fz_ioctl(OP_PMAP_LOOKUP, setfd, KPMEM_SET_IOC_PMAP_LOOKUP, arg);
}

/*
 * Unmap or replace a page of a part behind the module's back: it goes
 * stale.  Only a page the set still reports mapped as it mapped it: a
 * remembered address may have been removed and reused by malloc since.
 */
static void clobber_part(struct fuzzer *z, int setfd)
{
	struct kpmem_pmap_info info = { 0 };
	unsigned long addr;

	if (!z->nlast)
		return;
	addr = z->last_addr[below(&z->r, z->nlast)];
	info.addr = addr;
	if (ioctl(setfd, KPMEM_SET_IOC_PMAP_LOOKUP, &info) || info.state ||
	    addr < info.addr || addr >= info.addr + info.length || addr & 4095)
		return;
	if (chance(&z->r, 50))
		munmap((void *)addr, 4096);
	else
		mmap((void *)addr, 4096, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static void export_name(struct fuzzer *z, char *name, size_t size)
{
	switch (below(&z->r, 10)) {
	case 0:
		memset(name, 'a', size);	/* no NUL at all */
		break;
	case 1:
		memset(name, 'b', size - 1);	/* KPMEM_NAME_MAX characters */
		name[size - 1] = '\0';
		break;
	case 2:
		snprintf(name, size, "%s%d/../x", EXPORT_PREFIX, z->tid);
		break;
	case 3:
		name[0] = '\0';
		break;
	default:
		snprintf(name, size, "%s%d-%u", EXPORT_PREFIX, z->tid, (unsigned int)below(&z->r, 4));
		break;
	}
}

static void make_sockaddr(struct kpmem_sockaddr *sa, const char *ip, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };

	memset(sa, 0, sizeof(*sa));
	if (strchr(ip, ':')) {
		inet_pton(AF_INET6, ip, &sin6.sin6_addr);
		sa->family = AF_INET6;
		sa->len = sizeof(sin6);
		memcpy(sa->addr, &sin6, sizeof(sin6));
	} else {
		inet_pton(AF_INET, ip, &sin.sin_addr);
		sa->family = AF_INET;
		sa->len = sizeof(sin);
		memcpy(sa->addr, &sin, sizeof(sin));
	}
}

static void fuzz_export_add(struct fuzzer *z)
{
	struct kpmem_export_add *p = calloc(1, sizeof(*p));
	enum arg_kind kind;
	void *arg;

	if (!p)
		return;
	export_name(z, p->name, sizeof(p->name));
	p->backing_fd = pick_fd(z);
	p->flags = chance(&z->r, 50) ? KPMEM_EXPORT_NOHDRS : 0;
	p->size = chance(&z->r, 50) ? 0 : below(&z->r, 1024) * 4096;
	p->nallow = below(&z->r, 3);
	for (uint32_t i = 0; i < p->nallow; i++) {
		make_sockaddr(&p->allow[i], i ? "fe80::1" : "10.77.0.0", 0);
		p->allow[i].prefix_len = below(&z->r, 40);
	}
	if (chance(&z->r, 50))
		mutate(&z->r, p, sizeof(*p));
	/* Mutations land anywhere: aim a few at the interesting head. */
	if (chance(&z->r, 20))
		mutate(&z->r, &p->backing_fd, offsetof(struct kpmem_export_add, allow) -
					       offsetof(struct kpmem_export_add, backing_fd));
	arg = place_arg(&z->r, &z->a, p, sizeof(*p), &kind);
	fz_ioctl(OP_EXPORT_ADD, z->files->dev, KPMEM_IOC_EXPORT_ADD, arg);
	free(p);
}

static void fuzz_export_remove(struct fuzzer *z)
{
	struct kpmem_export_remove p = { 0 };
	enum arg_kind kind;
	void *arg;

	export_name(z, p.name, sizeof(p.name));
	p.flags = chance(&z->r, 30) ? KPMEM_EXPORT_REMOVE_FORCE : 0;
	if (chance(&z->r, 30))
		mutate(&z->r, &p, sizeof(p));
	arg = place_arg(&z->r, &z->a, &p, sizeof(p), &kind);
	fz_ioctl(OP_EXPORT_REMOVE, z->files->dev, KPMEM_IOC_EXPORT_REMOVE, arg);
}

static void fuzz_export_list(struct fuzzer *z)
{
	long ps = sysconf(_SC_PAGESIZE);
	struct kpmem_export_list p = { 0 };
	enum arg_kind kind;
	void *arg;

	p.capacity = below(&z->r, 6);
	switch (below(&z->r, 6)) {
	case 0:
		p.entries = 0;
		break;
	case 1:
		/* The second entry crosses into the unmapped page. */
		p.entries = (uintptr_t)z->a.edge + ps - sizeof(struct kpmem_export_info) - 8;
		break;
	case 2:
		p.entries = (uintptr_t)z->a.ro_view;
		break;
	case 3:
		p.entries = interesting(&z->r);
		break;
	default:
		/* Racing threads share the out pages: each pair its own half. */
		p.entries = (uintptr_t)z->a.out + (z->tid & 1) * (OUT_PAGES / 2) * ps;
		break;
	}
	if (chance(&z->r, 30))
		mutate(&z->r, &p, sizeof(p));
	p.entries = expendable_ptr(&z->a, p.entries, NULL, 0, NULL);
	arg = place_arg(&z->r, &z->a, &p, sizeof(p), &kind);
	fz_ioctl(OP_EXPORT_LIST, z->files->dev, KPMEM_IOC_EXPORT_LIST, arg);
}

/* Would the module take this request to the network?  (Its own checks.) */
static bool connect_reaches_network(const struct kpmem_pool_connect *c)
{
	size_t len = strnlen(c->name, sizeof(c->name));
	const struct sockaddr *sa = (const void *)c->target.addr;

	if (c->flags & ~KPMEM_POOL_FLAGS_ALL || !len || len > KPMEM_NAME_MAX ||
	    c->target.reserved || c->target.prefix_len || c->timeout_ms > KPMEM_POOL_TIMEOUT_MAX_MS)
		return false;
	/* A key is 16..32 bytes, zero past its length; none is all zero. */
	if (c->key_len && (c->key_len < KPMEM_KEY_MIN || c->key_len > KPMEM_KEY_MAX))
		return false;
	for (unsigned int i = c->key_len; i < KPMEM_KEY_MAX; i++)
		if (c->key[i])
			return false;
	if (!((c->target.family == AF_INET && c->target.len == sizeof(struct sockaddr_in)) ||
	      (c->target.family == AF_INET6 && c->target.len == sizeof(struct sockaddr_in6))) ||
	    sa->sa_family != c->target.family)
		return false;
	if (c->op == KPMEM_POOL_REMOVE)
		return !(c->flags & KPMEM_POOL_HAS_ATTR);
	if (c->op != KPMEM_POOL_CREATE && c->op != KPMEM_POOL_OPEN)
		return false;
	if (c->flags & KPMEM_POOL_REMOVE_FORCE ||
	    (c->op == KPMEM_POOL_OPEN && c->flags & KPMEM_POOL_HAS_ATTR))
		return false;
	return c->nlanes && c->pool_addr && c->pool_size && !(c->pool_addr & 4095) &&
	       !(c->pool_size & 4095) && c->pool_addr + c->pool_size >= c->pool_addr &&
	       c->pool_addr + c->pool_size <= 0x800000000000ULL;
}

/*
 * Targets whose address resolution fails (no route, no ARP answer, no RDMA
 * device) once oopsed the initiator (its failure path woke lanes not
 * allocated yet); KPMEM_FUZZ_ADDR_ERRORS=0 leaves them out.
 */
static bool addr_errors_enabled(void)
{
	const char *s = getenv("KPMEM_FUZZ_ADDR_ERRORS");

	return !s || *s != '0';
}

static void fuzz_pool_connect(struct fuzzer *z)
{
	static const char *const ips[] = {
		"10.77.0.2", "10.77.0.1", "10.77.0.99", "127.0.0.1", "::1", "0.0.0.0",
	};
	static const uint16_t ports[] = { KPMEM_DEFAULT_PORT, 1, 0, 65535 };
	struct kpmem_pool_connect *c = calloc(1, sizeof(*c));
	enum arg_kind kind;
	void *arg;
	long fd;

	if (!c)
		return;
	c->op = 1 + below(&z->r, 3);
	c->flags = below(&z->r, 4);
	make_sockaddr(&c->target, ips[below(&z->r, addr_errors_enabled() ? 6 : 2)],
		      ports[below(&z->r, 4)]);
	export_name(z, c->name, sizeof(c->name));
	c->pool_addr = chance(&z->r, 50) ? (uintptr_t)z->resv : interesting(&z->r);
	c->pool_size = chance(&z->r, 50) ? 4096 * (1 + below(&z->r, 64)) : interesting(&z->r);
	c->nlanes = below(&z->r, 5) ? 1 + below(&z->r, 4) : (uint32_t)interesting(&z->r);
	c->timeout_ms = 20 + below(&z->r, 200);
	if (chance(&z->r, 60))
		mutate(&z->r, c, sizeof(*c));
	if (connect_reaches_network(c)) {
		/* Bounded: few trips to the network, none of them long. */
		if (atomic_fetch_sub(z->net_budget, 1) <= 0)
			c->key_len = 1;	/* never a valid key length */
		if (!c->timeout_ms || c->timeout_ms > 300)
			c->timeout_ms = 20 + below(&z->r, 200);
		/* A mutated address may be anywhere: bring it back (see above). */
		if (!addr_errors_enabled())
			make_sockaddr(&c->target, ips[below(&z->r, 2)], ports[below(&z->r, 4)]);
	}
	arg = place_arg(&z->r, &z->a, c, sizeof(*c), &kind);
	fd = fz_ioctl(OP_POOL_CONNECT, z->files->dev, KPMEM_IOC_POOL_CONNECT, arg);
	if (fd > 0)
		close(fd);
	free(c);
}

static const unsigned long pool_cmds[] = {
	KPMEM_POOL_IOC_PERSIST, KPMEM_POOL_IOC_FLUSH, KPMEM_POOL_IOC_DRAIN, KPMEM_POOL_IOC_READ,
};

static void fuzz_pool_io(struct fuzzer *z, int pool)
{
	struct kpmem_pool_io io = { 0 };
	unsigned int which = below(&z->r, 5);
	enum arg_kind kind;
	void *arg;

	if (which == 4) {
		struct kpmem_pool_set_attr sa = { 0 };

		memcpy(sa.attr.signature, "FUZZ", 4);
		if (chance(&z->r, 40))
			mutate(&z->r, &sa, sizeof(sa));
		arg = place_arg(&z->r, &z->a, &sa, sizeof(sa), &kind);
		fz_ioctl(OP_POOL_SET_ATTR, pool, KPMEM_POOL_IOC_SET_ATTR, arg);
		return;
	}
	io.lane = below(&z->r, 3);
	if (which != 2) {
		io.offset = 4096 * below(&z->r, z->pool_size / 4096) + below(&z->r, 64);
		io.length = chance(&z->r, 80) ? below(&z->r, 8192) : interesting(&z->r);
	}
	if (which == 3)
		io.buf = chance(&z->r, 70) ? (uintptr_t)z->pool_mem : interesting(&z->r);
	if (chance(&z->r, 30))
		io.flags = below(&z->r, 4);
	if (chance(&z->r, 50))
		mutate(&z->r, &io, sizeof(io));
	/* Reads land in our own copy of the pool, or where nothing is lost. */
	if (which == 3)
		io.buf = expendable_ptr(&z->a, io.buf, z->pool_mem, z->pool_size, &io.length);
	arg = place_arg(&z->r, &z->a, &io, sizeof(io), &kind);
	fz_ioctl(OP_POOL_PERSIST + which, pool, pool_cmds[which], arg);
}

/* A command nobody defined, or a defined one on the wrong kind of fd. */
static void fuzz_other_cmd(struct fuzzer *z)
{
	static const unsigned long known[] = {
		KPMEM_IOC_GET_VERSION, KPMEM_IOC_SET_CREATE, KPMEM_SET_IOC_PART_ADD,
		KPMEM_SET_IOC_PART_REMOVE, KPMEM_SET_IOC_PMAP_LOOKUP, KPMEM_IOC_EXPORT_LIST,
		KPMEM_POOL_IOC_PERSIST, KPMEM_POOL_IOC_DRAIN, KPMEM_POOL_IOC_READ,
		KPMEM_POOL_IOC_SET_ATTR,
	};
	uint8_t buf[512] = { 0 };
	enum arg_kind kind;
	unsigned long cmd;
	void *arg;
	long ret;
	int fd;

	mutate(&z->r, buf, 64);
	arg = place_arg(&z->r, &z->a, buf, sizeof(buf), &kind);
	if (chance(&z->r, 50)) {
		/* Only kpmem's own type byte: other types reach VFS ioctls (FIFREEZE...). */
		cmd = _IOC(below(&z->r, 4), KPMEM_IOC_MAGIC, below(&z->r, 256), below(&z->r, 512));
		fd = chance(&z->r, 50) ? z->files->dev : z->set;
		if (fd < 0)
			fd = z->files->dev;
		fz_ioctl(OP_UNKNOWN_CMD, fd, cmd, arg);
		return;
	}
	cmd = known[below(&z->r, sizeof(known) / sizeof(known[0]))];
	switch (below(&z->r, 3)) {
	case 0:
		fd = z->files->dev;
		break;
	case 1:
		fd = z->set >= 0 ? z->set : z->files->dev;
		break;
	default:
		fd = z->pool >= 0 ? z->pool : z->files->dev;
		break;
	}
	ret = fz_ioctl(OP_WRONG_FD, fd, cmd, arg);
	if (cmd == KPMEM_IOC_SET_CREATE && ret > 0)
		close(ret);	/* a set after all: /dev/kpmem was the right fd */
}

static int fuzzer_init(struct fuzzer *z, struct fuzz_files *files, int tid, uint64_t seed,
		       atomic_int *net_budget)
{
	memset(z, 0, sizeof(*z));
	z->r.s = seed ^ (0x1234567ULL * (tid + 1));
	z->files = files;
	z->tid = tid;
	z->set = -1;
	z->pool = -1;
	z->net_budget = net_budget;
	z->resv_len = RESV_SIZE;
	z->resv = mmap(NULL, z->resv_len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (z->resv == MAP_FAILED)
		return -1;
	return arena_setup(&z->a);
}

static void fuzzer_fini(struct fuzzer *z)
{
	if (z->set >= 0)
		close(z->set);
	arena_teardown(&z->a);
	munmap(z->resv, z->resv_len);
}

/* One random call of any kind. */
static void fuzz_one(struct fuzzer *z)
{
	uint64_t pick = below(&z->r, 1000);

	if (z->set < 0 && chance(&z->r, 50))
		z->set = new_set(z->files->dev);
	if (pick < 300)
		fuzz_part_add(z, z->set >= 0 ? z->set : z->files->dev);
	else if (pick < 450)
		fuzz_part_remove(z, z->set >= 0 ? z->set : z->files->dev);
	else if (pick < 600)
		fuzz_pmap_lookup(z, z->set >= 0 ? z->set : z->files->dev);
	else if (pick < 640)
		fuzz_set_create(z);
	else if (pick < 660) {
		struct kpmem_version_info v;
		enum arg_kind kind;
		void *arg = place_arg(&z->r, &z->a, &v, sizeof(v), &kind);

		fz_ioctl(OP_GET_VERSION, z->files->dev, KPMEM_IOC_GET_VERSION, arg);
	} else if (pick < 740)
		fuzz_export_add(z);
	else if (pick < 790)
		fuzz_export_remove(z);
	else if (pick < 830)
		fuzz_export_list(z);
	else if (pick < 870)
		fuzz_pool_connect(z);
	else if (pick < 990)
		fuzz_other_cmd(z);
	else if (pick < 995 && z->set >= 0)
		clobber_part(z, z->set);
	else if (z->set >= 0) {
		close(z->set);
		z->set = -1;
		z->nlast = 0;
	}
}

/* ---- consistency checks ---- */

/*
 * Walk the set's part maps in address order and check what the module
 * reports; then remove everything and check the count.  Return 0 or a
 * description of the first inconsistency in @why.
 */
static int check_set(int setfd, char *why, size_t size)
{
	struct kpmem_pmap_info info = { 0 }, again;
	/* All of user space: with 5-level paging, hints above 47 bits are honoured. */
	struct kpmem_part_remove rm = { .addr = 4096, .length = ~0ULL - 8191 };
	unsigned long prev_end = 0, nparts = 0, npmaps = 0;

	for (;;) {
		info = (struct kpmem_pmap_info){ .addr = prev_end, .flags = KPMEM_LOOKUP_NEXT };
		if (ioctl(setfd, KPMEM_SET_IOC_PMAP_LOOKUP, &info)) {
			if (errno == ENOENT)
				break;
			snprintf(why, size, "lookup next from %#lx: %s", prev_end, strerror(errno));
			return -1;
		}
		if (!info.length || info.addr & 4095 || info.length & 4095 || !info.nparts ||
		    !info.pmap_id || info.addr < prev_end || info.state & ~KPMEM_PMAP_STALE ||
		    info.granularity > KPMEM_GRANULARITY_PAGE) {
			snprintf(why, size, "bad part map at %#llx+%#llx id %llu nparts %u after %#lx",
				 (unsigned long long)info.addr, (unsigned long long)info.length,
				 (unsigned long long)info.pmap_id, info.nparts, prev_end);
			return -1;
		}
		again = (struct kpmem_pmap_info){ .addr = info.addr + info.length - 1 };
		if (ioctl(setfd, KPMEM_SET_IOC_PMAP_LOOKUP, &again) || again.pmap_id != info.pmap_id ||
		    again.addr != info.addr || again.length != info.length) {
			snprintf(why, size, "part map %llu: its last byte finds another one",
				 (unsigned long long)info.pmap_id);
			return -1;
		}
		nparts += info.nparts;
		npmaps++;
		prev_end = info.addr + info.length;
	}
	if (ioctl(setfd, KPMEM_SET_IOC_PART_REMOVE, &rm)) {
		if (errno != ENOENT || nparts) {
			snprintf(why, size, "removing all %lu parts: %s", nparts, strerror(errno));
			return -1;
		}
	} else if (rm.removed != nparts) {
		snprintf(why, size, "%lu parts in %lu part maps, but %u removed", nparts, npmaps,
			 rm.removed);
		return -1;
	}
	info = (struct kpmem_pmap_info){ .addr = 0, .flags = KPMEM_LOOKUP_NEXT };
	if (!ioctl(setfd, KPMEM_SET_IOC_PMAP_LOOKUP, &info) || errno != ENOENT) {
		snprintf(why, size, "a part map is left after removing everything");
		return -1;
	}
	return 0;
}

/*
 * Remove every export the fuzzer made (mutated names need not keep its
 * prefix: anything that was not there before it started); return how many
 * exports are left.
 */
static char (*baseline_exports)[KPMEM_NAME_MAX + 1];
static uint32_t nbaseline_exports;

static bool export_in_baseline(const char *name)
{
	for (uint32_t i = 0; i < nbaseline_exports; i++)
		if (!strcmp(baseline_exports[i], name))
			return true;
	return false;
}

static int exports_baseline(int dev)
{
	static struct kpmem_export_info infos[64];
	struct kpmem_export_list l = { .entries = (uintptr_t)infos, .capacity = 64 };

	if (ioctl(dev, KPMEM_IOC_EXPORT_LIST, &l) || l.count > 64)
		return -1;
	free(baseline_exports);
	baseline_exports = calloc(l.count + 1, sizeof(*baseline_exports));
	if (!baseline_exports)
		return -1;
	for (uint32_t i = 0; i < l.count; i++)
		memcpy(baseline_exports[i], infos[i].name, sizeof(infos[i].name));
	nbaseline_exports = l.count;
	return 0;
}

static int exports_cleanup(int dev)
{
	static struct kpmem_export_info infos[64];
	struct kpmem_export_list l = { .entries = (uintptr_t)infos, .capacity = 64 };
	struct kpmem_export_remove rm = { .flags = KPMEM_EXPORT_REMOVE_FORCE };
	bool removed;

	/* Mutated names make many exports: 64 at a time. */
	do {
		removed = false;
		if (ioctl(dev, KPMEM_IOC_EXPORT_LIST, &l))
			return -1;
		for (uint32_t i = 0; i < l.count && i < 64; i++) {
			if (export_in_baseline(infos[i].name))
				continue;
			memcpy(rm.name, infos[i].name, sizeof(rm.name));
			if (ioctl(dev, KPMEM_IOC_EXPORT_REMOVE, &rm))
				return -1;
			removed = true;
		}
	} while (removed);
	l.count = 0;
	if (ioctl(dev, KPMEM_IOC_EXPORT_LIST, &l))
		return -1;
	return l.count - nbaseline_exports;
}

/* How many fds of ours are kpmem sets or pools. */
static int kpmem_fds_open(void)
{
	char path[300], target[128];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;
	ssize_t len;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		len = readlink(path, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		if (strstr(target, "[kpmem-"))
			n++;
	}
	closedir(dir);
	return n;
}

static long module_refcnt(void)
{
	FILE *f = fopen("/sys/module/kpmem/refcnt", "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

/* How many exports kpmemctl export-list shows (one line each after the port). */
static int kpmemctl_export_count(void)
{
	char cmd[512];
	int n = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s/tools/kpmemctl export-list | grep -avc '^listening'",
		 getenv("KPMEM_BUILD") ?: "build");
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the tests ---- */

FIXTURE(fuzz) {
	struct fuzz_files files;
	long refcnt;
	uint64_t seed;
	atomic_int net_budget;
	double start;
	bool ready;
};

FIXTURE_SETUP(fuzz)
{
	if (access(KPMEM_DEVICE_PATH, F_OK))
		SKIP(return, "no %s: kpmem.ko is not loaded", KPMEM_DEVICE_PATH);
	if (geteuid())
		SKIP(return, "needs root (exports are admin operations)");
	self->refcnt = module_refcnt();
	self->seed = fuzz_seed();
	atomic_store(&self->net_budget, NET_BUDGET);
	stats_reset();
	self->ready = true;
	ASSERT_EQ(0, files_setup(&self->files)) TH_LOG("fuzz files: %s", strerror(errno));
	ASSERT_EQ(0, exports_baseline(self->files.dev));
	TH_LOG("seed %#llx (KPMEM_FUZZ_SEED=%#llx reproduces)", (unsigned long long)self->seed,
	       (unsigned long long)self->seed);
	self->start = now();
}

FIXTURE_TEARDOWN(fuzz)
{
	/* A failed test may leave exports: a device DAX one would pin the namespace. */
	if (!self->ready)
		return;
	if (self->files.dev >= 0)
		exports_cleanup(self->files.dev);
	files_teardown(&self->files);
}

/* After a test: nothing of the fuzzer's is left in the module. */
static void check_module_clean(struct __test_metadata *_metadata, FIXTURE_DATA(fuzz) *self,
			       const char *what)
{
	int unexpected = 0;
	unsigned long total = stats_print(what, &unexpected);

	printf("# %s: %.1f s\n", what, now() - self->start);
	EXPECT_EQ(0, unexpected) TH_LOG("errnos the ABI does not document (see above)");
	EXPECT_EQ(0, exports_cleanup(self->files.dev));
	EXPECT_EQ((int)nbaseline_exports, kpmemctl_export_count());
	EXPECT_EQ(0, kpmem_fds_open());
	/* Sets and pools hold the module; closed, they must have let go. */
	EXPECT_EQ(self->refcnt + 1, module_refcnt()) TH_LOG("only our /dev/kpmem fds should hold it");
	EXPECT_LT(0UL, total);
}

TEST_F_TIMEOUT(fuzz, random_calls_on_device_and_set_fds, 280)
{
	unsigned long calls = fuzz_calls(), sets_checked = 0;
	struct fuzzer z;
	char why[256];

	ASSERT_EQ(0, fuzzer_init(&z, &self->files, 0, self->seed, &self->net_budget));
	for (;;) {
		unsigned long total = 0;

		for (int i = 0; i < NOPS; i++)
			total += atomic_load(&stat_calls[i]);
		if (total >= calls)
			break;
		fuzz_one(&z);
		/* Now and then, the current set's index must be consistent. */
		if (z.set >= 0 && below(&z.r, 5000) == 0) {
			ASSERT_EQ(0, check_set(z.set, why, sizeof(why))) TH_LOG("%s", why);
			sets_checked++;
		}
	}
	if (z.set >= 0) {
		ASSERT_EQ(0, check_set(z.set, why, sizeof(why))) TH_LOG("%s", why);
		sets_checked++;
	}
	printf("# %lu sets walked and emptied\n", sets_checked);
	fuzzer_fini(&z);
	check_module_clean(_metadata, self, "random calls");
}

/* ---- racing threads ---- */

struct race {
	struct fuzz_files *files;
	uint64_t seed;
	atomic_int *net_budget;
	atomic_int set;		/* the shared set fd */
	atomic_bool stop;
	unsigned long per_thread;
	int failed;
};

struct race_thread {
	struct race *race;
	int tid;
	pthread_t th;
};

static void *race_worker(void *arg)
{
	struct race_thread *t = arg;
	struct race *race = t->race;
	struct fuzzer z;

	if (fuzzer_init(&z, race->files, t->tid, race->seed, race->net_budget)) {
		race->failed = 1;
		return NULL;
	}
	for (unsigned long i = 0; i < race->per_thread && !atomic_load(&race->stop); i++) {
		int setfd = atomic_load(&race->set);
		uint64_t pick = below(&z.r, 100);

		if (pick < 40)
			fuzz_part_add(&z, setfd);
		else if (pick < 60)
			fuzz_part_remove(&z, setfd);
		else if (pick < 80)
			fuzz_pmap_lookup(&z, setfd);
		else if (pick < 88)
			fuzz_export_add(&z);
		else if (pick < 95)
			fuzz_export_remove(&z);
		else if (pick < 98)
			fuzz_export_list(&z);
		else
			clobber_part(&z, setfd);
	}
	fuzzer_fini(&z);
	return NULL;
}

TEST_F_TIMEOUT(fuzz, racing_threads_share_a_set_closed_under_them, 200)
{
	enum { NTHREADS = 4 };
	struct race race = {
		.files = &self->files, .seed = self->seed, .net_budget = &self->net_budget,
		.per_thread = fuzz_calls() / 10 / NTHREADS,
	};
	struct race_thread t[NTHREADS];
	struct rng r = { self->seed ^ 0xc105e };
	unsigned long swaps = 0;
	char why[256];
	int fd, old;

	fd = new_set(self->files.dev);
	ASSERT_LE(0, fd);
	atomic_store(&race.set, fd);
	for (int i = 0; i < NTHREADS; i++) {
		t[i].race = &race;
		t[i].tid = i + 1;
		ASSERT_EQ(0, pthread_create(&t[i].th, NULL, race_worker, &t[i]));
	}
	/*
	 * Close the shared set while the others use it: their calls in flight
	 * keep the file alive, later ones fail with EBADF (or meet the next
	 * set, which reuses the number).
	 */
	for (int j = 0; j < 400; j++) {
		usleep(2000 + below(&r, 8000));
		old = atomic_load(&race.set);
		if (below(&r, 2)) {
			close(old);
			fd = new_set(self->files.dev);
			atomic_store(&race.set, fd);
		} else {
			fd = new_set(self->files.dev);
			atomic_store(&race.set, fd);
			close(old);
		}
		swaps++;
		if (fd < 0)
			break;
		bool running = false;

		for (int i = 0; i < NTHREADS; i++)
			running |= pthread_tryjoin_np(t[i].th, NULL) == EBUSY;
		if (!running)
			break;
	}
	atomic_store(&race.stop, true);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i].th, NULL);
	ASSERT_EQ(0, race.failed);
	printf("# the shared set was replaced %lu times\n", swaps);
	fd = atomic_load(&race.set);
	if (fd >= 0) {
		ASSERT_EQ(0, check_set(fd, why, sizeof(why))) TH_LOG("%s", why);
		close(fd);
	}
	check_module_clean(_metadata, self, "racing threads");
}

TEST_F_TIMEOUT(fuzz, pool_connect_bad_arguments_and_nothing_listening, 200)
{
	struct fuzzer z;
	struct kpmem_pool_connect c = { .op = KPMEM_POOL_CREATE, .nlanes = 1, .timeout_ms = 300 };
	long fd;

	ASSERT_EQ(0, fuzzer_init(&z, &self->files, 9, self->seed, &self->net_budget));
	/* A port where nothing listens: refused, promptly. */
	make_sockaddr(&c.target, "10.77.0.2", 1);
	snprintf(c.name, sizeof(c.name), "nothing-here");
	c.pool_addr = (uintptr_t)z.resv;
	c.pool_size = 4096;
	fd = fz_ioctl(OP_POOL_CONNECT, self->files.dev, KPMEM_IOC_POOL_CONNECT, &c);
	EXPECT_TRUE(fd == -ECONNREFUSED || fd == -EHOSTUNREACH || fd == -ETIMEDOUT)
		TH_LOG("connect to a closed port: %ld", fd);
	for (int i = 0; i < 3000; i++)
		fuzz_pool_connect(&z);
	fuzzer_fini(&z);
	check_module_clean(_metadata, self, "pool connect");
}

TEST_F_TIMEOUT(fuzz, pool_connect_to_absent_host_fails_cleanly, 60)
{
	struct kpmem_pool_connect c = { .op = KPMEM_POOL_CREATE, .nlanes = 1, .timeout_ms = 100,
					.flags = KPMEM_POOL_HAS_ATTR };
	long fd;

	if (!addr_errors_enabled())
		SKIP(return, "KPMEM_FUZZ_ADDR_ERRORS=0 was given");
	make_sockaddr(&c.target, "10.77.0.99", KPMEM_DEFAULT_PORT);
	snprintf(c.name, sizeof(c.name), "nobody");
	c.pool_addr = 0x10000000;	/* never touched: the connection fails first */
	c.pool_size = 4096;
	fd = fz_ioctl(OP_POOL_CONNECT, self->files.dev, KPMEM_IOC_POOL_CONNECT, &c);
	EXPECT_TRUE(fd == -EHOSTUNREACH || fd == -ETIMEDOUT || fd == -ENETUNREACH)
		TH_LOG("connect to an absent host: %ld", fd);
	check_module_clean(_metadata, self, "absent host");
}

/* ---- a pool over the guest's own veth pair ---- */

#define POOL_EXPORT EXPORT_PREFIX "pool"
#define POOL_SIZE (1 * MiB)

static long pool_connect_loopback(int dev, uint32_t op, void *mem, uint32_t nlanes)
{
	struct kpmem_pool_connect c = {
		.op = op, .nlanes = nlanes, .timeout_ms = 3000,
		.flags = op == KPMEM_POOL_CREATE ? KPMEM_POOL_HAS_ATTR : 0,
		.pool_addr = (uintptr_t)mem, .pool_size = POOL_SIZE,
	};
	const char *peer = getenv("KPMEM_VM_PEER_ADDR") ?: "10.77.0.2";

	make_sockaddr(&c.target, peer, KPMEM_DEFAULT_PORT);
	snprintf(c.name, sizeof(c.name), "%s", POOL_EXPORT);
	return fz_ioctl(OP_POOL_CONNECT, dev, KPMEM_IOC_POOL_CONNECT, &c);
}

struct pool_race {
	struct fuzzer *z;
	int fd;
	atomic_bool stop;
	unsigned long calls;
};

static void *pool_race_worker(void *arg)
{
	struct pool_race *pr = arg;
	struct kpmem_pool_io io = { .length = 4096, .offset = 8192 };

	while (!atomic_load(&pr->stop)) {
		long ret = fz_ioctl(OP_POOL_PERSIST, pr->fd, KPMEM_POOL_IOC_PERSIST, &io);

		pr->calls++;
		if (ret == -EBADF)
			break;
	}
	return NULL;
}

/* A CQE's result, counted like an ioctl's. */
static void count_cqe(int res)
{
	int e = res < 0 ? -res : 0;

	atomic_fetch_add(&stat_calls[OP_URING_CMD], 1);
	atomic_fetch_add(&stat_errno[OP_URING_CMD][e < NERRNO ? e : NERRNO], 1);
}

/*
 * io_uring commands on the pool fd: random and mutated command areas,
 * command codes, lanes and buffers, in batches, on 128-byte-SQE rings and
 * (now and then) a plain ring, which must refuse them; some rings are torn
 * down with commands in flight.  Return: the commands submitted.
 */
static unsigned long fuzz_uring(struct fuzzer *z, int pool, unsigned long n)
{
	static const uint32_t ops[] = {
		KPMEM_URING_CMD_PERSIST, KPMEM_URING_CMD_FLUSH, KPMEM_URING_CMD_DRAIN,
		KPMEM_URING_CMD_READ,
	};
	struct io_uring ring;
	unsigned long done = 0;
	bool sqe128 = true;

	while (done < n) {
		unsigned int batch = 1 + below(&z->r, 32), i, got;
		struct io_uring_cqe *cqe;

		sqe128 = below(&z->r, 8) != 0;
		if (io_uring_queue_init(32, &ring, sqe128 ? IORING_SETUP_SQE128 : 0))
			return done;
		for (i = 0; i < batch; i++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
			struct kpmem_uring_cmd *c;

			if (!sqe)
				break;
			memset(sqe, 0, sqe128 ? 128 : 64);
			sqe->opcode = IORING_OP_URING_CMD;
			sqe->fd = chance(&z->r, 3) ? pick_fd(z) : pool;
			sqe->cmd_op = chance(&z->r, 90) ? ops[below(&z->r, 4)] : (uint32_t)rnd(&z->r);
			if (!sqe128)
				continue;
			c = (struct kpmem_uring_cmd *)sqe->cmd;
			c->offset = chance(&z->r, 70) ? below(&z->r, z->pool_size) : interesting(&z->r);
			c->length = chance(&z->r, 70) ? below(&z->r, 65536) : interesting(&z->r);
			c->lane = chance(&z->r, 80) ? below(&z->r, 3) : (uint32_t)rnd(&z->r);
			c->flags = chance(&z->r, 80) ? below(&z->r, 4) : (uint32_t)rnd(&z->r);
			if (sqe->cmd_op == KPMEM_URING_CMD_READ)
				c->buf = chance(&z->r, 80) ? (uintptr_t)z->pool_mem : interesting(&z->r);
			if (chance(&z->r, 10))
				mutate(&z->r, c, sizeof(*c));
			/* A read's buffer: see expendable_ptr(). */
			if (sqe->cmd_op == KPMEM_URING_CMD_READ)
				c->buf = expendable_ptr(&z->a, c->buf, z->pool_mem, z->pool_size,
							&c->length);
		}
		got = io_uring_submit(&ring);
		done += got;
		/* Now and then the ring goes with its commands still in flight. */
		if (!chance(&z->r, 10)) {
			for (i = 0; i < got; i++) {
				if (io_uring_wait_cqe(&ring, &cqe))
					break;
				count_cqe(cqe->res);
				io_uring_cqe_seen(&ring, cqe);
			}
		}
		io_uring_queue_exit(&ring);
	}
	return done;
}

TEST_F_TIMEOUT(fuzz, loopback_pool_fd_ioctls, 200)
{
	struct kpmem_export_add add = { .backing_fd = -1, .size = 2 * MiB };
	unsigned long calls = fuzz_calls() / 10;
	struct pool_race pr = { 0 };
	pthread_t th[2];
	struct fuzzer z;
	long fd;

	ASSERT_EQ(0, fuzzer_init(&z, &self->files, 10, self->seed, &self->net_budget));
	z.pool_size = POOL_SIZE;
	z.pool_mem = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, z.pool_mem);
	memset(z.pool_mem, 0x5a, POOL_SIZE);

	snprintf(add.name, sizeof(add.name), "%s", POOL_EXPORT);
	add.backing_fd = open_in(&self->files, "pool-backing", O_RDWR, 0);
	ASSERT_LE(0, add.backing_fd);
	ASSERT_EQ(0, fz_ioctl(OP_EXPORT_ADD, self->files.dev, KPMEM_IOC_EXPORT_ADD, &add));
	close(add.backing_fd);

	fd = pool_connect_loopback(self->files.dev, KPMEM_POOL_CREATE, z.pool_mem, 2);
	if (fd == -EHOSTUNREACH || fd == -ETIMEDOUT || fd == -ENETUNREACH) {
		exports_cleanup(self->files.dev);
		fuzzer_fini(&z);
		/* A harness guest always has its veth pair with rxe0/rxe1. */
		ASSERT_EQ(NULL, getenv("KPMEM_VM_ROLE"))
			TH_LOG("no loopback RDMA connection: %s", strerror(-fd));
		SKIP(return, "no loopback RDMA connection here (%s)", strerror(-fd));
	}
	ASSERT_LE(0, fd) TH_LOG("loopback pool create: %s", strerror(-fd));
	/* The export is held: a second initiator is refused. */
	EXPECT_EQ(-EBUSY, pool_connect_loopback(self->files.dev, KPMEM_POOL_OPEN, z.pool_mem, 1));

	z.pool = fd;
	for (unsigned long i = 0; i < calls; i++) {
		if (below(&z.r, 10) == 0)
			fuzz_other_cmd(&z);
		else
			fuzz_pool_io(&z, fd);
	}
	printf("# %lu io_uring commands submitted\n", fuzz_uring(&z, fd, calls / 2));
	/* Persists in flight on two threads while the fd is closed. */
	pr.z = &z;
	pr.fd = fd;
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, pool_race_worker, &pr));
	usleep(200000);
	close(fd);
	z.pool = -1;
	usleep(50000);
	atomic_store(&pr.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("# %lu persists raced the close\n", pr.calls);

	/* Closed, the export is free again: open it and remove the pool. */
	fd = pool_connect_loopback(self->files.dev, KPMEM_POOL_OPEN, z.pool_mem, 1);
	EXPECT_LE(0, fd) TH_LOG("reopen after close: %s", strerror(-fd));
	if (fd >= 0)
		close(fd);
	EXPECT_EQ(0, pool_connect_loopback(self->files.dev, KPMEM_POOL_REMOVE, z.pool_mem, 1));
	munmap(z.pool_mem, POOL_SIZE);
	fuzzer_fini(&z);
	check_module_clean(_metadata, self, "loopback pool");
}

TEST_HARNESS_MAIN
