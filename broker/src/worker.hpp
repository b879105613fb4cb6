// A worker thread: decodes clients' messages, runs the handlers, encodes the
// replies, and looks after the sessions it owns (expiry, idleness). All
// messages of one client reach the same worker, so each client's order holds.
#pragma once

#include "handlers.hpp"
#include "shared.hpp"

#include <cstddef>

#include <zmq.hpp>

namespace charla::broker {

class Worker {
 public:
  Worker(zmq::context_t& ctx, Shared& shared, std::size_t index);
  void run();  // returns when the I/O thread says stop

 private:
  void handle(zmq::message_t& rid, zmq::message_t& ip, zmq::message_t& body, Clock::time_point now);

  Shared& shared_;
  const std::size_t index_;
  zmq::socket_t link_;
  Outbox out_;
  LocalSessions local_;
};

}  // namespace charla::broker
