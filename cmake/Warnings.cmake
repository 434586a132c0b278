# Project-wide compile flags: warnings (as errors), sanitizers, fuzzing instrumentation.
set(TOKENFAB_WARNINGS -Wall -Wextra -Wnon-virtual-dtor -Wimplicit-fallthrough -Wno-unused-parameter)
if(TOKENFAB_WERROR)
  list(APPEND TOKENFAB_WARNINGS -Werror)
endif()

if(TOKENFAB_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

if(TOKENFAB_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "TOKENFAB_FUZZ needs clang (libFuzzer)")
  endif()
  # Instrument the libraries for coverage; only fuzz targets link the libFuzzer main.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
