// The blocked SGEMM against float64 loops (every size class, transposes, alpha/beta, NaN rules),
// and MatMul, Gemm and MatMulInteger through the engine.
#include <limits>

#include "core/thread_pool.h"
#include "kernels/cpu/gemm.h"
#include "op_test_util.h"

namespace lre::test {

namespace {

// (m, n) = alpha * op(A) * op(B) + beta * C in double, A and B stored with row strides lda/ldb.
std::vector<double> ref_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const std::vector<float>& a,
                             int64_t lda, const std::vector<float>& b, int64_t ldb, double beta,
                             const std::vector<float>& c, int64_t ldc) {
  std::vector<double> out(static_cast<size_t>(m * n));
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t p = 0; p < k; ++p) s += double(ta ? a[p * lda + i] : a[i * lda + p]) * double(tb ? b[j * ldb + p] : b[p * ldb + j]);
      out[i * n + j] = alpha * s + (beta == 0 ? 0.0 : beta * c[i * ldc + j]);
    }
  return out;
}

std::vector<float> random_floats(size_t count, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(count);
  for (float& x : v) x = d(rng);
  return v;
}

// (batch..., m, n) = numpy matmul of a and b in double.
std::vector<double> ref_matmul(const Tensor& a, const Tensor& b, int64_t batch, int64_t m, int64_t n, int64_t k,
                               bool a_batched, bool b_batched) {
  std::vector<double> av = to_doubles(a), bv = to_doubles(b), out(static_cast<size_t>(batch * m * n));
  for (int64_t t = 0; t < batch; ++t)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += av[(a_batched ? t * m * k : 0) + i * k + p] * bv[(b_batched ? t * k * n : 0) + p * n + j];
        out[(t * m + i) * n + j] = s;
      }
  return out;
}

}  // namespace

TEST(GemmF32, MatchesFloat64ForEverySizeAndTranspose) {
  ThreadPool pool(3);
  const int64_t sizes[][3] = {{1, 1, 1}, {1, 37, 29}, {7, 13, 1}, {29, 1, 17}, {67, 45, 131}, {150, 291, 300}, {5, 17, 600}};
  unsigned seed = 1;
  for (auto& s : sizes)
    for (int t = 0; t < 4; ++t) {
      bool ta = t & 1, tb = t & 2;
      int64_t m = s[0], n = s[1], k = s[2];
      int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5;
      auto a = random_floats(static_cast<size_t>((ta ? k : m) * lda), seed++);
      auto b = random_floats(static_cast<size_t>((tb ? n : k) * ldb), seed++);
      auto c = random_floats(static_cast<size_t>(m * ldc), seed++);
      float alpha = 1.5f, beta = t == 3 ? 0.f : -0.5f;
      auto want = ref_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        auto got = c;
        cpu::gemm_f32(ta, tb, m, n, k, alpha, a.data(), lda, b.data(), ldb, beta, got.data(), ldc, p);
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t j = 0; j < n; ++j)
            ASSERT_NEAR(got[i * ldc + j], want[i * n + j], 1e-4 * (1 + std::sqrt(double(k))))
                << m << "x" << n << "x" << k << " ta=" << ta << " tb=" << tb << " at " << i << "," << j;
          for (int64_t j = n; j < ldc; ++j) ASSERT_EQ(got[i * ldc + j], c[i * ldc + j]) << "wrote past n";
        }
      }
    }
}

TEST(GemmF32, BetaZeroNeverReadsC) {
  const int64_t m = 9, n = 21, k = 5;
  auto a = random_floats(m * k, 1), b = random_floats(k * n, 2);
  std::vector<float> c(m * n, std::numeric_limits<float>::quiet_NaN());
  cpu::gemm_f32(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n, nullptr);
  for (float v : c) ASSERT_FALSE(std::isnan(v));
  std::vector<float> c0(m * n, std::numeric_limits<float>::quiet_NaN());
  cpu::gemm_f32(false, false, m, n, 0, 1.f, a.data(), k, b.data(), n, 0.f, c0.data(), n, nullptr);
  for (float v : c0) ASSERT_EQ(v, 0.f);
}

