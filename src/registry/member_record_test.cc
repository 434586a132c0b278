#include "tokenfab/registry/member_record.h"

#include <gtest/gtest.h>

namespace tokenfab::registry {
namespace {

MemberRecord Full() {
  MemberRecord r;
  r.name = "node-17";
  r.site = "hub-west";
  r.url = "http://10.0.0.17:8080";
  r.models = {"llama3-8b", "qwen3"};
  r.weight = 2.5;
  r.hardware = fleet::Hardware{.kind = fleet::DeviceKind::kNpu,
                               .model = "910B",
                               .count = 8,
                               .peak_tflops = 320,
                               .mem_bandwidth_gbps = 1600,
                               .power_idle_w = 90,
                               .power_max_w = 400};
  r.step_model = api::LoadStepModel{
      .base_us = 3000, .prefill_token_us = 90, .decode_sequence_us = 400, .kv_token_us = 0.02};
  return r;
}

TEST(MemberRecordTest, RoundTripsEveryField) {
  MemberRecord r = Full();
  r.draining = true;
  r.incarnation = "5f0c3e9a1b2d4c67";
  StatusOr<MemberRecord> back = DecodeMember(EncodeMember(r));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(MemberRecordTest, OptionalPartsStayUnset) {
  MemberRecord r = Full();
  r.hardware.reset();
  r.step_model.reset();
  const std::string json = EncodeMember(r);
  EXPECT_EQ(json.find("hardware"), std::string::npos);
  EXPECT_EQ(json.find("step_model"), std::string::npos);
  StatusOr<MemberRecord> back = DecodeMember(json);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, r);
}

TEST(MemberRecordTest, RefusesBadRecordsNamingTheField) {
  struct Case {
    std::string json;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"[]", "value"},
      {R"({"site":"s","url":"http://h:1","models":["m"]})", "name"},
      {R"({"name":"a/b","site":"s","url":"http://h:1","models":["m"]})", "name"},
      {R"({"name":"a","url":"http://h:1","models":["m"]})", "site"},
      {R"({"name":"a","site":"s","url":"ftp://h","models":["m"]})", "url"},
      {R"({"name":"a","site":"s","url":"http://h:1","models":[]})", "models"},
      {R"({"name":"a","site":"s","url":"http://h:1","models":["m"],"kind":"x"})", "kind"},
      {R"({"name":"a","site":"s","url":"http://h:1","models":["m"],"weight":0})", "weight"},
      {R"({"name":"a","site":"s","url":"http://h:1","models":["m"],"hardware":{"count":0}})",
       "hardware.count"},
  };
  for (const Case& c : cases) {
    StatusOr<MemberRecord> r = DecodeMember(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_NE(r.status().message().find(c.field + ":"), std::string_view::npos)
        << c.json << " -> " << r.status().message();
  }
}

TEST(MemberRecordTest, KeyIsPrefixSiteName) {
  EXPECT_EQ(MemberKey(kDefaultPrefix, "hub", "n1"), "/tokenfab/nodes/hub/n1");
}

TEST(MemberRecordTest, ParsesTheHardwareFlag) {
  StatusOr<fleet::Hardware> hw = ParseHardwareSpec(
      "kind=cpu,model=EPYC 9654,count=2,peak_tflops=5.5,mem_bandwidth_gbps=460,power_max_w=360");
  ASSERT_TRUE(hw.ok()) << hw.status();
  EXPECT_EQ(hw->kind, fleet::DeviceKind::kCpu);
  EXPECT_EQ(hw->model, "EPYC 9654");
  EXPECT_EQ(hw->count, 2);
  EXPECT_DOUBLE_EQ(hw->peak_tflops, 5.5);
  EXPECT_DOUBLE_EQ(hw->power_max_w, 360);
  EXPECT_FALSE(ParseHardwareSpec("kind=gpu,watts=3").ok());
  EXPECT_FALSE(ParseHardwareSpec("count=two").ok());
  EXPECT_FALSE(ParseHardwareSpec("kind=tpu").ok());
  // What a fleet file would refuse: no bandwidth, max power below idle.
  EXPECT_FALSE(ParseHardwareSpec("peak_tflops=5,power_max_w=360").ok());
  EXPECT_FALSE(
      ParseHardwareSpec("peak_tflops=5,mem_bandwidth_gbps=9,power_idle_w=400,power_max_w=360")
          .ok());
}

}  // namespace
}  // namespace tokenfab::registry
