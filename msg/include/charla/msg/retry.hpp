// A ZeroMQ call that a signal interrupted (EINTR) did nothing: do it again.
// cppzmq reports EINTR as zmq::error_t, from recv, send and poll alike; a loop
// around such a call must not take it for a failure (libFuzzer's once-a-second
// SIGALRM, or any signal a program does not block, can land inside it).
#pragma once

#include <cerrno>

#include <zmq.hpp>

namespace charla::msg {

template <class F>
auto retry_interrupted(F&& call) {
  for (;;) {
    try {
      return call();
    } catch (const zmq::error_t& e) {
      if (e.num() != EINTR) throw;
    }
  }
}

}  // namespace charla::msg
