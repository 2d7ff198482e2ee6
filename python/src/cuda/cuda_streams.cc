// Events and deferred releases for pylre's CUDA calls. Events come from a pool, since a run records
// one and creating them costs a driver call; memory a stream may still read is parked in a list
// and dropped once its event completes, which collect_released() polls without ever waiting.
#include "cuda_streams.h"

#include <cuda_runtime_api.h>

#include <mutex>
#include <string>
#include <utility>

#include "lre/error.h"

namespace lre::python {

namespace {

void check(cudaError_t status, const char* what) {
  if (status != cudaSuccess)
    throw Error(ErrorCode::Device, std::string(what) + ": " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")");
}

// Handles are cudaStream_t values as they are: torch's 0 is the legacy default stream (the
// runtime is compiled without per-thread default streams), and DLPack's 1 and 2 are CUDA's own
// values for the legacy and per-thread default streams. pylre only records and waits on those.
cudaStream_t to_stream(intptr_t handle) { return reinterpret_cast<cudaStream_t>(handle); }

// Freed events are kept per device for the next run (the pool and its events live as long as the
// process: destroying them during exit would race the driver's teardown).
struct EventPool {
  std::mutex mutex;
  std::vector<std::pair<int, cudaEvent_t>> free;

  static EventPool& get() {
    static EventPool* pool = new EventPool;
    return *pool;
  }
};

// What waits in the release list: memory (or references) some stream may still use, and the event
// after which nothing does.
struct Parked {
  std::shared_ptr<void> held;
  EventPtr after;
};

struct ReleaseList {
  std::mutex mutex;
  std::vector<Parked> parked;

  static ReleaseList& get() {
    static ReleaseList* list = new ReleaseList;  // lives past exit, like the pool above
    return *list;
  }
};

void park(std::shared_ptr<void> held, EventPtr after) {
  if (!after) return;  // `held` drops here: nothing pending reads it
  ReleaseList& list = ReleaseList::get();
  std::lock_guard lock(list.mutex);
  list.parked.push_back({std::move(held), std::move(after)});
}

}  // namespace

class StreamEvent {
 public:
  StreamEvent(cudaEvent_t event, int device) : event_(event), device_(device) {}
  ~StreamEvent() {
    EventPool& pool = EventPool::get();
    std::lock_guard lock(pool.mutex);
    pool.free.emplace_back(device_, event_);
  }
  StreamEvent(const StreamEvent&) = delete;
  StreamEvent& operator=(const StreamEvent&) = delete;

  cudaEvent_t get() const { return event_; }
  int device() const { return device_; }

 private:
  cudaEvent_t event_;
  int device_;
};

namespace {

std::shared_ptr<StreamEvent> acquire_event(int device) {
  {
    EventPool& pool = EventPool::get();
    std::lock_guard lock(pool.mutex);
    for (auto it = pool.free.begin(); it != pool.free.end(); ++it)
      if (it->first == device) {
        cudaEvent_t e = it->second;
        pool.free.erase(it);
        return std::make_shared<StreamEvent>(e, device);
      }
  }
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  return std::make_shared<StreamEvent>(e, device);
}

// Holds a device tensor for the views guard_device_memory makes; parks it when the last view drops.
struct Guard {
  Guard(Tensor t, EventPtr a, std::optional<intptr_t> c) : tensor(std::move(t)), after(std::move(a)), consumer(c) {}
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

  Tensor tensor;
  EventPtr after;
  std::optional<intptr_t> consumer;

  ~Guard() {
    EventPtr done = after;
    if (consumer) {
      // The consumer waited for `after` before using the memory, so its own work finishing is the
      // later of the two. A destructor must not throw: a failing record leaves `after` in place,
      // which is all the runtime's stream needs.
      try {
        DeviceScope scope(tensor.device().index);
        std::shared_ptr<StreamEvent> e = acquire_event(tensor.device().index);
        if (cudaEventRecord(e->get(), to_stream(*consumer)) == cudaSuccess) done = std::move(e);
        else (void)cudaGetLastError();
      } catch (const Error&) {
      }
    }
    park(std::make_shared<Tensor>(std::move(tensor)), std::move(done));
  }
};

}  // namespace

int visible_cuda_devices() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return count;
}

DeviceScope::DeviceScope(int device) {
  check(cudaGetDevice(&previous_), "cudaGetDevice");
  if (previous_ != device) check(cudaSetDevice(device), "cudaSetDevice");
}

DeviceScope::~DeviceScope() {
  int now = -1;
  if (cudaGetDevice(&now) == cudaSuccess && now != previous_) (void)cudaSetDevice(previous_);
}

void stream_wait_stream(intptr_t waiter, intptr_t producer, int device) {
  // The event can go back to the pool at once: a wait captures the event's state when it is made.
  std::shared_ptr<StreamEvent> e = acquire_event(device);
  check(cudaEventRecord(e->get(), to_stream(producer)), "cudaEventRecord on the caller's stream");
  check(cudaStreamWaitEvent(to_stream(waiter), e->get(), 0), "cudaStreamWaitEvent");
}

EventPtr record_event(intptr_t stream, int device) {
  std::shared_ptr<StreamEvent> e = acquire_event(device);
  check(cudaEventRecord(e->get(), to_stream(stream)), "cudaEventRecord");
  return e;
}

void stream_wait_event(intptr_t stream, const StreamEvent& event) {
  check(cudaStreamWaitEvent(to_stream(stream), event.get(), 0), "cudaStreamWaitEvent");
}

Tensor guard_device_memory(const Tensor& t, EventPtr after, std::optional<intptr_t> consumer) {
  auto guard = std::make_shared<Guard>(t, std::move(after), consumer);
  void* data = const_cast<void*>(t.raw());
  return Tensor::from_storage(std::move(guard), data, t.dtype(), t.shape(), t.device());
}

void release_after(std::vector<Tensor> held, EventPtr after) {
  if (held.empty()) return;
  park(std::make_shared<std::vector<Tensor>>(std::move(held)), std::move(after));
}

void collect_released() {
  std::vector<Parked> done;
  {
    ReleaseList& list = ReleaseList::get();
    std::lock_guard lock(list.mutex);
    if (list.parked.empty()) return;
    auto keep = list.parked.begin();
    for (auto it = list.parked.begin(); it != list.parked.end(); ++it) {
      const cudaError_t status = cudaEventQuery(it->after->get());
      if (status == cudaErrorNotReady) {
        if (keep != it) *keep = std::move(*it);
        ++keep;
      } else {
        // Complete, or the device has failed (a sticky error the next run reports): either way
        // no stream will read this memory again.
        if (status != cudaSuccess) (void)cudaGetLastError();
        done.push_back(std::move(*it));
      }
    }
    list.parked.erase(keep, list.parked.end());
  }
  // `done` drops here, outside the lock: a caller's input hands its memory back to Python, and a
  // guarded view parks what it holds, which takes the lock again.
}

}  // namespace lre::python
