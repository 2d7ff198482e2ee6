// ScatterElements (and the old Scatter) and ScatterND: writes of `updates` at places picked by an
// index tensor, into an output that already holds a copy of the data. Indices are checked first.
#pragma once

#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/cpu/element_bytes.h"
#include "lre/dtype.h"
#include "lre/tensor.h"

namespace lre::cpu {

// How an update combines with the value already there. With None, the last duplicate index wins.
enum class ScatterReduction { None, Add, Mul, Max, Min };

// out (out_shape)[i with coordinate `axis` replaced by indices[i]] op= updates[i], for every i of
// indices_shape (the shape of updates too, of the same rank as out and no larger along other axes).
void scatter_elements(DType dtype, void* out, const Shape& out_shape, const void* updates, IndexData indices,
                      const Shape& indices_shape, int64_t axis, ScatterReduction reduction, ThreadPool* pool);

// out (d_0 .. d_k-1, slice...) : for each of `count` index tuples (count, k), the slice it picks op=
// the matching slice of updates (count, slice). `index_dims` holds d_0 .. d_k-1.
void scatter_nd(DType dtype, void* out, const Shape& index_dims, int64_t slice, const void* updates, IndexData indices,
                int64_t count, ScatterReduction reduction);

}  // namespace lre::cpu
