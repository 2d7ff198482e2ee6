// The decoder's log-softmax over a vocabulary row against float64 arithmetic: large and negative
// logits, masked (-inf) entries, and the sum of the probabilities.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "asr/decoding.h"

namespace lre::asr {
namespace {

TEST(WhisperLogSoftmax, MatchesFloat64WithMaskedEntries) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-40.f, 60.f);
  std::vector<float> logits(51866);
  for (float& v : logits) v = u(rng);
  for (size_t i = 0; i < logits.size(); i += 7) logits[i] = -std::numeric_limits<float>::infinity();

  std::vector<double> got;
  log_softmax(logits, got);
  ASSERT_EQ(got.size(), logits.size());

  double max = -INFINITY, sum = 0.0;
  for (float v : logits) max = std::max<double>(max, v);
  for (float v : logits) sum += std::exp(static_cast<double>(v) - max);
  const double log_z = max + std::log(sum);
  double total = 0.0;
  for (size_t i = 0; i < logits.size(); ++i) {
    if (i % 7 == 0) {
      EXPECT_TRUE(std::isinf(got[i]) && got[i] < 0) << i;
      continue;
    }
    EXPECT_NEAR(got[i], static_cast<double>(logits[i]) - log_z, 1e-5) << i;
    total += std::exp(got[i]);
  }
  EXPECT_NEAR(total, 1.0, 1e-6);
}

TEST(WhisperLogSoftmax, OneDominantLogit) {
  const std::vector<float> logits = {1000.f, 0.f, -1000.f};
  std::vector<double> got;
  log_softmax(logits, got);
  EXPECT_NEAR(got[0], 0.0, 1e-12);
  EXPECT_NEAR(got[1], -1000.0, 1e-9);
  EXPECT_NEAR(got[2], -2000.0, 1e-9);
}

}  // namespace
}  // namespace lre::asr
