// The CPU Whisper model against a float64 reference written here from the model's definition
// (conv1d, GELU, layer norm, attention as plain loops, no KV cache): encoder states, batched decode
// steps over sequences of different lengths and windows, greedy decoding, cache forks, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "asr/cpu_runner.h"
#include "asr/whisper_model.h"
#include "core/thread_pool.h"
#include "lre/error.h"

namespace lre::asr {
namespace {

WhisperConfig tiny_config() {
  WhisperConfig c;
  c.num_mel_bins = 80;
  c.vocab_size = 300;
  c.d_model = 64;
  c.encoder_layers = 2;
  c.encoder_attention_heads = 4;
  c.encoder_ffn_dim = 96;
  c.decoder_layers = 2;
  c.decoder_attention_heads = 4;
  c.decoder_ffn_dim = 96;
  c.max_source_positions = 40;  // 80 mel frames
  c.max_target_positions = 64;
  return c;
}

// Normal weights large enough that every layer moves the activations; layer norm gains near 1.
WhisperWeights random_weights(const WhisperConfig& c, uint32_t seed) {
  std::mt19937 rng(seed);
  WhisperWeights w;
  auto add = [&](const std::string& name, Shape shape, double stddev, double mean = 0.0) {
    Tensor t(DType::Float32, shape);
    std::normal_distribution<float> dist(static_cast<float>(mean), static_cast<float>(stddev));
    for (float& v : t.span<float>()) v = dist(rng);
    w[name] = t;
  };
  const int64_t d = c.d_model;
  auto norm = [&](const std::string& p) {
    add(p + ".weight", {d}, 0.1, 1.0);
    add(p + ".bias", {d}, 0.1);
  };
  auto attention = [&](const std::string& p) {
    for (const char* proj : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      add(p + "." + proj + ".weight", {d, d}, 0.15);
      if (std::string(proj) != "k_proj") add(p + "." + proj + ".bias", {d}, 0.1);
    }
  };
  auto mlp = [&](const std::string& p, int64_t ffn) {
    add(p + ".fc1.weight", {ffn, d}, 0.15);
    add(p + ".fc1.bias", {ffn}, 0.1);
    add(p + ".fc2.weight", {d, ffn}, 0.12);
    add(p + ".fc2.bias", {d}, 0.1);
  };
  add("model.encoder.conv1.weight", {d, c.num_mel_bins, 3}, 0.1);
  add("model.encoder.conv1.bias", {d}, 0.1);
  add("model.encoder.conv2.weight", {d, d, 3}, 0.1);
  add("model.encoder.conv2.bias", {d}, 0.1);
  add("model.encoder.embed_positions.weight", {c.max_source_positions, d}, 0.5);
  for (int i = 0; i < c.encoder_layers; ++i) {
    const std::string p = "model.encoder.layers." + std::to_string(i);
    attention(p + ".self_attn");
    norm(p + ".self_attn_layer_norm");
    mlp(p, c.encoder_ffn_dim);
    norm(p + ".final_layer_norm");
  }
  norm("model.encoder.layer_norm");
  add("model.decoder.embed_tokens.weight", {c.vocab_size, d}, 0.2);
  add("model.decoder.embed_positions.weight", {c.max_target_positions, d}, 0.6);
  for (int i = 0; i < c.decoder_layers; ++i) {
    const std::string p = "model.decoder.layers." + std::to_string(i);
    attention(p + ".self_attn");
    norm(p + ".self_attn_layer_norm");
    attention(p + ".encoder_attn");
    norm(p + ".encoder_attn_layer_norm");
    mlp(p, c.decoder_ffn_dim);
    norm(p + ".final_layer_norm");
  }
  norm("model.decoder.layer_norm");
  w["proj_out.weight"] = w["model.decoder.embed_tokens.weight"];  // tied, as checkpoints store it
  return w;
}

Tensor random_mels(const WhisperConfig& c, int64_t n, uint32_t seed) {
  Tensor t(DType::Float32, {n, c.num_mel_bins, 2 * c.max_source_positions});
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.f, 0.6f);
  for (float& v : t.span<float>()) v = dist(rng);
  return t;
}

// ---- float64 reference: row-major std::vector<double>, straight from the definitions ----

using Vec = std::vector<double>;

class Reference {
 public:
  Reference(const WhisperConfig& c, const WhisperWeights& w) : c_(c), w_(w) {}

