#include <charla/client/presence_mirror.hpp>

#include <catch2/catch.hpp>

using namespace charla::client;
using namespace charla::msg;

namespace {
Presence ev(std::uint64_t seq, PresenceEvent e, const std::string& user, Status s = Status::activo) {
  return Presence{seq, e, user, s, "127.0.0.1", 0, Cause::none};
}
Users snap(std::uint64_t pseq, std::vector<std::string> names) {
  Users u{pseq, {}};
  for (auto& n : names) u.users.push_back(UserEntry{n, Status::activo, "127.0.0.1", 0, 0});
  return u;
}
}  // namespace

TEST_CASE("events queued before the snapshot apply only if newer than it", "[mirror]") {
  PresenceMirror m;
  CHECK(m.apply(ev(4, PresenceEvent::join, "eva")) == PresenceMirror::Outcome::waiting);
  CHECK(m.apply(ev(5, PresenceEvent::join, "luis")) == PresenceMirror::Outcome::waiting);
  const auto applied = m.apply_snapshot(snap(4, {"ana", "eva"}));
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].user == "luis");
  CHECK(m.users().size() == 3);
  CHECK(m.seq() == 5);
}

TEST_CASE("an event at or below the mirror's sequence is stale and changes nothing", "[mirror]") {
  PresenceMirror m;
  m.apply_snapshot(snap(7, {"ana"}));
  CHECK(m.apply(ev(7, PresenceEvent::leave, "ana")) == PresenceMirror::Outcome::stale);
  CHECK(m.users().count("ana") == 1);
}

TEST_CASE("a jump in the sequence is a gap, and a beat ahead of the mirror says it is behind", "[mirror]") {
  PresenceMirror m;
  m.apply_snapshot(snap(2, {"ana"}));
  CHECK(m.apply(ev(3, PresenceEvent::join, "bob")) == PresenceMirror::Outcome::applied);
  CHECK(m.apply(ev(5, PresenceEvent::join, "eva")) == PresenceMirror::Outcome::gap);
  CHECK_FALSE(m.behind(3));
  CHECK(m.behind(4));
}

TEST_CASE("leave, lost and status events change the mirror, names case-insensitively", "[mirror]") {
  PresenceMirror m;
  m.apply_snapshot(snap(0, {"Ana", "bob"}));
  CHECK(m.apply(ev(1, PresenceEvent::status, "ANA", Status::ocupado)) == PresenceMirror::Outcome::applied);
  CHECK(m.users().at("ana").status == Status::ocupado);
  m.apply(ev(2, PresenceEvent::lost, "bob"));
  m.apply(ev(3, PresenceEvent::leave, "ana"));
  CHECK(m.users().empty());
}
