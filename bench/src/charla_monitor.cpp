#include "charla_monitor.hpp"

#include <charla/msg/protocol.hpp>

namespace charla::bench {

Monitor::Monitor(CharlaSystem& sys, std::string prefix, OnEvent on_event, Clock::time_point deadline)
    : prefix_(std::move(prefix)), on_event_(std::move(on_event)), self_(1) {
  join(sys.context(), sys.endpoint(), self_, {"presence"}, false, deadline);
  thread_ = std::thread([this] { run(); });
}

Monitor::~Monitor() {
  stop_ = true;
  thread_.join();
  leave(self_);
}

bool Monitor::wait_seen(std::uint64_t count, Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return cv_.wait_until(lock, deadline, [&] { return seen_.load() >= count; });
}

void Monitor::run() {
  auto& sub = *self_[0].sub;
  zmq::message_t frame;
  while (!stop_.load(std::memory_order_relaxed)) {
    zmq::pollitem_t item{sub.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(20));
    bool any = false;
    while (sub.recv(frame, zmq::recv_flags::dontwait)) {
      (void)read_published(frame, charla::msg::kTopicPresence, [&](const WireView& w) {
        if (w.type != "presence") return;
        if (last_seq_ != 0 && w.seq > last_seq_ + 1) gaps_ += w.seq - last_seq_ - 1;
        last_seq_ = std::max(last_seq_, w.seq);
        if (w.user.substr(0, prefix_.size()) != prefix_) return;
        if (!on_event_(w, now_ns())) return;
        ++seen_;
        any = true;
      });
    }
    if (any) {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    }
  }
}

}  // namespace charla::bench
