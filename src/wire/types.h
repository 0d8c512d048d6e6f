/*
 * Wire types and byte access shared by every src/wire/ parser and builder.
 *
 * IPv4 addresses and TCP/UDP ports stay in network byte order everywhere in the
 * stack (as Linux's __be32/__be16), so they can be hashed, compared and copied
 * into headers without conversion; the ust_be* names mark such values. Every other
 * header field (seq, ack, window, lengths, ids, MSS, timestamps) is host order in
 * the parsed structs. The get/put helpers read and write big-endian fields at any
 * alignment: packet bytes are never cast to wider types.
 */
#ifndef UST_WIRE_TYPES_H
#define UST_WIRE_TYPES_H

#include <stdint.h>
#include <string.h>

typedef uint32_t ust_be32;
typedef uint16_t ust_be16;

static inline uint16_t ust_get_be16(const uint8_t *p)
{
	return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t ust_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void ust_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void ust_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A network-order value (address, port) copied as it lies in the packet. */
static inline ust_be32 ust_load_be32(const uint8_t *p)
{
	ust_be32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline ust_be16 ust_load_be16(const uint8_t *p)
{
	ust_be16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline void ust_store_be32(uint8_t *p, ust_be32 v)
{
	memcpy(p, &v, sizeof(v));
}

static inline void ust_store_be16(uint8_t *p, ust_be16 v)
{
	memcpy(p, &v, sizeof(v));
}

#endif
