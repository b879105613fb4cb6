// One line of the results: a system, a workload and a size.
#pragma once

#include "stats.hpp"

#include <string>
#include <utility>

namespace charla::bench {

struct Row {
  Row() = default;
  Row(std::string system_, std::string wl_, long n_) : system(std::move(system_)), wl(std::move(wl_)), n(n_) {}

  std::string system;
  std::string wl;          // F, Fp, D, C, P
  long n = 0;              // subscribers, clients or users
  long m = 0;              // messages sent, round trips, clients or changes asked for
  long recv = 0;           // deliveries, round trips, joins or changes seen
  long drops = 0;          // sent but never seen
  double rate = 0;         // deliveries (round trips, joins, changes) per second
  Latency lat;             // one-way delivery, round trip, join, or change-to-monitor
  long rss_kb = -1;        // the broker's, at the end of the row; -1: none
  double cpu_s = -1;       // the broker's CPU time during the row; -1: none
  double kib_per_client = -1;  // C: broker RSS per client over its baseline; charla-web: the gateway's per tab
  std::string note;
  bool failed = false;     // the row could not be run; note says why
};

}  // namespace charla::bench
