// The CUDA runner's encode(): the two convolutions as im2col + gemm, the pre-LN blocks with the
// fused (flash) attention kernel reading the QKV product in place, and each window's
// cross-attention K/V projected into its slot. Every window of the batch goes through each product
// together; the scratch grows to the most windows seen and is reused.
#include <cstring>
#include <string>

#include "asr/cuda/cuda_whisper_runner.h"
#include "device/cuda/cuda_check.h"
#include "kernels/cuda/elementwise.cuh"
#include "kernels/cuda/encoder_attention.cuh"
#include "kernels/cuda/gemm.h"
#include "kernels/cuda/transformer_ops.cuh"
#include "lre/error.h"

namespace lre::asr {

namespace {

constexpr size_t kAlign = 256;

// Byte offsets of the encoder's buffers for `n` windows, in one allocation.
struct EncoderLayout {
  size_t mel_f32, mel, cols1, conv1, cols2, conv2, x, h, qkv, attn, ffn, total;

  EncoderLayout(const WhisperConfig& c, int64_t n, DType dtype) {
    const size_t t = dtype_size(dtype), in_frames = 2 * static_cast<size_t>(c.max_source_positions);
    const size_t frames = static_cast<size_t>(c.max_source_positions), d = static_cast<size_t>(c.d_model);
    const size_t mels = static_cast<size_t>(c.num_mel_bins), w = static_cast<size_t>(n);
    size_t at = 0;
    const auto take = [&](size_t bytes) {
      const size_t offset = at;
      at = (at + bytes + kAlign - 1) / kAlign * kAlign;
      return offset;
    };
    mel_f32 = take(w * mels * in_frames * sizeof(float));
    mel = take(w * mels * in_frames * t);
    cols1 = take(w * in_frames * mels * 3 * t);
    conv1 = take(w * in_frames * d * t);
    cols2 = take(w * frames * d * 3 * t);
    conv2 = take(w * frames * d * t);
    x = take(w * frames * d * sizeof(float));
    h = take(w * frames * d * t);
    qkv = take(w * frames * 3 * d * t);
    attn = take(w * frames * d * t);
    ffn = take(w * frames * static_cast<size_t>(c.encoder_ffn_dim) * t);
    total = at;
  }
};

}  // namespace

void CudaWhisperRunner::encode(const Tensor& mels, std::span<CrossKV* const> cross) {
  const WhisperConfig& c = config();
  const int64_t in_frames = 2 * static_cast<int64_t>(c.max_source_positions);
  const bool ok = mels.defined() && mels.device().is_cpu() && mels.dtype() == DType::Float32 && mels.rank() == 3 &&
                  mels.dim(1) == c.num_mel_bins && mels.dim(2) == in_frames;
  if (!ok)
    throw Error(ErrorCode::InvalidArgument,
                "Whisper encoder: mel input must be a float32 host tensor of shape [n, " +
                    std::to_string(c.num_mel_bins) + ", " + std::to_string(in_frames) + "], got " +
                    (mels.defined() ? std::string(dtype_name(mels.dtype())) + " " + shape_to_string(mels.shape()) +
                                          " on " + mels.device().to_string()
                                    : std::string("an undefined tensor")));
  const int64_t n = mels.dim(0);
  if (static_cast<int64_t>(cross.size()) != n)
    throw Error(ErrorCode::InvalidArgument, "Whisper encode: " + std::to_string(cross.size()) +
                                                " cross-attention slots for " + std::to_string(n) + " mel windows");
  for (size_t i = 0; i < cross.size(); ++i)
    if (!cross[i]) throw Error(ErrorCode::InvalidArgument, "Whisper encode: slot " + std::to_string(i) + " is null");
  if (n == 0) return;

  LRE_CUDA_CHECK(cudaSetDevice(device_));
  const cudaStream_t s = stream_.get();
  const EncoderLayout lay(c, n, dtype_);
  if (n > encode_capacity_) {
    encode_scratch_ = lre::cuda::DeviceBuffer(lre::cuda::DevicePool::of(device_), lay.total, s);
    encode_capacity_ = n;
  }
  char* base = static_cast<char*>(encode_scratch_.data());
  const auto at = [&](size_t offset) { return static_cast<void*>(base + offset); };
  float* x = static_cast<float*>(at(lay.x));
  const int64_t d = c.d_model, mel_bins = c.num_mel_bins, frames = c.max_source_positions;
  const int64_t rows = n * frames;
  const float eps = c.layer_norm_eps;
  namespace k = lre::cuda;

  // Mels in through pinned staging; the wait at the end of encode() keeps the staging free.
  mel_host_.reserve(mels.nbytes());
  std::memcpy(mel_host_.data(), mels.raw(), mels.nbytes());
  LRE_CUDA_CHECK(cudaMemcpyAsync(at(lay.mel_f32), mel_host_.data(), mels.nbytes(), cudaMemcpyHostToDevice, s));
  void* mel = at(lay.mel_f32);
  if (dtype_ != DType::Float32) {
    k::launch_cast(DType::Float32, dtype_, at(lay.mel_f32), at(lay.mel), mels.numel(), s);
    mel = at(lay.mel);
  }

  // conv1 (kernel 3, padding 1) over the mel frames, then conv2 with stride 2, each with GELU.
  k::launch_conv_im2col(dtype_, mel, in_frames, 1, mel_bins * in_frames, at(lay.cols1), n, mel_bins, in_frames,
                        in_frames, 1, s);
  linear(at(lay.cols1), n * in_frames, w_.conv1, at(lay.conv1), dtype_);
  k::launch_bias_gelu(dtype_, at(lay.conv1), w_.at(w_.conv1.bias), n * in_frames, d, s);
  k::launch_conv_im2col(dtype_, at(lay.conv1), 1, d, in_frames * d, at(lay.cols2), n, d, in_frames, frames, 2, s);
  linear(at(lay.cols2), rows, w_.conv2, at(lay.conv2), dtype_);
  k::launch_bias_gelu(dtype_, at(lay.conv2), w_.at(w_.conv2.bias), rows, d, s);
  k::launch_add_positions(dtype_, at(lay.conv2), w_.at(w_.encoder_positions), x, n, frames, d, s);

  const size_t t = dtype_size(dtype_);
  const int64_t heads = c.encoder_attention_heads;
  const void* pending = nullptr;
  for (const DeviceEncoderLayer& L : w_.encoder_layers) {
    k::launch_residual_layer_norm(dtype_, x, pending, w_.at(L.attn_norm.weight), w_.at(L.attn_norm.bias), at(lay.h),
                                  rows, d, eps, s);
    linear(at(lay.h), rows, L.qkv, at(lay.qkv), dtype_);
    const char* qkv = static_cast<const char*>(at(lay.qkv));
    k::launch_encoder_attention(dtype_, qkv, qkv + d * t, qkv + 2 * d * t, 3 * d, w_.at(L.q_bias), at(lay.attn), d, n,
                                frames, heads, d / heads, s);
    linear(at(lay.attn), rows, L.out, x, DType::Float32, 1.f);
    k::launch_residual_layer_norm(dtype_, x, w_.at(L.out.bias), w_.at(L.mlp_norm.weight), w_.at(L.mlp_norm.bias),
                                  at(lay.h), rows, d, eps, s);
    linear(at(lay.h), rows, L.fc1, at(lay.ffn), dtype_);
    k::launch_bias_gelu(dtype_, at(lay.ffn), w_.at(L.fc1.bias), rows, L.fc1.out, s);
    linear(at(lay.ffn), rows, L.fc2, x, DType::Float32, 1.f);
    pending = w_.at(L.fc2.bias);
  }
  // The encoder's output states, in the run dtype, as the cross-attention products read them.
  k::launch_residual_layer_norm(dtype_, x, pending, w_.at(w_.encoder_norm.weight), w_.at(w_.encoder_norm.bias),
                                at(lay.h), rows, d, eps, s);

  const int layers = c.decoder_layers;
  const Shape cross_shape{layers, 2, frames, d};
  for (int64_t i = 0; i < n; ++i) {
    CrossKV& slot = *cross[static_cast<size_t>(i)];
    const Tensor& held = slot.storage();
    if (!held.defined() || held.shape() != cross_shape || held.dtype() != dtype_ ||
        held.device() != Device::cuda(device_))
      slot.assign(layers, static_cast<int>(frames), static_cast<int>(d), device_tensor(dtype_, cross_shape));
    const char* states = static_cast<const char*>(at(lay.h)) + static_cast<size_t>(i * frames * d) * t;
    char* kv = static_cast<char*>(slot.storage().raw());
    const size_t block = static_cast<size_t>(frames * d) * t;
    for (int l = 0; l < layers; ++l) {
      const DeviceDecoderLayer& L = w_.decoder_layers[static_cast<size_t>(l)];
      linear(states, frames, L.cross_k, kv + (2 * static_cast<size_t>(l)) * block, dtype_);
      linear(states, frames, L.cross_v, kv + (2 * static_cast<size_t>(l) + 1) * block, dtype_);
    }
  }
  stream_.synchronize();  // encode() returns with the slots filled and the mel staging free again
}

}  // namespace lre::asr
