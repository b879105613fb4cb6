// The reader's view of the memory (docs/protocol.md 2.7): its own read-only
// connection to the store's database, for history and search. Every query has
// a time bound; one that runs past it throws Lookup::TooSlow.
#pragma once

#include "words.hpp"

#include <charla/msg/protocol.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace charla::broker {

inline constexpr std::uint64_t kMaxPage = 200;    // messages in one history or search answer
inline constexpr std::uint64_t kMaxMissed = 500;  // what an owner missed while away, at most
inline constexpr auto kQueryTime = std::chrono::milliseconds(250);  // one query's time, at most

class Lookup {
 public:
  struct TooSlow {};

  // The file the Store opened (in WAL mode: reading never waits for the store thread, nor it for reading).
  explicit Lookup(const std::string& path);

  // The newest `limit` (1..kMaxPage) broadcasts with hid below `before` (0 or ≥ 2^63: below none), oldest first.
  msg::Chats history(std::uint64_t before, std::uint64_t limit);
  // The broadcasts after `after`, at most `limit` (the newest of them), oldest first.
  msg::Chats since(std::uint64_t after, std::uint64_t limit);
  // Broadcasts holding a token starting with each of `words`, newest first, at most `limit`:
  // from the index up to where it is filled, and the newest ones, not indexed yet, read here.
  msg::Chats search(const std::vector<std::string>& words, std::uint64_t limit);

 private:
  class Deadline;
  void read(SQLite::Statement& q, msg::Chats& out, std::uint64_t limit);
  std::uint64_t indexed_up_to();

  SQLite::Database db_;
  Words words_;
  std::chrono::steady_clock::time_point deadline_{};
};

}  // namespace charla::broker
