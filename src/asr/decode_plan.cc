// The decoder's batch checks, made before anything runs so a bad entry leaves every cache as it was.
#include "asr/decode_plan.h"

#include <algorithm>
#include <string>

#include "lre/error.h"

namespace lre::asr {

namespace {

[[noreturn]] void bad_entry(size_t i, const std::string& what) {
  throw Error(ErrorCode::InvalidArgument, "Whisper decoder: batch entry " + std::to_string(i) + ": " + what);
}

}  // namespace

int64_t plan_decode(std::span<const DecodeInput> batch, LogitRows which, const DecodeLimits& limits, int* positions,
                    int* logit_entries, int64_t& max_cross_frames) {
  const int layers = limits.layers, d_model = limits.d_model, vocab = limits.vocab,
            max_positions = limits.max_positions;
  int64_t rows = 0;
  max_cross_frames = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const DecodeInput& in = batch[i];
    if (in.token < 0 || in.token >= vocab)
      bad_entry(i, "token " + std::to_string(in.token) + " is outside the vocabulary [0, " + std::to_string(vocab) +
                       ")");
    if (!in.cache) bad_entry(i, "no KV cache");
    if (!in.cross || in.cross->empty()) bad_entry(i, "no cross-attention K/V (encode its window first)");
    const KvCache& cache = *in.cache;
    if (cache.layers() != layers || cache.capacity() != max_positions || cache.d_model() != d_model)
      bad_entry(i, "KV cache of " + std::to_string(cache.layers()) + " layers x " + std::to_string(cache.capacity()) +
                       " positions x " + std::to_string(cache.d_model()) + ", expected " +
                       std::to_string(layers) + " x " + std::to_string(max_positions) + " x " +
                       std::to_string(d_model));
    if (cache.storage().dtype() != limits.dtype || cache.storage().device() != limits.device)
      bad_entry(i, std::string("KV cache of ") + dtype_name(cache.storage().dtype()) + " on " +
                       cache.storage().device().to_string() + ", expected " + dtype_name(limits.dtype) + " on " +
                       limits.device.to_string() + " (make caches with this model's make_kv_cache)");
    if (in.cross->storage().dtype() != limits.dtype || in.cross->storage().device() != limits.device)
      bad_entry(i, std::string("cross-attention K/V of ") + dtype_name(in.cross->storage().dtype()) + " on " +
                       in.cross->storage().device().to_string() + ", expected " + dtype_name(limits.dtype) + " on " +
                       limits.device.to_string() + " (encode the window with this model)");
    if (in.cross->layers() != layers || in.cross->d_model() != d_model)
      bad_entry(i, "cross-attention K/V of " + std::to_string(in.cross->layers()) + " layers x " +
                       std::to_string(in.cross->d_model()) + ", expected " + std::to_string(layers) + " x " +
                       std::to_string(d_model));
    const bool continues = i > 0 && batch[i - 1].cache == in.cache;
    if (continues) {
      if (batch[i - 1].cross != in.cross)
        bad_entry(i, "reads another CrossKV than the entry before it of its sequence");
      positions[i] = positions[i - 1] + 1;
    } else {
      for (size_t j = 0; j < i; ++j)
        if (batch[j].cache == in.cache)
          bad_entry(i, "its KV cache also serves entry " + std::to_string(j) +
                           "; entries of one sequence must be consecutive");
      positions[i] = cache.length();
    }
    if (positions[i] >= max_positions)
      bad_entry(i, "position " + std::to_string(positions[i]) + " is beyond max_target_positions " +
                       std::to_string(max_positions));
    max_cross_frames = std::max<int64_t>(max_cross_frames, in.cross->frames());
    const bool last_of_sequence = i + 1 == batch.size() || batch[i + 1].cache != in.cache;
    if (which == LogitRows::Every || last_of_sequence) logit_entries[rows++] = static_cast<int>(i);
  }
  return rows;
}

}  // namespace lre::asr
