// The reader: the thread that answers history and search (docs/protocol.md 2.7)
// from its own read-only connection to the memory (lookup.hpp), apart from the
// store thread that writes and acknowledges, so that no question ever delays a
// broadcast or its ack. Workers hand it questions and never wait for it; at
// most cfg.query_queue wait in all, and a worker answers one more with `busy`
// at once. Its answers go to the I/O thread like a worker's.
#pragma once

#include "link.hpp"
#include "lookup.hpp"
#include "shared.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include <zmq.hpp>

namespace charla::broker {

struct Question {
  enum class Kind : char { history = 'h', search = 's', stop = 'q' };
  Kind kind = Kind::stop;
  std::string rid;
  std::uint64_t id = 0;
  std::uint64_t before = 0, limit = 0, since = 0;  // history (since: what an owner missed)
  std::vector<std::string> words;                  // search: distinct tokens (words.hpp)
};

// A worker's way to the reader (one PUSH each). Its questions travel as bytes: nothing is shared.
class ReaderQueue {
 public:
  ReaderQueue(zmq::context_t& ctx, Shared& shared);
  // False, and nothing sent, when cfg.query_queue questions wait already (the asker gets `busy`).
  bool push(Question q);
  void stop();  // the reader ends once it has answered what came before

 private:
  void send(const Question& q);

  Shared& shared_;
  zmq::socket_t push_;
};

class Reader {
 public:
  Reader(zmq::context_t& ctx, Shared& shared, const std::string& db);
  void run();  // until stop

 private:
  bool next(Question& q);  // false: stop
  void answer(const Question& q);

  Shared& shared_;
  Lookup lookup_;
  zmq::socket_t pull_, link_;
  Outbox out_;
};

std::string reader_endpoint(std::uint64_t instance);       // workers push questions here
std::string reader_link_endpoint(std::uint64_t instance);  // the I/O thread takes its answers here

}  // namespace charla::broker
