#include "shared_state.hpp"

namespace charla::web {

std::uint64_t SharedState::open(std::weak_ptr<Session> s) {
  if (waiting() >= limits_.max_waiting) return 0;
  const auto id = next_id_++;
  sockets_.emplace(id, Entry{std::move(s), false});
  return id;
}

bool SharedState::join(std::uint64_t id) {
  const auto it = sockets_.find(id);
  if (it == sockets_.end() || it->second.joined || joined_ >= limits_.max_sessions) return false;
  it->second.joined = true;
  ++joined_;
  return true;
}

void SharedState::close(std::uint64_t id) {
  const auto it = sockets_.find(id);
  if (it == sockets_.end()) return;
  if (it->second.joined) --joined_;
  sockets_.erase(it);
}

void SharedState::finish_all() {
  for (auto& [id, e] : sockets_) {
    if (auto s = e.session.lock()) s->finish();
  }
}

}  // namespace charla::web
