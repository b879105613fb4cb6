#include "lookup.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>

namespace charla::broker {
namespace {

constexpr std::int64_t kNoneAbove = std::numeric_limits<std::int64_t>::max();

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(std::min<std::uint64_t>(v, kNoneAbove)); }
std::uint64_t u64(const SQLite::Column& c) { return static_cast<std::uint64_t>(c.getInt64()); }

// SQLite calls this every 1000 steps of a statement: non-zero interrupts it.
int past_deadline(void* deadline) {
  return std::chrono::steady_clock::now() > *static_cast<std::chrono::steady_clock::time_point*>(deadline) ? 1 : 0;
}

}  // namespace

// One query's time starts; an interrupted statement becomes TooSlow.
class Lookup::Deadline {
 public:
  explicit Deadline(Lookup& l) : l_(l) { l_.deadline_ = std::chrono::steady_clock::now() + kQueryTime; }
  bool passed() const { return std::chrono::steady_clock::now() > l_.deadline_; }
  template <class F>
  static auto run(Lookup& l, F&& f) {
    Deadline d(l);
    try {
      return f(d);
    } catch (const SQLite::Exception& e) {
      if (e.getErrorCode() == SQLITE_INTERRUPT) throw TooSlow{};
      throw;
    }
  }

 private:
  Lookup& l_;
};

Lookup::Lookup(const std::string& path)
    : db_(path, SQLite::OPEN_READONLY | SQLite::OPEN_FULLMUTEX) {
  sqlite3_progress_handler(db_.getHandle(), 1000, past_deadline, &deadline_);
}

void Lookup::read(SQLite::Statement& q, msg::Chats& out, std::uint64_t limit) {
  while (q.executeStep()) {
    if (out.messages.size() == limit) {  // one more than asked: there are more
      out.more = true;
      return;
    }
    out.messages.push_back(msg::Kept{u64(q.getColumn(0)), q.getColumn(1).getString(), q.getColumn(2).getString(),
                                     u64(q.getColumn(3)), u64(q.getColumn(4)), u64(q.getColumn(5))});
  }
}

msg::Chats Lookup::history(std::uint64_t before, std::uint64_t limit) {
  return Deadline::run(*this, [&](Deadline&) {
    SQLite::Statement q(db_, "SELECT hid, sender, text, ts, origin, n FROM chat WHERE hid < ? ORDER BY hid DESC LIMIT ?");
    q.bind(1, before == 0 ? kNoneAbove : i64(before));
    q.bind(2, i64(limit) + 1);
    msg::Chats out;
    read(q, out, limit);
    std::reverse(out.messages.begin(), out.messages.end());
    return out;
  });
}

msg::Chats Lookup::since(std::uint64_t after, std::uint64_t limit) {
  return Deadline::run(*this, [&](Deadline&) {
    SQLite::Statement q(db_, "SELECT hid, sender, text, ts, origin, n FROM chat WHERE hid > ? ORDER BY hid DESC LIMIT ?");
    q.bind(1, i64(after));
    q.bind(2, i64(limit) + 1);
    msg::Chats out;
    read(q, out, limit);
    std::reverse(out.messages.begin(), out.messages.end());
    return out;
  });
}

std::uint64_t Lookup::indexed_up_to() {
  return static_cast<std::uint64_t>(db_.execAndGet("SELECT up_to FROM indexed").getInt64());
}

msg::Chats Lookup::search(const std::vector<std::string>& words, std::uint64_t limit) {
  return Deadline::run(*this, [&](Deadline& d) {
    SQLite::Transaction snapshot(db_);  // the tail and the index seen at one moment
    const auto up_to = indexed_up_to();
    msg::Chats out;
    // The tail the store thread has not indexed yet (a bounded lag, store.hpp), newest first, tokenized here.
    SQLite::Statement tail(db_, "SELECT hid, sender, text, ts, origin, n FROM chat WHERE hid > ? ORDER BY hid DESC");
    tail.bind(1, i64(up_to));
    while (tail.executeStep()) {
      if (d.passed()) throw TooSlow{};
      auto text = tail.getColumn(2).getString();
      if (!words_.all_start_some(words, text)) continue;
      if (out.messages.size() == limit) {
        out.more = true;
        return out;
      }
      out.messages.push_back(msg::Kept{u64(tail.getColumn(0)), tail.getColumn(1).getString(), std::move(text),
                                       u64(tail.getColumn(3)), u64(tail.getColumn(4)), u64(tail.getColumn(5))});
    }
    SQLite::Statement q(db_,
                        "SELECT chat.hid, chat.sender, chat.text, chat.ts, chat.origin, chat.n FROM chat_words JOIN chat ON chat.hid = "
                        "chat_words.rowid WHERE chat_words MATCH ? AND chat_words.rowid <= ? ORDER BY chat_words.rowid DESC "
                        "LIMIT ?");
    q.bind(1, match_all(words));
    q.bind(2, i64(up_to));
    q.bind(3, i64(limit - out.messages.size()) + 1);
    read(q, out, limit);
    return out;
  });
}

}  // namespace charla::broker
