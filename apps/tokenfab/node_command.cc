// `tokenfab node`: serve one model (or the synthetic engine) on the OpenAI-compatible API.
//
//   tokenfab node -m model.gguf --port 8080
//   tokenfab node --engine synthetic --vocab llama3 --synthetic-ttft-ms 80 --synthetic-tpot-ms 25
//
// The first line on stdout is the bound address ("listening on http://127.0.0.1:PORT"), so that
// scripts and launchers can start it with --port 0. Logs go to stderr. SIGINT or SIGTERM stops
// it gracefully: streams in progress get --shutdown-grace-s to finish, then are cancelled; so
// does `tokenfab node --drain` (node_drain.h) from another shell, a unit's ExecStop or a pod's
// preStop. With --tls-cert/--tls-key it serves HTTPS, and SIGHUP reloads the certificate.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "command.h"
#include "node_drain.h"
#include "node_registry.h"
#include "secret_flags.h"
#include "tokenfab/api/prefix_key.h"
#include "tokenfab/base/clock.h"
#include "tokenfab/base/logging.h"
#include "tokenfab/node/model_host.h"
#include "tokenfab/node/node_server.h"

namespace tokenfab::cli {
namespace {

struct NodeFlags {
  node::NodeOptions server;
  node::ModelHostOptions host;
  std::string engine = "real";
  std::string kv_memory;  // empty: automatic
  double request_timeout_s = 600;
  double idle_timeout_s = 60;
  double read_timeout_s = 30;
  double write_timeout_s = 30;
  double shutdown_grace_s = 30;
  bool no_prefix_caching = false;
  NodeRegistryFlags registry;
  NodeDrainFlags drain;
  std::string operator_token_file;
  std::string prefix_secret_file;
};

// "1073741824", "512M", "1G", "1.5GiB" -> bytes (binary multiples).
StatusOr<int64_t> ParseByteSize(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc()) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a size such as 512M or 2G", text));
  }
  std::string unit(ptr, end);
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.ends_with("IB")) unit.resize(unit.size() - 2);
  if (unit.ends_with("B")) unit.resize(unit.size() - 1);
  double scale = 1;
  if (unit == "K") {
    scale = 1 << 10;
  } else if (unit == "M") {
    scale = 1 << 20;
  } else if (unit == "G") {
    scale = 1 << 30;
  } else if (unit == "T") {
    scale = 1024.0 * (1 << 30);
  } else if (!unit.empty()) {
    return absl::InvalidArgumentError(fmt::format("'{}' is not a size such as 512M or 2G", text));
  }
  if (!(value > 0)) return absl::InvalidArgumentError(fmt::format("size '{}' must be > 0", text));
  return static_cast<int64_t>(value * scale);
}

// Waits for SIGINT or SIGTERM (blocked in every thread) until `done` is set (a drain request, or
// the model failed to load).
int WaitForSignal(const sigset_t& signals, const std::atomic<bool>& done) {
  const timespec tick{0, 200'000'000};
  while (!done.load()) {
    const int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig > 0) return sig;
  }
  return 0;
}

std::chrono::milliseconds Millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
}

// Loads the model, serves it, and (with --registry) joins the fleet: ready to serve.
Status LoadAndServe(const NodeFlags& flags, node::NodeServer& server,
                    std::unique_ptr<registry::Registration>& registration) {
  TF_ASSIGN_OR_RETURN(
      std::unique_ptr<node::ModelHost> host,
      node::ModelHost::Load(flags.host, server.clock(), &server.metrics_registry()));
  const node::ModelHost& served = *host;
  server.Serve(std::move(host));
  const std::string bound_url =
      fmt::format("{}://{}", flags.server.tls.enabled() ? "https" : "http", server.address());
  TF_ASSIGN_OR_RETURN(registration, RegisterNode(flags.registry, served, bound_url));
  return absl::OkStatus();
}

