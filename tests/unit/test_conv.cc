// Conv, ConvInteger and ConvTranspose against float64 loops over N-D windows: strides,
// dilations, pads, auto_pad, groups (depthwise included) and the transpose's output sizing.
#include "op_test_util.h"

namespace lre::test {

namespace {

struct Window {
  std::vector<int64_t> strides, dilations, pads;  // pads: begins then ends
};

// Visits every multi-index of `dims` (row-major).
template <typename F>
void for_each_index(const std::vector<int64_t>& dims, F&& f) {
  int64_t total = 1;
  for (int64_t d : dims) total *= d;
  std::vector<int64_t> idx(dims.size());
  for (int64_t t = 0; t < total; ++t) {
    int64_t rest = t;
    for (size_t d = dims.size(); d-- > 0;) {
      idx[d] = rest % dims[d];
      rest /= dims[d];
    }
    f(idx);
  }
}

int64_t flat(const std::vector<int64_t>& idx, const std::vector<int64_t>& dims) {
  int64_t o = 0;
  for (size_t d = 0; d < dims.size(); ++d) o = o * dims[d] + idx[d];
  return o;
}

// Y (N, M, out...) of a grouped convolution, computed directly in double.
std::vector<double> ref_conv(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group, const Window& win,
                             Shape& out_shape) {
  const size_t r = x.rank() - 2;
  std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end()), k(w.shape().begin() + 2, w.shape().end()), out(r);
  for (size_t d = 0; d < r; ++d)
    out[d] = (in[d] + win.pads[d] + win.pads[d + r] - (k[d] - 1) * win.dilations[d] - 1) / win.strides[d] + 1;
  const int64_t n = x.dim(0), c = x.dim(1), m = w.dim(0), cg = c / group, mg = m / group;
  int64_t in_sz = 1, k_sz = 1;
  for (size_t d = 0; d < r; ++d) in_sz *= in[d], k_sz *= k[d];
  out_shape = {n, m};
  out_shape.insert(out_shape.end(), out.begin(), out.end());
  std::vector<double> xv = to_doubles(x), wv = to_doubles(w), bv = b ? to_doubles(*b) : std::vector<double>(), y;
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t mi = 0; mi < m; ++mi)
      for_each_index(out, [&](const std::vector<int64_t>& o) {
        double s = b ? bv[mi] : 0.0;
        for (int64_t ci = 0; ci < cg; ++ci)
          for_each_index(k, [&](const std::vector<int64_t>& kk) {
            std::vector<int64_t> pos(r);
            for (size_t d = 0; d < r; ++d) {
              pos[d] = o[d] * win.strides[d] - win.pads[d] + kk[d] * win.dilations[d];
              if (pos[d] < 0 || pos[d] >= in[d]) return;
            }
            int64_t xc = (mi / mg) * cg + ci;
            s += xv[(ni * c + xc) * in_sz + flat(pos, in)] * wv[(mi * cg + ci) * k_sz + flat(kk, k)];
          });
        y.push_back(s);
      });
  return y;
}

// Y (N, M, out...) of a transposed convolution: every input element scatters its window.
std::vector<double> ref_conv_transpose(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group,
                                       const Window& win, const std::vector<int64_t>& out) {
  const size_t r = x.rank() - 2;
  std::vector<int64_t> in(x.shape().begin() + 2, x.shape().end()), k(w.shape().begin() + 2, w.shape().end());
  const int64_t n = x.dim(0), c = x.dim(1), cg = c / group, mg = w.dim(1), m = mg * group;
  int64_t in_sz = 1, out_sz = 1, k_sz = 1;
  for (size_t d = 0; d < r; ++d) in_sz *= in[d], out_sz *= out[d], k_sz *= k[d];
  std::vector<double> xv = to_doubles(x), wv = to_doubles(w), y(static_cast<size_t>(n * m * out_sz), 0.0);
  for (int64_t ni = 0; ni < n; ++ni)
    for (int64_t ci = 0; ci < c; ++ci)
      for_each_index(in, [&](const std::vector<int64_t>& i) {
        for (int64_t mj = 0; mj < mg; ++mj)
          for_each_index(k, [&](const std::vector<int64_t>& kk) {
            std::vector<int64_t> pos(r);
            for (size_t d = 0; d < r; ++d) {
              pos[d] = i[d] * win.strides[d] - win.pads[d] + kk[d] * win.dilations[d];
              if (pos[d] < 0 || pos[d] >= out[d]) return;
            }
            int64_t mo = (ci / cg) * mg + mj;
            y[(ni * m + mo) * out_sz + flat(pos, out)] +=
                xv[(ni * c + ci) * in_sz + flat(i, in)] * wv[(ci * mg + mj) * k_sz + flat(kk, k)];
          });
      });
  if (b) {
    std::vector<double> bv = to_doubles(*b);
    for (int64_t ni = 0; ni < n; ++ni)
      for (int64_t mo = 0; mo < m; ++mo)
        for (int64_t p = 0; p < out_sz; ++p) y[(ni * m + mo) * out_sz + p] += bv[mo];
  }
  return y;
}

