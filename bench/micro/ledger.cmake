# The ledger's micro-benchmarks (it starts its own PostgreSQL, with the integration tests' helper).
find_package(PostgreSQL REQUIRED)
add_executable(ledger_recorder_bench
  ${CMAKE_CURRENT_LIST_DIR}/ledger_recorder_bench.cc
  ${PROJECT_SOURCE_DIR}/tests/integration/ledger_servers.cc)
target_include_directories(ledger_recorder_bench PRIVATE ${PROJECT_SOURCE_DIR}/tests/integration)
target_compile_options(ledger_recorder_bench PRIVATE ${TOKENFAB_WARNINGS})
target_link_libraries(ledger_recorder_bench PRIVATE tokenfab_ledger PostgreSQL::PostgreSQL
                      PkgConfig::HIREDIS benchmark::benchmark)
