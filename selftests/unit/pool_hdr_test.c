// SPDX-License-Identifier: GPL-2.0
/*
 * kpmem's pool header (kmod/rpmem_pool_hdr.c, built here in user space over
 * the stand-ins of selftests/unit/kshim/) against PMDK's own, as Debian's
 * libpmemobj and pmempool 1.12.1 write and read it:
 *
 *  - headers PMDK wrote (a local pool, the second replica of a pool set)
 *    checksum and parse, with the attributes libpmemobj would send;
 *  - the header kpmem builds from the attributes libpmemobj sends for a
 *    replica is, byte for byte, the one PMDK wrote for that replica;
 *  - pmempool info finds every field of a header kpmem built where PMDK
 *    keeps it (all uuids distinct), and its checksum right, with and
 *    without CKSUM_2K;
 *  - libpmemobj opens a pool from a replica carrying kpmem's header after
 *    the recovery steps of lib/rpmem/README.md, and reads its root object;
 *  - empty, kpmem 0.1 and damaged headers are told apart; set_attr keeps
 *    crtime and the shutdown state.
 *
 * The PMDK side is spelled out here from PMDK 1.12.1's pool_hdr.h (byte
 * offsets), independently of kmod/rpmem_pool_hdr.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpmemobj.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../../kmod/rpmem_pool_hdr.c"

/* struct pool_hdr, PMDK 1.12.1 src/common/pool_hdr.h */
#define PAGE		4096
#define OFF_SIG		0
#define OFF_MAJOR	8
#define OFF_COMPAT	12
#define OFF_INCOMPAT	16
#define OFF_RO_COMPAT	20
#define OFF_POOLSET	24
#define OFF_UUID	40
#define OFF_PREV_PART	56
#define OFF_NEXT_PART	72
#define OFF_PREV_REPL	88
#define OFF_NEXT_REPL	104
#define OFF_CRTIME	120
#define OFF_ARCH	128
#define OFF_UNUSED2	2048
#define OFF_SDS		4024
#define OFF_CSUM	4088
#define FEAT_CKSUM_2K	0x2U
#define FEAT_SDS	0x4U

#define LAYOUT		"kpmem-hdr"

struct root {
	uint64_t count;
	char text[64];
};

static char dir[64];

static uint32_t get32(const uint8_t *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const uint8_t *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

/* kpmem_pool_hdr_parse() as an int, for the harness's comparisons. */
static int parse(const void *hdr, struct kpmem_pool_attr *attr)
{
	return kpmem_pool_hdr_parse(hdr, attr);
}

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int ret;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	ret = system(cmd);
	return WIFEXITED(ret) ? WEXITSTATUS(ret) : -1;
}

static int page_io(const char *path, uint8_t *buf, int write)
{
	int fd = open(path, write ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write ? pwrite(fd, buf, PAGE, 0) : pread(fd, buf, PAGE, 0);
	close(fd);
	return n == PAGE ? 0 : -1;
}

static void path_of(char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", dir, name);
}

static int write_set(const char *name, const char *body)
{
	char path[128];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "PMEMPOOLSET\n%s", body);
	return fclose(f);
}

/*
 * The attributes libpmemobj gives rpmem_create() for a replica: PMDK's
 * util_get_rpmem_attr() over that replica's header.
 */
static void attr_of_pmdk_hdr(const uint8_t *h, struct kpmem_pool_attr *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->signature, h + OFF_SIG, 8);
	a->major = get32(h, OFF_MAJOR);
	a->compat_features = get32(h, OFF_COMPAT);
	a->incompat_features = get32(h, OFF_INCOMPAT);
	a->ro_compat_features = get32(h, OFF_RO_COMPAT);
	memcpy(a->poolset_uuid, h + OFF_POOLSET, 16);
	memcpy(a->uuid, h + OFF_UUID, 16);
	memcpy(a->next_uuid, h + OFF_NEXT_REPL, 16);
	memcpy(a->prev_uuid, h + OFF_PREV_REPL, 16);
	memcpy(a->user_flags, h + OFF_ARCH, 16);
}

