/* The library's release and binary interface revision, for bindings that load it at run time. */
#include "leakbound/core.h"

#ifndef LB_VERSION
#error "LB_VERSION must come from CMake's project(VERSION ...)"
#endif

int lb_abi_version(void) { return LB_ABI_VERSION; }

const char *lb_version(void) { return LB_VERSION; }
