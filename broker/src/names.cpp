#include "names.hpp"

namespace charla::broker {

void NameBook::load(const std::vector<OwnedName>& names, const std::vector<std::pair<std::string, std::uint64_t>>& mail) {
  std::lock_guard lock(mu_);
  for (const auto& n : names) by_key_[n.key].name = n;
  for (const auto& [key, count] : mail) {
    if (auto it = by_key_.find(key); it != by_key_.end()) it->second.waiting = count;
  }
}

void NameBook::reset_mail(const std::vector<std::pair<std::string, std::uint64_t>>& mail) {
  std::lock_guard lock(mu_);
  for (auto& [key, e] : by_key_) e.waiting = 0;
  for (const auto& [key, count] : mail) {
    if (auto it = by_key_.find(key); it != by_key_.end()) it->second.waiting = count;
  }
}

NameBook::Claim NameBook::check(const std::string& folded, const std::string& owner, std::uint64_t now_ms) const {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || lapsed(it->second, now_ms)) return Claim::free;
  return it->second.name.owner == owner ? Claim::mine : Claim::theirs;
}

OwnedName NameBook::claim(const std::string& folded, const std::string& name, const std::string& owner,
                          std::uint64_t now_ms) {
  std::lock_guard lock(mu_);
  auto& e = by_key_[folded];
  if (e.name.owner != owner) e = Entry{OwnedName{folded, name, owner, now_ms, 0}, 0};  // new, or lapsed
  e.name.used_ms = now_ms;
  return e.name;
}

std::optional<OwnedName> NameBook::left(const std::string& folded, std::uint64_t now_ms, std::uint64_t seen_hid) {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end()) return std::nullopt;
  it->second.name.used_ms = now_ms;
  it->second.name.seen_hid = std::max(it->second.name.seen_hid, seen_hid);
  return it->second.name;
}

std::optional<OwnedName> NameBook::find(const std::string& folded, std::uint64_t now_ms) const {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || lapsed(it->second, now_ms)) return std::nullopt;
  return it->second.name;
}

bool NameBook::release(const std::string& folded) {
  std::lock_guard lock(mu_);
  return by_key_.erase(folded) != 0;
}

bool NameBook::reserve_mail(const std::string& folded, std::uint64_t limit) {
  std::lock_guard lock(mu_);
  const auto it = by_key_.find(folded);
  if (it == by_key_.end() || it->second.waiting >= limit) return false;
  ++it->second.waiting;
  return true;
}

void NameBook::mail_gone(const std::string& folded) {
  std::lock_guard lock(mu_);
  if (auto it = by_key_.find(folded); it != by_key_.end() && it->second.waiting > 0) --it->second.waiting;
}

}  // namespace charla::broker
