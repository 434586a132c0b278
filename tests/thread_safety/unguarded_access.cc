// Compiled by ctest only, never linked: proves clang's thread-safety analysis is on under the
// project's flags. Without TOKENFAB_TAKE_LOCK it writes an ABSL_GUARDED_BY field with the mutex
// not held, which must be a compile error; with it, the same file must compile.
#include "absl/synchronization/mutex.h"

class Counter {
 public:
  void Increment() {
#ifdef TOKENFAB_TAKE_LOCK
    absl::MutexLock lock(&mu_);
#endif
    ++count_;
  }

 private:
  absl::Mutex mu_;
  int count_ ABSL_GUARDED_BY(mu_) = 0;
};

int main() {
  Counter counter;
  counter.Increment();
}
