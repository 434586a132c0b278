// Compares tokenfab's tokenizer with reference token ids on the tokenizer corpus.
//
//   tokenizer_reference_check --vocab NAME --corpus CORPUS.jsonl --reference REF.jsonl
//
// For every entry: Encode (no BOS/EOS, special-token texts as plain text) must equal the
// reference ids (entries without a reference, ill-formed UTF-8, are only round-tripped). Where
// the reference normalised the text (NFC for Qwen) to something other than what our normaliser
// gives, the two Unicode versions differ on a character assigned after the older one: such
// entries are counted apart, and Encode of the reference's normalised text must equal its ids;
// Decode(Encode(text)) must give back the text (its NFC form for Qwen); and a
// StreamingDetokenizer fed the ids one by one must emit the same bytes, never splitting a
// character of well-formed text. Prints the counts and the first differences; exits 1 on any.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "tokenfab/tokenizer/streaming_detokenizer.h"
#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"
#include "tokenizer_corpus.h"

namespace tokenfab::tokenizer {
namespace {

constexpr int kShowFirst = 8;

// The entry shown with escapes, cut to `max` bytes.
std::string Escaped(std::string_view text, size_t max = 160) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < max; ++i) {
    const auto c = static_cast<uint8_t>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > max) out += fmt::format("... ({} bytes)", text.size());
  return out;
}

std::string Ids(const std::vector<int32_t>& ids, size_t from, size_t count) {
  std::string out = from > 0 ? "... " : "";
  for (size_t i = from; i < ids.size() && i < from + count; ++i) out += fmt::format("{} ", ids[i]);
  if (from + count < ids.size()) out += "...";
  return out;
}

bool ValidUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<uint8_t>(s[i]);
    const size_t len = b < 0x80 ? 1 : b < 0xC2 ? 0 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : b < 0xF5 ? 4 : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<uint8_t>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

struct Reference {
  std::vector<int32_t> ids;
  std::optional<std::string> normalized;  // the text the reference encoded, when it normalised
};

StatusOr<std::vector<std::optional<Reference>>> ReadReference(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open", path));
  std::vector<std::optional<Reference>> out;
  std::string line;
  for (size_t number = 1; std::getline(in, line); ++number) {
    auto bad = [&] {
      return absl::InvalidArgumentError(fmt::format("{}:{}: not a reference line", path, number));
    };
    boost::system::error_code error;
    boost::json::value value = boost::json::parse(line, error);
    if (error) return bad();
    if (value.is_null()) {
      out.emplace_back();
      continue;
    }
    Reference reference;
    const boost::json::array* ids = value.if_array();
    if (const boost::json::object* object = value.if_object()) {
      const boost::json::value* normalized = object->if_contains("normalized");
      if (normalized == nullptr || !normalized->is_string()) return bad();
      reference.normalized = std::string(normalized->as_string());
      const boost::json::value* list = object->if_contains("ids");
      ids = list != nullptr ? list->if_array() : nullptr;
    }
    if (ids == nullptr) return bad();
    for (const boost::json::value& id : *ids) {
      if (!id.is_number()) return bad();
      reference.ids.push_back(static_cast<int32_t>(id.to_number<int64_t>()));
    }
    out.push_back(std::move(reference));
  }
  return out;
}

