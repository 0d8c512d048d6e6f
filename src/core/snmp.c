/* Counter names and the nstat-format dump. */
#include <errno.h>
#include <string.h>
#include "core/compiler.h"
#include "core/snmp.h"

static const char *const mib_names[UST_MIB_MAX] = {
#define UST_MIB_NAME(id, name) [id] = name,
	UST_MIB_LIST(UST_MIB_NAME)
#undef UST_MIB_NAME
};

const char *ust_mib_name(enum ust_mib_field f)
{
	if ((unsigned)f >= UST_MIB_MAX)
		return NULL;
	return mib_names[f];
}

/* A linear scan: names are looked up by people and tests, never per packet. */
int ust_mib_lookup(const char *name)
{
	if (!name)
		return -1;
	for (int i = 0; i < UST_MIB_MAX; i++)
		if (strcmp(mib_names[i], name) == 0)
			return i;
	return -1;
}

/* nstat prints "%-32s%-16llu%6.1f": name, value, and a rate that is 0.0 for a
 * single snapshot. We print the same so scripts written for nstat read ours. */
int ust_mib_dump(const struct ust_mib *mib, FILE *f, int zeros)
{
	int lines = 1;

	if (fprintf(f, "#kernel\n") < 0)
		return -EIO;
	for (int i = 0; i < UST_MIB_MAX; i++) {
		if (!mib->v[i] && !zeros)
			continue;
		if (fprintf(f, "%-32s%-16llu%6.1f\n", mib_names[i],
			    (unsigned long long)mib->v[i], 0.0) < 0)
			return -EIO;
		lines++;
	}
	return lines;
}
