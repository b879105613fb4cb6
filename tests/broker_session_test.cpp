// Sessions: hello and welcome, names, who and info, the monitor's watch, and
// the broker's goodbye. A real broker over TCP on 127.0.0.1; real clients.
#include "support/broker_setup.hpp"
#include "support/printing.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>

namespace msg = charla::msg;
using namespace charla::test;
using msg::ErrorCode;

namespace {

auto event_about(msg::PresenceEvent e, const std::string& user) {
  return [e, user](const msg::Presence& p) { return p.event == e && p.user == user; };
}

}  // namespace

TEST_CASE("a hello is answered with a welcome that describes the broker", "[broker][session]") {
  BrokerSetup s;
  auto c = s.connect();
  const auto w = c.hello("Begoña", 11);
  CHECK(c.last_id() == 11);
  CHECK(w.name == "Begoña");
  CHECK(w.pub_port == s.broker.pub_port());
  CHECK(w.pub_port != s.broker.port());
  const auto& cfg = s.broker.config();
  CHECK(w.heartbeat_ms == cfg.heartbeat_ms);
  CHECK(w.expiry_ms == cfg.expiry_ms);
  CHECK(w.idle_timeout_s == cfg.idle_timeout_s);
  CHECK(w.max_text == cfg.max_text);
  CHECK(w.instance != 0);
  CHECK(w.server.rfind("charla-broker", 0) == 0);
  c.subscribe(w.pub_port);  // the port in the welcome is the broker's PUB: its beats arrive
}

TEST_CASE("a monitor's watch is answered with a welcome without a name", "[broker][session]") {
  BrokerSetup s;
  auto mon = s.connect();
  mon.send(msg::Watch{}, 3);
  const auto w = mon.expect<msg::Welcome>();
  CHECK(mon.last_id() == 3);
  CHECK(w.name.empty());
  CHECK(w.pub_port == s.broker.pub_port());
  auto ana = s.connect();
  const auto wa = ana.hello("ana");
  CHECK(w.instance == wa.instance);
  // A joined client may watch too: the welcome still has no name, the session stays.
  ana.send(msg::Watch{});
  CHECK(ana.expect<msg::Welcome>().name.empty());
  // A watch is no session: the monitor is not in the list.
  mon.send(msg::Who{});
  const auto users = mon.expect<msg::Users>();
  REQUIRE(users.users.size() == 1);
  CHECK(users.users[0].name == "ana");
}

TEST_CASE("who lists everyone online with their status and address", "[broker][session]") {
  BrokerSetup s;
  const auto before = wall_ms();
  auto ana = s.join("ana");
  auto ben = s.join("ben");
  auto eva = s.join("Eva");
  ben.send(msg::SetStatus{msg::Status::ocupado});
  ben.expect<msg::Ok>();
  ana.send(msg::Who{}, 4);
  const auto users = ana.expect<msg::Users>();
  CHECK(ana.last_id() == 4);
  CHECK(users.pseq == 4);  // three joins and one status change
  std::map<std::string, msg::Status> listed;
  for (const auto& u : users.users) {
    INFO(u.name);
    listed[u.name] = u.status;
    CHECK(u.ip == "127.0.0.1");
    CHECK(u.since >= before);
    CHECK(u.since <= wall_ms());
    CHECK(u.idle_s <= 1);
  }
  const std::map<std::string, msg::Status> expected{
      {"ana", msg::Status::activo}, {"ben", msg::Status::ocupado}, {"Eva", msg::Status::activo}};
  CHECK(listed == expected);
  CHECK(users.users.size() == 3);
}

TEST_CASE("info describes one user", "[broker][session]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto ben = s.join("Ben");
  ben.send(msg::SetStatus{msg::Status::ocupado});
  ben.expect<msg::Ok>();
  ana.send(msg::Info{"ben"}, 8);  // any case finds the user
  const auto info = ana.expect<msg::UserInfo>();
  CHECK(ana.last_id() == 8);
  CHECK(info.name == "Ben");
  CHECK(info.ip == "127.0.0.1");
  CHECK(info.status == msg::Status::ocupado);
  CHECK(info.connected_s <= 1);
  CHECK(info.idle_s <= 1);
}