  // One window's mels (num_mel_bins, 2 * max_source_positions) -> encoder states (frames, d_model).
  Vec encode(const float* mel) const {
    const int64_t d = c_.d_model, in_frames = 2 * c_.max_source_positions, frames = c_.max_source_positions;
    Vec x(mel, mel + c_.num_mel_bins * in_frames);
    Vec a = conv1d(x, c_.num_mel_bins, in_frames, "model.encoder.conv1", 1);
    for (double& v : a) v = gelu(v);
    Vec b = conv1d(a, d, in_frames, "model.encoder.conv2", 2);
    for (double& v : b) v = gelu(v);
    const Vec pos = get("model.encoder.embed_positions.weight");
    Vec h(static_cast<size_t>(frames * d));
    for (int64_t t = 0; t < frames; ++t)
      for (int64_t ch = 0; ch < d; ++ch) h[at(t, ch, d)] = b[at(ch, t, frames)] + pos[at(t, ch, d)];
    for (int l = 0; l < c_.encoder_layers; ++l) {
      const std::string p = "model.encoder.layers." + std::to_string(l);
      Vec n1 = layer_norm(h, frames, p + ".self_attn_layer_norm");
      add_into(h, self_attention(n1, frames, p + ".self_attn", c_.encoder_attention_heads, false));
      Vec n2 = layer_norm(h, frames, p + ".final_layer_norm");
      add_into(h, mlp(n2, frames, p));
    }
    return layer_norm(h, frames, "model.encoder.layer_norm");
  }

  // Logits (tokens.size(), vocab) of every position, by full causal attention over the tokens.
  Vec decode(const Vec& enc, const std::vector<int>& tokens) const {
    const int64_t d = c_.d_model, n = static_cast<int64_t>(tokens.size()), frames = c_.max_source_positions;
    const Vec emb = get("model.decoder.embed_tokens.weight"), pos = get("model.decoder.embed_positions.weight");
    const double scale = c_.scale_embedding ? std::sqrt(static_cast<double>(d)) : 1.0;
    Vec h(static_cast<size_t>(n * d));
    for (int64_t i = 0; i < n; ++i)
      for (int64_t ch = 0; ch < d; ++ch)
        h[at(i, ch, d)] = emb[at(tokens[static_cast<size_t>(i)], ch, d)] * scale + pos[at(i, ch, d)];
    for (int l = 0; l < c_.decoder_layers; ++l) {
      const std::string p = "model.decoder.layers." + std::to_string(l);
      Vec n1 = layer_norm(h, n, p + ".self_attn_layer_norm");
      add_into(h, self_attention(n1, n, p + ".self_attn", c_.decoder_attention_heads, true));
      Vec n2 = layer_norm(h, n, p + ".encoder_attn_layer_norm");
      const std::string ca = p + ".encoder_attn";
      Vec q = linear(n2, n, ca + ".q_proj", true);
      Vec k = linear(enc, frames, ca + ".k_proj", false);
      Vec v = linear(enc, frames, ca + ".v_proj", true);
      add_into(h, linear(attention(q, n, k, v, frames, c_.decoder_attention_heads, false), n, ca + ".out_proj", true));
      Vec n3 = layer_norm(h, n, p + ".final_layer_norm");
      add_into(h, mlp(n3, n, p));
    }
    Vec f = layer_norm(h, n, "model.decoder.layer_norm");
    Vec logits(static_cast<size_t>(n * c_.vocab_size), 0.0);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t t = 0; t < c_.vocab_size; ++t) {
        double s = 0.0;
        for (int64_t ch = 0; ch < d; ++ch) s += f[at(i, ch, d)] * emb[at(t, ch, d)];
        logits[at(i, t, c_.vocab_size)] = s;
      }
    return logits;
  }

