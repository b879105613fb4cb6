// What a stranger can make the broker keep (docs/security.md, docs/protocol.md 2.7),
// through a real broker with CURVE and a fresh key pair per client: owned names
// bounded per key, per address and in all (over them one joins without owning the
// name), waiting private messages bounded per sender and in all.
#include "support/broker_setup.hpp"

#include <charla/msg/keys.hpp>

#include <stdlib.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace msg = charla::msg;
namespace fs = std::filesystem;
using namespace charla::test;

namespace {

// A CURVE broker: its key pair, and the clients' key pairs the test made.
struct CurveBroker {
  explicit CurveBroker(charla::broker::Config cfg = fast_config(), const std::vector<Curve>& allowed = {})
      : server(Curve::fresh("")), setup(secure(std::move(cfg), allowed)) {}

  charla::broker::Config secure(charla::broker::Config cfg, const std::vector<Curve>& allowed) const {
    cfg.curve_secret = server.secret_key;
    if (!allowed.empty()) {
      cfg.allow_keys.emplace();
      for (const auto& k : allowed) cfg.allow_keys->insert(msg::z85_to_binary(k.public_key));
    }
    return cfg;
  }
  Curve key() const { return Curve::fresh(server.public_key); }
  TestClient connect(const Curve& key) { return TestClient(setup.ctx, setup.broker.port(), key); }
  // Joins as `name` with `key` (a new connection); the welcome says whether the name is the key's.
  bool joins_owning(const std::string& name, const Curve& key) {
    auto c = connect(key);
    const auto w = c.hello(name);
    if (!w.owned) throw std::runtime_error("a welcome with CURVE says whether the name is owned");
    c.send(msg::Bye{});
    (void)c.expect<msg::Ok>();
    return *w.owned;
  }

  Curve server;
  BrokerSetup setup;
};

charla::broker::Config with(std::size_t in_all, std::uint32_t per_key, std::uint32_t per_address) {
  auto cfg = fast_config();
  cfg.max_owned_names = in_all;
  cfg.names_per_key = per_key;
  cfg.names_per_address = per_address;
  return cfg;
}

// The answers to one client's numbered whispers (held, or an error), in whatever
// order they come: an error is sent at once, held once the message is in the file.
class Answers {
 public:
  explicit Answers(TestClient& c) : c_(c) {}
  bool held(std::uint64_t n) { return std::holds_alternative<msg::Held>(about(n)); }
  msg::Error refused(std::uint64_t n) {
    const auto m = about(n);
    if (const auto* e = std::get_if<msg::Error>(&m)) return *e;
    throw std::runtime_error("whisper " + std::to_string(n) + " was held, not refused");
  }

 private:
  msg::Message about(std::uint64_t n) {
    while (got_.count(n) == 0) {
      auto d = c_.recv();
      if (!d) throw std::runtime_error("no answer about whisper " + std::to_string(n));
      if (const auto* h = std::get_if<msg::Held>(&d->msg)) got_.emplace(h->n, d->msg);
      if (const auto* e = std::get_if<msg::Error>(&d->msg)) got_.emplace(e->n, d->msg);
    }
    return got_.at(n);
  }
  TestClient& c_;
  std::map<std::uint64_t, msg::Message> got_;
};

}  // namespace

TEST_CASE("with CURVE the welcome says the name is the key's", "[broker][names][bounds]") {
  CurveBroker b;
  const auto ana = b.key();
  CHECK(b.joins_owning("ana", ana));
  CHECK(b.joins_owning("ana", ana));
  BrokerSetup plain;
  auto c = plain.join("ana");
  CHECK_FALSE(c.welcome().owned);  // without CURVE the welcome does not say
}

TEST_CASE("a trusted gateway's welcome does not speak of owning the name, as its users own none",
          "[broker][names][bounds]") {
  auto gateway = Curve::fresh("");
  auto cfg = fast_config();
  cfg.gateway_keys.insert(msg::z85_to_binary(gateway.public_key));
  CurveBroker b(cfg);
  gateway.server_public = b.server.public_key;
  auto c = b.connect(gateway);
  CHECK_FALSE(c.hello("ana").owned);
  auto key = b.connect(b.key());
  CHECK(key.hello("ben").owned == std::optional<bool>(true));
}

TEST_CASE("fresh keys from one address own names up to the bound of the day, and the rest still join",
          "[broker][names][bounds]") {
  CurveBroker b(with(1000, 3, 3));
  std::vector<bool> owned;
  for (int i = 1; i <= 5; ++i) owned.push_back(b.joins_owning("u" + std::to_string(i), b.key()));
  CHECK(owned == std::vector<bool>{true, true, true, false, false});
  // u4 belongs to nobody: another key may take it; u1 is its key's.
  auto other = b.connect(b.key());
  CHECK(other.hello("u4").name == "u4");
  auto thief = b.connect(b.key());
  thief.send(msg::Hello{"u1"});
  CHECK(thief.expect<msg::Error>().code == msg::ErrorCode::name_owned);
}

