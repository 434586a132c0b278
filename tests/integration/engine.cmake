# The serving engine on real (tiny, random-weight) models and the real runner: greedy identity
# across batch compositions, prefix-cache hits, preemption and chunk sizes; streaming, cancel and
# calibration on a real model. The models are created by the tests themselves.
if(TOKENFAB_HAVE_VOCABULARIES)
  tokenfab_test(engine_integration_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/engine_test_models.cc
      ${CMAKE_CURRENT_LIST_DIR}/engine_greedy_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/engine_model_test.cc
    DEPS tokenfab_engine tokenfab_model tokenfab_bench
    LABELS integration
    TIMEOUT 900)
  if(TARGET engine_integration_test)
    add_dependencies(engine_integration_test vocabularies)
  endif()
endif()
