// Tensor storage and shape helpers. Host allocations are 64-byte aligned so kernels can use
// aligned vector loads on any tensor the runtime allocates.
#include "lre/tensor.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "lre/error.h"

namespace lre {

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

std::string shape_to_string(const Shape& s) {
  std::string out = "[";
  for (size_t i = 0; i < s.size(); ++i) {
    if (i) out += ", ";
    out += std::to_string(s[i]);
  }
  return out + "]";
}

std::string Device::to_string() const { return is_cpu() ? "cpu" : "cuda:" + std::to_string(index); }

std::string TensorInfo::shape_string() const {
  if (!shape_known) return "[?]";
  std::string out = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out += ", ";
    if (!shape[i].is_dynamic()) out += std::to_string(shape[i].value);
    else out += shape[i].symbol.empty() ? "?" : shape[i].symbol;
  }
  return out + "]";
}

namespace {
std::shared_ptr<void> allocate_host(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  if (rounded == 0) rounded = 64;
  void* p = std::aligned_alloc(64, rounded);
  if (!p) throw Error(ErrorCode::OutOfMemory, "host allocation of " + std::to_string(bytes) + " bytes failed");
  std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}
}  // namespace

Tensor::Tensor(DType dtype, Shape shape) : dtype_(dtype), shape_(std::move(shape)), defined_(true) {
  for (int64_t d : shape_)
    if (d < 0) throw Error(ErrorCode::InvalidArgument, "negative dimension in shape " + shape_to_string(shape_));
  storage_ = allocate_host(nbytes());
  data_ = storage_.get();
}

Tensor Tensor::wrap(void* data, DType dtype, Shape shape, Device device) {
  return from_storage(nullptr, data, dtype, std::move(shape), device);
}

Tensor Tensor::from_storage(std::shared_ptr<void> storage, void* data, DType dtype, Shape shape, Device device) {
  Tensor t;
  t.storage_ = std::move(storage);
  t.data_ = data;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.device_ = device;
  t.defined_ = true;
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  if (shape_numel(shape) != numel())
    throw Error(ErrorCode::InvalidArgument,
                "cannot view a tensor of shape " + shape_to_string(shape_) + " as " + shape_to_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  if (!device_.is_cpu()) throw Error(ErrorCode::Unsupported, "clone() of a device tensor");
  Tensor t(dtype_, shape_);
  if (nbytes()) std::memcpy(t.raw(), data_, nbytes());
  return t;
}

}  // namespace lre
