// Parser: template source to a Program, with Python Jinja2's grammar and operator precedence
// (filters and tests bind tighter than arithmetic: `messages|length - 1` is
// `(messages|length) - 1`; comparisons chain; `a if c else b` without else gives undefined).
//
// Statements: if/elif/else, for (tuple targets, `if` filter, else, loop.*), set (names, tuples,
// `ns.attr`, block set), macro, filter blocks, break/continue, raw, and Hugging Face's
// `generation` block. Tags that need a loader (include, import, extends, block) are errors.
// Pure function; thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/token_stream.h"

namespace tokenfab::tokenizer::jinja {

// Errors read "line L, column C: message" (an unknown tag, a missing end tag naming the block
// to close, an unexpected token, nesting beyond kMaxParseDepth).
[[nodiscard]] StatusOr<std::unique_ptr<Program>> ParseTemplate(std::string_view source);

}  // namespace tokenfab::tokenizer::jinja
