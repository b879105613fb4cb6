// C: many clients join at once; how long until every one is welcomed and a
// monitor has seen every join, and what each idle client costs the broker.
// The clients live in helper processes (charla_holder.hpp); the monitor here.
#include "charla_holder.hpp"
#include "charla_monitor.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>

namespace charla::bench {
namespace {

constexpr auto kHold = std::chrono::milliseconds(1500);  // idle time (with heartbeats) before memory is read
constexpr long kBrokerSpareFds = 64;  // the broker's own: listeners, ZeroMQ mailboxes, epoll, logs

std::string self_exe() { return std::filesystem::read_symlink("/proc/self/exe").string(); }

// Starts helper processes that join `clients` clients between them, each as many as its descriptors allow.
std::vector<std::unique_ptr<Child>> start_helpers(CharlaSystem& sys, const std::string& prefix, int clients, long fds,
                                                  Clock::duration budget, std::vector<std::string>& reports) {
  const int per = clients_per_process(fds);
  const int helpers = (clients + per - 1) / per;
  std::vector<std::unique_ptr<Child>> procs;
  for (int k = 0; k < helpers; ++k) {
    HoldSpec h;
    h.at = sys.endpoint();
    h.prefix = prefix;
    h.first = k * clients / helpers;
    h.count = (k + 1) * clients / helpers - h.first;
    h.report = sys.work_dir() + "/holder-" + std::to_string(k) + ".report";
    h.clients = sys.clients();
    // Less than ours, so that a helper short of time still reports what it joined before we stop waiting.
    h.budget_s = std::max(1, static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(budget).count()) - 8);
    ::unlink(h.report.c_str());
    reports.push_back(h.report);
    const auto log = sys.work_dir() + "/holder-" + std::to_string(k) + ".log";
    procs.push_back(std::make_unique<Child>(holder_argv(self_exe(), h), log));
  }
  return procs;
}

// What the helpers say about their joins, all together.
HoldReport collect(const std::vector<std::string>& reports, Clock::time_point deadline) {
  HoldReport all;
  for (const auto& path : reports) {
    const auto rep = read_hold_report(path, deadline);
    if (!rep) {
      all.error += "a helper did not report by the deadline; ";
      continue;
    }
    all.welcomed += rep->welcomed;
    all.last_welcome_ns = std::max(all.last_welcome_ns, rep->last_welcome_ns);
    all.latency_ns.insert(all.latency_ns.end(), rep->latency_ns.begin(), rep->latency_ns.end());
    if (!rep->error.empty()) all.error += rep->error + "; ";
  }
  if (!all.error.empty()) all.error.resize(all.error.size() - 2);
  return all;
}

// Clients the broker can hold: it inherited our descriptor limit and needs two per client.
int broker_capacity(const CharlaSystem& sys, int clients, long fds, std::string& note) {
  if (sys.server_pid() <= 0) return clients;  // not ours: its limit is unknown
  const long fit = (fds - kBrokerSpareFds) / 2 - 1;  // and one for the monitor
  if (clients <= fit) return clients;
  note = "the file-descriptor limit (" + std::to_string(fds) + ", hard) lets the broker hold " + std::to_string(fit) +
         " clients of two connections each; ";
  return static_cast<int>(fit);
}

}  // namespace

Row run_connect(CharlaSystem& sys, int clients, Clock::duration budget) {
  Row r("charla", "C", clients);
  const auto deadline = Clock::now() + budget;
  const long fds = raise_fd_limit();
  clients = broker_capacity(sys, clients, fds, r.note);
  r.m = clients;
  const auto prefix = sys.next_prefix();
  std::atomic<std::int64_t> last_join_ns{0};
  Monitor mon(sys, prefix, [&](const WireView& w, std::int64_t now) {
    if (w.event != "join") return false;
    last_join_ns = now;
    return true;
  }, deadline);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto base = sample(sys.server_pid());

  const auto t0 = now_ns();
  std::vector<std::string> reports;
  auto helpers = start_helpers(sys, prefix, clients, fds, budget, reports);
  const auto joins = collect(reports, deadline);
  const bool all_seen = mon.wait_seen(static_cast<std::uint64_t>(clients), deadline);
  r.recv = static_cast<long>(mon.seen());
  const double secs = static_cast<double>(std::max(joins.last_welcome_ns, last_join_ns.load()) - t0) / 1e9;
  std::this_thread::sleep_for(kHold);
  const auto held = sample(sys.server_pid());
  for (auto& p : helpers) p->stop(std::chrono::milliseconds(5000));  // each says bye for its clients

  r.drops = static_cast<long>(clients) - r.recv;
  r.rate = secs > 0 ? static_cast<double>(joins.welcomed) / secs : 0;
  auto lat = joins.latency_ns;
  r.lat = summarize(lat);
  r.rss_kb = held.rss_kb;
  r.cpu_s = held.cpu_s >= 0 && base.cpu_s >= 0 ? held.cpu_s - base.cpu_s : -1;
  char buf[200];
  std::snprintf(buf, sizeof buf, "%ld welcomed and %ld joins seen in %.2f s by %zu helper processes", joins.welcomed,
                r.recv, secs, helpers.size());
  r.note += buf;
  if (held.rss_kb >= 0 && base.rss_kb >= 0 && joins.welcomed > 0) {
    r.kib_per_client = static_cast<double>(held.rss_kb - base.rss_kb) / static_cast<double>(joins.welcomed);
    std::snprintf(buf, sizeof buf, "; %.1f KiB broker RSS per client over a %ld KiB baseline", r.kib_per_client,
                  base.rss_kb);
    r.note += buf;
  }
  if (!all_seen) r.note += "; the monitor was still missing joins at the deadline";
  if (mon.seq_gaps() > 0) r.note += "; presence seq gaps " + std::to_string(mon.seq_gaps());
  if (!joins.error.empty()) r.note += "; " + joins.error;
  return r;
}

}  // namespace charla::bench
