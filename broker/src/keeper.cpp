#include "keeper.hpp"

#include "origin.hpp"

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
constexpr auto kFileCheckEvery = std::chrono::seconds(1);    // is the file still the one opened?
constexpr auto kRefusalLogEvery = std::chrono::seconds(10);  // a log line about refused messages, at most
constexpr std::uint64_t kSenderDays = 7;                    // a resend is recognised for a week
constexpr std::uint64_t kMaxSenders = 100000;               // origins remembered, at most
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
  last_n_ = store_.senders();
  auto next_prune = std::chrono::steady_clock::now();
  zmq::message_t m;
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    check_file(now);
    if (now >= next_prune) {
      prune(wall_ms());
      next_prune = now + kPruneEvery;
    }
    zmq::pollitem_t item{pull_.handle(), 0, ZMQ_POLLIN, 0};
    const auto wait = std::min(next_prune - now, std::chrono::steady_clock::duration(kFileCheckEvery));
    retry_interrupted([&] { return zmq::poll(&item, 1, std::chrono::duration_cast<std::chrono::milliseconds>(wait)); });
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
      handle(*job);
    }
    end_batch();
    for (auto& q : questions) guarded([&] { handle(*q); });
    end_batch();
    // Idle: index the words of what was just stored, a little at a time.
    guarded([&] {
      zmq::pollitem_t more{pull_.handle(), 0, ZMQ_POLLIN, 0};
      while (!stop_ && gone_.empty() && zmq::poll(&more, 1, std::chrono::milliseconds(0)) == 0 &&
             store_.index_some(kIndexStep)) {
      }
      store_.commit();
    });
  }
}

void Keeper::reply(const std::string& rid, const msg::Message& m, std::uint64_t id) { out_.reply(rid, m, id); }

// A failed read or index: say so, and go on (a write's failure is the batch's, end_batch).
template <class F>
void Keeper::guarded(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    store_.rollback();
    ++failures_;
    const auto now = std::chrono::steady_clock::now();
    if (now < next_failure_log_) return;  // a full disk fails every turn: one line now and then
    spdlog::error("la base de datos falló ({} veces): {}", failures_, e.what());
    failures_ = 0;
    next_failure_log_ = now + kRefusalLogEvery;
  }
}

template <class F>
void Keeper::write(F&& f) {
  if (!failed_ && !gone_.empty()) failed_ = gone_;
  if (failed_) return;
  try {
    store_.begin();
    f();
  } catch (const std::exception& e) {
    failed_ = e.what();
  }
}

void Keeper::end_batch() {
  if (chats_.empty() && mails_.empty() && after_.empty() && !store_.in_transaction()) return;
  // What is committed to a file no longer at its path would be lost at the next start.
  if (store_.in_transaction()) check_file(std::chrono::steady_clock::now(), true);
  if (!failed_ && !gone_.empty()) failed_ = gone_;
  if (!failed_) {
    try {
      const auto now = wall_ms();
      for (const auto& [origin, n] : batch_last_) store_.sender_stored(origin, n, now);
      store_.commit();
    } catch (const std::exception& e) {
      failed_ = e.what();
    }
  }
  if (failed_) {
    store_.rollback();
    for (const auto& c : chats_) {
      const auto s = shared_.registry.find(c.from);
      refuse(c.rid, s && s->published_origin == c.origin ? s.get() : nullptr,
             msg::Error{msg::ErrorCode::not_stored,
                        "el servidor no pudo guardarlo (su disco o su base de datos fallan) y no llegó a nadie; "
                        "escríbelo otra vez más tarde",
                        "say", c.n});
    }
    for (const auto& m : mails_) {
      shared_.mail.gone(m.mail.to, msg::fold_name(m.mail.from), mail_cost(m.mail.text.size(), m.mail.from.size()));
      const auto s = shared_.registry.find(m.mail.from);
      refuse(m.sender_rid, s && s->origin == m.mail.origin ? s.get() : nullptr,
             msg::Error{msg::ErrorCode::not_stored,
                        "el servidor no pudo guardar tu mensaje privado para '" + m.to_name +
                            "' (su disco o su base de datos fallan); escríbelo otra vez más tarde",
                        "whisper", m.mail.n});
    }
    std::erase_if(after_, [](const Pending& p) { return p.stored_only; });
    refused_ += chats_.size() + mails_.size();
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_refusal_log_) {
      spdlog::error("no se pudo guardar en {}: {}; {} mensajes rechazados (not_stored), ni publicados ni "
                    "confirmados: {}",
                    shared_.cfg.db, *failed_, refused_,
                    gone_.empty() ? "libera espacio en el disco o arregla los permisos del archivo"
                                  : "reinicia charla-broker");
      refused_ = 0;
      next_refusal_log_ = now + kRefusalLogEvery;
    }
  } else {
    for (auto& c : chats_) {
      const auto seq = shared_.chat_seq.fetch_add(1, std::memory_order_relaxed) + 1;
      out_.publish(Stream::chat, seq, msg::Chat{seq, std::move(c.from), std::move(c.text), c.ts, c.origin, c.n});
    }
    for (const auto& [origin, n] : batch_last_) {
      auto& last = last_n_[origin];
      last = std::max(last, n);
    }
  }
  for (auto& p : after_) reply(p.rid, p.msg);
  chats_.clear();
  mails_.clear();
  batch_last_.clear();
  after_.clear();
  failed_.reset();
}

