// Tensors across the Python boundary without copies: caller arrays (DLPack, or the buffer protocol
// where an old numpy refuses DLPack) become lre::Tensor views, and lre::Tensors leave as DLPack
// capsules that hold a share of the C++ storage until the consumer lets go.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "lre/tensor.h"

namespace lre::python {

// `obj` as a tensor sharing its memory; C-contiguous layouts are wrapped, any other layout is
// copied into a fresh contiguous tensor. `obj` is an array (DLPack or buffer protocol) or an
// unused "dltensor" capsule, taken over as it is (no stream handshake: the caller has ordered its
// memory). The tensor keeps `obj`'s memory alive and releases it under the GIL. The tensor's
// device is where the memory is; the engine checks it fits. `stream` is the consumer stream
// handed to __dlpack__ for device arrays (CUDA). `what` names the input in errors ("input
// 'image'"). Needs the GIL.
Tensor import_tensor(pybind11::handle obj, std::optional<intptr_t> stream, const std::string& what);

// A "dltensor" capsule viewing `t`; the capsule (or its consumer) owns a handle on t's storage, so
// the memory outlives the engine, its context and later runs.
pybind11::capsule export_tensor(const Tensor& t);

// DLPack's (device_type, device_id) for `device`.
pybind11::tuple dlpack_device(const Device& device);

// The struct-module format of `dtype` for the buffer protocol; empty when it has none (bfloat16).
std::string buffer_format(DType dtype);

}  // namespace lre::python
