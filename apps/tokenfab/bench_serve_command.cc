// `tokenfab bench serve`: replays a trace or generates Poisson/gamma arrivals against any
// OpenAI-compatible server and reports TTFT, TPOT, ITL, end-to-end latency, throughput, goodput
// under SLOs and errors by kind.
#include <atomic>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench_command.h"
#include "tokenfab/api/endpoint.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/random.h"
#include "tokenfab/bench/report.h"
#include "tokenfab/bench/serve_bench.h"
#include "tokenfab/bench/stats.h"
#include "tokenfab/bench/trace.h"
#include "tokenfab/bench/workload.h"

namespace tokenfab::cli {
namespace {

struct ServeFlags {
  std::string url;
  std::string model;
  std::string endpoint = "completions";
  std::string api_key;
  std::string tls_ca;
  std::vector<std::string> headers;
  std::string trace;
  std::string trace_format = "azure";
  double rate_scale = 1.0;
  bool mooncake_spread = false;
  int64_t max_requests = 0;
  double duration_s = 0;
  int concurrency = 0;
  int warmup = 0;
  std::string arrival = "poisson";
  std::string rate = "inf";
  double burstiness = 1.0;
  std::string input_len = "256";
  std::string output_len = "128";
  int max_input_len = 0;
  int max_output_len = 0;
  std::string prompt = "text";
  std::string token_id_range = "1000:30000";
  bool no_ignore_eos = false;
  bool no_stream_usage = false;
  std::string extra_body;
  double slo_ttft_ms = 0;
  double slo_tpot_ms = 0;
  std::string json_path;
  bool json_requests = false;
  uint64_t seed = 0;
  double request_timeout_s = 600;
  int client_threads = 2;
  bool no_progress = false;
};

std::atomic<bool> g_stop{false};

extern "C" void OnInterrupt(int) {
  g_stop.store(true);
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C ends the process at once
}

int Fail(const Status& status) {
  std::fprintf(stderr, "tokenfab bench serve: %s\n", std::string(status.message()).c_str());
  return kExitFailure;
}

int Usage(std::string_view message) {
  std::fprintf(stderr, "tokenfab bench serve: %.*s\n", static_cast<int>(message.size()),
               message.data());
  return kExitUsage;
}

StatusOr<std::pair<int32_t, int32_t>> ParseRange(std::string_view text) {
  const size_t colon = text.find(':');
  try {
    if (colon != std::string_view::npos) {
      const long min = std::stol(std::string(text.substr(0, colon)));
      const long max = std::stol(std::string(text.substr(colon + 1)));
      if (min >= 0 && max > min && max <= std::numeric_limits<int32_t>::max()) {
        return std::make_pair(static_cast<int32_t>(min), static_cast<int32_t>(max));
      }
    }
  } catch (const std::exception&) {
  }
  return absl::InvalidArgumentError(
      fmt::format("bad token id range '{}' (expected MIN:MAX with 0 <= MIN < MAX)", text));
}

// The planned requests and how they were made, for the report.
struct Plan {
  std::vector<bench::PlannedRequest> requests;
  std::string workload;
  std::string arrivals;
};

StatusOr<Plan> MakePlan(const ServeFlags& flags) {
  Plan plan;
  const int64_t duration_us = static_cast<int64_t>(flags.duration_s * 1e6);
  if (!flags.trace.empty()) {
    TF_ASSIGN_OR_RETURN(bench::TraceFormat format, bench::ParseTraceFormat(flags.trace_format));
    TF_ASSIGN_OR_RETURN(std::vector<bench::TraceRequest> trace,
                        bench::ReadTrace(flags.trace, format));
    bench::TraceWorkloadOptions options;
    options.rate_scale = flags.rate_scale;
    options.same_time =
        flags.mooncake_spread ? bench::SameTimeArrivals::kSpread : bench::SameTimeArrivals::kBurst;
    options.max_requests = flags.max_requests;
    options.max_duration_us = duration_us;
    options.max_input_tokens = flags.max_input_len;
    options.max_output_tokens = flags.max_output_len;
    TF_ASSIGN_OR_RETURN(plan.requests, bench::PlanFromTrace(trace, options));
    plan.workload = fmt::format("{} trace {} ({} requests in the file)", flags.trace_format,
                                flags.trace, trace.size());
    plan.arrivals = fmt::format(
        "trace timestamps / {} (rate scale); requests sharing a timestamp: {}", flags.rate_scale,
        flags.mooncake_spread ? "spread evenly over the gap to the next timestamp"
                              : "sent together as a burst");
    return plan;
  }
  bench::SyntheticWorkloadOptions options;
  TF_ASSIGN_OR_RETURN(options.arrivals.kind, bench::ParseArrivalKind(flags.arrival));
  if (flags.rate == "inf") {
    options.arrivals.rate = std::numeric_limits<double>::infinity();
  } else {
    try {
      options.arrivals.rate = std::stod(flags.rate);
    } catch (const std::exception&) {
      return absl::InvalidArgumentError(fmt::format("bad --rate '{}'", flags.rate));
    }
  }
  options.arrivals.burstiness = flags.burstiness;
  TF_ASSIGN_OR_RETURN(options.input_tokens, bench::LengthDistribution::Parse(flags.input_len));
  TF_ASSIGN_OR_RETURN(options.output_tokens, bench::LengthDistribution::Parse(flags.output_len));
  options.max_requests = flags.max_requests;
  options.max_duration_us = duration_us;
  if (options.max_requests <= 0 && options.max_duration_us <= 0) options.max_requests = 200;
  base::Random random(flags.seed);
  TF_ASSIGN_OR_RETURN(plan.requests, bench::PlanSynthetic(options, random));
  plan.workload = fmt::format("synthetic: input tokens {}, output tokens {}",
                              options.input_tokens.ToString(), options.output_tokens.ToString());
  if (std::isinf(options.arrivals.rate)) {
    plan.arrivals = "all at once (rate inf)";
  } else if (options.arrivals.kind == bench::ArrivalKind::kPoisson) {
    plan.arrivals = fmt::format("Poisson, {} req/s", options.arrivals.rate);
  } else {
    plan.arrivals = fmt::format("gamma, {} req/s, burstiness {}", options.arrivals.rate,
                                options.arrivals.burstiness);
  }
  return plan;
}

StatusOr<bench::ServeBenchOptions> MakeOptions(const ServeFlags& flags) {
  bench::ServeBenchOptions options;
  TF_ASSIGN_OR_RETURN(options.url, net::ParseHttpUrl(flags.url));
  TF_ASSIGN_OR_RETURN(options.body.endpoint, api::ParseEndpointName(flags.endpoint));
  options.body.model = flags.model;
  options.body.ignore_eos = !flags.no_ignore_eos;
  options.body.include_usage = !flags.no_stream_usage;
  options.body.extra_body_json = flags.extra_body;
  TF_ASSIGN_OR_RETURN(options.prompt.form, bench::ParsePromptForm(flags.prompt));
  TF_ASSIGN_OR_RETURN(auto range, ParseRange(flags.token_id_range));
  options.prompt.token_id_min = range.first;
  options.prompt.token_id_max = range.second;
  options.prompt.seed = flags.seed;
  options.api_key = flags.api_key;
  options.tls_ca_file = flags.tls_ca;
  if (options.api_key.empty()) {
    if (const char* key = std::getenv("OPENAI_API_KEY")) options.api_key = key;
  }
  for (const std::string& header : flags.headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(
          fmt::format("bad --header '{}' (expected Name: value)", header));
    }
    std::string value = header.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    options.headers.Add(header.substr(0, colon), value);
  }
  options.concurrency = flags.concurrency;
  options.warmup = flags.warmup;
  options.request_timeout_ms = static_cast<int64_t>(flags.request_timeout_s * 1000);
  options.io_threads = flags.client_threads;
  return options;
}

int RunServe(const ServeFlags& flags) {
  StatusOr<bench::ServeBenchOptions> options = MakeOptions(flags);
  if (!options.ok()) return Usage(std::string(options.status().message()));
  StatusOr<Plan> plan = MakePlan(flags);
  if (!plan.ok()) return Fail(plan.status());
  if (plan->requests.empty()) return Fail(absl::InvalidArgumentError("the workload is empty"));

  base::Clock& clock = base::RealClock::Get();
  bench::ServeBench bench(*options, clock);
  if (Status status = bench.Prepare(); !status.ok()) return Fail(status);

  bench::RunDescription description = {
      {"url", bench.RequestUrl()},
      {"endpoint", flags.endpoint},
      {"model", bench.model()},
      {"workload", plan->workload},
      {"arrivals", plan->arrivals},
      {"planned requests", fmt::format("{}", plan->requests.size())},
      {"concurrency cap", flags.concurrency > 0 ? fmt::format("{}", flags.concurrency) : "none"},
      {"warm-up requests", fmt::format("{}", flags.warmup)},
      {"prompt", fmt::format("{}{}", flags.prompt,
                             flags.prompt == "token-ids" ? " " + flags.token_id_range : "")},
      {"ignore_eos", flags.no_ignore_eos ? "no" : "yes"},
      {"seed", fmt::format("{}", flags.seed)},
  };
  std::fprintf(stderr, "bench serve: %zu requests to %s (%s)\n", plan->requests.size(),
               bench.RequestUrl().c_str(), plan->arrivals.c_str());

  std::signal(SIGINT, OnInterrupt);
  std::unique_ptr<bench::Progress> progress;
  if (!flags.no_progress) {
    progress =
        std::make_unique<bench::Progress>(clock, stderr, bench::Progress::StderrIsTerminal());
  }
  StatusOr<bench::ServeBenchResult> result = bench.Run(plan->requests, progress.get(), &g_stop);
  std::signal(SIGINT, SIG_DFL);
  if (!result.ok()) return Fail(result.status());
  if (result->interrupted) {
    description.emplace_back("interrupted",
                             fmt::format("yes, after {} requests", result->records.size()));
  }
  if (result->warmup_failed > 0) {
    description.emplace_back("warm-up failures", fmt::format("{}", result->warmup_failed));
  }
  bench::SloOptions slo{flags.slo_ttft_ms, flags.slo_tpot_ms};
  const bench::BenchSummary summary =
      bench::SummarizeRun(result->records, std::max(result->duration_s, 1e-6), slo);
  std::fputs(bench::FormatReportTable(summary, description).c_str(), stdout);
  std::fflush(stdout);
  if (!flags.json_path.empty()) {
    std::ofstream out(flags.json_path, std::ios::binary | std::ios::trunc);
    out << bench::FormatReportJson(summary, description,
                                   flags.json_requests ? &result->records : nullptr);
    if (!out) {
      return Fail(absl::UnavailableError(fmt::format("cannot write '{}'", flags.json_path)));
    }
  }
  return summary.completed > 0 ? kExitOk : kExitFailure;
}

}  // namespace

