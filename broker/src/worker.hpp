// A worker thread: takes the frames of the clients it owns from the I/O
// thread, rate-limits and decodes them, runs the session state machine, and
// ticks presence (idleness, expiry) for its sessions. All messages of one
// client reach the same worker, so each client's order holds.
#pragma once

#include "acks.hpp"
#include "keeper.hpp"
#include "link.hpp"
#include "log_limit.hpp"
#include "machine.hpp"
#include "presence.hpp"
#include "rate_limit.hpp"
#include "reader.hpp"
#include "words.hpp"
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
  // One client message: liveness, rate limit, decode, state machine. `body`
  // null: a message of several frames. Public for the fuzzer.
  void handle(zmq::message_t& rid, zmq::message_t& ip, std::string_view key, zmq::message_t* body,
              Clock::time_point now);
  void tick(Clock::time_point now);  // idleness, expiry, acknowledgements, forgetting

 private:
  Request request(std::string_view rid, std::string_view ip, Clock::time_point now, std::shared_ptr<Session> s);
  std::shared_ptr<Session> session_of(const std::string& rid);
  bool admitted(Request& r);
  void refuse_frame(Request& r, const msg::DecodeError& e);  // a frame that could not be decoded
  void give_back_memory(Clock::time_point now);

  Shared& shared_;
  const std::size_t index_;
  zmq::socket_t link_;
  Outbox out_;
  LogLimiter log_;
  Presence presence_;
  KeeperQueue keeper_;
  ReaderQueue reader_;
  PendingAcks acks_;
  RateLimiter limiter_;
  Words words_;
  LocalSessions local_;
  std::unordered_map<std::string, unsigned> bad_in_a_row_;  // by routing id, while it sends garbage
  Clock::time_point next_trim_{};
};

}  // namespace charla::broker
