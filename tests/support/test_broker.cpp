#include "support/test_broker.hpp"

#include "support/sanitizer.hpp"
#include "support/wait.hpp"

#include <spdlog/spdlog.h>

#include <utility>

namespace charla::test {

broker::Config fast_config() {
  broker::Config cfg;
  cfg.bind = "127.0.0.1";
  cfg.port = 0;
  cfg.pub_port = 0;
  cfg.workers = 4;
  cfg.heartbeat_ms = 100;
  cfg.expiry_ms = 600 * kSlowdown;  // a slow build must not expire clients that do ping
  cfg.idle_timeout_s = 60;  // idleness is slow to show, except in the idle tests (1 s there)
  cfg.rate = 0;             // no rate limit, except in the tests of the limit
  return cfg;
}

TestBroker::TestBroker(broker::Config cfg) : cfg_(cfg), broker_(std::move(cfg)) {
  // Before the broker's threads start: charla-broker's main sets up logging
  // first, so that spdlog's registry is not built by two broker threads at
  // once; and under ThreadSanitizer its symbolizer must be ready (sanitizer.hpp).
  spdlog::default_logger();
  prepare_sanitizer();
  cfg_.port = broker_.port();
  cfg_.pub_port = broker_.pub_port();
  thread_ = std::thread([this] {
    try {
      broker_.run();
    } catch (...) {
      failure_ = std::current_exception();
    }
  });
}

TestBroker::~TestBroker() {
  try {
    stop();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a failing test already says why
  }
}

void TestBroker::stop() {
  if (!thread_.joinable()) return;
  broker_.request_stop();
  thread_.join();
  if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
}

}  // namespace charla::test
