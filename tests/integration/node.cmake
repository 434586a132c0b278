# `tokenfab node` and `tokenfab serve` end to end (label `integration`): real servers on port 0,
# driven by the official OpenAI SDK (node_modules/openai) and by raw sockets; models made by
# `tokenfab model create`.
if(NODE_EXECUTABLE AND TOKENFAB_HAVE_VOCABULARIES)
  foreach(name node_openai_sdk node_raw_http node_concurrency node_synthetic serve_quickstart
               batch_sdk)
    add_test(NAME ${name}_test
      COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/${name}_test.mjs $<TARGET_FILE:tokenfab>
      WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(${name}_test PROPERTIES LABELS integration TIMEOUT 600)
  endforeach()
endif()
