// SPDX-License-Identifier: BSD-3-Clause
/*
 * Strict JSON reader and string writer (see json.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

struct parser {
	const char *p;
	const char *end;
	const char *line_start;
	unsigned int line;
	int depth;
	char *err;
	size_t errlen;
};

static int fail_at(struct parser *ps, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Report an error at @at, which lies on the parser's current line. */
static int fail_at(struct parser *ps, const char *at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->err && ps->errlen) {
		n = snprintf(ps->err, ps->errlen, "line %u, column %u: ", ps->line,
			     (unsigned int)(at - ps->line_start) + 1);
		if (n >= 0 && (size_t)n < ps->errlen) {
			va_start(ap, fmt);
			vsnprintf(ps->err + n, ps->errlen - n, fmt, ap);
			va_end(ap);
		}
	}
	return -EINVAL;
}

static void skip_space(struct parser *ps)
{
	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\n') {
			ps->line++;
			ps->line_start = ps->p + 1;
		} else if (c != ' ' && c != '\t' && c != '\r') {
			return;
		}
		ps->p++;
	}
}

/* What the input holds at @p, for messages. */
static const char *describe(const struct parser *ps, const char *p)
{
	static __thread char buf[16];
	unsigned char c;

	if (p >= ps->end)
		return "the end of the input";
	c = *p;
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, sizeof(buf), "'%c'", c);
	else
		snprintf(buf, sizeof(buf), "byte 0x%02x", c);
	return buf;
}

/*
 * Length of the UTF-8 sequence at @s (at most @n bytes), or 0 when it is
 * not valid: overlong forms, surrogates and code points above U+10FFFF are
 * refused, as RFC 3629 says.
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

bool json_utf8_valid(const char *s)
{
	size_t n = strlen(s), i = 0, len;

	while (i < n) {
		len = utf8_seq((const unsigned char *)s + i, n - i);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

static size_t put_utf8(char *out, unsigned int cp)
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | (cp >> 18);
	out[1] = 0x80 | ((cp >> 12) & 0x3f);
	out[2] = 0x80 | ((cp >> 6) & 0x3f);
	out[3] = 0x80 | (cp & 0x3f);
	return 4;
}

static int hex4(struct parser *ps, const char *at, unsigned int *out)
{
	unsigned int v = 0;

	if (ps->end - at < 4)
		return fail_at(ps, at, "\\u needs four hex digits");
	for (int i = 0; i < 4; i++) {
		char c = at[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return fail_at(ps, at, "\\u needs four hex digits");
	}
	*out = v;
	return 0;
}

/* A string starting at the '"' under ps->p; *out is malloc()ed. */
static int parse_string(struct parser *ps, char **out)
{
	const char *start = ps->p++;
	char *buf, *o;
	int ret;

	/* Decoded text is never longer than the encoded one. */
	buf = malloc(ps->end - ps->p + 1);
	if (!buf)
		return -ENOMEM;
	o = buf;
	for (;;) {
		unsigned char c;

		if (ps->p >= ps->end) {
			ret = fail_at(ps, start, "string not closed");
			goto err;
		}
		c = *ps->p;
		if (c == '"') {
			ps->p++;
			break;
		}
		if (c < 0x20) {
			ret = fail_at(ps, ps->p, "control character (byte 0x%02x) in a string: escape it", c);
			goto err;
		}
		if (c == '\\') {
			const char *esc = ps->p;
			unsigned int cp, lo;

			if (ps->p + 1 >= ps->end) {
				ret = fail_at(ps, start, "string not closed");
				goto err;
			}
			switch (ps->p[1]) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '/': *o++ = '/'; break;
			case 'b': *o++ = '\b'; break;
			case 'f': *o++ = '\f'; break;
			case 'n': *o++ = '\n'; break;
			case 'r': *o++ = '\r'; break;
			case 't': *o++ = '\t'; break;
			case 'u':
				ret = hex4(ps, ps->p + 2, &cp);
				if (ret)
					goto err;
				ps->p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					ret = fail_at(ps, esc, "lone low surrogate \\u%04x", cp);
					goto err;
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (ps->end - ps->p < 8 || ps->p[2] != '\\' || ps->p[3] != 'u') {
						ret = fail_at(ps, esc, "high surrogate \\u%04x without its low half", cp);
						goto err;
					}
					ret = hex4(ps, ps->p + 4, &lo);
					if (ret)
						goto err;
					if (lo < 0xdc00 || lo > 0xdfff) {
						ret = fail_at(ps, esc, "high surrogate \\u%04x without its low half", cp);
						goto err;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					ps->p += 6;
				}
				if (cp == 0) {
					ret = fail_at(ps, esc, "NUL character (\\u0000) in a string");
					goto err;
				}
				o += put_utf8(o, cp);
				break;
			default:
				ret = fail_at(ps, esc, "unknown escape '\\%c'", ps->p[1]);
				goto err;
			}
			ps->p += 2;
			continue;
		}
		if (c < 0x80) {
			*o++ = c;
			ps->p++;
		} else {
			size_t len = utf8_seq((const unsigned char *)ps->p, ps->end - ps->p);

			if (!len) {
				ret = fail_at(ps, ps->p, "invalid UTF-8 in a string");
				goto err;
			}
			memcpy(o, ps->p, len);
			o += len;
			ps->p += len;
		}
	}
	*o = '\0';
	*out = buf;
	return 0;
