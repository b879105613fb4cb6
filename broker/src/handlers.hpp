// One handler per client message type, and the session state machine that
// decides which types a connection may send:
//
//   state      accepts                                          anything else
//   --------   ----------------------------------------------   --------------------
//   start      hello (-> joined), watch, who, sync               error not_joined
//   joined     say, whisper, who, info, set_status, ping, sync,  hello: already_joined
//              watch, bye (-> gone)
//   any        broker-to-client types                            error unknown_type
#pragma once

#include "link.hpp"
#include "registry.hpp"
#include "shared.hpp"

#include <charla/msg/protocol.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

using LocalSessions = std::unordered_map<std::string, std::shared_ptr<Session>>;  // by routing id

// Everything a handler may use for one request.
struct Request {
  Shared& shared;
  Outbox& out;
  LocalSessions& local;
  std::size_t worker;
  Clock::time_point now;
  std::string_view rid;
  std::string_view ip;
  std::uint64_t id;                  // request id to echo, 0 if none
  std::shared_ptr<Session> session;  // null before hello

  void error(msg::ErrorCode code, std::string text, std::string_view re) const;
  void publish(const msg::Presence& p) const;
};

void dispatch(Request& r, msg::Message& m);

// Periodic work for one worker's sessions: expire the silent, mark the idle.
void expire_and_idle(Shared& shared, Outbox& out, LocalSessions& local, Clock::time_point now);

}  // namespace charla::broker
