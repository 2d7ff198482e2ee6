// The Whisper decoder's cross-attention from its residual stream in one kernel: layer norm, the
// query projection and the attention over each sequence's encoder keys and values. One thread-
// block cluster per head (sm_90): its blocks each project a share of the head's query columns and
// attend a share of the keys, exchanging the query and the partial softmax sums through
// distributed shared memory, so neither the query nor the partials travel through global memory
// and no second kernel waits on the first. Plain C++ can include this header; the launcher
// enqueues on the given stream and never synchronises.
#pragma once

#include <cstdint>

#include <cuda_runtime_api.h>

#include "kernels/cuda/decoder_attention.cuh"
#include "lre/dtype.h"

namespace lre::cuda {

// Whether launch_norm_query_attention takes these sizes on the current device: a GPU and a build
// with thread-block clusters (sm_90), Float32, Float16 or BFloat16, one row, head_dim a multiple
// of 8 up to 64, d = heads * head_dim a multiple of the 16-byte vector width, max_length up to 4096.
bool norm_query_attention_supported(DType dtype, int64_t rows, int64_t heads, int64_t head_dim, int64_t max_length);

// For the row r = 0 (rows is 1) and each head h, with x_r = layer_norm(residual[r]) * gamma + beta_ln
// (residual float32 (rows, d); eps; x_r rounded to dtype), q = (x_r Wq^T rounded to dtype) + q_bias
// (Wq (d, d) row-major, output feature first, the 1 / sqrt(head_dim) scale already in it and in
// q_bias), and s = sources[r], L = min(s.length, s.capacity, max_length):
//   out[r * out_ld + h * head_dim + j] = sum_{t < L} softmax_t(q_h . K_t) V_t[j],
// K_t and V_t being head h's columns of key and value row t of `layer` in s.base (laid out as
// launch_decoder_attention reads it; s.base 16-byte aligned). L < 1 gives zeros. float32
// arithmetic. Runs in plain stream order (programmatic_launch.cuh says why); the next kernel may
// start early. Throws InvalidArgument where norm_query_attention_supported is false.
void launch_norm_query_attention(DType dtype, const float* residual, const void* gamma, const void* beta_ln, float eps,
                                 const void* wq, const void* q_bias, const DecoderAttentionSource* sources,
                                 int64_t layer, void* out, int64_t out_ld, int64_t rows, int64_t heads,
                                 int64_t head_dim, int max_length, cudaStream_t stream);

}  // namespace lre::cuda
