// CudaLogMel: frame + window (one kernel, reflect padding folded into the addressing), a batched
// cuFFT D2Z, then power, mel sums and log10 per tile of frames with the per-window maximum reduced
// on the way, and a last pass for the (max - 8) clamp. The transform and the mel sums run in float64
// as the CPU twin does: a float32 transform (torch.stft's) moves outputs near the clamp floor by up
// to ~5e-5 on speech-like audio, half the test tolerance, while a 30-second window is ~50 MFLOP, so
// float64 costs microseconds on the GPUs this ships for (A100, H100: FP64 at half the FP32 rate).
#include "audio/cuda/log_mel_cuda.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/block_reduce.cuh"
#include "kernels/cuda/device_types.cuh"
#include "lre/error.h"

namespace lre::audio {

namespace {

constexpr int kNFft = static_cast<int>(LogMel::kNFft);
constexpr int kBins = static_cast<int>(LogMel::kBins);
constexpr int kHop = static_cast<int>(LogMel::kHop);

// Transforms per cuFFT call: rounded up to a multiple of kFftFrameQuantum so that audio of every
// length shares at most 24 plans, and capped so that the float64 scratch (frames and spectrum,
// 6.4 kB a frame) stays near 80 MB however long the audio. 3000 frames (30 s) divide both.
constexpr int64_t kFftFrameQuantum = 500;
constexpr int64_t kMaxFftFrames = 12000;

// Frames per block of the mel kernel: their power spectra (float64) fill 25.7 kB of shared memory.
constexpr int kTileFrames = 16;

constexpr size_t kAlignment = 256;  // what cudaMalloc gives; cuFFT wants its buffers aligned

size_t aligned(size_t n) { return (n + kAlignment - 1) / kAlignment * kAlignment; }

int64_t fft_frames(int64_t remaining) {
  return std::min((remaining + kFftFrameQuantum - 1) / kFftFrameQuantum * kFftFrameQuantum, kMaxFftFrames);
}

int make_current(int device) {
  LRE_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

struct MaxOp {
  __device__ float operator()(float a, float b) const { return fmaxf(a, b); }
};

// Floats as unsigned keys in the same order, so that atomicMax on keys is a max on floats; key 0
// lies below every float, which makes a zeroed buffer the starting value.
__device__ __forceinline__ unsigned order_key(float v) {
  const unsigned b = __float_as_uint(v);
  return (b & 0x80000000u) ? ~b : (b | 0x80000000u);
}
__device__ __forceinline__ float from_order_key(unsigned k) {
  return __uint_as_float((k & 0x80000000u) ? (k & 0x7FFFFFFFu) : ~k);
}

// framed (batch, kNFft) float64: frames [g0, g0 + batch) of all windows, each the window times the
// reflect-padded audio as LogMel::compute addresses it. Window w's samples are
// samples[offsets[w], offsets[w + 1]), zero-padded to max(its samples, min_length); frames past the
// last (the rounding of the cuFFT batch) are zeros.
__global__ void __launch_bounds__(cuda::kBlockThreads)
    frame_window_kernel(const int64_t* offsets, const float* samples, int64_t min_length, int64_t frames,
                        int64_t total_frames, int64_t g0, int64_t batch, const double* window, double* framed) {
  const int64_t n = batch * kNFft;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; e < n;
       e += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t g = g0 + e / kNFft;
    const int t = static_cast<int>(e % kNFft);
    double v = 0.0;
    if (g < total_frames) {
      const int64_t w = g / frames, f = g % frames;
      const int64_t begin = offsets[w], count = offsets[w + 1] - begin;
      const int64_t length = count > min_length ? count : min_length;
      int64_t i = f * kHop + t - kNFft / 2;
      if (i < 0) i = -i;
      else if (i >= length) i = 2 * (length - 1) - i;
      if (i < count) v = static_cast<double>(samples[begin + i]) * window[t];
    }
    framed[e] = v;
  }
}

// One block per tile of up to kTileFrames frames of one window (tiles never straddle windows; a
// tile cut by a cuFFT batch boundary is finished by the next batch's launch). spectrum holds frames
// [g0, g1). Writes log10(max(mel, 1e-10)) to out (windows, n_mels, frames) and raises the window's
// max key. The mel sums walk each filter's nonzero span in LogMel's order, in float64.
__global__ void __launch_bounds__(cuda::kBlockThreads)
    mel_tile_kernel(const cufftDoubleComplex* spectrum, int64_t g0, int64_t g1, int64_t frames,
                    int64_t tiles_per_window, int64_t first_tile, const float* filters, const int* band_begin,
                    const int* band_end, int n_mels, float* out, unsigned* max_keys) {
  __shared__ double power[kTileFrames * kBins];  // (tile frames, kBins)
  __shared__ float shared[cuda::kWarpSize + 1];
  const int64_t tile = first_tile + blockIdx.x;
  const int64_t w = tile / tiles_per_window, t = tile % tiles_per_window;
  const int64_t window_start = w * frames;
  const int64_t tile_begin = window_start + t * kTileFrames;
  const int64_t tile_end = window_start + ((t + 1) * kTileFrames < frames ? (t + 1) * kTileFrames : frames);
  const int64_t begin = tile_begin > g0 ? tile_begin : g0;
  const int64_t end = tile_end < g1 ? tile_end : g1;
  const int count = static_cast<int>(end - begin);

  const cufftDoubleComplex* x = spectrum + (begin - g0) * kBins;
  for (int i = static_cast<int>(threadIdx.x); i < count * kBins; i += static_cast<int>(blockDim.x)) {
    const cufftDoubleComplex c = x[i];
    power[i] = c.x * c.x + c.y * c.y;
  }
  __syncthreads();

  float local_max = -INFINITY;
  float* y = out + w * n_mels * frames + (begin - window_start);
  for (int i = static_cast<int>(threadIdx.x); i < n_mels * count; i += static_cast<int>(blockDim.x)) {
    const int m = i / count, f = i % count;
    const float* row = filters + m * kBins;
    const double* p = power + f * kBins;
    double mel = 0.0;
    for (int k = band_begin[m]; k < band_end[m]; ++k) mel += static_cast<double>(row[k]) * p[k];
    const float v = static_cast<float>(log10(mel < 1e-10 ? 1e-10 : mel));  // std::max's choice, as the CPU
    y[static_cast<int64_t>(m) * frames + f] = v;
    local_max = fmaxf(local_max, v);
  }
  const float block_max = cuda::block_reduce(local_max, MaxOp{}, -INFINITY, shared);
  if (threadIdx.x == 0) atomicMax(max_keys + w, order_key(block_max));
}

// y (windows, per_window): (max(y, window max - 8) + 4) / 4 in float32, as LogMel::compute.
__global__ void __launch_bounds__(cuda::kBlockThreads)
    normalize_kernel(float* y, int64_t per_window, int64_t total, const unsigned* max_keys) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const float floor = from_order_key(max_keys[i / per_window]) - 8.0f;
    const float v = y[i];
    y[i] = ((v < floor ? floor : v) + 4.0f) / 4.0f;
  }
}

}  // namespace