TEST_CASE("info on someone not online is answered no_such_user", "[broker][session]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  ana.send(msg::Info{"nadie"}, 9);
  const auto e = ana.expect<msg::Error>();
  CHECK(e.code == ErrorCode::no_such_user);
  CHECK(e.re == "info");
  CHECK(ana.last_id() == 9);
}

TEST_CASE("a name already online is refused in any case", "[broker][session]") {
  BrokerSetup s;
  auto mon = s.watch();
  auto ana = s.join("ana");
  auto jose = s.join("José");
  REQUIRE(mon.next_pub<msg::Presence>(event_about(msg::PresenceEvent::join, "José")));
  auto other = s.connect();
  for (const std::string taken : {"ana", "ANA", "Ana", "JOSÉ", "josé"}) {
    INFO(taken);
    other.send(msg::Hello{taken}, 2);
    const auto e = other.expect<msg::Error>();
    CHECK(e.code == ErrorCode::name_taken);
    CHECK(e.re == "hello");
    CHECK(other.last_id() == 2);
  }
  CHECK(mon.pub_quiet(any_presence));  // a refused hello joins no one
  // The refused connection may still join under a free name.
  CHECK(other.hello("ana2").name == "ana2");
}

TEST_CASE("an invalid name is refused and the connection may try again", "[broker][session]") {
  BrokerSetup s;
  auto c = s.connect();
  for (const std::string bad : {"", "_ana", "ana maría", "abcdefghijklmnopqrstuvwxy", "ana@casa", "ana\x01",
                                "😀", ".", "ana\xc2\x9b"}) {
    INFO("name '" << bad << "'");
    c.send(msg::Hello{bad});
    const auto e = c.expect<msg::Error>();
    CHECK(e.code == ErrorCode::name_invalid);
    CHECK(e.re == "hello");
    CHECK_FALSE(e.text.empty());
  }
  CHECK(c.hello("ana").name == "ana");
}

TEST_CASE("a name is free again after its owner says bye", "[broker][session]") {
  BrokerSetup s;
  auto ana = s.connect();
  ana.hello("ana");
  ana.send(msg::Bye{});
  CHECK(ana.expect<msg::Ok>().re == "bye");
  auto other = s.connect();
  CHECK(other.hello("ANA").name == "ANA");
  // and the connection that left may join again, under a name still free
  CHECK(ana.hello("ana.bis").name == "ana.bis");
}

TEST_CASE("a vanished user's name stays taken until the user is announced lost", "[broker][session]") {
  auto cfg = fast_config();
  cfg.expiry_ms = 1500 * kSlowdown;  // room for the refused hello before the expiry, even on a slow build
  BrokerSetup s(cfg);
  auto mon = s.watch();
  auto ana = s.join("ana");
  ana.close();
  auto other = s.connect();
  other.send(msg::Hello{"ana"});
  CHECK(other.expect<msg::Error>().code == ErrorCode::name_taken);
  REQUIRE(mon.next_pub<msg::Presence>(event_about(msg::PresenceEvent::lost, "ana")));
  CHECK(other.hello("ana").name == "ana");
}

TEST_CASE("a sync is answered with a beat at once, not at the next heartbeat", "[broker][session]") {
  auto cfg = fast_config();
  cfg.heartbeat_ms = 10000;  // a periodic beat cannot be mistaken for the answer
  cfg.expiry_ms = 30000;
  BrokerSetup s(cfg);
  auto ana = s.join("ana");  // subscribing relies on sync already
  const auto asked = std::chrono::steady_clock::now();
  ana.send(msg::Sync{});
  const auto beat = ana.next_pub<msg::Beat>();
  REQUIRE(beat);
  CHECK(std::chrono::steady_clock::now() - asked < std::chrono::milliseconds(cfg.heartbeat_ms / 2));
  CHECK(beat->instance == ana.welcome().instance);
}

TEST_CASE("the broker's shutdown is announced on sys to every subscriber", "[broker][session]") {
  BrokerSetup s;
  auto ana = s.join("ana");
  auto mon = s.watch();
  s.broker.stop();
  for (auto* c : {&ana, &mon}) {
    const auto bye = c->next_pub<msg::Shutdown>();
    REQUIRE(bye);
    CHECK_FALSE(bye->text.empty());
  }
}