TEST(GemmF32, PropagatesNanAndInfThroughZeros) {
  const int64_t m = 7, n = 19, k = 11;
  std::vector<float> a(m * k, 0.f), b = random_floats(k * n, 3), c(m * n, 0.f);
  b[4 * n + 6] = std::numeric_limits<float>::quiet_NaN();  // 0 * NaN must be NaN
  a[2 * k + 3] = std::numeric_limits<float>::infinity();
  cpu::gemm_f32(false, false, m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n, nullptr);
  for (int64_t i = 0; i < m; ++i) ASSERT_TRUE(std::isnan(c[i * n + 6])) << i;
  ASSERT_TRUE(std::isinf(c[2 * n + 0]) || std::isnan(c[2 * n + 0]));
  ASSERT_EQ(c[0], 0.f);
}

TEST(GemmF32, EmptyAndKZeroScaleC) {
  std::vector<float> c = {1, 2, 3, 4};
  cpu::gemm_f32(false, false, 2, 2, 0, 1.f, nullptr, 1, nullptr, 2, 3.f, c.data(), 2, nullptr);
  EXPECT_EQ(c, (std::vector<float>{3, 6, 9, 12}));
  cpu::gemm_f32(false, false, 0, 2, 4, 1.f, nullptr, 4, nullptr, 2, 0.f, nullptr, 2, nullptr);  // no-op
}

TEST(MatMul, BroadcastsBatchesLikeNumpy) {
  Tensor a = random_tensor(DType::Float32, {3, 1, 5, 7}, 1);
  Tensor b = random_tensor(DType::Float32, {4, 7, 9}, 2);
  auto out = OpTest("MatMul").input("a", a).input("b", b).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{3, 4, 5, 9}));
  std::vector<double> av = to_doubles(a), bv = to_doubles(b), want;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 4; ++j)
      for (int64_t r = 0; r < 5; ++r)
        for (int64_t c = 0; c < 9; ++c) {
          double s = 0;
          for (int64_t p = 0; p < 7; ++p) s += av[(i * 5 + r) * 7 + p] * bv[(j * 7 + p) * 9 + c];
          want.push_back(s);
        }
  expect_close(out[0], want);
}

TEST(MatMul, SharedRightOperandAndVectors) {
  Tensor a = random_tensor(DType::Float32, {2, 3, 5, 33}, 3);
  Tensor b = random_tensor(DType::Float32, {33, 17}, 4);
  auto out = OpTest("MatMul").input("a", a).input("b", b).output("y").run();
  ASSERT_EQ(out[0].shape(), (Shape{2, 3, 5, 17}));
  expect_close(out[0], ref_matmul(a, b, 6, 5, 17, 33, true, false));

  Tensor v = random_tensor(DType::Float32, {33}, 5);
  auto mv = OpTest("MatMul").input("a", a).input("v", v).output("y").run();
  ASSERT_EQ(mv[0].shape(), (Shape{2, 3, 5}));
  expect_close(mv[0], ref_matmul(a, v, 6, 5, 1, 33, true, false));
  Tensor w = random_tensor(DType::Float32, {5}, 6);
  auto vm = OpTest("MatMul").input("w", w).input("a", a).output("y").run();
  ASSERT_EQ(vm[0].shape(), (Shape{2, 3, 33}));
  expect_close(vm[0], ref_matmul(w, a, 6, 1, 33, 5, false, true));
  auto dot = OpTest("MatMul").input("v", v).input("u", v).output("y").run();
  ASSERT_EQ(dot[0].shape(), Shape{});
}

TEST(MatMul, OtherDtypes) {
  for (DType t : {DType::Int32, DType::Int64, DType::Float64, DType::Float16, DType::UInt32}) {
    Tensor a = random_tensor(t, {2, 3, 5}, 7, 0, 9), b = random_tensor(t, {2, 5, 4}, 8, 0, 9);
    auto out = OpTest("MatMul").input("a", a).input("b", b).output("y").run();
    ASSERT_EQ(out[0].dtype(), t);
    expect_close(out[0], ref_matmul(a, b, 2, 3, 4, 5, true, true), t == DType::Float16 ? 1e-2 : 1e-9);
  }
}

TEST(MatMul, RejectsMismatchedInnerDimension) {
  OpTest t("MatMul");
  t.input("a", random_tensor(DType::Float32, {3, 4}, 1)).input("b", random_tensor(DType::Float32, {5, 2}, 2)).output("y");
  EXPECT_THROW(t.run(), Error);
  OpTest u("MatMul");
  u.input("a", random_tensor(DType::Float32, {2, 3, 4}, 1)).input("b", random_tensor(DType::Float32, {3, 4, 2}, 2)).output("y");
  EXPECT_THROW(u.run(), Error);
}

