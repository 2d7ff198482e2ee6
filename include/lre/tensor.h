// Shapes and tensors. A Tensor is a typed, shaped view of memory on one device; it either owns its
// storage (shared, so copies are cheap handles) or wraps memory the caller owns.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "lre/dtype.h"

namespace lre {

using Shape = std::vector<int64_t>;

int64_t shape_numel(const Shape& s);
std::string shape_to_string(const Shape& s);  // "[1, 3, 224, 224]"

struct Device {
  enum class Kind : uint8_t { Cpu, Cuda };
  Kind kind = Kind::Cpu;
  int index = 0;

  static Device cpu() { return {Kind::Cpu, 0}; }
  static Device cuda(int index = 0) { return {Kind::Cuda, index}; }
  bool is_cpu() const { return kind == Kind::Cpu; }
  bool operator==(const Device&) const = default;
  std::string to_string() const;
};

// A dimension of a declared (model input/output) shape: a fixed size, or dynamic with an optional
// symbolic name such as "batch".
struct Dim {
  int64_t value = -1;  // -1 when dynamic
  std::string symbol;
  bool is_dynamic() const { return value < 0; }
};

struct TensorInfo {
  std::string name;
  DType dtype = DType::Float32;
  std::vector<Dim> shape;
  bool shape_known = true;  // false when the model declares no shape at all (any rank accepted)
  std::string shape_string() const;  // "[batch, 3, 224, 224]"
};

class Tensor {
 public:
  Tensor() = default;
  // Allocates zero-initialised host memory (64-byte aligned).
  Tensor(DType dtype, Shape shape);
  // Wraps memory the caller owns and keeps alive for the tensor's lifetime.
  static Tensor wrap(void* data, DType dtype, Shape shape, Device device = Device::cpu());
  // Shares `storage` (which keeps the memory alive) at `data`.
  static Tensor from_storage(std::shared_ptr<void> storage, void* data, DType dtype, Shape shape,
                             Device device = Device::cpu());

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_[i]; }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const { return shape_numel(shape_); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  const Device& device() const { return device_; }
  bool defined() const { return defined_; }

  void* raw() { return data_; }
  const void* raw() const { return data_; }
  template <typename T> T* data() { return static_cast<T*>(data_); }
  template <typename T> const T* data() const { return static_cast<const T*>(data_); }
  template <typename T> std::span<T> span() { return {data<T>(), static_cast<size_t>(numel())}; }
  template <typename T> std::span<const T> span() const { return {data<T>(), static_cast<size_t>(numel())}; }

  // Same memory, another shape of the same element count.
  Tensor reshaped(Shape shape) const;
  // A deep copy into fresh host memory.
  Tensor clone() const;
  // A copy on `device` (this tensor itself when already there). Synchronous, for set-up and
  // tests: inference takes host or device tensors directly and stages them itself.
  Tensor to(Device device) const;

 private:
  std::shared_ptr<void> storage_;
  void* data_ = nullptr;
  DType dtype_ = DType::Float32;
  Shape shape_;
  Device device_;
  bool defined_ = false;
};

}  // namespace lre