// What could not be stored is refused to its sender: to the session that sent
// it (found by name and origin), wherever its connection is now, and remembered
// there so that a resend gets the same answer; an unnumbered one to its connection.
void Keeper::refuse(const std::string& rid, Session* sender, const msg::Error& e) {
  if (e.n == 0) return reply(rid, e);
  if (sender == nullptr) return;  // gone: nobody left to tell
  sender->sent.failed(e.n, e);
  reply(sender->rid, e);
}

// The highest number stored, or being stored in this batch, for an origin.
std::uint64_t Keeper::stored_n(std::uint64_t origin) const {
  std::uint64_t n = 0;
  if (const auto it = last_n_.find(origin); it != last_n_.end()) n = it->second;
  if (const auto it = batch_last_.find(origin); it != batch_last_.end()) n = std::max(n, it->second);
  return n;
}

void Keeper::check_file(std::chrono::steady_clock::time_point now, bool now_please) {
  if (now < next_file_check_ && !now_please) return;
  next_file_check_ = now + kFileCheckEvery;
  if (!gone_.empty()) return;
  gone_ = store_.moved();
  if (!gone_.empty()) {
    spdlog::error("{}: lo que se guardara ahora se perdería al reiniciar, así que el broker ya no guarda, publica ni "
                  "confirma ningún mensaje; reinicia charla-broker para que abra {} de nuevo",
                  gone_, shared_.cfg.db);
  }
}

void Keeper::handle(Job& job) {
  std::visit(
      msg::overloaded{
          [&](job::Chat& c) {
            if (c.n != 0 && c.origin != 0 && c.n <= stored_n(c.origin)) return;  // a resend: its ack is enough
            write([&] {
              c.ts = std::max(c.ts, std::uint64_t{1});
              const auto hid = store_.add_chat(c.from, c.text, c.ts, c.origin, c.n);
              // The history never holds much more than it keeps: a tenth more at most, then
              // the oldest go in one delete.
              const auto keep = shared_.cfg.history_keep;
              if (keep != 0 && hid > keep + keep / 10 + forgotten_up_to_) {
                forgotten_up_to_ = hid - keep;
                store_.forget_chat_up_to(forgotten_up_to_);
              }
            });
            if (c.n != 0 && c.origin != 0) batch_last_[c.origin] = std::max(batch_last_[c.origin], c.n);
            chats_.push_back(std::move(c));
          },
          [&](job::Ack& a) { after_.push_back({std::move(a.rid), msg::Ack{a.n}, false}); },
          [&](job::Own& o) { write([&] { store_.own_name(o.name); }); },
          [&](job::Left& l) {
            write([&] {
              if (auto n = shared_.names.left(l.folded, l.at_ms, store_.newest_hid())) {
                store_.touch_name(n->key, n->used_ms, n->seen_hid);
              }
            });
          },
          [&](job::Mail& m) {
            write([&] { store_.add_mail(m.mail); });
            after_.push_back({m.sender_rid, msg::Held{m.to_name, m.mail.n}, true});
            mails_.push_back(std::move(m));
          },
          [&](job::Deliver& d) { deliver(*d.session); },
          [&](job::Confirmed& c) {
            write([&] {
              for (const auto& l : c.letters) store_.delete_mail(l.mail_id);
            });
            for (const auto& l : c.letters) {
              shared_.mail.gone(msg::fold_name(c.to_name), msg::fold_name(l.from),
                                mail_cost(l.text.size(), l.from.size()));
              const auto sender = shared_.registry.find(l.from);
              if (sender && sender->published_origin == l.origin && l.n != 0) {
                after_.push_back({sender->rid, msg::Delivered{c.to_name, l.n}, false});
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
    msg::Private p{w.from, w.text, w.ts, 0, public_origin(w.origin), w.n, true};
    zmq::message_t frame;
    if (s.mailbox.put(p, SIZE_MAX, frame, w.id) != Mailbox::Put::ok) return;  // it ended meanwhile
    out_.reply(s.rid, frame);
  }
  if (!mail.empty()) spdlog::info("{} ({}): {} mensajes privados que esperaban", s.name, s.ip, mail.size());
}

void Keeper::prune(std::uint64_t now_ms) {
  const auto& cfg = shared_.cfg;
  if (!gone_.empty()) return;
  const auto ago = [&](std::uint64_t ms) { return now_ms > ms ? now_ms - ms : 0; };  // 100 years is before 1970
  try {
    store_.begin();
    if (cfg.history_days != 0) store_.forget_chat_before(ago(cfg.history_days * kDayMs));
    store_.forget_mail_older_than(ago(std::uint64_t{cfg.mail_days} * kDayMs));
    store_.forget_names_unused_since(ago(std::uint64_t{cfg.name_ttl_days} * kDayMs),
                                     ago(std::uint64_t{cfg.new_name_ttl_h} * 3600 * 1000));
    store_.forget_senders_unused_since(ago(kSenderDays * kDayMs));
    store_.forget_senders_beyond(kMaxSenders);
    store_.commit();
    last_n_ = store_.senders();
    shared_.names.prune(now_ms);
    shared_.mail.load(store_.mail_counts());
  } catch (const std::exception& e) {
    store_.rollback();
    spdlog::error("no se pudo podar la base de datos: {}", e.what());
  }
}

}  // namespace charla::broker
