/*
 * The one table of MetaFFI type codes. Every other definition derives from it: the MT_*
 * constants and helpers below, and (checked by test/core/type_table.test.ts) the
 * MetaFFITypes enum of src/types.ts and the constants of the Go guest runtime.
 *
 * X(NAME, code, "name", packed width in bytes (0: not packable))
 * Codes are MetaFFI's, so IDL files written by other MetaFFI tools mean the same here.
 * A packed bool is one byte (0 or 1).
 */
#ifndef METAFFI_TYPES_H
#define METAFFI_TYPES_H

#include <stddef.h>
#include <stdint.h>

#define METAFFI_TYPE_TABLE(X)                   \
	X(FLOAT64, 1ULL, "float64", 8)          \
	X(FLOAT32, 2ULL, "float32", 4)          \
	X(INT8, 4ULL, "int8", 1)                \
	X(INT16, 8ULL, "int16", 2)              \
	X(INT32, 16ULL, "int32", 4)             \
	X(INT64, 32ULL, "int64", 8)             \
	X(UINT8, 64ULL, "uint8", 1)             \
	X(UINT16, 128ULL, "uint16", 2)          \
	X(UINT32, 256ULL, "uint32", 4)          \
	X(UINT64, 512ULL, "uint64", 8)          \
	X(BOOL, 1024ULL, "bool", 1)             \
	X(STRING8, 4096ULL, "string8", 0)       \
	X(STRING16, 8192ULL, "string16", 0)     \
	X(STRING32, 16384ULL, "string32", 0)    \
	X(HANDLE, 32768ULL, "handle", 0)        \
	X(ARRAY, 65536ULL, "array", 0)          \
	X(SIZE, 262144ULL, "size", 8)           \
	X(CHAR8, 524288ULL, "char8", 0)         \
	X(CHAR16, 1048576ULL, "char16", 0)      \
	X(CHAR32, 2097152ULL, "char32", 0)      \
	X(ANY, 4194304ULL, "any", 0)            \
	X(NULL, 8388608ULL, "null", 0)          \
	X(CALLABLE, 16777216ULL, "callable", 0) \
	X(PACKED, 33554432ULL, "packed", 0)     \
	X(MAP, (1ULL << 40), "map", 0)

/* MT_FLOAT64 = 1, ... MT_MAP: an extension of this project (a JS plain object or Map, a
 * Python dict, a Java Map). Enumerators past int's range (MT_MAP) are a GCC/Clang
 * extension: the enum's type is then a 64-bit unsigned one. */
#define METAFFI_TYPE_ENUM(name, code, text, width) MT_##name = code,
enum metaffi_type_code { METAFFI_TYPE_TABLE(METAFFI_TYPE_ENUM) };
#undef METAFFI_TYPE_ENUM

/* The MetaFFI name of a base type code ("int64", "string8", ...), for messages. */
static inline const char *metaffi_type_name(uint64_t t)
{
	switch (t) {
#define METAFFI_TYPE_NAME(name, code, text, width) case code: return text;
	METAFFI_TYPE_TABLE(METAFFI_TYPE_NAME)
#undef METAFFI_TYPE_NAME
	default: return "unknown";
	}
}

/* Bytes per element of a packed array of this base type; 0 when it cannot be packed. */
static inline size_t metaffi_packed_width(uint64_t t)
{
	switch (t) {
#define METAFFI_TYPE_WIDTH(name, code, text, width) case code: return width;
	METAFFI_TYPE_TABLE(METAFFI_TYPE_WIDTH)
#undef METAFFI_TYPE_WIDTH
	default: return 0;
	}
}

#endif