CudaLogMel::CudaLogMel(int n_mels, int device) : cpu_(n_mels), device_(make_current(device)) {
  const size_t mels = static_cast<size_t>(n_mels);
  const size_t window_bytes = aligned(kNFft * sizeof(double));
  const size_t filter_bytes = aligned(mels * kBins * sizeof(float));
  const size_t band_bytes = aligned(mels * sizeof(int));
  const size_t total = window_bytes + filter_bytes + 2 * band_bytes;

  staging_.reserve(total);
  char* host = staging_.data_as<char>();
  std::memcpy(host, cpu_.window().data(), kNFft * sizeof(double));
  std::memcpy(host + window_bytes, cpu_.filters().data(), mels * kBins * sizeof(float));
  int* begin = reinterpret_cast<int*>(host + window_bytes + filter_bytes);
  int* end = reinterpret_cast<int*>(host + window_bytes + filter_bytes + band_bytes);
  for (size_t m = 0; m < mels; ++m) {
    begin[m] = static_cast<int>(cpu_.band_begin()[m]);
    end[m] = static_cast<int>(cpu_.band_end()[m]);
  }

  constants_ = cuda::DeviceBuffer(cuda::DevicePool::of(device_), total, load_stream_);
  LRE_CUDA_CHECK(cudaMemcpyAsync(constants_.data(), host, total, cudaMemcpyHostToDevice, load_stream_));
  char* dev = constants_.data_as<char>();
  window_ = reinterpret_cast<const double*>(dev);
  filters_ = reinterpret_cast<const float*>(dev + window_bytes);
  band_begin_ = reinterpret_cast<const int*>(dev + window_bytes + filter_bytes);
  band_end_ = reinterpret_cast<const int*>(dev + window_bytes + filter_bytes + band_bytes);
  // Load time: the staging is rewritten by the first call, and callers' streams have no event to
  // wait on before they read the constants.
  load_stream_.synchronize();
}

