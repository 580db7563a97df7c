// SPDX-License-Identifier: GPL-2.0
/*
 * The pool header a kpmem target keeps at offset 0 of an export is PMDK's
 * (struct pool_hdr, as rpmemd writes it for a remote replica), read and
 * written through librpmem between the two guests of a pair, and checked on
 * the target with pmempool and selftests/rpmem/pool_hdr_tool.py (PMDK's
 * layout, independent of the module):
 *
 *  - rpmem_create() writes PMDK's header, checksum and all, from the
 *    attributes; rpmem_open() returns exactly the attributes stored;
 *  - rpmem_set_attr() rewrites it and keeps its creation time;
 *    rpmem_remove() zeroes it;
 *  - an export holding kpmem 0.1's header ("KPMEMPL\1") is refused with
 *    EUCLEAN and a log line, its bytes untouched, until export-add
 *    --convert-header converts it; then it opens with its attributes.
 *
 * The target's export is a file, /tmp/hdr.img.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <librpmem.h>

#include "kselftest_harness.h"
#include "../lib/guest_util.h"

#define EXPORT		"hdr.set"
#define IMG		"/tmp/hdr.img"
#define POOL_SIZE	(4UL << 20)
#define EXPORT_SIZE	"5M"
#define OLD_MSG		"holds a kpmem 0.1 pool header"
#define CONVERTED_MSG	"converted its kpmem 0.1 pool header"

struct hdr_view {
	int zero;
	int checksum_ok;
	unsigned long long crtime;
	int parts_linked;
	char attr[2 * sizeof(struct rpmem_pool_attr) + 1];
};

/* Run @cmd (on the initiator: prefix "peer " for the target), keep its output. */
static int output_of(char *out, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int output_of(char *out, size_t len, const char *fmt, ...)
{
	char cmd[1024];
	size_t n = 0;
	va_list ap;
	FILE *f;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	while (n + 1 < len && !feof(f))
		n += fread(out + n, 1, len - 1 - n, f);
	out[n] = '\0';
	return pclose(f);
}

static void hex(const void *p, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", ((const unsigned char *)p)[i]);
}

/* The target's view of the export's header (pool_hdr_tool.py show). */
static int show(struct hdr_view *v)
{
	char buf[1024], csum[8];

	memset(v, 0, sizeof(*v));
	if (output_of(buf, sizeof(buf), "peer python3 %s/selftests/rpmem/pool_hdr_tool.py show " IMG,
		      getenv("KPMEM_TOP")))
		return -1;
	if (sscanf(buf, "zero %d\nchecksum %7s\ncrtime %llu\nparts-linked %d\nattr %208s",
		   &v->zero, csum, &v->crtime, &v->parts_linked, v->attr) != 5)
		return -1;
	v->checksum_ok = !strcmp(csum, "ok");
	return 0;
}

/* Lines of kernel log on the target that contain @what. */
static int target_log_count(const char *what)
{
	char buf[32];

	if (output_of(buf, sizeof(buf), "peer sh -c 'dmesg | grep -c \"%s\"; true'", what))
		return -1;
	return atoi(buf);
}

static int target_sha(char *out)
{
	return output_of(out, 80, "peer python3 %s/selftests/rpmem/pool_hdr_tool.py sha256 " IMG,
			 getenv("KPMEM_TOP"));
}

static void fill(unsigned char *p, size_t len, unsigned char seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = seed + i * 13;
}

/* Attributes as libpmemobj sends them: every uuid set, x86-64 arch flags. */
static void full_attr(struct rpmem_pool_attr *a, unsigned char seed)
{
	static const unsigned char x86_64[16] = { 0x10, 0x73, 0x77, 0x37, 0xf7, 0x07, 0, 0,
						  2, 1, 0, 0, 0, 0, 0x3e, 0 };

	memset(a, 0, sizeof(*a));
	memcpy(a->signature, "PMEMOBJ", 8);
	a->major = 6;
	a->compat_features = 1;
	a->incompat_features = 6;
	fill(a->poolset_uuid, 16, seed);
	fill(a->uuid, 16, seed + 1);
	fill(a->next_uuid, 16, seed + 2);
	fill(a->prev_uuid, 16, seed + 3);
	memcpy(a->user_flags, x86_64, sizeof(x86_64));
}

/* PMDK's util_uuid_to_string(), as pmempool info prints a uuid. */
static void uuid_str(const unsigned char *u, char *out)
{
	sprintf(out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
		u[13], u[14], u[15]);
}

/* The value pmempool info printed for @field ("" if none). */
static const char *field(const char *out, const char *name)
{
	static char val[128];
	size_t flen = strlen(name);

	val[0] = '\0';
	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c = strchr(l, ':');

		if (strncmp(l, name, flen) || l[flen] != ' ' || !c)
			continue;
		snprintf(val, sizeof(val), "%.*s", (int)strcspn(c + 2, "\n"), c + 2);
		break;
	}
	return val;
}

