// The file's side of the bounds on what strangers keep (docs/security.md), white-box
// (broker/src/store.hpp): names that lapse sooner, the mail that goes with a name,
// the counts rebuilt at start, and an older file migrated without losing its names.
#include "mail_book.hpp"
#include "store.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <stdlib.h>
#include <string>

using charla::broker::OwnedName;
using charla::broker::Store;
using charla::broker::WaitingMail;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/charla-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  fs::path path;
};

bool has_name(Store& s, const std::string& key) {
  for (const auto& n : s.names()) {
    if (n.key == key) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a trial name lapses at the short cut, the others at the long one, and their mail goes with them",
          "[names][mail][bounds]") {
  Store s(":memory:");
  s.begin();
  s.own_name(OwnedName{"ana", "Ana", "K1", 1000, 0, true});
  s.own_name(OwnedName{"ben", "Ben", "K2", 1000, 0, false});
  s.add_mail(WaitingMail{0, "ana", "cy", "hola", 1000, 0, 1});
  s.add_mail(WaitingMail{0, "ben", "cy", "hola", 1000, 0, 2});
  s.forget_names_unused_since(500, 1001);  // 1000 is before the trial cut, after the long one
  s.commit();
  CHECK_FALSE(has_name(s, "ana"));
  CHECK(has_name(s, "ben"));
  CHECK(s.mail_for("ana").empty());
  CHECK(s.mail_for("ben").size() == 1);
}

TEST_CASE("a lapsed name taken by another key does not get the mail that waited for the last owner",
          "[names][mail][bounds]") {
  Store s(":memory:");
  s.begin();
  s.own_name(OwnedName{"ana", "Ana", "K1", 1000, 0, true});
  s.add_mail(WaitingMail{0, "ana", "cy", "para K1", 1000, 0, 1});
  s.own_name(OwnedName{"ana", "Ana", "K1", 2000, 0, false});  // its owner again: the mail stays
  CHECK(s.mail_for("ana").size() == 1);
  s.own_name(OwnedName{"ana", "ana", "K2", 3000, 0, true});  // somebody else: it goes
  s.commit();
  CHECK(s.mail_for("ana").empty());
}

TEST_CASE("the counts of waiting mail are what the file holds, in bytes as mail_cost counts them",
          "[mail][bounds]") {
  Store s(":memory:");
  s.begin();
  s.own_name(OwnedName{"ana", "Ana", "K1", 1000, 0, false});
  s.add_mail(WaitingMail{0, "ana", "Cy", "ñandú", 1000, 0, 1});  // 7 bytes of UTF-8, 5 characters
  s.add_mail(WaitingMail{0, "ana", "cy", "x", 1000, 0, 2});
  s.commit();
  const auto c = s.mail_counts();
  CHECK(c.bytes == charla::broker::mail_cost(7, 2) + charla::broker::mail_cost(1, 2));
  REQUIRE(c.to.size() == 1);
  CHECK(c.to[0].second == 2);
  CHECK(c.from.size() == 2);  // as written; MailBook folds them
}

TEST_CASE("a file of schema 1 is migrated and its names keep --name-ttl", "[names][bounds]") {
  TempDir dir;
  const auto path = (dir.path / "charla.db").string();
  {
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(R"sql(
      CREATE TABLE chat (hid INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, sender TEXT NOT NULL,
                         text TEXT NOT NULL);
      CREATE INDEX chat_ts ON chat(ts);
      CREATE VIRTUAL TABLE chat_words USING fts5(
        text, content='chat', content_rowid='hid', tokenize='unicode61 remove_diacritics 2');
      CREATE TABLE indexed (up_to INTEGER NOT NULL);
      INSERT INTO indexed VALUES (0);
      CREATE TABLE owned_name (key TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL,
                               used_ms INTEGER NOT NULL, seen_hid INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE mail (id INTEGER PRIMARY KEY AUTOINCREMENT, to_key TEXT NOT NULL, sender TEXT NOT NULL,
                         text TEXT NOT NULL, ts INTEGER NOT NULL, origin INTEGER NOT NULL, n INTEGER NOT NULL);
      CREATE INDEX mail_to ON mail(to_key, id);
      INSERT INTO owned_name VALUES ('ana', 'Ana', 'K1', 1000, 7);
      PRAGMA user_version = 1;
    )sql");
  }
  Store s(path);
  const auto names = s.names();
  REQUIRE(names.size() == 1);
  CHECK_FALSE(names[0].trial);
  CHECK(names[0].seen_hid == 7);
  s.begin();
  s.forget_names_unused_since(500, 1001);
  s.commit();
  CHECK(has_name(s, "ana"));
}
