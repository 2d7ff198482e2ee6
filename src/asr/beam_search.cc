// Whisper's beam search: every live hypothesis proposes its beam_size + 1 best next tokens, the
// best beam_size continuations that do not end survive, and those that end, ranked above the last
// survivor, are collected until max_candidates (beam_size * patience) of them exist. Survivors
// take copies of their parents' KV caches.
#include "asr/beam_search.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "lre/error.h"

namespace lre::asr {

namespace {

struct Hypothesis {
  std::vector<int> tokens;
  double sum_logprob = 0.0;
};

struct Candidate {
  int parent;
  int token;
  double sum_logprob;
};

}  // namespace

int beam_max_candidates(int beam_size, double patience) {
  // std::nearbyint rounds halves to even in the default rounding mode, like Python's round():
  // beam 5 at patience 0.5 keeps 2 candidates, as OpenAI Whisper does.
  const double rounded = std::nearbyint(static_cast<double>(beam_size) * patience);
  if (!std::isfinite(patience) || !(rounded >= 1.0))
    throw Error(ErrorCode::InvalidArgument, "beam_size " + std::to_string(beam_size) + " * patience " +
                                                std::to_string(patience) + " must round to at least 1 candidate");
  return static_cast<int>(std::min(rounded, static_cast<double>(std::numeric_limits<int>::max())));
}

BeamResult beam_search(WhisperRunner& runner, const CrossKV& cross, const LogitFilters& filters,
                       const KvCache& prefilled, std::span<const float> first_logits, int beam_size, double patience,
                       int sample_len, int eot, double length_penalty) {
  const size_t max_candidates = static_cast<size_t>(beam_max_candidates(beam_size, patience));
  const int vocab = static_cast<int>(first_logits.size());
  // The hypotheses start identical, so the first step expands just one of them.
  std::vector<Hypothesis> beams(1);
  // Two fixed pools of beam_size caches, so that forking copies rows but never allocates.
  std::vector<KvCache> caches, next_caches;
  for (int b = 0; b < beam_size; ++b) {
    caches.push_back(runner.make_kv_cache());
    next_caches.push_back(runner.make_kv_cache());
  }
  runner.copy_cache(caches[0], prefilled);
  std::vector<Hypothesis> finished;

  Tensor logits;
  std::vector<DecodeInput> batch;
  std::vector<float> row;
  std::vector<double> lp;
  std::vector<int> order(static_cast<size_t>(vocab));
  for (int step = 0; step < sample_len && !beams.empty(); ++step) {
    if (step > 0) {
      batch.clear();
      for (size_t b = 0; b < beams.size(); ++b) batch.push_back({beams[b].tokens.back(), &caches[b], &cross});
      runner.decode_step(batch, logits);
    }
    std::vector<Candidate> candidates;
    for (size_t b = 0; b < beams.size(); ++b) {
      const float* src = step == 0 ? first_logits.data() : logits.data<float>() + b * static_cast<size_t>(vocab);
      row.assign(src, src + vocab);
      filters.apply(row, beams[b].tokens);
      log_softmax(row, lp);
      std::iota(order.begin(), order.end(), 0);
      const int take = std::min(beam_size + 1, vocab);
      std::partial_sort(order.begin(), order.begin() + take, order.end(), [&](int a, int c) { return lp[a] > lp[c]; });
      for (int k = 0; k < take; ++k)
        if (std::isfinite(lp[order[k]]))
          candidates.push_back({static_cast<int>(b), order[k], beams[b].sum_logprob + lp[order[k]]});
    }
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const Candidate& a, const Candidate& c) { return a.sum_logprob > c.sum_logprob; });

    std::vector<Hypothesis> next;
    std::vector<bool> ended(beams.size(), false);
    for (const Candidate& c : candidates) {
      if (c.token == eot) {
        if (finished.size() < max_candidates) finished.push_back({beams[c.parent].tokens, c.sum_logprob});
        continue;
      }
      // A hypothesis whose cache is full cannot take another token: it ends here as it is, once.
      if (caches[c.parent].length() >= caches[c.parent].capacity()) {
        if (!ended[c.parent] && finished.size() < max_candidates)
          finished.push_back({beams[c.parent].tokens, beams[c.parent].sum_logprob});
        ended[c.parent] = true;
        continue;
      }
      Hypothesis h{beams[c.parent].tokens, c.sum_logprob};
      h.tokens.push_back(c.token);
      runner.copy_cache(next_caches[next.size()], caches[c.parent]);
      next.push_back(std::move(h));
      // As in Whisper, endings ranked below the last survivor are not collected.
      if (static_cast<int>(next.size()) == beam_size) break;
    }
    beams = std::move(next);
    std::swap(caches, next_caches);
    if (finished.size() >= max_candidates) break;
  }
  // Hypotheses cut at sample_len compete with the finished ones when fewer than beam_size (not
  // max_candidates) have ended, as Whisper lets them.
  for (auto& h : beams)
    if (static_cast<int>(finished.size()) < beam_size) finished.push_back(std::move(h));

  BeamResult best;
  double best_score = 0.0;
  bool have = false;
  for (auto& h : finished) {
    const double score = ranking_score(h.sum_logprob, h.tokens.size(), length_penalty);
    if (!have || score > best_score) {
      best = {h.tokens, h.sum_logprob};
      best_score = score;
      have = true;
    }
  }
  return best;
}

}  // namespace lre::asr
