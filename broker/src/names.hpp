// Names that belong to someone (docs/protocol.md 2.7): with CURVE, the first key
// that joins under a name owns it; another key is refused it until the owner
// has not used it for --name-ttl days. Kept in memory so that a hello never
// waits for the disk; the store thread (keeper.cpp) loads it at start and keeps
// the file in step.
//
// What a stranger can make the broker keep is bounded here (docs/security.md):
// names in all (--max-owned-names); and, for a key not on the allow-list, names
// per key (--names-per-key) and new names per address and day
// (--names-per-address). A name such a key claimed and never came back to
// lapses after --new-name-ttl hours instead of --name-ttl days.
#pragma once

#include "store.hpp"

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace charla::broker {

struct NameBounds {
  std::uint64_t ttl_ms = 0;      // an owned name lapses after this long unused
  std::uint64_t new_ttl_ms = 0;  // ... or this, while an unknown key has not come back to it
  std::size_t in_all = 0;        // names owned at once, by all keys
  std::size_t per_key = 0;       // names one unknown key owns at once
  std::size_t per_address = 0;   // names unknown keys claim from one address in a day
};

// Who joins under a name: their key (Z85), their address, and whether the key
// is on the allow-list.
struct Claimant {
  std::string key;
  std::string address;
  bool known = false;
};

class NameBook {
 public:
  static constexpr std::uint64_t kDayMs = 24ull * 3600 * 1000;

  explicit NameBook(NameBounds bounds) : bounds_(bounds) {}

  void load(const std::vector<OwnedName>& names);

  enum class Claim { free, mine, theirs };
  // Whether `owner` (a key in Z85) may join as `folded` now.
  Claim check(const std::string& folded, const std::string& owner, std::uint64_t now_ms) const;

  // The bound a claim went over, if any.
  enum class Over { none, in_all, per_key, per_address };
  struct Claimed {
    std::optional<OwnedName> name;  // the record to store; none when over a bound
    Over over = Over::none;
  };
  // `who` joined as `name` (a new session, not a resumed one): the name is theirs
  // from now on, unless it was free and taking it would go over a bound.
  Claimed claim(const std::string& folded, const std::string& name, const Claimant& who, std::uint64_t now_ms);
  // The owner left (or was lost) at `now_ms`, having seen up to `seen_hid`. A name
  // that lapsed meanwhile stays lapsed.
  std::optional<OwnedName> left(const std::string& folded, std::uint64_t now_ms, std::uint64_t seen_hid);
  std::optional<OwnedName> find(const std::string& folded, std::uint64_t now_ms) const;  // a lapsed one is none
  bool release(const std::string& folded);
  // Forgets the names that lapsed and the addresses whose day is over (the store
  // forgets the same names with Store::forget_names_unused_since).
  void prune(std::uint64_t now_ms);

  std::size_t size() const;

 private:
  struct Window {  // an address's claims in the day that began at `start_ms`
    std::uint64_t start_ms = 0;
    std::size_t claims = 0;
  };
  bool lapsed(const OwnedName& n, std::uint64_t now_ms) const {
    return now_ms > n.used_ms + (n.trial ? bounds_.new_ttl_ms : bounds_.ttl_ms);
  }
  Over over(const Claimant& who, std::uint64_t now_ms);
  void erase(std::unordered_map<std::string, OwnedName>::iterator it);
  void prune_locked(std::uint64_t now_ms);

  const NameBounds bounds_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, OwnedName> by_key_;       // folded name → its record
  std::unordered_map<std::string, std::size_t> per_owner_;  // key → names it owns
  std::unordered_map<std::string, Window> per_address_;     // claim_group(address) → today's claims
  std::uint64_t pruned_ms_ = 0;                             // when prune_locked last ran
};

// The address whose claims are counted together: an IPv4 address itself, an IPv6
// one by its /64 (what one subscriber is usually given), anything else as it is.
std::string claim_group(const std::string& address);

}  // namespace charla::broker
