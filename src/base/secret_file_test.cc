#include "tokenfab/base/secret_file.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace tokenfab::base {
namespace {

std::string WriteTemp(const std::string& name, const std::string& contents) {
  const std::filesystem::path path = std::filesystem::path(testing::TempDir()) / name;
  std::ofstream(path, std::ios::binary) << contents;
  return path.string();
}

TEST(SecretFileTest, ReadsTheSecretWithoutTheFinalNewline) {
  StatusOr<std::string> secret = ReadSecretFile(WriteTemp("secret_ok", "  s3cret-token\n"));
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "s3cret-token");
}

TEST(SecretFileTest, AnEmptyFileOrAMissingOneIsAnError) {
  StatusOr<std::string> empty = ReadSecretFile(WriteTemp("secret_empty", " \n"));
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  StatusOr<std::string> missing = ReadSecretFile(WriteTemp("x", "") + ".absent");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(SecretFileTest, ReadsAnEnvironmentVariable) {
  ::setenv("TOKENFAB_SECRET_FILE_TEST", "key-from-env\n", 1);
  StatusOr<std::string> secret = ReadSecretEnv("TOKENFAB_SECRET_FILE_TEST");
  ASSERT_TRUE(secret.ok()) << secret.status();
  EXPECT_EQ(*secret, "key-from-env");
  ::setenv("TOKENFAB_SECRET_FILE_TEST", "", 1);
  EXPECT_EQ(ReadSecretEnv("TOKENFAB_SECRET_FILE_TEST").status().code(),
            absl::StatusCode::kInvalidArgument);
  ::unsetenv("TOKENFAB_SECRET_FILE_TEST");
  EXPECT_EQ(ReadSecretEnv("TOKENFAB_SECRET_FILE_TEST").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace tokenfab::base
