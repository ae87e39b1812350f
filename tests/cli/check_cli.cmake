# Runs ringzero with ARGS (a ;-list) and checks its exit status and that
# stderr matches ERR: bad input must give a one-line reason and the
# documented status, never a crash.  With OUT_FILE, stdout goes there
# (e.g. /dev/full) instead of being captured; with IN_FILE, stdin comes
# from it (else /dev/null); with OUT, stdout must match that too;
# ONE_LINE=1 requires stderr to be exactly one line.
set(args ${ARGS})
if(NOT DEFINED IN_FILE OR IN_FILE STREQUAL "")
  set(IN_FILE /dev/null)
endif()
if(DEFINED OUT_FILE AND NOT OUT_FILE STREQUAL "")
  execute_process(COMMAND ${RINGZERO} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err
                  INPUT_FILE ${IN_FILE} OUTPUT_FILE ${OUT_FILE} TIMEOUT 20)
else()
  execute_process(COMMAND ${RINGZERO} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err
                  INPUT_FILE ${IN_FILE} OUTPUT_VARIABLE out TIMEOUT 20)
endif()
if(DEFINED OUT AND NOT out MATCHES "${OUT}")
  message(FATAL_ERROR "ringzero ${ARGS}: stdout does not match '${OUT}':\n${out}")
endif()
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "ringzero ${ARGS}: status ${rc}, expected ${EXPECT_RC}\nstderr: ${err}")
endif()
if(NOT err MATCHES "${ERR}")
  message(FATAL_ERROR "ringzero ${ARGS}: stderr does not match '${ERR}':\n${err}")
endif()
if(ONE_LINE AND NOT err MATCHES "^[^\n]*\n$")
  message(FATAL_ERROR "ringzero ${ARGS}: stderr is not one line:\n${err}")
endif()
message("ok: ringzero ${ARGS} -> ${rc}")
