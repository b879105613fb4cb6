// A token bucket: what a tab may send, so that a flood from one tab costs the
// gateway and the broker no more than a fast typist would.
#pragma once

#include <algorithm>
#include <chrono>

namespace charla::web {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  // Takes a token if there is one.
  bool take(Clock::time_point now = Clock::now()) {
    if (last_ != Clock::time_point{}) {
      tokens_ = std::min(burst_, tokens_ + rate_ * std::chrono::duration<double>(now - last_).count());
    }
    last_ = now;
    if (tokens_ < 1) return false;
    tokens_ -= 1;
    return true;
  }

 private:
  const double rate_, burst_;
  double tokens_;
  Clock::time_point last_{};
};

}  // namespace charla::web