std::vector<Tensor> run_conv(const Tensor& x, const Tensor& w, const Tensor* b, int64_t group, const Window& win) {
  OpTest t("Conv");
  t.input("x", x).constant_input("w", w);
  if (b) t.constant_input("b", *b);
  t.output("y").attr("group", group).attr("strides", win.strides).attr("dilations", win.dilations).attr("pads", win.pads);
  return t.run();
}

void check_conv(Shape xs, Shape ws, int64_t group, Window win, bool bias, unsigned seed) {
  Tensor x = random_tensor(DType::Float32, xs, seed), w = random_tensor(DType::Float32, ws, seed + 1);
  Tensor b = random_tensor(DType::Float32, {ws[0]}, seed + 2);
  Shape want_shape;
  auto want = ref_conv(x, w, bias ? &b : nullptr, group, win, want_shape);
  auto got = run_conv(x, w, bias ? &b : nullptr, group, win);
  ASSERT_EQ(got[0].shape(), want_shape);
  expect_close(got[0], want, 1e-4, 1e-5);
}

}  // namespace

TEST(Conv, TwoDimensionalWithStridesDilationsAndPads) {
  check_conv({2, 3, 11, 13}, {5, 3, 3, 2}, 1, {{2, 1}, {1, 2}, {1, 0, 2, 1}}, true, 1);
  check_conv({1, 7, 9, 9}, {9, 7, 1, 1}, 1, {{1, 1}, {1, 1}, {0, 0, 0, 0}}, true, 4);  // pointwise
  check_conv({1, 3, 5, 7}, {4, 3, 5, 7}, 1, {{1, 1}, {1, 1}, {0, 0, 0, 0}}, false, 7);  // one output
}

TEST(Conv, OneAndThreeDimensional) {
  check_conv({3, 2, 17}, {5, 2, 3}, 1, {{2}, {2}, {1, 2}}, true, 10);
  check_conv({1, 2, 5, 6, 7}, {3, 2, 2, 3, 2}, 1, {{1, 2, 1}, {1, 1, 2}, {1, 0, 1, 0, 1, 1}}, true, 13);
}

TEST(Conv, GroupsAndDepthwise) {
  check_conv({2, 6, 9, 11}, {4, 3, 3, 3}, 2, {{1, 1}, {1, 1}, {1, 1, 1, 1}}, true, 20);
  check_conv({2, 3, 10, 13}, {6, 1, 3, 3}, 3, {{2, 1}, {1, 1}, {1, 1, 1, 1}}, true, 23);  // multiplier 2
  check_conv({1, 5, 9, 7}, {5, 1, 3, 5}, 5, {{1, 2}, {2, 1}, {2, 0, 1, 3}}, false, 26);
  check_conv({1, 4, 23}, {4, 1, 5}, 4, {{3}, {1}, {2, 2}}, true, 29);
}

TEST(Conv, AutoPadSameAndValid) {
  Tensor x = random_tensor(DType::Float32, {1, 2, 7, 8}, 40), w = random_tensor(DType::Float32, {3, 2, 4, 3}, 41);
  // SAME: out = ceil(in / stride); SAME_UPPER puts the odd pad at the end, SAME_LOWER at the start.
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER"}) {
    auto got = OpTest("Conv").input("x", x).constant_input("w", w).output("y").attr("auto_pad", mode)
                   .attr("strides", std::vector<int64_t>{2, 1}).run();
    ASSERT_EQ(got[0].shape(), (Shape{1, 3, 4, 8}));
    // H: total = (4-1)*2 + 4 - 7 = 3; W: total = 7 + 3 - 8 = 2.
    bool upper = std::string(mode) == "SAME_UPPER";
    Window win{{2, 1}, {1, 1}, {upper ? 1 : 2, 1, upper ? 2 : 1, 1}};
    Shape shape;
    expect_close(got[0], ref_conv(x, w, nullptr, 1, win, shape), 1e-4, 1e-5);
  }
  auto valid = OpTest("Conv").input("x", x).constant_input("w", w).output("y").attr("auto_pad", "VALID")
                   .attr("pads", std::vector<int64_t>{1, 1, 1, 1}).run();
  Shape shape;
  expect_close(valid[0], ref_conv(x, w, nullptr, 1, {{1, 1}, {1, 1}, {0, 0, 0, 0}}, shape), 1e-4, 1e-5);
  ASSERT_EQ(valid[0].shape(), shape);
}

