// A presence monitor for the C and P workloads: an observer (watch, no session)
// subscribed to "presence", on its own thread. It counts gaps in the presence
// sequence numbers, and hands every event about the bench's users (names that
// start with a prefix) to a callback.
#pragma once

#include "charla_system.hpp"
#include "charla_wire.hpp"

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace charla::bench {

class Monitor {
 public:
  // Called for each event about the bench's users; true when it counts towards seen().
  using OnEvent = std::function<bool(const WireView&, std::int64_t now_ns)>;

  // Joins and starts watching; throws if it cannot join by the deadline.
  Monitor(CharlaSystem& sys, std::string prefix, OnEvent on_event, Clock::time_point deadline);
  ~Monitor();
  Monitor(const Monitor&) = delete;
  Monitor& operator=(const Monitor&) = delete;

  // Waits until `count` events that count have arrived.
  bool wait_seen(std::uint64_t count, Clock::time_point deadline);
  std::uint64_t seen() const noexcept { return seen_.load(); }
  std::uint64_t seq_gaps() const noexcept { return gaps_.load(); }

 private:
  void run();

  std::string prefix_;
  OnEvent on_event_;
  std::vector<Member> self_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> seen_{0}, gaps_{0};
  std::uint64_t last_seq_ = 0;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace charla::bench
