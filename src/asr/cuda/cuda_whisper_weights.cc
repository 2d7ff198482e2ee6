// Weight preparation on the host in float32 (fusing, folding the scale and the v bias), then one
// conversion to the run dtype into a staging image of the whole allocation and one upload.
// LRE_ALLOW_SYNC_FILE: load time only.
#include "asr/cuda/cuda_whisper_weights.h"

#include <cmath>
#include <cstring>
#include <string>

#include "core/half.h"
#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

// 256-byte alignment for every tensor: vector loads and cuBLAS's fastest kernels want it.
constexpr size_t kAlign = 256;

// The host image of the device allocation, built tensor by tensor.
class Packer {
 public:
  explicit Packer(DType dtype) : dtype_(dtype) {}

  size_t add(const float* data, size_t count) {
    const size_t offset = (image_.size() + kAlign - 1) / kAlign * kAlign;
    image_.resize(offset + count * dtype_size(dtype_));
    char* dst = image_.data() + offset;
    switch (dtype_) {
      case DType::Float32: std::memcpy(dst, data, count * sizeof(float)); break;
      case DType::Float16:
        for (size_t i = 0; i < count; ++i) {
          const uint16_t h = float_to_half(data[i]);
          std::memcpy(dst + 2 * i, &h, 2);
        }
        break;
      case DType::BFloat16:
        for (size_t i = 0; i < count; ++i) {
          const uint16_t b = float_to_bf16(data[i]);
          std::memcpy(dst + 2 * i, &b, 2);
        }
        break;
      default: throw Error(ErrorCode::Unsupported, std::string("Whisper on CUDA: dtype ") + dtype_name(dtype_));
    }
    return offset;
  }
  size_t add(const Tensor& t) { return add(t.data<float>(), static_cast<size_t>(t.numel())); }
  size_t add(const std::vector<float>& v) { return add(v.data(), v.size()); }

  const std::vector<char>& image() const { return image_; }

 private:
  DType dtype_;
  std::vector<char> image_;
};

DeviceLayerNorm add_norm(Packer& p, const LayerNormWeights& ln) { return {p.add(ln.weight), p.add(ln.bias)}; }

DeviceLinear add_linear(Packer& p, const Linear& l) {
  return {p.add(l.weight), l.bias.defined() ? p.add(l.bias) : kAbsent, l.out(), l.in()};
}

// q's rows times `scale`, then k's and v's: the (3 d, d) QKV matrix.
std::vector<float> fused_qkv(const AttentionWeights& a, float scale) {
  const size_t n = static_cast<size_t>(a.q.weight.numel());
  std::vector<float> w(3 * n);
  const float* q = a.q.weight.data<float>();
  for (size_t i = 0; i < n; ++i) w[i] = q[i] * scale;
  std::memcpy(w.data() + n, a.k.weight.data<float>(), n * sizeof(float));
  std::memcpy(w.data() + 2 * n, a.v.weight.data<float>(), n * sizeof(float));
  return w;
}

std::vector<float> scaled(const Tensor& t, float scale) {
  std::vector<float> v(t.data<float>(), t.data<float>() + t.numel());
  for (float& x : v) x *= scale;
  return v;
}

// bo + Wo bv, in double.
std::vector<float> folded_out_bias(const AttentionWeights& a) {
  const int64_t d = a.out.out(), in = a.out.in();
  const float* wo = a.out.weight.data<float>();
  const float* bv = a.v.bias.data<float>();
  const float* bo = a.out.bias.data<float>();
  std::vector<float> b(static_cast<size_t>(d));
  for (int64_t o = 0; o < d; ++o) {
    double s = bo[o];
    for (int64_t i = 0; i < in; ++i) s += static_cast<double>(wo[o * in + i]) * bv[i];
    b[static_cast<size_t>(o)] = static_cast<float>(s);
  }
  return b;
}

DeviceLinear add_out(Packer& p, const AttentionWeights& a) {
  return {p.add(a.out.weight), p.add(folded_out_bias(a)), a.out.out(), a.out.in()};
}

}  // namespace

