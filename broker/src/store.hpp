// The broker's memory on disk (docs/protocol.md 2.7): the broadcasts it keeps
// (history, searchable), the names that belong to a CURVE key, and the private
// messages that wait for their owner to come back — one SQLite file in WAL mode,
// its schema versioned and migrated on start. Synchronous and single-threaded:
// only the store thread (keeper.cpp) calls it. The reader reads the same file
// through its own connection (lookup.hpp).
#pragma once


#include <charla/msg/protocol.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace charla::broker {

// A name that belongs to a key.
struct OwnedName {
  std::string key;        // folded name
  std::string name;       // as first written
  std::string owner;      // the owner's public key, Z85
  std::uint64_t used_ms;  // last join or leave, ms since the epoch
  std::uint64_t seen_hid; // the newest broadcast when its owner last left (0: unknown)
  bool trial = false;     // claimed by a key not on the allow-list that has not come back since
};

// A private message waiting for a name's owner.
struct WaitingMail {
  std::uint64_t id = 0;
  std::string to;  // folded name
  std::string from;
  std::string text;
  std::uint64_t ts = 0, origin = 0, n = 0;
};

// What waits, counted (mail_book.hpp): per recipient (folded), per sender (as
// written), and its cost in bytes (mail_cost) in all.
struct MailCounts {
  std::vector<std::pair<std::string, std::uint64_t>> to, from;
  std::uint64_t bytes = 0;
};

class Store {
 public:
  static constexpr int kSchemaVersion = 3;

  // Opens (or creates) the database file. Throws std::runtime_error with one readable sentence: a file
  // that is not a charla database, one it cannot write, a newer schema.
  explicit Store(const std::string& path);

  // Writes happen inside a transaction that commit() ends (a batch). A commit
  // that throws has rolled the batch back; so does rollback(). A commit
  // first indexes the words of the broadcasts not indexed yet if they are more
  // than kMostUnindexed or the oldest waited kLongestUnindexed: searches read
  // that tail one by one (lookup.cpp), so it stays short even when never idle.
  void begin();
  void commit();
  void rollback() noexcept;
  // "" while the file at the path is the one opened; else one sentence: it was
  // deleted, moved or replaced (what is written now would not be there after a restart).
  std::string moved() const;
  bool in_transaction() const noexcept { return tx_.has_value(); }
  // The broadcasts added and then committed (or failed), for another thread to wait on.

  // ---- history
  // A broadcast, with its sender's published origin and number (0, 0: not numbered); its hid.
  std::uint64_t add_chat(const std::string& from, const std::string& text, std::uint64_t ts, std::uint64_t origin,
                         std::uint64_t n);
  // Indexes the words of up to `most` broadcasts not indexed yet; true if some
  // are still left. Done when the store is idle, so that a flood of broadcasts is
  // stored at the speed of a plain insert (and at commit, past the bounds above).
  bool index_some(std::uint64_t most);
  std::uint64_t newest_hid();
  // Retention: forget the broadcasts up to hid `last` / older than `before_ms`.
  void forget_chat_up_to(std::uint64_t last);
  void forget_chat_before(std::uint64_t before_ms);

  // ---- the highest number stored per origin (a resend is recognised, 2.6)
  std::unordered_map<std::uint64_t, std::uint64_t> senders();
  void sender_stored(std::uint64_t origin, std::uint64_t last_n, std::uint64_t used_ms);
  void forget_senders_unused_since(std::uint64_t ms);
  void forget_senders_beyond(std::uint64_t most);  // the least recently used beyond `most`

  // ---- names
  std::vector<OwnedName> names();
  void own_name(const OwnedName& n);  // insert or replace; mail that waited for another owner goes
  void touch_name(const std::string& key, std::uint64_t used_ms, std::uint64_t seen_hid);
  bool release_name(const std::string& key);               // false: nobody owned it
  // Ownership lapses: of names unused since `ms`, and of trial ones unused since
  // `trial_ms`; the mail that waited for them goes with them.
  void forget_names_unused_since(std::uint64_t ms, std::uint64_t trial_ms);

  // ---- private messages that wait
  std::uint64_t add_mail(const WaitingMail& m);  // its id
  std::vector<WaitingMail> mail_for(const std::string& to);
  void delete_mail(std::uint64_t id);
  MailCounts mail_counts();
  void forget_mail_older_than(std::uint64_t ms);

 private:
  static constexpr std::uint64_t kForgottenBeforeRebuild = 5000;

  void migrate();
  void tidy_words();
  std::optional<std::pair<std::uint64_t, std::uint64_t>> identity() const;
  void bound_unindexed();

  const std::string path_;
  SQLite::Database db_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> identity_;  // device and inode of the file opened
  std::optional<SQLite::Transaction> tx_;
  std::optional<SQLite::Statement> insert_chat_;
  std::uint64_t indexed_ = 0;    // broadcasts up to this hid are in chat_words
  std::uint64_t forgotten_ = 0;  // broadcasts forgotten since chat_words was last rebuilt
  std::uint64_t unindexed_ = 0;  // broadcasts added and not indexed yet, about
  std::chrono::steady_clock::time_point unindexed_since_{};  // when the oldest of them was added
};

// The broadcasts not indexed yet, at most: this many, or this old, at a commit.
inline constexpr std::uint64_t kMostUnindexed = 1000;
inline constexpr auto kLongestUnindexed = std::chrono::milliseconds(200);


}  // namespace charla::broker
