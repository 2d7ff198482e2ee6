// Strided view copies: dimensions are merged on the host, then one of four paths runs (one
// memcpy, row copies, shared-memory tiles for transposes, element by element), each a grid-stride
// loop over elements moved as unsigned words of their width.
#include <algorithm>
#include <string>

#include "device/cuda/cuda_check.h"
#include "kernels/cuda/movement_util.cuh"
#include "kernels/cuda/strided_copy.cuh"

namespace lre::cuda {

namespace {

// A view, innermost dimension first, with x's stride (in elements) along each dimension.
struct CopyView {
  int rank = 0;
  int64_t size[kMaxCopyDims] = {};
  int64_t stride[kMaxCopyDims] = {};
};

// x's offset of element i of v, i counted row-major over v's dimensions.
template <typename Index>
__device__ __forceinline__ int64_t view_offset(Index i, const CopyView& v) {
  int64_t off = 0;
#pragma unroll
  for (int d = 0; d < kMaxCopyDims; ++d) {
    if (d == v.rank) break;
    const Index size = static_cast<Index>(v.size[d]);
    off += static_cast<int64_t>(i % size) * v.stride[d];
    i /= size;
  }
  return off;
}

template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) strided_copy_kernel(const T* x, T* y, Index n, CopyView v) {
  for (Index i = grid_first<Index>(); i < n; i += grid_step<Index>()) y[i] = x[view_offset(i, v)];
}

// Rows of `cols` elements contiguous in x and in y, `outer` holding the other dimensions: a thread
// pays the index divisions once per row instead of once per element. Blocks are (threads per row,
// rows per block), so short rows still fill the block.
template <typename T, typename Index>
__global__ void __launch_bounds__(kBlockThreads) strided_rows_kernel(const T* x, T* y, Index rows, Index cols,
                                                                     CopyView outer) {
  const Index col_first = static_cast<Index>(blockIdx.x) * blockDim.x + threadIdx.x;
  const Index col_step = static_cast<Index>(gridDim.x) * blockDim.x;
  const Index row_step = static_cast<Index>(gridDim.y) * blockDim.y;
  for (Index r = static_cast<Index>(blockIdx.y) * blockDim.y + threadIdx.y; r < rows; r += row_step) {
    const T* src = x + view_offset(r, outer);
    T* dst = y + static_cast<int64_t>(r) * cols;
    for (Index c = col_first; c < cols; c += col_step) dst[c] = src[c];
  }
}

// Tiles are moved by 32 x 8 threads. Elements of 1 or 2 bytes take 64 x 64 tiles, so that a warp
// still reads and writes 64 or more contiguous bytes and each thread has 16 elements in flight.
constexpr int kTileThreadsX = 32;
constexpr int kTileThreadsY = 8;
template <typename T> constexpr int kTileSize = sizeof(T) <= 2 ? 64 : 32;
// Row padding that makes a tile row an odd number of 4-byte words (for 8-byte elements, a stride
// the two half-warp phases spread over all banks), so reading a tile column hits distinct banks.
template <typename T> constexpr int kTilePad = sizeof(T) >= 4 ? 1 : static_cast<int>(4 / sizeof(T));

// A transposing view: dimension a is innermost in y, dimension b is the one x walks contiguously,
// and the remaining dimensions form the batch, with their strides in x and in y.
struct TileView {
  int64_t a_size = 0, b_size = 0;
  int64_t a_x_stride = 0;  // b's x stride is 1
  int64_t b_y_stride = 0;  // a's y stride is 1
  int64_t a_tiles = 0, b_tiles = 0;
  int batch_rank = 0;
  int64_t batch_size[kMaxCopyDims] = {};
  int64_t batch_x_stride[kMaxCopyDims] = {};
  int64_t batch_y_stride[kMaxCopyDims] = {};
};

// Each tile is read with the warp along b (coalesced in x) and written with the warp along a
// (coalesced in y); shared memory turns one order into the other.
template <typename T>
__global__ void __launch_bounds__(kTileThreadsX * kTileThreadsY) strided_tile_kernel(const T* x, T* y,
                                                                                      int64_t n_tiles, TileView v) {
  constexpr int kTile = kTileSize<T>;
  __shared__ T tile[kTile][kTile + kTilePad<T>];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  for (int64_t t = blockIdx.x; t < n_tiles; t += gridDim.x) {
    int64_t rest = t;
    const int64_t a0 = rest % v.a_tiles * kTile;
    rest /= v.a_tiles;
    const int64_t b0 = rest % v.b_tiles * kTile;
    rest /= v.b_tiles;
    int64_t xo = 0, yo = 0;
    for (int d = 0; d < v.batch_rank; ++d) {
      const int64_t idx = rest % v.batch_size[d];
      rest /= v.batch_size[d];
      xo += idx * v.batch_x_stride[d];
      yo += idx * v.batch_y_stride[d];
    }
    // tile[i][j] holds the element at a = a0 + i, b = b0 + j. Loops of constant trip count unroll
    // fully, so all of a thread's loads are in flight at once.
#pragma unroll
    for (int i0 = 0; i0 < kTile; i0 += kTileThreadsY) {
#pragma unroll
      for (int j0 = 0; j0 < kTile; j0 += kTileThreadsX) {
        const int i = i0 + ty, j = j0 + tx;
        if (a0 + i < v.a_size && b0 + j < v.b_size) tile[i][j] = x[xo + (a0 + i) * v.a_x_stride + b0 + j];
      }
    }
    __syncthreads();
#pragma unroll
    for (int j0 = 0; j0 < kTile; j0 += kTileThreadsY) {
#pragma unroll
      for (int i0 = 0; i0 < kTile; i0 += kTileThreadsX) {
        const int i = i0 + tx, j = j0 + ty;
        if (a0 + i < v.a_size && b0 + j < v.b_size) y[yo + (b0 + j) * v.b_y_stride + a0 + i] = tile[i][j];
      }
    }
    __syncthreads();  // the next tile overwrites this one
  }
}

// Drops size-1 dimensions and merges each dimension into the next inner one when x walks the pair
// as one (including two broadcast dimensions, both of stride 0).
CopyView merge_view(std::span<const int64_t> shape, std::span<const int64_t> strides, const char* caller) {
  CopyView v;
  for (size_t i = shape.size(); i-- > 0;) {
    if (shape[i] == 1) continue;
    if (v.rank > 0 && strides[i] == v.stride[v.rank - 1] * v.size[v.rank - 1]) {
      v.size[v.rank - 1] *= shape[i];
      continue;
    }
    if (v.rank == kMaxCopyDims) fail_rank(caller, kMaxCopyDims);
    v.size[v.rank] = shape[i];
    v.stride[v.rank] = strides[i];
    ++v.rank;
  }
  return v;
}

template <typename T, typename Index>
void launch_rows(const T* x, T* y, int64_t n, const CopyView& v, cudaStream_t stream) {
  const int64_t cols = v.size[0], rows = n / cols;
  CopyView outer;
  outer.rank = v.rank - 1;
  std::copy(v.size + 1, v.size + v.rank, outer.size);
  std::copy(v.stride + 1, v.stride + v.rank, outer.stride);
  const RowsLaunch launch = rows_launch(rows, cols, 4, 32);
  strided_rows_kernel<T, Index>
      <<<launch.grid, launch.block, 0, stream>>>(x, y, static_cast<Index>(rows), static_cast<Index>(cols), outer);
  LRE_CUDA_CHECK_LAUNCH();
}

template <typename T>
void launch_tiles(const T* x, T* y, const CopyView& v, int b, cudaStream_t stream) {
  constexpr int kTile = kTileSize<T>;
  TileView t;
  t.a_size = v.size[0];
  t.b_size = v.size[b];
  t.a_x_stride = v.stride[0];
  t.a_tiles = (t.a_size + kTile - 1) / kTile;
  t.b_tiles = (t.b_size + kTile - 1) / kTile;
  int64_t y_stride = 1;
  for (int d = 0; d < v.rank; ++d) {
    if (d == b) t.b_y_stride = y_stride;
    if (d != 0 && d != b) {
      t.batch_size[t.batch_rank] = v.size[d];
      t.batch_x_stride[t.batch_rank] = v.stride[d];
      t.batch_y_stride[t.batch_rank] = y_stride;
      ++t.batch_rank;
    }
    y_stride *= v.size[d];
  }
  const int64_t n_tiles = y_stride / (t.a_size * t.b_size) * t.a_tiles * t.b_tiles;
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(n_tiles, kMaxBlocks));
  strided_tile_kernel<T><<<grid, dim3(kTileThreadsX, kTileThreadsY), 0, stream>>>(x, y, n_tiles, t);
  LRE_CUDA_CHECK_LAUNCH();
}

