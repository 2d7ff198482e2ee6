// Launcher of the Whisper decoder's attention over KV caches: a batch of query rows, each one
// sequence's query attending to that sequence's cached keys and values (self-attention over the
// tokens so far, cross-attention over its window's encoder frames). Plain C++ can include this
// header; the launcher enqueues on the given stream and never synchronises.
#pragma once

#include <cstddef>
#include <cstdint>

#include <cuda_runtime_api.h>

#include "lre/dtype.h"

namespace lre::cuda {

// Where one query row finds its keys and values: a cache laid out (layers, 2, capacity, d) of the
// run dtype, keys then values per layer (d = heads * head_dim), of which rows [0, length) are
// attended. The kernels read these from device memory on every launch, so a captured graph stays
// valid when lengths (or caches) change between replays.
struct DecoderAttentionSource {
  const void* base;
  int capacity;
  int length;
};

// Floats of workspace launch_decoder_attention needs for these sizes (max_length as given there).
size_t decoder_attention_workspace_floats(int64_t rows, int64_t heads, int64_t head_dim, int64_t max_length);

// For row r and head h, with q_h = q[r * q_ld + h * head_dim, +head_dim) (+ q_bias[h * head_dim, +head_dim)
// when q_bias is non-null; the 1 / sqrt(head_dim) scale is the caller's, already in q) and
// s = sources[r], L = min(s.length, s.capacity):
//   out[r * out_ld + h * head_dim + j] = sum_{t < L} softmax_t(q_h . K_t) V_t[j],
// K_t and V_t being head h's columns of key and value row t of `layer` in s.base. L < 1 gives zeros.
// sources (rows) is a device array; rows may share a source. max_length bounds every L from above
// on the host and only sizes the grid (keys past it are not attended). head_dim 1..128; float32
// arithmetic throughout. workspace: decoder_attention_workspace_floats(rows, heads, head_dim,
// max_length) floats of device memory (4-byte aligned), overwritten. arrivals: rows * heads
// counters of device memory, zero before the first launch; every launch leaves them zero (so one
// array serves launches in stream order, not two launches at once). Caches whose base is 16-byte
// aligned are read in 16-byte loads when head_dim allows (multiples of 8 halves or 4 floats).
// The kernel may start while the stream's previous kernel runs: it reads q, q_bias and the caches
// and writes out only after every earlier kernel of the stream has completed, but reads `sources`
// before that, so sources must be written by a copy (as a decoder's step table is) or by a kernel
// that has already completed, never by one still in flight.
void launch_decoder_attention(DType dtype, const void* q, int64_t q_ld, const void* q_bias,
                              const DecoderAttentionSource* sources, int64_t layer, void* out, int64_t out_ld,
                              int64_t rows, int64_t heads, int64_t head_dim, int max_length, float* workspace,
                              unsigned* arrivals, cudaStream_t stream);

}  // namespace lre::cuda
