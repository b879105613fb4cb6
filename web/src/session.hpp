// A browser's WebSocket as the broker side sees it (websocket_session.hpp is the
// real one; the tests have their own). Called on the asio thread only: the broker
// side posts its calls there.
#pragma once

#include "wire.hpp"

namespace charla::web {

class Session {
 public:
  virtual ~Session() = default;
  // Queues a message for the browser (within the socket's bound; see send_queue.hpp).
  virtual void deliver(const Encoded& m) = 0;
  // The chat of this tab is over (left, or refused): close once what is queued has gone.
  virtual void finish() = 0;
};

}  // namespace charla::web