// Rows contiguous in x and long enough to fill a warp copy by rows; a view whose innermost
// dimension x does not walk contiguously, while another it does, goes by tiles when both are long
// enough for tiles to pay; everything else element by element.
template <typename T>
void copy_view(const T* x, T* y, int64_t n, const CopyView& v, cudaStream_t stream) {
  if (v.stride[0] == 1 && v.size[0] >= 32) {
    dispatch_index(n, [&]<typename Index>() { launch_rows<T, Index>(x, y, n, v, stream); });
    return;
  }
  if (v.stride[0] != 1) {
    for (int b = 1; b < v.rank; ++b) {
      if (v.stride[b] != 1) continue;
      if (v.size[0] >= 8 && v.size[b] >= 8) {
        launch_tiles<T>(x, y, v, b, stream);
        return;
      }
      break;
    }
  }
  dispatch_index(n, [&]<typename Index>() {
    strided_copy_kernel<T, Index><<<grid_for(n), kBlockThreads, 0, stream>>>(x, y, static_cast<Index>(n), v);
    LRE_CUDA_CHECK_LAUNCH();
  });
}

}  // namespace

void launch_strided_copy(size_t elem_bytes, const void* x, int64_t x_offset, std::span<const int64_t> x_strides,
                         void* y, std::span<const int64_t> shape, cudaStream_t stream, const char* caller) {
  check_element_bytes(elem_bytes, caller);
  if (x_strides.size() != shape.size())
    fail_argument(caller, std::to_string(x_strides.size()) + " strides for the view shape " + shape_str(shape));
  for (int64_t d : shape)
    if (d < 0) fail_argument(caller, "negative dimension in the view shape " + shape_str(shape));
  const int64_t n = element_count(shape);
  if (n == 0) return;
  const char* xb = static_cast<const char*>(x) + x_offset * static_cast<int64_t>(elem_bytes);
  CopyView v = merge_view(shape, x_strides, caller);
  if (v.rank == 0 || (v.rank == 1 && v.stride[0] == 1)) {
    LRE_CUDA_CHECK(cudaMemcpyAsync(y, xb, static_cast<size_t>(n) * elem_bytes, cudaMemcpyDeviceToDevice, stream));
    return;
  }
  // Rows contiguous in x move as the widest words that every row start and length allow.
  size_t unit = elem_bytes;
  if (v.stride[0] == 1) {
    int64_t counts[kMaxCopyDims];
    counts[0] = v.size[0];
    std::copy(v.stride + 1, v.stride + v.rank, counts + 1);
    const void* pointers[] = {xb, y};
    unit = widest_unit(elem_bytes, pointers, std::span<const int64_t>(counts, static_cast<size_t>(v.rank)));
    const int64_t factor = static_cast<int64_t>(unit / elem_bytes);
    v.size[0] /= factor;
    for (int d = 1; d < v.rank; ++d) v.stride[d] /= factor;
  }
  const int64_t units = n * static_cast<int64_t>(elem_bytes) / static_cast<int64_t>(unit);
  dispatch_unit(unit, caller, [&]<typename T>() {
    copy_view<T>(reinterpret_cast<const T*>(xb), static_cast<T*>(y), units, v, stream);
  });
}

}  // namespace lre::cuda
