// TokenStream: the parser's cursor over the lexer's tokens, with the look-ahead, expectations and
// error messages the statement and expression parsers share, and the nesting bound. One per
// parse; not thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/lexer.h"

namespace tokenfab::tokenizer::jinja {

// How deep expressions and statements may nest (bounds the parser's and interpreter's recursion).
inline constexpr int kMaxParseDepth = 100;

// A token as error messages quote it: "'endfor'", "string literal", "end of template".
std::string Describe(const Token& token);

class TokenStream {
 public:
  // REQUIRES: `tokens` ends with a kEnd token.
  explicit TokenStream(std::vector<Token> tokens);

  const Token& Current() const { return tokens_[index_]; }
  const Token& Peek(size_t ahead = 1) const;
  // The token before Current(). REQUIRES: Advance() was called.
  const Token& Previous() const { return tokens_[index_ - 1]; }
  // Moves to the next token; stays on the final kEnd.
  void Advance();

  bool IsName(std::string_view name) const;
  bool IsOp(std::string_view op) const;
  // Advance past the name/operator when it is current.
  bool SkipName(std::string_view name);
  bool SkipOp(std::string_view op);

  // "line L, column C: message" at `token`.
  Status Error(const Token& token, std::string_view message) const;
  // "expected <wanted>, got <current>".
  Status Unexpected(std::string_view wanted) const;
  Status ExpectOp(std::string_view op);
  StatusOr<std::string> ExpectName();
  Status ExpectBlockEnd();

  // Counts one level of nesting while alive; Check() fails past kMaxParseDepth.
  class DepthGuard {
   public:
    explicit DepthGuard(TokenStream* stream) : stream_(stream) { ++stream_->depth_; }
    ~DepthGuard() { --stream_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    [[nodiscard]] Status Check() const;

   private:
    TokenStream* stream_;
  };

 private:
  std::vector<Token> tokens_;
  size_t index_ = 0;
  int depth_ = 0;
};

}  // namespace tokenfab::tokenizer::jinja
