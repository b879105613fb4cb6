// Living with ThreadSanitizer and an uninstrumented libzmq (see sanitizer.cpp).
#pragma once

namespace charla::test {

// Under ThreadSanitizer: builds its symbolizer now, once per process, on the
// calling thread. Without it the first (suppressed) report of a libzmq
// hand-off builds it on whatever thread meets it first, which can take
// seconds while TSan holds the lock that creating a thread needs: a broker
// starting its workers just then would answer nothing for seconds.
// Without ThreadSanitizer: does nothing.
void prepare_sanitizer();

}  // namespace charla::test