TEST_CASE("past the bound in all fresh keys join without owning a name", "[broker][names][bounds]") {
  CurveBroker b(with(2, 3, 1000));
  CHECK(b.joins_owning("u1", b.key()));
  CHECK(b.joins_owning("u2", b.key()));
  CHECK_FALSE(b.joins_owning("u3", b.key()));
  // Not owned: a whisper to u3 while away is refused as without CURVE.
  auto ben = b.connect(b.key());
  ben.hello("ben");
  ben.send(msg::Whisper{"u3", "hola", 1});
  CHECK(Answers(ben).refused(1).code == msg::ErrorCode::no_such_user);
}

TEST_CASE("one key owns at most --names-per-key names, and a fourth joins without owning it", "[broker][names][bounds]") {
  CurveBroker b(with(1000, 3, 1000));
  const auto k = b.key();
  CHECK(b.joins_owning("a1", k));
  CHECK(b.joins_owning("a2", k));
  CHECK(b.joins_owning("a3", k));
  CHECK_FALSE(b.joins_owning("a4", k));
  CHECK(b.joins_owning("a1", k));  // its own names stay its own
}

TEST_CASE("a key on the allow-list is not bounded per key or per address, only in all", "[broker][names][bounds]") {
  auto listed = Curve::fresh("");  // its public key goes on the list; the server key is set below
  CurveBroker b(with(4, 1, 1), {listed});
  listed.server_public = b.server.public_key;
  CHECK(b.joins_owning("a1", listed));
  CHECK(b.joins_owning("a2", listed));
  CHECK(b.joins_owning("a3", listed));
  CHECK(b.joins_owning("a4", listed));
  CHECK_FALSE(b.joins_owning("a5", listed));  // the bound in all protects the disk from every key
}

TEST_CASE("whispers past a sender's bound on waiting mail get mailbox_full with their n", "[broker][mail][bounds]") {
  auto cfg = fast_config();
  cfg.mail_per_sender = 2;
  CurveBroker b(cfg);
  REQUIRE(b.joins_owning("ana", b.key()));
  auto ben = b.connect(b.key());
  ben.hello("ben");
  ben.send(msg::Whisper{"ana", "uno", 1});
  ben.send(msg::Whisper{"ana", "dos", 2});
  ben.send(msg::Whisper{"ana", "tres", 3});
  Answers to_ben(ben);
  CHECK(to_ben.held(1));
  CHECK(to_ben.held(2));
  const auto e = to_ben.refused(3);
  CHECK(e.code == msg::ErrorCode::mailbox_full);
  CHECK(e.re == "whisper");
  CHECK(e.text.find("ya tienes 2 mensajes privados esperando") != std::string::npos);
  auto cy = b.connect(b.key());  // another sender still may
  cy.hello("cy");
  cy.send(msg::Whisper{"ana", "cuatro", 1});
  CHECK(Answers(cy).held(1));
}

TEST_CASE("whispers past the bound in all on waiting mail get mailbox_full with their n", "[broker][mail][bounds]") {
  auto cfg = fast_config();
  const std::string text(100, 'x');
  cfg.mail_max_bytes = 2 * (text.size() + 3 + 64);  // room for two of ben's: text, sender, 64 bytes a row
  CurveBroker b(cfg);
  REQUIRE(b.joins_owning("ana", b.key()));
  auto ben = b.connect(b.key());
  ben.hello("ben");
  ben.send(msg::Whisper{"ana", text, 1});
  ben.send(msg::Whisper{"ana", text, 2});
  ben.send(msg::Whisper{"ana", text, 3});
  Answers to_ben(ben);
  CHECK(to_ben.held(1));
  CHECK(to_ben.held(2));
  const auto e = to_ben.refused(3);
  CHECK(e.code == msg::ErrorCode::mailbox_full);
  CHECK(e.text.find("el servidor no puede guardar más mensajes privados") != std::string::npos);
  auto cy = b.connect(b.key());
  cy.hello("cy");
  cy.send(msg::Whisper{"ana", "x", 4});
  CHECK(Answers(cy).refused(4).code == msg::ErrorCode::mailbox_full);
}

TEST_CASE("a sender's waiting mail is counted again from the file after a restart", "[broker][mail][bounds]") {
  char tmpl[] = "/tmp/charla-bounds-XXXXXX";
  const fs::path dir = ::mkdtemp(tmpl);
  auto cfg = fast_config();
  cfg.db = (dir / "charla.db").string();
  cfg.mail_per_sender = 1;
  auto ana = Curve::fresh(""), ben = Curve::fresh("");  // each broker below has its own key pair
  {
    CurveBroker b(cfg);
    ana.server_public = ben.server_public = b.server.public_key;
    REQUIRE(b.joins_owning("ana", ana));
    auto c = b.connect(ben);
    c.hello("ben");
    c.send(msg::Whisper{"ana", "uno", 1});
    CHECK(Answers(c).held(1));
  }
  CurveBroker again(cfg);
  ben.server_public = again.server.public_key;
  auto c = again.connect(ben);
  c.hello("ben");
  c.send(msg::Whisper{"ana", "dos", 2});
  CHECK(Answers(c).refused(2).code == msg::ErrorCode::mailbox_full);
  fs::remove_all(dir);
}
