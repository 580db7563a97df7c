// SPDX-License-Identifier: BSD-3-Clause
/*
 * kpmemctl export-add / export-remove / export-list: the target's exports.
 * export-add and restore add exports through export_create(), which checks
 * everything before it changes anything and undoes what it did when the
 * module refuses; both commands keep each export's record (record.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kpmem_device.h"
#include "kpmemctl.h"

int open_device(const char *cmd)
{
	char msg[KPMEM_MSG_MAX];
	int fd = kpmem_device_open(KPMEM_DEVICE_PATH, KPMEM_FEAT_RPMEM_TARGET, NULL, msg, sizeof(msg));

	if (fd < 0)
		fprintf(stderr, "kpmemctl %s: %s\n", cmd, msg);
	return fd;
}

const char *export_errno_reason(int err)
{
	switch (err) {
	case EPERM: return "permission denied (CAP_SYS_ADMIN required)";
	case EEXIST: return "an export with this name exists";
	case ENOENT: return "no such export";
	case EBUSY: return "an initiator is connected (use --force)";
	case ENODEV: return "backing is neither a device DAX device nor a regular file";
	case ERANGE: return "size is larger than the device";
	default: return strerror(err);
	}
}

/*
 * --key-file: the raw bytes (16 to 32) initiators must prove they hold
 * (librpmem reads the same file through KPMEM_RPMEM_KEY_FILE).  A file,
 * never the command line, where every user could read it.
 */
static int read_key(const char *path, struct kpmem_export_add *req, const char *what)
{
	unsigned char buf[KPMEM_KEY_MAX + 1];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		fprintf(stderr, "%s: key file %s: %s\n", what, path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < KPMEM_KEY_MIN || n > KPMEM_KEY_MAX) {
		explicit_bzero(buf, sizeof(buf));
		fprintf(stderr, "%s: key file %s: a key is %d to %d bytes\n", what, path,
			KPMEM_KEY_MIN, KPMEM_KEY_MAX);
		return -1;
	}
	memcpy(req->key, buf, n);
	req->key_len = n;
	explicit_bzero(buf, sizeof(buf));
	return 0;
}

int export_list_fetch(int dev, struct kpmem_export_list *req, struct kpmem_export_info **infos)
{
	struct kpmem_export_info *buf = NULL;

	memset(req, 0, sizeof(*req));
	/* The list may grow between two calls: ask until it fits. */
	for (;;) {
		req->entries = (uintptr_t)buf;
		if (ioctl(dev, KPMEM_IOC_EXPORT_LIST, req)) {
			int err = errno;

			free(buf);
			return -err;
		}
		if (req->count <= req->capacity)
			break;
		free(buf);
		req->capacity = req->count + 4;
		buf = calloc(req->capacity, sizeof(*buf));
		if (!buf)
			return -ENOMEM;
	}
	*infos = buf;
	return 0;
}

/* Put the backing back as it was before export_create() touched it. */
static void undo_backing(int fd, const char *path, bool created, bool regular, off_t old_size)
{
	struct stat st;

	if (created)
		unlink(path);
	else if (regular && !fstat(fd, &st) && st.st_size > old_size)
		(void)!ftruncate(fd, old_size);
}

/*
 * Open a --nohdrs export's state file (KPMEM_EXPORT_STATE_FD), creating it
 * empty the first time.  @path_out: the path; *@created: it is new.
 */
static int open_state_file(const struct export_rec *r, char *path_out, size_t len, bool *created,
			   const char *what)
{
	int fd;

	*created = false;
	if (r->state_file) {
		snprintf(path_out, len, "%s", r->state_file);
	} else {
		if (mkdir("/var/lib/kpmem", 0755) && errno != EEXIST)
			goto fail_dir;
		if (mkdir(KPMEMCTL_STATE_DIR, 0700) && errno != EEXIST)
			goto fail_dir;
		snprintf(path_out, len, "%s/%s.state", KPMEMCTL_STATE_DIR, r->name);
	}
	fd = open(path_out, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT) {
		fd = open(path_out, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL | O_NOFOLLOW, 0600);
		*created = fd >= 0;
	}
	if (fd < 0)
		fprintf(stderr, "%s: state file %s: %s\n", what, path_out, strerror(errno));
	return fd;
fail_dir:
	fprintf(stderr, "%s: %s: %s\n", what, KPMEMCTL_STATE_DIR, strerror(errno));
	return -1;
}

