// launch_gemv_rows against a float64 product: every row count it takes, the Whisper shapes
// (square, MLP up and down, the vocabulary projection), half-type operands into float32 outputs,
// accumulation into y, poisoned outputs, key and value columns stored into KV caches, chains of
// products that overlap (each reading the last one's output and overwriting what it read), and the
// operands it refuses.
#include <cmath>
#include <tuple>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/gemv.cuh"

namespace lre::test {
namespace {

std::vector<double> values(const Tensor& t) {
  std::vector<double> v(static_cast<size_t>(t.numel()));
  dispatch_float(t.dtype(), "values", [&]<typename T>() {
    for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<double>(static_cast<float>(t.data<T>()[i]));
  });
  return v;
}

using Case = std::tuple<DType, DType, int64_t, int64_t, int64_t, float>;  // dtype, y dtype, rows, in, out, beta

class CudaGemvRows : public GpuParamTest<Case> {};

TEST_P(CudaGemvRows, MatchesFloat64Product) {
  const auto [dtype, y_dtype, rows, in, out, beta] = GetParam();
  const Tensor x = random_float(dtype, {rows, in}, 1, -1.0, 1.0);
  const Tensor w = random_float(dtype, {out, in}, 2, -1.0, 1.0);
  const Tensor y0 = random_float(y_dtype, {rows, out}, 3, -1.0, 1.0);
  DeviceTensor dx = upload(x, stream()), dw = upload(w, stream());
  DeviceTensor dy = beta != 0.f ? upload(y0, stream()) : poisoned(y_dtype, rows * out, stream());
  ASSERT_TRUE(cuda::gemv_rows_supported(dtype, rows, in, dx.data, dw.data));
  cuda::launch_gemv_rows(dtype, y_dtype, dx.data, dw.data, dy.data, rows, in, out, beta, stream());
  const Tensor y = download(dy.data, y_dtype, {rows, out}, stream());

  const std::vector<double> xv = values(x), wv = values(w), y0v = values(y0), got = values(y);
  double max_err = 0.0;
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = 0.0, mag = 0.0;
      for (int64_t i = 0; i < in; ++i) {
        s += xv[r * in + i] * wv[o * in + i];
        mag += std::abs(xv[r * in + i] * wv[o * in + i]);
      }
      if (beta != 0.f) s += beta * y0v[r * out + o];
      // Float32 accumulation error grows with the sum of magnitudes; the output rounding with |s|.
      const double tol = 1e-6 * mag + relative_tolerance(y_dtype) * std::abs(s) + 1e-6;
      const double err = std::abs(got[r * out + o] - s);
      ASSERT_LE(err, tol) << "row " << r << " col " << o << ": " << got[r * out + o] << " vs " << s;
      max_err = std::max(max_err, err);
    }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, CudaGemvRows,
    ::testing::Values(Case{DType::Float16, DType::Float16, 1, 8, 1, 0.f}, Case{DType::Float16, DType::Float32, 1, 1280, 3840, 0.f},
                      Case{DType::Float16, DType::Float32, 3, 1280, 1280, 1.f},
                      Case{DType::Float16, DType::Float16, 8, 1280, 5120, 0.f},
                      Case{DType::BFloat16, DType::Float32, 5, 5120, 1280, 1.f},
                      Case{DType::BFloat16, DType::BFloat16, 2, 384, 37, 0.f},
                      Case{DType::Float32, DType::Float32, 7, 388, 1281, 1.f},
                      Case{DType::Float32, DType::Float32, 4, 4, 3, 0.f},
                      Case{DType::Float16, DType::Float32, 1, 1280, 51866, 0.f}));

// The fused form: layer norm of float32 residual rows in the prologue, bias and GELU in the epilogue.
class CudaGemvFused : public GpuParamTest<DType> {};

TEST_P(CudaGemvFused, NormBiasGeluMatchFloat64) {
  const DType dtype = GetParam();
  const int64_t rows = 3, in = 1280, out = 640;
  const Tensor res = random_float(DType::Float32, {rows, in}, 4, -2.0, 3.0);
  const Tensor gamma = random_float(dtype, {in}, 5, 0.5, 1.5), beta = random_float(dtype, {in}, 6, -0.5, 0.5);
  const Tensor w = random_float(dtype, {out, in}, 7, -0.1, 0.1), bias = random_float(dtype, {out}, 8, -1.0, 1.0);
  DeviceTensor dres = upload(res, stream()), dg = upload(gamma, stream()), db = upload(beta, stream());
  DeviceTensor dw = upload(w, stream()), dbias = upload(bias, stream());
  DeviceTensor dy = poisoned(DType::Float32, rows * out, stream());
  cuda::GemvFusion f;
  f.residual = static_cast<const float*>(dres.data);
  f.gamma = dg.data;
  f.beta_ln = db.data;
  f.eps = 1e-5f;
  f.bias = dbias.data;
  f.gelu = true;
  cuda::launch_gemv_rows(dtype, DType::Float32, nullptr, dw.data, dy.data, rows, in, out, 0.f, stream(), f);
  const std::vector<double> got = values(download(dy.data, DType::Float32, {rows, out}, stream()));
  const std::vector<double> rv = values(res), gv = values(gamma), bv = values(beta), wv = values(w), biv = values(bias);
  for (int64_t r = 0; r < rows; ++r) {
    double mean = 0, var = 0;
    for (int64_t i = 0; i < in; ++i) mean += rv[r * in + i] / in;
    for (int64_t i = 0; i < in; ++i) var += (rv[r * in + i] - mean) * (rv[r * in + i] - mean) / in;
    for (int64_t o = 0; o < out; ++o) {
      double s = biv[o];
      for (int64_t i = 0; i < in; ++i)
        s += ((rv[r * in + i] - mean) / std::sqrt(var + 1e-5) * gv[i] + bv[i]) * wv[o * in + i];
      const double want = 0.5 * s * (1.0 + std::erf(s / std::sqrt(2.0)));
      // The normalised rows are rounded to the dtype before the product, as a separate norm stores them.
      ASSERT_NEAR(got[r * out + o], want, 2e-4 + 4.0 * relative_tolerance(dtype) * (std::abs(want) + 0.1))
          << "row " << r << " col " << o;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaGemvFused, ::testing::ValuesIn(kFloatTypes));

// The self-attention form: the key and value columns of a QKV product also land in each row's
// cache at its position (rows sharing a cache, a position past the capacity stored nowhere).
class CudaGemvKvAppend : public GpuParamTest<DType> {};

TEST_P(CudaGemvKvAppend, KeyAndValueColumnsReachTheCaches) {
  const DType dtype = GetParam();
  const int64_t rows = 4, d = 64, in = 256, out = 3 * d, layers = 2, layer = 1, capacity = 8;
  const std::vector<int> positions = {3, 0, 5, 8};  // row 3 lies past the capacity
  const std::vector<int> cache_of = {0, 1, 0, 1};
  const Tensor x = random_float(dtype, {rows, in}, 11, -1.0, 1.0), w = random_float(dtype, {out, in}, 12, -0.2, 0.2);
  DeviceTensor dx = upload(x, stream()), dw = upload(w, stream());
  DeviceTensor dy = poisoned(dtype, rows * out, stream());
  const int64_t cache_elems = layers * 2 * capacity * d;
  std::vector<DeviceTensor> caches;
  for (int c = 0; c < 2; ++c) caches.push_back(poisoned(dtype, cache_elems, stream()));
  std::vector<void*> bases;
  for (int64_t r = 0; r < rows; ++r) bases.push_back(caches[static_cast<size_t>(cache_of[r])].data);
  DeviceTensor dbases = poisoned(DType::Int64, rows, stream()), dpos = poisoned(DType::Int32, rows, stream());
  LRE_CUDA_CHECK(cudaMemcpyAsync(dbases.data, bases.data(), rows * sizeof(void*), cudaMemcpyHostToDevice, stream()));
  LRE_CUDA_CHECK(cudaMemcpyAsync(dpos.data, positions.data(), rows * sizeof(int), cudaMemcpyHostToDevice, stream()));
  cuda::GemvFusion f;
  f.kv = {static_cast<void* const*>(dbases.data), static_cast<const int*>(dpos.data), d, d, layer, capacity};
  cuda::launch_gemv_rows(dtype, dtype, dx.data, dw.data, dy.data, rows, in, out, 0.f, stream(), f);
  const std::vector<double> y = values(download(dy.data, dtype, {rows, out}, stream()));
  const std::vector<double> xv = values(x), wv = values(w);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t o = 0; o < out; ++o) {
      double s = 0.0;
      for (int64_t i = 0; i < in; ++i) s += xv[r * in + i] * wv[o * in + i];
      ASSERT_NEAR(y[r * out + o], s, 1e-4 + relative_tolerance(dtype) * std::abs(s)) << "row " << r << " col " << o;
    }
  for (int c = 0; c < 2; ++c) {
    const std::vector<double> cache =
        values(download(caches[static_cast<size_t>(c)].data, dtype, {cache_elems}, stream()));
    int64_t stored = 0, expected = 0;
    for (int64_t r = 0; r < rows; ++r)
      if (cache_of[r] == c && positions[r] < capacity) expected += 2 * d;  // its key and value rows
    for (int64_t l = 0; l < layers; ++l)
      for (int64_t kv = 0; kv < 2; ++kv)
        for (int64_t t = 0; t < capacity; ++t) {
          int64_t writer = -1;
          for (int64_t r = 0; r < rows; ++r)
            if (l == layer && cache_of[r] == c && positions[r] == t) writer = r;
          for (int64_t j = 0; j < d; ++j) {
            const double got = cache[((l * 2 + kv) * capacity + t) * d + j];
            if (writer < 0) {
              ASSERT_TRUE(std::isnan(got)) << "cache " << c << " layer " << l << " row " << t << " was written";
            } else {
              // Bit for bit the value y holds: one rounding of one sum.
              ASSERT_EQ(got, y[writer * out + d + kv * d + j]) << "cache " << c << " row " << t << " col " << j;
              ++stored;
            }
          }
        }
    EXPECT_EQ(stored, expected) << "cache " << c;
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaGemvKvAppend, ::testing::ValuesIn(kFloatTypes));

// Forty products in a chain on one stream, ping-ponging two buffers: each launch may start while
// the last runs, so it must wait before reading its input (written by the last) and before
// writing its output (read by the last). The float64 chain rounds to float32 where the kernels do.
TEST_F(GpuTest, GemvChainsOverlapWithoutRaces) {
  const int64_t rows = 2, n = 1280, steps = 40;
  const Tensor x = random_float(DType::Float32, {rows, n}, 21, -1.0, 1.0);
  const double scale = 1.0 / std::sqrt(static_cast<double>(n));  // keeps the rows' size along the chain
  std::vector<Tensor> ws;
  std::vector<DeviceTensor> dws;
  for (int i = 0; i < 3; ++i) {
    ws.push_back(random_float(DType::Float32, {n, n}, 22 + static_cast<unsigned>(i), -std::sqrt(3.0) * scale,
                              std::sqrt(3.0) * scale, 0.0));
    dws.push_back(upload(ws.back(), stream()));
  }
  DeviceTensor a = upload(x, stream()), b = poisoned(DType::Float32, rows * n, stream());
  for (int64_t k = 0; k < steps; ++k) {
    const DeviceTensor& from = k % 2 ? b : a;
    const DeviceTensor& to = k % 2 ? a : b;
    cuda::launch_gemv_rows(DType::Float32, DType::Float32, from.data, dws[static_cast<size_t>(k % 3)].data, to.data,
                           rows, n, n, 0.f, stream());
  }
  const std::vector<double> got = values(download((steps % 2 ? b : a).data, DType::Float32, {rows, n}, stream()));
  std::vector<double> cur = values(x), next(cur.size());
  std::vector<std::vector<double>> wv;
  for (const Tensor& w : ws) wv.push_back(values(w));
  for (int64_t k = 0; k < steps; ++k) {
    const std::vector<double>& w = wv[static_cast<size_t>(k % 3)];
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < n; ++o) {
        double s = 0.0;
        for (int64_t i = 0; i < n; ++i) s += cur[r * n + i] * w[o * n + i];
        next[r * n + o] = static_cast<float>(s);
      }
    std::swap(cur, next);
  }
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_NEAR(got[i], cur[i], 1e-3 * (std::abs(cur[i]) + 1.0)) << "element " << i;
}

TEST_F(GpuTest, GemvRowsRefusesWhatItCannotTake) {
  DeviceTensor a = poisoned(DType::Float16, 64, stream());
  EXPECT_FALSE(cuda::gemv_rows_supported(DType::Float16, 9, 16, a.data, a.data));   // too many rows
  EXPECT_FALSE(cuda::gemv_rows_supported(DType::Float16, 1, 12, a.data, a.data));   // in not a multiple of 8
  EXPECT_FALSE(cuda::gemv_rows_supported(DType::Float16, 1, 16, static_cast<char*>(a.data) + 2, a.data));
  EXPECT_FALSE(cuda::gemv_rows_supported(DType::Int32, 1, 16, a.data, a.data));
  EXPECT_TRUE(cuda::gemv_rows_supported(DType::Float16, 8, 16, a.data, a.data));
  EXPECT_THROW(cuda::launch_gemv_rows(DType::Float16, DType::Float16, a.data, a.data, a.data, 9, 16, 1, 0.f, stream()),
               Error);
  EXPECT_THROW(
      cuda::launch_gemv_rows(DType::Float16, DType::BFloat16, a.data, a.data, a.data, 1, 16, 1, 0.f, stream()), Error);
  cuda::GemvFusion kv;  // caches of the product's dtype only, and columns inside the product
  kv.kv = {reinterpret_cast<void* const*>(a.data), static_cast<const int*>(a.data), 0, 8, 0, 4};
  EXPECT_THROW(cuda::launch_gemv_rows(DType::Float16, DType::Float32, a.data, a.data, a.data, 1, 16, 16, 0.f,
                                      stream(), kv),
               Error);
  kv.kv.first_col = 1;
  EXPECT_THROW(cuda::launch_gemv_rows(DType::Float16, DType::Float16, a.data, a.data, a.data, 1, 16, 16, 0.f,
                                      stream(), kv),
               Error);
}

}  // namespace
}  // namespace lre::test
