# The twin's fidelity (label `integration`): a trace replayed by `tokenfab bench serve` through a
# real `tokenfab gateway` over two `tokenfab node --engine synthetic` processes, and simulated by
# `tokenfab sim` with the same fleet file, performance models and seed.
add_executable(sim_fidelity_test ${CMAKE_CURRENT_LIST_DIR}/child_process.cc
                                 ${CMAKE_CURRENT_LIST_DIR}/sim_fidelity_test.cc)
target_include_directories(sim_fidelity_test PRIVATE ${PROJECT_SOURCE_DIR}/src
                           ${CMAKE_CURRENT_LIST_DIR})
target_compile_options(sim_fidelity_test PRIVATE ${TOKENFAB_WARNINGS})
target_link_libraries(sim_fidelity_test PRIVATE tokenfab_base Boost::json
                      GTest::gtest_main)
target_compile_definitions(sim_fidelity_test PRIVATE TOKENFAB_BINARY="$<TARGET_FILE:tokenfab>")
add_dependencies(sim_fidelity_test tokenfab)
if(TOKENFAB_HAVE_VOCABULARIES)
  add_dependencies(sim_fidelity_test vocabularies)
  add_test(NAME sim_fidelity_test COMMAND sim_fidelity_test)
  # RUN_SERIAL: it compares wall-clock latencies of real processes, which other tests on a
  # 2-core machine would inflate (TTFT p90 gap 21 % when run beside the forward-pass reference).
  set_tests_properties(sim_fidelity_test PROPERTIES LABELS integration TIMEOUT 180 COST 150
                                                     RUN_SERIAL TRUE)
endif()