 private:
  static size_t at(int64_t r, int64_t col, int64_t cols) { return static_cast<size_t>(r * cols + col); }

  Vec get(const std::string& name) const {
    const Tensor& t = w_.at(name);
    return Vec(t.data<float>(), t.data<float>() + t.numel());
  }

  static double gelu(double x) { return 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); }

  static void add_into(Vec& h, const Vec& y) {
    for (size_t i = 0; i < h.size(); ++i) h[i] += y[i];
  }

  // x (cin, len), kernel 3, padding 1 on both sides -> (cout, (len - 1) / stride + 1).
  Vec conv1d(const Vec& x, int64_t cin, int64_t len, const std::string& p, int64_t stride) const {
    const Vec w = get(p + ".weight"), b = get(p + ".bias");
    const int64_t cout = static_cast<int64_t>(b.size()), out_len = (len + 2 - 3) / stride + 1;
    Vec y(static_cast<size_t>(cout * out_len));
    for (int64_t o = 0; o < cout; ++o)
      for (int64_t t = 0; t < out_len; ++t) {
        double s = b[static_cast<size_t>(o)];
        for (int64_t i = 0; i < cin; ++i)
          for (int64_t j = 0; j < 3; ++j) {
            const int64_t src = t * stride + j - 1;
            if (src >= 0 && src < len) s += w[static_cast<size_t>((o * cin + i) * 3 + j)] * x[at(i, src, len)];
          }
        y[at(o, t, out_len)] = s;
      }
    return y;
  }

  Vec layer_norm(const Vec& x, int64_t rows, const std::string& p) const {
    const Vec g = get(p + ".weight"), b = get(p + ".bias");
    const int64_t d = static_cast<int64_t>(g.size());
    Vec y(x.size());
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0.0, var = 0.0;
      for (int64_t i = 0; i < d; ++i) mean += x[at(r, i, d)];
      mean /= static_cast<double>(d);
      for (int64_t i = 0; i < d; ++i) var += (x[at(r, i, d)] - mean) * (x[at(r, i, d)] - mean);
      var /= static_cast<double>(d);
      for (int64_t i = 0; i < d; ++i)
        y[at(r, i, d)] = (x[at(r, i, d)] - mean) / std::sqrt(var + c_.layer_norm_eps) * g[static_cast<size_t>(i)] +
                         b[static_cast<size_t>(i)];
    }
    return y;
  }

  // x (rows, in) -> (rows, out) with W (out, in).
  Vec linear(const Vec& x, int64_t rows, const std::string& p, bool bias) const {
    const Tensor& wt = w_.at(p + ".weight");
    const int64_t out = wt.dim(0), in = wt.dim(1);
    const Vec w = get(p + ".weight");
    const Vec b = bias ? get(p + ".bias") : Vec(static_cast<size_t>(out), 0.0);
    Vec y(static_cast<size_t>(rows * out));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < out; ++o) {
        double s = b[static_cast<size_t>(o)];
        for (int64_t i = 0; i < in; ++i) s += x[at(r, i, in)] * w[at(o, i, in)];
        y[at(r, o, out)] = s;
      }
    return y;
  }

  Vec mlp(const Vec& x, int64_t rows, const std::string& p) const {
    Vec a = linear(x, rows, p + ".fc1", true);
    for (double& v : a) v = gelu(v);
    return linear(a, rows, p + ".fc2", true);
  }

  // softmax(q k^T / sqrt(head_dim)) v per head; causal: query i sees keys 0..i.
  Vec attention(const Vec& q, int64_t nq, const Vec& k, const Vec& v, int64_t nk, int64_t heads, bool causal) const {
    const int64_t d = c_.d_model, hd = d / heads;
    Vec out(static_cast<size_t>(nq * d), 0.0);
    for (int64_t h = 0; h < heads; ++h)
      for (int64_t i = 0; i < nq; ++i) {
        const int64_t len = causal ? i + 1 : nk;
        Vec s(static_cast<size_t>(len));
        double mx = -1e300;
        for (int64_t j = 0; j < len; ++j) {
          double dot = 0.0;
          for (int64_t e = 0; e < hd; ++e) dot += q[at(i, h * hd + e, d)] * k[at(j, h * hd + e, d)];
          s[static_cast<size_t>(j)] = dot / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[static_cast<size_t>(j)]);
        }
        double sum = 0.0;
        for (double& e : s) sum += (e = std::exp(e - mx));
        for (int64_t j = 0; j < len; ++j)
          for (int64_t e = 0; e < hd; ++e)
            out[at(i, h * hd + e, d)] += s[static_cast<size_t>(j)] / sum * v[at(j, h * hd + e, d)];
      }
    return out;
  }

  Vec self_attention(const Vec& x, int64_t n, const std::string& p, int64_t heads, bool causal) const {
    Vec q = linear(x, n, p + ".q_proj", true), k = linear(x, n, p + ".k_proj", false),
        v = linear(x, n, p + ".v_proj", true);
    return linear(attention(q, n, k, v, n, heads, causal), n, p + ".out_proj", true);
  }

  WhisperConfig c_;
  const WhisperWeights& w_;
};

