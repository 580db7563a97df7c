// SPDX-License-Identifier: BSD-3-Clause
/*
 * Export records, the registry directory that holds them, and the file
 * helpers `save` and `restore` share (see record.h).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record.h"

#define READ_FILE_MAX	(1 << 20)

static int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(int ret, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

bool export_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > KPMEM_NAME_MAX)
		return false;
	return strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

int parse_allow(const char *arg, struct kpmem_sockaddr *out)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *ai;
	char host[INET6_ADDRSTRLEN + 8], *slash, *end;
	size_t len = strlen(arg);
	long prefix = 0;
	int ok;

	if (len >= sizeof(host))
		return -1;
	memcpy(host, arg, len + 1);
	slash = strchr(host, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || errno || prefix < 0 || prefix > 128)
			return -1;
	}
	if (getaddrinfo(host, NULL, &hints, &ai))
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = ai->ai_family;
	out->len = ai->ai_addrlen;
	out->prefix_len = prefix;
	if (ai->ai_addrlen <= sizeof(out->addr))
		memcpy(out->addr, ai->ai_addr, ai->ai_addrlen);
	ok = ai->ai_addrlen <= sizeof(out->addr) &&
	     ((out->family == AF_INET && prefix <= 32) || out->family == AF_INET6);
	freeaddrinfo(ai);
	return ok ? 0 : -1;
}

int parse_size(const char *arg, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;

	if (*arg < '0' || *arg > '9')
		return -1;	/* strtoull would take a sign or blanks */
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno)
		return -1;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end || (shift && v > UINT64_MAX >> shift))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

char *absolute_path(const char *path)
{
	char cwd[PATH_MAX], *out;

	if (path[0] == '/')
		return strdup(path);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	if (asprintf(&out, "%s/%s", strcmp(cwd, "/") ? cwd : "", path) < 0)
		return NULL;
	return out;
}

void record_free(struct export_rec *r)
{
	free(r->backing);
	free(r->key_file);
	free(r->state_file);
	for (unsigned int i = 0; i < r->nallow; i++)
		free(r->allow[i]);
	memset(r, 0, sizeof(*r));
}

/* A member that must be a string holding an absolute path. */
static int get_path(const struct json_value *m, const char *key, char **out, char *err,
		    size_t errlen)
{
	if (m->type != JSON_STRING)
		return fail(-EINVAL, err, errlen, "\"%s\" must be a string, not %s", key,
			    json_type_name(m->type));
	if (m->text[0] != '/')
		return fail(-EINVAL, err, errlen, "\"%s\" must be an absolute path, not \"%s\"", key,
			    m->text);
	*out = strdup(m->text);
	return *out ? 0 : -ENOMEM;
}

