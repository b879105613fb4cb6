// charla-monitor: options and start-up; behaviour is in monitor.cpp.
#include <charla/client/monitor.hpp>
#include <charla/client/security.hpp>
#include <charla/client/signals.hpp>

#include <charla/version.hpp>

#include <CLI/CLI.hpp>

#include <iostream>

int main(int argc, char** argv) {
  using namespace charla::client;
  std::string host;
  std::uint16_t port = 8082;
  bool json = false;
  double timeout_s = 5;
  SecurityArgs security;

  CLI::App app{"charla-monitor: muestra quién está conectado y cada cambio de presencia\n"
               "(entra, sale, se pierde, cambia de estado), con hora e IP."};
  app.set_version_flag("--version", std::string("charla-monitor ") + charla::kVersionString);
  app.add_option("host,-H,--host", host, "Servidor (nombre o IP)")->required();
  app.add_option("puerto,-p,--port", port, "Puerto de comandos del servidor")->capture_default_str();
  app.add_flag("--json", json, "Un objeto JSON por línea (event, user, status, ip, time, seq)");
  app.add_option("--timeout", timeout_s, "Segundos de espera al conectar")->capture_default_str()->check(CLI::Range(0.1, 600.0));
  add_security_options(app, security);
  CLI11_PARSE(app, argc, argv);

  SignalFd signals;
  try {
    Connection::Options options{host, port, "", milliseconds(static_cast<long>(timeout_s * 1000)), {}, {}, {}};
    apply_security(security, options);
    Connection conn(options);
    conn.start();
    Console console(false, !json && want_color(STDOUT_FILENO));
    return Monitor(conn, console, json).run(signals.fd());
  } catch (const std::exception& e) {
    std::cerr << "charla-monitor: no se pudo conectar: " << e.what() << "\n";
    return 1;
  }
}
