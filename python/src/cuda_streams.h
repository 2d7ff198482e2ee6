// Stream order between pylre's callers and CUDA engines: events recorded on one stream and waited
// for on another (never a host wait), and device memory handed back to the runtime only once every
// stream that used it has finished with it. The declarations carry no CUDA types; the definitions
// (cuda/cuda_streams.cc) exist only in builds where the core has the CUDA backend.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "lre/tensor.h"

namespace lre::python {

// A CUDA event from a recycled pool, recorded on a stream at most once.
class StreamEvent;
using EventPtr = std::shared_ptr<const StreamEvent>;

// Stream handles as torch and DLPack spell them: 0 and 1 name the legacy default stream, 2 the
// per-thread default stream; the runtime refuses all three (work on them serialises with others).
inline bool is_default_stream(intptr_t handle) { return handle >= 0 && handle <= 2; }

#if LRE_WITH_CUDA

// GPUs this process sees; 0 where the driver finds none.
int visible_cuda_devices();

// Sets the calling thread's current CUDA device for a scope and restores the caller's after, so
// pylre never changes the device torch (or anyone) thinks is current.
class DeviceScope {
 public:
  explicit DeviceScope(int device);
  ~DeviceScope();
  DeviceScope(const DeviceScope&) = delete;
  DeviceScope& operator=(const DeviceScope&) = delete;

 private:
  int previous_ = -1;
};

// Makes `waiter` wait for the work enqueued on `producer` so far. Needs `device` current.
void stream_wait_stream(intptr_t waiter, intptr_t producer, int device);
// An event recorded on `stream` now. Needs `device` current.
EventPtr record_event(intptr_t stream, int device);
// Makes `stream` wait for `event`. Needs the event's device current.
void stream_wait_event(intptr_t stream, const StreamEvent& event);

// A view of device tensor `t` whose memory goes back to the runtime only after `after` has
// completed and, when `consumer` is given, after the work enqueued on `consumer` by the time the
// last handle on the view drops. Either may be absent.
Tensor guard_device_memory(const Tensor& t, EventPtr after, std::optional<intptr_t> consumer);
// Keeps `held` alive until `after` has completed (inputs a run still reads).
void release_after(std::vector<Tensor> held, EventPtr after);
// Drops what release_after and guarded views handed over whose events have completed. Call with
// the GIL held and no lock taken: dropping a caller's input gives its memory back to Python.
void collect_released();

#else

inline int visible_cuda_devices() { return 0; }

#endif

}  // namespace lre::python
