// Scaled dot-product attention for the Whisper CPU path. Queries, keys, values and outputs keep
// their heads side by side in the columns of (rows, d_model) matrices, the layout the projections
// write and the KV caches store, so no transpose is ever made. Queries arrive already scaled.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"

namespace lre::asr {

// The encoder's self-attention, every frame attending to every frame of its own window.
// q, k, v, out: (windows * frames, heads * head_dim).
void full_attention(const float* q, const float* k, const float* v, float* out, int64_t windows, int64_t frames,
                    int64_t heads, int64_t head_dim, ThreadPool* pool);

// One query head against `length` key/value rows: the decoder's step. q and out point at the
// head's head_dim columns; k and v at the head's columns of row 0, rows `ld` floats apart.
// scores: scratch of `length` floats.
void attend_one(const float* q, const float* k, const float* v, int64_t ld, int64_t length, int64_t head_dim,
                float* scores, float* out);

}  // namespace lre::asr