int export_create(int dev, const struct export_rec *r, bool may_create, const char *what)
{
	char state_path[PATH_MAX];
	bool state_created = false;
	int state_fd = -1;
	struct kpmem_export_info *infos = NULL;
	struct kpmem_export_list list;
	struct kpmem_export_add req;
	bool created = false, regular = false;
	off_t old_size = 0;
	char msg[512];
	struct stat st;
	int fd = -1, ret;

	memset(&req, 0, sizeof(req));
	if (!export_name_valid(r->name)) {
		fprintf(stderr, "%s: an export name is 1 to %d characters of A-Z a-z 0-9 . _ -\n",
			what, KPMEM_NAME_MAX);
		return EXIT_USAGE;
	}
	snprintf(req.name, sizeof(req.name), "%s", r->name);
	req.size = r->size;
	if (r->nohdrs)
		req.flags |= KPMEM_EXPORT_NOHDRS;
	if (r->convert_header)
		req.flags |= KPMEM_EXPORT_CONVERT_HDR;
	for (unsigned int i = 0; i < r->nallow; i++) {
		if (parse_allow(r->allow[i], &req.allow[i])) {
			fprintf(stderr, "%s: bad allow entry '%s' (a numeric ADDR[/PREFIX])\n", what,
				r->allow[i]);
			return EXIT_USAGE;
		}
	}
	req.nallow = r->nallow;
	if (r->key_file && read_key(r->key_file, &req, what))
		return EXIT_USAGE;

	/* The name must be free; listing also needs CAP_SYS_ADMIN, like adding. */
	ret = export_list_fetch(dev, &list, &infos);
	if (ret) {
		fprintf(stderr, "%s: %s\n", what, export_errno_reason(-ret));
		ret = EXIT_FAIL;
		goto out;
	}
	for (unsigned int i = 0; i < list.count; i++) {
		if (!strcmp(infos[i].name, r->name)) {
			fprintf(stderr, "%s: export '%s': %s\n", what, r->name,
				export_errno_reason(EEXIST));
			ret = EXIT_FAIL;
			goto out;
		}
	}

	/* Only --size creates a file, and never a mistyped device name. */
	fd = open(r->backing, O_RDWR | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && may_create && r->size) {
		if (!strncmp(r->backing, "/dev/", 5)) {
			fprintf(stderr, "%s: %s: no such device (a file is never created under /dev)\n",
				what, r->backing);
			ret = EXIT_FAIL;
			goto out;
		}
		fd = open(r->backing, O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL, 0600);
		created = fd >= 0;
	}
	if (fd < 0) {
		int err = errno;

		fprintf(stderr, "%s: %s: %s%s\n", what, r->backing, strerror(err),
			err == ENOENT && may_create && strncmp(r->backing, "/dev/", 5) ?
			" (--size creates a file)" : "");
		ret = EXIT_FAIL;
		goto out;
	}
	if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
		regular = true;
		old_size = st.st_size;
	}

	/*
	 * Nothing in a header-less export says whether it holds a pool: the
	 * module keeps that in the state file, across reloads and reboots.
	 */
	if (r->nohdrs) {
		state_fd = open_state_file(r, state_path, sizeof(state_path), &state_created, what);
		if (state_fd < 0) {
			undo_backing(fd, r->backing, created, regular, old_size);
			ret = EXIT_FAIL;
			goto out;
		}
		req.flags |= KPMEM_EXPORT_STATE_FD;
		req.state_fd = state_fd;
	}

	req.backing_fd = fd;
	if (ioctl(dev, KPMEM_IOC_EXPORT_ADD, &req)) {
		int err = errno;

		fprintf(stderr, "%s: export '%s' on %s: %s\n", what, r->name, r->backing,
			err == EUCLEAN && r->nohdrs ?
			"its state file holds another export's state or is damaged" :
			err == EBUSY ? "another export has this backing" :
			export_errno_reason(err));
		undo_backing(fd, r->backing, created, regular, old_size);
		if (state_created)
			unlink(state_path);
		ret = EXIT_FAIL;
		goto out;
	}

	ret = registry_store(r, msg, sizeof(msg));
	if (ret) {
		struct kpmem_export_remove rm = { .flags = KPMEM_EXPORT_REMOVE_FORCE };

		fprintf(stderr, "%s: cannot record export '%s' (%s); removing it again\n", what,
			r->name, msg);
		snprintf(rm.name, sizeof(rm.name), "%s", r->name);
		if (ioctl(dev, KPMEM_IOC_EXPORT_REMOVE, &rm))
			fprintf(stderr, "%s: removing export '%s' failed: %s\n", what, r->name,
				export_errno_reason(errno));
		else
			undo_backing(fd, r->backing, created, regular, old_size);
		/* The module is done with it either way: the export is gone or failed. */
		if (state_created)
			unlink(state_path);
		ret = EXIT_FAIL;
		goto out;
	}
	ret = 0;
