/* Private to src/data: the per-format readers behind lb_data_load. */
#ifndef LB_DATA_INTERNAL_H
#define LB_DATA_INTERNAL_H

#include <jansson.h>
#include "leakbound/data.h"

/* Convert one parsed JSON object (item number index, starting at line of path) into an item and
 * append it to ds ("question" and "answer" required). Returns 0, LB_EINVAL or LB_ENOMEM. */
int lbi_data_item_from_json(json_t *obj, const char *path, long line, size_t index, lb_dataset_t *ds,
                           lb_error_t *err);

/* Readers of a whole file already in memory (buf is NUL-terminated, len bytes). */
int lbi_data_parse_json_array(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                             lb_error_t *err);
int lbi_data_parse_jsonl(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                        lb_error_t *err);
int lbi_data_parse_csv(const char *path, const char *buf, size_t len, lb_dataset_t *ds,
                      lb_error_t *err);

#endif
