// launch_norm_query_attention against a float64 reference written here (layer norm, the query
// projection rounded to the dtype as the unfused step stores it, softmax attention over each
// row's cached keys), for every float dtype: a row over 1500 encoder frames, caches and lengths
// (zero, past the capacity, past max_length, either side of a batch of key rounds), head sizes 64
// and 32, with and without a query bias, poisoned outputs, the same bits from two launches, and the
// sizes it refuses.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/norm_query_attention.cuh"

namespace lre::test {
namespace {

constexpr int64_t kLayers = 2, kLayer = 1;  // the kernel must read layer 1's keys, not layer 0's

struct Row {
  int capacity, length;
};

struct Case {
  int64_t heads, head_dim;
  std::vector<Row> rows;
  int max_length;
  bool bias;
};

double round_to(DType dtype, double v) {
  double out = 0.0;
  dispatch_float(dtype, "round_to", [&]<typename T>() {
    out = static_cast<double>(static_cast<float>(static_cast<T>(static_cast<compute_t<T>>(v))));
  });
  return out;
}

void check(DType dtype, const Case& c, unsigned seed, cudaStream_t stream) {
  const int64_t rows = static_cast<int64_t>(c.rows.size()), d = c.heads * c.head_dim, hd = c.head_dim;
  const std::string what = std::string(dtype_name(dtype)) + " heads " + std::to_string(c.heads) + " head_dim " +
                           std::to_string(hd) + " rows " + std::to_string(rows);
  ASSERT_TRUE(cuda::norm_query_attention_supported(dtype, rows, c.heads, hd, c.max_length)) << what;
  const Tensor residual = random_float(DType::Float32, {rows, d}, seed, -2.0, 3.0);
  const Tensor gamma = random_float(dtype, {d}, seed + 1, 0.5, 1.5), beta = random_float(dtype, {d}, seed + 2, -0.5, 0.5);
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const Tensor wq = random_float(dtype, {d, d}, seed + 3, -scale, scale, 0.0);
  const Tensor bias = random_float(dtype, {d}, seed + 4, -0.3, 0.3);
  std::vector<Tensor> caches;
  std::vector<DeviceTensor> dcaches;
  std::vector<cuda::DecoderAttentionSource> sources;
  for (size_t r = 0; r < c.rows.size(); ++r) {
    caches.push_back(
        random_float(dtype, {kLayers, 2, c.rows[r].capacity, d}, seed + 10 + static_cast<unsigned>(r), -1.0, 1.0));
    dcaches.push_back(upload(caches.back(), stream));
    sources.push_back({dcaches.back().data, c.rows[r].capacity, c.rows[r].length});
  }
  DeviceTensor dres = upload(residual, stream), dg = upload(gamma, stream), db = upload(beta, stream);
  DeviceTensor dwq = upload(wq, stream), dbias = upload(bias, stream);
  DeviceTensor dsrc = poisoned(DType::UInt8, static_cast<int64_t>(sources.size() * sizeof(sources[0])), stream);
  LRE_CUDA_CHECK(cudaMemcpyAsync(dsrc.data, sources.data(), sources.size() * sizeof(sources[0]),
                                 cudaMemcpyHostToDevice, stream));
  const int64_t out_ld = d + 5;
  const auto launch = [&](void* out) {
    cuda::launch_norm_query_attention(dtype, static_cast<const float*>(dres.data), dg.data, db.data, 1e-5f, dwq.data,
                                      c.bias ? dbias.data : nullptr,
                                      static_cast<const cuda::DecoderAttentionSource*>(dsrc.data), kLayer, out,
                                      out_ld, rows, c.heads, hd, c.max_length, stream);
  };
  DeviceTensor dout = poisoned(dtype, rows * out_ld, stream), again = poisoned(dtype, rows * out_ld, stream);
  launch(dout.data);
  launch(again.data);
  const std::vector<double> got = to_doubles(download(dout.data, dtype, {rows, out_ld}, stream));
  // Deterministic: a second launch gives the same bits (NaN poison past d included).
  const Tensor first = download(dout.data, dtype, {rows, out_ld}, stream);
  const Tensor second = download(again.data, dtype, {rows, out_ld}, stream);
  EXPECT_EQ(std::memcmp(first.raw(), second.raw(), first.nbytes()), 0) << what << ": two launches differ";

  const std::vector<double> res = to_doubles(residual), g = to_doubles(gamma), b = to_doubles(beta),
                            w = to_doubles(wq), qb = to_doubles(bias);
  const double rtol = relative_tolerance(dtype);
  // Past each rounding to the dtype the reference repeats, float32 sums (and, in half types, a
  // rounding of x or q that lands the other side of a tie) separate the kernel from float64.
  const double atol = dtype == DType::Float32 ? 2e-5 : 3e-3;
  int64_t bad = 0;
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < d; ++i) mean += res[r * d + i] / d;
    for (int64_t i = 0; i < d; ++i) var += (res[r * d + i] - mean) * (res[r * d + i] - mean) / d;
    std::vector<double> x(static_cast<size_t>(d)), q(static_cast<size_t>(d));
    for (int64_t i = 0; i < d; ++i) x[i] = round_to(dtype, (res[r * d + i] - mean) / std::sqrt(var + 1e-5) * g[i] + b[i]);
    for (int64_t j = 0; j < d; ++j) {
      double s = 0.0;
      for (int64_t i = 0; i < d; ++i) s += x[i] * w[j * d + i];
      q[j] = round_to(dtype, s) + (c.bias ? qb[j] : 0.0);
    }
    const Row& spec = c.rows[static_cast<size_t>(r)];
    const int64_t n = std::max(0, std::min({spec.length, spec.capacity, c.max_length}));
    const std::vector<double> cache = to_doubles(caches[static_cast<size_t>(r)]);
    const size_t key0 = static_cast<size_t>(kLayer * 2 * spec.capacity * d);
    const size_t value0 = static_cast<size_t>((kLayer * 2 + 1) * spec.capacity * d);
    for (int64_t h = 0; h < c.heads; ++h) {
      std::vector<double> p(static_cast<size_t>(n));
      double m = -INFINITY, sum = 0.0;
      for (int64_t t = 0; t < n; ++t) {
        double s = 0.0;
        for (int64_t j = 0; j < hd; ++j) s += q[h * hd + j] * cache[key0 + t * d + h * hd + j];
        p[t] = s;
        m = std::max(m, s);
      }
      for (double& s : p) sum += (s = std::exp(s - m));
      for (int64_t j = 0; j < hd; ++j) {
        double want = 0.0;
        for (int64_t t = 0; t < n; ++t) want += p[t] / sum * cache[value0 + t * d + h * hd + j];
        const double have = got[r * out_ld + h * hd + j];
        if (std::fabs(have - want) <= atol + rtol * std::fabs(want)) continue;
        if (bad++ < 5)
          ADD_FAILURE() << what << ": row " << r << " (length " << spec.length << ") head " << h << " column " << j
                        << " is " << have << ", expected " << want;
      }
    }
    for (int64_t j = d; j < out_ld; ++j)
      EXPECT_TRUE(std::isnan(got[r * out_ld + j])) << what << ": row " << r << " column " << j << " past d written";
  }
  EXPECT_EQ(bad, 0) << what;
}

