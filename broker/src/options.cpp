#include "options.hpp"

#include <charla/msg/keys.hpp>
#include <charla/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <iostream>
#include <stdexcept>

namespace charla::broker {
namespace {

// The public keys kept one per file in `dir` (names starting with '.' skipped).
std::set<std::string> load_keys_in(const std::string& dir, const char* what) {
  std::set<std::string> keys;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().front() == '.') continue;
    keys.insert(msg::z85_to_binary(msg::read_key_file(entry.path())));
  }
  spdlog::info("{} claves de {} en {}", keys.size(), what, dir);
  return keys;
}

// A token bucket's two options (docs/protocol.md 2.4): its rate per second (0: none) and its size.
struct BucketOption {
  const char* name;
  double& value;
  const char* help;
};
void add_bucket(CLI::App& app, BucketOption rate, BucketOption burst) {
  app.add_option(rate.name, rate.value, rate.help)->capture_default_str()->check(CLI::Range(0.0, 1e9));
  app.add_option(burst.name, burst.value, burst.help)->capture_default_str()->check(CLI::Range(1.0, 1e9));
}

void add_options(CLI::App& app, Options& o) {
  Config& cfg = o.cfg;
  app.set_version_flag("--version", std::string("charla-broker ") + kVersionString);
  app.set_config("--config", "",
                 "Fichero de configuración: una opción por línea, 'nombre = valor' con el nombre largo "
                 "(port = 8082); lo que se da en la línea de órdenes manda");
  app.add_option("--bind", cfg.bind, "Dirección en la que escuchar")->capture_default_str();
  app.add_option("-p,--port", cfg.port, "Puerto ROUTER (comandos); 0 = uno libre")->capture_default_str();
  app.add_option("--pub-port", cfg.pub_port, "Puerto PUB (difusión y presencia); 0 = uno libre")->capture_default_str();
  app.add_option("--workers", cfg.workers, "Hilos trabajadores (0 = uno por hilo de hardware)")->capture_default_str();
  app.add_option("--io-threads", cfg.io_threads, "Hilos de E/S de ZeroMQ (el lado TCP de ambos sockets)")
      ->check(CLI::Range(1, 16))
      ->capture_default_str();
  app.add_option("--idle-timeout", cfg.idle_timeout_s, "Segundos sin actividad hasta INACTIVO (0 = nunca)")
      ->capture_default_str();
  app.add_option("--heartbeat-ms", cfg.heartbeat_ms, "Intervalo de latido en ms")
      ->capture_default_str()
      ->check(CLI::Range(10u, 60000u));
  app.add_option("--expiry-ms", cfg.expiry_ms, "Un cliente sin noticias en este tiempo se da por perdido (ms)")
      ->capture_default_str()
      ->check(CLI::Range(30u, 600000u));
  app.add_option("--max-text", cfg.max_text, "Bytes máximos de un mensaje de texto")
      ->capture_default_str()
      ->check(CLI::Range(1, 60000));
  app.add_option("--max-frame", cfg.max_frame, "Bytes máximos de un frame; uno mayor cierra la conexión")
      ->capture_default_str()
      ->check(CLI::Range(1024, 16 * 1024 * 1024));
  app.add_option("--max-sessions", cfg.max_sessions, "Sesiones simultáneas como máximo")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000000));
  app.add_option("--pub-hwm", cfg.pub_hwm,
                 "Frames en cola por suscriptor antes de descartar (un frame: un mensaje o una ráfaga de hasta 32 KiB)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000000));
  app.add_option("--max-queue", cfg.max_queue,
                 "Bytes que el servidor guarda por conexión: respuestas que aún no caben (si no lee, se corta) "
                 "y mensajes privados sin confirmar (si no caben, el remitente recibe queue_full)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{65536}, std::size_t{1} << 32));
  add_bucket(app, {"--rate", cfg.rate, "Mensajes por segundo por conexión (0 = sin límite)"},
             {"--burst", cfg.burst, "Mensajes seguidos permitidos antes de aplicar --rate"});
  app.add_option("--query-pending", cfg.query_pending,
                 "Consultas (history, search) que una conexión puede tener esperando respuesta (más: busy)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{1000}));
  app.add_option("--query-queue", cfg.query_queue,
                 "Consultas que pueden esperar respuesta a la vez, entre todas las conexiones (más: busy)")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{100000}));
  app.add_option("--curve-secret", o.curve_secret_file,
                 "Fichero con la clave secreta CURVE del servidor (40 caracteres Z85, como la escribe "
                 "charla-keygen): cifra y autentica ambos sockets")
      ->check(CLI::ExistingFile);
  app.add_option("--allow-keys", o.allow_dir,
                 "Directorio con las claves públicas de los clientes autorizados (una por fichero)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--db", cfg.db,
                 "Fichero SQLite con el historial, los nombres con dueño y los privados que esperan; "
                 "\":memory:\" no guarda nada entre arranques")
      ->default_str(default_db_path());
  app.add_option("--history-join", cfg.history_on_join, "Mensajes del historial que recibe quien entra")
      ->capture_default_str()
      ->check(CLI::Range(0u, 200u));
  app.add_option("--history-keep", cfg.history_keep, "Mensajes que guarda el historial como mucho (0 = sin límite)")
      ->capture_default_str();
  app.add_option("--history-days", cfg.history_days, "Días que se guarda un mensaje (0 = sin límite)")->capture_default_str();
  app.add_option("--name-ttl", cfg.name_ttl_days,
                 "Días sin usarse tras los que un nombre con dueño (CURVE) queda libre")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  app.add_option("--mail-keep", cfg.mail_keep, "Mensajes privados que esperan a un usuario, como mucho")
      ->capture_default_str()
      ->check(CLI::Range(0u, 100000u));
  app.add_option("--mail-days", cfg.mail_days, "Días que espera un mensaje privado")
      ->capture_default_str()
      ->check(CLI::Range(1u, 36500u));
  app.add_option("--max-owned-names", cfg.max_owned_names,
                 "Nombres con dueño (CURVE) como mucho, entre todas las claves; pasado el límite se entra sin "
                 "ser dueño del nombre")
      ->capture_default_str()
      ->check(CLI::Range(std::size_t{1}, std::size_t{10000000}));
  app.add_option("--names-per-key", cfg.names_per_key,
                 "Nombres con dueño por clave que no está en --allow-keys (sin lista: cualquier clave)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  app.add_option("--names-per-address", cfg.names_per_address,
                 "Nombres nuevos al día que pueden reclamar desde una dirección (IPv6: su /64) las claves que "
                 "no están en --allow-keys")
      ->capture_default_str()
      ->check(CLI::Range(1u, 100000u));
  app.add_option("--new-name-ttl", cfg.new_name_ttl_h,
                 "Horas sin usarse tras las que queda libre el nombre de una clave que no está en --allow-keys "
                 "si su dueño no ha vuelto a entrar con él")
      ->capture_default_str()
      ->check(CLI::Range(1u, 876000u));
  app.add_option("--mail-per-sender", cfg.mail_per_sender,
                 "Mensajes privados que un remitente puede tener esperando a otros, como mucho")
      ->capture_default_str()
      ->check(CLI::Range(0u, 100000u));
  app.add_option("--mail-max-mb", o.mail_max_mb,
                 "MiB de mensajes privados que esperan, en total (texto, remitente y 64 bytes por mensaje)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000000u));
  app.add_option("--release-name", o.release_name,
                 "No arranca: libera el nombre dado en la base de datos (--db) para que otra clave pueda usarlo");
  app.add_option("--gateway-keys", o.gateway_dir,
                 "Directorio con las claves públicas de las pasarelas de confianza (charla-web): solo ellas pueden "
                 "dar en hello la dirección real de su usuario")
      ->check(CLI::ExistingDirectory);
  app.add_option("--log-level", o.log_level, "trace, debug, info, warn, error, critical u off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--port-file", o.port_file, "Escribe aquí 'PUERTO PUERTO_PUB' al escuchar (para scripts)");
}

// What CLI11's checks cannot say: relations between options. Empty when fine.
std::string problem(const Config& cfg) {
  if (cfg.expiry_ms <= cfg.heartbeat_ms) return "--expiry-ms debe ser mayor que --heartbeat-ms";
  if (cfg.max_frame < cfg.max_text + 1024) return "--max-frame debe superar a --max-text en al menos 1024 bytes";
  return {};
}

}  // namespace