TEST(Gemm, TransposesAlphaBetaAndBroadcastBias) {
  const int64_t m = 13, n = 11, k = 7;
  for (int t = 0; t < 4; ++t) {
    bool ta = t & 1, tb = t & 2;
    Tensor a = random_tensor(DType::Float32, ta ? Shape{k, m} : Shape{m, k}, 10 + t);
    Tensor b = random_tensor(DType::Float32, tb ? Shape{n, k} : Shape{k, n}, 20 + t);
    for (Shape cs : {Shape{n}, Shape{m, 1}, Shape{}, Shape{m, n}}) {
      Tensor c = random_tensor(DType::Float32, cs, 30);
      auto out = OpTest("Gemm").input("a", a).input("b", b).input("c", c).output("y")
                     .attr("transA", int64_t(ta)).attr("transB", int64_t(tb)).attr("alpha", 0.75f).attr("beta", 2.0f).run();
      std::vector<float> af(a.data<float>(), a.data<float>() + a.numel()), bf(b.data<float>(), b.data<float>() + b.numel());
      std::vector<float> cf(static_cast<size_t>(m * n));
      std::vector<double> cd = to_doubles(c);
      for (int64_t i = 0; i < m; ++i)
        for (int64_t j = 0; j < n; ++j)
          cf[i * n + j] = static_cast<float>(cs.size() == 2 ? (cs[1] == 1 ? cd[i] : cd[i * n + j]) : cs.empty() ? cd[0] : cd[j]);
      expect_close(out[0], ref_gemm(ta, tb, m, n, k, 0.75, af, ta ? m : k, bf, tb ? k : n, 2.0, cf, n));
    }
  }
}

TEST(Gemm, WithoutBiasAndInDouble) {
  Tensor a = random_tensor(DType::Float64, {5, 3}, 1), b = random_tensor(DType::Float64, {3, 9}, 2);
  auto out = OpTest("Gemm").input("a", a).input("b", b).output("y").run();
  expect_close(out[0], ref_matmul(a, b, 1, 5, 9, 3, false, false), 1e-12);
}

TEST(Gemm, RejectsBadShapes) {
  OpTest t("Gemm");
  t.input("a", random_tensor(DType::Float32, {3, 4}, 1)).input("b", random_tensor(DType::Float32, {4, 5}, 2))
      .input("c", random_tensor(DType::Float32, {2, 5}, 3)).output("y");
  EXPECT_THROW(t.run(), Error);
  OpTest u("Gemm");
  u.input("a", random_tensor(DType::Float32, {3, 4}, 1)).input("b", random_tensor(DType::Float32, {5, 4}, 2)).output("y");
  EXPECT_THROW(u.run(), Error);
  OpTest v("Gemm");
  v.input("a", random_tensor(DType::Float32, {2, 3, 4}, 1)).input("b", random_tensor(DType::Float32, {4, 4}, 2)).output("y");
  EXPECT_THROW(v.run(), Error);
}

TEST(MatMulInteger, SubtractsZeroPoints) {
  Tensor a = random_tensor(DType::UInt8, {3, 5}, 1, 0, 255), b = random_tensor(DType::Int8, {5, 7}, 2, -128, 127);
  Tensor azp = make_tensor<uint8_t>({}, {12}), bzp = make_tensor<int8_t>({7}, {1, -2, 3, 0, 5, -6, 7});
  auto out = OpTest("MatMulInteger").input("a", a).input("b", b).input("azp", azp).input("bzp", bzp).output("y").run();
  ASSERT_EQ(out[0].dtype(), DType::Int32);
  std::vector<double> want;
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 7; ++j) {
      double s = 0;
      for (int64_t p = 0; p < 5; ++p) s += (a.data<uint8_t>()[i * 5 + p] - 12.0) * (b.data<int8_t>()[p * 7 + j] - bzp.data<int8_t>()[j]);
      want.push_back(s);
    }
  expect_close(out[0], want, 0, 0);
  OpTest bad("MatMulInteger");
  bad.input("a", random_tensor(DType::Float32, {3, 5}, 1)).input("b", b).output("y");
  EXPECT_THROW(bad.run(), Error);
}

}  // namespace lre::test
