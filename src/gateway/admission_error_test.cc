#include "admission_error.h"

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace tokenfab::gateway {
namespace {

using ledger::RejectReason;

ledger::Rejection Rejected(RejectReason reason, int http_status, int64_t retry_after_s) {
  return {reason, http_status, retry_after_s, "refused: " + std::string(RejectReasonName(reason))};
}

TEST(AdmissionErrorTest, EachReasonHasOpenAisTypeAndCode) {
  struct Case {
    RejectReason reason;
    int http_status;
    std::string_view type;
    std::string_view code;
  };
  for (const Case& c : {
           Case{RejectReason::kRegionNotAllowed, 403, "invalid_request_error",
                "region_not_allowed"},
           Case{RejectReason::kTokenBudget, 429, "insufficient_quota", "insufficient_quota"},
           Case{RejectReason::kConcurrency, 429, "requests", "rate_limit_exceeded"},
           Case{RejectReason::kRequestRate, 429, "requests", "rate_limit_exceeded"},
           Case{RejectReason::kTokenRate, 429, "tokens", "rate_limit_exceeded"},
           Case{RejectReason::kRequestTooLarge, 429, "tokens", "rate_limit_exceeded"},
       }) {
    const api::ApiError error = AdmissionError(Rejected(c.reason, c.http_status, 0));
    SCOPED_TRACE(RejectReasonName(c.reason));
    EXPECT_EQ(error.http_status, c.http_status);
    EXPECT_EQ(error.type, c.type);
    EXPECT_EQ(error.code, c.code);
    EXPECT_EQ(error.message, "refused: " + std::string(RejectReasonName(c.reason)));
  }
}

TEST(AdmissionErrorTest, AnswerHasOpenAisShapeAndRetryAfter) {
  const net::HttpResponse response =
      api::ApiErrorResponse(AdmissionError(Rejected(RejectReason::kRequestRate, 429, 60)));
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.headers.Get("Retry-After"), "60");
  const boost::json::value body = boost::json::parse(response.body);
  const boost::json::object& error = body.at("error").as_object();
  EXPECT_EQ(error.at("type").as_string(), "requests");
  EXPECT_EQ(error.at("code").as_string(), "rate_limit_exceeded");
  EXPECT_TRUE(error.at("param").is_null());
  EXPECT_EQ(error.at("message").as_string(), "refused: request_rate");
  // No Retry-After when the rejection gives none (a request that can never fit).
  EXPECT_FALSE(
      api::ApiErrorResponse(AdmissionError(Rejected(RejectReason::kRequestTooLarge, 429, 0)))
          .headers.Get("Retry-After")
          .has_value());
}

}  // namespace
}  // namespace tokenfab::gateway
