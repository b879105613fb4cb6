// The inproc link between the I/O thread and a worker (one PAIR socket pair
// per worker). Frames, I/O -> worker:
//   ["M"][routing id][peer ip][key][body]   a client's message of one frame; key: the
//                                           connection's CURVE public key in Z85, or empty
//   ["S"][routing id][peer ip][key]         a client's message of several frames (drained, not kept)
//   ["Q"]                              stop
// Frames, worker -> I/O:
//   ["R"][routing id][body]                send body to that client (ROUTER)
//   ["P"][stream][seq: 8 bytes][frame]     publish in sequence order (PUB; frame = topic + body)
//   ["B"]                                  publish a heartbeat now
//   ["X"][routing id]                      cut that connection off: send it nothing more, drop what it sends
#pragma once

#include <charla/msg/codec.hpp>
#include <charla/msg/retry.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <zmq.hpp>

namespace charla::broker {

enum class Stream : char { chat = 'c', presence = 'p' };

inline std::string worker_endpoint(std::uint64_t instance, std::size_t i) {
  return "inproc://charla-" + std::to_string(instance) + "-worker-" + std::to_string(i);
}

// What a worker sends to the I/O thread. Sends block only while the I/O
// thread's inbound pipe is full, and the I/O thread never blocks.
class Outbox {
 public:
  explicit Outbox(zmq::socket_t& link) : link_(link) {}

  void reply(std::string_view rid, const msg::Message& m, std::uint64_t id = 0) {
    auto body = msg::encode(m, id);
    reply(rid, body);
  }
  void reply(std::string_view rid, zmq::message_t& body) {  // already encoded
    send(zmq::buffer("R", 1), zmq::send_flags::sndmore);
    send(zmq::buffer(rid), zmq::send_flags::sndmore);
    send(body, zmq::send_flags::none);
  }

  void publish(Stream stream, std::uint64_t seq, const msg::Message& m) {
    char s = static_cast<char>(stream);
    send(zmq::buffer("P", 1), zmq::send_flags::sndmore);
    send(zmq::buffer(&s, 1), zmq::send_flags::sndmore);
    send(zmq::buffer(&seq, sizeof seq), zmq::send_flags::sndmore);
    auto frame = msg::encode_published(m);
    send(frame, zmq::send_flags::none);
  }

  void beat() { send(zmq::buffer("B", 1), zmq::send_flags::none); }

  void cut(std::string_view rid) {
    send(zmq::buffer("X", 1), zmq::send_flags::sndmore);
    send(zmq::buffer(rid), zmq::send_flags::none);
  }

 private:
  void send(zmq::const_buffer b, zmq::send_flags f) {
    msg::retry_interrupted([&] { return link_.send(b, f); });
  }
  void send(zmq::message_t& m, zmq::send_flags f) {
    msg::retry_interrupted([&] { return link_.send(m, f); });
  }

  zmq::socket_t& link_;
};

}  // namespace charla::broker
