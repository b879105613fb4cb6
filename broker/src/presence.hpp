// Presence of the sessions one worker owns: every decision about liveness,
// activity, idleness and expiry (docs/protocol.md sections 8 and 10.1) is made
// here, and nowhere else. The registry records the status and numbers the
// events; this file decides when they happen.
//
//   liveness  when the broker last heard anything from the connection (10.1)
//   activity  when the user last gave a command (8.2); idle_s counts from it
//   idleness  ACTIVO -> INACTIVO after idle_timeout_s without a command, and
//             back at the next command (8.3)
//   expiry    silent for expiry_ms: the session is lost (10.1); the state
//             machine (machine.cpp) runs what the expiry event does
#pragma once

#include "clock.hpp"
#include "link.hpp"
#include "log_limit.hpp"
#include "registry.hpp"
#include "shared.hpp"

#include <charla/msg/protocol.hpp>

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace charla::broker {

using LocalSessions = std::unordered_map<std::string, std::shared_ptr<Session>>;  // by routing id

class Presence {
 public:
  // Its log lines go through `log`, the worker's limiter: a user who keeps
  // changing status cannot fill the log.
  Presence(Shared& shared, Outbox& out, LogLimiter& log) : shared_(shared), out_(out), log_(log) {}

  // Any frame from the session's connection, decodable or not, over the rate
  // limit or not (10.1).
  static void heard(Session& s, Clock::time_point now) noexcept { s.last_heard = now; }

  // A decoded message from a joined user, before it is handled: a command
  // (say, whisper, who, info, set_status) is activity even if it is refused,
  // and ends idleness (8.2, 8.3 rule 2).
  void request(Session& s, const msg::Message& m, Clock::time_point now);

  // The user chose a status (8.3 rules 3 and 4): a chosen status is never
  // changed by idleness or activity, even INACTIVO chosen while idle.
  void choose(Session& s, msg::Status status, Clock::time_point now);

  // Every tick (heartbeat_ms/4, within 10–250 ms): idleness for the sessions
  // that are due, and the list of those that have expired.
  std::vector<std::shared_ptr<Session>> tick(const LocalSessions& local, Clock::time_point now);

 private:
  void publish(const msg::Presence& p) { out_.publish(Stream::presence, p.seq, p); }
  bool may_log(const Session& s, Clock::time_point now);

  Shared& shared_;
  Outbox& out_;
  LogLimiter& log_;
};

}  // namespace charla::broker
