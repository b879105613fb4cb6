// The broker's log, limited per connection and per kind of event, so that no
// client can fill the disk (docs/security.md): of each kind, the first
// kLinesPerWindow lines a connection causes in each kWindow are written; the
// rest are counted, and one summary line says how many were left out.
#pragma once

#include "clock.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

class LogLimiter {
 public:
  enum class Kind : char {
    bad_message = 'b',   // a frame that could not be decoded
    rate_limited = 'r',  // frames dropped by the rate limit
    session = 's',       // joins, leaves, resumptions, refusals
    presence = 'p',      // status changes: chosen, idle, active again
  };
  static constexpr unsigned kLinesPerWindow = 5;
  static constexpr auto kWindow = std::chrono::seconds(10);

  // Whether a line of `kind` caused by connection `rid` may be written now.
  // `who` names the connection in the summary ("ana (192.0.2.10)").
  bool allow(std::string_view rid, Kind kind, std::string_view who, Clock::time_point now);
  // On each tick: a summary line for every window that ended with lines left
  // out; entries whose window is over are forgotten.
  void summarize(Clock::time_point now);

 private:
  struct Entry {
    Clock::time_point start;
    unsigned lines = 0;
    std::uint64_t left_out = 0;
    std::string who;
  };
  void summary(char kind, const Entry& e) const;

  std::unordered_map<std::string, Entry> entries_;  // kind, then routing id
};

}  // namespace charla::broker
