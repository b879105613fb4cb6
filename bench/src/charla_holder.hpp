// The clients of the C workload live in helper processes (charla-bench --hold),
// each with a share that fits one process's file-descriptor limit: a client costs
// the bench four (two TCP sockets, two ZeroMQ mailboxes), so 10,000 clients do
// not fit under a 20,000 limit in one process.
#pragma once

#include "charla_session.hpp"
#include "system.hpp"

#include <optional>
#include <string>
#include <vector>

namespace charla::bench {

struct HoldSpec {
  Endpoint at;
  std::string prefix;   // user names are prefix + "c" + number
  int first = 0;        // the first number
  int count = 0;
  std::string report;   // where the helper says how its joins went
  ClientConfig clients;
  int budget_s = 120;   // to join them all
};

// Joins `members` (threads share them) and keeps them alive until `stop`.
struct Holders {
  std::atomic<bool> stop{false};
  std::atomic<int> joining{0};
  std::mutex mu;
  std::string error;  // the first failure
};
void hold(zmq::context_t& ctx, const Endpoint& at, std::span<Member> mine, Holders& h, Clock::time_point deadline);

// The helper's main: joins its clients, writes the report, holds them until
// SIGTERM or SIGINT, then says bye for each.
int run_holder(const HoldSpec& spec);
std::vector<std::string> holder_argv(const std::string& self, const HoldSpec& spec);

struct HoldReport {
  long welcomed = 0;
  std::int64_t last_welcome_ns = 0;  // steady clock: the same in every process
  std::string error;
  std::vector<std::int64_t> latency_ns;  // hello to welcome, per client
};
std::optional<HoldReport> read_hold_report(const std::string& path, Clock::time_point deadline);

// Clients one process can hold under its file-descriptor limit.
inline int clients_per_process(long fd_limit) { return static_cast<int>(std::max(1L, (fd_limit - 256) / 4)); }

}  // namespace charla::bench
