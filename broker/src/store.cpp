#include "store.hpp"

#include "mail_book.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <stdexcept>

#include <sqlite3.h>
#include <sys/stat.h>

namespace charla::broker {
namespace {

// Each step takes the schema from one version to the next; the index is the version it makes.
const char* const kMigrations[] = {
    nullptr,  // version 0: an empty file
    R"sql(
      CREATE TABLE chat (
        hid  INTEGER PRIMARY KEY AUTOINCREMENT,
        ts   INTEGER NOT NULL,
        sender TEXT NOT NULL,
        text TEXT NOT NULL
      );
      CREATE INDEX chat_ts ON chat(ts);
      -- The words of the kept broadcasts, accents and case ignored ("nandu" finds "Ñandú").
      -- Filled a little behind the broadcasts (index_some), rebuilt now and then as old
      -- broadcasts go; a search joins chat, so that what is gone is never found.
      CREATE VIRTUAL TABLE chat_words USING fts5(
        text, content='chat', content_rowid='hid', tokenize='unicode61 remove_diacritics 2');
      CREATE TABLE indexed (up_to INTEGER NOT NULL);
      INSERT INTO indexed VALUES (0);
      CREATE TABLE owned_name (
        key      TEXT PRIMARY KEY,
        name     TEXT NOT NULL,
        owner    TEXT NOT NULL,
        used_ms  INTEGER NOT NULL,
        seen_hid INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE mail (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        to_key TEXT NOT NULL,
        sender TEXT NOT NULL,
        text   TEXT NOT NULL,
        ts     INTEGER NOT NULL,
        origin INTEGER NOT NULL,
        n      INTEGER NOT NULL
      );
      CREATE INDEX mail_to ON mail(to_key, id);
    )sql",
    R"sql(
      -- A numbered broadcast keeps what identifies it: its sender's published origin
      -- and number (2.6), so that history entries carry them.
      ALTER TABLE chat ADD COLUMN origin INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE chat ADD COLUMN n INTEGER NOT NULL DEFAULT 0;
      -- The highest number stored for each origin: a say sent again, also after a
      -- crash of the broker, is recognised and never stored or published twice.
      CREATE TABLE sender (
        origin  INTEGER PRIMARY KEY,
        last_n  INTEGER NOT NULL,
        used_ms INTEGER NOT NULL
      );
      -- Written at every start: a file that cannot be written is found then, not later.
      CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    )sql",
    // version 3: a name claimed by a key not on the allow-list lapses sooner until
    // its owner comes back to it (--new-name-ttl); the names kept so far keep --name-ttl.
    R"sql(
      ALTER TABLE owned_name ADD COLUMN trial INTEGER NOT NULL DEFAULT 0;
    )sql",
};

std::int64_t i64(std::uint64_t v) { return static_cast<std::int64_t>(v); }
std::uint64_t u64(const SQLite::Column& c) { return static_cast<std::uint64_t>(c.getInt64()); }

}  // namespace

Store::Store(const std::string& path) try
    : path_(path), db_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {
  // SQLite opens a file it may not write read-only, without a word: every later write would fail.
  if (sqlite3_db_readonly(db_.getHandle(), "main") == 1) {
    throw std::runtime_error("no se puede escribir en la base de datos " + path +
                             " (permisos): dale permiso de escritura al usuario del broker, u otra --db");
  }
  db_.exec("PRAGMA journal_mode=WAL");
  // NORMAL: a commit survives the broker's crash (kill -9), not always a power cut (2.7).
  db_.exec("PRAGMA synchronous=NORMAL");
  db_.exec("PRAGMA foreign_keys=ON");
  migrate();
  {
    SQLite::Transaction t(db_);
    SQLite::Statement q(db_, "INSERT OR REPLACE INTO meta(key, value) VALUES ('opened_ms', ?)");
    q.bind(1, static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                            std::chrono::system_clock::now().time_since_epoch())
                                            .count()));
    q.exec();
    t.commit();
  }
  insert_chat_.emplace(db_, "INSERT INTO chat(ts, sender, text, origin, n) VALUES (?, ?, ?, ?, ?)");
  indexed_ = static_cast<std::uint64_t>(db_.execAndGet("SELECT up_to FROM indexed").getInt64());
  identity_ = identity();
} catch (const SQLite::Exception& e) {
  throw std::runtime_error("no se puede usar la base de datos " + path + ": " + e.what());
}

