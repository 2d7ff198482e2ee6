// BPE runs on token ids: text is split by GPT-2's pre-tokenisation pattern (PCRE2, Unicode mode),
// each piece starts as its single-byte tokens, and adjacent pairs merge lowest rank first (leftmost
// on ties) through a heap, so long pieces cost n log n rather than n^2.
#include "asr/tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <queue>
#include <tuple>

#include "asr/checkpoint.h"
#include "asr/json_file.h"
#include "asr/languages.h"
#include "lre/error.h"

namespace lre::asr {

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kPretokenizePattern[] =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
constexpr int kMultilingualVocab = 51865;  // the size WhisperConfig::is_multilingual also goes by

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// The UTF-8 sequence starting at s[i]: returns its length when it is a whole valid character, or 0
// with `bad` set to the length of the invalid part to replace by one U+FFFD (the longest prefix of
// a valid sequence, at least one byte: Unicode's "maximal subpart" rule, which Python follows too).
size_t utf8_char(std::string_view s, size_t i, size_t& bad) {
  const auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b >= 0xC2 && b <= 0xDF) len = 2;
  else if (b == 0xE0) len = 3, lo = 0xA0;
  else if (b == 0xED) len = 3, hi = 0x9F;  // no surrogates
  else if (b >= 0xE1 && b <= 0xEF) len = 3;
  else if (b == 0xF0) len = 4, lo = 0x90;
  else if (b == 0xF4) len = 4, hi = 0x8F;  // nothing above U+10FFFF
  else if (b >= 0xF1 && b <= 0xF3) len = 4;
  bad = 1;
  if (len == 0) return 0;
  for (size_t k = 1; k < len; ++k) {
    if (i + k >= s.size()) return 0;
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (k == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF)) return 0;
    bad = k + 1;
  }
  return len;
}

uint32_t decode_utf8_char(std::string_view s, size_t i, size_t len) {
  const auto b = static_cast<unsigned char>(s[i]);
  uint32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  return cp;
}

std::string replace_invalid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t bad = 0;
    if (size_t len = utf8_char(s, i, bad)) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i += bad;
    }
  }
  return out;
}

// GPT-2 spells every byte as a printable character so that vocabularies are plain text: bytes that
// are printable Latin-1 stand for themselves, the other 68 take code points from U+0100 upwards.
struct ByteLevel {
  std::array<uint32_t, 256> to_char{};
  std::unordered_map<uint32_t, uint8_t> to_byte;
  ByteLevel() {
    uint32_t next = 256;
    for (uint32_t b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      to_char[b] = printable ? b : next++;
      to_byte[to_char[b]] = static_cast<uint8_t>(b);
    }
  }
};

const ByteLevel& byte_level() {
  static const ByteLevel table;
  return table;
}

std::string byte_spelling(uint8_t b) {
  std::string s;
  append_utf8(s, byte_level().to_char[b]);
  return s;
}

// A vocabulary spelling back to the bytes it stands for; nullopt when it holds a character that is
// not a byte's spelling (then it is taken as literal text, as for added tokens).
std::optional<std::string> spelling_to_bytes(std::string_view spelling) {
  std::string out;
  for (size_t i = 0; i < spelling.size();) {
    size_t bad = 0;
    size_t len = utf8_char(spelling, i, bad);
    if (!len) return std::nullopt;
    auto it = byte_level().to_byte.find(decode_utf8_char(spelling, i, len));
    if (it == byte_level().to_byte.end()) return std::nullopt;
    out += static_cast<char>(it->second);
    i += len;
  }
  return out;
}

std::string timestamp_text(int index) {  // index steps of 0.02 s, printed exactly: <|1.50|>
  char buf[32];
  std::snprintf(buf, sizeof buf, "<|%d.%02d|>", index / 50, (index % 50) * 2);
  return buf;
}

// What the files say, before any of it is checked.
struct VocabularyFiles {
  std::vector<std::pair<std::string, int>> vocab;  // spelling, id
  std::vector<std::pair<std::string, std::string>> merges;
  std::vector<std::pair<std::string, int>> added;  // text, id
  std::string vocab_source, merges_source;
};

int token_id_value(const json& v, const std::string& file, const std::string& token) {
  if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 10'000'000)
    throw Error(ErrorCode::InvalidModel, file + ": token '" + token + "' has id " + v.dump() + ", expected an id >= 0");
  return v.get<int>();
}

