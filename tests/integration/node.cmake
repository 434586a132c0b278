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

# The gateway's operations page (GET /dashboard) in headless Chromium (Debian's package, driven by
# playwright-core from npm) against a three-site test fleet with traffic; saves a screenshot.
find_program(TOKENFAB_CHROMIUM NAMES chromium chromium-browser)
if(NODE_EXECUTABLE AND TOKENFAB_HAVE_VOCABULARIES AND TOKENFAB_CHROMIUM)
  add_test(NAME dashboard_browser_test
    COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/dashboard_browser_test.mjs
            $<TARGET_FILE:tokenfab> ${CMAKE_CURRENT_BINARY_DIR}/dashboard.png
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(dashboard_browser_test PROPERTIES LABELS integration TIMEOUT 120)
  # The twin's HTML report (`tokenfab sim --html`) opened from its file: every chart drawn.
  add_test(NAME sim_report_browser_test
    COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/sim_report_browser_test.mjs
            $<TARGET_FILE:tokenfab> ${CMAKE_CURRENT_BINARY_DIR}/sim_report.png
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(sim_report_browser_test PROPERTIES LABELS integration TIMEOUT 120)
elseif(NODE_EXECUTABLE)
  message(STATUS "chromium not found: the operations page's browser test is not run")
endif()

# deploy/prometheus and deploy/grafana against Debian's prometheus: the shipped configuration and
# rules pass promtool, and every panel query of the dashboard returns data from a scraped test
# fleet with traffic.
find_program(TOKENFAB_PROMETHEUS prometheus)
find_program(TOKENFAB_PROMTOOL promtool)
if(NODE_EXECUTABLE AND TOKENFAB_HAVE_VOCABULARIES AND TOKENFAB_PROMETHEUS AND TOKENFAB_PROMTOOL)
  add_test(NAME prometheus_dashboard_test
    COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/prometheus_dashboard_test.mjs
            $<TARGET_FILE:tokenfab>
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(prometheus_dashboard_test PROPERTIES LABELS integration TIMEOUT 120)
elseif(NODE_EXECUTABLE)
  message(STATUS "prometheus not found: the Grafana dashboard's query test is not run")
endif()

# deploy/kubernetes and deploy/systemd without a cluster or a running systemd: every overlay
# built (kustomize_lite.mjs, compared with `kubectl kustomize` where installed) and checked
# against the Kubernetes schemas of the npm package kubernetes-models and for unknown fields,
# security, probes and references; the flags of every container and unit accepted by the built
# binary; each overlay's fleet file started by the gateway; `systemd-analyze verify` and
# `systemd-analyze security` on the units.
find_program(TOKENFAB_SYSTEMD_ANALYZE systemd-analyze)
if(NODE_EXECUTABLE AND TOKENFAB_HAVE_VOCABULARIES AND TOKENFAB_SYSTEMD_ANALYZE)
  add_test(NAME deploy_manifests_test
    COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/deploy_manifests_test.mjs
            $<TARGET_FILE:tokenfab>
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(deploy_manifests_test PROPERTIES LABELS integration TIMEOUT 60)
elseif(NODE_EXECUTABLE)
  message(STATUS "systemd-analyze not found: the deployment manifests' test is not run")
endif()

# The rolling upgrade of docs/deploy.md on a fleet file (no registry): three synthetic nodes
# replaced one at a time by SIGTERM and a restart on the same address, under streaming load
# through a gateway; every request must be served whole.
if(NODE_EXECUTABLE AND TOKENFAB_HAVE_VOCABULARIES)
  add_test(NAME rolling_upgrade_test
    COMMAND ${NODE_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/rolling_upgrade_test.mjs
            $<TARGET_FILE:tokenfab>
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(rolling_upgrade_test PROPERTIES LABELS integration TIMEOUT 120)
endif()
