// Acknowledged means kept, exactly once (docs/protocol.md 2.6, 2.7), with the
// real broker and its SQLite file under attack: a full disk, a file made
// read-only, deleted or replaced under a running broker, kill -9 during heavy
// numbered traffic and the resends after it, and a client that forges another
// user's origin to make everyone drop their messages.
#include "binaries.hpp"
#include "tcp_proxy.hpp"
#include "support/test_client.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using namespace charla::test;
using std::chrono::milliseconds;
namespace fs = std::filesystem;
namespace msg = charla::msg;

namespace {

constexpr milliseconds kLongWait = std::max(milliseconds{10000}, charla::test::kWait);

// A raw client that numbers its says as a charla client does (2.6) and keeps
// what was answered: the highest ack, and the numbers refused with their code.
struct Sender {
  Sender(zmq::context_t& ctx, const BrokerProcess& b, std::string name_, std::uint64_t origin_)
      : name(std::move(name_)), origin(origin_) {
    connect(ctx, b);
  }
  // A new connection and session with the same origin, as a client after a broker restart.
  void connect(zmq::context_t& ctx, const BrokerProcess& b) {
    client.emplace(ctx, static_cast<std::uint16_t>(b.port()));
    published = client->hello(msg::Hello{name, "", origin}).origin;
  }
  std::string text(std::uint64_t n) const { return name + "-" + std::to_string(n) + "-" + std::string(pad, 'x'); }
  bool answered(std::uint64_t n) const { return n <= acked_up_to || refused.count(n) != 0; }
  std::uint64_t unanswered() const {
    std::uint64_t k = 0;
    for (std::uint64_t n = 1; n < next; ++n) k += answered(n) ? 0 : 1;
    return k;
  }
  void send(std::uint64_t n) { client->send(msg::Say{text(n), n}); }
  // Sends again, in order, whatever was sent and not answered.
  void resend() {
    for (std::uint64_t n = 1; n < next; ++n) {
      if (!answered(n)) send(n);
    }
  }
  // Sends new ones while fewer than `window` wait, up to `total`; takes what came.
  void step(std::uint64_t total, std::uint64_t window, milliseconds wait) {
    while (next <= total && next - 1 - std::min(next - 1, acked_up_to) < window) send(next++);
    while (auto d = client->recv(wait)) {
      if (const auto* a = std::get_if<msg::Ack>(&d->msg)) acked_up_to = std::max(acked_up_to, a->n);
      if (const auto* e = std::get_if<msg::Error>(&d->msg); e != nullptr && e->n != 0) refused.emplace(e->n, e->code);
      wait = milliseconds(0);
    }
  }
  bool done(std::uint64_t total) const { return next > total && unanswered() == 0; }
  std::set<std::uint64_t> acked() const {
    std::set<std::uint64_t> out;
    for (std::uint64_t n = 1; n < next; ++n) {
      if (n <= acked_up_to && refused.count(n) == 0) out.insert(n);
    }
    return out;
  }

