#include "names.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

namespace charla::broker {

namespace {
constexpr std::uint64_t kLazyPruneMs = 1000;  // a bound met prunes lapsed names first, at most once a second
}  // namespace

std::string claim_group(const std::string& address) {
  in6_addr a{};
  if (::inet_pton(AF_INET6, address.c_str(), &a) != 1) return address;  // IPv4, or not an address
  const auto* b = a.s6_addr;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    char v4[INET_ADDRSTRLEN] = "";
    ::inet_ntop(AF_INET, b + 12, v4, sizeof v4);
    return v4;
  }
  char prefix[32] = "";
  std::snprintf(prefix, sizeof prefix, "%x:%x:%x:%x::/64", b[0] << 8 | b[1], b[2] << 8 | b[3], b[4] << 8 | b[5],
                b[6] << 8 | b[7]);
  return prefix;
}

void NameBook::load(const std::vector<OwnedName>& names) {
  std::lock_guard lock(mu_);
  for (const auto& n : names) {
    by_key_[n.key] = n;
    ++per_owner_[n.owner];
  }
}

NameBook::Claim NameBook::check(const std::string& folded, const std::string& owner, std::uint64_t now_ms) const {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || lapsed(it->second, now_ms)) return Claim::free;
  return it->second.owner == owner ? Claim::mine : Claim::theirs;
}

NameBook::Claimed NameBook::claim(const std::string& folded, const std::string& name, const Claimant& who,
                                  std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  auto it = by_key_.find(folded);
  if (it != by_key_.end() && it->second.owner == who.key && !lapsed(it->second, now_ms)) {
    it->second.used_ms = now_ms;  // its owner came back: the name is theirs for --name-ttl from now on
    it->second.trial = false;
    return {it->second, Over::none};
  }
  if (it != by_key_.end()) erase(it);  // lapsed
  if (const auto o = over(who, now_ms); o != Over::none) return {std::nullopt, o};
  if (!who.known) {
    auto& w = per_address_[claim_group(who.address)];
    if (now_ms >= w.start_ms + kDayMs) w = Window{now_ms, 0};
    ++w.claims;
  }
  ++per_owner_[who.key];
  const auto& n = by_key_[folded] = OwnedName{folded, name, who.key, now_ms, 0, !who.known};
  return {n, Over::none};
}

// Which bound a new claim by `who` would go over; lapsed names are pruned first.
NameBook::Over NameBook::over(const Claimant& who, std::uint64_t now_ms) {
  const auto check = [&]() {
    if (by_key_.size() >= bounds_.in_all) return Over::in_all;
    if (who.known) return Over::none;
    if (const auto it = per_owner_.find(who.key); it != per_owner_.end() && it->second >= bounds_.per_key) {
      return Over::per_key;
    }
    const auto w = per_address_.find(claim_group(who.address));
    if (w != per_address_.end() && now_ms < w->second.start_ms + kDayMs && w->second.claims >= bounds_.per_address) {
      return Over::per_address;
    }
    return Over::none;
  };
  auto o = check();
  if (o == Over::in_all || o == Over::per_key) {
    if (now_ms < pruned_ms_ + kLazyPruneMs) return o;
    prune_locked(now_ms);
    o = check();
  }
  return o;
}

void NameBook::erase(std::unordered_map<std::string, OwnedName>::iterator it) {
  if (const auto o = per_owner_.find(it->second.owner); o != per_owner_.end() && --o->second == 0) per_owner_.erase(o);
  by_key_.erase(it);
}

std::optional<OwnedName> NameBook::left(const std::string& folded, std::uint64_t now_ms, std::uint64_t seen_hid) {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || lapsed(it->second, now_ms)) return std::nullopt;
  it->second.used_ms = now_ms;
  it->second.seen_hid = std::max(it->second.seen_hid, seen_hid);
  return it->second;
}

std::optional<OwnedName> NameBook::find(const std::string& folded, std::uint64_t now_ms) const {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || lapsed(it->second, now_ms)) return std::nullopt;
  return it->second;
}

bool NameBook::release(const std::string& folded) {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end()) return false;
  erase(it);
  return true;
}

void NameBook::prune(std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  prune_locked(now_ms);
}

void NameBook::prune_locked(std::uint64_t now_ms) {
  pruned_ms_ = now_ms;
  for (auto it = by_key_.begin(); it != by_key_.end();) {
    const auto next = std::next(it);
    if (lapsed(it->second, now_ms)) erase(it);
    it = next;
  }
  for (auto it = per_address_.begin(); it != per_address_.end();) {
    it = now_ms >= it->second.start_ms + kDayMs ? per_address_.erase(it) : std::next(it);
  }
}

std::size_t NameBook::size() const {
  std::lock_guard lock(mu_);
  return by_key_.size();
}

}  // namespace charla::broker
