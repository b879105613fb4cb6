// Waiting with deadlines: tests wait for what they expect, never sleep a guess.
#pragma once

#include <chrono>
#include <thread>

namespace charla::test {

using namespace std::chrono_literals;

// Sanitizers make everything several times slower (ThreadSanitizer 5-15x), and
// the machine may be busy: what may take "a while" takes that much longer.
#if defined(__SANITIZE_THREAD__)
inline constexpr int kSlowdown = 4;
#elif defined(__SANITIZE_ADDRESS__)
inline constexpr int kSlowdown = 2;
#else
inline constexpr int kSlowdown = 1;
#endif

// How long anything that must happen may take. Generous: a passing test never
// waits for it, only a failing one does.
inline constexpr std::chrono::milliseconds kWait = 5s * kSlowdown;
// How long a test watches for something that must NOT happen.
inline constexpr std::chrono::milliseconds kQuiet = 200ms;

// Calls pred until it returns true or the timeout passes; true if it did.
// pred should block briefly itself (poll a socket for a few milliseconds);
// between calls this only yields.
template <class Pred>
bool wait_for(Pred&& pred, std::chrono::milliseconds timeout = kWait) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::yield();
  }
}

}  // namespace charla::test