// The file's device and inode, or none (":memory:", or no file at the path).
std::optional<std::pair<std::uint64_t, std::uint64_t>> Store::identity() const {
  if (path_ == ":memory:" || path_.rfind("file:", 0) == 0) return std::nullopt;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return std::nullopt;
  return std::pair<std::uint64_t, std::uint64_t>{st.st_dev, st.st_ino};
}

std::string Store::moved() const {
  if (!identity_) return {};
  const auto now = identity();
  if (!now) return "la base de datos " + path_ + " ya no existe (¿borrada o movida?)";
  if (*now != *identity_) return "la base de datos " + path_ + " fue sustituida por otro archivo";
  return {};
}

void Store::migrate() {
  const int have = db_.execAndGet("PRAGMA user_version").getInt();
  constexpr int want = static_cast<int>(std::size(kMigrations)) - 1;
  static_assert(want == kSchemaVersion);
  if (have > want) {
    throw std::runtime_error("la base de datos es de una versión más nueva de charla (esquema " +
                             std::to_string(have) + "; esta entiende hasta el " + std::to_string(want) + ")");
  }
  for (int v = have + 1; v <= want; ++v) {
    SQLite::Transaction t(db_);
    db_.exec(kMigrations[v]);
    db_.exec("PRAGMA user_version = " + std::to_string(v));
    t.commit();
  }
}

void Store::begin() {
  if (!tx_) tx_.emplace(db_);
}

void Store::commit() {
  if (!tx_) return;
  bound_unindexed();
  try {
    tx_->commit();
  } catch (...) {
    tx_.reset();  // rolled back: nothing of the batch is in the file
    throw;
  }
  tx_.reset();
}

void Store::rollback() noexcept { tx_.reset(); }  // SQLite::Transaction rolls back when it ends uncommitted

std::uint64_t Store::add_chat(const std::string& from, const std::string& text, std::uint64_t ts,
                              std::uint64_t origin, std::uint64_t n) {
  auto& q = *insert_chat_;
  q.reset();
  q.bind(1, i64(ts));
  q.bind(2, from);
  q.bind(3, text);
  q.bind(4, i64(origin));
  q.bind(5, i64(n));
  q.exec();
  if (unindexed_++ == 0) unindexed_since_ = std::chrono::steady_clock::now();
  return static_cast<std::uint64_t>(db_.getLastInsertRowid());
}

std::unordered_map<std::uint64_t, std::uint64_t> Store::senders() {
  std::unordered_map<std::uint64_t, std::uint64_t> out;
  SQLite::Statement q(db_, "SELECT origin, last_n FROM sender");
  while (q.executeStep()) out.emplace(u64(q.getColumn(0)), u64(q.getColumn(1)));
  return out;
}

void Store::sender_stored(std::uint64_t origin, std::uint64_t last_n, std::uint64_t used_ms) {
  SQLite::Statement q(db_,
                      "INSERT INTO sender(origin, last_n, used_ms) VALUES (?, ?, ?) ON CONFLICT(origin) DO UPDATE "
                      "SET last_n = MAX(last_n, excluded.last_n), used_ms = excluded.used_ms");
  q.bind(1, i64(origin));
  q.bind(2, i64(last_n));
  q.bind(3, i64(used_ms));
  q.exec();
}

