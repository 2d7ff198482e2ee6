// Encoder forward pass. The states tensor it returns is the residual stream itself: each block
// adds its attention and MLP outputs into it through the gemm's accumulate, so no copies are made.
#include "asr/encoder.h"

#include <cmath>
#include <string>

#include "asr/attention.h"
#include "asr/layers.h"
#include "kernels/cpu/conv.h"
#include "kernels/cpu/maybe_parallel.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

// CpuContext scratch slots of the encoder.
enum Slot : size_t { kConv1, kConv2, kNormed, kQuery, kKey, kValue, kAttn, kFfn };

// Conv1d with kernel 3 and padding 1 over `in` frames, as Whisper's two convolutions are.
cpu::WindowGeometry conv_geometry(int64_t in, int64_t out, int64_t stride) {
  return {{in}, {out}, {3}, {stride}, {1}, {1}, {1}};
}

}  // namespace

Encoder::Encoder(const WhisperConfig& config, const WhisperWeights& weights)
    : mels_(config.num_mel_bins),
      frames_(config.max_source_positions),
      d_model_(config.d_model),
      heads_(config.encoder_attention_heads),
      head_dim_(0),
      ffn_dim_(config.encoder_ffn_dim),
      eps_(config.layer_norm_eps) {
  if (mels_ <= 0 || frames_ <= 0 || d_model_ <= 0 || heads_ <= 0 || ffn_dim_ <= 0 || config.encoder_layers < 0 ||
      d_model_ % heads_ != 0)
    throw Error(ErrorCode::InvalidModel,
                "Whisper encoder config: num_mel_bins " + std::to_string(mels_) + ", max_source_positions " +
                    std::to_string(frames_) + ", d_model " + std::to_string(d_model_) + ", encoder_attention_heads " +
                    std::to_string(heads_) + ", encoder_ffn_dim " + std::to_string(ffn_dim_) +
                    ": sizes must be positive and d_model a multiple of the heads");
  head_dim_ = d_model_ / heads_;
  const std::string p = "model.encoder.";
  conv1_weight_ = require_weight(weights, p + "conv1.weight", {d_model_, mels_, 3});
  conv1_bias_ = require_weight(weights, p + "conv1.bias", {d_model_});
  conv2_weight_ = require_weight(weights, p + "conv2.weight", {d_model_, d_model_, 3});
  conv2_bias_ = require_weight(weights, p + "conv2.bias", {d_model_});
  positions_ = require_weight(weights, p + "embed_positions.weight", {frames_, d_model_});
  for (int i = 0; i < config.encoder_layers; ++i) {
    const std::string l = p + "layers." + std::to_string(i);
    layers_.push_back({load_layer_norm(weights, l + ".self_attn_layer_norm", d_model_),
                       load_attention(weights, l + ".self_attn", d_model_),
                       load_layer_norm(weights, l + ".final_layer_norm", d_model_),
                       load_mlp(weights, l, d_model_, ffn_dim_)});
  }
  final_norm_ = load_layer_norm(weights, p + "layer_norm", d_model_);
}

void Encoder::check_input(const Tensor& mels) const {
  const bool ok = mels.defined() && mels.device().is_cpu() && mels.dtype() == DType::Float32 && mels.rank() == 3 &&
                  mels.dim(1) == mels_ && mels.dim(2) == 2 * frames_;
  if (!ok)
    throw Error(ErrorCode::InvalidArgument,
                "Whisper encoder: mel input must be a float32 host tensor of shape [n, " + std::to_string(mels_) +
                    ", " + std::to_string(2 * frames_) + "], got " +
                    (mels.defined() ? std::string(dtype_name(mels.dtype())) + " " + shape_to_string(mels.shape()) +
                                          " on " + mels.device().to_string()
                                    : std::string("an undefined tensor")));
}

Tensor Encoder::forward(CpuContext& ctx, const Tensor& mels) const {
  check_input(mels);
  ThreadPool* pool = ctx.pool();
  const int64_t n = mels.dim(0), in_frames = 2 * frames_, d = d_model_;
  Tensor states(DType::Float32, {n, frames_, d});  // (n, frames, d_model), the residual stream
  if (n == 0) return states;

  float* c1 = ctx.floats(kConv1, static_cast<size_t>(n * d * in_frames));  // (n, d_model, 2 * frames)
  float* c2 = ctx.floats(kConv2, static_cast<size_t>(n * d * frames_));    // (n, d_model, frames)
  cpu::conv_f32(mels.data<float>(), conv1_weight_.data<float>(), conv1_bias_.data<float>(), c1, n, mels_, d, 1,
                conv_geometry(in_frames, in_frames, 1), pool);
  gelu(c1, n * d * in_frames, pool);
  cpu::conv_f32(c1, conv2_weight_.data<float>(), conv2_bias_.data<float>(), c2, n, d, d, 1,
                conv_geometry(in_frames, frames_, 2), pool);
  gelu(c2, n * d * frames_, pool);

  // Channels-first conv output to frame rows, with each frame's position added on the way.
  float* x = states.data<float>();
  const float* pos = positions_.data<float>();
  cpu::maybe_parallel(pool, n * frames_, 64, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t w = r / frames_, t = r % frames_;
      const float* src = c2 + w * d * frames_ + t;
      for (int64_t c = 0; c < d; ++c) x[r * d + c] = src[c * frames_] + pos[t * d + c];
    }
  });

  for (const Layer& layer : layers_) run_layer(ctx, layer, x, n);
  layer_norm(x, n * frames_, d, final_norm_, eps_, x, pool);
  return states;
}

void Encoder::run_layer(CpuContext& ctx, const Layer& layer, float* x, int64_t windows) const {
  ThreadPool* pool = ctx.pool();
  const int64_t rows = windows * frames_, d = d_model_;
  const size_t act = static_cast<size_t>(rows * d);
  float* h = ctx.floats(kNormed, act);  // (rows, d_model) for each of these
  float* q = ctx.floats(kQuery, act);
  float* k = ctx.floats(kKey, act);
  float* v = ctx.floats(kValue, act);
  float* attn = ctx.floats(kAttn, act);
  float* ffn = ctx.floats(kFfn, static_cast<size_t>(rows * ffn_dim_));  // (rows, ffn_dim)

  layer_norm(x, rows, d, layer.attn_norm, eps_, h, pool);
  linear(h, rows, layer.attn.q, q, pool, 1.f / std::sqrt(static_cast<float>(head_dim_)));
  linear(h, rows, layer.attn.k, k, pool);
  linear(h, rows, layer.attn.v, v, pool);
  full_attention(q, k, v, attn, windows, frames_, heads_, head_dim_, pool);
  linear(attn, rows, layer.attn.out, x, pool, 1.f, true);

  layer_norm(x, rows, d, layer.mlp_norm, eps_, h, pool);
  linear(h, rows, layer.mlp.fc1, ffn, pool);
  gelu(ffn, rows * ffn_dim_, pool);
  linear(ffn, rows, layer.mlp.fc2, x, pool, 1.f, true);
}

}  // namespace lre::asr
