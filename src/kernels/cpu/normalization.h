// Normalisation arithmetic: batch, instance and layer normalisation, LRN, mean-variance and Lp
// normalisation. Tensors are viewed as (n, c, inner) or (rows, cols); statistics are accumulated
// in double, the data is read and written in its own type (half types through float).
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/reduce.h"

namespace lre::cpu {

// y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], x and y (n, c, inner).
template <typename T>
void batch_norm(const T* x, T* y, int64_t n, int64_t c, int64_t inner, const double* scale, const double* bias,
                const double* mean, const double* var, double eps, ThreadPool* pool);

// Per-channel mean and population variance of x (n, c, inner), as batch norm training uses them.
template <typename T>
void channel_moments(const T* x, int64_t n, int64_t c, int64_t inner, double* mean, double* var, ThreadPool* pool);

// Each (n, c) slice of x (n, c, inner) normalised over inner, then scale[c] and bias[c] applied.
template <typename T>
void instance_norm(const T* x, T* y, int64_t n, int64_t c, int64_t inner, const T* scale, const T* bias, double eps,
                   ThreadPool* pool);

// Each row of x (rows, cols) normalised, then y = norm * scale[col] + bias[col] (bias may be null).
// mean and inv_std (rows) receive the statistics when not null; U is their type.
template <typename T, typename U>
void layer_norm(const T* x, T* y, int64_t rows, int64_t cols, const T* scale, const T* bias, double eps, U* mean,
                U* inv_std, ThreadPool* pool);

// Local response normalisation across channels of x (n, c, inner):
// y = x / (bias + alpha / size * sum of x^2 over channels [c - (size-1)/2, c + size/2]) ^ beta.
template <typename T>
void lrn(const T* x, T* y, int64_t n, int64_t c, int64_t inner, int64_t size, double alpha, double beta, double bias,
         ThreadPool* pool);

// y = (x - mean) / (std + 1e-9) with the statistics taken over the reduced axes of `l` (built from
// x's shape); y is shaped like x.
template <typename T>
void mean_variance_norm(const T* x, T* y, const ReduceLayout& l, ThreadPool* pool);

// y = x / ||x||_p along the middle axis of (outer, n, inner), p 1 or 2; a zero norm gives 0.
template <typename T>
void lp_norm(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int p, ThreadPool* pool);

}  // namespace lre::cpu
