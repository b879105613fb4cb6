// How many broadcasts the store thread has settled since the broker started:
// written and committed, or failed to be. The reader waits on it so that an
// answer sees every broadcast published before its question was asked, even
// though a broadcast is published before the store thread commits it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace charla::broker {

class Settled {
 public:
  void add(std::uint64_t n) {
    if (n == 0) return;
    {
      const std::lock_guard<std::mutex> lock(m_);
      count_ += n;
    }
    cv_.notify_all();
  }
  // Until at least `n` are settled, or the deadline; whether they are.
  bool wait(std::uint64_t n, std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(m_);
    return cv_.wait_until(lock, deadline, [&] { return count_ >= n; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::uint64_t count_ = 0;
};

}  // namespace charla::broker