void read_vocab_object(const json& v, const std::string& file, VocabularyFiles& out) {
  if (!v.is_object()) throw Error(ErrorCode::InvalidModel, file + ": the vocabulary is not an object of token -> id");
  for (const auto& [token, id] : v.items()) out.vocab.emplace_back(token, token_id_value(id, file, token));
}

void read_merge(const json& m, const std::string& file, size_t index, VocabularyFiles& out) {
  if (m.is_string()) {
    const std::string s = m.get<std::string>();
    size_t space = s.find(' ');
    if (space != std::string::npos && s.find(' ', space + 1) == std::string::npos) {
      out.merges.emplace_back(s.substr(0, space), s.substr(space + 1));
      return;
    }
  } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {
    out.merges.emplace_back(m[0].get<std::string>(), m[1].get<std::string>());
    return;
  }
  throw Error(ErrorCode::InvalidModel, file + ": merge #" + std::to_string(index) + " is " + m.dump() +
                                           ", expected \"left right\" or [\"left\", \"right\"]");
}

VocabularyFiles read_tokenizer_json(const std::string& path) {
  VocabularyFiles f;
  f.vocab_source = f.merges_source = path;
  const json j = read_json(path);
  auto model = j.is_object() ? j.find("model") : j.end();
  if (model == j.end() || !model->is_object() || !model->contains("vocab") || !model->contains("merges"))
    throw Error(ErrorCode::InvalidModel, path + ": no \"model\" with \"vocab\" and \"merges\"");
  if (model->contains("type") && (*model)["type"] != "BPE")
    throw Error(ErrorCode::InvalidModel, path + ": model type is " + (*model)["type"].dump() + ", expected \"BPE\"");
  read_vocab_object((*model)["vocab"], path, f);
  const json& merges = (*model)["merges"];
  if (!merges.is_array()) throw Error(ErrorCode::InvalidModel, path + ": \"merges\" is not a list");
  for (size_t i = 0; i < merges.size(); ++i) read_merge(merges[i], path, i, f);
  if (j.contains("added_tokens")) {
    const json& added = j["added_tokens"];
    if (!added.is_array()) throw Error(ErrorCode::InvalidModel, path + ": \"added_tokens\" is not a list");
    for (const json& t : added) {
      if (!t.is_object() || !t.contains("content") || !t["content"].is_string() || !t.contains("id"))
        throw Error(ErrorCode::InvalidModel, path + ": added token " + t.dump() + " lacks \"content\" or \"id\"");
      const std::string content = t["content"].get<std::string>();
      f.added.emplace_back(content, token_id_value(t["id"], path, content));
    }
  }
  return f;
}

VocabularyFiles read_vocab_and_merges(const fs::path& dir) {
  VocabularyFiles f;
  f.vocab_source = (dir / "vocab.json").string();
  f.merges_source = (dir / "merges.txt").string();
  read_vocab_object(read_json(f.vocab_source), f.vocab_source, f);

  std::ifstream in(f.merges_source);
  if (!in) throw Error(ErrorCode::Io, "cannot open " + f.merges_source);
  std::string line;
  size_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || (line_no == 1 && line.rfind("#version", 0) == 0)) continue;
    size_t space = line.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string::npos)
      throw Error(ErrorCode::InvalidModel, f.merges_source + " line " + std::to_string(line_no) + ": \"" + line +
                                               "\" is not two tokens separated by one space");
    f.merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }

  const fs::path added = dir / "added_tokens.json";
  if (fs::exists(added)) {
    const json j = read_json(added.string());
    if (!j.is_object()) throw Error(ErrorCode::InvalidModel, added.string() + ": expected an object of token -> id");
    for (const auto& [token, id] : j.items()) f.added.emplace_back(token, token_id_value(id, added.string(), token));
  }
  const fs::path config = dir / "tokenizer_config.json";
  if (fs::exists(config)) {
    const json j = read_json(config.string());
    if (j.is_object() && j.contains("added_tokens_decoder") && j["added_tokens_decoder"].is_object()) {
      for (const auto& [id, t] : j["added_tokens_decoder"].items()) {
        if (!t.is_object() || !t.contains("content") || !t["content"].is_string() ||
            id.find_first_not_of("0123456789") != std::string::npos || id.empty() || id.size() > 8)
          throw Error(ErrorCode::InvalidModel, config.string() + ": added_tokens_decoder entry " + id + " is malformed");
        f.added.emplace_back(t["content"].get<std::string>(), std::stoi(id));
      }
    }
  }
  return f;
}

}  // namespace

