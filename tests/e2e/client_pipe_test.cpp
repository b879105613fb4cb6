// End to end through pipes: the real charla-broker, charla and charla-monitor
// binaries as processes, talking over TCP on 127.0.0.1.
#include "binaries.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <string>
#include <vector>

using namespace charla::test;
using std::chrono::milliseconds;

namespace {
constexpr milliseconds kWait{5000};
}

TEST_CASE("a broadcast typed into one client's pipe reaches every client with the sender's name", "[e2e][pipe]") {
  // Also with more ZeroMQ I/O threads and more workers than this machine has cores.
  const auto threads = GENERATE(std::vector<std::string>{},
                                std::vector<std::string>{"--io-threads", "2", "--workers", "3"});
  BrokerProcess broker(threads);
  auto ana = start_client("ana", broker);
  auto bob = start_client("bob", broker);
  auto eva = start_client("eva", broker);
  ana->write("hola a todos\n");
  for (auto* p : {ana.get(), bob.get(), eva.get()}) {
    const auto line = p->wait_for_line("ana: hola a todos", kWait);
    REQUIRE(line);
    CHECK(line->find("privado") == std::string::npos);
  }
}

TEST_CASE("a private message reaches only its target and is marked private", "[e2e][pipe]") {
  BrokerProcess broker;
  auto ana = start_client("ana", broker);
  auto bob = start_client("bob", broker);
  auto eva = start_client("eva", broker);
  ana->write("@bob solo para ti\n");
  const auto got = bob->wait_for_line("solo para ti", kWait);
  REQUIRE(got);
  CHECK(got->find("(privado) ana") != std::string::npos);
  CHECK(ana->wait_for_line("(privado a bob) solo para ti", kWait));
  // eva sees a later broadcast but never the private one.
  ana->write("fin\n");
  REQUIRE(eva->wait_for_line("ana: fin", kWait));
  CHECK(eva->out().find("solo para ti") == std::string::npos);
}

TEST_CASE("users, info and status commands answer in one line each", "[e2e][pipe]") {
  BrokerProcess broker;
  auto ana = start_client("ana", broker);
  auto bob = start_client("bob", broker);
  ana->write("/usuarios\n");
  const auto list = ana->wait_for_line("en línea (2)", kWait);
  REQUIRE(list);
  CHECK(list->find("ana [ACTIVO]") != std::string::npos);
  CHECK(list->find("bob [ACTIVO]") != std::string::npos);

  ana->write("/info bob\n");
  const auto info = ana->wait_for_line("bob: IP", kWait);
  REQUIRE(info);
  CHECK(info->find("IP 127.0.0.1") != std::string::npos);
  CHECK(info->find("ACTIVO") != std::string::npos);

  bob->write("/status busy\n");
  CHECK(bob->wait_for_line("tu estado: OCUPADO", kWait));
  CHECK(ana->wait_for_line("bob está OCUPADO", kWait));

  ana->write("/users\n");  // English alias
  const auto again = ana->wait_for_line("en línea (2)", kWait);
  REQUIRE(again);
  CHECK(again->find("bob [OCUPADO]") != std::string::npos);
}

TEST_CASE("unknown commands and bad arguments get a one-line hint and nothing is sent", "[e2e][pipe]") {
  BrokerProcess broker;
  auto ana = start_client("ana", broker);
  auto bob = start_client("bob", broker);
  ana->write("/bailar\n");
  CHECK(ana->wait_for_line("comando desconocido '/bailar'", kWait));
  ana->write("/estado feliz\n");
  CHECK(ana->wait_for_line("uso: /estado", kWait));
  ana->write("@bob\n");
  CHECK(ana->wait_for_line("uso: @usuario mensaje", kWait));
  ana->write("@nadie hola\n");
  CHECK(ana->wait_for_line("'nadie' no está conectado", kWait));
  ana->write("/info nadie\n");
  CHECK(ana->wait_for_line("'nadie' no está conectado", kWait));
  ana->write("sigo aquí\n");
  REQUIRE(bob->wait_for_line("ana: sigo aquí", kWait));
  CHECK(bob->out().find("bailar") == std::string::npos);
}

TEST_CASE("end of input sends what is pending, leaves cleanly and exits 0", "[e2e][pipe]") {
  BrokerProcess broker;
  auto bob = start_client("bob", broker);
  auto ana = start_client("ana", broker);
  ana->write("uno\ndos\ntres");  // the last line has no newline
  ana->close_stdin();
  REQUIRE(ana->wait_exit(kWait) == 0);
  CHECK(bob->wait_for_line("ana: uno", kWait));
  CHECK(bob->wait_for_line("ana: dos", kWait));
  CHECK(bob->wait_for_line("ana: tres", kWait));
  CHECK(bob->wait_for_line("ana salió", kWait));
}

TEST_CASE("/salir leaves and the others see it as a leave", "[e2e][pipe]") {
  BrokerProcess broker;
  auto mon = start_monitor(broker, true);
  auto ana = start_client("ana", broker);
  ana->write("/salir\n");
  REQUIRE(ana->wait_exit(kWait) == 0);
  CHECK(mon->wait_for_line(R"("event":"leave","user":"ana")", kWait));
}

