// The shape of a Whisper model, as Hugging Face's config.json (WhisperConfig) describes it, plus
// the token ids generation_config.json adds. Every size from tiny to large-v3-turbo and the
// distilled models is one of these; nothing about a size is hard-coded elsewhere.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace lre::asr {

struct WhisperConfig {
  int num_mel_bins = 80;             // 128 for large-v3 and large-v3-turbo
  int vocab_size = 51865;            // 51864 for .en models, 51866 for large-v3
  int d_model = 384;
  int encoder_layers = 4;
  int encoder_attention_heads = 6;
  int encoder_ffn_dim = 1536;
  int decoder_layers = 4;
  int decoder_attention_heads = 6;
  int decoder_ffn_dim = 1536;
  int max_source_positions = 1500;   // encoder frames after the stride-2 conv (30 s of audio)
  int max_target_positions = 448;    // decoder positions
  bool scale_embedding = false;      // multiply token embeddings by sqrt(d_model)
  std::string activation_function = "gelu";
  float layer_norm_eps = 1e-5f;

  int pad_token_id = 50257;
  int bos_token_id = 50257;
  int eos_token_id = 50257;          // <|endoftext|>
  int decoder_start_token_id = 50258;  // <|startoftranscript|>
  std::vector<int> suppress_tokens;        // generation_config.json, else config.json
  std::vector<int> begin_suppress_tokens;  // suppressed at the first sampled position

  // generation_config.json only (config.json for forced_decoder_ids in older checkpoints).
  std::vector<std::pair<int, int>> forced_decoder_ids;  // (position, token); token -1 where the file has null
  std::map<std::string, int> lang_to_id;  // "<|en|>" -> 50259
  std::map<std::string, int> task_to_id;  // "transcribe" -> 50359
  int no_timestamps_token_id = -1;        // -1 when not given
  int prev_sot_token_id = -1;             // <|startofprev|>; -1 when not given
  int max_initial_timestamp_index = -1;   // -1 when the first timestamp is not limited
  int max_length = 448;
  int multilingual = -1;                  // is_multilingual: 1 or 0; -1 when absent

  int head_dim() const { return d_model / decoder_attention_heads; }
  bool is_multilingual() const { return multilingual >= 0 ? multilingual == 1 : vocab_size >= 51865; }
};

}  // namespace lre::asr
