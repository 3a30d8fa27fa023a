/*
 * leakbound/safetensors.h — read and write Hugging Face safetensors checkpoints.
 *
 * Contract
 * - Format: an 8-byte little-endian u64 N, then N bytes of JSON
 *   {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
 *   then the data area; offsets are relative to the start of the data area.
 * - lb_st_open maps every file read-only (mmap) once and validates everything before returning:
 *   header size against the file size, the JSON, each dtype (F32, F16, BF16; anything else is
 *   LB_EUNSUPPORTED "unsupported dtype X for tensor Y in FILE"), shape product × element size ==
 *   end − begin, offsets inside the data area, no two tensors overlapping, no duplicate names.
 *   A bad file is refused with a message naming the file and the tensor; no byte outside a
 *   mapping is ever read.
 * - Sharded checkpoints: model.safetensors.index.json's "weight_map" (name → shard file, relative
 *   to the index's folder). Every shard is mapped once; a name the map promises that its shard
 *   lacks is an error, as is a shard tensor the map does not list. A shard must be a plain file
 *   name: one with '/' or '\\' (a path, absolute or ../other/model) or "." / ".." is refused
 *   (LB_EFORMAT naming the index and the entry), so a folder's weights are its own files.
 * - A checkpoint is read-only after open; lookups may be made from several threads at once.
 *   Tensor data pointers are into the mapping and stay valid until lb_st_close. They may be
 *   unaligned for the element type (offsets need not be multiples of 4): read through
 *   lb_st_to_f32 or memcpy.
 * - Widening F16/BF16 → F32 is exact (F16 subnormals, infinities and NaN payloads included).
 */
#ifndef LEAKBOUND_SAFETENSORS_H
#define LEAKBOUND_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "leakbound/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { LB_DTYPE_F32, LB_DTYPE_F16, LB_DTYPE_BF16 } lb_dtype_t;

#define LB_ST_MAX_DIMS 8

typedef struct lb_st_tensor {
    const char *name;
    lb_dtype_t dtype;
    int ndim;                       /* 0 (scalar) .. LB_ST_MAX_DIMS */
    int64_t shape[LB_ST_MAX_DIMS];  /* (ndim,) row-major, outermost first */
    const void *data;               /* (nbytes,) little-endian elements, possibly unaligned */
    size_t nbytes;
} lb_st_tensor_t;

/* One checkpoint: a single file or a set of shards, all mmapped. */
typedef struct lb_st lb_st_t;

/* Open a checkpoint. dir_or_file is either a .safetensors file, a model.safetensors.index.json
 * file, or a folder holding model.safetensors or model.safetensors.index.json (the index wins
 * when both exist). On success *out owns the mappings (free with lb_st_close). Errors: LB_EIO
 * (missing/unreadable file), LB_EFORMAT (malformed or lying header, bad index),
 * LB_EUNSUPPORTED (dtype other than F32/F16/BF16), LB_ENOMEM; the message names the file and,
 * where one is at fault, the tensor. */
LB_API int lb_st_open(const char *dir_or_file, lb_st_t **out, lb_error_t *err);

/* Unmap and free everything (NULL is fine). Tensor pointers die with it. */
LB_API void lb_st_close(lb_st_t *st);

/* The tensor called name, or NULL when absent. */
LB_API const lb_st_tensor_t *lb_st_find(const lb_st_t *st, const char *name);

/* Number of tensors, and the i-th of them (0 <= i < count; NULL otherwise) in name order. */
LB_API size_t lb_st_count(const lb_st_t *st);
/* The i-th tensor in name order; NULL when i >= lb_st_count(st). */
LB_API const lb_st_tensor_t *lb_st_at(const lb_st_t *st, size_t i);

/* Number of files st mapped, and the path of the i-th (0 <= i < count; NULL otherwise) as
 * opened: the single file, or an index's distinct shards in name order (their folder joined
 * to the index's entries). Owned by st. */
LB_API size_t lb_st_file_count(const lb_st_t *st);
/* The path of the i-th mapped file; NULL when i >= lb_st_file_count(st). Owned by st. */
LB_API const char *lb_st_file_path(const lb_st_t *st, size_t i);

/* Value of "__metadata__"[key] in the first file that has it, or NULL. Owned by st. */
LB_API const char *lb_st_metadata(const lb_st_t *st, const char *key);

/* Number of "__metadata__" entries (over all files), and the i-th as *key / *val (owned by st).
 * Returns 0, or -1 when i is out of range. */
LB_API size_t lb_st_metadata_count(const lb_st_t *st);
/* The i-th metadata entry as *key / *val (owned by st); 0, or -1 when i is out of range. */
LB_API int lb_st_metadata_at(const lb_st_t *st, size_t i, const char **key, const char **val);

/* Where t (a tensor of st) lives: *file (owned by st) and the byte offset of its data from the
 * start of that file. Returns 0, or -1 when t is not one of st's tensors. */
LB_API int lb_st_locate(const lb_st_t *st, const lb_st_tensor_t *t, const char **file,
                        uint64_t *offset);

/* Number of elements of t (product of its shape; 1 for a scalar). */
LB_API size_t lb_st_numel(const lb_st_tensor_t *t);

/* Bytes per element of a dtype, and its safetensors name ("F32", "F16", "BF16"). */
LB_API size_t lb_dtype_size(lb_dtype_t dt);
/* "F32", "F16" or "BF16". */
LB_API const char *lb_dtype_name(lb_dtype_t dt);

/* Widen n elements starting at element offset `off` of t into dst (n,) (F16/BF16 → F32
 * exactly; F32 copied). The caller keeps off + n <= lb_st_numel(t). */
LB_API void lb_st_to_f32(const lb_st_tensor_t *t, size_t off, size_t n, float *dst);

/* Element conversions, exact. F32 → F16/BF16 round to nearest even (NaN stays NaN). */
LB_API float lb_f16_to_f32(uint16_t h);
/* BF16 → F32, exact. */
LB_API float lb_bf16_to_f32(uint16_t b);
/* F32 → F16, round to nearest even (NaN stays NaN). */
LB_API uint16_t lb_f32_to_f16(float f);
/* F32 → BF16, round to nearest even (NaN stays NaN). */
LB_API uint16_t lb_f32_to_bf16(float f);

/* Write a single-file checkpoint at path atomically (temporary file + rename). tensors (n,):
 * each needs name, dtype, ndim, shape and data with nbytes == numel × dtype size (written as is,
 * little-endian). Names must be unique and not "__metadata__". meta_keys/meta_vals (n_meta,)
 * become "__metadata__" (may be NULL when n_meta is 0). As the reference writer does, tensors
 * are laid out back to back in the order given and the header is padded with spaces to a
 * multiple of 8 bytes. Errors: LB_EINVAL (bad tensor description, naming it), LB_EIO (naming
 * path). */
LB_API int lb_st_write(const char *path, const lb_st_tensor_t *tensors, size_t n,
                       const char *const *meta_keys, const char *const *meta_vals, size_t n_meta,
                       lb_error_t *err);

#ifdef __cplusplus
}
#endif
#endif
