// Pieces the interpreter's statement and expression halves share (interpreter.cc,
// interpreter_eval.cc): the variable scope, the nesting counter and error positioning.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/interpreter.h"
#include "tokenizer/jinja/lexer.h"

namespace tokenfab::tokenizer::jinja {

// Prefixes "line L, column C: " to an error that has no position yet (the innermost node that
// fails names the position; the nodes around it leave the message alone).
Status AtPosition(const Status& status, SourcePos pos);

// A variable scope; lookups fall back to the parent. Lives on the interpreter's stack.
class Interpreter::Frame {
 public:
  explicit Frame(const Frame* parent) : parent_(parent) {}

  const Value* Find(std::string_view name) const {
    for (const Frame* f = this; f != nullptr; f = f->parent_) {
      for (const auto& [key, value] : f->vars_) {
        if (key == name) return &value;
      }
    }
    return nullptr;
  }

  void Set(std::string_view name, Value value) {
    for (auto& [key, existing] : vars_) {
      if (key == name) {
        existing = std::move(value);
        return;
      }
    }
    vars_.emplace_back(std::string(name), std::move(value));
  }

 private:
  const Frame* parent_;
  std::vector<std::pair<std::string, Value>> vars_;
};

// Counts nesting for the duration of a scope.

class DepthScope {
 public:
  explicit DepthScope(int* depth) : depth_(depth) { ++*depth_; }
  ~DepthScope() { --*depth_; }

 private:
  int* depth_;
};

}  // namespace tokenfab::tokenizer::jinja
