// The rate limit of docs/protocol.md 2.4: a token bucket per connection, joined
// or not, that every frame reaching the broker draws on before it is decoded.
#pragma once

#include "clock.hpp"

#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

class RateLimiter {
 public:
  enum class Verdict {
    pass,  // take the frame
    drop,  // drop it silently
    warn,  // drop it and answer rate_limited: the first drop, then at most once a second
  };

  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}

  // A frame from connection `rid` arrives at `now`.
  Verdict admit(std::string_view rid, Clock::time_point now);
  // Forgets the buckets that have been full for a while (they would change nothing).
  void forget_quiet(Clock::time_point now);

 private:
  struct Bucket {
    double tokens = 0;
    Clock::time_point last{}, warned{};
    bool ever_warned = false;
  };

  const double rate_, burst_;
  std::unordered_map<std::string, Bucket> buckets_;  // by routing id
};

}  // namespace charla::broker
