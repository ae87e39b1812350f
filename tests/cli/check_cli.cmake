# Runs ringzero with ARGS (a ;-list) and checks its exit status and that
# stderr matches ERR: bad input must give a one-line reason and the
# documented status, never a crash.  OUT (optional) must match stdout;
# ONE_LINE=1 requires stderr to be exactly one line.
set(args ${ARGS})
execute_process(COMMAND ${RINGZERO} ${args} RESULT_VARIABLE rc ERROR_VARIABLE err OUTPUT_VARIABLE out
                TIMEOUT 20)
if(NOT rc STREQUAL "${EXPECT_RC}")
  message(FATAL_ERROR "ringzero ${ARGS}: status ${rc}, expected ${EXPECT_RC}\nstderr: ${err}")
endif()
if(NOT err MATCHES "${ERR}")
  message(FATAL_ERROR "ringzero ${ARGS}: stderr does not match '${ERR}':\n${err}")
endif()
if(DEFINED OUT AND NOT out MATCHES "${OUT}")
  message(FATAL_ERROR "ringzero ${ARGS}: stdout does not match '${OUT}':\n${out}")
endif()
if(ONE_LINE AND NOT err MATCHES "^[^\n]*\n$")
  message(FATAL_ERROR "ringzero ${ARGS}: stderr is not one line:\n${err}")
endif()
message("ok: ringzero ${ARGS} -> ${rc}")
