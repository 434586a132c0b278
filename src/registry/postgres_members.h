// The PostgreSQL registry's table and statements, shared by its node side (PostgresRegistration)
// and its gateway side (PostgresWatcher).
//
//   registry_members(key text PRIMARY KEY, record text, incarnation text, ttl_ms bigint,
//                    heartbeat_at timestamptz, expires_at timestamptz)
//
// One row per registered node: `record` is EncodeMember's JSON, `expires_at` = the last
// heartbeat + its TTL (the database's clock, so nodes' and gateways' clocks do not matter). A
// row whose expires_at has passed is not a member: lists skip it, and sweeps delete it. Every
// change of membership (register, withdraw, deregister, sweep) sends NOTIFY on kChannel, with
// the key as payload, in the statement that makes it; heartbeats that only extend expires_at
// notify nobody.
//
// Schema: created if absent, under an advisory lock, with its version in registry_migrations
// (the ledger's mechanism; the registry may share the ledger's database).
#pragma once

#include <string>
#include <string_view>

#include "tokenfab/base/status.h"
#include "tokenfab/ledger/postgres_pool.h"

namespace tokenfab::registry::internal {

inline constexpr char kChannel[] = "tokenfab_registry";  // the statements below name it too

// Creates the table and its index unless present. In a transaction of its own.
[[nodiscard]] Status EnsureMembersSchema(ledger::PostgresSession& session);

// ?1 key, ?2 record, ?3 incarnation, ?4 ttl_ms: inserts or replaces the row, heartbeat now;
// notifies.
inline constexpr char kUpsertMember[] =
    "WITH up AS (INSERT INTO registry_members "
    "(key, record, incarnation, ttl_ms, heartbeat_at, expires_at) "
    "VALUES (?1, ?2, ?3, ?4::bigint, now(), now() + ?4::bigint * interval '1 millisecond') "
    "ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record, "
    "incarnation = EXCLUDED.incarnation, ttl_ms = EXCLUDED.ttl_ms, "
    "heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at RETURNING key) "
    "SELECT pg_notify('tokenfab_registry', key) FROM up";

// ?1 key, ?2 incarnation: extends the row's expiry by its TTL. 0 rows: the row is gone, expired
// or taken by another incarnation (register again).
inline constexpr char kHeartbeat[] =
    "UPDATE registry_members SET heartbeat_at = now(), "
    "expires_at = now() + ttl_ms * interval '1 millisecond' "
    "WHERE key = ?1 AND incarnation = ?2 AND expires_at > now()";

// ?1 key, ?2 incarnation: deletes the row; notifies.
inline constexpr char kDeleteMember[] =
    "WITH d AS (DELETE FROM registry_members WHERE key = ?1 AND incarnation = ?2 RETURNING key) "
    "SELECT pg_notify('tokenfab_registry', key) FROM d";

// ?1 prefix: key, record and milliseconds left before expiry of each live row under the prefix.
inline constexpr char kListMembers[] =
    "SELECT key, record, CAST(EXTRACT(EPOCH FROM (expires_at - now())) * 1000 AS bigint) "
    "FROM registry_members WHERE left(key, length(?1::text)) = ?1::text AND expires_at > now() "
    "ORDER BY key";

// Deletes every expired row; notifies for each.
inline constexpr char kSweepExpired[] =
    "WITH d AS (DELETE FROM registry_members WHERE expires_at <= now() RETURNING key) "
    "SELECT pg_notify('tokenfab_registry', key) FROM d";

}  // namespace tokenfab::registry::internal
