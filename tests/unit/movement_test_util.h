// Helpers for the shape and data-movement op tests: N-D index arithmetic for the references, and a
// run into outputs pre-filled with garbage, which shows any element a kernel forgets to write.
#pragma once

#include <cstring>

#include "op_test_util.h"

namespace lre::test {

inline std::vector<int64_t> unravel(int64_t i, const Shape& shape) {
  std::vector<int64_t> idx(shape.size());
  for (size_t d = shape.size(); d-- > 0;) {
    idx[d] = i % shape[d];
    i /= shape[d];
  }
  return idx;
}

inline int64_t ravel(const std::vector<int64_t>& idx, const Shape& shape) {
  int64_t i = 0;
  for (size_t d = 0; d < shape.size(); ++d) i = i * shape[d] + idx[d];
  return i;
}

// Runs the model once for the output shapes, overwrites those outputs with 0x7f bytes, and runs
// again into them on a fresh context (which writes into outputs of the right dtype and shape).
inline std::vector<Tensor> run_over_garbage(const OpTest& t, const NamedTensors& feeds) {
  auto engine = t.engine();
  std::vector<Tensor> out = ExecutionContext(engine, {.threads = 3}).run(feeds);
  for (Tensor& o : out)
    if (o.nbytes()) std::memset(o.raw(), 0x7f, o.nbytes());
  std::vector<const void*> buffers;
  for (const Tensor& o : out) buffers.push_back(o.raw());
  ExecutionContext(engine, {.threads = 3}).run(feeds, out);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].raw(), buffers[i]) << "output " << i << " was not written in place";
  return out;
}

}  // namespace lre::test
