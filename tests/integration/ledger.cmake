# The ledger's integration tests: real PostgreSQL and Redis servers, kill -9 under load.
# One process for the whole binary, so the servers start once (see ledger_integration_env.h).
find_package(PostgreSQL REQUIRED)
add_executable(ledger_integration_test
  ${CMAKE_CURRENT_LIST_DIR}/ledger_servers.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_integration_env.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_integration_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_crash_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_hang_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_cli_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/redis_counters_test.cc
  ${PROJECT_SOURCE_DIR}/src/ledger/store_test_suite.cc
  ${PROJECT_SOURCE_DIR}/src/ledger/batch_store_test_suite.cc
  ${PROJECT_SOURCE_DIR}/src/ledger/rate_counters_test_suite.cc)
target_include_directories(ledger_integration_test PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_compile_options(ledger_integration_test PRIVATE ${TOKENFAB_WARNINGS})
target_link_libraries(ledger_integration_test PRIVATE tokenfab_ledger PostgreSQL::PostgreSQL
                      PkgConfig::HIREDIS GTest::gmock GTest::gtest_main)
target_compile_definitions(ledger_integration_test PRIVATE
                           TOKENFAB_BINARY="$<TARGET_FILE:tokenfab>")
add_dependencies(ledger_integration_test tokenfab)
add_test(NAME ledger_integration_test COMMAND ledger_integration_test)
set_tests_properties(ledger_integration_test PROPERTIES LABELS integration TIMEOUT 900)
