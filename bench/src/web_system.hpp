// charla through its web gateway (issue 14): a charla-broker and a charla-web
// in front of it, both the bench's own on free loopback ports, and browser-like
// tabs: Beast WebSocket clients, one io_context thread driving all of them,
// each tab its own charla session at the broker through the gateway. The
// broadcasts come from an ordinary charla client publishing to the broker (a
// tab may send only 10 lines a second), so the row measures delivery to
// browsers through the gateway, to compare with plain charla's Fp at the same N.
#pragma once

#include "system.hpp"

#include <memory>
#include <string>
#include <vector>

namespace charla::bench {

struct WebOptions {
  std::string broker_path;               // the charla-broker binary
  std::string web_path;                  // the charla-web binary
  std::vector<std::string> broker_args;  // extra arguments for the broker, as for charla
  std::string work_dir;                  // logs and the port files
};

// "charla-web": fan-out rows only (no D). Its server_pid() is the broker's, as
// for charla; the gateway's memory per tab is each row's kib_per_session().
std::unique_ptr<System> make_web(const WebOptions& o, const ClientConfig& clients);

}  // namespace charla::bench
