// Resize and Upsample against a float64 reference that follows the ONNX reference implementation
// literally: recursive 1-D interpolation with neighbours found by distance on an edge-padded axis.
#include <algorithm>
#include <functional>

#include "op_test_util.h"

namespace lre::test {

namespace {

struct RefResize {
  std::string mode = "nearest", coord = "half_pixel", nearest = "round_prefer_floor";
  double cubic_a = -0.75, extrapolation = 0;
  bool exclude_outside = false;
};

std::vector<double> ref_coeffs(double ratio, const RefResize& r, bool integral) {
  if (r.mode == "linear") return {1 - ratio, ratio};
  if (r.mode == "cubic") {
    double a = r.cubic_a, s = 1 - ratio;
    return {((a * (ratio + 1) - 5 * a) * (ratio + 1) + 8 * a) * (ratio + 1) - 4 * a,
            ((a + 2) * ratio - (a + 3)) * ratio * ratio + 1, ((a + 2) * s - (a + 3)) * s * s + 1,
            ((a * (s + 1) - 5 * a) * (s + 1) + 8 * a) * (s + 1) - 4 * a};
  }
  if (integral) return {0, 1};
  if (r.nearest == "round_prefer_floor") return {ratio <= 0.5 ? 1.0 : 0.0, ratio > 0.5 ? 1.0 : 0.0};
  if (r.nearest == "round_prefer_ceil") return {ratio < 0.5 ? 1.0 : 0.0, ratio >= 0.5 ? 1.0 : 0.0};
  if (r.nearest == "floor") return {1, 0};
  return {0, 1};
}

double ref_interp_1d(const std::vector<double>& data, double scale, int64_t x, const RefResize& r, double roi0,
                     double roi1) {
  const double in = static_cast<double>(data.size()), out_w = scale * in, xd = static_cast<double>(x);
  double xo;
  if (r.coord == "align_corners") xo = out_w == 1 ? 0 : xd * (in - 1) / (out_w - 1);
  else if (r.coord == "asymmetric") xo = xd / scale;
  else if (r.coord == "pytorch_half_pixel") xo = out_w == 1 ? -0.5 : (xd + 0.5) / scale - 0.5;
  else if (r.coord == "tf_crop_and_resize") {
    xo = (out_w == 1 ? (roi1 - roi0) * (in - 1) / 2 : xd * (roi1 - roi0) * (in - 1) / (out_w - 1)) + roi0 * (in - 1);
    if (xo < 0 || xo > in - 1) return r.extrapolation;
  } else xo = (xd + 0.5) / scale - 0.5;
  const bool integral = xo == std::floor(xo);
  double ratio = integral ? 1 : xo - std::floor(xo);
  std::vector<double> c = ref_coeffs(ratio, r, integral);
  const int64_t n = static_cast<int64_t>(c.size()), pad = (n + 1) / 2;
  // The n nearest positions of the padded axis, ties to the smaller, in ascending order.
  std::vector<int64_t> cand;
  for (int64_t i = 0; i < static_cast<int64_t>(data.size()) + 2 * pad; ++i) cand.push_back(i);
  const double xp = xo + static_cast<double>(pad);
  std::stable_sort(cand.begin(), cand.end(), [&](int64_t a, int64_t b) {
    return std::fabs(xp - static_cast<double>(a)) < std::fabs(xp - static_cast<double>(b));
  });
  cand.resize(static_cast<size_t>(n));
  std::sort(cand.begin(), cand.end());
  if (r.exclude_outside) {
    double sum = 0;
    for (int64_t k = 0; k < n; ++k) {
      int64_t i = cand[static_cast<size_t>(k)] - pad;
      if (i < 0 || i >= static_cast<int64_t>(data.size())) c[static_cast<size_t>(k)] = 0;
      sum += c[static_cast<size_t>(k)];
    }
    for (double& v : c) v /= sum;
  }
  double acc = 0;
  for (int64_t k = 0; k < n; ++k) {
    int64_t i = std::clamp<int64_t>(cand[static_cast<size_t>(k)] - pad, 0, static_cast<int64_t>(data.size()) - 1);
    acc += c[static_cast<size_t>(k)] * data[static_cast<size_t>(i)];
  }
  return acc;
}

// out[idx] = interpolate along axis 0 the values interpolated (recursively) in each sub-tensor.
std::vector<double> ref_resize(const std::vector<double>& x, const Shape& in, const Shape& out,
                               const std::vector<double>& scales, const std::vector<double>& roi, const RefResize& r) {
  const size_t rank = in.size();
  std::function<double(size_t, int64_t, const std::vector<int64_t>&)> at = [&](size_t d, int64_t offset,
                                                                               const std::vector<int64_t>& idx) {
    int64_t stride = 1;
    for (size_t k = d + 1; k < rank; ++k) stride *= in[k];
    std::vector<double> line(static_cast<size_t>(in[d]));
    for (int64_t i = 0; i < in[d]; ++i)
      line[static_cast<size_t>(i)] =
          d + 1 == rank ? x[static_cast<size_t>(offset + i)] : at(d + 1, offset + i * stride, idx);
    double r0 = roi.empty() ? 0 : roi[d], r1 = roi.empty() ? 1 : roi[d + rank];
    return ref_interp_1d(line, scales[d], idx[d], r, r0, r1);
  };
  std::vector<double> y(static_cast<size_t>(shape_numel(out)));
  std::vector<int64_t> idx(rank, 0);
  for (size_t e = 0; e < y.size(); ++e) {
    int64_t rem = static_cast<int64_t>(e);
    for (size_t d = rank; d-- > 0;) {
      idx[d] = rem % out[d];
      rem /= out[d];
    }
    y[e] = at(0, 0, idx);
  }
  return y;
}

Tensor floats(const std::vector<float>& v) { return make_tensor<float>({static_cast<int64_t>(v.size())}, v); }
Tensor ints(const std::vector<int64_t>& v) { return make_tensor<int64_t>({static_cast<int64_t>(v.size())}, v); }

void check_sizes(const RefResize& r, const Shape& in, const Shape& out, unsigned seed) {
  Tensor x = random_tensor(DType::Float32, in, seed);
  OpTest t("Resize", 13);
  t.input("x", x).omitted_input().omitted_input().constant_input("sizes", ints(out)).output("y");
  t.attr("mode", r.mode).attr("coordinate_transformation_mode", r.coord).attr("nearest_mode", r.nearest);
  t.attr("cubic_coeff_a", static_cast<float>(r.cubic_a)).attr("exclude_outside", r.exclude_outside ? 1 : 0);
  auto y = t.run();
  ASSERT_EQ(y[0].shape(), out);
  std::vector<double> scales;
  for (size_t d = 0; d < in.size(); ++d) scales.push_back(static_cast<double>(out[d]) / static_cast<double>(in[d]));
  expect_close(y[0], ref_resize(to_doubles(x), in, out, scales, {}, r), 1e-4, 1e-5);
}

}  // namespace

TEST(Resize, LinearHalfPixelSizes4d) {
  RefResize r;
  r.mode = "linear";
  check_sizes(r, {2, 3, 5, 7}, {2, 3, 9, 4}, 1);
}

TEST(Resize, LinearPytorchHalfPixelThreeAxes) {
  RefResize r;
  r.mode = "linear";
  r.coord = "pytorch_half_pixel";
  check_sizes(r, {3, 5, 7}, {5, 1, 11}, 2);
}

TEST(Resize, CubicAlignCornersAndExcludeOutside) {
  RefResize r;
  r.mode = "cubic";
  r.coord = "align_corners";
  check_sizes(r, {1, 1, 6, 9}, {1, 1, 11, 5}, 3);
  r.coord = "half_pixel";
  r.exclude_outside = true;
  r.cubic_a = -0.5;
  check_sizes(r, {1, 2, 7, 5}, {1, 2, 3, 13}, 4);
}

TEST(Resize, NearestModes) {
  for (const char* mode : {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"})
    for (const char* coord : {"half_pixel", "asymmetric", "align_corners"}) {
      RefResize r;
      r.nearest = mode;
      r.coord = coord;
      check_sizes(r, {2, 5, 3}, {3, 9, 7}, 5);
    }
}

TEST(Resize, ScalesKeepTheGivenScale) {
  // scale 0.6 on a length-4 axis: 2 outputs, but align_corners uses 4 * 0.6 = 2.4 as the length.
  Tensor x = random_tensor(DType::Float32, {1, 3, 4, 5}, 6);
  auto y = OpTest("Resize", 13)
               .input("x", x)
               .omitted_input()
               .constant_input("scales", floats({1, 1, 0.6f, 1.7f}))
               .output("y")
               .attr("mode", "linear")
               .attr("coordinate_transformation_mode", "align_corners")
               .run();
  ASSERT_EQ(y[0].shape(), (Shape{1, 3, 2, 8}));
  RefResize r;
  r.mode = "linear";
  r.coord = "align_corners";
  std::vector<double> scales = {1, 1, static_cast<double>(0.6f), static_cast<double>(1.7f)};
  expect_close(y[0], ref_resize(to_doubles(x), {1, 3, 4, 5}, {1, 3, 2, 8}, scales, {}, r), 1e-4, 1e-5);
}

TEST(Resize, TfCropAndResizeExtrapolates) {
  Tensor x = random_tensor(DType::Float32, {1, 2, 5, 7}, 7);
  std::vector<float> roi = {0, 0, 0.3f, -0.2f, 1, 1, 1.25f, 0.9f};
  auto y = OpTest("Resize", 11)
               .input("x", x)
               .constant_input("roi", floats(roi))
               .constant_input("scales", floats({}))
               .constant_input("sizes", ints({1, 2, 4, 6}))
               .output("y")
               .attr("mode", "linear")
               .attr("coordinate_transformation_mode", "tf_crop_and_resize")
               .attr("extrapolation_value", 7.5f)
               .run();
  RefResize r;
  r.mode = "linear";
  r.coord = "tf_crop_and_resize";
  r.extrapolation = 7.5;
  std::vector<double> roi_d(roi.begin(), roi.end());
  std::vector<double> want = ref_resize(to_doubles(x), {1, 2, 5, 7}, {1, 2, 4, 6}, {1, 1, 0.8, 6.0 / 7}, roi_d, r);
  EXPECT_NE(std::count(want.begin(), want.end(), 7.5), 0);
  expect_close(y[0], want, 1e-4, 1e-5);
}

TEST(Resize, NearestCopiesIntegersExactly) {
  Tensor x = random_tensor(DType::UInt8, {3, 5}, 8, 0, 255);
  auto y = OpTest("Resize", 13)
               .input("x", x)
               .omitted_input()
               .constant_input("scales", floats({2.0f, 0.5f}))
               .output("y")
               .attr("nearest_mode", "floor")
               .attr("coordinate_transformation_mode", "asymmetric")
               .run();
  ASSERT_EQ(y[0].shape(), (Shape{6, 2}));
  std::vector<double> xs = to_doubles(x), want;
  for (int64_t i = 0; i < 6; ++i)
    for (int64_t j = 0; j < 2; ++j) want.push_back(xs[static_cast<size_t>(i / 2 * 5 + j * 2)]);
  expect_close(y[0], want, 0, 0);
}

TEST(Resize, LinearRoundsIntegerOutputs) {
  Tensor x = make_tensor<int32_t>({1, 2}, {0, 3});
  auto y = OpTest("Resize", 13)
               .input("x", x)
               .omitted_input()
               .omitted_input()
               .constant_input("sizes", ints({1, 4}))
               .output("y")
               .attr("mode", "linear")
               .attr("coordinate_transformation_mode", "align_corners")
               .run();
  expect_close(y[0], {0, 1, 2, 3}, 0, 0);
}

TEST(Resize, Opset10IsAsymmetric) {
  Tensor x = random_tensor(DType::Float32, {1, 1, 3, 5}, 9);
  auto y = OpTest("Resize", 10)
               .input("x", x)
               .constant_input("scales", floats({1, 1, 2, 1.5f}))
               .output("y")
               .attr("mode", "linear")
               .run();
  RefResize r;
  r.mode = "linear";
  r.coord = "asymmetric";
  expect_close(y[0], ref_resize(to_doubles(x), {1, 1, 3, 5}, {1, 1, 6, 7}, {1, 1, 2, 1.5}, {}, r), 1e-5, 1e-6);
}

TEST(Upsample, NearestFromInputAndAttribute) {
  Tensor x = random_tensor(DType::Float32, {1, 2, 3, 5}, 10);
  std::vector<double> xs = to_doubles(x), want;
  for (int64_t c = 0; c < 2; ++c)
    for (int64_t i = 0; i < 6; ++i)
      for (int64_t j = 0; j < 15; ++j) want.push_back(xs[static_cast<size_t>(c * 15 + (i / 2) * 5 + j / 3)]);
  auto y9 = OpTest("Upsample", 9).input("x", x).constant_input("scales", floats({1, 1, 2, 3})).output("y").run();
  expect_close(y9[0], want, 0, 0);
  auto y7 = OpTest("Upsample", 7).input("x", x).output("y").attr("scales", std::vector<float>{1, 1, 2, 3}).run();
  expect_close(y7[0], want, 0, 0);
}

TEST(Resize, RejectsBadArguments) {
  Tensor x = random_tensor(DType::Float32, {1, 1, 3, 5}, 11);
  // OpTest holds pointers into its own model, so each case builds its own in place.
  auto run_scales = [&](const std::vector<float>& s, const char* attr = nullptr, const char* value = nullptr) {
    OpTest t("Resize", 13);
    t.input("x", x).omitted_input().constant_input("scales", floats(s)).output("y");
    if (attr) t.attr(attr, value);
    return t.run();
  };
  EXPECT_THROW(run_scales({1, 1, 2}), Error);      // one scale short
  EXPECT_THROW(run_scales({1, 1, -2, 1}), Error);  // negative scale
  EXPECT_THROW(run_scales({1, 1, 2, 2}, "mode", "bicubic"), Error);
  EXPECT_THROW(run_scales({1, 1, 2, 2}, "coordinate_transformation_mode", "tf_crop_and_resize"), Error);  // no roi
  EXPECT_THROW(run_scales({1, 1, 2, 2}, "nearest_mode", "nearest"), Error);
  EXPECT_THROW(OpTest("Resize", 13)
                   .input("x", x)
                   .omitted_input()
                   .constant_input("scales", floats({1, 1, 2, 2}))
                   .constant_input("sizes", ints({1, 1, 6, 10}))
                   .output("y")
                   .run(),
               Error);
  EXPECT_THROW(OpTest("Resize", 13).input("x", x).output("y").run(), Error);  // neither scales nor sizes
  EXPECT_THROW(OpTest("Resize", 13)
                   .input("x", x)
                   .omitted_input()
                   .omitted_input()
                   .constant_input("sizes", ints({1, 1, -1, 2}))
                   .output("y")
                   .run(),
               Error);
}

}  // namespace lre::test
