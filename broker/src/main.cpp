// charla-broker: options, logging, signals. The broker itself is in broker.cpp.
#include "broker.hpp"

#include <charla/msg/keys.hpp>

#include <charla/version.hpp>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <iostream>
#include <thread>

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("charla");
  if (std::getenv("NO_COLOR") != nullptr) {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>(spdlog::color_mode::never);
    logger = std::make_shared<spdlog::logger>("charla-nc", sink);
  }
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

bool loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
}

std::set<std::string> load_allow_list(const std::string& dir) {
  std::set<std::string> keys;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().filename().string().front() == '.') continue;
    keys.insert(charla::msg::z85_to_binary(charla::msg::read_key_file(entry.path())));
  }
  spdlog::info("{} claves autorizadas en {}", keys.size(), dir);
  return keys;
}

}  // namespace

int main(int argc, char** argv) {
  // Signals are taken by one thread with sigwait (from the start, so none is lost);
  // every other thread blocks them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  charla::broker::Config cfg;
  cfg.rate = charla::broker::kDefaultRate;
  std::string log_level = "info";
  std::string port_file, curve_secret_file, allow_dir;

  CLI::App app{"charla-broker: servidor de chat de charla (ZeroMQ).\n"
               "Comandos y mensajes privados por ROUTER (--port); difusión y presencia por PUB (--pub-port)."};
  app.set_version_flag("--version", std::string("charla-broker ") + charla::kVersionString);
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
      ->capture_default_str()->check(CLI::Range(10u, 60000u));
  app.add_option("--expiry-ms", cfg.expiry_ms, "Un cliente sin noticias en este tiempo se da por perdido (ms)")
      ->capture_default_str()->check(CLI::Range(30u, 600000u));
  app.add_option("--max-text", cfg.max_text, "Bytes máximos de un mensaje de texto")
      ->capture_default_str()->check(CLI::Range(1, 60000));
  app.add_option("--max-frame", cfg.max_frame, "Bytes máximos de un frame; uno mayor cierra la conexión")
      ->capture_default_str()->check(CLI::Range(1024, 16 * 1024 * 1024));
  app.add_option("--max-sessions", cfg.max_sessions, "Sesiones simultáneas como máximo")
      ->capture_default_str()->check(CLI::Range(1, 1000000));
  app.add_option("--pub-hwm", cfg.pub_hwm, "Frames en cola por suscriptor antes de descartar (un frame: un mensaje o una ráfaga de hasta 32 KiB)")->capture_default_str();
  app.add_option("--rate", cfg.rate, "Mensajes por segundo por conexión (0 = sin límite)")
      ->capture_default_str()->check(CLI::Range(0.0, 1e9));
  app.add_option("--burst", cfg.burst, "Mensajes seguidos permitidos antes de aplicar --rate")
      ->capture_default_str()->check(CLI::Range(1.0, 1e9));
  app.add_option("--curve-secret", curve_secret_file,
                 "Fichero con la clave secreta CURVE del servidor: cifra y autentica ambos sockets")
      ->check(CLI::ExistingFile);
  app.add_option("--allow-keys", allow_dir,
                 "Directorio con las claves públicas de los clientes autorizados (una por fichero)")
      ->check(CLI::ExistingDirectory);
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical u off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.add_option("--port-file", port_file, "Escribe aquí 'PUERTO PUERTO_PUB' al escuchar (para scripts)");
  CLI11_PARSE(app, argc, argv);
  if (cfg.expiry_ms <= cfg.heartbeat_ms) {
    std::cerr << "charla-broker: --expiry-ms debe ser mayor que --heartbeat-ms\n";
    return 2;
  }
  if (cfg.max_frame < cfg.max_text + 1024) {
    std::cerr << "charla-broker: --max-frame debe superar a --max-text en al menos 1024 bytes\n";
    return 2;
  }

  setup_logging(log_level);

  try {
    if (!curve_secret_file.empty()) cfg.curve_secret = charla::msg::read_key_file(curve_secret_file);
    if (!allow_dir.empty()) {
      if (cfg.curve_secret.empty()) throw std::runtime_error("--allow-keys necesita --curve-secret");
      cfg.allow_keys = load_allow_list(allow_dir);
    }
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  if (cfg.curve_secret.empty() && !loopback(cfg.bind)) {
    spdlog::warn("ATENCIÓN: escuchando en {} SIN CIFRAR: cualquiera en la red puede leer los mensajes y "
                 "conectarse. Usa --curve-secret (ver charla-keygen) o --bind 127.0.0.1.",
                 cfg.bind);
  }

  try {
    charla::broker::Broker broker(cfg);
    if (!port_file.empty()) {
      std::ofstream(port_file) << broker.port() << ' ' << broker.pub_port() << '\n';
    }
    std::thread waiter([&] {
      int sig = 0;
      sigwait(&signals, &sig);
      spdlog::info("señal {} recibida", sig == SIGINT ? "SIGINT" : "SIGTERM");
      broker.request_stop();
    });
    broker.run();
    // run() can also end on its own (a worker failed): wake the waiter so it can be joined.
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
