// Time as the broker uses it: a steady clock for timeouts, wall-clock
// milliseconds since the Unix epoch for what goes on the wire.
#pragma once

#include <chrono>
#include <cstdint>

namespace charla::broker {

using Clock = std::chrono::steady_clock;

inline std::uint64_t wall_ms() noexcept {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

inline std::uint64_t seconds_between(Clock::time_point from, Clock::time_point to) noexcept {
  return to <= from ? 0 : static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(to - from).count());
}

}  // namespace charla::broker