CudaWhisperWeights::CudaWhisperWeights(const WhisperConfig& config, const WhisperWeights& weights, DType dtype,
                                       int device)
    : dtype_(dtype) {
  const int64_t d = config.d_model, mels = config.num_mel_bins;
  const float enc_scale = 1.f / std::sqrt(static_cast<float>(d / config.encoder_attention_heads));
  const float dec_scale = 1.f / std::sqrt(static_cast<float>(config.head_dim()));
  Packer p(dtype);

  const std::string e = "model.encoder.";
  conv1 = {p.add(require_weight(weights, e + "conv1.weight", {d, mels, 3})),
           p.add(require_weight(weights, e + "conv1.bias", {d})), d, mels * 3};
  conv2 = {p.add(require_weight(weights, e + "conv2.weight", {d, d, 3})),
           p.add(require_weight(weights, e + "conv2.bias", {d})), d, d * 3};
  encoder_positions = p.add(require_weight(weights, e + "embed_positions.weight", {config.max_source_positions, d}));
  for (int i = 0; i < config.encoder_layers; ++i) {
    const std::string l = e + "layers." + std::to_string(i);
    const AttentionWeights attn = load_attention(weights, l + ".self_attn", d);
    const MlpWeights mlp = load_mlp(weights, l, d, config.encoder_ffn_dim);
    DeviceEncoderLayer layer;
    layer.attn_norm = add_norm(p, load_layer_norm(weights, l + ".self_attn_layer_norm", d));
    layer.qkv = {p.add(fused_qkv(attn, enc_scale)), kAbsent, 3 * d, d};
    layer.q_bias = p.add(scaled(attn.q.bias, enc_scale));
    layer.out = add_out(p, attn);
    layer.mlp_norm = add_norm(p, load_layer_norm(weights, l + ".final_layer_norm", d));
    layer.fc1 = add_linear(p, mlp.fc1);
    layer.fc2 = add_linear(p, mlp.fc2);
    encoder_layers.push_back(layer);
  }
  encoder_norm = add_norm(p, load_layer_norm(weights, e + "layer_norm", d));

  const std::string dp = "model.decoder.";
  const Tensor& embed = require_weight(weights, dp + "embed_tokens.weight", {config.vocab_size, d});
  embed_tokens = p.add(embed);
  decoder_positions = p.add(require_weight(weights, dp + "embed_positions.weight", {config.max_target_positions, d}));
  for (int i = 0; i < config.decoder_layers; ++i) {
    const std::string l = dp + "layers." + std::to_string(i);
    const AttentionWeights self = load_attention(weights, l + ".self_attn", d);
    const AttentionWeights cross = load_attention(weights, l + ".encoder_attn", d);
    const MlpWeights mlp = load_mlp(weights, l, d, config.decoder_ffn_dim);
    DeviceDecoderLayer layer;
    layer.self_norm = add_norm(p, load_layer_norm(weights, l + ".self_attn_layer_norm", d));
    layer.self_qkv = {p.add(fused_qkv(self, dec_scale)), kAbsent, 3 * d, d};
    layer.self_q_bias = p.add(scaled(self.q.bias, dec_scale));
    layer.self_out = add_out(p, self);
    layer.cross_norm = add_norm(p, load_layer_norm(weights, l + ".encoder_attn_layer_norm", d));
    layer.cross_q = {p.add(scaled(cross.q.weight, dec_scale)), kAbsent, d, d};
    layer.cross_q_bias = p.add(scaled(cross.q.bias, dec_scale));
    layer.cross_k = {p.add(cross.k.weight), kAbsent, d, d};
    layer.cross_v = {p.add(cross.v.weight), kAbsent, d, d};
    layer.cross_out = add_out(p, cross);
    layer.mlp_norm = add_norm(p, load_layer_norm(weights, l + ".final_layer_norm", d));
    layer.fc1 = add_linear(p, mlp.fc1);
    layer.fc2 = add_linear(p, mlp.fc2);
    decoder_layers.push_back(layer);
  }
  decoder_norm = add_norm(p, load_layer_norm(weights, dp + "layer_norm", d));
  output_proj = weights.contains("proj_out.weight")
                    ? p.add(require_weight(weights, "proj_out.weight", {config.vocab_size, d}))
                    : embed_tokens;

  const std::vector<char>& image = p.image();
  LRE_CUDA_CHECK(cudaSetDevice(device));
  const cudaStream_t stream = lre::cuda::release_stream(device);
  memory_ = lre::cuda::DeviceBuffer(lre::cuda::DevicePool::of(device), image.size(), stream);
  LRE_CUDA_CHECK(cudaMemcpyAsync(memory_.data(), image.data(), image.size(), cudaMemcpyHostToDevice, stream));
  LRE_CUDA_CHECK(cudaStreamSynchronize(stream));
}

}  // namespace lre::asr
