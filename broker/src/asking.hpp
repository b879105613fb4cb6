// The questions (history, search) each connection has asked and not yet had
// answered (docs/protocol.md 2.4): at most a few each, so that one connection
// cannot fill the reader's queue, while one that asks and waits for each
// answer is never refused. Workers take a place, the reader gives it back.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace charla::broker {

class Asking {
 public:
  // False, and nothing taken, when `rid` already has `most` questions waiting.
  bool take(const std::string& rid, std::size_t most) {
    const std::lock_guard<std::mutex> lock(mu_);
    auto& n = waiting_[rid];
    if (n < most) return ++n, true;
    if (n == 0) waiting_.erase(rid);
    return false;
  }
  void done(const std::string& rid) {
    const std::lock_guard<std::mutex> lock(mu_);
    const auto it = waiting_.find(rid);
    if (it != waiting_.end() && --it->second == 0) waiting_.erase(it);
  }

 private:
  std::mutex mu_;
  std::unordered_map<std::string, std::size_t> waiting_;  // by routing id; only those with some
};

}  // namespace charla::broker