TEST_CASE("start-up errors exit non-zero with one clear line", "[e2e][pipe]") {
  BrokerProcess broker;
  auto ana = start_client("ana", broker);

  SECTION("a taken name, in any case") {
    Process p({kClientBin, "ANA", "127.0.0.1", broker.port_str()});
    REQUIRE(p.wait_exit(kWait) == 1);
    CHECK(p.err().find("ya está en uso") != std::string::npos);
    CHECK(std::count(p.err().begin(), p.err().end(), '\n') == 1);
  }
  SECTION("an invalid name") {
    Process p({kClientBin, "no vale", "127.0.0.1", broker.port_str()});
    REQUIRE(p.wait_exit(kWait) == 1);
    CHECK(p.err().find("nombre no válido") != std::string::npos);
  }
  SECTION("an unreachable broker, after a bounded wait") {
    Process p({kClientBin, "eva", "127.0.0.1", "1", "--timeout", "1"});
    REQUIRE(p.wait_exit(kWait) == 1);
    CHECK(p.err().find("no responde") != std::string::npos);
    CHECK(std::count(p.err().begin(), p.err().end(), '\n') == 1);
  }
}

TEST_CASE("a client killed with SIGKILL is announced as lost within the expiry bound", "[e2e][pipe][presence]") {
  BrokerProcess broker;  // expiry 1000 ms
  auto mon = start_monitor(broker, true);
  auto bob = start_client("bob", broker);
  REQUIRE(mon->wait_for_line(R"("event":"join","user":"bob")", kWait));
  const auto t0 = std::chrono::steady_clock::now();
  bob->signal(SIGKILL);
  REQUIRE(mon->wait_for_line(R"("event":"lost","user":"bob")", kWait));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(3000));
  // The name is free again.
  auto again = start_client("bob", broker);
  CHECK(mon->wait_for_line(R"("event":"join","user":"bob")", kWait));
}

TEST_CASE("SIGINT and SIGTERM make the client leave cleanly", "[e2e][pipe]") {
  BrokerProcess broker;
  auto mon = start_monitor(broker, true);
  const int sig = GENERATE(SIGINT, SIGTERM);
  auto ana = start_client("ana", broker);
  ana->signal(sig);
  REQUIRE(ana->wait_exit(kWait) == 0);
  CHECK(mon->wait_for_line(R"("event":"leave","user":"ana")", kWait));
}

TEST_CASE("the client notices a broker restart, joins again by itself and tells the user", "[e2e][pipe][restart]") {
  auto broker = std::make_unique<BrokerProcess>();
  const int port = broker->port(), pub = broker->pub_port();
  auto ana = start_client("ana", *broker);
  auto bob = start_client("bob", *broker);
  broker->proc().signal(SIGKILL);
  REQUIRE(broker->proc().wait_exit(kWait));
  CHECK(ana->wait_for_line("conexión perdida", kWait));
  broker = std::make_unique<BrokerProcess>(std::vector<std::string>{}, port, pub);
  REQUIRE(ana->wait_for_line("reconectado", milliseconds(15000)));
  REQUIRE(bob->wait_for_line("reconectado", milliseconds(15000)));
  // "reconectado" is said once the subscription is live: a broadcast goes through.
  ana->write("de vuelta\n");
  CHECK(bob->wait_for_line("ana: de vuelta", kWait));
}

TEST_CASE("a broker stopped with SIGTERM tells its clients first and exits 0", "[e2e][pipe]") {
  BrokerProcess broker;
  auto ana = start_client("ana", broker);
  broker.proc().signal(SIGTERM);
  REQUIRE(broker.proc().wait_exit(kWait) == 0);
  CHECK(ana->wait_for_line("el servidor se está cerrando", kWait));
}

TEST_CASE("the monitor shows a snapshot, then joins, status changes, idleness and leaves as JSON", "[e2e][monitor]") {
  BrokerProcess broker({"--idle-timeout", "1"});
  auto ana = start_client("ana", broker);
  auto mon = start_monitor(broker, true);
  const auto snap = mon->wait_for_line(R"("event":"snapshot")", kWait);
  REQUIRE(snap);
  CHECK(snap->find(R"("user":"ana")") != std::string::npos);
  CHECK(snap->find(R"("ip":"127.0.0.1")") != std::string::npos);
  CHECK(snap->find(R"("status":"ACTIVO")") != std::string::npos);
  CHECK(snap->find(R"("seq":1)") != std::string::npos);

  auto bob = start_client("bob", broker);
  const auto join = mon->wait_for_line(R"("event":"join","user":"bob")", kWait);
  REQUIRE(join);
  CHECK(join->find(R"("seq":2)") != std::string::npos);
  CHECK(join->find(R"("time":"20)") != std::string::npos);
  CHECK(join->find(R"(Z")") != std::string::npos);

  bob->write("/estado OCUPADO\n");
  CHECK(mon->wait_for_line(R"("event":"status","user":"bob","status":"OCUPADO")", kWait));
  const auto idle = mon->wait_for_line(R"("event":"status","user":"ana","status":"INACTIVO")", kWait);
  REQUIRE(idle);
  CHECK(idle->find(R"("cause":"idle")") != std::string::npos);
  ana->write("despierto\n");
  CHECK(mon->wait_for_line(R"("event":"status","user":"ana","status":"ACTIVO")", kWait));
  ana->close_stdin();
  CHECK(mon->wait_for_line(R"("event":"leave","user":"ana")", kWait));
}

TEST_CASE("every binary answers --help and --version and exits 0", "[e2e][cli]") {
  for (const auto& bin : {kBrokerBin, kClientBin, kMonitorBin}) {
    for (const char* flag : {"--help", "--version"}) {
      Process p({bin, flag});
      REQUIRE(p.wait_exit(kWait) == 0);
      CHECK_FALSE(p.out().empty());
    }
  }
}