TEST(Conv, HalfAndDouble) {
  for (DType t : {DType::Float16, DType::Float64}) {
    Tensor x = random_tensor(t, {1, 2, 6, 5}, 50), w = random_tensor(t, {3, 2, 3, 3}, 51);
    auto got = OpTest("Conv").input("x", x).constant_input("w", w).output("y").attr("pads", std::vector<int64_t>{1, 1, 1, 1}).run();
    Shape shape;
    ASSERT_EQ(got[0].dtype(), t);
    expect_close(got[0], ref_conv(x, w, nullptr, 1, {{1, 1}, {1, 1}, {1, 1, 1, 1}}, shape), t == DType::Float16 ? 1e-2 : 1e-5, 1e-2);
  }
}

TEST(Conv, RejectsBadShapesAndAttributes) {
  Tensor x = random_tensor(DType::Float32, {1, 3, 5, 5}, 1);
  auto expect_error = [&](Tensor w, auto&& configure) {
    OpTest t("Conv");
    t.input("x", x).constant_input("w", w).output("y");
    configure(t);
    EXPECT_THROW(t.run(), Error);
  };
  expect_error(random_tensor(DType::Float32, {2, 2, 3, 3}, 2), [](OpTest&) {});  // channel mismatch
  expect_error(random_tensor(DType::Float32, {2, 3, 3, 3}, 2), [](OpTest& t) { t.attr("auto_pad", "SAME"); });
  expect_error(random_tensor(DType::Float32, {2, 3, 3, 3}, 2), [](OpTest& t) { t.attr("pads", std::vector<int64_t>{1, 1}); });
  expect_error(random_tensor(DType::Float32, {2, 3, 3, 3}, 2), [](OpTest& t) { t.attr("strides", std::vector<int64_t>{0, 1}); });
  expect_error(random_tensor(DType::Float32, {2, 3, 7, 7}, 2), [](OpTest&) {});  // kernel larger than input
  expect_error(random_tensor(DType::Float32, {3, 1, 3, 3}, 2), [](OpTest& t) { t.attr("group", int64_t(2)); });
  expect_error(random_tensor(DType::Float32, {2, 3, 3}, 2), [](OpTest&) {});  // rank mismatch
}

TEST(ConvInteger, MatchesFloatReference) {
  Tensor x = random_tensor(DType::UInt8, {1, 2, 6, 7}, 1, 0, 255), w = random_tensor(DType::UInt8, {3, 2, 3, 2}, 2, 0, 255);
  Tensor xzp = make_tensor<uint8_t>({}, {100}), wzp = make_tensor<uint8_t>({}, {7});
  auto got = OpTest("ConvInteger").input("x", x).input("w", w).input("xzp", xzp).input("wzp", wzp).output("y")
                 .attr("pads", std::vector<int64_t>{1, 0, 1, 1}).run();
  Tensor xf(DType::Float64, x.shape()), wf(DType::Float64, w.shape());
  for (int64_t i = 0; i < x.numel(); ++i) xf.data<double>()[i] = x.data<uint8_t>()[i] - 100.0;
  for (int64_t i = 0; i < w.numel(); ++i) wf.data<double>()[i] = w.data<uint8_t>()[i] - 7.0;
  Shape shape;
  auto want = ref_conv(xf, wf, nullptr, 1, {{1, 1}, {1, 1}, {1, 0, 1, 1}}, shape);
  ASSERT_EQ(got[0].shape(), shape);
  ASSERT_EQ(got[0].dtype(), DType::Int32);
  expect_close(got[0], want, 0, 0);
}

