# The gateway's multi-process tests: `tokenfab gateway` processes in front of real upstreams
# (FakeUpstream servers, llama.cpp's llama-server when configured, `tokenfab node` processes),
# on SQLite and on PostgreSQL ledgers started by the tests (see ledger_servers.h).
set(gateway_it_sources
  ${CMAKE_CURRENT_LIST_DIR}/child_process.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_servers.cc
  ${CMAKE_CURRENT_LIST_DIR}/ledger_integration_env.cc
  ${CMAKE_CURRENT_LIST_DIR}/gateway_crash_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/gateway_cut_stream_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/gateway_reload_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/gateway_tls_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/gateway_fleet_test.cc)

# llama.cpp's server as a third-party upstream: -DTOKENFAB_LLAMA_SERVER=/path/to/llama-server
# (or the environment variable of that name at configure time, or llama-server on PATH).
set(TOKENFAB_LLAMA_SERVER "$ENV{TOKENFAB_LLAMA_SERVER}" CACHE FILEPATH "llama.cpp's llama-server")
if(NOT TOKENFAB_LLAMA_SERVER)
  find_program(TOKENFAB_LLAMA_SERVER_FOUND llama-server)
  if(TOKENFAB_LLAMA_SERVER_FOUND)
    set(TOKENFAB_LLAMA_SERVER "${TOKENFAB_LLAMA_SERVER_FOUND}")
  endif()
endif()

if(TOKENFAB_LLAMA_SERVER)
  list(APPEND gateway_it_sources ${CMAKE_CURRENT_LIST_DIR}/gateway_llamacpp_test.cc)
else()
  message(STATUS "llama-server not found: the gateway's llama.cpp upstream test is not built")
endif()

add_executable(gateway_integration_test ${gateway_it_sources})
target_include_directories(gateway_integration_test PRIVATE ${PROJECT_SOURCE_DIR}/src
                           ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(gateway_integration_test PRIVATE ${TOKENFAB_WARNINGS})
target_link_libraries(gateway_integration_test PRIVATE tokenfab_gateway tokenfab_gateway_testing
                      tokenfab_ledger PostgreSQL::PostgreSQL PkgConfig::HIREDIS Boost::json
                      GTest::gmock GTest::gtest_main)
find_program(TOKENFAB_GATEWAY_PYTHON python3 PATHS /usr/bin NO_DEFAULT_PATH)
target_compile_definitions(gateway_integration_test PRIVATE
                           TOKENFAB_BINARY="$<TARGET_FILE:tokenfab>"
                           TOKENFAB_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                           TOKENFAB_PYTHON="${TOKENFAB_GATEWAY_PYTHON}"
                           TOKENFAB_DELAY_PROXY="${PROJECT_SOURCE_DIR}/bench/gateway/delay_proxy.py"
                           TOKENFAB_LLAMA_SERVER="${TOKENFAB_LLAMA_SERVER}")
add_dependencies(gateway_integration_test tokenfab)
add_test(NAME gateway_integration_test COMMAND gateway_integration_test)
set_tests_properties(gateway_integration_test PROPERTIES LABELS integration TIMEOUT 1200 COST 200)
