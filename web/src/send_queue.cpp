#include "send_queue.hpp"

namespace charla::web {

bool SendQueue::push(Encoded m) {
  if (missed_ > 0) (void)catch_up();  // the notice goes before anything newer
  if (missed_ > 0 || bytes_ + m->size() > max_) {
    ++missed_;
    ++dropped_total_;
    return false;
  }
  bytes_ += m->size();
  q_.push_back(std::move(m));
  return true;
}

bool SendQueue::pop() {
  bytes_ -= q_.front()->size();
  q_.pop_front();
  return missed_ > 0 && catch_up();
}

bool SendQueue::catch_up() {
  if (bytes_ > max_ / 2) return false;
  auto notice = out::missed(missed_);
  bytes_ += notice->size();
  q_.push_back(std::move(notice));
  missed_ = 0;
  return true;
}

}  // namespace charla::web
