// The workloads every system runs, written once: F and Fp (fan-out, as fast as
// the system takes it or paced) and D (private round trips, for one system or
// several side by side).
#pragma once

#include "row.hpp"
#include "system.hpp"

#include <span>
#include <vector>

namespace charla::bench {

struct FanoutSpec {
  int subscribers = 10;
  std::uint64_t messages = 0;   // each reaches every subscriber
  double messages_per_s = 0;    // 0: as fast as the system takes them
  Clock::duration budget = std::chrono::seconds(30);  // for the whole row
  // The messages go out in this many turns, each waiting until every subscriber has them; with
  // several systems, the turns alternate between them (each first in every other turn).
  int turns = 1;
};

// One row per system; each row counts only its own turns and the time they took.
std::vector<Row> run_fanout(std::span<System* const> systems, const FanoutSpec& spec);

struct DirectSpec {
  std::uint64_t warmup = 1000;
  std::uint64_t rounds = 10000;
  Clock::duration budget = std::chrono::seconds(30);
};

// Systems compared closely (charla and charla-acked) run side by side and take
// turns, so that they see the machine alike: on a shared machine, other work
// comes in spells of seconds, far longer than a turn. Paced fan-out rows take
// this many turns (a quarter of a second each at the full run's sizes), D's
// round trips alternate in blocks of kDirectBlock.
inline constexpr int kPacedTurns = 8;
inline constexpr std::uint64_t kDirectBlock = 100;

// One row per system; each row counts only its own rounds and the time they took.
std::vector<Row> run_direct(std::span<System* const> systems, const DirectSpec& spec);

}  // namespace charla::bench
