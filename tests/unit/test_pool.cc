// MaxPool (values and Indices in both storage orders), AveragePool (with and without padding in
// the count), LpPool and the Global pools against float64 loops over N-D windows.
#include "op_test_util.h"

namespace lre::test {

namespace {

struct PoolCase {
  Shape xs;
  std::vector<int64_t> kernel, strides, dilations, pads;
  bool ceil_mode = false;
};

enum class Kind { Max, Avg, AvgIncludePad, Lp3 };

// Output sizes, values and (for Max) row-major / column-major argmax indices in double.
struct PoolRef {
  Shape shape;
  std::vector<double> values, indices, col_indices;
};

PoolRef ref_pool(const Tensor& x, const PoolCase& c, Kind kind) {
  const size_t r = c.xs.size() - 2;
  std::vector<int64_t> in(c.xs.begin() + 2, c.xs.end()), out(r);
  for (size_t d = 0; d < r; ++d) {
    int64_t span = in[d] + c.pads[d] + c.pads[d + r] - (c.kernel[d] - 1) * c.dilations[d] - 1;
    out[d] = (c.ceil_mode ? (span + c.strides[d] - 1) / c.strides[d] : span / c.strides[d]) + 1;
    if (c.ceil_mode && (out[d] - 1) * c.strides[d] >= in[d] + c.pads[d]) --out[d];
  }
  PoolRef ref;
  ref.shape = {c.xs[0], c.xs[1]};
  ref.shape.insert(ref.shape.end(), out.begin(), out.end());
  std::vector<double> xv = to_doubles(x);
  int64_t plane = 1, out_total = 1, k_total = 1;
  for (size_t d = 0; d < r; ++d) plane *= in[d], out_total *= out[d], k_total *= c.kernel[d];
  for (int64_t p = 0; p < c.xs[0] * c.xs[1]; ++p)
    for (int64_t o = 0; o < out_total; ++o) {
      std::vector<int64_t> oi(r), ki(r), pos(r);
      for (int64_t rest = o, d = static_cast<int64_t>(r) - 1; d >= 0; --d) oi[d] = rest % out[d], rest /= out[d];
      double best = -INFINITY, sum = 0;
      int64_t best_at = -1, inside = 0, padded = 0;
      for (int64_t kf = 0; kf < k_total; ++kf) {
        for (int64_t rest = kf, d = static_cast<int64_t>(r) - 1; d >= 0; --d) ki[d] = rest % c.kernel[d], rest /= c.kernel[d];
        bool in_input = true, in_padded = true;
        int64_t off = 0;
        for (size_t d = 0; d < r; ++d) {
          pos[d] = oi[d] * c.strides[d] - c.pads[d] + ki[d] * c.dilations[d];
          in_input = in_input && pos[d] >= 0 && pos[d] < in[d];
          in_padded = in_padded && pos[d] >= -c.pads[d] && pos[d] < in[d] + c.pads[d + r];
          off = off * in[d] + pos[d];
        }
        padded += in_padded;
        if (!in_input) continue;
        double v = xv[p * plane + off];
        ++inside;
        sum += kind == Kind::Lp3 ? std::pow(std::fabs(v), 3.0) : v;
        if (best_at < 0 || v > best) best = v, best_at = off;
      }
      if (kind == Kind::Max) {
        ref.values.push_back(best);
        ref.indices.push_back(double(p * plane + best_at));
        int64_t cm = 0, rest = best_at;
        std::vector<int64_t> coord(r);
        for (int64_t d = static_cast<int64_t>(r) - 1; d >= 0; --d) coord[d] = rest % in[d], rest /= in[d];
        for (int64_t d = static_cast<int64_t>(r) - 1; d >= 0; --d) cm = cm * in[d] + coord[d];
        ref.col_indices.push_back(double(p * plane + cm));
      } else if (kind == Kind::Lp3) {
        ref.values.push_back(std::cbrt(sum));
      } else {
        ref.values.push_back(sum / double(kind == Kind::AvgIncludePad ? padded : inside));
      }
    }
  return ref;
}

OpTest pool_op(const char* op, const Tensor& x, const PoolCase& c) {
  OpTest t(op);
  t.input("x", x).attr("kernel_shape", c.kernel).attr("strides", c.strides).attr("pads", c.pads);
  if (c.ceil_mode) t.attr("ceil_mode", int64_t(1));
  return t;
}

const PoolCase kCases[] = {
    {{2, 3, 11, 9}, {3, 2}, {2, 1}, {1, 1}, {1, 0, 1, 1}, false},
    {{1, 2, 10, 7}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 0, 1}, true},
    {{3, 1, 13}, {4}, {3}, {1}, {2, 1}, true},
    {{1, 2, 5, 6, 7}, {2, 3, 2}, {1, 2, 2}, {1, 1, 1}, {0, 1, 1, 1, 0, 1}, false},
};

}  // namespace

TEST(MaxPool, ValuesAndIndicesInBothStorageOrders) {
  unsigned seed = 1;
  for (PoolCase c : kCases) {
    for (int dil = 0; dil < 2; ++dil) {
      if (dil) c.dilations.assign(c.kernel.size(), 2), c.pads.assign(2 * c.kernel.size(), 0), c.ceil_mode = false;
      Tensor x = random_tensor(DType::Float32, c.xs, seed++);
      PoolRef want = ref_pool(x, c, Kind::Max);
      for (int64_t order : {0, 1}) {
        OpTest t = pool_op("MaxPool", x, c);
        auto out = t.output("y").output("i").attr("dilations", c.dilations).attr("storage_order", order).run();
        ASSERT_EQ(out[0].shape(), want.shape);
        expect_close(out[0], want.values, 0, 0);
        expect_close(out[1], order ? want.col_indices : want.indices, 0, 0);
      }
    }
  }
}

