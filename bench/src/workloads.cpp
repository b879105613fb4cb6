#include "workloads.hpp"

#include <algorithm>
#include <cstdio>
#include <thread>

namespace charla::bench {
namespace {

std::string join_notes(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += "; ";
    out += p;
  }
  return out;
}

// One system's side of a fan-out row: its subscribers and publisher, and what its own turns measured.
struct FanoutLeg {
  FanoutLeg(System& sys_, const FanoutSpec& spec) : sys(&sys_), tally(spec.subscribers, spec.messages) {}
  System* sys;
  Tally tally;
  std::unique_ptr<FanoutClients> clients;
  std::uint64_t sent = 0;
  std::int64_t busy_ns = 0;  // from each turn's first message to the last subscriber's having its last
  std::int64_t open_t0 = 0;  // the start of a turn cut off by the deadline, 0 if none
  bool complete = true;
  ProcSample before, after;
};

// Messages [first, last) from one leg's publisher, then waits until every subscriber has them.
void turn(FanoutLeg& leg, std::uint64_t first, std::uint64_t last, double per_s, Clock::time_point deadline) {
  leg.tally.expect(last);
  const auto start = Clock::now();
  const auto t0 = now_ns();
  const auto every = std::chrono::duration<double>(per_s > 0 ? 1.0 / per_s : 0.0);
  for (std::uint64_t i = first; i < last; ++i) {
    if (per_s > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(every * static_cast<double>(i - first)));
    }
    if ((i & 255) == 0 && Clock::now() >= deadline) break;
    leg.clients->publish(make_payload(i, now_ns()));
    ++leg.sent;
  }
  leg.clients->flush(deadline);
  std::int64_t reached = 0;
  if (leg.sent == last && leg.tally.wait_expected(deadline, reached)) {
    // A paced turn lasts at least what its schedule does: count messages, one every 1/per_s.
    const auto scheduled = per_s > 0 ? static_cast<std::int64_t>(static_cast<double>(last - first) / per_s * 1e9) : 0;
    leg.busy_ns += std::max(reached - t0, scheduled);
  } else {
    leg.complete = false;
    leg.open_t0 = t0;
  }
}

Row fanout_row(FanoutLeg& leg, const FanoutSpec& spec, const std::string& note) {
  Row r(leg.sys->name(), spec.messages_per_s > 0 ? "Fp" : "F", spec.subscribers);
  auto o = leg.tally.finish(leg.sent);
  if (leg.open_t0 != 0) leg.busy_ns += std::max<std::int64_t>(0, o.last_ns - leg.open_t0);
  r.m = static_cast<long>(leg.sent);
  r.recv = static_cast<long>(o.received);
  r.drops = static_cast<long>(o.drops);
  const double secs = static_cast<double>(leg.busy_ns) / 1e9;
  r.rate = secs > 0 ? static_cast<double>(o.received) / secs : 0;
  r.lat = summarize(o.latency_ns);
  r.rss_kb = leg.after.rss_kb;
  r.cpu_s = leg.after.cpu_s >= 0 && leg.before.cpu_s >= 0 ? leg.after.cpu_s - leg.before.cpu_s : -1;
  std::vector<std::string> notes{note};
  if (!leg.complete) notes.push_back("incomplete at the deadline");
  if (o.gaps > 0) notes.push_back(std::to_string(o.gaps) + " sequence gaps");
  if (o.disorder > 0) notes.push_back(std::to_string(o.disorder) + " out of order");
  if (o.garbage > 0) notes.push_back(std::to_string(o.garbage) + " unreadable");
  r.note = join_notes(notes);
  return r;
}

}  // namespace

std::vector<Row> run_fanout(std::span<System* const> systems, const FanoutSpec& spec) {
  const auto deadline = Clock::now() + spec.budget * static_cast<long>(systems.size());
  std::vector<std::unique_ptr<FanoutLeg>> legs;  // the tallies must not move: receivers hold them
  for (auto* sys : systems) {
    auto& leg = *legs.emplace_back(std::make_unique<FanoutLeg>(*sys, spec));
    leg.clients = sys->fanout(spec.subscribers, spec.messages_per_s > 0, leg.tally, deadline);
  }
  for (auto& leg : legs) leg->before = sample(leg->sys->server_pid());
  const auto turns = std::max<std::uint64_t>(1, std::min<std::uint64_t>(spec.turns, spec.messages));
  bool reversed = false;  // A B, B A, A B, …: each system goes first as often as the other
  for (std::uint64_t t = 0; t < turns && Clock::now() < deadline; ++t) {
    for (std::size_t j = 0; j < legs.size(); ++j) {
      turn(*legs[reversed ? legs.size() - 1 - j : j], t * spec.messages / turns, (t + 1) * spec.messages / turns,
           spec.messages_per_s, deadline);
    }
    reversed = !reversed;
  }
  for (auto& leg : legs) leg->after = sample(leg->sys->server_pid());
  std::vector<Row> out;
  for (auto& leg : legs) {
    const auto note = leg->clients->note();
    const auto kib = leg->clients->kib_per_session();
    leg->clients.reset();  // stops the receivers before the tally is read
    out.push_back(fanout_row(*leg, spec, note));
    out.back().kib_per_client = kib;
  }
  return out;
}

