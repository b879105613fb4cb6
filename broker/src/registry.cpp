#include "registry.hpp"

#include <charla/msg/names.hpp>

#include <mutex>

namespace charla::broker {

Session::Session(std::string rid_, std::string name_, std::string ip_, std::size_t worker_, Clock::time_point now)
    : rid(std::move(rid_)),
      name(std::move(name_)),
      key(msg::fold_name(name)),
      ip(std::move(ip_)),
      worker(worker_),
      connected_at(now),
      connected_wall_ms(wall_ms()),
      last_heard(now),
      last_activity(now.time_since_epoch().count()) {}

msg::Presence Registry::event(const Session& s, msg::PresenceEvent e, msg::Cause cause) {
  return msg::Presence{++pseq_, e, s.name, s.status.load(), s.ip, wall_ms(), cause};
}

std::optional<Registry::JoinError> Registry::join(const std::shared_ptr<Session>& s, msg::Presence& out) {
  std::unique_lock lock(mu_);
  if (by_key_.count(s->key) != 0) return JoinError::taken;
  if (by_key_.size() >= max_sessions_) return JoinError::full;
  by_key_.emplace(s->key, s);
  out = event(*s, msg::PresenceEvent::join, msg::Cause::none);
  return std::nullopt;
}

msg::Presence Registry::remove(const Session& s, msg::PresenceEvent why) {
  std::unique_lock lock(mu_);
  by_key_.erase(s.key);
  return event(s, why, msg::Cause::none);
}

std::optional<msg::Presence> Registry::set_status(Session& s, msg::Status status, msg::Cause cause) {
  std::unique_lock lock(mu_);
  if (s.status.load() == status) return std::nullopt;
  s.status.store(status);
  return event(s, msg::PresenceEvent::status, cause);
}

std::shared_ptr<Session> Registry::find(std::string_view name) const {
  const auto key = msg::fold_name(name);
  std::shared_lock lock(mu_);
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : it->second;
}

msg::Users Registry::snapshot(Clock::time_point now) const {
  msg::Users out;
  std::shared_lock lock(mu_);
  out.pseq = pseq_;
  out.users.reserve(by_key_.size());
  for (const auto& [key, s] : by_key_) {
    out.users.push_back(msg::UserEntry{s->name, s->status.load(), s->ip, s->connected_wall_ms,
                                       seconds_between(s->activity(), now)});
  }
  return out;
}

std::size_t Registry::size() const {
  std::shared_lock lock(mu_);
  return by_key_.size();
}

}  // namespace charla::broker
