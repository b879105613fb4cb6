// The private messages that wait for an owner who is away (docs/protocol.md 2.7),
// counted so that a whisper is refused at once, without asking the disk, when it
// would go over a bound: per recipient (--mail-keep), per sender
// (--mail-per-sender) and in all (--mail-max-mb, in bytes as counted by
// mail_cost). The store thread (keeper.cpp) loads the counts at start and sets
// them again from the file after each prune.
#pragma once

#include "store.hpp"

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace charla::broker {

struct MailBounds {
  std::uint64_t per_recipient = 0;  // messages waiting for one name
  std::uint64_t per_sender = 0;     // messages one sender (by name) has waiting for others
  std::uint64_t bytes = 0;          // mail_cost of everything waiting
};

// What one waiting message counts for against MailBounds::bytes: its text and
// sender's name, and a fixed share for its row and index in the file.
inline constexpr std::uint64_t kMailRowBytes = 64;
inline std::uint64_t mail_cost(std::uint64_t text_bytes, std::uint64_t sender_bytes) {
  return text_bytes + sender_bytes + kMailRowBytes;
}

class MailBook {
 public:
  explicit MailBook(MailBounds bounds) : bounds_(bounds) {}

  // Everything waiting, as the file holds it (folded names).
  void load(const MailCounts& counts);

  enum class Put { ok, recipient_full, sender_full, all_full };
  // Takes a place for a message from `from` to `to` (both folded) of `cost` bytes.
  Put reserve(const std::string& to, const std::string& from, std::uint64_t cost);
  // A message that waited was delivered and confirmed (or could not be stored).
  void gone(const std::string& to, const std::string& from, std::uint64_t cost);

  std::uint64_t waiting_for(const std::string& to) const;
  std::uint64_t waiting_from(const std::string& from) const;
  std::uint64_t bytes() const;

 private:
  static void take(std::unordered_map<std::string, std::uint64_t>& m, const std::string& k);

  const MailBounds bounds_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::uint64_t> to_, from_;
  std::uint64_t bytes_ = 0;
};

}  // namespace charla::broker