TEST(ConvTranspose, StridesPadsGroupsAndOutputPadding) {
  struct Case {
    Shape xs, ws;
    int64_t group;
    Window win;
    std::vector<int64_t> output_padding;
  };
  const Case cases[] = {
      {{2, 3, 5, 7}, {3, 2, 3, 3}, 1, {{2, 2}, {1, 1}, {1, 0, 1, 2}}, {1, 0}},
      {{1, 4, 6, 5}, {4, 3, 2, 3}, 2, {{1, 3}, {2, 1}, {0, 1, 0, 1}}, {0, 2}},
      {{2, 2, 9}, {2, 3, 4}, 1, {{3}, {2}, {2, 1}}, {1}},
      {{1, 2, 3, 4, 3}, {2, 2, 2, 3, 2}, 1, {{2, 1, 2}, {1, 1, 1}, {0, 1, 0, 1, 0, 1}}, {0, 0, 1}},
  };
  unsigned seed = 60;
  for (const Case& c : cases) {
    Tensor x = random_tensor(DType::Float32, c.xs, seed++), w = random_tensor(DType::Float32, c.ws, seed++);
    Tensor b = random_tensor(DType::Float32, {c.ws[1] * c.group}, seed++);
    const size_t r = c.xs.size() - 2;
    std::vector<int64_t> out(r);
    for (size_t d = 0; d < r; ++d)
      out[d] = c.win.strides[d] * (c.xs[d + 2] - 1) + c.output_padding[d] + (c.ws[d + 2] - 1) * c.win.dilations[d] + 1 -
               c.win.pads[d] - c.win.pads[d + r];
    auto got = OpTest("ConvTranspose").input("x", x).constant_input("w", w).constant_input("b", b).output("y")
                   .attr("group", c.group).attr("strides", c.win.strides).attr("dilations", c.win.dilations)
                   .attr("pads", c.win.pads).attr("output_padding", c.output_padding).run();
    Shape want_shape{c.xs[0], c.ws[1] * c.group};
    want_shape.insert(want_shape.end(), out.begin(), out.end());
    ASSERT_EQ(got[0].shape(), want_shape);
    expect_close(got[0], ref_conv_transpose(x, w, &b, c.group, c.win, out), 1e-4, 1e-5);
  }
}

TEST(ConvTranspose, OutputShapeAndAutoPad) {
  Tensor x = random_tensor(DType::Float32, {1, 2, 4, 5}, 70), w = random_tensor(DType::Float32, {2, 3, 3, 3}, 71);
  // Full size is 2*(4-1)+3 = 9 by 2*(5-1)+3 = 11; asking for 8 x 10 trims one of each.
  auto got = OpTest("ConvTranspose").input("x", x).constant_input("w", w).output("y")
                 .attr("strides", std::vector<int64_t>{2, 2}).attr("output_shape", std::vector<int64_t>{8, 10}).run();
  ASSERT_EQ(got[0].shape(), (Shape{1, 3, 8, 10}));
  expect_close(got[0], ref_conv_transpose(x, w, nullptr, 1, {{2, 2}, {1, 1}, {1, 1, 0, 0}}, {8, 10}), 1e-4, 1e-5);
  auto same = OpTest("ConvTranspose").input("x", x).constant_input("w", w).output("y")
                  .attr("strides", std::vector<int64_t>{2, 2}).attr("auto_pad", "SAME_UPPER").run();
  ASSERT_EQ(same[0].shape(), (Shape{1, 3, 8, 10}));
  expect_close(same[0], ref_conv_transpose(x, w, nullptr, 1, {{2, 2}, {1, 1}, {0, 0, 1, 1}}, {8, 10}), 1e-4, 1e-5);
}

TEST(ConvTranspose, RejectsBadShapes) {
  OpTest t("ConvTranspose");
  t.input("x", random_tensor(DType::Float32, {1, 3, 4, 4}, 1)).constant_input("w", random_tensor(DType::Float32, {2, 3, 3, 3}, 2)).output("y");
  EXPECT_THROW(t.run(), Error);
  OpTest u("ConvTranspose");
  u.input("x", random_tensor(DType::Float32, {1, 2, 4, 4}, 1)).constant_input("w", random_tensor(DType::Float32, {2, 3, 3, 3}, 2))
      .output("y").attr("output_padding", std::vector<int64_t>{1, 1});  // not below stride 1
  EXPECT_THROW(u.run(), Error);
}

}  // namespace lre::test
