// cuDNN's legacy convolution API: descriptors per call (host work only, gone under CUDA graphs),
// the algorithm chosen by timing the candidates on the real buffers (cudnnFindConvolutionForward-
// AlgorithmEx), within a workspace cap, and float32 math without TF32 for float32 tensors.
#include "kernels/cuda/conv_cudnn.h"

#include <string>
#include <vector>

#include "device/cuda/cuda_check.h"
#include "lre/error.h"

namespace lre::cuda {

namespace {

constexpr size_t kWorkspaceCap = size_t{256} << 20;

cudnnDataType_t cudnn_type(DType d) {
  switch (d) {
    case DType::Float32: return CUDNN_DATA_FLOAT;
    case DType::Float16: return CUDNN_DATA_HALF;
    case DType::BFloat16: return CUDNN_DATA_BFLOAT16;
    default: throw Error(ErrorCode::Unsupported, std::string("cuDNN convolution: dtype ") + dtype_name(d));
  }
}

// Owns the four descriptors of one problem. 1-D problems become 2-D with a height of 1, since
// cuDNN's N-d descriptors start at 4 dimensions.
class ConvDescriptors {
 public:
  explicit ConvDescriptors(const ConvProblem& p) {
    LRE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&x));
    LRE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&y));
    LRE_CUDNN_CHECK(cudnnCreateTensorDescriptor(&bias));
    LRE_CUDNN_CHECK(cudnnCreateFilterDescriptor(&w));
    LRE_CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&conv));
    LRE_CUDNN_CHECK(cudnnCreateActivationDescriptor(&relu));
    LRE_CUDNN_CHECK(cudnnSetActivationDescriptor(relu, CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0));
    const cpu::WindowGeometry& g = p.window;
    std::vector<int> in, out, kernel, pads, strides, dilations;
    if (g.rank() == 1) {
      in = {1};
      out = {1};
      kernel = {1};
      pads = {0};
      strides = {1};
      dilations = {1};
    }
    for (int64_t d = 0; d < g.rank(); ++d) {
      in.push_back(static_cast<int>(g.in[d]));
      out.push_back(static_cast<int>(g.out[d]));
      kernel.push_back(static_cast<int>(g.kernel[d]));
      pads.push_back(static_cast<int>(g.pads_begin[d]));
      strides.push_back(static_cast<int>(g.strides[d]));
      dilations.push_back(static_cast<int>(g.dilations[d]));
    }
    const cudnnDataType_t type = cudnn_type(p.dtype);
    set_tensor(x, type, static_cast<int>(p.batch), static_cast<int>(p.in_channels), in);
    set_tensor(y, type, static_cast<int>(p.batch), static_cast<int>(p.out_channels), out);
    set_tensor(bias, type, 1, static_cast<int>(p.out_channels), std::vector<int>(in.size(), 1));
    std::vector<int> wdims = {static_cast<int>(p.out_channels), static_cast<int>(p.in_channels / p.groups)};
    wdims.insert(wdims.end(), kernel.begin(), kernel.end());
    LRE_CUDNN_CHECK(cudnnSetFilterNdDescriptor(w, type, CUDNN_TENSOR_NCHW, static_cast<int>(wdims.size()), wdims.data()));
    LRE_CUDNN_CHECK(cudnnSetConvolutionNdDescriptor(conv, static_cast<int>(pads.size()), pads.data(), strides.data(),
                                                    dilations.data(), CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    LRE_CUDNN_CHECK(cudnnSetConvolutionGroupCount(conv, static_cast<int>(p.groups)));
    LRE_CUDNN_CHECK(cudnnSetConvolutionMathType(conv, p.dtype == DType::Float32 ? CUDNN_FMA_MATH : CUDNN_TENSOR_OP_MATH));
  }
  ~ConvDescriptors() {
    (void)cudnnDestroyTensorDescriptor(x);
    (void)cudnnDestroyTensorDescriptor(y);
    (void)cudnnDestroyTensorDescriptor(bias);
    (void)cudnnDestroyFilterDescriptor(w);
    (void)cudnnDestroyConvolutionDescriptor(conv);
    (void)cudnnDestroyActivationDescriptor(relu);
  }
  ConvDescriptors(const ConvDescriptors&) = delete;
  ConvDescriptors& operator=(const ConvDescriptors&) = delete;

  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;

 private:
  static void set_tensor(cudnnTensorDescriptor_t d, cudnnDataType_t type, int n, int c, const std::vector<int>& spatial) {
    std::vector<int> dims = {n, c};
    dims.insert(dims.end(), spatial.begin(), spatial.end());
    std::vector<int> strides(dims.size(), 1);
    for (size_t i = dims.size() - 1; i-- > 0;) strides[i] = strides[i + 1] * dims[i + 1];
    LRE_CUDNN_CHECK(cudnnSetTensorNdDescriptor(d, type, static_cast<int>(dims.size()), dims.data(), strides.data()));
  }
};

