#include "nats_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <stdexcept>

namespace charla::bench {
namespace {

natsStatus set_events(NatsWatch& w, unsigned bit, bool add) {
  std::lock_guard lock(w.mu);
  const unsigned before = w.events;
  w.events = add ? (w.events | bit) : (w.events & ~bit);
  if (w.events == before) return NATS_OK;
  epoll_event ev{};
  ev.events = w.events;
  ev.data.ptr = &w;
  const int op = before == 0 ? EPOLL_CTL_ADD : (w.events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD);
  return ::epoll_ctl(w.epfd, op, w.fd, &ev) == 0 ? NATS_OK : NATS_ERR;
}

}  // namespace

NatsLoop::NatsLoop(AfterRead after_read) : epfd_(::epoll_create1(EPOLL_CLOEXEC)), after_read_(std::move(after_read)) {
  if (epfd_ < 0) throw std::runtime_error("epoll_create1 failed");
}

NatsLoop::~NatsLoop() {
  stop();
  ::close(epfd_);
}

void NatsLoop::configure(natsOptions* opts) {
  natsOptions_SetEventLoop(opts, this, &NatsLoop::attach, &NatsLoop::read, &NatsLoop::write, &NatsLoop::detach);
}

NatsWatch* NatsLoop::find(natsConnection* nc) {
  std::lock_guard lock(mu_);
  const auto it = std::find_if(watches_.begin(), watches_.end(), [&](const auto& w) { return w->nc == nc; });
  return it == watches_.end() ? nullptr : it->get();
}

natsStatus NatsLoop::attach(void** user, void* loop, natsConnection* nc, natsSock sock) {
  auto* self = static_cast<NatsLoop*>(loop);
  auto* w = static_cast<NatsWatch*>(*user);
  if (w == nullptr) {
    auto owned = std::make_unique<NatsWatch>();  // cnats keeps it as an opaque pointer; freed with the loop
    w = owned.get();
    std::lock_guard lock(self->mu_);
    self->watches_.push_back(std::move(owned));
  }
  w->nc = nc;
  w->fd = sock;
  w->epfd = self->epfd_;
  w->events = 0;
  *user = w;
  return set_events(*w, EPOLLIN, true);
}

natsStatus NatsLoop::read(void* user, bool add) { return set_events(*static_cast<NatsWatch*>(user), EPOLLIN, add); }
natsStatus NatsLoop::write(void* user, bool add) { return set_events(*static_cast<NatsWatch*>(user), EPOLLOUT, add); }

natsStatus NatsLoop::detach(void* user) {
  auto& w = *static_cast<NatsWatch*>(user);
  std::lock_guard lock(w.mu);
  if (w.events != 0) ::epoll_ctl(w.epfd, EPOLL_CTL_DEL, w.fd, nullptr);
  w.events = 0;
  w.sub = nullptr;
  return NATS_OK;
}

void NatsLoop::run_once(int timeout_ms) {
  std::array<epoll_event, 64> events{};
  const int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  for (int i = 0; i < n; ++i) {
    auto& w = *static_cast<NatsWatch*>(events[static_cast<std::size_t>(i)].data.ptr);
    const auto ev = events[static_cast<std::size_t>(i)].events;
    if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
      natsConnection_ProcessReadEvent(w.nc);
      after_read_(w);
    }
    if (ev & EPOLLOUT) natsConnection_ProcessWriteEvent(w.nc);
  }
}

void NatsLoop::start() {
  stop_ = false;
  thread_ = std::thread([this] {
    while (!stop_.load(std::memory_order_relaxed)) run_once(20);
  });
}

void NatsLoop::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace charla::bench