static int has_field(const char *out, const char *name, const char *value)
{
	return !strncmp(field(out, name), value, strlen(value));
}

FIXTURE(hdr) {
	const char *target;
	void *pool;
	unsigned int nlanes;
};

FIXTURE_SETUP(hdr)
{
	self->target = getenv("KPMEM_VM_PEER_ADDR");
	ASSERT_NE(NULL, self->target);
	self->pool = mmap(NULL, POOL_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	ASSERT_NE(MAP_FAILED, self->pool);
	self->nlanes = 2;
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	ASSERT_EQ(0, run("peer rm -f " IMG));
	ASSERT_EQ(0, run("peer %s export-add " EXPORT " " IMG " --size " EXPORT_SIZE, kpmemctl()));
}

FIXTURE_TEARDOWN(hdr)
{
	run("peer %s export-remove --force " EXPORT " >/dev/null 2>&1", kpmemctl());
	run("peer rm -f " IMG);
	munmap(self->pool, POOL_SIZE);
}

static RPMEMpool *create(struct __test_metadata *_metadata, FIXTURE_DATA(hdr) *self,
			 const struct rpmem_pool_attr *a)
{
	RPMEMpool *rpp;

	self->nlanes = 2;
	rpp = rpmem_create(self->target, EXPORT, self->pool, POOL_SIZE, &self->nlanes, a);
	EXPECT_NE(NULL, rpp) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	return rpp;
}

static RPMEMpool *open_pool(FIXTURE_DATA(hdr) *self, struct rpmem_pool_attr *got)
{
	self->nlanes = 2;
	memset(got, 0x5a, sizeof(*got));
	return rpmem_open(self->target, EXPORT, self->pool, POOL_SIZE, &self->nlanes, got);
}

TEST_F_TIMEOUT(hdr, create_writes_pmdks_pool_header, 300)
{
	char want[2 * sizeof(struct rpmem_pool_attr) + 1], out[4096], u[40];
	struct rpmem_pool_attr a;
	struct hdr_view v;
	time_t t0 = time(NULL);
	RPMEMpool *rpp;

	full_attr(&a, 0x30);
	rpp = create(_metadata, self, &a);
	ASSERT_NE(NULL, rpp);
	ASSERT_EQ(0, rpmem_close(rpp));

	ASSERT_EQ(0, show(&v));
	EXPECT_EQ(0, v.zero);
	EXPECT_EQ(1, v.checksum_ok);
	EXPECT_EQ(1, v.parts_linked);
	hex(&a, sizeof(a), want);
	EXPECT_STREQ(want, v.attr);
	/* The guests' clocks both come from the host. */
	EXPECT_LE((unsigned long long)t0 - 300, v.crtime);
	EXPECT_GE((unsigned long long)time(NULL) + 300, v.crtime);

	/* PMDK's own reader. */
	ASSERT_EQ(0, output_of(out, sizeof(out), "peer pmempool info " IMG));
	TH_LOG("pmempool info on the target:\n%s", out);
	EXPECT_TRUE(has_field(out, "Signature", "PMEMOBJ"));
	EXPECT_TRUE(has_field(out, "Major", "6"));
	uuid_str(a.poolset_uuid, u);
	EXPECT_TRUE(has_field(out, "Pool set UUID", u));
	uuid_str(a.uuid, u);
	EXPECT_TRUE(has_field(out, "UUID", u));
	EXPECT_TRUE(has_field(out, "Previous part UUID", u));
	EXPECT_TRUE(has_field(out, "Next part UUID", u));
	uuid_str(a.prev_uuid, u);
	EXPECT_TRUE(has_field(out, "Previous replica UUID", u));
	uuid_str(a.next_uuid, u);
	EXPECT_TRUE(has_field(out, "Next replica UUID", u));
	EXPECT_TRUE(has_field(out, "Machine", "AMD X86-64"));
	EXPECT_NE(NULL, strstr(field(out, "Checksum"), "[OK]")) TH_LOG("%s", field(out, "Checksum"));
}

/*
 * rpmem_open() reports exactly the attributes rpmem_create() stored, and
 * they are the ones in PMDK's header on the target: like libpmemobj's,
 * sparse ones (zero uuids and arch flags) and one without even a
 * signature.
 */
TEST_F_TIMEOUT(hdr, open_returns_exactly_the_created_attributes, 300)
{
	char want[2 * sizeof(struct rpmem_pool_attr) + 1];
	struct rpmem_pool_attr a[3], got;
	struct hdr_view v;
	RPMEMpool *rpp;

	full_attr(&a[0], 0x70);
	memset(&a[1], 0, sizeof(a[1]));
	memcpy(a[1].signature, "SPARSE", 6);
	a[1].major = 1;
	a[1].uuid[0] = 9;
	memset(&a[2], 0, sizeof(a[2]));
	a[2].user_flags[15] = 0x80;
	for (int i = 0; i < 3; i++) {
		rpp = create(_metadata, self, &a[i]);
		ASSERT_NE(NULL, rpp);
		ASSERT_EQ(0, rpmem_close(rpp));
		rpp = open_pool(self, &got);
		ASSERT_NE(NULL, rpp) TH_LOG("rpmem_open %d: %s", i, rpmem_errormsg());
		EXPECT_EQ(0, memcmp(&a[i], &got, sizeof(got))) TH_LOG("attributes %d differ", i);
		ASSERT_EQ(0, rpmem_close(rpp));
		ASSERT_EQ(0, show(&v));
		EXPECT_EQ(1, v.checksum_ok) TH_LOG("attributes %d", i);
		hex(&a[i], sizeof(a[i]), want);
		EXPECT_STREQ(want, v.attr);
		ASSERT_EQ(0, rpmem_remove(self->target, EXPORT, 0)) TH_LOG("%s", rpmem_errormsg());
	}
}

/* rpmemd's set_attr (util_replica_set_attr()): new attributes, same crtime. */
TEST_F_TIMEOUT(hdr, set_attr_rewrites_header_and_keeps_crtime, 300)
{
	char want[2 * sizeof(struct rpmem_pool_attr) + 1];
	struct rpmem_pool_attr a, b, got;
	struct hdr_view v0, v1;
	RPMEMpool *rpp;

	full_attr(&a, 0x40);
	full_attr(&b, 0x50);
	memcpy(b.signature, "OTHERSIG", 8);
	b.major = 7;
	rpp = create(_metadata, self, &a);
	ASSERT_NE(NULL, rpp);
	ASSERT_EQ(0, rpmem_close(rpp));
	ASSERT_EQ(0, show(&v0));
	ASSERT_EQ(1, v0.checksum_ok);
	sleep(2);

	rpp = open_pool(self, &got);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_open: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_set_attr(rpp, &b)) TH_LOG("rpmem_set_attr: %s", rpmem_errormsg());
	ASSERT_EQ(0, rpmem_close(rpp));
	ASSERT_EQ(0, show(&v1));
	EXPECT_EQ(1, v1.checksum_ok);
	EXPECT_EQ(1, v1.parts_linked);
	EXPECT_EQ(v0.crtime, v1.crtime);
	hex(&b, sizeof(b), want);
	EXPECT_STREQ(want, v1.attr);
	rpp = open_pool(self, &got);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_open: %s", rpmem_errormsg());
	EXPECT_EQ(0, memcmp(&b, &got, sizeof(got)));
	ASSERT_EQ(0, rpmem_close(rpp));
}