std::string problem_key(const ConvProblem& p) {
  std::string key = "conv";
  auto add = [&key](int64_t v, char sep) {
    key += sep;
    key += std::to_string(v);
  };
  for (int64_t v : {static_cast<int64_t>(p.dtype), p.batch, p.in_channels, p.out_channels, p.groups}) add(v, ' ');
  const cpu::WindowGeometry& g = p.window;
  for (int64_t d = 0; d < g.rank(); ++d) {
    add(g.in[d], ' ');
    for (int64_t v : {g.kernel[d], g.strides[d], g.dilations[d], g.pads_begin[d]}) add(v, '/');
  }
  return key;
}

}  // namespace

bool cudnn_conv_supported(const ConvProblem& p) {
  if (p.dtype != DType::Float32 && p.dtype != DType::Float16 && p.dtype != DType::BFloat16) return false;
  const cpu::WindowGeometry& g = p.window;
  if (g.rank() < 1 || g.rank() > 3) return false;
  for (int64_t d = 0; d < g.rank(); ++d)
    if (g.pads_begin[d] != g.pads_end[d]) return false;
  return true;
}

void cudnn_conv_forward(KernelEnv& env, const ConvProblem& p, const void* x, const void* w, const void* bias,
                        const void* z, bool relu, void* y) {
  if (!cudnn_conv_supported(p))
    throw Error(ErrorCode::Unsupported, "cuDNN convolution: asymmetric padding or more than 3 spatial dimensions");
  cudnnHandle_t handle = env.cudnn();
  ConvDescriptors d(p);
  const std::string key = problem_key(p);
  int algo = env.tuned(key);
  if (algo < 0) {
    // Times every candidate on these very buffers (y is overwritten, then computed for real).
    void* scratch = env.workspace(kWorkspaceCap);
    cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
    int returned = 0;
    LRE_CUDNN_CHECK(cudnnFindConvolutionForwardAlgorithmEx(handle, d.x, x, d.w, w, d.conv, d.y, y,
                                                           CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &returned, perf, scratch,
                                                           kWorkspaceCap));
    for (int i = 0; i < returned && algo < 0; ++i)
      if (perf[i].status == CUDNN_STATUS_SUCCESS && perf[i].memory <= kWorkspaceCap) algo = static_cast<int>(perf[i].algo);
    if (algo < 0) throw Error(ErrorCode::Unsupported, "cuDNN has no algorithm for " + key);
    env.set_tuned(key, algo);
  }
  size_t bytes = 0;
  const auto fwd = static_cast<cudnnConvolutionFwdAlgo_t>(algo);
  LRE_CUDNN_CHECK(cudnnGetConvolutionForwardWorkspaceSize(handle, d.x, d.w, d.conv, d.y, fwd, &bytes));
  void* workspace = bytes ? env.workspace(bytes) : nullptr;
  const float one = 1.f, zero = 0.f;
  if (relu && bias) {
    // y = relu(conv + z + bias) in one pass (cuDNN allows Relu with any algorithm here).
    const float z_scale = z ? 1.f : 0.f;
    LRE_CUDNN_CHECK(cudnnConvolutionBiasActivationForward(handle, &one, d.x, x, d.w, w, d.conv, fwd, workspace, bytes,
                                                          &z_scale, d.y, z ? z : y, d.bias, bias, d.relu, d.y, y));
    return;
  }
  if (z) LRE_CUDA_CHECK(cudaMemcpyAsync(y, z, p.output_bytes(), cudaMemcpyDeviceToDevice, env.stream()));
  const float y_scale = z ? 1.f : 0.f;
  LRE_CUDNN_CHECK(cudnnConvolutionForward(handle, &one, d.x, x, d.w, w, d.conv, fwd, workspace, bytes, &y_scale, d.y, y));
  if (bias) LRE_CUDNN_CHECK(cudnnAddTensor(handle, &one, d.bias, bias, &one, d.y, y));
  if (relu) LRE_CUDNN_CHECK(cudnnActivationForward(handle, d.relu, &one, d.y, y, &zero, d.y, y));
}

}  // namespace lre::cuda
