// A worker thread: takes the frames of the clients it owns from the I/O
// thread, rate-limits and decodes them, runs the session state machine, and
// ticks presence (idleness, expiry) for its sessions. All messages of one
// client reach the same worker, so each client's order holds.
#pragma once

#include "link.hpp"
#include "machine.hpp"
#include "presence.hpp"
#include "rate_limit.hpp"
#include "shared.hpp"

#include <cstddef>

#include <zmq.hpp>

namespace charla::broker {

class Worker {
 public:
  Worker(zmq::context_t& ctx, Shared& shared, std::size_t index);
  void run();  // returns when the I/O thread says stop
  // One client frame: liveness, rate limit, decode, state machine. Public for the fuzzer.
  void handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now);
  void tick(Clock::time_point now);  // idleness, expiry, forgetting quiet buckets

 private:
  Request request(std::string_view rid, std::string_view ip, Clock::time_point now, std::shared_ptr<Session> s);

  Shared& shared_;
  const std::size_t index_;
  zmq::socket_t link_;
  Outbox out_;
  Presence presence_;
  RateLimiter limiter_;
  LocalSessions local_;
};

}  // namespace charla::broker