CudaLogMel::~CudaLogMel() {
  // Destructors never throw: a failure here means the context is already broken.
  (void)cudaEventSynchronize(done_.get());
  for (auto& [frames, p] : plans_) (void)cufftDestroy(p.handle);
}

const CudaLogMel::Plan& CudaLogMel::plan(int64_t frames) {
  const auto it = plans_.find(frames);
  if (it != plans_.end()) return it->second;
  Plan p;
  LRE_CUFFT_CHECK(cufftCreate(&p.handle));
  try {
    // Each call hands the work area over from its stream-ordered scratch instead of cuFFT holding
    // one cudaMalloc'd area per plan.
    LRE_CUFFT_CHECK(cufftSetAutoAllocation(p.handle, 0));
    int n[1] = {kNFft}, in_embed[1] = {kNFft}, out_embed[1] = {kBins};
    LRE_CUFFT_CHECK(cufftMakePlanMany(p.handle, 1, n, in_embed, 1, kNFft, out_embed, 1, kBins, CUFFT_D2Z,
                                      static_cast<int>(frames), &p.work_bytes));
  } catch (...) {
    (void)cufftDestroy(p.handle);
    throw;
  }
  return plans_.emplace(frames, p).first->second;
}

void CudaLogMel::prepare(int64_t total_frames) {
  if (total_frames < 0)
    throw Error(ErrorCode::InvalidArgument,
                "CudaLogMel::prepare: total_frames must be >= 0, got " + std::to_string(total_frames));
  LRE_CUDA_CHECK(cudaSetDevice(device_));
  for (int64_t g0 = 0; g0 < total_frames; g0 += fft_frames(total_frames - g0)) plan(fft_frames(total_frames - g0));
}

void CudaLogMel::compute(std::span<const float> samples_16k, int64_t pad_to_samples, cudaStream_t stream, float* out) {
  const std::span<const float> one[1] = {samples_16k};
  compute_batch(one, pad_to_samples, stream, out);
}