// GPT-2's pattern compiled once; matching is thread-safe (match data is per call).
class Pretokenizer {
 public:
  Pretokenizer() {
    int err = 0;
    PCRE2_SIZE offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(kPretokenizePattern), PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP, &err, &offset, nullptr);
    if (!code_) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw Error(ErrorCode::Internal, std::string("PCRE2 rejects the GPT-2 pattern: ") + reinterpret_cast<char*>(msg));
    }
    pcre2_jit_compile(code_, PCRE2_JIT_COMPLETE);  // the interpreter is used where JIT is unavailable
  }
  ~Pretokenizer() { pcre2_code_free(code_); }
  Pretokenizer(const Pretokenizer&) = delete;
  Pretokenizer& operator=(const Pretokenizer&) = delete;

  // Calls fn on each piece in order; `text` must be valid UTF-8. Every character belongs to one of
  // the pattern's alternatives, so the pieces cover the text.
  void split(std::string_view text, const std::function<void(std::string_view)>& fn) const {
    std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> md(
        pcre2_match_data_create_from_pattern(code_, nullptr), &pcre2_match_data_free);
    if (!md) throw Error(ErrorCode::OutOfMemory, "PCRE2 match data");
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    size_t start = 0;
    while (start < text.size()) {
      int rc = pcre2_match(code_, subject, text.size(), start, PCRE2_NO_UTF_CHECK, md.get(), nullptr);
      if (rc == PCRE2_ERROR_NOMATCH) break;
      if (rc < 0) throw Error(ErrorCode::Internal, "PCRE2 match failed with code " + std::to_string(rc));
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
      if (ov[1] == ov[0]) {  // cannot happen with this pattern; guards against a loop all the same
        size_t bad = 0;
        start += std::max<size_t>(1, utf8_char(text, start, bad));
        continue;
      }
      fn(text.substr(ov[0], ov[1] - ov[0]));
      start = ov[1];
    }
  }

 private:
  pcre2_code* code_ = nullptr;
};

WhisperTokenizer WhisperTokenizer::load(const std::string& dir) {
  const fs::path config = fs::path(dir) / "config.json";
  if (fs::exists(config)) return load(dir, load_whisper_config(dir).is_multilingual());
  WhisperTokenizer t = load(dir, true);
  t.multilingual_ = t.size() >= kMultilingualVocab;
  return t;
}

