// The helpers every runner shares, written on its decode().
#include "asr/whisper_runner.h"

#include <vector>

#include "lre/error.h"

namespace lre::asr {

void WhisperRunner::decode_tokens(KvCache& cache, const CrossKV& cross, std::span<const int> tokens, Tensor& logits,
                                  bool all) {
  if (tokens.empty()) throw Error(ErrorCode::InvalidArgument, "Whisper decode_tokens: no tokens");
  // A prefill happens once per sequence, so this small table is not worth keeping.
  std::vector<DecodeInput> batch(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) batch[i] = {tokens[i], &cache, &cross};
  decode(batch, all ? LogitRows::Every : LogitRows::LastOfEachSequence, logits);
}

}  // namespace lre::asr