// max |got - want| / max |want|: one scale for a whole tensor, so near-zero entries do not blow up.
struct ErrorStat {
  double max_abs_err = 0.0, max_abs_ref = 0.0;
  void add(const float* got, const double* want, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      max_abs_err = std::max(max_abs_err, std::abs(static_cast<double>(got[i]) - want[i]));
      max_abs_ref = std::max(max_abs_ref, std::abs(want[i]));
    }
  }
  double relative() const { return max_abs_ref > 0 ? max_abs_err / max_abs_ref : max_abs_err; }
};

// Row r of logits (rows, vocab), copied.
std::vector<float> row(const Tensor& logits, size_t r) {
  const int64_t v = logits.dim(1);
  const float* p = logits.data<float>() + static_cast<int64_t>(r) * v;
  return std::vector<float>(p, p + v);
}

int argmax(const float* x, int64_t n) { return static_cast<int>(std::max_element(x, x + n) - x); }
int argmax(const double* x, int64_t n) { return static_cast<int>(std::max_element(x, x + n) - x); }

class WhisperModelTest : public ::testing::Test {
 protected:
  WhisperModelTest() : config_(tiny_config()), weights_(random_weights(config_, 1234)), model_(config_, weights_),
                       ref_(config_, weights_), pool_(2), ctx_(&pool_),
                       runner_(model_, &pool_) {}

  // Encodes n random windows into cross_ (n slots) and returns their reference states.
  std::vector<Vec> encode_windows(int64_t n, uint32_t seed) {
    Tensor mels = random_mels(config_, n, seed);
    cross_.clear();
    cross_.resize(static_cast<size_t>(n));
    std::vector<CrossKV*> slots;
    for (CrossKV& c : cross_) slots.push_back(&c);
    model_.encode(ctx_, mels, slots);
    std::vector<Vec> states;
    const int64_t window = mels.dim(1) * mels.dim(2);
    for (int64_t i = 0; i < n; ++i) states.push_back(ref_.encode(mels.data<float>() + i * window));
    return states;
  }

  std::vector<KvCache> make_caches(size_t n) {
    std::vector<KvCache> caches;
    for (size_t i = 0; i < n; ++i) caches.push_back(model_.make_kv_cache());
    return caches;
  }

  WhisperConfig config_;
  WhisperWeights weights_;
  WhisperModel model_;
  Reference ref_;
  ThreadPool pool_;
  CpuContext ctx_;
  CpuWhisperRunner runner_;  // the decoder through the interface decoding uses
  std::vector<CrossKV> cross_;
};

