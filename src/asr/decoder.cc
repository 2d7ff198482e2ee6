// Decoder forward pass over a batch of rows, one row per token. Each layer writes the rows' keys
// and values into their caches first, so a prefilled row attends to the prompt tokens before it
// in the same call exactly as it would had they been decoded one by one.
#include "asr/decoder.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "asr/attention.h"
#include "asr/decode_plan.h"
#include "asr/layers.h"
#include "kernels/cpu/maybe_parallel.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

// CpuContext scratch slots of the decoder.
enum FloatSlot : size_t { kHidden, kNormed, kQuery, kKey, kValue, kAttn, kFfn, kScores, kLogitInput };
enum IntSlot : size_t { kPositions, kLogitEntries };

}  // namespace

Decoder::Decoder(const WhisperConfig& config, const WhisperWeights& weights)
    : d_model_(config.d_model),
      heads_(config.decoder_attention_heads),
      head_dim_(0),
      ffn_dim_(config.decoder_ffn_dim),
      vocab_(config.vocab_size),
      max_positions_(config.max_target_positions),
      layer_count_(config.decoder_layers),
      eps_(config.layer_norm_eps),
      embed_scale_(config.scale_embedding ? std::sqrt(static_cast<float>(config.d_model)) : 1.f) {
  if (d_model_ <= 0 || heads_ <= 0 || ffn_dim_ <= 0 || vocab_ <= 0 || max_positions_ <= 0 || layer_count_ < 0 ||
      d_model_ % heads_ != 0)
    throw Error(ErrorCode::InvalidModel,
                "Whisper decoder config: d_model " + std::to_string(d_model_) + ", decoder_attention_heads " +
                    std::to_string(heads_) + ", decoder_ffn_dim " + std::to_string(ffn_dim_) + ", vocab_size " +
                    std::to_string(vocab_) + ", max_target_positions " + std::to_string(max_positions_) +
                    ": sizes must be positive and d_model a multiple of the heads");
  head_dim_ = d_model_ / heads_;
  const std::string p = "model.decoder.";
  embed_tokens_ = require_weight(weights, p + "embed_tokens.weight", {vocab_, d_model_});
  positions_ = require_weight(weights, p + "embed_positions.weight", {max_positions_, d_model_});
  output_proj_.weight = weights.contains("proj_out.weight")
                            ? require_weight(weights, "proj_out.weight", {vocab_, d_model_})
                            : embed_tokens_;
  for (int i = 0; i < layer_count_; ++i) {
    const std::string l = p + "layers." + std::to_string(i);
    layers_.push_back({load_layer_norm(weights, l + ".self_attn_layer_norm", d_model_),
                       load_attention(weights, l + ".self_attn", d_model_),
                       load_layer_norm(weights, l + ".encoder_attn_layer_norm", d_model_),
                       load_attention(weights, l + ".encoder_attn", d_model_),
                       load_layer_norm(weights, l + ".final_layer_norm", d_model_),
                       load_mlp(weights, l, d_model_, ffn_dim_)});
  }
  final_norm_ = load_layer_norm(weights, p + "layer_norm", d_model_);
}

void Decoder::compute_cross_kv(CpuContext& ctx, const float* states, int64_t frames, CrossKV& out) const {
  out.resize(layer_count_, static_cast<int>(frames), static_cast<int>(d_model_));
  for (int l = 0; l < layer_count_; ++l) {
    linear(states, frames, layers_[l].cross_attn.k, out.keys(l), ctx.pool());
    linear(states, frames, layers_[l].cross_attn.v, out.values(l), ctx.pool());
  }
}

void Decoder::forward(CpuContext& ctx, std::span<const DecodeInput> batch, LogitRows which, Tensor& logits) const {
  ThreadPool* pool = ctx.pool();
  const int64_t n = static_cast<int64_t>(batch.size()), d = d_model_;
  int* positions = ctx.ints(kPositions, batch.size());
  int* logit_entries = ctx.ints(kLogitEntries, batch.size());
  int64_t max_cross_frames = 0;
  const DecodeLimits limits{layer_count_, static_cast<int>(d_model_), static_cast<int>(vocab_),
                            static_cast<int>(max_positions_), DType::Float32, Device::cpu()};
  const int64_t rows = plan_decode(batch, which, limits, positions, logit_entries, max_cross_frames);

  const Shape shape{rows, vocab_};
  if (!logits.defined() || !logits.device().is_cpu() || logits.dtype() != DType::Float32 || logits.shape() != shape)
    logits = Tensor(DType::Float32, shape);
  if (n == 0) return;

  float* x = ctx.floats(kHidden, static_cast<size_t>(n * d));  // (batch, d_model), the residual stream
  const float* embed = embed_tokens_.data<float>();
  const float* pos = positions_.data<float>();
  for (int64_t i = 0; i < n; ++i) {
    const float* e = embed + static_cast<int64_t>(batch[i].token) * d;
    const float* p = pos + static_cast<int64_t>(positions[i]) * d;
    for (int64_t c = 0; c < d; ++c) x[i * d + c] = e[c] * embed_scale_ + p[c];
  }

  for (int l = 0; l < layer_count_; ++l) {
    self_attention(ctx, layers_[l], l, batch, positions, x);
    cross_attention(ctx, layers_[l], l, batch, max_cross_frames, x);
    mlp(ctx, layers_[l], n, x);
  }

  float* h = ctx.floats(kLogitInput, static_cast<size_t>(rows * d));  // (rows, d_model)
  for (int64_t r = 0; r < rows; ++r) std::copy_n(x + logit_entries[r] * d, d, h + r * d);
  layer_norm(h, rows, d, final_norm_, eps_, h, pool);
  linear(h, rows, output_proj_, logits.data<float>(), pool);

  for (int64_t i = 0; i < n; ++i)
    if (i + 1 == n || batch[i + 1].cache != batch[i].cache) batch[i].cache->set_length(positions[i] + 1);
}

