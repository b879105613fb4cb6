// charla: the console client. Options and start-up; behaviour is in chat_app.cpp.
#include <charla/client/chat_app.hpp>
#include <charla/client/security.hpp>
#include <charla/client/signals.hpp>

#include <charla/msg/names.hpp>
#include <charla/version.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace charla::client;
  std::string user, host;
  std::uint16_t port = 8082;
  double timeout_s = 5;
  SecurityArgs security;

  CLI::App app{"charla: cliente de consola del chat.\n"
               "  texto            envía a todos\n"
               "  @usuario texto   mensaje privado\n"
               "  /usuarios /info <usuario> /estado ACTIVO|OCUPADO|INACTIVO /ayuda /salir\n"
               "Con la entrada desde un pipe: sin prompt ni colores, un evento por línea, y sale al terminar la entrada."};
  app.set_version_flag("--version", std::string("charla ") + charla::kVersionString);
  app.add_option("usuario,-u,--user", user, "Tu nombre en el chat")->required();
  app.add_option("host,-H,--host", host, "Servidor (nombre o IP)")->required();
  app.add_option("puerto,-p,--port", port, "Puerto de comandos del servidor")->capture_default_str();
  app.add_option("--timeout", timeout_s, "Segundos de espera al conectar")->capture_default_str()->check(CLI::Range(0.1, 600.0));
  add_security_options(app, security);
  CLI11_PARSE(app, argc, argv);

  if (const auto problem = charla::msg::name_problem(user); !problem.empty()) {
    std::cerr << "charla: nombre no válido: " << problem << "\n";
    return 1;
  }
  SignalFd signals;
  try {
    Connection::Options options{host, port, user, milliseconds(static_cast<long>(timeout_s * 1000)), {}, {}, {}};
    apply_security(security, options);
    Connection conn(options);
    conn.start();
    const bool interactive = ::isatty(STDIN_FILENO) != 0;
    Console console(interactive, want_color(STDOUT_FILENO));
    return ChatApp(conn, console).run(signals.fd());
  } catch (const JoinFailed& e) {
    std::cerr << "charla: no se pudo entrar como '" << user << "': " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "charla: " << e.what() << "\n";
    return 1;
  }
}
