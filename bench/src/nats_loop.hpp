// An epoll event loop for cnats connections (natsOptions_SetEventLoop), so that
// hundreds of connections share a few threads instead of a read thread each.
// After each read event the loop hands the connection to a callback, which
// takes the messages its synchronous subscription now holds (NextMsg with a
// zero timeout): the parse and the hand-over happen on the loop's thread.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace charla::bench {

// One connection as the loop knows it.
struct NatsWatch {
  natsConnection* nc = nullptr;
  int fd = -1;
  int epfd = -1;
  std::mutex mu;
  unsigned events = 0;
  std::atomic<natsSubscription*> sub{nullptr};  // set once subscribed
  int index = -1;                               // the subscriber's number in its row
};

class NatsLoop {
 public:
  using AfterRead = std::function<void(NatsWatch&)>;

  explicit NatsLoop(AfterRead after_read);
  ~NatsLoop();
  NatsLoop(const NatsLoop&) = delete;
  NatsLoop& operator=(const NatsLoop&) = delete;

  // Options that attach new connections to this loop.
  void configure(natsOptions* opts);
  // The watch of a connection attached to this loop (nullptr if none).
  NatsWatch* find(natsConnection* nc);

  // Waits up to timeout_ms for events and processes them.
  void run_once(int timeout_ms);
  // Runs run_once on a thread of its own until stop().
  void start();
  void stop();

 private:
  static natsStatus attach(void** user, void* loop, natsConnection* nc, natsSock sock);
  static natsStatus read(void* user, bool add);
  static natsStatus write(void* user, bool add);
  static natsStatus detach(void* user);

  int epfd_ = -1;
  AfterRead after_read_;
  std::mutex mu_;
  std::vector<std::unique_ptr<NatsWatch>> watches_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace charla::bench
