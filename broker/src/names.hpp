// Names that belong to someone (docs/protocol.md 2.7): with CURVE, the first key
// that joins under a name owns it; another key is refused it until the owner
// has not used it for --name-ttl days. Kept in memory so that a hello never
// waits for the disk; the store thread (keeper.cpp) loads it at start and keeps
// the file in step. Also counts the private messages waiting for each name.
#pragma once

#include "store.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace charla::broker {

class NameBook {
 public:
  explicit NameBook(std::uint64_t ttl_ms) : ttl_ms_(ttl_ms) {}

  void load(const std::vector<OwnedName>& names, const std::vector<std::pair<std::string, std::uint64_t>>& mail);
  void reset_mail(const std::vector<std::pair<std::string, std::uint64_t>>& mail);  // after old mail was forgotten

  enum class Claim { free, mine, theirs };
  // Whether `owner` (a key in Z85) may join as `folded` now.
  Claim check(const std::string& folded, const std::string& owner, std::uint64_t now_ms) const;
  // `owner` joined as `name`: the name is theirs from now on. Returns the record to store.
  OwnedName claim(const std::string& folded, const std::string& name, const std::string& owner, std::uint64_t now_ms);
  // The owner left (or was lost) at `now_ms`, having seen up to `seen_hid`.
  std::optional<OwnedName> left(const std::string& folded, std::uint64_t now_ms, std::uint64_t seen_hid);
  std::optional<OwnedName> find(const std::string& folded, std::uint64_t now_ms) const;  // a lapsed one is none
  bool release(const std::string& folded);

  // Private messages waiting for `folded`: take a place (false when `limit` wait already), give it back.
  bool reserve_mail(const std::string& folded, std::uint64_t limit);
  void mail_gone(const std::string& folded);

 private:
  struct Entry {
    OwnedName name;
    std::uint64_t waiting = 0;
  };
  bool lapsed(const Entry& e, std::uint64_t now_ms) const { return now_ms > e.name.used_ms + ttl_ms_; }

  const std::uint64_t ttl_ms_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Entry> by_key_;
};

}  // namespace charla::broker
