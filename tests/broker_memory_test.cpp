// The broker's memory (docs/protocol.md 2.7), with real brokers on temporary
// SQLite files: history on joining and after a restart, paging, retention,
// search without accents, and what a bad database file does.
#include "support/broker_setup.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace msg = charla::msg;
namespace fs = std::filesystem;
using namespace charla::test;

namespace {

struct TempDb {
  TempDb() {
    char tmpl[] = "/tmp/charla-db-XXXXXX";
    dir = ::mkdtemp(tmpl);
  }
  ~TempDb() { fs::remove_all(dir); }
  std::string path() const { return (dir / "charla.db").string(); }
  fs::path dir;
};

charla::broker::Config on_file(const std::string& path) {
  auto cfg = fast_config();
  cfg.db = path;
  return cfg;
}

std::vector<std::string> texts(const msg::Chats& c) {
  std::vector<std::string> out;
  for (const auto& k : c.messages) out.push_back(k.from + ": " + k.text);
  return out;
}

// Says each text and waits until it has been published (and so handed to the store).
void say_all(TestClient& c, const std::vector<std::string>& lines) {
  for (const auto& l : lines) c.send(msg::Say{l});
  for (const auto& l : lines) REQUIRE(c.next_pub<msg::Chat>([&](const msg::Chat& ch) { return ch.text == l; }));
}

}  // namespace

TEST_CASE("a client that joins late is given what was said before, oldest first", "[broker][memory]") {
  BrokerSetup s;  // --db :memory: keeps it as long as the broker runs
  auto ana = s.join("ana");
  say_all(ana, {"uno", "dos", "tres"});
  auto ben = s.join("ben");
  ben.send(msg::History{}, 9);
  const auto h = ben.expect<msg::Chats>();
  CHECK(ben.last_id() == 9);
  CHECK(texts(h) == std::vector<std::string>{"ana: uno", "ana: dos", "ana: tres"});
  CHECK_FALSE(h.more);
  CHECK(h.messages[0].hid < h.messages[2].hid);
}

TEST_CASE("the history survives a restart of the broker", "[broker][memory]") {
  TempDb db;
  {
    BrokerSetup s(on_file(db.path()));
    auto ana = s.join("ana");
    say_all(ana, {"antes del reinicio"});
    ana.send(msg::History{}, 1);  // answered once everything before it is stored
    REQUIRE(ana.expect<msg::Chats>().messages.size() == 1);
  }
  BrokerSetup again(on_file(db.path()));
  auto ben = again.join("ben");
  ben.send(msg::History{}, 2);
  CHECK(texts(ben.expect<msg::Chats>()) == std::vector<std::string>{"ana: antes del reinicio"});
}

TEST_CASE("history pages back from the oldest shown", "[broker][memory]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  std::vector<std::string> lines;
  for (int i = 1; i <= 7; ++i) lines.push_back("m" + std::to_string(i));
  say_all(ana, lines);
  ana.send(msg::History{0, 3}, 1);
  const auto last = ana.expect<msg::Chats>();
  CHECK(texts(last) == std::vector<std::string>{"ana: m5", "ana: m6", "ana: m7"});
  CHECK(last.more);
  ana.send(msg::History{last.messages.front().hid, 3}, 2);
  CHECK(texts(ana.expect<msg::Chats>()) == std::vector<std::string>{"ana: m2", "ana: m3", "ana: m4"});
  ana.send(msg::History{2, 3}, 3);  // before the second: only the first, and no more
  const auto first = ana.expect<msg::Chats>();
  CHECK(texts(first) == std::vector<std::string>{"ana: m1"});
  CHECK_FALSE(first.more);
}

TEST_CASE("the history keeps the newest broadcasts only, as many as told", "[broker][memory]") {
  auto cfg = fast_config();
  cfg.history_keep = 5;
  BrokerSetup s(cfg);
  auto ana = s.join("ana");
  std::vector<std::string> lines;
  for (int i = 1; i <= 20; ++i) lines.push_back("m" + std::to_string(i));
  say_all(ana, lines);
  ana.send(msg::History{0, 100}, 1);
  CHECK(texts(ana.expect<msg::Chats>()) == std::vector<std::string>{"ana: m16", "ana: m17", "ana: m18", "ana: m19", "ana: m20"});
}

TEST_CASE("search finds words whatever their accents and case", "[broker][memory][search]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_all(ana, {"vimos un ÑANDÚ en el campo", "el avestruz no es un ñandú", "nada que ver", "Canción de cuna"});
  ana.send(msg::Search{"nandu"}, 1);
  CHECK(texts(ana.expect<msg::Chats>()) ==
        std::vector<std::string>{"ana: el avestruz no es un ñandú", "ana: vimos un ÑANDÚ en el campo"});  // newest first
  ana.send(msg::Search{"cancion cuna"}, 2);  // every word must be there
  CHECK(texts(ana.expect<msg::Chats>()) == std::vector<std::string>{"ana: Canción de cuna"});
  ana.send(msg::Search{"cancion \"avestruz"}, 3);  // quotes are no operators: no match, no error
  CHECK(ana.expect<msg::Chats>().messages.empty());
  ana.send(msg::Search{"  "}, 4);
  CHECK(ana.expect<msg::Error>().code == msg::ErrorCode::bad_field);
}

TEST_CASE("a monitor, which does not join, may read the history too", "[broker][memory]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  say_all(ana, {"hola"});
  auto mon = s.watch();
  mon.send(msg::History{}, 1);
  CHECK(texts(mon.expect<msg::Chats>()) == std::vector<std::string>{"ana: hola"});
}
