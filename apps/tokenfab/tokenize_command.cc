// `tokenfab tokenize`: the text on stdin to token ids, to count tokens for bills and budgets.
//
//   tokenfab tokenize --vocab llama3 < prompt.txt            → [9906,1917,...]
//   tokenfab tokenize --model m.gguf --count < prompt.txt    → 42
//   tokenfab tokenize --vocab qwen3 --jsonl < lines.jsonl    → one id array (or count) per line
//
// Output: a JSON array of ids on one line (with --jsonl, one per input line), or with --count
// only the number. No BOS/EOS unless --add-special. Special-token texts such as <|eot_id|> are
// plain text unless --parse-special: by default a text is counted as the characters it is, and a
// user cannot smuggle control tokens into a count (a server that renders a chat template parses
// them in the template's own text; pass --parse-special to count such a rendered prompt).
// User-defined tokens (Qwen's <think>) are recognised either way, as every server does.
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "command.h"
#include "tokenfab/tokenizer/tokenizer.h"
#include "tokenfab/tokenizer/vocab_source.h"

#include "tokenfab/model/gguf_file.h"
#include "tokenfab/model/gguf_vocab.h"

namespace tokenfab::cli {
namespace {

struct TokenizeOptions {
  std::string model;
  std::string vocab;
  bool count = false;
  bool jsonl = false;
  bool add_special = false;
  bool parse_special = false;
};

StatusOr<tokenizer::Vocab> LoadVocab(const TokenizeOptions& options) {
  if (!options.vocab.empty()) {
    TF_ASSIGN_OR_RETURN(std::string path, tokenizer::FindVocabFile(options.vocab));
    return tokenizer::LoadVocabJson(path);
  }
  TF_ASSIGN_OR_RETURN(model::GgufFile file, model::GgufFile::Open(options.model));
  return model::ReadVocab(file);
}

std::string Format(const std::vector<int32_t>& ids, bool count) {
  if (count) return fmt::format("{}\n", ids.size());
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += std::to_string(ids[i]);
  }
  out += "]\n";
  return out;
}

int Fail(const Status& status) {
  std::fprintf(stderr, "tokenfab tokenize: %s\n", std::string(status.message()).c_str());
  return kExitFailure;
}

int RunTokenize(const TokenizeOptions& options) {
  StatusOr<tokenizer::Vocab> vocab = LoadVocab(options);
  if (!vocab.ok()) return Fail(vocab.status());
  StatusOr<std::unique_ptr<tokenizer::Tokenizer>> tokenizer =
      tokenizer::Tokenizer::Create(*std::move(vocab));
  if (!tokenizer.ok()) return Fail(tokenizer.status());
  const tokenizer::Tokenizer& tok = **tokenizer;
  auto encode = [&](std::string_view text) {
    return tok.Encode(text, options.add_special, options.parse_special);
  };

  std::ios::sync_with_stdio(false);
  if (!options.jsonl) {
    std::string text(std::istreambuf_iterator<char>(std::cin), {});
    const std::string out = Format(encode(text), options.count);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
  }
  std::string line;
  for (size_t number = 1; std::getline(std::cin, line); ++number) {
    boost::system::error_code error;
    const boost::json::value value = boost::json::parse(line, error);
    if (error || !value.is_string()) {
      return Fail(absl::InvalidArgumentError(
          fmt::format("stdin line {}: not a JSON string{}", number,
                      error ? fmt::format(" ({})", error.message()) : std::string())));
    }
    const std::string out = Format(encode(value.as_string()), options.count);
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  return std::fflush(stdout) == 0 ? kExitOk : kExitFailure;
}

}  // namespace

Command AddTokenizeCommand(CLI::App& app) {
  auto options = std::make_shared<TokenizeOptions>();
  CLI::App* sub = app.add_subcommand(
      "tokenize",
      "Turn the text on stdin into token ids: a JSON array, or with --count the number of tokens");
  CLI::Option* model =
      sub->add_option("--model", options->model, "GGUF model whose vocabulary to use")
          ->check(CLI::ExistingFile);
  CLI::Option* vocab =
      sub->add_option("--vocab", options->vocab, "a bundled vocabulary instead of a model")
          ->check(CLI::IsMember(tokenizer::KnownVocabNames()));
  model->excludes(vocab);
  sub->add_flag("--count", options->count, "print only the number of tokens");
  sub->add_flag("--jsonl", options->jsonl,
                "each stdin line is a JSON string; print one array (or count) per line");
  sub->add_flag("--add-special", options->add_special,
                "add BOS/EOS as the vocabulary says (off: the text alone is counted)");
  sub->add_flag("--parse-special", options->parse_special,
                "read special-token texts such as <|eot_id|> as those tokens (off: plain text)");
  return Command{sub, [options] {
                   if (options->model.empty() == options->vocab.empty()) {
                     std::fprintf(stderr,
                                  "tokenfab tokenize: give one of --model FILE or --vocab NAME\n");
                     return kExitUsage;
                   }
                   return RunTokenize(*options);
                 }};
}

}  // namespace tokenfab::cli
