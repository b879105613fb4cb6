#include <charla/client/delivery.hpp>

#include <algorithm>

namespace charla::client {

std::uint64_t Delivery::number(msg::Message& m) {
  if (unacked_.size() >= kMaxUnacked) return 0;
  const auto n = next_n_++;
  if (auto* s = std::get_if<msg::Say>(&m)) s->n = n;
  if (auto* w = std::get_if<msg::Whisper>(&m)) w->n = n;
  unacked_.push_back({n, m});
  return n;
}

std::vector<Delivery::Outgoing> Delivery::acked(std::uint64_t n) {
  std::vector<Outgoing> out;
  while (!unacked_.empty() && unacked_.front().n <= n) {
    out.push_back(std::move(unacked_.front()));
    unacked_.pop_front();
  }
  return out;
}

std::optional<Delivery::Outgoing> Delivery::refused(std::uint64_t n) {
  const auto it = std::find_if(unacked_.begin(), unacked_.end(), [&](const Outgoing& o) { return o.n == n; });
  if (it == unacked_.end()) return std::nullopt;
  auto out = std::move(*it);
  unacked_.erase(it);
  return out;
}

bool Delivery::fresh(const msg::Chat& c) {
  if (c.n == 0) return true;  // not numbered: nothing to recognise it by
  if (chat_seen_.size() >= kOrigins && chat_seen_.count(c.origin) == 0) chat_seen_.erase(chat_seen_.begin());
  auto& last = chat_seen_[c.origin];
  if (c.n <= last) return false;  // one sender's broadcasts arrive in order
  last = c.n;
  return true;
}

bool Delivery::fresh(const msg::Private& p) {
  // Whatever it is, it arrived: note its delivery number for got.
  if (p.dseq > got_) {
    ahead_.insert(p.dseq);
    while (!ahead_.empty() && *ahead_.begin() == got_ + 1) {
      got_ = *ahead_.begin();
      ahead_.erase(ahead_.begin());
    }
  }
  if (p.n == 0) return true;
  if (private_seen_.size() >= kOrigins && private_seen_.count(p.origin) == 0) private_seen_.erase(private_seen_.begin());
  // After a resume, old private messages sent again may come after newer ones: a set, not a maximum.
  auto& seen = private_seen_[p.origin];
  if (!seen.insert(p.n).second) return false;
  if (seen.size() > kPrivatesPerOrigin) seen.erase(seen.begin());
  return true;
}

std::optional<std::uint64_t> Delivery::got_due(std::chrono::steady_clock::time_point now, bool now_please) {
  if (got_ == got_sent_) {
    unconfirmed_since_.reset();
    return std::nullopt;
  }
  if (!unconfirmed_since_) unconfirmed_since_ = now;
  if (!now_please && got_ - got_sent_ < kGotEvery && now - *unconfirmed_since_ < kGotAfter) return std::nullopt;
  got_sent_ = got_;
  unconfirmed_since_.reset();
  return got_;
}

void Delivery::new_session() {
  got_ = got_sent_ = 0;
  ahead_.clear();
  unconfirmed_since_.reset();
}

}  // namespace charla::client