void CudaLogMel::compute_batch(std::span<const std::span<const float>> windows, int64_t pad_to_samples,
                               cudaStream_t stream, float* out) {
  if (pad_to_samples < 0)
    throw Error(ErrorCode::InvalidArgument,
                "CudaLogMel::compute: pad_to_samples must be >= 0, got " + std::to_string(pad_to_samples));
  if (stream == nullptr || stream == cudaStreamLegacy || stream == cudaStreamPerThread)
    throw Error(ErrorCode::InvalidArgument,
                "CudaLogMel::compute: expected a created stream, got a default stream (work on it would "
                "serialise with every other stream)");
  const int64_t n = static_cast<int64_t>(windows.size());
  if (n == 0) return;
  const int64_t frames = LogMel::frame_count(static_cast<int64_t>(windows[0].size()), pad_to_samples);
  int64_t total_samples = 0;
  for (int64_t w = 0; w < n; ++w) {
    const int64_t count = static_cast<int64_t>(windows[static_cast<size_t>(w)].size());
    const int64_t f = LogMel::frame_count(count, pad_to_samples);
    if (f != frames)
      throw Error(ErrorCode::InvalidArgument,
                  "CudaLogMel::compute_batch: window " + std::to_string(w) + " (" + std::to_string(count) +
                      " samples) gives " + std::to_string(f) + " frames, window 0 gives " + std::to_string(frames) +
                      "; every window must give the same count (pad them to one length with pad_to_samples)");
    total_samples += count;
  }
  if (out == nullptr) throw Error(ErrorCode::InvalidArgument, "CudaLogMel::compute: out is null");
  const int64_t total_frames = n * frames;
  LRE_CUDA_CHECK(cudaSetDevice(device_));

  // Plans first: creating one synchronises, and nothing of this call is enqueued yet.
  size_t work_bytes = 0;
  for (int64_t g0 = 0; g0 < total_frames; g0 += fft_frames(total_frames - g0))
    work_bytes = std::max(work_bytes, plan(fft_frames(total_frames - g0)).work_bytes);

  // Scratch: window offsets and samples (one upload), frames, spectrum, max keys, cuFFT work area.
  const size_t offsets_bytes = aligned(static_cast<size_t>(n + 1) * sizeof(int64_t));
  const size_t upload_bytes = offsets_bytes + static_cast<size_t>(total_samples) * sizeof(float);
  const size_t batch = static_cast<size_t>(fft_frames(total_frames));  // the largest cuFFT call
  const size_t framed_at = aligned(upload_bytes);
  const size_t spectrum_at = framed_at + aligned(batch * kNFft * sizeof(double));
  const size_t keys_at = spectrum_at + aligned(batch * kBins * sizeof(cufftDoubleComplex));
  const size_t work_at = keys_at + aligned(static_cast<size_t>(n) * sizeof(unsigned));

  // The previous call's upload must have left the staging before it is rewritten or regrown.
  staged_.synchronize();
  staging_.reserve(upload_bytes);
  int64_t* offsets = staging_.data_as<int64_t>();
  float* samples = reinterpret_cast<float*>(staging_.data_as<char>() + offsets_bytes);
  offsets[0] = 0;
  for (int64_t w = 0; w < n; ++w) {
    const std::span<const float> s = windows[static_cast<size_t>(w)];
    if (!s.empty()) std::memcpy(samples + offsets[w], s.data(), s.size_bytes());
    offsets[w + 1] = offsets[w] + static_cast<int64_t>(s.size());
  }

  cuda::DeviceBuffer scratch(cuda::DevicePool::of(device_), work_at + work_bytes, stream);
  char* base = scratch.data_as<char>();
  const auto* offsets_dev = reinterpret_cast<const int64_t*>(base);
  const auto* samples_dev = reinterpret_cast<const float*>(base + offsets_bytes);
  auto* framed = reinterpret_cast<double*>(base + framed_at);
  auto* spectrum = reinterpret_cast<cufftDoubleComplex*>(base + spectrum_at);
  auto* max_keys = reinterpret_cast<unsigned*>(base + keys_at);
  void* work = base + work_at;
  LRE_CUDA_CHECK(cudaMemcpyAsync(base, staging_.data(), upload_bytes, cudaMemcpyHostToDevice, stream));
  staged_.record(stream);
  LRE_CUDA_CHECK(cudaMemsetAsync(max_keys, 0, static_cast<size_t>(n) * sizeof(unsigned), stream));

  const int64_t min_length = std::max(pad_to_samples, LogMel::kMinSamples);
  const int64_t tiles_per_window = (frames + kTileFrames - 1) / kTileFrames;
  const auto tile_of = [&](int64_t g) { return g / frames * tiles_per_window + g % frames / kTileFrames; };
  for (int64_t g0 = 0; g0 < total_frames;) {
    const int64_t count = fft_frames(total_frames - g0);
    const int64_t g1 = std::min(g0 + count, total_frames);
    frame_window_kernel<<<cuda::grid_for(count * kNFft), cuda::kBlockThreads, 0, stream>>>(
        offsets_dev, samples_dev, min_length, frames, total_frames, g0, count, window_, framed);
    LRE_CUDA_CHECK_LAUNCH();
    const Plan& p = plan(count);
    LRE_CUFFT_CHECK(cufftSetStream(p.handle, stream));
    LRE_CUFFT_CHECK(cufftSetWorkArea(p.handle, work));
    LRE_CUFFT_CHECK(cufftExecD2Z(p.handle, framed, spectrum));
    const int64_t first_tile = tile_of(g0);
    mel_tile_kernel<<<static_cast<unsigned>(tile_of(g1 - 1) - first_tile + 1), cuda::kBlockThreads, 0, stream>>>(
        spectrum, g0, g1, frames, tiles_per_window, first_tile, filters_, band_begin_, band_end_, n_mels(), out,
        max_keys);
    LRE_CUDA_CHECK_LAUNCH();
    g0 = g1;
  }
  const int64_t per_window = static_cast<int64_t>(n_mels()) * frames;
  normalize_kernel<<<cuda::grid_for(n * per_window), cuda::kBlockThreads, 0, stream>>>(out, per_window,
                                                                                       n * per_window, max_keys);
  LRE_CUDA_CHECK_LAUNCH();
  done_.record(stream);
}

}  // namespace lre::audio
