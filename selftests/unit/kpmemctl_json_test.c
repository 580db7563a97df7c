// SPDX-License-Identifier: GPL-2.0
/*
 * kpmemctl's JSON reader and string writer on the host: what it accepts,
 * what it refuses (and where it says the input went wrong), and that
 * whatever the writer escapes reads back byte for byte.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "json.h"

static char err[256];

static struct json_value *parse(const char *text)
{
	struct json_value *v = NULL;

	if (json_parse(text, strlen(text), &v, err, sizeof(err)))
		return NULL;
	return v;
}

/* Refused, with "line L, column C: ..." holding @what. */
static int refused(const char *text, const char *where, const char *what)
{
	struct json_value *v = NULL;
	int ret = json_parse(text, strlen(text), &v, err, sizeof(err));

	if (ret != -EINVAL) {
		json_free(v);
		return 0;
	}
	return !strncmp(err, where, strlen(where)) && strstr(err, what);
}

TEST(reads_a_saved_configuration)
{
	struct json_value *v = parse(
		"{\n  \"version\": 1,\n  \"exports\": [\n    {\"name\": \"a.set\", \"size\": 4096,"
		" \"nohdrs\": true, \"allow\": [\"10.0.0.0/24\"], \"key_file\": null}\n  ]\n}\n");
	const struct json_value *e;
	uint64_t n;

	ASSERT_NE(NULL, v) TH_LOG("%s", err);
	ASSERT_EQ((int)JSON_OBJECT, (int)v->type);
	ASSERT_EQ(0, json_to_u64(json_member(v, "version"), &n));
	EXPECT_EQ(1u, n);
	e = json_member(v, "exports");
	ASSERT_NE(NULL, e);
	ASSERT_EQ((int)JSON_ARRAY, (int)e->type);
	ASSERT_EQ(1u, e->count);
	e = &e->items[0];
	EXPECT_EQ(4u, e->line);
	EXPECT_EQ(5u, e->column);
	EXPECT_STREQ("a.set", json_member(e, "name")->text);
	EXPECT_EQ((int)JSON_TRUE, (int)json_member(e, "nohdrs")->type);
	EXPECT_EQ((int)JSON_NULL, (int)json_member(e, "key_file")->type);
	EXPECT_STREQ("10.0.0.0/24", json_member(e, "allow")->items[0].text);
	EXPECT_EQ(NULL, json_member(e, "missing"));
	json_free(v);
}

TEST(decodes_every_escape_and_surrogate_pairs)
{
	struct json_value *v = parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\u20AC \\ud83d\\ude00\"");

	ASSERT_NE(NULL, v) TH_LOG("%s", err);
	EXPECT_STREQ("q\" b\\ s/ \b\f\n\r\t \xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", v->text);
	json_free(v);
}

TEST(numbers_only_non_negative_integers_convert)
{
	static const char *const bad[] = { "-1", "1.5", "1e3", "18446744073709551616" };
	struct json_value *v = parse("18446744073709551615");
	uint64_t n;

	ASSERT_NE(NULL, v);
	ASSERT_EQ(0, json_to_u64(v, &n));
	EXPECT_EQ(UINT64_MAX, n);
	json_free(v);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = parse(bad[i]);
		ASSERT_NE(NULL, v) TH_LOG("%s is valid JSON: %s", bad[i], err);
		EXPECT_EQ(-EINVAL, json_to_u64(v, &n)) TH_LOG("%s", bad[i]);
		json_free(v);
	}
	v = parse("\"12\"");
	ASSERT_NE(NULL, v);
	EXPECT_EQ(-EINVAL, json_to_u64(v, &n));
	json_free(v);
}

