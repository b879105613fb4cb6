// Broker settings: the defaults of charla-broker's options live here, once.
// Filled from the command line and the configuration file (options.cpp) or by tests.
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>

namespace charla::broker {

// Messages ZeroMQ queues for one connection on the ROUTER before the broker's own
// queue (max_queue) takes over; small, so that what a connection costs is counted in bytes.
inline constexpr int kRouterQueue = 64;
// Frames in a row that cannot be decoded before a connection is cut off.
inline constexpr unsigned kMaxBadInARow = 20;

// Where charla-broker keeps its file when --db is not given: $XDG_STATE_HOME/charla
// (or ~/.local/state/charla) /charla.db.
std::string default_db_path();

struct Config {
  std::string bind = "0.0.0.0";
  std::uint16_t port = 8082;      // ROUTER: commands and private messages; 0 = any free port
  std::uint16_t pub_port = 8083;  // PUB: broadcasts, presence, heartbeats; 0 = any free port
  std::size_t workers = 0;        // 0 = one per hardware thread
  int io_threads = 1;             // libzmq's own I/O threads (the TCP side of both sockets)
  std::uint32_t idle_timeout_s = 60;
  std::uint32_t heartbeat_ms = 1000;
  std::uint32_t expiry_ms = 5000;
  std::size_t max_text = 4096;       // bytes of UTF-8 in a broadcast or private message
  std::size_t max_frame = 65536;     // bytes; a larger frame closes the sender's connection
  std::size_t max_sessions = 20000;
  int pub_hwm = msg::kPubQueueFrames;  // frames queued per subscriber before PUB drops
  // Bytes the broker keeps for one connection beyond ZeroMQ's own queue (kRouterQueue
  // messages): replies it cannot take yet (over this: cut off), and, separately, the
  // private messages its user has not confirmed (over this: queue_full to senders).
  std::size_t max_queue = 1 << 20;
  double rate = 50;                  // messages per second per connection (token bucket); 0 = no limit
  double burst = 200;                // messages a connection may send at once before the rate applies
  // Questions (history, search: docs/protocol.md 2.4): at most query_pending of them
  // waiting for their answer per connection, and query_queue in all.
  std::size_t query_pending = 4;
  std::size_t query_queue = 64;

  // Memory (docs/protocol.md 2.7). db: the SQLite file; ":memory:" keeps nothing
  // across restarts; "" the default place (default_db_path()).
  std::string db = ":memory:";
  std::uint32_t history_on_join = 50;  // broadcasts a client is given when it joins
  std::uint64_t history_keep = 10000;  // broadcasts kept at most (0: no limit)
  std::uint32_t history_days = 0;      // and none older (0: any age)
  std::uint32_t name_ttl_days = 90;    // a name owned by a key is free again after this long unused
  std::uint32_t mail_keep = 100;       // private messages waiting for one user, at most
  std::uint32_t mail_days = 30;        // and none older

  // What a stranger can make the broker keep (docs/security.md). A stranger is a
  // key not on the allow-list (without one, every key); over a bound on names it
  // joins, but owns no name (2.7).
  std::size_t max_owned_names = 10000;     // names owned at once, by all keys
  std::uint32_t names_per_key = 3;         // names one stranger's key owns at once
  std::uint32_t names_per_address = 10;    // names strangers claim from one address (IPv6: its /64) a day
  std::uint32_t new_name_ttl_h = 24;       // hours a stranger's name lasts unused until its owner comes back
  std::uint32_t mail_per_sender = 20;      // private messages one sender has waiting for others, at most
  std::uint64_t mail_max_bytes = std::uint64_t{64} << 20;  // private messages waiting, in all (--mail-max-mb):
                                                          // their text, sender, and 64 bytes each

  std::string curve_secret;                         // Z85; empty = plaintext
  std::optional<std::set<std::string>> allow_keys;  // 32-byte client public keys; none = any key
  // 32-byte public keys of trusted gateways (charla-web): only their connections may
  // tell the broker a user's own address in hello (docs/protocol.md 4.2). Needs CURVE.
  std::set<std::string> gateway_keys;
};

}  // namespace charla::broker
