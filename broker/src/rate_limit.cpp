#include "rate_limit.hpp"

#include <algorithm>
#include <chrono>

namespace charla::broker {

RateLimiter::Verdict RateLimiter::admit(std::string_view rid, Clock::time_point now) {
  if (rate_ <= 0) return Verdict::pass;
  auto [it, fresh] = buckets_.try_emplace(std::string(rid));
  Bucket& b = it->second;
  if (fresh) {
    b.tokens = burst_;  // a new connection starts with a full bucket
  } else {
    const double dt = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + dt * rate_);
  }
  b.last = now;
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return Verdict::pass;
  }
  // Say so at most once a second, so that a flood does not get a flood back.
  if (b.ever_warned && now - b.warned < std::chrono::seconds(1)) return Verdict::drop;
  b.warned = now;
  b.ever_warned = true;
  return Verdict::warn;
}

void RateLimiter::forget_quiet(Clock::time_point now) {
  if (rate_ <= 0) return;
  // After this long a bucket is full again and its last warning over a second old.
  const auto refill = std::chrono::duration<double>(burst_ / rate_) + std::chrono::seconds(1);
  std::erase_if(buckets_, [&](const auto& kv) { return now - kv.second.last > refill; });
}

}  // namespace charla::broker
