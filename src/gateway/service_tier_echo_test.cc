#include "service_tier_echo.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace tokenfab::gateway {
namespace {

TEST(ServiceTierEchoTest, AddsTheFieldToAnObject) {
  const std::string out = WithServiceTier(R"({"id":"c1","object":"chat.completion"})", "flex");
  const boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(v.at("service_tier").as_string(), "flex");
  EXPECT_EQ(v.at("id").as_string(), "c1");
  EXPECT_EQ(boost::json::parse(WithServiceTier(" {} ", "default")).at("service_tier").as_string(),
            "default");
}

TEST(ServiceTierEchoTest, ReplacesAnUpstreamsOwnTier) {
  const std::string out = WithServiceTier(R"({"service_tier":"default","id":"c1"})", "priority");
  const boost::json::value v = boost::json::parse(out);
  EXPECT_EQ(v.at("service_tier").as_string(), "priority");
  EXPECT_EQ(v.as_object().size(), 2u);
}

TEST(ServiceTierEchoTest, LeavesWhatIsNotAnObjectAlone) {
  EXPECT_EQ(WithServiceTier("[DONE]", "flex"), "[DONE]");
  EXPECT_EQ(WithServiceTier("", "flex"), "");
}

}  // namespace
}  // namespace tokenfab::gateway
