/* The one version string: LB_VERSION comes from CMake's project(VERSION ...). And the binary
 * interface revision, for bindings that load the library at run time. */
#include "leakbound/core.h"

#ifndef LB_VERSION
#error "LB_VERSION must come from CMake's project(VERSION ...)"
#endif

const char *lb_version(void) { return LB_VERSION; }

int lb_abi_version(void) { return LB_ABI_VERSION; }
