// launch_encoder_attention against a float64 softmax(Q K^T) V loop written here, for every float
// dtype: the tensor-core kernel (half types, head_dim 64) and the CUDA-core one (float32, other
// head sizes, unaligned arguments); frames 1 to Whisper's 1500 on both sides of the 64-key and
// 128-query tiles; one and three windows, which must not see each other; 1, 6 and 20 heads; q, k
// and v interleaved in one QKV buffer; with and without a query bias; output rows longer than d,
// whose padding must stay untouched; scores large enough to overflow exp without the running max;
// empty work and the refused arguments.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "gpu_test_util.h"
#include "kernels/cuda/encoder_attention.cuh"

namespace lre::test {

namespace {

// Elements past the output that must stay poisoned.
constexpr int64_t kOutGuard = 4096;

struct AttentionCase {
  int64_t windows, frames, heads, head_dim;
  bool with_bias = true;
  int64_t out_pad = 8;      // out_ld = d + out_pad
  int64_t ld_pad = 0;       // ld = 3 d + ld_pad
  int64_t qkv_offset = 0;   // elements the QKV buffer is shifted by from its (256-byte aligned) allocation
  int64_t bias_offset = 0;  // likewise for the bias
  double range = 0.5;       // QKV values uniform in [-range, range)

  int64_t d() const { return heads * head_dim; }
  int64_t rows() const { return windows * frames; }
  int64_t ld() const { return 3 * d() + ld_pad; }
  int64_t out_ld() const { return d() + out_pad; }
  // The path the launcher must take, encoder_attention.cuh's conditions in this layout's terms:
  // q, k and v lie whole rows of d elements apart in the QKV buffer, so with head_dim 64 only the
  // offsets and leading dimensions can break 16-byte alignment.
  bool tensor_cores(DType dtype) const {
    return dtype != DType::Float32 && head_dim == 64 && qkv_offset % 8 == 0 &&
           (!with_bias || bias_offset % 8 == 0) && ld() % 8 == 0 && out_ld() % 8 == 0;
  }
};

std::string describe(DType dtype, const AttentionCase& c) {
  std::string s = std::string(dtype_name(dtype)) + " windows " + std::to_string(c.windows) + " frames " +
                  std::to_string(c.frames) + " heads " + std::to_string(c.heads) + " head_dim " +
                  std::to_string(c.head_dim) + (c.with_bias ? " bias" : " no bias") + " ld " +
                  std::to_string(c.ld()) + " out_ld " + std::to_string(c.out_ld());
  if (c.qkv_offset) s += " qkv offset " + std::to_string(c.qkv_offset);
  if (c.bias_offset) s += " bias offset " + std::to_string(c.bias_offset);
  if (c.range != 0.5) s += " range " + std::to_string(c.range);
  return s;
}

// Error allowed relative to the largest output of each (window, head). The half types round
// q + bias and the softmax weights to 11 or 8 bits before the products (their float32 results
// then land within about 8e-4 and 7e-3 of the scale in a float64 model of the kernel); float32
// differs from float64 only by rounding along the sums.
double tolerance(DType dtype) {
  switch (dtype) {
    case DType::Float16: return 2e-3;
    case DType::BFloat16: return 1.6e-2;
    default: return 1e-5;
  }
}

// (rows, d) in float64 from the same rounded inputs the kernel reads: for each window and head,
// softmax((q + bias) K^T) V over the window's rows. Keys are transposed first so that both
// products are runs of independent multiply-adds.
std::vector<double> reference(const AttentionCase& c, const std::vector<double>& qkv, const std::vector<double>& bias) {
  const int64_t n = c.frames, hd = c.head_dim, d = c.d(), ld = c.ld();
  std::vector<double> out(static_cast<size_t>(c.rows() * d), 0.0);
  std::vector<double> kt(static_cast<size_t>(hd * n)), vh(static_cast<size_t>(n * hd)), s(static_cast<size_t>(n));
  for (int64_t w = 0; w < c.windows; ++w)
    for (int64_t h = 0; h < c.heads; ++h) {
      const int64_t row0 = w * n, col = h * hd;
      for (int64_t j = 0; j < n; ++j)
        for (int64_t e = 0; e < hd; ++e) {
          kt[static_cast<size_t>(e * n + j)] = qkv[static_cast<size_t>((row0 + j) * ld + d + col + e)];
          vh[static_cast<size_t>(j * hd + e)] = qkv[static_cast<size_t>((row0 + j) * ld + 2 * d + col + e)];
        }
      for (int64_t i = 0; i < n; ++i) {
        std::fill(s.begin(), s.end(), 0.0);
        for (int64_t e = 0; e < hd; ++e) {
          const double qe =
              qkv[static_cast<size_t>((row0 + i) * ld + col + e)] + bias[static_cast<size_t>(col + e)];
          for (int64_t j = 0; j < n; ++j) s[static_cast<size_t>(j)] += qe * kt[static_cast<size_t>(e * n + j)];
        }
        const double m = *std::max_element(s.begin(), s.end());
        double sum = 0.0;
        for (double& x : s) sum += (x = std::exp(x - m));
        double* o = &out[static_cast<size_t>((row0 + i) * d + col)];
        for (int64_t j = 0; j < n; ++j) {
          const double p = s[static_cast<size_t>(j)] / sum;
          for (int64_t e = 0; e < hd; ++e) o[e] += p * vh[static_cast<size_t>(j * hd + e)];
        }
      }
    }
  return out;
}

// Runs one case from a poisoned output and checks every attended element against the reference
// within tol times the largest |output| of its (window, head), the padding columns and a guard
// past the output untouched, and the path the launcher takes.
void check_case(DType dtype, const AttentionCase& c, unsigned seed, cudaStream_t stream, double tol) {
  const std::string what = describe(dtype, c);
  const int64_t d = c.d(), rows = c.rows(), ld = c.ld(), out_ld = c.out_ld(), hd = c.head_dim;
  const Tensor qkv = random_float(dtype, {rows, ld}, seed, -c.range, c.range);  // (rows, 3 d + ld_pad): q | k | v
  const Tensor bias = random_float(dtype, {d}, seed + 1, -0.5, 0.5);
  const DeviceTensor dqkv = upload(qkv, stream, c.qkv_offset);
  const DeviceTensor dbias = upload(bias, stream, c.bias_offset);
  const DeviceTensor dout = poisoned(dtype, rows * out_ld + kOutGuard, stream);
  const size_t es = dtype_size(dtype);
  const char* q = static_cast<const char*>(dqkv.data);
  const void* k = q + static_cast<size_t>(d) * es;
  const void* v = q + static_cast<size_t>(2 * d) * es;
  const void* b = c.with_bias ? dbias.data : nullptr;
  EXPECT_EQ(cuda::encoder_attention_uses_tensor_cores(dtype, q, k, v, ld, b, dout.data, out_ld, hd),
            c.tensor_cores(dtype))
      << what << ": unexpected kernel path";
  cuda::launch_encoder_attention(dtype, q, k, v, ld, b, dout.data, out_ld, c.windows, c.frames, c.heads, hd, stream);
  const std::vector<double> got = to_doubles(download(dout.data, dtype, {rows * out_ld + kOutGuard}, stream));
  const std::vector<double> want =
      reference(c, to_doubles(qkv), c.with_bias ? to_doubles(bias) : std::vector<double>(static_cast<size_t>(d), 0.0));

  int64_t bad = 0;
  for (int64_t w = 0; w < c.windows; ++w)
    for (int64_t h = 0; h < c.heads; ++h) {
      double scale = 0.0;
      for (int64_t i = w * c.frames; i < (w + 1) * c.frames; ++i)
        for (int64_t e = h * hd; e < (h + 1) * hd; ++e)
          scale = std::max(scale, std::fabs(want[static_cast<size_t>(i * d + e)]));
      for (int64_t i = w * c.frames; i < (w + 1) * c.frames; ++i)
        for (int64_t e = h * hd; e < (h + 1) * hd; ++e) {
          const double g = got[static_cast<size_t>(i * out_ld + e)], x = want[static_cast<size_t>(i * d + e)];
          if (std::fabs(g - x) <= tol * scale) continue;  // NaN (unwritten) fails here
          if (bad++ < 5)
            ADD_FAILURE() << what << ": window " << w << " head " << h << " row " << i - w * c.frames << " column "
                          << e - h * hd << " is " << g << ", expected " << x << " (scale " << scale << ")";
        }
    }
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t e = d; e < out_ld; ++e)
      if (!std::isnan(got[static_cast<size_t>(i * out_ld + e)]) && bad++ < 5)
        ADD_FAILURE() << what << ": row " << i << " padding column " << e << " was written";
  for (int64_t i = rows * out_ld; i < rows * out_ld + kOutGuard; ++i)
    if (!std::isnan(got[static_cast<size_t>(i)]) && bad++ < 5)
      ADD_FAILURE() << what << ": element " << i - rows * out_ld << " past the output was written";
  EXPECT_EQ(bad, 0) << what << ": " << bad << " elements differ or were written out of place";
}

class CudaEncoderAttention : public GpuParamTest<DType> {};

// head_dim 64 (every Whisper size): tensor cores for the half types. Frames on both sides of the
// tiles and Whisper's 1500 (a 28-key tail), one and three windows, 1, 6 and 20 heads, with and
// without a bias, and longer QKV and output rows that keep 16-byte alignment.
TEST_P(CudaEncoderAttention, MatchesReference) {
  const DType dtype = GetParam();
  const AttentionCase cases[] = {
      {1, 1, 1, 64},
      {3, 1, 6, 64, false},
      {1, 7, 6, 64},
      {3, 7, 1, 64, false},
      {1, 64, 6, 64},
      {3, 64, 6, 64, false},
      {1, 65, 1, 64},
      {3, 65, 6, 64},
      {1, 200, 6, 64, false},
      {3, 200, 20, 64},
      {.windows = 3, .frames = 129, .heads = 6, .head_dim = 64, .out_pad = 24, .ld_pad = 8},
      {1, 1500, 20, 64},
      {3, 1500, 1, 64, false},
  };
  unsigned seed = 1;
  for (const AttentionCase& c : cases) check_case(dtype, c, seed += 10, stream(), tolerance(dtype));
}

// Other head sizes take the CUDA-core kernel: 16, 40 and 80, the largest (128, four columns a
// lane), one that is not a multiple of 4 (37, zero-padded float4 products) and 1.
TEST_P(CudaEncoderAttention, HeadSizes) {
  const DType dtype = GetParam();
  unsigned seed = 500;
  for (int64_t head_dim : {16, 40, 80, 128, 37, 1})
    for (int64_t frames : {7, 65, 200})
      check_case(dtype, {3, frames, 6, head_dim, frames != 65}, seed += 10, stream(), tolerance(dtype));
  check_case(dtype, {1, 1500, 6, 80}, seed + 10, stream(), tolerance(dtype));
}

// Each condition of the tensor-core path broken on its own sends the half types to the CUDA-core
// kernel (check_case asserts the path), with the same results: q, k and v 2 or 8 bytes off a
// 16-byte boundary, rows whose length is not a multiple of 8, output rows likewise, the bias off.
TEST_P(CudaEncoderAttention, UnalignedArgumentsFallBack) {
  const DType dtype = GetParam();
  const AttentionCase cases[] = {
      {.windows = 2, .frames = 65, .heads = 6, .head_dim = 64, .qkv_offset = 1},
      {.windows = 2, .frames = 65, .heads = 6, .head_dim = 64, .qkv_offset = 4},
      {.windows = 2, .frames = 65, .heads = 6, .head_dim = 64, .ld_pad = 1},
      {.windows = 2, .frames = 65, .heads = 6, .head_dim = 64, .out_pad = 3},
      {.windows = 2, .frames = 65, .heads = 6, .head_dim = 64, .bias_offset = 1},
  };
  unsigned seed = 700;
  for (const AttentionCase& c : cases) check_case(dtype, c, seed += 10, stream(), tolerance(dtype));
}

// QKV values in [-3, 3): scores spread to about +-100, past float's exp overflow near 88, so only
// the running max keeps the sums finite, and the max keeps growing from tile to tile. Float32
// scores that large carry absolute errors near 1e-5 (their ulp is 7.6e-6), which move the weights
// by as much relative, hence float32's looser tolerance here. No bias: the half types then take
// q exactly, and only the weights' rounding remains.
TEST_P(CudaEncoderAttention, LargeScoresStayFinite) {
  const DType dtype = GetParam();
  const double tol = dtype == DType::Float32 ? 1e-4 : tolerance(dtype);
  for (int64_t head_dim : {64, 40})
    check_case(dtype,
               {.windows = 2, .frames = 1500, .heads = 2, .head_dim = head_dim, .with_bias = false, .range = 3.0},
               900 + static_cast<unsigned>(head_dim), stream(), tol);
}

// No window, frame, head or column: nothing is launched and the output stays poisoned.
TEST_P(CudaEncoderAttention, EmptyWorkLaunchesNothing) {
  const DType dtype = GetParam();
  const DeviceTensor buf = poisoned(dtype, 4096, stream());
  struct Sizes {
    int64_t windows, frames, heads, head_dim;
  };
  for (const Sizes s : {Sizes{0, 1500, 6, 64}, Sizes{2, 0, 6, 64}, Sizes{2, 1500, 0, 64}, Sizes{2, 1500, 6, 0}}) {
    const int64_t d = s.heads * s.head_dim;
    cuda::launch_encoder_attention(dtype, buf.data, buf.data, buf.data, 3 * d, nullptr, buf.data, d, s.windows,
                                   s.frames, s.heads, s.head_dim, stream());
  }
  const std::vector<double> got = to_doubles(download(buf.data, dtype, {4096}, stream()));
  EXPECT_TRUE(std::all_of(got.begin(), got.end(), [](double x) { return std::isnan(x); }))
      << dtype_name(dtype) << ": empty work wrote the output";
}

std::string dtype_param_name(const ::testing::TestParamInfo<DType>& info) { return dtype_name(info.param); }

INSTANTIATE_TEST_SUITE_P(AllTypes, CudaEncoderAttention, ::testing::ValuesIn(kFloatTypes), dtype_param_name);

class CudaEncoderAttentionErrors : public GpuTest {};

TEST_F(CudaEncoderAttentionErrors, BadArgumentsAreRefused) {
  const DeviceTensor buf = poisoned(DType::Float16, 4096, stream());
  void* p = buf.data;
  const ErrorCode bad = ErrorCode::InvalidArgument;
  // Two heads of 64 unless given: d = 128, QKV rows of 384.
  auto launch = [&](DType dtype, const void* q, const void* k, const void* v, int64_t ld, void* out, int64_t out_ld,
                    int64_t windows, int64_t frames, int64_t heads, int64_t head_dim) {
    cuda::launch_encoder_attention(dtype, q, k, v, ld, nullptr, out, out_ld, windows, frames, heads, head_dim,
                                   stream());
  };
  const DType t = DType::Float16;
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 128, -1, 10, 2, 64); }, "negative windows");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 128, 1, -10, 2, 64); }, "negative frames");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 128, 1, 10, -2, 64); }, "negative heads");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 128, 1, 10, 2, -64); }, "negative head_dim");
  expect_error(bad, [&] { launch(t, p, p, p, -384, p, 128, 1, 10, 2, 64); }, "negative ld");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, -128, 1, 10, 2, 64); }, "negative out_ld");
  expect_error(bad, [&] { launch(t, p, p, p, 3 * 258, p, 258, 1, 10, 2, 129); }, "head_dim 129");
  expect_error(bad, [&] { launch(t, p, p, p, 127, p, 128, 1, 10, 2, 64); }, "ld below d");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 100, 1, 10, 2, 64); }, "out_ld below d");
  expect_error(bad, [&] { launch(t, p, p, p, 3 * 65536, p, 65536, 1, 10, 65536, 1); }, "65536 heads");
  expect_error(bad, [&] { launch(t, p, p, p, 384, p, 128, 65536, 10, 2, 64); }, "65536 windows");
  expect_error(bad, [&] { launch(t, nullptr, p, p, 384, p, 128, 1, 10, 2, 64); }, "no q");
  expect_error(bad, [&] { launch(t, p, nullptr, p, 384, p, 128, 1, 10, 2, 64); }, "no k");
  expect_error(bad, [&] { launch(t, p, p, nullptr, 384, p, 128, 1, 10, 2, 64); }, "no v");
  expect_error(bad, [&] { launch(t, p, p, p, 384, nullptr, 128, 1, 10, 2, 64); }, "no out");
  expect_error(ErrorCode::Unsupported, [&] { launch(DType::Int32, p, p, p, 384, p, 128, 1, 10, 2, 64); }, "int32");
  sync();
}

}  // namespace

}  // namespace lre::test
