// Who is online, as every frontend shows it: the presence mirror kept exact
// from a Connection's events. It asks for the snapshot when the link comes up
// and again after a gap, applies events in sequence, and tells its view what
// changed (as HexChat's core calls fe_userlist_insert/remove/update on each
// frontend). The console, the monitor and any later frontend share it.
#pragma once

#include <charla/client/connection.hpp>
#include <charla/client/presence_mirror.hpp>

#include <cstdint>

namespace charla::client {

// What a frontend does with the roster's news. Every method is optional.
class RosterView {
 public:
  virtual ~RosterView() = default;
  // A new snapshot replaced the list (at start, after a reconnection, after a gap).
  virtual void roster_snapshot(const msg::Users& users) { (void)users; }
  // A change: applied in order, or the one that revealed a gap (a snapshot follows).
  virtual void roster_changed(const msg::Presence& p) { (void)p; }
  // Changes after `last` were missed, up to `seen`; a new snapshot has been asked for.
  virtual void roster_gap(std::uint64_t last, std::uint64_t seen) { (void)last, (void)seen; }
};

class Roster {
 public:
  // The request id of the roster's own `who`.
  static constexpr std::uint64_t kSnapshotId = 0x524f53;

  Roster(Connection& conn, RosterView& view) : conn_(conn), view_(view) {}

  // Asks for a snapshot; call once the connection is up (the roster does it
  // itself after a reconnection or a gap).
  void start();
  // Takes what it needs from an event of the connection. A `users` reply, whatever
  // its id, becomes the new snapshot; the frontend may use the same event too.
  void on_event(const Event& e);

  const PresenceMirror& mirror() const noexcept { return mirror_; }

 private:
  void on_presence(const msg::Presence& p);
  void gap(std::uint64_t seen);

  Connection& conn_;
  RosterView& view_;
  PresenceMirror mirror_;
};

}  // namespace charla::client
