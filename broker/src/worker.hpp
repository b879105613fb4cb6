// A worker thread: decodes clients' messages, runs the handlers, encodes the
// replies, and looks after the sessions it owns (expiry, idleness). All
// messages of one client reach the same worker, so each client's order holds.
#pragma once

#include "handlers.hpp"
#include "shared.hpp"

#include <cstddef>
#include <string>
#include <unordered_map>

#include <zmq.hpp>

namespace charla::broker {

class Worker {
 public:
  Worker(zmq::context_t& ctx, Shared& shared, std::size_t index);
  void run();  // returns when the I/O thread says stop
  // One client frame: rate limit, decode, dispatch. Public for the fuzzer.
  void handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now);
  void tick(Clock::time_point now);  // expiry, idleness, forgetting quiet buckets

 private:
  bool admit(Request& r);  // the connection's token bucket; answers rate_limited when empty
  void forget_quiet_buckets(Clock::time_point now);

  struct Bucket {
    double tokens = 0;
    Clock::time_point last{}, warned{};
  };

  Shared& shared_;
  const std::size_t index_;
  zmq::socket_t link_;
  Outbox out_;
  LocalSessions local_;
  std::unordered_map<std::string, Bucket> buckets_;  // by routing id, joined or not
};

}  // namespace charla::broker
