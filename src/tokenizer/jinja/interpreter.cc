#include "tokenizer/jinja/interpreter.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/cord.h"
#include "tokenizer/jinja/filters.h"
#include "tokenizer/jinja/globals.h"
#include "tokenizer/jinja/interpreter_internal.h"
#include "tokenizer/jinja/is_tests.h"
#include "tokenizer/jinja/operators.h"
#include "tokenizer/jinja/value_format.h"

namespace tokenfab::tokenizer::jinja {
namespace {

// loop.cycle(a, b, ...): the argument at loop.index0 modulo the count.
class LoopCycle final : public Callable {
 public:
  explicit LoopCycle(size_t index0) : index0_(index0) {}
  std::string_view name() const override { return "cycle"; }
  StatusOr<Value> Call(CallArgs args, Interpreter&) const override {
    if (args.positional.empty()) return absl::InvalidArgumentError("no items for cycling given");
    return args.positional[index0_ % args.positional.size()];
  }

 private:
  size_t index0_;
};

Value MakeLoop(const std::vector<Value>& items, size_t i) {
  // The keys are made once and shared: a loop builds one of these per iteration.
  static const auto* const kKeys = [] {
    auto* keys = new std::vector<Value>();
    for (const char* name : {"index", "index0", "revindex", "revindex0", "first", "last", "length",
                             "depth", "depth0", "previtem", "nextitem", "cycle"}) {
      keys->push_back(Value::String(name));
    }
    return keys;
  }();
  const int64_t n = static_cast<int64_t>(items.size());
  const int64_t k = static_cast<int64_t>(i);
  Value values[] = {
      Value::Int(k + 1),
      Value::Int(k),
      Value::Int(n - k),
      Value::Int(n - k - 1),
      Value::Bool(k == 0),
      Value::Bool(k == n - 1),
      Value::Int(n),
      Value::Int(1),
      Value::Int(0),
      i > 0 ? items[i - 1] : Value::Undefined("there is no previous item"),
      i + 1 < items.size() ? items[i + 1] : Value::Undefined("there is no next item"),
      Value::FromCallable(std::make_shared<LoopCycle>(i)),
  };
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(kKeys->size());
  for (size_t j = 0; j < kKeys->size(); ++j)
    entries.emplace_back((*kKeys)[j], std::move(values[j]));
  return Value::DictFromKeys(std::move(entries));
}

// A macro defined with {% macro %}; calling it renders its body.
class Macro final : public Callable {
 public:
  explicit Macro(const Stmt* stmt) : stmt_(stmt) {}
  std::string_view name() const override { return stmt_->targets[0]; }
  StatusOr<Value> Call(CallArgs args, Interpreter& in) const override {
    return in.CallMacro(*stmt_, std::move(args));
  }

