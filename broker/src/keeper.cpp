#include "keeper.hpp"

#include <charla/msg/names.hpp>
#include <charla/msg/overloaded.hpp>
#include <charla/msg/retry.hpp>

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#endif

namespace charla::broker {
namespace {

using msg::retry_interrupted;

constexpr auto kPruneEvery = std::chrono::seconds(60);
constexpr std::uint64_t kDayMs = 24ull * 3600 * 1000;
constexpr std::uint64_t kIndexStep = 256;  // broadcasts indexed between two looks at the queue

// A job crosses to the store thread as a pointer inside a ZeroMQ message. libzmq's
// pipes order the two threads, but libzmq is not instrumented, so ThreadSanitizer
// would see the job written by one thread and read by another with nothing between
// them. These two calls tell it what the pipe guarantees.
void handed_over([[maybe_unused]] Job* job) {
#if defined(__SANITIZE_THREAD__)
  __tsan_release(job);
#endif
}
void taken_over([[maybe_unused]] Job* job) {
#if defined(__SANITIZE_THREAD__)
  __tsan_acquire(job);
#endif
}

}  // namespace

std::string keeper_endpoint(std::uint64_t instance) { return "inproc://charla-" + std::to_string(instance) + "-keeper"; }
std::string keeper_link_endpoint(std::uint64_t instance) {
  return "inproc://charla-" + std::to_string(instance) + "-keeper-out";
}

KeeperQueue::KeeperQueue(zmq::context_t& ctx, std::uint64_t instance) : push_(ctx, zmq::socket_type::push) {
  // Never drop. A worker that gets this far ahead of the store waits for it; then the
  // I/O thread stops reading clients until the workers catch up, and a flood of
  // broadcasts is slowed down at TCP instead of filling memory.
  push_.set(zmq::sockopt::sndhwm, kKeeperQueue);
  push_.set(zmq::sockopt::linger, 0);
  push_.connect(keeper_endpoint(instance));
}

void KeeperQueue::push(Job job) {
  auto* owned = new Job(std::move(job));  // NOLINT: handed to the store thread, which deletes it
  handed_over(owned);
  retry_interrupted([&] { return push_.send(zmq::buffer(&owned, sizeof owned), zmq::send_flags::none); });
}

Keeper::Keeper(zmq::context_t& ctx, Shared& shared, Store& store)
    : shared_(shared), store_(store), pull_(ctx, zmq::socket_type::pull), link_(ctx, zmq::socket_type::pair), out_(link_) {
  pull_.set(zmq::sockopt::rcvhwm, kKeeperQueue);  // with the pushers' own, bounds each worker's pipe
  pull_.bind(keeper_endpoint(shared.instance));
  link_.set(zmq::sockopt::sndhwm, 0);
  link_.connect(keeper_link_endpoint(shared.instance));
}

void Keeper::run() {
  auto next_prune = std::chrono::steady_clock::now();
  zmq::message_t m;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_prune) {
      prune(wall_ms());
      next_prune = now + kPruneEvery;
    }
    zmq::pollitem_t item{pull_.handle(), 0, ZMQ_POLLIN, 0};
    retry_interrupted([&] { return zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(next_prune - now)); });
    // Everything waiting is one batch, one transaction; the owners who came back in it
    // are given their waiting mail after it is written.
    std::vector<std::unique_ptr<Job>> questions;
    while (retry_interrupted([&] { return pull_.recv(m, zmq::recv_flags::dontwait); })) {
      Job* raw = nullptr;
      std::memcpy(&raw, m.data(), sizeof raw);
      taken_over(raw);
      std::unique_ptr<Job> job(raw);
      if (std::holds_alternative<job::Deliver>(*job)) {
        questions.push_back(std::move(job));
        continue;
      }
      guarded([&] { handle(*job); });
    }
    guarded([&] { store_.commit(); });
    after_commit();
    for (auto& q : questions) guarded([&] { handle(*q); });
    try {
      store_.commit();
      after_commit();
      // Idle: index the words of what was just stored, a little at a time.
      zmq::pollitem_t more{pull_.handle(), 0, ZMQ_POLLIN, 0};
      while (!stop_ && zmq::poll(&more, 1, std::chrono::milliseconds(0)) == 0 && store_.index_some(kIndexStep)) {
      }
    } catch (const std::exception& e) {
      spdlog::error("no se pudo guardar: {}", e.what());
    }
    after_commit();
  }
}

