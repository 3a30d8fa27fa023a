/* The size of lb_scores_t, for bindings that mirror it (lb_scores_struct_size). */
#include "leakbound/score.h"

size_t lb_scores_struct_size(void) { return sizeof(lb_scores_t); }
