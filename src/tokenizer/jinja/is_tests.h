// Jinja's tests (`x is defined`, `x is not none`, `n is divisibleby 3`), as Python Jinja2 3.1
// defines them: defined, undefined, none, true, false, boolean, integer, float, number, string,
// mapping, iterable, sequence, callable, sameas, escaped, odd, even, divisibleby, lower, upper,
// eq/equalto/==, ne/!=, lt/lessthan/<, le/<=, gt/greaterthan/>, ge/>=, in, filter, test.
// Thread-safe.
#pragma once

#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

class Interpreter;

using TestFn = StatusOr<bool> (*)(Interpreter& in, const Value& input, const CallArgs& args);

// The test called `name`, or null.
TestFn FindTest(std::string_view name);

}  // namespace tokenfab::tokenizer::jinja