void Store::forget_senders_beyond(std::uint64_t most) {
  SQLite::Statement q(db_,
                      "DELETE FROM sender WHERE origin IN (SELECT origin FROM sender ORDER BY used_ms DESC LIMIT -1 "
                      "OFFSET ?)");
  q.bind(1, i64(most));
  q.exec();
}

void Store::forget_senders_unused_since(std::uint64_t ms) {
  SQLite::Statement q(db_, "DELETE FROM sender WHERE used_ms < ?");
  q.bind(1, i64(ms));
  q.exec();
}

void Store::bound_unindexed() {
  if (unindexed_ == 0) return;
  if (unindexed_ <= kMostUnindexed && std::chrono::steady_clock::now() - unindexed_since_ < kLongestUnindexed) return;
  index_some(UINT64_MAX);
}

bool Store::index_some(std::uint64_t most) {
  const auto newest = newest_hid();
  if (indexed_ >= newest) return false;
  const auto up_to = newest - indexed_ <= most ? newest : indexed_ + most;  // no overflow for any `most`
  SQLite::Statement q(db_, "INSERT INTO chat_words(rowid, text) SELECT hid, text FROM chat WHERE hid > ? AND hid <= ?");
  q.bind(1, i64(indexed_));
  q.bind(2, i64(up_to));
  q.exec();
  SQLite::Statement mark(db_, "UPDATE indexed SET up_to = ?");
  mark.bind(1, i64(up_to));
  mark.exec();
  indexed_ = up_to;
  if (indexed_ >= newest) unindexed_ = 0;
  return indexed_ < newest;
}

std::uint64_t Store::newest_hid() {
  return static_cast<std::uint64_t>(db_.execAndGet("SELECT IFNULL(MAX(hid), 0) FROM chat").getInt64());
}

void Store::forget_chat_up_to(std::uint64_t last) {
  SQLite::Statement q(db_, "DELETE FROM chat WHERE hid <= ?");
  q.bind(1, i64(last));
  forgotten_ += static_cast<std::uint64_t>(q.exec());
  tidy_words();
}

void Store::forget_chat_before(std::uint64_t before_ms) {
  SQLite::Statement q(db_, "DELETE FROM chat WHERE ts < ?");
  q.bind(1, i64(before_ms));
  forgotten_ += static_cast<std::uint64_t>(q.exec());
  tidy_words();
}

// The words of forgotten broadcasts stay in the index (a search never finds them:
// it joins chat) until there are as many of them as kForgottenBeforeRebuild.
void Store::tidy_words() {
  if (forgotten_ < kForgottenBeforeRebuild) return;
  db_.exec("INSERT INTO chat_words(chat_words) VALUES ('rebuild')");
  SQLite::Statement mark(db_, "UPDATE indexed SET up_to = (SELECT IFNULL(MAX(hid), 0) FROM chat)");
  mark.exec();
  indexed_ = newest_hid();
  unindexed_ = 0;
  forgotten_ = 0;
}

std::vector<OwnedName> Store::names() {
  std::vector<OwnedName> out;
  SQLite::Statement q(db_, "SELECT key, name, owner, used_ms, seen_hid, trial FROM owned_name");
  while (q.executeStep()) {
    out.push_back(OwnedName{q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                            u64(q.getColumn(3)), u64(q.getColumn(4)), q.getColumn(5).getInt() != 0});
  }
  return out;
}

