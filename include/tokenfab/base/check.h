// TF_CHECK: abort with a message when an internal invariant is broken. Not for bad input: bad
// input from a file or the network is a Status, never an abort.
//
//   TF_CHECK(block < blocks_.size()) << "block " << block << " out of range";
#pragma once

#include <sstream>
#include <string_view>

namespace tokenfab::base {

// Collects the message of a failed check; its destructor prints it and aborts.
class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  CheckFailure(const CheckFailure&) = delete;
  CheckFailure& operator=(const CheckFailure&) = delete;
  [[noreturn]] ~CheckFailure();

  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets the `cond ? (void)0 : Voidify() & stream` trick type-check.
struct CheckVoidify {
  void operator&(std::ostream&) {}
};

}  // namespace tokenfab::base

#define TF_CHECK(condition)                   \
  (condition) ? (void)0                       \
              : ::tokenfab::base::CheckVoidify() & \
                    ::tokenfab::base::CheckFailure(__FILE__, __LINE__, #condition).stream()

#define TF_CHECK_EQ(a, b) TF_CHECK((a) == (b)) << "(" << (a) << " vs " << (b) << ") "
#define TF_CHECK_LT(a, b) TF_CHECK((a) < (b)) << "(" << (a) << " vs " << (b) << ") "
#define TF_CHECK_LE(a, b) TF_CHECK((a) <= (b)) << "(" << (a) << " vs " << (b) << ") "
