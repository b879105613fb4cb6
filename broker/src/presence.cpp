#include "presence.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

namespace charla::broker {
namespace {

// What the user does, as opposed to what the client does by itself (8.2).
bool is_command(const msg::Message& m) {
  return std::holds_alternative<msg::Say>(m) || std::holds_alternative<msg::Whisper>(m) ||
         std::holds_alternative<msg::Who>(m) || std::holds_alternative<msg::Info>(m) ||
         std::holds_alternative<msg::SetStatus>(m);
}

}  // namespace

void Presence::request(Session& s, const msg::Message& m, Clock::time_point now) {
  if (!is_command(m)) return;
  s.touch(now);
  // set_status makes only its own event (8.3 rule 4): choose() clears the idle mark.
  if (!s.idle_set || std::holds_alternative<msg::SetStatus>(m)) return;
  s.idle_set = false;
  if (auto p = shared_.registry.set_status(s, msg::Status::activo, msg::Cause::activity)) {
    if (may_log(s, now)) spdlog::info("{} ({}) activo de nuevo", s.name, s.ip);
    publish(*p);
  }
}

void Presence::choose(Session& s, msg::Status status, Clock::time_point now) {
  s.idle_set = false;
  if (auto p = shared_.registry.set_status(s, status, msg::Cause::user)) {
    if (may_log(s, now)) spdlog::info("{} ({}) estado {}", s.name, s.ip, msg::to_string(status));
    publish(*p);
  }
}

std::vector<std::shared_ptr<Session>> Presence::tick(const LocalSessions& local, Clock::time_point now) {
  const auto expiry = std::chrono::milliseconds(shared_.cfg.expiry_ms);
  const auto idle = std::chrono::seconds(shared_.cfg.idle_timeout_s);
  std::vector<std::shared_ptr<Session>> expired;
  for (const auto& [rid, session] : local) {
    Session& s = *session;
    if (now - s.last_heard > expiry) {
      expired.push_back(session);
      continue;
    }
    if (shared_.cfg.idle_timeout_s == 0 || s.status.load() != msg::Status::activo || now - s.activity() <= idle) continue;
    if (auto p = shared_.registry.set_status(s, msg::Status::inactivo, msg::Cause::idle)) {
      s.idle_set = true;
      if (may_log(s, now)) spdlog::info("{} ({}) inactivo tras {} s", s.name, s.ip, shared_.cfg.idle_timeout_s);
      publish(*p);
    }
  }
  return expired;
}

bool Presence::may_log(const Session& s, Clock::time_point now) {
  return log_.allow(s.rid, LogLimiter::Kind::presence, s.name + " (" + s.ip + ")", now);
}

}  // namespace charla::broker
