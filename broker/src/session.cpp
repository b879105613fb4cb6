#include "session.hpp"

#include "origin.hpp"

#include <charla/msg/codec.hpp>
#include <charla/msg/names.hpp>

#include <algorithm>
#include <random>

namespace charla::broker {

Mailbox::Put Mailbox::put(msg::Private& p, std::size_t limit, zmq::message_t& out, std::uint64_t mail_id) {
  std::lock_guard lock(mu_);
  if (closed_) return Put::closed;
  p.dseq = next_;
  auto frame = msg::encode(p);
  if (bytes_ + frame.size() > limit) return Put::full;
  ++next_;
  bytes_ += frame.size();
  out.copy(frame);  // shares the buffer: the letter and the send hold one copy of the bytes
  letters_.push_back(Letter{p.dseq, std::move(frame), p.from, p.origin, p.n, p.text, mail_id});
  return Put::ok;
}

std::vector<Mailbox::Letter> Mailbox::confirm(std::uint64_t dseq) {
  std::vector<Letter> stored;
  std::lock_guard lock(mu_);
  while (!letters_.empty() && letters_.front().dseq <= dseq) {
    bytes_ -= letters_.front().frame.size();
    if (letters_.front().mail_id != 0) stored.push_back(std::move(letters_.front()));
    letters_.pop_front();
  }
  return stored;
}

std::vector<zmq::message_t> Mailbox::unconfirmed() {
  std::lock_guard lock(mu_);
  std::vector<zmq::message_t> out;
  out.reserve(letters_.size());
  for (auto& l : letters_) out.emplace_back().copy(l.frame);
  return out;
}

std::vector<Mailbox::Letter> Mailbox::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  bytes_ = 0;
  std::vector<Letter> out;
  for (auto& l : letters_) {
    if (l.mail_id == 0) out.push_back(std::move(l));
  }
  letters_.clear();
  return out;
}

void Mailbox::take_from(Mailbox& old) {
  std::scoped_lock lock(mu_, old.mu_);
  letters_ = std::move(old.letters_);
  bytes_ = old.bytes_;
  next_ = old.next_;
  old.letters_.clear();
  old.bytes_ = 0;
  old.closed_ = true;
}

bool SentLog::seen(std::uint64_t n, std::optional<msg::Error>& error) {
  std::lock_guard lock(mu_);
  if (n > last_) return false;
  const auto it = std::find_if(errors_.begin(), errors_.end(), [&](const msg::Error& e) { return e.n == n; });
  if (it != errors_.end()) error = *it;
  return true;
}

void SentLog::handled(std::uint64_t n) {
  std::lock_guard lock(mu_);
  last_ = std::max(last_, n);
}

void SentLog::failed(std::uint64_t n, const msg::Error& e) {
  std::lock_guard lock(mu_);
  last_ = std::max(last_, n);
  errors_.push_back(e);
  if (errors_.size() > kErrors) errors_.pop_front();
}

void SentLog::take_from(SentLog& old) {
  std::scoped_lock lock(mu_, old.mu_);
  last_ = old.last_;
  errors_ = old.errors_;
}

Session::Session(std::string rid_, std::string name_, std::string ip_, std::size_t worker_, Clock::time_point now,
                 std::string token, std::uint64_t origin_, std::string owner_)
    : rid(std::move(rid_)),
      name(std::move(name_)),
      key(msg::fold_name(name)),
      ip(std::move(ip_)),
      worker(worker_),
      connected_at(now),
      connected_wall_ms(wall_ms()),
      resume_token(std::move(token)),
      origin(origin_),
      published_origin(public_origin(origin_)),
      owner(std::move(owner_)),
      last_heard(now),
      last_activity(now.time_since_epoch().count()) {}

Session::Session(Session& old, std::string rid_, std::string ip_, std::size_t worker_, Clock::time_point now)
    : rid(std::move(rid_)),
      name(old.name),
      key(old.key),
      ip(std::move(ip_)),
      worker(worker_),
      connected_at(old.connected_at),
      connected_wall_ms(old.connected_wall_ms),
      resume_token(old.resume_token),
      origin(old.origin),
      published_origin(old.published_origin),
      owner(old.owner),
      last_heard(now),
      idle_set(old.idle_set.load()),
      last_activity(old.last_activity.load()),
      status(old.status.load()) {
  mailbox.take_from(old.mailbox);
  sent.take_from(old.sent);
}

std::string new_resume_token() {
  // Unpredictable, so that nobody takes over a session that is not theirs
  // (random_device reads the kernel's generator; a seeded PRNG could be predicted).
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int word = 0; word < 4; ++word) {
    auto bits = rd();
    for (int i = 0; i < 8; ++i, bits >>= 4) out[word * 8 + i] = kHex[bits & 15];
  }
  return out;
}

}  // namespace charla::broker
