// P: users join, change status and leave at a steady rate; a monitor must see
// every change (sequence numbers), and how long each took to reach it.
#include "charla_monitor.hpp"

#include <charla/msg/codec.hpp>

#include <deque>
#include <stdexcept>
#include <thread>

namespace charla::bench {
namespace {

// Each user cycles through these four changes; each one is one presence event.
enum class Step { join, busy, back, leave };

zmq::message_t request(Step s, const std::string& name) {
  switch (s) {
    case Step::join: return msg::encode(msg::Hello{name});
    case Step::busy: return msg::encode(msg::SetStatus{msg::Status::ocupado});
    case Step::back: return msg::encode(msg::SetStatus{msg::Status::activo});
    case Step::leave: break;
  }
  return msg::encode(msg::Bye{});
}

// Replies the churning users got: welcomes and oks are expected; errors are not.
std::uint64_t drain_errors(Member& m) {
  std::uint64_t errors = 0;
  zmq::message_t frame;
  while (m.dealer->recv(frame, zmq::recv_flags::dontwait)) {
    auto d = msg::decode(frame.data(), frame.size());
    if (d && std::holds_alternative<msg::Error>(d.value().msg)) ++errors;
  }
  return errors;
}

// The time each change was asked for, per user; the monitor matches its events in order.
struct Asked {
  std::mutex mu;
  std::vector<std::deque<std::int64_t>> by_user;
  std::vector<std::int64_t> latency_ns;
};

// Users with a DEALER each, connected before the clock starts: each has had an answer to a `who`
// (allowed before hello), a few at a time so that the broker's listen backlog never overflows.
std::vector<Member> churners(CharlaSystem& sys, const std::string& prefix, int users, Clock::time_point deadline) {
  constexpr int kAtOnce = 25;
  std::vector<Member> people(static_cast<std::size_t>(users));
  zmq::message_t reply;
  for (int first = 0; first < users; first += kAtOnce) {
    const int last = std::min(users, first + kAtOnce);
    for (int i = first; i < last; ++i) {
      auto& m = people[static_cast<std::size_t>(i)];
      m.name = prefix + "u" + std::to_string(i);
      m.dealer.emplace(sys.context(), zmq::socket_type::dealer);
      m.dealer->set(zmq::sockopt::linger, 200);
      m.dealer->connect("tcp://" + sys.endpoint().host + ":" + std::to_string(sys.endpoint().port));
      send(m, msg::encode(msg::Who{}));
    }
    for (int i = first; i < last; ++i) {
      auto& d = *people[static_cast<std::size_t>(i)].dealer;
      zmq::pollitem_t item{d.handle(), 0, ZMQ_POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0 || zmq::poll(&item, 1, left) == 0 || !d.recv(reply, zmq::recv_flags::dontwait)) {
        throw std::runtime_error("a P-workload user could not reach the broker");
      }
    }
  }
  return people;
}

struct Churned {
  std::uint64_t sent = 0, errors = 0;
  double seconds = 0;
};

// Asks for `total` changes at a steady rate, user after user, each user cycling through the steps.
Churned churn(std::vector<Member>& people, Asked& asked, std::uint64_t total, double per_s, Clock::time_point deadline) {
  Churned c;
  std::vector<int> step(people.size(), 0);
  const auto start = Clock::now();
  const auto every = std::chrono::duration<double>(1.0 / per_s);
  for (; c.sent < total; ++c.sent) {
    std::this_thread::sleep_until(start + std::chrono::duration_cast<Clock::duration>(every * static_cast<double>(c.sent)));
    if (Clock::now() >= deadline) break;
    const auto k = static_cast<std::size_t>(c.sent % people.size());
    auto& m = people[k];
    c.errors += drain_errors(m);
    const auto s = static_cast<Step>(step[k]);
    {
      std::lock_guard lock(asked.mu);
      asked.by_user[k].push_back(now_ns());
    }
    send(m, request(s, m.name));
    m.welcomed = s != Step::leave;  // marks who is online, for the bye at the end
    step[k] = (step[k] + 1) % 4;
  }
  c.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  for (auto& m : people) c.errors += drain_errors(m);
  return c;
}

}  // namespace

Row run_presence(CharlaSystem& sys, int users, double changes_per_s, double seconds, Clock::duration budget) {
  Row r("charla", "P", users);
  const auto deadline = Clock::now() + budget;
  const auto prefix = sys.next_prefix();
  const auto total = static_cast<std::uint64_t>(changes_per_s * seconds);
  Asked asked;
  asked.by_user.resize(static_cast<std::size_t>(users));
  asked.latency_ns.reserve(total);
  Monitor mon(sys, prefix, [&](const WireView& w, std::int64_t now) {
    const auto k = std::strtoul(std::string(w.user.substr(prefix.size() + 1)).c_str(), nullptr, 10);
    std::lock_guard lock(asked.mu);
    if (k < asked.by_user.size() && !asked.by_user[k].empty()) {
      asked.latency_ns.push_back(now - asked.by_user[k].front());
      asked.by_user[k].pop_front();
    }
    return true;
  }, deadline);

  auto people = churners(sys, prefix, users, deadline);
  const auto before = sample(sys.server_pid());
  auto c = churn(people, asked, total, changes_per_s, deadline);
  const auto expected = c.sent > c.errors ? c.sent - c.errors : 0;
  const bool complete = mon.wait_seen(expected, deadline);
  for (auto& m : people) c.errors += drain_errors(m);
  const auto after = sample(sys.server_pid());

  r.m = static_cast<long>(c.sent);
  r.recv = static_cast<long>(mon.seen());
  r.drops = static_cast<long>(expected) - r.recv;
  r.rate = c.seconds > 0 ? static_cast<double>(c.sent) / c.seconds : 0;
  {
    std::lock_guard lock(asked.mu);
    r.lat = summarize(asked.latency_ns);
  }
  r.rss_kb = after.rss_kb;
  r.cpu_s = after.cpu_s >= 0 && before.cpu_s >= 0 ? after.cpu_s - before.cpu_s : -1;
  r.note = "presence seq gaps " + std::to_string(mon.seq_gaps());
  if (c.errors > 0) r.note += "; " + std::to_string(c.errors) + " error replies";
  if (!complete) r.note += "; monitor incomplete at the deadline";
  leave(people);
  return r;
}

}  // namespace charla::bench
