# The layers: one folder, one static library (rz_<folder>), and the folders
# each may depend on.  Dependencies point one way (docs/architecture.md):
#
#   vm -> hw -> cpu -> codecache -> softmmu
#                 \-----------------^        disasm and softmmu: nothing of ours
#   vm -> debug -> cpu, codecache, softmmu, disasm  (the gdb stub; only vm uses it)
#
# The top-level CMakeLists.txt links the libraries by this table and
# cmake/check_layers.cmake checks every #include against it, at build time
# and as the unit test "layers".  Only edges listed here may exist.
set(RZ_LAYERS softmmu codecache cpu dbt disasm debug hw vm)

set(RZ_DEPS_softmmu "")
set(RZ_DEPS_codecache softmmu)
set(RZ_DEPS_cpu codecache softmmu)
set(RZ_DEPS_dbt cpu codecache softmmu disasm)   # beside cpu: it calls the handlers; disasm for lockstep reports
set(RZ_DEPS_disasm "")
set(RZ_DEPS_hw cpu softmmu)
set(RZ_DEPS_debug cpu codecache softmmu disasm)  # gdb stub: reads and runs the CPU
set(RZ_DEPS_vm hw debug dbt cpu codecache softmmu disasm)

# Back edges that exist today, each "from>to" with the reason.  The check
# reports them without failing, and fails once one is gone so the entry is
# removed with it.  None: devices reach the machine through hw/board.h.
set(RZ_KNOWN_BACK_EDGES "")
