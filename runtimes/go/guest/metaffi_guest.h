/*
 * C helpers of the Go guest runtime: calls through the metaffi_core function table, which
 * Go cannot make itself. Included by the cgo preamble of every runtime file.
 */
#ifndef METAFFI_GUEST_H
#define METAFFI_GUEST_H

#include <stdlib.h>
#include <string.h>
#include "metaffi.h"

static void *mffi_alloc(const metaffi_core *c, size_t n) { return c->alloc(n); }
static const char *mffi_strdup(const metaffi_core *c, const char *s, size_t n) { return c->strdup(s, n); }
static metaffi_mark mffi_mark(const metaffi_core *c) { return c->arena_mark(); }
static void mffi_reset(const metaffi_core *c, metaffi_mark m) { c->arena_reset(m); }
static void mffi_retain(const metaffi_core *c, uint32_t rt, uint64_t v) { c->retain(rt, (void *)(uintptr_t)v); }
static void mffi_release(const metaffi_core *c, uint32_t rt, uint64_t v) { c->release(rt, (void *)(uintptr_t)v); }
static int mffi_in_call(int (*f)(void)) { return f ? f() : 0; }
static int mffi_call(const metaffi_core *c, uint32_t rt, uint64_t v, const cdt *p, size_t np,
                     cdt **rets, size_t *nr, metaffi_error *err)
{
	return c->call(rt, (void *)(uintptr_t)v, p, np, rets, nr, err);
}

#endif