  std::string name;
  std::uint64_t origin, published = 0;
  std::size_t pad = 0;
  std::optional<TestClient> client;
  std::uint64_t next = 1, acked_up_to = 0;
  std::map<std::uint64_t, msg::ErrorCode> refused;
};

// Every broadcast the broker keeps, by text: how many times each is there.
std::map<std::string, int> kept_texts(zmq::context_t& ctx, const BrokerProcess& b,
                                      std::vector<msg::Kept>* all = nullptr) {
  TestClient c(ctx, static_cast<std::uint16_t>(b.port()));
  std::map<std::string, int> out;
  std::uint64_t before = 0;
  for (;;) {
    c.send(msg::History{before, 200});
    const auto page = c.expect<msg::Chats>(kLongWait);
    for (const auto& k : page.messages) {
      ++out[k.text];
      if (all != nullptr) all->push_back(k);
    }
    if (!page.more || page.messages.empty()) return out;
    before = page.messages.front().hid;
  }
}

void stop(BrokerProcess& b) {
  b.proc().signal(SIGTERM);
  REQUIRE(b.proc().wait_exit(kLongWait).has_value());
}

std::size_t lines_holding(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("on a full disk a broadcast is refused with not_stored, and whatever was acknowledged is in the file",
          "[e2e][kept][disk]") {
  TempDir dir;
  const auto db = (dir.path / "charla.db").string();
  zmq::context_t ctx;
  std::set<std::uint64_t> acked;
  std::map<std::uint64_t, msg::ErrorCode> refused;
  std::string name;
  {
    // A file-size limit is a full disk to SQLite: the file and its WAL stop at 2 MiB.
    BrokerProcess b({"--db", db, "--rate", "0"}, 0, 0, {"/usr/bin/prlimit", "--fsize=2097152", "--"});
    Sender s(ctx, b, "ana", 0x5eed0001);
    s.pad = 3000;
    const auto start = std::chrono::steady_clock::now();
    const auto deadline = start + std::chrono::seconds(90);
    while (!s.done(1500) && std::chrono::steady_clock::now() < deadline) {
      s.step(1500, 100, milliseconds(50));
      b.proc().drain();
    }
    REQUIRE(s.done(1500));
    acked = s.acked();
    refused = s.refused;
    name = s.name;
    CHECK(b.proc().wait_for_line("no se pudo guardar", kLongWait, true));
    b.proc().drain();
    // A full disk fails every batch and every turn: the log says so now and then, not each time.
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - start);
    INFO(b.proc().err());
    CHECK(lines_holding(b.proc().err(), " error ") <= 4 + 2 * static_cast<std::size_t>(seconds.count() / 10));
    stop(b);
  }
  REQUIRE(!refused.empty());  // the disk did fill
  for (const auto& [n, code] : refused) CHECK(code == msg::ErrorCode::not_stored);
  BrokerProcess again({"--db", db});
  const auto kept = kept_texts(ctx, again);
  std::size_t missing = 0, doubled = 0, refused_but_kept = 0;
  Sender probe(ctx, again, name, 1);  // only for its texts
  probe.pad = 3000;
  for (const auto n : acked) {
    const auto it = kept.find(probe.text(n));
    missing += it == kept.end() ? 1 : 0;
    doubled += it != kept.end() && it->second > 1 ? 1 : 0;
  }
  for (const auto& [n, code] : refused) refused_but_kept += kept.count(probe.text(n));
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(refused_but_kept == 0);
  CHECK(acked.size() + refused.size() == 1500);
}

TEST_CASE("a database the broker may not write is refused at start with one line", "[e2e][kept][db]") {
  TempDir dir;
  const auto db = dir.path / "charla.db";
  {
    BrokerProcess b({"--db", db.string()});
    stop(b);
  }
  fs::permissions(dir.path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                fs::perms::others_read | fs::perms::others_exec);
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  // root may write any file: the broker runs as nobody then, as a packaged broker runs as its own user.
  std::vector<std::string> argv;
  if (::geteuid() == 0) argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"};
  argv.insert(argv.end(), {kBrokerBin, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0", "--db", db.string()});
  Process p(argv);
  REQUIRE(p.wait_exit(kLongWait) == 1);
  INFO(p.err());
  CHECK(p.err().find("no se puede escribir en la base de datos") != std::string::npos);
  CHECK(std::count(p.err().begin(), p.err().end(), '\n') == 1);
}

TEST_CASE("a database deleted or replaced under a running broker: nothing more is acknowledged, and it says so",
          "[e2e][kept][db]") {
  const bool replaced = GENERATE(false, true);
  TempDir dir;
  const auto db = dir.path / "charla.db";
  zmq::context_t ctx;
  BrokerProcess b({"--db", db.string()});
  Sender s(ctx, b, "ana", 0x5eed0002);
  while (!s.done(20)) s.step(20, 20, milliseconds(100));
  REQUIRE(s.acked().size() == 20);
  if (replaced) {
    std::ofstream(dir.path / "other.db") << "";
    fs::rename(dir.path / "other.db", db);
  } else {
    fs::remove(db);
  }
  // The first say after it is already refused: the file is looked at before each batch is committed.
  const auto deadline = std::chrono::steady_clock::now() + kLongWait;
  while (!s.done(40) && std::chrono::steady_clock::now() < deadline) s.step(40, 20, milliseconds(100));
  REQUIRE(s.done(40));
  CHECK(s.acked().size() == 20);
  CHECK(s.refused.size() == 20);
  for (const auto& [n, code] : s.refused) CHECK(code == msg::ErrorCode::not_stored);
  const auto line = b.proc().wait_for_line(replaced ? "fue sustituida" : "ya no existe", kLongWait, true);
  REQUIRE(line);
  CHECK(line->find("reinicia charla-broker") != std::string::npos);
}

TEST_CASE("after kill -9 during numbered traffic, what the senders resend is stored and published exactly once",
          "[e2e][kept][crash]") {
  TempDir dir;
  const auto db = (dir.path / "charla.db").string();
  zmq::context_t ctx;
  constexpr std::uint64_t kEach = 400;
  auto b = std::make_unique<BrokerProcess>(std::vector<std::string>{"--db", db, "--rate", "0"});
  std::vector<Sender> senders;
  for (int i = 0; i < 4; ++i) senders.emplace_back(ctx, *b, "s" + std::to_string(i), 0x5eed1000 + i);
  const auto acked_in_all = [&] {
    std::size_t k = 0;
    for (const auto& s : senders) k += s.acked().size();
    return k;
  };
  // Kill it in full flow, with batches being written and acknowledgements on their way.
  while (acked_in_all() < 2 * kEach) {
    for (auto& s : senders) s.step(kEach, 64, milliseconds(1));
  }
  b->proc().signal(SIGKILL);
  REQUIRE(b->proc().wait_exit(kLongWait).has_value());
  std::map<std::string, std::set<std::uint64_t>> acked_before;
  for (const auto& s : senders) acked_before[s.name] = s.acked();
  b = std::make_unique<BrokerProcess>(std::vector<std::string>{"--db", db, "--rate", "0"});
  // A watcher sees what is published after the restart: nothing that was stored before may come again.
  auto watcher = TestClient(ctx, static_cast<std::uint16_t>(b->port()));
  watcher.hello("watcher");
  watcher.subscribe(static_cast<std::uint16_t>(b->pub_port()));
  for (auto& s : senders) {
    s.connect(ctx, *b);
    s.resend();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const auto all_done = [&] {
    return std::all_of(senders.begin(), senders.end(), [&](const Sender& s) { return s.done(kEach); });
  };
  while (!all_done() && std::chrono::steady_clock::now() < deadline) {
    for (auto& s : senders) s.step(kEach, 64, milliseconds(1));
  }
  REQUIRE(all_done());
  const auto kept = kept_texts(ctx, *b);
  std::size_t missing = 0, doubled = 0, republished = 0;
  for (const auto& s : senders) {
    CHECK(s.refused.empty());
    for (std::uint64_t n = 1; n <= kEach; ++n) {
      const auto it = kept.find(s.text(n));
      missing += it == kept.end() ? 1 : 0;
      doubled += it != kept.end() && it->second > 1 ? 1 : 0;
    }
  }
  // The watcher got every chat since the restart; none of them had been acknowledged before it.
  while (auto m = watcher.next_pub<msg::Chat>(milliseconds(300))) {
    for (const auto& s : senders) {
      if (m->from == s.name && acked_before[s.name].count(m->n) != 0) ++republished;
    }
  }
  CHECK(missing == 0);
  CHECK(doubled == 0);
  CHECK(republished == 0);
}

TEST_CASE("a client that reuses another user's published origin cannot make others drop that user's messages",
          "[e2e][kept][forged]") {
  zmq::context_t ctx;
  BrokerProcess b;
  auto carla = start_client("carla", b);  // a real client: it drops what it takes for a resend
  TestClient ana(ctx, static_cast<std::uint16_t>(b.port()));
  ana.hello(msg::Hello{"ana", "", 0xa11ce});
  ana.subscribe(static_cast<std::uint16_t>(b.pub_port()));
  ana.send(msg::Say{"uno de ana", 1});
  const auto first = ana.next_pub<msg::Chat>([](const msg::Chat& c) { return c.from == "ana"; });
  REQUIRE(first);
  CHECK(first->origin != 0xa11ce);  // what others see is not what her client chose
  CHECK(first->origin == ana.welcome().origin);
  // Mallory reads ana's origin off the broadcast stream and sends with it, and a huge n.
  TestClient mallory(ctx, static_cast<std::uint16_t>(b.port()));
  mallory.hello(msg::Hello{"mallory", "", first->origin});
  mallory.subscribe(static_cast<std::uint16_t>(b.pub_port()));
  mallory.send(msg::Say{"falso", 1'000'000'000});
  const auto forged = mallory.next_pub<msg::Chat>([](const msg::Chat& c) { return c.from == "mallory"; });
  REQUIRE(forged);
  CHECK(forged->origin != first->origin);
  for (std::uint64_t n = 2; n <= 4; ++n) ana.send(msg::Say{"ana sigue " + std::to_string(n), n});
  for (std::uint64_t n = 2; n <= 4; ++n) {
    CHECK(carla->wait_for_line("ana: ana sigue " + std::to_string(n), kLongWait));
  }
}

TEST_CASE("history entries carry the origin and number their broadcasts were published with", "[e2e][kept]") {
  zmq::context_t ctx;
  BrokerProcess b;
  TestClient ana(ctx, static_cast<std::uint16_t>(b.port()));
  const auto w = ana.hello(msg::Hello{"ana", "", 0xa11ce});
  ana.send(msg::Say{"numerado", 7});
  ana.send(msg::Say{"sin número"});
  REQUIRE(ana.expect<msg::Ack>().n == 7);
  std::vector<msg::Kept> all;
  const auto kept = kept_texts(ctx, b, &all);
  REQUIRE(all.size() == 2);
  CHECK(all[0].origin == w.origin);
  CHECK(all[0].n == 7);
  CHECK(all[1].origin == 0);
  CHECK(all[1].n == 0);
  CHECK(lines_holding(b.proc().err(), "no se pudo") == 0);
}

TEST_CASE("a client back after a broker restart is told of what was said before it was listening",
          "[e2e][kept][restart]") {
  auto broker = std::make_unique<BrokerProcess>();
  const int port = broker->port(), pub = broker->pub_port();
  TcpProxy proxy(port);  // bob's command connection: held down while the new broker publishes
  Process bob({kClientBin, "bob", "127.0.0.1", std::to_string(proxy.port())});
  REQUIRE(bob.wait_for_line("Conectado a", kLongWait));
  broker->proc().signal(SIGKILL);
  REQUIRE(broker->proc().wait_exit(kLongWait));
  REQUIRE(bob.wait_for_line("conexión perdida", kLongWait));
  proxy.set_down(true);
  broker = std::make_unique<BrokerProcess>(std::vector<std::string>{}, port, pub);
  zmq::context_t ctx;
  TestClient ana(ctx, static_cast<std::uint16_t>(port));
  ana.hello("ana");
  ana.subscribe(static_cast<std::uint16_t>(pub));
  ana.send(msg::Say{"mientras bob no estaba"});
  REQUIRE(ana.next_pub<msg::Chat>());
  proxy.set_down(false);
  REQUIRE(bob.wait_for_line("reconectado", std::chrono::seconds(20)));
  CHECK(bob.wait_for_line("se perdieron 1 mensajes", kLongWait));
}
