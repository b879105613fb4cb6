// The broker's memory end to end (docs/protocol.md 2.7), with the real binaries
// and SQLite files: history after kill -9 and after SIGTERM, names that belong
// to a CURVE key, private messages that wait for their owner, and what a bad
// database file does at start-up.
#include "binaries.hpp"
#include "support/test_client.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

using namespace charla::test;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

// Restarts and SQLite files take longer than the suite's usual wait.
constexpr milliseconds kLongWait = std::max(milliseconds{8000}, charla::test::kWait);

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A CURVE broker on `db`, and one home (key pair) per user.
struct CurveSetup {
  CurveSetup() : server_public(keygen(dir.path / "srv.key")) {}
  std::vector<std::string> broker_args(const std::vector<std::string>& more = {}) const {
    std::vector<std::string> a{"--curve-secret", (dir.path / "srv.key").string(), "--db", (dir.path / "charla.db").string()};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  // `user` connects as `name` with its own key pair (made on first use in its home).
  std::unique_ptr<Process> client(const std::string& name, const BrokerProcess& b, const std::string& user) const {
    return run_client(name, b, dir.path / ("home-" + user), {"--server-key", server_public});
  }
  TempDir dir;
  std::string server_public;
};

}  // namespace

TEST_CASE("what was said survives kill -9 and SIGTERM of the broker", "[e2e][memory]") {
  TempDir dir;
  const auto db = (dir.path / "charla.db").string();
  auto broker = std::make_unique<BrokerProcess>(std::vector<std::string>{"--db", db});
  {
    // What kill -9 may not lose is what was acknowledged: a numbered say, and its ack.
    zmq::context_t ctx;
    TestClient ana(ctx, static_cast<std::uint16_t>(broker->port()));
    ana.hello("ana");
    ana.send(charla::msg::Say{"antes del kill", 1});
    REQUIRE(ana.expect<charla::msg::Ack>().n == 1);
    broker->proc().signal(SIGKILL);
  }
  REQUIRE(broker->proc().wait_exit(kLongWait));

  broker = std::make_unique<BrokerProcess>(std::vector<std::string>{"--db", db});
  auto ben = start_client("ben", *broker);
  CHECK(ben->wait_for_line("(historial) ana: antes del kill", kLongWait));
  ben->write("antes del term\n");
  REQUIRE(ben->wait_for_line("ben: antes del term", kLongWait));
  broker->proc().signal(SIGTERM);
  REQUIRE(broker->proc().wait_exit(kLongWait) == 0);

  broker = std::make_unique<BrokerProcess>(std::vector<std::string>{"--db", db});
  auto mon = start_monitor(*broker, true);
  CHECK(mon->wait_for_line(R"("event":"history","user":"ana","text":"antes del kill")", kLongWait));
  CHECK(mon->wait_for_line(R"("event":"history","user":"ben","text":"antes del term")", kLongWait));
}

TEST_CASE("with CURVE a name belongs to the first key that joins with it", "[e2e][memory][names]") {
  CurveSetup s;
  BrokerProcess broker(s.broker_args());
  auto ana = s.client("ana", broker, "ana");
  REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
  ana->write("/salir\n");
  REQUIRE(ana->wait_exit(kLongWait) == 0);

  auto eve = s.client("Ana", broker, "eve");  // another key, the same name in another case
  REQUIRE(eve->wait_exit(kLongWait) == 1);
  CHECK(eve->err().find("es de otra clave") != std::string::npos);

  auto back = s.client("ana", broker, "ana");  // the owner's key again
  CHECK(back->wait_for_line("Conectado a", kLongWait));
}

TEST_CASE("the owner's new connection replaces a ghost of theirs at once", "[e2e][memory][names]") {
  CurveSetup s;
  BrokerProcess broker(s.broker_args({"--expiry-ms", "60000"}));  // the ghost would linger a minute
  auto mon = std::make_unique<Process>(
      std::vector<std::string>{kMonitorBin, "127.0.0.1", broker.port_str(), "--json", "--server-key", s.server_public},
      std::vector<std::string>{"XDG_CONFIG_HOME=" + (s.dir.path / "home-mon").string()});
  REQUIRE(mon->wait_for_line(R"("event":"connected")", kLongWait));
  auto ana = s.client("ana", broker, "ana");
  REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
  ana->signal(SIGKILL);  // its session stays registered
  auto again = s.client("ana", broker, "ana");
  CHECK(again->wait_for_line("Conectado a", kLongWait));
  CHECK(mon->wait_for_line(R"("event":"resume","user":"ana")", kLongWait));
}

