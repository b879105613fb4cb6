#include "mail_book.hpp"

#include <charla/msg/names.hpp>

#include <algorithm>

namespace charla::broker {

void MailBook::load(const MailCounts& counts) {
  std::lock_guard lock(mu_);
  to_.clear();
  from_.clear();
  for (const auto& [k, n] : counts.to) to_[k] += n;
  for (const auto& [k, n] : counts.from) from_[msg::fold_name(k)] += n;  // the file keeps names as written
  bytes_ = counts.bytes;
}

MailBook::Put MailBook::reserve(const std::string& to, const std::string& from, std::uint64_t cost) {
  std::lock_guard lock(mu_);
  const auto count = [](const auto& m, const std::string& k) {
    const auto it = m.find(k);
    return it == m.end() ? std::uint64_t{0} : it->second;
  };
  if (count(to_, to) >= bounds_.per_recipient) return Put::recipient_full;
  if (count(from_, from) >= bounds_.per_sender) return Put::sender_full;
  if (bytes_ + cost > bounds_.bytes) return Put::all_full;
  ++to_[to];
  ++from_[from];
  bytes_ += cost;
  return Put::ok;
}

void MailBook::take(std::unordered_map<std::string, std::uint64_t>& m, const std::string& k) {
  if (const auto it = m.find(k); it != m.end() && --it->second == 0) m.erase(it);
}

void MailBook::gone(const std::string& to, const std::string& from, std::uint64_t cost) {
  std::lock_guard lock(mu_);
  take(to_, to);
  take(from_, from);
  bytes_ -= std::min(bytes_, cost);
}

std::uint64_t MailBook::waiting_for(const std::string& to) const {
  std::lock_guard lock(mu_);
  const auto it = to_.find(to);
  return it == to_.end() ? 0 : it->second;
}

std::uint64_t MailBook::waiting_from(const std::string& from) const {
  std::lock_guard lock(mu_);
  const auto it = from_.find(from);
  return it == from_.end() ? 0 : it->second;
}

std::uint64_t MailBook::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

}  // namespace charla::broker