int record_from_json(const struct json_value *v, struct export_rec *r, char *err, size_t errlen)
{
	const struct json_value *m;
	struct kpmem_sockaddr sa;
	int ret;

	if (v->type != JSON_OBJECT)
		return fail(-EINVAL, err, errlen, "an export must be an object, not %s",
			    json_type_name(v->type));
	for (size_t i = 0; i < v->count; i++) {
		static const char *const known[] = {
			"name", "backing", "size", "nohdrs", "allow", "key_file", "state_file",
		};
		size_t k;

		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (!strcmp(v->keys[i], known[k]))
				break;
		if (k == sizeof(known) / sizeof(known[0]))
			return fail(-EINVAL, err, errlen, "unknown member \"%s\"", v->keys[i]);
	}

	m = json_member(v, "name");
	if (!m)
		return fail(-EINVAL, err, errlen, "no \"name\"");
	if (m->type != JSON_STRING || !export_name_valid(m->text))
		return fail(-EINVAL, err, errlen,
			    "\"name\" must be 1 to %d characters of A-Z a-z 0-9 . _ -",
			    KPMEM_NAME_MAX);
	snprintf(r->name, sizeof(r->name), "%s", m->text);

	m = json_member(v, "backing");
	if (!m)
		return fail(-EINVAL, err, errlen, "no \"backing\"");
	ret = get_path(m, "backing", &r->backing, err, errlen);
	if (ret)
		return ret;

	m = json_member(v, "size");
	if (m && json_to_u64(m, &r->size))
		return fail(-EINVAL, err, errlen, "\"size\" must be a whole number of bytes");

	m = json_member(v, "nohdrs");
	if (m) {
		if (m->type != JSON_TRUE && m->type != JSON_FALSE)
			return fail(-EINVAL, err, errlen, "\"nohdrs\" must be true or false, not %s",
				    json_type_name(m->type));
		r->nohdrs = m->type == JSON_TRUE;
	}

	m = json_member(v, "key_file");
	if (m && m->type != JSON_NULL) {
		ret = get_path(m, "key_file", &r->key_file, err, errlen);
		if (ret)
			return ret;
	}

	m = json_member(v, "state_file");
	if (m && m->type != JSON_NULL) {
		if (!r->nohdrs)
			return fail(-EINVAL, err, errlen, "\"state_file\" is for \"nohdrs\" exports only");
		ret = get_path(m, "state_file", &r->state_file, err, errlen);
		if (ret)
			return ret;
	}

	m = json_member(v, "allow");
	if (m) {
		if (m->type != JSON_ARRAY)
			return fail(-EINVAL, err, errlen, "\"allow\" must be an array, not %s",
				    json_type_name(m->type));
		if (m->count > KPMEM_EXPORT_ALLOW_MAX)
			return fail(-EINVAL, err, errlen, "\"allow\" holds %zu entries, at most %d",
				    m->count, KPMEM_EXPORT_ALLOW_MAX);
		for (size_t i = 0; i < m->count; i++) {
			const struct json_value *a = &m->items[i];

			if (a->type != JSON_STRING || parse_allow(a->text, &sa))
				return fail(-EINVAL, err, errlen,
					    "\"allow\" entry %zu is not a numeric ADDR[/PREFIX]", i + 1);
			r->allow[i] = strdup(a->text);
			if (!r->allow[i])
				return -ENOMEM;
			r->nallow++;
		}
	}
	return 0;
}

const char *record_check_utf8(const struct export_rec *r)
{
	if (!json_utf8_valid(r->backing))
		return r->backing;
	if (r->key_file && !json_utf8_valid(r->key_file))
		return r->key_file;
	if (r->state_file && !json_utf8_valid(r->state_file))
		return r->state_file;
	return NULL;
}

void record_write(FILE *f, const struct export_rec *r, const char *indent)
{
	fprintf(f, "{\n%s  \"name\": ", indent);
	json_put_string(f, r->name);
	fprintf(f, ",\n%s  \"backing\": ", indent);
	json_put_string(f, r->backing);
	fprintf(f, ",\n%s  \"size\": %llu,\n%s  \"nohdrs\": %s,\n%s  \"allow\": [", indent,
		(unsigned long long)r->size, indent, r->nohdrs ? "true" : "false", indent);
	for (unsigned int i = 0; i < r->nallow; i++) {
		fputs(i ? ", " : "", f);
		json_put_string(f, r->allow[i]);
	}
	fputc(']', f);
	if (r->key_file) {
		fprintf(f, ",\n%s  \"key_file\": ", indent);
		json_put_string(f, r->key_file);
	}
	if (r->state_file) {
		fprintf(f, ",\n%s  \"state_file\": ", indent);
		json_put_string(f, r->state_file);
	}
	fprintf(f, "\n%s}", indent);
}

const char *registry_dir(void)
{
	const char *dir = getenv("KPMEMCTL_REGISTRY_DIR");

	return dir && *dir ? dir : KPMEMCTL_REGISTRY_DEFAULT;
}

