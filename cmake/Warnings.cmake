# Project-wide compile flags: warnings (as errors), sanitizers, fuzzing instrumentation.
set(TOKENFAB_WARNINGS -Wall -Wextra -Wnon-virtual-dtor -Wimplicit-fallthrough -Wno-unused-parameter)
if(TOKENFAB_WERROR)
  list(APPEND TOKENFAB_WARNINGS -Werror)
endif()

# Clang's thread-safety analysis checks the ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED
# annotations on every absl::Mutex; a violation is an error even without TOKENFAB_WERROR.
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  set(tokenfab_thread_safety_default ON)
else()
  set(tokenfab_thread_safety_default OFF)
endif()
option(TOKENFAB_THREAD_SAFETY "Check lock annotations with clang's -Wthread-safety"
       ${tokenfab_thread_safety_default})
if(TOKENFAB_THREAD_SAFETY)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TOKENFAB_THREAD_SAFETY needs clang (-Wthread-safety)")
  endif()
  set(TOKENFAB_THREAD_SAFETY_FLAGS -Wthread-safety -Werror=thread-safety)
  list(APPEND TOKENFAB_WARNINGS ${TOKENFAB_THREAD_SAFETY_FLAGS})
endif()

# The fuzz targets run under the same sanitizers, so one sanitizer build serves the unit tests and
# the fuzzers (CI builds the libraries once for both).
if(TOKENFAB_SANITIZE OR TOKENFAB_FUZZ)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TOKENFAB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TOKENFAB_FUZZ needs clang (libFuzzer)")
  endif()
  # Coverage instrumentation everywhere; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
