// Truncated and corrupted files: the reader returns an error or a consistent file, and never reads
// outside the buffer (run under AddressSanitizer to catch that). Each buffer is copied into its
// own exactly-sized allocation so that any read past its end is an ASan error.
#include <memory>

#include <gtest/gtest.h>

#include "model/testing/gguf_samples.h"
#include "tokenfab/base/random.h"
#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_vocab.h"

namespace tokenfab::model {
namespace {

using testing::SampleFile;

// Touches everything a parsed file hands out, so a bad view would be read.
uint64_t TouchEverything(const GgufFile& file) {
  uint64_t sum = 0;
  for (std::string_view key : file.Keys()) {
    sum += key.size();
    (void)file.KeyType(key);
    (void)file.GetUint(key);
    (void)file.GetInt(key);
    (void)file.GetFloat(key);
    (void)file.GetBool(key);
    if (auto s = file.GetString(key); s.ok()) sum += s->empty() ? 0 : (*s)[s->size() - 1];
    if (auto a = file.GetStringArray(key); a.ok()) {
      for (std::string_view s : *a) sum += s.empty() ? 0 : s[s.size() - 1];
    }
    (void)file.GetFloatArray(key);
    (void)file.GetIntArray(key);
    (void)file.GetArrayInfo(key);
    if (auto v = file.GetValue(key); v.ok()) sum += v->encoded().size();
  }
  for (const GgufTensorInfo& t : file.tensors()) {
    if (t.size_bytes > 0) sum += t.data[0] + t.data[t.size_bytes - 1];
  }
  (void)ReadVocab(file);
  return sum;
}

StatusOr<GgufFile> ParseCopy(const std::vector<uint8_t>& bytes, size_t length,
                             std::unique_ptr<uint8_t[]>& storage) {
  storage = std::make_unique<uint8_t[]>(length);
  std::copy(bytes.begin(), bytes.begin() + length, storage.get());
  return GgufFile::Parse(std::span<const uint8_t>(storage.get(), length));
}

// The offset where the last tensor's data ends: any shorter file lacks data it needs.
size_t EndOfData(const std::vector<uint8_t>& bytes) {
  GgufFile file = GgufFile::Parse(bytes).value();
  const GgufTensorInfo& last = file.tensors().back();
  return file.data_offset() + last.offset + last.size_bytes;
}

TEST(GgufRobustnessTest, EveryTruncationIsAnError) {
  const std::vector<uint8_t> bytes = SampleFile();
  const size_t end_of_data = EndOfData(bytes);
  ASSERT_LE(end_of_data, bytes.size());
  for (size_t length = 0; length < end_of_data; ++length) {
    std::unique_ptr<uint8_t[]> storage;
    StatusOr<GgufFile> file = ParseCopy(bytes, length, storage);
    ASSERT_FALSE(file.ok()) << "a file cut to " << length << " of " << bytes.size()
                            << " bytes parsed";
  }
  // Cutting only the padding after the last tensor leaves every byte the file describes.
  for (size_t length = end_of_data; length <= bytes.size(); ++length) {
    std::unique_ptr<uint8_t[]> storage;
    StatusOr<GgufFile> file = ParseCopy(bytes, length, storage);
    ASSERT_TRUE(file.ok()) << length << ": " << file.status();
    TouchEverything(*file);
  }
}

TEST(GgufRobustnessTest, EveryTruncationOfAFileWithoutTensorsIsAnErrorOrComplete) {
  const std::vector<uint8_t> bytes = SampleFile(testing::SampleOptions{.tensors = false});
  GgufFile whole = GgufFile::Parse(bytes).value();
  for (size_t length = 0; length < bytes.size(); ++length) {
    std::unique_ptr<uint8_t[]> storage;
    StatusOr<GgufFile> file = ParseCopy(bytes, length, storage);
    // Only the zero padding after the last key may go missing.
    if (file.ok()) {
      EXPECT_GE(length, whole.data_offset() - 31);
      EXPECT_EQ(file->Keys().size(), whole.Keys().size());
    }
  }
}

TEST(GgufRobustnessTest, SingleByteCorruptionsNeverCrash) {
  const std::vector<uint8_t> bytes = SampleFile();
  const GgufFile whole = GgufFile::Parse(bytes).value();
  // Every byte of the header, metadata and tensor infos, with a few replacement values each.
  const size_t header_end = whole.data_offset();
  int parsed = 0;
  int rejected = 0;
  for (size_t pos = 0; pos < header_end; ++pos) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x80}, uint8_t{0x01},
                          static_cast<uint8_t>(bytes[pos] ^ 0x04)}) {
      std::vector<uint8_t> corrupted = bytes;
      corrupted[pos] = value;
      std::unique_ptr<uint8_t[]> storage;
      StatusOr<GgufFile> file = ParseCopy(corrupted, corrupted.size(), storage);
      if (file.ok()) {
        TouchEverything(*file);
        ++parsed;
      } else {
        EXPECT_FALSE(file.status().message().empty());
        ++rejected;
      }
    }
  }
  EXPECT_GT(parsed, 0);
  EXPECT_GT(rejected, 0);
}

TEST(GgufRobustnessTest, RandomMultiByteCorruptionsNeverCrash) {
  const std::vector<uint8_t> bytes = SampleFile();
  base::Random random(42);
  for (int round = 0; round < 3000; ++round) {
    std::vector<uint8_t> corrupted = bytes;
    const int edits = 1 + static_cast<int>(random.Below(8));
    for (int e = 0; e < edits; ++e) {
      corrupted[random.Below(corrupted.size())] = static_cast<uint8_t>(random.NextU64());
    }
    const size_t length = random.Below(4) == 0 ? random.Below(corrupted.size()) : corrupted.size();
    std::unique_ptr<uint8_t[]> storage;
    StatusOr<GgufFile> file = ParseCopy(corrupted, length, storage);
    if (file.ok()) TouchEverything(*file);
  }
}

}  // namespace
}  // namespace tokenfab::model
