// What every browser connection shares (Beast's chat-multi shared_state): the
// limits, the set of sockets, and the way to the broker side. Used on the asio
// thread only, so nothing here needs a lock.
#pragma once

#include "broker_side.hpp"
#include "session.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace charla::web {

struct Limits {
  std::size_t max_sessions = 1000;        // tabs joined at once
  std::size_t max_waiting = 1000;         // WebSockets open and not joined yet
  std::size_t max_queue = 256 * 1024;     // bytes waiting to be written to one browser
  std::size_t max_message = 16 * 1024;    // the largest message a page may send
  std::chrono::seconds join_within{10};   // a socket that has not joined by then is closed
  std::chrono::seconds ws_timeout{15};    // silence (pings unanswered) after which a socket is dead
  double line_rate = 10;                  // lines a tab may send per second...
  double line_burst = 30;                 // ...and at once
};

struct Policy {
  std::vector<std::string> origins;  // allowed besides the gateway's own (origin_allowed)
  bool trust_forwarded_for = false;  // the user's address from the proxy's X-Forwarded-For
  bool tls = false;
};

class SharedState {
 public:
  SharedState(BrokerSide& broker, Limits limits, Policy policy)
      : broker_(broker), limits_(limits), policy_(std::move(policy)) {}

  BrokerSide& broker() noexcept { return broker_; }
  const Limits& limits() const noexcept { return limits_; }
  const Policy& policy() const noexcept { return policy_; }

  // A new WebSocket: its id, or 0 when max_waiting sockets are waiting to join already.
  std::uint64_t open(std::weak_ptr<Session> s);
  // It asks to join: false when max_sessions tabs are joined.
  bool join(std::uint64_t id);
  // It has closed.
  void close(std::uint64_t id);
  // Shutting down: every socket is closed once what is queued has gone.
  void finish_all();

  std::size_t waiting() const noexcept { return sockets_.size() - joined_; }
  std::size_t joined() const noexcept { return joined_; }

 private:
  struct Entry { std::weak_ptr<Session> session; bool joined = false; };
  BrokerSide& broker_;
  const Limits limits_;
  const Policy policy_;
  std::map<std::uint64_t, Entry> sockets_;
  std::size_t joined_ = 0;
  std::uint64_t next_id_ = 1;
};

}  // namespace charla::web