TEST_CASE("a private message to an owner who is away waits, and its sender gets a receipt", "[e2e][memory][mail]") {
  CurveSetup s;
  BrokerProcess broker(s.broker_args());
  auto ana = s.client("ana", broker, "ana");
  REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
  ana->write("/salir\n");
  REQUIRE(ana->wait_exit(kLongWait) == 0);

  auto ben = s.client("ben", broker, "ben");
  REQUIRE(ben->wait_for_line("Conectado a", kLongWait));
  ben->write("@ana te dejo un recado\n");
  CHECK(ben->wait_for_line("ana no está conectado: tu mensaje le esperará", kLongWait));

  auto back = s.client("ana", broker, "ana");
  const auto line = back->wait_for_line("(privado, te esperaba) ben: te dejo un recado", kLongWait);
  CHECK(line);
  CHECK(ben->wait_for_line("ana ha recibido tu mensaje «te dejo un recado»", kLongWait));
}

TEST_CASE("private messages waiting for one user are bounded", "[e2e][memory][mail]") {
  CurveSetup s;
  BrokerProcess broker(s.broker_args({"--mail-keep", "2"}));
  auto ana = s.client("ana", broker, "ana");
  REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
  ana->write("/salir\n");
  REQUIRE(ana->wait_exit(kLongWait) == 0);
  auto ben = s.client("ben", broker, "ben");
  REQUIRE(ben->wait_for_line("Conectado a", kLongWait));
  ben->write("@ana uno\n@ana dos\n@ana tres\n");
  CHECK(ben->wait_for_line("no se envió «tres»", kLongWait));
  CHECK(ben->out().find("demasiados mensajes privados esperando") != std::string::npos);
}

TEST_CASE("without CURVE nobody owns a name and a private message to someone away is refused", "[e2e][memory][mail]") {
  BrokerProcess broker;
  auto ben = start_client("ben", broker);
  ben->write("@ana hola\n");
  CHECK(ben->wait_for_line("'ana' no está conectado", kLongWait));
}

TEST_CASE("a key past --names-per-key joins under another name without owning it, and is told",
          "[e2e][memory][names]") {
  CurveSetup s;
  BrokerProcess broker(s.broker_args({"--names-per-key", "1"}));
  auto ana = s.client("ana", broker, "ana");
  REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
  ana->write("/salir\n");
  REQUIRE(ana->wait_exit(kLongWait) == 0);
  auto second = s.client("ana2", broker, "ana");  // the same key, a second name
  REQUIRE(second->wait_for_line("Conectado a", kLongWait));
  CHECK(second->wait_for_line("no reserva el nombre ana2 para tu clave", kLongWait));
  CHECK(broker.proc().wait_for_line("entra sin ser dueño del nombre", kLongWait, true));
  second->write("/salir\n");
  REQUIRE(second->wait_exit(kLongWait) == 0);

  auto eve = s.client("ana2", broker, "eve");  // nobody owns it
  CHECK(eve->wait_for_line("Conectado a", kLongWait));
  auto thief = s.client("ana", broker, "thief");  // the first one is ana's key's
  REQUIRE(thief->wait_exit(kLongWait) == 1);
  CHECK(thief->err().find("es de otra clave") != std::string::npos);
}

TEST_CASE("the administrator can free a name its key held", "[e2e][memory][names]") {
  CurveSetup s;
  {
    BrokerProcess broker(s.broker_args());
    auto ana = s.client("ana", broker, "ana");
    REQUIRE(ana->wait_for_line("Conectado a", kLongWait));
    ana->write("/salir\n");
    REQUIRE(ana->wait_exit(kLongWait) == 0);
    broker.proc().signal(SIGTERM);
    REQUIRE(broker.proc().wait_exit(kLongWait) == 0);
  }
  Process release({kBrokerBin, "--db", (s.dir.path / "charla.db").string(), "--release-name", "ANA"});
  REQUIRE(release.wait_exit(kLongWait) == 0);
  CHECK(release.out().find("queda libre") != std::string::npos);
  BrokerProcess broker(s.broker_args());
  auto eve = s.client("ana", broker, "eve");
  CHECK(eve->wait_for_line("Conectado a", kLongWait));
}

TEST_CASE("a file that is not a charla database stops the broker with one line and is left as it was",
          "[e2e][memory][db]") {
  TempDir dir;
  const auto file = dir.path / "garbage.db";
  std::ofstream(file) << std::string(4096, 'x');
  const auto before = read_all(file);
  Process p({kBrokerBin, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0", "--db", file.string()});
  REQUIRE(p.wait_exit(kLongWait) == 1);
  CHECK(p.err().find("no se puede usar la base de datos") != std::string::npos);
  CHECK(std::count(p.err().begin(), p.err().end(), '\n') == 1);
  CHECK(read_all(file) == before);
}

TEST_CASE("a database where none can be written stops the broker with one line", "[e2e][memory][db]") {
  TempDir dir;
  std::ofstream(dir.path / "not-a-folder") << "x";
  Process p({kBrokerBin, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0", "--db",
             (dir.path / "not-a-folder" / "charla.db").string()});
  REQUIRE(p.wait_exit(kLongWait) == 1);
  CHECK(p.err().find("base de datos") != std::string::npos);
}