err:
	free(buf);
	return ret;
}

static bool is_digit(const struct parser *ps, const char *p)
{
	return p < ps->end && *p >= '0' && *p <= '9';
}

static int parse_number(struct parser *ps, struct json_value *v)
{
	const char *start = ps->p, *p = ps->p;

	if (*p == '-')
		p++;
	if (!is_digit(ps, p))
		return fail_at(ps, p, "expected a digit, found %s", describe(ps, p));
	if (*p == '0') {
		p++;
		if (is_digit(ps, p))
			return fail_at(ps, start, "number with a leading zero");
	} else {
		while (is_digit(ps, p))
			p++;
	}
	if (p < ps->end && *p == '.') {
		p++;
		if (!is_digit(ps, p))
			return fail_at(ps, p, "expected a digit after '.', found %s", describe(ps, p));
		while (is_digit(ps, p))
			p++;
	}
	if (p < ps->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < ps->end && (*p == '+' || *p == '-'))
			p++;
		if (!is_digit(ps, p))
			return fail_at(ps, p, "expected a digit in the exponent, found %s", describe(ps, p));
		while (is_digit(ps, p))
			p++;
	}
	v->text = strndup(start, p - start);
	if (!v->text)
		return -ENOMEM;
	v->type = JSON_NUMBER;
	ps->p = p;
	return 0;
}

static int parse_value(struct parser *ps, struct json_value *v);

/* Append @item (moved) to @v's members. */
static int append(struct json_value *v, struct json_value *item, char *key)
{
	struct json_value *items;
	char **keys;

	items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items)
		return -ENOMEM;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = realloc(v->keys, (v->count + 1) * sizeof(*keys));
		if (!keys)
			return -ENOMEM;
		v->keys = keys;
		keys[v->count] = key;
	}
	items[v->count++] = *item;
	return 0;
}

static void free_members(struct json_value *v)
{
	for (size_t i = 0; i < v->count; i++) {
		free_members(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->text);
}

static int parse_container(struct parser *ps, struct json_value *v)
{
	char close = *ps->p == '{' ? '}' : ']';
	const char *open = ps->p;
	int ret;

	v->type = close == '}' ? JSON_OBJECT : JSON_ARRAY;
	if (++ps->depth > JSON_MAX_DEPTH)
		return fail_at(ps, open, "nested deeper than %d levels", JSON_MAX_DEPTH);
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		ps->depth--;
		return 0;
	}
	for (;;) {
		struct json_value item = { 0 };
		const char *kstart = ps->p;
		char *key = NULL;

		if (v->type == JSON_OBJECT) {
			if (ps->p >= ps->end || *ps->p != '"')
				return fail_at(ps, ps->p, "expected a member name in quotes, found %s",
					       describe(ps, ps->p));
			ret = parse_string(ps, &key);
			if (ret)
				return ret;
			for (size_t i = 0; i < v->count; i++) {
				if (!strcmp(v->keys[i], key)) {
					ret = fail_at(ps, kstart, "duplicate member \"%s\"", key);
					free(key);
					return ret;
				}
			}
			skip_space(ps);
			if (ps->p >= ps->end || *ps->p != ':') {
				free(key);
				return fail_at(ps, ps->p, "expected ':', found %s", describe(ps, ps->p));
			}
			ps->p++;
			skip_space(ps);
		}
		ret = parse_value(ps, &item);
		if (!ret)
			ret = append(v, &item, key);
		if (ret) {
			free_members(&item);
			free(key);
			return ret;
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_space(ps);
			if (ps->p < ps->end && *ps->p == close)
				return fail_at(ps, ps->p, "trailing comma before '%c'", close);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			ps->depth--;
			return 0;
		}
		return fail_at(ps, ps->p, "expected ',' or '%c', found %s", close, describe(ps, ps->p));
	}
}

