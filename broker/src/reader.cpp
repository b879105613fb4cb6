#include "reader.hpp"

#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>

namespace charla::broker {
namespace {

using msg::retry_interrupted;

// A question's numbers, as its first frame; its routing id and words follow, a frame each.
struct Head {
  Question::Kind kind;
  std::uint64_t id, before, limit, since;
};

std::uint64_t page(std::uint64_t asked, std::uint64_t otherwise) {
  return std::min(asked == 0 ? otherwise : asked, kMaxPage);  // 0: the default; never more than a page
}

}  // namespace

std::string reader_endpoint(std::uint64_t instance) { return "inproc://charla-" + std::to_string(instance) + "-reader"; }
std::string reader_link_endpoint(std::uint64_t instance) {
  return "inproc://charla-" + std::to_string(instance) + "-reader-out";
}

ReaderQueue::ReaderQueue(zmq::context_t& ctx, Shared& shared) : shared_(shared), push_(ctx, zmq::socket_type::push) {
  push_.set(zmq::sockopt::sndhwm, 0);  // bounded by shared.questions instead, in all
  push_.set(zmq::sockopt::linger, 0);
  push_.connect(reader_endpoint(shared.instance));
}

bool ReaderQueue::push(Question q) {
  if (shared_.questions.fetch_add(1) >= shared_.cfg.query_queue) {
    shared_.questions.fetch_sub(1);
    return false;
  }
  send(q);
  return true;
}

void ReaderQueue::stop() { send(Question{}); }

void ReaderQueue::send(const Question& q) {
  const Head head{q.kind, q.id, q.before, q.limit, q.since};
  const auto more = zmq::send_flags::sndmore;
  retry_interrupted([&] { return push_.send(zmq::buffer(&head, sizeof head), more); });
  retry_interrupted([&] { return push_.send(zmq::buffer(q.rid), q.words.empty() ? zmq::send_flags::none : more); });
  for (std::size_t i = 0; i < q.words.size(); ++i) {
    const auto last = i + 1 == q.words.size();
    retry_interrupted([&] { return push_.send(zmq::buffer(q.words[i]), last ? zmq::send_flags::none : more); });
  }
}

Reader::Reader(zmq::context_t& ctx, Shared& shared, const std::string& db)
    : shared_(shared), lookup_(db), pull_(ctx, zmq::socket_type::pull), link_(ctx, zmq::socket_type::pair), out_(link_) {
  pull_.set(zmq::sockopt::rcvhwm, 0);
  pull_.bind(reader_endpoint(shared.instance));
  link_.set(zmq::sockopt::sndhwm, 0);
  link_.connect(reader_link_endpoint(shared.instance));
}

bool Reader::next(Question& q) {
  zmq::message_t m;
  (void)retry_interrupted([&] { return pull_.recv(m); });
  Head head{};
  std::memcpy(&head, m.data(), std::min(m.size(), sizeof head));
  q = Question{head.kind, {}, head.id, head.before, head.limit, head.since, {}};
  (void)retry_interrupted([&] { return pull_.recv(m); });
  q.rid = m.to_string();
  while (m.more()) {
    (void)retry_interrupted([&] { return pull_.recv(m); });
    q.words.push_back(m.to_string());
  }
  return q.kind != Question::Kind::stop;
}

void Reader::run() {
  Question q;
  while (next(q)) {
    answer(q);
    shared_.asking.done(q.rid);
    shared_.questions.fetch_sub(1);
  }
}

void Reader::answer(const Question& q) {
  const auto re = q.kind == Question::Kind::history ? "history" : "search";
  try {
    if (q.kind == Question::Kind::search) {
      out_.reply(q.rid, lookup_.search(q.words, page(q.limit, 50)), q.id);
    } else if (q.since != 0) {
      out_.reply(q.rid, lookup_.since(q.since, kMaxMissed), q.id);
    } else {
      out_.reply(q.rid, lookup_.history(q.before, page(q.limit, shared_.cfg.history_on_join)), q.id);
    }
  } catch (const Lookup::TooSlow&) {
    spdlog::warn("una consulta ({}) pasó de {} ms: interrumpida", re, kQueryTime.count());
    out_.reply(q.rid,
               msg::Error{msg::ErrorCode::busy, "la consulta tardaba demasiado; prueba con palabras más precisas", re},
               q.id);
  } catch (const std::exception& e) {
    spdlog::error("no se pudo leer la base de datos: {}", e.what());
    out_.reply(q.rid, msg::Error{msg::ErrorCode::internal, "no se pudo leer el historial; inténtalo de nuevo", re},
               q.id);
  }
}

}  // namespace charla::broker
