#include "support/sanitizer.hpp"

#if defined(__SANITIZE_THREAD__)
#include <sanitizer/common_interface_defs.h>
#endif

// ThreadSanitizer and libzmq: libzmq is not built with TSan, so the hand-off
// of a message between an application thread and ZeroMQ's I/O thread (through
// libzmq's lock-free pipes) is invisible to it, and every send looks like a
// race on the message's buffer.
// - called_from_lib: TSan ignores the memory accesses of functions that libzmq
//   calls (memcpy, …): those are never reported.
// - race: what is left with a libzmq frame in a stack (e.g. a message's free
//   callback, run by ZeroMQ's I/O thread).
// Races in charla's own code, tests included, are still reported.
// (Compiled into charla_tests; it matters only with CHARLA_SANITIZE=thread.)
extern "C" const char* __tsan_default_suppressions();  // NOLINT(bugprone-reserved-identifier)

extern "C" const char* __tsan_default_suppressions() {
  return "called_from_lib:libzmq.so.5\n"
         "race:libzmq.so\n";
}

namespace charla::test {

void prepare_sanitizer() {
#if defined(__SANITIZE_THREAD__)
  static const bool ready = [] {
    char where[128];
    __sanitizer_symbolize_pc(__builtin_return_address(0), "%p", where, sizeof where);
    return true;
  }();
  (void)ready;
#endif
}

}  // namespace charla::test