void Keeper::reply(const std::string& rid, const msg::Message& m, std::uint64_t id) { out_.reply(rid, m, id); }

// The disk is full, the file vanished: say so, and go on.
template <class F>
void Keeper::guarded(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("no se pudo guardar: {}", e.what());
  }
}

void Keeper::after_commit() {
  for (auto& p : after_) reply(p.rid, p.msg);
  after_.clear();
}

void Keeper::handle(Job& job) {
  std::visit(
      msg::overloaded{
          [&](job::Chat& c) {
            store_.begin();
            const auto hid = store_.add_chat(c.from, c.text, c.ts);
            // The history never holds much more than it keeps: a tenth more at most, then
            // the oldest go in one delete.
            const auto keep = shared_.cfg.history_keep;
            if (keep != 0 && hid > keep + keep / 10 + forgotten_up_to_) {
              forgotten_up_to_ = hid - keep;
              store_.forget_chat_up_to(forgotten_up_to_);
            }
          },
          [&](job::Ack& a) { after_.push_back({std::move(a.rid), msg::Ack{a.n}}); },
          [&](job::Own& o) {
            store_.begin();
            store_.own_name(o.name);
          },
          [&](job::Left& l) {
            store_.begin();
            if (auto n = shared_.names.left(l.folded, l.at_ms, store_.newest_hid())) {
              store_.touch_name(n->key, n->used_ms, n->seen_hid);
            }
          },
          [&](job::Mail& m) {
            store_.begin();
            store_.add_mail(m.mail);
            after_.push_back({std::move(m.sender_rid), msg::Held{m.to_name, m.mail.n}});
          },
          [&](job::Deliver& d) {
            store_.commit();
            after_commit();
            deliver(*d.session);
          },
          [&](job::Confirmed& c) {
            store_.begin();
            for (const auto& l : c.letters) {
              store_.delete_mail(l.mail_id);
              shared_.names.mail_gone(msg::fold_name(c.to_name));
              const auto sender = shared_.registry.find(l.from);
              if (sender && sender->origin == l.origin && l.n != 0) {
                after_.push_back({sender->rid, msg::Delivered{c.to_name, l.n}});
              }
            }
          },
          [&](job::Stop&) { stop_ = true; },
      },
      job);
}

// The private messages that waited for this session's owner, into its mailbox:
// from there on they are like any other (confirmed with got, sent again on resume),
// except that they stay in the file until confirmed.
void Keeper::deliver(Session& s) {
  const auto mail = store_.mail_for(s.key);
  for (const auto& w : mail) {
    msg::Private p{w.from, w.text, w.ts, 0, w.origin, w.n, true};
    zmq::message_t frame;
    if (s.mailbox.put(p, SIZE_MAX, frame, w.id) != Mailbox::Put::ok) return;  // it ended meanwhile
    out_.reply(s.rid, frame);
  }
  if (!mail.empty()) spdlog::info("{} ({}): {} mensajes privados que esperaban", s.name, s.ip, mail.size());
}

void Keeper::prune(std::uint64_t now_ms) {
  const auto& cfg = shared_.cfg;
  try {
    store_.begin();
    if (cfg.history_days != 0) store_.forget_chat_before(now_ms - cfg.history_days * kDayMs);
    store_.forget_mail_older_than(now_ms - std::uint64_t{cfg.mail_days} * kDayMs);
    store_.forget_names_unused_since(now_ms - std::uint64_t{cfg.name_ttl_days} * kDayMs);
    store_.commit();
    shared_.names.reset_mail(store_.mail_counts());
  } catch (const std::exception& e) {
    spdlog::error("no se pudo podar la base de datos: {}", e.what());
  }
}

}  // namespace charla::broker
