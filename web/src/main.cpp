// charla-web: options, logging, signals and the gateway's two threads: the asio
// one here (the browsers' sockets: listener.cpp, http_session.cpp,
// websocket_session.cpp) and the broker side's (broker_side.cpp).
#include "broker_side.hpp"
#include "listener.hpp"
#include "options.hpp"
#include "shared_state.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>

#include <csignal>
#include <cstdlib>
#include <fstream>

namespace {

using namespace charla::web;

void setup_logging(const std::string& level) {
  const auto mode = std::getenv("NO_COLOR") != nullptr ? spdlog::color_mode::never : spdlog::color_mode::automatic;
  auto logger = std::make_shared<spdlog::logger>("charla-web", std::make_shared<spdlog::sinks::stderr_color_sink_mt>(mode));
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

bool loopback(const std::string& host) {
  return host.rfind("127.", 0) == 0 || host == "localhost" || host == "::1";
}

// Each browser costs a socket, and its tab a DEALER: as many descriptors as allowed.
void raise_fd_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &r);
  }
}

std::unique_ptr<net::ssl::context> tls_context(const Options& o) {
  if (o.tls_cert.empty()) return nullptr;
  auto ctx = std::make_unique<net::ssl::context>(net::ssl::context::tls_server);
  ctx->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                   net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
  try {
    ctx->use_certificate_chain_file(o.tls_cert);
  } catch (const std::exception& e) {
    throw std::runtime_error("no se pudo leer el certificado " + o.tls_cert + ": " + e.what());
  }
  try {
    ctx->use_private_key_file(o.tls_key, net::ssl::context::pem);
  } catch (const std::exception& e) {
    throw std::runtime_error("no se pudo leer la clave " + o.tls_key + " (o no es la del certificado): " + e.what());
  }
  return ctx;
}

int serve(Options& o) {
  raise_fd_limit();
  auto tls = tls_context(o);
  if (!tls && !loopback(o.listen)) {
    spdlog::warn("ATENCIÓN: sirviendo en {} SIN CIFRAR (HTTP): cualquiera en la red puede leer las conversaciones. "
                 "Usa --tls-cert y --tls-key, o --listen 127.0.0.1 detrás de un proxy con HTTPS.",
                 o.listen);
  }
  BrokerSide::Settings settings;
  settings.broker.host = o.host;
  settings.broker.port = o.port;
  settings.broker.timeout = charla::client::milliseconds(static_cast<long>(o.timeout_s * 1000));
  charla::client::apply_security(o.security, settings.broker);
  settings.give_address = !settings.broker.server_key.empty();

  auto ioc_holder = std::make_unique<net::io_context>(1);
  auto& ioc = *ioc_holder;
  BrokerSide broker(ioc, settings);  // throws when the broker cannot be watched
  SharedState state(broker, o.limits, o.policy);
  const auto address = net::ip::make_address(o.listen);
  auto listener = std::make_shared<Listener>(ioc, tcp::endpoint{address, o.http_port}, state, tls.get());
  listener->run();
  // Before saying where it listens: whoever reads that may signal it at once.
  auto signals = std::make_unique<net::signal_set>(ioc, SIGINT, SIGTERM);
  signals->async_wait([&](beast::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("señal {} recibida: despidiendo a las {} pestañas", sig == SIGINT ? "SIGINT" : "SIGTERM",
                 broker.tabs());
    listener->stop();
    // With no browser connected nothing else keeps the loop running: without this it
    // would return at once, and the broker side would post its goodbye to a loop gone.
    auto hold = std::make_shared<net::executor_work_guard<net::io_context::executor_type>>(ioc.get_executor());
    broker.shutdown([&, hold] {
      state.finish_all();  // the pages reconnect by themselves when the gateway is back
      // What is queued goes out, and the sockets close; then the loop ends.
      auto timer = std::make_shared<net::steady_timer>(ioc, std::chrono::milliseconds(500));
      timer->async_wait([&ioc, timer](beast::error_code) { ioc.stop(); });
    });
  });
  const auto port = listener->port();
  if (!o.port_file.empty()) std::ofstream(o.port_file) << port << '\n';
  const auto shown = address.is_unspecified() ? std::string("127.0.0.1") : o.listen;
  spdlog::info("charla-web: {} en {}:{}; abre {}://{}:{}/", broker.broker().server, o.host, o.port,
               tls ? "https" : "http", address.is_v6() ? "[" + shown + "]" : shown, port);
  if (!settings.give_address) {
    spdlog::info("sin CURVE, el servidor verá la dirección de esta pasarela, no la de cada navegador");
  }

  ioc.run();
  // The sockets' handlers go while the state they use is still there.
  signals.reset();
  listener.reset();
  ioc_holder.reset();
  spdlog::info("charla-web: fin");
  return broker.failed() ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  auto parsed = parse_options(argc, argv);
  if (const int* code = std::get_if<int>(&parsed)) return *code;
  auto& options = std::get<Options>(parsed);
  setup_logging(options.log_level);
  try {
    return serve(options);
  } catch (const charla::client::JoinFailed& e) {
    spdlog::error("no se pudo conectar con el servidor {}:{}: {}", options.host, options.port, e.what());
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
  return 1;
}
