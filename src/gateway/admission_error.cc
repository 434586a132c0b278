#include "admission_error.h"

#include <limits>

namespace tokenfab::gateway {
namespace {

struct WireWords {
  std::string_view type;
  std::string_view code;
};

WireWords WordsFor(ledger::RejectReason reason) {
  switch (reason) {
    case ledger::RejectReason::kRegionNotAllowed:
      return {"invalid_request_error", "region_not_allowed"};
    case ledger::RejectReason::kTokenBudget:
      return {"insufficient_quota", "insufficient_quota"};
    case ledger::RejectReason::kConcurrency:
    case ledger::RejectReason::kRequestRate:
      return {"requests", "rate_limit_exceeded"};
    case ledger::RejectReason::kTokenRate:
    case ledger::RejectReason::kRequestTooLarge:
      return {"tokens", "rate_limit_exceeded"};
  }
  return {"requests", "rate_limit_exceeded"};
}

}  // namespace

api::ApiError AdmissionError(const ledger::Rejection& rejection) {
  const WireWords words = WordsFor(rejection.reason);
  api::ApiError error;
  error.http_status = rejection.http_status;
  error.message = rejection.message;
  error.type = std::string(words.type);
  error.code = std::string(words.code);
  error.retry_after_s = static_cast<int>(
      std::min<int64_t>(rejection.retry_after_seconds, std::numeric_limits<int>::max()));
  return error;
}

}  // namespace tokenfab::gateway