TEST_F(WhisperModelTest, EncoderMatchesReference) {
  Tensor mels = random_mels(config_, 3, 7);
  Tensor states = model_.encode(ctx_, mels);
  ASSERT_EQ(states.shape(), (Shape{3, config_.max_source_positions, config_.d_model}));
  ErrorStat err;
  const int64_t window = mels.dim(1) * mels.dim(2), out = states.dim(1) * states.dim(2);
  for (int64_t i = 0; i < 3; ++i) {
    Vec want = ref_.encode(mels.data<float>() + i * window);
    err.add(states.data<float>() + i * out, want.data(), want.size());
  }
  std::printf("encoder: max abs error %.3g, max |ref| %.3g, relative %.3g\n", err.max_abs_err, err.max_abs_ref,
              err.relative());
  EXPECT_LT(err.relative(), 1e-5);

  // A window's states do not depend on the others in its batch, nor on the thread count.
  CpuContext single;
  Tensor one = model_.encode(single, Tensor::wrap(mels.data<float>() + window, DType::Float32,
                                                  {1, mels.dim(1), mels.dim(2)}));
  ErrorStat same;
  Vec second(states.data<float>() + out, states.data<float>() + 2 * out);
  same.add(one.data<float>(), second.data(), second.size());
  EXPECT_LT(same.relative(), 1e-6);
}

TEST_F(WhisperModelTest, BatchedDecodeStepsMatchReference) {
  const std::vector<Vec> enc = encode_windows(3, 11);
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> token(0, config_.vocab_size - 1);
  const std::vector<int> prompt_lengths = {1, 4, 7};
  std::vector<std::vector<int>> tokens(3);
  std::vector<std::vector<std::vector<float>>> got(3);  // per sequence, per position: logits
  std::vector<KvCache> caches = make_caches(3);
  Tensor logits;

  // First call: all three prompts at once, 12 rows, each sequence a run of consecutive entries.
  std::vector<DecodeInput> batch;
  for (size_t s = 0; s < 3; ++s)
    for (int i = 0; i < prompt_lengths[s]; ++i) {
      tokens[s].push_back(token(rng));
      batch.push_back({tokens[s].back(), &caches[s], &cross_[s]});
    }
  runner_.decode_step(batch, logits);
  ASSERT_EQ(logits.shape(), (Shape{12, config_.vocab_size}));
  for (size_t r = 0; r < batch.size(); ++r) {
    const size_t s = static_cast<size_t>(batch[r].cache - caches.data());
    got[s].push_back(row(logits, r));
  }
  for (size_t s = 0; s < 3; ++s) EXPECT_EQ(caches[s].length(), prompt_lengths[s]);

  // Then one batched call per step, the batch order flipped every other step.
  const int steps = 14;
  const void* storage = logits.raw();
  size_t scratch = 0;
  for (int step = 0; step < steps; ++step) {
    batch.clear();
    for (int j = 0; j < 3; ++j) {
      const size_t s = static_cast<size_t>(step % 2 ? 2 - j : j);
      tokens[s].push_back(token(rng));
      batch.push_back({tokens[s].back(), &caches[s], &cross_[s]});
    }
    runner_.decode_step(batch, logits);
    ASSERT_EQ(logits.shape(), (Shape{3, config_.vocab_size}));
    if (step > 0) {
      EXPECT_EQ(logits.raw(), storage) << "logits of an unchanged shape are written in place";
    }
    storage = logits.raw();
    if (step == 0) scratch = ctx_.scratch_bytes();
    for (size_t r = 0; r < 3; ++r) {
      const size_t s = static_cast<size_t>(batch[r].cache - caches.data());
      got[s].push_back(row(logits, r));
    }
  }

  EXPECT_EQ(ctx_.scratch_bytes(), scratch) << "steps of one batch size reuse the scratch of the first";

  ErrorStat err;
  for (size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(caches[s].length(), static_cast<int>(tokens[s].size()));
    const Vec want = ref_.decode(enc[s], tokens[s]);
    ASSERT_EQ(got[s].size(), tokens[s].size());
    ErrorStat seq;
    for (size_t i = 0; i < tokens[s].size(); ++i) {
      seq.add(got[s][i].data(), want.data() + i * static_cast<size_t>(config_.vocab_size), got[s][i].size());
      EXPECT_EQ(argmax(got[s][i].data(), config_.vocab_size),
                argmax(want.data() + i * static_cast<size_t>(config_.vocab_size), config_.vocab_size));
    }
    std::printf("sequence %zu (%zu positions): logits max abs error %.3g, max |ref| %.3g, relative %.3g\n", s,
                tokens[s].size(), seq.max_abs_err, seq.max_abs_ref, seq.relative());
    err.max_abs_err = std::max(err.max_abs_err, seq.max_abs_err);
    err.max_abs_ref = std::max(err.max_abs_ref, seq.max_abs_ref);
  }
  EXPECT_LT(err.relative(), 1e-5);
}

