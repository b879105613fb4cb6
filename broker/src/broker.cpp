#include <charla/broker/broker.hpp>

#include "io_loop.hpp"
#include "keeper.hpp"
#include "reader.hpp"
#include "shared.hpp"
#include "store.hpp"
#include "worker.hpp"
#include "zap.hpp"

#include <charla/msg/keys.hpp>

#include <spdlog/spdlog.h>

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <csignal>
#include <cerrno>
#include <cstdio>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <stdexcept>
#include <thread>

namespace charla::broker {
namespace {

std::uint16_t bind_port(zmq::socket_t& s, const std::string& host, std::uint16_t port, const char* what) {
  const auto endpoint = "tcp://" + host + ":" + (port == 0 ? std::string("*") : std::to_string(port));
  try {
    s.bind(endpoint);
  } catch (const zmq::error_t& e) {
    throw std::runtime_error("no se puede escuchar en " + host + ":" + std::to_string(port) + " (" + what +
                             "): " + e.what());
  }
  const auto last = s.get(zmq::sockopt::last_endpoint);
  return static_cast<std::uint16_t>(std::stoi(last.substr(last.rfind(':') + 1)));
}

// The database's file, its folder made if missing (only for the owner).
std::string db_path(const std::string& configured) {
  const auto path = configured.empty() ? default_db_path() : configured;
  if (path == ":memory:") return path;
  const auto dir = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir, ec);
    if (ec) throw std::runtime_error("no se puede crear la carpeta " + dir.string() + " para la base de datos: " + ec.message());
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  return path;
}

// ":memory:" (2.7): the store thread and the reader need two connections to one
// database, which SQLite's own in-memory databases cannot share with WAL's
// concurrent readers; so it is a file in RAM (/dev/shm), in a folder only the
// broker's user may read, removed with this object — or, after a kill -9, by
// the next broker that starts (its name holds the process id).
struct InMemory {
  explicit InMemory(std::uint64_t instance) {
    std::error_code ec;
    const auto base = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                    : std::filesystem::temp_directory_path();
    forget_dead(base);
    dir = base / ("charla-" + std::to_string(::getpid()) + "-" + std::to_string(instance));
    if (!std::filesystem::create_directory(dir, ec)) {
      throw std::runtime_error("no se puede crear " + dir.string() + " para la base de datos en memoria: " + ec.message());
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
  }
  ~InMemory() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  InMemory(const InMemory&) = delete;
  InMemory& operator=(const InMemory&) = delete;
  std::string db() const { return (dir / "charla.db").string(); }
  std::filesystem::path dir;

 private:
  // The folders of this user's brokers whose process is gone.
  static void forget_dead(const std::filesystem::path& base) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
      unsigned long pid = 0;
      unsigned long long instance = 0;
      char end = 0;
      const auto name = entry.path().filename().string();
      if (std::sscanf(name.c_str(), "charla-%lu-%llu%c", &pid, &instance, &end) != 2) continue;
      struct stat st {};
      if (::stat(entry.path().c_str(), &st) != 0 || st.st_uid != ::getuid()) continue;
      if (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to ask
      std::filesystem::remove_all(entry.path(), ec);
    }
  }
};

std::uint64_t random_instance() {
  std::random_device rd;
  return (static_cast<std::uint64_t>(rd()) << 32 | rd()) | 1;  // never 0
}

}  // namespace

std::string default_db_path() {
  const char* state = std::getenv("XDG_STATE_HOME");
  if (state != nullptr && *state != '\0') return std::string(state) + "/charla/charla.db";
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr && *home != '\0' ? home : ".") + "/.local/state/charla/charla.db";
}

