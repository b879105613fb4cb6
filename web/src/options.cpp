#include "options.hpp"

#include <charla/version.hpp>

#include <CLI/CLI.hpp>

namespace charla::web {

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options o;
  std::size_t max_queue_kib = o.limits.max_queue / 1024;
  int ws_timeout_s = static_cast<int>(o.limits.ws_timeout.count());
  CLI::App app{"charla-web: el chat en el navegador. Sirve la página y, por cada pestaña, una sesión de charla en el "
               "servidor.\nAbre http://HOST:8080/ (https:// con --tls-cert) en un navegador."};
  app.set_version_flag("--version", std::string("charla-web ") + kVersionString);
  app.set_config("--config", "",
                 "Fichero de configuración: una opción por línea, 'nombre = valor' con el nombre largo "
                 "(http-port = 8080); lo que se da en la línea de órdenes manda");
  app.add_option("host,-H,--host", o.host, "Servidor de charla (nombre o IP)")->required();
  app.add_option("puerto,-p,--port", o.port, "Puerto de comandos del servidor")->capture_default_str();
  app.add_option("--listen", o.listen, "Dirección donde se sirve la página")->capture_default_str();
  app.add_option("--http-port", o.http_port, "Puerto de la página y del WebSocket /ws (0 = uno libre)")
      ->capture_default_str();
  client::add_security_options(app, o.security);
  app.add_option("--tls-cert", o.tls_cert, "Certificado (PEM) para servir HTTPS y WSS");
  app.add_option("--tls-key", o.tls_key, "Clave privada (PEM) del certificado");
  app.add_option("--max-sessions", o.limits.max_sessions, "Pestañas dentro del chat a la vez (y otras tantas esperando)")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--max-queue", max_queue_kib, "KiB que esperan a un navegador lento antes de descartar")
      ->capture_default_str()->check(CLI::Range(16, 65536));
  app.add_option("--origin", o.policy.origins,
                 "Origen permitido además del propio (https://ejemplo.org; * = cualquiera); repetible")
      ->take_all();
  app.add_flag("--trust-forwarded-for", o.policy.trust_forwarded_for,
               "Detrás de un proxy de confianza: la dirección del usuario es la última de X-Forwarded-For");
  app.add_option("--ws-timeout", ws_timeout_s, "Segundos sin respuesta tras los que un navegador se da por perdido")
      ->capture_default_str()->check(CLI::Range(2, 3600));
  app.add_option("--timeout", o.timeout_s, "Segundos de espera al conectar con el servidor")
      ->capture_default_str()->check(CLI::Range(0.1, 600.0));
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical u off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--port-file", o.port_file, "Al escuchar, escribe ahí el puerto de la página (para scripts)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    std::cerr << "charla-web: --tls-cert y --tls-key van juntas\n";
    return 2;
  }
  o.limits.max_waiting = o.limits.max_sessions;
  o.limits.max_queue = max_queue_kib * 1024;
  o.limits.ws_timeout = std::chrono::seconds(ws_timeout_s);
  o.policy.tls = !o.tls_cert.empty();
  return o;
}

}  // namespace charla::web