/* PMDK's util_uuid_to_string(): the fields of struct uuid, host order. */
static void uuid_str(const uint8_t *u, char *out)
{
	sprintf(out, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", get32(u, 0),
		u[4] | u[5] << 8, u[6] | u[7] << 8, u[8], u[9], u[10], u[11], u[12], u[13], u[14],
		u[15]);
}

/* The value pmempool info prints for @field of @path's header, or "". */
static void pmempool_field(const char *path, const char *field, char *out, size_t len)
{
	char cmd[256], line[256];
	size_t flen = strlen(field);
	FILE *f;

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "pmempool info %s 2>&1", path);
	f = popen(cmd, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (out[0] || strncmp(line, field, flen) || line[flen] != ' ' || !colon)
			continue;
		colon += 2;
		colon[strcspn(colon, "\n")] = '\0';
		snprintf(out, len, "%s", colon);
	}
	pclose(f);
}

/* A two-replica pool set, both local, made by Debian's libpmemobj. */
static int make_two_replica_pool(void)
{
	char set[128], body[512];
	PMEMobjpool *pop;
	struct root *r;

	snprintf(body, sizeof(body), "8M %s/a.part\nREPLICA\n10M %s/b.part\n", dir, dir);
	if (write_set("two.set", body))
		return -1;
	path_of(set, sizeof(set), "two.set");
	pop = pmemobj_create(set, LAYOUT, 0, 0600);
	if (!pop) {
		fprintf(stderr, "# pmemobj_create: %s\n", pmemobj_errormsg());
		return -1;
	}
	r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	r->count = 42;
	snprintf(r->text, sizeof(r->text), "written by the primary");
	pmemobj_persist(pop, r, sizeof(*r));
	pmemobj_close(pop);
	return 0;
}

static void fill(uint8_t *p, size_t len, uint8_t seed)
{
	for (size_t i = 0; i < len; i++)
		p[i] = seed + i * 13;
}

/* Attributes like libpmemobj's, every uuid different, x86-64 arch flags. */
static void full_attr(struct kpmem_pool_attr *a, uint8_t seed, uint32_t incompat)
{
	static const uint8_t x86_64[16] = { 0x10, 0x73, 0x77, 0x37, 0xf7, 0x07, 0, 0,
					    2, 1, 0, 0, 0, 0, 0x3e, 0 };

	memset(a, 0, sizeof(*a));
	memcpy(a->signature, "PMEMOBJ", 8);
	a->major = 6;
	a->compat_features = 1;
	a->incompat_features = incompat;
	fill(a->poolset_uuid, 16, seed);
	fill(a->uuid, 16, seed + 1);
	fill(a->next_uuid, 16, seed + 2);
	fill(a->prev_uuid, 16, seed + 3);
	memcpy(a->user_flags, x86_64, sizeof(x86_64));
}

FIXTURE(hdr) {
	int unused;
};

