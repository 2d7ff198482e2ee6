// A fixed pool of worker threads with a blocking parallel_for. Each ExecutionContext owns one, so
// contexts running on different threads never contend for workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace lre {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);  // total threads including the caller; 1 means run inline
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(begin, end) over [0, n) in chunks of at least `grain`, on the pool and the caller.
  // Blocks until every chunk is done; the first exception thrown by a chunk is rethrown here.
  void parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

 private:
  void worker_loop();
  void run_chunks(std::unique_lock<std::mutex>& lock);  // called and returns with lock held

  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t job_n_ = 0, job_chunk_ = 0, next_chunk_ = 0, chunks_ = 0, chunks_done_ = 0;
  uint64_t generation_ = 0;
  int busy_workers_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace lre
