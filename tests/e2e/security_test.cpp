// CURVE and the allow-list, end to end with the real binaries: each mix-up
// ends in one clear line and a non-zero exit, never a hang.
#include "binaries.hpp"

#include <charla/msg/codec.hpp>
#include <charla/msg/keys.hpp>

#include <zmq.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>

using namespace charla::test;
using std::chrono::milliseconds;
namespace fs = std::filesystem;

namespace {

constexpr milliseconds kWait{8000};

}  // namespace

TEST_CASE("charla-keygen writes a secret readable only by its owner and refuses to overwrite it", "[e2e][security]") {
  TempDir dir;
  const auto pub = keygen(dir.path / "srv.key");
  CHECK(pub.size() == 40);
  struct stat st {};
  REQUIRE(::stat((dir.path / "srv.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  std::ifstream in(dir.path / "srv.pub");
  std::string written;
  in >> written;
  CHECK(written == pub);

  Process again({kKeygenBin, "--secret", (dir.path / "srv.key").string()});
  CHECK(again.wait_exit(kWait) == 1);
  CHECK(again.err().find("ya existe") != std::string::npos);

  Process show({kKeygenBin, "--secret", (dir.path / "srv.key").string(), "--show-public"});
  REQUIRE(show.wait_exit(kWait) == 0);
  CHECK(show.out().substr(0, 40) == pub);
}

TEST_CASE("with CURVE, clients and the monitor talk encrypted end to end", "[e2e][security]") {
  TempDir dir;
  keygen(dir.path / "srv.key");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string()});
  const auto key = (dir.path / "srv.pub").string();
  auto ana = run_client("ana", broker, dir.path / "ana", {"--server-key", key});
  auto bob = run_client("bob", broker, dir.path / "bob", {"--server-key", key});
  REQUIRE(ana->wait_for_line("Conectado a", kWait));
  REQUIRE(bob->wait_for_line("Conectado a", kWait));
  Process mon({kMonitorBin, "127.0.0.1", broker.port_str(), "--json", "--server-key", key},
              {"XDG_CONFIG_HOME=" + (dir.path / "mon").string()});
  REQUIRE(mon.wait_for_line(R"("event":"snapshot")", kWait));
  ana->write("cifrado\n");
  CHECK(bob->wait_for_line("ana: cifrado", kWait));
  ana->write("@bob también privado\n");  // another socket: no order with the broadcast
  CHECK(bob->wait_for_line("(privado) ana: también privado", kWait));
  bob->close_stdin();
  CHECK(mon.wait_for_line(R"("event":"leave","user":"bob")", kWait));
  // Each client made and kept its own key pair.
  CHECK(fs::exists(dir.path / "ana" / "charla" / "client.key"));
  CHECK(fs::exists(dir.path / "bob" / "charla" / "client.pub"));
}

TEST_CASE("a client with the wrong server key gets a clear error, not a hang", "[e2e][security]") {
  TempDir dir;
  keygen(dir.path / "srv.key");
  const auto wrong = keygen(dir.path / "other.key");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string()});
  auto p = run_client("ana", broker, dir.path, {"--server-key", wrong});
  REQUIRE(p->wait_exit(kWait) == 1);
  CHECK(p->err().find("--server-key") != std::string::npos);
  CHECK(std::count(p->err().begin(), p->err().end(), '\n') == 1);
}

TEST_CASE("a key not on the allow-list is refused with a clear error, a listed one gets in", "[e2e][security]") {
  TempDir dir;
  keygen(dir.path / "srv.key");
  fs::create_directories(dir.path / "allow");
  keygen(dir.path / "allow" / "bob.key");
  fs::remove(dir.path / "allow" / "bob.key");  // the list holds public keys only
  keygen(dir.path / "bob.key");
  fs::copy_file(dir.path / "bob.pub", dir.path / "allow" / "bob-real.pub");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string(), "--allow-keys", (dir.path / "allow").string()});
  const auto key = (dir.path / "srv.pub").string();

  auto eve = run_client("eve", broker, dir.path / "eve", {"--server-key", key});
  REQUIRE(eve->wait_exit(kWait) == 1);
  CHECK(eve->err().find("autorizada") != std::string::npos);
  CHECK(broker.proc().wait_for_line("acceso denegado", kWait, true));

  auto bob = run_client("bob", broker, dir.path, {"--server-key", key, "--client-key", (dir.path / "bob.key").string()});
  CHECK(bob->wait_for_line("Conectado a", kWait));
}