class CudaNormQueryAttention : public GpuParamTest<DType> {
 protected:
  void SetUp() override {
    GpuParamTest<DType>::SetUp();
    if (!cuda::norm_query_attention_supported(DType::Float32, 1, 1, 64, 64))
      GTEST_SKIP() << "this GPU or build has no thread-block clusters (sm_90)";
  }
};

TEST_P(CudaNormQueryAttention, OneRowOverAWindowOfFrames) {
  check(GetParam(), {4, 64, {{1500, 1500}}, 1500, true}, 1, stream());
}

TEST_P(CudaNormQueryAttention, LengthsAndCaches) {
  // Lengths: a few keys (some blocks of the cluster get none), none, past the capacity (clamped
  // to it), past max_length (clamped to that), a full window, and lengths on either side of a
  // batch of key rounds.
  check(GetParam(), {3, 32, {{8, 5}}, 448, true}, 2, stream());
  check(GetParam(), {3, 32, {{4, 0}}, 448, true}, 3, stream());
  check(GetParam(), {3, 32, {{448, 500}}, 448, false}, 4, stream());
  check(GetParam(), {3, 32, {{600, 600}}, 448, false}, 5, stream());
  check(GetParam(), {2, 64, {{100, 1}}, 1500, true}, 6, stream());
  check(GetParam(), {2, 64, {{3000, 2049}}, 4096, true}, 7, stream());
  check(GetParam(), {2, 64, {{3000, 2056}}, 4096, false}, 8, stream());
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaNormQueryAttention, ::testing::ValuesIn(kFloatTypes));

TEST_F(GpuTest, NormQueryAttentionRefusesWhatItCannotTake) {
  EXPECT_FALSE(cuda::norm_query_attention_supported(DType::Float16, 2, 20, 64, 1500));   // one row only
  EXPECT_FALSE(cuda::norm_query_attention_supported(DType::Float16, 1, 20, 128, 1500));  // a column a warp: 64 at most
  EXPECT_FALSE(cuda::norm_query_attention_supported(DType::Float16, 1, 20, 60, 1500));   // head_dim not a multiple of 8
  EXPECT_FALSE(cuda::norm_query_attention_supported(DType::Float16, 1, 20, 64, 5000));   // max_length
  EXPECT_FALSE(cuda::norm_query_attention_supported(DType::Int32, 1, 20, 64, 1500));
  DeviceTensor a = poisoned(DType::Float32, 64, stream());
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_norm_query_attention(DType::Float16, static_cast<const float*>(a.data), a.data, a.data,
                                                   1e-5f, a.data, nullptr,
                                                   static_cast<const cuda::DecoderAttentionSource*>(a.data), 0, a.data,
                                                   1280, 2, 20, 64, 1500, stream());
               },
               "two rows");
  expect_error(ErrorCode::InvalidArgument,
               [&] {
                 cuda::launch_norm_query_attention(DType::Float16, nullptr, a.data, a.data, 1e-5f, a.data, nullptr,
                                                   static_cast<const cuda::DecoderAttentionSource*>(a.data), 0, a.data,
                                                   1280, 1, 20, 64, 1500, stream());
               },
               "no residual");
}

}  // namespace
}  // namespace lre::test
