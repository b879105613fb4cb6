#include <charla/client/presence_mirror.hpp>

#include <charla/msg/names.hpp>

namespace charla::client {

std::vector<msg::Presence> PresenceMirror::apply_snapshot(const msg::Users& snap) {
  users_.clear();
  for (const auto& u : snap.users) users_[msg::fold_name(u.name)] = u;
  seq_ = snap.pseq;
  synced_ = true;
  std::vector<msg::Presence> applied;
  for (const auto& p : queued_) {
    if (apply(p) == Outcome::applied) applied.push_back(p);
  }
  queued_.clear();
  return applied;
}

PresenceMirror::Outcome PresenceMirror::apply(const msg::Presence& p) {
  if (!synced_) {
    queued_.push_back(p);
    return Outcome::waiting;
  }
  if (p.seq <= seq_) return Outcome::stale;
  if (p.seq != seq_ + 1) return Outcome::gap;
  change(p);
  seq_ = p.seq;
  return Outcome::applied;
}

void PresenceMirror::change(const msg::Presence& p) {
  const auto key = msg::fold_name(p.user);
  switch (p.event) {
    case msg::PresenceEvent::join:
      users_[key] = msg::UserEntry{p.user, p.status, p.ip, p.ts, 0};
      break;
    case msg::PresenceEvent::leave:
    case msg::PresenceEvent::lost:
      users_.erase(key);
      break;
    case msg::PresenceEvent::status:
      if (auto it = users_.find(key); it != users_.end()) it->second.status = p.status;
      break;
    case msg::PresenceEvent::resume:  // back on a new connection: perhaps another address
      if (auto it = users_.find(key); it != users_.end()) it->second.ip = p.ip;
      break;
  }
}

}  // namespace charla::client