FIXTURE_SETUP(hdr)
{
	snprintf(dir, sizeof(dir), "/tmp/kpmem-pool-hdr.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(dir));
}

FIXTURE_TEARDOWN(hdr)
{
	sh("rm -rf %s", dir);
}

TEST_F(hdr, pmdk_headers_checksum_and_parse)
{
	uint8_t page[PAGE], bad[PAGE];
	struct kpmem_pool_attr a, want;
	char path[128];

	ASSERT_EQ(0, make_two_replica_pool());
	for (int i = 0; i < 2; i++) {
		path_of(path, sizeof(path), i ? "b.part" : "a.part");
		ASSERT_EQ(0, page_io(path, page, 0));
		ASSERT_EQ(0, memcmp(page, "PMEMOBJ", 8));
		ASSERT_EQ(FEAT_CKSUM_2K, get32(page, OFF_INCOMPAT) & FEAT_CKSUM_2K);
		EXPECT_EQ(get64(page, OFF_CSUM),
			  kpmem_pool_hdr_checksum((const struct kpmem_pmdk_hdr *)page));
		memset(&a, 0x5a, sizeof(a));
		ASSERT_EQ(KPMEM_POOL_HDR_PMDK,
			  parse(page, &a));
		attr_of_pmdk_hdr(page, &want);
		EXPECT_EQ(0, memcmp(&want, &a, sizeof(a)));

		/* A checksummed byte changed: damaged. */
		memcpy(bad, page, PAGE);
		bad[OFF_POOLSET + 3] ^= 0x40;
		EXPECT_EQ(KPMEM_POOL_HDR_INVALID,
			  parse(bad, &a));
		/* Past the first 2 KiB of a CKSUM_2K header PMDK checks nothing. */
		memcpy(bad, page, PAGE);
		bad[OFF_UNUSED2 + 100] = 0x11;
		EXPECT_EQ(KPMEM_POOL_HDR_PMDK,
			  parse(bad, &a));
		bad[OFF_CSUM] ^= 1;
		EXPECT_EQ(KPMEM_POOL_HDR_INVALID,
			  parse(bad, &a));
	}
}

/*
 * What rpmemd would have written for the replica, kpmem writes: build the
 * second replica's header from the attributes libpmemobj sends for it (and
 * its creation time) and compare with what PMDK wrote there.
 */
TEST_F(hdr, replica_header_from_libpmemobj_attributes_is_pmdks)
{
	uint8_t page[PAGE];
	struct kpmem_pmdk_hdr mine;
	struct kpmem_pool_attr a;
	char path[128];

	ASSERT_EQ(0, make_two_replica_pool());
	path_of(path, sizeof(path), "b.part");
	ASSERT_EQ(0, page_io(path, page, 0));
	attr_of_pmdk_hdr(page, &a);
	kpmem_pool_hdr_create(&mine, &a, get64(page, OFF_CRTIME));
	for (size_t i = 0; i < PAGE; i++)
		if (((uint8_t *)&mine)[i] != page[i]) {
			TH_LOG("first difference at offset %zu: kpmem %#x, PMDK %#x", i,
			       ((uint8_t *)&mine)[i], page[i]);
			break;
		}
	EXPECT_EQ(0, memcmp(&mine, page, PAGE));
}

/*
 * pmempool info, PMDK's reader, finds each attribute where kpmem put it:
 * every uuid is different, so a swapped pair would show.  Both checksum
 * variants.
 */
TEST_F(hdr, pmempool_reads_every_field_kpmem_writes)
{
	static const uint32_t incompat[] = { FEAT_CKSUM_2K | FEAT_SDS, FEAT_SDS };
	char path[128], got[128], want[64], when[64];
	struct kpmem_pmdk_hdr mine;
	struct kpmem_pool_attr a;
	struct tm tm;
	time_t t = 1700000000;

	ASSERT_EQ(0, make_two_replica_pool());
	path_of(path, sizeof(path), "b.part");
	for (int v = 0; v < 2; v++) {
		full_attr(&a, 0x20 + v, incompat[v]);
		kpmem_pool_hdr_create(&mine, &a, t);
		ASSERT_EQ(0, page_io(path, (uint8_t *)&mine, 1));

		pmempool_field(path, "Signature", got, sizeof(got));
		EXPECT_EQ(0, strncmp(got, "PMEMOBJ", 7)) TH_LOG("Signature: '%s'", got);
		pmempool_field(path, "Major", got, sizeof(got));
		EXPECT_STREQ("6", got);
		pmempool_field(path, "Mandatory features", got, sizeof(got));
		EXPECT_EQ(0, strncmp(got, v ? "0x4" : "0x6", 3)) TH_LOG("incompat: '%s'", got);
		pmempool_field(path, "Not mandatory features", got, sizeof(got));
		EXPECT_STREQ("0x1", got);
		uuid_str(a.poolset_uuid, want);
		pmempool_field(path, "Pool set UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		uuid_str(a.uuid, want);
		pmempool_field(path, "UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		pmempool_field(path, "Previous part UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		pmempool_field(path, "Next part UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		uuid_str(a.prev_uuid, want);
		pmempool_field(path, "Previous replica UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		uuid_str(a.next_uuid, want);
		pmempool_field(path, "Next replica UUID", got, sizeof(got));
		EXPECT_STREQ(want, got);
		localtime_r(&t, &tm);
		strftime(when, sizeof(when), "%a %b %d %Y %H:%M:%S", &tm);
		pmempool_field(path, "Creation Time", got, sizeof(got));
		EXPECT_STREQ(when, got);
		pmempool_field(path, "Alignment Descriptor", got, sizeof(got));
		EXPECT_STREQ("0x000007f737777310[OK]", got);
		pmempool_field(path, "Machine", got, sizeof(got));
		EXPECT_STREQ("AMD X86-64", got);
		pmempool_field(path, "Checksum", got, sizeof(got));
		EXPECT_NE(NULL, strstr(got, "[OK]")) TH_LOG("Checksum: '%s'", got);
	}
}

/*
 * The target's copy as a pool: the replica carries a header kpmem built
 * (its own creation time), the primary is lost; the recovery steps of
 * lib/rpmem/README.md make it a one-replica pool that libpmemobj opens,
 * with the root object the primary wrote.
 */
TEST_F(hdr, libpmemobj_opens_kpmem_replica_after_recovery)
{
	char path[128], set[128], body[512], got[128], want[64];
	uint8_t page[PAGE];
	struct kpmem_pmdk_hdr mine;
	struct kpmem_pool_attr a;
	PMEMobjpool *pop;
	struct root *r;

	ASSERT_EQ(0, make_two_replica_pool());
	path_of(path, sizeof(path), "b.part");
	ASSERT_EQ(0, page_io(path, page, 0));
	attr_of_pmdk_hdr(page, &a);
	kpmem_pool_hdr_create(&mine, &a, get64(page, OFF_CRTIME) + 12345);
	ASSERT_EQ(0, page_io(path, (uint8_t *)&mine, 1));
	ASSERT_EQ(0, sh("rm %s/a.part", dir));

	snprintf(body, sizeof(body), "10M %s/b.part\nREPLICA\n10M %s/lost.part\n", dir, dir);
	ASSERT_EQ(0, write_set("recover.set", body));
	snprintf(body, sizeof(body), "10M %s/b.part\n", dir);
	ASSERT_EQ(0, write_set("copy.set", body));
	ASSERT_EQ(0, sh("pmempool sync %s/recover.set", dir));
	ASSERT_EQ(0, sh("pmempool transform %s/recover.set %s/copy.set", dir, dir));
	ASSERT_EQ(0, sh("pmempool check %s/copy.set", dir));

	path_of(set, sizeof(set), "copy.set");
	uuid_str(a.poolset_uuid, want);
	pmempool_field(set, "Pool set UUID", got, sizeof(got));
	EXPECT_STREQ(want, got);
	pop = pmemobj_open(set, LAYOUT);
	ASSERT_NE(NULL, pop) TH_LOG("pmemobj_open: %s", pmemobj_errormsg());
	r = pmemobj_direct(pmemobj_root(pop, sizeof(*r)));
	EXPECT_EQ((uint64_t)42, r->count);
	EXPECT_STREQ("written by the primary", r->text);
	pmemobj_close(pop);
}

TEST(zero_old_and_damaged_headers_are_told_apart)
{
	static uint8_t page[PAGE];
	struct kpmem_old_pool_hdr old = { };
	struct kpmem_pool_attr a, got;

	memset(page, 0, sizeof(page));
	EXPECT_EQ(KPMEM_POOL_HDR_NONE, parse(page, &got));

	/* kpmem 0.1: "KPMEMPL\1", the pool size, the attributes. */
	full_attr(&a, 0x40, FEAT_CKSUM_2K | FEAT_SDS);
	memcpy(page, "KPMEMPL\1", 8);
	page[8 + 3] = 1;			/* 16 MiB */
	memcpy(page + 16, &a, sizeof(a));
	memset(&got, 0, sizeof(got));
	EXPECT_EQ(KPMEM_POOL_HDR_OLD, parse(page, &got));
	EXPECT_EQ(0, memcmp(&a, &got, sizeof(a)));
	EXPECT_EQ((size_t)120, sizeof(old));
	old.magic = htole64(KPMEM_OLD_POOL_HDR_MAGIC);
	EXPECT_EQ(0, memcmp(&old.magic, "KPMEMPL\1", 8));

	/* Neither: a byte past the end of an empty header, random bytes. */
	memset(page, 0, sizeof(page));
	page[4095] = 1;
	EXPECT_EQ(KPMEM_POOL_HDR_INVALID, parse(page, &got));
	fill(page, sizeof(page), 7);
	EXPECT_EQ(KPMEM_POOL_HDR_INVALID, parse(page, &got));
}

/*
 * rpmem_open() reports exactly what rpmem_create() stored, zero fields
 * included; set_attr (rpmemd: util_replica_set_attr()) rewrites every
 * attribute and the part uuids, keeps crtime and the shutdown state.
 */
TEST(set_attr_keeps_crtime_and_sds_and_round_trips)
{
	struct kpmem_pool_attr a, b, got;
	struct kpmem_pmdk_hdr h;
	const uint8_t *p = (const uint8_t *)&h;

	memset(&a, 0, sizeof(a));
	memcpy(a.signature, "SPARSE", 6);
	a.major = 1;
	a.uuid[0] = 9;
	kpmem_pool_hdr_create(&h, &a, 1234);
	ASSERT_EQ(KPMEM_POOL_HDR_PMDK, parse(&h, &got));
	EXPECT_EQ(0, memcmp(&a, &got, sizeof(a)));
	EXPECT_EQ((uint64_t)1234, get64(p, OFF_CRTIME));
	EXPECT_EQ(NULL, memchr_inv(p + OFF_ARCH + 16, 0, OFF_CSUM - OFF_ARCH - 16));

	/* An attribute set with nothing in it still leaves a pool. */
	memset(&b, 0, sizeof(b));
	kpmem_pool_hdr_set_attr(&h, &b);
	ASSERT_EQ(KPMEM_POOL_HDR_PMDK, parse(&h, &got));
	EXPECT_EQ(0, memcmp(&b, &got, sizeof(b)));

	memset(h.sds, 0x3c, sizeof(h.sds));	/* as a local open on the target may leave it */
	full_attr(&b, 0x60, 0);			/* no CKSUM_2K: all 4088 bytes checksummed */
	kpmem_pool_hdr_set_attr(&h, &b);
	ASSERT_EQ(KPMEM_POOL_HDR_PMDK, parse(&h, &got));
	EXPECT_EQ(0, memcmp(&b, &got, sizeof(b)));
	EXPECT_EQ((uint64_t)1234, get64(p, OFF_CRTIME));
	EXPECT_EQ(0x3c, p[OFF_SDS]);
	EXPECT_EQ(0x3c, p[OFF_SDS + 63]);
	EXPECT_EQ(0, memcmp(p + OFF_PREV_PART, b.uuid, 16));
	EXPECT_EQ(0, memcmp(p + OFF_NEXT_PART, b.uuid, 16));
	EXPECT_EQ(0, memcmp(p + OFF_PREV_REPL, b.prev_uuid, 16));
	EXPECT_EQ(0, memcmp(p + OFF_NEXT_REPL, b.next_uuid, 16));
	/* Without CKSUM_2K the shutdown state is checksummed too. */
	h.sds[10] ^= 1;
	EXPECT_EQ(KPMEM_POOL_HDR_INVALID, parse(&h, &got));
}

TEST_HARNESS_MAIN
