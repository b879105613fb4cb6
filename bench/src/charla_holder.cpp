#include "charla_holder.hpp"

#include <signal.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

namespace charla::bench {
namespace {

constexpr std::size_t kBatch = 15;  // clients one thread connects at once (the listen backlog of ZeroMQ is 100)

}  // namespace

void hold(zmq::context_t& ctx, const Endpoint& at, std::span<Member> mine, Holders& h, Clock::time_point deadline) {
  BrokerInfo info;
  try {
    for (std::size_t i = 0; i < mine.size() && !h.stop; i += kBatch) {
      info = join(ctx, at, mine.subspan(i, std::min(kBatch, mine.size() - i)), {"chat"}, false, deadline);
      keepalive(mine.first(i), info.heartbeat, Clock::now());
    }
  } catch (const std::exception& e) {
    std::lock_guard lock(h.mu);
    if (h.error.empty()) h.error = e.what();
  }
  --h.joining;
  while (!h.stop) {
    keepalive(mine, info.heartbeat, Clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

namespace {

void write_report(const std::string& path, const std::vector<Member>& members, Holders& h) {
  HoldReport r;
  std::ostringstream lat;
  for (const auto& m : members) {
    if (!m.welcomed) continue;
    ++r.welcomed;
    r.last_welcome_ns = std::max(r.last_welcome_ns, m.welcome_ns);
    lat << (m.welcome_ns - m.hello_ns) << ' ';
  }
  {
    std::lock_guard lock(h.mu);
    r.error = h.error.empty() ? "-" : h.error;
  }
  {
    std::ofstream out(path + ".tmp");
    out << "welcomed " << r.welcomed << " last " << r.last_welcome_ns << '\n'
        << "error " << r.error << '\n'
        << lat.str() << '\n';
  }
  std::rename((path + ".tmp").c_str(), path.c_str());  // whole, or not there
}

}  // namespace

int run_holder(const HoldSpec& spec) {
  // Signals end the hold in an orderly way: taken by sigtimedwait below, blocked in every thread.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  raise_fd_limit();

  zmq::context_t ctx(spec.clients.io_threads);
  ctx.set(zmq::ctxopt::max_sockets, 65535);
  std::vector<Member> members(static_cast<std::size_t>(spec.count));
  for (int i = 0; i < spec.count; ++i) {
    members[static_cast<std::size_t>(i)].name = spec.prefix + "c" + std::to_string(spec.first + i);
  }
  Holders h;
  const int t = std::max(1, spec.clients.threads);
  h.joining = t;
  const auto deadline = Clock::now() + std::chrono::seconds(spec.budget_s);
  std::vector<std::thread> threads;
  for (int k = 0; k < t; ++k) {
    const auto b = static_cast<std::size_t>(k) * members.size() / static_cast<std::size_t>(t);
    const auto e = static_cast<std::size_t>(k + 1) * members.size() / static_cast<std::size_t>(t);
    threads.emplace_back(hold, std::ref(ctx), std::cref(spec.at), std::span<Member>(members.data() + b, e - b),
                         std::ref(h), deadline);
  }
  while (h.joining > 0 && Clock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (h.joining > 0) {  // out of time: stop the threads before reading their members
    h.stop = true;
    for (auto& th : threads) th.join();
    threads.clear();
  }
  write_report(spec.report, members, h);

  const timespec tick{1, 0};
  while (sigtimedwait(&stop_signals, nullptr, &tick) < 0) {
  }
  h.stop = true;
  for (auto& th : threads) th.join();
  leave(members);
  return 0;
}

std::vector<std::string> holder_argv(const std::string& self, const HoldSpec& spec) {
  return {self,
          "--hold", spec.at.host + ":" + std::to_string(spec.at.port),
          "--hold-prefix", spec.prefix,
          "--hold-first", std::to_string(spec.first),
          "--hold-count", std::to_string(spec.count),
          "--hold-report", spec.report,
          "--hold-budget", std::to_string(spec.budget_s),
          "--threads", std::to_string(spec.clients.threads),
          "--io-threads", std::to_string(spec.clients.io_threads)};
}

std::optional<HoldReport> read_hold_report(const std::string& path, Clock::time_point deadline) {
  const auto text = wait_for_file(path, deadline);
  if (!text) return std::nullopt;
  std::istringstream in(*text);
  HoldReport r;
  std::string word, line;
  in >> word >> r.welcomed >> word >> r.last_welcome_ns >> word;
  std::getline(in, line);
  r.error = line.size() > 1 ? line.substr(1) : "";
  if (r.error == "-") r.error.clear();
  for (std::int64_t ns = 0; in >> ns;) r.latency_ns.push_back(ns);
  return r;
}

}  // namespace charla::bench
