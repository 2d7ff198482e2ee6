// The Whisper weights as the CUDA model reads them: converted once to the run dtype, rearranged for
// fewer and larger kernels, and uploaded in one device allocation.
// - Each self-attention's q, k and v projections become one (3 d, d) matrix, so a layer makes one
//   QKV product; the decoder's cross-attention keeps q apart (its k and v run once per window).
// - The 1/sqrt(head_dim) attention scale is folded into the q weights and bias (a power of two for
//   every Whisper size, so exact in every dtype).
// - The v bias is folded into the output projection's bias, bo + Wo bv: attention weights sum to
//   one, so softmax(..)(V + bv) Wo^T = softmax(..) V Wo^T + Wo bv. K has no bias in Whisper, so the
//   K/V rows (and the caches holding them) are plain products.
#pragma once

#include <cstddef>
#include <vector>

#include "asr/whisper_config.h"
#include "asr/whisper_weights.h"
#include "device/cuda/device_pool.h"
#include "lre/dtype.h"

namespace lre::asr {

// Offsets into the one device allocation; kAbsent where a tensor is absent.
inline constexpr size_t kAbsent = static_cast<size_t>(-1);

struct DeviceLinear {
  size_t weight = kAbsent;  // (out, in), row-major as Hugging Face stores it
  size_t bias = kAbsent;    // (out)
  int64_t out = 0, in = 0;
};

struct DeviceLayerNorm {
  size_t weight = kAbsent, bias = kAbsent;  // (d_model) each
};

struct DeviceEncoderLayer {
  DeviceLayerNorm attn_norm;
  DeviceLinear qkv;     // (3 d, d), no bias: q's is q_bias, k has none, v's is folded into out
  size_t q_bias = kAbsent;
  DeviceLinear out;     // bias: bo + Wo bv
  DeviceLayerNorm mlp_norm;
  DeviceLinear fc1, fc2;
};

struct DeviceDecoderLayer {
  DeviceLayerNorm self_norm;
  DeviceLinear self_qkv;  // as the encoder's
  size_t self_q_bias = kAbsent;
  DeviceLinear self_out;
  DeviceLayerNorm cross_norm;
  DeviceLinear cross_q;  // no bias: cross_q_bias
  size_t cross_q_bias = kAbsent;
  DeviceLinear cross_k, cross_v;  // neither has a bias
  DeviceLinear cross_out;
  DeviceLayerNorm mlp_norm;
  DeviceLinear fc1, fc2;
};

class CudaWhisperWeights {
 public:
  // `weights`: float32 host tensors by Hugging Face name, checked by the CPU loaders' rules.
  // Uploads and waits for the copy (load time), on the device's process-lifetime release stream,
  // which also frees the memory: the weights may outlive every stream that read them.
  CudaWhisperWeights(const WhisperConfig& config, const WhisperWeights& weights, DType dtype, int device);

  DType dtype() const { return dtype_; }
  size_t bytes() const { return memory_.size(); }
  // The device address of an offset of this model (null for kAbsent).
  const void* at(size_t offset) const {
    return offset == kAbsent ? nullptr : static_cast<const char*>(memory_.data()) + offset;
  }

  DeviceLinear conv1, conv2;  // weights viewed as (d, channels * 3), as the im2col columns are laid out
  size_t encoder_positions = kAbsent;  // (max_source_positions, d)
  std::vector<DeviceEncoderLayer> encoder_layers;
  DeviceLayerNorm encoder_norm;

  size_t embed_tokens = kAbsent;       // (vocab, d)
  size_t decoder_positions = kAbsent;  // (max_target_positions, d)
  std::vector<DeviceDecoderLayer> decoder_layers;
  DeviceLayerNorm decoder_norm;
  size_t output_proj = kAbsent;        // (vocab, d): proj_out.weight, or embed_tokens when tied

 private:
  DType dtype_;
  lre::cuda::DeviceBuffer memory_;
};

}  // namespace lre::asr