// Graceful stop: out of routing first (gateways send nothing new), then the streams finish,
// then the registry lease goes. Drained by request (POST /drain), the node keeps answering
// GET /drain until it has deregistered and its caller has seen it "drained".
void StopNode(node::NodeServer& server, registry::Registration* registration,
              const NodeFlags& flags, bool by_request) {
  if (registration != nullptr) {
    if (Status s = registration->Withdraw(); !s.ok()) {
      TF_LOG_WARN("registry: withdrawing failed: {}", s.message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(flags.registry.withdraw_ms));
  }
  if (!by_request) {
    server.Stop(Millis(flags.shutdown_grace_s));
    if (registration != nullptr) registration->Stop();
    return;
  }
  if (const size_t left = server.Drain(Millis(flags.shutdown_grace_s)); left > 0) {
    TF_LOG_WARN("drain: {} requests still in progress after --shutdown-grace-s; cancelling them",
                left);
  }
  if (registration != nullptr) registration->Stop();
  server.ReportDrained(std::chrono::seconds(5));
  server.Stop();
  TF_LOG_INFO("drained: exiting");
}

// `tokenfab node --drain`: drains the node this command's --host/--port (or --drain-url) name.
int RunDrain(const NodeFlags& flags) {
  const std::string url =
      DrainTargetUrl(flags.drain, flags.server.host, flags.server.port, flags.server.tls.enabled());
  if (url.empty()) {
    fmt::print(stderr, "tokenfab node --drain: give the node's --port, or --drain-url\n");
    return kExitUsage;
  }
  StatusOr<std::string> token = api::LoadOperatorToken(flags.operator_token_file);
  if (!token.ok()) {
    fmt::print(stderr, "tokenfab node --drain: {}\n", token.status().message());
    return kExitFailure;
  }
  return DrainRunningNode(url, *token, flags.drain);
}

int RunNode(NodeFlags& flags) {
  StatusOr<node::EngineKind> kind = node::ParseEngineKind(flags.engine);
  StatusOr<int64_t> kv_memory =
      flags.kv_memory.empty() ? StatusOr<int64_t>(0) : ParseByteSize(flags.kv_memory);
  if (!kind.ok() || !kv_memory.ok()) {
    fmt::print(stderr, "tokenfab node: {}\n",
               (!kind.ok() ? kind.status() : kv_memory.status()).message());
    return kExitUsage;
  }
  if (Status s = CheckNodeRegistryFlags(flags.registry); !s.ok()) {
    fmt::print(stderr, "tokenfab node: {}\n", s.message());
    return kExitUsage;
  }
  flags.host.engine = *kind;
  flags.host.kv_memory_bytes = *kv_memory;
  flags.host.prefix_caching = !flags.no_prefix_caching;
  flags.server.request_timeout = Millis(flags.request_timeout_s);
  flags.server.idle_timeout = Millis(flags.idle_timeout_s);
  flags.server.read_timeout = Millis(flags.read_timeout_s);
  flags.server.write_timeout = Millis(flags.write_timeout_s);

  // Signals go to the waiting thread only: block them before any other thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StatusOr<std::string> operator_token = api::LoadOperatorToken(flags.operator_token_file);
  StatusOr<api::PrefixKey> prefix_key = api::PrefixKey::Load(flags.prefix_secret_file);
  for (const Status& s : {operator_token.status(), prefix_key.status()}) {
    if (!s.ok()) {
      fmt::print(stderr, "tokenfab node: {}\n", s.message());
      return kExitFailure;
    }
  }
  flags.server.operator_token = *std::move(operator_token);
  flags.server.prefix_key = *std::move(prefix_key);
  std::atomic<bool> done{false};
  std::atomic<bool> drain_requested{false};
  flags.server.on_drain = [&] {
    drain_requested = true;
    done = true;
  };
  if (flags.server.operator_token.empty()) WarnOpenOperations("node", flags.server.host);
  StatusOr<std::unique_ptr<node::NodeServer>> server =
      node::NodeServer::Start(flags.server, base::RealClock::Get());
  if (!server.ok()) {
    fmt::print(stderr, "tokenfab node: {}\n", server.status().message());
    return kExitFailure;
  }
  fmt::print("listening on {}://{}\n", flags.server.tls.enabled() ? "https" : "http",
             (*server)->address());
  std::fflush(stdout);

  std::atomic<int> signal{0};
  std::thread waiter([&] {
    int sig = WaitForSignal(signals, done);
    for (; sig == SIGHUP; sig = WaitForSignal(signals, done)) {
      if (!flags.server.tls.enabled()) continue;
      Status s = (*server)->ReloadTls();
      if (s.ok()) {
        TF_LOG_INFO("TLS certificate reloaded");
      } else {
        TF_LOG_ERROR("TLS reload refused, keeping the running certificate: {}", s.message());
      }
    }
    signal = sig;
    done = true;
  });

  std::unique_ptr<registry::Registration> registration;
  const Status served = LoadAndServe(flags, **server, registration);
  if (!served.ok()) {
    fmt::print(stderr, "tokenfab node: {}\n", served.message());
    done = true;
  }
  const int exit_code = served.ok() ? kExitOk : kExitFailure;
  waiter.join();
  if (signal != 0) TF_LOG_INFO("signal {}: stopping", signal.load());
  StopNode(**server, registration.get(), flags, drain_requested.load());
  return exit_code;
}

void AddServerFlags(CLI::App& cmd, NodeFlags& f) {
  AddSecretFlags(&cmd, f.operator_token_file, f.prefix_secret_file);
  cmd.add_option("--host", f.server.host, "Address to listen on")->capture_default_str();
  cmd.add_option("--port", f.server.port, "Port (0: any free port; see the first output line)")
      ->capture_default_str();
  cmd.add_option("--io-threads", f.server.io_threads, "HTTP event loops (0: one per core)")
      ->capture_default_str();
  cmd.add_option("--stream-threads", f.server.stream_threads,
                 "Threads writing generated tokens to clients")
      ->capture_default_str();
  cmd.add_option("--api-key", f.server.api_key,
                 "Require 'Authorization: Bearer KEY' on /v1/* (default: no check)")
      ->envname("TOKENFAB_API_KEY");
  cmd.add_option("--max-body-bytes", f.server.max_body_bytes, "Largest request body (413 above)")
      ->capture_default_str();
  cmd.add_option("--max-connections", f.server.max_connections, "Open connections (503 above)")
      ->capture_default_str();
  cmd.add_option("--request-timeout-s", f.request_timeout_s, "Longest request (0: no limit)")
      ->capture_default_str();
  cmd.add_option("--idle-timeout-s", f.idle_timeout_s, "Idle keep-alive connections close after")
      ->capture_default_str();
  cmd.add_option("--read-timeout-s", f.read_timeout_s, "Time to receive a whole request (408)")
      ->capture_default_str();
  cmd.add_option("--write-timeout-s", f.write_timeout_s,
                 "A client not reading its stream this long is dropped")
      ->capture_default_str();
  cmd.add_option("--tls-cert", f.server.tls.cert_file,
                 "PEM certificate chain: serve HTTPS (with --tls-key; SIGHUP reloads both)");
  cmd.add_option("--tls-key", f.server.tls.key_file, "PEM private key of --tls-cert");
  cmd.add_option("--tls-client-ca", f.server.tls.client_ca_file,
                 "PEM CA file: require client certificates issued by it (mutual TLS)");
  cmd.add_option("--shutdown-grace-s", f.shutdown_grace_s,
                 "On SIGINT/SIGTERM, time streams get to finish before they are cancelled")
      ->capture_default_str();
}

void AddEngineFlags(CLI::App& cmd, NodeFlags& f) {
  node::ModelHostOptions& h = f.host;
  cmd.add_option("-m,--model", h.model_path, "GGUF model file");
  cmd.add_option("--engine", f.engine, "real (compute the model) or synthetic (performance model)")
      ->check(CLI::IsMember({"real", "synthetic"}))
      ->capture_default_str();
  cmd.add_option("--served-model-name", h.served_model_name,
                 "Model id clients use (default: the file name without .gguf)");
  cmd.add_option("--chat-template", h.chat_template,
                 "Template instead of the model's own: chatml, llama3, llama2, mistral, mistral-v7 "
                 "or a Jinja file");
  cmd.add_option("-t,--threads", h.threads, "Compute threads (0: every core)")
      ->capture_default_str();
  cmd.add_option("-c,--context", h.context, "Tokens per sequence (0: the model's context)")
      ->capture_default_str();
  cmd.add_option("--kv-memory", f.kv_memory,
                 "KV cache pool size, e.g. 512M, 2G (default: 256 full contexts, at most 1G)");
  cmd.add_option("--kv-blocks", h.kv_blocks, "KV cache pool in blocks (overrides --kv-memory)");
  cmd.add_option("--kv-type", h.kv_type, "KV cache element type")
      ->check(CLI::IsMember({"f16", "f32"}))
      ->capture_default_str();
  cmd.add_option("--max-running", h.max_running, "Requests computing at once (0: default)")
      ->capture_default_str();
  cmd.add_option("--max-waiting", h.max_waiting, "Requests queued before 429")
      ->capture_default_str();
  cmd.add_option("--max-batch-tokens", h.max_batch_tokens,
                 "Tokens computed per step, decode and prefill chunks (0: default)")
      ->capture_default_str();
  cmd.add_flag("--no-prefix-caching", f.no_prefix_caching, "Turn the prefix cache off");
  cmd.add_option("--tpot-slo-ms", h.tpot_slo_ms,
                 "Cut prefill chunks so running decodes keep this time per output token "
                 "(0: the fixed --max-batch-tokens budget; x-tokenfab-tpot-slo-ms overrides)")
      ->capture_default_str();
  cmd.add_option("--min-prefill-tokens", h.min_prefill_tokens,
                 "Prompt tokens per step that --tpot-slo-ms never takes away")
      ->capture_default_str();
  cmd.add_option("--step-model", h.step_model,
                 "Step-time coefficients for --tpot-slo-ms 'base=..,prefill=..,decode=..,kv=..' "
                 "(µs; default: the synthetic model, or a calibration of the real runner)");
  cmd.add_option("--seed", h.seed, "Seeds requests that bring no seed");
}

void AddSyntheticFlags(CLI::App& cmd, NodeFlags& f) {
  node::ModelHostOptions& h = f.host;
  cmd.add_option("--vocab", h.vocab,
                 "Synthetic engine without --model: llama3, llama2, qwen3, gpt2");
  cmd.add_option("--synthetic-ttft-ms", h.synthetic_ttft_ms,
                 "Synthetic: time to first token of a lone request")
      ->capture_default_str();
  cmd.add_option("--synthetic-prompt-tokens", h.synthetic_prompt_tokens,
                 "Synthetic: the prompt length that TTFT is for")
      ->capture_default_str();
  cmd.add_option("--synthetic-tpot-ms", h.synthetic_tpot_ms, "Synthetic: time per output token")
      ->capture_default_str();
  cmd.add_option("--synthetic-performance", h.synthetic_performance,
                 "Synthetic: step-time coefficients 'base=..,prefill=..,decode=..,kv=..' (µs)");
  cmd.add_flag("--synthetic-calibrate", h.synthetic_calibrate,
               "Synthetic: measure the --model file's real speed and model it");
  cmd.add_option("--synthetic-stop-probability", h.synthetic_stop_probability,
                 "Synthetic: chance per token that a generation ends naturally")
      ->capture_default_str();
}

}  // namespace

Command AddNodeCommand(CLI::App& app) {
  auto flags = std::make_shared<NodeFlags>();
  CLI::App* cmd =
      app.add_subcommand("node", "Serve a model on the OpenAI-compatible API (one engine)");
  AddServerFlags(*cmd, *flags);
  AddEngineFlags(*cmd, *flags);
  AddSyntheticFlags(*cmd, *flags);
  AddNodeRegistryFlags(*cmd, flags->registry);
  AddNodeDrainFlags(*cmd, flags->drain);
  return Command{cmd, [cmd, flags] {
                   if (flags->drain.drain) return RunDrain(*flags);
                   if (flags->engine == "real" && flags->host.model_path.empty()) {
                     fmt::print(stderr,
                                "tokenfab node: give --model FILE (or --engine synthetic)\n{}",
                                cmd->help());
                     return kExitUsage;
                   }
                   return RunNode(*flags);
                 }};
}

}  // namespace tokenfab::cli