struct Broker::Impl {
  explicit Impl(Config c) : ctx(c.io_threads), router(ctx, zmq::socket_type::router), pub(ctx, zmq::socket_type::pub) {
    if (c.workers == 0) c.workers = std::max(1u, std::thread::hardware_concurrency());
    c.db = db_path(c.db);
    if (c.db == ":memory:") memory.emplace(instance);
    db = memory ? memory->db() : c.db;
    store = std::make_unique<Store>(db);  // a bad file stops the broker here, with one line
    if (!c.curve_secret.empty()) {
      // Before any bind: with CURVE every connection is authenticated, so that the broker knows its key.
      zap = std::make_unique<ZapHandler>(ctx, c.allow_keys, c.gateway_keys);
      const auto secret = msg::z85_to_binary(c.curve_secret);
      for (auto* s : {&router, &pub}) {
        s->set(zmq::sockopt::curve_server, 1);
        s->set(zmq::sockopt::curve_secretkey, secret);
        s->set(zmq::sockopt::zap_domain, "charla");
      }
    }
    // Mandatory: a send that ZeroMQ cannot queue fails instead of vanishing, and the I/O
    // thread keeps it (io_loop.cpp); the small queue makes that happen early, in bytes we count.
    router.set(zmq::sockopt::router_mandatory, 1);
    router.set(zmq::sockopt::sndhwm, kRouterQueue);
    router.set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(c.max_frame));
    router.set(zmq::sockopt::linger, 500);
    // No ZMTP heartbeats (ZMQ_HEARTBEAT_IVL): charla's own ping/expiry finds silent clients,
    // and libzmq 4.3.4's per-connection heartbeat timers cost O(connections) each and can
    // trip an assertion in stream_engine_base (zeromq/libzmq#4364).
    pub.set(zmq::sockopt::sndhwm, c.pub_hwm);
    pub.set(zmq::sockopt::linger, 500);
    c.port = bind_port(router, c.bind, c.port, "comandos");
    c.pub_port = bind_port(pub, c.bind, c.pub_port, "difusión");
    stop_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (stop_fd < 0) throw std::runtime_error("no se pudo crear el eventfd de parada");
    shared = std::make_unique<Shared>(c, instance);
    shared->names.load(store->names());
    shared->mail.load(store->mail_counts());
  }
  ~Impl() {
    if (stop_fd >= 0) ::close(stop_fd);
  }

  zmq::context_t ctx;
  zmq::socket_t router, pub;
  int stop_fd = -1;
  const std::uint64_t instance = random_instance();
  std::optional<InMemory> memory;  // outlives the store's connection
  std::string db;                  // the file both connections open
  std::unique_ptr<Store> store;
  std::unique_ptr<Shared> shared;
  std::unique_ptr<ZapHandler> zap;
};

Broker::Broker(Config cfg) : impl_(std::make_unique<Impl>(std::move(cfg))) {}
Broker::~Broker() = default;

std::uint16_t Broker::port() const noexcept { return impl_->shared->cfg.port; }
std::uint16_t Broker::pub_port() const noexcept { return impl_->shared->cfg.pub_port; }

void Broker::run() {
  auto& s = *impl_->shared;
  IoLoop io(impl_->ctx, s, impl_->router, impl_->pub, impl_->stop_fd, impl_->zap.get());  // binds the inproc links first
  // A thread that, if it fails, says so and stops the broker.
  const auto start = [this](const char* what, auto run) {
    return std::thread([this, what, run]() mutable {
      try {
        run();
      } catch (const std::exception& e) {
        spdlog::critical("{} falló: {}", what, e.what());
        request_stop();
      }
    });
  };
  Keeper keeper(impl_->ctx, s, *impl_->store);  // binds before the workers connect
  auto keeping = start("el hilo del almacén", [&] { keeper.run(); });
  Reader reader(impl_->ctx, s, impl_->db);  // binds before the workers connect
  auto reading = start("el hilo de las consultas", [&] { reader.run(); });
  // The reader and the store thread stop last: after the workers, so that nothing they handed them is lost.
  const auto stop_keeping = [&] {
    ReaderQueue(impl_->ctx, s).stop();
    reading.join();
    KeeperQueue(impl_->ctx, s.instance).push(job::Stop{});
    keeping.join();
  };
  std::vector<std::thread> threads;
  threads.reserve(s.cfg.workers);
  for (std::size_t i = 0; i < s.cfg.workers; ++i) {
    threads.emplace_back([&, i] {
      try {
        Worker(impl_->ctx, s, i).run();
      } catch (const std::exception& e) {
        spdlog::critical("el trabajador {} falló: {}", i, e.what());
        request_stop();
      }
    });
  }
  spdlog::info("charla-broker escuchando en {}:{} (comandos) y {}:{} (difusión), {} trabajadores", s.cfg.bind,
               s.cfg.port, s.cfg.bind, s.cfg.pub_port, s.cfg.workers);
  try {
    io.run();
  } catch (const std::exception& e) {
    spdlog::critical("fallo en el hilo de E/S: {}", e.what());
    io.shutdown();
    for (auto& t : threads) t.join();
    stop_keeping();
    throw;
  }
  for (auto& t : threads) t.join();
  stop_keeping();
  spdlog::info("cerrado");
}

void Broker::request_stop() noexcept {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(impl_->stop_fd, &one, sizeof one);
}

}  // namespace charla::broker
