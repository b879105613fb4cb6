// The broker's memory on disk (docs/protocol.md 2.7): the broadcasts it keeps
// (history, searchable), the names that belong to a CURVE key, and the private
// messages that wait for their owner to come back — one SQLite file in WAL mode,
// its schema versioned and migrated on start. Synchronous and single-threaded:
// only the store thread (keeper.cpp) calls it. The reader reads the same file
// through its own connection (lookup.hpp).
#pragma once

#include "settled.hpp"

#include <charla/msg/protocol.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace charla::broker {

// A name that belongs to a key.
struct OwnedName {
  std::string key;        // folded name
  std::string name;       // as first written
  std::string owner;      // the owner's public key, Z85
  std::uint64_t used_ms;  // last join or leave, ms since the epoch
  std::uint64_t seen_hid; // the newest broadcast when its owner last left (0: unknown)
};

// A private message waiting for a name's owner.
struct WaitingMail {
  std::uint64_t id = 0;
  std::string to;  // folded name
  std::string from;
  std::string text;
  std::uint64_t ts = 0, origin = 0, n = 0;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 1;

  // Opens (or creates) the database file. Throws std::runtime_error with one readable sentence: a file
  // that is not a charla database, one it cannot write, a newer schema.
  explicit Store(const std::string& path);

  // Writes happen inside a transaction that commit() ends (a batch). A commit
  // first indexes the words of the broadcasts not indexed yet if they are more
  // than kMostUnindexed or the oldest waited kLongestUnindexed: searches read
  // that tail one by one (lookup.cpp), so it stays short even when never idle.
  void begin();
  void commit();
  bool in_transaction() const noexcept { return tx_.has_value(); }
  // The broadcasts added and then committed (or failed), for another thread to wait on.
  Settled& settled() noexcept { return settled_; }

  // ---- history
  std::uint64_t add_chat(const std::string& from, const std::string& text, std::uint64_t ts);  // its hid
  // Indexes the words of up to `most` broadcasts not indexed yet; true if some
  // are still left. Done when the store is idle, so that a flood of broadcasts is
  // stored at the speed of a plain insert (and at commit, past the bounds above).
  bool index_some(std::uint64_t most);
  std::uint64_t newest_hid();
  // Retention: forget the broadcasts up to hid `last` / older than `before_ms`.
  void forget_chat_up_to(std::uint64_t last);
  void forget_chat_before(std::uint64_t before_ms);

  // ---- names
  std::vector<OwnedName> names();
  void own_name(const OwnedName& n);                       // insert or replace
  void touch_name(const std::string& key, std::uint64_t used_ms, std::uint64_t seen_hid);
  bool release_name(const std::string& key);               // false: nobody owned it
  void forget_names_unused_since(std::uint64_t ms);        // ownership lapses

  // ---- private messages that wait
  std::uint64_t add_mail(const WaitingMail& m);  // its id
  std::vector<WaitingMail> mail_for(const std::string& to);
  void delete_mail(std::uint64_t id);
  std::vector<std::pair<std::string, std::uint64_t>> mail_counts();  // per folded name
  void forget_mail_older_than(std::uint64_t ms);

 private:
  static constexpr std::uint64_t kForgottenBeforeRebuild = 5000;

  void migrate();
  void tidy_words();
  void bound_unindexed();

  SQLite::Database db_;
  std::optional<SQLite::Transaction> tx_;
  std::optional<SQLite::Statement> insert_chat_;
  std::uint64_t indexed_ = 0;    // broadcasts up to this hid are in chat_words
  std::uint64_t forgotten_ = 0;  // broadcasts forgotten since chat_words was last rebuilt
  std::uint64_t unindexed_ = 0;  // broadcasts added and not indexed yet, about
  std::uint64_t unsettled_ = 0;  // add_chat calls since the last commit
  Settled settled_;
  std::chrono::steady_clock::time_point unindexed_since_{};  // when the oldest of them was added
};

// The broadcasts not indexed yet, at most: this many, or this old, at a commit.
inline constexpr std::uint64_t kMostUnindexed = 1000;
inline constexpr auto kLongestUnindexed = std::chrono::milliseconds(200);


}  // namespace charla::broker