WhisperTokenizer WhisperTokenizer::load(const std::string& dir, bool multilingual) {
  const fs::path folder(dir);
  VocabularyFiles files;
  if (fs::exists(folder / "tokenizer.json")) {
    files = read_tokenizer_json((folder / "tokenizer.json").string());
  } else if (fs::exists(folder / "vocab.json") && fs::exists(folder / "merges.txt")) {
    files = read_vocab_and_merges(folder);
  } else {
    throw Error(ErrorCode::Io, dir + ": no tokenizer.json, nor vocab.json with merges.txt (the Whisper tokenizer files)");
  }

  WhisperTokenizer t;
  t.multilingual_ = multilingual;
  std::vector<std::optional<std::string>> bytes;
  auto define = [&](const std::string& spelling, int id, std::string token_bytes, const std::string& source) {
    auto [it, added] = t.spelling_.emplace(spelling, id);
    if (!added && it->second != id)
      throw Error(ErrorCode::InvalidModel, source + ": token '" + spelling + "' has id " + std::to_string(id) +
                                               " here and " + std::to_string(it->second) + " elsewhere");
    if (static_cast<size_t>(id) >= bytes.size()) bytes.resize(static_cast<size_t>(id) + 1);
    if (bytes[id] && *bytes[id] != token_bytes)
      throw Error(ErrorCode::InvalidModel, source + ": id " + std::to_string(id) + " is given to two tokens, '" +
                                               spelling + "' and another");
    bytes[id] = std::move(token_bytes);
  };
  for (const auto& [spelling, id] : files.vocab)
    define(spelling, id, spelling_to_bytes(spelling).value_or(spelling), files.vocab_source);
  for (const auto& [text, id] : files.added) define(text, id, text, dir + " (added tokens)");

  for (int b = 0; b < 256; ++b) {
    auto it = t.spelling_.find(byte_spelling(static_cast<uint8_t>(b)));
    if (it == t.spelling_.end()) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02X", b);
      throw Error(ErrorCode::InvalidModel, files.vocab_source + ": no token for byte " + hex +
                                               " (a byte-level vocabulary spells all 256 bytes)");
    }
    t.byte_tokens_[b] = it->second;
  }
  for (size_t rank = 0; rank < files.merges.size(); ++rank) {
    const auto& [left, right] = files.merges[rank];
    auto l = t.spelling_.find(left), r = t.spelling_.find(right), m = t.spelling_.find(left + right);
    if (l == t.spelling_.end() || r == t.spelling_.end() || m == t.spelling_.end())
      throw Error(ErrorCode::InvalidModel, files.merges_source + ": merge #" + std::to_string(rank) + " '" + left +
                                               " " + right + "' names a token missing from " + files.vocab_source);
    const uint64_t key = (static_cast<uint64_t>(l->second) << 32) | static_cast<uint32_t>(r->second);
    t.merges_.emplace(key, std::pair{static_cast<int>(rank), m->second});
  }

  auto special = [&](std::initializer_list<const char*> names) {
    for (const char* name : names)
      if (auto it = t.spelling_.find(name); it != t.spelling_.end()) return it->second;
    throw Error(ErrorCode::InvalidModel, dir + ": the vocabulary has no " + *names.begin() +
                                             " token (is this a Whisper tokenizer?)");
  };
  t.eot_ = special({"<|endoftext|>"});
  t.sot_ = special({"<|startoftranscript|>"});
  t.translate_ = special({"<|translate|>"});
  t.transcribe_ = special({"<|transcribe|>"});
  t.sot_lm_ = special({"<|startoflm|>"});
  t.sot_prev_ = special({"<|startofprev|>"});
  t.no_speech_ = special({"<|nospeech|>", "<|nocaptions|>"});
  t.no_timestamps_ = special({"<|notimestamps|>"});

  // Newer files list the timestamp tokens; older ones leave them implied right after <|notimestamps|>.
  auto first = t.spelling_.find(timestamp_text(0));
  t.timestamp_begin_ = first != t.spelling_.end() ? first->second : t.no_timestamps_ + 1;
  for (int i = 0; i < kTimestampCount; ++i) {
    const std::string text = timestamp_text(i);
    define(text, t.timestamp_begin_ + i, text, dir + " (timestamp tokens)");
  }

  t.token_bytes_.reserve(bytes.size());
  for (auto& b : bytes) t.token_bytes_.push_back(b ? std::move(*b) : std::string());
  for (const WhisperLanguage& l : whisper_languages())
    if (auto it = t.spelling_.find(std::string("<|") + l.code + "|>"); it != t.spelling_.end())
      t.languages_.emplace_back(it->second, l.code);
  t.pretokenizer_ = std::make_shared<const Pretokenizer>();
  return t;
}