namespace {

// One system's side of D: its clients, and what its own rounds measured.
struct DirectLeg {
  System* sys = nullptr;
  std::unique_ptr<DirectClients> clients;
  std::vector<std::int64_t> lat;
  std::uint64_t done = 0, lost = 0;
  std::int64_t busy_ns = 0;  // time spent in this system's rounds
  ProcSample before, after;
};

// `count` rounds of one leg, from round `first` on (the payload's index).
void rounds(DirectLeg& leg, std::uint64_t first, std::uint64_t count, bool measured, Clock::time_point deadline) {
  const auto per_round = std::chrono::seconds(2);
  const auto t0 = now_ns();
  for (std::uint64_t i = first; i < first + count && Clock::now() < deadline; ++i) {
    const auto sent = now_ns();
    const bool back = leg.clients->round_trip(make_payload(i, sent), std::min(deadline, Clock::now() + per_round));
    if (!measured) {
      leg.lost += back ? 0 : 1;
      continue;
    }
    ++leg.done;
    if (back) {
      leg.lat.push_back(now_ns() - sent);
    } else {
      ++leg.lost;
    }
  }
  if (measured) leg.busy_ns += now_ns() - t0;
}

Row direct_row(DirectLeg& leg, const DirectSpec& spec, const std::string& note) {
  Row r(leg.sys->name(), "D", 2);
  r.m = static_cast<long>(leg.done);
  r.recv = static_cast<long>(leg.lat.size());
  r.drops = static_cast<long>(leg.done - leg.lat.size());
  r.rate = leg.busy_ns > 0 ? static_cast<double>(leg.lat.size()) / (static_cast<double>(leg.busy_ns) / 1e9) : 0;
  r.lat = summarize(leg.lat);
  r.rss_kb = leg.after.rss_kb;
  r.cpu_s = leg.after.cpu_s >= 0 && leg.before.cpu_s >= 0 ? leg.after.cpu_s - leg.before.cpu_s : -1;
  std::vector<std::string> notes{note};
  const auto dropped = static_cast<std::uint64_t>(r.drops);
  if (leg.lost > dropped) notes.push_back(std::to_string(leg.lost - dropped) + " lost in warm-up");
  if (leg.done < spec.rounds) notes.push_back("incomplete at the deadline");
  r.note = join_notes(notes);
  return r;
}

}  // namespace

std::vector<Row> run_direct(std::span<System* const> systems, const DirectSpec& spec) {
  const auto deadline = Clock::now() + spec.budget * static_cast<long>(systems.size());
  std::vector<DirectLeg> legs;
  for (auto* sys : systems) {
    auto& leg = legs.emplace_back();
    leg.sys = sys;
    leg.clients = sys->direct(deadline);
  }
  for (auto& leg : legs) {
    leg.lat.reserve(spec.rounds);
    rounds(leg, 0, spec.warmup, false, deadline);
  }
  for (auto& leg : legs) leg.before = sample(leg.sys->server_pid());
  // Taking turns A B, B A, A B, …: each system goes first as often as the other.
  bool reversed = false;
  for (std::uint64_t first = 0; first < spec.rounds && Clock::now() < deadline; first += kDirectBlock) {
    const auto count = std::min(kDirectBlock, spec.rounds - first);
    for (std::size_t j = 0; j < legs.size(); ++j) {
      rounds(legs[reversed ? legs.size() - 1 - j : j], spec.warmup + first, count, true, deadline);
    }
    reversed = !reversed;
  }
  std::vector<Row> out;
  for (auto& leg : legs) leg.after = sample(leg.sys->server_pid());
  for (auto& leg : legs) {
    leg.clients->flush(std::max(deadline, Clock::now() + std::chrono::seconds(2)));
    out.push_back(direct_row(leg, spec, leg.clients->note()));
    leg.clients.reset();
  }
  return out;
}

}  // namespace charla::bench
