// Jinja's built-in filters, as Python Jinja2 3.1 defines them (plus Hugging Face's `tojson`,
// which is Python's json.dumps with ensure_ascii=False):
//   text: trim, upper, lower, title, capitalize, replace, indent, center, string, escape/e,
//         safe, tojson, int, float, abs, round
//   sequences: length/count, first, last, list, join, reverse, sort, unique, dictsort, items,
//              default/d, map, select, reject, selectattr, rejectattr, sum, min, max, attr
// Thread-safe.
#pragma once

#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

class Interpreter;

// A filter: `input | name(args)`. Errors are plain messages.
using FilterFn = StatusOr<Value> (*)(Interpreter& in, const Value& input, const CallArgs& args);

// The filter called `name`, or null.
FilterFn FindFilter(std::string_view name);

// The sequence filters (filters_sequence.cc), registered by FindFilter.
namespace filters {
StatusOr<Value> Length(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> First(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Last(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> List(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Join(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Reverse(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Sort(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Unique(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> DictSort(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Items(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Map(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Select(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Reject(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> SelectAttr(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> RejectAttr(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Sum(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Min(Interpreter& in, const Value& input, const CallArgs& args);
StatusOr<Value> Max(Interpreter& in, const Value& input, const CallArgs& args);
}  // namespace filters

}  // namespace tokenfab::tokenizer::jinja