TEST_F_TIMEOUT(hdr, remove_zeroes_header, 300)
{
	struct rpmem_pool_attr a, got;
	struct hdr_view v;
	RPMEMpool *rpp;

	full_attr(&a, 0x10);
	rpp = create(_metadata, self, &a);
	ASSERT_NE(NULL, rpp);
	ASSERT_EQ(0, rpmem_close(rpp));
	ASSERT_EQ(0, rpmem_remove(self->target, EXPORT, 0)) TH_LOG("%s", rpmem_errormsg());
	ASSERT_EQ(0, show(&v));
	EXPECT_EQ(1, v.zero);
	rpp = open_pool(self, &got);
	EXPECT_EQ(NULL, rpp);
	EXPECT_EQ(ENOENT, errno);
	if (rpp)
		rpmem_close(rpp);
}

/*
 * kpmem 0.1 kept its own header ("KPMEMPL\1", the pool size, the
 * attributes).  Such an export is added (with a warning), every pool
 * operation on it fails with EUCLEAN and a log line on the target, and
 * nothing on it changes; export-add --convert-header turns the header into
 * PMDK's with the same attributes, which rpmem_open() then reports.
 */
TEST_F_TIMEOUT(hdr, old_header_is_refused_untouched_then_converted, 300)
{
	char want[2 * sizeof(struct rpmem_pool_attr) + 1], before[80], after[80], out[4096];
	int refusals, adds, conversions;
	struct rpmem_pool_attr a, got;
	struct hdr_view v;
	RPMEMpool *rpp;

	full_attr(&a, 0x60);
	hex(&a, sizeof(a), want);
	refusals = target_log_count(OLD_MSG);
	conversions = target_log_count(CONVERTED_MSG);
	ASSERT_LE(0, refusals);
	ASSERT_EQ(0, run("peer %s export-remove " EXPORT, kpmemctl()));
	ASSERT_EQ(0, run("peer python3 %s/selftests/rpmem/pool_hdr_tool.py write-old " IMG
			 " %lu %s", getenv("KPMEM_TOP"), POOL_SIZE, want));
	/* Added, with a warning. */
	ASSERT_EQ(0, run("peer %s export-add " EXPORT " " IMG " --size " EXPORT_SIZE, kpmemctl()));
	adds = target_log_count(OLD_MSG);
	EXPECT_LT(refusals, adds);
	ASSERT_EQ(0, target_sha(before));

	rpp = open_pool(self, &got);
	EXPECT_EQ(NULL, rpp);
	EXPECT_EQ(EUCLEAN, errno);
	TH_LOG("rpmem_open: %s", rpmem_errormsg());
	if (rpp)
		rpmem_close(rpp);
	self->nlanes = 2;
	rpp = rpmem_create(self->target, EXPORT, self->pool, POOL_SIZE, &self->nlanes, &a);
	EXPECT_EQ(NULL, rpp);
	EXPECT_EQ(EUCLEAN, errno) TH_LOG("rpmem_create: %s", rpmem_errormsg());
	if (rpp)
		rpmem_close(rpp);
	EXPECT_EQ(-1, rpmem_remove(self->target, EXPORT, RPMEM_REMOVE_FORCE));
	EXPECT_EQ(EUCLEAN, errno) TH_LOG("rpmem_remove: %s", rpmem_errormsg());
	EXPECT_LT(adds, target_log_count(OLD_MSG));
	run("peer sh -c 'dmesg | grep \"" OLD_MSG "\" | tail -n 2'");
	ASSERT_EQ(0, target_sha(after));
	EXPECT_STREQ(before, after);
	ASSERT_EQ(0, show(&v));
	EXPECT_EQ(0, v.checksum_ok);

	/* Converted in place, from the attributes it holds. */
	ASSERT_EQ(0, run("peer %s export-remove " EXPORT, kpmemctl()));
	ASSERT_EQ(0, run("peer %s export-add " EXPORT " " IMG " --size " EXPORT_SIZE
			 " --convert-header", kpmemctl()));
	EXPECT_EQ(conversions + 1, target_log_count(CONVERTED_MSG));
	run("peer sh -c 'dmesg | grep \"" CONVERTED_MSG "\" | tail -n 1'");
	ASSERT_EQ(0, show(&v));
	EXPECT_EQ(1, v.checksum_ok);
	EXPECT_EQ(1, v.parts_linked);
	EXPECT_STREQ(want, v.attr);
	ASSERT_EQ(0, output_of(out, sizeof(out), "peer pmempool info " IMG));
	EXPECT_TRUE(has_field(out, "Signature", "PMEMOBJ"));
	EXPECT_NE(NULL, strstr(field(out, "Checksum"), "[OK]")) TH_LOG("%s", field(out, "Checksum"));
	ASSERT_EQ(0, target_sha(before));

	rpp = open_pool(self, &got);
	ASSERT_NE(NULL, rpp) TH_LOG("rpmem_open: %s", rpmem_errormsg());
	EXPECT_EQ(0, memcmp(&a, &got, sizeof(got)));
	ASSERT_EQ(0, rpmem_close(rpp));

	/* Converting what is already PMDK's changes nothing. */
	ASSERT_EQ(0, run("peer %s export-remove " EXPORT, kpmemctl()));
	ASSERT_EQ(0, run("peer %s export-add " EXPORT " " IMG " --size " EXPORT_SIZE
			 " --convert-header", kpmemctl()));
	ASSERT_EQ(0, target_sha(after));
	EXPECT_STREQ(before, after);
	EXPECT_EQ(conversions + 1, target_log_count(CONVERTED_MSG));
	/* An export without a header has nothing to convert. */
	EXPECT_NE(0, run("peer %s export-add other.hdr.set " IMG ".2 --size 1M --nohdrs "
			 "--convert-header 2>&1", kpmemctl()));
	run("peer %s export-remove other.hdr.set 2>/dev/null; peer rm -f " IMG ".2", kpmemctl());
}

TEST_HARNESS_MAIN
