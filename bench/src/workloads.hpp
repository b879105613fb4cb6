// The workloads every system runs, written once: F and Fp (fan-out, as fast as
// the system takes it or paced) and D (private round trips).
#pragma once

#include "row.hpp"
#include "system.hpp"

namespace charla::bench {

struct FanoutSpec {
  int subscribers = 10;
  std::uint64_t messages = 0;   // each reaches every subscriber
  double messages_per_s = 0;    // 0: as fast as the system takes them
  Clock::duration budget = std::chrono::seconds(30);  // for the whole row
};

Row run_fanout(System& sys, const FanoutSpec& spec);

struct DirectSpec {
  std::uint64_t warmup = 1000;
  std::uint64_t rounds = 10000;
  Clock::duration budget = std::chrono::seconds(30);
};

Row run_direct(System& sys, const DirectSpec& spec);

}  // namespace charla::bench
