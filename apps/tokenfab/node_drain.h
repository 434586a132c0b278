// `tokenfab node --drain`: tells a running node to drain and waits until it has. The node
// (POST /drain, operator-authenticated; node/drain_handler.h) withdraws from routing (its
// registry record turns `draining`), keeps serving for --withdraw-ms while the gateways' views
// catch up, then refuses new requests, lets its streams finish within --shutdown-grace-s,
// deregisters, reports "drained" on GET /drain, and exits 0, as on SIGTERM.
//
// The node is found by the same --host and --port it runs with (so a unit's or a pod's own flags
// serve both: ExecStop, preStop), a wildcard host meaning loopback; or by --drain-url.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

namespace tokenfab::cli {

struct NodeDrainFlags {
  bool drain = false;      // --drain: drain the node at the address instead of starting one
  std::string url;         // --drain-url; empty: http(s)://HOST:PORT of --host/--port
  double timeout_s = 120;  // --drain-timeout-s: give up waiting after
  // --tls-ca (named as the gateway's for its upstreams): the CAs an https node's certificate
  // must come from; empty: the system trust store.
  std::string ca_file;
};

// Exit statuses of `tokenfab node --drain`, besides kExitOk (drained) and kExitUsage.
inline constexpr int kExitDrainFailed = 1;    // unreachable, refused, or gone before it drained
inline constexpr int kExitDrainTimedOut = 3;  // still draining after --drain-timeout-s

void AddNodeDrainFlags(CLI::App& cmd, NodeDrainFlags& flags);

// The node's base URL: --drain-url, or the scheme (https with TLS) and --host/--port, where a
// wildcard host (0.0.0.0, ::, "") is reached on loopback. "" when --port is 0 and no URL is given.
std::string DrainTargetUrl(const NodeDrainFlags& flags, const std::string& host, int port,
                           bool tls);

// Drains the node at `url` with `operator_token` ("" for none), trusting `flags.ca_file` for an
// https URL, within `flags.timeout_s`, printing progress on stderr and "drained" on stdout.
// Returns the exit status.
int DrainRunningNode(const std::string& url, const std::string& operator_token,
                     const NodeDrainFlags& flags);

}  // namespace tokenfab::cli
