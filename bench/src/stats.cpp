#include "stats.hpp"

#include <algorithm>

namespace charla::bench {

Latency summarize(std::vector<std::int64_t>& ns) {
  Latency l;
  if (ns.empty()) return l;
  const auto at = [&](double q) {
    const auto k = static_cast<std::size_t>(q * static_cast<double>(ns.size() - 1));
    std::nth_element(ns.begin(), ns.begin() + static_cast<std::ptrdiff_t>(k), ns.end());
    return static_cast<double>(ns[k]) / 1000.0;
  };
  l.p50_us = at(0.50);
  l.p99_us = at(0.99);
  l.max_us = static_cast<double>(*std::max_element(ns.begin(), ns.end())) / 1000.0;
  return l;
}

Tally::Tally(int subscribers, std::uint64_t messages)
    : subs_(static_cast<std::size_t>(subscribers)), messages_(messages), expected_(messages) {
  for (auto& s : subs_) s.latency_ns.reserve(messages);
}

void Tally::on_payload(int sub, std::string_view payload, std::int64_t now) noexcept {
  auto& s = subs_[static_cast<std::size_t>(sub)];
  const auto st = read_payload(payload);
  if (!st || st->index >= messages_) {
    ++s.bad;
    return;
  }
  if (st->index < s.next) {
    ++s.disorder;
    return;
  }
  s.gaps += st->index - s.next;
  s.next = st->index + 1;
  ++s.received;
  s.last_ns = now;
  if (s.latency_ns.size() < s.latency_ns.capacity()) s.latency_ns.push_back(now - st->sent_ns);
  if (const auto expected = expected_.load(std::memory_order_acquire); s.next >= expected && s.reached < expected) {
    s.reached = expected;
    std::lock_guard lock(mu_);
    ++done_;
    if (done_ == static_cast<int>(subs_.size())) {
      done_ns_ = now;
      cv_.notify_all();
    }
  }
}

void Tally::expect(std::uint64_t count) {
  std::lock_guard lock(mu_);
  done_ = 0;
  expected_.store(std::min(count, messages_), std::memory_order_release);
}

bool Tally::wait_expected(std::chrono::steady_clock::time_point deadline, std::int64_t& reached_ns) {
  std::unique_lock lock(mu_);
  const bool all = cv_.wait_until(lock, deadline, [&] { return done_ == static_cast<int>(subs_.size()); });
  reached_ns = all ? done_ns_ : 0;
  return all;
}

Tally::Outcome Tally::finish(std::uint64_t sent) {
  Outcome o;
  std::size_t samples = 0;
  for (const auto& s : subs_) samples += s.latency_ns.size();
  o.latency_ns.reserve(samples);
  for (auto& s : subs_) {
    o.received += s.received;
    o.drops += sent > s.received ? sent - s.received : 0;
    o.gaps += s.gaps;
    o.disorder += s.disorder;
    o.garbage += s.bad;
    o.last_ns = std::max(o.last_ns, s.last_ns);
    o.latency_ns.insert(o.latency_ns.end(), s.latency_ns.begin(), s.latency_ns.end());
  }
  return o;
}

}  // namespace charla::bench