void Decoder::self_attention(CpuContext& ctx, const Layer& layer, int index, std::span<const DecodeInput> batch,
                             const int* positions, float* x) const {
  ThreadPool* pool = ctx.pool();
  const int64_t n = static_cast<int64_t>(batch.size()), d = d_model_;
  const size_t act = static_cast<size_t>(n * d);
  float* h = ctx.floats(kNormed, act);  // (batch, d_model) for each of these
  float* q = ctx.floats(kQuery, act);
  float* k = ctx.floats(kKey, act);
  float* v = ctx.floats(kValue, act);
  float* attn = ctx.floats(kAttn, act);
  float* scores = ctx.floats(kScores, static_cast<size_t>(n * heads_ * max_positions_));  // (batch, heads, positions)

  layer_norm(x, n, d, layer.self_norm, eps_, h, pool);
  linear(h, n, layer.self_attn.q, q, pool, 1.f / std::sqrt(static_cast<float>(head_dim_)));
  linear(h, n, layer.self_attn.k, k, pool);
  linear(h, n, layer.self_attn.v, v, pool);
  // Every row's keys land in its cache before any row attends, so rows of one prefill see each other.
  for (int64_t i = 0; i < n; ++i) {
    KvCache& cache = *batch[i].cache;
    std::copy_n(k + i * d, d, cache.keys(index) + static_cast<int64_t>(positions[i]) * d);
    std::copy_n(v + i * d, d, cache.values(index) + static_cast<int64_t>(positions[i]) * d);
  }
  cpu::maybe_parallel(pool, n * heads_, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t i = t / heads_, col = (t % heads_) * head_dim_;
      const KvCache& cache = *batch[i].cache;
      attend_one(q + i * d + col, cache.keys(index) + col, cache.values(index) + col, d, positions[i] + 1, head_dim_,
                 scores + t * max_positions_, attn + i * d + col);
    }
  });
  linear(attn, n, layer.self_attn.out, x, pool, 1.f, true);
}

void Decoder::cross_attention(CpuContext& ctx, const Layer& layer, int index, std::span<const DecodeInput> batch,
                              int64_t max_cross_frames, float* x) const {
  ThreadPool* pool = ctx.pool();
  const int64_t n = static_cast<int64_t>(batch.size()), d = d_model_;
  const size_t act = static_cast<size_t>(n * d);
  float* h = ctx.floats(kNormed, act);
  float* q = ctx.floats(kQuery, act);
  float* attn = ctx.floats(kAttn, act);
  float* scores = ctx.floats(kScores, static_cast<size_t>(n * heads_ * max_cross_frames));  // (batch, heads, frames)

  layer_norm(x, n, d, layer.cross_norm, eps_, h, pool);
  linear(h, n, layer.cross_attn.q, q, pool, 1.f / std::sqrt(static_cast<float>(head_dim_)));
  cpu::maybe_parallel(pool, n * heads_, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t i = t / heads_, col = (t % heads_) * head_dim_;
      const CrossKV& cross = *batch[i].cross;
      attend_one(q + i * d + col, cross.keys(index) + col, cross.values(index) + col, d, cross.frames(), head_dim_,
                 scores + t * max_cross_frames, attn + i * d + col);
    }
  });
  linear(attn, n, layer.cross_attn.out, x, pool, 1.f, true);
}

void Decoder::mlp(CpuContext& ctx, const Layer& layer, int64_t rows, float* x) const {
  ThreadPool* pool = ctx.pool();
  float* h = ctx.floats(kNormed, static_cast<size_t>(rows * d_model_));   // (rows, d_model)
  float* ffn = ctx.floats(kFfn, static_cast<size_t>(rows * ffn_dim_));    // (rows, ffn_dim)
  layer_norm(x, rows, d_model_, layer.mlp_norm, eps_, h, pool);
  linear(h, rows, layer.mlp.fc1, ffn, pool);
  gelu(ffn, rows * ffn_dim_, pool);
  linear(ffn, rows, layer.mlp.fc2, x, pool, 1.f, true);
}

}  // namespace lre::asr
