# layers_check.cmake — the layering check itself, on small trees written
# here: a clean one passes, a back edge fails naming the file and the edge,
# a folder outside the layers fails, and a known back edge that is gone
# fails.  The real table lists no known edge (cmake/layers.cmake), so the
# trees give the checker one of their own, hw>vm, except the last case.  cmake -DRZ_WORK=<scratch dir> -P layers_check.cmake
cmake_minimum_required(VERSION 3.18)
set(checker ${CMAKE_CURRENT_LIST_DIR}/../../cmake/check_layers.cmake)
set(failures 0)

# Writes a tree: every layer gets a header; hw includes vm (the known back
# edge of these trees) unless no_known.
function(make_tree root no_known)
  file(REMOVE_RECURSE ${root})
  foreach(d softmmu codecache cpu disasm hw vm tests)
    file(WRITE ${root}/${d}/${d}.h "/* ${d} */\n")
  endforeach()
  file(WRITE ${root}/cpu/ops/x.def "\n")
  file(WRITE ${root}/cpu/a.c "#include \"../softmmu/softmmu.h\"\n#include \"codecache/codecache.h\"\n#include \"ops/x.def\"\n#include \"cpu.h\"\n#include <stdio.h>\n")
  file(WRITE ${root}/vm/v.c "#include \"../hw/hw.h\"\n#include \"../cpu/cpu.h\"\n#include \"../disasm/disasm.h\"\n")
  if(NOT no_known)
    file(WRITE ${root}/hw/h.c "#include \"../vm/vm.h\"\n#include \"../cpu/cpu.h\"\n")
  endif()
endfunction()

set(known "hw>vm")
function(expect name root want_rc regex)
  execute_process(COMMAND ${CMAKE_COMMAND} -DRZ_SOURCE_DIR=${root}
                          "-DRZ_TEST_KNOWN_BACK_EDGES=${known}" -P ${checker}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  set(all "${out}${err}")
  string(REGEX REPLACE "[ \t\n]+" " " flat "${all}")
  if((want_rc EQUAL 0 AND NOT rc EQUAL 0) OR (NOT want_rc EQUAL 0 AND rc EQUAL 0)
     OR NOT flat MATCHES "${regex}")
    message("FAIL ${name}: rc ${rc}, output:\n${all}")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  else()
    message("ok   ${name}")
  endif()
endfunction()

set(t ${RZ_WORK})
make_tree(${t}/clean FALSE)
expect("clean tree passes, known edge reported" ${t}/clean 0 "known back edge hw -> vm: hw/h.c")

make_tree(${t}/back FALSE)
file(APPEND ${t}/back/softmmu/s.c "#include \"../cpu/cpu.h\"\n")
expect("softmmu -> cpu refused" ${t}/back 1
       "softmmu/s.c: #include \"../cpu/cpu.h\": softmmu -> cpu is a back edge \\(softmmu may use: none\\)")

make_tree(${t}/back2 FALSE)
file(WRITE ${t}/back2/codecache/c.h "#include \"cpu/cpu.h\"\n")
expect("codecache -> cpu refused (root-relative include)" ${t}/back2 1
       "codecache/c.h: #include \"cpu/cpu.h\": codecache -> cpu is a back edge \\(codecache may use: softmmu\\)")

make_tree(${t}/back3 FALSE)
file(WRITE ${t}/back3/disasm/d.c "#include \"../cpu/cpu.h\"\n")
file(WRITE ${t}/back3/hw/x.c "#include \"../codecache/codecache.h\"\n")
expect("disasm -> cpu and hw -> codecache refused" ${t}/back3 1
       "disasm/d.c.*disasm -> cpu is a back edge.*hw/x.c.*hw -> codecache is a back edge")

make_tree(${t}/outside FALSE)
file(WRITE ${t}/outside/softmmu/t.c "#include \"../tests/tests.h\"\n")
expect("a folder outside the layers refused" ${t}/outside 1
       "softmmu/t.c: #include \"../tests/tests.h\": tests/tests.h is outside the layer folders")

make_tree(${t}/stale TRUE)
expect("a known back edge that is gone must leave the table" ${t}/stale 1
       "the known back edge hw -> vm no longer exists")

# The real table: hw -> vm is an ordinary back edge now.
set(known "")
expect("hw -> vm refused when not listed" ${t}/clean 1
       "hw/h.c: #include \"../vm/vm.h\": hw -> vm is a back edge \\(hw may use: cpu softmmu\\)")

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} layering-check case(s) failed")
endif()
