// The --ledger / --data-dir flags shared by the ledger administration commands, and opening the
// store they name: a PostgreSQL URI, or a SQLite file (default <data-dir>/ledger.sqlite, its
// directory created when missing).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "tokenfab/ledger/store.h"

namespace tokenfab::cli {

struct LedgerFlags {
  std::string ledger;           // empty: <data_dir>/ledger.sqlite
  std::string data_dir = "data";
};

inline void AddLedgerFlags(CLI::App* app, LedgerFlags& flags) {
  app->add_option("--ledger", flags.ledger,
                  "the ledger: a SQLite file path or a postgresql:// URI "
                  "(default: <data-dir>/ledger.sqlite)");
  app->add_option("--data-dir", flags.data_dir, "directory for the embedded SQLite ledger")
      ->capture_default_str();
}

inline StatusOr<std::unique_ptr<ledger::Store>> OpenLedger(const LedgerFlags& flags) {
  std::string location = flags.ledger;
  if (location.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.data_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          "cannot create data directory '" + flags.data_dir + "': " + ec.message());
    }
    location = (std::filesystem::path(flags.data_dir) / "ledger.sqlite").string();
  }
  return ledger::OpenStore(location);
}

// Prints "tokenfab <command>: <status>" to stderr and returns kExitFailure.
inline int Fail(std::string_view command, const Status& status) {
  std::fprintf(stderr, "tokenfab %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               std::string(status.message()).c_str());
  return 1;
}

}  // namespace tokenfab::cli
