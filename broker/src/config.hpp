// Broker settings, filled from the command line (main.cpp) or by tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace charla::broker {

struct Config {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8082;      // ROUTER: commands and private messages; 0 = any free port
  std::uint16_t pub_port = 8083;  // PUB: broadcasts, presence, heartbeats; 0 = any free port
  std::size_t workers = 0;        // 0 = one per hardware thread
  std::uint32_t idle_timeout_s = 60;
  std::uint32_t heartbeat_ms = 1000;
  std::uint32_t expiry_ms = 5000;
  std::size_t max_text = 4096;       // bytes of UTF-8 in a broadcast or private message
  std::size_t max_frame = 65536;     // bytes; a larger frame closes the sender's connection
  std::size_t max_sessions = 20000;
  int pub_hwm = 100000;              // messages queued per subscriber before PUB drops
};

}  // namespace charla::broker
