// The session registry: who is online, under which name, with which status.
// Every presence change goes through here and takes the next presence sequence
// number under the same lock that changes the state, so a snapshot always says
// exactly which changes it reflects (the Clone pattern, zguide ch. 5).
#pragma once

#include "clock.hpp"
#include "session.hpp"

#include <charla/msg/protocol.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

class Registry {
 public:
  enum class JoinError { taken, full };
  explicit Registry(std::size_t max_sessions) : max_sessions_(max_sessions) {}

  // Adds the session and returns its "join" event, or why it could not join.
  std::optional<JoinError> join(const std::shared_ptr<Session>& s, msg::Presence& event);

  struct TakeOver {
    enum { done, none, mismatch } outcome = none;
    std::shared_ptr<Session> session;  // done: the new session, which holds the name now
    msg::Presence event;               // done: its "resume" event
  };
  // A new connection of the user of the session that holds `name` (its resume
  // token, or its owner's key: `ours` says): a new Session on the new connection
  // takes its place (the old one is ended); none: nobody holds the name;
  // mismatch: somebody else does.
  TakeOver take_over(std::string_view name, const std::function<bool(const Session&)>& ours, std::string rid,
                     std::string ip, std::size_t worker, Clock::time_point now);

  // Removes the session and returns its "leave" or "lost" event; nullopt if
  // it no longer holds its name (taken over or removed already).
  std::optional<msg::Presence> remove(Session& s, msg::PresenceEvent why);
  // Changes the status; nullopt when it already had that status, or has ended.
  std::optional<msg::Presence> set_status(Session& s, msg::Status status, msg::Cause cause);

  std::shared_ptr<Session> find(std::string_view name) const;
  msg::Users snapshot(Clock::time_point now) const;
  std::size_t size() const;

 private:
  msg::Presence event(const Session& s, msg::PresenceEvent e, msg::Cause cause);  // needs the lock held
  bool holds(const Session& s) const;                                              // needs the lock held

  const std::size_t max_sessions_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Session>> by_key_;
  std::uint64_t pseq_ = 0;
};

}  // namespace charla::broker
