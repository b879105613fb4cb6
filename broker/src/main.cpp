// charla-broker: logging, signals, and the broker's life. Options are in
// options.cpp; the broker itself in broker.cpp.
#include "options.hpp"
#include "store.hpp"

#include <charla/broker/broker.hpp>
#include <charla/msg/names.hpp>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <thread>

namespace {

void setup_logging(const std::string& level) {
  const auto mode = std::getenv("NO_COLOR") != nullptr ? spdlog::color_mode::never : spdlog::color_mode::automatic;
  auto logger = std::make_shared<spdlog::logger>("charla", std::make_shared<spdlog::sinks::stderr_color_sink_mt>(mode));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// charla-broker --release-name NAME: the administrator frees a name its owner's key held.
int release_name(const charla::broker::Options& o) {
  const auto path = o.cfg.db.empty() ? charla::broker::default_db_path() : o.cfg.db;
  try {
    charla::broker::Store store(path);
    if (store.release_name(charla::msg::fold_name(o.release_name))) {
      std::cout << "el nombre '" << o.release_name << "' queda libre (" << path << ")\n";
      return 0;
    }
    std::cerr << "charla-broker: el nombre '" << o.release_name << "' no tenía dueño en " << path << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "charla-broker: " << e.what() << "\n";
    return 1;
  }
}

bool loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1" || host == "[::1]";
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
  // A file-size limit (ulimit -f, systemd's LimitFSIZE) is a full disk to the store,
  // which refuses what it cannot write, not a reason to die.
  std::signal(SIGXFSZ, SIG_IGN);

  auto parsed = charla::broker::parse_options(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<charla::broker::Options>(parsed);
  if (!options.release_name.empty()) return release_name(options);
  setup_logging(options.log_level);

  try {
    charla::broker::load_keys(options);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  const auto& cfg = options.cfg;
  if (cfg.curve_secret.empty() && !loopback(cfg.bind)) {
    spdlog::warn("ATENCIÓN: escuchando en {} SIN CIFRAR: cualquiera en la red puede leer los mensajes y "
                 "conectarse. Usa --curve-secret (ver charla-keygen) o --bind 127.0.0.1.",
                 cfg.bind);
  }

  try {
    charla::broker::Broker broker(cfg);
    if (!options.port_file.empty()) {
      std::ofstream(options.port_file) << broker.port() << ' ' << broker.pub_port() << '\n';
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
