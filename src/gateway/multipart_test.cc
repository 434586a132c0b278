#include "multipart.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tokenfab::gateway {
namespace {

using ::testing::HasSubstr;

constexpr std::string_view kType = "multipart/form-data; boundary=----b0undary";

TEST(MultipartTest, ReadsFieldsAndAFile) {
  const std::string body =
      "------b0undary\r\n"
      "Content-Disposition: form-data; name=\"purpose\"\r\n\r\n"
      "batch\r\n"
      "------b0undary\r\n"
      "Content-Disposition: form-data; name=\"file\"; filename=\"in put.jsonl\"\r\n"
      "Content-Type: application/jsonl\r\n\r\n"
      "{\"a\":1}\r\n{\"b\":2}\n\r\n"
      "------b0undary--\r\n";
  StatusOr<std::vector<FormPart>> parts = ParseMultipart(kType, body);
  ASSERT_TRUE(parts.ok()) << parts.status();
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "purpose");
  EXPECT_EQ((*parts)[0].data, "batch");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "in put.jsonl");
  EXPECT_EQ((*parts)[1].content_type, "application/jsonl");
  // The bytes are exact: CRLFs inside the data are kept, only the delimiter's is dropped.
  EXPECT_EQ((*parts)[1].data, "{\"a\":1}\r\n{\"b\":2}\n");
}

TEST(MultipartTest, MalformedBodiesAreInvalidArguments) {
  struct Case {
    std::string_view type;
    std::string body;
    const char* message;
  };
  for (const Case& c : {
           Case{"application/json", "{}", "multipart/form-data"},
           Case{"multipart/form-data", "--x\r\n", "boundary"},
           Case{kType, "nothing here", "boundary does not occur"},
           Case{kType, "------b0undary\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nabc",
                "ends inside a part"},
           Case{kType, "------b0undary\r\nno colon\r\n\r\nabc\r\n------b0undary--", "no ':'"},
           Case{kType,
                "------b0undary\r\nContent-Disposition: form-data\r\n\r\nx\r\n------b0undary--",
                "no name"},
       }) {
    StatusOr<std::vector<FormPart>> parts = ParseMultipart(c.type, c.body);
    ASSERT_FALSE(parts.ok()) << c.body;
    EXPECT_TRUE(absl::IsInvalidArgument(parts.status()));
    EXPECT_THAT(std::string(parts.status().message()), HasSubstr(c.message)) << c.body;
  }
}

}  // namespace
}  // namespace tokenfab::gateway