out:
	explicit_bzero(req.key, sizeof(req.key));
	if (fd >= 0)
		close(fd);
	if (state_fd >= 0)
		close(state_fd);
	free(infos);
	return ret;
}

static const char export_add_usage[] =
	"usage: kpmemctl export-add NAME BACKING [--size BYTES[K|M|G]] [--nohdrs]\n"
	"                           [--allow ADDR[/PREFIX]]... [--key-file PATH]\n"
	"                           [--state-file PATH] [--convert-header]\n";

int cmd_export_add(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "size", required_argument, NULL, 's' },
		{ "nohdrs", no_argument, NULL, 'n' },
		{ "allow", required_argument, NULL, 'a' },
		{ "key-file", required_argument, NULL, 'k' },
		{ "convert-header", no_argument, NULL, 'c' },
		{ "state-file", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_sockaddr sa;
	struct export_rec rec;
	int c, dev, ret = EXIT_USAGE;

	memset(&rec, 0, sizeof(rec));
	while ((c = getopt_long(argc, argv, "s:na:k:cS:h", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &rec.size)) {
				fprintf(stderr, "kpmemctl export-add: bad size '%s'\n", optarg);
				goto out;
			}
			break;
		case 'n':
			rec.nohdrs = true;
			break;
		case 'a':
			if (rec.nallow == KPMEM_EXPORT_ALLOW_MAX || parse_allow(optarg, &sa)) {
				fprintf(stderr, "kpmemctl export-add: bad or too many --allow '%s' (at most %d numeric ADDR[/PREFIX])\n",
					optarg, KPMEM_EXPORT_ALLOW_MAX);
				goto out;
			}
			rec.allow[rec.nallow] = strdup(optarg);
			if (!rec.allow[rec.nallow])
				goto oom;
			rec.nallow++;
			break;
		case 'k':
			free(rec.key_file);
			rec.key_file = absolute_path(optarg);
			if (!rec.key_file)
				goto oom;
			break;
		case 'c':
			rec.convert_header = true;
			break;
		case 'S':
			free(rec.state_file);
			rec.state_file = absolute_path(optarg);
			if (!rec.state_file)
				goto oom;
			break;
		case 'h':
			fputs(export_add_usage, stdout);
			ret = 0;
			goto out;
		default:
			fputs(export_add_usage, stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		fputs(export_add_usage, stderr);
		goto out;
	}
	if (rec.state_file && !rec.nohdrs) {
		fprintf(stderr, "kpmemctl export-add: --state-file is for --nohdrs exports (with a header, the pool's header says it exists)\n");
		goto out;
	}
	/*
	 * RoCE does not authenticate the source address an allow list
	 * checks: say so where it matters, at the moment it is relied on.
	 */
	if (rec.nallow && !rec.key_file)
		fprintf(stderr, "kpmemctl export-add: warning: --allow without --key-file: an allow list filters on the address initiators claim, which the network does not authenticate; only a key keeps an attacker out\n");
	if (!export_name_valid(argv[optind])) {
		fprintf(stderr, "kpmemctl export-add: an export name is 1 to %d characters of A-Z a-z 0-9 . _ -\n",
			KPMEM_NAME_MAX);
		goto out;
	}
	snprintf(rec.name, sizeof(rec.name), "%s", argv[optind]);
	rec.backing = absolute_path(argv[optind + 1]);
	if (!rec.backing)
		goto oom;

	/* The module first: without it, nothing is touched. */
	dev = open_device("export-add");
	if (dev < 0) {
		ret = EXIT_FAIL;
		goto out;
	}
	ret = export_create(dev, &rec, true, "kpmemctl export-add");
	close(dev);
out:
	record_free(&rec);
	return ret;
oom:
	fprintf(stderr, "kpmemctl export-add: %s\n", strerror(errno));
	ret = EXIT_FAIL;
	goto out;
}

int cmd_export_remove(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char usage[] = "usage: kpmemctl export-remove NAME [--force]\n";
	struct kpmem_export_remove req;
	int c, dev, err, ret;

	memset(&req, 0, sizeof(req));
	while ((c = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage, stdout);
			return 0;
		}
		if (c != 'f') {
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
		req.flags |= KPMEM_EXPORT_REMOVE_FORCE;
	}
	if (argc - optind != 1 || strlen(argv[optind]) > KPMEM_NAME_MAX) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	snprintf(req.name, sizeof(req.name), "%s", argv[optind]);
	dev = open_device("export-remove");
	if (dev < 0)
		return EXIT_FAIL;
	err = ioctl(dev, KPMEM_IOC_EXPORT_REMOVE, &req) ? errno : 0;
	close(dev);
	if (err && err != ENOENT) {
		fprintf(stderr, "kpmemctl export-remove: export '%s': %s\n", req.name,
			export_errno_reason(err));
		return EXIT_FAIL;
	}
	/* The export is gone (or never was): so goes its record. */
	ret = registry_forget(req.name);
	if (ret && ret != -ENOENT && ret != -EINVAL)
		fprintf(stderr, "kpmemctl export-remove: cannot delete the record of '%s' in %s: %s\n",
			req.name, registry_dir(), strerror(-ret));
	if (err) {
		fprintf(stderr, "kpmemctl export-remove: export '%s': %s\n", req.name,
			export_errno_reason(err));
		return EXIT_FAIL;
	}
	return 0;
}

static void format_addr(const struct kpmem_sockaddr *a, char *buf, size_t len)
{
	if (!a->family ||
	    getnameinfo((const struct sockaddr *)a->addr, a->len, buf, len, NULL, 0, NI_NUMERICHOST))
		snprintf(buf, len, "-");
}

static const char *kind_name(unsigned int kind)
{
	return kind == KPMEM_SOURCE_DEVDAX ? "devdax" : kind == KPMEM_SOURCE_FSDAX ? "fsdax" : "file";
}

int cmd_export_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct kpmem_export_list req;
	struct kpmem_export_info *infos = NULL;
	int c, dev, json = 0, ret;

	while ((c = getopt_long(argc, argv, "j", opts, NULL)) != -1) {
		if (c != 'j') {
			fputs("usage: kpmemctl export-list [-j|--json]\n", stderr);
			return EXIT_USAGE;
		}
		json = 1;
	}
	if (optind != argc) {
		fprintf(stderr, "kpmemctl export-list: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	dev = open_device("export-list");
	if (dev < 0)
		return EXIT_FAIL;
	ret = export_list_fetch(dev, &req, &infos);
	close(dev);
	if (ret) {
		fprintf(stderr, "kpmemctl export-list: %s\n", export_errno_reason(-ret));
		return EXIT_FAIL;
	}

	if (json)
		printf("{\n  \"port\":%u,\n  \"exports\":[", req.port);
	else
		printf("listening on rdma_cm port: %s%.0u\n", req.port ? "" : "no", req.port);
	for (unsigned int i = 0; i < req.count; i++) {
		const struct kpmem_export_info *e = &infos[i];
		char peer[INET6_ADDRSTRLEN];

		format_addr(&e->peer, peer, sizeof(peer));
		if (json) {
			printf("%s\n    {\"name\":\"%s\",\"backing\":\"%s\",\"size\":%llu,"
			       "\"headers\":%s,\"pool\":%s,\"state\":\"%s\",\"peer\":\"%s\","
			       "\"allow\":%u,\"key\":%s,\"connections\":%llu,\"rejected\":%llu,"
			       "\"persists\":%llu,\"bytes_persisted\":%llu,\"reads\":%llu,"
			       "\"errors\":%llu,\"deep_flush\":%s,\"deep_flushes\":%llu}",
			       i ? "," : "", e->name, kind_name(e->backing_kind),
			       (unsigned long long)e->size,
			       e->flags & KPMEM_EXPORT_NOHDRS ? "false" : "true",
			       e->flags & KPMEM_EXPORT_HAS_POOL ? "true" : "false",
			       e->state == KPMEM_EXPORT_CONNECTED ? "connected" : "idle", peer,
			       e->nallow, e->flags & KPMEM_EXPORT_HAS_KEY ? "true" : "false",
			       (unsigned long long)e->connections,
			       (unsigned long long)e->rejected, (unsigned long long)e->persists,
			       (unsigned long long)e->bytes_persisted,
			       (unsigned long long)e->reads, (unsigned long long)e->errors,
			       e->flags & KPMEM_EXPORT_DEEP_FLUSH ? "true" : "false",
			       (unsigned long long)e->deep_flushes);
		} else {
			printf("%s: %s, %llu bytes%s%s, %s%s%s, %llu persists, %llu reads, %llu errors\n",
			       e->name, kind_name(e->backing_kind), (unsigned long long)e->size,
			       e->flags & KPMEM_EXPORT_NOHDRS ? ", no header" : "",
			       e->flags & KPMEM_EXPORT_HAS_KEY ? ", key required" : "",
			       e->flags & KPMEM_EXPORT_HAS_POOL ? "pool, " : "no pool, ",
			       e->state == KPMEM_EXPORT_CONNECTED ? "connected from " : "idle",
			       e->state == KPMEM_EXPORT_CONNECTED ? peer : "",
			       (unsigned long long)e->persists, (unsigned long long)e->reads,
			       (unsigned long long)e->errors);
		}
	}
	if (json)
		printf("%s]\n}\n", req.count ? "\n  " : "");
	free(infos);
	return 0;
}
