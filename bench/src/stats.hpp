// Latency percentiles and the per-subscriber accounting of a fan-out row.
#pragma once

#include "payload.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <vector>

namespace charla::bench {

struct Latency {
  double p50_us = -1, p99_us = -1, max_us = -1;  // -1: no samples
};

// Percentiles of samples in ns (reorders the vector).
Latency summarize(std::vector<std::int64_t>& ns);

// Counts what each subscriber of a fan-out row received: the payload index is
// the sequence number, so a jump is a drop. Subscriber i must only ever be fed
// by one thread at a time; the counters are per subscriber, not shared.
class Tally {
 public:
  Tally(int subscribers, std::uint64_t messages);

  void on_payload(int sub, std::string_view payload, std::int64_t now) noexcept;
  void on_garbage(int sub) noexcept { ++subs_[static_cast<std::size_t>(sub)].bad; }

  // From now on, waits for the first `count` messages (0, 1, …, count - 1): before they are sent.
  void expect(std::uint64_t count);
  // Waits until every subscriber has the last message expected, or the deadline;
  // then `reached_ns` is when the last subscriber got it.
  bool wait_expected(std::chrono::steady_clock::time_point deadline, std::int64_t& reached_ns);

  struct Outcome {
    std::uint64_t received = 0;  // unique deliveries
    std::uint64_t drops = 0;     // sent but never received (sequence gaps and a missing tail)
    std::uint64_t gaps = 0;      // of the drops, those seen as jumps in the sequence
    std::uint64_t disorder = 0;  // duplicates or messages out of order
    std::uint64_t garbage = 0;   // messages that were not a payload
    std::int64_t last_ns = 0;    // when the last delivery arrived
    std::vector<std::int64_t> latency_ns;
  };
  // After the receivers have stopped; `sent` messages were published.
  Outcome finish(std::uint64_t sent);

 private:
  struct alignas(64) Sub {
    std::uint64_t next = 0, received = 0, gaps = 0, disorder = 0, bad = 0;
    std::uint64_t reached = 0;  // the last `expected_` this subscriber has got to
    std::int64_t last_ns = 0;
    std::vector<std::int64_t> latency_ns;
  };
  std::vector<Sub> subs_;
  const std::uint64_t messages_;
  std::atomic<std::uint64_t> expected_;
  std::mutex mu_;
  std::condition_variable cv_;
  int done_ = 0;  // subscribers that have got to expected_
  std::int64_t done_ns_ = 0;
};

}  // namespace charla::bench
