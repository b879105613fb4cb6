// A local copy of who is online, kept exact with the Clone pattern (zguide
// ch. 5): a snapshot says which presence sequence number it reflects; events at
// or below it are dropped, the next one is applied, and a jump means some were
// missed, so a new snapshot is needed.
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace charla::client {

class PresenceMirror {
 public:
  enum class Outcome { applied, stale, gap, waiting };

  // Replaces the state; returns the events queued while waiting that now apply.
  std::vector<msg::Presence> apply_snapshot(const msg::Users& users);
  // Applies one event, or says why not. Before the first snapshot, events are queued.
  Outcome apply(const msg::Presence& p);
  // A heartbeat's pseq beyond ours means events were missed.
  bool behind(std::uint64_t beat_pseq) const noexcept { return synced_ && beat_pseq > seq_; }

  void reset() { synced_ = false, queued_.clear(), users_.clear(), seq_ = 0; }
  bool synced() const noexcept { return synced_; }
  std::uint64_t seq() const noexcept { return seq_; }
  const std::map<std::string, msg::UserEntry>& users() const noexcept { return users_; }  // by folded name

 private:
  void change(const msg::Presence& p);

  bool synced_ = false;
  std::uint64_t seq_ = 0;
  std::map<std::string, msg::UserEntry> users_;
  std::vector<msg::Presence> queued_;
};

}  // namespace charla::client
