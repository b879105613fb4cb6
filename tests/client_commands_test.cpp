#include <charla/client/commands.hpp>

#include <catch2/catch.hpp>

using namespace charla::client;
using charla::msg::Status;

template <class T>
const T& as(const Command& c) {
  REQUIRE(std::holds_alternative<T>(c));
  return std::get<T>(c);
}

TEST_CASE("plain text is a broadcast, trimmed", "[commands]") {
  CHECK(as<cmd::Broadcast>(parse_command("  hola a todos \r\n")).text == "hola a todos");
  CHECK(as<cmd::Broadcast>(parse_command("¿qué tal? ñandú")).text == "¿qué tal? ñandú");
}

TEST_CASE("a double slash sends a line that starts with a slash", "[commands]") {
  CHECK(as<cmd::Broadcast>(parse_command("//usuarios no es un comando")).text == "/usuarios no es un comando");
}

TEST_CASE("@name text is a private message; @name alone is a usage hint", "[commands]") {
  const auto c = parse_command("@bob  hola   bob ");
  const auto& p = as<cmd::Private>(c);
  CHECK(p.to == "bob");
  CHECK(p.text == "hola   bob");
  CHECK(as<cmd::Invalid>(parse_command("@bob")).hint.find("@usuario mensaje") != std::string::npos);
  CHECK(std::holds_alternative<cmd::Invalid>(parse_command("@ hola")));
}

TEST_CASE("commands have Spanish names and English aliases, in any case", "[commands]") {
  for (const char* s : {"/usuarios", "/users", "/USUARIOS", "/who"}) CHECK(std::holds_alternative<cmd::Users>(parse_command(s)));
  for (const char* s : {"/ayuda", "/help", "/Ayuda"}) CHECK(std::holds_alternative<cmd::Help>(parse_command(s)));
  for (const char* s : {"/salir", "/quit", "/exit"}) CHECK(std::holds_alternative<cmd::Quit>(parse_command(s)));
  CHECK(as<cmd::Info>(parse_command("/info bob")).name == "bob");
}

TEST_CASE("/info needs exactly one name", "[commands]") {
  CHECK(std::holds_alternative<cmd::Invalid>(parse_command("/info")));
  CHECK(std::holds_alternative<cmd::Invalid>(parse_command("/info bob eva")));
}

TEST_CASE("/estado takes Spanish or English status words", "[commands]") {
  CHECK(as<cmd::SetStatus>(parse_command("/estado OCUPADO")).status == Status::ocupado);
  CHECK(as<cmd::SetStatus>(parse_command("/estado activo")).status == Status::activo);
  CHECK(as<cmd::SetStatus>(parse_command("/status busy")).status == Status::ocupado);
  CHECK(as<cmd::SetStatus>(parse_command("/status idle")).status == Status::inactivo);
  CHECK(as<cmd::SetStatus>(parse_command("/status away")).status == Status::inactivo);
  CHECK(std::holds_alternative<cmd::Invalid>(parse_command("/estado feliz")));
  CHECK(std::holds_alternative<cmd::Invalid>(parse_command("/estado")));
}

TEST_CASE("an unknown command gets a hint naming it and /ayuda", "[commands]") {
  const auto c = parse_command("/bailar salsa");
  const auto& i = as<cmd::Invalid>(c);
  CHECK(i.hint.find("/bailar") != std::string::npos);
  CHECK(i.hint.find("/ayuda") != std::string::npos);
}

TEST_CASE("blank lines do nothing", "[commands]") {
  CHECK(std::holds_alternative<cmd::Empty>(parse_command("")));
  CHECK(std::holds_alternative<cmd::Empty>(parse_command("   \t")));
}
