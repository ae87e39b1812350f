# Runs ringzero with ARGS (a ;-list) and checks its exit status and that
# stderr matches ERR: bad input must give a one-line reason and the
# documented status, never a crash.  With OUT_FILE, stdout goes there
# (e.g. /dev/full) instead of being captured.
set(args ${ARGS})
if(DEFINED OUT_FILE AND NOT OUT_FILE STREQUAL "")
  execute_process(COMMAND ${RINGZERO} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err
                  OUTPUT_FILE ${OUT_FILE} TIMEOUT 20)
else()
  execute_process(COMMAND ${RINGZERO} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err
                  OUTPUT_VARIABLE out TIMEOUT 20)
endif()
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "ringzero ${ARGS}: status ${rc}, expected ${EXPECT_RC}\nstderr: ${err}")
endif()
if(NOT err MATCHES "${ERR}")
  message(FATAL_ERROR "ringzero ${ARGS}: stderr does not match '${ERR}':\n${err}")
endif()
message("ok: ringzero ${ARGS} -> ${rc}")