void Store::own_name(const OwnedName& n) {
  // A name that lapsed and is someone else's now: what waited for its last owner is not for them.
  SQLite::Statement gone(db_, "DELETE FROM mail WHERE to_key = ? AND to_key NOT IN "
                              "(SELECT key FROM owned_name WHERE key = ? AND owner = ?)");
  gone.bind(1, n.key);
  gone.bind(2, n.key);
  gone.bind(3, n.owner);
  gone.exec();
  SQLite::Statement q(db_, "INSERT OR REPLACE INTO owned_name(key, name, owner, used_ms, seen_hid, trial) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, n.key);
  q.bind(2, n.name);
  q.bind(3, n.owner);
  q.bind(4, i64(n.used_ms));
  q.bind(5, i64(n.seen_hid));
  q.bind(6, n.trial ? 1 : 0);
  q.exec();
}

void Store::touch_name(const std::string& key, std::uint64_t used_ms, std::uint64_t seen_hid) {
  SQLite::Statement q(db_, "UPDATE owned_name SET used_ms = ?, seen_hid = MAX(seen_hid, ?) WHERE key = ?");
  q.bind(1, i64(used_ms));
  q.bind(2, i64(seen_hid));
  q.bind(3, key);
  q.exec();
}

bool Store::release_name(const std::string& key) {
  SQLite::Statement q(db_, "DELETE FROM owned_name WHERE key = ?");
  q.bind(1, key);
  return q.exec() > 0;
}

void Store::forget_names_unused_since(std::uint64_t ms, std::uint64_t trial_ms) {
  SQLite::Statement q(db_, "DELETE FROM owned_name WHERE used_ms < ? OR (trial != 0 AND used_ms < ?)");
  q.bind(1, i64(ms));
  q.bind(2, i64(trial_ms));
  q.exec();
  db_.exec("DELETE FROM mail WHERE to_key NOT IN (SELECT key FROM owned_name)");
}

std::uint64_t Store::add_mail(const WaitingMail& m) {
  SQLite::Statement q(db_, "INSERT INTO mail(to_key, sender, text, ts, origin, n) VALUES (?, ?, ?, ?, ?, ?)");
  q.bind(1, m.to);
  q.bind(2, m.from);
  q.bind(3, m.text);
  q.bind(4, i64(m.ts));
  q.bind(5, i64(m.origin));
  q.bind(6, i64(m.n));
  q.exec();
  return static_cast<std::uint64_t>(db_.getLastInsertRowid());
}

std::vector<WaitingMail> Store::mail_for(const std::string& to) {
  std::vector<WaitingMail> out;
  SQLite::Statement q(db_, "SELECT id, sender, text, ts, origin, n FROM mail WHERE to_key = ? ORDER BY id");
  q.bind(1, to);
  while (q.executeStep()) {
    out.push_back(WaitingMail{u64(q.getColumn(0)), to, q.getColumn(1).getString(), q.getColumn(2).getString(),
                              u64(q.getColumn(3)), u64(q.getColumn(4)), u64(q.getColumn(5))});
  }
  return out;
}

void Store::delete_mail(std::uint64_t id) {
  SQLite::Statement q(db_, "DELETE FROM mail WHERE id = ?");
  q.bind(1, i64(id));
  q.exec();
}

MailCounts Store::mail_counts() {
  MailCounts out;
  SQLite::Statement to(db_, "SELECT to_key, COUNT(*) FROM mail GROUP BY to_key");
  while (to.executeStep()) out.to.emplace_back(to.getColumn(0).getString(), u64(to.getColumn(1)));
  SQLite::Statement from(db_, "SELECT sender, COUNT(*) FROM mail GROUP BY sender");
  while (from.executeStep()) out.from.emplace_back(from.getColumn(0).getString(), u64(from.getColumn(1)));
  // mail_cost, summed: LENGTH of a blob counts bytes, of a text characters.
  SQLite::Statement bytes(
      db_, "SELECT IFNULL(SUM(LENGTH(CAST(text AS BLOB)) + LENGTH(CAST(sender AS BLOB)) + ?), 0) FROM mail");
  bytes.bind(1, i64(kMailRowBytes));
  if (bytes.executeStep()) out.bytes = u64(bytes.getColumn(0));
  return out;
}

void Store::forget_mail_older_than(std::uint64_t ms) {
  SQLite::Statement q(db_, "DELETE FROM mail WHERE ts < ?");
  q.bind(1, i64(ms));
  q.exec();
}

}  // namespace charla::broker