TEST_F(WhisperModelTest, GreedyDecodeMatchesReferenceArgmaxChain) {
  const std::vector<Vec> enc = encode_windows(2, 21);
  const std::vector<std::vector<int>> prompts = {{7, 250, 3}, {42}};
  std::vector<KvCache> caches = make_caches(2);
  std::vector<std::vector<int>> seq = prompts;
  Tensor logits;
  for (size_t s = 0; s < 2; ++s) {
    runner_.decode_tokens(caches[s], cross_[s], seq[s], logits);
    ASSERT_EQ(logits.shape(), (Shape{1, config_.vocab_size}));
    seq[s].push_back(argmax(logits.data<float>(), config_.vocab_size));
  }
  std::vector<DecodeInput> batch(2);
  for (int step = 1; step < 20; ++step) {
    for (size_t s = 0; s < 2; ++s) batch[s] = {seq[s].back(), &caches[s], &cross_[s]};
    runner_.decode_step(batch, logits);
    for (size_t s = 0; s < 2; ++s) seq[s].push_back(argmax(row(logits, s).data(), config_.vocab_size));
  }

  for (size_t s = 0; s < 2; ++s) {
    std::vector<int> want = prompts[s];
    double min_margin = 1e300;  // top-1 minus top-2 of the reference: how far from a tie each choice was
    for (int step = 0; step < 20; ++step) {
      const Vec all = ref_.decode(enc[s], want);
      const double* last = all.data() + (want.size() - 1) * static_cast<size_t>(config_.vocab_size);
      std::vector<double> sorted(last, last + config_.vocab_size);
      std::partial_sort(sorted.begin(), sorted.begin() + 2, sorted.end(), std::greater<>());
      min_margin = std::min(min_margin, sorted[0] - sorted[1]);
      want.push_back(argmax(last, config_.vocab_size));
    }
    std::string chain;
    for (size_t i = prompts[s].size(); i < want.size(); ++i) chain += std::to_string(want[i]) + " ";
    std::printf("greedy %zu: %s(smallest top-2 margin %.3g)\n", s, chain.c_str(), min_margin);
    EXPECT_EQ(seq[s], want);
  }
}

TEST_F(WhisperModelTest, ForkedCacheGivesIdenticalLogits) {
  const std::vector<Vec> enc = encode_windows(1, 31);
  const std::vector<int> tokens = {5, 17, 99, 201, 8, 64, 150, 33};
  KvCache a = model_.make_kv_cache();
  Tensor all;
  runner_.decode_tokens(a, cross_[0], tokens, all, /*all=*/true);
  ASSERT_EQ(all.shape(), (Shape{8, config_.vocab_size}));

  // A full fork steps exactly like its source, bit for bit, in one batch or alone.
  KvCache b = model_.make_kv_cache();
  b.copy_from(a);
  EXPECT_EQ(b.length(), 8);
  std::vector<DecodeInput> both = {{77, &a, &cross_[0]}, {77, &b, &cross_[0]}};
  Tensor logits;
  runner_.decode_step(both, logits);
  const int64_t v = config_.vocab_size;
  for (int64_t j = 0; j < v; ++j) ASSERT_EQ(logits.data<float>()[j], logits.data<float>()[v + j]) << "vocab " << j;
  std::vector<float> a_step(logits.data<float>(), logits.data<float>() + v);

  // A prefix fork replays the source's later positions: the same logits it had there.
  KvCache c = model_.make_kv_cache();
  c.copy_from(a, 5);
  EXPECT_EQ(c.length(), 5);
  Tensor replay;
  runner_.decode_tokens(c, cross_[0], std::span<const int>(tokens).subspan(5), replay, true);
  ErrorStat same;
  std::vector<double> want(all.data<float>() + 5 * v, all.data<float>() + 8 * v);
  same.add(replay.data<float>(), want.data(), want.size());
  EXPECT_LT(same.relative(), 1e-6);

  // Forks diverge independently: b takes another token, and each matches the reference.
  Tensor step;
  runner_.decode_step(std::vector<DecodeInput>{{120, &b, &cross_[0]}, {9, &a, &cross_[0]}}, step);
  std::vector<int> ta = tokens, tb = tokens;
  ta.insert(ta.end(), {77, 9});
  tb.insert(tb.end(), {77, 120});
  const Vec ra = ref_.decode(enc[0], ta), rb = ref_.decode(enc[0], tb);
  ErrorStat err;
  err.add(step.data<float>(), rb.data() + 9 * v, static_cast<size_t>(v));
  err.add(step.data<float>() + v, ra.data() + 9 * v, static_cast<size_t>(v));
  err.add(a_step.data(), ra.data() + 8 * v, static_cast<size_t>(v));
  EXPECT_LT(err.relative(), 1e-5);

  // Copying from itself truncates; a truncated cache decodes as if the rest never happened.
  a.copy_from(a, 3);
  EXPECT_EQ(a.length(), 3);
  runner_.decode_tokens(a, cross_[0], std::span<const int>(tokens).subspan(3, 1), logits);
  ErrorStat rewound;
  want.assign(all.data<float>() + 3 * v, all.data<float>() + 4 * v);
  rewound.add(logits.data<float>(), want.data(), want.size());
  EXPECT_LT(rewound.relative(), 1e-6);
}

