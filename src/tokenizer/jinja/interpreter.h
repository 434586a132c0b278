// Interpreter: renders a parsed Program with a set of variables, with Python Jinja2's semantics
// as Hugging Face configures it (ImmutableSandboxedEnvironment, loop controls, its `tojson`,
// `raise_exception` and `strftime_now`).
//
// Scoping follows Jinja: `set` at top level or inside `if` assigns in the enclosing scope; a for
// loop body gets a fresh scope each iteration (assignments do not leave the loop: use a
// namespace); a macro sees its arguments and the template's top-level names.
//
// Hostile templates cannot hang or exhaust memory: RenderLimits bounds evaluation steps, nesting
// depth (macro recursion included), the output size and every string or list built.
//
// One Interpreter renders one template once: create one per render (cheap). Not thread-safe;
// the Program it walks may be shared by concurrent interpreters.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenfab/base/clock.h"
#include "tokenfab/base/status.h"
#include "tokenizer/jinja/ast.h"
#include "tokenizer/jinja/callable.h"
#include "tokenizer/jinja/value.h"

namespace tokenfab::tokenizer::jinja {

struct RenderLimits {
  // Bytes of output, and of any single string or list (16 bytes an item) a template builds.
  size_t max_output_bytes = size_t{16} << 20;
  // Work: statements executed, expressions evaluated and loop iterations, plus one step per 8
  // list items and per 1 KiB of string an operation builds.
  int64_t max_steps = 5'000'000;
  // Nesting of statements, expressions and macro calls being evaluated at once.
  int max_depth = 300;
  // Wall time on the render clock's monotonic reading (0: no limit). Catches what the counts
  // above cannot (many large but individually bounded operations).
  int64_t max_micros = 10'000'000;
};

class Interpreter {
 public:
  // `clock` backs strftime_now(); it must outlive the interpreter.
  Interpreter(const RenderLimits& limits, const base::Clock& clock);
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  // Renders `program` with the template variables `variables` (name, value). Errors read
  // "line L, column C: message"; a limit hit is RESOURCE_EXHAUSTED, anything else
  // INVALID_ARGUMENT (raise_exception's message included).
  [[nodiscard]] StatusOr<std::string> Render(const Program& program,
                                             std::vector<std::pair<std::string, Value>> variables);

  // Services for built-ins.
  const RenderLimits& limits() const { return limits_; }
  const base::Clock& clock() const { return clock_; }
  [[nodiscard]] StatusOr<Value> ApplyFilter(std::string_view name, const Value& input,
                                            const CallArgs& args);
  [[nodiscard]] StatusOr<bool> ApplyTest(std::string_view name, const Value& input,
                                         const CallArgs& args);
  [[nodiscard]] StatusOr<Value> CallMacro(const Stmt& macro, CallArgs args);

 private:
  class Frame;
  enum class Flow { kNormal, kBreak, kContinue };

  Status Step(SourcePos pos);
  Status Append(std::string_view text, std::string* out);

  Status ExecBody(const Body& body, Frame& frame, std::string* out);
  Status Exec(const Stmt& stmt, Frame& frame, std::string* out);
  Status ExecIf(const Stmt& stmt, Frame& frame, std::string* out);
  Status ExecFor(const Stmt& stmt, Frame& frame, std::string* out);
  Status ExecSet(const Stmt& stmt, Frame& frame, std::string* out);
  Status ExecFilterBlock(const Stmt& stmt, Frame& frame, std::string* out);
  Status Assign(const std::vector<std::string>& targets, Value value, Frame& frame);
  StatusOr<Value> ApplyFilterChain(const std::vector<ExprPtr>& filters, Value value, Frame& frame);

  StatusOr<Value> Eval(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalOperation(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalLogic(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalName(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalContainer(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalSlice(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalCall(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalFilter(const Expr& expr, Value input, Frame& frame);
  StatusOr<Value> EvalTest(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalUnary(const Expr& expr, Frame& frame);
  StatusOr<Value> EvalCompare(const Expr& expr, Frame& frame);
  StatusOr<CallArgs> EvalArgs(const std::vector<Arg>& args, Frame& frame);
  // Checks a value an operation built against the size limits and charges its size as steps.
  Status Charge(const Value& value);

  const RenderLimits limits_;
  const base::Clock& clock_;
  int64_t steps_ = 0;
  int64_t start_micros_ = 0;
  int depth_ = 0;
  Flow flow_ = Flow::kNormal;
  Frame* root_ = nullptr;  // the template's top-level scope, during Render()
};

}  // namespace tokenfab::tokenizer::jinja