void WhisperTokenizer::bpe(std::string_view piece, std::vector<int>& out) const {
  const int n = static_cast<int>(piece.size());
  std::vector<int> id(n), next(n), prev(n);
  for (int i = 0; i < n; ++i) {
    id[i] = byte_tokens_[static_cast<unsigned char>(piece[i])];
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  // (rank, position of the left symbol, left id, right id): stale entries are skipped on pop.
  using Candidate = std::tuple<int, int, int, int>;
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto consider = [&](int left) {
    if (left < 0 || next[left] < 0) return;
    const int right = next[left];
    auto it = merges_.find((static_cast<uint64_t>(id[left]) << 32) | static_cast<uint32_t>(id[right]));
    if (it != merges_.end()) heap.emplace(it->second.first, left, id[left], id[right]);
  };
  for (int i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    auto [rank, left, left_id, right_id] = heap.top();
    heap.pop();
    const int right = next[left];
    if (id[left] != left_id || right < 0 || id[right] != right_id) continue;
    id[left] = merges_.at((static_cast<uint64_t>(left_id) << 32) | static_cast<uint32_t>(right_id)).second;
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    id[right] = -1;
    consider(prev[left]);
    consider(left);
  }
  for (int i = 0; i >= 0; i = next[i]) out.push_back(id[i]);
}

std::vector<int> WhisperTokenizer::encode(std::string_view text) const {
  for (size_t i = 0; i < text.size();) {
    size_t bad = 0;
    size_t len = utf8_char(text, i, bad);
    if (!len) throw Error(ErrorCode::InvalidArgument, "text to encode is not valid UTF-8 (at byte " + std::to_string(i) + ")");
    i += len;
  }
  std::vector<int> out;
  pretokenizer_->split(text, [&](std::string_view piece) { bpe(piece, out); });
  return out;
}

std::string WhisperTokenizer::decode(std::span<const int> ids, const DecodeOptions& options) const {
  std::string out, pending;  // pending: bytes of ordinary tokens, checked as UTF-8 together
  auto flush = [&] {
    out += replace_invalid_utf8(pending);
    pending.clear();
  };
  for (int id : ids) {
    if (id < 0 || id >= size())
      throw Error(ErrorCode::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary of " +
                                                  std::to_string(size()));
    const bool show_special = !options.skip_special_tokens || (options.timestamps && is_timestamp(id));
    if (is_special(id) && !show_special) continue;
    if (is_special(id)) {
      flush();
      out += token_bytes_[id];
    } else {
      pending += token_bytes_[id];
    }
  }
  flush();
  return out;
}

std::optional<int> WhisperTokenizer::find_token(std::string_view token) const {
  auto it = spelling_.find(std::string(token));
  if (it == spelling_.end()) return std::nullopt;
  return it->second;
}

int WhisperTokenizer::token_id(std::string_view token) const {
  if (auto id = find_token(token)) return *id;
  throw Error(ErrorCode::InvalidArgument, "the Whisper vocabulary has no token '" + std::string(token) + "'");
}

double WhisperTokenizer::timestamp_seconds(int id) const {
  if (!is_timestamp(id)) throw Error(ErrorCode::InvalidArgument, "token " + std::to_string(id) + " is not a timestamp");
  return (id - timestamp_begin_) * 0.02;
}

int WhisperTokenizer::timestamp_token(double seconds) const {
  const double steps = std::round(std::clamp(seconds, 0.0, 30.0) / 0.02);
  return timestamp_begin_ + std::min(static_cast<int>(steps), kTimestampCount - 1);
}

int WhisperTokenizer::language_token(std::string_view language) const {
  std::string_view key = language;
  if (key.size() > 4 && key.substr(0, 2) == "<|" && key.substr(key.size() - 2) == "|>")
    key = key.substr(2, key.size() - 4);
  const std::optional<std::string> code = whisper_language_code(key);
  if (!code) throw Error(ErrorCode::InvalidArgument, "unknown language '" + std::string(language) + "'");
  for (const auto& [token, c] : languages_)
    if (c == *code) return token;
  throw Error(ErrorCode::InvalidArgument, "language '" + std::string(language) + "' (<|" + *code +
                                              "|>) is not in this model's vocabulary");
}

std::string WhisperTokenizer::language_code(int token) const {
  for (const auto& [t, code] : languages_)
    if (t == token) return code;
  throw Error(ErrorCode::InvalidArgument, "token " + std::to_string(token) + " is not a language token");
}

std::vector<int> WhisperTokenizer::sot_sequence(std::string_view language, WhisperTask task, bool timestamps) const {
  std::vector<int> seq{sot_};
  if (multilingual_) {
    if (!language.empty()) seq.push_back(language_token(language));
    seq.push_back(task == WhisperTask::Translate ? translate_ : transcribe_);
  } else {
    if (!language.empty() && language_token(language) != language_token("en"))
      throw Error(ErrorCode::InvalidArgument, "an English-only model cannot transcribe '" + std::string(language) + "'");
    if (task == WhisperTask::Translate)
      throw Error(ErrorCode::InvalidArgument, "an English-only model cannot translate");
  }
  if (!timestamps) seq.push_back(no_timestamps_);
  return seq;
}

std::vector<int> WhisperTokenizer::non_speech_tokens() const {
  // Single characters and short runs that mark speakers, music or annotations rather than words.
  static const char* const kSymbols[] = {
      "\"", "#", "(", ")", "*", "+", "/", ":", ";", "<", "=", ">", "@", "[", "\\", "]", "^", "_", "`",
      "{", "|", "}", "~", "「", "」", "『", "』", "<<", ">>", "<<<", ">>>", "--", "---", "-(", "-[", "('",
      "(\"", "((", "))", "(((", ")))", "[[", "]]", "{{", "}}", "♪♪", "♪♪♪"};
  // Musical signs are suppressed even when they take several tokens: their first token then.
  static const char* const kMusic[] = {"♩", "♪", "♫", "♬", "♭", "♮", "♯"};
  std::vector<int> out{encode(" -")[0], encode(" '")[0]};
  for (const char* s : kSymbols)
    for (const std::string& text : {std::string(s), std::string(" ") + s})
      if (auto ids = encode(text); ids.size() == 1) out.push_back(ids[0]);
  for (const char* s : kMusic)
    for (const std::string& text : {std::string(s), std::string(" ") + s}) out.push_back(encode(text)[0]);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace lre::asr