TEST_CASE("plaintext and CURVE mixed up either way give a clear error", "[e2e][security]") {
  TempDir dir;
  keygen(dir.path / "srv.key");
  SECTION("a plaintext client against a CURVE broker") {
    BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string()});
    auto p = run_client("ana", broker, dir.path, {});
    REQUIRE(p->wait_exit(kWait) == 1);
    CHECK(p->err().find("--server-key") != std::string::npos);
  }
  SECTION("a CURVE client against a plaintext broker") {
    BrokerProcess broker;
    auto p = run_client("ana", broker, dir.path, {"--server-key", (dir.path / "srv.pub").string()});
    REQUIRE(p->wait_exit(kWait) == 1);
    CHECK(p->err().find("no usa cifrado") != std::string::npos);  // certain or among the possible reasons
  }
}

TEST_CASE("a broker on a public address without CURVE warns loudly at start-up", "[e2e][security]") {
  Process p({kBrokerBin, "--bind", "0.0.0.0", "--port", "0", "--pub-port", "0", "--db", ":memory:"});
  CHECK(p.wait_for_line("SIN CIFRAR", kWait, true));
  p.signal(SIGTERM);
  CHECK(p.wait_exit(kWait) == 0);
}

TEST_CASE("the allow-list guards the broadcast socket too", "[e2e][security]") {
  TempDir dir;
  const auto server_public = keygen(dir.path / "srv.key");
  fs::create_directories(dir.path / "allow");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string(), "--allow-keys", (dir.path / "allow").string()});

  // A SUB with a key that is not on the list: the broker's ZAP handler refuses its handshake.
  const auto eve = charla::msg::generate_keypair();
  zmq::context_t ctx(1);
  zmq::socket_t sub(ctx, zmq::socket_type::sub);
  sub.set(zmq::sockopt::linger, 0);
  sub.set(zmq::sockopt::curve_serverkey, charla::msg::z85_to_binary(server_public));
  sub.set(zmq::sockopt::curve_publickey, charla::msg::z85_to_binary(eve.public_z85));
  sub.set(zmq::sockopt::curve_secretkey, charla::msg::z85_to_binary(eve.secret_z85));
  sub.set(zmq::sockopt::subscribe, "");
  struct Refused : zmq::monitor_t {
    bool refused = false;
    void on_event_handshake_failed_auth(const zmq_event_t&, const char*) override { refused = true; }
  } watch;
  watch.init(sub, "inproc://eve-sub", ZMQ_EVENT_HANDSHAKE_FAILED_AUTH);
  sub.connect("tcp://127.0.0.1:" + std::to_string(broker.pub_port()));
  const auto deadline = std::chrono::steady_clock::now() + kWait;
  while (!watch.refused && std::chrono::steady_clock::now() < deadline) watch.check_event(100);
  CHECK(watch.refused);
  CHECK(broker.proc().wait_for_line("acceso denegado", kWait, true));
}

TEST_CASE("the broker reads a key file with blanks around the key and refuses one without a key", "[e2e][security]") {
  TempDir dir;
  const auto keys = charla::msg::generate_keypair();
  std::ofstream(dir.path / "spaced.key") << "\n  " << keys.secret_z85 << "  \n\n";
  std::ofstream(dir.path / "junk.key") << "esto no es una clave\n";
  {
    BrokerProcess broker({"--curve-secret", (dir.path / "spaced.key").string()});
    auto p = run_client("ana", broker, dir.path, {"--server-key", keys.public_z85});
    CHECK(p->wait_for_line("Conectado a", kWait));
  }
  Process bad({kBrokerBin, "--bind", "127.0.0.1", "--port", "0", "--pub-port", "0", "--db", ":memory:", "--curve-secret",
               (dir.path / "junk.key").string()});
  CHECK(bad.wait_exit(kWait) == 1);
  CHECK(bad.err().find("no contiene una clave CURVE") != std::string::npos);
}

namespace {

// A raw DEALER with its own CURVE key pair, for what the charla client never sends.
struct CurveDealer {
  CurveDealer(zmq::context_t& ctx, const BrokerProcess& b, const std::string& server_public,
              const charla::msg::KeyPair& keys)
      : s(ctx, zmq::socket_type::dealer) {
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::curve_serverkey, charla::msg::z85_to_binary(server_public));
    s.set(zmq::sockopt::curve_publickey, charla::msg::z85_to_binary(keys.public_z85));
    s.set(zmq::sockopt::curve_secretkey, charla::msg::z85_to_binary(keys.secret_z85));
    s.connect("tcp://127.0.0.1:" + b.port_str());
  }
  charla::msg::Message ask(const charla::msg::Message& m) {
    s.send(charla::msg::encode(m, 1), zmq::send_flags::none);
    zmq::pollitem_t item{s.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(zmq::poll(&item, 1, kWait) == 1);
    zmq::message_t reply;
    (void)s.recv(reply);
    auto d = charla::msg::decode(reply.data(), reply.size());
    REQUIRE(d);
    return d.value().msg;
  }
  zmq::socket_t s;
};

}  // namespace

