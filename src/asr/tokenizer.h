// Whisper's tokenizer: GPT-2 byte-level BPE (multilingual models use their own merges, English-only
// models GPT-2's own) plus the special tokens that steer decoding: start of transcript, languages,
// tasks, no-timestamps and the 1501 timestamp tokens. Every id comes from the checkpoint's files.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace lre::asr {

enum class WhisperTask { Transcribe, Translate };

struct DecodeOptions {
  bool skip_special_tokens = true;  // drop <|startoftranscript|>, <|en|>, ... from the text
  bool timestamps = false;          // render timestamp tokens as <|1.50|> even when skipping the others
};

class Pretokenizer;

class WhisperTokenizer {
 public:
  // Reads tokenizer.json, or vocab.json + merges.txt with added_tokens.json and/or
  // tokenizer_config.json's added_tokens_decoder. Whether the model is multilingual (which shapes
  // sot_sequence) comes from the folder's config files when present, else from the vocabulary size.
  static WhisperTokenizer load(const std::string& dir);
  static WhisperTokenizer load(const std::string& dir, bool multilingual);

  // Token ids are [0, size()): the vocabulary, the added tokens and the timestamp tokens.
  int size() const { return static_cast<int>(token_bytes_.size()); }
  bool multilingual() const { return multilingual_; }

  // Ordinary text (UTF-8) to token ids; text that spells a special token is encoded as plain text,
  // as Whisper encodes prompts. Invalid UTF-8 is an InvalidArgument error.
  std::vector<int> encode(std::string_view text) const;
  // Token ids to UTF-8 text; byte sequences that are not valid UTF-8 (a character split across
  // tokens that never completes) become U+FFFD.
  std::string decode(std::span<const int> ids, const DecodeOptions& options = {}) const;

  // A token by its vocabulary spelling ("<|en|>", or the byte-level form such as "Ġthe").
  std::optional<int> find_token(std::string_view token) const;
  int token_id(std::string_view token) const;  // throws InvalidArgument when absent

  int eot() const { return eot_; }  // <|endoftext|>
  int sot() const { return sot_; }  // <|startoftranscript|>
  int translate() const { return translate_; }
  int transcribe() const { return transcribe_; }
  int sot_lm() const { return sot_lm_; }
  int sot_prev() const { return sot_prev_; }
  int no_speech() const { return no_speech_; }  // <|nospeech|>, or <|nocaptions|> in older vocabularies
  int no_timestamps() const { return no_timestamps_; }
  int timestamp_begin() const { return timestamp_begin_; }  // <|0.00|>; timestamps step by 0.02 s

  bool is_special(int id) const { return id >= eot_; }
  bool is_timestamp(int id) const { return id >= timestamp_begin_ && id < timestamp_begin_ + kTimestampCount; }
  double timestamp_seconds(int id) const;   // InvalidArgument unless is_timestamp(id)
  int timestamp_token(double seconds) const;  // nearest, clamped to [0, 30] s

  // Language tokens present in this vocabulary, in Whisper's order (99, or 100 with <|yue|>).
  const std::vector<std::pair<int, std::string>>& languages() const { return languages_; }
  // "en", "english", "English" or "<|en|>" to the token id; InvalidArgument naming the language
  // when unknown or absent from this vocabulary.
  int language_token(std::string_view language) const;
  std::string language_code(int token) const;  // InvalidArgument unless a language token

  // What the decoder starts from: [sot, language, task] (+ no_timestamps without timestamps). An
  // empty language is left out (it is detected first); English-only models take just [sot].
  std::vector<int> sot_sequence(std::string_view language, WhisperTask task, bool timestamps) const;
  // Tokens of speaker tags, music and bracketed annotations, which Whisper suppresses when
  // suppress_tokens is -1 so that it transcribes only speech.
  std::vector<int> non_speech_tokens() const;

  static constexpr int kTimestampCount = 1501;  // <|0.00|> ... <|30.00|>

 private:
  WhisperTokenizer() = default;
  void bpe(std::string_view piece, std::vector<int>& out) const;

  std::vector<std::string> token_bytes_;            // id -> raw bytes, or the text of a special token
  std::unordered_map<std::string, int> spelling_;   // vocabulary spelling -> id
  std::array<int, 256> byte_tokens_{};              // the single-byte tokens BPE starts from
  std::unordered_map<uint64_t, std::pair<int, int>> merges_;  // (left << 32 | right) -> (rank, merged)
  std::shared_ptr<const Pretokenizer> pretokenizer_;
  std::vector<std::pair<int, std::string>> languages_;  // (token, code)
  bool multilingual_ = true;
  int eot_ = -1, sot_ = -1, translate_ = -1, transcribe_ = -1, sot_lm_ = -1, sot_prev_ = -1, no_speech_ = -1,
      no_timestamps_ = -1, timestamp_begin_ = -1;
};

}  // namespace lre::asr
