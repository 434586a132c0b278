#include "tokenizer/jinja/token_stream.h"

#include <algorithm>
#include <utility>

namespace tokenfab::tokenizer::jinja {

std::string Describe(const Token& token) {
  switch (token.kind) {
    case TokenKind::kText:
      return "template data";
    case TokenKind::kVariableBegin:
      return "'{{'";
    case TokenKind::kVariableEnd:
      return "'}}'";
    case TokenKind::kBlockBegin:
      return "'{%'";
    case TokenKind::kBlockEnd:
      return "'%}'";
    case TokenKind::kName:
    case TokenKind::kOperator:
      return fmt::format("'{}'", token.value);
    case TokenKind::kString:
      return "string literal";
    case TokenKind::kInteger:
    case TokenKind::kFloat:
      return "number";
    case TokenKind::kEnd:
      return "end of template";
  }
  return "token";
}

TokenStream::TokenStream(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

const Token& TokenStream::Peek(size_t ahead) const {
  return tokens_[std::min(index_ + ahead, tokens_.size() - 1)];
}

void TokenStream::Advance() {
  if (index_ + 1 < tokens_.size()) ++index_;
}

bool TokenStream::IsName(std::string_view name) const {
  return Current().kind == TokenKind::kName && Current().value == name;
}

bool TokenStream::IsOp(std::string_view op) const {
  return Current().kind == TokenKind::kOperator && Current().value == op;
}

bool TokenStream::SkipName(std::string_view name) {
  if (!IsName(name)) return false;
  Advance();
  return true;
}

bool TokenStream::SkipOp(std::string_view op) {
  if (!IsOp(op)) return false;
  Advance();
  return true;
}

Status TokenStream::Error(const Token& token, std::string_view message) const {
  return absl::InvalidArgumentError(FormatPosition(token.pos) + std::string(message));
}

Status TokenStream::Unexpected(std::string_view wanted) const {
  return Error(Current(), fmt::format("expected {}, got {}", wanted, Describe(Current())));
}

Status TokenStream::ExpectOp(std::string_view op) {
  if (!SkipOp(op)) return Unexpected(fmt::format("'{}'", op));
  return absl::OkStatus();
}

StatusOr<std::string> TokenStream::ExpectName() {
  if (Current().kind != TokenKind::kName) return Unexpected("a name");
  std::string name = Current().value;
  Advance();
  return name;
}

Status TokenStream::ExpectBlockEnd() {
  if (Current().kind != TokenKind::kBlockEnd) return Unexpected("end of statement '%}'");
  Advance();
  return absl::OkStatus();
}

Status TokenStream::DepthGuard::Check() const {
  if (stream_->depth_ > kMaxParseDepth) {
    return stream_->Error(stream_->Current(),
                          fmt::format("template nests deeper than {} levels", kMaxParseDepth));
  }
  return absl::OkStatus();
}

}  // namespace tokenfab::tokenizer::jinja