// Runs fn, expecting lre::Error with `code` and every one of `parts` in its message.
void expect_error(const std::function<void()>& fn, ErrorCode code, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no error thrown; expected " << error_code_name(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST_F(WhisperModelTest, BadWeightsAreNamed) {
  WhisperWeights missing = weights_;
  missing.erase("model.decoder.layers.1.encoder_attn.v_proj.bias");
  expect_error([&] { WhisperModel m(config_, missing); }, ErrorCode::InvalidModel,
               {"missing", "model.decoder.layers.1.encoder_attn.v_proj.bias", "[64]"});

  WhisperWeights misshapen = weights_;
  misshapen["model.encoder.layers.0.fc1.weight"] = Tensor(DType::Float32, {96, 63});
  expect_error([&] { WhisperModel m(config_, misshapen); }, ErrorCode::InvalidModel,
               {"model.encoder.layers.0.fc1.weight", "[96, 63]", "[96, 64]"});

  WhisperWeights wrong_type = weights_;
  wrong_type["model.encoder.conv1.bias"] = Tensor(DType::Float64, {64});
  expect_error([&] { WhisperModel m(config_, wrong_type); }, ErrorCode::InvalidModel,
               {"model.encoder.conv1.bias", "float32"});

  WhisperWeights bad_head = weights_;
  bad_head["proj_out.weight"] = Tensor(DType::Float32, {config_.vocab_size - 1, config_.d_model});
  expect_error([&] { WhisperModel m(config_, bad_head); }, ErrorCode::InvalidModel, {"proj_out.weight", "[300, 64]"});
}

