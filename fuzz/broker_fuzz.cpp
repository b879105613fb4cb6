// libFuzzer: the broker's command handling, given arbitrary frames from a few
// clients in any order. The input is a sequence of records:
//   [client: 1 byte][length: 1 byte][frame: length bytes]
// Each frame goes through the same path as on a real broker (rate limit,
// decode, session state machine, handlers, registry, encoding of replies).
#include "worker.hpp"

#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>

using namespace charla::broker;

namespace {

struct Harness {
  Harness() : ctx(1), io(ctx, zmq::socket_type::pair) {
    spdlog::set_level(spdlog::level::off);
    Config cfg;
    cfg.workers = 1;
    cfg.rate = 1000;
    cfg.burst = 50;
    cfg.max_text = 64;
    cfg.max_sessions = 3;
    cfg.idle_timeout_s = 1;
    shared = std::make_unique<Shared>(cfg, 42);
    io.set(zmq::sockopt::rcvhwm, 0);
    io.bind(worker_endpoint(shared->instance, 0));
    worker = std::make_unique<Worker>(ctx, *shared, 0);
  }
  // libFuzzer's once-a-second SIGALRM may land inside a ZeroMQ call: EINTR means "again".
  void drain() {
    zmq::message_t m;
    while (charla::msg::retry_interrupted([&] { return io.recv(m, zmq::recv_flags::dontwait); })) {
    }
  }
  zmq::context_t ctx;
  zmq::socket_t io;  // plays the I/O thread
  std::unique_ptr<Shared> shared;
  std::unique_ptr<Worker> worker;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Harness h;  // one broker for the whole run, as in production
  auto now = Clock::now();
  std::size_t i = 0;
  while (i + 2 <= size) {
    const char who = static_cast<char>('A' + data[i] % 4);
    const std::size_t len = std::min<std::size_t>(data[i + 1], size - i - 2);
    zmq::message_t rid(&who, 1), ip("127.0.0.1", 9), body(data + i + 2, len);
    h.worker->handle(rid, ip, "", len % 61 == 60 ? nullptr : &body, now);  // now and then a message of several frames
    i += 2 + len;
    now += std::chrono::milliseconds(data[i - 1 - len] % 7 == 0 ? 1500 : 1);  // sometimes let time pass
  }
  h.worker->tick(now + std::chrono::seconds(10));  // expire everyone: state returns to empty
  h.drain();
  return 0;
}