 private:
  const Stmt* stmt_;  // owned by the Program, which outlives every render
};

constexpr char kPositionedPayload[] = "tokenfab.jinja.positioned";

}  // namespace

Status AtPosition(const Status& status, SourcePos pos) {
  if (status.ok() || status.GetPayload(kPositionedPayload).has_value()) return status;
  Status positioned(status.code(), FormatPosition(pos) + std::string(status.message()));
  positioned.SetPayload(kPositionedPayload, absl::Cord("1"));
  return positioned;
}

Interpreter::Interpreter(const RenderLimits& limits, const base::Clock& clock)
    : limits_(limits), clock_(clock) {}

StatusOr<std::string> Interpreter::Render(const Program& program,
                                          std::vector<std::pair<std::string, Value>> variables) {
  Frame root(nullptr);
  for (auto& [name, value] : variables) root.Set(name, std::move(value));
  root_ = &root;
  steps_ = 0;
  start_micros_ = clock_.NowMicros();
  depth_ = 0;
  flow_ = Flow::kNormal;
  std::string out;
  Status status = ExecBody(program.body, root, &out);
  root_ = nullptr;
  TF_RETURN_IF_ERROR(status);
  return out;
}

Status Interpreter::Step(SourcePos pos) {
  if (++steps_ > limits_.max_steps) {
    return AtPosition(absl::ResourceExhaustedError(
                          fmt::format("template exceeded {} evaluation steps", limits_.max_steps)),
                      pos);
  }
  if ((steps_ & 63) == 0 && limits_.max_micros > 0 &&
      clock_.NowMicros() - start_micros_ > limits_.max_micros) {
    return AtPosition(absl::ResourceExhaustedError(fmt::format(
                          "template rendering took longer than {} ms", limits_.max_micros / 1000)),
                      pos);
  }
  if (depth_ > limits_.max_depth) {
    return AtPosition(
        absl::ResourceExhaustedError(fmt::format(
            "template nesting exceeded {} levels (runaway macro recursion?)", limits_.max_depth)),
        pos);
  }
  return absl::OkStatus();
}

Status Interpreter::Append(std::string_view text, std::string* out) {
  if (out->size() + text.size() > limits_.max_output_bytes) {
    return absl::ResourceExhaustedError(
        fmt::format("template output exceeded {} bytes", limits_.max_output_bytes));
  }
  out->append(text);
  return absl::OkStatus();
}

Status Interpreter::Charge(const Value& value) {
  if (value.is_string()) {
    if (value.string().size() > limits_.max_output_bytes) {
      return absl::ResourceExhaustedError(
          fmt::format("string exceeded {} bytes", limits_.max_output_bytes));
    }
    steps_ += static_cast<int64_t>(value.string().size() >> 10);
  } else if (value.is_array()) {
    if (value.array().items.size() * 16 > limits_.max_output_bytes) {
      return absl::ResourceExhaustedError("list exceeded the size limit");
    }
    steps_ += static_cast<int64_t>(value.array().items.size() >> 3);
  }
  if (steps_ > limits_.max_steps) {
    return absl::ResourceExhaustedError(
        fmt::format("template exceeded {} evaluation steps", limits_.max_steps));
  }
  if (value.Depth() > kMaxValueNesting) {
    return absl::ResourceExhaustedError(
        fmt::format("value nests deeper than {} levels", kMaxValueNesting));
  }
  return absl::OkStatus();
}

Status Interpreter::ExecBody(const Body& body, Frame& frame, std::string* out) {
  for (const StmtPtr& stmt : body) {
    TF_RETURN_IF_ERROR(Exec(*stmt, frame, out));
    if (flow_ != Flow::kNormal) break;
  }
  return absl::OkStatus();
}

Status Interpreter::Exec(const Stmt& stmt, Frame& frame, std::string* out) {
  DepthScope depth(&depth_);
  TF_RETURN_IF_ERROR(Step(stmt.pos));
  switch (stmt.kind) {
    case StmtKind::kText:
      return AtPosition(Append(stmt.text, out), stmt.pos);
    case StmtKind::kOutput: {
      TF_ASSIGN_OR_RETURN(Value value, Eval(*stmt.expr, frame));
      StatusOr<std::string> text = ToStrBounded(value, limits_.max_output_bytes);
      if (!text.ok()) return AtPosition(text.status(), stmt.pos);
      return AtPosition(Append(*text, out), stmt.pos);
    }
    case StmtKind::kIf:
      return ExecIf(stmt, frame, out);
    case StmtKind::kFor:
      return ExecFor(stmt, frame, out);
    case StmtKind::kSet:
    case StmtKind::kSetBlock:
      return ExecSet(stmt, frame, out);
    case StmtKind::kMacro:
      frame.Set(stmt.targets[0], Value::FromCallable(std::make_shared<Macro>(&stmt)));
      return absl::OkStatus();
    case StmtKind::kFilterBlock:
      return ExecFilterBlock(stmt, frame, out);
    case StmtKind::kBreak:
      flow_ = Flow::kBreak;
      return absl::OkStatus();
    case StmtKind::kContinue:
      flow_ = Flow::kContinue;
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

Status Interpreter::ExecIf(const Stmt& stmt, Frame& frame, std::string* out) {
  for (size_t i = 0; i < stmt.conditions.size(); ++i) {
    TF_ASSIGN_OR_RETURN(Value test, Eval(*stmt.conditions[i], frame));
    if (test.Truthy()) return ExecBody(stmt.bodies[i], frame, out);
  }
  return ExecBody(stmt.else_body, frame, out);
}

Status Interpreter::ExecFor(const Stmt& stmt, Frame& frame, std::string* out) {
  TF_ASSIGN_OR_RETURN(Value iterable, Eval(*stmt.expr, frame));
  StatusOr<std::vector<Value>> iterated = Iterate(iterable);
  if (!iterated.ok()) return AtPosition(iterated.status(), stmt.expr->pos);
  std::vector<Value> items = std::move(*iterated);
  if (stmt.condition) {
    std::vector<Value> kept;
    for (Value& item : items) {
      TF_RETURN_IF_ERROR(Step(stmt.pos));
      Frame scope(&frame);
      TF_RETURN_IF_ERROR(AtPosition(Assign(stmt.targets, item, scope), stmt.pos));
      TF_ASSIGN_OR_RETURN(Value keep, Eval(*stmt.condition, scope));
      if (keep.Truthy()) kept.push_back(std::move(item));
    }
    items = std::move(kept);
  }
  if (items.empty()) {
    Frame scope(&frame);
    return ExecBody(stmt.else_body, scope, out);
  }
  for (size_t i = 0; i < items.size(); ++i) {
    TF_RETURN_IF_ERROR(Step(stmt.pos));
    Frame scope(&frame);
    scope.Set("loop", MakeLoop(items, i));
    TF_RETURN_IF_ERROR(AtPosition(Assign(stmt.targets, items[i], scope), stmt.pos));
    TF_RETURN_IF_ERROR(ExecBody(stmt.body, scope, out));
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
    flow_ = Flow::kNormal;
  }
  return absl::OkStatus();
}

Status Interpreter::Assign(const std::vector<std::string>& targets, Value value, Frame& frame) {
  if (targets.size() == 1) {
    frame.Set(targets[0], std::move(value));
    return absl::OkStatus();
  }
  TF_ASSIGN_OR_RETURN(std::vector<Value> items, Iterate(value));
  if (items.size() > targets.size()) {
    return absl::InvalidArgumentError(
        fmt::format("too many values to unpack (expected {})", targets.size()));
  }
  if (items.size() < targets.size()) {
    return absl::InvalidArgumentError(fmt::format(
        "not enough values to unpack (expected {}, got {})", targets.size(), items.size()));
  }
  for (size_t i = 0; i < targets.size(); ++i) frame.Set(targets[i], std::move(items[i]));
  return absl::OkStatus();
}

Status Interpreter::ExecSet(const Stmt& stmt, Frame& frame, std::string* out) {
  Value value;
  if (stmt.kind == StmtKind::kSet) {
    TF_ASSIGN_OR_RETURN(value, Eval(*stmt.expr, frame));
  } else {
    std::string captured;
    TF_RETURN_IF_ERROR(ExecBody(stmt.body, frame, &captured));
    TF_ASSIGN_OR_RETURN(value,
                        ApplyFilterChain(stmt.filters, Value::String(std::move(captured)), frame));
  }
  if (!stmt.target_object)
    return AtPosition(Assign(stmt.targets, std::move(value), frame), stmt.pos);
  TF_ASSIGN_OR_RETURN(Value target, Eval(*stmt.target_object, frame));
  if (!target.is_namespace()) {
    return AtPosition(absl::InvalidArgumentError("cannot assign attribute on non-namespace object"),
                      stmt.pos);
  }
  if (ContainsNamespace(value)) {
    return AtPosition(absl::InvalidArgumentError("a namespace cannot be stored inside a namespace"),
                      stmt.pos);
  }
  if (value.Depth() + 1 > kMaxValueNesting) {
    return AtPosition(absl::ResourceExhaustedError(
                          fmt::format("value nests deeper than {} levels", kMaxValueNesting)),
                      stmt.pos);
  }
  target.ns()->Set(stmt.attribute, std::move(value));
  return absl::OkStatus();
}

Status Interpreter::ExecFilterBlock(const Stmt& stmt, Frame& frame, std::string* out) {
  std::string captured;
  TF_RETURN_IF_ERROR(ExecBody(stmt.body, frame, &captured));
  TF_ASSIGN_OR_RETURN(Value value,
                      ApplyFilterChain(stmt.filters, Value::String(std::move(captured)), frame));
  StatusOr<std::string> text = ToStrBounded(value, limits_.max_output_bytes);
  if (!text.ok()) return AtPosition(text.status(), stmt.pos);
  return AtPosition(Append(*text, out), stmt.pos);
}

StatusOr<Value> Interpreter::ApplyFilterChain(const std::vector<ExprPtr>& filters, Value value,
                                              Frame& frame) {
  for (const ExprPtr& filter : filters) {
    TF_ASSIGN_OR_RETURN(value, EvalFilter(*filter, std::move(value), frame));
  }
  return value;
}

StatusOr<Value> Interpreter::CallMacro(const Stmt& macro, CallArgs args) {
  DepthScope depth(&depth_);
  TF_RETURN_IF_ERROR(Step(macro.pos));
  const std::string& name = macro.targets[0];
  Frame scope(root_);
  const size_t n = macro.params.size();
  if (args.positional.size() > n && !macro.uses_varargs) {
    return absl::InvalidArgumentError(
        fmt::format("macro '{}' takes not more than {} argument(s)", name, n));
  }
  std::vector<bool> bound(n, false);
  for (size_t i = 0; i < n && i < args.positional.size(); ++i) {
    scope.Set(macro.params[i].name, args.positional[i]);
    bound[i] = true;
  }
  std::vector<std::pair<std::string, Value>> extra_keywords;
  for (auto& [key, value] : args.keyword) {
    size_t i = 0;
    while (i < n && macro.params[i].name != key) ++i;
    if (i == n) {
      if (!macro.uses_kwargs) {
        return absl::InvalidArgumentError(
            fmt::format("macro '{}' takes no keyword argument '{}'", name, key));
      }
      extra_keywords.emplace_back(key, std::move(value));
      continue;
    }
    if (bound[i]) {
      return absl::InvalidArgumentError(
          fmt::format("macro '{}' got multiple values for argument '{}'", name, key));
    }
    scope.Set(key, std::move(value));
    bound[i] = true;
  }
  for (size_t i = 0; i < n; ++i) {
    if (bound[i]) continue;
    const Param& param = macro.params[i];
    if (param.default_value) {
      TF_ASSIGN_OR_RETURN(Value value, Eval(*param.default_value, scope));
      scope.Set(param.name, std::move(value));
    } else {
      scope.Set(param.name,
                Value::Undefined(fmt::format("parameter '{}' was not provided", param.name)));
    }
  }
  if (macro.uses_varargs) {
    std::vector<Value> rest;
    for (size_t i = n; i < args.positional.size(); ++i)
      rest.push_back(std::move(args.positional[i]));
    scope.Set("varargs", Value::Tuple(std::move(rest)));
  }
  if (macro.uses_kwargs) scope.Set("kwargs", Value::Dict(std::move(extra_keywords)));
  std::string out;
  const Flow saved = flow_;
  flow_ = Flow::kNormal;
  Status status = ExecBody(macro.body, scope, &out);
  flow_ = saved;
  TF_RETURN_IF_ERROR(status);
  return Value::String(std::move(out));
}

}  // namespace tokenfab::tokenizer::jinja