Command AddBenchServeSubcommand(CLI::App& bench) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = bench.add_subcommand(
      "serve",
      "Load-test an OpenAI-compatible server: replay a trace (Azure, Mooncake) or send Poisson/\n"
      "gamma arrivals; report TTFT, TPOT, ITL, E2E latency, throughput, goodput and errors.");
  cmd->add_option("--url", flags->url, "The server, e.g. http://127.0.0.1:8080 (or .../v1)")
      ->required();
  cmd->add_option("--model", flags->model, "Model name (default: the first of GET /v1/models)");
  cmd->add_option("--endpoint", flags->endpoint, "completions or chat")->capture_default_str();
  cmd->add_option("--api-key", flags->api_key, "Bearer token (default: $OPENAI_API_KEY)");
  cmd->add_option("--tls-ca", flags->tls_ca,
                  "PEM CA file trusted for an https:// --url (default: the system trust store)");
  cmd->add_option("--header", flags->headers, "Extra request header 'Name: value' (repeatable)");

  auto* trace =
      cmd->add_option("--trace", flags->trace, "Trace file to replay")->check(CLI::ExistingFile);
  cmd->add_option("--trace-format", flags->trace_format, "azure or mooncake")
      ->capture_default_str();
  cmd->add_option("--rate-scale", flags->rate_scale,
                  "Trace time compression: gaps are divided by this (2 = twice as fast)")
      ->capture_default_str();
  cmd->add_flag("--mooncake-spread", flags->mooncake_spread,
                "Spread requests sharing a timestamp over the gap to the next one (default: "
                "send them together as a burst)");

  cmd->add_option("--arrival", flags->arrival, "Synthetic arrivals: poisson or gamma")
      ->capture_default_str()
      ->excludes(trace);
  cmd->add_option("--rate", flags->rate, "Synthetic request rate in req/s, or inf")
      ->capture_default_str()
      ->excludes(trace);
  cmd->add_option("--burstiness", flags->burstiness,
                  "Gamma shape k: < 1 burstier than Poisson, > 1 smoother")
      ->capture_default_str()
      ->excludes(trace);
  cmd->add_option("--input-len", flags->input_len,
                  "Synthetic prompt tokens: N, uniform:MIN:MAX, normal:MEAN:STD, "
                  "lognormal:MEDIAN:SIGMA")
      ->capture_default_str()
      ->excludes(trace);
  cmd->add_option("--output-len", flags->output_len, "Synthetic output tokens (same forms)")
      ->capture_default_str()
      ->excludes(trace);
  cmd->add_option("--max-input-len", flags->max_input_len, "Cut trace prompts to this many tokens");
  cmd->add_option("--max-output-len", flags->max_output_len,
                  "Cap trace outputs at this many tokens");

  cmd->add_option("--max-requests", flags->max_requests,
                  "Send at most this many requests (synthetic default: 200)");
  cmd->add_option("--duration", flags->duration_s,
                  "Only requests arriving in the first S seconds (after rate scaling)");
  cmd->add_option("--concurrency", flags->concurrency, "Most requests in flight (0: no cap)")
      ->capture_default_str();
  cmd->add_option("--warmup", flags->warmup, "Requests sent and discarded before measuring")
      ->capture_default_str();

  cmd->add_option("--prompt", flags->prompt,
                  "text (single-token words) or token-ids (prompt as ids; completions only)")
      ->capture_default_str();
  cmd->add_option("--token-id-range", flags->token_id_range, "Ids for token-id prompts, MIN:MAX")
      ->capture_default_str();
  cmd->add_flag("--no-ignore-eos", flags->no_ignore_eos,
                "Do not send ignore_eos/min_tokens (for servers that reject them)");
  cmd->add_flag("--no-stream-usage", flags->no_stream_usage,
                "Do not ask for usage in the stream (token counts then come from chunks)");
  cmd->add_option("--extra-body", flags->extra_body,
                  "JSON object merged into every request body, e.g. '{\"temperature\":0}'");

  cmd->add_option("--slo-ttft-ms", flags->slo_ttft_ms, "TTFT objective for goodput (ms)");
  cmd->add_option("--slo-tpot-ms", flags->slo_tpot_ms, "TPOT objective for goodput (ms)");
  cmd->add_option("--json", flags->json_path, "Write the results as JSON to this file");
  cmd->add_flag("--json-requests", flags->json_requests, "Include one row per request in --json");
  cmd->add_option("--seed", flags->seed, "Seed of arrivals, lengths and prompts")
      ->capture_default_str();
  cmd->add_option("--request-timeout", flags->request_timeout_s,
                  "Per-request time limit in seconds (0: none)")
      ->capture_default_str();
  cmd->add_option("--client-threads", flags->client_threads, "I/O threads of the client")
      ->capture_default_str();
  cmd->add_flag("--no-progress", flags->no_progress, "No progress display on stderr");
  return Command{cmd, [flags] { return RunServe(*flags); }};
}

}  // namespace tokenfab::cli
