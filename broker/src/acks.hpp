// The acknowledgements a worker owes (docs/protocol.md 2.6): for each
// connection, the highest numbered message handled. They leave together on the
// worker's tick, or at once when a connection is owed kAckEvery of them, so
// that acknowledging costs far less than one message per message. They leave
// through the store thread, after what they acknowledge is stored (2.7).
#pragma once

#include <charla/msg/protocol.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace charla::broker {

class PendingAcks {
 public:
  static constexpr unsigned kAckEvery = 32;
  using Send = std::function<void(std::string_view rid, std::uint64_t n)>;

  explicit PendingAcks(Send send) : send_(std::move(send)) {}

  void handled(std::string_view rid, std::uint64_t n) {
    auto& owed = owed_[std::string(rid)];
    owed.n = std::max(owed.n, n);
    if (++owed.count >= kAckEvery) {
      send_(rid, owed.n);
      owed_.erase(std::string(rid));
    }
  }
  void flush() {
    for (const auto& [rid, owed] : owed_) send_(rid, owed.n);
    owed_.clear();
  }

 private:
  struct Owed {
    std::uint64_t n = 0;
    unsigned count = 0;
  };
  Send send_;
  std::unordered_map<std::string, Owed> owed_;  // by routing id
};

}  // namespace charla::broker