TEST_F(WhisperModelTest, BadInputsAreInvalidArguments) {
  const int64_t mels = config_.num_mel_bins, frames = 2 * config_.max_source_positions;
  for (const Shape& shape : {Shape{1, mels, frames - 1}, Shape{1, mels + 1, frames}, Shape{mels, frames}})
    expect_error([&] { model_.encode(ctx_, Tensor(DType::Float32, shape)); }, ErrorCode::InvalidArgument,
                 {"mel", "[n, 80, 80]", shape_to_string(shape)});
  expect_error([&] { model_.encode(ctx_, Tensor(DType::Float64, {1, mels, frames})); }, ErrorCode::InvalidArgument,
               {"float32"});
  CrossKV one_slot;
  std::vector<CrossKV*> slots = {&one_slot};
  expect_error([&] { model_.encode(ctx_, random_mels(config_, 2, 1), slots); }, ErrorCode::InvalidArgument,
               {"1 cross-attention slots for 2"});

  encode_windows(1, 41);
  KvCache cache = model_.make_kv_cache();
  Tensor logits;
  std::vector<int> prompt(60, 1);
  runner_.decode_tokens(cache, cross_[0], prompt, logits);

  auto step = [&](int token, KvCache* c, const CrossKV* x) {
    runner_.decode_step(std::vector<DecodeInput>{{token, c, x}}, logits);
  };
  expect_error([&] { step(-1, &cache, &cross_[0]); }, ErrorCode::InvalidArgument, {"token -1", "[0, 300)"});
  expect_error([&] { step(300, &cache, &cross_[0]); }, ErrorCode::InvalidArgument, {"token 300"});
  expect_error([&] { step(1, nullptr, &cross_[0]); }, ErrorCode::InvalidArgument, {"no KV cache"});
  expect_error([&] { step(1, &cache, nullptr); }, ErrorCode::InvalidArgument, {"cross-attention"});
  CrossKV empty;
  expect_error([&] { step(1, &cache, &empty); }, ErrorCode::InvalidArgument, {"encode its window first"});
  KvCache short_cache(config_.decoder_layers, 32, config_.d_model);
  expect_error([&] { step(1, &short_cache, &cross_[0]); }, ErrorCode::InvalidArgument, {"KV cache of 2 layers x 32"});
  KvCache other = model_.make_kv_cache();
  expect_error(
      [&] {
        runner_.decode_step(std::vector<DecodeInput>{{1, &cache, &cross_[0]}, {1, &other, &cross_[0]},
                                                          {1, &cache, &cross_[0]}},
                           logits);
      },
      ErrorCode::InvalidArgument, {"entry 2", "consecutive"});
  EXPECT_EQ(cache.length(), 60) << "a rejected batch leaves its caches untouched";

  // A prefill crossing max_target_positions is rejected whole; the last position is still usable.
  std::vector<int> five(5, 2);
  expect_error([&] { runner_.decode_tokens(cache, cross_[0], five, logits); }, ErrorCode::InvalidArgument,
               {"position 64", "max_target_positions 64"});
  EXPECT_EQ(cache.length(), 60);
  runner_.decode_tokens(cache, cross_[0], std::span<const int>(five).subspan(1), logits);
  EXPECT_EQ(cache.length(), 64);
  expect_error([&] { step(1, &cache, &cross_[0]); }, ErrorCode::InvalidArgument, {"position 64 is beyond"});
  expect_error([&] { cache.truncate(65); }, ErrorCode::InvalidArgument, {"truncate"});
  expect_error([&] { short_cache.copy_from(cache); }, ErrorCode::InvalidArgument, {"different shapes"});
}

TEST_F(WhisperModelTest, RoughTiming) {
  using Clock = std::chrono::steady_clock;
  auto ms_since = [](Clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  };
  Tensor mels = random_mels(config_, 1, 3);
  model_.encode(ctx_, mels);
  auto t0 = Clock::now();
  const int encodes = 20;
  for (int i = 0; i < encodes; ++i) model_.encode(ctx_, mels);
  const double encode_ms = ms_since(t0) / encodes;

  encode_windows(3, 51);
  std::vector<KvCache> caches = make_caches(3);
  Tensor logits;
  for (size_t s = 0; s < 3; ++s) runner_.decode_tokens(caches[s], cross_[s], std::vector<int>{1, 2, 3}, logits);
  std::vector<DecodeInput> batch(3);
  const int steps = 40;
  t0 = Clock::now();
  for (int i = 0; i < steps; ++i) {
    for (size_t s = 0; s < 3; ++s) {
      const int token = (i * 7 + static_cast<int>(s)) % config_.vocab_size;
      batch[s] = {token, &caches[s], &cross_[s]};
    }
    runner_.decode_step(batch, logits);
  }
  const double step_ms = ms_since(t0) / steps;
  std::printf("tiny model, %d threads: encode (1 window) %.3f ms, decode step (batch 3) %.3f ms\n", pool_.size(),
              encode_ms, step_ms);
}

}  // namespace
}  // namespace lre::asr