int Run(const std::string& name, const std::string& corpus_path,
        const std::string& reference_path) {
  auto fail = [](const Status& status) {
    std::fprintf(stderr, "tokenizer_reference_check: %s\n", std::string(status.message()).c_str());
    return 2;
  };
  StatusOr<std::string> vocab_path = FindVocabFile(name);
  if (!vocab_path.ok()) return fail(vocab_path.status());
  StatusOr<Vocab> vocab = LoadVocabJson(*vocab_path);
  if (!vocab.ok()) return fail(vocab.status());
  StatusOr<std::unique_ptr<Tokenizer>> tokenizer = Tokenizer::Create(*std::move(vocab));
  if (!tokenizer.ok()) return fail(tokenizer.status());
  StatusOr<std::vector<CorpusEntry>> corpus = ReadCorpus(corpus_path);
  if (!corpus.ok()) return fail(corpus.status());
  auto reference = ReadReference(reference_path);
  if (!reference.ok()) return fail(reference.status());
  if (reference->size() != corpus->size()) {
    return fail(absl::InvalidArgumentError(fmt::format("{} reference lines for {} corpus entries",
                                                       reference->size(), corpus->size())));
  }

  const Tokenizer& tok = **tokenizer;
  size_t compared = 0, ill_formed = 0, mismatches = 0, round_trip_failures = 0,
         streaming_failures = 0, normalization_differences = 0, tokens = 0, bytes = 0;
  int shown = 0;
  for (size_t i = 0; i < corpus->size(); ++i) {
    const CorpusEntry& entry = (*corpus)[i];
    const std::vector<int32_t> ids = tok.Encode(entry.text, /*add_special=*/false,
                                                /*parse_special=*/false);
    tokens += ids.size();
    bytes += entry.text.size();
    const std::optional<Reference>& ref = (*reference)[i];
    const std::vector<int32_t>* expected = ref.has_value() ? &ref->ids : nullptr;
    if (ref.has_value()) {
      ++compared;
      std::vector<int32_t> compared_ids = ids;
      if (ref->normalized.has_value() && tok.Normalize(entry.text) != *ref->normalized) {
        ++normalization_differences;
        std::printf(
            "  NORMALIZATION line %zu [%s] \"%s\": the reference's NFC differs from "
            "ours; comparing on its normalised text\n",
            i + 1, entry.category.c_str(), Escaped(entry.text).c_str());
        compared_ids = tok.Encode(*ref->normalized, false, false);
      }
      if (compared_ids != *expected) {
        ++mismatches;
        if (shown++ < kShowFirst) {
          size_t at = 0;
          while (at < compared_ids.size() && at < expected->size() &&
                 compared_ids[at] == (*expected)[at]) {
            ++at;
          }
          const size_t from = at >= 3 ? at - 3 : 0;
          std::printf("  MISMATCH line %zu [%s] \"%s\"\n    ours: %s\n    ref:  %s\n", i + 1,
                      entry.category.c_str(), Escaped(entry.text).c_str(),
                      Ids(compared_ids, from, 12).c_str(), Ids(*expected, from, 12).c_str());
        }
      }
    } else {
      ++ill_formed;
    }
    const std::string decoded = tok.Decode(ids);
    if (decoded != tok.Normalize(entry.text)) {
      ++round_trip_failures;
      if (shown++ < kShowFirst) {
        std::printf("  ROUND TRIP line %zu [%s] \"%s\"\n    decoded: \"%s\"\n", i + 1,
                    entry.category.c_str(), Escaped(entry.text).c_str(), Escaped(decoded).c_str());
      }
    }
    StreamingDetokenizer stream(tok, {.special = SpecialTokens::kSkip, .sequence_start = true});
    std::string streamed;
    bool split_character = false;
    for (int32_t id : ids) {
      const std::string chunk = stream.Push(id);
      split_character |= expected != nullptr && !ValidUtf8(chunk);
      streamed += chunk;
    }
    streamed += stream.Flush();
    if (streamed != decoded || split_character) {
      ++streaming_failures;
      if (shown++ < kShowFirst) {
        std::printf("  STREAMING line %zu [%s] \"%s\"%s\n", i + 1, entry.category.c_str(),
                    Escaped(entry.text).c_str(),
                    split_character ? " (a chunk split a character)" : "");
      }
    }
  }
  std::printf(
      "%s: %zu lines, %zu bytes, %zu tokens; %zu compared with the reference, %zu ill-formed "
      "UTF-8 (round trip only), %zu normalised differently by the reference's newer Unicode\n"
      "%s: mismatches %zu, round-trip failures %zu, streaming failures %zu\n",
      name.c_str(), corpus->size(), bytes, tokens, compared, ill_formed, normalization_differences,
      name.c_str(), mismatches, round_trip_failures, streaming_failures);
  return mismatches + round_trip_failures + streaming_failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace tokenfab::tokenizer

int main(int argc, char** argv) {
  std::string vocab, corpus, reference;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--vocab") vocab = argv[i + 1];
    if (flag == "--corpus") corpus = argv[i + 1];
    if (flag == "--reference") reference = argv[i + 1];
  }
  if (vocab.empty() || corpus.empty() || reference.empty()) {
    std::fprintf(stderr,
                 "usage: tokenizer_reference_check --vocab NAME --corpus CORPUS.jsonl "
                 "--reference REF.jsonl\n");
    return 2;
  }
  return tokenfab::tokenizer::Run(vocab, corpus, reference);
}
