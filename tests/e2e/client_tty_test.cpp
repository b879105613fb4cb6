// End to end on a real terminal: the console client in tmux.
#include "binaries.hpp"
#include "tcp_proxy.hpp"
#include "tmux.hpp"

#include <catch2/catch.hpp>

using namespace charla::test;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kWait{5000};

std::string client_command(const BrokerProcess& b, const std::string& name, const std::string& env) {
  return "env TERM=xterm-256color " + env + " " + kClientBin + " " + name + " 127.0.0.1 " + b.port_str();
}

std::string last_line(const std::string& screen) {
  auto end = screen.find_last_not_of(" \n");
  if (end == std::string::npos) return {};
  const auto start = screen.rfind('\n', end);
  return screen.substr(start == std::string::npos ? 0 : start + 1, end - (start == std::string::npos ? 0 : start + 1) + 1);
}

}  // namespace

TEST_CASE("on a terminal, an incoming message never garbles the line being typed", "[e2e][tty]") {
  BrokerProcess broker;
  Tmux term(client_command(broker, "ana", "NO_COLOR=1"));
  REQUIRE(term.wait_for("ana>", kWait));
  auto bob = start_client("bob", broker);
  REQUIRE(term.wait_for("bob se unió", kWait));
  term.type("hola mun");
  REQUIRE(term.wait_for("ana> hola mun", kWait));
  bob->write("mensaje de bob\n");
  REQUIRE(term.wait_for("bob: mensaje de bob", kWait));
  const auto screen = term.screen();
  CHECK(last_line(screen) == "ana> hola mun");
  CHECK(screen.find("bob: mensaje de bob") < screen.rfind("ana> hola mun"));
  term.type("do");
  term.key("Enter");
  CHECK(bob->wait_for_line("ana: hola mundo", kWait));
}

TEST_CASE("on a terminal, tab completes commands and @names", "[e2e][tty]") {
  BrokerProcess broker;
  auto bob = start_client("bob", broker);
  Tmux term(client_command(broker, "ana", "NO_COLOR=1"));
  REQUIRE(term.wait_for("ana>", kWait));
  term.type("/usu");
  term.key("Tab");
  REQUIRE(term.wait_for("ana> /usuarios", kWait));
  term.key("Enter");
  REQUIRE(term.wait_for("en línea (2)", kWait));
  term.type("@b");
  term.key("Tab");
  REQUIRE(term.wait_for("ana> @bob", kWait));
  term.type("hola");
  term.key("Enter");
  CHECK(bob->wait_for_line("(privado) ana: hola", kWait));
}

TEST_CASE("on a terminal, colours are used unless NO_COLOR is set", "[e2e][tty]") {
  BrokerProcess broker;
  const bool no_color = GENERATE(false, true);
  Tmux term(client_command(broker, "ana", no_color ? "NO_COLOR=1" : ""));
  REQUIRE(term.wait_for("Conectado a", kWait));
  const auto raw = term.screen(true);
  CHECK((raw.find("\033[") != std::string::npos) == !no_color);
}

TEST_CASE("on a terminal, control characters in others' messages are shown harmlessly", "[e2e][tty]") {
  BrokerProcess broker;
  Tmux term(client_command(broker, "ana", "NO_COLOR=1"));
  REQUIRE(term.wait_for("ana>", kWait));
  auto bob = start_client("bob", broker);
  bob->write("antes\x1b]0;titulo\x07\x1b[2J\x1b[31mrojo\rdespues\n");
  REQUIRE(term.wait_for("bob: antes", kWait));
  const auto screen = term.screen(true);
  CHECK(screen.find("\x1b[31m") == std::string::npos);
  CHECK(screen.find("rojo") != std::string::npos);
  CHECK(screen.find("despues") != std::string::npos);
  CHECK(screen.find("\xE2\x90\x9B") != std::string::npos);  // U+241B, the picture of ESC
}

TEST_CASE("on a terminal, Ctrl-C and Ctrl-D leave cleanly", "[e2e][tty]") {
  BrokerProcess broker;
  auto bob = start_client("bob", broker);
  const std::string key = GENERATE(std::string("C-c"), std::string("C-d"));
  Tmux term(client_command(broker, "ana", "NO_COLOR=1"));
  REQUIRE(term.wait_for("ana>", kWait));
  REQUIRE(bob->wait_for_line("ana se unió", kWait));
  term.key(key);
  CHECK(term.wait_closed(kWait));
  CHECK(bob->wait_for_line("ana salió", kWait));
}

TEST_CASE("on a terminal, a name taken while away is said in one line and /nombre joins under another",
          "[e2e][tty][resume]") {
  BrokerProcess broker;
  TcpProxy proxy(broker.port());
  Tmux term("env TERM=xterm-256color NO_COLOR=1 " + kClientBin + " ana 127.0.0.1 " + std::to_string(proxy.port()));
  REQUIRE(term.wait_for("ana>", kWait));
  auto bob = start_client("bob", broker);
  proxy.set_down(true);
  proxy.reset_all();
  REQUIRE(bob->wait_for_line("ana se desconectó", kWait));
  auto other = start_client("ana", broker);  // somebody else is "ana" now
  proxy.set_down(false);
  REQUIRE(term.wait_for("es ahora de otra persona", milliseconds(15000)));
  CHECK(term.screen().find("/nombre") != std::string::npos);
  term.type("hola");  // not sent anywhere: first a name
  term.key("Enter");
  REQUIRE(term.wait_for("escribe /nombre <otro> o /salir", kWait));
  term.type("/nombre ana2");
  term.key("Enter");
  REQUIRE(term.wait_for("ana2>", kWait));
  REQUIRE(bob->wait_for_line("ana2 se unió", milliseconds(15000)));
  term.type("ya estoy");
  term.key("Enter");
  CHECK(bob->wait_for_line("ana2: ya estoy", kWait));
  CHECK(bob->out().find("ana: hola") == std::string::npos);
}