std::variant<Options, int> parse_options(int argc, char** argv) {
  Options o;
  o.cfg.db = "";  // the default place, unless --db says otherwise
  CLI::App app{"charla-broker: servidor de chat de charla (ZeroMQ).\n"
               "Comandos y mensajes privados por ROUTER (--port); difusión y presencia por PUB (--pub-port)."};
  add_options(app, o);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  o.cfg.mail_max_bytes = std::uint64_t{o.mail_max_mb} << 20;
  if (const auto p = problem(o.cfg); !p.empty()) {
    std::cerr << "charla-broker: " << p << "\n";
    return 2;
  }
  return o;
}

void load_keys(Options& o) {
  if (!o.curve_secret_file.empty()) o.cfg.curve_secret = msg::read_key_file(o.curve_secret_file);
  if (!o.allow_dir.empty()) {
    if (o.cfg.curve_secret.empty()) throw std::runtime_error("--allow-keys necesita --curve-secret");
    o.cfg.allow_keys = load_keys_in(o.allow_dir, "clientes autorizados");
  }
  if (!o.gateway_dir.empty()) {
    if (o.cfg.curve_secret.empty()) throw std::runtime_error("--gateway-keys necesita --curve-secret");
    o.cfg.gateway_keys = load_keys_in(o.gateway_dir, "pasarelas de confianza");
  }
}

}  // namespace charla::broker
