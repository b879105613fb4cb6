#include "workloads.hpp"

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

}  // namespace

Row run_fanout(System& sys, const FanoutSpec& spec) {
  Row r(sys.name(), spec.messages_per_s > 0 ? "Fp" : "F", spec.subscribers);
  const auto deadline = Clock::now() + spec.budget;
  Tally tally(spec.subscribers, spec.messages);
  auto clients = sys.fanout(spec.subscribers, spec.messages_per_s > 0, tally, deadline);

  const auto before = sample(sys.server_pid());
  const auto start = Clock::now();
  const auto t0 = now_ns();
  std::uint64_t sent = 0;
  const auto every = std::chrono::duration<double>(spec.messages_per_s > 0 ? 1.0 / spec.messages_per_s : 0.0);
  for (; sent < spec.messages; ++sent) {
    if (spec.messages_per_s > 0) {
      std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(every * static_cast<double>(sent)));
    }
    if ((sent & 255) == 0 && Clock::now() >= deadline) break;
    clients->publish(make_payload(sent, now_ns()));
  }
  clients->flush(deadline);
  const bool complete = sent == spec.messages && tally.wait_all(deadline);
  const auto after = sample(sys.server_pid());
  const auto note = clients->note();
  clients.reset();  // stops the receivers before the tally is read

  auto o = tally.finish(sent);
  r.m = static_cast<long>(sent);
  r.recv = static_cast<long>(o.received);
  r.drops = static_cast<long>(o.drops);
  const double secs = static_cast<double>(o.last_ns - t0) / 1e9;
  r.rate = secs > 0 ? static_cast<double>(o.received) / secs : 0;
  r.lat = summarize(o.latency_ns);
  r.rss_kb = after.rss_kb;
  r.cpu_s = after.cpu_s >= 0 && before.cpu_s >= 0 ? after.cpu_s - before.cpu_s : -1;
  std::vector<std::string> notes{note};
  if (!complete) notes.push_back("incomplete at the deadline");
  if (o.gaps > 0) notes.push_back(std::to_string(o.gaps) + " sequence gaps");
  if (o.disorder > 0) notes.push_back(std::to_string(o.disorder) + " out of order");
  if (o.garbage > 0) notes.push_back(std::to_string(o.garbage) + " unreadable");
  r.note = join_notes(notes);
  return r;
}

Row run_direct(System& sys, const DirectSpec& spec) {
  Row r(sys.name(), "D", 2);
  const auto deadline = Clock::now() + spec.budget;
  auto clients = sys.direct(deadline);
  const auto per_round = std::chrono::seconds(2);
  std::uint64_t lost = 0;
  for (std::uint64_t i = 0; i < spec.warmup && Clock::now() < deadline; ++i) {
    lost += clients->round_trip(make_payload(i, now_ns()), std::min(deadline, Clock::now() + per_round)) ? 0 : 1;
  }
  std::vector<std::int64_t> lat;
  lat.reserve(spec.rounds);
  const auto before = sample(sys.server_pid());
  const auto t0 = now_ns();
  std::uint64_t done = 0;
  for (; done < spec.rounds && Clock::now() < deadline; ++done) {
    const auto sent = now_ns();
    if (clients->round_trip(make_payload(spec.warmup + done, sent), std::min(deadline, Clock::now() + per_round))) {
      lat.push_back(now_ns() - sent);
    } else {
      ++lost;
    }
  }
  const auto t1 = now_ns();
  const auto after = sample(sys.server_pid());
  clients.reset();

  r.m = static_cast<long>(done);
  r.recv = static_cast<long>(lat.size());
  r.drops = static_cast<long>(done - lat.size());
  r.rate = t1 > t0 ? static_cast<double>(lat.size()) / (static_cast<double>(t1 - t0) / 1e9) : 0;
  r.lat = summarize(lat);
  r.rss_kb = after.rss_kb;
  r.cpu_s = after.cpu_s >= 0 && before.cpu_s >= 0 ? after.cpu_s - before.cpu_s : -1;
  if (lost > static_cast<std::uint64_t>(r.drops)) r.note = std::to_string(lost - static_cast<std::uint64_t>(r.drops)) + " lost in warm-up";
  if (done < spec.rounds) r.note += std::string(r.note.empty() ? "" : "; ") + "incomplete at the deadline";
  return r;
}

}  // namespace charla::bench
