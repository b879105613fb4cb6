#include "registry.hpp"

#include <charla/msg/names.hpp>

#include <mutex>

namespace charla::broker {

msg::Presence Registry::event(const Session& s, msg::PresenceEvent e, msg::Cause cause) {
  return msg::Presence{++pseq_, e, s.name, s.status.load(), s.ip, wall_ms(), cause};
}

bool Registry::holds(const Session& s) const {
  const auto it = by_key_.find(s.key);
  return it != by_key_.end() && it->second.get() == &s;
}

std::optional<Registry::JoinError> Registry::join(const std::shared_ptr<Session>& s, msg::Presence& out) {
  std::unique_lock lock(mu_);
  if (by_key_.count(s->key) != 0) return JoinError::taken;
  if (by_key_.size() >= max_sessions_) return JoinError::full;
  by_key_.emplace(s->key, s);
  out = event(*s, msg::PresenceEvent::join, msg::Cause::none);
  return std::nullopt;
}

Registry::TakeOver Registry::take_over(std::string_view name, const std::function<bool(const Session&)>& ours,
                                       std::string rid, std::string ip, std::size_t worker, Clock::time_point now) {
  std::unique_lock lock(mu_);
  const auto it = by_key_.find(msg::fold_name(name));
  if (it == by_key_.end()) return {};
  Session& old = *it->second;
  if (!ours(old)) return {TakeOver::mismatch, nullptr, {}};
  auto fresh = std::make_shared<Session>(old, std::move(rid), std::move(ip), worker, now);
  old.ended = true;
  it->second = fresh;
  return {TakeOver::done, fresh, event(*fresh, msg::PresenceEvent::resume, msg::Cause::none)};
}

std::optional<msg::Presence> Registry::remove(Session& s, msg::PresenceEvent why) {
  std::unique_lock lock(mu_);
  if (!holds(s)) return std::nullopt;
  by_key_.erase(s.key);
  s.ended = true;
  return event(s, why, msg::Cause::none);
}

std::optional<msg::Presence> Registry::set_status(Session& s, msg::Status status, msg::Cause cause) {
  std::unique_lock lock(mu_);
  if (!holds(s) || s.status.load() == status) return std::nullopt;
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
