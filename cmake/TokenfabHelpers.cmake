# tokenfab_library(NAME SOURCES ... DEPS ...): one static library per layer.
function(tokenfab_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                                     PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${TOKENFAB_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
endfunction()

# tokenfab_test(NAME SOURCES ... DEPS ...): one GoogleTest binary, registered test by test with ctest.
function(tokenfab_test name)
  if(NOT TOKENFAB_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(${name} PRIVATE ${TOKENFAB_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} DISCOVERY_TIMEOUT 60
                       PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
  if("unit" IN_LIST ARG_LABELS)
    add_dependencies(unit_tests ${name})
  endif()
endfunction()

# tokenfab_optimise_under_sanitizers(FILE ...): the sanitizer build compiles these files at -O1.
# For code the unit tests run millions of times (a vocabulary's merges and pieces, the sampler's
# draws, a kernel test's reference products): at -O0 it took most of CI's sanitizer phase. ASan and
# UBSan check the same code at -O1 (ASan's own advice); the rest stays at -O0 for fast compiles.
function(tokenfab_optimise_under_sanitizers)
  if(TOKENFAB_SANITIZE OR TOKENFAB_FUZZ)
    set_source_files_properties(${ARGN} PROPERTIES COMPILE_OPTIONS -O1)
  endif()
endfunction()