static int record_path(const char *name, char *buf, size_t len)
{
	/* Names are [A-Za-z0-9._-]: never a path separator. */
	if (!export_name_valid(name))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/%s.json", registry_dir(), name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int fill_record(FILE *f, void *arg)
{
	record_write(f, arg, "");
	fputc('\n', f);
	return 0;
}

int registry_store(const struct export_rec *r, char *err, size_t errlen)
{
	char path[PATH_MAX];
	int ret = record_path(r->name, path, sizeof(path));

	if (ret)
		return fail(ret, err, errlen, "%s", strerror(-ret));
	if (record_check_utf8(r))
		return fail(-EILSEQ, err, errlen, "path %s is not valid UTF-8", record_check_utf8(r));
	return write_file_atomic(path, 0600, fill_record, (void *)r, err, errlen);
}

int registry_load(const char *name, struct export_rec *r, char *err, size_t errlen)
{
	char path[PATH_MAX], msg[256], *buf;
	struct json_value *v;
	size_t len;
	int ret = record_path(name, path, sizeof(path));

	if (ret)
		return fail(ret, err, errlen, "%s", strerror(-ret));
	ret = read_file(path, &buf, &len);
	if (ret)
		return fail(ret, err, errlen, "%s: %s", path, strerror(-ret));
	ret = json_parse(buf, len, &v, msg, sizeof(msg));
	free(buf);
	if (ret)
		return fail(ret, err, errlen, "%s: %s", path, ret == -ENOMEM ? strerror(ENOMEM) : msg);
	ret = record_from_json(v, r, msg, sizeof(msg));
	json_free(v);
	if (ret)
		return fail(ret, err, errlen, "%s: %s", path, msg);
	if (strcmp(r->name, name))
		return fail(-EINVAL, err, errlen, "%s: names export \"%s\"", path, r->name);
	return 0;
}

int registry_forget(const char *name)
{
	char path[PATH_MAX];
	int ret = record_path(name, path, sizeof(path));

	if (ret)
		return ret;
	return unlink(path) ? -errno : 0;
}

/* mkdir -p for the directory part of @path. */
static int make_parent(const char *path)
{
	char dir[PATH_MAX], *p;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			return 0;
	}
}

int write_file_atomic(const char *path, mode_t mode, int (*fill)(FILE *, void *), void *arg,
		      char *err, size_t errlen)
{
	char tmp[PATH_MAX], dir[PATH_MAX], *slash;
	FILE *f;
	int fd, ret;

	if (!strcmp(path, "-")) {
		ret = fill(stdout, arg);
		if (!ret && fflush(stdout))
			ret = -errno;
		return ret ? fail(ret, err, errlen, "stdout: %s", strerror(-ret)) : 0;
	}
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return fail(-ENAMETOOLONG, err, errlen, "%s: %s", path, strerror(ENAMETOOLONG));
	ret = make_parent(path);
	if (ret)
		return fail(ret, err, errlen, "cannot create the directory of %s: %s", path,
			    strerror(-ret));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0)
		return fail(-errno, err, errlen, "%s: %s", tmp, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		ret = -errno;
		close(fd);
		goto out_unlink;
	}
	ret = fill(f, arg);
	if (!ret && (fflush(f) || fsync(fd)))
		ret = -errno;
	if (fclose(f) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		goto out_unlink;
	/* Make the rename itself durable. */
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash) {
		*(slash == dir ? slash + 1 : slash) = '\0';
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	} else {
		fd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	}
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	return 0;
out_unlink:
	unlink(tmp);
	return fail(ret, err, errlen, "cannot write %s: %s", path, strerror(-ret));
}

int read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap);
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	ssize_t got;
	int ret = 0;

	if (!b) {
		if (fd > STDIN_FILENO)
			close(fd);
		return -ENOMEM;
	}
	if (fd < 0) {
		free(b);
		return -errno;
	}
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= READ_FILE_MAX) {
				ret = -EFBIG;
				break;
			}
			nb = realloc(b, cap * 2);
			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			b = nb;
			cap *= 2;
		}
		got = read(fd, b + n, cap - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			ret = -errno;
			break;
		}
		if (!got)
			break;
		n += got;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret) {
		free(b);
		return ret;
	}
	*buf = b;
	*len = n;
	return 0;
}
