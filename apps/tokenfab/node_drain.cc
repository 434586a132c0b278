#include "node_drain.h"

#include <chrono>
#include <cstdio>
#include <thread>

#include <fmt/format.h>
#include <boost/json.hpp>

#include "command.h"
#include "tokenfab/net/http_client.h"
#include "tokenfab/net/http_url.h"
#include "tokenfab/net/io_context_pool.h"

namespace tokenfab::cli {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

// The node's answer about its drain: "serving", "draining" or "drained", and requests in flight.
struct DrainReport {
  std::string state;
  int64_t in_flight = -1;
};

StatusOr<DrainReport> ParseReport(const net::HttpResponse& response) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  if (response.status != 200 && response.status != 202) {
    std::string message = response.body.substr(0, 300);
    if (const json::value* e = o ? o->if_contains("error") : nullptr; e && e->is_object()) {
      if (const json::value* m = e->as_object().if_contains("message"); m && m->is_string()) {
        message = std::string(m->get_string());
      }
    }
    return absl::FailedPreconditionError(
        fmt::format("the node answered {}: {}", response.status, message));
  }
  const json::value* state = o ? o->if_contains("state") : nullptr;
  if (state == nullptr || !state->is_string()) {
    return absl::DataLossError("the node's answer has no drain state: " + response.body);
  }
  DrainReport report{.state = std::string(state->get_string())};
  if (const json::value* n = o->if_contains("in_flight"); n && n->is_int64()) {
    report.in_flight = n->get_int64();
  }
  return report;
}

StatusOr<DrainReport> Call(net::HttpClient& client, const net::HttpUrl& base,
                           const std::string& method, const std::string& token) {
  net::ClientRequest request;
  request.method = method;
  request.url = base.WithPath("/drain");
  if (!token.empty()) request.headers.Set("Authorization", "Bearer " + token);
  TF_ASSIGN_OR_RETURN(net::HttpResponse response, client.FetchBlocking(std::move(request)));
  return ParseReport(response);
}

}  // namespace

void AddNodeDrainFlags(CLI::App& cmd, NodeDrainFlags& f) {
  cmd.add_flag("--drain", f.drain,
               "Drain the node running at --host/--port (or --drain-url) instead of starting "
               "one: it leaves routing, finishes its streams, deregisters and exits; this waits "
               "for it (exit 0 drained, 1 failed, 3 timed out)");
  cmd.add_option("--drain-url", f.url,
                 "With --drain: the node's URL (default: from --host/--port)");
  cmd.add_option("--drain-timeout-s", f.timeout_s, "With --drain: give up waiting after")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd.add_option("--tls-ca", f.ca_file,
                 "With --drain: PEM file of the CAs a node serving https must have its "
                 "certificate from (default: the system trust store)");
}

std::string DrainTargetUrl(const NodeDrainFlags& f, const std::string& host, int port, bool tls) {
  if (!f.url.empty()) return f.url;
  if (port == 0) return "";
  std::string reach = host;
  if (host.empty() || host == "0.0.0.0") reach = "127.0.0.1";
  if (host == "::" || host == "[::]") reach = "::1";
  if (reach.find(':') != std::string::npos && reach.front() != '[') reach = "[" + reach + "]";
  return fmt::format("{}://{}:{}", tls ? "https" : "http", reach, port);
}

int DrainRunningNode(const std::string& url, const std::string& token,
                     const NodeDrainFlags& flags) {
  const double timeout_s = flags.timeout_s;
  StatusOr<net::HttpUrl> base = net::ParseHttpUrl(url);
  if (!base.ok()) {
    fmt::print(stderr, "tokenfab node --drain: {}\n", base.status().message());
    return kExitUsage;
  }
  net::IoContextPool pool(1);
  net::HttpClientOptions options;
  options.total_timeout = std::chrono::seconds(10);
  options.tls.ca_file = flags.ca_file;
  net::HttpClient client(pool, options);
  if (Status tls = client.tls_status(); !tls.ok() && base->scheme == "https") {
    fmt::print(stderr, "tokenfab node --drain: {}\n", tls.message());
    return kExitUsage;
  }
  const Clock::time_point deadline =
      Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  StatusOr<DrainReport> report = Call(client, *base, "POST", token);
  if (!report.ok()) {
    fmt::print(stderr, "tokenfab node --drain: {}: {}\n", url, report.status().message());
    return kExitDrainFailed;
  }
  fmt::print(stderr, "tokenfab node --drain: {} is {} ({} requests in flight)\n", url,
             report->state, report->in_flight);
  while (report->state != "drained") {
    if (Clock::now() >= deadline) {
      fmt::print(stderr, "tokenfab node --drain: still {} after {} s ({} requests in flight)\n",
                 report->state, timeout_s, report->in_flight);
      return kExitDrainTimedOut;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    report = Call(client, *base, "GET", token);
    if (!report.ok()) {
      fmt::print(stderr,
                 "tokenfab node --drain: {} went away before it reported drained (stopped "
                 "meanwhile, or crashed): {}\n",
                 url, report.status().message());
      return kExitDrainFailed;
    }
  }
  fmt::print("drained\n");
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace tokenfab::cli
