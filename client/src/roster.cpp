#include <charla/client/roster.hpp>

namespace charla::client {

void Roster::start() {
  mirror_.reset();
  conn_.send(msg::Who{}, kSnapshotId);
}

void Roster::on_event(const Event& e) {
  if (std::holds_alternative<link::Lost>(e)) return mirror_.reset();
  if (std::holds_alternative<link::Rejoined>(e)) return start();
  const auto* d = std::get_if<msg::Decoded>(&e);
  if (d == nullptr) return;
  if (const auto* u = std::get_if<msg::Users>(&d->msg)) {
    const auto applied = mirror_.apply_snapshot(*u);
    view_.roster_snapshot(*u);
    for (const auto& p : applied) view_.roster_changed(p);
  } else if (const auto* p = std::get_if<msg::Presence>(&d->msg)) {
    on_presence(*p);
  } else if (const auto* b = std::get_if<msg::Beat>(&d->msg)) {
    if (mirror_.behind(b->pseq)) gap(b->pseq);
  }
}

void Roster::on_presence(const msg::Presence& p) {
  switch (mirror_.apply(p)) {
    case PresenceMirror::Outcome::applied:
      view_.roster_changed(p);
      break;
    case PresenceMirror::Outcome::gap:
      view_.roster_changed(p);
      gap(p.seq);
      break;
    case PresenceMirror::Outcome::stale:
    case PresenceMirror::Outcome::waiting:
      break;
  }
}

void Roster::gap(std::uint64_t seen) {
  view_.roster_gap(mirror_.seq(), seen);
  start();
}

}  // namespace charla::client