TEST_CASE("only a trusted gateway's connection may give its user's own address", "[e2e][security][gateway]") {
  namespace msg = charla::msg;
  TempDir dir;
  const auto server_public = keygen(dir.path / "srv.key");
  fs::create_directories(dir.path / "gateways");
  keygen(dir.path / "gw.key");
  fs::copy_file(dir.path / "gw.pub", dir.path / "gateways" / "gw.pub");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string(), "--gateway-keys", (dir.path / "gateways").string()});
  const msg::KeyPair gateway{msg::read_key_file(dir.path / "gw.pub"), msg::read_key_file(dir.path / "gw.key")};
  zmq::context_t ctx(1);

  CurveDealer web(ctx, broker, server_public, gateway);
  const auto w = web.ask(msg::Hello{"navegante", "", 5, "203.0.113.9"});
  REQUIRE(std::holds_alternative<msg::Welcome>(w));
  const auto info = web.ask(msg::Info{"navegante"});
  REQUIRE(std::holds_alternative<msg::UserInfo>(info));
  CHECK(std::get<msg::UserInfo>(info).ip == "203.0.113.9");
  const auto bad = web.ask(msg::Hello{"otro", "", 5, "no es una ip"});  // a second hello on a joined connection
  CHECK(std::get<msg::Error>(bad).code == msg::ErrorCode::already_joined);

  CurveDealer web2(ctx, broker, server_public, gateway);
  const auto not_ip = web2.ask(msg::Hello{"otro", "", 5, "no es una ip"});
  REQUIRE(std::holds_alternative<msg::Error>(not_ip));
  CHECK(std::get<msg::Error>(not_ip).code == msg::ErrorCode::bad_field);

  CurveDealer ordinary(ctx, broker, server_public, msg::generate_keypair());  // any key may connect: no allow-list
  const auto refused = ordinary.ask(msg::Hello{"impostor", "", 6, "198.51.100.1"});
  REQUIRE(std::holds_alternative<msg::Error>(refused));
  CHECK(std::get<msg::Error>(refused).code == msg::ErrorCode::forbidden);
  const auto plain = ordinary.ask(msg::Hello{"honesto"});
  REQUIRE(std::holds_alternative<msg::Welcome>(plain));
  const auto own = ordinary.ask(msg::Info{"honesto"});
  CHECK(std::get<msg::UserInfo>(own).ip == "127.0.0.1");
}

TEST_CASE("users of one trusted gateway share its key but never each other's names or sessions",
          "[e2e][security][gateway]") {
  namespace msg = charla::msg;
  TempDir dir;
  const auto server_public = keygen(dir.path / "srv.key");
  fs::create_directories(dir.path / "gateways");
  keygen(dir.path / "gw.key");
  fs::copy_file(dir.path / "gw.pub", dir.path / "gateways" / "gw.pub");
  BrokerProcess broker({"--curve-secret", (dir.path / "srv.key").string(), "--gateway-keys", (dir.path / "gateways").string()});
  const msg::KeyPair gateway{msg::read_key_file(dir.path / "gw.pub"), msg::read_key_file(dir.path / "gw.key")};
  zmq::context_t ctx(1);

  CurveDealer ana(ctx, broker, server_public, gateway);
  REQUIRE(std::holds_alternative<msg::Welcome>(ana.ask(msg::Hello{"ana", "", 5, "203.0.113.9"})));
  CurveDealer other(ctx, broker, server_public, gateway);  // another tab, the same key
  const auto taken = other.ask(msg::Hello{"ANA", "", 6, "203.0.113.10"});
  REQUIRE(std::holds_alternative<msg::Error>(taken));
  CHECK(std::get<msg::Error>(taken).code == msg::ErrorCode::name_taken);
  const auto info = ana.ask(msg::Info{"ana"});  // ana's session is still hers
  REQUIRE(std::holds_alternative<msg::UserInfo>(info));
  CHECK(std::get<msg::UserInfo>(info).ip == "203.0.113.9");
}