TEST(refuses_what_rfc_8259_does_not_allow)
{
	EXPECT_TRUE(refused("[1, 2,]", "line 1, column 7", "trailing comma"));
	EXPECT_TRUE(refused("{\"a\": 1,}", "line 1, column 9", "trailing comma"));
	EXPECT_TRUE(refused("{\"a\": 1, \"a\": 2}", "line 1, column 10", "duplicate member \"a\""));
	EXPECT_TRUE(refused("{a: 1}", "line 1, column 2", "member name in quotes"));
	EXPECT_TRUE(refused("// x\n{}", "line 1, column 1", "expected a value"));
	EXPECT_TRUE(refused("{}\n\n  x", "line 3, column 3", "after the JSON text"));
	EXPECT_TRUE(refused("012", "line 1, column 1", "leading zero"));
	EXPECT_TRUE(refused("1.", "line 1, column 3", "digit after '.'"));
	EXPECT_TRUE(refused("NaN", "line 1, column 1", "expected a value"));
	EXPECT_TRUE(refused("tru", "line 1, column 1", "expected a value"));
	EXPECT_TRUE(refused("\"a\tb\"", "line 1, column 3", "control character"));
	EXPECT_TRUE(refused("\"\\x\"", "line 1, column 2", "unknown escape"));
	EXPECT_TRUE(refused("\"\\u12\"", "line 1, column 4", "four hex digits"));
	EXPECT_TRUE(refused("\"\\u0000\"", "line 1, column 2", "NUL character"));
	EXPECT_TRUE(refused("\"\\ud800x\"", "line 1, column 2", "without its low half"));
	EXPECT_TRUE(refused("\"\\udc00\"", "line 1, column 2", "lone low surrogate"));
	EXPECT_TRUE(refused("\"\xc3\x28\"", "line 1, column 2", "invalid UTF-8"));
	EXPECT_TRUE(refused("\"\xed\xa0\x80\"", "line 1, column 2", "invalid UTF-8"));
	EXPECT_TRUE(refused("\"\xc0\xaf\"", "line 1, column 2", "invalid UTF-8"));
	EXPECT_TRUE(refused("\"abc", "line 1, column 1", "string not closed"));
	EXPECT_TRUE(refused("[1 2]", "line 1, column 4", "expected ',' or ']'"));
	EXPECT_TRUE(refused("\xef\xbb\xbf{}", "line 1, column 1", "byte order mark"));
	EXPECT_TRUE(refused("", "line 1, column 1", "end of the input"));
	EXPECT_TRUE(refused("\f{}", "line 1, column 1", "byte 0x0c"));
}

TEST(limits_nesting)
{
	char deep[2 * JSON_MAX_DEPTH + 3];
	struct json_value *v;

	memset(deep, '[', JSON_MAX_DEPTH);
	memset(deep + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
	deep[2 * JSON_MAX_DEPTH] = '\0';
	v = parse(deep);
	EXPECT_NE(NULL, v) TH_LOG("%s", err);
	json_free(v);

	memset(deep, '[', JSON_MAX_DEPTH + 1);
	memset(deep + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
	deep[2 * JSON_MAX_DEPTH + 2] = '\0';
	EXPECT_TRUE(refused(deep, "line 1, column 33", "nested deeper"));
}

TEST(written_strings_read_back_unchanged)
{
	static const char *const samples[] = {
		"/dev/dax0.0", "/srv/a \"quoted\" name", "back\\slash", "tab\there\nnewline",
		"\x01\x1f\x7f", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "",
	};
	char *buf;
	size_t len;

	for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
		FILE *f = open_memstream(&buf, &len);
		struct json_value *v;

		ASSERT_TRUE(json_utf8_valid(samples[i]));
		json_put_string(f, samples[i]);
		fclose(f);
		for (size_t j = 0; j < len; j++)
			ASSERT_TRUE((unsigned char)buf[j] >= 0x20 && buf[j] != 0x7f) TH_LOG("%s", buf);
		v = parse(buf);
		ASSERT_NE(NULL, v) TH_LOG("%s: %s", buf, err);
		EXPECT_EQ((int)JSON_STRING, (int)v->type);
		EXPECT_STREQ(samples[i], v->text);
		json_free(v);
		free(buf);
	}
	EXPECT_FALSE(json_utf8_valid("\xff"));
	EXPECT_FALSE(json_utf8_valid("\xe2\x82"));
}

TEST_HARNESS_MAIN
