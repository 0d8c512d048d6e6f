/* Settings by Linux sysctl name; see sysctl.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "core/compiler.h"
#include "core/sysctl.h"

struct sysctl_desc {
	const char *name;
	const char *prefix;
	size_t offset;
	int count;
	int defaults[3];
	int min, max;
};

/* Every entry must name a field of struct ust_sysctl of `count` ints. */
static const struct sysctl_desc sysctls[] = {
#define UST_SYSCTL_DESC(f, pfx, n, d0, d1, d2, lo, hi) \
	{ #f, pfx, offsetof(struct ust_sysctl, f), n, { d0, d1, d2 }, lo, hi },
	UST_SYSCTL_LIST(UST_SYSCTL_DESC)
#undef UST_SYSCTL_DESC
};

#define UST_SYSCTL_SIZE_CHECK(f, pfx, n, d0, d1, d2, lo, hi) \
	_Static_assert(sizeof(((struct ust_sysctl *)0)->f) == (n) * sizeof(int), #f " has the wrong size");
UST_SYSCTL_LIST(UST_SYSCTL_SIZE_CHECK)
#undef UST_SYSCTL_SIZE_CHECK

void ust_sysctl_init(struct ust_sysctl *s)
{
	for (size_t i = 0; i < UST_ARRAY_SIZE(sysctls); i++) {
		int *v = (int *)((char *)s + sysctls[i].offset);

		for (int k = 0; k < sysctls[i].count; k++)
			v[k] = sysctls[i].defaults[k];
	}
}

static const struct sysctl_desc *find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < UST_ARRAY_SIZE(sysctls); i++) {
		const struct sysctl_desc *d = &sysctls[i];
		size_t plen = strlen(d->prefix);

		if (!strcmp(name, d->name) ||
		    (!strncmp(name, d->prefix, plen) && !strcmp(name + plen, d->name)))
			return d;
	}
	return NULL;
}

int ust_sysctl_set(struct ust_sysctl *s, const char *name, const char *value)
{
	const struct sysctl_desc *d = find(name);
	int parsed[3];
	const char *p = value;

	if (!d)
		return -ENOENT;
	if (!value)
		return -EINVAL;
	for (int k = 0; k < d->count; k++) {
		char *end;
		long v;

		errno = 0;
		v = strtol(p, &end, 10);
		if (end == p || errno || v < d->min || v > d->max)
			return -EINVAL;
		parsed[k] = (int)v;
		p = end;
	}
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	if (!strcmp(d->name, "ip_local_port_range") && parsed[0] > parsed[1])
		return -EINVAL;
	memcpy((char *)s + d->offset, parsed, sizeof(int) * (size_t)d->count);
	return 0;
}

static int format(const struct ust_sysctl *s, const struct sysctl_desc *d, char *buf, size_t len)
{
	const int *v = (const int *)((const char *)s + d->offset);
	size_t used = 0;

	for (int k = 0; k < d->count; k++) {
		int n = snprintf(buf + used, len - used, k ? "\t%d" : "%d", v[k]);

		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
	}
	return 0;
}

int ust_sysctl_get(const struct ust_sysctl *s, const char *name, char *buf, size_t len)
{
	const struct sysctl_desc *d = find(name);

	if (!d)
		return -ENOENT;
	if (!len)
		return -ENOSPC;
	return format(s, d, buf, len);
}

void ust_sysctl_dump(const struct ust_sysctl *s, FILE *f)
{
	char buf[64];

	for (size_t i = 0; i < UST_ARRAY_SIZE(sysctls); i++) {
		if (format(s, &sysctls[i], buf, sizeof(buf)) == 0)
			fprintf(f, "%s%s = %s\n", sysctls[i].prefix, sysctls[i].name, buf);
	}
}