TEST(MaxPool, Uint8AndAutoPad) {
  PoolCase c{{1, 2, 7, 8}, {3, 3}, {2, 2}, {1, 1}, {1, 1, 1, 1}, false};
  Tensor x = random_tensor(DType::UInt8, c.xs, 9, 0, 255);
  auto out = pool_op("MaxPool", x, c).output("y").run();
  expect_close(out[0], ref_pool(x, c, Kind::Max).values, 0, 0);
  // SAME_UPPER: out = ceil(7/2) x ceil(8/2) = 4 x 4; total pads 2 and 1 -> begins 1 and 0.
  Tensor xf = random_tensor(DType::Float32, c.xs, 10);
  auto same = OpTest("MaxPool").input("x", xf).output("y").attr("kernel_shape", c.kernel).attr("strides", c.strides)
                  .attr("auto_pad", "SAME_UPPER").run();
  PoolCase sc = c;
  sc.pads = {1, 0, 1, 1};
  PoolRef want = ref_pool(xf, sc, Kind::Max);
  ASSERT_EQ(same[0].shape(), want.shape);
  expect_close(same[0], want.values, 0, 0);
}

TEST(AveragePool, CountIncludePadOrNot) {
  unsigned seed = 20;
  for (const PoolCase& c : kCases) {
    Tensor x = random_tensor(DType::Float32, c.xs, seed++);
    for (int64_t include : {0, 1}) {
      OpTest t = pool_op("AveragePool", x, c);
      auto out = t.output("y").attr("count_include_pad", include).run();
      PoolRef want = ref_pool(x, c, include ? Kind::AvgIncludePad : Kind::Avg);
      ASSERT_EQ(out[0].shape(), want.shape);
      expect_close(out[0], want.values);
    }
  }
}

TEST(LpPool, PThree) {
  PoolCase c{{2, 3, 8, 9}, {2, 3}, {2, 2}, {1, 1}, {1, 0, 0, 1}, false};
  Tensor x = random_tensor(DType::Float32, c.xs, 30);
  auto out = pool_op("LpPool", x, c).output("y").attr("p", int64_t(3)).run();
  PoolRef want = ref_pool(x, c, Kind::Lp3);
  ASSERT_EQ(out[0].shape(), want.shape);
  expect_close(out[0], want.values);
}

TEST(GlobalPool, AverageMaxAndLp) {
  Tensor x = random_tensor(DType::Float32, {3, 5, 7, 9}, 40);
  PoolCase c{{3, 5, 7, 9}, {7, 9}, {1, 1}, {1, 1}, {0, 0, 0, 0}, false};
  auto avg = OpTest("GlobalAveragePool").input("x", x).output("y").run();
  ASSERT_EQ(avg[0].shape(), (Shape{3, 5, 1, 1}));
  expect_close(avg[0], ref_pool(x, c, Kind::Avg).values);
  auto mx = OpTest("GlobalMaxPool").input("x", x).output("y").run();
  expect_close(mx[0], ref_pool(x, c, Kind::Max).values, 0, 0);
  auto lp = OpTest("GlobalLpPool").input("x", x).output("y").attr("p", int64_t(3)).run();
  expect_close(lp[0], ref_pool(x, c, Kind::Lp3).values);
  Tensor h = random_tensor(DType::Float16, {2, 3, 5}, 41);
  auto hv = OpTest("GlobalAveragePool").input("x", h).output("y").run();
  ASSERT_EQ(hv[0].dtype(), DType::Float16);
  expect_close(hv[0], ref_pool(h, {{2, 3, 5}, {5}, {1}, {1}, {0, 0}, false}, Kind::Avg).values, 1e-2, 1e-3);
}

TEST(MaxPool, RejectsBadAttributes) {
  Tensor x = random_tensor(DType::Float32, {1, 1, 5, 5}, 1);
  auto expect_error = [&](auto&& configure) {
    OpTest t("MaxPool");
    t.input("x", x).output("y");
    configure(t);
    EXPECT_THROW(t.run(), Error);
  };
  expect_error([](OpTest&) {});  // no kernel_shape
  expect_error([](OpTest& t) { t.attr("kernel_shape", std::vector<int64_t>{3}); });
  expect_error([](OpTest& t) { t.attr("kernel_shape", std::vector<int64_t>{6, 6}); });
  expect_error([](OpTest& t) { t.attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("pads", std::vector<int64_t>{1, 1, 1}); });
  expect_error([](OpTest& t) { t.attr("kernel_shape", std::vector<int64_t>{2, 2}).attr("dilations", std::vector<int64_t>{0, 1}); });
  OpTest bad_rank("AveragePool");
  bad_rank.input("x", random_tensor(DType::Float32, {4, 5}, 2)).output("y").attr("kernel_shape", std::vector<int64_t>{2});
  EXPECT_THROW(bad_rank.run(), Error);
}

}  // namespace lre::test
