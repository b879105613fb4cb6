// The session registry: who is online, under which name, with which status.
// Every presence change goes through here and takes the next presence sequence
// number under the same lock that changes the state, so a snapshot always says
// exactly which changes it reflects (the Clone pattern, zguide ch. 5).
#pragma once

#include "clock.hpp"

#include <charla/msg/protocol.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

struct Session {
  Session(std::string rid_, std::string name_, std::string ip_, std::size_t worker_, Clock::time_point now);

  // Fixed for the session's life.
  const std::string rid;   // ZeroMQ routing id of the client's DEALER
  const std::string name;  // as the user wrote it
  const std::string key;   // folded name: unique among sessions
  const std::string ip;
  const std::size_t worker;  // the worker that owns this session
  const Clock::time_point connected_at;
  const std::uint64_t connected_wall_ms;

  // Presence (presence.cpp decides every change to these).
  // Touched only by the owning worker:
  Clock::time_point last_heard;  // liveness: any frame, pings included
  bool idle_set = false;         // INACTIVO was set by idleness, not chosen
  // Read by every worker:
  std::atomic<Clock::rep> last_activity;                 // the user's last command (not pings)
  std::atomic<msg::Status> status{msg::Status::activo};  // written under the registry lock

  Clock::time_point activity() const noexcept { return Clock::time_point(Clock::duration(last_activity.load(std::memory_order_relaxed))); }
  void touch(Clock::time_point now) noexcept { last_activity.store(now.time_since_epoch().count(), std::memory_order_relaxed); }
};

class Registry {
 public:
  enum class JoinError { taken, full };
  explicit Registry(std::size_t max_sessions) : max_sessions_(max_sessions) {}

  // Adds the session and returns its "join" event, or why it could not join.
  std::optional<JoinError> join(const std::shared_ptr<Session>& s, msg::Presence& event);
  // Removes the session; returns its "leave" or "lost" event.
  msg::Presence remove(const Session& s, msg::PresenceEvent why);
  // Changes the status; nullopt when it already had that status.
  std::optional<msg::Presence> set_status(Session& s, msg::Status status, msg::Cause cause);

  std::shared_ptr<Session> find(std::string_view name) const;
  msg::Users snapshot(Clock::time_point now) const;
  std::size_t size() const;

 private:
  msg::Presence event(const Session& s, msg::PresenceEvent e, msg::Cause cause);  // needs the lock held

  const std::size_t max_sessions_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> by_key_;
  std::uint64_t pseq_ = 0;
};

}  // namespace charla::broker
