// A signal that lands inside a ZeroMQ call (libFuzzer's SIGALRM, a user's
// signal) makes cppzmq throw EINTR: the loops around ZeroMQ calls make the call
// again instead of failing (msg/retry.hpp).
#include "support/wait.hpp"

#include <charla/msg/retry.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <optional>
#include <thread>

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

using namespace charla::test;

namespace {

int g_caught_fd = -1;  // the handler tells the test through an eventfd (async-signal-safe)

extern "C" void on_usr1(int) {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(g_caught_fd, &one, sizeof one);
}

// SIGUSR1 with a handler and without SA_RESTART, so that it interrupts system calls.
struct InterruptingSignal {
  InterruptingSignal() {
    g_caught_fd = ::eventfd(0, EFD_CLOEXEC);
    struct sigaction sa {};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGUSR1, &sa, &old_);
  }
  ~InterruptingSignal() {
    ::sigaction(SIGUSR1, &old_, nullptr);
    ::close(g_caught_fd);
  }
  // Signals `thread` until its handler has run `times` times; false at the deadline.
  bool hit(pthread_t thread, int times) {
    for (int caught = 0; caught < times;) {
      pthread_kill(thread, SIGUSR1);
      pollfd p{g_caught_fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(kWait.count())) != 1) return false;
      std::uint64_t n = 0;
      if (::read(g_caught_fd, &n, sizeof n) == sizeof n) caught += static_cast<int>(n);
    }
    return true;
  }
  struct sigaction old_ {};
};

}  // namespace

TEST_CASE("a blocking receive interrupted by signals is made again and gets its message", "[retry]") {
  InterruptingSignal signal;
  zmq::context_t ctx(1);
  zmq::socket_t in(ctx, zmq::socket_type::pair), out(ctx, zmq::socket_type::pair);
  in.bind("inproc://retry");
  out.connect("inproc://retry");

  // Without the retry, the first signal ends the receive with EINTR: the test can tell.
  std::promise<pthread_t> started;
  auto plain = std::async(std::launch::async, [&] {
    started.set_value(pthread_self());
    zmq::message_t m;
    try {
      (void)in.recv(m);
      return 0;
    } catch (const zmq::error_t& e) {
      return e.num();
    }
  });
  const auto plain_thread = started.get_future().get();
  const bool interrupted = wait_for([&] {  // a signal may land before the receive has begun
    return !signal.hit(plain_thread, 1) || plain.wait_for(1ms) == std::future_status::ready;
  });
  REQUIRE(interrupted);
  CHECK(plain.get() == EINTR);

  std::promise<pthread_t> started2;
  auto retried = std::async(std::launch::async, [&] {
    started2.set_value(pthread_self());
    zmq::message_t m;
    (void)charla::msg::retry_interrupted([&] { return in.recv(m); });
    return m.to_string();
  });
  const auto thread = started2.get_future().get();
  [[maybe_unused]] const bool hit = signal.hit(thread, 3);
  out.send(zmq::str_buffer("hola"), zmq::send_flags::none);  // whatever happened, the receiver can finish
#if !defined(__SANITIZE_THREAD__)  // ThreadSanitizer delivers a signal to a blocked thread when it pleases
  CHECK(hit);
#endif
  REQUIRE(retried.wait_for(kWait) == std::future_status::ready);
  CHECK(retried.get() == "hola");
}