static int parse_literal(struct parser *ps, struct json_value *v, const char *word,
			 enum json_type type)
{
	size_t n = strlen(word);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, word, n))
		return fail_at(ps, ps->p, "expected a value, found %s", describe(ps, ps->p));
	ps->p += n;
	v->type = type;
	return 0;
}

static int parse_value(struct parser *ps, struct json_value *v)
{
	v->line = ps->line;
	v->column = (unsigned int)(ps->p - ps->line_start) + 1;
	if (ps->p >= ps->end)
		return fail_at(ps, ps->p, "expected a value, found the end of the input");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps, v);
	case '"':
		v->type = JSON_STRING;
		return parse_string(ps, &v->text);
	case 't':
		return parse_literal(ps, v, "true", JSON_TRUE);
	case 'f':
		return parse_literal(ps, v, "false", JSON_FALSE);
	case 'n':
		return parse_literal(ps, v, "null", JSON_NULL);
	default:
		if (*ps->p == '-' || (*ps->p >= '0' && *ps->p <= '9'))
			return parse_number(ps, v);
		return fail_at(ps, ps->p, "expected a value, found %s", describe(ps, ps->p));
	}
}

int json_parse(const char *buf, size_t len, struct json_value **out, char *err, size_t errlen)
{
	struct parser ps = {
		.p = buf, .end = buf + len, .line_start = buf, .line = 1,
		.err = err, .errlen = errlen,
	};
	struct json_value *v;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (len >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3)) {
		ret = fail_at(&ps, buf, "byte order mark before the JSON text");
		goto err;
	}
	skip_space(&ps);
	ret = parse_value(&ps, v);
	if (ret)
		goto err;
	skip_space(&ps);
	if (ps.p < ps.end) {
		ret = fail_at(&ps, ps.p, "%s after the JSON text", describe(&ps, ps.p));
		goto err;
	}
	*out = v;
	return 0;
err:
	json_free(v);
	return ret;
}

void json_free(struct json_value *v)
{
	if (!v)
		return;
	free_members(v);
	free(v);
}

const struct json_value *json_member(const struct json_value *obj, const char *key)
{
	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->count; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

int json_to_u64(const struct json_value *v, uint64_t *out)
{
	uint64_t n = 0;

	if (!v || v->type != JSON_NUMBER)
		return -EINVAL;
	for (const char *p = v->text; *p; p++) {
		unsigned int d;

		if (*p < '0' || *p > '9')
			return -EINVAL;	/* sign, fraction or exponent */
		d = *p - '0';
		if (n > (UINT64_MAX - d) / 10)
			return -EINVAL;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

const char *json_type_name(enum json_type type)
{
	switch (type) {
	case JSON_NULL: return "null";
	case JSON_FALSE:
	case JSON_TRUE: return "a boolean";
	case JSON_NUMBER: return "a number";
	case JSON_STRING: return "a string";
	case JSON_ARRAY: return "an array";
	case JSON_OBJECT: return "an object";
	}
	return "a value";
}

void json_put_string(FILE *f, const char *s)
{
	putc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\b': fputs("\\b", f); break;
		case '\f': fputs("\\f", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				putc(c, f);
		}
	}
	putc('"', f);
}
